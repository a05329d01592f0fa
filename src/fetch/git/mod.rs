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

mod messages;

use super::nar;
use crate::safe_url::redact as redact_url;
use messages::{bounded, stderr_tail, url_secrets};

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
        "cannot fetch {url}: lock2nix runs git for git dependencies, and the `git` program ({program}) was not found \
         (install git and put it on PATH)"
    )]
    GitNotFound {
        url: String,
        program: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot fetch {url}: could not run git ({program})")]
    Spawn {
        url: String,
        program: String,
        #[source]
        source: io::Error,
    },
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
    #[error("{url} at {rev}: {context}")]
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
    #[expect(clippy::unnecessary_debug_formatting, reason = "the program is quoted in messages as it always was")]
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
        let output = cmd.output().map_err(|source| {
            let (url, program) = (subject.url.clone(), format!("{:?}", self.program));
            if source.kind() == io::ErrorKind::NotFound {
                GitError::GitNotFound { url, program, source }
            } else {
                GitError::Spawn { url, program, source }
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
        // Registered, so that an interrupted run removes it (its configuration holds the URL).
        let (temp, _registered) = super::pending::Registered::create(
            || tempfile::Builder::new().prefix("lock2nix-git-").tempdir_in(work_dir),
            |dir| dir.path(),
        )
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
pub(crate) fn is_full_commit(rev: &str) -> bool {
    (rev.len() == 40 || rev.len() == 64) && crate::digest::is_hex(rev)
}

/// A `file://` URL or a path: its submodules may be local too, which git only allows when told.
pub(crate) fn is_local_url(url: &str) -> bool {
    url.starts_with("file://") || url.starts_with('/') || url.starts_with("./") || url.starts_with("../")
}

#[cfg(all(test, unix))]
mod tests;
