# lock2nix nix stub: stands in for nixpkgs `lib/` (fixed-points.nix, lists.nix,
# attrsets.nix, strings.nix, trivial.nix, customisation.nix).
#
# Only the functions that the stub itself and lock2nix's generated
# `python-packages.nix` need. Written for the stub; behaviour follows the
# documented nixpkgs semantics, names are the nixpkgs names so generated code
# that uses `lib.X` fails loudly here when X is something we do not vouch for.
let
  inherit (builtins)
    attrNames
    concatLists
    concatStringsSep
    elem
    filter
    foldl'
    genList
    head
    isAttrs
    isFunction
    isList
    isString
    length
    listToAttrs
    map
    mapAttrs
    stringLength
    substring
    tail
    ;

  # ---------------------------------------------------------------- fixed points
  fix =
    f:
    let
      x = f x;
    in
    x;

  # `extends overlay base`: the overlay sees the final value and the value of
  # `base`; its attributes win over the base ones.
  extends =
    overlay: base: final:
    let
      prev = base final;
    in
    prev // overlay final prev;

  composeExtensions =
    first: second: final: prev:
    let
      fromFirst = first final prev;
    in
    fromFirst // second final (prev // fromFirst);

  composeManyExtensions = foldl' composeExtensions (_: _: { });

  # ---------------------------------------------------------------- predicates
  isDerivation = v: isAttrs v && (v.type or null) == "derivation";
  isBool = builtins.isBool;

  # ---------------------------------------------------------------- lists
  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];

  unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];

  imap1 = f: xs: genList (i: f (i + 1) (builtins.elemAt xs i)) (length xs);

  last = xs: builtins.elemAt xs (length xs - 1);

  flatten = x: if isList x then concatLists (map flatten x) else [ x ];

  concatMap = f: xs: concatLists (map f xs);

  # ---------------------------------------------------------------- attrsets
  optionalAttrs = cond: as: if cond then as else { };

  filterAttrs =
    pred: set:
    listToAttrs (
      concatMap (
        name:
        let
          value = set.${name};
        in
        if pred name value then [ { inherit name value; } ] else [ ]
      ) (attrNames set)
    );

  mapAttrs' = f: set: listToAttrs (map (name: f name set.${name}) (attrNames set));

  mapAttrsToList = f: set: map (name: f name set.${name}) (attrNames set);

  genAttrs =
    names: f:
    listToAttrs (
      map (name: {
        inherit name;
        value = f name;
      }) names
    );

  attrByPath =
    path: default: set:
    if path == [ ] then
      set
    else if isAttrs set && set ? ${head path} then
      attrByPath (tail path) default set.${head path}
    else
      default;

  catAttrs = builtins.catAttrs;
  attrValues = builtins.attrValues;

  # ---------------------------------------------------------------- strings
  hasPrefix = pre: s: substring 0 (stringLength pre) s == pre;

  hasSuffix =
    suf: s:
    let
      ls = stringLength s;
      lf = stringLength suf;
    in
    lf <= ls && substring (ls - lf) lf s == suf;

  hasInfix = infix: s: builtins.match ".*${escapeRegex infix}.*" s != null;

  removePrefix =
    pre: s: if hasPrefix pre s then substring (stringLength pre) (stringLength s) s else s;

  removeSuffix =
    suf: s: if hasSuffix suf s then substring 0 (stringLength s - stringLength suf) s else s;

  escapeRegex = builtins.replaceStrings regexSpecials (map (c: "\\${c}") regexSpecials);
  regexSpecials = [
    "\\"
    "["
    "]"
    "{"
    "}"
    "("
    ")"
    "."
    "*"
    "+"
    "?"
    "^"
    "$"
    "|"
  ];

  lowerChars = stringToCharacters "abcdefghijklmnopqrstuvwxyz";
  upperChars = stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  stringToCharacters = s: genList (i: substring i 1 s) (stringLength s);
  toUpper = builtins.replaceStrings lowerChars upperChars;
  toLower = builtins.replaceStrings upperChars lowerChars;

  optionalString = cond: s: if cond then s else "";

  concatMapStringsSep = sep: f: xs: concatStringsSep sep (map f xs);
  concatMapStrings = f: xs: concatStringsSep "" (map f xs);

  splitString =
    sep: s: filter isString (builtins.split (escapeRegex sep) s);

  makeSearchPath =
    subDir: paths: concatStringsSep ":" (map (p: "${p}/${subDir}") (filter (p: p != null) paths));
  makeBinPath = makeSearchPath "bin";

  # lib/lists.nix
  subtractLists = e: filter (x: !(elem x e));
  reverseList =
    xs:
    let
      l = length xs;
    in
    genList (n: builtins.elemAt xs (l - n - 1)) l;

  # lib/customisation.nix `makeOverridable`, reduced to `override` (no overrideDerivation):
  # `.override` re-calls `f` with the arguments merged (a function of the old ones, or a set).
  makeOverridable =
    f: args:
    let
      result = f args;
      override = newArgs: makeOverridable f (args // (if isFunction newArgs then newArgs args else newArgs));
    in
    if isAttrs result then result // { inherit override; } else result;

  escapeShellArg = s: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString s)}'";
  escapeShellArgs = xs: concatStringsSep " " (map escapeShellArg xs);

  # ---------------------------------------------------------------- versions
  versionOlder = a: b: builtins.compareVersions a b < 0;
  versionAtLeast = a: b: !(versionOlder a b);

  # ---------------------------------------------------------------- trivial
  id = x: x;
  const = x: _: x;
  toFunction = v: if isFunction v then v else _: v;
  warn = msg: builtins.trace "warning: ${msg}";
  warnIf = cond: msg: if cond then warn msg else id;
  throwIf = cond: msg: if cond then throw msg else id;
  throwIfNot = cond: msg: if cond then id else throw msg;

  fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  fakeSha256 = "0000000000000000000000000000000000000000000000000000";
  fakeSha512 = concatStringsSep "" (genList (_: "0") 128);

  getName = x: if isString x then x else x.pname or x.name;

  # -------------------------------------------------------------------- sources
  # lib/sources.nix: `cleanSourceFilter` drops VCS folders (.git anywhere, and
  # .svn, CVS, .hg, .jj, .pijul, _darcs folders), editor backups (`*~`, vim swap
  # files), `*.o`/`*.so`, `result*` symlinks and unknown file types;
  # `cleanSourceWith { src; filter ? all; name ? null; }` composes filters over
  # one copy (`builtins.path`), the name defaulting to the inner one or "source".
  cleanSourceFilter =
    name: type:
    let
      baseName = baseNameOf (toString name);
    in
    !(
      (
        baseName == ".git"
        || type == "directory"
          && elem baseName [ ".svn" "CVS" ".hg" ".jj" ".pijul" "_darcs" ]
      )
      || hasSuffix "~" baseName
      || builtins.match "^\\.sw[a-z]$" baseName != null
      || builtins.match "^\\..*\\.sw[a-z]$" baseName != null
      || hasSuffix ".o" baseName
      || hasSuffix ".so" baseName
      || (type == "symlink" && hasPrefix "result" baseName)
      || type == "unknown"
    );

  cleanSourceWith =
    {
      src,
      filter ? _path: _type: true,
      name ? null,
    }:
    let
      filtered = src ? _isLibCleanSourceWith;
      origSrc = if filtered then src.origSrc else src;
      innerFilter = if filtered then src.filter else _: _: true;
      combined = path: type: filter path type && innerFilter path type;
      finalName = if name != null then name else if filtered then src.name else "source";
    in
    {
      _isLibCleanSourceWith = true;
      inherit origSrc;
      filter = combined;
      name = finalName;
      outPath = builtins.path {
        filter = combined;
        name = finalName;
        path = origSrc;
      };
    };

  cleanSource = src: cleanSourceWith { filter = cleanSourceFilter; inherit src; };

  # ---------------------------------------------------------------- derivations
  # `extendDerivation condition extra drv`: `drv` plus `extra`, where forcing
  # `drvPath` / `outPath` (of the derivation or of any output) first checks
  # `condition`. Used for errors that nixpkgs only raises when a package is
  # actually instantiated (ensurePythonModules, `disabled`, meta checks).
  extendDerivation =
    condition: extra: drv:
    let
      outputNames = drv.outputs or [ "out" ];
      guarded = x: assert condition; x;
      perOutput = genAttrs outputNames (
        o:
        shared
        // {
          type = "derivation";
          outputName = o;
          outputSpecified = true;
          drvPath = guarded drv.${o}.drvPath;
          outPath = guarded drv.${o}.outPath;
        }
      );
      shared =
        drv
        // perOutput
        // {
          all = map (o: perOutput.${o}) outputNames;
        }
        // extra;
    in
    shared
    // {
      drvPath = guarded drv.drvPath;
      outPath = guarded drv.outPath;
    };

  # ---------------------------------------------------------------- platforms
  platforms = rec {
    linux = [
      "x86_64-linux"
      "aarch64-linux"
    ];
    darwin = [
      "x86_64-darwin"
      "aarch64-darwin"
    ];
    x86_64 = [
      "x86_64-linux"
      "x86_64-darwin"
    ];
    aarch64 = [
      "aarch64-linux"
      "aarch64-darwin"
    ];
    unix = linux ++ darwin;
    all = unix;
  };
  # lib/licenses.nix: the two lock2nix's own package names.
  licenses = {
    mit = {
      spdxId = "MIT";
      fullName = "MIT License";
    };
    asl20 = {
      spdxId = "Apache-2.0";
      fullName = "Apache License 2.0";
    };
  };
  # lib/systems/flake-systems.nix, reduced to the four systems the stub knows.
  systems.flakeExposed = [
    "x86_64-linux"
    "aarch64-linux"
    "x86_64-darwin"
    "aarch64-darwin"
  ];
in
{
  inherit
    fix
    extends
    composeExtensions
    composeManyExtensions
    isDerivation
    isBool
    optional
    optionals
    unique
    imap1
    last
    flatten
    concatMap
    optionalAttrs
    filterAttrs
    mapAttrsToList
    mapAttrs'
    genAttrs
    attrByPath
    catAttrs
    attrValues
    hasPrefix
    hasSuffix
    hasInfix
    removePrefix
    removeSuffix
    escapeRegex
    optionalString
    concatMapStringsSep
    concatMapStrings
    makeBinPath
    subtractLists
    reverseList
    makeOverridable
    splitString
    toUpper
    toLower
    stringToCharacters
    makeSearchPath
    escapeShellArg
    escapeShellArgs
    versionOlder
    versionAtLeast
    id
    const
    toFunction
    warn
    warnIf
    throwIf
    throwIfNot
    fakeHash
    fakeSha256
    fakeSha512
    getName
    extendDerivation
    platforms
    cleanSourceFilter
    cleanSourceWith
    cleanSource
    systems
    licenses
    ;
  inherit (builtins)
    attrNames
    concatLists
    concatStringsSep
    elem
    elemAt
    filter
    foldl'
    genList
    head
    tail
    length
    isAttrs
    isFunction
    isList
    isString
    isInt
    isPath
    listToAttrs
    mapAttrs
    hasAttr
    getAttr
    removeAttrs
    intersectAttrs
    functionArgs
    stringLength
    substring
    replaceStrings
    toJSON
    fromJSON
    match
    split
    sort
    any
    all
    ;
  lists = {
    inherit optional optionals unique last flatten imap1;
    inherit (builtins) filter length head tail elem;
  };
  attrsets = {
    inherit optionalAttrs filterAttrs mapAttrsToList genAttrs attrByPath;
  };
  sources = {
    inherit cleanSourceFilter cleanSourceWith cleanSource;
  };
  strings = {
    inherit hasPrefix hasSuffix hasInfix removePrefix removeSuffix optionalString concatMapStringsSep splitString escapeShellArg;
    inherit (builtins) substring stringLength concatStringsSep;
  };
  trivial = {
    inherit id const toFunction warn;
    release = "stub";
  };
}
