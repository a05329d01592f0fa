//! Pinning the sources that are not index files: a local folder or file becomes a path
//! relative to the generated file, a git reference a commit with the hash of its checkout, a
//! url file its sha256. What had to be computed comes from the `--hashes` file or the cache
//! when they know it, else from the remote, and is handed back for the `--hashes` file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use url::Url;

use super::cache::Cache;
use super::client::{Client, GetError};
use super::git;
use super::hashes::{GitFacts, GitKey, Hashes};
use super::{FetchError, FetchOptions, FileLocation, progress_bar, redact_url};
use crate::infer;
use crate::inference::BuildFacts;
use crate::model::{HashAlgorithm, Lock, Package, Source};
use crate::name::PackageName;
use crate::plan::{GitCheckout, LocalPath, PinnedSource};

/// Where the lock's paths start, and how the generated file names a path.
pub struct PinOptions<'a> {
    /// The folder the lock's relative paths are relative to (the project's root).
    pub project_dir: &'a Path,
    /// A path as the generated file records it: relative to its folder, `/`-separated.
    pub relative: &'a (dyn Fn(&Path) -> String + Sync),
    /// What `--hashes` knows.
    pub known: &'a Hashes,
    /// A remote that cannot be reached without a known hash makes the package throw when used,
    /// instead of stopping the run (`--allow-missing`).
    pub allow_missing: bool,
}

/// What pinning found.
#[derive(Debug, Default)]
pub struct Pinned {
    /// By lock package index: git checkouts and local paths (and unreachable remotes).
    pub sources: BTreeMap<usize, PinnedSource>,
    /// The files of `url` sources, located like index files.
    pub files: BTreeMap<(PackageName, String), FileLocation>,
    /// Everything computed or confirmed for the `--hashes` file (what this lock uses).
    pub hashes: Hashes,
    /// Remotes contacted (git repositories cloned, files downloaded).
    pub fetched: usize,
}

/// Pins the sources of the lock packages `packages` (indices into `lock.packages`), and hashes
/// the index files `unhashed` (listed without a sha256, which the lock lacks too).
pub fn pin(
    lock: &Lock,
    packages: &[usize],
    unhashed: &BTreeMap<(PackageName, String), String>,
    options: &FetchOptions,
    pin: &PinOptions,
) -> Result<Pinned, FetchError> {
    let mut pinned = Pinned::default();
    let cache = options.cache_dir.as_deref().map(Cache::new);
    let mut gits = Vec::new();
    let mut urls = Vec::new();
    for &i in packages {
        let package = &lock.packages[i];
        // A path that is not there stops the run, unless --allow-missing makes it throw.
        let missing = |error: FetchError| match error {
            FetchError::PathMissing { .. } if pin.allow_missing => Ok(PinnedSource::Unreachable(error.to_string())),
            other => Err(other),
        };
        match &package.source {
            Source::Directory { path, .. } => {
                let pinned_path = match local(package, path, true, pin) {
                    Ok(found) => PinnedSource::Path {
                        path: found,
                        build: Some(tree_build(package, &pin.project_dir.join(path))),
                    },
                    Err(error) => missing(error)?,
                };
                pinned.sources.insert(i, pinned_path);
            }
            Source::File { path } => {
                let pinned_path = match local(package, path, false, pin) {
                    Ok(found) => PinnedSource::Path { path: found, build: sdist_build(&pin.project_dir.join(path)) },
                    Err(error) => missing(error)?,
                };
                pinned.sources.insert(i, pinned_path);
            }
            Source::Git { url, reference, resolved_reference, subdirectory } => {
                gits.push((i, url, reference, resolved_reference, subdirectory));
            }
            Source::Url { url, .. } => urls.push((i, url)),
            Source::Registry { .. } => {}
        }
    }

    // Git: the hashes file, then the cache, then a clone (several at once).
    let work = |(i, url, reference, resolved, subdirectory): &(
        usize,
        &String,
        &Option<String>,
        &Option<String>,
        &Option<String>,
    )| {
        let package = &lock.packages[*i];
        git_facts(
            package,
            url,
            reference.as_deref(),
            resolved.as_deref(),
            subdirectory.as_deref(),
            options,
            cache.as_ref(),
            pin,
        )
        .map(|outcome| (*i, outcome))
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(options.jobs.clamp(1, 8)).build();
    let outcomes: Vec<(usize, GitOutcome)> = match pool {
        Ok(pool) => pool.install(|| gits.par_iter().map(work).collect::<Result<_, _>>())?,
        Err(_) => gits.iter().map(work).collect::<Result<_, _>>()?,
    };
    for (i, outcome) in outcomes {
        match outcome {
            GitOutcome::Pinned { key, facts, fetched } => {
                pinned.fetched += usize::from(fetched);
                let checkout = GitCheckout {
                    url: redact_url(&key.0),
                    rev: key.1.clone(),
                    hash: facts.hash.clone(),
                    submodules: facts.submodules,
                };
                pinned.sources.insert(i, PinnedSource::Git { checkout, build: Ok(facts.build()) });
                pinned.hashes.git.insert((redact_url(&key.0), key.1, key.2), facts);
            }
            GitOutcome::Unreachable(why) => {
                pinned.sources.insert(i, PinnedSource::Unreachable(why));
            }
        }
    }

    // Url files: the lock's sha256, else the hashes file or the cache, else a download.
    let mut to_download: Vec<(usize, String)> = Vec::new();
    for (i, url) in urls {
        let package = &lock.packages[i];
        let shown = redact_url(url);
        for file in &package.files {
            let sha256 = match &file.hash {
                Some(hash) if hash.algorithm == HashAlgorithm::Sha256 => Some(hash.hex.clone()),
                _ => pin.known.urls.get(&shown).cloned().or_else(|| cache.as_ref().and_then(|c| c.url_sha256(&shown))),
            };
            match sha256 {
                Some(hex) => {
                    if file.hash.as_ref().is_none_or(|h| h.algorithm != HashAlgorithm::Sha256) {
                        pinned.hashes.urls.insert(shown.clone(), hex.clone());
                    }
                    pinned.files.insert(
                        (package.name.clone(), file.filename.clone()),
                        FileLocation { url: shown.clone(), sha256_hex: hex },
                    );
                }
                None => to_download.push((i, url.clone())),
            }
        }
    }
    to_download.dedup();
    if !to_download.is_empty() {
        let work: Vec<(String, String)> =
            to_download.iter().map(|(i, url)| (lock.packages[*i].id(), url.clone())).collect();
        let hashed = download_hashes(&work, options)?;
        for ((i, url), outcome) in to_download.iter().zip(hashed) {
            let package = &lock.packages[*i];
            let shown = redact_url(url);
            match outcome {
                Ok(hex) => {
                    pinned.fetched += 1;
                    if let Some(cache) = &cache {
                        cache.store_url_sha256(&shown, &hex)?;
                    }
                    pinned.hashes.urls.insert(shown.clone(), hex.clone());
                    for file in &package.files {
                        pinned.files.insert(
                            (package.name.clone(), file.filename.clone()),
                            FileLocation { url: shown.clone(), sha256_hex: hex.clone() },
                        );
                    }
                }
                Err(message) if pin.allow_missing => {
                    pinned.sources.insert(*i, PinnedSource::Unreachable(format!("cannot download {shown}: {message}")));
                }
                Err(message) => {
                    return Err(FetchError::Unreachable { package: package.id(), url: shown, message });
                }
            }
        }
    }

    // Index files without any sha256: the same, keyed by the index's (credential-free) URL.
    let mut to_hash: Vec<(&(PackageName, String), &String)> = Vec::new();
    for (key, url) in unhashed {
        match pin.known.urls.get(url).cloned().or_else(|| cache.as_ref().and_then(|c| c.url_sha256(url))) {
            Some(hex) => {
                pinned.hashes.urls.insert(url.clone(), hex.clone());
                pinned.files.insert(key.clone(), FileLocation { url: url.clone(), sha256_hex: hex });
            }
            None => to_hash.push((key, url)),
        }
    }
    if !to_hash.is_empty() {
        let work: Vec<(String, String)> =
            to_hash.iter().map(|((name, file), url)| (format!("{name} ({file})"), (*url).clone())).collect();
        for (((key, url), (label, _)), outcome) in to_hash.iter().zip(&work).zip(download_hashes(&work, options)?) {
            match outcome {
                Ok(hex) => {
                    pinned.fetched += 1;
                    if let Some(cache) = &cache {
                        cache.store_url_sha256(url, &hex)?;
                    }
                    pinned.hashes.urls.insert((*url).clone(), hex.clone());
                    pinned.files.insert((*key).clone(), FileLocation { url: (*url).clone(), sha256_hex: hex });
                }
                // Left absent: the file then counts as not offered by the index.
                Err(_) if pin.allow_missing => {}
                Err(message) => {
                    return Err(FetchError::Unreachable { package: label.clone(), url: (*url).clone(), message });
                }
            }
        }
    }
    Ok(pinned)
}

/// A local folder or file of the lock, checked to exist, as the generated file names it.
fn local(package: &Package, path: &str, directory: bool, pin: &PinOptions) -> Result<LocalPath, FetchError> {
    let full: PathBuf = pin.project_dir.join(path);
    let exists = if directory { full.is_dir() } else { full.is_file() };
    if !exists {
        return Err(FetchError::PathMissing {
            package: package.id(),
            path: path.to_string(),
            kind: if directory { "folder" } else { "file" },
        });
    }
    Ok(LocalPath { path: (pin.relative)(&full), directory })
}

/// A local folder's build system, from its pyproject.toml or setup.py.
fn tree_build(package: &Package, folder: &Path) -> Result<BuildFacts, String> {
    let pyproject = std::fs::read_to_string(folder.join("pyproject.toml")).ok();
    let label = format!("{} (a folder)", package.name);
    infer::tree_build_system(&label, pyproject.as_deref(), folder.join("setup.py").is_file())
        .map(|found| BuildFacts::of(&found))
        .map_err(|e| e.to_string())
}

/// A local sdist's build system (`None` for a wheel, which needs none).
fn sdist_build(file: &Path) -> Option<Result<BuildFacts, String>> {
    let name = file.file_name()?.to_string_lossy().into_owned();
    if name.ends_with(".whl") {
        return None;
    }
    let read = std::fs::File::open(file)
        .map_err(|e| e.to_string())
        .and_then(|f| infer::sdist_build_system(&name, std::io::BufReader::new(f)).map_err(|e| e.to_string()));
    Some(read.map(|found| BuildFacts::of(&found)))
}

enum GitOutcome {
    Pinned { key: GitKey, facts: GitFacts, fetched: bool },
    Unreachable(String),
}

#[allow(clippy::too_many_arguments)]
fn git_facts(
    package: &Package,
    url: &str,
    reference: Option<&str>,
    resolved: Option<&str>,
    subdirectory: Option<&str>,
    options: &FetchOptions,
    cache: Option<&Cache>,
    pin: &PinOptions,
) -> Result<GitOutcome, FetchError> {
    let shown = redact_url(url);
    let unreachable = |message: String| -> Result<GitOutcome, FetchError> {
        if pin.allow_missing {
            Ok(GitOutcome::Unreachable(format!("cannot fetch {shown}: {message}")))
        } else {
            Err(FetchError::Unreachable { package: package.id(), url: shown.clone(), message })
        }
    };
    let rev = match resolved.filter(|r| is_commit(r)) {
        Some(rev) => rev.to_string(),
        None if options.offline => {
            return unreachable(format!(
                "the lock names `{}` but no commit, and --offline forbids asking the remote",
                reference.or(resolved).unwrap_or("HEAD")
            ));
        }
        None => match git::resolve_reference(url, reference.or(resolved).unwrap_or("HEAD")) {
            Ok(rev) => rev,
            Err(e) => return unreachable(e.to_string()),
        },
    };
    let key: GitKey = (shown.clone(), rev.clone(), subdirectory.map(str::to_string));
    if let Some(facts) = pin.known.git.get(&key).cloned().or_else(|| cache.and_then(|c| c.git_facts(&key))) {
        return Ok(GitOutcome::Pinned { key, facts, fetched: false });
    }
    if options.offline {
        return unreachable("--offline, and neither --hashes nor the cache knows this commit".to_string());
    }
    let work_dir = options.cache_dir.clone().unwrap_or_else(std::env::temp_dir);
    let _ = std::fs::create_dir_all(&work_dir);
    let tree = match git::prefetch(url, &rev, subdirectory, &work_dir) {
        Ok(tree) => tree,
        Err(e) => return unreachable(e.to_string()),
    };
    let label = format!("{} ({shown} at {})", package.name, &rev[..rev.len().min(12)]);
    let build = infer::tree_build_system(&label, tree.pyproject.as_deref(), tree.setup_py)
        .map(|found| BuildFacts::of(&found))
        .unwrap_or_else(|_| BuildFacts::of(&infer::tree_build_system(&label, None, true).expect("setup.py defaults")));
    let facts = GitFacts {
        hash: tree.hash,
        submodules: tree.submodules,
        build_backend: build.backend,
        build_requires: build.requires,
        build_source: build.source,
    };
    if let Some(cache) = cache {
        cache.store_git_facts(&key, &facts)?;
    }
    Ok(GitOutcome::Pinned { key, facts, fetched: true })
}

fn is_commit(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Downloads each `(label, url)` and hashes it: sha256 hex, or why it could not be had.
fn download_hashes(
    work: &[(String, String)],
    options: &FetchOptions,
) -> Result<Vec<Result<String, String>>, FetchError> {
    if options.offline {
        let missing: Vec<String> = work.iter().map(|(label, url)| format!("{label}: {}", redact_url(url))).collect();
        return Err(FetchError::Offline { missing });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchError::Runtime { message: e.to_string() })?;
    let client = Client::new(options).map_err(|message| FetchError::Runtime { message })?;
    let bar = progress_bar(options.progress, None, "{spinner} downloading {bytes} {wide_msg}");
    // Downloads go to a temporary file in the cache folder when there is one.
    let temp_dir = options.cache_dir.clone().filter(|dir| std::fs::create_dir_all(dir).is_ok());
    let outcome = runtime.block_on(async {
        let mut results = Vec::with_capacity(work.len());
        for (_, url) in work {
            let result = match Url::parse(url) {
                Ok(parsed) => client
                    .get_file(&parsed, std::time::Duration::from_secs(30 * 60), None, temp_dir.as_deref(), &bar)
                    .await
                    .map(|download| download.sha256.iter().map(|b| format!("{b:02x}")).collect::<String>())
                    .map_err(|e: GetError| e.to_string()),
                Err(e) => Err(format!("not a URL: {e}")),
            };
            results.push(result);
        }
        results
    });
    bar.finish_and_clear();
    Ok(outcome)
}
