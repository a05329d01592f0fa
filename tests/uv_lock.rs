//! uv.lock end to end: a project (`editable = "."`) whose lock has a fork (two versions of one
//! name, each for its platforms, the edges naming the exact one), a workspace member
//! (editable), a virtual member (not installed, its dependencies are), git (`git daemon` on
//! 127.0.0.1), url and path sources, an extra, a group and two conflicting extras. Files are
//! served on 127.0.0.1 at the URLs the lock records, and no index is asked. The output
//! evaluates for every target against the nixpkgs stub and builds with a real CPython.

mod support;

use std::fmt::Write as _;
use support::artifacts::{self, Artifact, hex_sha256};
use support::git::{Daemon, commit_all, git, write};
use support::nix::{evaluate_everywhere_and_build, require_nix};
use support::project::{Project, filtered, run_text, stderr};
use support::{IndexServer, Reply, header_text};

fn pure_wheel(name: &str, version: &str, module: &str, text: &str) -> Artifact {
    artifacts::pure_wheel(name, version, &[(format!("{module}/__init__.py"), text.as_bytes().to_vec())])
}

struct Fixture {
    project: Project,
    server: IndexServer,
    daemon: Daemon,
    /// The commit of the git source (which depends on when the test made it).
    rev: String,
    _repositories: tempfile::TempDir,
}

/// `[[package]]` from the registry, its one wheel served at the URL the lock records.
fn registry_package(server: &IndexServer, wheel: &Artifact, name: &str, version: &str, rest: &str) -> String {
    server.route(
        format!("/files/{}", wheel.filename),
        vec![Reply::new(200, "application/octet-stream", wheel.bytes.clone())],
    );
    format!(
        "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\nwheels = [\n    {{ url = \"{}\", hash = \"sha256:{}\", size = {} }},\n]\n{rest}\n",
        server.url(&format!("/files/{}", wheel.filename)),
        hex_sha256(&wheel.bytes),
        wheel.bytes.len()
    )
}

fn fixture() -> Fixture {
    let server = IndexServer::start();
    let mut lock = String::from(
        "version = 1\nrevision = 3\nrequires-python = \">=3.9\"\nresolution-markers = [\n    \"sys_platform == 'darwin'\",\n    \"sys_platform != 'darwin'\",\n]\nconflicts = [[\n    { package = \"app\", extra = \"cpu\" },\n    { package = \"app\", extra = \"gpu\" },\n]]\n\n[manifest]\nmembers = [\"app\", \"lib-a\", \"tools\"]\n\n",
    );
    // The project.
    lock += "[[package]]\nname = \"app\"\nversion = \"0.3.0\"\nsource = { editable = \".\" }\ndependencies = [\n";
    lock += "    { name = \"forky\", version = \"1.0\", source = { registry = \"https://pypi.org/simple\" }, marker = \"sys_platform == 'darwin'\" },\n";
    lock += "    { name = \"forky\", version = \"2.0\", source = { registry = \"https://pypi.org/simple\" }, marker = \"sys_platform != 'darwin'\" },\n";
    lock += "    { name = \"lib-a\" },\n    { name = \"tools\" },\n    { name = \"url-c\" },\n    { name = \"local-b\" },\n    { name = \"git-e\" },\n]\n\n";
    lock += "[package.optional-dependencies]\nsocks = [{ name = \"socksy\" }]\ncpu = [{ name = \"socksy\" }]\ngpu = [{ name = \"socksy\" }]\n\n";
    lock += "[package.dev-dependencies]\ndev = [{ name = \"devtool\" }]\n\n";
    // The fork, a transitive dependency of the virtual member, the extra's and the group's.
    let fork = |version: &str| pure_wheel("forky", version, "forky", &format!("VALUE = '{version}'\n"));
    lock += &registry_package(
        &server,
        &fork("1.0"),
        "forky",
        "1.0",
        "resolution-markers = [\"sys_platform == 'darwin'\"]\n",
    );
    lock += &registry_package(
        &server,
        &fork("2.0"),
        "forky",
        "2.0",
        "resolution-markers = [\"sys_platform != 'darwin'\"]\n",
    );
    for (name, module) in [("six", "six_value"), ("socksy", "socksy"), ("devtool", "devtool")] {
        let wheel = pure_wheel(name, "1.0", module, &format!("VALUE = '{name}'\n"));
        lock += &registry_package(&server, &wheel, name, "1.0", "");
    }
    // Members: lib-a is built (editable); tools is virtual, only its dependency is installed.
    lock += "[[package]]\nname = \"lib-a\"\nsource = { editable = \"packages/lib-a\" }\n\n";
    lock += "[[package]]\nname = \"tools\"\nversion = \"0.1.0\"\nsource = { virtual = \"packages/tools\" }\ndependencies = [{ name = \"six\" }]\n\n";
    // A url wheel, a local wheel, a git repository.
    let url_c = pure_wheel("url-c", "1.0", "url_c", "VALUE = 'c'\n");
    server.route(
        format!("/files/{}", url_c.filename),
        vec![Reply::new(200, "application/octet-stream", url_c.bytes.clone())],
    );
    let url_c_url = server.url(&format!("/files/{}", url_c.filename));
    let _ = write!(
        lock,
        "[[package]]\nname = \"url-c\"\nversion = \"1.0\"\nsource = {{ url = \"{url_c_url}\" }}\nwheels = [{{ url = \"{url_c_url}\", hash = \"sha256:{}\" }}]\n\n",
        hex_sha256(&url_c.bytes)
    );
    let local_b = pure_wheel("local-b", "1.0", "local_b", "VALUE = 'b'\n");
    let _ = write!(
        lock,
        "[[package]]\nname = \"local-b\"\nversion = \"1.0\"\nsource = {{ path = \"dist/{0}\" }}\nwheels = [{{ filename = \"{0}\", hash = \"sha256:{1}\" }}]\n\n",
        local_b.filename,
        hex_sha256(&local_b.bytes)
    );
    let repositories = tempfile::tempdir().unwrap();
    let repo = repositories.path().join("git-e");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    for (path, text) in artifacts::in_tree_project("git-e", "1.0", "git_e", "VALUE = 'e'\n", &[]) {
        write(&repo.join("pkg").join(path), &text);
    }
    let rev = commit_all(&repo, "git-e");
    let daemon = Daemon::start(repositories.path(), &repositories.path().join("daemon.log")).expect("git daemon");
    let git_url = format!("git://127.0.0.1:{}/git-e", daemon.port);
    let _ = write!(
        lock,
        "[[package]]\nname = \"git-e\"\nversion = \"1.0\"\nsource = {{ git = \"{git_url}?subdirectory=pkg&rev=HEAD#{rev}\" }}\n\n"
    );

    let project = Project::empty();
    project.write("uv.lock", &lock);
    let init = "import forky, lib_a, six_value, url_c, local_b, git_e\nVALUES = (forky.VALUE, lib_a.VALUE, six_value.VALUE, url_c.VALUE, local_b.VALUE, git_e.VALUE)\ndef main():\n    print(VALUES)\n";
    for (path, text) in artifacts::in_tree_project("app", "0.3.0", "app", init, &[("app-hello", "app:main")]) {
        let text = if path == "pyproject.toml" {
            format!(
                "{text}requires-python = \">=3.9\"\n[project.scripts]\napp-hello = \"app:main\"\n\n[tool.uv]\ndefault-groups = []\n"
            )
        } else {
            text
        };
        project.write(&path, &text);
    }
    for (path, text) in artifacts::in_tree_project("lib-a", "1.0", "lib_a", "VALUE = 'a'\n", &[]) {
        project.write(&format!("packages/lib-a/{path}"), &text);
    }
    project.write("packages/tools/pyproject.toml", "[project]\nname = \"tools\"\nversion = \"0.1.0\"\n");
    std::fs::create_dir_all(project.join("dist")).unwrap();
    std::fs::write(project.join(&format!("dist/{}", local_b.filename)), &local_b.bytes).unwrap();
    Fixture { project, server, daemon, rev, _repositories: repositories }
}

#[test]
fn a_uv_workspace_generates_without_an_index_evaluates_and_builds() {
    let Fixture { project, server, daemon, rev, _repositories } = fixture();
    let (files, git_host) = (server.url(""), format!("127.0.0.1:{}", daemon.port));
    let filters = [(files.as_str(), "[FILES]"), (git_host.as_str(), "[GIT]"), (rev.as_str(), "[REV]")];
    let pinned = |nix: &str, name: &str| filtered(&support::attribute(nix, name), &filters);
    // `lock2nix` alone finds the folder's one lock.
    let out = project.run(&["-o", "python-packages.nix"]);
    insta::assert_snapshot!(run_text(&out, &filters), @"
    exit code: 0
    ----- stderr -----
    lock2nix: warning: uv.lock: extra cpu of app, extra gpu of app cannot be installed with another extra or group ([tool.uv] conflicts) and are left out of this file; generate another with `--variant NAME` for each
    lock2nix: 8 packages for 24 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference; 1 git or url sources fetched
    ");
    let nix = project.read("python-packages.nix").unwrap();
    // The lock it found is recorded.
    insta::assert_snapshot!(header_text(&nix, &[]), @"
    # This file was generated by lock2nix [VERSION] with the command:
    #   lock2nix uv.lock
    # Regenerate it instead of editing it; put fixes in an overlay composed after this one.
    # Lock: uv.lock version 1, revision 3, 9 packages
    # Systems: x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin; CPython 3.9, 3.10, 3.11, 3.12, 3.13, 3.14
    # Artifacts: prefer wheels; manylinux up to glibc 2.40; macOS 14.0 or newer
    # The project is attribute `app`; paths above are relative to this file's folder.
    ");
    // Every file from the URL the lock records, with its locked hash: nothing is downloaded,
    // and the index is never asked.
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    // The fork: one attribute choosing the version by platform.
    insta::assert_snapshot!(pinned(&nix, "forky"), @r#"
    forky =
      if builtins.elem system [ "x86_64-darwin" "aarch64-darwin" ] then
        final.buildPythonPackage {
          pname = "forky";
          version = "1.0";
          format = "wheel";
          src = fetchurl {
            name = "forky-1.0-py3-none-any.whl";
            url = "[FILES]/files/forky-1.0-py3-none-any.whl";
            hash = "sha256-pvyYn1imkLJ8clEwXJWiDALT4NrA56tbN/QPvz3iYPw=";
          };
          dependencies = [ ];
          doCheck = false;
        }
      else
        final.buildPythonPackage {
          pname = "forky";
          version = "2.0";
          format = "wheel";
          src = fetchurl {
            name = "forky-2.0-py3-none-any.whl";
            url = "[FILES]/files/forky-2.0-py3-none-any.whl";
            hash = "sha256-lkQct+/6ESdFqbAiBcw4I96e7yts57JXJnyqUShehW4=";
          };
          dependencies = [ ];
          doCheck = false;
        };
    "#);
    // The virtual member is not a package; its dependency is the project's.
    assert!(!support::has_attribute(&nix, "tools"), "{nix}");
    // Extras and groups: the conflicting pair is left out.
    insta::assert_snapshot!(pinned(&nix, "app"), @r#"
    app = final.buildPythonPackage {
      pname = "app";
      version = "0.3.0";
      pyproject = true;
      src = cleanSource ./.;
      # lock2nix: inferred: build system backend from its pyproject.toml [build-system]
      build-system = [ ];
      doCheck = false;
      dependencies = [
        final.forky
        final.git-e
        final.lib-a
        final.local-b
        final.six
        final.url-c
      ];
      passthru = {
        optional-dependencies = {
          socks = [ final.socksy ];
        };
        dependency-groups = {
          dev = [ final.devtool ];
        };
      };
    };
    "#);
    // The member is editable in dev shells; sources as for Poetry.
    insta::assert_snapshot!(pinned(&nix, "lib-a"), @r#"
    lib-a = final.buildPythonPackage {
      pname = "lib-a";
      version = "0";
      # The lock gives no version (it is dynamic): only the build knows it.
      dontCheckPythonMetadata = true;
      pyproject = true;
      src = cleanSource ./packages/lib-a;
      # lock2nix: inferred: build system backend from its pyproject.toml [build-system]
      build-system = [ ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(pinned(&nix, "local-b"), @r#"
    local-b = final.buildPythonPackage {
      pname = "local-b";
      version = "1.0";
      format = "wheel";
      src = ./dist/local_b-1.0-py3-none-any.whl;
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(pinned(&nix, "git-e"), @r#"
    git-e = final.buildPythonPackage {
      pname = "git-e";
      version = "1.0";
      pyproject = true;
      src = fetchgit {
        url = "git://[GIT]/git-e";
        rev = "[REV]";
        hash = "sha256-6j6/OGRclLNYYz3IPO/2oqXZd0Aak/yeOdXcDvzzsGc=";
        fetchSubmodules = false;
      };
      postUnpack = "sourceRoot=\"$sourceRoot\"/pkg";
      # lock2nix: inferred: build system backend from its pyproject.toml [build-system]
      build-system = [ ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);

    // One file per side of the conflict: the header records the choice.
    let gpu = project.run(&["uv.lock", "--variant", "gpu", "-o", "gpu.nix"]);
    insta::assert_snapshot!(run_text(&gpu, &filters), @"
    exit code: 0
    ----- stderr -----
    lock2nix: warning: uv.lock: extra cpu of app cannot be installed with another extra or group ([tool.uv] conflicts) and is left out of this file; generate another with `--variant NAME` for each
    lock2nix: 8 packages for 24 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference
    ");
    let gpu_nix = project.read("gpu.nix").unwrap();
    insta::assert_snapshot!(header_text(&gpu_nix, &[]), @"
    # This file was generated by lock2nix [VERSION] with the command:
    #   lock2nix --variant gpu uv.lock
    # Regenerate it instead of editing it; put fixes in an overlay composed after this one.
    # Lock: uv.lock version 1, revision 3, 9 packages
    # Systems: x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin; CPython 3.9, 3.10, 3.11, 3.12, 3.13, 3.14
    # Artifacts: prefer wheels; manylinux up to glibc 2.40; macOS 14.0 or newer
    # The project is attribute `app`; paths above are relative to this file's folder.
    ");
    insta::assert_snapshot!(pinned(&gpu_nix, "app"), @r#"
    app = final.buildPythonPackage {
      pname = "app";
      version = "0.3.0";
      pyproject = true;
      src = cleanSource ./.;
      # lock2nix: inferred: build system backend from its pyproject.toml [build-system]
      build-system = [ ];
      doCheck = false;
      dependencies = [
        final.forky
        final.git-e
        final.lib-a
        final.local-b
        final.six
        final.url-c
      ];
      passthru = {
        optional-dependencies = {
          gpu = [ final.socksy ];
          socks = [ final.socksy ];
        };
        dependency-groups = {
          dev = [ final.devtool ];
        };
      };
    };
    "#);
    // Deterministic: again, from the warm cache, byte for byte.
    let again = project.run(&["uv.lock", "-o", "again.nix"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(project.read("again.nix"), Some(nix.clone()));
    // `check` regenerates it from the recorded command.
    let check = project.run_bare(&["check", "python-packages.nix", "--cache-dir", "cache"]);
    insta::assert_snapshot!(run_text(&check, &filters), @"
    exit code: 0
    ----- stderr -----
    lock2nix: python-packages.nix is up to date
    ");
    // `init` writes the starter files for the uv.lock, keeping the generated file.
    let init = project.run_bare(&["init", "--cache-dir", "cache"]);
    insta::assert_snapshot!(run_text(&init, &filters), @"
    exit code: 0
    ----- stderr -----
    lock2nix: warning: uv.lock: extra cpu of app, extra gpu of app cannot be installed with another extra or group ([tool.uv] conflicts) and are left out of this file; generate another with `--variant NAME` for each
    lock2nix: 8 packages for 24 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference
    lock2nix: init: wrote flake.nix, .envrc, .vscode/settings.json; kept python-packages.nix (--force replaces them)
    lock2nix: init: next: `git add flake.nix .envrc .vscode/settings.json` (flakes only see tracked files), then `direnv allow` or `nix develop`
    ");
    let flake = project.read("flake.nix").unwrap();
    // Where the flake names the lock: its description and its comments.
    let naming: Vec<&str> =
        flake.lines().filter(|l| l.contains("description") || l.trim_start().starts_with('#')).collect();
    insta::assert_snapshot!(naming.join("\n"), @r#"
    description = "A Python project whose dependencies lock2nix generated from uv.lock";
        # What every helper takes: nixpkgs, the interpreter, the file `lock2nix` generated
        # (regenerate it with `lock2nix -o python-packages.nix` after `uv lock`), and your
        # own fixes as Python overlays composed after it.
          # The project's main dependencies (and the project) in one Python environment.
          # The project as an application: its console scripts, without its dev groups.
        # `nix develop`, or direnv: every group and extra, the project and its `develop = true`
        # paths editable from the working tree, Poetry and lock2nix.
    "#);
    insta::assert_snapshot!(project.read(".envrc").unwrap(), @"
    # The dev shell of flake.nix (nix-direnv caches it). Reload when the lock or the file changes.
    watch_file pyproject.toml uv.lock python-packages.nix
    use flake
    ");

    if require_nix("a_uv_workspace_generates_without_an_index_evaluates_and_builds") {
        evaluate_and_build(&project);
    }
}

fn evaluate_and_build(project: &Project) {
    let output = project.join("python-packages.nix");
    let built = evaluate_everywhere_and_build(&output, "app", &["3.9", "3.13"], &project.join("result"));
    let run = std::process::Command::new(built.join("bin/app-hello")).output().unwrap();
    // Linux: the fork's 2.0.
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "('2.0', 'a', 'six', 'c', 'b', 'e')", "{}", stderr(&run));
}

#[test]
fn several_locks_in_a_folder_ask_which_and_none_says_so() {
    let project = Project::empty();
    let none = project.run(&["-o", "out.nix"]);
    insta::assert_snapshot!(run_text(&none, &[]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: no lock in .: lock2nix reads poetry.lock, uv.lock and pylock.toml (or pylock.<name>.toml)
    lock2nix: hint: create one (`poetry lock`, `uv lock`) or name it
    ");
    project.write("uv.lock", "version = 1\n").write("poetry.lock", "[metadata]\n");
    let several = project.run(&["-o", "out.nix"]);
    insta::assert_snapshot!(run_text(&several, &[]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: . holds several locks (poetry.lock, uv.lock)
    lock2nix: hint: name the one to read, e.g. `lock2nix uv.lock`
    ");
    assert!(!project.join("out.nix").exists());
}

/// A lock whose `torch` has a build per extra (`cpu`, `gpu`, which conflict) and a default one.
const TORCH_VARIANTS: &str = r#"version = 1
revision = 3
requires-python = ">=3.10"
conflicts = [[{ package = "app", extra = "cpu" }, { package = "app", extra = "gpu" }]]

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "torch", version = "2.0.0", source = { registry = "https://pypi.org/simple" }, marker = "extra != 'extra-3-app-cpu' and extra != 'extra-3-app-gpu'" },
    { name = "torch", version = "2.0.0+cpu", source = { registry = "https://download.pytorch.org/whl/cpu" }, marker = "extra == 'extra-3-app-cpu'" },
    { name = "torch", version = "2.0.0+cu128", source = { registry = "https://download.pytorch.org/whl/cu128" }, marker = "extra == 'extra-3-app-gpu'" },
]

[package.optional-dependencies]
cpu = [{ name = "torch", version = "2.0.0+cpu", source = { registry = "https://download.pytorch.org/whl/cpu" } }]
gpu = [{ name = "torch", version = "2.0.0+cu128", source = { registry = "https://download.pytorch.org/whl/cu128" } }]

[[package]]
name = "torch"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/torch-2.0.0-py3-none-any.whl", hash = "sha256:0000000000000000000000000000000000000000000000000000000000000000" }]

[[package]]
name = "torch"
version = "2.0.0+cpu"
source = { registry = "https://download.pytorch.org/whl/cpu" }
wheels = [{ url = "https://files.example/cpu/torch-2.0.0+cpu-py3-none-any.whl", hash = "sha256:1111111111111111111111111111111111111111111111111111111111111111" }]

[[package]]
name = "torch"
version = "2.0.0+cu128"
source = { registry = "https://download.pytorch.org/whl/cu128" }
wheels = [{ url = "https://files.example/cu128/torch-2.0.0+cu128-py3-none-any.whl", hash = "sha256:2222222222222222222222222222222222222222222222222222222222222222" }]
"#;

/// The torch versions installed on the first target for `variants`, and the project's extras.
fn torch_for(variants: &[&str]) -> Result<(Vec<String>, Vec<String>), String> {
    let lock = lock2nix::testing::lockfile::uv::parse(TORCH_VARIANTS, "uv.lock").unwrap();
    let variants: Vec<String> = variants.iter().map(ToString::to_string).collect();
    let missing = std::path::Path::new("/nonexistent-lock2nix-test/pyproject.toml");
    let project = lock2nix::testing::project::for_lock(&lock, missing, &variants).map_err(|e| e.to_string())?;
    let resolution =
        lock2nix::testing::resolve::resolve(&lock, &project, &lock2nix::testing::resolve::ResolveOptions::default())
            .unwrap();
    let installed = lock
        .packages
        .iter()
        .zip(&resolution.packages)
        .filter(|(_, r)| r.per_target[0].is_some())
        .map(|(p, _)| p.version_text.clone())
        .collect();
    Ok((installed, project.extras.keys().map(ToString::to_string).collect()))
}

#[test]
fn each_side_of_a_conflict_is_a_variant_of_its_own() {
    // By default neither extra: the plain build, and no conflicting extra offered.
    assert_eq!(torch_for(&[]).unwrap(), (vec!["2.0.0".to_string()], vec![]));
    // `--variant gpu`: the CUDA build alone, and the gpu extra offered.
    assert_eq!(torch_for(&["gpu"]).unwrap(), (vec!["2.0.0+cu128".to_string()], vec!["gpu".to_string()]));
    assert_eq!(torch_for(&["cpu"]).unwrap(), (vec!["2.0.0+cpu".to_string()], vec!["cpu".to_string()]));
    insta::assert_snapshot!(torch_for(&["cpu", "gpu"]).unwrap_err(), @"--variant: extra cpu of app and extra gpu of app cannot be installed together ([tool.uv] conflicts); generate one file for each");
    insta::assert_snapshot!(torch_for(&["rocm"]).unwrap_err(), @"--variant rocm: uv.lock has no conflicting extra or group of that name (extra cpu of app, extra gpu of app)");
}

/// A local registry (`[tool.uv] find-links = ["wheels"]`): uv records the folder as the
/// registry and each file by its path in it, without a hash. The files become paths beside the
/// generated file (relative to it, wherever it is written); a missing one is an error naming it.
#[test]
fn a_local_registry_folder_becomes_paths_beside_the_output() {
    let project = Project::empty();
    let wheel = pure_wheel("tinylib", "1.0", "tinylib", "VALUE = 'local'\n");
    std::fs::create_dir_all(project.join("wheels")).unwrap();
    std::fs::write(project.join("wheels").join(&wheel.filename), &wheel.bytes).unwrap();
    project.write("pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = [\"tinylib\"]\n\n[tool.uv]\nno-index = true\nfind-links = [\"wheels\"]\npackage = false\n");
    project.write(
        "uv.lock",
        &format!(
            "version = 1\nrevision = 3\nrequires-python = \">=3.9\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\ndependencies = [\n    {{ name = \"tinylib\" }},\n]\n\n[[package]]\nname = \"tinylib\"\nversion = \"1.0\"\nsource = {{ registry = \"wheels\" }}\nwheels = [\n    {{ path = \"{}\" }},\n]\n",
            wheel.filename
        ),
    );
    let out = project.run(&["uv.lock", "-o", "nix/python-packages.nix"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nix = project.read("nix/python-packages.nix").unwrap();
    insta::assert_snapshot!(support::attribute(&nix, "tinylib"), @r#"
    tinylib = final.buildPythonPackage {
      pname = "tinylib";
      version = "1.0";
      format = "wheel";
      src = ../wheels/tinylib-1.0-py3-none-any.whl;
      dependencies = [ ];
      doCheck = false;
    };
    "#);

    if require_nix("a_local_registry_folder_becomes_paths_beside_the_output") {
        let output = project.join("nix/python-packages.nix");
        let built = evaluate_everywhere_and_build(&output, "app", &["3.12"], &project.join("result"));
        // The stub builds with the host's CPython, whatever minor the target names.
        let installed = std::fs::read_dir(built.join("lib"))
            .unwrap()
            .flatten()
            .any(|minor| minor.path().join("site-packages/tinylib/__init__.py").is_file());
        assert!(installed, "tinylib is not in {}", built.display());
    }

    std::fs::remove_file(project.join("wheels").join(&wheel.filename)).unwrap();
    let missing = project.run(&["uv.lock", "-o", "nix/again.nix"]);
    insta::assert_snapshot!(run_text(&missing, &[(project.path_text(), "[TMP]")]), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: tinylib==1.0: the lock's path `wheels/tinylib-1.0-py3-none-any.whl` is not an existing file (paths are relative to the project's folder)
    ");
    assert!(!project.join("nix/again.nix").exists());
}
