//! `lock2nix overrides list` and `lock2nix overrides show NAME`.

use std::fmt::Write as _;

use super::database::Database;
use super::schema::{Entry, NamePattern, RelaxDeps};
use crate::name::PackageName;

/// One line per entry, columns aligned: package, versions (`*` for all), applies-to, what it adds
/// (list fields with their length, scalars with their value), reason.
pub fn format_list(db: &Database) -> String {
    if db.entries().is_empty() {
        return "no override entries\n".to_string();
    }
    let header = ["PACKAGE", "VERSIONS", "APPLIES-TO", "ADDS", "REASON"].map(str::to_string);
    let rows: Vec<[String; 5]> = db
        .entries()
        .iter()
        .map(|e| {
            let versions = e.versions.as_ref().map_or_else(|| "*".to_string(), ToString::to_string);
            let mut applies_to = e.applies_to.to_string();
            if !e.platforms.is_empty() {
                let platforms: Vec<&str> = e.platforms.iter().map(|p| p.as_str()).collect();
                let _ = write!(applies_to, " ({})", platforms.join(", "));
            }
            [e.package.to_string(), versions, applies_to, adds_summary(e), e.reason.clone()]
        })
        .collect();
    let mut widths = [0; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter().zip(row) {
            write!(out, "{cell:<width$}  ").unwrap();
        }
        out.push_str(&row[4]);
        out.push('\n');
    }
    out
}

/// What an entry adds, short: `build-inputs(2) artifact=sdist drop`.
fn adds_summary(entry: &Entry) -> String {
    let count = |n: usize| format!("({n})");
    let parts: Vec<String> = entry
        .added_fields()
        .into_iter()
        .map(|field| {
            let detail = match field {
                "native-build-inputs" => count(entry.adds.native_build_inputs.len()),
                "build-inputs" => count(entry.adds.build_inputs.len()),
                "build-system" => count(entry.adds.build_system.len()),
                "dependencies" => count(entry.adds.dependencies.len()),
                "env" => count(entry.adds.env.len()),
                "auto-patchelf-ignore-missing-deps" => count(entry.adds.auto_patchelf_ignore_missing_deps.len()),
                "runtime-dependencies" => count(entry.adds.runtime_dependencies.len()),
                "python-remove-deps" => count(entry.adds.python_remove_deps.len()),
                "artifact" => entry.artifact.map(|a| format!("={a}")).unwrap_or_default(),
                "python-relax-deps" => match &entry.adds.python_relax_deps {
                    Some(RelaxDeps::Names(names)) => count(names.len()),
                    _ => "=all".to_string(),
                },
                _ => String::new(),
            };
            format!("{field}{detail}")
        })
        .collect();
    parts.join(" ")
}

/// Every entry matching `name` (a package name, any version and artifact; or a glob such as
/// `nvidia-*`, matching the entries written with that glob), in TOML with its origin. `None` when
/// no entry matches.
pub fn format_show(db: &Database, name: &str) -> Option<String> {
    let query = NamePattern::parse(name.trim()).ok()?;
    let matching: Vec<&Entry> = db
        .entries()
        .iter()
        .filter(|e| match &query {
            NamePattern::Exact(name) => e.package.matches(name),
            prefix @ NamePattern::Prefix(_) => e.package == *prefix,
        })
        .collect();
    if matching.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (i, entry) in matching.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        write_entry(&mut out, entry);
    }
    Some(out)
}

fn write_entry(out: &mut String, e: &Entry) {
    let string = |s: &str| toml::Value::String(s.to_string()).to_string();
    let strings = |items: &[String]| format!("[{}]", items.iter().map(|s| string(s)).collect::<Vec<_>>().join(", "));
    let names = |items: &[PackageName]| strings(&items.iter().map(ToString::to_string).collect::<Vec<_>>());
    writeln!(out, "# {}\n[[override]]", e.origin).unwrap();
    let mut field = |key: &str, value: String| writeln!(out, "{key} = {value}").unwrap();
    field("package", string(&e.package.to_string()));
    if let Some(versions) = &e.versions {
        field("versions", string(&versions.to_string()));
    }
    field("applies-to", string(e.applies_to.as_str()));
    if !e.platforms.is_empty() {
        field("platforms", strings(&e.platforms.iter().map(|p| p.as_str().to_string()).collect::<Vec<_>>()));
    }
    field("reason", string(&e.reason));
    field("link", string(&e.link));
    let lists: [(&str, &[String]); 4] = [
        ("native-build-inputs", &e.adds.native_build_inputs),
        ("build-inputs", &e.adds.build_inputs),
        ("auto-patchelf-ignore-missing-deps", &e.adds.auto_patchelf_ignore_missing_deps),
        ("runtime-dependencies", &e.adds.runtime_dependencies),
    ];
    for (key, list) in lists.into_iter().take(2) {
        if !list.is_empty() {
            field(key, strings(list));
        }
    }
    if !e.adds.build_system.is_empty() {
        field("build-system", names(&e.adds.build_system));
    }
    if !e.adds.dependencies.is_empty() {
        field("dependencies", names(&e.adds.dependencies));
    }
    if !e.adds.env.is_empty() {
        let pairs: Vec<String> = e.adds.env.iter().map(|(k, v)| format!("{k} = {}", string(v))).collect();
        field("env", format!("{{ {} }}", pairs.join(", ")));
    }
    for (key, list) in lists.into_iter().skip(2) {
        if !list.is_empty() {
            field(key, strings(list));
        }
    }
    if let Some(artifact) = e.artifact {
        field("artifact", string(artifact.as_str()));
    }
    if let Some(script) = &e.adds.pre_build {
        field("pre-build", string(script));
    }
    if let Some(script) = &e.adds.post_install {
        field("post-install", string(script));
    }
    match &e.adds.python_relax_deps {
        Some(RelaxDeps::All) => field("python-relax-deps", "true".to_string()),
        Some(RelaxDeps::Names(names)) => field("python-relax-deps", strings(names)),
        None => {}
    }
    if !e.adds.python_remove_deps.is_empty() {
        field("python-remove-deps", strings(&e.adds.python_remove_deps));
    }
    if e.drop {
        field("drop", "true".to_string());
    }
}
