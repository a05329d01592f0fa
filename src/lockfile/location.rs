//! What uv.lock and pylock.toml both say the same way: an index by its URL (PyPI's is the
//! default index).

use crate::fetch::{DEFAULT_INDEX_URL, index_key};
use crate::model::{IndexRef, Source};

/// A registry package's source: the default index for PyPI's URL, else the index by its URL
/// (the lock knows it by URL only).
pub(crate) fn registry(url: &str) -> Source {
    // PyPI as uv writes it, without normalizing it on every package.
    let pypi = url.trim_end_matches('/') == DEFAULT_INDEX_URL.trim_end_matches('/');
    if pypi || index_key(url) == index_key(DEFAULT_INDEX_URL) {
        Source::Registry { index: None }
    } else {
        Source::Registry { index: Some(IndexRef { name: url.to_string(), url: url.to_string() }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_is_the_default_index_and_other_registries_are_named_by_url() {
        assert_eq!(registry("https://pypi.org/simple"), Source::Registry { index: None });
        let torch = registry("https://download.pytorch.org/whl/cpu");
        assert!(matches!(torch, Source::Registry { index: Some(IndexRef { url, .. }) } if url.ends_with("/cpu")));
    }
}
