use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{new_id, Result, Store, StoreError, Transaction};

/// What a user or an API key may do; the HTTP layer enforces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Editor,
    Viewer,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
            Role::Agent => "agent",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "owner" => Ok(Role::Owner),
            "editor" => Ok(Role::Editor),
            "viewer" => Ok(Role::Viewer),
            "agent" => Ok(Role::Agent),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

pub(super) fn role_column(row: &AnyRow, table: &'static str) -> Result<Role> {
    let text: String = row.try_get("role")?;
    text.parse()
        .map_err(|error: String| StoreError::corrupt(table, "role", error))
}

/// A user, without the password hash, which never leaves this module.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    /// Trimmed and lower-cased; unique across all tenants.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub last_sign_in_at: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: Role,
}

const COLUMNS: &str =
    "tenant_id, id, email, display_name, role, created_at, disabled_at, last_sign_in_at";

impl User {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(User {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            email: row.try_get("email")?,
            display_name: row.try_get("display_name")?,
            role: role_column(row, "users")?,
            created_at: row.try_get("created_at")?,
            disabled_at: row.try_get("disabled_at")?,
            last_sign_in_at: row.try_get("last_sign_in_at")?,
        })
    }
}

pub(crate) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// An argon2id PHC string with the crate's default (OWASP) cost.
fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|error| StoreError::Random(error.to_string()))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|error| StoreError::PasswordHash(error.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| StoreError::PasswordHash(error.to_string()))
}

/// Whether `password` matches the PHC string `hash`; a malformed hash matches nothing.
fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Argon2 takes tens of milliseconds of CPU on purpose; keep it off the async workers.
async fn hash_password_blocking(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| StoreError::PasswordHash(error.to_string()))?
}

/// With no hash (unknown email) it still verifies, against a stand-in hash, and answers false:
/// the answer takes as long as for a known email, so response times do not tell which emails
/// have accounts.
async fn verify_password_blocking(hash: Option<String>, password: &str) -> Result<bool> {
    static UNKNOWN_USER_HASH: OnceLock<Option<String>> = OnceLock::new();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_password(&hash, &password),
        None => {
            let stand_in = UNKNOWN_USER_HASH.get_or_init(|| hash_password("unknown user").ok());
            if let Some(stand_in) = stand_in {
                verify_password(stand_in, &password);
            }
            false
        }
    })
    .await
    .map_err(|error| StoreError::PasswordHash(error.to_string()))
}

impl Store {
    pub async fn list_users(&self, tenant_id: &str) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY email"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(User::from_row).collect()
    }

    pub async fn get_user(&self, tenant_id: &str, id: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(User::from_row).transpose()
    }

    /// The user with this email, in whichever tenant it is.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
            .bind(normalize_email(email))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(User::from_row).transpose()
    }

    /// Login: the enabled user with this email and password, in whichever tenant it is.
    pub async fn authenticate_user(&self, email: &str, password: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, password_hash FROM users WHERE email = $1"
        ))
        .bind(normalize_email(email))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            verify_password_blocking(None, password).await?;
            return Ok(None);
        };
        let user = User::from_row(&row)?;
        let password_hash: String = row.try_get("password_hash")?;
        let verified = verify_password_blocking(Some(password_hash), password).await?;
        Ok((verified && user.disabled_at.is_none()).then_some(user))
    }
}

impl Transaction<'_> {
    /// Fails with [`StoreError::Conflict`] on [`constraint::USER_EMAIL`](super::constraint::USER_EMAIL)
    /// when any tenant already has the email.
    pub async fn create_user(
        &mut self,
        tenant_id: &str,
        new: &NewUser<'_>,
        now_ms: i64,
    ) -> Result<User> {
        let password_hash = hash_password_blocking(new.password).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO users (tenant_id, id, email, display_name, password_hash, role, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(new_id("usr"))
        .bind(normalize_email(new.email))
        .bind(new.display_name)
        .bind(password_hash)
        .bind(new.role.as_str())
        .bind(now_ms)
        .fetch_one(self.connection())
        .await?;
        User::from_row(&row)
    }

    /// Holds changes to the tenant's users back until this transaction ends, so that two
    /// owners demoting each other at once cannot leave the tenant with none. SQLite's writer
    /// already runs alone; PostgreSQL locks the tenant's row.
    pub async fn lock_tenant_users(&mut self, tenant_id: &str) -> Result<()> {
        if self.store.backend == super::Backend::Postgres {
            sqlx::query("SELECT id FROM tenants WHERE id = $1 FOR UPDATE")
                .bind(tenant_id)
                .fetch_optional(self.connection())
                .await?;
        }
        Ok(())
    }

    /// A user of the tenant, read inside the transaction.
    pub async fn get_user(&mut self, tenant_id: &str, id: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.connection())
        .await?;
        row.as_ref().map(User::from_row).transpose()
    }

    /// How many enabled owners the tenant has besides `except_user_id`.
    pub async fn count_other_enabled_owners(
        &mut self,
        tenant_id: &str,
        except_user_id: &str,
    ) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS owners FROM users \
             WHERE tenant_id = $1 AND id <> $2 AND role = 'owner' AND disabled_at IS NULL",
        )
        .bind(tenant_id)
        .bind(except_user_id)
        .fetch_one(self.connection())
        .await?;
        Ok(row.try_get("owners")?)
    }

    /// Returns whether the user exists in the tenant.
    pub async fn set_user_role(
        &mut self,
        tenant_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<bool> {
        let result = sqlx::query("UPDATE users SET role = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .bind(role.as_str())
            .execute(self.connection())
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Returns whether the user exists in the tenant.
    pub async fn set_user_password(
        &mut self,
        tenant_id: &str,
        user_id: &str,
        password: &str,
    ) -> Result<bool> {
        let password_hash = hash_password_blocking(password).await?;
        let result =
            sqlx::query("UPDATE users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(user_id)
                .bind(password_hash)
                .execute(self.connection())
                .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Disables (`Some(now)`) or re-enables (`None`) a user. Disabling also ends the user's
    /// login sessions and stops the API keys they made. Returns whether the user exists in
    /// the tenant.
    pub async fn set_user_disabled(
        &mut self,
        tenant_id: &str,
        user_id: &str,
        disabled_at: Option<i64>,
    ) -> Result<bool> {
        let result =
            sqlx::query("UPDATE users SET disabled_at = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(user_id)
                .bind(disabled_at)
                .execute(self.connection())
                .await?;
        if disabled_at.is_some() {
            self.delete_user_login_sessions(tenant_id, user_id).await?;
            self.forget_api_keys_made_by(tenant_id, user_id);
        }
        Ok(result.rows_affected() > 0)
    }
}
