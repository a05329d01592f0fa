//! Snapshots of the rendered Nix for hand-written fixtures (tests/fixtures/render/*), with
//! file locations made up from the lock itself so no index is needed.

use std::collections::BTreeMap;
use std::path::Path;

use lock2nix::generate::plan_offline;
use lock2nix::name::PackageName;
use lock2nix::plan::Locations;
use lock2nix::render::{Header, render};
use lock2nix::resolve::ResolveOptions;
use lock2nix::{lockfile, project};

/// Every locked file at `https://files.example.org/<file>` with the lock's own sha256.
struct FromLock(BTreeMap<(PackageName, String), (String, String)>);

impl Locations for FromLock {
    fn find(&self, package: &PackageName, filename: &str) -> Option<(&str, &str)> {
        self.0.get(&(package.clone(), filename.to_string())).map(|(u, h)| (u.as_str(), h.as_str()))
    }
}

fn render_fixture(name: &str, options: &ResolveOptions, url_for: impl Fn(&str) -> String) -> String {
    let dir = Path::new("tests/fixtures/render").join(name);
    let lock = lockfile::read(&dir.join("poetry.lock")).unwrap();
    let project = project::read(&dir.join("pyproject.toml")).unwrap();
    let mut files = BTreeMap::new();
    for package in &lock.packages {
        for file in &package.files {
            let hex = file.hash.as_ref().unwrap().hex.clone();
            files.insert((package.name.clone(), file.filename.clone()), (url_for(&file.filename), hex));
        }
    }
    let (_, plan) = plan_offline(&lock, &project, options, &FromLock(files)).unwrap();
    let header = Header { tool: "lock2nix (test)".into(), command: "lock2nix poetry.lock".into(), notes: vec![] };
    render(&plan, &header)
}

fn example_url(file: &str) -> String {
    format!("https://files.example.org/packages/{file}")
}

#[test]
fn basic_lock_2_0() {
    insta::assert_snapshot!(render_fixture("basic", &ResolveOptions::default(), example_url));
}

#[test]
fn poetry_2_lock_2_1_multi_version_cycle_and_macos_only_stack() {
    insta::assert_snapshot!(render_fixture("poetry2", &ResolveOptions::default(), example_url));
}

#[test]
fn index_strings_are_escaped() {
    // A hostile index answer must not be able to inject Nix.
    let nix = render_fixture("basic", &ResolveOptions::default(), |file| {
        format!("https://evil.example/\"${{builtins.abort \"x\"}}\\/{file}")
    });
    assert!(nix.contains(r#"url = "https://evil.example/\"\${builtins.abort \"x\"}\\/certifi-2024.8.30-py3-none-any.whl";"#), "{nix}");
    assert!(!nix.contains("\"${builtins.abort"));
}

#[test]
fn rendering_is_deterministic() {
    let a = render_fixture("poetry2", &ResolveOptions::default(), example_url);
    let b = render_fixture("poetry2", &ResolveOptions::default(), example_url);
    assert_eq!(a, b);
}
