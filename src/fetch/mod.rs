//! The fetch stage, the pipeline's only I/O: find each locked file's URL on its package index
//! (PEP 691 JSON simple API, PEP 503 HTML fallback), check the lock's hashes against the
//! index's, and remember the answers in a disk cache so a second run sends no request.

pub mod artifacts;
mod cache;
mod client;
mod simple;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use url::Url;

use crate::model::{HashAlgorithm, LockedFile};
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
}

impl std::fmt::Debug for ProjectQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectQuery")
            .field("index_url", &redact_url(&self.index_url))
            .field("project", &self.project)
            .field("files", &self.files)
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
    /// HTTP requests sent, retries included.
    pub requests: usize,
    /// Projects answered entirely from the cache.
    pub cache_hits: usize,
}

#[derive(thiserror::Error, Debug)]
pub enum FetchError {
    #[error("{project}: hash mismatch for {file}: the lock records {lock} but index {index} lists {index_hash}")]
    HashMismatch { project: PackageName, file: String, index: String, lock: String, index_hash: String },
    #[error("{project}: project not found on index {index} (HTTP 404)")]
    ProjectNotFound { project: PackageName, index: String },
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
}

/// (credential-free index URL, project).
type Key = (String, PackageName);

/// Finds every queried file on its index. Synchronous: runs its own tokio runtime (on a
/// helper thread when called from inside one).
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
    let mut known: BTreeMap<&Key, ProjectCache> = BTreeMap::new();
    let mut to_fetch = Vec::new();
    let mut offline_missing = Vec::new();
    let mut cache_hits = 0;
    // Reading and parsing the cache files is most of a warm run's fetch stage: do it in parallel.
    let loaded: Vec<ProjectCache> = groups
        .par_iter()
        .map(|(key, _)| match &cache {
            Some(cache) => cache.load(&key.0, &key.1),
            None => ProjectCache { index: key.0.clone(), project: key.1.to_string(), files: BTreeMap::new() },
        })
        .collect();
    for ((key, group), cached) in groups.iter().zip(loaded) {
        let missing: Vec<&str> =
            group.files.iter().map(|f| f.filename.as_str()).filter(|f| !cached.files.contains_key(*f)).collect();
        if missing.is_empty() {
            cache_hits += 1;
        } else if options.offline {
            offline_missing.extend(missing.iter().map(|f| format!("{}: {f}", key.1)));
        } else {
            to_fetch.push((key, group));
        }
        known.insert(key, cached);
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
        let outcome = runtime.block_on(fetch_all(&client, to_fetch, options.jobs, &bar, |key, files| {
            let entry = known.get_mut(key).expect("every group was loaded");
            merge(entry, &groups[key], files);
            cache.as_ref().map_or(Ok(()), |cache| cache.store(&key.1, entry))
        }));
        bar.finish_and_clear();
        requests = client.requests();
        outcome?;
    }

    let verified: Vec<Vec<((PackageName, String), FileLocation)>> = groups
        .par_iter()
        .map(|(key, group)| {
            let entries = &known[key].files;
            let mut found = Vec::new();
            for file in &group.files {
                let Some(Some(cached)) = entries.get(&file.filename) else { continue };
                if let Some(location) = verify(key, file, &cached.to_index(&file.filename))? {
                    found.push(((key.1.clone(), file.filename.clone()), location));
                }
            }
            Ok(found)
        })
        .collect::<Result<_, FetchError>>()?;
    Ok(Located { files: verified.into_iter().flatten().collect(), requests, cache_hits })
}

fn group(queries: &[ProjectQuery]) -> Result<BTreeMap<Key, Group>, FetchError> {
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    for query in queries.iter().filter(|q| !q.files.is_empty()) {
        let index = normalize_index(&query.index_url)?;
        let key = (redact_url(index.as_str()), query.project.clone());
        let group = groups.entry(key).or_insert_with(|| Group { index: index.clone(), files: Vec::new() });
        // The same index with and without credentials: the credentials are meant for it.
        if group.index.username().is_empty() && !index.username().is_empty() {
            group.index = index;
        }
        group.files.extend(query.files.iter().cloned());
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

/// Fetches the pages, at most `jobs` at once, handing each parsed page to `done` as it
/// arrives; stops at the first error.
async fn fetch_all<'g>(
    client: &Client,
    work: Vec<(&'g Key, &'g Group)>,
    jobs: usize,
    bar: &ProgressBar,
    mut done: impl FnMut(&'g Key, Vec<IndexFile>) -> Result<(), FetchError>,
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

async fn fetch_one(client: &Client, key: &Key, group: &Group) -> Result<Vec<IndexFile>, FetchError> {
    let (index, project) = (key.0.clone(), key.1.clone());
    let page_url = group
        .index
        .join(&format!("{project}/"))
        .map_err(|e| FetchError::InvalidIndexUrl { index: index.clone(), message: e.to_string() })?;
    match client.get_page(&page_url).await {
        Ok(page) => simple::parse_page(page.content_type.as_deref(), &page.body, &page.url)
            .map_err(|message| FetchError::Parse { project, index, message }),
        Err(GetError::NotFound) => Err(FetchError::ProjectNotFound { project, index }),
        Err(GetError::Status(status)) => Err(FetchError::Http { project, index, status }),
        Err(other) => Err(FetchError::Network { project, index, message: other.to_string() }),
    }
}

/// Records, for each queried file not yet cached, what the page says (or `None`).
fn merge(entry: &mut ProjectCache, group: &Group, page: Vec<IndexFile>) {
    let mut listed: HashMap<String, IndexFile> = HashMap::with_capacity(page.len());
    for file in page {
        // A page listing one name twice: the first entry wins, as in pip.
        listed.entry(file.filename.clone()).or_insert(file);
    }
    for file in &group.files {
        let found = listed.get(&file.filename).map(CachedFile::from_index);
        entry.files.entry(file.filename.clone()).or_insert(found);
    }
}

/// The lock's hash must equal the index's in the same algorithm; the location needs a sha256.
fn verify(key: &Key, file: &LockedFile, listed: &IndexFile) -> Result<Option<FileLocation>, FetchError> {
    // No let-chains: the crate's MSRV (1.85) predates them.
    let lock_and_index = file.hash.as_ref().and_then(|lock| Some((lock, listed.hashes.get(&lock.algorithm)?)));
    if let Some((lock, index_hex)) =
        lock_and_index.filter(|(lock, index_hex)| !index_hex.eq_ignore_ascii_case(&lock.hex))
    {
        return Err(FetchError::HashMismatch {
            project: key.1.clone(),
            file: file.filename.clone(),
            index: key.0.clone(),
            lock: format!("{}:{}", lock.algorithm.as_str(), lock.hex.to_ascii_lowercase()),
            index_hash: format!("{}:{index_hex}", lock.algorithm.as_str()),
        });
    }
    Ok(listed
        .hashes
        .get(&HashAlgorithm::Sha256)
        .map(|sha256| FileLocation { url: listed.url.clone(), sha256_hex: sha256.clone() }))
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
        let query = ProjectQuery { index_url, project: PackageName::new("six".into()).unwrap(), files: Vec::new() };
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
