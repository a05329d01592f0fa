//! uv.lock (version 1): packages with the URL and hash of every file, edges that name their
//! target exactly where a name is locked at several versions (`resolution-markers` forks), and
//! the project's own roots (the workspace root package, or every member of a workspace whose
//! root is not a project). Read as uv's `uv-resolver` lock reads it.

mod source;
mod wire;

use std::collections::BTreeMap;
use std::str::FromStr;

use rayon::prelude::*;
use uv_pep440::Version;
use uv_pep508::MarkerTree;

use super::LockError;
use crate::constraint::Constraint;
use crate::filename::DistFilename;
use crate::model::{Conflict, ConflictItem, Dependency, FileHash, Lock, LockFormat, LockRoots, LockedFile, Package};
use crate::name::{ExtraName, GroupName, PackageName};
use crate::safe_url::DisplaySafeUrl;
use crate::toml_error;
use wire::{RawArtifact, RawDependency, RawLock, RawPackage, RawRequirement, RawSource};

/// Parses the text of a uv.lock; `origin` names the file in errors.
pub fn parse(text: &str, origin: &str) -> Result<Lock, LockError> {
    let raw = read_raw(text, origin)?;
    let version = raw.version.unwrap_or_default();
    if version != 1 {
        return Err(LockError::UnsupportedUvVersion { path: origin.into(), version });
    }
    let reader = Reader::new(&raw, origin)?;
    let python = match &raw.requires_python {
        Some(text) => Constraint::parse_pep440(text).map_err(|e| reader.error("requires-python", e.to_string()))?,
        None => Constraint::any(),
    };
    // Packages convert independently (markers parse, edges resolve): in parallel, in order.
    let packages = (0..raw.package.len())
        .into_par_iter()
        .filter(|&k| reader.model_index[k].is_some())
        .map(|k| reader.package(&raw.package[k]))
        .collect::<Result<Vec<_>, _>>()?;
    let roots = reader.roots()?;
    let format = LockFormat::Uv { version, revision: raw.revision.unwrap_or(0) };
    Ok(Lock::with_roots(origin, format, python, packages, roots))
}

/// Deserializes the lock, its `[[package]]` pieces in parallel when that can be trusted: the
/// top-level keys and tables must all be in the first piece.
fn read_raw(text: &str, origin: &str) -> Result<RawLock, LockError> {
    let serial = || {
        toml_error::from_str::<RawLock>(text).map_err(|source| LockError::Toml {
            path: origin.into(),
            kind: "uv.lock",
            source,
        })
    };
    let Some(pieces) =
        toml_error::from_str_in_pieces(text, "[[package]]", |piece| toml_error::from_str::<RawLock>(piece).ok())
    else {
        return serial();
    };
    let mut pieces = pieces.into_iter();
    let Some(mut merged) = pieces.next() else { return serial() };
    for piece in pieces {
        let top_level = piece.version.is_some()
            || piece.revision.is_some()
            || piece.requires_python.is_some()
            || !piece.conflicts.is_empty()
            || piece.manifest.is_some();
        if top_level {
            return serial();
        }
        merged.package.extend(piece.package);
    }
    Ok(merged)
}

struct Reader<'a> {
    raw: &'a RawLock,
    origin: &'a str,
    /// Per raw package: its index among the model's packages; `None` for the project itself
    /// and for virtual members, which are not installed (their edges are followed instead).
    model_index: Vec<Option<usize>>,
    /// Raw package indices by normalized name.
    by_name: BTreeMap<PackageName, Vec<usize>>,
    /// The raw index of the workspace root's package, when the root is a project.
    root: Option<usize>,
}

impl<'a> Reader<'a> {
    fn new(raw: &'a RawLock, origin: &'a str) -> Result<Self, LockError> {
        let mut by_name: BTreeMap<PackageName, Vec<usize>> = BTreeMap::new();
        for (k, package) in raw.package.iter().enumerate() {
            let name = PackageName::from_owned(package.name.clone()).map_err(|e| LockError::Entry {
                path: origin.into(),
                package: package.name.clone(),
                message: e.to_string(),
            })?;
            by_name.entry(name).or_default().push(k);
        }
        let root = raw.package.iter().position(|p| {
            matches!(&p.source, RawSource::Editable { editable: path } | RawSource::Virtual { r#virtual: path } if source::is_root(path))
        });
        let mut next = 0;
        let model_index = raw
            .package
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let skipped = Some(k) == root || matches!(p.source, RawSource::Virtual { .. });
                (!skipped).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        Ok(Self { raw, origin, model_index, by_name, root })
    }

    /// `[manifest] members`: the workspace's members, by name.
    fn members(&self) -> &'a [String] {
        self.raw.manifest.as_ref().map(|m| m.members.as_slice()).unwrap_or_default()
    }

    fn error(&self, entry: impl Into<String>, message: impl Into<String>) -> LockError {
        LockError::Entry { path: self.origin.into(), package: entry.into(), message: message.into() }
    }

    fn package(&self, raw: &RawPackage) -> Result<Package, LockError> {
        let entry = match &raw.version {
            Some(version) => format!("{} {}", raw.name, version.trim()),
            None => raw.name.clone(),
        };
        let err = |message: String| self.error(entry.clone(), message);
        let name = PackageName::from_owned(raw.name.clone()).map_err(|e| err(e.to_string()))?;
        // A dynamic version (a path package's) is only known once built.
        let (version, version_text) = crate::model::read_version(raw.version.as_deref().unwrap_or("0")).map_err(err)?;
        let source = source::convert(&raw.source).map_err(err)?;
        let locked_file = |artifact: &RawArtifact| -> Result<LockedFile, LockError> {
            let filename = artifact
                .filename
                .clone()
                .or_else(|| {
                    artifact.url.as_deref().or(artifact.path.as_deref()).and_then(crate::filename::file_name_of)
                })
                .or_else(|| source::archive_name(&raw.source))
                .ok_or_else(|| err("a file with neither url, path nor filename".into()))?;
            let hash = match artifact.hash.as_deref() {
                Some(text) => Some(
                    FileHash::parse(text).ok_or_else(|| err(format!("file {filename}: unreadable hash `{text}`")))?,
                ),
                None => None,
            };
            // A url source's files are the source URL itself.
            let url = artifact.url.clone().or_else(|| match &raw.source {
                RawSource::Url { url, .. } => Some(url.clone()),
                _ => None,
            });
            let dist = DistFilename::parse(&filename);
            Ok(LockedFile { filename, hash, dist, url: url.map(|url| Box::new(DisplaySafeUrl::from(url))) })
        };
        let files = super::exactly_sized(raw.sdist.iter().chain(&raw.wheels).map(locked_file))?;
        let mut dependencies = self.edges(&raw.dependencies, false, &entry)?;
        let mut extras = BTreeMap::new();
        for (extra, edges) in &raw.optional_dependencies {
            let extra = ExtraName::from_owned(extra.clone()).map_err(|e| err(format!("extra `{extra}`: {e}")))?;
            let edges = self.edges(edges, true, &entry)?;
            extras.insert(extra, edges.iter().map(|d| d.name.clone()).collect());
            dependencies.extend(edges);
        }
        Ok(Package {
            name,
            version,
            version_text,
            version_known: raw.version.is_some(),
            python: Constraint::any(),
            source,
            files,
            dependencies,
            extras,
            membership: None,
            marker: None,
        })
    }

    /// Converts a list of edges; edges to a virtual member stand for that member's own edges.
    fn edges(&self, raw: &[RawDependency], optional: bool, entry: &str) -> Result<Vec<Dependency>, LockError> {
        let mut out = Vec::new();
        for edge in raw {
            self.edge(edge, MarkerTree::TRUE, optional, entry, &mut Vec::new(), &mut out)?;
        }
        Ok(out)
    }

    fn edge(
        &self,
        edge: &RawDependency,
        outer: MarkerTree,
        optional: bool,
        entry: &str,
        through: &mut Vec<usize>,
        out: &mut Vec<Dependency>,
    ) -> Result<(), LockError> {
        let err = |message: String| self.error(entry.to_string(), format!("dependency `{}`: {message}", edge.name));
        let name = PackageName::from_owned(edge.name.clone()).map_err(|e| err(e.to_string()))?;
        let target = self.target(&name, edge.version.as_deref(), edge.source.as_ref()).map_err(err)?;
        let mut marker = match &edge.marker {
            Some(text) => super::location::marker(text).map_err(err)?,
            None => MarkerTree::TRUE,
        };
        marker = marker.and(outer);
        let extras = edge
            .extra
            .iter()
            .map(|e| ExtraName::from_owned(e.clone()).map_err(|error| err(format!("extra `{e}`: {error}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(index) = self.model_index[target] else {
            // The project itself (a member depending on the root) or a virtual member.
            if Some(target) == self.root || through.contains(&target) {
                return Ok(());
            }
            through.push(target);
            let member = &self.raw.package[target];
            let chosen = member.optional_dependencies.iter().filter(|(extra, _)| edge.extra.contains(extra));
            for inner in member.dependencies.iter().chain(chosen.flat_map(|(_, edges)| edges)) {
                self.edge(inner, marker, optional, entry, through, out)?;
            }
            through.pop();
            return Ok(());
        };
        out.push(Dependency {
            name,
            constraint: Constraint::any(),
            marker,
            python: Constraint::any(),
            extras,
            optional,
            source: None,
            target: Some(index),
        });
        Ok(())
    }

    /// The raw package an edge leads to: the only one of its name, else the one of its version
    /// and source.
    fn target(&self, name: &PackageName, version: Option<&str>, source: Option<&RawSource>) -> Result<usize, String> {
        let candidates = self.by_name.get(name).map(Vec::as_slice).unwrap_or_default();
        let matching: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&k| {
                let package = &self.raw.package[k];
                version.is_none_or(|v| package.version.as_deref().is_some_and(|have| same_version(have, v)))
                    && source.is_none_or(|s| *s == package.source)
            })
            .collect();
        match matching.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!(
                "no locked package {name}{} (the lock is inconsistent: run `uv lock`)",
                version.map(|v| format!(" {v}")).unwrap_or_default()
            )),
            _ => Err(format!("{} locked packages of that name fit; the lock should name the version", matching.len())),
        }
    }

    /// The project's roots: the workspace root's package, or every member of a workspace
    /// whose root is not a project.
    fn roots(&self) -> Result<LockRoots, LockError> {
        let mut roots = LockRoots::default();
        if let Some(k) = self.root {
            let root = &self.raw.package[k];
            let name = PackageName::from_owned(root.name.clone()).map_err(|e| self.error(&root.name, e.to_string()))?;
            roots.built = matches!(root.source, RawSource::Editable { .. });
            roots.version = root.version.as_deref().map(|v| v.trim().to_string());
            roots.main = self.edges(&root.dependencies, false, &root.name)?;
            for (extra, edges) in &root.optional_dependencies {
                let extra = ExtraName::from_owned(extra.clone()).map_err(|e| self.error(&root.name, e.to_string()))?;
                roots.extras.insert(extra, self.edges(edges, false, &root.name)?);
            }
            self.add_groups(&mut roots, &root.dev_dependencies, &root.name)?;
            roots.name = Some(name);
        } else {
            for member in self.members() {
                self.add_member(&mut roots, member)?;
            }
            for (group, requirements) in self.raw.manifest.iter().flat_map(|m| &m.dependency_groups) {
                let group =
                    GroupName::new(group).map_err(|e| self.error("[manifest.dependency-groups]", e.to_string()))?;
                let edges = requirements.iter().map(|r| self.requirement(r)).collect::<Result<Vec<_>, _>>()?;
                roots.groups.entry(group).or_default().extend(edges);
            }
        }
        roots.conflicts = self.conflicts()?;
        Ok(roots)
    }

    fn conflicts(&self) -> Result<Vec<Vec<Conflict>>, LockError> {
        let entry = "conflicts";
        let mut sets = Vec::new();
        for set in &self.raw.conflicts {
            let mut items = Vec::new();
            for raw in set {
                let package =
                    PackageName::from_owned(raw.package.clone()).map_err(|e| self.error(entry, e.to_string()))?;
                let item = match (&raw.extra, &raw.group) {
                    (Some(extra), None) => ConflictItem::Extra(
                        ExtraName::from_owned(extra.clone()).map_err(|e| self.error(entry, e.to_string()))?,
                    ),
                    (None, Some(group)) => {
                        ConflictItem::Group(GroupName::new(group).map_err(|e| self.error(entry, e.to_string()))?)
                    }
                    _ => {
                        return Err(self.error(
                            entry,
                            format!("an item of `{}` names neither one extra nor one group", raw.package),
                        ));
                    }
                };
                items.push(Conflict { package, item });
            }
            sets.push(items);
        }
        Ok(sets)
    }

    /// A member of a workspace without a root project: installed (editable), with its extras
    /// and groups offered as the project's.
    fn add_member(&self, roots: &mut LockRoots, member: &str) -> Result<(), LockError> {
        let name =
            PackageName::from_owned(member.to_string()).map_err(|e| self.error("[manifest] members", e.to_string()))?;
        let members = |k: &&usize| {
            matches!(
                self.raw.package[**k].source,
                RawSource::Editable { .. } | RawSource::Virtual { .. } | RawSource::Directory { .. }
            )
        };
        let Some(&k) = self.by_name.get(&name).and_then(|ks| ks.iter().find(members)) else {
            return Err(self.error("[manifest] members", format!("member `{member}` is not among the lock's packages")));
        };
        let package = &self.raw.package[k];
        let to_member = |extra: Vec<String>| RawDependency {
            name: package.name.clone(),
            version: package.version.clone(),
            source: Some(package.source.clone()),
            marker: None,
            extra,
        };
        roots.main.extend(self.edges(&[to_member(Vec::new())], false, member)?);
        for extra in package.optional_dependencies.keys() {
            let key = ExtraName::from_owned(extra.clone()).map_err(|e| self.error(member, e.to_string()))?;
            let edges = self.edges(&[to_member(vec![extra.clone()])], false, member)?;
            roots.extras.entry(key).or_default().extend(edges);
        }
        self.add_groups(roots, &package.dev_dependencies, member)
    }

    fn add_groups(
        &self,
        roots: &mut LockRoots,
        groups: &BTreeMap<String, Vec<RawDependency>>,
        entry: &str,
    ) -> Result<(), LockError> {
        for (group, edges) in groups {
            let key = GroupName::new(group).map_err(|e| self.error(entry, format!("group `{group}`: {e}")))?;
            let edges = self.edges(edges, false, entry)?;
            roots.groups.entry(key).or_default().extend(edges);
        }
        Ok(())
    }

    /// A group requirement of a workspace root that is not a project: by name and specifier,
    /// the walk choosing among several locked versions.
    fn requirement(&self, requirement: &RawRequirement) -> Result<Dependency, LockError> {
        let entry = "[manifest.dependency-groups]";
        let err = |message: String| self.error(entry, format!("`{}`: {message}", requirement.name));
        let name = PackageName::from_owned(requirement.name.clone()).map_err(|e| err(e.to_string()))?;
        let constraint = match &requirement.specifier {
            Some(text) => Constraint::parse_pep440(text).map_err(|e| err(e.to_string()))?,
            None => Constraint::any(),
        };
        let marker = match &requirement.marker {
            Some(text) => super::location::marker(text).map_err(err)?,
            None => MarkerTree::TRUE,
        };
        let extras = requirement
            .extras
            .iter()
            .map(|e| ExtraName::from_owned(e.clone()).map_err(|error| err(error.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let candidates = self.by_name.get(&name).map(Vec::as_slice).unwrap_or_default();
        let target = match candidates {
            [one] => self.model_index[*one],
            _ => None,
        };
        Ok(Dependency {
            name,
            constraint,
            marker,
            python: Constraint::any(),
            extras,
            optional: false,
            source: None,
            target,
        })
    }
}

/// Versions as uv compares them (`1.0` is `1.0.0`).
fn same_version(a: &str, b: &str) -> bool {
    a == b || matches!((Version::from_str(a), Version::from_str(b)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests;
