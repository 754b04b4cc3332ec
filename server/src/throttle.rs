//! Guessing passwords and API keys made slow: failures are counted per account and per client
//! address over a sliding window, in the database (so that every server sharing it refuses
//! the same guesser), and past a limit the next try is refused with a time to wait — before
//! the password is even looked at, so that the right one guessed late is refused too.

use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError};

/// How far back failures count.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Wrong passwords for one account within the window: a person who mistypes a few times is not
/// stopped, a guesser gets five tries in a quarter of an hour.
pub const PER_ACCOUNT: i64 = 5;
/// Failed sign-ins from one address within the window, whatever the accounts: an office behind
/// one address may have several people mistyping, a guesser spreading over accounts may not.
pub const PER_CLIENT: i64 = 20;
/// Unknown or revoked API keys from one address within the window. Keys cannot be guessed, so
/// this limits scanning and a script stuck on a revoked key, not access.
pub const KEYS_PER_CLIENT: i64 = 20;

/// Whose failures refused the try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Account,
    Client,
}

/// A try refused: whose limit, and when the oldest counted failure leaves the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub whose: Whose,
    pub retry_after_secs: u64,
}

/// An account is counted by its email as typed (trimmed, lower-cased), hashed: the table keeps
/// no addresses, and an email nobody has counts like one that exists, so the refusal tells a
/// guesser nothing.
fn account(email: &str) -> String {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("account:{hex}")
}

fn client(address: &str) -> String {
    format!("client:{address}")
}

fn key_client(address: &str) -> String {
    format!("key-client:{address}")
}

/// Whether the bucket has `limit` failures in the window before `now_ms`, and if so until when.
async fn over(
    store: &Store,
    bucket: &str,
    limit: i64,
    whose: Whose,
    now_ms: i64,
) -> Result<Option<Refused>, StoreError> {
    let times = store
        .recent_credential_failures(bucket, now_ms - WINDOW_MS, limit)
        .await?;
    Ok(refusal(&times, limit, whose, now_ms))
}

/// `times` newest first: with `limit` of them in the window, the try waits until the oldest of
/// those leaves it.
fn refusal(times: &[i64], limit: i64, whose: Whose, now_ms: i64) -> Option<Refused> {
    let limit = usize::try_from(limit).ok()?;
    if limit == 0 || times.len() < limit {
        return None;
    }
    let free_at = times[limit - 1] + WINDOW_MS;
    let wait_ms = (free_at - now_ms).max(1);
    Some(Refused {
        whose,
        retry_after_secs: u64::try_from(wait_ms).map_or(1, |ms| ms.div_ceil(1000)),
    })
}

/// Whether a sign-in as `email` from `address` may be tried now.
pub async fn may_sign_in(
    store: &Store,
    email: &str,
    address: &str,
    now_ms: i64,
) -> Result<Option<Refused>, StoreError> {
    if let Some(refused) = over(store, &account(email), PER_ACCOUNT, Whose::Account, now_ms).await?
    {
        return Ok(Some(refused));
    }
    over(store, &client(address), PER_CLIENT, Whose::Client, now_ms).await
}

/// Counts a wrong email or password against the account and the address.
pub async fn sign_in_failed(
    store: &Store,
    email: &str,
    address: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    store
        .add_credential_failure(&[&account(email), &client(address)], now_ms)
        .await
}

/// The account's owner proved the password: their earlier slips no longer count. The
/// address's do, until they leave the window.
pub async fn sign_in_succeeded(store: &Store, email: &str) -> Result<(), StoreError> {
    store.clear_credential_failures(&account(email)).await
}

/// An unknown or revoked API key from `address`: refused when the address is over its limit,
/// else counted. A refused try is not counted, so a flood adds no rows.
pub async fn api_key_failed(
    store: &Store,
    address: &str,
    now_ms: i64,
) -> Result<Option<Refused>, StoreError> {
    let bucket = key_client(address);
    if let Some(refused) = over(store, &bucket, KEYS_PER_CLIENT, Whose::Client, now_ms).await? {
        return Ok(Some(refused));
    }
    store.add_credential_failure(&[&bucket], now_ms).await?;
    Ok(None)
}

/// Forgets failures no window counts any more; answers how many.
pub async fn purge(store: &Store, now_ms: i64) -> Result<u64, StoreError> {
    store.purge_credential_failures(now_ms - WINDOW_MS).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_try_waits_until_the_oldest_counted_failure_leaves_the_window() {
        let now = 10 * WINDOW_MS;
        let times = [now - 1_000, now - 2_000, now - 60_000];
        assert_eq!(refusal(&times, 4, Whose::Account, now), None);
        let refused = refusal(&times, 3, Whose::Account, now).expect("over the limit");
        assert_eq!(refused.retry_after_secs, (WINDOW_MS as u64 - 60_000) / 1000);
        // Only the newest `limit` count: an older one does not lengthen the wait.
        let refused = refusal(&times, 2, Whose::Client, now).expect("over the limit");
        assert_eq!(refused.retry_after_secs, (WINDOW_MS as u64 - 2_000) / 1000);
        assert_eq!(refused.whose, Whose::Client);
    }

    #[test]
    fn accounts_are_counted_by_the_email_however_it_is_typed() {
        assert_eq!(
            account(" Owner@Shop.example "),
            account("owner@shop.example")
        );
        assert_ne!(account("owner@shop.example"), account("other@shop.example"));
        assert!(!account("owner@shop.example").contains("shop"));
    }
}
