//! Resolution targets: a Nix system × a CPython minor, and the platform policy
//! (glibc baseline, macOS version) that decides which wheels a target can run.

use std::fmt;

/// The four Nix systems one generated file serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum System {
    X86_64Linux,
    Aarch64Linux,
    X86_64Darwin,
    Aarch64Darwin,
}

impl System {
    pub const ALL: [Self; 4] = [Self::X86_64Linux, Self::Aarch64Linux, Self::X86_64Darwin, Self::Aarch64Darwin];

    /// The Nix system string (`stdenv.hostPlatform.system`).
    pub fn as_nix(&self) -> &'static str {
        match self {
            Self::X86_64Linux => "x86_64-linux",
            Self::Aarch64Linux => "aarch64-linux",
            Self::X86_64Darwin => "x86_64-darwin",
            Self::Aarch64Darwin => "aarch64-darwin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_nix() == text)
    }

    pub fn is_linux(&self) -> bool {
        matches!(self, Self::X86_64Linux | Self::Aarch64Linux)
    }

    pub fn is_darwin(&self) -> bool {
        !self.is_linux()
    }

    pub fn arch(&self) -> Arch {
        match self {
            Self::X86_64Linux | Self::X86_64Darwin => Arch::X86_64,
            Self::Aarch64Linux | Self::Aarch64Darwin => Arch::Aarch64,
        }
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_nix())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

/// A CPython 3 minor version (3.9 → `PythonMinor(9)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonMinor(pub u8);

impl PythonMinor {
    /// The CPython minors lock2nix generates for: 3.9 to 3.14.
    pub const SUPPORTED: std::ops::RangeInclusive<u8> = 9..=14;

    pub fn all() -> impl Iterator<Item = Self> {
        Self::SUPPORTED.map(PythonMinor)
    }

    /// Parses `3.11`.
    pub fn parse(text: &str) -> Option<Self> {
        let minor = text.strip_prefix("3.")?.parse().ok()?;
        Self::SUPPORTED.contains(&minor).then_some(Self(minor))
    }

    /// `python_version`, e.g. `3.11`.
    pub fn version(&self) -> String {
        format!("3.{}", self.0)
    }

    /// `python_full_version` used for markers and constraints: markers are evaluated once per
    /// minor, so a late patch release stands for the whole minor (nixpkgs ships the latest patch).
    pub fn full_version(&self) -> String {
        format!("3.{}.99", self.0)
    }
}

impl fmt::Display for PythonMinor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "3.{}", self.0)
    }
}

/// One system × interpreter the generated file must serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub system: System,
    pub python: PythonMinor,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} with CPython {}", self.system, self.python)
    }
}

/// What the target platforms provide, which decides wheel compatibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformPolicy {
    /// Highest glibc `(major, minor)` a manylinux wheel may require (nixpkgs' glibc).
    pub glibc: (u16, u16),
    /// Oldest macOS `(major, minor)` the environment must run on.
    pub macos: (u16, u16),
}

impl Default for PlatformPolicy {
    fn default() -> Self {
        // nixpkgs 25.05–26.05 ship glibc 2.40; macOS 14 is the oldest release Apple still
        // patches, and what current Apple-silicon ML wheels (tensorflow-metal, …) target.
        Self { glibc: (2, 40), macos: (14, 0) }
    }
}
