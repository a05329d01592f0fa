//! Poetry's `[metadata] content-hash`: the sha256 of the parts of pyproject.toml that locking
//! depends on, as Poetry's `Locker._get_content_hash` computes it. Poetry refuses to install
//! from a lock whose hash differs ("pyproject.toml changed significantly since poetry.lock was
//! last generated"), so a lock2nix file made from such a lock follows a lock Poetry calls stale.
//!
//! Poetry hashes `json.dumps(relevant, sort_keys=True)` of the values its TOML reader gives;
//! the key sets changed over its history ([`Rules`]), and from 2.3 on Poetry also accepts the
//! pre-2.3 hash in a lock written before 2.3 (`Locker.is_fresh`).

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use uv_pep440::Version;

/// The key sets Poetry hashed, by the version that introduced them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rules {
    /// Poetry 1.0 and 1.1: `[tool.poetry]` dependencies, dev-dependencies, source and extras,
    /// an absent one as `null`, at the top level.
    Poetry1_0,
    /// Poetry 1.2 to 1.8: also `group`, left out when absent.
    Poetry1_2,
    /// Poetry 2.0 to 2.2: also `[project]` requires-python, dependencies and
    /// optional-dependencies; when any is present, the whole is nested as
    /// `{"project": …, "tool": {"poetry": …}}` and absent legacy keys are left out.
    Poetry2_0,
    /// Poetry 2.3 on: also a non-empty `[dependency-groups]`, nested likewise.
    Poetry2_3,
}

impl Rules {
    pub const ALL: [Self; 4] = [Self::Poetry1_0, Self::Poetry1_2, Self::Poetry2_0, Self::Poetry2_3];

    /// The rules of the Poetry version that wrote a lock.
    pub fn of(poetry: &Version) -> Self {
        let at = |release: [u64; 2]| poetry >= &Version::new(release);
        if at([2, 3]) {
            Self::Poetry2_3
        } else if at([2, 0]) {
            Self::Poetry2_0
        } else if at([1, 2]) {
            Self::Poetry1_2
        } else {
            Self::Poetry1_0
        }
    }
}

/// Why a pyproject.toml has no content-hash under some rules: Poetry itself fails there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("`{key}` holds a date or time, which Poetry cannot hash (json.dumps refuses it)")]
    Datetime { key: String },
    #[error("`{key}` is not a table")]
    NotATable { key: String },
}

/// The content-hash Poetry computes for a parsed pyproject.toml under `rules`.
pub(crate) fn content_hash(doc: &toml::Table, rules: Rules) -> Result<String, HashError> {
    let text = relevant_json(doc, rules)?;
    Ok(crate::fetch::hex(&Sha256::digest(text.as_bytes())))
}

/// What Poetry hashes under `rules`, serialised as Python's `json.dumps(…, sort_keys=True)`.
pub(crate) fn relevant_json(doc: &toml::Table, rules: Rules) -> Result<String, HashError> {
    let mut out = String::new();
    write_node(&relevant(doc, rules)?, "", &mut out)?;
    Ok(out)
}

/// A pyproject.toml's content hashes under every [`Rules`], computed once when it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentHashes {
    by_rules: [Result<String, HashError>; 4],
}

/// Whether a lock's content-hash is one Poetry accepts for the pyproject.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// No accepted computation gives the recorded hash; `expected` is today's Poetry's.
    Stale {
        recorded: String,
        expected: String,
    },
    /// Nothing to compare: a placeholder hash, or a pyproject.toml Poetry cannot hash either.
    Unknown,
}

impl ContentHashes {
    pub fn of(doc: &toml::Table) -> Self {
        Self { by_rules: Rules::ALL.map(|rules| content_hash(doc, rules)) }
    }

    pub fn get(&self, rules: Rules) -> Result<&str, &HashError> {
        self.by_rules[rules as usize].as_ref().map(String::as_str)
    }

    /// Compares a lock's `content-hash`, written by Poetry `written_by` (from the lock's first
    /// line), as `Locker.is_fresh` does: today's rules, and the pre-2.3 ones for a lock written
    /// before 2.3. Also accepted, beyond today's Poetry: the hash of the Poetry that wrote the
    /// lock, which installs from it (a Poetry 1.x lock beside a `[project]` table Poetry 1.x
    /// does not read); without a version (Poetry before 1.4 wrote none), those of 1.0 and 1.2.
    pub fn freshness(&self, recorded: &str, written_by: Option<&Version>) -> Freshness {
        // Poetry writes 64 hex digits; anything else was written by hand, with nothing to compare.
        if recorded.len() != 64 || !crate::digest::is_hex(recorded) {
            return Freshness::Unknown;
        }
        let mut accepted = vec![Rules::Poetry2_3];
        match written_by {
            Some(version) if Rules::of(version) < Rules::Poetry2_3 => {
                accepted.extend([Rules::Poetry2_0, Rules::of(version)]);
            }
            Some(_) => {}
            None => accepted.extend([Rules::Poetry1_0, Rules::Poetry1_2]),
        }
        let hashes: Vec<Result<&str, &HashError>> = accepted.iter().map(|&rules| self.get(rules)).collect();
        if hashes.contains(&Ok(recorded)) {
            return Freshness::Fresh;
        }
        match (hashes.iter().all(Result::is_ok), self.get(Rules::Poetry2_3)) {
            (true, Ok(expected)) => Freshness::Stale { recorded: recorded.to_string(), expected: expected.to_string() },
            _ => Freshness::Unknown,
        }
    }
}

/// The `[project]` keys Poetry 2.0 on hashes.
const PROJECT_KEYS: [&str; 3] = ["requires-python", "dependencies", "optional-dependencies"];
/// The `[tool.poetry]` keys every Poetry hashes, `null` when absent (unless `[project]` or
/// `[dependency-groups]` gives relevant content).
const LEGACY_KEYS: [&str; 4] = ["dependencies", "source", "extras", "dev-dependencies"];

/// A value to serialise: parts of the document and the objects and nulls Poetry builds.
enum Node<'a> {
    Null,
    Value(&'a toml::Value),
    Object(Vec<(&'a str, Self)>),
}

/// A table of the document, absent, or an error Poetry would fail with too.
fn table<'a>(value: Option<&'a toml::Value>, key: &str) -> Result<Option<&'a toml::Table>, HashError> {
    match value {
        None => Ok(None),
        Some(toml::Value::Table(table)) => Ok(Some(table)),
        Some(_) => Err(HashError::NotATable { key: key.to_string() }),
    }
}

fn relevant(doc: &toml::Table, rules: Rules) -> Result<Node<'_>, HashError> {
    let tool = table(doc.get("tool"), "tool")?;
    let tool_poetry = table(tool.and_then(|t| t.get("poetry")), "tool.poetry")?;
    let project = if rules >= Rules::Poetry2_0 { table(doc.get("project"), "project")? } else { None };
    let groups = match doc.get("dependency-groups") {
        // Poetry leaves out an empty table, for the hashes of locks before 2.3.
        value if rules >= Rules::Poetry2_3 => table(value, "dependency-groups")?.filter(|t| !t.is_empty()).and(value),
        _ => None,
    };

    let project_content: Vec<(&str, Node)> =
        PROJECT_KEYS.iter().filter_map(|&key| Some((key, Node::Value(project?.get(key)?)))).collect();
    let leave_out_absent = !project_content.is_empty() || groups.is_some();
    let group_key = (rules >= Rules::Poetry1_2).then_some("group");
    let mut poetry_content = Vec::new();
    for key in LEGACY_KEYS.into_iter().chain(group_key) {
        match tool_poetry.and_then(|t| t.get(key)) {
            Some(value) => poetry_content.push((key, Node::Value(value))),
            None if LEGACY_KEYS.contains(&key) && !leave_out_absent => poetry_content.push((key, Node::Null)),
            None => {}
        }
    }
    if !leave_out_absent {
        // Poetry keeps the pre-2.0 shape: `[tool.poetry]`'s keys at the top level.
        return Ok(Node::Object(poetry_content));
    }
    let mut content = Vec::new();
    if !project_content.is_empty() {
        content.push(("project", Node::Object(project_content)));
    }
    if let Some(groups) = groups {
        content.push(("dependency-groups", Node::Value(groups)));
    }
    content.push(("tool", Node::Object(vec![("poetry", Node::Object(poetry_content))])));
    Ok(Node::Object(content))
}

fn write_node(node: &Node, path: &str, out: &mut String) -> Result<(), HashError> {
    match node {
        Node::Null => out.push_str("null"),
        Node::Value(value) => write_value(value, path, out)?,
        Node::Object(entries) => {
            let mut sorted: Vec<(&str, &Node)> = entries.iter().map(|(k, v)| (*k, v)).collect();
            sorted.sort_by_key(|(key, _)| *key);
            write_object(sorted, path, out, |node, path, out| write_node(node, path, out))?;
        }
    }
    Ok(())
}

fn write_value(value: &toml::Value, path: &str, out: &mut String) -> Result<(), HashError> {
    match value {
        toml::Value::String(text) => write_string(text, out),
        toml::Value::Integer(n) => out.push_str(&n.to_string()),
        toml::Value::Float(x) => write_float(*x, out),
        toml::Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        toml::Value::Datetime(_) => return Err(HashError::Datetime { key: path.to_string() }),
        toml::Value::Array(items) => {
            out.push('[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                write_value(item, path, out)?;
            }
            out.push(']');
        }
        toml::Value::Table(table) => {
            // Python's `sort_keys` orders by code point, as `str`'s `Ord` does.
            let mut sorted: Vec<(&str, &toml::Value)> = table.iter().map(|(k, v)| (k.as_str(), v)).collect();
            sorted.sort_by_key(|(key, _)| *key);
            write_object(sorted, path, out, write_value)?;
        }
    }
    Ok(())
}

/// `{"key": value, …}` with json.dumps' default separators.
fn write_object<T: ?Sized>(
    entries: Vec<(&str, &T)>,
    path: &str,
    out: &mut String,
    write: impl Fn(&T, &str, &mut String) -> Result<(), HashError>,
) -> Result<(), HashError> {
    out.push('{');
    for (k, (key, value)) in entries.into_iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        write_string(key, out);
        out.push_str(": ");
        let path = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
        write(value, &path, out)?;
    }
    out.push('}');
    Ok(())
}

/// A JSON string as `ensure_ascii=True` writes it: printable ASCII as is, the usual short
/// escapes, everything else as `\uXXXX` (UTF-16, lowercase hex).
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// A float as Python's `repr`: the shortest digits that read back, positional from 1e-4 up
/// to 1e16 (with `.0` when whole), else `1.5e+16`, `1e-05`.
fn write_float(x: f64, out: &mut String) {
    if x.is_nan() {
        return out.push_str("NaN");
    }
    if x.is_infinite() {
        return out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
    }
    // Rust's `{:e}` gives the shortest round-trip digits too: `-1.5e16`, `1e-5`, `-0e0`.
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').expect("`{:e}` has an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` has an integer exponent");
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits = mantissa.replace('.', "");
    out.push_str(sign);
    if (-4..16).contains(&exponent) {
        if exponent >= 0 {
            let whole = usize::try_from(exponent).expect("a non-negative exponent") + 1;
            if digits.len() <= whole {
                out.push_str(&digits);
                out.push_str(&"0".repeat(whole - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..whole]);
                out.push('.');
                out.push_str(&digits[whole..]);
            }
        } else {
            out.push_str("0.");
            out.push_str(&"0".repeat(usize::try_from(-exponent - 1).expect("a negative exponent")));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.abs());
    }
}

#[cfg(test)]
mod tests;
