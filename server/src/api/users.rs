//! The tenant's people: listing them, inviting them with one-time links, their roles, disabling
//! them, password-reset links and signing out everywhere; and the public side of a link
//! (looking it up, accepting it).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{
    session_cookie, Credential, Permission, Principal, CLEAR_SESSION_COOKIE, SESSION_TTL,
};
use crate::error::{ApiError, ApiResult, Json, Problem};
use crate::language::Language;
use crate::people::invites::{self, InviteError};
use crate::people::{self, PeopleError};
use crate::state::AppState;
use crate::store::{now_ms, CreatedInvite, Invite, InviteKind, Role, UnusableInvite, User};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(create_invite))
        .routes(routes!(delete_invite))
        .routes(routes!(set_role))
        .routes(routes!(set_disabled))
        .routes(routes!(password_reset_link))
        .routes(routes!(revoke_user_sessions))
        .routes(routes!(revoke_own_sessions))
        .routes(routes!(look_up_invite))
        .routes(routes!(accept_invite))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    #[schema(schema_with = super::role_schema, example = "editor")]
    pub role: Role,
    /// `active` or `disabled`.
    pub status: &'static str,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
    /// Whether this is the person asking.
    pub is_you: bool,
}

impl PersonView {
    fn of(user: User, principal: &Principal) -> Self {
        let is_you = principal.person().ok() == Some(user.id.as_str());
        PersonView {
            is_you,
            status: if user.disabled_at.is_some() {
                "disabled"
            } else {
                "active"
            },
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            created_at: user.created_at,
            last_sign_in_at: user.last_sign_in_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InviteView {
    pub id: String,
    /// `invite` or `password_reset`.
    #[schema(value_type = String, example = "invite")]
    pub kind: InviteKind,
    pub email: String,
    pub display_name: String,
    #[schema(schema_with = super::role_schema, example = "editor")]
    pub role: Role,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<Invite> for InviteView {
    fn from(invite: Invite) -> Self {
        InviteView {
            id: invite.id,
            kind: invite.kind,
            email: invite.email,
            display_name: invite.display_name,
            role: invite.role,
            created_at: invite.created_at,
            expires_at: invite.expires_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeopleView {
    /// By email.
    pub users: Vec<PersonView>,
    /// Invites not yet accepted that can still be, newest first (owners only; empty for
    /// others).
    pub invites: Vec<InviteView>,
}

/// The tenant's users and open invites. Owners see everyone; anyone else sees only themselves.
#[utoipa::path(get, path = "/users", tag = "users",
    responses((status = 200, body = PeopleView), (status = 401, body = Problem)))]
async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<PeopleView>> {
    let owner = principal.require(Permission::ManageTenant).is_ok();
    let mut users = state.store.list_users(&principal.tenant_id).await?;
    if !owner {
        users.retain(|user| principal.person().ok() == Some(user.id.as_str()));
    }
    let invites = if owner {
        state
            .store
            .list_open_invites(&principal.tenant_id, now_ms())
            .await?
    } else {
        Vec::new()
    };
    Ok(Json(PeopleView {
        users: users
            .into_iter()
            .map(|user| PersonView::of(user, &principal))
            .collect(),
        invites: invites.into_iter().map(InviteView::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInviteRequest {
    #[schema(format = Email, example = "wang@example.com")]
    pub email: String,
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub display_name: String,
    #[schema(schema_with = super::role_schema, example = "editor")]
    pub role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedLinkView {
    pub invite: InviteView,
    /// The one-time token. It is in this answer only and cannot be recovered.
    pub token: String,
    /// Where the link leads on this server: `/#/invite/<token>`; put the server's address in
    /// front of it.
    pub path: String,
}

impl From<CreatedInvite> for CreatedLinkView {
    fn from(created: CreatedInvite) -> Self {
        CreatedLinkView {
            path: format!("/#/invite/{}", created.token),
            invite: created.invite.into(),
            token: created.token,
        }
    }
}

/// Invites a person by email with a role: a one-time link, valid for 7 days, whose token is
/// in this answer only; no mail is sent (owners only).
#[utoipa::path(post, path = "/users/invites", tag = "users", request_body = NewInviteRequest,
    responses((status = 201, body = CreatedLinkView),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "`forbidden`: not an owner"),
        (status = 409, body = Problem, description = "`email_taken`: someone already signs in with this email (emails are unique across tenants)"),
        (status = 422, body = Problem, description = "`invalid_body`: `errors[0].field` is `/email` (`invalid_email`) or `/display_name` (`invalid_name`)")))]
async fn create_invite(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(body): Json<NewInviteRequest>,
) -> ApiResult<(StatusCode, Json<CreatedLinkView>)> {
    let language = Language::from_headers(&headers);
    principal.require(Permission::ManageTenant)?;
    let created = invites::invite(
        &state.store,
        &principal.actor(),
        &body.email,
        &body.display_name,
        body.role,
        now_ms(),
    )
    .await
    .map_err(|error| invite_error(error, language))?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Withdraws an invite or a reset link that has not been used (owners only).
#[utoipa::path(delete, path = "/users/invites/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "`not_found`: no such unused link")))]
async fn delete_invite(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let language = Language::from_headers(&headers);
    principal.require(Permission::ManageTenant)?;
    invites::withdraw(&state.store, &principal.actor(), &id, now_ms())
        .await
        .map_err(|error| invite_error(error, language))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    #[schema(schema_with = super::role_schema, example = "viewer")]
    pub role: Role,
    /// `true` to change your own role; without it that is refused (`own_account`).
    #[serde(default)]
    pub confirm_own: bool,
}

/// Gives a user another role (owners only). The last enabled owner stays an owner.
#[utoipa::path(put, path = "/users/{id}/role", tag = "users", params(("id" = String, Path)),
    request_body = RoleChange,
    responses((status = 200, body = PersonView), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`last_owner`: the tenant's last enabled owner cannot be demoted; `own_account`: your own role, without `confirm_own`"),
        (status = 422, body = Problem, description = "`invalid_body`: an unknown role")))]
async fn set_role(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<RoleChange>,
) -> ApiResult<Json<PersonView>> {
    let language = Language::from_headers(&headers);
    principal.require(Permission::ManageTenant)?;
    let user = people::set_role(
        &state.store,
        &principal.actor(),
        &id,
        body.role,
        body.confirm_own,
        now_ms(),
    )
    .await
    .map_err(|error| people_error(error, language))?;
    Ok(Json(PersonView::of(user, &principal)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisabledChange {
    /// `true` disables the user: their sessions end and the API keys they made stop working at
    /// once. `false` enables them again.
    pub disabled: bool,
    /// `true` to disable yourself; without it that is refused (`own_account`).
    #[serde(default)]
    pub confirm_own: bool,
}

/// Disables or enables a user (owners only). The last enabled owner stays enabled.
#[utoipa::path(put, path = "/users/{id}/disabled", tag = "users", params(("id" = String, Path)),
    request_body = DisabledChange,
    responses((status = 200, body = PersonView), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`last_owner`: the tenant's last enabled owner cannot be disabled; `own_account`: yourself, without `confirm_own`")))]
async fn set_disabled(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<DisabledChange>,
) -> ApiResult<Json<PersonView>> {
    let language = Language::from_headers(&headers);
    principal.require(Permission::ManageTenant)?;
    let user = people::set_disabled(
        &state.store,
        &principal.actor(),
        &id,
        body.disabled,
        body.confirm_own,
        now_ms(),
    )
    .await
    .map_err(|error| people_error(error, language))?;
    Ok(Json(PersonView::of(user, &principal)))
}

/// A one-time link with which the user sets a new password, valid for 7 days; its token is in
/// this answer only (owners only). Using it ends the user's other sessions.
#[utoipa::path(post, path = "/users/{id}/password-reset", tag = "users", params(("id" = String, Path)),
    responses((status = 201, body = CreatedLinkView), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn password_reset_link(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<CreatedLinkView>)> {
    let language = Language::from_headers(&headers);
    principal.require(Permission::ManageTenant)?;
    let created = invites::password_reset_link(&state.store, &principal.actor(), &id, now_ms())
        .await
        .map_err(|error| invite_error(error, language))?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionsEnded {
    /// How many login sessions were ended.
    pub ended: u64,
}

/// Signs a user out everywhere: every login session of theirs ends (owners only).
#[utoipa::path(post, path = "/users/{id}/sessions/revoke", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = SessionsEnded), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn revoke_user_sessions(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionsEnded>> {
    let language = Language::from_headers(&headers);
    principal.require(Permission::ManageTenant)?;
    let ended = people::sign_out_everywhere(&state.store, &principal.actor(), &id, now_ms())
        .await
        .map_err(|error| people_error(error, language))?;
    Ok(Json(SessionsEnded { ended }))
}

/// Signs you out everywhere: every login session of yours ends, this one included, and its
/// cookie is cleared. For a signed-in person, not an API key.
#[utoipa::path(post, path = "/auth/sessions/revoke", tag = "auth",
    responses((status = 200, body = SessionsEnded), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "`forbidden`: made with an API key, which has no sessions")))]
async fn revoke_own_sessions(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let language = Language::from_headers(&headers);
    let user_id = principal.person()?.to_owned();
    let ended = people::sign_out_everywhere(&state.store, &principal.actor(), &user_id, now_ms())
        .await
        .map_err(|error| people_error(error, language))?;
    let mut response = Json(SessionsEnded { ended }).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(CLEAR_SESSION_COOKIE),
    );
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkToken {
    /// The token from the link (`/#/invite/<token>`).
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    /// `invite` (join the tenant) or `password_reset` (a new password).
    #[schema(value_type = String, example = "invite")]
    pub kind: InviteKind,
    pub email: String,
    pub display_name: String,
    #[schema(schema_with = super::role_schema, example = "editor")]
    pub role: Role,
    /// The tenant's name in each language of the editor (`zh-CN`, `en`).
    pub tenant_names: std::collections::BTreeMap<String, String>,
    pub expires_at: i64,
}

/// What a one-time link is for, so that its page can say so before it is used. Public: the
/// token is the credential.
#[utoipa::path(post, path = "/invites/look-up", tag = "users", request_body = LinkToken,
    security(()),
    responses((status = 200, body = LinkView),
        (status = 404, body = Problem, description = "`invite_not_found`: no such link"),
        (status = 410, body = Problem, description = "`invite_used`: the link was used already; `invite_expired`: it ran out")))]
async fn look_up_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<LinkToken>,
) -> ApiResult<Json<LinkView>> {
    let language = Language::from_headers(&headers);
    let invite = invites::look_up(&state.store, &body.token, now_ms())
        .await
        .map_err(|error| invite_error(error, language))?;
    let tenant = state
        .store
        .get_tenant(&invite.tenant_id)
        .await?
        .ok_or_else(|| invite_error(InviteError::Unusable(UnusableInvite::Unknown), language))?;
    let tenant_names = ["zh-CN", "en"]
        .into_iter()
        .map(|tag| {
            let name = crate::conversation::tenant_name(&tenant, tag);
            (tag.to_owned(), name.to_owned())
        })
        .collect();
    Ok(Json(LinkView {
        kind: invite.kind,
        email: invite.email,
        display_name: invite.display_name,
        role: invite.role,
        tenant_names,
        expires_at: invite.expires_at,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    pub token: String,
    /// At least 12 characters.
    #[schema(min_length = 12)]
    pub password: String,
    /// The name others see; an invite's own name when left out (ignored for a reset).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub display_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedInvite {
    pub user: PersonView,
    /// Send this as `X-CSRF-Token` with every write made with the session cookie.
    pub csrf_token: String,
}

/// Uses a one-time link: an invite makes the user, a reset sets the user's password (and ends
/// their other sessions). Either way the person is signed in (the session cookie is set) and
/// the link is used up. Public: the token is the credential.
#[utoipa::path(post, path = "/invites/accept", tag = "users", request_body = AcceptInvite,
    security(()),
    responses((status = 200, body = AcceptedInvite),
        (status = 401, body = Problem, description = "`unauthorized`: the account of a reset link was disabled"),
        (status = 404, body = Problem, description = "`invite_not_found`: no such link"),
        (status = 409, body = Problem, description = "`email_taken`: someone signed up with this email since the invite was made"),
        (status = 410, body = Problem, description = "`invite_used`: the link was used already; `invite_expired`: it ran out"),
        (status = 422, body = Problem, description = "`invalid_body`: `errors[0].field` is `/password` (`password_too_short`) or `/display_name` (`invalid_name`)")))]
async fn accept_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<AcceptInvite>,
) -> ApiResult<Response> {
    let language = Language::from_headers(&headers);
    let (user, created) = invites::accept(
        &state.store,
        &body.token,
        &body.password,
        body.display_name.as_deref(),
        now_ms(),
        SESSION_TTL.as_millis() as i64,
    )
    .await
    .map_err(|error| invite_error(error, language))?;
    let principal = Principal {
        tenant_id: user.tenant_id.clone(),
        role: user.role,
        credential: Credential::Session {
            session_id: created.session.id.clone(),
            user_id: user.id.clone(),
            csrf_token: created.session.csrf_token.clone(),
        },
    };
    let secure = crate::security_headers::is_https(state.telephony.public_url.as_deref(), &headers);
    let body = AcceptedInvite {
        user: PersonView::of(user, &principal),
        csrf_token: created.session.csrf_token,
    };
    let mut response = Json(body).into_response();
    let value = HeaderValue::from_str(&session_cookie(&created.token, secure))
        .map_err(|error| ApiError::internal(error.to_string()))?;
    response.headers_mut().insert(header::SET_COOKIE, value);
    Ok(response)
}

fn people_error(error: PeopleError, language: Language) -> ApiError {
    match error {
        PeopleError::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            language.pick("没有这个用户。", "There is no such user."),
        ),
        PeopleError::OwnAccount => ApiError::conflict(
            "own_account",
            language.pick(
                "这会改动你自己的账号；确认后再试（confirm_own）。",
                "This changes your own account; confirm to go on (confirm_own).",
            ),
        ),
        PeopleError::LastOwner => ApiError::conflict(
            "last_owner",
            language.pick(
                "这是最后一位启用中的所有者，不能降级或停用；请先把另一位成员设为所有者。",
                "This is the last enabled owner, who cannot be demoted or disabled; make someone else an owner first.",
            ),
        ),
        PeopleError::Store(error) => error.into(),
    }
}

fn invite_error(error: InviteError, language: Language) -> ApiError {
    let field = |field: &str, code: &'static str, zh: &str, en: &str| {
        let message = language.pick(zh, en).to_owned();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            message.clone(),
        )
        .with_field(field, code, message)
    };
    match error {
        InviteError::InvalidEmail => field(
            "/email",
            "invalid_email",
            "请填写有效的邮箱地址，例如 name@example.com。",
            "Enter an email address such as name@example.com.",
        ),
        InviteError::InvalidName => field(
            "/display_name",
            "invalid_name",
            "姓名需要 1 到 100 个字符。",
            "A name needs 1 to 100 characters.",
        ),
        InviteError::PasswordTooShort => field(
            "/password",
            "password_too_short",
            "密码至少需要 12 个字符。",
            "A password needs at least 12 characters.",
        ),
        InviteError::EmailTaken => ApiError::conflict(
            "email_taken",
            language.pick(
                "已有用户使用这个邮箱登录。",
                "Someone already signs in with this email.",
            ),
        ),
        InviteError::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            language.pick(
                "没有这个用户或未使用的链接。",
                "There is no such user or unused link.",
            ),
        ),
        InviteError::Unusable(UnusableInvite::Unknown) => ApiError::new(
            StatusCode::NOT_FOUND,
            "invite_not_found",
            language.pick(
                "这个链接无效，请向管理员要一个新链接。",
                "This link is not valid; ask your administrator for a new one.",
            ),
        ),
        InviteError::Unusable(UnusableInvite::Used) => ApiError::new(
            StatusCode::GONE,
            "invite_used",
            language.pick(
                "这个链接已经用过了，每个链接只能用一次。",
                "This link has been used already; each link works once.",
            ),
        ),
        InviteError::Unusable(UnusableInvite::Expired) => ApiError::new(
            StatusCode::GONE,
            "invite_expired",
            language.pick(
                "这个链接已过期，请向管理员要一个新链接。",
                "This link has expired; ask your administrator for a new one.",
            ),
        ),
        InviteError::Disabled => ApiError::unauthorized(language.pick(
            "这个账号已停用，请联系管理员。",
            "This account is disabled; ask your administrator.",
        )),
        InviteError::Store(error) => error.into(),
    }
}
