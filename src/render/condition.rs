//! Target sets as cheap Nix conditions over the `system`, `python` and `target` strings the
//! generated file computes once: `builtins.elem system [ … ]` and friends.

use smallvec::SmallVec;

use super::writer::string;
use crate::plan::TargetSet;
use crate::resolve::target::Target;

/// A Nix boolean expression that is true on the targets of `on`, for the targets of `care`
/// (elsewhere the answer does not matter); `None` when it is true on all of `care`.
pub(super) fn condition(on: TargetSet, care: TargetSet, targets: &[Target]) -> Option<String> {
    if on.covers(care) {
        return None;
    }
    let cared: SmallVec<[usize; 32]> = care.indices().filter(|&i| i < targets.len()).collect();
    // Try "these systems", then "these Python versions", then the explicit target list. Every
    // dependency of every package asks, so nothing is allocated until the answer is written.
    if let Some(systems) = distinct_on(on, &cared, targets, |t| t.system) {
        return Some(elem("system", systems.iter().map(|system| string(system.as_nix()))));
    }
    if let Some(pythons) = distinct_on(on, &cared, targets, |t| t.python) {
        return Some(elem("python", pythons.iter().map(|python| string(&python.to_string()))));
    }
    let on_targets = cared.iter().filter(|&&i| on.contains(i));
    Some(elem("target", on_targets.map(|&i| string(&target_key(targets[i])))))
}

/// The values of `key` on the cared targets of `on`, in target order (so 3.9 comes before
/// 3.10), each once; `None` when a cared target outside `on` has one of them too.
fn distinct_on<K: Copy + PartialEq>(
    on: TargetSet,
    cared: &[usize],
    targets: &[Target],
    key: impl Fn(&Target) -> K,
) -> Option<SmallVec<[K; 8]>> {
    let mut values: SmallVec<[K; 8]> = SmallVec::new();
    for &i in cared.iter().filter(|&&i| on.contains(i)) {
        let value = key(&targets[i]);
        if !values.contains(&value) {
            values.push(value);
        }
    }
    let shared = cared.iter().any(|&i| !on.contains(i) && values.contains(&key(&targets[i])));
    (!shared).then_some(values)
}

/// `builtins.elem var [ "a" "b" ]` over Nix strings.
fn elem(var: &str, strings: impl Iterator<Item = String>) -> String {
    let mut out = format!("builtins.elem {var} [ ");
    for (n, quoted) in strings.enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(&quoted);
    }
    out.push_str(" ]");
    out
}

/// The key of a target in the generated file: `x86_64-linux/3.11`.
pub(super) fn target_key(target: Target) -> String {
    format!("{}/{}", target.system.as_nix(), target.python)
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
