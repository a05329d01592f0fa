//! The rendered fixtures evaluate for every target they were generated for, against the
//! strict nixpkgs stub, and fail where they should with the message they should.

mod support;

use std::path::Path;

use lock2nix::testing::resolve::ResolveOptions;
use support::evaluate::{evaluate_targets, hidden_store_hashes, package_set_attr, thrown, throws};
use support::nix::{instantiate_eval_expr, require_nix, stub_dir};
use support::render::{example_url, render_dir, render_fixture};

/// Writes fixture `name` rendered to `dir/python-packages.nix`; returns its targets as
/// `(system, python)` pairs.
fn write_fixture(name: &str, dir: &Path) -> Vec<(String, String)> {
    let (plan, nix) = render_fixture(name, &ResolveOptions::default(), example_url);
    std::fs::write(dir.join("python-packages.nix"), nix).unwrap();
    plan.targets.iter().map(|t| (t.system.as_nix().to_string(), t.python.version())).collect()
}

/// [`evaluate_targets`] of `dir/python-packages.nix`.
fn evaluate_all(dir: &Path, root: &str, targets: &[(String, String)]) -> serde_json::Value {
    evaluate_targets(&dir.join("python-packages.nix"), root, targets)
}

/// [`package_set_attr`] of `dir/python-packages.nix`.
fn package_attr(dir: &Path, system: &str, python: &str, attr: &str) -> Result<String, String> {
    package_set_attr(&dir.join("python-packages.nix"), system, python, attr)
}

#[test]
fn basic_fixture_evaluates_on_every_target() {
    if !require_nix("basic_fixture_evaluates_on_every_target") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let targets = write_fixture("basic", dir.path());
    assert_eq!(targets.len(), 12, "4 systems × CPython 3.10–3.12");
    let results = evaluate_all(dir.path(), "basic-app", &targets);
    for (system, python) in &targets {
        let key = format!("{system}/{python}");
        assert!(results[&key]["env"].as_str().unwrap().ends_with(".drv"), "{key}: {results}");
        assert_eq!(throws(&results, &key), Vec::<String>::new(), "{key}");
    }
    // The sdist gets nixpkgs' setuptools and wheel as its build system.
    let build_system = package_attr(dir.path(), "x86_64-linux", "3.11", "sdist-only.build-system").unwrap();
    insta::assert_snapshot!(hidden_store_hashes(&build_system), @r#"["/nix/store/[HASH]-python3.11-setuptools-80.9.0","/nix/store/[HASH]-python3.11-wheel-0.45.1"]"#);
    // Extras of the root are selectable without regenerating.
    let legacy = package_attr(dir.path(), "x86_64-linux", "3.11", "basic-app.optional-dependencies.legacy").unwrap();
    insta::assert_snapshot!(hidden_store_hashes(&legacy), @r#"["/nix/store/[HASH]-python3.11-sdist-only-0.4.0"]"#);
}

#[test]
fn poetry2_fixture_picks_versions_and_platform_stacks_per_target() {
    if !require_nix("poetry2_fixture_picks_versions_and_platform_stacks_per_target") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let targets = write_fixture("poetry2", dir.path());
    let results = evaluate_all(dir.path(), "poetry2-app", &targets);
    for (system, python) in &targets {
        let key = format!("{system}/{python}");
        assert!(results[&key]["env"].as_str().unwrap().ends_with(".drv"), "{key}");
        let expected: Vec<String> = if system == "aarch64-darwin" {
            vec![]
        } else {
            vec!["tensorflow-macos".into(), "tensorflow-metal".into()]
        };
        assert_eq!(throws(&results, &key), expected, "{key}");
    }
    let version = |python| package_attr(dir.path(), "x86_64-linux", python, "numpy.version").unwrap();
    assert_eq!(version("3.11"), "\"1.26.4\"");
    assert_eq!(version("3.12"), "\"2.1.0\"");
    let wheel = package_attr(dir.path(), "aarch64-darwin", "3.12", "numpy.src.name").unwrap();
    assert_eq!(wheel, "\"numpy-2.1.0-cp312-cp312-macosx_14_0_arm64.whl\"", "macOS 14 wheel preferred over 11");
}

#[test]
fn evaluation_errors_name_the_package_the_platform_and_the_fix() {
    if !require_nix("evaluation_errors_name_the_package_the_platform_and_the_fix") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_fixture("poetry2", dir.path());
    // Not installed on this platform: its markers only hold on Apple silicon.
    let err = package_attr(dir.path(), "x86_64-linux", "3.12", "tensorflow-metal.drvPath").unwrap_err();
    insta::assert_snapshot!(thrown(&err), @"lock2nix: tensorflow-metal is not part of the lock's resolution for x86_64-linux with CPython 3.12, yet something asked for it; it is installed only where its markers hold");
    // An interpreter the file was not generated for.
    let err = package_attr(dir.path(), "x86_64-linux", "3.13", "cryptography.drvPath").unwrap_err();
    insta::assert_snapshot!(thrown(&err), @"lock2nix: cryptography: python-packages.nix was generated for x86_64-linux/3.11 x86_64-linux/3.12 aarch64-linux/3.11 aarch64-linux/3.12 x86_64-darwin/3.11 x86_64-darwin/3.12 aarch64-darwin/3.11 aarch64-darwin/3.12 but is used on x86_64-linux/3.13; regenerate it with this system and Python allowed (see --system and --python), or use one of those interpreters");
}

#[test]
fn a_target_without_any_artifact_throws_with_the_reason() {
    if !require_nix("a_target_without_any_artifact_throws_with_the_reason") {
        return;
    }
    // tensorflow-macos only has Apple-silicon wheels; with --only-binary nothing else is allowed,
    // so on every other target forcing it must explain why.
    let dir = tempfile::tempdir().unwrap();
    let mut options = ResolveOptions::default();
    options.artifacts.only_binary.insert(lock2nix::PackageName::from_owned("ruff".into()).unwrap());
    options.artifacts.prefer = lock2nix::testing::resolve::Prefer::Sdist;
    let (_, nix) = render_fixture("poetry2", &options, example_url);
    std::fs::write(dir.path().join("python-packages.nix"), nix).unwrap();
    // ruff: --only-binary keeps the wheels even though sdists are preferred.
    let name = package_attr(dir.path(), "aarch64-darwin", "3.12", "ruff.src.name").unwrap();
    assert_eq!(name, "\"ruff-0.6.9-py3-none-macosx_11_0_arm64.whl\"");
    // numpy 1.26.4 under --prefer sdist builds from source.
    let fmt = package_attr(dir.path(), "x86_64-linux", "3.11", "numpy.src.name").unwrap();
    assert_eq!(fmt, "\"numpy-1.26.4.tar.gz\"");
}

#[test]
fn every_fixture_parses_and_evaluates_on_every_target() {
    if !require_nix("every_fixture_parses_and_evaluates_on_every_target") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<_> = ["render", "projects"]
        .iter()
        .flat_map(|group| std::fs::read_dir(root.join(group)).unwrap().map(|e| e.unwrap().path()))
        .filter(|dir| ["poetry.lock", "uv.lock", "pylock.toml"].iter().any(|lock| dir.join(lock).exists()))
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 9, "{dirs:?}");
    for dir in dirs {
        let out = tempfile::tempdir().unwrap();
        let (plan, nix) = render_dir(&dir, &ResolveOptions::default(), example_url);
        let file = out.path().join("python-packages.nix");
        std::fs::write(&file, nix).unwrap();
        let parsed = std::process::Command::new("nix-instantiate")
            .arg("--parse")
            .arg(&file)
            .env("NIX_CONFIG", support::nix::NIX_SETTINGS)
            .output()
            .unwrap();
        assert!(parsed.status.success(), "{}: {}", dir.display(), String::from_utf8_lossy(&parsed.stderr));
        let targets: Vec<(String, String)> =
            plan.targets.iter().map(|t| (t.system.as_nix().to_string(), t.python.version())).collect();
        let results = evaluate_all(out.path(), &plan.root.attr, &targets);
        for (t, (system, python)) in targets.iter().enumerate() {
            // The environment must build wherever no package of the plan is unusable there.
            let unusable = plan.packages.iter().flat_map(|n| &n.versions).any(|v| {
                v.artifact_of[t].is_some_and(|slot| {
                    matches!(v.artifacts[slot], lock2nix::testing::plan::PlannedArtifact::Unusable(_))
                })
            });
            let env = &results[format!("{system}/{python}")]["env"];
            assert_eq!(env.is_string(), !unusable, "{} on {system}/{python}: {results}", dir.display());
        }
    }
}

#[test]
fn the_readme_flake_pattern_evaluates() {
    if !require_nix("the_readme_flake_pattern_evaluates") {
        return;
    }
    // README.md's `pythonFor` and `full` package: the generated overlay composed with a user
    // overlay that fixes one package, then an environment with a group and an extra.
    let dir = tempfile::tempdir().unwrap();
    write_fixture("basic", dir.path());
    let expr = format!(
        r#"let
          pkgs = import {stub} {{ system = "aarch64-darwin"; }};
          python = pkgs.python312.override {{
            packageOverrides = pkgs.lib.composeExtensions (import {file} {{ inherit pkgs; }}) (
              final: prev: {{ idna = prev.idna.overridePythonAttrs (old: {{ pythonImportsCheck = [ "idna" ]; }}); }}
            );
            self = python;
          }};
          env = python.withPackages (ps: [ ps.basic-app ] ++ ps.basic-app.dependency-groups.dev ++ ps.basic-app.optional-dependencies.legacy);
        in {{ env = env.drvPath; check = python.pkgs.idna.pythonImportsCheck or null; }}"#,
        stub = stub_dir().display(),
        file = dir.path().join("python-packages.nix").display(),
    );
    let result: serde_json::Value =
        serde_json::from_str(&instantiate_eval_expr(&expr).unwrap_or_else(|e| panic!("{e}"))).unwrap();
    assert!(result["env"].as_str().unwrap().ends_with(".drv"), "{result}");
    assert_eq!(result["check"], serde_json::json!(["idna"]), "the user's overlay applies after the generated one");
}
