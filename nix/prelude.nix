{ pkgs, ... }:
let
  inherit (pkgs) fetchgit fetchurl lib;
  system = pkgs.stdenv.hostPlatform.system;
  # Every system/CPython pair this file was generated for.
  generated = [ @targets@ ];
  # A folder beside this file, without VCS files, editor backups (lib.cleanSourceFilter) and
  # Python build debris, so that unrelated changes do not rebuild it.
  cleanSource =
    src:
    lib.cleanSourceWith {
      inherit src;
      name = "source";
      filter =
        path: type:
        let
          base = baseNameOf path;
          directory = type == "directory";
        in
        lib.cleanSourceFilter path type
        && !(builtins.elem base [ "__pycache__" ".venv" ".tox" ".nox" ".mypy_cache" ".pytest_cache" ".ruff_cache" ".direnv" ".eggs" ])
        && !(directory && lib.hasSuffix ".egg-info" base)
        && !(directory && builtins.elem base [ "build" "dist" ] && dirOf path == toString src);
    };
  # A netrc file for `machine` from the builder's environment (nixpkgs' fetchurl netrcPhase),
  # Poetry's `<variables>_USERNAME`/`_PASSWORD` set for the Nix daemon (or the shell, for
  # single-user Nix); without them the download is anonymous.
  netrcPhase = machine: variables: ''
    if [ -n "''${${variables}_USERNAME:-}" ]; then
      printf 'machine %s login %s password %s\n' ${lib.escapeShellArg machine} "''$${variables}_USERNAME" "''${${variables}_PASSWORD:-}" > netrc
    else
      touch netrc
    fi
  '';
  # The overlay: one attribute per locked package, and the project's.
  overlay =
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
    {
@packages@
    };
in
{
@metadata@
  # Used as an overlay (`packageOverrides`, `composeExtensions`), this value is `overlay`.
  __functor = _self: overlay;
}
