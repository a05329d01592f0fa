//! Artifact selection: the best wheel for a target by PEP 425 tag priority, else the sdist,
//! under the user's policy (`--prefer`, `--no-binary`, `--only-binary`).

use std::collections::BTreeSet;

use super::tags::{wheel_priority, wheel_systems};
use super::target::{PlatformPolicy, System, Target};
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

/// The systems (bit per `System::ALL` index) a file can serve: wheels by their platform
/// tags, anything else none. Computed once per file so that selection skips the rest.
pub(crate) fn file_systems(file: &LockedFile, platform: PlatformPolicy) -> u8 {
    match &file.dist {
        DistFilename::Wheel(wheel) => wheel_systems(wheel, platform),
        _ => 0,
    }
}

/// Chooses the artifact for `package` on `target`; `systems` is [`file_systems`] of each file.
/// When nothing is left only because the index no longer offers files that would fit, the
/// choice is [`Unusable::GoneFromIndex`].
pub(crate) fn select_artifact(
    package: &Package,
    systems: &[u8],
    target: Target,
    platform: PlatformPolicy,
    policy: &ArtifactPolicy,
) -> ArtifactChoice {
    let choice = choose(package, systems, target, platform, policy, true);
    let lost_files = || policy.unavailable.iter().any(|(name, _)| name == &package.name);
    if matches!(choice, ArtifactChoice::Unusable(_))
        && lost_files()
        && !matches!(choose(package, systems, target, platform, policy, false), ArtifactChoice::Unusable(_))
    {
        return ArtifactChoice::Unusable(Unusable::GoneFromIndex);
    }
    choice
}

/// [`select_artifact`], with or without the files the index does not offer.
fn choose(
    package: &Package,
    systems: &[u8],
    target: Target,
    platform: PlatformPolicy,
    policy: &ArtifactPolicy,
    only_available: bool,
) -> ArtifactChoice {
    // A tree is built whatever the target; index, url and file sources choose among files.
    if matches!(package.source, Source::Git { .. } | Source::Directory { .. }) {
        return ArtifactChoice::Tree;
    }
    if package.files.is_empty() {
        let unreachable = policy.unreachable.contains(&package.name);
        return ArtifactChoice::Unusable(if unreachable { Unusable::GoneFromIndex } else { Unusable::NoFiles });
    }
    let wheel = best_wheel(package, systems, target, platform, policy, only_available);
    let sdist = best_sdist(package, policy, only_available);
    if policy.no_binary.contains(&package.name) {
        return sdist.map_or(ArtifactChoice::Unusable(Unusable::NoBinaryNoSdist), ArtifactChoice::Sdist);
    }
    if policy.only_binary.contains(&package.name) {
        return wheel.map_or(ArtifactChoice::Unusable(Unusable::OnlyBinaryNoWheel), ArtifactChoice::Wheel);
    }
    match (policy.prefer, wheel, sdist) {
        (Prefer::Sdist, _, Some(s)) | (Prefer::Wheel, None, Some(s)) => ArtifactChoice::Sdist(s),
        (_, Some(w), _) => ArtifactChoice::Wheel(w),
        (_, None, None) => ArtifactChoice::Unusable(Unusable::NoWheelNoSdist),
    }
}

fn best_wheel(
    package: &Package,
    systems: &[u8],
    target: Target,
    platform: PlatformPolicy,
    policy: &ArtifactPolicy,
    only_available: bool,
) -> Option<usize> {
    let bit = 1 << System::ALL.iter().position(|s| *s == target.system).expect("a known system");
    package
        .files
        .iter()
        .enumerate()
        .filter(|(i, file)| systems[*i] & bit != 0 && (!only_available || policy.usable(package, &file.filename)))
        .filter_map(|(i, file)| match &file.dist {
            DistFilename::Wheel(wheel) => wheel_priority(wheel, target, platform).map(|p| (p, &file.filename, i)),
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
