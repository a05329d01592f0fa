//! The packages' `files` arrays of a poetry.lock piece, read line by line instead of by the
//! TOML parser: they are nine tenths of a large lock's text, and lexing them was most of the
//! time spent reading it. Only the exact shape Poetry writes is read this way:
//!
//! ```toml
//! files = [
//!     {file = "NAME", hash = "ALGORITHM:HEX"},
//! ]
//! ```
//!
//! with strings free of escapes and control characters, and only where a scan of the lines
//! above proves the array is the package's own key (every line from the `[[package]]` header
//! down closes what it opens). Such an array is written `files = []` in the text the TOML
//! parser reads, so a duplicate key or a conflicting table is still its error, and its
//! entries are put back afterwards. Anything else is left to the parser.

use std::borrow::Cow;

use super::{RawFile, RawPackage};

const HEADER: &str = "\n[[package]]\n";
const OPEN: &str = "files = [\n";
const CLOSE: &str = "]\n";
const ENTRY_START: &str = "    {file = \"";
const ENTRY_MIDDLE: &str = "\", hash = \"";
const ENTRY_END: &str = "\"},\n";

/// A piece of a lock with the `files` arrays it could read apart.
pub(super) struct Lifted<'a> {
    /// The piece, each array read apart written `files = []`.
    pub(super) text: Cow<'a, str>,
    /// Per `[[package]]` header line of the piece, in order: its array's entries, if read apart.
    files: Vec<Option<Vec<RawFile>>>,
}

/// Reads apart the `files` arrays of `piece`, a run of `[[package]]` tables (the first piece
/// of a lock may start with other lines) without multi-line strings, in which a line could
/// look like a key's: `toml_error::from_str_in_pieces` hands over only such pieces.
pub(super) fn lift(piece: &str) -> Lifted<'_> {
    let mut text = String::new();
    let mut copied = 0;
    let mut files = Vec::new();
    let starts_with_header = piece.starts_with(&HEADER[1..]).then_some(0);
    let headers = memchr::memmem::find_iter(piece.as_bytes(), HEADER).map(|at| at + 1);
    for header in starts_with_header.into_iter().chain(headers) {
        let table = header + HEADER.len() - 1;
        let found = own_array(piece, table).and_then(|open| Some((open, entries(piece, open + OPEN.len())?)));
        let Some((open, (entries, end))) = found else {
            files.push(None);
            continue;
        };
        text.push_str(&piece[copied..open]);
        text.push_str("files = []\n");
        copied = end;
        files.push(Some(entries));
    }
    let text = if copied == 0 {
        Cow::Borrowed(piece)
    } else {
        text.push_str(&piece[copied..]);
        Cow::Owned(text)
    };
    Lifted { text, files }
}

impl Lifted<'_> {
    /// How many arrays were read apart.
    #[cfg(test)]
    pub(super) fn read_apart(&self) -> usize {
        self.files.iter().filter(|files| files.is_some()).count()
    }

    /// Puts each array read apart back into its package. `None` when the packages read are
    /// not the piece's header lines one for one, or one of them does not hold the `[]` its
    /// array was written as: the caller then reads the piece whole.
    pub(super) fn restore(self, packages: &mut [RawPackage]) -> Option<()> {
        if self.files.iter().all(Option::is_none) {
            return Some(());
        }
        if packages.len() != self.files.len() {
            return None;
        }
        for (package, files) in packages.iter_mut().zip(self.files) {
            let Some(files) = files else { continue };
            match &mut package.files {
                Some(written) if written.is_empty() => *written = files,
                _ => return None,
            }
        }
        Some(())
    }
}

/// Where the package table starting at `table` has its `files = [` line, when every line
/// above it is a whole key/value (or blank, or a comment), so that the line is the table's own.
fn own_array(piece: &str, table: usize) -> Option<usize> {
    let mut start = table;
    loop {
        let (line, end) = line_at(piece, start)?;
        if line == OPEN {
            return Some(start);
        }
        if !closes_what_it_opens(line) {
            return None;
        }
        start = end;
    }
}

/// The line of `piece` that starts at `start`, its newline included, and where the next one
/// starts; `None` for a last line without a newline.
fn line_at(piece: &str, start: usize) -> Option<(&str, usize)> {
    let end = start + memchr::memchr(b'\n', &piece.as_bytes()[start..])? + 1;
    Some((&piece[start..end], end))
}

/// Whether `line` opens no bracket or brace it does not close, and is not a table header:
/// the next line is then at table level too.
fn closes_what_it_opens(line: &str) -> bool {
    let bytes = line.as_bytes();
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return false;
    }
    let mut depth = 0_usize;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'#' => break,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => match depth.checked_sub(1) {
                Some(less) => depth = less,
                None => return false,
            },
            quote @ (b'"' | b'\'') => {
                // A string on this line: past its closing quote (a basic string's escapes
                // skipped), or not whole on the line.
                at += 1;
                loop {
                    match bytes.get(at) {
                        None | Some(b'\n') => return false,
                        Some(b'\\') if quote == b'"' => at += 2,
                        Some(&b) if b == quote => break,
                        Some(_) => at += 1,
                    }
                }
            }
            _ => {}
        }
        at += 1;
    }
    depth == 0
}

/// The entries from `start` to the array's closing line, and the offset after that line; `None`
/// at a line of another shape.
fn entries(piece: &str, mut start: usize) -> Option<(Vec<RawFile>, usize)> {
    let mut files = Vec::new();
    loop {
        let (line, end) = line_at(piece, start)?;
        if line == CLOSE {
            return Some((files, end));
        }
        let (file, rest) = plain_string(line.strip_prefix(ENTRY_START)?)?;
        let (hash, rest) = plain_string(rest.strip_prefix(ENTRY_MIDDLE)?)?;
        if rest != ENTRY_END {
            return None;
        }
        files.push(RawFile { file: file.to_string(), hash: Some(hash.to_string()) });
        start = end;
    }
}

/// A basic string's content up to its closing quote, and what follows the quote: `None` for
/// one with an escape or a control character, which the TOML parser reads.
fn plain_string(text: &str) -> Option<(&str, &str)> {
    let end = memchr::memchr2(b'"', b'\\', text.as_bytes())?;
    let content = &text[..end];
    // Folded rather than searched: the loop then runs on vectors, every byte of a lock's
    // file names and hashes passes here.
    let control = content.bytes().fold(0, |found, b| found | u8::from(b < 0x20 || b == 0x7f)) != 0;
    let plain = text.as_bytes()[end] == b'"' && !control;
    plain.then(|| (content, &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An array's entries as (file, hash).
    type Entries = Vec<(String, Option<String>)>;

    fn lifted(piece: &str) -> (String, Vec<Option<Entries>>) {
        let Lifted { text, files } = lift(piece);
        let files = files
            .into_iter()
            .map(|files| files.map(|files| files.into_iter().map(|f| (f.file, f.hash)).collect()))
            .collect();
        (text.into_owned(), files)
    }

    fn entry(file: &str, hash: &str) -> Entries {
        vec![(file.to_string(), Some(hash.to_string()))]
    }

    #[test]
    fn poetrys_arrays_are_read_apart_and_written_empty() {
        let piece = "# @generated\n\n[[package]]\nname = \"a\"\ndescription = \"say \\\"[hi\\\" {\" # [\nmarkers = {main = \"x\", dev = 'y]'}\nfiles = [\n    {file = \"a-1.tar.gz\", hash = \"sha256:aa\"},\n]\n\n[package.dependencies]\nb = \">=1\"\n\n[[package]]\nname = \"b\"\nfiles = [\n]\n";
        let (text, files) = lifted(piece);
        assert_eq!(
            text,
            "# @generated\n\n[[package]]\nname = \"a\"\ndescription = \"say \\\"[hi\\\" {\" # [\nmarkers = {main = \"x\", dev = 'y]'}\nfiles = []\n\n[package.dependencies]\nb = \">=1\"\n\n[[package]]\nname = \"b\"\nfiles = []\n"
        );
        assert_eq!(files, [Some(entry("a-1.tar.gz", "sha256:aa")), Some(vec![])]);
    }

    #[test]
    fn arrays_of_another_shape_or_place_are_left_to_the_parser() {
        let array = "files = [\n    {file = \"f\", hash = \"h\"},\n]\n";
        let left = [
            // Not the package's own key: under another table, or inside an inline table or
            // array still open above it.
            format!("[[package]]\nname = \"a\"\n[package.dependencies]\n{array}"),
            format!("[[package]]\n  [package.dependencies]\n{array}"),
            format!("[[package]]\nsource = {{\n{array}}}\n"),
            format!("[[package]]\nsource = {{ url = \"}}\" }} }}\n{array}"),
            format!("[[package]]\nname = \"open\n{array}"),
            // Another shape: escapes, control characters, other keys, spacing or ending.
            "[[package]]\nfiles = [\n    {file = \"f\\u0041\", hash = \"h\"},\n]\n".to_string(),
            "[[package]]\nfiles = [\n    {file = \"f\tg\", hash = \"h\"},\n]\n".to_string(),
            "[[package]]\nfiles = [\n    {file = \"f\"},\n]\n".to_string(),
            "[[package]]\nfiles = [\n    {file = \"f\", hash = \"h\", size = 1},\n]\n".to_string(),
            "[[package]]\nfiles = [\n    {file = \"f\", hash = \"h\"}\n]\n".to_string(),
            "[[package]]\nfiles = [ \n]\n".to_string(),
            "[[package]]\nfiles = [\n]".to_string(),
            "[[package]]\r\nfiles = [\r\n]\r\n".to_string(),
        ];
        for piece in left {
            let (text, files) = lifted(&piece);
            assert_eq!((text.as_str(), files.iter().any(Option::is_some)), (piece.as_str(), false), "{piece:?}");
        }
    }

    #[test]
    fn the_arrays_go_back_to_their_packages_only_when_the_headers_match_them() {
        let piece = "[[package]]\nname = \"a\"\nversion = \"1\"\nfiles = [\n    {file = \"f\", hash = \"h\"},\n]\n";
        let read = |text: &str| -> Vec<RawPackage> {
            let raw: super::super::RawLock = toml::from_str(text).unwrap();
            raw.package
        };
        let lifted = lift(piece);
        let mut packages = read(&lifted.text);
        assert!(lifted.restore(&mut packages).is_some());
        assert_eq!(packages[0].files.as_ref().map(|files| files[0].file.as_str()), Some("f"));

        // A package the scan did not count (a header written otherwise) shifts the rest.
        let extra = format!("{piece}[[ package ]]\nname = \"b\"\nversion = \"1\"\n");
        let lifted = lift(&extra);
        let mut packages = read(&lifted.text);
        assert!(lifted.restore(&mut packages).is_none());
    }
}
