use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, new_id, Result, Store};

/// A web-chat conversation between turns: the engine's snapshot, so that any server instance,
/// or the same one after a restart, can run the next turn.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatSession {
    pub id: String,
    pub tenant_id: String,
    pub flow_id: String,
    /// `None` when the session runs the draft.
    pub flow_version: Option<i64>,
    /// The call that records this conversation.
    pub call_id: String,
    pub snapshot: Value,
    /// Turns saved so far; each save names the turn it started from.
    pub turn: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub ended_at: Option<i64>,
}

const COLUMNS: &str = "tenant_id, id, flow_id, flow_version, call_id, snapshot, turn, \
     created_at, updated_at, ended_at";

impl ChatSession {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(ChatSession {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            flow_id: row.try_get("flow_id")?,
            flow_version: row.try_get("flow_version")?,
            call_id: row.try_get("call_id")?,
            snapshot: json_column(row, "chat_sessions", "snapshot")?,
            turn: row.try_get("turn")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            ended_at: row.try_get("ended_at")?,
        })
    }
}

impl Store {
    /// Starts a session at turn 0 for a call created with [`Store::create_call`]; it runs the
    /// call's flow and version. `None` when the tenant has no such call.
    pub async fn create_chat_session(
        &self,
        tenant_id: &str,
        call_id: &str,
        snapshot: &Value,
        now_ms: i64,
    ) -> Result<Option<ChatSession>> {
        let row = sqlx::query(&format!(
            "INSERT INTO chat_sessions \
                 (tenant_id, id, flow_id, flow_version, call_id, snapshot, turn, created_at, updated_at) \
             SELECT c.tenant_id, $3, c.flow_id, c.flow_version, c.id, $4, 0, $5, $5 FROM calls c \
             WHERE c.tenant_id = $1 AND c.id = $2 \
             RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(call_id)
        .bind(new_id("cht"))
        .bind(snapshot.to_string())
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(ChatSession::from_row).transpose()
    }

    pub async fn get_chat_session(
        &self,
        tenant_id: &str,
        session_id: &str,
    ) -> Result<Option<ChatSession>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_sessions WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(ChatSession::from_row).transpose()
    }

    /// The session's turn counter alone: whether a copy kept in memory is current.
    pub async fn chat_session_turn(
        &self,
        tenant_id: &str,
        session_id: &str,
    ) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT turn FROM chat_sessions WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(session_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The session of a call.
    pub async fn chat_session_id_of_call(
        &self,
        tenant_id: &str,
        call_id: &str,
    ) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar(
                "SELECT id FROM chat_sessions WHERE tenant_id = $1 AND call_id = $2",
            )
            .bind(tenant_id)
            .bind(call_id)
            .fetch_optional(&self.pool)
            .await?,
        )
    }
}
