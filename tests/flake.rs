//! lock2nix's flake (flake.nix at the repository root) and the project flake `init` writes,
//! evaluated against the stub standing in for nixpkgs: every output, for every system.

mod support;

use support::nix::{instantiate_eval_expr, repo_root, require_nix, with_flakes};
use support::project::stderr;
use support::shop;

/// The flake's and the project's outputs, with `nixpkgs` the stub for each system.
fn outputs_expr(project: &std::path::Path) -> String {
    with_flakes(
        project,
        r"
let
  drvPaths = builtins.mapAttrs (_: drv: drv.drvPath);
in
{
  packages = builtins.mapAttrs (_: drvPaths) lock2nix.packages;
  names = builtins.mapAttrs (_: p: p.default.name) lock2nix.packages;
  apps = builtins.mapAttrs (_: a: { inherit (a.default) type program; }) lock2nix.apps;
  overlay = (import stub { overlays = [ lock2nix.overlays.default ]; }).lock2nix.name;
  lib = builtins.attrNames lock2nix.lib;
  template = builtins.attrNames (builtins.readDir lock2nix.templates.default.path);
  devShell = lock2nix.devShells.x86_64-linux.default.drvPath;
  projectPackages = builtins.mapAttrs (_: drvPaths) project.packages;
  projectShells = builtins.mapAttrs (_: drvPaths) project.devShells;
}
",
    )
}

#[test]
fn the_flake_and_the_starter_flake_evaluate_for_every_system() {
    if !require_nix("the_flake_and_the_starter_flake_evaluate_for_every_system") {
        return;
    }
    let (project, server) = shop::project();
    let out = project.run_bare(&["init", "--cache-dir", "cache", "--index-url", &server.index_url()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = instantiate_eval_expr(&outputs_expr(project.path())).unwrap_or_else(|e| panic!("{e}"));
    let outputs: serde_json::Value = serde_json::from_str(&json).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    for system in ["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"] {
        assert_eq!(outputs["names"][system], format!("lock2nix-{version}"), "{outputs}");
        assert!(outputs["packages"][system]["default"].as_str().unwrap().ends_with(".drv"));
        assert_eq!(outputs["apps"][system]["type"], "app");
        assert!(
            outputs["apps"][system]["program"]
                .as_str()
                .unwrap()
                .ends_with(&format!("-lock2nix-{version}/bin/lock2nix"))
        );
        for attr in ["default", "app"] {
            assert!(
                outputs["projectPackages"][system][attr].as_str().is_some_and(|p| p.ends_with(".drv")),
                "{outputs}"
            );
        }
        assert!(outputs["projectShells"][system]["default"].as_str().is_some_and(|p| p.ends_with("-shop-dev.drv")));
    }
    assert_eq!(outputs["overlay"], format!("lock2nix-{version}"));
    assert_eq!(outputs["lib"], serde_json::json!(["mkApplication", "mkDevShell", "mkEnv", "mkPythonSet"]));
    assert_eq!(outputs["template"], serde_json::json!([".envrc", ".vscode", "flake.nix"]));
    assert!(outputs["devShell"].as_str().unwrap().ends_with(".drv"));
}

#[test]
fn the_flake_lock_pins_nixpkgs() {
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("flake.lock")).unwrap()).unwrap();
    assert_eq!(lock["version"], 7);
    assert_eq!(lock["nodes"]["root"]["inputs"]["nixpkgs"], "nixpkgs");
    let locked = &lock["nodes"]["nixpkgs"]["locked"];
    assert_eq!(locked["type"], "github");
    assert!(locked["rev"].as_str().is_some_and(|r| r.len() == 40), "{locked}");
    assert!(locked["narHash"].as_str().is_some_and(|h| h.starts_with("sha256-")), "{locked}");
}
