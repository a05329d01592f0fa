//! A Linux wheel's native library needs: the `DT_NEEDED` sonames of its ELF files, which of
//! them the wheel ships itself, and what the rest maps to through the soname table.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use object::elf;
use object::read::elf::FileHeader;
use object::{Endianness, FileKind};

use super::InferError;

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
/// x86_64 and aarch64 alike) from the zip in `bytes`. Members are recognized by their ELF magic,
/// whatever their name; everything else is skipped unread. `DT_NEEDED`/`DT_SONAME` come from
/// the `SHT_DYNAMIC` section, so a file stripped of its section headers (`sstrip`) reads as
/// needing nothing. An ELF member is decompressed whole while it is parsed: peak memory is
/// `bytes` plus the largest ELF member.
pub fn wheel_libraries(filename: &str, bytes: &[u8]) -> Result<WheelLibraries, InferError> {
    let archive_error = |message: String| InferError::Archive { file: filename.to_string(), kind: "zip", message };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| archive_error(e.to_string()))?;
    let mut found: Vec<(String, ElfInfo)> = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| archive_error(e.to_string()))?;
        if entry.is_dir() || entry.size() < 4 {
            continue;
        }
        let member = entry.name().to_string();
        let size = entry.size();
        let data = read_if_elf(&mut entry, size).map_err(|e| archive_error(format!("{member}: {e}")))?;
        let Some(data) = data else { continue };
        let info = parse_elf(data.bytes()).map_err(|message| InferError::Elf {
            file: filename.to_string(),
            member: member.clone(),
            message,
        })?;
        if let Some(info) = info {
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

/// The dynamic-section facts of one ELF executable or shared object.
#[derive(Debug, Default, PartialEq, Eq)]
struct ElfInfo {
    needed: Vec<String>,
    soname: Option<String>,
    /// `ET_DYN` (a shared object, or a PIE executable) rather than `ET_EXEC`.
    shared: bool,
}

/// The bytes of one member, at an 8-aligned address: `object` reads ELF structures in place
/// and refuses misaligned ones, and a `Vec<u8>` promises no alignment.
struct Aligned {
    buffer: Vec<u8>,
    start: usize,
    len: usize,
}

impl Aligned {
    fn bytes(&self) -> &[u8] {
        &self.buffer[self.start..self.start + self.len]
    }
}

/// Reads a member of `size` bytes whole if it starts with the ELF magic; `None` otherwise,
/// after reading only the magic.
fn read_if_elf(reader: &mut impl Read, size: u64) -> std::io::Result<Option<Aligned>> {
    let mut magic = [0u8; 4];
    reader.read_exact(&mut magic)?;
    if magic != elf::ELFMAG {
        return Ok(None);
    }
    let len = usize::try_from(size).map_err(std::io::Error::other)?;
    let mut buffer = vec![0u8; len + 8];
    let start = buffer.as_ptr().align_offset(8);
    buffer[start..start + 4].copy_from_slice(&magic);
    reader.read_exact(&mut buffer[start + 4..start + len])?;
    Ok(Some(Aligned { buffer, start, len }))
}

/// `Ok(None)` for ELF files that are neither executables nor shared objects (`.o`, core).
fn parse_elf(data: &[u8]) -> Result<Option<ElfInfo>, String> {
    let parsed = match FileKind::parse(data).map_err(|e| e.to_string())? {
        FileKind::Elf32 => parse_elf_as::<elf::FileHeader32<Endianness>>(data),
        FileKind::Elf64 => parse_elf_as::<elf::FileHeader64<Endianness>>(data),
        other => return Err(format!("unexpected file kind {other:?}")),
    };
    parsed.map_err(|e| e.to_string())
}

fn parse_elf_as<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> object::read::Result<Option<ElfInfo>> {
    let header = Elf::parse(data)?;
    let endian = header.endian()?;
    let kind = header.e_type(endian);
    if kind != elf::ET_DYN && kind != elf::ET_EXEC {
        return Ok(None);
    }
    let table = header.sections(endian, data)?.dynamic_table(endian, data)?;
    let mut info = ElfInfo { shared: kind == elf::ET_DYN, ..ElfInfo::default() };
    for entry in &table {
        let text = || table.string(entry).map(|s| String::from_utf8_lossy(s).into_owned());
        if entry.tag == elf::DT_NEEDED {
            info.needed.push(text()?);
        } else if entry.tag == elf::DT_SONAME {
            info.soname = Some(text()?);
        }
    }
    Ok(Some(info))
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

    /// A minimal little-endian ELF64 shared object: header, `.dynstr`, `.dynamic`, `.shstrtab`.
    fn tiny_elf(machine: u16, needed: &[&str], soname: Option<&str>) -> Vec<u8> {
        let mut dynstr = vec![0u8];
        let mut dynamic: Vec<(u64, u64)> = Vec::new();
        let tagged = needed.iter().map(|n| (1, *n)).chain(soname.map(|s| (14, s)));
        for (tag, name) in tagged {
            dynamic.push((tag, dynstr.len() as u64));
            dynstr.extend(name.as_bytes().iter().chain([&0]));
        }
        dynamic.push((0, 0));
        let shstrtab = b"\0.dynstr\0.dynamic\0.shstrtab\0";
        let mut out = vec![0u8; 64];
        out.extend(&dynstr);
        out.resize(out.len().next_multiple_of(8), 0);
        let dynamic_at = out.len();
        dynamic.iter().for_each(|(tag, value)| out.extend(tag.to_le_bytes().into_iter().chain(value.to_le_bytes())));
        let shstrtab_at = out.len();
        out.extend(shstrtab);
        out.resize(out.len().next_multiple_of(8), 0);
        let sections_at = out.len() as u64;
        let section = |name: u32, kind: u32, at: usize, size: usize, link: u32, entsize: u64| {
            let words: [u64; 4] = [0, 0, at as u64, size as u64];
            let mut s: Vec<u8> = name.to_le_bytes().into_iter().chain(kind.to_le_bytes()).collect();
            words.iter().for_each(|w| s.extend(w.to_le_bytes()));
            s.extend(
                link.to_le_bytes()
                    .into_iter()
                    .chain(0u32.to_le_bytes())
                    .chain(1u64.to_le_bytes())
                    .chain(entsize.to_le_bytes()),
            );
            s
        };
        out.extend([0u8; 64]);
        out.extend(section(1, elf::SHT_STRTAB.0, 64, dynstr.len(), 0, 0));
        out.extend(section(9, elf::SHT_DYNAMIC.0, dynamic_at, dynamic.len() * 16, 1, 16));
        out.extend(section(18, elf::SHT_STRTAB.0, shstrtab_at, shstrtab.len(), 0, 0));
        out[..8].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
        let mut put = |at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
        put(16, &3u16.to_le_bytes()); // ET_DYN
        put(18, &machine.to_le_bytes());
        put(20, &1u32.to_le_bytes());
        put(40, &sections_at.to_le_bytes());
        put(52, &[64, 0, 56, 0, 0, 0, 64, 0, 4, 0, 3, 0]); // ehsize, phentsize, phnum, shentsize, shnum, shstrndx
        out
    }

    fn read(bytes: &[u8]) -> Option<ElfInfo> {
        let data = read_if_elf(&mut Cursor::new(bytes), bytes.len() as u64).unwrap()?;
        parse_elf(data.bytes()).unwrap()
    }

    #[test]
    fn aarch64_and_x86_64_shared_objects_parse_alike() {
        for machine in [elf::EM_AARCH64, elf::EM_X86_64] {
            let info = read(&tiny_elf(machine.0, &["libz.so.1", "libc.so.6"], Some("libfoo.so.1"))).unwrap();
            assert_eq!(info.needed, ["libz.so.1", "libc.so.6"]);
            assert_eq!(info.soname.as_deref(), Some("libfoo.so.1"));
            assert!(info.shared);
        }
    }

    #[test]
    fn non_elf_is_skipped_after_the_magic_and_broken_elf_is_an_error() {
        assert!(read_if_elf(&mut Cursor::new(b"#!/usr/bin/env python\n"), 22).unwrap().is_none());
        let mut broken = tiny_elf(elf::EM_X86_64.0, &["libz.so.1"], None);
        broken.truncate(100);
        let data = read_if_elf(&mut Cursor::new(&broken), broken.len() as u64).unwrap().unwrap();
        assert!(parse_elf(data.bytes()).is_err());
    }

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
