//! Splitting text at one ASCII byte, for the fields a large lock has hundreds of thousands of
//! (file name parts, tag sets, lines of the located-files memory): `memchr`, where
//! `str::split`'s searcher costs more to set up than a short search itself.

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

#[cfg(test)]
mod tests {
    use super::split_byte;

    #[test]
    fn splits_like_str_split() {
        for text in ["", "a", "-", "a-b", "a--b-", "-é-ü-", "cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64"] {
            assert_eq!(split_byte(text, b'-').collect::<Vec<_>>(), text.split('-').collect::<Vec<_>>(), "{text:?}");
        }
    }
}
