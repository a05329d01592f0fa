//! The project's roots from pyproject.toml: main dependencies, groups and extras, from
//! `[tool.poetry]` and from PEP 621 `[project]` with PEP 735 `[dependency-groups]`.

mod conflicts;
pub(crate) mod content_hash;
mod includes;
mod layout;
mod pep621;
mod poetry;
mod uv;

use std::collections::BTreeMap;
use std::path::Path;

pub(crate) use content_hash::{ContentHashes, Freshness};
pub(crate) use layout::EditableLayout;
pub(crate) use uv::UvSettings;

use crate::constraint::Constraint;
use crate::inference::BuildFacts;
use crate::model::{Dependency, Lock};
use crate::name::{ExtraName, GroupName, PackageName};
use crate::toml_error::{self, TomlError};
use crate::warning::Warning;

/// The roots a resolution starts from.
#[derive(Debug, Clone)]
pub struct Project {
    /// The pyproject's path as given, for messages.
    pub origin: String,
    pub name: Option<PackageName>,
    pub version: Option<String>,
    /// The project's Python constraint (`requires-python` or Poetry's `python` dependency).
    pub python: Constraint,
    pub main: Vec<Dependency>,
    pub groups: BTreeMap<GroupName, Group>,
    pub extras: BTreeMap<ExtraName, Vec<Dependency>>,
    /// What reading found odd but Poetry accepts (an extra naming no dependency).
    pub warnings: Vec<Warning>,
    /// Poetry's `package-mode` (default true): the project is itself a package, built from
    /// its folder; `false` makes it only a set of dependencies.
    pub package_mode: bool,
    /// The project's `[build-system]` (or PEP 518's default), or why it cannot be read.
    pub build: Result<BuildFacts, String>,
    /// Whether pyproject.toml has a `[build-system]` table: without one the project is taken
    /// for a set of dependencies, not a package to build (Poetry, too, only warns when it
    /// finds nothing to install for the root).
    pub declares_build_system: bool,
    /// `[[tool.poetry.source]]`, in file order.
    pub sources: Vec<IndexSource>,
    /// Where its import packages and console scripts are, for an editable install.
    pub layout: EditableLayout,
    /// Poetry's content hashes of the file, to tell whether the lock is stale against it.
    pub content_hashes: ContentHashes,
    /// `[tool.uv]` settings that change what is installed.
    pub uv: UvSettings,
    /// The conflicting extras and groups (uv's `conflicts`) installed in the generated
    /// environment, as the lock's markers test them (`extra == 'group-11-pydantic-ai-dev'`).
    pub activated: Vec<ExtraName>,
}

/// A package source of `[[tool.poetry.source]]`. `Debug` by hand: the URL may carry
/// credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct IndexSource {
    pub name: String,
    /// `None` for the implicit PyPI source configured by name only.
    pub url: Option<String>,
    pub priority: SourcePriority,
}

impl std::fmt::Debug for IndexSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexSource")
            .field("name", &self.name)
            .field("url", &self.url.as_deref().map(crate::safe_url::redact))
            .field("priority", &self.priority)
            .finish()
    }
}

/// Poetry's source priorities; the legacy `default = true` and `secondary = true` map to
/// `Default` and `Secondary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourcePriority {
    Default,
    Primary,
    Secondary,
    Supplemental,
    Explicit,
}

#[derive(Debug, Clone, Default)]
pub struct Group {
    pub dependencies: Vec<Dependency>,
    /// Poetry's `optional = true`: not installed unless asked for.
    pub optional: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(
        "{path} not found: lock2nix reads the project's roots (dependencies, groups, extras) from the pyproject.toml next to the lock"
    )]
    Missing { path: String },
    #[error("cannot read {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid pyproject.toml")]
    Toml {
        path: String,
        #[source]
        source: TomlError,
    },
    #[error("{path}: {}{entry}: {message}", .position.map(|(l, c)| format!("line {l}, column {c}: ")).unwrap_or_default())]
    Entry { path: String, entry: String, message: String, position: Option<(usize, usize)> },
    #[error("{message}")]
    Variant { message: String },
}

impl ProjectError {
    /// What to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Missing { .. } => Some("pass --pyproject to point at it"),
            _ => None,
        }
    }
}

/// The project a lock is resolved for: pyproject.toml's, with the roots the lock records
/// (uv.lock, pylock.toml) in place of pyproject.toml's. A lock that records its roots needs no
/// pyproject.toml. `variants` choose among extras and groups that cannot be installed together
/// (uv's conflicts).
pub fn for_lock(lock: &Lock, path: &Path, variants: &[String]) -> Result<Project, ProjectError> {
    for_lock_read(lock, path, read(path), variants)
}

/// [`for_lock`], given what [`read`] made of `path`: a run reads pyproject.toml while it reads
/// the lock.
pub(crate) fn for_lock_read(
    lock: &Lock,
    path: &Path,
    read: Result<Project, ProjectError>,
    variants: &[String],
) -> Result<Project, ProjectError> {
    let Some(roots) = &lock.roots else {
        if let Some(variant) = variants.first() {
            return Err(ProjectError::Variant {
                message: format!(
                    "--variant {variant}: {} is not a uv.lock; --variant chooses among the extras and groups a uv.lock's [tool.uv] conflicts keeps apart",
                    lock.origin
                ),
            });
        }
        return read;
    };
    let mut project = match read {
        Ok(project) => project,
        Err(ProjectError::Missing { .. }) => {
            let mut bare = parse("", &path.display().to_string())?;
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            bare.layout = EditableLayout::of_folder(folder, None);
            bare
        }
        Err(error) => return Err(error),
    };
    project.name = roots.name.clone().or(project.name);
    project.version = roots.version.clone().or(project.version);
    project.main.clone_from(&roots.main);
    project.groups = roots
        .groups
        .iter()
        .map(|(name, dependencies)| {
            let optional = match lock.format {
                crate::model::LockFormat::Uv { .. } => !project.uv.installs_by_default(name),
                _ => !roots.default_groups.contains(name),
            };
            (name.clone(), Group { dependencies: dependencies.clone(), optional })
        })
        .collect();
    project.extras = roots.extras.clone();
    // uv decided whether the project is built: `editable = "."` or `virtual = "."`.
    project.package_mode = roots.built;
    project.declares_build_system = roots.built;
    conflicts::choose(&mut project, roots, &lock.origin, variants)?;
    Ok(project)
}

/// Reads the pyproject.toml at `path`.
pub fn read(path: &Path) -> Result<Project, ProjectError> {
    let origin = path.display().to_string();
    let text = match crate::fetch::witness::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ProjectError::Missing { path: origin }),
        Err(source) => return Err(ProjectError::Io { path: origin, source }),
    };
    let mut project = parse(&text, &origin)?;
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    project.layout = EditableLayout::of_folder(folder, Some(&text));
    Ok(project)
}

/// Parses pyproject.toml text; `origin` names the file in errors.
pub fn parse(text: &str, origin: &str) -> Result<Project, ProjectError> {
    let doc: toml::Table =
        toml_error::from_str(text).map_err(|source| ProjectError::Toml { path: origin.into(), source })?;
    let mut project = Project {
        origin: origin.to_string(),
        name: None,
        version: None,
        python: Constraint::any(),
        main: Vec::new(),
        groups: BTreeMap::new(),
        extras: BTreeMap::new(),
        warnings: Vec::new(),
        package_mode: true,
        build: BuildFacts::of_tree(origin, Some(text), false),
        sources: Vec::new(),
        declares_build_system: doc.contains_key("build-system"),
        // Without the folder, no `src` is seen: `read` looks.
        layout: EditableLayout::of(Some(text), |_| false),
        content_hashes: ContentHashes::of(&doc),
        uv: UvSettings::default(),
        activated: Vec::new(),
    };
    let ctx = Context { origin, text };
    let pep621 = doc.get("project").and_then(|v| v.as_table());
    let tool_poetry = doc.get("tool").and_then(|t| t.get("poetry")).and_then(|v| v.as_table());
    if let Some(table) = pep621 {
        pep621::read_project(table, &mut project, &ctx)?;
    }
    if let Some(table) = tool_poetry {
        project.package_mode = table.get("package-mode").and_then(toml::Value::as_bool).unwrap_or(true);
        project.sources = read_sources(table.get("source"), &ctx)?;
        let declares = |p: &toml::Table| {
            p.contains_key("dependencies")
                || p.get("optional-dependencies").and_then(|v| v.as_table()).is_some_and(|t| !t.is_empty())
        };
        let dynamic = |p: &toml::Table| {
            p.get("dynamic")
                .and_then(|v| v.as_array())
                .is_some_and(|d| d.iter().any(|v| v.as_str() == Some("dependencies")))
        };
        let flags = poetry::Pep621 {
            declares_dependencies: pep621.is_some_and(declares),
            dynamic_dependencies: pep621.is_some_and(dynamic),
        };
        poetry::read_tool_poetry(table, flags, &mut project, &ctx)?;
    }
    if let Some(table) = doc.get("tool").and_then(|t| t.get("uv")).and_then(|v| v.as_table()) {
        project.uv = uv::read(table, &ctx)?;
    }
    if let Some(groups) = doc.get("dependency-groups") {
        pep621::read_dependency_groups(groups, &mut project, &ctx)?;
    }
    Ok(project)
}

/// `[[tool.poetry.source]]`: name, url and priority (`priority = "…"`, or the legacy
/// `default`/`secondary` flags; primary when none is given).
fn read_sources(value: Option<&toml::Value>, ctx: &Context) -> Result<Vec<IndexSource>, ProjectError> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let entries = value.as_array().ok_or_else(|| ctx.error("[tool.poetry] source", "must be an array of tables"))?;
    let mut sources = Vec::new();
    for (k, entry) in entries.iter().enumerate() {
        let at = |what: &str| format!("[[tool.poetry.source]] #{} {what}", k + 1);
        let table = entry.as_table().ok_or_else(|| ctx.error(at(""), "must be a table"))?;
        let name = table
            .get("name")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| ctx.error(at("name"), "a source needs a name"))?
            .to_string();
        let url = table.get("url").and_then(toml::Value::as_str).map(str::to_string);
        let flag = |key: &str| table.get(key).and_then(toml::Value::as_bool).unwrap_or(false);
        let priority = match table.get("priority").and_then(toml::Value::as_str) {
            Some("default") => SourcePriority::Default,
            Some("primary") => SourcePriority::Primary,
            Some("secondary") => SourcePriority::Secondary,
            Some("supplemental") => SourcePriority::Supplemental,
            Some("explicit") => SourcePriority::Explicit,
            Some(other) => {
                return Err(ctx.error(
                    at("priority"),
                    format!(
                        "`{other}` is not one of primary, supplemental, explicit (or the legacy default, secondary)"
                    ),
                ));
            }
            None if flag("default") => SourcePriority::Default,
            None if flag("secondary") => SourcePriority::Secondary,
            None => SourcePriority::Primary,
        };
        sources.push(IndexSource { name, url, priority });
    }
    Ok(sources)
}

/// Error context shared by the two readers.
pub(crate) struct Context<'a> {
    pub origin: &'a str,
    /// The document, to find where an entry is.
    pub text: &'a str,
}

impl Context<'_> {
    /// An error about `entry`, written as `[table.path] key key`: the message names it, and its
    /// line and column are looked up in the document.
    pub(crate) fn error(&self, entry: impl Into<String>, message: impl Into<String>) -> ProjectError {
        let entry = entry.into();
        let position = entry_path(&entry).and_then(|path| {
            let keys: Vec<&str> = path.iter().map(String::as_str).collect();
            toml_error::position(self.text, &keys)
        });
        ProjectError::Entry { path: self.origin.into(), entry, message: message.into(), position }
    }
}

/// `[tool.poetry.group.dev] dependencies pytest` → `tool`, `poetry`, `group`, `dev`,
/// `dependencies`, `pytest`.
fn entry_path(entry: &str) -> Option<Vec<String>> {
    let rest = entry.strip_prefix('[')?;
    let (table, keys) = rest.split_once(']')?;
    Some(table.split('.').chain(keys.split_whitespace()).map(str::to_string).collect())
}

#[cfg(test)]
mod tests;
