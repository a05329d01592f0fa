//! What a planned derivation builds, in two independent parts: where its source comes from
//! ([`Src`]: a downloaded file, a git checkout, a path beside the generated file) and how it
//! is built ([`Format`]: install a wheel, or a PEP 517 build of a tree or an sdist).

use crate::inference::BuildFacts;

use super::fixups::Fixups;

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
