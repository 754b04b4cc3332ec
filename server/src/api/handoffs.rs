//! Conversations handed to people, through the API: what waits in the queues, the context an
//! agent sees, and the agent's part — take one, write to the customer, end it or give it back
//! to the bot. The console pages do the same through [`crate::queues::handoff`].

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Permission, Principal};
use crate::channels::webchat::SessionState;
use crate::error::{ApiError, ApiResult, Json};
use crate::queues::context;
use crate::queues::handoff::{self, Disposition, HandoffError};
use crate::state::AppState;
use crate::store::{CallOutcome, HandoffRow};

/// The longest message an agent may send.
const MAX_TEXT_CHARS: usize = 2_000;
/// Events one poll returns at most; the next poll continues after the last.
const EVENTS_PAGE: u32 = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_handoffs))
        .routes(routes!(get_handoff))
        .routes(routes!(handoff_events))
        .routes(routes!(accept_handoff))
        .routes(routes!(send_message))
        .routes(routes!(end_handoff))
        .routes(routes!(hand_back))
}

/// A conversation handed to a queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoffView {
    pub id: String,
    pub call_id: String,
    /// `chat` or `phone`.
    pub channel: String,
    /// The queue's key.
    pub queue: String,
    /// `waiting`, `agent` (taken) or `done`.
    pub state: String,
    /// The user who took it.
    pub agent_id: Option<String>,
    /// What the flow told the agent.
    pub summary: String,
    pub waiting_since: i64,
    pub accepted_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub disposition: Option<String>,
}

impl From<HandoffRow> for HandoffView {
    fn from(row: HandoffRow) -> Self {
        HandoffView {
            id: row.id,
            call_id: row.call_id,
            channel: row.channel,
            queue: row.queue,
            state: row.state.as_str().to_owned(),
            agent_id: row.agent_id,
            summary: row.summary,
            waiting_since: row.waiting_since,
            accepted_at: row.accepted_at,
            ended_at: row.ended_at,
            disposition: row.disposition,
        }
    }
}

fn may_answer(principal: &Principal) -> ApiResult<()> {
    principal.require(Permission::AnswerConversations)
}

/// Conversations waiting in the queues or with an agent, longest waiting first.
#[utoipa::path(get, path = "/handoffs", tag = "queues",
    responses((status = 200, body = Vec<HandoffView>)))]
async fn list_handoffs(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<HandoffView>>> {
    may_answer(&principal)?;
    let open = state.store.list_open_handoffs(&principal.tenant_id).await?;
    Ok(Json(open.into_iter().map(HandoffView::from).collect()))
}

/// One event of a conversation, as its call record has it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub node: Option<String>,
    #[schema(value_type = Object)]
    pub data: Value,
}

/// An earlier conversation of the same customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviousView {
    pub call_id: String,
    pub flow_id: String,
    pub started_at: i64,
    pub outcome: Option<CallOutcome>,
}

/// A node the agent may give the conversation back to.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeChoice {
    pub id: String,
    pub label: String,
}

/// What an agent sees of a handed-off conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContextView {
    pub handoff: HandoffView,
    pub flow_id: String,
    /// Who the customer is: their number, or the chat's `from`.
    pub caller: Option<String>,
    pub started_at: i64,
    /// Everything so far.
    pub events: Vec<EventView>,
    /// The flow's variables and slots now.
    #[schema(value_type = Object)]
    pub vars: Map<String, Value>,
    /// Intents heard, in order.
    pub intents: Vec<String>,
    /// Each customer line's anger (0–1), in order.
    pub anger: Vec<f64>,
    /// Who the customer is, as the tenant's customer lookup found them when the conversation
    /// opened (name, VIP level, recent orders… whatever the shop answered); `{}` when unknown.
    #[schema(value_type = Object)]
    pub customer: Map<String, Value>,
    pub previous: Vec<PreviousView>,
    pub nodes: Vec<NodeChoice>,
}

/// The context card of a handed-off conversation.
#[utoipa::path(get, path = "/handoffs/{id}", tag = "queues",
    params(("id" = String, Path)),
    responses((status = 200, body = ContextView), (status = 404)))]
async fn get_handoff(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ContextView>> {
    may_answer(&principal)?;
    let found = context::of(&state, &principal.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("the handoff").in_chinese("找不到这次转人工"))?;
    Ok(Json(ContextView {
        flow_id: found.call.flow_id.clone(),
        caller: found.call.from_number.clone(),
        started_at: found.call.started_at,
        handoff: found.handoff.into(),
        events: found.events.into_iter().map(event_view).collect(),
        vars: found.vars,
        intents: found.intents,
        anger: found.anger,
        customer: found.customer,
        previous: found
            .previous
            .into_iter()
            .map(|call| PreviousView {
                call_id: call.id,
                flow_id: call.flow_id,
                started_at: call.started_at,
                outcome: call.outcome,
            })
            .collect(),
        nodes: found
            .nodes
            .into_iter()
            .map(|(id, label)| NodeChoice { id, label })
            .collect(),
    }))
}

fn event_view(event: crate::store::CallEvent) -> EventView {
    EventView {
        seq: event.seq,
        at: event.at,
        kind: event.kind,
        node: event.node,
        data: event.data,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct After {
    /// The last event seen; only later ones are returned.
    #[serde(default)]
    pub after: i64,
}

/// The conversation's events after `after`: poll it for the customer's new lines.
#[utoipa::path(get, path = "/handoffs/{id}/events", tag = "queues",
    params(("id" = String, Path), After),
    responses((status = 200, body = Vec<EventView>), (status = 404)))]
async fn handoff_events(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(after): Query<After>,
) -> ApiResult<Json<Vec<EventView>>> {
    may_answer(&principal)?;
    let handoff = state
        .store
        .get_handoff(&principal.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("the handoff").in_chinese("找不到这次转人工"))?;
    let events = state
        .store
        .call_events_after(
            &principal.tenant_id,
            &handoff.call_id,
            after.after,
            EVENTS_PAGE,
        )
        .await?;
    Ok(Json(events.into_iter().map(event_view).collect()))
}

/// The agent's name as customers see it.
async fn agent_name(state: &AppState, principal: &Principal, user_id: &str) -> ApiResult<String> {
    Ok(state
        .store
        .get_user(&principal.tenant_id, user_id)
        .await?
        .map(|user| user.display_name)
        .unwrap_or_default())
}

/// Takes a waiting conversation: from now on the customer's messages go to the agent and the
/// bot says nothing.
#[utoipa::path(post, path = "/handoffs/{id}/accept", tag = "queues",
    params(("id" = String, Path)),
    responses((status = 200, body = HandoffView), (status = 404),
        (status = 409, description = "`not_waiting`: another agent took it first, or it is over")))]
async fn accept_handoff(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<HandoffView>> {
    may_answer(&principal)?;
    let user = principal.person()?;
    let name = agent_name(&state, &principal, user).await?;
    let taken = handoff::accept(&state, &principal.tenant_id, &id, user, &name)
        .await
        .map_err(handoff_error)?;
    Ok(Json(taken.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentMessage {
    pub text: String,
}

/// Writes to the customer of a conversation the agent has taken.
#[utoipa::path(post, path = "/handoffs/{id}/messages", tag = "queues",
    params(("id" = String, Path)), request_body = AgentMessage,
    responses((status = 204), (status = 404),
        (status = 409, description = "`not_yours`: the agent has not taken the conversation"),
        (status = 422, description = "`invalid_text`: empty or longer than 2,000 characters")))]
async fn send_message(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Json(message): Json<AgentMessage>,
) -> ApiResult<StatusCode> {
    may_answer(&principal)?;
    let user = principal.person()?;
    let text = message.text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_text",
            "write 1 to 2,000 characters",
        )
        .in_chinese("请写 1 到 2000 个字")
        .with_field("/text", "invalid_text", "write 1 to 2,000 characters"));
    }
    let name = agent_name(&state, &principal, user).await?;
    handoff::reply(&state, &principal.tenant_id, &id, user, &name, text)
        .await
        .map_err(handoff_error)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndBody {
    pub disposition: Disposition,
}

/// The state of the conversation's session after the agent's part.
#[derive(Debug, Serialize, ToSchema)]
pub struct AfterAgent {
    /// Where the bot waits now; `null` once the conversation ended.
    pub node: Option<String>,
    pub ended: bool,
    pub outcome: Option<CallOutcome>,
}

impl From<SessionState> for AfterAgent {
    fn from(session: SessionState) -> Self {
        AfterAgent {
            ended: session.outcome.is_some(),
            node: session.node,
            outcome: session.outcome,
        }
    }
}

/// Ends the agent's part: the flow goes on after its transfer (its `next`), or the
/// conversation ends as handed off.
#[utoipa::path(post, path = "/handoffs/{id}/end", tag = "queues",
    params(("id" = String, Path)), request_body = EndBody,
    responses((status = 200, body = AfterAgent), (status = 404),
        (status = 409, description = "`not_yours`")))]
async fn end_handoff(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Json(body): Json<EndBody>,
) -> ApiResult<Json<AfterAgent>> {
    may_answer(&principal)?;
    let user = principal.person()?;
    let name = agent_name(&state, &principal, user).await?;
    let session = handoff::end(
        &state,
        &principal.tenant_id,
        &id,
        user,
        &name,
        body.disposition,
    )
    .await
    .map_err(handoff_error)?;
    Ok(Json(session.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandBackBody {
    /// The node of the flow the bot goes on at (an id from the context's `nodes`).
    pub node: String,
}

/// Gives the conversation back to the bot, which goes on at the chosen node.
#[utoipa::path(post, path = "/handoffs/{id}/hand-back", tag = "queues",
    params(("id" = String, Path)), request_body = HandBackBody,
    responses((status = 200, body = AfterAgent), (status = 404),
        (status = 409, description = "`not_yours`"),
        (status = 422, description = "`unknown_node`: the flow has no such node")))]
async fn hand_back(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Json(body): Json<HandBackBody>,
) -> ApiResult<Json<AfterAgent>> {
    may_answer(&principal)?;
    let user = principal.person()?;
    let name = agent_name(&state, &principal, user).await?;
    let session = handoff::hand_back(&state, &principal.tenant_id, &id, user, &name, &body.node)
        .await
        .map_err(handoff_error)?;
    Ok(Json(session.into()))
}

fn handoff_error(error: HandoffError) -> ApiError {
    match error {
        HandoffError::NotFound => ApiError::not_found("the handoff").in_chinese("找不到这次转人工"),
        HandoffError::NotWaiting => ApiError::conflict(
            "not_waiting",
            "the conversation is not waiting any more: another agent took it, or it is over",
        )
        .in_chinese("这个会话已不在等待：别的客服已接手，或会话已结束"),
        HandoffError::NotYours => ApiError::conflict(
            "not_yours",
            "you have not taken this conversation (or it is over)",
        )
        .in_chinese("你没有接手这个会话（或会话已结束）"),
        HandoffError::NotChat => ApiError::conflict(
            "not_chat",
            "a phone call is answered on the phone, not here",
        )
        .in_chinese("电话要在电话上接听，不在这里"),
        HandoffError::UnknownNode => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_node",
            "the conversation's flow has no such node",
        )
        .in_chinese("这个会话的流程里没有这个节点")
        .with_field("/node", "unknown_node", "choose one of the context's nodes"),
        HandoffError::Conversation(error) => error.into(),
        HandoffError::Store(error) => error.into(),
    }
}
