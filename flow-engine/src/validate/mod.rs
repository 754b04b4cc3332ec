//! Validation of flow documents: every problem at once, each with severity, node, field
//! (JSON pointer from the document root), a stable code and a message.
//!
//! The messages are read by people who draw flows but do not program, so each one says what is
//! wrong and what to do about it. The codes are stable and meant for programs (the editor, the
//! CLI, tests). Diagnostics come sorted by where their field appears in the document.
//!
//! Codes (E = error, W = warning):
//!
//! | code | | what |
//! |---|---|---|
//! | `json_syntax` | E | the text is not JSON (line and column in the whole text) |
//! | `duplicate_field` | E | an object key is written twice (JSON text only) |
//! | `wrong_type` | E | a value of the wrong type, or a node or flow that is not an object |
//! | `missing_field` | E | a required field is absent |
//! | `unknown_field` | E | a field the format does not have |
//! | `unknown_node_type` | E | `type` names no node type |
//! | `invalid_value` | E | a word outside a fixed list (outcome, slot type, method, input mode) |
//! | `unsupported_schema` | E | `schema` is not 1; nothing else is checked then |
//! | `empty_flow` | E | no nodes |
//! | `missing_start` | E | `start` is empty or names no node |
//! | `invalid_id` | E | an id empty, longer than 64 characters or with other than `A-Za-z0-9_-` |
//! | `duplicate_id` | E | an id used before (reported on each repeat) |
//! | `dangling_port` | E | a port names a node that does not exist |
//! | `missing_port` | E | a port is empty, or a required `next` of an `ask` is absent |
//! | `empty_value` | E | a required text is blank: flow name, language, intent name, example, subflow |
//! | `empty_menu` | E | a menu without choices |
//! | `invalid_key` | E | a keypad key other than one of `0-9 * #` |
//! | `duplicate_key` | E | a key used twice in one menu, node's intents or the global intents |
//! | `duplicate_intent` | E | an intent name used twice in one list |
//! | `intent_without_examples` | E | an intent without examples, keywords or key |
//! | `no_input_modes` | E | an `ask` whose `input` is empty |
//! | `handoff_target` | E | not exactly one non-empty `queue`/`phone`/`sip`; a routing rule without a queue, or rules on a transfer to a phone or SIP address |
//! | `invalid_sip` | E | a SIP address not starting with `sip:` (or `sips:`) |
//! | `invalid_url` | E | an HTTP URL that is empty or starts with neither `http(s)://` nor `{{` |
//! | `invalid_header` | E | an HTTP header name that is not a token |
//! | `invalid_status` | E | an `on_status` key that is not `404`-like or `4xx`-like |
//! | `invalid_path` | E | a `save` path other than `status`, `headers.<name>`, `body[.a.b…]` |
//! | `invalid_variable` | E | a variable name that is not `[A-Za-z_][A-Za-z0-9_]*` (≤ 64) |
//! | `missing_pattern` | E | an `order_number` slot without `pattern` |
//! | `invalid_pattern` | E | a slot pattern that is not a valid regular expression |
//! | `invalid_range` | E | a slot's `min` above its `max` |
//! | `out_of_range` | E | a number outside its range: timeouts, `max` retries, thresholds, … |
//! | `too_large` | E | a size limit exceeded (see the `MAX_*` constants) |
//! | `template_syntax` | E | a `{{ }}` template that does not parse (line/column in the field) |
//! | `expression_syntax` | E | a branch condition or routing rule that does not compile (line/column) |
//! | `script_syntax` | E | a script that does not compile (line/column) |
//! | `empty_condition` | E | a branch condition or routing rule that is blank |
//! | `unknown_subflow` | E | a subflow name not among the known flows |
//! | `unknown_knowledge_base` | E | a knowledge-base key not among the tenant's |
//! | `unknown_queue` | E | a `handoff` queue (or a routing rule's) not among the tenant's agent queues |
//! | `subflow_cycle` | E | subflows that call each other in a loop (found by [`crate::link`]) |
//! | `subflow_too_deep` | E | subflows nested deeper than the runtime allows ([`crate::link`]) |
//! | `subflow_not_published` | E | a published flow calls one never published ([`crate::link`]) |
//! | `endless_loop` | E | a loop of non-waiting nodes with no way out |
//! | `loop_without_input` | W | a loop of non-waiting nodes that only conditions can leave |
//! | `unreachable` | W | no path from `start` leads to the node |
//! | `answer_not_saved` | W | an `ask` that takes any answer but stores it nowhere |
//! | `ignored_field` | W | a field that has no effect here (e.g. `pattern` on a number slot) |
//! | `intent_name_conflict` | W | a node's intent named like a global intent, which wins |
//! | `intents_alike` | W | two intents of one list whose examples are too alike to tell apart |
//! | `shadowed_key` | W | a node's key that a global intent takes first |
//! | `unreachable_route` | W | a handoff's routing rule after one that always holds |
//! | `invalid_phone` | W | a phone number that is neither E.164 nor digits |
//! | `invalid_language` | W | a language that does not look like a BCP 47 tag |
//! | `empty_text` | W | a `say` with neither text nor audio |
//!
//! The modules follow the order a document is read in: `json` (the text), `shape` (the
//! value against the model, part by part, with `serde_error` turning serde's messages into
//! plain words), `document` (the whole typed document, each node's own checks in
//! `nodes`) and `graph` (where the ports lead). `order` sorts what they found.

mod checker;
mod diagnostic;
mod document;
mod graph;
mod json;
mod order;
mod serde_error;
mod shape;

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use serde_json::Value;

use crate::model::FlowDocument;
use crate::script::Sandbox;

pub(crate) use checker::{is_key, Checker};
pub(crate) use diagnostic::{list_ids, place, shorten};
pub use diagnostic::{Diagnostic, Severity};

/// Largest flow text accepted by [`validate_json`], in bytes.
pub const MAX_JSON_BYTES: usize = 10 * 1024 * 1024;
/// Most nodes in one flow.
pub const MAX_NODES: usize = 5_000;
/// Longest node id, in characters.
pub const MAX_ID_CHARS: usize = 64;
/// Longest single text, prompt or template, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;
/// Longest script, in characters.
pub const MAX_SCRIPT_CHARS: usize = 65_536;
/// Most intents on one node (and most global intents).
pub const MAX_INTENTS: usize = 200;
/// Most example phrases (or keywords, or hints) in one list.
pub const MAX_EXAMPLES: usize = 500;
/// Longest example phrase, keyword or hint, in characters.
pub const MAX_EXAMPLE_CHARS: usize = 200;
/// Most conditions on one branch.
pub const MAX_CASES: usize = 100;
/// Longest flow name, node label, intent name or subflow name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest variable name, in characters.
pub const MAX_VARIABLE_CHARS: usize = 64;
/// Most reprompts of a `no_match` / `no_input`.
pub const MAX_RETRIES: u32 = 10;
/// Accepted silence timeouts of listening nodes, in milliseconds.
pub const NO_INPUT_TIMEOUT_MS: RangeInclusive<u32> = 1_000..=60_000;
/// Accepted timeouts of `http` nodes, in milliseconds.
pub const HTTP_TIMEOUT_MS: RangeInclusive<u32> = 1..=10_000;
/// Accepted `dtmf.max_digits` of `ask` nodes.
pub const DTMF_MAX_DIGITS: RangeInclusive<u32> = 1..=64;

/// What validation needs from outside the document.
pub struct ValidationContext<'a> {
    pub sandbox: &'a Sandbox,
    /// Names of the flows a `subflow` node may call; `None` skips that check.
    pub known_subflows: Option<&'a BTreeSet<String>>,
    /// Keys of the tenant's knowledge bases; `None` skips that check.
    pub known_knowledge_bases: Option<&'a BTreeSet<String>>,
    /// Keys of the tenant's agent queues, which `handoff` nodes name; `None` skips that check.
    pub known_queues: Option<&'a BTreeSet<String>>,
}

impl<'a> ValidationContext<'a> {
    /// A context that checks the document alone: nothing outside it is known.
    pub fn new(sandbox: &'a Sandbox) -> Self {
        ValidationContext {
            sandbox,
            known_subflows: None,
            known_knowledge_bases: None,
            known_queues: None,
        }
    }

    pub fn with_subflows(self, known: &'a BTreeSet<String>) -> Self {
        ValidationContext {
            known_subflows: Some(known),
            ..self
        }
    }

    pub fn with_knowledge_bases(self, known: &'a BTreeSet<String>) -> Self {
        ValidationContext {
            known_knowledge_bases: Some(known),
            ..self
        }
    }

    pub fn with_queues(self, known: &'a BTreeSet<String>) -> Self {
        ValidationContext {
            known_queues: Some(known),
            ..self
        }
    }
}

/// The outcome of validating JSON text or a JSON value.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The typed document, when the JSON had the right shape (it may still have errors).
    pub document: Option<FlowDocument>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Validated {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Validates flow JSON text.
pub fn validate_json(text: &str, context: &ValidationContext<'_>) -> Validated {
    let (value, duplicates) = match json::parse(text) {
        Ok(parsed) => parsed,
        Err(diagnostic) => {
            return Validated {
                document: None,
                diagnostics: vec![diagnostic],
            }
        }
    };
    let mut validated = shape::read(&value, context);
    if !duplicates.is_empty() {
        // `FlowDocument::from_json` rejects repeated keys, so a document with them is not
        // well-formed even though every value has the right type.
        validated.document = None;
        validated
            .diagnostics
            .extend(duplicates.into_iter().map(json::duplicate_field));
        shape::fill_node_ids(&mut validated.diagnostics, &value);
    }
    order::sort_in_document_order(&mut validated.diagnostics, &value);
    validated
}

/// Validates a parsed JSON value: wrong types are reported per node and field.
pub fn validate_value(value: &Value, context: &ValidationContext<'_>) -> Validated {
    let mut validated = shape::read(value, context);
    order::sort_in_document_order(&mut validated.diagnostics, value);
    validated
}

/// Validates a typed document (graph, limits, syntax of scripts and templates).
pub fn validate_document(
    document: &FlowDocument,
    context: &ValidationContext<'_>,
) -> Vec<Diagnostic> {
    let mut diagnostics = document::check(&document::Subject::whole(document), context);
    // A typed document has no text to take the order from; its canonical JSON (field order of
    // the model) is what the editor writes, so that order is used.
    let canonical = serde_json::to_value(document).unwrap_or(Value::Null);
    order::sort_in_document_order(&mut diagnostics, &canonical);
    diagnostics
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;
    use crate::model::ResultVar;
    use crate::testing::{
        ask, clean, end, find, flow, one, only, realistic_flow, sandbox, say, summary, validate,
        with,
    };

    #[test]
    fn realistic_flow_is_clean() {
        let value = realistic_flow();
        let validated = validate(&value);
        clean(&validated);
        let document = validated.document.expect("the document is returned");
        // Reading part by part gives exactly what serde gives for the whole document.
        let direct: FlowDocument = serde_json::from_value(value.clone()).expect("deserializes");
        assert_eq!(document, direct);
        let sandbox = sandbox();
        let known: BTreeSet<String> = ["returns".to_owned()].into();
        let context = ValidationContext::new(&sandbox).with_subflows(&known);
        assert!(validate_document(&document, &context).is_empty());
        let text = serde_json::to_string_pretty(&value).expect("serializes");
        let validated = validate_json(&text, &context);
        assert!(
            validated.diagnostics.is_empty(),
            "{}",
            summary(&validated.diagnostics)
        );
        assert_eq!(validated.document, Some(direct));
    }

    #[test]
    fn many_problems_are_reported_together_in_document_order() {
        let value = json!({
            "schema": 1, "name": "", "language": "zh_CN", "start": "nowhere", "colour": "blue",
            "nodes": [
                { "type": "say", "id": "a", "text": "{{ vars.x", "next": "ghost" },
                { "type": "ask", "id": "b", "prompt": "?", "timeout_ms": "abc", "extra": 1,
                  "no_match": { "next": "a" }, "no_input": { "next": "a" } },
                { "type": "dance", "id": "c" },
                { "type": "branch", "id": "a", "cases": [{ "when": "", "next": "a" }], "else": "c" },
                { "type": "end", "id": "bad id", "outcome": "done" }
            ]
        });
        let validated = validate(&value);
        assert!(validated.document.is_none());
        let got: Vec<(&str, &str)> = validated
            .diagnostics
            .iter()
            .map(|d| (d.field.as_str(), d.code))
            .collect();
        assert_eq!(
            got,
            [
                ("/name", "empty_value"),
                ("/language", "invalid_language"),
                ("/start", "missing_start"),
                ("/colour", "unknown_field"),
                ("/nodes/0/text", "template_syntax"),
                ("/nodes/0/next", "dangling_port"),
                ("/nodes/1/timeout_ms", "wrong_type"),
                ("/nodes/1/extra", "unknown_field"),
                ("/nodes/1/next", "missing_port"),
                ("/nodes/1/save_as", "answer_not_saved"),
                ("/nodes/2/type", "unknown_node_type"),
                ("/nodes/3/id", "duplicate_id"),
                ("/nodes/3/cases/0/when", "empty_condition"),
                ("/nodes/4/id", "invalid_id"),
                ("/nodes/4/outcome", "invalid_value"),
            ],
            "{}",
            summary(&validated.diagnostics)
        );
        let wrong = find(&validated, "wrong_type", "/nodes/1/timeout_ms");
        assert_eq!(wrong.node.as_deref(), Some("b"));
        assert_eq!(
            find(&validated, "invalid_id", "/nodes/4/id")
                .node
                .as_deref(),
            Some("bad id")
        );
        assert_eq!(
            find(&validated, "unknown_node_type", "/nodes/2/type")
                .node
                .as_deref(),
            Some("c")
        );
    }

    #[test]
    fn output_is_deterministic() {
        let value = json!({
            "schema": 1, "name": "x", "language": "en", "start": "a",
            "nodes": (0..50).map(|i| say(&format!("n{i}"), &format!("missing{}", i % 7))).collect::<Vec<_>>()
        });
        let first = validate(&value).diagnostics;
        for _ in 0..3 {
            assert_eq!(validate(&value).diagnostics, first);
        }
    }

    #[test]
    fn five_thousand_nodes_validate_quickly() {
        // A long chain of non-waiting nodes, a big loop through an ask, templates everywhere:
        // deep enough to overflow a recursive search.
        let mut nodes = vec![json!({
            "type": "ask", "id": "n0", "prompt": "{{ vars.count }}?", "intents": [{ "name": "go", "examples": ["go"], "next": "n1" }],
            "no_match": { "next": "n0" }, "no_input": { "next": "n0" }
        })];
        for i in 1..MAX_NODES - 1 {
            nodes.push(json!({ "type": "set", "id": format!("n{i}"),
                "assign": [{ "var": "count", "value": "{{ vars.count + 1 }}" }], "next": format!("n{}", i + 1) }));
        }
        nodes.push(
            json!({ "type": "branch", "id": format!("n{}", MAX_NODES - 1),
            "cases": [{ "when": "vars.count > 10", "next": "n0" }], "else": "n0" }),
        );
        let value = flow(Value::Array(nodes));
        let started = Instant::now();
        let validated = validate(&value);
        let elapsed = started.elapsed();
        clean(&validated);
        let limit = if cfg!(debug_assertions) {
            Duration::from_secs(5)
        } else {
            Duration::from_millis(500)
        };
        assert!(elapsed < limit, "took {elapsed:?}");
        let document = validated.document.expect("document");
        let sandbox = sandbox();
        let started = Instant::now();
        assert!(validate_document(&document, &ValidationContext::new(&sandbox)).is_empty());
        assert!(started.elapsed() < limit, "took {:?}", started.elapsed());
    }

    #[test]
    fn size_limits() {
        let long = "长".repeat(MAX_TEXT_CHARS + 1);
        let d = only(
            &one(with(say("s", "done"), json!({ "text": long }))),
            "too_large",
            "/nodes/0/text",
        );
        assert!(d.message.contains("4001 characters"), "{}", d.message);
        // Characters, not bytes: exactly the limit in Chinese is fine.
        clean(&one(with(
            say("s", "done"),
            json!({ "text": "长".repeat(MAX_TEXT_CHARS) }),
        )));
        let code = format!("let a = 1;{}", " ".repeat(MAX_SCRIPT_CHARS));
        let script =
            json!({ "type": "script", "id": "js", "code": code, "next": "done", "error": "done" });
        only(&one(script), "too_large", "/nodes/0/code");

        let intents: Vec<Value> = (0..=MAX_INTENTS)
            .map(|i| json!({ "name": format!("i{i}"), "examples": ["x"], "next": "done" }))
            .collect();
        only(
            &one(with(ask("q"), json!({ "next": null, "intents": intents }))),
            "too_large",
            "/nodes/0/intents",
        );
        let examples: Vec<String> = (0..=MAX_EXAMPLES).map(|i| format!("example {i}")).collect();
        let node = with(
            ask("q"),
            json!({ "next": null, "intents": [{ "name": "i", "examples": examples, "next": "done" }] }),
        );
        only(&one(node), "too_large", "/nodes/0/intents/0/examples");
        let node = with(
            ask("q"),
            json!({ "next": null, "intents": [{ "name": "i", "examples": ["x".repeat(MAX_EXAMPLE_CHARS + 1)], "next": "done" }] }),
        );
        only(&one(node), "too_large", "/nodes/0/intents/0/examples/0");
        let cases: Vec<Value> = (0..=MAX_CASES)
            .map(|i| json!({ "when": format!("vars.n == {i}"), "next": "done" }))
            .collect();
        only(
            &one(json!({ "type": "branch", "id": "b", "cases": cases, "else": "done" })),
            "too_large",
            "/nodes/0/cases",
        );
        only(
            &one(with(
                say("s", "done"),
                json!({ "label": "l".repeat(MAX_NAME_CHARS + 1) }),
            )),
            "too_large",
            "/nodes/0/label",
        );
        let mut labelled = flow(json!([ask("q"), end("done")]));
        labelled["settings"] = json!({ "results": [
            { "var": "answer", "kind": "text", "label": "l".repeat(MAX_NAME_CHARS + 1) }
        ] });
        only(
            &validate(&labelled),
            "too_large",
            "/settings/results/0/label",
        );

        let mut nodes: Vec<Value> = (0..MAX_NODES)
            .map(|i| say(&format!("n{i}"), &format!("n{}", i + 1)))
            .collect();
        nodes.push(end(&format!("n{MAX_NODES}")));
        let validated = validate(&flow(Value::Array(nodes)));
        only(&validated, "too_large", "/nodes");
    }

    #[test]
    fn messages_name_intents_and_nodes_by_their_display_names() {
        let value = json!({
            "schema": 1, "name": "orders", "title": "订单查询", "language": "zh-CN", "start": "q",
            "nodes": [
                { "id": "q", "type": "ask", "prompt": "？", "no_match": { "next": "bye" },
                  "no_input": { "next": "bye" },
                  "intents": [{ "name": "intent_1", "label": "查发票", "examples": ["发票"], "next": "" }] },
                { "id": "ask_9", "type": "say", "label": "多余的播报", "text": "…", "next": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        });
        let validated = validate(&value);
        let messages: Vec<&str> = validated
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains("查发票")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("多余的播报")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .all(|m| !m.contains("intent_1") && !m.contains("ask_9")),
            "{messages:?}"
        );
        let document: FlowDocument = serde_json::from_value(value).expect("deserializes");
        assert_eq!(document.display_name(), "订单查询");
        assert_eq!(document.name, "orders", "the key stays beside the title");
    }

    #[test]
    fn results_are_set_by_a_node_and_listed_once() {
        let value = json!({
            "schema": 1, "name": "survey", "language": "zh-CN", "start": "q",
            "settings": { "results": [
                { "var": "score", "label": "满意度评分", "kind": "score" },
                { "var": "score", "kind": "number" },
                { "var": "ghost", "kind": "text" },
                { "var": "nps", "kind": "number" },
                { "var": "picked", "label": " ", "kind": "choice" },
                { "var": "npsx2", "kind": "number" }
            ] },
            "nodes": [
                { "type": "ask", "id": "q", "prompt": "?", "save_as": "score", "next": "s",
                  "no_match": { "next": "s" }, "no_input": { "next": "s" } },
                { "type": "script", "id": "s", "code": "vars.npsx = 1; vars.nps = vars.npsx * 2;",
                  "next": "t", "error": "t" },
                { "type": "set", "id": "t", "assign": [{ "var": "picked", "value": "a" }],
                  "next": "done" },
                end("done")
            ]
        });
        let validated = validate(&value);
        let got: Vec<(&str, &str, Severity)> = validated
            .diagnostics
            .iter()
            .map(|d| (d.field.as_str(), d.code, d.severity))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "/settings/results/1/var",
                    "duplicate_result",
                    Severity::Warning
                ),
                (
                    "/settings/results/2/var",
                    "unknown_result",
                    Severity::Warning
                ),
                (
                    "/settings/results/5/var",
                    "unknown_result",
                    Severity::Warning
                ),
            ],
            "{}",
            summary(&validated.diagnostics)
        );
        assert!(validated.diagnostics[1].message.contains("ghost"));
        // Warnings do not stop the flow from being used.
        let document = validated.document.expect("the document is returned");
        // People see a result's label; one without (or with a blank one) goes by its variable.
        let shown: Vec<&str> = document
            .settings
            .results
            .iter()
            .map(ResultVar::display_name)
            .collect();
        assert_eq!(
            shown,
            ["满意度评分", "score", "ghost", "nps", "picked", "npsx2"]
        );
        // A result without a label is written without one, as old flows have it.
        let written = serde_json::to_value(&document).expect("serializes");
        assert_eq!(
            written["settings"]["results"][1],
            json!({ "var": "score", "kind": "number" })
        );
    }

    #[test]
    fn sensitive_variables_and_addresses_are_variables_of_the_flow() {
        let value = json!({
            "schema": 1, "name": "returns", "language": "zh-CN", "start": "q",
            "variables": { "card": "" },
            "settings": { "sensitive": ["id_number", "card", "idnumber"], "addresses": ["ship_to", "a b"] },
            "nodes": [
                { "type": "ask", "id": "q", "prompt": "?", "save_as": "id_number", "next": "w",
                  "no_match": { "next": "w" }, "no_input": { "next": "w" } },
                { "type": "ask", "id": "w", "prompt": "?", "save_as": "ship_to", "next": "done",
                  "no_match": { "next": "done" }, "no_input": { "next": "done" } },
                end("done")
            ]
        });
        let validated = validate(&value);
        let got: Vec<(&str, &str, Severity)> = validated
            .diagnostics
            .iter()
            .map(|d| (d.field.as_str(), d.code, d.severity))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "/settings/sensitive/2",
                    "unknown_sensitive",
                    Severity::Warning
                ),
                ("/settings/addresses/1", "invalid_variable", Severity::Error),
                (
                    "/settings/addresses/1",
                    "unknown_sensitive",
                    Severity::Warning
                ),
            ],
            "{}",
            summary(&validated.diagnostics)
        );
        assert!(validated.diagnostics[0].message.contains("idnumber"));
    }
}
