//! The header of the generated file: the tool, the command that reproduces the file, and what
//! it was generated for. Only what changes the output is recorded, with paths relative to the
//! file's folder, so that the same inputs give the same bytes on every machine.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use super::{GenerateOptions, pyproject_path};
use crate::fetch::{DEFAULT_INDEX_URL, witness};
use crate::model::Lock;
use crate::name::PackageName;
use crate::plan::Plan;
use crate::render::Header;
use crate::resolve::target::{PlatformPolicy, PythonMinor, System};
use crate::resolve::{Prefer, Resolution};
use crate::safe_url::DisplaySafeUrl;

/// Turns the paths of a run into the form the file records: relative to the folder of the
/// output (the working directory for standard output), with `/` separators.
pub(super) struct RecordedPaths {
    /// The output's folder, made absolute; `None` when it cannot be known.
    base: Option<PathBuf>,
}

impl RecordedPaths {
    pub(super) fn new(options: &GenerateOptions) -> Self {
        let folder = match &options.output {
            Some(output) => output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")),
            None => Path::new("."),
        };
        Self { base: absolute(folder) }
    }

    /// `path` relative to the output's folder. Never absolute: when no relative form exists
    /// (another drive), the file name alone.
    pub(super) fn relative(&self, path: &Path) -> String {
        let relative = self
            .base
            .as_ref()
            .zip(absolute(path))
            .and_then(|(base, path)| pathdiff::diff_paths(path, base))
            .filter(|p| p.is_relative());
        let relative = relative.unwrap_or_else(|| PathBuf::from(path.file_name().unwrap_or(path.as_os_str())));
        let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        if parts.is_empty() { ".".to_string() } else { parts.join("/") }
    }
}

/// `path` absolute, with symbolic links resolved as far as the path exists (so that two
/// spellings of one folder compare equal) and `.`/`..` resolved lexically beyond that.
fn absolute(path: &Path) -> Option<PathBuf> {
    if let Ok(real) = witness::canonicalize(path) {
        return Some(real);
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name()?;
    let base = match witness::canonicalize(parent) {
        Ok(real) => real,
        Err(_) => std::path::absolute(parent).ok()?.components().fold(PathBuf::new(), |mut clean, component| {
            match component {
                Component::ParentDir => {
                    clean.pop();
                }
                Component::CurDir => {}
                other => clean.push(other),
            }
            clean
        }),
    };
    Some(base.join(name))
}

/// The command that reproduces the file: the options that change its text, in a fixed order,
/// whatever order and spelling the user typed them in. Output, cache, concurrency, network and
/// verbosity flags are left out, since they never change a byte of the file.
pub fn recorded_command(options: &GenerateOptions) -> String {
    recorded(options, &RecordedPaths::new(options))
}

fn recorded(options: &GenerateOptions, paths: &RecordedPaths) -> String {
    let mut args: Vec<String> = vec!["lock2nix".into()];
    let mut flag = |name: &str, value: Option<String>| {
        args.push(name.to_string());
        args.extend(value);
    };
    let policy = &options.resolve;
    if policy.systems != System::ALL {
        flag(
            "--system",
            Some(
                policy.systems.iter().map(super::super::resolve::target::System::as_nix).collect::<Vec<_>>().join(","),
            ),
        );
    }
    let all_pythons: Vec<PythonMinor> = PythonMinor::all().collect();
    if policy.pythons != all_pythons {
        flag("--python", Some(policy.pythons.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")));
    }
    if policy.artifacts.prefer == Prefer::Sdist {
        flag("--prefer", Some("sdist".into()));
    }
    if !policy.artifacts.no_binary.is_empty() {
        flag("--no-binary", Some(names(&policy.artifacts.no_binary)));
    }
    if !policy.artifacts.only_binary.is_empty() {
        flag("--only-binary", Some(names(&policy.artifacts.only_binary)));
    }
    let default_platform = PlatformPolicy::default();
    if policy.platform.glibc != default_platform.glibc {
        flag("--glibc", Some(pair(policy.platform.glibc)));
    }
    if policy.platform.macos != default_platform.macos {
        flag("--macos-version", Some(pair(policy.platform.macos)));
    }
    if policy.re_resolve {
        flag("--re-resolve", None);
    }
    for variant in &options.variants {
        flag("--variant", Some(variant.clone()));
    }
    // A local mirror by its path relative to the file, so that the header holds no absolute
    // path and `check` finds it from any folder.
    let shown = |url: &DisplaySafeUrl| match url::Url::parse(url.expose()).ok().and_then(|u| u.to_file_path().ok()) {
        Some(folder) => format!("{}/", paths.relative(&folder)),
        None => url.redacted(),
    };
    if options.fetch.index_url.expose() != DEFAULT_INDEX_URL {
        flag("--index-url", Some(shown(&options.fetch.index_url)));
    }
    for (name, url) in &options.sources {
        flag("--source", Some(format!("{name}={}", shown(url))));
    }
    if let Some(file) = &options.overrides.file {
        flag("--overrides", Some(paths.relative(file)));
    }
    if !options.overrides.builtin {
        flag("--no-builtin-overrides", None);
    }
    match &options.infer {
        None => flag("--no-infer", None),
        Some(infer) => {
            if let Some(size) = infer.max_size {
                flag("--infer-max-size", Some(size.to_string()));
            }
        }
    }
    if options.allow_missing {
        flag("--allow-missing", None);
    }
    if let Some(file) = &options.hashes {
        flag("--hashes", Some(paths.relative(file)));
    }
    let lock_next_to = options.lock.parent().unwrap_or(Path::new(".")).join("pyproject.toml");
    let pyproject = pyproject_path(options);
    if absolute(&pyproject) != absolute(&lock_next_to) {
        flag("--pyproject", Some(paths.relative(&pyproject)));
    }
    args.push(paths.relative(&options.lock));
    args.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")
}

/// The header: tool, command, and what the file was generated for.
pub(super) fn header(
    lock: &Lock,
    plan: &Plan,
    resolution: &Resolution,
    options: &GenerateOptions,
    paths: &RecordedPaths,
) -> Header {
    let mut systems: Vec<&str> = plan.targets.iter().map(|t| t.system.as_nix()).collect();
    systems.dedup();
    let mut pythons: Vec<PythonMinor> = plan.targets.iter().map(|t| t.python).collect();
    pythons.sort();
    pythons.dedup();
    let pythons: Vec<String> = pythons.iter().map(ToString::to_string).collect();
    let policy = &options.resolve;
    let mut notes = vec![
        format!(
            "Lock: {}, {} packages{}",
            lock.format,
            lock.packages.len(),
            if resolution.follows_lock_markers {
                "; installed where the lock's markers say (Poetry's installer.re-resolve = false)"
            } else {
                ""
            }
        ),
        format!("Systems: {}; CPython {}", systems.join(", "), pythons.join(", ")),
        format!(
            "Artifacts: prefer {}; manylinux up to glibc {}; macOS {} or newer",
            match policy.artifacts.prefer {
                Prefer::Wheel => "wheels",
                Prefer::Sdist => "sdists",
            },
            pair(policy.platform.glibc),
            pair(policy.platform.macos),
        ) + &name_list("; from source", &policy.artifacts.no_binary)
            + &name_list("; never from source", &policy.artifacts.only_binary),
        format!(
            "The project is attribute `{}`{}; paths above are relative to this file's folder.",
            plan.root.attr,
            plan.root.renamed.as_ref().map(|why| format!(" ({why})")).unwrap_or_default()
        ),
    ];
    let throwing = plan.throwing_for_missing_files();
    if !throwing.is_empty() {
        notes.push(format!(
            "Missing from the index or unreachable, throwing when used (--allow-missing): {}",
            throwing.join(", ")
        ));
    }
    Header { tool: format!("lock2nix {}", env!("CARGO_PKG_VERSION")), command: recorded(options, paths), notes }
}

fn pair((major, minor): (u16, u16)) -> String {
    format!("{major}.{minor}")
}

fn names(names: &BTreeSet<PackageName>) -> String {
    names.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// `label: a, b` for a non-empty set of names, else nothing.
fn name_list(label: &str, names: &BTreeSet<PackageName>) -> String {
    if names.is_empty() {
        return String::new();
    }
    format!("{label}: {}", names.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
}

/// Quotes an argument the way a shell user would type it.
fn shell_quote(arg: &str) -> String {
    if !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_for_a_shell() {
        assert_eq!(shell_quote("poetry.lock"), "poetry.lock");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("a b"), "'a b'");
    }

    #[test]
    fn paths_are_relative_to_the_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("nix")).unwrap();
        std::fs::write(dir.path().join("poetry.lock"), "").unwrap();
        let paths = RecordedPaths { base: absolute(&dir.path().join("nix")) };
        assert_eq!(paths.relative(&dir.path().join("poetry.lock")), "../poetry.lock");
        assert_eq!(paths.relative(&dir.path().join("nix/../poetry.lock")), "../poetry.lock");
        assert_eq!(paths.relative(&dir.path().join("nix/new.toml")), "new.toml");
        let same = RecordedPaths { base: absolute(dir.path()) };
        assert_eq!(same.relative(&dir.path().join("poetry.lock")), "poetry.lock");
    }
}
