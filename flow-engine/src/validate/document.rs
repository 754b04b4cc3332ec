//! The checks of a whole typed document: its own fields, node ids, the start node, the global
//! intents, every connection, then each node's own checks (in `nodes`) and the graph.

use std::collections::{HashMap, HashSet};

use super::checker::{Checker, Globals};
use super::{graph, shorten, Diagnostic, ValidationContext, MAX_NODES, MAX_TEXT_CHARS};
use crate::messages::{term, Message};
use crate::model::{escape_pointer, AngryCaller, FlowDocument, Port, SCHEMA_VERSION};
use crate::msg;
use crate::nodes;

/// Which top-level parts were read from the JSON (all of them for a typed document).
#[derive(Debug, Clone, Copy)]
pub(super) struct Known {
    pub name: bool,
    pub language: bool,
    pub start: bool,
    pub nodes: bool,
    /// Every node was read with all its fields, so every port is known.
    pub all_ports: bool,
}

/// A document to check, possibly missing the parts that could not be read.
pub(super) struct Subject<'d> {
    pub doc: &'d FlowDocument,
    /// Position in the JSON `nodes` list of each of `doc.nodes`.
    pub node_pos: Vec<usize>,
    /// Position in the JSON `global_intents` list of each of `doc.global_intents`.
    pub intent_pos: Vec<usize>,
    /// Nodes in the JSON that could not be read: position and id (if it is a string).
    pub broken: Vec<(usize, Option<String>)>,
    pub known: Known,
}

impl<'d> Subject<'d> {
    /// A typed document: every part was read.
    pub fn whole(doc: &'d FlowDocument) -> Self {
        Subject {
            doc,
            node_pos: (0..doc.nodes.len()).collect(),
            intent_pos: (0..doc.global_intents.len()).collect(),
            broken: Vec::new(),
            known: Known {
                name: true,
                language: true,
                start: true,
                nodes: true,
                all_ports: true,
            },
        }
    }
}

/// The node ids in use.
pub(super) struct Ids<'d> {
    /// The first node with each id, as an index into `doc.nodes`.
    pub nodes: HashMap<&'d str, usize>,
    /// Ids of nodes that could not be read: they still count as taken and as port targets.
    pub broken: HashSet<&'d str>,
}

impl Ids<'_> {
    fn exists(&self, id: &str) -> bool {
        self.nodes.contains_key(id) || self.broken.contains(id)
    }
}

pub(super) fn check(subject: &Subject<'_>, context: &ValidationContext<'_>) -> Vec<Diagnostic> {
    let doc = subject.doc;
    let mut c = Checker::new(context, Globals::of(&doc.global_intents));
    flow_fields(&mut c, subject);
    let ids = ids(&mut c, subject);
    size_and_start(&mut c, subject, &ids);
    c.intents(
        None,
        "/global_intents",
        &doc.global_intents,
        &subject.intent_pos,
        true,
    );
    for (j, intent) in doc.global_intents.iter().enumerate() {
        let field = format!("/global_intents/{}/next", subject.intent_pos[j]);
        let label = msg!(
            "port.global_intent",
            label = shorten(intent.display_name(), 60)
        );
        port(&mut c, None, field, label, &intent.next, &ids);
    }
    if let Some(angry) = &doc.angry_caller {
        angry_caller(&mut c, angry, &ids);
    }
    for (k, node) in doc.nodes.iter().enumerate() {
        let base = format!("/nodes/{}", subject.node_pos[k]);
        nodes::check(node, &mut c, &base);
        for port_of_node in node.ports() {
            let label = port_label(&port_of_node);
            let field = format!("{base}{}", port_of_node.field);
            port(
                &mut c,
                Some(node.id()),
                field,
                label,
                port_of_node.target,
                &ids,
            );
        }
    }
    c.settings(&doc.settings);
    results(&mut c, subject);
    private_variables(&mut c, subject);
    unset_variables(&mut c, subject);
    graph::check(&mut c, subject, &ids.nodes);
    c.into_diagnostics()
}

/// The flow's own fields: schema, name, description, language and variable names.
fn flow_fields(c: &mut Checker<'_>, subject: &Subject<'_>) {
    let doc = subject.doc;
    if doc.schema != SCHEMA_VERSION {
        c.error(
            "unsupported_schema",
            None,
            "/schema".into(),
            msg!(
                "unsupported_schema",
                schema = doc.schema,
                supported = SCHEMA_VERSION
            ),
        );
    }
    if subject.known.name {
        c.name_text(None, "/name".into(), &doc.name, "term.flow_name");
        if let Some(title) = &doc.title {
            c.name_text(None, "/title".into(), title, "term.flow_title");
        }
        if doc.name.trim().is_empty() {
            c.error(
                "empty_value",
                None,
                "/name".into(),
                term("empty_value.flow_name"),
            );
        }
    }
    if let Some(description) = &doc.description {
        c.text_size(
            None,
            "/description".into(),
            description,
            MAX_TEXT_CHARS,
            "term.description",
        );
    }
    if subject.known.language {
        c.language(&doc.language);
    }
    for name in doc.variables.keys() {
        c.variable(None, format!("/variables/{}", escape_pointer(name)), name);
    }
}

/// Checks every id, broken nodes included, and lists the ones in use.
fn ids<'d>(c: &mut Checker<'_>, subject: &'d Subject<'d>) -> Ids<'d> {
    let doc = subject.doc;
    let mut ids = Ids {
        nodes: HashMap::with_capacity(doc.nodes.len()),
        broken: HashSet::new(),
    };
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
                msg!("duplicate_id", id = shorten(id, 80)),
            );
            continue;
        }
        match index {
            Some(k) => {
                ids.nodes.insert(id, k);
            }
            None => {
                ids.broken.insert(id);
            }
        }
    }
    ids
}

/// The number of nodes, and the start node.
fn size_and_start(c: &mut Checker<'_>, subject: &Subject<'_>, ids: &Ids<'_>) {
    let doc = subject.doc;
    let node_count = doc.nodes.len() + subject.broken.len();
    if subject.known.nodes && node_count == 0 {
        c.error("empty_flow", None, "/nodes".into(), term("empty_flow"));
    }
    if node_count > MAX_NODES {
        c.error(
            "too_large",
            None,
            "/nodes".into(),
            msg!("too_large.nodes", count = node_count, max = MAX_NODES),
        );
    }
    if !(subject.known.start && subject.known.nodes && node_count > 0) {
        return;
    }
    if doc.start.is_empty() {
        c.error(
            "missing_start",
            None,
            "/start".into(),
            term("missing_start.empty"),
        );
    } else if !ids.exists(&doc.start) {
        c.error(
            "missing_start",
            None,
            "/start".into(),
            msg!("missing_start.unknown", id = shorten(&doc.start, 80)),
        );
    }
}

/// A connection must lead to a node that exists.
fn port(
    c: &mut Checker<'_>,
    node: Option<&str>,
    field: String,
    label: Message,
    target: &str,
    ids: &Ids<'_>,
) {
    if target.is_empty() {
        let message = msg!("missing_port", port = label);
        c.error("missing_port", node, field, message);
    } else if !ids.exists(target) {
        let message = msg!("dangling_port", port = label, id = shorten(target, 80));
        c.error("dangling_port", node, field, message);
    }
}

/// The emotion trigger leads to a node that exists, from an anger it can reach: at 0 every
/// caller, however calm, would count as angry.
fn angry_caller(c: &mut Checker<'_>, angry: &AngryCaller, ids: &Ids<'_>) {
    port(
        c,
        None,
        "/angry_caller/next".into(),
        term("port.angry_caller"),
        &angry.next,
        ids,
    );
    if let Some(threshold) = angry.threshold {
        if !(threshold > 0.0 && threshold <= 1.0) {
            let message = msg!(
                "out_of_range.angry_caller",
                value = threshold,
                default = crate::emotion::ANGRY
            );
            c.error(
                "out_of_range",
                None,
                "/angry_caller/threshold".into(),
                message,
            );
        }
    }
}

/// How a port is named in messages: the fixed ports by the catalogue's word for them.
fn port_label(port: &Port<'_>) -> Message {
    let field = port.field.as_str();
    if let Some(rest) = field.strip_prefix("/cases/") {
        let number = rest
            .split('/')
            .next()
            .and_then(|i| i.parse::<usize>().ok())
            .unwrap_or(0)
            + 1;
        return msg!("port.condition", number = number);
    }
    let label = shorten(&port.label, 60);
    if field.starts_with("/intents/") {
        msg!("port.intent", label = label)
    } else if field.starts_with("/choices/") {
        msg!("port.key", label = label)
    } else if field.starts_with("/on_status/") {
        msg!("port.status", label = label)
    } else {
        match label.as_str() {
            "next" => term("port.next"),
            "error" => term("port.error"),
            "else" => term("port.else"),
            "no_match" => term("port.no_match"),
            "no_input" => term("port.no_input"),
            "no_answer" => term("port.no_answer"),
            "answered" => term("port.answered"),
            "unresolved" => term("port.unresolved"),
            "busy" => term("port.busy"),
            _ => msg!("port.other", label = label),
        }
    }
}

/// The variables marked as results: each a variable name, listed once, and set by some node
/// (a result nothing sets would stay empty in every call's analytics).
fn results(c: &mut Checker<'_>, subject: &Subject<'_>) {
    let doc = subject.doc;
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, result) in doc.settings.results.iter().enumerate() {
        if let Some(label) = &result.label {
            c.name_text(
                None,
                format!("/settings/results/{i}/label"),
                label,
                "term.label",
            );
        }
        let field = format!("/settings/results/{i}/var");
        c.variable(None, field.clone(), &result.var);
        if !seen.insert(result.var.as_str()) {
            c.warning(
                "duplicate_result",
                None,
                field,
                msg!("duplicate_result", name = shorten(&result.var, 60)),
            );
            continue;
        }
        // A node that could not be read might set it: say nothing rather than something wrong.
        let all_read = subject.broken.is_empty() && subject.known.nodes;
        if all_read && !doc.nodes.iter().any(|node| node.sets_variable(&result.var)) {
            c.warning(
                "unknown_result",
                None,
                field,
                msg!("unknown_result", name = shorten(&result.var, 60)),
            );
        }
    }
}

/// The variables marked sensitive or as addresses: each a variable name the flow declares or
/// some node sets (a misspelt name would leave the real variable unredacted in every record).
fn private_variables(c: &mut Checker<'_>, subject: &Subject<'_>) {
    let doc = subject.doc;
    // A node that could not be read might set it: say nothing rather than something wrong.
    let all_read = subject.broken.is_empty() && subject.known.nodes;
    let lists = [
        ("sensitive", &doc.settings.sensitive),
        ("addresses", &doc.settings.addresses),
    ];
    for (list, vars) in lists {
        for (i, var) in vars.iter().enumerate() {
            let field = format!("/settings/{list}/{i}");
            c.variable(None, field.clone(), var);
            let given =
                doc.variables.contains_key(var) || doc.nodes.iter().any(|n| n.sets_variable(var));
            if all_read && !given {
                c.warning(
                    "unknown_sensitive",
                    None,
                    field,
                    msg!("unknown_sensitive", name = shorten(var, 60)),
                );
            }
        }
    }
}

/// Variables a text reads that nothing gives a value: the flow does not declare them and no
/// node sets them, so callers would hear a blank where they are (`{{vars.eta}}` in a flow that
/// never sets `eta`). One warning per text and variable.
fn unset_variables(c: &mut Checker<'_>, subject: &Subject<'_>) {
    let reads = c.take_reads();
    // A node that could not be read might set it: say nothing rather than something wrong.
    if !(subject.broken.is_empty() && subject.known.nodes) {
        return;
    }
    let doc = subject.doc;
    // Each name is looked up once: a large flow reads the same few variables everywhere.
    let mut given: HashMap<String, bool> = HashMap::new();
    let mut warned: HashSet<(Option<String>, String, String)> = HashSet::new();
    for read in reads {
        let is_given = *given.entry(read.var.clone()).or_insert_with(|| {
            doc.variables.contains_key(&read.var)
                || doc.nodes.iter().any(|node| node.sets_variable(&read.var))
        });
        if is_given || !warned.insert((read.node.clone(), read.field.clone(), read.var.clone())) {
            continue;
        }
        let message = msg!("unset_variable", var = shorten(&read.var, 60));
        c.warning("unset_variable", read.node.as_deref(), read.field, message);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{ask, clean, end, find, flow, one, only, say, summary, validate, with};
    use crate::validate::{Severity, MAX_ID_CHARS};

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
    fn angry_caller() {
        let agent =
            json!({ "type": "handoff", "id": "agent", "queue": "complaints", "error": "done" });
        let mut value = flow(json!([ask("q"), agent, end("done")]));
        value["angry_caller"] = json!({ "next": "agent" });
        // The handoff is reached only through the trigger, from the ask.
        clean(&validate(&value));
        value["angry_caller"] = json!({ "next": "manager", "threshold": 0.7 });
        let d = find(&validate(&value), "dangling_port", "/angry_caller/next").clone();
        assert_eq!(d.node, None);
        assert!(
            d.message.contains("angry caller") && d.message.contains("\"manager\""),
            "{}",
            d.message
        );
        value["angry_caller"] = json!({ "next": "", "threshold": 0.7 });
        find(&validate(&value), "missing_port", "/angry_caller/next");
        for threshold in [0.0, 1.5, -0.2] {
            value["angry_caller"] = json!({ "next": "agent", "threshold": threshold });
            let validated = validate(&value);
            find(&validated, "out_of_range", "/angry_caller/threshold");
        }
        value["angry_caller"] = json!({ "next": "agent", "threshold": 1.0 });
        clean(&validate(&value));
        value["angry_caller"] = json!({ "goto": "agent" });
        let validated = validate(&value);
        find(&validated, "unknown_field", "/angry_caller/goto");
        // Without the trigger nothing leads to the handoff.
        value
            .as_object_mut()
            .map(|fields| fields.remove("angry_caller"));
        only(&validate(&value), "unreachable", "/nodes/1");
    }

    #[test]
    fn variables_read_but_never_given_a_value_are_named() {
        let eta = with(
            say("tell", "done"),
            json!({ "text": "预计{{vars.eta}}送到，订单{{vars.order_id}}" }),
        );
        let validated = validate(&flow(json!([eta.clone(), end("done")])));
        assert_eq!(
            validated.diagnostics.len(),
            2,
            "{}",
            summary(&validated.diagnostics)
        );
        let d = find(&validated, "unset_variable", "/nodes/0/text");
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(d.node.as_deref(), Some("tell"));
        assert!(d.message.contains("\"eta\""), "{}", d.message);
        // Declared, saved by an ask node, assigned by a set node: each gives a value.
        let mut declared = flow(json!([eta.clone(), end("done")]));
        declared["variables"] = json!({ "eta": "", "order_id": "" });
        clean(&validate(&declared));
        let asked = with(ask("q"), json!({ "save_as": "eta", "next": "tell" }));
        let set = json!({ "type": "set", "id": "s", "assign": [{ "var": "order_id", "value": "A1" }], "next": "q" });
        clean(&validate(&flow(json!([set, asked, eta, end("done")]))));
    }
}
