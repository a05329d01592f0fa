//! A fault-injecting loopback index (issue 11): resets, stalls, 429 with `Retry-After`, 5xx,
//! truncated and mislabelled bodies, redirect loops and oversized answers, each served for one
//! project of a real lock while the others answer normally. Every case ends retried to success
//! or with one error naming the project, never with a partial output, and within a bound
//! computed from `--timeout 2 --retries 2`. The times go to `target/faults-report.txt`.
// Tests print their measurements.
#![allow(clippy::print_stderr)]

mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use support::project::{Project, stderr};
use support::{Fault, IndexServer, Reply, fixture};

/// The projects of the `poetry-2.0` fixture, whose pages tests/fixtures/index/ recorded.
const RECORDED: [&str; 4] = ["six", "idna", "certifi", "packaging"];
const TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts per request: the first and `--retries 2`.
const ATTEMPTS: u32 = 3;
/// The client's backoff before the second and the third attempt (250 ms, doubling).
const BACKOFFS: Duration = Duration::from_millis(250 + 500);
/// Process start, the other pages, rendering: generous for a loaded CI machine.
const SLACK: Duration = Duration::from_secs(3);

fn json(project: &str) -> String {
    fixture(&format!("index/{project}.json"))
}

fn html_of(project: &str) -> String {
    let page: serde_json::Value = serde_json::from_str(&json(project)).unwrap();
    let links = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let (name, url, sha) = (&f["filename"], &f["url"], &f["hashes"]["sha256"]);
            format!(
                "<a href=\"{}#sha256={}\">{}</a>\n",
                url.as_str().unwrap(),
                sha.as_str().unwrap(),
                name.as_str().unwrap()
            )
        })
        .collect::<Vec<_>>()
        .concat();
    format!("<!DOCTYPE html><html><body>\n{links}</body></html>\n")
}

struct Case {
    name: &'static str,
    /// The replies for six's page, in order (the last repeats).
    six: Vec<Reply>,
    /// `Some(hits)`: the run succeeds after this many requests for six's page; `None`: it
    /// fails with one error naming six.
    succeeds_after: Option<usize>,
    /// What the error must say, besides naming six.
    says: &'static str,
    /// The longest the run may take.
    bound: Duration,
    extra_args: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let page = || Reply::json(json("six"));
    let retried = BACKOFFS + SLACK;
    let stalled = TIMEOUT * ATTEMPTS + BACKOFFS + SLACK;
    vec![
        Case {
            name: "reset, then the page",
            six: vec![Reply::reset(), page()],
            succeeds_after: Some(2),
            says: "",
            bound: retried,
            extra_args: &[],
        },
        Case {
            name: "reset every time",
            six: vec![Reply::reset()],
            succeeds_after: None,
            says: "after 3 attempts",
            bound: retried,
            extra_args: &[],
        },
        Case {
            name: "body cut short, then the page",
            six: vec![page().fault(Fault::Truncate(200)), page()],
            succeeds_after: Some(2),
            says: "",
            bound: retried,
            extra_args: &[],
        },
        Case {
            name: "body cut short every time",
            six: vec![page().fault(Fault::Truncate(200))],
            succeeds_after: None,
            says: "after 3 attempts",
            bound: retried,
            extra_args: &[],
        },
        Case {
            name: "page cut short in a whole response, then the page",
            six: vec![Reply::json(&json("six").as_bytes()[..200]), page()],
            succeeds_after: Some(2),
            says: "",
            bound: retried,
            extra_args: &[],
        },
        Case {
            name: "page cut short in a whole response every time",
            six: vec![Reply::json(&json("six").as_bytes()[..200])],
            succeeds_after: None,
            says: "invalid PEP 691 JSON",
            bound: retried,
            extra_args: &[],
        },
        Case {
            name: "stalled, then the page",
            six: vec![page().delay(Duration::from_secs(30)), page()],
            succeeds_after: Some(2),
            says: "",
            bound: TIMEOUT + retried,
            extra_args: &[],
        },
        Case {
            name: "stalled every time",
            six: vec![page().delay(Duration::from_secs(30))],
            succeeds_after: None,
            says: "after 3 attempts",
            bound: stalled,
            extra_args: &[],
        },
        Case {
            name: "503, then the page",
            six: vec![Reply::status(503), page()],
            succeeds_after: Some(2),
            says: "",
            bound: retried,
            extra_args: &[],
        },
        Case {
            name: "500 every time",
            six: vec![Reply::status(500)],
            succeeds_after: None,
            says: "HTTP 500",
            bound: retried,
            extra_args: &[],
        },
        Case {
            name: "429 with Retry-After: 1, then the page",
            six: vec![Reply::status(429).header("Retry-After", "1"), page()],
            succeeds_after: Some(2),
            says: "",
            bound: Duration::from_secs(1) + retried,
            extra_args: &[],
        },
        Case {
            name: "429 with Retry-After: 3600",
            six: vec![Reply::status(429).header("Retry-After", "3600")],
            succeeds_after: None,
            says: "asks to wait 3600 s",
            bound: SLACK,
            extra_args: &[],
        },
        Case {
            name: "JSON labelled text/html",
            six: vec![Reply::new(200, "text/html", json("six"))],
            succeeds_after: Some(1),
            says: "",
            bound: SLACK,
            extra_args: &[],
        },
        Case {
            name: "HTML labelled JSON",
            six: vec![Reply::json(html_of("six"))],
            succeeds_after: Some(1),
            says: "",
            bound: SLACK,
            extra_args: &[],
        },
        Case {
            name: "redirect loop",
            six: vec![Reply::redirect("/simple/six/")],
            succeeds_after: None,
            says: "redirect",
            bound: SLACK,
            extra_args: &[],
        },
        Case {
            name: "answer over --max-page-size",
            six: vec![Reply::json(vec![b' '; 2 << 20])],
            succeeds_after: None,
            says: "larger than the limit",
            bound: SLACK,
            extra_args: &["--max-page-size", "1MiB"],
        },
    ]
}

#[test]
fn every_fault_ends_retried_to_success_or_in_one_error_naming_the_project() {
    let mut report =
        String::from("fault (six's page; --timeout 2 --retries 2) | outcome | six requests | time | bound\n");
    for case in cases() {
        let server = IndexServer::with_routes(RECORDED.map(|p| (format!("/simple/{p}/"), vec![Reply::json(json(p))])));
        server.route("/simple/six/", case.six.clone());
        let project = Project::fixture("poetry-2.0");
        let index = server.index_url();
        let mut args = vec!["--index-url", &index, "--timeout", "2", "--retries", "2", "--no-infer", "-o", "out.nix"];
        args.extend_from_slice(case.extra_args);
        let started = Instant::now();
        let output = project.run(&args);
        let elapsed = started.elapsed();
        let err = stderr(&output);
        let hits = server.hits("/simple/six/");
        if let Some(expected) = case.succeeds_after {
            assert!(output.status.success(), "{}: {err}", case.name);
            assert_eq!(hits, expected, "{}", case.name);
            let nix = project.read("out.nix").unwrap();
            assert!(nix.contains("six-1.17.0-py2.py3-none-any.whl") && nix.trim_end().ends_with('}'), "{}", case.name);
        } else {
            assert_eq!(output.status.code(), Some(1), "{}: {err}", case.name);
            let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("lock2nix: error:")).collect();
            assert_eq!(errors.len(), 1, "{}: one error:\n{err}", case.name);
            assert!(errors[0].contains("six") && errors[0].contains(case.says), "{}: {err}", case.name);
            assert!(project.read("out.nix").is_none(), "{}: nothing written", case.name);
            let leftovers: Vec<_> = std::fs::read_dir(project.path())
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
                .collect();
            assert!(leftovers.is_empty(), "{}: {leftovers:?}", case.name);
        }
        assert!(elapsed <= case.bound, "{}: {elapsed:?}, more than {:?}", case.name, case.bound);
        let outcome = match case.succeeds_after {
            Some(1) => "success",
            Some(_) => "retried to success",
            None => "one error naming six",
        };
        let _ = writeln!(
            report,
            "{} | {outcome} | {hits} | {:.2} s | {:.2} s",
            case.name,
            elapsed.as_secs_f64(),
            case.bound.as_secs_f64()
        );
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/faults-report.txt");
    std::fs::write(&path, &report).unwrap();
    eprintln!("{report}");
}
