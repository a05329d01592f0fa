//! TOML errors in one line: where (line and column), which key (`package[12].files[3]`),
//! and what — instead of the `toml` crate's multi-line report with a source excerpt.

use std::fmt;
use std::fmt::Write as _;

use serde::de::DeserializeOwned;

/// A TOML document that did not parse or did not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlError {
    /// 1-based; `None` when the parser gave no position.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The key path as `package[12].files[3]`; empty for syntax errors and the top level.
    pub key: String,
    pub message: String,
}

impl fmt::Display for TomlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, "line {line}, column {column}: ")?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for TomlError {}

/// Deserializes `text` into `T`, recording the key path of a shape error. A string holding a
/// NUL character (`\u0000`) is an error: Nix strings cannot hold one.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, TomlError> {
    if let Some(offset) = nul_escape(text) {
        let (line, column) = line_column(text, offset);
        let message = "a string holds a NUL character (\\u0000), which a Nix string cannot hold".to_string();
        return Err(TomlError { line: Some(line), column: Some(column), key: String::new(), message });
    }
    // Read light where it can be (`toml_light`); the toml crate reads the rest and words errors.
    if let Some(value) = crate::toml_light::from_str(text) {
        return Ok(value);
    }
    let deserializer = toml::Deserializer::parse(text).map_err(|e| TomlError::new(text, &e, String::new()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = key_path(e.path());
        TomlError::new(text, e.inner(), key)
    })
}

impl TomlError {
    fn new(text: &str, error: &toml::de::Error, key: String) -> Self {
        let (line, column) = match error.span() {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        // The message is one line; the crate's own `Display` adds a source excerpt.
        let message = error.message().trim().replace('\n', "; ");
        Self { line, column, key, message }
    }
}

/// Where `text` escapes a NUL character (`\u0000` or `\U00000000` after an even number of
/// backslashes). TOML allows no raw NUL, so an escape is the only way one gets in; a literal
/// string spelling the escape out is refused too, which no real file does.
fn nul_escape(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, b"\\u0000").chain(memchr::memmem::find_iter(bytes, b"\\U00000000")).find(|&at| {
        let backslashes = bytes[..at].iter().rev().take_while(|&&b| b == b'\\').count();
        backslashes % 2 == 0
    })
}

/// `text` cut before its `marker` lines (`[[package]]`) into pieces of about 32 KiB, each
/// deserialized on its own ([`from_str`]), in parallel: TOML parsing is most of a warm run's
/// time. `None` when that cannot be trusted or does not pay (a small text, multi-line strings,
/// a piece that does not parse alone): the caller then parses the whole text, which also gives
/// errors their true line and column.
///
/// `read` reads each piece ([`from_str`], and whatever maps its result while the piece's
/// strings are fresh in that core's cache), or gives up on it (`None`).
pub(crate) fn from_str_in_pieces<R: Send>(
    text: &str,
    marker: &str,
    read: impl Fn(&str) -> Option<R> + Sync,
) -> Option<Vec<R>> {
    use rayon::prelude::*;
    const PIECE: usize = 32 * 1024;
    if text.len() < 2 * PIECE {
        return None;
    }
    let line = format!("\n{marker}\n");
    let mut cuts = vec![0];
    let mut last = 0;
    for offset in marker_lines(text, &line) {
        if offset + 1 - last >= PIECE {
            cuts.push(offset + 1);
            last = offset + 1;
        }
    }
    cuts.push(text.len());
    let pieces: Vec<&str> = cuts.windows(2).map(|w| &text[w[0]..w[1]]).collect();
    // Checked piece by piece, on every core: a piece starts after a newline, with `[`, so none
    // of these spans two pieces.
    let trusted = |piece: &str| {
        let has = |needle: &str| memchr::memmem::find(piece.as_bytes(), needle.as_bytes()).is_some();
        !has("\'\'\'") && !has("\"\"\"") && nul_escape(piece).is_none()
    };
    pieces.into_par_iter().map(|piece| trusted(piece).then(|| read(piece)).flatten()).collect()
}

/// How much text [`marker_lines`] searches on one core.
const REGION: usize = 1 << 20;

/// Where `line` occurs in `text`, in order, searched a megabyte at a time on every core: a
/// 10,000-package lock is 22 MB, and nothing else can start before its pieces are cut.
fn marker_lines(text: &str, line: &str) -> Vec<usize> {
    use rayon::prelude::*;
    let (bytes, needle) = (text.as_bytes(), line.as_bytes());
    let found: Vec<Vec<usize>> = (0..bytes.len().div_ceil(REGION))
        .into_par_iter()
        .map(|region| {
            let start = region * REGION;
            // Overlapping the next region by the line's length less one: a line that starts
            // in this region is found here, and only here.
            let end = (start + REGION + needle.len() - 1).min(bytes.len());
            memchr::memmem::find_iter(&bytes[start..end], needle)
                .map(|at| start + at)
                .filter(|&at| at < start + REGION)
                .collect()
        })
        .collect();
    found.concat()
}

/// The line and column where the value at `path` (table keys, as written) starts in `text`,
/// for errors found after parsing, by code that read the document as plain tables.
pub(crate) fn position(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut span = root.span();
    let mut value = toml::de::DeValue::Table(root.into_inner());
    for key in path {
        let next = value.get(*key)?;
        span = next.span();
        value = next.get_ref().clone();
    }
    Some(line_column(text, span.start))
}

/// `serde_path_to_error`'s path as `a.b[3].c`.
fn key_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => {
                let _ = write!(out, "[{index}]");
            }
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)) {
                    out.push_str(key);
                } else {
                    let _ = write!(out, "{key:?}");
                }
            }
            Segment::Enum { variant } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(variant);
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn a_nul_character_in_a_string_is_an_error_where_it_is_written() {
        let err = from_str::<toml::Table>("a = \"x\"\nb = \"ok\\u0000\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2, column 8: a string holds a NUL character (\\u0000), which a Nix string cannot hold"
        );
        assert!(from_str::<toml::Table>("b = \"\\U00000000\"").is_err());
        // An escaped backslash before `u0000` is text, not a NUL.
        assert_eq!(from_str::<toml::Table>("b = \"\\\\u0000\"").unwrap()["b"].as_str(), Some("\\u0000"));
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Doc {
        package: Vec<Package>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Package {
        name: String,
        files: Vec<File>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct File {
        file: String,
    }

    #[test]
    fn shape_errors_name_line_column_and_key_path() {
        let text = "[[package]]\nname = \"a\"\nfiles = []\n\n[[package]]\nname = \"b\"\nfiles = [{file = \"x\"}, {file = 3}]\n";
        let err = from_str::<Doc>(text).unwrap_err();
        assert_eq!(err.key, "package[1].files[1].file");
        assert_eq!((err.line, err.column), (Some(7), Some(32)));
        assert_eq!(
            err.to_string(),
            "line 7, column 32: package[1].files[1].file: invalid type: integer `3`, expected a string"
        );
    }

    #[test]
    fn syntax_errors_have_a_position_and_one_line() {
        let err = from_str::<Doc>("[[package]]\nname = \"a\nfiles = []\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.key.is_empty());
        assert!(!err.to_string().contains('\n'), "{err}");
    }

    #[test]
    fn positions_of_keys_found_later() {
        let text = "[tool.poetry]\nname = \"x\"\n\n[tool.poetry.dependencies]\npython = \"^3.10\"\nsix = { platform = \"a,b\" }\n";
        assert_eq!(position(text, &["tool", "poetry", "dependencies", "six"]), Some((6, 7)));
        assert_eq!(position(text, &["tool", "poetry", "name"]), Some((2, 8)));
        assert_eq!(position(text, &["tool", "nothing"]), None);
    }

    #[test]
    fn marker_lines_are_found_once_each_across_the_regions_they_are_searched_in() {
        let line = "\n[[package]]\n";
        // Before, across, at and just after the first region's end; the second region's last
        // byte; each with one line near the start and one at the very end.
        for at in [REGION - line.len(), REGION - 5, REGION - 1, REGION, REGION + 1, 2 * REGION - 1] {
            let mut text = "x".repeat(3 * REGION);
            for at in [10, at, 3 * REGION - line.len()] {
                text.replace_range(at..at + line.len(), line);
            }
            assert_eq!(marker_lines(&text, line), [10, at, 3 * REGION - line.len()], "{at}");
        }
    }

    #[test]
    fn a_multi_line_string_or_a_nul_escape_in_any_piece_reads_the_whole_text() {
        let package =
            |name: &str, file: &str| format!("[[package]]\nname = \"{name}\"\nfiles = [{{file = {file}}}]\n\n");
        let names: Vec<String> = (0..4000).map(|n| format!("p{n}")).collect();
        let text: String = names.iter().map(|name| package(name, "\"f\"")).collect();
        assert!(text.len() > 2 * 32 * 1024, "a text in several pieces");
        let read = from_str_in_pieces(&text, "[[package]]", |piece| from_str::<Doc>(piece).ok().map(|doc| doc.package))
            .unwrap();
        assert!(read.len() > 2, "{} pieces", read.len());
        assert_eq!(read.iter().flatten().map(|p| p.name.as_str()).collect::<Vec<_>>(), names);
        for odd in ["\"\"\"f\"\"\"", "'''f'''", "\"f\\u0000\""] {
            let late = format!("{text}{}", package("last", odd));
            assert!(
                from_str_in_pieces(&late, "[[package]]", |piece| from_str::<Doc>(piece).ok().map(|doc| doc.package))
                    .is_none(),
                "{odd}"
            );
        }
    }

    #[test]
    fn missing_fields_name_the_table() {
        let err = from_str::<Doc>("[[package]]\nname = \"a\"\n").unwrap_err();
        assert_eq!(err.key, "package[0]");
        assert!(err.message.contains("missing field `files`"), "{err}");
    }
}
