//! pylock.toml end to end: packages installed where their PEP 751 marker holds (with the
//! default groups, an extra, a non-default group, a platform), a file without a hash
//! (`hashes = {}`, downloaded and hashed, kept in `--hashes`), edges read from a wheel's
//! METADATA (uv writes none), and the project itself (`directory = { path = "." }`). Files are
//! served on 127.0.0.1 at the URLs the lock records; no index is asked. The output evaluates
//! for every target against the nixpkgs stub and builds with a real CPython.

mod support;

use std::fmt::Write as _;
use support::artifacts::{self, Artifact, hex_sha256};
use support::nix::{evaluate_everywhere_and_build, require_nix};
use support::project::{Project, stderr};
use support::{IndexServer, Reply};

fn module(name: &str, text: &str) -> Vec<(String, Vec<u8>)> {
    vec![(format!("{name}/__init__.py"), text.as_bytes().to_vec())]
}

fn serve(server: &IndexServer, wheel: &Artifact) -> String {
    server.route(
        format!("/files/{}", wheel.filename),
        vec![Reply::new(200, "application/octet-stream", wheel.bytes.clone())],
    );
    server.url(&format!("/files/{}", wheel.filename))
}

/// `[[packages]]` with one wheel; `hashed` false writes `hashes = {}`.
fn package(server: &IndexServer, name: &str, wheel: &Artifact, marker: Option<&str>, hashed: bool) -> String {
    let url = serve(server, wheel);
    let hashes = if hashed { format!("sha256 = \"{}\"", hex_sha256(&wheel.bytes)) } else { String::new() };
    let marker = marker.map(|m| format!("marker = \"{m}\"\n")).unwrap_or_default();
    format!(
        "[[packages]]\nname = \"{name}\"\nversion = \"1.0\"\n{marker}index = \"https://pypi.org/simple\"\nwheels = [{{ url = \"{url}\", hashes = {{ {hashes} }} }}]\n\n"
    )
}

struct Fixture {
    project: Project,
    server: IndexServer,
    six: Artifact,
}

fn fixture() -> Fixture {
    let server = IndexServer::start();
    let app_lib = artifacts::pure_wheel_requiring(
        "app-lib",
        "1.0",
        &module("app_lib", "import six_value\nVALUE = 'lib+' + six_value.VALUE\n"),
        &["six-value>=1", "socksy; extra == 'socks'"],
    );
    let six = artifacts::pure_wheel("six-value", "1.0", &module("six_value", "VALUE = 'six'\n"));
    let devtool = artifacts::pure_wheel("devtool", "1.0", &module("devtool", "VALUE = 'dev'\n"));
    let secure = artifacts::pure_wheel("secure", "1.0", &module("secure", "VALUE = 'secure'\n"));
    let mac = artifacts::pure_wheel("mac-only", "1.0", &module("mac_only", "VALUE = 'mac'\n"));
    let mut lock = String::from(
        "lock-version = \"1.0\"\ncreated-by = \"uv\"\nrequires-python = \">=3.9\"\nextras = [\"security\"]\ndependency-groups = [\"default\", \"dev\"]\ndefault-groups = [\"default\"]\n\n",
    );
    lock += &package(&server, "app-lib", &app_lib, Some("'default' in dependency_groups"), true);
    lock += &package(&server, "six-value", &six, None, false);
    lock += &package(&server, "devtool", &devtool, Some("'dev' in dependency_groups"), true);
    lock += &package(&server, "secure", &secure, Some("'security' in extras"), true);
    lock += &package(&server, "mac-only", &mac, Some("sys_platform == 'darwin'"), true);
    lock += "[[packages]]\nname = \"app\"\nversion = \"0.3.0\"\ndirectory = { path = \".\", editable = true }\n";
    let project = Project::empty();
    project.write("pylock.toml", &lock);
    let init = "import app_lib\nVALUES = (app_lib.VALUE,)\ndef main():\n    print(VALUES)\n";
    for (path, text) in artifacts::in_tree_project("app", "0.3.0", "app", init, &[("app-hello", "app:main")]) {
        let text = if path == "pyproject.toml" {
            format!("{text}[project.scripts]\napp-hello = \"app:main\"\n")
        } else {
            text
        };
        project.write(&path, &text);
    }
    Fixture { project, server, six }
}

#[test]
fn a_pylock_generates_without_an_index_with_edges_from_metadata_and_builds() {
    let Fixture { project, server, six } = fixture();
    let out = project.run(&["pylock.toml", "-o", "python-packages.nix", "--hashes", "hashes.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nix = project.read("python-packages.nix").unwrap();
    assert!(nix.contains("# Lock: pylock.toml 1.0 (created by uv), 5 packages"), "{nix}");
    assert!(server.requests().iter().all(|r| r.path.starts_with("/files/")), "{:?}", server.requests());

    // The file without a hash: downloaded, hashed, and the hash kept.
    let six_hash = support::project::sri(&hex_sha256(&six.bytes));
    assert!(support::attribute(&nix, "six-value").contains(&six_hash), "{nix}");
    assert!(project.read("hashes.toml").unwrap().contains(&hex_sha256(&six.bytes)));
    // Edges from app-lib's METADATA: six-value always, socksy only through its extra.
    let lib = support::attribute(&nix, "app-lib");
    assert!(lib.contains("final.six-value") && !lib.contains("socksy"), "{lib}");
    // Membership by marker: the default group is the project's own list, `dev` a group,
    // `security` an extra, mac-only only on darwin.
    let app = support::attribute(&nix, "app");
    assert!(app.contains("final.app-lib") && app.contains("dev = [") && app.contains("security = ["), "{app}");
    let darwin_only = app.lines().find(|line| line.contains("final.mac-only")).unwrap_or_default();
    assert!(darwin_only.contains("darwin") || app.contains("darwin"), "{app}");

    // `check` regenerates it from the recorded command (the hashes file answers for six-value).
    let check = project.run_bare(&["check", "python-packages.nix", "--cache-dir", "cache"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));

    // No inference: the same file but app-lib's edges, and a warning naming it.
    let bare = project.run(&["pylock.toml", "-o", "bare.nix", "--hashes", "hashes.toml", "--no-infer"]);
    assert!(bare.status.success(), "{}", stderr(&bare));
    assert!(stderr(&bare).contains("gives no dependencies for app-lib==1.0") && stderr(&bare).contains("--no-infer"));
    assert!(!support::attribute(&project.read("bare.nix").unwrap(), "app-lib").contains("final.six-value"));

    if require_nix("a_pylock_generates_without_an_index_with_edges_from_metadata_and_builds") {
        let output = project.join("python-packages.nix");
        let built = evaluate_everywhere_and_build(&output, "app", &["3.12"], &project.join("result"));
        let run = std::process::Command::new(built.join("bin/app-hello")).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "('lib+six',)", "{}", stderr(&run));
    }
}

/// PEP 658: where the index serves a wheel's core metadata beside it (`<wheel URL>.metadata`),
/// the edges come from that small file and the wheel is not downloaded; where it answers with
/// something else (a page for every path), the wheel itself is read.
#[test]
fn pylock_edges_come_from_the_indexs_metadata_file_without_downloading_the_wheel() {
    let server = IndexServer::start();
    let served = artifacts::pure_wheel_requiring("served-lib", "1.0", &module("served_lib", ""), &["six-value>=1"]);
    let unserved = artifacts::pure_wheel_requiring("plain-lib", "1.0", &module("plain_lib", ""), &["six-value"]);
    let six = artifacts::pure_wheel("six-value", "1.0", &module("six_value", ""));
    let metadata = "Metadata-Version: 2.1\nName: served-lib\nVersion: 1.0\nRequires-Dist: six-value>=1\n\n";
    server.route(
        format!("/files/{}.metadata", served.filename),
        vec![Reply::new(200, "application/octet-stream", metadata.as_bytes().to_vec())],
    );
    server.route(format!("/files/{}.metadata", unserved.filename), vec![Reply::html("<html>no such file</html>")]);
    let mut lock = String::from("lock-version = \"1.0\"\ncreated-by = \"uv\"\nrequires-python = \">=3.9\"\n\n");
    lock += &package(&server, "served-lib", &served, None, true);
    lock += &package(&server, "plain-lib", &unserved, None, true);
    lock += &package(&server, "six-value", &six, None, true);
    let project = Project::empty();
    project.write("pylock.toml", &lock);
    project.write("pyproject.toml", "[project]\nname = \"app\"\nversion = \"1.0\"\n");

    let out = project.run(&["pylock.toml", "-o", "python-packages.nix"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nix = project.read("python-packages.nix").unwrap();
    for lib in ["served-lib", "plain-lib"] {
        assert!(support::attribute(&nix, lib).contains("final.six-value"), "{lib}: {nix}");
    }
    assert_eq!(server.hits(&format!("/files/{}.metadata", served.filename)), 1);
    assert_eq!(server.hits(&format!("/files/{}", served.filename)), 0, "the wheel was downloaded");
    assert_eq!(server.hits(&format!("/files/{}", unserved.filename)), 1, "the wheel itself was not read");
    assert!(stderr(&out).contains("1 wheels' .metadata files"), "{}", stderr(&out));

    // A second run reads the cached edges: no request at all.
    let before = server.total_hits();
    let again = project.run(&["pylock.toml", "-o", "again.nix"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(server.total_hits(), before);
    assert_eq!(project.read("again.nix").unwrap(), nix);
}

/// A package whose only file is an sdist: its edges come from its PKG-INFO when that is core
/// metadata 2.2 or later without `Dynamic: Requires-Dist` (PEP 643); an older PKG-INFO only
/// says what the build decides, so that package is named in the warning instead. A workspace
/// member (`directory`) gets its edges from its pyproject.toml's `[project]` table.
#[test]
fn pylock_edges_of_sdist_only_and_folder_packages_come_from_their_static_metadata() {
    let server = IndexServer::start();
    let pyproject = "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n";
    let static_sdist = artifacts::sdist_tar_gz(
        "static-lib-1.0",
        &[
            ("PKG-INFO", "Metadata-Version: 2.2\nName: static-lib\nVersion: 1.0\nRequires-Dist: six-value\n\n"),
            ("pyproject.toml", pyproject),
        ],
    );
    let old_sdist = artifacts::sdist_tar_gz(
        "old-lib-1.0",
        &[
            ("PKG-INFO", "Metadata-Version: 2.1\nName: old-lib\nVersion: 1.0\nRequires-Dist: six-value\n\n"),
            ("pyproject.toml", pyproject),
        ],
    );
    let six = artifacts::pure_wheel("six-value", "1.0", &module("six_value", ""));
    let mut lock = String::from("lock-version = \"1.0\"\ncreated-by = \"pip\"\nrequires-python = \">=3.9\"\n\n");
    for (name, sdist) in [("static-lib", &static_sdist), ("old-lib", &old_sdist)] {
        let filename = format!("{name}-1.0.tar.gz");
        server.route(format!("/files/{filename}"), vec![Reply::new(200, "application/gzip", sdist.bytes.clone())]);
        let url = server.url(&format!("/files/{filename}"));
        let sha256 = hex_sha256(&sdist.bytes);
        let _ = write!(
            lock,
            "[[packages]]\nname = \"{name}\"\nversion = \"1.0\"\nsdist = {{ url = \"{url}\", hashes = {{ sha256 = \"{sha256}\" }} }}\n\n"
        );
    }
    lock += &package(&server, "six-value", &six, None, true);
    lock += "[[packages]]\nname = \"member\"\nversion = \"0.1.0\"\ndirectory = { path = \"libs/member\", editable = true }\n\n";
    let project = Project::empty();
    project.write("pylock.toml", &lock);
    project.write("pyproject.toml", "[project]\nname = \"app\"\nversion = \"1.0\"\n");
    project.write(
        "libs/member/pyproject.toml",
        "[project]\nname = \"member\"\nversion = \"0.1.0\"\ndependencies = [\"static-lib\"]\n[project.optional-dependencies]\nsix = [\"six-value\"]\n[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n",
    );
    project.write("libs/member/member/__init__.py", "");

    let out = project.run(&["pylock.toml", "-o", "python-packages.nix"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nix = project.read("python-packages.nix").unwrap();
    assert!(support::attribute(&nix, "static-lib").contains("final.six-value"), "{nix}");
    let member = support::attribute(&nix, "member");
    assert!(member.contains("final.static-lib") && member.contains("six = ["), "{member}");
    assert!(!support::attribute(&nix, "old-lib").contains("final.six-value"), "{nix}");
    let err = stderr(&out);
    assert!(err.contains("gives no dependencies for old-lib==1.0") && !err.contains("static-lib==1.0"), "{err}");
}
