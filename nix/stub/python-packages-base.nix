# lock2nix nix stub: stands in for nixpkgs
# `pkgs/development/interpreters/python/python-packages-base.nix`: the bottom
# layer of every interpreter's package set, with buildPythonPackage /
# buildPythonApplication (made overridable with `overridePythonAttrs`),
# toPythonModule, hasPythonModule, requiredPythonModules, makePythonPath.
{
  lib,
  pkgs,
  python,
}:
self:
let
  namePrefix = python.libPrefix + "-";

  mkPythonDerivation = import ./build-python-package.nix {
    inherit lib pkgs python;
    inherit (self) requiredPythonModules;
  };

  # `overridePythonAttrs` re-calls buildPythonPackage with the merged
  # arguments; it works for both the attribute-set and the
  # `finalAttrs: { ... }` form of the argument.
  makeOverridablePythonPackage =
    build: argsOrFn:
    let
      userFn = if builtins.isFunction argsOrFn then argsOrFn else (_: argsOrFn);
      overridePythonAttrs =
        newArgs:
        makeOverridablePythonPackage build (
          finalAttrs:
          let
            old = userFn finalAttrs;
          in
          old // (if builtins.isFunction newArgs then newArgs old else newArgs)
        );
    in
    build {
      inherit userFn;
      extraPassthru = {
        inherit overridePythonAttrs;
      };
    };

  buildPythonPackage = makeOverridablePythonPackage (
    mkPythonDerivation {
      inherit namePrefix toPythonModule;
      kind = "buildPythonPackage";
    }
  );

  buildPythonApplication = makeOverridablePythonPackage (
    mkPythonDerivation {
      namePrefix = "";
      toPythonModule = x: x;
      kind = "buildPythonApplication";
    }
  );

  hasPythonModule = drv: drv ? pythonModule && drv.pythonModule == python;

  # Same result as nixpkgs' `lib.unique ([ python ] ++ modules ++ …)` (first
  # occurrence wins, order kept), deduplicated by outPath in one
  # builtins.genericClosure pass instead of quadratic `==` comparisons.
  requiredPythonModules =
    drvs:
    let
      modules = lib.filter hasPythonModule drvs;
      all = [ python ] ++ modules ++ lib.concatLists (lib.catAttrs "requiredPythonModules" modules);
    in
    map (entry: entry.drv) (
      builtins.genericClosure {
        startSet = map (drv: {
          key = drv.outPath;
          inherit drv;
        }) all;
        operator = _: [ ];
      }
    );

  makePythonPath = drvs: lib.makeSearchPath python.sitePackages (requiredPythonModules drvs);

  removePythonPrefix = lib.removePrefix namePrefix;

  toPythonModule =
    drv:
    drv.overrideAttrs (old: {
      passthru = (old.passthru or { }) // {
        pythonModule = python;
        pythonPath = [ ];
        requiredPythonModules = builtins.addErrorContext "while calculating requiredPythonModules for ${drv.name or drv.pname}:" (
          requiredPythonModules (drv.propagatedBuildInputs or [ ])
        );
      };
    });

  toPythonApplication =
    drv:
    drv.overrideAttrs (old: {
      passthru = (old.passthru or { }) // {
        name = removePythonPrefix old.name;
        pythonModule = false;
      };
    });

  # editable.nix: exactly its formals (no `...`) and its `assert lib.isString root`. The
  # result is nixpkgs' wheel: `_<pname>.pth` with the same line (`root` goes through
  # os.path.expandvars when Python starts, so `$REPO_ROOT/src` names the working tree), the
  # PEP 621 entry points, `build-system` as runtime dependencies. nixpkgs builds that wheel
  # with hatchling from a generated pyproject.toml; the stub writes it itself (builder.py
  # `editable-wheel`), as hostPython has no hatchling.
  mkPythonEditablePackage =
    {
      pname,
      version,
      root,
      derivationArgs ? { },
      dependencies ? [ ],
      optional-dependencies ? { },
      build-system ? [ ],
      scripts ? { },
      gui-scripts ? { },
      entry-points ? { },
      passthru ? { },
      meta ? { },
    }:
    assert lib.isString root;
    buildPythonPackage (
      {
        inherit
          pname
          version
          optional-dependencies
          passthru
          meta
          ;
        dependencies = dependencies ++ build-system;
        pyproject = true;
        unpackPhase = "mkdir source && cd source";
        buildPhase = "stubStep editable-wheel";
      }
      // derivationArgs
      // {
        stubEditableRoot = root;
        stubEditableEntryPoints = builtins.toJSON (
          {
            console_scripts = scripts;
            gui_scripts = gui-scripts;
          }
          // entry-points
        );
        preferLocalBuild = true;
      }
    );

  disabled =
    drv: throw "${removePythonPrefix (drv.pname or drv.name)} not supported for interpreter ${python.executable}";

  disabledIf = x: drv: if x then disabled drv else drv;
in
{
  inherit lib pkgs;
  inherit (pkgs) stdenv;
  inherit (python)
    isPy27
    isPy39
    isPy310
    isPy311
    isPy312
    isPy313
    isPy314
    isPy3k
    isPyPy
    pythonAtLeast
    pythonOlder
    ;
  inherit buildPythonPackage buildPythonApplication;
  inherit
    hasPythonModule
    requiredPythonModules
    makePythonPath
    disabled
    disabledIf
    toPythonModule
    toPythonApplication
    mkPythonEditablePackage
    ;

  python = toPythonModule python;

  pythonPackages = self;
}
