//! Property: every run that succeeds writes a usable file. Any input on which `lock2nix` exits 0
//! yields a file that `nix-instantiate --parse` accepts and that evaluates, against the strict
//! nixpkgs stub, for every system/CPython pair it was generated for; a run that fails writes
//! nothing and never crashes.
//!
//! The inputs are mutations of seed projects: the render and project fixtures, a few inline
//! projects, and the shared corpus when it is there (`$LOCK2NIX_CORPUS` or `../shared/corpus`).
//! A seeded generator (SplitMix64, written here so that a seed gives the same inputs on every
//! machine and with every crate version; `proptest` runs and judges one case at a time, while
//! this test batches the expensive Nix evaluations over many cases) parses the lock and the
//! pyproject.toml files as TOML, changes them structurally (duplicate, drop or empty packages,
//! dependency lists, extras and groups; lock a package at two versions, one for older and one
//! for newer Pythons; rename a package, an extra, a group or a version consistently in every
//! file; markers over every environment variable; an empty project) and
//! textually (strings with quotes, `${`, `''`, backslashes, newlines, control characters and
//! unicode; Nix keywords and names beginning with a digit or `-`; odd versions, paths and
//! URLs), and picks some flags. Each input runs the binary with `--no-infer` and no network: a
//! loopback index synthesized from the mutated lock answers poetry locks (the other formats
//! record their URLs), git and url sources get their hashes from a `--hashes` file written
//! for them, and a proxy that refuses every connection stands between the binary (and git) and
//! anything but loopback.
//!
//! Every success is parsed, then evaluated with `nix/tests/eval-overlay.nix` for each target of
//! its `generated` list in one `nix-instantiate` call per batch of files. An environment may
//! only fail to evaluate with one of the throws the file makes on purpose (a package that
//! cannot be installed there, a remote left out with `--allow-missing`).
//!
//! `LOCK2NIX_USABLE_INPUTS` (default 200) sets how many inputs are tried, `LOCK2NIX_USABLE_SEED`
//! the generator's seed, `LOCK2NIX_USABLE_SEED_BYTES` (default 40000) the largest seed lock
//! used, `LOCK2NIX_USABLE_BIN` another binary to run (to compare builds on the same inputs),
//! `LOCK2NIX_USABLE_ONLY` (`12,345`) the only inputs to run, each kept. Each failing input is
//! kept under `target/usable-output/<n>/` with the run's stderr and output, a summary goes to
//! `target/usable-output-report.txt` and one line per input (its seed, its exit, what was wrong)
//! to `target/usable-output-runs.tsv` (`LOCK2NIX_USABLE_OUT` names another folder than
//! `target/`).
// Tests print their measurements.
#![allow(clippy::print_stderr)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use lock2nix::testing::model::{Lock, Source};
use serde_json::{Value, json};
use support::corpus::output_within;
use support::evaluate::{generated_targets, nix_parse, nix_path, nix_string, short_error};
use support::nix::{instantiate_eval_expr, nix_tests_dir, require_nix};
use support::{IndexServer, Reply};
use toml::Value as Toml;

const INPUTS_ENV: &str = "LOCK2NIX_USABLE_INPUTS";
const SEED_ENV: &str = "LOCK2NIX_USABLE_SEED";
const SEED_BYTES_ENV: &str = "LOCK2NIX_USABLE_SEED_BYTES";
const OUT_ENV: &str = "LOCK2NIX_USABLE_OUT";
const BIN_ENV: &str = "LOCK2NIX_USABLE_BIN";
/// Comma-separated input numbers: only those run, each kept (to reproduce a long run's inputs).
const ONLY_ENV: &str = "LOCK2NIX_USABLE_ONLY";
const DEFAULT_INPUTS: usize = 200;
const DEFAULT_SEED: u64 = 0x10c4_2a1c_5eed_0005;
const DEFAULT_SEED_BYTES: usize = 40_000;
/// Successes evaluated per `nix-instantiate` call.
const BATCH: usize = 12;
/// A hang guard for one run.
const RUN_TIMEOUT: Duration = Duration::from_mins(1);
/// Projects sit this deep below the test's own folder, so that the `..` of a mutated path
/// (at most [`MAX_UP`] of them) never leaves it.
const DEPTH: usize = 6;
const MAX_UP: usize = 3;

// ---------------------------------------------------------------------------------- the generator

/// SplitMix64: a fixed, documented sequence for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { usize::try_from(self.next() % n as u64).expect("below n, a usize") }
    }

    /// True `percent` times in a hundred.
    fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Text that breaks naive quoting somewhere: Nix, TOML, shell, PEP 508.
const ODD_TEXT: &[&str] = &[
    "\"",
    "a\"b",
    "${builtins.abort \"x\"}",
    "${x}",
    "$${x}",
    "$",
    "a$",
    "''",
    "'' ${x} ''",
    "''${x}",
    "'",
    "\\",
    "a\\b",
    "\\\"",
    "\\${",
    "a\nb",
    "line\r\nnext",
    "\t",
    "\u{1}",
    "\u{7f}",
    "\u{1b}[31m",
    "\u{85}",
    "é",
    "日本語",
    "🐍",
    "\u{202e}txt",
    "\u{200b}",
    "\u{2028}",
    "\u{feff}",
    "",
    " ",
    "  x  ",
    "#",
    "/*",
    "*/",
    ";",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "=",
    "//",
    ":",
    "@",
    "?",
    "%2B",
    "%",
    "+",
    "~",
    "!",
    "..",
    "/",
    "a b",
    "let",
    "in",
    "rec",
    "or",
    "null",
    "__curPos",
    "import",
];

/// Names a package, an extra, a group or a project can be renamed to.
const ODD_NAMES: &[&str] = &[
    "let",
    "in",
    "rec",
    "inherit",
    "or",
    "assert",
    "with",
    "if",
    "then",
    "else",
    "null",
    "true",
    "false",
    "import",
    "builtins",
    "__curPos",
    "__functor",
    "__toString",
    "lock2nix",
    "final",
    "prev",
    "pkgs",
    "lib",
    "python",
    "python-package",
    "python-project",
    "system",
    "target",
    "supported",
    "pick",
    "generated",
    "overlay",
    "fetchurl",
    "fetchgit",
    "cleanSource",
    "fromNixpkgs",
    "netrcPhase",
    "stdenv",
    "packages",
    "disabled",
    "bootstrap",
    "dependencies",
    "optional-dependencies",
    "dependency-groups",
    "passthru",
    "override",
    "overrideAttrs",
    "drvPath",
    "outPath",
    "type",
    "2captcha",
    "3",
    "0-0",
    "1.0",
    "9lives",
    "-x",
    "-",
    "_x",
    ".x",
    "x.",
    "x-",
    "x_",
    "a.b",
    "A_B",
    "a--b",
    "A",
    "Über",
    "日本",
    "a b",
    "a\"b",
    "${x}",
    "a'b",
    "''",
    "a\\b",
    "",
    "x\ny",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

const ODD_VERSIONS: &[&str] = &[
    "1.0+local",
    "1.0+local.7.abc",
    "1.0+Local_Part-9",
    "1!2.0",
    "99999!1.0",
    "0!0",
    "1.0.post1.dev2",
    "1.0rc1",
    "1.0a1.post2.dev3",
    "1.0-1",
    "v1.0",
    "1.0A",
    "01.02.03",
    "1",
    "0",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
    "1.0+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "1.*",
    " 1.0 ",
    "",
    "dynamic",
    "1.0 beta",
    "1.0+${x}",
    "1.0\"",
    "1.0\n",
    "latest",
];

const MARKER_VARIABLES: &[(&str, &[&str])] = &[
    ("python_version", &["3.9", "3.11", "3.14", "2.7", "4"]),
    ("python_full_version", &["3.11.4", "3.12.*", "3.10.0rc1", "3.13.0+local"]),
    ("os_name", &["posix", "nt", "java"]),
    ("sys_platform", &["linux", "darwin", "win32", "emscripten", "${x}"]),
    ("platform_release", &["6.1.0", "23.0.0", ""]),
    ("platform_system", &["Linux", "Darwin", "Windows", "Java", "let"]),
    ("platform_version", &["#1 SMP", "Darwin Kernel Version 23.0.0", "\\\""]),
    ("platform_machine", &["x86_64", "aarch64", "arm64", "AMD64", "i686", "ppc64le"]),
    ("platform_python_implementation", &["CPython", "PyPy", "GraalPy"]),
    ("implementation_name", &["cpython", "pypy", "''"]),
    ("implementation_version", &["3.12.0", "7.3.1"]),
    ("extra", &["let", "test", "a b", "${x}", "rec", "-x", "dev"]),
    ("extras", &["let", "test", "dev"]),
    ("dependency_groups", &["dev", "default", "in", "test"]),
];

const MARKER_OPERATORS: &[&str] = &["==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in"];

fn odd_marker(rng: &mut Rng) -> String {
    let terms = 1 + rng.below(4);
    let mut marker = String::new();
    for k in 0..terms {
        if k > 0 {
            marker.push_str(if rng.percent(60) { " and " } else { " or " });
        }
        let (variable, values) = rng.pick(MARKER_VARIABLES);
        let value = rng.pick(values);
        let operator = rng.pick(MARKER_OPERATORS);
        let quote = if value.contains('\'') { '"' } else { '\'' };
        if rng.percent(20) {
            let _ = write!(marker, "{quote}{value}{quote} {operator} {variable}");
        } else {
            let _ = write!(marker, "{variable} {operator} {quote}{value}{quote}");
        }
    }
    if rng.percent(15) { format!("({marker})") } else { marker }
}

fn odd_path(rng: &mut Rng, old: &str) -> String {
    let up = "../".repeat(1 + rng.below(MAX_UP));
    let choices = [
        "my lib".to_string(),
        "a/../b".to_string(),
        format!("{up}x"),
        format!("{up}sub dir/pkg"),
        "./.".to_string(),
        ".".to_string(),
        String::new(),
        "a//b".to_string(),
        "a/${x}".to_string(),
        "a\"b".to_string(),
        "é/ü".to_string(),
        "a\\b".to_string(),
        "~/x".to_string(),
        "-x".to_string(),
        "/nonexistent/abs/path".to_string(),
        "x.whl".to_string(),
        "dist/x-1.0-py3-none-any.whl".to_string(),
        format!("{old}/"),
        format!("./{old}"),
        format!("{old} copy"),
        format!("{old}/../{old}"),
        "''".to_string(),
        "a+b/c=d".to_string(),
        "#frag".to_string(),
    ];
    rng.pick(&choices).clone()
}

fn odd_url(rng: &mut Rng, old: &str) -> String {
    let file = old.rsplit('/').next().unwrap_or("x-1.0-py3-none-any.whl").to_string();
    let choices = [
        format!("https://example.com/a b/{file}"),
        format!("https://example.com/%2B/{file}"),
        format!("https://example.com/{file}?a=${{x}}&b=\"c\""),
        format!("https://example.com/{file}#sha256=00"),
        format!("https://user:pass@example.com/{file}"),
        format!("https://example.com/''/{file}"),
        format!("https://例え.jp/{file}"),
        format!("http://[::1]:9/{file}"),
        format!("https://example.com/\\/{file}"),
        format!("file:///nonexistent/{file}"),
        format!("git+https://example.com/r.git@v1#egg={file}"),
        format!("{old}?token=secret"),
        format!("{old}#frag"),
        format!("{old} "),
        format!("{old}\n"),
        "https://example.com/".to_string(),
        "not a url".to_string(),
        String::new(),
        format!("https://example.com/{}", file.replace('-', "%2D")),
        format!("https://example.com/dir/{file}/"),
    ];
    rng.pick(&choices).clone()
}

fn odd_fragment(rng: &mut Rng) -> String {
    if rng.percent(10) { rng.pick(ODD_NAMES).to_string() } else { rng.pick(ODD_TEXT).to_string() }
}

/// `old` with an odd fragment inserted, or replaced by one.
fn odd_string(rng: &mut Rng, old: &str) -> String {
    let fragment = odd_fragment(rng);
    match rng.below(4) {
        0 => fragment,
        1 => format!("{old}{fragment}"),
        2 => format!("{fragment}{old}"),
        _ => {
            let boundaries: Vec<usize> = (0..=old.len()).filter(|&i| old.is_char_boundary(i)).collect();
            let at = *rng.pick(&boundaries);
            format!("{}{fragment}{}", &old[..at], &old[at..])
        }
    }
}

/// A value for the string at `key` (the last key of its path).
fn odd_value(rng: &mut Rng, key: &str, old: &str) -> String {
    if rng.percent(25) {
        return odd_string(rng, old);
    }
    match key {
        "name" | "extra" | "extras" | "groups" | "project" | "package" | "group" | "include-group" => {
            rng.pick(ODD_NAMES).to_string()
        }
        "version" => rng.pick(ODD_VERSIONS).to_string(),
        "marker" | "markers" | "resolution-markers" | "environments" => odd_marker(rng),
        // A uv.lock git source keeps its commit, so that the odd URL is rendered.
        "git" if old.contains('#') => {
            let (url, commit) = old.rsplit_once('#').unwrap();
            format!("{}#{commit}", odd_url(rng, url))
        }
        "url" | "git" | "registry" | "index" | "repository_url" | "upload-url" => odd_url(rng, old),
        "path" | "directory" | "editable" | "virtual" | "file" | "subdirectory" | "subdir" | "members" => {
            odd_path(rng, old)
        }
        "python-versions" | "requires-python" | "python" => rng
            .pick(&[">=3.9", "*", "", ">=4", "<3", "^3.12", "~=3.10.1", ">=3.9,<3.9", "!=3.11.*", "=== 3.11"])
            .to_string(),
        _ => odd_string(rng, old),
    }
}

// ------------------------------------------------------------------------------ TOML paths

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn get<'a>(value: &'a Toml, path: &[Step]) -> Option<&'a Toml> {
    let mut here = value;
    for step in path {
        here = match (step, here) {
            (Step::Key(key), Toml::Table(table)) => table.get(key)?,
            (Step::Index(i), Toml::Array(array)) => array.get(*i)?,
            _ => return None,
        };
    }
    Some(here)
}

fn get_mut<'a>(value: &'a mut Toml, path: &[Step]) -> Option<&'a mut Toml> {
    let mut here = value;
    for step in path {
        here = match (step, here) {
            (Step::Key(key), Toml::Table(table)) => table.get_mut(key)?,
            (Step::Index(i), Toml::Array(array)) => array.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(here)
}

/// Every value below `value` with its path, depth first.
fn walk(value: &Toml, path: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, &'static str)>) {
    match value {
        Toml::String(_) => out.push((path.clone(), "string")),
        Toml::Table(table) => {
            out.push((path.clone(), "table"));
            for (key, child) in table {
                path.push(Step::Key(key.clone()));
                walk(child, path, out);
                path.pop();
            }
        }
        Toml::Array(array) => {
            out.push((path.clone(), "array"));
            for (i, child) in array.iter().enumerate() {
                path.push(Step::Index(i));
                walk(child, path, out);
                path.pop();
            }
        }
        _ => out.push((path.clone(), "scalar")),
    }
}

fn last_key(path: &[Step]) -> &str {
    path.iter()
        .rev()
        .find_map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Index(_) => None,
        })
        .unwrap_or("")
}

/// `text` with every whole-word occurrence of `token` replaced (a word ends where an ASCII
/// letter or digit does not follow).
fn replace_word(text: &str, token: &str, new: &str) -> String {
    if token.is_empty() || !text.contains(token) {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    let mut before: Option<char> = None;
    while let Some(at) = rest.find(token) {
        let prev = rest[..at].chars().next_back().or(if at == 0 { before } else { None });
        let next = rest[at + token.len()..].chars().next();
        let word = !prev.is_some_and(|c| c.is_ascii_alphanumeric()) && !next.is_some_and(|c| c.is_ascii_alphanumeric());
        out.push_str(&rest[..at]);
        out.push_str(if word { new } else { token });
        before = token.chars().next_back();
        rest = &rest[at + token.len()..];
    }
    out.push_str(rest);
    out
}

fn rename_everywhere(value: &mut Toml, token: &str, new: &str) {
    match value {
        Toml::String(s) => *s = replace_word(s, token, new),
        Toml::Array(array) => array.iter_mut().for_each(|v| rename_everywhere(v, token, new)),
        Toml::Table(table) => {
            let old = std::mem::take(table);
            for (key, mut child) in old {
                rename_everywhere(&mut child, token, new);
                let key = if key == token { new.to_string() } else { key };
                table.insert(key, child);
            }
        }
        _ => {}
    }
}

// ------------------------------------------------------------------------------ inputs

#[derive(Clone)]
struct Seed {
    name: String,
    /// Relative path → text.
    files: BTreeMap<String, String>,
    lock: String,
}

struct Input {
    seed: String,
    files: BTreeMap<String, String>,
    lock: String,
    args: Vec<String>,
    /// What was done, for the report.
    mutations: Vec<String>,
}

fn is_toml(path: &str) -> bool {
    path.ends_with(".toml") || path.ends_with(".lock")
}

/// Applies 1–3 mutations (and maybe some flags) to `seed`.
fn mutate(seed: &Seed, rng: &mut Rng) -> Input {
    let mut docs: BTreeMap<String, Toml> = seed
        .files
        .iter()
        .filter(|(path, _)| is_toml(path))
        .filter_map(|(path, text)| Some((path.clone(), Toml::Table(text.parse::<toml::Table>().ok()?))))
        .collect();
    let mut changed: BTreeSet<String> = BTreeSet::new();
    let mut mutations = Vec::new();
    let count = 1 + rng.below(3);
    for _ in 0..count {
        if docs.is_empty() {
            break;
        }
        // The lock is mutated twice as often as any other file.
        let names: Vec<String> = docs.keys().cloned().chain(std::iter::once(seed.lock.clone())).collect();
        let file = rng.pick(&names).clone();
        let Some(doc) = docs.get(&file) else { continue };
        let mut nodes = Vec::new();
        walk(doc, &mut Vec::new(), &mut nodes);
        let strings: Vec<&Vec<Step>> = nodes.iter().filter(|(_, k)| *k == "string").map(|(p, _)| p).collect();
        let containers: Vec<&Vec<Step>> =
            nodes.iter().filter(|(p, k)| (*k == "table" || *k == "array") && !p.is_empty()).map(|(p, _)| p).collect();
        let arrays: Vec<&Vec<Step>> = nodes.iter().filter(|(_, k)| *k == "array").map(|(p, _)| p).collect();
        let tables: Vec<&Vec<Step>> = nodes.iter().filter(|(_, k)| *k == "table").map(|(p, _)| p).collect();
        let roll = rng.below(100);
        let description;
        if roll < 28 && !strings.is_empty() {
            // One string, changed according to what it is.
            let path = (*rng.pick(&strings)).clone();
            let key = last_key(&path).to_string();
            let doc = docs.get_mut(&file).unwrap();
            let Some(Toml::String(s)) = get_mut(doc, &path) else { continue };
            let new = odd_value(rng, &key, s);
            description = format!("{file}: {key} {s:?} -> {new:?}");
            *s = new;
            changed.insert(file.clone());
        } else if roll < 48 {
            // A name, an extra, a group or a version renamed in every file at once.
            let Some((token, new)) = pick_rename(rng, &docs, &seed.lock) else { continue };
            description = format!("rename {token:?} -> {new:?} everywhere");
            for (path, doc) in &mut docs {
                rename_everywhere(doc, &token, &new);
                changed.insert(path.clone());
            }
        } else if roll < 57 {
            // A marker on a dependency or a package.
            let with_name: Vec<&Vec<Step>> = tables
                .iter()
                .copied()
                .filter(|p| matches!(p.last(), Some(Step::Index(_))))
                .filter(|p| matches!(get(&docs[&file], p), Some(Toml::Table(t)) if t.contains_key("name")))
                .collect();
            let marker = odd_marker(rng);
            let doc = docs.get_mut(&file).unwrap();
            if !with_name.is_empty() && rng.percent(70) {
                let path = (*rng.pick(&with_name)).clone();
                let Some(Toml::Table(table)) = get_mut(doc, &path) else { continue };
                let key = if file.ends_with("poetry.lock") && path.len() == 2 { "markers" } else { "marker" };
                table.insert(key.to_string(), Toml::String(marker.clone()));
                description = format!("{file}: {key} = {marker:?} at {path:?}");
            } else {
                let markers: Vec<&Vec<Step>> = strings
                    .iter()
                    .copied()
                    .filter(|p| ["marker", "markers"].contains(&last_key(p)) || looks_like_requirement(doc, p))
                    .collect();
                if markers.is_empty() {
                    continue;
                }
                let path = (*rng.pick(&markers)).clone();
                let Some(Toml::String(s)) = get_mut(doc, &path) else { continue };
                let new = if ["marker", "markers"].contains(&last_key(&path)) {
                    marker.clone()
                } else {
                    format!("{}; {marker}", s.split(';').next().unwrap_or(s).trim())
                };
                description = format!("{file}: {s:?} -> {new:?}");
                *s = new;
            }
            changed.insert(file.clone());
        } else if roll < 64 && !arrays.is_empty() {
            // An element duplicated (a package locked twice, a dependency listed twice).
            let path = (*rng.pick(&arrays)).clone();
            let doc = docs.get_mut(&file).unwrap();
            let Some(Toml::Array(array)) = get_mut(doc, &path) else { continue };
            if array.is_empty() {
                continue;
            }
            let i = rng.below(array.len());
            let mut copy = array[i].clone();
            if let (Toml::Table(t), true) = (&mut copy, rng.percent(50))
                && let Some(Toml::String(v)) = t.get_mut("version")
            {
                *v = rng.pick(ODD_VERSIONS).to_string();
            }
            array.push(copy);
            description = format!("{file}: element {i} of {path:?} duplicated");
            changed.insert(file.clone());
        } else if roll < 70 && file == seed.lock && split_package(docs.get_mut(&file).unwrap(), rng) {
            // A package locked at two versions, one for older Pythons and one for newer.
            description = format!("{file}: a package split in two versions");
            changed.insert(file.clone());
        } else if roll < 75 && !arrays.is_empty() {
            let path = (*rng.pick(&arrays)).clone();
            let doc = docs.get_mut(&file).unwrap();
            let Some(Toml::Array(array)) = get_mut(doc, &path) else { continue };
            if array.is_empty() {
                continue;
            }
            let i = rng.below(array.len());
            array.remove(i);
            description = format!("{file}: element {i} of {path:?} removed");
            changed.insert(file.clone());
        } else if roll < 80 && !containers.is_empty() {
            // An empty dependency list, extra, group, table.
            let path = (*rng.pick(&containers)).clone();
            let doc = docs.get_mut(&file).unwrap();
            match get_mut(doc, &path) {
                Some(Toml::Array(array)) => array.clear(),
                Some(Toml::Table(table)) => table.clear(),
                _ => continue,
            }
            description = format!("{file}: {path:?} emptied");
            changed.insert(file.clone());
        } else if roll < 85 && !tables.is_empty() {
            let path = (*rng.pick(&tables)).clone();
            let doc = docs.get_mut(&file).unwrap();
            let Some(Toml::Table(table)) = get_mut(doc, &path) else { continue };
            let keys: Vec<String> = table.keys().cloned().collect();
            if keys.is_empty() {
                continue;
            }
            let key = rng.pick(&keys).clone();
            table.remove(&key);
            description = format!("{file}: {key} removed from {path:?}");
            changed.insert(file.clone());
        } else if roll < 93 && !tables.is_empty() {
            // A sibling under an odd name: an extra, a group, a dependency, a source.
            let path = (*rng.pick(&tables)).clone();
            let doc = docs.get_mut(&file).unwrap();
            let Some(Toml::Table(table)) = get_mut(doc, &path) else { continue };
            let keys: Vec<String> = table.keys().cloned().collect();
            if keys.is_empty() {
                continue;
            }
            let key = rng.pick(&keys).clone();
            let name = rng.pick(ODD_NAMES).to_string();
            let value = table[&key].clone();
            table.insert(name.clone(), value);
            description = format!("{file}: {key} copied as {name:?} in {path:?}");
            changed.insert(file.clone());
        } else if roll < 97 {
            empty_project(&mut docs, &seed.lock, rng.percent(70));
            description = "empty project".to_string();
            changed.extend(docs.keys().cloned());
        } else {
            description = "flags only".to_string();
        }
        mutations.push(description);
    }
    let mut files = seed.files.clone();
    for path in &changed {
        files.insert(path.clone(), toml::to_string(&docs[path]).expect("TOML values serialize"));
    }
    if rng.percent(8) {
        // A textual edit of the serialized file: a line duplicated or dropped, a fragment inserted.
        let names: Vec<String> = files.keys().filter(|p| is_toml(p)).cloned().collect();
        let path = rng.pick(&names).clone();
        let text = files[&path].clone();
        let mut lines: Vec<&str> = text.lines().collect();
        let fragment = odd_fragment(rng);
        let edited = match rng.below(3) {
            _ if lines.is_empty() => text.clone(),
            0 => {
                let i = rng.below(lines.len());
                lines.insert(i, lines[i]);
                lines.join("\n") + "\n"
            }
            1 => {
                lines.remove(rng.below(lines.len()));
                lines.join("\n") + "\n"
            }
            _ => {
                let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
                let at = *rng.pick(&boundaries);
                format!("{}{fragment}{}", &text[..at], &text[at..])
            }
        };
        mutations.push(format!("{path}: textual edit"));
        files.insert(path, edited);
    }
    Input { seed: seed.name.clone(), files, lock: seed.lock.clone(), args: flags(rng), mutations }
}

/// Locks one `[[package]]` (poetry.lock) or `[[packages]]` (pylock.toml) entry twice: the
/// copy at another version for Python 3.11 and newer, the original for older ones.
fn split_package(doc: &mut Toml, rng: &mut Rng) -> bool {
    let Toml::Table(root) = doc else { return false };
    let (key, poetry) = if root.contains_key("packages") { ("packages", false) } else { ("package", true) };
    if root.contains_key("manifest") || root.get("version").is_some_and(Toml::is_integer) {
        return false; // A uv.lock: its edges name versions.
    }
    let Some(Toml::Array(packages)) = root.get_mut(key) else { return false };
    if packages.is_empty() {
        return false;
    }
    let i = rng.below(packages.len());
    let mut copy = packages[i].clone();
    let (Toml::Table(original), Toml::Table(table)) = (&mut packages[i], &mut copy) else { return false };
    let old = original.get("version").and_then(Toml::as_str).unwrap_or("1.0").to_string();
    let new = if rng.percent(70) { format!("{old}.post7") } else { rng.pick(ODD_VERSIONS).to_string() };
    table.insert("version".into(), Toml::String(new));
    if poetry {
        original.insert("python-versions".into(), Toml::String("<3.11".into()));
        table.insert("python-versions".into(), Toml::String(">=3.11".into()));
    } else {
        let marker = original.get("marker").and_then(Toml::as_str).map(|m| format!("({m}) and ")).unwrap_or_default();
        original.insert("marker".into(), Toml::String(format!("{marker}python_version < '3.11'")));
        table.insert("marker".into(), Toml::String(format!("{marker}python_version >= '3.11'")));
    }
    packages.push(copy);
    true
}

fn looks_like_requirement(doc: &Toml, path: &[Step]) -> bool {
    matches!(path.last(), Some(Step::Index(_)))
        && matches!(get(doc, path), Some(Toml::String(s)) if s.starts_with(|c: char| c.is_ascii_alphanumeric()))
        && path.iter().any(
            |s| matches!(s, Step::Key(k) if k.contains("dependencies") || k.contains("groups") || k == "requires-dist"),
        )
}

/// A token to rename everywhere: a package name (most often), an extra or group name, a
/// version; and what it becomes.
fn pick_rename(rng: &mut Rng, docs: &BTreeMap<String, Toml>, lock: &str) -> Option<(String, String)> {
    let mut names = BTreeSet::new();
    let mut versions = BTreeSet::new();
    let mut other = BTreeSet::new();
    for (file, doc) in docs {
        let mut nodes = Vec::new();
        walk(doc, &mut Vec::new(), &mut nodes);
        for (path, kind) in &nodes {
            if *kind != "string" {
                continue;
            }
            let Some(Toml::String(s)) = get(doc, path) else { continue };
            let plain = s.len() >= 2
                && s.len() <= 60
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                && s.starts_with(|c: char| c.is_ascii_alphanumeric());
            if !plain {
                continue;
            }
            match last_key(path) {
                "name" if file == lock => names.insert(s.clone()),
                "version" => versions.insert(s.clone()),
                "extra" | "extras" | "groups" | "group" | "include-group" => other.insert(s.clone()),
                _ => false,
            };
        }
        // Keys of extras and groups tables.
        for (path, kind) in &nodes {
            let under = |k: &str| path.iter().any(|s| matches!(s, Step::Key(key) if key == k));
            if *kind == "table"
                && (under("extras")
                    || under("optional-dependencies")
                    || under("dependency-groups")
                    || under("group")
                    || under("dev-dependencies"))
                && let Some(Toml::Table(table)) = get(doc, path)
            {
                other.extend(table.keys().filter(|k| k.len() >= 2 && !k.contains("dependencies")).cloned());
            }
        }
    }
    let names: Vec<String> = names.into_iter().collect();
    let versions: Vec<String> = versions.into_iter().collect();
    let other: Vec<String> = other.into_iter().collect();
    let roll = rng.below(100);
    if roll < 55 && !names.is_empty() {
        Some((rng.pick(&names).clone(), rng.pick(ODD_NAMES).to_string()))
    } else if roll < 80 && !versions.is_empty() {
        Some((rng.pick(&versions).clone(), rng.pick(ODD_VERSIONS).to_string()))
    } else if !other.is_empty() {
        Some((rng.pick(&other).clone(), rng.pick(ODD_NAMES).to_string()))
    } else if !names.is_empty() {
        Some((rng.pick(&names).clone(), rng.pick(ODD_NAMES).to_string()))
    } else {
        None
    }
}

/// No dependencies anywhere: the lock's packages go (a uv.lock keeps its project entries, without
/// their dependencies), and with `project_too` the pyproject.toml files declare none either.
fn empty_project(docs: &mut BTreeMap<String, Toml>, lock: &str, project_too: bool) {
    for (path, doc) in docs.iter_mut() {
        let Toml::Table(table) = doc else { continue };
        if path == lock {
            if let Some(Toml::Array(packages)) = table.get_mut("package") {
                packages.retain_mut(|p| {
                    let Toml::Table(p) = p else { return false };
                    let own = matches!(p.get("source"), Some(Toml::Table(s)) if s.contains_key("virtual") || s.contains_key("editable"));
                    if own {
                        for key in ["dependencies", "optional-dependencies", "dev-dependencies"] {
                            p.remove(key);
                        }
                        if let Some(Toml::Table(metadata)) = p.get_mut("metadata") {
                            metadata.clear();
                        }
                    }
                    own
                });
            }
            table.remove("packages");
            if let Some(Toml::Table(metadata)) = table.get_mut("metadata") {
                metadata.remove("files");
            }
        } else if project_too && path.ends_with("pyproject.toml") {
            table.remove("dependency-groups");
            if let Some(Toml::Table(project)) = table.get_mut("project") {
                project.remove("dependencies");
                project.remove("optional-dependencies");
            }
            if let Some(Toml::Table(tool)) = table.get_mut("tool") {
                if let Some(Toml::Table(poetry)) = tool.get_mut("poetry") {
                    poetry.remove("group");
                    poetry.remove("extras");
                    poetry.remove("dev-dependencies");
                    if let Some(Toml::Table(deps)) = poetry.get_mut("dependencies") {
                        deps.retain(|k, _| k == "python");
                    }
                }
                if let Some(Toml::Table(uv)) = tool.get_mut("uv") {
                    uv.remove("sources");
                    uv.remove("dev-dependencies");
                }
            }
        }
    }
}

fn flags(rng: &mut Rng) -> Vec<String> {
    let mut args = Vec::new();
    if rng.percent(40) {
        args.push("--allow-missing".to_string());
    }
    if rng.percent(15) {
        let pythons = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"];
        let mut chosen: Vec<&str> = pythons.iter().copied().filter(|_| rng.percent(40)).collect();
        if chosen.is_empty() {
            chosen.push(*rng.pick(&pythons));
        }
        args.push(format!("--python={}", chosen.join(",")));
    }
    if rng.percent(10) {
        let systems = ["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"];
        args.push(format!("--system={}", rng.pick(&systems)));
    }
    if rng.percent(10) {
        args.push("--prefer=sdist".to_string());
    }
    if rng.percent(5) {
        args.push("--re-resolve".to_string());
    }
    args
}

// ------------------------------------------------------------------------------ seeds

fn read_seed_dir(name: &str, dir: &Path, max_bytes: usize) -> Option<Seed> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(here) = stack.pop() {
        for entry in std::fs::read_dir(&here).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let relative = path.strip_prefix(dir).ok()?.to_string_lossy().replace('\\', "/");
                if relative.ends_with(".md") || relative.ends_with(".json") && relative != "package.json" {
                    continue;
                }
                files.insert(relative, text);
            }
        }
    }
    let lock = ["poetry.lock", "uv.lock", "pylock.toml"]
        .into_iter()
        .map(str::to_string)
        .chain(files.keys().filter(|k| k.starts_with("pylock.") && k.ends_with(".toml") && !k.contains('/')).cloned())
        .find(|l| files.contains_key(l))?;
    (files[&lock].len() <= max_bytes).then(|| Seed { name: name.to_string(), files, lock })
}

const INLINE_UV_LOCK: &str = r#"version = 1
revision = 3
requires-python = ">=3.10"

[manifest]
members = ["app", "member"]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "member" },
    { name = "localwheel" },
    { name = "fromgit" },
    { name = "fromurl", marker = "sys_platform != 'win32'" },
]

[package.optional-dependencies]
extra-one = [{ name = "member" }]

[package.dev-dependencies]
lint = [{ name = "fromurl" }]

[package.metadata]
requires-dist = [
    { name = "member", editable = "member" },
    { name = "localwheel", path = "dist/localwheel-1.0-py3-none-any.whl" },
    { name = "fromgit", git = "https://git.example/fromgit.git?rev=v1" },
    { name = "fromurl", marker = "sys_platform != 'win32'", url = "https://files.example/fromurl-2.0.tar.gz" },
    { name = "member", marker = "extra == 'extra-one'", editable = "member" },
]
provides-extras = ["extra-one"]

[package.metadata.requires-dev]
lint = [{ name = "fromurl", url = "https://files.example/fromurl-2.0.tar.gz" }]

[[package]]
name = "member"
version = "0.2.0"
source = { editable = "member" }

[[package]]
name = "localwheel"
version = "1.0"
source = { path = "dist/localwheel-1.0-py3-none-any.whl" }
wheels = [{ filename = "localwheel-1.0-py3-none-any.whl", hash = "sha256:0000000000000000000000000000000000000000000000000000000000000001" }]

[[package]]
name = "fromgit"
version = "1.0"
source = { git = "https://git.example/fromgit.git?rev=v1#1111111111111111111111111111111111111111" }

[[package]]
name = "fromurl"
version = "2.0"
source = { url = "https://files.example/fromurl-2.0.tar.gz" }
sdist = { hash = "sha256:0000000000000000000000000000000000000000000000000000000000000002" }
"#;

const INLINE_UV_PYPROJECT: &str = r#"[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["member", "localwheel", "fromgit", "fromurl; sys_platform != 'win32'"]

[project.optional-dependencies]
extra-one = ["member"]

[dependency-groups]
lint = ["fromurl"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.uv.workspace]
members = ["member"]

[tool.uv.sources]
member = { workspace = true }
localwheel = { path = "dist/localwheel-1.0-py3-none-any.whl" }
fromgit = { git = "https://git.example/fromgit.git", rev = "v1" }
fromurl = { url = "https://files.example/fromurl-2.0.tar.gz" }
"#;

const INLINE_MEMBER_PYPROJECT: &str = "[project]\nname = \"member\"\nversion = \"0.2.0\"\n\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n";

const INLINE_POETRY_LOCK: &str = r#"[[package]]
name = "sibling"
version = "0.3.0"
description = ""
optional = false
python-versions = ">=3.9"
files = []
develop = true

[package.dependencies]
six = ">=1"

[package.source]
type = "directory"
url = "sibling"

[[package]]
name = "six"
version = "1.16.0"
description = ""
optional = false
python-versions = ">=2.7"
files = [
    {file = "six-1.16.0-py2.py3-none-any.whl", hash = "sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"},
]

[[package]]
name = "colorama"
version = "0.4.6"
description = ""
optional = true
python-versions = ">=3.7"
files = []

[package.source]
type = "git"
url = "https://git.example/colorama.git"
reference = "main"
resolved_reference = "4321bbfda9aa190acdad05eb901d3b59439f0ec9"

[[package]]
name = "wheelfile"
version = "2.0"
description = ""
optional = false
python-versions = "*"
files = [
    {file = "wheelfile-2.0-py3-none-any.whl", hash = "sha256:0000000000000000000000000000000000000000000000000000000000000003"},
]

[package.source]
type = "file"
url = "wheels/wheelfile-2.0-py3-none-any.whl"

[extras]
color = ["colorama"]

[metadata]
lock-version = "2.0"
python-versions = "^3.9"
content-hash = "0"
"#;

const INLINE_POETRY_PYPROJECT: &str = r#"[tool.poetry]
name = "poetry-app"
version = "1.2.3"
description = ""
authors = []

[tool.poetry.dependencies]
python = "^3.9"
sibling = { path = "sibling", develop = true }
colorama = { git = "https://git.example/colorama.git", branch = "main", optional = true }
wheelfile = { path = "wheels/wheelfile-2.0-py3-none-any.whl" }

[tool.poetry.extras]
color = ["colorama"]

[tool.poetry.group.test.dependencies]
six = "*"
"#;

fn inline_seeds() -> Vec<Seed> {
    let files = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
    };
    vec![
        Seed {
            name: "inline/uv-sources".into(),
            files: files(&[
                ("uv.lock", INLINE_UV_LOCK),
                ("pyproject.toml", INLINE_UV_PYPROJECT),
                ("member/pyproject.toml", INLINE_MEMBER_PYPROJECT),
            ]),
            lock: "uv.lock".into(),
        },
        Seed {
            name: "inline/poetry-sources".into(),
            files: files(&[
                ("poetry.lock", INLINE_POETRY_LOCK),
                ("pyproject.toml", INLINE_POETRY_PYPROJECT),
                ("sibling/pyproject.toml", "[tool.poetry]\nname = \"sibling\"\nversion = \"0.3.0\"\n"),
            ]),
            lock: "poetry.lock".into(),
        },
    ]
}

fn seeds(max_bytes: usize) -> Vec<Seed> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seeds = inline_seeds();
    for group in ["render", "projects"] {
        let mut dirs: Vec<PathBuf> =
            std::fs::read_dir(root.join(group)).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        for dir in dirs {
            let name = format!("fixtures/{group}/{}", dir.file_name().unwrap().to_string_lossy());
            seeds.extend(read_seed_dir(&name, &dir, usize::MAX));
        }
    }
    let report = report_path();
    if let Some(corpus) = support::corpus::locate("usable-output", &report) {
        let cases = support::corpus::find_cases(
            &corpus,
            "usable-output",
            &["poetry.lock", "uv.lock", "pylock.toml", "pylock.*.toml"],
        );
        for (name, dir) in cases {
            seeds.extend(read_seed_dir(&format!("corpus/{name}"), &dir, max_bytes));
        }
    }
    seeds
}

// ------------------------------------------------------------------------------ running

/// Where the report and the failing inputs go: `$LOCK2NIX_USABLE_OUT`, else `target/`.
fn out_dir() -> PathBuf {
    std::env::var_os(OUT_ENV)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from)
}

fn report_path() -> PathBuf {
    out_dir().join("usable-output-report.txt")
}

fn keep_dir() -> PathBuf {
    out_dir().join("usable-output")
}

/// The binary under test: `$LOCK2NIX_USABLE_BIN` (to compare another build on the same
/// inputs), else this package's.
fn binary() -> PathBuf {
    std::env::var_os(BIN_ENV)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lock2nix")), PathBuf::from)
}

/// `path` without `.` and `..` components (lexically).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A PEP 691 page per package name of `lock` listing its locked files (all versions), with the
/// lock's sha256, at made-up URLs of the server.
fn synthesized_index(lock: Option<&Lock>) -> IndexServer {
    let server = IndexServer::start();
    let Some(lock) = lock else { return server };
    let mut pages: BTreeMap<String, BTreeMap<String, Option<String>>> = BTreeMap::new();
    for package in &lock.packages {
        let files = pages.entry(package.name.to_string()).or_default();
        for file in &package.files {
            let sha256 = file.sha256().map(|sha256| sha256.hex());
            files.entry(file.filename.clone()).or_insert(sha256);
        }
    }
    for (name, files) in pages {
        let files: Vec<Value> = files
            .into_iter()
            .map(|(filename, sha256)| {
                let hashes = sha256.map_or_else(|| json!({}), |hex| json!({ "sha256": hex }));
                let url = server.url(&format!("/files/{}", percent_encode(&filename)));
                json!({ "filename": filename, "url": url, "hashes": hashes })
            })
            .collect();
        let body = json!({ "meta": { "api-version": "1.1" }, "name": name, "files": files }).to_string();
        server.route(format!("/simple/{name}/"), vec![Reply::json(body)]);
    }
    server
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `--hashes` file that pins every git source with a full commit and every url source of
/// `lock` (made-up hashes: nothing is fetched, only evaluated).
fn hashes_file(lock: &Lock) -> Option<String> {
    let mut text = String::new();
    for package in &lock.packages {
        match &package.source {
            Source::Git { url, resolved_reference: Some(rev), subdirectory, .. } if rev.len() == 40 => {
                writeln!(text, "[[git]]\nurl = {}\nrev = {}", toml_string(&url.redacted()), toml_string(rev)).unwrap();
                if let Some(subdirectory) = subdirectory {
                    writeln!(text, "subdirectory = {}", toml_string(subdirectory)).unwrap();
                }
                writeln!(
                    text,
                    "hash = \"sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\nsubmodules = false\nbuild-backend = \"setuptools.build_meta\"\nbuild-requires = [\"setuptools\"]\nbuild-source = \"pyproject.toml [build-system]\"\n"
                )
                .unwrap();
            }
            Source::Url { url, .. } => {
                writeln!(text, "[[url]]\nurl = {}\nsha256 = \"{}\"\n", toml_string(&url.redacted()), "0".repeat(64))
                    .unwrap();
            }
            _ => {}
        }
    }
    (!text.is_empty()).then_some(text)
}

fn toml_string(text: &str) -> String {
    Toml::String(text.to_string()).to_string()
}

/// What one run gave.
struct Run {
    output: Result<Output, String>,
    /// The generated file when the run exited 0 and wrote one.
    nix: Option<String>,
    dir: PathBuf,
    skipped: Option<String>,
}

/// Writes `input` into `dir`, creates the folders and files its local sources name (when they
/// stay inside the test's folder), and runs the binary.
fn run_input(input: &Input, dir: &Path, sandbox: &Path) -> Run {
    let skip = |why: String| Run { output: Err(why.clone()), nix: None, dir: dir.to_path_buf(), skipped: Some(why) };
    std::fs::create_dir_all(dir).unwrap();
    for (relative, text) in &input.files {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    // Every string of every file that could name a folder: nothing may lead out of the sandbox.
    for text in input.files.values() {
        if text.contains(&"../".repeat(DEPTH)) || text.contains(&"..\\".repeat(2)) {
            return skip("a path leads out of the test's folder".into());
        }
    }
    let lock = lock2nix::testing::lockfile::read(&dir.join(&input.lock)).ok();
    let mut args: Vec<String> = vec![
        input.lock.clone(),
        "--no-infer".into(),
        "--cache-dir".into(),
        "cache".into(),
        "-o".into(),
        "out.nix".into(),
        // Nothing but loopback answers (see below): no waiting, no retries.
        "--timeout=5".into(),
        "--retries=0".into(),
    ];
    if let Some(lock) = &lock {
        for package in &lock.packages {
            let (path, directory) = match &package.source {
                Source::Directory { path, .. } => (path, true),
                Source::File { path } | Source::Folder { path } => (path, false),
                _ => continue,
            };
            let full = normalize(&dir.join(path));
            if !full.starts_with(sandbox) {
                return skip(format!("the local source {path} is outside the test's folder"));
            }
            if full.exists() || path.contains('\0') {
                continue;
            }
            if directory {
                let _ = std::fs::create_dir_all(&full);
                let _ = std::fs::write(
                    full.join("pyproject.toml"),
                    format!(
                        "[project]\nname = {}\nversion = \"1.0\"\n\n[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n",
                        toml_string(package.name.as_ref())
                    ),
                );
            } else if let Some(parent) = full.parent() {
                let _ = std::fs::create_dir_all(parent);
                let _ = std::fs::write(&full, "not really an archive");
            }
        }
        if let Some(text) = hashes_file(lock) {
            std::fs::write(dir.join("lock2nix-hashes.toml"), text).unwrap();
            args.extend(["--hashes".into(), "lock2nix-hashes.toml".into()]);
        }
    }
    let server = synthesized_index(lock.as_ref());
    let index = server.index_url();
    args.extend(["--index-url".into(), index.clone()]);
    if let Some(lock) = &lock {
        let mut named: Vec<String> = lock
            .packages
            .iter()
            .filter_map(|p| match &p.source {
                Source::Registry { index: Some(index) } => Some(index.name.clone()),
                _ => None,
            })
            .collect();
        named.sort();
        named.dedup();
        for name in named {
            args.push(format!("--source={name}={index}"));
        }
    }
    args.extend(input.args.iter().cloned());
    let mut command = Command::new(binary());
    command.current_dir(dir).args(&args);
    support::project::hermetic(&mut command, dir);
    // Nothing but loopback: every other connection goes to a port that refuses it, and git
    // may only use local repositories.
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
        command.env(var, "http://127.0.0.1:9");
    }
    command.env("GIT_ALLOW_PROTOCOL", "file").env("GIT_SSH_COMMAND", "false").env("GIT_CONFIG_NOSYSTEM", "1");
    let output = output_within(command, RUN_TIMEOUT);
    drop(server);
    let nix = match &output {
        Ok(out) if out.status.success() => std::fs::read_to_string(dir.join("out.nix")).ok(),
        _ => None,
    };
    Run { output, nix, dir: dir.to_path_buf(), skipped: None }
}

// ------------------------------------------------------------------------------ checking

/// A success that is not usable, or a run that misbehaved.
#[derive(Debug)]
struct Finding {
    input: usize,
    class: &'static str,
    message: String,
}

/// The throws a generated file makes on purpose, each naming what cannot be had where.
fn deliberate(error: &str) -> bool {
    let flat = error.split_whitespace().collect::<Vec<_>>().join(" ");
    !flat.contains("lock2nix nix stub")
        && flat.contains("lock2nix: ")
        && (flat.contains(" cannot be installed on ")
            || flat.contains("(--allow-missing)")
            || flat.contains("a build system needs the Python package"))
}

/// The attribute set argument `{ system; python; }` list of a file's targets.
fn target_list(targets: &[(String, String)]) -> String {
    let items: Vec<String> =
        targets.iter().map(|(s, p)| format!("{{ system = {}; python = {}; }}", nix_string(s), nix_string(p))).collect();
    format!("[ {} ]", items.join(" "))
}

fn check_expression(files: &[(&Path, &[(String, String)])]) -> String {
    let calls = files
        .iter()
        .map(|(file, targets)| format!("  (check {} {})\n", nix_path(file), target_list(targets)))
        .collect::<Vec<_>>()
        .concat();
    format!(
        "let\n  harness = import {harness};\n  check = file: targets:\n    let\n      root = (import file {{ pkgs = abort \"the metadata needs no pkgs\"; }}).lock2nix.project;\n      one = t:\n        let\n          r = harness {{ overlay = file; inherit root; inherit (t) system python; }};\n          e = builtins.tryEval r.env;\n        in {{ env = if e.success then e.value else null; throws = builtins.length r.throws; }};\n    in map one targets;\nin [\n{calls}]\n",
        harness = nix_path(&nix_tests_dir().join("eval-overlay.nix")),
    )
}

/// The error of evaluating the environment of `file` on one target, without `tryEval`.
fn env_error(file: &Path, system: &str, python: &str) -> String {
    let expr = format!(
        "let file = {file}; root = (import file {{ pkgs = null; }}).lock2nix.project; in (import {harness} {{ overlay = file; inherit root; system = {system}; python = {python}; }}).env",
        file = nix_path(file),
        harness = nix_path(&nix_tests_dir().join("eval-overlay.nix")),
        system = nix_string(system),
        python = nix_string(python),
    );
    match instantiate_eval_expr(&expr) {
        Ok(text) => format!("evaluates alone to {text}"),
        Err(e) => e.stderr,
    }
}

/// `(system, python)` pairs a file was generated for.
type Targets = Vec<(String, String)>;

/// A generated file to evaluate: the input it came from, its path, its targets.
type Generated = (usize, PathBuf, Targets);

/// Evaluates the parsed successes; findings for those that fail.
fn evaluate_batch(batch: &[Generated], findings: &mut Vec<Finding>) {
    let files: Vec<(&Path, &[(String, String)])> = batch.iter().map(|(_, f, t)| (f.as_path(), t.as_slice())).collect();
    let results = match instantiate_eval_expr(&check_expression(&files)) {
        Ok(text) => serde_json::from_str::<Vec<Vec<Value>>>(&text).ok(),
        Err(_) => None,
    };
    let results = match results {
        Some(results) if results.len() == batch.len() => results,
        _ => {
            // One file stops the whole call: each alone, and each target of a failing one alone.
            let mut results = Vec::new();
            for (input, file, targets) in batch {
                match instantiate_eval_expr(&check_expression(&[(file, targets)])) {
                    Ok(text) => results.push(serde_json::from_str::<Vec<Vec<Value>>>(&text).unwrap().remove(0)),
                    Err(whole) => {
                        let failing: Vec<String> = targets
                            .iter()
                            .filter_map(|t| {
                                instantiate_eval_expr(&check_expression(&[(file, std::slice::from_ref(t))]))
                                    .err()
                                    .map(|e| format!("{}/{}: {}", t.0, t.1, short_error(&e.stderr)))
                            })
                            .collect();
                        let message = if failing.is_empty() { short_error(&whole.stderr) } else { failing.join("\n") };
                        findings.push(Finding { input: *input, class: "does not evaluate", message });
                        results.push(Vec::new());
                    }
                }
            }
            results
        }
    };
    for ((input, file, targets), result) in batch.iter().zip(results) {
        for ((system, python), r) in targets.iter().zip(&result) {
            if r["env"].as_str().is_some_and(|p| p.ends_with(".drv")) {
                continue;
            }
            let error = env_error(file, system, python);
            if !deliberate(&error) {
                findings.push(Finding {
                    input: *input,
                    class: "environment fails",
                    message: format!("{system}/{python}: {}", short_error(&error)),
                });
                break;
            }
        }
    }
}

/// Copies a failing input, its stderr and its output to `target/usable-output/<n>/`.
fn keep(n: usize, input: &Input, run: &Run) {
    let dir = keep_dir().join(n.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    for (relative, text) in &input.files {
        let path = dir.join(relative);
        let _ = std::fs::create_dir_all(path.parent().unwrap());
        let _ = std::fs::write(path, text);
    }
    let mut notes = format!("seed: {}\nargs: {:?}\n", input.seed, input.args);
    for m in &input.mutations {
        writeln!(notes, "mutation: {m}").unwrap();
    }
    if let Ok(output) = &run.output {
        writeln!(notes, "exit: {}\nstderr:\n{}", output.status, String::from_utf8_lossy(&output.stderr)).unwrap();
    }
    let _ = std::fs::write(dir.join("INPUT.txt"), notes);
    if let Ok(text) = std::fs::read_to_string(run.dir.join("out.nix")) {
        let _ = std::fs::write(dir.join("out.nix.generated"), text);
    }
}

#[test]
fn every_success_parses_and_evaluates_on_every_target() {
    if !require_nix("every_success_parses_and_evaluates_on_every_target") {
        return;
    }
    let started = Instant::now();
    let inputs: usize = std::env::var(INPUTS_ENV).ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_INPUTS);
    let seed: u64 = std::env::var(SEED_ENV).ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_SEED);
    let max_bytes: usize =
        std::env::var(SEED_BYTES_ENV).ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_SEED_BYTES);
    let seeds = seeds(max_bytes);
    let _ = std::fs::remove_dir_all(keep_dir());

    let sandbox = tempfile::tempdir().expect("a temporary directory");
    let sandbox_root = sandbox.path().canonicalize().unwrap();
    let mut deep = sandbox_root.clone();
    for k in 0..DEPTH - 1 {
        deep.push(format!("d{k}"));
    }
    let mut rng = Rng(seed);
    let mut findings: Vec<Finding> = Vec::new();
    // Parsed successes waiting for their evaluation: (input number, input, run, targets).
    let mut batch: Vec<(usize, Input, Run, Targets)> = Vec::new();
    let (mut successes, mut failures, mut skipped) = (0, 0, 0);
    let mut exits: BTreeMap<String, usize> = BTreeMap::new();
    // Per input: its seed and how its run ended, to compare two builds input by input.
    let mut runs: Vec<(String, String)> = Vec::new();
    let only: Option<BTreeSet<usize>> =
        std::env::var(ONLY_ENV).ok().map(|list| list.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    for n in 0..inputs {
        let seed_project = rng.pick(&seeds).clone();
        let input = mutate(&seed_project, &mut rng);
        'run: {
            if only.as_ref().is_some_and(|only| !only.contains(&n)) {
                runs.push((input.seed.clone(), "not run".into()));
                break 'run;
            }
            let dir = deep.join(format!("p{n}"));
            let run = run_input(&input, &dir, &sandbox_root);
            let before = findings.len();
            let mut waiting = None;
            match (&run.skipped, &run.output) {
                (Some(_), _) => {
                    skipped += 1;
                    runs.push((input.seed.clone(), "skipped".into()));
                }
                (None, Err(message)) => {
                    runs.push((input.seed.clone(), "no exit".into()));
                    findings.push(Finding { input: n, class: "hangs", message: message.clone() });
                }
                (None, Ok(output)) => {
                    let code = output.status.code().map_or("signal".into(), |c| c.to_string());
                    runs.push((input.seed.clone(), format!("exit {code}")));
                    *exits.entry(code).or_default() += 1;
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    if output.status.success() {
                        successes += 1;
                        match &run.nix {
                            None => findings.push(Finding {
                                input: n,
                                class: "exit 0 without a file",
                                message: stderr.to_string(),
                            }),
                            Some(text) => match nix_parse(&dir.join("out.nix")) {
                                Err(message) => findings.push(Finding { input: n, class: "does not parse", message }),
                                Ok(()) => waiting = Some(generated_targets(text)),
                            },
                        }
                    } else {
                        failures += 1;
                        if output.status.code() != Some(1) {
                            findings.push(Finding {
                                input: n,
                                class: "crashes",
                                message: format!("{}: {}", output.status, stderr.trim()),
                            });
                        }
                        if dir.join("out.nix").exists() {
                            findings.push(Finding {
                                input: n,
                                class: "a failed run wrote a file",
                                message: stderr.to_string(),
                            });
                        }
                    }
                }
            }
            if findings.len() > before || only.is_some() {
                keep(n, &input, &run);
            }
            match waiting {
                Some(targets) => batch.push((n, input, run, targets)),
                None => {
                    let _ = std::fs::remove_dir_all(&dir);
                }
            }
        }
        if batch.len() >= BATCH || (n + 1 == inputs && !batch.is_empty()) {
            let before = findings.len();
            let files: Vec<Generated> =
                batch.iter().map(|(n, _, run, targets)| (*n, run.dir.join("out.nix"), targets.clone())).collect();
            evaluate_batch(&files, &mut findings);
            let failed: BTreeSet<usize> = findings[before..].iter().map(|f| f.input).collect();
            for (n, input, run, _) in batch.drain(..) {
                if failed.contains(&n) {
                    keep(n, &input, &run);
                }
                let _ = std::fs::remove_dir_all(&run.dir);
            }
            // A long run reports as it goes.
            let progress = format!(
                "usable-output: {} of {inputs} inputs: {successes} exited 0, {failures} failed, {skipped} skipped; {} findings ({:.0} s)\n",
                n + 1,
                findings.len(),
                started.elapsed().as_secs_f64()
            );
            let _ = std::fs::write(report_path(), progress + &findings_text(&findings));
        }
    }
    let mut summary = format!(
        "usable-output: {inputs} inputs from {} seeds (seed {seed}): {successes} exited 0, {failures} failed, {skipped} skipped; exit codes {exits:?}; {} findings ({:.0} s)",
        seeds.len(),
        findings.len(),
        started.elapsed().as_secs_f64()
    );
    let mut by_class: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &findings {
        *by_class.entry(f.class).or_default() += 1;
    }
    write!(summary, " {by_class:?}").unwrap();
    let report = format!("{summary}\n{}", findings_text(&findings));
    let _ = std::fs::write(report_path(), &report);
    let mut lines = String::new();
    for (n, (seed, ended)) in runs.iter().enumerate() {
        let classes: Vec<&str> = findings.iter().filter(|f| f.input == n).map(|f| f.class).collect();
        writeln!(lines, "{n}\t{seed}\t{ended}\t{}", if classes.is_empty() { "-".into() } else { classes.join(", ") })
            .unwrap();
    }
    let _ = std::fs::write(out_dir().join("usable-output-runs.tsv"), lines);
    eprintln!("{summary}");
    assert!(findings.is_empty(), "{report}");
}

fn findings_text(findings: &[Finding]) -> String {
    let mut text = String::new();
    for f in findings {
        writeln!(text, "\n--- input {} [{}]\n{}", f.input, f.class, f.message.trim_end()).unwrap();
    }
    text
}

// ------------------------------------------------------------------------------ regressions

// One reproducing input per class of unusable success the property found, each made small.

use support::project::{Project, run_text, stderr};

const SIX_WHEEL: &str = "{ url = \"https://files.example/six-1.16.0-py2.py3-none-any.whl\", hash = \"sha256:0000000000000000000000000000000000000000000000000000000000000001\" }";

/// A uv.lock of a virtual project `app` (version `app_version`) that depends on `six` locked at
/// `six_version` with `wheels`.
fn uv_lock(app_version: &str, six_version: &str, wheels: &str) -> String {
    format!(
        "version = 1\nrevision = 3\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"app\"\nversion = {}\nsource = {{ virtual = \".\" }}\ndependencies = [{{ name = \"six\" }}]\n\n[[package]]\nname = \"six\"\nversion = {}\nsource = {{ registry = \"https://pypi.org/simple\" }}\nwheels = [{wheels}]\n",
        toml_string(app_version),
        toml_string(six_version)
    )
}

fn uv_project(lock: &str, pyproject_version: &str) -> Project {
    let project = Project::empty();
    let pyproject = format!(
        "[project]\nname = \"app\"\nversion = {}\nrequires-python = \">=3.12\"\ndependencies = [\"six\"]\n",
        toml_string(pyproject_version)
    );
    project.write("uv.lock", lock).write("pyproject.toml", &pyproject);
    project
}

/// Runs `lock2nix --no-infer -o out.nix LOCK` (no network needed).
fn generate(project: &Project, lock: &str) -> Output {
    project.run(&["--no-infer", "-o", "out.nix", lock])
}

/// The run of a failed input, which wrote nothing, for an inline snapshot (the project's folder
/// as `[TMP]`).
fn input_error(out: &Output, project: &Project) -> String {
    assert!(project.read("out.nix").is_none(), "nothing is written");
    run_text(out, &[(project.path_text(), "[TMP]")])
}

/// The run succeeded and `out.nix` parses and evaluates on every target it was made for.
fn assert_usable(out: &Output, project: &Project) -> String {
    assert!(out.status.success(), "{}", stderr(out));
    let file = project.join("out.nix");
    let text = project.read("out.nix").expect("a file is written");
    if let Err(e) = nix_parse(&file) {
        panic!("{e}\n{text}");
    }
    let mut findings = Vec::new();
    evaluate_batch(&[(0, file, generated_targets(&text))], &mut findings);
    assert!(findings.is_empty(), "{findings:?}\n{text}");
    text
}

#[test]
fn versions_are_written_without_the_whitespace_pep_440_allows_around_them() {
    // `1.16.0\n` and ` 0.1.0 ` are PEP 440 versions; written as they were, the derivation names
    // held a newline and spaces, which Nix refuses in a store path.
    if !require_nix("versions_are_written_without_the_whitespace_pep_440_allows_around_them") {
        return;
    }
    let project = uv_project(&uv_lock(" 0.1.0 ", "1.16.0\n", SIX_WHEEL), "0.1.0\t");
    let text = assert_usable(&generate(&project, "uv.lock"), &project);
    assert_eq!(support::quoted_values(&text, "version"), ["1.16.0", "0.1.0"], "{text}");

    let project = Project::fixture("poetry-2.0");
    project.write(
        "pyproject.toml",
        &project.read("pyproject.toml").unwrap().replacen("version = \"0.1.0\"", "version = \" 0.1.0 \"", 1),
    );
    let parsed = lock2nix::testing::project::read(&project.join("pyproject.toml")).unwrap();
    assert_eq!(parsed.version.as_deref(), Some("0.1.0"));

    // The project's version need not be PEP 440, as long as Nix can name the derivation.
    let project = uv_project(&uv_lock("latest", "1.16.0", SIX_WHEEL), "latest");
    let text = assert_usable(&generate(&project, "uv.lock"), &project);
    assert_eq!(support::quoted_values(&text, "version"), ["1.16.0", "latest"], "{text}");
    let project = uv_project(&uv_lock("1.0 beta", "1.16.0", SIX_WHEEL), "1.0 beta");
    std::fs::remove_file(project.join("uv.lock")).unwrap();
    let poetry =
        "[tool.poetry]\nname = \"app\"\nversion = \"1.0 beta\"\n\n[tool.poetry.dependencies]\npython = \">=3.12\"\n";
    project.write("pyproject.toml", poetry).write(
        "poetry.lock",
        "[metadata]\nlock-version = \"2.0\"\npython-versions = \">=3.12\"\ncontent-hash = \"0\"\n",
    );
    let out = generate(&project, "poetry.lock");
    insta::assert_snapshot!(input_error(&out, &project), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: pyproject.toml: the project: Nix cannot name the derivation `python3.XY-app-1.0 beta` and its `-dist` output (a store path name may not hold ` `)
    ");
}

#[test]
fn a_version_with_an_epoch_is_an_input_error_where_the_file_would_hold_it() {
    // `1!2.0` is a PEP 440 version, but no derivation name may hold its `!`.
    let project = uv_project(&uv_lock("0.1.0", "1!1.16.0", SIX_WHEEL), "0.1.0");
    let out = generate(&project, "uv.lock");
    insta::assert_snapshot!(input_error(&out, &project), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: uv.lock: package `six==1!1.16.0`: Nix cannot name the derivation `python3.XY-six-1!1.16.0` and its `-dist` output (a store path name may not hold `!`: the version has an epoch, which no derivation name can hold)
    ");

    let project = Project::inline(
        "[metadata]\nlock-version = \"2.0\"\npython-versions = \">=3.12\"\ncontent-hash = \"0\"\n",
        "[tool.poetry]\nname = \"app\"\nversion = \"2!0.1.0\"\n\n[tool.poetry.dependencies]\npython = \">=3.12\"\n",
    );
    let out = generate(&project, "poetry.lock");
    insta::assert_snapshot!(input_error(&out, &project), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: pyproject.toml: the project: Nix cannot name the derivation `python3.XY-app-2!0.1.0` and its `-dist` output (a store path name may not hold `!`: the version has an epoch, which no derivation name can hold)
    ");

    // A locked package the project does not install is not written: its epoch does not matter.
    if !require_nix("a_version_with_an_epoch_is_an_input_error_where_the_file_would_hold_it") {
        return;
    }
    let unused = "\n[[package]]\nname = \"old\"\nversion = \"1!0.5\"\nsource = { registry = \"https://pypi.org/simple\" }\nwheels = [{ url = \"https://files.example/old-1!0.5-py3-none-any.whl\", hash = \"sha256:0000000000000000000000000000000000000000000000000000000000000002\" }]\n";
    let project = uv_project(&(uv_lock("0.1.0", "1.16.0", SIX_WHEEL) + unused), "0.1.0");
    let text = assert_usable(&generate(&project, "uv.lock"), &project);
    assert!(!text.contains("1!0.5"), "{text}");
}

#[test]
fn a_file_nix_cannot_store_under_its_name_is_an_input_error() {
    // The file keeps its name in the store: a `$`, a space, a `/` or more than 211 characters
    // made fetchurl refuse it.
    let wheel = |url: &str| {
        format!(
            "{{ url = {}, hash = \"sha256:0000000000000000000000000000000000000000000000000000000000000001\" }}",
            toml_string(url)
        )
    };
    let project = uv_project(
        &uv_lock("0.1.0", "1.16.0", &wheel("https://files.example/$six-1.16.0-py2.py3-none-any.whl")),
        "0.1.0",
    );
    let out = generate(&project, "uv.lock");
    insta::assert_snapshot!(input_error(&out, &project), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: uv.lock: package `six==1.16.0`: file `$six-1.16.0-py2.py3-none-any.whl`: Nix cannot store a file under this name (a store path name may not hold `$`)
    ");

    // Twelve platform tags (more than 16 in one set is no wheel name at all).
    let long = format!("six-1.16.0-py2.py3-none-{}.whl", ["manylinux_2_17_x86_64"; 12].join("."));
    let project = uv_project(&uv_lock("0.1.0", "1.16.0", &wheel(&format!("https://files.example/{long}"))), "0.1.0");
    let out = generate(&project, "uv.lock");
    insta::assert_snapshot!(input_error(&out, &project), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: uv.lock: package `six==1.16.0`: file `six-1.16.0-py2.py3-none-manylinux_2_17_x86_64.manylinux_2_17_x86_64.manylinux_2_17_x86_64.manylinux_2_17_x86_64.manylinux_2_17_x86_64.manylinux_2_17_x86_64.manylinux_2_17_x86_64.manylinux_2_17_x86_64.manylinux_2_17_x86_64.manylinux_2_17_x86_64.manylinux_2_17_x86_64.manylinux_2_17_x86_64.whl`: Nix cannot store a file under this name (291 characters, more than the 211 of a store path name)
    ");
}

#[test]
fn a_derivation_name_longer_than_nix_allows_is_an_input_error() {
    let version = format!("0.1+{}", "a".repeat(200));
    let project = uv_project(&uv_lock(&version, "1.16.0", SIX_WHEEL), &version);
    let out = generate(&project, "uv.lock");
    insta::assert_snapshot!(input_error(&out, &project), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: pyproject.toml: the project: Nix cannot name the derivation `python3.XY-app-0.1+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` and its `-dist` output (224 characters, more than the 211 of a store path name)
    ");
}

/// A poetry.lock holding the develop path dependency `sibling` at two versions, one per range
/// of Pythons, in `folders`.
fn two_develop_versions(folders: [&str; 2]) -> Project {
    let package = |version: &str, python: &str, folder: &str| {
        format!(
            "[[package]]\nname = \"sibling\"\nversion = \"{version}\"\ndescription = \"\"\noptional = false\npython-versions = \"{python}\"\nfiles = []\ndevelop = true\n\n[package.source]\ntype = \"directory\"\nurl = \"{folder}\"\n\n"
        )
    };
    let lock = format!(
        "{}{}[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\ncontent-hash = \"0\"\n",
        package("0.3.0", "<3.11", folders[0]),
        package("0.4.0", ">=3.11", folders[1])
    );
    let project = Project::inline(
        &lock,
        &format!(
            "[tool.poetry]\nname = \"app\"\nversion = \"1.0\"\n\n[tool.poetry.dependencies]\npython = \"^3.9\"\nsibling = {{ path = \"{}\", develop = true }}\n",
            folders[0]
        ),
    );
    for folder in folders {
        project.write(
            &format!("{folder}/pyproject.toml"),
            "[project]\nname = \"sibling\"\nversion = \"0.3.0\"\n\n[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n",
        );
    }
    project
}

#[test]
fn a_develop_folder_locked_at_two_versions_is_listed_once_for_the_dev_shell() {
    // Each version listed its folder under the same attribute of `editable`: a duplicate
    // attribute, which `nix-instantiate --parse` rejects.
    if !require_nix("a_develop_folder_locked_at_two_versions_is_listed_once_for_the_dev_shell") {
        return;
    }
    let project = two_develop_versions(["sibling", "sibling"]);
    let text = assert_usable(&generate(&project, "poetry.lock"), &project);
    assert_eq!(text.matches("      sibling = {").count(), 1, "{text}");

    let project = two_develop_versions(["sibling", "sibling-next"]);
    let out = generate(&project, "poetry.lock");
    insta::assert_snapshot!(input_error(&out, &project), @"
    exit code: 1
    ----- stderr -----
    lock2nix: error: poetry.lock: package `sibling` is a develop path dependency in two folders, `sibling` and `sibling-next` (at marker-disjoint versions); a dev shell installs one folder per package editable, so give both versions the same folder or make one of them `develop = false`
    ");
}

// ------------------------------------------------------------------------------ empty projects

/// A uv.lock of the virtual project `app` with `dependencies` (a TOML array) and `packages`
/// (`[[package]]` tables).
fn app_lock(dependencies: &str, packages: &str) -> String {
    format!(
        "version = 1\nrevision = 3\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\ndependencies = {dependencies}\n{packages}"
    )
}

/// A uv.lock with neither a package nor a manifest, as uv writes it for a pyproject.toml
/// without a `[project]` table.
const STUB_UV_LOCK: &str = "version = 1\nrevision = 3\nrequires-python = \">=3.12\"\n";

fn six_with(wheel_tags: &str) -> String {
    format!(
        "\n[[package]]\nname = \"six\"\nversion = \"1.16.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\nwheels = [{{ url = \"https://files.example/six-1.16.0-{wheel_tags}.whl\", hash = \"sha256:0000000000000000000000000000000000000000000000000000000000000001\" }}]\n"
    )
}

#[test]
fn an_empty_project_succeeds_with_a_warning_that_names_the_lock_and_says_why() {
    if !require_nix("an_empty_project_succeeds_with_a_warning_that_names_the_lock_and_says_why") {
        return;
    }
    let cases = [
        (app_lock("[]", ""), "uv.lock locks no package; the file holds only the project's attribute"),
        // uv's stub beside a project it does not manage (Textual's): nothing locked, no root.
        (STUB_UV_LOCK.to_string(), "uv.lock locks no package; the file holds only the project's attribute"),
        // A root project missing from the lock: uv installs nothing from it, and it is stale.
        (
            format!("{STUB_UV_LOCK}{}", six_with("py2.py3-none-any")),
            "uv.lock locks 1 package, but names neither a root project nor a workspace member that installs it; if pyproject.toml declares a project, run `uv lock`; the file holds only the project's attribute",
        ),
        (
            app_lock("[]", &six_with("py2.py3-none-any")),
            "uv.lock locks 1 package, but the project declares no dependency, group or extra that installs it; the file holds only the project's attribute",
        ),
        (
            app_lock("[{ name = \"six\", marker = \"sys_platform == 'win32'\" }]", &six_with("py2.py3-none-any")),
            "uv.lock locks 1 package, but the markers and Python constraints of the project's dependencies install it on none of the 12 targets; the file holds only the project's attribute",
        ),
        (
            app_lock("[{ name = \"six\" }]", &six_with("cp312-cp312-win_amd64")),
            "of the packages uv.lock locks, those the project installs (six 1.16.0) have no file that fits any of the 12 targets; the environment would hold only the project's attribute; its packages throw when built",
        ),
    ];
    for (lock, why) in cases {
        let project = uv_project(&lock, "0.1.0");
        let out = generate(&project, "uv.lock");
        let err = stderr(&out);
        let warnings: Vec<&str> = err.lines().filter(|line| line.contains("empty project")).collect();
        assert_eq!(warnings, [format!("lock2nix: warning: empty project: {why}")], "{err}");
        assert_usable(&out, &project);
    }
    // A project with a dependency that installs somewhere is not empty.
    let project = uv_project(&app_lock("[{ name = \"six\" }]", &six_with("py2.py3-none-any")), "0.1.0");
    let out = generate(&project, "uv.lock");
    assert!(!stderr(&out).contains("empty project"), "{}", stderr(&out));
    // `-q` silences it with every other warning.
    let project = uv_project(&app_lock("[]", ""), "0.1.0");
    let out = project.run(&["--no-infer", "-q", "-o", "out.nix", "uv.lock"]);
    assert!(out.status.success() && out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn a_git_url_fetchgit_cannot_name_a_checkout_after_gets_a_name() {
    // nixpkgs' fetchgit names the checkout after the URL's last part (`from%20git-1111111`),
    // which Nix refused as a store path name.
    if !require_nix("a_git_url_fetchgit_cannot_name_a_checkout_after_gets_a_name") {
        return;
    }
    let lock = app_lock(
        "[{ name = \"fromgit\" }]",
        "\n[[package]]\nname = \"fromgit\"\nversion = \"1.0\"\nsource = { git = \"https://git.example/from%20git.git?rev=v1#1111111111111111111111111111111111111111\" }\n",
    );
    let project = uv_project(&lock, "0.1.0");
    let read = lock2nix::testing::lockfile::read(&project.join("uv.lock")).unwrap();
    project.write("hashes.toml", &hashes_file(&read).unwrap());
    let out = project.run(&["--no-infer", "--hashes", "hashes.toml", "-o", "out.nix", "uv.lock"]);
    let text = assert_usable(&out, &project);
    insta::assert_snapshot!(support::attribute(&text, "fromgit"), @r#"
    fromgit = final.buildPythonPackage {
      pname = "fromgit";
      version = "1.0";
      pyproject = true;
      src = fetchgit {
        name = "source";
        url = "https://git.example/from%20git.git";
        rev = "1111111111111111111111111111111111111111";
        hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        fetchSubmodules = false;
      };
      # lock2nix: inferred: build system setuptools.build_meta from its pyproject.toml [build-system]
      build-system = [ prev.setuptools ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);
}
