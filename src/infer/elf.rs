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
            Self::Io(e) => write!(f, "{e}"),
            Self::Invalid(message) => write!(f, "{message}"),
        }
    }
}

impl From<io::Error> for ElfError {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::UnexpectedEof { Self::Invalid("truncated".into()) } else { Self::Io(error) }
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
        (
            u64::from(layout.u32(&header[field(28)..])),
            layout.u16(&header[field(42)..]),
            layout.u16(&header[field(44)..]),
        )
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
    let table = stream.read_vec(table_size)?;
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
    let entries = layout.dynamic_entries(&stream.read_vec(dynamic.file_size)?);
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
    let strings = stream.read_vec(window)?;
    let text = |offset: u64| -> Result<String, ElfError> {
        let rest = &strings[usize::try_from(offset - first).expect("within the window read")..];
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
                    (self.u64(e).cast_signed(), self.u64(&e[8..]))
                } else {
                    (i64::from(self.u32(e).cast_signed()), u64::from(self.u32(&e[4..])))
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

    fn read_vec(&mut self, len: u64) -> io::Result<Vec<u8>> {
        let len = usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
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
mod tests;
