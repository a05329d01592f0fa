//! Facts read from the artifacts themselves (an sdist's build system, a wheel's ELF needs):
//! each artifact is downloaded at most once, checked against its sha256, described by the
//! caller, and the description cached by sha256 so that later runs download nothing.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use url::Url;

use super::client::{Client, GetError};
use super::{FetchError, FetchOptions, redact_url};

/// Bumped when a cached description's layout changes.
const LAYOUT: &str = "artifacts-v1";
/// Downloads at once: artifacts can be large, unlike index pages.
const MAX_DOWNLOADS: usize = 4;
/// Whole-file timeout for one artifact.
const FILE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// One file to describe.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Artifact {
    pub filename: String,
    /// May carry credentials (used for the download only).
    pub url: String,
    pub sha256_hex: String,
}

/// Descriptions by sha256; `Err` holds why the describer could not read the artifact.
pub struct Described<T> {
    pub by_sha256: BTreeMap<String, Result<T, String>>,
    pub downloads: usize,
    pub cache_hits: usize,
}

/// Describes every artifact with `describe` (`kind` names the description in the cache, e.g.
/// `build-system`), downloading only those without a cached description.
pub fn describe<T, F>(
    kind: &str,
    artifacts: &[Artifact],
    options: &FetchOptions,
    describe: F,
) -> Result<Described<T>, FetchError>
where
    T: Serialize + DeserializeOwned + Send + Sync,
    F: Fn(&Artifact, &[u8]) -> Result<T, String> + Sync,
{
    let dir = options.cache_dir.as_ref().map(|root| root.join(LAYOUT).join(kind));
    let mut by_sha256 = BTreeMap::new();
    let mut missing = Vec::new();
    for artifact in artifacts {
        if by_sha256.contains_key(&artifact.sha256_hex)
            || missing.iter().any(|m: &&Artifact| m.sha256_hex == artifact.sha256_hex)
        {
            continue;
        }
        match dir.as_deref().and_then(|d| load::<T>(d, &artifact.sha256_hex)) {
            Some(cached) => {
                by_sha256.insert(artifact.sha256_hex.clone(), cached);
            }
            None => missing.push(artifact),
        }
    }
    let cache_hits = by_sha256.len();
    if missing.is_empty() {
        return Ok(Described { by_sha256, downloads: 0, cache_hits });
    }
    if options.offline {
        return Err(FetchError::Offline {
            missing: missing.iter().map(|a| format!("artifact {}", a.filename)).collect(),
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchError::Runtime { message: e.to_string() })?;
    let client = Client::new(options.timeout, options.retries).map_err(|message| FetchError::Runtime { message })?;
    let downloads = missing.len();
    let results: Vec<(String, Result<T, String>)> = runtime.block_on(async {
        let jobs = options.jobs.clamp(1, MAX_DOWNLOADS);
        let mut stream = futures_util::stream::iter(missing.iter().map(|artifact| {
            let client = &client;
            let describe = &describe;
            async move {
                let bytes = download(client, artifact).await?;
                // Parsing archives is CPU work: keep it off the async workers.
                let described = tokio::task::block_in_place(|| describe(artifact, &bytes));
                Ok::<_, FetchError>((artifact.sha256_hex.clone(), described))
            }
        }))
        .buffer_unordered(jobs);
        let mut out = Vec::new();
        while let Some(result) = stream.next().await {
            out.push(result?);
        }
        Ok::<_, FetchError>(out)
    })?;
    for (sha256, described) in results {
        if let Some(dir) = &dir {
            store(dir, &sha256, &described)?;
        }
        by_sha256.insert(sha256, described);
    }
    Ok(Described { by_sha256, downloads, cache_hits })
}

async fn download(client: &Client, artifact: &Artifact) -> Result<Vec<u8>, FetchError> {
    let shown = redact_url(&artifact.url);
    let fail = |message: String| FetchError::Artifact { file: artifact.filename.clone(), url: shown.clone(), message };
    let url = Url::parse(&artifact.url).map_err(|e| fail(e.to_string()))?;
    let page = client.get_file(&url, FILE_TIMEOUT).await.map_err(|e| match e {
        GetError::NotFound => fail("HTTP 404".into()),
        GetError::Status(status) => fail(format!("HTTP {status}")),
        GetError::Network(message) => fail(message),
    })?;
    let actual = hex(&Sha256::digest(&page.body));
    if actual != artifact.sha256_hex {
        return Err(fail(format!("its sha256 is {actual}, but the lock and the index say {}", artifact.sha256_hex)));
    }
    Ok(page.body)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(format!("{sha256}.json"))
}

/// A cached description; anything unreadable counts as missing and is redone.
fn load<T: DeserializeOwned>(dir: &Path, sha256: &str) -> Option<Result<T, String>> {
    let text = std::fs::read(path(dir, sha256)).ok()?;
    serde_json::from_slice::<Cached<T>>(&text).ok().map(Cached::into_result)
}

fn store<T: Serialize>(dir: &Path, sha256: &str, described: &Result<T, String>) -> Result<(), FetchError> {
    let target = path(dir, sha256);
    let fail = |message: String| FetchError::Cache { path: target.clone(), message };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let cached = match described {
        Ok(value) => Cached::Ok(value),
        Err(error) => Cached::Error(error.clone()),
    };
    let text = serde_json::to_vec(&cached).map_err(|e| fail(e.to_string()))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(e.to_string()))?;
    temp.write_all(&text).map_err(|e| fail(e.to_string()))?;
    temp.persist(&target).map_err(|e| fail(e.error.to_string()))?;
    Ok(())
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Cached<T> {
    Ok(T),
    Error(String),
}

impl<T> Cached<T> {
    fn into_result(self) -> Result<T, String> {
        match self {
            Cached::Ok(value) => Ok(value),
            Cached::Error(error) => Err(error),
        }
    }
}
