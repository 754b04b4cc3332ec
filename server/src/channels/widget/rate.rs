//! Rate limits of the public widget API, per visitor and per IP address, in fixed one-minute
//! windows, counted by the deployment's shared counter ([`crate::quotas::counter`]): every
//! server sharing the database counts the same requests, and a widget's long polls, one every
//! 20 s from each open chat, cost no write each.

use sha2::Digest;

use crate::quotas::counter::{SharedCounter, Window};
use crate::store::{Store, StoreError};

pub use crate::quotas::counter::Limited;

/// The length of a counting window.
pub const WINDOW_MS: i64 = 60_000;
/// Requests one visitor may make in a window: a chat polls every few seconds while a person
/// owns it and sends a message every few seconds at most.
pub const PER_VISITOR: i64 = 60;
/// Requests one IP address may make in a window: an office or a mobile carrier's gateway may
/// put many visitors behind one address.
pub const PER_IP: i64 = 600;

/// Limits of a few hundred a minute: exact past half of them.
const WINDOW: Window = Window {
    ms: WINDOW_MS,
    resync_ms: 0,
};

#[derive(Debug, thiserror::Error)]
pub enum RateError {
    #[error("rate limited")]
    Limited(Limited),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The widget's counts: what this server has not added to the database yet.
pub type RateCounter = SharedCounter;

/// Counts one request of `visitor` (its token, when it has one) from `ip`, and refuses it
/// when either is over its limit. Tokens are counted by their hash: no table or map holds
/// tokens.
pub async fn admit(
    counter: &RateCounter,
    store: &Store,
    visitor: Option<&str>,
    ip: &str,
    now_ms: i64,
) -> Result<(), RateError> {
    let mut buckets = vec![(format!("ip:{ip}"), PER_IP)];
    if let Some(token) = visitor {
        let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
        buckets.push((format!("visitor:{hash}"), PER_VISITOR));
    }
    for (bucket, limit) in buckets {
        if let Some(limited) = counter.admit(store, &bucket, limit, WINDOW, now_ms).await? {
            return Err(RateError::Limited(limited));
        }
    }
    Ok(())
}

/// Forgets the counts of windows that have ended (the widget's and the quotas' alike, none
/// of which is longer than a minute); answers how many.
pub async fn purge(store: &Store, now_ms: i64) -> Result<u64, StoreError> {
    crate::quotas::counter::purge(store, now_ms, WINDOW_MS).await
}
