//! The flow document, schema version 1: the one format shared by the editor, the API,
//! `flows/` and the tests. Transitions live on the node that owns them: every output port is a
//! field holding the id of the next node. Each node kind's own fields are in its module of
//! `nodes`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::nodes::answer::AnswerNode;
pub use crate::nodes::ask::{AskNode, DtmfRules, Slot, SlotType};
pub use crate::nodes::branch::{BranchCase, BranchNode};
pub use crate::nodes::end::EndNode;
pub use crate::nodes::handoff::HandoffNode;
pub use crate::nodes::http::HttpNode;
pub use crate::nodes::menu::{MenuChoice, MenuNode};
pub use crate::nodes::opt_out::OptOutNode;
pub use crate::nodes::say::SayNode;
pub use crate::nodes::script::ScriptNode;
pub use crate::nodes::set::{Assignment, SetNode};
pub use crate::nodes::subflow::SubflowNode;

/// The only schema version this engine reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A complete call flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowDocument {
    /// Schema version of this document; must be 1.
    pub schema: u32,
    /// The flow's key: unique among the tenant's flows, what `subflow` nodes call and what call
    /// records and analytics keep. The editor generates it (e.g. `order-status`, `flow-3`) and
    /// never changes it when the flow is renamed, so that callers of the flow keep working.
    pub name: String,
    /// The flow's display name (e.g. 订单查询), shown in the flow list, the editor, Try it and
    /// analytics; `name` is shown when absent. Renaming a flow changes only this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
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
    /// Where an angry caller goes from any listening node (`ask`, `menu`, `answer`), usually a
    /// handoff to a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub angry_caller: Option<AngryCaller>,
    /// Defaults that apply to the whole flow.
    #[serde(default, skip_serializing_if = "FlowSettings::is_default")]
    pub settings: FlowSettings,
}

/// The emotion trigger: when the caller's anger over the call so far (every answer scored;
/// anger that repeats or rises counts more, calm answers let it fade) reaches `threshold` at a
/// listening node, the call goes to `next` instead of the node's own handling. It fires once, and again only after the caller's anger fell
/// below the threshold, so a caller still angry back from a failed transfer is not sent
/// round again on every answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AngryCaller {
    /// Node taken when the caller is angry, usually a handoff.
    pub next: String,
    /// Anger (above 0, at most 1) from which the caller counts as angry (default 0.5, the
    /// score's own line between angry and calm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
}

impl AngryCaller {
    pub fn threshold(&self) -> f32 {
        self.threshold.unwrap_or(crate::emotion::ANGRY)
    }
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
    /// The flow's knowledge base, for "FAQ from anywhere".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knowledge: Option<KnowledgeSettings>,
    /// Variables whose values at the end of a call are its results (a survey's score, the
    /// caller's choice), counted in call analytics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ResultVar>,
    /// Variables that hold personal data the flow needs only during the call (an ID number, a
    /// card): the call uses their values, every record keeps `***` in their place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<String>,
    /// Variables that hold an address the caller gave (where to deliver, where to collect a
    /// return): kept as `[地址]` / `[address]` when the tenant redacts addresses. Addresses have
    /// no shape to be found by, so only the variables a flow marks are redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
}

/// A variable marked as a result of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultVar {
    /// The variable's name.
    pub var: String,
    /// The result's display name (e.g. 满意度评分), shown wherever results are shown: campaign
    /// reports and exports, analytics. `var` is shown when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What kind of value it holds, which decides how analytics counts it.
    pub kind: ResultKind,
}

/// How a result's values are counted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ResultKind {
    /// A score from 0 to 10 (satisfaction, likelihood to recommend): a distribution, a mean
    /// and a Net Promoter Score.
    Score,
    /// Any number: a distribution and a mean.
    Number,
    /// One of a few answers: how often each was given.
    Choice,
    /// Free text: only how many calls have one.
    Text,
}

impl ResultKind {
    pub const ALL: [ResultKind; 4] = [
        ResultKind::Score,
        ResultKind::Number,
        ResultKind::Choice,
        ResultKind::Text,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResultKind::Score => "score",
            ResultKind::Number => "number",
            ResultKind::Choice => "choice",
            ResultKind::Text => "text",
        }
    }

    pub fn parse(name: &str) -> Option<ResultKind> {
        ResultKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// Whether its values are numbers, which have a mean.
    pub fn is_numeric(self) -> bool {
        matches!(self, ResultKind::Score | ResultKind::Number)
    }

    /// A variable's value as a result of this kind: a number for the numeric kinds (a slot's
    /// digits are text, so numeric text is read as a number), trimmed text otherwise. `None`
    /// when the variable holds nothing of this kind: null, empty text, or text that is not a
    /// number for a numeric kind.
    pub fn value_of(self, value: &serde_json::Value) -> Option<serde_json::Value> {
        use serde_json::Value;
        let text = match value {
            Value::String(text) => Some(text.trim()),
            _ => None,
        };
        if self.is_numeric() {
            let number = match value {
                Value::Number(n) => n.as_f64(),
                _ => text.and_then(|t| t.parse::<f64>().ok()),
            }?;
            // Whole numbers stay whole (9, not 9.0), so that a score reads the same wherever
            // it was set.
            if number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 {
                return Some(Value::from(number as i64));
            }
            return serde_json::Number::from_f64(number).map(Value::Number);
        }
        let text = match value {
            Value::String(_) => text?.to_owned(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null | Value::Array(_) | Value::Object(_) => return None,
        };
        (!text.is_empty()).then_some(Value::String(text))
    }
}

/// A knowledge base the whole flow answers from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeSettings {
    /// Key of the knowledge base, e.g. `shop-faq` (the editor shows its name).
    pub knowledge_base: String,
    /// "FAQ from anywhere": when a caller's answer at an `ask` or a `menu` matches nothing,
    /// the knowledge base is tried before the no-match reprompt; when it clearly answers, the
    /// answer is said and the node's question asked again (default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_anywhere: bool,
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
    Answer(AnswerNode),
    OptOut(OptOutNode),
    End(EndNode),
}

/// Fields every node has, spelled out in each node type so that unknown fields are rejected.
macro_rules! node_common {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema,
        )]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
            /// Generated by the editor and never shown to people; ports refer to it.
            pub id: String,
            /// Name shown to people (canvas, problems, Try it, analytics). The editor gives every
            /// new node one; a node without it is shown by its kind's name and a number.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub label: Option<String>,
            /// Position on the editor's canvas.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub position: Option<$crate::model::Position>,
            $($body)*
        }
    };
}

pub(crate) use node_common;

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
    /// The intent's key, unique at its node and stable when the intent is renamed: what
    /// analytics counts by (e.g. `track_order`). The editor generates it.
    pub name: String,
    /// The intent's display name (e.g. 查物流), shown on ports, in Try it and in analytics;
    /// `name` is shown when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
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

pub(crate) fn default_true() -> bool {
    true
}

pub(crate) fn is_true(value: &bool) -> bool {
    *value
}

pub(crate) fn default_input_modes() -> Vec<InputMode> {
    vec![InputMode::Speech, InputMode::Dtmf]
}

pub(crate) fn is_default_input_modes(modes: &Vec<InputMode>) -> bool {
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

/// Escapes a JSON-pointer segment (RFC 6901).
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Undoes [`escape_pointer`].
pub(crate) fn unescape_pointer(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

impl ResultVar {
    /// What people are shown: the label when it has one, else the variable's name (then the
    /// flow author's own word).
    pub fn display_name(&self) -> &str {
        shown(self.label.as_deref()).unwrap_or(&self.var)
    }
}

impl Intent {
    /// What people are shown: the label when it has one, else the key.
    pub fn display_name(&self) -> &str {
        shown(self.label.as_deref()).unwrap_or(&self.name)
    }
}

/// A display name that is there: absent and blank ones are not.
fn shown(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

impl FlowDocument {
    /// What people are shown: the title when it has one, else the key.
    pub fn display_name(&self) -> &str {
        shown(self.title.as_deref()).unwrap_or(&self.name)
    }

    /// Parses a flow from JSON text (no validation beyond the types; see [`crate::validate`]).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::ResultKind;

    #[test]
    fn a_result_value_is_read_as_its_kind() {
        let score = ResultKind::Score;
        assert_eq!(score.value_of(&json!(" 10 ")), Some(json!(10)));
        assert_eq!(score.value_of(&json!(8.0)), Some(json!(8)));
        assert_eq!(score.value_of(&json!(8.5)), Some(json!(8.5)));
        assert_eq!(score.value_of(&json!("很好")), None);
        assert_eq!(score.value_of(&json!(null)), None);
        assert_eq!(score.value_of(&json!("NaN")), None);
        let choice = ResultKind::Choice;
        assert_eq!(choice.value_of(&json!(" 满意 ")), Some(json!("满意")));
        assert_eq!(choice.value_of(&json!(true)), Some(json!("true")));
        assert_eq!(choice.value_of(&json!("  ")), None);
        assert_eq!(choice.value_of(&json!(["a"])), None);
        for kind in ResultKind::ALL {
            assert_eq!(ResultKind::parse(kind.as_str()), Some(kind));
        }
    }
}
