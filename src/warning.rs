//! Warnings: what the user should know that did not stop the run, as data. The binary prints
//! them (or not, with `-q`); many of one kind are summarised in one line.

use std::fmt;

/// One thing worth knowing, about one subject.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    /// What it is about, as the summary lists it: a package (`torch 2.5.1`), an extra, a file.
    pub subject: String,
    /// The whole message, one line.
    pub message: String,
}

impl Warning {
    pub fn new(kind: WarningKind, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind, subject: subject.into(), message: message.into() }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The kinds of warning, in the order a summary lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum WarningKind {
    /// The lock's content-hash is not Poetry's hash of pyproject.toml: `poetry lock` is due.
    StaleLock,
    /// `[tool.poetry.extras]` names a package that is no dependency of the project.
    ExtraNamesNoDependency,
    /// `[tool.poetry.extras]` beside a `[project]` that declares dependencies: Poetry 2 ignores it.
    PoetryExtrasIgnored,
    /// The project's attribute is not its name, which a locked package or the overlay uses.
    ProjectAttributeRenamed,
    /// Lock 2.1 markers and the dependency graph disagree about a package on a target.
    LockMarkersDisagree,
    /// The lock names no files for a package; the index's files of its version are used.
    FilesFromIndex,
    /// A locked file is gone from the index; the next best artifact is used.
    FileNotOnIndex,
    /// Every usable file of a package is gone from the index (`--allow-missing`).
    MissingFromIndex,
    /// pyproject.toml gives a named source another URL than the lock records.
    SourceUrlChanged,
    /// The netrc file could not be parsed; it is ignored.
    UnreadableNetrc,
    /// A git or url remote could not be reached and no hash is known (`--allow-missing`).
    UnreachableRemote,
    /// An sdist's build system was not read (no inference, or the sdist could not be read).
    BuildSystemNotInferred,
    /// A wheel's native libraries were not read.
    NativeLibrariesNotInferred,
    /// A wheel needs libraries the soname table does not know.
    UnknownSonames,
    /// The project's environment holds no package on any target: the lock locks none, the
    /// project asks for none, none is installed on a target, or none has a file that fits one.
    EmptyProject,
    /// Extras or groups that uv's `conflicts` keeps apart are left out of the file.
    ConflictingExtras,
    /// A lock without a graph gives no dependencies for packages whose wheels were not read.
    DependenciesNotInferred,
}

impl WarningKind {
    /// What a summary line says of many warnings of this kind, before the count.
    fn summary(self) -> &'static str {
        match self {
            Self::StaleLock => "locks stale against their pyproject.toml",
            Self::ExtraNamesNoDependency => {
                "extras name packages that are no dependency of the project (Poetry ignores them)"
            }
            Self::PoetryExtrasIgnored => "[tool.poetry.extras] ignored beside [project] dependencies",
            Self::ProjectAttributeRenamed => "project attribute renamed",
            Self::LockMarkersDisagree => "lock markers disagree with the dependency graph",
            Self::FilesFromIndex => "packages the lock names no files for; the index's files of their version are used",
            Self::FileNotOnIndex => "locked files the index no longer offers; the next best artifact is used",
            Self::MissingFromIndex => "packages without any file on the index; their attributes throw when used",
            Self::SourceUrlChanged => "sources whose URL in pyproject.toml differs from the lock's",
            Self::UnreadableNetrc => "netrc files that could not be read",
            Self::UnreachableRemote => "packages whose remote cannot be reached; their attributes throw when used",
            Self::BuildSystemNotInferred => {
                "sdists whose build system was not inferred; nixpkgs' setuptools and wheel are used"
            }
            Self::NativeLibrariesNotInferred => "wheels whose native libraries were not inferred",
            Self::UnknownSonames => "wheels need libraries overrides/sonames.toml does not know; add an override",
            Self::EmptyProject => "empty project",
            Self::ConflictingExtras => "conflicting extras or groups left out",
            Self::DependenciesNotInferred => "packages whose dependencies neither the lock nor their wheel gave",
        }
    }
}

/// `a, b, c and 7 more`: the first `shown` items of a list that may be long, for a message
/// that stays one readable line.
pub(crate) fn first_few<S: AsRef<str>>(items: &[S], shown: usize) -> String {
    let head = items.iter().take(shown).map(AsRef::as_ref).collect::<Vec<_>>().join(", ");
    match items.len().saturating_sub(shown) {
        0 => head,
        more => format!("{head} and {more} more"),
    }
}

/// At most this many warnings of one kind are printed whole; more make one summary line.
const WHOLE: usize = 3;
/// The subjects a summary line names.
const NAMED: usize = 5;

/// The lines to print: every warning when `verbose`, else the warnings of a kind one per line
/// when there are few, and one line with the count and the first subjects when there are many.
/// Kinds come in [`WarningKind`] order, warnings of one kind in the order given.
pub fn summarize(warnings: &[Warning], verbose: bool) -> Vec<String> {
    let mut kinds: Vec<WarningKind> = warnings.iter().map(|w| w.kind).collect();
    kinds.sort();
    kinds.dedup();
    let mut lines = Vec::new();
    for kind in kinds {
        let of_kind: Vec<&Warning> = warnings.iter().filter(|w| w.kind == kind).collect();
        if verbose || of_kind.len() <= WHOLE {
            lines.extend(of_kind.iter().map(|w| w.message.clone()));
            continue;
        }
        let mut subjects: Vec<&str> = of_kind.iter().map(|w| w.subject.as_str()).collect();
        subjects.dedup();
        let named = subjects.iter().take(NAMED).copied().collect::<Vec<_>>().join(", ");
        let more = if subjects.len() > NAMED { ", …" } else { "" };
        lines.push(format!("{} {}: {named}{more} (-v lists each)", of_kind.len(), kind.summary()));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(subject: &str) -> Warning {
        Warning::new(WarningKind::BuildSystemNotInferred, subject, format!("{subject}: build system not inferred"))
    }

    #[test]
    fn few_warnings_print_whole_and_many_make_one_line() {
        let few = [gap("a 1"), gap("b 1")];
        assert_eq!(summarize(&few, false), ["a 1: build system not inferred", "b 1: build system not inferred"]);
        let many: Vec<Warning> = (0..300).map(|k| gap(&format!("p{k} 1"))).collect();
        assert_eq!(
            summarize(&many, false),
            [
                "300 sdists whose build system was not inferred; nixpkgs' setuptools and wheel are used: p0 1, p1 1, p2 1, p3 1, p4 1, … (-v lists each)"
            ]
        );
        assert_eq!(summarize(&many, true).len(), 300);
    }

    #[test]
    fn long_lists_are_cut() {
        assert_eq!(first_few(&["a", "b"], 5), "a, b");
        assert_eq!(first_few(&["a", "b", "c"], 2), "a, b and 1 more");
    }

    #[test]
    fn kinds_are_summarised_apart_in_a_fixed_order() {
        let mut warnings: Vec<Warning> = (0..4).map(|k| gap(&format!("p{k} 1"))).collect();
        warnings.push(Warning::new(WarningKind::ExtraNamesNoDependency, "infra", "extra infra names ansible"));
        let lines = summarize(&warnings, false);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "extra infra names ansible");
        assert!(lines[1].starts_with("4 sdists"), "{lines:?}");
    }
}
