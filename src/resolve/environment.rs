//! The PEP 508 marker environment of a target.

use uv_pep508::{MarkerEnvironment, MarkerEnvironmentBuilder};

use super::target::{Arch, Target};

/// The marker environment CPython reports on `target`. `platform_release` and
/// `platform_version` are left empty: they are kernel facts no lock can rely on.
pub fn marker_environment(target: &Target) -> MarkerEnvironment {
    let python_version = target.python.version();
    let full_version = target.python.full_version();
    let linux = target.system.is_linux();
    let machine = match (target.system.arch(), linux) {
        (Arch::X86_64, _) => "x86_64",
        (Arch::Aarch64, true) => "aarch64",
        (Arch::Aarch64, false) => "arm64",
    };
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: &full_version,
        os_name: "posix",
        platform_machine: machine,
        platform_python_implementation: "CPython",
        platform_release: "",
        platform_system: if linux { "Linux" } else { "Darwin" },
        platform_version: "",
        python_full_version: &full_version,
        python_version: &python_version,
        sys_platform: if linux { "linux" } else { "darwin" },
    })
    .expect("the built-in versions are valid PEP 440")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use uv_normalize::ExtraName;
    use uv_pep508::MarkerTree;

    use super::*;
    use crate::resolve::target::{PythonMinor, System};

    fn holds(marker: &str, system: System, minor: u8, extras: &[&str]) -> bool {
        let extras: Vec<ExtraName> = extras.iter().map(|e| ExtraName::from_owned(e.to_string()).unwrap()).collect();
        let env = marker_environment(&Target { system, python: PythonMinor(minor) });
        MarkerTree::from_str(marker).unwrap().evaluate(&env, &extras)
    }

    #[test]
    fn platform_markers_follow_what_cpython_reports() {
        // Apple silicon reports `arm64`, Linux `aarch64`: the classic torch/triton marker trap.
        assert!(holds("platform_machine == 'arm64'", System::Aarch64Darwin, 12, &[]));
        assert!(!holds("platform_machine == 'arm64'", System::Aarch64Linux, 12, &[]));
        assert!(holds("platform_machine == 'aarch64' and sys_platform == 'linux'", System::Aarch64Linux, 12, &[]));
        assert!(holds("platform_system == 'Darwin' and os_name == 'posix'", System::X86_64Darwin, 9, &[]));
        assert!(!holds("sys_platform == 'win32'", System::X86_64Linux, 12, &[]));
        assert!(holds(
            "implementation_name == 'cpython' and platform_python_implementation == 'CPython'",
            System::X86_64Linux,
            12,
            &[]
        ));
    }

    #[test]
    fn python_version_markers_compare_as_versions() {
        assert!(holds("python_version < '3.10'", System::X86_64Linux, 9, &[]));
        assert!(!holds("python_version < '3.10'", System::X86_64Linux, 10, &[]));
        assert!(
            holds("python_version >= '3.10'", System::X86_64Linux, 14, &[]),
            "3.14 is not below 3.10 as a string would be"
        );
        // A late patch release stands for the minor.
        assert!(holds("python_full_version >= '3.11.4'", System::X86_64Linux, 11, &[]));
        assert!(!holds("python_full_version < '3.11.0'", System::X86_64Linux, 11, &[]));
    }

    #[test]
    fn extra_markers_need_the_extra() {
        assert!(!holds("extra == 'socks'", System::X86_64Linux, 12, &[]));
        assert!(holds("extra == 'socks'", System::X86_64Linux, 12, &["socks"]));
        assert!(
            holds("extra == 'Socks_Proxy'", System::X86_64Linux, 12, &["socks-proxy"]),
            "extras compare normalized"
        );
    }
}
