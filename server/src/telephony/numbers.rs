//! A tenant's phone numbers and the flows they answer with. Each tenant binds numbers of its
//! own: binding a number another tenant has answers like any other number (the API tells
//! nobody which numbers other shops use), and an incoming call is the tenant's whose carrier
//! account signed it (see `channels::twilio::request`).

use serde_json::json;

use super::{is_phone_number, Mode};
use crate::store::{Actor, PhoneNumber, Store, StoreError};

/// What a number answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub flow_id: String,
    /// `None`: each call runs the flow's published version of its time.
    pub version: Option<i64>,
    pub mode: Mode,
}

#[derive(Debug, thiserror::Error)]
pub enum NumberError {
    #[error("\"{0}\" is not an E.164 phone number such as +8657188880000")]
    InvalidNumber(String),
    /// The tenant has no such flow (`None`), or the flow no such version.
    #[error("the tenant has no such flow or flow version")]
    FlowNotFound(Option<i64>),
    #[error("the phone number was not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The tenant's numbers, in order.
pub async fn list(store: &Store, tenant_id: &str) -> Result<Vec<PhoneNumber>, NumberError> {
    Ok(store.list_phone_numbers(tenant_id).await?)
}

/// One of the tenant's numbers; another tenant's is not found.
pub async fn get(store: &Store, tenant_id: &str, number: &str) -> Result<PhoneNumber, NumberError> {
    store
        .phone_number(tenant_id, number)
        .await?
        .ok_or(NumberError::NotFound)
}

/// Binds a number to one of the tenant's flows (or changes its binding), with its audit entry.
pub async fn bind(
    store: &Store,
    actor: &Actor,
    number: &str,
    binding: &Binding,
    now_ms: i64,
) -> Result<PhoneNumber, NumberError> {
    let tenant_id = actor.tenant_id.as_str();
    if !is_phone_number(number) {
        return Err(NumberError::InvalidNumber(number.to_owned()));
    }
    let no_such_flow = || NumberError::FlowNotFound(None);
    if store.get_flow(tenant_id, &binding.flow_id).await?.is_none() {
        return Err(no_such_flow());
    }
    if let Some(version) = binding.version {
        if store
            .get_flow_version(tenant_id, &binding.flow_id, version)
            .await?
            .is_none()
        {
            return Err(NumberError::FlowNotFound(Some(version)));
        }
    }
    let row = PhoneNumber {
        number: number.to_owned(),
        tenant_id: tenant_id.to_owned(),
        flow_id: binding.flow_id.clone(),
        flow_version: binding.version,
        mode: binding.mode,
        settings: json!({}),
        created_at: now_ms,
        updated_at: now_ms,
    };
    let mut transaction = store.transaction().await?;
    let saved = transaction
        .put_phone_number(&row)
        .await?
        .ok_or_else(no_such_flow)?;
    let detail = json!({
        "flow_id": binding.flow_id,
        "version": binding.version,
        "mode": binding.mode.as_str(),
    });
    transaction
        .record_audit(actor, "phone_number.bind", number, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(saved)
}

/// Releases a number: calls to it are no longer answered by a flow.
pub async fn release(
    store: &Store,
    actor: &Actor,
    number: &str,
    now_ms: i64,
) -> Result<(), NumberError> {
    let mut transaction = store.transaction().await?;
    if !transaction
        .delete_phone_number(&actor.tenant_id, number)
        .await?
    {
        return Err(NumberError::NotFound);
    }
    transaction
        .record_audit(actor, "phone_number.release", number, &json!({}), now_ms)
        .await?;
    transaction.commit().await?;
    Ok(())
}
