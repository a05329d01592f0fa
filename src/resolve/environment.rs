//! The PEP 508 marker environment of a target.

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};

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
