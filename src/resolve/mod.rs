//! Resolve: for every target (system × CPython minor), which locked packages are installed,
//! with which extras and dependency edges, and which artifact each one uses.

mod disagreement;
pub(crate) mod environment;
pub(crate) mod select;
pub(crate) mod tags;
pub(crate) mod target;
mod walk;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use rayon::prelude::*;

use crate::model::Lock;
use crate::name::{ExtraName, GroupName, PackageName};
use crate::project::Project;
pub(crate) use disagreement::Disagreement;
pub(crate) use select::ArtifactChoice;
pub use select::{ArtifactPolicy, Prefer};
use target::{PlatformPolicy, PythonMinor, System, Target};

/// What the caller wants resolved.
#[derive(Debug, Clone)]
pub struct ResolveOptions {
    /// Systems to serve (default: all four).
    pub systems: Vec<System>,
    /// CPython minors to serve, before the project's constraint narrows them (default 3.9–3.14).
    pub pythons: Vec<PythonMinor>,
    pub platform: PlatformPolicy,
    pub artifacts: ArtifactPolicy,
    /// Walk the dependency graph and ignore a lock 2.1's per-package markers (Poetry's
    /// `installer.re-resolve = true`); by default those markers decide, as Poetry's installer
    /// does since 2.3.
    pub re_resolve: bool,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        Self {
            systems: System::ALL.to_vec(),
            pythons: PythonMinor::all().collect(),
            platform: PlatformPolicy::default(),
            artifacts: ArtifactPolicy::default(),
            re_resolve: false,
        }
    }
}

/// The resolution of a lock for every target.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub targets: Vec<Target>,
    /// Aligned with `lock.packages`.
    pub packages: Vec<PackageResolution>,
    pub roots: Roots,
    /// Whether the lock's own per-package markers (lock 2.1) decided what is installed.
    pub follows_lock_markers: bool,
    /// Where those markers leave out packages that the dependency graph reaches.
    pub disagreement: Option<Disagreement>,
    /// Aligned with `lock.packages`: each package's place in the order of names, then
    /// versions, which decides every order that must not depend on the lock's.
    pub rank: Vec<u32>,
}

/// One locked package on every target; `None` where it is not installed.
#[derive(Debug, Clone, Default)]
pub struct PackageResolution {
    pub per_target: Vec<Option<Installed>>,
}

impl PackageResolution {
    pub fn is_used(&self) -> bool {
        self.per_target.iter().any(Option::is_some)
    }

    /// What the package needs on some target, each distinct set once (the targets that need
    /// the same share one copy, as the walks find it).
    pub fn distinct_needs(&self) -> impl Iterator<Item = &Needs> {
        let mut seen: Vec<*const Needs> = Vec::new();
        self.per_target.iter().flatten().filter_map(move |installed| {
            let needs = Arc::as_ptr(&installed.needs);
            (!seen.contains(&needs)).then(|| {
                seen.push(needs);
                &*installed.needs
            })
        })
    }
}

/// A package as installed on one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub artifact: ArtifactChoice,
    /// What it needs, shared by the targets where that is the same: a package's wheel often
    /// differs between targets, its dependencies rarely (a 10,000-package lock on 24 targets
    /// held 240,000 copies).
    pub needs: Arc<Needs>,
}

/// What an installed package brings in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    /// Indices into `lock.packages`, sorted by name then version, without duplicates.
    pub dependencies: Vec<usize>,
    /// Extras of this package that something in the resolution asked for.
    pub extras: BTreeSet<ExtraName>,
    /// For each of the package's extras, the locked packages it adds on this target.
    pub optional: BTreeMap<ExtraName, Vec<usize>>,
}

/// The project's direct dependencies, per target, as indices into `lock.packages`.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    pub main: PerTarget,
    pub groups: BTreeMap<GroupName, PerTarget>,
    pub extras: BTreeMap<ExtraName, PerTarget>,
}

/// One list of package indices per target (aligned with `Resolution::targets`).
pub(crate) type PerTarget = Vec<Vec<usize>>;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(
        "no target left to generate for: the project allows Python {constraint}, and lock2nix serves CPython 3.9 to 3.14 (narrowed by --python to {asked})"
    )]
    NoTargets { constraint: String, asked: String },
    #[error(
        "{pyproject} asks for `{name}` ({entry}) on {target}, but {lock} has no package of that name: the lock is out of date"
    )]
    MissingRoot {
        pyproject: String,
        lock: String,
        name: PackageName,
        entry: String,
        target: String,
        relock: &'static str,
    },
    #[error("{lock}: package `{package}` is needed ({target}) but the lock lists no files for it")]
    NoFiles { lock: String, package: String, target: String, relock: &'static str, tool: &'static str },
}

impl ResolveError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NoTargets { .. } => None,
            Self::MissingRoot { relock, .. } => Some(format!("run `{relock}`")),
            Self::NoFiles { relock, tool, .. } => Some(format!("run `{relock}` again so that {tool} records them")),
        }
    }
}

/// The targets to serve: the requested systems × the requested minors the project allows.
pub(crate) fn targets(lock: &Lock, project: &Project, options: &ResolveOptions) -> Result<Vec<Target>, ResolveError> {
    let pythons: Vec<PythonMinor> = options
        .pythons
        .iter()
        .copied()
        .filter(|p| project.python.allows_python(*p) && lock.python.allows_python(*p))
        .collect();
    if pythons.is_empty() {
        let constraint = if project.python.is_any() { lock.python.to_string() } else { project.python.to_string() };
        let asked = options.pythons.iter().map(std::string::ToString::to_string).collect::<Vec<_>>().join(", ");
        return Err(ResolveError::NoTargets { constraint, asked });
    }
    let mut targets = Vec::new();
    for system in &options.systems {
        for python in &pythons {
            targets.push(Target { system: *system, python: *python });
        }
    }
    Ok(targets)
}

/// Resolves the lock for every target, in parallel.
pub fn resolve(lock: &Lock, project: &Project, options: &ResolveOptions) -> Result<Resolution, ResolveError> {
    let targets = targets(lock, project, options)?;
    let index = NameIndex::new(lock);
    // Each package's Python constraint, as a bit set of the minors it allows, computed once
    // rather than once per target.
    let mut minors: Vec<PythonMinor> = targets.iter().map(|t| t.python).collect();
    minors.sort();
    minors.dedup();
    let python_minors: Vec<u32> = lock.packages.par_iter().map(|p| walk::minor_bits(&p.python, &minors)).collect();
    let file_fits: Vec<Vec<select::FileFit>> = lock
        .packages
        .par_iter()
        .map_init(FxHashMap::default, |seen, p| select::FileFit::of_files(&p.files, options.platform, seen))
        .collect();
    let holds_on = walk::marker_masks(lock, &targets);
    let edges: Vec<Vec<walk::EdgeFacts>> = lock
        .packages
        .par_iter()
        .map(|package| walk::EdgeFacts::of(lock, package, &index, &minors, &holds_on))
        .collect();
    let rank = walk::ranks(lock);
    let needs = walk::SharedNeeds::new(lock.packages.len());
    let shared = walk::Shared {
        targets: &targets,
        index: &index,
        python_minors: &python_minors,
        edges: &edges,
        rank: &rank,
        needs: &needs,
    };
    // A pylock.toml has no graph to re-resolve with: its markers always decide.
    let pep751 = lock.packages.iter().any(|p| p.marker.is_some());
    let lock_markers = pep751 || !options.re_resolve && lock.packages.iter().any(|p| p.membership.is_some());
    let per_target: Vec<walk::TargetResolution> =
        targets.par_iter().map(|&target| walk::resolve_target(lock, project, &shared, target, lock_markers)).collect();
    if let Some((t, (name, entry))) =
        per_target.iter().enumerate().find_map(|(t, r)| r.missing.first().map(|m| (t, m.clone())))
    {
        return Err(ResolveError::MissingRoot {
            pyproject: project.origin.clone(),
            lock: lock.origin.clone(),
            name,
            entry,
            target: targets[t].to_string(),
            relock: lock.format.relock_command(),
        });
    }
    let disagreement = if lock_markers && !pep751 {
        let graph: Vec<Vec<bool>> =
            targets.par_iter().map(|&target| walk::reachable(lock, project, &shared, target)).collect();
        Disagreement::find(lock, &graph, &per_target)
    } else {
        None
    };
    let mut resolution = transpose(lock, targets, per_target, rank, &file_fits, options);
    // A needed package without any file cannot be generated for at all: say so now rather
    // than leave it to fail at evaluation (the first target's first such package).
    for t in 0..resolution.targets.len() {
        let no_files = |state: &PackageResolution| {
            state.per_target[t]
                .as_ref()
                .is_some_and(|s| s.artifact == ArtifactChoice::Unusable(select::Unusable::NoFiles))
        };
        if let Some(i) = resolution.packages.iter().position(no_files) {
            return Err(ResolveError::NoFiles {
                lock: lock.origin.clone(),
                package: lock.packages[i].id(),
                target: resolution.targets[t].to_string(),
                relock: lock.format.relock_command(),
                tool: lock.format.tool(),
            });
        }
    }
    resolution.follows_lock_markers = lock_markers;
    resolution.disagreement = disagreement;
    Ok(resolution)
}

/// The targets' resolutions, package by package, each installed package's artifact chosen on
/// each of its targets: one package's files are read for all targets at once, while they are
/// in the cache (chosen target by target, a large lock's files were read from memory 24 times).
fn transpose(
    lock: &Lock,
    targets: Vec<Target>,
    per_target: Vec<walk::TargetResolution>,
    rank: Vec<u32>,
    file_fits: &[Vec<select::FileFit>],
    options: &ResolveOptions,
) -> Resolution {
    // Not `vec![…; n]`: its clones of an empty Vec would drop the capacity.
    let mut needs: Vec<Vec<Option<Arc<Needs>>>> =
        (0..lock.packages.len()).map(|_| Vec::with_capacity(targets.len())).collect();
    let mut roots = Roots::default();
    for resolved in per_target {
        for (package, installed) in needs.iter_mut().zip(resolved.installed) {
            package.push(installed);
        }
        roots.main.push(resolved.main);
        for (group, list) in resolved.groups {
            roots.groups.entry(group).or_default().push(list);
        }
        for (extra, list) in resolved.extras {
            roots.extras.entry(extra).or_default().push(list);
        }
    }
    let packages = needs
        .into_par_iter()
        .enumerate()
        .map_init(tags::KnownRanks::default, |ranks, (i, needs)| {
            let package = &lock.packages[i];
            let mut choose = |t: usize| {
                let (fits, target) = (&file_fits[i], targets[t]);
                select::select_artifact(package, fits, target, options.platform, &options.artifacts, ranks)
            };
            let per_target = needs
                .into_iter()
                .enumerate()
                .map(|(t, needs)| needs.map(|needs| Installed { artifact: choose(t), needs }))
                .collect();
            PackageResolution { per_target }
        })
        .collect();
    Resolution { targets, packages, roots, follows_lock_markers: false, disagreement: None, rank }
}

/// Package indices by name (a name may be locked at several versions), the highest version
/// first: where several versions fit a dependency, Poetry's solver takes the highest.
pub(crate) struct NameIndex {
    by_name: FxHashMap<PackageName, Vec<usize>>,
}

impl NameIndex {
    pub(crate) fn new(lock: &Lock) -> Self {
        let mut by_name: FxHashMap<PackageName, Vec<usize>> = FxHashMap::default();
        for (i, package) in lock.packages.iter().enumerate() {
            by_name.entry(package.name.clone()).or_default().push(i);
        }
        for indices in by_name.values_mut().filter(|indices| indices.len() > 1) {
            indices.sort_by(|&a, &b| lock.packages[b].version.cmp(&lock.packages[a].version));
        }
        Self { by_name }
    }

    pub(crate) fn get(&self, name: &PackageName) -> &[usize] {
        self.by_name.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests;
