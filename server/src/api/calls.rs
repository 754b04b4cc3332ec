//! The calls API: every conversation on every channel, with its ordered events.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use flow_engine::runtime::Direction;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Permission, Principal};
use crate::channels::twilio::voice::public_base;
use crate::error::{ApiError, ApiResult, Json};
use crate::state::AppState;
use crate::store::{now_ms, Call, CallEvent, CallFilter, CallOutcome, Channel, StoreError};
use crate::telephony::outbound::{self, OutboundCall, OutboundError};
use crate::telephony::Mode;

/// Calls per page unless `limit` says otherwise.
const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calls, place_call))
        .routes(routes!(get_call))
}

/// Filters and paging for `GET /calls`; every filter is optional.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallQuery {
    /// Calls of this flow.
    pub flow_id: Option<String>,
    /// Calls that ran this version of the flow.
    pub version: Option<i64>,
    /// `resolved`, `handoff`, `abandoned` or `failed`.
    pub outcome: Option<String>,
    /// `chat`, `phone`, …
    pub channel: Option<String>,
    /// Calls that started at or after this time (epoch milliseconds).
    pub from: Option<i64>,
    /// Calls that started before this time (epoch milliseconds).
    pub to: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Calls per page, 1 to 1000 (default 50).
    pub limit: Option<u32>,
}

fn bad_parameter(name: &str, message: String) -> ApiError {
    ApiError::bad_request(
        "invalid_parameter",
        format!("the query parameter `{name}` is wrong: {message}"),
    )
    .with_field(name, "invalid_parameter", message)
}

impl CallQuery {
    /// Parses the query string by hand, so that a bad value is reported with its parameter.
    fn parse(pairs: Vec<(String, String)>) -> ApiResult<CallQuery> {
        let mut query = CallQuery::default();
        let integer = |name: &str, value: &str| {
            value
                .trim()
                .parse::<i64>()
                .map_err(|_| bad_parameter(name, format!("\"{value}\" is not an integer")))
        };
        for (name, value) in pairs {
            let text = || (!value.is_empty()).then(|| value.clone());
            match name.as_str() {
                "flow_id" => query.flow_id = text(),
                "outcome" => query.outcome = text(),
                "channel" => query.channel = text(),
                "cursor" => query.cursor = text(),
                "version" => query.version = Some(integer(&name, &value)?),
                "from" => query.from = Some(integer(&name, &value)?),
                "to" => query.to = Some(integer(&name, &value)?),
                "limit" => {
                    let limit = integer(&name, &value)?;
                    query.limit = Some(
                        u32::try_from(limit)
                            .ok()
                            .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
                            .ok_or_else(|| {
                                bad_parameter(
                                    &name,
                                    format!("{limit} is not between 1 and {MAX_PAGE_SIZE}"),
                                )
                            })?,
                    );
                }
                _ => {
                    return Err(bad_parameter(
                        &name,
                        "there is no such parameter; use flow_id, version, outcome, channel, \
                         from, to, cursor or limit"
                            .into(),
                    ))
                }
            }
        }
        Ok(query)
    }
}

/// A call without its events.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallView {
    pub id: String,
    pub flow_id: String,
    /// The version it ran; `null` for a conversation with the draft.
    pub flow_version: Option<i64>,
    pub channel: Channel,
    #[schema(schema_with = direction_schema)]
    pub direction: Direction,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Epoch milliseconds.
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// How it ended, once ended: the flow's outcome, or `unreached` for an outbound call nobody
    /// answered.
    pub outcome: Option<CallOutcome>,
    /// What the call ended with: the handoff (`transfer`: type, target, summary) and the
    /// variables (`vars`).
    #[schema(value_type = Option<Object>)]
    pub summary: Option<Value>,
    /// From start to end, as this server measured it.
    pub duration_ms: Option<i64>,
    /// A phone call's id at the carrier (Twilio's `CallSid`).
    pub call_sid: Option<String>,
    /// A phone call's final status at the carrier: `completed`, `busy`, `no-answer`,
    /// `failed`, `canceled`.
    pub carrier_status: Option<String>,
    /// A phone call's length as the carrier counts it.
    pub carrier_duration_ms: Option<i64>,
    /// Who answered an outbound call, when answering-machine detection was asked
    /// (`human`, `machine_start`, …).
    pub answered_by: Option<String>,
}

/// The engine's [`Direction`] is serialised by its snake_case name; the engine knows nothing of
/// OpenAPI, so its schema is written here, the names taken from serde so they cannot drift.
fn direction_schema() -> utoipa::openapi::schema::Object {
    let names = [Direction::Inbound, Direction::Outbound]
        .map(|direction| serde_json::to_value(direction).unwrap_or_default());
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(names))
        .description(Some(
            "Who placed the call: the caller (`inbound`) or this server (`outbound`).",
        ))
        .build()
}

impl From<Call> for CallView {
    fn from(call: Call) -> Self {
        CallView {
            id: call.id,
            flow_id: call.flow_id,
            flow_version: call.flow_version,
            channel: call.channel,
            direction: call.direction,
            from: call.from_number,
            to: call.to_number,
            started_at: call.started_at,
            ended_at: call.ended_at,
            outcome: call.outcome,
            summary: call.summary,
            duration_ms: call.duration_ms,
            call_sid: call.call_sid,
            carrier_status: call.carrier_status,
            carrier_duration_ms: call.carrier_duration_ms,
            answered_by: call.answered_by,
        }
    }
}

/// One step of a call, as the flow engine recorded it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallEventView {
    /// 1, 2, … in the order of the call.
    pub seq: i64,
    /// Epoch milliseconds.
    pub at: i64,
    /// `node_entered`, `said`, `heard`, `digits`, `no_match`, `no_input`, `http_requested`,
    /// `http_result`, `transfer`, `handoff_result`, `ended`, …
    #[schema(example = "heard")]
    pub kind: String,
    pub node: Option<String>,
    /// The engine's record: e.g. for `heard` the text, `intent`, `score` and `confidence`.
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<CallEvent> for CallEventView {
    fn from(event: CallEvent) -> Self {
        CallEventView {
            seq: event.seq,
            at: event.at,
            kind: event.kind,
            node: event.node,
            data: event.data,
        }
    }
}

/// A call with its events.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallDetailView {
    #[serde(flatten)]
    pub call: CallView,
    pub events: Vec<CallEventView>,
}

/// One page of calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallPageView {
    /// Newest first.
    pub calls: Vec<CallView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Lists the tenant's calls, newest first, with filters and cursor paging.
#[utoipa::path(get, path = "/calls", tag = "calls", params(CallQuery),
    responses((status = 200, body = CallPageView),
        (status = 400, description = "`invalid_parameter`, naming the parameter")))]
async fn list_calls(
    State(state): State<AppState>,
    principal: Principal,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<CallPageView>> {
    principal.require(Permission::ReadCalls)?;
    let Query(pairs) =
        query.map_err(|rejection| ApiError::bad_request("invalid_query", rejection.body_text()))?;
    let query = CallQuery::parse(pairs)?;
    let filter = CallFilter {
        flow_id: query.flow_id,
        flow_version: query.version,
        outcome: query.outcome,
        channel: query.channel,
        from_ms: query.from,
        to_ms: query.to,
    };
    let page = state
        .store
        .list_calls(
            &principal.tenant_id,
            &filter,
            query.cursor.as_deref(),
            query.limit.unwrap_or(DEFAULT_PAGE_SIZE),
        )
        .await
        .map_err(|error| match error {
            StoreError::InvalidCursor => bad_parameter(
                "cursor",
                "not a cursor this API gave out; pass next_cursor back unchanged".into(),
            ),
            other => other.into(),
        })?;
    Ok(Json(CallPageView {
        calls: page.calls.into_iter().map(CallView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A call with all its events, in order.
#[utoipa::path(get, path = "/calls/{id}", tag = "calls", params(("id" = String, Path)),
    responses((status = 200, body = CallDetailView), (status = 404)))]
async fn get_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CallDetailView>> {
    principal.require(Permission::ReadCalls)?;
    let found = state
        .store
        .get_call(&principal.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("the call"))?;
    Ok(Json(CallDetailView {
        call: found.call.into(),
        events: found.events.into_iter().map(CallEventView::from).collect(),
    }))
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

/// Places an outbound call through Twilio (owners only): the flow runs when it is answered,
/// with direction `outbound` and the given variables; status callbacks complete the call
/// record. The record and its audit entry are written before the phone rings.
#[utoipa::path(post, path = "/calls", tag = "calls", request_body = PlaceCallRequest,
    responses((status = 201, body = PlacedCallView),
        (status = 403, description = "`forbidden`: only owners place calls"),
        (status = 409, description = "`telephony_not_configured`: no Twilio account"),
        (status = 422, description = "`invalid_call`, naming the field; `flow_not_published`"),
        (status = 502, description = "`carrier_failed`: Twilio refused or could not be reached")))]
async fn place_call(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(request): Json<PlaceCallRequest>,
) -> ApiResult<(StatusCode, Json<PlacedCallView>)> {
    principal.require(Permission::PlaceCalls)?;
    let mode = request
        .mode
        .as_deref()
        .map(|text| {
            Mode::parse(text).ok_or(OutboundError::Invalid {
                field: "/mode",
                message: "must be webhook or stream".into(),
            })
        })
        .transpose()
        .map_err(outbound_error)?;
    let call = OutboundCall {
        to: request.to,
        flow_id: request.flow_id,
        version: request.version,
        from: request.from,
        variables: request.variables,
        machine_detection: request.machine_detection,
        mode,
    };
    // The configured public URL; the request's own address only when none is configured.
    let base = public_base(&state.telephony, &headers);
    let placed = outbound::place(&state, &principal.actor(), call, &base, now_ms())
        .await
        .map_err(outbound_error)?;
    let view = PlacedCallView {
        call_id: placed.call_id,
        call_sid: placed.call.id,
        status: placed.call.status,
        from: placed.from,
        to: placed.to,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

fn outbound_error(error: OutboundError) -> ApiError {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match error {
        OutboundError::Invalid { field, message } => ApiError::new(
            unprocessable,
            "invalid_call",
            message.clone(),
        )
        .with_field(field, "invalid_value", message),
        OutboundError::FlowNotPublished => ApiError::new(
            unprocessable,
            "flow_not_published",
            "publish the flow before calling with it",
        ),
        OutboundError::NotConfigured => ApiError::conflict(
            "telephony_not_configured",
            "set a Twilio account first (PUT /api/v1/telephony)",
        ),
        OutboundError::SecretKey(detail) => super::secret_key_unavailable(&detail),
        OutboundError::Carrier(error) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "carrier_failed", error.to_string())
        }
        OutboundError::Internal(detail) => ApiError::internal(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn bad_parameters_are_named() {
        for (name, value) in [
            ("from", "yesterday"),
            ("limit", "0"),
            ("version", "x"),
            ("nope", "1"),
        ] {
            let error = CallQuery::parse(pairs(&[(name, value)])).expect_err(name);
            assert_eq!(error.code, "invalid_parameter");
            assert!(
                error.detail.contains(&format!("`{name}`")),
                "{}",
                error.detail
            );
        }
        let query = CallQuery::parse(pairs(&[("from", "1"), ("limit", "5"), ("outcome", "")]))
            .expect("parses");
        assert_eq!(
            (query.from, query.limit, query.outcome),
            (Some(1), Some(5), None)
        );
    }
}
