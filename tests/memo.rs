//! The run memo: a second run of an unchanged project answers from the cache, with the same
//! bytes and the same warnings, and any change to what a run reads (the lock, a member's
//! pyproject.toml, a folder that decides a layout, a local archive, the overrides file, the
//! output's place) makes it run again and give what a run without the memo gives.

mod support;

use support::attribute;
use support::project::{Project, elided, filtered, run_text, stderr};

const HASH: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

/// A uv workspace: the root project, a member built from its folder, a local sdist, and a
/// registry wheel. Nothing needs the network (`--offline --no-infer`).
fn workspace() -> Project {
    let lock = format!(
        r#"version = 1
revision = 3
requires-python = ">=3.11"

[manifest]
members = ["app", "member"]

[[package]]
name = "app"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [{{ name = "member" }}, {{ name = "local-sdist" }}]

[[package]]
name = "member"
version = "0.2.0"
source = {{ editable = "packages/member" }}
dependencies = [{{ name = "six" }}]

[[package]]
name = "local-sdist"
version = "1.0"
source = {{ path = "dist/local_sdist-1.0.tar.gz" }}
sdist = {{ hash = "{HASH}" }}

[[package]]
name = "six"
version = "1.16.0"
source = {{ registry = "https://pypi.org/simple" }}
wheels = [
    {{ url = "https://files.example/six-1.16.0-py2.py3-none-any.whl", hash = "{HASH}", size = 1 }},
]
"#
    );
    let project = Project::empty();
    project.write("uv.lock", &lock);
    project.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11\"\ndependencies = [\"member\", \"local-sdist\"]\n\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
    );
    project.write(
        "packages/member/pyproject.toml",
        "[project]\nname = \"member\"\nversion = \"0.2.0\"\ndependencies = [\"six\"]\n\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
    );
    project.write("dist/local_sdist-1.0.tar.gz", "not really an archive");
    project
}

/// Nothing of this lock needs the network, with `--no-infer`.
const RUN: [&str; 4] = ["--no-infer", "-v", "-o", "out.nix"];

/// Runs lock2nix with the project's cache; the output, stderr, and whether the memo answered.
fn run(project: &Project, extra: &[&str]) -> (String, String, bool) {
    run_with(project, true, extra)
}

fn run_with(project: &Project, cache: bool, extra: &[&str]) -> (String, String, bool) {
    let args: Vec<&str> = RUN.iter().chain(extra).copied().collect();
    let out = if cache { project.run(&args) } else { project.run_bare(&[&["--no-cache"], &args[..]].concat()) };
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let remembered = err.contains("answered from the run memo");
    (project.read("out.nix").expect("out.nix written"), err, remembered)
}

/// Runs twice after a change: the first run must not answer from the memo, and must give
/// what a run without a cache gives; the second must answer from the memo.
fn runs_again(project: &Project, extra: &[&str], what: &str) -> String {
    let (nix, _, remembered) = run(project, extra);
    assert!(!remembered, "{what}: the memo answered although the project changed");
    let (fresh, _, _) = run_with(project, false, extra);
    assert!(nix == fresh, "{what}: the run differs from a run without the memo");
    let (again, _, remembered) = run(project, extra);
    assert!(remembered, "{what}: the run after it did not answer from the memo");
    assert!(again == nix, "{what}: the memo's answer differs from the run's");
    nix
}

#[test]
fn an_unchanged_project_is_answered_from_the_memo_with_the_same_bytes_and_warnings() {
    let project = workspace();
    let (first, first_err, remembered) = run(&project, &[]);
    assert!(!remembered, "an empty cache cannot answer");
    insta::assert_snapshot!(attribute(&first, "member"), @r#"
    member = final.buildPythonPackage {
      pname = "member";
      version = "0.2.0";
      pyproject = true;
      src = cleanSource ./packages/member;
      # lock2nix: inferred: build system hatchling.build from its pyproject.toml [build-system]
      build-system = [ prev.hatchling ];
      dependencies = [ final.six ];
      doCheck = false;
    };
    "#);
    // --no-infer warns about the sdist's build system.
    insta::assert_snapshot!(filtered(&first_err, &[]), @"
    lock2nix: warning: local-sdist 1.0 (dist/local_sdist-1.0.tar.gz): build system not inferred (local_sdist-1.0.tar.gz: not a readable gzip archive); nixpkgs' setuptools and wheel
    lock2nix: 3 packages for 16 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference
    lock2nix: parse [TIME], resolve [TIME], fetch [TIME], plan + render [TIME]
    ");
    let (second, second_err, remembered) = run(&project, &[]);
    assert!(remembered, "{second_err}");
    assert_eq!(second, first);
    // The same warnings, from the memo.
    insta::assert_snapshot!(second_err, @"
    lock2nix: warning: local-sdist 1.0 (dist/local_sdist-1.0.tar.gz): build system not inferred (local_sdist-1.0.tar.gz: not a readable gzip archive); nixpkgs' setuptools and wheel
    lock2nix: 3 packages for 16 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference
    lock2nix: answered from the run memo: nothing this run reads has changed (--refresh runs again)
    ");
    // `--refresh` runs again, and without a cache there is no memo.
    let (refreshed, _, remembered) = run(&project, &["--refresh"]);
    assert!(!remembered && refreshed == first);
    assert!(!run_with(&project, false, &[]).2);
}

#[test]
fn every_change_to_what_the_run_read_runs_again() {
    let project = workspace();
    let (before, _, _) = run(&project, &[]);

    project.write("packages/member/src/member/__init__.py", "");
    let src_layout = runs_again(&project, &[], "a src folder in the member");
    assert!(src_layout != before, "the member's layout follows its src folder");

    let pyproject = project.read("packages/member/pyproject.toml").unwrap();
    project.write(
        "packages/member/pyproject.toml",
        &format!("{pyproject}\n[project.scripts]\nmember = \"member:main\"\n"),
    );
    let scripts = runs_again(&project, &[], "the member's pyproject.toml");
    assert!(scripts != src_layout);
    insta::assert_snapshot!(attribute(&scripts, "member"), @r#"
    member = final.buildPythonPackage {
      pname = "member";
      version = "0.2.0";
      pyproject = true;
      src = cleanSource ./packages/member;
      # lock2nix: inferred: build system hatchling.build from its pyproject.toml [build-system]
      build-system = [ prev.hatchling ];
      dependencies = [ final.six ];
      doCheck = false;
    };
    "#);

    project.write("dist/local_sdist-1.0.tar.gz", "another archive");
    runs_again(&project, &[], "the local sdist's bytes");

    let lock = project.read("uv.lock").unwrap();
    project.write("uv.lock", &lock.replace("version = \"0.2.0\"", "version = \"0.2.1\""));
    let relocked = runs_again(&project, &[], "the lock");
    assert_eq!(support::quoted_values(&attribute(&relocked, "member"), "version"), ["0.2.1"]);

    let override_with = |input: &str| {
        format!(
            "[[override]]\npackage = \"six\"\napplies-to = \"wheel\"\nreason = \"a test\"\nlink = \"https://example.org/six\"\nenv = {{ SIX_FLAG = \"{input}\" }}\n"
        )
    };
    project.write("overrides.toml", &override_with("first"));
    let overridden = runs_again(&project, &["--overrides", "overrides.toml"], "a new overrides file");
    project.write("overrides.toml", &override_with("second"));
    let changed = runs_again(&project, &["--overrides", "overrides.toml"], "the overrides file");
    let flags = [&overridden, &changed].map(|nix| support::quoted_values(&attribute(nix, "six"), "SIX_FLAG"));
    assert_eq!(flags, [["first"], ["second"]]);

    // Another place for the output: paths are relative to it.
    std::fs::create_dir_all(project.join("nix")).unwrap();
    let args = ["--no-infer", "-v", "-o", "nix/out.nix"];
    let out = project.run(&args);
    // Not answered from the memo.
    insta::assert_snapshot!(run_text(&out, &[]), @"
    exit code: 0
    ----- stderr -----
    lock2nix: warning: local-sdist 1.0 (../dist/local_sdist-1.0.tar.gz): build system not inferred (local_sdist-1.0.tar.gz: not a readable gzip archive); nixpkgs' setuptools and wheel
    lock2nix: 3 packages for 16 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference
    lock2nix: parse [TIME], resolve [TIME], fetch [TIME], plan + render [TIME]
    ");
    insta::assert_snapshot!(attribute(&project.read("nix/out.nix").unwrap(), "member"), @r#"
    member = final.buildPythonPackage {
      pname = "member";
      version = "0.2.1";
      pyproject = true;
      src = cleanSource ../packages/member;
      # lock2nix: inferred: build system hatchling.build from its pyproject.toml [build-system]
      build-system = [ prev.hatchling ];
      dependencies = [ final.six ];
      doCheck = false;
    };
    "#);
}

#[test]
fn a_damaged_memo_is_not_used() {
    let project = workspace();
    let (first, _, _) = run(&project, &[]);
    let folder = project.join("cache/runs-v3");
    let entries: Vec<_> = std::fs::read_dir(&folder).unwrap().flatten().map(|e| e.path()).collect();
    let nix = entries.iter().find(|p| p.extension().is_some_and(|e| e == "nix")).expect("a remembered output");
    std::fs::write(nix, first.replace("member", "memver")).unwrap();
    let (again, _, remembered) = run(&project, &[]);
    assert!(!remembered, "an output that is not the one remembered");
    assert_eq!(again, first);
}

/// The memo keeps the output file it remembers as a hard link, not a copy: a run that replaces
/// the output leaves the link as it was, an output edited in place no longer matches the entry
/// (a whole run restores it), and a removed one comes back from the memo.
#[test]
fn the_memo_keeps_its_output_whatever_happens_to_the_file() {
    let project = workspace();
    let (first, _, _) = run(&project, &[]);
    std::fs::write(project.join("out.nix"), first.replace("member", "memver")).unwrap();
    let (restored, _, remembered) = run(&project, &[]);
    assert!(!remembered, "an output edited in place is not the one remembered");
    assert_eq!(restored, first);
    std::fs::remove_file(project.join("out.nix")).unwrap();
    let (again, _, remembered) = run(&project, &[]);
    assert!(remembered, "a removed output comes back from the memo");
    assert_eq!(again, first);
    // Standard output: the memo keeps a copy, and answers the next run.
    let printed = |project: &Project| {
        let out = project.run(&["--no-infer", "-v"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let remembered = stderr(&out).contains("answered from the run memo");
        (String::from_utf8(out.stdout).unwrap(), remembered)
    };
    let (text, remembered) = printed(&project);
    assert!(!remembered, "standard output is another entry than out.nix");
    assert_eq!(printed(&project), (text, true));
}

#[test]
fn a_run_that_found_a_remote_unreachable_is_not_remembered() {
    let project = workspace();
    let lock = project.read("uv.lock").unwrap();
    // Nothing listens on port 9 of the loopback: the clone fails at once.
    let git = "[[package]]\nname = \"gone\"\nversion = \"1.0\"\nsource = { git = \"http://127.0.0.1:9/gone.git?rev=main#0123456789abcdef0123456789abcdef01234567\" }\n";
    let lock = lock.replace(
        "dependencies = [{ name = \"member\" }, ",
        "dependencies = [{ name = \"gone\" }, { name = \"member\" }, ",
    );
    project.write("uv.lock", &format!("{lock}\n{git}"));
    let (first, err, remembered) = run(&project, &["--allow-missing"]);
    assert!(!remembered, "{err}");
    // What git says varies with its version and the machine.
    let err = elided(&err, "0123456789abcdef0123456789abcdef01234567): ", "; generated as", "[GIT OUTPUT]");
    insta::assert_snapshot!(filtered(&err, &[]), @"
    lock2nix: warning: gone==1.0: cannot fetch http://127.0.0.1:9/gone.git: `git fetch` failed for http://127.0.0.1:9/gone.git (rev 0123456789abcdef0123456789abcdef01234567): [GIT OUTPUT]; generated as an attribute that throws when used (--allow-missing)
    lock2nix: warning: local-sdist 1.0 (dist/local_sdist-1.0.tar.gz): build system not inferred (local_sdist-1.0.tar.gz: not a readable gzip archive); nixpkgs' setuptools and wheel
    lock2nix: 4 packages for 16 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference
    lock2nix: parse [TIME], resolve [TIME], fetch [TIME], plan + render [TIME]
    ");
    let (second, _, remembered) = run(&project, &["--allow-missing"]);
    assert!(!remembered, "the remote may be back: the run must try again");
    assert!(first == second);
}

/// Entries are named by the executable, so each upgrade leaves the last one's behind. A whole
/// run removes the entries no run has used for a month, with their texts, and texts left
/// without an entry; a run the memo answers keeps its entry another month.
#[test]
fn entries_unused_for_a_month_are_removed_and_used_ones_kept() {
    use std::time::{Duration, SystemTime};
    let project = workspace();
    let (first, _, _) = run(&project, &[]);
    let folder = project.join("cache/runs-v3");
    let names = || {
        let mut names: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let ours = names();
    assert_eq!(ours.len(), 2, "{ours:?}");
    let month_ago = SystemTime::now() - Duration::from_hours(31 * 24);
    let modified = |name: &str| std::fs::metadata(folder.join(name)).unwrap().modified().unwrap();
    let age = |name: &str| {
        let file = std::fs::File::options().write(true).open(folder.join(name)).unwrap();
        file.set_modified(month_ago).unwrap();
    };
    // Another executable's entry and text, and a text without an entry: a month old.
    for stale in ["0123456789abcdef0123456789abcdef.json", "0123456789abcdef0123456789abcdef.nix", "fedcba.nix"] {
        std::fs::write(folder.join(stale), "{}").unwrap();
        age(stale);
    }
    // Our own entry, as old, is used by the next run: it is kept, and counts as new again.
    let entry = ours.iter().find(|name| name.ends_with(".json")).unwrap();
    age(entry);
    let (again, _, remembered) = run(&project, &[]);
    assert!(remembered, "answered from the memo");
    assert_eq!(again, first);
    assert!(modified(entry) > month_ago + Duration::from_hours(24), "the entry's time was renewed");
    assert_eq!(names().len(), 5, "a run the memo answers removes nothing");
    // A whole run (standard output is another entry) removes what was a month unused.
    let out = project.run(&["--no-infer"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let left = names();
    assert_eq!(left.len(), 4, "ours, and the new run's: {left:?}");
    assert!(ours.iter().all(|name| left.contains(name)), "{left:?}");
    assert!(!left.iter().any(|name| name.starts_with("0123456789") || name == "fedcba.nix"), "{left:?}");
}
