//! The shared corpus of real public locks (poetry.lock or uv.lock, with their pyproject.toml),
//! end to end.
//!
//! For every case directory with a poetry.lock or a uv.lock under the corpus (`../shared/corpus` next to
//! the repository, or `$LOCK2NIX_CORPUS`):
//!
//! 1. the lock is read with the library; a lock with a package from elsewhere than the default
//!    index (git, url, directory, file, or a named index) counts as *foreign*;
//! 2. a PEP 691 index synthesized from the lock itself is served on 127.0.0.1 (every locked
//!    file, with the lock's sha256; a uv.lock, which records every file's URL, must send it no
//!    request) and the `lock2nix` binary is run against it in the case
//!    directory, with every named index source pointed at it (`--source NAME=URL`). A foreign
//!    lock whose git or url remotes this machine cannot reach (or whose path sources are not in
//!    the corpus) must stop with the one-line unreachable-remote (or missing-path) error; it is
//!    then generated again with `--allow-missing`;
//! 3. the output is parsed (`nix-instantiate --parse`) and evaluated with
//!    `nix/tests/eval-overlay.nix` against the nixpkgs stub for the 4 systems × the oldest
//!    and the newest CPython the file was generated for, in one `nix-instantiate` call per
//!    lock.
//!
//! Every failure (case, stage, message) is collected and reported at once at the end. The
//! summary is printed and written to `target/corpus-report.txt` for CI.
//!
//! When the corpus is absent the test says so and passes, except when `CI` is set (CI has
//! the corpus) or `LOCK2NIX_CORPUS` names a folder that does not exist.
// Tests print their measurements.
#![allow(clippy::print_stderr)]

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use lock2nix::testing::model::{FileHash, Lock, Source};
use serde_json::{Value, json};
use support::corpus::{CaseOutcome, find_cases, foreign_sources, lock_of, output_within, run_cases};
use support::evaluate::{
    PairResult, SYSTEMS, evaluate_pairs, evaluation_pairs, nix_parse, root_attribute, short_error,
};
use support::nix::require_nix;
use support::{IndexServer, Reply};

/// Copies every generated file to `<this folder>/<case>/python-packages.nix` (for debugging).
const KEEP_ENV: &str = "LOCK2NIX_CORPUS_KEEP";
/// A hang guard for one lock2nix run, far above what any corpus lock needs.
const GENERATE_TIMEOUT: Duration = Duration::from_mins(10);

fn report_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("corpus-report.txt")
}

/// One failure of one case.
struct Failure {
    case: String,
    stage: &'static str,
    message: String,
}

/// What happened to one case.
#[derive(Default)]
struct Outcome {
    /// `None` when the lock could not even be read.
    eligible: Option<bool>,
    /// Some package comes from git, a url, a path or a named index.
    foreign: bool,
    /// The error a first run stopped with (an unreachable remote or a missing path).
    stopped: Option<String>,
    /// One line for the report.
    line: String,
    generated: bool,
    evaluated: bool,
    /// Evaluated targets whose environment throws because the lock ships no artifact that
    /// can install on them (checked against the lock's file names).
    not_installable: Vec<String>,
    /// Evaluated targets.
    targets: usize,
    failures: Vec<(&'static str, String)>,
}

impl Outcome {
    fn fail(&mut self, stage: &'static str, message: impl Into<String>) {
        self.failures.push((stage, message.into()));
    }
}

impl CaseOutcome for Outcome {
    fn panicked(message: String) -> Self {
        let mut outcome = Self::default();
        outcome.fail("test", message);
        outcome
    }

    fn status(&self) -> &'static str {
        if !self.failures.is_empty() {
            "FAIL"
        } else if self.eligible == Some(true) {
            "ok"
        } else {
            "skip"
        }
    }

    fn line_mut(&mut self) -> &mut String {
        &mut self.line
    }
}

#[test]
fn every_corpus_lock_generates_and_evaluates() {
    let started = Instant::now();
    let Some(corpus) = support::corpus::locate("corpus", &report_path()) else { return };
    let evaluate = require_nix("corpus");

    let cases = find_cases(&corpus, "corpus", &["poetry.lock", "uv.lock", "pylock.toml", "pylock.*.toml"]);
    let keep = std::env::var_os(KEEP_ENV).filter(|k| !k.is_empty()).map(PathBuf::from);

    let outcomes =
        run_cases("corpus", &cases, |name, dir| run_case(dir, evaluate, keep.as_ref().map(|k| k.join(name))));

    let total = cases.len();
    let eligible = outcomes.values().filter(|o| o.eligible == Some(true)).count();
    let generated = outcomes.values().filter(|o| o.eligible == Some(true) && o.generated).count();
    let evaluated = outcomes.values().filter(|o| o.eligible == Some(true) && o.evaluated).count();
    let failures: Vec<Failure> = outcomes
        .iter()
        .flat_map(|(i, o)| {
            o.failures.iter().map(|(stage, message)| Failure {
                case: cases[*i].0.clone(),
                stage,
                message: message.clone(),
            })
        })
        .collect();

    let foreign = outcomes.values().filter(|o| o.foreign).count();
    let stopped = outcomes.values().filter(|o| o.stopped.is_some()).count();
    let mut summary = format!(
        "corpus: {eligible} of {total} locks read; {foreign} take packages from git, url, path or named-index sources: {} of them generated as they are, {stopped} stopped with the unreachable-remote or missing-path error (then generated with --allow-missing); ",
        foreign - stopped
    );
    if evaluate {
        write!(
            summary,
            "{evaluated} of {eligible} generated and evaluated for {} systems × oldest/newest CPython",
            SYSTEMS.len()
        )
        .unwrap();
        let targets: usize = outcomes.values().map(|o| o.targets).sum();
        let not_installable: usize = outcomes.values().map(|o| o.not_installable.len()).sum();
        let locks = outcomes.values().filter(|o| !o.not_installable.is_empty()).count();
        write!(
            summary,
            " ({targets} targets; {not_installable} of them, in {locks} locks, need a package the lock ships no installable file for)"
        )
        .unwrap();
    } else {
        write!(summary, "{generated} of {eligible} generated; evaluation skipped (Nix tests skipped)").unwrap();
    }
    let unreadable = outcomes.values().filter(|o| o.eligible.is_none()).count();
    if unreadable > 0 {
        write!(summary, "; {unreadable} locks could not be read").unwrap();
    }
    write!(summary, " ({:.1} s)", started.elapsed().as_secs_f64()).unwrap();

    let mut report = format!("{summary}\n\n");
    for outcome in outcomes.values() {
        writeln!(report, "{}", outcome.line).unwrap();
        for target in &outcome.not_installable {
            writeln!(report, "       not installable: {target}").unwrap();
        }
    }
    if !failures.is_empty() {
        writeln!(report, "\n{} failures:", failures.len()).unwrap();
        for f in &failures {
            writeln!(report, "\n--- {} [{}]\n{}", f.case, f.stage, f.message.trim_end()).unwrap();
        }
    }
    let path = report_path();
    let written = std::fs::create_dir_all(path.parent().unwrap()).and_then(|()| std::fs::write(&path, &report));
    eprintln!("{summary}");
    match written {
        Ok(()) => eprintln!("corpus: report written to target/corpus-report.txt"),
        Err(e) => eprintln!("corpus: cannot write target/corpus-report.txt: {e}"),
    }

    assert!(
        failures.is_empty(),
        "{summary}\n{} failures (every eligible lock must generate and evaluate):\n{}",
        failures.len(),
        failures
            .iter()
            .map(|f| format!("\n--- {} [{}]\n{}", f.case, f.stage, f.message.trim_end()))
            .collect::<Vec<_>>()
            .concat()
    );
}

fn run_case(dir: &Path, evaluate: bool, keep: Option<PathBuf>) -> Outcome {
    let mut outcome = Outcome::default();
    let lock_file = lock_of(dir);
    let lock_file = lock_file.as_str();
    let lock = match lock2nix::testing::lockfile::read(&dir.join(lock_file)) {
        Ok(lock) => lock,
        Err(e) => {
            outcome.fail("read", format!("lock2nix::testing::lockfile::read failed: {e}"));
            return outcome;
        }
    };
    let foreign = foreign_sources(&lock);
    outcome.eligible = Some(true);
    outcome.foreign = !foreign.is_empty();
    // A lock that records file URLs (uv.lock) is not pointed at the synthesized index: it
    // must need no index at all.
    let records_urls = lock
        .packages
        .iter()
        .filter(|p| matches!(p.source, Source::Registry { .. }))
        .flat_map(|p| &p.files)
        .all(|f| f.locked_location().is_some());
    let mut named: Vec<String> = lock
        .packages
        .iter()
        .filter(|_| !records_urls)
        .filter_map(|p| match &p.source {
            Source::Registry { index: Some(index) } => Some(index.name.clone()),
            _ => None,
        })
        .collect();
    named.sort();
    named.dedup();

    // 2. Generate against an index synthesized from the lock.
    let server = synthesized_index(&lock);
    let work = tempfile::tempdir().expect("a temporary directory");
    let output_path = work.path().join("python-packages.nix");
    let generate_started = Instant::now();
    let mut ran = run_lock2nix(dir, lock_file, &server, work.path(), &output_path, &named, false);
    let mut prefix = String::new();
    if let Ok(output) = &ran {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let remote_or_path = stderr.contains("cannot reach") || stderr.contains("is not an existing");
        if outcome.foreign && !output.status.success() && remote_or_path {
            // One error line, then at most its hint.
            let lines: Vec<&str> = stderr.trim_end().lines().collect();
            let one_error = match lines[..] {
                [error] => error.starts_with("lock2nix: error: "),
                [error, hint] => error.starts_with("lock2nix: error: ") && hint.starts_with("lock2nix: hint: "),
                _ => false,
            };
            if !one_error {
                outcome
                    .fail("generate", format!("the unreachable-remote error is not one line and its hint:\n{stderr}"));
            }
            outcome.stopped = Some(stderr.trim().to_string());
            prefix = format!("stopped: {}; ", stderr.trim());
            ran = run_lock2nix(dir, lock_file, &server, work.path(), &output_path, &named, true);
        }
    }
    let generate_time = generate_started.elapsed();
    let mut line = format!(
        "{} packages{}, {prefix}generated in {:.1} s",
        lock.packages.len(),
        if foreign.is_empty() { String::new() } else { format!(" ({} not from the default index)", foreign.len()) },
        generate_time.as_secs_f64()
    );
    match ran {
        Err(message) => {
            outcome.fail("generate", message);
            outcome.line = line;
            return outcome;
        }
        Ok(output) if !output.status.success() => {
            outcome.fail(
                "generate",
                format!(
                    "lock2nix {lock_file} exited with {}\n{}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim_end()
                ),
            );
            outcome.line = line;
            return outcome;
        }
        Ok(_) => {}
    }
    let text = match std::fs::read_to_string(&output_path) {
        Ok(text) => text,
        Err(e) => {
            outcome.fail("generate", format!("lock2nix exited 0 but wrote no readable output file: {e}"));
            outcome.line = line;
            return outcome;
        }
    };
    outcome.generated = true;
    if let Some(keep) = keep {
        let kept =
            std::fs::create_dir_all(&keep).and_then(|()| std::fs::write(keep.join("python-packages.nix"), &text));
        if let Err(e) = kept {
            eprintln!("corpus: cannot keep the output in {}: {e}", keep.display());
        }
    }
    let requests = server.total_hits();
    write!(line, " ({requests} index requests)").unwrap();
    let from_an_index = lock.packages.iter().any(|p| matches!(p.source, Source::Registry { .. }));
    if requests == 0 && from_an_index && !records_urls {
        outcome.fail("generate", "lock2nix never asked the synthesized index (with an empty cache)");
    }
    if requests > 0 && records_urls {
        outcome.fail(
            "generate",
            format!("the lock records every file's URL and hash, yet lock2nix sent {requests} index requests"),
        );
    }
    drop(server);
    match check_sources(&text, &lock) {
        Ok(checked) => write!(line, ", {checked} src urls/hashes match the lock").unwrap(),
        Err(message) => outcome.fail("output", message),
    }

    if !evaluate {
        outcome.line = line;
        return outcome;
    }

    // 3. Parse and evaluate.
    if let Err(message) = nix_parse(&output_path) {
        outcome.fail("parse", message);
    }
    let Some(root) = root_attribute(&text) else {
        outcome.fail(
            "evaluate",
            "no `# The project itself:` comment followed by `  <name> = final.buildPythonPackage {` in the output",
        );
        outcome.line = line;
        return outcome;
    };
    let pairs = match evaluation_pairs(&text) {
        Ok(pairs) => pairs,
        Err(message) => {
            outcome.fail("evaluate", message);
            outcome.line = line;
            return outcome;
        }
    };
    let eval_started = Instant::now();
    let results = evaluate_pairs(&output_path, &root, &pairs);
    write!(line, ", evaluated {} targets in {:.1} s", pairs.len(), eval_started.elapsed().as_secs_f64()).unwrap();
    outcome.targets = pairs.len();
    match results {
        Ok(results) => {
            let mut failed = false;
            let mut throws = Vec::new();
            let mut count = None;
            for ((system, python), result) in pairs.iter().zip(&results) {
                match result {
                    PairResult::Ok { throws: names, count: n } => {
                        count = Some(*n);
                        throws.push(format!("{system}/{python} {}", names.len()));
                    }
                    // A package whose remote or path is not here throws, as --allow-missing says.
                    PairResult::Failed(stderr) if outcome.stopped.is_some() && stderr.contains("(--allow-missing)") => {
                        throws.push(format!("{system}/{python} needs an unreachable source"));
                    }
                    PairResult::Failed(stderr) => match not_installable(&lock, system, python, stderr) {
                        Ok(why) => {
                            outcome.not_installable.push(format!("{system}/{python}: {why}"));
                            throws.push(format!("{system}/{python} not installable"));
                        }
                        Err(message) => {
                            failed = true;
                            throws.push(format!("{system}/{python} FAILED"));
                            outcome.fail("evaluate", format!("{system} CPython {python}: {message}"));
                        }
                    },
                }
            }
            if let Some(count) = count {
                write!(line, "; {count} attributes").unwrap();
            }
            write!(line, "; root {root}; throwing attributes: {}", throws.join(", ")).unwrap();
            outcome.evaluated = !failed && outcome.failures.is_empty();
        }
        Err(message) => outcome.fail("evaluate", message),
    }
    outcome.line = line;
    outcome
}

/// A PEP 691 page per package name listing every locked file of that name (all versions),
/// each at `/files/<filename>` with the lock's sha256.
fn synthesized_index(lock: &Lock) -> IndexServer {
    let server = IndexServer::start();
    let mut pages: BTreeMap<String, BTreeMap<String, Option<String>>> = BTreeMap::new();
    for package in &lock.packages {
        let files = pages.entry(package.name.to_string()).or_default();
        for file in &package.files {
            let sha256 = file.sha256().map(|sha256| sha256.hex());
            let slot = files.entry(file.filename.clone()).or_default();
            if slot.is_none() {
                *slot = sha256;
            }
        }
    }
    for (name, files) in pages {
        let files: Vec<Value> = files
            .into_iter()
            .map(|(filename, sha256)| {
                let hashes = match sha256 {
                    Some(hex) => json!({ "sha256": hex }),
                    None => json!({}),
                };
                json!({ "filename": filename, "url": server.url(&format!("/files/{filename}")), "hashes": hashes })
            })
            .collect();
        let body = json!({ "meta": { "api-version": "1.1" }, "name": name, "files": files }).to_string();
        server.route(format!("/simple/{name}/"), vec![Reply::json(body)]);
    }
    server
}

/// Every `url = "…";` of the output is a file the synthesized index served (under
/// `http://127.0.0.1:PORT/files/`), and the `hash = "sha256-…";` after it is the lock's
/// sha256 of that file.
fn check_sources(text: &str, lock: &Lock) -> Result<usize, String> {
    use base64::Engine as _;
    let mut locked: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for file in lock.packages.iter().flat_map(|p| &p.files) {
        locked.entry(&file.filename).or_insert_with(|| file.sha256().map(|sha256| sha256.hex()));
    }
    // Url sources keep the lock's URL; git sources are fetchgit, checked by the git tests.
    let mut own_urls: BTreeMap<String, Option<String>> = BTreeMap::new();
    for file in lock.packages.iter().flat_map(|p| &p.files) {
        if let Some((url, sha256)) = file.locked_location() {
            own_urls.insert(url.redacted(), Some(sha256.hex()));
        }
    }
    for package in &lock.packages {
        match &package.source {
            Source::Url { url, .. } => {
                let sha256 = package.files.iter().find_map(|f| f.hash.as_ref()).and_then(FileHash::sha256);
                own_urls.insert(url.redacted(), sha256.map(|sha256| sha256.hex()));
            }
            Source::Git { url, .. } => {
                own_urls.insert(url.redacted(), None);
            }
            _ => {}
        }
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(url) = line.strip_prefix("url = \"").and_then(|l| l.strip_suffix("\";")) else { continue };
        let hex_at = |k: usize| {
            lines
                .get(k)
                .and_then(|l| l.strip_prefix("hash = \"sha256-"))
                .and_then(|l| l.strip_suffix("\";"))
                .and_then(|h| base64::engine::general_purpose::STANDARD.decode(h).ok())
                .map(|bytes| support::hex(&bytes))
        };
        match own_urls.get(url) {
            Some(Some(expected)) if hex_at(i + 1).as_ref() == Some(expected) => {
                checked += 1;
                continue;
            }
            Some(Some(expected)) => {
                problems
                    .push(format!("line {}: the url source {url} is not given the lock's sha256 {expected}", i + 1));
                continue;
            }
            Some(None) => continue,
            None => {}
        }
        let filename = match url.strip_prefix("http://127.0.0.1:").and_then(|rest| rest.split_once("/files/")) {
            Some((port, filename)) if port.bytes().all(|b| b.is_ascii_digit()) => filename,
            _ => {
                problems.push(format!("line {}: url {url} is not a file of the synthesized index", i + 1));
                continue;
            }
        };
        let Some(expected) = locked.get(filename) else {
            problems.push(format!("line {}: {filename} is not a locked file", i + 1));
            continue;
        };
        let hash =
            lines.get(i + 1).and_then(|l| l.strip_prefix("hash = \"sha256-")).and_then(|l| l.strip_suffix("\";"));
        let hex = hash
            .and_then(|h| base64::engine::general_purpose::STANDARD.decode(h).ok())
            .map(|bytes| support::hex(&bytes));
        match (hex, expected) {
            (Some(hex), Some(expected)) if hex == *expected => checked += 1,
            (hex, expected) => problems.push(format!(
                "line {}: {filename} has hash {:?} (as hex {hex:?}) in the output, the lock says {expected:?}",
                i + 2,
                lines.get(i + 1)
            )),
        }
    }
    if problems.is_empty() { Ok(checked) } else { Err(problems.join("\n")) }
}

/// `lock2nix LOCK --index-url … --cache-dir … -o … -q` in the case directory, with
/// nothing from the environment pointing it at another index, cache or proxy.
fn run_lock2nix(
    dir: &Path,
    lock_file: &str,
    server: &IndexServer,
    work: &Path,
    output: &Path,
    named: &[String],
    allow_missing: bool,
) -> Result<Output, String> {
    let index = server.index_url();
    let mut command = Command::new(env!("CARGO_BIN_EXE_lock2nix"));
    command
        .current_dir(dir)
        .arg(lock_file)
        .args(["--index-url", &index])
        .arg("--cache-dir")
        .arg(work.join("cache"))
        .arg("-o")
        .arg(output)
        .arg("-q")
        // The synthesized index lists made-up file URLs: nothing to download for inference.
        .arg("--no-infer");
    for name in named {
        command.arg("--source").arg(format!("{name}={index}"));
    }
    if allow_missing {
        command.arg("--allow-missing");
    }
    support::project::hermetic(&mut command, work);
    output_within(command, GENERATE_TIMEOUT)
}

// ------------------------------------------------------------------ targets a lock cannot serve

/// The throw lock2nix renders for a package none of whose locked files installs on a target.
const NO_ARTIFACT: &str = "no locked wheel fits this platform and there is no sdist";
/// The throw of a package whose sdist the override database (or a flag) forbids to build.
const SDIST_FORBIDDEN: &str = "no locked wheel fits this platform and the sdist is not to be built";

/// When `stderr` is lock2nix's "cannot be installed" throw for this target and the lock
/// really ships no artifact for the named package that installs there (checked here against
/// the locked file names, independently of lock2nix), a short description: the lock cannot
/// serve this target, which is not an error of lock2nix. Otherwise the error to report.
fn not_installable(lock: &Lock, system: &str, python: &str, stderr: &str) -> Result<String, String> {
    let short = short_error(stderr);
    let flat = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    let claim = flat.split("lock2nix: ").skip(1).find_map(|rest| {
        let mut words = rest.split(' ');
        let (name, version) = (words.next()?, words.next()?);
        let rest = words.collect::<Vec<_>>().join(" ");
        let head = format!("cannot be installed on {system} with CPython {python}: ");
        let why = rest.strip_prefix(&head)?;
        let forbidden = why.starts_with(SDIST_FORBIDDEN);
        (why.starts_with(NO_ARTIFACT) || forbidden).then(|| (name.to_owned(), version.to_owned(), forbidden))
    });
    let Some((name, version, sdist_forbidden)) = claim else { return Err(short) };
    let wanted = lock2nix::PackageName::from_owned(name.clone()).ok();
    let package = lock.packages.iter().find(|p| Some(&p.name) == wanted.as_ref() && p.version_text == version);
    let Some(package) = package else {
        return Err(format!("{short}\n(the lock has no package {name} {version})"));
    };
    let minor: u32 = python
        .strip_prefix("3.")
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| format!("{short}\n(unexpected CPython {python})"))?;
    if let Some(sdist) = package.files.iter().find(|f| is_sdist(&f.filename)).filter(|_| !sdist_forbidden) {
        return Err(format!("{short}\nbut the lock lists the sdist {} for {name} {version}", sdist.filename));
    }
    if let Some(wheel) = package.files.iter().find(|f| wheel_installs(&f.filename, system, minor)) {
        return Err(format!(
            "{short}\nbut the locked wheel {} installs on {system} with CPython {python}",
            wheel.filename
        ));
    }
    if sdist_forbidden {
        return Ok(format!("{name} {version} has no locked wheel for it and its sdist is not built"));
    }
    Ok(format!("{name} {version} has no locked file for it ({} files, none an sdist)", package.files.len()))
}

fn is_sdist(filename: &str) -> bool {
    [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"].iter().any(|ext| filename.ends_with(ext))
}

/// Whether a wheel certainly installs on `system` with CPython 3.`minor`: a
/// `cp3M-cp3M`/`cp3M-abi3`/`cp3X-abi3` (X ≤ M)/`cp3M-none`/`py3[X]-none` tag, on `any`, on
/// manylinux up to glibc 2.40 for the system's architecture, or on macOS up to 14.0 for it
/// (lock2nix's default --glibc and --macos-version).
fn wheel_installs(filename: &str, system: &str, minor: u32) -> bool {
    let Some(stem) = filename.strip_suffix(".whl") else { return false };
    let parts: Vec<&str> = stem.split('-').collect();
    if parts.len() < 5 {
        return false;
    }
    let (pythons, abis, platforms) = (parts[parts.len() - 3], parts[parts.len() - 2], parts[parts.len() - 1]);
    let tag_fits = pythons.split('.').any(|py| {
        abis.split('.').any(|abi| {
            if let Some(x) = py.strip_prefix("cp3").and_then(|x| x.parse::<u32>().ok()) {
                (x == minor && (abi == format!("cp3{minor}") || abi == "abi3" || abi == "none"))
                    || (x < minor && abi == "abi3")
            } else if py == "py3" {
                abi == "none"
            } else if let Some(x) = py.strip_prefix("py3").and_then(|x| x.parse::<u32>().ok()) {
                x <= minor && abi == "none"
            } else {
                false
            }
        })
    });
    tag_fits && platforms.split('.').any(|platform| platform_fits(platform, system))
}

fn platform_fits(platform: &str, system: &str) -> bool {
    /// `A_B_rest` → ((A, B), rest).
    fn versioned(text: &str) -> Option<((u32, u32), &str)> {
        let (a, rest) = text.split_once('_')?;
        let (b, rest) = rest.split_once('_')?;
        Some(((a.parse().ok()?, b.parse().ok()?), rest))
    }
    if platform == "any" {
        return true;
    }
    match system {
        "x86_64-linux" | "aarch64-linux" => {
            let arch = system.split('-').next().unwrap();
            let legacy = match arch {
                "x86_64" => ["manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64"].contains(&platform),
                _ => platform == "manylinux2014_aarch64",
            };
            legacy
                || platform
                    .strip_prefix("manylinux_")
                    .and_then(versioned)
                    .is_some_and(|(glibc, rest)| rest == arch && glibc <= (2, 40))
        }
        "x86_64-darwin" | "aarch64-darwin" => {
            let arches: &[&str] =
                if system == "x86_64-darwin" { &["x86_64", "universal2"] } else { &["arm64", "universal2"] };
            platform
                .strip_prefix("macosx_")
                .and_then(versioned)
                .is_some_and(|(macos, rest)| arches.contains(&rest) && macos <= (14, 0))
        }
        _ => false,
    }
}

#[test]
fn the_independent_wheel_check_knows_the_common_tags() {
    assert!(wheel_installs("torch-2.7.1-cp310-none-macosx_11_0_arm64.whl", "aarch64-darwin", 10));
    assert!(!wheel_installs("torch-2.7.1-cp310-none-macosx_11_0_arm64.whl", "aarch64-darwin", 11));
    assert!(!wheel_installs("torch-2.7.1-cp313-cp313t-manylinux_2_28_x86_64.whl", "x86_64-linux", 14));
    assert!(wheel_installs("torch-2.7.1-cp313-cp313-manylinux_2_28_x86_64.whl", "x86_64-linux", 13));
    assert!(!wheel_installs("torch-2.7.1-cp313-cp313-manylinux_2_41_x86_64.whl", "x86_64-linux", 13));
    assert!(wheel_installs("sourcery-1.33.0-py2.py3-none-macosx_10_9_universal2.whl", "x86_64-darwin", 9));
    assert!(!wheel_installs("sourcery-1.33.0-py2.py3-none-manylinux1_x86_64.whl", "aarch64-linux", 9));
    assert!(wheel_installs("cryptography-43.0.0-cp39-abi3-manylinux_2_28_aarch64.whl", "aarch64-linux", 14));
    assert!(!wheel_installs("open3d-0.18.0-cp311-cp311-macosx_13_0_arm64.whl", "aarch64-darwin", 14));
    assert!(wheel_installs("six-1.16.0-py2.py3-none-any.whl", "x86_64-darwin", 14));
    assert!(wheel_installs("black-24.1.0-py3-none-any.whl", "aarch64-linux", 9));
    assert!(!wheel_installs("numpy-2.0.0-cp312-cp312-macosx_15_0_arm64.whl", "aarch64-darwin", 12));
    assert!(!wheel_installs("numpy-2.0.0-cp312-cp312-win_amd64.whl", "x86_64-linux", 12));
    assert!(!wheel_installs("numpy-2.0.0.tar.gz", "x86_64-linux", 12));
    assert!(
        is_sdist("numpy-2.0.0.tar.gz") && is_sdist("pyyaml-6.0.zip") && !is_sdist("six-1.16.0-py2.py3-none-any.whl")
    );
}

#[test]
fn the_root_and_the_targets_are_read_from_the_output() {
    let text = "# This file was generated by lock2nix\n# Systems: x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin; CPython 3.10, 3.9, 3.12\n{ pkgs, ... }:\n      my-app = final.buildPythonPackage {\n    };\nin\n{\n  lock2nix = {\n    format = 1;\n    project = \"my-app\";\n  };\n";
    assert_eq!(root_attribute(text).as_deref(), Some("my-app"));
    let pairs = evaluation_pairs(text).unwrap();
    assert_eq!(pairs.len(), 8);
    assert_eq!(pairs[0], ("x86_64-linux".to_owned(), "3.9".to_owned()));
    assert_eq!(pairs[1], ("x86_64-linux".to_owned(), "3.12".to_owned()));

    let text = "{ pkgs, ... }:\n  generated = [ \"x86_64-linux/3.10\" \"x86_64-linux/3.11\" \"aarch64-linux/3.11\" \"x86_64-darwin/3.11\" \"aarch64-darwin/3.11\" ];\n";
    let pairs = evaluation_pairs(text).unwrap();
    assert_eq!(pairs.len(), 5);
    assert_eq!(pairs[1], ("x86_64-linux".to_owned(), "3.11".to_owned()));
    assert!(evaluation_pairs("  generated = [ \"x86_64-linux/3.10\" ];\n").is_err(), "systems without a CPython");
    assert_eq!(root_attribute("      my-app = final.buildPythonPackage {\n"), None);
}

#[test]
fn only_a_throw_the_lock_confirms_counts_as_not_installable() {
    let lock = |files: &str| {
        let text = format!(
            "[[package]]\nname = \"Demo_Pkg\"\nversion = \"1.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = [{files}]\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\ncontent-hash = \"0\"\n"
        );
        lock2nix::testing::lockfile::poetry::parse(&text, "poetry.lock").unwrap()
    };
    let file = |name: &str| format!("{{file = \"{name}\", hash = \"sha256:{}\"}},", "a".repeat(64));
    let stderr = format!(
        "error: lock2nix: demo-pkg 1.0 cannot be installed on aarch64-linux with CPython 3.12: {NO_ARTIFACT}; pin a version\n"
    );
    let windows_only = lock(&file("demo_pkg-1.0-cp312-cp312-win_amd64.whl"));
    assert!(not_installable(&windows_only, "aarch64-linux", "3.12", &stderr).is_ok());
    // The throw is for another target than the one evaluated.
    assert!(not_installable(&windows_only, "x86_64-linux", "3.12", &stderr).is_err());
    let with_wheel = lock(&(file("demo_pkg-1.0-cp312-cp312-win_amd64.whl") + &file("demo_pkg-1.0-py3-none-any.whl")));
    let err = not_installable(&with_wheel, "aarch64-linux", "3.12", &stderr).unwrap_err();
    assert!(err.contains("demo_pkg-1.0-py3-none-any.whl installs"), "{err}");
    let with_sdist = lock(&file("demo_pkg-1.0.tar.gz"));
    assert!(not_installable(&with_sdist, "aarch64-linux", "3.12", &stderr).unwrap_err().contains("sdist"));
    let other = "error: lock2nix nix stub: fetchurl needs a hash\n";
    assert!(not_installable(&windows_only, "aarch64-linux", "3.12", other).is_err());
}
