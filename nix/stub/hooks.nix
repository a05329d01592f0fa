# lock2nix nix stub: stands in for nixpkgs
# `pkgs/development/interpreters/python/hooks/default.nix`: the Python setup
# hooks, as members of every interpreter's package set.
#
# They are marked `passthru.provides.setupHook = true` so ensurePythonModules
# accepts them, and build to an empty prefix: their work (wheel unpack and
# install, imports check, metadata check, dist output) is done by the stub's
# builder.py for every buildPythonPackage, driven by the package's own
# attributes, as nixpkgs' mk-python-derivation.nix adds these hooks itself.
{ lib, pkgs }:
final: prev:
lib.genAttrs [
  "eggBuildHook"
  "eggInstallHook"
  "eggUnpackHook"
  "pipBuildHook"
  "pipInstallHook"
  "pypaBuildHook"
  "pypaInstallHook"
  "pythonCatchConflictsHook"
  "pythonImportsCheckHook"
  "pythonNamespacesHook"
  "pythonOutputDistHook"
  "pythonRelaxDepsHook"
  "pythonRemoveBinBytecodeHook"
  "pythonRemoveTestsDirHook"
  "pythonRuntimeDepsCheckHook"
  "setuptoolsBuildHook"
  "unittestCheckHook"
  "pytestCheckHook"
  "wheelUnpackHook"
  "wrapPython"
] (name: pkgs.makeSetupHook { inherit name; } null)
