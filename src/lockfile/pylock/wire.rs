//! pylock.toml (PEP 751, lock-version 1.x) as written; unused keys (`upload-time`, `size`,
//! `attestation-identities`, `[tool]`) are ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawLock {
    pub lock_version: String,
    pub requires_python: Option<String>,
    #[serde(default)]
    pub extras: Vec<String>,
    #[serde(default)]
    pub dependency_groups: Vec<String>,
    #[serde(default)]
    pub default_groups: Vec<String>,
    pub created_by: Option<String>,
    #[serde(default)]
    pub packages: Vec<RawPackage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawPackage {
    pub name: String,
    pub version: Option<String>,
    pub marker: Option<String>,
    pub requires_python: Option<String>,
    /// PEP 751 tables naming locked packages, or (as pdm writes them) requirement strings.
    #[serde(default)]
    pub dependencies: Vec<RawDependency>,
    /// The index the files come from (informational).
    pub index: Option<String>,
    pub vcs: Option<RawVcs>,
    pub directory: Option<RawDirectory>,
    pub archive: Option<RawFile>,
    pub sdist: Option<RawFile>,
    #[serde(default)]
    pub wheels: Vec<RawFile>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawDependency {
    Requirement(String),
    Table { name: String, version: Option<String> },
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawVcs {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: Option<String>,
    pub path: Option<String>,
    pub requested_revision: Option<String>,
    pub commit_id: String,
    pub subdirectory: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawDirectory {
    pub path: String,
    #[serde(default)]
    pub editable: bool,
}

/// An sdist, a wheel or an archive.
#[derive(Deserialize)]
pub(super) struct RawFile {
    pub name: Option<String>,
    pub url: Option<String>,
    pub path: Option<String>,
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
    pub subdirectory: Option<String>,
}
