//! The phone channel, whatever carries the call (Twilio webhooks, Twilio media streams): a
//! call's state between carrier requests, and a turn's actions as the prompts and what follows
//! them that the carriers render, around a [`crate::conversation`].
//!
//! A phone call is a conversation like a web chat's (a `conversations` row), with the call's
//! snapshot, the flow documents it runs on, and what the carrier needs to continue it: the
//! TwiML answered to the last webhook (a retried webhook gets the same answer) and, when a
//! media stream hands the call back to TwiML, what is left to do. Every turn is saved before the
//! carrier is answered, so any server instance can take the next request.

use flow_engine::model::Outcome;
use flow_engine::runtime::{
    Action, Direction, Event, Listen, Session, Snapshot, Transfer, WaitSnapshot,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::app::AppState;
use crate::conversation::{
    self, summary, ConversationError, Handoff, HandoffKind, Parties, Renderer, Saved, TurnWrite,
};
use crate::flow_cache::{FlowError, FlowRef, Selector};
use crate::flow_http::FlowHttp;
use crate::privacy;
use crate::store::{CallEnd, CallOutcome, Channel, ChatSession, NewCallEvent};
use crate::telephony::AsrFallback;

pub use crate::store::Mode;

/// A prompt to play.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    pub text: String,
    /// The flow's voice for it (node, else flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// An audio file to play instead of speaking `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub barge_in: bool,
}

/// What the flow waits for after a turn's prompts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Next {
    /// Nothing more (the flow is waiting on nothing the carrier can give).
    #[default]
    Nothing,
    Listen(Listen),
    Transfer(Transfer),
    HangUp {
        outcome: Outcome,
    },
}

/// What a flow asked of the call in one turn: prompts, then what follows them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub prompts: Vec<Prompt>,
    pub next: Next,
}

/// What the database keeps of a phone call between carrier requests (the session snapshot).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhoneState {
    /// The exact flow documents the call runs on.
    pub flow: FlowRef,
    pub snapshot: Snapshot,
    pub mode: Mode,
    /// The flow's language (for the carrier's recognition and voices).
    pub language: String,
    /// The carrier's id of the call (empty until an outbound call is placed).
    #[serde(default)]
    pub call_sid: String,
    pub direction: Direction,
    /// The caller's and the called number, as the carrier gave them.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// The TwiML that answered the last webhook: the answer to a retry of it.
    #[serde(default)]
    pub twiml: String,
    /// What is left to do when a media stream hands the call back to TwiML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Plan>,
    /// The call's latest transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<Handoff>,
    /// Set when speech recognition failed during the call: the fallback it took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asr_fallback: Option<AsrFallback>,
    /// Set when this server's voices failed during the call: Twilio's speak from then on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tts_failed: bool,
    /// The events of the opening (the customer lookup) of an outbound call, whose record is
    /// written before anyone answers: kept here until its first turn writes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opening: Vec<KeptEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_machine: Option<OnMachine>,
    /// What an outbound call says before its flow's first prompt (the shop's AI-disclosure or
    /// recording notice), until that first turn is played.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

/// A call event kept in the call's state until a turn writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptEvent {
    pub at: i64,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub data: Value,
}

impl From<NewCallEvent> for KeptEvent {
    fn from(event: NewCallEvent) -> KeptEvent {
        KeptEvent {
            at: event.at,
            kind: event.kind,
            node: event.node,
            data: event.data,
        }
    }
}

impl From<KeptEvent> for NewCallEvent {
    fn from(event: KeptEvent) -> NewCallEvent {
        NewCallEvent {
            at: event.at,
            kind: event.kind,
            node: event.node,
            data: event.data,
        }
    }
}

impl Saved for PhoneState {
    fn flow(&self) -> &FlowRef {
        &self.flow
    }

    fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }
}

/// A new phone call.
#[derive(Debug, Clone)]
pub struct NewPhoneCall {
    pub flow_id: String,
    /// `None`: the published version.
    pub version: Option<i64>,
    pub mode: Mode,
    pub direction: Direction,
    pub from: String,
    pub to: String,
    pub call_sid: Option<String>,
    pub vars: Map<String, Value>,
    /// The id the call's record takes; `None`: a new one.
    pub call_id: Option<String>,
    /// What an outbound call does when a machine answers; `None`: runs its flow.
    pub on_machine: Option<OnMachine>,
}

/// What an outbound call does instead of its flow when answering-machine detection says a
/// machine answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "message")]
pub enum OnMachine {
    HangUp,
    /// Says this, then hangs up.
    LeaveMessage(String),
}

/// A call being handled: its session row, its state, and its flow ready to run.
pub struct Call {
    pub chat: ChatSession,
    pub phone: PhoneState,
    pub session: Session,
    /// Events of the call's opening (the customer lookup), written with its record.
    pub opening: Vec<NewCallEvent>,
}

impl Call {
    /// Whether the call is over: its flow ended, or its record was closed (a handoff taken as
    /// a fallback ends the record while the flow still waited).
    pub fn is_ended(&self) -> bool {
        self.chat.ended_at.is_some()
            || matches!(self.phone.snapshot.wait, WaitSnapshot::Ended { .. })
    }

    pub fn has_started(&self) -> bool {
        !matches!(self.phone.snapshot.wait, WaitSnapshot::Start)
    }
}

/// Makes a call ready to start (nothing is written yet).
pub async fn prepare(
    state: &AppState,
    tenant_id: &str,
    new: NewPhoneCall,
) -> Result<Call, ConversationError> {
    let selector = new.version.map_or(Selector::Published, Selector::Version);
    let conversation::Opened {
        row: chat,
        session,
        resolved,
        opening,
        ..
    } = conversation::open(
        state,
        tenant_id,
        new.flow_id,
        selector,
        Parties {
            call_id: new.call_id,
            ..parties_of(new.direction, &new.from, &new.to, new.call_sid.as_deref())
        },
        new.vars,
    )
    .await?;
    let language = resolved.flow.document().language.clone();
    let phone = PhoneState {
        flow: resolved.flow_ref,
        snapshot: session.snapshot(),
        mode: new.mode,
        language,
        call_sid: new.call_sid.unwrap_or_default(),
        direction: new.direction,
        from: new.from,
        to: new.to,
        twiml: String::new(),
        pending: None,
        handoff: None,
        asr_fallback: None,
        tts_failed: false,
        opening: Vec::new(),
        on_machine: new.on_machine,
        notice: None,
    };
    Ok(Call {
        chat,
        phone,
        session,
        opening,
    })
}

/// Who takes part in a phone call, as its record keeps them (an unknown number is none).
fn parties_of(direction: Direction, from: &str, to: &str, call_sid: Option<&str>) -> Parties {
    let known = |text: &str| Some(text.to_owned()).filter(|text| !text.is_empty());
    Parties {
        channel: Channel::Phone,
        direction,
        from: known(from),
        to: known(to),
        customer: None,
        call_sid: call_sid.and_then(known),
        call_id: None,
    }
}

/// Loads a call for its next turn.
pub async fn load(
    state: &AppState,
    tenant_id: &str,
    session_id: &str,
) -> Result<Call, ConversationError> {
    let (chat, phone) =
        conversation::load::<PhoneState>(&state.store, tenant_id, session_id).await?;
    let session = conversation::resume(state, tenant_id, &chat, &phone).await?;
    Ok(Call {
        chat,
        phone,
        session,
        opening: Vec::new(),
    })
}

/// Finds a call by the carrier's id.
pub async fn find_by_sid(
    state: &AppState,
    tenant_id: &str,
    call_sid: &str,
) -> Result<Option<Call>, ConversationError> {
    let Some(record) = state.store.get_call_by_sid(tenant_id, call_sid).await? else {
        return Ok(None);
    };
    let Some(session_id) = state
        .store
        .chat_session_id_of_call(tenant_id, &record.id)
        .await?
    else {
        return Ok(None);
    };
    load(state, tenant_id, &session_id).await.map(Some)
}

/// Everything one turn did.
#[derive(Debug, Default)]
pub struct TurnOutput {
    pub plan: Plan,
    pub events: Vec<NewCallEvent>,
}

/// Feeds one event and carries out the HTTP requests that follow, until the flow waits for
/// the caller, a transfer, or the end.
pub async fn drive(
    state: &AppState,
    tenant_id: &str,
    session: &mut Session,
    event: Event,
) -> Result<TurnOutput, ConversationError> {
    crate::quotas::pace_turn(state, tenant_id).await;
    let mut http = FlowHttp::new(state, tenant_id);
    let mut plan = Plan::default();
    let events =
        conversation::take_turn(session, event, &mut http, None, &mut plan, &state.clock).await?;
    Ok(TurnOutput { plan, events })
}

/// A phone call renders a turn as prompts, then what follows them; a transfer waits for the
/// carrier.
impl Renderer for Plan {
    fn act(&mut self, action: Action) -> Option<Event> {
        match action {
            Action::Say {
                text,
                voice,
                barge_in,
            } => self.prompts.push(Prompt {
                text,
                voice,
                url: None,
                barge_in,
            }),
            Action::Play {
                url,
                text,
                barge_in,
            } => self.prompts.push(Prompt {
                text,
                voice: None,
                url: Some(url),
                barge_in,
            }),
            Action::Listen(listen) => self.next = Next::Listen(listen),
            Action::Transfer(transfer) => self.next = Next::Transfer(transfer),
            Action::HangUp { outcome } => self.next = Next::HangUp { outcome },
            Action::Http(_) | Action::Record(_) => {}
        }
        None
    }
}

/// A call event of the phone channel itself (recognition failed, barge-in, the carrier's
/// status…).
pub use conversation::channel_event as phone_event;

/// How the call record ends when the flow ended in this turn.
fn end_of(call: &Call, now: i64) -> Option<CallEnd> {
    call.session
        .outcome()
        .map(|outcome| ending(call, outcome.into(), now))
}

/// The end of the call's record with `outcome`.
fn ending(call: &Call, outcome: CallOutcome, now: i64) -> CallEnd {
    conversation::ending(
        outcome,
        call.phone.handoff.as_ref(),
        &call.session.kept_vars(),
        call.session.call().started_at_ms,
        now,
    )
}

/// Puts the call's notice, if it has one still to say, before the turn's prompts: once, so
/// that it opens the call whichever turn plays first.
pub fn say_notice_first(call: &mut Call, plan: &mut Plan) {
    if let Some(notice) = call.phone.notice.take() {
        plan.prompts.insert(
            0,
            Prompt {
                text: notice,
                voice: None,
                url: None,
                barge_in: false,
            },
        );
    }
}

/// Notes what a turn left: the snapshot, and the transfer for the record.
pub fn absorb(call: &mut Call, plan: &Plan) {
    call.phone.snapshot = call.session.snapshot();
    if let Next::Transfer(transfer) = &plan.next {
        call.phone.handoff = Some(Handoff::new(&transfer.target, &transfer.summary));
    }
}

/// Writes a new call with its first turn's events (none when it has not started): its call
/// record and its session, in one write. A second start of the same carrier call is
/// [`ConversationError::Duplicate`].
pub async fn insert(
    state: &AppState,
    tenant_id: &str,
    call: &mut Call,
    events: Vec<NewCallEvent>,
) -> Result<(), ConversationError> {
    let now = state.clock.now_ms();
    call.phone.snapshot = call.session.snapshot();
    let parties = parties_of(
        call.phone.direction,
        &call.phone.from,
        &call.phone.to,
        Some(&call.phone.call_sid),
    );
    let snapshot = conversation::to_json(&call.phone)?;
    let end = end_of(call, now);
    let mut opening = std::mem::take(&mut call.opening);
    opening.extend(events);
    list_opt_outs(state, tenant_id, call, &mut opening, now).await?;
    // The carrier reports a phone call's end after the flow's: the roll-up task counts it.
    let write = TurnWrite {
        snapshot,
        events: opening,
        end,
        counted: None,
    };
    let saved = conversation::create(state, tenant_id, &call.chat, &parties, write)
        .await
        .map_err(|error| match error {
            // The caller is told in the flow's language that the lines are busy.
            ConversationError::OverQuota { refused, .. } => ConversationError::OverQuota {
                refused,
                language: Some(call.session.flow().document().language.clone()),
            },
            other => other,
        })?;
    call.chat.turn = saved.ok_or(ConversationError::Flow(FlowError::NotFound))?;
    Ok(())
}

/// Saves a turn of a running call: its snapshot, events and (when the flow ended) the end of
/// its record. A lost compare-and-set (another server took this turn) is
/// [`ConversationError::TurnConflict`].
pub async fn save(
    state: &AppState,
    tenant_id: &str,
    call: &mut Call,
    events: Vec<NewCallEvent>,
) -> Result<(), ConversationError> {
    let end = end_of(call, state.clock.now_ms());
    save_with_end(state, tenant_id, call, events, end).await
}

/// Saves a turn that ends the call record with `outcome` although the flow did not end
/// (a handoff taken as a fallback).
pub async fn finish(
    state: &AppState,
    tenant_id: &str,
    call: &mut Call,
    events: Vec<NewCallEvent>,
    outcome: CallOutcome,
) -> Result<(), ConversationError> {
    let end = ending(call, outcome, state.clock.now_ms());
    save_with_end(state, tenant_id, call, events, Some(end)).await
}

async fn save_with_end(
    state: &AppState,
    tenant_id: &str,
    call: &mut Call,
    events: Vec<NewCallEvent>,
    end: Option<CallEnd>,
) -> Result<(), ConversationError> {
    let now = state.clock.now_ms();
    call.phone.snapshot = call.session.snapshot();
    let ended = end.is_some();
    let mut written: Vec<NewCallEvent> = call.phone.opening.drain(..).map(Into::into).collect();
    written.extend(events);
    // The flow's records are redacted already; the channel's own events (prompts cut short)
    // are not.
    privacy::redact::events(&call.session.redactor(), &mut written);
    list_opt_outs(state, tenant_id, call, &mut written, now).await?;
    let snapshot = conversation::to_json(&call.phone)?;
    // The carrier reports a phone call's end after the flow's: the roll-up task counts it.
    let write = TurnWrite {
        snapshot,
        events: written,
        end,
        counted: None,
    };
    let saved = conversation::save(state, tenant_id, &call.chat, write, now)
        .await?
        .ok_or(ConversationError::NotFound)?;
    call.chat.turn = saved;
    if ended {
        call.chat.ended_at = Some(now);
    }
    Ok(())
}

/// Puts the other party's number on the do-not-call list when the flow's opt-out was passed in
/// this turn: with the turn, before its write (see [`conversation::list_opt_outs`]).
async fn list_opt_outs(
    state: &AppState,
    tenant_id: &str,
    call: &Call,
    events: &mut [NewCallEvent],
    now: i64,
) -> Result<(), ConversationError> {
    let phone = &call.phone;
    let number = conversation::other_party(phone.direction, &phone.from, &phone.to);
    conversation::list_opt_outs(
        &state.store,
        tenant_id,
        &call.chat.call_id,
        number,
        events,
        now,
    )
    .await?;
    Ok(())
}

/// Ends a call nobody answered before its flow began: the carrier's final `status`
/// (`no-answer`, `busy`, `failed`…) is kept in the record's summary.
pub async fn end_unreached(
    state: &AppState,
    tenant_id: &str,
    call: &Call,
    status: &str,
) -> Result<(), ConversationError> {
    let now = state.clock.now_ms();
    let end = CallEnd {
        ended_at: now,
        outcome: CallOutcome::Unreached,
        summary: Some(serde_json::json!({ "carrier_status": status })),
        duration_ms: (now - call.chat.created_at).max(0),
    };
    state
        .store
        .end_call(tenant_id, &call.chat.call_id, &end)
        .await?;
    Ok(())
}

/// Makes the transfer's summary and the variables visible on the call record while the call
/// is with the agent (the record's summary is otherwise written at the end).
pub async fn publish_handoff(
    state: &AppState,
    tenant_id: &str,
    call: &Call,
) -> Result<(), ConversationError> {
    let summary = summary(call.phone.handoff.as_ref(), &call.session.kept_vars());
    state
        .store
        .set_call_summary(tenant_id, &call.chat.call_id, &summary)
        .await?;
    if let Some(handoff) = call
        .phone
        .handoff
        .as_ref()
        .filter(|handoff| handoff.kind == HandoffKind::Queue)
    {
        crate::queues::handoff::open_phone(
            state,
            tenant_id,
            &call.chat.call_id,
            &handoff.target,
            &handoff.summary,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip() {
        for mode in [Mode::Webhook, Mode::Stream] {
            assert_eq!(Mode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(Mode::parse("sip"), None);
    }

    #[test]
    fn a_plan_survives_storage() {
        let plan = Plan {
            prompts: vec![Prompt {
                text: "您好".into(),
                voice: Some("espeak:cmn".into()),
                url: None,
                barge_in: true,
            }],
            next: Next::HangUp {
                outcome: Outcome::Resolved,
            },
        };
        let text = serde_json::to_string(&plan).expect("serialises");
        let back: Plan = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, plan);
    }
}
