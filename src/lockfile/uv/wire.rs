//! uv.lock as written (version 1, revisions 1 to 5), before any meaning is given to it. Keys
//! lock2nix has no use for (`upload-time`, `metadata`, `resolution-markers`, `[options]`) are
//! ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawLock {
    /// Optional only so that a piece of the file (its later `[[package]]`s) parses alone.
    pub version: Option<u32>,
    pub revision: Option<u32>,
    pub requires_python: Option<String>,
    #[serde(default)]
    pub conflicts: Vec<Vec<RawConflictItem>>,
    pub manifest: Option<RawManifest>,
    #[serde(default)]
    pub package: Vec<RawPackage>,
}

#[derive(Deserialize)]
pub(super) struct RawConflictItem {
    pub package: String,
    pub extra: Option<String>,
    pub group: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawManifest {
    #[serde(default)]
    pub members: Vec<String>,
    /// The groups of a workspace root that is not a project.
    #[serde(default)]
    pub dependency_groups: BTreeMap<String, Vec<RawRequirement>>,
}

/// A requirement as the manifest records it: `{ name = "…", specifier = "…", marker = "…" }`.
#[derive(Deserialize)]
pub(super) struct RawRequirement {
    pub name: String,
    pub specifier: Option<String>,
    pub marker: Option<String>,
    #[serde(default)]
    pub extras: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawPackage {
    pub name: String,
    /// Absent for a workspace member or path package whose version is dynamic.
    pub version: Option<String>,
    pub source: RawSource,
    #[serde(default)]
    pub dependencies: Vec<RawDependency>,
    #[serde(default)]
    pub optional_dependencies: BTreeMap<String, Vec<RawDependency>>,
    /// PEP 735 groups (uv writes them under their old name).
    #[serde(default)]
    pub dev_dependencies: BTreeMap<String, Vec<RawDependency>>,
    pub sdist: Option<RawArtifact>,
    #[serde(default)]
    pub wheels: Vec<RawArtifact>,
}

/// Where a package comes from; exactly one key.
#[derive(Deserialize, Clone, PartialEq, Eq, Debug)]
#[serde(untagged)]
pub(super) enum RawSource {
    Registry {
        registry: String,
    },
    /// `https://host/repo.git?rev=…&subdirectory=…#<commit>`.
    Git {
        git: String,
    },
    Url {
        url: String,
        subdirectory: Option<String>,
    },
    /// A local archive.
    Path {
        path: String,
    },
    Directory {
        directory: String,
    },
    Editable {
        editable: String,
    },
    /// A project that is not built (no build system, or `tool.uv.package = false`).
    Virtual {
        r#virtual: String,
    },
}

/// An edge: the name, and the version and source only when the name alone is ambiguous.
#[derive(Deserialize)]
pub(super) struct RawDependency {
    pub name: String,
    pub version: Option<String>,
    pub source: Option<RawSource>,
    pub marker: Option<String>,
    #[serde(default)]
    pub extra: Vec<String>,
}

/// An sdist or a wheel: `url` (registry and url sources), `path` (local registries and path
/// sources) or `filename`.
#[derive(Deserialize)]
pub(super) struct RawArtifact {
    pub url: Option<String>,
    pub path: Option<String>,
    pub filename: Option<String>,
    pub hash: Option<String>,
}
