//! Small text helpers for what a large lock has hundreds of thousands of: splitting fields at
//! one ASCII byte (file name parts, tag sets, lines of the located-files memory) with `memchr`,
//! where `str::split`'s searcher costs more to set up than a short search itself; a file URL
//! as its folder and name.

/// `text` split at each `separator` (an ASCII byte, so every cut is at a character boundary).
pub(crate) fn split_byte(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    debug_assert!(separator.is_ascii());
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match memchr::memchr(separator, text.as_bytes()) {
            Some(at) => {
                rest = Some(&text[at + 1..]);
                Some(&text[..at])
            }
            None => rest.take(),
        }
    })
}

/// The folder `url` names `file` in, when the URL is that folder's followed by the file's
/// name: how the located-files memory and the plan keep such a URL, without the name twice.
pub(crate) fn url_folder<'u>(url: &'u str, file: &str) -> Option<&'u str> {
    url.strip_suffix(file).filter(|folder| folder.ends_with('/'))
}

#[cfg(test)]
mod tests {
    use super::{split_byte, url_folder};

    #[test]
    fn a_url_is_its_files_folder_and_name_only_at_a_slash() {
        assert_eq!(url_folder("https://files.example/p/a-1.tar.gz", "a-1.tar.gz"), Some("https://files.example/p/"));
        assert_eq!(url_folder("https://files.example/xa-1.tar.gz", "a-1.tar.gz"), None);
        assert_eq!(url_folder("https://files.example/get?f=a-1.tar.gz", "a-1.tar.gz"), None);
    }

    #[test]
    fn splits_like_str_split() {
        for text in ["", "a", "-", "a-b", "a--b-", "-é-ü-", "cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64"] {
            assert_eq!(split_byte(text, b'-').collect::<Vec<_>>(), text.split('-').collect::<Vec<_>>(), "{text:?}");
        }
    }
}
