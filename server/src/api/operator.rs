//! The operator API (`/api/v1/operator`): the service's tenants, for whoever runs the server,
//! with an operator key (`auth::OperatorPrincipal`); a shop's keys and sign-ins are refused.
//! Only translates between HTTP and `crate::tenancy`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::OperatorPrincipal;
use crate::error::{ApiError, ApiResult, Json, Problem};
use crate::language::Language;
use crate::state::AppState;
use crate::store::{now_ms, CreatedInvite, OperatorAuditEntry};
use crate::tenancy::{self, NewTenant, TenancyError, TenantUpdate, TenantView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tenants, create_tenant))
        .routes(routes!(get_tenant, update_tenant, delete_tenant))
        .routes(routes!(suspend_tenant))
        .routes(routes!(resume_tenant))
        .routes(routes!(audit_log))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    pub tenants: Vec<TenantView>,
}

/// The first owner's one-time link.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerInvite {
    pub email: String,
    pub display_name: String,
    /// The one-time token. It is in this answer only and cannot be recovered.
    pub token: String,
    /// Where the link leads on this server: `/#/invite/<token>`; put the server's address in
    /// front of it.
    pub path: String,
    pub expires_at: i64,
}

impl From<CreatedInvite> for OwnerInvite {
    fn from(created: CreatedInvite) -> Self {
        OwnerInvite {
            path: format!("/#/invite/{}", created.token),
            email: created.invite.email,
            display_name: created.invite.display_name,
            expires_at: created.invite.expires_at,
            token: created.token,
        }
    }
}

/// A new tenant and the one-time link its first owner sets a password with.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenant {
    pub tenant: TenantView,
    /// Hand the link (the server's address, then `path`) to the owner; valid for 7 days.
    pub owner_invite: OwnerInvite,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    /// Why, for the operator's audit log.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeleteQuery {
    /// The tenant's slug again, so that a typo cannot delete another shop.
    pub confirm: Option<String>,
}

/// Rows deleted, by table.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedTenant {
    pub slug: String,
    #[schema(value_type = Object)]
    pub rows: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this tenant's slug.
    pub tenant: Option<String>,
    /// At most this many entries, newest first (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorAuditView {
    pub at: i64,
    /// `operator-key:<id>` or `callflow admin`.
    pub actor: String,
    /// `tenant.create`, `tenant.update`, `tenant.suspend`, `tenant.resume`, `tenant.delete`,
    /// `operator_key.create`, `operator_key.revoke`.
    pub action: String,
    /// Empty for actions on operator keys.
    pub tenant_slug: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<OperatorAuditEntry> for OperatorAuditView {
    fn from(entry: OperatorAuditEntry) -> Self {
        OperatorAuditView {
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            tenant_slug: entry.tenant_slug,
            detail: entry.detail,
        }
    }
}

/// The operator's refusals in the asker's language.
fn tenancy_error(error: TenancyError, language: Language) -> ApiError {
    match error {
        TenancyError::Invalid(problems) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            language.pick("请求内容有错误。", "The request has wrong values."),
        )
        .with_errors(problems.iter().map(|p| p.render(language)).collect()),
        TenancyError::SlugTaken => ApiError::conflict(
            "slug_taken",
            "a tenant with this slug already exists; choose another slug",
        )
        .in_chinese("已有店铺使用这个标识，请换一个"),
        TenancyError::EmailTaken => ApiError::conflict(
            "email_taken",
            "someone already signs in with this email (emails are unique across tenants)",
        )
        .in_chinese("已有人用这个邮箱登录（邮箱在所有店铺中唯一）"),
        TenancyError::NotFound => ApiError::not_found("the tenant").in_chinese("找不到这个店铺"),
        TenancyError::NotConfirmed => ApiError::bad_request(
            "confirmation_required",
            "repeat the tenant's slug as ?confirm=<slug> to delete it with all its data",
        )
        .in_chinese("请在 ?confirm=<标识> 中再写一遍店铺标识，以确认删除店铺及其全部数据")
        .with_field(
            "confirm",
            "confirmation_required",
            language.pick("须与店铺标识相同", "must equal the tenant's slug"),
        ),
        TenancyError::Store(error) => error.into(),
    }
}

/// Every tenant, by slug, with its status, quotas and usage.
#[utoipa::path(get, path = "/operator/tenants", tag = "operator", security(("operator_key" = [])),
    responses((status = 200, body = TenantList),
        (status = 401, body = Problem, description = "`unauthorized`: no operator key, or an unknown or revoked one"),
        (status = 403, body = Problem, description = "`operator_only`: a shop's API key or sign-in"),
        (status = 429, body = Problem, description = "`api_key_throttled`: too many unknown keys from this address")))]
async fn list_tenants(
    State(state): State<AppState>,
    _operator: OperatorPrincipal,
    headers: HeaderMap,
) -> ApiResult<Json<TenantList>> {
    let language = Language::from_headers(&headers);
    let tenants = tenancy::list(&state.store)
        .await
        .map_err(|error| tenancy_error(error, language))?;
    Ok(Json(TenantList { tenants }))
}

/// Creates a tenant with its names in both languages and a one-time link for its first owner
/// (no password is made or sent: the owner chooses one with the link).
#[utoipa::path(post, path = "/operator/tenants", tag = "operator", security(("operator_key" = [])),
    request_body = NewTenant,
    responses((status = 201, body = CreatedTenant),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "`operator_only`"),
        (status = 409, body = Problem, description = "`slug_taken`; `email_taken`: the owner's email signs in elsewhere"),
        (status = 413, body = Problem, description = "`body_too_large`"),
        (status = 422, body = Problem, description = "`invalid_body`, naming each wrong field: `/slug` (`invalid_slug`), `/names/zh-CN`, `/names/en`, `/owner_name` (`invalid_name`), `/owner_email` (`invalid_email`), `/quotas/<name>` (`invalid_quota`)"),
        (status = 429, body = Problem)))]
async fn create_tenant(
    State(state): State<AppState>,
    operator: OperatorPrincipal,
    headers: HeaderMap,
    Json(body): Json<NewTenant>,
) -> ApiResult<(StatusCode, Json<CreatedTenant>)> {
    let language = Language::from_headers(&headers);
    let (tenant, invite) = tenancy::create(&state.store, &operator.operator(), &body, now_ms())
        .await
        .map_err(|error| tenancy_error(error, language))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTenant {
            tenant: TenantView::of(&tenant, Default::default()),
            owner_invite: invite.into(),
        }),
    ))
}

/// One tenant.
#[utoipa::path(get, path = "/operator/tenants/{slug}", tag = "operator", security(("operator_key" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = TenantView),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "`operator_only`"),
        (status = 404, body = Problem, description = "`not_found`: no tenant has this slug"),
        (status = 429, body = Problem)))]
async fn get_tenant(
    State(state): State<AppState>,
    _operator: OperatorPrincipal,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> ApiResult<Json<TenantView>> {
    let language = Language::from_headers(&headers);
    let view = tenancy::show(&state.store, &slug)
        .await
        .map_err(|error| tenancy_error(error, language))?;
    Ok(Json(view))
}

/// Renames a tenant or sets its quotas: what is given replaces what it has.
#[utoipa::path(patch, path = "/operator/tenants/{slug}", tag = "operator", security(("operator_key" = [])),
    params(("slug" = String, Path)), request_body = TenantUpdate,
    responses((status = 200, body = TenantView),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "`operator_only`"),
        (status = 404, body = Problem, description = "`not_found`"),
        (status = 413, body = Problem, description = "`body_too_large`"),
        (status = 422, body = Problem, description = "`invalid_body`: `/names/zh-CN`, `/names/en` (`invalid_name`), `/quotas/<name>` (`invalid_quota`: 1 to 1000000)"),
        (status = 429, body = Problem)))]
async fn update_tenant(
    State(state): State<AppState>,
    operator: OperatorPrincipal,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Json(body): Json<TenantUpdate>,
) -> ApiResult<Json<TenantView>> {
    let language = Language::from_headers(&headers);
    tenancy::update(&state.store, &operator.operator(), &slug, &body, now_ms())
        .await
        .map_err(|error| tenancy_error(error, language))?;
    let view = tenancy::show(&state.store, &slug)
        .await
        .map_err(|error| tenancy_error(error, language))?;
    Ok(Json(view))
}

/// Suspends a tenant: its people cannot sign in, its keys and sessions are answered
/// `403 tenant_suspended`, its chat widget refuses chats and its numbers answer with a short
/// apology and hang up. Calls and chats in progress finish. Takes effect on every server
/// within a second. Suspending a suspended tenant changes nothing.
#[utoipa::path(post, path = "/operator/tenants/{slug}/suspend", tag = "operator", security(("operator_key" = [])),
    params(("slug" = String, Path)), request_body(content = Option<SuspendRequest>),
    responses((status = 200, body = TenantView),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "`operator_only`"),
        (status = 404, body = Problem, description = "`not_found`"),
        (status = 413, body = Problem), (status = 422, body = Problem, description = "`invalid_body`"),
        (status = 429, body = Problem)))]
async fn suspend_tenant(
    State(state): State<AppState>,
    operator: OperatorPrincipal,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<TenantView>> {
    let language = Language::from_headers(&headers);
    // No body, or JSON's `null`, is a suspension without a reason.
    let request: SuspendRequest =
        if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
            SuspendRequest::default()
        } else {
            crate::error::parse_json(&body)?
        };
    let reason = request
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    suspended(&state, &operator, &slug, Some(reason), language).await
}

/// Suspends (with its reason, if any) or resumes (`reason` `None`) the tenant, and answers
/// how it is now.
async fn suspended(
    state: &AppState,
    operator: &OperatorPrincipal,
    slug: &str,
    reason: Option<Option<&str>>,
    language: Language,
) -> ApiResult<Json<TenantView>> {
    tenancy::set_suspended(
        &state.store,
        &operator.operator(),
        slug,
        reason.is_some(),
        reason.flatten(),
        now_ms(),
    )
    .await
    .map_err(|error| tenancy_error(error, language))?;
    let view = tenancy::show(&state.store, slug)
        .await
        .map_err(|error| tenancy_error(error, language))?;
    Ok(Json(view))
}

/// Resumes a suspended tenant: everything works again, on every server within a second.
#[utoipa::path(post, path = "/operator/tenants/{slug}/resume", tag = "operator", security(("operator_key" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = TenantView),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "`operator_only`"),
        (status = 404, body = Problem, description = "`not_found`"),
        (status = 429, body = Problem)))]
async fn resume_tenant(
    State(state): State<AppState>,
    operator: OperatorPrincipal,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> ApiResult<Json<TenantView>> {
    let language = Language::from_headers(&headers);
    suspended(&state, &operator, &slug, None, language).await
}

/// Deletes a tenant with every row it has (flows, calls and chats, people, keys, numbers,
/// knowledge, figures, its own audit log), in one transaction; `?confirm=` must repeat the
/// slug. The operator's audit log keeps the deletion.
#[utoipa::path(delete, path = "/operator/tenants/{slug}", tag = "operator", security(("operator_key" = [])),
    params(("slug" = String, Path), DeleteQuery),
    responses((status = 200, body = DeletedTenant),
        (status = 400, body = Problem, description = "`confirmation_required`: `confirm` is missing or not the slug"),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "`operator_only`"),
        (status = 404, body = Problem, description = "`not_found`"),
        (status = 429, body = Problem)))]
async fn delete_tenant(
    State(state): State<AppState>,
    operator: OperatorPrincipal,
    headers: HeaderMap,
    Path(slug): Path<String>,
    query: Result<Query<DeleteQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<DeletedTenant>> {
    let language = Language::from_headers(&headers);
    let Query(query) =
        query.map_err(|rejection| ApiError::bad_request("invalid_query", rejection.body_text()))?;
    let (tenant_id, deleted) = tenancy::delete(
        &state.store,
        &operator.operator(),
        &slug,
        query.confirm.as_deref().unwrap_or(""),
        now_ms(),
    )
    .await
    .map_err(|error| tenancy_error(error, language))?;
    state
        .quotas
        .counts
        .forget(&crate::quotas::counting_buckets(&tenant_id));
    Ok(Json(DeletedTenant {
        slug: slug.trim().to_owned(),
        rows: deleted
            .into_iter()
            .map(|(table, rows)| (table.to_owned(), rows))
            .collect(),
    }))
}

/// What operators did, newest first.
#[utoipa::path(get, path = "/operator/audit-log", tag = "operator", security(("operator_key" = [])),
    params(AuditQuery),
    responses((status = 200, body = Vec<OperatorAuditView>),
        (status = 400, body = Problem, description = "`invalid_parameter`: `limit` is not 1 to 500"),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "`operator_only`"),
        (status = 429, body = Problem)))]
async fn audit_log(
    State(state): State<AppState>,
    _operator: OperatorPrincipal,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<OperatorAuditView>>> {
    let language = Language::from_headers(&headers);
    let Query(pairs) =
        query.map_err(|rejection| ApiError::bad_request("invalid_query", rejection.body_text()))?;
    let mut tenant = None;
    let mut limit = 100;
    for (name, value) in &pairs {
        match name.as_str() {
            "tenant" => tenant = Some(value.trim().to_owned()),
            "limit" => limit = super::page_size_parameter("limit", value, 500, language)?,
            _ => {}
        }
    }
    let entries = state
        .store
        .list_operator_audit(tenant.as_deref(), limit)
        .await?;
    Ok(Json(entries.into_iter().map(Into::into).collect()))
}
