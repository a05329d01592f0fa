//! Version constraints: Poetry's syntax (caret, tilde, wildcards, `||`) and strict PEP 440.
//!
//! Everything is lowered to PEP 440 specifiers, so matching uses `uv_pep440`' semantics and a
//! constraint prints as text any PEP 440 tool understands (except `||`, which has no PEP 440
//! spelling).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;
use uv_pep440::{Version, VersionSpecifier, VersionSpecifiers};

use crate::resolve::target::PythonMinor;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConstraintError {
    #[error("invalid version constraint `{text}`: cannot parse `{part}`: {reason}")]
    Invalid { text: String, part: String, reason: String },
    #[error("version constraint `{text}` uses arbitrary equality `===`, which lock2nix does not support")]
    ArbitraryEquality { text: String },
}

/// A union (`||`) of intersections of PEP 440 specifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// Never empty; "any" is exactly one empty intersection, so derived equality works.
    alternatives: Vec<VersionSpecifiers>,
}

impl Constraint {
    pub fn any() -> Self {
        Self { alternatives: vec![VersionSpecifiers::empty()] }
    }

    pub fn is_any(&self) -> bool {
        self.alternatives.iter().any(uv_pep440::VersionSpecifiers::is_empty)
    }

    pub fn from_specifiers(specifiers: VersionSpecifiers) -> Self {
        Self { alternatives: vec![specifiers] }
    }

    fn from_alternatives(alternatives: Vec<VersionSpecifiers>) -> Self {
        if alternatives.iter().any(uv_pep440::VersionSpecifiers::is_empty) {
            Self::any()
        } else {
            Self { alternatives }
        }
    }

    /// Parses a Poetry constraint (`^1.2`, `~1.2`, `1.2.*`, `>=1 <2 || ==3`, plain PEP 440).
    pub fn parse_poetry(text: &str) -> Result<Self, ConstraintError> {
        let trimmed = text.trim();
        if is_any_text(trimmed) {
            return Ok(Self::any());
        }
        reject_arbitrary_equality(text)?;
        let invalid = |part: &str, reason: &str| ConstraintError::Invalid {
            text: text.to_owned(),
            part: part.to_owned(),
            reason: reason.to_owned(),
        };
        let mut alternatives = Vec::new();
        for alternative in trimmed.split("||").flat_map(|a| a.split('|')) {
            // Poetry tolerates trailing commas; they occur in published metadata.
            let alternative = alternative.trim().trim_end_matches(',').trim_end();
            if alternative.is_empty() {
                return Err(invalid(alternative, "empty alternative around `||`"));
            }
            let mut specifiers = Vec::new();
            for part in and_parts(alternative) {
                let part = part.map_err(|part| invalid(part, "empty part between commas"))?;
                specifiers.extend(parse_single(&part).map_err(|reason| invalid(&part, &reason))?);
            }
            alternatives.push(specifiers.into_iter().collect());
        }
        Ok(Self::from_alternatives(alternatives))
    }

    /// Parses a strict PEP 440 specifier set, as in `requires-python`.
    pub fn parse_pep440(text: &str) -> Result<Self, ConstraintError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Self::any());
        }
        reject_arbitrary_equality(text)?;
        let specifiers = trimmed
            .split(',')
            .map(|part| {
                VersionSpecifier::from_str(part.trim()).map_err(|err| ConstraintError::Invalid {
                    text: text.to_owned(),
                    part: part.trim().to_owned(),
                    reason: err.to_string(),
                })
            })
            .collect::<Result<VersionSpecifiers, _>>()?;
        Ok(Self::from_specifiers(specifiers))
    }

    pub fn contains(&self, version: &Version) -> bool {
        self.alternatives.iter().any(|a| a.contains(version))
    }

    /// Both at once: every pair of alternatives, joined.
    pub fn intersect(&self, other: &Self) -> Self {
        if self.is_any() {
            return other.clone();
        }
        if other.is_any() {
            return self.clone();
        }
        let mut alternatives = Vec::new();
        for a in &self.alternatives {
            for b in &other.alternatives {
                alternatives.push(a.iter().chain(b.iter()).cloned().collect());
            }
        }
        Self::from_alternatives(alternatives)
    }

    /// The constraint as a marker on the interpreter's version, for marker algebra (whether
    /// two requirements can hold at once). A two-part `==3.8` means every 3.8 release, as
    /// poetry-core's `python_version == "3.8"` does. Anything the marker grammar cannot say
    /// gives the always-true marker, which errs on the side of "they can".
    pub fn python_marker(&self) -> uv_pep508::MarkerTree {
        use uv_pep508::MarkerTree;
        if self.is_any() {
            return MarkerTree::TRUE;
        }
        let mut union = MarkerTree::FALSE;
        for alternative in &self.alternatives {
            let mut all = MarkerTree::TRUE;
            for specifier in alternative.iter() {
                let text = specifier.to_string();
                let split = text.find(|c: char| !"<>=!~".contains(c)).unwrap_or(text.len());
                let (op, version) = text.split_at(split);
                let two_parts = specifier.version().release().len() == 2 && !version.ends_with(".*");
                let version =
                    if two_parts && matches!(op, "==" | "!=") { format!("{version}.*") } else { version.to_string() };
                match MarkerTree::from_str(&format!("python_full_version {op} '{version}'")) {
                    Ok(marker) => all = all.and(marker),
                    Err(_) => return MarkerTree::TRUE,
                }
            }
            union = union.or(all);
        }
        union
    }

    /// Some patch release of 3.X satisfies it. Besides 3.X.0 and 3.X.99 this tries the patch
    /// releases the constraint itself names, so `==3.9.7` or `>=3.9.2,<3.9.5` count for 3.9.
    pub fn allows_python(&self, minor: PythonMinor) -> bool {
        if self.is_any() {
            return true;
        }
        let x = u64::from(minor.0);
        let mut candidates = vec![Version::new([3, x, 0]), Version::new([3, x, 99])];
        for specifier in self.alternatives.iter().flat_map(|a| a.iter()) {
            if let [3, y, rest @ ..] = &*specifier.version().release()
                && *y == x
            {
                let patch = rest.first().copied().unwrap_or(0);
                candidates.push(Version::new([3, x, patch]));
                candidates.push(Version::new([3, x, patch + 1]));
            }
        }
        candidates.iter().any(|v| self.contains(v))
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_any() {
            return f.write_str("*");
        }
        for (i, alternative) in self.alternatives.iter().enumerate() {
            if i > 0 {
                f.write_str(" || ")?;
            }
            for (j, specifier) in alternative.iter().enumerate() {
                if j > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{specifier}")?;
            }
        }
        Ok(())
    }
}

/// `*`, `x`, `*.*`, empty, or an empty string quoted in the source text.
fn is_any_text(text: &str) -> bool {
    if matches!(text, "" | "\"\"" | "''") {
        return true;
    }
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    text.split('.').all(|p| matches!(p, "*" | "x" | "X"))
}

fn reject_arbitrary_equality(text: &str) -> Result<(), ConstraintError> {
    if text.contains("===") {
        return Err(ConstraintError::ArbitraryEquality { text: text.to_owned() });
    }
    Ok(())
}

const OPERATOR_CHARS: &[char] = &['<', '>', '=', '!', '~', '^'];

/// Splits an intersection at commas and whitespace, re-attaching operators written apart from
/// their version (`>= 1.2`). Yields `Err(part)` for an empty comma-separated part.
fn and_parts(alternative: &str) -> impl Iterator<Item = Result<String, &str>> {
    alternative.split(',').flat_map(|comma_part| {
        let mut parts: Vec<Result<String, &str>> = Vec::new();
        if comma_part.trim().is_empty() {
            parts.push(Err(comma_part));
        }
        let mut pending = String::new();
        for token in comma_part.split_whitespace() {
            pending.push_str(token);
            if !token.chars().all(|c| OPERATOR_CHARS.contains(&c)) {
                parts.push(Ok(std::mem::take(&mut pending)));
            }
        }
        if !pending.is_empty() {
            parts.push(Ok(pending));
        }
        parts
    })
}

/// One Poetry constraint without `,`/`||`; an empty result means "any".
fn parse_single(part: &str) -> Result<Vec<VersionSpecifier>, String> {
    if is_any_text(part) {
        return Ok(Vec::new());
    }
    if part.starts_with("~=") {
        return pep440_specifier(part).map(|s| vec![s]);
    }
    if let Some(rest) = part.strip_prefix('~') {
        let version = parse_version(rest)?;
        // `~1` allows the whole major, `~1.2` and longer only the minor.
        let bump = usize::from(version.release().len() != 1);
        return Ok(bounded(version, bump));
    }
    if let Some(rest) = part.strip_prefix('^') {
        let version = parse_version(rest)?;
        // Everything up to the first non-zero component is fixed (poetry's `next_breaking`).
        let bump = match *version.release() {
            [major, ..] if major > 0 => 0,
            [_] => 0,
            [_, minor, ..] if minor > 0 => 1,
            [_, _] => 1,
            _ => 2,
        };
        return Ok(bounded(version, bump));
    }
    let (operator, version) = split_operator(part);
    let version = version.trim_start();
    if version.is_empty() {
        return Err("missing version after the operator".to_owned());
    }
    let version = if version == "dev" { "0.0.dev0" } else { version };
    if let Some(release) = strip_wildcard(version) {
        // Ordering operators ignore a trailing `.*`, as pip does for `>=3.6.*`.
        let text = match operator {
            "==" | "=" | "" => format!("=={release}.*"),
            "!=" | "<>" => format!("!={release}.*"),
            op => format!("{op}{release}"),
        };
        return pep440_specifier(&text).map(|s| vec![s]);
    }
    let operator = match operator {
        "" | "=" => "==",
        "<>" => "!=",
        op => op,
    };
    pep440_specifier(&format!("{operator}{version}")).map(|s| vec![s])
}

fn split_operator(part: &str) -> (&str, &str) {
    for op in ["<>", "!=", ">=", "<=", "==", ">", "<", "="] {
        if let Some(rest) = part.strip_prefix(op) {
            return (op, rest);
        }
    }
    ("", part)
}

/// `1.2.*`, `1.x`, `v1.2.X` → the release before the wildcard (`1.2`).
fn strip_wildcard(version: &str) -> Option<&str> {
    let mut release = version;
    while let Some(rest) = [".*", ".x", ".X"].iter().find_map(|w| release.strip_suffix(w)) {
        release = rest;
    }
    (release.len() < version.len()).then_some(release)
}

fn parse_version(text: &str) -> Result<Version, String> {
    Version::from_str(text.trim()).map_err(|err| err.to_string())
}

fn pep440_specifier(text: &str) -> Result<VersionSpecifier, String> {
    VersionSpecifier::from_str(text).map_err(|err| err.to_string())
}

/// `>=version,<upper` where `upper` increments release component `bump` of the version's
/// stable release, zeroing the rest and keeping its precision (`^1.2.3` → `<2.0.0`).
fn bounded(version: Version, bump: usize) -> Vec<VersionSpecifier> {
    let release = version.release();
    let len = release.len().max(bump + 1);
    let upper: Vec<u64> = (0..len)
        .map(|i| match i.cmp(&bump) {
            std::cmp::Ordering::Less => release[i],
            std::cmp::Ordering::Equal => release.get(i).copied().unwrap_or(0) + 1,
            std::cmp::Ordering::Greater => 0,
        })
        .collect();
    let upper = match version.epoch() {
        0 => Version::new(upper),
        // An epoch (rare) only reaches a version through its text.
        epoch => {
            let release: Vec<String> = upper.iter().map(u64::to_string).collect();
            Version::from_str(&format!("{epoch}!{}", release.join("."))).unwrap_or_else(|_| Version::new(upper))
        }
    };
    vec![VersionSpecifier::greater_than_equal_version(version), VersionSpecifier::less_than_version(upper)]
}

impl From<VersionSpecifiers> for Constraint {
    fn from(specifiers: VersionSpecifiers) -> Self {
        Self::from_specifiers(specifiers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poetry(text: &str) -> Constraint {
        Constraint::parse_poetry(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn v(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    fn assert_renders(cases: &[(&str, &str)]) {
        for (input, expected) in cases {
            assert_eq!(poetry(input).to_string(), *expected, "input `{input}`");
        }
    }

    #[test]
    fn any_spellings() {
        for text in ["*", "", "   ", "\"\"", "x", "*.*", "v*"] {
            let c = poetry(text);
            assert!(c.is_any(), "`{text}`");
            assert_eq!(c.to_string(), "*");
            assert!(c.contains(&v("0.0.1a1")));
        }
        assert_eq!(poetry(">=1.0, *"), poetry(">=1.0"));
        assert!(poetry(">=1.0 || *").is_any());
        assert_eq!(Constraint::any(), poetry("*"));
    }

    #[test]
    fn caret() {
        assert_renders(&[
            ("^1.2.3", ">=1.2.3,<2.0.0"),
            ("^0.2.3", ">=0.2.3,<0.3.0"),
            ("^0.0.3", ">=0.0.3,<0.0.4"),
            ("^0", ">=0,<1"),
            ("^0.0", ">=0.0,<0.1"),
            ("^1", ">=1,<2"),
            ("^3.8", ">=3.8,<4.0"),
            ("^ 1.2", ">=1.2,<2.0"),
            ("^1.2.3b1", ">=1.2.3b1,<2.0.0"),
        ]);
        let c = poetry("^1.2.3");
        assert!(c.contains(&v("1.9.9")) && c.contains(&v("1.2.3")));
        assert!(!c.contains(&v("2.0.0")) && !c.contains(&v("1.2.2")));
    }

    #[test]
    fn tilde_and_compatible_release() {
        assert_renders(&[
            ("~1.2.3", ">=1.2.3,<1.3.0"),
            ("~1.2", ">=1.2,<1.3"),
            ("~1", ">=1,<2"),
            ("~ 1.2", ">=1.2,<1.3"),
            ("~=1.2", "~=1.2"),
            ("~= 1.2.3", "~=1.2.3"),
        ]);
        let c = poetry("~=1.2");
        assert!(c.contains(&v("1.9")) && !c.contains(&v("2.0")));
        assert!(Constraint::parse_poetry("~=1").is_err());
    }

    #[test]
    fn exact_and_wildcard_versions() {
        assert_renders(&[
            ("1.2.3", "==1.2.3"),
            ("=1.2.3", "==1.2.3"),
            ("1.2.*", "==1.2.*"),
            ("1.2.x", "==1.2.*"),
            ("== 1.2.*", "==1.2.*"),
            ("!=1.2.*", "!=1.2.*"),
            ("<>1.0", "!=1.0"),
            (">=3.6.*", ">=3.6"),
            ("dev", "==0.0.dev0"),
        ]);
        let c = poetry("1.2.*");
        assert!(c.contains(&v("1.2.9")) && !c.contains(&v("1.3")));
        assert!(poetry("!=1.2.*").contains(&v("1.3.0")));
    }

    #[test]
    fn intersections_with_commas_spaces_and_loose_operators() {
        assert_renders(&[
            (">=1.2 <2.0", ">=1.2,<2.0"),
            (">= 1.2, < 2.0", ">=1.2,<2.0"),
            (">=1.2,<2.0", ">=1.2,<2.0"),
            (">=3.6,", ">=3.6"),
        ]);
        assert_eq!(poetry("<2.0,>=1.2"), poetry(">=1.2 <2.0"));
    }

    #[test]
    fn unions() {
        assert_renders(&[
            ("^1.0 || ^2.0", ">=1.0,<2.0 || >=2.0,<3.0"),
            (">=1 | <0.5", ">=1 || <0.5"),
            ("<3.9 || >=3.12", "<3.9 || >=3.12"),
        ]);
        let c = poetry("^1.0 || ^3.0");
        assert!(c.contains(&v("1.5")) && c.contains(&v("3.1")) && !c.contains(&v("2.0")));
    }

    #[test]
    fn python_versions_strings() {
        assert_renders(&[(">=2.7, !=3.0.*, !=3.1.*", ">=2.7,!=3.0.*,!=3.1.*"), (">=3.6,<4.0", ">=3.6,<4.0")]);
        let c = poetry(">=2.7, !=3.0.*, !=3.1.*");
        assert!(!c.contains(&v("3.1.4")) && c.contains(&v("3.2")));
        assert!(PythonMinor::all().all(|m| c.allows_python(m)));
    }

    #[test]
    fn intersections_and_python_markers() {
        assert_eq!(poetry(">=1").intersect(&poetry("<2")).to_string(), ">=1,<2");
        assert_eq!(poetry("*").intersect(&poetry("<2")), poetry("<2"));
        let union = poetry("<1 || >=2").intersect(&poetry("!=3"));
        assert!(union.contains(&v("0.5")) && union.contains(&v("2.5")) && !union.contains(&v("3")));
        let marker = |text: &str| poetry(text).python_marker().try_to_string().unwrap_or_else(|| "true".into());
        assert_eq!(marker("^3.10"), "python_full_version >= '3.10' and python_full_version < '4'");
        assert_eq!(marker("3.8"), "python_full_version == '3.8.*'");
        assert_eq!(marker("*"), "true");
        let both =
            poetry("<3.10").python_marker().and(uv_pep508::MarkerTree::from_str("python_version >= '3.10'").unwrap());
        assert!(both.is_false(), "{both:?}");
    }

    #[test]
    fn allows_python_checks_some_patch_release() {
        let allowed = |text: &str| -> Vec<u8> {
            PythonMinor::all().filter(|m| poetry(text).allows_python(*m)).map(|m| m.0).collect()
        };
        assert_eq!(allowed(">=3.10"), vec![10, 11, 12, 13, 14]);
        assert_eq!(allowed(">=3.9.2,<3.11"), vec![9, 10]);
        assert_eq!(allowed("<3.9"), Vec::<u8>::new());
        assert_eq!(allowed("==3.9.7"), vec![9]);
        assert_eq!(allowed(">=3.9.2,<3.9.5"), vec![9]);
        assert_eq!(allowed("!=3.10.*,<3.12"), vec![9, 11]);
        assert_eq!(allowed("<3.10 || >=3.13"), vec![9, 13, 14]);
        assert_eq!(allowed("*"), vec![9, 10, 11, 12, 13, 14]);
    }

    #[test]
    fn pre_post_dev_and_local_versions() {
        assert!(poetry(">=1.0.0a1").contains(&v("1.0.0b1")));
        assert!(poetry("==1.0.post1").contains(&v("1.0.post1")));
        assert!(!poetry("<2.0").contains(&v("2.0.dev0")));
        assert!(poetry("<2.0.dev0").contains(&v("1.9")));
        let local = poetry("2.3.0+cpu");
        assert_eq!(local.to_string(), "==2.3.0+cpu");
        assert!(local.contains(&v("2.3.0+cpu")) && !local.contains(&v("2.3.0+cu118")));
        assert!(poetry("==2.3.0").contains(&v("2.3.0+cpu")));
        assert_eq!(poetry("v1.2.3").to_string(), "==1.2.3");
    }

    #[test]
    fn malformed_poetry_constraints_name_the_input() {
        for text in [">=1.2 <x", "^abc", "~", ">=", "1.2.3 ||", ">=1,,<2", "foo", ">=1.0+local", "1.0 - 2.0"] {
            let err = Constraint::parse_poetry(text).expect_err(text);
            assert!(matches!(err, ConstraintError::Invalid { .. }), "{text}: {err:?}");
            assert!(err.to_string().contains(&format!("`{text}`")), "{err}");
        }
        let err = Constraint::parse_poetry(">=1.2 <x").unwrap_err();
        assert!(matches!(err, ConstraintError::Invalid { ref part, .. } if part == "<x"));
        let err = Constraint::parse_poetry("===1.0").unwrap_err();
        assert_eq!(err, ConstraintError::ArbitraryEquality { text: "===1.0".into() });
    }

    #[test]
    fn strict_pep440() {
        let c = Constraint::parse_pep440(">=3.8, <4").unwrap();
        assert_eq!(c.to_string(), ">=3.8,<4");
        assert!(Constraint::parse_pep440("  ").unwrap().is_any());
        for text in ["^3.8", ">=3.8,", "3.8", "~=3"] {
            let err = Constraint::parse_pep440(text).expect_err(text);
            assert!(err.to_string().contains(&format!("`{text}`")), "{err}");
        }
        assert!(matches!(Constraint::parse_pep440("===3.8"), Err(ConstraintError::ArbitraryEquality { .. })));
    }

    #[test]
    fn from_specifiers_round_trips() {
        let specifiers = VersionSpecifiers::from_str(">=3.9,!=3.9.1").unwrap();
        let c = Constraint::from_specifiers(specifiers);
        assert_eq!(c.to_string(), ">=3.9,!=3.9.1");
        assert_eq!(c, poetry(">=3.9 !=3.9.1"));
        assert!(Constraint::from_specifiers(VersionSpecifiers::empty()).is_any());
    }
}
