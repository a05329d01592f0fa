//! A Linux wheel's native library needs: the `DT_NEEDED` sonames of its ELF files, which of
//! them the wheel ships itself, and what the rest maps to through the soname table.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek};

use super::elf::{ElfError, ElfInfo, Reopen, read_elf};
use super::{ArchiveCause, InferError};

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WheelLibraries {
    /// Every `DT_NEEDED` soname of the wheel's ELF files (shared objects and executables,
    /// wherever they are, `.data/scripts/` included), sorted, deduplicated.
    pub needed: BTreeSet<String>,
    /// Sonames the wheel satisfies itself: the file names and `DT_SONAME`s of every ELF file in
    /// a `*.libs/` directory (auditwheel's `<dist>.libs/`, old `<pkg>/.libs/`), and the file name
    /// or `DT_SONAME` of any other ELF file when it is one of [`Self::needed`].
    pub vendored: BTreeSet<String>,
    /// Sonames the wheel could provide to other wheels (e.g. nvidia-cuda-runtime-cu12's
    /// `libcudart.so.12` for torch), needed here or not: every shared object's `DT_SONAME`, and
    /// its file name when that looks like a soname (`lib*.so*`). Feeds `other_wheels` of
    /// [`native_needs`].
    pub shipped: BTreeSet<String>,
    /// ELF executables and shared objects found (0 = pure Python, or a macOS/Windows wheel).
    pub elf_files: usize,
}

/// Reads the ELF files of the wheel `filename` (32- or 64-bit, either byte order, any machine;
/// `x86_64` and aarch64 alike) from the zip `reader`. Members are recognized by their ELF magic,
/// whatever their name; everything else is skipped after 4 bytes. `DT_NEEDED`/`DT_SONAME` are
/// found as the dynamic loader finds them, through the program headers, so a file stripped of
/// its section headers (`sstrip`) reads the same. Members are streamed, never held whole:
/// memory stays small for any wheel size (see [`super::elf`]).
pub fn wheel_libraries<R: Read + Seek>(filename: &str, reader: R) -> Result<WheelLibraries, InferError> {
    let archive_error = |cause: ArchiveCause| InferError::archive(filename, "zip", cause);
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| archive_error(e.into()))?;
    let mut found: Vec<(String, ElfInfo)> = Vec::new();
    for index in 0..archive.len() {
        let (member, size, is_dir) = {
            let entry = archive.by_index_raw(index).map_err(|e| archive_error(e.into()))?;
            (entry.name().to_string(), entry.size(), entry.is_dir())
        };
        if is_dir || size < 4 {
            continue;
        }
        let read = read_elf(&mut Member { archive: &mut archive, index }).map_err(|e| match e {
            ElfError::Io(source) => archive_error(ArchiveCause::Member { member: member.clone(), source }),
            ElfError::Invalid(message) => {
                InferError::Elf { file: filename.to_string(), member: member.clone(), message }
            }
        })?;
        if let Some(info) = read {
            found.push((member, info));
        }
    }

    let mut libs = WheelLibraries { elf_files: found.len(), ..WheelLibraries::default() };
    for (_, info) in &found {
        libs.needed.extend(info.needed.iter().cloned());
    }
    for (member, info) in &found {
        let (dirs, file) = member.rsplit_once('/').unwrap_or(("", member));
        let in_libs_dir = dirs.split('/').any(|dir| dir.ends_with(".libs"));
        for name in std::iter::once(file).chain(info.soname.as_deref()) {
            if in_libs_dir || libs.needed.contains(name) {
                libs.vendored.insert(name.to_string());
            }
        }
        if info.shared {
            libs.shipped.extend(info.soname.iter().cloned());
            if file.starts_with("lib") && stem(file).len() < file.len() {
                libs.shipped.insert(file.to_string());
            }
        }
    }
    Ok(libs)
}

/// One member of a zip archive, decompressed from its start at each `open`.
struct Member<'a, R> {
    archive: &'a mut zip::ZipArchive<R>,
    index: usize,
}

impl<R: Read + Seek> Reopen for Member<'_, R> {
    type Reader<'b>
        = zip::read::ZipFile<'b, R>
    where
        Self: 'b;
    fn open(&mut self) -> std::io::Result<Self::Reader<'_>> {
        self.archive.by_index(self.index).map_err(std::io::Error::other)
    }
}

/// What a wheel needs from outside itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NativeNeeds {
    /// nixpkgs attribute paths (the `[sonames]` values), for `buildInputs`.
    pub build_inputs: BTreeSet<String>,
    /// Needed sonames the GPU driver provides at run time (`[ignore] sonames`), for
    /// `autoPatchelfIgnoreMissingDeps`.
    pub ignore_missing: BTreeSet<String>,
    /// Needed soname → the locked package whose wheel ships it.
    pub from_other_wheels: BTreeMap<String, String>,
    /// Needed sonames nothing above accounts for: to report, never to drop silently.
    pub unknown: BTreeSet<String>,
}

/// Sorts each needed soname of `libs`, first match wins:
/// 1. shipped by the wheel itself ([`WheelLibraries::vendored`]), a `system` soname, or glibc
///    (libc, libm, libmvec, libpthread, libdl, librt, libutil, libresolv, libanl, `ld-linux*`):
///    dropped;
/// 2. in `driver` → `ignore_missing`;
/// 3. in `other_wheels` (soname → package name) → `from_other_wheels`: a locked wheel wins
///    over nixpkgs, since that is what the lock resolved;
/// 4. in `providers` (soname → nixpkgs attribute, the `[sonames]` table) → `build_inputs`;
/// 5. else `unknown`.
///
/// A soname matches a table key exactly first, then by unversioned stem (`libfoo.so.2` finds
/// `libfoo.so.1` or `libfoo.so`), then by a key ending in `*` as a prefix (`libnvidia-*`).
pub fn native_needs(
    libs: &WheelLibraries,
    providers: &BTreeMap<String, String>,
    driver: &BTreeSet<String>,
    system: &BTreeSet<String>,
    other_wheels: &BTreeMap<String, String>,
) -> NativeNeeds {
    let in_set = |set: &BTreeSet<String>, soname: &str| matching_key(set.iter(), soname).is_some();
    let in_map =
        |map: &BTreeMap<String, String>, soname: &str| matching_key(map.keys(), soname).map(|k| map[k].clone());
    let mut needs = NativeNeeds::default();
    for soname in &libs.needed {
        if is_glibc(soname) || in_set(&libs.vendored, soname) || in_set(system, soname) {
            continue;
        }
        if in_set(driver, soname) {
            needs.ignore_missing.insert(soname.clone());
        } else if let Some(package) = in_map(other_wheels, soname) {
            needs.from_other_wheels.insert(soname.clone(), package);
        } else if let Some(attribute) = in_map(providers, soname) {
            needs.build_inputs.insert(attribute);
        } else {
            needs.unknown.insert(soname.clone());
        }
    }
    needs
}

/// The key matching `soname`: exact, then by stem, then by `*`-suffixed prefix.
fn matching_key<'a>(mut keys: impl Iterator<Item = &'a String> + Clone, soname: &str) -> Option<&'a String> {
    let wanted = stem(soname);
    keys.clone()
        .find(|key| *key == soname)
        .or_else(|| keys.clone().find(|key| !key.ends_with('*') && stem(key) == wanted))
        .or_else(|| keys.find(|key| key.strip_suffix('*').is_some_and(|prefix| soname.starts_with(prefix))))
}

/// A soname without its version: `libz.so.1.2.13` → `libz.so`, `libpython3.11.so.1.0` →
/// `libpython3.11.so`; a name with no `.so` suffix is its own stem.
fn stem(soname: &str) -> &str {
    let mut search = soname.len();
    while let Some(at) = soname[..search].rfind(".so") {
        let rest = &soname[at + 3..];
        if rest.is_empty()
            || rest
                .strip_prefix('.')
                .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        {
            return &soname[..at + 3];
        }
        search = at;
    }
    soname
}

/// glibc's libraries; the dynamic loaders (`ld-linux*`) are matched by prefix.
const GLIBC: [&str; 9] = [
    "libc.so.6",
    "libm.so.6",
    "libmvec.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "libresolv.so.2",
    "libanl.so.1",
];

fn is_glibc(soname: &str) -> bool {
    GLIBC.contains(&soname) || soname.starts_with("ld-linux")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drop_the_version_only() {
        assert_eq!(stem("libz.so.1.2.13"), "libz.so");
        assert_eq!(stem("libpython3.11.so.1.0"), "libpython3.11.so");
        assert_eq!(stem("libfoo.so"), "libfoo.so");
        assert_eq!(stem("libfoo-3a1b2c.so.1"), "libfoo-3a1b2c.so");
        assert_eq!(stem("libsomething.sox.1"), "libsomething.sox.1");
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(ToString::to_string).collect()
    }

    fn map(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn needs_are_sorted_in_rule_order() {
        let libs = WheelLibraries {
            needed: set(&[
                "libc.so.6",
                "ld-linux-x86-64.so.2",
                "libquadmath.so.0",
                "libfoo-ab12.so.1",
                "libcuda.so.1",
                "libnvidia-ml.so.1",
                "libcudart.so.12",
                "libz.so.1",
                "libffi.so.7",
                "libwhat.so.3",
                "libX11.so.6",
            ]),
            vendored: set(&["libfoo-ab12.so.1.0.0"]),
            ..WheelLibraries::default()
        };
        let needs = native_needs(
            &libs,
            &map(&[("libz.so.1", "zlib"), ("libffi.so.8", "libffi"), ("libcudart.so.12", "cudaPackages.cuda_cudart")]),
            &set(&["libcuda.so.1", "libnvidia-*"]),
            &set(&["libX11.so.6"]),
            &map(&[("libcudart.so.12", "nvidia-cuda-runtime-cu12")]),
        );
        assert_eq!(needs.build_inputs, set(&["libffi", "zlib"]), "libffi.so.7 by stem");
        assert_eq!(needs.ignore_missing, set(&["libcuda.so.1", "libnvidia-ml.so.1"]));
        assert_eq!(needs.from_other_wheels, map(&[("libcudart.so.12", "nvidia-cuda-runtime-cu12")]));
        assert_eq!(needs.unknown, set(&["libquadmath.so.0", "libwhat.so.3"]));
    }
}
