//! The tenant's do-not-call list: numbers no campaign may dial.

use crate::store::{Store, StoreError};

/// Puts `phone_e164` on the tenant's do-not-call list because the other party asked during the
/// call `call_id` not to be called again (a flow's `opt_out` node). True when it was added;
/// false when the number was already listed, whose entry (and its source) stays as it was.
pub async fn add_from_call(
    store: &Store,
    tenant_id: &str,
    phone_e164: &str,
    call_id: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO do_not_call (tenant_id, phone, source, call_id, note, added_by, created_at) \
         VALUES ($1, $2, 'flow', $3, '', '', $4) ON CONFLICT (tenant_id, phone) DO NOTHING",
    )
    .bind(tenant_id)
    .bind(phone_e164)
    .bind(call_id)
    .bind(now_ms)
    .execute(&mut *store.write_connection().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}
