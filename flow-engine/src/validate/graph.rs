//! Where the connections lead: nodes no path reaches, and loops a call could go round without
//! ever waiting for the caller.

use std::collections::HashMap;

use super::checker::Checker;
use super::document::Subject;
use super::{list_ids, shorten};
use crate::msg;

/// The resolved graph: node indices into `doc.nodes`.
struct Graph {
    /// Per node, per port (in `Node::ports` order): the target, `None` when it names no node.
    targets: Vec<Vec<Option<usize>>>,
    /// Targets of the global intents.
    global_targets: Vec<usize>,
    /// Where an angry caller goes from any listening node.
    angry_target: Option<usize>,
    start: Option<usize>,
}

/// Checks reachability and loops; `ids` maps each id in use to its node.
pub(super) fn check(c: &mut Checker<'_>, subject: &Subject<'_>, ids: &HashMap<&str, usize>) {
    let doc = subject.doc;
    let graph = Graph {
        targets: doc
            .nodes
            .iter()
            .map(|node| {
                node.ports()
                    .iter()
                    .map(|p| ids.get(p.target).copied())
                    .collect()
            })
            .collect(),
        global_targets: doc
            .global_intents
            .iter()
            .filter_map(|i| ids.get(i.next.as_str()).copied())
            .collect(),
        angry_target: doc
            .angry_caller
            .as_ref()
            .and_then(|angry| ids.get(angry.next.as_str()).copied()),
        start: ids.get(doc.start.as_str()).copied(),
    };
    // With unreadable nodes or fields, where their ports lead is unknown: everything behind
    // them would look unreachable.
    if subject.broken.is_empty() && subject.known.all_ports && subject.known.start {
        reachability(c, subject, &graph, ids);
    }
    loops(c, subject, &graph);
}

fn reachability(
    c: &mut Checker<'_>,
    subject: &Subject<'_>,
    graph: &Graph,
    ids: &HashMap<&str, usize>,
) {
    let Some(start) = graph.start else {
        return;
    };
    let nodes = &subject.doc.nodes;
    let mut reached = vec![false; nodes.len()];
    let mut stack = vec![start];
    reached[start] = true;
    let mut globals_added = false;
    while let Some(k) = stack.pop() {
        let global = if nodes[k].listens_to_global_intents() && !globals_added {
            globals_added = true;
            graph.global_targets.as_slice()
        } else {
            &[]
        };
        let angry = graph.angry_target.filter(|_| nodes[k].listens());
        for &target in graph.targets[k]
            .iter()
            .flatten()
            .chain(global)
            .chain(&angry)
        {
            if !reached[target] {
                reached[target] = true;
                stack.push(target);
            }
        }
    }
    for (k, node) in nodes.iter().enumerate() {
        // A duplicate id is already an error, and no port can lead to the duplicate.
        if reached[k] || ids.get(node.id()) != Some(&k) {
            continue;
        }
        let message = msg!("unreachable", id = shorten(node.display_name(), 80));
        c.warning(
            "unreachable",
            Some(node.id()),
            format!("/nodes/{}", subject.node_pos[k]),
            message,
        );
    }
}

/// Finds loops the call can run around without ever waiting for the caller or the outside
/// world. Only nodes that do not wait take part, so a non-waiting loop inside a larger loop
/// through an `ask` is still found.
fn loops(c: &mut Checker<'_>, subject: &Subject<'_>, graph: &Graph) {
    let nodes = &subject.doc.nodes;
    let quick: Vec<bool> = nodes.iter().map(|n| !n.waits()).collect();
    let successors: Vec<Vec<usize>> = graph
        .targets
        .iter()
        .enumerate()
        .map(|(k, targets)| {
            if !quick[k] {
                return Vec::new();
            }
            let mut next: Vec<usize> = targets
                .iter()
                .flatten()
                .copied()
                .filter(|&t| quick[t])
                .collect();
            next.sort_unstable();
            next.dedup();
            next
        })
        .collect();
    let mut member = vec![false; nodes.len()];
    for mut component in strongly_connected(&successors) {
        let cyclic = component.len() > 1
            || component
                .first()
                .is_some_and(|&k| successors[k].contains(&k));
        if !cyclic {
            continue;
        }
        component.sort_by_key(|&k| subject.node_pos[k]);
        for &k in &component {
            member[k] = true;
        }
        // Ports that name no node count as ways out: they are reported on their own.
        let exits = component.iter().any(|&k| {
            graph.targets[k]
                .iter()
                .any(|t| t.is_none_or(|t| !member[t]))
        });
        for &k in &component {
            member[k] = false;
        }
        let first = component[0];
        let names = list_ids(component.iter().map(|&k| nodes[k].id()));
        let field = format!("/nodes/{}", subject.node_pos[first]);
        let id = Some(nodes[first].id());
        if exits {
            let message = msg!("loop_without_input", nodes = names);
            c.warning("loop_without_input", id, field, message);
        } else {
            let message = msg!("endless_loop", nodes = names);
            c.error("endless_loop", id, field, message);
        }
    }
}

/// Tarjan's strongly connected components, iterative: flows may have thousands of nodes in a
/// chain, deeper than the call stack allows for recursion.
fn strongly_connected(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let n = successors.len();
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next_index = 0;
    let mut calls: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNVISITED {
            continue;
        }
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        calls.push((root, 0));
        while let Some(top) = calls.last_mut() {
            let v = top.0;
            if let Some(&w) = successors[v].get(top.1) {
                top.1 += 1;
                if index[w] == UNVISITED {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{ask, clean, end, find, flow, only, say, validate, with};
    use crate::validate::Severity;

    #[test]
    fn unreachable_nodes() {
        let validated = validate(&flow(json!([
            say("a", "done"),
            say("island", "done"),
            end("done")
        ])));
        let d = only(&validated, "unreachable", "/nodes/1");
        assert_eq!(
            (d.severity, d.node.as_deref()),
            (Severity::Warning, Some("island"))
        );
    }

    #[test]
    fn endless_loop_without_exit() {
        let value = flow(json!([
            say("a", "b"),
            json!({ "type": "set", "id": "b", "assign": [], "next": "c" }),
            say("c", "b"),
            end("done")
        ]));
        let validated = validate(&value);
        let d = find(&validated, "endless_loop", "/nodes/1");
        assert_eq!(d.node.as_deref(), Some("b"));
        assert!(d.message.contains("\"b\", \"c\""), "{}", d.message);
        assert_eq!(
            validated
                .diagnostics
                .iter()
                .filter(|d| d.code == "endless_loop")
                .count(),
            1
        );
        // A node pointing at itself is a loop too.
        let validated = validate(&flow(json!([say("a", "a"), end("done")])));
        find(&validated, "endless_loop", "/nodes/0");
    }

    #[test]
    fn loop_with_a_conditional_exit_is_a_warning() {
        let value = flow(json!([
            json!({ "type": "set", "id": "count", "assign": [{ "var": "n", "value": "{{ vars.n + 1 }}" }], "next": "check" }),
            json!({ "type": "branch", "id": "check", "cases": [{ "when": "vars.n < 3", "next": "count" }], "else": "done" }),
            end("done")
        ]));
        let validated = validate(&value);
        let d = only(&validated, "loop_without_input", "/nodes/0");
        assert_eq!(
            (d.severity, d.node.as_deref()),
            (Severity::Warning, Some("count"))
        );
    }

    #[test]
    fn loops_through_waiting_nodes_are_fine_but_inner_loops_are_found() {
        // q → a → q waits at q: fine. a ⇄ b never waits, even though it sits inside q's loop.
        let value = flow(json!([
            with(
                ask("q"),
                json!({ "next": "a", "no_match": { "next": "q" } })
            ),
            json!({ "type": "branch", "id": "a", "cases": [{ "when": "vars.n > 1", "next": "q" }], "else": "b" }),
            say("b", "a"),
            end("done")
        ]));
        let validated = validate(&value);
        let d = only(&validated, "loop_without_input", "/nodes/1");
        assert!(d.message.contains("\"a\", \"b\""), "{}", d.message);
        let fine = flow(json!([
            with(ask("q"), json!({ "next": "s" })),
            say("s", "q"),
            end("done")
        ]));
        clean(&validate(&fine));
    }

    #[test]
    fn strongly_connected_components() {
        let components = strongly_connected(&[vec![1], vec![2], vec![0, 3], vec![], vec![4]]);
        let mut sorted: Vec<Vec<usize>> = components
            .into_iter()
            .map(|mut c| {
                c.sort_unstable();
                c
            })
            .collect();
        sorted.sort();
        assert_eq!(sorted, [vec![0, 1, 2], vec![3], vec![4]]);
    }
}
