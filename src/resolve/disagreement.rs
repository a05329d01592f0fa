//! Lock 2.1 markers against the dependency graph: packages the graph reaches from the
//! project's roots on a target, but that the lock's own markers leave out there. Some Poetry
//! 2.x releases wrote such markers; Poetry's installer follows them, and so does lock2nix by
//! default, but the user should hear of it.

use std::collections::{BTreeMap, BTreeSet};

use super::target::Target;
use super::walk::TargetResolution;
use uv_pep440::Version;

use crate::model::Lock;
use crate::name::PackageName;
use crate::warning::{Warning, WarningKind};

/// Package → the targets where the graph reaches it but the lock's markers leave it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// Lock package index → target indices, both ascending.
    pub left_out: BTreeMap<usize, Vec<usize>>,
}

/// At most this many packages are named in the warning.
const NAMED: usize = 10;

impl Disagreement {
    /// Compares, per target, what the graph reaches (`graph[target][package]`) with what the
    /// walk restricted by the lock's markers installed. Names are compared, not versions: where
    /// a lock holds several versions of one name, the graph alone cannot always tell which one
    /// a target gets (that takes Poetry's solver), but it can tell that one is needed.
    pub(super) fn find(lock: &Lock, graph: &[Vec<bool>], by_lock: &[TargetResolution]) -> Option<Self> {
        let mut left_out: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (t, (reached, resolved)) in graph.iter().zip(by_lock).enumerate() {
            let installed: BTreeSet<&PackageName> = resolved
                .installed
                .iter()
                .zip(&lock.packages)
                .filter(|(installed, _)| installed.is_some())
                .map(|(_, package)| &package.name)
                .collect();
            for (i, &reached) in reached.iter().enumerate() {
                if reached && !installed.contains(&lock.packages[i].name) {
                    left_out.entry(i).or_default().push(t);
                }
            }
        }
        (!left_out.is_empty()).then_some(Self { left_out })
    }

    /// One warning naming the packages, the targets and the ways out.
    pub fn warning(&self, lock: &Lock, targets: &[Target]) -> Warning {
        let mut named: Vec<String> = self
            .left_out
            .iter()
            .take(NAMED)
            .map(|(&i, on)| format!("{} on {}", lock.packages[i].id(), describe_targets(on, targets)))
            .collect();
        if self.left_out.len() > NAMED {
            named.push(format!("and {} more", self.left_out.len() - NAMED));
        }
        // Poetry 2.0.0 to 2.1.1 wrote markers that drop dependencies on whole platforms
        // (poetry-core #846, poetry #10240); a newer Poetry computes them anew.
        let fixed_in: Version = "2.1.2".parse().expect("a version");
        let relock = match &lock.generated_by {
            Some(version) if *version >= fixed_in => {
                format!("Poetry {version} wrote these markers; `poetry lock --regenerate` may correct them")
            }
            _ => "re-lock with Poetry 2.1.2 or newer (`poetry lock --regenerate`) to correct them".to_string(),
        };
        Warning::new(
            WarningKind::LockMarkersDisagree,
            &lock.origin,
            format!(
                "{}: the lock's markers leave out {} package(s) that the dependency graph reaches from the project's roots: {}. Poetry's installer follows the markers (installer.re-resolve = false), and so does this file; {relock}, or pass --re-resolve to install what the graph reaches",
                lock.origin,
                self.left_out.len(),
                named.join("; ")
            ),
        )
    }
}

/// `every target`, or per system either the system alone (all its CPython minors) or the
/// system with the minors: `x86_64-linux, aarch64-darwin (3.12, 3.13)`.
pub(super) fn describe_targets(indices: &[usize], targets: &[Target]) -> String {
    if indices.len() == targets.len() {
        return "every target".to_string();
    }
    let mut systems: Vec<(&str, Vec<String>, usize)> = Vec::new();
    for target in targets {
        let system = target.system.as_nix();
        match systems.iter_mut().find(|(s, _, _)| *s == system) {
            Some(entry) => entry.2 += 1,
            None => systems.push((system, Vec::new(), 1)),
        }
    }
    for &t in indices {
        let target = &targets[t];
        let entry = systems.iter_mut().find(|(s, _, _)| *s == target.system.as_nix()).expect("a known system");
        entry.1.push(target.python.to_string());
    }
    systems
        .into_iter()
        .filter(|(_, minors, _)| !minors.is_empty())
        .map(
            |(system, minors, all)| {
                if minors.len() == all { system.to_string() } else { format!("{system} ({})", minors.join(", ")) }
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::target::{PythonMinor, System};

    fn targets() -> Vec<Target> {
        let mut out = Vec::new();
        for system in System::ALL {
            for minor in [12, 13] {
                out.push(Target { system, python: PythonMinor(minor) });
            }
        }
        out
    }

    #[test]
    fn the_advice_depends_on_the_poetry_that_wrote_the_lock() {
        let lock = |first_line: &str| {
            let text = format!("{first_line}\n[[package]]\nname = \"six\"\nversion = \"1.17.0\"\nfiles = []\n");
            crate::lockfile::poetry::parse(&text, "poetry.lock").unwrap()
        };
        let disagreement = Disagreement { left_out: [(0, vec![0, 1])].into() };
        let old = lock("# This file is automatically @generated by Poetry 2.0.1 and should not be changed by hand.");
        assert_eq!(old.generated_by, Some("2.0.1".parse().unwrap()));
        let message = disagreement.warning(&old, &targets()).message;
        assert!(message.contains("six==1.17.0 on x86_64-linux."), "{message}");
        assert!(message.contains("; re-lock with Poetry 2.1.2 or newer (`poetry lock --regenerate`) to correct them, or pass --re-resolve"), "{message}");
        let new = lock("# This file is automatically @generated by Poetry 2.4.1 and should not be changed by hand.");
        let message = disagreement.warning(&new, &targets()).message;
        assert!(
            message.contains(
                "; Poetry 2.4.1 wrote these markers; `poetry lock --regenerate` may correct them, or pass --re-resolve"
            ),
            "{message}"
        );
    }

    #[test]
    fn targets_are_described_per_system() {
        let all = targets();
        assert_eq!(describe_targets(&(0..8).collect::<Vec<_>>(), &all), "every target");
        assert_eq!(describe_targets(&[0, 1, 7], &all), "x86_64-linux, aarch64-darwin (3.13)");
    }
}
