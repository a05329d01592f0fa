# lock2nix itself, built from this source tree with nixpkgs' Rust builder and Cargo.lock.
# It runs `git` for git sources: the user's own git comes first on PATH (their credential
# helpers and insteadOf rules apply), nixpkgs' git after it.
{
  lib,
  rustPlatform,
  makeWrapper,
  git,
}:
let
  manifest = (builtins.fromTOML (builtins.readFile ../Cargo.toml)).package;
  root = toString ../.;
in
rustPlatform.buildRustPackage {
  pname = manifest.name;
  inherit (manifest) version;
  # The sources cargo reads, without build output and editor debris.
  src = lib.cleanSourceWith {
    src = ../.;
    name = "lock2nix-source";
    filter =
      path: type:
      lib.cleanSourceFilter path type
      && !(builtins.elem (lib.removePrefix "${root}/" (toString path)) [
        "target"
        "result"
      ]);
  };
  cargoLock.lockFile = ../Cargo.lock;
  nativeBuildInputs = [ makeWrapper ];
  postInstall = ''
    wrapProgram "$out/bin/lock2nix" --suffix PATH : ${lib.makeBinPath [ git ]}
  '';
  # The test suite needs Nix and loopback servers; CI (`.ci/run`) runs it.
  doCheck = false;
  meta = {
    inherit (manifest) description;
    license = with lib.licenses; [
      mit
      asl20
    ];
    mainProgram = "lock2nix";
  };
}
