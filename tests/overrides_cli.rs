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
    let six = support::attribute(&nix, "six");
    assert!(six.contains("# lock2nix: override: six (fixes.toml): test: six's wheel wants zlib"), "{six}");
    // six's wheel is pure Python: library inputs only matter for patching Linux binaries.
    assert!(!six.contains("buildInputs"), "{six}");
    assert!(six.contains(r#"SIX_FLAG = "a \"quoted\" \${value}";"#), "env values are escaped: {six}");
    assert!(six.contains(r#"pythonRemoveDeps = [ "nothing" ];"#), "{six}");
    assert!(!nix.contains("  idna = "), "a dropped package has no attribute");
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
    let list = project.run_bare(&["overrides", "--overrides", "fixes.toml", "--no-builtin-overrides", "list"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let text = stdout(&list);
    assert!(text.contains("six") && text.contains("idna"), "{text}");
    let show = project.run_bare(&["overrides", "--overrides", "fixes.toml", "show", "six"]);
    assert!(show.status.success(), "{}", stderr(&show));
    let text = stdout(&show);
    assert!(text.contains("fixes.toml") && text.contains("https://example.org/six"), "{text}");
    let missing = project.run_bare(&["overrides", "--no-builtin-overrides", "show", "no-such-package"]);
    insta::assert_snapshot!(run_text(&missing, &[]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: no override entry matches `no-such-package`
    ");
}
