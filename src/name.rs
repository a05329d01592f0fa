//! PEP 503 normalized names: packages, extras and dependency groups.

pub use uv_normalize::PackageName;
pub(crate) use uv_normalize::{ExtraName, InvalidNameError};

/// A dependency-group name (Poetry groups, PEP 735 `[dependency-groups]`), PEP 503-normalized
/// like package names so that `Dev`, `dev` and `DEV` are one group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupName(String);

impl GroupName {
    /// Normalizes `name`; fails on names PEP 503 does not allow.
    pub fn new(name: &str) -> Result<Self, InvalidNameError> {
        // Reuse the package-name rules so groups and packages normalize identically.
        PackageName::from_owned(name.to_string()).map(|n| Self(n.to_string()))
    }

    /// The implicit group of a project's main dependencies.
    pub fn main() -> Self {
        Self("main".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same name as uv's markers take it (`'dev' in dependency_groups`).
    pub fn to_marker_group(&self) -> uv_normalize::GroupName {
        self.0.parse().expect("a normalized group name is valid")
    }
}

impl std::fmt::Display for GroupName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_per_pep_503() {
        assert_eq!(PackageName::from_owned("Typing_Extensions".into()).unwrap().to_string(), "typing-extensions");
        assert_eq!(PackageName::from_owned("zope.interface".into()).unwrap().to_string(), "zope-interface");
        assert_eq!(GroupName::new("Dev_Tools").unwrap().as_str(), "dev-tools");
        assert!(GroupName::new("-bad").is_err());
    }
}
