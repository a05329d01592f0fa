//! uv.lock sources into the model's: the git URL's query and fragment, PyPI as the default
//! index, paths relative to the lock's folder.

use super::wire::RawSource;
use crate::fetch::DEFAULT_INDEX_URL;
use crate::model::{IndexRef, Source};

/// Whether a path source is the workspace root (`.`, as uv writes it).
pub(super) fn is_root(path: &str) -> bool {
    matches!(path, "." | "" | "./")
}

pub(super) fn convert(raw: &RawSource) -> Result<Source, String> {
    Ok(match raw {
        RawSource::Registry { registry } => {
            if !registry.contains("://") {
                return Err(format!(
                    "registry `{registry}` is a local folder (find-links); lock2nix reads packages from remote indexes only"
                ));
            }
            if same_index(registry, DEFAULT_INDEX_URL) {
                Source::Registry { index: None }
            } else {
                // The lock knows the index by URL only; pyproject.toml's `[[tool.uv.index]]`
                // may give it a name.
                Source::Registry { index: Some(IndexRef { name: registry.clone(), url: registry.clone() }) }
            }
        }
        RawSource::Git { git } => git_source(git)?,
        RawSource::Url { url, subdirectory } => Source::Url { url: url.clone(), subdirectory: subdirectory.clone() },
        RawSource::Path { path } => Source::File { path: path.clone() },
        RawSource::Directory { directory } => Source::Directory { path: directory.clone(), develop: false },
        RawSource::Editable { editable } => Source::Directory { path: editable.clone(), develop: true },
        RawSource::Virtual { r#virtual } => {
            return Err(format!("virtual source `{}` cannot be installed", r#virtual));
        }
    })
}

/// `https://host/repo.git?rev=v1&subdirectory=sub#<commit>`: the commit is the fragment; the
/// query names what was asked for (`rev`, `tag` or `branch`) and the subdirectory.
fn git_source(text: &str) -> Result<Source, String> {
    let (rest, commit) = text
        .split_once('#')
        .ok_or_else(|| format!("git source `{}` names no commit", crate::fetch::redact_url(text)))?;
    if commit.len() < 7 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("git source `{}`: `{commit}` is not a commit", crate::fetch::redact_url(text)));
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
    Ok(Source::Git {
        url: url.to_string(),
        reference,
        resolved_reference: Some(commit.to_ascii_lowercase()),
        subdirectory,
    })
}

/// The file name at the end of a URL or path, percent-decoded.
pub(super) fn last_segment(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next()?;
    let segment = path.rsplit(['/', '\\']).next().filter(|s| !s.is_empty())?;
    Some(percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned())
}

/// The file name of a url or path source, whose sdist or wheel entry names no file.
pub(super) fn archive_name(source: &RawSource) -> Option<String> {
    match source {
        RawSource::Url { url, .. } => last_segment(url),
        RawSource::Path { path } => last_segment(path),
        _ => None,
    }
}

fn same_index(a: &str, b: &str) -> bool {
    a.trim_end_matches('/').eq_ignore_ascii_case(b.trim_end_matches('/'))
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
        assert_eq!(url, "https://github.com/o/r.git");
        assert_eq!(reference.as_deref(), Some("v1.2"));
        assert_eq!(resolved_reference.as_deref(), Some("7fc59da2c4dff919db2095a0f0e47101b657131d"));
        assert_eq!(subdirectory.as_deref(), Some("pkgs/a"));
        assert!(git_source("https://github.com/o/r.git").unwrap_err().contains("names no commit"));
        assert!(git_source("https://u:s3cret@github.com/o/r.git#main").unwrap_err().contains("is not a commit"));
        assert!(!git_source("https://u:s3cret@github.com/o/r.git").unwrap_err().contains("s3cret"));
    }

    #[test]
    fn pypi_is_the_default_index_and_other_registries_are_named_by_url() {
        let pypi = convert(&RawSource::Registry { registry: "https://pypi.org/simple".into() }).unwrap();
        assert_eq!(pypi, Source::Registry { index: None });
        let torch = convert(&RawSource::Registry { registry: "https://download.pytorch.org/whl/cpu".into() }).unwrap();
        assert!(matches!(torch, Source::Registry { index: Some(IndexRef { url, .. }) } if url.ends_with("/cpu")));
        assert!(convert(&RawSource::Registry { registry: "../wheels".into() }).is_err());
    }

    #[test]
    fn file_names_come_from_the_end_of_the_url() {
        assert_eq!(
            last_segment("https://h/p/a%2Bb-1.0-py3-none-any.whl#sha256=1").as_deref(),
            Some("a+b-1.0-py3-none-any.whl")
        );
        assert_eq!(last_segment("dist/x-1.0.tar.gz").as_deref(), Some("x-1.0.tar.gz"));
        assert_eq!(last_segment("https://h/"), None);
    }
}
