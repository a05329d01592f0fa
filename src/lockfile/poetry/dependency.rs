//! One Poetry dependency specification, as poetry-core's `Factory.create_dependency` reads it,
//! in `[tool.poetry.dependencies]` (and groups) and in a lock's `[package.dependencies]`:
//! a constraint string, a table, or a list of tables (one dependency each).
//!
//! A table's `markers`, `python` and `platform` all hold at once (poetry-core ≥ 1.1 intersects
//! them). `platform` is a generic constraint on `sys_platform`: `|`/`||` separate
//! alternatives, `,` joins conditions, `!=` negates (`linux || darwin`, `!=win32`).
//! `allow-prereleases` only steers Poetry's solver, so it does not change what a lock means;
//! `source` names the index a root dependency must come from.

use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use rustc_hash::FxHashMap;
use serde::Deserialize;
use uv_pep508::MarkerTree;

use crate::constraint::{Constraint, ConstraintError};
use crate::model::Dependency;
use crate::name::{ExtraName, PackageName};

/// A dependency as written: a constraint string or a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawSpec {
    Constraint(String),
    Table(RawTable),
}

/// The keys of a dependency table that change what is installed. Other keys (`git`, `url`,
/// `path`, `branch`, …) say where a source comes from, which the lock's `[package.source]`
/// records.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawTable {
    pub version: Option<String>,
    pub markers: Option<String>,
    pub python: Option<String>,
    pub platform: Option<String>,
    #[serde(default)]
    pub extras: Vec<String>,
    #[serde(default)]
    pub optional: bool,
    /// Read so that a wrong type is an error, as in Poetry's schema; the lock's own
    /// `develop` is what counts.
    #[serde(default)]
    #[allow(dead_code)]
    pub develop: bool,
    pub source: Option<String>,
    /// Read so that a wrong type is an error, as in Poetry's schema; it only steers solving.
    #[allow(dead_code)]
    pub allow_prereleases: Option<bool>,
    /// The spelling poetry-core 2 no longer reads (its schema still accepts it).
    #[allow(dead_code)]
    pub allows_prereleases: Option<bool>,
}

/// A dependency entry: one specification or a list of them (a multiple-constraints dependency).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawEntry {
    One(RawSpec),
    Many(Vec<RawTable>),
}

impl RawEntry {
    /// The tables of the entry; a constraint string is a table with only `version`.
    pub(crate) fn tables(&self) -> Vec<RawTable> {
        match self {
            Self::One(RawSpec::Constraint(text)) => {
                vec![RawTable { version: Some(text.clone()), ..RawTable::default() }]
            }
            Self::One(RawSpec::Table(table)) => vec![table.clone()],
            Self::Many(tables) => tables.clone(),
        }
    }
}

/// Why an entry cannot be read; the caller adds the file and the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SpecError {
    #[error(transparent)]
    Constraint(#[from] ConstraintError),
    #[error("python: {0}")]
    Python(ConstraintError),
    #[error("invalid marker `{text}`: {message}")]
    Marker { text: String, message: String },
    #[error("platform `{text}`: {message}")]
    Platform { text: String, message: String },
    #[error("extra `{text}`: {message}")]
    Extra { text: String, message: String },
}

/// The markers and constraints a document has already read, by their text. A lock repeats a
/// few hundred of them (a real 650-package lock: 435 markers, 93 distinct; 2,276 constraints,
/// 655 distinct), and reading one is the costliest step of reading an entry. Shared by the
/// threads that read one document; a failure is not kept (it ends the reading).
#[derive(Default)]
pub(crate) struct SpecCache {
    markers: Mutex<FxHashMap<String, MarkerTree>>,
    constraints: Mutex<FxHashMap<String, Constraint>>,
}

impl SpecCache {
    /// [`parse_marker`], once per text.
    pub(crate) fn marker(&self, text: &str) -> Result<MarkerTree, SpecError> {
        once(&self.markers, text, parse_marker)
    }

    /// [`Constraint::parse_poetry`], once per text.
    pub(crate) fn constraint(&self, text: &str) -> Result<Constraint, ConstraintError> {
        once(&self.constraints, text, Constraint::parse_poetry)
    }
}

/// What `read` gives for `text`, from `known` when it was read before; a failure is not kept.
fn once<T: Clone, E>(
    known: &Mutex<FxHashMap<String, T>>,
    text: &str,
    read: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, E> {
    let lock = || known.lock().unwrap_or_else(PoisonError::into_inner);
    // Not held while reading: another thread may read another text meanwhile.
    if let Some(value) = lock().get(text).cloned() {
        return Ok(value);
    }
    let value = read(text)?;
    lock().insert(text.to_owned(), value.clone());
    Ok(value)
}

/// The dependency a table describes (poetry-core's `create_dependency`); `cache` holds the
/// document's markers and constraints read so far.
pub(crate) fn convert(name: PackageName, table: &RawTable, cache: &SpecCache) -> Result<Dependency, SpecError> {
    let constraint = match table.version.as_deref() {
        Some(text) => cache.constraint(text)?,
        None => Constraint::any(),
    };
    let python = match table.python.as_deref() {
        Some(text) => cache.constraint(text).map_err(SpecError::Python)?,
        None => Constraint::any(),
    };
    let mut marker = match table.markers.as_deref() {
        Some(text) => cache.marker(text)?,
        None => MarkerTree::TRUE,
    };
    if let Some(platform) = table.platform.as_deref() {
        marker = marker.and(platform_marker(platform)?);
    }
    let extras = table
        .extras
        .iter()
        .map(|e| {
            ExtraName::from_owned(e.clone())
                .map_err(|err| SpecError::Extra { text: e.clone(), message: err.to_string() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Dependency {
        name,
        constraint,
        marker,
        python,
        extras,
        optional: table.optional,
        source: table.source.clone(),
        target: None,
    })
}

/// Parses a PEP 508 marker expression.
pub(crate) fn parse_marker(text: &str) -> Result<MarkerTree, SpecError> {
    crate::limits::check_pep508(text)
        .map_err(|message| SpecError::Marker { text: crate::limits::excerpt(text), message })?;
    MarkerTree::from_str(text).map_err(|e| SpecError::Marker { text: text.to_string(), message: e.to_string() })
}

/// `platform = "…"` as the `sys_platform` marker poetry-core makes of it.
pub(crate) fn platform_marker(text: &str) -> Result<MarkerTree, SpecError> {
    let invalid = |message: &str| SpecError::Platform { text: text.to_string(), message: message.to_string() };
    let trimmed = text.trim();
    if trimmed == "*" {
        return Ok(MarkerTree::TRUE);
    }
    let mut union = MarkerTree::FALSE;
    for alternative in trimmed.split('|').map(str::trim).filter(|a| !a.is_empty()) {
        let mut all = MarkerTree::TRUE;
        for condition in alternative.split(',').map(str::trim) {
            if condition.is_empty() {
                return Err(invalid("empty condition between commas"));
            }
            let (negated, value) = match condition.strip_prefix("!=") {
                Some(rest) => (true, rest),
                None => (false, condition.trim_start_matches('=')),
            };
            let value = value.trim();
            if value.is_empty() || value.contains(char::is_whitespace) {
                return Err(invalid("expected a platform name such as `linux`, `darwin` or `win32`"));
            }
            let quote = if value.contains('"') { '\'' } else { '"' };
            if value.contains(quote) {
                return Err(invalid("a platform name cannot hold both kinds of quote"));
            }
            let op = if negated { "!=" } else { "==" };
            all = all.and(parse_marker(&format!("sys_platform {op} {quote}{value}{quote}"))?);
        }
        union = union.or(all);
    }
    if union.is_false() {
        // Poetry itself fails on such a constraint (an empty intersection).
        return Err(invalid("no platform satisfies it (did you mean `||` instead of `,`?)"));
    }
    Ok(union)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::environment::marker_environment;
    use crate::resolve::target::{PythonMinor, System, Target};

    fn holds_on(marker: MarkerTree) -> Vec<&'static str> {
        System::ALL
            .into_iter()
            .filter(|s| marker.evaluate(&marker_environment(&Target { system: *s, python: PythonMinor(12) }), &[]))
            .map(|s| s.as_nix())
            .collect()
    }

    fn table(toml: &str) -> RawTable {
        toml::from_str(toml).unwrap()
    }

    fn dep(toml: &str) -> Dependency {
        convert(PackageName::from_owned("pkg".into()).unwrap(), &table(toml), &SpecCache::default()).unwrap()
    }

    #[test]
    fn the_cache_reads_each_text_once_and_keeps_no_failure() {
        let cache = SpecCache::default();
        let text = "python_version < '3.10' and sys_platform == 'linux'";
        assert_eq!(cache.marker(text).unwrap(), parse_marker(text).unwrap());
        assert_eq!(cache.marker(text).unwrap(), parse_marker(text).unwrap(), "from the cache");
        assert_eq!(cache.constraint("^1.2").unwrap(), Constraint::parse_poetry("^1.2").unwrap());
        assert_eq!(cache.constraint("^1.2").unwrap(), Constraint::parse_poetry("^1.2").unwrap(), "from the cache");
        for _ in 0..2 {
            assert!(cache.marker("python_version <").is_err());
            assert!(cache.constraint(">=1.0 <<").is_err());
        }
        assert_eq!((cache.markers.lock().unwrap().len(), cache.constraints.lock().unwrap().len()), (1, 1));
    }

    #[test]
    fn platform_is_a_sys_platform_marker_as_in_poetry_core() {
        let text = |p: &str| platform_marker(p).unwrap().try_to_string().unwrap_or_default();
        assert_eq!(text("win32"), "sys_platform == 'win32'");
        assert_eq!(text("linux || darwin"), "sys_platform == 'darwin' or sys_platform == 'linux'");
        assert_eq!(text("linux | darwin"), text("linux||darwin"));
        assert_eq!(text("!=win32"), "sys_platform != 'win32'");
        assert_eq!(text("!=win32,!=darwin"), "sys_platform != 'darwin' and sys_platform != 'win32'");
        assert_eq!(text("== linux"), "sys_platform == 'linux'");
        assert!(platform_marker("*").unwrap().is_true());
        assert!(platform_marker("!=win32 || !=darwin").unwrap().is_true());
        // poetry-core keeps the `!` as part of the name: a platform that never matches.
        assert_eq!(text("!darwin"), "sys_platform == '!darwin'");
        let err = platform_marker("linux,darwin").unwrap_err().to_string();
        assert_eq!(err, "platform `linux,darwin`: no platform satisfies it (did you mean `||` instead of `,`?)");
    }

    #[test]
    fn a_windows_only_dependency_holds_on_no_target() {
        assert!(
            holds_on(
                dep(r#"version = "^306"
platform = "win32""#)
                .marker
            )
            .is_empty()
        );
        assert_eq!(holds_on(dep(r#"platform = "linux || darwin""#).marker).len(), 4);
        assert_eq!(holds_on(dep(r#"platform = "linux""#).marker), ["x86_64-linux", "aarch64-linux"]);
        assert_eq!(holds_on(dep(r#"platform = "!=darwin""#).marker), ["x86_64-linux", "aarch64-linux"]);
    }

    #[test]
    fn markers_python_and_platform_all_hold_at_once() {
        let d = dep(r#"version = ">=1"
markers = "platform_machine == 'x86_64'"
python = "^3.10"
platform = "linux || darwin""#);
        assert_eq!(holds_on(d.marker), ["x86_64-linux", "x86_64-darwin"]);
        assert!(d.python.allows_python(PythonMinor(12)) && !d.python.allows_python(PythonMinor(9)));
        // A contradiction is a dependency that is never needed, not an error.
        let never = dep(r#"markers = "sys_platform == 'win32'"
platform = "linux""#);
        assert!(never.marker.is_false());
    }

    #[test]
    fn other_keys_are_read_and_kept_where_they_matter() {
        let d = dep(r#"version = "^1.0"
optional = true
extras = ["socks"]
source = "private"
allow-prereleases = true
develop = false"#);
        assert!(d.optional);
        assert_eq!(d.extras, [ExtraName::from_owned("socks".into()).unwrap()]);
        assert_eq!(d.source.as_deref(), Some("private"));
        assert!(toml::from_str::<RawTable>(r#"allow-prereleases = "yes""#).is_err());
    }

    #[test]
    fn an_entry_is_a_string_a_table_or_a_list_of_tables() {
        let entry = |text: &str| toml::from_str::<std::collections::BTreeMap<String, RawEntry>>(text).unwrap();
        assert_eq!(entry(r#"x = "^1""#)["x"].tables()[0].version.as_deref(), Some("^1"));
        let many = entry(r#"x = [{version = "<2", python = "<3.10"}, {version = ">=2", platform = "linux"}]"#);
        assert_eq!(many["x"].tables().len(), 2);
        assert_eq!(many["x"].tables()[1].platform.as_deref(), Some("linux"));
    }
}
