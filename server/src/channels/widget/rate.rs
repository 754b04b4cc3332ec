//! Rate limits of the public widget API, per visitor and per IP address: fixed one-minute
//! windows counted in the database, so that every server sharing it counts the same requests
//! and the limits hold for the whole deployment, not per server.

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

/// Counts one request of `visitor` (its token, when it has one) from `ip`, and refuses it
/// when either is over its limit. Tokens are counted by their hash: the table holds no tokens.
pub async fn admit(
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
        if store.count_widget_request(&bucket, window_start).await? > limit {
            let left_ms = window_start + WINDOW_MS - now_ms;
            let retry_after_secs = u64::try_from((left_ms + 999) / 1000).unwrap_or(1).max(1);
            return Err(RateError::Limited(Limited { retry_after_secs }));
        }
    }
    Ok(())
}

/// Forgets the counts of windows that have ended; answers how many.
pub async fn purge(store: &Store, now_ms: i64) -> Result<u64, StoreError> {
    store.purge_widget_rate_windows(now_ms - WINDOW_MS).await
}
