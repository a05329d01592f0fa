//! The whole pipeline behind `lock2nix`: read → resolve → fetch → plan → render.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::fetch::{self, FetchOptions, FileLocation, Located, ProjectQuery};
use crate::inference::{self, InferOptions};
use crate::model::{Lock, Source};
use crate::name::PackageName;
use crate::overrides::{ArtifactKind as Kind, Database, OverrideError};
use crate::plan::{self, Locations, Plan};
use crate::project::{self, Project};
use crate::render::{self, Header};
use crate::resolve::{self, Resolution, ResolveOptions};
use crate::{lockfile, model::LockFormat};

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub lock: PathBuf,
    /// Defaults to the pyproject.toml next to the lock.
    pub pyproject: Option<PathBuf>,
    pub resolve: ResolveOptions,
    pub fetch: FetchOptions,
    pub overrides: OverrideOptions,
    /// Read build systems and native libraries from the chosen artifacts (downloads them once);
    /// `None` turns inference off.
    pub infer: Option<InferOptions>,
    /// The command line, for the header.
    pub command: String,
}

/// Which override entries apply.
#[derive(Debug, Clone)]
pub struct OverrideOptions {
    /// The database compiled into lock2nix (`--no-builtin-overrides` turns it off).
    pub builtin: bool,
    /// `--overrides FILE`: entries that win over the built-in ones.
    pub file: Option<PathBuf>,
}

impl Default for OverrideOptions {
    fn default() -> Self {
        Self { builtin: true, file: None }
    }
}

impl OverrideOptions {
    /// The database these options describe.
    pub fn database(&self) -> Result<Database, OverrideError> {
        let db = Database::builtin()?;
        let db = if self.builtin { db } else { db.without_entries() };
        match &self.file {
            Some(file) => db.with_user_file(file),
            None => Ok(db),
        }
    }
}

/// The generated file and what it took.
#[derive(Debug)]
pub struct Generated {
    pub nix: String,
    pub stats: Stats,
    /// Things the user should know that did not stop the run.
    pub warnings: Vec<String>,
    /// The pipeline's intermediate data, handed to the caller rather than freed here: a
    /// process that exits right after writing the file can skip freeing it (a measurable
    /// share of a warm run).
    pub intermediates: Intermediates,
}

/// Everything the stages built on the way to the Nix text.
#[derive(Debug)]
pub struct Intermediates {
    pub lock: Lock,
    pub project: Project,
    pub resolution: Resolution,
    pub located: Located,
    pub plan: Plan,
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub packages: usize,
    pub targets: usize,
    pub requests: usize,
    pub cache_hits: usize,
    /// Artifacts downloaded for inference.
    pub downloads: usize,
    /// Artifacts inference left unread for their size.
    pub too_large: usize,
    pub parse: Duration,
    pub resolve: Duration,
    pub fetch: Duration,
    pub render: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Lock(#[from] lockfile::LockError),
    #[error(transparent)]
    Project(#[from] project::ProjectError),
    #[error(transparent)]
    Resolve(#[from] resolve::ResolveError),
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    #[error(transparent)]
    Overrides(#[from] OverrideError),
    #[error(
        "{package}: {lock} lists {files}, but the index {index} offers none of them with a sha256 (deleted, never uploaded there, or the lock is stale); run `poetry lock` again"
    )]
    NotOnIndex { package: String, files: String, lock: String, index: String },
}

/// Runs the pipeline.
pub fn generate(options: &GenerateOptions) -> Result<Generated, GenerateError> {
    let mut stats = Stats::default();
    let started = Instant::now();
    let lock = lockfile::read(&options.lock)?;
    let pyproject = options
        .pyproject
        .clone()
        .unwrap_or_else(|| options.lock.parent().unwrap_or(std::path::Path::new(".")).join("pyproject.toml"));
    let project = project::read(&pyproject)?;
    let db = options.overrides.database()?;
    stats.parse = started.elapsed();

    let started = Instant::now();
    let resolve_options = with_forced_artifacts(&options.resolve, &lock, &db);
    let mut resolution = resolve::resolve(&lock, &project, &resolve_options)?;
    stats.resolve = started.elapsed();

    let started = Instant::now();
    let located = fetch::locate(&queries(&lock, &resolution, &options.fetch.index_url), &options.fetch)?;
    stats.fetch = started.elapsed();
    stats.requests = located.requests;
    stats.cache_hits = located.cache_hits;

    // A locked file the index does not offer: choose again without such files, and say so.
    let index = LocationIndex::new(&located);
    let mut warnings = Vec::new();
    let missing = missing_files(&lock, &resolution, &index);
    let chosen_missing = chosen(&lock, &resolution, &missing);
    if !chosen_missing.is_empty() {
        for (package, file) in &chosen_missing {
            warnings.push(format!(
                "{package}: {file} is listed in {} but the index does not offer it; using the next best artifact",
                lock.origin
            ));
        }
        let mut retry = resolve_options.clone();
        retry.artifacts.unavailable.extend(missing);
        let started = Instant::now();
        let second = resolve::resolve(&lock, &project, &retry)?;
        stats.resolve += started.elapsed();
        check_nothing_lost(&lock, &resolution, &second, &options.fetch.index_url)?;
        resolution = second;
    }

    let inferred = if let Some(limits) = &options.infer {
        let started = Instant::now();
        let inferred = inference::infer(&lock, &resolution, &index, &options.fetch, limits)?;
        stats.fetch += started.elapsed();
        stats.downloads = inferred.downloads;
        stats.too_large = inferred.too_large;
        Some(inferred)
    } else {
        None
    };

    let started = Instant::now();
    let plan = plan::plan(&lock, &project, &resolution, &index, &plan::Fixes::new(&db, &lock, inferred.as_ref()))?;
    warnings.extend(inference_gaps(&plan));
    drop(index);
    let nix = render::render(&plan, &header(&lock, &plan, options));
    stats.render = started.elapsed();
    stats.packages = plan.packages.len();
    stats.targets = plan.targets.len();
    Ok(Generated { nix, stats, warnings, intermediates: Intermediates { lock, project, resolution, located, plan } })
}

/// What inference could not settle (unknown sonames, artifacts it could not read or skipped
/// for their size), which the generated file only mentions in a comment.
fn inference_gaps(plan: &Plan) -> Vec<String> {
    let mut warnings = Vec::new();
    for version in plan.packages.iter().flat_map(|n| &n.versions) {
        for artifact in &version.artifacts {
            let (plan::PlannedArtifact::Wheel(download, fixups) | plan::PlannedArtifact::Sdist(download, fixups)) =
                artifact
            else {
                continue;
            };
            let gap = |line: &&String| line.starts_with("unknown sonames") || line.contains("not inferred");
            for line in fixups.provenance.iter().filter(gap) {
                warnings.push(format!("{} {} ({}): {line}", version.pname, version.version, download.file));
            }
        }
    }
    warnings
}

/// The policy plus the database's forced artifact kinds (`artifact = "sdist"`); the
/// command line's `--no-binary`/`--only-binary` win over the database.
fn with_forced_artifacts(options: &ResolveOptions, lock: &Lock, db: &Database) -> ResolveOptions {
    let mut options = options.clone();
    for package in &lock.packages {
        let policy = &mut options.artifacts;
        if policy.no_binary.contains(&package.name) || policy.only_binary.contains(&package.name) {
            continue;
        }
        match db.forced_artifact(&package.name, &package.version) {
            Some(Kind::Sdist) => policy.no_binary.insert(package.name.clone()),
            Some(Kind::Wheel) => policy.only_binary.insert(package.name.clone()),
            None => false,
        };
    }
    options
}

/// Falling back must not leave a package-target that had a file with none at all.
fn check_nothing_lost(
    lock: &Lock,
    before: &Resolution,
    after: &Resolution,
    default_index: &str,
) -> Result<(), GenerateError> {
    use resolve::ArtifactChoice::{Sdist, Unusable, Wheel};
    for (i, (old, new)) in before.packages.iter().zip(&after.packages).enumerate() {
        let lost = old.per_target.iter().zip(&new.per_target).any(|(a, b)| {
            matches!((a, b), (Some(a), Some(b)) if matches!(a.artifact, Wheel(_) | Sdist(_)) && matches!(b.artifact, Unusable(_)))
        });
        if lost {
            let package = &lock.packages[i];
            let index = match &package.source {
                Source::Registry { index: Some(index) } => &index.url,
                _ => default_index,
            };
            let files = package.files.iter().map(|f| f.filename.as_str()).collect::<Vec<_>>().join(", ");
            return Err(GenerateError::NotOnIndex {
                package: package.id(),
                files,
                lock: lock.origin.clone(),
                index: fetch::redact_url(index),
            });
        }
    }
    Ok(())
}

/// Files of located packages that the index did not list (with a sha256).
fn missing_files(lock: &Lock, resolution: &Resolution, located: &LocationIndex<'_>) -> BTreeSet<(PackageName, String)> {
    plan::packages_to_locate(lock, resolution)
        .into_iter()
        .flat_map(|i| {
            let package = &lock.packages[i];
            package
                .files
                .iter()
                .filter(|f| located.find(&package.name, &f.filename).is_none())
                .map(|f| (package.name.clone(), f.filename.clone()))
        })
        .collect()
}

/// The members of `missing` that some target chose.
fn chosen(
    lock: &Lock,
    resolution: &Resolution,
    missing: &BTreeSet<(PackageName, String)>,
) -> BTreeSet<(PackageName, String)> {
    let mut out = BTreeSet::new();
    if missing.is_empty() {
        return out;
    }
    for (package, state) in lock.packages.iter().zip(&resolution.packages) {
        for installed in state.per_target.iter().flatten() {
            if let resolve::ArtifactChoice::Wheel(f) | resolve::ArtifactChoice::Sdist(f) = installed.artifact {
                let key = (package.name.clone(), package.files[f].filename.clone());
                if missing.contains(&key) {
                    out.insert(key);
                }
            }
        }
    }
    out
}

/// Parses, resolves and plans with given locations (no network): used by tests and benches.
/// Like a run without inference: the override database's forced artifacts and fixups apply.
pub fn plan_offline(
    lock: &Lock,
    project: &Project,
    options: &ResolveOptions,
    locations: &dyn Locations,
    db: &Database,
) -> Result<(Resolution, Plan), GenerateError> {
    let resolution = resolve::resolve(lock, project, &with_forced_artifacts(options, lock, db))?;
    let plan = plan::plan(lock, project, &resolution, locations, &plan::Fixes::new(db, lock, None))?;
    Ok((resolution, plan))
}

/// One query per (index, project), holding the files of every locked version of it.
pub fn queries(lock: &Lock, resolution: &Resolution, default_index: &str) -> Vec<ProjectQuery> {
    let mut grouped: BTreeMap<(String, PackageName), ProjectQuery> = BTreeMap::new();
    for i in plan::packages_to_locate(lock, resolution) {
        let package = &lock.packages[i];
        let index_url = match &package.source {
            Source::Registry { index: Some(index) } => index.url.clone(),
            _ => default_index.to_string(),
        };
        grouped
            .entry((index_url.clone(), package.name.clone()))
            .or_insert_with(|| ProjectQuery { index_url, project: package.name.clone(), files: Vec::new() })
            .files
            .extend(package.files.iter().cloned());
    }
    grouped.into_values().collect()
}

/// [`Located`] keyed by borrowed names, so that planning looks files up without allocating.
struct LocationIndex<'a>(FxHashMap<(&'a PackageName, &'a str), &'a FileLocation>);

impl<'a> LocationIndex<'a> {
    fn new(located: &'a Located) -> Self {
        Self(located.files.iter().map(|((package, file), location)| ((package, file.as_str()), location)).collect())
    }
}

impl Locations for LocationIndex<'_> {
    fn find(&self, package: &PackageName, filename: &str) -> Option<(&str, &str)> {
        self.0.get(&(package, filename)).map(|location| (location.url.as_str(), location.sha256_hex.as_str()))
    }
}

/// The header: tool, command, and what the file was generated for.
pub fn header(lock: &Lock, plan: &Plan, options: &GenerateOptions) -> Header {
    let LockFormat::Poetry { lock_version } = &lock.format;
    let systems: Vec<&str> = {
        let mut s: Vec<&str> = plan.targets.iter().map(|t| t.system.as_nix()).collect();
        s.dedup();
        s
    };
    let mut pythons: Vec<String> = plan.targets.iter().map(|t| t.python.to_string()).collect();
    pythons.sort_by_key(|p| p.split('.').nth(1).and_then(|m| m.parse::<u32>().ok()));
    pythons.dedup();
    let policy = &options.resolve;
    Header {
        tool: format!("lock2nix {}", env!("CARGO_PKG_VERSION")),
        command: options.command.clone(),
        notes: vec![
            format!(
                "Lock: Poetry lock {}, {} packages",
                lock_version.as_deref().unwrap_or("1.0 (unversioned)"),
                lock.packages.len()
            ),
            format!("Systems: {}; CPython {}", systems.join(", "), pythons.join(", ")),
            format!(
                "Artifacts: prefer {}; manylinux up to glibc {}.{}; macOS {}.{} or newer",
                match policy.artifacts.prefer {
                    resolve::Prefer::Wheel => "wheels",
                    resolve::Prefer::Sdist => "sdists",
                },
                policy.platform.glibc.0,
                policy.platform.glibc.1,
                policy.platform.macos.0,
                policy.platform.macos.1
            ) + &name_list("; from source", &policy.artifacts.no_binary)
                + &name_list("; never from source", &policy.artifacts.only_binary),
        ],
    }
}

/// `label: a, b` for a non-empty set of names, else nothing.
fn name_list(label: &str, names: &BTreeSet<PackageName>) -> String {
    if names.is_empty() {
        return String::new();
    }
    format!("{label}: {}", names.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
}
