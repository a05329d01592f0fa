//! The sha256 of a file tree's NAR (Nix Archive) serialisation: the hash Nix records for a
//! fixed-output derivation with `outputHashMode = "recursive"` (`nix-hash --type sha256 PATH`),
//! computed without Nix.
//!
//! A NAR is a sequence of length-prefixed strings: every string is its length as a 64-bit
//! little-endian integer, its bytes, then zero bytes up to a multiple of 8. The archive is
//! `"nix-archive-1"` followed by the root node:
//!
//! - regular file: `( type regular [executable ""] contents <bytes> )`, executable when the
//!   owner's execute bit is set;
//! - symlink: `( type symlink target <target> )`, never followed;
//! - directory: `( type directory entry ( name <name> node <node> ) … )`, entries sorted by the
//!   bytes of their names.
//!
//! Only the kind, the executable bit, the contents and the names count: owners, times and other
//! permission bits do not.

use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The sha256 of the NAR serialisation of `path` (same digest as `nix-hash --type sha256 PATH`).
pub fn nar_sha256(path: &Path) -> io::Result<[u8; 32]> {
    nar_sha256_without(path, |_, _| false)
}

/// [`nar_sha256`] of `path` as if every entry for which `skip(relative path, metadata)` is true
/// (a file, a symlink or a whole directory) were not there. The relative path is the entry's
/// path below `path`; the root itself is never offered to `skip`. The metadata is the entry's
/// own (`symlink_metadata`).
pub fn nar_sha256_without(path: &Path, skip: impl Fn(&Path, &Metadata) -> bool) -> io::Result<[u8; 32]> {
    let mut nar = NarWriter { hasher: Sha256::new(), buffer: Vec::with_capacity(BUFFER) };
    nar.string(b"nix-archive-1");
    let mut relative = PathBuf::new();
    let metadata = fs::symlink_metadata(path).map_err(|e| with_path(&e, path))?;
    nar.node(path, &mut relative, &metadata, &skip)?;
    nar.flush_buffer();
    Ok(nar.hasher.finalize().into())
}

/// `sha256-<standard base64>`, the SRI form Nix prints (`hash = "sha256-…";`).
pub fn sri(digest: &[u8; 32]) -> String {
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// Small writes are gathered before they reach the hasher; file contents go through it too.
const BUFFER: usize = 64 * 1024;

struct NarWriter {
    hasher: Sha256,
    buffer: Vec<u8>,
}

impl NarWriter {
    fn bytes(&mut self, data: &[u8]) {
        if self.buffer.len() + data.len() > BUFFER {
            self.flush_buffer();
        }
        if data.len() >= BUFFER {
            self.hasher.update(data);
        } else {
            self.buffer.extend_from_slice(data);
        }
    }

    fn flush_buffer(&mut self) {
        if !self.buffer.is_empty() {
            self.hasher.update(&self.buffer);
            self.buffer.clear();
        }
    }

    fn padding(&mut self, len: u64) {
        let pad = (8 - (len % 8) as usize) % 8;
        self.bytes(&[0u8; 8][..pad]);
    }

    fn string(&mut self, s: &[u8]) {
        self.bytes(&(s.len() as u64).to_le_bytes());
        self.bytes(s);
        self.padding(s.len() as u64);
    }

    fn node(
        &mut self,
        path: &Path,
        relative: &mut PathBuf,
        metadata: &Metadata,
        skip: &impl Fn(&Path, &Metadata) -> bool,
    ) -> io::Result<()> {
        self.string(b"(");
        let kind = metadata.file_type();
        if kind.is_symlink() {
            let target = fs::read_link(path).map_err(|e| with_path(&e, path))?;
            self.string(b"type");
            self.string(b"symlink");
            self.string(b"target");
            self.string(&os_bytes(target.as_os_str(), path)?);
        } else if kind.is_file() {
            self.string(b"type");
            self.string(b"regular");
            if is_executable(metadata) {
                self.string(b"executable");
                self.string(b"");
            }
            self.string(b"contents");
            self.contents(path)?;
        } else if kind.is_dir() {
            self.string(b"type");
            self.string(b"directory");
            let mut entries = Vec::new();
            for entry in fs::read_dir(path).map_err(|e| with_path(&e, path))? {
                let entry = entry.map_err(|e| with_path(&e, path))?;
                let name = entry.file_name();
                let key = os_bytes(&name, &entry.path())?;
                entries.push((key, name));
            }
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            for (key, name) in entries {
                let child = path.join(&name);
                relative.push(&name);
                let result = fs::symlink_metadata(&child).map_err(|e| with_path(&e, &child)).and_then(|metadata| {
                    if skip(relative, &metadata) {
                        return Ok(());
                    }
                    self.string(b"entry");
                    self.string(b"(");
                    self.string(b"name");
                    self.string(&key);
                    self.string(b"node");
                    self.node(&child, relative, &metadata, skip)?;
                    self.string(b")");
                    Ok(())
                });
                relative.pop();
                result?;
            }
        } else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a regular file, directory or symlink, which a NAR cannot hold", path.display()),
            ));
        }
        self.string(b")");
        Ok(())
    }

    /// The length, then the bytes streamed from the file, then the padding.
    fn contents(&mut self, path: &Path) -> io::Result<()> {
        let mut file = File::open(path).map_err(|e| with_path(&e, path))?;
        let len = file.metadata().map_err(|e| with_path(&e, path))?.len();
        self.bytes(&len.to_le_bytes());
        self.flush_buffer();
        let mut chunk = vec![0u8; BUFFER];
        let mut remaining = len;
        while remaining > 0 {
            let want = usize::try_from(remaining).map_or(chunk.len(), |remaining| remaining.min(chunk.len()));
            let n = match file.read(&mut chunk[..want]) {
                Ok(0) => {
                    return Err(with_path(
                        &io::Error::new(io::ErrorKind::UnexpectedEof, "the file shrank while it was being hashed"),
                        path,
                    ));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(with_path(&e, path)),
            };
            self.hasher.update(&chunk[..n]);
            remaining -= n as u64;
        }
        self.padding(len);
        Ok(())
    }
}

fn with_path(error: &io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(unix)]
fn is_executable(metadata: &Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_executable(_metadata: &Metadata) -> bool {
    false
}

#[cfg(unix)]
#[expect(clippy::unnecessary_wraps, reason = "the signature is shared with the non-Unix version, which can fail")]
fn os_bytes(name: &std::ffi::OsStr, _path: &Path) -> io::Result<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    Ok(name.as_bytes().to_vec())
}

#[cfg(not(unix))]
fn os_bytes(name: &std::ffi::OsStr, path: &Path) -> io::Result<Vec<u8>> {
    name.to_str().map(|s| s.as_bytes().to_vec()).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidData, format!("{}: a name that is not UTF-8", path.display()))
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::fetch::hex;
    use std::io::Write;
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::process::Command;

    /// `nix-hash --type sha256 PATH` (hex). Nix is required: CI installs it.
    fn nix_hash(path: &Path) -> String {
        let output = Command::new("nix-hash")
            .args(["--type", "sha256"])
            .arg(path)
            .env(
                "NIX_CONFIG",
                "sandbox = false\nbuild-users-group =\nexperimental-features = nix-command flakes\nsubstituters =",
            )
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `nix-hash` ({e}): these tests compare against Nix's own NAR hash and need Nix \
                     (Debian/Ubuntu: `apt-get install -y nix-bin`)"
                )
            });
        assert!(output.status.success(), "nix-hash failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("UTF-8").trim().to_owned()
    }

    fn write(path: &Path, contents: &[u8], mode: u32) {
        fs::write(path, contents).expect("write");
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    /// Every kind of node, padding lengths 0..8, and names whose byte order is not the
    /// locale's (upper case before `_` before lower case, `é` after `z`, `a-b` < `a.b` < `a0`).
    fn sample_tree(root: &Path) {
        use std::os::unix::ffi::OsStrExt;
        fs::create_dir_all(root.join("nested/deeper/deepest")).unwrap();
        fs::create_dir(root.join("empty-dir")).unwrap();
        write(&root.join("run.sh"), b"#!/bin/sh\necho hi\n", 0o755);
        write(&root.join("plain.txt"), b"plain text, 27 bytes long\n", 0o644);
        write(&root.join("empty"), b"", 0o644);
        write(&root.join("only-group-exec"), b"x", 0o654);
        for (i, name) in ["B", "Z", "_", "a", "a-b", "a.b", "a0", "z", "\u{e9}", "\u{c9}"].iter().enumerate() {
            write(&root.join(name), &vec![b'x'; i], 0o644);
        }
        write(&root.join("nested/deeper/deepest/eight1234"), b"12345678", 0o700);
        write(&root.join("nested/seventeen"), b"0123456789abcdefg", 0o600);
        symlink("plain.txt", root.join("link-to-file")).unwrap();
        symlink("nested/deeper", root.join("link-to-dir")).unwrap();
        symlink("does/not/exist", root.join("dangling")).unwrap();
        symlink("../../run.sh", root.join("nested/deeper/up")).unwrap();
        // A name that is not UTF-8.
        write(&root.join(std::ffi::OsStr::from_bytes(b"latin1-\xe9")), b"l", 0o644);
    }

    #[test]
    fn tree_hash_matches_nix_hash() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tree");
        fs::create_dir(&root).unwrap();
        sample_tree(&root);
        assert_eq!(hex(&nar_sha256(&root).unwrap()), nix_hash(&root));
        // The directory's own name and permissions do not count.
        let renamed = dir.path().join("other-name");
        fs::rename(&root, &renamed).unwrap();
        fs::set_permissions(&renamed, fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(hex(&nar_sha256(&renamed).unwrap()), nix_hash(&renamed));
    }

    #[test]
    fn single_nodes_match_nix_hash() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        write(&file, b"hello\n", 0o644);
        let exe = dir.path().join("x");
        write(&exe, b"#!/bin/sh\n", 0o755);
        let empty = dir.path().join("e");
        write(&empty, b"", 0o644);
        let empty_dir = dir.path().join("d");
        fs::create_dir(&empty_dir).unwrap();
        for path in [&file, &exe, &empty, &empty_dir] {
            assert_eq!(hex(&nar_sha256(path).unwrap()), nix_hash(path), "{}", path.display());
        }
        // A symlink is hashed as a symlink, not as what it points to.
        let link = dir.path().join("l");
        symlink("f", &link).unwrap();
        assert_ne!(nar_sha256(&link).unwrap(), nar_sha256(&file).unwrap());
        let holder = dir.path().join("holder");
        fs::create_dir(&holder).unwrap();
        symlink("../f", holder.join("l")).unwrap();
        assert_eq!(hex(&nar_sha256(&holder).unwrap()), nix_hash(&holder));
    }

    #[test]
    fn large_file_is_streamed_and_matches() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("big");
        fs::create_dir(&root).unwrap();
        let mut f = File::create(root.join("blob")).unwrap();
        let block: Vec<u8> = (0..=255u8).cycle().take(BUFFER + 3).collect();
        for _ in 0..5 {
            f.write_all(&block).unwrap();
        }
        drop(f);
        assert_eq!(hex(&nar_sha256(&root).unwrap()), nix_hash(&root));
    }

    #[test]
    fn skipped_entries_are_as_if_removed() {
        let dir = tempfile::tempdir().unwrap();
        let with = dir.path().join("with");
        let without = dir.path().join("without");
        for root in [&with, &without] {
            fs::create_dir_all(root.join("sub/inner")).unwrap();
            write(&root.join("a"), b"a", 0o644);
            write(&root.join("sub/inner/b"), b"b", 0o755);
        }
        fs::create_dir_all(with.join(".git/objects")).unwrap();
        write(&with.join(".git/HEAD"), b"ref: refs/heads/main\n", 0o644);
        write(&with.join("sub/.git"), b"gitdir: ../.git/modules/sub\n", 0o644);
        symlink("x", with.join("sub/inner/.git")).unwrap();
        let skip_git = |rel: &Path, _: &Metadata| rel.file_name() == Some(std::ffi::OsStr::new(".git"));
        let expected = nix_hash(&without);
        assert_eq!(hex(&nar_sha256_without(&with, skip_git).unwrap()), expected);
        assert_ne!(hex(&nar_sha256(&with).unwrap()), expected);
        // The relative paths offered to `skip`.
        let seen = std::cell::RefCell::new(Vec::new());
        nar_sha256_without(&without, |rel, _| {
            seen.borrow_mut().push(rel.to_path_buf());
            false
        })
        .unwrap();
        let seen = seen.into_inner();
        assert_eq!(seen, ["a", "sub", "sub/inner", "sub/inner/b"].iter().map(PathBuf::from).collect::<Vec<_>>());
    }

    #[test]
    fn sri_is_standard_base64_with_padding() {
        let digest: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(sri(&digest), "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }

    #[test]
    fn unsupported_file_type_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let err = nar_sha256(dir.path()).unwrap_err();
        assert!(err.to_string().contains("sock"), "{err}");
    }
}
