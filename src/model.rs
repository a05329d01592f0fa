//! The format-neutral lock model. Every lock format parses into [`Lock`]; every later stage
//! (resolve, fetch, plan, render) reads only this.

use std::collections::BTreeMap;

use pep440_rs::Version;
use pep508_rs::MarkerTree;

use crate::constraint::Constraint;
use crate::filename::DistFilename;
use crate::name::{ExtraName, GroupName, PackageName};

/// A parsed lock file.
#[derive(Debug, Clone)]
pub struct Lock {
    /// The lock's path as the user gave it, for messages.
    pub origin: String,
    pub format: LockFormat,
    /// The lock's own Python constraint (`[metadata] python-versions`).
    pub python: Constraint,
    /// In file order; one name may occur at several versions (marker-disjoint).
    pub packages: Vec<Package>,
    /// Root extras recorded in the lock (`[extras]` of Poetry locks up to 2.0).
    pub root_extras: BTreeMap<ExtraName, Vec<PackageName>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockFormat {
    /// `lock_version` is `None` for the unversioned Poetry 1.0-era locks.
    Poetry { lock_version: Option<String> },
}

/// One locked distribution at one version.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: PackageName,
    pub version: Version,
    /// The version string exactly as locked (the derivation's `version`).
    pub version_text: String,
    /// `python-versions` of the package; `Constraint::any()` when absent or `*`.
    pub python: Constraint,
    pub source: Source,
    pub files: Vec<LockedFile>,
    pub dependencies: Vec<Dependency>,
    /// The package's own extras: extra name → names of the dependencies it enables.
    pub extras: BTreeMap<ExtraName, Vec<PackageName>>,
    /// Lock 2.1 membership; `None` for older locks, which need a graph walk.
    pub membership: Option<Membership>,
}

impl Package {
    /// `name==version`, for messages.
    pub fn id(&self) -> String {
        format!("{}=={}", self.name, self.version_text)
    }
}

/// Where a package's artifacts come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A package index; `None` is the default index (`--index-url`).
    Registry {
        index: Option<IndexRef>,
    },
    Git {
        url: String,
        reference: Option<String>,
        resolved_reference: Option<String>,
        subdirectory: Option<String>,
    },
    Url {
        url: String,
        subdirectory: Option<String>,
    },
    Directory {
        path: String,
        develop: bool,
    },
    File {
        path: String,
    },
}

impl Source {
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Registry { index: None } => "PyPI",
            Source::Registry { index: Some(_) } => "index",
            Source::Git { .. } => "git",
            Source::Url { .. } => "url",
            Source::Directory { .. } => "directory",
            Source::File { .. } => "file",
        }
    }
}

/// A named secondary index (`[package.source] type = "legacy"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRef {
    pub name: String,
    pub url: String,
}

/// One artifact listed in the lock: a file name and the hash the lock recorded.
#[derive(Debug, Clone)]
pub struct LockedFile {
    pub filename: String,
    pub hash: Option<FileHash>,
    pub dist: DistFilename,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlgorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "md5" => Self::Md5,
            "sha1" => Self::Sha1,
            "sha224" => Self::Sha224,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => return None,
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }
}

/// A digest as `algorithm:lowercase-hex`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileHash {
    pub algorithm: HashAlgorithm,
    pub hex: String,
}

impl FileHash {
    /// Parses `sha256:abcd…`; the hex digits are lower-cased.
    pub fn parse(text: &str) -> Option<Self> {
        let (algo, hex) = text.split_once(':')?;
        let algorithm = HashAlgorithm::parse(&algo.to_ascii_lowercase())?;
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Self { algorithm, hex: hex.to_ascii_lowercase() })
    }
}

impl std::fmt::Display for FileHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

/// A dependency edge, from a locked package or from the project's roots.
#[derive(Debug, Clone)]
pub struct Dependency {
    pub name: PackageName,
    pub constraint: Constraint,
    /// PEP 508 marker; may test `extra` (the dependent's requested extras).
    pub marker: MarkerTree,
    /// Poetry's `python = "…"` key on the edge; `Constraint::any()` when absent.
    pub python: Constraint,
    /// Extras requested on the dependency.
    pub extras: Vec<ExtraName>,
    /// Poetry's `optional = true`: active only through one of the dependent's extras.
    pub optional: bool,
    /// Poetry's `source = "…"`: the named index the package must come from.
    pub source: Option<String>,
}

/// Lock 2.1 membership: the groups a package belongs to and, per group, when.
#[derive(Debug, Clone, Default)]
pub struct Membership {
    pub groups: Vec<GroupName>,
    /// Group → marker; a group of `groups` missing here is unconditional.
    pub markers: BTreeMap<GroupName, MarkerTree>,
}
