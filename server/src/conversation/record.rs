//! What a conversation leaves in the database: its call record with the call events of every
//! turn, and the end of that record.

use chrono_tz::Tz;
use flow_engine::runtime::{Direction, Record};
use serde_json::{Map, Value};

use super::{ConversationError, Handoff};
use crate::analytics::{rollup, tally::Seen};
use crate::state::AppState;
use crate::store::{
    now_ms, Call, CallEnd, CallOutcome, Channel, ChatSession, ChatStart, ChatTurn, NewCallEvent,
    RolledUp, StoreError,
};

/// Who takes part in a conversation, and how.
#[derive(Debug, Clone)]
pub struct Parties {
    pub channel: Channel,
    pub direction: Direction,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The shop's own id of the customer, when it is proved (a signed-in chat-widget visitor)
    /// or given by someone trusted with it (an API key): the customer lookup's `{{customer}}`.
    pub customer: Option<String>,
    /// The carrier's id of a phone call.
    pub call_sid: Option<String>,
    /// The id the call's record takes, when whoever places the call chose it first (a
    /// campaign writes it into its attempt before dialing); `None`: a new one.
    pub call_id: Option<String>,
}

/// An engine record as a call event: its kind, its node, and the record itself as data.
pub fn call_event(at: i64, record: &Record) -> NewCallEvent {
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

/// A call event of the channel itself (recognition failed, barge-in, the carrier's status…).
pub fn channel_event(kind: &str, node: Option<&str>, data: Value) -> NewCallEvent {
    NewCallEvent {
        at: now_ms(),
        kind: kind.to_owned(),
        node: node.map(str::to_owned),
        data,
    }
}

/// What the call record keeps when the conversation ends (or is handed to an agent): the
/// transfer and the variables, as the session keeps them (`Session::kept_vars`: personal data
/// redacted).
pub fn summary(handoff: Option<&Handoff>, vars: &Map<String, Value>) -> Value {
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

/// The end of a call record that started at `started_at`, ending now with `outcome`.
pub fn ending(
    outcome: CallOutcome,
    handoff: Option<&Handoff>,
    vars: &Map<String, Value>,
    started_at: i64,
    now: i64,
) -> CallEnd {
    CallEnd {
        ended_at: now,
        outcome,
        summary: Some(summary(handoff, vars)),
        duration_ms: (now - started_at).max(0),
    }
}

/// What a conversation that `end`s now counts for analytics, when `seen` holds every event it
/// had (this turn's too); days are counted in `zone`. The store adds it with the turn.
pub fn counted(
    row: &ChatSession,
    channel: Channel,
    direction: Direction,
    end: &CallEnd,
    seen: &Seen,
    zone: Tz,
) -> Option<RolledUp> {
    let call = Call {
        id: row.call_id.clone(),
        tenant_id: row.tenant_id.clone(),
        flow_id: row.flow_id.clone(),
        flow_version: row.flow_version,
        channel,
        direction,
        // Who took part counts for nothing in the sums.
        from_number: None,
        to_number: None,
        started_at: row.created_at,
        ended_at: Some(end.ended_at),
        outcome: Some(end.outcome),
        summary: None,
        call_sid: None,
        duration_ms: Some(end.duration_ms),
        event_count: seen.events,
        carrier_status: None,
        carrier_duration_ms: None,
        answered_by: None,
        customer_id: None,
    };
    rollup::at_end(&call, seen, zone)
}

/// What a turn leaves behind.
pub struct TurnWrite {
    /// What the channel keeps of the conversation, as JSON text.
    pub snapshot: String,
    pub events: Vec<NewCallEvent>,
    /// Set when the turn ended the conversation.
    pub end: Option<CallEnd>,
    /// What the conversation counts for analytics, when the turn ended it; see [`counted`].
    pub counted: Option<RolledUp>,
}

/// Writes a new conversation with its first turn: its call record, its row and the turn's
/// events, in one write. Answers the row's turn counter; `None` when its flow is gone. The
/// tenant's limit of conversations open at once is checked in that write, so that servers
/// sharing the database cannot together go past it: over it is
/// [`ConversationError::OverQuota`], and nothing is written.
pub async fn create(
    state: &AppState,
    tenant_id: &str,
    row: &ChatSession,
    parties: &Parties,
    write: TurnWrite,
) -> Result<Option<i64>, ConversationError> {
    let quotas = crate::quotas::quotas_of(state, tenant_id).await?;
    let limit = crate::quotas::open_limit(&quotas, parties.channel, state.clock.now_ms());
    let TurnWrite {
        snapshot,
        events,
        end,
        counted,
    } = write;
    let start = ChatStart {
        call_id: row.call_id.clone(),
        session_id: row.id.clone(),
        flow_id: row.flow_id.clone(),
        flow_version: row.flow_version,
        channel: parties.channel,
        direction: parties.direction,
        from_number: parties.from.clone(),
        to_number: parties.to.clone(),
        call_sid: parties.call_sid.clone(),
        customer_id: parties.customer.clone(),
        started_at: row.created_at,
        snapshot,
        knowledge: (!row.knowledge.is_null()).then(|| row.knowledge.to_string()),
        events,
        end,
        counted,
        open_limit: limit.map(|(_, limit)| limit),
    };
    let saved = match (state.store.start_chat(tenant_id, start).await, limit) {
        (Err(StoreError::AtLimit { .. }), Some((quota, limit))) => {
            return Err(ConversationError::OverQuota {
                refused: crate::quotas::refused_opening(state, tenant_id, quota, limit),
                language: None,
            });
        }
        (saved, _) => saved?,
    };
    if saved.is_some() {
        state.metrics.turns.inc();
    }
    Ok(saved)
}

/// Saves a turn of a conversation that its row (at `row.turn`) was read at: the snapshot, the
/// turn's events and, when it ended, the end of its call record. Answers the new turn
/// counter; `None` when the row is gone. Another turn saved first is
/// [`StoreError::RevisionMismatch`].
pub async fn save(
    state: &AppState,
    tenant_id: &str,
    row: &ChatSession,
    write: TurnWrite,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let turn = ChatTurn {
        expected_turn: row.turn,
        snapshot: write.snapshot,
        events: write.events,
        end: write.end,
        counted: write.counted,
    };
    let saved = state
        .store
        .save_chat_turn(tenant_id, &row.id, turn, now)
        .await?;
    if saved.is_some() {
        state.metrics.turns.inc();
        state.live.turn_saved(tenant_id, &row.call_id);
    }
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flow_engine::model::Outcome;
    use flow_engine::runtime::TransferTarget;

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
                emotion: None,
            },
        );
        assert_eq!(event.kind, "heard");
        assert_eq!(event.node.as_deref(), Some("ask"));
        assert_eq!(event.at, 7);
        assert_eq!(event.data["intent"], "track_order");
        assert!(event.data.get("emotion").is_none());
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
