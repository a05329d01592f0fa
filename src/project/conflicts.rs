//! uv's `[tool.uv] conflicts`: extras and groups that cannot be installed together. One file
//! holds one environment per target, so of each set one item at most is in it: the one the
//! command line asks for (`--variant gpu`, one file per variant), else the project's default
//! group if the set has one (what `uv sync` installs), else none. The others leave the
//! project's extras and groups; the kept ones are the markers' active conflict items.

use super::{Project, ProjectError};
use crate::model::{Conflict, ConflictItem, LockRoots};
use crate::warning::{Warning, WarningKind};

pub(super) fn choose(
    project: &mut Project,
    roots: &LockRoots,
    origin: &str,
    variants: &[String],
) -> Result<(), ProjectError> {
    let owned = |conflict: &Conflict| roots.name.is_none() || roots.name.as_ref() == Some(&conflict.package);
    let named = |conflict: &Conflict, name: &str| {
        owned(conflict)
            && match &conflict.item {
                ConflictItem::Extra(extra) => extra.as_ref() == normalized(name),
                ConflictItem::Group(group) => group.as_str() == normalized(name),
            }
    };
    if let Some(unknown) = variants.iter().find(|name| !roots.conflicts.iter().flatten().any(|c| named(c, name))) {
        let known: Vec<String> =
            roots.conflicts.iter().flatten().filter(|c| owned(c)).map(ToString::to_string).collect();
        return Err(ProjectError::Variant {
            message: format!(
                "--variant {unknown}: {origin} has no conflicting extra or group of that name ({})",
                if known.is_empty() { "it has no [tool.uv] conflicts".to_string() } else { known.join(", ") }
            ),
        });
    }
    // What was asked for, and what that rules out in every set it is in.
    let asked = |conflict: &Conflict| variants.iter().any(|v| named(conflict, v));
    let mut ruled_out: Vec<&Conflict> = Vec::new();
    for set in &roots.conflicts {
        let chosen: Vec<&Conflict> = set.iter().filter(|c| asked(c)).collect();
        if let [first, second, ..] = chosen.as_slice() {
            return Err(ProjectError::Variant {
                message: format!(
                    "--variant: {first} and {second} cannot be installed together ([tool.uv] conflicts); generate one file for each"
                ),
            });
        }
        if !chosen.is_empty() {
            ruled_out.extend(set.iter().filter(|c| !asked(c)));
        }
    }
    // Of each set: what was asked for, else the default group if nothing ruled it out.
    let mut kept: Vec<&Conflict> = Vec::new();
    for set in &roots.conflicts {
        let by_default = || {
            set.iter().find(|conflict| {
                roots.name.as_ref() == Some(&conflict.package)
                    && !ruled_out.contains(conflict)
                    && matches!(&conflict.item, ConflictItem::Group(group) if project.uv.installs_by_default(group))
            })
        };
        if let Some(conflict) = set.iter().find(|c| asked(c)).or_else(by_default)
            && !kept.contains(&conflict)
        {
            kept.push(conflict);
        }
    }
    project.activated.extend(kept.iter().map(|conflict| conflict.marker_extra()));
    let mut left_out = Vec::new();
    for conflict in roots.conflicts.iter().flatten().filter(|c| owned(c) && !kept.contains(c)) {
        let removed = match &conflict.item {
            ConflictItem::Extra(extra) => project.extras.remove(extra).is_some(),
            ConflictItem::Group(group) => project.groups.remove(group).is_some(),
        };
        if removed {
            left_out.push(conflict.to_string());
        }
    }
    if !left_out.is_empty() {
        project.warnings.push(Warning::new(
            WarningKind::ConflictingExtras,
            left_out.join(", "),
            format!(
                "{origin}: {} cannot be installed with another extra or group ([tool.uv] conflicts) and {} left out of this file; generate another with `--variant NAME` for each",
                left_out.join(", "),
                if left_out.len() == 1 { "is" } else { "are" }
            ),
        ));
    }
    Ok(())
}

/// A name as PEP 503 normalizes it, for comparing with normalized extras and groups.
fn normalized(name: &str) -> String {
    crate::name::GroupName::new(name).map(|g| g.as_str().to_string()).unwrap_or_else(|_| name.to_string())
}
