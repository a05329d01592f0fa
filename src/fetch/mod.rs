//! The fetch stage, the pipeline's only I/O: find each locked file's URL on its package index
//! (PEP 691 JSON simple API, PEP 503 HTML fallback), check the lock's hashes against the
//! index's, and remember the answers in a disk cache so a second run sends no request.

pub mod artifacts;
mod cache;
mod client;
mod simple;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use url::Url;

use crate::model::{FileHash, HashAlgorithm, LockedFile};
use crate::name::PackageName;
use cache::{Cache, CachedFile, ProjectCache};
use client::{Client, GetError};
use simple::IndexFile;

/// Up to ten entries and how many more there are: a cold cache can miss thousands of files.
fn first_few(list: &[String]) -> String {
    const SHOWN: usize = 10;
    let head = list.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    match list.len().saturating_sub(SHOWN) {
        0 => head,
        more => format!("{head} and {more} more"),
    }
}

/// PyPI's simple index: the ONE place its URL appears in the code (default of --index-url).
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple/";

#[derive(Clone)]
pub struct FetchOptions {
    /// The default index, used by the caller for queries without their own source.
    pub index_url: String,
    /// Index pages in flight at once (at least 1).
    pub jobs: usize,
    /// `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Never touch the network: everything must come from the cache.
    pub offline: bool,
    /// Ask the index again for every page, whatever the cache holds (`--refresh`).
    pub refresh: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Per request, connecting and reading the body included.
    pub timeout: Duration,
    /// Extra attempts after a timeout, connection error, 429 or 5xx.
    pub retries: u32,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            index_url: DEFAULT_INDEX_URL.to_string(),
            jobs: 16,
            cache_dir: None,
            offline: false,
            refresh: false,
            progress: false,
            timeout: Duration::from_secs(30),
            retries: 3,
        }
    }
}

// By hand, so that `{:?}` cannot print credentials of `index_url`.
impl std::fmt::Debug for FetchOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchOptions")
            .field("index_url", &redact_url(&self.index_url))
            .field("jobs", &self.jobs)
            .field("cache_dir", &self.cache_dir)
            .field("offline", &self.offline)
            .field("refresh", &self.refresh)
            .field("progress", &self.progress)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .finish()
    }
}

impl FetchOptions {
    /// `$XDG_CACHE_HOME/lock2nix`, else `~/.cache/lock2nix`; `None` without either variable.
    pub fn default_cache_dir() -> Option<PathBuf> {
        let var = |name| std::env::var_os(name).map(PathBuf::from).filter(|p| p.is_absolute());
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|home| home.join(".cache"))).map(|dir| dir.join("lock2nix"))
    }
}

/// The files of one project on one index.
#[derive(Clone)]
pub struct ProjectQuery {
    /// May contain `user:pass@`; used for the request, never echoed.
    pub index_url: String,
    pub project: PackageName,
    pub files: Vec<LockedFile>,
    /// The names of the files some target chose: a cached "not on the index" for one of them
    /// is asked again (online), since the run would otherwise conclude from it.
    pub chosen: BTreeSet<String>,
}

impl std::fmt::Debug for ProjectQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectQuery")
            .field("index_url", &redact_url(&self.index_url))
            .field("project", &self.project)
            .field("files", &self.files)
            .field("chosen", &self.chosen)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileLocation {
    /// Absolute, never with credentials.
    pub url: String,
    /// Lower-case hex.
    pub sha256_hex: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Located {
    /// Queried files the index lists with a sha256; the rest are absent.
    pub files: BTreeMap<(PackageName, String), FileLocation>,
    /// Projects the index does not have at all (HTTP 404): every file of theirs is absent.
    pub gone: BTreeSet<PackageName>,
    /// HTTP requests sent, retries included.
    pub requests: usize,
    /// Projects answered entirely from the cache.
    pub cache_hits: usize,
}

#[derive(thiserror::Error, Debug)]
pub enum FetchError {
    #[error(
        "{project}: hash mismatch for {file}: the lock records {lock} but index {index} lists {index_hash}{}",
        if *.offline { " (an answer from the cache, which may be stale: run without --offline, or with --refresh)" } else { "" }
    )]
    HashMismatch { project: PackageName, file: String, index: String, lock: String, index_hash: String, offline: bool },
    #[error("{project}: cannot reach index {index}: {message}")]
    Network { project: PackageName, index: String, message: String },
    #[error("{project}: index {index} answered HTTP {status}")]
    Http { project: PackageName, index: String, status: u16 },
    #[error("{project}: cannot read the page of index {index}: {message}")]
    Parse { project: PackageName, index: String, message: String },
    #[error(
        "offline: {} file(s) are not in the cache: {}; run once without --offline (with the same --index-url and --cache-dir) to fill it",
        .missing.len(),
        first_few(.missing)
    )]
    Offline { missing: Vec<String> },
    #[error("cache file {}: {message}", .path.display())]
    Cache { path: PathBuf, message: String },
    #[error("invalid index URL {index}: {message}")]
    InvalidIndexUrl { index: String, message: String },
    #[error("cannot start the fetch runtime: {message}")]
    Runtime { message: String },
    #[error("{file}: cannot use {url}: {message}")]
    Artifact { file: String, url: String, message: String },
}

/// `url` without `user:pass@`, for messages, cache keys and output.
pub fn redact_url(url: &str) -> String {
    if let Ok(mut parsed) = Url::parse(url) {
        simple::strip_userinfo(&mut parsed);
        return parsed.to_string();
    }
    // Unparseable: drop whatever sits between `://` and the last `@` of the authority.
    let Some(start) = url.find("://").map(|i| i + 3) else { return url.to_string() };
    let authority_end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..start], &url[start + at + 1..]),
        None => url.to_string(),
    }
}

/// One (index, project) page and every locked file asked about on it.
struct Group {
    /// Normalized index URL, credentials included (for the request only).
    index: Url,
    files: Vec<LockedFile>,
    /// File names some target chose ([`ProjectQuery::chosen`]).
    chosen: BTreeSet<String>,
}

/// (credential-free index URL, project).
type Key = (String, PackageName);

/// What the index said of one project: the cached page entries, and whether it has the
/// project at all.
struct Answer {
    cached: ProjectCache,
    gone: bool,
}

/// Finds every queried file on its index. Synchronous: runs its own tokio runtime (on a
/// helper thread when called from inside one).
///
/// The cache answers first, unless it may lie: a chosen file it says the index lacks, or a
/// file whose cached hash differs from the lock's, sends the page's request again (the index
/// may have been fixed since). `--refresh` asks again for every page; `--offline` never asks.
pub fn locate(queries: &[ProjectQuery], options: &FetchOptions) -> Result<Located, FetchError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return std::thread::scope(|s| s.spawn(|| locate_blocking(queries, options)).join())
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
    }
    locate_blocking(queries, options)
}

fn locate_blocking(queries: &[ProjectQuery], options: &FetchOptions) -> Result<Located, FetchError> {
    let groups = group(queries)?;
    let cache = options.cache_dir.as_deref().map(Cache::new);
    let mut known: BTreeMap<&Key, Answer> = BTreeMap::new();
    let mut to_fetch = Vec::new();
    let mut offline_missing = Vec::new();
    let mut cache_hits = 0;
    // Reading and parsing the cache files is most of a warm run's fetch stage: do it in parallel.
    let loaded: Vec<ProjectCache> = groups
        .par_iter()
        .map(|(key, _)| match (&cache, options.refresh) {
            (Some(cache), false) => cache.load(&key.0, &key.1),
            _ => ProjectCache { index: key.0.clone(), project: key.1.to_string(), files: BTreeMap::new() },
        })
        .collect();
    for ((key, group), cached) in groups.iter().zip(loaded) {
        let missing: Vec<&str> =
            group.files.iter().map(|f| f.filename.as_str()).filter(|f| !cached.files.contains_key(*f)).collect();
        if missing.is_empty() && (options.offline || !may_be_stale(group, &cached)) {
            cache_hits += 1;
        } else if options.offline {
            offline_missing.extend(missing.iter().map(|f| format!("{}: {f}", key.1)));
        } else {
            to_fetch.push((key, group));
        }
        known.insert(key, Answer { cached, gone: false });
    }
    if !offline_missing.is_empty() {
        offline_missing.sort();
        offline_missing.dedup();
        return Err(FetchError::Offline { missing: offline_missing });
    }

    let mut requests = 0;
    if !to_fetch.is_empty() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| FetchError::Runtime { message: e.to_string() })?;
        let client =
            Client::new(options.timeout, options.retries).map_err(|message| FetchError::Runtime { message })?;
        let bar =
            progress_bar(options.progress, Some(to_fetch.len() as u64), "{spinner} index pages {pos}/{len} {wide_msg}");
        let outcome = runtime.block_on(fetch_all(&client, to_fetch, options.jobs, &bar, |key, page| {
            let answer = known.get_mut(key).expect("every group was loaded");
            answer.gone = page.is_none();
            merge(&mut answer.cached, &groups[key], page.unwrap_or_default());
            cache.as_ref().map_or(Ok(()), |cache| cache.store(&key.1, &answer.cached))
        }));
        bar.finish_and_clear();
        requests = client.requests();
        outcome?;
    }

    let verified: Vec<Vec<((PackageName, String), FileLocation)>> = groups
        .par_iter()
        .map(|(key, group)| {
            let entries = &known[key].cached.files;
            let mut found = Vec::new();
            for file in &group.files {
                let Some(Some(cached)) = entries.get(&file.filename) else { continue };
                if let Some(location) = verify(key, file, &cached.to_index(&file.filename), options.offline)? {
                    found.push(((key.1.clone(), file.filename.clone()), location));
                }
            }
            Ok(found)
        })
        .collect::<Result<_, FetchError>>()?;
    let gone = known.iter().filter(|(_, answer)| answer.gone).map(|(key, _)| key.1.clone()).collect();
    Ok(Located { files: verified.into_iter().flatten().collect(), gone, requests, cache_hits })
}

/// Whether a cached answer must be checked with the index: it says a chosen file is not
/// there, or it lists a hash that differs from the lock's.
fn may_be_stale(group: &Group, cached: &ProjectCache) -> bool {
    group.files.iter().any(|file| match cached.files.get(&file.filename) {
        Some(None) => group.chosen.contains(&file.filename),
        Some(Some(entry)) => hash_differs(file, &entry.to_index(&file.filename)).is_some(),
        None => false,
    })
}

fn group(queries: &[ProjectQuery]) -> Result<BTreeMap<Key, Group>, FetchError> {
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    for query in queries.iter().filter(|q| !q.files.is_empty()) {
        let index = normalize_index(&query.index_url)?;
        let key = (redact_url(index.as_str()), query.project.clone());
        let group = groups.entry(key).or_insert_with(|| Group {
            index: index.clone(),
            files: Vec::new(),
            chosen: BTreeSet::new(),
        });
        // The same index with and without credentials: the credentials are meant for it.
        if group.index.username().is_empty() && !index.username().is_empty() {
            group.index = index;
        }
        group.files.extend(query.files.iter().cloned());
        group.chosen.extend(query.chosen.iter().cloned());
    }
    Ok(groups)
}

/// Parses an index URL and gives it the trailing slash that `join` needs.
fn normalize_index(raw: &str) -> Result<Url, FetchError> {
    let invalid = |message: String| FetchError::InvalidIndexUrl { index: redact_url(raw), message };
    let mut url = Url::parse(raw.trim()).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("only http and https indexes are supported".to_string()));
    }
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    url.set_fragment(None);
    Ok(url)
}

/// Fetches the pages, at most `jobs` at once, handing each parsed page (`None`: the index
/// has no such project) to `done` as it arrives; stops at the first error.
async fn fetch_all<'g>(
    client: &Client,
    work: Vec<(&'g Key, &'g Group)>,
    jobs: usize,
    bar: &ProgressBar,
    mut done: impl FnMut(&'g Key, Option<Vec<IndexFile>>) -> Result<(), FetchError>,
) -> Result<(), FetchError> {
    let mut pages = futures_util::stream::iter(
        work.into_iter().map(|(key, group)| async move { (key, fetch_one(client, key, group).await) }),
    )
    .buffer_unordered(jobs.max(1));
    while let Some((key, result)) = pages.next().await {
        done(key, result?)?;
        bar.set_message(key.1.to_string());
        bar.inc(1);
    }
    Ok(())
}

async fn fetch_one(client: &Client, key: &Key, group: &Group) -> Result<Option<Vec<IndexFile>>, FetchError> {
    let (index, project) = (key.0.clone(), key.1.clone());
    let page_url = group
        .index
        .join(&format!("{project}/"))
        .map_err(|e| FetchError::InvalidIndexUrl { index: index.clone(), message: e.to_string() })?;
    match client.get_page(&page_url).await {
        Ok(page) => simple::parse_page(page.content_type.as_deref(), &page.body, &page.url)
            .map(Some)
            .map_err(|message| FetchError::Parse { project, index, message }),
        // The caller decides what a project gone from the index means (`--allow-missing`).
        Err(GetError::NotFound) => Ok(None),
        Err(GetError::Status(status)) => Err(FetchError::Http { project, index, status }),
        Err(other) => Err(FetchError::Network { project, index, message: other.to_string() }),
    }
}

/// Records, for each queried file, what the fresh page says (or `None`), replacing what the
/// cache said.
fn merge(entry: &mut ProjectCache, group: &Group, page: Vec<IndexFile>) {
    let mut listed: HashMap<String, IndexFile> = HashMap::with_capacity(page.len());
    for file in page {
        // A page listing one name twice: the first entry wins, as in pip.
        listed.entry(file.filename.clone()).or_insert(file);
    }
    for file in &group.files {
        let found = listed.get(&file.filename).map(CachedFile::from_index);
        entry.files.insert(file.filename.clone(), found);
    }
}

/// The lock's hash must equal the index's in the same algorithm; the location needs a sha256.
fn verify(key: &Key, file: &LockedFile, listed: &IndexFile, offline: bool) -> Result<Option<FileLocation>, FetchError> {
    if let Some((lock, index_hex)) = hash_differs(file, listed) {
        return Err(FetchError::HashMismatch {
            project: key.1.clone(),
            file: file.filename.clone(),
            index: key.0.clone(),
            lock: lock.to_string(),
            index_hash: format!("{}:{index_hex}", lock.algorithm.as_str()),
            offline,
        });
    }
    Ok(listed
        .hashes
        .get(&HashAlgorithm::Sha256)
        .map(|sha256| FileLocation { url: listed.url.clone(), sha256_hex: sha256.clone() }))
}

/// The lock's hash and the index's digest in the same algorithm, when they differ.
fn hash_differs<'a>(file: &'a LockedFile, listed: &'a IndexFile) -> Option<(&'a FileHash, &'a str)> {
    let lock = file.hash.as_ref()?;
    let index_hex = listed.hashes.get(&lock.algorithm)?;
    (!index_hex.eq_ignore_ascii_case(&lock.hex)).then_some((lock, index_hex.as_str()))
}

/// A bar on stderr drawn with indicatif's `template`, or a hidden one when not `enabled`.
fn progress_bar(enabled: bool, len: Option<u64>, template: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_removes_userinfo_even_from_broken_urls() {
        assert_eq!(redact_url("https://u:secret@index.example/simple/"), "https://index.example/simple/");
        assert_eq!(redact_url("https://index.example/simple/"), "https://index.example/simple/");
        assert_eq!(redact_url("https://u:sec@ret@bad host/x"), "https://bad host/x");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn index_urls_get_a_trailing_slash_and_need_http() {
        assert_eq!(normalize_index("https://index.example/simple").unwrap().as_str(), "https://index.example/simple/");
        let err = normalize_index("ftp://u:secret@index.example/").unwrap_err().to_string();
        assert!(err.contains("ftp://index.example/") && !err.contains("secret"), "{err}");
    }

    #[test]
    fn debug_output_hides_credentials() {
        let index_url = "https://u:secret@index.example/simple/".to_string();
        let options = FetchOptions { index_url: index_url.clone(), ..FetchOptions::default() };
        let query = ProjectQuery {
            index_url,
            project: PackageName::new("six".into()).unwrap(),
            files: Vec::new(),
            chosen: BTreeSet::new(),
        };
        for text in [format!("{options:?}"), format!("{query:?}")] {
            assert!(text.contains("index.example") && !text.contains("secret"), "{text}");
        }
    }

    #[test]
    fn default_options_match_the_cli_defaults() {
        let options = FetchOptions::default();
        assert_eq!((options.index_url.as_str(), options.jobs, options.offline), (DEFAULT_INDEX_URL, 16, false));
    }
}
