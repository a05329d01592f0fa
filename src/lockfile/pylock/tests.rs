use super::*;
use crate::resolve::target::PythonMinor;

const HEAD: &str = "lock-version = \"1.0\"\ncreated-by = \"pdm\"\nrequires-python = \">=3.9\"\nextras = [\"security\"]\ndependency-groups = [\"default\", \"dev\"]\ndefault-groups = [\"default\"]\n\n";

fn wheel(name: &str, hashes: &str) -> String {
    format!("wheels = [{{ url = \"https://files.example/{name}-1.0-py3-none-any.whl\", hashes = {{ {hashes} }} }}]\n")
}

fn lock(body: &str) -> Lock {
    parse(&format!("{HEAD}{body}"), "pylock.toml").unwrap()
}

fn error(body: &str) -> String {
    parse(&format!("{HEAD}{body}"), "pylock.toml").unwrap_err().to_string()
}

#[test]
fn packages_carry_their_marker_files_and_the_top_level_extras_and_groups() {
    let sha = "ab".repeat(32);
    let lock = lock(&format!(
        "[[packages]]\nname = \"certifi\"\nversion = \"1.0\"\nrequires-python = \">=3.10\"\nmarker = \"'security' in extras\"\nindex = \"https://pypi.org/simple\"\n{}dependencies = [\"idna>=2; python_version < '3.13'\"]\n\n[[packages]]\nname = \"torch\"\nversion = \"1.0\"\nindex = \"https://download.pytorch.org/whl/cpu\"\n{}\n[[packages]]\nname = \"app\"\nversion = \"0.1\"\ndirectory = {{ path = \".\", editable = true }}\n",
        wheel("certifi", &format!("sha256 = \"{sha}\"")),
        wheel("torch", "")
    ));
    assert_eq!(lock.format, LockFormat::Pylock { lock_version: "1.0".into(), created_by: "pdm".into() });
    assert!(!lock.python.allows_python(PythonMinor(8)));
    let roots = lock.roots.as_ref().unwrap();
    assert_eq!(
        roots.name.as_ref().map(ToString::to_string).as_deref(),
        Some("app"),
        "the `.` directory is the project"
    );
    assert!(roots.built);
    assert_eq!(roots.extras.keys().map(ToString::to_string).collect::<Vec<_>>(), ["security"]);
    assert_eq!(roots.groups.keys().map(ToString::to_string).collect::<Vec<_>>(), ["dev"]);
    assert_eq!(roots.default_groups.iter().map(ToString::to_string).collect::<Vec<_>>(), ["default"]);
    assert_eq!(lock.packages.len(), 2);
    let certifi = &lock.packages[0];
    assert_eq!(certifi.marker.unwrap().try_to_string().as_deref(), Some("'security' in extras"));
    assert!(!certifi.python.allows_python(PythonMinor(9)));
    assert_eq!(certifi.files[0].locked_location().map(|(_, sha256)| sha256.hex()), Some(sha.clone()));
    assert_eq!(certifi.source, Source::Registry { index: None });
    let idna = &certifi.dependencies[0];
    assert_eq!(
        (idna.name.as_ref(), idna.marker.try_to_string().as_deref()),
        ("idna", Some("python_full_version < '3.13'"))
    );
    let torch = &lock.packages[1];
    assert!(torch.files[0].url.is_some() && torch.files[0].hash.is_none(), "hashes = {{}}: to be computed");
    assert!(matches!(&torch.source, Source::Registry { index: Some(index) } if index.url.expose().ends_with("/cpu")));
}

#[test]
fn vcs_directory_and_archive_sources() {
    let lock = lock(
        "[[packages]]\nname = \"pip\"\nvcs = { type = \"git\", url = \"https://example.org/pip.git\", requested-revision = \"20.3.1\", commit-id = \"F94A429E17B450AC2D3432F46492416AC2CF58AD\" }\n\n[[packages]]\nname = \"lib\"\nversion = \"2.0\"\ndirectory = { path = \"libs/lib\", editable = true }\n\n[[packages]]\nname = \"arc\"\nversion = \"3.0\"\narchive = { url = \"https://example.org/arc-3.0.tar.gz\", hashes = { sha256 = \"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\" } }\n",
    );
    let pip = &lock.packages[0];
    assert!(!pip.version_known, "a vcs package may give no version");
    assert!(
        matches!(&pip.source, Source::Git { reference: Some(r), resolved_reference: Some(c), .. } if r == "20.3.1" && c.starts_with("f94a"))
    );
    assert_eq!(lock.packages[1].source, Source::Directory { path: "libs/lib".into(), develop: true });
    let arc = &lock.packages[2];
    assert_eq!(arc.source, Source::Url { url: "https://example.org/arc-3.0.tar.gz".into(), subdirectory: None });
    assert_eq!(arc.files[0].filename, "arc-3.0.tar.gz");
}

#[test]
fn bad_pylocks_get_one_error_naming_the_entry() {
    let none = error("[[packages]]\nname = \"x\"\nversion = \"1\"\n");
    assert!(none.contains("pylock.toml: package `x 1`: names no source"), "{none}");
    let two = error(&format!(
        "[[packages]]\nname = \"x\"\nversion = \"1\"\ndirectory = {{ path = \"x\" }}\n{}",
        wheel("x", "")
    ));
    assert!(two.contains("more than one kind of source"), "{two}");
    let hg = error("[[packages]]\nname = \"x\"\nvcs = { type = \"hg\", url = \"https://e/x\", commit-id = \"abc\" }\n");
    assert!(hg.contains("vcs type `hg`"), "{hg}");
    let version = parse("lock-version = \"2.0\"\ncreated-by = \"x\"\n", "pylock.toml").unwrap_err().to_string();
    assert!(version.contains("lock-version 2.0") && version.contains("reads 1.x"), "{version}");
    let marker =
        error(&format!("[[packages]]\nname = \"x\"\nversion = \"1\"\nmarker = \"'a' in\"\n{}", wheel("x", "")));
    assert!(marker.contains("marker `'a' in`"), "{marker}");
}
