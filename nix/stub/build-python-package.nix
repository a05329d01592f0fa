# lock2nix nix stub: stands in for nixpkgs
# `pkgs/development/interpreters/python/mk-python-derivation.nix`
# (buildPythonPackage / buildPythonApplication).
#
# Follows nixpkgs where nixpkgs decides (format/pyproject rules and messages,
# `doCheck` default false as in the 2026 branch, validatePythonMatches,
# `disabled`, passthru, dist output), and is STRICT where nixpkgs is lax:
#   * an argument name that neither mk-python-derivation.nix, a Python setup
#     hook nor stdenv.mkDerivation reads is an error (nixpkgs would silently
#     turn it into an environment variable);
#   * `format` must be one of the known formats, `pyproject` a bool or null;
#   * with `format = "wheel"` the src store name must be a wheel file name.
# Stub-only errors use `abort` (never caught by `builtins.tryEval`).
{
  lib,
  pkgs,
  python,
  requiredPythonModules,
}:
{
  namePrefix,
  toPythonModule,
  kind,
}:
{ userFn, extraPassthru }:
let
  inherit (lib)
    attrNames
    filter
    isDerivation
    optional
    optionalAttrs
    optionals
    ;

  stubError = msg: abort "lock2nix nix stub: ${kind}: ${msg}";

  # ------------------------------------------------------------------ allowed names
  # §2a: formals of mk-python-derivation.nix (union of the versions).
  pythonArgs = [
    "pname"
    "version"
    "name"
    "src"
    "srcs"
    "pyproject"
    "format"
    "build-system"
    "dependencies"
    "optional-dependencies"
    "propagatedBuildInputs"
    "nativeBuildInputs"
    "buildInputs"
    "pythonPath"
    "checkInputs"
    "nativeCheckInputs"
    "doCheck"
    "disabledTestPaths"
    "disabledTests"
    "pytestFlags"
    "pytestFlagsArray"
    "unittestFlags"
    "unittestFlagsArray"
    "enabledTests"
    "enabledTestPaths"
    "enabledTestMarks"
    "disabled"
    "catchConflicts"
    "dontWrapPythonPrograms"
    "makeWrapperArgs"
    "permitUserSite"
    "removeBinBytecode"
    "dontUsePipInstall"
    "strictDeps"
    "outputs"
    "meta"
    "passthru"
    "stdenv"
    "testPaths"
  ];

  # §2b: variables read by the Python setup hooks.
  hookArgs = [
    "pythonImportsCheck"
    "dontUsePythonImportsCheck"
    "pythonRelaxDeps"
    "pythonRemoveDeps"
    "dontCheckRuntimeDeps"
    "dontCheckPythonMetadata"
    "dontUsePythonCatchConflicts"
    "pythonNamespaces"
    "dontUsePypaInstall"
    "dontUseWheelUnpack"
    "dontUsePypaBuild"
    "pypaBuildFlags"
    "setupPyGlobalFlags"
    "setupPyBuildFlags"
    "autoPatchelfIgnoreMissingDeps"
    "runtimeDependencies"
    "appendRunpaths"
    "patchelfFlags"
    "dontAutoPatchelf"
  ];

  # Standard stdenv.mkDerivation attributes.
  phaseNames = [
    "unpack"
    "patch"
    "configure"
    "build"
    "check"
    "install"
    "fixup"
    "installCheck"
    "dist"
  ];
  capitalize = s: lib.toUpper (builtins.substring 0 1 s) + builtins.substring 1 (-1) s;
  stdenvArgs =
    lib.concatMap (p: [
      "${p}Phase"
      "pre${capitalize p}"
      "post${capitalize p}"
      "dont${capitalize p}"
    ]) phaseNames
    ++ [
      "doInstallCheck"
      "phases"
      "prePhases"
      "preConfigurePhases"
      "preBuildPhases"
      "preInstallPhases"
      "preFixupPhases"
      "preDistPhases"
      "postPhases"
      "buildCommand"
      "unpackCmd"
      "sourceRoot"
      "setSourceRoot"
      "dontMakeSourcesWritable"
      "patches"
      "patchFlags"
      "configureFlags"
      "configurePlatforms"
      "buildFlags"
      "installFlags"
      "makeFlags"
      "checkFlags"
      "installCheckFlags"
      "enableParallelBuilding"
      "dontStrip"
      "stripDebugList"
      "dontPatchELF"
      "dontPatchShebangs"
      "dontPruneLibtoolFiles"
      "dontMoveSbin"
      "separateDebugInfo"
      "propagatedNativeBuildInputs"
      "depsBuildBuild"
      "depsBuildBuildPropagated"
      "depsBuildTarget"
      "depsBuildTargetPropagated"
      "depsHostHost"
      "depsHostHostPropagated"
      "depsTargetTarget"
      "depsTargetTargetPropagated"
      "installCheckInputs"
      "nativeInstallCheckInputs"
      "env"
      "preferLocalBuild"
      "allowSubstitutes"
      "NIX_CFLAGS_COMPILE"
      "NIX_LDFLAGS"
      "LANG"
      "LC_ALL"
      "SOURCE_DATE_EPOCH"
      "hardeningDisable"
      "hardeningEnable"
      "allowedReferences"
      "allowedRequisites"
      "disallowedReferences"
      "disallowedRequisites"
      "impureEnvVars"
      "requiredSystemFeatures"
      "passAsFile"
      "shellHook"
      "setupHook"
      "__darwinAllowLocalNetworking"
      "pos"
    ];

  allowedNames = lib.genAttrs (pythonArgs ++ hookArgs ++ stdenvArgs) (_: true);

  formats = [
    "setuptools"
    "pyproject"
    "wheel"
    "egg"
    "other"
  ];

  # {distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl
  wheelFileRegex = "[^-]+-[^-]+(-[0-9][^-]*)?-[^-]+-[^-]+-[^-]+\\.whl";

  # The name a src has in the store, minus the hash (what `stripHash` gives).
  srcStoreName =
    src:
    if isDerivation src then
      src.name
    else if builtins.isPath src then
      baseNameOf src
    else if builtins.isString src && lib.hasPrefix builtins.storeDir src then
      builtins.substring 33 (-1) (baseNameOf src)
    else if builtins.isString src then
      baseNameOf src
    # A source with `outPath`, such as lib.cleanSourceWith's result: its store path.
    else if builtins.isAttrs src && src ? outPath then
      builtins.substring 33 (-1) (baseNameOf (toString src.outPath))
    else
      stubError "src must be a derivation, a path or a set with outPath, got a ${builtins.typeOf src}";

  isPythonModule = drv: drv ? pythonModule && !(builtins.isBool drv.pythonModule);

  # ------------------------------------------------------------------ the derivation
  attrs = userFn finalAttrs;
  finalAttrs = attrs // {
    inherit name;
    finalPackage = result;
  };

  # `stub*` attributes are the stub's own (mkPythonEditablePackage passes its data that way).
  unknown = filter (n: !(allowedNames ? ${n}) && !(lib.hasPrefix "stub" n)) (attrNames attrs);

  name =
    if attrs ? name then
      namePrefix + attrs.name
    else if attrs ? pname && attrs ? version then
      (
        if !(builtins.isString attrs.pname) then
          stubError "pname must be a string, got a ${builtins.typeOf attrs.pname}"
        else if !(builtins.isString attrs.version) then
          stubError "version of ${attrs.pname} must be a string, got a ${builtins.typeOf attrs.version}"
        else
          namePrefix + "${attrs.pname}-${attrs.version}"
      )
    else
      stubError "needs `pname` and `version` (or `name`); got only ${builtins.toJSON (attrNames attrs)}";

  pyproject =
    let
      v = attrs.pyproject or null;
    in
    if v == null || builtins.isBool v then
      v
    else
      stubError "${name}: pyproject must be a bool or null, got a ${builtins.typeOf v}";

  format =
    let
      v = attrs.format or null;
    in
    if v == null || lib.elem v formats then
      v
    else
      stubError "${name}: format = ${builtins.toJSON v} is not one of ${builtins.toJSON formats}";

  format' =
    assert (pyproject != null) -> (format == null);
    if pyproject != null then
      (if pyproject then "pyproject" else "other")
    else if format != null then
      format
    else
      throw "${name} does not configure a `format`. To build with setuptools as before, set `pyproject = true` and `build-system = [ setuptools ]`.`";

  listArg =
    argName:
    let
      v = attrs.${argName} or [ ];
    in
    if builtins.isList v then v else stubError "${name}: ${argName} must be a list, got a ${builtins.typeOf v}";

  dependencies = listArg "dependencies";
  build-system = listArg "build-system";
  optional-dependencies =
    let
      v = attrs.optional-dependencies or { };
    in
    if builtins.isAttrs v && !(isDerivation v) && builtins.all builtins.isList (builtins.attrValues v) then
      v
    else
      stubError "${name}: optional-dependencies must be an attribute set of lists";

  disabled = attrs.disabled or false;
  doCheck = attrs.doCheck or false;

  withDistOutput = lib.elem format' [
    "pyproject"
    "setuptools"
    "wheel"
  ];

  throwMismatch =
    attrName: drv:
    throw ''
      Python version mismatch in '${name}':

      The Python derivation '${name}' depends on a Python derivation
      named '${drv.name}', but the two derivations use different versions
      of Python:

          '${name}' uses ${python}
          '${drv.name}' uses ${toString drv.pythonModule}

      (the reference is in ${attrName}; use a package from the same
      interpreter's package set, or move build tools to nativeBuildInputs)
    '';

  validatePythonMatches =
    attrName:
    map (
      drv: if isPythonModule drv && drv.pythonModule != python then throwMismatch attrName drv else drv
    );

  propagatedBuildInputs = validatePythonMatches "propagatedBuildInputs" (
    listArg "propagatedBuildInputs" ++ dependencies ++ [ python ]
  );
  buildInputs = validatePythonMatches "buildInputs" (listArg "buildInputs" ++ listArg "pythonPath");
  nativeBuildInputs =
    [ python ]
    ++ optionals (lib.hasSuffix "zip" (if attrs ? src then srcStoreName attrs.src else "")) [ pkgs.unzip ]
    ++ listArg "nativeBuildInputs"
    ++ build-system;

  wheelCheck =
    if format' != "wheel" || attrs ? unpackPhase || attrs.dontUseWheelUnpack or false then
      true
    else if !(attrs ? src) then
      stubError "${name}: format = \"wheel\" needs `src`"
    else
      let
        n = srcStoreName attrs.src;
      in
      builtins.match wheelFileRegex n != null
      || stubError "${name}: format = \"wheel\" but the src store name '${n}' is not a wheel file name ({distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl); the wheel unpack/install hooks would fail. Give fetchurl `name = \"<the wheel's file name>\"`";

  enabledChecks = builtins.all (
    n:
    !(attrs ? ${n})
    || attrs.${n} == null
    || attrs.${n} != [ ]
    || throw "${name}: ${n} must be unspecified, null or a non-empty list."
  ) [ "enabledTests" "enabledTestPaths" "enabledTestMarks" ];

  passthru =
    {
      inherit disabled;
    }
    // optionalAttrs (dependencies != [ ]) { inherit dependencies; }
    // optionalAttrs (optional-dependencies != { }) { inherit optional-dependencies; }
    // optionalAttrs (build-system != [ ]) { inherit build-system; }
    // (attrs.passthru or { })
    // extraPassthru;

  mkDerivationArgs =
    removeAttrs attrs [
      "disabled"
      "checkPhase"
      "checkInputs"
      "nativeCheckInputs"
      "doCheck"
      "doInstallCheck"
      "pyproject"
      "format"
      "stdenv"
      "dependencies"
      "optional-dependencies"
      "build-system"
      "pythonPath"
      "passthru"
      "meta"
    ]
    // {
      inherit
        name
        nativeBuildInputs
        buildInputs
        propagatedBuildInputs
        passthru
        ;
      strictDeps = attrs.strictDeps or true;
      LANG = "${if pkgs.stdenv.hostPlatform.isDarwin then "en_US" else "C"}.UTF-8";
      doCheck = false;
      doInstallCheck = doCheck;
      nativeInstallCheckInputs = listArg "nativeCheckInputs" ++ attrs.nativeInstallCheckInputs or [ ];
      installCheckInputs = listArg "checkInputs" ++ attrs.installCheckInputs or [ ];
      outputs = (attrs.outputs or [ "out" ]) ++ optional withDistOutput "dist";
      meta = {
        platforms = python.meta.platforms;
      }
      // (attrs.meta or { });

      # Read by builder.py (the stub's stand-in for the Python setup hooks).
      stubPythonFormat = format';
      stubPythonKind = kind;
      stubSitePackages = python.sitePackages;
      stubPythonVersion = python.pythonVersion;
      stubSrcName = if attrs ? src then srcStoreName attrs.src else "";
      # Python path at run time (dependencies) and at build time (+ build-system).
      stubRuntimePythonPath = lib.makeSearchPath python.sitePackages (
        requiredPythonModules propagatedBuildInputs
      );
      stubBuildPythonPath = lib.makeSearchPath python.sitePackages (
        requiredPythonModules (propagatedBuildInputs ++ build-system ++ listArg "nativeBuildInputs")
      );
      # Evaluated with the derivation: stub-only sanity checks.
      stubChecks = wheelCheck && enabledChecks;
    }
    // optionalAttrs (attrs ? checkPhase) { installCheckPhase = attrs.checkPhase; };

  checked =
    if unknown != [ ] then
      stubError "${name}: unknown argument${if builtins.length unknown > 1 then "s" else ""} ${
        lib.concatMapStringsSep ", " (n: "'${n}'") unknown
      }. nixpkgs would silently pass ${
        if builtins.length unknown > 1 then "them" else "it"
      } to the builder as an environment variable (a misspelling like `pythonImportCheck` has no effect). Allowed: the formals of mk-python-derivation.nix, the Python setup-hook variables and stdenv.mkDerivation attributes."
    else
      mkDerivationArgs;

  drv = pkgs.stdenv.mkDerivation checked;

  result = lib.extendDerivation (
    disabled -> throw "${lib.removePrefix namePrefix name} not supported for interpreter ${python.executable}"
  ) { } (toPythonModule drv);
in
result
