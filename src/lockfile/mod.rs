//! Lock-file formats. Each parser (poetry.lock, uv.lock, pylock.toml) turns one format into the
//! neutral [`crate::model::Lock`]; a file of another kind (a pdm.lock, a pyproject.toml, a
//! requirements file) is recognised and named, rather than misread.

mod detect;
pub(crate) mod location;
pub(crate) mod poetry;
pub(crate) mod pylock;
pub(crate) mod uv;

use std::path::Path;

pub(crate) use detect::InputKind;

use crate::model::Lock;
use crate::toml_error::TomlError;

/// Why a lock file could not be read. Every variant names the file; entry-level errors name
/// the entry too.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot read {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid {kind}")]
    Toml {
        path: String,
        /// The format it was read as.
        kind: &'static str,
        #[source]
        source: TomlError,
    },
    #[error("{path} is {kind}, not a lock lock2nix reads", kind = .kind.describe())]
    NotALock { path: String, kind: InputKind },
    #[error(
        "{path} has lock-version {version}, which lock2nix does not understand (it reads Poetry lock versions 1.x and 2.x)"
    )]
    UnsupportedVersion { path: String, version: String },
    #[error("{path} is a Poetry 1.0 lock ([metadata.hashes] without file names)")]
    HashesOnly { path: String },
    #[error("{path} is a uv.lock of version {version}, which lock2nix does not understand (it reads version 1)")]
    UnsupportedUvVersion { path: String, version: u32 },
    #[error("{path} is a pylock.toml of lock-version {version}, which lock2nix does not understand (it reads 1.x)")]
    UnsupportedPylockVersion { path: String, version: String },
    #[error("no lock in {folder}: lock2nix reads poetry.lock, uv.lock and pylock.toml (or pylock.<name>.toml)")]
    NoLockInFolder { folder: String },
    #[error("{folder} holds several locks ({found})")]
    SeveralLocks { folder: String, found: String },
    #[error("{path}: package `{package}`: {message}")]
    Entry { path: String, package: String, message: String },
}

impl LockError {
    /// What to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Self::NotALock { kind, .. } => kind.hint(),
            Self::UnsupportedVersion { .. } => "regenerate it with Poetry 1.1 or newer",
            Self::HashesOnly { .. } => "run `poetry lock` with Poetry 1.1 or newer to record file names",
            Self::UnsupportedUvVersion { .. } => "regenerate it with `uv lock` from a uv release that writes version 1",
            Self::UnsupportedPylockVersion { .. } => {
                "write it again with a locker that writes PEP 751's lock-version 1"
            }
            Self::NoLockInFolder { .. } => "create one (`poetry lock`, `uv lock`) or name it",
            Self::SeveralLocks { .. } => "name the one to read, e.g. `lock2nix uv.lock`",
            _ => return None,
        })
    }
}

/// The one lock in `folder` (poetry.lock, uv.lock, pylock.toml, pylock.<name>.toml), for
/// `lock2nix` run without naming one.
pub fn find_in(folder: &Path) -> Result<std::path::PathBuf, LockError> {
    let shown = if folder.as_os_str().is_empty() { ".".to_string() } else { folder.display().to_string() };
    let entries = std::fs::read_dir(if folder.as_os_str().is_empty() { Path::new(".") } else { folder })
        .map_err(|source| LockError::Io { path: shown.clone(), source })?;
    let mut found: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| detect::lock_kind_of_name(name).is_some())
        .collect();
    found.sort();
    match found.as_slice() {
        [one] => Ok(folder.join(one)),
        [] => Err(LockError::NoLockInFolder { folder: shown }),
        several => Err(LockError::SeveralLocks { folder: shown, found: several.join(", ") }),
    }
}

/// Reads and parses the lock file at `path`, with the reader its content (else its name)
/// calls for.
pub fn read(path: &Path) -> Result<Lock, LockError> {
    let origin = path.display().to_string();
    let text =
        crate::fetch::witness::read_to_string(path).map_err(|source| LockError::Io { path: origin.clone(), source })?;
    match detect::detect(path, &text) {
        InputKind::PoetryLock | InputKind::Unknown => poetry::parse(&text, &origin),
        InputKind::UvLock => uv::parse(&text, &origin),
        InputKind::Pylock => pylock::parse(&text, &origin),
        kind => Err(LockError::NotALock { path: origin, kind }),
    }
}

/// The items of `results`, or its first error, in a Vec sized by the iterator's lower bound
/// (exact for the slices and options locks list files in): a lock holds a Vec of files per
/// package, and collecting a `Result` would give each room to spare.
pub(crate) fn exactly_sized<T, E>(results: impl Iterator<Item = Result<T, E>>) -> Result<Vec<T>, E> {
    let mut items = Vec::with_capacity(results.size_hint().0);
    for result in results {
        items.push(result?);
    }
    Ok(items)
}
