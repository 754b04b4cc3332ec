//! The people of a tenant as its owners manage them: roles, disabling, signing out everywhere
//! (here), and the one-time links that bring people in or give them a new password
//! ([`invites`]). Every change is written with its audit entry.

pub mod invites;

use serde_json::json;

use crate::accounts::{self, AccountError, Via};
use crate::store::{Actor, Role, Store, StoreError, User};

/// Why a change to a person was refused.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("the tenant has no such user")]
    NotFound,
    /// An owner changing their own role or disabling themselves must say they mean it.
    #[error("this changes your own account; confirm to go on")]
    OwnAccount,
    #[error("the tenant's last owner cannot be demoted or disabled")]
    LastOwner,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccountError> for PeopleError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::LastOwner => PeopleError::LastOwner,
            AccountError::Store(error) => PeopleError::Store(error),
        }
    }
}

/// Refuses a change to the actor's own account unless `confirmed`.
fn confirm_own(actor: &Actor, user_id: &str, confirmed: bool) -> Result<(), PeopleError> {
    if accounts::actor_user_id(actor) == Some(user_id) && !confirmed {
        return Err(PeopleError::OwnAccount);
    }
    Ok(())
}

async fn user_after(store: &Store, actor: &Actor, user_id: &str) -> Result<User, PeopleError> {
    store
        .get_user(&actor.tenant_id, user_id)
        .await?
        .ok_or(PeopleError::NotFound)
}

/// Gives a user of the actor's tenant another role.
pub async fn set_role(
    store: &Store,
    actor: &Actor,
    user_id: &str,
    role: Role,
    own_confirmed: bool,
    now_ms: i64,
) -> Result<User, PeopleError> {
    confirm_own(actor, user_id, own_confirmed)?;
    if !accounts::set_user_role(store, actor, user_id, role, Via::Api, now_ms).await? {
        return Err(PeopleError::NotFound);
    }
    user_after(store, actor, user_id).await
}

/// Disables a user of the actor's tenant, which ends their sessions and stops the API keys
/// they made at once, or enables them again.
pub async fn set_disabled(
    store: &Store,
    actor: &Actor,
    user_id: &str,
    disabled: bool,
    own_confirmed: bool,
    now_ms: i64,
) -> Result<User, PeopleError> {
    confirm_own(actor, user_id, own_confirmed)?;
    if !accounts::set_user_disabled(store, actor, user_id, disabled, Via::Api, now_ms).await? {
        return Err(PeopleError::NotFound);
    }
    user_after(store, actor, user_id).await
}

/// Ends every login session of a user of the actor's tenant; returns how many there were.
pub async fn sign_out_everywhere(
    store: &Store,
    actor: &Actor,
    user_id: &str,
    now_ms: i64,
) -> Result<u64, PeopleError> {
    let mut transaction = store.transaction().await?;
    if transaction
        .get_user(&actor.tenant_id, user_id)
        .await?
        .is_none()
    {
        return Err(PeopleError::NotFound);
    }
    let ended = transaction
        .delete_user_login_sessions(&actor.tenant_id, user_id)
        .await?;
    transaction
        .record_audit(
            actor,
            "user.sign_out_everywhere",
            user_id,
            &json!({ "sessions": ended }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(ended)
}
