//! The whole pipeline behind `lock2nix`: read → resolve → fetch → plan → render.

mod edges;
mod header;
mod indexes;
mod memo;
mod missing;
mod unlisted;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::fetch::{self, FetchOptions, FileLocation, Located, ProjectQuery};
use crate::inference::{self, InferOptions};
use crate::lockfile;
use crate::model::{Lock, LockFormat, Package, Sha256, Source};
use crate::name::PackageName;
use crate::overrides::{ArtifactKind as Kind, Database, OverrideError};
use crate::plan::{self, Locations, Plan, Provenance};
use crate::project::{self, Project};
use crate::render;
use crate::render::NixText;
use crate::resolve::{self, ArtifactChoice, Resolution, ResolveOptions};
use crate::safe_url::DisplaySafeUrl;
use crate::warning::{Warning, WarningKind};
use header::header;
pub use header::recorded_command;

/// Everything one run needs.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub lock: PathBuf,
    /// Defaults to the pyproject.toml next to the lock.
    pub pyproject: Option<PathBuf>,
    /// Where the file goes (`None`: standard output). Paths the file records are relative to
    /// its folder; for standard output, to the working directory.
    pub output: Option<PathBuf>,
    pub resolve: ResolveOptions,
    pub fetch: FetchOptions,
    pub overrides: OverrideOptions,
    /// Read build systems and native libraries from the chosen artifacts (downloads them once);
    /// `None` turns inference off.
    pub infer: Option<InferOptions>,
    /// Generate even when the index no longer offers files the lock needs, or a remote cannot
    /// be reached: such packages become attributes that throw when used (`--allow-missing`).
    pub allow_missing: bool,
    /// `--hashes FILE`: hashes computed for git and url sources, read and then extended.
    pub hashes: Option<PathBuf>,
    /// Whether to write what this run computed to the `--hashes` file (not for `check`).
    pub update_hashes: bool,
    /// `--source NAME=URL`: named index sources pointed at another index (`pypi` is the
    /// default index).
    pub sources: BTreeMap<String, DisplaySafeUrl>,
    /// `--variant NAME`: of extras and groups that cannot be installed together (uv's
    /// conflicts), the ones this file holds.
    pub variants: Vec<String>,
    /// Answer from the run memo in the cache when nothing the run reads has changed, and
    /// remember this run there (see `generate/memo.rs`). Without a cache folder there is no memo.
    pub memo: bool,
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
    /// The database these options describe; a user file's entries name it as given.
    pub fn database(&self) -> Result<Database, OverrideError> {
        self.database_naming_file(|path| path.display().to_string())
    }

    /// [`Self::database`], the user file named by `name` in its entries' provenance.
    fn database_naming_file(&self, name: impl Fn(&Path) -> String) -> Result<Database, OverrideError> {
        let db = Database::builtin()?;
        let db = if self.builtin { db } else { db.without_entries() };
        match &self.file {
            Some(file) => db.with_user_file(file, &name(file)),
            None => Ok(db),
        }
    }
}

/// The generated file and what it took.
#[derive(Debug)]
pub struct Generated {
    pub nix: NixText,
    pub stats: Stats,
    /// Things the user should know that did not stop the run.
    pub warnings: Vec<Warning>,
    /// The lock is stale against pyproject.toml (also among the warnings).
    pub stale_lock: Option<StaleLock>,
    /// The plan, handed to the caller rather than freed here: a process that exits right after
    /// writing the file can skip freeing it (a measurable share of a warm run). What led to the
    /// plan is freed before rendering, whose text reuses its memory. `None` for an answer from
    /// the run memo.
    pub intermediates: Option<Intermediates>,
}

/// What the stages built on the way to the Nix text that the caller may still use.
#[derive(Debug)]
pub struct Intermediates {
    /// The lock's format's command that writes it again.
    relock_command: &'static str,
    pub(crate) plan: Plan,
}

impl Intermediates {
    /// What `init` writes its starter files from.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The command that writes the lock again (`poetry lock`, `uv lock`).
    pub fn relock_command(&self) -> &'static str {
        self.relock_command
    }
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub packages: usize,
    pub targets: usize,
    pub requests: usize,
    pub cache_hits: usize,
    /// Artifacts downloaded for inference.
    pub downloads: usize,
    /// Wheels whose dependencies came from the index's PEP 658 `.metadata` file instead.
    pub metadata_files: usize,
    /// Artifacts inference left unread for their size.
    pub too_large: usize,
    /// Git repositories cloned and files downloaded to hash them (none when `--hashes` or the
    /// cache knew them).
    pub remote_sources: usize,
    /// The answer came from the run memo: nothing the run reads had changed.
    pub from_memo: bool,
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
    /// Boxed: its largest variant would make every `Result` of the pipeline large.
    #[error(transparent)]
    Fetch(Box<fetch::FetchError>),
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    #[error(transparent)]
    Overrides(#[from] OverrideError),
    #[error(transparent)]
    Missing(#[from] missing::MissingError),
    #[error(transparent)]
    Hashes(#[from] fetch::hashes::HashesError),
    #[error(transparent)]
    Source(#[from] indexes::SourceError),
}

impl GenerateError {
    /// What the user can do about it, apart from the message (which says what went wrong), so
    /// that the terminal, `check` and any later output format show it the same way.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Lock(error) => error.hint().map(String::from),
            Self::Project(error) => error.hint().map(String::from),
            Self::Resolve(error) => error.hint(),
            Self::Fetch(error) => error.hint().map(String::from),
            Self::Missing(error) => Some(error.hint()),
            Self::Plan(_) | Self::Overrides(_) | Self::Hashes(_) | Self::Source(_) => None,
        }
    }
}

impl From<fetch::FetchError> for GenerateError {
    fn from(error: fetch::FetchError) -> Self {
        Self::Fetch(Box::new(error))
    }
}

/// Runs the pipeline, or answers from the run memo when the options ask for it and nothing the
/// remembered run read has changed (`--refresh` always runs).
pub fn generate(options: &GenerateOptions) -> Result<Generated, GenerateError> {
    remembered_run(options, |_| (), None).map(|(generated, ())| generated)
}

/// [`generate`], then `deliver` given the result while the run memo remembers it: the two are
/// a run's last steps, and neither needs the other. `deliver` writes the file to
/// `options.output` (or standard output), and the memo then keeps that file as its copy.
pub fn generate_then<T>(
    options: &GenerateOptions,
    deliver: impl FnOnce(&Generated) -> T,
) -> Result<(Generated, T), GenerateError> {
    remembered_run(options, deliver, options.output.as_deref())
}

/// [`generate_then`]; `output` is the file `deliver` writes, if it writes one.
fn remembered_run<T>(
    options: &GenerateOptions,
    deliver: impl FnOnce(&Generated) -> T,
    output: Option<&Path>,
) -> Result<(Generated, T), GenerateError> {
    let memo = options.memo.then(|| memo::Memo::for_run(options)).flatten();
    if let Some(memo) = &memo {
        memo.empty_trash();
        if let Some(output) = output {
            memo.keep_replaced(output);
        }
    }
    if let Some(remembered) = memo.as_ref().filter(|_| !options.fetch.refresh).and_then(memo::Memo::recall) {
        let out = deliver(&remembered);
        return Ok((remembered, out));
    }
    // Read on a thread of its own while the lock is read and resolved.
    let located_memory = fetch::LocatedMemory::start(&options.fetch, &options.lock);
    let Some(memo) = memo else {
        let generated = run(options, located_memory)?;
        let out = deliver(&generated);
        return Ok((generated, out));
    };
    let recording = fetch::witness::Recording::start();
    let generated = run(options, located_memory)?;
    // The --hashes file as this run left it, not as it read it (the later sight wins).
    if let Some(path) = options.hashes.as_ref().filter(|_| options.update_hashes) {
        let _ = fetch::witness::read_to_string(path);
    }
    let witnesses = recording.finish();
    let out = std::thread::scope(|scope| {
        // Digested while the file is delivered; without an output file, the text is copied
        // beside the entry meanwhile too.
        let remembering = scope.spawn(|| {
            let entry = memo.entry(&generated, witnesses)?;
            if output.is_none() {
                memo.write_text(&generated).ok()?;
            }
            Some(entry)
        });
        let out = deliver(&generated);
        let entry = remembering.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // The output file, once written, is the remembered text (or, across file systems, a copy).
        let text = |output: &Path| memo.link_text(output).or_else(|_| memo.write_text(&generated));
        if let Some(entry) = entry
            && output.is_none_or(|output| text(output).is_ok())
        {
            memo.write_entry(&entry);
        }
        out
    });
    Ok((generated, out))
}

/// The pipeline itself; `located_memory` is what the last run of this lock located.
fn run(options: &GenerateOptions, located_memory: Option<fetch::LocatedMemory>) -> Result<Generated, GenerateError> {
    let mut stats = Stats::default();
    let started = Instant::now();
    // pyproject.toml and the overrides are read while the lock is: the lock's first steps
    // (reading, digesting, cutting it into pieces) leave a core free. Errors are reported in
    // the order the files were read in before.
    let pyproject = pyproject_path(options);
    let paths = header::RecordedPaths::new(options);
    let (lock, (read_project, db)) = rayon::join(
        || lockfile::read(&options.lock),
        || (project::read(&pyproject), options.overrides.database_naming_file(|path| paths.relative(path))),
    );
    let mut lock = lock?;
    let project = project::for_lock_read(&lock, &pyproject, read_project, &options.variants)?;
    let db = db?;
    stats.parse = started.elapsed();
    let stale = stale_lock(&lock, &project);
    let mut warnings: Vec<Warning> = stale
        .iter()
        .map(|stale| {
            Warning::new(
                WarningKind::StaleLock,
                &stale.lock,
                format!("{stale}: run `poetry lock` (Poetry refuses to install from the lock until then; this file follows the lock as it is)"),
            )
        })
        .collect();
    warnings.extend(project.warnings.iter().cloned());

    // Named index sources: the URL pyproject.toml or --source gives them, and credentials.
    let (default_index, source_warnings) =
        indexes::point_sources(&mut lock, &project, &options.sources, &options.fetch.index_url)?;
    warnings.extend(source_warnings);
    let named = indexes::named_sources(&lock);
    let (credentials, netrc_warnings) = fetch::credentials::Credentials::discover(&named, default_index.expose());
    warnings.extend(netrc_warnings);
    let fetch_options = FetchOptions { index_url: default_index, credentials, ..options.fetch.clone() };
    let fetch_options = &fetch_options;

    let started = Instant::now();
    let (from_index, lookup) = unlisted::fill_from_index(&mut lock, fetch_options, options.allow_missing)?;
    warnings.extend(from_index);
    stats.fetch = started.elapsed();
    stats.requests = lookup.requests;
    stats.cache_hits = lookup.cache_hits;

    let started = Instant::now();
    let mut resolve_options = with_forced_artifacts(&options.resolve, &lock, &project, &db);
    // Packages the lock names no files for, on an index that could not be reached.
    resolve_options.artifacts.unreachable = lock
        .packages
        .iter()
        .filter(|p| {
            p.files.is_empty()
                && lookup.unreachable.contains_key(&fetch::index_key(index_of(p, &fetch_options.index_url)))
        })
        .map(|p| p.name.clone())
        .collect();
    let mut resolution = resolve::resolve(&lock, &project, &resolve_options)?;
    stats.resolve = started.elapsed();
    warnings.extend(resolution.disagreement.as_ref().map(|d| d.warning(&lock, &resolution.targets)));

    let started = Instant::now();
    let mut located = fetch::locate_with_memory(
        &queries(&lock, &resolution, &fetch_options.index_url, options.allow_missing),
        fetch_options,
        located_memory,
    )?;
    // Files whose URL the lock gives without a sha256 (pylock.toml's `hashes = {}`): hashed
    // by download, like an index file without one.
    for i in plan::packages_to_pin_files(&lock, &resolution) {
        let package = &lock.packages[i];
        for file in package.files.iter().filter(|f| f.locked_location().is_none()) {
            if let Some(url) = &file.url {
                located
                    .unhashed
                    .entry((package.name.clone(), file.filename.clone()))
                    .or_insert_with(|| (**url).clone());
            }
        }
    }
    // Packages the lock names no files for, whose index could not be reached (--allow-missing).
    for (index, why) in lookup.unreachable {
        warnings.push(Warning::new(
            WarningKind::UnreachableRemote,
            &index,
            format!("index {index} could not be reached ({why}); the packages the lock names no files for on it throw when used (--allow-missing)"),
        ));
        located.unreachable.entry(index).or_insert(why);
    }
    stats.fetch += started.elapsed();
    stats.requests += located.requests;
    stats.cache_hits += located.cache_hits;

    // Git, url and path sources: pinned to a commit, a hash or a path beside the output.
    let started = Instant::now();
    let known = match &options.hashes {
        Some(path) => fetch::hashes::Hashes::read(path)?,
        None => fetch::hashes::Hashes::default(),
    };
    let project_dir = pyproject.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let relative = |path: &Path| paths.relative(path);
    let pin_options =
        fetch::PinOptions { project_dir, relative: &relative, known: &known, allow_missing: options.allow_missing };
    let to_pin = plan::packages_to_pin(&lock, &resolution);
    let pinned = fetch::pin(&lock, &to_pin, &located.unhashed, fetch_options, &pin_options)?;
    stats.fetch += started.elapsed();
    stats.remote_sources = pinned.fetched;
    warnings.extend(unreachable_warnings(&lock, &pinned));

    // In package mode, with a build system to build it with, the project is built from its
    // own folder.
    let project_source = (project.package_mode && project.declares_build_system && project.name.is_some())
        .then(|| plan::LocalPath { path: paths.relative(project_dir), directory: true });

    // A locked file the index does not offer: choose again without such files, and say so.
    let index = LocationIndex::new(&located, &pinned, project_source, indexes::build_auth(&named), &paths);
    let gaps = missing::IndexGaps::find(&lock, &resolution, &index, &located);
    if !gaps.is_empty() {
        resolve_options.artifacts.unavailable.extend(gaps.unavailable().iter().cloned());
        let started = Instant::now();
        let second = resolve::resolve(&lock, &project, &resolve_options)?;
        stats.resolve += started.elapsed();
        warnings.extend(gaps.outcome(&lock, &second, options)?);
        resolution = second;
    }

    let inferred = if let Some(limits) = &options.infer {
        let started = Instant::now();
        let inferred = inference::infer(&lock, &resolution, &index, fetch_options, limits)?;
        stats.fetch += started.elapsed();
        stats.downloads = inferred.downloads;
        stats.metadata_files = inferred.metadata_files;
        stats.too_large = inferred.too_large;
        Some(inferred)
    } else {
        None
    };
    // A lock without a graph: the edges its wheels declare, and the walk again with them.
    let used: Vec<bool> = resolution.packages.iter().map(super::resolve::PackageResolution::is_used).collect();
    let (added, edge_warnings) = edges::add_inferred_edges(&mut lock, inferred.as_ref(), &pinned, &used);
    warnings.extend(edge_warnings);
    if added {
        let started = Instant::now();
        resolution = resolve::resolve(&lock, &project, &resolve_options)?;
        stats.resolve += started.elapsed();
    }

    let started = Instant::now();
    let plan = plan::plan(&lock, &project, &resolution, &index, &plan::Fixes::new(&db, &lock, inferred.as_ref()))?;
    warnings.extend(inference_gaps(&plan));
    warnings.extend(plan.root.renamed.as_ref().map(|why| {
        Warning::new(
            WarningKind::ProjectAttributeRenamed,
            &plan.root.attr,
            format!("the project's attribute is `{}`: {why}", plan.root.attr),
        )
    }));
    warnings.extend(empty_project(&lock, &project, &plan));
    drop(index);
    let header = header(&lock, &plan, &resolution, options, &paths);
    // The plan holds what rendering needs: what led to it is freed first, the lock too, so that
    // the rendered text reuses their memory rather than adding to it at the peak. Freed on both
    // cores, and waited for: freed on a thread of its own while rendering ran, it raced the
    // text to the peak (BENCHMARKS.md, eighth round).
    let relock_command = lock.format.relock_command();
    let packages = std::mem::take(&mut lock.packages);
    rayon::join(move || packages.into_par_iter().for_each(drop), move || drop((lock, resolution, located, project)));
    let nix = render::render(&plan, &header);
    stats.render = started.elapsed();
    if let Some(path) = options.hashes.as_ref().filter(|_| options.update_hashes) {
        let mut all = known;
        all.git.extend(pinned.hashes.git);
        all.urls.extend(pinned.hashes.urls);
        all.write(path)?;
    }
    stats.packages = plan.packages.len();
    stats.targets = plan.targets.len();
    Ok(Generated {
        nix,
        stats,
        warnings,
        stale_lock: stale,
        intermediates: Some(Intermediates { relock_command, plan }),
    })
}

/// A lock whose content-hash Poetry rejects: pyproject.toml changed since locking.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StaleLock {
    pub lock: String,
    pub pyproject: String,
    /// The lock's content-hash, and the one Poetry computes today.
    pub recorded: String,
    pub expected: String,
}

impl std::fmt::Display for StaleLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let short = |hash: &str| format!("{}…", hash.get(..12).unwrap_or(hash));
        write!(
            f,
            "{} is stale against {} (its content-hash {} is not the {} Poetry computes from the dependencies, groups, extras and sources {} declares now)",
            self.lock,
            self.pyproject,
            short(&self.recorded),
            short(&self.expected),
            Path::new(&self.pyproject).file_name().and_then(|name| name.to_str()).unwrap_or(&self.pyproject),
        )
    }
}

/// Whether Poetry would call the lock stale against the project. `None` also when the lock
/// records no hash or Poetry could not hash the pyproject.toml.
pub(crate) fn stale_lock(lock: &Lock, project: &Project) -> Option<StaleLock> {
    let recorded = lock.content_hash.as_deref()?;
    match project.content_hashes.freshness(recorded, lock.generated_by.as_ref()) {
        project::Freshness::Stale { recorded, expected } => {
            Some(StaleLock { lock: lock.origin.clone(), pyproject: project.origin.clone(), recorded, expected })
        }
        project::Freshness::Fresh | project::Freshness::Unknown => None,
    }
}

/// The pyproject.toml the options name, or the one next to the lock.
fn pyproject_path(options: &GenerateOptions) -> PathBuf {
    options.pyproject.clone().unwrap_or_else(|| options.lock.parent().unwrap_or(Path::new(".")).join("pyproject.toml"))
}

/// A warning when the project's environment ends up with no package on any target, saying why:
/// the lock locks none, the project asks for none, none is installed on any target, or none of
/// those installed has a file that fits any target.
fn empty_project(lock: &Lock, project: &Project, plan: &Plan) -> Option<Warning> {
    let installs = |version: &plan::PlannedVersion| {
        version.artifact_of.iter().flatten().any(|&slot| version.artifacts[slot].build().is_some())
    };
    let versions: Vec<&plan::PlannedVersion> = plan.packages.iter().flat_map(|name| &name.versions).collect();
    if versions.iter().any(|v| installs(v)) {
        return None;
    }
    let locked = lock.packages.len();
    let what = if plan.root.build.is_some() { "the project itself" } else { "the project's attribute" };
    let (packages, them) =
        if locked == 1 { ("1 package".to_string(), "it") } else { (format!("{locked} packages"), "them") };
    let targets = plan.targets.len();
    let why = if locked == 0 {
        format!("{} locks no package", lock.origin)
    } else if project.main.is_empty()
        && project.groups.values().all(|g| g.dependencies.is_empty())
        && project.extras.values().all(Vec::is_empty)
    {
        // A uv.lock of a workspace whose root is no project installs only its members and the
        // root's groups: without either, nothing (as `uv sync --frozen` does).
        if matches!(lock.format, LockFormat::Uv { .. }) && lock.roots.as_ref().is_some_and(|roots| roots.name.is_none())
        {
            format!(
                "{} locks {packages}, but names neither a root project nor a workspace member that installs {them}; if pyproject.toml declares a project, run `uv lock`",
                lock.origin
            )
        } else {
            format!(
                "{} locks {packages}, but the project declares no dependency, group or extra that installs {them}",
                lock.origin
            )
        }
    } else if versions.is_empty() {
        format!(
            "{} locks {packages}, but the markers and Python constraints of the project's dependencies install {them} on none of the {targets} targets",
            lock.origin
        )
    } else {
        let names: Vec<String> = versions.iter().map(|v| format!("{} {}", v.pname, v.version)).collect();
        format!(
            "of the packages {} locks, those the project installs ({}) have no file that fits any of the {targets} targets",
            lock.origin,
            crate::warning::first_few(&names, 5)
        )
    };
    let environment = if versions.is_empty() {
        format!("the file holds only {what}")
    } else {
        format!("the environment would hold only {what}; its packages throw when built")
    };
    Some(Warning::new(WarningKind::EmptyProject, &lock.origin, format!("empty project: {why}; {environment}")))
}

/// What inference could not settle (unknown sonames, artifacts it could not read or skipped
/// for their size), which the generated file only mentions in a comment.
fn inference_gaps(plan: &Plan) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for version in plan.packages.iter().flat_map(|n| &n.versions) {
        for artifact in &version.artifacts {
            let Some(build) = artifact.build() else { continue };
            for provenance in &build.fixups.provenance {
                if let Provenance::Gap(gap) = provenance {
                    let subject = format!("{} {}", version.pname, version.version);
                    let message = format!("{subject} ({}): {provenance}", build.src.label());
                    warnings.push(Warning::new(gap.warning_kind(), subject, message));
                }
            }
        }
    }
    warnings
}

/// The policy plus the artifact kinds pyproject.toml's `[tool.uv]` and the database force
/// (`artifact = "sdist"`); the command line's `--no-binary`/`--only-binary` win over both, and
/// `[tool.uv]` over the database.
fn with_forced_artifacts(options: &ResolveOptions, lock: &Lock, project: &Project, db: &Database) -> ResolveOptions {
    let mut options = options.clone();
    for package in &lock.packages {
        let policy = &mut options.artifacts;
        if policy.no_binary.contains(&package.name) || policy.only_binary.contains(&package.name) {
            continue;
        }
        if project.uv.forbids_wheel(&package.name) {
            policy.no_binary.insert(package.name.clone());
            continue;
        }
        if project.uv.forbids_build(&package.name) {
            policy.only_binary.insert(package.name.clone());
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

/// Parses, resolves and plans with given locations (no network): used by tests and benches.
/// Like a run without inference: the override database's forced artifacts and fixups apply.
pub fn plan_offline(
    lock: &Lock,
    project: &Project,
    options: &ResolveOptions,
    locations: &dyn Locations,
    db: &Database,
) -> Result<(Resolution, Plan), GenerateError> {
    let resolution = resolve::resolve(lock, project, &with_forced_artifacts(options, lock, project, db))?;
    let plan = plan::plan(lock, project, &resolution, locations, &plan::Fixes::new(db, lock, None))?;
    Ok((resolution, plan))
}

/// The index a registry package comes from: its own source, else the default.
fn index_of<'a>(package: &'a Package, default_index: &'a DisplaySafeUrl) -> &'a DisplaySafeUrl {
    match &package.source {
        Source::Registry { index: Some(index) } => &index.url,
        _ => default_index,
    }
}

/// One query per (index, project), holding the files of every locked version of it and the
/// names of those some target chose. With `allow_missing`, a named index that cannot be reached
/// leaves its packages throwing instead of stopping the run.
pub(crate) fn queries<'a>(
    lock: &'a Lock,
    resolution: &Resolution,
    default_index: &'a DisplaySafeUrl,
    allow_missing: bool,
) -> Vec<ProjectQuery<'a>> {
    // In the order of the lock's first package of each (index, project); hashed, not sorted:
    // the lookup orders them itself, and a large lock has ten thousand.
    let mut grouped: Vec<(&DisplaySafeUrl, SmallVec<[usize; 1]>)> = Vec::new();
    let mut at: FxHashMap<(&DisplaySafeUrl, &PackageName), usize> = FxHashMap::default();
    for i in plan::packages_to_locate(lock, resolution) {
        let package = &lock.packages[i];
        let index_url = index_of(package, default_index);
        let slot = *at.entry((index_url, &package.name)).or_insert_with(|| {
            grouped.push((index_url, SmallVec::new()));
            grouped.len() - 1
        });
        grouped[slot].1.push(i);
    }
    // Each query filled on its own core: the chosen files of 24 targets are most of the work.
    grouped
        .into_par_iter()
        .map(|(index_url, versions)| {
            let mut query = ProjectQuery::for_package(index_url, &lock.packages[versions[0]], allow_missing);
            for i in versions {
                let package = &lock.packages[i];
                let first = query.files.len();
                query.files.extend(&package.files);
                // Neighbouring targets mostly choose the same file: each run of them is one push.
                let mut last = None;
                for installed in resolution.packages[i].per_target.iter().flatten() {
                    if let ArtifactChoice::Wheel(f) | ArtifactChoice::Sdist(f) = installed.artifact
                        && last.replace(f) != Some(f)
                    {
                        query.chosen.push(first + f);
                    }
                }
            }
            query.chosen.sort_unstable();
            query.chosen.dedup();
            query
        })
        .collect()
}

/// Packages whose remote could not be reached (`--allow-missing`): they throw when used.
fn unreachable_warnings(lock: &Lock, pinned: &fetch::Pinned) -> Vec<Warning> {
    pinned
        .sources
        .iter()
        .filter_map(|(&i, source)| match source {
            plan::PinnedSource::Unreachable { detail: why, .. } => {
                let package = &lock.packages[i];
                Some(Warning::new(
                    WarningKind::UnreachableRemote,
                    package.id(),
                    format!(
                        "{}: {why}; generated as an attribute that throws when used (--allow-missing)",
                        package.id()
                    ),
                ))
            }
            _ => None,
        })
        .collect()
}

/// [`Located`] and the pinned sources, looked up without allocating.
struct LocationIndex<'a> {
    located: &'a Located,
    /// The files of url sources and of packages whose lock gives no sha256, by borrowed names;
    /// they take precedence over what the index lists.
    pinned_files: FxHashMap<(&'a PackageName, &'a str), &'a FileLocation>,
    /// Indexes that could not be reached (credential-free URL → why).
    unreachable: &'a BTreeMap<String, String>,
    pinned: &'a fetch::Pinned,
    project: Option<plan::LocalPath>,
    /// Source name → the prefix of its credentials' variables.
    auth: BTreeMap<String, String>,
    /// How the file names a local mirror's files.
    paths: &'a header::RecordedPaths,
}

impl<'a> LocationIndex<'a> {
    fn new(
        located: &'a Located,
        pinned: &'a fetch::Pinned,
        project: Option<plan::LocalPath>,
        auth: BTreeMap<String, String>,
        paths: &'a header::RecordedPaths,
    ) -> Self {
        let pinned_files =
            pinned.files.iter().map(|((package, file), location)| ((package, file.as_str()), location)).collect();
        Self { located, pinned_files, unreachable: &located.unreachable, pinned, project, auth, paths }
    }
}

impl Locations for LocationIndex<'_> {
    fn find(&self, package: &PackageName, filename: &str) -> Option<(Cow<'_, str>, Option<Sha256>)> {
        match self.pinned_files.get(&(package, filename)) {
            Some(location) => Some((Cow::Borrowed(&location.url), location.sha256)),
            None => self.located.file(package, filename).map(|location| (location.url(), location.sha256)),
        }
    }

    fn has(&self, package: &PackageName, filename: &str) -> bool {
        self.pinned_files.contains_key(&(package, filename)) || self.located.file(package, filename).is_some()
    }

    fn pinned(&self, index: usize) -> Option<&plan::PinnedSource> {
        self.pinned.sources.get(&index)
    }

    fn project_source(&self) -> Option<&plan::LocalPath> {
        self.project.as_ref()
    }

    fn unreachable_index(&self, package: &Package) -> Option<&str> {
        let Source::Registry { index: Some(index) } = &package.source else { return None };
        self.unreachable.get_key_value(&fetch::index_key(&index.url)).map(|(url, _)| url.as_str())
    }

    fn local_file(&self, url: &str) -> Option<plan::LocalPath> {
        // Checked before parsing: this runs for every planned download, and few are local.
        if !url.get(..5).is_some_and(|scheme| scheme.eq_ignore_ascii_case("file:")) {
            return None;
        }
        let path = url::Url::parse(url).ok()?.to_file_path().ok()?;
        Some(plan::LocalPath { path: self.paths.relative(&path), directory: false })
    }

    fn auth_variables(&self, package: &Package) -> Option<&str> {
        match &package.source {
            Source::Registry { index: Some(index) } => self.auth.get(&index.name).map(String::as_str),
            _ => None,
        }
    }
}
