//! What uv.lock and pylock.toml both say the same way: a file's name at the end of its URL or
//! path, and an index by its URL (PyPI's is the default index).

use crate::fetch::{DEFAULT_INDEX_URL, index_key};
use crate::model::{IndexRef, Source};

/// The file name at the end of a URL or path, percent-decoded.
pub(crate) fn file_name_of(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next()?;
    let segment = path.rsplit(['/', '\\']).next().filter(|s| !s.is_empty())?;
    Some(percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned())
}

/// A registry package's source: the default index for PyPI's URL, else the index by its URL
/// (the lock knows it by URL only).
pub(crate) fn registry(url: &str) -> Source {
    if index_key(url) == index_key(DEFAULT_INDEX_URL) {
        Source::Registry { index: None }
    } else {
        Source::Registry { index: Some(IndexRef { name: url.to_string(), url: url.to_string() }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_end_of_the_url() {
        assert_eq!(
            file_name_of("https://h/p/a%2Bb-1.0-py3-none-any.whl#sha256=1").as_deref(),
            Some("a+b-1.0-py3-none-any.whl")
        );
        assert_eq!(file_name_of("dist/x-1.0.tar.gz").as_deref(), Some("x-1.0.tar.gz"));
        assert_eq!(file_name_of("https://h/"), None);
    }

    #[test]
    fn pypi_is_the_default_index_and_other_registries_are_named_by_url() {
        assert_eq!(registry("https://pypi.org/simple"), Source::Registry { index: None });
        let torch = registry("https://download.pytorch.org/whl/cpu");
        assert!(matches!(torch, Source::Registry { index: Some(IndexRef { url, .. }) } if url.ends_with("/cpu")));
    }
}
