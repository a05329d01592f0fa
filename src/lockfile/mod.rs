//! Lock-file formats. Each parser turns one format into the neutral [`crate::model::Lock`].

pub mod poetry;

use std::path::Path;

use crate::model::Lock;

/// Why a lock file could not be read. Every variant names the file; entry-level errors name
/// the entry too.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error("{path} is not valid TOML: {message}")]
    Toml { path: String, message: String },
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

/// Reads and parses the lock file at `path`, picking the parser by file name.
pub fn read(path: &Path) -> Result<Lock, LockError> {
    let origin = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| LockError::Io { path: origin.clone(), message: e.to_string() })?;
    poetry::parse(&text, &origin)
}
