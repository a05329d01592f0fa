//! What a package needs beyond `fetchurl` + `buildPythonPackage`: build systems, native
//! inputs, patchelf settings, … decided per artifact by a [`Fixer`] (the override database and
//! inference), with a provenance line for each decision.

use std::fmt;
use std::sync::{Arc, LazyLock};

use crate::additions::Additions;
pub(crate) use crate::additions::RelaxDeps;
use crate::inference::BuildFacts;
use crate::model::{LockedFile, Package};
pub(crate) use crate::overrides::ArtifactKind as Kind;
use crate::warning::WarningKind;

/// A Python package in the generated set: the locked one (`final.x`) or nixpkgs' (`prev.x`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PythonRef {
    Locked(String),
    /// One `overrides/nixpkgs-attributes.txt` lists as `python3Packages.x`.
    Nixpkgs(String),
    /// Neither locked nor listed: nixpkgs' if it has one, else evaluation throws naming the fix.
    Unlisted(String),
}

/// Everything added to one artifact's derivation, and why. Empty means nothing to add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fixups {
    /// One entry per override applied, inference made or gap left, each a comment in the file.
    pub provenance: Vec<Provenance>,
    /// What the derivation gets: the override entries' additions on top of inference's.
    pub adds: Additions<PythonRef>,
}

impl Fixups {
    /// `fixups` to keep in a plan: one empty value for all that are empty, since a plan holds
    /// fixups for each artifact on each target and most (wheels without an override) add nothing.
    pub(crate) fn shared(fixups: Self) -> Arc<Self> {
        static EMPTY: LazyLock<Arc<Fixups>> = LazyLock::new(Arc::default);
        if fixups == Self::default() { Arc::clone(&EMPTY) } else { Arc::new(fixups) }
    }
}

/// Decides the fixups of each artifact; implemented over the override database and the
/// inference results, and by [`Plain`] when there are none.
pub trait Fixer: Sync {
    fn fixups(&self, package: &Package, file: &LockedFile, kind: Kind) -> Fixups;

    /// The fixups of a source tree or a local file built from source, given what the fetch
    /// stage read of its build system (`None`: nothing read).
    fn tree_fixups(&self, _package: &Package, facts: Option<&Result<BuildFacts, String>>) -> Fixups {
        self.build_system_fixups(facts)
    }

    /// The build system a source declares, as fixups (`None`: nothing read).
    fn build_system_fixups(&self, facts: Option<&Result<BuildFacts, String>>) -> Fixups {
        Fixups {
            provenance: vec![Provenance::Gap(Gap::BuildSystem(facts.and_then(|f| f.as_ref().err().cloned())))],
            adds: Additions { build_system: setuptools_and_wheel(), ..Additions::default() },
        }
    }

    /// Whether the package is left out of the generated set altogether.
    fn dropped(&self, _package: &Package) -> bool {
        false
    }
}

/// No database, no inference: sdists get nixpkgs' setuptools and wheel, which is what a
/// setup.py-only sdist needs.
pub struct Plain;

impl Fixer for Plain {
    fn fixups(&self, _package: &Package, _file: &LockedFile, kind: Kind) -> Fixups {
        match kind {
            Kind::Wheel => Fixups::default(),
            Kind::Sdist => Fixups {
                provenance: vec![Provenance::Gap(Gap::BuildSystem(None))],
                adds: Additions { build_system: setuptools_and_wheel(), ..Additions::default() },
            },
        }
    }
}

/// PEP 517's fallback backend for sdists that declare none.
pub(crate) fn setuptools_and_wheel() -> Vec<PythonRef> {
    vec![PythonRef::Nixpkgs("setuptools".into()), PythonRef::Nixpkgs("wheel".into())]
}

/// Why an artifact's derivation says what it says: one comment line in the generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// What inference read in the artifact.
    Inferred(String),
    /// An override entry that applies: its package pattern, its file and its reason.
    Override { package: String, file: String, reason: String },
    /// What inference could not settle: the file says so, and the run warns.
    Gap(Gap),
}

/// What inference left open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// An sdist's build system: `None` when inference was off, else why it could not be read.
    BuildSystem(Option<String>),
    /// A wheel's native libraries could not be read, and why.
    NativeLibraries(String),
    /// Sonames a wheel needs that the soname table does not know.
    UnknownSonames(Vec<String>),
}

impl Gap {
    pub fn warning_kind(&self) -> WarningKind {
        match self {
            Self::BuildSystem(_) => WarningKind::BuildSystemNotInferred,
            Self::NativeLibraries(_) => WarningKind::NativeLibrariesNotInferred,
            Self::UnknownSonames(_) => WarningKind::UnknownSonames,
        }
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inferred(text) => write!(f, "inferred: {text}"),
            Self::Override { package, file, reason } => write!(f, "override: {package} ({file}): {reason}"),
            Self::Gap(Gap::BuildSystem(None)) => {
                write!(f, "build system not inferred; nixpkgs' setuptools and wheel")
            }
            Self::Gap(Gap::BuildSystem(Some(why))) => {
                write!(f, "build system not inferred ({why}); nixpkgs' setuptools and wheel")
            }
            Self::Gap(Gap::NativeLibraries(why)) => write!(f, "native libraries not inferred: {why}"),
            Self::Gap(Gap::UnknownSonames(sonames)) => {
                write!(f, "unknown sonames (not in overrides/sonames.toml; add an override): {}", sonames.join(", "))
            }
        }
    }
}
