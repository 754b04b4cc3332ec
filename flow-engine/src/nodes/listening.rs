//! How `ask` and `menu` listen: what the caller's answer matches (the flow's global intents
//! first, then the node's intents, its slot or any answer; an answer the slot reads goes to
//! an intent only when it is one of its examples word for word), and escalating reprompts on
//! no-match and no-input before their ports are taken.

use std::collections::HashMap;
use std::sync::Arc;

use rhai::Dynamic;

use super::answer;
use super::ask::{Captured, CompiledSlot};
use super::Run;
use crate::compile::{NodeCompiler, NodeIx};
use crate::emotion::rounded;
use crate::model::{InputMode, Intent, Retry};
use crate::msg;
use crate::nlu::{self, IntentIndex, IntentMatch, IntentSpec, Scope, Utterance};
use crate::runtime::{Action, Event, Listen, Record, Step, Visit, Wait};
use crate::slots;
use crate::template::Template;
use crate::validate::{shorten, Checker, Diagnostic, MAX_RETRIES};
use crate::value;

/// Checks the reprompts of a `no_match` or `no_input` at `base`.
pub(crate) fn check_retry(c: &mut Checker<'_>, node: Option<&str>, base: &str, retry: &Retry) {
    for (i, prompt) in retry.prompts.iter().enumerate() {
        c.template(node, format!("{base}/prompts/{i}"), prompt);
    }
    if retry.max > MAX_RETRIES {
        let message = msg!("out_of_range.retries", count = retry.max, max = MAX_RETRIES);
        c.error("out_of_range", node, format!("{base}/max"), message);
    }
}

/// Global intents are checked before a listening node's own, so equal names or keys on the
/// node are never reached.
pub(crate) fn check_shadowing(
    c: &mut Checker<'_>,
    node: Option<&str>,
    field: String,
    name: Option<&str>,
    key: Option<&str>,
) {
    if let Some(name) = name.filter(|n| c.globals.names.contains_key(n)) {
        let message = msg!("intent_name_conflict", name = shorten(name, 60));
        c.warning(
            "intent_name_conflict",
            node,
            format!("{field}/name"),
            message,
        );
    }
    if let Some(key) = key {
        if let Some(&j) = c.globals.keys.get(key) {
            let global = c
                .globals
                .intents
                .get(j)
                .map(|i| i.name.as_str())
                .unwrap_or_default();
            let message = msg!("shadowed_key", key = key, intent = shorten(global, 60));
            c.warning("shadowed_key", node, field, message);
        }
    }
}

/// Intents with their ports, their DTMF keys and their matcher.
pub(crate) struct IntentSet {
    pub names: Vec<String>,
    pub targets: Vec<NodeIx>,
    pub keys: Vec<(String, usize)>,
    pub index: Arc<IntentIndex>,
}

impl IntentSet {
    pub fn new(
        intents: &[Intent],
        ids: &HashMap<String, NodeIx>,
        scope: Scope,
    ) -> Option<IntentSet> {
        if intents.is_empty() {
            return None;
        }
        Some(IntentSet {
            names: intents.iter().map(|i| i.name.clone()).collect(),
            targets: intents.iter().map(|i| ids[&i.next]).collect(),
            keys: intents
                .iter()
                .enumerate()
                .filter_map(|(n, i)| Some((i.dtmf.clone()?, n)))
                .collect(),
            index: nlu::shared(
                intents.iter().map(|i| IntentSpec {
                    examples: &i.examples,
                    keywords: &i.keywords,
                }),
                scope,
            ),
        })
    }

    pub fn by_key(&self, digits: &str) -> Option<usize> {
        self.keys
            .iter()
            .find(|(key, _)| key == digits)
            .map(|(_, n)| *n)
    }
}

/// An `ask` or a `menu`, compiled: says a prompt and waits for the caller.
pub(crate) struct Listener {
    pub prompt: Template,
    pub modes: Vec<InputMode>,
    pub intents: Option<IntentSet>,
    pub slot: Option<CompiledSlot>,
    pub save_as: Option<String>,
    pub next: Option<NodeIx>,
    pub no_match: CompiledRetry,
    pub no_input: CompiledRetry,
    pub timeout_ms: u32,
    pub hints: Vec<String>,
    pub max_digits: Option<u32>,
    pub finish_on_key: Option<String>,
    pub threshold: f32,
    pub global_intents: bool,
    pub barge_in: bool,
    pub voice: Option<String>,
}

pub(crate) struct CompiledRetry {
    pub prompts: Vec<Template>,
    pub max: u32,
    pub next: NodeIx,
}

impl CompiledRetry {
    pub fn compile(c: &NodeCompiler<'_>, base: &str, retry: &Retry) -> Result<Self, Diagnostic> {
        Ok(CompiledRetry {
            prompts: retry
                .prompts
                .iter()
                .enumerate()
                .map(|(i, p)| c.template(&format!("{base}/prompts/{i}"), p))
                .collect::<Result<_, _>>()?,
            max: retry.max,
            next: c.port(&format!("{base}/next"), &retry.next)?,
        })
    }
}

/// An intent recognised in an answer: its name and its score.
pub(crate) type Recognised<'a> = Option<(&'a str, f32)>;

impl Run for Listener {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        let prompt = visit.render("/prompt", &self.prompt);
        visit.say(prompt, self.voice.clone(), self.barge_in);
        self.listen(visit);
        Step::Wait(Wait::Listening {
            node: visit.node(),
            no_match: 0,
            no_input: 0,
        })
    }

    fn resume(&self, visit: &mut Visit<'_>, wait: Wait, event: Event) -> Result<Step, Event> {
        let Wait::Listening {
            no_match, no_input, ..
        } = wait
        else {
            return Err(event);
        };
        let counts = Counts { no_match, no_input };
        match event {
            Event::PlaybackInterrupted => {
                visit.record(Record::BargeIn { node: visit.id() });
                Ok(Step::Wait(wait))
            }
            Event::Heard { text, confidence } => {
                Ok(self.on_speech(visit, counts, &text, confidence))
            }
            Event::Digits { digits } => Ok(self.on_digits(visit, counts, &digits)),
            Event::NoInput => Ok(self.on_no_input(visit, counts)),
            other => Err(other),
        }
    }
}

/// How often the caller was not understood, and how often they said nothing, at this visit.
#[derive(Clone, Copy)]
struct Counts {
    no_match: u32,
    no_input: u32,
}

impl Listener {
    fn listen(&self, visit: &mut Visit<'_>) {
        let listen = Listen {
            node: visit.id(),
            modes: self.modes.clone(),
            language: visit.flow().document.language.clone(),
            timeout_ms: self.timeout_ms,
            hints: self.hints.clone(),
            max_digits: self.max_digits,
            finish_on_key: self.finish_on_key.clone(),
            barge_in: self.barge_in,
        };
        visit.act(Action::Listen(listen));
    }

    fn on_speech(
        &self,
        visit: &mut Visit<'_>,
        counts: Counts,
        text: &str,
        confidence: Option<f32>,
    ) -> Step {
        let text = text.trim();
        if text.is_empty() {
            return self.on_no_input(visit, counts);
        }
        let utterance = Utterance::new(text);
        if let Some(step) = angry_caller(visit, text, confidence, &utterance) {
            return step;
        }
        // The node's own best intent, asked once per turn: global intents compare with it, and
        // matching takes it.
        let own = self
            .intents
            .as_ref()
            .and_then(|set| set.index.best_match(&utterance));
        if let Some(step) = self.global_intent(visit, text, confidence, &utterance, own) {
            return step;
        }
        set_input(visit, text, "", None, confidence);
        if let Some(step) = self.match_speech(visit, text, confidence, own) {
            return step;
        }
        record_heard(visit, text, None, None, false);
        if answer::from_anywhere(visit, text, self.voice.clone(), self.barge_in) {
            // Answered from the flow's FAQ: the node's own question is still open.
            let prompt = visit.render("/prompt", &self.prompt);
            visit.say(prompt, self.voice.clone(), self.barge_in);
            self.listen(visit);
            return Step::Wait(Wait::Listening {
                node: visit.node(),
                no_match: counts.no_match,
                no_input: counts.no_input,
            });
        }
        self.on_no_match(visit, counts, text)
    }

    fn on_digits(&self, visit: &mut Visit<'_>, counts: Counts, digits: &str) -> Step {
        let mut keys = digits.trim().to_owned();
        if let Some(finish) = &self.finish_on_key {
            if keys.len() > finish.len() && keys.ends_with(finish.as_str()) {
                keys.truncate(keys.len() - finish.len());
            }
        }
        if let Some(step) = self.match_digits(visit, &keys) {
            return step;
        }
        record_digits(visit, &keys, None);
        self.on_no_match(visit, counts, &keys)
    }

    fn on_no_match(&self, visit: &mut Visit<'_>, counts: Counts, answer: &str) -> Step {
        let count = counts.no_match + 1;
        visit.record(Record::NoMatch {
            node: visit.id(),
            count,
            text: answer.to_owned(),
        });
        self.retry(visit, &self.no_match, count, |no_match| Counts {
            no_match,
            ..counts
        })
    }

    fn on_no_input(&self, visit: &mut Visit<'_>, counts: Counts) -> Step {
        let count = counts.no_input + 1;
        visit.record(Record::NoInput {
            node: visit.id(),
            count,
        });
        self.retry(visit, &self.no_input, count, |no_input| Counts {
            no_input,
            ..counts
        })
    }

    /// Reprompts and listens again, or takes the retry's port once `max` reprompts were used.
    fn retry(
        &self,
        visit: &mut Visit<'_>,
        retry: &CompiledRetry,
        count: u32,
        counts: impl Fn(u32) -> Counts,
    ) -> Step {
        if count > retry.max {
            return Step::Goto(retry.next);
        }
        let prompt = match retry
            .prompts
            .get(count as usize - 1)
            .or(retry.prompts.last())
        {
            Some(reprompt) => visit.render("/reprompt", reprompt),
            None => visit.render("/prompt", &self.prompt),
        };
        visit.say(prompt, self.voice.clone(), self.barge_in);
        self.listen(visit);
        let counts = counts(count);
        Step::Wait(Wait::Listening {
            node: visit.node(),
            no_match: counts.no_match,
            no_input: counts.no_input,
        })
    }

    /// A global intent of this flow or of any flow that called it, when it beats the node's own.
    fn global_intent(
        &self,
        visit: &mut Visit<'_>,
        text: &str,
        confidence: Option<f32>,
        utterance: &Utterance,
        own: Option<IntentMatch>,
    ) -> Option<Step> {
        if !self.global_intents {
            return None;
        }
        let local = own
            .filter(|m| m.score >= self.threshold)
            .map_or(0.0, |m| m.score);
        global_intent(visit, text, confidence, utterance, local)
    }

    fn match_speech(
        &self,
        visit: &mut Visit<'_>,
        text: &str,
        confidence: Option<f32>,
        own: Option<IntentMatch>,
    ) -> Option<Step> {
        let speech = self.modes.contains(&InputMode::Speech);
        // What the node asks for, when the answer gives it: an answer the slot reads (五分 for a
        // score, 不需要 for a yes/no) is what was asked, unless it is one of an intent's
        // examples word for word; so is one out of the slot's range (十五分 for 0 to 10), which
        // hears the question again rather than an intent's guess.
        let captured = self
            .slot
            .as_ref()
            .and_then(|slot| slot.value(text, visit.today()));
        let answered = captured.is_some()
            || self
                .slot
                .as_ref()
                .is_some_and(|slot| slot.out_of_range(text));
        if let Some(set) = &self.intents {
            // A spoken key ("按一", "one") picks a keyed intent, as a key press would.
            let keyed =
                slots::parse_key(text).and_then(|key| set.by_key(key.encode_utf8(&mut [0; 4])));
            let best = keyed.map(|index| (index, 1.0)).or_else(|| {
                speech
                    .then_some(own)
                    .flatten()
                    .filter(|m| m.score >= self.threshold)
                    .filter(|m| !answered || m.score >= 1.0)
                    .map(|m| (m.index, m.score))
            });
            if let Some((index, score)) = best {
                let intent = Some((set.names[index].as_str(), score));
                record_heard(visit, text, confidence, intent, false);
                set_input(visit, text, "", intent, confidence);
                self.save_answer(visit, text);
                return Some(Step::Goto(set.targets[index]));
            }
        }
        if let Some(slot) = &self.slot {
            let captured = captured?;
            record_heard(visit, text, confidence, None, false);
            return Some(self.fill_slot(visit, slot, captured, text));
        }
        if self.intents.is_none() {
            let next = self.next?;
            record_heard(visit, text, confidence, None, false);
            self.save_answer(visit, text);
            return Some(Step::Goto(next));
        }
        None
    }

    fn match_digits(&self, visit: &mut Visit<'_>, keys: &str) -> Option<Step> {
        if self.global_intents {
            if let Some(step) = keyed_global(visit, keys) {
                return Some(step);
            }
        }
        if keys.is_empty() {
            return None;
        }
        if let Some(set) = &self.intents {
            if let Some(index) = set.by_key(keys) {
                let name = set.names[index].as_str();
                record_digits(visit, keys, Some(name));
                set_input(visit, "", keys, Some((name, 1.0)), None);
                self.save_answer(visit, keys);
                return Some(Step::Goto(set.targets[index]));
            }
        }
        if let Some(slot) = &self.slot {
            let captured = slot.value(keys, visit.today())?;
            record_digits(visit, keys, None);
            set_input(visit, "", keys, None, None);
            return Some(self.fill_slot(visit, slot, captured, keys));
        }
        if self.intents.is_none() {
            let next = self.next?;
            record_digits(visit, keys, None);
            set_input(visit, "", keys, None, None);
            self.save_answer(visit, keys);
            return Some(Step::Goto(next));
        }
        None
    }

    fn fill_slot(
        &self,
        visit: &mut Visit<'_>,
        slot: &CompiledSlot,
        captured: Captured,
        raw: &str,
    ) -> Step {
        visit.record(Record::SlotFilled {
            node: visit.id(),
            var: slot.var.clone(),
            value: value::to_json(&captured.value).unwrap_or_default(),
        });
        visit
            .vars()
            .insert(slot.var.as_str().into(), captured.value);
        if let Some(var) = &slot.currency_var {
            let currency = captured.currency.unwrap_or_default();
            visit.vars().insert(var.as_str().into(), currency.into());
        }
        self.save_answer(visit, raw);
        match self.next {
            Some(next) => Step::Goto(next),
            None => Step::Goto(self.no_match.next),
        }
    }

    fn save_answer(&self, visit: &mut Visit<'_>, answer: &str) {
        if let Some(var) = &self.save_as {
            visit.vars().insert(var.as_str().into(), answer.into());
        }
    }
}

/// A global intent of the call's flow or of any flow that called it, when it scores above its
/// flow's threshold and above `local` (the best of the node's own intents): recorded, and the
/// step to its target.
pub(crate) fn global_intent(
    visit: &mut Visit<'_>,
    text: &str,
    confidence: Option<f32>,
    utterance: &Utterance,
    local: f32,
) -> Option<Step> {
    // A confidence is at most 1 (a verbatim example): nothing can beat the node's own then.
    if local >= 1.0 {
        return None;
    }
    for level in (0..=visit.depth()).rev() {
        let flow = visit.flow_at(level).clone();
        let Some(set) = &flow.global_intents else {
            continue;
        };
        let Some(found) = set.index.best_match(utterance) else {
            continue;
        };
        if found.score < flow.threshold || found.score <= local {
            continue;
        }
        let intent = Some((set.names[found.index].as_str(), found.score));
        record_heard(visit, text, confidence, intent, true);
        set_input(visit, text, "", intent, confidence);
        visit.unwind_to(level);
        return Some(Step::Goto(set.targets[found.index]));
    }
    None
}

/// Scores what the caller said into the call's anger; when it reaches the angry-caller
/// threshold of the call's flow or of a flow that called it (the innermost that has one), the
/// step to its node, recorded. It fires again only after the caller's anger fell below the
/// threshold, so one outburst sends a caller there once.
pub(crate) fn angry_caller(
    visit: &mut Visit<'_>,
    text: &str,
    confidence: Option<f32>,
    heard: &Utterance,
) -> Option<Step> {
    let anger = visit.hear_emotion(text, heard);
    let (level, trigger) = (0..=visit.depth())
        .rev()
        .find_map(|level| Some((level, visit.flow_at(level).angry_caller?)))?;
    if anger < trigger.threshold {
        visit.set_angry_fired(false);
        return None;
    }
    if visit.angry_fired() {
        return None;
    }
    visit.set_angry_fired(true);
    record_heard(visit, text, confidence, None, false);
    set_input(visit, text, "", None, confidence);
    let next = visit.flow_at(level).nodes[trigger.next].id.clone();
    visit.record(Record::EmotionTriggered {
        node: visit.id(),
        anger: rounded(anger),
        threshold: rounded(trigger.threshold),
        next,
    });
    visit.unwind_to(level);
    Some(Step::Goto(trigger.next))
}

/// The innermost global intent with this key, recorded, and the step to its target.
pub(crate) fn keyed_global(visit: &mut Visit<'_>, keys: &str) -> Option<Step> {
    if keys.is_empty() {
        return None;
    }
    let (name, target, level) = (0..=visit.depth()).rev().find_map(|level| {
        let set = visit.flow_at(level).global_intents.as_ref()?;
        let index = set.by_key(keys)?;
        Some((set.names[index].clone(), set.targets[index], level))
    })?;
    record_digits(visit, keys, Some(&name));
    set_input(visit, "", keys, Some((&name, 1.0)), None);
    visit.unwind_to(level);
    Some(Step::Goto(target))
}

/// What scripts and templates see of the answer as `input`.
pub(crate) fn set_input(
    visit: &mut Visit<'_>,
    text: &str,
    digits: &str,
    intent: Recognised<'_>,
    confidence: Option<f32>,
) {
    if let Some((name, _)) = intent {
        visit.recognised(name);
    }
    let mut score = intent.map_or(Dynamic::UNIT, |(_, score)| {
        Dynamic::from_float(f64::from(score))
    });
    let mut confidence = confidence.map_or(Dynamic::UNIT, |c| Dynamic::from_float(f64::from(c)));
    // Set in place: every turn sets the same entries, and building the map anew cost a good
    // part of a turn's allocations. Texts are left as they are when the same (a turn sets
    // `input` again once its intent is known).
    value::set_exactly(
        &mut visit.bindings().input,
        &INPUT_KEYS,
        |key, slot| match key {
            "text" => value::set_text(slot, Some(text)),
            "digits" => value::set_text(slot, Some(digits)),
            "intent" => value::set_text(slot, intent.map(|(name, _)| name)),
            "score" => *slot = std::mem::take(&mut score),
            "confidence" => *slot = std::mem::take(&mut confidence),
            _ => {}
        },
    );
}

/// What `input` holds after a turn, in the order a map keeps them.
const INPUT_KEYS: [&str; 5] = ["confidence", "digits", "intent", "score", "text"];

pub(crate) fn record_heard(
    visit: &mut Visit<'_>,
    text: &str,
    confidence: Option<f32>,
    intent: Recognised<'_>,
    global: bool,
) {
    visit.record(Record::Heard {
        node: visit.id(),
        text: text.to_owned(),
        confidence,
        intent: intent.map(|(name, _)| name.to_owned()),
        score: intent.map(|(_, score)| score),
        global,
        emotion: visit.heard_emotion(),
    });
}

pub(crate) fn record_digits(visit: &mut Visit<'_>, keys: &str, intent: Option<&str>) {
    visit.record(Record::Digits {
        node: visit.id(),
        digits: keys.to_owned(),
        intent: intent.map(str::to_owned),
    });
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use crate::compile::CompiledFlow;
    use crate::emotion::{Label, ANGRY};
    use crate::model::Outcome;
    use crate::runtime::{Action, Event, HandoffStatus, HeardEmotion, Record, Session, Snapshot};
    use crate::testing::{compile, handoff_flow, heard, records, said, start};

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
    fn input_holds_the_last_turn_only() {
        let flow = retry_flow();
        let (mut session, _) = start(&flow);
        session.handle(heard("随便说点什么"));
        let mut snapshot = session.snapshot();
        snapshot
            .input
            .insert("old".into(), json!("from an older version"));
        let mut session = Session::resume(flow.clone(), snapshot).expect("resumes");
        session.handle(heard("还是听不懂"));
        let input = session.snapshot().input;
        let mut keys: Vec<&str> = input.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["confidence", "digits", "intent", "score", "text"]);
        assert_eq!(input["text"], "还是听不懂");
        assert_eq!(input["intent"], serde_json::Value::Null);
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

    #[test]
    fn ranking_a_sentence_shows_the_intent_and_the_runner_up() {
        let flow = compile(json!({
            "schema": 1, "name": "rank", "language": "zh-CN", "start": "ask",
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "请问？",
                  "intents": [
                    { "name": "track", "examples": ["查物流", "我的快递到哪了", "帮我查一下订单", "包裹什么时候到"], "next": "ok" },
                    { "name": "refund", "examples": ["我要退款", "申请退款", "钱什么时候退给我"], "next": "ok" }
                  ],
                  "no_match": { "next": "ok" }, "no_input": { "next": "ok" } },
                { "id": "ok", "type": "end", "outcome": "resolved" }
            ]
        }));
        let r = flow.rank_intents("ask", "帮我查一下物流");
        let r = r.as_ref();
        assert_eq!(r.and_then(|r| r.intent.as_deref()), Some("track"));
        assert_eq!(
            r.map(|r| r.ranking.iter().map(|x| x.0.as_str()).collect::<Vec<_>>()),
            Some(vec!["track", "refund"])
        );
        assert!(r.is_some_and(|r| r.confidence >= r.threshold && r.ranking[1].1 < r.confidence));
        let unrelated = flow.rank_intents("ask", "明天天气怎么样");
        assert_eq!(unrelated.map(|r| r.intent), Some(None));
        assert!(flow.rank_intents("ok", "查物流").is_none());
        assert!(flow.rank_intents("nowhere", "查物流").is_none());
    }

    /// A question, a menu, and a handoff that an angry caller is sent to; a busy line comes
    /// back to the question.
    fn angry_flow(threshold: Option<f32>) -> Arc<CompiledFlow> {
        let mut flow = json!({
            "schema": 1, "name": "angry", "language": "zh-CN", "start": "ask",
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "请问有什么可以帮您？",
                  "intents": [ { "name": "track", "examples": ["查物流"], "next": "menu" } ],
                  "no_match": { "prompts": ["没听清"], "max": 5, "next": "bye" },
                  "no_input": { "max": 0, "next": "bye" } },
                { "id": "menu", "type": "menu", "prompt": "查物流按1",
                  "choices": [ { "key": "1", "next": "bye" } ],
                  "no_match": { "prompts": ["请按1"], "max": 5, "next": "bye" },
                  "no_input": { "max": 0, "next": "bye" } },
                { "id": "agent", "type": "handoff", "queue": "complaints", "message": "正在转接",
                  "busy": "ask", "error": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ],
            "angry_caller": { "next": "agent" }
        });
        if let Some(threshold) = threshold {
            flow["angry_caller"]["threshold"] = json!(threshold);
        }
        compile(flow)
    }

    const ANGRY_ZH: &str = "太失望了，我要投诉！";

    fn triggered(actions: &[Action]) -> Vec<(String, String)> {
        records(actions)
            .into_iter()
            .filter_map(|r| match r {
                Record::EmotionTriggered { node, next, .. } => {
                    Some((node.to_string(), next.to_string()))
                }
                _ => None,
            })
            .collect()
    }

    fn heard_emotion(actions: &[Action]) -> Option<HeardEmotion> {
        records(actions).into_iter().find_map(|r| match r {
            Record::Heard { emotion, .. } => *emotion,
            _ => None,
        })
    }

    fn transferred(actions: &[Action]) -> bool {
        actions.iter().any(|a| matches!(a, Action::Transfer(_)))
    }

    #[test]
    fn an_angry_caller_goes_to_the_trigger_node_from_an_ask() {
        let (mut session, _) = start(&angry_flow(None));
        let actions = session.handle(heard(ANGRY_ZH));
        assert_eq!(triggered(&actions), vec![("ask".into(), "agent".into())]);
        assert!(transferred(&actions));
        let emotion = heard_emotion(&actions).expect("the heard record carries the emotion");
        assert_eq!(emotion.label, Label::Angry);
        assert!(emotion.anger >= f64::from(ANGRY) && emotion.trend >= emotion.anger);
        let record = records(&actions)
            .into_iter()
            .find(|r| matches!(r, Record::Heard { .. }))
            .expect("heard");
        let data = serde_json::to_value(record).expect("serialises");
        let anger = data["emotion"]["anger"].to_string();
        assert!(anger.len() <= 4, "recorded to two decimals: {data}");
        assert!(
            !records(&actions)
                .iter()
                .any(|r| matches!(r, Record::NoMatch { .. })),
            "the trigger replaces the node's own handling"
        );
    }

    #[test]
    fn an_angry_caller_goes_to_the_trigger_node_from_a_menu_and_in_english() {
        let (mut session, _) = start(&angry_flow(None));
        let calm = session.handle(heard("查物流"));
        assert!(triggered(&calm).is_empty());
        assert_eq!(session.current_node(), Some("menu"));
        let actions = session.handle(heard("This is ridiculous, I want to complain!"));
        assert_eq!(triggered(&actions), vec![("menu".into(), "agent".into())]);
        assert!(transferred(&actions));
    }

    #[test]
    fn calm_and_unhappy_turns_are_scored_but_do_not_fire() {
        let (mut session, _) = start(&angry_flow(None));
        for text in ["你好", "我的快递有点慢", "查物流"] {
            let actions = session.handle(heard(text));
            assert!(triggered(&actions).is_empty(), "{text}");
            let emotion = heard_emotion(&actions).expect("every utterance is scored");
            assert_ne!(emotion.label, Label::Angry, "{text}");
            assert!(emotion.trend < f64::from(ANGRY), "{text}: {emotion:?}");
        }
        assert_eq!(session.current_node(), Some("menu"));
        assert_eq!(session.emotion().turns, 3);
        // A higher threshold lets an outburst through that the default would catch.
        let (mut session, _) = start(&angry_flow(Some(0.99)));
        let actions = session.handle(heard(ANGRY_ZH));
        assert!(triggered(&actions).is_empty());
        assert_eq!(session.current_node(), Some("ask"));
    }

    #[test]
    fn it_fires_once_until_the_caller_calms_down() {
        let (mut session, _) = start(&angry_flow(None));
        session.handle(heard(ANGRY_ZH));
        let back = session.handle(Event::HandoffResult {
            status: HandoffStatus::Busy,
        });
        assert_eq!(said(&back), vec!["请问有什么可以帮您？"]);
        let still = session.handle(heard("你们这服务太垃圾了！"));
        assert!(heard_emotion(&still).is_some_and(|e| e.trend >= f64::from(ANGRY)));
        assert!(triggered(&still).is_empty(), "still angry: no second jump");
        assert_eq!(session.current_node(), Some("ask"));
        for _ in 0..3 {
            session.handle(heard("好的，谢谢"));
        }
        assert!(session.emotion().level < ANGRY);
        let again = session.handle(heard(ANGRY_ZH));
        assert_eq!(triggered(&again), vec![("ask".into(), "agent".into())]);
    }

    #[test]
    fn a_snapshot_keeps_the_anger_and_whether_the_trigger_fired() {
        let flow = angry_flow(None);
        let (mut session, _) = start(&flow);
        session.handle(heard(ANGRY_ZH));
        session.handle(Event::HandoffResult {
            status: HandoffStatus::Busy,
        });
        let snapshot = session.snapshot();
        let text = serde_json::to_string(&snapshot).expect("serialises");
        let read: Snapshot = serde_json::from_str(&text).expect("reads back");
        assert_eq!(read, snapshot);
        let mut resumed = Session::resume(flow.clone(), read).expect("resumes");
        assert_eq!(resumed.emotion(), session.emotion());
        assert!(resumed.emotion().level >= ANGRY);
        let still = resumed.handle(heard("你们这服务太垃圾了！"));
        assert!(heard_emotion(&still).is_some_and(|e| e.trend >= f64::from(ANGRY)));
        assert!(
            triggered(&still).is_empty(),
            "the resumed call knows it fired"
        );

        // A snapshot from before the trend was kept resumes with a calm caller.
        let mut old = serde_json::to_value(&snapshot).expect("serialises");
        let fields = old.as_object_mut().expect("an object");
        assert!(fields.remove("emotion").is_some() && fields.remove("angry_fired").is_some());
        let old: Snapshot = serde_json::from_value(old).expect("old snapshots still read");
        let mut resumed = Session::resume(flow, old).expect("resumes");
        assert!(resumed.emotion().is_new());
        let actions = resumed.handle(heard(ANGRY_ZH));
        assert_eq!(triggered(&actions), vec![("ask".into(), "agent".into())]);
    }

    #[test]
    fn without_the_trigger_utterances_are_still_scored() {
        let (mut session, _) = start(&handoff_flow());
        let actions = session.handle(heard(ANGRY_ZH));
        assert!(triggered(&actions).is_empty());
        assert_eq!(heard_emotion(&actions).map(|e| e.label), Some(Label::Angry));
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
}
