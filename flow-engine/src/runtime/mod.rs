//! The sans-I/O runtime. A call is a [`Session`]: the driver feeds it [`Event`]s and carries out
//! the [`Action`]s it returns. Time, I/O results and the caller's input all arrive as events, so
//! a conversation is deterministic and can be replayed or resumed from a [`Snapshot`] anywhere.
//! What a call does at each kind of node is in that kind's module of `nodes`.

mod kept;
mod protocol;
mod snapshot;
mod visit;

use std::borrow::Cow;
use std::sync::Arc;

use rhai::{Dynamic, Map};

use crate::compile::{CompiledFlow, NodeIx};
use crate::emotion::Trend;
use crate::knowledge::Knowledge;
use crate::messages::term;
use crate::model::Outcome;
use crate::nodes::answer::Stage;
use crate::script::{Bindings, ScriptError, ScriptErrorKind};
use crate::template::Template;
use crate::value;

pub use protocol::script_error_reason;
pub use protocol::{
    Action, CallInfo, ChosenRoute, Direction, Event, HandoffStatus, HeardEmotion, HttpFailure,
    HttpRequest, Listen, NodeId, Record, Transfer, TransferTarget,
};
pub use snapshot::{
    AnswerStageSnapshot, CandidateSnapshot, FrameSnapshot, ResumeError, Snapshot, WaitSnapshot,
};
pub(crate) use visit::Visit;

/// What the session waits for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Wait {
    NotStarted,
    /// For the caller, at an `ask` or a `menu`, with how often it was not understood and how
    /// often it said nothing there.
    Listening {
        node: NodeIx,
        no_match: u32,
        no_input: u32,
    },
    /// For the caller, at an `answer` node: its question, which entry was meant, or whether
    /// the answer helped. The entries it considers are those of `revision`.
    Answering {
        node: NodeIx,
        revision: i64,
        stage: Stage,
        no_input: u32,
    },
    /// For the answer to an HTTP request.
    Http {
        node: NodeIx,
    },
    /// For the result of a transfer.
    Handoff {
        node: NodeIx,
    },
    Ended {
        outcome: Outcome,
    },
}

impl Wait {
    /// The node the session waits at.
    fn node(self) -> Option<NodeIx> {
        match self {
            Wait::Listening { node, .. }
            | Wait::Answering { node, .. }
            | Wait::Http { node }
            | Wait::Handoff { node } => Some(node),
            Wait::NotStarted | Wait::Ended { .. } => None,
        }
    }
}

/// Where the call goes after a node.
pub(crate) enum Step {
    /// On to this node, in the same turn.
    Goto(NodeIx),
    /// Nowhere until the next event: the turn ends.
    Wait(Wait),
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
    /// The knowledge bases the call may search, pinned at the revisions it started with.
    knowledge: Knowledge,
    steps_in_call: u32,
    steps_in_turn: u32,
    /// The caller's anger over the call's turns.
    emotion: Trend,
    /// Whether the angry-caller trigger fired and the caller has not calmed down below its
    /// threshold since.
    angry_fired: bool,
    /// The emotion of what the caller said in this turn, for its `heard` record.
    heard: Option<HeardEmotion>,
    /// The last intent recognised in the call: what the caller wanted stays known after they
    /// answer the next question with an order number.
    intent: Option<String>,
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
            customer: value::to_map(&call.customer),
        };
        Session {
            root: flow.clone(),
            flow,
            frames: Vec::new(),
            wait: Wait::NotStarted,
            bindings,
            call,
            knowledge: Knowledge::default(),
            steps_in_call: 0,
            steps_in_turn: 0,
            emotion: Trend::default(),
            angry_fired: false,
            heard: None,
            intent: None,
        }
        .with_conversation_facts()
    }

    /// Puts what the call learnt so far into the `call` map expressions see (see
    /// [`conversation_facts`]); after every change to it, so that no expression sees it stale.
    fn refresh_conversation_facts(&mut self) {
        conversation_facts(
            &mut self.bindings.call,
            &self.root.document.language,
            self.intent.as_deref(),
            &self.emotion,
        );
    }

    fn with_conversation_facts(mut self) -> Self {
        self.refresh_conversation_facts();
        self
    }

    /// [`Session::refresh_conversation_facts`] after the intent alone changed.
    fn refresh_intent_fact(&mut self) {
        intent_fact(&mut self.bindings.call, self.intent.as_deref());
    }

    /// [`Session::refresh_conversation_facts`] after the emotion alone changed.
    fn refresh_emotion_facts(&mut self) {
        emotion_facts(&mut self.bindings.call, &self.emotion);
    }

    /// Gives the session the knowledge bases its flow's `answer` nodes search. The driver does
    /// this after [`Session::new`] and after every [`Session::resume`], with the same revisions
    /// for the whole call.
    pub fn set_knowledge(&mut self, knowledge: Knowledge) {
        self.knowledge = knowledge;
    }

    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    /// Tells the session who is calling, as the driver's customer lookup found them (the
    /// lookup is I/O, so the driver makes it and does this before [`Event::Started`]). The
    /// flow reads it, read-only, as `customer`; snapshots keep it.
    pub fn set_customer(&mut self, customer: serde_json::Map<String, serde_json::Value>) {
        self.bindings.customer = value::to_map(&customer);
        self.call.customer = customer;
    }

    /// Handles one event and returns what to do.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        self.handle_into(event, &mut out);
        out
    }

    /// Like [`Session::handle`], appending to a buffer the driver reuses.
    pub fn handle_into(&mut self, event: Event, out: &mut Vec<Action>) {
        let first = out.len();
        let was_ended = self.is_ended();
        self.step(event, out);
        self.keep_records(&mut out[first..]);
        if self.is_ended() && !was_ended {
            self.forget_personal_data();
        }
    }

    /// Runs the flow on one event.
    fn step(&mut self, event: Event, out: &mut Vec<Action>) {
        self.steps_in_turn = 0;
        self.heard = None;
        let step = match (self.wait, event) {
            (Wait::Ended { .. }, event) => {
                ignored(out, &event, "the call has ended");
                return;
            }
            (_, Event::HungUp) => {
                self.wait = self.finish(out, None, Outcome::Abandoned, false);
                return;
            }
            (Wait::NotStarted, Event::Started) => Step::Goto(self.flow.start),
            (Wait::NotStarted, event) => {
                ignored(out, &event, "the call has not started");
                return;
            }
            (
                wait @ (Wait::Listening { node, .. }
                | Wait::Answering { node, .. }
                | Wait::Http { node }
                | Wait::Handoff { node }),
                event,
            ) => {
                let flow = self.flow.clone();
                let mut visit = Visit::new(self, out, node);
                match flow.nodes[node].kind.resume(&mut visit, wait, event) {
                    Ok(step) => step,
                    Err(event @ Event::PlaybackInterrupted) => {
                        ignored(out, &event, "no prompt can be interrupted now");
                        return;
                    }
                    Err(event) => {
                        ignored(out, &event, "the session is not waiting for this event");
                        return;
                    }
                }
            }
        };
        match step {
            Step::Goto(node) => self.run(out, node),
            Step::Wait(wait) => self.wait = wait,
        }
    }

    /// The id of the node the session waits at (or ended at).
    pub fn current_node(&self) -> Option<&str> {
        self.wait.node().map(|node| &*self.flow.nodes[node].id)
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
        matches!(self.wait, Wait::Listening { .. } | Wait::Answering { .. })
    }

    /// The caller's anger over the call so far.
    pub fn emotion(&self) -> &Trend {
        &self.emotion
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

    fn id(&self, node: NodeIx) -> NodeId {
        self.flow.nodes[node].id.clone()
    }

    /// Runs nodes from `node` until the flow must wait or ends.
    fn run(&mut self, out: &mut Vec<Action>, mut node: NodeIx) {
        loop {
            if let Some((limit, scope)) = self.count_step() {
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
                node_type: Cow::Borrowed(compiled.type_name),
            }));
            match compiled.kind.enter(&mut Visit::new(self, out, node)) {
                Step::Goto(next) => node = next,
                Step::Wait(wait) => {
                    self.wait = wait;
                    return;
                }
            }
        }
    }

    /// Counts a step; the limit and its scope (`turn` or `call`) once one is exceeded.
    fn count_step(&mut self) -> Option<(u32, &'static str)> {
        let limits = self.root.limits;
        self.steps_in_turn += 1;
        self.steps_in_call += 1;
        if self.steps_in_turn > limits.max_steps_per_turn {
            Some((limits.max_steps_per_turn, "turn"))
        } else if self.steps_in_call > limits.max_steps_per_call {
            Some((limits.max_steps_per_call, "call"))
        } else {
            None
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
            Ok(_) => ScriptError::new(
                ScriptErrorKind::UnstorableValue,
                term("script.value_unstorable"),
                0,
                0,
            ),
            Err(error) => error,
        };
        script_error(out, &self.flow.nodes[node].id, field, &error);
        None
    }

    /// Ends the call, and returns the wait that says so. `hang_up` is false when the caller
    /// hung up or an agent took the call.
    fn finish(
        &self,
        out: &mut Vec<Action>,
        node: Option<NodeIx>,
        outcome: Outcome,
        hang_up: bool,
    ) -> Wait {
        self.record_results(out);
        out.push(Action::Record(Record::Ended {
            node: node.map(|n| self.id(n)),
            outcome,
        }));
        if hang_up {
            out.push(Action::HangUp { outcome });
        }
        Wait::Ended { outcome }
    }

    /// A record of each variable the flow marks as a result that holds a value of its kind.
    /// The results are the flow's own variables: inside a subflow they are its caller's.
    fn record_results(&self, out: &mut Vec<Action>) {
        let results = &self.root.document.settings.results;
        if results.is_empty() {
            return;
        }
        let vars = self
            .frames
            .first()
            .map_or(&self.bindings.vars, |frame| &frame.vars);
        for result in results {
            let Some(value) = vars
                .get(result.var.as_str())
                .and_then(value::to_json)
                .and_then(|value| result.kind.value_of(&value))
            else {
                continue;
            };
            out.push(Action::Record(Record::Result {
                var: result.var.clone(),
                kind: result.kind,
                value,
            }));
        }
    }

    /// The flow's clear error path: the error message, if any, then hang up as failed.
    fn fail(&mut self, out: &mut Vec<Action>, node: NodeIx) {
        if let Some(message) = self.root.error_message.clone() {
            let text = self.render(out, node, "/settings/error_message", &message);
            let voice = self.root.document.settings.voice.clone();
            self.say(out, node, text, voice, false);
        }
        self.wait = self.finish(out, Some(node), Outcome::Failed, true);
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
        node: node.into(),
        field: field.to_owned(),
        error: format!("{:?}", error.kind),
        message: error.message.clone(),
        text: Some((&error.text).into()),
    }));
}

/// What conditions, templates and scripts see of the conversation beside the call's fixed
/// facts: `call.language` (the flow's language), `call.intent` (the last intent recognised in the
/// call), `call.anger` (the caller's anger over the call, 0 to 1, what `angry_caller` compares
/// with its threshold) and `call.emotion` (`angry` while that anger is, otherwise how the last
/// answer sounded: `negative`, `neutral`, `positive`). Kept in `call`, the one map every
/// expression already reads, so that a `branch` and a handoff's routing rules ask the same
/// questions the same way. Unknown yet, `intent` and `emotion` are `()`.
fn conversation_facts(call: &mut Map, language: &str, intent: Option<&str>, emotion: &Trend) {
    value::put_text(call, "language", Some(language));
    intent_fact(call, intent);
    emotion_facts(call, emotion);
}

fn intent_fact(call: &mut Map, intent: Option<&str>) {
    value::put_text(call, "intent", intent);
}

fn emotion_facts(call: &mut Map, emotion: &Trend) {
    value::put(
        call,
        "anger",
        Dynamic::from_float(crate::emotion::rounded(emotion.level)),
    );
    value::put_text(call, "emotion", emotion.label().map(|label| label.as_str()));
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
    map.insert(
        "utc_offset_minutes".into(),
        Dynamic::from_int(i64::from(call.utc_offset_minutes)),
    );
    map.insert("today".into(), call.local_date().to_string().into());
    map
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::compile::{CompileOptions, RuntimeLimits};
    use crate::model::Outcome;
    use crate::runtime::{Action, CallInfo, Event, HttpFailure, Record, Session};
    use crate::testing::{compile, compile_with, handoff_flow, heard, records, said, start};

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
        let actions = session.handle(Event::HttpFailed {
            failure: HttpFailure::Failed,
            error: "x".into(),
        });
        assert!(matches!(
            records(&actions)[..],
            [Record::EventIgnored { .. }]
        ));
        assert_eq!(session.current_node(), Some("ask"));
        let actions = session.handle(Event::PlaybackInterrupted);
        assert!(matches!(records(&actions)[..], [Record::BargeIn { node }] if &**node == "ask"));
        let actions = session.handle(Event::HungUp);
        assert!(!actions.iter().any(|a| matches!(a, Action::HangUp { .. })));
        assert_eq!(session.outcome(), Some(Outcome::Abandoned));
        let actions = session.handle(Event::Started);
        assert!(matches!(
            records(&actions)[..],
            [Record::EventIgnored { .. }]
        ));
    }

    #[test]
    fn the_customer_is_read_only_to_the_flow_and_kept_in_snapshots() {
        let flow = compile(json!({
            "schema": 1, "name": "greet", "language": "zh-CN", "start": "hello",
            "nodes": [
                { "id": "hello", "type": "say", "text": "{{customer.name}}您好", "next": "vip" },
                { "id": "vip", "type": "branch",
                  "cases": [ { "when": "customer.vip_level >= 2", "next": "ask" } ], "else": "ask" },
                { "id": "ask", "type": "ask", "prompt": "请说", "save_as": "said", "next": "bye",
                  "no_match": { "next": "bye" }, "no_input": { "next": "bye" } },
                { "id": "bye", "type": "say", "text": "再见，{{customer.name}}", "next": "end" },
                { "id": "end", "type": "end", "outcome": "resolved" }
            ]
        }));
        let mut customer = serde_json::Map::new();
        customer.insert("name".into(), json!("张先生"));
        customer.insert("vip_level".into(), json!(2));
        let call = CallInfo {
            customer,
            ..CallInfo::default()
        };
        let mut session = Session::new(flow.clone(), call);
        assert_eq!(
            said(&session.handle(Event::Started)),
            vec!["张先生您好", "请说"]
        );
        let snapshot = serde_json::to_value(session.snapshot()).expect("serializes");
        assert_eq!(snapshot["call"]["customer"]["name"], "张先生");
        let snapshot = serde_json::from_value(snapshot).expect("deserializes");
        let mut resumed = Session::resume(flow.clone(), snapshot).expect("resumes");
        assert_eq!(said(&resumed.handle(heard("好的"))), vec!["再见，张先生"]);

        // Nobody found: the same flow runs, the name is simply left out.
        let (_, actions) = start(&flow);
        assert_eq!(said(&actions), vec!["您好", "请说"]);
    }

    fn survey() -> serde_json::Value {
        json!({
            "schema": 1, "name": "survey", "language": "zh-CN", "start": "q1",
            "variables": { "comment": "" },
            "settings": { "results": [
                { "var": "score", "kind": "score" },
                { "var": "comment", "kind": "text" },
                { "var": "plan", "kind": "choice" }
            ] },
            "nodes": [
                { "id": "q1", "type": "ask", "prompt": "打几分？", "save_as": "score", "next": "q2",
                  "no_match": { "next": "q2" }, "no_input": { "next": "q2" } },
                { "id": "q2", "type": "ask", "prompt": "还有什么建议？", "save_as": "comment",
                  "next": "done", "no_match": { "next": "done" }, "no_input": { "next": "done" } },
                { "id": "done", "type": "end", "outcome": "resolved" }
            ]
        })
    }

    fn results(actions: &[Action]) -> Vec<(String, String, serde_json::Value)> {
        records(actions)
            .into_iter()
            .filter_map(|r| match r {
                Record::Result { var, kind, value } => {
                    Some((var.clone(), kind.as_str().to_owned(), value.clone()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_call_that_ends_records_the_results_that_hold_a_value_just_before_its_end() {
        let (mut session, first) = start(&compile(survey()));
        assert!(results(&first).is_empty(), "no result before the end");
        let second = session.handle(heard(" 9 "));
        assert!(results(&second).is_empty(), "no result before the end");
        let last = session.handle(heard("送货再快点"));
        assert_eq!(
            results(&last),
            vec![
                ("score".to_owned(), "score".to_owned(), json!(9)),
                ("comment".to_owned(), "text".to_owned(), json!("送货再快点")),
            ],
            "the spoken digits are a number, and `plan`, never set, has no record"
        );
        let kinds: Vec<&Record> = records(&last);
        let ended = kinds
            .iter()
            .position(|r| matches!(r, Record::Ended { .. }))
            .expect("ended");
        assert!(matches!(kinds[ended - 1], Record::Result { .. }));
        assert!(matches!(kinds[ended - 2], Record::Result { .. }));
        // The record's own kind is `result`; the result's kind is a field of its own.
        let data = serde_json::to_value(kinds[ended - 2]).expect("serializes");
        assert_eq!(data["kind"], "result");
        assert_eq!(data["result_kind"], "score");
        assert_eq!(data["var"], "score");
    }

    #[test]
    fn a_caller_who_hangs_up_leaves_the_results_given_so_far_and_no_score_that_is_no_number() {
        let (mut session, _) = start(&compile(survey()));
        session.handle(heard("不知道"));
        let actions = session.handle(Event::HungUp);
        assert!(
            results(&actions).is_empty(),
            "不知道 is no score and the comment is empty: {:?}",
            results(&actions)
        );

        let (mut session, _) = start(&compile(survey()));
        session.handle(heard("7.5"));
        let actions = session.handle(Event::HungUp);
        assert_eq!(
            results(&actions),
            vec![("score".to_owned(), "score".to_owned(), json!(7.5))]
        );
        assert!(matches!(
            records(&actions).last(),
            Some(Record::Ended {
                outcome: Outcome::Abandoned,
                ..
            })
        ));
    }
}
