//! The `--hashes` file: what lock2nix computed for sources whose lock records no hash (git
//! checkouts, url files without one), kept beside the lock so that a regeneration without
//! network gives the same file. Read once, extended with what a run computed, written sorted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::inference::BuildFacts;

/// A git checkout's facts: `(url, rev, subdirectory)` → [`GitFacts`].
pub(crate) type GitKey = (String, String, Option<String>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct GitFacts {
    /// SRI `sha256-…` of the tree as nixpkgs' fetchgit stores it.
    pub hash: String,
    pub submodules: bool,
    /// The build system of the project in the checkout (at `subdirectory`).
    pub build_backend: String,
    pub build_requires: Vec<String>,
    /// Where the build system was read (`pyproject.toml [build-system]`, …).
    pub build_source: String,
    /// Why the build system could not be read; then the fields above say nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_error: Option<String>,
}

impl GitFacts {
    pub(crate) fn new(hash: String, submodules: bool, build: Result<BuildFacts, String>) -> Self {
        let (facts, build_error) = match build {
            Ok(facts) => (facts, None),
            Err(why) => (BuildFacts { requires: Vec::new(), backend: String::new(), source: String::new() }, Some(why)),
        };
        Self {
            hash,
            submodules,
            build_backend: facts.backend,
            build_requires: facts.requires,
            build_source: facts.source,
            build_error,
        }
    }

    /// The build system of the checkout, or why it could not be read.
    pub(crate) fn build(&self) -> Result<BuildFacts, String> {
        match &self.build_error {
            Some(why) => Err(why.clone()),
            None => Ok(BuildFacts {
                requires: self.build_requires.clone(),
                backend: self.build_backend.clone(),
                source: self.build_source.clone(),
            }),
        }
    }
}

/// Everything the file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Hashes {
    pub git: BTreeMap<GitKey, GitFacts>,
    /// URL (without credentials) → sha256 hex.
    pub urls: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashesError {
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a lock2nix hashes file", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: crate::toml_error::TomlError,
    },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    git: Vec<GitEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    url: Vec<UrlEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct GitEntry {
    url: String,
    rev: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    subdirectory: Option<String>,
    #[serde(flatten)]
    facts: GitFacts,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UrlEntry {
    url: String,
    sha256: String,
}

const HEADER: &str = "# Hashes lock2nix computed for sources the lock records none for (git checkouts, files by\n\
# URL), so that regenerating needs no access to those remotes. Keep it beside the lock and\n\
# commit it; `lock2nix --hashes FILE` reads it and adds what it computes.\n";

impl Hashes {
    /// Reads `path`; a file that does not exist yet is empty.
    pub(crate) fn read(path: &Path) -> Result<Self, HashesError> {
        let text = match super::witness::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => return Err(HashesError::Read { path: path.to_path_buf(), source }),
        };
        Self::parse(&text).map_err(|source| HashesError::Parse { path: path.to_path_buf(), source })
    }

    pub(crate) fn parse(text: &str) -> Result<Self, crate::toml_error::TomlError> {
        let file: File = crate::toml_error::from_str(text)?;
        Ok(Self {
            git: file.git.into_iter().map(|e| ((e.url, e.rev, e.subdirectory), e.facts)).collect(),
            urls: file.url.into_iter().map(|e| (e.url, e.sha256)).collect(),
        })
    }

    /// The file's text: a comment, then the entries sorted by key.
    pub(crate) fn to_text(&self) -> String {
        let file = File {
            git: self
                .git
                .iter()
                .map(|((url, rev, subdirectory), facts)| GitEntry {
                    url: url.clone(),
                    rev: rev.clone(),
                    subdirectory: subdirectory.clone(),
                    facts: facts.clone(),
                })
                .collect(),
            url: self.urls.iter().map(|(url, sha256)| UrlEntry { url: url.clone(), sha256: sha256.clone() }).collect(),
        };
        format!("{HEADER}\n{}", toml::to_string(&file).expect("plain data serializes"))
    }

    /// Writes the file atomically, unless it would not change.
    pub(crate) fn write(&self, path: &Path) -> Result<(), HashesError> {
        let text = self.to_text();
        if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
            return Ok(());
        }
        let error = |source| HashesError::Write { path: path.to_path_buf(), source };
        super::pending::write_atomically(path, text.as_bytes(), super::pending::PUBLIC).map_err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_round_trips_sorted() {
        let mut hashes = Hashes::default();
        let facts = GitFacts::new(
            "sha256-AAAA".into(),
            true,
            Ok(BuildFacts {
                requires: vec!["poetry-core".into()],
                backend: "poetry.core.masonry.api".into(),
                source: "pyproject.toml [build-system]".into(),
            }),
        );
        hashes.git.insert(("https://b.example/r.git".into(), "2".repeat(40), Some("pkg".into())), facts.clone());
        hashes.git.insert(("https://a.example/r.git".into(), "1".repeat(40), None), facts);
        let unreadable = GitFacts::new("sha256-BBBB".into(), false, Err("pyproject.toml: invalid TOML".into()));
        hashes.git.insert(("https://c.example/r.git".into(), "3".repeat(40), None), unreadable);
        hashes.urls.insert("https://z.example/z-1.0.tar.gz".into(), "f".repeat(64));
        hashes.urls.insert("https://a.example/a-1.0.tar.gz".into(), "0".repeat(64));
        let text = hashes.to_text();
        assert!(text.starts_with("# Hashes lock2nix computed"));
        assert!(text.find("a.example/r.git").unwrap() < text.find("b.example/r.git").unwrap(), "{text}");
        assert!(text.find("a-1.0").unwrap() < text.find("z-1.0").unwrap(), "{text}");
        assert_eq!(Hashes::parse(&text).unwrap(), hashes);
    }

    #[test]
    fn unknown_keys_and_missing_files() {
        let err = Hashes::parse("[[url]]\nurl = \"u\"\nsha256 = \"x\"\nmd5 = \"y\"\n").unwrap_err().to_string();
        assert!(err.contains("md5"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Hashes::read(&dir.path().join("absent.toml")).unwrap(), Hashes::default());
    }
}
