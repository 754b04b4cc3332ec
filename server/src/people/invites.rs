//! One-time links an owner hands to a person, by chat or mail of their own (the server sends
//! no mail): an invite to join the tenant with a role, or a new password for a user. The token
//! is in the link only; the link works once and for [`LINK_TTL_MS`].

use serde_json::json;

use crate::accounts;
use crate::store::{
    Actor, CreatedInvite, CreatedLoginSession, Invite, InviteKind, NewInvite, NewUser, Role, Store,
    StoreError, UnusableInvite, User,
};

/// How long a link can be used: a week, time for a colleague to come back from leave.
pub const LINK_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("not an email address")]
    InvalidEmail,
    #[error("a name needs 1 to {MAX_NAME_CHARS} characters")]
    InvalidName,
    #[error("the password is too short")]
    PasswordTooShort,
    /// Emails are unique across tenants: someone already signs in with it.
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("no such user or invite")]
    NotFound,
    #[error("the link cannot be used: {0:?}")]
    Unusable(UnusableInvite),
    /// The user of a password reset was disabled after the link was made.
    #[error("the account is disabled")]
    Disabled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn check_name(name: &str) -> Result<&str, InviteError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(InviteError::InvalidName);
    }
    Ok(name)
}

/// Invites `email` into the actor's tenant as `role`; the answer holds the token, once.
pub async fn invite(
    store: &Store,
    actor: &Actor,
    email: &str,
    display_name: &str,
    role: Role,
    now_ms: i64,
) -> Result<CreatedInvite, InviteError> {
    let email = email.trim();
    if !accounts::is_email(email) {
        return Err(InviteError::InvalidEmail);
    }
    let display_name = check_name(display_name)?;
    if store.find_user_by_email(email).await?.is_some() {
        return Err(InviteError::EmailTaken);
    }
    let mut transaction = store.transaction().await?;
    let created = transaction
        .create_invite(
            &actor.tenant_id,
            &NewInvite {
                kind: InviteKind::Invite,
                email,
                display_name,
                role,
                user_id: None,
                created_by: &actor.name,
            },
            now_ms,
            LINK_TTL_MS,
        )
        .await?;
    let detail = json!({
        "email": created.invite.email,
        "display_name": display_name,
        "role": role,
    });
    transaction
        .record_audit(actor, "invite.create", &created.invite.id, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(created)
}

/// A link with which a user of the actor's tenant sets a new password; the answer holds the
/// token, once.
pub async fn password_reset_link(
    store: &Store,
    actor: &Actor,
    user_id: &str,
    now_ms: i64,
) -> Result<CreatedInvite, InviteError> {
    let mut transaction = store.transaction().await?;
    let user = transaction
        .get_user(&actor.tenant_id, user_id)
        .await?
        .ok_or(InviteError::NotFound)?;
    let created = transaction
        .create_invite(
            &actor.tenant_id,
            &NewInvite {
                kind: InviteKind::PasswordReset,
                email: &user.email,
                display_name: &user.display_name,
                role: user.role,
                user_id: Some(&user.id),
                created_by: &actor.name,
            },
            now_ms,
            LINK_TTL_MS,
        )
        .await?;
    transaction
        .record_audit(
            actor,
            "user.password_reset_link",
            &user.id,
            &json!({ "link": created.invite.id }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(created)
}

/// Withdraws a link of the actor's tenant that has not been used.
pub async fn withdraw(
    store: &Store,
    actor: &Actor,
    invite_id: &str,
    now_ms: i64,
) -> Result<Invite, InviteError> {
    let mut transaction = store.transaction().await?;
    let invite = transaction
        .delete_invite(&actor.tenant_id, invite_id)
        .await?
        .ok_or(InviteError::NotFound)?;
    let detail = json!({ "email": invite.email, "role": invite.role });
    transaction
        .record_audit(actor, "invite.delete", &invite.id, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(invite)
}

/// The link of `token` if it can still be used: what the page that opens it shows.
pub async fn look_up(store: &Store, token: &str, now_ms: i64) -> Result<Invite, InviteError> {
    let invite = store
        .find_invite(token)
        .await?
        .ok_or(InviteError::Unusable(UnusableInvite::Unknown))?;
    invite.usable(now_ms).map_err(InviteError::Unusable)?;
    Ok(invite)
}

/// Uses the link of `token`: an invite makes the user (named `display_name` if given), a reset
/// sets the user's password and ends their other sessions. Either way the person is signed in
/// with a session of `session_ttl_ms`.
pub async fn accept(
    store: &Store,
    token: &str,
    password: &str,
    display_name: Option<&str>,
    now_ms: i64,
    session_ttl_ms: i64,
) -> Result<(User, CreatedLoginSession), InviteError> {
    if password.chars().count() < accounts::MIN_PASSWORD_CHARS {
        return Err(InviteError::PasswordTooShort);
    }
    let display_name = display_name.map(check_name).transpose()?;
    let mut transaction = store.transaction().await?;
    let invite = transaction
        .take_invite(token, now_ms)
        .await?
        .map_err(InviteError::Unusable)?;
    let user = match (invite.kind, invite.user_id.as_deref()) {
        (InviteKind::PasswordReset, Some(user_id)) => {
            let user = transaction
                .get_user(&invite.tenant_id, user_id)
                .await?
                .ok_or(InviteError::NotFound)?;
            if user.disabled_at.is_some() {
                return Err(InviteError::Disabled);
            }
            transaction
                .set_user_password(&invite.tenant_id, user_id, password)
                .await?;
            transaction
                .delete_user_login_sessions(&invite.tenant_id, user_id)
                .await?;
            let actor = Actor {
                tenant_id: invite.tenant_id.clone(),
                name: format!("user:{user_id}"),
            };
            let detail = json!({ "link": invite.id, "link_by": invite.created_by });
            transaction
                .record_audit(&actor, "user.password_reset", user_id, &detail, now_ms)
                .await?;
            user
        }
        _ => {
            let new = NewUser {
                email: &invite.email,
                display_name: display_name.unwrap_or(&invite.display_name),
                password,
                role: invite.role,
            };
            let user = transaction
                .create_user(&invite.tenant_id, &new, now_ms)
                .await
                .map_err(|error| {
                    if error.is_conflict_on(crate::store::constraint::USER_EMAIL) {
                        InviteError::EmailTaken
                    } else {
                        InviteError::Store(error)
                    }
                })?;
            let actor = Actor {
                tenant_id: invite.tenant_id.clone(),
                name: format!("user:{}", user.id),
            };
            let detail = json!({
                "invite": invite.id,
                "invited_by": invite.created_by,
                "email": user.email,
                "role": user.role,
            });
            transaction
                .record_audit(&actor, "invite.accept", &user.id, &detail, now_ms)
                .await?;
            user
        }
    };
    transaction.commit().await?;
    let session = store
        .create_login_session(&user.tenant_id, &user.id, now_ms, session_ttl_ms)
        .await?
        .ok_or(InviteError::Disabled)?;
    Ok((user, session))
}
