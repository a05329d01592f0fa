//! pylock.toml (PEP 751, lock-version 1.x): a flat list of packages, each installed where its
//! marker holds for the chosen extras and dependency groups (`'dev' in dependency_groups`), as
//! installers read it (uv's `evaluate_pep751`). There is no dependency graph to walk: the
//! project's roots are every package whose marker holds. Edges, where the lock gives them
//! (`dependencies`, which pdm writes as requirement strings), let each derivation list its
//! dependencies.

mod wire;

use std::collections::BTreeMap;

use uv_pep508::MarkerTree;

use super::LockError;
use super::location::registry;
use crate::constraint::Constraint;
use crate::filename::DistFilename;
use crate::filename::file_name_of;
use crate::model::{Dependency, FileHash, HashAlgorithm, Lock, LockFormat, LockRoots, LockedFile, Package, Source};
use crate::name::{ExtraName, GroupName, PackageName};
use crate::safe_url::DisplaySafeUrl;
use crate::toml_error;
use wire::{RawDependency, RawFile, RawLock, RawPackage};

/// Parses the text of a pylock.toml; `origin` names the file in errors.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Lock, LockError> {
    let raw: RawLock = toml_error::from_str(text).map_err(|source| LockError::Toml {
        path: origin.into(),
        kind: "pylock.toml",
        source,
    })?;
    if raw.lock_version.split('.').next() != Some("1") {
        return Err(LockError::UnsupportedPylockVersion { path: origin.into(), version: raw.lock_version });
    }
    let err = |entry: &str, message: String| LockError::Entry { path: origin.into(), package: entry.into(), message };
    let python = match &raw.requires_python {
        Some(text) => Constraint::parse_pep440(text).map_err(|e| err("requires-python", e.to_string()))?,
        None => Constraint::any(),
    };
    let created_by = raw.created_by.clone().unwrap_or_default();
    let mut roots = LockRoots::default();
    for extra in &raw.extras {
        let extra = ExtraName::from_owned(extra.clone()).map_err(|e| err("extras", e.to_string()))?;
        roots.extras.insert(extra, Vec::new());
    }
    for group in &raw.dependency_groups {
        let name = GroupName::new(group).map_err(|e| err("dependency-groups", e.to_string()))?;
        if raw.default_groups.contains(group) {
            roots.default_groups.push(name);
        } else {
            roots.groups.insert(name, Vec::new());
        }
    }
    let mut packages = Vec::new();
    for package in &raw.packages {
        // The project itself (`directory = { path = "." }`) is the file's root attribute.
        if package.directory.as_ref().is_some_and(|d| matches!(d.path.as_str(), "." | "./" | "")) {
            roots.name =
                Some(PackageName::from_owned(package.name.clone()).map_err(|e| err(&package.name, e.to_string()))?);
            roots.version = package.version.as_deref().map(|v| v.trim().to_string());
            roots.built = true;
            continue;
        }
        packages.push(convert_package(package, origin)?);
    }
    let format = LockFormat::Pylock { lock_version: raw.lock_version, created_by };
    Ok(Lock::with_roots(origin, format, python, packages, roots))
}

fn convert_package(raw: &RawPackage, origin: &str) -> Result<Package, LockError> {
    let entry = match &raw.version {
        Some(version) => format!("{} {}", raw.name, version.trim()),
        None => raw.name.clone(),
    };
    let err = |message: String| LockError::Entry { path: origin.into(), package: entry.clone(), message };
    let name = PackageName::from_owned(raw.name.clone()).map_err(|e| err(e.to_string()))?;
    let (version, version_text) = crate::model::read_version(raw.version.as_deref().unwrap_or("0")).map_err(err)?;
    let python = match &raw.requires_python {
        Some(text) => Constraint::parse_pep440(text).map_err(|e| err(format!("requires-python: {e}")))?,
        None => Constraint::any(),
    };
    let marker = match &raw.marker {
        Some(text) => super::location::marker(text).map_err(err)?,
        None => MarkerTree::TRUE,
    };
    let (source, files) = source_and_files(raw).map_err(err)?;
    let dependencies = raw
        .dependencies
        .iter()
        .map(|dependency| convert_dependency(dependency).map_err(&err))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Package {
        name,
        version,
        version_text,
        version_known: raw.version.is_some(),
        python,
        source,
        files,
        dependencies,
        extras: BTreeMap::new(),
        membership: None,
        marker: Some(marker),
    })
}

/// Exactly one source kind: vcs, directory, archive, or index files (sdist and/or wheels).
fn source_and_files(raw: &RawPackage) -> Result<(Source, Vec<LockedFile>), String> {
    let kinds = [
        raw.vcs.is_some(),
        raw.directory.is_some(),
        raw.archive.is_some(),
        raw.sdist.is_some() || !raw.wheels.is_empty(),
    ];
    match kinds.iter().filter(|k| **k).count() {
        1 => {}
        0 => return Err("names no source (vcs, directory, archive, sdist or wheels)".into()),
        _ => return Err("names more than one kind of source (vcs, directory, archive, sdist/wheels)".into()),
    }
    if let Some(vcs) = &raw.vcs {
        if vcs.kind != "git" {
            return Err(format!("vcs type `{}`: lock2nix fetches git repositories only", vcs.kind));
        }
        let url = vcs.url.clone().or_else(|| vcs.path.clone()).ok_or("a vcs source needs a url or a path")?;
        let source = Source::Git {
            url: url.into(),
            reference: vcs.requested_revision.clone(),
            resolved_reference: Some(vcs.commit_id.to_ascii_lowercase()),
            subdirectory: vcs.subdirectory.clone(),
        };
        return Ok((source, Vec::new()));
    }
    if let Some(directory) = &raw.directory {
        return Ok((Source::Directory { path: directory.path.clone(), develop: directory.editable }, Vec::new()));
    }
    if let Some(archive) = &raw.archive {
        let file = locked_file(archive)?;
        let source = match (&archive.url, &archive.path) {
            (Some(url), _) => Source::Url { url: url.as_str().into(), subdirectory: archive.subdirectory.clone() },
            (None, Some(path)) => Source::File { path: path.clone() },
            (None, None) => return Err("an archive needs a url or a path".into()),
        };
        return Ok((source, vec![file]));
    }
    let files = super::exactly_sized(raw.sdist.iter().chain(&raw.wheels).map(locked_file))?;
    if files.iter().any(|f| f.url.is_none()) {
        // Local files (`path` only): one local archive is a path source.
        return match (raw.sdist.iter().chain(&raw.wheels).next(), files.len()) {
            (Some(RawFile { path: Some(path), .. }), 1) => Ok((Source::File { path: path.clone() }, files)),
            _ => Err("files by local path only are read when the package has one file".into()),
        };
    }
    let source = match &raw.index {
        Some(index) => registry(index),
        None => Source::Registry { index: None },
    };
    Ok((source, files))
}

fn locked_file(raw: &RawFile) -> Result<LockedFile, String> {
    let filename = raw
        .name
        .clone()
        .or_else(|| raw.url.as_deref().or(raw.path.as_deref()).and_then(file_name_of))
        .ok_or("a file with neither name, url nor path")?;
    // The strongest hash the lock gives; `hashes = {}` leaves it to be computed.
    let hash = [HashAlgorithm::Sha256, HashAlgorithm::Sha512, HashAlgorithm::Sha384]
        .iter()
        .find_map(|&algorithm| raw.hashes.get(algorithm.as_str()).map(|hex| (algorithm, hex)))
        .map(|(algorithm, hex)| {
            FileHash::from_hex(algorithm, hex)
                .ok_or_else(|| format!("file {filename}: unreadable {} hash `{hex}`", algorithm.as_str()))
        })
        .transpose()?;
    let dist = DistFilename::parse(&filename);
    Ok(LockedFile { filename, hash, dist, url: raw.url.as_deref().map(|url| Box::new(DisplaySafeUrl::from(url))) })
}

/// A `dependencies` entry: a PEP 751 table (`name`, maybe `version`) or a requirement string.
fn convert_dependency(raw: &RawDependency) -> Result<Dependency, String> {
    let (name, constraint) = match raw {
        RawDependency::Table { name, version } => {
            let constraint = match version {
                Some(version) => Constraint::parse_pep440(&format!("=={version}")).map_err(|e| e.to_string())?,
                None => Constraint::any(),
            };
            let name = PackageName::from_owned(name.clone()).map_err(|e| format!("dependency `{name}`: {e}"))?;
            (name, constraint)
        }
        RawDependency::Requirement(text) => {
            return Dependency::parse_requirement(text).map_err(|message| format!("dependency `{text}`: {message}"));
        }
    };
    Ok(Dependency {
        name,
        constraint,
        marker: MarkerTree::TRUE,
        python: Constraint::any(),
        extras: Vec::new(),
        optional: false,
        source: None,
        target: None,
    })
}

#[cfg(test)]
mod tests;
