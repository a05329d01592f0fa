//! Which URL each named index source has in this run: Poetry installs from the URL that
//! pyproject.toml's `[[tool.poetry.source]]` gives a name (the lock's copy may be stale), and
//! `--source NAME=URL` points a name at another index (a mirror, a company proxy). Files are
//! still checked against the lock's hashes wherever they come from.

use std::collections::BTreeMap;

use crate::fetch::credentials::{NamedSource, poetry_variables};
use crate::model::{Lock, Source};
use crate::project::Project;
use crate::safe_url::{DisplaySafeUrl, redact as redact_url};
use crate::warning::{Warning, WarningKind};

/// The name `--source` uses for the default index.
const PYPI: &str = "pypi";

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("--source {name}=…: no index source of that name in the lock or pyproject.toml (known: {known})")]
    Unknown { name: String, known: String },
}

/// Points every named source of the lock at its URL for this run and returns the default
/// index (`--source pypi=URL` replaces it), with a warning for each name whose URL in
/// pyproject.toml differs from the lock's.
pub(super) fn point_sources(
    lock: &mut Lock,
    project: &Project,
    remap: &BTreeMap<String, DisplaySafeUrl>,
    default_index: &DisplaySafeUrl,
) -> Result<(DisplaySafeUrl, Vec<Warning>), SourceError> {
    let key = |name: &str| name.to_ascii_lowercase();
    let remap: BTreeMap<String, &DisplaySafeUrl> = remap.iter().map(|(name, url)| (key(name), url)).collect();
    let configured: BTreeMap<String, &str> =
        project.sources.iter().filter_map(|s| Some((key(&s.name), s.url.as_deref()?))).collect();
    let mut known: Vec<String> = lock
        .packages
        .iter()
        .filter_map(|p| match &p.source {
            Source::Registry { index: Some(index) } => Some(index.name.clone()),
            _ => None,
        })
        .chain(project.sources.iter().map(|s| s.name.clone()))
        .chain(std::iter::once(PYPI.to_string()))
        .collect();
    known.sort_by_key(|name| key(name));
    known.dedup_by_key(|name| key(name));
    if let Some(name) = remap.keys().find(|name| !known.iter().any(|k| key(k) == **name)) {
        return Err(SourceError::Unknown { name: name.clone(), known: known.join(", ") });
    }
    let mut warnings = Vec::new();
    for package in &mut lock.packages {
        let Source::Registry { index: Some(index) } = &mut package.source else { continue };
        let name = key(&index.name);
        if let Some(url) = remap.get(&name) {
            index.url = (*url).clone();
        } else if let Some(url) = configured.get(&name).filter(|url| !same_index(url, index.url.expose())) {
            if !warnings.iter().any(|w: &Warning| w.subject == index.name) {
                warnings.push(Warning::new(
                    WarningKind::SourceUrlChanged,
                    index.name.clone(),
                    format!(
                        "source `{}`: pyproject.toml gives {} but the lock was made against {}; Poetry installs from the former, and so does lock2nix (run `poetry lock` to bring the lock up to date)",
                        index.name,
                        redact_url(url),
                        index.url
                    ),
                ));
            }
            index.url = DisplaySafeUrl::new(*url);
        }
    }
    let default = remap.get(PYPI).map_or_else(|| default_index.clone(), |url| (*url).clone());
    Ok((default, warnings))
}

/// Whether two index URLs name the same index (a trailing slash aside).
fn same_index(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The named sources the lock's packages come from, for credentials.
pub(super) fn named_sources(lock: &Lock) -> Vec<NamedSource> {
    let mut sources: Vec<NamedSource> = Vec::new();
    for package in &lock.packages {
        if let Source::Registry { index: Some(index) } = &package.source
            && !sources.iter().any(|s| s.name == index.name)
        {
            sources.push(NamedSource { name: index.name.clone(), url: index.url.clone() });
        }
    }
    sources
}

/// How a build authenticates to each named source: the prefix of Poetry's variables for its
/// name. Every named source gets one (whether it needs credentials cannot be known from the
/// lock, and the file must not depend on the machine); without the variables the download is
/// anonymous.
pub(super) fn build_auth(sources: &[NamedSource]) -> BTreeMap<String, String> {
    sources.iter().map(|source| (source.name.clone(), poetry_variables(&source.name))).collect()
}
