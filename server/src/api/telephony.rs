//! Phone calls through the API: the tenant's telephony settings (Twilio account, speech
//! providers), its phone numbers and the flows they answer with, and outbound calls.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use flow_engine::runtime::Direction;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use twilio::rest::{self, PlaceCall};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit;
use crate::app::AppState;
use crate::auth::{Permission, Principal};
use crate::channels::phone::{self, Mode, NewPhoneCall, PhoneError};
use crate::channels::twilio::voice::{public_base, Urls};
use crate::error::{ApiError, ApiResult, FieldError, Json};
use crate::flow_cache::FlowError;
use crate::store::{now_ms, CallEnd, PhoneNumber, PHONE_NUMBER_TAKEN};
use crate::telephony::{self, is_phone_number, TelephonyUpdate, TelephonyView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_numbers))
        .routes(routes!(get_number, put_number, delete_number))
}

/// The tenant's telephony settings. Secrets are never returned: `auth_token_set` and
/// `api_key_set` say whether one is stored.
#[utoipa::path(get, path = "/telephony", tag = "telephony",
    responses((status = 200, body = TelephonyView)))]
async fn get_settings(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<TelephonyView>> {
    principal.require(Permission::ManageTenant)?;
    let view = telephony::view(&state.store, &principal.tenant_id)
        .await
        .map_err(|error| ApiError::internal(error.to_string()))?;
    Ok(Json(view))
}

/// Replaces the telephony settings. Secrets (`twilio.auth_token`, `deepgram.api_key`) are
/// sealed with the server's key; leave one out to keep the stored one.
#[utoipa::path(put, path = "/telephony", tag = "telephony", request_body = TelephonyUpdate,
    responses((status = 200, body = TelephonyView),
        (status = 422, description = "`invalid_settings`, naming each wrong field")))]
async fn put_settings(
    State(state): State<AppState>,
    principal: Principal,
    Json(update): Json<TelephonyUpdate>,
) -> ApiResult<Json<TelephonyView>> {
    principal.require(Permission::ManageTenant)?;
    let now = now_ms();
    let secrets_changed = json!({
        "twilio_auth_token": update.twilio.as_ref().is_some_and(|t| t.auth_token.is_some()),
        "deepgram_api_key": update.deepgram.as_ref().is_some_and(|d| d.api_key.is_some()),
    });
    let view = telephony::update(
        &state.store,
        server_key(&state)?,
        &principal.tenant_id,
        update,
        now,
    )
    .await?;
    audit(
        &state,
        &principal,
        "telephony.update",
        "telephony",
        secrets_changed,
        now,
    )
    .await?;
    Ok(Json(view))
}

/// The server's key for tenants' secrets; unusable (a key file that cannot be written) is a
/// 503 that says why.
fn server_key(state: &AppState) -> ApiResult<&crate::secrets::SecretBox> {
    state.secrets.get().map_err(|error| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "secret_key_unavailable",
            format!("the server cannot seal or open secrets: {error}"),
        )
    })
}

/// A phone number and the flow it answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneNumberView {
    /// E.164, e.g. `+8657188880000`.
    pub number: String,
    pub flow_id: String,
    /// The flow version calls run; `null`: the published version at the time of each call.
    pub version: Option<i64>,
    /// `webhook` (Twilio speaks and listens) or `stream` (media stream to this server).
    pub mode: String,
    /// Set these in the Twilio console on the number: "A call comes in" (POST) and
    /// "Call status changes" (POST).
    pub voice_url: String,
    pub status_callback_url: String,
    pub created_at: i64,
    pub updated_at: i64,
}

fn number_view(number: PhoneNumber, base: &str) -> PhoneNumberView {
    PhoneNumberView {
        number: number.number,
        flow_id: number.flow_id,
        version: number.flow_version,
        mode: number.mode,
        voice_url: format!("{base}/twilio/voice"),
        status_callback_url: format!("{base}/twilio/status"),
        created_at: number.created_at,
        updated_at: number.updated_at,
    }
}

/// Binds a number to a flow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneNumberBinding {
    pub flow_id: String,
    /// Pin a version; leave out to follow the published version.
    #[serde(default)]
    pub version: Option<i64>,
    /// `webhook` (default) or `stream`.
    #[serde(default)]
    pub mode: Option<String>,
}

/// The tenant's phone numbers.
#[utoipa::path(get, path = "/phone-numbers", tag = "telephony",
    responses((status = 200, body = Vec<PhoneNumberView>)))]
async fn list_numbers(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<PhoneNumberView>>> {
    principal.require(Permission::ReadFlows)?;
    let base = public_base(&state.telephony, &headers);
    let numbers = state.store.list_phone_numbers(&principal.tenant_id).await?;
    Ok(Json(
        numbers
            .into_iter()
            .map(|number| number_view(number, &base))
            .collect(),
    ))
}

fn check_number(number: &str) -> ApiResult<()> {
    match is_phone_number(number) {
        true => Ok(()),
        false => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_number",
            format!("\"{number}\" is not an E.164 phone number such as +8657188880000"),
        )
        .with_errors(vec![FieldError {
            field: "number".into(),
            code: "invalid_value".into(),
            message: "must be + and 7 to 15 digits".into(),
            node: None,
        }])),
    }
}

/// One of the tenant's numbers.
#[utoipa::path(get, path = "/phone-numbers/{number}", tag = "telephony",
    params(("number" = String, Path, description = "E.164, with its + (URL-encoded as %2B)")),
    responses((status = 200, body = PhoneNumberView), (status = 404)))]
async fn get_number(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> ApiResult<Json<PhoneNumberView>> {
    principal.require(Permission::ReadFlows)?;
    let found = state
        .store
        .phone_number(&number)
        .await?
        .filter(|found| found.tenant_id == principal.tenant_id)
        .ok_or_else(|| ApiError::not_found("the phone number"))?;
    Ok(Json(number_view(
        found,
        &public_base(&state.telephony, &headers),
    )))
}

/// Binds a number to one of the tenant's flows (or changes its binding). Incoming calls to it
/// run that flow; outbound calls from it too, unless they name another.
#[utoipa::path(put, path = "/phone-numbers/{number}", tag = "telephony",
    params(("number" = String, Path, description = "E.164, with its + (URL-encoded as %2B)")),
    request_body = PhoneNumberBinding,
    responses((status = 200, body = PhoneNumberView),
        (status = 409, description = "`number_taken`: another tenant has the number"),
        (status = 422, description = "`invalid_number`, `invalid_mode`, `flow_not_found`")))]
async fn put_number(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(number): Path<String>,
    Json(binding): Json<PhoneNumberBinding>,
) -> ApiResult<Json<PhoneNumberView>> {
    principal.require(Permission::ManageTenant)?;
    check_number(&number)?;
    let mode = match binding.mode.as_deref() {
        None => Mode::Webhook,
        Some(text) => Mode::parse(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_mode",
                "mode must be webhook or stream",
            )
            .with_errors(vec![FieldError {
                field: "/mode".into(),
                code: "invalid_value".into(),
                message: "must be webhook or stream".into(),
                node: None,
            }])
        })?,
    };
    if state
        .store
        .get_flow(&principal.tenant_id, &binding.flow_id)
        .await?
        .is_none()
    {
        return Err(flow_not_found("the tenant has no such flow"));
    }
    if let Some(version) = binding.version {
        let exists = state
            .store
            .get_flow_version(&principal.tenant_id, &binding.flow_id, version)
            .await?
            .is_some();
        if !exists {
            return Err(flow_not_found(&format!(
                "the flow has no version {version}"
            )));
        }
    }
    let now = now_ms();
    let row = PhoneNumber {
        number: number.clone(),
        tenant_id: principal.tenant_id.clone(),
        flow_id: binding.flow_id.clone(),
        flow_version: binding.version,
        mode: mode.as_str().to_owned(),
        settings: json!({}),
        created_at: now,
        updated_at: now,
    };
    let saved = state.store.put_phone_number(&row).await.map_err(|error| {
        if error.is_conflict_on(PHONE_NUMBER_TAKEN) {
            ApiError::conflict("number_taken", "another account has this phone number")
        } else {
            error.into()
        }
    })?;
    let saved = saved.ok_or_else(|| flow_not_found("the tenant has no such flow"))?;
    audit(
        &state,
        &principal,
        "phone_number.bind",
        &number,
        json!({ "flow_id": binding.flow_id, "version": binding.version, "mode": mode.as_str() }),
        now,
    )
    .await?;
    Ok(Json(number_view(
        saved,
        &public_base(&state.telephony, &headers),
    )))
}

fn flow_not_found(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "flow_not_found",
        detail.to_owned(),
    )
    .with_errors(vec![FieldError {
        field: "/flow_id".into(),
        code: "not_found".into(),
        message: detail.to_owned(),
        node: None,
    }])
}

/// Releases a number: calls to it are no longer answered by a flow.
#[utoipa::path(delete, path = "/phone-numbers/{number}", tag = "telephony",
    params(("number" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn delete_number(
    State(state): State<AppState>,
    principal: Principal,
    Path(number): Path<String>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::ManageTenant)?;
    if !state
        .store
        .delete_phone_number(&principal.tenant_id, &number)
        .await?
    {
        return Err(ApiError::not_found("the phone number"));
    }
    audit(
        &state,
        &principal,
        "phone_number.release",
        &number,
        json!({}),
        now_ms(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An outbound call to place.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "to": "+8613800000000", "flow_id": "flw_…",
    "variables": { "customer_name": "王女士", "order_id": "2024061801" } }))]
pub struct PlaceCallRequest {
    /// Who to call, E.164.
    pub to: String,
    /// The flow to run; its published version unless `version` says otherwise.
    pub flow_id: String,
    #[serde(default)]
    pub version: Option<i64>,
    /// The number to call from (one of the tenant's); default: a number bound to the flow.
    #[serde(default)]
    pub from: Option<String>,
    /// Variables the flow starts with.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
    /// Ask Twilio whether a person or a machine answered (`answered_by` on the call).
    #[serde(default)]
    pub machine_detection: bool,
    /// `webhook` or `stream` (default: the from-number's mode).
    #[serde(default)]
    pub mode: Option<String>,
}

/// A call placed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacedCallView {
    /// The call record (`GET /calls/{id}`).
    pub call_id: String,
    /// Twilio's id of the call.
    pub call_sid: String,
    /// Twilio's status, usually `queued`.
    pub status: String,
    pub from: String,
    pub to: String,
}

fn field_error(status: StatusCode, code: &'static str, field: &str, message: &str) -> ApiError {
    ApiError::new(status, code, message.to_owned()).with_errors(vec![FieldError {
        field: field.to_owned(),
        code: "invalid_value".into(),
        message: message.to_owned(),
        node: None,
    }])
}

/// Places an outbound call through Twilio: the flow runs when it is answered, with direction
/// `outbound` and the given variables; status callbacks complete the call record.
#[utoipa::path(post, path = "/calls", tag = "calls", request_body = PlaceCallRequest,
    responses((status = 201, body = PlacedCallView),
        (status = 409, description = "`telephony_not_configured`: no Twilio account"),
        (status = 422, description = "`invalid_call`, naming the field; `flow_not_published`"),
        (status = 502, description = "`carrier_failed`: Twilio refused or could not be reached")))]
pub(crate) async fn place_call(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(request): Json<PlaceCallRequest>,
) -> ApiResult<Response> {
    principal.require(Permission::RunSessions)?;
    let tenant_id = principal.tenant_id.clone();
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !is_phone_number(&request.to) {
        return Err(field_error(
            unprocessable,
            "invalid_call",
            "/to",
            "must be an E.164 number such as +8613800000000",
        ));
    }
    let numbers = state.store.list_phone_numbers(&tenant_id).await?;
    let from = match &request.from {
        Some(from) => numbers.iter().find(|number| &number.number == from),
        None => numbers
            .iter()
            .find(|number| number.flow_id == request.flow_id)
            .or(numbers.first()),
    };
    let Some(from) = from else {
        return Err(field_error(
            unprocessable,
            "invalid_call",
            "/from",
            "the account has no such phone number to call from",
        ));
    };
    let mode = match request.mode.as_deref() {
        Some(text) => Mode::parse(text).ok_or_else(|| {
            field_error(
                unprocessable,
                "invalid_call",
                "/mode",
                "must be webhook or stream",
            )
        })?,
        None => Mode::parse(&from.mode).unwrap_or(Mode::Webhook),
    };
    let settings = telephony::load(&state.store, server_key(&state)?, &tenant_id)
        .await
        .map_err(|error| ApiError::internal(error.to_string()))?;
    let Some(account) = settings.twilio else {
        return Err(ApiError::conflict(
            "telephony_not_configured",
            "set a Twilio account first (PUT /api/v1/telephony)",
        ));
    };
    let new = NewPhoneCall {
        flow_id: request.flow_id.clone(),
        version: request.version,
        mode,
        direction: Direction::Outbound,
        from: from.number.clone(),
        to: request.to.clone(),
        call_sid: None,
        vars: request.variables,
    };
    let mut call = phone::prepare(&state, &tenant_id, new)
        .await
        .map_err(|error| match error {
            PhoneError::Flow(FlowError::NotFound) => field_error(
                unprocessable,
                "invalid_call",
                "/flow_id",
                "the account has no such flow",
            ),
            PhoneError::Flow(FlowError::NotPublished) => ApiError::new(
                unprocessable,
                "flow_not_published",
                "publish the flow before calling with it",
            ),
            PhoneError::Flow(FlowError::VersionNotFound(version)) => field_error(
                unprocessable,
                "invalid_call",
                "/version",
                &format!("the flow has no version {version}"),
            ),
            other => ApiError::internal(other.to_string()),
        })?;
    phone::insert(&state, &tenant_id, &mut call, Vec::new())
        .await
        .map_err(|error| ApiError::internal(error.to_string()))?;
    let urls = Urls {
        base: public_base(&state.telephony, &headers),
        tenant_id: tenant_id.clone(),
        session_id: call.chat.id.clone(),
        turn: call.chat.turn,
    };
    let answer_url = urls.step("answer");
    let status_url = urls.status();
    let placed = rest::place_call(
        &state.carrier,
        &state.telephony.twilio_api_url,
        &account,
        &PlaceCall {
            to: &request.to,
            from: &from.number,
            url: &answer_url,
            status_callback: &status_url,
            machine_detection: request.machine_detection,
            timeout_s: 30,
        },
    )
    .await;
    let now = now_ms();
    let placed = match placed {
        Ok(placed) => placed,
        Err(error) => {
            let end = CallEnd {
                ended_at: now,
                outcome: "failed".into(),
                summary: Some(json!({ "carrier_error": error.to_string() })),
                duration_ms: Some(0),
            };
            state
                .store
                .end_call(&tenant_id, &call.chat.call_id, &end)
                .await?;
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "carrier_failed",
                error.to_string(),
            ));
        }
    };
    if let Err(error) = state
        .store
        .set_call_sid(&tenant_id, &call.chat.call_id, &placed.sid)
        .await
    {
        tracing::error!(%error, "an outbound call's carrier id was not saved");
    }
    audit(
        &state,
        &principal,
        "call.place",
        &call.chat.call_id,
        json!({ "to": request.to, "flow_id": request.flow_id, "call_sid": placed.sid }),
        now,
    )
    .await?;
    let view = PlacedCallView {
        call_id: call.chat.call_id.clone(),
        call_sid: placed.sid,
        status: placed.status,
        from: from.number.clone(),
        to: request.to,
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}
