//! The real built-in database under `overrides/`, as compiled in.

use std::collections::BTreeSet;
use std::path::Path;

use crate::overrides::schema::{NamePattern, Origin};
use crate::overrides::{Database, embedded, known_attributes};

/// The `.toml` files in `overrides/packages/` now, sorted (none if the folder does not exist).
fn package_files_on_disk() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("overrides/packages");
    let Ok(listing) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<String> = listing
        .map(|item| item.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.starts_with('.'))
        .collect();
    files.sort();
    files
}

#[test]
fn every_file_in_overrides_packages_is_embedded() {
    let on_disk = package_files_on_disk();
    assert!(on_disk.iter().all(|f| f.ends_with(".toml")), "overrides/packages holds only .toml files: {on_disk:?}");
    let embedded: Vec<String> = embedded::PACKAGE_FILES
        .iter()
        .map(|(path, _)| path.strip_prefix("overrides/packages/").unwrap().to_string())
        .collect();
    assert_eq!(embedded, on_disk, "build.rs embeds exactly overrides/packages/*.toml, sorted");
}

#[test]
fn the_loader_accepts_an_empty_database() {
    let db = Database::from_builtin_texts(&[], None, None).unwrap();
    assert!(db.entries().is_empty() && db.sonames().providers.is_empty());
}

#[test]
fn the_builtin_database_loads_and_every_entry_is_valid() {
    let db = Database::builtin().unwrap_or_else(|e| panic!("the built-in override database is invalid: {e}"));
    if embedded::PACKAGE_FILES.is_empty() {
        // No data files yet: the loader handles the empty folder.
        assert!(db.entries().is_empty());
        return;
    }
    assert!(embedded::SONAMES.is_some(), "overrides/sonames.toml is missing");
    assert!(embedded::ATTRIBUTES.is_some(), "overrides/nixpkgs-attributes.txt is missing");
    let files: BTreeSet<&str> = embedded::PACKAGE_FILES.iter().map(|(path, _)| *path).collect();
    let mut with_entries = BTreeSet::new();
    for entry in db.entries() {
        let Origin::Builtin { file } = &entry.origin else {
            panic!("a user entry in the built-in database: {entry:?}")
        };
        assert!(files.contains(file.as_str()), "{file}");
        with_entries.insert(file.as_str());
        for path in entry
            .adds
            .native_build_inputs
            .iter()
            .chain(&entry.adds.build_inputs)
            .chain(&entry.adds.runtime_dependencies)
        {
            assert!(known_attributes().contains(path), "{file}: {} names unknown attribute {path}", entry.package);
        }
        // `packages/<name>.toml` holds the entries of one package or family.
        let stem = file.trim_start_matches("overrides/packages/").trim_end_matches(".toml");
        let stem = NamePattern::parse(&format!("{stem}*")).unwrap_or_else(|e| panic!("{file}: file name: {e}"));
        let NamePattern::Prefix(stem) = stem else { unreachable!() };
        let package = match &entry.package {
            NamePattern::Exact(name) => name.to_string(),
            NamePattern::Prefix(prefix) => prefix.clone(),
        };
        assert!(
            package.starts_with(stem.as_str()),
            "{file} holds an entry for {}, not named after the file",
            entry.package
        );
    }
    assert_eq!(with_entries, files, "every built-in file holds entries");
    for (soname, provider) in &db.sonames().providers {
        assert!(known_attributes().contains(provider), "{soname} → {provider}");
    }
}

#[test]
fn known_attributes_match_the_attribute_file() {
    let text = embedded::ATTRIBUTES.unwrap_or("");
    let lines = super::super::attribute_lines(text).count();
    assert_eq!(known_attributes().len(), lines);
    assert!(known_attributes().iter().all(|a| crate::overrides::schema::is_attribute_path(a)));
}
