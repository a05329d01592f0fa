//! What a run saw of the project's own files, so that a later run can tell, without parsing
//! anything, whether its result still holds (the run memo, `generate::memo`).
//!
//! Every read of a local input (the lock, pyproject.toml files, the overrides and `--hashes`
//! files, local sources) and every "is there a folder here" probe goes through this module.
//! While a recording is active it notes each path with what was seen: a digest of the bytes,
//! or the kind of thing at the path. Artifacts (named by hash), git checkouts (by commit) and
//! index pages (kept until `--refresh`) are not witnessed: a whole run would read them from
//! the cache as they are.
//!
//! One recording per process at a time ([`Recording::start`] waits for the previous one to
//! end). A run that does not record may still add its observations to the active recording:
//! a witness too many only makes the memo miss, never lie.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

/// What was seen at a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Observation {
    /// The file's bytes: their length and BLAKE3 digest ([`digest`]). A length that differs
    /// tells a changed file (an edited lock, most often) without reading and hashing it.
    Content { len: u64, blake3: String },
    /// The file could not be read (absent, a folder, no permission).
    Unreadable,
    /// What the path is, following symlinks.
    Kind(PathKind),
    /// The path with every symbolic link resolved (`None`: it does not exist).
    Resolves(Option<PathBuf>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathKind {
    File,
    Folder,
    Other,
    Absent,
}

impl PathKind {
    pub fn of(path: &Path) -> Self {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => Self::File,
            Ok(meta) if meta.is_dir() => Self::Folder,
            Ok(_) => Self::Other,
            Err(_) => Self::Absent,
        }
    }
}

impl Observation {
    fn of_bytes(bytes: &[u8]) -> Self {
        Self::Content { len: bytes.len() as u64, blake3: digest(bytes) }
    }

    /// Which question about the path this answers: a path may be both probed and read.
    fn aspect(&self) -> u8 {
        match self {
            Self::Content { .. } | Self::Unreadable => 0,
            Self::Kind(_) => 1,
            Self::Resolves(_) => 2,
        }
    }

    fn still_holds(&self, path: &Path) -> bool {
        match self {
            Self::Kind(kind) => PathKind::of(path) == *kind,
            Self::Resolves(real) => path.canonicalize().ok() == *real,
            Self::Content { len, .. } if std::fs::metadata(path).map(|meta| meta.len()).ok() != Some(*len) => false,
            Self::Content { .. } | Self::Unreadable => {
                let read = std::fs::read(path);
                let seen = content(&read);
                if seen == *self {
                    return true;
                }
                if let Ok(bytes) = read {
                    Changed::keep(path, bytes, seen);
                }
                false
            }
        }
    }
}

/// A file the memo's check read and found changed (the lock, most often), kept for the run
/// that follows: it reads the same file, and takes these bytes and their digest instead of
/// reading and hashing them again, so that what it parses is what it witnesses. Taken only
/// while the file's length and modification time are those it had; dropped when a recording
/// ends.
struct Changed {
    path: PathBuf,
    bytes: Vec<u8>,
    observation: Observation,
    modified: Option<std::time::SystemTime>,
}

static CHANGED: Mutex<Option<Changed>> = Mutex::new(None);

impl Changed {
    fn slot() -> MutexGuard<'static, Option<Self>> {
        CHANGED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn keep(path: &Path, bytes: Vec<u8>, observation: Observation) {
        let modified = std::fs::metadata(path).and_then(|meta| meta.modified()).ok();
        *Self::slot() = Some(Self { path: path.to_path_buf(), bytes, observation, modified });
    }

    /// The bytes kept for `path` and what was seen of them, if the file looks unchanged since.
    fn take(path: &Path) -> Option<(Vec<u8>, Observation)> {
        let kept = Self::slot().take_if(|kept| kept.path == path)?;
        let meta = std::fs::metadata(path).ok()?;
        let same = meta.len() == kept.bytes.len() as u64 && meta.modified().ok() == kept.modified;
        same.then_some((kept.bytes, kept.observation))
    }
}

/// Each path a run looked at, with what it saw last of each aspect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<(PathBuf, Observation)>", into = "Vec<(PathBuf, Observation)>")]
pub struct Witnesses(BTreeMap<(PathBuf, u8), Observation>);

impl Witnesses {
    fn insert(&mut self, path: &Path, observation: Observation) {
        self.0.insert((path.to_path_buf(), observation.aspect()), observation);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// What was seen of `path`.
    pub fn of(&self, path: &Path) -> Vec<&Observation> {
        self.0.iter().filter(|((seen, _), _)| seen == path).map(|(_, observation)| observation).collect()
    }

    /// Whether every path still shows what it showed when witnessed.
    pub fn still_hold(&self) -> bool {
        self.0.iter().all(|((path, _), observation)| observation.still_holds(path))
    }
}

impl From<Vec<(PathBuf, Observation)>> for Witnesses {
    fn from(list: Vec<(PathBuf, Observation)>) -> Self {
        let mut witnesses = Self::default();
        for (path, observation) in list {
            witnesses.insert(&path, observation);
        }
        witnesses
    }
}

impl From<Witnesses> for Vec<(PathBuf, Observation)> {
    fn from(witnesses: Witnesses) -> Self {
        witnesses.0.into_iter().map(|((path, _), observation)| (path, observation)).collect()
    }
}

static ACTIVE: Mutex<Option<Witnesses>> = Mutex::new(None);
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// An active recording; [`Recording::finish`] hands over what it saw.
pub(crate) struct Recording {
    _turn: MutexGuard<'static, ()>,
}

impl Recording {
    /// Starts recording, after any other recording of this process has finished.
    pub(crate) fn start() -> Self {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *active() = Some(Witnesses::default());
        Self { _turn: turn }
    }

    pub(crate) fn finish(self) -> Witnesses {
        let witnesses = active().take().unwrap_or_default();
        drop(self);
        witnesses
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        // A run that failed or panicked leaves nothing for the next recording; a file kept
        // for the run is dropped however the recording ends (`finish` ends here too).
        active().take();
        Changed::slot().take();
    }
}

fn active() -> MutexGuard<'static, Option<Witnesses>> {
    ACTIVE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Observed without holding the recording's mutex: files read on other threads meanwhile are
/// noted without waiting for a large one's digest.
fn note(path: &Path, observation: impl FnOnce() -> Observation) {
    if active().is_none() {
        return;
    }
    let observation = observation();
    if let Some(witnesses) = active().as_mut() {
        witnesses.insert(path, observation);
    }
}

/// The BLAKE3 digest of `bytes`, lower-case hex: what a witness and the memo compare. Not
/// sha256 (the digest of locks and indexes) because the memo's check hashes the whole lock
/// before anything else can start, and BLAKE3 takes a fifth of the time (0.14 against 0.65 ms
/// for a 1.2 MB lock), with the same strength against a file made to collide.
pub(crate) fn digest(bytes: &[u8]) -> String {
    digest_pieces([bytes])
}

/// [`digest`] of the pieces' concatenation, without concatenating them. A large piece (a
/// 10,000-package lock is 22 MB) is digested on every core: the memo's check of the lock and
/// its recall of the output wait for it with nothing else to do. Small ones (a rendered
/// package's 3 KB) are gathered first: BLAKE3 hashes 16 KiB or more at a time on all the
/// lanes of a vector unit, and a 3 KB piece mostly one block at a time (104M instructions
/// instead of 144M for a 27 MB output, and wider ones).
pub(crate) fn digest_pieces<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> String {
    const PARALLEL_FROM: usize = 1 << 20;
    const GATHERED: usize = 1 << 16;
    let mut hasher = blake3::Hasher::new();
    let mut gathered = Vec::new();
    for piece in pieces {
        if gathered.len() + piece.len() > GATHERED && !gathered.is_empty() {
            hasher.update(&gathered);
            gathered.clear();
        }
        if piece.len() >= PARALLEL_FROM {
            hasher.update_rayon(piece);
        } else if piece.len() >= GATHERED {
            hasher.update(piece);
        } else {
            gathered.reserve_exact(GATHERED);
            gathered.extend_from_slice(piece);
        }
    }
    hasher.update(&gathered);
    hex_of(&hasher)
}

/// What `hasher` has taken in, as [`digest`] writes it.
fn hex_of(hasher: &blake3::Hasher) -> String {
    hasher.finalize().to_hex().to_string()
}

fn content(read: &std::io::Result<impl AsRef<[u8]>>) -> Observation {
    match read {
        Ok(bytes) => Observation::of_bytes(bytes.as_ref()),
        Err(_) => Observation::Unreadable,
    }
}

/// `std::fs::read_to_string`, witnessed.
pub(crate) fn read_to_string(path: &Path) -> std::io::Result<String> {
    if let Some((bytes, observation)) = Changed::take(path)
        && let Ok(text) = String::from_utf8(bytes)
    {
        note(path, || observation);
        return Ok(text);
    }
    let read = std::fs::read_to_string(path);
    // Bytes that are not UTF-8 fail alike next time: witnessed as their digest all the same.
    note(path, || match &read {
        Ok(text) => Observation::of_bytes(text.as_bytes()),
        Err(_) => content(&std::fs::read(path)),
    });
    read
}

/// Notes a local file read some other way (an archive streamed from disk) by its bytes.
pub(crate) fn witness_file(path: &Path) {
    note(path, || {
        let mut hasher = blake3::Hasher::new();
        match std::fs::File::open(path).and_then(|mut file| std::io::copy(&mut file, &mut hasher)) {
            Ok(len) => Observation::Content { len, blake3: hex_of(&hasher) },
            Err(_) => Observation::Unreadable,
        }
    });
}

/// What is at `path`, witnessed.
pub(crate) fn kind(path: &Path) -> PathKind {
    let kind = PathKind::of(path);
    note(path, || Observation::Kind(kind));
    kind
}

/// `Path::canonicalize`, witnessed.
pub(crate) fn canonicalize(path: &Path) -> std::io::Result<PathBuf> {
    let real = path.canonicalize();
    note(path, || Observation::Resolves(real.as_ref().ok().cloned()));
    real
}

pub(crate) fn is_dir(path: &Path) -> bool {
    kind(path) == PathKind::Folder
}

pub(crate) fn is_file(path: &Path) -> bool {
    kind(path) == PathKind::File
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_sees_reads_and_probes_and_notices_each_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pyproject.toml");
        let folder = dir.path().join("src");
        std::fs::write(&file, "[project]\n").unwrap();
        let recording = Recording::start();
        assert_eq!(read_to_string(&file).unwrap(), "[project]\n");
        assert!(!is_dir(&folder));
        assert!(read_to_string(&dir.path().join("absent.toml")).is_err());
        // One path, two questions: both answers are kept.
        assert!(is_dir(dir.path()));
        let real = canonicalize(dir.path()).unwrap();
        let seen = recording.finish();
        assert_eq!(seen.len(), 5);
        assert_eq!(seen.of(dir.path()), [&Observation::Kind(PathKind::Folder), &Observation::Resolves(Some(real))]);
        assert_eq!(seen.of(&file), [&Observation::of_bytes(b"[project]\n")]);
        assert_eq!(seen.of(&folder), [&Observation::Kind(PathKind::Absent)]);
        assert!(seen.still_hold());

        std::fs::create_dir(&folder).unwrap();
        assert!(!seen.still_hold(), "a folder that appeared");
        std::fs::remove_dir(&folder).unwrap();
        std::fs::write(&file, "[project]\nname = \"a\"\n").unwrap();
        assert!(!seen.still_hold(), "a file that changed");
        std::fs::write(&file, "[pro_ect]\n").unwrap();
        assert!(!seen.still_hold(), "a file that changed, its length not");
        std::fs::write(&file, "[project]\n").unwrap();
        std::fs::write(dir.path().join("absent.toml"), "").unwrap();
        assert!(!seen.still_hold(), "a file that appeared");
    }

    #[test]
    fn nothing_is_noted_without_a_recording() {
        let dir = tempfile::tempdir().unwrap();
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        assert!(!is_dir(dir.path().join("src").as_path()));
        assert!(active().is_none());
    }

    #[test]
    fn digests_are_blake3_in_lower_case_hex() {
        // BLAKE3's published digest of the empty input.
        assert_eq!(digest(b""), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    }

    #[test]
    fn pieces_digest_as_their_concatenation_whatever_their_sizes() {
        let whole: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        // Small pieces gathered, one as large as a gathering, one hashed on every core, empty ones.
        for sizes in [&[3_000usize, 70_000, 1_500_000, 0, 10][..], &[65_536, 65_535, 1, 2_000_000], &[1 << 20, 7]] {
            let mut pieces = Vec::new();
            let mut rest = &whole[..];
            for &size in sizes.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (piece, after) = rest.split_at(size.min(rest.len()));
                pieces.push(piece);
                rest = after;
            }
            assert_eq!(digest_pieces(pieces), blake3::hash(&whole).to_hex().as_str(), "{sizes:?}");
        }
        assert_eq!(digest_pieces([]), digest(b""));
    }

    #[test]
    fn the_run_after_a_miss_takes_the_changed_file_the_check_read() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("poetry.lock");
        std::fs::write(&lock, "one\n").unwrap();
        let recording = Recording::start();
        read_to_string(&lock).unwrap();
        let seen = recording.finish();

        // Changed, same length: the check reads and hashes it, and the next run takes both.
        std::fs::write(&lock, "two\n").unwrap();
        assert!(!seen.still_hold());
        let recording = Recording::start();
        assert_eq!(read_to_string(&lock).unwrap(), "two\n");
        // (Other tests may keep their own files meanwhile.)
        let holds_lock = || Changed::slot().as_ref().is_some_and(|kept| kept.path == lock);
        assert!(!holds_lock(), "taken once");
        assert_eq!(recording.finish().of(&lock), [&Observation::of_bytes(b"two\n")]);

        // Changed again after the check: read afresh, never the bytes the check saw.
        std::fs::write(&lock, "three\n").unwrap();
        let stale = Witnesses::from(vec![(lock.clone(), Observation::of_bytes(b"thre\n\n"))]);
        assert!(!stale.still_hold());
        std::fs::write(&lock, "four\n").unwrap();
        let recording = Recording::start();
        assert_eq!(read_to_string(&lock).unwrap(), "four\n");
        assert_eq!(recording.finish().of(&lock), [&Observation::of_bytes(b"four\n")]);
        assert!(!holds_lock(), "dropped when the recording ended");
    }
}
