//! The calls API: every conversation on every channel, with its ordered events.

use std::collections::BTreeSet;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use flow_engine::runtime::Direction;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use chrono_tz::Tz;

use super::{bad_parameter, moment_parameter, page_size_parameter};
use crate::auth::{Permission, Principal};
use crate::channels::twilio::voice::public_base;
use crate::dashboard::words::Words;
use crate::error::{ApiError, ApiResult, Json, Problem};
use crate::flows::names::{self, Versions};
use crate::language::Language;
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

/// Filters and paging for `GET /calls`; every filter is optional. A value the API does not
/// know answers `400 invalid_parameter` naming its parameter, rather than an empty page that
/// looks like "no such calls".
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallQuery {
    /// Calls of this flow.
    #[param(min_length = 1)]
    pub flow_id: Option<String>,
    /// Calls that ran this version of the flow (1, 2, …).
    #[param(minimum = 1)]
    pub version: Option<i64>,
    /// Calls that ended so: `resolved`, `handoff`, `abandoned`, `failed` or `unreached`.
    pub outcome: Option<CallOutcome>,
    /// Calls on this channel.
    #[param(schema_with = channel_schema)]
    pub channel: Option<Channel>,
    /// Calls in this direction.
    #[param(schema_with = direction_schema)]
    pub direction: Option<Direction>,
    /// Calls that started at or after this moment: an RFC 3339 timestamp
    /// (`2026-12-01T08:00:00+08:00`, with the `+` escaped as `%2B` in the URL), a date
    /// (`2026-12-01`: the start of that day in the tenant's time zone), or epoch milliseconds.
    #[param(schema_with = moment_schema, example = "2026-12-01")]
    pub from: Option<i64>,
    /// Calls that started before this moment (the end is excluded), in the same forms as
    /// `from`: `to=2026-12-02` ends with the last moment of 1 December.
    #[param(schema_with = moment_schema, example = "2026-12-02T00:00:00+08:00")]
    pub to: Option<i64>,
    /// `true` to list conversations with a flow's draft (the editor's Try it, `simulated` on
    /// the call) too; they are left out by default.
    pub include_simulated: Option<bool>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
    /// Calls per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// The outcomes, channels and directions a filter may name, by the names calls are stored and
/// shown with.
const OUTCOMES: [CallOutcome; 5] = CallOutcome::ALL;
/// `test` is left out: the editor's trial of an `http` node is never recorded.
const CHANNELS: [Channel; 2] = [Channel::Chat, Channel::Phone];
const DIRECTIONS: [Direction; 2] = [Direction::Inbound, Direction::Outbound];

fn direction_name(direction: Direction) -> String {
    serde_json::to_value(direction)
        .ok()
        .and_then(|name| name.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One of `choices` by its name, or the 400 that lists them.
fn one_of<T: Copy>(
    name: &str,
    value: &str,
    choices: &[T],
    choice_name: impl Fn(T) -> String,
    language: Language,
) -> ApiResult<T> {
    choices
        .iter()
        .copied()
        .find(|choice| choice_name(*choice) == value)
        .ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|choice| choice_name(*choice)).collect();
            bad_parameter(
                name,
                language,
                format!("应为 {} 之一，而不是“{value}”", names.join("、")),
                format!("must be one of {}, not \"{value}\"", names.join(", ")),
            )
        })
}

impl CallQuery {
    /// Parses the query string by hand, so that a bad value is reported with its parameter.
    /// Plain dates in `from` and `to` are days in `zone`, the tenant's time zone.
    fn parse(pairs: Vec<(String, String)>, zone: Tz, language: Language) -> ApiResult<CallQuery> {
        let mut query = CallQuery::default();
        let integer = |name: &str, value: &str| {
            value.trim().parse::<i64>().map_err(|_| {
                bad_parameter(
                    name,
                    language,
                    format!("“{value}”不是整数"),
                    format!("\"{value}\" is not an integer"),
                )
            })
        };
        if let Some((name, _)) = pairs
            .iter()
            .find(|(name, _)| !KNOWN.contains(&name.as_str()))
        {
            return Err(unknown_parameter(name, language));
        }
        super::refuse_blank(&pairs, language)?;
        for (name, value) in pairs {
            match name.as_str() {
                "flow_id" => query.flow_id = Some(value),
                "cursor" => query.cursor = Some(value),
                "outcome" => {
                    query.outcome = Some(one_of(
                        &name,
                        &value,
                        &OUTCOMES,
                        |o| o.as_str().to_owned(),
                        language,
                    )?)
                }
                "channel" => {
                    query.channel = Some(one_of(
                        &name,
                        &value,
                        &CHANNELS,
                        |c| c.as_str().to_owned(),
                        language,
                    )?)
                }
                "direction" => {
                    query.direction = Some(one_of(
                        &name,
                        &value,
                        &DIRECTIONS,
                        direction_name,
                        language,
                    )?)
                }
                "include_simulated" => {
                    query.include_simulated = Some(one_of(
                        &name,
                        &value,
                        &[true, false],
                        |b| b.to_string(),
                        language,
                    )?)
                }
                "version" => {
                    let version = integer(&name, &value)?;
                    if version < 1 {
                        return Err(bad_parameter(
                            &name,
                            language,
                            format!("版本号从 1 起，没有 {version}"),
                            format!("versions are numbered from 1, not {version}"),
                        ));
                    }
                    query.version = Some(version);
                }
                "from" => query.from = Some(moment_parameter(&name, &value, zone, language)?),
                "to" => query.to = Some(moment_parameter(&name, &value, zone, language)?),
                "limit" => {
                    query.limit = Some(page_size_parameter(&name, &value, MAX_PAGE_SIZE, language)?)
                }
                _ => return Err(unknown_parameter(&name, language)),
            }
        }
        Ok(query)
    }

    fn filter(&self) -> CallFilter {
        CallFilter {
            flow_id: self.flow_id.clone(),
            flow_version: self.version,
            outcome: self.outcome,
            channel: self.channel,
            direction: self.direction,
            include_simulated: self.include_simulated.unwrap_or(false),
            from_ms: self.from,
            to_ms: self.to,
        }
    }
}

/// The parameters of `GET /calls`.
const KNOWN: [&str; 10] = [
    "flow_id",
    "version",
    "outcome",
    "channel",
    "direction",
    "from",
    "to",
    "include_simulated",
    "cursor",
    "limit",
];

fn unknown_parameter(name: &str, language: Language) -> ApiError {
    let known = KNOWN.join(", ");
    bad_parameter(
        name,
        language,
        format!("没有这个参数；可用的参数有 {known}"),
        format!("there is no such parameter; use {known}"),
    )
}

/// The channels a filter may name, as strings: [`Channel`]'s own schema lists `test` too.
pub(super) fn channel_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(CHANNELS.map(Channel::as_str)))
        .description(Some("`chat` (web chat and Try it) or `phone`."))
        .build()
}

/// The forms a moment of a filter takes (see [`parse_moment`](crate::conversation::local_time::parse_moment)):
/// a date, an RFC 3339 timestamp, or epoch milliseconds.
pub(super) fn moment_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let string = || ObjectBuilder::new().schema_type(Type::String);
    utoipa::openapi::schema::AnyOfBuilder::new()
        .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
        .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))))
        .item(string().pattern(Some("^[0-9]{1,15}$")))
        .description(Some(
            "A date (`2026-12-01`, in the tenant's time zone), an RFC 3339 timestamp, or epoch \
             milliseconds.",
        ))
        .build()
        .into()
}

/// A call without its events.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallView {
    pub id: String,
    pub flow_id: String,
    /// The flow's name in the editor (its title, else its key), in the request's language's
    /// words for a flow deleted since.
    #[schema(example = "订单查询")]
    pub flow_title: String,
    /// The version it ran; `null` for a conversation with the draft.
    pub flow_version: Option<i64>,
    /// A conversation with the flow's draft (the editor's Try it): its author testing, not a
    /// customer; leave it out of figures about customers.
    pub simulated: bool,
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
    /// The handle time, from start to end, as this server measured it; set on every ended
    /// call. A web chat whose customer went quiet ends, as `abandoned`, at their last message.
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
    /// The shop's own id of the customer, when their page proved it (a signed-in chat-widget
    /// visitor) or an API key gave it: what the customer lookup's `{{customer}}` was.
    pub customer_id: Option<String>,
}

/// The engine's [`Direction`] is serialised by its snake_case name; the engine knows nothing of
/// OpenAPI, so its schema is written here, the names taken from serde so they cannot drift.
pub(super) fn direction_schema() -> utoipa::openapi::schema::Object {
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

/// What the views call the calls' flows and nodes, in the request's language: the flow's title,
/// and each node as the version the call ran named it (see [`names`]).
pub(super) struct CallNames {
    words: Words,
    flows: Vec<(String, String)>,
    versions: Versions,
}

impl CallNames {
    /// The names the views of `calls` need; the nodes' only with `with_nodes`, for views
    /// with events.
    pub(super) async fn of(
        state: &AppState,
        tenant_id: &str,
        language: Language,
        calls: &[&Call],
        with_nodes: bool,
    ) -> Result<CallNames, StoreError> {
        let runs = if with_nodes {
            calls
                .iter()
                .map(|call| (call.flow_id.clone(), call.flow_version))
                .collect()
        } else {
            BTreeSet::new()
        };
        Ok(CallNames {
            words: Words::new(language),
            flows: names::flows(state, tenant_id).await?,
            versions: Versions::of(state, tenant_id, runs).await?,
        })
    }

    pub(super) fn call(&self, call: Call) -> CallView {
        CallView {
            flow_title: names::flow(self.words, &self.flows, &call.flow_id),
            simulated: call.is_simulated(),
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
            customer_id: call.customer_id,
        }
    }

    /// A call with its events, each node named.
    pub(super) fn detail(&self, call: Call, events: Vec<CallEvent>) -> CallDetailView {
        let events = events
            .into_iter()
            .map(|event| CallEventView {
                node_label: event.node.as_deref().map(|node| {
                    self.versions
                        .label(self.words, &call.flow_id, call.flow_version, node)
                }),
                seq: event.seq,
                at: event.at,
                kind: event.kind,
                node: event.node,
                data: event.data,
            })
            .collect();
        CallDetailView {
            call: self.call(call),
            events,
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
    /// `http_result`, `transfer`, `handoff_result`, `emotion_triggered`, `ended`, …
    #[schema(example = "heard")]
    pub kind: String,
    /// The node's id.
    pub node: Option<String>,
    /// What the node is called in the version of the flow the call ran: its label, else its
    /// kind's name in the request's language, numbered as the editor numbers it (`提问 2`).
    #[schema(example = "提问 1")]
    pub node_label: Option<String>,
    /// The engine's record: e.g. for `heard` the text, `intent`, `score`, `confidence` and
    /// `emotion` (`anger` 0–1, `label`: angry, negative, neutral or positive, and `trend`, the
    /// call's anger so far).
    #[schema(value_type = Object)]
    pub data: Value,
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

/// Lists the tenant's calls, newest first, with filters and cursor paging. Conversations with
/// a flow's draft (`simulated`) are left out unless `include_simulated=true`.
#[utoipa::path(get, path = "/calls", tag = "calls", params(CallQuery),
    responses((status = 200, body = CallPageView),
        (status = 400, body = Problem, content_type = "application/problem+json",
         description = "`invalid_parameter`: an unknown parameter, or a value that is not one \
            the parameter takes (an empty value, an unknown outcome, channel or direction, a malformed date, \
            version, limit or cursor); `errors[0].field` names the parameter, and the detail \
            is in the request's `Accept-Language` (Chinese or English)")))]
async fn list_calls(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<CallPageView>> {
    principal.require(Permission::ReadCalls)?;
    let language = Language::from_headers(&headers);
    let (pairs, zone) = super::query_in_time_zone(&state, &principal.tenant_id, query).await?;
    let query = CallQuery::parse(pairs, zone, language)?;
    let filter = query.filter();
    let page = state
        .store
        .list_calls(
            &principal.tenant_id,
            &filter,
            query.cursor.as_deref(),
            query.limit.unwrap_or(DEFAULT_PAGE_SIZE),
        )
        .await
        .map_err(|error| super::cursor_error(error, language))?;
    let calls: Vec<&Call> = page.calls.iter().collect();
    let names = CallNames::of(&state, &principal.tenant_id, language, &calls, false).await?;
    Ok(Json(CallPageView {
        calls: page
            .calls
            .into_iter()
            .map(|call| names.call(call))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A call with all its events, in order, each node named as the version of the flow the call
/// ran named it, in the request's `Accept-Language`.
#[utoipa::path(get, path = "/calls/{id}", tag = "calls", params(("id" = String, Path)),
    responses((status = 200, body = CallDetailView), (status = 404)))]
async fn get_call(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<CallDetailView>> {
    principal.require(Permission::ReadCalls)?;
    let found = state
        .store
        .get_call(&principal.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("the call").in_chinese("找不到这通通话"))?;
    let language = Language::from_headers(&headers);
    let names = CallNames::of(&state, &principal.tenant_id, language, &[&found.call], true).await?;
    Ok(Json(names.detail(found.call, found.events)))
}

/// An outbound call to place.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "to": "+8613800000000", "flow_id": "flw_…",
    "variables": { "customer_name": "王女士", "order_id": "2024061801" } }))]
pub struct PlaceCallRequest {
    /// Who to call, E.164 (`telephony::is_phone_number`).
    #[schema(pattern = r"^\+[1-9][0-9]{6,14}$")]
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
    #[schema(pattern = "^(webhook|stream)$")]
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
                message: crate::language::Text::new(
                    "只能是 webhook 或 stream",
                    "must be webhook or stream",
                ),
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
        ..OutboundCall::default()
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
        OutboundError::Invalid { field, message } => {
            ApiError::new(unprocessable, "invalid_call", message.en.clone())
                .in_chinese(message.zh.clone())
                .with_field(field, "invalid_value", message.get(Language::current()))
        }
        OutboundError::FlowNotPublished => ApiError::new(
            unprocessable,
            "flow_not_published",
            "publish the flow before calling with it",
        )
        .in_chinese("请先发布流程，再用它拨打电话"),
        OutboundError::NotConfigured => ApiError::conflict(
            "telephony_not_configured",
            "set a Twilio account first (PUT /api/v1/telephony)",
        )
        .in_chinese("请先设置 Twilio 账户（PUT /api/v1/telephony）"),
        OutboundError::SecretKey(detail) => super::secret_key_unavailable(&detail),
        OutboundError::Carrier(error) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "carrier_failed", error.to_string())
                .in_chinese("电话运营商拒绝了这次呼叫")
        }
        OutboundError::Internal(detail) => ApiError::internal(detail),
        OutboundError::OverQuota(refused) => refused.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::local_time;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    fn parse(items: &[(&str, &str)], language: Language) -> ApiResult<CallQuery> {
        CallQuery::parse(pairs(items), local_time::DEFAULT_TIME_ZONE, language)
    }

    #[test]
    fn bad_parameters_are_named_in_either_language() {
        for (name, value) in [
            ("from", "yesterday"),
            ("to", "2026-02-30"),
            ("limit", "0"),
            ("version", "x"),
            ("version", "0"),
            ("outcome", "bogus"),
            ("channel", "sip"),
            ("channel", "test"),
            ("direction", "sideways"),
            ("include_simulated", "yes"),
            ("nope", "1"),
            ("nope", ""),
            ("to", ""),
            ("flow_id", ""),
        ] {
            for language in [Language::Chinese, Language::English] {
                let error = parse(&[(name, value)], language).expect_err(name);
                assert_eq!(error.status, StatusCode::BAD_REQUEST);
                assert_eq!(error.code, "invalid_parameter");
                assert!(
                    error.detail.contains(&format!("`{name}`")),
                    "{}",
                    error.detail
                );
                assert_eq!(error.errors[0].field, name);
            }
            let chinese = parse(&[(name, value)], Language::Chinese).expect_err(name);
            assert!(chinese.detail.starts_with("查询参数"), "{}", chinese.detail);
        }
    }

    #[test]
    fn filters_take_names_dates_and_milliseconds() {
        let query = parse(
            &[
                ("from", "2026-12-01"),
                ("to", "2026-12-01T12:00:00Z"),
                ("limit", "5"),
                ("outcome", "abandoned"),
                ("channel", "chat"),
                ("direction", "outbound"),
                ("include_simulated", "true"),
            ],
            Language::English,
        )
        .expect("parses");
        let filter = query.filter();
        // 2026-12-01 00:00 in Shanghai is 2026-11-30T16:00:00Z.
        assert_eq!(filter.from_ms, Some(1_796_054_400_000));
        assert_eq!(filter.to_ms, Some(1_796_126_400_000));
        assert_eq!(filter.outcome, Some(CallOutcome::Abandoned));
        assert_eq!(filter.channel, Some(Channel::Chat));
        assert_eq!(filter.direction, Some(Direction::Outbound));
        assert!(filter.include_simulated);
        assert_eq!((query.limit, filter.flow_id), (Some(5), None));
        let plain = parse(&[("from", "1")], Language::English).expect("parses");
        assert_eq!(plain.filter().from_ms, Some(1));
        assert!(
            !plain.filter().include_simulated,
            "drafts are left out by default"
        );
    }
}
