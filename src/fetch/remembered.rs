//! What one lock's last run located, in one file: for each (index, project, file name) the
//! file's sha256 and URL. A warm run of a changed lock reads it instead of one cached page per
//! project (a 650-package lock has about 500); a project it cannot answer whole (a new file,
//! a version whose files the lock does not name, another hash) goes the usual way, and the
//! file is rewritten with what the run located.
//!
//! Locations are facts about immutable files, checked against the lock's sha256, so the file
//! needs no expiry; `--refresh` ignores it. A file that is missing, unreadable or of another
//! layout is an empty memory.
//!
//! The text, after a layout line: `index <url>`, then for each project `project <name>`, then
//! `<file name> <sha256> <url>` lines, fields separated by a tab. Index URLs are
//! credential-free, names normalized, file names and URLs as the index listed them (an index
//! page's names hold no control character, URLs are percent-encoded); an entry that would not
//! round-trip is left out. A URL that ends with `/<file name>`, as nearly all do, is written
//! without its file name (which is the first field): a third of the text, which is as large
//! as the lock's and held while it is read. Any other URL ending in `/` would not round-trip.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use super::{LocatedFile, LocationRef, Text};
use crate::model::{LockedFile, Sha256};
use crate::text::{split_byte, url_folder};

const LAYOUT: &str = "lock2nix located-v2";

/// What a run located, to be written: index → project → (file name, location).
pub(super) type Located<'a> = BTreeMap<&'a str, BTreeMap<&'a str, Vec<(&'a str, LocationRef<'a>)>>>;

/// One lock's last run: its text, and by credential-free index URL and normalized project
/// name where that project's file lines are. A project's lines are split only when it is
/// asked about, so loading costs one scan and an allocation per project, not three per file.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Remembered {
    text: String,
    projects: HashMap<String, HashMap<String, Range<usize>>>,
}

/// The tab-separated fields of a line.
fn fields(line: &str) -> impl Iterator<Item = &str> {
    split_byte(line, b'\t')
}

impl Remembered {
    /// The memory at `path`; empty when there is none or it cannot be read.
    pub(super) fn load(path: &Path) -> Self {
        std::fs::read_to_string(path).ok().and_then(Self::parse).unwrap_or_default()
    }

    /// Checks every line's shape (a damaged file is no memory at all) and notes where each
    /// project's lines are.
    fn parse(text: String) -> Option<Self> {
        // Answers point into the text with 32-bit offsets.
        if text.lines().next()? != LAYOUT || u32::try_from(text.len()).is_err() {
            return None;
        }
        let mut projects: HashMap<String, HashMap<String, Range<usize>>> = HashMap::new();
        let (mut index, mut project) = (None::<&str>, None::<(&str, usize)>);
        let mut close = |index: Option<&str>, project: Option<(&str, usize)>, end: usize| {
            if let (Some(index), Some((name, start))) = (index, project) {
                projects.entry(index.to_string()).or_default().insert(name.to_string(), start..end);
            }
        };
        // Split by byte search: a large lock's memory has 140,000 lines.
        for (number, body) in split_byte(&text, b'\n').enumerate() {
            let start = body.as_ptr() as usize - text.as_ptr() as usize;
            // Where the next line starts (the end, for the last line).
            let offset = (start + body.len() + 1).min(text.len());
            if number == 0 {
                continue;
            }
            if start == text.len() {
                // What follows the last newline.
                break;
            }
            let mut fields = fields(body);
            match (fields.next()?, fields.next()?, fields.next(), fields.next()) {
                ("index", url, None, None) => {
                    close(index, project.take(), start);
                    index = Some(url);
                }
                ("project", name, None, None) => {
                    index?;
                    close(index, project.take(), start);
                    project = Some((name, offset));
                }
                (_, _, Some(_), None) => {
                    project?;
                }
                _ => return None,
            }
        }
        close(index, project, text.len());
        Some(Self { text, projects })
    }

    /// Where each of `files` is, when every one was located last time with the sha256 the lock
    /// records (or the lock records none); `None` sends the project the usual way. The answer
    /// points into the text ([`Self::into_text`]).
    pub(super) fn answer(&self, index: &str, project: &str, files: &[&LockedFile]) -> Option<Vec<LocatedFile>> {
        let lines = self.text.get(self.projects.get(index)?.get(project)?.clone())?;
        // (file name, sha256, URL), by name; `parse` checked that each line has three fields.
        let mut known: Vec<(&str, &str, &str)> = split_byte(lines, b'\n')
            .filter_map(|line| {
                let mut fields = fields(line);
                Some((fields.next()?, fields.next()?, fields.next()?))
            })
            .collect();
        known.sort_unstable_by_key(|(filename, ..)| *filename);
        // Sized at once: what is collected into an `Option` has no size hint to go by.
        let mut answer = Vec::with_capacity(files.len());
        for file in files {
            let at = known.binary_search_by_key(&file.filename.as_str(), |(filename, ..)| filename).ok()?;
            let (filename, sha256_hex, url) = known[at];
            let sha256 = Sha256::from_hex(sha256_hex)?;
            if file.hash.as_ref().is_some_and(|hash| hash.sha256() != Some(sha256)) {
                return None;
            }
            let (name, url, in_folder) = (self.span(filename), self.span(url), url.ends_with('/'));
            answer.push(LocatedFile { name, url, in_folder, sha256: Some(sha256) });
        }
        Some(answer)
    }

    /// Where `part`, a slice of the text, is in it.
    fn span(&self, part: &str) -> Text {
        let start = part.as_ptr() as usize - self.text.as_ptr() as usize;
        // `parse` checked that every offset fits.
        let offset = |at: usize| u32::try_from(at).expect("the text is under 4 GiB");
        Text::Memory { start: offset(start), end: offset(start + part.len()) }
    }

    /// The text, which answers point into.
    pub(super) fn into_text(self) -> String {
        self.text
    }

    /// The text of a memory holding `located` (index → project → file name → location).
    pub(super) fn text(located: &Located<'_>) -> String {
        let mut out = format!("{LAYOUT}\n");
        let fits = |field: &str| !field.is_empty() && !field.contains(|c: char| c.is_control());
        for (index, projects) in located {
            if !fits(index) {
                continue;
            }
            let _ = writeln!(out, "index\t{index}");
            for (project, files) in projects.iter().filter(|(project, _)| fits(project)) {
                let _ = writeln!(out, "project\t{project}");
                for (filename, location) in files {
                    // A URL with `@` might hold a credential: never written to the cache.
                    let safe = !location.base.contains('@') && !location.name.is_some_and(|name| name.contains('@'));
                    let Some(sha256) = location.sha256 else { continue };
                    // Written without the file name it ends with; any other URL ending in `/`
                    // would read back as one that did.
                    let url = match (location.name, url_folder(location.base, filename)) {
                        (Some(_), _) => location.base,
                        (None, Some(folder)) => folder,
                        _ if location.base.ends_with('/') => continue,
                        _ => location.base,
                    };
                    if fits(filename) && fits(url) && safe {
                        let _ = writeln!(out, "{filename}\t{sha256}\t{url}");
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::FileLocation;
    use crate::model::{FileHash, HashAlgorithm};

    /// `remembered`'s answer, with its names and locations read out of the text.
    fn answer(
        remembered: &Remembered,
        index: &str,
        project: &str,
        files: &[&LockedFile],
    ) -> Option<Vec<(String, FileLocation)>> {
        let answer = remembered.answer(index, project, files)?;
        let text = &remembered.text;
        Some(
            answer
                .iter()
                .map(|file| (file.name.resolve(text).to_string(), file.location(text).to_location()))
                .collect(),
        )
    }

    /// A sha256 whose every byte is `byte` (two hex digits).
    fn location(url: &str, byte: &str) -> FileLocation {
        FileLocation { url: url.to_string(), sha256: Sha256::from_hex(&byte.repeat(32)) }
    }

    fn locked(name: &str, hash: Option<(HashAlgorithm, &str)>) -> LockedFile {
        let digest = |(algorithm, byte): (HashAlgorithm, &str)| {
            let length = if algorithm == HashAlgorithm::Md5 { 16 } else { 32 };
            FileHash::from_hex(algorithm, &byte.repeat(length)).unwrap()
        };
        LockedFile::named(name.to_string(), hash.map(digest))
    }

    #[test]
    fn a_written_memory_reads_back_and_answers_only_whole_projects_with_the_locks_hashes() {
        let (wheel, sdist) = (
            location("https://files.example/a-1-py3-none-any.whl", "aa"),
            location("https://files.example/a-1.tar.gz", "bb"),
        );
        let other = location("https://mirror.example/b-2.tar.gz", "cc");
        let mut located = BTreeMap::new();
        located.insert(
            "https://index.example/simple/",
            BTreeMap::from([
                ("a", vec![("a-1-py3-none-any.whl", LocationRef::of(&wheel)), ("a-1.tar.gz", LocationRef::of(&sdist))]),
                ("b", vec![("b-2.tar.gz", LocationRef::of(&other))]),
            ]),
        );
        located
            .insert("https://mirror.example/", BTreeMap::from([("a", vec![("a-1.tar.gz", LocationRef::of(&other))])]));
        let text = Remembered::text(&located);
        let remembered = Remembered::parse(text).unwrap();
        let index = "https://index.example/simple/";

        let both = [&locked("a-1-py3-none-any.whl", Some((HashAlgorithm::Sha256, "AA"))), &locked("a-1.tar.gz", None)];
        assert_eq!(
            answer(&remembered, index, "a", &both).unwrap(),
            vec![("a-1-py3-none-any.whl".to_string(), wheel.clone()), ("a-1.tar.gz".to_string(), sdist)]
        );

        // Each project and index answers with its own lines.
        let b = [&locked("b-2.tar.gz", None)];
        assert_eq!(answer(&remembered, index, "b", &b).unwrap(), vec![("b-2.tar.gz".to_string(), other.clone())]);
        let mirrored = answer(&remembered, "https://mirror.example/", "a", &[&locked("a-1.tar.gz", None)]).unwrap();
        assert_eq!(mirrored, vec![("a-1.tar.gz".to_string(), other.clone())]);

        // Another hash, another algorithm, a file not seen, another project or index: no answer.
        assert_eq!(
            answer(&remembered, index, "a", &[&locked("a-1.tar.gz", Some((HashAlgorithm::Sha256, "cc")))]),
            None
        );
        assert_eq!(answer(&remembered, index, "a", &[&locked("a-1.tar.gz", Some((HashAlgorithm::Md5, "bb")))]), None);
        assert_eq!(answer(&remembered, index, "a", &[&locked("a-1.tar.gz", None), &locked("a-2.tar.gz", None)]), None);
        assert_eq!(answer(&remembered, index, "b", &[&locked("a-1.tar.gz", None)]), None);
        assert_eq!(answer(&remembered, "https://other.example/", "a", &[&locked("a-1.tar.gz", None)]), None);
    }

    #[test]
    fn entries_that_would_not_round_trip_are_left_out_and_a_damaged_file_is_empty() {
        let (tab, secret, slash, fine) = (
            location("https://files.example/a\tb.whl", "aa"),
            location("https://user:secret@files.example/a.whl", "aa"),
            location("https://files.example/download/", "aa"),
            location("https://files.example/a-1.tar.gz", "bb"),
        );
        let mut located = BTreeMap::new();
        located.insert(
            "https://index.example/simple/",
            BTreeMap::from([(
                "a",
                vec![
                    ("tab.whl", LocationRef::of(&tab)),
                    ("secret.whl", LocationRef::of(&secret)),
                    ("slash.whl", LocationRef::of(&slash)),
                    ("a\nb", LocationRef::of(&fine)),
                    ("index", LocationRef::of(&fine)),
                    ("a-1.tar.gz", LocationRef::of(&fine)),
                ],
            )]),
        );
        let text = Remembered::text(&located);
        assert!(!text.contains("secret") && !text.contains("a\tb") && !text.contains("download"), "{text}");
        // The URL of a file named at its end is written without the name, and read back whole.
        assert!(text.contains(&format!("\na-1.tar.gz\t{}\thttps://files.example/\n", "bb".repeat(32))), "{text}");
        let remembered = Remembered::parse(text).unwrap();
        let index = "https://index.example/simple/";
        // A file named like a marker word is still a file: its line has three fields.
        let kept = [&locked("a-1.tar.gz", None), &locked("index", None)];
        assert_eq!(answer(&remembered, index, "a", &kept).map(|found| found.len()), Some(2));
        for left_out in ["tab.whl", "secret.whl", "slash.whl", "a\nb"] {
            assert_eq!(answer(&remembered, index, "a", &[&locked(left_out, None)]), None, "{left_out}");
        }

        assert_eq!(Remembered::parse("lock2nix located-v0\n".into()), None);
        assert_eq!(Remembered::parse(String::new()), None, "an empty file");
        assert_eq!(Remembered::parse(format!("{LAYOUT}\nproject\ta\n")), None, "a project before any index");
        assert_eq!(Remembered::parse(format!("{LAYOUT}\nindex\tx\nf\tsha\n")), None, "a line of two fields");
        assert_eq!(Remembered::parse(format!("{LAYOUT}\nindex\tx\nf\tsha\turl\n")), None, "a file before any project");
        assert_eq!(Remembered::parse(format!("{LAYOUT}\nindex\tx\n\nproject\ta\n")), None, "an empty line");
        // The last line's newline is optional; the project's lines end where the text does.
        let hash = "cc".repeat(32);
        for end in ["\n", ""] {
            let remembered = Remembered::parse(format!("{LAYOUT}\nindex\tx\nproject\ta\nf\t{hash}\tu/f{end}")).unwrap();
            assert_eq!(
                answer(&remembered, "x", "a", &[&locked("f", None)]).map(|found| found.len()),
                Some(1),
                "{end:?}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Remembered::load(&dir.path().join("none")), Remembered::default());
    }
}
