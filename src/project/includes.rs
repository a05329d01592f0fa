//! Groups that include other groups (PEP 735 `include-group`, Poetry's `include-groups`): the
//! groups one group brings in, each once, found without recursion. A group included twice
//! over many levels is visited once, not once per path (2ⁿ paths for n nested double
//! includes), and a chain of any length cannot overflow the stack.

use std::collections::BTreeMap;

/// What is wrong with a group's includes; both name the group whose entry is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum IncludeError<N> {
    /// The group includes, directly or not, a group that includes it.
    Cycle(N),
    /// The group includes a group that does not exist.
    Unknown(N),
}

/// `start` and every group it includes, directly or not: depth first, in the order written,
/// each once. `includes` maps every group to the groups it names.
pub(super) fn closure<'a, N: Ord + Clone>(
    start: &'a N,
    includes: &'a BTreeMap<N, Vec<N>>,
) -> Result<Vec<&'a N>, IncludeError<N>> {
    #[derive(PartialEq)]
    enum Visit {
        OnPath,
        Done,
    }
    if !includes.contains_key(start) {
        return Err(IncludeError::Unknown(start.clone()));
    }
    let mut order = vec![start];
    let mut visits = BTreeMap::from([(start, Visit::OnPath)]);
    // Each group on the current path, with how many of its includes have been followed.
    let mut path: Vec<(&N, usize)> = vec![(start, 0)];
    while let Some((group, next)) = path.last_mut() {
        let group: &'a N = group;
        let Some(child) = includes[group].get(*next) else {
            visits.insert(group, Visit::Done);
            path.pop();
            continue;
        };
        *next += 1;
        match visits.get(child) {
            Some(Visit::OnPath) => return Err(IncludeError::Cycle(group.clone())),
            Some(Visit::Done) => {}
            None => {
                let Some((child, _)) = includes.get_key_value(child) else {
                    return Err(IncludeError::Unknown(group.clone()));
                };
                visits.insert(child, Visit::OnPath);
                order.push(child);
                path.push((child, 0));
            }
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&'static str, &[&'static str])]) -> BTreeMap<&'static str, Vec<&'static str>> {
        edges.iter().map(|(group, includes)| (*group, includes.to_vec())).collect()
    }

    #[test]
    fn each_included_group_comes_once_in_the_order_written() {
        let g = graph(&[("ci", &["docs", "lint", "docs"]), ("docs", &["lint"]), ("lint", &[]), ("other", &[])]);
        assert_eq!(closure(&"ci", &g).unwrap(), [&"ci", &"docs", &"lint"]);
        assert_eq!(closure(&"lint", &g).unwrap(), [&"lint"]);
    }

    #[test]
    fn cycles_and_unknown_groups_name_the_group_at_fault() {
        let g = graph(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &["nope"]), ("e", &["e"])]);
        assert_eq!(closure(&"a", &g), Err(IncludeError::Cycle("c")));
        assert_eq!(closure(&"d", &g), Err(IncludeError::Unknown("d")));
        assert_eq!(closure(&"e", &g), Err(IncludeError::Cycle("e")));
        assert_eq!(closure(&"zzz", &g), Err(IncludeError::Unknown("zzz")));
    }

    #[test]
    fn nested_double_includes_and_long_chains_cost_linear_time() {
        // g0 ← g1 ← … each including the one below twice: 2^200 paths, 201 groups.
        let names: Vec<String> = (0..=200).map(|k| format!("g{k}")).collect();
        let mut g: BTreeMap<String, Vec<String>> = BTreeMap::new();
        g.insert(names[0].clone(), Vec::new());
        for k in 1..names.len() {
            g.insert(names[k].clone(), vec![names[k - 1].clone(), names[k - 1].clone()]);
        }
        assert_eq!(closure(&names[200], &g).unwrap().len(), 201);
        // A chain of 100,000 includes: no recursion, no stack overflow.
        let chain: BTreeMap<u32, Vec<u32>> =
            (0..100_000u32).map(|k| (k, if k == 0 { vec![] } else { vec![k - 1] })).collect();
        assert_eq!(closure(&99_999, &chain).unwrap().len(), 100_000);
    }
}
