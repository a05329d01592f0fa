//! Inference: what a package needs, read from its artifacts themselves (see
//! `overrides/README.md`). Pure functions over bytes the fetch stage already holds:
//!
//! - [`build_system::sdist_build_system`]: an sdist's `[build-system]` (PEP 517/518), with the
//!   defaults pip applies when it is missing;
//! - [`native::wheel_libraries`]: the `DT_NEEDED`/`DT_SONAME` entries of a Linux wheel's ELF
//!   files, and [`native::native_needs`], which maps them to nixpkgs attributes through the
//!   soname table (`overrides/sonames.toml`);
//! - [`metadata::wheel_requires_dist`]: a wheel's `Requires-Dist`, the edges of a lock without
//!   a graph.

pub(crate) mod build_system;
mod elf;
pub(crate) mod metadata;
pub(crate) mod native;

pub(crate) use build_system::tree_build_system;
pub use build_system::{BuildSystem, BuildSystemSource, sdist_build_system};
pub use native::{NativeNeeds, WheelLibraries, native_needs, wheel_libraries};

/// What went wrong inside an archive.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveCause {
    #[error(transparent)]
    Zip(#[from] zip::result::ZipError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// One member (its path inside the archive) could not be read.
    #[error("{member}")]
    Member {
        member: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no *.dist-info/METADATA")]
    NoMetadata,
}

/// Why an artifact could not be read. Every variant names the artifact's file name.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    #[error("{file}: not a readable {kind} archive")]
    Archive {
        file: String,
        kind: &'static str,
        #[source]
        source: ArchiveCause,
    },
    #[error("{file}: unsupported sdist format (expected .tar.gz, .tgz, .tar or .zip)")]
    UnsupportedArchive { file: String },
    #[error("{file}: {member} is not valid: {message}")]
    InvalidPyproject { file: String, member: String, message: String },
    #[error("{file}: {member}: invalid build requirement `{requirement}`: {message}")]
    InvalidRequirement { file: String, member: String, requirement: String, message: String },
    #[error("{file}: no pyproject.toml, setup.py or setup.cfg in the sdist's top directory")]
    NoBuildConfig { file: String },
    #[error("{file}: {member} looks like ELF but cannot be parsed: {message}")]
    Elf { file: String, member: String, message: String },
    /// An sdist whose core metadata does not fix its dependencies before it is built.
    #[error("{file}: {why}")]
    DependenciesNotStatic { file: String, why: String },
}

impl InferError {
    /// The archive `file` (of `kind`: zip, gzip, tar) could not be read.
    pub(crate) fn archive(file: &str, kind: &'static str, cause: impl Into<ArchiveCause>) -> Self {
        Self::Archive { file: file.to_owned(), kind, source: cause.into() }
    }

    /// The artifact's file name, as given to the inference function.
    pub fn file(&self) -> &str {
        match self {
            Self::Archive { file, .. }
            | Self::UnsupportedArchive { file }
            | Self::InvalidPyproject { file, .. }
            | Self::InvalidRequirement { file, .. }
            | Self::NoBuildConfig { file }
            | Self::Elf { file, .. }
            | Self::DependenciesNotStatic { file, .. } => file,
        }
    }
}
