//! The fetch stage, the pipeline's only I/O: find each locked file's URL on its package index
//! (PEP 691 JSON simple API, PEP 503 HTML fallback), check the lock's hashes against the
//! index's, and remember the answers in a disk cache so a second run sends no request.

pub(crate) mod artifacts;
mod cache;
mod client;
pub(crate) mod credentials;
pub(crate) mod git;
pub(crate) mod hashes;
mod locate;
pub mod nar;
pub(crate) mod pending;
mod remembered;
pub(crate) mod reporter;
pub(crate) mod simple;
mod sources;
pub(crate) mod trash;
pub(crate) mod witness;

pub(crate) use locate::index_key;
pub(crate) use locate::{LocatedMemory, locate_with_memory};
pub use locate::{locate, locate_for_lock};
pub(crate) use sources::{PinOptions, Pinned, pin};

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use rustc_hash::FxHashMap;

use crate::model::{LockedFile, Package, Sha256, Source};
use crate::name::PackageName;
use crate::safe_url::DisplaySafeUrl;
use crate::warning::first_few;

pub(crate) use crate::digest::hex;

/// PyPI's simple index: the ONE place its URL appears in the code (default of --index-url).
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple/";

#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// The default index, used by the caller for queries without their own source.
    pub index_url: DisplaySafeUrl,
    /// Index pages in flight at once (at least 1).
    pub jobs: usize,
    /// `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Never touch the network: everything must come from the cache.
    pub offline: bool,
    /// Ask the index again for every page, whatever the cache holds (`--refresh`).
    pub refresh: bool,
    /// Where progress goes (nowhere by default; the binary draws bars on a terminal).
    pub reporter: reporter::SharedReporter,
    /// Per request, connecting and reading the body included.
    pub timeout: Duration,
    /// Extra attempts after a timeout, connection error, 429 or 5xx.
    pub retries: u32,
    /// The largest page or small file read into memory, decompressed (`--max-page-size`):
    /// a larger answer, or a compression bomb, is abandoned as it streams in.
    pub max_page_size: u64,
    /// For indexes that ask for them; never printed.
    pub credentials: credentials::Credentials,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            index_url: DisplaySafeUrl::new(DEFAULT_INDEX_URL),
            jobs: 16,
            cache_dir: None,
            offline: false,
            refresh: false,
            reporter: reporter::SharedReporter::default(),
            timeout: Duration::from_secs(30),
            retries: 3,
            max_page_size: 256 * 1024 * 1024,
            credentials: credentials::Credentials::default(),
        }
    }
}

impl FetchOptions {
    /// `$XDG_CACHE_HOME/lock2nix`, else `~/.cache/lock2nix`; `None` without either variable.
    pub fn default_cache_dir() -> Option<PathBuf> {
        let var = |name| std::env::var_os(name).map(PathBuf::from).filter(|p| p.is_absolute());
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|home| home.join(".cache"))).map(|dir| dir.join("lock2nix"))
    }
}

/// The files of one project on one index, usually borrowed from the lock.
#[derive(Clone, Debug)]
pub struct ProjectQuery<'a> {
    /// May contain `user:pass@`; used for the request, never echoed.
    pub index_url: DisplaySafeUrl,
    pub project: PackageName,
    pub files: Vec<&'a LockedFile>,
    /// Where in `files` the files some target chose are (sorted, each once): a cached "not on
    /// the index" for one of them is asked again (online), since the run would otherwise
    /// conclude from it. Positions, not names: a large lock's queries choose 200,000 times.
    pub chosen: Vec<usize>,
    /// Versions (normalized) whose every file on the index is wanted, for a lock that names
    /// none of their files ([`Located::listed`]).
    pub versions: BTreeSet<String>,
    /// An index that cannot be reached leaves these files absent ([`Located::unreachable`])
    /// instead of stopping the run (`--allow-missing`, for named sources).
    pub may_be_unreachable: bool,
}

impl ProjectQuery<'_> {
    /// A query for the project of `package` on `index_url` that asks for nothing yet. With
    /// `--allow-missing`, a named source's index may be unreachable.
    pub(crate) fn for_package(index_url: &DisplaySafeUrl, package: &Package, allow_missing: bool) -> Self {
        Self {
            index_url: index_url.clone(),
            project: package.name.clone(),
            files: Vec::new(),
            chosen: Vec::new(),
            versions: BTreeSet::new(),
            may_be_unreachable: allow_missing && matches!(package.source, Source::Registry { index: Some(_) }),
        }
    }

    /// Whether some target chose the file named `filename` ([`Self::chosen`]).
    pub(crate) fn chooses(&self, filename: &str) -> bool {
        self.chosen.iter().any(|&at| self.files.get(at).is_some_and(|file| file.filename == filename))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileLocation {
    /// Absolute, never with credentials.
    pub url: String,
    /// `None` where neither the index nor the lock gives one: such a file goes to
    /// [`Located::unhashed`], to be downloaded and hashed.
    pub sha256: Option<Sha256>,
}

/// Where [`Located`] has a file, borrowed from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocationRef<'a> {
    /// The URL, or the folder URL that the file name (`name`) follows.
    base: &'a str,
    name: Option<&'a str>,
    pub sha256: Option<Sha256>,
}

impl<'a> LocationRef<'a> {
    fn of(location: &'a FileLocation) -> Self {
        Self { base: &location.url, name: None, sha256: location.sha256 }
    }

    /// The file's URL: absolute, never with credentials.
    pub fn url(self) -> Cow<'a, str> {
        match self.name {
            None => Cow::Borrowed(self.base),
            Some(name) => Cow::Owned([self.base, name].concat()),
        }
    }

    pub fn to_location(self) -> FileLocation {
        FileLocation { url: self.url().into_owned(), sha256: self.sha256 }
    }
}

/// A located file's name or URL: a span of the located-files memory's text for a file
/// recalled from it, which is then not copied (a large lock has a hundred thousand), else its
/// own.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Text {
    Memory { start: u32, end: u32 },
    Own(Box<str>),
}

impl Text {
    fn resolve<'a>(&'a self, memory: &'a str) -> &'a str {
        match self {
            Self::Memory { start, end } => &memory[*start as usize..*end as usize],
            Self::Own(text) => text,
        }
    }

    /// Copies a span of `memory` onto the end of `kept` and points at the copy. `kept` holds
    /// spans of `memory`, which is under 4 GiB, about once each: its offsets fit 32 bits.
    fn move_to(&mut self, memory: &str, kept: &mut String) {
        let Self::Memory { .. } = self else { return };
        let start = kept.len();
        kept.push_str(self.resolve(memory));
        let offset = |at: usize| u32::try_from(at).expect("the text is under 4 GiB");
        *self = Self::Memory { start: offset(start), end: offset(kept.len()) };
    }

    /// A span of a text that now follows `by` bytes of another.
    fn shift(&mut self, by: usize) {
        if let Self::Memory { start, end } = self {
            let by = u32::try_from(by).expect("the text is under 4 GiB");
            (*start, *end) = (*start + by, *end + by);
        }
    }

    /// The length of a span of the memory (own texts are not counted).
    fn memory_len(&self) -> usize {
        match self {
            Self::Memory { start, end } => (end - start) as usize,
            Self::Own(_) => 0,
        }
    }

    /// [`Self::resolve`] as bytes, which order as the text does: for searches and sorts, which
    /// need no check that a span starts and ends at a character.
    fn bytes<'a>(&'a self, memory: &'a str) -> &'a [u8] {
        match self {
            Self::Memory { start, end } => &memory.as_bytes()[*start as usize..*end as usize],
            Self::Own(text) => text.as_bytes(),
        }
    }
}

/// A located file, as [`Located`] keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LocatedFile {
    name: Text,
    /// The URL, or the folder URL its name follows (`in_folder`).
    url: Text,
    in_folder: bool,
    sha256: Option<Sha256>,
}

impl LocatedFile {
    fn own(name: String, location: FileLocation) -> Self {
        Self {
            name: Text::Own(name.into_boxed_str()),
            url: Text::Own(location.url.into_boxed_str()),
            in_folder: false,
            sha256: location.sha256,
        }
    }

    fn location<'a>(&'a self, memory: &'a str) -> LocationRef<'a> {
        let name = self.in_folder.then(|| self.name.resolve(memory));
        LocationRef { base: self.url.resolve(memory), name, sha256: self.sha256 }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Located {
    /// The located-files memory's text, which the files recalled from it point into (empty
    /// when none was).
    memory: String,
    /// Queried files the index lists, with the index's sha256 or else the lock's: by project,
    /// then sorted by file name. A large lock has a hundred thousand files and ten thousand
    /// projects: each project's answer is kept as the vector it came in, sorted (a map by file
    /// held twice the memory).
    files: FxHashMap<PackageName, Vec<LocatedFile>>,
    /// Files the index lists with no sha256 while the lock has none either: their URL, to be
    /// downloaded and hashed.
    pub unhashed: BTreeMap<(PackageName, String), DisplaySafeUrl>,
    /// Projects the index does not have at all (HTTP 404): every file of theirs is absent.
    pub gone: BTreeSet<PackageName>,
    /// For each queried (project, version), the names of its files on the index, sorted; each
    /// one that has a sha256 is in `files`.
    pub listed: BTreeMap<(PackageName, String), Vec<String>>,
    /// Indexes that could not be reached (credential-free URL → why), when the queries allowed
    /// it.
    pub unreachable: BTreeMap<String, String>,
    /// Every query was answered whole from the located-files memory: every queried file was
    /// found, with a sha256.
    pub all_recalled: bool,
    /// HTTP requests sent, retries included.
    pub requests: usize,
    /// Projects answered entirely from the cache.
    pub cache_hits: usize,
}

impl Located {
    /// Where the index has `filename` of `project`.
    pub fn file(&self, project: &PackageName, filename: &str) -> Option<LocationRef<'_>> {
        let files = self.files.get(project)?;
        let at = files.binary_search_by(|file| file.name.bytes(&self.memory).cmp(filename.as_bytes())).ok()?;
        Some(files[at].location(&self.memory))
    }

    /// Whether any file was located.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every located file (projects in no particular order).
    pub fn iter_files(&self) -> impl Iterator<Item = (&PackageName, &str, LocationRef<'_>)> {
        self.files.iter().flat_map(move |(project, files)| {
            files.iter().map(move |file| (project, file.name.resolve(&self.memory), file.location(&self.memory)))
        })
    }
}

#[derive(thiserror::Error, Debug)]
pub enum FetchError {
    #[error("{project}: hash mismatch for {file}: the lock records {lock} but index {index} lists {index_hash}")]
    HashMismatch { project: PackageName, file: String, index: String, lock: String, index_hash: String, offline: bool },
    #[error("{project}: cannot reach index {index}")]
    Network {
        project: PackageName,
        index: String,
        #[source]
        source: client::GetError,
    },
    #[error("{project}: index {index} answered HTTP {status}")]
    Http { project: PackageName, index: String, status: u16 },
    #[error("{project}: cannot read the page of index {index}")]
    Parse {
        project: PackageName,
        index: String,
        #[source]
        source: simple::PageError,
    },
    #[error("offline: {}", offline_gaps(.pages, .missing))]
    Offline {
        /// Index URL → the projects whose page the cache does not hold at all.
        pages: BTreeMap<String, Vec<String>>,
        /// Files (or versions, artifacts, url files) missing beside cached pages.
        missing: Vec<String>,
    },
    #[error("cache file {}", .path.display())]
    Cache {
        path: PathBuf,
        #[source]
        source: CacheCause,
    },
    #[error("invalid index URL {index}: {message}")]
    InvalidIndexUrl { index: String, message: String },
    #[error("cannot start the fetch runtime")]
    Runtime(#[source] std::io::Error),
    #[error("cannot set up the HTTP client")]
    HttpClient(#[source] reqwest::Error),
    #[error("{file}: cannot use {url}")]
    Artifact {
        file: String,
        url: String,
        #[source]
        source: ArtifactCause,
    },
    #[error("{package}: cannot reach {url}")]
    Unreachable {
        package: String,
        url: String,
        #[source]
        source: UnreachableCause,
    },
    #[error(
        "{package}: its git source {url} is a repository on this machine, which a Nix build cannot fetch and the generated file must not name"
    )]
    LocalGit { package: String, url: String },
    #[error(
        "{package}: the lock's path `{path}` is not an existing {kind} (paths are relative to the project's folder)"
    )]
    PathMissing { package: String, path: String, kind: &'static str },
}

/// Why a locked file could not be downloaded for inference.
#[derive(thiserror::Error, Debug)]
pub enum ArtifactCause {
    #[error(transparent)]
    Transfer(#[from] TransferCause),
    /// A hard error, as everywhere: the file is not the one the lock pins.
    #[error("its sha256 is {actual}, but the lock and the index say {expected}")]
    HashMismatch { actual: String, expected: String },
}

/// Why a file could not be had from its URL: an artifact's download and a remote source's
/// fail alike.
#[derive(thiserror::Error, Debug)]
pub enum TransferCause {
    #[error("not a URL")]
    Url(#[source] url::ParseError),
    #[error(transparent)]
    Download(client::GetError),
}

/// Why a remote source (a file by URL, a git repository) could not be pinned.
#[derive(thiserror::Error, Debug)]
pub enum UnreachableCause {
    #[error(transparent)]
    Transfer(#[from] TransferCause),
    /// Boxed: git's errors are large, and every fetch result carries this enum's size.
    #[error(transparent)]
    Git(Box<git::GitError>),
    #[error("the lock names `{0}` but no commit, and --offline forbids asking the remote")]
    NoCommitOffline(String),
    #[error("--offline, and neither --hashes nor the cache knows this commit")]
    CommitUnknownOffline,
    #[error("--offline, and neither --hashes nor the cache knows its sha256")]
    HashUnknownOffline,
}

/// Why a cache file could not be written.
#[derive(thiserror::Error, Debug)]
pub enum CacheCause {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("cannot lock its folder")]
    Lock(#[source] std::io::Error),
}

impl FetchError {
    /// What to do about it, kept apart from the message so that every output reuses it.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Self::HashMismatch { offline: true, .. } => OFFLINE_ANSWER,
            Self::Network { .. } => {
                "point the source at a reachable mirror with --source NAME=URL, or pass --allow-missing to make the packages of a named source throw when used"
            }
            Self::Offline { .. } => {
                "run once without --offline (with the same --index-url and --cache-dir) to fill the cache"
            }
            Self::Unreachable { .. } => {
                "record its hash in a --hashes FILE from a run that can reach it, or pass --allow-missing to generate it as an attribute that throws when used"
            }
            Self::LocalGit { .. } => "depend on it as a path (`path = \"…\"`) or push it to a remote",
            _ => return None,
        })
    }
}

/// The hint for an index's answer that may be stale because it came from the cache.
pub(crate) const OFFLINE_ANSWER: &str =
    "the answer came from the cache, which may be stale: run without --offline, or with --refresh";

/// What an offline run lacks: whole pages first (a cold cache), then single files.
fn offline_gaps(pages: &BTreeMap<String, Vec<String>>, missing: &[String]) -> String {
    let pages = pages.iter().map(|(index, projects)| {
        format!(
            "the cache holds no page of index {index} for {} project(s): {}",
            projects.len(),
            first_few(projects, 10)
        )
    });
    let files = (!missing.is_empty())
        .then(|| format!("{} file(s) are not in the cache: {}", missing.len(), first_few(missing, 10)));
    pages.chain(files).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_credentials() {
        let index_url = DisplaySafeUrl::new("https://u:secret@index.example/simple/");
        let options = FetchOptions { index_url: index_url.clone(), ..FetchOptions::default() };
        let query = ProjectQuery {
            index_url,
            project: PackageName::from_owned("six".into()).unwrap(),
            files: Vec::new(),
            chosen: Vec::new(),
            versions: BTreeSet::new(),
            may_be_unreachable: false,
        };
        for text in [format!("{options:?}"), format!("{query:?}")] {
            assert!(text.contains("index.example") && !text.contains("secret"), "{text}");
        }
    }

    #[test]
    fn default_options_match_the_cli_defaults() {
        let options = FetchOptions::default();
        assert_eq!((options.index_url.expose(), options.jobs, options.offline), (DEFAULT_INDEX_URL, 16, false));
    }
}
