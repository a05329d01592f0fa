//! What a planned derivation builds, in two independent parts: where its source comes from
//! ([`Src`]: a downloaded file, a git checkout, a path beside the generated file) and how it
//! is built ([`Format`]: install a wheel, or a PEP 517 build of a tree or an sdist).

use super::fixups::{Fixer, Fixups, Kind};
use super::{Locations, PlanError, sri_sha256};
use crate::inference::BuildFacts;
use crate::model::{Lock, Source};
use crate::resolve::select::Unusable;
use crate::resolve::{ArtifactChoice, Installed};
use crate::warning::first_few;

/// One way a package can be built on some targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedArtifact {
    /// Boxed: a build is large and most packages have one or two.
    Build(Box<Build>),
    /// Evaluation must fail here with this explanation.
    Unusable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    pub src: Src,
    pub format: Format,
    /// The folder of the unpacked source that holds the project (a git or url `subdirectory`).
    pub subdirectory: Option<String>,
    pub fixups: Fixups,
}

impl PlannedArtifact {
    pub fn build(&self) -> Option<&Build> {
        match self {
            PlannedArtifact::Build(build) => Some(build),
            PlannedArtifact::Unusable(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Install a built wheel (`format = "wheel"`).
    Wheel,
    /// Build with the source's PEP 517 backend (`pyproject = true`).
    Pyproject,
}

/// Where the source comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Src {
    /// A file fetched by URL with its sha256 (an index file or a `url` source).
    Url(Download),
    /// A commit of a git repository, as nixpkgs' fetchgit stores it.
    Git(GitCheckout),
    /// A file or folder beside the generated file.
    Path(LocalPath),
}

impl Src {
    /// What the source is, for messages: the file name, the repository, or the path.
    pub fn label(&self) -> &str {
        match self {
            Src::Url(download) => &download.file,
            Src::Git(git) => &git.url,
            Src::Path(path) => &path.path,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Download {
    pub file: String,
    /// Never with credentials.
    pub url: String,
    /// SRI `sha256-…`.
    pub hash: String,
    /// Credentials the download needs at build time.
    pub auth: Option<NetrcAuth>,
}

/// Basic auth for a download at build time: a netrc entry for `machine`, written by the
/// fetcher from the builder's environment variables `<variables>_USERNAME`/`_PASSWORD`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NetrcAuth {
    pub machine: String,
    /// Poetry's `POETRY_HTTP_BASIC_<SOURCE>`, so one pair of variables serves Poetry, lock2nix
    /// and the Nix build.
    pub variables: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCheckout {
    /// Never with credentials.
    pub url: String,
    /// The full commit hash.
    pub rev: String,
    /// SRI `sha256-…` of the tree without `.git`, as fetchgit stores it.
    pub hash: String,
    pub submodules: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath {
    /// Relative to the generated file's folder, with `/` separators (`../libs/a`, `dist/a.whl`).
    pub path: String,
    /// A folder (filtered of VCS and build debris), or a single file.
    pub directory: bool,
}

/// What the fetch stage found for a source that is not an index file: the pinned source and,
/// for a tree, its build system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinnedSource {
    Git {
        checkout: GitCheckout,
        build: Result<BuildFacts, String>,
    },
    Path {
        path: LocalPath,
        build: Option<Result<BuildFacts, String>>,
    },
    /// The remote could not be reached and no hash is known (`--allow-missing`): why.
    Unreachable(String),
}

/// What package `i` builds on the targets whose choice is `state`'s.
pub(super) fn planned_artifact(
    lock: &Lock,
    i: usize,
    state: &Installed,
    locations: &dyn Locations,
    fixer: &dyn Fixer,
) -> Result<PlannedArtifact, PlanError> {
    let package = &lock.packages[i];
    if let Some(PinnedSource::Unreachable(why)) = locations.pinned(i) {
        return Ok(PlannedArtifact::Unusable(format!(
            "{why} (generated with --allow-missing); make it reachable and regenerate, or record its hash with --hashes"
        )));
    }
    let file_src = |file: usize| -> Result<(Src, Option<String>), PlanError> {
        let file = &package.files[file].filename;
        if let Source::File { .. } = package.source {
            return match locations.pinned(i) {
                Some(PinnedSource::Path { path, .. }) => Ok((Src::Path(path.clone()), None)),
                _ => Err(PlanError::NotPinned { package: package.id(), kind: package.source.kind() }),
            };
        }
        let (url, sha256) = locations.find(&package.name, file).ok_or_else(|| PlanError::FileNotOnIndex {
            package: package.id(),
            file: file.clone(),
            lock: lock.origin.clone(),
        })?;
        let hash = sri_sha256(sha256).ok_or_else(|| PlanError::BadHash {
            package: package.id(),
            file: file.clone(),
            hash: sha256.to_string(),
        })?;
        let auth = locations.auth(package).cloned();
        let subdirectory = match &package.source {
            Source::Url { subdirectory, .. } => subdirectory.clone(),
            _ => None,
        };
        Ok((Src::Url(Download { file: file.clone(), url: url.to_string(), hash, auth }), subdirectory))
    };
    Ok(match state.artifact {
        ArtifactChoice::Wheel(f) => {
            let (src, _) = file_src(f)?;
            let fixups = fixer.fixups(package, &package.files[f], Kind::Wheel);
            PlannedArtifact::Build(Box::new(Build { src, format: Format::Wheel, subdirectory: None, fixups }))
        }
        ArtifactChoice::Sdist(f) => {
            let (src, subdirectory) = file_src(f)?;
            let fixups = match (&package.source, locations.pinned(i)) {
                (Source::File { .. }, Some(PinnedSource::Path { build, .. })) => {
                    fixer.tree_fixups(package, build.as_ref())
                }
                _ => fixer.fixups(package, &package.files[f], Kind::Sdist),
            };
            PlannedArtifact::Build(Box::new(Build { src, format: Format::Pyproject, subdirectory, fixups }))
        }
        ArtifactChoice::Tree => match (&package.source, locations.pinned(i)) {
            (Source::Git { subdirectory, .. }, Some(PinnedSource::Git { checkout, build })) => {
                PlannedArtifact::Build(Box::new(Build {
                    src: Src::Git(checkout.clone()),
                    format: Format::Pyproject,
                    subdirectory: subdirectory.clone(),
                    fixups: fixer.tree_fixups(package, Some(build)),
                }))
            }
            (Source::Directory { .. }, Some(PinnedSource::Path { path, build })) => {
                PlannedArtifact::Build(Box::new(Build {
                    src: Src::Path(path.clone()),
                    format: Format::Pyproject,
                    subdirectory: None,
                    fixups: fixer.tree_fixups(package, build.as_ref()),
                }))
            }
            _ => return Err(PlanError::NotPinned { package: package.id(), kind: package.source.kind() }),
        },
        ArtifactChoice::Unusable(Unusable::GoneFromIndex) if locations.unreachable_index(package).is_some() => {
            let (index, why) = locations.unreachable_index(package).expect("checked");
            PlannedArtifact::Unusable(format!(
                "index {index} could not be reached when this file was generated ({why}; --allow-missing); make it reachable, or point its source at a mirror with --source NAME=URL, and regenerate"
            ))
        }
        ArtifactChoice::Unusable(Unusable::GoneFromIndex) => {
            let missing: Vec<&str> = package
                .files
                .iter()
                .map(|f| f.filename.as_str())
                .filter(|f| locations.find(&package.name, f).is_none())
                .collect();
            PlannedArtifact::Unusable(format!(
                "the index no longer offers {} (deleted after the lock was written; generated with --allow-missing); re-lock with `poetry lock` to choose files that exist, or give {} a `src` in an overlay composed after this one",
                first_few(&missing, 5),
                package.name
            ))
        }
        ArtifactChoice::Unusable(why) => PlannedArtifact::Unusable(why.explain().to_string()),
    })
}
