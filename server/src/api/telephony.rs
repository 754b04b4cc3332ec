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
use crate::language::Language;
use crate::state::AppState;
use crate::store::{now_ms, PhoneNumber};
use crate::telephony::connection::{self, ConnectionCheck};
use crate::telephony::numbers::{self, Binding, NumberError};
use crate::telephony::preview::{self, PreviewError, PreviewRequest};
use crate::telephony::settings::{self, TelephonyError, TelephonyUpdate, TelephonyView};
use crate::telephony::Mode;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(test_connection))
        .routes(routes!(preview_voice))
        .routes(routes!(list_numbers))
        .routes(routes!(get_number, put_number, delete_number))
}

/// The tenant's telephony settings. Secrets are never returned: `auth_token_set` and
/// `api_key_set` say whether one is stored.
#[utoipa::path(get, path = "/telephony", tag = "telephony",
    responses((status = 200, body = TelephonyView),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: only owners see the telephony settings")))]
async fn get_settings(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Json<TelephonyView>> {
    let language = Language::from_headers(&headers);
    principal
        .require(Permission::ManageTenant)
        .map_err(|error| owners_only(error, language))?;
    let view = settings::view(&state.store, &principal.tenant_id)
        .await
        .map_err(|error| settings_error(error, language))?;
    Ok(Json(view))
}

/// Replaces the telephony settings. Secrets (`twilio.auth_token`, `deepgram.api_key`) are
/// sealed with the server's key; leave one out to keep the stored one.
#[utoipa::path(put, path = "/telephony", tag = "telephony", request_body = TelephonyUpdate,
    responses((status = 200, body = TelephonyView),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: only owners change the telephony settings"),
        (status = 413, description = "`body_too_large`"),
        (status = 422, description = "`invalid_settings`, naming each wrong field"),
        (status = 503, description = "`secret_key_unavailable`: the server's key is unusable")))]
async fn put_settings(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(update): Json<TelephonyUpdate>,
) -> ApiResult<Json<TelephonyView>> {
    let language = Language::from_headers(&headers);
    principal
        .require(Permission::ManageTenant)
        .map_err(|error| owners_only(error, language))?;
    let secrets = super::server_key(&state)?;
    let view = settings::update(&state.store, secrets, &principal.actor(), update, now_ms())
        .await
        .map_err(|error| settings_error(error, language))?;
    Ok(Json(view))
}

/// Checks the saved Twilio account and Deepgram key against the server's configured Twilio and
/// Deepgram addresses: which works, and why the other does not, in the request's language.
/// A provider that refuses is a `failed` check in a 200 answer, not an error of this request.
#[utoipa::path(post, path = "/telephony/test", tag = "telephony",
    responses((status = 200, body = ConnectionCheck),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: only owners test the telephony settings"),
        (status = 503, description = "`secret_key_unavailable`: the server's key is unusable")))]
async fn test_connection(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Json<ConnectionCheck>> {
    let language = Language::from_headers(&headers);
    principal
        .require(Permission::ManageTenant)
        .map_err(|error| owners_only(error, language))?;
    let secrets = super::server_key(&state)?;
    let check = connection::test(
        &state.store,
        secrets,
        &state.telephony,
        &principal.tenant_id,
        language,
    )
    .await
    .map_err(|error| settings_error(error, language))?;
    Ok(Json(check))
}

/// Speaks a short sentence (`text`, at most 200 characters; else the shop's greeting) with a
/// voice (`provider` and `voice`; else the saved ones) and answers a 16-bit PCM WAV file to
/// play in a browser. Only voices made on this server can be heard: Aura and espeak-ng.
#[utoipa::path(post, path = "/telephony/preview", tag = "telephony",
    request_body = PreviewRequest,
    responses((status = 200, description = "The sentence spoken, as `audio/wav`",
            content_type = "audio/wav", body = Vec<u8>),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: only owners listen to the voice settings"),
        (status = 413, description = "`body_too_large`"),
        (status = 422, description = "`invalid_preview`, naming the field: `invalid_language`, \
            `required`, `too_long`, `voice_not_previewable` (Twilio's voices), \
            `deepgram_not_configured` (Aura without a key), `no_voice`"),
        (status = 502, description = "`speech_failed`: the voice's provider did not speak"),
        (status = 503, description = "`secret_key_unavailable`: the server's key is unusable")))]
async fn preview_voice(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(request): Json<PreviewRequest>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let language = Language::from_headers(&headers);
    principal
        .require(Permission::ManageTenant)
        .map_err(|error| owners_only(error, language))?;
    super::server_key(&state)?;
    let wav = preview::speak(&state, &principal.tenant_id, request)
        .await
        .map_err(|error| match error {
            PreviewError::Invalid {
                field,
                code,
                message,
            } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_preview",
                message.get(language).to_owned(),
            )
            .with_field(field, code, message.get(language)),
            PreviewError::Failed(message) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "speech_failed",
                message.get(language).to_owned(),
            ),
            PreviewError::Settings(error) => settings_error(error, language),
        })?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "audio/wav"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        wav,
    )
        .into_response())
}

/// The 403 of `require` for the owners' telephony settings, in the asker's language.
fn owners_only(error: ApiError, language: Language) -> ApiError {
    ApiError {
        detail: language
            .pick(
                "只有店主可以查看和修改电话设置。",
                "Only owners may see and change the telephony settings.",
            )
            .to_owned(),
        ..error
    }
}

fn settings_error(error: TelephonyError, language: Language) -> ApiError {
    match error {
        TelephonyError::Invalid(errors) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_settings",
            language.pick("电话设置有错误。", "The telephony settings have errors."),
        )
        .with_errors(
            errors
                .iter()
                .map(|problem| problem.render(language))
                .collect(),
        ),
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

/// How a number's calls are answered.
fn number_mode_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["webhook", "stream"]))
        .build()
}

/// Binds a number to a flow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneNumberBinding {
    #[schema(min_length = 1)]
    pub flow_id: String,
    /// Pin a version; leave out to follow the published version.
    #[serde(default)]
    pub version: Option<i64>,
    /// `webhook` (default) or `stream`.
    #[serde(default)]
    #[schema(schema_with = number_mode_schema)]
    pub mode: Option<String>,
}

/// The tenant's phone numbers.
#[utoipa::path(get, path = "/phone-numbers", tag = "telephony",
    responses((status = 200, body = Vec<PhoneNumberView>),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: the role may not see flows")))]
async fn list_numbers(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<PhoneNumberView>>> {
    principal.require(Permission::ReadFlows)?;
    let language = Language::from_headers(&headers);
    let numbers = numbers::list(&state.store, &principal.tenant_id)
        .await
        .map_err(|error| number_error(error, language))?;
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
    responses((status = 200, body = PhoneNumberView),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: the role may not see flows"),
        (status = 404, description = "`not_found`")))]
async fn get_number(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> ApiResult<Json<PhoneNumberView>> {
    principal.require(Permission::ReadFlows)?;
    let language = Language::from_headers(&headers);
    let found = numbers::get(&state.store, &principal.tenant_id, &number)
        .await
        .map_err(|error| number_error(error, language))?;
    Ok(Json(number_view(
        found,
        &public_base(&state.telephony, &headers),
    )))
}

/// Binds a number to one of the tenant's flows (or changes its binding). Incoming calls to it
/// run that flow; outbound calls from it too, unless they name another.
#[utoipa::path(put, path = "/phone-numbers/{number}", tag = "telephony",
    params(("number" = String, Path, description = "E.164, with its + (URL-encoded as %2B)", pattern = r"^\+[0-9]{7,15}$")),
    request_body = PhoneNumberBinding,
    responses((status = 200, body = PhoneNumberView),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: only owners bind numbers"),
        (status = 413, description = "`body_too_large`"),
        (status = 422, description = "`invalid_number`, `invalid_mode`, `flow_not_found`, \
            naming the field")))]
async fn put_number(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(number): Path<String>,
    Json(binding): Json<PhoneNumberBinding>,
) -> ApiResult<Json<PhoneNumberView>> {
    let language = Language::from_headers(&headers);
    principal
        .require(Permission::ManageTenant)
        .map_err(|error| owners_only(error, language))?;
    let mode = match binding.mode.as_deref() {
        None => Mode::default(),
        Some(text) => Mode::parse(text).ok_or_else(|| {
            field_problem(
                "invalid_mode",
                "/mode",
                language.pick(
                    "接听方式只能是 webhook 或 stream",
                    "must be webhook or stream",
                ),
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
    .map_err(|error| number_error(error, language))?;
    Ok(Json(number_view(
        saved,
        &public_base(&state.telephony, &headers),
    )))
}

/// Releases a number: calls to it are no longer answered by a flow.
#[utoipa::path(delete, path = "/phone-numbers/{number}", tag = "telephony",
    params(("number" = String, Path)),
    responses((status = 204),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: only owners release numbers"),
        (status = 404, description = "`not_found`")))]
async fn delete_number(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> ApiResult<StatusCode> {
    let language = Language::from_headers(&headers);
    principal
        .require(Permission::ManageTenant)
        .map_err(|error| owners_only(error, language))?;
    numbers::release(&state.store, &principal.actor(), &number, now_ms())
        .await
        .map_err(|error| number_error(error, language))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A 422 that names the one wrong field; its message is the detail too.
fn field_problem(code: &'static str, field: &str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message.to_owned()).with_field(
        field,
        "invalid_value",
        message,
    )
}

fn number_error(error: NumberError, language: Language) -> ApiError {
    match error {
        NumberError::InvalidNumber(_) => field_problem(
            "invalid_number",
            "number",
            language.pick(
                "电话号码应为 + 加 7 到 15 位数字（国际格式），例如 +8657188880000",
                "must be + and 7 to 15 digits (E.164), such as +8657188880000",
            ),
        ),
        NumberError::FlowNotFound(version) => {
            let message = match version {
                None => language
                    .pick("没有这个流程", "the shop has no such flow")
                    .to_owned(),
                Some(version) => match language {
                    Language::Chinese => format!("这个流程没有版本 {version}"),
                    Language::English => format!("the flow has no version {version}"),
                },
            };
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "flow_not_found",
                message.clone(),
            )
            .with_field("/flow_id", "not_found", message)
        }
        NumberError::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            language.pick("没有这个电话号码。", "The phone number was not found."),
        ),
        NumberError::Store(error) => error.into(),
    }
}
