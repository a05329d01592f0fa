//! Edges a lock without a graph does not record (pylock.toml as uv writes it), taken from each
//! package's core metadata as inference read it, so that every derivation lists its
//! dependencies; what could not be read is named in one warning.

use crate::fetch::Pinned;
use crate::inference::Inferred;
use crate::model::{Dependency, Lock};
use crate::plan::PinnedSource;
use crate::warning::{Warning, WarningKind};

/// Adds the `Requires-Dist` edges inference read, or a local folder's pyproject.toml gives;
/// returns whether any were added, and a warning naming the installed packages left without
/// edges (no inference, an unreadable or too large file, metadata that leaves them to the
/// build, or no file at all).
pub(super) fn add_inferred_edges(
    lock: &mut Lock,
    inferred: Option<&Inferred>,
    pinned: &Pinned,
    used: &[bool],
) -> (bool, Vec<Warning>) {
    let mut added = false;
    let mut unknown = Vec::new();
    for (i, package) in lock.packages.iter_mut().enumerate() {
        if package.marker.is_none() || !package.dependencies.is_empty() || !used[i] {
            continue;
        }
        let from_folder = match pinned.sources.get(&i) {
            Some(PinnedSource::Path { requires_dist: Some(read), .. }) => Some(read),
            _ => None,
        };
        match from_folder.or_else(|| inferred.and_then(|inferred| inferred.requires_dist.get(&i))) {
            Some(Ok(lines)) => {
                for line in lines {
                    let Ok(mut dependency) = Dependency::parse_requirement(line) else { continue };
                    // `Requires-Dist: x; extra == 'socks'` belongs to the package's extra.
                    if let Some(extra) = dependency.marker.top_level_extra_name() {
                        dependency.optional = true;
                        package.extras.entry(extra.into_owned()).or_default().push(dependency.name.clone());
                    }
                    package.dependencies.push(dependency);
                    added = true;
                }
            }
            Some(Err(why)) => unknown.push(format!("{} ({why})", package.id())),
            None => unknown.push(package.id()),
        }
    }
    let warnings = if unknown.is_empty() {
        Vec::new()
    } else {
        let how =
            if inferred.is_some() { "their core metadata could not be read" } else { "inference is off (--no-infer)" };
        vec![Warning::new(
            WarningKind::DependenciesNotInferred,
            crate::warning::first_few(&unknown, 5),
            format!(
                "{} gives no dependencies for {} and {how}: their derivations list none (the project's environment still holds every package the lock installs)",
                lock.origin,
                crate::warning::first_few(&unknown, 5)
            ),
        )]
    };
    (added, warnings)
}
