//! Cross-check against uv itself: for every corpus uv.lock and every target (system × CPython
//! minor the lock allows), the packages lock2nix installs for the project with all its groups
//! and extras are the ones `uv export --frozen --all-groups --all-extras` selects for that
//! platform and Python (the export's markers evaluated for the target). Workspace members and
//! the project itself are left out on both sides (uv exports them as `-e` paths). Where
//! `conflicts` keeps extras or groups apart, each file lock2nix writes (the default one, and
//! one per `--variant NAME`) is compared with uv asked for the same extras and groups.
//!
//! Needs `uv` (from PyPI: `pip install uv`) on PATH or at `$LOCK2NIX_UV`; without it the test
//! says so and passes, except in CI, which installs it.
// Tests print their measurements.
#![allow(clippy::print_stderr)]

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use lock2nix::testing::model::{ConflictItem, Source};
use lock2nix::testing::resolve::marker_environment;
use lock2nix::testing::resolve::{self, ResolveOptions};
use lock2nix::testing::{lockfile, project};
use support::corpus::find_cases;
use uv_pep508::MarkerTree;

const UV_ENV: &str = "LOCK2NIX_UV";

fn uv_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(UV_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let found = Command::new("uv").arg("--version").output().is_ok_and(|o| o.status.success());
    found.then(|| PathBuf::from("uv"))
}

/// What `uv export` selects: `(name, version)` with its marker (`*` for git and url sources),
/// and the number of local paths other than editable members (uv writes no name for them).
type Exported = (Vec<(String, String, MarkerTree)>, usize);

/// `uv export` of the lock in `dir` with `selection` (`--all-groups --all-extras`, or named
/// groups and extras).
fn exported(uv: &Path, dir: &Path, selection: &[String]) -> Result<Exported, String> {
    let cache = tempfile::tempdir().unwrap();
    let mut command = Command::new(uv);
    command
        .current_dir(dir)
        .args(["export", "--frozen", "--offline", "--no-hashes", "--no-header", "--no-annotate"])
        .args(selection)
        .args(["--format", "requirements-txt", "--quiet"])
        .env("UV_CACHE_DIR", cache.path())
        .env("UV_NO_CONFIG", "1")
        .env_remove("UV_INDEX_URL")
        .env_remove("VIRTUAL_ENV");
    let out = command.output().map_err(|e| format!("cannot run {}: {e}", uv.display()))?;
    if !out.status.success() {
        return Err(format!("uv export failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let mut lines = Vec::new();
    let mut paths = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let line = line.trim();
        if line.starts_with('.') || line.starts_with('/') {
            paths += 1;
            continue;
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        let (requirement, marker) = line.split_once(" ; ").unwrap_or((line, ""));
        let marker = if marker.is_empty() {
            MarkerTree::TRUE
        } else {
            MarkerTree::from_str(marker).map_err(|e| format!("{line}: {e}"))?
        };
        let (name, version) = match requirement.split_once("==") {
            Some((name, version)) => (name.trim(), version.trim()),
            // `name @ url`: a git, url or path source.
            None => (requirement.split(" @ ").next().unwrap_or(requirement).trim(), "*"),
        };
        let name = lock2nix::PackageName::from_owned(name.to_string()).map_err(|e| e.to_string())?;
        lines.push((name.to_string(), version.to_string(), marker));
    }
    Ok((lines, paths))
}

/// Compares one file (`variant`) of the lock in `dir` with `uv export` on every target:
/// `(targets, targets that differ, the selection uv was asked for)`, or `None` when uv failed
/// (a failure recorded).
fn compare(
    uv: &Path,
    name: &str,
    dir: &Path,
    lock: &lock2nix::testing::model::Lock,
    variant: &[String],
    failures: &mut Vec<String>,
) -> Option<(usize, usize, Vec<String>)> {
    let label = format!("{name}{}", variant.first().map(|v| format!(" --variant {v}")).unwrap_or_default());
    let project = project::for_lock(lock, &dir.join("pyproject.toml"), variant).unwrap();
    // With conflicts, the groups and extras lock2nix kept (the others cannot be installed
    // with them); else all.
    let selection: Vec<String> = if lock.roots.as_ref().unwrap().conflicts.is_empty() {
        vec!["--all-groups".into(), "--all-extras".into()]
    } else {
        let groups = project.groups.keys().flat_map(|g| ["--group".to_string(), g.to_string()]);
        let extras = project.extras.keys().flat_map(|e| ["--extra".to_string(), e.to_string()]);
        std::iter::once("--no-default-groups".to_string()).chain(groups).chain(extras).collect()
    };
    let (exported, uv_paths) = match exported(uv, dir, &selection) {
        Ok(lines) => lines,
        Err(message) => {
            failures.push(format!("{label}: {message}"));
            return None;
        }
    };
    let resolution = resolve::resolve(lock, &project, &ResolveOptions::default()).unwrap();
    let mut mismatched = 0;
    for (t, target) in resolution.targets.iter().enumerate() {
        let env = marker_environment(target);
        let installed = || lock.packages.iter().zip(&resolution.packages).filter(|(_, r)| r.per_target[t].is_some());
        let local =
            |p: &&lock2nix::testing::model::Package| matches!(p.source, Source::Directory { .. } | Source::File { .. });
        let our_paths = installed()
            .filter(|(p, _)| local(p) && !matches!(p.source, Source::Directory { develop: true, .. }))
            .count();
        let ours: BTreeSet<(String, String)> = installed()
            .filter(|(p, _)| !local(p))
            .map(|(p, _)| {
                let version =
                    if matches!(p.source, Source::Registry { .. }) { p.version_text.clone() } else { "*".into() };
                (p.name.to_string(), version)
            })
            .collect();
        let theirs: BTreeSet<(String, String)> = exported
            .iter()
            .filter(|(_, _, marker)| marker.evaluate(&env, &[]))
            .map(|(name, version, _)| (name.clone(), version.clone()))
            .collect();
        // uv names no local path; their count must agree at least (uv lists them whatever
        // their markers, so the lock2nix count may be lower on some targets).
        if our_paths > uv_paths {
            failures.push(format!("{label} {target}: {our_paths} local paths installed, uv exports {uv_paths}"));
        }
        if ours != theirs {
            mismatched += 1;
            let only_ours: Vec<_> = ours.difference(&theirs).collect();
            let only_uv: Vec<_> = theirs.difference(&ours).collect();
            failures.push(format!("{label} {target}: only lock2nix {only_ours:?}; only uv {only_uv:?}"));
        }
    }
    Some((resolution.targets.len(), mismatched, selection))
}

#[test]
fn each_uv_lock_installs_what_uv_export_selects_on_every_target() {
    let report = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("uv-export-report.txt");
    let Some(corpus) = support::corpus::locate("uv export", &report) else { return };
    let Some(uv) = uv_binary() else {
        let message =
            format!("uv export cross-check: no `uv` on PATH or at ${UV_ENV}; install it (`pip install uv`) to run it");
        assert!(std::env::var_os("CI").is_none(), "{message}: CI installs it");
        eprintln!("{message}");
        return;
    };
    let cases = find_cases(&corpus, "uv export", &["uv.lock"]);
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    let mut compared = 0;
    let mut variants_compared = 0;
    for (name, dir) in &cases {
        let lock = lockfile::read(&dir.join("uv.lock")).unwrap();
        let roots = lock.roots.as_ref().unwrap();
        // The default file, and with conflicts one file per extra or group of the project
        // that a conflict set names (`--variant NAME`).
        let mut variants: Vec<Vec<String>> = vec![Vec::new()];
        for conflict in roots.conflicts.iter().flatten() {
            if roots.name.as_ref().is_none_or(|root| *root == conflict.package) {
                let item = match &conflict.item {
                    ConflictItem::Extra(extra) => extra.to_string(),
                    ConflictItem::Group(group) => group.to_string(),
                };
                if !variants.iter().any(|v| v.first() == Some(&item)) {
                    variants.push(vec![item]);
                }
            }
        }
        for variant in &variants {
            let Some((targets, mismatched, selection)) = compare(&uv, name, dir, &lock, variant, &mut failures) else {
                continue;
            };
            compared += targets;
            variants_compared += usize::from(!variant.is_empty());
            summary.push(format!(
                "{name}{}: {targets} targets, {mismatched} differ{}",
                variant.first().map(|v| format!(" --variant {v}")).unwrap_or_default(),
                if roots.conflicts.is_empty() {
                    String::new()
                } else {
                    format!(" (asked uv for: {})", selection.join(" "))
                }
            ));
        }
    }
    let text = format!(
        "{}\nuv export cross-check: {} locks ({variants_compared} conflict variants besides), {compared} targets compared\n",
        summary.join("\n"),
        cases.len()
    );
    eprintln!("{text}");
    let _ = std::fs::write(&report, &text);
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}
