//! Phone calls' settings through the API: the tenant's telephony settings (Twilio account,
//! speech providers), and its phone numbers and the flows they answer with.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Permission, Principal};
use crate::channels::twilio::voice::public_base;
use crate::error::{ApiError, ApiResult, Json};
use crate::state::AppState;
use crate::store::{now_ms, PhoneNumber};
use crate::telephony::numbers::{self, Binding, NumberError};
use crate::telephony::settings::{self, TelephonyError, TelephonyUpdate, TelephonyView};
use crate::telephony::Mode;

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
    let view = settings::view(&state.store, &principal.tenant_id)
        .await
        .map_err(settings_error)?;
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
    let secrets = super::server_key(&state)?;
    let view = settings::update(&state.store, secrets, &principal.actor(), update, now_ms())
        .await
        .map_err(settings_error)?;
    Ok(Json(view))
}

fn settings_error(error: TelephonyError) -> ApiError {
    match error {
        TelephonyError::Invalid(errors) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_settings",
            "the telephony settings have errors",
        )
        .with_errors(errors),
        TelephonyError::Store(error) => error.into(),
        TelephonyError::Corrupt(detail) => ApiError::internal(detail),
    }
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
    #[schema(value_type = String, example = "webhook")]
    pub mode: Mode,
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
    let numbers = numbers::list(&state.store, &principal.tenant_id)
        .await
        .map_err(number_error)?;
    let base = public_base(&state.telephony, &headers);
    Ok(Json(
        numbers
            .into_iter()
            .map(|number| number_view(number, &base))
            .collect(),
    ))
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
    let found = numbers::get(&state.store, &principal.tenant_id, &number)
        .await
        .map_err(number_error)?;
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
        (status = 422, description = "`invalid_number`, `invalid_mode`, `flow_not_found`")))]
async fn put_number(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(number): Path<String>,
    Json(binding): Json<PhoneNumberBinding>,
) -> ApiResult<Json<PhoneNumberView>> {
    principal.require(Permission::ManageTenant)?;
    let mode = match binding.mode.as_deref() {
        None => Mode::default(),
        Some(text) => Mode::parse(text).ok_or_else(|| {
            field_problem(
                "invalid_mode",
                "/mode",
                "mode must be webhook or stream",
                "must be webhook or stream",
            )
        })?,
    };
    let binding = Binding {
        flow_id: binding.flow_id,
        version: binding.version,
        mode,
    };
    let saved = numbers::bind(
        &state.store,
        &principal.actor(),
        &number,
        &binding,
        now_ms(),
    )
    .await
    .map_err(number_error)?;
    Ok(Json(number_view(
        saved,
        &public_base(&state.telephony, &headers),
    )))
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
    numbers::release(&state.store, &principal.actor(), &number, now_ms())
        .await
        .map_err(number_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A 422 that names the one wrong field.
fn field_problem(code: &'static str, field: &str, detail: &str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail.to_owned()).with_field(
        field,
        "invalid_value",
        message,
    )
}

fn number_error(error: NumberError) -> ApiError {
    match error {
        NumberError::InvalidNumber(_) => field_problem(
            "invalid_number",
            "number",
            &error.to_string(),
            "must be + and 7 to 15 digits",
        ),
        NumberError::FlowNotFound(detail) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "flow_not_found",
            detail.clone(),
        )
        .with_field("/flow_id", "not_found", detail),
        NumberError::NotFound => ApiError::not_found("the phone number"),
        NumberError::Store(error) => error.into(),
    }
}
