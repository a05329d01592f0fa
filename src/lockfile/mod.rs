//! Lock-file formats. Each parser turns one format into the neutral [`crate::model::Lock`];
//! a file of another kind (a uv.lock, a pylock.toml, a pyproject.toml, a requirements file)
//! is recognised and named, rather than misread.

mod detect;
pub mod poetry;

use std::path::Path;

pub use detect::InputKind;

use crate::model::Lock;
use crate::toml_error::TomlError;

/// Why a lock file could not be read. Every variant names the file; entry-level errors name
/// the entry too.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid poetry.lock: {source}")]
    Toml {
        path: String,
        #[source]
        source: TomlError,
    },
    #[error("{path} is {kind}, not a poetry.lock; {hint}", kind = .kind.describe(), hint = .kind.hint())]
    NotAPoetryLock { path: String, kind: InputKind },
    #[error(
        "{path} has lock-version {version}, which lock2nix does not understand (it reads Poetry lock versions 1.x and 2.x); regenerate it with Poetry 1.1 or newer"
    )]
    UnsupportedVersion { path: String, version: String },
    #[error(
        "{path} is a Poetry 1.0 lock ([metadata.hashes] without file names); run `poetry lock` with Poetry 1.1 or newer to record file names"
    )]
    HashesOnly { path: String },
    #[error("{path}: package `{package}`: {message}")]
    Entry { path: String, package: String, message: String },
}

/// Reads and parses the lock file at `path`, after making sure it is a poetry.lock.
pub fn read(path: &Path) -> Result<Lock, LockError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LockError::Io { path: origin.clone(), source })?;
    match detect::detect(path, &text) {
        InputKind::PoetryLock | InputKind::Unknown => poetry::parse(&text, &origin),
        kind => Err(LockError::NotAPoetryLock { path: origin, kind }),
    }
}
