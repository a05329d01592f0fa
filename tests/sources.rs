//! Sources that are not index files, end to end: a `develop = true` folder, a local wheel, url
//! files with and without a hash (served on 127.0.0.1), a package in a subdirectory of a git
//! repository with a submodule (`git daemon` on 127.0.0.1), `--hashes`, unreachable remotes,
//! and the project itself built from its folder. The output evaluates for every target against
//! the nixpkgs stub, and builds (the project imports every dependency) with a real CPython.

mod support;

use std::fmt::Write as _;
use std::process::Command;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use support::artifacts::{self, Artifact};
use support::git::{Daemon, commit_all, git, write};
use support::nix::{evaluate_everywhere_and_build, require_nix};
use support::project::{Project, run_text, stderr};
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
    Fixture { project, server, url_d, daemon, _repositories: repositories }
}

fn section(nix: &str, name: &str) -> String {
    support::attribute(nix, name)
}

#[test]
fn path_url_and_project_sources_generate_evaluate_and_build() {
    let Fixture { project, server, url_d, daemon, _repositories } = fixture();
    let out = project.run(&["-o", "nix/python-packages.nix", "--hashes", "lock2nix-hashes.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nix = project.read("nix/python-packages.nix").unwrap();
    assert!(!nix.contains(project.path().to_str().unwrap()), "no absolute path: {nix}");

    // The folder: a filtered path relative to the generated file, built with its backend,
    // and recorded as editable.
    let local_a_nix = section(&nix, "local-a");
    assert!(local_a_nix.contains("src = cleanSource ../libs/local-a;"), "{local_a_nix}");
    assert!(local_a_nix.contains("pyproject = true;") && local_a_nix.contains("build-system = [ ];"), "{local_a_nix}");
    assert!(
        nix.contains("      local-a = {\n        pname = \"local-a\";\n        version = \"1.0\";\n        path = \"../libs/local-a\";\n        roots = [ \".\" ];\n"),
        "the helpers' metadata lists local-a as editable: {nix}"
    );
    // The local wheel: the file itself.
    let local_b_nix = section(&nix, "local-b");
    assert!(
        local_b_nix.contains("format = \"wheel\";")
            && local_b_nix.contains("src = ../dist/local_b-1.0-py3-none-any.whl;"),
        "{local_b_nix}"
    );
    // Url files: fetchurl with the lock's hash, or the one computed by downloading.
    let url_c_nix = section(&nix, "url-c");
    assert!(
        url_c_nix.contains("src = fetchurl {") && url_c_nix.contains(&server.url("/files/url_c-1.0-py3-none-any.whl")),
        "{url_c_nix}"
    );
    let url_d_nix = section(&nix, "url-d");
    let d_hash = support::project::sri(&sha256(&url_d.bytes));
    assert!(url_d_nix.contains(&format!("hash = \"{d_hash}\";")), "{url_d_nix}");
    // Git: fetchgit at the locked commit with the hash of the checkout, submodules included,
    // built from the subdirectory.
    let git_e_nix = section(&nix, "git-e");
    assert!(git_e_nix.contains("src = fetchgit {") && git_e_nix.contains("fetchSubmodules = true;"), "{git_e_nix}");
    assert!(git_e_nix.contains("postUnpack = \"sourceRoot=\\\"$sourceRoot\\\"/pkg\";"), "{git_e_nix}");
    // The project: built from its folder with its build system.
    let app = section(&nix, "app");
    assert!(app.contains("src = cleanSource ../.;") && app.contains("pyproject = true;"), "{app}");
    assert!(app.contains("final.local-a") && app.contains("final.url-d"), "{app}");

    let hashes = project.read("lock2nix-hashes.toml").unwrap();
    // url-d's hash was computed; url-c's is the lock's, so the file does not repeat it.
    let url_c_hex = support::hex(&url_c_digest(&nix));
    assert!(hashes.contains(&sha256(&url_d.bytes)) && !hashes.contains(&url_c_hex), "{hashes}");
    assert!(hashes.contains("[[git]]") && hashes.contains("subdirectory = \"pkg\""), "{hashes}");

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
    assert_eq!(cold.status.code(), Some(1), "{}", stderr(&cold));
    let err = stderr(&cold);
    assert!(err.contains("git-e==1.0") && err.contains("git://127.0.0.1:") && err.contains("--hashes"), "{err}");
    let allowed = project.run(&["-o", "cold.nix", "--no-cache", "--allow-missing"]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert!(section(&project.read("cold.nix").unwrap(), "git-e").contains("throw"));
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

/// The sha256 digest of url-c as the generated file gives it (the lock's).
fn url_c_digest(nix: &str) -> Vec<u8> {
    let c = section(nix, "url-c");
    let hash = c.split("hash = \"sha256-").nth(1).unwrap().split('"').next().unwrap();
    base64::engine::general_purpose::STANDARD.decode(hash).unwrap()
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
    assert!(out.status.success(), "{}", stderr(&out));
    let nix = project.read("out.nix").unwrap();
    let d = section(&nix, "url-d");
    assert!(d.contains("throw") && d.contains("could not be fetched when this file was generated"), "{d}");
    // What went wrong on this machine is in the warning, not in the file.
    // ("HTTP 404", not "404", which a loopback port number may contain.)
    assert!(!nix.contains("HTTP 404") && stderr(&out).contains("HTTP 404"), "{}", stderr(&out));
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
    for index in ["mirror/simple", file_url.as_str()] {
        let output = project.run(&["--index-url", index, "--no-infer", "-o", "nix/python-packages.nix"]);
        assert!(output.status.success(), "{index}: {}", stderr(&output));
        let nix = project.read("nix/python-packages.nix").unwrap();
        assert!(nix.contains("--index-url ../mirror/simple/"), "{nix}");
        assert!(nix.contains("src = ../mirror/packages/six-1.17.0-py3-none-any.whl;"), "{nix}");
        assert!(nix.contains("src = ../mirror/packages/idna-3.10-py3-none-any.whl;"), "{nix}");
        let root = project.path().display().to_string();
        assert!(!nix.contains(&root) && !nix.contains("file://"), "an absolute path in:\n{nix}");
    }
    let check = project.run_bare(&["check", "nix/python-packages.nix", "--cache-dir", "cache"]);
    assert!(check.status.success(), "{}", stderr(&check));
    let elsewhere = Command::new(env!("CARGO_BIN_EXE_lock2nix"))
        .args(["check", "python-packages.nix", "--cache-dir", "../cache"])
        .current_dir(project.join("nix"))
        .output()
        .unwrap();
    assert!(elsewhere.status.success(), "{}", stderr(&elsewhere));
    // A folder that is no mirror, and a mirror without the project.
    let err = stderr(&project.run(&["--index-url", "no-such-folder", "--no-infer"]));
    assert!(err.contains("--index-url no-such-folder: an index must be an http:// or https:// URL"), "{err}");
    project.remove("mirror/simple/six/index.html");
    let err = stderr(&project.run(&["--index-url", "mirror/simple", "--no-infer", "--refresh", "-o", "other.nix"]));
    assert!(err.contains("six==1.17.0 (project not found on index file://"), "{err}");
}
