//! Distribution file names: wheels (binary distribution format, PEP 425 tags) and sdists.
//!
//! Tags are parsed once into enums here so that compatibility ranking
//! (`resolve::tags`) is plain arithmetic over already-classified values.

use std::sync::Arc;

use arcstr::ArcStr;

use crate::text::split_byte;
use thiserror::Error;

/// What a file listed in a lock is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistFilename {
    Wheel(WheelFilename),
    Sdist(SdistFilename),
    /// Eggs, Windows installers, RPMs and wheels whose name does not parse.
    Other,
}

impl DistFilename {
    /// Classifies a file name; never fails, since locks list artifacts we simply skip.
    pub fn parse(filename: &str) -> Self {
        if Self::is_wheel_name(filename) {
            return WheelFilename::parse(filename).map_or(Self::Other, DistFilename::Wheel);
        }
        SdistFilename::parse(filename).map_or(Self::Other, DistFilename::Sdist)
    }
}

impl DistFilename {
    /// Whether `filename` names a wheel: it ends in `.whl`, in any case, as every reader here
    /// takes it (whether the rest of the name parses is [`WheelFilename::parse`]'s question).
    pub fn is_wheel_name(filename: &str) -> bool {
        has_suffix_ignore_case(filename, ".whl")
    }

    /// Whether the wheel or sdist `filename` is of `version` (an sdist's version is what follows
    /// its last `-`; `_` stands for `-` as in escaped names).
    pub fn is_of_version(filename: &str, version: &uv_pep440::Version) -> bool {
        let text = match Self::parse(filename) {
            // The second part of a name that parses as a wheel's.
            Self::Wheel(_) => filename.split('-').nth(1).unwrap_or_default().to_owned(),
            Self::Sdist(sdist) => match sdist.version() {
                Some(version) => version.to_string(),
                None => return false,
            },
            Self::Other => return false,
        };
        text.replace('_', "-").parse::<uv_pep440::Version>().is_ok_and(|v| &v == version)
    }
}

/// The file name at the end of a URL or path, percent-decoded. Byte searches: a uv.lock names
/// thousands of files by URL.
pub(crate) fn file_name_of(location: &str) -> Option<String> {
    let bytes = location.as_bytes();
    let path = &location[..memchr::memchr2(b'?', b'#', bytes).unwrap_or(bytes.len())];
    let segment = &path[memchr::memrchr2(b'/', b'\\', path.as_bytes()).map_or(0, |slash| slash + 1)..];
    match segment {
        "" => None,
        plain if memchr::memchr(b'%', plain.as_bytes()).is_none() => Some(plain.to_string()),
        encoded => Some(percent_encoding::percent_decode_str(encoded).decode_utf8_lossy().into_owned()),
    }
}

/// The operating system an artifact's compiled code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Linux,
    Darwin,
    Windows,
}

impl Os {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linux => "linux",
            Self::Darwin => "darwin",
            Self::Windows => "windows",
        }
    }
}

impl DistFilename {
    /// The system a wheel's platform tags are for; `None` for pure wheels, sdists and the rest,
    /// which are built or installed alike everywhere.
    pub fn os(&self) -> Option<Os> {
        let Self::Wheel(wheel) = self else { return None };
        wheel.tags.platform.iter().find_map(|tag| match tag {
            PlatformTag::Manylinux { .. } | PlatformTag::Musllinux { .. } | PlatformTag::LinuxPlain { .. } => {
                Some(Os::Linux)
            }
            PlatformTag::Macos { .. } => Some(Os::Darwin),
            PlatformTag::Windows => Some(Os::Windows),
            PlatformTag::Any | PlatformTag::Other(_) => None,
        })
    }

    /// A Linux wheel with compiled code: the only artifacts with ELF files for autoPatchelf.
    pub fn is_linux_binary(&self) -> bool {
        self.os() == Some(Os::Linux)
    }
}

fn has_suffix_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.is_char_boundary(text.len() - suffix.len())
        && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdistExtension {
    TarGz,
    Zip,
    TarBz2,
    TarXz,
    Tgz,
    Tar,
}

impl SdistExtension {
    /// Longer suffixes first so `.tar.gz` is not mistaken for something shorter.
    const ALL: [Self; 6] = [Self::TarGz, Self::TarBz2, Self::TarXz, Self::Tgz, Self::Zip, Self::Tar];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TarGz => ".tar.gz",
            Self::Zip => ".zip",
            Self::TarBz2 => ".tar.bz2",
            Self::TarXz => ".tar.xz",
            Self::Tgz => ".tgz",
            Self::Tar => ".tar",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdistFilename {
    /// The file name without its extension, as written.
    pub stem: String,
    pub extension: SdistExtension,
}

impl SdistFilename {
    /// `filename` as an sdist: a stem, then one of the archive extensions (in any case).
    pub fn parse(filename: &str) -> Option<Self> {
        let extension = SdistExtension::ALL
            .into_iter()
            .find(|ext| has_suffix_ignore_case(filename, ext.as_str()) && filename.len() > ext.as_str().len())?;
        let stem = &filename[..filename.len() - extension.as_str().len()];
        Some(Self { stem: stem.to_string(), extension })
    }

    /// What follows the stem's last `-`, as written (`_` may stand for `-`); `None` without one.
    pub fn version(&self) -> Option<&str> {
        self.stem.rsplit_once('-').map(|(_, version)| version)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WheelFilenameError {
    #[error("wheel file name `{0}` does not end in `.whl`")]
    NotAWheel(String),
    #[error("wheel file name `{0}` must have 5 or 6 dash-separated parts (name-version[-build]-python-abi-platform)")]
    PartCount(String),
    #[error("wheel file name `{filename}` has an invalid build tag `{build}` (it must start with a digit)")]
    BuildTag { filename: String, build: String },
    #[error("wheel file name `{0}` has an empty name, version or tag")]
    EmptyPart(String),
    #[error("wheel file name `{0}` compresses more than {MAX_TAGS_PER_SET} tags into one set")]
    TooManyTags(String),
}

/// The most tags one compressed set (`py2.py3`) may hold. Ranking a wheel tries every
/// python × abi × platform triple, so a crafted name with thousands of dots would take hours;
/// real wheels have at most 4 (29,141 distinct wheel names in the corpus's locks).
pub(crate) const MAX_TAGS_PER_SET: usize = 16;

/// A parsed `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelFilename {
    // The distribution and version are not kept: nothing reads them but
    // `DistFilename::is_of_version`, and a large lock has a hundred thousand wheels.
    /// Boxed: a build tag is rare, and a lock holds a hundred thousand wheels.
    pub build: Option<Box<BuildTag>>,
    /// Shared by the wheels of a lock that carry the same ones.
    pub tags: Arc<TagSets>,
}

/// A wheel's three sets of tags, compressed sets (`py2.py3`) expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSets {
    pub python: Tags<PythonTag>,
    pub abi: Tags<AbiTag>,
    pub platform: Tags<PlatformTag>,
}

/// A wheel's set of one kind of tag: almost always one, held inline (a lock of 10,000 packages
/// has 130,000 wheels, and three allocations each were 10 MB and 6% of reading it).
pub(crate) type Tags<T> = smallvec::SmallVec<[T; 1]>;

impl WheelFilename {
    pub fn parse(filename: &str) -> Result<Self, WheelFilenameError> {
        // Tags are compared lower-case; most already are, so only those that are not are copied.
        fn tags<T>(set: &str, filename: &str, parse: fn(&str) -> T) -> Result<Tags<T>, WheelFilenameError> {
            let count = set.bytes().filter(|&b| b == b'.').count() + 1;
            if count > MAX_TAGS_PER_SET {
                return Err(WheelFilenameError::TooManyTags(crate::limits::excerpt(filename)));
            }
            let mut tags = Tags::with_capacity(count);
            for tag in split_byte(set, b'.') {
                tags.push(match tag {
                    "" => return Err(WheelFilenameError::EmptyPart(filename.to_owned())),
                    t if t.bytes().any(|b| b.is_ascii_uppercase()) => parse(&t.to_ascii_lowercase()),
                    t => parse(t),
                });
            }
            Ok(tags)
        }
        if !DistFilename::is_wheel_name(filename) {
            return Err(WheelFilenameError::NotAWheel(filename.to_owned()));
        }
        let stem = &filename[..filename.len() - 4];
        // Five or six parts, in an array rather than a Vec: a lock holds thousands of wheels.
        let mut parts = [""; 7];
        let mut count = 0;
        for part in split_byte(stem, b'-') {
            if count == parts.len() {
                break;
            }
            parts[count] = part;
            count += 1;
        }
        let (build, python, abi, platform) = match parts[..count] {
            [_, _, py, abi, plat] => (None, py, abi, plat),
            [_, _, b, py, abi, plat] => (Some(b), py, abi, plat),
            _ => return Err(WheelFilenameError::PartCount(filename.to_owned())),
        };
        if parts[..count].iter().any(|part| part.is_empty()) {
            return Err(WheelFilenameError::EmptyPart(filename.to_owned()));
        }
        let build = build
            .map(|b| {
                BuildTag::parse(b)
                    .ok_or_else(|| WheelFilenameError::BuildTag { filename: filename.to_owned(), build: b.to_owned() })
            })
            .transpose()?;
        // The three sets as one text, `cp312-cp312-manylinux_2_17_x86_64`: the stem's end.
        let sets = &stem[stem.len() - (python.len() + abi.len() + platform.len() + 2)..];
        let tags = TagSets::parsed(sets, || {
            Ok(TagSets {
                python: tags(python, filename, PythonTag::parse)?,
                abi: tags(abi, filename, AbiTag::parse)?,
                platform: tags(platform, filename, PlatformTag::parse)?,
            })
        })?;
        Ok(Self { build: build.map(Box::new), tags })
    }
}

impl TagSets {
    /// The sets written `text`, parsed by `parse` unless this thread parsed them already: a lock
    /// repeats a few hundred sets over its hundred thousand wheels (parsing the 137,000 wheel
    /// names of a 10,000-package poetry.lock took 252M instructions, and takes 86M this way).
    fn parsed(
        text: &str,
        parse: impl FnOnce() -> Result<Self, WheelFilenameError>,
    ) -> Result<Arc<Self>, WheelFilenameError> {
        /// Forgotten at this many, so that a crafted lock cannot grow it without bound.
        const KEPT: usize = 4096;
        thread_local! {
            static PARSED: std::cell::RefCell<rustc_hash::FxHashMap<Box<str>, Arc<TagSets>>> =
                std::cell::RefCell::default();
        }
        if let Some(sets) = PARSED.with_borrow(|parsed| parsed.get(text).cloned()) {
            return Ok(sets);
        }
        let sets = Arc::new(parse()?);
        PARSED.with_borrow_mut(|parsed| {
            if parsed.len() >= KEPT {
                parsed.clear();
            }
            parsed.insert(text.into(), Arc::clone(&sets));
        });
        Ok(sets)
    }
}

/// Optional build number; `Ord` compares the number, then the rest as a string (per spec).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildTag {
    pub number: u32,
    pub suffix: String,
}

impl BuildTag {
    fn parse(text: &str) -> Option<Self> {
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let number = text[..digits].parse().ok()?;
        Some(Self { number, suffix: text[digits..].to_owned() })
    }
}

/// Splits `cp311` / `py3` into the prefix's major and optional minor (`3`, `11`).
fn major_minor(digits: &str) -> Option<(u8, Option<u8>)> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let major = digits[..1].parse().ok()?;
    let minor = if digits.len() > 1 { Some(digits[1..].parse().ok()?) } else { None };
    Some((major, minor))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonTag {
    /// `cp311` → major 3, minor 11.
    CPython { major: u8, minor: Option<u8> },
    /// `py3`, `py39`, `py2`: any implementation.
    Generic { major: u8, minor: Option<u8> },
    /// PyPy (`pp310`), GraalPy, Jython, …
    Other(ArcStr),
}

impl PythonTag {
    fn parse(tag: &str) -> Self {
        let parsed = if let Some(rest) = tag.strip_prefix("cp") {
            major_minor(rest).map(|(major, minor)| Self::CPython { major, minor })
        } else if let Some(rest) = tag.strip_prefix("py") {
            major_minor(rest).map(|(major, minor)| Self::Generic { major, minor })
        } else {
            None
        };
        parsed.unwrap_or_else(|| Self::Other(tag.into()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbiTag {
    None,
    Abi3,
    /// `cp311`, `cp311d` (debug), `cp313t` (free-threaded); always CPython 3.
    CPython {
        minor: u8,
        debug: bool,
        free_threaded: bool,
    },
    /// `cp37m`, `abi3t`, `pypy310_pp73`, …
    Other(ArcStr),
}

impl AbiTag {
    fn parse(tag: &str) -> Self {
        match tag {
            "none" => return Self::None,
            "abi3" => return Self::Abi3,
            _ => {}
        }
        let cpython = tag.strip_prefix("cp3").and_then(|rest| {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let minor = rest[..digits].parse().ok()?;
            // Only the flags CPython 3.8+ still uses; `m`/`u` belong to interpreters we never target.
            let (debug, free_threaded) = match &rest[digits..] {
                "" => (false, false),
                "d" => (true, false),
                "t" => (false, true),
                "td" => (true, true),
                _ => return None,
            };
            Some(Self::CPython { minor, debug, free_threaded })
        });
        cpython.unwrap_or_else(|| Self::Other(tag.into()))
    }
}

/// A CPU architecture named in a platform tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformArch {
    X86_64,
    /// Linux `aarch64` and macOS `arm64` are the same thing.
    Aarch64,
    I686,
    Ppc64le,
    S390x,
    Armv7l,
    /// Kept so the name survives, but never compatible with a target.
    Other(ArcStr),
}

impl PlatformArch {
    fn parse(arch: &str) -> Self {
        match arch {
            "x86_64" => Self::X86_64,
            "aarch64" | "arm64" => Self::Aarch64,
            "i686" => Self::I686,
            "ppc64le" => Self::Ppc64le,
            "s390x" => Self::S390x,
            "armv7l" => Self::Armv7l,
            other => Self::Other(other.into()),
        }
    }
}

/// The binary format part of a `macosx_*` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacBinary {
    Arm64,
    X86_64,
    Universal2,
    Intel,
    Universal,
    Fat64,
    Fat32,
    Fat3,
    /// `i386`, `ppc`, `fat`, …: never runnable on a supported target.
    Other(ArcStr),
}

impl MacBinary {
    fn parse(binary: &str) -> Self {
        match binary {
            "arm64" => Self::Arm64,
            "x86_64" => Self::X86_64,
            "universal2" => Self::Universal2,
            "intel" => Self::Intel,
            "universal" => Self::Universal,
            "fat64" => Self::Fat64,
            "fat32" => Self::Fat32,
            "fat3" => Self::Fat3,
            other => Self::Other(other.into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformTag {
    Any,
    /// Legacy aliases are normalized: manylinux1 = 2.5, manylinux2010 = 2.12, manylinux2014 = 2.17.
    Manylinux {
        glibc: (u16, u16),
        arch: PlatformArch,
    },
    Musllinux {
        musl: (u16, u16),
        arch: PlatformArch,
    },
    Macos {
        version: (u16, u16),
        binary: MacBinary,
    },
    /// `linux_x86_64`: built against an unknown libc, never portable.
    LinuxPlain {
        arch: PlatformArch,
    },
    Windows,
    Other(ArcStr),
}

impl PlatformTag {
    fn parse(tag: &str) -> Self {
        Self::parse_known(tag).unwrap_or_else(|| Self::Other(tag.into()))
    }

    fn parse_known(tag: &str) -> Option<Self> {
        if tag == "any" {
            return Some(Self::Any);
        }
        if tag == "win32" || tag.starts_with("win_") {
            return Some(Self::Windows);
        }
        for (legacy, glibc) in [("manylinux1_", (2, 5)), ("manylinux2010_", (2, 12)), ("manylinux2014_", (2, 17))] {
            if let Some(arch) = tag.strip_prefix(legacy) {
                return Some(Self::Manylinux { glibc, arch: PlatformArch::parse(arch) });
            }
        }
        if let Some(rest) = tag.strip_prefix("manylinux_") {
            let (glibc, arch) = version_and_rest(rest)?;
            return Some(Self::Manylinux { glibc, arch: PlatformArch::parse(arch) });
        }
        if let Some(rest) = tag.strip_prefix("musllinux_") {
            let (musl, arch) = version_and_rest(rest)?;
            return Some(Self::Musllinux { musl, arch: PlatformArch::parse(arch) });
        }
        if let Some(rest) = tag.strip_prefix("macosx_") {
            let (version, binary) = version_and_rest(rest)?;
            return Some(Self::Macos { version, binary: MacBinary::parse(binary) });
        }
        let arch = tag.strip_prefix("linux_")?;
        Some(Self::LinuxPlain { arch: PlatformArch::parse(arch) })
    }
}

/// `2_17_x86_64` → `((2, 17), "x86_64")`; the arch itself may contain underscores.
fn version_and_rest(text: &str) -> Option<((u16, u16), &str)> {
    let mut parts = text.splitn(3, '_');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let rest = parts.next().filter(|rest| !rest.is_empty())?;
    Some(((major, minor), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wheel_is_named_by_its_suffix_in_any_case_and_parsed_the_same_way() {
        for name in ["a-1-py3-none-any.whl", "A-1-py3-none-any.WHL"] {
            assert!(DistFilename::is_wheel_name(name), "{name}");
            assert!(matches!(DistFilename::parse(name), DistFilename::Wheel(_)), "{name}");
        }
        for name in ["a-1.tar.gz", "a-1.whl.tar.gz", "a-1.zip"] {
            assert!(!DistFilename::is_wheel_name(name), "{name}");
        }
    }

    fn wheel(name: &str) -> WheelFilename {
        WheelFilename::parse(name).unwrap()
    }

    #[test]
    fn parses_plain_wheel() {
        let name = "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
        let w = wheel(name);
        let of = |version: &str| DistFilename::is_of_version(name, &version.parse().unwrap());
        assert!(of("1.26.4") && !of("1.26.5"), "the version is the name's second part");
        assert_eq!(w.build, None);
        assert_eq!(*w.tags.python, [PythonTag::CPython { major: 3, minor: Some(11) }]);
        assert_eq!(*w.tags.abi, [AbiTag::CPython { minor: 11, debug: false, free_threaded: false }]);
        let glibc217 = PlatformTag::Manylinux { glibc: (2, 17), arch: PlatformArch::X86_64 };
        assert_eq!(*w.tags.platform, [glibc217.clone(), glibc217]);
    }

    #[test]
    fn expands_compressed_python_tags() {
        let w = wheel("six-1.16.0-py2.py3-none-any.whl");
        assert_eq!(
            *w.tags.python,
            [PythonTag::Generic { major: 2, minor: None }, PythonTag::Generic { major: 3, minor: None }]
        );
        assert_eq!(*w.tags.abi, [AbiTag::None]);
        assert_eq!(*w.tags.platform, [PlatformTag::Any]);
    }

    #[test]
    fn parses_build_tag_and_local_version() {
        let w = wheel("torch-2.3.0_cpu-1local-cp39-cp39-linux_x86_64.whl");
        assert_eq!(w.build.as_deref(), Some(&BuildTag { number: 1, suffix: "local".into() }));
        assert_eq!(*w.tags.platform, [PlatformTag::LinuxPlain { arch: PlatformArch::X86_64 }]);
        assert!(BuildTag { number: 2, suffix: String::new() } > BuildTag { number: 1, suffix: "z".into() });
    }

    #[test]
    fn parses_abi_flags() {
        let w = wheel("numpy-2.1.0-cp313-cp313t-macosx_14_0_arm64.whl");
        assert_eq!(*w.tags.abi, [AbiTag::CPython { minor: 13, debug: false, free_threaded: true }]);
        assert_eq!(AbiTag::parse("cp39d"), AbiTag::CPython { minor: 9, debug: true, free_threaded: false });
        assert_eq!(AbiTag::parse("abi3"), AbiTag::Abi3);
        assert_eq!(AbiTag::parse("cp37m"), AbiTag::Other("cp37m".into()));
        assert_eq!(AbiTag::parse("pypy310_pp73"), AbiTag::Other("pypy310_pp73".into()));
    }

    #[test]
    fn parses_python_tag_kinds() {
        assert_eq!(PythonTag::parse("cp3"), PythonTag::CPython { major: 3, minor: None });
        assert_eq!(PythonTag::parse("py310"), PythonTag::Generic { major: 3, minor: Some(10) });
        assert_eq!(PythonTag::parse("pp310"), PythonTag::Other("pp310".into()));
        assert_eq!(PythonTag::parse("cpx"), PythonTag::Other("cpx".into()));
    }

    #[test]
    fn parses_legacy_manylinux_aliases() {
        let cases = [
            ("manylinux1_i686", (2, 5), PlatformArch::I686),
            ("manylinux2010_x86_64", (2, 12), PlatformArch::X86_64),
            ("manylinux2014_aarch64", (2, 17), PlatformArch::Aarch64),
            ("manylinux_2_28_ppc64le", (2, 28), PlatformArch::Ppc64le),
            ("manylinux_2_31_riscv64", (2, 31), PlatformArch::Other("riscv64".into())),
        ];
        for (tag, glibc, arch) in cases {
            assert_eq!(PlatformTag::parse(tag), PlatformTag::Manylinux { glibc, arch }, "{tag}");
        }
    }

    #[test]
    fn parses_other_platforms() {
        let cases = [
            ("musllinux_1_2_x86_64", PlatformTag::Musllinux { musl: (1, 2), arch: PlatformArch::X86_64 }),
            ("macosx_10_9_universal2", PlatformTag::Macos { version: (10, 9), binary: MacBinary::Universal2 }),
            ("macosx_11_0_arm64", PlatformTag::Macos { version: (11, 0), binary: MacBinary::Arm64 }),
            ("macosx_10_5_ppc", PlatformTag::Macos { version: (10, 5), binary: MacBinary::Other("ppc".into()) }),
            ("win_amd64", PlatformTag::Windows),
            ("win32", PlatformTag::Windows),
            ("manylinux_2_x86_64", PlatformTag::Other("manylinux_2_x86_64".into())),
            ("emscripten_3_1_58_wasm32", PlatformTag::Other("emscripten_3_1_58_wasm32".into())),
        ];
        for (tag, expected) in cases {
            assert_eq!(PlatformTag::parse(tag), expected, "{tag}");
        }
    }

    #[test]
    fn wheel_errors_quote_the_filename() {
        let err = WheelFilename::parse("foo-1.0-py3-none.whl").unwrap_err();
        assert_eq!(err, WheelFilenameError::PartCount("foo-1.0-py3-none.whl".into()));
        assert!(err.to_string().contains("`foo-1.0-py3-none.whl`"));
        let err = WheelFilename::parse("foo-1.0-x1-py3-none-any.whl").unwrap_err();
        assert!(matches!(err, WheelFilenameError::BuildTag { ref build, .. } if build == "x1"));
        assert!(matches!(WheelFilename::parse("foo-1.0.tar.gz"), Err(WheelFilenameError::NotAWheel(_))));
        assert!(matches!(WheelFilename::parse("foo--py3-none-any.whl"), Err(WheelFilenameError::EmptyPart(_))));
        assert!(matches!(WheelFilename::parse("foo-1.0-py3..py2-none-any.whl"), Err(WheelFilenameError::EmptyPart(_))));
    }

    #[test]
    fn a_name_with_thousands_of_tags_is_refused_not_ranked_for_hours() {
        // Found by the fuzz target `filename`: 2,424 × 8,528 × 430 triples on every target.
        let sets = |n: usize| vec!["x"; n].join(".");
        let name = format!("a-1-{}-{}-{}.whl", sets(2424), sets(8528), sets(430));
        let err = WheelFilename::parse(&name).unwrap_err();
        assert!(matches!(err, WheelFilenameError::TooManyTags(_)), "{err}");
        assert!(err.to_string().len() < 400, "the message quotes an excerpt");
        assert_eq!(DistFilename::parse(&name), DistFilename::Other);
        let widest = format!("a-1-{}-{}-{}.whl", sets(16), sets(16), sets(16));
        assert_eq!(wheel(&widest).tags.platform.len(), 16);
        assert!(WheelFilename::parse(&format!("a-1-py3-none-{}.whl", sets(17))).is_err());
    }

    #[test]
    fn classifies_distribution_files() {
        assert!(matches!(DistFilename::parse("attrs-23.2.0-py3-none-any.whl"), DistFilename::Wheel(_)));
        let cases = [
            ("attrs-23.2.0.tar.gz", "attrs-23.2.0", Some("23.2.0"), SdistExtension::TarGz),
            ("Foo-1.0.zip", "Foo-1.0", Some("1.0"), SdistExtension::Zip),
            ("foo-1.0.tar.bz2", "foo-1.0", Some("1.0"), SdistExtension::TarBz2),
            ("foo-1.0.tar.xz", "foo-1.0", Some("1.0"), SdistExtension::TarXz),
            ("foo-1.0.tgz", "foo-1.0", Some("1.0"), SdistExtension::Tgz),
            ("foo-1.0.tar", "foo-1.0", Some("1.0"), SdistExtension::Tar),
            ("FOO-1.0.TAR.GZ", "FOO-1.0", Some("1.0"), SdistExtension::TarGz),
            ("zope.interface-6.0_post1.tar.gz", "zope.interface-6.0_post1", Some("6.0_post1"), SdistExtension::TarGz),
            ("noversion.zip", "noversion", None, SdistExtension::Zip),
        ];
        for (name, stem, version, extension) in cases {
            let expected = SdistFilename { stem: stem.to_string(), extension };
            assert_eq!(DistFilename::parse(name), DistFilename::Sdist(expected.clone()), "{name}");
            assert_eq!(expected.version(), version, "{name}");
        }
        for other in
            ["foo-1.0-py2.7.egg", "foo-1.0.win32.exe", "foo-1.0.msi", "foo-1.0-1.noarch.rpm", "broken.whl", ".tar.gz"]
        {
            assert_eq!(DistFilename::parse(other), DistFilename::Other, "{other}");
        }
    }

    #[test]
    fn file_names_come_from_the_end_of_the_url() {
        assert_eq!(
            file_name_of("https://h/p/a%2Bb-1.0-py3-none-any.whl#sha256=1").as_deref(),
            Some("a+b-1.0-py3-none-any.whl")
        );
        assert_eq!(file_name_of("dist/x-1.0.tar.gz").as_deref(), Some("x-1.0.tar.gz"));
        assert_eq!(file_name_of("https://h/"), None);
        assert_eq!(file_name_of("C:\\dist\\x-1.0.zip?a/b#c").as_deref(), Some("x-1.0.zip"));
        assert_eq!(file_name_of("plain.whl").as_deref(), Some("plain.whl"));
    }
}
