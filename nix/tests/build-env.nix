# lock2nix nix tests: the environment of a generated `python-packages.nix`,
# to really build with the stub on this machine.
#
#   nix-build nix/tests/build-env.nix --arg overlay ./python-packages.nix \
#     --argstr root myproject --argstr hostPython "$(command -v python3)" \
#     --argstr python 3.11
#   ./result/bin/python -c 'import requests'
#
# hostPython is the absolute path of a real CPython whose version is `python`
# (hostGit, of git, for sources from git);
# the environment holds the root, all its dependency groups and all its extras.
{
  overlay,
  root,
  hostPython,
  hostGit ? null,
  python ? "3.11",
  stub ? ../stub,
}:
let
  pkgs = import stub { inherit hostPython hostGit; };
  inherit (pkgs) lib;
  attr = "python" + builtins.replaceStrings [ "." ] [ "" ] python;
  py = pkgs.${attr}.override {
    packageOverrides = import overlay { inherit pkgs; };
    self = py;
  };
  lists = set: lib.concatLists (builtins.attrValues set);
in
py.withPackages (
  ps:
  [ ps.${root} ]
  ++ lists (ps.${root}.dependency-groups or { })
  ++ lists (ps.${root}.optional-dependencies or { })
)
