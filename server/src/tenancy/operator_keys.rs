//! Operator keys: made, listed and revoked by `callflow admin operator-key` (on the server's
//! machine: whoever can run it can read the database anyway), each change in the operator's
//! audit log. The API checks them in `auth::Operator`.

use serde_json::json;

use super::Operator;
use crate::store::{CreatedOperatorKey, OperatorKey, Store, StoreError};

/// The longest key name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Makes a key; its token is in the answer only.
pub async fn create(
    store: &Store,
    operator: &Operator,
    name: &str,
    now_ms: i64,
) -> Result<CreatedOperatorKey, StoreError> {
    let mut transaction = store.transaction().await?;
    let created = transaction.create_operator_key(name, now_ms).await?;
    transaction
        .record_operator_audit(
            &operator.name(),
            "operator_key.create",
            "",
            &json!({ "key": created.key.id, "name": name }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(created)
}

pub async fn list(store: &Store) -> Result<Vec<OperatorKey>, StoreError> {
    store.list_operator_keys().await
}

/// Revokes a key at once on every server; `false` when there is no such unrevoked key.
pub async fn revoke(
    store: &Store,
    operator: &Operator,
    key_id: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let mut transaction = store.transaction().await?;
    if !transaction.revoke_operator_key(key_id, now_ms).await? {
        return Ok(false);
    }
    transaction
        .record_operator_audit(
            &operator.name(),
            "operator_key.revoke",
            "",
            &json!({ "key": key_id }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(true)
}
