//! Agent queues and agents through the API: the queues `handoff` nodes name, who serves them,
//! and how they are doing.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult, Json};
use crate::queues::agents::{self, Agent, Presence};
use crate::queues::{self, Hours, Queue, QueueError};
use crate::state::AppState;
use crate::store::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_queues, create_queue))
        .routes(routes!(put_queue, delete_queue))
        .routes(routes!(queue_stats))
        .routes(routes!(list_agents))
        .routes(routes!(put_agent_queues))
        .routes(routes!(put_presence))
}

/// The tenant's agent queues.
#[utoipa::path(get, path = "/queues", tag = "queues",
    responses((status = 200, body = Vec<Queue>)))]
async fn list_queues(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Queue>>> {
    if principal.require(Permission::ReadFlows).is_err() {
        principal.require(Permission::AnswerConversations)?;
    }
    let queues = queues::list(&state.store, &principal.tenant_id)
        .await
        .map_err(queue_error)?;
    Ok(Json(queues))
}

/// A queue's settings; its key is in the path, or made by the server (`POST /queues`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueBody {
    /// The name in Chinese, e.g. 售后.
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: String,
    /// The name in English.
    #[serde(default)]
    pub name_en: String,
    /// `zh-CN`, `en`.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Opening hours in the tenant's time zone; leave out for always open.
    #[serde(default)]
    pub hours: Option<Hours>,
    /// The queue that takes conversations while this one is closed or nobody is available.
    #[serde(default)]
    pub overflow: Option<String>,
}

impl QueueBody {
    fn into_queue(self, key: String) -> Queue {
        Queue {
            key,
            name: self.name,
            name_en: self.name_en,
            languages: self.languages,
            hours: self.hours,
            overflow: self.overflow,
        }
    }
}

/// Creates a queue by its names: the server makes its key from the English name and a random
/// tail (`after-sales-1a2b3c4d`), which the answer gives for `handoff` nodes to name.
#[utoipa::path(post, path = "/queues", tag = "queues",
    request_body = QueueBody,
    responses((status = 201, body = Queue),
        (status = 422, description = "`invalid_queue`, naming each wrong field")))]
async fn create_queue(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<QueueBody>,
) -> ApiResult<(StatusCode, Json<Queue>)> {
    principal.require(Permission::ManageTenant)?;
    let saved = queues::create(
        &state.store,
        &principal.actor(),
        body.into_queue(String::new()),
        now_ms(),
    )
    .await
    .map_err(queue_error)?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Creates or replaces the queue with this key: for programs that keep queues under keys of
/// their own (an import from another system, a setup script run again). People, and programs
/// with no keys of their own, create queues with `POST /queues`.
#[utoipa::path(put, path = "/queues/{key}", tag = "queues",
    params(("key" = String, Path, description = "What `handoff` nodes name, e.g. `after-sales`")),
    request_body = QueueBody,
    responses((status = 200, body = Queue),
        (status = 422, description = "`invalid_queue`, naming each wrong field")))]
async fn put_queue(
    State(state): State<AppState>,
    principal: Principal,
    Path(key): Path<String>,
    Json(body): Json<QueueBody>,
) -> ApiResult<Json<Queue>> {
    principal.require(Permission::ManageTenant)?;
    let saved = queues::put(
        &state.store,
        &principal.actor(),
        body.into_queue(key),
        now_ms(),
    )
    .await
    .map_err(queue_error)?;
    Ok(Json(saved))
}

/// Deletes a queue. Conversations already in it stay where they are.
#[utoipa::path(delete, path = "/queues/{key}", tag = "queues",
    params(("key" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn delete_queue(
    State(state): State<AppState>,
    principal: Principal,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::ManageTenant)?;
    queues::delete(&state.store, &principal.actor(), &key, now_ms())
        .await
        .map_err(queue_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// How a queue is doing: now, and over the last 24 hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueStats {
    pub queue: String,
    /// Conversations waiting now.
    pub waiting: i64,
    /// Conversations with an agent now.
    pub active: i64,
    /// How long the conversation waiting longest has waited, in milliseconds.
    pub longest_wait_ms: Option<i64>,
    /// Handed to the queue in the last 24 hours.
    pub offered: i64,
    /// Of those, taken by an agent.
    pub answered: i64,
    /// Of those offered, the share taken within 20 seconds (0–1); `null` when none was offered.
    pub answered_within_20s: Option<f64>,
}

/// Each queue's figures.
#[utoipa::path(get, path = "/queues/stats", tag = "queues",
    responses((status = 200, body = Vec<QueueStats>)))]
async fn queue_stats(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<QueueStats>>> {
    if principal.require(Permission::ReadCalls).is_err() {
        principal.require(Permission::AnswerConversations)?;
    }
    let now = now_ms();
    let stats = queues::stats::of(&state.store, &principal.tenant_id, now)
        .await
        .map_err(queue_error)?;
    Ok(Json(
        stats
            .into_iter()
            .map(|stat| QueueStats {
                queue: stat.queue,
                waiting: stat.waiting,
                active: stat.active,
                longest_wait_ms: stat.longest_wait_ms,
                offered: stat.offered,
                answered: stat.answered,
                answered_within_20s: stat.answered_within_20s,
            })
            .collect(),
    ))
}

/// The tenant's agents: users with the agent role and anyone given queues.
#[utoipa::path(get, path = "/agents", tag = "queues",
    responses((status = 200, body = Vec<Agent>)))]
async fn list_agents(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Agent>>> {
    if principal.require(Permission::ReadCalls).is_err() {
        principal.require(Permission::AnswerConversations)?;
    }
    Ok(Json(
        agents::list(&state.store, &principal.tenant_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentQueues {
    /// The keys of the queues the user serves.
    pub queues: Vec<String>,
}

/// Sets the queues a user serves.
#[utoipa::path(put, path = "/agents/{user_id}/queues", tag = "queues",
    params(("user_id" = String, Path)),
    request_body = AgentQueues,
    responses((status = 204), (status = 404),
        (status = 422, description = "`invalid_queue`: a queue the tenant does not have")))]
async fn put_agent_queues(
    State(state): State<AppState>,
    principal: Principal,
    Path(user_id): Path<String>,
    Json(body): Json<AgentQueues>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::ManageTenant)?;
    agents::set_queues(
        &state.store,
        &principal.actor(),
        &user_id,
        body.queues,
        now_ms(),
    )
    .await
    .map_err(queue_error)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceBody {
    pub presence: Presence,
}

/// Sets the signed-in agent's presence: only `available` agents are offered conversations.
#[utoipa::path(put, path = "/agents/me/presence", tag = "queues",
    request_body = PresenceBody,
    responses((status = 204),
        (status = 403, description = "`forbidden`: an API key is nobody's presence")))]
async fn put_presence(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<PresenceBody>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::AnswerConversations)?;
    let user_id = principal.person()?;
    if !agents::set_presence(
        &state.store,
        &principal.tenant_id,
        user_id,
        body.presence,
        now_ms(),
    )
    .await?
    {
        return Err(ApiError::not_found("the user").in_chinese("找不到这个用户"));
    }
    Ok(StatusCode::NO_CONTENT)
}

fn queue_error(error: QueueError) -> ApiError {
    match error {
        QueueError::Invalid(errors) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_queue",
            "the queue has errors",
        )
        .in_chinese("队列设置有错误")
        .with_errors(errors),
        QueueError::NotFound => {
            ApiError::not_found("the queue or user").in_chinese("找不到这个队列或用户")
        }
        QueueError::Store(error) => error.into(),
    }
}
