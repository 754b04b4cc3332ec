//! `answer`: answers the caller's question from a knowledge base (an FAQ). It finds the best
//! entry for what the caller said, says its answer, and may ask which of two or three close
//! entries was meant and whether the answer helped; "no" offers the next best entry before the
//! `unresolved` port. The flow setting "FAQ from anywhere" ([`from_anywhere`]) lets `ask` and
//! `menu` answer from a knowledge base too, before a no-match reprompt.
//!
//! The engine does no I/O: the driver gives the session its knowledge bases
//! ([`crate::runtime::Session::set_knowledge`]), pinned at the revision the call started with.

use std::sync::Arc;

use super::listening::{self, set_input, CompiledRetry};
use super::{Compiled, Kind, Ports, Run};
use crate::compile::{NodeCompiler, NodeIx};
use crate::knowledge::{self, KnowledgeHit, KnowledgeIndex};
use crate::messages::{term, Locale, Message};
use crate::model::{default_true, is_true, node_common, InputMode, Retry};
use crate::msg;
use crate::nlu::Utterance;
use crate::runtime::{Action, Event, Listen, Record, Step, Visit, Wait};
use crate::slots;
use crate::template::Template;
use crate::validate::{shorten, Checker, Diagnostic, NO_INPUT_TIMEOUT_MS};

node_common! {
    /// Answers the caller's question from a knowledge base: says the best entry's answer, asks
    /// which entry was meant when two or three are close, and may ask whether it helped.
    pub struct AnswerNode {
        /// Key of the knowledge base to search, e.g. `shop-faq` (the editor shows its name).
        pub knowledge_base: String,
        /// A question to ask first (template), e.g. 请问您想了解什么？ Without it the node answers
        /// what the caller last said (`input.text`), e.g. right after an `ask`'s no-match.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub prompt: Option<String>,
        /// Whether to ask if the answer helped (是 / 不是 / 还是不明白, keys 1 / 2 / 3). "No"
        /// offers the next best entry once, then takes `unresolved`; "still unclear" takes
        /// `unresolved` at once. Default false.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pub confirm: bool,
        /// The question asked after an answer when `confirm` is on (template); a default in
        /// the flow's language otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub confirm_prompt: Option<String>,
        /// Whether to ask which was meant when two or three entries match about equally well
        /// (by speech — the caller repeats one — or by key 1, 2, 3). Default true; when off the
        /// best entry is answered.
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub disambiguate: bool,
        /// The words before the list of close questions (template), e.g. 您是想问; a default in
        /// the flow's language otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub disambiguate_prompt: Option<String>,
        /// Taken after an answer that helped, or that was not asked about.
        pub answered: String,
        /// Taken when the knowledge base has no answer (the question is recorded as missed).
        pub no_answer: String,
        /// Taken when the caller says the answers did not help (defaults to `no_answer`);
        /// usually a handoff.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub unresolved: Option<String>,
        /// What happens when the caller says nothing to the question or to the choice; without
        /// it silence takes `no_answer`. Silence after an answer takes `answered`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub no_input: Option<Retry>,
        /// Silence before a no-input, in milliseconds (flow default otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timeout_ms: Option<u32>,
        /// Phrases that help speech recognition (e.g. product names).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub hints: Vec<String>,
        /// Whether the flow's global intents are recognised here (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub global_intents: bool,
        /// Whether the caller may interrupt the bot (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub barge_in: bool,
        /// Voice for this node only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub voice: Option<String>,
    }
}

impl Kind for AnswerNode {
    const TYPE: &'static str = "answer";
    const WAITS: bool = true;

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        ports.add("/answered", "answered", &self.answered);
        ports.add("/no_answer", "no_answer", &self.no_answer);
        if let Some(target) = &self.unresolved {
            ports.add("/unresolved", "unresolved", target);
        }
        if let Some(retry) = &self.no_input {
            ports.add("/no_input/next", "no_input", &retry.next);
        }
    }

    fn listens_to_global_intents(&self) -> bool {
        self.global_intents
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        check_knowledge_base(c, id, at("/knowledge_base"), &self.knowledge_base);
        for (field, text) in [
            ("/prompt", &self.prompt),
            ("/confirm_prompt", &self.confirm_prompt),
            ("/disambiguate_prompt", &self.disambiguate_prompt),
        ] {
            if let Some(text) = text {
                c.template(id, at(field), text);
            }
        }
        if self.confirm_prompt.is_some() && !self.confirm {
            let message = term("ignored_field.confirm_prompt");
            c.warning("ignored_field", id, at("/confirm_prompt"), message);
        }
        if self.disambiguate_prompt.is_some() && !self.disambiguate {
            let message = term("ignored_field.disambiguate_prompt");
            c.warning("ignored_field", id, at("/disambiguate_prompt"), message);
        }
        if let Some(retry) = &self.no_input {
            listening::check_retry(c, id, &at("/no_input"), retry);
        }
        c.range_u32(
            id,
            at("/timeout_ms"),
            self.timeout_ms,
            NO_INPUT_TIMEOUT_MS,
            "term.silence_timeout_ms",
        );
        c.phrases(id, base, "hints", &self.hints, "term.hint");
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        let no_answer = c.port("/no_answer", &self.no_answer)?;
        Ok(Compiled::Answer(Box::new(Answer {
            knowledge_base: self.knowledge_base.clone(),
            prompt: c.optional_template("/prompt", self.prompt.as_deref())?,
            confirm: self.confirm,
            confirm_prompt: c
                .optional_template("/confirm_prompt", self.confirm_prompt.as_deref())?,
            disambiguate: self.disambiguate,
            disambiguate_prompt: c
                .optional_template("/disambiguate_prompt", self.disambiguate_prompt.as_deref())?,
            answered: c.port("/answered", &self.answered)?,
            no_answer,
            unresolved: c
                .optional_port("/unresolved", self.unresolved.as_deref())?
                .unwrap_or(no_answer),
            no_input: self
                .no_input
                .as_ref()
                .map(|retry| CompiledRetry::compile(c, "/no_input", retry))
                .transpose()?,
            timeout_ms: c.no_input_timeout(self.timeout_ms),
            hints: self.hints.clone(),
            global_intents: self.global_intents,
            barge_in: self.barge_in,
            voice: c.voice(self.voice.as_ref()),
        })))
    }
}

/// Checks a knowledge-base key of a node or of the flow's settings: not blank and, when the
/// tenant's keys are known, one of them.
pub(crate) fn check_knowledge_base(
    c: &mut Checker<'_>,
    node: Option<&str>,
    field: String,
    key: &str,
) {
    if key.trim().is_empty() {
        let message = term("empty_value.knowledge_base");
        c.error("empty_value", node, field, message);
        return;
    }
    c.name_text(node, field.clone(), key, "term.knowledge_base_key");
    if let Some(known) = c.known_knowledge_bases {
        if !known.contains(key) {
            let message = msg!("unknown_knowledge_base", key = shorten(key, 80));
            c.error("unknown_knowledge_base", node, field, message);
        }
    }
}

/// An `answer` node, compiled.
pub(crate) struct Answer {
    pub knowledge_base: String,
    prompt: Option<Template>,
    confirm: bool,
    confirm_prompt: Option<Template>,
    disambiguate: bool,
    disambiguate_prompt: Option<Template>,
    answered: NodeIx,
    no_answer: NodeIx,
    unresolved: NodeIx,
    no_input: Option<CompiledRetry>,
    timeout_ms: u32,
    hints: Vec<String>,
    global_intents: bool,
    barge_in: bool,
    voice: Option<String>,
}

// --- retrieval ---------------------------------------------------------------------------------
//
// The index decides (its calibrated thresholds); the node keeps the runner-up of a confident
// answer to offer when the caller says it did not help.

/// What the knowledge base makes of a question.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Decision {
    /// The best entry first, then the next best (if any) to offer when the caller says "no".
    Answered(Shortlist),
    /// Two or three entries about equally good, best first.
    Ambiguous(Shortlist),
    NoAnswer,
}

fn decide(index: &KnowledgeIndex, question: &str) -> Decision {
    let ranked = index.rank(question, Shortlist::CAPACITY);
    let hits: Vec<KnowledgeHit> = ranked
        .iter()
        .map(|&(entry, _, score)| KnowledgeHit { entry, score })
        .collect();
    let settings = index.settings();
    let thresholds = &settings.thresholds;
    match knowledge::Decision::from_hits(&hits, thresholds) {
        knowledge::Decision::Answered(best) => {
            // Entries that answer about as confidently as the best: asking which one costs
            // the caller less than a coin toss.
            let rivals: Vec<KnowledgeHit> = hits
                .iter()
                .copied()
                .filter(|h| {
                    h.score >= thresholds.answer && best.score - h.score <= thresholds.close
                })
                .collect();
            if rivals.len() >= 2 {
                return Decision::Ambiguous(Shortlist::of(&rivals));
            }
            // Once the caller rules the best out, the runner-up's chance of being the answer
            // is its share of what the best leaves (the scores are chances that add up, one
            // entry answering). It is offered when that would be enough to offer a choice.
            let runner_up = hits.get(1).and_then(|h| {
                let score = (h.score / (1.0 - best.score).max(f32::EPSILON)).min(1.0);
                (score >= thresholds.ambiguous).then_some(KnowledgeHit {
                    entry: h.entry,
                    score,
                })
            });
            let list: Vec<KnowledgeHit> = std::iter::once(best).chain(runner_up).collect();
            Decision::Answered(Shortlist::of(&list))
        }
        knowledge::Decision::Ambiguous(close) => Decision::Ambiguous(Shortlist::of(&close)),
        knowledge::Decision::NoAnswer => Decision::NoAnswer,
    }
}

/// An entry of the knowledge base the call is considering, with its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    /// Index into the pinned revision's entries.
    pub entry: u32,
    pub score: f32,
}

/// At most three candidates, best first; kept in the session's wait, so it is `Copy`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Shortlist {
    items: [Candidate; Shortlist::CAPACITY],
    len: u8,
}

impl Shortlist {
    pub const CAPACITY: usize = 3;

    fn of(hits: &[KnowledgeHit]) -> Shortlist {
        Shortlist::from_candidates(hits.iter().map(|h| Candidate {
            entry: u32::try_from(h.entry).unwrap_or(u32::MAX),
            score: h.score,
        }))
    }

    pub fn from_candidates(candidates: impl IntoIterator<Item = Candidate>) -> Shortlist {
        let mut list = Shortlist {
            items: [Candidate {
                entry: 0,
                score: 0.0,
            }; Shortlist::CAPACITY],
            len: 0,
        };
        for candidate in candidates.into_iter().take(Shortlist::CAPACITY) {
            list.items[usize::from(list.len)] = candidate;
            list.len += 1;
        }
        list
    }

    pub fn as_slice(&self) -> &[Candidate] {
        &self.items[..usize::from(self.len)]
    }

    /// The list without its first candidate, keeping at most `keep`.
    fn rest(&self, keep: usize) -> Shortlist {
        Shortlist::from_candidates(self.as_slice().iter().skip(1).take(keep).copied())
    }

    /// `chosen` first, then the others in their order.
    fn with_first(&self, chosen: usize) -> Shortlist {
        let items = self.as_slice();
        Shortlist::from_candidates(
            items
                .get(chosen)
                .into_iter()
                .chain(
                    items
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != chosen)
                        .map(|(_, c)| c),
                )
                .copied(),
        )
    }
}

/// Where an `answer` node is in its conversation with the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stage {
    /// Its prompt was said; it waits for the question.
    Question,
    /// It asked which of these entries was meant.
    Choosing(Shortlist),
    /// It said the first entry's answer and asked whether it helped; the second, if any, is
    /// offered on "no".
    Feedback(Shortlist),
}

/// The caller's reaction to an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reaction {
    Helped,
    /// Not what was asked: try the next best entry.
    NotHelped,
    /// The right topic, still not understood: a person should help.
    StillUnclear,
    /// Anything else, perhaps another question.
    Other,
}

/// Words of a caller who still does not understand (checked before yes/no, since they hold a
/// negation).
const STILL_UNCLEAR: [&str; 12] = [
    "不明白",
    "不懂",
    "没懂",
    "没听懂",
    "没明白",
    "不清楚",
    "听不懂",
    "糊涂",
    "don't understand",
    "dont understand",
    "not clear",
    "confused",
];

fn reaction(text: &str) -> Reaction {
    let trimmed = text.trim();
    if trimmed == "3" || slots::parse_key(trimmed) == Some('3') {
        return Reaction::StillUnclear;
    }
    let lower = trimmed.to_lowercase();
    if STILL_UNCLEAR.iter().any(|w| lower.contains(w)) {
        return Reaction::StillUnclear;
    }
    match slots::parse_yes_no(trimmed) {
        Some(true) => Reaction::Helped,
        Some(false) => Reaction::NotHelped,
        None => Reaction::Other,
    }
}

// --- wording -----------------------------------------------------------------------------------

/// The node's built-in sentences, in the flow's language (Chinese, else English).
struct Wording {
    chinese: bool,
}

impl Wording {
    fn of(visit: &Visit<'_>) -> Wording {
        Wording {
            chinese: visit.flow().document.language.starts_with("zh"),
        }
    }

    fn confirm(&self) -> &'static str {
        if self.chinese {
            "请问这个回答对您有帮助吗？有帮助请说“是”或按1，没有请说“不是”或按2，还是不明白请按3。"
        } else {
            "Did that answer your question? Say yes or press 1, say no or press 2, or press 3 if \
             it is still unclear."
        }
    }

    fn choose_lead(&self) -> &'static str {
        if self.chinese {
            "您是想问"
        } else {
            "Did you mean"
        }
    }

    /// "您是想问：1，…；2，…；还是3，…？请说出来或按对应的数字。"
    fn choices(&self, lead: &str, questions: &[&str]) -> String {
        let last = questions.len().saturating_sub(1);
        let items: Vec<String> = questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let n = i + 1;
                match (self.chinese, i == last && i > 0) {
                    (true, true) => format!("还是{n}，{q}"),
                    (true, false) => format!("{n}，{q}"),
                    (false, true) => format!("or {n}, {q}"),
                    (false, false) => format!("{n}, {q}"),
                }
            })
            .collect();
        if self.chinese {
            format!("{lead}：{}？请说出来或按对应的数字。", items.join("；"))
        } else {
            format!("{lead}: {}? Say it, or press its number.", items.join("; "))
        }
    }

    fn next_best(&self, question: &str) -> String {
        if self.chinese {
            format!("那您问的可能是“{question}”。")
        } else {
            format!("Then perhaps you meant \"{question}\".")
        }
    }
}

// --- the run -----------------------------------------------------------------------------------

/// Why a call cannot search the node's knowledge base.
fn missing(visit: &mut Visit<'_>, key: &str, field: &str, problem: &str, reason: Message) {
    let text = msg!("knowledge.unusable", knowledge_base = key, reason = reason);
    visit.record(Record::ScriptError {
        node: visit.id(),
        field: field.to_owned(),
        error: problem.to_owned(),
        message: text.render(Locale::English),
        text: Some((&text).into()),
    });
}

impl Answer {
    /// The knowledge base, as the session was given it; a missing one is recorded.
    fn index(&self, visit: &mut Visit<'_>) -> Option<Arc<KnowledgeIndex>> {
        let index = visit.knowledge().get(&self.knowledge_base).cloned();
        if index.is_none() {
            missing(
                visit,
                &self.knowledge_base,
                "/knowledge_base",
                "KnowledgeBaseMissing",
                term("knowledge.not_given"),
            );
        }
        index
    }

    fn listen(&self, visit: &mut Visit<'_>) {
        let listen = Listen {
            node: visit.id(),
            modes: vec![InputMode::Speech, InputMode::Dtmf],
            language: visit.flow().document.language.clone(),
            timeout_ms: self.timeout_ms,
            hints: self.hints.clone(),
            max_digits: Some(1),
            finish_on_key: None,
            barge_in: self.barge_in,
        };
        visit.act(Action::Listen(listen));
    }

    fn wait(
        &self,
        visit: &mut Visit<'_>,
        index: &KnowledgeIndex,
        stage: Stage,
        no_input: u32,
    ) -> Step {
        self.listen(visit);
        Step::Wait(Wait::Answering {
            node: visit.node(),
            revision: index.revision(),
            stage,
            no_input,
        })
    }

    /// Answers `question`, asks which entry was meant, or takes `no_answer`.
    fn respond(
        &self,
        visit: &mut Visit<'_>,
        index: &KnowledgeIndex,
        question: &str,
        disambiguate: bool,
    ) -> Step {
        match decide(index, question) {
            Decision::Answered(list) => self.give(visit, index, list),
            Decision::Ambiguous(list) if disambiguate => self.offer_choice(visit, index, list, 0),
            Decision::Ambiguous(list) => self.give(visit, index, list.with_first(0)),
            Decision::NoAnswer => {
                visit.record(Record::KbMissed {
                    node: visit.id(),
                    knowledge_base: self.knowledge_base.clone(),
                    text: question.to_owned(),
                });
                Step::Goto(self.no_answer)
            }
        }
    }

    /// Says the first candidate's answer; asks whether it helped when `confirm` is on.
    fn give(&self, visit: &mut Visit<'_>, index: &KnowledgeIndex, list: Shortlist) -> Step {
        let Some(&first) = list.as_slice().first() else {
            return Step::Goto(self.no_answer);
        };
        let Some(text) = render_answer(visit, &self.knowledge_base, index, first) else {
            return Step::Goto(self.no_answer);
        };
        visit.say(text, self.voice.clone(), self.barge_in);
        if !self.confirm {
            return Step::Goto(self.answered);
        }
        let prompt = match &self.confirm_prompt {
            Some(template) => visit.render("/confirm_prompt", template),
            None => Wording::of(visit).confirm().to_owned(),
        };
        visit.say(prompt, self.voice.clone(), self.barge_in);
        self.wait(visit, index, Stage::Feedback(list), 0)
    }

    fn offer_choice(
        &self,
        visit: &mut Visit<'_>,
        index: &KnowledgeIndex,
        list: Shortlist,
        no_input: u32,
    ) -> Step {
        let wording = Wording::of(visit);
        let lead = match &self.disambiguate_prompt {
            Some(template) => visit.render("/disambiguate_prompt", template),
            None => wording.choose_lead().to_owned(),
        };
        let questions: Vec<&str> = list
            .as_slice()
            .iter()
            .filter_map(|c| index.entries().get(c.entry as usize))
            .map(|e| e.question.as_str())
            .collect();
        let text = wording.choices(lead.trim_end_matches(['：', ':', '？', '?']), &questions);
        visit.say(text, self.voice.clone(), self.barge_in);
        self.wait(visit, index, Stage::Choosing(list), no_input)
    }

    /// Which offered entry the caller's reply picks: by key or spoken number, else the offered
    /// question it is most like.
    fn chosen(&self, index: &KnowledgeIndex, list: Shortlist, reply: &str) -> Option<usize> {
        let offered = list.as_slice();
        if let Some(key) = slots::parse_key(reply).and_then(|k| k.to_digit(10)) {
            let k = key as usize;
            return (1..=offered.len()).contains(&k).then(|| k - 1);
        }
        // The offered entry the reply ranks highest, if it shares anything with any of them.
        index
            .search(reply, index.entries().len())
            .into_iter()
            .find_map(|h| offered.iter().position(|c| c.entry as usize == h.entry))
    }

    fn on_no_input(
        &self,
        visit: &mut Visit<'_>,
        index: &KnowledgeIndex,
        stage: Stage,
        count: u32,
    ) -> Step {
        if let Stage::Feedback(_) = stage {
            // Silence after an answer: it was heard, and not objected to.
            return Step::Goto(self.answered);
        }
        visit.record(Record::NoInput {
            node: visit.id(),
            count,
        });
        let Some(retry) = &self.no_input else {
            return Step::Goto(self.no_answer);
        };
        if count > retry.max {
            return Step::Goto(retry.next);
        }
        let reprompt = retry
            .prompts
            .get(count as usize - 1)
            .or(retry.prompts.last());
        match (reprompt, stage) {
            (Some(reprompt), _) => {
                let text = visit.render("/no_input/prompts", reprompt);
                visit.say(text, self.voice.clone(), self.barge_in);
            }
            (None, Stage::Choosing(list)) => return self.offer_choice(visit, index, list, count),
            (None, _) => {
                if let Some(prompt) = &self.prompt {
                    let text = visit.render("/prompt", prompt);
                    visit.say(text, self.voice.clone(), self.barge_in);
                }
            }
        }
        self.wait(visit, index, stage, count)
    }

    fn on_reply(
        &self,
        visit: &mut Visit<'_>,
        index: &KnowledgeIndex,
        stage: Stage,
        reply: &str,
    ) -> Step {
        match stage {
            Stage::Question => {
                if reply
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
                {
                    // Keys do not ask a question.
                    return Step::Goto(self.no_answer);
                }
                self.respond(visit, index, reply, self.disambiguate)
            }
            Stage::Choosing(list) => match self.chosen(index, list, reply) {
                Some(chosen) => self.give(visit, index, list.with_first(chosen)),
                // Not one of them: maybe the question in other words; answer it or not, but do
                // not ask again.
                None => self.respond(visit, index, reply, false),
            },
            Stage::Feedback(list) => self.on_feedback(visit, index, list, reply),
        }
    }

    fn on_feedback(
        &self,
        visit: &mut Visit<'_>,
        index: &KnowledgeIndex,
        list: Shortlist,
        reply: &str,
    ) -> Step {
        let Some(&given) = list.as_slice().first() else {
            return Step::Goto(self.answered);
        };
        let reaction = reaction(reply);
        if reaction != Reaction::Other {
            let entry = entry_id(index, given);
            visit.record(Record::KbFeedback {
                node: visit.id(),
                knowledge_base: self.knowledge_base.clone(),
                entry,
                helpful: reaction == Reaction::Helped,
            });
        }
        match reaction {
            Reaction::Helped => Step::Goto(self.answered),
            Reaction::StillUnclear => Step::Goto(self.unresolved),
            Reaction::NotHelped => {
                let rest = list.rest(1);
                let Some(next) = rest.as_slice().first() else {
                    return Step::Goto(self.unresolved);
                };
                if let Some(entry) = index.entries().get(next.entry as usize) {
                    let lead = Wording::of(visit).next_best(&entry.question);
                    visit.say(lead, self.voice.clone(), self.barge_in);
                }
                self.give(visit, index, rest)
            }
            // Perhaps another question: answer it when the knowledge base clearly can; else the
            // answer stands, unconfirmed.
            Reaction::Other => match decide(index, reply) {
                Decision::Answered(next) => self.give(visit, index, next),
                _ => Step::Goto(self.answered),
            },
        }
    }
}

fn entry_id(index: &KnowledgeIndex, candidate: Candidate) -> String {
    index
        .entries()
        .get(candidate.entry as usize)
        .map(|e| e.id.clone())
        .unwrap_or_default()
}

/// A candidate's answer rendered with the call's variables, recorded as `kb_answered`; `None`
/// (recorded) when the entry is not in the index or its answer is not a valid template.
fn render_answer(
    visit: &mut Visit<'_>,
    key: &str,
    index: &KnowledgeIndex,
    candidate: Candidate,
) -> Option<String> {
    let Some(entry) = index.entries().get(candidate.entry as usize) else {
        missing(
            visit,
            key,
            "/knowledge_base",
            "KnowledgeEntryMissing",
            msg!(
                "knowledge.no_entry",
                revision = index.revision(),
                entry = candidate.entry
            ),
        );
        return None;
    };
    let template = match Template::parse(&entry.answer, &visit.flow().sandbox) {
        Ok(template) => template,
        Err(error) => {
            missing(
                visit,
                key,
                "/knowledge_base",
                "AnswerTemplate",
                msg!(
                    "knowledge.bad_answer",
                    entry = &entry.id,
                    error = error.text
                ),
            );
            return None;
        }
    };
    visit.record(Record::KbAnswered {
        node: visit.id(),
        knowledge_base: key.to_owned(),
        entry: entry.id.clone(),
        score: candidate.score,
    });
    Some(visit.render("/knowledge_base", &template))
}

impl Run for Answer {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        let Some(index) = self.index(visit) else {
            return Step::Goto(self.no_answer);
        };
        match &self.prompt {
            Some(prompt) => {
                let text = visit.render("/prompt", prompt);
                visit.say(text, self.voice.clone(), self.barge_in);
                self.wait(visit, &index, Stage::Question, 0)
            }
            None => {
                let question = visit.input_text();
                if question.trim().is_empty() {
                    return Step::Goto(self.no_answer);
                }
                self.respond(visit, &index, &question, self.disambiguate)
            }
        }
    }

    fn resume(&self, visit: &mut Visit<'_>, wait: Wait, event: Event) -> Result<Step, Event> {
        let Wait::Answering {
            revision,
            stage,
            no_input,
            ..
        } = wait
        else {
            return Err(event);
        };
        if !matches!(
            event,
            Event::Heard { .. } | Event::Digits { .. } | Event::NoInput
        ) {
            return Err(event);
        }
        let Some(index) = self.index(visit) else {
            return Ok(Step::Goto(self.no_answer));
        };
        if index.revision() != revision && stage != Stage::Question {
            // The entries offered belong to another revision; their numbers mean nothing now.
            missing(
                visit,
                &self.knowledge_base,
                "/knowledge_base",
                "KnowledgeRevisionChanged",
                msg!(
                    "knowledge.revision_changed",
                    started = revision,
                    now = index.revision()
                ),
            );
            return Ok(Step::Goto(self.no_answer));
        }
        Ok(match event {
            Event::Heard { text, confidence } => {
                let text = text.trim().to_owned();
                if text.is_empty() {
                    return Ok(self.on_no_input(visit, &index, stage, no_input + 1));
                }
                // Analysed once: the anger model and the global intents read the same features.
                let utterance = Utterance::new(&text);
                if let Some(step) = listening::angry_caller(visit, &text, confidence, &utterance) {
                    return Ok(step);
                }
                if self.global_intents {
                    if let Some(step) =
                        listening::global_intent(visit, &text, confidence, &utterance, 0.0)
                    {
                        return Ok(step);
                    }
                }
                listening::record_heard(visit, &text, confidence, None, false);
                set_input(visit, &text, "", None, confidence);
                self.on_reply(visit, &index, stage, &text)
            }
            Event::Digits { digits } => {
                let keys = digits.trim().trim_end_matches('#').to_owned();
                if self.global_intents {
                    if let Some(step) = listening::keyed_global(visit, &keys) {
                        return Ok(step);
                    }
                }
                listening::record_digits(visit, &keys, None);
                set_input(visit, "", &keys, None, None);
                if keys.is_empty() {
                    return Ok(self.on_no_input(visit, &index, stage, no_input + 1));
                }
                self.on_reply(visit, &index, stage, &keys)
            }
            _ => self.on_no_input(visit, &index, stage, no_input + 1),
        })
    }
}

/// "FAQ from anywhere": when the flow's settings name a knowledge base for it and that base
/// clearly answers `text`, says the answer (recorded) and returns true; the listening node then
/// asks its own question again.
pub(crate) fn from_anywhere(
    visit: &mut Visit<'_>,
    text: &str,
    voice: Option<String>,
    barge_in: bool,
) -> bool {
    let Some(key) = visit.flow().faq_from_anywhere.clone() else {
        return false;
    };
    let Some(index) = visit.knowledge().get(&key).cloned() else {
        missing(
            visit,
            &key,
            "/settings/knowledge/knowledge_base",
            "KnowledgeBaseMissing",
            term("knowledge.not_given"),
        );
        return false;
    };
    let Decision::Answered(list) = decide(&index, text) else {
        return false;
    };
    let Some(&best) = list.as_slice().first() else {
        return false;
    };
    match render_answer(visit, &key, &index, best) {
        Some(answer) => {
            visit.say(answer, voice, barge_in);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    use serde_json::{json, Value};

    use crate::compile::CompiledFlow;
    use crate::knowledge::{Knowledge, KnowledgeEntry, KnowledgeIndex};
    use crate::model::Outcome;
    use crate::runtime::{CallInfo, Event, Record, Session, Snapshot};
    use crate::testing::{compile, flow, heard, records, said, sandbox, summary};
    use crate::validate::{validate_value, ValidationContext};

    fn entry(id: &str, question: &str, alternatives: &[&str], answer: &str) -> KnowledgeEntry {
        KnowledgeEntry {
            id: id.into(),
            question: question.into(),
            alternatives: alternatives.iter().map(|a| (*a).to_owned()).collect(),
            answer: answer.into(),
            category: "售后".into(),
        }
    }

    fn knowledge() -> Knowledge {
        let entries = vec![
            entry(
                "ship",
                "多久发货",
                &["什么时候发货", "下单后几天发货"],
                "付款后48小时内发货。",
            ),
            entry(
                "fee",
                "运费怎么算",
                &["要不要运费", "包邮吗"],
                "满{{vars.free_over}}元包邮。",
            ),
            entry(
                "return-fee",
                "退货运费谁出",
                &["退货要我出运费吗", "寄回来的运费谁承担"],
                "质量问题的退货运费我们出。",
            ),
            entry(
                "return",
                "怎么申请退货",
                &["我想退货", "东西不想要了怎么退"],
                "在订单页点申请售后，选退货。",
            ),
            entry(
                "exchange",
                "怎么申请换货",
                &["我想换货", "尺码不合适想换"],
                "在订单页点申请售后，选换货。",
            ),
            entry(
                "refund",
                "退款多久到账",
                &["钱什么时候退回来"],
                "原路退回，一到三个工作日到账。",
            ),
            entry(
                "points-use",
                "积分怎么用",
                &["积分能抵钱吗"],
                "每100积分抵1元。",
            ),
            entry(
                "points-earn",
                "积分怎么获得",
                &["怎么攒积分"],
                "每消费1元得1积分。",
            ),
        ];
        let index = Arc::new(KnowledgeIndex::new(7, entries));
        Knowledge::new(BTreeMap::from([("shop-faq".to_owned(), index)]))
    }

    fn faq_flow(extra: Value) -> Arc<CompiledFlow> {
        let mut node = json!({
            "id": "faq", "type": "answer", "knowledge_base": "shop-faq",
            "prompt": "请问您想了解什么？", "confirm": true,
            "answered": "bye", "no_answer": "missed", "unresolved": "agent",
            "no_input": { "prompts": ["您可以直接说出问题。"], "max": 1, "next": "agent" }
        });
        if let (Some(node), Some(extra)) = (node.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                if v.is_null() {
                    node.remove(k);
                } else {
                    node.insert(k.clone(), v.clone());
                }
            }
        }
        compile(json!({
            "schema": 1, "name": "faq", "language": "zh-CN", "start": "faq",
            "variables": { "free_over": 99 },
            "nodes": [
                node,
                { "id": "bye", "type": "end", "outcome": "resolved" },
                { "id": "missed", "type": "end", "outcome": "failed" },
                { "id": "agent", "type": "end", "outcome": "handoff" }
            ],
            "global_intents": [ { "name": "human", "examples": ["转人工"], "next": "agent" } ]
        }))
    }

    fn begin(flow: &Arc<CompiledFlow>) -> (Session, Vec<crate::runtime::Action>) {
        let mut session = Session::new(flow.clone(), CallInfo::default());
        session.set_knowledge(knowledge());
        let actions = session.handle(Event::Started);
        (session, actions)
    }

    fn answered(actions: &[crate::runtime::Action]) -> Vec<(String, f32)> {
        records(actions)
            .into_iter()
            .filter_map(|r| match r {
                Record::KbAnswered { entry, score, .. } => Some((entry.clone(), *score)),
                _ => None,
            })
            .collect()
    }

    fn feedback(actions: &[crate::runtime::Action]) -> Vec<(String, bool)> {
        records(actions)
            .into_iter()
            .filter_map(|r| match r {
                Record::KbFeedback { entry, helpful, .. } => Some((entry.clone(), *helpful)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_question_is_answered_with_the_flow_variables_and_confirmed() {
        let (mut session, greeting) = begin(&faq_flow(json!({})));
        assert_eq!(said(&greeting), vec!["请问您想了解什么？"]);
        let actions = session.handle(heard("包邮吗"));
        let lines = said(&actions);
        assert_eq!(lines[0], "满99元包邮。");
        assert!(lines[1].contains("有帮助"), "{lines:?}");
        let given = answered(&actions);
        assert_eq!(given.len(), 1);
        assert_eq!(given[0].0, "fee");
        assert!(given[0].1 > 0.9, "an alternative said verbatim scores high");
        assert_eq!(session.current_node(), Some("faq"));
        let actions = session.handle(heard("是的，清楚了"));
        assert_eq!(feedback(&actions), vec![("fee".to_owned(), true)]);
        assert_eq!(session.outcome(), Some(Outcome::Resolved));
    }

    #[test]
    fn without_confirm_the_answer_takes_answered_at_once() {
        let (mut session, _) = begin(&faq_flow(json!({ "confirm": null })));
        let actions = session.handle(heard("下单后几天发货"));
        assert_eq!(said(&actions), vec!["付款后48小时内发货。"]);
        assert!(feedback(&actions).is_empty());
        assert_eq!(session.outcome(), Some(Outcome::Resolved));
    }

    #[test]
    fn a_question_the_base_cannot_answer_is_recorded_as_missed() {
        let (mut session, _) = begin(&faq_flow(json!({})));
        let actions = session.handle(heard("天气怎么样"));
        assert!(answered(&actions).is_empty());
        assert!(records(&actions).iter().any(|r| matches!(
            r,
            Record::KbMissed { text, knowledge_base, .. }
                if text == "天气怎么样" && knowledge_base == "shop-faq"
        )));
        assert_eq!(session.outcome(), Some(Outcome::Failed), "took no_answer");
    }

    #[test]
    fn close_entries_are_offered_and_a_key_picks_one() {
        let (mut session, _) = begin(&faq_flow(json!({})));
        let actions = session.handle(heard("积分的事"));
        assert!(answered(&actions).is_empty(), "nothing answered yet");
        let offer = said(&actions);
        assert_eq!(offer.len(), 1);
        // Both questions are read out, numbered, whichever ranks first.
        let key = if offer[0]
            == "您是想问：1，积分怎么用；还是2，积分怎么获得？请说出来或按对应的数字。"
        {
            "1"
        } else {
            assert_eq!(
                offer[0],
                "您是想问：1，积分怎么获得；还是2，积分怎么用？请说出来或按对应的数字。"
            );
            "2"
        };
        let actions = session.handle(Event::Digits { digits: key.into() });
        assert_eq!(said(&actions)[0], "每100积分抵1元。");
        assert_eq!(answered(&actions)[0].0, "points-use");
        session.handle(Event::Digits { digits: "1".into() });
        assert_eq!(session.outcome(), Some(Outcome::Resolved));
    }

    #[test]
    fn close_entries_can_be_told_apart_by_speech() {
        let (mut session, _) = begin(&faq_flow(json!({ "confirm": null })));
        session.handle(heard("积分的事"));
        let actions = session.handle(heard("怎么用"));
        assert_eq!(answered(&actions)[0].0, "points-use");
        assert_eq!(session.outcome(), Some(Outcome::Resolved));
        // Without disambiguation the best is answered at once.
        let (mut session, _) = begin(&faq_flow(json!({ "disambiguate": false, "confirm": null })));
        let actions = session.handle(heard("积分的事"));
        assert_eq!(answered(&actions).len(), 1);
        assert_eq!(session.outcome(), Some(Outcome::Resolved));
    }

    #[test]
    fn no_offers_the_next_best_entry_then_takes_unresolved() {
        let (mut session, _) = begin(&faq_flow(json!({})));
        let actions = session.handle(heard("退货的运费怎么算"));
        assert_eq!(answered(&actions)[0].0, "fee");
        let actions = session.handle(heard("不是"));
        assert_eq!(feedback(&actions), vec![("fee".to_owned(), false)]);
        let lines = said(&actions);
        assert_eq!(lines[0], "那您问的可能是“退货运费谁出”。");
        assert_eq!(lines[1], "质量问题的退货运费我们出。");
        assert_eq!(answered(&actions)[0].0, "return-fee");
        assert_eq!(session.current_node(), Some("faq"));
        let actions = session.handle(Event::Digits { digits: "2".into() });
        assert_eq!(feedback(&actions), vec![("return-fee".to_owned(), false)]);
        assert_eq!(session.outcome(), Some(Outcome::Handoff), "took unresolved");
    }

    #[test]
    fn still_unclear_takes_unresolved_at_once() {
        let (mut session, _) = begin(&faq_flow(json!({})));
        session.handle(heard("退货怎么申请啊"));
        let actions = session.handle(heard("还是不明白"));
        assert_eq!(feedback(&actions), vec![("return".to_owned(), false)]);
        assert!(answered(&actions).is_empty(), "no second answer");
        assert_eq!(session.outcome(), Some(Outcome::Handoff));
    }

    #[test]
    fn silence_reprompts_then_takes_no_input_and_global_intents_work() {
        let (mut session, _) = begin(&faq_flow(json!({})));
        let actions = session.handle(Event::NoInput);
        assert_eq!(said(&actions), vec!["您可以直接说出问题。"]);
        session.handle(Event::NoInput);
        assert_eq!(session.outcome(), Some(Outcome::Handoff));
        let (mut session, _) = begin(&faq_flow(json!({})));
        let actions = session.handle(heard("转人工"));
        assert!(answered(&actions).is_empty());
        assert_eq!(session.outcome(), Some(Outcome::Handoff));
    }

    #[test]
    fn an_angry_caller_is_sent_on_before_the_knowledge_base_is_searched() {
        let flow = compile(json!({
            "schema": 1, "name": "faq", "language": "zh-CN", "start": "faq",
            "nodes": [
                { "id": "faq", "type": "answer", "knowledge_base": "shop-faq",
                  "prompt": "请问您想了解什么？", "answered": "bye", "no_answer": "bye" },
                { "id": "agent", "type": "end", "outcome": "handoff" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ],
            "angry_caller": { "next": "agent" }
        }));
        let (mut session, _) = begin(&flow);
        let actions = session.handle(heard("退款到现在都没到，你们这什么垃圾服务，气死我了！"));
        assert!(answered(&actions).is_empty());
        assert!(records(&actions).iter().any(
            |r| matches!(r, Record::EmotionTriggered { node, next, .. } if &**node == "faq" && &**next == "agent")
        ));
        assert_eq!(session.outcome(), Some(Outcome::Handoff));
        // A calm question is answered as before.
        let (mut session, _) = begin(&flow);
        let actions = session.handle(heard("退款多久到账"));
        assert_eq!(answered(&actions)[0].0, "refund");
    }

    #[test]
    fn without_a_prompt_it_answers_what_the_caller_just_said() {
        let flow = compile(json!({
            "schema": 1, "name": "faq", "language": "zh-CN", "start": "ask",
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "请问有什么可以帮您？",
                  "intents": [ { "name": "track", "examples": ["查物流"], "next": "bye" } ],
                  "no_match": { "max": 0, "next": "faq" }, "no_input": { "max": 0, "next": "bye" } },
                { "id": "faq", "type": "answer", "knowledge_base": "shop-faq",
                  "answered": "bye", "no_answer": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }));
        let (mut session, _) = begin(&flow);
        let actions = session.handle(heard("退款多久到账"));
        assert_eq!(said(&actions), vec!["原路退回，一到三个工作日到账。"]);
        assert_eq!(answered(&actions)[0].0, "refund");
    }

    #[test]
    fn a_session_resumes_in_the_middle_of_a_confirmation() {
        let flow = faq_flow(json!({}));
        let (mut session, _) = begin(&flow);
        session.handle(heard("退货的运费怎么算"));
        let text = serde_json::to_string(&session.snapshot()).expect("snapshot");
        assert!(text.contains("\"stage\":\"feedback\""), "{text}");
        let snapshot: Snapshot = serde_json::from_str(&text).expect("snapshot JSON");
        let mut resumed = Session::resume(flow.clone(), snapshot).expect("resumes");
        resumed.set_knowledge(knowledge());
        let actions = resumed.handle(heard("不对"));
        assert_eq!(
            answered(&actions)[0].0,
            "return-fee",
            "the next best, as before"
        );
        // A base changed under the call: its numbers mean nothing, so no_answer, recorded.
        let snapshot: Snapshot = serde_json::from_str(&text).expect("snapshot JSON");
        let mut resumed = Session::resume(flow, snapshot).expect("resumes");
        let changed = KnowledgeIndex::new(8, Vec::new());
        resumed.set_knowledge(Knowledge::new(BTreeMap::from([(
            "shop-faq".to_owned(),
            Arc::new(changed),
        )])));
        let actions = resumed.handle(heard("不对"));
        assert!(records(&actions).iter().any(
            |r| matches!(r, Record::ScriptError { error, .. } if error == "KnowledgeRevisionChanged")
        ));
        assert_eq!(resumed.outcome(), Some(Outcome::Failed));
    }

    #[test]
    fn a_missing_knowledge_base_takes_no_answer_with_an_error() {
        let flow = faq_flow(json!({}));
        let mut session = Session::new(flow, CallInfo::default());
        let actions = session.handle(Event::Started);
        assert!(said(&actions).is_empty(), "the question is not asked");
        assert!(records(&actions).iter().any(|r| matches!(
            r,
            Record::ScriptError { error, field, .. }
                if error == "KnowledgeBaseMissing" && field == "/knowledge_base"
        )));
        assert_eq!(session.outcome(), Some(Outcome::Failed));
    }

    fn anywhere_flow() -> Arc<CompiledFlow> {
        compile(json!({
            "schema": 1, "name": "orders", "language": "zh-CN", "start": "ask",
            "variables": { "free_over": 88 },
            "settings": { "knowledge": { "knowledge_base": "shop-faq", "from_anywhere": true } },
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "查物流请说查物流。",
                  "intents": [ { "name": "track", "examples": ["查物流"], "next": "bye" } ],
                  "no_match": { "prompts": ["没听清，请再说一次。"], "max": 1, "next": "bye" },
                  "no_input": { "max": 0, "next": "bye" } },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }))
    }

    #[test]
    fn faq_from_anywhere_answers_and_asks_the_node_question_again() {
        let flow = anywhere_flow();
        assert_eq!(
            flow.knowledge_bases(),
            &BTreeSet::from(["shop-faq".to_owned()])
        );
        let (mut session, _) = begin(&flow);
        let actions = session.handle(heard("要不要运费"));
        assert_eq!(said(&actions), vec!["满88元包邮。", "查物流请说查物流。"]);
        assert_eq!(answered(&actions)[0].0, "fee");
        assert!(!records(&actions)
            .iter()
            .any(|r| matches!(r, Record::NoMatch { .. })));
        assert_eq!(session.current_node(), Some("ask"));
        // Not in the FAQ: the usual no-match.
        let actions = session.handle(heard("天气怎么样"));
        assert_eq!(said(&actions), vec!["没听清，请再说一次。"]);
        assert!(answered(&actions).is_empty());
        // The node's own intents still come first.
        session.handle(heard("查物流"));
        assert_eq!(session.outcome(), Some(Outcome::Resolved));
    }

    #[test]
    fn validation_names_blank_and_unknown_knowledge_bases() {
        let sandbox = sandbox();
        let known = BTreeSet::from(["shop-faq".to_owned()]);
        let node = |key: &str| {
            flow(json!([
                { "id": "faq", "type": "answer", "knowledge_base": key,
                  "answered": "done", "no_answer": "done" },
                { "id": "done", "type": "end", "outcome": "resolved" }
            ]))
        };
        let context = ValidationContext::new(&sandbox).with_knowledge_bases(&known);
        let ok = validate_value(&node("shop-faq"), &context);
        assert!(ok.diagnostics.is_empty(), "{}", summary(&ok.diagnostics));
        let unknown = validate_value(&node("faq-old"), &context);
        let codes: Vec<(&str, Option<&str>, &str)> = unknown
            .diagnostics
            .iter()
            .map(|d| (d.code, d.node.as_deref(), d.field.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![(
                "unknown_knowledge_base",
                Some("faq"),
                "/nodes/0/knowledge_base"
            )]
        );
        let blank = validate_value(&node(" "), &context);
        assert_eq!(blank.diagnostics[0].code, "empty_value");
        let mut settings = node("shop-faq");
        settings["settings"] =
            json!({ "knowledge": { "knowledge_base": "nope", "from_anywhere": true } });
        let found = validate_value(&settings, &context);
        assert_eq!(
            found.diagnostics.len(),
            1,
            "{}",
            summary(&found.diagnostics)
        );
        assert_eq!(
            found.diagnostics[0].field,
            "/settings/knowledge/knowledge_base"
        );
        // Without the tenant's keys, any key passes.
        let unchecked = ValidationContext::new(&sandbox);
        assert!(validate_value(&node("faq-old"), &unchecked)
            .diagnostics
            .is_empty());
        let dangling = validate_value(
            &flow(json!([
                { "id": "faq", "type": "answer", "knowledge_base": "shop-faq",
                  "answered": "nowhere", "no_answer": "faq" }
            ])),
            &unchecked,
        );
        assert!(dangling
            .diagnostics
            .iter()
            .any(|d| d.code == "dangling_port" && d.field == "/nodes/0/answered"));
    }
}
