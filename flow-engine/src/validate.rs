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
//! | `handoff_target` | E | not exactly one non-empty `queue`/`phone`/`sip` |
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
//! | `expression_syntax` | E | a branch condition that does not compile (line/column) |
//! | `script_syntax` | E | a script that does not compile (line/column) |
//! | `empty_condition` | E | a branch condition that is blank |
//! | `unknown_subflow` | E | a subflow name not among the known flows |
//! | `endless_loop` | E | a loop of non-waiting nodes with no way out |
//! | `loop_without_input` | W | a loop of non-waiting nodes that only conditions can leave |
//! | `unreachable` | W | no path from `start` leads to the node |
//! | `answer_not_saved` | W | an `ask` that takes any answer but stores it nowhere |
//! | `ignored_field` | W | a field that has no effect here (e.g. `pattern` on a number slot) |
//! | `intent_name_conflict` | W | a node's intent named like a global intent, which wins |
//! | `shadowed_key` | W | a node's key that a global intent takes first |
//! | `invalid_phone` | W | a phone number that is neither E.164 nor digits |
//! | `invalid_language` | W | a language that does not look like a BCP 47 tag |
//! | `empty_text` | W | a `say` with neither text nor audio |

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::ops::RangeInclusive;

use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::Value;

use crate::model::{
    escape_pointer, AskNode, BranchNode, EndNode, FlowDocument, FlowSettings, HandoffNode,
    HttpNode, Intent, MenuNode, Node, Port, Retry, SayNode, ScriptNode, SetNode, SlotType,
    SubflowNode, SCHEMA_VERSION,
};
use crate::script::Sandbox;
use crate::template::Template;

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

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `dangling_port`.
    pub code: &'static str,
    /// Id of the node concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// JSON pointer of the field from the document root, e.g. `/nodes/3/next` (`""` for the
    /// whole document).
    pub field: String,
    pub message: String,
    /// Line and column inside the field's text for script and template errors (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

/// What validation needs from outside the document.
pub struct ValidationContext<'a> {
    pub sandbox: &'a Sandbox,
    /// Names of the flows a `subflow` node may call; `None` skips that check.
    pub known_subflows: Option<&'a BTreeSet<String>>,
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

impl Diagnostic {
    fn new(
        severity: Severity,
        code: &'static str,
        field: impl Into<String>,
        message: String,
    ) -> Self {
        Diagnostic {
            severity,
            code,
            node: None,
            field: field.into(),
            message,
            line: None,
            column: None,
        }
    }

    fn error(code: &'static str, field: impl Into<String>, message: String) -> Self {
        Diagnostic::new(Severity::Error, code, field, message)
    }

    fn warning(code: &'static str, field: impl Into<String>, message: String) -> Self {
        Diagnostic::new(Severity::Warning, code, field, message)
    }

    fn on(mut self, node: Option<&str>) -> Self {
        // An empty id is itself reported; naming the node "" would only confuse.
        self.node = node.filter(|id| !id.is_empty()).map(str::to_owned);
        self
    }

    /// 0 means "unknown" in the sandbox's errors; it is left out rather than shown as line 0.
    fn at(mut self, line: u32, column: u32) -> Self {
        self.line = (line > 0).then_some(line);
        self.column = (line > 0 && column > 0).then_some(column);
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/// Validates flow JSON text.
pub fn validate_json(text: &str, context: &ValidationContext<'_>) -> Validated {
    if text.len() > MAX_JSON_BYTES {
        let message = format!(
            "The flow file is {} MiB; at most {} MiB is allowed. Split the flow into subflows.",
            text.len().div_ceil(1024 * 1024),
            MAX_JSON_BYTES / (1024 * 1024)
        );
        return Validated {
            document: None,
            diagnostics: vec![Diagnostic::error("too_large", "", message)],
        };
    }
    if text.starts_with('\u{feff}') {
        let message = "The file starts with an invisible byte-order mark (BOM). Save it as UTF-8 \
                       without BOM."
            .to_owned();
        let diagnostic = Diagnostic::error("json_syntax", "", message).at(1, 1);
        return Validated {
            document: None,
            diagnostics: vec![diagnostic],
        };
    }
    let (value, duplicates) = match parse_json(text) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Validated {
                document: None,
                diagnostics: vec![json_syntax_diagnostic(text, &error)],
            }
        }
    };
    let mut validated = validate_value_unsorted(&value, context);
    if !duplicates.is_empty() {
        // `FlowDocument::from_json` rejects repeated keys, so a document with them is not
        // well-formed even though every value has the right type.
        validated.document = None;
        for field in duplicates {
            let key = field
                .rsplit('/')
                .next()
                .map(unescape_pointer)
                .unwrap_or_default();
            let message = format!(
                "The field \"{key}\" is written twice here; only the last one would count. Remove \
                 one of them."
            );
            validated
                .diagnostics
                .push(Diagnostic::error("duplicate_field", field, message));
        }
        fill_node_ids(&mut validated.diagnostics, &value);
    }
    sort_in_document_order(&mut validated.diagnostics, &value);
    validated
}

/// Validates a parsed JSON value: wrong types are reported per node and field.
pub fn validate_value(value: &serde_json::Value, context: &ValidationContext<'_>) -> Validated {
    let mut validated = validate_value_unsorted(value, context);
    sort_in_document_order(&mut validated.diagnostics, value);
    validated
}

/// Validates a typed document (graph, limits, syntax of scripts and templates).
pub fn validate_document(
    document: &FlowDocument,
    context: &ValidationContext<'_>,
) -> Vec<Diagnostic> {
    let subject = Subject {
        doc: document,
        node_pos: (0..document.nodes.len()).collect(),
        intent_pos: (0..document.global_intents.len()).collect(),
        broken: Vec::new(),
        known: Known::all(),
    };
    let mut diagnostics = check(&subject, context);
    // A typed document has no text to take the order from; its canonical JSON (field order of
    // the model) is what the editor writes, so that order is used.
    let canonical = serde_json::to_value(document).unwrap_or(Value::Null);
    sort_in_document_order(&mut diagnostics, &canonical);
    diagnostics
}

// ---------------------------------------------------------------------------------------------
// JSON text
// ---------------------------------------------------------------------------------------------

/// Parses JSON like `serde_json::from_str::<Value>`, and also lists repeated object keys (as
/// JSON pointers), which a `Value` silently collapses.
fn parse_json(text: &str) -> Result<(Value, Vec<String>), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut path = String::new();
    let mut duplicates = Vec::new();
    let value = DuplicateKeys {
        path: &mut path,
        duplicates: &mut duplicates,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok((value, duplicates))
}

struct DuplicateKeys<'s> {
    path: &'s mut String,
    duplicates: &'s mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for DuplicateKeys<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DuplicateKeys<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        let len = self.path.len();
        loop {
            self.path.push('/');
            self.path.push_str(&items.len().to_string());
            let item = seq.next_element_seed(DuplicateKeys {
                path: self.path,
                duplicates: self.duplicates,
            })?;
            self.path.truncate(len);
            match item {
                Some(item) => items.push(item),
                None => break,
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        let len = self.path.len();
        while let Some(key) = map.next_key::<String>()? {
            self.path.push('/');
            self.path.push_str(&escape_pointer(&key));
            let value = map.next_value_seed(DuplicateKeys {
                path: self.path,
                duplicates: self.duplicates,
            })?;
            if object.contains_key(&key) {
                self.duplicates.push(self.path.clone());
            }
            self.path.truncate(len);
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

fn json_syntax_diagnostic(text: &str, error: &serde_json::Error) -> Diagnostic {
    let raw = error.to_string();
    // serde_json appends " at line N column M"; the place is reported in its own fields.
    let detail = match raw.rfind(" at line ") {
        Some(cut) => &raw[..cut],
        None => raw.as_str(),
    };
    let explained = if detail.starts_with("EOF while parsing") {
        "the text ends too early: a bracket, brace or quote is not closed".to_owned()
    } else if detail == "trailing comma" {
        "there is a comma before a closing bracket or brace; remove it".to_owned()
    } else if detail == "key must be a string" {
        "field names must be written in double quotes".to_owned()
    } else if detail == "expected value" {
        "a value is missing or is not valid JSON (text must be in double quotes)".to_owned()
    } else if detail == "trailing characters" {
        "there is more text after the end of the flow".to_owned()
    } else if detail.starts_with("control character") {
        "a line break or tab inside quoted text; write \\n or \\t instead".to_owned()
    } else {
        detail.to_owned()
    };
    let line = u32::try_from(error.line()).unwrap_or(u32::MAX);
    let column = char_column(text, error.line(), error.column());
    let message =
        format!("The flow is not valid JSON: {explained} (line {line}, column {column}).");
    Diagnostic::error("json_syntax", "", message).at(line, column)
}

/// serde_json counts columns in bytes; editors count characters, which differ for Chinese text.
fn char_column(text: &str, line: usize, byte_column: usize) -> u32 {
    let Some(line_text) = text.split('\n').nth(line.saturating_sub(1)) else {
        return u32::try_from(byte_column).unwrap_or(u32::MAX);
    };
    let mut end = byte_column.min(line_text.len());
    while !line_text.is_char_boundary(end) {
        end -= 1;
    }
    let chars = line_text[..end].chars().count();
    // A column inside a multi-byte character still points at that character.
    let chars = if end < byte_column.min(line_text.len()) {
        chars + 1
    } else {
        chars
    };
    u32::try_from(chars.max(1)).unwrap_or(u32::MAX)
}

// ---------------------------------------------------------------------------------------------
// Shape: the JSON value against the model, part by part
// ---------------------------------------------------------------------------------------------

const TOP_LEVEL_FIELDS: [&str; 9] = [
    "schema",
    "name",
    "description",
    "language",
    "start",
    "variables",
    "nodes",
    "global_intents",
    "settings",
];

const NODE_TYPES: [&str; 10] = [
    "say", "ask", "menu", "branch", "set", "script", "http", "handoff", "subflow", "end",
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

fn validate_value_unsorted(value: &Value, context: &ValidationContext<'_>) -> Validated {
    let mut shape = Shape::default();
    let Some(root) = value.as_object() else {
        let message = format!(
            "A flow must be a JSON object \
                ({{ \"schema\": 1, \"name\": …, \"nodes\": [ … ] }}), but \
             this is {}.",
            describe_value(value)
        );
        return Validated {
            document: None,
            diagnostics: vec![Diagnostic::error("wrong_type", "", message)],
        };
    };

    for key in root.keys() {
        if !TOP_LEVEL_FIELDS.contains(&key.as_str()) {
            let message = format!(
                "The flow has an unknown field \"{}\". Remove it or correct its spelling; the \
                 fields allowed here are: {}.",
                shorten(key, 60),
                TOP_LEVEL_FIELDS.join(", ")
            );
            shape.out.push(Diagnostic::error(
                "unknown_field",
                format!("/{}", escape_pointer(key)),
                message,
            ));
        }
    }

    match root.get("schema") {
        None => shape.out.push(Diagnostic::error(
            "missing_field",
            "/schema",
            "The flow has no \"schema\" field. Add \"schema\": 1.".to_owned(),
        )),
        Some(schema) if schema.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
        Some(schema) if schema.is_u64() || schema.is_i64() => {
            // A different version means a different format: checking the rest against version 1
            // would only produce noise.
            let message = format!(
                "This flow uses schema version {schema}, but only version {SCHEMA_VERSION} is \
                 supported. Open it with a matching version of Callflow or convert it."
            );
            let diagnostics = vec![Diagnostic::error("unsupported_schema", "/schema", message)];
            return Validated {
                document: None,
                diagnostics,
            };
        }
        Some(other) => shape.out.push(Diagnostic::error(
            "wrong_type",
            "/schema",
            format!(
                "Wrong type for \"schema\": expected the number 1, found {}.",
                describe_value(other)
            ),
        )),
    }

    let name = shape.top_level::<String>(root, "name", true);
    let description = shape
        .top_level::<Option<String>>(root, "description", false)
        .flatten();
    let language = shape.top_level::<String>(root, "language", true);
    let start = shape.top_level::<String>(root, "start", true);
    let variables = shape.top_level::<BTreeMap<String, Value>>(root, "variables", false);

    let mut nodes = Vec::new();
    let mut node_pos = Vec::new();
    let mut broken = Vec::new();
    let nodes_known = match root.get("nodes") {
        None => {
            shape.out.push(Diagnostic::error(
                "missing_field",
                "/nodes",
                "The flow has no \"nodes\" list. Add \"nodes\": [ … ] with at least one node."
                    .to_owned(),
            ));
            false
        }
        Some(Value::Array(items)) => {
            for (pos, item) in items.iter().enumerate() {
                match shape.node(item, pos) {
                    Some(node) => {
                        nodes.push(node);
                        node_pos.push(pos);
                    }
                    None => broken.push((
                        pos,
                        item.get("id").and_then(Value::as_str).map(str::to_owned),
                    )),
                }
            }
            true
        }
        Some(other) => {
            shape.out.push(Diagnostic::error(
                "wrong_type",
                "/nodes",
                format!(
                    "Wrong type for \"nodes\": expected a list of nodes, found {}.",
                    describe_value(other)
                ),
            ));
            false
        }
    };

    let mut global_intents = Vec::new();
    let mut intent_pos = Vec::new();
    match root.get("global_intents") {
        None => {}
        Some(Value::Array(items)) => {
            for (pos, item) in items.iter().enumerate() {
                let base = format!("/global_intents/{pos}");
                if let Some(intent) = shape.part::<Intent>(item, &base, None, "global intent") {
                    global_intents.push(intent);
                    intent_pos.push(pos);
                }
            }
        }
        Some(other) => shape.out.push(Diagnostic::error(
            "wrong_type",
            "/global_intents",
            format!(
                "Wrong type for \"global_intents\": expected a list of intents, found {}.",
                describe_value(other)
            ),
        )),
    }

    let settings = match root.get("settings") {
        Some(raw) => shape
            .part::<FlowSettings>(raw, "/settings", Some("settings"), "settings")
            .unwrap_or_default(),
        None => FlowSettings::default(),
    };

    let well_formed = shape.out.is_empty();
    let known = Known {
        name: name.is_some(),
        language: language.is_some(),
        start: start.is_some(),
        nodes: nodes_known,
        all_ports: !shape
            .removed
            .iter()
            .any(|field| field.starts_with("/nodes/")),
    };
    let document = FlowDocument {
        schema: SCHEMA_VERSION,
        name: name.unwrap_or_default(),
        description,
        language: language.unwrap_or_default(),
        start: start.unwrap_or_default(),
        variables: variables.unwrap_or_default(),
        nodes,
        global_intents,
        settings,
    };
    let subject = Subject {
        doc: &document,
        node_pos,
        intent_pos,
        broken,
        known,
    };
    let mut checks = check(&subject, context);
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
    fn top_level<T: DeserializeOwned>(
        &mut self,
        root: &serde_json::Map<String, Value>,
        key: &str,
        required: bool,
    ) -> Option<T> {
        match root.get(key) {
            Some(raw) => self.part(raw, &format!("/{key}"), Some(key), "flow"),
            None => {
                if required {
                    let message = format!("The flow has no \"{key}\" field. Add it.");
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
            let message = format!(
                "Each node must be a JSON object, but this is {}.",
                describe_value(raw)
            );
            self.out
                .push(Diagnostic::error("wrong_type", base, message));
            return None;
        };
        let kind = match object.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(other) => {
                let message = format!(
                    "Wrong type for \"type\": expected the name of a node type ({}), found {}.",
                    NODE_TYPES.join(", "),
                    describe_value(other)
                );
                self.out.push(Diagnostic::error(
                    "wrong_type",
                    format!("{base}/type"),
                    message,
                ));
                return None;
            }
            None => {
                let message = format!(
                    "This node has no \"type\". Set it to one of: {}.",
                    NODE_TYPES.join(", ")
                );
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
        let what = format!("{kind} node");
        match kind {
            "say" => self
                .part::<SayNode>(&body, &base, None, &what)
                .map(Node::Say),
            "ask" => self
                .part::<AskNode>(&body, &base, None, &what)
                .map(Node::Ask),
            "menu" => self
                .part::<MenuNode>(&body, &base, None, &what)
                .map(Node::Menu),
            "branch" => self
                .part::<BranchNode>(&body, &base, None, &what)
                .map(Node::Branch),
            "set" => self
                .part::<SetNode>(&body, &base, None, &what)
                .map(Node::Set),
            "script" => self
                .part::<ScriptNode>(&body, &base, None, &what)
                .map(Node::Script),
            "http" => self
                .part::<HttpNode>(&body, &base, None, &what)
                .map(Node::Http),
            "handoff" => self
                .part::<HandoffNode>(&body, &base, None, &what)
                .map(Node::Handoff),
            "subflow" => self
                .part::<SubflowNode>(&body, &base, None, &what)
                .map(Node::Subflow),
            "end" => self
                .part::<EndNode>(&body, &base, None, &what)
                .map(Node::End),
            other => {
                let message = format!(
                    "\"{}\" is not a node type. Use one of: {}.",
                    shorten(other, 60),
                    NODE_TYPES.join(", ")
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
        what: &str,
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
            let message = problem.message(&label, what);
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

struct SerdeProblem {
    code: &'static str,
    /// For a missing field: its name, to be added to the pointer.
    missing: Option<String>,
    kind: ProblemKind,
}

enum ProblemKind {
    Missing,
    Unknown { allowed: Vec<String> },
    WrongType { expected: String, found: String },
    OutOfRange { expected: String, found: String },
    BadValue { value: String, allowed: Vec<String> },
    Other(String),
}

impl SerdeProblem {
    fn message(&self, label: &str, what: &str) -> String {
        match &self.kind {
            ProblemKind::Missing => format!(
                "This {what} is missing the required field \
                \"{label}\". Add it."
            ),
            ProblemKind::Unknown { allowed } if allowed.is_empty() => {
                format!("This {what} has an unknown field \"{label}\". Remove it.")
            }
            ProblemKind::Unknown { allowed } => format!(
                "This {what} has an unknown field \"{label}\". Remove it or correct its \
                    spelling; the \
                 fields allowed here are: {}.",
                allowed.join(", ")
            ),
            ProblemKind::WrongType { expected, found } => {
                format!("Wrong type for \"{label}\": expected {expected}, found {found}.")
            }
            ProblemKind::OutOfRange { expected, found } => {
                format!("\"{label}\" must be {expected}; found {found}.")
            }
            ProblemKind::BadValue { value, allowed } => {
                format!(
                    "\"{label}\" cannot be \"{value}\". Use one of: {}.",
                    allowed.join(", ")
                )
            }
            ProblemKind::Other(text) => format!("\"{label}\" is not valid: {text}."),
        }
    }
}

/// Turns serde's messages (written for programmers) into plain words.
fn explain_serde_error(message: &str) -> SerdeProblem {
    let quoted = backticked(message);
    if message.starts_with("missing field `") {
        let name = quoted.first().cloned().unwrap_or_default();
        return SerdeProblem {
            code: "missing_field",
            missing: Some(name),
            kind: ProblemKind::Missing,
        };
    }
    if message.starts_with("unknown field `") {
        let allowed = quoted.iter().skip(1).cloned().collect();
        return SerdeProblem {
            code: "unknown_field",
            missing: None,
            kind: ProblemKind::Unknown { allowed },
        };
    }
    if message.starts_with("unknown variant `") {
        let value = quoted.first().map(|v| shorten(v, 60)).unwrap_or_default();
        let allowed = quoted.iter().skip(1).cloned().collect();
        return SerdeProblem {
            code: "invalid_value",
            missing: None,
            kind: ProblemKind::BadValue { value, allowed },
        };
    }
    for (prefix, range_problem) in [("invalid type: ", false), ("invalid value: ", true)] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((found, expected)) = rest.rsplit_once(", expected ") {
                let found = describe_unexpected(found);
                if range_problem {
                    if let Some(range) = unsigned_range(expected) {
                        return SerdeProblem {
                            code: "out_of_range",
                            missing: None,
                            kind: ProblemKind::OutOfRange {
                                expected: range,
                                found,
                            },
                        };
                    }
                }
                let expected = describe_expected(expected);
                return SerdeProblem {
                    code: "wrong_type",
                    missing: None,
                    kind: ProblemKind::WrongType { expected, found },
                };
            }
        }
    }
    SerdeProblem {
        code: "invalid_value",
        missing: None,
        kind: ProblemKind::Other(message.to_owned()),
    }
}

/// The words between backticks, in order.
fn backticked(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn describe_expected(expected: &str) -> String {
    match expected {
        "a string" | "string" | "a borrowed string" | "string or map" => "text".to_owned(),
        "a boolean" => "true or false".to_owned(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number (0 or more)".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a sequence" => "a list".to_owned(),
        "a map" => "an object".to_owned(),
        other if other.starts_with("struct ") || other.contains("enum ") => "an object".to_owned(),
        other => other.to_owned(),
    }
}

fn unsigned_range(expected: &str) -> Option<String> {
    let max = match expected {
        "u8" => u64::from(u8::MAX),
        "u16" => u64::from(u16::MAX),
        "u32" => u64::from(u32::MAX),
        "u64" | "usize" => u64::MAX,
        _ => return None,
    };
    Some(format!("a whole number from 0 to {max}"))
}

/// serde's `Unexpected` display → plain words.
fn describe_unexpected(found: &str) -> String {
    if let Some(text) = found.strip_prefix("string ") {
        let inner = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        return format!("the text \"{}\"", shorten(inner, 60));
    }
    for prefix in ["integer ", "floating point "] {
        if let Some(number) = found.strip_prefix(prefix) {
            return format!("the number {}", number.trim_matches('`'));
        }
    }
    if let Some(boolean) = found.strip_prefix("boolean ") {
        return format!("the value {}", boolean.trim_matches('`'));
    }
    match found {
        "null" | "unit value" => "nothing (null)".to_owned(),
        "sequence" => "a list".to_owned(),
        "map" => "an object".to_owned(),
        other => other.to_owned(),
    }
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "nothing (null)".to_owned(),
        Value::Bool(b) => format!("the value {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text \"{}\"", shorten(s, 60)),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
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
fn fill_node_ids(diagnostics: &mut [Diagnostic], root: &Value) {
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

// ---------------------------------------------------------------------------------------------
// Document order
// ---------------------------------------------------------------------------------------------

/// Sorts by where each field appears in `root`; equal places keep the order they were found in.
fn sort_in_document_order(diagnostics: &mut Vec<Diagnostic>, root: &Value) {
    let mut positions = KeyPositions::default();
    let mut keyed: Vec<(Vec<usize>, usize, Diagnostic)> = diagnostics
        .drain(..)
        .enumerate()
        .map(|(i, d)| (positions.order_key(root, &d.field), i, d))
        .collect();
    keyed.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    diagnostics.extend(keyed.into_iter().map(|(_, _, d)| d));
}

/// Key → position maps for large objects, so that many diagnostics in a big `variables` object
/// do not each scan it.
#[derive(Default)]
struct KeyPositions<'v> {
    cache: HashMap<String, HashMap<&'v str, usize>>,
}

impl<'v> KeyPositions<'v> {
    /// The position of each segment of `field` in `root`; a segment not present (e.g. a missing
    /// field) sorts after everything present in its object.
    fn order_key(&mut self, root: &'v Value, field: &str) -> Vec<usize> {
        let mut key = Vec::new();
        let mut current = root;
        let mut prefix = String::new();
        for raw_segment in field.split('/').skip(1) {
            let segment = unescape_pointer(raw_segment);
            let found = match current {
                Value::Object(map) if map.len() > 16 => {
                    let positions = self.cache.entry(prefix.clone()).or_insert_with(|| {
                        map.keys()
                            .enumerate()
                            .map(|(i, k)| (k.as_str(), i))
                            .collect()
                    });
                    positions
                        .get(segment.as_str())
                        .and_then(|&i| Some((i, map.get(&segment)?)))
                }
                Value::Object(map) => map
                    .iter()
                    .enumerate()
                    .find(|(_, (k, _))| **k == segment)
                    .map(|(i, (_, v))| (i, v)),
                Value::Array(items) => segment
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| Some((i, items.get(i)?))),
                _ => None,
            };
            match found {
                Some((position, next)) => {
                    key.push(position);
                    current = next;
                    prefix.push('/');
                    prefix.push_str(raw_segment);
                }
                None => {
                    key.push(usize::MAX);
                    break;
                }
            }
        }
        key
    }
}

fn unescape_pointer(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

// ---------------------------------------------------------------------------------------------
// Document checks
// ---------------------------------------------------------------------------------------------

/// Which top-level parts were read from the JSON (all of them for a typed document).
#[derive(Debug, Clone, Copy)]
struct Known {
    name: bool,
    language: bool,
    start: bool,
    nodes: bool,
    /// Every node was read with all its fields, so every port is known.
    all_ports: bool,
}

impl Known {
    fn all() -> Self {
        Known {
            name: true,
            language: true,
            start: true,
            nodes: true,
            all_ports: true,
        }
    }
}

/// A document to check, possibly missing the parts that could not be read.
struct Subject<'d> {
    doc: &'d FlowDocument,
    /// Position in the JSON `nodes` list of each of `doc.nodes`.
    node_pos: Vec<usize>,
    /// Position in the JSON `global_intents` list of each of `doc.global_intents`.
    intent_pos: Vec<usize>,
    /// Nodes in the JSON that could not be read: position and id (if it is a string).
    broken: Vec<(usize, Option<String>)>,
    known: Known,
}

struct Checker<'c> {
    sandbox: &'c Sandbox,
    known_subflows: Option<&'c BTreeSet<String>>,
    out: Vec<Diagnostic>,
}

/// The resolved graph: node indices into `doc.nodes`.
struct Graph {
    /// Per node, per port (in `Node::ports` order): the target, `None` when it names no node.
    targets: Vec<Vec<Option<usize>>>,
    /// Targets of the global intents.
    global_targets: Vec<usize>,
    start: Option<usize>,
}

fn check(subject: &Subject<'_>, context: &ValidationContext<'_>) -> Vec<Diagnostic> {
    let doc = subject.doc;
    let mut c = Checker {
        sandbox: context.sandbox,
        known_subflows: context.known_subflows,
        out: Vec::new(),
    };

    if doc.schema != SCHEMA_VERSION {
        c.error(
            "unsupported_schema",
            None,
            "/schema".into(),
            format!(
                "This flow uses schema version {}, but only version {SCHEMA_VERSION} is supported.",
                doc.schema
            ),
        );
    }
    if subject.known.name {
        c.name_text(None, "/name".into(), &doc.name, "flow name");
        if doc.name.trim().is_empty() {
            c.error(
                "empty_value",
                None,
                "/name".into(),
                "The flow has no name. Give it a name.".into(),
            );
        }
    }
    if let Some(description) = &doc.description {
        c.text_size(
            None,
            "/description".into(),
            description,
            MAX_TEXT_CHARS,
            "description",
        );
    }
    if subject.known.language {
        c.language(&doc.language);
    }
    for name in doc.variables.keys() {
        c.variable(None, format!("/variables/{}", escape_pointer(name)), name);
    }

    // Ids: broken nodes take part so that their ids still count as taken and as port targets.
    let mut ids: HashMap<&str, usize> = HashMap::with_capacity(doc.nodes.len());
    let mut broken_ids: HashSet<&str> = HashSet::new();
    {
        let mut all: Vec<(usize, &str, Option<usize>)> = doc
            .nodes
            .iter()
            .enumerate()
            .map(|(k, node)| (subject.node_pos[k], node.id(), Some(k)))
            .chain(
                subject
                    .broken
                    .iter()
                    .filter_map(|(pos, id)| Some((*pos, id.as_deref()?, None))),
            )
            .collect();
        all.sort_by_key(|(pos, _, _)| *pos);
        let mut seen: HashSet<&str> = HashSet::with_capacity(all.len());
        for (pos, id, index) in all {
            let field = format!("/nodes/{pos}/id");
            c.node_id(id, &field);
            if !seen.insert(id) {
                c.error(
                    "duplicate_id",
                    Some(id),
                    field,
                    format!(
                        "Another node already has the id \"{}\". Every node needs its own \
                            id; rename \
                         this one.",
                        shorten(id, 80)
                    ),
                );
                continue;
            }
            match index {
                Some(k) => {
                    ids.insert(id, k);
                }
                None => {
                    broken_ids.insert(id);
                }
            }
        }
    }

    let node_count = doc.nodes.len() + subject.broken.len();
    if subject.known.nodes && node_count == 0 {
        c.error(
            "empty_flow",
            None,
            "/nodes".into(),
            "The flow has no nodes. Add at least one node.".into(),
        );
    }
    if node_count > MAX_NODES {
        c.error(
            "too_large",
            None,
            "/nodes".into(),
            format!(
                "The flow has {node_count} nodes; at most {MAX_NODES} are allowed. Move \
                parts into subflows."
            ),
        );
    }
    if subject.known.start && subject.known.nodes && node_count > 0 {
        if doc.start.is_empty() {
            c.error(
                "missing_start",
                None,
                "/start".into(),
                "The flow has no start node. Set \"start\" to the id of the node where \
                    calls begin."
                    .into(),
            );
        } else if !ids.contains_key(doc.start.as_str()) && !broken_ids.contains(doc.start.as_str())
        {
            c.error(
                "missing_start",
                None,
                "/start".into(),
                format!(
                    "The start node \"{}\" does not exist. Set \"start\" to the id of the \
                        node where \
                     calls begin.",
                    shorten(&doc.start, 80)
                ),
            );
        }
    }

    c.intents(
        None,
        "/global_intents",
        &doc.global_intents,
        &subject.intent_pos,
        true,
    );
    for (j, intent) in doc.global_intents.iter().enumerate() {
        let field = format!("/global_intents/{}/next", subject.intent_pos[j]);
        let label = format!("global intent \"{}\"", shorten(&intent.name, 60));
        c.port(None, field, &label, &intent.next, &ids, &broken_ids);
    }

    let global_names: HashMap<&str, usize> = doc
        .global_intents
        .iter()
        .enumerate()
        .map(|(j, i)| (i.name.as_str(), j))
        .collect();
    let global_keys: HashMap<&str, usize> = doc
        .global_intents
        .iter()
        .enumerate()
        .filter_map(|(j, i)| Some((i.dtmf.as_deref()?, j)))
        .collect();
    let globals = Globals {
        names: &global_names,
        keys: &global_keys,
        intents: &doc.global_intents,
    };

    for (k, node) in doc.nodes.iter().enumerate() {
        let base = format!("/nodes/{}", subject.node_pos[k]);
        c.node(node, &base, &globals);
        for port in node.ports() {
            let label = port_label(&port);
            c.port(
                Some(node.id()),
                format!("{base}{}", port.field),
                &label,
                port.target,
                &ids,
                &broken_ids,
            );
        }
    }

    c.settings(&doc.settings);

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
        start: ids.get(doc.start.as_str()).copied(),
    };
    // With unreadable nodes or fields, where their ports lead is unknown: everything behind
    // them would look unreachable.
    if subject.broken.is_empty() && subject.known.all_ports && subject.known.start {
        c.reachability(subject, &graph, &ids);
    }
    c.loops(subject, &graph);
    c.out
}

struct Globals<'g> {
    names: &'g HashMap<&'g str, usize>,
    keys: &'g HashMap<&'g str, usize>,
    intents: &'g [Intent],
}

/// How a port is named in messages.
fn port_label(port: &Port<'_>) -> String {
    let field = port.field.as_str();
    if let Some(rest) = field.strip_prefix("/cases/") {
        let number = rest
            .split('/')
            .next()
            .and_then(|i| i.parse::<usize>().ok())
            .unwrap_or(0)
            + 1;
        return format!("condition {number}");
    }
    let label = shorten(&port.label, 60);
    if field.starts_with("/intents/") {
        format!("intent \"{label}\"")
    } else if field.starts_with("/choices/") {
        format!("key \"{label}\"")
    } else if field.starts_with("/on_status/") {
        format!("status \"{label}\"")
    } else {
        format!("\"{label}\"")
    }
}

impl Checker<'_> {
    fn push(&mut self, diagnostic: Diagnostic) {
        self.out.push(diagnostic);
    }

    fn error(&mut self, code: &'static str, node: Option<&str>, field: String, message: String) {
        self.out
            .push(Diagnostic::error(code, field, message).on(node));
    }

    fn warning(&mut self, code: &'static str, node: Option<&str>, field: String, message: String) {
        self.out
            .push(Diagnostic::warning(code, field, message).on(node));
    }

    // --- small checks -------------------------------------------------------------------------

    fn node_id(&mut self, id: &str, field: &str) {
        let problem = if id.is_empty() {
            Some(
                "This node has no id. Give it a short id made of letters, digits, _ or -."
                    .to_owned(),
            )
        } else if id.chars().count() > MAX_ID_CHARS {
            Some(format!(
                "The id \"{}…\" is {} characters long; ids may have at most {MAX_ID_CHARS}. \
                    Shorten it.",
                shorten(id, 40),
                id.chars().count()
            ))
        } else if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            let bad: String = id
                .chars()
                .filter(|ch| !(ch.is_ascii_alphanumeric() || *ch == '_' || *ch == '-'))
                .collect();
            let mut unique = String::new();
            for ch in bad.chars() {
                if !unique.contains(ch) {
                    unique.push(ch);
                }
            }
            Some(format!(
                "The id \"{}\" contains characters that are not allowed (\"{}\"). Use only letters \
                 A–Z, digits, _ and -.",
                shorten(id, 80),
                shorten(&unique, 20)
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            let node = (!id.is_empty()).then_some(id);
            self.error("invalid_id", node, field.to_owned(), message);
        }
    }

    fn port(
        &mut self,
        node: Option<&str>,
        field: String,
        label: &str,
        target: &str,
        ids: &HashMap<&str, usize>,
        broken_ids: &HashSet<&str>,
    ) {
        if target.is_empty() {
            let message = format!(
                "The {label} connection is empty. Connect it to the node that should come next."
            );
            self.error("missing_port", node, field, message);
        } else if !ids.contains_key(target) && !broken_ids.contains(target) {
            let message = format!(
                "The {label} connection leads to node \"{}\", which does not exist. Connect \
                    it to an \
                 existing node (check the spelling of the id).",
                shorten(target, 80)
            );
            self.error("dangling_port", node, field, message);
        }
    }

    fn text_size(
        &mut self,
        node: Option<&str>,
        field: String,
        text: &str,
        max: usize,
        what: &str,
    ) -> bool {
        // Counting characters only matters when the byte length could exceed the limit.
        if text.len() <= max {
            return true;
        }
        let count = text.chars().count();
        if count <= max {
            return true;
        }
        let message = format!(
            "This {what} is {count} characters long; at most {max} are allowed. Shorten it."
        );
        self.error("too_large", node, field, message);
        false
    }

    fn name_text(&mut self, node: Option<&str>, field: String, text: &str, what: &str) {
        self.text_size(node, field, text, MAX_NAME_CHARS, what);
    }

    fn template(&mut self, node: Option<&str>, field: String, text: &str) {
        if !self.text_size(node, field.clone(), text, MAX_TEXT_CHARS, "text") {
            return;
        }
        if let Err(error) = Template::parse(text, self.sandbox) {
            let place = place(error.line, error.column);
            let message = format!(
                "This text has a mistake in a {{{{ … }}}} placeholder{place}: {}. Fix the \
                    expression \
                 between {{{{ and }}}}.",
                error.message.trim_end_matches('.')
            );
            self.push(
                Diagnostic::error("template_syntax", field, message)
                    .on(node)
                    .at(error.line, error.column),
            );
        }
    }

    fn expression(&mut self, node: Option<&str>, field: String, expression: &str) {
        if expression.trim().is_empty() {
            let message =
                "This condition is empty. Write a condition, e.g. vars.status == \"shipped\"."
                    .to_owned();
            self.error("empty_condition", node, field, message);
            return;
        }
        if !self.text_size(node, field.clone(), expression, MAX_TEXT_CHARS, "condition") {
            return;
        }
        if let Err(error) = self.sandbox.compile_expression(expression) {
            let place = place(error.line, error.column);
            let message = format!(
                "This condition has a mistake{place}: {}. Write it like vars.status == \
                    \"shipped\".",
                error.message.trim_end_matches('.')
            );
            self.push(
                Diagnostic::error("expression_syntax", field, message)
                    .on(node)
                    .at(error.line, error.column),
            );
        }
    }

    fn script(&mut self, node: Option<&str>, field: String, code: &str) {
        if !self.text_size(node, field.clone(), code, MAX_SCRIPT_CHARS, "script") {
            return;
        }
        if let Err(error) = self.sandbox.compile_script(code) {
            let place = place(error.line, error.column);
            let message = format!(
                "The script has a mistake{place}: {}. Fix the script.",
                error.message.trim_end_matches('.')
            );
            self.push(
                Diagnostic::error("script_syntax", field, message)
                    .on(node)
                    .at(error.line, error.column),
            );
        }
    }

    fn variable(&mut self, node: Option<&str>, field: String, name: &str) {
        if name.is_empty() {
            self.error(
                "invalid_variable",
                node,
                field,
                "The variable name is empty. Give the variable a name.".into(),
            );
        } else if name.chars().count() > MAX_VARIABLE_CHARS {
            let message = format!(
                "The variable name \"{}…\" is too long; at most {MAX_VARIABLE_CHARS} \
                    characters are allowed.",
                shorten(name, 40)
            );
            self.error("invalid_variable", node, field, message);
        } else if !is_identifier(name) {
            let message = format!(
                "\"{}\" is not a valid variable name. Use letters, digits and _ only, not starting \
                 with a digit (for example {}).",
                shorten(name, 60),
                suggest_identifier(name)
            );
            self.error("invalid_variable", node, field, message);
        }
    }

    fn key(&mut self, node: Option<&str>, field: String, key: &str, what: &str) {
        if !is_key(key) {
            let message = format!(
                "\"{}\" is not a keypad key. The {what} must be one of 0–9, * or #.",
                shorten(key, 20)
            );
            self.error("invalid_key", node, field, message);
        }
    }

    fn range_u32(
        &mut self,
        node: Option<&str>,
        field: String,
        value: Option<u32>,
        range: RangeInclusive<u32>,
        what: &str,
    ) {
        if let Some(value) = value {
            if !range.contains(&value) {
                let message = format!(
                    "The {what} is {value}; it must be between {} and {}.",
                    range.start(),
                    range.end()
                );
                self.error("out_of_range", node, field, message);
            }
        }
    }

    fn threshold(&mut self, node: Option<&str>, field: String, value: Option<f32>) {
        if let Some(value) = value {
            if !(0.0..=1.0).contains(&value) {
                let message = format!(
                    "The threshold is {value}; it must be between 0 and 1 (e.g. 0.5 for \
                        \"half sure\")."
                );
                self.error("out_of_range", node, field, message);
            }
        }
    }

    fn language(&mut self, language: &str) {
        let field = "/language".to_owned();
        if language.trim().is_empty() {
            let message =
                "The flow has no language. Set \"language\" to a tag such as zh-CN or en-US."
                    .to_owned();
            self.error("empty_value", None, field, message);
        } else if !looks_like_language_tag(language) {
            let hint = if language.contains('_') {
                format!(" Write {} instead.", language.replace('_', "-"))
            } else {
                String::new()
            };
            let message = format!(
                "\"{}\" does not look like a language tag such as zh-CN or en-US; speech \
                    may not work.{hint}",
                shorten(language, 40)
            );
            self.warning("invalid_language", None, field, message);
        }
    }

    fn settings(&mut self, settings: &FlowSettings) {
        self.range_u32(
            None,
            "/settings/no_input_timeout_ms".into(),
            settings.no_input_timeout_ms,
            NO_INPUT_TIMEOUT_MS,
            "silence timeout (milliseconds)",
        );
        self.threshold(
            None,
            "/settings/intent_threshold".into(),
            settings.intent_threshold,
        );
        if let Some(text) = &settings.error_message {
            self.template(None, "/settings/error_message".into(), text);
        }
    }

    // --- intents and retries ------------------------------------------------------------------

    /// Checks a list of intents; `positions` maps each to its index in the JSON list.
    fn intents(
        &mut self,
        node: Option<&str>,
        base: &str,
        intents: &[Intent],
        positions: &[usize],
        global: bool,
    ) {
        let what = if global { "global intent" } else { "intent" };
        if intents.len() > MAX_INTENTS {
            let message = format!(
                "There are {} {what}s here; at most {MAX_INTENTS} are allowed.",
                intents.len()
            );
            self.error("too_large", node, base.to_owned(), message);
        }
        let mut names: HashSet<&str> = HashSet::new();
        let mut keys: HashSet<&str> = HashSet::new();
        for (j, intent) in intents.iter().enumerate() {
            let at = format!("{base}/{}", positions.get(j).copied().unwrap_or(j));
            if intent.name.trim().is_empty() {
                let message =
                    format!("This {what} has no name. Give it a name such as track_order.");
                self.error("empty_value", node, format!("{at}/name"), message);
            } else if !names.insert(intent.name.as_str()) {
                let message = format!(
                    "Another {what} here is already called \"{}\". Merge them or rename one.",
                    shorten(&intent.name, 60)
                );
                self.error("duplicate_intent", node, format!("{at}/name"), message);
            }
            self.name_text(node, format!("{at}/name"), &intent.name, "intent name");
            self.phrases(node, &at, "examples", &intent.examples, "example");
            self.phrases(node, &at, "keywords", &intent.keywords, "keyword");
            let has_phrase = intent
                .examples
                .iter()
                .chain(&intent.keywords)
                .any(|p| !p.trim().is_empty());
            if !has_phrase && intent.dtmf.is_none() {
                let message = format!(
                    "The {what} \"{}\" cannot be recognised: it has no example phrases, \
                        keywords or \
                     key. Add a few examples of what callers say.",
                    shorten(&intent.name, 60)
                );
                self.error("intent_without_examples", node, at.clone(), message);
            }
            if let Some(key) = &intent.dtmf {
                self.key(node, format!("{at}/dtmf"), key, "key");
                if is_key(key) && !keys.insert(key.as_str()) {
                    let message = format!(
                        "Another {what} here already uses key \"{key}\". Give each its own key."
                    );
                    self.error("duplicate_key", node, format!("{at}/dtmf"), message);
                }
            }
        }
    }

    fn phrases(
        &mut self,
        node: Option<&str>,
        at: &str,
        list: &str,
        phrases: &[String],
        what: &str,
    ) {
        if phrases.len() > MAX_EXAMPLES {
            let message = format!(
                "There are {} {what}s here; at most {MAX_EXAMPLES} are allowed.",
                phrases.len()
            );
            self.error("too_large", node, format!("{at}/{list}"), message);
        }
        for (i, phrase) in phrases.iter().enumerate() {
            let field = format!("{at}/{list}/{i}");
            if phrase.trim().is_empty() {
                self.error(
                    "empty_value",
                    node,
                    field,
                    format!("This {what} is empty. Fill it in or remove it."),
                );
            } else {
                self.text_size(node, field, phrase, MAX_EXAMPLE_CHARS, what);
            }
        }
    }

    fn retry(&mut self, node: Option<&str>, base: &str, retry: &Retry) {
        for (i, prompt) in retry.prompts.iter().enumerate() {
            self.template(node, format!("{base}/prompts/{i}"), prompt);
        }
        if retry.max > MAX_RETRIES {
            let message = format!(
                "{} retries is too many; at most {MAX_RETRIES} are allowed. Callers give up \
                    long before.",
                retry.max
            );
            self.error("out_of_range", node, format!("{base}/max"), message);
        }
    }

    /// Global intents are checked before a listening node's own, so equal names or keys on the
    /// node are never reached.
    fn shadowing(
        &mut self,
        node: Option<&str>,
        field: String,
        name: Option<&str>,
        key: Option<&str>,
        globals: &Globals<'_>,
    ) {
        if let Some(name) = name.filter(|n| globals.names.contains_key(n)) {
            let message = format!(
                "A global intent is also called \"{}\" and is checked first, so this one is never \
                 used. Rename one of them, or turn off global intents on this node.",
                shorten(name, 60)
            );
            self.warning(
                "intent_name_conflict",
                node,
                format!("{field}/name"),
                message,
            );
        }
        if let Some(key) = key {
            if let Some(&j) = globals.keys.get(key) {
                let global = globals
                    .intents
                    .get(j)
                    .map(|i| i.name.as_str())
                    .unwrap_or_default();
                let message = format!(
                    "Key \"{key}\" also selects the global intent \"{}\", which is checked \
                        first, so \
                     this key never reaches this choice. Use another key.",
                    shorten(global, 60)
                );
                self.warning("shadowed_key", node, field, message);
            }
        }
    }

    // --- nodes --------------------------------------------------------------------------------

    fn node(&mut self, node: &Node, base: &str, globals: &Globals<'_>) {
        let id = Some(node.id());
        let at = |field: &str| format!("{base}{field}");
        if let Some(label) = node.label() {
            self.name_text(id, at("/label"), label, "label");
        }
        match node {
            Node::Say(n) => {
                self.template(id, at("/text"), &n.text);
                if let Some(audio) = &n.audio {
                    self.template(id, at("/audio"), audio);
                }
                if n.text.trim().is_empty()
                    && n.audio.as_deref().is_none_or(|a| a.trim().is_empty())
                {
                    let message =
                        "This say node has no text and no audio, so it says nothing. Add a text."
                            .to_owned();
                    self.warning("empty_text", id, at("/text"), message);
                }
            }
            Node::Ask(n) => self.ask(n, base, globals),
            Node::Menu(n) => self.menu(n, base, globals),
            Node::Branch(n) => {
                if n.cases.len() > MAX_CASES {
                    let message = format!(
                        "This branch has {} conditions; at most {MAX_CASES} are allowed.",
                        n.cases.len()
                    );
                    self.error("too_large", id, at("/cases"), message);
                }
                for (i, case) in n.cases.iter().enumerate() {
                    self.expression(id, at(&format!("/cases/{i}/when")), &case.when);
                }
            }
            Node::Set(n) => {
                for (i, assignment) in n.assign.iter().enumerate() {
                    self.variable(id, at(&format!("/assign/{i}/var")), &assignment.var);
                    if let Value::String(text) = &assignment.value {
                        self.template(id, at(&format!("/assign/{i}/value")), text);
                    }
                }
            }
            Node::Script(n) => self.script(id, at("/code"), &n.code),
            Node::Http(n) => self.http(n, base),
            Node::Handoff(n) => self.handoff(n, base),
            Node::Subflow(n) => self.subflow(n, base),
            Node::End(_) => {}
        }
    }

    fn ask(&mut self, n: &AskNode, base: &str, globals: &Globals<'_>) {
        let id = Some(n.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        self.template(id, at("/prompt"), &n.prompt);
        if n.input.is_empty() {
            let message =
                "This ask node accepts no input at all. Allow speech, dtmf (keys) or both."
                    .to_owned();
            self.error("no_input_modes", id, at("/input"), message);
        }
        let positions: Vec<usize> = (0..n.intents.len()).collect();
        self.intents(id, &at("/intents"), &n.intents, &positions, false);
        if n.global_intents {
            for (j, intent) in n.intents.iter().enumerate() {
                self.shadowing(
                    id,
                    at(&format!("/intents/{j}")),
                    Some(&intent.name),
                    None,
                    globals,
                );
                if let Some(key) = &intent.dtmf {
                    self.shadowing(
                        id,
                        at(&format!("/intents/{j}/dtmf")),
                        None,
                        Some(key),
                        globals,
                    );
                }
            }
        }
        if let Some(slot) = &n.slot {
            self.variable(id, at("/slot/var"), &slot.var);
            match (&slot.pattern, slot.kind) {
                (None, SlotType::OrderNumber) => {
                    let message =
                        "An order_number slot needs a \"pattern\" that order numbers match, \
                                   e.g. \\d{8,12} for 8 to 12 digits."
                            .to_owned();
                    self.error("missing_pattern", id, at("/slot/pattern"), message);
                }
                (Some(pattern), kind) => {
                    if self.text_size(id, at("/slot/pattern"), pattern, MAX_TEXT_CHARS, "pattern") {
                        // Compiled the way the runtime uses it: matching the whole answer.
                        if let Err(error) = regex::Regex::new(&format!("^(?:{pattern})$")) {
                            let detail = regex_error_summary(&error);
                            let message =
                                format!("The pattern is not a valid regular expression: {detail}.");
                            self.error("invalid_pattern", id, at("/slot/pattern"), message);
                        }
                    }
                    if !matches!(kind, SlotType::OrderNumber | SlotType::Digits) {
                        let message =
                            "The pattern is only used by digits and order_number slots; it is \
                                       ignored here."
                                .to_owned();
                        self.warning("ignored_field", id, at("/slot/pattern"), message);
                    }
                }
                (None, _) => {}
            }
            for (value, name) in [(slot.min, "min"), (slot.max, "max")] {
                let Some(value) = value else { continue };
                if slot.kind != SlotType::Number {
                    let message =
                        format!("\"{name}\" is only used by number slots; it is ignored here.");
                    self.warning("ignored_field", id, at(&format!("/slot/{name}")), message);
                } else if !value.is_finite() {
                    let message = format!("\"{name}\" must be a finite number.");
                    self.error("out_of_range", id, at(&format!("/slot/{name}")), message);
                }
            }
            if let (Some(min), Some(max)) = (slot.min, slot.max) {
                if min > max {
                    let message = format!(
                        "The smallest accepted value ({min}) is larger \
                        than the largest ({max}). Swap them."
                    );
                    self.error("invalid_range", id, at("/slot/min"), message);
                }
            }
        }
        if let Some(save_as) = &n.save_as {
            self.variable(id, at("/save_as"), save_as);
        }
        let next_used = n.slot.is_some() || n.intents.is_empty();
        match (&n.next, next_used) {
            (None, true) => {
                let when = if n.slot.is_some() {
                    "once the answer is captured"
                } else {
                    "after any answer"
                };
                let message = format!(
                    "This ask node needs a \"next\" connection: it is taken {when}. Connect \
                        it to the \
                     node that should come next."
                );
                self.error("missing_port", id, at("/next"), message);
            }
            (Some(_), false) => {
                let message = "\"next\" is only taken when the node captures a slot or has \
                    no intents; \
                               here an answer either matches an intent or goes to no_match. Remove it \
                               or add an intent."
                    .to_owned();
                self.warning("ignored_field", id, at("/next"), message);
            }
            _ => {}
        }
        if n.intents.is_empty() && n.slot.is_none() && n.save_as.is_none() {
            let message =
                "The caller's answer is not stored anywhere. Set \"save_as\" to a variable \
                           name to keep it."
                    .to_owned();
            self.warning("answer_not_saved", id, at("/save_as"), message);
        }
        self.retry(id, &at("/no_match"), &n.no_match);
        self.retry(id, &at("/no_input"), &n.no_input);
        self.range_u32(
            id,
            at("/timeout_ms"),
            n.timeout_ms,
            NO_INPUT_TIMEOUT_MS,
            "silence timeout (milliseconds)",
        );
        self.phrases(id, base, "hints", &n.hints, "hint");
        if let Some(dtmf) = &n.dtmf {
            self.range_u32(
                id,
                at("/dtmf/max_digits"),
                dtmf.max_digits,
                DTMF_MAX_DIGITS,
                "largest number of digits",
            );
            if let Some(key) = &dtmf.finish_on_key {
                self.key(id, at("/dtmf/finish_on_key"), key, "finishing key");
            }
        }
        self.threshold(id, at("/threshold"), n.threshold);
    }

    fn menu(&mut self, n: &MenuNode, base: &str, globals: &Globals<'_>) {
        let id = Some(n.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        self.template(id, at("/prompt"), &n.prompt);
        if n.choices.is_empty() {
            let message =
                "This menu has no choices. Add at least one key and where it leads.".to_owned();
            self.error("empty_menu", id, at("/choices"), message);
        }
        let mut keys: HashSet<&str> = HashSet::new();
        for (i, choice) in n.choices.iter().enumerate() {
            let field = at(&format!("/choices/{i}/key"));
            self.key(id, field.clone(), &choice.key, "key");
            if is_key(&choice.key) && !keys.insert(choice.key.as_str()) {
                let message = format!(
                    "Key \"{}\" is used by two choices. Give each choice its own key.",
                    choice.key
                );
                self.error("duplicate_key", id, field.clone(), message);
            }
            if n.global_intents {
                self.shadowing(id, field, None, Some(&choice.key), globals);
            }
            if let Some(label) = &choice.label {
                self.name_text(
                    id,
                    at(&format!("/choices/{i}/label")),
                    label,
                    "choice label",
                );
            }
        }
        self.retry(id, &at("/no_match"), &n.no_match);
        self.retry(id, &at("/no_input"), &n.no_input);
        self.range_u32(
            id,
            at("/timeout_ms"),
            n.timeout_ms,
            NO_INPUT_TIMEOUT_MS,
            "silence timeout (milliseconds)",
        );
    }

    fn http(&mut self, n: &HttpNode, base: &str) {
        let id = Some(n.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        let url = n.url.trim();
        if url.is_empty() {
            let message = "The address (URL) is empty. Enter the address of the API, e.g. \
                https://api.example.com/orders."
                .to_owned();
            self.error("invalid_url", id, at("/url"), message);
        } else {
            self.template(id, at("/url"), &n.url);
            let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
            if !(url.starts_with("{{")
                || lower.starts_with("http://")
                || lower.starts_with("https://"))
            {
                let message = format!(
                    "The address \"{}\" must start with https:// (or http://), or with a \
                        {{{{ … }}}} \
                     placeholder such as {{{{tenant.api}}}}.",
                    shorten(url, 80)
                );
                self.error("invalid_url", id, at("/url"), message);
            }
        }
        for (name, value) in &n.headers {
            let field = at(&format!("/headers/{}", escape_pointer(name)));
            if !is_header_name(name) {
                let message = format!(
                    "\"{}\" is not a valid header name. Use letters, digits and - only, \
                        e.g. Authorization.",
                    shorten(name, 60)
                );
                self.error("invalid_header", id, field.clone(), message);
            }
            self.template(id, field, value);
        }
        if let Some(body) = &n.body {
            self.template(id, at("/body"), body);
        }
        self.range_u32(
            id,
            at("/timeout_ms"),
            n.timeout_ms,
            HTTP_TIMEOUT_MS,
            "timeout (milliseconds)",
        );
        for (var, path) in &n.save {
            let field = at(&format!("/save/{}", escape_pointer(var)));
            self.variable(id, field.clone(), var);
            if !is_response_path(path) {
                let message = format!(
                    "\"{}\" is not a part of the answer. Use status, headers.<name>, body, \
                        or a path \
                     into the body such as body.order.status or body.items.0.name.",
                    shorten(path, 80)
                );
                self.error("invalid_path", id, field, message);
            }
        }
        for status in n.on_status.keys() {
            if !is_status_pattern(status) {
                let message = format!(
                    "\"{}\" is not a status code. Use a three-digit code such as 404, or a \
                        class such as 4xx.",
                    shorten(status, 20)
                );
                self.error(
                    "invalid_status",
                    id,
                    at(&format!("/on_status/{}", escape_pointer(status))),
                    message,
                );
            }
        }
    }

    fn handoff(&mut self, n: &HandoffNode, base: &str) {
        let id = Some(n.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        let targets: Vec<(&str, &String)> =
            [("queue", &n.queue), ("phone", &n.phone), ("sip", &n.sip)]
                .into_iter()
                .filter_map(|(name, value)| Some((name, value.as_ref()?)))
                .collect();
        match targets.as_slice() {
            [] => {
                let message = "Choose where to transfer the call: set one of \"queue\", \
                    \"phone\" or \"sip\"."
                    .to_owned();
                self.error("handoff_target", id, base.to_owned(), message);
            }
            [_] => {}
            [(first, _), rest @ ..] => {
                for (name, _) in rest {
                    let message = format!(
                        "Set only one transfer target: this node has both \"{first}\" and \
                            \"{name}\". Remove one."
                    );
                    self.error("handoff_target", id, at(&format!("/{name}")), message);
                }
            }
        }
        for (name, raw) in &targets {
            let field = at(&format!("/{name}"));
            let value = raw.trim();
            if value.is_empty() {
                let message = format!("The \"{name}\" to transfer to is empty. Fill it in.");
                self.error("handoff_target", id, field, message);
                continue;
            }
            self.template(id, field.clone(), raw);
            let templated = value.contains("{{");
            match *name {
                "phone" if !templated && !looks_like_phone(value) => {
                    let message = format!(
                        "\"{}\" does not look like a phone number. Write it in international form, \
                         e.g. +8613800138000, or as digits only.",
                        shorten(value, 40)
                    );
                    self.warning("invalid_phone", id, field, message);
                }
                "sip" if !value.starts_with("{{") && !is_sip_address(value) => {
                    let message = format!(
                        "\"{}\" is not a SIP address. It must start with sip:, e.g. \
                            sip:agent@example.com.",
                        shorten(value, 60)
                    );
                    self.error("invalid_sip", id, field, message);
                }
                _ => {}
            }
        }
        if let Some(message) = &n.message {
            self.template(id, at("/message"), message);
        }
        if let Some(summary) = &n.summary {
            self.template(id, at("/summary"), summary);
        }
    }

    fn subflow(&mut self, n: &SubflowNode, base: &str) {
        let id = Some(n.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        if n.flow.trim().is_empty() {
            self.error(
                "empty_value",
                id,
                at("/flow"),
                "Choose the flow to run.".into(),
            );
        } else {
            self.name_text(id, at("/flow"), &n.flow, "flow name");
            if let Some(known) = self.known_subflows {
                if !known.contains(&n.flow) {
                    let message = format!(
                        "There is no flow called \"{}\". Choose an existing flow (names are \
                            case-sensitive).",
                        shorten(&n.flow, 80)
                    );
                    self.error("unknown_subflow", id, at("/flow"), message);
                }
            }
        }
        for (var, value) in &n.inputs {
            let field = at(&format!("/inputs/{}", escape_pointer(var)));
            self.variable(id, field.clone(), var);
            self.template(id, field, value);
        }
        for (var, child) in &n.outputs {
            let field = at(&format!("/outputs/{}", escape_pointer(var)));
            self.variable(id, field.clone(), var);
            self.variable(id, field, child);
        }
    }

    // --- graph --------------------------------------------------------------------------------

    fn reachability(&mut self, subject: &Subject<'_>, graph: &Graph, ids: &HashMap<&str, usize>) {
        let Some(start) = graph.start else {
            return;
        };
        let nodes = &subject.doc.nodes;
        let mut reached = vec![false; nodes.len()];
        let mut stack = vec![start];
        reached[start] = true;
        let mut globals_added = false;
        while let Some(k) = stack.pop() {
            let listens_globally = match &nodes[k] {
                Node::Ask(n) => n.global_intents,
                Node::Menu(n) => n.global_intents,
                _ => false,
            };
            let global = if listens_globally && !globals_added {
                globals_added = true;
                graph.global_targets.as_slice()
            } else {
                &[]
            };
            for &target in graph.targets[k].iter().flatten().chain(global) {
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
            let message = format!(
                "No path from the start node leads to node \"{}\", so it is never used. \
                    Connect it or \
                 delete it.",
                shorten(node.id(), 80)
            );
            self.warning(
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
    fn loops(&mut self, subject: &Subject<'_>, graph: &Graph) {
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
                let message = format!(
                    "These nodes form a loop that never waits for the caller: {names}. The \
                        call only \
                     leaves it when a condition leads out; if none ever does, the call is stopped by \
                     the step limit. Make sure the loop ends, or put an ask node in it."
                );
                self.warning("loop_without_input", id, field, message);
            } else {
                let message = format!(
                    "These nodes form a loop with no way out that never waits for the caller: \
                     {names}. The call would go round forever. Connect one of them to a node outside \
                     the loop, or put an ask node in it."
                );
                self.error("endless_loop", id, field, message);
            }
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

// ---------------------------------------------------------------------------------------------
// Small predicates
// ---------------------------------------------------------------------------------------------

fn place(line: u32, column: u32) -> String {
    match (line, column) {
        (0, _) => String::new(),
        (line, 0) => format!(" (line {line})"),
        (line, column) => format!(" (line {line}, column {column})"),
    }
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn list_ids<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    const SHOWN: usize = 20;
    let ids: Vec<&str> = ids.collect();
    let mut text = ids
        .iter()
        .take(SHOWN)
        .map(|id| format!("\"{}\"", shorten(id, 40)))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn suggest_identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(MAX_VARIABLE_CHARS)
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        out.insert(0, '_');
    }
    out
}

fn is_key(key: &str) -> bool {
    matches!(key.as_bytes(), [b'0'..=b'9' | b'*' | b'#'])
}

/// Roughly BCP 47: a 2–3 letter (or 5–8 letter) language, then subtags of 1–8 letters or digits.
fn looks_like_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language_ok = parts.next().is_some_and(|p| {
        matches!(p.len(), 2 | 3 | 5..=8) && p.bytes().all(|b| b.is_ascii_alphabetic())
    });
    language_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn looks_like_phone(phone: &str) -> bool {
    let digits = phone.strip_prefix('+').unwrap_or(phone);
    (3..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_sip_address(address: &str) -> bool {
    let lower = address.get(..5).unwrap_or(address).to_ascii_lowercase();
    (lower.starts_with("sip:") && address.len() > 4)
        || (lower.starts_with("sips:") && address.len() > 5)
}

/// RFC 9110 token characters.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The paths the runtime can read from a response: `status`, `headers.<name>`, `body[.a.b…]`.
fn is_response_path(path: &str) -> bool {
    let mut segments = path.split('.');
    match segments.next() {
        Some("status") => segments.next().is_none(),
        Some("headers") => {
            matches!((segments.next(), segments.next()), (Some(name), None) if !name.is_empty())
        }
        Some("body") => segments.all(|s| !s.is_empty()),
        _ => false,
    }
}

/// `404`, or a class like `4xx` (the runtime accepts `4XX` too).
fn is_status_pattern(status: &str) -> bool {
    match status.as_bytes() {
        [b'1'..=b'5', rest @ ..] if rest.len() == 2 => {
            rest.iter().all(u8::is_ascii_digit) || rest.eq_ignore_ascii_case(b"xx")
        }
        _ => false,
    }
}

/// regex errors span several lines with a caret diagram; the last line says what is wrong.
fn regex_error_summary(error: &regex::Error) -> String {
    let text = error.to_string();
    let summary = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("error:"))
        .map(|l| {
            l.trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| text.lines().last().unwrap_or_default().trim().to_owned());
    summary.trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;

    fn sandbox() -> Arc<Sandbox> {
        Sandbox::shared()
    }

    fn validate(value: &Value) -> Validated {
        let sandbox = sandbox();
        validate_value(
            value,
            &ValidationContext {
                sandbox: &sandbox,
                known_subflows: None,
            },
        )
    }

    fn validate_text(text: &str) -> Validated {
        let sandbox = sandbox();
        validate_json(
            text,
            &ValidationContext {
                sandbox: &sandbox,
                known_subflows: None,
            },
        )
    }

    /// A minimal valid flow around `nodes`, starting at the first one.
    fn flow(nodes: Value) -> Value {
        let start = nodes[0]["id"].as_str().unwrap_or("start").to_owned();
        json!({ "schema": 1, "name": "test", "language": "zh-CN", "start": start, "nodes": nodes })
    }

    fn end(id: &str) -> Value {
        json!({ "type": "end", "id": id, "outcome": "resolved" })
    }

    fn say(id: &str, next: &str) -> Value {
        json!({ "type": "say", "id": id, "text": "您好", "next": next })
    }

    fn ask(id: &str) -> Value {
        json!({
            "type": "ask", "id": id, "prompt": "请问有什么可以帮您？", "save_as": "answer", "next": "done",
            "no_match": { "next": "done" }, "no_input": { "next": "done" }
        })
    }

    /// Nodes with `extra` merged into the node at index 0, followed by an `end` called `done`.
    fn with(mut node: Value, extra: Value) -> Value {
        if let (Some(node), Some(extra)) = (node.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                if v.is_null() {
                    node.remove(k);
                } else {
                    node.insert(k.clone(), v.clone());
                }
            }
        }
        node
    }

    fn one(node: Value) -> Validated {
        validate(&flow(json!([node, end("done")])))
    }

    fn summary(diagnostics: &[Diagnostic]) -> String {
        diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{:?} {} {:?} {} — {}",
                    d.severity, d.code, d.node, d.field, d.message
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[track_caller]
    fn find<'a>(validated: &'a Validated, code: &str, field: &str) -> &'a Diagnostic {
        validated
            .diagnostics
            .iter()
            .find(|d| d.code == code && d.field == field)
            .unwrap_or_else(|| {
                panic!(
                    "no {code} at {field}; got:\n{}",
                    summary(&validated.diagnostics)
                )
            })
    }

    #[track_caller]
    fn only(validated: &Validated, code: &str, field: &str) -> Diagnostic {
        assert_eq!(
            validated.diagnostics.len(),
            1,
            "expected only {code} at {field}:\n{}",
            summary(&validated.diagnostics)
        );
        find(validated, code, field).clone()
    }

    #[track_caller]
    fn clean(validated: &Validated) {
        assert!(
            validated.diagnostics.is_empty(),
            "expected no problems:\n{}",
            summary(&validated.diagnostics)
        );
    }

    fn realistic_flow() -> Value {
        json!({
            "schema": 1,
            "name": "订单查询",
            "description": "Order status and returns",
            "language": "zh-CN",
            "start": "welcome",
            "variables": { "attempts": 0, "order_id": null },
            "nodes": [
                { "type": "say", "id": "welcome", "label": "欢迎", "position": { "x": 0, "y": 0 },
                  "text": "您好，欢迎致电{{ tenant.name }}。", "next": "main" },
                { "type": "ask", "id": "main", "prompt": "请问您需要什么帮助？",
                  "intents": [
                      { "name": "track_order", "examples": ["查订单", "我的快递到哪了"], "keywords": ["物流"], "dtmf": "1", "next": "order_number" },
                      { "name": "returns", "examples": ["我要退货"], "dtmf": "2", "next": "returns_menu" }
                  ],
                  "no_match": { "prompts": ["抱歉，我没听清。"], "max": 2, "next": "agent" },
                  "no_input": { "prompts": ["您还在吗？"], "next": "agent" },
                  "timeout_ms": 6000, "hints": ["退货", "订单"], "threshold": 0.6 },
                { "type": "ask", "id": "order_number", "prompt": "请说出或输入您的订单号，以井号结束。",
                  "input": ["speech", "dtmf"],
                  "slot": { "var": "order_id", "type": "order_number", "pattern": "\\d{8,12}" },
                  "dtmf": { "max_digits": 12, "finish_on_key": "#" },
                  "next": "lookup",
                  "no_match": { "prompts": ["订单号是8到12位数字，请再说一次。"], "next": "agent" },
                  "no_input": { "next": "agent" } },
                { "type": "http", "id": "lookup", "method": "GET",
                  "url": "{{ tenant.api }}/orders/{{ vars.order_id }}",
                  "headers": { "Authorization": "Bearer {{ tenant.token }}" },
                  "timeout_ms": 3000,
                  "save": { "order_status": "body.status", "eta": "body.delivery.eta", "http_status": "status" },
                  "on_status": { "404": "not_found", "5xx": "agent" },
                  "next": "route", "error": "agent" },
                { "type": "branch", "id": "route",
                  "cases": [
                      { "when": "vars.order_status == \"shipped\"", "next": "shipped" },
                      { "when": "vars.order_status == \"pending\" && vars.attempts < 3", "next": "count" }
                  ],
                  "else": "agent" },
                { "type": "set", "id": "count", "assign": [
                      { "var": "attempts", "value": "{{ vars.attempts + 1 }}" },
                      { "var": "note", "value": { "pending": true } }
                  ], "next": "pending" },
                { "type": "script", "id": "pending", "code": "let days = 3;\nvars.message = `预计${days}天内发货`;",
                  "next": "pending_say", "error": "agent" },
                { "type": "say", "id": "pending_say", "text": "{{ vars.message }}", "next": "bye" },
                { "type": "say", "id": "shipped", "text": "您的订单已发货，预计{{ vars.eta }}送达。", "barge_in": false, "next": "bye" },
                { "type": "say", "id": "not_found", "text": "没有找到这个订单。", "next": "order_number" },
                { "type": "menu", "id": "returns_menu", "prompt": "退货请按1，换货请按2，返回请按0。",
                  "choices": [
                      { "key": "1", "label": "退货", "next": "returns_flow" },
                      { "key": "2", "label": "换货", "next": "returns_flow" },
                      { "key": "0", "next": "main" }
                  ],
                  "no_match": { "next": "agent" }, "no_input": { "next": "agent" } },
                { "type": "subflow", "id": "returns_flow", "flow": "returns",
                  "inputs": { "order_id": "{{ vars.order_id }}" }, "outputs": { "return_id": "return_id" },
                  "next": "bye", "error": "agent" },
                { "type": "handoff", "id": "agent", "queue": "support", "message": "正在为您转接人工客服。",
                  "summary": "订单 {{ vars.order_id }}", "no_answer": "sorry", "busy": "sorry", "error": "sorry" },
                { "type": "say", "id": "sorry", "text": "抱歉，现在没有人工客服。", "next": "bye" },
                { "type": "end", "id": "bye", "outcome": "resolved" }
            ],
            "global_intents": [
                { "name": "agent", "examples": ["转人工", "人工客服"], "dtmf": "9", "next": "agent" }
            ],
            "settings": { "voice": "xiaoyun", "no_input_timeout_ms": 5000, "intent_threshold": 0.5,
                          "error_message": "系统繁忙，请稍后再拨。" }
        })
    }

    // --- whole flows --------------------------------------------------------------------------

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
        let context = ValidationContext {
            sandbox: &sandbox,
            known_subflows: Some(&known),
        };
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
            "type": "ask", "id": "n0", "prompt": "{{ vars.name }}?", "intents": [{ "name": "go", "examples": ["go"], "next": "n1" }],
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
        assert!(validate_document(
            &document,
            &ValidationContext {
                sandbox: &sandbox,
                known_subflows: None
            }
        )
        .is_empty());
        assert!(started.elapsed() < limit, "took {:?}", started.elapsed());
    }

    // --- JSON text ----------------------------------------------------------------------------

    #[test]
    fn json_syntax_error_has_line_and_column() {
        let validated = validate_text("{\n  \"schema\": 1,\n  \"name\" \"x\"\n}");
        let d = only(&validated, "json_syntax", "");
        assert_eq!((d.line, d.column), (Some(3), Some(10)));
        assert!(d.message.contains("line 3, column 10"), "{}", d.message);
        assert!(!d.message.contains(" at line "), "{}", d.message);
        assert!(validated.document.is_none());
    }

    #[test]
    fn json_syntax_column_counts_characters() {
        // "订单" is six bytes but two characters.
        let validated = validate_text("{\"name\": \"订单\" x}");
        let d = only(&validated, "json_syntax", "");
        assert_eq!((d.line, d.column), (Some(1), Some(15)));
    }

    #[test]
    fn json_syntax_messages_are_explained() {
        let d = only(&validate_text("{\"a\": [1, 2,]}"), "json_syntax", "");
        assert!(d.message.contains("comma"), "{}", d.message);
        let d = only(&validate_text("{\"a\": "), "json_syntax", "");
        assert!(d.message.contains("ends too early"), "{}", d.message);
        let d = only(&validate_text("\u{feff}{}"), "json_syntax", "");
        assert!(d.message.contains("byte-order mark"), "{}", d.message);
    }

    #[test]
    fn oversized_text_is_not_parsed() {
        let text = format!("{{\"name\": \"{}\"", "x".repeat(MAX_JSON_BYTES));
        let d = only(&validate_text(&text), "too_large", "");
        assert!(d.message.contains("10 MiB"), "{}", d.message);
    }

    #[test]
    fn repeated_keys_are_reported() {
        let text = r#"{"schema": 1, "name": "x", "language": "en", "start": "a",
            "nodes": [{"type": "say", "id": "a", "text": "hi", "next": "a", "next": "b"},
                      {"type": "end", "id": "b", "outcome": "resolved"}]}"#;
        let validated = validate_text(text);
        let d = only(&validated, "duplicate_field", "/nodes/0/next");
        assert_eq!(d.node.as_deref(), Some("a"));
        assert!(validated.document.is_none());
    }

    // --- shape --------------------------------------------------------------------------------

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
        let diagnostics = validate_document(
            &document,
            &ValidationContext {
                sandbox: &sandbox,
                known_subflows: None,
            },
        );
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
    fn serde_messages_are_translated() {
        let d = only(
            &one(with(ask("q"), json!({ "timeout_ms": -1 }))),
            "out_of_range",
            "/nodes/0/timeout_ms",
        );
        assert!(
            d.message
                .contains("from 0 to 4294967295; found the number -1"),
            "{}",
            d.message
        );
        let d = only(
            &one(with(say("s", "done"), json!({ "barge_in": "yes" }))),
            "wrong_type",
            "/nodes/0/barge_in",
        );
        assert!(
            d.message
                .contains("expected true or false, found the text \"yes\""),
            "{}",
            d.message
        );
        let d = only(
            &one(with(say("s", "done"), json!({ "audio": [1] }))),
            "wrong_type",
            "/nodes/0/audio",
        );
        assert!(
            d.message.contains("expected text, found a list"),
            "{}",
            d.message
        );
        let d = only(
            &one(with(ask("q"), json!({ "no_match": "done" }))),
            "wrong_type",
            "/nodes/0/no_match",
        );
        assert!(
            d.message
                .contains("expected an object, found the text \"done\""),
            "{}",
            d.message
        );
        let d = only(
            &one(with(ask("q"), json!({ "input": ["voice"] }))),
            "invalid_value",
            "/nodes/0/input/0",
        );
        assert_eq!(
            d.message,
            "\"input[0]\" cannot be \"voice\". Use one of: speech, dtmf."
        );
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

    // --- ids, start, ports --------------------------------------------------------------------

    #[test]
    fn ids() {
        let validated = validate(&flow(json!([
            say("a", "done"),
            say("a", "done"),
            end("done")
        ])));
        let d = only(&validated, "duplicate_id", "/nodes/1/id");
        assert_eq!(d.node.as_deref(), Some("a"));
        let validated = validate(&flow(json!([
            say("a", "done"),
            say("", "done"),
            say("b c/d", "done"),
            end("done")
        ])));
        let empty = find(&validated, "invalid_id", "/nodes/1/id");
        assert_eq!(empty.node, None);
        let bad = find(&validated, "invalid_id", "/nodes/2/id");
        assert!(bad.message.contains("\" /\""), "{}", bad.message);
        let long = "x".repeat(MAX_ID_CHARS + 1);
        let validated = validate(&flow(json!([say(&long, "done"), end("done")])));
        let d = only(&validated, "invalid_id", "/nodes/0/id");
        assert!(d.message.contains("at most 64"), "{}", d.message);
        let longest = "x".repeat(MAX_ID_CHARS);
        clean(&validate(&flow(json!([
            say(&longest, "A_b-9"),
            say("A_b-9", "done"),
            end("done")
        ]))));
    }

    #[test]
    fn start_and_empty_flow() {
        let mut value = flow(json!([end("done")]));
        value["start"] = json!("begin");
        let d = only(&validate(&value), "missing_start", "/start");
        assert!(d.message.contains("\"begin\""), "{}", d.message);
        value["start"] = json!("");
        only(&validate(&value), "missing_start", "/start");
        value["nodes"] = json!([]);
        only(&validate(&value), "empty_flow", "/nodes");
    }

    #[test]
    fn dangling_and_missing_ports() {
        let validated = one(with(
            ask("q"),
            json!({ "no_input": { "next": "nowhere" }, "no_match": { "next": "" } }),
        ));
        let d = find(&validated, "dangling_port", "/nodes/0/no_input/next");
        assert_eq!(d.node.as_deref(), Some("q"));
        assert!(
            d.message.contains("\"no_input\"") && d.message.contains("\"nowhere\""),
            "{}",
            d.message
        );
        let d = find(&validated, "missing_port", "/nodes/0/no_match/next");
        assert!(d.message.contains("\"no_match\""), "{}", d.message);
        assert_eq!(
            validated.diagnostics.len(),
            2,
            "{}",
            summary(&validated.diagnostics)
        );
        let validated = one(
            json!({ "type": "branch", "id": "b", "cases": [{ "when": "vars.a == 1", "next": "x" }], "else": "done" }),
        );
        let d = only(&validated, "dangling_port", "/nodes/0/cases/0/next");
        assert!(d.message.contains("condition 1"), "{}", d.message);
        let validated = one(
            json!({ "type": "http", "id": "h", "url": "https://x", "on_status": { "4/4": "x" }, "next": "done", "error": "done" }),
        );
        find(&validated, "dangling_port", "/nodes/0/on_status/4~14");
        find(&validated, "invalid_status", "/nodes/0/on_status/4~14");
    }

    #[test]
    fn ask_ports_and_answers() {
        // A slot needs `next`.
        let node = with(
            ask("q"),
            json!({ "next": null, "save_as": null, "slot": { "var": "n", "type": "number" } }),
        );
        let d = only(&one(node), "missing_port", "/nodes/0/next");
        assert!(d.message.contains("captured"), "{}", d.message);
        // So does an ask that takes any answer.
        let node = with(ask("q"), json!({ "next": null }));
        only(&one(node), "missing_port", "/nodes/0/next");
        // Any answer, not stored.
        let node = with(ask("q"), json!({ "save_as": null }));
        let d = only(&one(node), "answer_not_saved", "/nodes/0/save_as");
        assert_eq!(d.severity, Severity::Warning);
        // With intents, `next` is never taken.
        let node = with(
            ask("q"),
            json!({ "intents": [{ "name": "yes", "examples": ["是"], "next": "done" }] }),
        );
        let d = only(&one(node), "ignored_field", "/nodes/0/next");
        assert_eq!(d.severity, Severity::Warning);
        let node = with(ask("q"), json!({ "input": [] }));
        only(&one(node), "no_input_modes", "/nodes/0/input");
    }

    // --- intents, menus -----------------------------------------------------------------------

    #[test]
    fn intents_within_a_node() {
        let node = with(
            ask("q"),
            json!({ "next": null, "intents": [
            { "name": "a", "examples": ["x"], "dtmf": "1", "next": "done" },
            { "name": "a", "keywords": ["y"], "dtmf": "1", "next": "done" },
            { "name": "b", "examples": [" "], "dtmf": "12", "next": "done" },
            { "name": "c", "next": "done" },
            { "name": "", "examples": ["z"], "next": "done" }
        ] }),
        );
        let validated = one(node);
        let d = find(&validated, "duplicate_intent", "/nodes/0/intents/1/name");
        assert_eq!(d.node.as_deref(), Some("q"));
        find(&validated, "duplicate_key", "/nodes/0/intents/1/dtmf");
        find(&validated, "empty_value", "/nodes/0/intents/2/examples/0");
        find(&validated, "invalid_key", "/nodes/0/intents/2/dtmf");
        let d = find(&validated, "intent_without_examples", "/nodes/0/intents/3");
        assert!(d.message.contains("\"c\""), "{}", d.message);
        find(&validated, "empty_value", "/nodes/0/intents/4/name");
        assert_eq!(
            validated.diagnostics.len(),
            6,
            "{}",
            summary(&validated.diagnostics)
        );
    }

    #[test]
    fn global_intents() {
        let mut value = flow(json!([
            with(ask("q"), json!({ "next": null, "intents": [
                { "name": "agent", "examples": ["人工"], "next": "done" },
                { "name": "menu", "examples": ["菜单"], "dtmf": "0", "next": "done" }
            ] })),
            { "type": "menu", "id": "m", "prompt": "按1", "choices": [{ "key": "0", "next": "done" }],
              "no_match": { "next": "done" }, "no_input": { "next": "done" } },
            { "type": "menu", "id": "quiet", "prompt": "按1", "global_intents": false,
              "choices": [{ "key": "0", "next": "done" }], "no_match": { "next": "done" }, "no_input": { "next": "done" } },
            end("done")
        ]));
        value["global_intents"] = json!([
            { "name": "agent", "examples": ["转人工"], "dtmf": "0", "next": "m" },
            { "name": "agent", "examples": ["人工"], "next": "quiet" },
            { "name": "bye", "dtmf": "#", "next": "ghost" },
            { "name": "nothing", "next": "done" }
        ]);
        let validated = validate(&value);
        let d = find(
            &validated,
            "intent_name_conflict",
            "/nodes/0/intents/0/name",
        );
        assert_eq!(
            (d.severity, d.node.as_deref()),
            (Severity::Warning, Some("q"))
        );
        find(&validated, "shadowed_key", "/nodes/0/intents/1/dtmf");
        find(&validated, "shadowed_key", "/nodes/1/choices/0/key");
        let d = find(&validated, "duplicate_intent", "/global_intents/1/name");
        assert_eq!(d.node, None);
        find(&validated, "dangling_port", "/global_intents/2/next");
        find(&validated, "intent_without_examples", "/global_intents/3");
        // Reached through the global intents from the listening nodes.
        assert!(
            validated
                .diagnostics
                .iter()
                .all(|d| d.code != "unreachable"),
            "{}",
            summary(&validated.diagnostics)
        );
        assert_eq!(
            validated.diagnostics.len(),
            6,
            "{}",
            summary(&validated.diagnostics)
        );
    }

    #[test]
    fn menus() {
        let menu = |choices: Value| {
            json!({ "type": "menu", "id": "m", "prompt": "请按键", "choices": choices,
                    "no_match": { "next": "done" }, "no_input": { "next": "done" } })
        };
        only(&one(menu(json!([]))), "empty_menu", "/nodes/0/choices");
        let validated = one(menu(json!([
            { "key": "1", "next": "done" }, { "key": "1", "next": "done" },
            { "key": "10", "next": "done" }, { "key": "*", "next": "done" }, { "key": "#", "next": "done" }
        ])));
        let d = find(&validated, "duplicate_key", "/nodes/0/choices/1/key");
        assert_eq!(d.node.as_deref(), Some("m"));
        find(&validated, "invalid_key", "/nodes/0/choices/2/key");
        assert_eq!(
            validated.diagnostics.len(),
            2,
            "{}",
            summary(&validated.diagnostics)
        );
    }

    // --- node types ---------------------------------------------------------------------------

    #[test]
    fn a_handoff_target_of_the_wrong_type_is_not_reported_as_absent() {
        let validated = one(json!({ "type": "handoff", "id": "h", "queue": 5, "error": "done" }));
        only(&validated, "wrong_type", "/nodes/0/queue");
    }

    #[test]
    fn handoff_targets() {
        let handoff = |extra: Value| {
            with(
                json!({ "type": "handoff", "id": "h", "error": "done" }),
                extra,
            )
        };
        clean(&one(handoff(json!({ "queue": "support" }))));
        clean(&one(handoff(json!({ "phone": "+8613800138000" }))));
        clean(&one(handoff(json!({ "phone": "{{ vars.phone }}" }))));
        clean(&one(handoff(json!({ "sip": "sip:agent@example.com" }))));
        let d = only(&one(handoff(json!({}))), "handoff_target", "/nodes/0");
        assert_eq!(d.node.as_deref(), Some("h"));
        only(
            &one(handoff(json!({ "queue": "a", "phone": "10086" }))),
            "handoff_target",
            "/nodes/0/phone",
        );
        only(
            &one(handoff(json!({ "queue": " " }))),
            "handoff_target",
            "/nodes/0/queue",
        );
        let d = only(
            &one(handoff(json!({ "phone": "call me" }))),
            "invalid_phone",
            "/nodes/0/phone",
        );
        assert_eq!(d.severity, Severity::Warning);
        let d = only(
            &one(handoff(json!({ "sip": "agent@example.com" }))),
            "invalid_sip",
            "/nodes/0/sip",
        );
        assert_eq!(d.severity, Severity::Error);
    }

    #[test]
    fn http_nodes() {
        let http = |extra: Value| {
            with(
                json!({ "type": "http", "id": "h", "url": "https://api.example.com", "next": "done", "error": "done" }),
                extra,
            )
        };
        clean(&one(http(json!({ "url": "{{ tenant.api }}/x" }))));
        clean(&one(http(
            json!({ "url": "HTTP://example.com", "on_status": { "4XX": "done", "201": "done" } }),
        )));
        only(
            &one(http(json!({ "url": "" }))),
            "invalid_url",
            "/nodes/0/url",
        );
        let d = only(
            &one(http(json!({ "url": "api.example.com/{{ vars.id }}" }))),
            "invalid_url",
            "/nodes/0/url",
        );
        assert!(d.message.contains("https://"), "{}", d.message);
        only(
            &one(http(json!({ "timeout_ms": 0 }))),
            "out_of_range",
            "/nodes/0/timeout_ms",
        );
        let d = only(
            &one(http(json!({ "timeout_ms": 10_001 }))),
            "out_of_range",
            "/nodes/0/timeout_ms",
        );
        assert!(d.message.contains("between 1 and 10000"), "{}", d.message);
        only(
            &one(http(json!({ "on_status": { "40": "done" } }))),
            "invalid_status",
            "/nodes/0/on_status/40",
        );
        only(
            &one(http(json!({ "on_status": { "6xx": "done" } }))),
            "invalid_status",
            "/nodes/0/on_status/6xx",
        );
        let validated = one(http(json!({ "save": {
            "ok": "body.a.0.b", "s": "status", "h": "headers.content-type",
            "bad1": "response.x", "bad2": "status.code", "bad3": "body..x", "bad4": "headers",
            "2x": "body"
        } })));
        for field in ["bad1", "bad2", "bad3", "bad4"] {
            find(
                &validated,
                "invalid_path",
                &format!("/nodes/0/save/{field}"),
            );
        }
        find(&validated, "invalid_variable", "/nodes/0/save/2x");
        assert_eq!(
            validated.diagnostics.len(),
            5,
            "{}",
            summary(&validated.diagnostics)
        );
        only(
            &one(http(json!({ "headers": { "X Token": "a" } }))),
            "invalid_header",
            "/nodes/0/headers/X Token",
        );
        let d = only(
            &one(http(json!({ "body": "{\"id\": {{ vars.id }" }))),
            "template_syntax",
            "/nodes/0/body",
        );
        assert_eq!((d.line, d.column), (Some(1), Some(8)));
    }

    #[test]
    fn slots() {
        let slot = |slot: Value| with(ask("q"), json!({ "slot": slot }));
        clean(&one(slot(
            json!({ "var": "n", "type": "number", "min": 1, "max": 9 }),
        )));
        clean(&one(slot(
            json!({ "var": "n", "type": "digits", "pattern": "\\d{4}" }),
        )));
        let d = only(
            &one(slot(json!({ "var": "n", "type": "order_number" }))),
            "missing_pattern",
            "/nodes/0/slot/pattern",
        );
        assert_eq!(d.node.as_deref(), Some("q"));
        let d = only(
            &one(slot(
                json!({ "var": "n", "type": "order_number", "pattern": "\\d{8,12" }),
            )),
            "invalid_pattern",
            "/nodes/0/slot/pattern",
        );
        assert!(
            d.message
                .starts_with("The pattern is not a valid regular expression: "),
            "{}",
            d.message
        );
        assert!(!d.message.contains('\n'), "{}", d.message);
        only(
            &one(slot(
                json!({ "var": "n", "type": "number", "min": 9, "max": 1 }),
            )),
            "invalid_range",
            "/nodes/0/slot/min",
        );
        only(
            &one(slot(json!({ "var": "order-id", "type": "digits" }))),
            "invalid_variable",
            "/nodes/0/slot/var",
        );
        let validated = one(slot(
            json!({ "var": "ok", "type": "yes_no", "pattern": "x", "min": 1 }),
        ));
        find(&validated, "ignored_field", "/nodes/0/slot/pattern");
        find(&validated, "ignored_field", "/nodes/0/slot/min");
    }

    #[test]
    fn variable_names() {
        let d = only(
            &one(with(ask("q"), json!({ "save_as": "1st answer" }))),
            "invalid_variable",
            "/nodes/0/save_as",
        );
        assert!(d.message.contains("_1st_answer"), "{}", d.message);
        let set = json!({ "type": "set", "id": "s", "assign": [{ "var": "ok_1", "value": 1 }, { "var": "", "value": 2 }, { "var": "a.b", "value": "x" }], "next": "done" });
        let validated = one(set);
        find(&validated, "invalid_variable", "/nodes/0/assign/1/var");
        find(&validated, "invalid_variable", "/nodes/0/assign/2/var");
        assert_eq!(validated.diagnostics.len(), 2);
        let subflow = json!({ "type": "subflow", "id": "f", "flow": "child", "inputs": { "in-put": "x" }, "outputs": { "ok": "bad name" }, "next": "done" });
        let validated = one(subflow);
        find(&validated, "invalid_variable", "/nodes/0/inputs/in-put");
        find(&validated, "invalid_variable", "/nodes/0/outputs/ok");
        assert_eq!(validated.diagnostics.len(), 2);
        let mut value = flow(json!([end("done")]));
        value["variables"] = json!({ "good": 1, "not good": 2 });
        only(&validate(&value), "invalid_variable", "/variables/not good");
    }

    #[test]
    fn ranges() {
        let node = with(
            ask("q"),
            json!({
                "timeout_ms": 999, "threshold": 1.5, "no_match": { "max": 11, "next": "done" },
                "dtmf": { "max_digits": 0, "finish_on_key": "##" }
            }),
        );
        let validated = one(node);
        find(&validated, "out_of_range", "/nodes/0/timeout_ms");
        find(&validated, "out_of_range", "/nodes/0/threshold");
        find(&validated, "out_of_range", "/nodes/0/no_match/max");
        find(&validated, "out_of_range", "/nodes/0/dtmf/max_digits");
        find(&validated, "invalid_key", "/nodes/0/dtmf/finish_on_key");
        assert_eq!(
            validated.diagnostics.len(),
            5,
            "{}",
            summary(&validated.diagnostics)
        );
        clean(&one(with(
            ask("q"),
            json!({ "timeout_ms": 60_000, "threshold": 0, "no_match": { "max": 10, "next": "done" } }),
        )));
        let mut value = flow(json!([end("done")]));
        value["settings"] = json!({ "no_input_timeout_ms": 70_000, "intent_threshold": -0.1 });
        let validated = validate(&value);
        find(&validated, "out_of_range", "/settings/no_input_timeout_ms");
        find(&validated, "out_of_range", "/settings/intent_threshold");
    }

    #[test]
    fn language_and_names() {
        let mut value = flow(json!([end("done")]));
        for good in ["zh-CN", "en", "yue-Hant-HK", "cmn-Hans-CN"] {
            value["language"] = json!(good);
            clean(&validate(&value));
        }
        value["language"] = json!("zh_CN");
        let d = only(&validate(&value), "invalid_language", "/language");
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.message.contains("zh-CN"), "{}", d.message);
        value["language"] = json!("");
        only(&validate(&value), "empty_value", "/language");
        value["language"] = json!("en");
        value["name"] = json!("n".repeat(MAX_NAME_CHARS + 1));
        only(&validate(&value), "too_large", "/name");
        only(
            &one(with(say("s", "done"), json!({ "text": "" }))),
            "empty_text",
            "/nodes/0/text",
        );
        clean(&one(with(
            say("s", "done"),
            json!({ "text": "", "audio": "https://x/a.wav" }),
        )));
    }

    // --- syntax -------------------------------------------------------------------------------

    #[test]
    fn template_errors_carry_their_place() {
        let validated = one(with(
            say("s", "done"),
            json!({ "text": "您好，\n请稍等 {{ vars.name + }}" }),
        ));
        let d = only(&validated, "template_syntax", "/nodes/0/text");
        assert_eq!(d.node.as_deref(), Some("s"));
        assert_eq!((d.line, d.column), (Some(2), Some(20)));
        assert!(d.message.contains("line 2, column 20"), "{}", d.message);
        let d = only(
            &one(with(ask("q"), json!({ "prompt": "hi {{ vars.x" }))),
            "template_syntax",
            "/nodes/0/prompt",
        );
        assert_eq!((d.line, d.column), (Some(1), Some(4)));
        assert!(d.message.contains("not closed"), "{}", d.message);
    }

    #[test]
    fn every_template_field_is_parsed() {
        let bad = "{{ }}";
        let value = json!({
            "schema": 1, "name": "t", "language": "en", "start": "s",
            "nodes": [
                { "type": "say", "id": "s", "text": bad, "audio": bad, "next": "q" },
                { "type": "ask", "id": "q", "prompt": bad, "save_as": "a", "next": "m",
                  "no_match": { "prompts": [bad], "next": "m" }, "no_input": { "prompts": ["ok", bad], "next": "m" } },
                { "type": "menu", "id": "m", "prompt": bad, "choices": [{ "key": "1", "next": "h" }],
                  "no_match": { "prompts": [bad], "next": "h" }, "no_input": { "next": "h" } },
                { "type": "http", "id": "h", "url": bad, "headers": { "X-A": bad }, "body": bad, "next": "o", "error": "o" },
                { "type": "handoff", "id": "o", "queue": bad, "message": bad, "summary": bad, "error": "f" },
                { "type": "handoff", "id": "p", "phone": bad, "error": "f" },
                { "type": "handoff", "id": "r", "sip": bad, "error": "f" },
                { "type": "subflow", "id": "f", "flow": "x", "inputs": { "a": bad }, "next": "t" },
                { "type": "set", "id": "t", "assign": [{ "var": "a", "value": bad }, { "var": "b", "value": 1 }], "next": "e" },
                end("e")
            ],
            "settings": { "error_message": bad }
        });
        let validated = validate(&value);
        let fields: Vec<&str> = validated
            .diagnostics
            .iter()
            .filter(|d| d.code == "template_syntax")
            .map(|d| d.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "/nodes/0/text",
                "/nodes/0/audio",
                "/nodes/1/prompt",
                "/nodes/1/no_match/prompts/0",
                "/nodes/1/no_input/prompts/1",
                "/nodes/2/prompt",
                "/nodes/2/no_match/prompts/0",
                "/nodes/3/url",
                "/nodes/3/headers/X-A",
                "/nodes/3/body",
                "/nodes/4/queue",
                "/nodes/4/message",
                "/nodes/4/summary",
                "/nodes/5/phone",
                "/nodes/6/sip",
                "/nodes/7/inputs/a",
                "/nodes/8/assign/0/value",
                "/settings/error_message",
            ],
            "{}",
            summary(&validated.diagnostics)
        );
        assert!(validated
            .diagnostics
            .iter()
            .all(|d| d.code != "template_syntax" || (d.line, d.column) == (Some(1), Some(1))));
    }

    #[test]
    fn branch_conditions() {
        let branch = |when: &str| json!({ "type": "branch", "id": "b", "cases": [{ "when": when, "next": "done" }], "else": "done" });
        clean(&one(branch(
            "vars.status == \"shipped\" && input.confidence > 0.5",
        )));
        let d = only(
            &one(branch("vars.x == = 1")),
            "expression_syntax",
            "/nodes/0/cases/0/when",
        );
        assert_eq!(d.node.as_deref(), Some("b"));
        assert_eq!((d.line, d.column), (Some(1), Some(11)));
        let d = only(
            &one(branch("  ")),
            "empty_condition",
            "/nodes/0/cases/0/when",
        );
        assert_eq!(d.severity, Severity::Error);
        let d = only(
            &one(branch("foo > 1")),
            "expression_syntax",
            "/nodes/0/cases/0/when",
        );
        assert!(d.message.contains("foo"), "{}", d.message);
    }

    #[test]
    fn script_errors_carry_their_place() {
        let script = json!({ "type": "script", "id": "js", "code": "let a = 1;\nlet = 2;", "next": "done", "error": "done" });
        let d = only(&one(script), "script_syntax", "/nodes/0/code");
        assert_eq!(d.node.as_deref(), Some("js"));
        assert_eq!((d.line, d.column), (Some(2), Some(5)));
        assert!(d.message.contains("(line 2, column 5)"), "{}", d.message);
    }

    #[test]
    fn subflows() {
        let node = json!({ "type": "subflow", "id": "f", "flow": "returns", "next": "done" });
        let value = flow(json!([node, end("done")]));
        let sandbox = sandbox();
        let known: BTreeSet<String> = ["refunds".to_owned()].into();
        let validated = validate_value(
            &value,
            &ValidationContext {
                sandbox: &sandbox,
                known_subflows: Some(&known),
            },
        );
        let d = only(&validated, "unknown_subflow", "/nodes/0/flow");
        assert!(d.message.contains("\"returns\""), "{}", d.message);
        clean(&validate(&value));
        only(
            &one(json!({ "type": "subflow", "id": "f", "flow": "", "next": "done" })),
            "empty_value",
            "/nodes/0/flow",
        );
    }

    // --- graph --------------------------------------------------------------------------------

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

    // --- limits -------------------------------------------------------------------------------

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

        let mut nodes: Vec<Value> = (0..MAX_NODES)
            .map(|i| say(&format!("n{i}"), &format!("n{}", i + 1)))
            .collect();
        nodes.push(end(&format!("n{MAX_NODES}")));
        let validated = validate(&flow(Value::Array(nodes)));
        only(&validated, "too_large", "/nodes");
    }

    #[test]
    fn document_diagnostics_follow_the_model_order() {
        let document: FlowDocument = serde_json::from_value(flow(json!([
            with(say("a", "ghost"), json!({ "text": "{{" })),
            say("b", ""),
            end("done")
        ])))
        .expect("valid shape");
        let sandbox = sandbox();
        let diagnostics = validate_document(
            &document,
            &ValidationContext {
                sandbox: &sandbox,
                known_subflows: None,
            },
        );
        let got: Vec<(&str, &str)> = diagnostics
            .iter()
            .map(|d| (d.field.as_str(), d.code))
            .collect();
        assert_eq!(
            got,
            [
                ("/nodes/0/text", "template_syntax"),
                ("/nodes/0/next", "dangling_port"),
                ("/nodes/1", "unreachable"),
                ("/nodes/1/next", "missing_port"),
                ("/nodes/2", "unreachable"),
            ]
        );
    }

    #[test]
    fn diagnostics_serialize_for_the_api() {
        let validated = one(
            json!({ "type": "script", "id": "js", "code": "let a = 1;\nlet = 2;", "next": "done", "error": "done" }),
        );
        let json = serde_json::to_value(&validated.diagnostics[0]).expect("serializes");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["code"], "script_syntax");
        assert_eq!(json["node"], "js");
        assert_eq!(json["field"], "/nodes/0/code");
        assert_eq!(
            (json["line"].as_u64(), json["column"].as_u64()),
            (Some(2), Some(5))
        );
        let json =
            serde_json::to_value(&one(say("s", "ghost")).diagnostics[0]).expect("serializes");
        assert!(json.get("line").is_none() && json.get("column").is_none());
    }
}
