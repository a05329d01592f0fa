//! Locked files the index no longer offers (a project gone, one version's files deleted) and a
//! cache that must not keep a wrong answer: against the loopback index, and the generated file
//! evaluated against the nixpkgs stub.

mod support;

use std::process::Output;

use support::evaluate::{evaluate_targets, generated_targets, package_set_attr, throws};
use support::nix::require_nix;
use support::project::{Project, json_page, run_text, sri, stderr, stdout};
use support::synthetic::{Package, lock, page, serve, sha256_of};
use support::{IndexServer, Reply};

const PYPROJECT: &str = r#"[tool.poetry]
name = "gaps"
version = "1.0.0"

[tool.poetry.dependencies]
python = "^3.11"
kept = "*"
gone-project = "*"
gone-version = "*"
"#;

/// `kept` stays; the index has no `gone-project` at all (HTTP 404); `gone-version` lists other
/// versions only (its locked files were deleted).
fn packages() -> [Package; 3] {
    [
        Package::new("kept", "1.0"),
        Package::new("gone-project", "2.0").files(&["py3-none-any", "sdist"]),
        Package::new("gone-version", "3.0"),
    ]
}

fn broken_index(packages: &[Package]) -> IndexServer {
    let server = serve(&packages[..1]);
    let other = Package::new("gone-version", "3.1");
    server.route("/simple/gone-version/", vec![Reply::json(page(&server, &other))]);
    server
}

fn run(project: &Project, server: &IndexServer, args: &[&str]) -> Output {
    let index = server.index_url();
    let mut all = vec!["--index-url", index.as_str(), "--no-infer"];
    all.extend_from_slice(args);
    project.run(&all)
}

#[test]
fn files_gone_from_the_index_fail_the_run_by_default_naming_each_package() {
    let packages = packages();
    let server = broken_index(&packages);
    let project = Project::inline(&lock("2.0", &packages), PYPROJECT);
    let output = run(&project, &server, &["-o", "out.nix"]);
    insta::assert_snapshot!(run_text(&output, &[(&server.url(""), "[INDEX]")]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: the index no longer offers files poetry.lock needs: gone-project==2.0 (project not found on index [INDEX]/simple/ (HTTP 404)); gone-version==3.0 (gone_version-3.0-py3-none-any.whl not on index [INDEX]/simple/)
    lock2nix: hint: re-lock with `poetry lock` to choose files that exist, or pass --allow-missing to generate anyway (those packages then throw when used)
    ");
    assert!(project.read("out.nix").is_none(), "nothing is written");
}

#[test]
fn allow_missing_generates_attributes_that_throw_only_when_used() {
    let packages = packages();
    let server = broken_index(&packages);
    let project = Project::inline(&lock("2.0", &packages), PYPROJECT);
    let output = run(&project, &server, &["--allow-missing", "-o", "out.nix"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    let index = server.index_url();
    assert!(
        err.contains(&format!("lock2nix: warning: gone-project 2.0: project not found on index {index} (HTTP 404); its attribute throws when used on 16 of 16 targets (--allow-missing)\n")),
        "{err}"
    );
    assert!(
        err.contains("lock2nix: warning: gone-version 3.0: gone_version-3.0-py3-none-any.whl not on index"),
        "{err}"
    );
    let nix = project.read("out.nix").unwrap();
    assert!(nix.contains(" --no-infer --allow-missing poetry.lock\n"), "the header records the flag:\n{nix}");
    assert!(nix.contains(
        "# Missing from the index or unreachable, throwing when used (--allow-missing): gone-project 2.0, gone-version 3.0\n"
    ));

    if !require_nix("allow_missing_generates_attributes_that_throw_only_when_used") {
        return;
    }
    let file = project.join("out.nix");
    let targets = generated_targets(&nix);
    let results = evaluate_targets(&file, "gaps", &targets);
    for (system, python) in &targets {
        let key = format!("{system}/{python}");
        // The project depends on both, so its own derivation throws too; `kept` evaluates.
        assert_eq!(throws(&results, &key), ["gaps", "gone-project", "gone-version"], "{key}");
    }
    let err = package_set_attr(&file, "x86_64-linux", "3.12", "gone-version.drvPath").unwrap_err();
    assert!(
        err.contains("lock2nix: gone-version 3.0 cannot be installed on x86_64-linux with CPython 3.12: the index no longer offers gone_version-3.0-py3-none-any.whl (deleted after the lock was written; generated with --allow-missing); re-lock with `poetry lock` to choose files that exist, or give gone-version a `src` in an overlay composed after this one"),
        "{err}"
    );
    let err = package_set_attr(&file, "aarch64-darwin", "3.11", "gone-project.drvPath").unwrap_err();
    assert!(
        err.contains("the index no longer offers gone_project-2.0-py3-none-any.whl, gone_project-2.0.tar.gz"),
        "{err}"
    );
    // Nothing throws until used: the attribute's name and version evaluate.
    assert_eq!(package_set_attr(&file, "x86_64-linux", "3.12", "gone-version.version").unwrap(), "\"3.0\"");
    assert!(package_set_attr(&file, "x86_64-linux", "3.12", "kept.drvPath").is_ok());
}

#[test]
fn a_page_that_lacked_a_file_is_asked_again_and_the_fixed_index_wins() {
    let packages = [Package::new("kept", "1.0").files(&["py3-none-any", "sdist"])];
    let server = IndexServer::start();
    let sdist_only = {
        let sdist = "kept-1.0.tar.gz";
        json_page("kept", &[(sdist, &server.url(&format!("/files/{sdist}")), &sha256_of(sdist))])
    };
    server.route("/simple/kept/", vec![Reply::json(sdist_only), Reply::json(page(&server, &packages[0]))]);
    let project = Project::inline(
        &lock("2.0", &packages),
        "[tool.poetry]\nname = \"app\"\n[tool.poetry.dependencies]\nkept = \"*\"\n",
    );

    // The wheel is missing: the sdist stands in, with a warning.
    let first = run(&project, &server, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("kept-1.0-py3-none-any.whl is listed in poetry.lock but index"),
        "{}",
        stderr(&first)
    );
    assert!(stdout(&first).contains("name = \"kept-1.0.tar.gz\";"));

    // The index has it now. The cached "not there" is about a chosen file, so it is asked
    // again (online, without --refresh), and the wheel is used.
    let second = run(&project, &server, &[]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(server.hits("/simple/kept/"), 2);
    assert!(stdout(&second).contains("name = \"kept-1.0-py3-none-any.whl\";"), "{}", stdout(&second));
    assert!(!stderr(&second).contains("warning"), "{}", stderr(&second));

    // Now the cache holds the right answer: no request.
    let third = run(&project, &server, &[]);
    assert_eq!(server.hits("/simple/kept/"), 2);
    assert_eq!(stdout(&third), stdout(&second));
    // --refresh asks again all the same, and changes nothing.
    let refreshed = run(&project, &server, &["--refresh"]);
    assert_eq!(server.hits("/simple/kept/"), 3);
    assert_eq!(stdout(&refreshed), stdout(&second));
}

#[test]
fn a_wrong_hash_in_the_cache_is_asked_again() {
    let packages = [Package::new("kept", "1.0")];
    let server = IndexServer::start();
    let wheel = "kept-1.0-py3-none-any.whl";
    let wrong = json_page("kept", &[(wheel, &server.url(&format!("/files/{wheel}")), &"ab".repeat(32))]);
    server.route("/simple/kept/", vec![Reply::json(wrong), Reply::json(page(&server, &packages[0]))]);
    let project = Project::inline(
        &lock("2.0", &packages),
        "[tool.poetry]\nname = \"app\"\n[tool.poetry.dependencies]\nkept = \"*\"\n",
    );
    let first = run(&project, &server, &[]);
    assert_eq!(first.status.code(), Some(1));
    assert!(stderr(&first).contains(&format!("kept: hash mismatch for {wheel}")), "{}", stderr(&first));
    assert!(!stderr(&first).contains("may be stale"), "a fresh answer is not stale: {}", stderr(&first));
    let second = run(&project, &server, &[]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(server.hits("/simple/kept/"), 2);
}

#[test]
fn offline_failures_say_the_cached_answer_may_be_stale() {
    let packages = [Package::new("kept", "1.0")];
    let server = IndexServer::start();
    server.route("/simple/kept/", vec![Reply::json(json_page("kept", &[]))]);
    let project = Project::inline(
        &lock("2.0", &packages),
        "[tool.poetry]\nname = \"app\"\n[tool.poetry.dependencies]\nkept = \"*\"\n",
    );
    assert_eq!(run(&project, &server, &[]).status.code(), Some(1));
    let offline = run(&project, &server, &["--offline"]);
    assert_eq!(offline.status.code(), Some(1));
    assert!(
        stderr(&offline).contains(
            "lock2nix: hint: re-lock with `poetry lock` to choose files that exist, or pass --allow-missing to generate anyway (those packages then throw when used); the answer came from the cache, which may be stale: run without --offline, or with --refresh\n"
        ),
        "{}",
        stderr(&offline)
    );
    assert_eq!(server.hits("/simple/kept/"), 1, "offline asks nothing");
}

/// An old lock with an empty `[metadata.files]` entry: Poetry installs that version from the
/// index without checking hashes, and lock2nix takes the index's files of that version.
#[test]
fn a_package_the_lock_names_no_files_for_takes_the_index_files_of_its_version() {
    let server = IndexServer::with_routes(
        ["six", "idna", "certifi", "packaging"]
            .map(|p| (format!("/simple/{p}/"), vec![Reply::json(support::fixture(&format!("index/{p}.json")))])),
    );
    let project = Project::fixture("poetry-1.1");
    project.edit_lock(|lock| {
        let start = lock.find("idna = [\n").unwrap();
        let end = start + lock[start..].find("]\n").unwrap() + 2;
        format!("{}idna = []\n{}", &lock[..start], &lock[end..])
    });
    let output = run(&project, &server, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("lock2nix: warning: idna 3.10: poetry.lock names no files for it; using the 2 file(s) the index lists for that version, with the index's hashes, as Poetry installs it (re-lock with `poetry lock` to record them)"),
        "{}",
        stderr(&output)
    );
    let nix = stdout(&output);
    assert!(nix.contains("name = \"idna-3.10-py3-none-any.whl\";"), "{nix}");
    let index_sha256 = sri("946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3");
    assert!(nix.contains(&format!("hash = \"{index_sha256}\";")), "the index's sha256:\n{nix}");
    // A second run answers the listing from the cache.
    let again = run(&project, &server, &[]);
    assert_eq!(stdout(&again), nix);
    assert_eq!(server.hits("/simple/idna/"), 1);
}
