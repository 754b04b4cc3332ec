//! Who is calling: the [`Principal`] extractor (an API key as a Bearer token, or a login
//! session cookie with a CSRF token for writes), and what each role may do.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{now_ms, Actor, Role};

/// The cookie that carries a login session.
pub const SESSION_COOKIE: &str = "callflow_session";
/// The header a cookie-authenticated write must carry, holding the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How long a login session lasts.
pub const SESSION_TTL: std::time::Duration = std::time::Duration::from_secs(12 * 60 * 60);

/// The `Set-Cookie` value that hands a browser its login session's token: out of scripts'
/// reach, never sent by other sites, and only over HTTPS when the server is reached so.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        SESSION_TTL.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that makes a browser forget its login session.
pub const CLEAR_SESSION_COOKIE: &str =
    "callflow_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";

/// What a request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See flows, versions and the schema.
    ReadFlows,
    /// Create, change, delete, import and publish flows.
    EditFlows,
    /// Start and drive web-chat sessions (the simulator).
    RunSessions,
    /// Place outbound phone calls, which ring real phones and cost money.
    PlaceCalls,
    /// See call records.
    ReadCalls,
    /// Manage API keys, users and tenant settings.
    ManageTenant,
    /// See knowledge bases and their entries, and try questions on them.
    ReadKnowledge,
    /// Take conversations handed to a queue and answer the customers (the agent console).
    AnswerConversations,
    /// Create, change, import and delete knowledge bases and their entries.
    EditKnowledge,
    /// See contact lists, their contacts and the do-not-call list.
    ReadContacts,
    /// Create, import, change and delete contact lists and do-not-call entries.
    EditContacts,
}

/// Owners do everything, placing calls included; editors build and try flows and keep the
/// knowledge bases and the contact lists; viewers read; agents take conversations from the
/// queues, and read the calls and the knowledge bases they answer from.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Owner => true,
        Role::Editor => matches!(
            permission,
            ReadFlows
                | EditFlows
                | RunSessions
                | ReadCalls
                | ReadKnowledge
                | EditKnowledge
                | ReadContacts
                | EditContacts
        ),
        Role::Viewer => matches!(
            permission,
            ReadFlows | ReadCalls | ReadKnowledge | ReadContacts
        ),
        Role::Agent => matches!(permission, ReadCalls | ReadKnowledge | AnswerConversations),
    }
}

/// How the principal proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    ApiKey {
        key_id: String,
    },
    Session {
        session_id: String,
        user_id: String,
        /// The login session's CSRF token, which `GET /auth/me` hands back to the page.
        csrf_token: String,
    },
}

/// The authenticated caller. Its tenant scopes every query of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: String,
    pub role: Role,
    pub credential: Credential,
}

impl Principal {
    /// Fails with 403 unless the role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if allows(self.role, permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "the role {} may not do this ({permission:?})",
                self.role
            ))
            .in_chinese("你的角色不能做这个操作"))
        }
    }

    /// Who does what the request asks, for audit entries and version authors: named
    /// `user:<id>` or `key:<id>`.
    /// The signed-in person's user id: only people answer customers and have a presence; an
    /// API key is refused (403).
    pub fn person(&self) -> Result<&str, ApiError> {
        match &self.credential {
            Credential::Session { user_id, .. } => Ok(user_id),
            Credential::ApiKey { .. } => Err(ApiError::forbidden(
                "only a signed-in person can do this, not an API key",
            )
            .in_chinese("只有登录的人才能做这件事，API 密钥不行")),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            tenant_id: self.tenant_id.clone(),
            name: match &self.credential {
                Credential::ApiKey { key_id } => format!("key:{key_id}"),
                Credential::Session { user_id, .. } => format!("user:{user_id}"),
            },
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = signed_in(parts, state).await?;
        if parts.extensions.get::<crate::quotas::Turns>().is_none() {
            crate::quotas::admit_api_request(state, &principal.tenant_id, now_ms()).await?;
        }
        if !is_safe(&parts.method) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            principal.check_csrf(sent)?;
        }
        Ok(principal)
    }
}

impl Principal {
    /// Fails with 403 unless a write made with a session cookie sent the session's CSRF token
    /// (as the header, or as a form's field when the page has no script); API keys are not sent
    /// by browsers on their own, so their writes need none.
    pub fn check_csrf(&self, sent: &str) -> Result<(), ApiError> {
        match &self.credential {
            Credential::Session { csrf_token, .. } if !same_secret(sent, csrf_token) => {
                Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "csrf_token_mismatch",
                    format!("writes with a session cookie must send the {CSRF_HEADER} header given at sign-in"),
                ).in_chinese(format!("用登录会话写入时须带上登录时给出的 {CSRF_HEADER} 请求头")))
            }
            _ => Ok(()),
        }
    }
}

/// Who sent the request, by API key or session cookie, with no CSRF check: for the extractor
/// above, and for pages' forms, which check the token they carry with [`Principal::check_csrf`].
pub async fn signed_in(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let principal = credential(parts, state).await?;
    refuse_suspended(state, &principal.tenant_id).await?;
    Ok(principal)
}

/// `403 tenant_suspended` while the operator has suspended the tenant (see `crate::tenancy`).
pub async fn refuse_suspended(state: &AppState, tenant_id: &str) -> Result<(), ApiError> {
    match crate::tenancy::ensure_active(&state.store, tenant_id).await {
        Ok(()) => Ok(()),
        Err(crate::tenancy::Inactive::Suspended) => Err(tenant_suspended()),
        Err(crate::tenancy::Inactive::Store(error)) => Err(error.into()),
    }
}

/// What a suspended tenant's people, keys and widget visitors are answered.
pub fn tenant_suspended() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "tenant_suspended",
        "this shop's service is suspended by the service's operator; contact them to resume it",
    )
    .in_chinese("该店铺的服务已被服务运营方暂停，请联系运营方恢复")
}

/// `429 api_key_throttled`: too many unknown keys from one address (see `crate::throttle`).
fn key_throttled(refused: crate::throttle::Refused) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "api_key_throttled",
        format!(
            "too many unknown or revoked API keys from this address; try again in {} s",
            refused.retry_after_secs
        ),
    )
    .in_chinese(format!(
        "这个地址发来的无效或已吊销的密钥过多，请 {} 秒后再试",
        refused.retry_after_secs
    ))
    .retry_after(refused.retry_after_secs)
}

/// Who the request comes from, by key or cookie, whatever the state of their tenant.
async fn credential(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    if let Some(token) = bearer_token(&parts.headers)? {
        if crate::store::is_operator_token(token) {
            return Err(ApiError::unauthorized(
                "an operator key works only on /api/v1/operator; a shop's API needs the shop's API key",
            )
            .in_chinese("运营方密钥只能用于 /api/v1/operator；店铺的接口需要店铺的 API 密钥"));
        }
        let now = now_ms();
        let Some(key) = state.store.authenticate_api_key(token, now).await? else {
            let client = crate::client_address::of(parts);
            return Err(
                match crate::throttle::api_key_failed(&state.store, &client, now).await? {
                    Some(refused) => key_throttled(refused),
                    None => ApiError::unauthorized("the API key is unknown or revoked")
                        .in_chinese("API 密钥不存在或已吊销"),
                },
            );
        };
        return Ok(Principal {
            tenant_id: key.tenant_id,
            role: key.role,
            credential: Credential::ApiKey { key_id: key.id },
        });
    }
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Err(ApiError::unauthorized(
            "sign in, or send an API key as Authorization: Bearer <key>",
        )
        .in_chinese("请先登录，或用 Authorization: Bearer <密钥> 发送 API 密钥"));
    };
    let (session, user) = state
        .store
        .authenticate_login_session(token, now_ms())
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized("the session has expired; sign in again")
                .in_chinese("登录已过期，请重新登录")
        })?;
    Ok(Principal {
        tenant_id: session.tenant_id,
        role: user.role,
        credential: Credential::Session {
            session_id: session.id,
            user_id: user.id,
            csrf_token: session.csrf_token,
        },
    })
}

/// The service's operator, by an operator key (`cfo_…`) as a Bearer token: for
/// `/api/v1/operator` only. A shop's key or session is refused with 403 (it is a credential,
/// not this API's); an unknown or revoked operator key with 401, counted against the address
/// as unknown API keys are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorPrincipal {
    pub key_id: String,
}

impl OperatorPrincipal {
    pub fn operator(&self) -> crate::tenancy::Operator {
        crate::tenancy::Operator::Key(self.key_id.clone())
    }
}

fn not_operator() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "operator_only",
        "only the service's operator may do this, with an operator key; a shop's key or sign-in cannot",
    )
    .in_chinese("只有服务运营方可以用运营方密钥执行此操作；店铺的密钥或登录不行")
}

impl FromRequestParts<AppState> for OperatorPrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = bearer_token(&parts.headers)? else {
            if cookie(&parts.headers, SESSION_COOKIE).is_some() {
                return Err(not_operator());
            }
            return Err(ApiError::unauthorized(
                "send an operator key as Authorization: Bearer cfo_…",
            )
            .in_chinese("请用 Authorization: Bearer cfo_… 发送运营方密钥"));
        };
        if !crate::store::is_operator_token(token) {
            return Err(not_operator());
        }
        let now = now_ms();
        match state.store.authenticate_operator_key(token, now).await? {
            Some(key) => Ok(OperatorPrincipal { key_id: key.id }),
            None => {
                let client = crate::client_address::of(parts);
                Err(
                    match crate::throttle::api_key_failed(&state.store, &client, now).await? {
                        Some(refused) => key_throttled(refused),
                        None => ApiError::unauthorized("the operator key is unknown or revoked")
                            .in_chinese("运营方密钥不存在或已吊销"),
                    },
                )
            }
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The Bearer token, if the request has an Authorization header; a malformed header is an error
/// rather than a silent fall-back to the cookie.
fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| {
        ApiError::unauthorized("the Authorization header is not readable text")
            .in_chinese("Authorization 请求头不是可读的文本")
    })?;
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(
            ApiError::unauthorized("use Authorization: Bearer <API key>")
                .in_chinese("请用 Authorization: Bearer <API 密钥>"),
        ),
    }
}

/// A cookie's value by name.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Compares two secrets in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_what_they_should() {
        use Permission::*;
        let all = [
            ReadFlows,
            EditFlows,
            RunSessions,
            PlaceCalls,
            ReadCalls,
            ManageTenant,
            ReadKnowledge,
            EditKnowledge,
            ReadContacts,
            EditContacts,
        ];
        let allowed = |role| {
            all.iter()
                .filter(|p| allows(role, **p))
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(allowed(Role::Owner), all.to_vec());
        assert_eq!(
            allowed(Role::Editor),
            vec![
                ReadFlows,
                EditFlows,
                RunSessions,
                ReadCalls,
                ReadKnowledge,
                EditKnowledge,
                ReadContacts,
                EditContacts
            ]
        );
        assert_eq!(
            allowed(Role::Viewer),
            vec![ReadFlows, ReadCalls, ReadKnowledge, ReadContacts]
        );
        assert_eq!(allowed(Role::Agent), vec![ReadCalls, ReadKnowledge]);
    }

    #[test]
    fn session_cookies_are_set_and_cleared_by_the_same_name() {
        let set = session_cookie("abc", true);
        assert!(set.starts_with(&format!("{SESSION_COOKIE}=abc;")), "{set}");
        assert!(set.ends_with("; Secure"), "{set}");
        assert!(!session_cookie("abc", false).contains("Secure"));
        assert!(CLEAR_SESSION_COOKIE.starts_with(&format!("{SESSION_COOKIE}=;")));
        assert!(CLEAR_SESSION_COOKIE.ends_with("Max-Age=0"));
    }

    #[test]
    fn cookies_and_bearer_tokens_are_read_exactly() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; callflow_session=abc; b=2".parse().expect("header"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "callflow"), None);
        headers.insert(
            header::AUTHORIZATION,
            "Bearer cf_x_y".parse().expect("header"),
        );
        assert_eq!(bearer_token(&headers).expect("valid"), Some("cf_x_y"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().expect("header"));
        assert!(bearer_token(&headers).is_err());
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
    }
}
