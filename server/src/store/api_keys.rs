use sqlx::any::AnyRow;
use sqlx::Row;

use super::users::{role_column, Role};
use super::{constraint, new_id, random_hex, sha256_hex, Result, Store, StoreError, Transaction};

// `cf_<prefix>_<secret>`: the prefix (6 random bytes) finds the row and is shown in lists; the
// secret (32 random bytes) is stored only as its SHA-256. A fast hash is enough for 256 random
// bits, and it keeps authenticating every request cheap.
const TOKEN_SCHEME: &str = "cf_";
const PREFIX_BYTES: usize = 6;
const SECRET_BYTES: usize = 32;
// Refresh `last_used_at` at most this often, so that requests do not each cost a write.
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

#[derive(Clone, Debug, PartialEq)]
pub struct ApiKey {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub role: Role,
    /// The token's public part, shown in lists so that people can tell keys apart.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The user who made the key through the API; the key works only while they are enabled.
    pub created_by: Option<String>,
}

/// A new key and its token, which is shown once and never stored.
#[derive(Clone, Debug)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub token: String,
}

const COLUMNS: &str =
    "tenant_id, id, name, role, prefix, created_at, last_used_at, revoked_at, created_by";

impl ApiKey {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(ApiKey {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            name: row.try_get("name")?,
            role: role_column(row, "api_keys")?,
            prefix: row.try_get("prefix")?,
            created_at: row.try_get("created_at")?,
            last_used_at: row.try_get("last_used_at")?,
            revoked_at: row.try_get("revoked_at")?,
            created_by: row.try_get("created_by")?,
        })
    }
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

/// Compares without stopping at the first difference, so timing does not reveal how much of a
/// guessed hash was right.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

impl Transaction<'_> {
    /// `created_by` is the user making the key, if a person does (not `callflow admin`).
    pub async fn create_api_key(
        &mut self,
        tenant_id: &str,
        name: &str,
        role: Role,
        created_by: Option<&str>,
        now_ms: i64,
    ) -> Result<CreatedApiKey> {
        // 48 random bits make a prefix collision rare, not impossible. A collision inserts
        // nothing (rather than failing, which would end the transaction) and draws again.
        for _ in 0..3 {
            let prefix = random_hex(PREFIX_BYTES)?;
            let secret = random_hex(SECRET_BYTES)?;
            let row = sqlx::query(&format!(
                "INSERT INTO api_keys (tenant_id, id, name, role, prefix, hash, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (prefix) DO NOTHING RETURNING {COLUMNS}"
            ))
            .bind(tenant_id)
            .bind(new_id("key"))
            .bind(name)
            .bind(role.as_str())
            .bind(&prefix)
            .bind(sha256_hex(&secret))
            .bind(now_ms)
            .bind(created_by)
            .fetch_optional(self.connection())
            .await?;
            if let Some(row) = row {
                return Ok(CreatedApiKey {
                    key: ApiKey::from_row(&row)?,
                    token: format!("{TOKEN_SCHEME}{prefix}_{secret}"),
                });
            }
        }
        Err(StoreError::Conflict {
            constraint: constraint::API_KEY_PREFIX.to_owned(),
        })
    }

    /// Returns whether an unrevoked key was revoked.
    pub async fn revoke_api_key(
        &mut self,
        tenant_id: &str,
        key_id: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let result = sqlx::query(
            "UPDATE api_keys SET revoked_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(tenant_id)
        .bind(key_id)
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        let (tenant_id, key_id) = (tenant_id.to_owned(), key_id.to_owned());
        self.forget_after_commit(move |store| {
            store
                .api_keys
                .forget(|_, (key, _)| key.tenant_id == tenant_id && key.id == key_id);
        });
        Ok(result.rows_affected() > 0)
    }
}

impl Transaction<'_> {
    /// Makes the store forget the keys `user_id` made, once committed: for disabling them.
    pub(super) fn forget_api_keys_made_by(&mut self, tenant_id: &str, user_id: &str) {
        let (tenant_id, user_id) = (tenant_id.to_owned(), user_id.to_owned());
        self.forget_after_commit(move |store| {
            store.api_keys.forget(|_, (key, _)| {
                key.tenant_id == tenant_id && key.created_by.as_deref() == Some(&user_id)
            });
        });
    }
}

impl Store {
    pub async fn get_api_key(&self, tenant_id: &str, key_id: &str) -> Result<Option<ApiKey>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(ApiKey::from_row).transpose()
    }

    /// The tenant's keys, revoked ones included, newest first.
    pub async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ApiKey::from_row).collect()
    }

    /// The unrevoked key a bearer token belongs to, unless the user who made it is disabled.
    /// This lookup establishes the tenant, so it takes none. Keys found are remembered for [`super::recent::TTL`]: revoking through this
    /// store takes effect at once, revoking from another process (`callflow admin`, another
    /// server) within that time.
    pub async fn authenticate_api_key(&self, token: &str, now_ms: i64) -> Result<Option<ApiKey>> {
        let Some((prefix, secret)) = parse_token(token) else {
            return Ok(None);
        };
        let (mut key, stored_hash) = match self.api_keys.get(prefix) {
            Some(cached) => cached,
            None => {
                let generation = self.api_keys.generation();
                let row = sqlx::query(&format!(
                    "SELECT {COLUMNS}, hash FROM api_keys \
                     WHERE prefix = $1 AND revoked_at IS NULL AND NOT EXISTS ( \
                         SELECT 1 FROM users WHERE users.tenant_id = api_keys.tenant_id \
                         AND users.id = api_keys.created_by AND users.disabled_at IS NOT NULL)"
                ))
                .bind(prefix)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let found = (ApiKey::from_row(&row)?, row.try_get::<String, _>("hash")?);
                self.api_keys
                    .put(prefix.to_owned(), found.clone(), generation);
                found
            }
        };
        if !constant_time_eq(stored_hash.as_bytes(), sha256_hex(secret).as_bytes()) {
            return Ok(None);
        }
        if key
            .last_used_at
            .is_none_or(|last_used| now_ms - last_used >= LAST_USED_GRANULARITY_MS)
        {
            sqlx::query("UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(&key.tenant_id)
                .bind(&key.id)
                .bind(now_ms)
                .execute(&mut *self.write_connection().await?)
                .await?;
            key.last_used_at = Some(now_ms);
            self.api_keys.update(|cached, (found, _)| {
                if cached == prefix {
                    found.last_used_at = Some(now_ms);
                }
            });
        }
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_parse() {
        let prefix = "0123456789ab";
        let secret = "f".repeat(64);
        assert_eq!(
            parse_token(&format!("cf_{prefix}_{secret}")),
            Some((prefix, secret.as_str()))
        );
        assert_eq!(parse_token(&format!("cf_{prefix}_{}", &secret[1..])), None);
        assert_eq!(parse_token(&format!("xx_{prefix}_{secret}")), None);
        assert_eq!(
            parse_token(&format!("cf_{}_{secret}", prefix.to_uppercase())),
            None
        );
        assert_eq!(parse_token(""), None);
    }

    #[test]
    fn constant_time_eq_compares_whole_slices() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
