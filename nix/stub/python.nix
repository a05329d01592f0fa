# lock2nix nix stub: stands in for nixpkgs
# `pkgs/development/interpreters/python/cpython/default.nix` (the interpreter
# and its `override`) and `pkgs/development/interpreters/python/passthrufun.nix`
# (its passthru: `pkgs`, `withPackages`, `buildEnv`, version attributes, and
# the package set built with `ensurePythonModules`).
#
# Composition order of the package set, as in passthrufun.nix:
#   python-packages-base  <- hooks <- nixpkgs' python-packages.nix
#     <- pkgs.pythonPackagesExtensions (in list order) <- packageOverrides
# `override { packageOverrides = ...; }` REPLACES an earlier packageOverrides
# (it re-calls the interpreter function with the merged arguments; it does
# not compose). `self` defaults to the top-level attribute (pkgs.pythonXY),
# as nixpkgs' callPackage does, so users pass `self = <the result>`.
{ lib, pkgs }:
let
  mkPython =
    {
      pythonVersion,
      pythonAttr,
      packageOverrides ? (_final: _prev: { }),
      self ? pkgs.${pythonAttr},
    }@args:
    let
      executable = "python${pythonVersion}";
      libPrefix = executable;
      sitePackages = "lib/${libPrefix}/site-packages";
      versionParts = lib.splitString "." pythonVersion;

      # ---------------------------------------------------------------- package set
      ensurePythonModules =
        items:
        let
          providesSetupHook = lib.attrByPath [
            "provides"
            "setupHook"
          ] false;
          valid = value: pythonPackages.hasPythonModule value || providesSetupHook value;
          guard =
            name: value:
            if lib.isDerivation value then
              lib.extendDerivation (
                valid value
                || throw "${name} should use `buildPythonPackage` or `toPythonModule` if it is to be part of the Python packages set."
              ) { } value
            else
              value;
        in
        lib.mapAttrs guard items;

      # lib.makeScope: the fixed point plus callPackage / overrideScope.
      makeScope =
        f:
        let
          scope = f scope // {
            packages = f;
            overrideScope = g: makeScope (lib.extends g f);
            newScope = extra: fn: args: callWith (scope // extra) fn args;
            callPackage = fn: args: callWith scope fn args;
          };
        in
        scope;

      callWith =
        autoArgs: fn: args:
        let
          f = if builtins.isFunction fn then fn else import fn;
        in
        f (builtins.intersectAttrs (builtins.functionArgs f) (pkgs // autoArgs) // args);

      baseFun = import ./python-packages-base.nix {
        inherit lib pkgs;
        python = self;
      };

      extensions = lib.composeManyExtensions (
        [
          (import ./hooks.nix { inherit lib pkgs; })
          (import ./nixpkgs-packages.nix { inherit lib; })
        ]
        ++ pkgs.pythonPackagesExtensions
        ++ [ packageOverrides ]
      );

      pythonPackages = ensurePythonModules (makeScope (lib.extends extensions baseFun));

      # ---------------------------------------------------------------- passthru
      buildEnv = import ./wrapper.nix {
        inherit lib pkgs;
        python = self;
        inherit (pythonPackages) requiredPythonModules;
      };

      passthru = {
        inherit
          pythonVersion
          executable
          libPrefix
          sitePackages
          pythonAttr
          buildEnv
          ;
        implementation = "cpython";
        sourceVersion = {
          major = builtins.elemAt versionParts 0;
          minor = builtins.elemAt versionParts 1;
          patch = "0";
          suffix = "";
        };
        pythonABITags = [
          "abi3"
          "none"
          "cp${lib.concatStringsSep "" versionParts}"
        ];
        isPy27 = false;
        isPy2 = false;
        isPy3 = true;
        isPy3k = true;
        isPyPy = false;
        isPy39 = pythonVersion == "3.9";
        isPy310 = pythonVersion == "3.10";
        isPy311 = pythonVersion == "3.11";
        isPy312 = pythonVersion == "3.12";
        isPy313 = pythonVersion == "3.13";
        isPy314 = pythonVersion == "3.14";
        pythonAtLeast = lib.versionAtLeast pythonVersion;
        pythonOlder = lib.versionOlder pythonVersion;
        interpreter = "${self}/bin/${executable}";
        pkgs = pythonPackages;
        withPackages = f: buildEnv.override { extraLibs = f pythonPackages; };
        pythonOnBuildForBuild = self;
        pythonOnBuildForHost = self;
        pythonOnBuildForTarget = self;
        pythonOnHostForHost = self;
        pythonOnTargetForTarget = { };
        hasDistutilsCxxPatch = true;
        override =
          newArgs: mkPython (args // (if builtins.isFunction newArgs then newArgs args else newArgs));
      };
    in
    pkgs.stdenv.mkDerivation {
      pname = "python3";
      version = "${pythonVersion}.0";
      stubMode = "interpreter";
      inherit pythonVersion executable sitePackages;
      inherit passthru;
      meta = {
        description = "Stub of CPython ${pythonVersion} (lock2nix nix stub)";
        platforms = lib.platforms.all;
      };
    };
in
mkPython
