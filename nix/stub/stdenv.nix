# lock2nix nix stub: stands in for nixpkgs `pkgs/stdenv/generic/default.nix`,
# `pkgs/stdenv/generic/make-derivation.nix` and `pkgs/stdenv/generic/check-meta.nix`
# (plus the platform records of `lib/systems/`).
#
# `mkDerivation` returns a real `builtins.derivation`. With `hostPython` set and
# the machine's own system, its builder is `builder.py` run by that Python,
# which executes the usual phases (unpack, patch, configure, build, install,
# fixup, installCheck, dist) with bash; otherwise the derivation instantiates
# for any system but refuses to build.
{
  lib,
  system,
  buildSystem,
  hostPython,
}:
let
  inherit (lib)
    elem
    isDerivation
    isFunction
    imap1
    ;

  platformFor =
    sys:
    let
      parts = lib.splitString "-" sys;
      cpu = builtins.elemAt parts 0;
      kernel = builtins.elemAt parts 1;
      isLinux = kernel == "linux";
      isDarwin = kernel == "darwin";
    in
    {
      system = sys;
      config = if isLinux then "${cpu}-unknown-linux-gnu" else "${cpu}-apple-darwin";
      inherit isLinux isDarwin;
      isUnix = true;
      isWindows = false;
      isx86_64 = cpu == "x86_64";
      isx86 = cpu == "x86_64";
      isAarch64 = cpu == "aarch64";
      isAarch = cpu == "aarch64";
      is64bit = true;
      isMusl = false;
      isStatic = false;
      libc = if isLinux then "glibc" else "libSystem";
      darwinMinVersion = if cpu == "aarch64" then "11.0" else "10.12";
      darwinSdkVersion = "11.3";
      parsed = {
        cpu = {
          name = cpu;
          bits = 64;
          family = if cpu == "x86_64" then "x86" else "arm";
        };
        kernel.name = kernel;
        abi.name = if isLinux then "gnu" else "unknown";
        vendor.name = if isLinux then "unknown" else "apple";
      };
      uname.system = if isLinux then "Linux" else "Darwin";
      canExecute = other: (other.system or other) == sys;
    };

  hostPlatform = platformFor system;
  buildPlatform = platformFor system; # the stub does not cross-compile

  canBuild = hostPython != null && system == buildSystem;

  builderAttrs =
    if canBuild then
      {
        builder = hostPython;
        args = [
          "-I"
          "-B"
          ./builder.py
        ];
        stubHostPython = hostPython;
        stubBuilder = ./builder.py;
      }
    else
      {
        builder = "/bin/sh";
        args = [
          "-c"
          (
            "echo 'lock2nix nix stub: this derivation cannot be built: '"
            + (
              if hostPython == null then
                "'the stub was imported without hostPython' >&2; exit 1"
              else
                "'it is for ${system}, not for this machine (${buildSystem})' >&2; exit 1"
            )
          )
        ];
      };

  # The dependency lists make-derivation.nix checks element by element.
  dependencyListNames = [
    "depsBuildBuild"
    "depsBuildBuildPropagated"
    "nativeBuildInputs"
    "propagatedNativeBuildInputs"
    "depsBuildTarget"
    "depsBuildTargetPropagated"
    "depsHostHost"
    "depsHostHostPropagated"
    "buildInputs"
    "propagatedBuildInputs"
    "depsTargetTarget"
    "depsTargetTargetPropagated"
    "nativeInstallCheckInputs"
    "installCheckInputs"
  ];

  checkDependencyList =
    drvName: listName: deps:
    if !builtins.isList deps then
      throw "${listName} of ${drvName} must be a list, got a ${builtins.typeOf deps}"
    else
      imap1 (
        index: dep:
        if dep == null || isDerivation dep || builtins.isString dep || builtins.isPath dep then
          dep
        else if builtins.isList dep then
          checkDependencyList drvName listName dep
        else
          throw "Dependency is not of a valid type: element ${toString index} of ${listName} for ${drvName}"
      ) deps;

  # check-meta.nix: broken and unsupported-platform packages refuse to evaluate.
  metaProblem =
    drvName: meta:
    let
      platforms = meta.platforms or null;
      badPlatforms = meta.badPlatforms or [ ];
      matches = p: if builtins.isString p then p == system else false;
    in
    if meta.broken or false then
      "Package ‘${drvName}’ is marked as broken, refusing to evaluate."
    else if
      (platforms != null && !(builtins.any matches platforms)) || builtins.any matches badPlatforms
    then
      ''
        Package ‘${drvName}’ is not available on the requested hostPlatform:
          hostPlatform.system = "${system}"
          package.meta.platforms = ${builtins.toJSON (map toString platforms)}
          package.meta.badPlatforms = ${builtins.toJSON (map toString badPlatforms)}''
    else
      null;

  applyOverride =
    f: final: prev:
    let
      r = f prev;
    in
    if isFunction r then f final prev else r;

  # attrsFn: finalAttrs -> attrs
  makeFromFn =
    attrsFn:
    let
      attrs = attrsFn finalAttrs;
      finalAttrs = attrs // {
        finalPackage = result;
      };

      drvName =
        if attrs ? name then
          attrs.name
        else if attrs ? pname && attrs ? version then
          "${attrs.pname}-${attrs.version}"
        else
          abort "lock2nix nix stub: mkDerivation needs `name` or `pname` and `version`";

      env = attrs.env or { };
      envClash = builtins.filter (n: attrs ? ${n}) (builtins.attrNames env);

      drvAttrs =
        builderAttrs
        // removeAttrs attrs [
          "passthru"
          "meta"
          "env"
          "pos"
          "finalPackage"
          "name"
        ]
        // lib.genAttrs (builtins.filter (n: attrs ? ${n}) dependencyListNames) (
          n: checkDependencyList drvName n attrs.${n}
        )
        // (
          if envClash != [ ] then
            throw "The `env` attribute set cannot contain any attributes passed to derivation. The following attributes are overlapping: ${toString envClash}"
          else
            env
        )
        // {
          name = drvName;
          inherit system;
          outputs = attrs.outputs or [ "out" ];
        };

      drv = derivation drvAttrs;
      problem = metaProblem drvName (attrs.meta or { });

      result = lib.extendDerivation (problem == null || throw problem) (
        (attrs.passthru or { })
        // {
          meta = attrs.meta or { };
          passthru = attrs.passthru or { };
          inherit stdenv;
          overrideAttrs =
            f:
            makeFromFn (
              final:
              let
                prev = attrsFn final;
              in
              prev // applyOverride f final prev
            );
        }
      ) drv;
    in
    result;

  mkDerivation =
    fnOrAttrs:
    if isFunction fnOrAttrs then
      makeFromFn fnOrAttrs
    else if builtins.isAttrs fnOrAttrs then
      makeFromFn (_: fnOrAttrs)
    else
      throw "mkDerivation: expected an attribute set or a function, got a ${builtins.typeOf fnOrAttrs}";

  stdenv = {
    inherit
      hostPlatform
      buildPlatform
      system
      mkDerivation
      ;
    targetPlatform = hostPlatform;
    inherit (hostPlatform) isLinux isDarwin;
    isx86_64 = hostPlatform.isx86_64;
    isAarch64 = hostPlatform.isAarch64;
    # `stdenv.cc.cc.lib` is what binary wheels usually add for libstdc++.
    cc = {
      isClang = hostPlatform.isDarwin;
      isGNU = hostPlatform.isLinux;
      cc.lib = mkDerivation {
        pname = "cc-lib";
        version = "stub";
        buildCommand = ''mkdir -p "$out/lib"'';
      };
    };
    # Whether this stub can actually build (not a nixpkgs attribute).
    lock2nixStubCanBuild = canBuild;
  };
in
stdenv
