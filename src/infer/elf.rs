//! The `DT_NEEDED`/`DT_SONAME` entries of one ELF file, read the way the dynamic loader finds
//! them (program headers → `PT_DYNAMIC` → `DT_STRTAB`) from a stream that can only go forward.
//!
//! A wheel member is a deflate stream: seeking means decompressing. The ELF header and the
//! program headers sit at the start, `.dynamic` usually after the code, and `.dynstr` before
//! it. So the stream is read once up to the end of `.dynamic`, and, when the strings lie
//! behind, a second time up to the end of the strings. Memory stays at the headers, the
//! dynamic table and the few bytes of strings, even for a 2 GB `libtorch_cuda.so`.

use std::io::{self, Read};

use object::elf;

/// The dynamic-section facts of one ELF executable or shared object.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct ElfInfo {
    pub needed: Vec<String>,
    pub soname: Option<String>,
    /// `ET_DYN` (a shared object, or a PIE executable) rather than `ET_EXEC`.
    pub shared: bool,
}

/// A dynamic table larger than this is not a real one (glibc's has about 40 entries).
const MAX_DYNAMIC_BYTES: u64 = 1 << 20;
/// Program header tables larger than this are not real ones.
const MAX_PROGRAM_HEADER_BYTES: u64 = 1 << 20;

/// Why a stream that starts with the ELF magic could not be read.
#[derive(Debug)]
pub(super) enum ElfError {
    Io(io::Error),
    Invalid(String),
}

impl std::fmt::Display for ElfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ElfError::Io(e) => write!(f, "{e}"),
            ElfError::Invalid(message) => write!(f, "{message}"),
        }
    }
}

impl From<io::Error> for ElfError {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            ElfError::Invalid("truncated".into())
        } else {
            ElfError::Io(error)
        }
    }
}

fn invalid<T>(message: impl Into<String>) -> Result<T, ElfError> {
    Err(ElfError::Invalid(message.into()))
}

/// A file that can be streamed from its start as often as needed (a zip member).
pub(super) trait Reopen {
    type Reader<'a>: Read
    where
        Self: 'a;
    fn open(&mut self) -> io::Result<Self::Reader<'_>>;
}

impl Reopen for &[u8] {
    type Reader<'a>
        = &'a [u8]
    where
        Self: 'a;
    fn open(&mut self) -> io::Result<&[u8]> {
        Ok(self)
    }
}

/// Reads the facts of the ELF file `source` streams, opening it again when the strings lie
/// behind the dynamic table. `Ok(None)`: not ELF (only 4 bytes read), or an ELF file that is
/// neither an executable nor a shared object (`.o`, core).
pub(super) fn read_elf(source: &mut impl Reopen) -> Result<Option<ElfInfo>, ElfError> {
    let mut stream = Forward::new(source.open()?);
    let mut magic = [0u8; 4];
    if stream.read_exact_or_short(&mut magic)? < 4 || magic != elf::ELFMAG {
        return Ok(None);
    }
    let mut ident = [0u8; 12];
    stream.read_exact(&mut ident)?;
    let wide = match ident[0] {
        x if x == elf::ELFCLASS32.0 => false,
        x if x == elf::ELFCLASS64.0 => true,
        other => return invalid(format!("unknown ELF class {other}")),
    };
    let big_endian = match ident[1] {
        x if x == elf::ELFDATA2LSB.0 => false,
        x if x == elf::ELFDATA2MSB.0 => true,
        other => return invalid(format!("unknown ELF data encoding {other}")),
    };
    let layout = Layout { wide, big_endian };
    let header = stream.read_vec(if wide { 64 - 16 } else { 52 - 16 })?;
    let field = |at: usize| at - 16;
    let kind = layout.u16(&header[field(16)..]);
    if kind != elf::ET_DYN.0 && kind != elf::ET_EXEC.0 {
        return Ok(None);
    }
    let (phoff, phentsize, phnum) = if wide {
        (layout.u64(&header[field(32)..]), layout.u16(&header[field(54)..]), layout.u16(&header[field(56)..]))
    } else {
        (layout.u32(&header[field(28)..]) as u64, layout.u16(&header[field(42)..]), layout.u16(&header[field(44)..]))
    };
    let mut info = ElfInfo { shared: kind == elf::ET_DYN.0, ..ElfInfo::default() };
    let table_size = u64::from(phentsize) * u64::from(phnum);
    if phnum == 0 {
        return Ok(Some(info));
    }
    if usize::from(phentsize) < layout.program_header_size() || table_size > MAX_PROGRAM_HEADER_BYTES {
        return invalid(format!("program header table of {phnum} × {phentsize} bytes"));
    }
    if !stream.skip_to(phoff)? {
        return invalid("program headers overlap the ELF header");
    }
    let table = stream.read_vec(table_size as usize)?;
    let headers: Vec<Segment> = table.chunks(usize::from(phentsize)).map(|h| layout.segment(h)).collect();
    // No PT_DYNAMIC: a static executable, which needs nothing.
    let Some(dynamic) = headers.iter().find(|h| h.kind == elf::PT_DYNAMIC.0) else { return Ok(Some(info)) };
    if dynamic.file_size > MAX_DYNAMIC_BYTES {
        return invalid(format!("PT_DYNAMIC of {} bytes", dynamic.file_size));
    }
    if !stream.skip_to(dynamic.offset)? {
        drop(stream);
        stream = Forward::new(source.open()?);
        stream.skip_to(dynamic.offset)?;
    }
    let entries = layout.dynamic_entries(&stream.read_vec(dynamic.file_size as usize)?);
    let value = |tag: i64| entries.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v);
    let needed: Vec<u64> = entries.iter().filter(|(t, _)| *t == elf::DT_NEEDED.0).map(|(_, v)| *v).collect();
    let soname = value(elf::DT_SONAME.0);
    let mut wanted: Vec<u64> = needed.iter().copied().chain(soname).collect();
    if wanted.is_empty() {
        return Ok(Some(info));
    }
    let (Some(strtab), Some(strsz)) = (value(elf::DT_STRTAB.0), value(elf::DT_STRSZ.0)) else {
        return invalid("DT_NEEDED or DT_SONAME without DT_STRTAB and DT_STRSZ");
    };
    let Some(strtab_offset) = file_offset(&headers, strtab) else {
        return invalid(format!("DT_STRTAB {strtab:#x} is in no PT_LOAD segment"));
    };
    wanted.sort_unstable();
    let (first, last) = (wanted[0], wanted[wanted.len() - 1]);
    if last >= strsz {
        return invalid(format!("a string offset {last} is past DT_STRSZ {strsz}"));
    }
    let start = strtab_offset + first;
    if !stream.skip_to(start)? {
        drop(stream);
        stream = Forward::new(source.open()?);
        stream.skip_to(start)?;
    }
    // From the first wanted string to the end of the last: a soname is far shorter than 4 KiB.
    let window = (last - first + 4096).min(strsz - first);
    let strings = stream.read_vec(window as usize)?;
    let text = |offset: u64| -> Result<String, ElfError> {
        let rest = &strings[(offset - first) as usize..];
        match rest.iter().position(|&b| b == 0) {
            Some(end) => Ok(String::from_utf8_lossy(&rest[..end]).into_owned()),
            None => invalid(format!("unterminated string at DT_STRTAB + {offset}")),
        }
    };
    info.needed = needed.iter().map(|&o| text(o)).collect::<Result<_, _>>()?;
    info.soname = soname.map(text).transpose()?;
    Ok(Some(info))
}

/// Where the byte at virtual address `address` lies in the file, through the `PT_LOAD` segments.
fn file_offset(headers: &[Segment], address: u64) -> Option<u64> {
    headers
        .iter()
        .filter(|h| h.kind == elf::PT_LOAD.0)
        .find(|h| address >= h.address && address - h.address < h.file_size)
        .map(|h| h.offset + (address - h.address))
}

/// One program header, the fields used.
struct Segment {
    kind: u32,
    offset: u64,
    address: u64,
    file_size: u64,
}

/// ELF32 or ELF64, in either byte order.
struct Layout {
    wide: bool,
    big_endian: bool,
}

impl Layout {
    fn u16(&self, b: &[u8]) -> u16 {
        let bytes = [b[0], b[1]];
        if self.big_endian { u16::from_be_bytes(bytes) } else { u16::from_le_bytes(bytes) }
    }
    fn u32(&self, b: &[u8]) -> u32 {
        let bytes = b[..4].try_into().expect("4 bytes");
        if self.big_endian { u32::from_be_bytes(bytes) } else { u32::from_le_bytes(bytes) }
    }
    fn u64(&self, b: &[u8]) -> u64 {
        let bytes = b[..8].try_into().expect("8 bytes");
        if self.big_endian { u64::from_be_bytes(bytes) } else { u64::from_le_bytes(bytes) }
    }

    fn program_header_size(&self) -> usize {
        if self.wide { 56 } else { 32 }
    }

    fn segment(&self, h: &[u8]) -> Segment {
        if self.wide {
            Segment {
                kind: self.u32(h),
                offset: self.u64(&h[8..]),
                address: self.u64(&h[16..]),
                file_size: self.u64(&h[32..]),
            }
        } else {
            Segment {
                kind: self.u32(h),
                offset: self.u32(&h[4..]).into(),
                address: self.u32(&h[8..]).into(),
                file_size: self.u32(&h[16..]).into(),
            }
        }
    }

    /// `(d_tag, d_val)` pairs up to `DT_NULL`.
    fn dynamic_entries(&self, table: &[u8]) -> Vec<(i64, u64)> {
        let size = if self.wide { 16 } else { 8 };
        table
            .chunks_exact(size)
            .map(|e| {
                if self.wide {
                    (self.u64(e) as i64, self.u64(&e[8..]))
                } else {
                    (i64::from(self.u32(e) as i32), u64::from(self.u32(&e[4..])))
                }
            })
            .take_while(|(tag, _)| *tag != elf::DT_NULL.0)
            .collect()
    }
}

/// A reader that knows its position and can only skip forward.
struct Forward<R> {
    inner: R,
    at: u64,
}

impl<R: Read> Forward<R> {
    fn new(inner: R) -> Self {
        Self { inner, at: 0 }
    }

    /// Skips to `offset`; `false` when it is behind.
    fn skip_to(&mut self, offset: u64) -> io::Result<bool> {
        if offset < self.at {
            return Ok(false);
        }
        let wanted = offset - self.at;
        let skipped = io::copy(&mut (&mut self.inner).take(wanted), &mut io::sink())?;
        self.at += skipped;
        if skipped < wanted {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(true)
    }

    fn read_exact(&mut self, buffer: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(buffer)?;
        self.at += buffer.len() as u64;
        Ok(())
    }

    fn read_vec(&mut self, len: usize) -> io::Result<Vec<u8>> {
        let mut buffer = vec![0u8; len];
        self.read_exact(&mut buffer)?;
        Ok(buffer)
    }

    /// Like `read_exact`, but a short stream is not an error: returns how much was read.
    fn read_exact_or_short(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buffer.len() {
            match self.inner.read(&mut buffer[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        self.at += filled as u64;
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny ELF file laid out like a real one, without section headers (as after `sstrip`):
    /// header, `PT_LOAD` + `PT_DYNAMIC` program headers, then `.dynstr` and `.dynamic` in the
    /// given order. Addresses are file offsets + `BASE`, so `DT_STRTAB` must be translated.
    struct Tiny {
        wide: bool,
        big_endian: bool,
        strings_first: bool,
        kind: u16,
        with_dynamic: bool,
    }

    const BASE: u64 = 0x40_0000;

    impl Default for Tiny {
        fn default() -> Self {
            Tiny { wide: true, big_endian: false, strings_first: true, kind: elf::ET_DYN.0, with_dynamic: true }
        }
    }

    impl Tiny {
        fn put(&self, out: &mut Vec<u8>, value: u64, width: usize) {
            let bytes = if self.big_endian { value.to_be_bytes() } else { value.to_le_bytes() };
            let bytes = if self.big_endian { &bytes[8 - width..] } else { &bytes[..width] };
            out.extend_from_slice(bytes);
        }

        fn word(&self) -> usize {
            if self.wide { 8 } else { 4 }
        }

        fn build(&self, needed: &[&str], soname: Option<&str>) -> Vec<u8> {
            let (header_size, ph_size) = if self.wide { (64, 56) } else { (52, 32) };
            let phnum = if self.with_dynamic { 2 } else { 1 };
            let mut strings = vec![0u8];
            let mut tags: Vec<(u64, u64)> = Vec::new();
            for (tag, name) in
                needed.iter().map(|n| (elf::DT_NEEDED.0, *n)).chain(soname.map(|s| (elf::DT_SONAME.0, s)))
            {
                tags.push((tag as u64, strings.len() as u64));
                strings.extend(name.as_bytes().iter().chain([&0]));
            }
            let entry = 2 * self.word();
            let dynamic_len = (tags.len() + 3) * entry;
            let body = header_size + phnum * ph_size;
            let (strings_at, dynamic_at) = if self.strings_first {
                (body, (body + strings.len()).next_multiple_of(8))
            } else {
                ((body + dynamic_len).next_multiple_of(8), body)
            };
            tags.push((elf::DT_STRTAB.0 as u64, BASE + strings_at as u64));
            tags.push((elf::DT_STRSZ.0 as u64, strings.len() as u64));
            tags.push((elf::DT_NULL.0 as u64, 0));
            let total = (strings_at + strings.len()).max(dynamic_at + dynamic_len);

            let mut out =
                vec![0x7f, b'E', b'L', b'F', if self.wide { 2 } else { 1 }, if self.big_endian { 2 } else { 1 }, 1];
            out.resize(16, 0);
            self.put(&mut out, u64::from(self.kind), 2);
            self.put(&mut out, u64::from(elf::EM_X86_64.0), 2);
            self.put(&mut out, 1, 4);
            let w = self.word();
            self.put(&mut out, 0, w); // e_entry
            self.put(&mut out, header_size as u64, w); // e_phoff
            self.put(&mut out, 0, w); // e_shoff
            self.put(&mut out, 0, 4); // e_flags
            for value in [header_size, ph_size, phnum, 0, 0, 0] {
                self.put(&mut out, value as u64, 2);
            }
            assert_eq!(out.len(), header_size);
            let mut segment = |kind: u32, offset: usize, size: usize| {
                let mut h = Vec::new();
                self.put(&mut h, u64::from(kind), 4);
                if self.wide {
                    self.put(&mut h, 0, 4); // p_flags
                }
                for value in [offset as u64, BASE + offset as u64, BASE + offset as u64, size as u64, size as u64] {
                    self.put(&mut h, value, w);
                }
                if !self.wide {
                    self.put(&mut h, 0, 4);
                }
                self.put(&mut h, 8, w); // p_align
                assert_eq!(h.len(), ph_size);
                out.extend(h);
            };
            segment(elf::PT_LOAD.0, 0, total);
            if self.with_dynamic {
                segment(elf::PT_DYNAMIC.0, dynamic_at, dynamic_len);
            }
            out.resize(total, 0);
            out[strings_at..strings_at + strings.len()].copy_from_slice(&strings);
            let mut table = Vec::new();
            for (tag, value) in tags {
                self.put(&mut table, tag, w);
                self.put(&mut table, value, w);
            }
            out[dynamic_at..dynamic_at + dynamic_len].copy_from_slice(&table);
            out
        }
    }

    /// Counts how often the file is streamed from its start.
    struct Counted<'a> {
        bytes: &'a [u8],
        opens: usize,
    }

    impl Reopen for Counted<'_> {
        type Reader<'b>
            = &'b [u8]
        where
            Self: 'b;
        fn open(&mut self) -> io::Result<&[u8]> {
            self.opens += 1;
            Ok(self.bytes)
        }
    }

    fn read(bytes: &[u8]) -> (Result<Option<ElfInfo>, ElfError>, usize) {
        let mut source = Counted { bytes, opens: 0 };
        let result = read_elf(&mut source);
        (result, source.opens)
    }

    #[test]
    fn every_class_and_byte_order_reads_alike() {
        for wide in [true, false] {
            for big_endian in [false, true] {
                let tiny = Tiny { wide, big_endian, ..Tiny::default() };
                let (info, _) = read(&tiny.build(&["libz.so.1", "libc.so.6"], Some("libfoo.so.1")));
                let info = info.unwrap().unwrap();
                assert_eq!(info.needed, ["libz.so.1", "libc.so.6"], "wide {wide}, big endian {big_endian}");
                assert_eq!(info.soname.as_deref(), Some("libfoo.so.1"));
                assert!(info.shared);
            }
        }
    }

    #[test]
    fn strings_behind_the_dynamic_table_take_a_second_pass_and_ahead_of_it_do_not() {
        let first = Tiny { strings_first: true, ..Tiny::default() }.build(&["libz.so.1"], None);
        let (info, opens) = read(&first);
        assert_eq!((info.unwrap().unwrap().needed, opens), (vec!["libz.so.1".to_string()], 2));
        let after = Tiny { strings_first: false, ..Tiny::default() }.build(&["libz.so.1"], None);
        let (info, opens) = read(&after);
        assert_eq!((info.unwrap().unwrap().needed, opens), (vec!["libz.so.1".to_string()], 1));
    }

    #[test]
    fn executables_static_files_objects_and_non_elf() {
        let exec = Tiny { kind: elf::ET_EXEC.0, ..Tiny::default() }.build(&["libm.so.6"], None);
        let info = read(&exec).0.unwrap().unwrap();
        assert!(!info.shared && info.needed == ["libm.so.6"]);
        let fully_static = Tiny { kind: elf::ET_EXEC.0, with_dynamic: false, ..Tiny::default() }.build(&[], None);
        assert_eq!(read(&fully_static).0.unwrap(), Some(ElfInfo::default()));
        let object = Tiny { kind: elf::ET_REL.0, ..Tiny::default() }.build(&["libz.so.1"], None);
        assert_eq!(read(&object).0.unwrap(), None);
        let (script, opens) = read(b"#!/usr/bin/env python\n");
        assert_eq!((script.unwrap(), opens), (None, 1));
        assert_eq!(read(b"\x7fE").0.unwrap(), None, "shorter than the magic");
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        let good = Tiny::default().build(&["libz.so.1"], Some("libfoo.so.1"));
        for cut in [10, 20, 64, 100, good.len() - 3] {
            let (result, _) = read(&good[..cut]);
            assert!(matches!(result, Err(ElfError::Invalid(_))), "cut at {cut}: {result:?}");
        }
        let mut bad_class = good.clone();
        bad_class[4] = 9;
        assert!(read(&bad_class).0.unwrap_err().to_string().contains("ELF class 9"));
        // DT_STRTAB pointing outside every PT_LOAD segment.
        let mut far = good.clone();
        let strtab_tag = (elf::DT_STRTAB.0 as u64).to_le_bytes();
        let at = far.windows(8).rposition(|w| w == strtab_tag).unwrap();
        far[at + 8..at + 16].copy_from_slice(&(BASE * 4).to_le_bytes());
        assert!(read(&far).0.unwrap_err().to_string().contains("in no PT_LOAD segment"));
    }
}
