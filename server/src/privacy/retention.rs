//! Retention: each tenant's conversations are deleted `retention_days` after they ended, with
//! everything that hangs off them (see the store's `erasure` module for the tables), and so are
//! the phrasings not understood that nobody said since. The analytics sum tables keep their
//! counts: they hold no caller.
//!
//! Run by every server's periodic job. Each batch is a short transaction of its own, so the
//! purge never holds a long one; on PostgreSQL a batch claims its conversations with `SKIP
//! LOCKED`, so two servers purging at once delete each once and their audit entries' counts add
//! up to what was deleted.

use serde_json::json;

use crate::store::{Actor, Erased, Result, Store, Tenant};

/// Conversations per transaction: a few hundred rows of events each at most.
const BATCH: u32 = 200;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The audit action of a purge.
pub const PURGED: &str = "retention.purged";

/// The longest retention an owner may set: ten years, beyond any shop's legal duty to keep.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// Purges every tenant that has a retention; answers what was deleted, per tenant (those with
/// nothing to delete left out).
pub async fn purge_all(store: &Store, now_ms: i64) -> Result<Vec<(String, Erased)>> {
    let mut purged = Vec::new();
    for tenant in store.list_tenants().await? {
        let erased = purge_tenant(store, &tenant, now_ms).await?;
        if erased.conversations + erased.unheard_texts > 0 {
            purged.push((tenant.id, erased));
        }
    }
    Ok(purged)
}

/// Deletes the tenant's conversations that ended more than its `retention_days` ago, in
/// batches, then records one audit entry with the counts (none when nothing was deleted).
pub async fn purge_tenant(store: &Store, tenant: &Tenant, now_ms: i64) -> Result<Erased> {
    let Some(days) = tenant.settings.retention_days else {
        return Ok(Erased::default());
    };
    let ended_before = now_ms - i64::from(days) * DAY_MS;
    let mut total = Erased::default();
    loop {
        let mut transaction = store.transaction().await?;
        let batch = transaction
            .purge_ended_before(&tenant.id, ended_before, BATCH)
            .await?;
        transaction.commit().await?;
        total += batch;
        if batch.conversations < u64::from(BATCH) {
            break;
        }
    }
    loop {
        let mut transaction = store.transaction().await?;
        let (looked_at, forgotten) = transaction
            .purge_unheard_before(&tenant.id, ended_before, BATCH)
            .await?;
        transaction.commit().await?;
        total.unheard_texts += forgotten;
        if looked_at < u64::from(BATCH) {
            break;
        }
    }
    if total.conversations + total.unheard_texts > 0 {
        let mut detail = json!(total);
        detail["retention_days"] = json!(days);
        detail["ended_before"] = json!(ended_before);
        let mut transaction = store.transaction().await?;
        transaction
            .record_audit(
                &Actor::system(&tenant.id),
                PURGED,
                &tenant.id,
                &detail,
                now_ms,
            )
            .await?;
        transaction.commit().await?;
    }
    Ok(total)
}
