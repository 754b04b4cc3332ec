//! Rate limits of the public widget API, per visitor and per IP address, in fixed one-minute
//! windows. The counts live in the database, so that every server sharing it counts the same
//! requests and the limits hold for the whole deployment, not per server.
//!
//! A server does not write each request there: while a count is under half its limit it is
//! kept here and added to the database's in one batch a second ([`RateCounter::send_all`]);
//! past half, each request is added at once and the total read back before it is let in. So
//! the limit is exact where it decides (unless one bucket gets more than half its limit in a
//! second from servers that have not sent theirs yet), and a widget's long polls, one every
//! 20 s from each open chat, cost no write each.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::Digest;

use crate::store::{Store, StoreError};

/// The length of a counting window.
pub const WINDOW_MS: i64 = 60_000;
/// Requests one visitor may make in a window: a chat polls every few seconds while a person
/// owns it and sends a message every few seconds at most.
pub const PER_VISITOR: i64 = 60;
/// Requests one IP address may make in a window: an office or a mobile carrier's gateway may
/// put many visitors behind one address.
pub const PER_IP: i64 = 600;

/// Counts sent in one transaction at most: on SQLite a transaction holds the one writer, and
/// a wave of long polls ending together left 2,500 counts to send, whose one transaction held
/// every conversation's turn for a tenth of a second.
const SEND_AT_ONCE: usize = 64;

/// A request over a limit: how long until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after_secs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RateError {
    #[error("rate limited")]
    Limited(Limited),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A bucket's window: `visitor:<token hash>` or `ip:<address>`, and when the window started.
type Window = (String, i64);

/// One window's count as this server knows it.
#[derive(Debug, Default, Clone, Copy)]
struct Count {
    /// The database's count when this server last added to it.
    shared: i64,
    /// This server's requests since.
    unsent: i64,
}

impl Count {
    fn estimate(self) -> i64 {
        self.shared + self.unsent
    }
}

/// This server's side of the counts: what it has not added to the database yet.
#[derive(Debug, Default)]
pub struct RateCounter {
    counts: Mutex<HashMap<Window, Count>>,
}

impl RateCounter {
    /// Counts one request of `visitor` (its token, when it has one) from `ip`, and refuses it
    /// when either is over its limit. Tokens are counted by their hash: no table or map holds
    /// tokens.
    pub async fn admit(
        &self,
        store: &Store,
        visitor: Option<&str>,
        ip: &str,
        now_ms: i64,
    ) -> Result<(), RateError> {
        let window_start = now_ms - now_ms.rem_euclid(WINDOW_MS);
        let mut buckets = vec![(format!("ip:{ip}"), PER_IP)];
        if let Some(token) = visitor {
            let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
            buckets.push((format!("visitor:{hash}"), PER_VISITOR));
        }
        for (bucket, limit) in buckets {
            let window = (bucket, window_start);
            let estimate = self.count(&window);
            let total = if estimate * 2 > limit {
                self.send(store, &window).await?
            } else {
                estimate
            };
            if total > limit {
                let left_ms = window_start + WINDOW_MS - now_ms;
                let retry_after_secs = u64::try_from((left_ms + 999) / 1000).unwrap_or(1).max(1);
                return Err(RateError::Limited(Limited { retry_after_secs }));
            }
        }
        Ok(())
    }

    /// Adds every unsent count to the database's, and forgets the windows that ended before
    /// `now_ms`; answers how many counts it sent. Counts it could not send stay to be sent
    /// next time.
    pub async fn send_all(&self, store: &Store, now_ms: i64) -> Result<usize, StoreError> {
        let unsent: Vec<(Window, i64)> = {
            let mut counts = self.lock();
            counts.retain(|(_, start), count| count.unsent > 0 || *start + WINDOW_MS > now_ms);
            counts
                .iter_mut()
                .filter(|(_, count)| count.unsent > 0)
                .map(|(window, count)| (window.clone(), std::mem::take(&mut count.unsent)))
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
                    for ((window, _), total) in chunk.iter().zip(totals) {
                        let count = counts.entry(window.clone()).or_default();
                        count.shared = count.shared.max(total);
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

    /// Counts a request here; answers the window's count as this server knows it.
    fn count(&self, window: &Window) -> i64 {
        let mut counts = self.lock();
        let count = counts.entry(window.clone()).or_default();
        count.unsent += 1;
        count.estimate()
    }

    /// Adds the window's unsent count to the database's now; answers the total, with what
    /// this server counted meanwhile.
    async fn send(&self, store: &Store, window: &Window) -> Result<i64, StoreError> {
        let hits = std::mem::take(&mut self.lock().entry(window.clone()).or_default().unsent);
        match store
            .add_widget_requests(&[(&window.0, window.1, hits)])
            .await
        {
            Ok(totals) => {
                let mut counts = self.lock();
                let count = counts.entry(window.clone()).or_default();
                count.shared = count.shared.max(totals.first().copied().unwrap_or(0));
                Ok(count.estimate())
            }
            Err(error) => {
                self.unsend(vec![(window.clone(), hits)]);
                Err(error)
            }
        }
    }

    /// Puts back counts that could not be sent.
    fn unsend(&self, unsent: Vec<(Window, i64)>) {
        let mut counts = self.lock();
        for (window, hits) in unsent {
            counts.entry(window).or_default().unsent += hits;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Window, Count>> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Forgets the counts of windows that have ended; answers how many.
pub async fn purge(store: &Store, now_ms: i64) -> Result<u64, StoreError> {
    store.purge_widget_rate_windows(now_ms - WINDOW_MS).await
}
