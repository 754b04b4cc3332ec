//! Conversations, one row each whatever carries them (web chat, phone, the editor's Try it):
//! the record the API lists ([`Call`]: parties, start, end, outcome, the carrier's report) and,
//! while it runs, the engine's snapshot between turns ([`ChatSession`]). Turns are saved by the
//! group commit in `turns.rs`; the events of a conversation are `call_events` rows under its id.

use flow_engine::runtime::Direction;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Executor, Row};

use super::turns::{insert_events, EventRun};
use super::{
    json_column, name_column, new_id, optional_json_column, optional_name_column, Backend, Result,
    Store, StoreError, Transaction,
};

/// A conversation's record on any channel, from start to outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub id: String,
    pub tenant_id: String,
    pub flow_id: String,
    /// `None` for a conversation with the draft (the editor's simulator).
    pub flow_version: Option<i64>,
    pub channel: Channel,
    pub direction: Direction,
    pub from_number: Option<String>,
    pub to_number: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// How it ended, once ended.
    pub outcome: Option<CallOutcome>,
    /// What the call ended with: handoff summary, collected variables.
    pub summary: Option<Value>,
    /// The carrier's id for a phone call.
    pub call_sid: Option<String>,
    pub duration_ms: Option<i64>,
    /// The events so far; they are numbered 1 to `event_count`.
    pub event_count: i64,
    /// A phone call's final status as the carrier reports it: `completed`, `busy`,
    /// `no-answer`, `failed` or `canceled`.
    pub carrier_status: Option<String>,
    /// A phone call's length as the carrier counts it (answered to hung up).
    pub carrier_duration_ms: Option<i64>,
    /// Who answered an outbound call, when answering-machine detection was asked:
    /// `human`, `machine_start`, `fax`, `unknown`, …
    pub answered_by: Option<String>,
    /// The shop's own id of the customer, when it was proved (a signed-in chat-widget visitor)
    /// or given with an API key.
    pub customer_id: Option<String>,
}

#[derive(Clone, Copy, Debug)]
pub struct NewCall<'a> {
    pub flow_id: &'a str,
    pub flow_version: Option<i64>,
    pub channel: Channel,
    pub direction: Direction,
    pub from_number: Option<&'a str>,
    pub to_number: Option<&'a str>,
    pub call_sid: Option<&'a str>,
}

/// The channel a conversation runs on, stored as its snake_case name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Web chat: the sessions API, the editor's "Try it" panel, a chat widget.
    Chat,
    /// A phone call, by Twilio's webhooks or media streams.
    Phone,
    /// The editor's trial of an `http` node; never stored.
    Test,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Chat => "chat",
            Channel::Phone => "phone",
            Channel::Test => "test",
        }
    }
}

/// A direction as calls store it.
pub(crate) fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// How a call record ended: its flow's outcome, or `unreached` for an outbound call nobody
/// answered. Stored as its snake_case name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    Resolved,
    Handoff,
    Abandoned,
    Failed,
    Unreached,
}

impl CallOutcome {
    /// Every outcome, in the order filters and reports list them.
    pub const ALL: [CallOutcome; 5] = [
        CallOutcome::Resolved,
        CallOutcome::Handoff,
        CallOutcome::Abandoned,
        CallOutcome::Failed,
        CallOutcome::Unreached,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Resolved => "resolved",
            CallOutcome::Handoff => "handoff",
            CallOutcome::Abandoned => "abandoned",
            CallOutcome::Failed => "failed",
            CallOutcome::Unreached => "unreached",
        }
    }
}

impl From<flow_engine::model::Outcome> for CallOutcome {
    fn from(outcome: flow_engine::model::Outcome) -> Self {
        use flow_engine::model::Outcome;
        match outcome {
            Outcome::Resolved => CallOutcome::Resolved,
            Outcome::Handoff => CallOutcome::Handoff,
            Outcome::Abandoned => CallOutcome::Abandoned,
            Outcome::Failed => CallOutcome::Failed,
        }
    }
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq)]
pub struct CallEnd {
    pub ended_at: i64,
    pub outcome: CallOutcome,
    /// What the call ended with: handoff summary, collected variables.
    pub summary: Option<Value>,
    /// The handle time, start to end; every ended call has one.
    pub duration_ms: i64,
}

/// What the carrier reports about a phone call; see [`Store::record_carrier_report`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CarrierReport {
    pub status: Option<String>,
    pub duration_ms: Option<i64>,
    pub answered_by: Option<String>,
}

/// An event to append; the store numbers it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCallEvent {
    pub at: i64,
    pub kind: String,
    pub node: Option<String>,
    pub data: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallEvent {
    /// 1, 2, … in the order the events were appended to the call.
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub node: Option<String>,
    pub data: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallWithEvents {
    pub call: Call,
    pub events: Vec<CallEvent>,
}

/// Conditions for [`Store::list_calls`]; each `None` matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallFilter {
    pub flow_id: Option<String>,
    pub flow_version: Option<i64>,
    pub outcome: Option<CallOutcome>,
    pub channel: Option<Channel>,
    pub direction: Option<Direction>,
    /// Also conversations with a flow's draft (the editor's Try it), which are left out
    /// otherwise: they are the flow's author testing, not customers.
    pub include_simulated: bool,
    /// Calls that started at or after this time.
    pub from_ms: Option<i64>,
    /// Calls that started before this time.
    pub to_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallPage {
    /// Newest first.
    pub calls: Vec<Call>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A running conversation between turns, by the id its channel knows it by: the engine's
/// snapshot, so that any server instance, or the same one after a restart, can run the next turn.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatSession {
    /// The session id (`cht_…`) that the sessions API and the carrier's webhook URLs carry.
    pub id: String,
    pub tenant_id: String,
    pub flow_id: String,
    /// `None` when the session runs the draft.
    pub flow_version: Option<i64>,
    /// The conversation's own id, which its record and events are listed under.
    pub call_id: String,
    pub snapshot: Value,
    /// Turns saved so far; each save names the turn it started from.
    pub turn: i64,
    /// When the conversation started.
    pub created_at: i64,
    pub updated_at: i64,
    pub ended_at: Option<i64>,
    /// How the conversation ended, once ended. Usually the snapshot says so too; not when
    /// something other than a turn ended it (see [`Store::end_idle_chats`]).
    pub outcome: Option<CallOutcome>,
    /// The knowledge-base revisions the conversation started with (JSON, the conversation
    /// module's to read); `null` when it pinned none.
    pub knowledge: Value,
}

const SESSION_COLUMNS: &str = "tenant_id, session_id, flow_id, flow_version, id, snapshot, \
     turn, started_at, updated_at, ended_at, outcome, knowledge";

impl ChatSession {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(ChatSession {
            id: row.try_get("session_id")?,
            tenant_id: row.try_get("tenant_id")?,
            flow_id: row.try_get("flow_id")?,
            flow_version: row.try_get("flow_version")?,
            call_id: row.try_get("id")?,
            snapshot: json_column(row, "conversations", "snapshot")?,
            turn: row.try_get("turn")?,
            created_at: row.try_get("started_at")?,
            updated_at: row.try_get("updated_at")?,
            ended_at: row.try_get("ended_at")?,
            outcome: optional_name_column(row, "conversations", "outcome")?,
            knowledge: optional_json_column(row, "conversations", "knowledge")?
                .unwrap_or(Value::Null),
        })
    }
}

pub(super) const COLUMNS: &str =
    "tenant_id, id, flow_id, flow_version, channel, direction, from_number, \
     to_number, started_at, ended_at, outcome, summary, call_sid, duration_ms, event_count, \
     carrier_status, carrier_duration_ms, answered_by, customer_id";
const MAX_PAGE_SIZE: u32 = 1000;

/// A web chat that [`Store::end_idle_chats`] ended.
#[derive(Clone, Debug, PartialEq)]
pub struct IdleChatEnd {
    pub tenant_id: String,
    pub call_id: String,
    pub session_id: Option<String>,
    pub ended_at: i64,
}

impl Call {
    /// A conversation with a flow's draft: its author trying it in the editor, not a customer.
    pub fn is_simulated(&self) -> bool {
        self.flow_version.is_none()
    }

    pub(super) fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Call {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            flow_id: row.try_get("flow_id")?,
            flow_version: row.try_get("flow_version")?,
            channel: name_column(row, "conversations", "channel")?,
            direction: name_column(row, "conversations", "direction")?,
            from_number: row.try_get("from_number")?,
            to_number: row.try_get("to_number")?,
            started_at: row.try_get("started_at")?,
            ended_at: row.try_get("ended_at")?,
            outcome: optional_name_column(row, "conversations", "outcome")?,
            summary: optional_json_column(row, "conversations", "summary")?,
            call_sid: row.try_get("call_sid")?,
            duration_ms: row.try_get("duration_ms")?,
            event_count: row.try_get("event_count")?,
            carrier_status: row.try_get("carrier_status")?,
            carrier_duration_ms: row.try_get("carrier_duration_ms")?,
            answered_by: row.try_get("answered_by")?,
            customer_id: row.try_get("customer_id")?,
        })
    }
}

impl CallEvent {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(CallEvent {
            seq: row.try_get("seq")?,
            at: row.try_get("at")?,
            kind: row.try_get("kind")?,
            node: row.try_get("node")?,
            data: json_column(row, "call_events", "data")?,
        })
    }
}

/// The position after a call in the `started_at DESC, id DESC` order. Opaque to clients: hex
/// so that nobody mistakes it for something to build by hand.
fn encode_cursor(call: &Call) -> String {
    encode_position(call.started_at, &call.id)
}

/// The position after the row at `(at, id)` in an `at DESC, id DESC` order, as a cursor.
pub(super) fn encode_position(at: i64, id: &str) -> String {
    hex::encode(format!("{at}:{id}"))
}

pub(super) fn decode_cursor(cursor: &str) -> Result<(i64, String)> {
    let bytes = hex::decode(cursor).map_err(|_| StoreError::InvalidCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| StoreError::InvalidCursor)?;
    let (started_at, id) = text.split_once(':').ok_or(StoreError::InvalidCursor)?;
    let started_at = started_at.parse().map_err(|_| StoreError::InvalidCursor)?;
    Ok((started_at, id.to_owned()))
}

pub(super) enum Argument<'a> {
    Text(&'a str),
    Integer(i64),
}

/// SQL built from conditions, each with one argument in place of its `?`, numbered `$n` in the
/// order pushed.
pub(super) struct QueryBuilder<'a> {
    pub(super) sql: String,
    arguments: Vec<Argument<'a>>,
}

impl<'a> QueryBuilder<'a> {
    pub(super) fn new(sql: String) -> Self {
        QueryBuilder {
            sql,
            arguments: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, template: &str, argument: Argument<'a>) {
        self.arguments.push(argument);
        let placeholder = format!("${}", self.arguments.len());
        self.sql.push_str(&template.replace('?', &placeholder));
    }

    pub(super) async fn fetch_all(self, pool: &AnyPool) -> Result<Vec<AnyRow>> {
        let mut query = sqlx::query(&self.sql);
        for argument in self.arguments {
            query = match argument {
                Argument::Text(text) => query.bind(text),
                Argument::Integer(integer) => query.bind(integer),
            };
        }
        Ok(query.fetch_all(pool).await?)
    }
}

/// Returns whether a call still running was ended.
async fn end_call_with<'e>(
    executor: impl Executor<'e, Database = Any>,
    tenant_id: &str,
    call_id: &str,
    end: &CallEnd,
) -> Result<bool> {
    let result = sqlx::query(
        "UPDATE conversations SET ended_at = $3, outcome = $4, summary = $5, duration_ms = $6 \
         WHERE tenant_id = $1 AND id = $2 AND ended_at IS NULL",
    )
    .bind(tenant_id)
    .bind(call_id)
    .bind(end.ended_at)
    .bind(end.outcome.as_str())
    .bind(end.summary.as_ref().map(Value::to_string))
    .bind(end.duration_ms)
    .execute(executor)
    .await?;
    Ok(result.rows_affected() > 0)
}

impl Store {
    /// The call and all its events, in order.
    pub async fn get_call(&self, tenant_id: &str, call_id: &str) -> Result<Option<CallWithEvents>> {
        let Some(call) = self.get_call_row(tenant_id, call_id).await? else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT seq, at, kind, node, data FROM call_events \
             WHERE tenant_id = $1 AND call_id = $2 ORDER BY seq",
        )
        .bind(tenant_id)
        .bind(call_id)
        .fetch_all(&self.pool)
        .await?;
        let events = rows
            .iter()
            .map(CallEvent::from_row)
            .collect::<Result<_>>()?;
        Ok(Some(CallWithEvents { call, events }))
    }

    /// The call without its events, for views that read those a page at a time.
    pub async fn get_call_row(&self, tenant_id: &str, call_id: &str) -> Result<Option<Call>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM conversations WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(call_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Call::from_row).transpose()
    }

    /// The call's events after `after`, in order, at most `limit`.
    pub async fn call_events_after(
        &self,
        tenant_id: &str,
        call_id: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<CallEvent>> {
        let rows = sqlx::query(
            "SELECT seq, at, kind, node, data FROM call_events \
             WHERE tenant_id = $1 AND call_id = $2 AND seq > $3 ORDER BY seq LIMIT $4",
        )
        .bind(tenant_id)
        .bind(call_id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(CallEvent::from_row).collect()
    }

    /// The latest `limit` conversations from `from_number` that started before `before_ms`,
    /// newest first: a caller's history, as an agent taking their call sees it.
    pub async fn calls_from(
        &self,
        tenant_id: &str,
        from_number: &str,
        before_ms: i64,
        limit: u32,
    ) -> Result<Vec<Call>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM conversations \
             WHERE tenant_id = $1 AND from_number = $2 AND started_at < $3 \
             ORDER BY started_at DESC, id DESC LIMIT $4"
        ))
        .bind(tenant_id)
        .bind(from_number)
        .bind(before_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Call::from_row).collect()
    }

    pub async fn get_call_by_sid(&self, tenant_id: &str, call_sid: &str) -> Result<Option<Call>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM conversations WHERE tenant_id = $1 AND call_sid = $2"
        ))
        .bind(tenant_id)
        .bind(call_sid)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Call::from_row).transpose()
    }

    /// Records how a call ended; `false` when the tenant has no such call or it already ended.
    pub async fn end_call(&self, tenant_id: &str, call_id: &str, end: &CallEnd) -> Result<bool> {
        end_call_with(
            &mut *self.write_connection().await?,
            tenant_id,
            call_id,
            end,
        )
        .await
    }

    /// Sets a phone call's carrier id once the carrier has given it (outbound calls);
    /// `false` when the tenant has no such call.
    pub async fn set_call_sid(
        &self,
        tenant_id: &str,
        call_id: &str,
        call_sid: &str,
    ) -> Result<bool> {
        let result =
            sqlx::query("UPDATE conversations SET call_sid = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(call_id)
                .bind(call_sid)
                .execute(&mut *self.write_connection().await?)
                .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Sets a running call's summary (what an agent taking a transfer sees); `false` when the
    /// tenant has no such call.
    pub async fn set_call_summary(
        &self,
        tenant_id: &str,
        call_id: &str,
        summary: &Value,
    ) -> Result<bool> {
        let result =
            sqlx::query("UPDATE conversations SET summary = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(call_id)
                .bind(summary.to_string())
                .execute(&mut *self.write_connection().await?)
                .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Records what the carrier says about a call: its status, length and who answered. A
    /// field left `None` keeps what the call has.
    pub async fn record_carrier_report(
        &self,
        tenant_id: &str,
        call_id: &str,
        report: &CarrierReport,
    ) -> Result<bool> {
        let result = sqlx::query(
            "UPDATE conversations SET carrier_status = COALESCE($3, carrier_status), \
                              carrier_duration_ms = COALESCE($4, carrier_duration_ms), \
                              answered_by = COALESCE($5, answered_by) \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(call_id)
        .bind(report.status.as_deref())
        .bind(report.duration_ms)
        .bind(report.answered_by.as_deref())
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Starts the session of a conversation recorded with [`Transaction::create_call`] (an
    /// outbound call, placed before it runs) at turn 0. `None` when the tenant has no such
    /// conversation or it has a session already.
    pub async fn create_chat_session(
        &self,
        tenant_id: &str,
        call_id: &str,
        snapshot: &Value,
        knowledge: &Value,
        now_ms: i64,
    ) -> Result<Option<ChatSession>> {
        let row = sqlx::query(&format!(
            "UPDATE conversations SET session_id = $3, snapshot = $4, turn = 0, updated_at = $5, \
                 knowledge = $6 \
             WHERE tenant_id = $1 AND id = $2 AND session_id IS NULL \
             RETURNING {SESSION_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(call_id)
        .bind(new_id("cht"))
        .bind(snapshot.to_string())
        .bind(now_ms)
        .bind((!knowledge.is_null()).then(|| knowledge.to_string()))
        .fetch_optional(&mut *self.write_connection().await?)
        .await?;
        row.as_ref().map(ChatSession::from_row).transpose()
    }

    pub async fn get_chat_session(
        &self,
        tenant_id: &str,
        session_id: &str,
    ) -> Result<Option<ChatSession>> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND session_id = $2"
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
        Ok(sqlx::query_scalar(
            "SELECT turn FROM conversations WHERE tenant_id = $1 AND session_id = $2",
        )
        .bind(tenant_id)
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The session of a conversation, when it has one.
    pub async fn chat_session_id_of_call(
        &self,
        tenant_id: &str,
        call_id: &str,
    ) -> Result<Option<String>> {
        let session_id: Option<Option<String>> = sqlx::query_scalar(
            "SELECT session_id FROM conversations WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(call_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(session_id.flatten())
    }

    /// Ends every web chat that has waited for its customer longer than its tenant's
    /// `chat_idle_minutes`: outcome `abandoned`, ended when the customer was last heard from,
    /// with an `ended` event saying so. Phone calls are left to the carrier. Drafts in the
    /// editor's Try it end too.
    pub async fn end_idle_chats(&self, now_ms: i64) -> Result<Vec<IdleChatEnd>> {
        // No limit is under a minute, so chats active within the last one never qualify.
        // `channel = 'chat'` is written out, not bound, so that PostgreSQL sees that the
        // partial index of open chats (migration 0007) serves the query whatever the plan.
        let tenants: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT tenant_id FROM conversations \
             WHERE channel = 'chat' AND ended_at IS NULL AND updated_at < $1",
        )
        .bind(now_ms - 60_000)
        .fetch_all(&self.pool)
        .await?;
        let mut ended = Vec::new();
        for tenant_id in tenants {
            let Some(tenant) = self.get_tenant(&tenant_id).await? else {
                continue;
            };
            let idle_ms = tenant.settings.chat_idle_ms();
            ended.extend(self.end_idle_chats_of(&tenant_id, idle_ms, now_ms).await?);
        }
        Ok(ended)
    }

    /// Ends the tenant's web chats that have waited for their customer longer than `idle_ms`.
    ///
    /// One statement decides, so two servers running this at once end each chat once (the
    /// second finds it ended). It also moves the turn counter on, so that a turn read before
    /// the end loses its compare-and-set and is told the chat ended, while a turn saved first
    /// makes the chat active again and the statement passes it by.
    async fn end_idle_chats_of(
        &self,
        tenant_id: &str,
        idle_ms: i64,
        now_ms: i64,
    ) -> Result<Vec<IdleChatEnd>> {
        let mut transaction = self.begin_write().await?;
        // The customer left after their last message, not when we noticed: the end and the
        // handle time stop at the last activity, so that a chat does not count the idle limit
        // (or the job's own delay) as time spent with the customer.
        // On PostgreSQL the chats are claimed first, skipping any a turn holds: a chat with a
        // turn in flight is not idle, and waiting for it while the turn's batch waits for a chat
        // this statement holds would deadlock. SQLite has one writer at a time.
        let idle = match self.backend {
            Backend::Postgres => {
                "id IN (SELECT id FROM conversations \
                         WHERE tenant_id = $1 AND channel = 'chat' AND ended_at IS NULL \
                           AND updated_at < $2 FOR UPDATE SKIP LOCKED)"
            }
            Backend::Sqlite => "channel = 'chat' AND ended_at IS NULL AND updated_at < $2",
        };
        // A chat an agent has is theirs to end, however long both sides are quiet: the idle
        // limit is for customers who left the bot (or a queue), not for a person's pause.
        let idle = format!(
            "{idle} AND NOT EXISTS (SELECT 1 FROM handoffs \
                                    WHERE handoffs.tenant_id = conversations.tenant_id \
                                      AND handoffs.call_id = conversations.id \
                                      AND handoffs.state = 'agent')"
        );
        let rows = sqlx::query(&format!(
            "UPDATE conversations SET ended_at = updated_at, outcome = $3, \
                 duration_ms = CASE WHEN updated_at > started_at \
                               THEN updated_at - started_at ELSE 0 END, \
                 turn = turn + 1, event_count = event_count + 1 \
             WHERE tenant_id = $1 AND {idle} \
             RETURNING id, session_id, ended_at, event_count"
        ))
        .bind(tenant_id)
        .bind(now_ms - idle_ms)
        .bind(CallOutcome::Abandoned.as_str())
        .fetch_all(&mut *transaction)
        .await?;
        let mut ended = Vec::with_capacity(rows.len());
        let mut events = Vec::with_capacity(rows.len());
        let mut numbers = Vec::with_capacity(rows.len());
        for row in &rows {
            let end = IdleChatEnd {
                tenant_id: tenant_id.to_owned(),
                call_id: row.try_get("id")?,
                session_id: row.try_get("session_id")?,
                ended_at: row.try_get("ended_at")?,
            };
            // The engine's own `ended` record, with why and when the server noticed.
            events.push(NewCallEvent {
                at: end.ended_at,
                kind: "ended".to_owned(),
                node: None,
                data: serde_json::json!({
                    "kind": "ended",
                    "node": null,
                    "outcome": CallOutcome::Abandoned.as_str(),
                    "reason": "idle",
                    "idle_minutes": idle_ms / 60_000,
                    "noticed_at": now_ms,
                }),
            });
            numbers.push(row.try_get::<i64, _>("event_count")?);
            ended.push(end);
        }
        let runs: Vec<EventRun> = ended
            .iter()
            .zip(&events)
            .zip(numbers)
            .map(|((end, event), seq)| EventRun {
                tenant_id,
                call_id: end.call_id.clone(),
                first: seq,
                events: std::slice::from_ref(event),
            })
            .collect();
        insert_events(&mut transaction, &runs, None).await?;
        transaction.commit().await?;
        Ok(ended)
    }

    /// One page of the tenant's calls, newest first. `limit` is capped at 1000.
    pub async fn list_calls(
        &self,
        tenant_id: &str,
        filter: &CallFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<CallPage> {
        let limit = limit.clamp(1, MAX_PAGE_SIZE);
        let after = cursor.map(decode_cursor).transpose()?;
        let mut query = QueryBuilder::new(format!("SELECT {COLUMNS} FROM conversations"));
        query.push(" WHERE tenant_id = ?", Argument::Text(tenant_id));
        if let Some(flow_id) = &filter.flow_id {
            query.push(" AND flow_id = ?", Argument::Text(flow_id));
        }
        if let Some(version) = filter.flow_version {
            query.push(" AND flow_version = ?", Argument::Integer(version));
        }
        if let Some(outcome) = filter.outcome {
            query.push(" AND outcome = ?", Argument::Text(outcome.as_str()));
        }
        if let Some(channel) = filter.channel {
            query.push(" AND channel = ?", Argument::Text(channel.as_str()));
        }
        if let Some(direction) = filter.direction {
            query.push(
                " AND direction = ?",
                Argument::Text(direction_name(direction)),
            );
        }
        if !filter.include_simulated {
            query.sql.push_str(" AND flow_version IS NOT NULL");
        }
        if let Some(from_ms) = filter.from_ms {
            query.push(" AND started_at >= ?", Argument::Integer(from_ms));
        }
        if let Some(to_ms) = filter.to_ms {
            query.push(" AND started_at < ?", Argument::Integer(to_ms));
        }
        if let Some((started_at, id)) = &after {
            query.push(" AND (started_at < ?", Argument::Integer(*started_at));
            query.push(" OR (started_at = ?", Argument::Integer(*started_at));
            query.push(" AND id < ?))", Argument::Text(id));
        }
        // One row more than asked tells whether another page follows.
        query.push(
            " ORDER BY started_at DESC, id DESC LIMIT ?",
            Argument::Integer(i64::from(limit) + 1),
        );
        let rows = query.fetch_all(&self.pool).await?;
        let mut calls = rows
            .iter()
            .map(Call::from_row)
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = if calls.len() > limit as usize {
            calls.truncate(limit as usize);
            calls.last().map(encode_cursor)
        } else {
            None
        };
        Ok(CallPage { calls, next_cursor })
    }
}

impl Transaction<'_> {
    /// A call that starts before its conversation does (an outbound call, placed after its
    /// record is written). `None` when the tenant has no such (undeleted) flow or no such
    /// version of it.
    /// `call_id` comes from [`Store::new_call_id`], so that the conversation can name its call
    /// before the record is written.
    pub async fn create_call(
        &mut self,
        tenant_id: &str,
        call_id: &str,
        new: &NewCall<'_>,
        now_ms: i64,
    ) -> Result<Option<Call>> {
        let row = sqlx::query(&format!(
            "INSERT INTO conversations (tenant_id, id, flow_id, flow_version, channel, direction, \
                                        from_number, to_number, started_at, call_sid, updated_at) \
             SELECT f.tenant_id, $2, f.id, $4, $5, $6, $7, $8, $9, $10, $9 FROM flows f \
             WHERE f.tenant_id = $1 AND f.id = $3 AND f.deleted_at IS NULL \
               AND ($4 IS NULL OR EXISTS (SELECT 1 FROM flow_versions v \
                    WHERE v.tenant_id = $1 AND v.flow_id = $3 AND v.version = $4)) \
             RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(call_id)
        .bind(new.flow_id)
        .bind(new.flow_version)
        .bind(new.channel.as_str())
        .bind(direction_name(new.direction))
        .bind(new.from_number)
        .bind(new.to_number)
        .bind(now_ms)
        .bind(new.call_sid)
        .fetch_optional(self.connection())
        .await?;
        row.as_ref().map(Call::from_row).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_stored_as_their_snake_case_names() {
        for outcome in [
            CallOutcome::Resolved,
            CallOutcome::Handoff,
            CallOutcome::Abandoned,
            CallOutcome::Failed,
            CallOutcome::Unreached,
        ] {
            let name = serde_json::to_value(outcome).expect("serialises");
            assert_eq!(name, outcome.as_str());
        }
        assert_eq!(
            CallOutcome::from(flow_engine::model::Outcome::Handoff),
            CallOutcome::Handoff
        );
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let text = hex::encode("1700000000000:cal_0190");
        assert_eq!(
            decode_cursor(&text).ok(),
            Some((1_700_000_000_000, "cal_0190".to_owned()))
        );
        for garbage in ["", "zz", &hex::encode("no colon"), &hex::encode("x:cal_1")] {
            assert!(matches!(
                decode_cursor(garbage),
                Err(StoreError::InvalidCursor)
            ));
        }
    }
}
