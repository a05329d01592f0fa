//! Cross-check against uv itself: for every corpus uv.lock and every target (system × CPython
//! minor the lock allows), the packages lock2nix installs for the project with all its groups
//! and extras are the ones `uv export --frozen --all-groups --all-extras` selects for that
//! platform and Python (the export's markers evaluated for the target). Workspace members and
//! the project itself are left out on both sides (uv exports them as `-e` paths). Extras that
//! `conflicts` keeps apart are left out of lock2nix's file, so uv is asked for the others only.
//!
//! Needs `uv` (from PyPI: `pip install uv`) on PATH or at `$LOCK2NIX_UV`; without it the test
//! says so and passes, except in CI, which installs it.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use lock2nix::model::Source;
use lock2nix::resolve::environment::marker_environment;
use lock2nix::resolve::{self, ResolveOptions};
use lock2nix::{lockfile, project};
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
        let name = lock2nix::name::PackageName::from_owned(name.to_string()).map_err(|e| e.to_string())?;
        lines.push((name.to_string(), version.to_string(), marker));
    }
    Ok((lines, paths))
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
    for (name, dir) in &cases {
        let lock = lockfile::read(&dir.join("uv.lock")).unwrap();
        let project = project::for_lock(&lock, &dir.join("pyproject.toml")).unwrap();
        // With conflicts, the groups and extras lock2nix kept (the others cannot be installed
        // with them); else all.
        let conflicting = !lock.roots.as_ref().unwrap().conflicts.is_empty();
        let selection: Vec<String> = if conflicting {
            let groups = project.groups.keys().flat_map(|g| ["--group".to_string(), g.to_string()]);
            let extras = project.extras.keys().flat_map(|e| ["--extra".to_string(), e.to_string()]);
            std::iter::once("--no-default-groups".to_string()).chain(groups).chain(extras).collect()
        } else {
            vec!["--all-groups".into(), "--all-extras".into()]
        };
        let (exported, uv_paths) = match exported(&uv, dir, &selection) {
            Ok(lines) => lines,
            Err(message) => {
                failures.push(format!("{name}: {message}"));
                continue;
            }
        };
        let resolution = resolve::resolve(&lock, &project, &ResolveOptions::default()).unwrap();
        let mut mismatched = 0;
        for (t, target) in resolution.targets.iter().enumerate() {
            let env = marker_environment(target);
            let installed =
                || lock.packages.iter().zip(&resolution.packages).filter(|(_, r)| r.per_target[t].is_some());
            let local =
                |p: &&lock2nix::model::Package| matches!(p.source, Source::Directory { .. } | Source::File { .. });
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
            compared += 1;
            // uv names no local path; their count must agree at least (uv lists them whatever
            // their markers, so the lock2nix count may be lower on some targets).
            if our_paths > uv_paths {
                failures.push(format!("{name} {target}: {our_paths} local paths installed, uv exports {uv_paths}"));
            }
            if ours != theirs {
                mismatched += 1;
                let only_ours: Vec<_> = ours.difference(&theirs).collect();
                let only_uv: Vec<_> = theirs.difference(&ours).collect();
                failures.push(format!("{name} {target}: only lock2nix {only_ours:?}; only uv {only_uv:?}"));
            }
        }
        summary.push(format!(
            "{name}: {} targets, {mismatched} differ{}",
            resolution.targets.len(),
            if conflicting { format!(" (asked uv for: {})", selection.join(" ")) } else { String::new() }
        ));
    }
    let text =
        format!("{}\nuv export cross-check: {} locks, {compared} targets compared\n", summary.join("\n"), cases.len());
    eprintln!("{text}");
    let _ = std::fs::write(&report, &text);
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}
