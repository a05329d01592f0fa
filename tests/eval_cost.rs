//! Evaluation cost: forcing every package's drvPath on one system must cost at most 1.05× the
//! thunks per package of a minimal single-platform file with the same packages and no
//! selection logic, on fixtures, a synthetic lock and the corpus' largest poetry.lock and
//! uv.lock (BENCHMARKS.md records the figures).
// Tests print their measurements.
#![allow(clippy::print_stderr)]

mod support;
#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::path::Path;
use std::process::Command;

use lock2nix::testing::lockfile;
use lock2nix::testing::model::Source;
use lock2nix::testing::render::{Header, render, render_single_target};
use lock2nix::testing::resolve::ResolveOptions;
use lock2nix::{PythonMinor, System};
use support::nix::{NIX_SETTINGS, require_nix, stub_dir};
use support::render::render_dir;

/// Thunks allocated while forcing the drvPath of each of `names` in `file` (an overlay), or
/// with no overlay at all when `file` is `None`.
fn thunks(file: Option<&Path>, names: &[String], dir: &Path) -> u64 {
    let overlay =
        file.map_or("(final: prev: { })".to_string(), |f| format!("(import {} {{ inherit pkgs; }})", f.display()));
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let expr = format!(
        "let pkgs = import {stub} {{ system = \"x86_64-linux\"; }}; py = pkgs.python312.override {{ packageOverrides = {overlay}; self = py; }}; \
         in builtins.foldl' (n: name: builtins.seq (builtins.tryEval py.pkgs.${{name}}.drvPath).success (n + 1)) 0 [ {} ]",
        list.join(" "),
        stub = stub_dir().display(),
    );
    let stats = dir.join("stats.json");
    let output = Command::new("nix-instantiate")
        .args(["--eval", "--strict", "-E", &expr])
        .env("NIX_CONFIG", NIX_SETTINGS)
        .env("NIX_SHOW_STATS", "1")
        .env("NIX_SHOW_STATS_PATH", &stats)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    json["nrThunks"].as_u64().unwrap()
}

/// Empty folders and files where the lock's path sources are, relative to `dir`: evaluation
/// copies a path source to the store, so it must exist, but its content does not matter here.
fn stand_in_for_path_sources(project_dir: &Path, dir: &Path) {
    let lock_file = ["poetry.lock", "uv.lock"].into_iter().map(|n| project_dir.join(n)).find(|p| p.is_file()).unwrap();
    for package in lockfile::read(&lock_file).unwrap().packages {
        match &package.source {
            Source::Directory { path, .. } => std::fs::create_dir_all(dir.join(path)).unwrap(),
            Source::File { path } => {
                std::fs::create_dir_all(dir.join(path).parent().unwrap()).unwrap();
                std::fs::write(dir.join(path), "").unwrap();
            }
            _ => {}
        }
    }
}

/// The thunks per package of the generated file of the project in `dir` (its lock and
/// pyproject.toml) against the minimal single-target file, on x86_64-linux with CPython 3.12.
fn measure(label: &str, project_dir: &Path) -> f64 {
    let top = tempfile::tempdir().unwrap();
    // The files are written two folders down, so that a path source's `../` stays inside.
    let dir = top.path().join("a/b");
    let (plan, _) = render_dir(project_dir, &ResolveOptions::default(), |f| format!("https://files.example.org/{f}"));
    stand_in_for_path_sources(project_dir, &dir);
    let target = plan
        .targets
        .iter()
        .position(|t| t.system == System::X86_64Linux && t.python == PythonMinor(12))
        .expect("x86_64-linux/3.12 is a target");
    let header = Header { tool: "lock2nix".into(), command: "lock2nix".into(), notes: vec![] };
    let full = dir.join("full.nix");
    let single = dir.join("single.nix");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&full, render(&plan, &header).into_string()).unwrap();
    let single_text = render_single_target(&plan, &header, target);
    std::fs::write(&single, &single_text).unwrap();
    // The packages installed on the target: the attributes of the single-target file.
    let names: Vec<String> = single_text
        .lines()
        .filter_map(|l| {
            l.strip_prefix("  ")?
                .split_once(" = final.buildPythonPackage {")
                .map(|(n, _)| n.trim_matches('"').to_string())
        })
        .collect();
    let base = thunks(None, &[], &dir);
    #[allow(clippy::cast_precision_loss, reason = "thunk and package counts are far below 2^52")]
    let per_package = |file: &Path| (thunks(Some(file), &names, &dir) - base) as f64 / names.len() as f64;
    let (ours, minimal) = (per_package(&full), per_package(&single));
    let ratio = ours / minimal;
    let line = format!(
        "eval cost {label}: {} packages on x86_64-linux/3.12: {ours:.1} thunks/package generated vs {minimal:.1} minimal single-platform = {ratio:.2}x (+{:.1} per package)",
        names.len(),
        ours - minimal
    );
    eprintln!("{line}");
    let report = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/eval-cost-report.txt");
    let mut text = std::fs::read_to_string(&report).unwrap_or_default();
    text.push_str(&line);
    text.push('\n');
    let _ = std::fs::write(report, text);
    ratio
}

/// Issue 12's goal: at most 5% more thunks per package than the minimal file.
const MAX_RATIO: f64 = 1.05;

#[test]
fn generated_file_costs_at_most_five_percent_more_than_a_minimal_file() {
    if !require_nix("generated_file_costs_at_most_five_percent_more_than_a_minimal_file") {
        return;
    }
    let _ = std::fs::remove_file(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/eval-cost-report.txt"));
    let synthetic = synthetic::project(300);
    let synthetic_dir = tempfile::tempdir().unwrap();
    std::fs::write(synthetic_dir.path().join("poetry.lock"), &synthetic.lock).unwrap();
    std::fs::write(synthetic_dir.path().join("pyproject.toml"), &synthetic.pyproject).unwrap();
    let mut cases = vec![("synthetic-300".to_string(), synthetic_dir.path().to_path_buf())];
    for fixture in ["basic", "poetry2"] {
        cases.push((
            fixture.to_string(),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render").join(fixture),
        ));
    }
    // The largest poetry.lock and the largest uv.lock of the shared corpus, when it is there.
    let report = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/eval-cost-report.txt");
    if let Some(corpus) = support::corpus::locate("eval cost", &report) {
        for case in ["apps/strawberry-graphql__strawberry", "uv/crewAIInc__crewAI"] {
            cases.push((format!("corpus {case}"), corpus.join(case)));
        }
    }
    for (label, dir) in &cases {
        let ratio = measure(label, dir);
        assert!(ratio <= MAX_RATIO, "{label}: the generated file costs {ratio:.3}x the minimal one");
    }
}
