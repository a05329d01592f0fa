//! Files a run replaced, removed by a later run on a thread of its own.
//!
//! A rename over a file's last name frees the file's blocks inside the rename, and a file
//! system mounted with `discard` (the default of many cloud images) then waits for the disk:
//! 0.5 ms for a 100 KB output, 25 ms for a 10,000-package lock's 27 MB, with both cores idle
//! at the very end of the run. A file about to be replaced is first given a second name
//! here, so that the rename only drops a name; the next run of the cache removes what it finds
//! here while it parses.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// The cache's `trash` folder.
#[derive(Debug, Clone)]
pub(crate) struct Trash {
    folder: PathBuf,
}

impl Trash {
    pub(crate) fn in_cache(cache: &Path) -> Self {
        Self { folder: cache.join("trash") }
    }

    /// Gives the file at `path` a name in the trash when replacing it would free it (a regular
    /// file with one name). A file system without hard links, or another one than the cache's,
    /// only costs the rename its time.
    pub(crate) fn keep(&self, path: &Path) {
        static KEPT: AtomicU32 = AtomicU32::new(0);
        if !Self::replacing_frees(path) {
            return;
        }
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        // Unique among the runs sharing the cache; a clash only fails the link.
        let name = format!("{}-{nanos}-{}", std::process::id(), KEPT.fetch_add(1, Ordering::Relaxed));
        let _ = std::fs::create_dir_all(&self.folder).and_then(|()| std::fs::hard_link(path, self.folder.join(name)));
    }

    #[cfg(unix)]
    fn replacing_frees(path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file() && meta.nlink() == 1)
    }

    #[cfg(not(unix))]
    fn replacing_frees(_: &Path) -> bool {
        false
    }

    /// Removes, on a thread of its own, what the trash holds now (not what is kept after the
    /// call: the run's own replaced files stay for the next one). The thread is not joined:
    /// what is left when the process ends (at most the removal in progress finishes) is
    /// removed next time.
    pub(crate) fn empty_in_background(&self) {
        let Ok(listing) = std::fs::read_dir(&self.folder) else { return };
        let kept: Vec<PathBuf> = listing.flatten().map(|entry| entry.path()).collect();
        if kept.is_empty() {
            return;
        }
        let _ = std::thread::Builder::new().name("trash".into()).spawn(move || {
            for path in kept {
                let _ = std::fs::remove_file(path);
            }
        });
    }

    #[cfg(test)]
    fn names(&self) -> Vec<PathBuf> {
        let mut names: Vec<PathBuf> =
            std::fs::read_dir(&self.folder).map(|l| l.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_one_name_is_kept_until_the_next_emptying_and_one_with_two_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let trash = Trash::in_cache(&dir.path().join("cache"));
        let output = dir.path().join("out.nix");
        trash.keep(&output);
        assert!(trash.names().is_empty(), "nothing to keep");

        std::fs::write(&output, "old").unwrap();
        trash.keep(&output);
        let kept = trash.names();
        assert_eq!(kept.len(), 1);
        assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), "old");
        // Replaced: the trash still holds the old text, the output the new.
        std::fs::write(dir.path().join("new"), "new").unwrap();
        std::fs::rename(dir.path().join("new"), &output).unwrap();
        assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), "old");

        // A second name elsewhere (the memo's copy) already keeps it.
        std::fs::hard_link(&output, dir.path().join("other")).unwrap();
        trash.keep(&output);
        assert_eq!(trash.names(), kept);

        trash.empty_in_background();
        // Kept after the emptying started: stays for the next one.
        std::fs::remove_file(dir.path().join("other")).unwrap();
        trash.keep(&output);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while trash.names().contains(&kept[0]) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let left = trash.names();
        assert!(!left.contains(&kept[0]), "the old text was removed");
        assert_eq!(left.len(), 1, "the text kept after the emptying began stays: {left:?}");
        assert_eq!(std::fs::read_to_string(&left[0]).unwrap(), "new");
    }
}
