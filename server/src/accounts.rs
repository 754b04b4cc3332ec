//! Accounts: tenants, users and API keys, as the API and `callflow admin` change them, and
//! signing in. Each change is written in one transaction with its audit entry.

use serde_json::{json, Value};

use crate::throttle;

use crate::store::{
    Actor, CreatedApiKey, CreatedLoginSession, NewUser, Role, Store, StoreError, Tenant,
    TenantSettings, User,
};

/// Where a change comes from, as its audit entry says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The HTTP API, by the actor's credential.
    Api,
    /// An operator's `callflow admin`.
    Admin,
}

impl Via {
    fn mark(self, mut detail: Value) -> Value {
        if let (Via::Admin, Some(members)) = (self, detail.as_object_mut()) {
            members.insert("via".into(), "callflow admin".into());
        }
        detail
    }
}

/// Why a change to a user was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The change would leave the tenant without an enabled owner, and nobody could manage it
    /// but an operator.
    #[error("the tenant's last owner cannot be demoted or disabled; make another owner first")]
    LastOwner,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Whether `email` looks like an address (`name@example.com`); whether mail reaches it is not
/// checked.
pub fn is_email(email: &str) -> bool {
    email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
}

/// The user's id if the actor is a person (`user:<id>`).
pub fn actor_user_id(actor: &Actor) -> Option<&str> {
    actor.name.strip_prefix("user:")
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the email or the password is wrong")]
    WrongCredentials,
    #[error("the account is disabled")]
    Disabled,
    /// The operator suspended the user's tenant (see `crate::tenancy`); told only to whoever
    /// gave the right password.
    #[error("the shop's service is suspended")]
    Suspended,
    /// Too many wrong passwords for the account or from the address, lately.
    #[error("too many failed sign-ins; try again in {} s", .0.retry_after_secs)]
    Throttled(throttle::Refused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Signs a user in by email and password, in whichever tenant the email is: a login session
/// that lasts `ttl_ms`. `client` is the address the try comes from; see [`throttle`].
pub async fn sign_in(
    store: &Store,
    email: &str,
    password: &str,
    client: &str,
    ttl_ms: i64,
    now_ms: i64,
) -> Result<(User, CreatedLoginSession), SignInError> {
    if let Some(refused) = throttle::may_sign_in(store, email, client, now_ms).await? {
        tracing::warn!(
            whose = ?refused.whose,
            client,
            "a sign-in was refused: too many failures lately"
        );
        return Err(SignInError::Throttled(refused));
    }
    let Some(user) = store.authenticate_user(email, password).await? else {
        throttle::sign_in_failed(store, email, client, now_ms).await?;
        return Err(SignInError::WrongCredentials);
    };
    throttle::sign_in_succeeded(store, email).await?;
    match crate::tenancy::ensure_active(store, &user.tenant_id).await {
        Ok(()) => {}
        Err(crate::tenancy::Inactive::Suspended) => return Err(SignInError::Suspended),
        Err(crate::tenancy::Inactive::Store(error)) => return Err(error.into()),
    }
    let created = store
        .create_login_session(&user.tenant_id, &user.id, now_ms, ttl_ms)
        .await?
        .ok_or(SignInError::Disabled)?;
    Ok((user, created))
}

/// Creates a tenant, whose audit log starts with its creation.
pub async fn create_tenant(
    store: &Store,
    name: &str,
    slug: &str,
    settings: &TenantSettings,
    now_ms: i64,
) -> Result<Tenant, StoreError> {
    let mut transaction = store.transaction().await?;
    let tenant = transaction
        .create_tenant(name, slug, settings, now_ms)
        .await?;
    let detail = Via::Admin.mark(json!({ "name": tenant.name, "slug": tenant.slug }));
    transaction
        .record_audit(
            &Actor::system(&tenant.id),
            "tenant.create",
            &tenant.id,
            &detail,
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(tenant)
}

/// Renames a tenant and replaces its settings; `None` when there is no such tenant.
pub async fn update_tenant(
    store: &Store,
    actor: &Actor,
    name: &str,
    settings: &TenantSettings,
    via: Via,
    now_ms: i64,
) -> Result<Option<Tenant>, StoreError> {
    let mut transaction = store.transaction().await?;
    let Some(tenant) = transaction
        .update_tenant(&actor.tenant_id, name, settings)
        .await?
    else {
        return Ok(None);
    };
    let detail = via.mark(json!({ "name": tenant.name, "settings": tenant.settings }));
    transaction
        .record_audit(actor, "tenant.update", &tenant.id, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(Some(tenant))
}

/// Creates a user in the actor's tenant.
pub async fn create_user(
    store: &Store,
    actor: &Actor,
    new: &NewUser<'_>,
    via: Via,
    now_ms: i64,
) -> Result<User, StoreError> {
    let mut transaction = store.transaction().await?;
    let user = transaction
        .create_user(&actor.tenant_id, new, now_ms)
        .await?;
    let detail = via.mark(json!({ "email": user.email, "role": user.role }));
    transaction
        .record_audit(actor, "user.create", &user.id, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(user)
}

/// Changes what a user of the actor's tenant may do; `false` when it has no such user. Through
/// the API the last enabled owner stays an owner; an operator's `callflow admin` may still.
pub async fn set_user_role(
    store: &Store,
    actor: &Actor,
    user_id: &str,
    role: Role,
    via: Via,
    now_ms: i64,
) -> Result<bool, AccountError> {
    let mut transaction = store.transaction().await?;
    transaction.lock_tenant_users(&actor.tenant_id).await?;
    let Some(user) = transaction.get_user(&actor.tenant_id, user_id).await? else {
        return Ok(false);
    };
    if via == Via::Api
        && user.role == Role::Owner
        && role != Role::Owner
        && user.disabled_at.is_none()
    {
        keep_an_owner(&mut transaction, &actor.tenant_id, user_id).await?;
    }
    transaction
        .set_user_role(&actor.tenant_id, user_id, role)
        .await?;
    let detail = via.mark(json!({ "role": role, "previous_role": user.role }));
    transaction
        .record_audit(actor, "user.set_role", user_id, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(true)
}

/// Disables a user of the actor's tenant (ending their login sessions and stopping the API
/// keys they made) or enables them again; `false` when it has no such user. Through the API the
/// last enabled owner stays enabled; an operator's `callflow admin` may still.
pub async fn set_user_disabled(
    store: &Store,
    actor: &Actor,
    user_id: &str,
    disabled: bool,
    via: Via,
    now_ms: i64,
) -> Result<bool, AccountError> {
    let mut transaction = store.transaction().await?;
    transaction.lock_tenant_users(&actor.tenant_id).await?;
    let Some(user) = transaction.get_user(&actor.tenant_id, user_id).await? else {
        return Ok(false);
    };
    if via == Via::Api && disabled && user.role == Role::Owner {
        keep_an_owner(&mut transaction, &actor.tenant_id, user_id).await?;
    }
    let disabled_at = disabled.then_some(now_ms);
    transaction
        .set_user_disabled(&actor.tenant_id, user_id, disabled_at)
        .await?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    transaction
        .record_audit(actor, action, user_id, &via.mark(json!({})), now_ms)
        .await?;
    transaction.commit().await?;
    Ok(true)
}

/// Refuses a change that takes `user_id` from the tenant's enabled owners when it is the last.
async fn keep_an_owner(
    transaction: &mut crate::store::Transaction<'_>,
    tenant_id: &str,
    user_id: &str,
) -> Result<(), AccountError> {
    if transaction
        .count_other_enabled_owners(tenant_id, user_id)
        .await?
        == 0
    {
        return Err(AccountError::LastOwner);
    }
    Ok(())
}

/// Creates an API key in the actor's tenant; its token is in the answer only.
pub async fn create_api_key(
    store: &Store,
    actor: &Actor,
    name: &str,
    role: Role,
    via: Via,
    now_ms: i64,
) -> Result<CreatedApiKey, StoreError> {
    let mut transaction = store.transaction().await?;
    let created = transaction
        .create_api_key(&actor.tenant_id, name, role, actor_user_id(actor), now_ms)
        .await?;
    let detail = via.mark(json!({ "name": name, "role": role }));
    transaction
        .record_audit(actor, "api_key.create", &created.key.id, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(created)
}

/// Revokes one of the actor's tenant's keys at once; `false` when it has no such unrevoked
/// key.
pub async fn revoke_api_key(
    store: &Store,
    actor: &Actor,
    key_id: &str,
    via: Via,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let mut transaction = store.transaction().await?;
    if !transaction
        .revoke_api_key(&actor.tenant_id, key_id, now_ms)
        .await?
    {
        return Ok(false);
    }
    transaction
        .record_audit(
            actor,
            "api_key.revoke",
            key_id,
            &via.mark(json!({})),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(true)
}

/// Who did something, as records name them (`user:<id>`, `key:<id>`), by the names people
/// know: a person's display name (else their email), an API key's name. Actors that are gone,
/// and the system's, are left out.
pub async fn actor_names(
    store: &Store,
    tenant_id: &str,
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let mut names = std::collections::HashMap::new();
    for user in store.list_users(tenant_id).await? {
        let name = match user.display_name.trim() {
            "" => user.email,
            shown => shown.to_owned(),
        };
        names.insert(format!("user:{}", user.id), name);
    }
    for key in store.list_api_keys(tenant_id).await? {
        names.insert(format!("key:{}", key.id), key.name);
    }
    Ok(names)
}
