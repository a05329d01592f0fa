//! PEP 425 wheel compatibility and preference for one target, following the order of
//! `packaging.tags.sys_tags()` for a CPython 3.X interpreter (what pip installs).
//!
//! Instead of enumerating the target's tag list, each tag triple of a wheel is mapped straight
//! to its position class in that list, so ranking allocates nothing.

use std::cmp::Reverse;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::filename::{AbiTag, MacBinary, PlatformArch, PlatformTag, PythonTag, TagSets, WheelFilename};
use crate::resolve::target::{Arch, PlatformPolicy, PythonMinor, System, Target};

/// Preference of a wheel on one target. Lower sorts first = more preferred.
///
/// Fields: the interpreter/ABI slot (outermost in `sys_tags()`), the platform rank within the
/// slot, then the build tag (higher build wins ties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TagPriority(u16, u32, Reverse<Option<(u32, u64)>>);

/// Where `wheel` ranks for `target`, or `None` if pip on the target would not install it.
pub(crate) fn wheel_priority(wheel: &WheelFilename, target: Target, policy: PlatformPolicy) -> Option<TagPriority> {
    tags_rank(&wheel.tags, target, policy).map(|rank| priority(wheel, rank))
}

/// [`wheel_priority`], each tag set's rank on each target found once: the wheels of a lock
/// share a few hundred sets. By address: alive while the lock is borrowed, so none is reused.
#[derive(Default)]
pub(crate) struct KnownRanks(FxHashMap<(usize, Target), Option<(u16, u32)>>);

impl KnownRanks {
    pub(crate) fn wheel_priority(
        &mut self,
        wheel: &WheelFilename,
        target: Target,
        policy: PlatformPolicy,
    ) -> Option<TagPriority> {
        let key = (Arc::as_ptr(&wheel.tags) as usize, target);
        let rank = *self.0.entry(key).or_insert_with(|| tags_rank(&wheel.tags, target, policy));
        rank.map(|rank| priority(wheel, rank))
    }
}

fn priority(wheel: &WheelFilename, (slot, platform): (u16, u32)) -> TagPriority {
    let build = wheel.build.as_ref().map(|b| (b.number, suffix_key(&b.suffix)));
    TagPriority(slot, platform, Reverse(build))
}

/// The best `(slot, platform rank)` of the triples of `tags` on `target`.
fn tags_rank(tags: &TagSets, target: Target, policy: PlatformPolicy) -> Option<(u16, u32)> {
    let mut best: Option<(u16, u32)> = None;
    for python in &tags.python {
        for abi in &tags.abi {
            for platform in &tags.platform {
                let Some(rank) = triple_rank(python, abi, platform, target, policy) else {
                    continue;
                };
                if best.is_none_or(|b| rank < b) {
                    best = Some(rank);
                }
            }
        }
    }
    best
}

/// The systems (bit `i` for `System::ALL[i]`) on which some platform tag of `wheel` can run,
/// whatever the interpreter: a cheap first filter, computed once per file rather than per target.
pub(crate) fn wheel_systems(wheel: &WheelFilename, policy: PlatformPolicy) -> u8 {
    let mut mask = 0;
    for (bit, system) in System::ALL.iter().enumerate() {
        let target = Target { system: *system, python: PythonMinor(*PythonMinor::SUPPORTED.end()) };
        if wheel.tags.platform.iter().any(|p| *p == PlatformTag::Any || platform_rank(p, target, policy).is_some()) {
            mask |= 1 << bit;
        }
    }
    mask
}

/// The CPython minors (bit `m` for 3.m) on which some interpreter and ABI tag pair of `wheel`
/// has a slot, whatever the platform: with [`wheel_systems`], a filter that leaves
/// [`wheel_priority`] only the wheels that may fit, computed once per file. Minors no target
/// has are never filtered out (their bits are set; one of 32 or more has no bit).
pub(crate) fn wheel_pythons(wheel: &WheelFilename) -> u32 {
    let mut mask = u32::MAX;
    for minor in PythonMinor::SUPPORTED {
        let x = u16::from(minor);
        let fits = wheel.tags.python.iter().any(|python| {
            wheel
                .tags
                .abi
                .iter()
                .any(|abi| platform_slot(python, abi, x).or_else(|| any_slot(python, abi, x)).is_some())
        });
        if !fits {
            mask &= !(1 << minor);
        }
    }
    mask
}

/// Build tag suffixes compare as strings; the first eight bytes are enough to order real ones
/// without allocating.
fn suffix_key(suffix: &str) -> u64 {
    let mut key = [0u8; 8];
    for (dst, src) in key.iter_mut().zip(suffix.bytes()) {
        *dst = src;
    }
    u64::from_be_bytes(key)
}

/// `(slot, platform rank)` of one `python-abi-platform` triple.
fn triple_rank(
    python: &PythonTag,
    abi: &AbiTag,
    platform: &PlatformTag,
    target: Target,
    policy: PlatformPolicy,
) -> Option<(u16, u32)> {
    let x = u16::from(target.python.0);
    if *platform == PlatformTag::Any {
        Some((any_slot(python, abi, x)?, 0))
    } else {
        Some((platform_slot(python, abi, x)?, platform_rank(platform, target, policy)?))
    }
}

/// Slots of `cpython_tags()` then `compatible_tags()` for a platform-specific tag:
/// `cp3X-cp3X`, `cp3X-abi3`, `cp3X-none`, `cp3(X-1)-abi3` … `cp32-abi3`,
/// then `py3X-none`, `py3-none`, `py3(X-1)-none` … `py30-none`.
fn platform_slot(python: &PythonTag, abi: &AbiTag, x: u16) -> Option<u16> {
    match (python, abi) {
        (PythonTag::CPython { major: 3, minor: Some(y) }, abi) => {
            let y = u16::from(*y);
            match abi {
                AbiTag::CPython { minor, debug: false, free_threaded: false } if y == x && u16::from(*minor) == x => {
                    Some(0)
                }
                AbiTag::Abi3 if y == x => Some(1),
                AbiTag::None if y == x => Some(2),
                // The limited API of 3.Y (3.2 introduced it) runs on every later 3.X.
                AbiTag::Abi3 if (2..x).contains(&y) => Some(3 + (x - 1 - y)),
                _ => None,
            }
        }
        (PythonTag::Generic { major: 3, minor }, AbiTag::None) => Some(x + 1 + generic_offset(*minor, x)?),
        _ => None,
    }
}

/// Slots after every platform-specific one: `cp3X-none-any`, then `py3X`, `py3`, `py3(X-1)` …
fn any_slot(python: &PythonTag, abi: &AbiTag, x: u16) -> Option<u16> {
    let first_any = x + 1 + generic_offset(Some(0), x)? + 1;
    match (python, abi) {
        (PythonTag::CPython { major: 3, minor: Some(y) }, AbiTag::None) if u16::from(*y) == x => Some(first_any),
        (PythonTag::Generic { major: 3, minor }, AbiTag::None) => Some(first_any + 1 + generic_offset(*minor, x)?),
        _ => None,
    }
}

/// Position in `py3X`, `py3`, `py3(X-1)` … `py30`; newer generic tags than 3.X don't apply.
fn generic_offset(minor: Option<u8>, x: u16) -> Option<u16> {
    match minor.map(u16::from) {
        Some(y) if y == x => Some(0),
        None => Some(1),
        Some(y) if y < x => Some(2 + (x - 1 - y)),
        Some(_) => None,
    }
}

/// Rank among the target's platform tags, best first; `None` if the platform can't run it.
fn platform_rank(platform: &PlatformTag, target: Target, policy: PlatformPolicy) -> Option<u32> {
    let arch = target.system.arch();
    match platform {
        PlatformTag::Manylinux { glibc, arch: wheel_arch } if target.system.is_linux() => {
            if !same_arch(wheel_arch, arch) {
                return None;
            }
            // auditwheel's floor: manylinux1 on x86, manylinux2014 elsewhere.
            let floor = if arch == Arch::X86_64 { (2, 5) } else { (2, 17) };
            if *glibc < floor || *glibc > policy.glibc || glibc.0 != policy.glibc.0 {
                return None;
            }
            Some(u32::from(policy.glibc.1 - glibc.1))
        }
        PlatformTag::Macos { version, binary } if target.system.is_darwin() => {
            let binary_rank = mac_binary_rank(binary, arch)?;
            // Apple silicon never ran anything older than macOS 11, whatever the policy says.
            let newest = if arch == Arch::Aarch64 { policy.macos.max((11, 0)) } else { policy.macos };
            let oldest = if *binary == MacBinary::Arm64 { (11, 0) } else { (10, 4) };
            if *version > newest || *version < oldest {
                return None;
            }
            Some((mac_key(newest) - mac_key(*version)) * 8 + binary_rank)
        }
        // nixpkgs is glibc-based and builds its own interpreter: no musl, no unportable
        // `linux_*`, and obviously no Windows.
        _ => None,
    }
}

fn same_arch(wheel: &PlatformArch, target: Arch) -> bool {
    matches!((wheel, target), (PlatformArch::X86_64, Arch::X86_64) | (PlatformArch::Aarch64, Arch::Aarch64))
}

/// Order of `_mac_binary_formats()` for the target CPU.
fn mac_binary_rank(binary: &MacBinary, arch: Arch) -> Option<u32> {
    let order: &[MacBinary] = match arch {
        Arch::Aarch64 => &[MacBinary::Arm64, MacBinary::Universal2],
        Arch::X86_64 => &[
            MacBinary::X86_64,
            MacBinary::Intel,
            MacBinary::Fat64,
            MacBinary::Fat32,
            MacBinary::Universal2,
            MacBinary::Universal,
        ],
    };
    order.iter().position(|b| b == binary).and_then(|i| u32::try_from(i).ok())
}

/// Orders 10.x minors below 11+ majors, newest first when subtracted from the policy's key.
fn mac_key((major, minor): (u16, u16)) -> u32 {
    u32::from(major) * 100 + u32::from(minor.min(99))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::target::{PythonMinor, System};

    fn target(system: System, minor: u8) -> Target {
        Target { system, python: PythonMinor(minor) }
    }

    fn priority(name: &str, system: System, minor: u8) -> Option<TagPriority> {
        priority_with(name, system, minor, PlatformPolicy::default())
    }

    fn priority_with(name: &str, system: System, minor: u8, policy: PlatformPolicy) -> Option<TagPriority> {
        let wheel = WheelFilename::parse(name).unwrap();
        wheel_priority(&wheel, target(system, minor), policy)
    }

    fn compatible_systems(name: &str, minor: u8) -> Vec<System> {
        System::ALL.into_iter().filter(|s| priority(name, *s, minor).is_some()).collect()
    }

    /// The most preferred of `names` on a target, like pip's choice among one release's files.
    fn pick<'a>(names: &[&'a str], system: System, minor: u8) -> Option<&'a str> {
        names.iter().filter_map(|n| Some((priority(n, system, minor)?, *n))).min().map(|(_, n)| n)
    }

    #[test]
    fn macos_arm64_only_stack() {
        for name in [
            "tensorflow_macos-2.15.0-cp311-cp311-macosx_12_0_arm64.whl",
            "tensorflow_metal-1.1.0-cp311-cp311-macosx_12_0_arm64.whl",
        ] {
            assert_eq!(compatible_systems(name, 11), vec![System::Aarch64Darwin], "{name}");
            assert!(compatible_systems(name, 10).is_empty(), "{name}");
        }
    }

    #[test]
    fn manylinux_2_28_needs_glibc_2_28_on_x86_64() {
        let name = "pkg-1.0-cp312-cp312-manylinux_2_28_x86_64.whl";
        assert_eq!(compatible_systems(name, 12), vec![System::X86_64Linux]);
        let old_glibc = PlatformPolicy { glibc: (2, 17), ..PlatformPolicy::default() };
        assert_eq!(priority_with(name, System::X86_64Linux, 12, old_glibc), None);
    }

    #[test]
    fn abi3_wheel_runs_on_later_interpreters_only() {
        let name = "cryptography-43.0.0-cp39-abi3-manylinux_2_28_x86_64.whl";
        for minor in PythonMinor::SUPPORTED {
            assert!(priority(name, System::X86_64Linux, minor).is_some(), "3.{minor}");
        }
        let cp311 = "cryptography-43.0.0-cp311-abi3-manylinux_2_28_x86_64.whl";
        assert!(priority(cp311, System::X86_64Linux, 10).is_none());
        assert!(priority(cp311, System::X86_64Linux, 11).is_some());
        // abi3 needs a CPython interpreter tag.
        assert!(priority("x-1.0-py3-abi3-manylinux_2_28_x86_64.whl", System::X86_64Linux, 11).is_none());
    }

    #[test]
    fn interpreter_order_dominates_platform_order() {
        let specific = priority("p-1-cp311-cp311-manylinux_2_5_x86_64.whl", System::X86_64Linux, 11);
        let abi3_same = priority("p-1-cp311-abi3-manylinux_2_39_x86_64.whl", System::X86_64Linux, 11);
        let none_plat = priority("p-1-cp311-none-manylinux_2_39_x86_64.whl", System::X86_64Linux, 11);
        let abi3_old = priority("p-1-cp39-abi3-manylinux_2_39_x86_64.whl", System::X86_64Linux, 11);
        let abi3_older = priority("p-1-cp38-abi3-manylinux_2_39_x86_64.whl", System::X86_64Linux, 11);
        let py3_plat = priority("p-1-py3-none-manylinux_2_39_x86_64.whl", System::X86_64Linux, 11);
        let cp_any = priority("p-1-cp311-none-any.whl", System::X86_64Linux, 11);
        let py311_any = priority("p-1-py311-none-any.whl", System::X86_64Linux, 11);
        let py3_any = priority("p-1-py3-none-any.whl", System::X86_64Linux, 11);
        let py310_any = priority("p-1-py310-none-any.whl", System::X86_64Linux, 11);
        let ordered =
            [specific, abi3_same, none_plat, abi3_old, abi3_older, py3_plat, cp_any, py311_any, py3_any, py310_any];
        assert!(ordered.iter().all(Option::is_some));
        assert!(ordered.windows(2).all(|w| w[0] < w[1]), "{ordered:?}");
        assert!(priority("p-1-py312-none-any.whl", System::X86_64Linux, 11).is_none());
        assert!(priority("p-1-cp311-cp311-any.whl", System::X86_64Linux, 11).is_none());
    }

    #[test]
    fn newer_manylinux_outranks_manylinux2014() {
        let new = priority("p-1-cp311-cp311-manylinux_2_28_aarch64.whl", System::Aarch64Linux, 11);
        let old =
            priority("p-1-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", System::Aarch64Linux, 11);
        assert!(new.unwrap() < old.unwrap());
        // aarch64 manylinux starts at 2_17; x86_64 goes down to manylinux1.
        assert!(priority("p-1-cp311-cp311-manylinux_2_12_aarch64.whl", System::Aarch64Linux, 11).is_none());
        assert!(priority("p-1-cp311-cp311-manylinux1_x86_64.whl", System::X86_64Linux, 11).is_some());
    }

    #[test]
    fn macos_arch_specific_outranks_universal2_and_respects_policy() {
        let arm = priority("p-1-cp312-cp312-macosx_11_0_arm64.whl", System::Aarch64Darwin, 12).unwrap();
        let universal = priority("p-1-cp312-cp312-macosx_11_0_universal2.whl", System::Aarch64Darwin, 12).unwrap();
        let newer_arm = priority("p-1-cp312-cp312-macosx_13_3_arm64.whl", System::Aarch64Darwin, 12).unwrap();
        assert!(newer_arm < arm && arm < universal);
        let old_universal = "p-1-cp312-cp312-macosx_10_9_universal2.whl";
        assert_eq!(compatible_systems(old_universal, 12), vec![System::X86_64Darwin, System::Aarch64Darwin]);
        let intel = "p-1-cp312-cp312-macosx_10_6_intel.whl";
        assert_eq!(compatible_systems(intel, 12), vec![System::X86_64Darwin]);
        assert!(priority("p-1-cp312-cp312-macosx_15_0_arm64.whl", System::Aarch64Darwin, 12).is_none());
        assert!(priority("p-1-cp312-cp312-macosx_14_2_x86_64.whl", System::X86_64Darwin, 12).is_none());
        let macos15 = PlatformPolicy { macos: (15, 0), ..PlatformPolicy::default() };
        assert!(priority_with("p-1-cp312-cp312-macosx_15_0_arm64.whl", System::Aarch64Darwin, 12, macos15).is_some());
    }

    #[test]
    fn never_musl_plain_linux_or_windows() {
        for name in [
            "p-1-cp311-cp311-musllinux_1_2_x86_64.whl",
            "p-1-cp311-cp311-linux_x86_64.whl",
            "p-1-cp311-cp311-win_amd64.whl",
            "p-1-cp311-cp311-manylinux_2_17_riscv64.whl",
        ] {
            assert!(compatible_systems(name, 11).is_empty(), "{name}");
        }
    }

    #[test]
    fn universal_py2_py3_wheel_works_everywhere() {
        for minor in PythonMinor::SUPPORTED {
            assert_eq!(compatible_systems("six-1.16.0-py2.py3-none-any.whl", minor), System::ALL);
        }
        assert!(compatible_systems("old-1.0-py2-none-any.whl", 11).is_empty());
    }

    #[test]
    fn free_threaded_and_debug_abis_rejected() {
        assert!(compatible_systems("numpy-2.1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", 13).is_empty());
        assert!(compatible_systems("numpy-2.1.0-cp313-cp313t-macosx_14_0_arm64.whl", 13).is_empty());
        assert!(compatible_systems("p-1-cp311-cp311d-manylinux_2_17_x86_64.whl", 11).is_empty());
    }

    #[test]
    fn higher_build_tag_breaks_ties() {
        let plain = priority("p-1-py3-none-any.whl", System::X86_64Linux, 11).unwrap();
        let b1 = priority("p-1-1-py3-none-any.whl", System::X86_64Linux, 11).unwrap();
        let b2 = priority("p-1-2-py3-none-any.whl", System::X86_64Linux, 11).unwrap();
        let b2a = priority("p-1-2a-py3-none-any.whl", System::X86_64Linux, 11).unwrap();
        assert!(b2a < b2 && b2 < b1 && b1 < plain);
        // The tag still comes first.
        let tagged = priority("p-1-cp311-cp311-manylinux_2_17_x86_64.whl", System::X86_64Linux, 11).unwrap();
        assert!(tagged < b2a);
    }

    #[test]
    fn numpy_style_release_picks_per_target() {
        let owned: Vec<String> = (9..=13)
            .flat_map(|x| {
                [
                    format!("numpy-2.0.0-cp3{x}-cp3{x}-macosx_10_9_x86_64.whl"),
                    format!("numpy-2.0.0-cp3{x}-cp3{x}-macosx_14_0_x86_64.whl"),
                    format!("numpy-2.0.0-cp3{x}-cp3{x}-macosx_11_0_arm64.whl"),
                    format!("numpy-2.0.0-cp3{x}-cp3{x}-macosx_14_0_arm64.whl"),
                    format!("numpy-2.0.0-cp3{x}-cp3{x}-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
                    format!("numpy-2.0.0-cp3{x}-cp3{x}-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"),
                    format!("numpy-2.0.0-cp3{x}-cp3{x}-musllinux_1_2_x86_64.whl"),
                    format!("numpy-2.0.0-cp3{x}-cp3{x}-win_amd64.whl"),
                ]
            })
            .chain([
                "numpy-2.0.0-cp313-cp313t-manylinux_2_17_x86_64.manylinux2014_x86_64.whl".to_owned(),
                "numpy-2.0.0-cp313-cp313t-macosx_14_0_arm64.whl".to_owned(),
                "numpy-2.0.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.manylinux2014_x86_64.whl".to_owned(),
            ])
            .collect();
        let files: Vec<&str> = owned.iter().map(String::as_str).collect();
        let linux_x86 = "manylinux_2_17_x86_64.manylinux2014_x86_64";
        let linux_arm = "manylinux_2_17_aarch64.manylinux2014_aarch64";
        for minor in PythonMinor::SUPPORTED {
            for system in System::ALL {
                let expected = (minor <= 13).then(|| {
                    let platform = match system {
                        System::X86_64Linux => linux_x86,
                        System::Aarch64Linux => linux_arm,
                        System::X86_64Darwin => "macosx_14_0_x86_64",
                        System::Aarch64Darwin => "macosx_14_0_arm64",
                    };
                    format!("numpy-2.0.0-cp3{minor}-cp3{minor}-{platform}.whl")
                });
                let picked = pick(&files, system, minor);
                assert_eq!(picked, expected.as_deref(), "{system} 3.{minor}");
            }
        }
        // With an older macOS policy the 10.9 / 11.0 builds win instead.
        let policy = PlatformPolicy { macos: (12, 0), ..PlatformPolicy::default() };
        let t = target(System::X86_64Darwin, 12);
        let best = files
            .iter()
            .filter_map(|n| Some((wheel_priority(&WheelFilename::parse(n).ok()?, t, policy)?, *n)))
            .min()
            .map(|(_, n)| n);
        assert_eq!(best, Some("numpy-2.0.0-cp312-cp312-macosx_10_9_x86_64.whl"));
    }

    #[test]
    fn python_filter_keeps_exactly_the_interpreters_with_a_slot() {
        let pythons = |name: &str| {
            let mask = wheel_pythons(&WheelFilename::parse(name).unwrap());
            PythonMinor::SUPPORTED.filter(|m| mask & (1 << m) != 0).collect::<Vec<u8>>()
        };
        assert_eq!(pythons("p-1-cp311-cp311-manylinux_2_17_x86_64.whl"), [11]);
        assert_eq!(pythons("p-1-cp311-abi3-manylinux_2_17_x86_64.whl"), [11, 12, 13, 14]);
        assert_eq!(pythons("p-1-py2.py3-none-any.whl"), [9, 10, 11, 12, 13, 14]);
        assert_eq!(pythons("p-1-py312-none-any.whl"), [12, 13, 14]);
        assert!(pythons("p-1-cp313-cp313t-manylinux_2_17_x86_64.whl").is_empty());
        assert!(pythons("p-1-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl").is_empty());
        // The filter never leaves out a wheel that ranks (the fuzz target checks any name).
        for name in ["p-1-cp39-abi3-macosx_11_0_arm64.whl", "p-1-cp310-none-any.whl", "p-1-py3-none-win_amd64.whl"] {
            for minor in PythonMinor::SUPPORTED {
                if System::ALL.into_iter().any(|system| priority(name, system, minor).is_some()) {
                    assert!(pythons(name).contains(&minor), "{name} 3.{minor}");
                }
            }
        }
    }
}
