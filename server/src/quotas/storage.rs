//! The tenants' stored bytes, measured by a periodic job ([`measure_all`]) rather than on each
//! write: the measure scans everything a tenant has, and a write only needs to know whether the
//! tenant was already over its quota. A tenant may therefore go over by what it writes between
//! two measures, ten minutes at most.
//!
//! Only a manager's writes are refused over the quota (a draft saved, flows or knowledge
//! imported); calls and chats keep being answered and recorded: a caller does not know about
//! the shop's storage, and a lost record is worse than a few megabytes over. The shop frees
//! space by deleting flows or knowledge, or with a shorter retention.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Quota, QuotaError, Refused};
use crate::state::AppState;
use crate::store::{Store, StoreError};

/// How often the job measures every tenant.
pub const MEASURE_EVERY_SECS: u64 = 10 * 60;

/// The last measure of each tenant's stored bytes, on this server.
#[derive(Debug, Default)]
pub struct Measured {
    bytes: Mutex<HashMap<String, i64>>,
}

impl Measured {
    fn get(&self, tenant_id: &str) -> Option<i64> {
        self.lock().get(tenant_id).copied()
    }

    fn set(&self, tenant_id: &str, bytes: i64) {
        self.lock().insert(tenant_id.to_owned(), bytes);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.bytes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The tenant's stored bytes as last measured, measuring them now if this server never has.
pub async fn stored_bytes(state: &AppState, tenant_id: &str) -> Result<i64, StoreError> {
    if let Some(bytes) = state.quotas.stored.get(tenant_id) {
        return Ok(bytes);
    }
    measure(&state.store, &state.quotas.stored, tenant_id).await
}

async fn measure(store: &Store, measured: &Measured, tenant_id: &str) -> Result<i64, StoreError> {
    let bytes = store.tenant_stored_bytes(tenant_id).await?;
    measured.set(tenant_id, bytes);
    Ok(bytes)
}

/// Measures every tenant; answers how many.
pub async fn measure_all(state: &AppState) -> Result<usize, StoreError> {
    let tenants = state.store.list_tenants().await?;
    for tenant in &tenants {
        measure(&state.store, &state.quotas.stored, &tenant.id).await?;
    }
    Ok(tenants.len())
}

/// Refuses a manager's write that would grow the tenant's data when the tenant is at its
/// storage quota (as last measured).
pub async fn admit_growth(state: &AppState, tenant_id: &str) -> Result<(), QuotaError> {
    let quotas = super::quotas_of(state, tenant_id).await?;
    let limit = Quota::StorageMb.limit(&quotas);
    let bytes = stored_bytes(state, tenant_id).await?;
    if bytes >= i64::from(limit) << 20 {
        state.metrics.count_quota_refusal(Quota::StorageMb);
        return Err(QuotaError::Refused(Refused {
            quota: Quota::StorageMb,
            limit,
            retry_after_secs: None,
        }));
    }
    Ok(())
}
