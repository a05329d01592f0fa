//! Locked files the index no longer offers: the next best artifact where one is left, and
//! where none is, an error, or with `--allow-missing` an attribute that throws when used.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use super::{GenerateOptions, LocationIndex, index_of};
use crate::fetch::Located;
use crate::model::Lock;
use crate::name::PackageName;
use crate::plan::{self, Locations};
use crate::resolve::{ArtifactChoice, Resolution, select::Unusable};
use crate::warning::{Warning, WarningKind, first_few};

/// The index lacks files the lock needs, and no other locked file can stand in for them.
#[derive(Debug, thiserror::Error)]
#[error("the index no longer offers files {lock} needs: {}", .packages.join("; "))]
pub struct MissingError {
    pub lock: String,
    /// One entry per package: `name==version (what is missing, and where)`.
    pub packages: Vec<String>,
    pub offline: bool,
}

impl MissingError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        let relock = "re-lock with `poetry lock` to choose files that exist, or pass --allow-missing to generate anyway (those packages then throw when used)";
        if self.offline { format!("{relock}; {}", crate::fetch::OFFLINE_ANSWER) } else { relock.to_string() }
    }
}

/// The files of located packages that the index does not offer, and those some target chose.
pub(super) struct IndexGaps<'a> {
    /// Every such file: `(package, file name)`.
    unavailable: BTreeSet<(PackageName, String)>,
    /// The members of `unavailable` that the first resolution chose, by lock package index.
    chosen: BTreeMap<usize, Vec<String>>,
    located: &'a Located,
}

impl<'a> IndexGaps<'a> {
    pub(super) fn find(lock: &Lock, resolution: &Resolution, index: &LocationIndex<'_>, located: &'a Located) -> Self {
        // The lookup asked for every file of these packages: when the located-files memory
        // answered each query whole, none is missing.
        if located.all_recalled {
            return Self { unavailable: BTreeSet::new(), chosen: BTreeMap::new(), located };
        }
        // Every file of every package, in parallel: a large lock has a hundred thousand.
        let unavailable: Vec<(PackageName, String)> = plan::packages_to_locate(lock, resolution)
            .into_par_iter()
            .flat_map_iter(|i| {
                let package = &lock.packages[i];
                package
                    .files
                    .iter()
                    .filter(|f| !index.is_located(package, f))
                    .map(|f| (package.name.clone(), f.filename.clone()))
            })
            .collect();
        let unavailable: BTreeSet<(PackageName, String)> = unavailable.into_iter().collect();
        let mut chosen: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        if !unavailable.is_empty() {
            for (i, (package, state)) in lock.packages.iter().zip(&resolution.packages).enumerate() {
                for installed in state.per_target.iter().flatten() {
                    if let ArtifactChoice::Wheel(f) | ArtifactChoice::Sdist(f) = installed.artifact {
                        let file = &package.files[f].filename;
                        let files = chosen.entry(i).or_default();
                        if unavailable.contains(&(package.name.clone(), file.clone())) && !files.contains(file) {
                            files.push(file.clone());
                        }
                    }
                }
            }
            chosen.retain(|_, files| !files.is_empty());
        }
        Self { unavailable, chosen, located }
    }

    /// Whether any target chose a file the index lacks.
    pub(super) fn is_empty(&self) -> bool {
        self.chosen.is_empty()
    }

    pub(super) fn unavailable(&self) -> &BTreeSet<(PackageName, String)> {
        &self.unavailable
    }

    /// After resolving again without the unavailable files: a warning per file replaced by the
    /// next best one, and per package left with nothing on some target either an error (all
    /// such packages in one) or, with `--allow-missing`, a warning.
    pub(super) fn outcome(
        &self,
        lock: &Lock,
        second: &Resolution,
        options: &GenerateOptions,
    ) -> Result<Vec<Warning>, MissingError> {
        let mut warnings = Vec::new();
        let mut lost = Vec::new();
        let total = second.targets.len();
        for (&i, files) in &self.chosen {
            let package = &lock.packages[i];
            let subject = format!("{} {}", package.name, package.version_text);
            let gone_on = second.packages[i]
                .per_target
                .iter()
                .filter(|s| s.as_ref().is_some_and(|s| s.artifact == ArtifactChoice::Unusable(Unusable::GoneFromIndex)))
                .count();
            let index_url = index_of(package, &options.fetch.index_url);
            let index = index_url.redacted();
            let unreachable = self.located.unreachable.get(&crate::fetch::index_key(index_url));
            let what = if let Some(why) = unreachable {
                format!("index {index} could not be reached ({why})")
            } else if self.located.gone.contains(&package.name) {
                format!("project not found on index {index} (HTTP 404)")
            } else {
                let gone: Vec<&str> = package
                    .files
                    .iter()
                    .map(|f| f.filename.as_str())
                    .filter(|f| self.unavailable.contains(&(package.name.clone(), (*f).to_string())))
                    .collect();
                format!("{} not on index {index}", first_few(&gone, 5))
            };
            if gone_on == 0 {
                for file in files {
                    warnings.push(Warning::new(
                        WarningKind::FileNotOnIndex,
                        &subject,
                        format!(
                            "{subject}: {file} is listed in {} but index {index} does not offer it; using the next best artifact",
                            lock.origin
                        ),
                    ));
                }
            } else if options.allow_missing {
                warnings.push(Warning::new(
                    if unreachable.is_some() { WarningKind::UnreachableRemote } else { WarningKind::MissingFromIndex },
                    &subject,
                    format!(
                        "{subject}: {what}; its attribute throws when used on {gone_on} of {total} targets (--allow-missing)"
                    ),
                ));
            } else {
                lost.push(format!("{}=={} ({what})", package.name, package.version_text));
            }
        }
        if lost.is_empty() {
            Ok(warnings)
        } else {
            Err(MissingError { lock: lock.origin.clone(), packages: lost, offline: options.fetch.offline })
        }
    }
}
