//! The rendered file as the pieces it was rendered in: each package's text is rendered on its
//! own thread, and joining them would hold the whole file twice (27 MB more at the peak of a
//! 10,000-package lock) only to write it out once.

use std::fmt;
use std::io::{self, IoSlice, Write};

/// Linux's and macOS's most buffers per vectored write (`IOV_MAX`).
const PIECES_PER_WRITE: usize = 1024;

/// A whole rendered file: its pieces, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NixText {
    pieces: Vec<String>,
}

impl NixText {
    pub(crate) fn from_pieces(pieces: Vec<String>) -> Self {
        Self { pieces }
    }

    /// The length of the text, in bytes.
    pub fn len(&self) -> usize {
        self.pieces.iter().map(String::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.iter().all(String::is_empty)
    }

    /// The text, piece by piece.
    pub fn pieces(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().map(String::as_str)
    }

    /// Writes the text to `out`, up to [`PIECES_PER_WRITE`] pieces per vectored write: no
    /// copy into a buffer first (27 MB for a 10,000-package lock, on the run's last stretch).
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        for batch in self.pieces.chunks(PIECES_PER_WRITE) {
            let mut slices: Vec<IoSlice<'_>> = batch.iter().map(|piece| IoSlice::new(piece.as_bytes())).collect();
            let mut unwritten = &mut slices[..];
            // Without leading empty pieces: a write of nothing would read as a failure below.
            IoSlice::advance_slices(&mut unwritten, 0);
            while !unwritten.is_empty() {
                match out.write_vectored(unwritten) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(written) => IoSlice::advance_slices(&mut unwritten, written),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        out.flush()
    }

    /// The text in one string (for comparing it; writing needs no copy).
    pub fn into_string(self) -> String {
        match <[String; 1]>::try_from(self.pieces) {
            Ok([one]) => one,
            Err(pieces) => pieces.concat(),
        }
    }
}

impl From<String> for NixText {
    fn from(text: String) -> Self {
        Self { pieces: vec![text] }
    }
}

impl fmt::Display for NixText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces().try_for_each(|piece| f.write_str(piece))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pieces_read_as_one_text_however_it_is_taken() {
        let text = NixText::from_pieces(vec!["{\n".into(), String::new(), "  a = 1;\n".into(), "}\n".into()]);
        let whole = "{\n  a = 1;\n}\n";
        assert_eq!(text.len(), whole.len());
        assert!(!text.is_empty());
        assert_eq!(text.to_string(), whole);
        let mut written = Vec::new();
        text.write_to(&mut written).unwrap();
        assert_eq!(written, whole.as_bytes());
        assert_eq!(text.into_string(), whole);
        assert_eq!(NixText::from(whole.to_string()).into_string(), whole);
        assert!(NixText::default().is_empty());
    }
}
