//! The shared corpus of real public poetry.lock + pyproject.toml pairs (`../shared/corpus`
//! next to the repository, or `$LOCK2NIX_CORPUS`): finding it and its cases, and running the
//! binary on them. Used by `tests/corpus.rs` and `tests/corpus_inference.rs`.
// Tests print their measurements.
#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lock2nix::testing::model::{Lock, Source};

/// Overrides the corpus location.
pub const CORPUS_ENV: &str = "LOCK2NIX_CORPUS";
/// Runs only the cases whose name contains this text (for debugging one lock).
pub const ONLY_ENV: &str = "LOCK2NIX_CORPUS_ONLY";

fn corpus_dir() -> (PathBuf, bool) {
    match std::env::var_os(CORPUS_ENV) {
        Some(dir) if !dir.is_empty() => (PathBuf::from(dir), true),
        _ => (Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"), false),
    }
}

/// The corpus folder, or `None` when there is none and the test may pass without it: then
/// `report` says so (no stale report from an earlier run may remain). Panics when `CI` is set
/// (CI has the corpus) or `$LOCK2NIX_CORPUS` names a folder that does not exist.
pub fn locate(label: &str, report: &Path) -> Option<PathBuf> {
    let (corpus, explicit) = corpus_dir();
    if corpus.is_dir() {
        return Some(corpus);
    }
    let shown = if explicit {
        format!("{} (${CORPUS_ENV})", corpus.display())
    } else {
        "../shared/corpus (next to the repository)".to_owned()
    };
    let message = format!("{label}: no corpus folder at {shown}");
    assert!(!(explicit || std::env::var_os("CI").is_some()), "{message}; CI (or an explicit ${CORPUS_ENV}) needs it");
    let message = format!("{message}; nothing to test, set ${CORPUS_ENV} to point at one");
    eprintln!("{message}");
    let _ = std::fs::create_dir_all(report.parent().unwrap()).and_then(|()| std::fs::write(report, message + "\n"));
    None
}

/// `(relative name, directory)` of every directory under `corpus` holding one of `locks`
/// (file names), sorted, narrowed by `$LOCK2NIX_CORPUS_ONLY`.
pub fn find_cases(corpus: &Path, label: &str, locks: &[&str]) -> Vec<(String, PathBuf)> {
    let mut cases = Vec::new();
    let mut stack = vec![corpus.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| locks.iter().any(|lock| matches(lock, n)))
            {
                let dir = path.parent().unwrap().to_path_buf();
                let name = dir.strip_prefix(corpus).unwrap_or(&dir).to_string_lossy().replace('\\', "/");
                cases.push((if name.is_empty() { ".".to_owned() } else { name }, dir));
            }
        }
    }
    cases.sort();
    assert!(!cases.is_empty(), "{label}: {} holds none of {locks:?}", corpus.display());
    if let Ok(only) = std::env::var(ONLY_ENV) {
        cases.retain(|(name, _)| name.contains(&only));
        eprintln!("{label}: ${ONLY_ENV}={only}: running {} cases", cases.len());
    }
    cases
}

/// `kind: name==version` of every package that does not come from the default index.
pub fn foreign_sources(lock: &Lock) -> Vec<String> {
    lock.packages
        .iter()
        .filter(|p| !matches!(p.source, Source::Registry { index: None }))
        .map(|p| {
            let kind = match &p.source {
                Source::Registry { index: Some(index) } => format!("index `{}`", index.name),
                other => other.kind().to_owned(),
            };
            format!("{kind} {}", p.id())
        })
        .collect()
}

/// Whether file `name` fits `pattern`, where one `*` stands for any text (`pylock.*.toml`).
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => name.len() > head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail),
    }
}

/// The lock a case directory holds: its poetry.lock, else its uv.lock, else its pylock.
pub fn lock_of(dir: &Path) -> String {
    for name in ["poetry.lock", "uv.lock", "pylock.toml"] {
        if dir.join(name).is_file() {
            return name.to_string();
        }
    }
    let mut pylocks: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| matches("pylock.*.toml", name))
        .collect();
    pylocks.sort();
    pylocks.into_iter().next().unwrap_or_else(|| panic!("no lock in {}", dir.display()))
}

/// Runs `command` to completion, killing it after `timeout`.
pub fn output_within(mut command: Command, timeout: Duration) -> Result<Output, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{command:?} did not finish within {} s and was killed", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ok(Output { status, stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default() })
}

/// Cases run at the same time (the machine has 2 cores; each case runs lock2nix and Nix).
const PARALLEL_CASES: usize = 2;

/// What a corpus test records for one case.
pub trait CaseOutcome: Send {
    /// The outcome of a case whose run panicked with `message`.
    fn panicked(message: String) -> Self;
    /// `FAIL`, `ok` or `skip`.
    fn status(&self) -> &'static str;
    /// The case's line for the report, without its status, name and time.
    fn line_mut(&mut self) -> &mut String;
}

/// Runs `run(name, dir)` for every case, [`PARALLEL_CASES`] at a time, each panic caught.
/// Each outcome's line gets the status, the name and the time in front and is printed as it
/// ends, prefixed with `label`. Outcomes by case index.
pub fn run_cases<O: CaseOutcome>(
    label: &str,
    cases: &[(String, PathBuf)],
    run: impl Fn(&str, &Path) -> O + Sync,
) -> BTreeMap<usize, O> {
    let next = AtomicUsize::new(0);
    let outcomes: Mutex<BTreeMap<usize, O>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_CASES.min(cases.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((name, dir)) = cases.get(i) else { break };
                    let started = Instant::now();
                    let mut outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(name, dir)))
                        .unwrap_or_else(|panic| O::panicked(format!("the case panicked: {}", panic_text(&panic))));
                    let status = outcome.status();
                    let line = outcome.line_mut();
                    *line = format!(
                        "{status:<4} {name} ({:.1} s){}{line}",
                        started.elapsed().as_secs_f64(),
                        if line.is_empty() { "" } else { ": " },
                    );
                    eprintln!("{label}: {line}");
                    outcomes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(i, outcome);
                }
            });
        }
    });
    outcomes.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The message of a caught panic.
pub fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(no message)".to_owned())
}
