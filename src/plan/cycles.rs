//! Dependency cycles: nixpkgs propagation cannot express them (evaluation would recurse
//! forever), so one edge of each cycle is left out, chosen deterministically.

use std::collections::BTreeSet;

/// Returns the edges `(from, to)` to drop so that `graph` (adjacency lists over node indices,
/// nodes ordered by name) becomes acyclic. A depth-first search from nodes in index order drops
/// each edge that closes a cycle, so the result depends only on the graph, not on hashing.
pub(super) fn edges_to_break(graph: &[Vec<usize>]) -> BTreeSet<(usize, usize)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; graph.len()];
    let mut broken = BTreeSet::new();
    for start in 0..graph.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next child position).
        let mut stack = vec![(start, 0usize)];
        marks[start] = Mark::Active;
        while let Some((node, pos)) = stack.last_mut() {
            let node = *node;
            if let Some(&child) = graph[node].get(*pos) {
                *pos += 1;
                match marks[child] {
                    Mark::New => {
                        marks[child] = Mark::Active;
                        stack.push((child, 0));
                    }
                    Mark::Active => {
                        broken.insert((node, child));
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    broken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acyclic_graph_keeps_every_edge() {
        assert!(edges_to_break(&[vec![1, 2], vec![2], vec![]]).is_empty());
    }

    #[test]
    fn two_cycle_drops_the_edge_back_to_the_first_name() {
        // 0 = torch, 1 = triton: torch → triton → torch.
        let broken = edges_to_break(&[vec![1], vec![0]]);
        assert_eq!(broken.into_iter().collect::<Vec<_>>(), vec![(1, 0)]);
    }

    #[test]
    fn self_loop_and_longer_cycle() {
        let broken = edges_to_break(&[vec![0, 1], vec![2], vec![1]]);
        assert_eq!(broken.into_iter().collect::<Vec<_>>(), vec![(0, 0), (2, 1)]);
    }

    #[test]
    fn result_is_a_dag() {
        let graph = vec![vec![1, 3], vec![2], vec![0, 3], vec![1]];
        let broken = edges_to_break(&graph);
        let pruned: Vec<Vec<usize>> = graph
            .iter()
            .enumerate()
            .map(|(i, es)| es.iter().copied().filter(|&j| !broken.contains(&(i, j))).collect())
            .collect();
        assert!(edges_to_break(&pruned).is_empty());
    }
}
