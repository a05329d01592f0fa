//! The per-target graph walk: from the project's roots through the lock's dependency edges,
//! evaluating markers, extras and Python constraints for one target.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

use uv_normalize::GroupName as MarkerGroup;
use uv_pep508::{MarkerEnvironment, MarkerTree};

use super::environment::marker_environment;
use super::target::{PythonMinor, Target};
use super::{NameIndex, Needs};
use crate::constraint::Constraint;
use crate::model::{Conflict, ConflictItem, Dependency, Lock, Package, Source};
use crate::name::{ExtraName, GroupName, PackageName};
use crate::project::Project;

pub(super) struct TargetResolution {
    /// Per package, what it needs where it is installed; its artifact is chosen afterwards,
    /// package by package ([`super::resolve`]).
    pub installed: Vec<Option<Arc<Needs>>>,
    pub main: Vec<usize>,
    pub groups: BTreeMap<GroupName, Vec<usize>>,
    pub extras: BTreeMap<ExtraName, Vec<usize>>,
    /// Roots that hold on this target but name no locked package: (name, where it is asked for).
    pub missing: Vec<(PackageName, String)>,
}

struct Walk<'a> {
    lock: &'a Lock,
    edges: &'a [Vec<EdgeFacts<'a>>],
    rank: &'a [u32],
    needs: &'a SharedNeeds,
    project: &'a Project,
    index: &'a NameIndex,
    target: Target,
    /// The target's bit in [`EdgeFacts::holds_on`]: its place among the targets.
    bit: Option<u64>,
    env: MarkerEnvironment,
    /// Per package: may it be installed on this target at all.
    member: Vec<bool>,
    requested: Vec<Option<BTreeSet<ExtraName>>>,
    /// The conflict items (uv) installed, as markers test them.
    activated: Vec<ExtraName>,
    /// pylock.toml's default groups, and each other group, as PEP 751 markers test them.
    marker_defaults: Vec<MarkerGroup>,
    marker_groups: BTreeMap<GroupName, MarkerGroup>,
    queue: Vec<usize>,
    missing: Vec<(PackageName, String)>,
}

/// Per-package facts computed once for all targets.
pub(super) struct Shared<'a> {
    /// The targets, in order: a target's place is its bit in [`EdgeFacts::holds_on`].
    pub targets: &'a [Target],
    pub index: &'a NameIndex,
    /// Bit `m` set when the package's Python constraint allows 3.m.
    pub python_minors: &'a [u32],
    /// Per package and dependency, what the target does not change (`EdgeFacts::of`).
    pub edges: &'a [Vec<EdgeFacts<'a>>],
    /// Per package, its place in the order of names, then versions ([`ranks`]): the order of
    /// every list a walk returns.
    pub rank: &'a [u32],
    pub needs: &'a SharedNeeds,
}

/// Each package's distinct needs, shared by the targets' walks as they find them: most targets
/// need the same of a package, and a 10,000-package lock's 24 walks built 200,000 needs (two
/// allocations each) to keep a few of each package's.
pub(super) struct SharedNeeds(Vec<Mutex<Vec<Arc<Needs>>>>);

impl SharedNeeds {
    pub(super) fn new(packages: usize) -> Self {
        Self((0..packages).map(|_| Mutex::default()).collect())
    }

    /// Package `i`'s needs with these parts: one found before, or a new one kept.
    fn share(
        &self,
        i: usize,
        dependencies: &[usize],
        extras: &BTreeSet<ExtraName>,
        optional: BTreeMap<ExtraName, Vec<usize>>,
    ) -> Arc<Needs> {
        let mut found = self.0[i].lock().unwrap_or_else(PoisonError::into_inner);
        let same = |needs: &&Arc<Needs>| {
            needs.dependencies == dependencies && needs.extras == *extras && needs.optional == optional
        };
        if let Some(needs) = found.iter().find(same) {
            return Arc::clone(needs);
        }
        let needs = Arc::new(Needs { dependencies: dependencies.to_vec(), extras: extras.clone(), optional });
        found.push(Arc::clone(&needs));
        needs
    }
}

/// Each package's place in the order of names, then versions.
pub(super) fn ranks(lock: &Lock) -> Vec<u32> {
    let mut order: Vec<usize> = (0..lock.packages.len()).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&lock.packages[a], &lock.packages[b]);
        pa.name.cmp(&pb.name).then_with(|| pa.version.cmp(&pb.version))
    });
    let mut rank = vec![0; order.len()];
    for (place, i) in (0u32..).zip(order) {
        rank[i] = place;
    }
    rank
}

/// Bit `m` set when `constraint` allows 3.m, for each of `minors`.
pub(super) fn minor_bits(constraint: &Constraint, minors: &[PythonMinor]) -> u32 {
    minors.iter().filter(|m| constraint.allows_python(**m)).fold(0, |mask, m| mask | 1 << m.0)
}

/// What decides whether an edge is active, beyond the target: computed once for all targets.
pub(super) struct EdgeFacts<'a> {
    /// For an optional edge, the package's extras that list it.
    enabled_by: Vec<ExtraName>,
    /// Whether its marker tests `extra`, so that the extras requested may change its outcome.
    tests_extras: bool,
    /// The locked packages of the dependency's name, newest first: looked up once, not once
    /// per target and visit.
    candidates: &'a [usize],
    /// How each of `candidates` fits the dependency ([`fit`]), worked out once: a version
    /// constraint tested per target and visit was a twentieth of a large lock's run.
    fits: SmallVec<[u8; 2]>,
    /// Bit `m` set when the edge's Python constraint (Poetry's `python = "…"`) allows 3.m,
    /// for each minor of the targets.
    python_minors: u32,
    /// For a marker that tests no extra: bit `t` set when it holds on the `t`-th target
    /// ([`marker_masks`]). `None` for one that tests extras, evaluated on each visit.
    holds_on: Option<u64>,
}

/// Each distinct marker of the lock's dependencies, evaluated once on each target: bit `t`
/// set when it holds on the `t`-th, with no extra. A lock has thousands of edges but few
/// distinct markers, and evaluating them per visit was a twentieth of a large lock's walk.
/// Empty for more than 64 targets, whose markers are then evaluated on each visit.
pub(super) fn marker_masks(lock: &Lock, targets: &[Target]) -> FxHashMap<MarkerTree, u64> {
    if targets.len() > 64 {
        return FxHashMap::default();
    }
    let envs: Vec<MarkerEnvironment> = targets.iter().map(marker_environment).collect();
    let distinct: FxHashSet<MarkerTree> =
        lock.packages.iter().flat_map(|package| package.dependencies.iter().map(|dep| dep.marker)).collect();
    distinct
        .into_iter()
        .map(|marker| {
            let mask = envs
                .iter()
                .enumerate()
                .filter(|(_, env)| marker.evaluate(env, &[]))
                .fold(0, |mask, (t, _)| mask | 1 << t);
            (marker, mask)
        })
        .collect()
}

impl<'a> EdgeFacts<'a> {
    /// `minors`: the Python minors of the targets.
    /// `holds_on`: [`marker_masks`].
    pub(super) fn of(
        lock: &Lock,
        package: &Package,
        index: &'a NameIndex,
        minors: &[PythonMinor],
        holds_on: &FxHashMap<MarkerTree, u64>,
    ) -> Vec<Self> {
        package
            .dependencies
            .iter()
            .map(|dep| {
                let enabled_by = if dep.optional {
                    package
                        .extras
                        .iter()
                        .filter(|(_, names)| names.contains(&dep.name))
                        .map(|(e, _)| e.clone())
                        .collect()
                } else {
                    Vec::new()
                };
                let mut tests_extras = false;
                dep.marker.visit_extras(|_, _| tests_extras = true);
                let python_minors = minor_bits(&dep.python, minors);
                let candidates = index.get(&dep.name);
                let fits = candidates.iter().map(|&i| fit(dep, &lock.packages[i])).collect();
                let holds_on = if tests_extras { None } else { holds_on.get(&dep.marker).copied() };
                Self { enabled_by, tests_extras, candidates, fits, python_minors, holds_on }
            })
            .collect()
    }
}

/// Resolves one target. With `lock_markers`, only packages whose lock 2.1 markers hold may be
/// installed (what Poetry's installer does with `installer.re-resolve = false`); without, the
/// graph alone decides.
pub(super) fn resolve_target(
    lock: &Lock,
    project: &Project,
    shared: &Shared<'_>,
    target: Target,
    lock_markers: bool,
) -> TargetResolution {
    // uv's conflict markers test which conflicting extras are installed, and a dependency's
    // extra is installed once the walk requests it: walk again until that set settles (once
    // more at most, in practice).
    let mut activated = project.activated.clone();
    let (walk, lists) = loop {
        let mut walk = Walk::new(lock, project, shared, target, lock_markers);
        walk.activated.clone_from(&activated);
        let mut lists = walk.run();
        if lock_markers {
            walk.adopt_unreached_members(&mut lists);
        }
        let requested = walk.requested_conflicts();
        if requested.iter().all(|item| activated.contains(item)) {
            break (walk, lists);
        }
        activated.extend(requested.into_iter().filter(|item| !activated.contains(item)).collect::<Vec<_>>());
    };
    let (main, groups, extras) = lists;
    let mut scratch = Vec::new();
    let installed = (0..lock.packages.len()).map(|i| walk.installed(i, &mut scratch)).collect();
    TargetResolution { installed, main, groups, extras, missing: walk.missing }
}

/// Which packages the dependency graph reaches from the roots on `target`, markers of lock
/// 2.1 ignored (Poetry's `installer.re-resolve = true`).
pub(super) fn reachable(lock: &Lock, project: &Project, shared: &Shared<'_>, target: Target) -> Vec<bool> {
    let mut walk = Walk::new(lock, project, shared, target, false);
    walk.run();
    walk.requested.iter().map(Option::is_some).collect()
}

type RootLists = (Vec<usize>, BTreeMap<GroupName, Vec<usize>>, BTreeMap<ExtraName, Vec<usize>>);

impl<'a> Walk<'a> {
    fn new(lock: &'a Lock, project: &'a Project, shared: &Shared<'a>, target: Target, lock_markers: bool) -> Self {
        let env = marker_environment(&target);
        let bit =
            shared.targets.iter().position(|t| *t == target).and_then(|t| 1_u64.checked_shl(u32::try_from(t).ok()?));
        // Lock 2.1 markers may test the project's extras; every extra is a root, so all count.
        let root_extras: Vec<ExtraName> = project
            .extras
            .keys()
            .chain(lock.root_extras.keys())
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let marker_defaults: Vec<MarkerGroup> = default_groups(lock).iter().map(GroupName::to_marker_group).collect();
        let marker_groups: BTreeMap<GroupName, MarkerGroup> =
            project.groups.keys().map(|g| (g.clone(), g.to_marker_group())).collect();
        // A PEP 751 marker may test every group the lock offers.
        let all_groups: Vec<MarkerGroup> = marker_groups.values().chain(&marker_defaults).cloned().collect();
        let member = lock
            .packages
            .iter()
            .zip(shared.python_minors)
            .map(|(p, minors)| {
                minors & (1 << target.python.0) != 0 && (!lock_markers || is_member(p, &env, &root_extras, &all_groups))
            })
            .collect();
        Walk {
            lock,
            edges: shared.edges,
            rank: shared.rank,
            needs: shared.needs,
            project,
            index: shared.index,
            target,
            bit,
            env,
            member,
            requested: vec![None; lock.packages.len()],
            activated: Vec::new(),
            marker_defaults,
            marker_groups,
            queue: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// Walks from every root list through the active edges; returns the root lists.
    fn run(&mut self) -> RootLists {
        let project = self.project;
        let main = self.roots(&project.main, &[], "dependencies");
        let groups = project
            .groups
            .iter()
            .map(|(g, group)| (g.clone(), self.roots(&group.dependencies, &[], &format!("group {g}"))))
            .collect();
        let extras = project
            .extras
            .iter()
            .map(|(e, deps)| (e.clone(), self.roots(deps, std::slice::from_ref(e), &format!("extra {e}"))))
            .collect();
        self.follow_edges();
        (main, groups, extras)
    }

    /// Requests, transitively, what the active edges of every requested package reach.
    fn follow_edges(&mut self) {
        while let Some(i) = self.queue.pop() {
            let extras: Vec<ExtraName> = self.requested[i].iter().flatten().cloned().collect();
            let package = &self.lock.packages[i];
            for (dep, facts) in package.dependencies.iter().zip(&self.edges[i]) {
                if self.edge_active(dep, facts, &extras)
                    && let Some(j) = self.candidate(dep, facts.candidates, Some(&facts.fits))
                {
                    self.request(j, &dep.extras);
                }
            }
        }
    }

    /// Packages a lock 2.1's markers install on this target that no root reaches through the
    /// graph: Poetry's installer (re-resolve = false) installs them all the same, so they join
    /// the root list of each group (or root extra) whose marker holds.
    fn adopt_unreached_members(&mut self, lists: &mut RootLists) {
        let main = GroupName::main();
        let mut adopted = Vec::new();
        for (i, package) in self.lock.packages.iter().enumerate() {
            if !self.member[i] || self.requested[i].is_some() {
                continue;
            }
            if let Some(marker) = package.marker {
                self.adopt_by_pep751_marker(i, marker, lists, &mut adopted);
                continue;
            }
            let Some(membership) = &package.membership else { continue };
            for group in &membership.groups {
                let holds = |extras: &[ExtraName]| {
                    membership.markers.get(group).is_none_or(|marker| marker.evaluate(&self.env, extras))
                };
                if holds(&[]) {
                    let list = if *group == main { Some(&mut lists.0) } else { lists.1.get_mut(group) };
                    if let Some(list) = list {
                        list.push(i);
                        adopted.push(i);
                    }
                } else if *group == main {
                    for (extra, list) in &mut lists.2 {
                        if holds(std::slice::from_ref(extra)) {
                            list.push(i);
                            adopted.push(i);
                        }
                    }
                }
            }
        }
        if adopted.is_empty() {
            return;
        }
        for i in adopted {
            self.request(i, &[]);
        }
        self.follow_edges();
        let mut resort = |list: &mut Vec<usize>| *list = self.sorted(std::mem::take(list));
        resort(&mut lists.0);
        lists.1.values_mut().for_each(&mut resort);
        lists.2.values_mut().for_each(&mut resort);
    }

    /// pylock.toml: a package whose marker holds with the default groups joins the project's
    /// own list; else the list of each extra, and of each other group, for which it holds.
    fn adopt_by_pep751_marker(&self, i: usize, marker: MarkerTree, lists: &mut RootLists, adopted: &mut Vec<usize>) {
        let defaults = self.marker_defaults.as_slice();
        if marker.evaluate_pep751(&self.env, &[], defaults) {
            lists.0.push(i);
            adopted.push(i);
            return;
        }
        for (extra, list) in &mut lists.2 {
            if marker.evaluate_pep751(&self.env, std::slice::from_ref(extra), defaults) {
                list.push(i);
                adopted.push(i);
            }
        }
        for (group, list) in &mut lists.1 {
            let Some(marker_group) = self.marker_groups.get(group) else { continue };
            if marker.evaluate_pep751(&self.env, &[], std::slice::from_ref(marker_group)) {
                list.push(i);
                adopted.push(i);
            }
        }
    }

    /// Resolves a list of root requirements, returning the chosen package indices (sorted).
    fn roots(&mut self, deps: &[Dependency], extras: &[ExtraName], entry: &str) -> Vec<usize> {
        let mut chosen = BTreeSet::new();
        let mut seen_self = BTreeSet::new();
        self.roots_into(deps, extras, entry, &mut chosen, &mut seen_self);
        self.sorted(chosen)
    }

    fn roots_into(
        &mut self,
        deps: &[Dependency],
        extras: &[ExtraName],
        entry: &str,
        chosen: &mut BTreeSet<usize>,
        seen_self: &mut BTreeSet<ExtraName>,
    ) {
        for dep in deps {
            if !(dep.python.allows_python(self.target.python) && self.edge_holds(dep, extras)) {
                continue;
            }
            // `myproject[test]` inside the project's own extras means "also those extras".
            if Some(&dep.name) == self.project.name.as_ref() {
                for extra in &dep.extras {
                    if seen_self.insert(extra.clone())
                        && let Some(more) = self.project.extras.get(extra)
                    {
                        self.roots_into(more, std::slice::from_ref(extra), entry, chosen, seen_self);
                    }
                }
                continue;
            }
            if let Some(i) = self.candidate(dep, self.index.get(&dep.name), None) {
                self.request(i, &dep.extras);
                chosen.insert(i);
            } else if self.index.get(&dep.name).is_empty() {
                // Poetry leaves out requirements whose markers never hold for the project's
                // Python range; one that holds here but is absent means a stale lock.
                self.missing.push((dep.name.clone(), entry.to_string()));
            }
        }
    }

    /// The conflict items (uv's `conflicts`) among the extras the walk requested of packages.
    fn requested_conflicts(&self) -> Vec<ExtraName> {
        let Some(roots) = &self.lock.roots else { return Vec::new() };
        let mut items = Vec::new();
        for conflict in roots.conflicts.iter().flatten() {
            let ConflictItem::Extra(extra) = &conflict.item else { continue };
            let requested = self
                .index
                .get(&conflict.package)
                .iter()
                .any(|&i| self.requested[i].as_ref().is_some_and(|extras| extras.contains(extra)));
            if requested {
                items.push(conflict.marker_extra());
            }
        }
        items
    }

    /// Whether an edge's marker holds on this target, with `extras` requested of its
    /// dependent, and the conflict items of the environment installed (uv's
    /// `extra == 'group-11-pydantic-ai-dev'`), as well as those the edge itself installs
    /// (`pydantic-ai-slim[mcp-tasks]` holds where `extra-16-pydantic-ai-slim-mcp-tasks` is).
    fn edge_holds(&self, dep: &Dependency, extras: &[ExtraName]) -> bool {
        let conflicts = self.lock.roots.as_ref().is_some_and(|roots| !roots.conflicts.is_empty());
        if !conflicts {
            return dep.marker.evaluate(&self.env, extras);
        }
        let own = dep.extras.iter().map(|extra| {
            Conflict { package: dep.name.clone(), item: ConflictItem::Extra(extra.clone()) }.marker_extra()
        });
        let all: Vec<ExtraName> = extras.iter().cloned().chain(self.activated.iter().cloned()).chain(own).collect();
        dep.marker.evaluate(&self.env, &all)
    }

    fn edge_active(&self, dep: &Dependency, facts: &EdgeFacts, extras: &[ExtraName]) -> bool {
        if facts.python_minors & (1 << self.target.python.0) == 0 {
            return false;
        }
        // A marker that tests no extra holds whatever the extras (and conflict items, which
        // markers test as extras) requested.
        let holds = match (facts.holds_on, self.bit) {
            (Some(mask), Some(bit)) => mask & bit != 0,
            _ => self.edge_holds(dep, extras),
        };
        if !holds {
            return false;
        }
        // Optional edges belong to one of the package's extras, which must be requested.
        !dep.optional || facts.enabled_by.iter().any(|e| extras.contains(e))
    }

    /// The locked package a dependency resolves to on this target: the one the lock names,
    /// else among the versions that may be installed here, the first that fits best ([`fit`]).
    /// `candidates`: the locked packages of the dependency's name ([`NameIndex::get`]); `fits`:
    /// how each fits, when worked out beforehand ([`EdgeFacts::fits`]).
    fn candidate(&self, dep: &Dependency, candidates: &[usize], fits: Option<&[u8]>) -> Option<usize> {
        if let Some(i) = dep.target {
            return self.member[i].then_some(i);
        }
        let mut best: Option<(u8, usize)> = None;
        for (at, &i) in candidates.iter().enumerate() {
            if !self.member[i] {
                continue;
            }
            let fit = fits.map_or_else(|| fit(dep, &self.lock.packages[i]), |fits| fits[at]);
            if fit == 0 {
                return Some(i);
            }
            if best.is_none_or(|(best, _)| fit < best) {
                best = Some((fit, i));
            }
        }
        best.map(|(_, i)| i)
    }

    fn request(&mut self, i: usize, extras: &[ExtraName]) {
        match &mut self.requested[i] {
            slot @ None => {
                *slot = Some(extras.iter().cloned().collect());
                self.queue.push(i);
            }
            Some(have) => {
                let before = have.len();
                have.extend(extras.iter().cloned());
                if have.len() != before {
                    self.queue.push(i);
                }
            }
        }
    }

    /// What package `i` needs on this target, if it is installed; `scratch` is reused for the
    /// dependencies, which most targets share ([`SharedNeeds`]).
    fn installed(&self, i: usize, scratch: &mut Vec<usize>) -> Option<Arc<Needs>> {
        let extras = self.requested[i].as_ref()?;
        let package = &self.lock.packages[i];
        let extra_list: Vec<ExtraName> = extras.iter().cloned().collect();
        let edges = || package.dependencies.iter().zip(&self.edges[i]);
        let deps = edges()
            .filter(|(dep, facts)| self.edge_active(dep, facts, &extra_list))
            .filter_map(|(dep, facts)| self.candidate(dep, facts.candidates, Some(&facts.fits)))
            .filter(|&j| j != i);
        // What each of the package's extras adds: edges that only its extras can activate,
        // inactive without them, to packages this target installs.
        let mut added: BTreeMap<&ExtraName, Vec<usize>> = BTreeMap::new();
        for (dep, facts) in edges().filter(|(dep, facts)| dep.optional || facts.tests_extras) {
            if self.edge_active(dep, facts, &[]) {
                continue;
            }
            let Some(j) = self
                .candidate(dep, facts.candidates, Some(&facts.fits))
                .filter(|&j| j != i && self.requested[j].is_some())
            else {
                continue;
            };
            for extra in package.extras.keys() {
                if self.edge_active(dep, facts, std::slice::from_ref(extra)) {
                    added.entry(extra).or_default().push(j);
                }
            }
        }
        let optional = added.into_iter().map(|(extra, set)| (extra.clone(), self.sorted(set))).collect();
        scratch.clear();
        scratch.extend(deps);
        self.sort_by_rank(scratch);
        Some(self.needs.share(i, scratch, extras, optional))
    }

    /// Without repeats, in the order of names and versions ([`Shared::rank`]).
    fn sorted(&self, packages: impl IntoIterator<Item = usize>) -> Vec<usize> {
        let mut list: Vec<usize> = packages.into_iter().collect();
        self.sort_by_rank(&mut list);
        list
    }

    /// [`Self::sorted`] in place.
    fn sort_by_rank(&self, list: &mut Vec<usize>) {
        list.sort_unstable_by_key(|&i| self.rank[i]);
        list.dedup();
    }
}

/// How a locked package fits a dependency, best first: 0 when the constraint allows its
/// version and it comes from the source the dependency names (`source = "private"`), if any;
/// 1 when only the constraint allows it; 2 otherwise, as the only version there may be.
fn fit(dep: &Dependency, package: &Package) -> u8 {
    if !dep.constraint.contains(&package.version) {
        return 2;
    }
    let from_source = match (&dep.source, &package.source) {
        (Some(name), Source::Registry { index: Some(index) }) => index.name.eq_ignore_ascii_case(name),
        (Some(_), _) => false,
        (None, _) => true,
    };
    u8::from(!from_source)
}

/// pylock.toml's `default-groups`.
fn default_groups(lock: &Lock) -> &[GroupName] {
    lock.roots.as_ref().map(|roots| roots.default_groups.as_slice()).unwrap_or_default()
}

/// Whether lock 2.1's per-group markers, or a PEP 751 marker, let a package be installed on
/// the target with some extra or group.
fn is_member(package: &Package, env: &MarkerEnvironment, root_extras: &[ExtraName], groups: &[MarkerGroup]) -> bool {
    if let Some(marker) = package.marker {
        return marker.evaluate_pep751(env, root_extras, groups);
    }
    match &package.membership {
        None => true,
        Some(membership) => membership
            .groups
            .iter()
            .any(|group| membership.markers.get(group).is_none_or(|marker| marker.evaluate(env, root_extras))),
    }
}
