//! Facts read from the artifacts themselves (an sdist's build system, a wheel's ELF needs):
//! each artifact is downloaded at most once, checked against its sha256, described by the
//! caller, and the description cached by sha256 so that later runs download nothing.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::cache::write_private;
use super::client::{Client, GetError};
use super::hex;
use super::reporter::{Running, Task};
use super::{ArtifactCause, CacheCause, FetchError, FetchOptions, TransferCause};

/// Bumped when a cached description's layout changes.
const LAYOUT: &str = "artifacts-v1";
/// Downloads at once: artifacts can be large, unlike index pages.
const MAX_DOWNLOADS: usize = 4;
/// Whole-file timeout for one artifact.
const FILE_TIMEOUT: Duration = Duration::from_mins(30);

/// One file to describe.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Artifact {
    pub filename: String,
    /// May carry credentials (used for the download only).
    pub url: String,
    pub sha256_hex: String,
}

/// A small file beside an artifact that describes it as well, such as PEP 658's
/// `<wheel URL>.metadata`: fetched first, and the artifact itself only when the index does not
/// serve it or `read` refuses what came.
pub(crate) struct Sidecar<T> {
    /// Appended to the path of the artifact's URL.
    pub suffix: &'static str,
    /// Which artifacts, by file name, an index may serve one for (PyPI: wheels only).
    pub for_file: fn(&str) -> bool,
    pub read: fn(&[u8]) -> Result<T, String>,
}

/// The largest sidecar read; core metadata is a few kilobytes.
const MAX_SIDECAR: usize = 16 * 1024 * 1024;

/// Descriptions by sha256; `Err` holds why the describer could not read the artifact, or
/// that it was over the size limit (cached only in the set of the run's artifacts, which is
/// named by the limit too: a later run with a higher limit reads the file).
pub(crate) struct Described<T> {
    pub by_sha256: BTreeMap<String, Result<T, String>>,
    pub downloads: usize,
    /// Artifacts described from their sidecar, not downloaded.
    pub sidecars: usize,
    /// Artifacts left unread because they are larger than the limit.
    pub too_large: usize,
}

/// Describes every artifact with `describe` (`kind` names the description in the cache, e.g.
/// `build-system`), downloading only those without a cached description. Files go to an
/// anonymous temporary file, never whole into memory: in the cache folder when there is one
/// (the system's temporary folder may be RAM), else in the system's. One larger than
/// `max_size` bytes is abandoned as soon as that is known and described as an `Err`. With a
/// `sidecar`, that file is tried before each download.
pub(crate) fn describe<T, F>(
    kind: &str,
    artifacts: &[Artifact],
    options: &FetchOptions,
    max_size: Option<u64>,
    sidecar: Option<&Sidecar<T>>,
    describe: F,
) -> Result<Described<T>, FetchError>
where
    T: Serialize + DeserializeOwned + Send + Sync,
    F: Fn(&Artifact, &mut File) -> Result<T, String> + Sync,
{
    if artifacts.is_empty() {
        return Ok(Described { by_sha256: BTreeMap::new(), downloads: 0, sidecars: 0, too_large: 0 });
    }
    let dir = options.cache_dir.as_ref().map(|root| root.join(LAYOUT).join(kind));
    let set = dir.as_deref().map(|dir| set_path(dir, artifacts, max_size));
    if let Some((by_sha256, too_large)) = set.as_deref().and_then(|path| load_set::<T>(path, artifacts)) {
        return Ok(Described { by_sha256, downloads: 0, sidecars: 0, too_large });
    }
    let mut by_sha256 = BTreeMap::new();
    let mut missing = Vec::new();
    let mut asked = std::collections::BTreeSet::new();
    for artifact in artifacts.iter().filter(|a| asked.insert(a.sha256_hex.as_str())) {
        match dir.as_deref().and_then(|d| load::<T>(d, &artifact.sha256_hex)) {
            Some(cached) => {
                by_sha256.insert(artifact.sha256_hex.clone(), cached);
            }
            None => missing.push(artifact),
        }
    }
    if missing.is_empty() {
        if let Some(path) = &set {
            store_set(path, &by_sha256, &BTreeMap::new())?;
        }
        return Ok(Described { by_sha256, downloads: 0, sidecars: 0, too_large: 0 });
    }
    if options.offline {
        return Err(FetchError::Offline {
            pages: BTreeMap::new(),
            missing: missing.iter().map(|a| format!("artifact {}", a.filename)).collect(),
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(FetchError::Runtime)?;
    let client = Client::new(options).map_err(FetchError::HttpClient)?;
    let temp_dir = options.cache_dir.as_ref().map(|root| root.join(LAYOUT));
    if let Some(temp_dir) = &temp_dir {
        std::fs::create_dir_all(temp_dir)
            .map_err(|e| FetchError::Cache { path: temp_dir.clone(), source: e.into() })?;
    }
    let progress = options.reporter.start(Task::ArtifactsForInference, Some(missing.len() as u64));
    let results: Result<Vec<(String, Fetched<T>)>, FetchError> = runtime.block_on(async {
        // Sidecars are small: with one, as many at once as index pages.
        let jobs = if sidecar.is_some() { options.jobs.max(1) } else { options.jobs.clamp(1, MAX_DOWNLOADS) };
        let mut stream = futures_util::stream::iter(missing.iter().map(|artifact| {
            let client = &client;
            let describe = &describe;
            let temp_dir = temp_dir.as_deref();
            let progress = &progress;
            async move {
                if let Some(described) = from_sidecar(client, artifact, sidecar).await {
                    progress.step(&artifact.filename);
                    return Ok((artifact.sha256_hex.clone(), Fetched::FromSidecar(described)));
                }
                let fetched = match download(client, artifact, max_size, temp_dir, progress).await? {
                    // Parsing archives is CPU work: keep it off the async workers.
                    Some(mut file) => Fetched::Read(tokio::task::block_in_place(|| describe(artifact, &mut file))),
                    None => Fetched::TooLarge(max_size.unwrap_or_default()),
                };
                progress.step(&artifact.filename);
                Ok::<_, FetchError>((artifact.sha256_hex.clone(), fetched))
            }
        }))
        .buffer_unordered(jobs);
        let mut out = Vec::new();
        while let Some(result) = stream.next().await {
            out.push(result?);
        }
        Ok::<_, FetchError>(out)
    });
    drop(progress);
    let results = results?;
    let mut described = Described { by_sha256, downloads: 0, sidecars: 0, too_large: 0 };
    let mut over_limit = BTreeMap::new();
    for (sha256, fetched) in results {
        match fetched {
            Fetched::Read(_) => described.downloads += 1,
            Fetched::FromSidecar(_) => described.sidecars += 1,
            Fetched::TooLarge(_) => described.too_large += 1,
        }
        let result = match fetched {
            Fetched::Read(result) | Fetched::FromSidecar(result) => {
                if let Some(dir) = &dir {
                    store(dir, &sha256, &result)?;
                }
                result
            }
            Fetched::TooLarge(limit) => {
                over_limit.insert(sha256.clone(), limit);
                Err(too_large(limit))
            }
        };
        described.by_sha256.insert(sha256, result);
    }
    // A description over the size limit is not cached by itself (a run with a higher limit
    // reads the file), but the set holds it: the set is for this limit only.
    if let Some(path) = &set {
        store_set(path, &described.by_sha256, &over_limit)?;
    }
    Ok(described)
}

enum Fetched<T> {
    Read(Result<T, String>),
    FromSidecar(Result<T, String>),
    /// Over this limit (bytes).
    TooLarge(u64),
}

/// Why an artifact over `limit` bytes has no description.
fn too_large(limit: u64) -> String {
    format!("not downloaded: larger than the size limit for inference ({})", megabytes(limit))
}

fn megabytes(bytes: u64) -> String {
    if bytes < 1_000_000 { format!("{bytes} bytes") } else { format!("{} MB", bytes / 1_000_000) }
}

/// The description from the artifact's sidecar, when there is one, the index serves it and
/// `read` accepts it; `None` sends the caller to the artifact itself.
async fn from_sidecar<T>(
    client: &Client,
    artifact: &Artifact,
    sidecar: Option<&Sidecar<T>>,
) -> Option<Result<T, String>> {
    let sidecar = sidecar.filter(|sidecar| (sidecar.for_file)(&artifact.filename))?;
    let mut url = Url::parse(&artifact.url).ok()?;
    url.set_path(&format!("{}{}", url.path(), sidecar.suffix));
    url.set_fragment(None);
    let page = client.get_file_small(&url).await.ok()?;
    if page.body.len() > MAX_SIDECAR {
        return None;
    }
    (sidecar.read)(&page.body).ok().map(Ok)
}

/// The artifact in a rewound temporary file, its sha256 checked; `None` when it is larger
/// than `max_size`.
async fn download(
    client: &Client,
    artifact: &Artifact,
    max_size: Option<u64>,
    temp_dir: Option<&Path>,
    progress: &Running<'_>,
) -> Result<Option<File>, FetchError> {
    let shown = crate::safe_url::redact(&artifact.url);
    let fail = |source| FetchError::Artifact { file: artifact.filename.clone(), url: shown.clone(), source };
    let url = Url::parse(&artifact.url).map_err(|e| fail(TransferCause::Url(e).into()))?;
    let download = match client.get_file(&url, FILE_TIMEOUT, max_size, temp_dir, progress).await {
        Ok(download) => download,
        Err(GetError::TooLarge(_)) => return Ok(None),
        Err(other) => return Err(fail(TransferCause::Download(other).into())),
    };
    let actual = hex(&download.sha256);
    if actual != artifact.sha256_hex {
        return Err(fail(ArtifactCause::HashMismatch { actual, expected: artifact.sha256_hex.clone() }));
    }
    Ok(Some(download.file))
}

fn path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(format!("{sha256}.json"))
}

/// Where the descriptions of one run's whole set of artifacts are kept together, named by the
/// set: a later run asking for the same set (the same lock, warm) reads one file instead of
/// one per artifact. The file per artifact stays the record; a set only repeats it.
fn set_path(dir: &Path, artifacts: &[Artifact], max_size: Option<u64>) -> PathBuf {
    use sha2::{Digest, Sha256};
    let shas: std::collections::BTreeSet<&str> = artifacts.iter().map(|a| a.sha256_hex.as_str()).collect();
    let mut hasher = Sha256::new();
    // A set records which artifacts were over the limit, so it holds for that limit only.
    hasher.update(format!("max-size {max_size:?}\n").as_bytes());
    for sha in shas {
        hasher.update(sha.as_bytes());
        hasher.update(b"\n");
    }
    dir.join("sets").join(format!("{}.json", hex(&hasher.finalize()[..16])))
}

/// A set's descriptions and how many of them are over the size limit, when the file is
/// readable and holds every artifact asked for.
type LoadedSet<T> = (BTreeMap<String, Result<T, String>>, usize);

fn load_set<T: DeserializeOwned>(path: &Path, artifacts: &[Artifact]) -> Option<LoadedSet<T>> {
    let text = std::fs::read(path).ok()?;
    let set: BTreeMap<String, Cached<T>> = serde_json::from_slice(&text).ok()?;
    if !artifacts.iter().all(|a| set.contains_key(&a.sha256_hex)) {
        return None;
    }
    let too_large = set.values().filter(|cached| matches!(cached, Cached::TooLarge(_))).count();
    Some((set.into_iter().map(|(sha, cached)| (sha, cached.into_result())).collect(), too_large))
}

/// Writes a set; `over_limit` names the artifacts left unread for their size (sha256 → limit).
fn store_set<T: Serialize>(
    path: &Path,
    described: &BTreeMap<String, Result<T, String>>,
    over_limit: &BTreeMap<String, u64>,
) -> Result<(), FetchError> {
    let fail = |source: CacheCause| FetchError::Cache { path: path.to_path_buf(), source };
    let set: BTreeMap<&String, Cached<&T>> = described
        .iter()
        .map(|(sha, result)| {
            let cached = match (result, over_limit.get(sha)) {
                (_, Some(limit)) => Cached::TooLarge(*limit),
                (Ok(value), None) => Cached::Ok(value),
                (Err(error), None) => Cached::Error(error.clone()),
            };
            (sha, cached)
        })
        .collect();
    let text = serde_json::to_vec(&set).map_err(|e| fail(e.into()))?;
    write_private(path, &text).map_err(|e| fail(e.into()))
}

/// A cached description; anything unreadable counts as missing and is redone.
fn load<T: DeserializeOwned>(dir: &Path, sha256: &str) -> Option<Result<T, String>> {
    let text = std::fs::read(path(dir, sha256)).ok()?;
    serde_json::from_slice::<Cached<T>>(&text).ok().map(Cached::into_result)
}

fn store<T: Serialize>(dir: &Path, sha256: &str, described: &Result<T, String>) -> Result<(), FetchError> {
    let target = path(dir, sha256);
    let fail = |source: CacheCause| FetchError::Cache { path: target.clone(), source };
    let cached = match described {
        Ok(value) => Cached::Ok(value),
        Err(error) => Cached::Error(error.clone()),
    };
    let text = serde_json::to_vec(&cached).map_err(|e| fail(e.into()))?;
    write_private(&target, &text).map_err(|e| fail(e.into()))
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Cached<T> {
    Ok(T),
    Error(String),
    /// Not read: over this limit in bytes (only in a set, which is named by the limit).
    TooLarge(u64),
}

impl<T> Cached<T> {
    fn into_result(self) -> Result<T, String> {
        match self {
            Self::Ok(value) => Ok(value),
            Self::Error(error) => Err(error),
            Self::TooLarge(limit) => Err(too_large(limit)),
        }
    }
}
