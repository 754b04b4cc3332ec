//! How each queue is doing: what waits now and for how long, and of the conversations handed
//! to it in the last day, how many an agent took, and how many within 20 seconds (the service
//! level contact centres report).

use super::QueueError;
use crate::store::{QueueCounts, Store};

/// The period the offered and answered counts cover.
pub const PERIOD_MS: i64 = 24 * 3_600_000;
/// Taken within this long counts as answered in time.
pub const SERVICE_LEVEL_MS: i64 = 20_000;

#[derive(Debug, Clone, PartialEq)]
pub struct QueueStat {
    pub queue: String,
    pub waiting: i64,
    pub active: i64,
    pub longest_wait_ms: Option<i64>,
    pub offered: i64,
    pub answered: i64,
    /// The share of those offered that were taken within [`SERVICE_LEVEL_MS`].
    pub answered_within_20s: Option<f64>,
}

impl QueueStat {
    fn of(counts: QueueCounts, now_ms: i64) -> QueueStat {
        QueueStat {
            longest_wait_ms: counts
                .oldest_waiting_since
                .map(|since| (now_ms - since).max(0)),
            answered_within_20s: (counts.offered > 0)
                .then(|| counts.answered_in_time as f64 / counts.offered as f64),
            queue: counts.queue,
            waiting: counts.waiting,
            active: counts.active,
            offered: counts.offered,
            answered: counts.answered,
        }
    }
}

/// Every queue of the tenant (those with nothing yet too), then any a conversation still
/// waits in although it was deleted.
pub async fn of(store: &Store, tenant_id: &str, now_ms: i64) -> Result<Vec<QueueStat>, QueueError> {
    let mut counts = store
        .queue_counts(tenant_id, now_ms - PERIOD_MS, SERVICE_LEVEL_MS)
        .await?;
    let mut stats = Vec::new();
    for queue in store.list_queues(tenant_id).await? {
        let found = counts
            .iter()
            .position(|counts| counts.queue == queue.key)
            .map(|index| counts.remove(index))
            .unwrap_or(QueueCounts {
                queue: queue.key,
                ..QueueCounts::default()
            });
        stats.push(QueueStat::of(found, now_ms));
    }
    stats.extend(
        counts
            .into_iter()
            .map(|counts| QueueStat::of(counts, now_ms)),
    );
    Ok(stats)
}
