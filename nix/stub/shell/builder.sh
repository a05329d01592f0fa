# lock2nix nix stub: the builder of mkShell's derivation (bash, as `nix develop` requires).
source "$stdenv/setup"
genericBuild
