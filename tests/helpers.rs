//! lock2nix's Nix helpers (`nix/default.nix`) on a generated file, against the stub: they
//! evaluate for every system; mkEnv holds the groups asked for; mkApplication has the
//! project's console scripts and no dev group in its closure; mkDevShell installs the project
//! and its `develop = true` path dependency editable from the working tree, so an edit shows
//! without a rebuild.

mod support;

use std::path::Path;
use std::process::Command;

use support::evaluate::{thrown, thrown_whole};
use support::nix::{
    host_python, instantiate_eval_expr, nix_build_expr, python_version, repo_root, require_nix, stub_dir,
};
use support::project::{Project, filtered, stderr, stdout};
use support::shop;

/// The shop project (tests/support/shop.rs) with python-packages.nix generated beside it.
fn fixture() -> (Project, support::IndexServer) {
    let (project, server) = shop::project();
    let made = project.run(&["--index-url", &server.index_url(), "-o", "python-packages.nix"]);
    assert!(made.status.success(), "{}", stderr(&made));
    (project, server)
}

/// An expression that imports the stub and the helpers for this project and calls `body`
/// with `h` (the helpers), `pkgs`, and `args` (python, packages).
fn expr(project: &Project, stub_args: &str, python: &str, body: &str) -> String {
    format!(
        "let pkgs = import {stub} {{ {stub_args} }}; h = import {helpers} {{ inherit pkgs; }}; args = {{ python = pkgs.python{attr}; packages = {file}; }}; in {body}",
        stub = stub_dir().display(),
        helpers = repo_root().join("nix").display(),
        attr = python.replace('.', ""),
        file = project.join("python-packages.nix").display(),
    )
}

#[test]
fn the_generated_file_tells_the_helpers_what_is_editable() {
    let (project, _server) = fixture();
    let nix = project.read("python-packages.nix").unwrap();
    let expected = "  lock2nix = {\n    format = 1;\n    project = \"shop\";\n    locker = \"poetry\";\n    editable = {\n      shop = {\n        pname = \"shop\";\n        version = \"1.2.0\";\n        path = \".\";\n        roots = [ \"src\" ];\n        scripts = {\n          shop = \"shop.cli:main\";\n        };\n      };\n      helper = {\n        pname = \"helper\";\n        version = \"1.0\";\n        path = \"libs/helper\";\n        roots = [ \".\" ];\n        scripts = { };\n      };\n    };\n  };\n";
    assert_eq!(support::block(&nix, "  lock2nix = {"), expected);
}

#[test]
fn every_helper_evaluates_for_every_system() {
    if !require_nix("every_helper_evaluates_for_every_system") {
        return;
    }
    let (project, _server) = fixture();
    for system in ["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"] {
        let body = "builtins.mapAttrs (_: drv: drv.drvPath) { env = h.mkEnv args; dev = h.mkEnv (args // { groups = [ \"dev\" ]; }); app = h.mkApplication args; shell = h.mkDevShell args; }";
        let paths = instantiate_eval_expr(&expr(&project, &format!("system = \"{system}\";"), "3.12", body))
            .unwrap_or_else(|e| panic!("{system}: {e}"));
        let paths: serde_json::Value = serde_json::from_str(&paths).unwrap();
        for attr in ["env", "dev", "app", "shell"] {
            assert!(paths[attr].as_str().is_some_and(|p| p.ends_with(".drv")), "{system} {attr}: {paths}");
        }
        assert_ne!(paths["env"], paths["dev"], "the dev group changes the environment");
    }
    // The dev shell has the interpreter's environment, Poetry and lock2nix built from this tree.
    let names =
        expr(&project, "system = \"x86_64-linux\";", "3.12", "map (p: p.name) (h.mkDevShell args).nativeBuildInputs");
    let names = instantiate_eval_expr(&names).unwrap_or_else(|e| panic!("{e}"));
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(names, format!("[\"python3-3.12.0-env\",\"poetry-stub\",\"lock2nix-{version}\"]"));
    // The tool that writes the lock is the one offered: uv, told to use the environment's
    // interpreter and leave it to Nix; none for a pylock.toml written by pip.
    let nix = project.read("python-packages.nix").unwrap();
    for (locker, offered) in [("\"uv\"", ",\"uv-stub\""), ("null", "")] {
        project.write("python-packages.nix", &nix.replace("locker = \"poetry\";", &format!("locker = {locker};")));
        let body = "let shell = h.mkDevShell (args // { includeLock2nix = false; }); in [ (map (p: p.name) shell.nativeBuildInputs) shell.shellHook ]";
        let shell = instantiate_eval_expr(&expr(&project, "system = \"x86_64-linux\";", "3.12", body))
            .unwrap_or_else(|e| panic!("{locker}: {e}"));
        let parsed: serde_json::Value = serde_json::from_str(&shell).unwrap();
        assert_eq!(parsed[0].to_string(), format!("[\"python3-3.12.0-env\"{offered}]"), "{locker}: {shell}");
        assert!(!shell.contains("poetry"), "{locker}: {shell}");
        assert_eq!(shell.contains("export UV_PYTHON=/nix/store/"), locker == "\"uv\"", "{shell}");
    }
    project.write("python-packages.nix", &nix);
    // A group the project does not have is an evaluation error that lists the ones it has.
    let unknown =
        expr(&project, "system = \"x86_64-linux\";", "3.12", "(h.mkEnv (args // { groups = [ \"docs\" ]; })).drvPath");
    let err = instantiate_eval_expr(&unknown).unwrap_err().stderr;
    insta::assert_snapshot!(thrown(&err), @"lock2nix: the project has no dependency group docs; it has: dev");
    // A misspelt argument is an error, not silently ignored.
    let typo =
        expr(&project, "system = \"x86_64-linux\";", "3.12", "(h.mkEnv (args // { group = [ \"dev\" ]; })).drvPath");
    let err = instantiate_eval_expr(&typo).unwrap_err().stderr;
    insta::assert_snapshot!(thrown_whole(&err), @"'mkEnv' at [REPO]/nix/default.nix:101:5 called with unexpected argument 'group'");
    // A file from before the metadata existed is named as such.
    project.write("old.nix", "{ pkgs }: final: prev: { }\n");
    let old =
        expr(&project, "system = \"x86_64-linux\";", "3.12", "(h.mkEnv (args // { packages = ./old.nix; })).drvPath")
            .replace("./old.nix", &project.join("old.nix").display().to_string());
    let err = instantiate_eval_expr(&old).unwrap_err().stderr;
    insta::assert_snapshot!(filtered(thrown(&err), &[(project.path_text(), "[TMP]")]), @"lock2nix: [TMP]/old.nix has no `lock2nix` metadata: it was generated by an older lock2nix, or is not a lock2nix file; regenerate it with `lock2nix -o python-packages.nix`");
}

fn run(program: &Path, args: &[&str], repo_root: &Path) -> String {
    let out = Command::new(program).args(args).env("REPO_ROOT", repo_root).output().unwrap();
    assert!(out.status.success(), "{} {args:?}: {}", program.display(), stderr(&out));
    stdout(&out).trim().to_string()
}

#[test]
fn the_dev_shell_imports_the_working_tree_and_sees_edits_without_a_rebuild() {
    if !require_nix("the_dev_shell_imports_the_working_tree_and_sees_edits_without_a_rebuild") {
        return;
    }
    let (project, _server) = fixture();
    let python = host_python();
    let version = python_version(&python);
    let stub = format!("hostPython = \"{}\";", python.display());
    let shell_expr = expr(
        &project,
        &stub,
        &version,
        "rec { shell = h.mkDevShell (args // { includeLock2nix = false; }); inherit (shell) env; poetry = builtins.elemAt shell.nativeBuildInputs 1; }",
    );
    let env = nix_build_expr(&shell_expr, "env", &project.join("result-env")).unwrap_or_else(|e| panic!("{e}"));
    let root = project.path();

    // The project and the path dependency come from the working tree, not from a store copy.
    let code = "import shop, helper, dev_tool; print(shop.VALUE, helper.VALUE, shop.__file__)";
    let first = run(&env.join("bin/python"), &["-c", code], root);
    let in_project = |text: &str| filtered(text, &[(project.path_text(), "[TMP]")]);
    assert_eq!(in_project(&first), "one h1 [TMP]/src/shop/__init__.py");
    assert!(!first.contains("/nix/store/"), "imported from the store: {first}");
    assert_eq!(run(&env.join("bin/shop"), &[], root), "one h1", "the console script runs the working tree");
    project.write("src/shop/__init__.py", "import dep_a, helper\nVALUE = 'two'\n");
    project.write("libs/helper/helper/__init__.py", "VALUE = 'h2'\n");
    let edited = run(&env.join("bin/python"), &["-c", code], root);
    assert_eq!(in_project(&edited), "two h2 [TMP]/src/shop/__init__.py", "an edit shows at once");
    assert_eq!(run(&env.join("bin/shop"), &[], root), "two h2");

    // The shell itself builds; its hook keeps `.lock2nix/python` pointing at the environment.
    let shell = nix_build_expr(&shell_expr, "shell", &project.join("result-shell")).unwrap_or_else(|e| panic!("{e}"));
    assert!(shell.is_file(), "mkShell's output is its environment dump");
    let hook = instantiate_eval_expr(&expr(&project, &stub, &version, "(h.mkDevShell args).shellHook"))
        .unwrap_or_else(|e| panic!("{e}"));
    let hook: String = serde_json::from_str(&hook).unwrap();
    let ran = Command::new("bash").args(["-c", &hook]).current_dir(root).env_remove("REPO_ROOT").output().unwrap();
    assert!(ran.status.success(), "{}", stderr(&ran));
    assert_eq!(std::fs::read_link(project.join(".lock2nix/python")).unwrap(), env);
    assert_eq!(project.read(".lock2nix/.gitignore").as_deref(), Some("*\n"), "the folder ignores itself");

    // Poetry is there, on the project's CPython.
    let poetry =
        nix_build_expr(&shell_expr, "poetry", &project.join("result-poetry")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run(&poetry.join("bin/poetry"), &[], root), format!("Poetry (lock2nix nix stub) on Python {version}"));
}

#[test]
fn the_application_has_its_scripts_and_no_dev_group_and_environments_hold_what_was_asked() {
    if !require_nix("the_application_has_its_scripts_and_no_dev_group_and_environments_hold_what_was_asked") {
        return;
    }
    let (project, _server) = fixture();
    let python = host_python();
    let version = python_version(&python);
    let stub = format!("hostPython = \"{}\";", python.display());
    let body =
        "{ app = h.mkApplication args; main = h.mkEnv args; dev = h.mkEnv (args // { groups = [ \"dev\" ]; }); }";
    let built = |attr: &str| {
        nix_build_expr(&expr(&project, &stub, &version, body), attr, &project.join(&format!("result-{attr}")))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let app = built("app");
    // Built from the project's folder: a copy, which an edit of the working tree does not change.
    project.write("src/shop/__init__.py", "import dep_a, helper\nVALUE = 'edited'\n");
    assert_eq!(run(&app.join("bin/shop"), &[], Path::new("/")), "one h1");
    let entries: Vec<String> = std::fs::read_dir(app.join("bin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["shop"], "only the project's console scripts");
    let closure = Command::new("nix-store").args(["-qR"]).arg(&app).output().unwrap();
    let closure = stdout(&closure);
    assert!(closure.contains("-dep-a-1.0") && !closure.contains("dev-tool"), "{closure}");

    let imports = |env: &Path, module: &str| {
        Command::new(env.join("bin/python"))
            .args(["-c", &format!("import {module}")])
            .output()
            .unwrap()
            .status
            .success()
    };
    let main = built("main");
    assert!(imports(&main, "shop") && imports(&main, "dep_a") && !imports(&main, "dev_tool"));
    let dev = built("dev");
    assert!(imports(&dev, "shop") && imports(&dev, "dev_tool"));
}
