//! uv.lock sources into the model's: the git URL's query and fragment, PyPI as the default
//! index, paths relative to the lock's folder.

use super::wire::RawSource;
use crate::filename::file_name_of;
use crate::lockfile::location::registry as registry_source;
use crate::model::Source;

/// Whether a path source is the workspace root (`.`, as uv writes it).
pub(super) fn is_root(path: &str) -> bool {
    matches!(path, "." | "" | "./")
}

pub(super) fn convert(raw: &RawSource) -> Result<Source, String> {
    Ok(match raw {
        // A local registry (a `find-links` folder) is a path relative to the lock's folder.
        RawSource::Registry { registry } if !registry.contains("://") => Source::Folder { path: registry.clone() },
        RawSource::Registry { registry } => registry_source(registry),
        RawSource::Git { git } => git_source(git)?,
        RawSource::Url { url, subdirectory } => {
            Source::Url { url: url.as_str().into(), subdirectory: subdirectory.clone() }
        }
        RawSource::Path { path } => Source::File { path: path.clone() },
        RawSource::Directory { directory } => Source::Directory { path: directory.clone(), develop: false },
        RawSource::Editable { editable } => Source::Directory { path: editable.clone(), develop: true },
        RawSource::Virtual { r#virtual } => {
            return Err(format!("virtual source `{virtual}` cannot be installed"));
        }
    })
}

/// `https://host/repo.git?rev=v1&subdirectory=sub#<commit>`: the commit is the fragment; the
/// query names what was asked for (`rev`, `tag` or `branch`) and the subdirectory.
fn git_source(text: &str) -> Result<Source, String> {
    let (rest, commit) = text
        .split_once('#')
        .ok_or_else(|| format!("git source `{}` names no commit", crate::safe_url::redact(text)))?;
    if commit.len() < 7 || !crate::digest::is_hex(commit) {
        return Err(format!("git source `{}`: `{commit}` is not a commit", crate::safe_url::redact(text)));
    }
    let (url, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut reference = None;
    let mut subdirectory = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "rev" | "tag" | "branch" => reference = Some(value.into_owned()),
            "subdirectory" => subdirectory = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok(Source::Git { url: url.into(), reference, resolved_reference: Some(commit.to_ascii_lowercase()), subdirectory })
}

/// The file name of a url or path source, whose sdist or wheel entry names no file.
pub(super) fn archive_name(source: &RawSource) -> Option<String> {
    match source {
        RawSource::Url { url, .. } => file_name_of(url),
        RawSource::Path { path } => file_name_of(path),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_sources_split_into_url_reference_commit_and_subdirectory() {
        let source = git_source(
            "https://github.com/o/r.git?rev=v1.2&subdirectory=pkgs%2Fa#7FC59DA2c4dff919db2095a0f0e47101b657131d",
        )
        .unwrap();
        let Source::Git { url, reference, resolved_reference, subdirectory } = source else { panic!() };
        assert_eq!(url.expose(), "https://github.com/o/r.git");
        assert_eq!(reference.as_deref(), Some("v1.2"));
        assert_eq!(resolved_reference.as_deref(), Some("7fc59da2c4dff919db2095a0f0e47101b657131d"));
        assert_eq!(subdirectory.as_deref(), Some("pkgs/a"));
        assert!(git_source("https://github.com/o/r.git").unwrap_err().contains("names no commit"));
        assert!(git_source("https://u:s3cret@github.com/o/r.git#main").unwrap_err().contains("is not a commit"));
        assert!(!git_source("https://u:s3cret@github.com/o/r.git").unwrap_err().contains("s3cret"));
    }

    #[test]
    fn a_local_registry_is_a_folder_and_a_remote_one_an_index() {
        let local = convert(&RawSource::Registry { registry: "../wheels".into() }).unwrap();
        assert_eq!(local, Source::Folder { path: "../wheels".into() });
        let remote = convert(&RawSource::Registry { registry: "https://pypi.org/simple".into() }).unwrap();
        assert_eq!(remote, Source::Registry { index: None });
    }
}
