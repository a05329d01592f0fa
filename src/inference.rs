//! Runs inference over the artifacts a resolution chose: each sdist's build system and each
//! manylinux wheel's native libraries. Downloads go through `fetch::artifacts`, which caches
//! the facts by sha256, so a second run downloads nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::fetch::artifacts::{self, Artifact};
use crate::fetch::{FetchError, FetchOptions};
use crate::filename::DistFilename;
use crate::infer::{self, BuildSystemSource, WheelLibraries};
use crate::model::Lock;
use crate::name::PackageName;
use crate::plan::Locations;
use crate::resolve::{ArtifactChoice, Resolution};

/// What an sdist declares about its build, as cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildFacts {
    /// Normalized names of `[build-system] requires` (markers that never hold dropped).
    pub requires: Vec<String>,
    /// The PEP 517 backend, or setuptools' legacy one.
    pub backend: String,
    /// Where it came from: `pyproject.toml [build-system]`, `setup.py`, ….
    pub source: String,
}

impl BuildFacts {
    /// The build system of a source tree (a checkout, a folder, the project itself) from the
    /// text of its pyproject.toml and whether it has a setup.py, or why it cannot be read.
    pub fn of_tree(label: &str, pyproject: Option<&str>, setup_py: bool) -> Result<Self, String> {
        infer::tree_build_system(label, pyproject, setup_py).map(|found| Self::of(&found)).map_err(|e| e.to_string())
    }

    /// The facts of a build system as read from a source.
    pub fn of(found: &infer::BuildSystem) -> Self {
        Self {
            requires: found.requirement_names().iter().map(ToString::to_string).collect(),
            backend: found.effective_backend().to_string(),
            source: match found.source {
                BuildSystemSource::PyprojectBuildSystem => "pyproject.toml [build-system]",
                BuildSystemSource::PyprojectWithoutBuildSystem => {
                    "pyproject.toml (no [build-system]: PEP 518's default)"
                }
                BuildSystemSource::SetupPyOnly => "setup.py (no pyproject.toml: setuptools)",
                BuildSystemSource::SetupCfgOnly => "setup.cfg (no pyproject.toml: setuptools)",
            }
            .to_string(),
        }
    }
}

/// Per (package, file name): the facts, or why the artifact could not be read.
#[derive(Debug, Default)]
pub(crate) struct Inferred {
    pub build_systems: BTreeMap<(PackageName, String), Result<BuildFacts, String>>,
    pub natives: BTreeMap<(PackageName, String), Result<WheelLibraries, String>>,
    /// Per lock package without recorded edges (pylock.toml): its wheel's `Requires-Dist`.
    pub requires_dist: BTreeMap<usize, Result<Vec<String>, String>>,
    /// Artifacts downloaded by this run (0 when everything was cached).
    pub downloads: usize,
    /// Wheels whose dependencies came from the index's PEP 658 `.metadata` file instead.
    pub metadata_files: usize,
    /// Artifacts left unread for being over [`InferOptions::max_size`].
    pub too_large: usize,
}

/// How far inference goes.
#[derive(Debug, Clone, Default)]
pub struct InferOptions {
    /// Artifacts larger than this many bytes are not downloaded: their facts stay unknown and
    /// the output says so (the override database still applies).
    pub max_size: Option<u64>,
}

/// For each installed package of a lock without a graph (pylock.toml) that records no edges,
/// the file to read its `Requires-Dist` from: a chosen pure-Python wheel if any, else the first
/// chosen wheel (all wheels of a version declare the same dependencies), else its chosen sdist.
fn edgeless_artifacts(lock: &Lock, resolution: &Resolution) -> BTreeMap<usize, usize> {
    let mut chosen = BTreeMap::new();
    for (i, package) in lock.packages.iter().enumerate() {
        if package.marker.is_none() || !package.dependencies.is_empty() {
            continue;
        }
        let (mut wheels, mut sdists) = (BTreeSet::new(), BTreeSet::new());
        for installed in resolution.packages[i].per_target.iter().flatten() {
            match installed.artifact {
                ArtifactChoice::Wheel(f) => wheels.insert(f),
                ArtifactChoice::Sdist(f) => sdists.insert(f),
                _ => false,
            };
        }
        let pure = wheels.iter().copied().find(|&f| package.files[f].filename.ends_with("-none-any.whl"));
        if let Some(f) = pure.or_else(|| wheels.first().copied()).or_else(|| sdists.first().copied()) {
            chosen.insert(i, f);
        }
    }
    chosen
}

/// Reads the facts of every chosen sdist and manylinux wheel, and the dependencies of the
/// packages a lock without a graph gives none for.
pub(crate) fn infer(
    lock: &Lock,
    resolution: &Resolution,
    locations: &dyn Locations,
    options: &FetchOptions,
    limits: &InferOptions,
) -> Result<Inferred, FetchError> {
    let mut sdists = BTreeSet::new();
    let mut wheels = BTreeSet::new();
    for (i, package) in lock.packages.iter().enumerate() {
        for installed in resolution.packages[i].per_target.iter().flatten() {
            match installed.artifact {
                ArtifactChoice::Sdist(f) => {
                    sdists.insert((i, f));
                }
                ArtifactChoice::Wheel(f) if package.files[f].dist.is_linux_binary() => {
                    wheels.insert((i, f));
                }
                _ => {}
            }
        }
    }
    let to_artifacts = |chosen: &BTreeSet<(usize, usize)>| -> Vec<(PackageName, Artifact)> {
        chosen
            .iter()
            .filter_map(|&(i, f)| {
                let package = &lock.packages[i];
                let filename = &package.files[f].filename;
                let (url, sha256) = locations.locate(package, &package.files[f])?;
                Some((
                    package.name.clone(),
                    Artifact { filename: filename.clone(), url: url.to_string(), sha256_hex: sha256?.hex() },
                ))
            })
            .collect()
    };
    let sdist_artifacts = to_artifacts(&sdists);
    let wheel_artifacts = to_artifacts(&wheels);
    let edgeless = edgeless_artifacts(lock, resolution);
    let metadata_artifacts = to_artifacts(&edgeless.iter().map(|(&i, &f)| (i, f)).collect());
    let list = |pairs: &[(PackageName, Artifact)]| pairs.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>();
    let max_size = limits.max_size;
    let build =
        artifacts::describe("build-system", &list(&sdist_artifacts), options, max_size, None, |artifact, file| {
            let found = infer::sdist_build_system(&artifact.filename, file).map_err(|e| e.to_string())?;
            Ok(BuildFacts::of(&found))
        })?;
    let native =
        artifacts::describe("native-libraries", &list(&wheel_artifacts), options, max_size, None, |artifact, file| {
            infer::wheel_libraries(&artifact.filename, file).map_err(|e| e.to_string())
        })?;
    // PEP 658: the index's copy of the wheel's METADATA, where it serves one, spares the wheel.
    let core_metadata = artifacts::Sidecar {
        suffix: ".metadata",
        for_file: DistFilename::is_wheel_name,
        read: infer::metadata::core_metadata_requires_dist,
    };
    let metadata = artifacts::describe(
        "requires-dist",
        &list(&metadata_artifacts),
        options,
        max_size,
        Some(&core_metadata),
        |artifact, file| {
            let read = if DistFilename::is_wheel_name(&artifact.filename) {
                infer::metadata::wheel_requires_dist(&artifact.filename, file)
            } else {
                infer::metadata::sdist_requires_dist(&artifact.filename, file)
            };
            read.map_err(|e| e.to_string())
        },
    )?;
    let mut inferred = Inferred {
        downloads: build.downloads + native.downloads + metadata.downloads,
        metadata_files: metadata.sidecars,
        too_large: build.too_large + native.too_large + metadata.too_large,
        ..Inferred::default()
    };
    for (&i, &f) in &edgeless {
        let package = &lock.packages[i];
        let read = match locations.locate(package, &package.files[f]) {
            Some((_, Some(sha256))) => metadata.by_sha256.get(&sha256.hex()).cloned(),
            _ => None,
        };
        inferred.requires_dist.insert(i, read.unwrap_or_else(|| Err("its file could not be located".into())));
    }
    for (name, artifact) in sdist_artifacts {
        if let Some(facts) = build.by_sha256.get(&artifact.sha256_hex) {
            inferred.build_systems.insert((name, artifact.filename), facts.clone());
        }
    }
    for (name, artifact) in wheel_artifacts {
        if let Some(facts) = native.by_sha256.get(&artifact.sha256_hex) {
            inferred.natives.insert((name, artifact.filename), facts.clone());
        }
    }
    Ok(inferred)
}
