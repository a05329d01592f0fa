//! Parsing every field, and each validation error with a message naming file, entry and field.

use std::collections::BTreeMap;

use super::{builtin, error, name, one};
use crate::additions::RelaxDeps;
use crate::overrides::schema::{AppliesTo, NamePattern, Origin};
use crate::overrides::{ArtifactKind, Database};

/// A valid `torch` entry plus `extra` lines.
fn torch(extra: &str) -> String {
    format!("[[override]]\npackage = \"torch\"\nreason = \"r\"\nlink = \"https://example.org/r\"\n{extra}\n")
}

/// The error for a `torch` entry with `extra`, minus the common prefix, which is checked.
fn torch_error(extra: &str) -> String {
    let message = error(&torch(extra));
    let prefix = "overrides/packages/t.toml: [[override]] #1 (package `torch`): ";
    message.strip_prefix(prefix).unwrap_or_else(|| panic!("{message:?} does not start with {prefix:?}")).to_string()
}

#[test]
fn parses_every_field() {
    let db = one(r#"
[[override]]
package = "Torch_Lib"
versions = ">=2.0,<3"
applies-to = "wheel"
reason = "  manylinux wheel links libstdc++  "
link = "https://example.org/torch"
native-build-inputs = ["autoPatchelfHook"]
build-inputs = ["stdenv.cc.cc.lib", "zlib"]
build-system = ["setuptools", "Cython"]
dependencies = ["numpy"]
env = { MYSQLCLIENT_CFLAGS = "-I include", B_2 = "" }
auto-patchelf-ignore-missing-deps = ["libcuda.so.1", "libnv*.so*"]
runtime-dependencies = ["cudaPackages.cuda_cudart"]
artifact = "wheel"
pre-build = "export X=1"
post-install = "rm -r $out/bin"
python-relax-deps = ["NumPy"]
python-remove-deps = ["nvidia-nccl-cu12"]

[[override]]
package = "typing"
versions = "<3.10"
reason = "stdlib on Python 3"
link = "https://docs.python.org/3/library/typing.html"
drop = true

[[override]]
package = "nvidia-*"
reason = "all bounds"
link = "https://example.org/n"
python-relax-deps = true
"#)
    .unwrap();
    let [full, drop, glob] = db.entries() else { panic!("three entries") };
    assert_eq!(full.package, NamePattern::Exact(name("torch-lib")));
    assert_eq!(full.versions.as_ref().unwrap().to_string(), ">=2.0, <3");
    assert_eq!(full.applies_to, AppliesTo::Wheel);
    assert_eq!(full.reason, "manylinux wheel links libstdc++");
    assert_eq!(full.link, "https://example.org/torch");
    assert_eq!(full.origin, Origin::Builtin { file: "overrides/packages/t.toml".into() });
    assert_eq!(full.adds.native_build_inputs, ["autoPatchelfHook"]);
    assert_eq!(full.adds.build_inputs, ["stdenv.cc.cc.lib", "zlib"]);
    assert_eq!(full.adds.build_system, [name("setuptools"), name("cython")]);
    assert_eq!(full.adds.dependencies, [name("numpy")]);
    let env: BTreeMap<String, String> =
        [("MYSQLCLIENT_CFLAGS", "-I include"), ("B_2", "")].map(|(k, v)| (k.to_string(), v.to_string())).into();
    assert_eq!(full.adds.env, env);
    assert_eq!(full.adds.auto_patchelf_ignore_missing_deps, ["libcuda.so.1", "libnv*.so*"]);
    assert_eq!(full.adds.runtime_dependencies, ["cudaPackages.cuda_cudart"]);
    assert_eq!(full.artifact, Some(ArtifactKind::Wheel));
    assert_eq!(full.adds.pre_build.as_deref(), Some("export X=1"));
    assert_eq!(full.adds.post_install.as_deref(), Some("rm -r $out/bin"));
    assert_eq!(full.adds.python_relax_deps, Some(RelaxDeps::Names(vec!["NumPy".into()])));
    assert_eq!(full.adds.python_remove_deps, ["nvidia-nccl-cu12"]);
    assert!(!full.drop);

    assert_eq!(drop.package, NamePattern::Exact(name("typing")));
    assert_eq!(drop.applies_to, AppliesTo::Both);
    assert!(drop.drop);
    assert_eq!(drop.added_fields(), ["drop"]);
    assert!(drop.adds.build_inputs.is_empty() && drop.adds.env.is_empty() && drop.artifact.is_none());

    assert_eq!(glob.package, NamePattern::Prefix("nvidia-".into()));
    assert_eq!(glob.versions, None);
    assert_eq!(glob.adds.python_relax_deps, Some(RelaxDeps::All));
}

#[test]
fn glob_prefixes_are_normalized() {
    let db = one(&torch("").replace("\"torch\"", "\"Zope.Interface_*\"").replace("\n\n", "\ndrop = true\n")).unwrap();
    assert_eq!(db.entries()[0].package, NamePattern::Prefix("zope-interface-".into()));
    assert_eq!(db.entries()[0].package.to_string(), "zope-interface-*");
}

#[test]
fn unknown_and_mistyped_fields_name_the_field() {
    let unknown = torch_error("build-inputs = [\"zlib\"]\nbuildInputs = [\"zlib\"]");
    assert!(unknown.starts_with("field `buildInputs`: unknown field `buildInputs`, expected one of"), "{unknown}");
    let mistyped = torch_error("build-inputs = \"zlib\"");
    assert!(
        mistyped.starts_with("field `build-inputs`: invalid type: string \"zlib\", expected a sequence"),
        "{mistyped}"
    );
    let applies = torch_error("drop = true\napplies-to = \"wheels\"");
    assert!(
        applies.starts_with("field `applies-to`: unknown variant `wheels`, expected one of `wheel`, `sdist`, `both`"),
        "{applies}"
    );
    let artifact = torch_error("artifact = \"binary\"");
    assert!(
        artifact.starts_with("field `artifact`: unknown variant `binary`, expected `wheel` or `sdist`"),
        "{artifact}"
    );
}

#[test]
fn required_fields() {
    assert_eq!(
        error("[[override]]\nreason = \"r\"\nlink = \"https://e.org\"\ndrop = true\n"),
        "overrides/packages/t.toml: [[override]] #1 (package `?`): field `package`: missing: every entry names its package (or a glob such as `nvidia-*`)"
    );
    let no_reason = error("[[override]]\npackage = \"torch\"\nlink = \"https://e.org\"\ndrop = true\n");
    assert!(
        no_reason.starts_with("overrides/packages/t.toml: [[override]] #1 (package `torch`): field `reason`: missing"),
        "{no_reason}"
    );
    let no_link = error("[[override]]\npackage = \"torch\"\nreason = \"r\"\ndrop = true\n");
    assert!(
        no_link.starts_with("overrides/packages/t.toml: [[override]] #1 (package `torch`): field `link`: missing"),
        "{no_link}"
    );
    let empty_reason =
        error("[[override]]\npackage = \"torch\"\nreason = \" \"\nlink = \"https://e.org\"\ndrop = true\n");
    assert!(empty_reason.ends_with("field `reason`: empty"), "{empty_reason}");
    let two_lines =
        error("[[override]]\npackage = \"torch\"\nreason = \"a\\nb\"\nlink = \"https://e.org\"\ndrop = true\n");
    assert!(two_lines.ends_with("field `reason`: must be one line"), "{two_lines}");
    let http = error("[[override]]\npackage = \"torch\"\nreason = \"r\"\nlink = \"http://e.org\"\ndrop = true\n");
    assert!(http.ends_with("field `link`: `http://e.org` is not an https:// address"), "{http}");
    let bare = error("[[override]]\npackage = \"torch\"\nreason = \"r\"\nlink = \"https://\"\ndrop = true\n");
    assert!(bare.ends_with("field `link`: `https://` is not an https:// address"), "{bare}");
}

#[test]
fn package_names_and_globs() {
    let entry = |package: &str| error(&torch("drop = true").replace("\"torch\"", &format!("{package:?}")));
    let bad_name = entry("-torch");
    assert!(bad_name.contains("(package `-torch`): field `package`: not a valid package name"), "{bad_name}");
    assert!(entry("*").ends_with("field `package`: `*` alone would match every package; give a prefix (`nvidia-*`)"));
    assert!(entry("nv*dia").ends_with("field `package`: a glob has one `*`, at the end (`nvidia-*`)"));
    assert!(entry("nv*dia*").ends_with("field `package`: a glob has one `*`, at the end (`nvidia-*`)"));
    assert!(entry("-nv*").contains("field `package`: a glob's prefix starts with a letter or digit"));
}

#[test]
fn versions_must_be_pep_440() {
    let bad = torch_error("versions = \">=2.0,<<3\"\ndrop = true");
    assert!(bad.starts_with("field `versions`: not a PEP 440 specifier set:"), "{bad}");
    assert_eq!(
        torch_error("versions = \"\"\ndrop = true"),
        "field `versions`: empty; omit `versions` to match every version"
    );
}

#[test]
fn builtin_attribute_paths_must_be_known() {
    for field in ["native-build-inputs", "build-inputs", "runtime-dependencies"] {
        assert_eq!(
            torch_error(&format!("{field} = [\"zlib\", \"zlbi\"]")),
            format!("field `{field}`: `zlbi` is not in overrides/nixpkgs-attributes.txt (a typo, or add it there)")
        );
    }
}

#[test]
fn user_files_accept_well_formed_unknown_attribute_paths() {
    let user = |text: &str| Database::empty().with_user_text(text, "my-overrides.toml");
    let db = user(&torch("build-inputs = [\"libfoo\", \"python3Packages.foo-bar\", \"gst_all_1.gst-plugins-base\"]"))
        .unwrap();
    assert_eq!(db.entries()[0].origin, Origin::User { file: "my-overrides.toml".into() });
    assert_eq!(db.entries()[0].adds.build_inputs.len(), 3);
    for bad in ["zlib!", "a..b", ".zlib", "1zlib", "pkgs/zlib"] {
        let message = user(&torch(&format!("runtime-dependencies = [{bad:?}]"))).unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "my-overrides.toml: [[override]] #1 (package `torch`): field `runtime-dependencies`: `{bad}` is not a nixpkgs attribute path (dotted identifiers, e.g. `stdenv.cc.cc.lib`)"
            )
        );
    }
}

#[test]
fn list_items_are_valid_and_unique() {
    assert_eq!(torch_error("build-inputs = []"), "field `build-inputs`: empty list; omit the field instead");
    assert_eq!(torch_error("build-inputs = [\"zlib\", \"zlib\"]"), "field `build-inputs`: `zlib` is listed twice");
    assert_eq!(
        torch_error("build-system = [\"Cython\", \"cython\"]"),
        "field `build-system`: `cython` is listed twice (as `cython`)"
    );
    assert!(
        torch_error("dependencies = [\"num py\"]")
            .starts_with("field `dependencies`: `num py` is not a valid package name")
    );
    assert!(
        torch_error("python-remove-deps = [\"-x\"]")
            .starts_with("field `python-remove-deps`: `-x` is not a valid package name")
    );
    assert!(
        torch_error("python-relax-deps = [\"-x\"]")
            .starts_with("field `python-relax-deps`: `-x` is not a valid package name")
    );
    assert_eq!(
        torch_error("auto-patchelf-ignore-missing-deps = [\"libcuda.so.1 libnvidia-ml.so.1\"]"),
        "field `auto-patchelf-ignore-missing-deps`: `libcuda.so.1 libnvidia-ml.so.1` is not a soname or soname glob"
    );
    assert_eq!(torch_error("build-inputs = [\"\"]"), "field `build-inputs`: holds an empty string");
}

#[test]
fn scalar_field_rules() {
    assert_eq!(
        torch_error("env = { \"MY-VAR\" = \"1\" }"),
        "field `env`: `MY-VAR` is not an environment variable name"
    );
    assert_eq!(torch_error("env = {}"), "field `env`: empty table; omit the field instead");
    assert_eq!(torch_error("pre-build = \"  \""), "field `pre-build`: empty; omit the field instead");
    assert_eq!(
        torch_error("python-relax-deps = false"),
        "field `python-relax-deps`: `false` relaxes nothing; omit the field instead"
    );
    assert_eq!(
        torch_error("python-relax-deps = 3"),
        "field `python-relax-deps`: expected `true` or a list of package names"
    );
    assert_eq!(
        torch_error("python-relax-deps = [3]"),
        "field `python-relax-deps`: expected `true` or a list of package names"
    );
}

#[test]
fn an_entry_adds_something_consistent() {
    let nothing = torch_error("versions = \">=2\"");
    assert!(nothing.starts_with("adds nothing: give at least one of native-build-inputs,"), "{nothing}");
    assert!(torch_error("drop = false").starts_with("adds nothing"));
    assert_eq!(
        torch_error("drop = true\nbuild-inputs = [\"zlib\"]"),
        "field `build-inputs`: the entry has drop = true, which leaves the package out; it cannot also add to its build"
    );
    assert_eq!(
        torch_error("drop = true\napplies-to = \"sdist\""),
        "field `applies-to`: drop = true leaves the package out whatever its artifact; remove applies-to"
    );
    assert_eq!(
        torch_error("artifact = \"sdist\"\napplies-to = \"wheel\""),
        "field `artifact`: forces sdist but the entry applies only to wheel; remove applies-to"
    );
    // Forcing the kind an entry applies to is consistent.
    assert!(one(&torch("artifact = \"sdist\"\napplies-to = \"sdist\"")).is_ok());
}

#[test]
fn file_layout_errors_name_the_file() {
    assert_eq!(
        error("[[overide]]\npackage = \"x\"\n"),
        "overrides/packages/t.toml: unknown top-level key `overide`; a file holds only [[override]] tables"
    );
    assert_eq!(error(""), "overrides/packages/t.toml: holds no [[override]] entries");
    assert_eq!(
        error("override = 3\n"),
        "overrides/packages/t.toml: `override` must be an array of tables, written [[override]]"
    );
    assert_eq!(error("override = [3]\n"), "overrides/packages/t.toml: [[override]] #1 is not a table");
    assert_eq!(
        error("[[override]\n"),
        "overrides/packages/t.toml is not a valid override file: line 1, column 12: unclosed array table, expected `]`"
    );
}

#[test]
fn errors_name_the_entry_and_the_file_it_is_in() {
    let second = format!(
        "{}{}",
        torch("drop = true"),
        torch("build-inputs = [\"zlib\"]").replace("torch", "torchvision").replace("zlib", "zlib2")
    );
    let message =
        builtin(&[("overrides/packages/a.toml", &torch("drop = true")), ("overrides/packages/b.toml", &second)])
            .unwrap_err()
            .to_string();
    assert!(
        message.starts_with(
            "overrides/packages/b.toml: [[override]] #2 (package `torchvision`): field `build-inputs`: `zlib2`"
        ),
        "{message}"
    );
}

#[test]
fn user_file_errors() {
    let missing =
        Database::empty().with_user_file(std::path::Path::new("no/such/overrides.toml"), "overrides.toml").unwrap_err();
    assert_eq!(
        crate::report::with_causes(&missing),
        "cannot read no/such/overrides.toml: No such file or directory (os error 2)"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.toml");
    std::fs::write(&path, torch("env = { \"A B\" = \"1\" }")).unwrap();
    let message = Database::empty().with_user_file(&path, "overrides.toml").unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "{}: [[override]] #1 (package `torch`): field `env`: `A B` is not an environment variable name",
            path.display()
        )
    );
}

#[test]
fn platforms_select_wheels_by_their_system() {
    let db = one(&torch("applies-to = \"wheel\"\nplatforms = [\"linux\", \"darwin\"]\nenv = { A = \"1\" }")).unwrap();
    let entry = &db.entries()[0];
    assert_eq!(entry.platforms, [crate::filename::Os::Linux, crate::filename::Os::Darwin]);
    assert!(entry.applies_on(Some(crate::filename::Os::Darwin)));
    assert!(!entry.applies_on(Some(crate::filename::Os::Windows)) && !entry.applies_on(None));
    assert_eq!(
        torch_error("platforms = [\"linux\"]\nenv = { A = \"1\" }"),
        "field `platforms`: selects wheels by their platform tags; add applies-to = \"wheel\" (an sdist builds on every system)"
    );
    assert_eq!(
        torch_error("applies-to = \"wheel\"\nplatforms = []\nenv = { A = \"1\" }"),
        "field `platforms`: empty; omit `platforms` to apply to every artifact"
    );
    assert!(
        torch_error("applies-to = \"wheel\"\nplatforms = [\"beos\"]\nenv = { A = \"1\" }")
            .starts_with("field `platforms`: ")
    );
}
