//! Running `nix-instantiate` / `nix-build` from tests, against the nix stub in
//! `nix/stub/` (nixpkgs itself is not available to the tests).
//!
//! Every Nix test starts with [`require_nix`]: when Nix is not installed the
//! test FAILS with a hint to install `nix-bin`, unless `LOCK2NIX_SKIP_NIX_TESTS=1`
//! is set, in which case it prints that it was skipped and returns early.
// A test binary has no API: `pub` here only shares helpers between test binaries.
#![allow(unreachable_pub)]
#![allow(dead_code)]
// Tests print what they leave out.
#![allow(clippy::print_stderr)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Set to `1` to skip (loudly) every test that needs Nix.
pub const SKIP_ENV: &str = "LOCK2NIX_SKIP_NIX_TESTS";
/// Absolute path of the Python the stub really builds with (default: `python3` on PATH).
pub const HOST_PYTHON_ENV: &str = "LOCK2NIX_HOST_PYTHON";

/// Settings every invocation gets: no sandbox and no build users (tests run as
/// an ordinary process, often as root in a container), and no binary cache
/// (the stub's derivations are never in one, and the machine may be offline).
pub const NIX_SETTINGS: &str =
    "sandbox = false\nbuild-users-group =\nexperimental-features = nix-command flakes\nsubstituters =";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn stub_dir() -> PathBuf {
    repo_root().join("nix").join("stub")
}

pub fn nix_tests_dir() -> PathBuf {
    repo_root().join("nix").join("tests")
}

/// Whether `nix-instantiate` and `nix-build` can be run.
pub fn nix_available() -> bool {
    ["nix-instantiate", "nix-build"]
        .iter()
        .all(|program| Command::new(program).arg("--version").output().map(|o| o.status.success()).unwrap_or(false))
}

/// Call first in every Nix test: `if !require_nix("name") { return; }`.
/// Panics when Nix is missing and the tests were not explicitly skipped.
pub fn require_nix(test: &str) -> bool {
    if std::env::var(SKIP_ENV).map(|v| v == "1").unwrap_or(false) {
        eprintln!("SKIPPED {test}: {SKIP_ENV}=1 is set, Nix tests are not run");
        return false;
    }
    assert!(
        nix_available(),
        "{test}: nix-instantiate/nix-build not found. The Nix tests need Nix \
         (Debian/Ubuntu: `apt-get install -y nix-bin`); set {SKIP_ENV}=1 to skip them explicitly."
    );
    true
}

/// One command-line argument of nix-instantiate / nix-build.
#[derive(Debug, Clone)]
pub enum NixArg {
    /// `--arg NAME EXPR` (a Nix expression, e.g. a path literal or `true`).
    Expr(String, String),
    /// `--argstr NAME VALUE`.
    Str(String, String),
    /// `-A ATTRPATH`.
    Attr(String),
}

pub fn arg(name: &str, expr: &str) -> NixArg {
    NixArg::Expr(name.to_owned(), expr.to_owned())
}

pub fn argstr(name: &str, value: &str) -> NixArg {
    NixArg::Str(name.to_owned(), value.to_owned())
}

/// `--arg NAME /absolute/path` (a Nix path literal).
pub fn arg_path(name: &str, path: &Path) -> NixArg {
    let abs = std::path::absolute(path).expect("absolute path");
    let text = abs.to_str().expect("UTF-8 path");
    assert!(!text.contains(char::is_whitespace), "path with whitespace cannot be passed as a Nix path literal: {text}");
    NixArg::Expr(name.to_owned(), text.to_owned())
}

pub fn attr(path: &str) -> NixArg {
    NixArg::Attr(path.to_owned())
}

/// A failed Nix invocation, with its output.
#[derive(Debug)]
pub struct NixError {
    pub command: String,
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for NixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` failed (exit {:?})\n--- stderr ---\n{}\n--- stdout ---\n{}",
            self.command, self.status, self.stderr, self.stdout
        )
    }
}

impl std::error::Error for NixError {}

fn nix_command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    let settings = match std::env::var("NIX_CONFIG") {
        Ok(existing) if !existing.trim().is_empty() => format!("{existing}\n{NIX_SETTINGS}"),
        _ => NIX_SETTINGS.to_owned(),
    };
    cmd.env("NIX_CONFIG", settings);
    cmd
}

fn push_args(cmd: &mut Command, args: &[NixArg]) {
    for a in args {
        match a {
            NixArg::Expr(n, v) => cmd.args(["--arg", n, v]),
            NixArg::Str(n, v) => cmd.args(["--argstr", n, v]),
            NixArg::Attr(p) => cmd.args(["-A", p]),
        };
    }
}

fn run(mut cmd: Command) -> Result<String, NixError> {
    let command = format!("{cmd:?}");
    let output = cmd.output().map_err(|e| NixError {
        command: command.clone(),
        status: None,
        stdout: String::new(),
        stderr: format!("could not run: {e}"),
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(NixError { command, status: output.status.code(), stdout, stderr })
    }
}

/// `nix-instantiate --eval --strict --json FILE ARGS…`; the JSON text on success.
pub fn instantiate_eval(expr_file: &Path, args: &[NixArg]) -> Result<String, NixError> {
    let mut cmd = nix_command("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json"]).arg(expr_file);
    push_args(&mut cmd, args);
    run(cmd).map(|s| s.trim().to_owned())
}

/// `nix-instantiate --eval --strict --json -E EXPR`; the JSON text on success.
pub fn instantiate_eval_expr(expr: &str) -> Result<String, NixError> {
    let mut cmd = nix_command("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json", "-E", expr]);
    run(cmd).map(|s| s.trim().to_owned())
}

/// [`instantiate_eval`], parsed.
pub fn instantiate_eval_json(expr_file: &Path, args: &[NixArg]) -> Result<serde_json::Value, NixError> {
    let text = instantiate_eval(expr_file, args)?;
    serde_json::from_str(&text).map_err(|e| NixError {
        command: format!("nix-instantiate --eval {}", expr_file.display()),
        status: Some(0),
        stdout: text,
        stderr: format!("output is not JSON: {e}"),
    })
}

/// `nix-build FILE ARGS… --out-link OUT_LINK`; the realised output path.
pub fn nix_build(expr_file: &Path, args: &[NixArg], out_link: &Path) -> Result<PathBuf, NixError> {
    let mut cmd = nix_command("nix-build");
    cmd.arg(expr_file).arg("--out-link").arg(out_link);
    push_args(&mut cmd, args);
    let stdout = run(cmd)?;
    let last = stdout.lines().last().unwrap_or_default().trim().to_owned();
    Ok(PathBuf::from(last))
}

/// The absolute path of `git` on PATH.
pub fn host_git() -> PathBuf {
    let path = std::env::var_os("PATH").expect("PATH");
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join("git");
        if candidate.is_file() {
            return candidate.canonicalize().unwrap();
        }
    }
    panic!("git is not on PATH");
}

/// The real CPython to build with: `$LOCK2NIX_HOST_PYTHON`, else `python3` on
/// PATH, resolved (through shims such as pyenv's) to its absolute executable.
#[expect(clippy::unnecessary_debug_formatting, reason = "the failure quotes the reported path as it always did")]
pub fn host_python() -> PathBuf {
    let candidate = std::env::var(HOST_PYTHON_ENV).unwrap_or_else(|_| "python3".to_owned());
    let output = Command::new(&candidate)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run host Python `{candidate}` (set {HOST_PYTHON_ENV}): {e}"));
    assert!(output.status.success(), "host Python `{candidate}` failed: {}", String::from_utf8_lossy(&output.stderr));
    let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    assert!(path.is_absolute(), "host Python reported a relative sys.executable: {path:?}");
    path
}

/// `"3.11"` for the given Python.
pub fn python_version(python: &Path) -> String {
    let output = Command::new(python)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .expect("run host Python");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Whether `python -c CODE` succeeds.
pub fn python_can(python: &Path, code: &str) -> bool {
    Command::new(python).args(["-c", code]).output().map(|o| o.status.success()).unwrap_or(false)
}

/// `nix-build -E EXPR -A ATTR --out-link OUT_LINK`; the realised output path.
pub fn nix_build_expr(expr: &str, attr: &str, out_link: &Path) -> Result<PathBuf, NixError> {
    let mut cmd = nix_command("nix-build");
    cmd.args(["-E", expr, "-A", attr]).arg("--out-link").arg(out_link);
    let stdout = run(cmd)?;
    let last = stdout.lines().last().unwrap_or_default().trim().to_owned();
    Ok(PathBuf::from(last))
}

/// A Nix expression evaluating `body` with `nixpkgs` (the stub for every system, as a flake
/// input gives it), `lock2nix` (this repository's flake outputs) and `project` (the outputs
/// of the flake.nix in `project_dir`) in scope.
pub fn with_flakes(project_dir: &Path, body: &str) -> String {
    format!(
        r#"
let
  stub = {stub};
  systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
  nixpkgs = {{
    lib = import (stub + "/lib.nix");
    legacyPackages = builtins.listToAttrs (map (system: {{ name = system; value = import stub {{ inherit system; }}; }}) systems);
  }};
  lock2nix = (import {repo}/flake.nix).outputs {{ self = lock2nix; inherit nixpkgs; }};
  project = (import {project}/flake.nix).outputs {{ self = project; inherit nixpkgs lock2nix; }};
in
{body}
"#,
        stub = stub_dir().display(),
        repo = repo_root().display(),
        project = project_dir.display(),
    )
}

/// Evaluates the generated file `output` (project attribute `root`) for the four systems with
/// each of `pythons`, asserting that nothing throws, then builds the project's environment
/// with the host's CPython and git; the environment's folder (linked at `out_link`).
pub fn evaluate_everywhere_and_build(output: &Path, root: &str, pythons: &[&str], out_link: &Path) -> PathBuf {
    for system in ["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"] {
        for python in pythons {
            let result = instantiate_eval_json(
                &nix_tests_dir().join("eval-overlay.nix"),
                &[
                    arg_path("overlay", output),
                    argstr("root", root),
                    argstr("system", system),
                    argstr("python", python),
                ],
            )
            .unwrap_or_else(|e| panic!("{system}/{python}: {e}"));
            assert_eq!(result["throws"], serde_json::json!([]), "{system}/{python}: {result}");
        }
    }
    let python = host_python();
    nix_build(
        &nix_tests_dir().join("build-env.nix"),
        &[
            arg_path("overlay", output),
            argstr("root", root),
            argstr("hostPython", python.to_str().unwrap()),
            argstr("hostGit", host_git().to_str().unwrap()),
            argstr("python", &python_version(&python)),
        ],
        out_link,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}
