//! `[tool.poetry]`: dependencies, groups (with `optional` and `include-groups`), the legacy
//! `dev-dependencies`, and `extras`, read as poetry-core reads them; with a PEP 621
//! `[project]`, the enrichment of its dependencies by `[tool.poetry.dependencies]`.

use std::collections::BTreeMap;

use super::includes::{IncludeError, closure};
use super::{Context, Group, Project, ProjectError};
use crate::constraint::Constraint;
use crate::lockfile::poetry::{RawEntry, RawTable, SpecCache, convert_dependency, requirement_name};
use crate::model::Dependency;
use crate::name::{ExtraName, GroupName, PackageName};
use crate::warning::{Warning, WarningKind};

/// What `[project]` declares that changes how `[tool.poetry]` is read.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Pep621 {
    /// `[project] dependencies`, or non-empty `optional-dependencies`: then they are the main
    /// dependencies, `[tool.poetry.dependencies]` only enriches them and `[tool.poetry.extras]`
    /// is ignored (poetry-core's `_configure_package_dependencies`).
    pub declares_dependencies: bool,
    /// `dependencies` is in `[project] dynamic`: `[tool.poetry.dependencies]` adds to them.
    pub dynamic_dependencies: bool,
}

/// Reads `[tool.poetry]`.
pub(super) fn read_tool_poetry(
    table: &toml::Table,
    pep621: Pep621,
    project: &mut Project,
    ctx: &Context,
) -> Result<(), ProjectError> {
    if project.name.is_none()
        && let Some(name) = table.get("name").and_then(|v| v.as_str())
    {
        project.name =
            Some(PackageName::from_owned(name.into()).map_err(|e| ctx.error("[tool.poetry] name", e.to_string()))?);
    }
    if project.version.is_none() {
        // Trimmed, as [project] version is.
        project.version = table.get("version").and_then(|v| v.as_str()).map(|v| v.trim().to_string());
    }
    let (main, python) = read_dependencies(table.get("dependencies"), "[tool.poetry.dependencies]", ctx)?;
    if let Some(python) = python
        && project.python.is_any()
    {
        project.python = python;
    }
    if pep621.declares_dependencies {
        enrich_all(&mut project.main, &main);
        for deps in project.extras.values_mut() {
            enrich_all(deps, &main);
        }
        if pep621.dynamic_dependencies {
            let declared: Vec<PackageName> = project.main.iter().map(|d| d.name.clone()).collect();
            project.main.extend(main.iter().filter(|d| !d.optional && !declared.contains(&d.name)).cloned());
        }
        if table.contains_key("extras") {
            project.warnings.push(Warning::new(
                WarningKind::PoetryExtrasIgnored,
                "[tool.poetry.extras]",
                format!(
                    "{}: [tool.poetry.extras] is ignored because [project] declares the dependencies (Poetry 2 reads [project.optional-dependencies])",
                    ctx.origin
                ),
            ));
        }
    } else {
        project.main = main.iter().filter(|d| !d.optional).cloned().collect();
        read_extras(table, &main, project, ctx)?;
    }
    if let Some(dev) = table.get("dev-dependencies") {
        let (deps, _) = read_dependencies(Some(dev), "[tool.poetry.dev-dependencies]", ctx)?;
        project.groups.entry(GroupName::new("dev").expect("valid")).or_default().dependencies.extend(required(deps));
    }
    if let Some(groups) = table.get("group").and_then(|v| v.as_table()) {
        read_groups(groups, project, ctx)?;
    }
    Ok(())
}

/// `[tool.poetry.extras]`: each name is a requirement string whose name selects every main
/// dependency of that name, optional or not. A name that selects none is ignored, as Poetry
/// does (`poetry check` reports it), with a warning.
fn read_extras(
    table: &toml::Table,
    main: &[Dependency],
    project: &mut Project,
    ctx: &Context,
) -> Result<(), ProjectError> {
    let Some(extras) = table.get("extras").and_then(|v| v.as_table()) else { return Ok(()) };
    for (extra, names) in extras {
        let entry = format!("[tool.poetry.extras] {extra}");
        let extra_name = ExtraName::from_owned(extra.clone()).map_err(|e| ctx.error(&entry, e.to_string()))?;
        let names = names.as_array().ok_or_else(|| ctx.error(&entry, "must be an array of names"))?;
        let deps = project.extras.entry(extra_name).or_default();
        for item in names {
            let text = item.as_str().ok_or_else(|| ctx.error(&entry, "must be an array of names"))?;
            let name = PackageName::from_owned(requirement_name(text).to_string())
                .map_err(|e| ctx.error(&entry, e.to_string()))?;
            let declared: Vec<&Dependency> = main.iter().filter(|d| d.name == name).collect();
            if declared.is_empty() {
                project.warnings.push(Warning::new(
                    WarningKind::ExtraNamesNoDependency,
                    format!("{extra}: {text}"),
                    format!(
                        "{}: extra `{extra}` names `{text}`, which is not a dependency in [tool.poetry.dependencies]; Poetry ignores the name (`poetry check`: Cannot find dependency \"{text}\" for extra \"{extra}\" in main dependencies), and so does lock2nix",
                        ctx.origin
                    ),
                ));
            }
            deps.extend(declared.into_iter().cloned());
        }
    }
    Ok(())
}

/// Each `[project]` dependency enriched by the `[tool.poetry.dependencies]` entries of its name
/// that can hold together with it: both constraints, both markers, the entry's `python` and
/// `source`; the project's extras and optional flag. With no such entry it stays as it is.
fn enrich_all(deps: &mut Vec<Dependency>, entries: &[Dependency]) {
    let mut out = Vec::with_capacity(deps.len());
    for dep in deps.drain(..) {
        let mut enriched: Vec<Dependency> = entries
            .iter()
            .filter(|entry| entry.name == dep.name)
            .filter_map(|entry| {
                let mut marker = dep.marker;
                marker = marker.and(entry.marker);
                let mut with_python = marker;
                with_python = with_python.and(entry.python.python_marker());
                (!with_python.is_false()).then(|| Dependency {
                    name: dep.name.clone(),
                    constraint: dep.constraint.intersect(&entry.constraint),
                    marker,
                    python: dep.python.intersect(&entry.python),
                    extras: dep.extras.clone(),
                    optional: dep.optional,
                    source: entry.source.clone(),
                    target: None,
                })
            })
            .collect();
        if enriched.is_empty() {
            enriched.push(dep);
        }
        out.extend(enriched);
    }
    *deps = out;
}

fn read_groups(groups: &toml::Table, project: &mut Project, ctx: &Context) -> Result<(), ProjectError> {
    let mut own: BTreeMap<GroupName, Group> = BTreeMap::new();
    let mut includes: BTreeMap<GroupName, Vec<GroupName>> = BTreeMap::new();
    for (name, body) in groups {
        let entry = format!("[tool.poetry.group.{name}]");
        let group_name = GroupName::new(name).map_err(|e| ctx.error(&entry, e.to_string()))?;
        let body = body.as_table().ok_or_else(|| ctx.error(&entry, "must be a table"))?;
        let (deps, _) = read_dependencies(body.get("dependencies"), &format!("{entry} dependencies"), ctx)?;
        let optional = body.get("optional").and_then(toml::Value::as_bool).unwrap_or(false);
        let included = body
            .get("include-groups")
            .and_then(|v| v.as_array())
            .map(|list| {
                list.iter()
                    .map(|g| {
                        let g = g.as_str().ok_or_else(|| ctx.error(&entry, "include-groups must be names"))?;
                        GroupName::new(g).map_err(|e| ctx.error(&entry, e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        own.insert(group_name.clone(), Group { dependencies: required(deps), optional });
        includes.insert(group_name, included);
    }
    for (name, group) in &own {
        let members = closure(name, &includes).map_err(|error| match error {
            IncludeError::Cycle(at) => ctx.error(format!("[tool.poetry.group.{at}]"), "include-groups forms a cycle"),
            IncludeError::Unknown(at) => ctx.error(format!("[tool.poetry.group.{at}]"), "includes an unknown group"),
        })?;
        let target = project.groups.entry(name.clone()).or_default();
        target.optional = group.optional;
        target.dependencies.extend(members.into_iter().flat_map(|member| own[member].dependencies.iter().cloned()));
    }
    Ok(())
}

/// The dependencies that are not optional (optional ones come in through extras only).
fn required(deps: Vec<Dependency>) -> Vec<Dependency> {
    deps.into_iter().filter(|d| !d.optional).collect()
}

/// Reads a Poetry dependency table: every entry (one per constraint table, optional ones
/// included) and the `python` constraint.
fn read_dependencies(
    value: Option<&toml::Value>,
    entry: &str,
    ctx: &Context,
) -> Result<(Vec<Dependency>, Option<Constraint>), ProjectError> {
    let (mut deps, mut python) = (Vec::new(), None);
    let Some(value) = value else { return Ok((deps, python)) };
    let table = value.as_table().ok_or_else(|| ctx.error(entry, "must be a table"))?;
    let specs = SpecCache::default();
    for (raw_name, spec) in table {
        let here = format!("{entry} {raw_name}");
        if raw_name.eq_ignore_ascii_case("python") {
            let text = spec.as_str().ok_or_else(|| ctx.error(&here, "must be a constraint string"))?;
            python = Some(Constraint::parse_poetry(text).map_err(|e| ctx.error(&here, e.to_string()))?);
            continue;
        }
        let name = PackageName::from_owned(raw_name.clone()).map_err(|e| ctx.error(&here, e.to_string()))?;
        let parsed: RawEntry = spec.clone().try_into().map_err(|_| ctx.error(&here, entry_error(spec)))?;
        for table in parsed.tables() {
            deps.push(convert_dependency(name.clone(), &table, &specs).map_err(|e| ctx.error(&here, e.to_string()))?);
        }
    }
    Ok((deps, python))
}

/// Why a dependency entry is not a constraint string, a table or a list of tables: the first
/// table's own error (`optional: invalid type: string "yes", expected a boolean`) when there
/// is one, rather than "did not match any variant".
fn entry_error(spec: &toml::Value) -> String {
    let tables: Vec<&toml::Value> = match spec {
        toml::Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for table in tables {
        if let Err(e) = table.clone().try_into::<RawTable>() {
            return format!("not a dependency table: {}", e.message().trim());
        }
    }
    "must be a constraint string, a table or a list of tables".to_string()
}
