//! Pinning the sources that are not index files: a local folder or file becomes a path
//! relative to the generated file, a git reference a commit with the hash of its checkout, a
//! url file its sha256. What had to be computed comes from the `--hashes` file or the cache
//! when they know it, else from the remote, and is handed back for the `--hashes` file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use rayon::prelude::*;
use url::Url;

use super::cache::Cache;
use super::client::Client;
use super::git;
use super::hashes::{GitFacts, GitKey, Hashes};
use super::reporter::Task;
use super::{FetchError, FetchOptions, FileLocation, TransferCause, UnreachableCause, witness};
use crate::filename::DistFilename;
use crate::infer;
use crate::inference::BuildFacts;
use crate::model::{Lock, Package, Sha256, Source};
use crate::name::PackageName;
use crate::plan::{GitCheckout, LocalPath, PinnedSource};
use crate::project::EditableLayout;
use crate::safe_url::DisplaySafeUrl;

/// Where the lock's paths start, and how the generated file names a path.
pub(crate) struct PinOptions<'a> {
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
pub(crate) struct Pinned {
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
pub(crate) fn pin(
    lock: &Lock,
    packages: &[usize],
    unhashed: &BTreeMap<(PackageName, String), DisplaySafeUrl>,
    options: &FetchOptions,
    pin: &PinOptions,
) -> Result<Pinned, FetchError> {
    let ctx = Context { options, pin, cache: options.cache_dir.as_deref().map(Cache::new) };
    let mut pinned = Pinned::default();
    let mut gits = Vec::new();
    let mut files = Vec::new();
    for &i in packages {
        let package = &lock.packages[i];
        match &package.source {
            Source::Directory { path, .. } => {
                let folder = pin.project_dir.join(path);
                let local = local(package, path, true, pin).map(|found| {
                    let pyproject = witness::read_to_string(&folder.join("pyproject.toml")).ok();
                    PinnedSource::Path {
                        path: found,
                        build: Some(tree_build(package, &folder, pyproject.as_deref())),
                        layout: Some(EditableLayout::of_folder(&folder, pyproject.as_deref())),
                        requires_dist: Some(
                            pyproject
                                .as_deref()
                                .ok_or_else(|| "the folder has no pyproject.toml".to_string())
                                .and_then(infer::metadata::pyproject_requires_dist),
                        ),
                    }
                });
                pinned.sources.insert(i, ctx.tolerate(local)?);
            }
            Source::File { path } => {
                let local = local(package, path, false, pin).map(|found| PinnedSource::Path {
                    path: found,
                    build: sdist_build(&pin.project_dir.join(path)),
                    layout: None,
                    requires_dist: None,
                });
                pinned.sources.insert(i, ctx.tolerate(local)?);
            }
            // A local registry: the folder, and each locked file in it.
            Source::Folder { path } => {
                let found = local(package, path, true, pin).and_then(|folder| {
                    for file in &package.files {
                        local(package, &format!("{path}/{}", file.filename), false, pin)?;
                    }
                    Ok(PinnedSource::Path { path: folder, build: None, layout: None, requires_dist: None })
                });
                pinned.sources.insert(i, ctx.tolerate(found)?);
            }
            Source::Git { .. } => gits.push(i),
            Source::Url { url, .. } => files.extend(package.files.iter().map(|file| UrlFile {
                key: (package.name.clone(), file.filename.clone()),
                url: url.clone(),
                lock_sha256: file.sha256(),
                label: package.id(),
                package: Some(i),
            })),
            Source::Registry { .. } => {}
        }
    }
    // Index files the index and the lock give no sha256 for.
    files.extend(unhashed.iter().map(|(key, url)| UrlFile {
        key: key.clone(),
        url: url.clone(),
        lock_sha256: None,
        label: format!("{} ({})", key.0, key.1),
        package: None,
    }));

    // Git checkouts that --hashes or the cache knows need no git process; the others run
    // several at once, on a pool no larger than they need (each thread costs the allocator
    // its own pages).
    let mut outcomes: Vec<(usize, GitPin)> = Vec::new();
    let mut remote = Vec::new();
    for i in gits {
        match ctx.known_git(&lock.packages[i]) {
            Some((key, facts)) => outcomes.push((i, GitPin::Pinned { key, facts, cloned: false })),
            None => remote.push(i),
        }
    }
    let work = |&i: &usize| ctx.git(&lock.packages[i]).map(|outcome| (i, outcome));
    let threads = options.jobs.clamp(1, 8).min(remote.len());
    let pool = (threads > 1).then(|| rayon::ThreadPoolBuilder::new().num_threads(threads).build());
    match pool {
        Some(Ok(pool)) => outcomes.extend(pool.install(|| remote.par_iter().map(work).collect::<Result<Vec<_>, _>>())?),
        _ => outcomes.extend(remote.iter().map(work).collect::<Result<Vec<_>, _>>()?),
    }
    for (i, outcome) in outcomes {
        match outcome {
            GitPin::Pinned { key, facts, cloned } => {
                pinned.fetched += usize::from(cloned);
                let checkout = GitCheckout {
                    url: key.0.clone(),
                    rev: key.1.clone(),
                    hash: facts.hash.clone(),
                    submodules: facts.submodules,
                };
                pinned.sources.insert(i, PinnedSource::Git { checkout, build: facts.build() });
                pinned.hashes.git.insert(key, facts);
            }
            GitPin::Unreachable(source) => {
                pinned.sources.insert(i, source);
            }
        }
    }
    ctx.hash_files(files, &mut pinned)?;
    Ok(pinned)
}

/// A file to be located by URL: a `url` source's, or an index file without any sha256.
struct UrlFile {
    key: (PackageName, String),
    /// May carry credentials.
    url: DisplaySafeUrl,
    lock_sha256: Option<Sha256>,
    /// What messages name it by.
    label: String,
    /// The lock package a `url` source file belongs to (it throws when the URL is unreachable
    /// under `--allow-missing`); an index file is left absent instead.
    package: Option<usize>,
}

/// What became of a git package.
enum GitPin {
    /// `cloned` says whether the remote was asked (else `--hashes` or the cache knew it).
    Pinned { key: GitKey, facts: GitFacts, cloned: bool },
    /// The remote cannot be reached and `--allow-missing` lets the package throw.
    Unreachable(PinnedSource),
}

struct Context<'a> {
    options: &'a FetchOptions,
    pin: &'a PinOptions<'a>,
    cache: Option<Cache>,
}

impl Context<'_> {
    /// A local path that is not there stops the run, unless --allow-missing makes it throw.
    fn tolerate(&self, local: Result<PinnedSource, FetchError>) -> Result<PinnedSource, FetchError> {
        match local {
            Err(error @ FetchError::PathMissing { .. }) if self.pin.allow_missing => {
                let FetchError::PathMissing { path, .. } = &error else { unreachable!() };
                let message = format!(
                    "the lock's path `{path}` was not there when this file was generated (--allow-missing); restore it (paths are relative to the project's folder) and regenerate"
                );
                Ok(PinnedSource::Unreachable { message, detail: error.to_string() })
            }
            other => other,
        }
    }

    /// The sha256 the `--hashes` file or the cache knows for `url` (credential-free); one that
    /// does not read as a sha256 is not known.
    fn known_sha256(&self, url: &str) -> Option<Sha256> {
        let known =
            self.pin.known.urls.get(url).cloned().or_else(|| self.cache.as_ref().and_then(|c| c.url_sha256(url)));
        known.as_deref().and_then(Sha256::from_hex)
    }

    /// Locates every file: the lock's sha256, else the hashes file or the cache, else a
    /// download. What was not in the lock is recorded for the `--hashes` file.
    fn hash_files(&self, files: Vec<UrlFile>, pinned: &mut Pinned) -> Result<(), FetchError> {
        let mut to_download: Vec<UrlFile> = Vec::new();
        for file in files {
            let shown = file.url.redacted();
            let sha256 = match file.lock_sha256 {
                Some(sha256) => sha256,
                None => {
                    if let Some(sha256) = self.known_sha256(&shown) {
                        pinned.hashes.urls.insert(shown.clone(), sha256.hex());
                        sha256
                    } else {
                        to_download.push(file);
                        continue;
                    }
                }
            };
            pinned.files.insert(file.key, FileLocation { url: shown, sha256: Some(sha256) });
        }
        if to_download.is_empty() {
            return Ok(());
        }
        let work: Vec<(String, DisplaySafeUrl)> =
            to_download.iter().map(|f| (f.label.clone(), f.url.clone())).collect();
        let outcomes = if self.options.offline {
            work.iter().map(|_| Err(UnreachableCause::HashUnknownOffline)).collect()
        } else {
            download_hashes(&work, self.options)?
        };
        for (file, outcome) in to_download.into_iter().zip(outcomes) {
            let shown = file.url.redacted();
            match outcome {
                Ok(hex) => {
                    pinned.fetched += 1;
                    if let Some(cache) = &self.cache {
                        cache.store_url_sha256(&shown, &hex)?;
                    }
                    pinned.hashes.urls.insert(shown.clone(), hex.clone());
                    pinned.files.insert(file.key, FileLocation { url: shown, sha256: Sha256::from_hex(&hex) });
                }
                Err(cause) if self.pin.allow_missing => {
                    if let Some(i) = file.package {
                        let detail = format!("cannot download {shown}: {}", crate::report::with_causes(&cause));
                        pinned.sources.insert(i, unreachable_remote(&shown, detail));
                    }
                    // An index file left absent counts as not offered by the index.
                }
                Err(source) => return Err(FetchError::Unreachable { package: file.label, url: shown, source }),
            }
        }
        Ok(())
    }

    /// What --hashes or the cache knows of a git package whose lock names its commit: `git`
    /// then runs no git process.
    fn known_git(&self, package: &Package) -> Option<(GitKey, GitFacts)> {
        let Source::Git { url, resolved_reference, subdirectory, .. } = &package.source else { return None };
        let rev = resolved_reference.as_deref().filter(|r| git::is_full_commit(r))?;
        if git::is_local_url(url.expose()) {
            return None;
        }
        let key: GitKey = (url.redacted(), rev.to_string(), subdirectory.clone());
        let facts = self.known_git_facts(&key)?;
        Some((key, facts))
    }

    /// The facts of a checkout that --hashes records, else that the cache holds.
    fn known_git_facts(&self, key: &GitKey) -> Option<GitFacts> {
        self.pin.known.git.get(key).cloned().or_else(|| self.cache.as_ref().and_then(|c| c.git_facts(key)))
    }

    /// A git package's checkout that [`Self::known_git`] did not answer: from `--hashes` or
    /// the cache once its branch or tag is resolved to a commit, else from a clone.
    fn git(&self, package: &Package) -> Result<GitPin, FetchError> {
        let Source::Git { url, reference, resolved_reference, subdirectory } = &package.source else {
            unreachable!("only git packages are pinned here")
        };
        let shown = url.redacted();
        let url = url.expose();
        // A build cannot fetch from this machine, and the file would hold its path.
        if git::is_local_url(url) {
            return Err(FetchError::LocalGit { package: package.id(), url: shown });
        }
        let unreachable = |cause: UnreachableCause| {
            if self.pin.allow_missing {
                let detail = format!("cannot fetch {shown}: {}", crate::report::with_causes(&cause));
                Ok(GitPin::Unreachable(unreachable_remote(&shown, detail)))
            } else {
                Err(FetchError::Unreachable { package: package.id(), url: shown.clone(), source: cause })
            }
        };
        let named = reference.as_deref().or(resolved_reference.as_deref()).unwrap_or("HEAD");
        // A commit the lock names was looked up in --hashes and the cache already
        // (`known_git`); one resolved from a branch or tag is looked up here.
        let (rev, resolved) = match resolved_reference.as_deref().filter(|r| git::is_full_commit(r)) {
            Some(rev) => (rev.to_string(), false),
            None if self.options.offline => return unreachable(UnreachableCause::NoCommitOffline(named.to_owned())),
            None => match git::resolve_reference(url, named) {
                Ok(rev) => (rev, true),
                Err(e) => return unreachable(UnreachableCause::Git(Box::new(e))),
            },
        };
        let key: GitKey = (shown.clone(), rev.clone(), subdirectory.clone());
        if resolved && let Some(facts) = self.known_git_facts(&key) {
            return Ok(GitPin::Pinned { key, facts, cloned: false });
        }
        if self.options.offline {
            return unreachable(UnreachableCause::CommitUnknownOffline);
        }
        // The system's temporary folder (private to the user), not the cache: the clone's
        // configuration holds the URL, credentials included, until it is removed.
        let tree = match git::prefetch(url, &rev, subdirectory.as_deref(), &std::env::temp_dir()) {
            Ok(tree) => tree,
            Err(e) => return unreachable(UnreachableCause::Git(Box::new(e))),
        };
        let label = format!("{} ({shown} at {})", package.name, &rev[..rev.len().min(12)]);
        let build = BuildFacts::of_tree(&label, tree.pyproject.as_deref(), tree.setup_py);
        let facts = GitFacts::new(tree.hash, tree.submodules, build);
        if let Some(cache) = &self.cache {
            cache.store_git_facts(&key, &facts)?;
        }
        Ok(GitPin::Pinned { key, facts, cloned: true })
    }
}

/// A remote (`url`, credential-free) that could not be reached, with `--allow-missing`: the
/// generated file says the same on every machine; `detail` is for this run's warning.
fn unreachable_remote(url: &str, detail: String) -> PinnedSource {
    let message = format!(
        "{url} could not be fetched when this file was generated (--allow-missing); make it reachable, or record its hash in a --hashes FILE from a machine that reaches it, and regenerate"
    );
    PinnedSource::Unreachable { message, detail }
}

/// A local folder or file of the lock, checked to exist, as the generated file names it.
fn local(package: &Package, path: &str, directory: bool, pin: &PinOptions) -> Result<LocalPath, FetchError> {
    let full: PathBuf = pin.project_dir.join(path);
    let exists = if directory { witness::is_dir(&full) } else { witness::is_file(&full) };
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
fn tree_build(package: &Package, folder: &Path, pyproject: Option<&str>) -> Result<BuildFacts, String> {
    let label = format!("{} (a folder)", package.name);
    BuildFacts::of_tree(&label, pyproject, witness::is_file(&folder.join("setup.py")))
}

/// A local sdist's build system (`None` for a wheel, which needs none).
fn sdist_build(file: &Path) -> Option<Result<BuildFacts, String>> {
    let name = file.file_name()?.to_string_lossy().into_owned();
    if DistFilename::is_wheel_name(&name) {
        return None;
    }
    witness::witness_file(file);
    let read = std::fs::File::open(file)
        .map_err(|e| e.to_string())
        .and_then(|f| infer::sdist_build_system(&name, std::io::BufReader::new(f)).map_err(|e| e.to_string()));
    Some(read.map(|found| BuildFacts::of(&found)))
}

/// Downloads each `(label, url)` and hashes it: sha256 hex, or why it could not be had.
fn download_hashes(
    work: &[(String, DisplaySafeUrl)],
    options: &FetchOptions,
) -> Result<Vec<Result<String, UnreachableCause>>, FetchError> {
    if options.offline {
        let missing: Vec<String> = work.iter().map(|(label, url)| format!("{label}: {url}")).collect();
        return Err(FetchError::Offline { pages: BTreeMap::new(), missing });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(FetchError::Runtime)?;
    let client = Client::new(options).map_err(FetchError::HttpClient)?;
    let progress = options.reporter.start(Task::Downloads, Some(work.len() as u64));
    // Downloads go to a temporary file in the cache folder when there is one.
    let temp_dir = options.cache_dir.clone().filter(|dir| std::fs::create_dir_all(dir).is_ok());
    // A few at once, in order: files can be large, unlike index pages.
    let downloads = work.iter().map(|(label, url)| {
        let (client, progress, temp_dir) = (&client, &progress, temp_dir.as_deref());
        async move {
            let parsed = Url::parse(url.expose()).map_err(|e| UnreachableCause::from(TransferCause::Url(e)))?;
            client
                .get_file(&parsed, std::time::Duration::from_mins(30), None, temp_dir, progress)
                .await
                .map(|download| {
                    progress.step(label);
                    super::hex(&download.sha256)
                })
                .map_err(|e| UnreachableCause::from(TransferCause::Download(e)))
        }
    });
    let outcome: Vec<Result<String, UnreachableCause>> =
        runtime.block_on(futures_util::stream::iter(downloads).buffered(options.jobs.clamp(1, 4)).collect());
    drop(progress);
    Ok(outcome)
}
