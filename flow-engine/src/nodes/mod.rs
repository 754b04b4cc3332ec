//! The kinds of node. Each kind's module holds everything the engine knows about it: its fields
//! in the flow document, its checks, its compiled form and what a call does there. `ask` and
//! `menu` share how they listen (`listening`).
//!
//! This module registers the kinds. Every `match` on a node's kind is here, so adding a kind
//! is its module, its variant in [`Node`] and one line in each of these matches — which the
//! compiler lists, since the matches are exhaustive.

pub mod answer;
pub mod ask;
pub mod branch;
pub mod end;
pub mod handoff;
pub mod http;
pub(crate) mod listening;
pub mod menu;
pub mod opt_out;
pub mod say;
pub mod script;
pub mod set;
pub mod subflow;

use serde::de::DeserializeOwned;

use crate::compile::NodeCompiler;
use crate::model::{Node, Port, Position};
use crate::runtime::{Event, Step, Visit, Wait};
use crate::validate::{Checker, Diagnostic};

/// What every kind of node tells the engine; implemented by the kind's document struct.
pub(crate) trait Kind {
    /// Its `type` in flow documents.
    const TYPE: &'static str;
    /// Whether a call stops at it to wait for the caller or the outside world.
    const WAITS: bool;

    /// Adds its output ports, in a stable order.
    fn ports<'a>(&'a self, ports: &mut Ports<'a>);

    /// Whether the flow's global intents are recognised while the call waits here.
    fn listens_to_global_intents(&self) -> bool {
        false
    }

    /// Whether it can give the flow variable `var` a value (a saved answer, an assignment…).
    fn sets_variable(&self, _var: &str) -> bool {
        false
    }

    /// Checks its own fields (`base` is its JSON pointer); its ports are checked with the
    /// graph.
    fn check(&self, c: &mut Checker<'_>, base: &str);

    /// Compiles it; validation has passed, so a failure here is an internal error.
    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic>;
}

/// A node compiled: what a call runs.
pub(crate) enum Compiled {
    Say(say::Say),
    /// `ask` and `menu`.
    Listen(Box<listening::Listener>),
    Branch(branch::Branch),
    Set(set::Set),
    Script(script::Script),
    Http(Box<http::HttpCall>),
    Handoff(Box<handoff::Handoff>),
    Subflow(Box<subflow::SubflowCall>),
    Answer(Box<answer::Answer>),
    OptOut(opt_out::OptOut),
    End(end::End),
}

/// What a call does at a compiled node.
pub(crate) trait Run {
    /// Enters the node: its actions, then where the call goes.
    fn enter(&self, visit: &mut Visit<'_>) -> Step;

    /// Takes an event that arrives while the call waits here; gives it back when this node
    /// does not wait for it.
    fn resume(&self, _visit: &mut Visit<'_>, _wait: Wait, event: Event) -> Result<Step, Event> {
        Err(event)
    }
}

/// The `type` of every kind, for messages.
pub(crate) const TYPES: [&str; 12] = [
    say::SayNode::TYPE,
    ask::AskNode::TYPE,
    menu::MenuNode::TYPE,
    branch::BranchNode::TYPE,
    set::SetNode::TYPE,
    script::ScriptNode::TYPE,
    http::HttpNode::TYPE,
    handoff::HandoffNode::TYPE,
    subflow::SubflowNode::TYPE,
    answer::AnswerNode::TYPE,
    opt_out::OptOutNode::TYPE,
    end::EndNode::TYPE,
];

/// `$body` with `$n` bound to the node's own struct, whatever its kind.
macro_rules! each_kind {
    ($node:expr, $n:ident => $body:expr) => {
        match $node {
            Node::Say($n) => $body,
            Node::Ask($n) => $body,
            Node::Menu($n) => $body,
            Node::Branch($n) => $body,
            Node::Set($n) => $body,
            Node::Script($n) => $body,
            Node::Http($n) => $body,
            Node::Handoff($n) => $body,
            Node::Subflow($n) => $body,
            Node::Answer($n) => $body,
            Node::OptOut($n) => $body,
            Node::End($n) => $body,
        }
    };
}

/// `$body` with `$n` bound to the compiled node's own struct, whatever its kind.
macro_rules! each_compiled {
    ($node:expr, $n:ident => $body:expr) => {
        match $node {
            Compiled::Say($n) => $body,
            Compiled::Listen($n) => $body,
            Compiled::Branch($n) => $body,
            Compiled::Set($n) => $body,
            Compiled::Script($n) => $body,
            Compiled::Http($n) => $body,
            Compiled::Handoff($n) => $body,
            Compiled::Subflow($n) => $body,
            Compiled::Answer($n) => $body,
            Compiled::OptOut($n) => $body,
            Compiled::End($n) => $body,
        }
    };
}

/// Reads a node's fields as one kind's struct, reporting what is wrong with them.
pub(crate) trait ReadFields {
    fn read<T: DeserializeOwned>(&mut self) -> Option<T>;
}

/// Reads a node of the kind called `type_name`: `None` when no kind is called that, else the
/// node when its fields could be read.
pub(crate) fn read(type_name: &str, fields: &mut impl ReadFields) -> Option<Option<Node>> {
    Some(match type_name {
        say::SayNode::TYPE => fields.read().map(Node::Say),
        ask::AskNode::TYPE => fields.read().map(Node::Ask),
        menu::MenuNode::TYPE => fields.read().map(Node::Menu),
        branch::BranchNode::TYPE => fields.read().map(Node::Branch),
        set::SetNode::TYPE => fields.read().map(Node::Set),
        script::ScriptNode::TYPE => fields.read().map(Node::Script),
        http::HttpNode::TYPE => fields.read().map(Node::Http),
        handoff::HandoffNode::TYPE => fields.read().map(Node::Handoff),
        subflow::SubflowNode::TYPE => fields.read().map(Node::Subflow),
        answer::AnswerNode::TYPE => fields.read().map(Node::Answer),
        opt_out::OptOutNode::TYPE => fields.read().map(Node::OptOut),
        end::EndNode::TYPE => fields.read().map(Node::End),
        _ => return None,
    })
}

/// Checks a node: its label, then its kind's own checks.
pub(crate) fn check(node: &Node, c: &mut Checker<'_>, base: &str) {
    if let Some(label) = node.label() {
        c.name_text(
            Some(node.id()),
            format!("{base}/label"),
            label,
            "term.label",
        );
    }
    each_kind!(node, n => n.check(c, base));
}

/// Compiles a node.
pub(crate) fn compile(node: &Node, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
    each_kind!(node, n => n.compile(c))
}

impl Compiled {
    pub(crate) fn enter(&self, visit: &mut Visit<'_>) -> Step {
        each_compiled!(self, n => n.enter(visit))
    }

    pub(crate) fn resume(
        &self,
        visit: &mut Visit<'_>,
        wait: Wait,
        event: Event,
    ) -> Result<Step, Event> {
        each_compiled!(self, n => n.resume(visit, wait, event))
    }
}

/// The output ports of a node, as its kind adds them.
pub(crate) struct Ports<'a>(Vec<Port<'a>>);

impl<'a> Ports<'a> {
    /// A port at `field` (a JSON pointer below the node) called `label`.
    pub fn add(&mut self, field: impl Into<String>, label: &str, target: &'a str) {
        self.0.push(Port {
            field: field.into(),
            label: label.to_owned(),
            target,
        });
    }
}

fn type_of<K: Kind>(_: &K) -> &'static str {
    K::TYPE
}

fn waits<K: Kind>(_: &K) -> bool {
    K::WAITS
}

impl Node {
    pub fn id(&self) -> &str {
        each_kind!(self, n => &n.id)
    }

    pub fn label(&self) -> Option<&str> {
        each_kind!(self, n => n.label.as_deref())
    }

    /// How messages name the node: its label when it has one, else its id.
    pub fn display_name(&self) -> &str {
        self.label()
            .filter(|label| !label.trim().is_empty())
            .unwrap_or(self.id())
    }

    pub fn position(&self) -> Option<Position> {
        each_kind!(self, n => n.position)
    }

    pub fn type_name(&self) -> &'static str {
        each_kind!(self, n => type_of(n))
    }

    /// Whether the node stops the turn to wait for the caller or the outside world.
    pub fn waits(&self) -> bool {
        each_kind!(self, n => waits(n))
    }

    /// Whether the flow's global intents are recognised while a call waits at this node.
    pub fn listens_to_global_intents(&self) -> bool {
        each_kind!(self, n => n.listens_to_global_intents())
    }

    /// Whether a call waits here for the caller's answer, where the flow's angry-caller
    /// trigger can fire.
    pub fn listens(&self) -> bool {
        matches!(self, Node::Ask(_) | Node::Menu(_) | Node::Answer(_))
    }

    /// Whether the node can give the flow variable `var` a value.
    pub fn sets_variable(&self, var: &str) -> bool {
        each_kind!(self, n => n.sets_variable(var))
    }

    /// Every output port this node has, in a stable order.
    pub fn ports(&self) -> Vec<Port<'_>> {
        let mut ports = Ports(Vec::new());
        each_kind!(self, n => n.ports(&mut ports));
        ports.0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::testing::realistic_flow;

    struct Unread;

    impl ReadFields for Unread {
        fn read<T: DeserializeOwned>(&mut self) -> Option<T> {
            None
        }
    }

    #[test]
    fn every_kind_is_registered_under_its_type() {
        // The schema is generated from `Node`, so it lists every kind a document can hold.
        let schema: Value =
            serde_json::from_str(&crate::schema::flow_schema_json()).expect("the schema is JSON");
        let in_schema: Vec<&str> = schema["$defs"]["Node"]["oneOf"]
            .as_array()
            .expect("node kinds")
            .iter()
            .filter_map(|kind| kind["properties"]["type"]["const"].as_str())
            .collect();
        assert_eq!(in_schema, TYPES);
        for type_name in TYPES {
            assert!(
                read(type_name, &mut Unread).is_some(),
                "{type_name} is read"
            );
        }
        assert!(read("dance", &mut Unread).is_none());
        let document: crate::FlowDocument =
            serde_json::from_value(realistic_flow()).expect("a valid flow");
        let mut seen: Vec<&str> = Vec::new();
        for node in &document.nodes {
            let json = serde_json::to_value(node).expect("serializes");
            assert_eq!(json["type"], node.type_name());
            seen.push(node.type_name());
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), TYPES.len(), "the fixture has every kind");
    }
}
