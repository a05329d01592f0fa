//! A wheel's core metadata (`<name>.dist-info/METADATA`): its `Requires-Dist` lines, the
//! dependency edges a lock without a graph (pylock.toml as uv writes it) does not record.

use std::io::{Read, Seek};

use super::{ArchiveCause, InferError};

/// The `Requires-Dist` values of the wheel `filename` read from the zip `reader`, in order.
pub(crate) fn wheel_requires_dist<R: Read + Seek>(filename: &str, reader: R) -> Result<Vec<String>, InferError> {
    let archive_error = |cause: ArchiveCause| InferError::archive(filename, "zip", cause);
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| archive_error(e.into()))?;
    // The one top-level `*.dist-info/METADATA` (a vendored package's would sit deeper).
    let member = archive
        .file_names()
        .find(|name| {
            let mut parts = name.split('/');
            matches!((parts.next(), parts.next(), parts.next()), (Some(dir), Some("METADATA"), None) if dir.ends_with(".dist-info"))
        })
        .map(str::to_string)
        .ok_or_else(|| archive_error(ArchiveCause::NoMetadata))?;
    let mut text = String::new();
    archive
        .by_name(&member)
        .map_err(|e| archive_error(e.into()))?
        .take(16 * 1024 * 1024)
        .read_to_string(&mut text)
        .map_err(|source| archive_error(ArchiveCause::Member { member: member.clone(), source }))?;
    Ok(requires_dist(&text))
}

/// The `Requires-Dist` values of an sdist's `PKG-INFO`, when they can be trusted: core metadata
/// 2.2 or later (PEP 643) that does not mark them `Dynamic`. Older or dynamic metadata only
/// says what the build will decide, so it is refused.
pub(crate) fn sdist_requires_dist<R: Read + Seek>(filename: &str, reader: R) -> Result<Vec<String>, InferError> {
    let refused = |why: &str| InferError::DependenciesNotStatic { file: filename.to_string(), why: why.to_string() };
    let bytes = super::build_system::sdist_pkg_info(filename, reader)?.ok_or_else(|| refused("no PKG-INFO"))?;
    let text = String::from_utf8_lossy(&bytes);
    let version = header(&text, "Metadata-Version");
    let static_metadata = version.and_then(|v| v.split_once('.')).is_some_and(|(major, minor)| {
        matches!((major.parse::<u32>(), minor.parse::<u32>()), (Ok(major), Ok(minor)) if (major, minor) >= (2, 2))
    });
    if !static_metadata {
        return Err(refused(&format!(
            "its PKG-INFO is metadata {}, before 2.2: its dependencies are only known once built",
            version.unwrap_or("of no version")
        )));
    }
    let dynamic = headers(&text)
        .any(|(key, value)| key.eq_ignore_ascii_case("Dynamic") && value.eq_ignore_ascii_case("Requires-Dist"));
    if dynamic {
        return Err(refused("its PKG-INFO marks Requires-Dist dynamic: only the build knows them"));
    }
    Ok(requires_dist(&text))
}

/// A source folder's dependencies from its `pyproject.toml` `[project]` table, as
/// `Requires-Dist` values (each optional dependency with `extra == '…'` added to its marker);
/// refused when the table leaves them to the build (`dynamic`) or there is none.
pub(crate) fn pyproject_requires_dist(text: &str) -> Result<Vec<String>, String> {
    #[derive(serde::Deserialize)]
    struct Pyproject {
        project: Option<ProjectTable>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "kebab-case")]
    struct ProjectTable {
        #[serde(default)]
        dependencies: Vec<String>,
        #[serde(default)]
        optional_dependencies: std::collections::BTreeMap<String, Vec<String>>,
        #[serde(default)]
        dynamic: Vec<String>,
    }
    let pyproject: Pyproject = toml::from_str(text).map_err(|e| format!("pyproject.toml: {}", e.message()))?;
    let project = pyproject.project.ok_or("its pyproject.toml has no [project] table")?;
    if let Some(field) = project.dynamic.iter().find(|f| matches!(f.as_str(), "dependencies" | "optional-dependencies"))
    {
        return Err(format!("its pyproject.toml leaves `{field}` to the build (dynamic)"));
    }
    let mut values = project.dependencies;
    for (extra, requirements) in &project.optional_dependencies {
        for requirement in requirements {
            values.push(with_extra(requirement, extra)?);
        }
    }
    Ok(values)
}

/// `requirement` with `extra == '<extra>'` joined to its marker, as build backends write it.
fn with_extra(requirement: &str, extra: &str) -> Result<String, String> {
    use std::str::FromStr;
    let mut parsed = uv_pep508::Requirement::<uv_pep508::VerbatimUrl>::from_str(requirement)
        .map_err(|e| format!("`{requirement}`: {}", e.to_string().lines().next().unwrap_or_default()))?;
    let extra = uv_normalize::ExtraName::from_str(extra).map_err(|e| format!("extra `{extra}`: {e}"))?;
    let only_with = uv_pep508::MarkerTree::expression(uv_pep508::MarkerExpression::Extra {
        operator: uv_pep508::ExtraOperator::Equal,
        name: uv_pep508::MarkerValueExtra::Extra(extra),
    });
    parsed.marker = parsed.marker.and(only_with);
    Ok(parsed.to_string())
}

/// The `Requires-Dist` values of a core-metadata file served beside a wheel (PEP 658); refused
/// unless it is one (a `Metadata-Version` header), so that an index answering every path with
/// some page sends the caller to the wheel itself.
pub(crate) fn core_metadata_requires_dist(bytes: &[u8]) -> Result<Vec<String>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("core metadata is not UTF-8: {e}"))?;
    if header(text, "Metadata-Version").is_none() {
        return Err("not a core-metadata file (no Metadata-Version header)".to_string());
    }
    Ok(requires_dist(text))
}

/// The headers of a core-metadata document, trimmed (they end at the first empty line).
fn headers(metadata: &str) -> impl Iterator<Item = (&str, &str)> {
    metadata
        .lines()
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim(), value.trim()))
}

/// The first value of header `name` (case-insensitive).
fn header<'a>(metadata: &'a str, name: &str) -> Option<&'a str> {
    headers(metadata).find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value)
}

/// The `Requires-Dist` header values of a core-metadata document (headers end at the first
/// empty line; a value may continue on indented lines).
pub(crate) fn requires_dist(metadata: &str) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    let mut in_requires = false;
    for line in metadata.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if in_requires && let Some(last) = values.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
            continue;
        }
        let (key, value) = line.split_once(':').unwrap_or((line, ""));
        in_requires = key.eq_ignore_ascii_case("Requires-Dist");
        if in_requires {
            values.push(value.trim().to_string());
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_dist_lines_are_read_up_to_the_body() {
        let metadata = "Metadata-Version: 2.1\nName: x\nRequires-Dist: idna>=2\nrequires-dist: socksio; extra ==\n  'socks'\nSummary: s\n\nRequires-Dist: not-a-header\n";
        assert_eq!(requires_dist(metadata), ["idna>=2", "socksio; extra == 'socks'"]);
    }

    fn sdist(pkg_info: &str) -> std::io::Cursor<Vec<u8>> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
        for (path, text) in [("x-1.0/PKG-INFO", pkg_info), ("x-1.0/pyproject.toml", "[project]\nname = \"x\"\n")] {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, path, text.as_bytes()).unwrap();
        }
        std::io::Cursor::new(builder.into_inner().unwrap().finish().unwrap())
    }

    #[test]
    fn an_sdists_static_requires_dist_is_read_and_dynamic_or_old_metadata_refused() {
        let read = |pkg_info: &str| sdist_requires_dist("x-1.0.tar.gz", sdist(pkg_info));
        assert_eq!(read("Metadata-Version: 2.2\nName: x\nRequires-Dist: six\n\n").unwrap(), ["six"]);
        assert_eq!(read("Metadata-Version: 2.4\nName: x\nDynamic: Version\n").unwrap(), Vec::<String>::new());
        let dynamic = read("Metadata-Version: 2.2\nDynamic: requires-dist\nRequires-Dist: six\n").unwrap_err();
        assert!(dynamic.to_string().contains("dynamic"), "{dynamic}");
        let old = read("Metadata-Version: 2.1\nRequires-Dist: six\n").unwrap_err();
        assert!(old.to_string().contains("metadata 2.1, before 2.2"), "{old}");
    }

    #[test]
    fn a_folders_static_project_table_gives_its_requirements() {
        let text = "[project]\nname = \"m\"\ndependencies = [\"six>=1\"]\n[project.optional-dependencies]\ncli = [\"click; python_version >= '3.9'\"]\n";
        assert_eq!(
            pyproject_requires_dist(text).unwrap(),
            ["six>=1", "click ; python_full_version >= '3.9' and extra == 'cli'"]
        );
        let dynamic = "[project]\nname = \"m\"\ndynamic = [\"dependencies\"]\n";
        assert!(pyproject_requires_dist(dynamic).unwrap_err().contains("dynamic"));
        assert!(pyproject_requires_dist("[tool.x]\n").unwrap_err().contains("no [project] table"));
    }

    #[test]
    fn a_served_core_metadata_file_is_read_and_anything_else_refused() {
        let served = b"Metadata-Version: 2.4\r\nName: x\r\nRequires-Dist: six>=1\r\n\r\nbody";
        assert_eq!(core_metadata_requires_dist(served).unwrap(), ["six>=1"]);
        assert!(core_metadata_requires_dist(b"<html><body>Not here</body></html>").is_err());
        assert!(core_metadata_requires_dist(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn the_top_level_metadata_of_a_wheel_is_read() {
        let mut bytes = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut bytes);
            let options = zip::write::SimpleFileOptions::default();
            zip.start_file("x/_vendor/y-1.dist-info/METADATA", options).unwrap();
            std::io::Write::write_all(&mut zip, b"Requires-Dist: vendored\n").unwrap();
            zip.start_file("x-1.0.dist-info/METADATA", options).unwrap();
            std::io::Write::write_all(&mut zip, b"Name: x\nRequires-Dist: six\n\n").unwrap();
            zip.finish().unwrap();
        }
        bytes.set_position(0);
        assert_eq!(wheel_requires_dist("x-1.0-py3-none-any.whl", bytes).unwrap(), ["six"]);
        let empty = std::io::Cursor::new(Vec::new());
        assert!(wheel_requires_dist("y.whl", empty).is_err());
    }
}
