//! Reading and validating an override file: `[[override]]` tables into [`Entry`]s.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use uv_pep440::VersionSpecifiers;

use super::OverrideError;
use super::schema::{Additions, AppliesTo, ArtifactKind, Entry, NamePattern, Origin, RelaxDeps, is_attribute_path};
use crate::filename::Os;
use crate::name::PackageName;

/// Which nixpkgs attribute paths a file may name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AttributePolicy<'a> {
    /// Only paths in this list (built-in files: a typo must not reach a user's evaluation).
    Known(&'a BTreeSet<String>),
    /// Any well-formed path (user files: users know their nixpkgs).
    WellFormed,
}

/// One `[[override]]` table as written; every field optional so that each one can be checked
/// (and its error reported) on its own.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawEntry {
    package: Option<String>,
    versions: Option<String>,
    applies_to: Option<AppliesTo>,
    platforms: Option<Vec<Os>>,
    reason: Option<String>,
    link: Option<String>,
    native_build_inputs: Option<Vec<String>>,
    build_inputs: Option<Vec<String>>,
    build_system: Option<Vec<String>>,
    dependencies: Option<Vec<String>>,
    env: Option<BTreeMap<String, String>>,
    auto_patchelf_ignore_missing_deps: Option<Vec<String>>,
    runtime_dependencies: Option<Vec<String>>,
    artifact: Option<ArtifactKind>,
    pre_build: Option<String>,
    post_install: Option<String>,
    python_relax_deps: Option<toml::Value>,
    python_remove_deps: Option<Vec<String>>,
    drop: Option<bool>,
}

/// Parses and validates every entry of one override file.
pub(crate) fn parse_entries(text: &str, origin: &Origin, policy: AttributePolicy) -> Result<Vec<Entry>, OverrideError> {
    let file = origin.file();
    let layout = |message: String| OverrideError::Layout { file: file.to_string(), message };
    let doc: toml::Table =
        crate::toml_error::from_str(text).map_err(|source| OverrideError::Toml { file: file.to_string(), source })?;
    if let Some(key) = doc.keys().find(|key| *key != "override") {
        return Err(layout(format!("unknown top-level key `{key}`; a file holds only [[override]] tables")));
    }
    let Some(items) = doc.get("override") else {
        return Err(layout("holds no [[override]] entries".to_string()));
    };
    let toml::Value::Array(items) = items else {
        return Err(layout("`override` must be an array of tables, written [[override]]".to_string()));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            toml::Value::Table(table) => parse_entry(table, i + 1, origin, policy),
            _ => Err(layout(format!("[[override]] #{} is not a table", i + 1))),
        })
        .collect()
}

/// The entry being validated, for error messages.
struct Context<'a> {
    file: &'a str,
    index: usize,
    package: String,
}

impl Context<'_> {
    fn field(&self, field: &str, message: impl Into<String>) -> OverrideError {
        OverrideError::Field {
            file: self.file.to_string(),
            index: self.index,
            package: self.package.clone(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn entry(&self, message: impl Into<String>) -> OverrideError {
        OverrideError::Entry {
            file: self.file.to_string(),
            index: self.index,
            package: self.package.clone(),
            message: message.into(),
        }
    }
}

fn parse_entry(
    table: &toml::Table,
    index: usize,
    origin: &Origin,
    policy: AttributePolicy,
) -> Result<Entry, OverrideError> {
    let package_text = match table.get("package") {
        Some(toml::Value::String(text)) => text.clone(),
        _ => "?".to_string(),
    };
    let cx = Context { file: origin.file(), index, package: package_text };
    let raw = deserialize(table, &cx)?;

    let Some(package) = raw.package.as_deref() else {
        return Err(cx.field("package", "missing: every entry names its package (or a glob such as `nvidia-*`)"));
    };
    let package = NamePattern::parse(package).map_err(|message| cx.field("package", message))?;
    let versions =
        match raw.versions.as_deref() {
            None => None,
            Some(text) if text.trim().is_empty() => {
                return Err(cx.field("versions", "empty; omit `versions` to match every version"));
            }
            Some(text) => Some(text.parse::<VersionSpecifiers>().map_err(|e| {
                cx.field("versions", format!("not a PEP 440 specifier set: {}", e.to_string().trim_end()))
            })?),
        };
    let applies_to = raw.applies_to.unwrap_or_default();
    let platforms_given = raw.platforms.is_some();
    let platforms = raw.platforms.unwrap_or_default();
    if platforms_given {
        if platforms.is_empty() {
            return Err(cx.field("platforms", "empty; omit `platforms` to apply to every artifact"));
        }
        if applies_to != AppliesTo::Wheel {
            return Err(cx.field(
                "platforms",
                "selects wheels by their platform tags; add applies-to = \"wheel\" (an sdist builds on every system)",
            ));
        }
    }
    let reason = required_text(&cx, "reason", raw.reason)?;
    if reason.contains('\n') {
        return Err(cx.field("reason", "must be one line"));
    }
    let link = required_text(&cx, "link", raw.link)?;
    let well_formed_link =
        link.len() > "https://".len() && link.starts_with("https://") && !link.contains(char::is_whitespace);
    if !well_formed_link {
        return Err(cx.field("link", format!("`{link}` is not an https:// address")));
    }

    let entry = Entry {
        package,
        versions,
        applies_to,
        platforms,
        reason,
        link,
        origin: origin.clone(),
        adds: Additions {
            native_build_inputs: attributes(&cx, "native-build-inputs", raw.native_build_inputs, policy)?,
            build_inputs: attributes(&cx, "build-inputs", raw.build_inputs, policy)?,
            build_system: package_names(&cx, "build-system", raw.build_system)?,
            dependencies: package_names(&cx, "dependencies", raw.dependencies)?,
            env: environment(&cx, raw.env)?,
            auto_patchelf_ignore_missing_deps: sonames(
                &cx,
                "auto-patchelf-ignore-missing-deps",
                raw.auto_patchelf_ignore_missing_deps,
            )?,
            runtime_dependencies: attributes(&cx, "runtime-dependencies", raw.runtime_dependencies, policy)?,
            pre_build: script(&cx, "pre-build", raw.pre_build)?,
            post_install: script(&cx, "post-install", raw.post_install)?,
            python_relax_deps: relax_deps(&cx, raw.python_relax_deps)?,
            python_remove_deps: written_names(&cx, "python-remove-deps", raw.python_remove_deps)?,
        },
        artifact: raw.artifact,
        drop: raw.drop.unwrap_or(false),
    };
    check_whole(&entry, &cx)?;
    Ok(entry)
}

/// Deserializes the table; on failure, finds the field at fault by deserializing each key alone.
fn deserialize(table: &toml::Table, cx: &Context) -> Result<RawEntry, OverrideError> {
    let error = match toml::Value::Table(table.clone()).try_into::<RawEntry>() {
        Ok(raw) => return Ok(raw),
        Err(error) => error,
    };
    for (key, value) in table {
        let alone = toml::Table::from_iter([(key.clone(), value.clone())]);
        if let Err(error) = toml::Value::Table(alone).try_into::<RawEntry>() {
            // The first line: toml appends "in `key`", which the message already says.
            let message = tidy(&error);
            return Err(cx.field(key, message.lines().next().unwrap_or_default()));
        }
    }
    Err(cx.entry(tidy(&error)))
}

/// The entry-level rules: it adds something, and its fields do not contradict each other.
fn check_whole(entry: &Entry, cx: &Context) -> Result<(), OverrideError> {
    let added = entry.added_fields();
    if added.is_empty() {
        return Err(cx.entry(
            "adds nothing: give at least one of native-build-inputs, build-inputs, build-system, dependencies, env, \
             auto-patchelf-ignore-missing-deps, runtime-dependencies, artifact, pre-build, post-install, \
             python-relax-deps, python-remove-deps, or drop = true",
        ));
    }
    if entry.drop {
        if let Some(other) = added.iter().find(|f| **f != "drop") {
            return Err(cx.field(
                other,
                "the entry has drop = true, which leaves the package out; it cannot also add to its build",
            ));
        }
        if entry.applies_to != AppliesTo::Both {
            return Err(
                cx.field("applies-to", "drop = true leaves the package out whatever its artifact; remove applies-to")
            );
        }
    }
    let contradiction = match (entry.artifact, entry.applies_to) {
        (Some(ArtifactKind::Sdist), AppliesTo::Wheel) | (Some(ArtifactKind::Wheel), AppliesTo::Sdist) => entry.artifact,
        _ => None,
    };
    if let Some(artifact) = contradiction {
        return Err(cx.field(
            "artifact",
            format!("forces {artifact} but the entry applies only to {}; remove applies-to", entry.applies_to),
        ));
    }
    Ok(())
}

fn required_text(cx: &Context, field: &str, value: Option<String>) -> Result<String, OverrideError> {
    match value {
        None => {
            Err(cx.field(field, "missing: every entry says why it exists (reason) and where that is documented (link)"))
        }
        Some(text) if text.trim().is_empty() => Err(cx.field(field, "empty")),
        Some(text) => Ok(text.trim().to_string()),
    }
}

/// A list field that, when given, is not empty and holds no item twice.
fn nonempty_list(cx: &Context, field: &str, value: Option<Vec<String>>) -> Result<Vec<String>, OverrideError> {
    let Some(list) = value else { return Ok(Vec::new()) };
    if list.is_empty() {
        return Err(cx.field(field, "empty list; omit the field instead"));
    }
    for (i, item) in list.iter().enumerate() {
        if item.trim().is_empty() {
            return Err(cx.field(field, "holds an empty string"));
        }
        if list[..i].contains(item) {
            return Err(cx.field(field, format!("`{item}` is listed twice")));
        }
    }
    Ok(list)
}

fn attributes(
    cx: &Context,
    field: &str,
    value: Option<Vec<String>>,
    policy: AttributePolicy,
) -> Result<Vec<String>, OverrideError> {
    let list = nonempty_list(cx, field, value)?;
    for path in &list {
        match policy {
            AttributePolicy::Known(known) if !known.contains(path) => {
                return Err(cx.field(
                    field,
                    format!("`{path}` is not in overrides/nixpkgs-attributes.txt (a typo, or add it there)"),
                ));
            }
            AttributePolicy::WellFormed if !is_attribute_path(path) => {
                return Err(cx.field(
                    field,
                    format!("`{path}` is not a nixpkgs attribute path (dotted identifiers, e.g. `stdenv.cc.cc.lib`)"),
                ));
            }
            _ => {}
        }
    }
    Ok(list)
}

/// Python package names, normalized; two spellings of one name are a duplicate.
fn package_names(cx: &Context, field: &str, value: Option<Vec<String>>) -> Result<Vec<PackageName>, OverrideError> {
    let list = nonempty_list(cx, field, value)?;
    let mut names: Vec<PackageName> = Vec::with_capacity(list.len());
    for text in list {
        let name = PackageName::from_owned(text.clone())
            .map_err(|e| cx.field(field, format!("`{text}` is not a valid package name: {e}")))?;
        if names.contains(&name) {
            return Err(cx.field(field, format!("`{text}` is listed twice (as `{name}`)")));
        }
        names.push(name);
    }
    Ok(names)
}

/// Package names as written (nixpkgs' relax/remove hooks get them verbatim), validated like
/// [`package_names`].
fn written_names(cx: &Context, field: &str, value: Option<Vec<String>>) -> Result<Vec<String>, OverrideError> {
    let Some(list) = value else { return Ok(Vec::new()) };
    package_names(cx, field, Some(list.clone()))?;
    Ok(list)
}

fn sonames(cx: &Context, field: &str, value: Option<Vec<String>>) -> Result<Vec<String>, OverrideError> {
    let list = nonempty_list(cx, field, value)?;
    if let Some(bad) =
        list.iter().find(|s| s.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\\' | '$' | '/')))
    {
        return Err(cx.field(field, format!("`{bad}` is not a soname or soname glob")));
    }
    Ok(list)
}

fn environment(
    cx: &Context,
    value: Option<BTreeMap<String, String>>,
) -> Result<BTreeMap<String, String>, OverrideError> {
    let Some(env) = value else { return Ok(BTreeMap::new()) };
    if env.is_empty() {
        return Err(cx.field("env", "empty table; omit the field instead"));
    }
    let is_name = |key: &str| {
        key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if let Some(bad) = env.keys().find(|key| !is_name(key)) {
        return Err(cx.field("env", format!("`{bad}` is not an environment variable name")));
    }
    Ok(env)
}

fn script(cx: &Context, field: &str, value: Option<String>) -> Result<Option<String>, OverrideError> {
    match value {
        Some(text) if text.trim().is_empty() => Err(cx.field(field, "empty; omit the field instead")),
        other => Ok(other),
    }
}

fn relax_deps(cx: &Context, value: Option<toml::Value>) -> Result<Option<RelaxDeps>, OverrideError> {
    const FIELD: &str = "python-relax-deps";
    match value {
        None => Ok(None),
        Some(toml::Value::Boolean(true)) => Ok(Some(RelaxDeps::All)),
        Some(toml::Value::Boolean(false)) => Err(cx.field(FIELD, "`false` relaxes nothing; omit the field instead")),
        Some(toml::Value::Array(items)) => {
            let names: Option<Vec<String>> = items.iter().map(|v| v.as_str().map(str::to_string)).collect();
            let Some(names) = names else {
                return Err(cx.field(FIELD, "expected `true` or a list of package names"));
            };
            Ok(Some(RelaxDeps::Names(written_names(cx, FIELD, Some(names))?)))
        }
        Some(_) => Err(cx.field(FIELD, "expected `true` or a list of package names")),
    }
}

/// A one-paragraph error message from a TOML/serde error (no trailing newline).
fn tidy(error: &toml::de::Error) -> String {
    error.to_string().trim_end().to_string()
}
