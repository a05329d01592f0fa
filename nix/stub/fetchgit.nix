# lock2nix nix stub: stands in for nixpkgs `pkgs/build-support/fetchgit/default.nix`
# (the `lib.extendMkDerivation` + `lib.fetchers.withNormalizedHash` version) and
# the `nix-prefetch-git --builder` it runs.
#
# Same formal arguments and no `...`: an unknown argument is Nix's own "called
# with unexpected argument" error. Same defaults: `fetchSubmodules = true`,
# `leaveDotGit = deepClone || fetchTags`, `rev` from `rev`/`tag` (else
# "HEAD"), no hash means `lib.fakeHash`, and the store name
# `<repo>-<first 7 of rev>` (lib.sources.urlToName + shortRev).
#
# The result is a real fixed-output derivation (`outputHashMode = "recursive"`)
# whose builder clones `url` at `rev` with the host's git (`hostGit`, an
# absolute path string, given to the stub), fetches the submodules
# (`git submodule update --init --recursive`, shallow first) when
# `fetchSubmodules`, removes every `.git` at any depth and leaves the tree in
# $out, as nix-prefetch-git does with `leaveDotGit` false. The builder uses
# `/bin/sh` and the host's coreutils (the tests run Nix without a sandbox).
# Without `hostGit` (or for another system) the derivation instantiates but
# its build fails with a "lock2nix nix stub:" message.
#
# What the stub cannot do (leaveDotGit, deepClone, fetchTags, sparseCheckout,
# rootDir, fetchLFS, preFetch/postFetch, netrcPhase, extra
# nativeBuildInputs, gitConfigFile, derivationArgs) is refused with a
# "lock2nix nix stub:" message instead of being ignored.
{
  lib,
  system,
  buildSystem,
  hostGit,
}:
let
  inherit (lib)
    concatStringsSep
    escapeShellArg
    filter
    hasPrefix
    head
    last
    length
    removeSuffix
    splitString
    ;

  unsupported =
    what:
    abort "lock2nix nix stub: fetchgit: ${what} is not supported by the stub (lock2nix output should not need it)";

  # lib.sources.urlToName: the last `:`-separated part's basename, without
  # git/archive extensions.
  urlToName =
    url:
    let
      base = baseNameOf (removeSuffix "/" (last (splitString ":" (toString url))));
      removeExt =
        name:
        let
          m = builtins.match "(.*)\\.(git|tar|zip|gz|tgz|bz|tbz|bz2|tbz2|lzma|txz|xz|zstd)$" name;
        in
        if m != null then head m else name;
      shrink =
        f: x:
        let
          v = f x;
        in
        if builtins.stringLength v < builtins.stringLength x then shrink f v else x;
    in
    shrink removeExt base;

  # lib.sources.shortRev
  shortRev =
    rev:
    let
      baseRev = baseNameOf (toString rev);
      matchHash = builtins.match "[a-f0-9]+" baseRev;
      matchVer = builtins.match "([A-Za-z]+[-_. ]?)*(v)?([0-9.]+.*)" baseRev;
    in
    if matchHash != null then
      builtins.substring 0 7 baseRev
    else if matchVer != null then
      last matchVer
    else
      baseRev;

  # lib.sources.revOrTag
  revOrTag =
    rev: tag:
    if tag != null then
      tag
    else if rev != null then
      rev
    else
      "HEAD";

  # fetchgit's urlToName
  defaultName =
    url: rev:
    "${urlToName url}${lib.optionalString (builtins.match "[a-f0-9]*" rev != null) "-${shortRev rev}"}";

  # fetchgit's getRevWithTag
  getRevWithTag =
    {
      rev ? null,
      tag ? null,
    }:
    if tag != null && rev != null then
      throw "fetchgit requires one of either `rev` or `tag` to be provided (not both)."
    else if tag != null then
      "refs/tags/${tag}"
    else if rev != null then
      rev
    else
      "HEAD";

  # lib.fetchers.normalizeHash { } (hash types: hash, sha256; not required,
  # since `outputHash` has a default).
  normalizeHash =
    args:
    if args ? outputHash then
      args
    else
      let
        given = filter (n: args ? ${n}) [
          "hash"
          "sha256"
        ];
        n = head given;
        value = args.${n};
      in
      if given == [ ] then
        args
      else if length given > 1 then
        throw "fetcher called with mutually-incompatible arguments: ${concatStringsSep ", " given}"
      else
        removeAttrs args [
          "hash"
          "sha256"
        ]
        // {
          outputHashAlgo = if n == "hash" then null else n;
          outputHash =
            if value == "" then (if n == "hash" then lib.fakeHash else lib.fakeSha256) else value;
        };

  canBuild = hostGit != null && system == buildSystem;

  # nix-prefetch-git --builder, reduced to leaveDotGit = false and no
  # sparse checkout / LFS. Git runs with no user or system configuration
  # (HOME is a fresh directory, GIT_CONFIG_NOSYSTEM), as in the Nix builder.
  builderScript = ''
    set -eu
    export PATH="''${stubHostGitDir}:/usr/local/bin:/usr/bin:/bin"
    export HOME="$NIX_BUILD_TOP/home"
    mkdir -p "$HOME"
    unset XDG_CONFIG_HOME
    export GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 GIT_LFS_SKIP_SMUDGE=1

    echo "exporting $url (rev $rev) into $out" >&2

    fileAllow=""
    case "$url" in
      file://* | /*) fileAllow="-c protocol.file.allow=always" ;;
    esac
    g() {
      # shellcheck disable=SC2086
      "$stubHostGit" -c core.hooksPath=/dev/null -c advice.detachedHead=false \
        -c init.defaultBranch=master $fileAllow "$@"
    }

    mkdir -p "$out"
    cd "$out"
    g init --quiet
    g remote add origin "$url"

    case "$rev" in
      HEAD | refs/*) ref="$rev" ;;
      *)
        if [ -z "$(printf '%s' "$rev" | tr -d 0123456789abcdef)" ]; then
          ref="$rev"
        else
          ref="refs/tags/$rev"
        fi
        ;;
    esac

    if g fetch --depth 1 origin "$ref"; then
      target=FETCH_HEAD
    else
      echo "lock2nix nix stub: fetchgit: the depth-1 fetch failed, fetching everything" >&2
      g fetch --tags origin
      target="$ref"
    fi
    g checkout --quiet --detach "$target"

    if [ -n "$fetchSubmodules" ]; then
      g submodule update --init --recursive -j "''${NIX_BUILD_CORES:-1}" --depth 1 \
        || g submodule update --init --recursive -j "''${NIX_BUILD_CORES:-1}"
    fi

    echo "removing \`.git'..." >&2
    find "$out" -name .git -prune -exec rm -rf {} +
  '';

  refuseToBuild = reason: ''
    echo ${escapeShellArg "lock2nix nix stub: fetchgit: this derivation cannot be built: ${reason}"} >&2
    exit 1
  '';

  fetchgitAttrs =
    {
      url,
      tag ? null,
      rev ? null,
      name ? defaultName url (revOrTag rev tag),
      leaveDotGit ? null,
      outputHash ? lib.fakeHash,
      outputHashAlgo ? null,
      fetchSubmodules ? true,
      deepClone ? false,
      branchName ? null,
      sparseCheckout ? null,
      nonConeMode ? null,
      nativeBuildInputs ? [ ],
      preFetch ? "",
      postFetch ? "",
      preferLocalBuild ? true,
      fetchLFS ? false,
      netrcPhase ? null,
      netrcImpureEnvVars ? [ ],
      passthru ? { },
      meta ? { },
      allowedRequisites ? null,
      fetchTags ? false,
      rootDir ? "",
      gitConfigFile ? null,
      derivationArgs ? { },
    }:
    let
      effectiveLeaveDotGit =
        if leaveDotGit != null then
          assert fetchTags -> leaveDotGit;
          assert rootDir != "" -> !leaveDotGit;
          leaveDotGit
        else
          deepClone || fetchTags;

      effectiveRev = getRevWithTag { inherit rev tag; };

      stubLimits =
        if builtins.isString sparseCheckout then
          throw "Please provide directories/patterns for sparse checkout as a list of strings. Passing a (multi-line) string is not supported any more."
        else if !(builtins.isString url) then
          abort "lock2nix nix stub: fetchgit: `url` must be a string, got ${builtins.typeOf url}"
        else if effectiveLeaveDotGit then
          unsupported "leaveDotGit (or deepClone/fetchTags, which imply it)"
        else if deepClone then
          unsupported "deepClone"
        else if sparseCheckout != null && sparseCheckout != [ ] then
          unsupported "sparseCheckout"
        else if rootDir != "" then
          unsupported "rootDir"
        else if nonConeMode == true then
          unsupported "nonConeMode"
        else if fetchLFS then
          unsupported "fetchLFS"
        else if preFetch != "" then
          unsupported "preFetch"
        else if postFetch != "" then
          unsupported "postFetch"
        else if netrcPhase != null then
          unsupported "netrcPhase"
        else if netrcImpureEnvVars != [ ] then
          unsupported "netrcImpureEnvVars"
        else if nativeBuildInputs != [ ] then
          unsupported "nativeBuildInputs"
        else if gitConfigFile != null then
          unsupported "gitConfigFile"
        else if derivationArgs != { } then
          unsupported "derivationArgs"
        else if !(builtins.isBool fetchSubmodules) then
          abort "lock2nix nix stub: fetchgit: fetchSubmodules must be a bool, got ${builtins.typeOf fetchSubmodules}"
        else
          true;

      drv = derivation (
        {
          inherit name system url fetchSubmodules preferLocalBuild;
          rev = effectiveRev;
          leaveDotGit = effectiveLeaveDotGit;
          inherit deepClone fetchLFS fetchTags;
          builder = "/bin/sh";
          args = [
            "-c"
            (
              if canBuild then
                builderScript
              else if hostGit == null then
                refuseToBuild "the stub was imported without hostGit"
              else
                refuseToBuild "it is for ${system}, not for this machine (${buildSystem})"
            )
          ];
          stubHostGit = if hostGit == null then "" else hostGit;
          stubHostGitDir = if hostGit == null then "" else dirOf hostGit;
          inherit outputHash;
          outputHashMode = "recursive";
          impureEnvVars = [
            "http_proxy"
            "https_proxy"
            "ftp_proxy"
            "all_proxy"
            "no_proxy"
            "HTTP_PROXY"
            "HTTPS_PROXY"
            "FTP_PROXY"
            "ALL_PROXY"
            "NO_PROXY"
            "GIT_PROXY_COMMAND"
            "SOCKS_SERVER"
          ];
        }
        // lib.optionalAttrs (outputHashAlgo != null) { inherit outputHashAlgo; }
        // lib.optionalAttrs (branchName != null) { inherit branchName; }
        // lib.optionalAttrs (tag != null) { inherit tag; }
        // lib.optionalAttrs (rev != null) { revCustom = rev; }
        // lib.optionalAttrs (allowedRequisites != null) { inherit allowedRequisites; }
      );
    in
    lib.extendDerivation stubLimits (
      {
        inherit meta;
        passthru = {
          gitRepoUrl = url;
        }
        // passthru;
        gitRepoUrl = url;
      }
      // passthru
    ) drv;

  fromAttrs =
    attrs:
    fetchgitAttrs (normalizeHash attrs)
    // {
      override = f: fromAttrs (attrs // (if builtins.isFunction f then f attrs else f));
      overrideAttrs =
        f:
        fromAttrs (
          attrs
          // (
            let
              x = f attrs;
            in
            if builtins.isFunction x then f attrs attrs else x
          )
        );
    };
in
# Like nixpkgs, accept either an attribute set or `finalAttrs: { ... }`.
argsOrFn:
if builtins.isFunction argsOrFn then
  fromAttrs (lib.fix argsOrFn)
else
  fromAttrs argsOrFn
