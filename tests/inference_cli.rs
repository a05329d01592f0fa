//! Inference end to end: the binary downloads the chosen sdist and manylinux wheels (built
//! inside the test and served on 127.0.0.1), reads their build system and ELF needs, caches
//! the facts, and the output carries them with `# lock2nix: inferred: …` comments; the
//! result evaluates against the nixpkgs stub.

mod support;

use support::artifacts::{self, Artifact, hash_filters, lock_entry, serve};
use support::evaluate::{assert_environment_evaluates, package_set_attr, thrown};
use support::nix::require_nix;
use support::project::{Project, borrowed, filtered, run_text, run_text_generated, stderr, stdout};

/// `(text, placeholder)` filters for a run against `server` with `artifacts`: the loopback
/// address, each artifact's sha256 (hex and SRI), which depends on the machine's compiler for
/// the ELF files built on the spot, and the machine's architecture (in those file names too).
fn filters(server: &support::IndexServer, artifacts: &[&Artifact]) -> Vec<(String, String)> {
    let mut filters = vec![(server.url(""), "[INDEX]".to_string())];
    filters.extend(hash_filters(artifacts));
    filters.push((artifacts::arch().to_string(), "[ARCH]".to_string()));
    filters
}

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
    let owned = filters(&server, &[&sdist, &legacy, &zext, &vend]);
    let filters = borrowed(&owned);
    let out = project.run(&args);
    insta::assert_snapshot!(run_text(&out, &filters), @"
    exit code: 0
    ----- stderr -----
    lock2nix: 4 packages for 1 targets; 4 index requests, 0 from cache; 4 artifacts downloaded for inference
    ");
    let nix = project.read("python-packages.nix").unwrap();
    let section = |name: &str| filtered(&support::attribute(&nix, name), &filters);
    insta::assert_snapshot!(section("hatchpkg"), @r#"
    hatchpkg = final.buildPythonPackage {
      pname = "hatchpkg";
      version = "1.0";
      pyproject = true;
      src = fetchurl {
        name = "hatchpkg-1.0.tar.gz";
        url = "[INDEX]/files/hatchpkg-1.0.tar.gz";
        hash = "[sri of hatchpkg-1.0.tar.gz]";
      };
      # lock2nix: inferred: build system hatchling.build from the sdist's pyproject.toml [build-system]
      build-system = [ prev.hatchling ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(section("oldpkg"), @r#"
    oldpkg = final.buildPythonPackage {
      pname = "oldpkg";
      version = "1.0";
      pyproject = true;
      src = fetchurl {
        name = "oldpkg-1.0.tar.gz";
        url = "[INDEX]/files/oldpkg-1.0.tar.gz";
        hash = "[sri of oldpkg-1.0.tar.gz]";
      };
      # lock2nix: inferred: build system setuptools.build_meta:__legacy__ from the sdist's setup.py (no pyproject.toml: setuptools)
      build-system = [
        prev.setuptools
        prev.wheel
      ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(section("zext"), @r#"
    zext = final.buildPythonPackage {
      pname = "zext";
      version = "1.0";
      format = "wheel";
      src = fetchurl {
        name = "zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl";
        url = "[INDEX]/files/zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl";
        hash = "[sri of zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl]";
      };
      # lock2nix: inferred: 2 ELF files need stdenv.cc.cc.lib, zlib
      nativeBuildInputs = [ pkgs.autoPatchelfHook ];
      buildInputs = [
        pkgs.stdenv.cc.cc.lib
        pkgs.zlib
      ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    // Vendored libraries are not asked for.
    insta::assert_snapshot!(section("vend"), @r#"
    vend = final.buildPythonPackage {
      pname = "vend";
      version = "1.0";
      format = "wheel";
      src = fetchurl {
        name = "vend-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl";
        url = "[INDEX]/files/vend-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl";
        hash = "[sri of vend-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl]";
      };
      # lock2nix: inferred: 2 ELF files, no library needed from nixpkgs
      nativeBuildInputs = [ pkgs.autoPatchelfHook ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);

    // Facts are cached by sha256: a second run downloads nothing and writes the same file.
    let hits = server.total_hits();
    let again = project.run(&args);
    insta::assert_snapshot!(run_text(&again, &filters), @"
    exit code: 0
    ----- stderr -----
    lock2nix: 4 packages for 1 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference
    ");
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
    insta::assert_snapshot!(run_text(&from_sets, &filters), @"
    exit code: 0
    ----- stderr -----
    lock2nix: 4 packages for 1 targets; 0 index requests, 0 from cache; 0 artifacts downloaded for inference
    ");
    assert_eq!(server.total_hits(), hits);
    assert_eq!(project.read("python-packages.nix").unwrap(), nix);

    // --no-infer: the plain setuptools + wheel default and no autoPatchelf.
    let plain =
        project.run(&["--index-url", &server.index_url(), "--system", &system, "--python", "3.11", "--no-infer"]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    insta::assert_snapshot!(filtered(&support::attribute(&stdout(&plain), "zext"), &filters), @r#"
    zext = final.buildPythonPackage {
      pname = "zext";
      version = "1.0";
      format = "wheel";
      src = fetchurl {
        name = "zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl";
        url = "[INDEX]/files/zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl";
        hash = "[sri of zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl]";
      };
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(filtered(&support::attribute(&stdout(&plain), "hatchpkg"), &filters), @r#"
    hatchpkg = final.buildPythonPackage {
      pname = "hatchpkg";
      version = "1.0";
      pyproject = true;
      src = fetchurl {
        name = "hatchpkg-1.0.tar.gz";
        url = "[INDEX]/files/hatchpkg-1.0.tar.gz";
        hash = "[sri of hatchpkg-1.0.tar.gz]";
      };
      # lock2nix: build system not inferred; nixpkgs' setuptools and wheel
      build-system = [
        prev.setuptools
        prev.wheel
      ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);

    if require_nix("sdist_build_systems_and_wheel_libraries_are_inferred_once") {
        assert_environment_evaluates(&project.join("python-packages.nix"), "inferred", &system, "3.11");
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
    let mut owned = filters(&server, &[&sdist, &zext]);
    owned.push((format!("({limit} bytes)"), "([LIMIT] bytes)".to_string()));
    let filters = borrowed(&owned);
    insta::assert_snapshot!(run_text_generated(&out, &filters), @"
    exit code: 0
    ----- stdout -----
    [NIX]
    ----- stderr -----
    lock2nix: warning: zext 1.0 (zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl): native libraries not inferred: not downloaded: larger than the size limit for inference ([LIMIT] bytes)
    lock2nix: 2 packages for 1 targets; 2 index requests, 0 from cache; 1 artifacts downloaded for inference, 1 over --infer-max-size
    ");
    let nix = stdout(&out);
    insta::assert_snapshot!(filtered(&support::attribute(&nix, "hatchpkg"), &filters), @r#"
    hatchpkg = final.buildPythonPackage {
      pname = "hatchpkg";
      version = "1.0";
      pyproject = true;
      src = fetchurl {
        name = "hatchpkg-1.0.tar.gz";
        url = "[INDEX]/files/hatchpkg-1.0.tar.gz";
        hash = "[sri of hatchpkg-1.0.tar.gz]";
      };
      # lock2nix: inferred: build system hatchling.build from the sdist's pyproject.toml [build-system]
      build-system = [ prev.hatchling ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(filtered(&support::attribute(&nix, "zext"), &filters), @r#"
    zext = final.buildPythonPackage {
      pname = "zext";
      version = "1.0";
      format = "wheel";
      src = fetchurl {
        name = "zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl";
        url = "[INDEX]/files/zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl";
        hash = "[sri of zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl]";
      };
      # lock2nix: native libraries not inferred: not downloaded: larger than the size limit for inference ([LIMIT] bytes)
      dependencies = [ ];
      doCheck = false;
    };
    "#);

    // With the same limit, a changed lock (so no run memo) knows the wheel is over it without
    // asking the index again: it works offline and gives the same file.
    project.edit_lock(|lock| format!("{lock}# edited\n"));
    let same_limit = project.run(&[&base[..], &["--infer-max-size", &limit, "--offline"]].concat());
    insta::assert_snapshot!(run_text_generated(&same_limit, &filters), @"
    exit code: 0
    ----- stdout -----
    [NIX]
    ----- stderr -----
    lock2nix: warning: zext 1.0 (zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl): native libraries not inferred: not downloaded: larger than the size limit for inference ([LIMIT] bytes)
    lock2nix: 2 packages for 1 targets; 0 index requests, 2 from cache; 0 artifacts downloaded for inference, 1 over --infer-max-size
    ");
    assert_eq!(stdout(&same_limit), nix);

    // Nothing was cached for the skipped wheel: without the limit it is read now.
    let again = project.run(&base);
    insta::assert_snapshot!(run_text_generated(&again, &filters), @"
    exit code: 0
    ----- stdout -----
    [NIX]
    ----- stderr -----
    lock2nix: 2 packages for 1 targets; 0 index requests, 2 from cache; 1 artifacts downloaded for inference
    ");
    insta::assert_snapshot!(filtered(&support::attribute(&stdout(&again), "zext"), &filters), @r#"
    zext = final.buildPythonPackage {
      pname = "zext";
      version = "1.0";
      format = "wheel";
      src = fetchurl {
        name = "zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl";
        url = "[INDEX]/files/zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl";
        hash = "[sri of zext-1.0-cp311-cp311-manylinux_2_17_[ARCH].whl]";
      };
      # lock2nix: inferred: 2 ELF files need stdenv.cc.cc.lib, zlib
      nativeBuildInputs = [ pkgs.autoPatchelfHook ];
      buildInputs = [
        pkgs.stdenv.cc.cc.lib
        pkgs.zlib
      ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);

    let bad = project.run(&[&base[..], &["--infer-max-size", "lots"]].concat());
    insta::assert_snapshot!(run_text(&bad, &[]), @r#"
    exit code: 2
    ----- stderr -----
    error: invalid value 'lots' for '--infer-max-size <SIZE>': couldn't parse "lots" into a ByteSize, cannot parse float from empty string

    For more information, try '--help'.
    "#);
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
        // Evaluating the package throws lock2nix's message, not Nix's "attribute missing".
        let error = package_set_attr(&project.join("out.nix"), "x86_64-linux", "3.11", "oddpkg.drvPath").unwrap_err();
        insta::assert_snapshot!(thrown(&error), @"lock2nix: a build system needs the Python package no-such-backend, which is neither in the lock nor in this nixpkgs' Python package set; add it to the lock, or give the package that needs it an --overrides entry (build-system, or native-build-inputs for a program)");
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
    insta::assert_snapshot!(run_text(&out, &filters), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: hatchpkg-1.0.tar.gz: cannot use [SERVER]/files/hatchpkg-1.0.tar.gz: its sha256 is [SERVED], but the lock and the index say [LOCKED]
    ");
    assert!(project.read("out.nix").is_none(), "nothing written");
}
