//! The analytics API: the dashboard's figures for shops' own BI tools, read from the sums the
//! roll-up keeps (a few seconds behind the calls), never from every call's events. Keys come with
//! the names people know them by (`flow_title`, `node_label`, …), in the request's
//! `Accept-Language` where a node goes by its kind's name.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bad_parameter;
use crate::analytics::report::{self, EntryHelpfulness, Funnel, Overview, UnheardGroup};
use crate::analytics::results::{self as result_report, ResultSummary};
use crate::analytics::{filter, handling, names};
use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult, Json, Problem};
use crate::language::Language;
use crate::state::AppState;
use crate::store::{now_ms, AnalyticsFilter, HandledUnheard};

/// Groups of unheard phrasings unless `limit` says otherwise, and at most.
const DEFAULT_GROUPS: usize = 50;
const MAX_GROUPS: usize = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(funnel))
        .routes(routes!(unheard))
        .routes(routes!(knowledge))
        .routes(routes!(results))
        .routes(routes!(dismiss))
}

/// Which calls a report covers; every parameter is optional. This documents the parameters;
/// `analytics::filter` reads them, so that the dashboard's pages read them the same way.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ReportQuery {
    /// The first local day (the tenant's time zone), `2026-12-01`; by default six days before
    /// `to`. An RFC 3339 timestamp names its local day.
    #[param(example = "2026-12-01", format = Date)]
    from: Option<String>,
    /// The last local day, included; by default today.
    #[param(example = "2026-12-07", format = Date)]
    to: Option<String>,
    /// Calls of this flow.
    #[param(min_length = 1)]
    flow_id: Option<String>,
    /// Calls that ran this version (1, 2, …; 0 is the draft, which the editor's Try it runs).
    #[param(minimum = 0)]
    version: Option<i64>,
    /// `chat` or `phone`.
    #[param(schema_with = super::calls::channel_schema)]
    channel: Option<String>,
    /// `inbound` or `outbound`.
    #[param(schema_with = super::calls::direction_schema)]
    direction: Option<String>,
    /// `true` to count conversations with a flow's draft (the editor's Try it) too.
    include_simulated: Option<bool>,
}

/// `limit` for the unheard phrasings (documents it; read in [`unheard`]).
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct GroupsQuery {
    /// Groups at most, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

const BAD_FILTER: &str = "`invalid_parameter`: an unknown parameter, or a value the parameter \
    does not take (an empty value, a malformed day, a range that ends before it starts or spans more than two \
    years, an unknown channel or direction, a negative version); `errors[0].field` names the \
    parameter, and the detail is in the request's `Accept-Language` (Chinese or English)";

/// What callers said that no intent or entry took, over the days named.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnheardReport {
    /// The first and the last local day covered (the tenant's time zone), as the filter chose
    /// them: the defaults (the last seven days) named.
    #[schema(example = "2026-12-01")]
    pub from: String,
    #[schema(example = "2026-12-07")]
    pub to: String,
    /// The most said first.
    pub groups: Vec<UnheardGroup>,
}

/// Knowledge entries as callers received them, over the days named.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeReport {
    /// The first and the last local day covered, as in [`UnheardReport`].
    #[schema(example = "2026-12-01")]
    pub from: String,
    #[schema(example = "2026-12-07")]
    pub to: String,
    /// The least helpful first.
    pub entries: Vec<EntryHelpfulness>,
}

/// The results the calls of the days named ended with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsReport {
    /// The first and the last local day covered, as in [`UnheardReport`].
    #[schema(example = "2026-12-01")]
    pub from: String,
    #[schema(example = "2026-12-07")]
    pub to: String,
    /// Per variable a flow marks as a result.
    pub results: Vec<ResultSummary>,
}

/// The caller's filter, its language and the other parameters' values.
async fn read_filter(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    others: &[&str],
) -> ApiResult<(AnalyticsFilter, Language, Vec<(String, String)>)> {
    principal.require(Permission::ReadCalls)?;
    let language = Language::from_headers(headers);
    let (pairs, zone) = super::query_in_time_zone(state, &principal.tenant_id, query).await?;
    super::refuse_blank(&pairs, language)?;
    let filter = filter::parse(&principal.tenant_id, &pairs, zone, now_ms(), others)
        .map_err(|error| bad_parameter(&error.parameter, language, error.zh, error.en))?;
    Ok((filter, language, pairs))
}

/// The figures of the calls the filter selects: calls, containment, handoffs by reason,
/// abandonment, handle time (mean and p90), turns, no-match and no-input rates, knowledge
/// answers, calls per day (per hour for one day) and per hour of day, top intents, and the
/// same measures per flow version for comparing versions.
#[utoipa::path(get, path = "/analytics/overview", tag = "analytics", params(ReportQuery),
    responses((status = 200, body = Overview),
        (status = 400, body = Problem, content_type = "application/problem+json",
         description = BAD_FILTER)))]
async fn overview(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<Overview>> {
    let (filter, language, _) = read_filter(&state, &principal, &headers, query, &[]).await?;
    let mut overview = report::overview(&state.store, &filter).await?;
    names::overview(&state, &filter.tenant_id, language, &mut overview).await?;
    Ok(Json(overview))
}

/// How calls went through the nodes: per node, the calls that reached it, ended there, hung
/// up there, and its no-match and no-input counts; and the steps from node to node. Name one
/// flow (`flow_id`) and a version for a funnel of one graph.
#[utoipa::path(get, path = "/analytics/funnel", tag = "analytics", params(ReportQuery),
    responses((status = 200, body = Funnel),
        (status = 400, body = Problem, content_type = "application/problem+json",
         description = BAD_FILTER)))]
async fn funnel(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<Funnel>> {
    let (filter, language, _) = read_filter(&state, &principal, &headers, query, &[]).await?;
    let mut funnel = report::funnel(&state.store, &filter).await?;
    names::funnel(&state, &filter, language, &mut funnel).await?;
    Ok(Json(funnel))
}

/// What callers said that matched no intent (`no_match`) or no knowledge entry
/// (`kb_missed`), phrasings of a node grouped by meaning, the most said first, each group with
/// the latest call that said it.
#[utoipa::path(get, path = "/analytics/unheard", tag = "analytics",
    params(ReportQuery, GroupsQuery),
    responses((status = 200, body = UnheardReport),
        (status = 400, body = Problem, content_type = "application/problem+json",
         description = BAD_FILTER)))]
async fn unheard(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<UnheardReport>> {
    let (filter, language, pairs) =
        read_filter(&state, &principal, &headers, query, &["limit"]).await?;
    let mut limit = DEFAULT_GROUPS;
    for (name, value) in &pairs {
        if name == "limit" && !value.is_empty() {
            limit = value
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_GROUPS).contains(n))
                .ok_or_else(|| {
                    bad_parameter(
                        name,
                        language,
                        format!("“{value}”不是 1 到 {MAX_GROUPS} 之间的整数"),
                        format!("\"{value}\" is not a whole number from 1 to {MAX_GROUPS}"),
                    )
                })?;
        }
    }
    let mut groups = report::unheard(&state.store, &filter, limit).await?;
    names::unheard(&state, &filter.tenant_id, language, &mut groups).await?;
    Ok(Json(UnheardReport {
        groups,
        from: filter.from_day,
        to: filter.to_day,
    }))
}

/// Knowledge-base entries the calls answered with, and what callers said of the answers: the
/// least helpful first, so that the manager knows which to rewrite.
#[utoipa::path(get, path = "/analytics/knowledge", tag = "analytics", params(ReportQuery),
    responses((status = 200, body = KnowledgeReport),
        (status = 400, body = Problem, content_type = "application/problem+json",
         description = BAD_FILTER)))]
async fn knowledge(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<KnowledgeReport>> {
    let (filter, _, _) = read_filter(&state, &principal, &headers, query, &[]).await?;
    let mut entries = report::knowledge(&state.store, &filter).await?;
    names::knowledge(&state, &filter.tenant_id, &mut entries).await?;
    Ok(Json(KnowledgeReport {
        entries,
        from: filter.from_day,
        to: filter.to_day,
    }))
}

/// The results of calls: per variable the flows mark as a result (`settings.results`), its
/// label, its kind, how many calls ended with a value, how often each value was given, the mean of
/// scores and numbers, and the Net Promoter Score of scores (0 to 10).
#[utoipa::path(get, path = "/analytics/results", tag = "analytics", params(ReportQuery),
    responses((status = 200, body = ResultsReport),
        (status = 400, body = Problem, content_type = "application/problem+json",
         description = BAD_FILTER)))]
async fn results(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<ResultsReport>> {
    let (filter, _, _) = read_filter(&state, &principal, &headers, query, &[]).await?;
    let mut results = result_report::results(&state.store, &filter).await?;
    names::results(&state, &filter, &mut results).await?;
    Ok(Json(ResultsReport {
        results,
        from: filter.from_day,
        to: filter.to_day,
    }))
}

/// The kinds of phrasing the "not understood" list holds.
pub(super) fn phrasing_kind_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["no_match", "kb_missed"]))
        .build()
}

/// A phrasing of the "not understood" list, as [`unheard`] gave it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Phrasing {
    #[schema(min_length = 1)]
    pub flow_id: String,
    #[schema(min_length = 1)]
    pub node: String,
    /// `no_match` or `kb_missed`.
    #[schema(schema_with = phrasing_kind_schema)]
    pub kind: String,
    #[schema(min_length = 1)]
    pub text: String,
}

/// Leaves a phrasing out of the "not understood" list from now on (audited as
/// `analytics.unheard_dismissed`): nothing to teach, such as small talk.
#[utoipa::path(post, path = "/analytics/unheard/dismiss", tag = "analytics",
    request_body = Phrasing,
    responses((status = 204, description = "Dismissed"),
        (status = 422, body = Problem, content_type = "application/problem+json",
         description = "`invalid_body`: a kind other than `no_match` or `kb_missed`, an empty flow or node, or a blank text")))]
async fn dismiss(
    State(state): State<AppState>,
    principal: Principal,
    Json(phrasing): Json<Phrasing>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::EditFlows)?;
    // The list names every phrasing by a flow, a node and a text; a blank one names none.
    if !["no_match", "kb_missed"].contains(&phrasing.kind.as_str())
        || phrasing.flow_id.is_empty()
        || phrasing.node.is_empty()
        || phrasing.text.trim().is_empty()
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "name the phrasing as the list gave it: its flow, node, kind (no_match or kb_missed) and text",
        ).in_chinese("请按列表给出的样子写明这条说法：流程、节点、类型（no_match 或 kb_missed）和文字"));
    }
    let handled = HandledUnheard {
        flow_id: phrasing.flow_id,
        node: phrasing.node,
        kind: phrasing.kind,
        text: phrasing.text,
        resolution: String::new(),
        target: String::new(),
    };
    handling::dismiss(&state.store, &principal.actor(), handled, now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}
