//! Git sources: the commit a branch or tag names, and the hash nixpkgs' `fetchgit` will find
//! for a commit, computed by running the system `git` (so the user's credential helpers, SSH
//! keys and `url.<base>.insteadOf` rewrites apply) and hashing the checkout ourselves
//! ([`super::nar`]).
//!
//! The checkout repeats what nixpkgs' `nix-prefetch-git` does in the Nix builder for
//! `fetchgit { url; rev; fetchSubmodules; }` with `leaveDotGit = false`: a repository with
//! `origin` = the URL (relative submodule URLs resolve against it), a depth-1 fetch of the commit
//! falling back to a full fetch (`fetch --tags origin`) when the server refuses an unadvertised
//! commit, `git submodule update --init --recursive --depth 1` falling back to the same without
//! `--depth`, then every entry named `.git`, at any depth, removed. The builder runs git without
//! any user or system configuration, so the settings that change what a checkout writes
//! (line endings, attributes, LFS and other filters, hooks, templates) are pinned here.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use super::nar;
use super::redact_url;

/// What [`prefetch`] learns about one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitTree {
    /// SRI `sha256-…` of the checkout as nixpkgs' fetchgit with `fetchSubmodules = submodules` stores it.
    pub hash: String,
    /// Whether the commit has a `.gitmodules` (then submodules are fetched, recursively, and hashed with them).
    pub submodules: bool,
    /// The text of `pyproject.toml` in `subdirectory` (or the top), if any, at most 1 MiB.
    pub pyproject: Option<String>,
    /// Whether `setup.py` exists there.
    pub setup_py: bool,
}

/// A failed git operation. Every URL in it has its credentials removed ([`redact_url`]), and so
/// has git's output.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "cannot fetch {url}: the `git` program was not found ({message}); lock2nix runs git for git \
         dependencies: install git and put it on PATH"
    )]
    GitNotFound { url: String, message: String },
    #[error("cannot fetch {url}: could not run git: {message}")]
    Spawn { url: String, message: String },
    #[error("`git {command}` failed for {url}{}: {stderr}", rev.as_ref().map(|r| format!(" (rev {r})")).unwrap_or_default())]
    Command { url: String, rev: Option<String>, command: String, stderr: String },
    #[error(
        "{url}: no ref is named `{reference}` (looked for refs/{reference}, refs/tags/{reference} and \
         refs/heads/{reference}; an abbreviated commit id cannot be resolved without cloning)"
    )]
    UnknownReference { url: String, reference: String },
    #[error("{url}: `{rev}` is not a full commit id (40 hexadecimal digits): resolve it first")]
    InvalidRev { url: String, rev: String },
    #[error("refusing the git URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("{url} at {rev}: subdirectory `{subdirectory}` {problem}")]
    Subdirectory { url: String, rev: String, subdirectory: String, problem: String },
    #[error("{url} at {rev}: {context}: {source}")]
    Io {
        url: String,
        rev: String,
        context: String,
        #[source]
        source: io::Error,
    },
}

/// The commit `reference` (a branch, a tag, `HEAD` or a full `refs/…` name) names on the
/// remote, found with `git ls-remote`; a full commit id (40 or 64 hex digits) is returned as is
/// (lower-cased). A short name is looked up as git itself resolves names: `refs/<name>`, then
/// `refs/tags/<name>`, then `refs/heads/<name>`; an annotated tag gives the commit it points to.
pub fn resolve_reference(url: &str, reference: &str) -> Result<String, GitError> {
    Git::system().resolve_reference(url, reference)
}

/// Clones the one commit `rev` of `url` into a temporary directory under `work_dir` (removed
/// afterwards), with its submodules when it has a `.gitmodules`, and returns the hash nixpkgs'
/// `fetchgit` will find for it and what `subdirectory` (relative, `None` = the top) holds.
pub fn prefetch(url: &str, rev: &str, subdirectory: Option<&str>, work_dir: &Path) -> Result<GitTree, GitError> {
    Git::system().prefetch(url, rev, subdirectory, work_dir)
}

/// At most this much of `pyproject.toml` is read.
const PYPROJECT_LIMIT: u64 = 1024 * 1024;

/// At most this much of git's stderr reaches a message, from its end.
const STDERR_LIMIT: usize = 2048;
const STDERR_LINES: usize = 20;

/// `git -c …` for every command: what a checkout writes must not depend on the user's config.
const PINNED_CONFIG: &[&str] = &[
    "core.autocrlf=false",
    "core.eol=lf",
    "core.symlinks=true",
    "core.attributesFile=/dev/null",
    "core.hooksPath=/dev/null",
    "init.templateDir=",
    "filter.lfs.smudge=",
    "filter.lfs.process=",
    "filter.lfs.required=false",
    "submodule.recurse=false",
    "advice.detachedHead=false",
    "init.defaultBranch=master",
];

/// Variables that would make git work on another repository than the one we create.
const REPOSITORY_VARIABLES: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_ATTR_SOURCE",
    "GIT_QUARANTINE_PATH",
    "GIT_REPLACE_REF_BASE",
    "GIT_SHALLOW_FILE",
];

/// The git program and extra `-c` settings (tests use both).
struct Git {
    program: OsString,
    extra_config: Vec<String>,
}

/// What every message about one operation names.
struct Subject {
    /// Redacted.
    url: String,
    rev: Option<String>,
    /// Credentials of the URL, to blank out of git's output.
    secrets: Vec<String>,
}

impl Subject {
    fn new(url: &str, rev: Option<&str>) -> Self {
        Self { url: redact_url(url), rev: rev.map(str::to_owned), secrets: url_secrets(url) }
    }

    fn rev(&self) -> String {
        self.rev.clone().unwrap_or_default()
    }

    fn io(&self, context: impl Into<String>) -> impl FnOnce(io::Error) -> GitError + '_ {
        let context = context.into();
        move |source| GitError::Io { url: self.url.clone(), rev: self.rev(), context, source }
    }
}

impl Git {
    fn system() -> Self {
        Self { program: OsString::from("git"), extra_config: Vec::new() }
    }

    fn command(&self, dir: Option<&Path>, allow_file_protocol: bool) -> Command {
        let mut cmd = Command::new(&self.program);
        if let Some(dir) = dir {
            cmd.arg("-C").arg(dir);
        }
        for setting in PINNED_CONFIG.iter().copied().chain(self.extra_config.iter().map(String::as_str)) {
            cmd.arg("-c").arg(setting);
        }
        if allow_file_protocol {
            cmd.args(["-c", "protocol.file.allow=always"]);
        }
        for name in REPOSITORY_VARIABLES {
            cmd.env_remove(name);
        }
        cmd.env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_LFS_SKIP_SMUDGE", "1")
            .env("GIT_ATTR_NOSYSTEM", "1")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs git; its stdout on success.
    fn run(
        &self,
        subject: &Subject,
        dir: Option<&Path>,
        allow_file_protocol: bool,
        args: &[&OsStr],
        describe: &str,
    ) -> Result<String, GitError> {
        let mut cmd = self.command(dir, allow_file_protocol);
        cmd.args(args);
        let output = cmd.output().map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                GitError::GitNotFound { url: subject.url.clone(), message: format!("running {:?}: {e}", self.program) }
            } else {
                GitError::Spawn { url: subject.url.clone(), message: format!("{:?}: {e}", self.program) }
            }
        })?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            let mut stderr = stderr_tail(&output.stderr, &subject.secrets);
            if stderr.is_empty() {
                stderr = format!("exit status {}", output.status);
            }
            Err(GitError::Command {
                url: subject.url.clone(),
                rev: subject.rev.clone(),
                command: describe.to_owned(),
                stderr,
            })
        }
    }

    fn resolve_reference(&self, url: &str, reference: &str) -> Result<String, GitError> {
        let subject = Subject::new(url, None);
        check_url(url)?;
        if is_full_commit(reference) {
            return Ok(reference.to_ascii_lowercase());
        }
        let candidates: Vec<String> = if reference == "HEAD" || reference.starts_with("refs/") {
            vec![reference.to_owned()]
        } else {
            vec![format!("refs/{reference}"), format!("refs/tags/{reference}"), format!("refs/heads/{reference}")]
        };
        let mut args: Vec<OsString> = vec!["ls-remote".into(), "--".into(), url.into()];
        for candidate in &candidates {
            args.push(candidate.into());
            args.push(format!("{candidate}^{{}}").into());
        }
        let args: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
        let listing = self.run(&subject, None, is_local_url(url), &args, "ls-remote")?;
        let refs: Vec<(&str, &str)> = listing.lines().filter_map(|line| line.split_once('\t')).collect();
        let lookup = |name: &str| refs.iter().find(|(_, r)| *r == name).map(|(id, _)| id.to_ascii_lowercase());
        for candidate in &candidates {
            if let Some(id) = lookup(&format!("{candidate}^{{}}")).or_else(|| lookup(candidate)) {
                return Ok(id);
            }
        }
        Err(GitError::UnknownReference { url: subject.url, reference: reference.to_owned() })
    }

    fn prefetch(&self, url: &str, rev: &str, subdirectory: Option<&str>, work_dir: &Path) -> Result<GitTree, GitError> {
        let subject = Subject::new(url, Some(rev));
        check_url(url)?;
        if !is_full_commit(rev) {
            return Err(GitError::InvalidRev { url: subject.url, rev: rev.to_owned() });
        }
        let rev = rev.to_ascii_lowercase();
        let subject = Subject { rev: Some(rev.clone()), ..subject };
        let subdirectory = match subdirectory {
            Some(s) => Some(checked_subdirectory(&subject, s)?),
            None => None,
        };
        let local = is_local_url(url);

        fs::create_dir_all(work_dir).map_err(subject.io(format!("creating {}", work_dir.display())))?;
        let temp = tempfile::Builder::new()
            .prefix("lock2nix-git-")
            .tempdir_in(work_dir)
            .map_err(subject.io(format!("creating a temporary directory in {}", work_dir.display())))?;
        let checkout = temp.path().join("checkout");
        fs::create_dir(&checkout).map_err(subject.io("creating the checkout directory"))?;
        let co = Some(checkout.as_path());
        let os = |s: &'static str| OsStr::new(s);

        self.run(&subject, co, false, &[os("init"), os("--quiet"), os("--template=")], "init")?;
        self.run(
            &subject,
            co,
            false,
            &[os("remote"), os("add"), os("origin"), os("--"), OsStr::new(url)],
            "remote add",
        )?;

        // The commit alone; servers that refuse an unadvertised commit get a full fetch.
        let target = match self.run(
            &subject,
            co,
            local,
            &[os("fetch"), os("--quiet"), os("--no-tags"), os("--depth"), os("1"), os("origin"), OsStr::new(&rev)],
            "fetch --depth 1",
        ) {
            Ok(_) => "FETCH_HEAD".to_owned(),
            Err(shallow) => {
                let full =
                    self.run(&subject, co, local, &[os("fetch"), os("--quiet"), os("--tags"), os("origin")], "fetch");
                match full {
                    Ok(_) => rev.clone(),
                    Err(GitError::Command { stderr, .. }) => {
                        let first = match shallow {
                            GitError::Command { stderr, .. } => stderr,
                            other => other.to_string(),
                        };
                        return Err(GitError::Command {
                            url: subject.url.clone(),
                            rev: subject.rev.clone(),
                            command: "fetch".to_owned(),
                            stderr: bounded(&format!("{first} | then, fetching everything: {stderr}")),
                        });
                    }
                    Err(other) => return Err(other),
                }
            }
        };
        self.run(
            &subject,
            co,
            false,
            &[os("checkout"), os("--quiet"), os("--detach"), OsStr::new(&target)],
            "checkout",
        )
        .map_err(|e| match e {
            GitError::Command { url, rev, stderr, .. } => GitError::Command {
                url,
                rev,
                command: "checkout".to_owned(),
                stderr: format!("{stderr} (is the commit on a branch or tag of the remote?)"),
            },
            other => other,
        })?;
        let head = self.run(&subject, co, false, &[os("rev-parse"), os("HEAD")], "rev-parse HEAD")?;
        if head.trim() != rev {
            return Err(GitError::Command {
                url: subject.url.clone(),
                rev: subject.rev.clone(),
                command: "fetch".to_owned(),
                stderr: format!("the remote gave commit {} instead", head.trim()),
            });
        }

        let submodules = fs::symlink_metadata(checkout.join(".gitmodules")).is_ok();
        if submodules {
            let jobs = std::thread::available_parallelism().map_or(4, |n| n.get().min(8)).to_string();
            let base =
                [os("submodule"), os("update"), os("--init"), os("--recursive"), os("--jobs"), OsStr::new(&jobs)];
            let mut shallow = base.to_vec();
            shallow.extend([os("--depth"), os("1")]);
            if self.run(&subject, co, local, &shallow, "submodule update --depth 1").is_err() {
                self.run(&subject, co, local, &base, "submodule update --init --recursive")?;
            }
        }

        let digest = nar::nar_sha256_without(&checkout, |relative, _| relative.file_name() == Some(OsStr::new(".git")))
            .map_err(subject.io("hashing the checkout"))?;

        let (pyproject, setup_py) = read_package(&subject, &checkout, subdirectory.as_deref())?;
        let tree = GitTree { hash: nar::sri(&digest), submodules, pyproject, setup_py };
        temp.close().map_err(subject.io("removing the temporary checkout"))?;
        Ok(tree)
    }
}

/// `pyproject.toml` (text) and whether `setup.py` exists, in `subdirectory` of the checkout;
/// neither may lead out of the checkout through a symlink.
fn read_package(
    subject: &Subject,
    checkout: &Path,
    subdirectory: Option<&Path>,
) -> Result<(Option<String>, bool), GitError> {
    let problem = |text: String| GitError::Subdirectory {
        url: subject.url.clone(),
        rev: subject.rev(),
        subdirectory: subdirectory.map(|s| s.display().to_string()).unwrap_or_else(|| ".".to_owned()),
        problem: text,
    };
    let root = checkout.canonicalize().map_err(subject.io("resolving the checkout directory"))?;
    let inside = |path: &Path| -> Option<PathBuf> {
        let real = path.canonicalize().ok()?;
        let relative = real.strip_prefix(&root).ok()?;
        // Nothing under a `.git` (it is not part of the hashed tree).
        if relative.components().any(|c| c.as_os_str() == ".git") {
            return None;
        }
        Some(real)
    };
    let dir = match subdirectory {
        None => root.clone(),
        Some(sub) => {
            let joined = checkout.join(sub);
            if fs::symlink_metadata(&joined).is_err() {
                return Err(problem("does not exist in this commit".to_owned()));
            }
            match inside(&joined) {
                Some(real) if real.is_dir() => real,
                Some(_) => return Err(problem("is not a directory".to_owned())),
                None => return Err(problem("leads out of the repository".to_owned())),
            }
        }
    };
    let setup_py = inside(&dir.join("setup.py")).is_some_and(|p| p.is_file());
    let pyproject_path = dir.join("pyproject.toml");
    let pyproject = if fs::symlink_metadata(&pyproject_path).is_err() {
        None
    } else {
        let Some(real) = inside(&pyproject_path).filter(|p| p.is_file()) else {
            return Err(problem("has a pyproject.toml that is not a file of the repository".to_owned()));
        };
        let len = fs::metadata(&real).map_err(subject.io("reading pyproject.toml"))?.len();
        if len > PYPROJECT_LIMIT {
            return Err(problem(format!("has a pyproject.toml of {len} bytes, more than the 1 MiB lock2nix reads")));
        }
        let bytes = fs::read(&real).map_err(subject.io("reading pyproject.toml"))?;
        match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => return Err(problem("has a pyproject.toml that is not UTF-8".to_owned())),
        }
    };
    Ok((pyproject, setup_py))
}

/// A relative path without `..`; `""` and `"."` are the top.
fn checked_subdirectory(subject: &Subject, subdirectory: &str) -> Result<PathBuf, GitError> {
    let path = Path::new(subdirectory);
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) if part != ".git" => clean.push(part),
            Component::CurDir => {}
            _ => {
                return Err(GitError::Subdirectory {
                    url: subject.url.clone(),
                    rev: subject.rev(),
                    subdirectory: subdirectory.to_owned(),
                    problem: "must be a relative path inside the repository".to_owned(),
                });
            }
        }
    }
    Ok(clean)
}

fn check_url(url: &str) -> Result<(), GitError> {
    let reason = if url.is_empty() {
        "it is empty"
    } else if url.starts_with('-') {
        "it starts with `-`, which git would read as an option"
    } else if url.chars().any(char::is_control) {
        "it contains a control character"
    } else {
        return Ok(());
    };
    Err(GitError::InvalidUrl { url: redact_url(url), reason: reason.to_owned() })
}

/// 40 (SHA-1) or 64 (SHA-256) hex digits.
fn is_full_commit(rev: &str) -> bool {
    (rev.len() == 40 || rev.len() == 64) && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A `file://` URL or a path: its submodules may be local too, which git only allows when told.
fn is_local_url(url: &str) -> bool {
    url.starts_with("file://") || url.starts_with('/') || url.starts_with("./") || url.starts_with("../")
}

/// The password of a URL (raw and percent-decoded), or a long user name standing for a token.
fn url_secrets(url: &str) -> Vec<String> {
    let Ok(parsed) = url::Url::parse(url) else { return Vec::new() };
    let mut secrets = Vec::new();
    let mut push = |raw: &str| {
        if raw.is_empty() {
            return;
        }
        secrets.push(raw.to_owned());
        let decoded = percent_decode(raw);
        if decoded != raw && !decoded.is_empty() {
            secrets.push(decoded);
        }
    };
    match parsed.password() {
        Some(password) => push(password),
        None if parsed.username().len() >= 8 => push(parsed.username()),
        None => {}
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

/// `%XX` escapes decoded (lossily, as text); anything else kept.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Removes `user:pass@` after every `scheme://` in free text, then every known secret.
fn redact_text(text: &str, secrets: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest
            .find(|c: char| c == '/' || c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '?' | '#' | '<' | '>'))
            .unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    for secret in secrets {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

/// The end of git's stderr on one line (so that the error stays one line): the last lines
/// joined by ` | `, at most [`STDERR_LIMIT`] bytes, redacted.
fn stderr_tail(stderr: &[u8], secrets: &[String]) -> String {
    let text = redact_text(&String::from_utf8_lossy(stderr), secrets);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let start = lines.len().saturating_sub(STDERR_LINES);
    let mut tail = lines[start..].join(" | ");
    if start > 0 {
        tail.insert_str(0, "… | ");
    }
    bounded(&tail)
}

/// The last [`STDERR_LIMIT`] bytes of `text` (on a character boundary).
fn bounded(text: &str) -> String {
    if text.len() <= STDERR_LIMIT {
        return text.to_owned();
    }
    let mut cut = text.len() - STDERR_LIMIT;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    format!("…{}", &text[cut..])
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    const NIX_SETTINGS: &str =
        "sandbox = false\nbuild-users-group =\nexperimental-features = nix-command flakes\nsubstituters =";

    /// git for building the fixtures, independent of the machine's configuration.
    fn git(dir: &Path, args: &[&str]) -> String {
        let output = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=lock2nix test", "-c", "user.email=test@lock2nix.invalid"])
            .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main"])
            .args(["-c", "protocol.file.allow=always", "-c", "core.autocrlf=false"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("run git (the tests need git on PATH)");
        assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn new_repo(path: &Path) {
        fs::create_dir_all(path).unwrap();
        git(path, &["init", "-q"]);
    }

    fn commit_all(repo: &Path, message: &str) -> String {
        git(repo, &["add", "-A"]);
        git(repo, &["commit", "-q", "-m", message]);
        git(repo, &["rev-parse", "HEAD"])
    }

    fn file_url(path: &Path) -> String {
        format!("file://{}", path.display())
    }

    /// `inner` ← submodule of `lib` ← submodule of `super` (at `vendor/lib`); `super` has a
    /// package in `pkg/`, an executable, a symlink and a file with CRLF line endings.
    struct Fixture {
        _dir: tempfile::TempDir,
        root: PathBuf,
        superproject: PathBuf,
        plain: PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let inner = root.join("inner");
        new_repo(&inner);
        write(&inner.join("inner.txt"), "innermost\n");
        commit_all(&inner, "inner");

        let lib = root.join("lib");
        new_repo(&lib);
        write(&lib.join("lib.py"), "VALUE = 1\n");
        git(&lib, &["submodule", "add", "-q", &file_url(&inner), "deps/inner"]);
        commit_all(&lib, "lib");

        let superproject = root.join("super");
        new_repo(&superproject);
        write(&superproject.join("pkg/pyproject.toml"), "[project]\nname = \"pkg\"\nversion = \"1.0\"\n");
        write(&superproject.join("pkg/src/pkg/__init__.py"), "");
        write(&superproject.join("README"), "top\r\nwith CRLF\r\n");
        write(&superproject.join(".gitattributes"), "*.txt text=auto\n");
        write(&superproject.join("notes.txt"), "lf only\n");
        write(&superproject.join("tool.sh"), "#!/bin/sh\necho tool\n");
        fs::set_permissions(superproject.join("tool.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        symlink("pkg/pyproject.toml", superproject.join("link")).unwrap();
        git(&superproject, &["submodule", "add", "-q", &file_url(&lib), "vendor/lib"]);
        commit_all(&superproject, "super");

        let plain = root.join("plain");
        new_repo(&plain);
        write(&plain.join("pyproject.toml"), "[build-system]\nrequires = [\"setuptools\"]\n");
        write(&plain.join("setup.py"), "from setuptools import setup\nsetup()\n");
        commit_all(&plain, "plain");
        Fixture { _dir: dir, root, superproject, plain }
    }

    /// The reference: nix-hash of `git clone --recursive` at `rev` with every `.git` removed.
    fn reference_hash(url: &str, rev: &str, scratch: &Path) -> String {
        let target = scratch.join(format!("clone-{rev}"));
        git(scratch, &["clone", "-q", "--recursive", url, target.to_str().unwrap()]);
        git(&target, &["checkout", "-q", rev]);
        git(&target, &["submodule", "update", "-q", "--init", "--recursive"]);
        remove_dot_git(&target);
        let output = Command::new("nix-hash")
            .args(["--type", "sha256"])
            .arg(&target)
            .env("NIX_CONFIG", NIX_SETTINGS)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `nix-hash` ({e}): these tests need Nix (Debian/Ubuntu: `apt-get install -y nix-bin`)"
                )
            });
        assert!(output.status.success(), "nix-hash: {}", String::from_utf8_lossy(&output.stderr));
        let hex = String::from_utf8(output.stdout).unwrap();
        let hex = hex.trim();
        let mut digest = [0u8; 32];
        for (k, byte) in digest.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).expect("hex digest");
        }
        nar::sri(&digest)
    }

    fn remove_dot_git(dir: &Path) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if entry.file_name() == ".git" {
                if kind.is_dir() {
                    fs::remove_dir_all(entry.path()).unwrap();
                } else {
                    fs::remove_file(entry.path()).unwrap();
                }
            } else if kind.is_dir() {
                remove_dot_git(&entry.path());
            }
        }
    }

    #[test]
    fn prefetch_with_submodules_matches_a_recursive_clone() {
        let f = fixture();
        let rev = git(&f.superproject, &["rev-parse", "HEAD"]);
        let url = file_url(&f.superproject);
        let work = f.root.join("work");
        let tree = prefetch(&url, &rev, Some("pkg"), &work).unwrap();
        assert_eq!(tree.hash, reference_hash(&url, &rev, &f.root));
        assert!(tree.submodules);
        assert_eq!(tree.pyproject.as_deref(), Some("[project]\nname = \"pkg\"\nversion = \"1.0\"\n"));
        assert!(!tree.setup_py);
        // The temporary checkout is gone.
        assert_eq!(fs::read_dir(&work).unwrap().count(), 0);
        // Upper-case rev and "./pkg/" are the same thing.
        let again = prefetch(&url, &rev.to_ascii_uppercase(), Some("./pkg/"), &work).unwrap();
        assert_eq!(again, tree);
        // At the top: the top has neither file.
        let top = prefetch(&url, &rev, None, &work).unwrap();
        assert_eq!((top.hash.as_str(), top.pyproject, top.setup_py), (tree.hash.as_str(), None, false));
    }

    #[test]
    fn prefetch_plain_repository() {
        let f = fixture();
        let rev = git(&f.plain, &["rev-parse", "HEAD"]);
        let url = file_url(&f.plain);
        let tree = prefetch(&url, &rev, None, &f.root.join("work")).unwrap();
        assert_eq!(tree.hash, reference_hash(&url, &rev, &f.root));
        assert!(!tree.submodules);
        assert!(tree.setup_py);
        assert!(tree.pyproject.unwrap().contains("setuptools"));
    }

    #[test]
    fn prefetch_of_an_older_commit_falls_back_to_a_full_fetch() {
        let f = fixture();
        let old = git(&f.plain, &["rev-parse", "HEAD"]);
        write(&f.plain.join("later.txt"), "later\n");
        commit_all(&f.plain, "later");
        let url = file_url(&f.plain);
        let expected = reference_hash(&url, &old, &f.root);
        // Protocol v0 refuses an unadvertised commit by id: the depth-1 fetch fails.
        let v0 = Git { program: "git".into(), extra_config: vec!["protocol.version=0".into()] };
        let subject = Subject::new(&url, Some(&old));
        let scratch = f.root.join("probe");
        new_repo(&scratch);
        let refused = v0.run(
            &subject,
            Some(&scratch),
            true,
            &[OsStr::new("fetch"), OsStr::new("--depth"), OsStr::new("1"), OsStr::new(&url), OsStr::new(&old)],
            "fetch",
        );
        assert!(refused.is_err(), "the server was expected to refuse the unadvertised commit");
        let tree = v0.prefetch(&url, &old, None, &f.root.join("work")).unwrap();
        assert_eq!(tree.hash, expected);
        // A commit that is on no branch or tag cannot be fetched that way.
        let dangling = git(&f.plain, &["commit-tree", "-m", "dangling", &format!("{old}^{{tree}}")]);
        let err = v0.prefetch(&url, &dangling, None, &f.root.join("work")).unwrap_err();
        assert!(matches!(err, GitError::Command { .. }), "{err}");
    }

    #[test]
    fn pyproject_and_subdirectory_problems() {
        let f = fixture();
        let repo = f.root.join("odd");
        new_repo(&repo);
        write(&repo.join("big/pyproject.toml"), &"#".repeat(PYPROJECT_LIMIT as usize + 1));
        symlink("/etc/hostname", repo.join("escape")).unwrap();
        fs::create_dir_all(repo.join("out")).unwrap();
        symlink("/etc/passwd", repo.join("out/pyproject.toml")).unwrap();
        write(&repo.join("file"), "x");
        let rev = commit_all(&repo, "odd");
        let url = file_url(&repo);
        let work = f.root.join("work");
        let check = |sub: &str, needle: &str| {
            let err = prefetch(&url, &rev, Some(sub), &work).unwrap_err();
            assert!(matches!(err, GitError::Subdirectory { .. }), "{sub}: {err}");
            assert!(err.to_string().contains(needle), "{sub}: {err}");
        };
        check("big", "more than the 1 MiB");
        check("out", "not a file of the repository");
        check("missing", "does not exist");
        check("file", "is not a directory");
        check("../x", "relative path inside the repository");
        check("/etc", "relative path inside the repository");
        check("escape", "leads out of the repository");
        assert_eq!(fs::read_dir(&work).unwrap().count(), 0, "temporary checkouts are removed after errors too");
    }

    #[test]
    fn resolve_branches_and_tags() {
        let f = fixture();
        let repo = &f.plain;
        let first = git(repo, &["rev-parse", "HEAD"]);
        git(repo, &["tag", "-a", "v1.0", "-m", "release"]);
        git(repo, &["tag", "light"]);
        git(repo, &["branch", "stable"]);
        write(&repo.join("more.txt"), "more\n");
        let second = commit_all(repo, "more");
        // A branch and a tag with one name: the tag wins, as in `git rev-parse`.
        git(repo, &["tag", "stable", &first]);
        git(repo, &["branch", "dev", &first]);
        let url = file_url(repo);
        assert_eq!(resolve_reference(&url, "main").unwrap(), second);
        assert_eq!(resolve_reference(&url, "HEAD").unwrap(), second);
        assert_eq!(resolve_reference(&url, "v1.0").unwrap(), first, "annotated tag → its commit");
        assert_eq!(resolve_reference(&url, "refs/tags/v1.0").unwrap(), first);
        assert_eq!(resolve_reference(&url, "light").unwrap(), first);
        assert_eq!(resolve_reference(&url, "dev").unwrap(), first);
        assert_eq!(resolve_reference(&url, "refs/heads/main").unwrap(), second);
        assert_eq!(resolve_reference(&url, "stable").unwrap(), first);
        assert_eq!(resolve_reference(&url, &first.to_ascii_uppercase()).unwrap(), first);
        let err = resolve_reference(&url, "no-such-branch").unwrap_err();
        assert!(matches!(err, GitError::UnknownReference { .. }), "{err}");
        // A name that is only the tail of a ref does not match it.
        assert!(resolve_reference(&url, "ain").is_err());
        assert!(matches!(resolve_reference(&url, &first[..10]), Err(GitError::UnknownReference { .. })));
    }

    #[test]
    fn credentials_never_reach_messages() {
        let dir = tempfile::tempdir().unwrap();
        let url = "http://user:secret@127.0.0.1:1/x.git";
        let rev = "0123456789abcdef0123456789abcdef01234567";
        let errors = [
            resolve_reference(url, "main").unwrap_err(),
            prefetch(url, rev, None, dir.path()).unwrap_err(),
            prefetch(url, "main", None, dir.path()).unwrap_err(),
            prefetch(url, rev, Some("../up"), dir.path()).unwrap_err(),
            resolve_reference("-http://user:secret@x/", "main").unwrap_err(),
        ];
        for err in &errors {
            let text = format!("{err} {err:?}");
            assert!(!text.contains("secret"), "credentials in {text}");
            assert!(text.contains("127.0.0.1") || text.contains("x/"), "the URL is named: {text}");
        }
        assert!(matches!(errors[0], GitError::Command { .. }), "{}", errors[0]);
        assert!(matches!(errors[1], GitError::Command { .. }), "{}", errors[1]);
        assert!(matches!(errors[2], GitError::InvalidRev { .. }), "{}", errors[2]);
        assert!(matches!(errors[4], GitError::InvalidUrl { .. }), "{}", errors[4]);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn missing_git_program_is_its_own_error() {
        let git = Git { program: "/nonexistent/lock2nix-no-git".into(), extra_config: Vec::new() };
        let err = git.resolve_reference("https://u:secret@example.invalid/r.git", "main").unwrap_err();
        assert!(matches!(err, GitError::GitNotFound { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains("`git` program was not found") && !text.contains("secret"), "{text}");
    }

    #[test]
    fn redaction_and_bounds() {
        let secrets = url_secrets("https://me:p%40ss@host/x");
        assert_eq!(secrets, ["p%40ss", "p@ss"]);
        let text = "fatal: unable to access 'https://me:p%40ss@host/x/': no\nretry https://tok@h.example/y and p@ss";
        assert_eq!(
            redact_text(text, &secrets),
            "fatal: unable to access 'https://host/x/': no\nretry https://h.example/y and ***"
        );
        let long = "line\n".repeat(1000);
        let tail = stderr_tail(long.as_bytes(), &[]);
        assert!(tail.len() <= STDERR_LIMIT + 4 && tail.starts_with('…'), "{tail}");
        assert_eq!(tail.lines().count(), 1, "one line");
        assert_eq!(tail.split(" | ").filter(|l| *l == "line").count(), STDERR_LINES);
        let wide = "é".repeat(3000);
        assert!(bounded(&wide).len() <= STDERR_LIMIT + "…".len());
        assert_eq!(url_secrets("https://ghp_abcdefgh12345@github.com/o/r"), ["ghp_abcdefgh12345"]);
        assert!(url_secrets("https://git@github.com/o/r").is_empty());
    }
}
