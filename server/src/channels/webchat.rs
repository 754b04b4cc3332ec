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
use flow_engine::model::InputMode;
use flow_engine::runtime::{
    Action, Direction, Event, HandoffStatus, HeardEmotion, Record, Session, Snapshot, WaitSnapshot,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::analytics::tally::Seen;
use crate::app::AppState;
use crate::conversation::local_time::time_zone;
use crate::conversation::{
    self, ConversationError, Handoff, KeptCopy, Parties, Renderer, Saved, TurnWrite,
};
use crate::flow_cache::{Documents, FlowError, FlowRef, Selector, Source};
use crate::flow_http::FlowHttp;
use crate::store::{CallOutcome, Channel, ChatSession, Store, StoreError, Tenant};

/// A new conversation.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub flow_id: String,
    pub selector: Selector,
    /// Override the flow's initial variables.
    pub vars: Map<String, Value>,
    pub from: Option<String>,
    pub to: Option<String>,
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
        call_sid: None,
    };
    let conversation::Opened {
        row,
        session,
        resolved,
        tenant,
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
        let session = conversation::resume(state, tenant_id, &row, &stored).await?;
        let turn = Turn {
            row,
            stored,
            session,
            tenant: None,
            parties: None,
            from_memory,
            seen,
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

/// Ends every web chat whose customer has been idle longer than their tenant allows
/// (`chat_idle_minutes`), drafts in the editor's Try it included; see
/// [`Store::end_idle_chats`]. Answers how many it ended. Safe to run on several servers at
/// once: each chat is ended by one of them.
pub async fn end_idle_chats(state: &AppState, now: i64) -> Result<usize, StoreError> {
    let ended = state.store.end_idle_chats(now).await?;
    for chat in &ended {
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
    Ok(SessionState::new(&row, row.turn, &stored))
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
    let mut output = Output::default();
    let events = conversation::take_turn(
        &mut session,
        event,
        &mut http,
        kept,
        &mut output,
        &state.clock,
    )
    .await?;
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
    };
    let stored = Stored {
        flow: stored.flow,
        documents: stored.documents,
        snapshot: session.snapshot(),
        last,
        handoff: output.transfer.or(stored.handoff),
    };
    let end = outcome.map(|outcome| {
        conversation::ending(
            outcome.into(),
            stored.handoff.as_ref(),
            &stored.snapshot.vars,
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
    let result = SessionState::new(&row, saved, &stored);
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
    messages: Vec<Message>,
    path: Vec<String>,
    intent: Option<String>,
    emotion: Option<HeardEmotion>,
    listen: Option<ListenInfo>,
    transfer: Option<Handoff>,
    knowledge: Vec<KnowledgeStep>,
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
                Some(Event::HandoffResult {
                    status: HandoffStatus::Connected,
                })
            }
            // The `said` record carries the same text with its node.
            _ => None,
        }
    }

    fn record(&mut self, record: &Record) {
        match record {
            Record::Said { node, text } => self.messages.push(Message {
                text: text.clone(),
                node: node.clone(),
            }),
            Record::NodeEntered { node, .. } => self.path.push(node.clone()),
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
            record => self.knowledge.extend(KnowledgeStep::of(record)),
        }
    }
}
