//! The per-target walk: markers, extras, groups, versions by target, lock 2.1 membership.

use super::target::{PythonMinor, System};
use super::*;
use crate::lockfile::poetry;
use std::fmt::Write as _;

const H: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// A lock from `[[package]]` bodies; each gets one pure-Python wheel unless it lists files.
fn lock(lock_version: &str, packages: &[&str]) -> Lock {
    let mut text = String::new();
    for body in packages {
        text.push_str("[[package]]\n");
        // The files line must come before any sub-table of the package.
        let (head, tables) = body.split_at(body.find("\n[").map_or(body.len(), |i| i + 1));
        text.push_str(head);
        if !body.contains("files =") {
            let name = body.split('"').nth(1).unwrap().replace('-', "_");
            let version = body.split("version = \"").nth(1).unwrap().split('"').next().unwrap();
            let _ = writeln!(text, "files = [{{file = \"{name}-{version}-py3-none-any.whl\", hash = \"{H}\"}}]");
        }
        text.push_str(tables);
        text.push('\n');
    }
    let _ = write!(
        text,
        "[metadata]\nlock-version = \"{lock_version}\"\npython-versions = \">=3.9\"\ncontent-hash = \"x\"\n"
    );
    poetry::parse(&text, "poetry.lock").unwrap()
}

fn project(text: &str) -> Project {
    crate::project::parse(text, "pyproject.toml").unwrap()
}

/// Names installed on `target`, with versions.
fn installed(lock: &Lock, resolution: &Resolution, system: System, minor: u8) -> Vec<String> {
    let t = resolution.targets.iter().position(|t| t.system == system && t.python == PythonMinor(minor)).unwrap();
    let mut out: Vec<String> = lock
        .packages
        .iter()
        .zip(&resolution.packages)
        .filter(|(_, r)| r.per_target[t].is_some())
        .map(|(p, _)| p.id())
        .collect();
    out.sort();
    out
}

#[test]
fn marker_disjoint_versions_of_one_name_resolve_per_target() {
    let lock = lock(
        "2.0",
        &[
            "name = \"app-lib\"\nversion = \"1.0\"\n[package.dependencies]\nnumpy = [\n {version = \"<2\", markers = \"python_version < \\\"3.12\\\"\"},\n {version = \">=2\", markers = \"python_version >= \\\"3.12\\\"\"},\n]\n",
            "name = \"numpy\"\nversion = \"1.26.4\"\npython-versions = \">=3.9\"\n",
            "name = \"numpy\"\nversion = \"2.1.0\"\npython-versions = \">=3.10\"\n",
        ],
    );
    let project = project("[tool.poetry.dependencies]\npython = \"^3.9\"\napp-lib = \"*\"\n");
    let r = resolve(&lock, &project, &ResolveOptions::default()).unwrap();
    assert_eq!(r.targets.len(), 24);
    assert_eq!(installed(&lock, &r, System::X86_64Linux, 11), ["app-lib==1.0", "numpy==1.26.4"]);
    assert_eq!(installed(&lock, &r, System::Aarch64Darwin, 13), ["app-lib==1.0", "numpy==2.1.0"]);
}

#[test]
fn extras_platform_markers_and_groups() {
    let lock = lock(
        "2.0",
        &[
            "name = \"requests\"\nversion = \"2.32.3\"\n[package.dependencies]\nidna = \"*\"\npysocks = {version = \">=1.5.6\", optional = true, markers = \"extra == \\\"socks\\\"\"}\nwin-inet-pton = {version = \"*\", optional = true, markers = \"sys_platform == \\\"win32\\\" and extra == \\\"socks\\\"\"}\n[package.extras]\nsocks = [\"PySocks (>=1.5.6)\", \"win-inet-pton\"]\n",
            "name = \"idna\"\nversion = \"3.10\"\n",
            "name = \"pysocks\"\nversion = \"1.7.1\"\n",
            "name = \"win-inet-pton\"\nversion = \"1.1.0\"\n",
            "name = \"uvloop\"\nversion = \"0.21.0\"\n",
            "name = \"pytest\"\nversion = \"8.3.3\"\n[package.dependencies]\ntomli = {version = \">=1\", markers = \"python_version < \\\"3.11\\\"\"}\n",
            "name = \"tomli\"\nversion = \"2.0.2\"\n",
        ],
    );
    let project = project(
        "[tool.poetry.dependencies]\npython = \"^3.9\"\nrequests = {version = \"*\", extras = [\"socks\"]}\nuvloop = {version = \"*\", markers = \"sys_platform == 'linux'\"}\n[tool.poetry.group.dev.dependencies]\npytest = \"*\"\n",
    );
    let r = resolve(&lock, &project, &ResolveOptions::default()).unwrap();
    let linux = installed(&lock, &r, System::X86_64Linux, 10);
    assert_eq!(
        linux,
        ["idna==3.10", "pysocks==1.7.1", "pytest==8.3.3", "requests==2.32.3", "tomli==2.0.2", "uvloop==0.21.0"]
    );
    let darwin = installed(&lock, &r, System::Aarch64Darwin, 12);
    assert_eq!(darwin, ["idna==3.10", "pysocks==1.7.1", "pytest==8.3.3", "requests==2.32.3"]);
    // requests' dependencies include the requested extra's package.
    let t = 0;
    let requests = r.packages[0].per_target[t].as_ref().unwrap();
    let deps: Vec<String> = requests.needs.dependencies.iter().map(|&j| lock.packages[j].name.to_string()).collect();
    assert_eq!(deps, ["idna", "pysocks"]);
    assert_eq!(requests.needs.optional.keys().map(ToString::to_string).collect::<Vec<_>>(), ["socks"]);
    // Roots are kept per group.
    let dev = &r.roots.groups[&crate::name::GroupName::new("dev").unwrap()];
    assert_eq!(dev[t].len(), 1);
}

#[test]
fn lock_2_1_membership_decides() {
    let lock = lock(
        "2.1",
        &[
            "name = \"app\"\nversion = \"1\"\ngroups = [\"main\"]\n[package.dependencies]\nappnope = \"*\"\n",
            "name = \"appnope\"\nversion = \"0.1.4\"\ngroups = [\"main\"]\nmarkers = \"platform_system == \\\"Darwin\\\"\"\n",
        ],
    );
    let project = project("[project]\nname = \"x\"\nrequires-python = \">=3.12\"\ndependencies = [\"app\"]\n");
    let r = resolve(&lock, &project, &ResolveOptions::default()).unwrap();
    assert_eq!(r.targets.len(), 12, "3.12–3.14 on four systems");
    assert_eq!(installed(&lock, &r, System::X86_64Linux, 12), ["app==1"]);
    assert_eq!(installed(&lock, &r, System::X86_64Darwin, 12), ["app==1", "appnope==0.1.4"]);
}

#[test]
fn root_missing_from_the_lock_is_an_error_only_where_it_holds() {
    let lock = lock("2.0", &["name = \"a\"\nversion = \"1\"\n"]);
    let stale = project("[tool.poetry.dependencies]\npython = \"^3.9\"\na = \"*\"\nb = \"*\"\n");
    let err = resolve(&lock, &stale, &ResolveOptions::default()).unwrap_err();
    assert!(err.to_string().contains("asks for `b` (dependencies)"), "{err}");
    assert_eq!(err.hint().as_deref(), Some("run `poetry lock`"));
    // Poetry does not lock what can never be installed in the project's Python range.
    let fine = project(
        "[tool.poetry.dependencies]\npython = \"^3.9\"\na = \"*\"\ntyped-ast = {version = \"*\", python = \"<3.8\"}\n",
    );
    assert!(resolve(&lock, &fine, &ResolveOptions::default()).is_ok());
}

#[test]
fn targets_follow_the_project_constraint_and_the_flags() {
    let lock = lock("2.0", &["name = \"a\"\nversion = \"1\"\n"]);
    let p = project("[project]\nrequires-python = \">=3.11,<3.13\"\ndependencies = [\"a\"]\n");
    let options = ResolveOptions { systems: vec![System::Aarch64Darwin], ..ResolveOptions::default() };
    let targets = targets(&lock, &p, &options).unwrap();
    assert_eq!(
        targets.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["aarch64-darwin with CPython 3.11", "aarch64-darwin with CPython 3.12"]
    );
    let old = ResolveOptions { pythons: vec![PythonMinor(9)], ..ResolveOptions::default() };
    let err = resolve(&lock, &p, &old).unwrap_err().to_string();
    assert!(err.contains("allows Python >=3.11") && err.contains("3.9"), "{err}");
}

#[test]
fn macos_arm64_only_stack_selects_per_target() {
    let lock = lock(
        "2.0",
        &[
            "name = \"tensorflow-macos\"\nversion = \"2.15.0\"\nfiles = [{file = \"tensorflow_macos-2.15.0-cp311-cp311-macosx_12_0_arm64.whl\", hash = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}]\n[package.dependencies]\ntensorflow-metal = \"*\"\n",
            "name = \"tensorflow-metal\"\nversion = \"1.1.0\"\nfiles = [{file = \"tensorflow_metal-1.1.0-cp311-cp311-macosx_12_0_arm64.whl\", hash = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}]\n",
        ],
    );
    let p = project("[tool.poetry.dependencies]\npython = \"~3.11\"\ntensorflow-macos = \"*\"\n");
    let r = resolve(&lock, &p, &ResolveOptions::default()).unwrap();
    for (t, target) in r.targets.iter().enumerate() {
        let choice = r.packages[0].per_target[t].as_ref().unwrap().artifact;
        if target.system == System::Aarch64Darwin {
            assert_eq!(choice, ArtifactChoice::Wheel(0));
        } else {
            assert_eq!(choice, ArtifactChoice::Unusable(select::Unusable::NoWheelNoSdist), "{target}");
        }
    }
}

#[test]
fn the_highest_fitting_version_wins_and_a_named_source_is_preferred() {
    let lock = lock(
        "2.0",
        &[
            "name = \"urllib3\"\nversion = \"1.26.20\"\n",
            "name = \"urllib3\"\nversion = \"2.3.0\"\n",
            "name = \"torch\"\nversion = \"2.5.1\"\n[package.source]\ntype = \"legacy\"\nurl = \"https://download.example/whl/cpu\"\nreference = \"pytorch-cpu\"\n",
            "name = \"torch\"\nversion = \"2.5.1+cu124\"\n[package.source]\ntype = \"legacy\"\nurl = \"https://download.example/whl/cu124\"\nreference = \"pytorch-cuda\"\n",
        ],
    );
    let r = |pyproject: &str| {
        let project = project(pyproject);
        let r = resolve(&lock, &project, &ResolveOptions::default()).unwrap();
        installed(&lock, &r, System::X86_64Linux, 12)
    };
    // Both fit `>=1.21,<3`: Poetry's solver takes the highest.
    assert_eq!(r("[tool.poetry.dependencies]\npython = \"^3.9\"\nurllib3 = \">=1.21,<3\"\n"), ["urllib3==2.3.0"]);
    assert_eq!(r("[tool.poetry.dependencies]\npython = \"^3.9\"\nurllib3 = \"<2\"\n"), ["urllib3==1.26.20"]);
    // `source` names the index: the version locked from it, although another fits too.
    assert_eq!(
        r("[tool.poetry.dependencies]\npython = \"^3.9\"\ntorch = { version = \"*\", source = \"pytorch-cpu\" }\n"),
        ["torch==2.5.1"]
    );
    assert_eq!(
        r("[tool.poetry.dependencies]\npython = \"^3.9\"\ntorch = { version = \"*\", source = \"PyTorch-CUDA\" }\n"),
        ["torch==2.5.1+cu124"]
    );
}

#[test]
fn lock_markers_decide_and_their_disagreement_with_the_graph_is_found() {
    let lock = lock(
        "2.1",
        &[
            "name = \"app-lib\"\nversion = \"1.0\"\ngroups = [\"main\"]\n[package.dependencies]\nsix = \"*\"\n",
            "name = \"six\"\nversion = \"1.17.0\"\ngroups = [\"main\"]\nmarkers = \"sys_platform == 'darwin'\"\n",
            "name = \"lonely\"\nversion = \"1.0\"\ngroups = [\"dev\"]\n",
        ],
    );
    let project = project(
        "[tool.poetry.dependencies]\npython = \"^3.9\"\napp-lib = \"*\"\n[tool.poetry.group.dev.dependencies]\npytest = { version = \"*\", python = \"<3.9\" }\n",
    );
    let r = resolve(&lock, &project, &ResolveOptions::default()).unwrap();
    assert!(r.follows_lock_markers);
    // six: the graph reaches it everywhere, the lock installs it on macOS only.
    assert_eq!(installed(&lock, &r, System::X86_64Linux, 12), ["app-lib==1.0", "lonely==1.0"]);
    assert_eq!(installed(&lock, &r, System::Aarch64Darwin, 12), ["app-lib==1.0", "lonely==1.0", "six==1.17.0"]);
    let disagreement = r.disagreement.as_ref().expect("six is left out on Linux");
    let on: Vec<String> = disagreement.left_out[&1].iter().map(|&t| r.targets[t].to_string()).collect();
    assert!(on.iter().all(|t| t.contains("linux")) && on.len() == 12, "{on:?}");
    // `lonely` is in the dev group, reached by nothing: Poetry installs it with the group.
    let dev = &r.roots.groups[&crate::name::GroupName::new("dev").unwrap()];
    assert!(dev.iter().all(|list| list == &[2]), "{dev:?}");

    let graph = resolve(&lock, &project, &ResolveOptions { re_resolve: true, ..ResolveOptions::default() }).unwrap();
    assert!(!graph.follows_lock_markers && graph.disagreement.is_none());
    assert_eq!(installed(&lock, &graph, System::X86_64Linux, 12), ["app-lib==1.0", "six==1.17.0"]);
}

/// `FileFit` takes a system's bit from its discriminant, `wheel_systems` from `System::ALL`.
#[test]
fn a_systems_discriminant_is_its_place_in_all() {
    for (place, system) in System::ALL.into_iter().enumerate() {
        assert_eq!(system as usize, place, "{system}");
    }
}
