//! The loaded database: built-in entries, then user entries, and the soname table; and the
//! merge of every entry that matches one package version and artifact kind.

use std::collections::BTreeSet;
use std::path::Path;

use rustc_hash::FxHashMap;
use uv_pep440::Version;

use super::parse::{AttributePolicy, parse_entries};
use super::schema::{Additions, ArtifactKind, Entry, NamePattern, Origin};
use super::sonames::{SonameTable, parse_sonames};
use super::{ATTRIBUTES_FILE, OverrideError, SONAMES_FILE, attribute_lines, embedded, validate_attribute_file};
use crate::filename::Os;
use crate::name::PackageName;

/// The override entries in the order they apply (built-in files sorted by name, each in file
/// order; then user files in the order given), and the soname table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Database {
    entries: Vec<Entry>,
    sonames: SonameTable,
    /// Which entries may match a name: every lookup of a 10,000-package lock went through all
    /// of them (a few per package and artifact).
    by_name: EntriesByName,
}

/// Entry positions by the name they match: exact names by name, prefixes (`nvidia-*`) apart;
/// each list in the entries' order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct EntriesByName {
    exact: FxHashMap<PackageName, Vec<usize>>,
    prefixed: Vec<usize>,
}

impl EntriesByName {
    fn of(entries: &[Entry]) -> Self {
        let mut index = Self::default();
        for (at, entry) in entries.iter().enumerate() {
            match &entry.package {
                NamePattern::Exact(name) => index.exact.entry(name.clone()).or_default().push(at),
                NamePattern::Prefix(_) => index.prefixed.push(at),
            }
        }
        index
    }

    /// The positions of the entries that may match `name`, in order: its exact entries and
    /// every prefix entry, merged.
    fn candidates(&self, name: &PackageName) -> impl Iterator<Item = usize> {
        let exact = self.exact.get(name).map_or(&[][..], Vec::as_slice);
        let (mut exact, mut prefixed) = (exact.iter().copied().peekable(), self.prefixed.iter().copied().peekable());
        std::iter::from_fn(move || match (exact.peek(), prefixed.peek()) {
            (Some(a), Some(b)) if a < b => exact.next(),
            (Some(_), None) => exact.next(),
            _ => prefixed.next(),
        })
    }
}

/// Every entry that matched, and what they add together ([`Additions::merge`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied<'a> {
    /// The matching entries, in the order they were applied (provenance).
    pub entries: Vec<&'a Entry>,
    pub adds: Additions<PackageName>,
}

impl<'a> Applied<'a> {
    fn add(&mut self, entry: &'a Entry) {
        self.entries.push(entry);
        self.adds.merge(&entry.adds);
    }
}

impl Database {
    /// Parses and validates the files compiled into lock2nix: `overrides/packages/*.toml`,
    /// `overrides/sonames.toml` and `overrides/nixpkgs-attributes.txt`. Every nixpkgs attribute
    /// path must be in the attribute list. Cheap enough to call on every run.
    pub fn builtin() -> Result<Self, OverrideError> {
        Self::from_builtin_texts(embedded::PACKAGE_FILES, embedded::SONAMES, embedded::ATTRIBUTES)
    }

    /// [`Database::builtin`] over given texts: `files` are `(path, text)` in the order they apply;
    /// a missing soname table or attribute list is empty.
    pub(crate) fn from_builtin_texts(
        files: &[(&str, &str)],
        sonames: Option<&str>,
        attributes: Option<&str>,
    ) -> Result<Self, OverrideError> {
        let attributes = attributes.unwrap_or("");
        validate_attribute_file(attributes, ATTRIBUTES_FILE)?;
        let known: BTreeSet<String> = attribute_lines(attributes).map(|(_, a)| a.to_string()).collect();
        let policy = AttributePolicy::Known(&known);
        let sonames = match sonames {
            Some(text) => parse_sonames(text, SONAMES_FILE, policy)?,
            None => SonameTable::default(),
        };
        let mut entries = Vec::new();
        for (file, text) in files {
            entries.extend(parse_entries(text, &Origin::Builtin { file: (*file).to_string() }, policy)?);
        }
        Ok(Self::indexed(entries, sonames))
    }

    fn indexed(entries: Vec<Entry>, sonames: SonameTable) -> Self {
        Self { by_name: EntriesByName::of(&entries), entries, sonames }
    }

    /// The entries that match `name` at `version` built from `kind`, in the order they apply.
    fn matching<'a>(
        &'a self,
        name: &PackageName,
        version: &Version,
        kind: Option<ArtifactKind>,
    ) -> impl Iterator<Item = &'a Entry> {
        self.by_name.candidates(name).map(|at| &self.entries[at]).filter(move |e| e.matches(name, version, kind))
    }

    /// No entries and an empty soname table. For `--no-builtin-overrides`, which keeps the
    /// built-in soname table, use [`Database::without_entries`] instead.
    pub fn empty() -> Self {
        Self::default()
    }

    /// This database's soname table with no entries (`--no-builtin-overrides`).
    #[must_use]
    pub fn without_entries(self) -> Self {
        Self::indexed(Vec::new(), self.sonames)
    }

    /// Appends the entries of a user's override file (`--overrides FILE`), after every entry
    /// already loaded, so that they win. Validation is that of built-in files except for
    /// nixpkgs attribute paths: a user file may name any well-formed path (dotted Nix
    /// identifiers), also one that `overrides/nixpkgs-attributes.txt` does not list, since users
    /// know their nixpkgs; a malformed path is still an error.
    /// `name` is how the entries' provenance names the file (errors name `path` as given).
    pub fn with_user_file(self, path: &Path, name: &str) -> Result<Self, OverrideError> {
        let file = path.display().to_string();
        let text = crate::fetch::witness::read_to_string(path)
            .map_err(|source| OverrideError::Io { file: file.clone(), source })?;
        let before = self.entries.len();
        let mut db = self.with_user_text(&text, &file)?;
        // Errors name the file as the user typed it; the generated file as its header does.
        for entry in &mut db.entries[before..] {
            entry.origin = Origin::User { file: name.to_string() };
        }
        Ok(db)
    }

    /// [`Database::with_user_file`] on a text already read; `file` names it in errors and origins.
    pub fn with_user_text(mut self, text: &str, file: &str) -> Result<Self, OverrideError> {
        let origin = Origin::User { file: file.to_string() };
        self.entries.extend(parse_entries(text, &origin, AttributePolicy::WellFormed)?);
        Ok(Self::indexed(self.entries, self.sonames))
    }

    /// Every entry, in the order they apply.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn sonames(&self) -> &SonameTable {
        &self.sonames
    }

    /// Every entry matching `name` at `version` built from `kind` (`None`: not decided yet, so
    /// `applies-to` is ignored), merged; `None` when nothing matches.
    pub fn apply(&self, name: &PackageName, version: &Version, kind: Option<ArtifactKind>) -> Option<Applied<'_>> {
        let mut applied: Option<Applied<'_>> = None;
        for entry in self.matching(name, version, kind) {
            applied.get_or_insert_with(Applied::default).add(entry);
        }
        applied
    }

    /// [`Self::apply`] for one artifact: `kind`, for `os` (`None`: pure wheels and sdists).
    /// Entries whose `platforms` exclude it, or that add nothing to it (Linux library fixes on a
    /// macOS or pure wheel), do not apply, so neither their additions nor their provenance
    /// reach it.
    pub fn apply_to_artifact(
        &self,
        name: &PackageName,
        version: &Version,
        kind: ArtifactKind,
        os: Option<Os>,
    ) -> Option<Applied<'_>> {
        // A wheel without Linux ELF files has nothing for library fixes to act on; an sdist is
        // built on every system, Linux included, so it keeps them.
        let binary_elsewhere = kind == ArtifactKind::Wheel && os != Some(Os::Linux);
        let mut applied: Option<Applied<'_>> = None;
        for entry in self.matching(name, version, Some(kind)).filter(|e| e.applies_on(os)) {
            let mut adds = entry.adds.clone();
            if binary_elsewhere {
                adds.drop_linux_binary_fixes();
            }
            if adds.added_fields().is_empty() && entry.artifact.is_none() && !entry.drop {
                continue;
            }
            let applied = applied.get_or_insert_with(Applied::default);
            applied.entries.push(entry);
            applied.adds.merge(&adds);
        }
        applied
    }

    /// The artifact kind the last matching entry with `artifact` forces, whatever its `applies-to`.
    pub fn forced_artifact(&self, name: &PackageName, version: &Version) -> Option<ArtifactKind> {
        self.matching(name, version, None).filter_map(|e| e.artifact).last()
    }

    /// Whether a matching entry says `drop = true`.
    pub fn is_dropped(&self, name: &PackageName, version: &Version) -> bool {
        self.matching(name, version, None).any(|e| e.drop)
    }
}
