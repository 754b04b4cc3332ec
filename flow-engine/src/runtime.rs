//! The sans-I/O runtime. A call is a [`Session`]: the driver feeds it [`Event`]s and carries out
//! the [`Action`]s it returns. Time, I/O results and the caller's input all arrive as events, so
//! a conversation is deterministic and can be replayed or resumed from a [`Snapshot`] anywhere.

use std::collections::BTreeMap;
use std::sync::Arc;

use rhai::{Dynamic, Map};
use serde::{Deserialize, Serialize};

use crate::compile::{
    CompiledFlow, CompiledRetry, CompiledSlot, Listener, NodeIx, NodeKind, TransferKind,
};
use crate::model::{HttpMethod, InputMode, Outcome, SlotType};
use crate::nlu::Utterance;
use crate::script::{Bindings, ScriptError, ScriptErrorKind};
use crate::slots;
use crate::template::Template;
use crate::value;

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
    HttpFailed { error: String },
    /// How the last [`Action::Transfer`] went.
    HandoffResult { status: HandoffStatus },
    /// The caller spoke over a prompt and the prompt was cut off.
    PlaybackInterrupted,
    /// The caller hung up (or closed the chat).
    HungUp,
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
    pub node: String,
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

/// An analytics record: one for every step of the flow and every input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    NodeEntered {
        node: String,
        node_type: String,
    },
    Said {
        node: String,
        text: String,
    },
    Heard {
        node: String,
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
    },
    Digits {
        node: String,
        digits: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        intent: Option<String>,
    },
    SlotFilled {
        node: String,
        var: String,
        value: serde_json::Value,
    },
    NoMatch {
        node: String,
        count: u32,
        text: String,
    },
    NoInput {
        node: String,
        count: u32,
    },
    HttpRequested {
        node: String,
        method: HttpMethod,
        url: String,
    },
    HttpResult {
        node: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        port: String,
    },
    ScriptError {
        node: String,
        field: String,
        error: String,
        message: String,
    },
    Transfer {
        node: String,
        target: TransferTarget,
        summary: String,
    },
    HandoffResult {
        node: String,
        status: HandoffStatus,
    },
    BargeIn {
        node: String,
    },
    StepLimit {
        node: String,
        limit: u32,
        scope: String,
    },
    EventIgnored {
        event: String,
        reason: String,
    },
    Ended {
        #[serde(skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        outcome: Outcome,
    },
}

/// Call direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Inbound,
    Outbound,
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
    /// Variables that override the flow's initial values.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub vars: serde_json::Map<String, serde_json::Value>,
    /// Tenant settings visible to the flow as `tenant` (name, api, …).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub tenant: serde_json::Map<String, serde_json::Value>,
}

/// What the session waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    NotStarted,
    Listening {
        node: NodeIx,
        no_match: u32,
        no_input: u32,
    },
    Http {
        node: NodeIx,
    },
    Handoff {
        node: NodeIx,
    },
    Ended {
        outcome: Outcome,
    },
}

/// A caller of a subflow, waiting for it to end.
#[derive(Clone)]
struct Frame {
    flow: Arc<CompiledFlow>,
    /// The `subflow` node in `flow`.
    node: NodeIx,
    vars: Map,
}

/// One call running through a flow.
pub struct Session {
    root: Arc<CompiledFlow>,
    flow: Arc<CompiledFlow>,
    frames: Vec<Frame>,
    wait: Wait,
    bindings: Bindings,
    call: CallInfo,
    steps_in_call: u32,
    steps_in_turn: u32,
}

/// Where the runner goes after a node.
enum Step {
    Goto(NodeIx),
    Wait,
}

impl Session {
    /// A new session, not yet started: feed it [`Event::Started`].
    pub fn new(flow: Arc<CompiledFlow>, call: CallInfo) -> Session {
        let mut vars = flow.initial_vars.clone();
        vars.extend(
            call.vars
                .iter()
                .map(|(k, v)| (k.as_str().into(), value::to_dynamic(v))),
        );
        let bindings = Bindings {
            vars,
            call: call_map(&call),
            input: Map::new(),
            tenant: value::to_map(&call.tenant),
        };
        Session {
            root: flow.clone(),
            flow,
            frames: Vec::new(),
            wait: Wait::NotStarted,
            bindings,
            call,
            steps_in_call: 0,
            steps_in_turn: 0,
        }
    }

    /// Handles one event and returns what to do.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        self.handle_into(event, &mut out);
        out
    }

    /// Like [`Session::handle`], appending to a buffer the driver reuses.
    pub fn handle_into(&mut self, event: Event, out: &mut Vec<Action>) {
        self.steps_in_turn = 0;
        let step = match (self.wait, event) {
            (Wait::Ended { .. }, event) => {
                ignored(out, &event, "the call has ended");
                return;
            }
            (_, Event::HungUp) => {
                self.finish(out, None, Outcome::Abandoned, false);
                return;
            }
            (Wait::NotStarted, Event::Started) => Step::Goto(self.flow.start),
            (Wait::NotStarted, event) => {
                ignored(out, &event, "the call has not started");
                return;
            }
            (Wait::Listening { node, .. }, Event::PlaybackInterrupted) => {
                out.push(Action::Record(Record::BargeIn {
                    node: self.id(node),
                }));
                return;
            }
            (
                Wait::Listening {
                    node,
                    no_match,
                    no_input,
                },
                event @ (Event::Heard { .. } | Event::Digits { .. } | Event::NoInput),
            ) => self.on_input(out, node, no_match, no_input, event),
            (
                Wait::Http { node },
                event @ (Event::HttpResponse { .. } | Event::HttpFailed { .. }),
            ) => self.on_http(out, node, event),
            (Wait::Handoff { node }, Event::HandoffResult { status }) => {
                self.on_handoff(out, node, status)
            }
            (_, Event::PlaybackInterrupted) => {
                ignored(
                    out,
                    &Event::PlaybackInterrupted,
                    "no prompt can be interrupted now",
                );
                return;
            }
            (_, event) => {
                ignored(out, &event, "the session is not waiting for this event");
                return;
            }
        };
        if let Step::Goto(node) = step {
            self.run(out, node);
        }
    }

    /// The id of the node the session waits at (or ended at).
    pub fn current_node(&self) -> Option<&str> {
        match self.wait {
            Wait::Listening { node, .. } | Wait::Http { node } | Wait::Handoff { node } => {
                Some(&self.flow.nodes[node].id)
            }
            Wait::NotStarted | Wait::Ended { .. } => None,
        }
    }

    /// How the call ended, once it has.
    pub fn outcome(&self) -> Option<Outcome> {
        match self.wait {
            Wait::Ended { outcome } => Some(outcome),
            _ => None,
        }
    }

    pub fn is_ended(&self) -> bool {
        self.outcome().is_some()
    }

    /// Whether the session waits for the caller (rather than for HTTP or a transfer).
    pub fn is_listening(&self) -> bool {
        matches!(self.wait, Wait::Listening { .. })
    }

    /// The current variables.
    pub fn vars(&self) -> &Map {
        &self.bindings.vars
    }

    /// The current variables as JSON.
    pub fn vars_json(&self) -> serde_json::Map<String, serde_json::Value> {
        value::map_to_json(&self.bindings.vars).unwrap_or_default()
    }

    /// The flow the session runs (a subflow while one is active).
    pub fn flow(&self) -> &Arc<CompiledFlow> {
        &self.flow
    }

    pub fn call(&self) -> &CallInfo {
        &self.call
    }

    fn id(&self, node: NodeIx) -> String {
        self.flow.nodes[node].id.clone()
    }

    /// Runs nodes from `node` until the flow must wait or ends.
    fn run(&mut self, out: &mut Vec<Action>, mut node: NodeIx) {
        loop {
            let limits = self.root.limits;
            self.steps_in_turn += 1;
            self.steps_in_call += 1;
            let exceeded = if self.steps_in_turn > limits.max_steps_per_turn {
                Some((limits.max_steps_per_turn, "turn"))
            } else if self.steps_in_call > limits.max_steps_per_call {
                Some((limits.max_steps_per_call, "call"))
            } else {
                None
            };
            if let Some((limit, scope)) = exceeded {
                out.push(Action::Record(Record::StepLimit {
                    node: self.id(node),
                    limit,
                    scope: scope.to_owned(),
                }));
                self.fail(out, node);
                return;
            }
            let flow = self.flow.clone();
            let compiled = &flow.nodes[node];
            out.push(Action::Record(Record::NodeEntered {
                node: compiled.id.clone(),
                node_type: compiled.kind.type_name().to_owned(),
            }));
            let step = match &compiled.kind {
                NodeKind::Say {
                    text,
                    audio,
                    voice,
                    barge_in,
                    next,
                } => {
                    let spoken = self.render(out, node, "/text", text);
                    match audio {
                        Some(audio) => {
                            let url = self.render(out, node, "/audio", audio);
                            out.push(Action::Play {
                                url,
                                text: spoken.clone(),
                                barge_in: *barge_in,
                            });
                            out.push(Action::Record(Record::Said {
                                node: compiled.id.clone(),
                                text: spoken,
                            }));
                        }
                        None => self.say(out, node, spoken, voice.clone(), *barge_in),
                    }
                    Step::Goto(*next)
                }
                NodeKind::Listen(listener) => {
                    let prompt = self.render(out, node, "/prompt", &listener.prompt);
                    self.say(out, node, prompt, listener.voice.clone(), listener.barge_in);
                    self.listen(out, node, listener);
                    self.wait = Wait::Listening {
                        node,
                        no_match: 0,
                        no_input: 0,
                    };
                    Step::Wait
                }
                NodeKind::Branch { cases, otherwise } => {
                    let mut next = *otherwise;
                    for (i, (condition, target)) in cases.iter().enumerate() {
                        match flow.sandbox.eval_expression(condition, &mut self.bindings) {
                            Ok(value) if truthy(&value) => {
                                next = *target;
                                break;
                            }
                            Ok(_) => {}
                            Err(error) => {
                                script_error(out, &compiled.id, &format!("/cases/{i}/when"), &error)
                            }
                        }
                    }
                    Step::Goto(next)
                }
                NodeKind::Set { assign, next } => {
                    for (i, (var, assigned)) in assign.iter().enumerate() {
                        let value = match assigned {
                            crate::compile::Assigned::Literal(value) => value.clone(),
                            crate::compile::Assigned::Template(template) => {
                                match self.evaluate(
                                    out,
                                    node,
                                    &format!("/assign/{i}/value"),
                                    template,
                                ) {
                                    Some(value) => value,
                                    None => continue,
                                }
                            }
                        };
                        self.bindings.vars.insert(var.as_str().into(), value);
                    }
                    Step::Goto(*next)
                }
                NodeKind::Script { ast, next, error } => {
                    match flow.sandbox.run_script(ast, &mut self.bindings) {
                        Ok(()) => Step::Goto(*next),
                        Err(failure) => {
                            script_error(out, &compiled.id, "/code", &failure);
                            Step::Goto(*error)
                        }
                    }
                }
                NodeKind::Http(call) => {
                    let url = self.render(out, node, "/url", &call.url);
                    let headers = call
                        .headers
                        .iter()
                        .map(|(name, value)| {
                            (name.clone(), self.render(out, node, "/headers", value))
                        })
                        .collect();
                    let body = call
                        .body
                        .as_ref()
                        .map(|b| self.render(out, node, "/body", b));
                    out.push(Action::Record(Record::HttpRequested {
                        node: compiled.id.clone(),
                        method: call.method,
                        url: url.clone(),
                    }));
                    out.push(Action::Http(HttpRequest {
                        method: call.method,
                        url,
                        headers,
                        body,
                        timeout_ms: call.timeout_ms,
                    }));
                    self.wait = Wait::Http { node };
                    Step::Wait
                }
                NodeKind::Handoff(handoff) => {
                    if let Some(message) = &handoff.message {
                        let text = self.render(out, node, "/message", message);
                        let voice = flow.document.settings.voice.clone();
                        self.say(out, node, text, voice, false);
                    }
                    let target = self.render(out, node, "", &handoff.target);
                    let target = match handoff.kind {
                        TransferKind::Queue => TransferTarget::Queue(target),
                        TransferKind::Phone => TransferTarget::Phone(target),
                        TransferKind::Sip => TransferTarget::Sip(target),
                    };
                    let summary = match &handoff.summary {
                        Some(summary) => self.render(out, node, "/summary", summary),
                        None => String::new(),
                    };
                    out.push(Action::Record(Record::Transfer {
                        node: compiled.id.clone(),
                        target: target.clone(),
                        summary: summary.clone(),
                    }));
                    out.push(Action::Transfer(Transfer {
                        target,
                        summary,
                        vars: self.vars_json(),
                    }));
                    self.wait = Wait::Handoff { node };
                    Step::Wait
                }
                NodeKind::Subflow(call) => {
                    if self.frames.len() >= limits.max_subflow_depth {
                        out.push(Action::Record(Record::ScriptError {
                            node: compiled.id.clone(),
                            field: "/flow".to_owned(),
                            error: "SubflowDepth".to_owned(),
                            message: format!(
                                "subflows nest deeper than {}",
                                limits.max_subflow_depth
                            ),
                        }));
                        Step::Goto(call.error)
                    } else {
                        let mut child_vars = call.flow.initial_vars.clone();
                        for (var, template) in &call.inputs {
                            let value = self
                                .evaluate(out, node, "/inputs", template)
                                .unwrap_or(Dynamic::UNIT);
                            child_vars.insert(var.as_str().into(), value);
                        }
                        let parent_vars = std::mem::replace(&mut self.bindings.vars, child_vars);
                        self.frames.push(Frame {
                            flow: self.flow.clone(),
                            node,
                            vars: parent_vars,
                        });
                        self.flow = call.flow.clone();
                        Step::Goto(call.flow.start)
                    }
                }
                NodeKind::End { outcome } => match self.frames.pop() {
                    Some(frame) => Step::Goto(self.return_from_subflow(frame, *outcome)),
                    None => {
                        self.finish(out, Some(node), *outcome, true);
                        Step::Wait
                    }
                },
            };
            match step {
                Step::Goto(next) => node = next,
                Step::Wait => return,
            }
        }
    }

    /// Pops back into the caller of a subflow and returns the port to take there.
    fn return_from_subflow(&mut self, frame: Frame, outcome: Outcome) -> NodeIx {
        let child_vars = std::mem::replace(&mut self.bindings.vars, frame.vars);
        self.flow = frame.flow;
        let NodeKind::Subflow(call) = &self.flow.nodes[frame.node].kind else {
            return self.flow.start;
        };
        for (parent_var, child_var) in &call.outputs {
            let value = child_vars
                .get(child_var.as_str())
                .cloned()
                .unwrap_or(Dynamic::UNIT);
            self.bindings.vars.insert(parent_var.as_str().into(), value);
        }
        if outcome == Outcome::Failed {
            call.error
        } else {
            call.next
        }
    }

    fn say(
        &self,
        out: &mut Vec<Action>,
        node: NodeIx,
        text: String,
        voice: Option<String>,
        barge_in: bool,
    ) {
        if text.is_empty() {
            return;
        }
        out.push(Action::Record(Record::Said {
            node: self.id(node),
            text: text.clone(),
        }));
        out.push(Action::Say {
            text,
            voice,
            barge_in,
        });
    }

    fn listen(&self, out: &mut Vec<Action>, node: NodeIx, listener: &Listener) {
        out.push(Action::Listen(Listen {
            node: self.id(node),
            modes: listener.modes.clone(),
            language: self.flow.document.language.clone(),
            timeout_ms: listener.timeout_ms,
            hints: listener.hints.clone(),
            max_digits: listener.max_digits,
            finish_on_key: listener.finish_on_key.clone(),
            barge_in: listener.barge_in,
        }));
    }

    fn render(
        &mut self,
        out: &mut Vec<Action>,
        node: NodeIx,
        field: &str,
        template: &Template,
    ) -> String {
        match template.render(&self.flow.sandbox, &mut self.bindings) {
            Ok(text) => text,
            Err(error) => {
                script_error(out, &self.flow.nodes[node].id, field, &error);
                String::new()
            }
        }
    }

    /// Evaluates a template to a value that can be stored in `vars`; failures are recorded.
    fn evaluate(
        &mut self,
        out: &mut Vec<Action>,
        node: NodeIx,
        field: &str,
        template: &Template,
    ) -> Option<Dynamic> {
        let error = match template.evaluate(&self.flow.sandbox, &mut self.bindings) {
            Ok(value) if value::to_json(&value).is_some() => return Some(value),
            Ok(_) => ScriptError {
                kind: ScriptErrorKind::UnstorableValue,
                message: "the value cannot be stored in a variable".into(),
                line: 0,
                column: 0,
            },
            Err(error) => error,
        };
        script_error(out, &self.flow.nodes[node].id, field, &error);
        None
    }

    /// Ends the call. `hang_up` is false when the caller hung up or an agent took the call.
    fn finish(
        &mut self,
        out: &mut Vec<Action>,
        node: Option<NodeIx>,
        outcome: Outcome,
        hang_up: bool,
    ) {
        out.push(Action::Record(Record::Ended {
            node: node.map(|n| self.id(n)),
            outcome,
        }));
        if hang_up {
            out.push(Action::HangUp { outcome });
        }
        self.wait = Wait::Ended { outcome };
    }

    /// The flow's clear error path: the error message, if any, then hang up as failed.
    fn fail(&mut self, out: &mut Vec<Action>, node: NodeIx) {
        if let Some(message) = self.root.error_message.clone() {
            let text = self.render(out, node, "/settings/error_message", &message);
            let voice = self.root.document.settings.voice.clone();
            self.say(out, node, text, voice, false);
        }
        self.finish(out, Some(node), Outcome::Failed, true);
    }

    fn on_input(
        &mut self,
        out: &mut Vec<Action>,
        node: NodeIx,
        no_match: u32,
        no_input: u32,
        event: Event,
    ) -> Step {
        let flow = self.flow.clone();
        let NodeKind::Listen(listener) = &flow.nodes[node].kind else {
            return Step::Wait;
        };
        let id = &flow.nodes[node].id;
        let (text, digits) = match event {
            Event::Heard { text, confidence } => {
                let text = text.trim().to_owned();
                if text.is_empty() {
                    return self.on_no_input(out, node, listener, no_match, no_input);
                }
                let utterance = Utterance::new(&text);
                if let Some(step) =
                    self.global_intent(out, node, listener, &text, confidence, &utterance)
                {
                    return step;
                }
                self.set_input(&text, "", None, confidence);
                if let Some(step) =
                    self.match_speech(out, node, listener, &text, confidence, &utterance)
                {
                    return step;
                }
                (text, None)
            }
            Event::Digits { digits } => {
                let mut keys = digits.trim().to_owned();
                if let Some(finish) = &listener.finish_on_key {
                    if keys.len() > finish.len() && keys.ends_with(finish.as_str()) {
                        keys.truncate(keys.len() - finish.len());
                    }
                }
                if let Some(step) = self.match_digits(out, node, listener, &keys) {
                    return step;
                }
                (keys.clone(), Some(keys))
            }
            _ => return self.on_no_input(out, node, listener, no_match, no_input),
        };
        if digits.is_some() {
            out.push(Action::Record(Record::Digits {
                node: id.clone(),
                digits: text.clone(),
                intent: None,
            }));
        } else {
            self.record_heard(out, node, &text, None, None, false);
        }
        let count = no_match + 1;
        out.push(Action::Record(Record::NoMatch {
            node: id.clone(),
            count,
            text,
        }));
        self.retry(out, node, listener, &listener.no_match, count, |count| {
            Wait::Listening {
                node,
                no_match: count,
                no_input,
            }
        })
    }

    fn on_no_input(
        &mut self,
        out: &mut Vec<Action>,
        node: NodeIx,
        listener: &Listener,
        no_match: u32,
        no_input: u32,
    ) -> Step {
        let count = no_input + 1;
        out.push(Action::Record(Record::NoInput {
            node: self.id(node),
            count,
        }));
        self.retry(out, node, listener, &listener.no_input, count, |count| {
            Wait::Listening {
                node,
                no_match,
                no_input: count,
            }
        })
    }

    /// Reprompts and listens again, or takes the retry's port once `max` reprompts were used.
    fn retry(
        &mut self,
        out: &mut Vec<Action>,
        node: NodeIx,
        listener: &Listener,
        retry: &CompiledRetry,
        count: u32,
        wait: impl Fn(u32) -> Wait,
    ) -> Step {
        if count > retry.max {
            return Step::Goto(retry.next);
        }
        let prompt = match retry
            .prompts
            .get(count as usize - 1)
            .or(retry.prompts.last())
        {
            Some(reprompt) => self.render(out, node, "/reprompt", reprompt),
            None => self.render(out, node, "/prompt", &listener.prompt),
        };
        self.say(out, node, prompt, listener.voice.clone(), listener.barge_in);
        self.listen(out, node, listener);
        self.wait = wait(count);
        Step::Wait
    }

    fn set_input(
        &mut self,
        text: &str,
        digits: &str,
        intent: Option<(&str, f32)>,
        confidence: Option<f32>,
    ) {
        let input = &mut self.bindings.input;
        input.clear();
        input.insert("text".into(), text.into());
        input.insert("digits".into(), digits.into());
        input.insert(
            "intent".into(),
            intent.map_or(Dynamic::UNIT, |(name, _)| name.into()),
        );
        input.insert(
            "score".into(),
            intent.map_or(Dynamic::UNIT, |(_, score)| {
                Dynamic::from_float(f64::from(score))
            }),
        );
        input.insert(
            "confidence".into(),
            confidence.map_or(Dynamic::UNIT, |c| Dynamic::from_float(f64::from(c))),
        );
    }

    fn record_heard(
        &self,
        out: &mut Vec<Action>,
        node: NodeIx,
        text: &str,
        confidence: Option<f32>,
        intent: Option<(&str, f32)>,
        global: bool,
    ) {
        out.push(Action::Record(Record::Heard {
            node: self.id(node),
            text: text.to_owned(),
            confidence,
            intent: intent.map(|(name, _)| name.to_owned()),
            score: intent.map(|(_, score)| score),
            global,
        }));
    }

    /// A global intent of this flow or of any flow that called it, when it beats the node's own.
    fn global_intent(
        &mut self,
        out: &mut Vec<Action>,
        node: NodeIx,
        listener: &Listener,
        text: &str,
        confidence: Option<f32>,
        utterance: &Utterance,
    ) -> Option<Step> {
        if !listener.global_intents {
            return None;
        }
        let local = listener
            .intents
            .as_ref()
            .and_then(|set| set.index.best_match(utterance))
            .filter(|m| m.score >= listener.threshold)
            .map_or(0.0, |m| m.score);
        let depth = self.frames.len();
        for level in (0..=depth).rev() {
            let flow = if level == depth {
                self.flow.clone()
            } else {
                self.frames[level].flow.clone()
            };
            let Some(set) = &flow.global_intents else {
                continue;
            };
            let Some(found) = set.index.best_match(utterance) else {
                continue;
            };
            if found.score < flow.threshold || found.score <= local {
                continue;
            }
            let name = set.names[found.index].as_str();
            self.record_heard(out, node, text, confidence, Some((name, found.score)), true);
            self.set_input(text, "", Some((name, found.score)), confidence);
            let target = set.targets[found.index];
            self.unwind_to(level);
            return Some(Step::Goto(target));
        }
        None
    }

    /// Leaves every subflow above `level` (0 is the root flow).
    fn unwind_to(&mut self, level: usize) {
        while self.frames.len() > level {
            if let Some(frame) = self.frames.pop() {
                self.bindings.vars = frame.vars;
                self.flow = frame.flow;
            }
        }
    }

    fn match_speech(
        &mut self,
        out: &mut Vec<Action>,
        node: NodeIx,
        listener: &Listener,
        text: &str,
        confidence: Option<f32>,
        utterance: &Utterance,
    ) -> Option<Step> {
        let speech = listener.modes.contains(&InputMode::Speech);
        if let Some(set) = &listener.intents {
            // A spoken key ("按一", "one") picks a keyed intent, as a key press would.
            let keyed =
                slots::parse_key(text).and_then(|key| set.by_key(key.encode_utf8(&mut [0; 4])));
            let best = keyed.map(|index| (index, 1.0)).or_else(|| {
                speech
                    .then(|| set.index.best_match(utterance))
                    .flatten()
                    .filter(|m| m.score >= listener.threshold)
                    .map(|m| (m.index, m.score))
            });
            if let Some((index, score)) = best {
                let name = set.names[index].as_str();
                self.record_heard(out, node, text, confidence, Some((name, score)), false);
                self.set_input(text, "", Some((name, score)), confidence);
                self.save_answer(listener, text);
                return Some(Step::Goto(set.targets[index]));
            }
        }
        if let Some(slot) = &listener.slot {
            let value = slot_value(slot, text)?;
            self.record_heard(out, node, text, confidence, None, false);
            return Some(self.fill_slot(out, node, listener, slot, value, text));
        }
        if listener.intents.is_none() {
            let next = listener.next?;
            self.record_heard(out, node, text, confidence, None, false);
            self.save_answer(listener, text);
            return Some(Step::Goto(next));
        }
        None
    }

    fn match_digits(
        &mut self,
        out: &mut Vec<Action>,
        node: NodeIx,
        listener: &Listener,
        keys: &str,
    ) -> Option<Step> {
        let id = self.id(node);
        if let Some((name, target, level)) = self.keyed_global(listener, keys) {
            out.push(Action::Record(Record::Digits {
                node: id,
                digits: keys.to_owned(),
                intent: Some(name.clone()),
            }));
            self.set_input("", keys, Some((&name, 1.0)), None);
            self.unwind_to(level);
            return Some(Step::Goto(target));
        }
        if keys.is_empty() {
            return None;
        }
        if let Some(set) = &listener.intents {
            if let Some(index) = set.by_key(keys) {
                let name = set.names[index].as_str();
                out.push(Action::Record(Record::Digits {
                    node: id,
                    digits: keys.to_owned(),
                    intent: Some(name.to_owned()),
                }));
                self.set_input("", keys, Some((name, 1.0)), None);
                self.save_answer(listener, keys);
                return Some(Step::Goto(set.targets[index]));
            }
        }
        if let Some(slot) = &listener.slot {
            let value = slot_value(slot, keys)?;
            out.push(Action::Record(Record::Digits {
                node: id,
                digits: keys.to_owned(),
                intent: None,
            }));
            self.set_input("", keys, None, None);
            return Some(self.fill_slot(out, node, listener, slot, value, keys));
        }
        if listener.intents.is_none() {
            let next = listener.next?;
            out.push(Action::Record(Record::Digits {
                node: id,
                digits: keys.to_owned(),
                intent: None,
            }));
            self.set_input("", keys, None, None);
            self.save_answer(listener, keys);
            return Some(Step::Goto(next));
        }
        None
    }

    /// The innermost global intent with this key: its name, its target and its frame level.
    fn keyed_global(&self, listener: &Listener, keys: &str) -> Option<(String, NodeIx, usize)> {
        if !listener.global_intents || keys.is_empty() {
            return None;
        }
        let depth = self.frames.len();
        (0..=depth).rev().find_map(|level| {
            let flow = if level == depth {
                &self.flow
            } else {
                &self.frames[level].flow
            };
            let set = flow.global_intents.as_ref()?;
            let index = set.by_key(keys)?;
            Some((set.names[index].clone(), set.targets[index], level))
        })
    }

    fn fill_slot(
        &mut self,
        out: &mut Vec<Action>,
        node: NodeIx,
        listener: &Listener,
        slot: &CompiledSlot,
        value: Dynamic,
        raw: &str,
    ) -> Step {
        out.push(Action::Record(Record::SlotFilled {
            node: self.id(node),
            var: slot.var.clone(),
            value: value::to_json(&value).unwrap_or_default(),
        }));
        self.bindings.vars.insert(slot.var.as_str().into(), value);
        self.save_answer(listener, raw);
        match listener.next {
            Some(next) => Step::Goto(next),
            None => Step::Goto(listener.no_match.next),
        }
    }

    fn save_answer(&mut self, listener: &Listener, answer: &str) {
        if let Some(var) = &listener.save_as {
            self.bindings
                .vars
                .insert(var.as_str().into(), answer.into());
        }
    }

    fn on_http(&mut self, out: &mut Vec<Action>, node: NodeIx, event: Event) -> Step {
        let flow = self.flow.clone();
        let NodeKind::Http(call) = &flow.nodes[node].kind else {
            return Step::Wait;
        };
        let id = flow.nodes[node].id.clone();
        let (status, headers, body) = match event {
            Event::HttpResponse {
                status,
                headers,
                body,
            } => (status, headers, body),
            Event::HttpFailed { error } => {
                out.push(Action::Record(Record::HttpResult {
                    node: id,
                    status: None,
                    error: Some(error),
                    port: "error".into(),
                }));
                return Step::Goto(call.error);
            }
            _ => return Step::Wait,
        };
        let (port, target) = match call
            .on_status
            .iter()
            .find(|(pattern, _)| pattern.matches(status))
        {
            Some((_, target)) => (status.to_string(), *target),
            None if (200..300).contains(&status) => ("next".to_owned(), call.next),
            None => ("error".to_owned(), call.error),
        };
        if !call.save.is_empty() {
            let json: Option<serde_json::Value> = serde_json::from_str(&body).ok();
            for (var, path) in &call.save {
                let value = response_field(status, &headers, &body, json.as_ref(), path);
                self.bindings.vars.insert(var.as_str().into(), value);
            }
        }
        out.push(Action::Record(Record::HttpResult {
            node: id,
            status: Some(status),
            error: None,
            port,
        }));
        Step::Goto(target)
    }

    fn on_handoff(&mut self, out: &mut Vec<Action>, node: NodeIx, status: HandoffStatus) -> Step {
        let flow = self.flow.clone();
        let NodeKind::Handoff(handoff) = &flow.nodes[node].kind else {
            return Step::Wait;
        };
        out.push(Action::Record(Record::HandoffResult {
            node: self.id(node),
            status,
        }));
        match status {
            HandoffStatus::Connected => match handoff.next {
                Some(next) => Step::Goto(next),
                None => {
                    self.finish(out, Some(node), Outcome::Handoff, false);
                    Step::Wait
                }
            },
            HandoffStatus::NoAnswer => Step::Goto(handoff.no_answer),
            HandoffStatus::Busy => Step::Goto(handoff.busy),
            HandoffStatus::Failed => Step::Goto(handoff.error),
        }
    }
}

fn ignored(out: &mut Vec<Action>, event: &Event, reason: &str) {
    let name = serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default();
    out.push(Action::Record(Record::EventIgnored {
        event: name,
        reason: reason.to_owned(),
    }));
}

fn script_error(out: &mut Vec<Action>, node: &str, field: &str, error: &ScriptError) {
    out.push(Action::Record(Record::ScriptError {
        node: node.to_owned(),
        field: field.to_owned(),
        error: format!("{:?}", error.kind),
        message: error.message.clone(),
    }));
}

/// Conditions count as true unless false, unit, zero or empty.
fn truthy(value: &Dynamic) -> bool {
    if let Ok(b) = value.as_bool() {
        return b;
    }
    if value.is_unit() {
        return false;
    }
    if let Ok(i) = value.as_int() {
        return i != 0;
    }
    if value.is_string() {
        return !value.clone().into_string().unwrap_or_default().is_empty();
    }
    true
}

fn call_map(call: &CallInfo) -> Map {
    let mut map = Map::new();
    map.insert("id".into(), call.call_id.clone().into());
    map.insert("channel".into(), call.channel.clone().into());
    let direction = match call.direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    };
    map.insert("direction".into(), direction.into());
    map.insert("from".into(), call.from.clone().into());
    map.insert("to".into(), call.to.clone().into());
    map.insert("started_at".into(), Dynamic::from_int(call.started_at_ms));
    map
}

/// Parses a slot value from speech or keys, honouring its pattern and range.
fn slot_value(slot: &CompiledSlot, text: &str) -> Option<Dynamic> {
    match slot.kind {
        SlotType::Digits | SlotType::OrderNumber => {
            let digits = slots::parse_digits(text);
            let candidate = match (&slot.pattern, digits) {
                (Some(pattern), Some(digits)) if pattern.is_match(&digits) => digits,
                // Order numbers may carry letters: try the text itself, tidied.
                (Some(pattern), _) => {
                    let compact: String = text
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric())
                        .map(|c| c.to_ascii_uppercase())
                        .collect();
                    pattern.is_match(&compact).then_some(compact)?
                }
                (None, digits) => digits?,
            };
            Some(candidate.into())
        }
        SlotType::Number => {
            let number = slots::parse_number(text)?;
            if slot.min.is_some_and(|min| number < min) || slot.max.is_some_and(|max| number > max)
            {
                return None;
            }
            Some(if number.fract() == 0.0 && number.abs() < 9.0e15 {
                Dynamic::from_int(number as i64)
            } else {
                Dynamic::from_float(number)
            })
        }
        SlotType::PhoneNumber => slots::parse_phone(text).map(Dynamic::from),
        SlotType::YesNo => slots::parse_yes_no(text).map(Dynamic::from_bool),
    }
}

/// A field of an HTTP response by path: `status`, `headers.<name>`, `body`, `body.a.0.b`.
fn response_field(
    status: u16,
    headers: &BTreeMap<String, String>,
    body: &str,
    json: Option<&serde_json::Value>,
    path: &[String],
) -> Dynamic {
    match path.first().map(String::as_str) {
        Some("status") => Dynamic::from_int(i64::from(status)),
        Some("headers") => path
            .get(1)
            .and_then(|name| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map_or(Dynamic::UNIT, |(_, v)| v.clone().into()),
        Some("body") => match json {
            Some(json) => {
                let mut current = json;
                for segment in &path[1..] {
                    let next = match current {
                        serde_json::Value::Object(map) => map.get(segment),
                        serde_json::Value::Array(items) => {
                            segment.parse::<usize>().ok().and_then(|i| items.get(i))
                        }
                        _ => None,
                    };
                    match next {
                        Some(value) => current = value,
                        None => return Dynamic::UNIT,
                    }
                }
                value::to_dynamic(current)
            }
            None if path.len() == 1 => body.to_owned().into(),
            None => Dynamic::UNIT,
        },
        _ => Dynamic::UNIT,
    }
}

/// A session frozen between two events; [`Session::resume`] continues it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Fingerprint of the root flow.
    pub flow: String,
    /// Callers of the active subflows, outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<FrameSnapshot>,
    pub wait: WaitSnapshot,
    pub vars: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub input: serde_json::Map<String, serde_json::Value>,
    pub call: CallInfo,
    pub steps: u32,
}

/// A subflow caller in a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameSnapshot {
    /// The `subflow` node that called.
    pub node: String,
    pub vars: serde_json::Map<String, serde_json::Value>,
}

/// What a snapshotted session waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum WaitSnapshot {
    Start,
    Input {
        node: String,
        no_match: u32,
        no_input: u32,
    },
    Http {
        node: String,
    },
    Handoff {
        node: String,
    },
    Ended {
        outcome: Outcome,
    },
}

/// Why a snapshot cannot be resumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    #[error("the snapshot was taken on another version of the flow")]
    OtherFlow,
    #[error("the snapshot names node \"{0}\", which the flow does not have")]
    UnknownNode(String),
    #[error("the snapshot's node \"{0}\" does not wait for anything")]
    NotWaiting(String),
}

impl Session {
    /// Freezes the session. The call's tenant settings are part of it.
    pub fn snapshot(&self) -> Snapshot {
        let frames = self
            .frames
            .iter()
            .map(|frame| FrameSnapshot {
                node: frame.flow.nodes[frame.node].id.clone(),
                vars: value::map_to_json(&frame.vars).unwrap_or_default(),
            })
            .collect();
        let wait = match self.wait {
            Wait::NotStarted => WaitSnapshot::Start,
            Wait::Listening {
                node,
                no_match,
                no_input,
            } => WaitSnapshot::Input {
                node: self.id(node),
                no_match,
                no_input,
            },
            Wait::Http { node } => WaitSnapshot::Http {
                node: self.id(node),
            },
            Wait::Handoff { node } => WaitSnapshot::Handoff {
                node: self.id(node),
            },
            Wait::Ended { outcome } => WaitSnapshot::Ended { outcome },
        };
        let mut call = self.call.clone();
        // Initial variables are already in `vars`.
        call.vars.clear();
        Snapshot {
            flow: self.root.fingerprint.clone(),
            frames,
            wait,
            vars: self.vars_json(),
            input: value::map_to_json(&self.bindings.input).unwrap_or_default(),
            call,
            steps: self.steps_in_call,
        }
    }

    /// Continues a snapshotted session on the same compiled flow.
    pub fn resume(root: Arc<CompiledFlow>, snapshot: Snapshot) -> Result<Session, ResumeError> {
        if snapshot.flow != root.fingerprint {
            return Err(ResumeError::OtherFlow);
        }
        let mut flow = root.clone();
        let mut frames = Vec::with_capacity(snapshot.frames.len());
        for frame in &snapshot.frames {
            let node = flow
                .node_ix(&frame.node)
                .ok_or_else(|| ResumeError::UnknownNode(frame.node.clone()))?;
            let NodeKind::Subflow(call) = &flow.nodes[node].kind else {
                return Err(ResumeError::NotWaiting(frame.node.clone()));
            };
            let child = call.flow.clone();
            frames.push(Frame {
                flow,
                node,
                vars: value::to_map(&frame.vars),
            });
            flow = child;
        }
        let lookup = |id: &str| {
            flow.node_ix(id)
                .ok_or_else(|| ResumeError::UnknownNode(id.to_owned()))
        };
        let wait = match &snapshot.wait {
            WaitSnapshot::Start => Wait::NotStarted,
            WaitSnapshot::Input {
                node,
                no_match,
                no_input,
            } => {
                let ix = lookup(node)?;
                if !matches!(flow.nodes[ix].kind, NodeKind::Listen(_)) {
                    return Err(ResumeError::NotWaiting(node.clone()));
                }
                Wait::Listening {
                    node: ix,
                    no_match: *no_match,
                    no_input: *no_input,
                }
            }
            WaitSnapshot::Http { node } => {
                let ix = lookup(node)?;
                if !matches!(flow.nodes[ix].kind, NodeKind::Http(_)) {
                    return Err(ResumeError::NotWaiting(node.clone()));
                }
                Wait::Http { node: ix }
            }
            WaitSnapshot::Handoff { node } => {
                let ix = lookup(node)?;
                if !matches!(flow.nodes[ix].kind, NodeKind::Handoff(_)) {
                    return Err(ResumeError::NotWaiting(node.clone()));
                }
                Wait::Handoff { node: ix }
            }
            WaitSnapshot::Ended { outcome } => Wait::Ended { outcome: *outcome },
        };
        let bindings = Bindings {
            vars: value::to_map(&snapshot.vars),
            call: call_map(&snapshot.call),
            input: value::to_map(&snapshot.input),
            tenant: value::to_map(&snapshot.call.tenant),
        };
        Ok(Session {
            root,
            flow,
            frames,
            wait,
            bindings,
            call: snapshot.call,
            steps_in_call: snapshot.steps,
            steps_in_turn: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::compile::{CompileOptions, CompiledFlow, RuntimeLimits};
    use crate::FlowDocument;

    fn document(value: serde_json::Value) -> FlowDocument {
        serde_json::from_value(value).expect("a well-formed flow")
    }

    fn compile_with(value: serde_json::Value, options: &CompileOptions) -> Arc<CompiledFlow> {
        CompiledFlow::compile(&document(value), options)
            .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics))
    }

    fn compile(value: serde_json::Value) -> Arc<CompiledFlow> {
        compile_with(value, &CompileOptions::default())
    }

    fn start(flow: &Arc<CompiledFlow>) -> (Session, Vec<Action>) {
        let mut session = Session::new(flow.clone(), CallInfo::default());
        let actions = session.handle(Event::Started);
        (session, actions)
    }

    fn said(actions: &[Action]) -> Vec<&str> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Say { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn records(actions: &[Action]) -> Vec<&Record> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Record(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    fn heard(text: &str) -> Event {
        Event::Heard {
            text: text.into(),
            confidence: Some(0.9),
        }
    }

    /// A flow that asks a question answered by `slot`, then says the captured value.
    fn slot_flow(slot: serde_json::Value) -> Arc<CompiledFlow> {
        compile(json!({
            "schema": 1, "name": "slot", "language": "zh-CN", "start": "ask",
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "请说", "slot": slot, "next": "echo",
                  "no_match": { "prompts": ["再说一遍"], "max": 5, "next": "bye" },
                  "no_input": { "max": 0, "next": "bye" } },
                { "id": "echo", "type": "say", "text": "值：{{vars.v}}", "next": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }))
    }

    #[test]
    fn slots_understand_chinese_and_english_answers() {
        let cases: &[(serde_json::Value, &str, serde_json::Value)] = &[
            (json!({ "var": "v", "type": "yes_no" }), "是的", json!(true)),
            (json!({ "var": "v", "type": "yes_no" }), "对", json!(true)),
            (json!({ "var": "v", "type": "yes_no" }), "好的", json!(true)),
            (
                json!({ "var": "v", "type": "yes_no" }),
                "不是",
                json!(false),
            ),
            (
                json!({ "var": "v", "type": "yes_no" }),
                "不用了",
                json!(false),
            ),
            (
                json!({ "var": "v", "type": "yes_no" }),
                "yes please",
                json!(true),
            ),
            (
                json!({ "var": "v", "type": "digits" }),
                "一二三",
                json!("123"),
            ),
            (
                json!({ "var": "v", "type": "digits" }),
                "幺三八两",
                json!("1382"),
            ),
            (
                json!({ "var": "v", "type": "digits" }),
                "one two three",
                json!("123"),
            ),
            (
                json!({ "var": "v", "type": "number", "min": 0, "max": 10 }),
                "十分",
                json!(10),
            ),
            (json!({ "var": "v", "type": "number" }), "七十五", json!(75)),
            (
                json!({ "var": "v", "type": "number" }),
                "twenty one",
                json!(21),
            ),
            (
                json!({ "var": "v", "type": "order_number", "pattern": "\\d{8}" }),
                "我的订单号是一二三四五六七八",
                json!("12345678"),
            ),
            (
                json!({ "var": "v", "type": "phone_number" }),
                "幺三八 一二三四 五六七八",
                json!("13812345678"),
            ),
        ];
        for (slot, answer, expected) in cases {
            let flow = slot_flow(slot.clone());
            let (mut session, _) = start(&flow);
            let actions = session.handle(heard(answer));
            assert_eq!(
                session.vars_json().get("v"),
                Some(expected),
                "{answer}: {actions:?}"
            );
            assert_eq!(session.outcome(), Some(Outcome::Resolved), "{answer}");
        }
    }

    #[test]
    fn a_number_out_of_range_is_a_no_match() {
        let flow = slot_flow(json!({ "var": "v", "type": "number", "min": 0, "max": 10 }));
        let (mut session, _) = start(&flow);
        let actions = session.handle(heard("十五"));
        assert_eq!(said(&actions), vec!["再说一遍"]);
        assert!(records(&actions)
            .iter()
            .any(|r| matches!(r, Record::NoMatch { count: 1, .. })));
        assert_eq!(session.current_node(), Some("ask"));
    }

    fn retry_flow() -> Arc<CompiledFlow> {
        compile(json!({
            "schema": 1, "name": "retry", "language": "zh-CN", "start": "ask",
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "请问？",
                  "intents": [ { "name": "track", "examples": ["查物流"], "next": "ok" } ],
                  "no_match": { "prompts": ["没听清", "请说查物流"], "max": 3, "next": "agent" },
                  "no_input": { "prompts": ["您还在吗"], "max": 1, "next": "bye" } },
                { "id": "ok", "type": "end", "outcome": "resolved" },
                { "id": "agent", "type": "end", "outcome": "handoff" },
                { "id": "bye", "type": "end", "outcome": "abandoned" }
            ]
        }))
    }

    #[test]
    fn no_match_prompts_escalate_then_take_the_port() {
        let (mut session, greeting) = start(&retry_flow());
        assert_eq!(said(&greeting), vec!["请问？"]);
        let lines: Vec<Vec<String>> = (0..3)
            .map(|_| {
                let actions = session.handle(heard("随便说点什么"));
                said(&actions).into_iter().map(str::to_owned).collect()
            })
            .collect();
        // The last reprompt repeats once the list runs out.
        assert_eq!(
            lines,
            vec![vec!["没听清"], vec!["请说查物流"], vec!["请说查物流"]]
        );
        // A no-input in between has its own counter.
        let actions = session.handle(Event::NoInput);
        assert_eq!(said(&actions), vec!["您还在吗"]);
        let actions = session.handle(heard("还是听不懂"));
        assert!(records(&actions)
            .iter()
            .any(|r| matches!(r, Record::NoMatch { count: 4, .. })));
        assert_eq!(session.outcome(), Some(Outcome::Handoff));
    }

    #[test]
    fn no_input_takes_its_port_after_max_reprompts() {
        let (mut session, _) = start(&retry_flow());
        session.handle(Event::NoInput);
        let actions = session.handle(Event::NoInput);
        assert!(said(&actions).is_empty());
        assert_eq!(session.outcome(), Some(Outcome::Abandoned));
        assert!(actions.contains(&Action::HangUp {
            outcome: Outcome::Abandoned
        }));
    }

    #[test]
    fn counters_reset_when_the_node_is_entered_again() {
        let flow = compile(json!({
            "schema": 1, "name": "loop", "language": "zh-CN", "start": "ask",
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "请问？",
                  "intents": [ { "name": "again", "examples": ["再来"], "next": "ask" } ],
                  "no_match": { "prompts": ["没听清"], "max": 1, "next": "bye" },
                  "no_input": { "max": 0, "next": "bye" } },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }));
        let (mut session, _) = start(&flow);
        session.handle(heard("嗯？"));
        session.handle(heard("再来"));
        let actions = session.handle(heard("嗯？"));
        assert_eq!(
            said(&actions),
            vec!["没听清"],
            "a fresh visit has a fresh counter"
        );
        assert!(!session.is_ended());
    }

    fn script_flow(code: &str) -> Arc<CompiledFlow> {
        compile(json!({
            "schema": 1, "name": "script", "language": "zh-CN", "start": "run",
            "variables": { "n": 1 },
            "nodes": [
                { "id": "run", "type": "script", "code": code, "next": "ok", "error": "broken" },
                { "id": "ok", "type": "say", "text": "完成 {{vars.n}}", "next": "ask" },
                { "id": "broken", "type": "say", "text": "出错 {{vars.n}}", "next": "ask" },
                { "id": "ask", "type": "ask", "prompt": "再试？",
                  "intents": [ { "name": "again", "examples": ["再来"], "next": "run" } ],
                  "no_match": { "max": 0, "next": "bye" }, "no_input": { "max": 0, "next": "bye" } },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }))
    }

    #[test]
    fn runaway_scripts_take_the_error_port_and_the_session_stays_usable() {
        for code in [
            "vars.n = 2; loop { }",
            "vars.n = 2; let s = \"x\"; loop { s += s; }",
            "vars.n = 2; fn f(n) { f(n + 1) } f(0);",
        ] {
            let (mut session, actions) = start(&script_flow(code));
            assert_eq!(
                said(&actions),
                vec!["出错 1", "再试？"],
                "{code}: changes are undone"
            );
            let error = records(&actions)
                .into_iter()
                .find_map(|r| match r {
                    Record::ScriptError { node, error, .. } => Some((node.clone(), error.clone())),
                    _ => None,
                })
                .expect("the failure is recorded");
            assert_eq!(error.0, "run");
            assert!(
                [
                    "TooManyOperations",
                    "Deadline",
                    "DataTooLarge",
                    "StackOverflow"
                ]
                .contains(&error.1.as_str()),
                "{code}: {}",
                error.1
            );
            // The session goes on: the next turn runs normally.
            let actions = session.handle(heard("再来"));
            assert_eq!(said(&actions)[1], "再试？");
        }
    }

    #[test]
    fn a_script_changes_vars() {
        let (_, actions) = start(&script_flow("vars.n = vars.n * 21 + 21;"));
        assert_eq!(said(&actions), vec!["完成 42", "再试？"]);
    }

    #[test]
    fn a_runaway_flow_ends_on_the_error_path() {
        let options = CompileOptions {
            limits: RuntimeLimits {
                max_steps_per_turn: 30,
                ..RuntimeLimits::default()
            },
            ..CompileOptions::default()
        };
        let flow = compile_with(
            json!({
                "schema": 1, "name": "spin", "language": "zh-CN", "start": "count",
                "variables": { "n": 0 },
                "settings": { "error_message": "系统繁忙，请稍后再拨。" },
                "nodes": [
                    { "id": "count", "type": "set", "assign": [ { "var": "n", "value": "{{vars.n + 1}}" } ], "next": "check" },
                    { "id": "check", "type": "branch", "cases": [ { "when": "vars.n > 1000", "next": "bye" } ], "else": "count" },
                    { "id": "bye", "type": "end", "outcome": "resolved" }
                ]
            }),
            &options,
        );
        let (session, actions) = start(&flow);
        assert_eq!(session.outcome(), Some(Outcome::Failed));
        assert_eq!(said(&actions), vec!["系统繁忙，请稍后再拨。"]);
        assert!(records(&actions)
            .iter()
            .any(|r| matches!(r, Record::StepLimit { limit: 30, scope, .. } if scope == "turn")));
        let entered = records(&actions)
            .iter()
            .filter(|r| matches!(r, Record::NodeEntered { .. }))
            .count();
        assert_eq!(entered, 30);
    }

    #[test]
    fn the_call_step_limit_counts_across_turns() {
        let options = CompileOptions {
            limits: RuntimeLimits {
                max_steps_per_call: 5,
                ..RuntimeLimits::default()
            },
            ..CompileOptions::default()
        };
        let flow = compile_with(
            json!({
                "schema": 1, "name": "chatty", "language": "zh-CN", "start": "ask",
                "nodes": [
                    { "id": "ask", "type": "ask", "prompt": "请说",
                      "intents": [ { "name": "again", "examples": ["再来"], "next": "ask" } ],
                      "no_match": { "max": 9, "next": "bye" }, "no_input": { "max": 9, "next": "bye" } },
                    { "id": "bye", "type": "end", "outcome": "resolved" }
                ]
            }),
            &options,
        );
        let (mut session, _) = start(&flow);
        for _ in 0..4 {
            session.handle(heard("再来"));
        }
        assert!(!session.is_ended());
        let actions = session.handle(heard("再来"));
        assert_eq!(session.outcome(), Some(Outcome::Failed));
        assert!(records(&actions)
            .iter()
            .any(|r| matches!(r, Record::StepLimit { scope, .. } if scope == "call")));
    }

    fn http_flow() -> Arc<CompiledFlow> {
        compile(json!({
            "schema": 1, "name": "http", "language": "zh-CN", "start": "lookup",
            "variables": { "order_id": "A1" },
            "nodes": [
                { "id": "lookup", "type": "http", "method": "POST",
                  "url": "{{tenant.api}}/orders/{{vars.order_id}}",
                  "headers": { "x-shop": "{{tenant.name}}" }, "body": "{\"id\": \"{{vars.order_id}}\"}",
                  "timeout_ms": 3000,
                  "save": { "status": "body.status", "first": "body.items.0.name", "code": "status",
                            "kind": "headers.Content-Type", "missing": "body.nope" },
                  "on_status": { "404": "not_found", "4xx": "client_error" },
                  "next": "found", "error": "failed" },
                { "id": "found", "type": "say", "text": "{{vars.status}} {{vars.first}} {{vars.code}} {{vars.kind}}", "next": "bye" },
                { "id": "not_found", "type": "say", "text": "没有这个订单", "next": "bye" },
                { "id": "client_error", "type": "say", "text": "请求有误 {{vars.code}}", "next": "bye" },
                { "id": "failed", "type": "say", "text": "系统忙", "next": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }))
    }

    fn start_http() -> (Session, HttpRequest) {
        let mut tenant = serde_json::Map::new();
        tenant.insert("api".into(), json!("https://shop.test/api"));
        tenant.insert("name".into(), json!("演示商城"));
        let mut session = Session::new(
            http_flow(),
            CallInfo {
                tenant,
                ..CallInfo::default()
            },
        );
        let actions = session.handle(Event::Started);
        let request = actions
            .into_iter()
            .find_map(|a| match a {
                Action::Http(request) => Some(request),
                _ => None,
            })
            .expect("an HTTP request");
        (session, request)
    }

    #[test]
    fn http_requests_are_rendered_and_responses_saved() {
        let (mut session, request) = start_http();
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(request.url, "https://shop.test/api/orders/A1");
        assert_eq!(
            request.headers,
            vec![("x-shop".to_owned(), "演示商城".to_owned())]
        );
        assert_eq!(request.body.as_deref(), Some("{\"id\": \"A1\"}"));
        assert_eq!(request.timeout_ms, 3000);
        assert_eq!(session.current_node(), Some("lookup"));
        let mut headers = BTreeMap::new();
        headers.insert("content-type".to_owned(), "application/json".to_owned());
        let actions = session.handle(Event::HttpResponse {
            status: 200,
            headers,
            body: r#"{"status":"shipped","items":[{"name":"T恤"}]}"#.into(),
        });
        assert_eq!(said(&actions), vec!["shipped T恤 200 application/json"]);
        assert_eq!(
            session.vars_json().get("missing"),
            Some(&serde_json::Value::Null)
        );
    }

    #[test]
    fn http_status_ports_exact_before_class_then_error() {
        for (status, expected) in [
            (404, "没有这个订单"),
            (409, "请求有误 409"),
            (500, "系统忙"),
            (302, "系统忙"),
        ] {
            let (mut session, _) = start_http();
            let actions = session.handle(Event::HttpResponse {
                status,
                headers: BTreeMap::new(),
                body: "not json".into(),
            });
            assert_eq!(said(&actions), vec![expected], "{status}");
        }
        let (mut session, _) = start_http();
        let actions = session.handle(Event::HttpFailed {
            error: "timeout".into(),
        });
        assert_eq!(said(&actions), vec!["系统忙"]);
        assert!(records(&actions)
            .iter()
            .any(|r| matches!(r, Record::HttpResult { status: None, error: Some(e), .. } if e == "timeout")));
    }

    fn handoff_flow() -> Arc<CompiledFlow> {
        compile(json!({
            "schema": 1, "name": "handoff", "language": "zh-CN", "start": "ask",
            "variables": { "order_id": "123" },
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "请问？",
                  "intents": [ { "name": "track", "examples": ["查物流"], "next": "bye" } ],
                  "no_match": { "max": 0, "next": "agent" }, "no_input": { "max": 0, "next": "bye" } },
                { "id": "agent", "type": "handoff", "queue": "after-sales", "message": "正在转接",
                  "summary": "订单{{vars.order_id}}", "busy": "busy", "error": "sorry" },
                { "id": "busy", "type": "say", "text": "坐席忙", "next": "fail" },
                { "id": "sorry", "type": "say", "text": "转接失败", "next": "fail" },
                { "id": "fail", "type": "end", "outcome": "failed" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ],
            "global_intents": [ { "name": "human", "examples": ["转人工"], "dtmf": "0", "next": "agent" } ]
        }))
    }

    #[test]
    fn handoff_results_take_their_ports() {
        for (status, lines, outcome) in [
            (HandoffStatus::Connected, vec![], Outcome::Handoff),
            (HandoffStatus::Busy, vec!["坐席忙"], Outcome::Failed),
            (HandoffStatus::NoAnswer, vec!["转接失败"], Outcome::Failed),
            (HandoffStatus::Failed, vec!["转接失败"], Outcome::Failed),
        ] {
            let (mut session, _) = start(&handoff_flow());
            let actions = session.handle(heard("我要转人工"));
            assert_eq!(said(&actions), vec!["正在转接"]);
            let transfer = actions
                .iter()
                .find_map(|a| match a {
                    Action::Transfer(t) => Some(t.clone()),
                    _ => None,
                })
                .expect("a transfer");
            assert_eq!(transfer.target, TransferTarget::Queue("after-sales".into()));
            assert_eq!(transfer.summary, "订单123");
            assert_eq!(transfer.vars.get("order_id"), Some(&json!("123")));
            let actions = session.handle(Event::HandoffResult { status });
            assert_eq!(said(&actions), lines, "{status:?}");
            assert_eq!(session.outcome(), Some(outcome), "{status:?}");
            let hung_up = actions.iter().any(|a| matches!(a, Action::HangUp { .. }));
            assert_eq!(
                hung_up,
                status != HandoffStatus::Connected,
                "an agent's call is not hung up"
            );
        }
    }

    #[test]
    fn a_global_intent_works_by_key_and_is_recorded_as_global() {
        let (mut session, _) = start(&handoff_flow());
        let actions = session.handle(Event::Digits {
            digits: "0#".into(),
        });
        assert!(records(&actions)
            .iter()
            .any(|r| matches!(r, Record::Digits { intent: Some(i), .. } if i == "human")));
        let (mut session, _) = start(&handoff_flow());
        let actions = session.handle(heard("转人工"));
        assert!(records(&actions).iter().any(
            |r| matches!(r, Record::Heard { intent: Some(i), global: true, .. } if i == "human")
        ));
    }

    #[test]
    fn events_out_of_place_are_ignored_and_recorded() {
        let flow = handoff_flow();
        let mut session = Session::new(flow.clone(), CallInfo::default());
        let actions = session.handle(heard("喂"));
        assert!(matches!(
            records(&actions)[..],
            [Record::EventIgnored { .. }]
        ));
        session.handle(Event::Started);
        let actions = session.handle(Event::HttpFailed { error: "x".into() });
        assert!(matches!(
            records(&actions)[..],
            [Record::EventIgnored { .. }]
        ));
        assert_eq!(session.current_node(), Some("ask"));
        let actions = session.handle(Event::PlaybackInterrupted);
        assert!(matches!(records(&actions)[..], [Record::BargeIn { node }] if node == "ask"));
        let actions = session.handle(Event::HungUp);
        assert!(!actions.iter().any(|a| matches!(a, Action::HangUp { .. })));
        assert_eq!(session.outcome(), Some(Outcome::Abandoned));
        let actions = session.handle(Event::Started);
        assert!(matches!(
            records(&actions)[..],
            [Record::EventIgnored { .. }]
        ));
    }

    fn with_subflow() -> Arc<CompiledFlow> {
        let child = compile(json!({
            "schema": 1, "name": "collect-phone", "language": "zh-CN", "start": "ask",
            "variables": { "phone": "", "greeting": "" },
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "{{vars.greeting}}请说手机号",
                  "slot": { "var": "phone", "type": "phone_number" }, "next": "done",
                  "no_match": { "max": 0, "next": "failed" }, "no_input": { "max": 0, "next": "failed" } },
                { "id": "done", "type": "end", "outcome": "resolved" },
                { "id": "failed", "type": "end", "outcome": "failed" }
            ],
            "global_intents": [ { "name": "back", "examples": ["返回"], "next": "failed" } ]
        }));
        let mut subflows = BTreeMap::new();
        subflows.insert("collect-phone".to_owned(), child);
        compile_with(
            json!({
                "schema": 1, "name": "parent", "language": "zh-CN", "start": "call",
                "variables": { "mobile": "", "name": "张伟" },
                "nodes": [
                    { "id": "call", "type": "subflow", "flow": "collect-phone",
                      "inputs": { "greeting": "{{vars.name}}您好，" }, "outputs": { "mobile": "phone" },
                      "next": "thanks", "error": "sorry" },
                    { "id": "thanks", "type": "say", "text": "已记录{{vars.mobile}}，{{vars.name}}", "next": "bye" },
                    { "id": "sorry", "type": "say", "text": "没有记录", "next": "bye" },
                    { "id": "agent", "type": "handoff", "queue": "q", "error": "bye" },
                    { "id": "bye", "type": "end", "outcome": "resolved" }
                ],
                "global_intents": [ { "name": "human", "examples": ["转人工"], "next": "agent" } ]
            }),
            &CompileOptions {
                subflows,
                ..CompileOptions::default()
            },
        )
    }

    #[test]
    fn subflows_take_inputs_and_return_outputs() {
        let (mut session, actions) = start(&with_subflow());
        assert_eq!(said(&actions), vec!["张伟您好，请说手机号"]);
        assert_eq!(session.current_node(), Some("ask"));
        let actions = session.handle(heard("13812345678"));
        assert_eq!(
            said(&actions),
            vec!["已记录13812345678，张伟"],
            "the parent's vars are back"
        );
        assert_eq!(session.outcome(), Some(Outcome::Resolved));
    }

    #[test]
    fn a_failed_subflow_takes_the_error_port() {
        let (mut session, _) = start(&with_subflow());
        let actions = session.handle(heard("返回"));
        assert_eq!(said(&actions), vec!["没有记录"]);
    }

    #[test]
    fn a_parent_global_intent_leaves_the_subflow() {
        let (mut session, _) = start(&with_subflow());
        let snapshot = session.snapshot();
        assert_eq!(
            snapshot.frames.len(),
            1,
            "the subflow's caller is in the snapshot"
        );
        let mut resumed = Session::resume(session.flow().clone(), snapshot.clone());
        assert!(
            matches!(resumed, Err(ResumeError::OtherFlow)),
            "resume takes the root flow"
        );
        resumed = Session::resume(with_subflow(), snapshot);
        let mut resumed = resumed.expect("resumes");
        for session in [&mut session, &mut resumed] {
            let actions = session.handle(heard("转人工"));
            assert!(actions.iter().any(|a| matches!(a, Action::Transfer(_))));
            assert_eq!(session.current_node(), Some("agent"));
            assert_eq!(session.vars_json().get("name"), Some(&json!("张伟")));
        }
    }
}
