//! Counts in fixed windows shared by every server on one database: the widget's rate limits
//! per visitor and address ([`crate::channels::widget::rate`]) and the tenants' quotas of API
//! requests and turns ([`crate::quotas`]). The counts live in the database
//! (`widget_rate_windows`, which holds any bucket despite its name), so that a limit holds for
//! the whole deployment, not per server.
//!
//! A server does not write each request there: while a count is under half its limit it is
//! kept here and added to the database's in one batch a second ([`SharedCounter::send_all`]);
//! past half, the request is added at once (or, for windows of `resync_ms` > 0, at most once
//! per `resync_ms`) and the total read back before it is let in. So the limit is exact where it
//! decides (unless one bucket gets more than half its limit in a second from servers that have
//! not sent theirs yet). Once the database's count is known to be at the limit, the rest of the
//! window is refused here without writing anything: a flood past a limit costs a lookup in a
//! map, not a write, so that it cannot slow down the other tenants sharing the database.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::{Store, StoreError};

/// Counts sent in one transaction at most: on SQLite a transaction holds the one writer, and
/// a wave of long polls ending together left 2,500 counts to send, whose one transaction held
/// every conversation's turn for a tenth of a second.
const SEND_AT_ONCE: usize = 64;

/// How a bucket is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The length of a counting window.
    pub ms: i64,
    /// Past half the limit, how often at most this server adds its count to the database's:
    /// 0 for every request (exact, for limits of a few hundred a minute); more for limits of
    /// thousands a second, where a write per request would cost more than it protects.
    pub resync_ms: i64,
}

/// A request over a limit: how long until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after_secs: u64,
}

/// A bucket's window: its name (`visitor:<token hash>`, `ip:<address>`, `api:<tenant>`…) and
/// when the window started.
type Key = (String, i64);

/// One window's count as this server knows it.
#[derive(Debug, Default, Clone, Copy)]
struct Count {
    /// The database's count when this server last added to it.
    shared: i64,
    /// This server's requests since.
    unsent: i64,
    /// When this server last added to the database's count at once (not in the batch).
    sent_at: i64,
    /// The window's length, to forget it once it has ended.
    window_ms: i64,
}

impl Count {
    fn estimate(self) -> i64 {
        self.shared + self.unsent
    }
}

/// This server's side of the counts: what it has not added to the database yet.
#[derive(Debug, Default)]
pub struct SharedCounter {
    counts: Mutex<HashMap<Key, Count>>,
}

impl SharedCounter {
    /// Counts one request in `bucket`, and refuses it when the bucket's window is over `limit`.
    /// A request refused because the database's count is already at the limit is not counted.
    pub async fn admit(
        &self,
        store: &Store,
        bucket: &str,
        limit: i64,
        window: Window,
        now_ms: i64,
    ) -> Result<Option<Limited>, StoreError> {
        let window_start = now_ms - now_ms.rem_euclid(window.ms);
        let limited = || {
            let left_ms = window_start + window.ms - now_ms;
            Limited {
                retry_after_secs: u64::try_from((left_ms + 999) / 1000).unwrap_or(1).max(1),
            }
        };
        let key = (bucket.to_owned(), window_start);
        let (estimate, send_now) = {
            let mut counts = self.lock();
            let count = counts.entry(key.clone()).or_insert(Count {
                window_ms: window.ms,
                ..Count::default()
            });
            if count.shared >= limit {
                return Ok(Some(limited()));
            }
            count.unsent += 1;
            let estimate = count.estimate();
            let send_now = estimate * 2 > limit
                && (window.resync_ms == 0 || now_ms - count.sent_at >= window.resync_ms);
            if send_now {
                count.sent_at = now_ms;
            }
            (estimate, send_now)
        };
        let total = if send_now {
            self.send(store, &key).await?
        } else {
            estimate
        };
        Ok((total > limit).then(limited))
    }

    /// The count of `bucket`'s window at `now_ms` as this server knows it (the database's when
    /// it last added to it, and its own since): for showing a tenant's use, not for deciding.
    pub fn known(&self, bucket: &str, window_ms: i64, now_ms: i64) -> i64 {
        let window_start = now_ms - now_ms.rem_euclid(window_ms);
        self.lock()
            .get(&(bucket.to_owned(), window_start))
            .map_or(0, |count| count.estimate())
    }

    /// Adds every unsent count to the database's, and forgets the windows that ended before
    /// `now_ms`; answers how many counts it sent. Counts it could not send stay to be sent
    /// next time.
    pub async fn send_all(&self, store: &Store, now_ms: i64) -> Result<usize, StoreError> {
        let unsent: Vec<(Key, i64)> = {
            let mut counts = self.lock();
            counts
                .retain(|(_, start), count| count.unsent > 0 || *start + count.window_ms > now_ms);
            counts
                .iter_mut()
                .filter(|(_, count)| count.unsent > 0)
                .map(|(key, count)| (key.clone(), std::mem::take(&mut count.unsent)))
                .collect()
        };
        if unsent.is_empty() {
            return Ok(0);
        }
        let sent = unsent.len();
        let mut chunks = unsent.chunks(SEND_AT_ONCE);
        while let Some(chunk) = chunks.next() {
            let batch: Vec<(&str, i64, i64)> = chunk
                .iter()
                .map(|((bucket, start), hits)| (bucket.as_str(), *start, *hits))
                .collect();
            match store.add_widget_requests(&batch).await {
                Ok(totals) => {
                    let mut counts = self.lock();
                    for ((key, _), total) in chunk.iter().zip(totals) {
                        if let Some(count) = counts.get_mut(key) {
                            count.shared = count.shared.max(total);
                        }
                    }
                }
                Err(error) => {
                    self.unsend(chunk.iter().chain(chunks.flatten()).cloned().collect());
                    return Err(error);
                }
            }
        }
        Ok(sent)
    }

    /// Adds the window's unsent count to the database's now; answers the total, with what
    /// this server counted meanwhile.
    async fn send(&self, store: &Store, key: &Key) -> Result<i64, StoreError> {
        let hits = self
            .lock()
            .get_mut(key)
            .map_or(0, |count| std::mem::take(&mut count.unsent));
        match store.add_widget_requests(&[(&key.0, key.1, hits)]).await {
            Ok(totals) => {
                let mut counts = self.lock();
                let total = totals.first().copied().unwrap_or(0);
                Ok(match counts.get_mut(key) {
                    Some(count) => {
                        count.shared = count.shared.max(total);
                        count.estimate()
                    }
                    None => total,
                })
            }
            Err(error) => {
                self.unsend(vec![(key.clone(), hits)]);
                Err(error)
            }
        }
    }

    /// Forgets this server's counts of `buckets`, sent or not: a deleted tenant's, which would
    /// otherwise be written back after its rows were deleted.
    pub fn forget(&self, buckets: &[String]) {
        self.lock()
            .retain(|(bucket, _), _| !buckets.contains(bucket));
    }

    /// Puts back counts that could not be sent.
    fn unsend(&self, unsent: Vec<(Key, i64)>) {
        let mut counts = self.lock();
        for (key, hits) in unsent {
            if let Some(count) = counts.get_mut(&key) {
                count.unsent += hits;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Count>> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Forgets the counts of windows that ended more than `kept_ms` ago; answers how many.
pub async fn purge(store: &Store, now_ms: i64, kept_ms: i64) -> Result<u64, StoreError> {
    store.purge_widget_rate_windows(now_ms - kept_ms).await
}
