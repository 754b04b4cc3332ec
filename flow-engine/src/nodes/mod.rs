//! The kinds of node. Each kind's module holds everything the engine knows about it: its fields
//! in the flow document, its checks, its compiled form and what a call does there. `ask` and
//! `menu` share how they listen (`listening`).
//!
//! This module registers the kinds. Every `match` on a node's kind is here, so adding a kind
//! is its module, its variant in [`Node`] and one line in each of these matches — which the
//! compiler lists, since the matches are exhaustive.

pub mod ask;
pub mod branch;
pub mod end;
pub mod handoff;
pub mod http;
pub(crate) mod listening;
pub mod menu;
pub mod say;
pub mod script;
pub mod set;
pub mod subflow;

use serde::de::DeserializeOwned;

use crate::model::{Node, Port, Position};
use crate::validate::Checker;

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

    /// Checks its own fields (`base` is its JSON pointer); its ports are checked with the
    /// graph.
    fn check(&self, c: &mut Checker<'_>, base: &str);
}

/// The `type` of every kind, for messages.
pub(crate) const TYPES: [&str; 10] = [
    say::SayNode::TYPE,
    ask::AskNode::TYPE,
    menu::MenuNode::TYPE,
    branch::BranchNode::TYPE,
    set::SetNode::TYPE,
    script::ScriptNode::TYPE,
    http::HttpNode::TYPE,
    handoff::HandoffNode::TYPE,
    subflow::SubflowNode::TYPE,
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
            Node::End($n) => $body,
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
        end::EndNode::TYPE => fields.read().map(Node::End),
        _ => return None,
    })
}

/// Checks a node: its label, then its kind's own checks.
pub(crate) fn check(node: &Node, c: &mut Checker<'_>, base: &str) {
    if let Some(label) = node.label() {
        c.name_text(Some(node.id()), format!("{base}/label"), label, "label");
    }
    each_kind!(node, n => n.check(c, base));
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

    /// Every output port this node has, in a stable order.
    pub fn ports(&self) -> Vec<Port<'_>> {
        let mut ports = Ports(Vec::new());
        each_kind!(self, n => n.ports(&mut ports));
        ports.0
    }
}
