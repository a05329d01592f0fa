use super::*;
use crate::model::Source;
use crate::safe_url::DisplaySafeUrl;
use std::fmt::Write as _;

const PYPI: &str = "source = { registry = \"https://pypi.org/simple\" }";

fn registry(name: &str, version: &str, extra: &str) -> String {
    format!(
        "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n{PYPI}\nwheels = [{{ url = \"https://files.example/{name}-{version}-py3-none-any.whl\", hash = \"sha256:{}\" }}]\n{extra}\n",
        "ab".repeat(32)
    )
}

fn lock(body: &str) -> Lock {
    parse(&format!("version = 1\nrevision = 3\nrequires-python = \">=3.10\"\n\n{body}"), "uv.lock").unwrap()
}

fn error(body: &str) -> String {
    parse(&format!("version = 1\nrevision = 3\n\n{body}"), "uv.lock").unwrap_err().to_string()
}

fn named<'a>(lock: &'a Lock, name: &str, version: &str) -> (usize, &'a Package) {
    lock.packages
        .iter()
        .enumerate()
        .find(|(_, p)| p.name.as_ref() == name && p.version_text == version)
        .unwrap_or_else(|| panic!("no {name} {version}"))
}

/// A project with a fork (two versions of `forky`, each for its platforms), an extra, a
/// group, and edges that name the exact fork.
fn project_lock() -> Lock {
    let mut body = String::new();
    body += "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\ndependencies = [\n";
    body += "    { name = \"forky\", version = \"1.0\", source = { registry = \"https://pypi.org/simple\" }, marker = \"sys_platform == 'darwin'\" },\n";
    body += "    { name = \"forky\", version = \"2.0\", source = { registry = \"https://pypi.org/simple\" }, marker = \"sys_platform != 'darwin'\" },\n";
    body += "    { name = \"plain\", extra = [\"fast\"] },\n]\n\n";
    body += "[package.optional-dependencies]\nsocks = [{ name = \"pysocks\" }]\n\n";
    body += "[package.dev-dependencies]\ndev = [{ name = \"pytest\" }]\n\n";
    body += &registry("forky", "1.0", "");
    body += &registry("forky", "2.0", "resolution-markers = [\"sys_platform != 'darwin'\"]\n");
    body += &registry(
        "plain",
        "3.0",
        "dependencies = [{ name = \"six\" }]\n[package.optional-dependencies]\nfast = [{ name = \"speedups\", marker = \"python_full_version >= '3.11'\" }]\n",
    );
    for name in ["pysocks", "pytest", "six", "speedups"] {
        body += &registry(name, "1.0", "");
    }
    lock(&body)
}

#[test]
fn the_root_package_becomes_the_roots_with_exact_edges_to_each_fork() {
    let lock = project_lock();
    assert_eq!(lock.format, LockFormat::Uv { version: 1, revision: 3 });
    assert!(lock.python.allows_python(crate::resolve::target::PythonMinor(10)));
    assert!(!lock.python.allows_python(crate::resolve::target::PythonMinor(9)));
    assert!(lock.packages.iter().all(|p| p.name.as_ref() != "app"), "the project is not a locked package");
    let roots = lock.roots.as_ref().unwrap();
    assert_eq!(roots.name.as_ref().map(std::convert::AsRef::as_ref), Some("app"));
    assert!(roots.built, "editable = \".\" is built");
    let (old, _) = named(&lock, "forky", "1.0");
    let (new, _) = named(&lock, "forky", "2.0");
    let targets: Vec<Option<usize>> = roots.main.iter().map(|d| d.target).collect();
    assert_eq!(targets[..2], [Some(old), Some(new)]);
    assert_eq!(roots.main[0].marker.try_to_string().as_deref(), Some("sys_platform == 'darwin'"));
    assert_eq!(roots.main[2].extras.iter().map(ToString::to_string).collect::<Vec<_>>(), ["fast"]);
    assert_eq!(roots.extras.keys().map(ToString::to_string).collect::<Vec<_>>(), ["socks"]);
    assert_eq!(roots.groups.keys().map(ToString::to_string).collect::<Vec<_>>(), ["dev"]);
}

#[test]
fn package_files_carry_the_locks_url_and_hash_and_optional_edges_their_extra() {
    let lock = project_lock();
    let (_, plain) = named(&lock, "plain", "3.0");
    let file = &plain.files[0];
    assert_eq!(file.filename, "plain-3.0-py3-none-any.whl");
    assert_eq!(
        file.locked_location().map(|(u, h)| (u.expose(), h.hex())),
        Some(("https://files.example/plain-3.0-py3-none-any.whl", "ab".repeat(32)))
    );
    assert_eq!(plain.source, Source::Registry { index: None });
    let speedups = plain.dependencies.iter().find(|d| d.name.as_ref() == "speedups").unwrap();
    assert!(speedups.optional && speedups.target.is_some());
    assert_eq!(plain.extras.values().flatten().map(ToString::to_string).collect::<Vec<_>>(), ["speedups"]);
    let six = plain.dependencies.iter().find(|d| d.name.as_ref() == "six").unwrap();
    assert!(!six.optional);
}

#[test]
fn a_workspace_without_a_root_project_installs_every_member_and_expands_virtual_ones() {
    let mut body = String::from(
        "[manifest]\nmembers = [\"lib-a\", \"tools\"]\n\n[manifest.dependency-groups]\nlint = [{ name = \"ruff\", specifier = \">=0.5\" }]\n\n",
    );
    body += "[[package]]\nname = \"lib-a\"\nsource = { editable = \"packages/lib-a\" }\ndependencies = [{ name = \"six\" }]\n\n[package.optional-dependencies]\nfast = [{ name = \"speedups\" }]\n\n";
    body += "[[package]]\nname = \"tools\"\nversion = \"0.1.0\"\nsource = { virtual = \"packages/tools\" }\ndependencies = [{ name = \"ruff\", marker = \"sys_platform == 'linux'\" }, { name = \"lib-a\" }]\n\n";
    for name in ["six", "speedups", "ruff"] {
        body += &registry(name, "1.0", "");
    }
    let lock = lock(&body);
    let roots = lock.roots.as_ref().unwrap();
    assert_eq!(roots.name, None);
    assert!(!roots.built);
    assert!(lock.packages.iter().all(|p| p.name.as_ref() != "tools"), "a virtual member is not installed");
    let (lib_a, member) = named(&lock, "lib-a", "0");
    assert_eq!(member.source, Source::Directory { path: "packages/lib-a".into(), develop: true });
    let main: Vec<(&str, Option<String>)> =
        roots.main.iter().map(|d| (d.name.as_ref(), d.marker.try_to_string())).collect();
    // lib-a, then the virtual member's own edges: ruff (its marker kept) and lib-a again.
    assert_eq!(main, [("lib-a", None), ("ruff", Some("sys_platform == 'linux'".into())), ("lib-a", None)]);
    assert_eq!(roots.main[0].target, Some(lib_a));
    assert_eq!(
        roots.extras[&ExtraName::from_owned("fast".into()).unwrap()][0]
            .extras
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["fast"]
    );
    let lint = &roots.groups[&GroupName::new("lint").unwrap()][0];
    assert!(lint.constraint.contains(&"0.6".parse().unwrap()) && !lint.constraint.contains(&"0.4".parse().unwrap()));
}

#[test]
fn conflicts_are_read_with_the_names_markers_give_them() {
    let mut body = String::from(
        "conflicts = [[{ package = \"app\", extra = \"cpu\" }, { package = \"app\", extra = \"gpu\" }]]\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\n\n[package.optional-dependencies]\ncpu = [{ name = \"six\" }]\ngpu = [{ name = \"six\" }]\nplots = [{ name = \"six\" }]\n\n",
    );
    body += &registry("six", "1.0", "");
    let lock = lock(&body);
    let roots = lock.roots.as_ref().unwrap();
    assert!(!roots.built, "virtual = \".\" is not built");
    assert_eq!(roots.extras.len(), 3, "the project decides which to leave out");
    let set: Vec<String> = roots.conflicts[0].iter().map(|c| c.marker_extra().to_string()).collect();
    assert_eq!(set, ["extra-3-app-cpu", "extra-3-app-gpu"]);
}

#[test]
fn git_url_and_path_sources_are_read() {
    let mut body = String::from(
        "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"g\" }, { name = \"u\" }, { name = \"p\" }, { name = \"d\" }]\n\n",
    );
    body += "[[package]]\nname = \"g\"\nversion = \"1.0\"\nsource = { git = \"https://example.org/g.git?tag=v1&subdirectory=sub#0123456789abcdef0123456789abcdef01234567\" }\n\n";
    let _ = write!(
        body,
        "[[package]]\nname = \"u\"\nversion = \"1.0\"\nsource = {{ url = \"https://example.org/u-1.0.tar.gz\" }}\nsdist = {{ hash = \"sha256:{}\" }}\n\n",
        "cd".repeat(32)
    );
    let _ = write!(
        body,
        "[[package]]\nname = \"p\"\nversion = \"1.0\"\nsource = {{ path = \"dist/p-1.0-py3-none-any.whl\" }}\nwheels = [{{ filename = \"p-1.0-py3-none-any.whl\", hash = \"sha256:{}\" }}]\n\n",
        "ef".repeat(32)
    );
    body += "[[package]]\nname = \"d\"\nversion = \"1.0\"\nsource = { directory = \"libs/d\" }\n\n";
    let lock = lock(&body);
    let source = |name: &str| named(&lock, name, "1.0").1.source.clone();
    assert!(
        matches!(source("g"), Source::Git { reference: Some(r), subdirectory: Some(s), .. } if r == "v1" && s == "sub")
    );
    assert_eq!(source("u"), Source::Url { url: "https://example.org/u-1.0.tar.gz".into(), subdirectory: None });
    let (_, u) = named(&lock, "u", "1.0");
    assert_eq!(
        (u.files[0].filename.as_str(), u.files[0].url.as_deref().map(DisplaySafeUrl::expose)),
        ("u-1.0.tar.gz", Some("https://example.org/u-1.0.tar.gz"))
    );
    assert_eq!(source("p"), Source::File { path: "dist/p-1.0-py3-none-any.whl".into() });
    assert_eq!(source("d"), Source::Directory { path: "libs/d".into(), develop: false });
}

#[test]
fn bad_locks_get_one_error_naming_the_entry() {
    let unknown = error(
        "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"ghost\" }]\n",
    );
    assert!(
        unknown.contains("uv.lock: package `app`: dependency `ghost`: no locked package ghost")
            && unknown.contains("uv lock"),
        "{unknown}"
    );
    let ambiguous = format!(
        "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\ndependencies = [{{ name = \"six\" }}]\n\n{}{}",
        registry("six", "1.0", ""),
        registry("six", "2.0", "")
    );
    assert!(error(&ambiguous).contains("2 locked packages of that name fit"), "{}", error(&ambiguous));
    let version = parse("version = 2\n", "uv.lock").unwrap_err().to_string();
    assert!(version.contains("uv.lock of version 2") && version.contains("reads version 1"), "{version}");
    let toml = parse("version = 1\n[[package]]\nname = \"six\"\n", "uv.lock").unwrap_err().to_string();
    assert!(toml.starts_with("uv.lock is not a valid uv.lock"), "{toml}");
}

/// As uv reads it: a lock without a root project or members (a workspace whose root is no
/// project) installs what its manifest's groups name, and a lock that locks nothing (uv's stub
/// beside a project it does not manage) installs nothing; neither is an error.
#[test]
fn a_lock_without_root_or_members_installs_its_manifest_groups_only() {
    let stub = lock("");
    assert!(stub.packages.is_empty());
    let roots = stub.roots.expect("a uv.lock has roots");
    assert_eq!((roots.name, roots.main.len(), roots.groups.len()), (None, 0, 0));

    let grouped = lock(&format!(
        "[manifest]\n[manifest.dependency-groups]\nlint = [{{ name = \"six\" }}]\n\n{}{}",
        registry("six", "1.0", ""),
        registry("idle", "1.0", "")
    ));
    let roots = grouped.roots.expect("a uv.lock has roots");
    assert_eq!((roots.name, roots.main.len()), (None, 0));
    let groups: Vec<(String, Vec<&str>)> = roots
        .groups
        .iter()
        .map(|(group, edges)| (group.to_string(), edges.iter().map(|d| d.name.as_ref()).collect()))
        .collect();
    assert_eq!(groups, [("lint".to_string(), vec!["six"])]);
}
