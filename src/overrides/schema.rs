//! The types of one override entry, as validated from an `[[override]]` table, and how an entry
//! matches a package version and artifact kind.

use std::fmt;

use serde::Deserialize;
use uv_pep440::{Version, VersionSpecifiers};

pub(crate) use crate::additions::{Additions, RelaxDeps};
use crate::filename::Os;
use crate::name::PackageName;

/// Which artifact kinds an entry applies to (`applies-to`, default `both`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppliesTo {
    Wheel,
    Sdist,
    #[default]
    Both,
}

impl AppliesTo {
    /// Whether an entry with this `applies-to` applies to `kind`; `None` (kind not decided yet)
    /// is included by every value.
    pub fn includes(self, kind: Option<ArtifactKind>) -> bool {
        match (self, kind) {
            (Self::Both, _) | (_, None) => true,
            (Self::Wheel, Some(kind)) => kind == ArtifactKind::Wheel,
            (Self::Sdist, Some(kind)) => kind == ArtifactKind::Sdist,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wheel => "wheel",
            Self::Sdist => "sdist",
            Self::Both => "both",
        }
    }
}

impl fmt::Display for AppliesTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of artifact a package is built from on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactKind {
    Wheel,
    Sdist,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wheel => "wheel",
            Self::Sdist => "sdist",
        }
    }
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `package` of an entry: one PEP 503 name, or a prefix glob (`nvidia-*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NamePattern {
    Exact(PackageName),
    /// The normalized text before the `*`: `"nvidia-*"` is `Prefix("nvidia-")`.
    Prefix(String),
}

impl NamePattern {
    /// Parses a name or a glob ending in `*`. The error is a message for the `package` field.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(prefix) = text.strip_suffix('*') else {
            if text.contains('*') {
                return Err("a glob has one `*`, at the end (`nvidia-*`)".to_string());
            }
            return PackageName::from_owned(text.to_string())
                .map(NamePattern::Exact)
                .map_err(|e| format!("not a valid package name: {e}"));
        };
        if prefix.is_empty() {
            return Err("`*` alone would match every package; give a prefix (`nvidia-*`)".to_string());
        }
        if prefix.contains('*') {
            return Err("a glob has one `*`, at the end (`nvidia-*`)".to_string());
        }
        let valid = prefix.starts_with(|c: char| c.is_ascii_alphanumeric())
            && prefix.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(
                "a glob's prefix starts with a letter or digit and holds only letters, digits, `-`, `_` and `.`"
                    .to_string(),
            );
        }
        Ok(Self::Prefix(normalize_prefix(prefix)))
    }

    pub fn matches(&self, name: &PackageName) -> bool {
        match self {
            Self::Exact(exact) => exact == name,
            Self::Prefix(prefix) => name.as_ref().starts_with(prefix.as_str()),
        }
    }
}

impl fmt::Display for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(name) => write!(f, "{name}"),
            Self::Prefix(prefix) => write!(f, "{prefix}*"),
        }
    }
}

/// PEP 503 normalization of a name prefix: lowercase, each run of `-`, `_`, `.` becomes `-`.
fn normalize_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Where an entry was read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A file compiled into lock2nix, relative to the repository (`overrides/packages/torch.toml`).
    Builtin { file: String },
    /// A file given with `--overrides`, as the user named it.
    User { file: String },
}

impl Origin {
    pub fn file(&self) -> &str {
        match self {
            Self::Builtin { file } | Self::User { file } => file,
        }
    }

    pub fn is_builtin(&self) -> bool {
        matches!(self, Self::Builtin { .. })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin { file } => write!(f, "{file} (built-in)"),
            Self::User { file } => write!(f, "{file} (user)"),
        }
    }
}

/// One validated `[[override]]` entry. Field meanings are those of `overrides/README.md`; list
/// fields are empty when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub package: NamePattern,
    /// `None`: every version.
    pub versions: Option<VersionSpecifiers>,
    pub applies_to: AppliesTo,
    /// `platforms`: the systems whose wheels the entry applies to (empty: all artifacts).
    pub platforms: Vec<Os>,
    pub reason: String,
    pub link: String,
    pub origin: Origin,
    /// What the entry adds to the derivation.
    pub adds: Additions<PackageName>,
    /// `artifact`: the kind of artifact to build from, whatever the resolver would choose.
    pub artifact: Option<ArtifactKind>,
    /// `drop`: the package is left out of the generated set.
    pub drop: bool,
}

impl Entry {
    /// The schema names of the fields the entry sets, in schema order.
    pub fn added_fields(&self) -> Vec<&'static str> {
        let mut fields = self.adds.added_fields();
        if self.artifact.is_some() {
            // The schema puts `artifact` between the inputs and the scripts.
            const AFTER: [&str; 4] = ["pre-build", "post-install", "python-relax-deps", "python-remove-deps"];
            let at = fields.iter().position(|f| AFTER.contains(f)).unwrap_or(fields.len());
            fields.insert(at, "artifact");
        }
        if self.drop {
            fields.push("drop");
        }
        fields
    }

    /// Whether this entry applies to `name` at `version` built from `kind`. `kind: None` means the
    /// kind is not decided yet: `applies-to` is then ignored.
    pub fn matches(&self, name: &PackageName, version: &Version, kind: Option<ArtifactKind>) -> bool {
        self.package.matches(name)
            && self.versions.as_ref().is_none_or(|versions| versions.contains(version))
            && self.applies_to.includes(kind)
    }

    /// Whether the entry applies to an artifact for `os` (`None`: pure wheels and sdists).
    pub fn applies_on(&self, os: Option<Os>) -> bool {
        self.platforms.is_empty() || os.is_some_and(|os| self.platforms.contains(&os))
    }
}

/// Whether `path` is a well-formed nixpkgs attribute path: dot-separated Nix identifiers
/// (`zlib`, `stdenv.cc.cc.lib`, `cudaPackages.cuda_cudart`).
pub(crate) fn is_attribute_path(path: &str) -> bool {
    path.split('.').all(|segment| {
        let mut chars = segment.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
    })
}
