//! What uv.lock and pylock.toml both say the same way: an index by its URL (PyPI's is the
//! default index), and markers.

use std::str::FromStr;

use uv_pep508::MarkerTree;

use crate::fetch::{DEFAULT_INDEX_URL, index_key};
use crate::limits::{check_pep508, excerpt};
use crate::model::{IndexRef, Source};
use crate::safe_url::DisplaySafeUrl;

/// A marker as both write it, within lock2nix's limits; the error quotes a bounded excerpt.
pub(crate) fn marker(text: &str) -> Result<MarkerTree, String> {
    check_pep508(text)
        .and_then(|()| MarkerTree::from_str(text).map_err(|e| e.to_string()))
        .map_err(|message| format!("marker `{}`: {message}", excerpt(text)))
}

/// A registry package's source: the default index for PyPI's URL, else the index by its URL
/// (the lock knows it by URL only).
pub(crate) fn registry(url: &str) -> Source {
    let url = DisplaySafeUrl::new(url);
    // PyPI as uv writes it, without normalizing it on every package.
    let pypi = url.expose().trim_end_matches('/') == DEFAULT_INDEX_URL.trim_end_matches('/');
    if pypi || index_key(&url) == index_key(&DisplaySafeUrl::new(DEFAULT_INDEX_URL)) {
        Source::Registry { index: None }
    } else {
        // The lock knows the index by its URL only: its name for messages is that URL, shown.
        Source::Registry { index: Some(IndexRef { name: url.redacted(), url }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_is_the_default_index_and_other_registries_are_named_by_url() {
        assert_eq!(registry("https://pypi.org/simple"), Source::Registry { index: None });
        let torch = registry("https://download.pytorch.org/whl/cpu");
        assert!(
            matches!(torch, Source::Registry { index: Some(IndexRef { url, .. }) } if url.expose().ends_with("/cpu"))
        );
    }
}
