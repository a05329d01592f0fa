//! Sources that are not index files, end to end: a `develop = true` folder, a local wheel, url
//! files with and without a hash (served on 127.0.0.1), a package in a subdirectory of a git
//! repository with a submodule (`git daemon` on 127.0.0.1), `--hashes`, unreachable remotes,
//! and the project itself built from its folder. The output evaluates for every target against
//! the nixpkgs stub, and builds (the project imports every dependency) with a real CPython.

mod support;

use std::fmt::Write as _;
use std::process::Command;

use sha2::{Digest, Sha256};
use support::artifacts::{self, Artifact};
use support::git::{Daemon, commit_all, git, write};
use support::nix::{evaluate_everywhere_and_build, require_nix};
use support::project::{Project, borrowed, elided, filtered, run_text, stderr};
use support::{IndexServer, Reply};

fn sha256(bytes: &[u8]) -> String {
    support::hex(&Sha256::digest(bytes))
}

/// A pure-Python wheel holding `module/__init__.py` with `text`.
fn pure_wheel(name: &str, version: &str, module: &str, text: &str) -> Artifact {
    artifacts::pure_wheel(name, version, &[(format!("{module}/__init__.py"), text.as_bytes().to_vec())])
}

fn package(name: &str, files: &str, source: &str, extra: &str) -> String {
    format!(
        "[[package]]\nname = \"{name}\"\nversion = \"1.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = [{files}]\n{extra}\n[package.source]\n{source}\n\n"
    )
}

const PYPROJECT: &str = r#"[tool.poetry]
name = "app"
version = "0.3.0"
description = ""
authors = []
packages = [{ include = "app" }]

[tool.poetry.dependencies]
python = "^3.9"
local-a = { path = "libs/local-a", develop = true }
local-b = { path = "dist/local_b-1.0-py3-none-any.whl" }
url-c = { url = "URL_C" }
url-d = { url = "URL_D" }
git-e = { git = "GIT_E", subdirectory = "pkg" }

[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "app"
version = "0.3.0"
requires-python = ">=3.9"
dependencies = ["local-a", "local-b", "url-c", "url-d", "git-e"]
"#;

struct Fixture {
    project: Project,
    server: IndexServer,
    url_c: Artifact,
    url_d: Artifact,
    daemon: Daemon,
    /// The repositories `daemon` serves.
    _repositories: tempfile::TempDir,
}

/// Under `base`: `super`, whose `pkg/` folder is a package (`git-e`) that reads a file of the
/// submodule `lib` mounted inside it; returns the commit.
fn git_repositories(base: &std::path::Path) -> String {
    let lib = base.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    git(&lib, &["init", "-q"]);
    write(&lib.join("value.txt"), "e\n");
    commit_all(&lib, "lib");
    let repo = base.join("super");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    let init = "import os\nVALUE = open(os.path.join(os.path.dirname(__file__), 'data', 'value.txt')).read().strip()\n";
    for (path, text) in artifacts::in_tree_project("git-e", "1.0", "git_e", init, &[]) {
        write(&repo.join("pkg").join(path), &text);
    }
    write(&repo.join("README"), "the package is in pkg/\n");
    git(&repo, &["submodule", "add", "-q", "../lib", "pkg/git_e/data"]);
    commit_all(&repo, "super")
}

/// The project: a folder dependency, a local wheel, a url wheel with a hash and one without.
fn fixture() -> Fixture {
    let server = IndexServer::start();
    let local_b = pure_wheel("local-b", "1.0", "local_b", "VALUE = 'b'\n");
    let url_c = pure_wheel("url-c", "1.0", "url_c", "VALUE = 'c'\n");
    let url_d = pure_wheel("url-d", "1.0", "url_d", "VALUE = 'd'\n");
    for wheel in [&url_c, &url_d] {
        server.route(
            format!("/files/{}", wheel.filename),
            vec![Reply::new(200, "application/octet-stream", wheel.bytes.clone())],
        );
    }
    let url = |w: &Artifact| server.url(&format!("/files/{}", w.filename));
    let mut lock = String::new();
    lock += &package("local-a", "", "type = \"directory\"\nurl = \"libs/local-a\"", "develop = true\n");
    lock += &package(
        "local-b",
        &format!("\n    {{file = \"{}\", hash = \"sha256:{}\"}},\n", local_b.filename, sha256(&local_b.bytes)),
        &format!("type = \"file\"\nurl = \"dist/{}\"", local_b.filename),
        "",
    );
    lock += &package(
        "url-c",
        &format!("\n    {{file = \"{}\", hash = \"sha256:{}\"}},\n", url_c.filename, sha256(&url_c.bytes)),
        &format!("type = \"url\"\nurl = \"{}\"", url(&url_c)),
        "",
    );
    lock += &package(
        "url-d",
        &format!("\n    {{file = \"{}\"}},\n", url_d.filename),
        &format!("type = \"url\"\nurl = \"{}\"", url(&url_d)),
        "",
    );
    let repositories = tempfile::tempdir().unwrap();
    let rev = git_repositories(repositories.path());
    let daemon = Daemon::start(repositories.path(), &repositories.path().join("daemon.log")).expect("git daemon");
    let git_url = format!("git://127.0.0.1:{}/super", daemon.port);
    lock += &package(
        "git-e",
        "",
        &format!(
            "type = \"git\"\nurl = \"{git_url}\"\nreference = \"HEAD\"\nresolved_reference = \"{rev}\"\nsubdirectory = \"pkg\""
        ),
        "",
    );
    lock += "[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\ncontent-hash = \"0\"\n";
    let pyproject = PYPROJECT.replace("URL_C", &url(&url_c)).replace("URL_D", &url(&url_d)).replace("GIT_E", &git_url);
    let project = Project::inline(&lock, &pyproject);
    let app_init = "import local_a, local_b, url_c, url_d, git_e\nVALUES = (local_a.VALUE, local_b.VALUE, url_c.VALUE, url_d.VALUE, git_e.VALUE)\ndef main():\n    print(VALUES)\n";
    for (path, text) in artifacts::in_tree_project("app", "0.3.0", "app", app_init, &[("app-hello", "app:main")]) {
        // Its pyproject.toml is PYPROJECT, which names the same backend.
        if path != "pyproject.toml" {
            project.write(&path, &text);
        }
    }
    for (path, text) in artifacts::in_tree_project("local-a", "1.0", "local_a", "VALUE = 'a'\n", &[]) {
        project.write(&format!("libs/local-a/{path}"), &text);
    }
    // Debris a folder source must not carry into the store.
    project.write("libs/local-a/local_a/__pycache__/junk.pyc", "x");
    project.write("libs/local-a/build/lib/stale.py", "x");
    std::fs::create_dir_all(project.join("dist")).unwrap();
    std::fs::write(project.join(&format!("dist/{}", local_b.filename)), &local_b.bytes).unwrap();
    Fixture { project, server, url_c, url_d, daemon, _repositories: repositories }
}

fn section(nix: &str, name: &str) -> String {
    support::attribute(nix, name)
}

/// The placeholders of the fixture's machine-dependent values: the file server as `[SERVER]`,
/// the git daemon as `[GIT]`, the locked commit as `[REV]`, the sha256 of the url wheels (the
/// lock's for url-c, computed by lock2nix for url-d) by their file names, the project's folder
/// as `[TMP]`.
fn fixture_filters(
    project: &Project,
    server: &IndexServer,
    daemon: &Daemon,
    urls: &[&Artifact],
) -> Vec<(String, String)> {
    let lock = project.read("poetry.lock").unwrap();
    let rev = lock.split("resolved_reference = \"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let mut filters = vec![
        (server.url(""), "[SERVER]".to_string()),
        (format!("git://127.0.0.1:{}", daemon.port), "[GIT]".to_string()),
        (rev, "[REV]".to_string()),
    ];
    filters.extend(artifacts::hash_filters(urls));
    filters.push((project.path_text().to_string(), "[TMP]".to_string()));
    filters
}

#[test]
fn path_url_and_project_sources_generate_evaluate_and_build() {
    let Fixture { project, server, url_c, url_d, daemon, _repositories } = fixture();
    let out = project.run(&["-o", "nix/python-packages.nix", "--hashes", "lock2nix-hashes.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nix = project.read("nix/python-packages.nix").unwrap();
    assert!(!nix.contains(project.path().to_str().unwrap()), "no absolute path: {nix}");

    let filters = fixture_filters(&project, &server, &daemon, &[&url_c, &url_d]);
    let filters = borrowed(&filters);

    // The folder: a filtered path relative to the generated file, built with its backend,
    // and recorded as editable in the helpers' metadata.
    insta::assert_snapshot!(section(&nix, "local-a"), @r#"
    local-a = final.buildPythonPackage {
      pname = "local-a";
      version = "1.0";
      pyproject = true;
      src = cleanSource ../libs/local-a;
      # lock2nix: inferred: build system backend from its pyproject.toml [build-system]
      build-system = [ ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(support::block(&nix, "      local-a = {"), @r#"
    local-a = {
      pname = "local-a";
      version = "1.0";
      path = "../libs/local-a";
      roots = [ "." ];
      scripts = { };
    };
    "#);
    // The local wheel: the file itself.
    insta::assert_snapshot!(section(&nix, "local-b"), @r#"
    local-b = final.buildPythonPackage {
      pname = "local-b";
      version = "1.0";
      format = "wheel";
      src = ../dist/local_b-1.0-py3-none-any.whl;
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    // Url files: fetchurl with the lock's hash, or the one computed by downloading.
    insta::assert_snapshot!(filtered(&section(&nix, "url-c"), &filters), @r#"
    url-c = final.buildPythonPackage {
      pname = "url-c";
      version = "1.0";
      format = "wheel";
      src = fetchurl {
        name = "url_c-1.0-py3-none-any.whl";
        url = "[SERVER]/files/url_c-1.0-py3-none-any.whl";
        hash = "[sri of url_c-1.0-py3-none-any.whl]";
      };
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(filtered(&section(&nix, "url-d"), &filters), @r#"
    url-d = final.buildPythonPackage {
      pname = "url-d";
      version = "1.0";
      format = "wheel";
      src = fetchurl {
        name = "url_d-1.0-py3-none-any.whl";
        url = "[SERVER]/files/url_d-1.0-py3-none-any.whl";
        hash = "[sri of url_d-1.0-py3-none-any.whl]";
      };
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    // Git: fetchgit at the locked commit with the hash of the checkout, submodules included,
    // built from the subdirectory.
    insta::assert_snapshot!(filtered(&section(&nix, "git-e"), &filters), @r#"
    git-e = final.buildPythonPackage {
      pname = "git-e";
      version = "1.0";
      pyproject = true;
      src = fetchgit {
        url = "[GIT]/super";
        rev = "[REV]";
        hash = "sha256-MC1A8XneH24z1jeU9VHqMwqhXTl1M6wVVGJEq+a99OE=";
        fetchSubmodules = true;
      };
      postUnpack = "sourceRoot=\"$sourceRoot\"/pkg";
      # lock2nix: inferred: build system backend from its pyproject.toml [build-system]
      build-system = [ ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    // The project: built from its folder with its build system.
    insta::assert_snapshot!(section(&nix, "app"), @r#"
    app = final.buildPythonPackage {
      pname = "app";
      version = "0.3.0";
      pyproject = true;
      src = cleanSource ../.;
      # lock2nix: inferred: build system backend from its pyproject.toml [build-system]
      build-system = [ ];
      doCheck = false;
      dependencies = [
        final.git-e
        final.local-a
        final.local-b
        final.url-c
        final.url-d
      ];
      passthru = {
        optional-dependencies = { };
        dependency-groups = { };
      };
    };
    "#);

    // url-d's hash was computed; url-c's is the lock's, so the file does not repeat it.
    let hashes = project.read("lock2nix-hashes.toml").unwrap();
    insta::assert_snapshot!(filtered(&hashes, &filters), @r#"
    # Hashes lock2nix computed for sources the lock records none for (git checkouts, files by
    # URL), so that regenerating needs no access to those remotes. Keep it beside the lock and
    # commit it; `lock2nix --hashes FILE` reads it and adds what it computes.

    [[git]]
    url = "[GIT]/super"
    rev = "[REV]"
    subdirectory = "pkg"
    hash = "sha256-MC1A8XneH24z1jeU9VHqMwqhXTl1M6wVVGJEq+a99OE="
    submodules = true
    build-backend = "backend"
    build-requires = []
    build-source = "pyproject.toml [build-system]"

    [[url]]
    url = "[SERVER]/files/url_d-1.0-py3-none-any.whl"
    sha256 = "[sha256 of url_d-1.0-py3-none-any.whl]"
    "#);

    if require_nix("path_url_and_project_sources_generate_evaluate_and_build") {
        evaluate_and_build(&project);
    }

    // The computed hashes are kept: with the remotes gone, a run gives the same file.
    drop(daemon);
    let before = server.total_hits();
    let again = project.run(&["-o", "nix/python-packages.nix", "--hashes", "lock2nix-hashes.toml", "--no-cache"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(server.total_hits(), before, "the hashes file answers");
    assert_eq!(project.read("nix/python-packages.nix").unwrap(), nix);
    assert_eq!(project.read("lock2nix-hashes.toml").unwrap(), hashes, "stable");
    // Without it the git remote is needed: one clear error naming the package, URL and fix.
    let cold = project.run(&["-o", "cold.nix", "--no-cache"]);
    // What git says varies with its version.
    insta::assert_snapshot!(elided(&run_text(&cold, &filters), "(rev [REV]): ", "\n", "[GIT OUTPUT]"), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: git-e==1.0: cannot reach [GIT]/super: `git fetch` failed for [GIT]/super (rev [REV]): [GIT OUTPUT]
    lock2nix: hint: record its hash in a --hashes FILE from a run that can reach it, or pass --allow-missing to generate it as an attribute that throws when used
    ");
    let allowed = project.run(&["-o", "cold.nix", "--no-cache", "--allow-missing"]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    insta::assert_snapshot!(filtered(&section(&project.read("cold.nix").unwrap(), "git-e"), &filters), @r#"
    git-e = final.buildPythonPackage {
      pname = "git-e";
      version = "1.0";
      pyproject = false;
      src = (throw "lock2nix: git-e 1.0 cannot be installed on ${system} with CPython ${python}: [GIT]/super could not be fetched when this file was generated (--allow-missing); make it reachable, or record its hash in a --hashes FILE from a machine that reaches it, and regenerate");
      dependencies = [ ];
      doCheck = false;
    };
    "#);
}

fn evaluate_and_build(project: &Project) {
    let output = project.join("nix/python-packages.nix");
    let built = evaluate_everywhere_and_build(&output, "app", &["3.9", "3.13"], &project.join("result"));
    let run = std::process::Command::new(built.join("bin/python"))
        .args(["-c", "import app; print(app.VALUES)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "('a', 'b', 'c', 'd', 'e')", "{}", stderr(&run));
    // The project's console script is on the environment's PATH.
    let script = std::process::Command::new(built.join("bin/app-hello")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&script.stdout).trim(), "('a', 'b', 'c', 'd', 'e')", "{}", stderr(&script));
}

#[test]
fn a_missing_path_and_an_unreachable_url_are_one_clear_error() {
    let Fixture { project, server, daemon: _daemon, _repositories, .. } = fixture();
    let moved = project.join("libs/moved");
    std::fs::rename(project.join("libs/local-a"), &moved).unwrap();
    let out = project.run(&["-o", "out.nix"]);
    insta::assert_snapshot!(run_text(&out, &[]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: local-a==1.0: the lock's path `libs/local-a` is not an existing folder (paths are relative to the project's folder)
    ");
    assert!(!project.join("out.nix").exists(), "nothing written");
    std::fs::rename(&moved, project.join("libs/local-a")).unwrap();

    // The url without a hash cannot be downloaded: the error names the package, the URL and
    // --hashes; with --allow-missing the package throws when used.
    server.route("/files/url_d-1.0-py3-none-any.whl", vec![Reply::status(404); 8]);
    let out = project.run(&["--retries", "0", "-o", "out.nix"]);
    insta::assert_snapshot!(run_text(&out, &[(&server.url(""), "[SERVER]")]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: url-d==1.0: cannot reach [SERVER]/files/url_d-1.0-py3-none-any.whl: HTTP 404
    lock2nix: hint: record its hash in a --hashes FILE from a run that can reach it, or pass --allow-missing to generate it as an attribute that throws when used
    ");
    // Offline, the same package fails for want of its hash, not of the network.
    let out = project.run(&["--offline", "-o", "out.nix"]);
    insta::assert_snapshot!(run_text(&out, &[(&server.url(""), "[SERVER]")]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: url-d==1.0: cannot reach [SERVER]/files/url_d-1.0-py3-none-any.whl: --offline, and neither --hashes nor the cache knows its sha256
    lock2nix: hint: record its hash in a --hashes FILE from a run that can reach it, or pass --allow-missing to generate it as an attribute that throws when used
    ");
    let out = project.run(&["--retries", "0", "--allow-missing", "-o", "out.nix"]);
    // What went wrong on this machine is in the warning, not in the file.
    insta::assert_snapshot!(run_text(&out, &[(&server.url(""), "[SERVER]")]), @"
    exit code: 0
    ----- stderr -----
    lock2nix: warning: url-d==1.0: cannot download [SERVER]/files/url_d-1.0-py3-none-any.whl: HTTP 404; generated as an attribute that throws when used (--allow-missing)
    lock2nix: 5 packages for 24 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference
    ");
    let nix = project.read("out.nix").unwrap();
    insta::assert_snapshot!(filtered(&section(&nix, "url-d"), &[(&server.url(""), "[SERVER]")]), @r#"
    url-d = final.buildPythonPackage {
      pname = "url-d";
      version = "1.0";
      pyproject = false;
      src = (throw "lock2nix: url-d 1.0 cannot be installed on ${system} with CPython ${python}: [SERVER]/files/url_d-1.0-py3-none-any.whl could not be fetched when this file was generated (--allow-missing); make it reachable, or record its hash in a --hashes FILE from a machine that reaches it, and regenerate");
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    // ("HTTP 404", not "404", which a loopback port number may contain.)
    assert!(!nix.contains("HTTP 404"), "{nix}");
    let again = project.run(&["--retries", "0", "--allow-missing", "-o", "again.nix"]);
    assert_eq!(
        project.read("again.nix").map(|t| support::project::without_command(&t)),
        Some(support::project::without_command(&nix))
    );
    assert!(again.status.success());
}

/// Issue 11: a local mirror (a folder laid out as a static simple index, as `--index-url PATH`
/// or a `file://` URL) serves pages and files from disk; its files become paths beside the
/// generated file, the header records the mirror relative to the file, and `check` finds it
/// from another folder. No absolute path reaches the file.
#[test]
fn a_local_mirror_is_an_index_whose_files_are_paths() {
    use support::synthetic::{Package, lock, sha256_of};
    let packages = [Package::new("six", "1.17.0"), Package::new("idna", "3.10").files(&["py3-none-any", "sdist"])];
    let pyproject = "[tool.poetry]\nname = \"app\"\nversion = \"1.0.0\"\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\nsix = \"*\"\nidna = \"*\"\n";
    let project = Project::inline(&lock("2.0", &packages), pyproject);
    for package in &packages {
        let mut links = String::new();
        for (k, file) in package.filenames().iter().enumerate() {
            // A file's content is its name: its sha256 is the one the lock records. The first
            // file's link carries its hash, the others' none (lock2nix hashes those itself).
            project.write(&format!("mirror/packages/{file}"), file);
            let fragment = if k == 0 { format!("#sha256={}", sha256_of(file)) } else { String::new() };
            let _ = writeln!(links, "<a href=\"../../packages/{file}{fragment}\">{file}</a>");
        }
        project.write(
            &format!("mirror/simple/{}/index.html", package.name),
            &format!("<html><body>\n{links}</body></html>\n"),
        );
    }
    let file_url = format!("file://{}/mirror/simple", project.path().display());
    // The folder and its file:// URL give the same file.
    let mut generated = Vec::new();
    for index in ["mirror/simple", file_url.as_str()] {
        let output = project.run(&["--index-url", index, "--no-infer", "-o", "nix/python-packages.nix"]);
        assert!(output.status.success(), "{index}: {}", stderr(&output));
        let nix = project.read("nix/python-packages.nix").unwrap();
        let root = project.path().display().to_string();
        assert!(!nix.contains(&root) && !nix.contains("file://"), "an absolute path in:\n{nix}");
        generated.push(nix);
    }
    assert_eq!(generated[0], generated[1]);
    insta::assert_snapshot!(support::header_text(&generated[0], &[]), @"
    # This file was generated by lock2nix [VERSION] with the command:
    #   lock2nix --index-url ../mirror/simple/ --no-infer ../poetry.lock
    # Regenerate it instead of editing it; put fixes in an overlay composed after this one.
    # Lock: Poetry lock 2.0, 2 packages
    # Systems: x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin; CPython 3.11, 3.12, 3.13, 3.14
    # Artifacts: prefer wheels; manylinux up to glibc 2.40; macOS 14.0 or newer
    # The project is attribute `app`; paths above are relative to this file's folder.
    ");
    insta::assert_snapshot!(section(&generated[0], "six") + &section(&generated[0], "idna"), @r#"
    six = final.buildPythonPackage {
      pname = "six";
      version = "1.17.0";
      format = "wheel";
      src = ../mirror/packages/six-1.17.0-py3-none-any.whl;
      dependencies = [ ];
      doCheck = false;
    };
    idna = final.buildPythonPackage {
      pname = "idna";
      version = "3.10";
      format = "wheel";
      src = ../mirror/packages/idna-3.10-py3-none-any.whl;
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    let check = project.run_bare(&["check", "nix/python-packages.nix", "--cache-dir", "cache"]);
    assert!(check.status.success(), "{}", stderr(&check));
    let elsewhere = Command::new(env!("CARGO_BIN_EXE_lock2nix"))
        .args(["check", "python-packages.nix", "--cache-dir", "../cache"])
        .current_dir(project.join("nix"))
        .output()
        .unwrap();
    assert!(elsewhere.status.success(), "{}", stderr(&elsewhere));
    // A folder that is no mirror, and a mirror without the project.
    let no_mirror = project.run(&["--index-url", "no-such-folder", "--no-infer"]);
    project.remove("mirror/simple/six/index.html");
    let no_project = project.run(&["--index-url", "mirror/simple", "--no-infer", "--refresh", "-o", "other.nix"]);
    let filters = [(project.path_text(), "[TMP]")];
    insta::assert_snapshot!(run_text(&no_mirror, &filters) + &run_text(&no_project, &filters), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: --index-url no-such-folder: an index must be an http:// or https:// URL, such as https://pypi.org/simple/, or the folder of a local mirror (a path or a file:// URL)
    exit code: 1
    ----- stderr -----
    lock2nix: error: the index no longer offers files poetry.lock needs: six==1.17.0 (project not found on index file://[TMP]/mirror/simple/ (HTTP 404))
    lock2nix: hint: re-lock with `poetry lock` to choose files that exist, or pass --allow-missing to generate anyway (those packages then throw when used)
    ");
}
