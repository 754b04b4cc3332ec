//! The JSON value against the model, part by part: every field of the wrong shape is reported
//! once, with its node and its field, and left out so that the rest can still be read and
//! checked.

use std::collections::{BTreeMap, HashSet};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::diagnostic::node_of_kind;
use super::document::{self, Known, Subject};
use super::serde_error::{describe_value, explain_serde_error};
use super::{shorten, Diagnostic, Validated, ValidationContext};
use crate::messages::{term, Message};
use crate::model::{
    escape_pointer, AngryCaller, FlowDocument, FlowSettings, Intent, Node, SCHEMA_VERSION,
};
use crate::msg;
use crate::nodes::{self, ReadFields};

const TOP_LEVEL_FIELDS: [&str; 11] = [
    "schema",
    "name",
    "title",
    "description",
    "language",
    "start",
    "variables",
    "nodes",
    "global_intents",
    "angry_caller",
    "settings",
];

/// Each bad field is reported once; a shape error stops at most this many retries per part.
const MAX_SHAPE_ERRORS_PER_PART: usize = 32;

#[derive(Default)]
struct Shape {
    out: Vec<Diagnostic>,
    /// Fields that had the wrong shape and were left out so the rest of their part could be
    /// read; later checks about these fields would repeat the same problem.
    removed: HashSet<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// The nodes that could be read, and those that could not.
#[derive(Default)]
struct Nodes {
    nodes: Vec<Node>,
    /// Position in the JSON `nodes` list of each of `nodes`.
    positions: Vec<usize>,
    /// Position and id (if it is a string) of each node that could not be read.
    broken: Vec<(usize, Option<String>)>,
}

/// Reads a JSON value as a flow and checks what could be read.
pub(super) fn read(value: &Value, context: &ValidationContext<'_>) -> Validated {
    let Some(root) = value.as_object() else {
        let message = msg!("wrong_type.flow", found = describe_value(value));
        return Validated {
            document: None,
            diagnostics: vec![Diagnostic::error("wrong_type", "", message)],
        };
    };
    let mut shape = Shape::default();
    shape.unknown_fields(root);
    if let Some(unsupported) = shape.schema(root) {
        // A different version means a different format: checking the rest against version 1
        // would only produce noise.
        return Validated {
            document: None,
            diagnostics: vec![unsupported],
        };
    }
    let name = shape.top_level::<String>(root, "name", true);
    let title = shape
        .top_level::<Option<String>>(root, "title", false)
        .flatten();
    let description = shape
        .top_level::<Option<String>>(root, "description", false)
        .flatten();
    let language = shape.top_level::<String>(root, "language", true);
    let start = shape.top_level::<String>(root, "start", true);
    let variables = shape.top_level::<BTreeMap<String, Value>>(root, "variables", false);
    let nodes = shape.nodes(root);
    let (global_intents, intent_pos) = shape.global_intents(root);
    let angry_caller = root.get("angry_caller").and_then(|raw| {
        shape.part::<AngryCaller>(
            raw,
            "/angry_caller",
            Some("angry_caller"),
            term("what.angry_caller"),
        )
    });
    let settings = match root.get("settings") {
        Some(raw) => shape
            .part::<FlowSettings>(raw, "/settings", Some("settings"), term("what.settings"))
            .unwrap_or_default(),
        None => FlowSettings::default(),
    };

    let well_formed = shape.out.is_empty();
    let known = Known {
        name: name.is_some(),
        language: language.is_some(),
        start: start.is_some(),
        nodes: nodes.is_some(),
        all_ports: !shape
            .removed
            .iter()
            .any(|field| field.starts_with("/nodes/")),
    };
    let nodes = nodes.unwrap_or_default();
    let document = FlowDocument {
        schema: SCHEMA_VERSION,
        name: name.unwrap_or_default(),
        title,
        description,
        language: language.unwrap_or_default(),
        start: start.unwrap_or_default(),
        variables: variables.unwrap_or_default(),
        nodes: nodes.nodes,
        global_intents,
        angry_caller,
        settings,
    };
    let subject = Subject {
        doc: &document,
        node_pos: nodes.positions,
        intent_pos,
        broken: nodes.broken,
        known,
    };
    let mut checks = document::check(&subject, context);
    if !shape.removed.is_empty() {
        checks.retain(|d| !follows_from_removed(d, &shape.removed));
    }
    let mut diagnostics = shape.out;
    diagnostics.append(&mut checks);
    fill_node_ids(&mut diagnostics, value);
    Validated {
        document: well_formed.then_some(document),
        diagnostics,
    }
}

impl Shape {
    fn unknown_fields(&mut self, root: &serde_json::Map<String, Value>) {
        for key in root.keys() {
            if !TOP_LEVEL_FIELDS.contains(&key.as_str()) {
                let message = msg!(
                    "unknown_field",
                    what = term("what.flow"),
                    field = shorten(key, 60),
                    allowed = TOP_LEVEL_FIELDS.join(", ")
                );
                self.out.push(Diagnostic::error(
                    "unknown_field",
                    format!("/{}", escape_pointer(key)),
                    message,
                ));
            }
        }
    }

    /// Checks `schema`; returns the one diagnostic to report when it names another version.
    fn schema(&mut self, root: &serde_json::Map<String, Value>) -> Option<Diagnostic> {
        match root.get("schema") {
            None => self.out.push(Diagnostic::error(
                "missing_field",
                "/schema",
                term("missing_field.schema"),
            )),
            Some(schema) if schema.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
            Some(schema) if schema.is_u64() || schema.is_i64() => {
                let message = msg!(
                    "unsupported_schema.convert",
                    schema = schema.to_string(),
                    supported = SCHEMA_VERSION
                );
                return Some(Diagnostic::error("unsupported_schema", "/schema", message));
            }
            Some(other) => self.out.push(Diagnostic::error(
                "wrong_type",
                "/schema",
                msg!(
                    "wrong_type",
                    field = "schema",
                    expected = term("value.one"),
                    found = describe_value(other)
                ),
            )),
        }
        None
    }

    /// The nodes; `None` when the list is missing or not a list.
    fn nodes(&mut self, root: &serde_json::Map<String, Value>) -> Option<Nodes> {
        match root.get("nodes") {
            None => {
                self.out.push(Diagnostic::error(
                    "missing_field",
                    "/nodes",
                    term("missing_field.nodes"),
                ));
                None
            }
            Some(Value::Array(items)) => {
                let mut nodes = Nodes::default();
                for (pos, item) in items.iter().enumerate() {
                    match self.node(item, pos) {
                        Some(node) => {
                            nodes.nodes.push(node);
                            nodes.positions.push(pos);
                        }
                        None => nodes.broken.push((
                            pos,
                            item.get("id").and_then(Value::as_str).map(str::to_owned),
                        )),
                    }
                }
                Some(nodes)
            }
            Some(other) => {
                self.out.push(Diagnostic::error(
                    "wrong_type",
                    "/nodes",
                    msg!(
                        "wrong_type",
                        field = "nodes",
                        expected = term("value.list_of_nodes"),
                        found = describe_value(other)
                    ),
                ));
                None
            }
        }
    }

    /// The global intents that could be read, and their positions in the JSON list.
    fn global_intents(
        &mut self,
        root: &serde_json::Map<String, Value>,
    ) -> (Vec<Intent>, Vec<usize>) {
        let mut intents = Vec::new();
        let mut positions = Vec::new();
        match root.get("global_intents") {
            None => {}
            Some(Value::Array(items)) => {
                for (pos, item) in items.iter().enumerate() {
                    let base = format!("/global_intents/{pos}");
                    if let Some(intent) =
                        self.part::<Intent>(item, &base, None, term("what.global_intent"))
                    {
                        intents.push(intent);
                        positions.push(pos);
                    }
                }
            }
            Some(other) => self.out.push(Diagnostic::error(
                "wrong_type",
                "/global_intents",
                msg!(
                    "wrong_type",
                    field = "global_intents",
                    expected = term("value.list_of_intents"),
                    found = describe_value(other)
                ),
            )),
        }
        (intents, positions)
    }

    fn top_level<T: DeserializeOwned>(
        &mut self,
        root: &serde_json::Map<String, Value>,
        key: &str,
        required: bool,
    ) -> Option<T> {
        match root.get(key) {
            Some(raw) => self.part(raw, &format!("/{key}"), Some(key), term("what.flow")),
            None => {
                if required {
                    let message = msg!("missing_field.flow", field = key);
                    self.out.push(Diagnostic::error(
                        "missing_field",
                        format!("/{key}"),
                        message,
                    ));
                }
                None
            }
        }
    }

    fn node(&mut self, raw: &Value, pos: usize) -> Option<Node> {
        let base = format!("/nodes/{pos}");
        let Some(object) = raw.as_object() else {
            let message = msg!("wrong_type.node", found = describe_value(raw));
            self.out
                .push(Diagnostic::error("wrong_type", base, message));
            return None;
        };
        let kind = match object.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(other) => {
                let message = msg!(
                    "wrong_type",
                    field = "type",
                    expected = msg!("value.node_type", types = nodes::TYPES.join(", ")),
                    found = describe_value(other)
                );
                self.out.push(Diagnostic::error(
                    "wrong_type",
                    format!("{base}/type"),
                    message,
                ));
                return None;
            }
            None => {
                let message = msg!("missing_field.type", types = nodes::TYPES.join(", "));
                self.out.push(Diagnostic::error(
                    "missing_field",
                    format!("{base}/type"),
                    message,
                ));
                return None;
            }
        };
        // Each type is read as its own struct: serde loses the error's path inside an
        // internally tagged enum, and the precise field is the point of this check.
        let mut body = object.clone();
        body.remove("type");
        let body = Value::Object(body);
        let what = node_of_kind(kind);
        let mut fields = NodeFields {
            shape: self,
            body: &body,
            base: &base,
            what,
        };
        match nodes::read(kind, &mut fields) {
            Some(node) => node,
            None => {
                let message = msg!(
                    "unknown_node_type",
                    kind = shorten(kind, 60),
                    types = nodes::TYPES.join(", ")
                );
                self.out.push(Diagnostic::error(
                    "unknown_node_type",
                    format!("{base}/type"),
                    message,
                ));
                None
            }
        }
    }
    /// Reads one part of the document. After a bad field is reported it is left out and the part
    /// is read again, so that several mistakes in one node are reported together and the node
    /// can still take part in the graph checks. Reading stops when a required field is bad.
    fn part<T: DeserializeOwned>(
        &mut self,
        raw: &Value,
        base: &str,
        label_prefix: Option<&str>,
        what: Message,
    ) -> Option<T> {
        let mut repaired: Option<Value> = None;
        let mut reported: Vec<String> = Vec::new();
        for _ in 0..MAX_SHAPE_ERRORS_PER_PART {
            let current = repaired.as_ref().unwrap_or(raw);
            let error = match serde_path_to_error::deserialize::<_, T>(current) {
                Ok(parsed) => return Some(parsed),
                Err(error) => error,
            };
            let mut segments = Vec::new();
            let mut precise = true;
            for segment in error.path().iter() {
                match segment {
                    serde_path_to_error::Segment::Map { key } => {
                        segments.push(Segment::Key(key.clone()))
                    }
                    serde_path_to_error::Segment::Seq { index } => {
                        segments.push(Segment::Index(*index))
                    }
                    _ => precise = false,
                }
            }
            let problem = explain_serde_error(&error.inner().to_string());
            if let Some(missing) = &problem.missing {
                segments.push(Segment::Key(missing.clone()));
            }
            let field = pointer(base, &segments);
            if reported.contains(&field) {
                // Leaving out a bad required field makes it missing: already reported.
                return None;
            }
            let label = field_label(label_prefix, &segments);
            let message = problem.message(&label, what.clone());
            self.out
                .push(Diagnostic::error(problem.code, field.clone(), message));
            if problem.missing.is_some() || !precise {
                return None;
            }
            let repaired = repaired.get_or_insert_with(|| raw.clone());
            if !remove_at(repaired, &segments) {
                return None;
            }
            self.removed.insert(field.clone());
            reported.push(field);
        }
        None
    }
}

/// A node's fields, read as the struct of the node's kind.
struct NodeFields<'s> {
    shape: &'s mut Shape,
    body: &'s Value,
    base: &'s str,
    what: Message,
}

impl ReadFields for NodeFields<'_> {
    fn read<T: DeserializeOwned>(&mut self) -> Option<T> {
        self.shape
            .part(self.body, self.base, None, self.what.clone())
    }
}

/// Removes the object field at `segments`; array elements are not removed because the indices
/// of later elements, and so their pointers, would shift.
fn remove_at(value: &mut Value, segments: &[Segment]) -> bool {
    let Some((Segment::Key(last), parents)) = segments.split_last() else {
        return false;
    };
    let mut current = value;
    for segment in parents {
        let next = match (segment, current) {
            (Segment::Key(key), Value::Object(map)) => map.get_mut(key),
            (Segment::Index(index), Value::Array(items)) => items.get_mut(*index),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => return false,
        }
    }
    match current {
        Value::Object(map) => map.remove(last).is_some(),
        _ => false,
    }
}

fn pointer(base: &str, segments: &[Segment]) -> String {
    let mut out = base.to_owned();
    for segment in segments {
        out.push('/');
        match segment {
            Segment::Key(key) => out.push_str(&escape_pointer(key)),
            Segment::Index(index) => out.push_str(&index.to_string()),
        }
    }
    out
}

/// The field as people read it: `no_match.next`, `intents[0].examples[2]`.
fn field_label(prefix: Option<&str>, segments: &[Segment]) -> String {
    let mut out = prefix.unwrap_or_default().to_owned();
    for segment in segments {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

/// Whether a check's finding is only a consequence of leaving out a field with the wrong shape:
/// it is about that field, or it notices that something is absent which was in fact there.
fn follows_from_removed(diagnostic: &Diagnostic, removed: &HashSet<String>) -> bool {
    const ABSENCE_CODES: [&str; 2] = ["intent_without_examples", "handoff_target"];
    is_within_any(&diagnostic.field, removed)
        || (ABSENCE_CODES.contains(&diagnostic.code)
            && removed.iter().any(|r| {
                r.strip_prefix(diagnostic.field.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
            }))
}

fn is_within_any(field: &str, roots: &HashSet<String>) -> bool {
    let mut current = field;
    loop {
        if roots.contains(current) {
            return true;
        }
        match current.rfind('/') {
            Some(cut) => current = &current[..cut],
            None => return false,
        }
    }
}

/// Shape problems are found before any node is typed; the node's id comes from the raw JSON.
pub(super) fn fill_node_ids(diagnostics: &mut [Diagnostic], root: &Value) {
    let Some(nodes) = root.get("nodes").and_then(Value::as_array) else {
        return;
    };
    for diagnostic in diagnostics.iter_mut().filter(|d| d.node.is_none()) {
        let Some(rest) = diagnostic.field.strip_prefix("/nodes/") else {
            continue;
        };
        let index = rest.split('/').next().and_then(|i| i.parse::<usize>().ok());
        let id = index
            .and_then(|i| nodes.get(i))
            .and_then(|n| n.get("id"))
            .and_then(Value::as_str);
        diagnostic.node = id.filter(|id| !id.is_empty()).map(str::to_owned);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::FlowDocument;
    use crate::testing::{
        ask, end, find, flow, one, only, realistic_flow, sandbox, say, summary, validate, with,
    };
    use crate::validate::{validate_document, Severity};

    #[test]
    fn root_must_be_an_object() {
        let d = only(&validate(&json!([1, 2])), "wrong_type", "");
        assert!(d.message.contains("a list"), "{}", d.message);
    }

    #[test]
    fn schema_version_must_be_one() {
        let mut value = realistic_flow();
        value["schema"] = json!(2);
        // Other versions are another format: nothing else is checked.
        value["nodes"] = json!("garbage");
        let validated = validate(&value);
        let d = only(&validated, "unsupported_schema", "/schema");
        assert!(d.message.contains('2'), "{}", d.message);
        value["schema"] = json!("1");
        find(&validate(&value), "wrong_type", "/schema");
        let mut document: FlowDocument = serde_json::from_value(realistic_flow()).expect("valid");
        document.schema = 3;
        let sandbox = sandbox();
        let diagnostics = validate_document(&document, &ValidationContext::new(&sandbox));
        assert_eq!(
            diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(),
            ["unsupported_schema", "unknown_subflow"]
                .iter()
                .take(1)
                .copied()
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn required_top_level_fields() {
        let validated = validate(&json!({}));
        let fields: Vec<(&str, &str)> = validated
            .diagnostics
            .iter()
            .map(|d| (d.code, d.field.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("missing_field", "/schema"),
                ("missing_field", "/name"),
                ("missing_field", "/language"),
                ("missing_field", "/start"),
                ("missing_field", "/nodes"),
            ]
        );
    }

    #[test]
    fn top_level_wrong_types() {
        let value = json!({ "schema": 1, "name": 5, "language": "en", "start": "a", "nodes": {},
                            "variables": [], "global_intents": "x", "settings": { "intent_threshold": "high" } });
        let validated = validate(&value);
        let d = find(&validated, "wrong_type", "/name");
        assert_eq!(
            d.message,
            "Wrong type for \"name\": expected text, found the number 5."
        );
        find(&validated, "wrong_type", "/nodes");
        find(&validated, "wrong_type", "/variables");
        find(&validated, "wrong_type", "/global_intents");
        let d = find(&validated, "wrong_type", "/settings/intent_threshold");
        assert!(
            d.message.contains("\"settings.intent_threshold\""),
            "{}",
            d.message
        );
        assert!(
            d.message
                .contains("expected a number, found the text \"high\""),
            "{}",
            d.message
        );
        assert_eq!(
            validated.diagnostics.len(),
            5,
            "{}",
            summary(&validated.diagnostics)
        );
    }

    #[test]
    fn wrong_field_type_names_node_and_field() {
        let validated = one(with(ask("q"), json!({ "timeout_ms": "abc" })));
        let d = only(&validated, "wrong_type", "/nodes/0/timeout_ms");
        assert_eq!(d.node.as_deref(), Some("q"));
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.message, "Wrong type for \"timeout_ms\": expected a whole number (0 or more), found the text \"abc\".");
        assert!(validated.document.is_none());
    }

    #[test]
    fn missing_field_points_at_the_field() {
        let validated = one(json!({ "type": "say", "id": "s", "text": "hi" }));
        let d = only(&validated, "missing_field", "/nodes/0/next");
        assert_eq!(d.node.as_deref(), Some("s"));
        assert!(
            d.message.contains("say node") && d.message.contains("\"next\""),
            "{}",
            d.message
        );
        let validated = one(with(ask("q"), json!({ "no_match": {} })));
        let d = only(&validated, "missing_field", "/nodes/0/no_match/next");
        assert!(d.message.contains("\"no_match.next\""), "{}", d.message);
        only(
            &one(json!({ "id": "x", "text": "hi", "next": "done" })),
            "missing_field",
            "/nodes/0/type",
        );
    }

    #[test]
    fn unknown_field_and_node_type() {
        let validated = one(with(say("s", "done"), json!({ "colour": "red" })));
        let d = only(&validated, "unknown_field", "/nodes/0/colour");
        assert_eq!(d.node.as_deref(), Some("s"));
        assert!(
            d.message.contains("\"colour\"") && d.message.contains("text, audio"),
            "{}",
            d.message
        );
        let validated = one(json!({ "type": "speak", "id": "s", "text": "hi", "next": "done" }));
        let d = only(&validated, "unknown_node_type", "/nodes/0/type");
        assert_eq!(d.node.as_deref(), Some("s"));
        assert!(
            d.message.contains("\"speak\"") && d.message.contains("say, ask"),
            "{}",
            d.message
        );
        only(
            &one(json!({ "type": 3, "id": "s" })),
            "wrong_type",
            "/nodes/0/type",
        );
        find(&one(json!("say")), "wrong_type", "/nodes/0");
    }

    #[test]
    fn global_intents_and_settings_are_read_separately() {
        let mut value = flow(json!([ask("q"), end("done")]));
        value["global_intents"] = json!([
            { "name": "agent", "examples": ["人工"], "next": "done" },
            { "name": "x", "examples": "人工", "next": "done" },
            { "name": "y", "next": "done", "dtmf": 9 }
        ]);
        value["settings"] = json!({ "no_input_timeout": 3000 });
        let validated = validate(&value);
        find(&validated, "wrong_type", "/global_intents/1/examples");
        find(&validated, "wrong_type", "/global_intents/2/dtmf");
        find(&validated, "unknown_field", "/settings/no_input_timeout");
        // Leaving out the bad fields does not make the intents look empty.
        assert_eq!(
            validated.diagnostics.len(),
            3,
            "{}",
            summary(&validated.diagnostics)
        );
    }

    #[test]
    fn several_bad_fields_in_one_node_are_all_reported() {
        let node = with(
            ask("q"),
            json!({ "timeout_ms": "x", "threshold": "y", "colour": 1, "next": "nowhere" }),
        );
        let validated = one(node);
        find(&validated, "wrong_type", "/nodes/0/timeout_ms");
        find(&validated, "wrong_type", "/nodes/0/threshold");
        find(&validated, "unknown_field", "/nodes/0/colour");
        // The node was still read, so its ports are checked.
        find(&validated, "dangling_port", "/nodes/0/next");
        assert_eq!(
            validated.diagnostics.len(),
            4,
            "{}",
            summary(&validated.diagnostics)
        );
    }

    #[test]
    fn a_bad_required_field_is_reported_once() {
        let validated = one(with(say("s", "done"), json!({ "next": 5 })));
        only(&validated, "wrong_type", "/nodes/0/next");
        let validated = one(with(ask("q"), json!({ "next": 5 })));
        // `next` is optional in the model but required here: no second report on the same field.
        only(&validated, "wrong_type", "/nodes/0/next");
    }

    #[test]
    fn unreadable_nodes_do_not_hide_other_checks() {
        let value = flow(json!([
            say("a", "b"),
            { "type": "say", "id": "b", "text": 1, "next": "c" },
            say("c", "ghost"),
            end("d")
        ]));
        let validated = validate(&value);
        let got: Vec<(&str, &str)> = validated
            .diagnostics
            .iter()
            .map(|d| (d.code, d.field.as_str()))
            .collect();
        // "b" exists (it just cannot be read), so "a" → "b" is fine; "c" → "ghost" is not. No
        // unreachable warnings: where "b" leads is unknown.
        assert_eq!(
            got,
            [
                ("wrong_type", "/nodes/1/text"),
                ("dangling_port", "/nodes/2/next")
            ]
        );
        assert!(validated.document.is_none());
    }
}
