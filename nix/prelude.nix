{ pkgs, ... }:
let
  inherit (pkgs) fetchurl lib;
  system = pkgs.stdenv.hostPlatform.system;
  # Every system/CPython pair this file was generated for.
  generated = [ @targets@ ];
in
final: prev:
let
  python = final.python.pythonVersion;
  target = "${system}/${python}";
  supported = builtins.elem target generated;
  # The artifact a target uses: `choices` maps a target (or a whole system) to an index
  # into `artifacts`; a target that is not there does not install the package.
  pick =
    pname: choices: artifacts:
    let
      slot =
        if supported then
          choices.${target} or choices.${system} or null
        else
          throw "lock2nix: ${pname}: python-packages.nix was generated for ${toString generated} but is used on ${target}; regenerate it with this system and Python allowed (see --system and --python), or use one of those interpreters";
    in
    if slot != null then
      builtins.elemAt artifacts slot
    else
      throw "lock2nix: ${pname} is not part of the lock's resolution for ${system} with CPython ${python}, yet something asked for it; it is installed only where its markers hold";
  # A build requirement that is not locked and that lock2nix does not know nixpkgs to have.
  fromNixpkgs =
    name:
    prev.${name} or (throw "lock2nix: a build system needs the Python package ${name}, which is neither in the lock nor in this nixpkgs' Python package set; add it to the lock, or give the package that needs it an --overrides entry (build-system, or native-build-inputs for a program)");
in
