//! Agents: the tenant's users who answer conversations, the queues each serves and whether
//! they can take one now. Presence changes many times a day and is not audited; the queues an
//! agent serves are.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::QueueError;
use crate::error::FieldError;
use crate::store::{Actor, AgentRow, Store, StoreError};

/// Whether an agent can take a conversation now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Available,
    Busy,
    Away,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Available => "available",
            Presence::Busy => "busy",
            Presence::Away => "away",
        }
    }

    fn parse(text: &str) -> Presence {
        match text {
            "available" => Presence::Available,
            "busy" => Presence::Busy,
            // Anything else (a value a newer server wrote) takes no conversations.
            _ => Presence::Away,
        }
    }
}

/// An agent as the API and the console show them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Agent {
    pub user_id: String,
    pub name: String,
    pub email: String,
    /// The keys of the queues they serve.
    pub queues: Vec<String>,
    pub presence: Presence,
}

impl Agent {
    fn from_row(row: AgentRow) -> Agent {
        Agent {
            queues: serde_json::from_value(row.queues).unwrap_or_default(),
            presence: Presence::parse(&row.presence),
            user_id: row.user_id,
            name: row.display_name,
            email: row.email,
        }
    }
}

pub async fn list(store: &Store, tenant_id: &str) -> Result<Vec<Agent>, StoreError> {
    Ok(store
        .list_agents(tenant_id)
        .await?
        .into_iter()
        .map(Agent::from_row)
        .collect())
}

/// Whether someone serving `queue` is available now.
pub fn staffed(agents: &[Agent], queue: &str) -> bool {
    agents.iter().any(|agent| {
        agent.presence == Presence::Available && agent.queues.iter().any(|q| q == queue)
    })
}

/// Sets the user's presence; `false` when the tenant has no such enabled user.
pub async fn set_presence(
    store: &Store,
    tenant_id: &str,
    user_id: &str,
    presence: Presence,
    now_ms: i64,
) -> Result<bool, StoreError> {
    store
        .set_presence(tenant_id, user_id, presence.as_str(), now_ms)
        .await
}

/// Sets the queues a user serves, with its audit entry.
pub async fn set_queues(
    store: &Store,
    actor: &Actor,
    user_id: &str,
    queues: Vec<String>,
    now_ms: i64,
) -> Result<(), QueueError> {
    // Someone else's user is not there at all, whatever the queues.
    if store.get_user(&actor.tenant_id, user_id).await?.is_none() {
        return Err(QueueError::NotFound);
    }
    let known = super::keys(store, &actor.tenant_id).await?;
    let errors: Vec<FieldError> = queues
        .iter()
        .enumerate()
        .filter(|(_, key)| !known.contains(*key))
        .map(|(i, key)| FieldError {
            field: format!("/queues/{i}"),
            code: "unknown_queue".to_owned(),
            message: format!("There is no queue \"{key}\"."),
            node: None,
        })
        .collect();
    if !errors.is_empty() {
        return Err(QueueError::Invalid(errors));
    }
    let queues: BTreeSet<String> = queues.into_iter().collect();
    let mut transaction = store.transaction().await?;
    if !transaction
        .put_agent_queues(&actor.tenant_id, user_id, &json!(queues), now_ms)
        .await?
    {
        return Err(QueueError::NotFound);
    }
    transaction
        .record_audit(
            actor,
            "agent.queues",
            user_id,
            &json!({ "queues": queues }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(())
}
