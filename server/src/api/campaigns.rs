//! Outbound campaigns through the API: define, start, pause, resume and stop them, follow
//! their progress, read each contact's results and the survey report, export them. The logic
//! is [`crate::campaigns`]'s; here requests and answers are translated, in the asker's language.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Permission, Principal};
use crate::campaigns::lifecycle::{self, Campaign, CampaignError, CampaignInput};
use crate::campaigns::results::{self, ContactResultPage, Progress, Report};
use crate::error::{ApiError, ApiResult, Json};
use crate::knowledge::sheet::Format;
use crate::language::Language;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign, update_campaign, delete_campaign))
        .routes(routes!(steer_campaign))
        .routes(routes!(campaign_progress))
        .routes(routes!(campaign_contacts))
        .routes(routes!(campaign_report))
        .routes(routes!(export_campaign))
}

/// The asker's language, once their role allows `permission` (else 403 in it).
fn may(principal: &Principal, headers: &HeaderMap, permission: Permission) -> ApiResult<Language> {
    let language = Language::from_headers(headers);
    principal.require(permission).map_err(|error| {
        let (zh, en) = match permission {
            Permission::PlaceCalls => (
                "你的角色不能开始或继续外呼活动：活动会拨打真实的电话；所有者可以。",
                "Your role may not start or resume a campaign: it rings real phones; owners may.",
            ),
            Permission::EditContacts => (
                "你的角色不能修改外呼活动；编辑者和所有者可以。",
                "Your role may not change campaigns; editors and owners may.",
            ),
            _ => (
                "你的角色不能查看外呼活动。",
                "Your role may not see campaigns.",
            ),
        };
        error.reworded(zh, en)
    })?;
    Ok(language)
}

fn campaign_error(error: CampaignError, language: Language) -> ApiError {
    match error {
        CampaignError::Invalid(problems) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_campaign",
            language.pick("外呼活动的设置有错误。", "The campaign has errors."),
        )
        .with_errors(
            problems
                .iter()
                .map(|problem| problem.render(language))
                .collect(),
        ),
        CampaignError::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            language.pick(
                "没有找到这个外呼活动：它不存在或已被删除。",
                "The campaign was not found: it does not exist or was deleted.",
            ),
        ),
        CampaignError::WrongStatus { status } => ApiError::new(
            StatusCode::CONFLICT,
            "wrong_status",
            match language {
                Language::Chinese => format!(
                    "活动现在是“{}”，不能这样做：草稿和暂停的活动可以修改，草稿可以删除和开始，进行中的可以暂停，暂停的可以继续，二者都可以停止。",
                    status_words(&status, language)
                ),
                Language::English => format!(
                    "The campaign is {}, which does not allow this: drafts and paused campaigns can be changed, drafts deleted and started, running ones paused, paused ones resumed, and either stopped.",
                    status_words(&status, language)
                ),
            },
        ),
        CampaignError::Store(error) => error.into(),
    }
}

fn status_words(status: &str, language: Language) -> &'static str {
    let (zh, en) = match status {
        "draft" => ("草稿", "a draft"),
        "running" => ("进行中", "running"),
        "paused" => ("已暂停", "paused"),
        "stopped" => ("已停止", "stopped"),
        "completed" => ("已完成", "completed"),
        _ => ("未知", "unknown"),
    };
    language.pick(zh, en)
}

/// The tenant's campaigns, newest first.
#[utoipa::path(get, path = "/campaigns", tag = "campaigns",
    responses((status = 200, body = Vec<Campaign>)))]
async fn list_campaigns(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<Campaign>>> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    let campaigns = lifecycle::list(&state.store, &principal.tenant_id)
        .await
        .map_err(|error| campaign_error(error, language))?;
    Ok(Json(campaigns))
}

/// Creates a campaign as a draft: nothing is dialled until it is started. Settings left out
/// take their defaults (09:00–20:00 every day in the shop's time zone, holidays skipped, one
/// call a second, five at once, retries for busy and unanswered calls, at most two calls per
/// person in seven days, hang up on answering machines).
#[utoipa::path(post, path = "/campaigns", tag = "campaigns", request_body = CampaignInput,
    responses((status = 201, body = Campaign),
        (status = 422, description = "`invalid_campaign`: each wrong field named in `errors` \
            (`/name`, `/flow_id`: no such flow or not published, `/flow_version`, `/list_id`, \
            `/settings/...`)")))]
async fn create_campaign(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(input): Json<CampaignInput>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    let now = state.clock.now_ms();
    let campaign = lifecycle::create(&state.store, &principal.actor(), input, now)
        .await
        .map_err(|error| campaign_error(error, language))?;
    Ok((StatusCode::CREATED, Json(campaign)))
}

#[utoipa::path(get, path = "/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path)),
    responses((status = 200, body = Campaign), (status = 404)))]
async fn get_campaign(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Campaign>> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    let campaign = lifecycle::get(&state.store, &principal.tenant_id, &id)
        .await
        .map_err(|error| campaign_error(error, language))?;
    Ok(Json(campaign))
}

/// Rewrites a draft's or a paused campaign's definition (a started one keeps its list).
#[utoipa::path(put, path = "/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path)), request_body = CampaignInput,
    responses((status = 200, body = Campaign), (status = 404),
        (status = 409, description = "`wrong_status`: the campaign is running, stopped or completed"),
        (status = 422, description = "`invalid_campaign`, each wrong field named")))]
async fn update_campaign(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(input): Json<CampaignInput>,
) -> ApiResult<Json<Campaign>> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    let now = state.clock.now_ms();
    let campaign = lifecycle::update(&state.store, &principal.actor(), &id, input, now)
        .await
        .map_err(|error| campaign_error(error, language))?;
    Ok(Json(campaign))
}

/// Deletes a draft (a campaign that ran is kept, with its results; stop it instead).
#[utoipa::path(delete, path = "/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404),
        (status = 409, description = "`wrong_status`: only drafts are deleted")))]
async fn delete_campaign(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    let now = state.clock.now_ms();
    lifecycle::delete(&state.store, &principal.actor(), &id, now)
        .await
        .map_err(|error| campaign_error(error, language))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a draft (a list campaign queues its contacts), pauses a running campaign, resumes a
/// paused one, or stops either (what was not dialled ends `stopped`; calls in progress finish).
/// Starting and resuming ring real phones: they need the permission to place calls.
#[utoipa::path(post, path = "/campaigns/{id}/{action}", tag = "campaigns",
    params(("id" = String, Path),
        ("action" = String, Path, description = "`start`, `pause`, `resume` or `stop`",
            pattern = "^(start|pause|resume|stop)$")),
    responses((status = 200, body = Campaign), (status = 404, description = "No such campaign (or action)"),
        (status = 409, description = "`wrong_status`: the campaign's status does not allow it")))]
async fn steer_campaign(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult<Json<Campaign>> {
    let permission = match action.as_str() {
        "start" | "resume" => Permission::PlaceCalls,
        _ => Permission::EditContacts,
    };
    let language = may(&principal, &headers, permission)?;
    let now = state.clock.now_ms();
    let campaign = lifecycle::steer(&state.store, &principal.actor(), &id, &action, now)
        .await
        .map_err(|error| campaign_error(error, language))?;
    Ok(Json(campaign))
}

/// Where the campaign stands: dialled, answered, completed, opted out, remaining, and when it
/// should be done at the recent rate.
#[utoipa::path(get, path = "/campaigns/{id}/progress", tag = "campaigns",
    params(("id" = String, Path)),
    responses((status = 200, body = Progress), (status = 404)))]
async fn campaign_progress(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Progress>> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    lifecycle::get(&state.store, &principal.tenant_id, &id)
        .await
        .map_err(|error| campaign_error(error, language))?;
    let progress = results::progress(
        &state.store,
        &principal.tenant_id,
        &id,
        state.clock.now_ms(),
    )
    .await?;
    Ok(Json(progress))
}

/// Which contacts' results, and which page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactsQuery {
    /// Keeps contacts whose final status (or, not done, `queued`/`dialing`) this is.
    #[param(pattern = "^[a-z_]{1,32}$")]
    pub status: Option<String>,
    /// Contacts to skip (default 0).
    #[param(maximum = 1_000_000_000)]
    pub offset: Option<u32>,
    /// Contacts at most (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Each contact's attempts, final status, outcome and results, by number.
#[utoipa::path(get, path = "/campaigns/{id}/contacts", tag = "campaigns",
    params(("id" = String, Path), ContactsQuery),
    responses((status = 200, body = ContactResultPage), (status = 404)))]
async fn campaign_contacts(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<ContactsQuery>, QueryRejection>,
) -> ApiResult<Json<ContactResultPage>> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    let Query(query) = query.map_err(|rejection| ApiError::invalid_query(&rejection))?;
    let offset = query.offset.unwrap_or(0);
    if offset > 1_000_000_000 {
        return Err(super::bad_parameter(
            "offset",
            language,
            format!("{offset} 超过了上限 1000000000"),
            format!("{offset} is over the limit of 1000000000"),
        ));
    }
    let limit = super::page_size("limit", i64::from(query.limit.unwrap_or(50)), 500, language)?;
    let status = query.status.as_deref();
    if let Some(status) = status.filter(|status| {
        status.is_empty()
            || status.len() > 32
            || !status.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    }) {
        return Err(super::bad_parameter(
            "status",
            language,
            format!("“{status}”不是联系人的状态（如 completed、busy、queued）"),
            format!("\"{status}\" is not a contact's status (such as completed, busy, queued)"),
        ));
    }
    lifecycle::get(&state.store, &principal.tenant_id, &id)
        .await
        .map_err(|error| campaign_error(error, language))?;
    let page = results::contacts(
        &state.store,
        &principal.tenant_id,
        &id,
        status,
        offset,
        limit,
    )
    .await?;
    Ok(Json(page))
}

/// The survey report: each variable the flow marks as a result, over the campaign's contacts
/// (score distribution and NPS, choices counted, reasons grouped).
#[utoipa::path(get, path = "/campaigns/{id}/report", tag = "campaigns",
    params(("id" = String, Path)),
    responses((status = 200, body = Report), (status = 404)))]
async fn campaign_report(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Report>> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    lifecycle::get(&state.store, &principal.tenant_id, &id)
        .await
        .map_err(|error| campaign_error(error, language))?;
    Ok(Json(
        results::report(&state.store, &principal.tenant_id, &id).await?,
    ))
}

/// The file's format.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(pattern = "^(csv|xlsx)$")]
    pub format: Option<String>,
}

/// Every contact's result as CSV (UTF-8 with a BOM, for Excel) or XLSX, headed in the asker's
/// language, with a column per result variable.
#[utoipa::path(get, path = "/campaigns/{id}/export", tag = "campaigns",
    params(("id" = String, Path), ExportQuery),
    responses((status = 200, content(("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404)))]
async fn export_campaign(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    let Query(query) = query.map_err(|rejection| ApiError::invalid_query(&rejection))?;
    let format = match query.format.as_deref() {
        None | Some("csv") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        Some(other) => {
            return Err(super::bad_parameter(
                "format",
                language,
                format!("“{other}”不是可导出的格式：请用 csv 或 xlsx"),
                format!("\"{other}\" is not a format to export: use csv or xlsx"),
            ))
        }
    };
    let campaign = lifecycle::get(&state.store, &principal.tenant_id, &id)
        .await
        .map_err(|error| campaign_error(error, language))?;
    let bytes = results::export(&state.store, &principal.tenant_id, &id, format, language).await?;
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let disposition = format!("attachment; filename=\"{}.{extension}\"", campaign.id);
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
