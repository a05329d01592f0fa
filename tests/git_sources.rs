//! Proof that `lock2nix::testing::fetch::git::prefetch` computes the hash nixpkgs' `fetchgit` finds:
//! a repository with a package in a subdirectory and nested submodules is served by
//! `git daemon` on loopback, prefetched, then built by Nix with the stub's `fetchgit`
//! (`nix/stub/fetchgit.nix`), whose fixed-output hash check accepts only the right hash.
//!
//! Needs git and Nix (`apt-get install nix-bin`); `LOCK2NIX_SKIP_NIX_TESTS=1` skips, loudly.
//! No network: everything is on 127.0.0.1.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use lock2nix::testing::fetch::nar;
use lock2nix::testing::fetch::{GitTree, prefetch, resolve_reference};
use support::evaluate::thrown_whole;
use support::git::*;
use support::nix::*;

/// Under `base`: `inner` ← submodule `deps/inner` of `lib` ← submodule `vendor/lib` of `super`,
/// with relative URLs (`../lib`, `../inner`), so they resolve against wherever `super` is
/// fetched from. `super` has a package in `pkg/`, an executable, a symlink, and a nonce so that
/// every run has its own hash (a store path from an earlier run cannot stand in for the build).
fn make_repositories(base: &Path) -> String {
    let nonce = format!("{}-{}", std::process::id(), SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos());
    let inner = base.join("inner");
    fs::create_dir_all(&inner).unwrap();
    git(&inner, &["init", "-q"]);
    write(&inner.join("inner.txt"), "the innermost submodule\n");
    commit_all(&inner, "inner");

    let lib = base.join("lib");
    fs::create_dir_all(&lib).unwrap();
    git(&lib, &["init", "-q"]);
    write(&lib.join("lib.txt"), "a submodule\n");
    git(&lib, &["submodule", "add", "-q", "../inner", "deps/inner"]);
    commit_all(&lib, "lib");

    let superproject = base.join("super");
    fs::create_dir_all(&superproject).unwrap();
    git(&superproject, &["init", "-q"]);
    write(&superproject.join("pkg/pyproject.toml"), "[project]\nname = \"pkg\"\nversion = \"0.1\"\n");
    write(&superproject.join("pkg/setup.py"), "from setuptools import setup\nsetup()\n");
    write(&superproject.join("nonce"), &nonce);
    write(&superproject.join("run.sh"), "#!/bin/sh\necho run\n");
    {
        use std::os::unix::fs::{PermissionsExt, symlink};
        fs::set_permissions(superproject.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        symlink("pkg/setup.py", superproject.join("setup-link")).unwrap();
    }
    git(&superproject, &["submodule", "add", "-q", "../lib", "vendor/lib"]);
    commit_all(&superproject, "super")
}

/// A Nix string literal.
fn nix_string(text: &str) -> String {
    serde_json::to_string(text).unwrap().replace("${", "\\${")
}

fn fetchgit_expression(host_git: Option<&Path>, url: &str, rev: &str, hash: &str) -> String {
    let stub = stub_dir();
    let stub = stub.to_str().expect("UTF-8 path");
    assert!(!stub.contains(char::is_whitespace), "{stub}");
    let args = match host_git {
        Some(git) => format!("{{ hostGit = {}; }}", nix_string(git.to_str().unwrap())),
        None => "{ }".to_owned(),
    };
    format!(
        "let pkgs = import {stub} {args}; in pkgs.fetchgit {{ url = {}; rev = {}; hash = {}; fetchSubmodules = true; }}\n",
        nix_string(url),
        nix_string(rev),
        nix_string(hash)
    )
}

fn dot_git_entries(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == ".git" {
            found.push(entry.path());
        }
        if entry.file_type().unwrap().is_dir() {
            dot_git_entries(&entry.path(), found);
        }
    }
}

struct Served {
    dir: tempfile::TempDir,
    base_url: String,
    rev: String,
    tree: GitTree,
    _daemon: Option<Daemon>,
}

fn served_and_prefetched() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap().join("srv");
    fs::create_dir_all(&base).unwrap();
    let rev = make_repositories(&base);
    let (base_url, daemon) = serve(&base, &dir.path().join("daemon.log"));
    let url = format!("{base_url}super");
    let tree =
        prefetch(&url, &rev, Some("pkg"), &dir.path().join("work")).unwrap_or_else(|e| panic!("prefetch {url}: {e}"));
    Served { dir, base_url, rev, tree, _daemon: daemon }
}

#[test]
fn prefetched_hash_is_the_one_fetchgit_builds() {
    if !require_nix("prefetched_hash_is_the_one_fetchgit_builds") {
        return;
    }
    let s = served_and_prefetched();
    let url = format!("{}super", s.base_url);
    assert!(s.base_url.starts_with("git://127.0.0.1:"), "git daemon should serve the repositories: {}", s.base_url);
    assert!(s.tree.submodules, "the commit has a .gitmodules");
    assert_eq!(s.tree.pyproject.as_deref(), Some("[project]\nname = \"pkg\"\nversion = \"0.1\"\n"));
    assert!(s.tree.setup_py);
    assert!(s.tree.hash.starts_with("sha256-") && s.tree.hash.len() == 51, "{}", s.tree.hash);
    // The branch resolves to the commit over the daemon too.
    assert_eq!(resolve_reference(&url, "main").unwrap(), s.rev);

    let expr = s.dir.path().join("fetch.nix");
    fs::write(&expr, fetchgit_expression(Some(&host_git()), &url, &s.rev, &s.tree.hash)).unwrap();
    let out = nix_build(&expr, &[], &s.dir.path().join("result"))
        .unwrap_or_else(|e| panic!("nix-build of fetchgit with our hash {} failed:\n{e}", s.tree.hash));
    assert!(out.starts_with("/nix/store/"), "{}", out.display());
    for file in ["pkg/pyproject.toml", "pkg/setup.py", "vendor/lib/lib.txt", "vendor/lib/deps/inner/inner.txt", "nonce"]
    {
        assert!(out.join(file).is_file(), "{file} missing from {}", out.display());
    }
    let mut dot_git = Vec::new();
    dot_git_entries(&out, &mut dot_git);
    assert!(dot_git.is_empty(), "the built tree has .git entries: {dot_git:?}");
    assert_eq!(nar::sri(&nar::nar_sha256(&out).unwrap()), s.tree.hash);
}

#[test]
fn a_wrong_hash_fails_with_nix_hash_mismatch() {
    if !require_nix("a_wrong_hash_fails_with_nix_hash_mismatch") {
        return;
    }
    let s = served_and_prefetched();
    let url = format!("{}super", s.base_url);
    let wrong = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let expr = s.dir.path().join("wrong.nix");
    fs::write(&expr, fetchgit_expression(Some(&host_git()), &url, &s.rev, wrong)).unwrap();
    let err = nix_build(&expr, &[], &s.dir.path().join("result")).expect_err("a wrong hash must fail");
    // Nix reports our hash as the one it got (the commit, in the name, differs with each run).
    let shown = support::project::filtered(
        &thrown_whole(&err.stderr),
        &[(&s.tree.hash, "[PREFETCHED]"), (&s.rev[..7], "[REV]")],
    );
    insta::assert_snapshot!(shown, @"
    hash mismatch in fixed-output derivation '/nix/store/[HASH]-super-[REV].drv':
             specified: sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
                got:    [PREFETCHED]
    ");
}

#[test]
fn without_host_git_the_build_fails_with_a_stub_message() {
    if !require_nix("without_host_git_the_build_fails_with_a_stub_message") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let expr = dir.path().join("nogit.nix");
    // A hash no store path has, so Nix must try to build.
    let hash = nar::sri(&[7u8; 32]);
    fs::write(&expr, fetchgit_expression(None, "git://127.0.0.1:1/none", &"ab".repeat(20), &hash)).unwrap();
    let err = nix_build(&expr, &[], &dir.path().join("result")).expect_err("must not build without hostGit");
    assert!(
        err.stderr.contains(
            "lock2nix nix stub: fetchgit: this derivation cannot be built: the stub was imported without hostGit"
        ),
        "{err}"
    );
}
