//! What a dev shell needs to install a source folder editable: the folders its import
//! packages live in (`src` for a src-layout project) and its console scripts, read from its
//! pyproject.toml as its build backend would find them.

use std::collections::BTreeMap;
use std::path::Path;

/// A source folder's import roots and console scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditableLayout {
    /// Folders relative to the source folder that go on `sys.path` (`.` or `src`), in the order
    /// the configuration names them.
    pub roots: Vec<String>,
    /// Console scripts: name → `module:function`.
    pub scripts: BTreeMap<String, String>,
}

impl Default for EditableLayout {
    fn default() -> Self {
        Self { roots: vec![".".to_string()], scripts: BTreeMap::new() }
    }
}

impl EditableLayout {
    /// The layout of the folder `folder` whose pyproject.toml says `pyproject`.
    pub fn of_folder(folder: &Path, pyproject: Option<&str>) -> Self {
        Self::of(pyproject, |relative| crate::fetch::witness::is_dir(&folder.join(relative)))
    }

    /// The layout from pyproject.toml's text; `is_dir` tells whether a relative folder exists.
    pub fn of(pyproject: Option<&str>, is_dir: impl Fn(&str) -> bool) -> Self {
        let doc: toml::Table = pyproject.and_then(|text| toml::from_str(text).ok()).unwrap_or_default();
        let roots = declared_roots(&doc).unwrap_or_else(|| {
            // Every backend's default discovery: a `src` folder means the src layout.
            vec![if is_dir("src") { "src" } else { "." }.to_string()]
        });
        Self { roots, scripts: scripts(&doc) }
    }
}

fn get<'a>(doc: &'a toml::Table, path: &[&str]) -> Option<&'a toml::Value> {
    let (first, rest) = path.split_first()?;
    rest.iter().try_fold(doc.get(*first)?, |value, key| value.get(key))
}

/// The import roots a backend's configuration names, where it names any.
fn declared_roots(doc: &toml::Table) -> Option<Vec<String>> {
    let strings = |value: &toml::Value| -> Vec<String> {
        value.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
    };
    let mut roots: Vec<String> = Vec::new();
    if let Some(packages) = get(doc, &["tool", "poetry", "packages"]).and_then(toml::Value::as_array) {
        // poetry-core: `{ include = "pkg", from = "src" }`; without `from`, the folder itself.
        // Entries only the sdist gets (`format = "sdist"`) are not installed.
        let in_wheel = |p: &toml::Value| match p.get("format") {
            Some(toml::Value::String(format)) => format == "wheel",
            Some(toml::Value::Array(formats)) => formats.iter().any(|f| f.as_str() == Some("wheel")),
            _ => true,
        };
        roots.extend(
            packages
                .iter()
                .filter(|p| in_wheel(p))
                .map(|p| p.get("from").and_then(toml::Value::as_str).unwrap_or(".").to_string()),
        );
    } else if let Some(packages) = get(doc, &["tool", "hatch", "build", "targets", "wheel", "packages"]) {
        // hatchling: `packages = ["src/pkg"]` installs `pkg` from `src`.
        roots.extend(strings(packages).iter().map(|p| parent(p)));
    } else if let Some(dir) = get(doc, &["tool", "setuptools", "package-dir", ""]).and_then(toml::Value::as_str) {
        roots.push(dir.to_string());
    } else if let Some(wheres) = get(doc, &["tool", "setuptools", "packages", "find", "where"]) {
        roots.extend(strings(wheres));
    } else if let Some(dir) = get(doc, &["tool", "pdm", "build", "package-dir"]).and_then(toml::Value::as_str) {
        roots.push(dir.to_string());
    } else if let Some(dir) = get(doc, &["tool", "maturin", "python-source"]).and_then(toml::Value::as_str) {
        roots.push(dir.to_string());
    }
    // In the order declared: the first is the one an editable install uses.
    let mut unique: Vec<String> = Vec::new();
    for root in roots.into_iter().map(|r| normalize(&r)) {
        if !unique.contains(&root) {
            unique.push(root);
        }
    }
    (!unique.is_empty()).then_some(unique)
}

/// `src/pkg` → `src`; `pkg` → `.`.
fn parent(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    trimmed.rsplit_once('/').map_or(".".to_string(), |(parent, _)| parent.to_string())
}

/// `./src/` → `src`; the empty path → `.`.
fn normalize(path: &str) -> String {
    let trimmed = path.trim_start_matches("./").trim_end_matches('/');
    if trimmed.is_empty() { ".".to_string() } else { trimmed.to_string() }
}

/// `[project.scripts]`, then `[tool.poetry.scripts]` (a string, or a table with `reference`
/// and `type = "console"`; Poetry's file scripts are not console scripts).
fn scripts(doc: &toml::Table) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for (table, poetry) in
        [(get(doc, &["project", "scripts"]), false), (get(doc, &["tool", "poetry", "scripts"]), true)]
    {
        for (name, value) in table.and_then(toml::Value::as_table).into_iter().flatten() {
            let target = match value {
                toml::Value::String(target) => Some(target.as_str()),
                toml::Value::Table(entry) if poetry => {
                    let console = entry.get("type").and_then(toml::Value::as_str).is_none_or(|t| t == "console");
                    entry
                        .get("reference")
                        .or_else(|| entry.get("callable"))
                        .and_then(toml::Value::as_str)
                        .filter(|_| console)
                }
                _ => None,
            };
            if let Some(target) = target.filter(|t| t.contains(':')) {
                found.entry(name.clone()).or_insert_with(|| target.trim().to_string());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(text: &str, dirs: &[&str]) -> EditableLayout {
        EditableLayout::of(Some(text), |d| dirs.contains(&d))
    }

    #[test]
    fn a_src_folder_means_the_src_layout_unless_the_backend_says_otherwise() {
        assert_eq!(layout("[project]\nname = \"a\"\n", &["src"]).roots, ["src"]);
        assert_eq!(layout("[project]\nname = \"a\"\n", &[]).roots, ["."]);
        let poetry = "[tool.poetry]\npackages = [{ include = \"a\", from = \"lib\" }, { include = \"b\" }]\n";
        assert_eq!(layout(poetry, &["src"]).roots, ["lib", "."]);
        // What only the sdist gets is not installed (meltano's tests and docs).
        let sdist_only = "[tool.poetry]\npackages = [{ include = \"tests\", format = \"sdist\" }, { include = \"m\", from = \"src\", format = [\"wheel\", \"sdist\"] }]\n";
        assert_eq!(layout(sdist_only, &[]).roots, ["src"]);
        let hatch = "[tool.hatch.build.targets.wheel]\npackages = [\"python/a\"]\n";
        assert_eq!(layout(hatch, &["src"]).roots, ["python"]);
        assert_eq!(layout("[tool.setuptools.package-dir]\n\"\" = \"./code/\"\n", &[]).roots, ["code"]);
        assert_eq!(layout("[tool.setuptools.packages.find]\nwhere = [\"src\"]\n", &[]).roots, ["src"]);
        assert_eq!(layout("[tool.maturin]\npython-source = \"python\"\n", &[]).roots, ["python"]);
        assert_eq!(EditableLayout::of(None, |_| false), EditableLayout::default());
        assert_eq!(EditableLayout::of(Some("not toml ["), |_| true).roots, ["src"]);
    }

    #[test]
    fn console_scripts_come_from_pep_621_and_poetry() {
        let text = r#"
[project.scripts]
serve = "app.cli:serve"

[tool.poetry.scripts]
serve = "ignored:other"
tool = { reference = "app.tool:main", type = "console" }
legacy = { callable = "app.old:main" }
data = { reference = "bin/data.sh", type = "file" }
bad = "no-colon"
"#;
        let scripts = layout(text, &[]).scripts;
        let expected: Vec<(&str, &str)> =
            vec![("legacy", "app.old:main"), ("serve", "app.cli:serve"), ("tool", "app.tool:main")];
        assert_eq!(scripts.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(), expected);
    }
}
