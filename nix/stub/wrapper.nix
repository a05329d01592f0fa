# lock2nix nix stub: stands in for nixpkgs
# `pkgs/development/interpreters/python/wrapper.nix` (python.buildEnv) and
# `with-packages.nix` (python.withPackages = f: buildEnv.override { extraLibs = f pkgs; }).
#
# Like nixpkgs, `python.buildEnv` is itself a derivation (the empty
# environment) with an `override`; the arguments are wrapper.nix's own, with
# no `...`. The environment contains `requiredPythonModules extraLibs`, which
# silently drops anything that is not a module of this interpreter. Its
# builder merges those prefixes into one tree of symlinks (a collision of two
# different files is an error unless `ignoreCollisions`) and writes
# `bin/python`, `bin/python3`, `bin/pythonX.Y` wrappers that run hostPython
# with the environment's site-packages (and only those) on sys.path.
{
  lib,
  pkgs,
  python,
  requiredPythonModules,
}:
let
  mkEnv =
    {
      extraLibs ? [ ],
      extraOutputsToInstall ? [ ],
      postBuild ? "",
      ignoreCollisions ? false,
      permitUserSite ? false,
      makeWrapperArgs ? [ ],
    }@args:
    let
      paths = requiredPythonModules extraLibs;
      env = pkgs.stdenv.mkDerivation {
        name = "${python.name}-env";
        stubMode = "env";
        stubEnvPaths = paths;
        stubInterpreter = python;
        stubSitePackages = python.sitePackages;
        inherit (python) pythonVersion executable;
        inherit
          postBuild
          ignoreCollisions
          permitUserSite
          extraOutputsToInstall
          ;
        stubMakeWrapperArgs = builtins.toJSON makeWrapperArgs;
        passthru = {
          interpreter = "${env}/bin/${python.executable}";
          inherit python extraLibs;
          env = abort "lock2nix nix stub: `<python env>.env` is for nix-shell only and is not provided by the stub";
          override =
            newArgs: mkEnv (args // (if builtins.isFunction newArgs then newArgs args else newArgs));
        };
        meta.platforms = python.meta.platforms;
      };
    in
    env;
in
mkEnv { }
