//! The tenant's profile through the API: its names in Chinese and English, time zone and
//! region. Everyone in the shop reads it; owners change it.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult, Json};
use crate::language::Language;
use crate::state::AppState;
use crate::store::now_ms;
use crate::tenant_profile::{self, Profile, ProfileError, ProfileUpdate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_profile, put_profile))
        .routes(routes!(get_usage))
}

/// The tenant's quotas with their limits and use.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TenantUsage {
    /// Every quota, in a fixed order.
    pub quotas: Vec<crate::quotas::QuotaUse>,
}

/// What the tenant uses of each of its quotas (owners only): calls and chats open now, this
/// second's turns and this minute's API requests as this server counts them, and storage as
/// last measured (every ten minutes).
#[utoipa::path(get, path = "/tenant/usage", tag = "tenant",
    responses((status = 200, body = TenantUsage),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: only owners see the shop's usage")))]
async fn get_usage(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<TenantUsage>> {
    principal
        .require(Permission::ManageTenant)
        .map_err(|error| {
            forbidden(
                error,
                "只有店主可以查看用量。",
                "Only owners may see the shop's usage.",
            )
        })?;
    let quotas = crate::quotas::usage(&state, &principal.tenant_id, now_ms()).await?;
    Ok(Json(TenantUsage { quotas }))
}

/// The tenant's profile: its name in each language, time zone and region.
#[utoipa::path(get, path = "/tenant/profile", tag = "tenant",
    responses((status = 200, body = Profile),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: the role may not read the shop's settings")))]
async fn get_profile(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Json<Profile>> {
    let language = Language::from_headers(&headers);
    principal.require(Permission::ReadFlows).map_err(|error| {
        forbidden(
            error,
            "你的角色不能查看店铺资料。",
            "Your role may not see the shop's profile.",
        )
    })?;
    let profile = tenant_profile::get(&state.store, &principal.tenant_id)
        .await
        .map_err(|error| profile_error(error, language))?;
    Ok(Json(profile))
}

/// Replaces the profile (owners only). The names are what the editor's header, the dashboard
/// and `{{tenant.name}}` in flows of that language show.
#[utoipa::path(put, path = "/tenant/profile", tag = "tenant", request_body = ProfileUpdate,
    responses((status = 200, body = Profile),
        (status = 401, description = "`unauthorized`: not signed in"),
        (status = 403, description = "`forbidden`: only owners change the profile"),
        (status = 413, description = "`body_too_large`"),
        (status = 422, description = "`invalid_profile`, naming each wrong field \
            (`/display_name/zh-CN`, `/display_name/en`, `/time_zone`, `/region`); \
            `invalid_body` for a body of the wrong shape")))]
async fn put_profile(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(update): Json<ProfileUpdate>,
) -> ApiResult<Json<Profile>> {
    let language = Language::from_headers(&headers);
    principal
        .require(Permission::ManageTenant)
        .map_err(|error| {
            forbidden(
                error,
                "只有店主可以修改店铺资料。",
                "Only owners may change the shop's profile.",
            )
        })?;
    let profile = tenant_profile::update(&state.store, &principal.actor(), update, now_ms())
        .await
        .map_err(|error| profile_error(error, language))?;
    Ok(Json(profile))
}

/// The 403 of `require`, said for this page.
fn forbidden(error: ApiError, zh: &str, en: &str) -> ApiError {
    error.reworded(zh, en)
}

fn profile_error(error: ProfileError, language: Language) -> ApiError {
    match error {
        ProfileError::Invalid(wrong) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_profile",
            language.pick("店铺资料有错误。", "The shop's profile has errors."),
        )
        .with_errors(
            wrong
                .iter()
                .map(|problem| problem.render(language))
                .collect(),
        ),
        ProfileError::NotFound => ApiError::not_found("the tenant").in_chinese("找不到这个租户"),
        ProfileError::Store(error) => error.into(),
    }
}
