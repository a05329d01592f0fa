{
  description = "A Python project whose dependencies lock2nix generated from poetry.lock";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    lock2nix.url = "github:lock2nix/lock2nix";
    lock2nix.inputs.nixpkgs.follows = "nixpkgs";
  };

  outputs =
    {
      self,
      nixpkgs,
      lock2nix,
    }:
    let
      forAllSystems =
        f:
        nixpkgs.lib.genAttrs [
          "x86_64-linux"
          "aarch64-linux"
          "x86_64-darwin"
          "aarch64-darwin"
        ] (system: f nixpkgs.legacyPackages.${system});
      # What every helper takes: nixpkgs, the interpreter, the file `lock2nix` generated
      # (regenerate it with `lock2nix -o python-packages.nix` after `poetry lock`), and your
      # own fixes as Python overlays composed after it.
      project = pkgs: {
        inherit pkgs;
        python = pkgs.python3;
        packages = ./python-packages.nix;
        overlays = [ ];
      };
    in
    {
      packages = forAllSystems (pkgs: {
        # The project's main dependencies (and the project) in one Python environment.
        default = lock2nix.lib.mkEnv (project pkgs);
        # The project as an application: its console scripts, without its dev groups.
        app = lock2nix.lib.mkApplication (project pkgs);
      });

      # `nix develop`, or direnv: every group and extra, the project and its `develop = true`
      # paths editable from the working tree, Poetry and lock2nix.
      devShells = forAllSystems (pkgs: {
        default = lock2nix.lib.mkDevShell (project pkgs);
      });
    };
}
