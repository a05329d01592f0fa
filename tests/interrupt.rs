//! Interrupted runs (issue 11): SIGINT, SIGTERM or SIGHUP at any moment of a run leave no
//! temporary file in the output folder or the cache, the process ends with the shell's code
//! for the signal, and the next run gives the same file as a run never interrupted.
// Tests print their measurements.
#![allow(clippy::print_stderr)]

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::project::{Project, hermetic};
use support::synthetic::{Package, lock, serve};
use support::{IndexServer, Reply};

const PACKAGES: usize = 40;

fn packages() -> Vec<Package> {
    (0..PACKAGES).map(|i| Package::new(&format!("pkg{i}"), "1.0")).collect()
}

fn pyproject(packages: &[Package]) -> String {
    let deps = packages.iter().map(|p| format!("{} = \"*\"\n", p.name)).collect::<Vec<_>>().concat();
    format!(
        "[tool.poetry]\nname = \"app\"\nversion = \"1.0.0\"\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\n{deps}"
    )
}

/// Each page a little late, so that a run lasts long enough to be interrupted anywhere.
fn slow_index(packages: &[Package]) -> IndexServer {
    let server = serve(packages);
    for package in packages {
        let path = format!("/simple/{}/", package.name);
        let page = support::synthetic::page(&server, package);
        server.route(path, vec![Reply::json(page).delay(Duration::from_millis(15))]);
    }
    server
}

/// Every file or folder under `dir` whose name says it is temporary.
fn temporaries(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".tmp") || name.starts_with("lock2nix-git-") {
                found.push(entry.path().display().to_string());
            }
            if entry.path().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    found
}

/// A small deterministic generator (no dependency needed for spreading kill times).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

#[test]
fn a_run_interrupted_anywhere_leaves_no_temporary_file_and_the_next_run_is_unaffected() {
    let packages = packages();
    let server = slow_index(&packages);
    let index = server.index_url();
    let args = ["--cache-dir", "cache", "--index-url", &index, "--no-infer", "--jobs", "4", "-o", "out.nix"];

    // An uninterrupted run, in a project of its own: what every later run must give.
    let clean = Project::inline(&lock("2.0", &packages), &pyproject(&packages));
    let started = Instant::now();
    let output = clean.run_bare(&args);
    let full = started.elapsed();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let expected = clean.read("out.nix").unwrap();

    let project = Project::inline(&lock("2.0", &packages), &pyproject(&packages));
    let mut random = Lcg(11);
    let (mut interrupted, mut finished) = (0, 0);
    for round in 0..36 {
        let (signal, code) = [("INT", 130), ("TERM", 143), ("HUP", 129)][round % 3];
        // Every page fetched again, so that cache files are being written throughout the run.
        let mut round_args = args.to_vec();
        round_args.push("--refresh");
        let mut command = Command::new(env!("CARGO_BIN_EXE_lock2nix"));
        command.args(&round_args).current_dir(project.path()).stdout(Stdio::null()).stderr(Stdio::piped());
        hermetic(&mut command, project.path());
        let child = command.spawn().unwrap();
        std::thread::sleep(Duration::from_micros(
            random.below(u64::try_from(full.as_micros()).expect("a run's length in µs fits") + 1),
        ));
        let _ = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status();
        let status = child.wait_with_output().unwrap();
        match (status.status.code(), status.status.signal()) {
            (Some(0), _) => finished += 1,
            (Some(c), _) if c == code => interrupted += 1,
            // Before the handler is installed, the first microseconds: nothing written yet.
            (None, Some(number)) if number == code - 128 => interrupted += 1,
            other => panic!(
                "round {round}: SIG{signal} ended the run with {other:?}: {}",
                String::from_utf8_lossy(&status.stderr)
            ),
        }
        let left = temporaries(project.path());
        assert!(left.is_empty(), "round {round}: SIG{signal} left {left:?}");
        if let Some(nix) = project.read("out.nix") {
            assert_eq!(nix, expected, "round {round}: a partial or different output");
        }
    }
    assert!(interrupted >= 12, "only {interrupted} of 36 runs were interrupted mid-run ({finished} finished first)");

    // The next run, with whatever the interrupted ones cached, gives the same file.
    let output = project.run_bare(&args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(project.read("out.nix").unwrap(), expected);
    eprintln!("36 runs: {interrupted} interrupted, {finished} finished before the signal; a full run takes {full:?}");
}
