//! Agent queues, the agents who serve them, and handoffs: who owns a conversation the bot
//! passed on. A handoff's state changes by compare-and-set on its row, so that two agents (on
//! two servers) can never both take one conversation.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, new_id, Result, Store, StoreError, Transaction};

/// A queue as stored; what its JSON columns hold is the `queues` module's business.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub tenant_id: String,
    /// What flows name: `after-sales`.
    pub key: String,
    /// The name people see, in Chinese (or the only one).
    pub name: String,
    /// The English name; empty: the Chinese one is shown.
    pub name_en: String,
    /// The languages its agents speak: `["zh-CN", "en"]`.
    pub languages: Value,
    /// Opening hours in the tenant's time zone; `None`: always open.
    pub hours: Option<Value>,
    /// The queue that takes its conversations while it is closed or nobody is available.
    pub overflow: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const QUEUE_COLUMNS: &str =
    "tenant_id, key, name, name_en, languages, hours, overflow, created_at, updated_at";

impl QueueRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let hours: Option<String> = row.try_get("hours")?;
        Ok(QueueRow {
            tenant_id: row.try_get("tenant_id")?,
            key: row.try_get("key")?,
            name: row.try_get("name")?,
            name_en: row.try_get("name_en")?,
            languages: json_column(row, "queues", "languages")?,
            hours: hours
                .map(|text| {
                    serde_json::from_str(&text)
                        .map_err(|error| StoreError::corrupt("queues", "hours", error.to_string()))
                })
                .transpose()?,
            overflow: row.try_get("overflow")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// A user who answers conversations, with what the users table knows of them.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRow {
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    /// The keys of the queues they serve, as a JSON list.
    pub queues: Value,
    /// `available`, `busy` or `away`.
    pub presence: String,
    pub updated_at: i64,
}

impl AgentRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(AgentRow {
            user_id: row.try_get("user_id")?,
            display_name: row.try_get("display_name")?,
            email: row.try_get("email")?,
            role: row.try_get("role")?,
            queues: json_column(row, "agents", "queues")?,
            presence: row.try_get("presence")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// Who owns a handed-off conversation; stored by its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoffState {
    /// In its queue, for the next agent.
    Waiting,
    /// Taken by an agent.
    Agent,
    /// The agent ended it or gave it back to the bot.
    Done,
}

impl HandoffState {
    pub fn as_str(self) -> &'static str {
        match self {
            HandoffState::Waiting => "waiting",
            HandoffState::Agent => "agent",
            HandoffState::Done => "done",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "waiting" => Some(HandoffState::Waiting),
            "agent" => Some(HandoffState::Agent),
            "done" => Some(HandoffState::Done),
            _ => None,
        }
    }
}

/// One handing of a conversation to a queue.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffRow {
    pub tenant_id: String,
    pub id: String,
    pub call_id: String,
    /// The web-chat session, for chats.
    pub session_id: Option<String>,
    /// `chat` or `phone`.
    pub channel: String,
    pub queue: String,
    pub state: HandoffState,
    pub agent_id: Option<String>,
    /// What the flow's handoff node told the agent.
    pub summary: String,
    pub waiting_since: i64,
    pub accepted_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// How the agent ended it: `resolved`, `follow_up`…, or `handed_back`.
    pub disposition: Option<String>,
}

const HANDOFF_COLUMNS: &str = "tenant_id, id, call_id, session_id, channel, queue, state, \
     agent_id, summary, waiting_since, accepted_at, ended_at, disposition";

impl HandoffRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let state: String = row.try_get("state")?;
        Ok(HandoffRow {
            tenant_id: row.try_get("tenant_id")?,
            id: row.try_get("id")?,
            call_id: row.try_get("call_id")?,
            session_id: row.try_get("session_id")?,
            channel: row.try_get("channel")?,
            queue: row.try_get("queue")?,
            state: HandoffState::parse(&state).ok_or_else(|| {
                StoreError::corrupt("handoffs", "state", format!("unknown state {state:?}"))
            })?,
            agent_id: row.try_get("agent_id")?,
            summary: row.try_get("summary")?,
            waiting_since: row.try_get("waiting_since")?,
            accepted_at: row.try_get("accepted_at")?,
            ended_at: row.try_get("ended_at")?,
            disposition: row.try_get("disposition")?,
        })
    }
}

/// A new handoff, waiting in its queue.
#[derive(Debug, Clone)]
pub struct NewHandoff {
    pub call_id: String,
    pub session_id: Option<String>,
    pub channel: String,
    pub queue: String,
    pub summary: String,
    pub waiting_since: i64,
}

/// How a tenant's queues did over a period, and how they stand now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueCounts {
    pub queue: String,
    /// Waiting now.
    pub waiting: i64,
    /// With an agent now.
    pub active: i64,
    /// When the conversation waiting longest started waiting.
    pub oldest_waiting_since: Option<i64>,
    /// Handed to the queue in the period.
    pub offered: i64,
    /// Of those, taken by an agent.
    pub answered: i64,
    /// Of those, taken within the time asked for.
    pub answered_in_time: i64,
}

impl Store {
    pub async fn list_queues(&self, tenant_id: &str) -> Result<Vec<QueueRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {QUEUE_COLUMNS} FROM queues WHERE tenant_id = $1 ORDER BY key"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(QueueRow::from_row).collect()
    }

    /// The tenant's agents: users with the agent role, and anyone else who was given queues.
    pub async fn list_agents(&self, tenant_id: &str) -> Result<Vec<AgentRow>> {
        let rows = sqlx::query(
            "SELECT u.id AS user_id, u.display_name, u.email, u.role, \
                    COALESCE(a.queues, '[]') AS queues, COALESCE(a.presence, 'away') AS presence, \
                    COALESCE(a.updated_at, u.created_at) AS updated_at \
             FROM users u LEFT JOIN agents a ON a.tenant_id = u.tenant_id AND a.user_id = u.id \
             WHERE u.tenant_id = $1 AND u.disabled_at IS NULL \
               AND (u.role = 'agent' OR a.user_id IS NOT NULL) \
             ORDER BY u.display_name, u.id",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(AgentRow::from_row).collect()
    }

    /// Sets an agent's presence; `false` when the tenant has no such (enabled) user.
    pub async fn set_presence(
        &self,
        tenant_id: &str,
        user_id: &str,
        presence: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let result = sqlx::query(
            "INSERT INTO agents (tenant_id, user_id, presence, updated_at) \
             SELECT tenant_id, id, $3, $4 FROM users \
             WHERE tenant_id = $1 AND id = $2 AND disabled_at IS NULL \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET presence = excluded.presence, \
                                                        updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(presence)
        .bind(now_ms)
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Hands a conversation to a queue; a [`StoreError::Conflict`] on
    /// [`super::constraint::HANDOFF_OPEN`] when it
    /// already has an open handoff.
    pub async fn create_handoff(
        &self,
        tenant_id: &str,
        handoff: &NewHandoff,
    ) -> Result<HandoffRow> {
        let row = sqlx::query(&format!(
            "INSERT INTO handoffs (tenant_id, id, call_id, session_id, channel, queue, state, \
                                   summary, waiting_since) \
             VALUES ($1, $2, $3, $4, $5, $6, 'waiting', $7, $8) RETURNING {HANDOFF_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(new_id("hof"))
        .bind(&handoff.call_id)
        .bind(handoff.session_id.as_deref())
        .bind(&handoff.channel)
        .bind(&handoff.queue)
        .bind(&handoff.summary)
        .bind(handoff.waiting_since)
        .fetch_one(&mut *self.write_connection().await?)
        .await?;
        HandoffRow::from_row(&row)
    }

    pub async fn get_handoff(&self, tenant_id: &str, id: &str) -> Result<Option<HandoffRow>> {
        let row = sqlx::query(&format!(
            "SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(HandoffRow::from_row).transpose()
    }

    /// The conversation's handoff that is not done, if any: whether a person owns it.
    pub async fn open_handoff(&self, tenant_id: &str, call_id: &str) -> Result<Option<HandoffRow>> {
        let row = sqlx::query(&format!(
            "SELECT {HANDOFF_COLUMNS} FROM handoffs \
             WHERE tenant_id = $1 AND call_id = $2 AND state <> 'done'"
        ))
        .bind(tenant_id)
        .bind(call_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(HandoffRow::from_row).transpose()
    }

    /// The conversation's handoffs, oldest first.
    pub async fn handoffs_of_call(
        &self,
        tenant_id: &str,
        call_id: &str,
    ) -> Result<Vec<HandoffRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE tenant_id = $1 AND call_id = $2 \
             ORDER BY waiting_since, id"
        ))
        .bind(tenant_id)
        .bind(call_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(HandoffRow::from_row).collect()
    }

    /// Every handoff waiting or with an agent, longest waiting first.
    pub async fn list_open_handoffs(&self, tenant_id: &str) -> Result<Vec<HandoffRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE tenant_id = $1 AND state <> 'done' \
             ORDER BY waiting_since, id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(HandoffRow::from_row).collect()
    }

    /// An agent takes a waiting handoff; `None` when it is not (or no longer) waiting, e.g.
    /// because another agent took it first.
    pub async fn accept_handoff(
        &self,
        tenant_id: &str,
        id: &str,
        agent_id: &str,
        now_ms: i64,
    ) -> Result<Option<HandoffRow>> {
        let row = sqlx::query(&format!(
            "UPDATE handoffs SET state = 'agent', agent_id = $3, accepted_at = $4 \
             WHERE tenant_id = $1 AND id = $2 AND state = 'waiting' RETURNING {HANDOFF_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(id)
        .bind(agent_id)
        .bind(now_ms)
        .fetch_optional(&mut *self.write_connection().await?)
        .await?;
        row.as_ref().map(HandoffRow::from_row).transpose()
    }

    /// Closes a handoff that is still open (`waiting` or `agent`); with `agent_id`, only when
    /// that agent has it. `None` when it was not open (or another agent has it).
    pub async fn close_handoff(
        &self,
        tenant_id: &str,
        id: &str,
        agent_id: Option<&str>,
        disposition: &str,
        now_ms: i64,
    ) -> Result<Option<HandoffRow>> {
        let row = sqlx::query(&format!(
            "UPDATE handoffs SET state = 'done', ended_at = $4, disposition = $5 \
             WHERE tenant_id = $1 AND id = $2 AND state <> 'done' \
               AND ($3 IS NULL OR agent_id = $3) RETURNING {HANDOFF_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(id)
        .bind(agent_id)
        .bind(now_ms)
        .bind(disposition)
        .fetch_optional(&mut *self.write_connection().await?)
        .await?;
        row.as_ref().map(HandoffRow::from_row).transpose()
    }

    /// Per queue: what waits and is taken now, and what was offered from `since_ms` on.
    /// `in_time_ms`: how soon an answer counts in `answered_in_time`.
    pub async fn queue_counts(
        &self,
        tenant_id: &str,
        since_ms: i64,
        in_time_ms: i64,
    ) -> Result<Vec<QueueCounts>> {
        let rows = sqlx::query(
            "SELECT queue, \
                    SUM(CASE WHEN state = 'waiting' THEN 1 ELSE 0 END) AS waiting, \
                    SUM(CASE WHEN state = 'agent' THEN 1 ELSE 0 END) AS active, \
                    MIN(CASE WHEN state = 'waiting' THEN waiting_since END) AS oldest, \
                    SUM(CASE WHEN waiting_since >= $2 THEN 1 ELSE 0 END) AS offered, \
                    SUM(CASE WHEN waiting_since >= $2 AND accepted_at IS NOT NULL \
                             THEN 1 ELSE 0 END) AS answered, \
                    SUM(CASE WHEN waiting_since >= $2 AND accepted_at IS NOT NULL \
                              AND accepted_at - waiting_since <= $3 THEN 1 ELSE 0 END) \
                        AS answered_in_time \
             FROM handoffs WHERE tenant_id = $1 AND (state <> 'done' OR waiting_since >= $2) \
             GROUP BY queue ORDER BY queue",
        )
        .bind(tenant_id)
        .bind(since_ms)
        .bind(in_time_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(QueueCounts {
                    queue: row.try_get("queue")?,
                    waiting: row.try_get("waiting")?,
                    active: row.try_get("active")?,
                    oldest_waiting_since: row.try_get("oldest")?,
                    offered: row.try_get("offered")?,
                    answered: row.try_get("answered")?,
                    answered_in_time: row.try_get("answered_in_time")?,
                })
            })
            .collect()
    }
}

impl Transaction<'_> {
    /// Creates or replaces a queue.
    pub async fn put_queue(&mut self, queue: &QueueRow) -> Result<QueueRow> {
        let row = sqlx::query(&format!(
            "INSERT INTO queues ({QUEUE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (tenant_id, key) DO UPDATE SET name = excluded.name, \
                 name_en = excluded.name_en, languages = excluded.languages, \
                 hours = excluded.hours, overflow = excluded.overflow, \
                 updated_at = excluded.updated_at \
             RETURNING {QUEUE_COLUMNS}"
        ))
        .bind(&queue.tenant_id)
        .bind(&queue.key)
        .bind(&queue.name)
        .bind(&queue.name_en)
        .bind(queue.languages.to_string())
        .bind(queue.hours.as_ref().map(Value::to_string))
        .bind(queue.overflow.as_deref())
        .bind(queue.created_at)
        .bind(queue.updated_at)
        .fetch_one(self.connection())
        .await?;
        QueueRow::from_row(&row)
    }

    /// `false` when the tenant has no such queue.
    pub async fn delete_queue(&mut self, tenant_id: &str, key: &str) -> Result<bool> {
        let result = sqlx::query("DELETE FROM queues WHERE tenant_id = $1 AND key = $2")
            .bind(tenant_id)
            .bind(key)
            .execute(self.connection())
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Sets the queues a user serves; `false` when the tenant has no such user.
    pub async fn put_agent_queues(
        &mut self,
        tenant_id: &str,
        user_id: &str,
        queues: &Value,
        now_ms: i64,
    ) -> Result<bool> {
        let result = sqlx::query(
            "INSERT INTO agents (tenant_id, user_id, queues, updated_at) \
             SELECT tenant_id, id, $3, $4 FROM users WHERE tenant_id = $1 AND id = $2 \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET queues = excluded.queues, \
                                                        updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(queues.to_string())
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        Ok(result.rows_affected() > 0)
    }
}
