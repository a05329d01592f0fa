//! The [`Fixer`] of a real run: what inference found in the artifacts, then the override
//! database on top.

use std::collections::{BTreeMap, BTreeSet};

use super::fixups::{Fixer, Fixups, Gap, Kind, Plain, Provenance, PythonRef};
use crate::additions::Additions;
use crate::infer::native_needs;
use crate::inference::{BuildFacts, Inferred};
use crate::model::{Lock, LockedFile, Package};
use crate::name::PackageName;
use crate::overrides::{Applied, Database};

/// Fixups for the packages of one lock.
pub(crate) struct Fixes<'a> {
    db: &'a Database,
    /// Names the lock has: a build-system or dependency name maps to `final.x` when locked.
    locked: BTreeSet<&'a PackageName>,
    inferred: Option<&'a Inferred>,
    /// soname → package, for the sonames that chosen wheels of packages declared to share their
    /// libraries ship (`[shared-libraries]` of the soname table: the nvidia-* CUDA wheels).
    shipped: BTreeMap<String, String>,
}

impl<'a> Fixes<'a> {
    pub(crate) fn new(db: &'a Database, lock: &'a Lock, inferred: Option<&'a Inferred>) -> Self {
        let mut shipped = BTreeMap::new();
        let shared =
            inferred.iter().flat_map(|i| &i.natives).filter(|((package, _), _)| db.sonames().shares_libraries(package));
        for ((package, _), facts) in shared {
            for soname in facts.iter().flat_map(|f| &f.shipped) {
                shipped.entry(soname.clone()).or_insert_with(|| package.to_string());
            }
        }
        Self { db, locked: lock.packages.iter().map(|p| &p.name).collect(), inferred, shipped }
    }

    /// An sdist's build system as its own pyproject.toml (or setup.py) declares it.
    fn inferred_build(&self, package: &Package, file: &LockedFile) -> Option<Fixups> {
        let facts = self.inferred?.build_systems.get(&(package.name.clone(), file.filename.clone()))?;
        Some(self.build_fixups(facts, "the sdist's"))
    }

    /// The build-system fixups of what a source declares (`whose`: "the sdist's", …).
    fn build_fixups(&self, facts: &Result<BuildFacts, String>, whose: &str) -> Fixups {
        match facts {
            Ok(facts) => {
                let names: Vec<PackageName> =
                    facts.requires.iter().filter_map(|n| PackageName::from_owned(n.clone()).ok()).collect();
                let mut fixups = Fixups {
                    provenance: vec![Provenance::Inferred(format!(
                        "build system {} from {whose} {}",
                        facts.backend, facts.source
                    ))],
                    ..Fixups::default()
                };
                let tools = &self.db.sonames().build_tools;
                for name in &names {
                    // A requirement that only wraps a program, unless the lock has it.
                    match tools.get(&name.to_string()).filter(|_| !self.locked.contains(name)) {
                        Some(program) => {
                            fixups.adds.native_build_inputs.push(program.clone());
                            fixups.provenance.push(Provenance::Inferred(format!(
                                "build requirement {name} is the program pkgs.{program} (nativeBuildInputs)"
                            )));
                        }
                        None => fixups.adds.build_system.push(self.python_ref(name)),
                    }
                }
                fixups
            }
            Err(_) => Plain.build_system_fixups(Some(facts)),
        }
    }

    /// A manylinux wheel's native libraries: autoPatchelf with the nixpkgs libraries its ELF
    /// files need, the driver left out, what other locked wheels ship left to them.
    fn inferred_native(&self, package: &Package, file: &LockedFile, ignored: &[String]) -> Option<Fixups> {
        let facts = self.inferred?.natives.get(&(package.name.clone(), file.filename.clone()))?;
        let libs = match facts {
            Ok(libs) if libs.elf_files > 0 => libs,
            Ok(_) => {
                return Some(Fixups {
                    provenance: vec![Provenance::Inferred("no ELF files, nothing to patch".into())],
                    ..Fixups::default()
                });
            }
            Err(why) => {
                return Some(Fixups {
                    provenance: vec![Provenance::Gap(Gap::NativeLibraries(why.clone()))],
                    ..Fixups::default()
                });
            }
        };
        let table = self.db.sonames();
        let own = package.name.to_string();
        let others: BTreeMap<String, String> =
            self.shipped.iter().filter(|(_, p)| **p != own).map(|(s, p)| (s.clone(), p.clone())).collect();
        let skip: BTreeSet<String> = table.driver.iter().chain(ignored).cloned().collect();
        let needs = native_needs(libs, &table.providers, &skip, &table.system, &others);
        let mut fixups = Fixups {
            adds: Additions { native_build_inputs: vec!["autoPatchelfHook".into()], ..Additions::default() },
            ..Fixups::default()
        };
        let mapped: Vec<String> = needs.build_inputs.iter().cloned().collect();
        fixups.provenance.push(Provenance::Inferred(if mapped.is_empty() {
            format!("{}, no library needed from nixpkgs", elf_files(libs.elf_files))
        } else {
            format!("{} need {}", elf_files(libs.elf_files), mapped.join(", "))
        }));
        fixups.adds.build_inputs = mapped;
        fixups.adds.auto_patchelf_ignore_missing_deps.extend(needs.ignore_missing.iter().cloned());
        if !needs.ignore_missing.is_empty() {
            let list: Vec<&str> = needs.ignore_missing.iter().map(String::as_str).collect();
            fixups.provenance.push(Provenance::Inferred(format!(
                "not build inputs (GPU driver, or ignored by an override): {}",
                list.join(", ")
            )));
        }
        if !needs.from_other_wheels.is_empty() {
            let list: Vec<String> = needs.from_other_wheels.iter().map(|(s, p)| format!("{s} ({p})")).collect();
            fixups.adds.auto_patchelf_ignore_missing_deps.extend(needs.from_other_wheels.keys().cloned());
            fixups
                .provenance
                .push(Provenance::Inferred(format!("shipped by other locked wheels: {}", list.join(", "))));
        }
        if !needs.unknown.is_empty() {
            fixups.provenance.push(Provenance::Gap(Gap::UnknownSonames(needs.unknown.iter().cloned().collect())));
        }
        Some(fixups)
    }

    fn python_ref(&self, name: &PackageName) -> PythonRef {
        if self.locked.contains(name) {
            PythonRef::Locked(super::package_attribute(name.as_ref()))
        } else if crate::overrides::known_attributes().contains(&format!("python3Packages.{name}")) {
            PythonRef::Nixpkgs(name.to_string())
        } else {
            PythonRef::Unlisted(name.to_string())
        }
    }
}

impl Fixer for Fixes<'_> {
    fn fixups(&self, package: &Package, file: &LockedFile, kind: Kind) -> Fixups {
        let applied = self.db.apply_to_artifact(&package.name, &package.version, kind, file.dist.os());
        // What an entry says to ignore is not a build input, whatever the soname table maps it to
        // (CUDA sonames: the nvidia-* wheels provide them, not nixpkgs' unfree cudaPackages).
        let ignored: &[String] = applied.as_ref().map_or(&[], |a| &a.adds.auto_patchelf_ignore_missing_deps);
        let inferred = match kind {
            Kind::Sdist => self.inferred_build(package, file),
            Kind::Wheel => self.inferred_native(package, file, ignored),
        };
        let mut fixups = inferred.unwrap_or_else(|| Plain.fixups(package, file, kind));
        if let Some(applied) = &applied {
            self.add(&mut fixups, applied);
        }
        if kind == Kind::Wheel && !file.dist.is_linux_binary() {
            // Patching ELF files is for Linux binaries: a macOS or pure wheel has none, and
            // the patchelf hooks do not exist off Linux.
            fixups.adds.drop_linux_binary_fixes();
        }
        fixups
    }

    fn tree_fixups(&self, package: &Package, facts: Option<&Result<BuildFacts, String>>) -> Fixups {
        let mut fixups = self.build_system_fixups(facts);
        if let Some(applied) = self.db.apply_to_artifact(&package.name, &package.version, Kind::Sdist, None) {
            self.add(&mut fixups, &applied);
        }
        fixups
    }

    fn build_system_fixups(&self, facts: Option<&Result<BuildFacts, String>>) -> Fixups {
        match facts {
            Some(facts) => self.build_fixups(facts, "its"),
            None => Plain.build_system_fixups(None),
        }
    }

    fn dropped(&self, package: &Package) -> bool {
        self.db.is_dropped(&package.name, &package.version)
    }
}

fn elf_files(count: usize) -> String {
    if count == 1 { "1 ELF file".to_string() } else { format!("{count} ELF files") }
}

impl Fixes<'_> {
    /// Adds an override's additions, by the one merge rule: its build-system requirements
    /// come on top of the inferred (or default) ones.
    fn add(&self, fixups: &mut Fixups, applied: &Applied<'_>) {
        for entry in &applied.entries {
            fixups.provenance.push(Provenance::Override {
                package: entry.package.to_string(),
                file: entry.origin.file().to_string(),
                reason: entry.reason.clone(),
            });
        }
        fixups.adds.merge(&applied.adds.map_packages(|name| self.python_ref(name)));
    }
}

#[cfg(test)]
mod tests;
