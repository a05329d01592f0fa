//! The inference stage on real artifacts built on the spot (tests/support/artifacts.rs): sdists
//! packed with the tar/flate2/zip crates, wheels holding ELF files compiled by gcc/g++.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::Path;

use lock2nix::testing::infer::{
    BuildSystem, BuildSystemSource, InferError, NativeNeeds, WheelLibraries, native_needs, sdist_build_system,
    wheel_libraries,
};
use support::artifacts::{self, Artifact};

const HATCHLING: &str = "[build-system]\nrequires = [\"hatchling>=1.18\"]\nbuild-backend = \"hatchling.build\"\n\n\
                         [project]\nname = \"hello\"\nversion = \"1.0\"\n";

fn build_system(artifact: &Artifact) -> BuildSystem {
    sdist_build_system(&artifact.filename, Cursor::new(&artifact.bytes)).unwrap_or_else(|e| panic!("{e}"))
}

fn names(system: &BuildSystem) -> Vec<String> {
    system.requirement_names().iter().map(ToString::to_string).collect()
}

#[test]
fn a_hatchling_sdist_declares_its_backend() {
    let sdist = artifacts::sdist_tar_gz("hello-1.0", &[("pyproject.toml", HATCHLING), ("src/hello/__init__.py", "")]);
    let system = build_system(&sdist);
    assert_eq!(system.source, BuildSystemSource::PyprojectBuildSystem);
    assert_eq!(names(&system), ["hatchling"]);
    assert_eq!(system.requires.iter().map(ToString::to_string).collect::<Vec<_>>(), ["hatchling>=1.18"], "as written");
    assert_eq!(system.backend.as_deref(), Some("hatchling.build"));
    assert_eq!(system.effective_backend(), "hatchling.build");
}

#[test]
fn a_setup_py_only_sdist_gets_setuptools_and_wheel() {
    let sdist = artifacts::sdist_tar_gz(
        "legacy-0.3",
        &[("setup.py", "from setuptools import setup\nsetup()\n"), ("PKG-INFO", "")],
    );
    let system = build_system(&sdist);
    assert_eq!(system.source, BuildSystemSource::SetupPyOnly);
    assert_eq!(names(&system), ["setuptools", "wheel"]);
    assert_eq!(system.backend, None);
    assert_eq!(system.effective_backend(), "setuptools.build_meta:__legacy__");
}

#[test]
fn a_zip_sdist_is_read_too() {
    let pyproject = "[build-system]\nrequires = [\"setuptools>=61\", \"Cython>=3; python_version >= '3.8'\", \
                     \"pywin32; sys_platform == 'win32'\", \"cython\"]\nbuild-backend = \"setuptools.build_meta\"\n";
    let sdist = artifacts::sdist_zip("Zipped-2.0", &[("pyproject.toml", pyproject), ("setup.py", "")]);
    assert_eq!(sdist.filename, "Zipped-2.0.zip");
    let system = build_system(&sdist);
    assert_eq!(system.source, BuildSystemSource::PyprojectBuildSystem);
    assert_eq!(system.requires.len(), 4, "requires are kept as written");
    assert_eq!(names(&system), ["setuptools", "cython"], "normalized, deduplicated, win32-only dropped");
    assert_eq!(system.backend.as_deref(), Some("setuptools.build_meta"));
}

#[test]
fn a_pyproject_without_build_system_gets_pep_518s_default() {
    let sdist = artifacts::sdist_tar_gz(
        "plain-1.0",
        &[
            ("pyproject.toml", "[tool.black]\nline-length = 100\n"),
            ("setup.py", "from setuptools import setup\nsetup()\n"),
        ],
    );
    let system = build_system(&sdist);
    assert_eq!(system.source, BuildSystemSource::PyprojectWithoutBuildSystem);
    assert_eq!(system.requires.iter().map(ToString::to_string).collect::<Vec<_>>(), ["setuptools>=40.8.0", "wheel"]);
    assert_eq!(system.backend, None);
}

#[test]
fn a_setup_cfg_only_sdist_and_an_empty_one() {
    let sdist = artifacts::sdist_tar_gz("cfg-1.0", &[("setup.cfg", "[metadata]\nname = cfg\n")]);
    let system = build_system(&sdist);
    assert_eq!(
        (system.source, names(&system)),
        (BuildSystemSource::SetupCfgOnly, vec!["setuptools".into(), "wheel".into()])
    );

    let empty = artifacts::sdist_tar_gz("empty-1.0", &[("README.md", "nothing to build")]);
    let error = sdist_build_system(&empty.filename, Cursor::new(&empty.bytes)).unwrap_err();
    assert!(matches!(error, InferError::NoBuildConfig { .. }), "{error}");
    insta::assert_snapshot!(error, @"empty-1.0.tar.gz: no pyproject.toml, setup.py or setup.cfg in the sdist's top directory");
}

#[test]
fn a_malformed_pyproject_is_an_error_naming_the_file() {
    let sdist =
        artifacts::sdist_tar_gz("broken-1.0", &[("pyproject.toml", "[build-system\nrequires = [\"hatchling\"\n")]);
    let error = sdist_build_system(&sdist.filename, Cursor::new(&sdist.bytes)).unwrap_err();
    assert!(matches!(error, InferError::InvalidPyproject { .. }), "{error}");
    insta::assert_snapshot!(error, @"
    broken-1.0.tar.gz: broken-1.0/pyproject.toml is not valid: TOML parse error at line 1, column 14
      |
    1 | [build-system
      |              ^
    unclosed table, expected `]`
    ");

    let no_requires = artifacts::sdist_tar_gz(
        "nreq-1.0",
        &[("pyproject.toml", "[build-system]\nbuild-backend = \"flit_core.buildapi\"\n")],
    );
    let error = sdist_build_system(&no_requires.filename, Cursor::new(&no_requires.bytes)).unwrap_err();
    assert!(matches!(error, InferError::InvalidPyproject { .. }), "{error}");
    insta::assert_snapshot!(error, @"
    nreq-1.0.tar.gz: nreq-1.0/pyproject.toml is not valid: TOML parse error at line 1, column 1
      |
    1 | [build-system]
      | ^^^^^^^^^^^^^^
    missing field `requires`
    ");

    let bad = artifacts::sdist_tar_gz(
        "badreq-1.0",
        &[("pyproject.toml", "[build-system]\nrequires = [\"setuptools >=>= 1\"]\n")],
    );
    let error = sdist_build_system(&bad.filename, Cursor::new(&bad.bytes)).unwrap_err();
    assert!(
        matches!(error, InferError::InvalidRequirement { ref requirement, .. } if requirement == "setuptools >=>= 1"),
        "{error}"
    );
    assert_eq!(error.file(), "badreq-1.0.tar.gz");
    insta::assert_snapshot!(error, @r#"badreq-1.0.tar.gz: badreq-1.0/pyproject.toml: invalid build requirement `setuptools >=>= 1`: no such comparison operator ">=>=", must be one of ~= == != <= >= < > ==="#);
}

#[test]
fn only_the_top_directorys_config_counts() {
    // A nested pyproject.toml (a vendored project, a test fixture) is not the sdist's own; `./`
    // prefixes and the `.tgz` extension are fine.
    let bytes = artifacts::tar_gz(&[
        ("./nested-1.0/vendor/lib/pyproject.toml", HATCHLING),
        ("./nested-1.0/setup.py", "from setuptools import setup\nsetup()\n"),
    ]);
    let system = sdist_build_system("nested-1.0.tgz", Cursor::new(&bytes)).unwrap();
    assert_eq!(system.source, BuildSystemSource::SetupPyOnly);
}

// ---- wheels ------------------------------------------------------------------------------

fn libraries(artifact: &Artifact) -> WheelLibraries {
    wheel_libraries(&artifact.filename, Cursor::new(&artifact.bytes)).unwrap_or_else(|e| panic!("{e}"))
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(ToString::to_string).collect()
}

fn map(items: &[(&str, &str)]) -> BTreeMap<String, String> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A small soname table, as `overrides/sonames.toml` would give it.
fn needs(libs: &WheelLibraries, other_wheels: &BTreeMap<String, String>) -> NativeNeeds {
    let providers = map(&[
        ("libz.so.1", "zlib"),
        ("libstdc++.so.6", "stdenv.cc.cc.lib"),
        ("libgcc_s.so.1", "stdenv.cc.cc.lib"),
        ("libcudart.so.12", "cudaPackages.cuda_cudart"),
    ]);
    let driver = set(&["libcuda.so.1", "libnvidia-ml.so.1"]);
    let system =
        set(&["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2"]);
    native_needs(libs, &providers, &driver, &system, other_wheels)
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

#[test]
fn a_wheel_needing_zlib_and_libstdcxx_maps_to_nixpkgs() {
    let dir = tempdir();
    let wheel = artifacts::zlib_cxx_wheel(dir.path());
    let libs = libraries(&wheel);
    assert!(libs.needed.is_superset(&set(&["libz.so.1", "libstdc++.so.6"])), "{:?}", libs.needed);
    assert_eq!(libs.elf_files, 2, "the extension and the .data/scripts executable; notes.so is text");
    assert!(libs.vendored.is_empty(), "{:?}", libs.vendored);

    let needs = needs(&libs, &BTreeMap::new());
    assert_eq!(needs.build_inputs, set(&["stdenv.cc.cc.lib", "zlib"]));
    assert!(
        needs.unknown.is_empty() && needs.ignore_missing.is_empty() && needs.from_other_wheels.is_empty(),
        "{needs:?}"
    );
}

#[test]
fn a_wheel_vendoring_its_library_needs_nothing_for_it() {
    for in_libs_dir in [true, false] {
        let dir = tempdir();
        let wheel = artifacts::vendoring_wheel(dir.path(), in_libs_dir);
        let libs = libraries(&wheel);
        assert!(libs.needed.contains("libfoo.so.1"), "{:?}", libs.needed);
        assert_eq!(libs.vendored, set(&["libfoo.so.1"]), "in_libs_dir {in_libs_dir}");
        assert_eq!(libs.shipped, set(&["libfoo.so.1"]), "in_libs_dir {in_libs_dir}");
        assert_eq!(libs.elf_files, 2);
        let needs = needs(&libs, &BTreeMap::new());
        assert_eq!(needs, NativeNeeds::default(), "in_libs_dir {in_libs_dir}");
    }
}

/// `cuda-1.0`: an extension needing the driver's libcuda.so.1, libcudart.so.12 (which another
/// wheel ships) and a library nobody knows; the three are stubs built beside it, not shipped.
fn cuda_extension_wheel(dir: &Path) -> Artifact {
    let stubs = [("libcuda.so.1", "cuInit"), ("libcudart.so.12", "cudaFree"), ("libmystery.so.3", "mystery")];
    for (soname, symbol) in stubs {
        artifacts::shared_library(dir, soname, symbol);
    }
    let extension = artifacts::extension_calling(dir, &artifacts::extension_filename("_C"), &stubs);
    artifacts::wheel("cuda", "1.0", &[(format!("cuda/{}", artifacts::extension_filename("_C")), extension)])
}

#[test]
fn driver_other_wheel_and_unknown_sonames_are_told_apart() {
    let dir = tempdir();
    let runtime_dir = tempdir();
    let runtime = artifacts::shared_library(runtime_dir.path(), "libcudart.so.12", "cudaFree");
    let runtime = artifacts::wheel(
        "nvidia-cuda-runtime-cu12",
        "12.4.127",
        &[("nvidia/cuda_runtime/lib/libcudart.so.12".into(), artifacts::read(&runtime))],
    );
    let runtime_libs = libraries(&runtime);
    assert_eq!(runtime_libs.shipped, set(&["libcudart.so.12"]));
    assert!(runtime_libs.needed.iter().all(|n| n.starts_with("libc.so")), "{:?}", runtime_libs.needed);

    let other_wheels: BTreeMap<String, String> =
        runtime_libs.shipped.iter().map(|soname| (soname.clone(), "nvidia-cuda-runtime-cu12".to_string())).collect();
    let libs = libraries(&cuda_extension_wheel(dir.path()));
    assert!(
        libs.needed.is_superset(&set(&["libcuda.so.1", "libcudart.so.12", "libmystery.so.3"])),
        "{:?}",
        libs.needed
    );
    let needs = needs(&libs, &other_wheels);
    assert_eq!(needs.ignore_missing, set(&["libcuda.so.1"]));
    assert_eq!(
        needs.from_other_wheels,
        map(&[("libcudart.so.12", "nvidia-cuda-runtime-cu12")]),
        "the locked wheel wins over nixpkgs"
    );
    assert_eq!(needs.unknown, set(&["libmystery.so.3"]));
    assert!(needs.build_inputs.is_empty(), "{needs:?}");

    // Without the runtime wheel in the lock, the table's nixpkgs attribute provides it.
    assert_eq!(needs_without_wheels(&libs).build_inputs, set(&["cudaPackages.cuda_cudart"]));
}

fn needs_without_wheels(libs: &WheelLibraries) -> NativeNeeds {
    needs(libs, &BTreeMap::new())
}

#[test]
fn a_pure_wheel_has_no_elf_and_a_corrupt_one_is_an_error() {
    let pure = artifacts::wheel("pure", "1.0", &[("pure/__init__.py".into(), b"x = 1\n".to_vec())]);
    assert_eq!(libraries(&pure), WheelLibraries::default());

    let error = wheel_libraries("broken-1.0-py3-none-any.whl", Cursor::new(b"PK\x03\x04 truncated")).unwrap_err();
    assert!(matches!(error, InferError::Archive { .. }), "{error}");
    insta::assert_snapshot!(error, @"broken-1.0-py3-none-any.whl: not a readable zip archive");
}
