//! What a planned derivation builds, in two independent parts: where its source comes from
//! ([`Src`]: a downloaded file, a git checkout, a path beside the generated file) and how it
//! is built ([`Format`]: install a wheel, or a PEP 517 build of a tree or an sdist).

use std::sync::Arc;

use super::fixups::{Fixer, Fixups, Kind};
use super::{Locations, PlanError};
use crate::inference::BuildFacts;
use crate::model::{Lock, Sha256, Source};
use crate::project::EditableLayout;
use crate::resolve::select::Unusable;
use crate::resolve::{ArtifactChoice, Installed};
use crate::text::url_folder;
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
    /// Shared between artifacts ([`Fixups::shared`]).
    pub fixups: Arc<Fixups>,
}

impl PlannedArtifact {
    pub fn build(&self) -> Option<&Build> {
        match self {
            Self::Build(build) => Some(build),
            Self::Unusable(_) => None,
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
            Self::Url(download) => &download.file,
            Self::Git(git) => &git.url,
            Self::Path(path) => &path.path,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub file: String,
    /// Never with credentials: the folder URL that `file` follows when `in_folder` (nearly
    /// every URL ends with its file's name, which a large plan then holds once, not twice),
    /// else the whole URL.
    url: String,
    in_folder: bool,
    pub hash: Sha256,
    /// Credentials the download needs at build time (boxed: most downloads need none).
    pub auth: Option<Box<NetrcAuth>>,
}

impl Download {
    fn new(file: String, url: &str, hash: Sha256, auth: Option<Box<NetrcAuth>>) -> Self {
        let (url, in_folder) = match url_folder(url, &file) {
            Some(folder) => (folder.to_string(), true),
            None => (url.to_string(), false),
        };
        Self { file, url, in_folder, hash, auth }
    }

    /// The URL, as parts to write one after the other.
    pub fn url_parts(&self) -> [&str; 2] {
        [&self.url, if self.in_folder { &self.file } else { "" }]
    }
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
        /// A folder's import roots and console scripts, for an editable install.
        layout: Option<EditableLayout>,
        /// A folder's dependencies from its pyproject.toml, for a lock that records none
        /// (pylock.toml); why not, when they are not static.
        requires_dist: Option<Result<Vec<String>, String>>,
    },
    /// The remote could not be reached and no hash is known, or the path is not there
    /// (`--allow-missing`).
    Unreachable {
        /// What the generated file says when the package is built: the same on every
        /// machine (no error text of the network or the system), with what to do.
        message: String,
        /// Why, for the warning of this run.
        detail: String,
    },
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
    let not_pinned = || PlanError::NotPinned { package: package.id(), kind: package.source.kind() };
    let build = |src, format, subdirectory, fixups| {
        PlannedArtifact::Build(Box::new(Build { src, format, subdirectory, fixups: Fixups::shared(fixups) }))
    };
    Ok(match (state.artifact, locations.pinned(i)) {
        (_, Some(PinnedSource::Unreachable { message, .. })) => PlannedArtifact::Unusable(message.clone()),
        (ArtifactChoice::Wheel(f), pinned) => {
            let fixups = fixer.fixups(package, &package.files[f], Kind::Wheel);
            build(file_src(lock, i, f, pinned, locations)?, Format::Wheel, None, fixups)
        }
        (ArtifactChoice::Sdist(f), pinned) => {
            let fixups = match (&package.source, pinned) {
                // A local sdist: its build system was read when it was pinned.
                (Source::File { .. }, Some(PinnedSource::Path { build, .. })) => {
                    fixer.tree_fixups(package, build.as_ref())
                }
                _ => fixer.fixups(package, &package.files[f], Kind::Sdist),
            };
            let subdirectory = match &package.source {
                Source::Url { subdirectory, .. } => subdirectory.clone(),
                _ => None,
            };
            build(file_src(lock, i, f, pinned, locations)?, Format::Pyproject, subdirectory, fixups)
        }
        (ArtifactChoice::Tree, Some(PinnedSource::Git { checkout, build: facts })) => {
            let Source::Git { subdirectory, .. } = &package.source else { return Err(not_pinned()) };
            let fixups = fixer.tree_fixups(package, Some(facts));
            build(Src::Git(checkout.clone()), Format::Pyproject, subdirectory.clone(), fixups)
        }
        (ArtifactChoice::Tree, Some(PinnedSource::Path { path, build: facts, .. })) => {
            build(Src::Path(path.clone()), Format::Pyproject, None, fixer.tree_fixups(package, facts.as_ref()))
        }
        (ArtifactChoice::Tree, _) => return Err(not_pinned()),
        (ArtifactChoice::Unusable(Unusable::GoneFromIndex), _) => {
            PlannedArtifact::Unusable(gone_from_index(package, locations))
        }
        (ArtifactChoice::Unusable(why), _) => PlannedArtifact::Unusable(why.explain().to_string()),
    })
}

/// Where file `f` of package `i` comes from: the local file of a `file` source, else a
/// download (an index file or a `url` source's), with the netrc entry for the file's host
/// when its index may ask for credentials.
fn file_src(
    lock: &Lock,
    i: usize,
    f: usize,
    pinned: Option<&PinnedSource>,
    locations: &dyn Locations,
) -> Result<Src, PlanError> {
    let package = &lock.packages[i];
    let locked = &package.files[f];
    let file = &locked.filename;
    // The file keeps its name in the store (a wheel's name tells the installer what it is).
    let storable = |name: &str| match store_name_problem(name) {
        None => Ok(()),
        Some(why) => {
            Err(PlanError::FileName { lock: lock.origin.clone(), package: package.id(), file: name.to_string(), why })
        }
    };
    match (&package.source, pinned) {
        (Source::File { .. }, Some(PinnedSource::Path { path, .. })) => {
            storable(path.path.rsplit('/').next().unwrap_or(&path.path))?;
            return Ok(Src::Path(path.clone()));
        }
        (Source::Folder { .. }, Some(PinnedSource::Path { path, .. })) => {
            storable(file)?;
            return Ok(Src::Path(LocalPath { path: format!("{}/{file}", path.path), directory: false }));
        }
        (Source::File { .. } | Source::Folder { .. }, _) => {
            return Err(PlanError::NotPinned { package: package.id(), kind: package.source.kind() });
        }
        _ => {}
    }
    storable(file)?;
    let not_on_index =
        || PlanError::FileNotOnIndex { package: package.id(), file: file.clone(), lock: lock.origin.clone() };
    let (url, sha256) = locations.locate(package, locked).ok_or_else(not_on_index)?;
    if let Some(path) = locations.local_file(&url) {
        return Ok(Src::Path(path));
    }
    let hash = sha256.ok_or_else(not_on_index)?;
    let auth = locations.auth_variables(package).and_then(|variables| {
        // The host the file is downloaded from, which may not be the index's own.
        let machine = url::Url::parse(&url).ok()?.host_str()?.to_string();
        Some(Box::new(NetrcAuth { machine, variables: variables.to_string() }))
    });
    Ok(Src::Url(Download::new(file.clone(), &url, hash, auth)))
}

/// Why a package whose files the index does not offer throws (`--allow-missing`): the index
/// could not be reached, or the files were deleted from it. The same text on every machine.
fn gone_from_index(package: &crate::model::Package, locations: &dyn Locations) -> String {
    if let Some(index) = locations.unreachable_index(package) {
        return format!(
            "index {index} could not be reached when this file was generated (--allow-missing); make it reachable, or point its source at a mirror with --source NAME=URL, and regenerate"
        );
    }
    let missing: Vec<&str> =
        package.files.iter().filter(|f| !locations.is_located(package, f)).map(|f| f.filename.as_str()).collect();
    format!(
        "the index no longer offers {} (deleted after the lock was written; generated with --allow-missing); re-lock with `poetry lock` to choose files that exist, or give {} a `src` in an overlay composed after this one",
        first_few(&missing, 5),
        package.name
    )
}

/// The longest name Nix gives a store path.
const STORE_NAME_MAX: usize = 211;

/// Why `name` cannot be the name of a Nix store path (what a fetched or copied file is called
/// there), if it cannot: Nix allows letters, digits and `+-._?=`, no leading `.`, at most 211
/// characters.
pub(crate) fn store_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".to_string());
    }
    // Byte by byte: every file of a large lock is checked. The first byte refused starts a
    // character (every byte before it is ASCII), which the message names.
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_' | b'?' | b'=');
    // Folded first, so that the usual name, all allowed, is checked on vectors.
    if name.bytes().fold(0, |refused, b| refused | u8::from(!allowed(b))) != 0 {
        let at = name.bytes().position(|b| !allowed(b)).unwrap_or_default();
        let c = name[at..].chars().next().unwrap_or_default();
        return Some(format!("a store path name may not hold `{}`", c.escape_debug()));
    }
    if name.starts_with('.') {
        return Some("a store path name may not start with `.`".to_string());
    }
    if name.len() > STORE_NAME_MAX {
        return Some(format!("{} characters, more than the {STORE_NAME_MAX} of a store path name", name.len()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::store_name_problem;

    #[test]
    fn store_names_are_what_nix_accepts() {
        assert_eq!(store_name_problem("torch-2.5.1+cu121-cp312-cp312-linux_x86_64.whl"), None);
        assert_eq!(store_name_problem("a?b=c"), None);
        assert!(store_name_problem("").is_some());
        assert!(store_name_problem(".hidden.tar.gz").unwrap().contains("start with `.`"));
        assert!(store_name_problem("a b.whl").unwrap().contains("may not hold ` `"));
        assert!(store_name_problem("dist/a.whl").unwrap().contains("may not hold `/`"));
        assert!(store_name_problem("a%2Bb.whl").unwrap().contains("`%`"));
        assert!(store_name_problem("café-1.0.tar.gz").unwrap().contains("`é`"));
        assert!(store_name_problem(&"a".repeat(211)).is_none());
        assert!(store_name_problem(&"a".repeat(212)).unwrap().contains("212 characters"));
    }
}
