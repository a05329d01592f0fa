//! `[tool.uv]`: the settings that change what is installed from a uv.lock. uv reads them from
//! the workspace root's pyproject.toml at install time; they are not in the lock.

use std::collections::BTreeSet;

use super::{Context, ProjectError};
use crate::name::{GroupName, PackageName};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UvSettings {
    /// `default-groups`: the groups `uv sync` installs unless told otherwise.
    pub default_groups: DefaultGroups,
    /// `no-binary = true`: every package from its sdist.
    pub no_binary: bool,
    /// `no-build = true`: no package built from source.
    pub no_build: bool,
    pub no_binary_package: BTreeSet<PackageName>,
    pub no_build_package: BTreeSet<PackageName>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultGroups {
    All,
    Listed(Vec<GroupName>),
}

impl Default for UvSettings {
    fn default() -> Self {
        Self {
            // uv's default: the `dev` group.
            default_groups: DefaultGroups::Listed(vec![GroupName::new("dev").expect("a valid group name")]),
            no_binary: false,
            no_build: false,
            no_binary_package: BTreeSet::new(),
            no_build_package: BTreeSet::new(),
        }
    }
}

impl UvSettings {
    pub fn installs_by_default(&self, group: &GroupName) -> bool {
        match &self.default_groups {
            DefaultGroups::All => true,
            DefaultGroups::Listed(groups) => groups.contains(group),
        }
    }

    /// Whether `package` must be built from its sdist.
    pub fn forbids_wheel(&self, package: &PackageName) -> bool {
        self.no_binary || self.no_binary_package.contains(package)
    }

    /// Whether `package` must come as a wheel.
    pub fn forbids_build(&self, package: &PackageName) -> bool {
        self.no_build || self.no_build_package.contains(package)
    }
}

pub(super) fn read(table: &toml::Table, ctx: &Context) -> Result<UvSettings, ProjectError> {
    let mut settings = UvSettings::default();
    let entry = |key: &str| format!("[tool.uv] {key}");
    let flag = |key: &str| -> Result<bool, ProjectError> {
        match table.get(key) {
            None => Ok(false),
            Some(value) => value.as_bool().ok_or_else(|| ctx.error(entry(key), "must be true or false")),
        }
    };
    let names = |key: &str| -> Result<BTreeSet<PackageName>, ProjectError> {
        let Some(value) = table.get(key) else { return Ok(BTreeSet::new()) };
        let list = value.as_array().ok_or_else(|| ctx.error(entry(key), "must be a list of package names"))?;
        list.iter()
            .map(|v| {
                let text = v.as_str().ok_or_else(|| ctx.error(entry(key), "must be a list of package names"))?;
                PackageName::from_owned(text.to_string()).map_err(|e| ctx.error(entry(key), format!("`{text}`: {e}")))
            })
            .collect()
    };
    settings.no_binary = flag("no-binary")?;
    settings.no_build = flag("no-build")?;
    settings.no_binary_package = names("no-binary-package")?;
    settings.no_build_package = names("no-build-package")?;
    match table.get("default-groups") {
        None => {}
        Some(toml::Value::String(all)) if all == "all" => settings.default_groups = DefaultGroups::All,
        Some(toml::Value::Array(list)) => {
            let groups = list
                .iter()
                .map(|v| {
                    let text = v.as_str().ok_or_else(|| ctx.error(entry("default-groups"), "must list group names"))?;
                    GroupName::new(text).map_err(|e| ctx.error(entry("default-groups"), format!("`{text}`: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            settings.default_groups = DefaultGroups::Listed(groups);
        }
        Some(_) => return Err(ctx.error(entry("default-groups"), "must be \"all\" or a list of group names")),
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use crate::project::parse;

    #[test]
    fn settings_that_change_what_is_installed_are_read() {
        let text = "[project]\nname = \"app\"\n[tool.uv]\nno-build = true\nno-binary-package = [\"Torch\"]\ndefault-groups = \"all\"\n";
        let project = parse(text, "pyproject.toml").unwrap();
        assert!(project.uv.no_build && !project.uv.no_binary);
        assert!(project.uv.forbids_wheel(&"torch".parse().unwrap()));
        assert!(project.uv.installs_by_default(&crate::name::GroupName::new("lint").unwrap()));
        let plain = parse("[project]\nname = \"app\"\n", "pyproject.toml").unwrap();
        assert!(plain.uv.installs_by_default(&crate::name::GroupName::new("dev").unwrap()));
        assert!(!plain.uv.installs_by_default(&crate::name::GroupName::new("docs").unwrap()));
        let bad = parse("[tool.uv]\ndefault-groups = 3\n", "pyproject.toml").unwrap_err();
        assert!(bad.to_string().contains("[tool.uv] default-groups"), "{bad}");
    }
}
