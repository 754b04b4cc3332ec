//! The tenant's customer lookup through the API: its settings, and a trial of it.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Permission, Principal};
use crate::customers::{
    self, lookup, Caller, CustomerLookupError, CustomerLookupUpdate, CustomerLookupView,
    LookupOutcome,
};
use crate::error::{ApiError, ApiResult, Json};
use crate::language::Language;
use crate::state::AppState;
use crate::store::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_lookup, put_lookup, delete_lookup))
        .routes(routes!(try_lookup))
}

/// The tenant's customer lookup: the shop's URL that says who is calling, asked when every
/// conversation opens. The secret is never returned: `secret_set` says whether one is stored.
#[utoipa::path(get, path = "/customer-lookup", tag = "customers",
    responses((status = 200, body = CustomerLookupView)))]
async fn get_lookup(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<CustomerLookupView>> {
    principal.require(Permission::ManageTenant)?;
    Ok(Json(
        customers::view(&state.store, &principal.tenant_id).await?,
    ))
}

/// Replaces the customer lookup. The secret is sealed with the server's key; leave it out to
/// keep the stored one, or send `""` to remove it. Field errors are in the request's
/// `Accept-Language` (Chinese or English).
#[utoipa::path(put, path = "/customer-lookup", tag = "customers",
    request_body = CustomerLookupUpdate,
    responses((status = 200, body = CustomerLookupView),
        (status = 422, description = "`invalid_customer_lookup`, naming each wrong field \
            (`/url`, `/headers/<name>`, `/secret_header`, `/secret`, `/timeout_ms`) with its \
            code")))]
async fn put_lookup(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(update): Json<CustomerLookupUpdate>,
) -> ApiResult<Json<CustomerLookupView>> {
    principal.require(Permission::ManageTenant)?;
    let language = Language::from_headers(&headers);
    let secrets = super::server_key(&state)?;
    let view = customers::update(
        &state.store,
        secrets,
        &principal.actor(),
        update,
        language,
        now_ms(),
    )
    .await
    .map_err(|error| lookup_error(error, language))?;
    Ok(Json(view))
}

/// Removes the customer lookup: conversations no longer ask who is calling.
#[utoipa::path(delete, path = "/customer-lookup", tag = "customers",
    responses((status = 204), (status = 404, description = "`not_found`: none is configured")))]
async fn delete_lookup(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<StatusCode> {
    principal.require(Permission::ManageTenant)?;
    if customers::remove(&state.store, &principal.actor(), now_ms()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("the customer lookup").in_chinese("找不到客户查询的设置"))
    }
}

fn lookup_error(error: CustomerLookupError, language: Language) -> ApiError {
    match error {
        CustomerLookupError::Invalid(errors) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_customer_lookup",
            language.pick("客户查询的设置有误。", "the customer lookup has errors"),
        )
        .with_errors(errors),
        CustomerLookupError::Store(error) => error.into(),
    }
}

/// Whom a trial looks up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupTrial {
    /// A phone number, e.g. `+8613800000001`.
    #[serde(default)]
    pub phone: Option<String>,
    /// A chat-widget visitor's id.
    #[serde(default)]
    pub visitor: Option<String>,
    /// The shop's own id of a signed-in customer (`{{customer}}`), e.g. `C1001`.
    #[serde(default)]
    pub customer: Option<String>,
    /// The language of the flow to try it for (sent as `Accept-Language`), e.g. `en-US`.
    #[serde(default)]
    pub language: Option<String>,
}

/// What a trial found, and how long it took.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupTrialResult {
    #[serde(flatten)]
    pub outcome: LookupOutcome,
    pub duration_ms: i64,
}

/// Runs the stored lookup once (switched on or not), as a conversation would: the answer is
/// what a flow would see as `customer`, or why it would see none.
#[utoipa::path(post, path = "/customer-lookup/test", tag = "customers",
    request_body = LookupTrial,
    responses((status = 200, body = LookupTrialResult),
        (status = 404, description = "`not_found`: no customer lookup is configured")))]
async fn try_lookup(
    State(state): State<AppState>,
    principal: Principal,
    Json(trial): Json<LookupTrial>,
) -> ApiResult<Json<LookupTrialResult>> {
    principal.require(Permission::ManageTenant)?;
    let tenant_id = &principal.tenant_id;
    let settings = state
        .store
        .get_customer_lookup(tenant_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("the customer lookup").in_chinese("找不到客户查询的设置")
        })?;
    let tenant = state
        .store
        .get_tenant(tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("the tenant").in_chinese("找不到这个租户"))?;
    let given = |text: Option<String>| text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let caller = Caller {
        phone: given(trial.phone),
        visitor: given(trial.visitor),
        customer: given(trial.customer),
    };
    let found = lookup::run(
        &state,
        &tenant,
        &settings,
        &caller,
        trial.language.as_deref(),
    )
    .await;
    Ok(Json(LookupTrialResult {
        outcome: found.outcome,
        duration_ms: found.duration_ms,
    }))
}
