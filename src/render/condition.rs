//! Target sets as cheap Nix conditions over the `system`, `python` and `target` strings the
//! generated file computes once: `builtins.elem system [ … ]` and friends.

use std::collections::BTreeSet;

use super::writer::string;
use crate::plan::TargetSet;
use crate::resolve::target::Target;

/// A Nix boolean expression that is true on the targets of `on`, for the targets of `care`
/// (elsewhere the answer does not matter); `None` when it is true on all of `care`.
pub(super) fn condition(on: TargetSet, care: TargetSet, targets: &[Target]) -> Option<String> {
    if on.covers(care) {
        return None;
    }
    let cared: Vec<usize> = care.indices().filter(|&i| i < targets.len()).collect();
    // Try "these systems", then "these Python versions", then the explicit target list.
    // Values in target order (so 3.9 comes before 3.10), each once.
    let by = |key: &dyn Fn(&Target) -> String| -> Option<Vec<String>> {
        let no: BTreeSet<String> = cared.iter().filter(|&&i| !on.contains(i)).map(|&i| key(&targets[i])).collect();
        let mut yes: Vec<String> = Vec::new();
        for &i in cared.iter().filter(|&&i| on.contains(i)) {
            let value = key(&targets[i]);
            if no.contains(&value) {
                return None;
            }
            if !yes.contains(&value) {
                yes.push(value);
            }
        }
        Some(yes)
    };
    let elem = |var: &str, values: Vec<String>| {
        let list: Vec<String> = values.iter().map(|v| string(v)).collect();
        format!("builtins.elem {var} [ {} ]", list.join(" "))
    };
    if let Some(systems) = by(&|t: &Target| t.system.as_nix().to_string()) {
        return Some(elem("system", systems));
    }
    if let Some(pythons) = by(&|t: &Target| t.python.version()) {
        return Some(elem("python", pythons));
    }
    Some(elem("target", cared.iter().filter(|&&i| on.contains(i)).map(|&i| target_key(targets[i])).collect()))
}

/// The key of a target in the generated file: `x86_64-linux/3.11`.
pub(super) fn target_key(target: Target) -> String {
    format!("{}/{}", target.system.as_nix(), target.python.version())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::target::{PythonMinor, System};

    fn grid() -> Vec<Target> {
        System::ALL.iter().flat_map(|&system| [10u8, 11].map(|m| Target { system, python: PythonMinor(m) })).collect()
    }

    fn set(indices: &[usize]) -> TargetSet {
        indices.iter().fold(TargetSet::EMPTY, |s, &i| s.with(i))
    }

    #[test]
    fn everywhere_needs_no_condition() {
        let all = TargetSet::all(8);
        assert_eq!(condition(all, all, &grid()), None);
        // Outside `care` nothing matters.
        assert_eq!(condition(set(&[0, 1]), set(&[0, 1]), &grid()), None);
    }

    #[test]
    fn system_python_and_target_forms() {
        let targets = grid();
        let all = TargetSet::all(8);
        assert_eq!(
            condition(set(&[0, 1, 2, 3]), all, &targets).unwrap(),
            r#"builtins.elem system [ "x86_64-linux" "aarch64-linux" ]"#
        );
        assert_eq!(condition(set(&[0, 2, 4, 6]), all, &targets).unwrap(), r#"builtins.elem python [ "3.10" ]"#);
        assert_eq!(condition(set(&[0]), all, &targets).unwrap(), r#"builtins.elem target [ "x86_64-linux/3.10" ]"#);
    }
}
