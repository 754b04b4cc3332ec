//! Outbound calls: picking the number to call from, writing the call's record with its audit
//! entry, and asking the [`Carrier`] to dial. The record and its audit entry are committed
//! before anything rings, so a failed write never leaves a real call without a record, and a
//! request retried after such a failure never rings twice.

use std::future::Future;
use std::pin::Pin;

use flow_engine::runtime::Direction;
use serde_json::{json, Map, Value};

use super::{is_phone_number, settings, Mode};
use crate::channels::phone::{self, NewPhoneCall};
use crate::channels::twilio::voice::{Urls, WebhookStep};
use crate::conversation::ConversationError;
use crate::flow_cache::FlowError;
use crate::state::AppState;
use crate::store::{
    Actor, CallEnd, CallOutcome, Channel, ChatSession, NewCall, PhoneNumber, StoreError,
};
use twilio::Account;

/// How long the callee's phone rings before the carrier gives up.
const RING_TIMEOUT_S: u32 = 30;

/// A call for a carrier to place.
#[derive(Debug, Clone, Copy)]
pub struct CallRequest<'a> {
    pub to: &'a str,
    pub from: &'a str,
    /// Where the carrier asks what to do once the call is answered.
    pub answer_url: &'a str,
    pub status_url: &'a str,
    /// Ask whether a person or a machine answered.
    pub machine_detection: bool,
    pub ring_timeout_s: u32,
}

/// A call the carrier accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierCall {
    /// The carrier's id of the call.
    pub id: String,
    /// The carrier's status, usually `queued`.
    pub status: String,
}

/// Why the carrier did not place a call, in its own words.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct CarrierError(pub String);

pub type CarrierFuture<'a> =
    Pin<Box<dyn Future<Output = Result<CarrierCall, CarrierError>> + Send + 'a>>;

/// A call as the carrier keeps it: for a call whose status callback never arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierCallState {
    /// Twilio's words: `queued`, `ringing`, `in-progress`, `completed`, `busy`, `no-answer`,
    /// `failed`, `canceled`.
    pub status: String,
    pub answered_by: Option<String>,
    /// Seconds from answer to hang-up.
    pub duration_s: Option<u32>,
}

pub type CarrierStateFuture<'a> =
    Pin<Box<dyn Future<Output = Result<CarrierCallState, CarrierError>> + Send + 'a>>;

/// Places calls for a tenant's account, and tells how one went.
pub trait Carrier: Send + Sync {
    fn place_call<'a>(
        &'a self,
        account: &'a Account,
        call: &'a CallRequest<'a>,
    ) -> CarrierFuture<'a>;

    fn fetch_call<'a>(&'a self, account: &'a Account, call_id: &'a str) -> CarrierStateFuture<'a>;
}

/// Twilio's REST API.
pub struct TwilioCarrier {
    client: reqwest::Client,
    api_url: String,
}

impl TwilioCarrier {
    pub fn new(client: reqwest::Client, api_url: String) -> TwilioCarrier {
        TwilioCarrier { client, api_url }
    }
}

impl Carrier for TwilioCarrier {
    fn place_call<'a>(
        &'a self,
        account: &'a Account,
        call: &'a CallRequest<'a>,
    ) -> CarrierFuture<'a> {
        use twilio::rest::{self, PlaceCall};
        Box::pin(async move {
            let request = PlaceCall {
                to: call.to,
                from: call.from,
                url: call.answer_url,
                status_callback: call.status_url,
                machine_detection: call.machine_detection,
                timeout_s: call.ring_timeout_s,
            };
            rest::place_call(&self.client, &self.api_url, account, &request)
                .await
                .map(|placed| CarrierCall {
                    id: placed.sid,
                    status: placed.status,
                })
                .map_err(|error| CarrierError(error.to_string()))
        })
    }

    fn fetch_call<'a>(&'a self, account: &'a Account, call_id: &'a str) -> CarrierStateFuture<'a> {
        Box::pin(async move {
            twilio::rest::fetch_call(&self.client, &self.api_url, account, call_id)
                .await
                .map(|call| CarrierCallState {
                    status: call.status,
                    answered_by: call.answered_by,
                    duration_s: call.duration.and_then(|seconds| seconds.parse().ok()),
                })
                .map_err(|error| CarrierError(error.to_string()))
        })
    }
}

/// Asks the carrier how a call the server placed has gone, and if it has ended, ends its
/// record as its status callback would have: for a call whose callback never arrived (the
/// server was down or restarting as it was sent). Answers whether the call has ended.
pub async fn reconcile(
    state: &AppState,
    tenant_id: &str,
    call_id: &str,
    call_sid: &str,
) -> Result<bool, OutboundError> {
    let account = twilio_account(state, tenant_id).await?;
    let carrier = state
        .carrier
        .fetch_call(&account, call_sid)
        .await
        .map_err(OutboundError::Carrier)?;
    let Some(session_id) = state
        .store
        .chat_session_id_of_call(tenant_id, call_id)
        .await?
    else {
        return Ok(false);
    };
    let mut form = vec![
        ("CallSid", call_sid.to_owned()),
        ("AccountSid", account.account_sid.clone()),
        ("CallStatus", carrier.status),
        ("Direction", "outbound-api".to_owned()),
    ];
    if let Some(answered_by) = carrier.answered_by {
        form.push(("AnsweredBy", answered_by));
    }
    if let Some(seconds) = carrier.duration_s {
        form.push(("CallDuration", seconds.to_string()));
    }
    let body = serde_urlencoded::to_string(&form)
        .map_err(|error| OutboundError::Internal(error.to_string()))?;
    let webhook = twilio::webhook::VoiceWebhook::from_form(body.as_bytes())
        .map_err(|error| OutboundError::Internal(error.to_string()))?;
    if !webhook
        .call_status()
        .is_some_and(|status| status.is_final())
    {
        return Ok(false);
    }
    crate::channels::twilio::voice::status(state, tenant_id, &session_id, &webhook)
        .await
        .map_err(|error| OutboundError::Internal(error.to_string()))?;
    Ok(true)
}

/// An outbound call to place.
#[derive(Debug, Clone, Default)]
pub struct OutboundCall {
    /// E.164.
    pub to: String,
    pub flow_id: String,
    /// `None`: the published version.
    pub version: Option<i64>,
    /// One of the tenant's numbers; `None`: a number bound to the flow, else any of them.
    pub from: Option<String>,
    pub variables: Map<String, Value>,
    pub machine_detection: bool,
    /// `None`: the from-number's mode.
    pub mode: Option<Mode>,
    /// The id the call's record takes (a campaign writes it down before dialing); `None`: a
    /// new one.
    pub call_id: Option<String>,
    /// What to do when a machine answers (with `machine_detection`); `None`: run the flow.
    pub on_machine: Option<phone::OnMachine>,
}

/// A call placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub call_id: String,
    pub call: CarrierCall,
    pub from: String,
    pub to: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// A wrong field of the request, as a JSON pointer.
    #[error("{}", message.en)]
    Invalid {
        field: &'static str,
        message: crate::language::Text,
    },
    #[error("the flow has no published version")]
    FlowNotPublished,
    #[error("the tenant has no Twilio account")]
    NotConfigured,
    #[error("the server cannot open secrets: {0}")]
    SecretKey(String),
    /// The carrier refused or could not be reached; the call's record ended `failed`.
    #[error("{0}")]
    Carrier(CarrierError),
    #[error("{0}")]
    Internal(String),
    /// The tenant's calls in progress are at its quota.
    #[error("over the tenant's quota of {}", .0.quota.name())]
    OverQuota(crate::quotas::Refused),
}

impl From<StoreError> for OutboundError {
    fn from(error: StoreError) -> Self {
        OutboundError::Internal(format!("storage failed: {error}"))
    }
}

fn invalid(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> OutboundError {
    OutboundError::Invalid {
        field,
        message: crate::language::Text::new(zh, en),
    }
}

/// Places `call` from one of the actor's tenant's numbers. `base_url` is this server's public
/// URL, where the carrier reports the call's progress.
pub async fn place(
    state: &AppState,
    actor: &Actor,
    call: OutboundCall,
    base_url: &str,
    now_ms: i64,
) -> Result<Placed, OutboundError> {
    let tenant_id = actor.tenant_id.as_str();
    if !is_phone_number(&call.to) {
        return Err(invalid(
            "/to",
            "须是 E.164 格式的号码，例如 +8613800000000",
            "must be an E.164 number such as +8613800000000",
        ));
    }
    let numbers = state.store.list_phone_numbers(tenant_id).await?;
    let from = match &call.from {
        Some(from) => numbers.iter().find(|number| &number.number == from),
        None => numbers
            .iter()
            .find(|number| number.flow_id == call.flow_id)
            .or(numbers.first()),
    }
    .ok_or_else(|| {
        invalid(
            "/from",
            "账户里没有可用来拨出的这个号码",
            "the account has no such phone number to call from",
        )
    })?;
    let account = twilio_account(state, tenant_id).await?;
    let mut prepared = prepare(state, tenant_id, &call, from).await?;
    prepared.phone.notice = notice(state, tenant_id, &prepared.phone.language).await?;
    record(state, actor, &prepared, &call, &from.number, now_ms).await?;
    let session = start(state, tenant_id, &mut prepared, now_ms).await?;
    let urls = Urls {
        base: base_url.to_owned(),
        tenant_id: tenant_id.to_owned(),
        session_id: session.id,
        turn: session.turn,
    };
    let (answer_url, status_url) = (urls.step(WebhookStep::Answer), urls.status());
    let request = CallRequest {
        to: &call.to,
        from: &from.number,
        answer_url: &answer_url,
        status_url: &status_url,
        machine_detection: call.machine_detection,
        ring_timeout_s: RING_TIMEOUT_S,
    };
    let call_id = prepared.chat.call_id;
    let placed = match state.carrier.place_call(&account, &request).await {
        Ok(placed) => placed,
        Err(error) => {
            let reason = json!({ "carrier_error": error.to_string() });
            state
                .store
                .end_call(tenant_id, &call_id, &failed(reason, now_ms))
                .await?;
            return Err(OutboundError::Carrier(error));
        }
    };
    if let Err(error) = state
        .store
        .set_call_sid(tenant_id, &call_id, &placed.id)
        .await
    {
        tracing::error!(%error, call_id, "an outbound call's carrier id was not saved");
    }
    Ok(Placed {
        call_id,
        call: placed,
        from: from.number.clone(),
        to: call.to,
    })
}

/// The tenant's Twilio account, its secret opened.
async fn twilio_account(state: &AppState, tenant_id: &str) -> Result<Account, OutboundError> {
    let secrets = state
        .secrets
        .get()
        .map_err(|error| OutboundError::SecretKey(error.to_string()))?;
    settings::load(&state.store, secrets, tenant_id)
        .await
        .map_err(|error| OutboundError::Internal(error.to_string()))?
        .twilio
        .ok_or(OutboundError::NotConfigured)
}

/// The shop's notice for outbound calls in the flow's language (Chinese for `zh…`, else
/// English), when it has one.
async fn notice(
    state: &AppState,
    tenant_id: &str,
    language: &str,
) -> Result<Option<String>, OutboundError> {
    let Some(tenant) = state.store.get_tenant(tenant_id).await? else {
        return Ok(None);
    };
    let key = if language.to_ascii_lowercase().starts_with("zh") {
        "zh-CN"
    } else {
        "en"
    };
    Ok(tenant
        .settings
        .outbound_notice
        .get(key)
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty()))
}

/// The call's flow, ready to run when the call is answered.
async fn prepare(
    state: &AppState,
    tenant_id: &str,
    call: &OutboundCall,
    from: &PhoneNumber,
) -> Result<phone::Call, OutboundError> {
    let new = NewPhoneCall {
        flow_id: call.flow_id.clone(),
        version: call.version,
        mode: call.mode.unwrap_or(from.mode),
        direction: Direction::Outbound,
        from: from.number.clone(),
        to: call.to.clone(),
        call_sid: None,
        vars: call.variables.clone(),
        call_id: call.call_id.clone(),
        on_machine: call.on_machine.clone(),
    };
    phone::prepare(state, tenant_id, new)
        .await
        .map_err(|error| match error {
            ConversationError::Flow(FlowError::NotFound) => invalid(
                "/flow_id",
                "账户里没有这个流程",
                "the account has no such flow",
            ),
            ConversationError::Flow(FlowError::NotPublished) => OutboundError::FlowNotPublished,
            ConversationError::Flow(FlowError::VersionNotFound(version)) => invalid(
                "/version",
                format!("这个流程没有第 {version} 版"),
                format!("the flow has no version {version}"),
            ),
            ConversationError::OverQuota { refused, .. } => OutboundError::OverQuota(refused),
            other => OutboundError::Internal(other.to_string()),
        })
}

/// Writes the call's record and the audit entry that says who placed it, together.
async fn record(
    state: &AppState,
    actor: &Actor,
    prepared: &phone::Call,
    call: &OutboundCall,
    from: &str,
    now_ms: i64,
) -> Result<(), OutboundError> {
    let call_id = prepared.chat.call_id.as_str();
    let record = NewCall {
        flow_id: &prepared.chat.flow_id,
        flow_version: prepared.chat.flow_version,
        channel: Channel::Phone,
        direction: Direction::Outbound,
        from_number: Some(from),
        to_number: Some(&call.to),
        call_sid: None,
    };
    let mut transaction = state.store.transaction().await?;
    if transaction
        .create_call(&actor.tenant_id, call_id, &record, now_ms)
        .await?
        .is_none()
    {
        return Err(invalid(
            "/flow_id",
            "账户里没有这个流程",
            "the account has no such flow",
        ));
    }
    let detail = json!({ "to": call.to, "from": from, "flow_id": call.flow_id });
    transaction
        .record_audit(actor, "call.place", call_id, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// Starts the recorded call's session, which the carrier's requests continue; a call that
/// cannot start ends its record `failed`.
async fn start(
    state: &AppState,
    tenant_id: &str,
    prepared: &mut phone::Call,
    now_ms: i64,
) -> Result<ChatSession, OutboundError> {
    let call_id = prepared.chat.call_id.clone();
    prepared.phone.snapshot = prepared.session.snapshot();
    // The record is written without events: the first turn writes the opening's.
    let opening = std::mem::take(&mut prepared.opening);
    prepared.phone.opening = opening.into_iter().map(Into::into).collect();
    let started = match phone_state(prepared) {
        Ok(snapshot) => {
            state
                .store
                .create_chat_session(
                    tenant_id,
                    &call_id,
                    &snapshot,
                    &prepared.chat.knowledge,
                    now_ms,
                )
                .await
        }
        Err(error) => Err(error),
    };
    match started {
        Ok(Some(session)) => Ok(session),
        Ok(None) => Err(OutboundError::Internal(
            "the call's record vanished".to_owned(),
        )),
        Err(error) => {
            let reason = json!({ "error": "the call could not be started" });
            state
                .store
                .end_call(tenant_id, &call_id, &failed(reason, now_ms))
                .await?;
            Err(error.into())
        }
    }
}

/// How a call that never rang ends.
fn failed(reason: Value, now_ms: i64) -> CallEnd {
    CallEnd {
        ended_at: now_ms,
        outcome: CallOutcome::Failed,
        summary: Some(reason),
        duration_ms: 0,
    }
}

/// The call's state as its session keeps it between carrier requests.
fn phone_state(prepared: &phone::Call) -> Result<Value, StoreError> {
    serde_json::to_value(&prepared.phone)
        .map_err(|error| StoreError::corrupt("conversations", "snapshot", error))
}
