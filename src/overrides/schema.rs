//! The types of one override entry, as validated from an `[[override]]` table, and how an entry
//! matches a package version and artifact kind.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use uv_pep440::{Version, VersionSpecifiers};

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

/// `python-relax-deps`: `true` relaxes every `Requires-Dist` bound, a list only those packages'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelaxDeps {
    All,
    Names(Vec<String>),
}

impl RelaxDeps {
    /// Merges a later entry's value into this one: `All` absorbs, lists are united in order.
    pub(crate) fn merge(&mut self, later: &Self) {
        match (&mut *self, later) {
            (Self::All, _) => {}
            (_, Self::All) => *self = Self::All,
            (Self::Names(names), Self::Names(more)) => extend_unique(names, more),
        }
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
    /// What the entry adds.
    pub adds: Additions,
}

/// What an entry adds, and what the matching entries add together ([`Additions::merge`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Additions {
    pub native_build_inputs: Vec<String>,
    pub build_inputs: Vec<String>,
    pub build_system: Vec<PackageName>,
    pub dependencies: Vec<PackageName>,
    pub env: BTreeMap<String, String>,
    pub auto_patchelf_ignore_missing_deps: Vec<String>,
    pub runtime_dependencies: Vec<String>,
    pub artifact: Option<ArtifactKind>,
    pub pre_build: Option<String>,
    pub post_install: Option<String>,
    pub python_relax_deps: Option<RelaxDeps>,
    pub python_remove_deps: Vec<String>,
    pub drop: bool,
}

impl Entry {
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

/// Setup hooks that patch Linux ELF files: meaningless for other artifacts, and absent from
/// nixpkgs off Linux.
pub(crate) const LINUX_ONLY_HOOKS: [&str; 2] = ["autoPatchelfHook", "autoAddDriverRunpath"];

/// Appends each item of `more` not already in `list`, keeping first occurrences in order.
pub(crate) fn extend_unique<T: PartialEq + Clone>(list: &mut Vec<T>, more: &[T]) {
    for item in more {
        if !list.contains(item) {
            list.push(item.clone());
        }
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

impl Additions {
    /// The schema names of the fields these additions set, in schema order.
    pub fn added_fields(&self) -> Vec<&'static str> {
        let present = [
            ("native-build-inputs", !self.native_build_inputs.is_empty()),
            ("build-inputs", !self.build_inputs.is_empty()),
            ("build-system", !self.build_system.is_empty()),
            ("dependencies", !self.dependencies.is_empty()),
            ("env", !self.env.is_empty()),
            ("auto-patchelf-ignore-missing-deps", !self.auto_patchelf_ignore_missing_deps.is_empty()),
            ("runtime-dependencies", !self.runtime_dependencies.is_empty()),
            ("artifact", self.artifact.is_some()),
            ("pre-build", self.pre_build.is_some()),
            ("post-install", self.post_install.is_some()),
            ("python-relax-deps", self.python_relax_deps.is_some()),
            ("python-remove-deps", !self.python_remove_deps.is_empty()),
            ("drop", self.drop),
        ];
        present.into_iter().filter(|(_, p)| *p).map(|(name, _)| name).collect()
    }

    /// What of these additions applies to a wheel without Linux ELF files (a macOS or pure
    /// wheel; an sdist, built on every system, keeps everything): no library inputs, no
    /// patchelf settings, no Linux-only hooks.
    pub fn without_linux_binary_fixes(&self) -> Self {
        Self {
            native_build_inputs: self
                .native_build_inputs
                .iter()
                .filter(|attr| !LINUX_ONLY_HOOKS.contains(&attr.as_str()))
                .cloned()
                .collect(),
            build_inputs: Vec::new(),
            runtime_dependencies: Vec::new(),
            auto_patchelf_ignore_missing_deps: Vec::new(),
            ..self.clone()
        }
    }

    /// Adds a later entry's additions, by the README's rules: lists concatenated without
    /// duplicates (first occurrence kept), `env` keys and scalar fields from the last entry that
    /// sets them, `python-relax-deps = true` absorbing any list, `drop` if any entry drops.
    pub fn merge(&mut self, later: &Self) {
        extend_unique(&mut self.native_build_inputs, &later.native_build_inputs);
        extend_unique(&mut self.build_inputs, &later.build_inputs);
        extend_unique(&mut self.build_system, &later.build_system);
        extend_unique(&mut self.dependencies, &later.dependencies);
        self.env.extend(later.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        extend_unique(&mut self.auto_patchelf_ignore_missing_deps, &later.auto_patchelf_ignore_missing_deps);
        extend_unique(&mut self.runtime_dependencies, &later.runtime_dependencies);
        if later.artifact.is_some() {
            self.artifact = later.artifact;
        }
        if later.pre_build.is_some() {
            self.pre_build.clone_from(&later.pre_build);
        }
        if later.post_install.is_some() {
            self.post_install.clone_from(&later.post_install);
        }
        if let Some(relax) = &later.python_relax_deps {
            match &mut self.python_relax_deps {
                Some(merged) => merged.merge(relax),
                None => self.python_relax_deps = Some(relax.clone()),
            }
        }
        extend_unique(&mut self.python_remove_deps, &later.python_remove_deps);
        self.drop |= later.drop;
    }
}
