//! The sessions API: web-chat conversations with a flow's draft, a version or the published
//! version (the editor's simulator and the chat channel). The driver is
//! [`crate::channels::webchat`].

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auth::{Permission, Principal};
use crate::channels::chat_event::SessionEvent;
use crate::channels::webchat::{self, Choice, KnowledgeStep, SessionState, StartRequest};
use crate::conversation::{ConversationError, HandoffKind};
use crate::error::{ApiError, ApiResult, FieldError, Json};
use crate::flow_cache::{FlowError, Selector};
use crate::language::Language;
use crate::queues::handoff::Owner;
use crate::store::CallOutcome;

/// The longest `from` / `to`.
const MAX_PARTY_CHARS: usize = 200;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_session))
        .routes(routes!(get_session))
        .routes(routes!(send_event))
        .route_layer(axum::middleware::from_fn(crate::quotas::turns))
}

/// Which version of the flow a session runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VersionChoice {
    Draft,
    #[default]
    Published,
    Number(i64),
}

impl From<VersionChoice> for Selector {
    fn from(choice: VersionChoice) -> Self {
        match choice {
            VersionChoice::Draft => Selector::Draft,
            VersionChoice::Published => Selector::Published,
            VersionChoice::Number(number) => Selector::Version(number),
        }
    }
}

impl<'de> Deserialize<'de> for VersionChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Choice;

        impl Visitor<'_> for Choice {
            type Value = VersionChoice;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"draft\", \"published\" or a version number (1, 2, …)")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<VersionChoice, E> {
                match text {
                    "draft" => Ok(VersionChoice::Draft),
                    "published" => Ok(VersionChoice::Published),
                    _ => Err(E::invalid_value(de::Unexpected::Str(text), &self)),
                }
            }

            fn visit_i64<E: de::Error>(self, number: i64) -> Result<VersionChoice, E> {
                if number >= 1 {
                    Ok(VersionChoice::Number(number))
                } else {
                    Err(E::invalid_value(de::Unexpected::Signed(number), &self))
                }
            }

            fn visit_u64<E: de::Error>(self, number: u64) -> Result<VersionChoice, E> {
                match i64::try_from(number) {
                    Ok(number) => self.visit_i64(number),
                    Err(_) => Err(E::invalid_value(de::Unexpected::Unsigned(number), &self)),
                }
            }
        }

        deserializer.deserialize_any(Choice)
    }
}

impl utoipa::PartialSchema for VersionChoice {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["draft", "published"])),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1)),
            )
            .description(Some(
                "`draft`, `published` (the default) or a version number.",
            ))
            .examples([Value::from("published"), Value::from(3)])
            .into()
    }
}

impl ToSchema for VersionChoice {}

/// A new conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSession {
    pub flow_id: String,
    #[serde(default)]
    pub version: VersionChoice,
    /// Call variables: they override the flow's initial values.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub vars: Map<String, Value>,
    /// Who is chatting (`call.from` in the flow).
    #[serde(default)]
    pub from: Option<String>,
    /// Whom they contacted (`call.to`).
    #[serde(default)]
    pub to: Option<String>,
    /// The shop's id of the customer (the customer lookup's `{{customer}}`), as a signed-in
    /// chat-widget visitor's would be; an API key is trusted with it.
    #[serde(default)]
    pub customer: Option<String>,
}

/// A line the bot said.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub text: String,
    /// The node that said it.
    pub node: String,
}

/// How the bot listens.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListenView {
    /// `speech` (text in chat) and/or `dtmf` (keys).
    #[schema(example = json!(["speech", "dtmf"]))]
    pub modes: Vec<String>,
    /// After this long without input, send `no_input`.
    pub timeout_ms: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_digits: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_on_key: Option<String>,
}

/// Where the conversation was handed to a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    #[serde(rename = "type")]
    #[schema(example = "queue")]
    pub kind: HandoffKind,
    #[schema(example = "orders")]
    pub target: String,
    /// What the agent is told.
    pub summary: String,
}

/// The emotion of what the caller said, as the engine scored it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmotionView {
    /// How angry, 0 to 1, two decimals.
    #[schema(example = 0.82)]
    pub anger: f64,
    /// `angry`, `negative`, `neutral` or `positive`.
    #[schema(example = "angry")]
    pub label: String,
    /// The call's anger so far (repeated or rising anger counts more), which a flow's
    /// `angry_caller` trigger compares with its threshold.
    #[schema(example = 0.86)]
    pub trend: f64,
}

/// A session after its latest turn.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    /// The call that records the conversation (`GET /calls/{id}`).
    pub call_id: String,
    pub flow_id: String,
    /// The version it runs; `null` for the draft.
    pub version: Option<i64>,
    /// The draft revision it runs, for a draft session.
    pub draft_revision: Option<i64>,
    /// Turns taken so far (starting counts as one).
    pub turn: i64,
    /// The node the bot waits at; `null` once ended.
    pub node: Option<String>,
    pub ended: bool,
    /// How it ended, once ended (never `unreached`, which only outbound phone calls end with).
    pub outcome: Option<CallOutcome>,
    /// What the bot said in the latest turn, in order.
    pub messages: Vec<MessageView>,
    /// The nodes the latest turn went through.
    pub path: Vec<String>,
    /// The intent recognised in the latest turn.
    pub intent: Option<String>,
    /// How the caller sounded in the latest turn, when they said something.
    pub emotion: Option<EmotionView>,
    /// The flow's variables now.
    #[schema(value_type = Object)]
    pub vars: Map<String, Value>,
    /// How the bot listens now; `null` when it does not wait for input.
    pub listen: Option<ListenView>,
    /// Set when the latest turn handed the conversation to a person.
    pub transfer: Option<TransferView>,
    /// What knowledge bases did in the latest turn, in order.
    pub knowledge: Vec<KnowledgeStep>,
    /// The answers the node the bot listens at offers (a menu's choices, an ask's intents
    /// with keys), for a chat to show as buttons.
    pub choices: Vec<Choice>,
    /// Who answers the customer now: the bot, or (`waiting`, `agent`) a person the conversation
    /// was handed to. While a person has it, the bot says nothing: the customer's messages go
    /// to the agent, whose replies are the conversation's `agent_said` events.
    pub owner: Owner,
    /// Scripts that failed in the latest turn, in order, worded for the flow's author in the
    /// request's `Accept-Language`.
    pub script_errors: Vec<ScriptErrorView>,
    /// Set when the latest turn passed an `opt_out` node: the customer asked not to be called
    /// again. A chat has no phone number, so nothing goes on the do-not-call list; on a phone
    /// call the number does.
    pub opted_out: bool,
}

/// A script that failed in the latest turn.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScriptErrorView {
    /// The node's id.
    pub node: String,
    /// "脚本出错（节点名）：原因", or "Script error in <node name>: reason" in English.
    pub text: String,
}

impl SessionView {
    /// The session `state` as the API shows it to a reader of `language`.
    fn of(state: SessionState, language: Language) -> Self {
        let last = state.last;
        SessionView {
            script_errors: last
                .script_errors
                .iter()
                .map(|failure| ScriptErrorView {
                    node: failure.node.clone(),
                    text: failure.line(language),
                })
                .collect(),
            opted_out: last.opted_out,
            ended: state.outcome.is_some(),
            outcome: state.outcome,
            id: state.id,
            call_id: state.call_id,
            flow_id: state.flow_id,
            version: state.flow_version,
            draft_revision: state.draft_revision,
            turn: state.turn,
            node: state.node,
            messages: last
                .messages
                .into_iter()
                .map(|message| MessageView {
                    text: message.text,
                    node: message.node,
                })
                .collect(),
            path: last.path,
            intent: last.intent,
            emotion: last.emotion.map(|e| EmotionView {
                anger: e.anger,
                label: serde_json::to_value(e.label)
                    .ok()
                    .and_then(|label| label.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                trend: e.trend,
            }),
            vars: state.vars,
            listen: last.listen.map(|listen| ListenView {
                modes: listen
                    .modes
                    .iter()
                    .filter_map(|mode| Some(serde_json::to_value(mode).ok()?.as_str()?.to_owned()))
                    .collect(),
                timeout_ms: listen.timeout_ms,
                max_digits: listen.max_digits,
                finish_on_key: listen.finish_on_key,
            }),
            transfer: last.transfer.map(|transfer| TransferView {
                kind: transfer.kind,
                target: transfer.target,
                summary: transfer.summary,
            }),
            knowledge: last.knowledge,
            choices: last.choices,
            owner: state.owner,
        }
    }
}

impl From<ConversationError> for ApiError {
    fn from(error: ConversationError) -> Self {
        match error {
            ConversationError::NotFound => {
                ApiError::not_found("the session").in_chinese("找不到这个会话")
            }
            ConversationError::Ended => {
                ApiError::conflict("session_ended", "the session has ended; start a new one")
                    .in_chinese("会话已结束；请开始一个新的会话")
            }
            ConversationError::TurnConflict
            | ConversationError::Stale
            | ConversationError::Duplicate => ApiError::conflict(
                "turn_conflict",
                "another event of this session was handled at the same time; get the session \
                 and send the event again",
            )
            .in_chinese("这个会话的另一个事件同时在处理；请重新获取会话后再发送"),
            ConversationError::FlowChanged(detail) => ApiError::conflict("flow_changed", detail)
                .in_chinese("这个会话所用的流程已被改动或删除，会话无法继续"),
            ConversationError::Flow(error) => flow_error(error),
            ConversationError::Corrupt(detail) => ApiError::internal(detail),
            ConversationError::Store(error) => error.into(),
            ConversationError::OverQuota { refused, .. } => refused.into(),
        }
    }
}

fn flow_error(error: FlowError) -> ApiError {
    match error {
        FlowError::NotFound => ApiError::not_found("the flow").in_chinese("找不到这个流程"),
        FlowError::VersionNotFound(version) => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("version {version} of the flow was not found"),
        )
        .in_chinese(format!("找不到这个流程的第 {version} 版")),
        FlowError::NotPublished => ApiError::conflict(
            "not_published",
            "the flow has no published version; publish it, or start a session on the draft",
        )
        .in_chinese("这个流程还没有发布的版本；请先发布，或用草稿开始会话"),
        FlowError::Invalid(diagnostics) => {
            let errors: Vec<FieldError> = diagnostics.into_iter().map(FieldError::from).collect();
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "flow_invalid",
                format!("the flow has {} error(s) and cannot run", errors.len()),
            )
            .in_chinese(format!("流程有 {} 个错误，无法运行", errors.len()))
            .with_errors(errors)
        }
        FlowError::Gone(detail) => ApiError::conflict("flow_changed", detail)
            .in_chinese("这个会话所用的流程已被改动或删除，会话无法继续"),
        FlowError::Store(error) => error.into(),
        FlowError::Internal(detail) => ApiError::internal(detail),
    }
}

fn check_party(field: &str, value: Option<&str>) -> ApiResult<()> {
    match value {
        Some(value) if value.chars().count() > MAX_PARTY_CHARS => Err(ApiError::invalid_field(
            field,
            "too_long",
            format!("最多 {MAX_PARTY_CHARS} 个字"),
            format!("at most {MAX_PARTY_CHARS} characters are allowed"),
        )),
        _ => Ok(()),
    }
}

/// Starts a conversation with a flow: creates its call, runs the flow from its start, and
/// answers with what the bot said and where it waits.
#[utoipa::path(post, path = "/sessions", tag = "sessions", request_body = StartSession,
    responses(
        (status = 201, body = SessionView),
        (status = 404, description = "no such flow or version"),
        (status = 409, description = "`not_published`: the flow has no published version"),
        (status = 422, description = "`flow_invalid`: the flow does not compile (with its errors), or a bad body")))]
async fn start_session(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(body): Json<StartSession>,
) -> ApiResult<(StatusCode, Json<SessionView>)> {
    principal.require(Permission::RunSessions)?;
    check_party("/from", body.from.as_deref())?;
    check_party("/to", body.to.as_deref())?;
    check_party("/customer", body.customer.as_deref())?;
    let request = StartRequest {
        flow_id: body.flow_id,
        selector: body.version.into(),
        vars: body.vars,
        from: body.from,
        to: body.to,
        customer: body.customer,
        simulated: false,
    };
    let session = webchat::start(&state, &principal.tenant_id, request).await?;
    let view = SessionView::of(session, Language::from_headers(&headers));
    Ok((StatusCode::CREATED, Json(view)))
}

/// The session as it stands, with what its latest turn said.
#[utoipa::path(get, path = "/sessions/{id}", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = SessionView), (status = 404)))]
async fn get_session(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionView>> {
    principal.require(Permission::ReadCalls)?;
    let session = webchat::get(&state.store, &principal.tenant_id, &id).await?;
    Ok(Json(SessionView::of(
        session,
        Language::from_headers(&headers),
    )))
}

/// Sends what the person in the chat did and runs the flow until it waits again (or ends).
#[utoipa::path(post, path = "/sessions/{id}/events", tag = "sessions",
    params(("id" = String, Path)), request_body = SessionEvent,
    responses(
        (status = 200, body = SessionView),
        (status = 404),
        (status = 409, description = "`session_ended`, or `turn_conflict` when another event \
            of the session was handled at the same time (send it again)"),
        (status = 422, description = "a bad event")))]
async fn send_event(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<SessionEvent>,
) -> ApiResult<Json<SessionView>> {
    principal.require(Permission::RunSessions)?;
    let input = body.into_input()?;
    let session = webchat::send(&state, &principal.tenant_id, &id, input).await?;
    Ok(Json(SessionView::of(
        session,
        Language::from_headers(&headers),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_draft_published_or_a_number() {
        let parse = |text: &str| serde_json::from_str::<VersionChoice>(text);
        assert_eq!(parse("\"draft\"").ok(), Some(VersionChoice::Draft));
        assert_eq!(parse("\"published\"").ok(), Some(VersionChoice::Published));
        assert_eq!(parse("3").ok(), Some(VersionChoice::Number(3)));
        for bad in ["0", "-1", "\"latest\"", "1.5", "null", "[]"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
