//! Snapshots of the rendered Nix for hand-written fixtures (tests/fixtures/render/*), with
//! file locations made up from the lock itself so no index is needed.

mod support;

use lock2nix::testing::resolve::ResolveOptions;
use support::render::example_url;

fn render_fixture(name: &str, options: &ResolveOptions, url_for: impl Fn(&str) -> String) -> String {
    support::render::render_fixture(name, options, url_for).1
}

#[test]
fn basic_lock_2_0() {
    insta::assert_snapshot!(render_fixture("basic", &ResolveOptions::default(), example_url));
}

#[test]
fn poetry_2_lock_2_1_multi_version_cycle_and_macos_only_stack() {
    insta::assert_snapshot!(render_fixture("poetry2", &ResolveOptions::default(), example_url));
}

#[test]
fn uv_lock_fork_extras_groups_and_a_conflict() {
    // numpy locked twice, each version for its Pythons; certifi built from its sdist
    // ([tool.uv] no-binary-package); the conflicting cpu/gpu extras left out.
    let nix = render_fixture("uv-fork", &ResolveOptions::default(), example_url);
    assert!(nix.contains("numpy-1.26.4-cp311") && nix.contains("numpy-2.1.0-cp312"), "{nix}");
    assert!(!nix.contains("tinygrad"), "{nix}");
    insta::assert_snapshot!(nix);
}

#[test]
fn pylock_markers_decide_groups_and_extras() {
    let nix = render_fixture("pylock", &ResolveOptions::default(), example_url);
    insta::assert_snapshot!(nix);
}

#[test]
fn index_strings_are_escaped() {
    // A hostile index answer must not be able to inject Nix.
    let nix = render_fixture("basic", &ResolveOptions::default(), |file| {
        format!("https://evil.example/\"${{builtins.abort \"x\"}}\\/{file}")
    });
    assert!(
        nix.contains(
            r#"url = "https://evil.example/\"\${builtins.abort \"x\"}\\/certifi-2024.8.30-py3-none-any.whl";"#
        ),
        "{nix}"
    );
    assert!(!nix.contains("\"${builtins.abort"));
}

#[test]
fn rendering_is_deterministic() {
    let a = render_fixture("poetry2", &ResolveOptions::default(), example_url);
    let b = render_fixture("poetry2", &ResolveOptions::default(), example_url);
    assert_eq!(a, b);
}

#[test]
fn ml_stack_with_the_override_database() {
    // numba, CUDA torch (cycle with triton), onnxruntime-gpu, mecab and sdists: the built-in
    // database's entries show in the output with their provenance; `typing` is dropped.
    let nix = render_fixture("ml-stack", &ResolveOptions::default(), example_url);
    assert!(!nix.contains("  typing = ") && !nix.contains("final.typing\n"), "typing is dropped");
    insta::assert_snapshot!(nix);
}
