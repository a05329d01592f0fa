//! `lock2nix init`: a project's starter files beside its lock, the same as `nix flake init -t`
//! gives (`nix/template`), fitted to the project: flake.nix using lock2nix's Nix helpers,
//! `.envrc` for direnv, and VSCode settings pointing at the dev shell's interpreter.

use crate::plan::Plan;

const FLAKE: &str = include_str!("../nix/template/flake.nix");
const ENVRC: &str = include_str!("../nix/template/.envrc");
const VSCODE: &str = include_str!("../nix/template/.vscode/settings.json");

/// The CPython minor nixpkgs' `python3` is (nixos-unstable and 25.11).
const NIXPKGS_PYTHON3_MINOR: u8 = 13;

/// A file `init` writes, relative to the project's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarterFile {
    pub path: &'static str,
    pub text: String,
}

/// flake.nix, .envrc and .vscode/settings.json for the project `plan` was made for.
pub fn starter_files(plan: &Plan) -> Vec<StarterFile> {
    vec![
        StarterFile { path: "flake.nix", text: flake(plan) },
        StarterFile { path: ".envrc", text: ENVRC.to_string() },
        StarterFile { path: ".vscode/settings.json", text: VSCODE.to_string() },
    ]
}

/// The template's flake.nix with the project's interpreter, and without the application when
/// the project is not a package (Poetry's package-mode = false, or no [build-system]).
fn flake(plan: &Plan) -> String {
    let interpreter = interpreter(plan);
    let mut text = FLAKE.replacen("python = pkgs.python3;", &format!("python = pkgs.{interpreter};"), 1);
    if plan.root.build.is_none() {
        let app = "        # The project as an application: its console scripts, without its dev groups.\n        app = lock2nix.lib.mkApplication (project pkgs);\n";
        text = text.replacen(app, "", 1);
    }
    text
}

/// nixpkgs' `python3` when the file serves its minor, else the newest CPython it serves.
fn interpreter(plan: &Plan) -> String {
    let minors: Vec<u8> = plan.targets.iter().map(|t| t.python.0).collect();
    match minors.iter().copied().max() {
        _ if minors.contains(&NIXPKGS_PYTHON3_MINOR) => "python3".to_string(),
        Some(newest) => format!("python3{newest}"),
        None => "python3".to_string(),
    }
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
        assert!(VSCODE.contains("${workspaceFolder}/.lock2nix/python/bin/python"));
    }
}
