//! A throw-away project directory for running the `lock2nix` binary: a poetry.lock and a
//! pyproject.toml (from `tests/fixtures/projects/<name>/` or written inline), a cache
//! directory inside it, and a runner that never reaches the real network.
//!
//! ```ignore
//! let project = Project::fixture("poetry-2.0");
//! let out = project.run(&["--index-url", &server.index_url(), "-o", "out.nix"]);
//! assert!(out.status.success(), "{}", stderr(&out));
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use tempfile::TempDir;

/// The cache directory every run uses, relative to the project directory (relative, so the
/// command recorded in the generated header is the same from one temporary directory to
/// the next).
pub const CACHE_DIR: &str = "cache";

pub struct Project {
    dir: TempDir,
}

impl Project {
    /// An empty project directory.
    pub fn empty() -> Self {
        Self { dir: tempfile::tempdir().expect("create a temporary directory") }
    }

    /// A copy of `tests/fixtures/projects/<name>/` (its poetry.lock and pyproject.toml).
    pub fn fixture(name: &str) -> Self {
        let project = Self::empty();
        let source = fixture_dir(name);
        for file in ["poetry.lock", "pyproject.toml"] {
            let from = source.join(file);
            if from.exists() {
                project.write(file, &read(&from));
            }
        }
        project
    }

    /// A project with this lock and pyproject text.
    pub fn inline(lock: &str, pyproject: &str) -> Self {
        let project = Self::empty();
        project.write("poetry.lock", lock);
        project.write("pyproject.toml", pyproject);
        project
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The project's folder as messages print it, for a `[TMP]` filter of [`run_text`].
    pub fn path_text(&self) -> &str {
        self.dir.path().to_str().expect("a UTF-8 temporary folder")
    }

    /// `relative` inside the project directory.
    pub fn join(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn write(&self, relative: &str, text: &str) -> &Self {
        let path = self.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the parent directory");
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        self
    }

    /// The text of `relative`, or `None` when it does not exist.
    pub fn read(&self, relative: &str) -> Option<String> {
        std::fs::read_to_string(self.join(relative)).ok()
    }

    pub fn remove(&self, relative: &str) -> &Self {
        std::fs::remove_file(self.join(relative)).expect("remove the file");
        self
    }

    /// Rewrites poetry.lock through `edit`, asserting that the edit changed something.
    pub fn edit_lock(&self, edit: impl FnOnce(&str) -> String) -> &Self {
        let before = self.read("poetry.lock").expect("the project has a poetry.lock");
        let after = edit(&before);
        assert_ne!(before, after, "the lock edit changed nothing");
        self.write("poetry.lock", &after)
    }

    /// Runs `lock2nix` in the project directory with `--cache-dir cache` and `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--cache-dir", CACHE_DIR];
        all.extend_from_slice(args);
        self.run_bare(&all)
    }

    /// Runs `lock2nix` in the project directory with exactly `args`.
    pub fn run_bare(&self, args: &[&str]) -> Output {
        self.run_with_env(args, &[])
    }

    /// [`Self::run_bare`] with these environment variables set.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lock2nix"));
        command.args(args).current_dir(self.path());
        hermetic(&mut command, self.path());
        command.envs(env.iter().copied());
        command.output().expect("run lock2nix")
    }

    /// Every regular file under `relative` (recursively), as (path, bytes).
    pub fn files_under(&self, relative: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![self.join(relative)];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.push((path, bytes));
                }
            }
        }
        out.sort();
        out
    }

    /// Everything a run showed or left behind, as (what, text): its stdout and stderr, the
    /// files it wrote in the project folder (the output, the `--hashes` file) and, under
    /// `cache`, each file's name and content. For tests that grep for a secret.
    pub fn everything_written(&self, output: &Output) -> Vec<(String, String)> {
        let mut texts = vec![("stderr".to_string(), stderr(output)), ("stdout".to_string(), stdout(output))];
        for (path, bytes) in self.files_under(".") {
            let relative = path.strip_prefix(self.path()).unwrap().display().to_string();
            texts.push((format!("{relative} (name)"), relative.clone()));
            texts.push((relative, String::from_utf8_lossy(&bytes).into_owned()));
        }
        texts
    }
}

/// Nothing from the environment may point the binary at another index, cache or proxy, and
/// a default cache (when a test forgets --cache-dir) stays inside `home`.
pub fn hermetic(command: &mut Command, home: &Path) {
    for var in [
        "LOCK2NIX_INDEX_URL",
        "LOCK2NIX_CACHE_DIR",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        command.env_remove(var);
    }
    // Nor may the machine's credentials reach a test.
    command.env_remove("NETRC");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("POETRY_HTTP_BASIC_") {
            command.env_remove(name);
        }
    }
    command.env("NO_PROXY", "127.0.0.1").env("no_proxy", "127.0.0.1");
    command.env("XDG_CACHE_HOME", home.join("xdg-cache")).env("HOME", home);
}

/// For runs against the live index: nothing from the environment may point the binary at
/// another index or cache, but a proxy the machine needs to reach PyPI is kept.
pub fn hermetic_live(command: &mut Command, home: &Path) {
    command.env_remove("LOCK2NIX_INDEX_URL").env_remove("LOCK2NIX_CACHE_DIR");
    command.env("XDG_CACHE_HOME", home.join("xdg-cache")).env("HOME", home);
}

/// `tests/fixtures/projects/<name>/`.
pub fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/projects").join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The SRI form (`sha256-<base64>`) of a hex sha256, as Nix's `hash` attribute wants it.
pub fn sri(hex: &str) -> String {
    assert_eq!(hex.len(), 64, "a sha256 is 64 hex digits: {hex}");
    let bytes: Vec<u8> = (0..32).map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).unwrap()).collect();
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The generated text without its second line (the recorded command), for comparing runs
/// whose command lines differ on purpose.
pub fn without_command(nix: &str) -> String {
    let mut lines: Vec<&str> = nix.lines().collect();
    assert!(
        lines.first().is_some_and(|l| l.starts_with("# This file was generated by lock2nix"))
            && lines.get(1).is_some_and(|l| l.starts_with("#   lock2nix")),
        "unexpected header:\n{}",
        lines.iter().take(3).copied().collect::<Vec<_>>().join("\n")
    );
    lines.remove(1);
    lines.join("\n")
}

/// A PEP 691 page for `project` listing `(file name, url, sha256 hex)`.
pub fn json_page(project: &str, files: &[(&str, &str, &str)]) -> String {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|(filename, url, sha256)| {
            serde_json::json!({"filename": filename, "url": url, "hashes": {"sha256": sha256}, "yanked": false})
        })
        .collect();
    serde_json::json!({"meta": {"api-version": "1.1"}, "name": project, "files": files}).to_string()
}

/// A whole run as text, for an inline snapshot: its exit code, then standard output and standard
/// error where they are not empty, through [`filtered`], so that temporary folders, loopback
/// ports and timings do not show (as uv's snapshot filters do).
pub fn run_text(output: &Output, filters: &[(&str, &str)]) -> String {
    run_text_showing(output, &String::from_utf8_lossy(&output.stdout), filters)
}

/// [`run_text`] of a run that printed a generated file, which shows as `[NIX]` (tests pin the
/// parts they are about, or compare the whole with another run, elsewhere).
pub fn run_text_generated(output: &Output, filters: &[(&str, &str)]) -> String {
    let printed = stdout(output);
    assert!(printed.starts_with("# This file was generated by lock2nix"), "stdout is no generated file:\n{printed}");
    run_text_showing(output, "[NIX]\n", filters)
}

fn run_text_showing(output: &Output, shown_stdout: &str, filters: &[(&str, &str)]) -> String {
    let code = output.status.code().map_or_else(|| "none (a signal)".to_string(), |c| c.to_string());
    let mut text = format!("exit code: {code}\n");
    for (name, shown) in [("stdout", shown_stdout.to_string()), ("stderr", stderr(output))] {
        if !shown.is_empty() {
            let _ = write!(text, "----- {name} -----\n{shown}");
        }
    }
    filtered(&text, filters)
}

/// `text` with what lies between each `start` and the next `end` shown as `placeholder`: for
/// the output of another tool that a message quotes (git's, with curl's timings), which
/// varies with that tool's version and the machine.
pub fn elided(text: &str, start: &str, end: &str, placeholder: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(start) {
        let after = at + start.len();
        let Some(length) = rest[after..].find(end) else { break };
        out.push_str(&rest[..after]);
        out.push_str(placeholder);
        rest = &rest[after + length..];
    }
    out.push_str(rest);
    out
}

/// `filters` held as owned strings, as [`run_text`] and [`filtered`] take them.
pub fn borrowed(filters: &[(String, String)]) -> Vec<(&str, &str)> {
    filters.iter().map(|(from, to)| (from.as_str(), to.as_str())).collect()
}

/// `text` with each `(text, placeholder)` of `filters` replaced in order (put the longer of two
/// overlapping texts first: a URL before the folder in it), and the timings of `-v`'s
/// `lock2nix: parse …, resolve …` line as `[TIME]`.
pub fn filtered(text: &str, filters: &[(&str, &str)]) -> String {
    let mut text = text.to_string();
    for (from, to) in filters.iter().filter(|(from, _)| !from.is_empty()) {
        text = text.replace(from, to);
    }
    let lines: Vec<String> = text
        .split_inclusive('\n')
        .map(|line| {
            if line.starts_with("lock2nix: parse ") && line.contains(", plan + render ") {
                let end = if line.ends_with('\n') { "\n" } else { "" };
                format!("lock2nix: parse [TIME], resolve [TIME], fetch [TIME], plan + render [TIME]{end}")
            } else {
                line.to_string()
            }
        })
        .collect();
    lines.concat()
}
