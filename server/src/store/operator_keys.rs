//! The service operator's keys: bearer tokens for `/api/v1/operator`, which belong to no
//! tenant. Stored as API keys are (the SHA-256 of a random secret, found by a public prefix),
//! in their own table and with their own scheme (`cfo_`), so that no operator key can ever be
//! taken for a tenant's key or the other way round.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{constraint, new_id, random_hex, sha256_hex, Result, Store, StoreError, Transaction};

const TOKEN_SCHEME: &str = "cfo_";
const PREFIX_BYTES: usize = 6;
const SECRET_BYTES: usize = 32;
/// `last_used_at` is refreshed at most this often, as for API keys.
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

#[derive(Clone, Debug, PartialEq)]
pub struct OperatorKey {
    pub id: String,
    pub name: String,
    /// The token's public part, shown in lists.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A new key and its token, shown once and never stored.
#[derive(Clone, Debug)]
pub struct CreatedOperatorKey {
    pub key: OperatorKey,
    pub token: String,
}

const COLUMNS: &str = "id, name, prefix, created_at, last_used_at, revoked_at";

impl OperatorKey {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(OperatorKey {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            prefix: row.try_get("prefix")?,
            created_at: row.try_get("created_at")?,
            last_used_at: row.try_get("last_used_at")?,
            revoked_at: row.try_get("revoked_at")?,
        })
    }
}

/// Whether a bearer token has the operator keys' form (whether or not it is a real one): such
/// a token is never looked up among tenants' keys.
pub fn is_operator_token(token: &str) -> bool {
    token.starts_with(TOKEN_SCHEME)
}

/// `(prefix, secret)` of a well-formed token.
fn parse_token(token: &str) -> Option<(&str, &str)> {
    let (prefix, secret) = token.strip_prefix(TOKEN_SCHEME)?.split_once('_')?;
    let is_lower_hex = |text: &str, bytes: usize| {
        text.len() == bytes * 2 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    (is_lower_hex(prefix, PREFIX_BYTES) && is_lower_hex(secret, SECRET_BYTES))
        .then_some((prefix, secret))
}

fn same_hash(left: &str, right: &str) -> bool {
    left.len() == right.len()
        && left
            .bytes()
            .zip(right.bytes())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

impl Transaction<'_> {
    /// Makes an operator key; its token is in the answer only.
    pub async fn create_operator_key(
        &mut self,
        name: &str,
        now_ms: i64,
    ) -> Result<CreatedOperatorKey> {
        // As for API keys: a prefix collision inserts nothing and draws again.
        for _ in 0..3 {
            let prefix = random_hex(PREFIX_BYTES)?;
            let secret = random_hex(SECRET_BYTES)?;
            let row = sqlx::query(&format!(
                "INSERT INTO operator_keys (id, name, prefix, hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (prefix) DO NOTHING RETURNING {COLUMNS}"
            ))
            .bind(new_id("opk"))
            .bind(name)
            .bind(&prefix)
            .bind(sha256_hex(&secret))
            .bind(now_ms)
            .fetch_optional(self.connection())
            .await?;
            if let Some(row) = row {
                return Ok(CreatedOperatorKey {
                    key: OperatorKey::from_row(&row)?,
                    token: format!("{TOKEN_SCHEME}{prefix}_{secret}"),
                });
            }
        }
        Err(StoreError::Conflict {
            constraint: constraint::OPERATOR_KEY_PREFIX.to_owned(),
        })
    }

    /// Revokes a key at once on every server (keys are not remembered between requests);
    /// `false` when there is no such unrevoked key.
    pub async fn revoke_operator_key(&mut self, key_id: &str, now_ms: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE operator_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(key_id)
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

impl Store {
    /// Every operator key, revoked ones included, newest first.
    pub async fn list_operator_keys(&self) -> Result<Vec<OperatorKey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM operator_keys ORDER BY created_at DESC, id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(OperatorKey::from_row).collect()
    }

    /// The unrevoked operator key of a bearer token. Read from the database on every request:
    /// operators make few, and a revoked key must stop at once everywhere.
    pub async fn authenticate_operator_key(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<Option<OperatorKey>> {
        let Some((prefix, secret)) = parse_token(token) else {
            return Ok(None);
        };
        let Some(row) = sqlx::query(&format!(
            "SELECT {COLUMNS}, hash FROM operator_keys WHERE prefix = $1 AND revoked_at IS NULL"
        ))
        .bind(prefix)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let stored: String = row.try_get("hash")?;
        if !same_hash(&stored, &sha256_hex(secret)) {
            return Ok(None);
        }
        let mut key = OperatorKey::from_row(&row)?;
        if key
            .last_used_at
            .is_none_or(|last| now_ms - last >= LAST_USED_GRANULARITY_MS)
        {
            sqlx::query("UPDATE operator_keys SET last_used_at = $2 WHERE id = $1")
                .bind(&key.id)
                .bind(now_ms)
                .execute(&mut *self.write_connection().await?)
                .await?;
            key.last_used_at = Some(now_ms);
        }
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_operator_tokens_parse() {
        let prefix = "0123456789ab";
        let secret = "e".repeat(64);
        assert_eq!(
            parse_token(&format!("cfo_{prefix}_{secret}")),
            Some((prefix, secret.as_str()))
        );
        // A tenant's API key has the same shape under another scheme.
        assert_eq!(parse_token(&format!("cf_{prefix}_{secret}")), None);
        assert!(!is_operator_token(&format!("cf_{prefix}_{secret}")));
        assert!(is_operator_token(&format!("cfo_{prefix}_{secret}")));
        assert_eq!(parse_token(&format!("cfo_{prefix}_{}", &secret[2..])), None);
    }
}
