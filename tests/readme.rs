//! The README's examples are real: the `--overrides` file loads and applies, and the overlay
//! composes after a generated file and evaluates against the nixpkgs stub.

mod support;

use std::path::Path;

use lock2nix::testing::overrides::Database;
use lock2nix::testing::resolve::ResolveOptions;
use support::nix::{instantiate_eval_expr, repo_root, require_nix, stub_dir, with_flakes};
use support::project::stderr;
use support::render::{example_url, render_dir_with};
use support::shop;

/// The fenced block right after the `<!-- tested: NAME -->` marker.
fn readme_block(name: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let marker = format!("<!-- tested: {name} -->");
    let after = &readme[readme.find(&marker).unwrap_or_else(|| panic!("README has no {marker}")) + marker.len()..];
    let start = after.find("```").unwrap();
    let body = &after[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn the_readme_overrides_file_loads_and_applies() {
    let db = Database::builtin().unwrap().with_user_text(&readme_block("overrides.toml"), "overrides.toml").unwrap();
    let user: Vec<_> = db.entries().iter().filter(|e| !e.origin.is_builtin()).collect();
    assert_eq!(user.len(), 8, "every entry of the example loads");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render/ml-stack");
    let (_, nix) = render_dir_with(&dir, &ResolveOptions::default(), example_url, &db);
    let section = |name: &str| support::attribute(&nix, name).clone();
    // Forced to the sdist although no wheel exists either way, with the example's build system.
    let pyreaper = section("pyreaper");
    assert!(pyreaper.contains("pyproject = true;") && pyreaper.contains("prev.cython"), "{pyreaper}");
    assert!(!support::has_attribute(&nix, "typing"), "typing is dropped");
    assert!(section("openai-whisper").contains(r#"postInstall = "rm -f $out/lib/python*/site-packages/LICENSE";"#));
    let onnx = section("onnxruntime-gpu");
    assert!(onnx.contains("pkgs.cudaPackages.cudnn") && onnx.contains("\"libnvidia-ml.so.1\""), "{onnx}");
    assert!(onnx.contains("# lock2nix: override: onnxruntime-gpu (overrides.toml)"), "{onnx}");
    assert!(section("mecab-python3").contains("prev.unidic-lite"));
}

#[test]
fn the_readme_overlay_composes_after_the_generated_file() {
    if !require_nix("the_readme_overlay_composes_after_the_generated_file") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render/ml-stack");
    let db = Database::builtin().unwrap().with_user_text(&readme_block("overrides.toml"), "overrides.toml").unwrap();
    let (_, nix) = render_dir_with(&dir, &ResolveOptions::default(), example_url, &db);
    std::fs::write(out.path().join("python-packages.nix"), nix).unwrap();
    std::fs::write(out.path().join("overlay.nix"), readme_block("overlay.nix")).unwrap();
    let expr = format!(
        "let pkgs = import {stub} {{ system = \"x86_64-linux\"; }}; \
         python = pkgs.python311.override {{ packageOverrides = pkgs.lib.composeExtensions (import {out}/python-packages.nix {{ inherit pkgs; }}) (import {out}/overlay.nix {{ inherit pkgs; }}); self = python; }}; \
         env = python.withPackages (ps: [ ps.ml-stack ]); \
         in {{ env = env.drvPath; numpySrc = python.pkgs.numpy.src.name; }}",
        stub = stub_dir().display(),
        out = out.path().display(),
    );
    let result: serde_json::Value =
        serde_json::from_str(&instantiate_eval_expr(&expr).unwrap_or_else(|e| panic!("{e}"))).unwrap();
    assert!(result["env"].as_str().unwrap().ends_with(".drv"), "{result}");
    assert_ne!(
        result["numpySrc"],
        serde_json::json!("numpy-2.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        "src comes from nixpkgs"
    );
}

#[test]
fn the_readme_cuda_flake_and_devenv_file_use_the_helpers() {
    if !require_nix("the_readme_cuda_flake_and_devenv_file_use_the_helpers") {
        return;
    }
    let (project, server) = shop::project();
    let made = project.run(&["--index-url", &server.index_url(), "-o", "python-packages.nix"]);
    assert!(made.status.success(), "{}", stderr(&made));
    project.write("flake.nix", &readme_block("cuda-flake.nix"));
    let shell = with_flakes(
        project.path(),
        "let shell = project.devShells.x86_64-linux.default; in { drv = shell.drvPath; hook = shell.shellHook; }",
    );
    let result: serde_json::Value =
        serde_json::from_str(&instantiate_eval_expr(&shell).unwrap_or_else(|e| panic!("{e}"))).unwrap();
    assert!(result["drv"].as_str().unwrap().ends_with("-shop-dev.drv"), "{result}");
    assert!(result["hook"].as_str().unwrap().ends_with("export TRITON_LIBCUDA_PATH=/run/opengl-driver/lib"));

    project.write("devenv.nix", &readme_block("devenv.nix"));
    let devenv = format!(
        "let pkgs = import {stub} {{ system = \"x86_64-linux\"; }}; d = import {dir}/devenv.nix {{ inherit pkgs; inputs.lock2nix = {repo}; }}; \
         in {{ packages = map (p: p.drvPath) d.packages; inherit (d) enterShell; }}",
        stub = stub_dir().display(),
        dir = project.path().display(),
        repo = repo_root().display(),
    );
    let result: serde_json::Value =
        serde_json::from_str(&instantiate_eval_expr(&devenv).unwrap_or_else(|e| panic!("{e}"))).unwrap();
    assert!(result["packages"][0].as_str().unwrap().ends_with("-env.drv"), "{result}");
    assert!(result["enterShell"].as_str().unwrap().contains("/.lock2nix/python"), "{result}");
}

/// The README's "Layout" section names every module and folder of `src/`, so that it cannot
/// fall behind the code.
#[test]
fn the_readme_layout_names_every_module() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("\n## Layout\n").expect("a Layout section");
    let section = &readme[start..readme[start..].find("\n### Crates").map_or(readme.len(), |end| start + end)];
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let shown = if entry.path().is_dir() { format!("`{name}/") } else { format!("`{name}`") };
        if !section.contains(&shown) {
            missing.push(shown);
        }
    }
    missing.sort();
    assert!(missing.is_empty(), "the README's Layout section does not name {missing:?}");
}
