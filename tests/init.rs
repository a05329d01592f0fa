//! `lock2nix init`: python-packages.nix and the starter files (the template of
//! `nix flake init -t`, fitted to the project), never replacing a file without --force.

mod support;

use std::path::Path;

use lock2nix::init::{LockFile, starter_files};
use lock2nix::testing::resolve::ResolveOptions;

const POETRY: LockFile<'static> = LockFile { name: "poetry.lock", relock: "poetry lock" };
use support::project::{Project, run_text, stderr};
use support::render::{example_url, render_dir};
use support::shop;

const STARTER: [&str; 4] = ["python-packages.nix", "flake.nix", ".envrc", ".vscode/settings.json"];

fn template(relative: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("nix/template").join(relative)).unwrap()
}

/// The lines of `text` from the one containing `first` to the closing one at its indentation.
fn block(text: &str, first: &str) -> String {
    let mut lines = text.lines().skip_while(|l| !l.contains(first));
    let start = lines.next().unwrap_or_else(|| panic!("no `{first}` in:\n{text}"));
    let indent = start.len() - start.trim_start().len();
    let mut out = vec![start];
    for line in lines {
        out.push(line);
        if line.len() - line.trim_start().len() == indent && line.trim_start().starts_with('}') {
            break;
        }
    }
    out.join("\n")
}

fn init(project: &Project, server: &support::IndexServer, extra: &[&str]) -> std::process::Output {
    project.run_bare(&[&["init", "--cache-dir", "cache", "--index-url", &server.index_url()][..], extra].concat())
}

#[test]
fn init_writes_the_starter_once_and_keeps_what_exists() {
    let (project, server) = shop::project();
    let out = init(&project, &server, &["--python", "3.12"]);
    let index = server.url("");
    let filters = [(index.as_str(), "[INDEX]")];
    insta::assert_snapshot!(run_text(&out, &filters), @"
    exit code: 0
    ----- stderr -----
    lock2nix: 3 packages for 4 targets; 2 index requests, 0 from cache; 0 artifacts downloaded for inference
    lock2nix: init: wrote python-packages.nix, flake.nix, .envrc, .vscode/settings.json
    lock2nix: init: next: `git add python-packages.nix flake.nix .envrc .vscode/settings.json` (flakes only see tracked files), then `direnv allow` or `nix develop`
    ");
    let flake = project.read("flake.nix").unwrap();
    insta::assert_snapshot!("init_flake", flake);
    // The same starter as `nix flake init -t`: the template, with the project's interpreter.
    assert_eq!(flake, template("flake.nix").replace("pkgs.python3;", "pkgs.python312;"));
    assert_eq!(project.read(".envrc").unwrap(), template(".envrc"));
    assert_eq!(project.read(".vscode/settings.json").unwrap(), template(".vscode/settings.json"));
    let nix = project.read("python-packages.nix").unwrap();
    // The header records the command.
    insta::assert_snapshot!(nix.lines().nth(1).unwrap().replace(&index, "[INDEX]"), @"#   lock2nix --python 3.12 --index-url [INDEX]/simple/ poetry.lock");

    // Again without --force: nothing changes, and it says why.
    let before: Vec<_> = STARTER.iter().map(|f| project.read(f)).collect();
    project.write("python-packages.nix", "# mine\n");
    let again = init(&project, &server, &[]);
    insta::assert_snapshot!(run_text(&again, &filters), @"
    exit code: 0
    ----- stderr -----
    lock2nix: init: python-packages.nix, flake.nix, .envrc, .vscode/settings.json exist; nothing written (--force replaces them)
    ");
    assert_eq!(project.read("python-packages.nix").as_deref(), Some("# mine\n"));
    assert_eq!(STARTER[1..].iter().map(|f| project.read(f)).collect::<Vec<_>>(), before[1..]);

    // A missing file is written, the others kept; a kept flake that does not use the file is named.
    project.remove(".envrc");
    project.write("flake.nix", "{ outputs = _: { }; }\n");
    let partial = init(&project, &server, &[]);
    insta::assert_snapshot!(run_text(&partial, &filters), @r#"
    exit code: 0
    ----- stderr -----
    lock2nix: 3 packages for 24 targets; 0 index requests, 2 from cache; 0 artifacts downloaded for inference
    lock2nix: init: wrote .envrc; kept python-packages.nix, flake.nix, .vscode/settings.json (--force replaces them)
    lock2nix: init: warning: the kept flake.nix does not use python-packages.nix; see the README's "The Nix helpers", or replace it with --force
    lock2nix: init: next: `git add .envrc` (flakes only see tracked files), then `direnv allow` or `nix develop`
    "#);
    assert_eq!(project.read("python-packages.nix").as_deref(), Some("# mine\n"));

    // --force replaces them all.
    let forced = init(&project, &server, &["--force"]);
    insta::assert_snapshot!(run_text(&forced, &filters), @"
    exit code: 0
    ----- stderr -----
    lock2nix: 3 packages for 24 targets; 0 index requests, 2 from cache; 0 artifacts downloaded for inference
    lock2nix: init: wrote python-packages.nix, flake.nix, .envrc, .vscode/settings.json
    lock2nix: init: next: `git add python-packages.nix flake.nix .envrc .vscode/settings.json` (flakes only see tracked files), then `direnv allow` or `nix develop`
    ");
    let replaced = project.read("python-packages.nix").unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        replaced.lines().next(),
        Some(format!("# This file was generated by lock2nix {version} with the command:").as_str())
    );
    let flake = project.read("flake.nix").unwrap();
    assert_eq!(flake, template("flake.nix").replace("pkgs.python3;", "pkgs.python313;"), "3.13 among equals");
}

#[test]
fn a_project_that_is_not_a_package_gets_no_application_and_a_failed_run_writes_nothing() {
    let (project, server) = shop::project();
    let pyproject = project.read("pyproject.toml").unwrap();
    project.write("pyproject.toml", &pyproject.replace("[build-system]\n", "[tool.not-a-build-system]\n"));
    let out = init(&project, &server, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let flake = project.read("flake.nix").unwrap();
    // No application.
    insta::assert_snapshot!(block(&flake, "packages = forAllSystems"), @"
    packages = forAllSystems (pkgs: {
      # The project's main dependencies (and the project) in one Python environment.
      default = lock2nix.lib.mkEnv (project pkgs);
    });
    ");

    let (broken, server) = shop::project();
    broken.write("poetry.lock", "not a lock [");
    let out = init(&broken, &server, &[]);
    insta::assert_snapshot!(run_text(&out, &[]), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: poetry.lock is not a valid poetry.lock: line 1, column 5: key with no value, expected `=`
    ");
    assert!(STARTER.iter().all(|f| broken.read(f).is_none()), "nothing written");
}

/// A project whose one dependency `fast` ships only the given wheels (and no sdist).
fn wheels_only(wheels: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = wheels
        .iter()
        .enumerate()
        .map(|(k, w)| format!("    {{file = \"{w}\", hash = \"sha256:{k:064x}\"}},\n"))
        .collect::<Vec<_>>()
        .concat();
    let lock = format!(
        "[[package]]\nname = \"fast\"\nversion = \"1.0\"\ndescription = \"\"\noptional = false\npython-versions = \">=3.11\"\nfiles = [\n{files}]\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \">=3.11,<3.15\"\ncontent-hash = \"0\"\n"
    );
    std::fs::write(dir.path().join("poetry.lock"), lock).unwrap();
    let pyproject =
        "[project]\nname = \"app\"\nversion = \"1\"\nrequires-python = \">=3.11,<3.15\"\ndependencies = [\"fast\"]\n";
    std::fs::write(dir.path().join("pyproject.toml"), pyproject).unwrap();
    dir
}

fn interpreter(dir: &Path, subfolder: Option<&str>) -> String {
    let (plan, _) = render_dir(dir, &ResolveOptions::default(), example_url);
    let flake = &starter_files(&plan, subfolder, POETRY)[0].text;
    flake.lines().find(|l| l.contains("python = pkgs.")).unwrap().trim().to_string()
}

#[test]
fn the_interpreter_is_the_one_whose_wheels_cover_the_most_systems() {
    // fast has wheels for 3.11 on two systems and for 3.12 on one: 3.11, not nixpkgs' 3.13.
    let dir = wheels_only(&[
        "fast-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "fast-1.0-cp311-cp311-macosx_11_0_arm64.whl",
        "fast-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ]);
    assert_eq!(interpreter(dir.path(), None), "python = pkgs.python311;");
    // Two Linux systems on 3.12 beat one on 3.11, though no minor serves macOS.
    let linux_only = wheels_only(&[
        "fast-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "fast-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "fast-1.0-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
    ]);
    assert_eq!(interpreter(linux_only.path(), None), "python = pkgs.python312;");
    // A pure wheel serves every minor alike: 3.13, named explicitly.
    let pure = wheels_only(&["fast-1.0-py3-none-any.whl"]);
    assert_eq!(interpreter(pure.path(), None), "python = pkgs.python313;");
    // Below the top of its repository, the dev shell is told where the project is.
    let (plan, _) = render_dir(pure.path(), &ResolveOptions::default(), example_url);
    let flake = &starter_files(&plan, Some("services/api/"), POETRY)[0].text;
    insta::assert_snapshot!(block(flake, "project = pkgs: {"), @r#"
    project = pkgs: {
      inherit pkgs;
      python = pkgs.python313;
      packages = ./python-packages.nix;
      overlays = [ ];
      workingTree = "$REPO_ROOT/services/api";
    };
    "#);
    // Not a package (no [build-system]): no application.
    insta::assert_snapshot!(block(flake, "packages = forAllSystems"), @"
    packages = forAllSystems (pkgs: {
      # The project's main dependencies (and the project) in one Python environment.
      default = lock2nix.lib.mkEnv (project pkgs);
    });
    ");
}
