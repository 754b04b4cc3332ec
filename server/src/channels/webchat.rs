//! The web-chat channel (the sessions API, the editor's "Try it" panel, a chat widget).
//!
//! Stateless between requests: every turn loads the session's snapshot from the database,
//! resumes it on the cached compiled flow it started on, feeds the caller's event, carries out
//! the flow's HTTP requests and transfers, and saves the new snapshot together with the turn's
//! call events (and the call's end) in one transaction. Any server instance can take the next
//! turn, and a restart between two turns loses nothing. A compare-and-set on the turn counter
//! lets exactly one of two concurrent turns on a session win.
//!
//! A transfer in chat hands the conversation to an agent queue: it is answered `connected` at
//! once, and the call's summary keeps the target, the flow's summary and the variables so that
//! the agent can see them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use flow_engine::model::{HttpMethod, InputMode, Outcome};
use flow_engine::runtime::{
    Action, Direction, Event, HandoffStatus, HttpRequest, Record, Session, Snapshot,
    TransferTarget, WaitSnapshot,
};
use flow_engine::turn::EventFeed;
use flow_engine::CompiledFlow;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::FlowHttp;
use crate::app::AppState;
use crate::flow_cache::{Documents, FlowError, FlowRef, Selector, Source};
use crate::outbound::Policy;
use crate::store::{
    now_ms, CallEnd, ChatSession, ChatStart, ChatTurn, NewCallEvent, Store, StoreError, Tenant,
};

/// The calls' `channel`.
pub const CHANNEL: &str = "chat";

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

/// Where a conversation was handed to, and what the agent is told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    /// `queue`, `phone` or `sip`.
    #[serde(rename = "type")]
    pub kind: String,
    pub target: String,
    pub summary: String,
}

impl Handoff {
    pub(crate) fn new(target: &TransferTarget, summary: &str) -> Handoff {
        let (kind, target) = match target {
            TransferTarget::Queue(queue) => ("queue", queue),
            TransferTarget::Phone(number) => ("phone", number),
            TransferTarget::Sip(address) => ("sip", address),
        };
        Handoff {
            kind: kind.to_owned(),
            target: target.clone(),
            summary: summary.to_owned(),
        }
    }
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<ListenInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Handoff>,
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
    pub outcome: Option<Outcome>,
    pub vars: Map<String, Value>,
    pub last: LastTurn,
}

impl SessionState {
    fn new(chat: &ChatSession, turn: i64, stored: &Stored) -> SessionState {
        let (node, outcome) = match &stored.snapshot.wait {
            WaitSnapshot::Input { node, .. }
            | WaitSnapshot::Http { node }
            | WaitSnapshot::Handoff { node } => (Some(node.clone()), None),
            WaitSnapshot::Ended { outcome } => (None, Some(*outcome)),
            WaitSnapshot::Start => (None, None),
        };
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
            last: stored.last.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("the session was not found")]
    NotFound,
    #[error(transparent)]
    Flow(#[from] FlowError),
    #[error("the session has ended")]
    Ended,
    #[error("another turn of this session was saved first")]
    TurnConflict,
    /// The copy of the session this server kept is behind the database (another server took
    /// a turn): the turn is run again from the database.
    #[error("the session moved on elsewhere")]
    Stale,
    #[error("the session cannot continue on its flow: {0}")]
    FlowChanged(String),
    #[error("a stored session is unreadable: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ChatError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::RevisionMismatch { .. } => ChatError::TurnConflict,
            other => ChatError::Store(other),
        }
    }
}

/// Starts a conversation: runs the flow from its start, then creates its call and session
/// with that first turn in one write.
pub async fn start(
    state: &AppState,
    tenant_id: &str,
    request: StartRequest,
) -> Result<SessionState, ChatError> {
    let super::Opened {
        chat,
        session,
        resolved,
        tenant,
    } = super::open(
        state,
        tenant_id,
        request.flow_id,
        request.selector,
        super::Parties {
            channel: CHANNEL,
            direction: Direction::Inbound,
            from: request.from.clone().unwrap_or_default(),
            to: request.to.clone().unwrap_or_default(),
            vars: request.vars,
        },
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
            chat,
            stored,
            session,
            policy: Some(policy_of(&tenant)),
            parties: Some((request.from, request.to)),
            check_before_http: false,
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
) -> Result<SessionState, ChatError> {
    let mut kept = state.sessions.take(tenant_id, session_id);
    loop {
        let from_memory = kept.is_some();
        let (chat, stored) = match kept.take() {
            Some(session) => session,
            None => load(&state.store, tenant_id, session_id).await?,
        };
        if chat.ended_at.is_some() {
            return Err(ChatError::Ended);
        }
        let flow = state
            .flows
            .get(
                &state.store,
                tenant_id,
                &stored.flow,
                stored.documents.as_ref(),
            )
            .await?;
        let session = resume(flow, &stored)?;
        let turn = Turn {
            chat,
            stored,
            session,
            policy: None,
            parties: None,
            check_before_http: from_memory,
        };
        match run_turn(state, tenant_id, turn, input.clone().into_event()).await {
            Err(ChatError::TurnConflict | ChatError::Stale) if from_memory => continue,
            outcome => return outcome,
        }
    }
}

/// The session as it stands, with what its last turn did.
pub async fn get(
    store: &Store,
    tenant_id: &str,
    session_id: &str,
) -> Result<SessionState, ChatError> {
    let (chat, stored) = load(store, tenant_id, session_id).await?;
    Ok(SessionState::new(&chat, chat.turn, &stored))
}

async fn load(
    store: &Store,
    tenant_id: &str,
    session_id: &str,
) -> Result<(ChatSession, Stored), ChatError> {
    let mut chat = store
        .get_chat_session(tenant_id, session_id)
        .await?
        .ok_or(ChatError::NotFound)?;
    let stored = serde_json::from_value(std::mem::take(&mut chat.snapshot))
        .map_err(|error| ChatError::Corrupt(error.to_string()))?;
    Ok((chat, stored))
}

fn resume(flow: Arc<CompiledFlow>, stored: &Stored) -> Result<Session, ChatError> {
    Session::resume(flow, stored.snapshot.clone())
        .map_err(|error| ChatError::FlowChanged(error.to_string()))
}

fn to_json(stored: &Stored) -> Result<String, ChatError> {
    serde_json::to_string(stored).map_err(|error| ChatError::Corrupt(error.to_string()))
}

pub(crate) fn policy_of(tenant: &Tenant) -> Policy {
    Policy {
        allowed_hosts: tenant.settings.allowed_hosts.clone(),
    }
}

/// A session loaded for a turn.
struct Turn {
    chat: ChatSession,
    stored: Stored,
    session: Session,
    /// The tenant's outbound policy, loaded on the first request that leaves the process.
    policy: Option<Policy>,
    /// For the first turn of a new conversation, which creates it: who chats, and with whom.
    parties: Option<(Option<String>, Option<String>)>,
    /// The session came from memory: make sure it is current before any HTTP request.
    check_before_http: bool,
}

async fn run_turn(
    state: &AppState,
    tenant_id: &str,
    turn: Turn,
    event: Event,
) -> Result<SessionState, ChatError> {
    let Turn {
        chat,
        stored,
        mut session,
        policy,
        parties,
        check_before_http,
    } = turn;
    let mut io = Io {
        http: FlowHttp {
            outbound: &state.outbound,
            demo_shop: &state.demo_shop,
            tenant_id,
        },
        store: &state.store,
        tenant_id,
        policy,
        check_turn: check_before_http.then(|| (chat.id.clone(), chat.turn)),
    };
    let output = drive(&mut session, event, &mut io).await?;
    let now = now_ms();
    let events: Vec<NewCallEvent> = output
        .records
        .iter()
        .map(|(at, record)| call_event(*at, record))
        .collect();
    let outcome = session.outcome();
    let listen = match session.is_listening() {
        true => output.listen.or(stored.last.listen),
        false => None,
    };
    let last = LastTurn {
        messages: output.messages,
        path: output.path,
        intent: output.intent,
        listen,
        transfer: output.transfer.clone(),
    };
    let stored = Stored {
        flow: stored.flow,
        documents: stored.documents,
        snapshot: session.snapshot(),
        last,
        handoff: output.transfer.or(stored.handoff),
    };
    let end = outcome.map(|outcome| CallEnd {
        ended_at: now,
        outcome: outcome.as_str().to_owned(),
        summary: Some(summary(stored.handoff.as_ref(), &stored.snapshot.vars)),
        duration_ms: Some((now - session.call().started_at_ms).max(0)),
    });
    let snapshot = to_json(&stored)?;
    let saved = match parties {
        Some((from_number, to_number)) => {
            let start = ChatStart {
                call_id: chat.call_id.clone(),
                session_id: chat.id.clone(),
                flow_id: chat.flow_id.clone(),
                flow_version: chat.flow_version,
                channel: CHANNEL.to_owned(),
                direction: "inbound".to_owned(),
                from_number,
                to_number,
                call_sid: None,
                started_at: chat.created_at,
                snapshot,
                events,
                end,
            };
            let saved = state.store.start_chat(tenant_id, start).await?;
            // The flow was deleted while its first turn ran.
            let saved = saved.ok_or(ChatError::Flow(FlowError::NotFound))?;
            state.metrics.active_sessions.inc();
            saved
        }
        None => {
            let turn = ChatTurn {
                expected_turn: chat.turn,
                snapshot,
                events,
                end,
            };
            state
                .store
                .save_chat_turn(tenant_id, &chat.id, turn, now)
                .await?
                .ok_or(ChatError::NotFound)?
        }
    };
    state.metrics.turns.inc();
    if outcome.is_some() {
        state.metrics.active_sessions.dec();
    }
    let result = SessionState::new(&chat, saved, &stored);
    if outcome.is_none() {
        let chat = ChatSession {
            turn: saved,
            updated_at: now,
            ..chat
        };
        state.sessions.keep(tenant_id, chat, stored);
    }
    Ok(result)
}

/// What the call record keeps when the conversation ends.
pub(crate) fn summary(handoff: Option<&Handoff>, vars: &Map<String, Value>) -> Value {
    let mut summary = Map::new();
    if let Some(handoff) = handoff {
        summary.insert(
            "transfer".into(),
            serde_json::to_value(handoff).unwrap_or_default(),
        );
    }
    summary.insert("vars".into(), Value::Object(vars.clone()));
    Value::Object(summary)
}

/// An engine record as a call event: its kind, its node, and the record itself as data.
pub(crate) fn call_event(at: i64, record: &Record) -> NewCallEvent {
    let data = serde_json::to_value(record).unwrap_or_default();
    let kind = data
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("record")
        .to_owned();
    let node = data.get("node").and_then(Value::as_str).map(str::to_owned);
    NewCallEvent {
        at,
        kind,
        node,
        data,
    }
}

/// Sessions between turns that this server took the last turn of, so that the next turn need
/// not read them back: taken out for a turn, put back after it is saved. At most
/// [`KEPT_SESSIONS`]; past that the least recently saved half is dropped (and read from the
/// database when they continue).
#[derive(Default)]
pub struct Sessions {
    kept: Mutex<HashMap<String, Kept>>,
    saves: AtomicU64,
}

/// Sessions kept in memory at most.
pub const KEPT_SESSIONS: usize = 20_000;

struct Kept {
    tenant_id: String,
    chat: ChatSession,
    stored: Stored,
    saved: u64,
}

impl Sessions {
    fn take(&self, tenant_id: &str, session_id: &str) -> Option<(ChatSession, Stored)> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.get(session_id) {
            Some(entry) if entry.tenant_id == tenant_id => kept
                .remove(session_id)
                .map(|entry| (entry.chat, entry.stored)),
            _ => None,
        }
    }

    fn keep(&self, tenant_id: &str, chat: ChatSession, stored: Stored) {
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

/// Carries out what a turn asks of the outside world.
struct Io<'a> {
    http: FlowHttp<'a>,
    store: &'a Store,
    tenant_id: &'a str,
    policy: Option<Policy>,
    /// `(session, turn)` to confirm in the database before the first request.
    check_turn: Option<(String, i64)>,
}

impl Io<'_> {
    async fn http(&mut self, request: &HttpRequest) -> Result<Event, ChatError> {
        // A GET changes nothing (RFC 9110 calls it safe): one from an old copy does
        // no harm, as the turn is then discarded at its save. Anything else might change
        // something, so it waits until the copy is confirmed current.
        let safe = request.method == HttpMethod::Get;
        if let Some((session_id, turn)) = self.check_turn.take_if(|_| !safe) {
            let stored = self
                .store
                .chat_session_turn(self.tenant_id, &session_id)
                .await?;
            if stored != Some(turn) {
                return Err(ChatError::Stale);
            }
        }
        if FlowHttp::is_outbound(request) && self.policy.is_none() {
            let tenant = self.store.get_tenant(self.tenant_id).await?;
            self.policy = Some(tenant.as_ref().map(policy_of).unwrap_or_default());
        }
        let policy = self.policy.clone().unwrap_or_default();
        Ok(self.http.send(request, &policy).await)
    }
}

/// Everything one turn did.
#[derive(Debug, Default)]
struct Output {
    records: Vec<(i64, Record)>,
    messages: Vec<Message>,
    path: Vec<String>,
    intent: Option<String>,
    listen: Option<ListenInfo>,
    transfer: Option<Handoff>,
}

/// Feeds one event and resolves the HTTP requests and transfers that follow it, as
/// [`flow_engine::turn::drive`] does for synchronous drivers.
async fn drive(session: &mut Session, event: Event, io: &mut Io<'_>) -> Result<Output, ChatError> {
    let mut output = Output::default();
    let mut turn = EventFeed::new(event);
    while let Some(actions) = turn.step(session) {
        let at = now_ms();
        for action in actions {
            match action {
                // The `said` record carries the same text with its node.
                Action::Say { .. } | Action::Play { .. } | Action::HangUp { .. } => {}
                Action::Listen(listen) => {
                    output.listen = Some(ListenInfo {
                        modes: listen.modes,
                        timeout_ms: listen.timeout_ms,
                        max_digits: listen.max_digits,
                        finish_on_key: listen.finish_on_key,
                    });
                }
                Action::Http(request) => turn.answer(io.http(&request).await?),
                Action::Transfer(transfer) => {
                    output.transfer = Some(Handoff::new(&transfer.target, &transfer.summary));
                    turn.answer(Event::HandoffResult {
                        status: HandoffStatus::Connected,
                    });
                }
                Action::Record(record) => {
                    match &record {
                        Record::Said { node, text } => output.messages.push(Message {
                            text: text.clone(),
                            node: node.clone(),
                        }),
                        Record::NodeEntered { node, .. } => output.path.push(node.clone()),
                        Record::Heard {
                            intent: Some(intent),
                            ..
                        }
                        | Record::Digits {
                            intent: Some(intent),
                            ..
                        } if output.intent.is_none() => output.intent = Some(intent.clone()),
                        _ => {}
                    }
                    output.records.push((at, record));
                }
            }
        }
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_become_call_events() {
        let event = call_event(
            7,
            &Record::Heard {
                node: "ask".into(),
                text: "查订单".into(),
                confidence: None,
                intent: Some("track_order".into()),
                score: Some(0.9),
                global: false,
            },
        );
        assert_eq!(event.kind, "heard");
        assert_eq!(event.node.as_deref(), Some("ask"));
        assert_eq!(event.at, 7);
        assert_eq!(event.data["intent"], "track_order");
        let ended = call_event(
            8,
            &Record::Ended {
                node: None,
                outcome: Outcome::Abandoned,
            },
        );
        assert_eq!(ended.kind, "ended");
        assert_eq!(ended.node, None);
    }

    #[test]
    fn the_summary_keeps_the_transfer_and_the_variables() {
        let handoff = Handoff::new(&TransferTarget::Queue("orders".into()), "订单号：1");
        let vars: Map<String, Value> = [("order_id".to_owned(), Value::from("1"))]
            .into_iter()
            .collect();
        let summary = summary(Some(&handoff), &vars);
        assert_eq!(summary["transfer"]["type"], "queue");
        assert_eq!(summary["transfer"]["target"], "orders");
        assert_eq!(summary["vars"]["order_id"], "1");
    }
}
