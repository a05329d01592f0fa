//! Evaluation cost: forcing every package's drvPath on one system must cost at most 1.5× the
//! thunks per package of a minimal single-platform file with the same packages and no
//! selection logic (BENCHMARKS.md records the figures).
// Tests print their measurements.
#![allow(clippy::print_stderr)]

mod support;
#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use lock2nix::testing::generate::plan_offline;
use lock2nix::testing::lockfile::poetry;
use lock2nix::testing::render::{Header, render, render_single_target};
use lock2nix::testing::resolve::ResolveOptions;
use lock2nix::{PythonMinor, System};
use support::nix::{NIX_SETTINGS, require_nix, stub_dir};
use support::render::FromLock;

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

fn measure(label: &str, lock_text: &str, pyproject: &str) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let lock = poetry::parse(lock_text, "poetry.lock").unwrap();
    let project = lock2nix::testing::project::parse(pyproject, "pyproject.toml").unwrap();
    let mut files = BTreeMap::new();
    for p in &lock.packages {
        for f in &p.files {
            let hex = f.hash.as_ref().unwrap().hex.clone();
            files.insert(
                (p.name.clone(), f.filename.clone()),
                (format!("https://files.example.org/{}", f.filename), hex),
            );
        }
    }
    let db = lock2nix::testing::overrides::Database::builtin().unwrap();
    let (_, plan) = plan_offline(&lock, &project, &ResolveOptions::default(), &FromLock::new(files), &db).unwrap();
    let target = plan
        .targets
        .iter()
        .position(|t| t.system == System::X86_64Linux && t.python == PythonMinor(12))
        .expect("x86_64-linux/3.12 is a target");
    let header = Header { tool: "lock2nix".into(), command: "lock2nix".into(), notes: vec![] };
    let full = dir.path().join("full.nix");
    let single = dir.path().join("single.nix");
    std::fs::write(&full, render(&plan, &header)).unwrap();
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
    let base = thunks(None, &[], dir.path());
    #[allow(clippy::cast_precision_loss, reason = "thunk and package counts are far below 2^52")]
    let per_package = |file: &Path| (thunks(Some(file), &names, dir.path()) - base) as f64 / names.len() as f64;
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

#[test]
fn generated_file_costs_at_most_one_and_a_half_times_a_minimal_file() {
    if !require_nix("generated_file_costs_at_most_one_and_a_half_times_a_minimal_file") {
        return;
    }
    let _ = std::fs::remove_file(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/eval-cost-report.txt"));
    let synthetic = synthetic::project(300);
    let ratio = measure("synthetic-300", &synthetic.lock, &synthetic.pyproject);
    assert!(ratio <= 1.5, "generated file costs {ratio:.2}x the minimal one");
    // A real lock too, when the shared corpus is there.
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/apps/strawberry-graphql__strawberry");
    if corpus.is_dir() {
        let lock = std::fs::read_to_string(corpus.join("poetry.lock")).unwrap();
        let pyproject = std::fs::read_to_string(corpus.join("pyproject.toml")).unwrap();
        let ratio = measure("corpus strawberry", &lock, &pyproject);
        assert!(ratio <= 1.5, "strawberry: generated file costs {ratio:.2}x the minimal one");
    }
    for fixture in ["basic", "poetry2"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render").join(fixture);
        let lock = std::fs::read_to_string(dir.join("poetry.lock")).unwrap();
        let pyproject = std::fs::read_to_string(dir.join("pyproject.toml")).unwrap();
        let ratio = measure(fixture, &lock, &pyproject);
        assert!(ratio <= 1.5, "{fixture}: generated file costs {ratio:.2}x the minimal one");
    }
}
