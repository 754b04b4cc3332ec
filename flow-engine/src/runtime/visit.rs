//! What a node's run step sees of its session: the node the call is at, the variables, the
//! flows the call is in, and the actions it adds to the turn.

use std::sync::Arc;

use rhai::{Dynamic, Map, AST};

use super::{Action, Frame, HeardEmotion, NodeId, Record, Session, Step};
use crate::calendar::Date;
use crate::compile::{CompiledFlow, NodeIx, RuntimeLimits};
use crate::condition::Condition;
use crate::emotion;
use crate::knowledge::Knowledge;
use crate::model::Outcome;
use crate::script::{Bindings, ScriptError};
use crate::template::Template;

/// A session at one node during a turn.
pub(crate) struct Visit<'s> {
    session: &'s mut Session,
    out: &'s mut Vec<Action>,
    node: NodeIx,
}

impl<'s> Visit<'s> {
    pub(super) fn new(session: &'s mut Session, out: &'s mut Vec<Action>, node: NodeIx) -> Self {
        Visit { session, out, node }
    }

    pub fn node(&self) -> NodeIx {
        self.node
    }

    /// The node's id.
    pub fn id(&self) -> NodeId {
        self.session.id(self.node)
    }

    /// The flow the call is in (a subflow while one runs).
    pub fn flow(&self) -> &Arc<CompiledFlow> {
        &self.session.flow
    }

    /// The limits of the call's own flow, which hold in its subflows too.
    pub fn limits(&self) -> RuntimeLimits {
        self.session.root.limits
    }

    /// The knowledge bases the call may search.
    pub fn knowledge(&self) -> &Knowledge {
        &self.session.knowledge
    }

    /// What the caller last said (`input.text`), empty when they pressed keys or said nothing.
    pub fn input_text(&self) -> String {
        self.session
            .bindings
            .input
            .get("text")
            .and_then(|text| text.clone().into_string().ok())
            .unwrap_or_default()
    }

    /// Scores what the caller said, once per utterance, into the call's anger over its turns;
    /// returns that anger. `heard` is the text as analysed for intents: its words and features
    /// are the anger rules' and model's too. The utterance's emotion goes on the turn's `heard`
    /// record.
    pub fn hear_emotion(&mut self, text: &str, heard: &crate::nlu::Utterance) -> f32 {
        let emotion = emotion::score_heard(text, heard);
        let normalized = heard.normalized();
        let trend = self
            .session
            .emotion
            .observe_normalized(&emotion, normalized);
        self.session.heard = Some(HeardEmotion::new(&emotion, trend));
        self.session.refresh_emotion_facts();
        trend
    }

    /// Remembers the intent the caller's answer was recognised as, for `call.intent`.
    pub fn recognised(&mut self, intent: &str) {
        if self.session.intent.as_deref() != Some(intent) {
            self.session.intent = Some(intent.to_owned());
            self.session.refresh_intent_fact();
        }
    }

    /// The emotion of what the caller said in this turn, once scored.
    pub fn heard_emotion(&self) -> Option<HeardEmotion> {
        self.session.heard
    }

    /// Whether the angry-caller trigger has fired and the caller not calmed down since.
    pub fn angry_fired(&self) -> bool {
        self.session.angry_fired
    }

    pub fn set_angry_fired(&mut self, fired: bool) {
        self.session.angry_fired = fired;
    }

    pub fn act(&mut self, action: Action) {
        self.out.push(action);
    }

    pub fn record(&mut self, record: Record) {
        self.out.push(Action::Record(record));
    }

    /// The call's local date, which date slots are resolved against.
    pub fn today(&self) -> Date {
        self.session.call.local_date()
    }

    pub fn bindings(&mut self) -> &mut Bindings {
        &mut self.session.bindings
    }

    pub fn vars(&mut self) -> &mut Map {
        &mut self.session.bindings.vars
    }

    pub fn vars_json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.session.vars_json()
    }

    /// Renders a template of the node's `field`; a failure is recorded and renders as nothing.
    pub fn render(&mut self, field: &str, template: &Template) -> String {
        self.session.render(self.out, self.node, field, template)
    }

    /// Evaluates a template of the node's `field` to a value `vars` can hold; a failure is
    /// recorded.
    pub fn evaluate(&mut self, field: &str, template: &Template) -> Option<Dynamic> {
        self.session.evaluate(self.out, self.node, field, template)
    }

    pub fn holds(&mut self, condition: &Condition) -> Result<bool, ScriptError> {
        let session = &mut *self.session;
        condition.holds(&session.flow.sandbox, &mut session.bindings)
    }

    pub fn run_script(&mut self, ast: &AST) -> Result<(), ScriptError> {
        let session = &mut *self.session;
        session.flow.sandbox.run_script(ast, &mut session.bindings)
    }

    /// Records a failed expression or script of the node's `field`.
    pub fn script_error(&mut self, field: &str, error: &ScriptError) {
        let id = self.id();
        super::script_error(self.out, &id, field, error);
    }

    /// Says a text, unless it is empty.
    pub fn say(&mut self, text: String, voice: Option<String>, barge_in: bool) {
        self.session.say(self.out, self.node, text, voice, barge_in);
    }

    /// Ends the call here. `hang_up` is false when an agent took the call.
    pub fn finish(&mut self, outcome: Outcome, hang_up: bool) -> Step {
        Step::Wait(
            self.session
                .finish(self.out, Some(self.node), outcome, hang_up),
        )
    }

    /// How many subflows the call is in.
    pub fn depth(&self) -> usize {
        self.session.frames.len()
    }

    /// The flow at `level`: 0 is the call's own, [`Visit::depth`] the one the call is in.
    pub fn flow_at(&self, level: usize) -> &Arc<CompiledFlow> {
        match self.session.frames.get(level) {
            Some(frame) => &frame.flow,
            None => &self.session.flow,
        }
    }

    /// Leaves every subflow above `level`.
    pub fn unwind_to(&mut self, level: usize) {
        let session = &mut *self.session;
        while session.frames.len() > level {
            if let Some(frame) = session.frames.pop() {
                session.bindings.vars = frame.vars;
                session.flow = frame.flow;
            }
        }
    }

    /// Enters `flow` from this node, with `vars` as its variables.
    pub fn call_subflow(&mut self, flow: &Arc<CompiledFlow>, vars: Map) {
        let session = &mut *self.session;
        let parent_vars = std::mem::replace(&mut session.bindings.vars, vars);
        session.frames.push(Frame {
            flow: session.flow.clone(),
            node: self.node,
            vars: parent_vars,
        });
        session.flow = flow.clone();
    }

    /// Leaves the subflow the call is in: the `subflow` node that called it, and the
    /// subflow's variables. `None` in the call's own flow.
    pub fn return_from_subflow(&mut self) -> Option<(NodeIx, Map)> {
        let session = &mut *self.session;
        let frame = session.frames.pop()?;
        let child_vars = std::mem::replace(&mut session.bindings.vars, frame.vars);
        session.flow = frame.flow;
        Some((frame.node, child_vars))
    }
}
