//! `lock2nix init`: a project's starter files beside its lock, the same as `nix flake init -t`
//! gives (`nix/template`), fitted to the project: flake.nix using lock2nix's Nix helpers,
//! `.envrc` for direnv, and VSCode settings pointing at the dev shell's interpreter.

use std::collections::BTreeMap;

use crate::plan::{Plan, PlannedArtifact};
use crate::render::writer::string;

const FLAKE: &str = include_str!("../nix/template/flake.nix");
const ENVRC: &str = include_str!("../nix/template/.envrc");
const VSCODE: &str = include_str!("../nix/template/.vscode/settings.json");

/// The CPython minor nixpkgs' `python3` was when this was written; init names the minor
/// explicitly (`python313`), so a later nixpkgs moving `python3` changes nothing.
const NIXPKGS_PYTHON3_MINOR: u8 = 13;

/// A file `init` writes, relative to the project's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarterFile {
    pub path: &'static str,
    pub text: String,
}

/// The lock the files are for: its file name, and the command that writes it again.
#[derive(Debug, Clone, Copy)]
pub struct LockFile<'a> {
    pub name: &'a str,
    pub relock: &'a str,
}

/// flake.nix, .envrc and .vscode/settings.json for the project `plan` was made for from
/// `lock`; `subfolder` is the project's folder below the top of its git repository, if it is
/// not the top.
pub fn starter_files(plan: &Plan, subfolder: Option<&str>, lock: LockFile<'_>) -> Vec<StarterFile> {
    let flake = flake(plan, subfolder)
        .replacen("generated from poetry.lock", &format!("generated from {}", lock.name), 1)
        .replacen("after `poetry lock`", &format!("after `{}`", lock.relock), 1);
    let envrc = ENVRC.replacen(" poetry.lock ", &format!(" {} ", lock.name), 1);
    vec![
        StarterFile { path: "flake.nix", text: flake },
        StarterFile { path: ".envrc", text: envrc },
        StarterFile { path: ".vscode/settings.json", text: VSCODE.to_string() },
    ]
}

/// The template's flake.nix fitted to the project: its interpreter, where it sits in its
/// repository, and no application unless the project is built with console scripts.
fn flake(plan: &Plan, subfolder: Option<&str>) -> String {
    let python = format!("python = pkgs.python3{};", interpreter_minor(plan));
    let mut text = FLAKE.replacen("python = pkgs.python3;", &python, 1);
    if let Some(folder) = subfolder.map(|f| f.trim_matches('/')).filter(|f| !f.is_empty()) {
        // The dev shell finds the working tree at run time: `$REPO_ROOT` is the git top level.
        let working_tree =
            format!("overlays = [ ];\n        workingTree = {};", string(&format!("$REPO_ROOT/{folder}")));
        text = text.replacen("overlays = [ ];", &working_tree, 1);
    }
    let application = plan.root.build.as_ref().is_some_and(|build| !build.layout.scripts.is_empty());
    if !application {
        let app = "        # The project as an application: its console scripts, without its dev groups.\n        app = lock2nix.lib.mkApplication (project pkgs);\n";
        text = text.replacen(app, "", 1);
    }
    text
}

/// The CPython minor whose targets install the most systems completely (no package without a
/// usable artifact), then the one with the fewest packages left without one over all systems;
/// among equals nixpkgs' `python3`, then the closest to it, newer first.
fn interpreter_minor(plan: &Plan) -> u8 {
    // Per target, how many installed packages have no usable artifact there.
    let unusable = |t: usize| {
        plan.packages
            .iter()
            .flat_map(|name| &name.versions)
            .filter(|v| {
                v.installed.contains(t)
                    && v.artifact_of[t].is_none_or(|slot| matches!(v.artifacts[slot], PlannedArtifact::Unusable(_)))
            })
            .count()
    };
    let mut score: BTreeMap<u8, (usize, usize)> = BTreeMap::new();
    for (t, target) in plan.targets.iter().enumerate() {
        let missing = unusable(t);
        let (complete, gaps) = score.entry(target.python.0).or_default();
        *complete += usize::from(missing == 0);
        *gaps += missing;
    }
    score
        .into_iter()
        .max_by_key(|&(minor, (complete, gaps))| {
            (complete, std::cmp::Reverse(gaps), std::cmp::Reverse(minor.abs_diff(NIXPKGS_PYTHON3_MINOR)), minor)
        })
        .map_or(NIXPKGS_PYTHON3_MINOR, |(minor, _)| minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_has_the_lines_init_fits() {
        assert!(FLAKE.contains("python = pkgs.python3;"));
        assert!(FLAKE.contains("        app = lock2nix.lib.mkApplication (project pkgs);\n"));
        assert!(FLAKE.contains(
            "        # The project as an application: its console scripts, without its dev groups.\n        app ="
        ));
        assert!(ENVRC.contains("watch_file pyproject.toml poetry.lock python-packages.nix\nuse flake\n"));
        assert!(FLAKE.contains("generated from poetry.lock") && FLAKE.contains("after `poetry lock`"));
        assert!(VSCODE.contains("${workspaceFolder}/.lock2nix/python/bin/python"));
    }
}
