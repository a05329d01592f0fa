//! `lock2nix overrides list` and `lock2nix overrides show NAME`.

use super::{KNOWN, name};
use crate::overrides::{Database, format_list, format_show};

fn sample() -> Database {
    let torch = r#"
[[override]]
package = "torch"
versions = ">=2.0,<3"
applies-to = "wheel"
reason = "manylinux wheel links libstdc++ and zlib"
link = "https://example.org/torch"
native-build-inputs = ["autoPatchelfHook"]
build-inputs = ["stdenv.cc.cc.lib", "zlib"]
auto-patchelf-ignore-missing-deps = ["libcuda.so.1"]
python-relax-deps = true

[[override]]
package = "torch"
applies-to = "sdist"
reason = "builds from source only with its own tools"
link = "https://example.org/torch-src"
build-system = ["setuptools", "Cython"]
env = { USE_CUDA = "0", MAX_JOBS = "2" }
pre-build = 'export HOME="$TMPDIR"'
artifact = "sdist"
"#;
    let nvidia = r#"
[[override]]
package = "nvidia-*"
reason = "the driver provides libcuda at run time"
link = "https://example.org/nvidia"
runtime-dependencies = ["cudaPackages.cuda_cudart"]
python-remove-deps = ["nvidia-nccl-cu12"]

[[override]]
package = "typing"
versions = "<3.10"
reason = "in the standard library"
link = "https://example.org/typing"
drop = true
"#;
    let files = [("overrides/packages/nvidia.toml", nvidia), ("overrides/packages/torch.toml", torch)];
    Database::from_builtin_texts(&files, None, Some(KNOWN))
        .unwrap()
        .with_user_text(
            "[[override]]\npackage = \"nvidia-cublas-cu12\"\nreason = \"mine\"\nlink = \"https://example.org/mine\"\ndependencies = [\"numpy\"]\npost-install = \"\"\"\nrm -r $out/share\ntouch $out/ok\n\"\"\"\n",
            "my-overrides.toml",
        )
        .unwrap()
}

#[test]
fn list_is_one_aligned_line_per_entry() {
    insta::assert_snapshot!(format_list(&sample()), @r"
    PACKAGE             VERSIONS   APPLIES-TO  ADDS                                                                                               REASON
    nvidia-*            *          both        runtime-dependencies(1) python-remove-deps(1)                                                      the driver provides libcuda at run time
    typing              <3.10      both        drop                                                                                               in the standard library
    torch               >=2.0, <3  wheel       native-build-inputs(1) build-inputs(2) auto-patchelf-ignore-missing-deps(1) python-relax-deps=all  manylinux wheel links libstdc++ and zlib
    torch               *          sdist       build-system(2) env(2) artifact=sdist pre-build                                                    builds from source only with its own tools
    nvidia-cublas-cu12  *          both        dependencies(1) post-install                                                                       mine
    ");
    assert_eq!(format_list(&Database::empty()), "no override entries\n");
}

#[test]
fn show_prints_every_matching_entry_with_origin_and_link() {
    let db = sample();
    insta::assert_snapshot!(format_show(&db, "torch").unwrap(), @r#"
    # overrides/packages/torch.toml (built-in)
    [[override]]
    package = "torch"
    versions = ">=2.0, <3"
    applies-to = "wheel"
    reason = "manylinux wheel links libstdc++ and zlib"
    link = "https://example.org/torch"
    native-build-inputs = ["autoPatchelfHook"]
    build-inputs = ["stdenv.cc.cc.lib", "zlib"]
    auto-patchelf-ignore-missing-deps = ["libcuda.so.1"]
    python-relax-deps = true

    # overrides/packages/torch.toml (built-in)
    [[override]]
    package = "torch"
    applies-to = "sdist"
    reason = "builds from source only with its own tools"
    link = "https://example.org/torch-src"
    build-system = ["setuptools", "cython"]
    env = { MAX_JOBS = "2", USE_CUDA = "0" }
    artifact = "sdist"
    pre-build = 'export HOME="$TMPDIR"'
    "#);
    // A name matches glob entries too, and user entries show their file.
    insta::assert_snapshot!(format_show(&db, "NVIDIA_cublas_cu12").unwrap(), @r#"
    # overrides/packages/nvidia.toml (built-in)
    [[override]]
    package = "nvidia-*"
    applies-to = "both"
    reason = "the driver provides libcuda at run time"
    link = "https://example.org/nvidia"
    runtime-dependencies = ["cudaPackages.cuda_cudart"]
    python-remove-deps = ["nvidia-nccl-cu12"]

    # my-overrides.toml (user)
    [[override]]
    package = "nvidia-cublas-cu12"
    applies-to = "both"
    reason = "mine"
    link = "https://example.org/mine"
    dependencies = ["numpy"]
    post-install = """
    rm -r $out/share
    touch $out/ok
    """
    "#);
    // A glob shows the entries written with that glob.
    assert_eq!(format_show(&db, "nvidia-*").unwrap().matches("[[override]]").count(), 1);
    assert!(format_show(&db, "typing").unwrap().contains("versions = \"<3.10\"\n"));
    assert_eq!(format_show(&db, "numpy"), None);
    assert_eq!(format_show(&db, "-not a name"), None);
    assert!(db.apply(&name("nvidia-cublas-cu12"), &"12.1".parse().unwrap(), None).is_some());
}
