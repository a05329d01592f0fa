//! Real-world lock and pyproject shapes, read the way Poetry reads them: `platform` keys,
//! extras naming no dependency, lock 2.1 markers that contradict the dependency graph, projects
//! named like a package, and warnings that stay readable. Each generated file is evaluated on
//! every target against the nixpkgs stub.

mod support;

use std::process::Output;

use support::evaluate::{evaluate_targets, generated_targets, root_dependencies, throws};
use support::nix::require_nix;
use support::project::{Project, stderr, stdout};
use support::synthetic::{Package, lock, serve};
use support::{generated_run, index_header};

fn run(project: &Project, server: &support::IndexServer, args: &[&str]) -> Output {
    let index = server.index_url();
    let mut all = vec!["--index-url", index.as_str(), "--no-infer"];
    all.extend_from_slice(args);
    project.run(&all)
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "{}", stderr(output));
    stdout(output)
}

/// Writes `nix` to the project and evaluates every target it was generated for: the project's
/// environment must build on each, and the attributes that throw per target are returned.
fn evaluate(project: &Project, nix: &str, root: &str) -> Vec<(String, Vec<String>)> {
    project.write("python-packages.nix", nix);
    let targets = generated_targets(nix);
    let results = evaluate_targets(&project.join("python-packages.nix"), root, &targets);
    targets
        .iter()
        .map(|(system, python)| {
            let key = format!("{system}/{python}");
            assert!(results[&key]["env"].is_string(), "the environment of {key} does not evaluate: {results}");
            (key.clone(), throws(&results, &key))
        })
        .collect()
}

#[test]
fn platform_keys_select_systems_as_in_poetry_core() {
    let packages = [
        Package::new("pywin32", "306").files(&["cp311-cp311-win_amd64", "cp312-cp312-win_amd64"]),
        Package::new("pyobjc-core", "10.0").files(&["py3-none-macosx_11_0_universal2"]),
        Package::new("six", "1.17.0"),
        Package::new("colorama", "0.4.6"),
    ];
    let pyproject = r#"[tool.poetry]
name = "desktop-app"
version = "1.0"

[tool.poetry.dependencies]
python = "^3.11"
pywin32 = { version = "^306", platform = "win32" }
pyobjc-core = { version = "*", platform = "darwin" }
six = [{ version = "*", platform = "linux || darwin", python = ">=3.12" }]
colorama = { version = "*", markers = "platform_machine == 'x86_64'", platform = "!=darwin" }
"#;
    let server = serve(&packages);
    let project = Project::inline(&lock("2.0", &packages), pyproject);
    let nix = ok(&run(&project, &server, &[]));
    // A Windows-only dependency is on no target, so it is no attribute at all.
    assert!(!nix.contains("pywin32"), "{nix}");
    if !require_nix("platform_keys_select_systems_as_in_poetry_core") {
        return;
    }
    let file = project.join("python-packages.nix");
    for (key, throwing) in evaluate(&project, &nix, "desktop-app") {
        assert!(throwing.is_empty(), "{key}: {throwing:?}");
        let (system, python) = key.split_once('/').unwrap();
        let mut expected = Vec::new();
        if system == "x86_64-linux" {
            expected.push("colorama");
        }
        if system.ends_with("darwin") {
            expected.push("pyobjc-core");
        }
        if python != "3.11" {
            expected.push("six");
        }
        assert_eq!(root_dependencies(&file, system, python, "desktop-app"), expected, "{key}");
    }
}

#[test]
fn extras_naming_no_dependency_warn_and_are_ignored() {
    let packages = [Package::new("six", "1.17.0")];
    let pyproject = r#"[tool.poetry]
name = "infra-app"

[tool.poetry.dependencies]
python = "^3.11"
six = "*"

[tool.poetry.extras]
infra = ["ansible"]
both = ["six", "ansible-core (>=2.15)"]
"#;
    let server = serve(&packages);
    let project = Project::inline(&lock("2.0", &packages), pyproject);
    let output = run(&project, &server, &[]);
    let nix = ok(&output);
    insta::assert_snapshot!(generated_run(&output, &server), @r#"
    exit code: 0
    ----- stdout -----
    [NIX]
    ----- stderr -----
    lock2nix: warning: pyproject.toml: extra `both` names `ansible-core (>=2.15)`, which is not a dependency in [tool.poetry.dependencies]; Poetry ignores the name (`poetry check`: Cannot find dependency "ansible-core (>=2.15)" for extra "both" in main dependencies), and so does lock2nix
    lock2nix: warning: pyproject.toml: extra `infra` names `ansible`, which is not a dependency in [tool.poetry.dependencies]; Poetry ignores the name (`poetry check`: Cannot find dependency "ansible" for extra "infra" in main dependencies), and so does lock2nix
    lock2nix: 1 packages for 16 targets; 1 index requests, 0 from cache; 0 artifacts downloaded for inference
    "#);
    insta::assert_snapshot!(support::attribute(&nix, "infra-app"), @r#"
    infra-app = final.buildPythonPackage {
      pname = "infra-app";
      version = "0";
      pyproject = false;
      dontUnpack = true;
      dontCheckPythonMetadata = true;
      installPhase = "mkdir -p $out";
      dependencies = [ final.six ];
      passthru = {
        optional-dependencies = {
          both = [ final.six ];
          infra = [ ];
        };
        dependency-groups = { };
      };
    };
    "#);
}

/// A lock 2.1 whose markers keep `six` (a main dependency) to macOS, and list `extra-tool`
/// for the main group although nothing depends on it.
fn contradicting_lock() -> (Vec<Package>, &'static str) {
    let packages = vec![
        Package::new("six", "1.17.0").line("groups = [\"main\"]").line("markers = \"sys_platform == 'darwin'\""),
        Package::new("certifi", "2026.7.22").line("groups = [\"main\"]"),
        Package::new("extra-tool", "1.0").line("groups = [\"main\"]"),
    ];
    let pyproject = "[project]\nname = \"marked\"\nversion = \"1.0\"\nrequires-python = \">=3.12\"\ndependencies = [\"six\", \"certifi\"]\n";
    (packages, pyproject)
}

#[test]
fn lock_markers_that_contradict_the_graph_are_followed_and_reported() {
    let (packages, pyproject) = contradicting_lock();
    let server = serve(&packages);
    let project = Project::inline(&lock("2.1", &packages), pyproject);
    let output = run(&project, &server, &[]);
    let nix = ok(&output);
    insta::assert_snapshot!(generated_run(&output, &server), @"
    exit code: 0
    ----- stdout -----
    [NIX]
    ----- stderr -----
    lock2nix: warning: poetry.lock: the lock's markers leave out 1 package(s) that the dependency graph reaches from the project's roots: six==1.17.0 on x86_64-linux, aarch64-linux. Poetry's installer follows the markers (installer.re-resolve = false), and so does this file; re-lock with Poetry 2.1.2 or newer (`poetry lock --regenerate`) to correct them, or pass --re-resolve to install what the graph reaches
    lock2nix: 3 packages for 12 targets; 3 index requests, 0 from cache; 0 artifacts downloaded for inference
    ");
    insta::assert_snapshot!(index_header(&nix, &server), @"
    # This file was generated by lock2nix [VERSION] with the command:
    #   lock2nix --index-url [INDEX]/simple/ --no-infer poetry.lock
    # Regenerate it instead of editing it; put fixes in an overlay composed after this one.
    # Lock: Poetry lock 2.1, 3 packages; installed where the lock's markers say (Poetry's installer.re-resolve = false)
    # Systems: x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin; CPython 3.12, 3.13, 3.14
    # Artifacts: prefer wheels; manylinux up to glibc 2.40; macOS 14.0 or newer
    # The project is attribute `marked`; paths above are relative to this file's folder.
    ");
    // Poetry installs `extra-tool` (its markers hold for the main group), so the project lists it.
    insta::assert_snapshot!(support::attribute(&nix, "marked"), @r#"
    marked = final.buildPythonPackage {
      pname = "marked";
      version = "1.0";
      pyproject = false;
      dontUnpack = true;
      dontCheckPythonMetadata = true;
      installPhase = "mkdir -p $out";
      dependencies = [
        final.certifi
        final.extra-tool
      ]
      ++ lib.optionals (builtins.elem system [ "x86_64-darwin" "aarch64-darwin" ]) [ final.six ];
      passthru = {
        optional-dependencies = { };
        dependency-groups = { };
      };
    };
    "#);

    // No warning.
    let resolved = run(&project, &server, &["--re-resolve"]);
    let graph = ok(&resolved);
    insta::assert_snapshot!(generated_run(&resolved, &server), @"
    exit code: 0
    ----- stdout -----
    [NIX]
    ----- stderr -----
    lock2nix: 2 packages for 12 targets; 0 index requests, 2 from cache; 0 artifacts downloaded for inference
    ");
    insta::assert_snapshot!(index_header(&graph, &server), @"
    # This file was generated by lock2nix [VERSION] with the command:
    #   lock2nix --re-resolve --index-url [INDEX]/simple/ --no-infer poetry.lock
    # Regenerate it instead of editing it; put fixes in an overlay composed after this one.
    # Lock: Poetry lock 2.1, 3 packages
    # Systems: x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin; CPython 3.12, 3.13, 3.14
    # Artifacts: prefer wheels; manylinux up to glibc 2.40; macOS 14.0 or newer
    # The project is attribute `marked`; paths above are relative to this file's folder.
    ");
    assert!(!graph.contains("extra-tool"), "nothing reaches it in the graph");

    if !require_nix("lock_markers_that_contradict_the_graph_are_followed_and_reported") {
        return;
    }
    let file = project.join("python-packages.nix");
    for (key, throwing) in evaluate(&project, &nix, "marked") {
        assert!(throwing.is_empty(), "{key}: {throwing:?}");
        let (system, python) = key.split_once('/').unwrap();
        let expected: &[&str] =
            if system.ends_with("linux") { &["certifi", "extra-tool"] } else { &["certifi", "extra-tool", "six"] };
        assert_eq!(root_dependencies(&file, system, python, "marked"), expected, "{key}: as the lock says");
    }
    for (key, throwing) in evaluate(&project, &graph, "marked") {
        assert!(throwing.is_empty(), "{key}: {throwing:?}");
        let (system, python) = key.split_once('/').unwrap();
        assert_eq!(root_dependencies(&file, system, python, "marked"), ["certifi", "six"], "{key}: as the graph says");
    }
}

#[test]
fn a_project_named_like_a_package_or_the_package_set_gets_an_attribute_of_its_own() {
    let packages = [Package::new("six", "1.17.0"), Package::new("pkgs", "0.1")];
    let server = serve(&packages);
    let mut runs = Vec::new();
    for (name, attr) in [("Six", "six-project"), ("python", "python-project")] {
        let pyproject = format!(
            "[project]\nname = \"{name}\"\nversion = \"1.0\"\nrequires-python = \">=3.12\"\ndependencies = [\"six\", \"pkgs\"]\n"
        );
        let project = Project::inline(&lock("2.0", &packages), &pyproject);
        let output = run(&project, &server, &[]);
        let nix = ok(&output);
        runs.push(generated_run(&output, &server) + &index_header(&nix, &server));
        // The locked package `pkgs` must not replace the package set's own `pkgs`.
        let pkgs = support::attribute(&nix, "pkgs-package");
        assert_eq!(pkgs.lines().next(), Some("  pkgs-package = final.buildPythonPackage {"), "{nix}");
        if require_nix("a_project_named_like_a_package_or_the_package_set_gets_an_attribute_of_its_own") {
            for (key, throwing) in evaluate(&project, &nix, attr) {
                assert!(throwing.is_empty(), "{key}: {throwing:?}");
            }
        }
    }
    insta::assert_snapshot!(runs.join("\n"), @"
    exit code: 0
    ----- stdout -----
    [NIX]
    ----- stderr -----
    lock2nix: warning: the project's attribute is `six-project`: `six` is the attribute of a locked package
    lock2nix: 1 packages for 12 targets; 1 index requests, 0 from cache; 0 artifacts downloaded for inference
    # This file was generated by lock2nix [VERSION] with the command:
    #   lock2nix --index-url [INDEX]/simple/ --no-infer poetry.lock
    # Regenerate it instead of editing it; put fixes in an overlay composed after this one.
    # Lock: Poetry lock 2.0, 2 packages
    # Systems: x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin; CPython 3.12, 3.13, 3.14
    # Artifacts: prefer wheels; manylinux up to glibc 2.40; macOS 14.0 or newer
    # The project is attribute `six-project` (`six` is the attribute of a locked package); paths above are relative to this file's folder.

    exit code: 0
    ----- stdout -----
    [NIX]
    ----- stderr -----
    lock2nix: warning: the project's attribute is `python-project`: `python` is an attribute of the Python package set itself
    lock2nix: 2 packages for 12 targets; 2 index requests, 0 from cache; 0 artifacts downloaded for inference
    # This file was generated by lock2nix [VERSION] with the command:
    #   lock2nix --index-url [INDEX]/simple/ --no-infer poetry.lock
    # Regenerate it instead of editing it; put fixes in an overlay composed after this one.
    # Lock: Poetry lock 2.0, 2 packages
    # Systems: x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin; CPython 3.12, 3.13, 3.14
    # Artifacts: prefer wheels; manylinux up to glibc 2.40; macOS 14.0 or newer
    # The project is attribute `python-project` (`python` is an attribute of the Python package set itself); paths above are relative to this file's folder.
    ");
}

#[test]
fn warnings_of_one_kind_make_one_line_and_quiet_means_quiet() {
    let packages: Vec<Package> = ["alpha", "bravo", "charlie", "delta", "echo"]
        .iter()
        .map(|n| Package::new(n, "1.0").files(&["sdist"]))
        .collect();
    let pyproject = "[tool.poetry]\nname = \"many\"\n\n[tool.poetry.dependencies]\npython = \"^3.12\"\nalpha = \"*\"\nbravo = \"*\"\ncharlie = \"*\"\ndelta = \"*\"\necho = \"*\"\n";
    let server = serve(&packages);
    let project = Project::inline(&lock("2.0", &packages), pyproject);
    let output = run(&project, &server, &[]);
    insta::assert_snapshot!(generated_run(&output, &server), @"
    exit code: 0
    ----- stdout -----
    [NIX]
    ----- stderr -----
    lock2nix: warning: 5 sdists whose build system was not inferred; nixpkgs' setuptools and wheel are used: alpha 1.0, bravo 1.0, charlie 1.0, delta 1.0, echo 1.0 (-v lists each)
    lock2nix: 5 packages for 12 targets; 5 index requests, 0 from cache; 0 artifacts downloaded for inference
    ");
    // -v lists each.
    let verbose = run(&project, &server, &["-v"]);
    insta::assert_snapshot!(generated_run(&verbose, &server), @"
    exit code: 0
    ----- stdout -----
    [NIX]
    ----- stderr -----
    lock2nix: warning: alpha 1.0 (alpha-1.0.tar.gz): build system not inferred; nixpkgs' setuptools and wheel
    lock2nix: warning: bravo 1.0 (bravo-1.0.tar.gz): build system not inferred; nixpkgs' setuptools and wheel
    lock2nix: warning: charlie 1.0 (charlie-1.0.tar.gz): build system not inferred; nixpkgs' setuptools and wheel
    lock2nix: warning: delta 1.0 (delta-1.0.tar.gz): build system not inferred; nixpkgs' setuptools and wheel
    lock2nix: warning: echo 1.0 (echo-1.0.tar.gz): build system not inferred; nixpkgs' setuptools and wheel
    lock2nix: 5 packages for 12 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference
    lock2nix: answered from the run memo: nothing this run reads has changed (--refresh runs again)
    ");
    // -q prints nothing but errors.
    let quiet = run(&project, &server, &["-q"]);
    insta::assert_snapshot!(generated_run(&quiet, &server), @"
    exit code: 0
    ----- stdout -----
    [NIX]
    ");
}
