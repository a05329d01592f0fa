//! Finding locked files on their index: the cache first (unless it may lie), then one page per
//! (index, project), fetched concurrently; every lock hash checked against the index's.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use futures_util::StreamExt;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use url::Url;

use super::cache::{Cache, CachedFile, ProjectCache};
use super::client::{Client, GetError};
use super::remembered::{self, Remembered};
use super::reporter::{Running, Task};
use super::simple::{self, IndexFile};
use super::{FetchError, FetchOptions, FileLocation, Located, LocatedFile, LocationRef, ProjectQuery, Text};
use crate::filename::DistFilename;
use crate::model::{FileHash, HashAlgorithm, LockedFile, Sha256};
use crate::name::PackageName;
use crate::safe_url::DisplaySafeUrl;

/// One (index, project) page and every locked file asked about on it, borrowed from the
/// queries.
struct Group<'q> {
    /// Normalized index URL, credentials included (for the request only).
    index: Url,
    /// The queries asking for the page: two only for an index named with and without
    /// credentials.
    queries: Vec<&'q ProjectQuery<'q>>,
    /// Their files, borrowed from the one query that most pages have.
    files: Cow<'q, [&'q LockedFile]>,
    /// Versions whose every file is wanted ([`ProjectQuery::versions`]).
    versions: BTreeSet<&'q str>,
    /// [`ProjectQuery::may_be_unreachable`].
    may_be_unreachable: bool,
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
pub fn locate(queries: &[ProjectQuery<'_>], options: &FetchOptions) -> Result<Located, FetchError> {
    locate_with_memory(queries, options, None)
}

/// What the last run of a lock located ([`Remembered`], one file in the cache), read on a
/// thread of its own from the start of a run, while the lock is read and resolved: the file is
/// as large as the lock, and reading it in the lookup's serial part cost a changed 650-package
/// lock 1.8 ms.
pub(crate) struct LocatedMemory {
    path: PathBuf,
    /// `None` with `--refresh`, which writes the memory but does not read it.
    loading: Option<JoinHandle<Remembered>>,
}

impl LocatedMemory {
    /// Starts reading the memory of the lock at `lock`; `None` without a cache.
    pub(crate) fn start(options: &FetchOptions, lock: &Path) -> Option<Self> {
        let path = Cache::new(options.cache_dir.as_deref()?).remembered_path(lock);
        let loading = (!options.refresh).then(|| {
            let path = path.clone();
            std::thread::spawn(move || Remembered::load(&path))
        });
        Some(Self { path, loading })
    }

    /// The memory as read, once it is.
    fn take(self) -> (PathBuf, Remembered) {
        let remembered = match self.loading {
            Some(loading) => loading.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => Remembered::default(),
        };
        (self.path, remembered)
    }
}

/// [`locate`] for the run of the lock at `lock`: answered first from what the last run of that
/// lock located ([`LocatedMemory`]), which is then rewritten with what this run located. For
/// the pipeline's main lookup only: another query set would replace the memory with its own.
pub fn locate_for_lock(
    queries: &[ProjectQuery<'_>],
    options: &FetchOptions,
    lock: &Path,
) -> Result<Located, FetchError> {
    locate_with_memory(queries, options, LocatedMemory::start(options, lock))
}

/// [`locate`], answered first from `memory` (a lock's, started earlier: [`locate_for_lock`]).
pub(crate) fn locate_with_memory(
    queries: &[ProjectQuery<'_>],
    options: &FetchOptions,
    memory: Option<LocatedMemory>,
) -> Result<Located, FetchError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return std::thread::scope(|s| s.spawn(|| locate_blocking(queries, options, memory)).join())
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
    }
    locate_blocking(queries, options, memory)
}

fn locate_blocking(
    queries: &[ProjectQuery<'_>],
    options: &FetchOptions,
    memory: Option<LocatedMemory>,
) -> Result<Located, FetchError> {
    let all_groups = group(queries)?;
    let (memory, remembered) = match memory.map(LocatedMemory::take) {
        Some((path, remembered)) => (Some(path), remembered),
        None => (None, Remembered::default()),
    };
    // A project the memory answers whole needs neither its cached page nor the index.
    let answered: Vec<Option<Vec<LocatedFile>>> = all_groups
        .par_iter()
        .map(|(key, group)| {
            let whole = group.versions.is_empty();
            whole.then(|| remembered.answer(&key.0, key.1.as_str(), &group.files)).flatten()
        })
        .collect();
    // In key order, as the groups are.
    let groups: BTreeMap<&Key, &Group<'_>> = all_groups
        .iter()
        .zip(&answered)
        .filter(|(_, answer)| answer.is_none())
        .map(|((key, group), _)| (key, group))
        .collect();
    let mut recalled: Vec<(&Key, Vec<LocatedFile>)> =
        all_groups.iter().zip(answered).filter_map(|((key, _), answer)| Some((key, answer?))).collect();
    // The answers point into the memory's text, of which the result keeps what they point at.
    let memory_text = keep_recalled(&remembered.into_text(), &mut recalled);
    let cache = options.cache_dir.as_deref().map(Cache::new);
    let mut known: BTreeMap<&Key, Answer> = BTreeMap::new();
    let mut to_fetch = Vec::new();
    let mut offline_missing = Vec::new();
    let mut offline_pages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cache_hits = recalled.len();
    // Reading and parsing the cache files is most of a warm run's fetch stage: do it in parallel.
    let loaded: Vec<ProjectCache> = groups
        .par_iter()
        .map(|(&key, _)| match (&cache, options.refresh) {
            (Some(cache), false) => cache.load(&key.0, &key.1),
            _ => ProjectCache::empty(&key.0, &key.1),
        })
        .collect();
    for ((&key, &group), cached) in groups.iter().zip(loaded) {
        let missing: Vec<&str> =
            group.files.iter().map(|f| f.filename.as_str()).filter(|f| !cached.files.contains_key(*f)).collect();
        let missing_versions: Vec<&str> =
            group.versions.iter().copied().filter(|v| !cached.versions.contains_key(*v)).collect();
        if missing.is_empty() && missing_versions.is_empty() && (options.offline || !may_be_stale(group, &cached)) {
            cache_hits += 1;
        } else if options.offline && cached.files.is_empty() && cached.versions.is_empty() {
            offline_pages.entry(key.0.clone()).or_default().push(key.1.to_string());
        } else if options.offline {
            offline_missing.extend(missing.iter().map(|f| format!("{}: {f}", key.1)));
            offline_missing.extend(missing_versions.iter().map(|v| format!("{}: every file of version {v}", key.1)));
        } else {
            to_fetch.push((key, group));
        }
        known.insert(key, Answer { cached, gone: false });
    }
    if !offline_missing.is_empty() || !offline_pages.is_empty() {
        offline_missing.sort();
        offline_missing.dedup();
        return Err(FetchError::Offline { pages: offline_pages, missing: offline_missing });
    }

    let mut requests = 0;
    let mut unreachable = BTreeMap::new();
    if !to_fetch.is_empty() {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(FetchError::Runtime)?;
        let client = Client::new(options).map_err(FetchError::HttpClient)?;
        let progress = options.reporter.start(Task::IndexPages, Some(to_fetch.len() as u64));
        let outcome = runtime.block_on(fetch_all(&client, to_fetch, options.jobs, &progress, |key, page| {
            let answer = known.get_mut(key).expect("every group was loaded");
            let page = match page {
                PageOutcome::Listed(page) => Some(page),
                PageOutcome::NotFound => None,
                // Nothing is concluded, so nothing is cached: its files stay absent.
                PageOutcome::Unreachable(message) => {
                    unreachable.entry(key.0.clone()).or_insert(message);
                    return Ok(());
                }
            };
            answer.gone = page.is_none();
            merge(&mut answer.cached, groups[key], page.unwrap_or_default());
            cache.as_ref().map_or(Ok(()), |cache| cache.store(&key.1, &answer.cached))
        }));
        drop(progress);
        requests = client.requests();
        outcome?;
    }

    let mut listed = BTreeMap::new();
    for (&key, group) in &groups {
        for version in &group.versions {
            let names = known[key].cached.versions.get(*version).cloned().unwrap_or_default();
            listed.insert((key.1.clone(), (*version).to_string()), names);
        }
    }
    let verified: Vec<(&Key, Vec<(String, FileLocation)>)> = groups
        .par_iter()
        .map(|(&key, group)| {
            let entries = &known[key].cached.files;
            let mut found = Vec::with_capacity(group.files.len());
            // The files of a listed version: the lock names none, so there is no hash to check.
            let unnamed: Vec<LockedFile> = group
                .versions
                .iter()
                .flat_map(|v| &listed[&(key.1.clone(), (*v).to_string())])
                .map(|name| LockedFile::named(name.clone(), None))
                .collect();
            for file in group.files.iter().copied().chain(&unnamed) {
                let Some(Some(cached)) = entries.get(&file.filename) else { continue };
                let listed = cached.to_index(&file.filename);
                let location = match verify(key, file, &listed, options.offline)? {
                    Some(location) => location,
                    // Listed without a sha256 (md5 only, or no hash): the lock's sha256 is
                    // as good, since Nix checks it when it downloads.
                    None => FileLocation { url: listed.url.clone(), sha256: file.sha256() },
                };
                found.push((file.filename.clone(), location));
            }
            Ok((key, found))
        })
        .collect::<Result<_, FetchError>>()?;
    if let Some(path) = memory.as_deref().filter(|_| !groups.is_empty()) {
        let recalled = recalled.iter().map(|(key, files)| {
            (*key, files.iter().map(|file| (file.name.resolve(&memory_text), file.location(&memory_text))).collect())
        });
        let verified = verified.iter().map(|(key, files)| {
            (*key, files.iter().map(|(name, location)| (name.as_str(), LocationRef::of(location))).collect())
        });
        remember(path, recalled.chain(verified));
    }
    let gone = known.iter().filter(|(_, answer)| answer.gone).map(|(key, _)| key.1.clone()).collect();
    let mut files: FxHashMap<PackageName, Vec<LocatedFile>> = FxHashMap::default();
    let mut unhashed = BTreeMap::new();
    let mut answers = recalled;
    for (key, mut found) in verified {
        for (filename, location) in found.extract_if(.., |(_, location)| location.sha256.is_none()) {
            unhashed.insert((key.1.clone(), filename), DisplaySafeUrl::new(location.url));
        }
        answers.push((key, found.into_iter().map(|(name, location)| LocatedFile::own(name, location)).collect()));
    }
    for (key, mut found) in answers {
        let project = files.entry(key.1.clone()).or_default();
        if project.is_empty() {
            *project = found;
        } else {
            project.append(&mut found);
        }
    }
    files.retain(|_, project| !project.is_empty());
    files.par_iter_mut().for_each(|(_, project)| by_file_name(project, &memory_text));
    let all_recalled = groups.is_empty();
    Ok(Located { memory: memory_text, files, unhashed, gone, listed, unreachable, all_recalled, requests, cache_hits })
}

/// What a run keeps of the located-files memory's text: the names and URLs its recalled files
/// point into, copied out, a URL the file before had (a folder many files share) only once.
/// The rest (each file's sha256 in hex, already read; the projects the run did not ask
/// about) is half the text or more, and the run would hold it until its plan is made, at its
/// peak of memory. Copied on every core, a slice of the projects each, then joined.
fn keep_recalled(memory: &str, recalled: &mut [(&Key, Vec<LocatedFile>)]) -> String {
    let slice = recalled.len().div_ceil(4 * rayon::current_num_threads()).max(1);
    let texts: Vec<String> = recalled.par_chunks_mut(slice).map(|part| copy_spans(memory, part)).collect();
    let mut starts = Vec::with_capacity(texts.len());
    let mut kept = String::with_capacity(texts.iter().map(String::len).sum());
    for text in &texts {
        starts.push(kept.len());
        kept.push_str(text);
    }
    recalled.par_chunks_mut(slice).zip(starts).for_each(|(part, start)| {
        for file in part.iter_mut().flat_map(|(_, files)| files) {
            file.name.shift(start);
            file.url.shift(start);
        }
    });
    kept
}

/// [`keep_recalled`] for a slice of the projects: their spans copied into a text of their own.
fn copy_spans(memory: &str, recalled: &mut [(&Key, Vec<LocatedFile>)]) -> String {
    let size: usize =
        recalled.iter().flat_map(|(_, files)| files).map(|file| file.name.memory_len() + file.url.memory_len()).sum();
    let mut kept = String::with_capacity(size);
    let mut last_url: Option<Text> = None;
    for file in recalled.iter_mut().flat_map(|(_, files)| files) {
        file.name.move_to(memory, &mut kept);
        match &last_url {
            Some(last) if last.bytes(&kept) == file.url.bytes(memory) => file.url = last.clone(),
            _ => {
                file.url.move_to(memory, &mut kept);
                last_url = Some(file.url.clone());
            }
        }
    }
    kept
}

/// Sorts a project's located files by name, one file per name: of a project on two indexes,
/// the later answer's file (a stable sort keeps answers in order). `memory`: the text recalled
/// files point into.
fn by_file_name(files: &mut Vec<LocatedFile>, memory: &str) {
    files.sort_by(|a, b| a.name.bytes(memory).cmp(b.name.bytes(memory)));
    let before = files.len();
    files.dedup_by(|later, kept| {
        let same = later.name.bytes(memory) == kept.name.bytes(memory);
        if same {
            std::mem::swap(later, kept);
        }
        same
    });
    if files.len() < before {
        files.shrink_to_fit();
    }
}

/// Writes what this run located as the lock's memory. A cache that cannot be written only
/// costs the next run its speed.
fn remember<'a>(path: &Path, found: impl Iterator<Item = (&'a Key, Vec<(&'a str, LocationRef<'a>)>)>) {
    let mut located = remembered::Located::new();
    for (key, files) in found {
        let hashed = files.into_iter().filter(|(_, location)| location.sha256.is_some());
        located.entry(key.0.as_str()).or_default().entry(key.1.as_str()).or_default().extend(hashed);
    }
    let _ = super::cache::write_private(path, Remembered::text(&located).as_bytes());
}

/// Whether a cached answer must be checked with the index: it says a chosen file is not
/// there, lists a hash that differs from the lock's, or knows no file of a wanted version.
fn may_be_stale(group: &Group<'_>, cached: &ProjectCache) -> bool {
    let file_may_be_stale = |file: &LockedFile| match cached.files.get(&file.filename) {
        Some(None) => group.queries.iter().any(|query| query.chooses(&file.filename)),
        Some(Some(entry)) => file
            .hash
            .as_ref()
            .is_some_and(|lock| entry.hashes.get(lock.algorithm().as_str()).is_some_and(|hex| !lock.is_spelled(hex))),
        None => false,
    };
    group.files.iter().any(|file| file_may_be_stale(file))
        || group.versions.iter().any(|v| cached.versions.get(*v).is_some_and(Vec::is_empty))
}

/// The queries' (index, project) pages, in key order, each with what its queries ask. A
/// lock names a handful of indexes for thousands of projects: each index URL is parsed once,
/// the queries are ordered by the rank of their index's key and then by project (no key is
/// built to be compared), and the groups are filled in parallel.
fn group<'q>(queries: &'q [ProjectQuery<'_>]) -> Result<Vec<(Key, Group<'q>)>, FetchError> {
    let asking: Vec<&ProjectQuery<'_>> =
        queries.iter().filter(|q| !q.files.is_empty() || !q.versions.is_empty()).collect();
    let mut indexes: Vec<(&DisplaySafeUrl, Url, String)> = Vec::new();
    let mut index_of = Vec::with_capacity(asking.len());
    for query in &asking {
        let at = if let Some(at) = indexes.iter().position(|(raw, ..)| *raw == &query.index_url) {
            at
        } else {
            indexes.push((&query.index_url, normalize_index(&query.index_url)?, index_key(&query.index_url)));
            indexes.len() - 1
        };
        index_of.push(at);
    }
    // The rank of each index's key among the keys: URLs that differ only by credentials share one.
    let mut keys: Vec<&str> = indexes.iter().map(|(_, _, key)| key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    let rank: Vec<usize> = indexes.iter().map(|(_, _, key)| keys.binary_search(&key.as_str()).unwrap_or(0)).collect();
    // Stable: the queries of one page stay in their order.
    let mut order: Vec<usize> = (0..asking.len()).collect();
    order.par_sort_by(|&a, &b| {
        rank[index_of[a]].cmp(&rank[index_of[b]]).then_with(|| asking[a].project.cmp(&asking[b].project))
    });
    let same_page =
        |a: &usize, b: &usize| rank[index_of[*a]] == rank[index_of[*b]] && asking[*a].project == asking[*b].project;
    Ok(order
        .chunk_by(same_page)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|page| {
            let (_, first_index, key) = &indexes[index_of[page[0]]];
            let queries: Vec<&ProjectQuery<'_>> = page.iter().map(|&at| asking[at]).collect();
            let files = match &queries[..] {
                [one] => Cow::Borrowed(&one.files[..]),
                all => Cow::Owned(all.iter().flat_map(|query| query.files.iter().copied()).collect()),
            };
            let mut group = Group {
                index: first_index.clone(),
                queries,
                files,
                versions: BTreeSet::new(),
                may_be_unreachable: true,
            };
            for &at in page {
                let (query, index) = (asking[at], &indexes[index_of[at]].1);
                // The same index with and without credentials: the credentials are meant for it.
                if group.index.username().is_empty() && !index.username().is_empty() {
                    group.index = index.clone();
                }
                group.versions.extend(query.versions.iter().map(String::as_str));
                group.may_be_unreachable &= query.may_be_unreachable;
            }
            ((key.clone(), asking[page[0]].project.clone()), group)
        })
        .collect())
}

/// How [`Located`] names an index: its URL normalized (trailing slash) and without credentials.
pub(crate) fn index_key(raw: &DisplaySafeUrl) -> String {
    // Redacted before it is normalized: a parser may move part of a password past the host.
    let shown = raw.redacted();
    normalize_index(&DisplaySafeUrl::new(shown.as_str())).map_or(shown, |url| url.to_string())
}

/// Parses an index URL and gives it the trailing slash that `join` needs.
fn normalize_index(raw: &DisplaySafeUrl) -> Result<Url, FetchError> {
    let invalid = |message: String| FetchError::InvalidIndexUrl { index: raw.redacted(), message };
    let mut url = Url::parse(raw.expose().trim()).map_err(|e| invalid(e.to_string()))?;
    if !raw.is_unambiguous() {
        // `user:pa/ss@host` parses as host `user`: the request would go to another host.
        return Err(invalid(
            "an `@` after what a URL parser takes for the host: percent-encode a `/`, `?`, `#`, `\\` or `@` in the user or password (%2F, %3F, %23, %5C, %40)".to_string(),
        ));
    }
    if !matches!(url.scheme(), "http" | "https" | "file") {
        return Err(invalid("only http, https and file (a local mirror) indexes are supported".to_string()));
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
    work: Vec<(&'g Key, &'g Group<'g>)>,
    jobs: usize,
    progress: &Running<'_>,
    mut done: impl FnMut(&'g Key, PageOutcome) -> Result<(), FetchError>,
) -> Result<(), FetchError> {
    // After a failure no request starts and those under way end; the failure reported is that
    // of the first project in order, so that a run names the same one whichever answer came
    // first (every project before it was asked, since they are asked in order).
    let stopped = std::cell::Cell::new(false);
    let stopped = &stopped;
    let mut pages = futures_util::stream::iter(work.into_iter().map(|(key, group)| async move {
        let result = if stopped.get() { None } else { Some(fetch_one(client, key, group).await) };
        (key, result)
    }))
    .buffer_unordered(jobs.max(1));
    let mut first_failure: Option<(&Key, FetchError)> = None;
    while let Some((key, result)) = pages.next().await {
        let Some(result) = result else { continue };
        match result.and_then(|page| done(key, page)) {
            Ok(()) => progress.step(key.1.as_str()),
            Err(error) => {
                stopped.set(true);
                if first_failure.as_ref().is_none_or(|(first, _)| key < *first) {
                    first_failure = Some((key, error));
                }
            }
        }
    }
    first_failure.map_or(Ok(()), |(_, error)| Err(error))
}

/// What one page request came to.
enum PageOutcome {
    Listed(Vec<IndexFile>),
    /// The index has no such project (HTTP 404).
    NotFound,
    /// The index could not be reached (`FetchOptions::tolerate_unreachable`): why.
    Unreachable(String),
}

async fn fetch_one(client: &Client, key: &Key, group: &Group<'_>) -> Result<PageOutcome, FetchError> {
    let (index, project) = (key.0.clone(), key.1.clone());
    let page_url = group
        .index
        .join(&format!("{project}/"))
        .map_err(|e| FetchError::InvalidIndexUrl { index: index.clone(), message: e.to_string() })?;
    // A page that does not parse may have been cut short where HTTP cannot tell (a body that
    // ends with the connection): asked again, like a failed request.
    let mut unparsed = 0;
    let page = loop {
        match client.get_page(&page_url).await {
            Ok(page) => match simple::parse_page(page.content_type.as_deref(), &page.body, &page.url) {
                Ok(files) => break Ok(files),
                Err(_) if unparsed < client.retries() => unparsed += 1,
                Err(source) => return Err(FetchError::Parse { project, index, source }),
            },
            Err(error) => break Err(error),
        }
    };
    match page {
        Ok(files) => Ok(PageOutcome::Listed(files)),
        // The caller decides what a project gone from the index means (`--allow-missing`).
        Err(GetError::NotFound) => Ok(PageOutcome::NotFound),
        Err(GetError::Status(status)) => Err(FetchError::Http { project, index, status }),
        Err(other) if group.may_be_unreachable => Ok(PageOutcome::Unreachable(crate::report::with_causes(&other))),
        Err(other) => Err(FetchError::Network { project, index, source: other }),
    }
}

/// Records, for each queried file, what the fresh page says (or `None`), replacing what the
/// cache said.
fn merge(entry: &mut ProjectCache, group: &Group<'_>, page: Vec<IndexFile>) {
    let mut listed: HashMap<String, IndexFile> = HashMap::with_capacity(page.len());
    for file in page {
        // A page listing one name twice: the first entry wins, as in pip.
        listed.entry(file.filename.clone()).or_insert(file);
    }
    for file in group.files.iter() {
        let found = listed.get(&file.filename).map(CachedFile::from_index);
        entry.files.insert(file.filename.clone(), found);
    }
    for version in &group.versions {
        let Ok(wanted) = version.parse::<uv_pep440::Version>() else { continue };
        let mut names: Vec<String> =
            listed.keys().filter(|name| DistFilename::is_of_version(name, &wanted)).cloned().collect();
        names.sort();
        for name in &names {
            entry.files.insert(name.clone(), listed.get(name).map(CachedFile::from_index));
        }
        entry.versions.insert((*version).to_string(), names);
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
            index_hash: format!("{}:{index_hex}", lock.algorithm().as_str()),
            offline,
        });
    }
    Ok(listed
        .hashes
        .get(&HashAlgorithm::Sha256)
        .and_then(|sha256| Sha256::from_hex(sha256))
        .map(|sha256| FileLocation { url: listed.url.clone(), sha256: Some(sha256) }))
}

/// The lock's hash and the index's digest in the same algorithm, when they differ.
fn hash_differs<'a>(file: &'a LockedFile, listed: &'a IndexFile) -> Option<(&'a FileHash, &'a str)> {
    let lock = file.hash.as_ref()?;
    let index_hex = listed.hashes.get(&lock.algorithm())?;
    (!lock.is_spelled(index_hex)).then_some((lock, index_hex.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_projects_files_are_sorted_by_name_and_the_later_answer_wins() {
        let at = |name: &str, url: &str| {
            LocatedFile::own(
                name.to_string(),
                FileLocation { url: url.to_string(), sha256: Some(Sha256::from_bytes([7; 32])) },
            )
        };
        let mut files = vec![
            at("b.whl", "https://first.example/b.whl"),
            at("a.whl", "https://first.example/a.whl"),
            at("b.whl", "https://second.example/b.whl"),
        ];
        by_file_name(&mut files, "");
        let urls: Vec<(&str, String)> =
            files.iter().map(|file| (file.name.resolve(""), file.location("").url().into_owned())).collect();
        assert_eq!(
            urls,
            [
                ("a.whl", "https://first.example/a.whl".to_string()),
                ("b.whl", "https://second.example/b.whl".to_string())
            ]
        );
    }

    #[test]
    fn a_run_keeps_only_the_names_and_urls_recalled_files_point_at_a_shared_folder_once() {
        let memory = "lock2nix located-v2\nindex\thttps://index.example/\nproject\ta\n\
                      a-1.whl\t11\thttps://f.example/x/\na-1.tar.gz\t22\thttps://f.example/x/\n\
                      a-0.whl\t33\thttps://g.example/a-0.whl\n";
        let span = |part: &str, after: usize| {
            let start = after + memory[after..].find(part).unwrap();
            Text::Memory { start: u32::try_from(start).unwrap(), end: u32::try_from(start + part.len()).unwrap() }
        };
        let recalled_file = |name: &str, url: &str, in_folder: bool| {
            let name = span(name, 0);
            let Text::Memory { end, .. } = name else { unreachable!() };
            LocatedFile { name, url: span(url, end as usize), in_folder, sha256: Some(Sha256::from_bytes([1; 32])) }
        };
        // Three projects (as if; the names do not matter here), so that each is copied apart
        // and joined.
        let projects = vec![
            vec![
                recalled_file("a-1.whl", "https://f.example/x/", true),
                recalled_file("a-1.tar.gz", "https://f.example/x/", true),
            ],
            vec![recalled_file("a-0.whl", "https://g.example/a-0.whl", false)],
            vec![LocatedFile::own(
                "b-1.whl".into(),
                FileLocation { url: "https://h.example/b-1.whl".into(), sha256: None },
            )],
        ];
        let seen = |projects: &[Vec<LocatedFile>], text: &str| -> Vec<(String, String)> {
            let files = projects.iter().flatten();
            files.map(|f| (f.name.resolve(text).to_string(), f.location(text).url().into_owned())).collect()
        };
        let before = seen(&projects, memory);
        let key = ("https://index.example/".to_string(), PackageName::from_owned("a".into()).unwrap());
        let mut recalled: Vec<(&Key, Vec<LocatedFile>)> = projects.into_iter().map(|files| (&key, files)).collect();
        let kept = keep_recalled(memory, &mut recalled);
        assert_eq!(kept, "a-1.whlhttps://f.example/x/a-1.tar.gza-0.whlhttps://g.example/a-0.whl");
        let after: Vec<Vec<LocatedFile>> = recalled.into_iter().map(|(_, files)| files).collect();
        assert_eq!(seen(&after, &kept), before);
    }

    #[test]
    fn a_cached_absence_is_asked_again_only_for_a_file_some_target_chose() {
        let (chosen, other) = (LockedFile::named("a-1.whl".into(), None), LockedFile::named("a-1.tar.gz".into(), None));
        let project = PackageName::from_owned("a".into()).unwrap();
        let queries = [ProjectQuery {
            index_url: "https://index.example/".into(),
            project: project.clone(),
            files: vec![&other, &chosen],
            chosen: vec![1],
            versions: BTreeSet::new(),
            may_be_unreachable: false,
        }];
        let groups = group(&queries).unwrap();
        let (_, group) = &groups[0];
        let mut cached = ProjectCache::empty("https://index.example/", &project);
        cached.files.insert("a-1.tar.gz".into(), None);
        assert!(!may_be_stale(group, &cached), "the sdist no target chose is absent: nothing to ask");
        cached.files.insert("a-1.whl".into(), None);
        assert!(may_be_stale(group, &cached), "the chosen wheel is absent: asked again");
    }

    #[test]
    fn index_urls_get_a_trailing_slash_and_need_http() {
        assert_eq!(
            normalize_index(&"https://index.example/simple".into()).unwrap().as_str(),
            "https://index.example/simple/"
        );
        let err = normalize_index(&"ftp://u:secret@index.example/".into()).unwrap_err().to_string();
        assert!(err.contains("ftp://index.example/") && !err.contains("secret"), "{err}");
    }
}
