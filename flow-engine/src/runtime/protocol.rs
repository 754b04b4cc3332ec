//! What passes between a session and its driver: the events it is fed, the actions it returns
//! (analytics records among them), and the facts about the call it starts with.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::calendar::Date;
use crate::emotion::{rounded, Emotion, Label};
use crate::messages::{Locale, StoredMessage};
use crate::model::{HttpMethod, InputMode, Outcome, ResultKind};
use crate::redact::Policy;

/// A node's id as actions and records carry it: shared with the compiled flow, so the records
/// of a turn (a dozen or more) copy no id.
pub type NodeId = Arc<str>;

/// Something that happened outside the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The call was answered (or the chat opened): run from the start node.
    Started,
    /// A final speech transcript (or a typed line in chat).
    Heard {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confidence: Option<f32>,
    },
    /// Keys pressed on the keypad.
    Digits { digits: String },
    /// The caller said nothing before the listen timeout.
    NoInput,
    /// The answer to the last [`Action::Http`].
    HttpResponse {
        status: u16,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
        #[serde(default)]
        body: String,
    },
    /// The last [`Action::Http`] failed without an answer (timeout, refused, invalid URL…).
    HttpFailed {
        /// What kind of failure; events from before failures had kinds read as `failed`.
        #[serde(default)]
        failure: HttpFailure,
        /// What went wrong, in words.
        error: String,
    },
    /// How the last [`Action::Transfer`] went.
    HandoffResult { status: HandoffStatus },
    /// The agent who took the call from the last [`Action::Transfer`] gave it back to the bot,
    /// to go on at `node` (an id in the flow that transferred).
    HandedBack { node: String },
    /// The caller spoke over a prompt and the prompt was cut off.
    PlaybackInterrupted,
    /// The caller hung up (or closed the chat).
    HungUp,
}

/// Why an HTTP request got no answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpFailure {
    /// The request cannot be made as written: its URL, scheme or a header is not valid.
    InvalidRequest,
    /// The address may not be contacted (a private or reserved network).
    Blocked,
    /// The host name does not resolve.
    HostNotFound,
    /// No connection could be made.
    Connect,
    /// No answer in time.
    Timeout,
    /// The answer is larger than allowed.
    TooLarge,
    /// Too many redirects, or one to an address that is not valid.
    Redirect,
    /// Any other failure.
    #[default]
    Failed,
}

/// Result of a transfer to a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffStatus {
    Connected,
    NoAnswer,
    Busy,
    Failed,
}

/// Something the driver must do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Speak a text.
    Say {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        voice: Option<String>,
        barge_in: bool,
    },
    /// Play an audio file; `text` is what it says (for chat channels and transcripts).
    Play {
        url: String,
        text: String,
        barge_in: bool,
    },
    /// Wait for the caller; answer with `Heard`, `Digits` or `NoInput`.
    Listen(Listen),
    /// Make an HTTP request; answer with `HttpResponse` or `HttpFailed`.
    Http(HttpRequest),
    /// Transfer the call to a human; answer with `HandoffResult`.
    Transfer(Transfer),
    /// End the call.
    HangUp { outcome: Outcome },
    /// An analytics record of a step; drivers store it with the call.
    Record(Record),
}

/// How to listen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listen {
    pub node: NodeId,
    pub modes: Vec<InputMode>,
    pub language: String,
    pub timeout_ms: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_digits: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_on_key: Option<String>,
    pub barge_in: bool,
}

/// An HTTP request to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: HttpMethod,
    pub url: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub timeout_ms: u32,
}

/// A transfer to a human.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    pub target: TransferTarget,
    /// Summary for the agent.
    pub summary: String,
    /// The variables collected so far.
    pub vars: serde_json::Map<String, serde_json::Value>,
}

/// Where a transfer goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    Queue(String),
    Phone(String),
    Sip(String),
}

/// The routing rule of a handoff that chose its queue, so that a transcript can say why the
/// caller went where they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChosenRoute {
    /// Its place in the node's `routes`, from 0 (as in the field's pointer, `/routes/0`).
    pub index: usize,
    /// Its condition.
    pub when: String,
    /// Its label, the reason in the flow author's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// An analytics record: one for every step of the flow and every input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    NodeEntered {
        node: NodeId,
        /// The node's `type`: one of the engine's own names, borrowed when the engine records it.
        node_type: Cow<'static, str>,
    },
    Said {
        node: NodeId,
        text: String,
    },
    Heard {
        node: NodeId,
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        confidence: Option<f32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        intent: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        score: Option<f32>,
        /// Whether the intent was one of the flow's global intents.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        global: bool,
        /// How the caller sounded; absent on records from before it was scored.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        emotion: Option<HeardEmotion>,
    },
    /// The caller's anger reached the flow's `angry_caller` threshold at a listening node, and
    /// the call went to `next` instead of the node's own handling.
    EmotionTriggered {
        node: NodeId,
        /// The call's anger (its trend, see [`HeardEmotion::trend`]), rounded.
        anger: f64,
        threshold: f64,
        next: NodeId,
    },
    Digits {
        node: NodeId,
        digits: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        intent: Option<String>,
    },
    SlotFilled {
        node: NodeId,
        var: String,
        value: serde_json::Value,
    },
    NoMatch {
        node: NodeId,
        count: u32,
        text: String,
    },
    NoInput {
        node: NodeId,
        count: u32,
    },
    HttpRequested {
        node: NodeId,
        method: HttpMethod,
        url: String,
    },
    HttpResult {
        node: NodeId,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// The kind of failure, when there was no answer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure: Option<HttpFailure>,
        port: String,
    },
    ScriptError {
        node: NodeId,
        field: String,
        /// What kind of failure, a code that stays the same across versions.
        error: String,
        /// The failure in English, for logs.
        message: String,
        /// The failure as a catalogue key and parameters, worded in the reader's language when
        /// read (see [`Record::script_error_reason`]). Records stored before it was kept lack it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<StoredMessage>,
    },
    Transfer {
        node: NodeId,
        target: TransferTarget,
        summary: String,
        /// The routing rule that chose the queue; absent when the node has no rules or none
        /// held (its own `queue` then).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        route: Option<ChosenRoute>,
    },
    HandoffResult {
        node: NodeId,
        status: HandoffStatus,
    },
    /// An agent gave the call back to the bot, which goes on at `to`.
    HandedBack {
        node: NodeId,
        to: String,
    },
    BargeIn {
        node: NodeId,
    },
    StepLimit {
        node: NodeId,
        limit: u32,
        scope: String,
    },
    EventIgnored {
        event: String,
        reason: String,
    },
    /// An answer from a knowledge base was said.
    KbAnswered {
        node: NodeId,
        knowledge_base: String,
        /// The entry's id.
        entry: String,
        score: f32,
    },
    /// The caller said whether an answer helped.
    KbFeedback {
        node: NodeId,
        knowledge_base: String,
        entry: String,
        helpful: bool,
    },
    /// A question the knowledge base had no answer for.
    KbMissed {
        node: NodeId,
        knowledge_base: String,
        text: String,
    },
    /// The other party asked not to be called again (an `opt_out` node): the server puts
    /// their number on the tenant's do-not-call list when it writes the turn.
    OptedOut {
        node: NodeId,
    },
    /// A variable the flow marks as a result, with its value when the call ended; one
    /// record per marked variable that holds a value, just before `Ended`.
    Result {
        var: String,
        /// The `kind` field names the record, so the result's kind is `result_kind`.
        #[serde(rename = "result_kind")]
        kind: ResultKind,
        value: serde_json::Value,
    },
    Ended {
        #[serde(skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
        outcome: Outcome,
    },
}

/// The emotion of one caller utterance, as recorded: rounded to two decimals, which is all a
/// transcript shows and keeps records short (as `f64`, which an `f32` widened to JSON's
/// numbers would not stay: 0.68 would read 0.6800000071525574).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeardEmotion {
    /// The utterance's own anger, 0 to 1.
    pub anger: f64,
    pub label: Label,
    /// The call's anger after this utterance (anger over the turns so far, see
    /// [`crate::emotion::Trend`]): what the angry-caller trigger compares with its threshold.
    pub trend: f64,
}

/// Why a script (or what a node needed) failed, in `locale`: the stored key and parameters
/// worded, or the English `message` of a record stored before they were kept.
pub fn script_error_reason(text: Option<&StoredMessage>, message: &str, locale: Locale) -> String {
    text.map_or_else(|| message.to_owned(), |text| text.render(locale))
}

impl HeardEmotion {
    pub fn new(emotion: &Emotion, trend: f32) -> Self {
        HeardEmotion {
            anger: rounded(emotion.anger),
            label: emotion.label,
            trend: rounded(trend),
        }
    }
}

/// Call direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Inbound,
    Outbound,
}

fn is_zero(minutes: &i32) -> bool {
    *minutes == 0
}

impl CallInfo {
    /// The call's local date where the tenant is.
    pub fn local_date(&self) -> Date {
        Date::of_moment(self.started_at_ms, i64::from(self.utc_offset_minutes))
    }
}

/// Facts about the call, given by the driver at the start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallInfo {
    #[serde(default)]
    pub call_id: String,
    /// `phone`, `chat`, `simulator`, `test`…
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// When the call started, epoch milliseconds (scripts get time only from here).
    #[serde(default)]
    pub started_at_ms: i64,
    /// The UTC offset at the tenant when the call started, in minutes east of UTC (480 for
    /// China). With `started_at_ms` it gives the call's local date, which date slots (明天,
    /// "next Friday") are resolved against; the engine has no time-zone data of its own.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub utc_offset_minutes: i32,
    /// Variables that override the flow's initial values.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub vars: serde_json::Map<String, serde_json::Value>,
    /// Tenant settings visible to the flow as `tenant` (name, api, …).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub tenant: serde_json::Map<String, serde_json::Value>,
    /// Who is calling, as the tenant's customer lookup found them when the call opened
    /// (name, VIP level, recent orders…), visible to the flow read-only as `customer`. Empty
    /// when nobody was found or the lookup failed: flows must work without it. It lives here,
    /// with the other facts of the call, so that a snapshot (and every resume) keeps it.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub customer: serde_json::Map<String, serde_json::Value>,
    /// The kinds of personal data the call's records keep out (the tenant's policy when the
    /// call started; every kind unless told otherwise). The call itself sees every value.
    #[serde(default)]
    pub redaction: Policy,
}
