{
  description = "lock2nix: a Python project's lock file as one pure, multi-platform Nix file of buildPythonPackage derivations";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: {
        default = pkgs.callPackage ./nix/package.nix { };
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = "${self.packages.${pkgs.stdenv.hostPlatform.system}.default}/bin/lock2nix";
        };
      });

      overlays.default = final: prev: {
        lock2nix = final.callPackage ./nix/package.nix { };
      };

      # mkPythonSet, mkEnv, mkApplication, mkDevShell: each takes `pkgs` with its other arguments
      # (see nix/default.nix).
      lib = import ./nix { };

      templates.default = {
        path = ./nix/template;
        description = "A Poetry project with a dev shell, direnv and VSCode settings (what `lock2nix init` writes)";
      };

      # For working on lock2nix itself.
      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.stdenv.hostPlatform.system}.default ];
        };
      });
    };
}
