//! Registry packages whose lock entry names no files (an empty `[metadata.files]` list in an
//! old lock, or a legacy index that Poetry 1.1 recorded no hashes for). Poetry installs any
//! file of that version from the index then, checking no hash; lock2nix takes the index's
//! files of that version, with the index's sha256, and says so.

use std::collections::BTreeMap;

use super::index_of;
use crate::fetch::{self, FetchError, FetchOptions, Located, ProjectQuery};
use crate::model::{Lock, LockedFile, Source};
use crate::safe_url::DisplaySafeUrl;
use crate::warning::{Warning, WarningKind};

/// Gives every registry package without files the files the index lists for its version.
/// Returns the warnings and what the index lookup cost; nothing is asked when every package
/// names its files.
pub(super) fn fill_from_index(
    lock: &mut Lock,
    options: &FetchOptions,
    allow_missing: bool,
) -> Result<(Vec<Warning>, Located), FetchError> {
    let unlisted: Vec<usize> = (0..lock.packages.len())
        .filter(|&i| lock.packages[i].files.is_empty() && matches!(lock.packages[i].source, Source::Registry { .. }))
        .collect();
    if unlisted.is_empty() {
        return Ok((Vec::new(), Located::default()));
    }
    let mut grouped: BTreeMap<(&DisplaySafeUrl, &crate::name::PackageName), ProjectQuery> = BTreeMap::new();
    for &i in &unlisted {
        let package = &lock.packages[i];
        let index_url = index_of(package, &options.index_url);
        grouped
            .entry((index_url, &package.name))
            .or_insert_with(|| ProjectQuery::for_package(index_url, package, allow_missing))
            .versions
            .insert(package.version.to_string());
    }
    let queries: Vec<ProjectQuery> = grouped.into_values().collect();
    let located = fetch::locate(&queries, options)?;
    let mut warnings = Vec::new();
    for i in unlisted {
        let package = &mut lock.packages[i];
        let key = (package.name.clone(), package.version.to_string());
        let files: Vec<LockedFile> = located
            .listed
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|name| {
                let location = located.file(&package.name, name)?;
                Some(LockedFile::named(name.clone(), Some(location.sha256?.into())))
            })
            .collect();
        if files.is_empty() {
            continue;
        }
        let subject = format!("{} {}", package.name, package.version_text);
        warnings.push(Warning::new(
            WarningKind::FilesFromIndex,
            &subject,
            format!(
                "{subject}: {} names no files for it; using the {} file(s) the index lists for that version, with the index's hashes, as Poetry installs it (re-lock with `poetry lock` to record them)",
                lock.origin,
                files.len()
            ),
        ));
        package.files = files;
    }
    Ok((warnings, located))
}
