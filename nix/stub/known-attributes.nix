# lock2nix nix stub: a stub derivation for every nixpkgs attribute the override
# database may name (overrides/nixpkgs-attributes.txt), so that generated files
# whose overrides use them (pkgs.libsndfile, pkgs.cudaPackages.cuda_cudart,
# pkgs.libpq.pg_config, …) evaluate. Paths the stub already has are kept; a
# missing path below an attribute the stub defines is an error, so the stub is
# extended on purpose rather than silently shadowed.
{ attributesFile }:
final: prev:
let
  lines = builtins.filter (
    line: builtins.isString line && line != "" && builtins.substring 0 1 line != "#"
  ) (builtins.split "\n" (builtins.readFile attributesFile));
  # `python3Packages.<name>` lines name Python packages, which nixpkgs-packages.nix provides
  # (checked by nix/tests/stub-selftest.nix); looking at them here would recurse into the
  # package set this overlay helps to build.
  paths = builtins.filter (path: builtins.head path != "python3Packages") (
    map (line: builtins.filter builtins.isString (builtins.split "\\." line)) lines
  );
  has =
    set: path:
    path == [ ]
    || (builtins.isAttrs set && set ? ${builtins.head path} && has set.${builtins.head path} (builtins.tail path));
  missing = builtins.filter (path: !(has prev path)) paths;
  checked = map (
    path:
    if prev ? ${builtins.head path} then
      abort "lock2nix nix stub: ${builtins.concatStringsSep "." path} is in overrides/nixpkgs-attributes.txt but the stub's ${builtins.head path} lacks it; extend nix/stub"
    else
      path
  ) missing;
  insert =
    tree: path:
    let
      head = builtins.head path;
      rest = builtins.tail path;
      sub = tree.${head} or { };
    in
    tree // { ${head} = if rest == [ ] then sub // { __listed = true; } else insert sub rest; };
  tree = builtins.foldl' insert { } checked;
  stub =
    name:
    final.stdenv.mkDerivation {
      pname = name;
      version = "stub";
      buildCommand = ''mkdir -p "$out/lib" "$out/bin"'';
    };
  realize =
    name: node:
    let
      children = builtins.mapAttrs realize (builtins.removeAttrs node [ "__listed" ]);
    in
    if node.__listed or false then stub name // children else children;
in
builtins.mapAttrs realize tree
