//! Plan: from the per-target resolution to what the Nix file says — one attribute per
//! package name, its versions, artifacts and dependencies with the targets where each holds,
//! build systems for sdists, and cycles broken.

mod cycles;
mod fixer;
pub(crate) mod fixups;
mod source;
mod targets;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use rayon::prelude::*;

use crate::model::{Lock, LockedFile, Package, Sha256, Source};
use crate::name::PackageName;
use crate::project::{EditableLayout, Project};
use crate::resolve::select::Unusable;
use crate::resolve::{ArtifactChoice, Needs, PerTarget, Resolution};
pub(crate) use fixer::Fixes;
pub use fixups::Plain;
pub(crate) use fixups::{Fixer, Fixups, Provenance, PythonRef, RelaxDeps};
use source::planned_artifact;
pub(crate) use source::{Build, Format, GitCheckout, Src, store_name_problem};
pub use source::{LocalPath, PinnedSource, PlannedArtifact};
pub(crate) use targets::TargetSet;

/// Where each source can be had, as the fetch stage found it.
pub trait Locations: Sync {
    /// `(url, sha256)` of `filename` of `package` (an index file or a `url` source's file).
    fn find(&self, package: &PackageName, filename: &str) -> Option<(Cow<'_, str>, Option<Sha256>)>;

    /// Whether [`Self::find`] finds `filename` of `package`; cheaper, where a URL is made up.
    fn has(&self, package: &PackageName, filename: &str) -> bool {
        self.find(package, filename).is_some()
    }

    /// `(url, sha256)` of a locked file: where the lock itself says (uv.lock), its
    /// credentials removed (the output and the cache must not hold them; the build has them
    /// from netrc), else where [`Self::find`] found it.
    fn locate<'a>(&'a self, package: &'a Package, file: &'a LockedFile) -> Option<(Cow<'a, str>, Option<Sha256>)> {
        match file.locked_location() {
            Some((url, sha256)) => Some((url.shown(), Some(sha256))),
            None => self.find(&package.name, &file.filename),
        }
    }

    /// Whether [`Self::locate`] locates the locked file.
    fn is_located(&self, package: &Package, file: &LockedFile) -> bool {
        file.locked_location().is_some() || self.has(&package.name, &file.filename)
    }

    /// A file of a local mirror (a `file://` URL), as a path beside the generated file.
    fn local_file(&self, _url: &str) -> Option<LocalPath> {
        None
    }

    /// The pinned git checkout or local path of the lock's package `index`.
    fn pinned(&self, _index: usize) -> Option<&PinnedSource> {
        None
    }

    /// The project's own folder, when it is built as a package (Poetry's package mode).
    fn project_source(&self) -> Option<&LocalPath> {
        None
    }

    /// The index of a package, when it could not be reached (`--allow-missing`).
    fn unreachable_index(&self, _package: &crate::model::Package) -> Option<&str> {
        None
    }

    /// The prefix of the environment variables holding the credentials a package's files may
    /// need at build time (Poetry's `POETRY_HTTP_BASIC_<SOURCE>`), for a named index source.
    fn auth_variables(&self, _package: &crate::model::Package) -> Option<&str> {
        None
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub targets: Vec<crate::resolve::target::Target>,
    /// Sorted by attribute name.
    pub packages: Vec<PlannedName>,
    pub root: RootPlan,
}

/// Everything under one attribute name: usually one version, several when the lock holds
/// marker-disjoint versions of one name.
#[derive(Debug, Clone)]
pub struct PlannedName {
    pub attr: String,
    pub versions: Vec<PlannedVersion>,
}

#[derive(Debug, Clone)]
pub struct PlannedVersion {
    pub pname: String,
    pub version: String,
    /// False when the lock gives no version (a stand-in): the build's metadata is not checked
    /// against it.
    pub version_known: bool,
    /// Where this version is installed.
    pub installed: TargetSet,
    /// Distinct artifacts, and which one each target uses (`None`: not installed there).
    pub artifacts: Vec<PlannedArtifact>,
    pub artifact_of: Vec<Option<usize>>,
    pub dependencies: Vec<Conditional>,
    pub optional_dependencies: BTreeMap<String, Vec<Conditional>>,
    /// Dependencies left out to break cycles, for a comment.
    pub cycle_breaks: Vec<String>,
    /// Whether some target has nothing to install because the index no longer offers the
    /// files the lock names, or the remote cannot be reached (`--allow-missing`).
    pub gone_from_index: bool,
    /// A `develop = true` path dependency, which a dev shell installs editable.
    pub editable: Option<Editable>,
}

/// A folder a dev shell installs editable from the working tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editable {
    /// Relative to the generated file.
    pub path: String,
    pub layout: EditableLayout,
}

/// A dependency (attribute name) and the targets on which it holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conditional {
    pub attr: String,
    pub on: TargetSet,
}

/// The project itself: built from its folder in package mode, else a meta-package; its
/// passthru offers every group and extra.
#[derive(Debug, Clone)]
pub struct RootPlan {
    /// Its attribute: the project's name, unless that is taken (see [`Self::renamed`]).
    pub attr: String,
    /// Why the attribute is not the project's name: a locked package or the Python package
    /// set itself uses that name.
    pub renamed: Option<String>,
    pub version: String,
    /// In package mode, how the project itself is built; else it is a meta-package.
    pub build: Option<RootBuild>,
    pub main: Vec<Conditional>,
    pub groups: BTreeMap<String, Vec<Conditional>>,
    pub extras: BTreeMap<String, Vec<Conditional>>,
    /// The nixpkgs attribute of the tool that writes the lock (`poetry`, `uv`), for dev shells.
    pub locker: Option<&'static str>,
}

/// The project built from its own folder.
#[derive(Debug, Clone)]
pub struct RootBuild {
    /// The project's name as its metadata spells it.
    pub pname: String,
    pub src: LocalPath,
    pub fixups: Fixups,
    /// Whether the version is known, so that nixpkgs may check the built metadata against it.
    pub version_known: bool,
    /// Its import roots and console scripts, for a dev shell's editable install.
    pub layout: EditableLayout,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{package}: {file} is listed in {lock} but the index did not list it with a sha256")]
    FileNotOnIndex { package: String, file: String, lock: String },
    /// A derivation whose name Nix cannot store: an epoch's `!`, or too long.
    #[error("{origin}: {what}: Nix cannot name the derivation `python3.XY-{name}` and its `-dist` output ({why})")]
    DerivationName { origin: String, what: String, name: String, why: String },
    /// Versions of one package that are develop path dependencies in different folders.
    #[error(
        "{origin}: package `{package}` is a develop path dependency in two folders, `{first}` and `{second}` (at marker-disjoint versions); a dev shell installs one folder per package editable, so give both versions the same folder or make one of them `develop = false`"
    )]
    EditableFolders { origin: String, package: String, first: String, second: String },
    /// A file the generated file would fetch or copy under a name Nix cannot store.
    #[error("{lock}: package `{package}`: file `{}`: Nix cannot store a file under this name ({why})", .file.escape_debug())]
    FileName { lock: String, package: String, file: String, why: String },
    /// A caller's bug: the fetch stage did not pin a source the resolution uses.
    #[error("{package}: its {kind} source was not fetched before planning")]
    NotPinned { package: String, kind: &'static str },
}

/// The lock packages the fetch stage must locate: registry packages installed somewhere.
pub(crate) fn packages_to_locate(lock: &Lock, resolution: &Resolution) -> Vec<usize> {
    (0..lock.packages.len())
        .filter(|&i| {
            let package = &lock.packages[i];
            matches!(package.source, Source::Registry { .. })
                && resolution.packages[i].is_used()
                // A lock that records every file's URL (uv.lock, pylock.toml) needs no index;
                // a file it gives no sha256 for is downloaded and hashed instead.
                && (package.files.is_empty() || package.files.iter().any(|f| f.url.is_none()))
        })
        .collect()
}

/// The registry packages installed somewhere whose lock gives some file's URL without a
/// sha256: the fetch stage downloads those files to hash them.
pub(crate) fn packages_to_pin_files(lock: &Lock, resolution: &Resolution) -> Vec<usize> {
    (0..lock.packages.len())
        .filter(|&i| {
            let package = &lock.packages[i];
            matches!(package.source, Source::Registry { .. })
                && resolution.packages[i].is_used()
                && package.files.iter().any(|f| f.url.is_some() && f.locked_location().is_none())
        })
        .collect()
}

/// The lock packages whose source the fetch stage must pin (git, url, directory, file),
/// installed somewhere.
pub(crate) fn packages_to_pin(lock: &Lock, resolution: &Resolution) -> Vec<usize> {
    (0..lock.packages.len())
        .filter(|&i| !matches!(lock.packages[i].source, Source::Registry { .. }) && resolution.packages[i].is_used())
        .collect()
}

pub fn plan(
    lock: &Lock,
    project: &Project,
    resolution: &Resolution,
    locations: &dyn Locations,
    fixer: &dyn Fixer,
) -> Result<Plan, PlanError> {
    // Dropped packages (an override's `drop`, e.g. `typing` on Python 3) vanish with the edges to them.
    let dropped: Vec<bool> = lock.packages.iter().map(|p| fixer.dropped(p)).collect();
    let used: Vec<usize> =
        (0..lock.packages.len()).filter(|&i| resolution.packages[i].is_used() && !dropped[i]).collect();
    let broken = break_cycles(lock, resolution, &used);
    let mut by_name: BTreeMap<String, Vec<PlannedVersion>> = BTreeMap::new();
    // Packages are planned independently: in parallel, then grouped by name in lock order.
    let versions: Vec<PlannedVersion> = used
        .par_iter()
        .map(|&i| plan_version(lock, resolution, locations, fixer, &broken, &dropped, i))
        .collect::<Result<_, PlanError>>()?;
    for version in versions {
        // Room for one: most names have one version, and an empty Vec would grow to four.
        by_name.entry(package_attribute(&version.pname)).or_insert_with(|| Vec::with_capacity(1)).push(version);
    }
    let mut packages: Vec<PlannedName> =
        by_name.into_iter().map(|(attr, versions)| PlannedName { attr, versions }).collect();
    for name in &mut packages {
        one_editable_folder(&lock.origin, name)?;
    }
    let mut root = root_plan(lock, project, resolution, &dropped, &broken);
    if let (true, Some(name), Some(src)) = (project.package_mode, &project.name, locations.project_source()) {
        root.build = Some(RootBuild {
            pname: name.to_string(),
            src: src.clone(),
            fixups: fixer.build_system_fixups(Some(&project.build)),
            version_known: project.version.is_some(),
            layout: project.layout.clone(),
        });
    }
    let pname = root.build.as_ref().map_or(&root.attr, |build| &build.pname);
    derivation_name(&project.origin, || "the project".to_string(), pname, &root.version)?;
    Ok(Plan { targets: resolution.targets.clone(), packages, root })
}

/// A dev shell installs one folder per attribute editable, so the versions of one name that are
/// develop path dependencies must share their folder, which is then listed once (for the
/// first of them); marker-disjoint versions in different folders cannot be installed so.
fn one_editable_folder(origin: &str, name: &mut PlannedName) -> Result<(), PlanError> {
    let mut first: Option<&Editable> = None;
    for version in &name.versions {
        match (first, &version.editable) {
            (_, None) => {}
            (None, Some(editable)) => first = Some(editable),
            (Some(kept), Some(editable)) if kept.path == editable.path => {}
            (Some(kept), Some(editable)) => {
                return Err(PlanError::EditableFolders {
                    origin: origin.to_string(),
                    package: name.attr.clone(),
                    first: kept.path.clone(),
                    second: editable.path.clone(),
                });
            }
        }
    }
    let mut seen = false;
    for version in &mut name.versions {
        if version.editable.is_some() {
            if seen {
                version.editable = None;
            }
            seen = true;
        }
    }
    Ok(())
}

/// Whether Nix can name the derivation of `pname` at `version`: nixpkgs names its store paths
/// `python3.XY-<pname>-<version>` and, for the `dist` output, that with `-dist`. The version
/// is PEP 440, so what can break the name is an epoch's `!` or the length.
fn derivation_name(origin: &str, what: impl Fn() -> String, pname: &str, version: &str) -> Result<(), PlanError> {
    let name = format!("{pname}-{version}");
    // The longest of the names: CPython 3.14's, of the `dist` output.
    let Some(mut why) = store_name_problem(&format!("python3.14-{name}-dist")) else { return Ok(()) };
    if version.contains('!') {
        why.push_str(": the version has an epoch, which no derivation name can hold");
    }
    Err(PlanError::DerivationName { origin: origin.to_string(), what: what(), name, why })
}

fn plan_version(
    lock: &Lock,
    resolution: &Resolution,
    locations: &dyn Locations,
    fixer: &dyn Fixer,
    broken: &BTreeSet<(usize, usize)>,
    dropped: &[bool],
    i: usize,
) -> Result<PlannedVersion, PlanError> {
    let count = resolution.targets.len();
    let package = &lock.packages[i];
    derivation_name(
        &lock.origin,
        || format!("package `{}`", package.id()),
        package.name.as_ref(),
        &package.version_text,
    )?;
    let states = &resolution.packages[i].per_target;
    let mut installed = TargetSet::EMPTY;
    let mut artifacts: Vec<PlannedArtifact> = Vec::new();
    let mut artifact_of = vec![None; count];
    // By package index while targets are added (no attribute name built per target), by
    // attribute at the end: the versions of one name share it.
    let mut deps: BTreeMap<usize, TargetSet> = BTreeMap::new();
    let mut optional: BTreeMap<&str, BTreeMap<usize, TargetSet>> = BTreeMap::new();
    let mut cycle_breaks = BTreeSet::new();
    let mut slot_of: FxHashMap<ArtifactChoice, usize> = FxHashMap::default();
    // The targets on which the package needs what one set of needs says: the walks share a set
    // between the targets that need the same, so most packages have one or two.
    let mut sharing: Vec<(&Arc<Needs>, TargetSet)> = Vec::new();
    // A source that could not be reached throws wherever the package is installed.
    let mut gone_from_index =
        matches!(locations.pinned(i), Some(PinnedSource::Unreachable { .. })) && states.iter().any(Option::is_some);
    for (t, state) in states.iter().enumerate() {
        let Some(state) = state else { continue };
        installed = installed.with(t);
        gone_from_index |= state.artifact == ArtifactChoice::Unusable(Unusable::GoneFromIndex);
        // Each distinct choice is planned once, whatever the number of targets using it.
        let slot = if let Some(&slot) = slot_of.get(&state.artifact) {
            slot
        } else {
            let artifact = planned_artifact(lock, i, state, locations, fixer)?;
            let slot = if let Some(slot) = artifacts.iter().position(|a| a == &artifact) {
                slot
            } else {
                artifacts.push(artifact);
                artifacts.len() - 1
            };
            slot_of.insert(state.artifact, slot);
            slot
        };
        artifact_of[t] = Some(slot);
        match sharing.iter_mut().find(|(needs, _)| Arc::ptr_eq(needs, &state.needs)) {
            Some((_, on)) => *on = on.with(t),
            None => sharing.push((&state.needs, TargetSet::EMPTY.with(t))),
        }
    }
    // Each distinct set of needs once, for all the targets that share it.
    for (needs, on) in sharing {
        for &j in &needs.dependencies {
            if dropped[j] {
                continue;
            }
            if broken.contains(&(i, j)) {
                cycle_breaks.insert(package_attribute(lock.packages[j].name.as_ref()));
                continue;
            }
            let targets = deps.entry(j).or_default();
            *targets = targets.union(on);
        }
        for (extra, list) in &needs.optional {
            for &j in list.iter().filter(|&&j| !dropped[j]) {
                let targets = optional.entry(extra.as_ref()).or_default().entry(j).or_default();
                *targets = targets.union(on);
            }
        }
    }
    Ok(PlannedVersion {
        pname: package.name.to_string(),
        version: package.version_text.clone(),
        version_known: package.version_known,
        installed,
        artifacts,
        artifact_of,
        dependencies: conditionals(by_attribute(lock, deps)),
        optional_dependencies: optional
            .into_iter()
            .map(|(extra, d)| (extra.to_string(), conditionals(by_attribute(lock, d))))
            .collect(),
        cycle_breaks: cycle_breaks.into_iter().collect(),
        gone_from_index,
        editable: match (&package.source, locations.pinned(i)) {
            (Source::Directory { develop: true, .. }, Some(PinnedSource::Path { path, layout, .. })) => {
                Some(Editable { path: path.path.clone(), layout: layout.clone().unwrap_or_default() })
            }
            _ => None,
        },
    })
}

/// For each target and each package at an end of a cut cycle edge, the packages from which it
/// is reachable in the uncut graph (itself included): a root list reaches a cut edge on a
/// target when one of its roots is among those of both ends. One reverse walk per end and
/// target, rather than one forward walk per root list and target.
struct CutEdgeReach<'a> {
    broken: &'a BTreeSet<(usize, usize)>,
    /// `[target][end]`, `end` indexing `ends`.
    reaching: Vec<Vec<Vec<bool>>>,
    ends: Vec<usize>,
}

impl<'a> CutEdgeReach<'a> {
    fn new(resolution: &Resolution, broken: &'a BTreeSet<(usize, usize)>) -> Self {
        let ends: Vec<usize> =
            broken.iter().flat_map(|&(from, to)| [from, to]).collect::<BTreeSet<_>>().into_iter().collect();
        let n = resolution.packages.len();
        let reaching = if ends.is_empty() {
            Vec::new()
        } else {
            (0..resolution.targets.len())
                .map(|t| {
                    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
                    for (i, package) in resolution.packages.iter().enumerate() {
                        for &j in package.per_target[t].iter().flat_map(|s| &s.needs.dependencies) {
                            dependents[j].push(i);
                        }
                    }
                    ends.iter().map(|&end| reverse_reach(&dependents, end)).collect()
                })
                .collect()
        };
        Self { broken, reaching, ends }
    }

    /// The targets of cut edges whose both ends `roots` reach on target `t`.
    fn cut_off(&self, t: usize, roots: &[usize]) -> Vec<usize> {
        let reached = |end: usize| {
            let k = self.ends.binary_search(&end).expect("every end of a cut edge is indexed");
            roots.iter().any(|&r| self.reaching[t][k][r])
        };
        self.broken.iter().filter(|&&(from, to)| reached(from) && reached(to)).map(|&(_, to)| to).collect()
    }
}

/// The packages from which `end` is reachable, by the reverse edges `dependents`.
fn reverse_reach(dependents: &[Vec<usize>], end: usize) -> Vec<bool> {
    let mut seen = vec![false; dependents.len()];
    seen[end] = true;
    let mut stack = vec![end];
    while let Some(j) = stack.pop() {
        for &i in &dependents[j] {
            if !std::mem::replace(&mut seen[i], true) {
                stack.push(i);
            }
        }
    }
    seen
}

/// Target sets by package index, merged by the packages' attributes.
fn by_attribute(lock: &Lock, on: impl IntoIterator<Item = (usize, TargetSet)>) -> BTreeMap<String, TargetSet> {
    let mut map: BTreeMap<String, TargetSet> = BTreeMap::new();
    for (j, targets) in on {
        let entry = map.entry(package_attribute(lock.packages[j].name.as_ref())).or_default();
        *entry = entry.union(targets);
    }
    map
}

fn conditionals(map: BTreeMap<String, TargetSet>) -> Vec<Conditional> {
    map.into_iter().map(|(attr, on)| Conditional { attr, on }).collect()
}

impl Plan {
    /// `name version` of every package some target cannot install because the index no
    /// longer offers its files (`--allow-missing`).
    pub fn throwing_for_missing_files(&self) -> Vec<String> {
        self.packages
            .iter()
            .flat_map(|n| &n.versions)
            .filter(|v| v.gone_from_index)
            .map(|v| format!("{} {}", v.pname, v.version))
            .collect()
    }
}

/// Cycle edges over the union of every target's graph, as (from, to) lock indices.
fn break_cycles(lock: &Lock, resolution: &Resolution, used: &[usize]) -> BTreeSet<(usize, usize)> {
    // Nodes in name order so the choice of edge depends only on names.
    let mut order: Vec<usize> = used.to_vec();
    order.sort_unstable_by_key(|&i| resolution.rank[i]);
    // Names, not versions, are what Nix attributes reference: edges go to every version of a
    // name. By lock index, the nodes of that package's name (looked up once per package, not
    // once per edge and target).
    let mut by_name: BTreeMap<&PackageName, Vec<usize>> = BTreeMap::new();
    for (node, &i) in order.iter().enumerate() {
        by_name.entry(&lock.packages[i].name).or_default().push(node);
    }
    let nodes_of: Vec<&[usize]> =
        lock.packages.iter().map(|p| by_name.get(&p.name).map_or(&[][..], Vec::as_slice)).collect();
    let graph: Vec<Vec<usize>> = order
        .par_iter()
        .map(|&i| {
            let mut targets: Vec<usize> = resolution.packages[i]
                .distinct_needs()
                .flat_map(|needs| &needs.dependencies)
                .flat_map(|&j| nodes_of[j].iter().copied())
                .collect();
            targets.sort_unstable();
            targets.dedup();
            targets
        })
        .collect();
    cycles::edges_to_break(&graph)
        .into_iter()
        .flat_map(|(a, b)| {
            let from = order[a];
            let name = &lock.packages[order[b]].name;
            // Drop the edge to the name, whichever version a target resolved it to.
            order.iter().filter(move |&&j| &lock.packages[j].name == name).map(move |&j| (from, j))
        })
        .collect()
}

fn root_plan(
    lock: &Lock,
    project: &Project,
    resolution: &Resolution,
    dropped: &[bool],
    broken: &BTreeSet<(usize, usize)>,
) -> RootPlan {
    let (attr, renamed) = project_attribute(lock, project);
    let cut = CutEdgeReach::new(resolution, broken);
    let list = |per_target: &PerTarget| -> Vec<Conditional> {
        // Per package first (no attribute name built per target), then by attribute: the
        // versions of one name share it.
        let mut on = vec![TargetSet::EMPTY; lock.packages.len()];
        for (t, indices) in per_target.iter().enumerate() {
            for &j in indices {
                on[j] = on[j].with(t);
            }
            // A package reached only through an edge cut to break a cycle is listed here, so
            // that the environment still holds every package the lock resolved.
            for j in cut.cut_off(t, indices) {
                on[j] = on[j].with(t);
            }
        }
        let on = on.into_iter().enumerate().filter(|&(j, targets)| targets != TargetSet::EMPTY && !dropped[j]);
        conditionals(by_attribute(lock, on))
    };
    RootPlan {
        attr,
        renamed,
        version: project.version.clone().unwrap_or_else(|| "0".to_string()),
        build: None,
        main: list(&resolution.roots.main),
        groups: resolution.roots.groups.iter().map(|(g, l)| (g.to_string(), list(l))).collect(),
        locker: lock.format.locker_attribute(),
        extras: resolution.roots.extras.iter().map(|(e, l)| (e.to_string(), list(l))).collect(),
    }
}

/// Names in nixpkgs' Python package set that are its own machinery, not packages, and that a
/// PEP 503 name can spell (its camelCase helpers, `buildPythonPackage` and the like, cannot
/// collide). `python` is the interpreter every package builds with; `lib`, `pkgs`, `stdenv`,
/// `packages` and `bootstrap` are read by nixpkgs' own package definitions. From nixpkgs'
/// `python-packages-base.nix`, `python-packages.nix` and `lib/customisation.nix`.
pub(crate) const RESERVED_ATTRIBUTES: &[&str] =
    &["bootstrap", "disabled", "lib", "packages", "pkgs", "python", "stdenv"];

/// The attribute of the locked package `name` (PEP 503-normalized): the name itself, unless the
/// package set uses it for its machinery; then `<name>-package`, so that the overlay never
/// replaces what every other package is built with.
pub(crate) fn package_attribute(name: &str) -> String {
    if RESERVED_ATTRIBUTES.contains(&name) { format!("{name}-package") } else { name.to_string() }
}

/// The project's attribute: its name (or `project`), unless a locked package or the package
/// set's machinery uses that name; then the first of `<name>-project`, `<name>-project-2`, …
/// that nothing uses, and why.
fn project_attribute(lock: &Lock, project: &Project) -> (String, Option<String>) {
    let name = project.name.as_ref().map_or_else(|| "project".to_string(), ToString::to_string);
    let locked = |attr: &str| lock.packages.iter().any(|p| package_attribute(p.name.as_ref()) == attr);
    let taken = |attr: &str| locked(attr) || RESERVED_ATTRIBUTES.contains(&attr);
    if !taken(&name) {
        return (name, None);
    }
    let why = if locked(&name) {
        format!("`{name}` is the attribute of a locked package")
    } else {
        format!("`{name}` is an attribute of the Python package set itself")
    };
    // The locked packages are finitely many: some number is free.
    let mut attr = format!("{name}-project");
    let mut k = 2;
    while taken(&attr) {
        attr = format!("{name}-project-{k}");
        k += 1;
    }
    (attr, Some(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute_of(project_name: &str, locked: &[&str]) -> (String, Option<String>) {
        let lock = locked
            .iter()
            .map(|n| format!("[[package]]\nname = \"{n}\"\nversion = \"1.0\"\nfiles = []\n\n"))
            .collect::<Vec<_>>()
            .concat();
        let lock = crate::lockfile::poetry::parse(&lock, "poetry.lock").unwrap();
        let pyproject = format!("[tool.poetry]\nname = \"{project_name}\"\n");
        let project = crate::project::parse(&pyproject, "pyproject.toml").unwrap();
        project_attribute(&lock, &project)
    }

    #[test]
    fn the_project_attribute_never_collides() {
        assert_eq!(attribute_of("my-app", &["six"]), ("my-app".into(), None));
        let (attr, why) = attribute_of("Six", &["six", "six-project"]);
        assert_eq!(attr, "six-project-2");
        assert_eq!(why.as_deref(), Some("`six` is the attribute of a locked package"));
        let (attr, why) = attribute_of("python", &[]);
        assert_eq!(attr, "python-project");
        assert_eq!(why.as_deref(), Some("`python` is an attribute of the Python package set itself"));
        // A locked package named like the machinery has its own attribute, which the project
        // may then not take either.
        assert_eq!(attribute_of("lib-package", &["lib"]).0, "lib-package-project");
    }

    #[test]
    fn packages_named_like_the_package_sets_machinery_are_renamed() {
        assert_eq!(package_attribute("python"), "python-package");
        assert_eq!(package_attribute("pkgs"), "pkgs-package");
        assert_eq!(package_attribute("requests"), "requests");
    }
}
