//! What an agent sees of a handed-off conversation, so that the customer never repeats
//! themselves: the flow's summary, the transcript so far, the variables and slots the flow
//! collected, the intents it heard, how angry the customer sounded turn by turn, who they are
//! (as the tenant's customer lookup found them), their previous conversations, and the flow's
//! nodes the agent may hand the conversation back to.

use serde_json::{Map, Value};

use crate::channels::webchat;
use crate::customers;
use crate::state::AppState;
use crate::store::{Call, CallEvent, HandoffRow, StoreError};

/// Previous conversations shown at most.
const PREVIOUS: u32 = 5;

pub struct Context {
    pub handoff: HandoffRow,
    pub call: Call,
    pub events: Vec<CallEvent>,
    /// The flow's variables now (slots included).
    pub vars: Map<String, Value>,
    /// The intents heard, in order, each once.
    pub intents: Vec<String>,
    /// Each customer line's anger (0–1), in order, where it was scored.
    pub anger: Vec<f64>,
    /// The customer as the lookup found them when the conversation opened; empty when it
    /// found nobody (or the tenant has no lookup).
    pub customer: Map<String, Value>,
    /// The customer's earlier conversations, newest first.
    pub previous: Vec<Call>,
    /// The nodes of the flow version the conversation runs, as (id, label): where the agent may
    /// hand it back to.
    pub nodes: Vec<(String, String)>,
}

/// The context of the tenant's handoff `id`; `None` when it has none.
pub async fn of(
    state: &AppState,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Context>, StoreError> {
    let Some(handoff) = state.store.get_handoff(tenant_id, id).await? else {
        return Ok(None);
    };
    let Some(found) = state.store.get_call(tenant_id, &handoff.call_id).await? else {
        return Ok(None);
    };
    let vars = match &handoff.session_id {
        Some(session_id) => match webchat::get(&state.store, tenant_id, session_id).await {
            Ok(session) => session.vars,
            // The session is what the chat keeps; the call and its events still tell the rest.
            Err(_) => Map::new(),
        },
        None => Map::new(),
    };
    let mut intents: Vec<String> = Vec::new();
    let mut anger = Vec::new();
    for event in &found.events {
        if !matches!(event.kind.as_str(), "heard" | "digits" | "caller_said") {
            continue;
        }
        if let Some(intent) = event.data.get("intent").and_then(Value::as_str) {
            if !intents.iter().any(|known| known == intent) {
                intents.push(intent.to_owned());
            }
        }
        if let Some(score) = event
            .data
            .get("emotion")
            .and_then(|emotion| emotion.get("anger"))
            .and_then(Value::as_f64)
        {
            anger.push(score);
        }
    }
    let customer = customer_of(&found.events);
    let previous = match &found.call.from_number {
        Some(from) if !from.is_empty() => {
            state
                .store
                .calls_from(tenant_id, from, found.call.started_at, PREVIOUS)
                .await?
        }
        _ => Vec::new(),
    };
    let nodes = version_nodes(state, tenant_id, &found.call).await?;
    Ok(Some(Context {
        handoff,
        call: found.call,
        events: found.events,
        vars,
        intents,
        anger,
        customer,
        previous,
        nodes,
    }))
}

/// The profile the conversation's customer lookup found, from its event.
pub fn customer_of(events: &[CallEvent]) -> Map<String, Value> {
    events
        .iter()
        .find(|event| event.kind == customers::lookup::EVENT_KIND)
        .and_then(|event| event.data.get("customer"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The nodes of the flow version the conversation `call_id` runs, as (id, label).
pub async fn nodes(
    state: &AppState,
    tenant_id: &str,
    call_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let Some(call) = state.store.get_call_row(tenant_id, call_id).await? else {
        return Ok(Vec::new());
    };
    version_nodes(state, tenant_id, &call).await
}

async fn version_nodes(
    state: &AppState,
    tenant_id: &str,
    call: &Call,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(match call.flow_version {
        Some(version) => state
            .store
            .get_flow_version(tenant_id, &call.flow_id, version)
            .await?
            .map(|version| nodes_of(&version.document))
            .unwrap_or_default(),
        None => Vec::new(),
    })
}

/// A flow document's nodes as (id, label); a node without a label goes by its id.
fn nodes_of(document: &Value) -> Vec<(String, String)> {
    document
        .get("nodes")
        .and_then(Value::as_array)
        .map(|nodes| {
            nodes
                .iter()
                .filter_map(|node| {
                    let id = node.get("id")?.as_str()?.to_owned();
                    let label = node
                        .get("label")
                        .and_then(Value::as_str)
                        .filter(|label| !label.trim().is_empty())
                        .unwrap_or(&id)
                        .to_owned();
                    Some((id, label))
                })
                .collect()
        })
        .unwrap_or_default()
}
