//! Who owns a conversation the bot handed to a queue: bot → waiting → agent → bot. Each step
//! is a compare-and-set on the handoff's row (two agents, on two servers, cannot both take
//! one) and an event of the conversation, so the transcript shows who said what. While a
//! person owns a chat its flow never replies: the chat channel records the customer's lines
//! for the agent instead of taking turns ([`crate::channels::webchat`]).

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::agents;
use super::route::{route, Route};
use crate::channels::webchat::{self, SessionState};
use crate::conversation::local_time::time_zone;
use crate::conversation::{channel_event, ConversationError};
use crate::state::AppState;
use crate::store::{constraint, ChatSession, HandoffRow, HandoffState, NewHandoff, StoreError};
use flow_engine::runtime::{Event, HandoffStatus};

/// Who answers a conversation's customer now.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Owner {
    /// The flow.
    Bot,
    /// In a queue, for the next agent.
    Waiting { queue: String, handoff: String },
    /// An agent took it.
    Agent { queue: String, handoff: String },
}

impl Owner {
    pub fn of(handoff: &HandoffRow) -> Owner {
        let queue = handoff.queue.clone();
        let id = handoff.id.clone();
        match handoff.state {
            HandoffState::Waiting => Owner::Waiting { queue, handoff: id },
            HandoffState::Agent => Owner::Agent { queue, handoff: id },
            HandoffState::Done => Owner::Bot,
        }
    }
}

/// How an agent ends their part of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// The customer's matter is settled.
    Resolved,
    /// Someone must get back to the customer.
    FollowUp,
    /// Not something the shop can help with.
    NotResolved,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Resolved => "resolved",
            Disposition::FollowUp => "follow_up",
            Disposition::NotResolved => "not_resolved",
        }
    }
}

/// What a handoff's owner changed with, for the transcript and the console.
const HANDED_BACK: &str = "handed_back";
const ABANDONED: &str = "abandoned";

#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error("no such handoff")]
    NotFound,
    /// Another agent took it first, or it is over.
    #[error("the conversation is not waiting")]
    NotWaiting,
    /// The agent does not have it (any more).
    #[error("the conversation is not yours")]
    NotYours,
    /// A phone call: the carrier has it, not this server.
    #[error("only chats can be answered here")]
    NotChat,
    /// The conversation's flow has no such node to go on at.
    #[error("the flow has no such node")]
    UnknownNode,
    #[error(transparent)]
    Conversation(#[from] ConversationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a transfer to `queue` goes at `at_ms`.
pub async fn route_transfer(
    state: &AppState,
    tenant_id: &str,
    queue: &str,
    at_ms: i64,
) -> Result<Route, ConversationError> {
    let queues = super::list(&state.store, tenant_id)
        .await
        .map_err(|error| match error {
            super::QueueError::Store(error) => ConversationError::from(error),
            other => ConversationError::Corrupt(other.to_string()),
        })?;
    if queues.is_empty() {
        return Ok(Route::NoQueues);
    }
    let agents = agents::list(&state.store, tenant_id).await?;
    let tenant = state
        .store
        .get_tenant(tenant_id)
        .await?
        .ok_or(ConversationError::NotFound)?;
    Ok(route(&queues, &agents, queue, at_ms, time_zone(&tenant)))
}

/// Puts a chat in `queue`'s waiting list (the one already there, when the chat has one).
pub async fn open_chat(
    state: &AppState,
    tenant_id: &str,
    chat: &ChatSession,
    queue: String,
    summary: String,
) -> Result<HandoffRow, ConversationError> {
    let new = NewHandoff {
        call_id: chat.call_id.clone(),
        session_id: Some(chat.id.clone()),
        channel: "chat".to_owned(),
        queue,
        summary,
        waiting_since: state.clock.now_ms(),
    };
    let row = match state.store.create_handoff(tenant_id, &new).await {
        Ok(row) => row,
        Err(error) if error.is_conflict_on(constraint::HANDOFF_OPEN) => state
            .store
            .open_handoff(tenant_id, &chat.call_id)
            .await?
            .ok_or(ConversationError::TurnConflict)?,
        Err(error) => return Err(error.into()),
    };
    state.live.owner_changed(tenant_id, &row.call_id);
    Ok(row)
}

/// A phone call the carrier put in `queue` (`<Enqueue>`): listed for the queue's agents with
/// its context while it waits; the carrier connects it to whoever answers the queue. A queue the
/// tenant does not have (it has none) is not listed.
pub async fn open_phone(
    state: &AppState,
    tenant_id: &str,
    call_id: &str,
    queue: &str,
    summary: &str,
) -> Result<(), ConversationError> {
    if !super::keys(&state.store, tenant_id).await?.contains(queue) {
        return Ok(());
    }
    let new = NewHandoff {
        call_id: call_id.to_owned(),
        session_id: None,
        channel: "phone".to_owned(),
        queue: queue.to_owned(),
        summary: summary.to_owned(),
        waiting_since: state.clock.now_ms(),
    };
    match state.store.create_handoff(tenant_id, &new).await {
        // A retried webhook: it is listed already.
        Err(error) if error.is_conflict_on(constraint::HANDOFF_OPEN) => {}
        Err(error) => return Err(error.into()),
        Ok(_) => state.live.owner_changed(tenant_id, call_id),
    }
    Ok(())
}

/// The carrier says how a phone call left its queue (`<Enqueue>`'s action: `bridged`, `hangup`,
/// `queue-full`…): its handoff is over, with that as its outcome.
pub async fn phone_left_queue(
    state: &AppState,
    tenant_id: &str,
    call_id: &str,
    result: &str,
) -> Result<(), StoreError> {
    if let Some(open) = state.store.open_handoff(tenant_id, call_id).await? {
        let now = state.clock.now_ms();
        state
            .store
            .close_handoff(tenant_id, &open.id, None, result, now)
            .await?;
        state.live.owner_changed(tenant_id, call_id);
    }
    Ok(())
}

/// The customer left a conversation that was waiting for, or with, a person.
pub async fn abandoned(state: &AppState, handoff: &HandoffRow) -> Result<(), StoreError> {
    let now = state.clock.now_ms();
    state
        .store
        .close_handoff(&handoff.tenant_id, &handoff.id, None, ABANDONED, now)
        .await?;
    state
        .live
        .owner_changed(&handoff.tenant_id, &handoff.call_id);
    Ok(())
}

/// The agent `user` (named `name` to the customer) takes a waiting conversation.
pub async fn accept(
    state: &AppState,
    tenant_id: &str,
    id: &str,
    user: &str,
    name: &str,
) -> Result<HandoffRow, HandoffError> {
    let now = state.clock.now_ms();
    let handoff = state
        .store
        .accept_handoff(tenant_id, id, user, now)
        .await?
        .ok_or_else(|| HandoffError::NotWaiting)?;
    let event = channel_event("agent_joined", None, json!({ "agent": name }));
    record(state, &handoff, vec![event], true).await?;
    Ok(handoff)
}

/// The agent `user` says `text` to the customer.
pub async fn reply(
    state: &AppState,
    tenant_id: &str,
    id: &str,
    user: &str,
    name: &str,
    text: &str,
) -> Result<(), HandoffError> {
    let handoff = owned(state, tenant_id, id, user).await?;
    let event = channel_event("agent_said", None, json!({ "agent": name, "text": text }));
    record(state, &handoff, vec![event], false).await
}

/// The agent ends their part: the flow goes on after its transfer as after any connected
/// one (its `next`, or the conversation ends as handed off).
pub async fn end(
    state: &AppState,
    tenant_id: &str,
    id: &str,
    user: &str,
    name: &str,
    disposition: Disposition,
) -> Result<SessionState, HandoffError> {
    let event = Event::HandoffResult {
        status: HandoffStatus::Connected,
    };
    give_back(
        state,
        tenant_id,
        id,
        user,
        name,
        disposition.as_str(),
        None,
        event,
    )
    .await
}

/// The agent gives the conversation back to the bot, which goes on at `node`.
pub async fn hand_back(
    state: &AppState,
    tenant_id: &str,
    id: &str,
    user: &str,
    name: &str,
    node: &str,
) -> Result<SessionState, HandoffError> {
    let handoff = owned(state, tenant_id, id, user).await?;
    let nodes = super::context::nodes(state, tenant_id, &handoff.call_id).await?;
    if !nodes.iter().any(|(known, _)| known == node) {
        return Err(HandoffError::UnknownNode);
    }
    let event = Event::HandedBack {
        node: node.to_owned(),
    };
    give_back(
        state,
        tenant_id,
        id,
        user,
        name,
        HANDED_BACK,
        Some(node),
        event,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn give_back(
    state: &AppState,
    tenant_id: &str,
    id: &str,
    user: &str,
    name: &str,
    disposition: &str,
    node: Option<&str>,
    event: Event,
) -> Result<SessionState, HandoffError> {
    let handoff = owned(state, tenant_id, id, user).await?;
    let session_id = handoff.session_id.clone().ok_or(HandoffError::NotChat)?;
    let now = state.clock.now_ms();
    state
        .store
        .close_handoff(tenant_id, id, Some(user), disposition, now)
        .await?
        .ok_or(HandoffError::NotYours)?;
    let left = channel_event(
        "agent_left",
        None,
        json!({ "agent": name, "disposition": disposition, "to": node }),
    );
    let answer = webchat::back_from_person(state, tenant_id, &session_id, vec![left], event).await;
    state.live.owner_changed(tenant_id, &handoff.call_id);
    Ok(answer?)
}

/// The handoff, when `user` has it.
async fn owned(
    state: &AppState,
    tenant_id: &str,
    id: &str,
    user: &str,
) -> Result<HandoffRow, HandoffError> {
    let handoff = state
        .store
        .get_handoff(tenant_id, id)
        .await?
        .ok_or(HandoffError::NotFound)?;
    match (handoff.state, handoff.agent_id.as_deref()) {
        (HandoffState::Agent, Some(agent)) if agent == user => Ok(handoff),
        _ => Err(HandoffError::NotYours),
    }
}

/// Writes events of a handed-off conversation and tells its live views (and, when its owner
/// changed, the queue lists).
async fn record(
    state: &AppState,
    handoff: &HandoffRow,
    events: Vec<crate::store::NewCallEvent>,
    owner_changed: bool,
) -> Result<(), HandoffError> {
    // A phone call's lines are the carrier's; taking it only marks whose it is.
    if let Some(session_id) = handoff.session_id.as_deref() {
        webchat::record_with_person(state, &handoff.tenant_id, session_id, events).await?;
    }
    match owner_changed {
        true => state
            .live
            .owner_changed(&handoff.tenant_id, &handoff.call_id),
        false => state.live.message(&handoff.tenant_id, &handoff.call_id),
    }
    Ok(())
}
