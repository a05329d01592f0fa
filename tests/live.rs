//! Checks that need PyPI itself, run by `.ci/run` (they are `#[ignore]`d so that a plain
//! `cargo test` never touches the network): a real environment of PyPI wheels is built with
//! `nix-build` and imported, and the live index gives the answers that were recorded.

mod support;

use support::nix::{
    arg_path, argstr, host_python, nix_build, nix_build_expr, nix_tests_dir, python_version, repo_root, require_nix,
    stub_dir,
};
use support::project::{Project, stderr, without_command};
use support::{IndexServer, Reply, fixture};

const PROJECTS: [&str; 6] = ["attrs", "certifi", "idna", "packaging", "six", "typing-extensions"];

/// The recorded PyPI pages of the real-env fixture, served on 127.0.0.1.
fn recorded_index() -> IndexServer {
    IndexServer::with_routes(
        PROJECTS.map(|p| (format!("/simple/{p}/"), vec![Reply::json(fixture(&format!("index/{p}.json")))])),
    )
}

/// The real-env fixture generated for the host's CPython (from the recorded pages), with that
/// Python and its minor version.
fn real_env_for_host_python() -> (Project, std::path::PathBuf, String) {
    let python = host_python();
    let minor = python_version(&python);
    let server = recorded_index();
    let project = Project::fixture("real-env");
    let out = project.run(&["--index-url", &server.index_url(), "--python", &minor, "-o", "python-packages.nix"]);
    assert!(out.status.success(), "{}", stderr(&out));
    (project, python, minor)
}

#[test]
#[ignore = "downloads six wheels from PyPI's file host; .ci/run runs it"]
fn real_pypi_wheels_build_into_an_environment_that_imports() {
    if !require_nix("real_pypi_wheels_build_into_an_environment_that_imports") {
        return;
    }
    let (project, python, minor) = real_env_for_host_python();
    let result = project.join("result");
    let built = nix_build(
        &nix_tests_dir().join("build-env.nix"),
        &[
            arg_path("overlay", &project.join("python-packages.nix")),
            argstr("root", "real-env"),
            argstr("hostPython", python.to_str().unwrap()),
            argstr("python", &minor),
        ],
        &result,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let check = "import importlib.metadata as m, attr, certifi, idna, packaging, six, typing_extensions; \
                 print(' '.join(f'{d}=={m.version(d)}' for d in ['attrs','certifi','idna','packaging','six','typing_extensions']))";
    let run = std::process::Command::new(built.join("bin/python")).args(["-c", check]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        "attrs==26.1.0 certifi==2026.7.22 idna==3.10 packaging==26.3 six==1.17.0 typing_extensions==4.16.0"
    );
}

#[test]
#[ignore = "downloads PyPI wheels; .ci/run runs it"]
fn mk_env_holds_the_dev_group_only_when_asked() {
    if !require_nix("mk_env_holds_the_dev_group_only_when_asked") {
        return;
    }
    let (project, python, minor) = real_env_for_host_python();
    let expr = format!(
        "let pkgs = import {stub} {{ hostPython = \"{host}\"; }}; h = import {helpers} {{ inherit pkgs; }}; \
         args = {{ python = pkgs.python{attr}; packages = {file}; }}; \
         in {{ main = h.mkEnv args; dev = h.mkEnv (args // {{ groups = [ \"dev\" ]; }}); }}",
        stub = stub_dir().display(),
        host = python.display(),
        helpers = repo_root().join("nix").display(),
        attr = minor.replace('.', ""),
        file = project.join("python-packages.nix").display(),
    );
    let imports = |env: &std::path::Path, module: &str| {
        let run = std::process::Command::new(env.join("bin/python")).args(["-c", &format!("import {module}")]).output();
        run.unwrap().status.success()
    };
    let main = nix_build_expr(&expr, "main", &project.join("result-main")).unwrap_or_else(|e| panic!("{e}"));
    for module in ["attr", "certifi", "idna", "six", "typing_extensions"] {
        assert!(imports(&main, module), "{module} in the main environment");
    }
    assert!(!imports(&main, "packaging"), "the dev group's packaging is not in the main environment");
    let dev = nix_build_expr(&expr, "dev", &project.join("result-dev")).unwrap_or_else(|e| panic!("{e}"));
    assert!(imports(&dev, "packaging") && imports(&dev, "six"), "the dev group is added");
}

#[test]
#[ignore = "asks PyPI's live index; .ci/run runs it"]
fn live_pypi_answers_like_the_recorded_pages() {
    let server = recorded_index();
    let recorded = Project::fixture("real-env");
    let out = recorded.run(&["--index-url", &server.index_url()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let live = Project::fixture("real-env");
    // No --index-url: the default, PyPI.
    let live_out = live.run_bare(&["--no-cache"]);
    assert!(live_out.status.success(), "{}", stderr(&live_out));
    let (a, b) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&live_out.stdout));
    assert_eq!(without_command(&a), without_command(&b), "PyPI's file URLs changed since the pages were recorded");
}
