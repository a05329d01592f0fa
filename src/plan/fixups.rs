//! What a package needs beyond `fetchurl` + `buildPythonPackage`: build systems, native
//! inputs, patchelf settings, … decided per artifact by a [`Fixer`] (the override database and
//! inference), with a provenance line for each decision.

use std::collections::BTreeMap;

use crate::model::{LockedFile, Package};
pub use crate::overrides::{ArtifactKind as Kind, RelaxDeps};

/// A Python package in the generated set: the locked one (`final.x`) or nixpkgs' (`prev.x`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PythonRef {
    Locked(String),
    /// One `overrides/nixpkgs-attributes.txt` lists as `python3Packages.x`.
    Nixpkgs(String),
    /// Neither locked nor listed: nixpkgs' if it has one, else evaluation throws naming the fix.
    Unlisted(String),
}

/// Everything added to one artifact's derivation. Empty means nothing to add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fixups {
    /// One line per override applied or inference made (`override: …`, `inferred: …`).
    pub provenance: Vec<String>,
    /// `build-system` of an sdist.
    pub build_system: Vec<PythonRef>,
    /// Runtime dependencies beyond the lock's edges.
    pub dependencies: Vec<PythonRef>,
    /// nixpkgs attribute paths.
    pub native_build_inputs: Vec<String>,
    pub build_inputs: Vec<String>,
    pub runtime_dependencies: Vec<String>,
    pub auto_patchelf_ignore_missing_deps: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub pre_build: Option<String>,
    pub post_install: Option<String>,
    pub python_relax_deps: Option<RelaxDeps>,
    pub python_remove_deps: Vec<String>,
}

/// Decides the fixups of each artifact; implemented over the override database and the
/// inference results, and by [`Plain`] when there are none.
pub trait Fixer: Sync {
    fn fixups(&self, package: &Package, file: &LockedFile, kind: Kind) -> Fixups;

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
                provenance: vec!["build system not inferred; nixpkgs' setuptools and wheel".into()],
                build_system: setuptools_and_wheel(),
                ..Fixups::default()
            },
        }
    }
}

/// PEP 517's fallback backend for sdists that declare none.
pub fn setuptools_and_wheel() -> Vec<PythonRef> {
    vec![PythonRef::Nixpkgs("setuptools".into()), PythonRef::Nixpkgs("wheel".into())]
}
