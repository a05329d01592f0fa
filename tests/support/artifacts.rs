//! Real Python artifacts built on the spot, without network: sdists (`.tar.gz` through the tar
//! and flate2 crates, `.zip`) and wheels whose ELF files are compiled by the machine's `gcc`
//! and `g++` (which must be on PATH; a missing compiler fails the test with a clear message).
//!
//! ```ignore
//! let dir = tempfile::tempdir().unwrap();
//! let wheel = artifacts::zlib_cxx_wheel(dir.path());
//! let libs = lock2nix::testing::infer::wheel_libraries(&wheel.filename, &wheel.bytes).unwrap();
//! ```

use std::fmt::Write as _;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// An artifact's file name (as an index would list it) and its bytes.
pub struct Artifact {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// A gzip-compressed tar of `entries` (archive path, contents), in order, plus a directory
/// entry before each new top directory. Paths are stored byte for byte (`./` prefixes kept).
pub fn tar_gz(entries: &[(&str, &str)]) -> Vec<u8> {
    let gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gzip);
    let mut append = |path: &str, kind: tar::EntryType, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        assert!(path.len() < 100, "tar path too long for a plain header: {path}");
        header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_entry_type(kind);
        header.set_mode(if kind.is_dir() { 0o755 } else { 0o644 });
        header.set_size(data.len() as u64);
        header.set_cksum();
        tar.append(&header, data).expect("append a tar entry");
    };
    let mut tops: Vec<String> = Vec::new();
    for (path, text) in entries {
        if let Some((top, _)) = path.split_once('/').filter(|(top, _)| *top != ".")
            && !tops.iter().any(|t| t == top)
        {
            tops.push(top.to_string());
            append(&format!("{top}/"), tar::EntryType::Directory, b"");
        }
        append(path, tar::EntryType::Regular, text.as_bytes());
    }
    tar.into_inner().expect("finish the tar").finish().expect("finish the gzip stream")
}

/// A deflated zip of `entries` (archive path, contents), in order.
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (path, bytes) in entries {
        writer.start_file(*path, options).expect("start a zip entry");
        writer.write_all(bytes).expect("write a zip entry");
    }
    writer.finish().expect("finish the zip").into_inner()
}

/// An sdist `top.tar.gz` whose files (relative to `top/`) are `files`.
pub fn sdist_tar_gz(top: &str, files: &[(&str, &str)]) -> Artifact {
    let paths: Vec<String> = files.iter().map(|(path, _)| format!("{top}/{path}")).collect();
    let entries: Vec<(&str, &str)> = paths.iter().zip(files).map(|(path, (_, text))| (path.as_str(), *text)).collect();
    Artifact { filename: format!("{top}.tar.gz"), bytes: tar_gz(&entries) }
}

/// An sdist `top.zip` whose files (relative to `top/`) are `files`.
pub fn sdist_zip(top: &str, files: &[(&str, &str)]) -> Artifact {
    let paths: Vec<String> = files.iter().map(|(path, _)| format!("{top}/{path}")).collect();
    let entries: Vec<(&str, &[u8])> =
        paths.iter().zip(files).map(|(path, (_, text))| (path.as_str(), text.as_bytes())).collect();
    Artifact { filename: format!("{top}.zip"), bytes: zip(&entries) }
}

/// The machine's architecture as wheel tags and extension suffixes spell it.
pub fn arch() -> &'static str {
    std::env::consts::ARCH
}

/// `{name}-{version}-cp311-cp311-manylinux_2_17_{arch}.whl`.
pub fn wheel_filename(name: &str, version: &str) -> String {
    format!("{name}-{version}-cp311-cp311-manylinux_2_17_{}.whl", arch())
}

/// The file name CPython 3.11 gives extension module `module` on this machine.
pub fn extension_filename(module: &str) -> String {
    format!("{module}.cpython-311-{}-linux-gnu.so", arch())
}

/// A wheel of `files` (archive path, bytes) plus a minimal `{name}-{version}.dist-info/`
/// (METADATA, WHEEL, RECORD with real sha256 digests), for CPython 3.11 on this machine.
pub fn wheel(name: &str, version: &str, files: &[(String, Vec<u8>)]) -> Artifact {
    let built = tagged_wheel(name, version, &format!("cp311-cp311-manylinux_2_17_{}", arch()), files, &[]);
    Artifact { filename: wheel_filename(name, version), ..built }
}

/// [`wheel`] for every Python and platform (`py3-none-any`).
pub fn pure_wheel(name: &str, version: &str, files: &[(String, Vec<u8>)]) -> Artifact {
    tagged_wheel(name, version, "py3-none-any", files, &[])
}

/// [`pure_wheel`] whose METADATA declares `requires` (`Requires-Dist` values).
pub fn pure_wheel_requiring(name: &str, version: &str, files: &[(String, Vec<u8>)], requires: &[&str]) -> Artifact {
    tagged_wheel(name, version, "py3-none-any", files, requires)
}

fn tagged_wheel(name: &str, version: &str, tag: &str, files: &[(String, Vec<u8>)], requires: &[&str]) -> Artifact {
    let dist_info = format!("{}-{version}.dist-info", name.replace('-', "_"));
    let mut all: Vec<(String, Vec<u8>)> = files.to_vec();
    let requires = requires.iter().map(|r| format!("Requires-Dist: {r}\n")).collect::<Vec<_>>().concat();
    all.push((
        format!("{dist_info}/METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requires}").into_bytes(),
    ));
    let purelib = tag.ends_with("-any");
    all.push((
        format!("{dist_info}/WHEEL"),
        format!("Wheel-Version: 1.0\nGenerator: lock2nix-tests\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n").into_bytes(),
    ));
    let mut record = String::new();
    for (path, bytes) in &all {
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes));
        let _ = writeln!(record, "{path},sha256={digest},{}", bytes.len());
    }
    let _ = writeln!(record, "{dist_info}/RECORD,,");
    all.push((format!("{dist_info}/RECORD"), record.into_bytes()));
    let entries: Vec<(&str, &[u8])> = all.iter().map(|(path, bytes)| (path.as_str(), bytes.as_slice())).collect();
    Artifact { filename: format!("{}-{version}-{tag}.whl", name.replace('-', "_")), bytes: zip(&entries) }
}

#[derive(Debug, Clone, Copy)]
pub enum Compiler {
    /// `gcc`, for `.c` sources.
    C,
    /// `g++`, for `.cpp` sources.
    Cxx,
}

/// Compiles `source` (written to `dir/{output}.{c,cpp}`) into `dir/{output}` with `args` added
/// after the source (`-shared -fPIC`, `-l…`, …). Panics with the compiler's output on failure,
/// and with a plain explanation when the compiler is not installed.
pub fn compile(dir: &Path, compiler: Compiler, source: &str, output: &str, args: &[&str]) -> PathBuf {
    let (program, extension) = match compiler {
        Compiler::C => ("gcc", "c"),
        Compiler::Cxx => ("g++", "cpp"),
    };
    let source_path = dir.join(format!("{output}.{extension}"));
    std::fs::write(&source_path, source).expect("write a source file");
    let output_path = dir.join(output);
    let result =
        Command::new(program).arg("-o").arg(&output_path).arg(&source_path).args(args).current_dir(dir).output();
    let result = match result {
        Ok(result) => result,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{program}` is not installed (not on PATH): these tests build real ELF shared objects with the \
             machine's gcc and g++ (Debian: apt-get install gcc g++ zlib1g-dev)"
        ),
        Err(e) => panic!("cannot run `{program}`: {e}"),
    };
    assert!(
        result.status.success(),
        "`{program}` failed to build {output} ({}):\n{}",
        result.status,
        String::from_utf8_lossy(&result.stderr)
    );
    output_path
}

/// A shared library `dir/{soname}` with `DT_SONAME` = `soname`, defining `int {symbol}(void)`.
pub fn shared_library(dir: &Path, soname: &str, symbol: &str) -> PathBuf {
    let source = format!("int {symbol}(void) {{ return 42; }}\n");
    compile(dir, Compiler::C, &source, soname, &["-shared", "-fPIC", &format!("-Wl,-soname,{soname}")])
}

/// A C extension module `dir/{output}` that calls `symbol` of each library in `libs` (built by
/// [`shared_library`] in `dir`), so that each one is a `DT_NEEDED` entry.
pub fn extension_calling(dir: &Path, output: &str, libs: &[(&str, &str)]) -> Vec<u8> {
    let mut source = libs.iter().fold(String::new(), |mut source, (_, symbol)| {
        let _ = writeln!(source, "extern int {symbol}(void);");
        source
    });
    let calls: Vec<String> = libs.iter().map(|(_, symbol)| format!("{symbol}()")).collect();
    let _ = writeln!(source, "int ext_total(void) {{ return 0 + {}; }}", calls.join(" + "));
    let mut args =
        vec!["-shared".to_string(), "-fPIC".into(), "-Wl,--no-as-needed".into(), format!("-L{}", dir.display())];
    args.extend(libs.iter().map(|(soname, _)| format!("-l:{soname}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    read(&compile(dir, Compiler::C, &source, output, &args))
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `zext-1.0`: a C++ extension `zext/_ext….so` that needs libz (calls `zlibVersion()`) and
/// libstdc++ (builds a `std::string`), a C executable `zext-1.0.data/scripts/zext-tool` that
/// needs libz, an `__init__.py`, and a text file named like a library (`zext/notes.so`).
pub fn zlib_cxx_wheel(dir: &Path) -> Artifact {
    let extension = compile(
        dir,
        Compiler::Cxx,
        "#include <string>\n\
         extern \"C\" const char *zlibVersion(void);\n\
         extern \"C\" int ext_version_length(void) {\n\
         \x20   std::string version(zlibVersion());\n\
         \x20   return static_cast<int>(version.size());\n\
         }\n",
        &extension_filename("_ext"),
        &["-shared", "-fPIC", "-lz"],
    );
    let tool = compile(
        dir,
        Compiler::C,
        "extern const char *zlibVersion(void);\nint main(void) { return zlibVersion()[0] == 0; }\n",
        "zext-tool",
        &["-lz"],
    );
    let files = [
        ("zext/__init__.py".to_string(), b"from ._ext import *\n".to_vec()),
        (format!("zext/{}", extension_filename("_ext")), read(&extension)),
        ("zext/notes.so".to_string(), b"not a library\n".to_vec()),
        ("zext-1.0.data/scripts/zext-tool".to_string(), read(&tool)),
    ];
    wheel("zext", "1.0", &files)
}

/// `vend-1.0`: an extension `vend/_ext….so` linked against `libfoo.so.1` (`DT_SONAME`
/// `libfoo.so.1`), which the wheel ships in `vend.libs/` as auditwheel would (`in_libs_dir`),
/// or else beside the extension in `vend/`.
pub fn vendoring_wheel(dir: &Path, in_libs_dir: bool) -> Artifact {
    let library = shared_library(dir, "libfoo.so.1", "foo_answer");
    let extension = extension_calling(dir, &extension_filename("_ext"), &[("libfoo.so.1", "foo_answer")]);
    let library_dir = if in_libs_dir { "vend.libs" } else { "vend" };
    let files = [
        ("vend/__init__.py".to_string(), Vec::new()),
        (format!("vend/{}", extension_filename("_ext")), extension),
        (format!("{library_dir}/libfoo.so.1"), read(&library)),
    ];
    wheel("vend", "1.0", &files)
}

/// The files of a project built by an in-tree PEP 517 backend (`backend.py`, standard library
/// only), so that building it needs no build tool on the host: `pyproject.toml`, the backend,
/// and `module/__init__.py` holding `init`. `scripts` are console scripts (`name`, `module:function`).
pub fn in_tree_project(
    name: &str,
    version: &str,
    module: &str,
    init: &str,
    scripts: &[(&str, &str)],
) -> Vec<(String, String)> {
    let dist = name.replace('-', "_");
    let entry_points: String = if scripts.is_empty() {
        String::new()
    } else {
        let lines = scripts.iter().map(|(s, target)| format!("{s} = {target}\\n")).collect::<Vec<_>>().concat();
        format!("        z.writestr(di + \"/entry_points.txt\", \"[console_scripts]\\n{lines}\")\n")
    };
    let backend = format!(
        r#"import os, zipfile
def get_requires_for_build_wheel(config_settings=None):
    return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    fn = "{dist}-{version}-py3-none-any.whl"
    di = "{dist}-{version}.dist-info"
    with zipfile.ZipFile(os.path.join(wheel_directory, fn), "w") as z:
        for root, _, files in os.walk("{module}"):
            for f in files:
                z.write(os.path.join(root, f))
        z.writestr(di + "/METADATA", "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n")
        z.writestr(di + "/WHEEL", "Wheel-Version: 1.0\nGenerator: in-tree\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
{entry_points}        z.writestr(di + "/RECORD", "")
    return fn
"#
    );
    let pyproject = format!(
        "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n\n[project]\nname = \"{name}\"\nversion = \"{version}\"\n"
    );
    vec![
        ("pyproject.toml".to_string(), pyproject),
        ("backend.py".to_string(), backend),
        (format!("{module}/__init__.py"), init.to_string()),
    ]
}

/// A loopback index serving each artifact at `/files/<name>`, with a PEP 691 page per project.
pub fn serve(projects: &[(&str, &Artifact)]) -> crate::support::IndexServer {
    let server = crate::support::IndexServer::start();
    for (project, artifact) in projects {
        let url = server.url(&format!("/files/{}", artifact.filename));
        let page =
            crate::support::project::json_page(project, &[(&artifact.filename, &url, &hex_sha256(&artifact.bytes))]);
        server.route(format!("/simple/{project}/"), vec![crate::support::Reply::json(page)]);
        server.route(
            format!("/files/{}", artifact.filename),
            vec![crate::support::Reply::new(200, "application/octet-stream", artifact.bytes.clone())],
        );
    }
    server
}

/// A poetry.lock `[[package]]` of version 1.0 with this one file.
pub fn lock_entry(name: &str, artifact: &Artifact) -> String {
    format!(
        "[[package]]\nname = \"{name}\"\nversion = \"1.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = [\n    {{file = \"{}\", hash = \"sha256:{}\"}},\n]\n\n",
        artifact.filename,
        hex_sha256(&artifact.bytes)
    )
}

/// The sha256 of `bytes` in hex, as locks and index pages give it.
pub fn hex_sha256(bytes: &[u8]) -> String {
    super::hex(&Sha256::digest(bytes))
}

/// Snapshot filters naming each artifact's sha256, in hex and in SRI form, by its file name
/// (`[sha256 of six_value-1.0-py3-none-any.whl]`, `[sri of …]`): the bytes of an artifact built
/// here depend on the archive crates' versions, the tests only on which file a hash is of.
pub fn hash_filters(artifacts: &[&Artifact]) -> Vec<(String, String)> {
    artifacts
        .iter()
        .flat_map(|artifact| {
            let hex = hex_sha256(&artifact.bytes);
            [
                (crate::support::project::sri(&hex), format!("[sri of {}]", artifact.filename)),
                (hex, format!("[sha256 of {}]", artifact.filename)),
            ]
        })
        .collect()
}
