//! The public widget API under `/widget/v1`, called by `widget.js` from shops' pages: no API
//! key, a channel's publishable key in the path and a visitor token (header or cookie).
//! Handlers translate: CORS for the channel's allowed origins (preflight included), the
//! visitor's cookie, rate limits, problem+json; the rest is [`super`].

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use super::identity::{Claim, IdentityError};
use super::rate::RateError;
use super::{Line, Owner, Visitor, WidgetError};
use crate::channels::chat_event::SessionEvent;
use crate::channels::webchat::{Choice, SessionState};
use crate::error::{parse_json, ApiError, ApiResult};
use crate::language::Language;
use crate::state::AppState;
use crate::store::{now_ms, CallOutcome, WidgetChannel};

/// The header that carries the visitor's token, for pages whose browser blocks the cookie.
pub const VISITOR_HEADER: &str = "x-callflow-visitor";
/// The first-party cookie that carries the visitor's token.
pub const VISITOR_COOKIE: &str = "callflow_visitor";
/// How long a visitor's cookie lasts: a returning customer is the same visitor.
const VISITOR_COOKIE_SECS: u64 = 365 * 24 * 3600;

/// The public widget routes, relative to `/widget/v1`, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(with_preflight(routes!(get_channel)))
        .routes(with_preflight(routes!(start_conversation)))
        .routes(with_preflight(routes!(get_conversation)))
        .routes(with_preflight(routes!(send_message)))
        .routes(with_preflight(routes!(list_events)))
        .route_layer(axum::middleware::from_fn(
            crate::error::refuse_nul_in_parameters,
        ))
}

/// The routes of a path, answering its CORS preflights too (undocumented: browsers send them).
fn with_preflight(
    (schemas, paths, methods): UtoipaMethodRouter<AppState>,
) -> UtoipaMethodRouter<AppState> {
    (schemas, paths, methods.options(preflight))
}

/// What a request says about who sends it.
struct Caller {
    origin: Option<String>,
    visitor: Option<Visitor>,
    ip: String,
    secure: bool,
    /// What the visitor's browser reads: the language of errors meant for the shop's
    /// developers.
    language: Language,
}

impl Caller {
    fn of(state: &AppState, parts: &Parts) -> Caller {
        let headers = &parts.headers;
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        // The header is the widget's own copy; the cookie may be blocked or stale.
        let visitor = text(VISITOR_HEADER)
            .and_then(Visitor::parse)
            .or_else(|| crate::auth::cookie(headers, VISITOR_COOKIE).and_then(Visitor::parse));
        Caller {
            origin: text("origin").map(str::to_owned),
            language: Language::from_headers(headers),
            visitor,
            ip: crate::client_address::of(parts),
            secure: crate::security_headers::is_https(
                state.telephony.public_url.as_deref(),
                headers,
            ),
        }
    }

    fn visitor(&self) -> ApiResult<&Visitor> {
        self.visitor.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "visitor_required",
                format!(
                    "send the visitor token from the conversation's start as {VISITOR_HEADER} \
                     (or its cookie)"
                ),
            )
            .in_chinese(format!(
                "请把会话开始时给出的访客令牌放在 {VISITOR_HEADER} 请求头（或其 Cookie）里发送"
            ))
        })
    }
}

impl From<WidgetError> for ApiError {
    fn from(error: WidgetError) -> Self {
        match error {
            WidgetError::ChannelNotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "channel_not_found",
                "no widget channel has this key; copy the script tag again from the editor",
            )
            .in_chinese("没有使用这个密钥的网页聊天渠道；请从编辑器重新复制脚本标签"),
            WidgetError::ChannelDisabled => ApiError::new(
                StatusCode::FORBIDDEN,
                "channel_disabled",
                "the shop has switched this chat off",
            )
            .in_chinese("店铺已关闭这个聊天"),
            WidgetError::TenantSuspended => crate::auth::tenant_suspended(),
            WidgetError::OriginNotAllowed => ApiError::new(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                "this site is not among the widget channel's allowed origins",
            )
            .in_chinese("这个网站不在该网页聊天渠道允许的来源之中"),
            WidgetError::NotFound => {
                ApiError::not_found("the conversation").in_chinese("找不到这个会话")
            }
            WidgetError::Identity(error) => identity_error(error, Language::default()),
            WidgetError::SecretUnavailable(detail) => ApiError::internal(detail),
            WidgetError::Conversation(error) => error.into(),
            WidgetError::Store(error) => error.into(),
        }
    }
}

/// A refused claim of a signed-in customer, in the language of the page's browser: its reader
/// is the shop's developer setting the widget up.
fn identity_error(error: IdentityError, language: Language) -> ApiError {
    let (status, code, zh, en) = match error {
        IdentityError::SignatureRequired => (
            StatusCode::BAD_REQUEST,
            "customer_signature_required",
            "页面给出了客户编号，却没有签名：请由商城的服务器用网页客服渠道的身份密钥算出 \
             data-customer-signature。",
            "the page gives a customer id without its signature: the shop's server computes \
             data-customer-signature with the widget channel's identity secret",
        ),
        IdentityError::InvalidCustomer => (
            StatusCode::BAD_REQUEST,
            "invalid_customer",
            "客户编号须有 1 到 128 个字符、不含控制字符，并与它的签名一起给出。",
            "a customer id has 1 to 128 characters, no control characters, and comes with its \
             signature",
        ),
        IdentityError::InvalidSignature => (
            StatusCode::FORBIDDEN,
            "invalid_customer_signature",
            "客户签名不对：它是客户编号以网页客服渠道的身份密钥算出的 HMAC-SHA256（十六进制）；\
             身份密钥更换后，旧密钥的签名不再有效。",
            "the customer's signature is wrong: it is the hex HMAC-SHA256 of the customer id \
             under the widget channel's identity secret; a replaced secret's signatures no \
             longer count",
        ),
        IdentityError::NotConfigured => (
            StatusCode::CONFLICT,
            "identity_not_configured",
            "这个网页客服渠道还没有身份密钥：请先在编辑器的「网页客服」页面生成一个。",
            "the widget channel has no identity secret yet: make one on the editor's Chat \
             widget page first",
        ),
    };
    ApiError::new(status, code, language.pick(zh, en))
}

fn rate_error(error: RateError) -> ApiError {
    match error {
        RateError::Limited(limited) => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "too many requests; try again in {} s",
                limited.retry_after_secs
            ),
        )
        .in_chinese(format!(
            "请求太频繁，请 {} 秒后再试",
            limited.retry_after_secs
        ))
        .retry_after(limited.retry_after_secs),
        RateError::Store(error) => error.into(),
    }
}

/// The CORS headers that let the channel's page read an answer, on every answer to an allowed
/// origin, errors included (so that the widget can read their codes and `Retry-After`).
fn allow_origin(mut response: Response, origin: Option<&str>) -> Response {
    let Some(origin) = origin.and_then(|origin| HeaderValue::from_str(origin).ok()) else {
        return response;
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after, x-request-id"),
    );
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    response
}

/// Runs a widget request: finds the channel (refusing a page whose origin it does not allow,
/// without CORS headers, so that the browser shows that page nothing), counts the request
/// against the limits, then runs `handle`; every answer past the origin check carries the
/// CORS headers.
async fn gated<F, Fut>(state: AppState, key: String, parts: Parts, handle: F) -> Response
where
    F: FnOnce(AppState, WidgetChannel, Caller) -> Fut,
    Fut: std::future::Future<Output = ApiResult<Response>>,
{
    let caller = Caller::of(&state, &parts);
    let origin = caller.origin.clone();
    let channel = match super::open_channel(&state.store, &key, origin.as_deref()).await {
        Ok(channel) => channel,
        Err(error @ (WidgetError::OriginNotAllowed | WidgetError::ChannelNotFound)) => {
            return ApiError::from(error).into_response()
        }
        Err(error) => {
            return allow_origin(ApiError::from(error).into_response(), origin.as_deref())
        }
    };
    let admitted = super::rate::admit(
        &state.widget_rates,
        &state.store,
        caller.visitor.as_ref().map(Visitor::token),
        &caller.ip,
        now_ms(),
    )
    .await;
    let response = match admitted {
        Ok(()) => handle(state, channel, caller)
            .await
            .unwrap_or_else(IntoResponse::into_response),
        Err(error) => rate_error(error).into_response(),
    };
    allow_origin(response, origin.as_deref())
}

/// Answers a CORS preflight: the channel's allowed origins may send the widget's requests.
async fn preflight(
    State(state): State<AppState>,
    Path(params): Path<Vec<(String, String)>>,
    parts: Parts,
) -> Response {
    let key = params
        .into_iter()
        .find(|(name, _)| name == "key")
        .map(|(_, value)| value)
        .unwrap_or_default();
    let caller = Caller::of(&state, &parts);
    let Some(origin) = caller.origin else {
        return ApiError::bad_request("origin_required", "a preflight names its origin")
            .in_chinese("预检请求须写明来源（Origin）")
            .into_response();
    };
    let allowed = match state.store.widget_channel_by_key(&key).await {
        Ok(Some(channel)) => super::allows(&channel, &origin),
        Ok(None) => false,
        Err(error) => return ApiError::from(error).into_response(),
    };
    if !allowed {
        return ApiError::from(WidgetError::OriginNotAllowed).into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, x-callflow-visitor"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    allow_origin(response, Some(&origin))
}

/// What a page needs to know of a channel to show the widget.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelInfo {
    /// The widget's language when the page names none: `zh-CN` or `en`.
    pub language: String,
}

/// A channel's settings for the widget.
#[utoipa::path(get, path = "/channels/{key}", tag = "widget", security(()),
    params(("key" = String, Path, description = "the channel's publishable key")),
    responses((status = 200, body = ChannelInfo),
        (status = 403, description = "`origin_not_allowed`, `channel_disabled`, `tenant_suspended` (the service's operator suspended the shop)"),
        (status = 404, description = "`channel_not_found`"),
        (status = 429, description = "`rate_limited`, with `Retry-After`")))]
async fn get_channel(
    State(state): State<AppState>,
    Path(key): Path<String>,
    parts: Parts,
) -> Response {
    gated(state, key, parts, |_, channel, _| async move {
        Ok(axum::Json(ChannelInfo {
            language: channel.language.as_str().to_owned(),
        })
        .into_response())
    })
    .await
}

/// A widget conversation after its latest turn.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    pub id: String,
    /// Set only by the start: the visitor's token, to send as `X-Callflow-Visitor` (it is
    /// also set as a cookie).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visitor_token: Option<String>,
    /// What the bot said in the latest turn, in order.
    pub messages: Vec<String>,
    /// Buttons for the answers the bot waits for.
    pub choices: Vec<Choice>,
    /// Whether the bot waits for the visitor's input.
    pub listening: bool,
    /// `bot`, or `person` while the conversation waits in an agent queue or an agent has it:
    /// then the bot says nothing, and the agent's lines are the conversation's events.
    pub owner: Owner,
    /// The queue it was handed to.
    pub queue: Option<String>,
    pub ended: bool,
    pub outcome: Option<CallOutcome>,
}

fn view(state: SessionState, visitor_token: Option<String>) -> ConversationView {
    let owner = super::owner(&state);
    ConversationView {
        listening: state.last.listen.is_some(),
        queue: super::queue(&state),
        owner,
        id: state.id,
        visitor_token,
        messages: state.last.messages.into_iter().map(|m| m.text).collect(),
        choices: state.last.choices,
        ended: state.outcome.is_some(),
        outcome: state.outcome,
    }
}

/// Who the visitor is in the shop, when the page has a signed-in customer: both fields or
/// neither. The body may be left out for an anonymous visitor.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartConversation {
    /// The shop's own id of the signed-in customer (`data-customer`), e.g. `C1001`: the
    /// customer lookup's `{{customer}}`. 1 to 128 characters.
    #[serde(default)]
    pub customer: Option<String>,
    /// The hex HMAC-SHA256 of `customer` under the channel's identity secret
    /// (`data-customer-signature`), computed by the shop's server, never in the page.
    #[serde(default)]
    pub customer_signature: Option<String>,
}

/// Starts a conversation with the channel's flow as published; a visitor without a token
/// gets one (in the answer and as a cookie). A page with a signed-in customer sends its id and
/// signature: the conversation is then that customer's, or it is refused (never started as
/// an anonymous one). Error details are in the request's `Accept-Language`.
#[utoipa::path(post, path = "/channels/{key}/conversations", tag = "widget", security(()),
    params(("key" = String, Path)),
    request_body(content = Option<StartConversation>, description = "the signed-in customer, if any"),
    responses((status = 201, body = ConversationView),
        (status = 400, description = "`customer_signature_required` (an id without a \
            signature), `invalid_customer`, or a malformed body"),
        (status = 403, description = "`origin_not_allowed`, `channel_disabled`, \
            `tenant_suspended` (the service's operator suspended the shop), \
            `invalid_customer_signature` (not the channel's identity secret's signature of \
            the id)"),
        (status = 409, description = "`identity_not_configured`: a customer id for a channel \
            without an identity secret; `not_published`: the flow has no published version"),
        (status = 404, description = "`channel_not_found`, or the flow was deleted"),
        (status = 429, description = "`rate_limited`, with `Retry-After`")))]
async fn start_conversation(
    State(state): State<AppState>,
    Path(key): Path<String>,
    parts: Parts,
    body: Bytes,
) -> Response {
    gated(state, key, parts, |state, channel, caller| async move {
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            StartConversation::default()
        } else {
            parse_json::<StartConversation>(&body)?
        };
        let claim = Claim {
            customer: body.customer,
            signature: body.customer_signature,
        };
        let customer = super::identify(&state, &channel, &claim).map_err(|error| match error {
            WidgetError::Identity(error) => identity_error(error, caller.language),
            error => error.into(),
        })?;
        let visitor = match caller.visitor.clone() {
            Some(visitor) => visitor,
            None => Visitor::new()
                .ok_or_else(|| ApiError::internal("the system's random generator failed"))?,
        };
        let session = super::start(&state, &channel, &visitor, customer, now_ms()).await?;
        let cookie = format!(
            "{VISITOR_COOKIE}={}; HttpOnly; Path=/widget/v1/; Max-Age={VISITOR_COOKIE_SECS}; {}",
            visitor.token(),
            // A cookie for another site's pages must be SameSite=None, which browsers take
            // only with Secure; over plain HTTP it can only serve same-site pages.
            if caller.secure {
                "SameSite=None; Secure"
            } else {
                "SameSite=Lax"
            }
        );
        let mut response = (
            StatusCode::CREATED,
            axum::Json(view(session, Some(visitor.token().to_owned()))),
        )
            .into_response();
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        Ok(response)
    })
    .await
}

/// The visitor's conversation as it stands.
#[utoipa::path(get, path = "/channels/{key}/conversations/{id}", tag = "widget", security(()),
    params(("key" = String, Path), ("id" = String, Path),
        ("X-Callflow-Visitor" = Option<String>, Header, description = "the visitor's token (or its cookie)")),
    responses((status = 200, body = ConversationView),
        (status = 401, description = "`visitor_required`"),
        (status = 403, description = "`origin_not_allowed`, `channel_disabled`, `tenant_suspended`"),
        (status = 404, description = "not this visitor's conversation on this channel")))]
async fn get_conversation(
    State(state): State<AppState>,
    Path((key, id)): Path<(String, String)>,
    parts: Parts,
) -> Response {
    gated(state, key, parts, |state, channel, caller| async move {
        let session = super::read(&state, &channel, caller.visitor()?, &id).await?;
        Ok(axum::Json(view(session, None)).into_response())
    })
    .await
}

/// Sends what the visitor typed (`{"type":"text","text":…}`) or a button's key
/// (`{"type":"digits","digits":"1"}`), and answers with the bot's reply.
#[utoipa::path(post, path = "/channels/{key}/conversations/{id}/messages", tag = "widget",
    security(()), params(("key" = String, Path), ("id" = String, Path)),
    request_body = SessionEvent,
    responses((status = 200, body = ConversationView),
        (status = 401, description = "`visitor_required`"),
        (status = 403, description = "`origin_not_allowed`, `channel_disabled`, `tenant_suspended`"),
        (status = 404, description = "not this visitor's conversation on this channel"),
        (status = 409, description = "`session_ended`, `turn_conflict`"),
        (status = 422, description = "a bad message")))]
async fn send_message(
    State(state): State<AppState>,
    Path((key, id)): Path<(String, String)>,
    parts: Parts,
    body: Bytes,
) -> Response {
    gated(state, key, parts, |state, channel, caller| async move {
        let visitor = caller.visitor()?;
        let input = parse_json::<SessionEvent>(&body)?.into_input()?;
        let session = super::send(&state, &channel, visitor, &id, input).await?;
        Ok(axum::Json(view(session, None)).into_response())
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    #[serde(default)]
    after: i64,
    /// Seconds to wait for a line when there is none yet (long polling), at most
    /// [`super::MAX_WAIT_S`]; 0 answers at once.
    #[serde(default)]
    wait: u64,
}

/// Lines of a conversation after event `after`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinesView {
    pub lines: Vec<Line>,
    /// Ask for the next lines after this.
    pub last_seq: i64,
}

/// What was said in the visitor's conversation after event `after` (0: from the start): the
/// bot's, the visitor's and an agent's lines, and its end. The widget asks with `wait` while a
/// person owns the conversation, so that an agent's line reaches it as soon as it is written.
#[utoipa::path(get, path = "/channels/{key}/conversations/{id}/events", tag = "widget",
    security(()), params(("key" = String, Path), ("id" = String, Path),
        ("after" = Option<i64>, Query, description = "the last `seq` seen; 0 by default"),
        ("wait" = Option<u64>, Query, description = "seconds to wait for a new line when there \
            is none yet (at most 25): the answer comes as soon as one is written")),
    responses((status = 200, body = LinesView),
        (status = 400, description = "`invalid_query`"),
        (status = 401, description = "`visitor_required`"),
        (status = 403, description = "`origin_not_allowed`, `channel_disabled`, `tenant_suspended`"),
        (status = 404, description = "not this visitor's conversation on this channel")))]
async fn list_events(
    State(state): State<AppState>,
    Path((key, id)): Path<(String, String)>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
    parts: Parts,
) -> Response {
    gated(state, key, parts, |state, channel, caller| async move {
        let Query(query) = query.map_err(|rejection| ApiError::invalid_query(&rejection))?;
        let wait = std::time::Duration::from_secs(query.wait.min(super::MAX_WAIT_S));
        let (lines, last_seq) =
            super::lines_after(&state, &channel, caller.visitor()?, &id, query.after, wait).await?;
        Ok(axum::Json(LinesView { lines, last_seq }).into_response())
    })
    .await
}
