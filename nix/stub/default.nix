# lock2nix nix stub: stands in for nixpkgs' top level (`import <nixpkgs> { }`,
# pkgs/top-level/all-packages.nix and stage.nix), reduced to what a
# lock2nix-generated `python-packages.nix` and its users touch.
#
#   import ./nix/stub { system = "aarch64-darwin"; }          # evaluation only
#   import ./nix/stub { hostPython = "/abs/path/python3"; }   # real builds
#
# It is deliberately STRICTER than nixpkgs: arguments nixpkgs would silently
# pass to the builder are rejected, so generated code that only works by luck
# fails here. Errors raised by nixpkgs itself keep nixpkgs' wording (and
# `throw`/`assert`, so `builtins.tryEval` sees them as nixpkgs would); errors
# that only the stub raises start with "lock2nix nix stub:" and use `abort`,
# so they are never swallowed by `tryEval`.
#
# Arguments:
#   system      the host platform to evaluate for; one of the four systems
#               below.
#   hostPython  absolute path (a string, not a Nix path) of a real CPython on
#               the build machine. When given and `system` is the machine's
#               own, every derivation really builds with it; otherwise
#               derivations instantiate (drvPath) but refuse to build.
#   hostGit     absolute path (a string) of a real git on the build machine:
#               `fetchgit` derivations really clone with it (same rules as
#               hostPython: only for the machine's own system).
#   overlays    top-level overlays (`final: prev: { ... }`), as for nixpkgs.
{
  system ? builtins.currentSystem,
  hostPython ? null,
  hostGit ? null,
  overlays ? [ ],
}:
let
  lib = import ./lib.nix;

  supportedSystems = [
    "x86_64-linux"
    "aarch64-linux"
    "x86_64-darwin"
    "aarch64-darwin"
  ];

  checkedSystem =
    if lib.elem system supportedSystems then
      system
    else
      abort "lock2nix nix stub: unsupported system '${toString system}'; the stub knows ${toString supportedSystems}";

  hostPythonChecked =
    if hostPython == null || (builtins.isString hostPython && lib.hasPrefix "/" hostPython) then
      hostPython
    else
      abort "lock2nix nix stub: hostPython must be an absolute path given as a string (use --argstr), got ${builtins.typeOf hostPython}";

  hostGitChecked =
    if hostGit == null || (builtins.isString hostGit && lib.hasPrefix "/" hostGit) then
      hostGit
    else
      abort "lock2nix nix stub: hostGit must be an absolute path given as a string (use --argstr), got ${builtins.typeOf hostGit}";

  pythonVersions = {
    python39 = "3.9";
    python310 = "3.10";
    python311 = "3.11";
    python312 = "3.12";
    python313 = "3.13";
    python314 = "3.14";
  };

  base =
    final:
    let
      mkPython = import ./python.nix {
        inherit lib;
        pkgs = final;
      };
    in
    {
      inherit lib;
      system = checkedSystem;

      stdenv = import ./stdenv.nix {
        inherit lib;
        system = checkedSystem;
        buildSystem = builtins.currentSystem;
        hostPython = hostPythonChecked;
      };
      stdenvNoCC = final.stdenv;

      fetchurl = import ./fetchurl.nix { inherit lib; };

      fetchgit = import ./fetchgit.nix {
        inherit lib;
        system = checkedSystem;
        buildSystem = builtins.currentSystem;
        hostGit = hostGitChecked;
      };

      # As pkgs/top-level/all-packages.nix: applied to every interpreter's
      # package set, before the interpreter's own `packageOverrides`.
      pythonPackagesExtensions = [ ];

      python3 = final.python313;
      python3Packages = final.python3.pkgs;

      # A few non-Python packages generated code may mention for binary wheels.
      autoPatchelfHook = final.makeSetupHook { name = "auto-patchelf-hook"; } null;
      unzip = final.stdenv.mkDerivation {
        pname = "unzip";
        version = "stub";
        buildCommand = ''mkdir -p "$out/bin"'';
      };
      zlib = final.stdenv.mkDerivation {
        pname = "zlib";
        version = "stub";
        buildCommand = ''mkdir -p "$out/lib"'';
      };

      makeSetupHook =
        { name, ... }@args:
        _script:
        final.stdenv.mkDerivation {
          inherit name;
          buildCommand = ''mkdir -p "$out/nix-support"'';
          passthru = (args.passthru or { }) // {
            provides.setupHook = true;
          };
        };

      runCommand =
        name: env: buildCommand:
        final.stdenv.mkDerivation (
          {
            inherit name buildCommand;
          }
          // env
        );

      callPackage =
        fn: args:
        let
          f = if builtins.isFunction fn then fn else import fn;
        in
        f (builtins.intersectAttrs (builtins.functionArgs f) final // args);

      extend = overlay: mkPkgs (overlays ++ [ overlay ]);
    }
    // import ./tools.nix {
      inherit lib final;
    }
    // {
      appendOverlays = more: mkPkgs (overlays ++ more);
    }
    // builtins.mapAttrs (
      attr: pythonVersion:
      mkPython {
        inherit pythonVersion;
        pythonAttr = attr;
      }
    ) pythonVersions
    // lib.mapAttrs' (attr: _: {
      name = "${attr}Packages";
      value = final.${attr}.pkgs;
    }) pythonVersions;

  knownAttributes = import ./known-attributes.nix {
    attributesFile = ../../overrides/nixpkgs-attributes.txt;
  };

  mkPkgs = ovs: lib.fix (lib.extends (lib.composeManyExtensions ([ knownAttributes ] ++ ovs)) base);
in
mkPkgs overlays
