# lock2nix nix stub: stands in for nixpkgs `pkgs/build-support/fetchurl/default.nix`
# (the `lib.extendMkDerivation` version with `inheritFunctionArgs = false`).
#
# Same formal arguments and no `...`: an unknown argument is Nix's own
# "called with unexpected argument" error. Same rules: exactly one of `url`
# and `urls`; at most one hash; no hash means `lib.fakeHash`; store name from
# pname-version, else `name`, else the URL's basename.
#
# The result is a real fixed-output derivation made by Nix's built-in fetcher
# (`<nix/fetchurl.nix>`), so with a build machine and network (or a file://
# URL) it really downloads and checks the hash. Things the built-in fetcher
# cannot do (postFetch, curl options, mirror:// URLs) are refused with a
# "lock2nix nix stub:" message instead of being ignored. `netrcPhase` and
# `netrcImpureEnvVars` are type-checked and accepted, as nixpkgs accepts them,
# but the built-in fetcher downloads anonymously: building a file from an index
# that needs credentials fails through the stub.
{ lib }:
let
  inherit (lib)
    filter
    hasPrefix
    head
    length
    ;

  # Characters Nix allows in a store path name.
  validStoreName =
    name:
    builtins.match "[A-Za-z0-9+._?=-]+" name != null
    && !(hasPrefix "." name)
    && builtins.stringLength name <= 211;

  nameProblem =
    name:
    let
      bad = filter (c: c != "" && builtins.match "[A-Za-z0-9+._?=-]" c == null) (
        filter builtins.isString (builtins.split "" name)
      );
    in
    if bad != [ ] then
      "contains illegal character '${head bad}'"
    else if hasPrefix "." name then
      "starts with a period"
    else if name == "" then
      "is empty"
    else
      "is longer than 211 characters";

  unsupported = what: abort "lock2nix nix stub: fetchurl: ${what} is not supported by the stub (lock2nix output should not need it)";

  fetchurlAttrs =
    {
      url ? "",
      urls ? [ ],
      curlOpts ? "",
      curlOptsList ? [ ],
      name ? null,
      pname ? null,
      version ? null,
      hash ? "",
      outputHash ? "",
      outputHashAlgo ? "",
      sha1 ? "",
      sha256 ? "",
      sha512 ? "",
      recursiveHash ? false,
      netrcPhase ? null,
      netrcImpureEnvVars ? [ ],
      postFetch ? "",
      downloadToTemp ? false,
      executable ? false,
      showURLs ? false,
      meta ? { },
      passthru ? { },
      preferLocalBuild ? true,
      nativeBuildInputs ? [ ],
      derivationArgs ? { },
    }@args:
    let
      describe = builtins.toJSON (
        removeAttrs args [
          "meta"
          "passthru"
          "derivationArgs"
          "nativeBuildInputs"
        ]
      );

      urlList =
        if urls != [ ] && url == "" then
          (if builtins.isList urls then urls else throw "`urls` is not a list: ${builtins.toJSON urls}")
        else if urls == [ ] && url != "" then
          (if builtins.isString url then [ url ] else throw "`url` is not a string: ${builtins.toJSON url}")
        else
          throw "fetchurl requires either `url` or `urls` to be set: ${describe}";

      givenHashes = filter (s: s != "") [
        hash
        outputHash
        sha1
        sha256
        sha512
      ];

      # { algo; hash; }: algo = "" means `hash` is SRI or "algo:digest".
      hash_ =
        if length givenHashes > 1 then
          throw "multiple hashes passed to fetchurl: ${builtins.toJSON urlList}"
        else if hash != "" then
          {
            algo = "";
            inherit hash;
          }
        else if outputHash != "" then
          (
            if outputHashAlgo != "" then
              {
                algo = outputHashAlgo;
                hash = outputHash;
              }
            else
              throw "fetchurl was passed outputHash without outputHashAlgo: ${builtins.toJSON urlList}"
          )
        else if sha512 != "" then
          {
            algo = "sha512";
            hash = sha512;
          }
        else if sha256 != "" then
          {
            algo = "sha256";
            hash = sha256;
          }
        else if sha1 != "" then
          {
            algo = "sha1";
            hash = sha1;
          }
        else
          {
            # nixpkgs (with cacert) uses lib.fakeHash: evaluation succeeds,
            # the build fails with a hash mismatch.
            algo = "";
            hash = lib.fakeHash;
          };

      storeName =
        if pname != null && version != null then
          "${pname}-${version}"
        else if showURLs then
          "urls"
        else if name != null then
          name
        else
          baseNameOf (toString (head urlList));

      firstUrl =
        let
          u = head urlList;
        in
        if !(builtins.isString u) then
          throw "fetchurl: every element of `urls` must be a string"
        else if hasPrefix "mirror://" u then
          unsupported "a mirror:// URL (${u})"
        else
          u;

      fetched = import <nix/fetchurl.nix> {
        url = firstUrl;
        name = storeName;
        inherit executable;
        outputHash = hash_.hash;
        outputHashAlgo = hash_.algo;
      };

      stubLimits =
        if postFetch != "" then
          unsupported "postFetch"
        else if downloadToTemp then
          unsupported "downloadToTemp"
        else if netrcPhase != null && !(builtins.isString netrcPhase) then
          throw "fetchurl: netrcPhase must be a string of shell code"
        else if !(builtins.isList netrcImpureEnvVars && builtins.all builtins.isString netrcImpureEnvVars) then
          throw "fetchurl: netrcImpureEnvVars must be a list of variable names"
        else if recursiveHash then
          unsupported "recursiveHash"
        else if showURLs then
          unsupported "showURLs"
        else if curlOpts != "" && !(builtins.isList curlOpts) || curlOptsList != [ ] then
          unsupported "curlOpts/curlOptsList"
        else if derivationArgs != { } then
          unsupported "derivationArgs"
        else
          true;

      nameCheck =
        validStoreName storeName
        || abort "lock2nix nix stub: fetchurl: store path name '${storeName}' ${nameProblem storeName}, which Nix rejects (\"store path ... contains illegal character\"); pass `name = \"<the real file name>\"`";

      curlOptsWarning = lib.warnIf (builtins.isList curlOpts) "fetchurl for ${toString (head urlList)}: curlOpts is a list (${builtins.toJSON curlOpts}), which is not supported anymore; use curlOptsList" true;
    in
    {
      inherit
        fetched
        nameCheck
        stubLimits
        curlOptsWarning
        storeName
        urlList
        url
        meta
        passthru
        preferLocalBuild
        ;
    };

  fromAttrs =
    attrs:
    let
      r = fetchurlAttrs attrs;
    in
    lib.extendDerivation (r.nameCheck && r.stubLimits && r.curlOptsWarning) (
      {
        name = r.storeName;
        urls = r.urlList;
        inherit (r) meta;
        passthru = {
          inherit (r) url;
          resolvedUrl = r.url;
        }
        // r.passthru;
        inherit (r) url;
        resolvedUrl = r.url;
        # nixpkgs passes these to the derivation, so they are attributes of it.
        netrcPhase = attrs.netrcPhase or null;
        netrcImpureEnvVars = attrs.netrcImpureEnvVars or [ ];
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
      }
      // r.passthru
    ) r.fetched;
in
# Like nixpkgs, accept either an attribute set or `finalAttrs: { ... }`.
argsOrFn:
if builtins.isFunction argsOrFn then
  fromAttrs (lib.fix argsOrFn)
else
  fromAttrs argsOrFn
