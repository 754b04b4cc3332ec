//! The flow document, schema version 1: the one format shared by the editor, the API,
//! `flows/` and the tests. Transitions live on the node that owns them: every output port is a
//! field holding the id of the next node.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The only schema version this engine reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A complete call flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowDocument {
    /// Schema version of this document; must be 1.
    pub schema: u32,
    /// Human-readable name, shown in the editor and in call records.
    pub name: String,
    /// Optional longer description for the flow list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// BCP 47 language tag of the flow's prompts and of speech recognition, e.g. `zh-CN`, `en-US`.
    pub language: String,
    /// Id of the node where every call begins.
    pub start: String,
    /// Flow variables and their initial values; the caller's call variables override them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, serde_json::Value>,
    /// The nodes of the graph.
    pub nodes: Vec<Node>,
    /// Intents that are recognised at every listening node (`ask`, `menu`) before the node's own,
    /// e.g. 转人工 to reach an agent from anywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub global_intents: Vec<Intent>,
    /// Defaults that apply to the whole flow.
    #[serde(default, skip_serializing_if = "FlowSettings::is_default")]
    pub settings: FlowSettings,
}

/// Flow-wide defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowSettings {
    /// Voice for speech output unless a node names its own (provider-specific name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// Milliseconds of silence before a listening node counts a no-input (default 5000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_input_timeout_ms: Option<u32>,
    /// Minimum score (0–1) for an intent to count as recognised (default 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_threshold: Option<f32>,
    /// What the bot says before hanging up when the flow fails (e.g. a runaway loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl FlowSettings {
    fn is_default(&self) -> bool {
        self == &FlowSettings::default()
    }
}

/// Where the editor draws a node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// One node of the graph. The `type` field selects the kind.
// Nodes are parsed once per flow and compiled; their size does not matter at run time.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Node {
    Say(SayNode),
    Ask(AskNode),
    Menu(MenuNode),
    Branch(BranchNode),
    Set(SetNode),
    Script(ScriptNode),
    Http(HttpNode),
    Handoff(HandoffNode),
    Subflow(SubflowNode),
    End(EndNode),
}

/// Fields every node has, spelled out in each node type so that unknown fields are rejected.
macro_rules! node_common {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
            pub id: String,
            /// Name shown on the canvas; the id is shown when absent.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub label: Option<String>,
            /// Position on the editor's canvas.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub position: Option<Position>,
            $($body)*
        }
    };
}

node_common! {
    /// Speaks a text (or plays audio) and continues.
    pub struct SayNode {
        /// Text to speak; may contain `{{ expr }}` templates.
        pub text: String,
        /// URL of an audio file to play instead of synthesising `text` (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub audio: Option<String>,
        /// Voice for this node only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub voice: Option<String>,
        /// Whether the caller may interrupt this prompt by speaking (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub barge_in: bool,
        /// Next node.
        pub next: String,
    }
}

node_common! {
    /// Asks a question and listens: recognises intents, captures a slot, or takes any answer.
    pub struct AskNode {
        /// The question (template).
        pub prompt: String,
        /// Input modes accepted (default both speech and DTMF).
        #[serde(default = "default_input_modes", skip_serializing_if = "is_default_input_modes")]
        pub input: Vec<InputMode>,
        /// Intents recognised here, each with its own port.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub intents: Vec<Intent>,
        /// A value to capture from the answer, e.g. an order number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub slot: Option<Slot>,
        /// Variable that receives the caller's raw answer (text or digits).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub save_as: Option<String>,
        /// Taken when the slot is captured, or on any answer when the node has neither intents nor
        /// a slot. Required in those cases.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub next: Option<String>,
        /// What happens when the answer matches nothing.
        pub no_match: Retry,
        /// What happens when the caller says nothing.
        pub no_input: Retry,
        /// Silence before a no-input, in milliseconds (flow default otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timeout_ms: Option<u32>,
        /// Phrases that help speech recognition (e.g. product names).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub hints: Vec<String>,
        /// DTMF collection rules.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub dtmf: Option<DtmfRules>,
        /// Minimum intent score for this node (0–1; flow default otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub threshold: Option<f32>,
        /// Whether the flow's global intents are recognised here (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub global_intents: bool,
        /// Whether the caller may interrupt the prompt (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub barge_in: bool,
        /// Voice for this node only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub voice: Option<String>,
    }
}

node_common! {
    /// A keypad menu: "press 1 for …". Spoken digits and choice labels work too.
    pub struct MenuNode {
        /// The menu prompt (template).
        pub prompt: String,
        /// The choices, one key each.
        pub choices: Vec<MenuChoice>,
        /// What happens on a key or answer that is not a choice.
        pub no_match: Retry,
        /// What happens when the caller presses nothing.
        pub no_input: Retry,
        /// Silence before a no-input, in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timeout_ms: Option<u32>,
        /// Whether the flow's global intents are recognised here (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub global_intents: bool,
        /// Whether the caller may interrupt the prompt (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub barge_in: bool,
        /// Voice for this node only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub voice: Option<String>,
    }
}

node_common! {
    /// Chooses the next node by conditions, first true wins.
    pub struct BranchNode {
        /// Conditions checked in order.
        pub cases: Vec<BranchCase>,
        /// Taken when no condition holds.
        #[serde(rename = "else")]
        pub otherwise: String,
    }
}

node_common! {
    /// Assigns variables without code.
    pub struct SetNode {
        /// Assignments, applied in order.
        pub assign: Vec<Assignment>,
        /// Next node.
        pub next: String,
    }
}

node_common! {
    /// Runs a Rhai script that can read and change `vars`.
    pub struct ScriptNode {
        /// Rhai source. Sees `vars`, `call`, `input` and `tenant`.
        pub code: String,
        /// Taken when the script finishes.
        pub next: String,
        /// Taken when the script fails or exceeds its limits; its changes are discarded.
        pub error: String,
    }
}

node_common! {
    /// Calls the merchant's HTTP API.
    pub struct HttpNode {
        /// HTTP method (default GET).
        #[serde(default)]
        pub method: HttpMethod,
        /// URL template, e.g. `{{tenant.api}}/orders/{{vars.order_id}}`.
        pub url: String,
        /// Request headers (values are templates).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub headers: BTreeMap<String, String>,
        /// Request body template (usually JSON).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub body: Option<String>,
        /// Timeout in milliseconds (default 5000, at most 10000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timeout_ms: Option<u32>,
        /// Response fields saved into variables: variable name → path such as `body.status`,
        /// `body.items.0.name`, `status` or `headers.content-type`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub save: BTreeMap<String, String>,
        /// Ports for particular status codes, checked first: `"404"` or a class like `"4xx"`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub on_status: BTreeMap<String, String>,
        /// Taken on a 2xx answer.
        pub next: String,
        /// Taken on a transport failure, a timeout or any other status.
        pub error: String,
    }
}

node_common! {
    /// Transfers the call to a human: a queue, a phone number or a SIP address.
    pub struct HandoffNode {
        /// Agent queue name (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub queue: Option<String>,
        /// Phone number in E.164 form (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub phone: Option<String>,
        /// SIP address, `sip:agent@example.com` (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sip: Option<String>,
        /// What the bot says before transferring (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message: Option<String>,
        /// Summary shown to the agent (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub summary: Option<String>,
        /// Taken after a connected transfer ends. When absent the call ends with outcome `handoff`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub next: Option<String>,
        /// Taken when nobody answers (defaults to `error`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub no_answer: Option<String>,
        /// Taken when the target is busy (defaults to `error`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub busy: Option<String>,
        /// Taken when the transfer fails.
        pub error: String,
    }
}

node_common! {
    /// Runs another flow and comes back.
    pub struct SubflowNode {
        /// Name of the flow to run.
        pub flow: String,
        /// Child variables set from templates evaluated here.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub inputs: BTreeMap<String, String>,
        /// Variables copied back: this flow's variable → the child's variable.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub outputs: BTreeMap<String, String>,
        /// Taken when the child flow ends.
        pub next: String,
        /// Taken when the child flow ends with outcome `failed` (defaults to `next`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error: Option<String>,
    }
}

node_common! {
    /// Ends the call (or returns from a subflow) with an outcome.
    pub struct EndNode {
        /// How the call ended, for the dashboard.
        pub outcome: Outcome,
    }
}

/// `speech` or `dtmf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputMode {
    Speech,
    Dtmf,
}

/// An intent: what the caller wants, recognised by example phrases, keywords or a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Intent {
    /// Intent name, reported in analytics (e.g. `track_order`).
    pub name: String,
    /// Example phrases; similar answers match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// Words that match when they appear anywhere in the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// A keypad key that selects this intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<String>,
    /// Node taken when this intent is recognised.
    pub next: String,
}

/// A value captured from the caller's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// Variable that receives the value.
    pub var: String,
    /// What kind of value.
    #[serde(rename = "type")]
    pub kind: SlotType,
    /// For `order_number` (required) and `digits` (optional): a regular expression the digits or
    /// text must match entirely, e.g. `\d{8,12}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// For `number`: smallest accepted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// For `number`: largest accepted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// Kinds of slot value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlotType {
    /// A string of digits, spoken (一二三, 幺, "one two three") or keyed.
    Digits,
    /// A number, e.g. 七十五, "twenty one", 8.5.
    Number,
    /// An order number matching `pattern`.
    OrderNumber,
    /// A phone number.
    PhoneNumber,
    /// Yes or no (是/对/好的 … 不是/不用 …); stored as a boolean.
    YesNo,
}

/// Escalating reprompts, then a port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Reprompts in order (templates); the last one repeats if `max` is larger.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<String>,
    /// How many reprompts before the port is taken (0 takes it at once).
    #[serde(default = "default_max_retries")]
    pub max: u32,
    /// Node taken after `max` reprompts.
    pub next: String,
}

/// DTMF collection rules for an `ask` node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DtmfRules {
    /// Most digits to collect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_digits: Option<u32>,
    /// Key that ends the entry (default `#`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_on_key: Option<String>,
}

/// One keypad choice of a menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MenuChoice {
    /// The key: `0`–`9`, `*` or `#`.
    pub key: String,
    /// What the choice is called; a caller may also say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Node taken when chosen.
    pub next: String,
}

/// One condition of a branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchCase {
    /// Expression, e.g. `vars.status == "shipped"`.
    pub when: String,
    /// Node taken when it holds.
    pub next: String,
}

/// `var = value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// Variable name.
    pub var: String,
    /// A JSON value. A string is a template; a string that is one `{{ expr }}` keeps the
    /// expression's type (number, boolean, …).
    pub value: serde_json::Value,
}

/// HTTP methods for `http` nodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    #[default]
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Resolved,
    Handoff,
    Abandoned,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Resolved => "resolved",
            Outcome::Handoff => "handoff",
            Outcome::Abandoned => "abandoned",
            Outcome::Failed => "failed",
        }
    }
}

fn default_true() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn default_input_modes() -> Vec<InputMode> {
    vec![InputMode::Speech, InputMode::Dtmf]
}

fn is_default_input_modes(modes: &Vec<InputMode>) -> bool {
    *modes == default_input_modes()
}

fn default_max_retries() -> u32 {
    2
}

/// A named output port of a node and the node it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port<'a> {
    /// JSON pointer of the field below the node, e.g. `/next` or `/intents/0/next`.
    pub field: String,
    /// Label for the editor: `next`, an intent name, `no_match`, a DTMF key…
    pub label: String,
    pub target: &'a str,
}

impl Node {
    pub fn id(&self) -> &str {
        self.common().0
    }

    pub fn label(&self) -> Option<&str> {
        self.common().1.as_deref()
    }

    pub fn position(&self) -> Option<Position> {
        *self.common().2
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Say(_) => "say",
            Node::Ask(_) => "ask",
            Node::Menu(_) => "menu",
            Node::Branch(_) => "branch",
            Node::Set(_) => "set",
            Node::Script(_) => "script",
            Node::Http(_) => "http",
            Node::Handoff(_) => "handoff",
            Node::Subflow(_) => "subflow",
            Node::End(_) => "end",
        }
    }

    /// Whether the node stops the turn to wait for the caller or the outside world.
    pub fn waits(&self) -> bool {
        matches!(
            self,
            Node::Ask(_) | Node::Menu(_) | Node::Http(_) | Node::Handoff(_) | Node::Subflow(_)
        )
    }

    fn common(&self) -> (&String, &Option<String>, &Option<Position>) {
        macro_rules! common {
            ($n:expr) => {
                (&$n.id, &$n.label, &$n.position)
            };
        }
        match self {
            Node::Say(n) => common!(n),
            Node::Ask(n) => common!(n),
            Node::Menu(n) => common!(n),
            Node::Branch(n) => common!(n),
            Node::Set(n) => common!(n),
            Node::Script(n) => common!(n),
            Node::Http(n) => common!(n),
            Node::Handoff(n) => common!(n),
            Node::Subflow(n) => common!(n),
            Node::End(n) => common!(n),
        }
    }

    /// Every output port this node has, in a stable order.
    pub fn ports<'a>(&'a self) -> Vec<Port<'a>> {
        let mut ports = Vec::new();
        let mut add = |field: String, label: &str, target: &'a str| {
            ports.push(Port {
                field,
                label: label.to_owned(),
                target,
            });
        };
        match self {
            Node::Say(n) => add("/next".into(), "next", &n.next),
            Node::Ask(n) => {
                for (i, intent) in n.intents.iter().enumerate() {
                    add(format!("/intents/{i}/next"), &intent.name, &intent.next);
                }
                if let Some(next) = &n.next {
                    add("/next".into(), "next", next);
                }
                add("/no_match/next".into(), "no_match", &n.no_match.next);
                add("/no_input/next".into(), "no_input", &n.no_input.next);
            }
            Node::Menu(n) => {
                for (i, choice) in n.choices.iter().enumerate() {
                    add(format!("/choices/{i}/next"), &choice.key, &choice.next);
                }
                add("/no_match/next".into(), "no_match", &n.no_match.next);
                add("/no_input/next".into(), "no_input", &n.no_input.next);
            }
            Node::Branch(n) => {
                for (i, case) in n.cases.iter().enumerate() {
                    add(format!("/cases/{i}/next"), &case.when, &case.next);
                }
                add("/else".into(), "else", &n.otherwise);
            }
            Node::Set(n) => add("/next".into(), "next", &n.next),
            Node::Script(n) => {
                add("/next".into(), "next", &n.next);
                add("/error".into(), "error", &n.error);
            }
            Node::Http(n) => {
                for (status, target) in &n.on_status {
                    add(
                        format!("/on_status/{}", escape_pointer(status)),
                        status,
                        target,
                    );
                }
                add("/next".into(), "next", &n.next);
                add("/error".into(), "error", &n.error);
            }
            Node::Handoff(n) => {
                if let Some(next) = &n.next {
                    add("/next".into(), "next", next);
                }
                if let Some(target) = &n.no_answer {
                    add("/no_answer".into(), "no_answer", target);
                }
                if let Some(target) = &n.busy {
                    add("/busy".into(), "busy", target);
                }
                add("/error".into(), "error", &n.error);
            }
            Node::Subflow(n) => {
                add("/next".into(), "next", &n.next);
                if let Some(target) = &n.error {
                    add("/error".into(), "error", target);
                }
            }
            Node::End(_) => {}
        }
        ports
    }
}

/// Escapes a JSON-pointer segment (RFC 6901).
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl FlowDocument {
    /// Parses a flow from JSON text (no validation beyond the types; see [`crate::validate`]).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id() == id)
    }
}
