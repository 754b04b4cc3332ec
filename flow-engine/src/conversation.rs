//! Conversation tests: scripted dialogues with expected bot lines, nodes, intents, variables
//! and outcome, run against a flow with mocked HTTP. The format is documented in the README.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::calendar;
use crate::compile::CompiledFlow;
use crate::knowledge::{Knowledge, KnowledgeIndex};
use crate::knowledge_sheet::entries_from_csv;
use crate::messages::{term, Arg, Locale, Message};
use crate::model::{HttpMethod, Outcome};
use crate::msg;
use crate::runtime::{
    CallInfo, Direction, Event, HandoffStatus, HttpFailure, HttpRequest, Record, Session, Transfer,
    TransferTarget,
};
use crate::turn::{drive, Resolver, TurnOutput};

/// A file of conversations for one flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationFile {
    /// HTTP mocks shared by every conversation of the file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpMock>,
    /// Tenant settings shared by every conversation (`tenant.*` in the flow).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub tenant: serde_json::Map<String, serde_json::Value>,
    /// When every conversation of the file takes place (unless its `call` says otherwise), so
    /// that 明天 or "next Friday" always mean the same day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<Now>,
    /// Knowledge bases the flow answers from: key → an FAQ spreadsheet saved as CSV, its path
    /// relative to the test file (read with [`ConversationFile::read_knowledge`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub knowledge: BTreeMap<String, String>,
    pub conversations: Vec<Conversation>,
}

/// A moment with its UTC offset, written as in RFC 3339: `2026-06-15T10:00:00+08:00`. It sets
/// the call's start and the offset its local date is seen at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Now {
    text: String,
    epoch_ms: i64,
    utc_offset_minutes: i32,
}

impl TryFrom<String> for Now {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let parsed = calendar::parse_moment(&text)
            .and_then(|(ms, offset)| Some((ms, i32::try_from(offset).ok()?)));
        match parsed {
            Some((epoch_ms, utc_offset_minutes)) => Ok(Now {
                text,
                epoch_ms,
                utc_offset_minutes,
            }),
            None => Err(format!(
                "now: \"{text}\" is not a moment with its UTC offset, like \
                 2026-06-15T10:00:00+08:00"
            )),
        }
    }
}

impl From<Now> for String {
    fn from(now: Now) -> String {
        now.text
    }
}

/// One scripted dialogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversation {
    pub name: String,
    /// Call variables (override the flow's initial values).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub vars: serde_json::Map<String, serde_json::Value>,
    /// Tenant settings for this conversation (merged over the file's).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub tenant: serde_json::Map<String, serde_json::Value>,
    /// Call facts: channel, direction, from, to, started_at_ms or now.
    #[serde(default)]
    pub call: CallSetup,
    /// Who calls, as the tenant's customer lookup would have found them (`customer.*` in the
    /// flow); none by default, as when the lookup finds nobody or fails.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub customer: serde_json::Map<String, serde_json::Value>,
    /// HTTP mocks for this conversation, tried before the file's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpMock>,
    /// How transfers end unless a turn says otherwise (default `connected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffStatus>,
    pub turns: Vec<Turn>,
    /// The expected outcome once the turns are done; the call must have ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// Call facts for a conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSetup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub started_at_ms: i64,
    /// When the call takes place (over the file's `now`; wins over `started_at_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<Now>,
}

/// One turn: at most one caller input, then expectations. A first turn without input checks
/// what the bot does when the call starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// The caller says (or types) this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// Speech-recognition confidence for `caller`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
    /// The caller presses these keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<String>,
    /// The caller says nothing until the timeout.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub silence: bool,
    /// The caller hangs up.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hangup: bool,
    /// Every line the bot says in this turn, in order: a substring, or `/regex/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<Vec<String>>,
    /// The node the session waits at (or ended at) after the turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The intent recognised in this turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// The agent queue the call was handed to in this turn (by the handoff's routing rules, or
    /// its own queue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// The routing rule that chose that queue: its label, or its condition when it has none;
    /// `(none)` when no rule held and the node's own queue took the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Whether the other party asked in this turn not to be called again (the flow passed an
    /// `opt_out` node, which puts their number on the do-not-call list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opted_out: Option<bool>,
    /// The questions of the knowledge-base entries answered in this turn, in order (an empty
    /// list: none was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faq: Option<Vec<String>>,
    /// Variables that must hold these values after the turn.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub vars: serde_json::Map<String, serde_json::Value>,
    /// HTTP mocks for this turn only, tried first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpMock>,
    /// How a transfer in this turn ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffStatus>,
}

impl Turn {
    /// What the caller does in this turn, as the event the flow gets; `None` for a turn that
    /// only checks what the flow said first.
    pub fn input(&self) -> Option<Event> {
        if let Some(text) = &self.caller {
            Some(Event::Heard {
                text: text.clone(),
                confidence: self.confidence,
            })
        } else if let Some(digits) = &self.digits {
            Some(Event::Digits {
                digits: digits.clone(),
            })
        } else if self.silence {
            Some(Event::NoInput)
        } else if self.hangup {
            Some(Event::HungUp)
        } else {
            None
        }
    }
}

/// A canned HTTP answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpMock {
    /// Method to match (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HttpMethod>,
    /// URL to match: a substring, or `/regex/`.
    pub url: String,
    /// Status code (default 200).
    #[serde(default = "default_status")]
    pub status: u16,
    /// Response body: a string is sent as it is, anything else as JSON.
    #[serde(default)]
    pub body: serde_json::Value,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Fail without an answer, with this error (e.g. `timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn default_status() -> u16 {
    200
}

impl ConversationFile {
    /// Parses YAML (or JSON, which is YAML too).
    pub fn parse(text: &str) -> Result<ConversationFile, serde_yaml_ng::Error> {
        serde_yaml_ng::from_str(text)
    }

    /// The knowledge bases of `knowledge`, each CSV read by `read` (given its path as written
    /// in the file), at revision 1.
    pub fn read_knowledge(
        &self,
        read: impl FnMut(&str) -> Result<String, String>,
    ) -> Result<Knowledge, String> {
        knowledge_from_sheets(&self.knowledge, read)
    }
}

/// Knowledge bases from spreadsheets: for each key, the CSV at its path read by `read`, at
/// revision 1 (conversation tests, and `callflow chat --knowledge`).
pub fn knowledge_from_sheets<'a>(
    sheets: impl IntoIterator<Item = (&'a String, &'a String)>,
    mut read: impl FnMut(&str) -> Result<String, String>,
) -> Result<Knowledge, String> {
    let mut bases = BTreeMap::new();
    for (key, path) in sheets {
        let entries = entries_from_csv(&read(path)?)
            .map_err(|e| format!("knowledge base {key} ({path}): {e}"))?;
        bases.insert(key.clone(), Arc::new(KnowledgeIndex::new(1, entries)));
    }
    Ok(Knowledge::new(bases))
}

impl HttpMock {
    /// Whether this mock answers the request.
    pub fn matches(&self, request: &HttpRequest) -> bool {
        self.method.is_none_or(|m| m == request.method) && text_matches(&self.url, &request.url)
    }

    /// The event this mock answers with.
    pub fn answer(&self) -> Event {
        if let Some(error) = &self.error {
            return Event::HttpFailed {
                failure: HttpFailure::Failed,
                error: error.clone(),
            };
        }
        let body = match &self.body {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        Event::HttpResponse {
            status: self.status,
            headers: self.headers.clone(),
            body,
        }
    }
}

/// Matches `pattern` (a substring, or `/regex/`) against `text`.
pub fn text_matches(pattern: &str, text: &str) -> bool {
    match regex_pattern(pattern) {
        Some(Ok(regex)) => regex.is_match(text),
        Some(Err(_)) => false,
        None => text.contains(pattern),
    }
}

fn regex_pattern(pattern: &str) -> Option<Result<Regex, regex::Error>> {
    let inner = pattern.strip_prefix('/')?.strip_suffix('/')?;
    (!inner.is_empty()).then(|| Regex::new(inner))
}

/// One failed expectation, worded when the report is (see [`ConversationResult::report`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Turn number, 1-based as written in the file.
    pub turn: usize,
    pub what: Message,
    pub expected: Message,
    pub actual: Message,
}

/// One line of a conversation's transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranscriptLine {
    Caller(Message),
    Bot(String),
    Note(Message),
}

/// A value shown as the flow, the test file or the call has it (a node's id, a variable's
/// value, a bot line).
fn as_written(text: impl Into<String>) -> Message {
    msg!("report.as_written", text = text.into())
}

/// The result of running one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationResult {
    pub name: String,
    pub failures: Vec<Failure>,
    pub transcript: Vec<TranscriptLine>,
    /// Size in bytes of the JSON snapshot taken after each turn, when
    /// [`RunOptions::resume_every_turn`] is set.
    pub snapshot_sizes: Vec<usize>,
}

/// How to run a conversation.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions<'k> {
    /// After every turn, snapshot the session to JSON and continue on a session resumed from
    /// it, as a stateless server would between two webhooks.
    pub resume_every_turn: bool,
    /// The knowledge bases the call may search (see [`ConversationFile::read_knowledge`]).
    pub knowledge: Option<&'k Knowledge>,
}

impl ConversationResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// A readable report in `locale`: the failures with expected and actual values, then the
    /// transcript.
    pub fn report(&self, locale: Locale) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "✗ {}", self.name);
        for failure in &self.failures {
            let heading = msg!(
                "report.turn",
                turn = failure.turn,
                what = failure.what.clone()
            );
            let _ = writeln!(text, "  {}", heading.render(locale));
            for line in failure.expected.render(locale).lines() {
                let _ = writeln!(
                    text,
                    "    {}",
                    msg!("report.expected", line = line).render(locale)
                );
            }
            for line in failure.actual.render(locale).lines() {
                let _ = writeln!(
                    text,
                    "    {}",
                    msg!("report.actual", line = line).render(locale)
                );
            }
        }
        let _ = writeln!(text, "  {}", term("report.transcript").render(locale));
        for line in &self.transcript {
            let line = match line {
                TranscriptLine::Caller(said) => msg!("report.caller", said = said.clone()),
                TranscriptLine::Bot(said) => msg!("report.bot", said = said),
                TranscriptLine::Note(note) => msg!("report.note", note = note.clone()),
            };
            let _ = writeln!(text, "    {}", line.render(locale));
        }
        text
    }
}

struct MockResolver<'a> {
    layers: [&'a [HttpMock]; 3],
    handoff: HandoffStatus,
    unmatched: Vec<String>,
}

impl Resolver for MockResolver<'_> {
    fn http(&mut self, request: &HttpRequest) -> Event {
        match self
            .layers
            .iter()
            .flat_map(|mocks| mocks.iter())
            .find(|m| m.matches(request))
        {
            Some(mock) => mock.answer(),
            None => {
                self.unmatched
                    .push(format!("{} {}", request.method.as_str(), request.url));
                Event::HttpFailed {
                    failure: HttpFailure::Failed,
                    error: "no mock answers this request".into(),
                }
            }
        }
    }

    fn transfer(&mut self, _: &Transfer) -> Event {
        Event::HandoffResult {
            status: self.handoff,
        }
    }
}

/// Runs one conversation of a file against a compiled flow.
pub fn run(
    flow: &Arc<CompiledFlow>,
    file: &ConversationFile,
    conversation: &Conversation,
) -> ConversationResult {
    run_with(flow, file, conversation, RunOptions::default())
}

/// Runs one conversation with options.
pub fn run_with(
    flow: &Arc<CompiledFlow>,
    file: &ConversationFile,
    conversation: &Conversation,
    options: RunOptions<'_>,
) -> ConversationResult {
    let knowledge = options.knowledge.cloned().unwrap_or_default();
    let mut session = Session::new(flow.clone(), call_info(file, conversation));
    session.set_knowledge(knowledge.clone());
    let mut result = ConversationResult {
        name: conversation.name.clone(),
        failures: Vec::new(),
        transcript: Vec::new(),
        snapshot_sizes: Vec::new(),
    };
    let default_handoff = conversation.handoff.unwrap_or(HandoffStatus::Connected);
    let mut turns = conversation.turns.iter().enumerate().peekable();
    // A first turn without input holds the expectations for the greeting.
    let first_is_start = turns.peek().is_some_and(|(_, turn)| turn.input().is_none());
    let mut resolver = MockResolver {
        layers: [&[], &conversation.http, &file.http],
        handoff: default_handoff,
        unmatched: Vec::new(),
    };
    let start = drive(&mut session, Event::Started, &mut resolver);
    record_output(flow, &mut result, &start);
    if first_is_start {
        if let Some((_, turn)) = turns.next() {
            check_turn(&mut result, 1, turn, &start, &session, &mut resolver);
            check_faq(&mut result, 1, turn, &start, &knowledge);
        }
    }
    for (index, turn) in turns {
        let number = index + 1;
        let Some(event) = turn.input() else {
            result.failures.push(Failure {
                turn: number,
                what: term("report.no_input"),
                expected: term("report.some_input"),
                actual: term("report.no_input_found"),
            });
            continue;
        };
        if session.is_ended() {
            result.failures.push(ended_early(number, &session));
            break;
        }
        result
            .transcript
            .push(TranscriptLine::Caller(describe_input(turn)));
        resolver.layers[0] = &turn.http;
        resolver.handoff = turn.handoff.unwrap_or(default_handoff);
        if options.resume_every_turn {
            if let Err(failure) = resume(flow, &mut session, &mut result, number) {
                result.failures.push(*failure);
                break;
            }
            session.set_knowledge(knowledge.clone());
        }
        let output = drive(&mut session, event, &mut resolver);
        record_output(flow, &mut result, &output);
        check_turn(&mut result, number, turn, &output, &session, &mut resolver);
        check_faq(&mut result, number, turn, &output, &knowledge);
    }
    if let Some(expected) = conversation.outcome {
        check_outcome(&mut result, conversation, &session, expected);
    }
    result
}

/// The call facts of a conversation, its tenant settings over the file's.
fn call_info(file: &ConversationFile, conversation: &Conversation) -> CallInfo {
    let mut tenant = file.tenant.clone();
    tenant.extend(conversation.tenant.clone());
    let now = conversation.call.now.as_ref().or(file.now.as_ref());
    CallInfo {
        call_id: format!("test:{}", conversation.name),
        channel: conversation
            .call
            .channel
            .clone()
            .unwrap_or_else(|| "test".to_owned()),
        direction: conversation.call.direction,
        from: conversation.call.from.clone(),
        to: conversation.call.to.clone(),
        started_at_ms: now.map_or(conversation.call.started_at_ms, |now| now.epoch_ms),
        utc_offset_minutes: now.map_or(0, |now| now.utc_offset_minutes),
        vars: conversation.vars.clone(),
        tenant,
        customer: conversation.customer.clone(),
        redaction: Default::default(),
    }
}

/// A caller's turn after the call ended.
fn ended_early(turn: usize, session: &Session) -> Failure {
    Failure {
        turn,
        what: term("report.call_ended"),
        expected: term("report.still_listening"),
        actual: msg!(
            "report.ended_with",
            outcome = session.outcome().map_or("?", Outcome::as_str)
        ),
    }
}

/// Continues on a session resumed from the snapshot of `session`, as a stateless server would
/// between two webhooks.
fn resume(
    flow: &Arc<CompiledFlow>,
    session: &mut Session,
    result: &mut ConversationResult,
    turn: usize,
) -> Result<(), Box<Failure>> {
    let (resumed, size) = round_trip(flow, session)
        .map_err(|error| Failure {
            turn,
            what: term("report.snapshot"),
            expected: term("report.resumes"),
            actual: as_written(error),
        })
        .map_err(Box::new)?;
    *session = resumed;
    result.snapshot_sizes.push(size);
    Ok(())
}

fn check_outcome(
    result: &mut ConversationResult,
    conversation: &Conversation,
    session: &Session,
    expected: Outcome,
) {
    let actual = session.outcome();
    if actual != Some(expected) {
        result.failures.push(Failure {
            turn: conversation.turns.len(),
            what: term("report.outcome"),
            expected: as_written(expected.as_str()),
            actual: actual.map_or_else(
                || {
                    msg!(
                        "report.still_running",
                        node = session.current_node().unwrap_or("?")
                    )
                },
                |o| as_written(o.as_str()),
            ),
        });
    }
}

/// Runs every conversation of a file.
pub fn run_file(flow: &Arc<CompiledFlow>, file: &ConversationFile) -> Vec<ConversationResult> {
    run_file_with(flow, file, RunOptions::default())
}

/// Runs every conversation of a file with options.
pub fn run_file_with(
    flow: &Arc<CompiledFlow>,
    file: &ConversationFile,
    options: RunOptions<'_>,
) -> Vec<ConversationResult> {
    file.conversations
        .iter()
        .map(|c| run_with(flow, file, c, options))
        .collect()
}

/// Snapshots a session to JSON text and resumes a new session from it.
fn round_trip(flow: &Arc<CompiledFlow>, session: &Session) -> Result<(Session, usize), String> {
    let text = serde_json::to_string(&session.snapshot()).map_err(|e| e.to_string())?;
    let snapshot = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let resumed = Session::resume(flow.clone(), snapshot).map_err(|e| e.to_string())?;
    Ok((resumed, text.len()))
}

fn describe_input(turn: &Turn) -> Message {
    if let Some(text) = &turn.caller {
        as_written(text)
    } else if let Some(digits) = &turn.digits {
        msg!("report.keys", digits = digits)
    } else if turn.silence {
        term("report.silence")
    } else {
        term("report.hangs_up")
    }
}

fn record_output(flow: &CompiledFlow, result: &mut ConversationResult, output: &TurnOutput) {
    for record in &output.records {
        let note = match record {
            Record::HttpRequested { method, url, .. } => {
                as_written(format!("{} {url}", method.as_str()))
            }
            Record::Transfer { target, route, .. } => {
                let target = format!("{target:?}");
                match route {
                    Some(route) => msg!(
                        "report.transfer_by_rule",
                        target = target,
                        rule = route.index + 1,
                        reason = route.label.as_deref().unwrap_or(&route.when)
                    ),
                    None => msg!("report.transfer", target = target),
                }
            }
            Record::EmotionTriggered { anger, next, .. } => msg!(
                "report.angry_caller",
                anger = format!("{anger:.2}"),
                next = flow.node_display_name(next)
            ),
            Record::KbAnswered {
                knowledge_base,
                entry,
                score,
                ..
            } => msg!(
                "report.kb_answered",
                knowledge_base = knowledge_base,
                entry = entry,
                score = format!("{score:.2}")
            ),
            Record::KbFeedback { entry, helpful, .. } if *helpful => {
                msg!("report.kb_helped", entry = entry)
            }
            Record::KbFeedback { entry, .. } => msg!("report.kb_not_helped", entry = entry),
            Record::KbMissed { knowledge_base, .. } => {
                msg!("report.kb_missed", knowledge_base = knowledge_base)
            }
            Record::ScriptError {
                node,
                message,
                text,
                ..
            } => msg!(
                "script.error_at",
                node = flow.node_display_name(node),
                reason = text
                    .clone()
                    .map_or_else(|| as_written(message).into(), Arg::from)
            ),
            Record::Said { text, .. } => {
                result.transcript.push(TranscriptLine::Bot(text.clone()));
                continue;
            }
            Record::OptedOut { .. } => term("report.opted_out"),
            Record::Ended { outcome, .. } => msg!("report.ended", outcome = outcome.as_str()),
            _ => continue,
        };
        result.transcript.push(TranscriptLine::Note(note));
    }
}

/// The questions of the entries answered in the turn against the turn's `faq`.
fn check_faq(
    result: &mut ConversationResult,
    turn_number: usize,
    turn: &Turn,
    output: &TurnOutput,
    knowledge: &Knowledge,
) {
    let Some(expected) = &turn.faq else {
        return;
    };
    let actual: Vec<String> = output
        .records
        .iter()
        .filter_map(|record| match record {
            Record::KbAnswered {
                knowledge_base,
                entry,
                ..
            } => {
                let index = knowledge.get(knowledge_base)?;
                let found = index.entries().iter().find(|e| &e.id == entry);
                Some(found.map_or_else(|| entry.clone(), |e| e.question.clone()))
            }
            _ => None,
        })
        .collect();
    if &actual != expected {
        let list = |items: &[String]| {
            if items.is_empty() {
                term("report.none")
            } else {
                as_written(items.join("\n"))
            }
        };
        result.failures.push(Failure {
            turn: turn_number,
            what: term("report.kb_answers"),
            expected: list(expected),
            actual: list(&actual),
        });
    }
}

fn check_turn(
    result: &mut ConversationResult,
    turn_number: usize,
    turn: &Turn,
    output: &TurnOutput,
    session: &Session,
    resolver: &mut MockResolver<'_>,
) {
    let mut fail = |what: Message, expected: Message, actual: Message| {
        result.failures.push(Failure {
            turn: turn_number,
            what,
            expected,
            actual,
        });
    };
    // What happened, as written, or a placeholder saying nothing did. A file may expect the
    // placeholder's English words (`route: (none)`), so they are what is compared.
    let shown = |value: Option<&str>, nothing: &'static str, key: &'static str| match value {
        Some(value) => (value.to_owned(), as_written(value)),
        None => (nothing.to_owned(), term(key)),
    };
    for request in resolver.unmatched.drain(..) {
        fail(
            term("report.unmocked"),
            term("report.mock_wanted"),
            as_written(request),
        );
    }
    if let Some(expected) = &turn.bot {
        let lines_match = expected.len() == output.lines.len()
            && expected
                .iter()
                .zip(&output.lines)
                .all(|(pattern, line)| text_matches(pattern, line));
        if !lines_match {
            let lines = |lines: &[String]| match lines.is_empty() {
                true => term("report.nothing"),
                false => as_written(lines.join("\n")),
            };
            fail(
                term("report.bot_lines"),
                lines(expected),
                lines(&output.lines),
            );
        }
    }
    if let Some(expected) = &turn.node {
        let actual = session.current_node().or(output.last_node());
        let (actual, worded) = shown(actual, "(none)", "report.none");
        if actual != *expected {
            fail(term("report.node"), as_written(expected), worded);
        }
    }
    if let Some(expected) = &turn.intent {
        let (actual, worded) = shown(output.intent(), "(none)", "report.none");
        if actual != *expected {
            fail(term("report.intent"), as_written(expected), worded);
        }
    }
    let transfer = output.records.iter().find_map(|record| match record {
        Record::Transfer { target, route, .. } => Some((target, route)),
        _ => None,
    });
    if let Some(expected) = &turn.queue {
        let actual = match transfer {
            Some((TransferTarget::Queue(queue), _)) => Some(queue.as_str()),
            _ => None,
        };
        let (actual, worded) = shown(
            actual,
            "(no transfer to a queue)",
            "report.no_queue_transfer",
        );
        if actual != *expected {
            fail(term("report.queue"), as_written(expected), worded);
        }
    }
    if let Some(expected) = &turn.route {
        let (actual, worded) = match transfer {
            Some((_, Some(route))) => shown(
                Some(route.label.as_deref().unwrap_or(&route.when)),
                "",
                "report.none",
            ),
            Some((_, None)) => shown(None, "(none)", "report.none"),
            None => shown(None, "(no transfer)", "report.no_transfer"),
        };
        if actual != *expected {
            fail(term("report.route"), as_written(expected), worded);
        }
    }
    if let Some(expected) = turn.opted_out {
        let actual = output
            .records
            .iter()
            .any(|record| matches!(record, Record::OptedOut { .. }));
        if actual != expected {
            let worded = |yes: bool| term(if yes { "report.yes" } else { "report.no" });
            fail(
                term("report.opted_out_check"),
                worded(expected),
                worded(actual),
            );
        }
    }
    if !turn.vars.is_empty() {
        let vars = session.vars_json();
        for (name, expected) in &turn.vars {
            let actual = vars.get(name);
            if actual != Some(expected) {
                fail(
                    msg!("report.variable", name = name),
                    as_written(expected.to_string()),
                    actual.map_or_else(|| term("report.unset"), |v| as_written(v.to_string())),
                );
            }
        }
    }
}
