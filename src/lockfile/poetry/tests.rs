//! poetry.lock parsing across lock versions.

use super::*;
use crate::model::HashAlgorithm;
use std::fmt::Write as _;

const V20: &str = r#"
[[package]]
name = "Requests"
version = "2.32.3"
description = ""
optional = false
python-versions = ">=3.8"
files = [
    {file = "requests-2.32.3-py3-none-any.whl", hash = "sha256:70761CFE03C773CEB22AA2F671B4757976145175CDFCA038C02654D061D6DCC6"},
    {file = "requests-2.32.3.tar.gz", hash = "sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760"},
]

[package.dependencies]
certifi = ">=2017.4.17"
charset-normalizer = ">=2,<4"
PySocks = {version = ">=1.5.6, !=1.5.7", optional = true}
numpy = [
    {version = ">=1.22", markers = "python_version < \"3.12\""},
    {version = ">=1.26", markers = "python_version >= \"3.12\""},
]

[package.extras]
socks = ["PySocks (>=1.5.6,!=1.5.7)"]

[metadata]
lock-version = "2.0"
python-versions = "^3.9"
content-hash = "abc"
"#;

#[test]
fn lock_2_0_packages_files_dependencies_and_extras() {
    let lock = parse(V20, "poetry.lock").unwrap();
    assert_eq!(lock.format, LockFormat::Poetry { lock_version: Some("2.0".into()) });
    assert_eq!(lock.content_hash.as_deref(), Some("abc"));
    assert!(lock.python.allows_python(crate::resolve::target::PythonMinor(9)));
    let p = &lock.packages[0];
    assert_eq!(p.name.to_string(), "requests");
    assert_eq!(p.version_text, "2.32.3");
    assert_eq!(p.files.len(), 2);
    let hash = p.files[0].hash.as_ref().unwrap();
    assert_eq!(hash.algorithm(), HashAlgorithm::Sha256);
    assert_eq!(hash.hex(), "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6");
    assert!(matches!(p.files[0].dist, DistFilename::Wheel(_)));
    assert!(matches!(p.files[1].dist, DistFilename::Sdist(_)));
    // Alternatives become one edge each; names are normalized.
    let mut names: Vec<String> = p.dependencies.iter().map(|d| d.name.to_string()).collect();
    names.sort();
    assert_eq!(names, ["certifi", "charset-normalizer", "numpy", "numpy", "pysocks"]);
    let socks = p.dependencies.iter().find(|d| d.name.to_string() == "pysocks").unwrap();
    assert!(socks.optional);
    assert_eq!(p.extras[&ExtraName::from_owned("socks".into()).unwrap()][0].to_string(), "pysocks");
    assert!(p.membership.is_none());
}

#[test]
fn lock_2_1_groups_and_markers_in_both_forms() {
    let text = r#"
[[package]]
name = "alabaster"
version = "1.0.0"
python-versions = ">=3.10"
groups = ["main", "lint"]
files = [{file = "alabaster-1.0.0-py3-none-any.whl", hash = "sha256:fc6786402dc3fcb2de3cabd5fe455a2db534b371124f1f21de8731783dec828b"}]
markers = {main = "extra == \"docs\""}

[[package]]
name = "colorama"
version = "0.4.6"
python-versions = "*"
groups = ["dev"]
markers = "sys_platform == \"win32\""
files = []

[metadata]
lock-version = "2.1"
python-versions = ">=3.10"
content-hash = "x"
"#;
    let lock = parse(text, "poetry.lock").unwrap();
    assert_eq!(lock.format, LockFormat::Poetry { lock_version: Some("2.1".into()) });
    let alabaster = lock.packages[0].membership.as_ref().unwrap();
    assert_eq!(alabaster.groups.len(), 2);
    assert_eq!(alabaster.markers.len(), 1, "lint has no marker: unconditional");
    let colorama = lock.packages[1].membership.as_ref().unwrap();
    assert_eq!(colorama.markers[&GroupName::new("dev").unwrap()].try_to_string().unwrap(), "sys_platform == 'win32'");
}

#[test]
fn lock_1_1_reads_metadata_files_and_splits_versions_of_one_name() {
    let text = r#"
[[package]]
name = "urllib3"
version = "1.26.2"
category = "main"
optional = false
python-versions = "*"

[[package]]
name = "urllib3"
version = "2.0.0"
category = "main"
optional = false
python-versions = ">=3.7"

[metadata]
lock-version = "1.1"
python-versions = "^3.8"
content-hash = "x"

[metadata.files]
URLLib3 = [
    {file = "urllib3-1.26.2-py2.py3-none-any.whl", hash = "sha256:d8ff90d979214d7b4f8ce956e80f4028fc6860e4431f731ea4a8c08f23f99473"},
    {file = "urllib3-1.26.2.tar.gz", hash = "sha256:19188f96923873c92ccb987120ec4acaa12f0461fa9ce5d3d0772bc965a39e08"},
    {file = "urllib3-2.0.0-py3-none-any.whl", hash = "sha256:bb4d6f5b6a9bbe6c0a4ab3d6c7e0b5e6e41e9f2c0a7d9f7d6a5a4b3c2d1e0f9a"},
]
"#;
    let lock = parse(text, "poetry.lock").unwrap();
    let files = |i: usize| lock.packages[i].files.iter().map(|f| f.filename.clone()).collect::<Vec<_>>();
    assert_eq!(files(0), ["urllib3-1.26.2-py2.py3-none-any.whl", "urllib3-1.26.2.tar.gz"]);
    assert_eq!(files(1), ["urllib3-2.0.0-py3-none-any.whl"]);
}

#[test]
fn unversioned_lock_is_read_like_1_1() {
    let text = "[[package]]\nname = \"six\"\nversion = \"1.16.0\"\ncategory = \"main\"\noptional = false\npython-versions = \"*\"\n\n[metadata]\ncontent-hash = \"x\"\npython-versions = \"*\"\n\n[metadata.files]\nsix = [{file = \"six-1.16.0.tar.gz\", hash = \"sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926\"}]\n";
    let lock = parse(text, "poetry.lock").unwrap();
    assert_eq!(lock.format, LockFormat::Poetry { lock_version: None });
    assert_eq!(lock.packages[0].files.len(), 1);
}

#[test]
fn errors_name_the_file_and_the_entry() {
    let err = crate::report::with_causes(&parse("[[package]\nname = 1", "sub/poetry.lock").unwrap_err());
    assert_eq!(
        err,
        "sub/poetry.lock is not a valid poetry.lock: line 1, column 11: unclosed array table, expected `]`"
    );

    // A value of the wrong type: the key path says which package and which file.
    let text =
        "[[package]]\nname = \"six\"\nversion = \"1.17.0\"\nfiles = [{file = \"six-1.17.0.tar.gz\", hash = 7}]\n";
    let err = crate::report::with_causes(&parse(text, "poetry.lock").unwrap_err());
    assert_eq!(
        err,
        "poetry.lock is not a valid poetry.lock: line 4, column 46: package[0].files[0].hash: invalid type: integer `7`, expected a string"
    );

    let err = parse("[metadata]\nlock-version = \"3.0\"\n", "poetry.lock").unwrap_err().to_string();
    assert!(err.contains("lock-version 3.0"), "{err}");

    let bad_version = "[[package]]\nname = \"six\"\nversion = \"not a version\"\nfiles = []\n";
    let err = parse(bad_version, "poetry.lock").unwrap_err().to_string();
    assert!(err.contains("package `six not a version`") && err.contains("invalid version"), "{err}");

    let bad_marker = "[[package]]\nname = \"a\"\nversion = \"1\"\nfiles = []\n[package.dependencies]\nb = {version = \"*\", markers = \"python_version <<< '3'\"}\n";
    let err = parse(bad_marker, "poetry.lock").unwrap_err().to_string();
    assert!(err.contains("dependency `b`") && err.contains("invalid marker"), "{err}");

    let hashes_only = "[[package]]\nname = \"a\"\nversion = \"1\"\n[metadata]\n[metadata.hashes]\na = [\"abc\"]\n";
    assert!(matches!(parse(hashes_only, "poetry.lock"), Err(LockError::HashesOnly { .. })));
}

#[test]
fn requirement_names_are_cut_before_versions_and_extras() {
    assert_eq!(requirement_name("pkginfo (>=1.10)"), "pkginfo");
    assert_eq!(requirement_name("requests[socks]>=2"), "requests");
    assert_eq!(requirement_name("pillow"), "pillow");
}

#[test]
fn source_kinds_are_kept_for_later_stages() {
    let text = r#"
[[package]]
name = "alembic"
version = "1.3.1"
files = []
develop = false
[package.source]
type = "git"
url = "https://github.com/sqlalchemy/alembic.git"
reference = "rel_1_3_1"
resolved_reference = "8d6bb007a4de046c4d338f4b79b40c9fcbf73ab7"

[[package]]
name = "private"
version = "1.0"
files = []
[package.source]
type = "legacy"
url = "https://example.org/simple"
reference = "corp"
"#;
    let lock = parse(text, "poetry.lock").unwrap();
    assert!(
        matches!(&lock.packages[0].source, Source::Git { resolved_reference: Some(r), .. } if r.starts_with("8d6b"))
    );
    assert!(matches!(&lock.packages[1].source, Source::Registry { index: Some(i) } if i.name == "corp"));
}

#[test]
fn large_locks_parse_in_pieces_with_the_same_result() {
    let mut text = String::new();
    for i in 0..400 {
        // Most files arrays as Poetry writes them (read apart from the TOML: `file_lines`); some
        // empty, as for a git source, or of another shape, which the TOML parser reads.
        let files = match i % 10 {
            3 => "files = []".to_string(),
            7 => format!("files = [\n    {{file = \"pkg_{i}-1.{i}\\u002Etar.gz\", hash = \"{H}\"}},\n]"),
            9 => format!("files = [{{file = \"pkg_{i}-1.{i}.tar.gz\", hash = \"{H}\"}}]"),
            _ => format!(
                "files = [\n    {{file = \"pkg_{i}-1.{i}-py3-none-any.whl\", hash = \"{H}\"}},\n    {{file = \"pkg_{i}-1.{i}.tar.gz\", hash = \"{H}\"}},\n]"
            ),
        };
        let _ = write!(
            text,
            "[[package]]\nname = \"pkg-{i}\"\nversion = \"1.{i}\"\ndescription = \"a \\\"[quoted]\\\" {{text}}\"\npython-versions = \">=3.8\"\n{files}\n\n[package.dependencies]\npkg-{} = {{version = \">=1\", markers = \"python_version < \\\"3.11\\\"\"}}\n\n[package.extras]\nx = [\"pkg-{} (>=1)\"]\n\n",
            i + 1,
            i + 2
        );
    }
    text.push_str("[extras]\nall = [\"pkg-1\"]\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \">=3.9\"\ncontent-hash = \"x\"\n");
    assert!(text.len() > 100_000, "big enough to be split");
    let pieces = parse(&text, "poetry.lock").unwrap();
    // A `'''` anywhere (here in a comment) forces the whole-document path.
    let whole = parse(&format!("{text}# '''\n"), "poetry.lock").unwrap();
    assert_eq!(format!("{:?}", pieces.packages), format!("{:?}", whole.packages));
    assert_eq!(pieces.root_extras, whole.root_extras);
    assert_eq!(pieces.format, whole.format);
    assert_eq!(pieces.packages.len(), 400);
    let read_apart = file_lines::lift(&text).read_apart();
    assert_eq!(read_apart, 280, "the arrays Poetry writes, and only those, are read apart");
    assert_eq!(pieces.packages[7].files[0].filename, "pkg_7-1.7.tar.gz");
    // Errors in a large lock still carry the line of the whole file.
    let broken = text.replacen("version = \"1.300\"", "version = 1.300.0", 1);
    let err = crate::report::with_causes(&parse(&broken, "poetry.lock").unwrap_err());
    let line = text.lines().position(|l| l == "version = \"1.300\"").unwrap() + 1;
    assert!(err.contains(&format!("line {line}")), "{err}");
}

const H: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// Locks of 300 packages, each with keys before its `files` array, an array of one of the shapes
/// `file_lines` reads apart or leaves to the TOML parser, and dependency tables after it: read
/// in pieces, each lock means what it means read whole (or fails with the same error).
#[test]
fn files_read_apart_or_not_mean_what_the_whole_lock_means() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    const BEFORE: [&str; 6] = [
        "",
        "description = \"say \\\"[hi\\\" {x} # not a comment\"\n",
        "markers = {main = \"python_version < \\\"3.11\\\"\", dev = 'x]'}\n",
        "groups = [\"main\"]\n",
        "notes = [\n    \"a\",\n]\n",
        "source = { type = \"legacy\", url = \"https://example.org/simple\", reference = \"corp\" }\n",
    ];
    const AFTER: [&str; 3] = [
        "",
        "[package.dependencies]\nsix = \">=1\"\n",
        "[package.dependencies]\nnumpy = [\n    {version = \">=1.22\", markers = \"python_version < \\\"3.12\\\"\"},\n    {version = \">=1.26\", markers = \"python_version >= \\\"3.12\\\"\"},\n]\n",
    ];
    let files = |shape: usize, i: usize| -> String {
        let (wheel, sdist) = (format!("pkg_{i}-1.{i}-py3-none-any.whl"), format!("pkg_{i}-1.{i}.tar.gz"));
        match shape {
            0 => format!(
                "files = [\n    {{file = \"{wheel}\", hash = \"{H}\"}},\n    {{file = \"{sdist}\", hash = \"{H}\"}},\n]\n"
            ),
            1 => "files = []\n".to_string(),
            2 => format!("files = [\n    {{file = \"pkg_{i}-1.{i}\\u002Etar.gz\", hash = \"{H}\"}},\n]\n"),
            3 => format!("files = [{{file = \"{sdist}\", hash = \"{H}\"}}]\n"),
            4 => format!("files = [\n\t{{file = \"{sdist}\", hash = \"{H}\"}},\n]\n"),
            _ => "files = [\n]\n".to_string(),
        }
    };
    let lock = |packages: &[(usize, usize, usize)]| -> String {
        let mut text = String::from(
            "# This file is automatically @generated by Poetry 2.1.3 and should not be changed by hand.\n\n",
        );
        for (i, &(before, shape, after)) in packages.iter().enumerate() {
            let _ = write!(
                text,
                "[[package]]\nname = \"pkg-{i}\"\nversion = \"1.{i}\"\n{}python-versions = \">=3.8\"\n{}\n{}\n",
                BEFORE[before],
                files(shape, i),
                AFTER[after]
            );
        }
        text + "[metadata]\nlock-version = \"2.1\"\npython-versions = \">=3.9\"\ncontent-hash = \"x\"\n"
    };
    let outcome = |text: &str| match parse(text, "poetry.lock") {
        Ok(lock) => Ok(format!("{:?}", lock.packages)),
        Err(error) => Err(crate::report::with_causes(&error)),
    };
    let config = Config { cases: 12, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let packages = prop::collection::vec((0..BEFORE.len(), 0..6_usize, 0..AFTER.len()), 300);
    runner
        .run(&packages, |packages| {
            let text = lock(&packages);
            prop_assert!(text.len() > 64 * 1024, "read in pieces");
            let lifted = packages.iter().filter(|(before, shape, _)| *before != 4 && matches!(shape, 0 | 5)).count();
            prop_assert_eq!(file_lines::lift(&text).read_apart(), lifted);
            // A `'''` anywhere (here in a comment) makes the whole text be read at once.
            let whole = outcome(&format!("{text}# '''\n"));
            prop_assert!(whole.is_ok(), "every shape is a valid lock: {:?}", whole);
            prop_assert_eq!(outcome(&text), whole);
            Ok(())
        })
        .unwrap();
}
