# lock2nix nix stub: the non-Python parts of nixpkgs that lock2nix's helpers (nix/default.nix)
# and its flake use, each with nixpkgs' formals:
#   mkShell                      pkgs/build-support/mkshell/default.nix (built by the host's
#                                /bin/bash with shell/setup, so that `nix develop` takes it)
#   poetry                       pkgs/by-name/po/poetry/package.nix (an application; `override
#                                { python3 = …; }` re-calls it, as by-name's callPackage does)
#   uv, pdm                      pkgs/by-name/uv/uv/package.nix, pkgs/by-name/pd/pdm/package.nix
#                                (applications taking no interpreter)
#   rustPlatform.buildRustPackage pkgs/build-support/rust/build-rust-package/default.nix with
#                                import-cargo-lock.nix: instantiates, never builds
#   makeWrapper, git             setup hook and program, as build inputs
{ lib, final }:
let
  inherit (final) stdenv;

  # A package the stub does not build: it instantiates, and building it says why.
  unbuildable =
    name: why:
    stdenv.mkDerivation {
      inherit name;
      buildCommand = ''
        echo ${lib.escapeShellArg "lock2nix nix stub: ${name}: ${why}"} >&2
        exit 1
      '';
    };
  # An application that writes locks: a program saying which it is.
  locker =
    pname:
    stdenv.mkDerivation {
      inherit pname;
      version = "stub";
      buildCommand = ''
        mkdir -p "$out/bin"
        printf '#!/bin/sh\necho "${pname} (lock2nix nix stub)"\n' > "$out/bin/${pname}"
        chmod +x "$out/bin/${pname}"
      '';
      meta.mainProgram = pname;
    };
in
{
  mkShell =
    {
      name ? "nix-shell",
      packages ? [ ],
      inputsFrom ? [ ],
      buildInputs ? [ ],
      nativeBuildInputs ? [ ],
      propagatedBuildInputs ? [ ],
      propagatedNativeBuildInputs ? [ ],
      ...
    }@attrs:
    let
      mergeInputs =
        name:
        (attrs.${name} or [ ]) ++ (lib.subtractLists inputsFrom (lib.flatten (lib.catAttrs name inputsFrom)));
      rest = removeAttrs attrs [
        "name"
        "packages"
        "inputsFrom"
        "buildInputs"
        "nativeBuildInputs"
        "propagatedBuildInputs"
        "propagatedNativeBuildInputs"
        "shellHook"
      ];
    in
    stdenv.mkDerivation (
      {
        inherit name;
        buildInputs = mergeInputs "buildInputs";
        nativeBuildInputs = packages ++ (mergeInputs "nativeBuildInputs");
        propagatedBuildInputs = mergeInputs "propagatedBuildInputs";
        propagatedNativeBuildInputs = mergeInputs "propagatedNativeBuildInputs";
        shellHook = lib.concatStringsSep "\n" (lib.catAttrs "shellHook" (lib.reverseList inputsFrom ++ [ attrs ]));
        phases = [ "buildPhase" ];
        buildPhase = ''
          { echo "------------------------------------------------------------";
            echo " WARNING: the existence of this path is not guaranteed.";
            echo " It is an internal implementation detail for pkgs.mkShell.";
            echo "------------------------------------------------------------";
            echo;
            # Record all build inputs as runtime dependencies
            export;
          } >> "$out"
        '';
        preferLocalBuild = true;
        # Built by bash with a minimal setup script (shell/), not by the stub's Python builder:
        # `nix develop` runs only derivations whose builder is bash, and sources
        # `$stdenv/setup` to put the inputs on PATH.
        builder = "/bin/bash";
        args = [
          "-e"
          ./shell/builder.sh
        ];
        stdenv = ./shell;
      }
      // rest
    );

  poetry = lib.makeOverridable (
    {
      lib,
      python3,
      fetchFromGitHub,
      fetchPypi,
    }:
    stdenv.mkDerivation {
      pname = "poetry";
      version = "stub";
      # Says which interpreter it runs on: what `override { python3 = …; }` changed.
      buildCommand = ''
        mkdir -p "$out/bin"
        printf '#!/bin/sh\necho "Poetry (lock2nix nix stub) on Python ${python3.pythonVersion}"\n' > "$out/bin/poetry"
        chmod +x "$out/bin/poetry"
      '';
      # nixpkgs replaces poetry's passthru with { plugins, withPlugins, python }.
      passthru.python = python3;
      meta.mainProgram = "poetry";
    }
  ) {
    inherit lib;
    python3 = final.python3;
    fetchFromGitHub = null;
    fetchPypi = null;
  };

  uv = locker "uv";
  pdm = locker "pdm";

  rustPlatform.buildRustPackage =
    {
      cargoDeps ? null,
      cargoLock ? null,
      cargoVendorDir ? null,
      useFetchCargoVendor ? true,
      meta ? { },
      ...
    }@args:
    let
      importCargoLock =
        {
          lockFile ? null,
          lockFileContents ? null,
          allowBuiltinFetchGit ? false,
          extraRegistries ? { },
          outputHashes ? { },
        }:
        assert (lockFile == null) != (lockFileContents == null);
        let
          text = if lockFile != null then builtins.readFile lockFile else lockFileContents;
          packages = (builtins.fromTOML text).package or [ ];
          registry = builtins.filter (p: lib.hasPrefix "registry+" (p.source or "")) packages;
          git = builtins.filter (p: lib.hasPrefix "git+" (p.source or "")) packages;
          noChecksum = builtins.filter (p: !(p ? checksum)) registry;
          noHash = builtins.filter (p: !(outputHashes ? "${p.name}-${p.version}") && !allowBuiltinFetchGit) git;
        in
        if noChecksum != [ ] then
          throw "Package ${(builtins.head noChecksum).name} does not have a checksum."
        else if noHash != [ ] then
          throw "No hash was found while vendoring the git dependency ${(builtins.head noHash).name}-${(builtins.head noHash).version}."
        else
          unbuildable "cargo-vendor-dir" "the stub does not vendor crates (${toString (builtins.length registry)} from crates.io)";
      vendored =
        if cargoVendorDir != null then
          null
        else if cargoDeps != null then
          cargoDeps
        else if cargoLock != null then
          importCargoLock cargoLock
        else if args.cargoHash or null == null then
          throw "cargoHash, cargoVendorDir, cargoDeps, or cargoLock must be set"
        else
          unbuildable "cargo-vendor" "the stub does not vendor crates";
    in
    assert
      useFetchCargoVendor
      || throw "buildRustPackage: `useFetchCargoVendor` is non‐optional and enabled by default as of 25.05, remove it";
    stdenv.mkDerivation {
      inherit (args) pname version;
      inherit meta;
      # An input of the build, as in nixpkgs: evaluating the package checks the vendoring.
      cargoDeps = if vendored == null then "" else vendored;
      buildCommand = ''
        echo ${lib.escapeShellArg "lock2nix nix stub: ${args.pname}: the stub does not build Rust packages"} >&2
        exit 1
      '';
      passthru = (args.passthru or { }) // {
        cargoDeps = vendored;
        inherit (args) src;
      };
    };

  makeWrapper = final.makeSetupHook { name = "make-shell-wrapper-hook"; } null;

  git = stdenv.mkDerivation {
    pname = "git";
    version = "stub";
    buildCommand = ''mkdir -p "$out/bin"'';
  };
}
