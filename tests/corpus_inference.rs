//! Inference over the shared corpus with PyPI itself: for every lock whose packages all come
//! from PyPI, the `lock2nix` binary runs with inference on (all 4 systems, every CPython minor
//! the lock allows) against the live index, downloading each chosen sdist and manylinux wheel
//! once. The generated file's provenance comments are then counted per artifact:
//!
//! - sdists: build system inferred from the sdist's pyproject.toml, or from setup.py/setup.cfg;
//! - manylinux wheels: ELF files read (needing nixpkgs libraries, or nothing from nixpkgs),
//!   no ELF files, skipped over the size limit;
//! - anything inference could not read, and every unknown soname, by name.
//!
//! With Nix, each file is also evaluated against the nixpkgs stub for the 4 systems × the oldest
//! and the newest CPython, next to a file generated with `--no-infer` from the same cached
//! index: every target must evaluate exactly as it does without inference (the same derivation
//! or the same failure, the same attributes throwing), so inferred inputs never break a file.
//!
//! The counts are printed and written to `target/corpus-inference-report.txt` (CI prints it).
//! Artifacts larger than `$LOCK2NIX_CORPUS_INFER_MAX_SIZE` (default [`DEFAULT_MAX_SIZE`]) are
//! not downloaded, which keeps CI's download volume bounded (CUDA wheels are gigabytes): they
//! are counted as skipped, never as inferred. Facts are cached in
//! `target/corpus-inference-cache`, so a second local run downloads nothing (and uses the facts
//! an earlier run with a higher limit read).
//!
//! `#[ignore]`d because it needs PyPI; `.ci/run` runs it.
// Tests print their measurements.
#![allow(clippy::print_stderr)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::corpus::{CaseOutcome, find_cases, foreign_sources, locate, output_within, run_cases};
use support::evaluate::{PairResult, evaluate_pairs, evaluation_pairs, nix_parse, root_attribute, short_error};
use support::nix::require_nix;

const MAX_SIZE_ENV: &str = "LOCK2NIX_CORPUS_INFER_MAX_SIZE";
const DEFAULT_MAX_SIZE: &str = "100MB";
/// A hang guard for one run, downloads included.
const GENERATE_TIMEOUT: Duration = Duration::from_mins(20);

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}

/// What the output says about one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Finding {
    /// An sdist whose pyproject.toml declares `[build-system]` (or, without one, PEP 518's default).
    SdistPyproject,
    /// An sdist with setup.py or setup.cfg only: setuptools + wheel.
    SdistSetupPy,
    /// A manylinux wheel whose ELF files need libraries from nixpkgs (`buildInputs`).
    WheelNeedsNixpkgs,
    /// A manylinux wheel whose ELF files need nothing from nixpkgs (glibc, vendored, other wheels).
    WheelSelfContained,
    /// A manylinux wheel without ELF files.
    WheelNoElf,
    /// Not downloaded: over the size limit.
    TooLarge,
    /// Downloaded, but inference could not read it.
    Unreadable,
    /// No inference comment at all: a bug.
    Missing,
}

impl Finding {
    fn label(self) -> &'static str {
        match self {
            Self::SdistPyproject => "build system from pyproject.toml",
            Self::SdistSetupPy => "setuptools from setup.py/setup.cfg",
            Self::WheelNeedsNixpkgs => "ELF files need nixpkgs libraries",
            Self::WheelSelfContained => "ELF files need nothing from nixpkgs",
            Self::WheelNoElf => "no ELF files",
            Self::TooLarge => "over the size limit, not read",
            Self::Unreadable => "not readable",
            Self::Missing => "no inference comment",
        }
    }
}

/// One artifact of one generated file.
struct Artifact {
    file: String,
    finding: Finding,
    /// The comment that decided `finding` (for unreadable/missing ones).
    detail: String,
    unknown_sonames: Vec<String>,
}

fn is_sdist(file: &str) -> bool {
    [".tar.gz", ".tgz", ".tar", ".zip", ".tar.bz2", ".tar.xz"].iter().any(|suffix| file.ends_with(suffix))
}

fn is_manylinux_wheel(file: &str) -> bool {
    file.ends_with(".whl") && file.rsplit('-').next().is_some_and(|platform| platform.contains("manylinux"))
}

/// The sdists and manylinux wheels of a generated file with their `# lock2nix:` comments:
/// each `name = "<file>";` of a `fetchurl` starts an artifact, whose comments follow it.
fn artifacts(nix: &str) -> Vec<Artifact> {
    let mut by_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in nix.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("name = \"").and_then(|rest| rest.strip_suffix("\";")) {
            current = Some(name.to_string());
            by_file.entry(name.to_string()).or_default();
        } else if let (Some(comment), Some(file)) = (line.strip_prefix("# lock2nix: "), &current) {
            by_file.get_mut(file).unwrap().push(comment.to_string());
        } else if line.starts_with("pname = ") {
            current = None;
        }
    }
    by_file
        .into_iter()
        .filter(|(file, _)| is_sdist(file) || is_manylinux_wheel(file))
        .map(|(file, comments)| classify(file, &comments))
        .collect()
}

fn classify(file: String, comments: &[String]) -> Artifact {
    let find = |prefix: &str| comments.iter().find(|c| c.starts_with(prefix)).cloned();
    let unknown_sonames = find("unknown sonames")
        .and_then(|c| c.split_once(": ").map(|(_, list)| list.split(", ").map(str::to_string).collect()))
        .unwrap_or_default();
    let (finding, detail) = if is_sdist(&file) {
        if let Some(c) = find("inferred: build system ") {
            let setup = c.contains("setup.py (") || c.contains("setup.cfg (");
            (if setup { Finding::SdistSetupPy } else { Finding::SdistPyproject }, c)
        } else if let Some(c) = find("build system not inferred (") {
            (if c.contains("larger than the size limit") { Finding::TooLarge } else { Finding::Unreadable }, c)
        } else {
            (Finding::Missing, comments.join(" | "))
        }
    } else if let Some(c) = find("inferred: no ELF files") {
        (Finding::WheelNoElf, c)
    } else if let Some(c) = comments.iter().find(|c| c.starts_with("inferred: ") && c.contains(" need ")).cloned() {
        (Finding::WheelNeedsNixpkgs, c)
    } else if let Some(c) = find("inferred: ").filter(|c| c.contains("no library needed from nixpkgs")) {
        (Finding::WheelSelfContained, c)
    } else if let Some(c) = find("native libraries not inferred: ") {
        (if c.contains("larger than the size limit") { Finding::TooLarge } else { Finding::Unreadable }, c)
    } else {
        (Finding::Missing, comments.join(" | "))
    };
    Artifact { file, finding, detail, unknown_sonames }
}

/// What happened to one case.
#[derive(Default)]
struct Outcome {
    eligible: bool,
    artifacts: Vec<Artifact>,
    failure: Option<String>,
    line: String,
    /// Targets evaluated, with and without inference, alike.
    evaluated: usize,
}

impl CaseOutcome for Outcome {
    fn panicked(message: String) -> Self {
        Self { failure: Some(message), ..Self::default() }
    }

    fn status(&self) -> &'static str {
        match (&self.failure, self.eligible) {
            (Some(_), _) => "FAIL",
            (None, true) => "ok",
            (None, false) => "skip",
        }
    }

    fn line_mut(&mut self) -> &mut String {
        &mut self.line
    }
}

fn run_case(dir: &Path, cache: &Path, max_size: &str, evaluate: bool) -> Outcome {
    let mut outcome = Outcome::default();
    let lock = match lock2nix::testing::lockfile::read(&dir.join("poetry.lock")) {
        Ok(lock) => lock,
        Err(e) => {
            outcome.failure = Some(format!("lock2nix::testing::lockfile::read failed: {e}"));
            return outcome;
        }
    };
    let foreign = foreign_sources(&lock);
    if !foreign.is_empty() {
        outcome.line = format!("not only PyPI ({} packages, e.g. {})", foreign.len(), foreign[0]);
        return outcome;
    }
    outcome.eligible = true;
    let work = tempfile::tempdir().expect("a temporary directory");
    let inferred = work.path().join("inferred.nix");
    let run = match generate(dir, cache, work.path(), &inferred, &["--infer-max-size", max_size]) {
        Ok(run) => run,
        Err(message) => {
            outcome.failure = Some(message);
            return outcome;
        }
    };
    let nix = std::fs::read_to_string(&inferred).unwrap_or_default();
    outcome.artifacts = artifacts(&nix);
    let summary = run.lines().rfind(|l| l.contains("artifacts downloaded for inference")).unwrap_or_default();
    outcome.line = format!("{}; {}", counts(outcome.artifacts.iter()), summary.trim_start_matches("lock2nix: "));
    if evaluate {
        match evaluate_like_without_inference(dir, cache, work.path(), &inferred, &nix) {
            Ok(targets) => {
                outcome.evaluated = targets;
                let _ = write!(outcome.line, "; {targets} targets evaluate as without inference");
            }
            Err(message) => outcome.failure = Some(message),
        }
    }
    outcome
}

/// Runs lock2nix on the case's poetry.lock into `output`; its stderr on success.
fn generate(dir: &Path, cache: &Path, work: &Path, output: &Path, extra: &[&str]) -> Result<String, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lock2nix"));
    command.current_dir(dir).arg("poetry.lock").arg("--cache-dir").arg(cache).arg("-o").arg(output).args(extra);
    support::project::hermetic_live(&mut command, work);
    let run = output_within(command, GENERATE_TIMEOUT)?;
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    if run.status.success() { Ok(stderr) } else { Err(format!("lock2nix {extra:?} failed:\n{stderr}")) }
}

/// Evaluates the inferred file and one generated with `--no-infer` (offline: the index answers
/// are cached) for the same targets; they must agree target by target. The number of targets.
fn evaluate_like_without_inference(
    dir: &Path,
    cache: &Path,
    work: &Path,
    inferred: &Path,
    text: &str,
) -> Result<usize, String> {
    nix_parse(inferred)?;
    let plain = work.join("plain.nix");
    generate(dir, cache, work, &plain, &["--no-infer", "--offline"])?;
    let root = root_attribute(text).ok_or("no root attribute in the output")?;
    let pairs = evaluation_pairs(text)?;
    let with = evaluate_pairs(inferred, &root, &pairs)?;
    let without = evaluate_pairs(&plain, &root, &pairs)?;
    let mut differences = Vec::new();
    for (((system, python), a), b) in pairs.iter().zip(&with).zip(&without) {
        let same = match (a, b) {
            (PairResult::Ok { throws: t1, count: c1 }, PairResult::Ok { throws: t2, count: c2 }) => {
                t1 == t2 && c1 == c2
            }
            (PairResult::Failed(_), PairResult::Failed(_)) => true,
            _ => false,
        };
        if !same {
            let show = |r: &PairResult| match r {
                PairResult::Ok { throws, count } => format!("{count} attributes, throwing: {throws:?}"),
                PairResult::Failed(stderr) => format!("failed: {}", short_error(stderr)),
            };
            differences.push(format!("{system}/{python}: with inference {}; without {}", show(a), show(b)));
        }
    }
    if differences.is_empty() {
        Ok(pairs.len())
    } else {
        Err(format!("inference changed how the file evaluates:\n{}", differences.join("\n")))
    }
}

fn tally<'a>(artifacts: impl Iterator<Item = &'a Artifact>) -> BTreeMap<Finding, usize> {
    let mut counts = BTreeMap::new();
    for artifact in artifacts {
        *counts.entry(artifact.finding).or_insert(0) += 1;
    }
    counts
}

fn counts<'a>(artifacts: impl Iterator<Item = &'a Artifact>) -> String {
    let artifacts: Vec<&Artifact> = artifacts.collect();
    let counts = tally(artifacts.iter().copied());
    let n = |f: Finding| counts.get(&f).copied().unwrap_or(0);
    let sdists = artifacts.iter().filter(|a| is_sdist(&a.file)).count();
    let wheels = artifacts.len() - sdists;
    format!(
        "{sdists} sdists, {} build systems inferred; {wheels} manylinux wheels, {} native inputs inferred ({} need nixpkgs libraries)",
        n(Finding::SdistPyproject) + n(Finding::SdistSetupPy),
        n(Finding::WheelNeedsNixpkgs) + n(Finding::WheelSelfContained) + n(Finding::WheelNoElf),
        n(Finding::WheelNeedsNixpkgs)
    )
}

#[test]
#[ignore = "downloads the corpus's sdists and manylinux wheels from PyPI; .ci/run runs it"]
fn corpus_sdists_and_manylinux_wheels_get_inferred_facts() {
    let started = Instant::now();
    let report_path = target_dir().join("corpus-inference-report.txt");
    let Some(corpus) = locate("corpus inference", &report_path) else { return };
    let cases = find_cases(&corpus, "corpus inference", &["poetry.lock"]);
    let max_size = std::env::var(MAX_SIZE_ENV).unwrap_or_else(|_| DEFAULT_MAX_SIZE.to_string());
    let cache = target_dir().join("corpus-inference-cache");
    let evaluate = require_nix("corpus inference");

    let outcomes = run_cases("corpus inference", &cases, |_, dir| run_case(dir, &cache, &max_size, evaluate));

    // Per-lock artifacts, and the distinct files across the corpus (locks share many).
    let all: Vec<&Artifact> = outcomes.values().flat_map(|o| &o.artifacts).collect();
    let mut distinct: BTreeMap<&str, &Artifact> = BTreeMap::new();
    for artifact in &all {
        distinct.entry(&artifact.file).or_insert(artifact);
    }
    let eligible = outcomes.values().filter(|o| o.eligible).count();
    let evaluated: usize = outcomes.values().map(|o| o.evaluated).sum();
    let evaluation = if evaluate {
        format!("{evaluated} targets evaluate against the nixpkgs stub exactly as without inference")
    } else {
        "evaluation skipped (no Nix)".to_string()
    };
    let summary = format!(
        "corpus inference: {eligible} of {} locks come only from PyPI; {} distinct artifacts over all their targets: {}; {evaluation} (size limit {max_size}; {:.0} s)",
        cases.len(),
        distinct.len(),
        counts(distinct.values().copied()),
        started.elapsed().as_secs_f64()
    );
    let mut report = format!("{summary}\n\nDistinct artifacts by finding:\n");
    for (finding, count) in tally(distinct.values().copied()) {
        writeln!(report, "  {count:>5}  {}", finding.label()).unwrap();
    }
    let unknown: BTreeMap<&str, BTreeSet<&str>> = distinct.values().fold(BTreeMap::new(), |mut map, a| {
        for soname in &a.unknown_sonames {
            map.entry(soname.as_str()).or_default().insert(a.file.as_str());
        }
        map
    });
    writeln!(report, "\nUnknown sonames ({}), with the wheels that need them:", unknown.len()).unwrap();
    for (soname, files) in &unknown {
        let shown: Vec<&str> = files.iter().take(3).copied().collect();
        let more = if files.len() > 3 { format!(" and {} more", files.len() - 3) } else { String::new() };
        writeln!(report, "  {soname}: {}{more}", shown.join(", ")).unwrap();
    }
    let problems: Vec<&&Artifact> =
        distinct.values().filter(|a| matches!(a.finding, Finding::Unreadable | Finding::Missing)).collect();
    let skipped: Vec<&&Artifact> = distinct.values().filter(|a| a.finding == Finding::TooLarge).collect();
    writeln!(report, "\nOver the size limit ({}):", skipped.len()).unwrap();
    for artifact in &skipped {
        writeln!(report, "  {}", artifact.file).unwrap();
    }
    writeln!(report, "\nNot readable or without an inference comment ({}):", problems.len()).unwrap();
    for artifact in &problems {
        writeln!(report, "  {}: {}", artifact.file, artifact.detail).unwrap();
    }
    writeln!(report, "\nLocks:").unwrap();
    for outcome in outcomes.values() {
        writeln!(report, "{}", outcome.line).unwrap();
    }
    let failures: Vec<(&str, &str)> =
        outcomes.iter().filter_map(|(i, o)| o.failure.as_deref().map(|f| (cases[*i].0.as_str(), f))).collect();
    for (case, failure) in &failures {
        writeln!(report, "\n--- {case}\n{}", failure.trim_end()).unwrap();
    }
    let _ = std::fs::create_dir_all(target_dir()).and_then(|()| std::fs::write(&report_path, &report));
    eprintln!("{summary}\ncorpus inference: report written to target/corpus-inference-report.txt");

    assert!(failures.is_empty(), "{summary}\n{} locks failed to generate:\n{report}", failures.len());
    assert!(problems.is_empty(), "{summary}\ninference left {} artifacts without facts:\n{report}", problems.len());
    if std::env::var_os(support::corpus::ONLY_ENV).is_none() {
        // The corpus has sdists with each kind of build config and compiled wheels needing
        // nixpkgs libraries (greenlet's libstdc++, for one): a pass finding none read nothing.
        let found = tally(distinct.values().copied());
        for finding in [Finding::SdistPyproject, Finding::SdistSetupPy, Finding::WheelNeedsNixpkgs] {
            assert!(found.contains_key(&finding), "no artifact with {:?}:\n{report}", finding.label());
        }
    }
}

#[test]
fn inference_comments_classify_each_artifact() {
    let nix = r#"
  greenlet = final.buildPythonPackage (
    {
      pname = "greenlet";
        src = fetchurl {
          name = "greenlet-3.0.3-cp312-cp312-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl";
        };
        # lock2nix: inferred: 1 ELF file need stdenv.cc.cc.lib
        # lock2nix: unknown sonames (not in overrides/sonames.toml; add an override): libodd.so.1
        src = fetchurl {
          name = "greenlet-3.0.3-cp312-cp312-macosx_11_0_universal2.whl";
        };
        src = fetchurl {
          name = "greenlet-3.0.3.tar.gz";
        };
        # lock2nix: inferred: build system setuptools.build_meta from the sdist's pyproject.toml [build-system]
        src = fetchurl {
          name = "pyyaml-6.0.1.tar.gz";
        };
        # lock2nix: build system not inferred (not downloaded: larger than the size limit for inference (1 MB)); nixpkgs' setuptools and wheel
        src = fetchurl {
          name = "x-1.0-py3-none-manylinux1_x86_64.whl";
        };
        src = fetchurl {
          name = "old-1.0.tar.gz";
        };
        # lock2nix: inferred: build system setuptools.build_meta:__legacy__ from the sdist's setup.py (no pyproject.toml: setuptools)
"#;
    let found: Vec<(String, Finding, Vec<String>)> =
        artifacts(nix).into_iter().map(|a| (a.file, a.finding, a.unknown_sonames)).collect();
    assert_eq!(
        found,
        [
            (
                "greenlet-3.0.3-cp312-cp312-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl".into(),
                Finding::WheelNeedsNixpkgs,
                vec!["libodd.so.1".to_string()]
            ),
            ("greenlet-3.0.3.tar.gz".into(), Finding::SdistPyproject, vec![]),
            ("old-1.0.tar.gz".into(), Finding::SdistSetupPy, vec![]),
            ("pyyaml-6.0.1.tar.gz".into(), Finding::TooLarge, vec![]),
            ("x-1.0-py3-none-manylinux1_x86_64.whl".into(), Finding::Missing, vec![]),
        ]
    );
}
