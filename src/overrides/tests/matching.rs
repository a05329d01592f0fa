//! Matching (names, globs, versions, applies-to), the merge of matching entries, and the
//! database operations the CLI flags map to.

use super::{KNOWN, builtin, name, one, version};
use crate::additions::RelaxDeps;
use crate::overrides::schema::Entry;
use crate::overrides::{ArtifactKind, Database};

fn entry(package: &str, extra: &str) -> String {
    format!("[[override]]\npackage = {package:?}\nreason = \"r\"\nlink = \"https://example.org/{package}\"\n{extra}\n")
}

fn matches(entry: &Entry, package: &str, v: &str, kind: Option<ArtifactKind>) -> bool {
    entry.matches(&name(package), &version(v), kind)
}

#[test]
fn names_and_globs() {
    let db =
        one(&[entry("nvidia-*", "drop = true"), entry("Zope.Interface", "drop = true"), entry("tf*", "drop = true")]
            .concat())
        .unwrap();
    let [nvidia, zope, tf] = db.entries() else { panic!() };
    assert!(matches(nvidia, "nvidia-cublas-cu12", "12.1", None));
    assert!(matches(nvidia, "NVIDIA_cudnn.cu12", "9", None));
    assert!(!matches(nvidia, "nvidia", "1", None));
    assert!(!matches(nvidia, "nvidiax-foo", "1", None));
    assert!(!matches(nvidia, "torch", "1", None));
    assert!(matches(zope, "zope-interface", "6", None));
    assert!(matches(zope, "zope_interface", "6", None));
    assert!(!matches(zope, "zope-interface-x", "6", None));
    // Without a separator the prefix matches the bare name too.
    assert!(matches(tf, "tf", "1", None) && matches(tf, "tf-keras", "1", None));
}

#[test]
fn exact_and_prefix_entries_apply_in_file_order_whatever_the_index_keeps_apart() {
    let db = one(&[
        entry("ab*", "build-inputs = [\"zlib\"]"),
        entry("abc", "build-inputs = [\"openssl\"]"),
        entry("x", "drop = true"),
        entry("a*", "build-inputs = [\"pkg-config\"]"),
        entry("abc", "artifact = \"sdist\""),
        entry("abc", "artifact = \"wheel\""),
    ]
    .concat())
    .unwrap();
    let positions = |package: &str| {
        let applied = db.apply(&name(package), &version("1"), None);
        let entries = applied.map(|applied| applied.entries).unwrap_or_default();
        entries
            .iter()
            .map(|e| db.entries().iter().position(|other| std::ptr::eq(*e, other)).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(positions("abc"), [0, 1, 3, 4, 5]);
    assert_eq!(positions("abd"), [0, 3]);
    assert_eq!(positions("x"), [2]);
    assert_eq!(positions("y"), [] as [usize; 0]);
    // The last entry that forces an artifact wins, exact or not.
    assert_eq!(db.forced_artifact(&name("abc"), &version("1")), Some(ArtifactKind::Wheel));
    assert!(db.is_dropped(&name("x"), &version("1")) && !db.is_dropped(&name("abc"), &version("1")));
}

#[test]
fn version_ranges() {
    let db = one(&[
        entry("torch", "versions = \">=2.0,<3\"\ndrop = true"),
        entry("numpy", "versions = \"==1.26.*\"\ndrop = true"),
    ]
    .concat())
    .unwrap();
    let [torch, numpy] = db.entries() else { panic!() };
    for v in ["2.0", "2.5.1", "2.1.0+cu121", "2.1.0rc1", "2.9.9.post1"] {
        assert!(matches(torch, "torch", v, None), "{v}");
    }
    for v in ["1.13.1", "3.0", "3.0.0rc1", "3.1"] {
        assert!(!matches(torch, "torch", v, None), "{v}");
    }
    assert!(matches(numpy, "numpy", "1.26.4", None));
    assert!(!matches(numpy, "numpy", "1.27.0", None) && !matches(numpy, "numpy", "2.0.0", None));
    assert!(one(&entry("x", "drop = true")).unwrap().entries()[0].matches(&name("x"), &version("0.0.1.dev3"), None));
}

#[test]
fn applies_to_filters_by_kind() {
    let db = one(&[
        entry("pkg", "applies-to = \"wheel\"\nbuild-inputs = [\"zlib\"]"),
        entry("pkg", "applies-to = \"sdist\"\nbuild-system = [\"cython\"]"),
        entry("pkg", "build-inputs = [\"openssl\"]"),
    ]
    .concat())
    .unwrap();
    let (pkg, v) = (name("pkg"), version("1"));
    let wheel = db.apply(&pkg, &v, Some(ArtifactKind::Wheel)).unwrap();
    assert_eq!(wheel.entries.len(), 2);
    assert_eq!(wheel.adds.build_inputs, ["zlib", "openssl"]);
    assert!(wheel.adds.build_system.is_empty());
    let sdist = db.apply(&pkg, &v, Some(ArtifactKind::Sdist)).unwrap();
    assert_eq!(sdist.adds.build_inputs, ["openssl"]);
    assert_eq!(sdist.adds.build_system, [name("cython")]);
    let undecided = db.apply(&pkg, &v, None).unwrap();
    assert_eq!(undecided.entries.len(), 3);
    assert!(db.apply(&name("other"), &v, None).is_none());
    assert!(
        db.apply(&pkg, &v, Some(ArtifactKind::Wheel)).unwrap().entries.iter().all(|e| e.package.to_string() == "pkg")
    );
}

#[test]
fn merge_rules_lists_unique_later_scalars_win_user_last() {
    let a = [
        entry("torch", "native-build-inputs = [\"autoPatchelfHook\"]\nbuild-inputs = [\"zlib\", \"stdenv.cc.cc.lib\"]\nenv = { A = \"a1\", B = \"b1\" }\npre-build = \"one\"\nartifact = \"wheel\"\npython-relax-deps = [\"numpy\"]\ndrop = false"),
        entry("torch", "versions = \">=3\"\npost-install = \"never\""),
    ]
    .concat();
    let b = [
        entry("torch", "build-inputs = [\"stdenv.cc.cc.lib\", \"openssl\"]\nenv = { B = \"b2\" }\npython-relax-deps = [\"sympy\", \"numpy\"]\npython-remove-deps = [\"triton\"]"),
        entry("nvidia-*", "drop = true"),
    ]
    .concat();
    let db = builtin(&[("overrides/packages/a.toml", &a), ("overrides/packages/b.toml", &b)]).unwrap();
    let db = db
        .with_user_text(
            &entry("torch", "build-inputs = [\"zlib\", \"mylib\"]\nenv = { A = \"mine\" }\npre-build = \"two\"\nartifact = \"sdist\"\nbuild-system = [\"setuptools\"]\npython-remove-deps = [\"triton\"]"),
            "user.toml",
        )
        .unwrap();
    let applied = db.apply(&name("torch"), &version("2.3"), None).unwrap();
    let origins: Vec<&str> = applied.entries.iter().map(|e| e.origin.file()).collect();
    assert_eq!(origins, ["overrides/packages/a.toml", "overrides/packages/b.toml", "user.toml"]);
    assert_eq!(applied.adds.native_build_inputs, ["autoPatchelfHook"]);
    assert_eq!(applied.adds.build_inputs, ["zlib", "stdenv.cc.cc.lib", "openssl", "mylib"]);
    assert_eq!(applied.adds.build_system, [name("setuptools")]);
    assert_eq!(applied.adds.env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(), ["A=mine", "B=b2"]);
    assert_eq!(applied.adds.pre_build.as_deref(), Some("two"));
    assert_eq!(applied.adds.post_install, None);
    assert_eq!(applied.entries.iter().filter_map(|e| e.artifact).next_back(), Some(ArtifactKind::Sdist));
    assert_eq!(applied.adds.python_relax_deps, Some(RelaxDeps::Names(vec!["numpy".into(), "sympy".into()])));
    assert_eq!(applied.adds.python_remove_deps, ["triton"]);
    assert!(applied.entries.iter().all(|e| !e.drop));
    assert_eq!(db.forced_artifact(&name("torch"), &version("2.3")), Some(ArtifactKind::Sdist));
}

#[test]
fn relax_all_absorbs_lists() {
    let db = one(&[
        entry("x", "python-relax-deps = [\"a\"]"),
        entry("x", "python-relax-deps = true"),
        entry("x", "python-relax-deps = [\"b\"]"),
    ]
    .concat())
    .unwrap();
    assert_eq!(db.apply(&name("x"), &version("1"), None).unwrap().adds.python_relax_deps, Some(RelaxDeps::All));
}

#[test]
fn forced_artifact_and_drop() {
    let db = one(&[
        entry("mysqlclient", "artifact = \"wheel\""),
        entry("mysqlclient", "versions = \">=2\"\napplies-to = \"sdist\"\nartifact = \"sdist\""),
        entry("typing", "versions = \"<3.10\"\ndrop = true"),
    ]
    .concat())
    .unwrap();
    // The last matching entry wins, whatever its applies-to.
    assert_eq!(db.forced_artifact(&name("mysqlclient"), &version("2.2")), Some(ArtifactKind::Sdist));
    assert_eq!(db.forced_artifact(&name("mysqlclient"), &version("1.4")), Some(ArtifactKind::Wheel));
    assert_eq!(db.forced_artifact(&name("typing"), &version("3.7")), None);
    assert!(db.is_dropped(&name("typing"), &version("3.7.4.3")));
    assert!(!db.is_dropped(&name("typing"), &version("3.10.0.0")));
    assert!(!db.is_dropped(&name("mysqlclient"), &version("2.2")));
    assert!(
        db.apply(&name("typing"), &version("3.7"), Some(ArtifactKind::Wheel)).unwrap().entries.iter().any(|e| e.drop)
    );
}

#[test]
fn no_builtin_overrides_keeps_sonames_only() {
    let sonames =
        "[sonames]\n\"libz.so.1\" = \"zlib\"\n[ignore]\nsonames = [\"libcuda.so.1\"]\nsystem = [\"libc.so.6\"]\n";
    let db = Database::from_builtin_texts(
        &[("overrides/packages/t.toml", &entry("torch", "build-inputs = [\"zlib\"]"))],
        Some(sonames),
        Some(KNOWN),
    )
    .unwrap();
    assert_eq!(db.entries().len(), 1);
    let table = db.sonames().clone();
    assert_eq!(table.provider("libz.so.1"), Some("zlib"));

    let bare = db.without_entries();
    assert!(bare.entries().is_empty());
    assert_eq!(bare.sonames(), &table);
    assert!(bare.apply(&name("torch"), &version("2"), None).is_none());
    let user = bare.with_user_text(&entry("torch", "build-inputs = [\"libtorchdeps\"]"), "u.toml").unwrap();
    let applied = user.apply(&name("torch"), &version("2"), None).unwrap();
    assert_eq!(applied.adds.build_inputs, ["libtorchdeps"]);
    assert_eq!(applied.entries.len(), 1);

    let empty = Database::empty();
    assert!(empty.entries().is_empty() && empty.sonames().providers.is_empty() && empty.sonames().driver.is_empty());
}

#[test]
fn soname_table_is_validated() {
    let load = |text: &str| Database::from_builtin_texts(&[], Some(text), Some(KNOWN)).map(|db| db.sonames().clone());
    let table = load("[sonames]\n\"libz.so.1\" = \"zlib\"\n\"libstdc++.so.6\" = \"stdenv.cc.cc.lib\"\n[ignore]\nsonames = [\"libcuda.so.1\"]\nsystem = [\"libc.so.6\", \"ld-linux-x86-64.so.2\"]\n").unwrap();
    assert_eq!(table.providers.len(), 2);
    assert!(table.is_ignored("libcuda.so.1") && table.is_ignored("libc.so.6") && !table.is_ignored("libz.so.1"));
    assert!(table.driver.contains("libcuda.so.1") && table.system.contains("ld-linux-x86-64.so.2"));
    let error = |text: &str| crate::report::with_causes(&load(text).unwrap_err());
    assert_eq!(
        error("[sonames]\n\"libz.so.1\" = \"zlbi\"\n"),
        "overrides/sonames.toml: [sonames] `libz.so.1`: provider `zlbi` is not in overrides/nixpkgs-attributes.txt (a typo, or add it there)"
    );
    assert_eq!(
        error("[sonames]\n\"libz.so.1\" = \"zlib\"\n[ignore]\nsystem = [\"libz.so.1\"]\n"),
        "overrides/sonames.toml: [ignore.system] `libz.so.1`: also has a provider in [sonames]; it is one or the other"
    );
    assert_eq!(
        error("[ignore]\nsonames = [\"libc.so.6\"]\nsystem = [\"libc.so.6\"]\n"),
        "overrides/sonames.toml: [ignore] `libc.so.6`: listed in both `sonames` and `system`"
    );
    assert_eq!(
        error("[ignore]\nsystem = [\"libc.so.6\", \"libc.so.6\"]\n"),
        "overrides/sonames.toml: [ignore.system] `libc.so.6`: listed twice"
    );
    assert_eq!(
        error("[sonames]\n\"lib z.so\" = \"zlib\"\n"),
        "overrides/sonames.toml: [sonames] `lib z.so`: not a soname"
    );
    assert_eq!(load("[build-tools]\nmy-tool = \"zlib\"\n").unwrap().build_tools["my-tool"], "zlib");
    assert_eq!(
        error("[build-tools]\nMy_Tool = \"zlib\"\n"),
        "overrides/sonames.toml: [build-tools] `My_Tool`: not a normalized (PEP 503) package name"
    );
    assert_eq!(
        error("[build-tools]\nmy-tool = \"mytool\"\n"),
        "overrides/sonames.toml: [build-tools] `my-tool`: program `mytool` is not in overrides/nixpkgs-attributes.txt (a typo, or add it there)"
    );
    assert_eq!(
        error("[ignore]\ndriver = []\n"),
        "overrides/sonames.toml is not a valid override file: line 2, column 1: ignore.driver: unknown field `driver`, expected `sonames` or `system`"
    );
    assert_eq!(
        error("[sonames]\n\"libz.so.1\" = 1\n"),
        "overrides/sonames.toml is not a valid override file: line 2, column 15: sonames.\"libz.so.1\": invalid type: integer `1`, expected a string"
    );
}

#[test]
fn attribute_list_is_validated() {
    let load = |text: &str| Database::from_builtin_texts(&[], None, Some(text)).map(|_| ()).map_err(|e| e.to_string());
    assert_eq!(load("zlib\n\n# comment\nstdenv.cc.cc.lib  # trailing comment\n"), Ok(()));
    assert_eq!(load("zlib\nopenssl\nzlib\n"), Err("overrides/nixpkgs-attributes.txt:3: `zlib`: listed twice".into()));
    assert_eq!(
        load("zlib\npkgs/openssl\n"),
        Err("overrides/nixpkgs-attributes.txt:2: `pkgs/openssl`: not a nixpkgs attribute path (dotted identifiers, e.g. `stdenv.cc.cc.lib`)".into())
    );
}
