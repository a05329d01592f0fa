//! Temporary files and folders of a run, so that an interrupted run leaves none behind.
//!
//! Every file lock2nix writes (the output, the `--hashes` file, the cache's entries) goes
//! through [`write_atomically`]: a temporary file beside it, renamed over it when complete. A
//! git clone goes to a temporary folder. Each exists for a moment only, but a Ctrl-C or a
//! `kill` in that moment would leave it there: a `.tmpXXXXXX` in the cache or the project, or a
//! clone whose configuration holds a credential. Each is registered here while it exists, and
//! the binary's signal handler calls [`remove_all`] before it exits. A panic unwinds and drops
//! them. (A `kill -9` cannot be caught; what it leaves is never read, since readers only open
//! final names.)

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static PENDING: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn pending() -> MutexGuard<'static, BTreeSet<PathBuf>> {
    PENDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A registered temporary path, unregistered when dropped (the owner removes the path itself,
/// or renames it into place).
#[derive(Debug)]
pub(crate) struct Registered(PathBuf);

impl Registered {
    /// Creates something at a path not known in advance (`create` returns it with its path)
    /// and registers that path, with the registry held throughout, so that [`remove_all`]
    /// cannot run between the creation and the registration.
    pub(crate) fn create<T>(
        create: impl FnOnce() -> std::io::Result<T>,
        path_of: impl Fn(&T) -> &Path,
    ) -> std::io::Result<(T, Self)> {
        let mut registry = pending();
        let created = create()?;
        let path = path_of(&created).to_path_buf();
        registry.insert(path.clone());
        Ok((created, Self(path)))
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        pending().remove(&self.0);
    }
}

/// Removes every registered path, files and folders alike, and keeps the registry locked so
/// that no new one appears: for a signal handler about to end the process (the integration
/// tests interrupt real runs; a unit test cannot call it without stopping every other test).
pub fn remove_all() -> usize {
    let registry = pending();
    for path in registry.iter() {
        let _ = std::fs::remove_file(path).or_else(|_| std::fs::remove_dir_all(path));
    }
    let removed = registry.len();
    std::mem::forget(registry);
    removed
}

/// Writes `path` (creating its folder) through a temporary file beside it, so that a reader
/// never sees half of it and a failed or interrupted run leaves the old file and no temporary
/// one; the file gets permissions `mode` (Unix).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    write_atomically_with(path, mode, |out| out.write_all(bytes))
}

/// [`write_atomically`] with what `write` writes.
pub fn write_atomically_with(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let (mut temp, _registered) = Registered::create(|| tempfile::NamedTempFile::new_in(dir), |t| t.path())?;
    write(temp.as_file_mut())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Makes `path` a hard link to `source` through a temporary name beside it, as
/// [`write_atomically`] writes: a reader sees the old file or the new one.
pub(crate) fn link_atomically(source: &Path, path: &Path) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // A fresh name from tempfile, freed for the link to take.
    let (temp, _registered) = Registered::create(
        || tempfile::NamedTempFile::new_in(dir).map(tempfile::NamedTempFile::into_temp_path),
        |t| t,
    )?;
    std::fs::remove_file(&temp)?;
    std::fs::hard_link(source, &temp)?;
    temp.persist(path).map_err(|e| e.error)
}

/// For files only this user reads (the cache).
pub(crate) const PRIVATE: u32 = 0o600;
/// For files of the project (the output, the `--hashes` file).
pub const PUBLIC: u32 = 0o644;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_leaves_the_file_and_nothing_registered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/file.txt");
        write_atomically(&path, b"one", PUBLIC).unwrap();
        write_atomically(&path, b"two", PUBLIC).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("sub")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, ["file.txt"]);
        assert!(!pending().iter().any(|p| p.starts_with(dir.path())));
    }

    #[test]
    fn a_link_replaces_the_file_and_leaves_nothing_registered() {
        let dir = tempfile::tempdir().unwrap();
        let (source, path) = (dir.path().join("out.nix"), dir.path().join("memo/text.nix"));
        write_atomically(&source, b"new", PUBLIC).unwrap();
        write_atomically(&path, b"old", PRIVATE).unwrap();
        link_atomically(&source, &path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        // The source replaced as a run replaces its output: the link keeps what it was.
        write_atomically(&source, b"newer", PUBLIC).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("memo")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, ["text.nix"]);
        assert!(link_atomically(&dir.path().join("missing"), &path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"new", "a failed link leaves the file");
        assert!(!pending().iter().any(|p| p.starts_with(dir.path())));
    }

    #[test]
    fn paths_stay_registered_while_their_guard_lives() {
        let dir = tempfile::tempdir().unwrap();
        let (file, registered) =
            Registered::create(|| tempfile::NamedTempFile::new_in(dir.path()).map(|t| t.keep().unwrap().1), |p| p)
                .unwrap();
        let (folder, _kept) = Registered::create(
            || {
                let folder = dir.path().join("clone");
                std::fs::create_dir_all(folder.join("checkout/.git")).map(|()| folder)
            },
            |p| p,
        )
        .unwrap();
        assert!(pending().contains(&file) && pending().contains(&folder));
        drop(registered);
        assert!(!pending().contains(&file) && pending().contains(&folder));
    }
}
