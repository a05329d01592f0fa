# lock2nix nix stub: stands in for nixpkgs `pkgs/top-level/python-packages.nix`,
# the layer of ready-made packages a generated overlay sees as `prev.X`.
#
# Only build backends and build tools (what generated code puts in
# `build-system`; the corpus inference pass lists the ones real sdists ask for),
# plus what the override database names (numpy, unidic-lite). Each one is an
# empty Python module: its drvPath is real and
# it builds to an empty site-packages. At build time the stub's builder uses the
# host interpreter's own pip/setuptools/… for sdist builds, not these.
# Every one carries `passthru.lock2nixStub = true`.
{ lib }:
final: prev:
let
  stubPackage =
    pname: version:
    final.buildPythonPackage {
      inherit pname version;
      pyproject = false;
      dontUnpack = true;
      dontCheckPythonMetadata = true;
      installPhase = ''mkdir -p "$out/${final.python.sitePackages}"'';
      # Like nixpkgs' packages, each has a `src` users can borrow (never unpacked here).
      src = derivation {
        name = "${pname}-${version}.tar.gz";
        system = builtins.currentSystem;
        builder = "/bin/sh";
        args = [
          "-c"
          "echo stub > $out"
        ];
      };
      passthru.lock2nixStub = true;
    };
in
lib.mapAttrs stubPackage {
  build = "1.2.2";
  cffi = "1.17.1";
  cmake = "3.31.6";
  cppy = "1.3.1";
  cython = "3.0.12";
  flit = "3.10.1";
  flit-core = "3.10.1";
  flit-scm = "1.7.0";
  hatch-fancy-pypi-readme = "24.1.0";
  hatch-requirements-txt = "0.4.1";
  hatch-vcs = "0.4.0";
  hatchling = "1.27.0";
  installer = "0.7.0";
  maturin = "1.8.1";
  # nixpkgs: toPythonModule of pkgs.meson (python-packages.nix)
  meson = "1.9.1";
  meson-python = "0.17.1";
  ninja = "1.11.1.4";
  numpy = "2.2.4";
  oldest-supported-numpy = "2023.12.21";
  packaging = "24.2";
  pbr = "6.1.0";
  pdm-backend = "2.4.3";
  pip = "25.0.1";
  pkgconfig = "1.5.5";
  poetry-core = "2.1.1";
  poetry-dynamic-versioning = "1.7.1";
  pybind11 = "2.13.6";
  pyproject-hooks = "1.2.0";
  pythran = "0.18.0";
  scikit-build = "0.18.1";
  scikit-build-core = "0.11.0";
  setuptools = "80.9.0";
  setuptools-rust = "1.10.2";
  setuptools-scm = "8.1.0";
  unidic-lite = "1.0.8";
  # nixpkgs: python-modules/uv-build (pkgs.uv's version) and uv-dynamic-versioning, the
  # backend and the hatchling plugin uv projects build with.
  uv-build = "0.9.5";
  uv-dynamic-versioning = "0.11.0";
  versioneer = "0.29";
  wheel = "0.45.1";
}
