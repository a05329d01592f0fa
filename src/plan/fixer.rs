//! The [`Fixer`] of a real run: the override database, on top of what inference found.

use std::collections::BTreeSet;

use super::fixups::{Fixer, Fixups, Kind, Plain, PythonRef};
use crate::model::{Lock, LockedFile, Package};
use crate::name::PackageName;
use crate::overrides::{Applied, Database};

/// Fixups from the override database for the packages of one lock.
pub struct Fixes<'a> {
    db: &'a Database,
    /// Names the lock has: a build-system or dependency name maps to `final.x` when locked.
    locked: BTreeSet<&'a PackageName>,
}

impl<'a> Fixes<'a> {
    pub fn new(db: &'a Database, lock: &'a Lock) -> Self {
        Self { db, locked: lock.packages.iter().map(|p| &p.name).collect() }
    }

    fn python_ref(&self, name: &PackageName) -> PythonRef {
        if self.locked.contains(name) {
            PythonRef::Locked(name.to_string())
        } else {
            PythonRef::Nixpkgs(name.to_string())
        }
    }
}

impl Fixer for Fixes<'_> {
    fn fixups(&self, package: &Package, file: &LockedFile, kind: Kind) -> Fixups {
        let mut fixups = Plain.fixups(package, file, kind);
        if let Some(applied) = self.db.apply(&package.name, &package.version, Some(kind)) {
            self.add(&mut fixups, &applied);
        }
        fixups
    }

    fn dropped(&self, package: &Package) -> bool {
        self.db.is_dropped(&package.name, &package.version)
    }
}

impl Fixes<'_> {
    /// Adds an override's additions; its build-system requirements come on top of the
    /// inferred (or default) ones.
    fn add(&self, fixups: &mut Fixups, applied: &Applied<'_>) {
        for entry in &applied.entries {
            fixups.provenance.push(format!("override: {} ({}): {}", entry.package, entry.origin.file(), entry.reason));
        }
        let push_unique = |list: &mut Vec<String>, items: &[String]| {
            for item in items {
                if !list.contains(item) {
                    list.push(item.clone());
                }
            }
        };
        for name in &applied.build_system {
            let reference = self.python_ref(name);
            if !fixups.build_system.contains(&reference) {
                fixups.build_system.push(reference);
            }
        }
        for name in &applied.dependencies {
            let reference = self.python_ref(name);
            if !fixups.dependencies.contains(&reference) {
                fixups.dependencies.push(reference);
            }
        }
        push_unique(&mut fixups.native_build_inputs, &applied.native_build_inputs);
        push_unique(&mut fixups.build_inputs, &applied.build_inputs);
        push_unique(&mut fixups.runtime_dependencies, &applied.runtime_dependencies);
        push_unique(&mut fixups.auto_patchelf_ignore_missing_deps, &applied.auto_patchelf_ignore_missing_deps);
        fixups.env.extend(applied.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        if applied.pre_build.is_some() {
            fixups.pre_build.clone_from(&applied.pre_build);
        }
        if applied.post_install.is_some() {
            fixups.post_install.clone_from(&applied.post_install);
        }
        if applied.python_relax_deps.is_some() {
            fixups.python_relax_deps.clone_from(&applied.python_relax_deps);
        }
        push_unique(&mut fixups.python_remove_deps, &applied.python_remove_deps);
    }
}
