//! Inference end to end: the binary downloads the chosen sdist and manylinux wheels (built
//! inside the test and served on 127.0.0.1), reads their build system and ELF needs, caches
//! the facts, and the output carries them with `# lock2nix: inferred: …` comments; the
//! result evaluates against the nixpkgs stub.

mod support;

use support::artifacts;
use support::nix::{arg_path, argstr, instantiate_eval_json, nix_tests_dir, require_nix};
use support::project::{Project, stderr, stdout};

use support::artifacts::{lock_entry, serve};

#[test]
fn sdist_build_systems_and_wheel_libraries_are_inferred_once() {
    let build = tempfile::tempdir().unwrap();
    let sdist = artifacts::sdist_tar_gz(
        "hatchpkg-1.0",
        &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"hatchling>=1.18\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"hatchpkg\"\nversion = \"1.0\"\n",
            ),
            ("hatchpkg/__init__.py", ""),
        ],
    );
    let legacy =
        artifacts::sdist_tar_gz("oldpkg-1.0", &[("setup.py", "from setuptools import setup\nsetup(name='oldpkg')\n")]);
    let zext = artifacts::zlib_cxx_wheel(build.path());
    let vend = artifacts::vendoring_wheel(build.path(), true);
    let server = serve(&[("hatchpkg", &sdist), ("oldpkg", &legacy), ("zext", &zext), ("vend", &vend)]);
    let mut lock = String::new();
    for (name, artifact) in [("hatchpkg", &sdist), ("oldpkg", &legacy), ("vend", &vend), ("zext", &zext)] {
        lock.push_str(&lock_entry(name, artifact));
    }
    lock.push_str("[metadata]\nlock-version = \"2.0\"\npython-versions = \"~3.11\"\ncontent-hash = \"0\"\n");
    let project = Project::inline(
        &lock,
        "[tool.poetry]\nname = \"inferred\"\nversion = \"0.1.0\"\n\n[tool.poetry.dependencies]\npython = \"~3.11\"\nhatchpkg = \"*\"\noldpkg = \"*\"\nvend = \"*\"\nzext = \"*\"\n",
    );
    let system = format!("{}-linux", artifacts::arch());
    let args =
        ["--index-url", &server.index_url(), "--system", &system, "--python", "3.11", "-o", "python-packages.nix"];
    let out = project.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("4 artifacts downloaded for inference"), "{}", stderr(&out));
    let nix = project.read("python-packages.nix").unwrap();
    let section = |name: &str| support::attribute(&nix, name).clone();
    let hatch = section("hatchpkg");
    assert!(
        hatch.contains(
            "# lock2nix: inferred: build system hatchling.build from the sdist's pyproject.toml [build-system]"
        ),
        "{hatch}"
    );
    assert!(hatch.contains("build-system = [ prev.hatchling ];"), "{hatch}");
    let old = section("oldpkg");
    assert!(old.contains("setup.py (no pyproject.toml: setuptools)"), "{old}");
    assert!(old.contains("prev.setuptools") && old.contains("prev.wheel"), "{old}");
    let zext_nix = section("zext");
    assert!(zext_nix.contains("nativeBuildInputs = [ pkgs.autoPatchelfHook ];"), "{zext_nix}");
    assert!(zext_nix.contains("pkgs.zlib") && zext_nix.contains("pkgs.stdenv.cc.cc.lib"), "{zext_nix}");
    let vend_nix = section("vend");
    assert!(!vend_nix.contains("libfoo"), "vendored libraries are not asked for: {vend_nix}");

    // Facts are cached by sha256: a second run downloads nothing and writes the same file.
    let hits = server.total_hits();
    let again = project.run(&args);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("0 artifacts downloaded for inference"), "{}", stderr(&again));
    assert_eq!(server.total_hits(), hits, "no request at all");
    assert_eq!(project.read("python-packages.nix").unwrap(), nix);
    // A warm run reads one file per kind, the set of this lock's facts: without the files per
    // artifact it still downloads nothing.
    let artifacts = project.join("cache/artifacts-v1");
    for kind in ["build-system", "native-libraries"] {
        let sets: Vec<_> = std::fs::read_dir(artifacts.join(kind).join("sets")).unwrap().flatten().collect();
        assert_eq!(sets.len(), 1, "{kind}: one set file");
        for file in std::fs::read_dir(artifacts.join(kind)).unwrap().flatten().filter(|f| f.path().is_file()) {
            std::fs::remove_file(file.path()).unwrap();
        }
    }
    let from_sets = project.run(&args);
    assert!(stderr(&from_sets).contains("0 artifacts downloaded for inference"), "{}", stderr(&from_sets));
    assert_eq!(server.total_hits(), hits);
    assert_eq!(project.read("python-packages.nix").unwrap(), nix);

    // --no-infer: the plain setuptools + wheel default and no autoPatchelf.
    let plain =
        project.run(&["--index-url", &server.index_url(), "--system", &system, "--python", "3.11", "--no-infer"]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert!(!stdout(&plain).contains("autoPatchelfHook"));

    if require_nix("sdist_build_systems_and_wheel_libraries_are_inferred_once") {
        let result = instantiate_eval_json(
            &nix_tests_dir().join("eval-overlay.nix"),
            &[
                arg_path("overlay", &project.join("python-packages.nix")),
                argstr("root", "inferred"),
                argstr("system", &system),
                argstr("python", "3.11"),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(result["env"].as_str().unwrap().ends_with(".drv"), "{result}");
    }
}

#[test]
fn artifacts_over_the_size_limit_are_skipped_named_and_not_cached() {
    let build = tempfile::tempdir().unwrap();
    let sdist = artifacts::sdist_tar_gz(
        "hatchpkg-1.0",
        &[("pyproject.toml", "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n")],
    );
    let zext = artifacts::zlib_cxx_wheel(build.path());
    assert!(sdist.bytes.len() < zext.bytes.len());
    let server = serve(&[("hatchpkg", &sdist), ("zext", &zext)]);
    let mut lock = lock_entry("hatchpkg", &sdist) + &lock_entry("zext", &zext);
    lock.push_str("[metadata]\nlock-version = \"2.0\"\npython-versions = \"~3.11\"\ncontent-hash = \"0\"\n");
    let project = Project::inline(
        &lock,
        "[tool.poetry]\nname = \"limited\"\nversion = \"0.1.0\"\n\n[tool.poetry.dependencies]\npython = \"~3.11\"\nhatchpkg = \"*\"\nzext = \"*\"\n",
    );
    let system = format!("{}-linux", artifacts::arch());
    let base = ["--index-url", &server.index_url(), "--system", &system, "--python", "3.11"];
    // A limit between the two sizes: the sdist is read, the wheel is not.
    let limit = (sdist.bytes.len() + 1).to_string();
    let out = project.run(&[&base[..], &["--infer-max-size", &limit]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(log.contains("1 artifacts downloaded for inference, 1 over --infer-max-size"), "{log}");
    assert!(log.contains(&format!("warning: zext 1.0 ({})", zext.filename)), "{log}");
    assert!(log.contains("larger than the size limit for inference"), "{log}");
    let nix = stdout(&out);
    assert!(nix.contains("inferred: build system hatchling.build"), "{nix}");
    assert!(
        nix.contains("# lock2nix: native libraries not inferred: not downloaded: larger than the size limit"),
        "{nix}"
    );
    assert!(!nix.contains("autoPatchelfHook"), "{nix}");

    // With the same limit, a changed lock (so no run memo) knows the wheel is over it without
    // asking the index again: it works offline and gives the same file.
    project.edit_lock(|lock| format!("{lock}# edited\n"));
    let same_limit = project.run(&[&base[..], &["--infer-max-size", &limit, "--offline"]].concat());
    assert!(same_limit.status.success(), "{}", stderr(&same_limit));
    assert!(stderr(&same_limit).contains("0 artifacts downloaded for inference, 1 over --infer-max-size"));
    assert!(stderr(&same_limit).contains(&format!("warning: zext 1.0 ({})", zext.filename)));
    assert_eq!(stdout(&same_limit), nix);

    // Nothing was cached for the skipped wheel: without the limit it is read now.
    let again = project.run(&base);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("1 artifacts downloaded for inference"), "{}", stderr(&again));
    assert!(stdout(&again).contains("pkgs.autoPatchelfHook"), "{}", stdout(&again));

    let bad = project.run(&[&base[..], &["--infer-max-size", "lots"]].concat());
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("--infer-max-size"), "{}", stderr(&bad));
}

#[test]
fn an_unknown_build_requirement_throws_naming_the_fix() {
    let odd = artifacts::sdist_tar_gz(
        "oddpkg-1.0",
        &[(
            "pyproject.toml",
            "[build-system]\nrequires = [\"setuptools\", \"no-such-backend\"]\nbuild-backend = \"no_such_backend\"\n",
        )],
    );
    let server = serve(&[("oddpkg", &odd)]);
    let mut lock = lock_entry("oddpkg", &odd);
    lock.push_str("[metadata]\nlock-version = \"2.0\"\npython-versions = \"~3.11\"\ncontent-hash = \"0\"\n");
    let project = Project::inline(
        &lock,
        "[tool.poetry]\nname = \"odd\"\nversion = \"0.1.0\"\n\n[tool.poetry.dependencies]\npython = \"~3.11\"\noddpkg = \"*\"\n",
    );
    let args = ["--index-url", &server.index_url(), "--system", "x86_64-linux", "--python", "3.11", "-o", "out.nix"];
    let out = project.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let nix = project.read("out.nix").unwrap();
    // setuptools is a package nixpkgs is known to have; the other is looked up with a guard.
    let listed: Vec<&str> = nix.lines().map(str::trim).skip_while(|l| *l != "build-system = [").take(3).collect();
    assert_eq!(listed, ["build-system = [", "prev.setuptools", "(fromNixpkgs \"no-such-backend\")"], "{nix}");

    if require_nix("an_unknown_build_requirement_throws_naming_the_fix") {
        let overlay = project.join("out.nix");
        let expr = format!(
            "let pkgs = import {stub} {{ system = \"x86_64-linux\"; }}; py = pkgs.python311.override {{ packageOverrides = import {overlay} {{ inherit pkgs; }}; self = py; }}; in py.pkgs.oddpkg.drvPath",
            stub = nix_tests_dir().join("../stub").display(),
            overlay = overlay.display()
        );
        // Evaluating the package throws lock2nix's message, not Nix's "attribute missing".
        let error = support::nix::instantiate_eval_expr(&expr).unwrap_err();
        assert!(
            error.stderr.contains("lock2nix: a build system needs the Python package no-such-backend, which is neither in the lock nor in this nixpkgs' Python package set"),
            "{}",
            error.stderr
        );
    }
}

/// A downloaded artifact that is not the file the lock and the index pin stops the run: a
/// hash mismatch is a hard error, the whole message pinned, and nothing is written.
#[test]
fn a_downloaded_artifact_of_another_hash_is_a_hard_error() {
    let sdist = artifacts::sdist_tar_gz("hatchpkg-1.0", &[("setup.py", "from setuptools import setup\nsetup()\n")]);
    let server = serve(&[("hatchpkg", &sdist)]);
    // The file host answers with other bytes than the ones the page and the lock describe.
    let tampered = b"not the sdist".to_vec();
    let file = format!("/files/{}", sdist.filename);
    server.route(&file, vec![support::Reply::new(200, "application/octet-stream", tampered.clone())]);
    let lock = format!(
        "{}[metadata]\nlock-version = \"2.0\"\npython-versions = \"~3.11\"\ncontent-hash = \"0\"\n",
        lock_entry("hatchpkg", &sdist)
    );
    let project = Project::inline(
        &lock,
        "[tool.poetry]\nname = \"pinned\"\nversion = \"0.1.0\"\n\n[tool.poetry.dependencies]\npython = \"~3.11\"\nhatchpkg = \"*\"\n",
    );
    let out = project.run(&["--index-url", &server.index_url(), "--python", "3.11", "-q", "-o", "out.nix"]);
    let (host, locked, served) =
        (server.url(""), artifacts::hex_sha256(&sdist.bytes), artifacts::hex_sha256(&tampered));
    let filters = [(host.as_str(), "[SERVER]"), (locked.as_str(), "[LOCKED]"), (served.as_str(), "[SERVED]")];
    insta::assert_snapshot!(support::project::run_text(&out, &filters), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: hatchpkg-1.0.tar.gz: cannot use [SERVER]/files/hatchpkg-1.0.tar.gz: its sha256 is [SERVED], but the lock and the index say [LOCKED]
    ");
    assert!(project.read("out.nix").is_none(), "nothing written");
}
