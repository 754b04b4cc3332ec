//! The web-chat channel (the sessions API, the editor's "Try it" panel, a chat widget): text
//! in, the bot's lines as JSON messages out, around a [`crate::conversation`].
//!
//! Stateless between requests: every turn loads the session's snapshot from the database,
//! resumes it on the cached compiled flow it started on, takes the turn, and saves the new
//! snapshot together with the turn's call events (and the call's end) in one transaction. Any server instance can take the next
//! turn, and a restart between two turns loses nothing. A compare-and-set on the turn counter
//! lets exactly one of two concurrent turns on a session win.
//!
//! A transfer in chat hands the conversation to an agent queue: it is answered `connected` at
//! once, and the call's summary keeps the target, the flow's summary and the variables so that
//! the agent can see them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use flow_engine::knowledge::Knowledge;
use flow_engine::messages::StoredMessage;
use flow_engine::model::InputMode;
use flow_engine::msg;
use flow_engine::runtime::{
    script_error_reason, Action, Direction, Event, HandoffStatus, HeardEmotion, Record, Session,
    Snapshot, TransferTarget, WaitSnapshot,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::analytics::tally::Seen;
use crate::app::AppState;
use crate::conversation::local_time::time_zone;
use crate::conversation::{
    self, channel_event, ConversationError, Handoff, KeptCopy, Parties, Renderer, Saved, TurnWrite,
};
use crate::flow_cache::{Documents, FlowError, FlowRef, Selector, Source};
use crate::flow_http::FlowHttp;
use crate::language::Language;
use crate::privacy;
use crate::queues::handoff::{self, Owner};
use crate::queues::route::Route;
use crate::store::{
    CallOutcome, Channel, ChatSession, HandoffRow, NewCallEvent, Store, StoreError, Tenant,
};

/// A new conversation.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub flow_id: String,
    pub selector: Selector,
    /// Override the flow's initial variables.
    pub vars: Map<String, Value>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The shop's id of the customer, when it was proved (a signed-in widget visitor) or given
    /// by someone trusted with it (an API key).
    pub customer: Option<String>,
    /// A conversation played rather than had (the demo's past calls): its transfers are put
    /// through at once instead of waiting for a person.
    pub simulated: bool,
}

/// What the person in the chat did.
#[derive(Debug, Clone, PartialEq)]
pub enum CallerInput {
    Text {
        text: String,
        confidence: Option<f32>,
    },
    Digits(String),
    NoInput,
    HangUp,
}

impl CallerInput {
    fn into_event(self) -> Event {
        match self {
            CallerInput::Text { text, confidence } => Event::Heard { text, confidence },
            CallerInput::Digits(digits) => Event::Digits { digits },
            CallerInput::NoInput => Event::NoInput,
            CallerInput::HangUp => Event::HungUp,
        }
    }

    /// What the person in the chat did, as the flow got it; `None` for what only the flow
    /// itself brings about (answers to its requests, its start).
    pub fn of(event: Event) -> Option<CallerInput> {
        match event {
            Event::Heard { text, confidence } => Some(CallerInput::Text { text, confidence }),
            Event::Digits { digits } => Some(CallerInput::Digits(digits)),
            Event::NoInput => Some(CallerInput::NoInput),
            Event::HungUp => Some(CallerInput::HangUp),
            _ => None,
        }
    }
}

/// A line the bot said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub text: String,
    pub node: String,
}

/// How the bot listens now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListenInfo {
    pub modes: Vec<InputMode>,
    pub timeout_ms: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_digits: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_on_key: Option<String>,
}

/// What the last turn did, as the API shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LastTurn {
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Nodes entered, in order.
    #[serde(default)]
    pub path: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// How the caller sounded in this turn; absent for keys, silence and turns stored before
    /// utterances were scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emotion: Option<HeardEmotion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<ListenInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Handoff>,
    /// What knowledge bases did, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knowledge: Vec<KnowledgeStep>,
    /// The answers the node the bot listens at offers, for a chat to show as buttons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// Scripts (and what nodes needed) that failed, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script_errors: Vec<ScriptFailure>,
    /// Whether the turn passed an `opt_out` node: the customer asked not to be called again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opted_out: bool,
}

/// A script that failed in a turn, kept in no language: the reader words it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptFailure {
    pub node: String,
    /// The node's name as the flow named it when the script failed.
    pub node_name: String,
    /// The reason as a catalogue key and parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<StoredMessage>,
    /// The reason in English, for what was kept without `text`.
    pub message: String,
}

impl ScriptFailure {
    /// "脚本出错（节点名）：原因" in `language`.
    pub fn line(&self, language: Language) -> String {
        let locale = language.locale();
        let reason = script_error_reason(self.text.as_ref(), &self.message, locale);
        msg!("script.error_at", node = &self.node_name, reason = reason).render(locale)
    }
}

/// An answer a listening node offers: a `menu`'s choice, or an `ask` intent that has a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Choice {
    /// What the button says: the choice's label, or the intent's first example.
    pub label: String,
    /// The key to send as a `digits` event, when the node takes keys; otherwise send the
    /// label as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<String>,
}

/// The choices of the node `node` of `flow`, its global intents with keys included when it
/// listens to them: what a caller on the phone would hear as "press 1 for …".
fn choices_at(flow: &flow_engine::CompiledFlow, node: &str, modes: &[InputMode]) -> Vec<Choice> {
    use flow_engine::model::{Intent, Node};
    let takes_keys = modes.contains(&InputMode::Dtmf);
    let document = flow.document();
    let keyed = |intent: &Intent| {
        let key = intent.dtmf.clone()?;
        let label = intent
            .examples
            .first()
            .cloned()
            .unwrap_or_else(|| intent.name.clone());
        Some(Choice {
            label,
            digits: takes_keys.then_some(key),
        })
    };
    let (mut choices, global): (Vec<Choice>, bool) = match document
        .nodes
        .iter()
        .find(|candidate| candidate.id() == node)
    {
        Some(Node::Menu(menu)) => (
            menu.choices
                .iter()
                .map(|choice| Choice {
                    label: choice.label.clone().unwrap_or_else(|| choice.key.clone()),
                    // A menu without a label can only be answered with its key.
                    digits: (takes_keys || choice.label.is_none()).then(|| choice.key.clone()),
                })
                .collect(),
            menu.global_intents,
        ),
        Some(Node::Ask(ask)) => (
            ask.intents.iter().filter_map(keyed).collect(),
            ask.global_intents,
        ),
        _ => return Vec::new(),
    };
    if global {
        choices.extend(document.global_intents.iter().filter_map(keyed));
    }
    choices
}

/// A knowledge base's part in a turn: `type` says which. The entry is named by its question
/// as the session's revision of the base has it (people know entries by their questions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KnowledgeStep {
    /// An entry's answer was said.
    KbAnswered {
        /// The base's key.
        knowledge_base: String,
        /// The entry's id.
        entry: String,
        question: String,
        /// Calibrated confidence, 0 to 1.
        score: f32,
    },
    /// The caller said whether the answer helped.
    KbFeedback {
        knowledge_base: String,
        entry: String,
        question: String,
        helpful: bool,
    },
    /// The base had no answer for what the caller said.
    KbMissed {
        knowledge_base: String,
        /// What the caller said.
        text: String,
    },
}

impl KnowledgeStep {
    /// The step of a record, if it is a knowledge base's; questions are filled in later.
    fn of(record: &Record) -> Option<KnowledgeStep> {
        Some(match record {
            Record::KbAnswered {
                knowledge_base,
                entry,
                score,
                ..
            } => KnowledgeStep::KbAnswered {
                knowledge_base: knowledge_base.clone(),
                entry: entry.clone(),
                question: String::new(),
                score: *score,
            },
            Record::KbFeedback {
                knowledge_base,
                entry,
                helpful,
                ..
            } => KnowledgeStep::KbFeedback {
                knowledge_base: knowledge_base.clone(),
                entry: entry.clone(),
                question: String::new(),
                helpful: *helpful,
            },
            Record::KbMissed {
                knowledge_base,
                text,
                ..
            } => KnowledgeStep::KbMissed {
                knowledge_base: knowledge_base.clone(),
                text: text.clone(),
            },
            _ => return None,
        })
    }

    /// Fills in the entry's question from the knowledge the session searched.
    fn with_question(mut self, knowledge: &Knowledge) -> KnowledgeStep {
        if let KnowledgeStep::KbAnswered {
            knowledge_base,
            entry,
            question,
            ..
        }
        | KnowledgeStep::KbFeedback {
            knowledge_base,
            entry,
            question,
            ..
        } = &mut self
        {
            if let Some(found) = knowledge
                .get(knowledge_base)
                .and_then(|index| index.entries().iter().find(|e| &e.id == entry))
            {
                question.clone_from(&found.question);
            }
        }
        self
    }
}

/// What the database keeps of a session between turns (the `snapshot` column).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    /// The exact flow documents the session runs on.
    flow: FlowRef,
    /// A draft session's own copy of the draft documents: the draft may be edited (and the
    /// server restarted) while the conversation goes on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    documents: Option<Documents>,
    snapshot: Snapshot,
    #[serde(default)]
    last: LastTurn,
    /// The conversation's latest transfer, for the call's summary when it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    handoff: Option<Handoff>,
    /// Played, not had: see [`StartRequest::simulated`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    simulated: bool,
}

impl Stored {
    /// Whether a transfer to a queue waits for a person: not in the editor's Try it (drafts)
    /// nor in a played conversation, which answer it `connected` at once.
    fn for_people(&self) -> bool {
        !self.flow.is_draft() && !self.simulated
    }
}

impl Saved for Stored {
    fn flow(&self) -> &FlowRef {
        &self.flow
    }

    fn documents(&self) -> Option<&Documents> {
        self.documents.as_ref()
    }

    fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }
}

/// A session as it stands after a turn (or between turns).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionState {
    pub id: String,
    pub call_id: String,
    pub flow_id: String,
    /// `None` for a draft session.
    pub flow_version: Option<i64>,
    pub draft_revision: Option<i64>,
    pub turn: i64,
    /// Where the session waits; `None` once ended.
    pub node: Option<String>,
    pub outcome: Option<CallOutcome>,
    pub vars: Map<String, Value>,
    pub last: LastTurn,
    /// The conversation's latest transfer to a person, whichever turn made it.
    pub handoff: Option<Handoff>,
    /// Who answers the customer now: the bot, or a person the conversation was handed to.
    pub owner: Owner,
}

impl SessionState {
    fn new(chat: &ChatSession, turn: i64, stored: &Stored) -> SessionState {
        let (node, outcome) = match &stored.snapshot.wait {
            WaitSnapshot::Ended { outcome } => (None, Some(CallOutcome::from(*outcome))),
            // Ended without a turn of its own (the customer went idle): the row has the end,
            // and the session waits for nothing any more.
            _ if chat.ended_at.is_some() => {
                (None, Some(chat.outcome.unwrap_or(CallOutcome::Abandoned)))
            }
            WaitSnapshot::Input { node, .. }
            | WaitSnapshot::Answer { node, .. }
            | WaitSnapshot::Http { node }
            | WaitSnapshot::Handoff { node } => (Some(node.clone()), None),
            WaitSnapshot::Start => (None, None),
        };
        let mut last = stored.last.clone();
        if outcome.is_some() {
            last.listen = None;
            last.choices.clear();
        }
        SessionState {
            id: chat.id.clone(),
            call_id: chat.call_id.clone(),
            flow_id: chat.flow_id.clone(),
            flow_version: chat.flow_version,
            draft_revision: match stored.flow.root.source {
                Source::Draft(revision) => Some(revision),
                Source::Version(_) => None,
            },
            turn,
            node,
            outcome,
            vars: stored.snapshot.vars.clone(),
            last,
            handoff: stored.handoff.clone(),
            owner: Owner::Bot,
        }
    }

    fn owned_by(self, handoff: Option<&HandoffRow>) -> SessionState {
        SessionState {
            owner: handoff.map_or(Owner::Bot, Owner::of),
            ..self
        }
    }
}

/// Starts a conversation: runs the flow from its start, then creates its call and session
/// with that first turn in one write.
pub async fn start(
    state: &AppState,
    tenant_id: &str,
    request: StartRequest,
) -> Result<SessionState, ConversationError> {
    let parties = Parties {
        channel: Channel::Chat,
        direction: Direction::Inbound,
        from: request.from,
        to: request.to,
        customer: request.customer,
        call_sid: None,
        call_id: None,
    };
    let conversation::Opened {
        row,
        session,
        resolved,
        tenant,
        opening,
    } = conversation::open(
        state,
        tenant_id,
        request.flow_id,
        request.selector,
        parties.clone(),
        request.vars,
    )
    .await?;
    let stored = Stored {
        documents: resolved.flow_ref.is_draft().then_some(resolved.documents),
        flow: resolved.flow_ref,
        snapshot: session.snapshot(),
        last: LastTurn::default(),
        handoff: None,
        simulated: request.simulated,
    };
    run_turn(
        state,
        tenant_id,
        Turn {
            row,
            stored,
            session,
            tenant: Some(tenant),
            parties: Some(parties),
            from_memory: false,
            seen: state.sessions.seen(),
            prefix: opening,
        },
        Event::Started,
    )
    .await
}

/// Runs one turn of a session with the caller's input.
///
/// The session comes from this server's [`Sessions`] when it took the previous turn, else from
/// the database. A kept copy can be behind when another server shares the database and took a
/// turn in between: the save's compare-and-set then fails, or, before the turn's first HTTP
/// request that is not a GET (the only thing a turn does outside that may change
/// something), a check of the stored turn counter does; the turn is then run again from the
/// database, having changed nothing.
pub async fn send(
    state: &AppState,
    tenant_id: &str,
    session_id: &str,
    input: CallerInput,
) -> Result<SessionState, ConversationError> {
    // Counted before anything is read: a message over the rate costs no query.
    crate::quotas::admit_turn(state, tenant_id, crate::store::now_ms()).await?;
    let mut kept = state.sessions.take(tenant_id, session_id);
    loop {
        let from_memory = kept.is_some();
        let (row, stored, seen) = match kept.take() {
            Some(session) => session,
            None => {
                let (row, stored) =
                    conversation::load::<Stored>(&state.store, tenant_id, session_id).await?;
                (row, stored, None)
            }
        };
        if row.ended_at.is_some() {
            return Err(ConversationError::Ended);
        }
        if waits_for_a_person(&stored) {
            match to_person(state, tenant_id, &row, &stored, &input).await {
                Ok(Some(answer)) => return Ok(answer),
                Ok(None) => {}
                Err(ConversationError::TurnConflict) => continue,
                Err(error) => return Err(error),
            }
        }
        let session = conversation::resume(state, tenant_id, &row, &stored).await?;
        let turn = Turn {
            row,
            stored,
            session,
            tenant: None,
            parties: None,
            from_memory,
            seen,
            prefix: Vec::new(),
        };
        match run_turn(state, tenant_id, turn, input.clone().into_event()).await {
            Err(ConversationError::TurnConflict | ConversationError::Stale) if from_memory => {
                continue
            }
            // The write that got in first may have been the end of an idle chat rather than
            // another turn: then the caller is told that it ended, as any later turn is.
            Err(conflict @ ConversationError::TurnConflict) => {
                let (row, _) =
                    conversation::load::<Stored>(&state.store, tenant_id, session_id).await?;
                return Err(match row.ended_at {
                    Some(_) => ConversationError::Ended,
                    None => conflict,
                });
            }
            outcome => return outcome,
        }
    }
}

/// Whether the conversation waits at a transfer that a person takes (or has taken): then the
/// customer's messages go to them and the flow says nothing.
fn waits_for_a_person(stored: &Stored) -> bool {
    matches!(stored.snapshot.wait, WaitSnapshot::Handoff { .. }) && stored.for_people()
}

/// The customer's input while a person owns the conversation: recorded for the agent, with no
/// turn of the flow. `None` when the flow takes it after all: the customer left (which also
/// ends the handoff), or the transfer was answered without waiting for anyone.
async fn to_person(
    state: &AppState,
    tenant_id: &str,
    row: &ChatSession,
    stored: &Stored,
    input: &CallerInput,
) -> Result<Option<SessionState>, ConversationError> {
    let open = state.store.open_handoff(tenant_id, &row.call_id).await?;
    let text = match input {
        CallerInput::HangUp => {
            if let Some(open) = &open {
                handoff::abandoned(state, open).await?;
            }
            return Ok(None);
        }
        CallerInput::Text { text, .. } => Some(text.clone()),
        CallerInput::Digits(digits) => Some(digits.clone()),
        CallerInput::NoInput => None,
    };
    // A transfer whose handoff was never written (the server stopped in between) is handed on
    // now, so that the customer is not left with nobody.
    let open = match open {
        Some(open) => open,
        None => {
            let Some(Handoff {
                kind: conversation::HandoffKind::Queue,
                target,
                summary,
            }) = stored.handoff.clone()
            else {
                return Ok(None);
            };
            handoff::open_chat(state, tenant_id, row, target, summary).await?
        }
    };
    let node = match &stored.snapshot.wait {
        WaitSnapshot::Handoff { node } => Some(node.clone()),
        _ => None,
    };
    // Scored as the flow scores what it hears, so that the agent sees the customer calm down
    // (or not); the flow's own trend waits until it has the conversation again.
    let events: Vec<NewCallEvent> = text
        .map(|text| {
            let emotion = flow_engine::emotion::score(&text);
            let anger = flow_engine::emotion::rounded(emotion.anger);
            let redactor = privacy::redact::for_text(stored.snapshot.call.redaction.clone(), &text);
            let data = json!({
                "text": redactor.text(&text),
                "emotion": { "anger": anger, "label": emotion.label },
            });
            channel_event("caller_said", node.as_deref(), data)
        })
        .into_iter()
        .collect();
    let quiet = Stored {
        last: LastTurn::default(),
        ..stored.clone()
    };
    let saved = save_without_turn(state, tenant_id, row, &quiet, events).await?;
    state.live.message(tenant_id, &row.call_id);
    Ok(Some(
        SessionState::new(row, saved, &quiet).owned_by(Some(&open)),
    ))
}

/// Appends events to a conversation without a turn of its flow: the snapshot stays as it is.
/// [`ConversationError::TurnConflict`] when a turn got in first.
async fn save_without_turn(
    state: &AppState,
    tenant_id: &str,
    row: &ChatSession,
    stored: &Stored,
    events: Vec<NewCallEvent>,
) -> Result<i64, ConversationError> {
    let write = TurnWrite {
        snapshot: conversation::to_json(stored)?,
        events,
        end: None,
        counted: None,
    };
    let now = state.clock.now_ms();
    conversation::save(state, tenant_id, row, write, now)
        .await?
        .ok_or(ConversationError::NotFound)
}

/// Writes by a person's side are tried this many times when a turn of the customer's gets in
/// between.
const PERSON_ATTEMPTS: usize = 3;

/// The session as stored, for a write of the person's side; ended is an error.
async fn load_for_person(
    state: &AppState,
    tenant_id: &str,
    session_id: &str,
) -> Result<(ChatSession, Stored), ConversationError> {
    // A copy kept in memory would be behind after this write.
    state.sessions.take(tenant_id, session_id);
    let (row, stored) = conversation::load::<Stored>(&state.store, tenant_id, session_id).await?;
    match row.ended_at {
        Some(_) => Err(ConversationError::Ended),
        None => Ok((row, stored)),
    }
}

/// Records what happens while a person owns the chat (the agent joins, says something):
/// events of the conversation, with no turn of its flow.
pub async fn record_with_person(
    state: &AppState,
    tenant_id: &str,
    session_id: &str,
    events: Vec<NewCallEvent>,
) -> Result<(), ConversationError> {
    for _ in 0..PERSON_ATTEMPTS {
        let (row, stored) = load_for_person(state, tenant_id, session_id).await?;
        match save_without_turn(state, tenant_id, &row, &stored, events.clone()).await {
            Err(ConversationError::TurnConflict) => continue,
            outcome => return outcome.map(|_| ()),
        }
    }
    Err(ConversationError::TurnConflict)
}

/// The person gives the chat back to its flow with `event` (`HandoffResult` when the agent
/// ends their part, `HandedBack` to go on at a node), after `events` (the agent leaving).
pub async fn back_from_person(
    state: &AppState,
    tenant_id: &str,
    session_id: &str,
    events: Vec<NewCallEvent>,
    event: Event,
) -> Result<SessionState, ConversationError> {
    for _ in 0..PERSON_ATTEMPTS {
        let (row, stored) = load_for_person(state, tenant_id, session_id).await?;
        let session = conversation::resume(state, tenant_id, &row, &stored).await?;
        let turn = Turn {
            row,
            stored,
            session,
            tenant: None,
            parties: None,
            from_memory: false,
            seen: None,
            prefix: events.clone(),
        };
        match run_turn(state, tenant_id, turn, event.clone()).await {
            Err(ConversationError::TurnConflict) => continue,
            outcome => return outcome,
        }
    }
    Err(ConversationError::TurnConflict)
}

/// Ends every web chat whose customer has been idle longer than their tenant allows
/// (`chat_idle_minutes`), drafts in the editor's Try it included; see
/// [`Store::end_idle_chats`]. Answers how many it ended. Safe to run on several servers at
/// once: each chat is ended by one of them.
pub async fn end_idle_chats(state: &AppState, now: i64) -> Result<usize, StoreError> {
    let ended = state.store.end_idle_chats(now).await?;
    for chat in &ended {
        // A customer who left while waiting for a person is no longer waiting.
        if let Some(open) = state
            .store
            .open_handoff(&chat.tenant_id, &chat.call_id)
            .await?
        {
            handoff::abandoned(state, &open).await?;
        }
        if let Some(session_id) = &chat.session_id {
            // A kept copy would lose its compare-and-set anyway; dropping it saves the round
            // trip and the memory.
            state.sessions.take(&chat.tenant_id, session_id);
        }
    }
    let ended = ended.len();
    // The chats were counted as active when they started (on this server or another); the
    // server that ends one takes it off, so the sum over servers stays right.
    state
        .metrics
        .active_sessions
        .dec_by(i64::try_from(ended).unwrap_or(i64::MAX));
    Ok(ended)
}

/// The session as it stands, with what its last turn did.
pub async fn get(
    store: &Store,
    tenant_id: &str,
    session_id: &str,
) -> Result<SessionState, ConversationError> {
    let (row, stored) = conversation::load::<Stored>(store, tenant_id, session_id).await?;
    let open = match waits_for_a_person(&stored) && row.ended_at.is_none() {
        true => store.open_handoff(tenant_id, &row.call_id).await?,
        false => None,
    };
    Ok(SessionState::new(&row, row.turn, &stored).owned_by(open.as_ref()))
}

/// A session loaded for a turn.
struct Turn {
    row: ChatSession,
    stored: Stored,
    session: Session,
    /// The tenant, when the turn had to read it already.
    tenant: Option<Tenant>,
    /// For the first turn of a new conversation, which creates it: who chats, and with whom.
    parties: Option<Parties>,
    /// The session came from memory: make sure it is current before any HTTP request.
    from_memory: bool,
    /// Every event of the conversation so far, when this server took all its turns: the turn
    /// that ends it then counts it for analytics.
    seen: Option<Seen>,
    /// Events written before the turn's own: the customer lookup, in a conversation's first
    /// turn; an agent leaving, when the agent gives the conversation back.
    prefix: Vec<NewCallEvent>,
}

async fn run_turn(
    state: &AppState,
    tenant_id: &str,
    turn: Turn,
    event: Event,
) -> Result<SessionState, ConversationError> {
    let Turn {
        row,
        stored,
        mut session,
        tenant,
        parties,
        from_memory,
        mut seen,
        prefix,
    } = turn;
    let mut http = match &tenant {
        Some(tenant) => FlowHttp::for_tenant(state, tenant),
        None => FlowHttp::new(state, tenant_id),
    };
    let kept = from_memory.then(|| KeptCopy {
        store: &state.store,
        tenant_id,
        id: row.id.clone(),
        turn: row.turn,
    });
    let mut output = Output {
        live: stored.for_people(),
        ..Output::default()
    };
    let mut events = prefix;
    events.extend(
        conversation::take_turn(
            &mut session,
            event,
            &mut http,
            kept,
            &mut output,
            &state.clock,
        )
        .await?,
    );
    // A transfer to a queue the turn left unanswered: a person will take it, unless the
    // queue cannot have one now.
    let mut waiting = None;
    if let Some(queue) = output.unanswered.take() {
        let now = state.clock.now_ms();
        let status = match handoff::route_transfer(state, tenant_id, &queue, now).await? {
            Route::Wait(queue) => {
                let node = session.current_node().map(str::to_owned);
                let data = json!({ "queue": queue });
                events.push(channel_event("handoff_waiting", node.as_deref(), data));
                waiting = Some(queue);
                None
            }
            Route::NoQueues => Some(HandoffStatus::Connected),
            Route::Closed => Some(HandoffStatus::NoAnswer),
            Route::Unknown => Some(HandoffStatus::Failed),
        };
        if let Some(status) = status {
            events.extend(
                conversation::take_turn(
                    &mut session,
                    Event::HandoffResult { status },
                    &mut http,
                    None,
                    &mut output,
                    &state.clock,
                )
                .await?,
            );
        }
    }
    if let Some(seen) = &mut seen {
        for event in &events {
            seen.new_event(event);
        }
    }
    let now = state.clock.now_ms();
    let outcome = session.outcome();
    let listen = match session.is_listening() {
        true => output.listen.or(stored.last.listen),
        false => None,
    };
    let choices = match (&listen, session.current_node()) {
        (Some(listen), Some(node)) => choices_at(session.flow(), node, &listen.modes),
        _ => Vec::new(),
    };
    // The customer reads what the bot said; the conversation keeps it redacted.
    let shown: Vec<Message> = output
        .messages
        .iter()
        .zip(
            output
                .spoken
                .iter()
                .map(Some)
                .chain(std::iter::repeat(None)),
        )
        .map(|(kept, spoken)| Message {
            text: spoken.unwrap_or(&kept.text).clone(),
            node: kept.node.clone(),
        })
        .collect();
    let last = LastTurn {
        messages: output.messages,
        path: output.path,
        intent: output.intent,
        emotion: output.emotion,
        listen,
        transfer: output.transfer.clone(),
        knowledge: output
            .knowledge
            .into_iter()
            .map(|step| step.with_question(session.knowledge()))
            .collect(),
        choices,
        script_errors: output
            .script_errors
            .into_iter()
            .map(|mut failure| {
                failure.node_name = session.flow().node_display_name(&failure.node).to_owned();
                failure
            })
            .collect(),
        opted_out: output.opted_out,
    };
    let stored = Stored {
        flow: stored.flow,
        documents: stored.documents,
        snapshot: session.snapshot(),
        last,
        handoff: output.transfer.or(stored.handoff),
        simulated: stored.simulated,
    };
    let end = outcome.map(|outcome| {
        conversation::ending(
            outcome.into(),
            stored.handoff.as_ref(),
            &session.kept_vars(),
            session.call().started_at_ms,
            now,
        )
    });
    let snapshot = conversation::to_json(&stored)?;
    let counted = match (&end, &seen) {
        (Some(end), Some(seen)) => {
            let zone = match &tenant {
                Some(tenant) => time_zone(tenant),
                None => match state.store.get_tenant(tenant_id).await? {
                    Some(tenant) => time_zone(&tenant),
                    None => return Err(ConversationError::NotFound),
                },
            };
            conversation::counted(&row, Channel::Chat, Direction::Inbound, end, seen, zone)
        }
        _ => None,
    };
    let write = TurnWrite {
        snapshot,
        events,
        end,
        counted,
    };
    let saved = match parties {
        Some(parties) => {
            let saved = conversation::create(state, tenant_id, &row, &parties, write).await?;
            // The flow was deleted while its first turn ran.
            let saved = saved.ok_or(ConversationError::Flow(FlowError::NotFound))?;
            state.metrics.active_sessions.inc();
            saved
        }
        None => conversation::save(state, tenant_id, &row, write, now)
            .await?
            .ok_or(ConversationError::NotFound)?,
    };
    if outcome.is_some() {
        state.metrics.active_sessions.dec();
    }
    let handoff = match waiting {
        Some(queue) => {
            let summary = stored
                .handoff
                .as_ref()
                .map(|handoff| handoff.summary.clone())
                .unwrap_or_default();
            Some(handoff::open_chat(state, tenant_id, &row, queue, summary).await?)
        }
        None => None,
    };
    // Copied only when redaction changed what the customer reads, which most turns it does not.
    let redacted = shown
        .iter()
        .zip(&stored.last.messages)
        .any(|(shown, kept)| shown.text != kept.text);
    let live;
    let showing = if redacted {
        live = Stored {
            last: LastTurn {
                messages: shown,
                ..stored.last.clone()
            },
            ..stored.clone()
        };
        &live
    } else {
        &stored
    };
    let result = SessionState::new(&row, saved, showing).owned_by(handoff.as_ref());
    if outcome.is_none() {
        let row = ChatSession {
            turn: saved,
            updated_at: now,
            ..row
        };
        state.sessions.keep(tenant_id, row, stored, seen);
    }
    Ok(result)
}

/// Sessions between turns that this server took the last turn of, so that the next turn need
/// not read them back: taken out for a turn, put back after it is saved. At most
/// [`KEPT_SESSIONS`]; past that the least recently saved half is dropped (and read from the
/// database when they continue).
pub struct Sessions {
    kept: Mutex<HashMap<String, Kept>>,
    saves: AtomicU64,
    /// Whether the turn that ends a chat counts it for analytics: a server that does no
    /// analytics counting (`analytics_rollup = false`) leaves its chats to the roll-up task of
    /// the others.
    counting: bool,
}

/// Sessions kept in memory at most.
pub const KEPT_SESSIONS: usize = 20_000;

struct Kept {
    tenant_id: String,
    chat: ChatSession,
    stored: Stored,
    seen: Option<Seen>,
    saved: u64,
}

impl Sessions {
    pub fn new(counting: bool) -> Sessions {
        Sessions {
            kept: Mutex::default(),
            saves: AtomicU64::default(),
            counting,
        }
    }

    /// What a new conversation's turns count for analytics, when this server counts.
    fn seen(&self) -> Option<Seen> {
        self.counting.then(Seen::default)
    }

    fn take(
        &self,
        tenant_id: &str,
        session_id: &str,
    ) -> Option<(ChatSession, Stored, Option<Seen>)> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.get(session_id) {
            Some(entry) if entry.tenant_id == tenant_id => kept
                .remove(session_id)
                .map(|entry| (entry.chat, entry.stored, entry.seen)),
            _ => None,
        }
    }

    fn keep(&self, tenant_id: &str, chat: ChatSession, stored: Stored, seen: Option<Seen>) {
        let saved = self.saves.fetch_add(1, Ordering::Relaxed);
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= KEPT_SESSIONS {
            let mut ages: Vec<u64> = kept.values().map(|entry| entry.saved).collect();
            let middle = ages.len() / 2;
            let (_, median, _) = ages.select_nth_unstable(middle);
            let median = *median;
            kept.retain(|_, entry| entry.saved > median);
        }
        kept.insert(
            chat.id.clone(),
            Kept {
                tenant_id: tenant_id.to_owned(),
                chat,
                stored,
                seen,
                saved,
            },
        );
    }

    /// Sessions kept now.
    pub fn len(&self) -> usize {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Everything one turn did.
#[derive(Debug, Default)]
struct Output {
    /// Transfers to a queue wait for a person (published flows); the editor's Try it, which
    /// runs drafts, answers them `connected` at once.
    live: bool,
    /// The queue of a transfer left unanswered.
    unanswered: Option<String>,
    /// What the bot said, as the conversation keeps it (personal data redacted).
    messages: Vec<Message>,
    /// What the bot said, as the customer reads it now: the `say` actions, one for each
    /// message, in order.
    spoken: Vec<String>,
    path: Vec<String>,
    intent: Option<String>,
    emotion: Option<HeardEmotion>,
    listen: Option<ListenInfo>,
    transfer: Option<Handoff>,
    knowledge: Vec<KnowledgeStep>,
    /// Named once the turn is over, when the flow is at hand.
    script_errors: Vec<ScriptFailure>,
    opted_out: bool,
}

impl Renderer for Output {
    fn act(&mut self, action: Action) -> Option<Event> {
        match action {
            Action::Listen(listen) => {
                self.listen = Some(ListenInfo {
                    modes: listen.modes,
                    timeout_ms: listen.timeout_ms,
                    max_digits: listen.max_digits,
                    finish_on_key: listen.finish_on_key,
                });
                None
            }
            Action::Transfer(transfer) => {
                self.transfer = Some(Handoff::new(&transfer.target, &transfer.summary));
                if let (true, TransferTarget::Queue(queue)) = (self.live, &transfer.target) {
                    self.unanswered = Some(queue.clone());
                    return None;
                }
                Some(Event::HandoffResult {
                    status: HandoffStatus::Connected,
                })
            }
            // The `said` record before it carries its node, and the text as it is kept.
            Action::Say { text, .. } => {
                self.spoken.push(text);
                None
            }
            _ => None,
        }
    }

    fn record(&mut self, record: &Record) {
        match record {
            Record::Said { node, text } => self.messages.push(Message {
                text: text.clone(),
                node: node.to_string(),
            }),
            Record::NodeEntered { node, .. } => self.path.push(node.to_string()),
            Record::Heard {
                intent, emotion, ..
            } => {
                self.emotion = self.emotion.or(*emotion);
                if self.intent.is_none() {
                    self.intent.clone_from(intent);
                }
            }
            Record::Digits {
                intent: Some(intent),
                ..
            } if self.intent.is_none() => self.intent = Some(intent.clone()),
            Record::ScriptError {
                node,
                message,
                text,
                ..
            } => self.script_errors.push(ScriptFailure {
                node: node.to_string(),
                node_name: node.to_string(),
                text: text.clone(),
                message: message.clone(),
            }),
            Record::OptedOut { .. } => self.opted_out = true,
            record => self.knowledge.extend(KnowledgeStep::of(record)),
        }
    }
}
