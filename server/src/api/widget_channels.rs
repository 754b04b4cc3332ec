//! Widget channels through the API: a flow's publishable key for the chat widget on the
//! shop's own pages, the origins allowed to use it, its switch and language, and the identity
//! secret that signs the shop's signed-in customers. The logic is
//! [`crate::channels::widget::channels`].

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Permission, Principal};
use crate::channels::twilio::voice::public_base;
use crate::channels::widget::channels::{self, ChannelError, WithSecret};
use crate::error::{ApiError, ApiResult, Json};
use crate::language::Language;
use crate::state::AppState;
use crate::store::{now_ms, ChannelFields, WidgetChannel, WidgetLanguage};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(update_channel, delete_channel))
        .routes(routes!(rotate_key))
        .routes(routes!(rotate_identity_secret))
}

/// A flow's chat-widget channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetChannelView {
    /// `wch_…`.
    pub id: String,
    pub flow_id: String,
    pub name: String,
    /// The publishable key: safe in a page, it only lets visitors of the allowed origins chat
    /// with the flow's published version.
    pub key: String,
    /// Exact origins (`https://shop.example`) whose pages may use the widget.
    pub allowed_origins: Vec<String>,
    pub enabled: bool,
    /// `zh-CN` or `en`: the widget's language when the page names none.
    #[schema(example = "zh-CN")]
    pub language: String,
    /// The tag to paste into the shop's pages. On a page with a signed-in customer, add
    /// `data-customer="<the shop's id>"` and `data-customer-signature="<hex HMAC-SHA256 of the
    /// id under the identity secret>"`, computed by the shop's server.
    pub script_tag: String,
    /// Whether the channel has an identity secret (it is shown only when made).
    pub identity_secret_set: bool,
    /// The identity secret, only in the answer that made it (creating the channel, or
    /// rotating the secret): keep it on the shop's server, never in a page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_secret: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn channel_view(channel: WidgetChannel, base: &str) -> WidgetChannelView {
    WidgetChannelView {
        script_tag: format!(
            "<script src=\"{base}/widget.js\" data-channel=\"{}\" async></script>",
            channel.key
        ),
        identity_secret_set: channel.identity_secret.is_some(),
        identity_secret: None,
        id: channel.id,
        flow_id: channel.flow_id,
        name: channel.name,
        key: channel.key,
        allowed_origins: channel.allowed_origins,
        enabled: channel.enabled,
        language: channel.language.as_str().to_owned(),
        created_at: channel.created_at,
        updated_at: channel.updated_at,
    }
}

/// The languages a widget speaks.
fn widget_language_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["zh-CN", "en"]))
        .build()
}

/// A new channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWidgetChannel {
    #[schema(min_length = 1)]
    pub flow_id: String,
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// On by default.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `zh-CN` (the default) or `en`.
    #[serde(default)]
    #[schema(schema_with = widget_language_schema)]
    pub language: Option<String>,
}

/// A channel's settings; they replace the stored ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetChannelUpdate {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    pub allowed_origins: Vec<String>,
    pub enabled: bool,
    #[schema(schema_with = widget_language_schema)]
    pub language: String,
}

fn language(text: Option<&str>) -> ApiResult<WidgetLanguage> {
    match text {
        None => Ok(WidgetLanguage::default()),
        Some(text) => WidgetLanguage::parse(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_language",
                "the language is zh-CN or en",
            )
            .in_chinese("语言只能是 zh-CN 或 en")
            .with_field("/language", "invalid_value", "must be zh-CN or en")
        }),
    }
}

/// The view of a channel whose identity secret was just made, with the secret.
fn view_with_secret(made: WithSecret, base: &str) -> WidgetChannelView {
    WidgetChannelView {
        identity_secret: Some(made.identity_secret.as_str().to_owned()),
        ..channel_view(made.channel, base)
    }
}

fn channel_error(error: ChannelError) -> ApiError {
    match error {
        ChannelError::Invalid(field, code, message) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message.en.clone())
                .in_chinese(message.zh.clone())
                .with_field(&field, code, message.get(Language::current()))
        }
        ChannelError::FlowNotFound => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "flow_not_found",
            "the tenant has no such flow",
        )
        .in_chinese("这个租户没有这个流程")
        .with_field("/flow_id", "not_found", "the tenant has no such flow"),
        ChannelError::NotFound => {
            ApiError::not_found("the widget channel").in_chinese("找不到这个网页聊天渠道")
        }
        ChannelError::NoRandomness => ApiError::internal("the system's random generator failed"),
        ChannelError::Store(error) => error.into(),
    }
}

/// The tenant's widget channels, oldest first.
#[utoipa::path(get, path = "/widget-channels", tag = "widget",
    responses((status = 200, body = Vec<WidgetChannelView>)))]
async fn list_channels(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<WidgetChannelView>>> {
    principal.require(Permission::ReadFlows)?;
    let found = channels::list(&state.store, &principal.tenant_id)
        .await
        .map_err(channel_error)?;
    let base = public_base(&state.telephony, &headers);
    Ok(Json(
        found
            .into_iter()
            .map(|channel| channel_view(channel, &base))
            .collect(),
    ))
}

/// Creates a channel for one of the tenant's flows, with a new publishable key and identity
/// secret (`identity_secret`, shown in this answer only).
#[utoipa::path(post, path = "/widget-channels", tag = "widget",
    request_body = NewWidgetChannel,
    responses((status = 201, body = WidgetChannelView),
        (status = 422, description = "`invalid_name`, `invalid_origin`, `too_many_origins`, \
            `invalid_language`, `flow_not_found`, naming the field"),
        (status = 503, description = "`secret_key_unavailable`: the server's key is unusable")))]
async fn create_channel(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(body): Json<NewWidgetChannel>,
) -> ApiResult<(StatusCode, Json<WidgetChannelView>)> {
    principal.require(Permission::EditFlows)?;
    let fields = ChannelFields {
        name: body.name,
        allowed_origins: body.allowed_origins,
        enabled: body.enabled.unwrap_or(true),
        language: language(body.language.as_deref())?,
    };
    let secrets = super::server_key(&state)?;
    let made = channels::create(
        &state.store,
        secrets,
        &principal.actor(),
        &body.flow_id,
        fields,
        now_ms(),
    )
    .await
    .map_err(channel_error)?;
    let base = public_base(&state.telephony, &headers);
    Ok((StatusCode::CREATED, Json(view_with_secret(made, &base))))
}

/// Replaces a channel's name, allowed origins, switch and language.
#[utoipa::path(put, path = "/widget-channels/{id}", tag = "widget",
    params(("id" = String, Path)), request_body = WidgetChannelUpdate,
    responses((status = 200, body = WidgetChannelView), (status = 404),
        (status = 422, description = "`invalid_name`, `invalid_origin`, `too_many_origins`, \
            `invalid_language`, naming the field")))]
async fn update_channel(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<WidgetChannelUpdate>,
) -> ApiResult<Json<WidgetChannelView>> {
    principal.require(Permission::EditFlows)?;
    let fields = ChannelFields {
        name: body.name,
        allowed_origins: body.allowed_origins,
        enabled: body.enabled,
        language: language(Some(&body.language))?,
    };
    let channel = channels::update(&state.store, &principal.actor(), &id, fields, now_ms())
        .await
        .map_err(channel_error)?;
    let base = public_base(&state.telephony, &headers);
    Ok(Json(channel_view(channel, &base)))
}

/// Gives a channel a new publishable key: pages with the old script tag stop working.
#[utoipa::path(post, path = "/widget-channels/{id}/rotate-key", tag = "widget",
    params(("id" = String, Path)),
    responses((status = 200, body = WidgetChannelView), (status = 404)))]
async fn rotate_key(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<WidgetChannelView>> {
    principal.require(Permission::EditFlows)?;
    let channel = channels::rotate(&state.store, &principal.actor(), &id, now_ms())
        .await
        .map_err(channel_error)?;
    let base = public_base(&state.telephony, &headers);
    Ok(Json(channel_view(channel, &base)))
}

/// Gives a channel a new identity secret (`identity_secret`, shown in this answer only):
/// signatures made with the old one are refused from now on, so the shop's server must sign
/// with the new one.
#[utoipa::path(post, path = "/widget-channels/{id}/rotate-identity-secret", tag = "widget",
    params(("id" = String, Path)),
    responses((status = 200, body = WidgetChannelView), (status = 404),
        (status = 503, description = "`secret_key_unavailable`: the server's key is unusable")))]
async fn rotate_identity_secret(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<WidgetChannelView>> {
    principal.require(Permission::EditFlows)?;
    let secrets = super::server_key(&state)?;
    let made =
        channels::rotate_identity_secret(&state.store, secrets, &principal.actor(), &id, now_ms())
            .await
            .map_err(channel_error)?;
    let base = public_base(&state.telephony, &headers);
    Ok(Json(view_with_secret(made, &base)))
}

/// Deletes a channel: its key stops working; its conversations stay on record.
#[utoipa::path(delete, path = "/widget-channels/{id}", tag = "widget",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn delete_channel(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::EditFlows)?;
    channels::delete(&state.store, &principal.actor(), &id, now_ms())
        .await
        .map_err(channel_error)?;
    Ok(StatusCode::NO_CONTENT)
}
