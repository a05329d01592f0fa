# lock2nix nix tests: evaluate a generated `python-packages.nix` the way its
# users do, against the nix stub, for one system and one Python version.
#
#   nix-instantiate --eval --strict --json nix/tests/eval-overlay.nix \
#     --arg overlay ./python-packages.nix --argstr root myproject \
#     --argstr system aarch64-darwin --argstr python 3.11
#
# Result:
#   env    drvPath of `py.withPackages (ps: [ ps.<root> ] ++ every list of
#          ps.<root>.dependency-groups ++ every list of ps.<root>.optional-dependencies)`
#          where py = pythonXY.override { packageOverrides = overlay; self = py; }
#   throws names of overlay attributes whose drvPath fails with a `throw` or
#          `assert` on this target (caught with builtins.tryEval; other errors,
#          including every "lock2nix nix stub:" abort, stop the evaluation)
#   count  number of attributes the overlay defines
{
  overlay, # path of the generated file
  root, # attribute name of the root project
  system,
  python, # "3.11"
  stub ? ../stub,
  hostPython ? null,
}:
let
  pkgs = import stub { inherit system hostPython; };
  inherit (pkgs) lib;

  attr = "python" + builtins.replaceStrings [ "." ] [ "" ] python;
  generated = import overlay { inherit pkgs; };

  # The keys of the generated set are static, so they can be listed without
  # a package set.
  names = builtins.attrNames (generated null null);

  py = pkgs.${attr}.override {
    packageOverrides = generated;
    self = py;
  };
  ps = py.pkgs;

  rootPackage =
    if builtins.elem root names then
      ps.${root}
    else
      abort "eval-overlay: the overlay has no attribute '${root}' (it has ${toString (builtins.length names)} attributes)";

  lists = set: lib.concatLists (builtins.attrValues set);
  selection =
    [ rootPackage ]
    ++ lists (rootPackage.dependency-groups or { })
    ++ lists (rootPackage.optional-dependencies or { });

  env = py.withPackages (_: selection);
in
{
  env = env.drvPath;
  throws = builtins.filter (n: !(builtins.tryEval ps.${n}.drvPath).success) names;
  count = builtins.length names;
}
