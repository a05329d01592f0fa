//! The override database: what a plain wheel or sdist needs beyond `buildPythonPackage`, as
//! data (see `overrides/README.md`, the schema).
//!
//! The built-in files under `overrides/` are embedded at compile time (`build.rs` lists every
//! `overrides/packages/*.toml`). [`Database::builtin`] parses and validates them;
//! [`Database::with_user_file`] appends a user's `--overrides FILE`; [`Database::apply`] merges
//! every entry matching one package version and artifact kind into an [`Applied`].
//!
//! Nixpkgs attribute paths are checked against [`known_attributes`] in built-in files. A user's
//! file may also name a well-formed path that list does not know (users know their nixpkgs);
//! see [`Database::with_user_file`].

mod database;
mod format;
mod parse;
mod schema;
mod sonames;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::sync::OnceLock;

pub(crate) use database::Applied;
pub use database::Database;
pub use format::{format_list, format_show};
pub(crate) use schema::ArtifactKind;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/overrides_embedded.rs"));
}

/// Where the built-in soname table lives, as named in errors and provenance.
pub(crate) const SONAMES_FILE: &str = "overrides/sonames.toml";
/// Where the list of known nixpkgs attribute paths lives.
pub(crate) const ATTRIBUTES_FILE: &str = "overrides/nixpkgs-attributes.txt";

/// Why an override file could not be used. Every variant names the file; entry-level variants
/// name the entry (its position and `package`) and the offending field.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    #[error("cannot read {file}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} is not a valid override file")]
    Toml {
        file: String,
        #[source]
        source: crate::toml_error::TomlError,
    },
    /// The file's top level is wrong (an unknown table, `override` not an array of tables).
    #[error("{file}: {message}")]
    Layout { file: String, message: String },
    /// One field of one `[[override]]` entry is wrong.
    #[error("{file}: [[override]] #{index} (package `{package}`): field `{field}`: {message}")]
    Field { file: String, index: usize, package: String, field: String, message: String },
    /// An `[[override]]` entry is wrong as a whole (it adds nothing, contradictory fields).
    #[error("{file}: [[override]] #{index} (package `{package}`): {message}")]
    Entry { file: String, index: usize, package: String, message: String },
    /// One key of `sonames.toml` is wrong.
    #[error("{file}: [{table}] `{key}`: {message}")]
    Soname { file: String, table: String, key: String, message: String },
    /// One line of `nixpkgs-attributes.txt` is wrong.
    #[error("{file}:{line}: `{attribute}`: {message}")]
    Attribute { file: String, line: usize, attribute: String, message: String },
}

/// Every nixpkgs attribute path an override entry may name, from
/// `overrides/nixpkgs-attributes.txt` (blank lines and `#` comments skipped). Empty if the file is
/// missing. [`Database::builtin`] rejects malformed or duplicated lines; this accessor does not
/// fail.
pub(crate) fn known_attributes() -> &'static BTreeSet<String> {
    static KNOWN: OnceLock<BTreeSet<String>> = OnceLock::new();
    KNOWN.get_or_init(|| attribute_lines(embedded::ATTRIBUTES.unwrap_or("")).map(|(_, a)| a.to_string()).collect())
}

/// `(line number, attribute)` for each non-blank, non-comment line.
fn attribute_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.split('#').next().unwrap_or("").trim()))
        .filter(|(_, line)| !line.is_empty())
}

/// Checks `nixpkgs-attributes.txt` strictly: every line a well-formed path, none twice.
fn validate_attribute_file(text: &str, file: &str) -> Result<(), OverrideError> {
    let mut seen = BTreeSet::new();
    for (line, attribute) in attribute_lines(text) {
        let error = |message: &str| OverrideError::Attribute {
            file: file.to_string(),
            line,
            attribute: attribute.to_string(),
            message: message.to_string(),
        };
        if !schema::is_attribute_path(attribute) {
            return Err(error("not a nixpkgs attribute path (dotted identifiers, e.g. `stdenv.cc.cc.lib`)"));
        }
        if !seen.insert(attribute) {
            return Err(error("listed twice"));
        }
    }
    Ok(())
}
