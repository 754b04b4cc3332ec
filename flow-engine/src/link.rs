//! Linking a flow with the flows its `subflow` nodes call, by name: the called flows are
//! compiled first, bottom-up, and a flow that calls back into one that is calling it, or
//! subflows nested deeper than the runtime allows, are diagnosed. Where the documents come
//! from (a store, files) is the caller's business.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::compile::{CompileOptions, CompiledFlow};
use crate::messages::Message;
use crate::model::{FlowDocument, Node};
use crate::msg;
use crate::nodes::subflow::SubflowNode;
use crate::nodes::Kind;
use crate::validate::{self, Diagnostic, Severity, ValidationContext};

/// One flow of a tree: what identifies it, and its document.
#[derive(Debug, Clone, Copy)]
pub struct Linkable<'d> {
    /// The flow's identity, by which a cycle is recognised whatever name it is called by.
    pub id: &'d str,
    pub document: &'d Value,
}

/// A `subflow` node of a document: its id and the name of the flow it calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubflowCall {
    pub node: String,
    pub flow: String,
}

/// Compiles `root` with the flows it calls, directly or not, which `lookup` finds by name. A
/// name `lookup` does not know is reported on the node that calls it.
pub fn link<'d>(
    root: Linkable<'d>,
    lookup: impl Fn(&str) -> Option<Linkable<'d>>,
    options: &CompileOptions,
) -> Result<Arc<CompiledFlow>, Vec<Diagnostic>> {
    let mut tree = Tree {
        lookup,
        options,
        compiled: BTreeMap::new(),
        stack: Vec::new(),
    };
    tree.compile(root, None)
}

/// The `subflow` nodes of a document, read without parsing it all: what a caller loads before
/// linking.
pub fn subflow_calls(document: &Value) -> Vec<SubflowCall> {
    let Some(nodes) = document.get("nodes").and_then(Value::as_array) else {
        return Vec::new();
    };
    nodes
        .iter()
        .filter(|node| node.get("type").and_then(Value::as_str) == Some(SubflowNode::TYPE))
        .filter_map(|node| {
            let id = node.get("id").and_then(Value::as_str).unwrap_or_default();
            let flow = node.get("flow").and_then(Value::as_str)?;
            Some(SubflowCall {
                node: id.to_owned(),
                flow: flow.to_owned(),
            })
        })
        .collect()
}

/// A published flow calls the published versions of its subflows: the diagnostic for one
/// that has none.
pub fn not_published(call: &SubflowCall) -> Diagnostic {
    error(
        "subflow_not_published",
        Some(&call.node),
        String::new(),
        msg!("subflow_not_published", name = &call.flow),
    )
}

fn error(code: &'static str, node: Option<&str>, field: String, text: Message) -> Diagnostic {
    Diagnostic::error(code, field, text).on(node)
}

struct Tree<'o, L> {
    lookup: L,
    options: &'o CompileOptions,
    /// The subflows compiled so far, by name.
    compiled: BTreeMap<String, Arc<CompiledFlow>>,
    /// Ids of the flows being compiled, outermost first.
    stack: Vec<String>,
}

impl<'d, L: Fn(&str) -> Option<Linkable<'d>>> Tree<'_, L> {
    /// Compiles `flow`, the root (`name` `None`) or the subflow called `name`.
    fn compile(
        &mut self,
        flow: Linkable<'d>,
        name: Option<&str>,
    ) -> Result<Arc<CompiledFlow>, Vec<Diagnostic>> {
        let in_subflow = |mut diagnostics: Vec<Diagnostic>| {
            if let Some(name) = name {
                for diagnostic in &mut diagnostics {
                    let text = msg!(
                        "in_subflow",
                        name = name,
                        problem = (*diagnostic.text).clone()
                    );
                    diagnostic.reword(text);
                }
            }
            diagnostics
        };
        let document = parse(flow.document, self.options).map_err(in_subflow)?;
        self.stack.push(flow.id.to_owned());
        let mut subflows = BTreeMap::new();
        for (index, node) in document.nodes.iter().enumerate() {
            let Node::Subflow(call) = node else {
                continue;
            };
            let child = &call.flow;
            if let Some(compiled) = self.compiled.get(child) {
                subflows.insert(child.clone(), compiled.clone());
                continue;
            }
            let Some(linkable) = (self.lookup)(child) else {
                // Unknown: the compiler reports it with the node.
                continue;
            };
            let field = format!("/nodes/{index}/flow");
            if self.stack.iter().any(|id| id == linkable.id) {
                return Err(in_subflow(vec![error(
                    "subflow_cycle",
                    Some(&call.id),
                    field,
                    msg!("subflow_cycle", name = child),
                )]));
            }
            let limit = self.options.limits.max_subflow_depth;
            if self.stack.len() > limit {
                return Err(in_subflow(vec![error(
                    "subflow_too_deep",
                    Some(&call.id),
                    field,
                    msg!("subflow_too_deep", max = limit),
                )]));
            }
            let compiled = self.compile(linkable, Some(child))?;
            self.compiled.insert(child.clone(), compiled.clone());
            subflows.insert(child.clone(), compiled);
        }
        self.stack.pop();
        let options = CompileOptions {
            subflows,
            ..self.options.clone()
        };
        CompiledFlow::compile(&document, &options).map_err(|error| in_subflow(error.diagnostics))
    }
}

/// Parses a document; one that does not have the flow format's shape gets the validator's
/// diagnostics.
fn parse(document: &Value, options: &CompileOptions) -> Result<FlowDocument, Vec<Diagnostic>> {
    serde_json::from_value(document.clone()).map_err(|_| {
        let context = ValidationContext::new(&options.sandbox);
        validate::validate_value(document, &context)
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::compile::RuntimeLimits;

    fn say_end(name: &str) -> Value {
        json!({
            "schema": 1, "name": name, "language": "en-US", "start": "hi",
            "nodes": [
                { "id": "hi", "type": "say", "text": "Hi from {{vars.who}}.", "next": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        })
    }

    fn calling(name: &str, child: &str) -> Value {
        json!({
            "schema": 1, "name": name, "language": "en-US", "start": "call",
            "nodes": [
                { "id": "call", "type": "subflow", "flow": child, "next": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        })
    }

    /// Links `root` (flow id `a`) with `flows`, each called by its name and identified by it.
    fn link_tree(
        root: &Value,
        flows: &BTreeMap<String, Value>,
        options: &CompileOptions,
    ) -> Result<Arc<CompiledFlow>, Vec<Diagnostic>> {
        let root = Linkable {
            id: "a",
            document: root,
        };
        let lookup = |name: &str| {
            flows.get_key_value(name).map(|(id, document)| Linkable {
                id: id.as_str(),
                document,
            })
        };
        link(root, lookup, options)
    }

    #[test]
    fn subflows_compile_bottom_up() {
        let flows = [
            ("b".to_owned(), calling("b", "c")),
            ("c".to_owned(), say_end("c")),
        ]
        .into();
        let flow = link_tree(&calling("a", "b"), &flows, &CompileOptions::default());
        assert!(flow.is_ok(), "{flow:?}");
    }

    #[test]
    fn cycles_are_diagnosed() {
        let flows = [
            ("b".to_owned(), calling("b", "a")),
            ("a".to_owned(), calling("a", "b")),
        ]
        .into();
        let Err(diagnostics) = link_tree(&calling("a", "b"), &flows, &CompileOptions::default())
        else {
            panic!("a cycle compiled");
        };
        assert_eq!(diagnostics[0].code, "subflow_cycle", "{diagnostics:?}");
        assert!(diagnostics[0].message.contains("In subflow \"b\""));
    }

    #[test]
    fn unknown_subflows_and_bad_shapes_are_diagnosed() {
        let none = BTreeMap::new();
        let Err(diagnostics) =
            link_tree(&calling("a", "nowhere"), &none, &CompileOptions::default())
        else {
            panic!("compiled");
        };
        assert!(diagnostics.iter().any(|d| d.code == "unknown_subflow"));
        let bad = json!({ "schema": 1, "nodes": "no" });
        let Err(diagnostics) = link_tree(&bad, &none, &CompileOptions::default()) else {
            panic!("compiled");
        };
        assert!(!diagnostics.is_empty());
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_diagnosed() {
        let options = CompileOptions {
            limits: RuntimeLimits {
                max_subflow_depth: 2,
                ..RuntimeLimits::default()
            },
            ..CompileOptions::default()
        };
        let flows: BTreeMap<String, Value> = [
            ("b".to_owned(), calling("b", "c")),
            ("c".to_owned(), calling("c", "d")),
            ("d".to_owned(), calling("d", "e")),
            ("e".to_owned(), say_end("e")),
        ]
        .into();
        let Err(diagnostics) = link_tree(&calling("a", "b"), &flows, &options) else {
            panic!("compiled");
        };
        assert_eq!(diagnostics[0].code, "subflow_too_deep", "{diagnostics:?}");
        assert_eq!(diagnostics[0].node.as_deref(), Some("call"));
        assert_eq!(diagnostics[0].field, "/nodes/0/flow");
        let flows: BTreeMap<String, Value> = [
            ("b".to_owned(), calling("b", "c")),
            ("c".to_owned(), say_end("c")),
        ]
        .into();
        assert!(link_tree(&calling("a", "b"), &flows, &options).is_ok());
    }

    #[test]
    fn subflow_calls_are_read_from_the_raw_document() {
        let mut document = calling("a", "b");
        document["nodes"]
            .as_array_mut()
            .expect("nodes")
            .push(json!({ "id": "broken", "type": "subflow", "flow": 3 }));
        assert_eq!(
            subflow_calls(&document),
            [SubflowCall {
                node: "call".into(),
                flow: "b".into()
            }]
        );
        assert!(subflow_calls(&json!({ "nodes": "no" })).is_empty());
        let diagnostic = not_published(&subflow_calls(&document)[0]);
        assert_eq!(diagnostic.code, "subflow_not_published");
        assert_eq!(diagnostic.node.as_deref(), Some("call"));
    }
}
