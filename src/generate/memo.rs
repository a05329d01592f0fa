//! The run memo: a warm run of an unchanged project reads one small file and the generated
//! text instead of parsing, resolving and rendering again.
//!
//! An entry is named by a digest of everything that is not a file of the project: this
//! lock2nix (its version and its executable), the working directory, and every option that
//! changes the output. It records what the run saw of the project's files (`fetch::witness`,
//! the length and digest of each file read: the lock, pyproject.toml files, overrides and
//! `--hashes` files, local sources; the folders probed for a layout), the warnings, and the
//! output's digest. A later run with the same name uses the entry only when every witnessed
//! path still shows what it showed; any change means a whole run, which replaces the entry.
//!
//! Index pages, artifacts and git checkouts are not witnessed: the cache keeps them forever
//! (artifacts by hash, checkouts by commit, pages until `--refresh`), so a whole warm run
//! would answer from the same cache. A run that depended on the network failing (an
//! unreachable remote or index, `--allow-missing`) or on a file missing from an index page
//! (asked again online) is not remembered.
//!
//! An entry no run has used for [`UNUSED_FOR`] is removed when a whole run writes its own:
//! entries are named by the executable, so every upgrade leaves the last version's behind,
//! each with its copy of a generated file.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{GenerateOptions, Generated, StaleLock, Stats};
use crate::fetch::trash::Trash;
use crate::fetch::{self, witness};
use crate::render::NixText;
use crate::warning::{Warning, WarningKind};

/// Bumped when an entry's layout or meaning changes.
const LAYOUT: &str = "runs-v3";

/// How long an entry stays after the last run that wrote or used it.
const UNUSED_FOR: Duration = Duration::from_hours(30 * 24);

/// What a remembered run gave.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    /// The whole name (the file name holds only its first half).
    key: String,
    witnesses: witness::Witnesses,
    /// Of the `.nix` file beside the entry.
    nix_digest: String,
    warnings: Vec<Warning>,
    stale_lock: Option<StaleLock>,
    packages: usize,
    targets: usize,
}

/// The memo of one run's options: where its entry is, if the run has a cache.
pub(super) struct Memo {
    key: String,
    entry: PathBuf,
    nix: PathBuf,
    trash: Trash,
}

impl Memo {
    /// `None` without a cache folder, or when this executable or the working directory cannot
    /// be known (the name would not be safe).
    pub(super) fn for_run(options: &GenerateOptions) -> Option<Self> {
        let cache = options.fetch.cache_dir.as_deref()?;
        let key = key(options)?;
        let folder = cache.join(LAYOUT);
        let stem = &key[..32];
        Some(Self {
            entry: folder.join(format!("{stem}.json")),
            nix: folder.join(format!("{stem}.nix")),
            key,
            trash: Trash::in_cache(cache),
        })
    }

    /// Removes, in the background, what earlier runs of this cache replaced.
    pub(super) fn empty_trash(&self) {
        self.trash.empty_in_background();
    }

    /// Keeps `output`, which the run is about to replace, for a later run to remove.
    pub(super) fn keep_replaced(&self, output: &Path) {
        self.trash.keep(output);
    }

    /// The remembered result, when every witness still holds (and the output is intact).
    pub(super) fn recall(&self) -> Option<Generated> {
        let entry: Entry = serde_json::from_slice(&std::fs::read(&self.entry).ok()?).ok()?;
        if entry.key != self.key || !entry.witnesses.still_hold() {
            return None;
        }
        let nix = String::from_utf8(std::fs::read(&self.nix).ok()?).ok()?;
        if witness::digest(nix.as_bytes()) != entry.nix_digest {
            return None;
        }
        // Used: kept for another UNUSED_FOR (the entry's time, not the output's, which may be
        // the user's file).
        let _ = std::fs::File::options().write(true).open(&self.entry).and_then(|f| f.set_modified(SystemTime::now()));
        let nix = NixText::from(nix);
        let stats = Stats { packages: entry.packages, targets: entry.targets, from_memo: true, ..Stats::default() };
        Some(Generated { nix, stats, warnings: entry.warnings, stale_lock: entry.stale_lock, intermediates: None })
    }

    /// The entry remembering `generated`, seen through `witnesses`; `None` when the run
    /// depended on the network (any older entry is removed then).
    pub(super) fn entry(&self, generated: &Generated, witnesses: witness::Witnesses) -> Option<Vec<u8>> {
        if generated.warnings.iter().any(|w| depends_on_network(w.kind)) {
            let _ = std::fs::remove_file(&self.entry);
            return None;
        }
        let entry = Entry {
            key: self.key.clone(),
            witnesses,
            nix_digest: witness::digest_pieces(generated.nix.pieces().map(str::as_bytes)),
            warnings: generated.warnings.clone(),
            stale_lock: generated.stale_lock.clone(),
            packages: generated.stats.packages,
            targets: generated.stats.targets,
        };
        serde_json::to_vec(&entry).ok()
    }

    /// Writes the remembered text beside the entry.
    pub(super) fn write_text(&self, generated: &Generated) -> std::io::Result<()> {
        let nix = &generated.nix;
        fetch::pending::write_atomically_with(&self.nix, fetch::pending::PRIVATE, |out| nix.write_to(out))
    }

    /// Makes the output file the run wrote the remembered text, by a hard link instead of a
    /// copy (a large lock's is 27 MB). The entry's digest still decides: an output edited in
    /// place no longer matches it, and one replaced by the next run leaves the link as it was.
    pub(super) fn link_text(&self, output: &Path) -> std::io::Result<()> {
        self.trash.keep(&self.nix);
        fetch::pending::link_atomically(output, &self.nix)
    }

    /// Writes the entry, after its text: an entry never names a text that is not there yet.
    /// A cache that cannot be written only costs the next run its speed.
    pub(super) fn write_entry(&self, entry: &[u8]) {
        let _ = fetch::pending::write_atomically(&self.entry, entry, fetch::pending::PRIVATE);
        if let Some(folder) = self.entry.parent() {
            prune(folder, SystemTime::now());
        }
    }
}

/// Removes the entries of `folder` that no run has written or used for [`UNUSED_FOR`], with
/// their texts, and texts left without an entry as long (a run stopped between the two).
fn prune(folder: &Path, now: SystemTime) {
    let Ok(listing) = std::fs::read_dir(folder) else { return };
    let unused = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| now.duration_since(modified).is_ok_and(|age| age > UNUSED_FOR))
    };
    // Decided before anything is removed: a text goes with its entry.
    let stale: Vec<PathBuf> = listing
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| match path.extension().and_then(|e| e.to_str()) {
            Some("json") => unused(path),
            Some("nix") => {
                let entry = path.with_extension("json");
                if entry.exists() { unused(&entry) } else { unused(path) }
            }
            _ => false,
        })
        .collect();
    for path in stale {
        let _ = std::fs::remove_file(path);
    }
}

/// Warnings whose cause may be gone on the next run.
fn depends_on_network(kind: WarningKind) -> bool {
    matches!(
        kind,
        WarningKind::UnreachableRemote
            | WarningKind::UnreadableNetrc
            | WarningKind::FileNotOnIndex
            | WarningKind::MissingFromIndex
    )
}

/// The digest naming a run: this executable, the working directory and the options that
/// change the output (not `--jobs`, timeouts, progress or whether the run may go online).
#[expect(clippy::unnecessary_debug_formatting, reason = "the key hashes paths' lossless Debug form, not their display")]
fn key(options: &GenerateOptions) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    let cwd = std::env::current_dir().ok()?;
    let sources = &options.sources;
    let text = format!(
        "{LAYOUT}\n{version}\n{exe:?} {len} {modified:?}\n{cwd:?}\nlock {lock:?}\npyproject {pyproject:?}\n\
         output {output:?}\nresolve {resolve:?}\nindex {index}\ncache {cache:?}\noverrides {overrides:?}\n\
         infer {infer:?}\nallow-missing {allow_missing}\nhashes {hashes:?} {update_hashes}\nsources {sources:?}\n\
         variants {variants:?}",
        version = env!("CARGO_PKG_VERSION"),
        len = meta.len(),
        lock = options.lock,
        pyproject = options.pyproject,
        output = options.output,
        resolve = options.resolve,
        index = options.fetch.index_url,
        cache = options.fetch.cache_dir,
        overrides = options.overrides,
        infer = options.infer,
        allow_missing = options.allow_missing,
        hashes = options.hashes,
        update_hashes = options.update_hashes,
        variants = options.variants,
    );
    Some(witness::digest(text.as_bytes()))
}
