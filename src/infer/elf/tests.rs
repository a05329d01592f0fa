//! Tests of [`super::read_elf`] on tiny ELF files built here in every class and byte order.

use super::*;

/// A tiny ELF file laid out like a real one, without section headers (as after `sstrip`):
/// header, `PT_LOAD` + `PT_DYNAMIC` program headers, then `.dynstr` and `.dynamic` in the
/// given order. Addresses are file offsets + `BASE`, so `DT_STRTAB` must be translated.
#[expect(clippy::struct_excessive_bools, reason = "independent switches of the test file's layout")]
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
        Self { wide: true, big_endian: false, strings_first: true, kind: elf::ET_DYN.0, with_dynamic: true }
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
        for (tag, name) in needed.iter().map(|n| (elf::DT_NEEDED.0, *n)).chain(soname.map(|s| (elf::DT_SONAME.0, s))) {
            tags.push((tag.cast_unsigned(), strings.len() as u64));
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
