//! The nix stub (`nix/stub/`) is a strict stand-in for nixpkgs' Python
//! interface. These tests prove that it is strict where it must be (so that
//! generated code that only works by luck fails), faithful where nixpkgs
//! decides, and that it really builds environments with a host Python.
//!
//! Needs Nix (`apt-get install nix-bin`); `LOCK2NIX_SKIP_NIX_TESTS=1` skips,
//! loudly. No network: nothing is fetched except `file://` URLs.
// Tests print what they leave out.
#![allow(clippy::print_stderr)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use support::evaluate::{thrown, thrown_whole};
use support::nix::*;

const SYSTEMS: [&str; 4] = ["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"];

fn selftest() -> PathBuf {
    nix_tests_dir().join("stub-selftest.nix")
}

fn eval_case(case: &str) -> Result<String, NixError> {
    instantiate_eval(&selftest(), &[attr(case)])
}

/// The case must evaluate to `true`.
fn expect_true(case: &str) {
    match eval_case(case) {
        Ok(out) => assert_eq!(out, "true", "self-test case {case} evaluated to {out}"),
        Err(e) => panic!("self-test case {case} failed:\n{e}"),
    }
}

/// The message the case throws (the last of Nix's output), through [`thrown_whole`].
fn thrown_by(case: &str) -> String {
    match eval_case(case) {
        Ok(out) => panic!("self-test case {case} should fail but evaluated to {out}"),
        Err(e) => thrown_whole(&e.stderr),
    }
}

macro_rules! nix_test {
    ($name:ident, $body:block) => {
        #[test]
        fn $name() {
            if !require_nix(stringify!($name)) {
                return;
            }
            $body
        }
    };
}

// ---------------------------------------------------------------- fetchurl

nix_test!(fetchurl_rejects_unexpected_argument, {
    insta::assert_snapshot!(thrown_by("failFetchurlUnexpectedArgument"), @"'fetchurlAttrs' at [REPO]/nix/stub/fetchurl.nix:52:5 called with unexpected argument 'sha256sum'");
});

nix_test!(fetchurl_rejects_two_hashes, {
    insta::assert_snapshot!(thrown_by("failFetchurlTwoHashes"), @r#"multiple hashes passed to fetchurl: ["https://example.invalid/packages/six-1.16.0-py2.py3-none-any.whl"]"#);
});

nix_test!(fetchurl_needs_exactly_one_of_url_and_urls, {
    insta::assert_snapshot!(thrown_by("failFetchurlUrlAndUrls"), @r#"fetchurl requires either `url` or `urls` to be set: {"hash":"sha256-eK5G+l0cJlcyfYic1BiZC5Kpqhe3X5AZe/Cq/20zbCY=","url":"https://example.invalid/packages/six-1.16.0-py2.py3-none-any.whl","urls":["https://example.invalid/packages/six-1.16.0-py2.py3-none-any.whl"]}"#);
    insta::assert_snapshot!(thrown_by("failFetchurlNoUrl"), @r#"fetchurl requires either `url` or `urls` to be set: {"hash":"sha256-eK5G+l0cJlcyfYic1BiZC5Kpqhe3X5AZe/Cq/20zbCY="}"#);
});

nix_test!(fetchurl_rejects_percent_encoded_store_name, {
    insta::assert_snapshot!(thrown_by("failFetchurlPercentName"), @r#"evaluation aborted with the following error message: 'lock2nix nix stub: fetchurl: store path name 'torch-2.5.1%2Bcpu-cp311-cp311-linux_x86_64.whl' contains illegal character '%', which Nix rejects ("store path ... contains illegal character"); pass `name = "<the real file name>"`'"#);
    // … and the documented fix works.
    expect_true("fetchurlPercentNameWithName");
});

nix_test!(fetchurl_accepts_documented_forms, {
    for case in
        ["fetchurlIsFixedOutput", "fetchurlNoHashUsesFakeHash", "fetchurlHexSha256AndUrls", "fetchurlFinalAttrsForm"]
    {
        expect_true(case);
    }
});

// ---------------------------------------------------------------- fetchgit

nix_test!(fetchgit_defaults_and_refusals, {
    expect_true("fetchgitDefaults");
    expect_true("fetchgitTagSha256AndNoHash");
    insta::assert_snapshot!(thrown_by("failFetchgitUnexpectedArgument"), @"'fetchgitAttrs' at [REPO]/nix/stub/fetchgit.nix:209:5 called with unexpected argument 'submodules'");
    insta::assert_snapshot!(thrown_by("failFetchgitTwoHashes"), @"fetcher called with mutually-incompatible arguments: hash, sha256");
    insta::assert_snapshot!(thrown_by("failFetchgitRevAndTag"), @"fetchgit requires one of either `rev` or `tag` to be provided (not both).");
    insta::assert_snapshot!(thrown_by("failFetchgitLeaveDotGit"), @"evaluation aborted with the following error message: 'lock2nix nix stub: fetchgit: leaveDotGit (or deepClone/fetchTags, which imply it) is not supported by the stub (lock2nix output should not need it)'");
    insta::assert_snapshot!(thrown_by("failFetchgitPostFetch"), @"evaluation aborted with the following error message: 'lock2nix nix stub: fetchgit: postFetch is not supported by the stub (lock2nix output should not need it)'");
});

// ---------------------------------------------------------------- buildPythonPackage

nix_test!(build_python_package_rejects_format_and_pyproject_together, {
    insta::assert_snapshot!(thrown_by("failBothFormatAndPyproject"), @"assertion '((pyproject != null) -> (format == null))' failed");
});

nix_test!(build_python_package_rejects_neither_format_nor_pyproject, {
    insta::assert_snapshot!(thrown_by("failNeitherFormatNorPyproject"), @"python3.11-six-1.16.0 does not configure a `format`. To build with setuptools as before, set `pyproject = true` and `build-system = [ setuptools ]`.`");
});

nix_test!(build_python_package_rejects_unknown_argument, {
    insta::assert_snapshot!(thrown_by("failUnknownArgument"), @"evaluation aborted with the following error message: 'lock2nix nix stub: buildPythonPackage: python3.11-six-1.16.0: unknown argument 'pythonImportCheck'. nixpkgs would silently pass it to the builder as an environment variable (a misspelling like `pythonImportCheck` has no effect). Allowed: the formals of mk-python-derivation.nix, the Python setup-hook variables and stdenv.mkDerivation attributes.'");
    // Not hidden by builtins.tryEval (the stub aborts).
    insta::assert_snapshot!(thrown_by("failUnknownArgumentNotCaughtByTryEval"), @"evaluation aborted with the following error message: 'lock2nix nix stub: buildPythonPackage: python3.11-six-1.16.0: unknown argument 'pythonImportCheck'. nixpkgs would silently pass it to the builder as an environment variable (a misspelling like `pythonImportCheck` has no effect). Allowed: the formals of mk-python-derivation.nix, the Python setup-hook variables and stdenv.mkDerivation attributes.'");
});

nix_test!(build_python_package_other_strict_checks, {
    insta::assert_snapshot!(thrown_by("failPyprojectNotBool"), @"evaluation aborted with the following error message: 'lock2nix nix stub: buildPythonPackage: python3.11-six-1.16.0: pyproject must be a bool or null, got a string'");
    insta::assert_snapshot!(thrown_by("failUnknownFormat"), @r#"evaluation aborted with the following error message: 'lock2nix nix stub: buildPythonPackage: python3.11-six-1.16.0: format = "flit" is not one of ["setuptools","pyproject","wheel","egg","other"]'"#);
    insta::assert_snapshot!(thrown_by("failWheelWithBadFileName"), @r#"evaluation aborted with the following error message: 'lock2nix nix stub: buildPythonPackage: python3.11-six-1.16.0: format = "wheel" but the src store name 'six.whl' is not a wheel file name ({distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl); the wheel unpack/install hooks would fail. Give fetchurl `name = "<the wheel's file name>"`'"#);
    insta::assert_snapshot!(thrown_by("failMissingVersion"), @r#"evaluation aborted with the following error message: 'lock2nix nix stub: buildPythonPackage: needs `pname` and `version` (or `name`); got only ["format","pname","src"]'"#);
    insta::assert_snapshot!(thrown_by("failVersionNotString"), @"evaluation aborted with the following error message: 'lock2nix nix stub: buildPythonPackage: version of six must be a string, got a int'");
    insta::assert_snapshot!(thrown_by("failDependenciesNotList"), @"evaluation aborted with the following error message: 'lock2nix nix stub: buildPythonPackage: python3.11-six-1.16.0: dependencies must be a list, got a set'");
    insta::assert_snapshot!(thrown_by("failEmptyEnabledTests"), @"python3.11-six-1.16.0: enabledTests must be unspecified, null or a non-empty list.");
});

nix_test!(build_python_package_nixpkgs_errors, {
    insta::assert_snapshot!(thrown_by("failDisabled"), @"six-1.16.0 not supported for interpreter python3.11");
    insta::assert_snapshot!(thrown_by("failPythonVersionMismatch"), @"
    Python version mismatch in 'python3.11-six-1.16.0':

           The Python derivation 'python3.11-six-1.16.0' depends on a Python derivation
           named 'python3.12-idna-1.16.0', but the two derivations use different versions
           of Python:

               'python3.11-six-1.16.0' uses /nix/store/[HASH]-python3-3.11.0
               'python3.12-idna-1.16.0' uses /nix/store/[HASH]-python3-3.12.0

           (the reference is in propagatedBuildInputs; use a package from the same
           interpreter's package set, or move build tools to nativeBuildInputs)
    ");
    insta::assert_snapshot!(thrown_by("failMetaPlatforms"), @r#"
    Package ‘python3.11-linuxonly-1.0’ is not available on the requested hostPlatform:
             hostPlatform.system = "aarch64-darwin"
             package.meta.platforms = ["x86_64-linux","aarch64-linux"]
             package.meta.badPlatforms = []
    "#);
    insta::assert_snapshot!(thrown_by("failUnknownSystem"), @"evaluation aborted with the following error message: 'lock2nix nix stub: unsupported system 'riscv64-linux'; the stub knows x86_64-linux aarch64-linux x86_64-darwin aarch64-darwin'");
});

nix_test!(build_python_package_accepts_and_exposes, {
    for case in [
        "acceptsDocumentedArguments",
        "doCheckDefaultsToFalse",
        "nameAndOutputs",
        "pythonModuleAndRequired",
        "passthruOnlyWhenNonEmpty",
        "overridePythonAttrs",
        "applicationIsNotAModule",
    ] {
        expect_true(case);
    }
});

// ---------------------------------------------------------------- package set and interpreters

nix_test!(ensure_python_modules_rejects_non_python_derivation, {
    insta::assert_snapshot!(thrown_by("failEnsurePythonModules"), @"notpython should use `buildPythonPackage` or `toPythonModule` if it is to be part of the Python packages set.");
    expect_true("ensurePythonModulesAcceptsModulesAndHooks");
});

nix_test!(second_override_replaces_package_overrides, {
    expect_true("secondOverrideReplacesPackageOverrides");
    expect_true("selfDefaultsToTopLevel");
});

nix_test!(overlay_order_prev_is_base_set, {
    expect_true("overlayPrevIsBaseSet");
    expect_true("compositionOrder");
    expect_true("overrideScopeLeavesInterpreterAlone");
});

nix_test!(with_packages_and_build_env, {
    expect_true("withPackagesDropsNonModules");
    expect_true("buildEnvIsDerivationWithOverride");
});

nix_test!(interpreters_platforms_and_nixpkgs_packages, {
    expect_true("interpreterAttributes");
    expect_true("platformAttributes");
    expect_true("nixpkgsBuildBackendsExist");
    expect_true("listedPythonPackagesExist");
});

nix_test!(wheel_package_and_env_instantiate_for_all_four_systems, {
    let out = eval_case("infoWheelEnvAllSystems").unwrap_or_else(|e| panic!("{e}"));
    let value: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let entries = value.as_array().expect("list");
    assert_eq!(entries.len(), 4);
    let mut envs = Vec::new();
    for (entry, system) in entries.iter().zip(SYSTEMS) {
        assert_eq!(entry["system"], system);
        let env = entry["env"].as_str().expect("env drvPath");
        assert!(env.starts_with("/nix/store/") && env.ends_with("-python3-3.11.0-env.drv"), "{env}");
        let six = entry["six"].as_str().expect("six drvPath");
        assert!(six.ends_with("-python3.11-six-1.16.0.drv"), "{six}");
        envs.push(env.to_owned());
    }
    envs.sort();
    envs.dedup();
    assert_eq!(envs.len(), 4, "each system must give its own derivation");
});

// ---------------------------------------------------------------- eval-overlay harness

nix_test!(eval_overlay_harness_on_sample_overlay, {
    expect_true("sampleOverlayAllSystems");
    let file = nix_tests_dir().join("eval-overlay.nix");
    let overlay = nix_tests_dir().join("fixtures").join("sample-overlay.nix");
    for system in SYSTEMS {
        let v = instantiate_eval_json(
            &file,
            &[
                arg_path("overlay", &overlay),
                argstr("root", "myproject"),
                argstr("system", system),
                argstr("python", "3.11"),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v["count"], 8, "{system}: {v}");
        assert!(v["env"].as_str().unwrap().ends_with("-env.drv"), "{system}: {v}");
        let expected = if system.ends_with("darwin") { vec!["torch"] } else { vec![] };
        assert_eq!(v["throws"], serde_json::json!(expected), "{system}: {v}");
    }
    // The root needs torch on Linux, which has no wheel for 3.12: the env fails
    // with the generated file's own message.
    let err = instantiate_eval(
        &file,
        &[
            arg_path("overlay", &overlay),
            argstr("root", "myproject"),
            argstr("system", "x86_64-linux"),
            argstr("python", "3.12"),
        ],
    )
    .expect_err("3.12 on Linux must fail");
    insta::assert_snapshot!(thrown(&err.stderr), @"lock2nix: torch 2.5.1 has no wheel for x86_64-linux with Python 3.12; fix: pin a version with a wheel for this platform");
    // A root that is not in the overlay is reported as such.
    let err = instantiate_eval(
        &file,
        &[
            arg_path("overlay", &overlay),
            argstr("root", "nosuchproject"),
            argstr("system", "x86_64-linux"),
            argstr("python", "3.11"),
        ],
    )
    .expect_err("unknown root must fail");
    insta::assert_snapshot!(thrown(&err.stderr), @"evaluation aborted with the following error message: 'eval-overlay: the overlay has no attribute 'nosuchproject' (it has 8 attributes)'");
});

/// Every case of stub-selftest.nix is run by some test above.
const CASES: &[&str] = &[
    "failFetchurlUnexpectedArgument",
    "failFetchurlTwoHashes",
    "failFetchurlUrlAndUrls",
    "failFetchurlNoUrl",
    "failFetchurlPercentName",
    "fetchurlPercentNameWithName",
    "fetchurlIsFixedOutput",
    "fetchurlNoHashUsesFakeHash",
    "fetchurlHexSha256AndUrls",
    "fetchurlFinalAttrsForm",
    "fetchgitDefaults",
    "fetchgitTagSha256AndNoHash",
    "failFetchgitUnexpectedArgument",
    "failFetchgitTwoHashes",
    "failFetchgitRevAndTag",
    "failFetchgitLeaveDotGit",
    "failFetchgitPostFetch",
    "failBothFormatAndPyproject",
    "failNeitherFormatNorPyproject",
    "failUnknownArgument",
    "failUnknownArgumentNotCaughtByTryEval",
    "failPyprojectNotBool",
    "failUnknownFormat",
    "failWheelWithBadFileName",
    "failMissingVersion",
    "failVersionNotString",
    "failDependenciesNotList",
    "failDisabled",
    "failPythonVersionMismatch",
    "failMetaPlatforms",
    "failEmptyEnabledTests",
    "acceptsDocumentedArguments",
    "doCheckDefaultsToFalse",
    "nameAndOutputs",
    "pythonModuleAndRequired",
    "passthruOnlyWhenNonEmpty",
    "overridePythonAttrs",
    "applicationIsNotAModule",
    "failEnsurePythonModules",
    "ensurePythonModulesAcceptsModulesAndHooks",
    "secondOverrideReplacesPackageOverrides",
    "overlayPrevIsBaseSet",
    "compositionOrder",
    "selfDefaultsToTopLevel",
    "overrideScopeLeavesInterpreterAlone",
    "withPackagesDropsNonModules",
    "buildEnvIsDerivationWithOverride",
    "interpreterAttributes",
    "nixpkgsBuildBackendsExist",
    "listedPythonPackagesExist",
    "platformAttributes",
    "failUnknownSystem",
    "sampleOverlayAllSystems",
    "infoWheelEnvAllSystems",
    "infoSampleOverlayKeys",
    "mkShellKeepsItsInputsAndHook",
    "poetryOverrideChangesItsPython",
    "failEditableRootNotString",
    "failEditableUnexpectedArgument",
    "failPoetryUnexpectedArgument",
    "failRustWithoutVendoring",
    "failRustLockFileAndContents",
    "failRustCrateWithoutChecksum",
];

nix_test!(every_selftest_case_is_exercised, {
    let expr = format!("builtins.attrNames (import {} {{ }})", selftest().display());
    let out = instantiate_eval_expr(&expr).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = serde_json::from_str(&out).expect("JSON list");
    let mut missing: Vec<_> = names.iter().filter(|n| !CASES.contains(&n.as_str())).collect();
    missing.sort();
    assert!(missing.is_empty(), "self-test cases not run by tests/nix_stub.rs: {missing:?}");
    for case in CASES {
        assert!(names.iter().any(|n| n == case), "tests/nix_stub.rs names unknown case {case}");
    }
    let keys = eval_case("infoSampleOverlayKeys").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(keys, r#"["certifi","idna","myproject","mysdist","pysocks","pytest","six","torch"]"#);
});

// ---------------------------------------------------------------- real builds

fn sri_sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read artifact");
    let digest = Sha256::digest(&bytes);
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// Python that writes the test artifacts into the current directory:
/// two wheels (one with a console script and a `.data/scripts` script) and
/// an sdist with an in-tree PEP 517 backend (so no setuptools is needed).
const MAKE_ARTIFACTS: &str = r##"
import io, os, tarfile, zipfile

def wheel(name, version, files):
    fn = "%s-%s-py3-none-any.whl" % (name, version)
    di = "%s-%s.dist-info" % (name, version)
    with zipfile.ZipFile(fn, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
        z.writestr(di + "/METADATA", "Metadata-Version: 2.1\nName: %s\nVersion: %s\n\n" % (name, version))
        z.writestr(di + "/WHEEL", "Wheel-Version: 1.0\nGenerator: lock2nix-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(di + "/RECORD", "")

wheel("depmod", "2.0", {"depmod.py": "X = 41\n"})
wheel("yourmod", "1.0", {
    "yourmod/__init__.py": "from depmod import X\nVALUE = X + 1\ndef main():\n    print('hello', VALUE)\n",
    "yourmod-1.0.dist-info/entry_points.txt": "[console_scripts]\nyourmod-hello = yourmod:main\n",
    "yourmod-1.0.data/scripts/yourscript": "#!python\nimport yourmod\nprint('script', yourmod.VALUE)\n",
})
# Same distribution, but the derivation will claim another name.
wheel("misnamed", "1.0", {"misnamed.py": "\n"})
# Ships a file that depmod also ships, with other content.
wheel("clash", "1.0", {"depmod.py": "X = 0\n"})

backend = '''
import os, zipfile
def get_requires_for_build_wheel(config_settings=None):
    return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    fn = "mysdist-0.3.0-py3-none-any.whl"
    di = "mysdist-0.3.0.dist-info"
    with zipfile.ZipFile(os.path.join(wheel_directory, fn), "w") as z:
        z.write("mysdist/__init__.py", "mysdist/__init__.py")
        z.writestr(di + "/METADATA", "Metadata-Version: 2.1\\nName: mysdist\\nVersion: 0.3.0\\n\\n")
        z.writestr(di + "/WHEEL", "Wheel-Version: 1.0\\nGenerator: in-tree\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
        z.writestr(di + "/RECORD", "")
    return fn
'''
pyproject = '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n[project]\nname = "mysdist"\nversion = "0.3.0"\n'
with tarfile.open("mysdist-0.3.0.tar.gz", "w:gz") as t:
    for path, text in {
        "pyproject.toml": pyproject,
        "backend.py": backend,
        "mysdist/__init__.py": "ANSWER = 7\n",
    }.items():
        data = text.encode()
        info = tarfile.TarInfo("mysdist-0.3.0/" + path)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
"##;

struct BuildFixture {
    dir: tempfile::TempDir,
    python: PathBuf,
    version: String,
    with_sdist: bool,
}

impl BuildFixture {
    fn new() -> Self {
        let python = host_python();
        let version = python_version(&python);
        let dir = tempfile::tempdir().expect("temp dir");
        let status = Command::new(&python)
            .args(["-c", MAKE_ARTIFACTS])
            .current_dir(dir.path())
            .status()
            .expect("run host Python");
        assert!(status.success(), "creating test artifacts failed");
        let with_sdist = python_can(&python, "import pip");
        if !with_sdist {
            eprintln!(
                "NOTE: host Python {} has no pip; the sdist (pyproject = true) part of the build test is left out",
                python.display()
            );
        }
        Self { dir, python, version, with_sdist }
    }

    fn file_src(&self, file: &str, hash_override: Option<&str>) -> String {
        let path = self.dir.path().join(file);
        let hash = hash_override.map(str::to_owned).unwrap_or_else(|| sri_sha256(&path));
        format!("pkgs.fetchurl {{ url = \"file://{}\"; hash = \"{hash}\"; }}", path.display())
    }

    /// Writes an overlay in the generated file's shape and returns its path.
    fn overlay(&self, extra: &str, root_deps: &str) -> PathBuf {
        let sdist = if self.with_sdist {
            format!(
                r#"
  mysdist = final.buildPythonPackage {{
    pname = "mysdist"; version = "0.3.0"; pyproject = true;
    build-system = [ ];
    src = {src};
    dependencies = [ final.depmod ];
    pythonImportsCheck = [ "mysdist" ];
    doCheck = false;
  }};"#,
                src = self.file_src("mysdist-0.3.0.tar.gz", None)
            )
        } else {
            String::new()
        };
        let extras = if self.with_sdist { "[ final.mysdist ]" } else { "[ ]" };
        let text = format!(
            r#"# generated-like overlay for tests/nix_stub.rs
{{ pkgs, lib ? pkgs.lib }}:
let
  system = pkgs.stdenv.hostPlatform.system;
in
final: prev:
let target = "${{system}}/${{final.python.pythonVersion}}"; in
{{
  depmod = final.buildPythonPackage {{
    pname = "depmod"; version = "2.0"; format = "wheel";
    src = {depmod};
    doCheck = false;
  }};
  yourmod = final.buildPythonPackage {{
    pname = "yourmod"; version = "1.0"; format = "wheel";
    src = {yourmod};
    dependencies = [ final.depmod ];
    pythonImportsCheck = [ "yourmod" ];
    doCheck = false;
  }};{sdist}
{extra}
  myproject = final.buildPythonPackage {{
    pname = "myproject"; version = "0.1.0"; pyproject = false; dontUnpack = true;
    dontCheckPythonMetadata = true; installPhase = "mkdir -p $out";
    dependencies = {root_deps};
    passthru = {{
      optional-dependencies = {{ extra = {extras}; }};
      dependency-groups = {{ dev = [ prev.setuptools ]; }};
    }};
    doCheck = false;
  }};
}}
"#,
            depmod = self.file_src("depmod-2.0-py3-none-any.whl", None),
            yourmod = self.file_src("yourmod-1.0-py3-none-any.whl", None),
        );
        let path = self.dir.path().join("python-packages.nix");
        std::fs::write(&path, text).expect("write overlay");
        path
    }

    fn build(&self, overlay: &Path) -> Result<PathBuf, NixError> {
        let out_link = self.dir.path().join("result");
        nix_build(
            &nix_tests_dir().join("build-env.nix"),
            &[
                arg_path("overlay", overlay),
                argstr("root", "myproject"),
                argstr("hostPython", self.python.to_str().expect("UTF-8 path")),
                argstr("python", &self.version),
            ],
            &out_link,
        )
        .map(|_| out_link)
    }
}

fn run_ok(program: &Path, args: &[&str]) -> String {
    let o = Command::new(program).args(args).output().expect("run program");
    assert!(o.status.success(), "{} {:?} failed:\n{}", program.display(), args, String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

nix_test!(builds_wheel_env_and_imports_modules, {
    let fx = BuildFixture::new();
    let overlay = fx.overlay("", "[ final.yourmod ]");
    let result = fx.build(&overlay).unwrap_or_else(|e| panic!("{e}"));
    let python = result.join("bin").join("python");

    assert_eq!(run_ok(&python, &["-c", "import yourmod, depmod; print(yourmod.VALUE)"]), "42");
    // Wheel layout: site-packages of the env, console scripts and .data/scripts in bin.
    let site = result.join("lib").join(format!("python{}", fx.version)).join("site-packages");
    assert!(site.join("yourmod").join("__init__.py").exists());
    assert!(site.join("yourmod-1.0.dist-info").join("METADATA").exists());
    assert_eq!(run_ok(&result.join("bin").join("yourmod-hello"), &[]), "hello 42");
    assert_eq!(run_ok(&result.join("bin").join("yourscript"), &[]), "script 42");
    // The env is isolated from the host interpreter's own site-packages.
    if python_can(&fx.python, "import pip") {
        let o = Command::new(&python).args(["-c", "import pip"]).output().unwrap();
        assert!(!o.status.success(), "the env must not see the host's pip");
    }
    if fx.with_sdist {
        // Built from the sdist with hostPython -m pip wheel; included as an extra.
        assert_eq!(run_ok(&python, &["-c", "import mysdist; print(mysdist.ANSWER)"]), "7");
    }
});

nix_test!(build_fails_on_metadata_name_mismatch, {
    let fx = BuildFixture::new();
    // The wheel's distribution is `misnamed`, the derivation says `othername`.
    let extra = format!(
        r#"  othername = final.buildPythonPackage {{
    pname = "othername"; version = "1.0"; format = "wheel";
    src = {src};
    doCheck = false;
  }};"#,
        src = fx.file_src("misnamed-1.0-py3-none-any.whl", None)
    );
    let overlay = fx.overlay(&extra, "[ final.othername ]");
    let err = fx.build(&overlay).expect_err("metadata check must fail");
    assert!(err.stderr.contains("pythonMetadataCheckHook"), "{err}");
    assert!(err.stderr.contains("No package metadata was found for othername"), "{err}");
});

nix_test!(build_fails_on_hash_mismatch, {
    let fx = BuildFixture::new();
    let extra = format!(
        r#"  wronghash = final.buildPythonPackage {{
    pname = "misnamed"; version = "1.0"; format = "wheel";
    src = {src};
    doCheck = false;
  }};"#,
        src = fx.file_src("misnamed-1.0-py3-none-any.whl", Some("sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
    );
    let overlay = fx.overlay(&extra, "[ final.wronghash ]");
    let err = fx.build(&overlay).expect_err("a wrong hash must fail the fetch");
    assert!(err.stderr.contains("hash mismatch"), "{err}");
});

nix_test!(build_fails_on_file_collision_in_env, {
    let fx = BuildFixture::new();
    let extra = format!(
        r#"  clash = final.buildPythonPackage {{
    pname = "clash"; version = "1.0"; format = "wheel";
    src = {src};
    doCheck = false;
  }};"#,
        src = fx.file_src("clash-1.0-py3-none-any.whl", None)
    );
    let overlay = fx.overlay(&extra, "[ final.yourmod final.clash ]");
    let err = fx.build(&overlay).expect_err("two different depmod.py must collide");
    assert!(err.stderr.contains("collision between"), "{err}");
    assert!(err.stderr.contains("site-packages/depmod.py"), "{err}");
});

nix_test!(the_tools_the_helpers_use_have_nixpkgs_formals, {
    expect_true("mkShellKeepsItsInputsAndHook");
    expect_true("poetryOverrideChangesItsPython");
    insta::assert_snapshot!(thrown_by("failEditableRootNotString"), @"assertion '((lib).isString root)' failed");
    insta::assert_snapshot!(thrown_by("failEditableUnexpectedArgument"), @"'mkPythonEditablePackage' at [REPO]/nix/stub/python-packages-base.nix:112:5 called with unexpected argument 'src'");
    insta::assert_snapshot!(thrown_by("failPoetryUnexpectedArgument"), @"anonymous function at [REPO]/nix/stub/tools.nix:101:5 called with unexpected argument 'python'");
    insta::assert_snapshot!(thrown_by("failRustWithoutVendoring"), @"cargoHash, cargoVendorDir, cargoDeps, or cargoLock must be set");
    insta::assert_snapshot!(thrown_by("failRustLockFileAndContents"), @"assertion '((lockFile == null) != (lockFileContents == null))' failed");
    insta::assert_snapshot!(thrown_by("failRustCrateWithoutChecksum"), @"Package a does not have a checksum.");
});
