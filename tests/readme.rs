//! The README's examples are real: the `--overrides` file loads and applies, and the overlay
//! composes after a generated file and evaluates against the nixpkgs stub.

mod support;

use std::path::Path;

use lock2nix::testing::overrides::Database;
use lock2nix::testing::resolve::ResolveOptions;
use support::evaluate::hidden_store_hashes;
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
    insta::assert_snapshot!(section("pyreaper"), @r#"
    pyreaper = final.buildPythonPackage {
      pname = "pyreaper";
      version = "0.0.8";
      pyproject = true;
      src = fetchurl {
        name = "pyreaper-0.0.8.tar.gz";
        url = "https://files.example.org/packages/pyreaper-0.0.8.tar.gz";
        hash = "sha256-K4z1Us/9Y8szaW9ii6DSmZCG3pXHUaEjveHld+yA77o=";
      };
      # lock2nix: build system not inferred; nixpkgs' setuptools and wheel
      # lock2nix: override: pyreaper (overrides/packages/pyreaper.toml): setup.py imports numpy (np.get_include) and Cython at top level but the sdist has no pyproject.toml
      # lock2nix: override: pyreaper (overrides.toml): we build it from source (poetry2nix: preferWheel = false)
      build-system = [
        prev.setuptools
        prev.wheel
        prev.cython
        final.numpy
      ];
      dependencies = [ final.numpy ];
      doCheck = false;
    };
    "#);
    assert!(!support::has_attribute(&nix, "typing"), "typing is dropped");
    insta::assert_snapshot!(section("openai-whisper"), @r#"
    openai-whisper = final.buildPythonPackage {
      pname = "openai-whisper";
      version = "20240930";
      pyproject = true;
      src = fetchurl {
        name = "openai-whisper-20240930.tar.gz";
        url = "https://files.example.org/packages/openai-whisper-20240930.tar.gz";
        hash = "sha256-cVW62XcXS4+OpB2L9RX76/Z6HC7gyNiLrnQpjPbVteo=";
      };
      # lock2nix: build system not inferred; nixpkgs' setuptools and wheel
      # lock2nix: override: openai-whisper (overrides/packages/openai-whisper.toml): whisper.load_audio() runs the ffmpeg CLI ("Requires the ffmpeg CLI in PATH"); pin it to ffmpeg's store path
      # lock2nix: override: openai-whisper (overrides.toml): a LICENSE file at the top of site-packages collides in environments
      build-system = [
        prev.setuptools
        prev.wheel
      ];
      nativeBuildInputs = [ pkgs.ffmpeg-headless ];
      preBuild = "ffmpeg_bin=\"$(command -v ffmpeg)\"\nsubstituteInPlace whisper/audio.py --replace-fail '\"ffmpeg\"' \"\\\"$ffmpeg_bin\\\"\"\n";
      postInstall = "rm -f $out/lib/python*/site-packages/LICENSE";
      dependencies = [
        final.numba
        final.numpy
        final.torch
      ]
      ++ lib.optionals (builtins.elem system [ "x86_64-linux" ]) [ final.triton ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(section("onnxruntime-gpu"), @r#"
    onnxruntime-gpu = final.buildPythonPackage {
      pname = "onnxruntime-gpu";
      version = "1.19.2";
      format = "wheel";
      src = fetchurl {
        name = "onnxruntime_gpu-1.19.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
        url = "https://files.example.org/packages/onnxruntime_gpu-1.19.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
        hash = "sha256-UjeY0oCu8eos/5eVijQejXEg2ExDuodxK12K5EBOnEE=";
      };
      # lock2nix: override: onnxruntime-gpu (overrides/packages/onnxruntime.toml): PyPI publishes wheels only; a source build needs the repository's CMake/build.py tooling, not an sdist
      # lock2nix: override: onnxruntime-gpu (overrides/packages/onnxruntime.toml): libonnxruntime_providers_cuda/tensorrt.so are dlopened on demand; CUDA/cuDNN come from the nvidia-* wheels (extras cuda, cudnn; onnxruntime.preload_dlls()) or the system, TensorRT from its own wheels
      # lock2nix: override: onnxruntime-gpu (overrides/packages/onnxruntime.toml): libonnxruntime_providers_cuda.so needs the driver's libcuda.so.1, found on NixOS only through /run/opengl-driver/lib in the RUNPATH
      # lock2nix: override: onnxruntime-gpu (overrides.toml): we take cuDNN and cuBLAS from nixpkgs; libcuda comes from the driver
      nativeBuildInputs = [ pkgs.autoAddDriverRunpath ];
      buildInputs = [
        pkgs.cudaPackages.cudnn
        pkgs.cudaPackages.libcublas
      ];
      autoPatchelfIgnoreMissingDeps = [
        "libcudart.so.*"
        "libcublas.so.*"
        "libcublasLt.so.*"
        "libcudnn.so.*"
        "libcufft.so.*"
        "libcurand.so.*"
        "libnvinfer.so.*"
        "libnvinfer_plugin.so.*"
        "libnvonnxparser.so.*"
        "libcuda.so.1"
        "libnvidia-ml.so.1"
      ];
      dependencies = [ final.numpy ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(section("mecab-python3"), @r#"
    mecab-python3 = final.buildPythonPackage (
      {
        pname = "mecab-python3";
        version = "1.0.9";
        dependencies = [ prev.unidic-lite ];
        doCheck = false;
      }
      // pick "mecab-python3" {
        x86_64-linux = 0;
        aarch64-linux = 1;
        x86_64-darwin = 1;
        aarch64-darwin = 2;
      }
      [
        {
          format = "wheel";
          src = fetchurl {
            name = "mecab_python3-1.0.9-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
            url = "https://files.example.org/packages/mecab_python3-1.0.9-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
            hash = "sha256-1+lcnJBI0jRpUGS65NJyS4XWPGtjsrSOvpzYsKwcAd4=";
          };
          # lock2nix: override: mecab-python3 (overrides/packages/mecab-python3.toml): MeCab.Tagger() needs a dictionary; mecab-python3 looks up unidic/unidic-lite, and only unidic-lite ships its data in the package
          # lock2nix: override: mecab-python3 (overrides.toml): the tagger needs a dictionary at run time
        }
        {
          pyproject = true;
          src = fetchurl {
            name = "mecab_python3-1.0.9.tar.gz";
            url = "https://files.example.org/packages/mecab_python3-1.0.9.tar.gz";
            hash = "sha256-xEv9Lhj0M29RHtju5A2zeImGaN3DPLAbmMjSj0Nmv8o=";
          };
          # lock2nix: build system not inferred; nixpkgs' setuptools and wheel
          # lock2nix: override: mecab-python3 (overrides/packages/mecab-python3.toml): MeCab.Tagger() needs a dictionary; mecab-python3 looks up unidic/unidic-lite, and only unidic-lite ships its data in the package
          # lock2nix: override: mecab-python3 (overrides/packages/mecab-python3.toml): setup.py runs `mecab-config` to find libmecab (unless BUNDLE_LIBMECAB) and uses setuptools_scm via setup_requires; the sdist has no pyproject.toml
          # lock2nix: override: mecab-python3 (overrides.toml): the tagger needs a dictionary at run time
          build-system = [
            prev.setuptools
            prev.wheel
            prev.setuptools-scm
          ];
          nativeBuildInputs = [ pkgs.mecab ];
          buildInputs = [ pkgs.mecab ];
        }
        {
          format = "wheel";
          src = fetchurl {
            name = "mecab_python3-1.0.9-cp311-cp311-macosx_11_0_arm64.whl";
            url = "https://files.example.org/packages/mecab_python3-1.0.9-cp311-cp311-macosx_11_0_arm64.whl";
            hash = "sha256-g9VyPqvnhThK3sXjUfyeKQRZBNHyUF2bI9ZTiH+qcdw=";
          };
          # lock2nix: override: mecab-python3 (overrides/packages/mecab-python3.toml): MeCab.Tagger() needs a dictionary; mecab-python3 looks up unidic/unidic-lite, and only unidic-lite ships its data in the package
          # lock2nix: override: mecab-python3 (overrides.toml): the tagger needs a dictionary at run time
        }
      ]
    );
    "#);
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
    insta::assert_snapshot!(hidden_store_hashes(result["hook"].as_str().unwrap()), @r#"
    export REPO_ROOT="${REPO_ROOT:-$(git rev-parse --show-toplevel 2>/dev/null || pwd)}"
    # A stable interpreter path for editors (.vscode/settings.json beside the generated
    # file): kept current here.
    mkdir -p "$REPO_ROOT/.lock2nix"
    printf '*\n' > "$REPO_ROOT/.lock2nix/.gitignore"
    ln -sfn /nix/store/[HASH]-python3-3.12.0-env "$REPO_ROOT/.lock2nix/python"
    export TRITON_LIBCUDA_PATH=/run/opengl-driver/lib
    "#);

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
    insta::assert_snapshot!(hidden_store_hashes(result["enterShell"].as_str().unwrap()), @r#"
    # The interpreter link .vscode/settings.json names, kept as mkDevShell keeps it.
    mkdir -p "$DEVENV_ROOT/.lock2nix"
    printf '*\n' > "$DEVENV_ROOT/.lock2nix/.gitignore"
    ln -sfn /nix/store/[HASH]-python3-3.12.0-env "$DEVENV_ROOT/.lock2nix/python"
    "#);
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
