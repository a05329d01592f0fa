//! Fuzz targets, for the fuzz harnesses only (`tests/fuzz.rs` on stable Rust, `fuzz/` with
//! cargo-fuzz on nightly; FUZZING.md says how to run them). Not part of the library's API.
//!
//! Each [`Target`] feeds untrusted bytes to the real reader of one input format, as the program
//! reads it, ignores the `Err` a bad input gets, and lets a panic through: the harness counts a
//! panic, an abort, a hang or a memory blow-up as a finding. Where the pipeline does cheap,
//! pure work on what was read (marker evaluation, wheel tag ranking), the target does it too.
//!
//! The seeds ([`seeds`]) come from the repository's own test fixtures (or any folder of real
//! inputs), and [`Target::tokens`] is the dictionary both harnesses insert.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use url::Url;

use crate::constraint::Constraint;
use crate::filename::{DistFilename, WheelFilename};
use crate::model::LockedFile;
use crate::resolve::environment::marker_environment;
use crate::resolve::select::FileFit;
use crate::resolve::tags::wheel_priority;
use crate::resolve::target::{PlatformPolicy, PythonMinor, System, Target as ResolveTarget};

/// One input format lock2nix reads from a file or an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    PoetryLock,
    Pyproject,
    UvLock,
    Pylock,
    /// A PEP 508 marker as the uv.lock/pylock.toml and the Poetry readers parse it, and
    /// Poetry's `platform` field.
    Marker,
    /// A Poetry constraint and a strict PEP 440 specifier set.
    Constraint,
    /// A wheel or sdist file name, or the URL or path that ends with one.
    Filename,
    /// A PEP 691 simple-API page.
    SimpleJson,
    /// A PEP 503 simple-API page.
    SimpleHtml,
}

impl Target {
    pub const ALL: [Self; 9] = [
        Self::PoetryLock,
        Self::Pyproject,
        Self::UvLock,
        Self::Pylock,
        Self::Marker,
        Self::Constraint,
        Self::Filename,
        Self::SimpleJson,
        Self::SimpleHtml,
    ];

    /// The name of the cargo-fuzz target and of its corpus folder.
    pub fn name(self) -> &'static str {
        match self {
            Self::PoetryLock => "poetry_lock",
            Self::Pyproject => "pyproject",
            Self::UvLock => "uv_lock",
            Self::Pylock => "pylock",
            Self::Marker => "marker",
            Self::Constraint => "constraint",
            Self::Filename => "filename",
            Self::SimpleJson => "simple_json",
            Self::SimpleHtml => "simple_html",
        }
    }

    /// Runs the target on one input. Returns normally for any input the readers accept or
    /// refuse; panics (or never returns) on a finding.
    pub fn run(self, data: &[u8]) {
        // Files are read as UTF-8 text first (`read_to_string`); other bytes never reach a reader.
        let text = std::str::from_utf8(data);
        if let (Self::PoetryLock | Self::Pyproject | Self::UvLock | Self::Pylock, Ok(text)) = (self, text) {
            light_toml_agrees(text);
        }
        match (self, text) {
            (Self::PoetryLock, Ok(text)) => lock(crate::lockfile::poetry::parse(text, "poetry.lock")),
            (Self::UvLock, Ok(text)) => lock(crate::lockfile::uv::parse(text, "uv.lock")),
            (Self::Pylock, Ok(text)) => lock(crate::lockfile::pylock::parse(text, "pylock.toml")),
            (Self::Pyproject, Ok(text)) => {
                if let Ok(project) = crate::project::parse(text, "pyproject.toml") {
                    python_minors(&project.python);
                }
            }
            (Self::Marker, Ok(text)) => marker(text),
            (Self::Constraint, Ok(text)) => constraint(text),
            (Self::Filename, Ok(text)) => filename(text),
            (Self::SimpleJson, _) => {
                simple_page(Some("application/vnd.pypi.simple.v1+json"), data);
                simple_page(None, data);
            }
            (Self::SimpleHtml, _) => {
                simple_page(Some("text/html; charset=utf-8"), data);
                simple_page(None, data);
            }
            (_, Err(_)) => {}
        }
    }

    /// Tokens worth inserting into this target's inputs: its syntax, its keywords, and values
    /// at the edges (huge numbers, NUL, escapes). Written as libFuzzer's `-dict` too.
    pub fn tokens(self) -> Vec<&'static str> {
        let specific: &[&str] = match self {
            Self::PoetryLock | Self::Pyproject | Self::UvLock | Self::Pylock => TOML_TOKENS,
            Self::Marker => MARKER_TOKENS,
            Self::Constraint => CONSTRAINT_TOKENS,
            Self::Filename => FILENAME_TOKENS,
            Self::SimpleJson => JSON_TOKENS,
            Self::SimpleHtml => HTML_TOKENS,
        };
        let mut tokens = COMMON_TOKENS.to_vec();
        tokens.extend_from_slice(specific);
        // Markers and constraints are embedded in every lock.
        if matches!(self, Self::PoetryLock | Self::Pyproject | Self::UvLock | Self::Pylock) {
            tokens.extend_from_slice(MARKER_TOKENS);
            tokens.extend_from_slice(CONSTRAINT_TOKENS);
            tokens.extend_from_slice(FILENAME_TOKENS);
        }
        tokens
    }
}

#[rustfmt::skip]
const COMMON_TOKENS: &[&str] = &[
    "\0", "\\u0000", "\\", "\"", "'", "\n", "\r\n", "\t", " ", "(", ")", "[", "]", "{", "}", ",", ";", ":", "=", "#",
    "%", "/", ".", "-", "_", "*", "0", "1", "-1", "18446744073709551615", "18446744073709551616", "4294967296",
    "99999999999999999999999999", "é", "\u{feff}", "\u{10ffff}",
];

#[rustfmt::skip]
const TOML_TOKENS: &[&str] = &[
    "[[package]]", "[metadata]", "[metadata.files]", "[package.dependencies]", "[package.extras]", "[extras]",
    "[project]", "[tool.poetry]", "[tool.poetry.dependencies]", "[tool.poetry.group.dev.dependencies]",
    "[tool.uv]", "[dependency-groups]", "[build-system]", "[[packages]]", "[[packages.wheels]]", "[package.source]",
    "\"\"\"", "'''", "= [", "= {", "= \"", "\\U0010FFFF", "\\uD800", "true", "false", "inf", "nan", "-0.0",
    "1979-05-27T07:32:00Z", "0x7fffffffffffffff", "9223372036854775808", "name = ", "version = ", "markers = ",
    "marker = ", "python-versions = ", "requires-python = ", "lock-version = ", "content-hash = ", "files = ",
    "source = ", "dependencies = ", "optional-dependencies = ", "extras = ", "groups = ", "include-group = ",
    "resolution-markers = ", "wheels = ", "sdist = ", "hash = ", "hashes = ", "url = ", "path = ", "editable = ",
    "git = ", "registry = ", "virtual = ", "directory = ", "develop = true", "optional = true",
    "{ virtual = \".\" }", "{ registry = \"https://pypi.org/simple\" }", "{ git = \"https://example.com/a.git\" }",
    "sha256:", "\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"",
];

#[rustfmt::skip]
const MARKER_TOKENS: &[&str] = &[
    " and ", " or ", " not in ", " in ", "==", "!=", "<=", ">=", "<", ">", "~=", "===", "python_version",
    "python_full_version", "platform_machine", "platform_system", "sys_platform", "os_name",
    "platform_python_implementation", "implementation_name", "platform_release", "extra", "extras",
    "dependency_groups", "'3.11'", "'3.*'", "'linux'", "'darwin'", "'win32'", "'x86_64'", "'aarch64'", "'dev'",
    "extra == 'a'", "python_version >= '3.9'", "sys_platform == 'linux'", "'dev' in dependency_groups",
];

#[rustfmt::skip]
const CONSTRAINT_TOKENS: &[&str] = &[
    "^", "~", "||", "|", ".*", ".x", "!", "<>", "v", "+local", ".post1", ".dev0", "a1", "b2", "rc1", "1!", "3.11",
    "^0.0.0", "~1", ">=3.9,<4.0", "dev",
];

#[rustfmt::skip]
const FILENAME_TOKENS: &[&str] = &[
    ".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".egg", ".exe", "-py3-none-any.whl", "-cp311-cp311-",
    "manylinux_2_17_x86_64", "manylinux2014_aarch64", "manylinux1_i686", "musllinux_1_1_x86_64",
    "macosx_10_9_universal2", "macosx_11_0_arm64", "macosx_99999999999_0_x86_64", "win_amd64", "linux_x86_64", "py2.py3",
    "cp311", "abi3", "none", "any", "pp310", "%2F", "%ff", "%", "?", "#sha256=", "\\", "https://files.example/",
    "file:///", "../",
];

#[rustfmt::skip]
const JSON_TOKENS: &[&str] = &[
    "{\"files\": [", "\"meta\": {\"api-version\": \"1.1\"}", "\"api-version\"", "\"2.0\"", "\"files\"",
    "\"filename\"", "\"url\"", "\"hashes\"", "\"sha256\"", "\"md5\"", "\"yanked\"", "\"core-metadata\"",
    "{\"filename\": \"a-1-py3-none-any.whl\", \"url\": \"a.whl\", \"hashes\": {}}", "null", "true", "[]", "{}",
    "\\ud800", "\\u0000", "1e999", "-0", "https://files.example/", "//host/", "http://[::1]/", "javascript:",
];

#[rustfmt::skip]
const HTML_TOKENS: &[&str] = &[
    "<a href=\"", "\">", "</a>", "<base href=\"", "<html>", "<body>", "<!DOCTYPE html>", "#sha256=", "#md5=",
    "data-requires-python=\"", "data-dist-info-metadata=\"", "&amp;", "&#0;", "&#x110000;", "&lt;", "<!--", "-->",
    "<![CDATA[", "]]>", "<script>", "<template>", "<table>", "<svg>", "<math>", "<noscript>", "<frameset>", "href",
    "=", "../", "//host/", "http://[::1]/", "https://u:p@host/", "javascript:",
];

/// A parsed lock, with what resolving asks of it first.
fn lock(lock: Result<crate::model::Lock, crate::lockfile::LockError>) {
    if let Ok(lock) = lock {
        python_minors(&lock.python);
    }
}

fn python_minors(python: &Constraint) {
    for minor in PythonMinor::all() {
        python.allows_python(minor);
    }
}

fn targets() -> impl Iterator<Item = ResolveTarget> {
    System::ALL.into_iter().flat_map(|system| PythonMinor::all().map(move |python| ResolveTarget { system, python }))
}

fn marker(text: &str) {
    let extra = crate::name::ExtraName::from_str("cuda").expect("valid extra");
    let group = uv_normalize::GroupName::from_str("dev").expect("valid group");
    let parsed = [
        crate::lockfile::location::marker(text).ok(),
        crate::lockfile::poetry::parse_marker(text).ok(),
        crate::lockfile::poetry::platform_marker(text).ok(),
    ];
    // What the pipeline does with a marker: joins it with a Python constraint's marker and
    // Poetry's `platform`, and evaluates it per target. It never prints one: uv-pep508's
    // `Display` simplifies to a DNF, which can take seconds on a crafted 2 KB marker.
    let python = Constraint::parse_poetry(">=3.9,<3.13").expect("valid constraint").python_marker();
    for marker in parsed.into_iter().flatten() {
        let joined = marker.and(python).or(marker);
        for target in targets() {
            let env = marker_environment(&target);
            marker.evaluate(&env, &[]);
            joined.evaluate(&env, std::slice::from_ref(&extra));
            marker.evaluate_pep751(&env, std::slice::from_ref(&extra), std::slice::from_ref(&group));
        }
        joined.is_false();
    }
}

fn constraint(text: &str) {
    for parsed in [Constraint::parse_poetry(text), Constraint::parse_pep440(text)].into_iter().flatten() {
        python_minors(&parsed);
        parsed.python_marker();
        parsed.intersect(&parsed);
        let _ = Constraint::parse_poetry(&parsed.to_string());
    }
}

/// A document the light TOML reader accepts means what it means to the toml crate.
fn light_toml_agrees(text: &str) {
    if let Some(light) = crate::toml_light::from_str::<toml::Table>(text) {
        assert_eq!(toml::from_str::<toml::Table>(text).ok(), Some(light), "the light reader disagrees");
    }
}

fn filename(text: &str) {
    let mut names = vec![text.to_string()];
    names.extend(crate::filename::file_name_of(text));
    let version = uv_pep440::Version::new([1, 0]);
    let policy = PlatformPolicy::default();
    for name in &names {
        DistFilename::parse(name);
        DistFilename::is_of_version(name, &version);
        if let Ok(wheel) = WheelFilename::parse(name) {
            let fit = FileFit::of(&LockedFile::named(name.clone(), None), policy);
            for target in targets() {
                // The once-per-file filter never leaves out a wheel that fits.
                if wheel_priority(&wheel, target, policy).is_some() {
                    assert!(fit.may_fit(target), "{name}");
                }
            }
        }
    }
}

fn simple_page(content_type: Option<&str>, body: &[u8]) {
    let page_url = Url::parse("https://pypi.org/simple/example/").expect("static URL");
    if let Ok(files) = crate::fetch::simple::parse_page(content_type, body, &page_url) {
        for file in files {
            DistFilename::parse(&file.filename);
        }
    }
}

/// The seed inputs of every target found under `folders` (recursively, in a stable order):
/// whole files for the file formats (`poetry.lock`, `pyproject.toml`, `uv.lock`, `pylock*.toml`,
/// simple-API `*.json` and `*.html` pages), and the markers, constraints and file names that
/// the TOML and JSON files hold, picked by their key.
pub fn seeds(folders: &[&Path]) -> BTreeMap<Target, BTreeSet<Vec<u8>>> {
    let mut seeds: BTreeMap<Target, BTreeSet<Vec<u8>>> = Target::ALL.iter().map(|t| (*t, BTreeSet::new())).collect();
    let mut files = Vec::new();
    for folder in folders {
        collect_files(folder, &mut files);
    }
    files.sort();
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let whole = match name {
            "poetry.lock" => Some(Target::PoetryLock),
            "pyproject.toml" => Some(Target::Pyproject),
            "uv.lock" => Some(Target::UvLock),
            n if n.starts_with("pylock") && n.ends_with(".toml") => Some(Target::Pylock),
            n if n.ends_with(".json") => Some(Target::SimpleJson),
            n if n.ends_with(".html") => Some(Target::SimpleHtml),
            // Lock files in a corpus are often named after their project.
            n if n.ends_with(".lock") => Some(Target::PoetryLock),
            _ => None,
        };
        let Some(whole) = whole else { continue };
        let text = String::from_utf8_lossy(&bytes);
        let mut strings = Vec::new();
        if whole == Target::SimpleJson {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                json_strings("", &value, &mut strings);
            }
        } else if let Ok(value) = toml::from_str::<toml::Value>(&text) {
            toml_strings("", &value, &mut strings);
        }
        for (key, value) in strings {
            if let Some(target) = string_target(&key, &value) {
                seeds.get_mut(&target).expect("every target").insert(value.into_bytes());
            }
        }
        seeds.get_mut(&whole).expect("every target").insert(bytes);
    }
    seeds
}

fn collect_files(folder: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// Which small-input target a string under `key` seeds, if any.
fn string_target(key: &str, value: &str) -> Option<Target> {
    let file_like = [".whl", ".tar.gz", ".zip"].iter().any(|ext| value.ends_with(ext));
    match key {
        "markers" | "marker" | "resolution-markers" | "environments" | "platform" => Some(Target::Marker),
        "python-versions" | "requires-python" | "python" | "version" | "specifier" => Some(Target::Constraint),
        // A Poetry dependency written as `name = "constraint"`.
        _ if key.starts_with("dependencies.") => Some(Target::Constraint),
        "file" | "url" | "filename" | "name" | "path" if file_like => Some(Target::Filename),
        _ => None,
    }
}

/// Every string in a TOML value with the key it is under (array items take their array's key;
/// the keys of a `dependencies` table show as `dependencies.NAME`).
fn toml_strings(key: &str, value: &toml::Value, out: &mut Vec<(String, String)>) {
    match value {
        toml::Value::String(s) => out.push((key.to_string(), s.clone())),
        toml::Value::Array(items) => items.iter().for_each(|item| toml_strings(key, item, out)),
        toml::Value::Table(table) => {
            for (k, v) in table {
                let key = if key == "dependencies" && v.is_str() { format!("dependencies.{k}") } else { k.clone() };
                toml_strings(&key, v, out);
            }
        }
        _ => {}
    }
}

fn json_strings(key: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::String(s) => out.push((key.to_string(), s.clone())),
        serde_json::Value::Array(items) => items.iter().for_each(|item| json_strings(key, item, out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| json_strings(k, v, out)),
        _ => {}
    }
}
