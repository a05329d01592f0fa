//! Hostile inputs (issue 11): each reproducing input of a finding, run through the binary. The
//! run ends at once with one short error naming the file and the entry, or succeeds in bounded
//! time; it never overflows the stack or exhausts memory.

mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use support::project::{Project, run_text, stderr};

const HASH: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

fn lock_with_edge_marker(marker: &str) -> String {
    format!(
        "version = 1\nrevision = 3\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\ndependencies = [{{ name = \"six\", marker = \"{marker}\" }}]\n\n[[package]]\nname = \"six\"\nversion = \"1.16.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\nwheels = [{{ url = \"https://files.example/six-1.16.0-py2.py3-none-any.whl\", hash = \"{HASH}\" }}]\n"
    )
}

const PYPROJECT: &str = "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11\"\n";

/// Runs `lock2nix uv.lock` (no network needed), timed.
fn run(project: &Project) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = project.run(&["--no-infer", "-o", "out.nix", "uv.lock"]);
    (out, started.elapsed())
}

#[test]
fn deeply_nested_markers_are_an_error_not_a_stack_overflow() {
    let project = Project::empty();
    let marker = format!("{}python_version > '3'{}", "(".repeat(5000), ")".repeat(5000));
    project.write("uv.lock", &lock_with_edge_marker(&marker)).write("pyproject.toml", PYPROJECT);
    let (out, _) = run(&project);
    // The message quotes a bounded excerpt.
    insta::assert_snapshot!(run_text(&out, &[]), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: uv.lock: package `app`: dependency `six`: marker `((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((… (10020 bytes in all)`: parentheses nested 5000 deep, more than the 32 lock2nix reads
    ");
    assert!(project.read("out.nix").is_none(), "nothing written");
}

#[test]
fn an_overlong_marker_is_an_error_with_a_bounded_excerpt() {
    let project = Project::empty();
    let marker = vec!["python_version == '3.1'"; 6000].join(" or ");
    project.write("uv.lock", &lock_with_edge_marker(&marker)).write("pyproject.toml", PYPROJECT);
    let (out, elapsed) = run(&project);
    assert_eq!(marker.len(), 161_996, "the length the message gives");
    insta::assert_snapshot!(run_text(&out, &[]), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: uv.lock: package `app`: dependency `six`: marker `python_version == '3.1' or python_version == '3.1' or python_version == '3.1' or python_version == '3.1' or python_version == '3.1' or python_version == '3.1' or python_version == '3.1' or python_vers… (161996 bytes in all)`: 161996 bytes long, more than the 16384 lock2nix reads (real markers are a few hundred)
    ");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn a_nested_requirement_marker_in_pyproject_is_an_error() {
    let project = Project::empty();
    let marker = format!("{}python_version > '3'{}", "(".repeat(5000), ")".repeat(5000));
    let pyproject = format!("{PYPROJECT}dependencies = [\"six; {marker}\"]\n");
    project.write("uv.lock", &lock_with_edge_marker("python_version > '3'")).write("pyproject.toml", &pyproject);
    let (out, _) = run(&project);
    insta::assert_snapshot!(run_text(&out, &[]), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: pyproject.toml: line 5, column 16: [project] dependencies: invalid requirement `six; (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((… (10025 bytes in all)`: parentheses nested 5000 deep, more than the 32 lock2nix reads
    ");
}

#[test]
fn nested_double_group_includes_finish_at_once() {
    // 18 levels took 1 s and 230 MB, 20 and more several GB; 40 levels now take no time.
    let mut pyproject = format!("{PYPROJECT}\n[dependency-groups]\ng0 = [\"six\"]\n");
    for k in 1..=40 {
        let _ =
            writeln!(pyproject, "g{k} = [{{ include-group = \"g{}\" }}, {{ include-group = \"g{}\" }}]", k - 1, k - 1);
    }
    let project = Project::empty();
    project.write("uv.lock", &lock_with_edge_marker("python_version > '3'")).write("pyproject.toml", &pyproject);
    let (out, elapsed) = run(&project);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn a_nul_character_is_an_input_error_never_written() {
    let project = Project::empty();
    let lock = lock_with_edge_marker("python_version > '3'")
        .replace("six-1.16.0-py2.py3-none-any.whl\"", "six-1.16.0-py2.py3-none-any.whl?x=\\u0000\"");
    project.write("uv.lock", &lock).write("pyproject.toml", PYPROJECT);
    let (out, _) = run(&project);
    insta::assert_snapshot!(run_text(&out, &[]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: uv.lock is not a valid uv.lock: line 15, column 76: a string holds a NUL character (\u0000), which a Nix string cannot hold
    ");
    assert!(project.read("out.nix").is_none(), "nothing written");
}

/// The forms of a credential in an index URL that users paste, `S3CRET` being the secret: a
/// password holding `/`, `?`, `#` or `@` unescaped, a token as the user, a query token, no
/// scheme at all.
const ODD_INDEX_URLS: [&str; 12] = [
    "http://user:S3CRET@127.0.0.1:9/simple/",
    "http://user:S3/CRET@127.0.0.1:9/simple/",
    "http://user:S3?CRET@127.0.0.1:9/simple/",
    "http://user:S3#CRET@127.0.0.1:9/simple/",
    "http://user:S3@CRET@127.0.0.1:9/simple/",
    "http://user:12?S3CRET@127.0.0.1:9/simple/",
    "http://us?er:S3CRET@127.0.0.1:9/simple/",
    "http://S3CRET@127.0.0.1:9/simple/",
    "http://127.0.0.1:9/simple/?token=S3CRET",
    "user:S3CRET@127.0.0.1:9/simple/",
    "//user:S3CRET@127.0.0.1:9/simple/",
    "http://user:S3\\CRET@127.0.0.1:9/simple/",
];

fn assert_no_secret(project: &Project, output: &std::process::Output, form: &str) {
    let inputs = ["uv.lock", "poetry.lock", "pyproject.toml"];
    for (what, text) in
        project.everything_written(output).into_iter().filter(|(what, _)| !inputs.contains(&what.as_str()))
    {
        assert!(!text.contains("S3") && !text.contains("CRET"), "{form}: {what} shows the secret:\n{text}");
    }
}

#[test]
fn a_credential_in_any_form_of_index_url_stays_secret() {
    // Given on the command line: refused, or the run fails offline naming the index.
    for form in ODD_INDEX_URLS {
        let project = Project::fixture("poetry-2.0");
        let output = project.run(&["--offline", "-v", "--index-url", form, "-o", "out.nix"]);
        assert_eq!(output.status.code(), Some(1), "{form}: {}", stderr(&output));
        assert_no_secret(&project, &output, form);
    }
    // Named by a uv.lock, for a package with a locked wheel (written) and one without (the run
    // must ask the index, and cannot offline). A registry without a scheme is a folder to uv.
    for form in ODD_INDEX_URLS.into_iter().filter(|form| form.contains("://")) {
        let wheel = form.replacen("/simple/", "/files/six-1.16.0-py2.py3-none-any.whl", 1);
        let lock = |with_unlisted: bool| {
            let unlisted = if with_unlisted {
                format!("\n[[package]]\nname = \"idna\"\nversion = \"3.10\"\nsource = {{ registry = \"{form}\" }}\n")
            } else {
                String::new()
            };
            let deps = if with_unlisted { "[{ name = \"six\" }, { name = \"idna\" }]" } else { "[{ name = \"six\" }]" };
            format!(
                "version = 1\nrevision = 3\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\ndependencies = {deps}\n\n[[package]]\nname = \"six\"\nversion = \"1.16.0\"\nsource = {{ registry = \"{form}\" }}\nwheels = [{{ url = \"{}\", hash = \"{HASH}\" }}]\n{unlisted}",
                wheel.replace('\\', "\\\\"),
            )
            .replace(&format!("registry = \"{form}\""), &format!("registry = \"{}\"", form.replace('\\', "\\\\")))
        };
        for with_unlisted in [false, true] {
            let project = Project::empty();
            project.write("uv.lock", &lock(with_unlisted)).write("pyproject.toml", PYPROJECT);
            let output = project.run(&["--offline", "--no-infer", "-v", "-o", "out.nix", "uv.lock"]);
            assert_eq!(output.status.success(), !with_unlisted, "{form}: {}", stderr(&output));
            assert_no_secret(&project, &output, form);
        }
    }
}

/// Issue 11: lock data in a message cannot drive the terminal: escape sequences and other
/// control characters are shown escaped, and each message stays one line.
#[test]
fn control_characters_from_the_lock_are_escaped_in_messages() {
    let project = Project::empty();
    let lock = lock_with_edge_marker("python_version > '3'")
        .replace("version = \"1.16.0\"", "version = \"1.16\\u001b]0;pwned\\u0007\\u001b[2J\\nnext\"");
    project.write("uv.lock", &lock).write("pyproject.toml", PYPROJECT);
    let (out, _) = run(&project);
    insta::assert_snapshot!(run_text(&out, &[]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: uv.lock: package `six 1.16\u{1b}]0;pwned\u{7}\u{1b}[2J\nnext`: invalid version: after parsing `1.16`, found `\u{1b}]0;pwned\u{7}\u{1b}[2J\nnext`, which is not part of a valid version
    ");
    let err = stderr(&out);
    assert!(!err.trim_end().bytes().any(|b| b.is_ascii_control()), "a raw control character: {err:?}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
