//! Signing in and out, who am I, and API keys.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::{self, SignInError, Via};
use crate::auth::{
    session_cookie, Credential, Permission, Principal, CLEAR_SESSION_COOKIE, SESSION_TTL,
};
use crate::client_address::ClientAddress;
use crate::error::{ApiError, ApiResult, Json};
use crate::language::Language;
use crate::state::AppState;
use crate::store::{now_ms, ApiKey, Role};
use crate::throttle::Whose;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(list_keys, create_key))
        .routes(routes!(revoke_key))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: UserView,
    /// Send this as `X-CSRF-Token` with every write made with the session cookie.
    pub csrf_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    #[schema(value_type = String, example = "editor")]
    pub role: Role,
    pub tenant_id: String,
}

/// Signs in with email and password and sets the session cookie.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    security(()),
    responses((status = 200, body = LoginResponse),
        (status = 401, description = "`invalid_credentials`: wrong email or password; `unauthorized`: the account is disabled"),
        (status = 403, description = "`tenant_suspended`: the service's operator suspended the shop"),
        (status = 429, description = "`sign_in_throttled`: too many failed sign-ins for the account (5 in 15 minutes) or from the address (20); `Retry-After` says when to try again", headers(("Retry-After" = u64, description = "seconds")))))]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddress(client): ClientAddress,
    Json(body): Json<LoginRequest>,
) -> ApiResult<Response> {
    let language = Language::from_headers(&headers);
    let (user, created) = accounts::sign_in(
        &state.store,
        &body.email,
        &body.password,
        &client,
        SESSION_TTL.as_millis() as i64,
        now_ms(),
    )
    .await
    .map_err(|error| sign_in_error(error, language))?;
    let secure = crate::security_headers::is_https(state.telephony.public_url.as_deref(), &headers);
    let cookie = session_cookie(&created.token, secure);
    let body = LoginResponse {
        csrf_token: created.session.csrf_token.clone(),
        user: UserView {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            tenant_id: user.tenant_id,
        },
    };
    let mut response = Json(body).into_response();
    let value = HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))?;
    response.headers_mut().insert(header::SET_COOKIE, value);
    Ok(response)
}

/// A failed sign-in in the asker's language: the sign-in page shows the detail as it is.
fn sign_in_error(error: SignInError, language: Language) -> ApiError {
    match error {
        SignInError::WrongCredentials => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            language.pick("邮箱或密码不正确。", "The email or the password is wrong."),
        ),
        SignInError::Disabled => ApiError::unauthorized(language.pick(
            "这个账号已停用，请联系管理员。",
            "This account is disabled; ask your administrator.",
        )),
        SignInError::Suspended => ApiError::new(
            StatusCode::FORBIDDEN,
            "tenant_suspended",
            language.pick(
                "你所在店铺的服务已被暂停，暂时无法登录。请联系服务运营方。",
                "Your shop's service is suspended, so you cannot sign in for now. Contact the service's operator.",
            ),
        ),
        SignInError::Throttled(refused) => {
            let minutes = refused.retry_after_secs.div_ceil(60);
            let detail = match (refused.whose, language) {
                (Whose::Account, Language::Chinese) => {
                    format!("这个账号登录失败次数过多，请 {minutes} 分钟后再试。")
                }
                (Whose::Account, Language::English) => format!(
                    "Too many failed sign-ins for this account; try again in {minutes} min."
                ),
                (Whose::Client, Language::Chinese) => {
                    format!("从你的网络地址登录失败次数过多，请 {minutes} 分钟后再试。")
                }
                (Whose::Client, Language::English) => format!(
                    "Too many failed sign-ins from your address; try again in {minutes} min."
                ),
            };
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "sign_in_throttled", detail)
                .retry_after(refused.retry_after_secs)
        }
        SignInError::Store(error) => error.into(),
    }
}

/// Ends the login session and clears its cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204)))]
async fn logout(State(state): State<AppState>, principal: Principal) -> ApiResult<Response> {
    if let Credential::Session { session_id, .. } = &principal.credential {
        state
            .store
            .delete_login_session(&principal.tenant_id, session_id)
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(CLEAR_SESSION_COOKIE),
    );
    Ok(response)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub tenant_id: String,
    pub tenant_name: String,
    /// The tenant's name in each language of the editor (`zh-CN`, `en`): its display name
    /// there, else its name.
    pub tenant_names: std::collections::BTreeMap<String, String>,
    #[schema(value_type = String, example = "owner")]
    pub role: Role,
    /// `user:<id>` or `key:<id>`.
    pub actor: String,
    /// For a login session (cookie): the token to send as `X-CSRF-Token` with writes, so that
    /// another tab of the same session can write too. Cross-site pages cannot read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

/// Who the request is authenticated as.
#[utoipa::path(get, path = "/auth/me", tag = "auth", responses((status = 200, body = MeResponse)))]
async fn me(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<MeResponse>> {
    let tenant = state
        .store
        .get_tenant(&principal.tenant_id)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized("the tenant no longer exists").in_chinese("这个租户已不存在")
        })?;
    let tenant_names = ["zh-CN", "en"]
        .into_iter()
        .map(|language| {
            let name = crate::conversation::tenant_name(&tenant, language);
            (language.to_owned(), name.to_owned())
        })
        .collect();
    Ok(Json(MeResponse {
        tenant_id: tenant.id,
        tenant_name: tenant.name,
        tenant_names,
        role: principal.role,
        actor: principal.actor().name,
        csrf_token: match principal.credential {
            Credential::Session { csrf_token, .. } => Some(csrf_token),
            Credential::ApiKey { .. } => None,
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    #[schema(value_type = String, example = "editor")]
    pub role: Role,
    /// The key's public part, to tell keys apart.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(key: ApiKey) -> Self {
        ApiKeyView {
            id: key.id,
            name: key.name,
            role: key.role,
            prefix: key.prefix,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    #[schema(schema_with = super::role_schema, example = "editor")]
    pub role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyView {
    pub key: ApiKeyView,
    /// The secret token. It is shown this once and cannot be recovered.
    pub token: String,
}

/// Lists the tenant's API keys (owners only).
#[utoipa::path(get, path = "/api-keys", tag = "auth", responses((status = 200, body = Vec<ApiKeyView>)))]
async fn list_keys(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<ApiKeyView>>> {
    principal.require(Permission::ManageTenant)?;
    let keys = state.store.list_api_keys(&principal.tenant_id).await?;
    Ok(Json(keys.into_iter().map(ApiKeyView::from).collect()))
}

/// Creates an API key; the token is in this answer only (owners only).
#[utoipa::path(post, path = "/api-keys", tag = "auth", request_body = NewApiKey,
    responses((status = 201, body = CreatedApiKeyView)))]
async fn create_key(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKeyView>)> {
    principal.require(Permission::ManageTenant)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "invalid_name",
            "a key needs a name of 1 to 100 characters",
        )
        .in_chinese("密钥名称须为 1 到 100 个字"));
    }
    let created = accounts::create_api_key(
        &state.store,
        &principal.actor(),
        name,
        body.role,
        Via::Api,
        now_ms(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKeyView {
            key: created.key.into(),
            token: created.token,
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevokeKeyQuery {
    /// `true` to revoke the very key the request is made with: without it that is refused
    /// (`revoking_own_key`), since the caller would lock itself out.
    #[serde(default)]
    pub own_key: bool,
}

/// Revokes an API key at once (owners only).
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "auth", params(("id" = String, Path), RevokeKeyQuery),
    responses((status = 204), (status = 404),
        (status = 400, description = "`invalid_query`"),
        (status = 409, description = "`revoking_own_key`: the request is made with this key; send `own_key=true` to revoke it anyway")))]
async fn revoke_key(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    query: Result<Query<RevokeKeyQuery>, QueryRejection>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::ManageTenant)?;
    let Query(query) = query.map_err(|rejection| ApiError::invalid_query(&rejection))?;
    let is_own = matches!(&principal.credential, Credential::ApiKey { key_id } if *key_id == id);
    if is_own && !query.own_key {
        return Err(ApiError::conflict(
            "revoking_own_key",
            "this request is made with the key it would revoke, and nothing could use it \
             afterwards; add ?own_key=true to revoke it anyway",
        )
        .in_chinese(
            "这个请求用的正是要撤销的密钥，撤销后将无法再用它；如确要撤销，请加上 ?own_key=true",
        ));
    }
    if !accounts::revoke_api_key(&state.store, &principal.actor(), &id, Via::Api, now_ms()).await? {
        return Err(ApiError::not_found("the API key").in_chinese("找不到这个 API 密钥"));
    }
    Ok(StatusCode::NO_CONTENT)
}
