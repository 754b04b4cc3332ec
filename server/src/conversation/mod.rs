//! One conversation's lifecycle, whatever carries it: open it on a flow ([`open`]), take a turn
//! ([`take_turn`]), record what happened as call events ([`create`], [`save`]), end its call
//! record ([`ending`]), and hand it to an agent ([`Handoff`]). Web chat, both phone modes, the
//! editor's request trial and the CLI simulator (which only takes turns) go through here; a channel driver only turns its wire messages into engine events and says how
//! the flow's prompts render ([`Renderer`]), so a new node kind never touches a driver.
//!
//! Between turns a conversation is its `conversations` row (record, snapshot, turn counter, the
//! knowledge-base revisions it pinned when it opened) and what its channel keeps of it
//! ([`Saved`]: the engine's snapshot and the flow documents it runs on). Every resume, on any
//! server, gives the session exactly the knowledge-base revisions it started with.
//!
//! Opening is also when the tenant's customer lookup asks the shop who is calling
//! ([`crate::customers`]): every channel gets `customer` the same way, and the snapshot keeps
//! it for the rest of the call.

mod error;
mod handoff;
pub mod local_time;
mod opt_out;
mod record;
mod tenant;
mod turn;

use flow_engine::knowledge::Knowledge;
use flow_engine::runtime::{CallInfo, Session, Snapshot};
use flow_engine::CompiledFlow;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::Arc;

pub use error::ConversationError;
pub use handoff::{Handoff, HandoffKind};
pub use opt_out::{list_opt_outs, other_party};
pub use record::{
    call_event, channel_event, counted, create, ending, save, summary, Parties, TurnWrite,
};
pub use tenant::{tenant_map, tenant_name};
pub use turn::{take_turn, KeptCopy, Renderer, Requests, TurnError};

use crate::customers::{self, Caller};
use crate::flow_cache::{Documents, FlowError, FlowRef, Resolved, Selector, Source};
use crate::knowledge::{KnowledgeError, Pinned};
use crate::state::AppState;
use crate::store::{ChatSession, NewCallEvent, Store, Tenant};

/// What a channel keeps of a conversation between turns (its row's snapshot column).
pub trait Saved: Serialize + DeserializeOwned {
    /// The exact flow documents the conversation runs on.
    fn flow(&self) -> &FlowRef;
    /// The conversation's own copy of draft documents, when it runs a draft.
    fn documents(&self) -> Option<&Documents> {
        None
    }
    fn snapshot(&self) -> &Snapshot;
}

/// A new conversation ready for its first event: its row (not yet written), the flow session,
/// the documents it runs on, its tenant, and the events of its opening (the customer lookup)
/// to write before those of its first turn.
pub struct Opened {
    pub row: ChatSession,
    pub session: Session,
    pub resolved: Resolved,
    pub tenant: Tenant,
    pub opening: Vec<NewCallEvent>,
}

/// Opens a conversation on `flow_id` (the documents `selector` picks), with new call and
/// session ids, and the customer the tenant's lookup finds (none when it has no lookup, or the
/// lookup fails); nothing is written.
pub async fn open(
    state: &AppState,
    tenant_id: &str,
    flow_id: String,
    selector: Selector,
    parties: Parties,
    vars: Map<String, Value>,
) -> Result<Opened, ConversationError> {
    let resolved = state
        .flows
        .resolve(&state.store, tenant_id, &flow_id, selector)
        .await?;
    let tenant = state
        .store
        .get_tenant(tenant_id)
        .await?
        .ok_or(FlowError::NotFound)?;
    let started_at = state.clock.now_ms();
    match crate::quotas::admit_conversation(
        state,
        &tenant.settings.quotas,
        tenant_id,
        parties.channel,
        started_at,
    )
    .await
    {
        Ok(()) => {}
        Err(crate::quotas::QuotaError::Refused(refused)) => {
            return Err(ConversationError::OverQuota {
                refused,
                language: Some(resolved.flow.document().language.clone()),
            })
        }
        Err(crate::quotas::QuotaError::Store(error)) => return Err(error.into()),
    }
    let flow_version = match resolved.flow_ref.root.source {
        Source::Version(version) => Some(version),
        Source::Draft(_) => None,
    };
    // The lookup waits on the shop, the pin on the database: neither needs the other.
    let caller = Caller::of(&parties);
    let (pinned, lookup) = tokio::join!(
        state.knowledge.pin(
            &state.store,
            tenant_id,
            Some(resolved.flow.knowledge_bases()),
        ),
        customers::look_up(state, &tenant, &caller, &resolved.flow.document().language),
    );
    let (knowledge, pinned) = pinned.map_err(knowledge_failure)?;
    let row = ChatSession {
        id: Store::new_chat_session_id(),
        tenant_id: tenant_id.to_owned(),
        flow_id,
        flow_version,
        call_id: parties.call_id.clone().unwrap_or_else(Store::new_call_id),
        snapshot: Value::Null,
        turn: 0,
        created_at: started_at,
        updated_at: started_at,
        ended_at: None,
        outcome: None,
        knowledge: if pinned.0.is_empty() {
            Value::Null
        } else {
            serde_json::to_value(&pinned).map_err(|error| FlowError::Internal(error.to_string()))?
        },
    };
    let mut session = new_session(
        resolved.flow.clone(),
        &row.call_id,
        &parties,
        vars,
        &tenant,
        started_at,
    );
    let mut opening = Vec::new();
    if let Some(lookup) = lookup {
        session.set_customer(lookup.customer());
        opening.push(lookup.event(started_at));
    }
    session.set_knowledge(knowledge);
    Ok(Opened {
        row,
        session,
        resolved,
        tenant,
        opening,
    })
}

/// The engine's session for a conversation on `flow`: who takes part, the variables it starts
/// with, and its tenant as the flow sees it.
pub fn new_session(
    flow: Arc<CompiledFlow>,
    call_id: &str,
    parties: &Parties,
    vars: Map<String, Value>,
    tenant: &Tenant,
    started_at: i64,
) -> Session {
    let language = flow.document().language.clone();
    let info = CallInfo {
        call_id: call_id.to_owned(),
        channel: parties.channel.as_str().to_owned(),
        direction: parties.direction,
        from: parties.from.clone().unwrap_or_default(),
        to: parties.to.clone().unwrap_or_default(),
        started_at_ms: started_at,
        utc_offset_minutes: local_time::utc_offset_minutes(
            local_time::time_zone(tenant),
            started_at,
        ),
        vars,
        tenant: tenant_map(tenant, &language),
        // The lookup's answer, given with `Session::set_customer` once it is in.
        customer: Map::new(),
        redaction: tenant.settings.redaction.clone(),
    };
    Session::new(flow, info)
}

/// Reads a conversation's row and what its channel keeps of it.
pub async fn load<S: Saved>(
    store: &Store,
    tenant_id: &str,
    id: &str,
) -> Result<(ChatSession, S), ConversationError> {
    let mut row = store
        .get_chat_session(tenant_id, id)
        .await?
        .ok_or(ConversationError::NotFound)?;
    let kept = serde_json::from_value(std::mem::take(&mut row.snapshot))
        .map_err(|error| ConversationError::Corrupt(error.to_string()))?;
    Ok((row, kept))
}

/// The engine's session as the conversation left it, on the flow and the knowledge-base
/// revisions it started on.
pub async fn resume<S: Saved>(
    state: &AppState,
    tenant_id: &str,
    row: &ChatSession,
    kept: &S,
) -> Result<Session, ConversationError> {
    let flow = state
        .flows
        .get(&state.store, tenant_id, kept.flow(), kept.documents())
        .await?;
    let mut session = Session::resume(flow, kept.snapshot().clone())
        .map_err(|error| ConversationError::FlowChanged(error.to_string()))?;
    session.set_knowledge(pinned_knowledge(state, tenant_id, row).await?);
    Ok(session)
}

/// The knowledge-base revisions a conversation pinned when it opened, loaded (from the cache of
/// indexes, else the database) for a session that resumes it.
pub async fn pinned_knowledge(
    state: &AppState,
    tenant_id: &str,
    row: &ChatSession,
) -> Result<Knowledge, ConversationError> {
    if row.knowledge.is_null() {
        return Ok(Knowledge::default());
    }
    let pinned: Pinned = serde_json::from_value(row.knowledge.clone())
        .map_err(|error| ConversationError::Corrupt(error.to_string()))?;
    state
        .knowledge
        .pinned(&state.store, tenant_id, &pinned)
        .await
        .map_err(|error| match error {
            KnowledgeError::Store(error) => ConversationError::from(error),
            error => ConversationError::Corrupt(error.to_string()),
        })
}

/// A knowledge base that cannot be loaded for a new conversation.
fn knowledge_failure(error: KnowledgeError) -> FlowError {
    match error {
        KnowledgeError::Store(error) => FlowError::Store(error),
        error => FlowError::Internal(format!("loading knowledge bases failed: {error}")),
    }
}

/// What a channel keeps, as the row's snapshot text.
pub fn to_json<S: Saved>(kept: &S) -> Result<String, ConversationError> {
    serde_json::to_string(kept).map_err(|error| ConversationError::Corrupt(error.to_string()))
}

#[cfg(test)]
mod tests {
    use flow_engine::runtime::{Direction, Event};
    use flow_engine::FlowDocument;

    use super::*;
    use crate::store::{Channel, TenantSettings};

    /// Every channel opens its session here, so every channel dates 明天 in the tenant's zone:
    /// at 01:00 in Shanghai it is already the 15th, while UTC still says the 14th.
    #[test]
    fn sessions_date_answers_in_the_tenants_time_zone() {
        let document: FlowDocument = serde_json::from_value(serde_json::json!({
            "schema": 1, "name": "date", "language": "zh-CN", "start": "ask",
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "哪天？",
                  "slot": { "var": "day", "type": "date" }, "next": "done",
                  "no_match": { "max": 0, "next": "done" }, "no_input": { "max": 0, "next": "done" } },
                { "id": "done", "type": "end", "outcome": "resolved" }
            ]
        }))
        .expect("a flow document");
        let flow = CompiledFlow::compile(&document, &Default::default()).expect("compiles");
        let tenant = Tenant {
            id: "t".into(),
            name: "Shop".into(),
            slug: "shop".into(),
            settings: TenantSettings::default(),
            created_at: 0,
            suspended_at: None,
        };
        let parties = Parties {
            channel: Channel::Chat,
            direction: Direction::Inbound,
            from: None,
            to: None,
            customer: None,
            call_sid: None,
            call_id: None,
        };
        // 2026-06-14T17:00:00Z is 2026-06-15 01:00 in Shanghai.
        let started_at = 1_781_456_400_000;
        let mut session = new_session(flow, "c", &parties, Map::new(), &tenant, started_at);
        assert_eq!(session.call().utc_offset_minutes, 480);
        session.handle(Event::Started);
        session.handle(Event::Heard {
            text: "明天".into(),
            confidence: None,
        });
        assert_eq!(
            session.vars_json().get("day"),
            Some(&Value::String("2026-06-16".into()))
        );
    }
}
