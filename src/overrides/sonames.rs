//! `overrides/sonames.toml`: which nixpkgs attribute provides a shared library, which
//! libraries are never build inputs (the GPU driver's, glibc's), and which sdist build
//! requirements are programs nixpkgs has at top level rather than in its Python package set.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::OverrideError;
use super::parse::AttributePolicy;
use super::schema::NamePattern;
use crate::name::PackageName;

/// The soname table used by native-library inference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SonameTable {
    /// soname → the nixpkgs attribute path that provides it (`"libz.so.1"` → `"zlib"`).
    pub providers: BTreeMap<String, String>,
    /// Provided by the GPU driver at run time (`[ignore] sonames`): never a build input.
    pub driver: BTreeSet<String>,
    /// Provided by glibc, always present (`[ignore] system`).
    pub system: BTreeSet<String>,
    /// `[build-tools]`: a PyPI build requirement that only wraps a program (normalized name) →
    /// the nixpkgs attribute of that program, which goes to `nativeBuildInputs`.
    pub build_tools: BTreeMap<String, String>,
    /// `[shared-libraries] packages`: the packages whose wheels' shared libraries other wheels
    /// load at run time (torch preloads the nvidia-* CUDA libraries from sys.path). Only their
    /// sonames count as provided by another locked wheel.
    pub shared_by: Vec<NamePattern>,
}

impl SonameTable {
    /// Whether other wheels can load the shared libraries `package`'s wheel ships.
    pub fn shares_libraries(&self, package: &PackageName) -> bool {
        self.shared_by.iter().any(|pattern| pattern.matches(package))
    }

    /// The nixpkgs attribute that provides `soname`, if the table knows one.
    pub fn provider(&self, soname: &str) -> Option<&str> {
        self.providers.get(soname).map(String::as_str)
    }

    /// Whether `soname` is the driver's or the system's, so never a build input.
    pub fn is_ignored(&self, soname: &str) -> bool {
        self.driver.contains(soname) || self.system.contains(soname)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSonames {
    #[serde(default)]
    sonames: BTreeMap<String, String>,
    #[serde(default)]
    ignore: RawIgnore,
    #[serde(default, rename = "build-tools")]
    build_tools: BTreeMap<String, String>,
    #[serde(default, rename = "shared-libraries")]
    shared_libraries: RawShared,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShared {
    #[serde(default)]
    packages: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    #[serde(default)]
    sonames: Vec<String>,
    #[serde(default)]
    system: Vec<String>,
}

/// Parses and validates a soname table. Every provider must satisfy `policy`; a soname may be
/// listed once only, in one of the three places.
pub(crate) fn parse_sonames(text: &str, file: &str, policy: AttributePolicy) -> Result<SonameTable, OverrideError> {
    let raw: RawSonames =
        crate::toml_error::from_str(text).map_err(|source| OverrideError::Toml { file: file.to_string(), source })?;
    let error = |table: &str, key: &str, message: String| OverrideError::Soname {
        file: file.to_string(),
        table: table.to_string(),
        key: key.to_string(),
        message,
    };
    let is_soname =
        |s: &str| !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || matches!(c, '/' | '"' | '\\' | '$'));

    for (soname, attribute) in &raw.sonames {
        if !is_soname(soname) {
            return Err(error("sonames", soname, "not a soname".to_string()));
        }
        let allowed = match policy {
            AttributePolicy::Known(known) => known.contains(attribute),
            AttributePolicy::WellFormed => super::schema::is_attribute_path(attribute),
        };
        if !allowed {
            return Err(error(
                "sonames",
                soname,
                format!("provider `{attribute}` is not in overrides/nixpkgs-attributes.txt (a typo, or add it there)"),
            ));
        }
    }

    for (requirement, attribute) in &raw.build_tools {
        let normalized = crate::name::PackageName::from_owned(requirement.clone()).map(|n| n.to_string());
        if normalized.as_ref().ok() != Some(requirement) {
            return Err(error("build-tools", requirement, "not a normalized (PEP 503) package name".to_string()));
        }
        let allowed = match policy {
            AttributePolicy::Known(known) => known.contains(attribute),
            AttributePolicy::WellFormed => super::schema::is_attribute_path(attribute),
        };
        if !allowed {
            return Err(error(
                "build-tools",
                requirement,
                format!("program `{attribute}` is not in overrides/nixpkgs-attributes.txt (a typo, or add it there)"),
            ));
        }
    }

    let mut driver = BTreeSet::new();
    let mut system = BTreeSet::new();
    for (key, list, set) in [("sonames", &raw.ignore.sonames, &mut driver), ("system", &raw.ignore.system, &mut system)]
    {
        for soname in list {
            let table = format!("ignore.{key}");
            if !is_soname(soname) {
                return Err(error(&table, soname, "not a soname".to_string()));
            }
            if raw.sonames.contains_key(soname) {
                return Err(error(
                    &table,
                    soname,
                    "also has a provider in [sonames]; it is one or the other".to_string(),
                ));
            }
            if !set.insert(soname.clone()) {
                return Err(error(&table, soname, "listed twice".to_string()));
            }
        }
    }
    if let Some(both) = driver.intersection(&system).next() {
        return Err(error("ignore", both, "listed in both `sonames` and `system`".to_string()));
    }
    let shared_by = raw
        .shared_libraries
        .packages
        .iter()
        .map(|p| NamePattern::parse(p).map_err(|message| error("shared-libraries", p, message)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SonameTable { providers: raw.sonames, driver, system, build_tools: raw.build_tools, shared_by })
}
