//! `[tool.poetry]`: dependencies, groups (with `optional` and `include-groups`), the legacy
//! `dev-dependencies`, and `extras`.

use std::collections::BTreeMap;

use pep508_rs::MarkerTree;

use super::{Context, Group, Project, ProjectError};
use crate::constraint::Constraint;
use crate::lockfile::poetry::parse_marker;
use crate::model::Dependency;
use crate::name::{ExtraName, GroupName, PackageName};

/// Reads `[tool.poetry]`. With PEP 621 dependencies present, those are the main
/// dependencies and `[tool.poetry.dependencies]` only enriches them (Poetry 2 semantics).
pub(super) fn read_tool_poetry(
    table: &toml::Table,
    has_pep621_dependencies: bool,
    project: &mut Project,
    ctx: &Context,
) -> Result<(), ProjectError> {
    if project.name.is_none() {
        if let Some(name) = table.get("name").and_then(|v| v.as_str()) {
            project.name =
                Some(PackageName::new(name.into()).map_err(|e| ctx.error("[tool.poetry] name", e.to_string()))?);
        }
    }
    if project.version.is_none() {
        project.version = table.get("version").and_then(|v| v.as_str()).map(str::to_string);
    }
    let (main, optional, python) = read_dependencies(table.get("dependencies"), "[tool.poetry.dependencies]", ctx)?;
    if let Some(python) = python {
        if project.python.is_any() {
            project.python = python;
        }
    }
    if !has_pep621_dependencies {
        project.main = main;
    }
    if let Some(extras) = table.get("extras").and_then(|v| v.as_table()) {
        for (extra, names) in extras {
            let entry = format!("[tool.poetry.extras] {extra}");
            let extra_name = ExtraName::new(extra.clone()).map_err(|e| ctx.error(&entry, e.to_string()))?;
            let names = names.as_array().ok_or_else(|| ctx.error(&entry, "must be an array of names"))?;
            let deps = project.extras.entry(extra_name).or_default();
            for name in names {
                let name = name.as_str().ok_or_else(|| ctx.error(&entry, "must be an array of names"))?;
                let name = PackageName::new(name.into()).map_err(|e| ctx.error(&entry, e.to_string()))?;
                match optional.get(&name) {
                    Some(found) => deps.extend(found.iter().cloned()),
                    None => deps.push(plain(name)),
                }
            }
        }
    }
    if let Some(dev) = table.get("dev-dependencies") {
        let (deps, _, _) = read_dependencies(Some(dev), "[tool.poetry.dev-dependencies]", ctx)?;
        project.groups.entry(GroupName::new("dev").expect("valid")).or_default().dependencies.extend(deps);
    }
    if let Some(groups) = table.get("group").and_then(|v| v.as_table()) {
        read_groups(groups, project, ctx)?;
    }
    Ok(())
}

fn read_groups(groups: &toml::Table, project: &mut Project, ctx: &Context) -> Result<(), ProjectError> {
    let mut own: BTreeMap<GroupName, (Group, Vec<GroupName>)> = BTreeMap::new();
    for (name, body) in groups {
        let entry = format!("[tool.poetry.group.{name}]");
        let group_name = GroupName::new(name).map_err(|e| ctx.error(&entry, e.to_string()))?;
        let body = body.as_table().ok_or_else(|| ctx.error(&entry, "must be a table"))?;
        let (deps, _, _) = read_dependencies(body.get("dependencies"), &format!("{entry} dependencies"), ctx)?;
        let optional = body.get("optional").and_then(|v| v.as_bool()).unwrap_or(false);
        let includes = body
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
        own.insert(group_name, (Group { dependencies: deps, optional }, includes));
    }
    for name in own.keys() {
        let mut deps = Vec::new();
        collect_group(name, &own, &mut Vec::new(), &mut deps, ctx)?;
        let target = project.groups.entry(name.clone()).or_default();
        target.optional = own[name].0.optional;
        target.dependencies.extend(deps);
    }
    Ok(())
}

fn collect_group(
    name: &GroupName,
    groups: &BTreeMap<GroupName, (Group, Vec<GroupName>)>,
    stack: &mut Vec<GroupName>,
    out: &mut Vec<Dependency>,
    ctx: &Context,
) -> Result<(), ProjectError> {
    let entry = format!("[tool.poetry.group.{name}]");
    if stack.contains(name) {
        return Err(ctx.error(entry, "include-groups forms a cycle"));
    }
    let (group, includes) = groups.get(name).ok_or_else(|| ctx.error(&entry, "includes an unknown group"))?;
    stack.push(name.clone());
    out.extend(group.dependencies.iter().cloned());
    for included in includes {
        collect_group(included, groups, stack, out, ctx)?;
    }
    stack.pop();
    Ok(())
}

type Optional = BTreeMap<PackageName, Vec<Dependency>>;

/// Reads a Poetry dependency table: (required dependencies, optional ones by name, python).
fn read_dependencies(
    value: Option<&toml::Value>,
    entry: &str,
    ctx: &Context,
) -> Result<(Vec<Dependency>, Optional, Option<Constraint>), ProjectError> {
    let (mut required, mut optional, mut python) = (Vec::new(), Optional::new(), None);
    let Some(value) = value else { return Ok((required, optional, python)) };
    let table = value.as_table().ok_or_else(|| ctx.error(entry, "must be a table"))?;
    for (raw_name, spec) in table {
        let here = format!("{entry} {raw_name}");
        if raw_name.eq_ignore_ascii_case("python") {
            let text = spec.as_str().ok_or_else(|| ctx.error(&here, "must be a constraint string"))?;
            python = Some(Constraint::parse_poetry(text).map_err(|e| ctx.error(&here, e.to_string()))?);
            continue;
        }
        let name = PackageName::new(raw_name.clone()).map_err(|e| ctx.error(&here, e.to_string()))?;
        let specs: Vec<&toml::Value> = match spec {
            toml::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for spec in specs {
            let (dep, is_optional) = dependency(name.clone(), spec, &here, ctx)?;
            if is_optional {
                optional.entry(name.clone()).or_default().push(dep);
            } else {
                required.push(dep);
            }
        }
    }
    Ok((required, optional, python))
}

fn dependency(
    name: PackageName,
    spec: &toml::Value,
    entry: &str,
    ctx: &Context,
) -> Result<(Dependency, bool), ProjectError> {
    let mut dep = plain(name);
    let table = match spec {
        toml::Value::String(text) => {
            dep.constraint = Constraint::parse_poetry(text).map_err(|e| ctx.error(entry, e.to_string()))?;
            return Ok((dep, false));
        }
        toml::Value::Table(table) => table,
        _ => return Err(ctx.error(entry, "must be a constraint string or a table")),
    };
    if let Some(text) = table.get("version").and_then(|v| v.as_str()) {
        dep.constraint = Constraint::parse_poetry(text).map_err(|e| ctx.error(entry, e.to_string()))?;
    }
    if let Some(text) = table.get("python").and_then(|v| v.as_str()) {
        dep.python = Constraint::parse_poetry(text).map_err(|e| ctx.error(entry, format!("python: {e}")))?;
    }
    if let Some(text) = table.get("markers").and_then(|v| v.as_str()) {
        dep.marker = parse_marker(text).map_err(|m| ctx.error(entry, m))?;
    }
    if let Some(extras) = table.get("extras").and_then(|v| v.as_array()) {
        for extra in extras {
            let extra = extra.as_str().ok_or_else(|| ctx.error(entry, "extras must be names"))?;
            dep.extras.push(ExtraName::new(extra.into()).map_err(|e| ctx.error(entry, e.to_string()))?);
        }
    }
    let optional = table.get("optional").and_then(|v| v.as_bool()).unwrap_or(false);
    Ok((dep, optional))
}

fn plain(name: PackageName) -> Dependency {
    Dependency {
        name,
        constraint: Constraint::any(),
        marker: MarkerTree::TRUE,
        python: Constraint::any(),
        extras: Vec::new(),
        optional: false,
    }
}
