//! poetry.lock, every version in use: 1.1 and the unversioned 1.0-era locks with
//! `[metadata.files]`, 2.0 with per-package `files`, 2.1 with per-package `groups`/`markers`.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Deserialize;
use uv_pep440::Version;

mod dependency;
mod file_lines;

pub(crate) use dependency::platform_marker;
pub(crate) use dependency::{RawEntry, RawTable, SpecCache, convert as convert_dependency, parse_marker};

use super::LockError;
use crate::constraint::Constraint;
use crate::filename::DistFilename;
use crate::model::{FileHash, IndexRef, Lock, LockFormat, LockedFile, Membership, Package, Source};
use crate::name::{ExtraName, GroupName, PackageName};
use crate::toml_error;

#[derive(Deserialize)]
struct RawLock {
    #[serde(default)]
    package: Vec<RawPackage>,
    metadata: Option<RawMetadata>,
    extras: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct RawMetadata {
    lock_version: Option<String>,
    python_versions: Option<String>,
    content_hash: Option<String>,
    #[serde(default)]
    files: BTreeMap<String, Vec<RawFile>>,
    hashes: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: String,
    version: String,
    python_versions: Option<String>,
    files: Option<Vec<RawFile>>,
    #[serde(default)]
    dependencies: BTreeMap<String, RawEntry>,
    #[serde(default)]
    extras: BTreeMap<String, Vec<String>>,
    source: Option<RawSource>,
    groups: Option<Vec<String>>,
    markers: Option<RawMarkers>,
    #[serde(default)]
    develop: bool,
}

#[derive(Deserialize)]
struct RawFile {
    file: String,
    hash: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawMarkers {
    All(String),
    PerGroup(BTreeMap<String, String>),
}

#[derive(Deserialize)]
struct RawSource {
    #[serde(rename = "type")]
    kind: String,
    url: String,
    reference: Option<String>,
    resolved_reference: Option<String>,
    subdirectory: Option<String>,
}

/// A lock's tables, each package converted where its piece was read. The pieces' packages stay
/// in their own vectors until they are moved, once, into the lock's.
struct ReadLock {
    pieces: Vec<Vec<ReadPackage>>,
    metadata: Option<RawMetadata>,
    extras: Option<BTreeMap<String, Vec<String>>>,
}

struct ReadPackage {
    /// The name as written, lower-cased: versions are counted by it ([`count_versions`]).
    lower_name: String,
    read: Read,
}

enum Read {
    Converted(Result<Package, LockError>),
    /// Files listed under `[metadata.files]` (lock 1.1), which its piece may not hold: it is
    /// converted once the whole lock is read.
    Legacy(RawPackage),
}

impl ReadLock {
    fn of(raw: RawLock, origin: &str, cache: &SpecCache) -> Self {
        let packages = raw
            .package
            .into_par_iter()
            .map(|package| {
                let lower_name = package.name.to_ascii_lowercase();
                let read = if package.files.is_some() {
                    Read::Converted(convert_package(package, &BTreeMap::new(), false, origin, cache))
                } else {
                    Read::Legacy(package)
                };
                ReadPackage { lower_name, read }
            })
            .collect();
        Self { pieces: vec![packages], metadata: raw.metadata, extras: raw.extras }
    }
}

/// Parses the text of a poetry.lock; `origin` names the file in errors.
pub fn parse(text: &str, origin: &str) -> Result<Lock, LockError> {
    let cache = SpecCache::default();
    let raw = read_lock(text, origin, &cache)?;
    let metadata = raw.metadata.unwrap_or_default();
    let lock_version = metadata.lock_version.clone();
    let content_hash = metadata.content_hash.clone();
    if let Some(version) = &lock_version {
        let major = version.split('.').next().unwrap_or_default();
        if major != "1" && major != "2" {
            return Err(LockError::UnsupportedVersion { path: origin.into(), version: version.clone() });
        }
    }
    if metadata.hashes.is_some() && metadata.files.is_empty() && raw.pieces.iter().any(|piece| !piece.is_empty()) {
        return Err(LockError::HashesOnly { path: origin.into() });
    }
    let python = match &metadata.python_versions {
        Some(text) => Constraint::parse_poetry(text).map_err(|e| LockError::Entry {
            path: origin.into(),
            package: "[metadata] python-versions".into(),
            message: e.to_string(),
        })?,
        None => Constraint::any(),
    };
    // `[metadata.files]` is keyed by the name as written; key it by normalized name.
    let mut legacy_files: BTreeMap<PackageName, Vec<RawFile>> = BTreeMap::new();
    for (name, files) in metadata.files {
        let name = normalize(&name, origin, "[metadata.files]")?;
        legacy_files.entry(name).or_default().extend(files);
    }
    // Only files under `[metadata.files]` are shared by a name's versions.
    let legacy = raw.pieces.iter().flatten().any(|p| matches!(p.read, Read::Legacy(_)));
    let versions_per_name = if legacy { count_versions(raw.pieces.iter().flatten()) } else { BTreeMap::new() };
    let convert = |p: ReadPackage| match p.read {
        Read::Converted(package) => package,
        Read::Legacy(package) => {
            let shared = versions_per_name.get(&p.lower_name).copied().unwrap_or(1) > 1;
            convert_package(package, &legacy_files, shared, origin, &cache)
        }
    };
    let packages = if legacy {
        let read: Vec<ReadPackage> = raw.pieces.into_iter().flatten().collect();
        let converted: Vec<Result<Package, LockError>> = read.into_par_iter().map(convert).collect();
        // The first failure in the lock's order, whichever thread met it first.
        converted.into_iter().collect::<Result<Vec<_>, _>>()?
    } else {
        // Each converted where it was read: moved once into the lock, the first failure first.
        let mut packages = Vec::with_capacity(raw.pieces.iter().map(Vec::len).sum());
        for read in raw.pieces.into_iter().flatten() {
            packages.push(convert(read)?);
        }
        packages
    };
    let mut root_extras = BTreeMap::new();
    for (extra, names) in raw.extras.unwrap_or_default() {
        let extra = extra_name(&extra, origin, "[extras]")?;
        let names =
            names.iter().map(|n| normalize(requirement_name(n), origin, "[extras]")).collect::<Result<Vec<_>, _>>()?;
        root_extras.insert(extra, names);
    }
    Ok(Lock {
        origin: origin.to_string(),
        format: LockFormat::Poetry { lock_version },
        python,
        packages,
        root_extras,
        generated_by: generated_by(text),
        content_hash,
        roots: None,
    })
}

/// Deserializes the lock and converts its packages, its `[[package]]` pieces in parallel when
/// that can be trusted.
fn read_lock(text: &str, origin: &str, cache: &SpecCache) -> Result<ReadLock, LockError> {
    let serial = || {
        toml_error::from_str::<RawLock>(text)
            .map(|raw| ReadLock::of(raw, origin, cache))
            .map_err(|source| LockError::Toml { path: origin.to_string(), kind: "poetry.lock", source })
    };
    let read_piece = |piece: &str| {
        let lifted = file_lines::lift(piece);
        let mut raw = toml_error::from_str::<RawLock>(&lifted.text).ok()?;
        lifted.restore(&mut raw.package)?;
        Some(ReadLock::of(raw, origin, cache))
    };
    let Some(parsed) = toml_error::from_str_in_pieces(text, "[[package]]", read_piece) else { return serial() };
    let mut merged = ReadLock { pieces: Vec::with_capacity(parsed.len()), metadata: None, extras: None };
    for piece in parsed {
        merged.pieces.extend(piece.pieces);
        // A table in two pieces would be a duplicate-table error in the whole document.
        if (piece.metadata.is_some() && merged.metadata.is_some())
            || (piece.extras.is_some() && merged.extras.is_some())
        {
            return serial();
        }
        merged.metadata = merged.metadata.or(piece.metadata);
        merged.extras = merged.extras.or(piece.extras);
    }
    Ok(merged)
}

fn count_versions<'a>(packages: impl Iterator<Item = &'a ReadPackage>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for p in packages {
        *counts.entry(p.lower_name.clone()).or_insert(0) += 1;
    }
    counts
}

fn convert_package(
    raw: RawPackage,
    legacy_files: &BTreeMap<PackageName, Vec<RawFile>>,
    name_has_several_versions: bool,
    origin: &str,
    cache: &SpecCache,
) -> Result<Package, LockError> {
    // The entry's name is written only for an error.
    let err = |message: String| LockError::Entry {
        path: origin.into(),
        package: format!("{} {}", raw.name, raw.version.trim()),
        message,
    };
    let name = PackageName::from_owned(raw.name.clone()).map_err(|e| err(e.to_string()))?;
    let (version, version_text) = crate::model::read_version(&raw.version).map_err(err)?;
    let python = match raw.python_versions.as_deref() {
        Some(text) => cache.constraint(text).map_err(|e| err(format!("python-versions: {e}")))?,
        None => Constraint::any(),
    };
    let locked_file = |file: String, hash: Option<String>| -> Result<LockedFile, LockError> {
        let hash = match hash.filter(|h| !h.is_empty()) {
            Some(h) => Some(FileHash::parse(&h).ok_or_else(|| err(format!("file {file}: unreadable hash `{h}`")))?),
            None => None,
        };
        Ok(LockedFile::named(file, hash))
    };
    let files = match raw.files {
        Some(files) => super::exactly_sized(files.into_iter().map(|f| locked_file(f.file, f.hash)))?,
        // 1.1 locks merge all versions' files under one name.
        None => legacy_files
            .get(&name)
            .into_iter()
            .flatten()
            .filter(|f| !name_has_several_versions || DistFilename::is_of_version(&f.file, &version))
            .map(|f| locked_file(f.file.clone(), f.hash.clone()))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let mut dependencies = Vec::new();
    for (dep_name, entry) in &raw.dependencies {
        let dep_name =
            PackageName::from_owned(dep_name.clone()).map_err(|e| err(format!("dependency `{dep_name}`: {e}")))?;
        for table in entry.tables() {
            dependencies.push(
                dependency::convert(dep_name.clone(), &table, cache)
                    .map_err(|e| err(format!("dependency `{dep_name}`: {e}")))?,
            );
        }
    }
    let mut extras = BTreeMap::new();
    for (extra, requirements) in &raw.extras {
        let extra = ExtraName::from_owned(extra.clone()).map_err(|e| err(format!("extra `{extra}`: {e}")))?;
        let names = requirements
            .iter()
            .map(|r| {
                PackageName::from_owned(requirement_name(r).to_string())
                    .map_err(|e| err(format!("extra `{extra}`: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        extras.insert(extra, names);
    }
    let membership = match raw.groups {
        None => None,
        Some(groups) => {
            let groups = groups
                .iter()
                .map(|g| GroupName::new(g).map_err(|e| err(format!("group `{g}`: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            let mut markers = BTreeMap::new();
            match raw.markers {
                None => {}
                Some(RawMarkers::All(text)) => {
                    let marker = cache.marker(&text).map_err(|m| err(format!("markers: {m}")))?;
                    for g in &groups {
                        markers.insert(g.clone(), marker);
                    }
                }
                Some(RawMarkers::PerGroup(table)) => {
                    for (g, text) in table {
                        let group = GroupName::new(&g).map_err(|e| err(format!("markers group `{g}`: {e}")))?;
                        markers.insert(group, cache.marker(&text).map_err(|m| err(format!("markers.{g}: {m}")))?);
                    }
                }
            }
            Some(Membership { groups, markers })
        }
    };
    let source = convert_source(raw.source, raw.develop);
    Ok(Package {
        name,
        version,
        version_text,
        version_known: true,
        python,
        source,
        files,
        dependencies,
        extras,
        membership,
        marker: None,
    })
}

fn convert_source(raw: Option<RawSource>, develop: bool) -> Source {
    let Some(raw) = raw else { return Source::Registry { index: None } };
    match raw.kind.as_str() {
        "git" => Source::Git {
            url: raw.url.into(),
            reference: raw.reference,
            resolved_reference: raw.resolved_reference,
            subdirectory: raw.subdirectory,
        },
        "url" => Source::Url { url: raw.url.into(), subdirectory: raw.subdirectory },
        "directory" => Source::Directory { path: raw.url, develop },
        "file" => Source::File { path: raw.url },
        // "legacy" and anything else an index-like source.
        _ => {
            Source::Registry { index: Some(IndexRef { name: raw.reference.unwrap_or_default(), url: raw.url.into() }) }
        }
    }
}

/// The Poetry version of the lock's first line, `# This file is automatically @generated by
/// Poetry 2.1.1 and should not be changed by hand.`
fn generated_by(text: &str) -> Option<Version> {
    let line = text.lines().next()?;
    let rest = &line[line.find("@generated by Poetry ")? + "@generated by Poetry ".len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// The distribution name at the start of a requirement such as `pkginfo (>=1.10)` or
/// `requests[socks]>=2`.
pub(crate) fn requirement_name(requirement: &str) -> &str {
    let end = requirement.find(|c: char| c.is_whitespace() || "([<>=!~;@".contains(c)).unwrap_or(requirement.len());
    &requirement[..end]
}

fn normalize(name: &str, origin: &str, entry: &str) -> Result<PackageName, LockError> {
    PackageName::from_owned(name.to_string()).map_err(|e| LockError::Entry {
        path: origin.into(),
        package: entry.into(),
        message: format!("`{name}`: {e}"),
    })
}

fn extra_name(name: &str, origin: &str, entry: &str) -> Result<ExtraName, LockError> {
    ExtraName::from_owned(name.to_string()).map_err(|e| LockError::Entry {
        path: origin.into(),
        package: entry.into(),
        message: format!("`{name}`: {e}"),
    })
}

#[cfg(test)]
mod tests;
