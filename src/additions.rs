//! What a derivation gets beyond `fetchurl` + `buildPythonPackage`: one type for what an
//! override entry adds (Python packages by name) and for what the plan decides for an artifact
//! (Python packages as attribute references), with one merge rule and one rule for artifacts
//! without Linux ELF files.

use std::collections::BTreeMap;

/// Setup hooks that patch Linux ELF files: meaningless for other artifacts, and absent from
/// nixpkgs off Linux.
pub(crate) const LINUX_ONLY_HOOKS: [&str; 2] = ["autoPatchelfHook", "autoAddDriverRunpath"];

/// Additions to one derivation; `P` names a Python package (`PackageName` in an override entry,
/// `PythonRef` in the plan). Empty lists and `None` add nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Additions<P> {
    /// nixpkgs attribute paths.
    pub native_build_inputs: Vec<String>,
    pub build_inputs: Vec<String>,
    /// `build-system` of a source build.
    pub build_system: Vec<P>,
    /// Runtime dependencies beyond the lock's edges.
    pub dependencies: Vec<P>,
    pub env: BTreeMap<String, String>,
    pub auto_patchelf_ignore_missing_deps: Vec<String>,
    pub runtime_dependencies: Vec<String>,
    pub pre_build: Option<String>,
    pub post_install: Option<String>,
    pub python_relax_deps: Option<RelaxDeps>,
    pub python_remove_deps: Vec<String>,
}

/// `python-relax-deps`: `true` relaxes every `Requires-Dist` bound, a list only those packages'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelaxDeps {
    All,
    Names(Vec<String>),
}

impl RelaxDeps {
    /// Merges a later value into this one: `All` absorbs, lists are united in order.
    pub(crate) fn merge(&mut self, later: &Self) {
        match (&mut *self, later) {
            (Self::All, _) => {}
            (_, Self::All) => *self = Self::All,
            (Self::Names(names), Self::Names(more)) => extend_unique(names, more),
        }
    }
}

impl<P> Default for Additions<P> {
    fn default() -> Self {
        Self {
            native_build_inputs: Vec::new(),
            build_inputs: Vec::new(),
            build_system: Vec::new(),
            dependencies: Vec::new(),
            env: BTreeMap::new(),
            auto_patchelf_ignore_missing_deps: Vec::new(),
            runtime_dependencies: Vec::new(),
            pre_build: None,
            post_install: None,
            python_relax_deps: None,
            python_remove_deps: Vec::new(),
        }
    }
}

impl<P: PartialEq + Clone> Additions<P> {
    /// Adds later additions, by the README's rules: lists concatenated without duplicates
    /// (first occurrence kept), `env` keys and scripts from the later one that sets them,
    /// `python-relax-deps = true` absorbing any list.
    pub(crate) fn merge(&mut self, later: &Self) {
        extend_unique(&mut self.native_build_inputs, &later.native_build_inputs);
        extend_unique(&mut self.build_inputs, &later.build_inputs);
        extend_unique(&mut self.build_system, &later.build_system);
        extend_unique(&mut self.dependencies, &later.dependencies);
        self.env.extend(later.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        extend_unique(&mut self.auto_patchelf_ignore_missing_deps, &later.auto_patchelf_ignore_missing_deps);
        extend_unique(&mut self.runtime_dependencies, &later.runtime_dependencies);
        if later.pre_build.is_some() {
            self.pre_build.clone_from(&later.pre_build);
        }
        if later.post_install.is_some() {
            self.post_install.clone_from(&later.post_install);
        }
        if let Some(relax) = &later.python_relax_deps {
            match &mut self.python_relax_deps {
                Some(merged) => merged.merge(relax),
                None => self.python_relax_deps = Some(relax.clone()),
            }
        }
        extend_unique(&mut self.python_remove_deps, &later.python_remove_deps);
    }

    /// What of these additions applies to a wheel without Linux ELF files (a macOS or pure
    /// wheel; a source build runs on every system, Linux included, and keeps everything): no
    /// library inputs, no patchelf settings, no Linux-only hooks.
    pub(crate) fn drop_linux_binary_fixes(&mut self) {
        self.native_build_inputs.retain(|attr| !LINUX_ONLY_HOOKS.contains(&attr.as_str()));
        self.build_inputs.clear();
        self.runtime_dependencies.clear();
        self.auto_patchelf_ignore_missing_deps.clear();
    }

    /// The same additions with each Python package named another way.
    pub(crate) fn map_packages<Q>(&self, mut name: impl FnMut(&P) -> Q) -> Additions<Q> {
        Additions {
            native_build_inputs: self.native_build_inputs.clone(),
            build_inputs: self.build_inputs.clone(),
            build_system: self.build_system.iter().map(&mut name).collect(),
            dependencies: self.dependencies.iter().map(&mut name).collect(),
            env: self.env.clone(),
            auto_patchelf_ignore_missing_deps: self.auto_patchelf_ignore_missing_deps.clone(),
            runtime_dependencies: self.runtime_dependencies.clone(),
            pre_build: self.pre_build.clone(),
            post_install: self.post_install.clone(),
            python_relax_deps: self.python_relax_deps.clone(),
            python_remove_deps: self.python_remove_deps.clone(),
        }
    }

    /// The schema names of the fields these additions set, in schema order.
    pub(crate) fn added_fields(&self) -> Vec<&'static str> {
        let present = [
            ("native-build-inputs", !self.native_build_inputs.is_empty()),
            ("build-inputs", !self.build_inputs.is_empty()),
            ("build-system", !self.build_system.is_empty()),
            ("dependencies", !self.dependencies.is_empty()),
            ("env", !self.env.is_empty()),
            ("auto-patchelf-ignore-missing-deps", !self.auto_patchelf_ignore_missing_deps.is_empty()),
            ("runtime-dependencies", !self.runtime_dependencies.is_empty()),
            ("pre-build", self.pre_build.is_some()),
            ("post-install", self.post_install.is_some()),
            ("python-relax-deps", self.python_relax_deps.is_some()),
            ("python-remove-deps", !self.python_remove_deps.is_empty()),
        ];
        present.into_iter().filter(|(_, p)| *p).map(|(name, _)| name).collect()
    }
}

/// Appends each item of `more` not already in `list`, keeping first occurrences in order.
pub(crate) fn extend_unique<T: PartialEq + Clone>(list: &mut Vec<T>, more: &[T]) {
    for item in more {
        if !list.contains(item) {
            list.push(item.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adds(native: &[&str], relax: Option<RelaxDeps>, pre_build: Option<&str>) -> Additions<String> {
        Additions {
            native_build_inputs: native.iter().map(ToString::to_string).collect(),
            python_relax_deps: relax,
            pre_build: pre_build.map(String::from),
            ..Additions::default()
        }
    }

    #[test]
    fn a_merge_unites_lists_in_order_and_lets_the_later_script_win() {
        let mut merged = adds(&["a", "b"], Some(RelaxDeps::Names(vec!["x".into()])), Some("early"));
        merged.merge(&adds(&["b", "c"], Some(RelaxDeps::Names(vec!["y".into(), "x".into()])), Some("late")));
        assert_eq!(merged, adds(&["a", "b", "c"], Some(RelaxDeps::Names(vec!["x".into(), "y".into()])), Some("late")));
    }

    #[test]
    fn relaxing_every_bound_absorbs_a_list_whichever_comes_first() {
        let mut all_first = adds(&[], Some(RelaxDeps::All), None);
        all_first.merge(&adds(&[], Some(RelaxDeps::Names(vec!["x".into()])), None));
        let mut all_later = adds(&[], Some(RelaxDeps::Names(vec!["x".into()])), None);
        all_later.merge(&adds(&[], Some(RelaxDeps::All), None));
        assert_eq!(all_first.python_relax_deps, Some(RelaxDeps::All));
        assert_eq!(all_later.python_relax_deps, Some(RelaxDeps::All));
    }

    #[test]
    fn a_wheel_without_elf_files_keeps_only_what_is_not_a_linux_binary_fix() {
        let mut fixes = Additions::<String> {
            native_build_inputs: vec!["autoPatchelfHook".into(), "pkg-config".into(), "autoAddDriverRunpath".into()],
            build_inputs: vec!["zlib".into()],
            runtime_dependencies: vec!["libGL".into()],
            auto_patchelf_ignore_missing_deps: vec!["libcuda.so.1".into()],
            env: BTreeMap::from([("K".into(), "v".into())]),
            ..Additions::default()
        };
        fixes.drop_linux_binary_fixes();
        assert_eq!(fixes.added_fields(), ["native-build-inputs", "env"]);
        assert_eq!(fixes.native_build_inputs, ["pkg-config"]);
    }
}
