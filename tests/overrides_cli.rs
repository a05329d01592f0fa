//! `--overrides FILE`, `--no-builtin-overrides` and `lock2nix overrides list|show`, through
//! the binary against the recorded loopback index.

mod support;

use support::project::{Project, run_text, stderr, stdout};
use support::{IndexServer, Reply, fixture};

const RECORDED: [&str; 4] = ["certifi", "idna", "packaging", "six"];

fn recorded_index() -> IndexServer {
    IndexServer::with_routes(
        RECORDED.map(|p| (format!("/simple/{p}/"), vec![Reply::json(fixture(&format!("index/{p}.json")))])),
    )
}

const USER_OVERRIDES: &str = r#"
[[override]]
package = "six"
versions = ">=1.16"
applies-to = "wheel"
reason = "test: six's wheel wants zlib"
link = "https://example.org/six"
build-inputs = ["zlib"]
env = { SIX_FLAG = "a \"quoted\" ${value}" }
python-remove-deps = ["nothing"]

[[override]]
package = "idna"
reason = "test: idna is dropped"
link = "https://example.org/idna"
drop = true
"#;

#[test]
fn a_user_override_file_adds_inputs_with_provenance_and_drops_packages() {
    let server = recorded_index();
    let project = Project::fixture("poetry-2.0");
    project.write("fixes.toml", USER_OVERRIDES);
    let out = project.run(&["--index-url", &server.index_url(), "--overrides", "fixes.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nix = stdout(&out);
    // The override with its provenance; env values escaped; no buildInputs, since six's wheel
    // is pure Python (library inputs only matter for patching Linux binaries).
    insta::assert_snapshot!(support::attribute(&nix, "six"), @r#"
    six = final.buildPythonPackage {
      pname = "six";
      version = "1.17.0";
      format = "wheel";
      src = fetchurl {
        name = "six-1.17.0-py2.py3-none-any.whl";
        url = "https://files.pythonhosted.org/packages/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/six-1.17.0-py2.py3-none-any.whl";
        hash = "sha256-RyHzke2QVB/drKtaz5R6oNPcfSey4ejtor6JcFhsMnQ=";
      };
      # lock2nix: override: six (fixes.toml): test: six's wheel wants zlib
      env = {
        SIX_FLAG = "a \"quoted\" \${value}";
      };
      pythonRemoveDeps = [ "nothing" ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    assert!(!support::has_attribute(&nix, "idna"), "a dropped package has no attribute");
    assert!(!nix.contains("final.idna"), "and nothing depends on it");
}

#[test]
fn a_broken_user_override_file_is_an_error_naming_it() {
    let server = recorded_index();
    let project = Project::fixture("poetry-2.0");
    project.write(
        "fixes.toml",
        "[[override]]\npackage = \"six\"\nreason = \"x\"\nlink = \"https://e.org\"\nbuild-inptus = [\"zlib\"]\n",
    );
    let out = project.run(&["--index-url", &server.index_url(), "--overrides", "fixes.toml", "-o", "out.nix"]);
    insta::assert_snapshot!(run_text(&out, &[]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: fixes.toml: [[override]] #1 (package `six`): field `build-inptus`: unknown field `build-inptus`, expected one of `package`, `versions`, `applies-to`, `platforms`, `reason`, `link`, `native-build-inputs`, `build-inputs`, `build-system`, `dependencies`, `env`, `auto-patchelf-ignore-missing-deps`, `runtime-dependencies`, `artifact`, `pre-build`, `post-install`, `python-relax-deps`, `python-remove-deps`, `drop`
    ");
    assert!(project.read("out.nix").is_none());
}

#[test]
fn overrides_list_and_show_print_the_database() {
    let project = Project::fixture("poetry-2.0");
    project.write("fixes.toml", USER_OVERRIDES);
    let filters = [(project.path_text(), "[TMP]")];
    let list = project.run_bare(&["overrides", "--overrides", "fixes.toml", "--no-builtin-overrides", "list"]);
    insta::assert_snapshot!(run_text(&list, &filters), @"
    exit code: 0
    ----- stdout -----
    PACKAGE  VERSIONS  APPLIES-TO  ADDS                                          REASON
    six      >=1.16    wheel       build-inputs(1) env(1) python-remove-deps(1)  test: six's wheel wants zlib
    idna     *         both        drop                                          test: idna is dropped
    ");
    let show = project.run_bare(&["overrides", "--overrides", "fixes.toml", "show", "six"]);
    insta::assert_snapshot!(run_text(&show, &filters), @r#"
    exit code: 0
    ----- stdout -----
    # fixes.toml (user)
    [[override]]
    package = "six"
    versions = ">=1.16"
    applies-to = "wheel"
    reason = "test: six's wheel wants zlib"
    link = "https://example.org/six"
    build-inputs = ["zlib"]
    env = { SIX_FLAG = 'a "quoted" ${value}' }
    python-remove-deps = ["nothing"]
    "#);
    let missing = project.run_bare(&["overrides", "--no-builtin-overrides", "show", "no-such-package"]);
    insta::assert_snapshot!(run_text(&missing, &[]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: no override entry matches `no-such-package`
    ");
}
