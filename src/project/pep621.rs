//! PEP 621 `[project]` and PEP 735 `[dependency-groups]`.

use std::collections::BTreeMap;

use super::includes::{IncludeError, closure};
use super::{Context, Project, ProjectError};
use crate::constraint::Constraint;
use crate::model::Dependency;
use crate::name::{ExtraName, GroupName, PackageName};

pub(super) fn read_project(table: &toml::Table, project: &mut Project, ctx: &Context) -> Result<(), ProjectError> {
    if let Some(name) = table.get("name").and_then(|v| v.as_str()) {
        project.name =
            Some(PackageName::from_owned(name.into()).map_err(|e| ctx.error("[project] name", e.to_string()))?);
    }
    if let Some(version) = table.get("version").and_then(|v| v.as_str()) {
        // Written into derivation names, where no whitespace may be (the plan refuses what
        // else Nix cannot name).
        project.version = Some(version.trim().to_string());
    }
    if let Some(text) = table.get("requires-python").and_then(|v| v.as_str()) {
        project.python =
            Constraint::parse_pep440(text).map_err(|e| ctx.error("[project] requires-python", e.to_string()))?;
    }
    if let Some(list) = table.get("dependencies") {
        project.main = requirements(list, "[project] dependencies", ctx)?;
    }
    if let Some(extras) = table.get("optional-dependencies") {
        let extras =
            extras.as_table().ok_or_else(|| ctx.error("[project.optional-dependencies]", "must be a table"))?;
        for (extra, list) in extras {
            let entry = format!("[project.optional-dependencies] {extra}");
            let name = ExtraName::from_owned(extra.clone()).map_err(|e| ctx.error(&entry, e.to_string()))?;
            let deps = requirements(list, &entry, ctx)?;
            project.extras.entry(name).or_default().extend(deps);
        }
    }
    Ok(())
}

/// PEP 735 groups; `{ include-group = "…" }` entries are expanded (each included group once;
/// cycles and unknown groups are errors). Group names are compared normalized, as PEP 735
/// requires, and two keys with one normalized name are an error.
pub(super) fn read_dependency_groups(
    value: &toml::Value,
    project: &mut Project,
    ctx: &Context,
) -> Result<(), ProjectError> {
    let table = value.as_table().ok_or_else(|| ctx.error("[dependency-groups]", "must be a table"))?;
    let mut own: BTreeMap<GroupName, Vec<Dependency>> = BTreeMap::new();
    let mut includes: BTreeMap<GroupName, Vec<GroupName>> = BTreeMap::new();
    for (group, items) in table {
        let entry = format!("[dependency-groups] {group}");
        let name = GroupName::new(group).map_err(|e| ctx.error(&entry, e.to_string()))?;
        let items = items.as_array().ok_or_else(|| ctx.error(&entry, "must be an array"))?;
        let mut deps = Vec::new();
        let mut included = Vec::new();
        for item in items {
            match item {
                toml::Value::String(text) => deps.push(requirement(text, &entry, ctx)?),
                toml::Value::Table(t) => {
                    let other = t
                        .get("include-group")
                        .and_then(|v| v.as_str())
                        .ok_or_else(|| ctx.error(&entry, "a table entry must be { include-group = \"…\" }"))?;
                    included.push(GroupName::new(other).map_err(|e| ctx.error(&entry, e.to_string()))?);
                }
                _ => return Err(ctx.error(&entry, "entries must be strings or { include-group = … }")),
            }
        }
        if own.insert(name.clone(), deps).is_some() {
            return Err(ctx.error(entry, format!("another group's name normalizes to `{name}` too")));
        }
        includes.insert(name, included);
    }
    for name in own.keys() {
        let members = closure(name, &includes).map_err(|error| match error {
            IncludeError::Cycle(at) => ctx.error(format!("[dependency-groups] {at}"), "include-group forms a cycle"),
            IncludeError::Unknown(at) => {
                ctx.error(format!("[dependency-groups] {at}"), "include-group names no such group")
            }
        })?;
        let deps = members.into_iter().flat_map(|member| own[member].iter().cloned());
        project.groups.entry(name.clone()).or_default().dependencies.extend(deps);
    }
    Ok(())
}

fn requirements(value: &toml::Value, entry: &str, ctx: &Context) -> Result<Vec<Dependency>, ProjectError> {
    let list = value.as_array().ok_or_else(|| ctx.error(entry, "must be an array of PEP 508 strings"))?;
    list.iter()
        .map(|item| {
            let text = item.as_str().ok_or_else(|| ctx.error(entry, "must be an array of PEP 508 strings"))?;
            requirement(text, entry, ctx)
        })
        .collect()
}

/// Converts one PEP 508 requirement string.
pub(super) fn requirement(text: &str, entry: &str, ctx: &Context) -> Result<Dependency, ProjectError> {
    Dependency::parse_requirement(text).map_err(|message| {
        ctx.error(entry, format!("invalid requirement `{}`: {message}", crate::limits::excerpt(text)))
    })
}
