//! Artifact selection: the best wheel for a target by PEP 425 tag priority, else the sdist,
//! under the user's policy (`--prefer`, `--no-binary`, `--only-binary`).

use std::collections::BTreeSet;

use super::tags::{KnownRanks, wheel_pythons, wheel_systems};
use super::target::{PlatformPolicy, PythonMinor, Target};
use crate::filename::{DistFilename, SdistExtension};
use crate::model::{LockedFile, Package, Source};
use crate::name::PackageName;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prefer {
    #[default]
    Wheel,
    Sdist,
}

/// Which kinds of artifact the user allows and prefers.
#[derive(Debug, Clone, Default)]
pub struct ArtifactPolicy {
    pub prefer: Prefer,
    /// Always build these from the sdist.
    pub no_binary: BTreeSet<PackageName>,
    /// Never build these from source.
    pub only_binary: BTreeSet<PackageName>,
    /// Files the lock lists but the index does not offer: `(package, file name)`.
    pub unavailable: BTreeSet<(PackageName, String)>,
    /// Packages the lock lists no files for whose index could not be reached
    /// (`--allow-missing`): they throw when used instead of stopping the run.
    pub unreachable: BTreeSet<PackageName>,
}

impl ArtifactPolicy {
    fn usable(&self, package: &Package, file: &str) -> bool {
        // Cheap when nothing is unavailable, which is the usual case.
        self.unavailable.is_empty() || !self.unavailable.contains(&(package.name.clone(), file.to_string()))
    }
}

/// The artifact a package uses on one target (indices into `Package::files`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArtifactChoice {
    Wheel(usize),
    Sdist(usize),
    /// Nothing in the lock fits this target under the policy.
    Unusable(Unusable),
    /// A source tree (a git checkout or a local directory), built with its PEP 517 backend.
    Tree,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unusable {
    /// The lock lists no file at all for the package.
    NoFiles,
    /// No wheel fits the target and there is no sdist.
    NoWheelNoSdist,
    /// `--only-binary`, but no wheel fits the target.
    OnlyBinaryNoWheel,
    /// `--no-binary`, but there is no sdist.
    NoBinaryNoSdist,
    /// Something would fit, but the index no longer offers those files (`--allow-missing`).
    GoneFromIndex,
}

impl Unusable {
    /// Why, and what the user can do, for the generated file's evaluation error.
    pub fn explain(self) -> &'static str {
        match self {
            Self::NoFiles => "the lock lists no files for it; run `poetry lock` again so that Poetry records them",
            Self::NoWheelNoSdist => {
                "no locked wheel fits this platform and there is no sdist; pin a version that ships a wheel for it, or regenerate with --system/--python leaving this platform out"
            }
            Self::OnlyBinaryNoWheel => {
                "no locked wheel fits this platform and the sdist is not to be built (--only-binary, [tool.uv] no-build, or an override database entry with artifact = wheel, for a build nixpkgs cannot do from it); pin a version with a wheel for this platform, or leave the platform out with --system/--python"
            }
            Self::NoBinaryNoSdist => "--no-binary asks for an sdist but the lock has none; drop it from --no-binary",
            Self::GoneFromIndex => {
                "the index no longer offers the files the lock names for it; re-lock (`poetry lock`) to choose files that exist, or give it a `src` in an overlay composed after this one"
            }
        }
    }
}

/// Where a wheel may fit, from its tags alone: computed once per file so that selection ranks
/// only the wheels that may fit a target. Anything but a wheel fits no target this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileFit {
    /// Bit per `System` (its discriminant, which is its index in `System::ALL`): the systems
    /// its platform tags can run on.
    systems: u8,
    /// Bit `m` for CPython 3.m: the interpreters its Python and ABI tags allow.
    pythons: u32,
}

impl FileFit {
    pub(crate) fn of(file: &LockedFile, platform: PlatformPolicy) -> Self {
        match &file.dist {
            DistFilename::Wheel(wheel) => {
                Self { systems: wheel_systems(wheel, platform), pythons: wheel_pythons(wheel) }
            }
            _ => Self { systems: 0, pythons: 0 },
        }
    }

    /// [`Self::of`] each of `files`, once per tag set: the wheels of a lock share a few hundred
    /// (`seen`, by address: alive while the lock is borrowed, so no address is reused).
    pub(crate) fn of_files(
        files: &[LockedFile],
        platform: PlatformPolicy,
        seen: &mut rustc_hash::FxHashMap<usize, Self>,
    ) -> Vec<Self> {
        let fit = |file: &LockedFile| match &file.dist {
            DistFilename::Wheel(wheel) => {
                *seen.entry(std::sync::Arc::as_ptr(&wheel.tags) as usize).or_insert_with(|| Self::of(file, platform))
            }
            _ => Self::of(file, platform),
        };
        files.iter().map(fit).collect()
    }

    /// Whether the file may fit `target` ([`wheel_priority`] decides whether it does).
    pub(crate) fn may_fit(self, target: Target) -> bool {
        let system = 1 << target.system as u8;
        let PythonMinor(minor) = target.python;
        self.systems & system != 0 && (minor >= 32 || self.pythons & (1 << minor) != 0)
    }
}

/// Chooses the artifact for `package` on `target`; `fits` is [`FileFit::of`] each file.
/// When nothing is left only because the index no longer offers files that would fit, the
/// choice is [`Unusable::GoneFromIndex`].
pub(crate) fn select_artifact(
    package: &Package,
    fits: &[FileFit],
    target: Target,
    platform: PlatformPolicy,
    policy: &ArtifactPolicy,
    ranks: &mut KnownRanks,
) -> ArtifactChoice {
    let choice = choose(package, fits, target, platform, policy, true, ranks);
    let lost_files = || policy.unavailable.iter().any(|(name, _)| name == &package.name);
    if matches!(choice, ArtifactChoice::Unusable(_))
        && lost_files()
        && !matches!(choose(package, fits, target, platform, policy, false, ranks), ArtifactChoice::Unusable(_))
    {
        return ArtifactChoice::Unusable(Unusable::GoneFromIndex);
    }
    choice
}

/// [`select_artifact`], with or without the files the index does not offer.
fn choose(
    package: &Package,
    fits: &[FileFit],
    target: Target,
    platform: PlatformPolicy,
    policy: &ArtifactPolicy,
    only_available: bool,
    ranks: &mut KnownRanks,
) -> ArtifactChoice {
    // A tree is built whatever the target; index, url and file sources choose among files.
    if matches!(package.source, Source::Git { .. } | Source::Directory { .. }) {
        return ArtifactChoice::Tree;
    }
    if package.files.is_empty() {
        let unreachable = policy.unreachable.contains(&package.name);
        return ArtifactChoice::Unusable(if unreachable { Unusable::GoneFromIndex } else { Unusable::NoFiles });
    }
    // Each looked for only when the policy asks: the sdist does not depend on the target.
    let mut wheel = || best_wheel(package, fits, target, platform, policy, only_available, ranks);
    let sdist = || best_sdist(package, policy, only_available);
    if policy.no_binary.contains(&package.name) {
        return sdist().map_or(ArtifactChoice::Unusable(Unusable::NoBinaryNoSdist), ArtifactChoice::Sdist);
    }
    if policy.only_binary.contains(&package.name) {
        return wheel().map_or(ArtifactChoice::Unusable(Unusable::OnlyBinaryNoWheel), ArtifactChoice::Wheel);
    }
    match policy.prefer {
        Prefer::Wheel => wheel().map(ArtifactChoice::Wheel).or_else(|| sdist().map(ArtifactChoice::Sdist)),
        Prefer::Sdist => sdist().map(ArtifactChoice::Sdist).or_else(|| wheel().map(ArtifactChoice::Wheel)),
    }
    .unwrap_or(ArtifactChoice::Unusable(Unusable::NoWheelNoSdist))
}

fn best_wheel(
    package: &Package,
    fits: &[FileFit],
    target: Target,
    platform: PlatformPolicy,
    policy: &ArtifactPolicy,
    only_available: bool,
    ranks: &mut KnownRanks,
) -> Option<usize> {
    // The fits first: they are small, and most wheels of a large package fit another target.
    fits.iter()
        .enumerate()
        .filter(|(_, fit)| fit.may_fit(target))
        .map(|(i, _)| (i, &package.files[i]))
        .filter(|(_, file)| !only_available || policy.usable(package, &file.filename))
        .filter_map(|(i, file)| match &file.dist {
            DistFilename::Wheel(wheel) => ranks.wheel_priority(wheel, target, platform).map(|p| (p, &file.filename, i)),
            _ => None,
        })
        .min()
        .map(|(_, _, i)| i)
}

/// The sdist; `.tar.gz` wins over other archive kinds, then the file name decides.
fn best_sdist(package: &Package, policy: &ArtifactPolicy, only_available: bool) -> Option<usize> {
    package
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            matches!(f.dist, DistFilename::Sdist(_)) && (!only_available || policy.usable(package, &f.filename))
        })
        .min_by_key(|(_, f)| {
            let tar_gz = matches!(&f.dist, DistFilename::Sdist(sdist) if sdist.extension == SdistExtension::TarGz);
            (!tar_gz, &f.filename)
        })
        .map(|(i, _)| i)
}
