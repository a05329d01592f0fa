//! The disk cache: per (index, project) one JSON file mapping each file name lock2nix asked
//! about to its location, or `null` when the index does not list it. Artifacts are
//! immutable, so entries never expire.

use std::collections::BTreeMap;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::hashes::{GitFacts, GitKey};
use super::simple::IndexFile;
use super::{CacheCause, FetchError};
use crate::model::HashAlgorithm;
use crate::name::PackageName;

/// Bumped when the file layout changes, so old caches are ignored rather than misread.
const LAYOUT: &str = "simple-v1";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct ProjectCache {
    /// The index URL without credentials, for people reading the cache.
    pub index: String,
    pub project: String,
    pub files: BTreeMap<String, Option<CachedFile>>,
    /// Version → the names of all its files on the index, for versions whose files a lock
    /// does not name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub versions: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct CachedFile {
    pub url: String,
    /// Algorithm name → lower-case hex, as the index listed them.
    pub hashes: BTreeMap<String, String>,
}

impl ProjectCache {
    /// Nothing known yet of `project` on `index`.
    pub(super) fn empty(index: &str, project: &PackageName) -> Self {
        Self {
            index: index.to_string(),
            project: project.to_string(),
            files: BTreeMap::new(),
            versions: BTreeMap::new(),
        }
    }
}

impl CachedFile {
    pub(super) fn from_index(file: &IndexFile) -> Self {
        let hashes = file.hashes.iter().map(|(a, h)| (a.as_str().to_string(), h.clone())).collect();
        Self { url: file.url.clone(), hashes }
    }

    pub(super) fn to_index(&self, filename: &str) -> IndexFile {
        let hashes =
            self.hashes.iter().filter_map(|(a, h)| Some((HashAlgorithm::parse(a)?, h.to_ascii_lowercase()))).collect();
        IndexFile { filename: filename.to_string(), url: self.url.clone(), hashes }
    }
}

pub(crate) struct Cache {
    root: PathBuf,
    dirs: std::sync::Mutex<std::collections::HashMap<String, PathBuf>>,
}

impl Cache {
    pub(super) fn new(cache_dir: &Path) -> Self {
        Self { root: cache_dir.join(LAYOUT), dirs: std::sync::Mutex::default() }
    }

    /// `<root>/located/<hash of the lock's absolute path>.tsv`: what the last run of that lock
    /// located (`fetch::remembered`).
    pub(super) fn remembered_path(&self, lock: &Path) -> PathBuf {
        let lock = std::path::absolute(lock).unwrap_or_else(|_| lock.to_path_buf());
        let digest = Sha256::digest(lock.as_os_str().as_encoded_bytes());
        self.root.join("located").join(format!("{}.tsv", super::hex(&digest[..16])))
    }

    /// `<root>/<host>-<hash of index URL>/<project>.json`; `index` must be credential-free.
    pub(super) fn path(&self, index: &str, project: &PackageName) -> PathBuf {
        // Normalized names are `[a-z0-9-]`, safe as file names.
        self.index_dir(index).join(format!("{project}.json"))
    }

    /// `<root>/<host>-<hash of index URL>`, computed once per index.
    fn index_dir(&self, index: &str) -> PathBuf {
        let mut dirs = self.dirs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(dir) = dirs.get(index) {
            return dir.clone();
        }
        let host = url::Url::parse(index).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
        let host: String = host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' }).collect();
        let digest = Sha256::digest(index.as_bytes());
        let key = super::hex(&digest[..8]);
        let dir = self.root.join(format!("{host}-{key}"));
        dirs.insert(index.to_string(), dir.clone());
        dir
    }

    /// The cached entries; a missing or unreadable file is an empty cache (it is refetched).
    pub(super) fn load(&self, index: &str, project: &PackageName) -> ProjectCache {
        let empty = || ProjectCache::empty(index, project);
        let Ok(text) = std::fs::read(self.path(index, project)) else { return empty() };
        match serde_json::from_slice::<ProjectCache>(&text) {
            Ok(cache) if cache.index == index && cache.project == project.to_string() => cache,
            _ => empty(),
        }
    }

    /// Writes atomically (temporary file + rename) so a crash never leaves half a file.
    /// Writes `cache` for `project`, merged with what is on disk now: other lock2nix runs may
    /// share the folder and have stored other files of the same project since this run loaded
    /// it. Entries of `cache` win (they are fresher). Under an exclusive lock on the index
    /// folder's `.lock` file, so that two runs cannot drop each other's entries; the file itself
    /// is replaced atomically, so readers never see half of it.
    pub(super) fn store(&self, project: &PackageName, cache: &ProjectCache) -> Result<(), FetchError> {
        let path = self.path(&cache.index, project);
        let dir = path.parent().expect("cache paths have a parent");
        let fail = |source: CacheCause| FetchError::Cache { path: path.clone(), source };
        std::fs::create_dir_all(dir).map_err(|e| fail(e.into()))?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(".lock"))
            .map_err(|e| fail(e.into()))?;
        fs4::FileExt::lock(&lock).map_err(|e| fail(CacheCause::Lock(e)))?;
        let mut merged = self.load(&cache.index, project);
        merged.files.extend(cache.files.iter().map(|(name, file)| (name.clone(), file.clone())));
        merged.versions.extend(cache.versions.iter().map(|(version, names)| (version.clone(), names.clone())));
        let mut text = serde_json::to_vec(&merged).map_err(|e| fail(e.into()))?;
        text.push(b'\n');
        write_private(&path, &text).map_err(|e| fail(e.into()))?;
        // Dropping `lock` releases the lock.
        Ok(())
    }
}

/// Facts about non-index sources, one small file per source under `<root>/sources/`, named by
/// the sha256 of its key (credential-free URL, commit, subdirectory).
impl Cache {
    fn source_path(&self, kind: &str, key: &str) -> PathBuf {
        let digest = Sha256::digest(key.as_bytes());
        let name = super::hex(&digest[..16]);
        self.root.join("sources").join(format!("{kind}-{name}.json"))
    }

    fn git_key(key: &GitKey) -> String {
        format!("{}\n{}\n{}", key.0, key.1, key.2.as_deref().unwrap_or(""))
    }

    pub(super) fn git_facts(&self, key: &GitKey) -> Option<GitFacts> {
        let text = std::fs::read(self.source_path("git", &Self::git_key(key))).ok()?;
        let (stored, facts): (String, GitFacts) = serde_json::from_slice(&text).ok()?;
        (stored == Self::git_key(key)).then_some(facts)
    }

    pub(super) fn store_git_facts(&self, key: &GitKey, facts: &GitFacts) -> Result<(), FetchError> {
        Self::store_source(&self.source_path("git", &Self::git_key(key)), &(Self::git_key(key), facts))
    }

    /// The sha256 hex of the file at `url` (credential-free).
    pub(super) fn url_sha256(&self, url: &str) -> Option<String> {
        let text = std::fs::read(self.source_path("url", url)).ok()?;
        let (stored, hex): (String, String) = serde_json::from_slice(&text).ok()?;
        (stored == url).then_some(hex)
    }

    pub(super) fn store_url_sha256(&self, url: &str, hex: &str) -> Result<(), FetchError> {
        Self::store_source(&self.source_path("url", url), &(url, hex))
    }

    /// Written atomically; the key is stored too, so a digest collision reads as absent.
    fn store_source(path: &Path, value: &impl serde::Serialize) -> Result<(), FetchError> {
        let fail = |source: CacheCause| FetchError::Cache { path: path.to_path_buf(), source };
        let text = serde_json::to_vec(value).map_err(|e| fail(e.into()))?;
        write_private(path, &text).map_err(|e| fail(e.into()))
    }
}

/// A cache file: written atomically, readable by this user only.
pub(super) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    super::pending::write_atomically(path, bytes, super::pending::PRIVATE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_facts_round_trip_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let key: GitKey = ("https://git.example/r.git".into(), "a".repeat(40), Some("pkg".into()));
        assert_eq!(cache.git_facts(&key), None);
        let facts = GitFacts::new("sha256-x".into(), false, Err("unreadable".into()));
        cache.store_git_facts(&key, &facts).unwrap();
        assert_eq!(cache.git_facts(&key), Some(facts));
        assert_eq!(cache.git_facts(&(key.0.clone(), key.1.clone(), None)), None);
        cache.store_url_sha256("https://f.example/a.whl", "ab").unwrap();
        assert_eq!(cache.url_sha256("https://f.example/a.whl").as_deref(), Some("ab"));
        assert_eq!(cache.url_sha256("https://f.example/b.whl"), None);
    }

    fn six() -> PackageName {
        PackageName::from_owned("six".to_string()).unwrap()
    }

    #[test]
    fn round_trips_and_keeps_indexes_apart() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let index = "https://index.example/simple/";
        assert!(cache.load(index, &six()).files.is_empty());
        let mut entry = cache.load(index, &six());
        let file = IndexFile {
            filename: "six-1.0.tar.gz".into(),
            url: "https://files.example/six-1.0.tar.gz".into(),
            hashes: [(HashAlgorithm::Sha256, "ab".repeat(32))].into(),
        };
        entry.files.insert(file.filename.clone(), Some(CachedFile::from_index(&file)));
        entry.files.insert("six-1.0.zip".into(), None);
        cache.store(&six(), &entry).unwrap();
        let loaded = cache.load(index, &six());
        assert_eq!(loaded, entry);
        assert_eq!(loaded.files["six-1.0.tar.gz"].as_ref().unwrap().to_index("six-1.0.tar.gz"), file);
        assert!(cache.load("https://other.example/simple/", &six()).files.is_empty());
        assert_ne!(cache.path(index, &six()), cache.path("https://other.example/simple/", &six()));
    }

    #[test]
    fn corrupt_files_read_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let path = cache.path("https://index.example/simple/", &six());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{not json").unwrap();
        assert!(cache.load("https://index.example/simple/", &six()).files.is_empty());
    }

    #[test]
    fn runs_sharing_the_folder_keep_each_others_entries() {
        let dir = tempfile::tempdir().unwrap();
        let index = "https://index.example/simple/";
        let (first, second) = (Cache::new(dir.path()), Cache::new(dir.path()));
        // Both runs load the (empty) entry before either stores.
        let mut a = first.load(index, &six());
        let mut b = second.load(index, &six());
        a.files.insert("six-1.0.tar.gz".into(), None);
        b.files.insert("six-2.0.tar.gz".into(), None);
        first.store(&six(), &a).unwrap();
        second.store(&six(), &b).unwrap();
        let files: Vec<String> = Cache::new(dir.path()).load(index, &six()).files.into_keys().collect();
        assert_eq!(files, ["six-1.0.tar.gz", "six-2.0.tar.gz"]);
    }
}
