# lock2nix nix tests: self-tests of the nix stub. Each attribute is one case,
# evaluated alone by tests/nix_stub.rs:
#
#   nix-instantiate --eval --strict --json nix/tests/stub-selftest.nix -A <case>
#
# Cases named `fail*` must make the evaluation FAIL (the Rust test checks the
# message); all other cases must evaluate to `true` (or, for `info*`, to data
# the Rust test inspects). Nothing here builds or downloads anything.
{
  stub ? ../stub,
  system ? "x86_64-linux",
}:
let
  pkgs = import stub { inherit system; };
  inherit (pkgs) lib;
  py = pkgs.python311;

  sha = "sha256-eK5G+l0cJlcyfYic1BiZC5Kpqhe3X5AZe/Cq/20zbCY=";
  url = "https://example.invalid/packages/six-1.16.0-py2.py3-none-any.whl";

  wheelSrc = pkgs.fetchurl {
    inherit url;
    hash = sha;
  };

  # A correct wheel package, in any interpreter's set.
  sixFor =
    ps: extra:
    ps.buildPythonPackage (
      {
        pname = "six";
        version = "1.16.0";
        format = "wheel";
        src = wheelSrc;
        doCheck = false;
      }
      // extra
    );

  six = sixFor py.pkgs { };

  # The documented user pattern, with an overlay.
  withOverlay =
    interp: overlay:
    let
      p = interp.override {
        packageOverrides = overlay;
        self = p;
      };
    in
    p;

  force = x: builtins.seq x.drvPath true;

  sampleOverlay = import ./fixtures/sample-overlay.nix;
in
{
  # ------------------------------------------------------------------ fetchurl
  failFetchurlUnexpectedArgument =
    (pkgs.fetchurl {
      inherit url;
      hash = sha;
      sha256sum = "0";
    }).drvPath;

  failFetchurlTwoHashes =
    (pkgs.fetchurl {
      inherit url;
      hash = sha;
      sha256 = "78ae46fa5d1c2657327d889cd418990b92a9aa17b75f90197bf0aaff6d336c26";
    }).drvPath;

  failFetchurlUrlAndUrls =
    (pkgs.fetchurl {
      inherit url;
      urls = [ url ];
      hash = sha;
    }).drvPath;

  failFetchurlNoUrl = (pkgs.fetchurl { hash = sha; }).drvPath;

  # The basename of a URL with a local version (+cpu) is not a store name.
  failFetchurlPercentName =
    (pkgs.fetchurl {
      url = "https://example.invalid/packages/torch-2.5.1%2Bcpu-cp311-cp311-linux_x86_64.whl";
      hash = sha;
    }).drvPath;

  fetchurlPercentNameWithName =
    let
      f = pkgs.fetchurl {
        name = "torch-2.5.1+cpu-cp311-cp311-linux_x86_64.whl";
        url = "https://example.invalid/packages/torch-2.5.1%2Bcpu-cp311-cp311-linux_x86_64.whl";
        hash = sha;
      };
    in
    force f && f.name == "torch-2.5.1+cpu-cp311-cp311-linux_x86_64.whl";

  fetchurlIsFixedOutput =
    wheelSrc.outputHash == sha
    && wheelSrc.name == "six-1.16.0-py2.py3-none-any.whl"
    && wheelSrc.url == url
    && wheelSrc.passthru.url == url
    && force wheelSrc;

  # No hash is not an evaluation error (nixpkgs uses lib.fakeHash).
  fetchurlNoHashUsesFakeHash = (pkgs.fetchurl { inherit url; }).outputHash == lib.fakeHash;

  fetchurlHexSha256AndUrls =
    let
      f = pkgs.fetchurl {
        urls = [
          url
          "https://example.invalid/mirror/six-1.16.0-py2.py3-none-any.whl"
        ];
        sha256 = "78ae46fa5d1c2657327d889cd418990b92a9aa17b75f90197bf0aaff6d336c26";
      };
    in
    force f && f.outputHashAlgo == "sha256";

  fetchurlFinalAttrsForm =
    let
      f = pkgs.fetchurl (finalAttrs: {
        pname = "six";
        version = "1.16.0";
        url = "https://example.invalid/${finalAttrs.pname}.whl";
        hash = sha;
      });
    in
    force f && f.name == "six-1.16.0";

  # ------------------------------------------------------------------ fetchgit
  fetchgitDefaults =
    let
      gitUrl = "https://example.invalid/owner/repo.git";
      rev = "0123456789abcdef0123456789abcdef01234567";
      f = pkgs.fetchgit {
        url = gitUrl;
        inherit rev;
        hash = sha;
      };
    in
    force f
    && f.name == "repo-0123456"
    && f.outputHash == sha
    && f.outputHashMode == "recursive"
    && f.rev == rev
    && f.url == gitUrl
    && f.fetchSubmodules == true
    && f.leaveDotGit == false
    && f.gitRepoUrl == gitUrl
    && f.passthru.gitRepoUrl == gitUrl;

  fetchgitTagSha256AndNoHash =
    let
      tagged = pkgs.fetchgit {
        url = "git://example.invalid/some/project";
        tag = "v1.2";
        sha256 = "78ae46fa5d1c2657327d889cd418990b92a9aa17b75f90197bf0aaff6d336c26";
        fetchSubmodules = false;
      };
      unhashed = pkgs.fetchgit {
        url = "https://example.invalid/repo";
        rev = "abcdef0123456789abcdef0123456789abcdef01";
      };
    in
    force tagged
    && tagged.rev == "refs/tags/v1.2"
    && tagged.name == "project"
    && tagged.outputHashAlgo == "sha256"
    && tagged.fetchSubmodules == false
    && unhashed.outputHash == lib.fakeHash
    && unhashed.name == "repo-abcdef0"
    && force unhashed;

  failFetchgitUnexpectedArgument =
    (pkgs.fetchgit {
      url = "https://example.invalid/repo.git";
      rev = "0123456789abcdef0123456789abcdef01234567";
      hash = sha;
      submodules = true;
    }).drvPath;

  failFetchgitTwoHashes =
    (pkgs.fetchgit {
      url = "https://example.invalid/repo.git";
      rev = "0123456789abcdef0123456789abcdef01234567";
      hash = sha;
      sha256 = "78ae46fa5d1c2657327d889cd418990b92a9aa17b75f90197bf0aaff6d336c26";
    }).drvPath;

  failFetchgitRevAndTag =
    (pkgs.fetchgit {
      url = "https://example.invalid/repo.git";
      rev = "0123456789abcdef0123456789abcdef01234567";
      tag = "v1";
      hash = sha;
    }).drvPath;

  failFetchgitLeaveDotGit =
    (pkgs.fetchgit {
      url = "https://example.invalid/repo.git";
      rev = "0123456789abcdef0123456789abcdef01234567";
      hash = sha;
      leaveDotGit = true;
    }).drvPath;

  failFetchgitPostFetch =
    (pkgs.fetchgit {
      url = "https://example.invalid/repo.git";
      rev = "0123456789abcdef0123456789abcdef01234567";
      hash = sha;
      postFetch = "rm -r $out/docs";
    }).drvPath;

  # ------------------------------------------------------------------ buildPythonPackage
  failBothFormatAndPyproject =
    (sixFor py.pkgs {
      pyproject = true;
    }).drvPath;

  failNeitherFormatNorPyproject =
    (py.pkgs.buildPythonPackage {
      pname = "six";
      version = "1.16.0";
      src = wheelSrc;
    }).drvPath;

  failUnknownArgument =
    (sixFor py.pkgs {
      pythonImportCheck = [ "six" ];
    }).drvPath;

  # Stub-only errors abort: tryEval cannot hide them.
  failUnknownArgumentNotCaughtByTryEval =
    (builtins.tryEval (sixFor py.pkgs { pythonImportCheck = [ "six" ]; }).drvPath).success;

  failPyprojectNotBool =
    (py.pkgs.buildPythonPackage {
      pname = "six";
      version = "1.16.0";
      pyproject = "true";
      src = wheelSrc;
    }).drvPath;

  failUnknownFormat =
    (sixFor py.pkgs {
      format = "flit";
    }).drvPath;

  failWheelWithBadFileName =
    (sixFor py.pkgs {
      src = pkgs.fetchurl {
        url = "https://example.invalid/download?file=six";
        name = "six.whl";
        hash = sha;
      };
    }).drvPath;

  failMissingVersion =
    (py.pkgs.buildPythonPackage {
      pname = "six";
      format = "wheel";
      src = wheelSrc;
    }).drvPath;

  failVersionNotString =
    (py.pkgs.buildPythonPackage {
      pname = "six";
      version = 1;
      format = "wheel";
      src = wheelSrc;
    }).drvPath;

  failDependenciesNotList = (sixFor py.pkgs { dependencies = py.pkgs.setuptools; }).drvPath;

  failDisabled = (sixFor py.pkgs { disabled = true; }).drvPath;

  failPythonVersionMismatch =
    (sixFor py.pkgs {
      dependencies = [ (sixFor pkgs.python312.pkgs { pname = "idna"; }) ];
    }).drvPath;

  failMetaPlatforms =
    let
      darwinPkgs = import stub { system = "aarch64-darwin"; };
    in
    (darwinPkgs.python311.pkgs.buildPythonPackage {
      pname = "linuxonly";
      version = "1.0";
      pyproject = false;
      dontUnpack = true;
      installPhase = "mkdir -p $out";
      meta.platforms = lib.platforms.linux;
    }).drvPath;

  failEmptyEnabledTests = (sixFor py.pkgs { enabledTests = [ ]; }).drvPath;

  # The wheel format and standard stdenv/hook attributes are accepted.
  acceptsDocumentedArguments = force (
    sixFor py.pkgs {
      pythonImportsCheck = [ "six" ];
      pythonRelaxDeps = true;
      dontCheckPythonMetadata = false;
      dontCheckRuntimeDeps = true;
      nativeBuildInputs = [ pkgs.autoPatchelfHook ];
      buildInputs = [ pkgs.zlib pkgs.stdenv.cc.cc.lib ];
      autoPatchelfIgnoreMissingDeps = [ "libcuda.so.1" ];
      postInstall = "true";
      env.NIX_CFLAGS_COMPILE = "-O2";
      meta.description = "six";
      passthru.foo = 1;
      preferLocalBuild = true;
    }
  );

  doCheckDefaultsToFalse = six.doInstallCheck == false && six.doCheck == false;

  nameAndOutputs =
    six.name == "python3.11-six-1.16.0"
    && six.outputs == [
      "out"
      "dist"
    ]
    && six.pname == "six"
    && six.version == "1.16.0";

  pythonModuleAndRequired =
    let
      dep = sixFor py.pkgs { pname = "idna"; };
      top = sixFor py.pkgs { dependencies = [ dep ]; };
    in
    top.pythonModule == py
    && map (d: d.name) top.requiredPythonModules == [
      py.name
      dep.name
    ]
    && py.pkgs.hasPythonModule top
    && !(pkgs.python312.pkgs.hasPythonModule top);

  passthruOnlyWhenNonEmpty =
    let
      dep = sixFor py.pkgs { pname = "idna"; };
      full = sixFor py.pkgs {
        dependencies = [ dep ];
        optional-dependencies.socks = [ dep ];
        build-system = [ py.pkgs.setuptools ];
      };
    in
    !(six ? dependencies)
    && !(six ? optional-dependencies)
    && !(six ? build-system)
    && full.dependencies == [ dep ]
    && full.optional-dependencies.socks == [ dep ]
    && full.build-system == [ py.pkgs.setuptools ]
    && force full;

  overridePythonAttrs =
    let
      a = six.overridePythonAttrs { version = "1.17.0"; };
      b = a.overridePythonAttrs (old: {
        pname = old.pname + "-fork";
      });
      c = py.pkgs.buildPythonPackage (finalAttrs: {
        pname = "six";
        version = "1.16.0";
        format = "wheel";
        src = pkgs.fetchurl {
          url = "https://example.invalid/${finalAttrs.pname}-${finalAttrs.version}-py3-none-any.whl";
          hash = sha;
        };
      });
    in
    a.name == "python3.11-six-1.17.0"
    && b.name == "python3.11-six-fork-1.17.0"
    && (c.overridePythonAttrs { version = "2.0"; }).src.name == "six-2.0-py3-none-any.whl";

  applicationIsNotAModule =
    let
      app = py.pkgs.buildPythonApplication {
        pname = "tool";
        version = "1.0";
        format = "wheel";
        src = pkgs.fetchurl {
          url = "https://example.invalid/tool-1.0-py3-none-any.whl";
          hash = sha;
        };
      };
    in
    app.name == "tool-1.0" && !(app ? pythonModule) && force app;

  # ------------------------------------------------------------------ package set
  failEnsurePythonModules =
    let
      p = withOverlay py (
        final: prev: {
          notpython = pkgs.stdenv.mkDerivation {
            name = "notpython";
            buildCommand = "mkdir $out";
          };
        }
      );
    in
    p.pkgs.notpython.drvPath;

  ensurePythonModulesAcceptsModulesAndHooks =
    let
      p = withOverlay py (
        final: prev: {
          wrapped = final.toPythonModule (
            pkgs.stdenv.mkDerivation {
              name = "wrapped";
              buildCommand = "mkdir $out";
            }
          );
        }
      );
    in
    force p.pkgs.wrapped && force p.pkgs.pythonRelaxDepsHook && force p.pkgs.python;

  secondOverrideReplacesPackageOverrides =
    let
      first = py.override {
        packageOverrides = final: prev: { fromFirst = sixFor final { pname = "first"; }; };
      };
      second = first.override {
        packageOverrides = final: prev: { fromSecond = sixFor final { pname = "second"; }; };
      };
    in
    first.pkgs ? fromFirst && second.pkgs ? fromSecond && !(second.pkgs ? fromFirst);

  # prev is the base set (nixpkgs' packages); final is the overridden one.
  overlayPrevIsBaseSet =
    let
      p = withOverlay py (
        final: prev: {
          setuptools = sixFor final {
            pname = "setuptools";
            version = "99.0";
          };
          probe = {
            prevVersion = prev.setuptools.version;
            finalVersion = final.setuptools.version;
            prevIsStub = prev.setuptools.lock2nixStub or false;
          };
        }
      );
    in
    p.pkgs.probe == {
      prevVersion = "80.9.0";
      finalVersion = "99.0";
      prevIsStub = true;
    };

  # base <- hooks <- nixpkgs packages <- pythonPackagesExtensions <- packageOverrides
  compositionOrder =
    let
      top = pkgs.extend (
        final: prev: {
          pythonPackagesExtensions = prev.pythonPackagesExtensions ++ [
            (pfinal: pprev: { order = [ "extension1" ]; })
            (pfinal: pprev: { order = pprev.order ++ [ "extension2" ]; })
          ];
        }
      );
      p = top.python311.override {
        packageOverrides = pfinal: pprev: { order = pprev.order ++ [ "packageOverrides" ]; };
      };
    in
    p.pkgs.order == [
      "extension1"
      "extension2"
      "packageOverrides"
    ]
    # extensions reach every interpreter
    && top.python312.pkgs.order == [
      "extension1"
      "extension2"
    ];

  # Without `self = ...`, `python` inside the set stays the top-level
  # interpreter (as in nixpkgs); the overrides are still in `.pkgs`.
  selfDefaultsToTopLevel =
    let
      p = py.override { packageOverrides = final: prev: { extra = sixFor final { }; }; };
    in
    p.pkgs ? extra && p.pkgs.python.outPath == py.outPath;

  overrideScopeLeavesInterpreterAlone =
    let
      scope = py.pkgs.overrideScope (final: prev: { extra = sixFor final { }; });
    in
    scope ? extra && !(py.pkgs ? extra);

  withPackagesDropsNonModules =
    let
      app = py.pkgs.buildPythonApplication {
        pname = "tool";
        version = "1.0";
        format = "wheel";
        src = pkgs.fetchurl {
          url = "https://example.invalid/tool-1.0-py3-none-any.whl";
          hash = sha;
        };
      };
      other = sixFor pkgs.python312.pkgs { pname = "other"; };
      env = py.withPackages (ps: [
        six
        app
        other
      ]);
    in
    map (d: d.name) env.stubEnvPaths == [
      py.name
      six.name
    ]
    && force env
    && env.interpreter == "${env}/bin/python3.11";

  buildEnvIsDerivationWithOverride =
    lib.isDerivation py.buildEnv && force (py.buildEnv.override { extraLibs = [ six ]; });

  interpreterAttributes =
    py.pythonVersion == "3.11"
    && py.libPrefix == "python3.11"
    && py.sitePackages == "lib/python3.11/site-packages"
    && py.executable == "python3.11"
    && py.pkgs.python.pythonVersion == "3.11"
    && pkgs.python3.pythonVersion == "3.13"
    && pkgs.python3Packages.python.pythonVersion == "3.13"
    && pkgs.python39.pythonVersion == "3.9"
    && pkgs.python314.pythonVersion == "3.14"
    && py.isPy311
    && py.pythonAtLeast "3.10"
    && py.pythonOlder "3.12";

  nixpkgsBuildBackendsExist = builtins.all (n: force py.pkgs.${n}) [
    "setuptools"
    "wheel"
    "hatchling"
    "poetry-core"
    "flit-core"
    "pip"
    "cython"
    "setuptools-scm"
    "pdm-backend"
    "maturin"
    "packaging"
  ];

  # Every Python package overrides/nixpkgs-attributes.txt lists (`python3Packages.<name>`,
  # which generated files use as `prev.<name>` unguarded) is in the stub's package sets.
  listedPythonPackagesExist =
    let
      lines = builtins.filter builtins.isString (
        builtins.split "\n" (builtins.readFile ../../overrides/nixpkgs-attributes.txt)
      );
      prefix = "python3Packages.";
      listed = map (l: lib.removePrefix prefix l) (builtins.filter (lib.hasPrefix prefix) lines);
    in
    builtins.length listed > 30
    && builtins.all (n: force py.pkgs.${n} && force pkgs.python3Packages.${n}) listed;

  platformAttributes =
    let
      p = s: (import stub { system = s; }).stdenv.hostPlatform;
    in
    (p "x86_64-linux").isLinux
    && (p "aarch64-darwin").isDarwin
    && (p "aarch64-darwin").parsed.cpu.name == "aarch64"
    && (p "x86_64-darwin").system == "x86_64-darwin";

  failUnknownSystem = (import stub { system = "riscv64-linux"; }).python311.drvPath;

  # ------------------------------------------------------------------ generated-file shape
  # The sample overlay evaluates for every system (torch only on Linux).
  sampleOverlayAllSystems = builtins.all (
    s:
    let
      r = import ./eval-overlay.nix {
        overlay = ./fixtures/sample-overlay.nix;
        root = "myproject";
        system = s;
        python = "3.11";
        inherit stub;
      };
    in
    builtins.isString r.env
    && r.count == 8
    && r.throws == (if lib.hasSuffix "darwin" s then [ "torch" ] else [ ])
  ) [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];

  # A correct wheel package + withPackages instantiates for all four systems.
  infoWheelEnvAllSystems = map (
    s:
    let
      spkgs = import stub { system = s; };
      p = withOverlay spkgs.python311 (final: prev: { six = sixFor final { }; });
    in
    {
      system = s;
      env = (p.withPackages (ps: [ ps.six ])).drvPath;
      six = p.pkgs.six.drvPath;
    }
  ) [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];

  infoSampleOverlayKeys = builtins.attrNames (sampleOverlay { inherit pkgs; } null null);

  # tools.nix: nixpkgs' formals for what the helpers and the flake use.
  mkShellKeepsItsInputsAndHook =
    let
      shell = pkgs.mkShell {
        packages = [ pkgs.git ];
        shellHook = "echo hi";
        FOO = "bar";
      };
    in
    shell.name == "nix-shell" && shell.shellHook == "echo hi" && shell.FOO == "bar" && shell.nativeBuildInputs == [ pkgs.git ];
  failEditableRootNotString = (py.pkgs.mkPythonEditablePackage {
    pname = "a";
    version = "1";
    root = ./.;
  }).drvPath;
  failEditableUnexpectedArgument = (py.pkgs.mkPythonEditablePackage {
    pname = "a";
    version = "1";
    root = "$REPO_ROOT";
    src = ./.;
  }).drvPath;
  poetryOverrideChangesItsPython =
    (pkgs.poetry.override { python3 = pkgs.python312; }).python.pythonVersion == "3.12"
    && pkgs.poetry.python.pythonVersion == "3.13";
  failPoetryUnexpectedArgument = (pkgs.poetry.override { python = pkgs.python312; }).drvPath;
  failRustWithoutVendoring = (pkgs.rustPlatform.buildRustPackage {
    pname = "x";
    version = "1";
    src = ./.;
  }).drvPath;
  failRustLockFileAndContents = (pkgs.rustPlatform.buildRustPackage {
    pname = "x";
    version = "1";
    src = ./.;
    cargoLock = {
      lockFile = ../../Cargo.lock;
      lockFileContents = "";
    };
  }).passthru.cargoDeps.drvPath;
  failRustCrateWithoutChecksum = (pkgs.rustPlatform.buildRustPackage {
    pname = "x";
    version = "1";
    src = ./.;
    cargoLock.lockFileContents = ''
      [[package]]
      name = "a"
      version = "1.0.0"
      source = "registry+https://github.com/rust-lang/crates.io-index"
    '';
  }).passthru.cargoDeps.drvPath;
}
