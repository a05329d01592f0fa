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
  # The artifact a target uses: `choices` maps a target (or a whole system) to an index
  # into `artifacts`; a target that is not there cannot install the package.
  pick =
    pname: choices: artifacts:
    let
      slot = choices.${target} or choices.${system} or null;
    in
    if slot != null then
      builtins.elemAt artifacts slot
    else if builtins.elem target generated then
      throw "lock2nix: ${pname} is not part of the lock's resolution for ${system} with CPython ${python}, yet something asked for it; it is installed only where its markers hold"
    else
      throw "lock2nix: ${pname}: python-packages.nix was generated for ${toString generated} but is used on ${system} with CPython ${python}; regenerate it with that system and Python allowed (see --system and --python), or use one of those interpreters";
in
