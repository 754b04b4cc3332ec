use sqlx::any::AnyRow;
use sqlx::Row;

use super::users::User;
use super::{random_hex, sha256_hex, Result, Store, Transaction};

const TOKEN_BYTES: usize = 32;

/// A browser login. Its id is the SHA-256 of the cookie token, which is never stored.
#[derive(Clone, Debug, PartialEq)]
pub struct LoginSession {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    /// Cookie-authenticated writes must echo this token in a header.
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A new login session and the token for its cookie, which exists only here.
#[derive(Clone, Debug)]
pub struct CreatedLoginSession {
    pub session: LoginSession,
    pub token: String,
}

const COLUMNS: &str = "id, tenant_id, user_id, csrf_token, created_at, expires_at";

impl LoginSession {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(LoginSession {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            user_id: row.try_get("user_id")?,
            csrf_token: row.try_get("csrf_token")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        })
    }
}

impl Store {
    /// `None` when the user is not an enabled user of the tenant. Marks the user's last
    /// sign-in.
    pub async fn create_login_session(
        &self,
        tenant_id: &str,
        user_id: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<Option<CreatedLoginSession>> {
        let token = random_hex(TOKEN_BYTES)?;
        let row = sqlx::query(&format!(
            "INSERT INTO login_sessions (id, tenant_id, user_id, csrf_token, created_at, expires_at) \
             SELECT $3, tenant_id, id, $4, $5, $6 FROM users \
             WHERE tenant_id = $1 AND id = $2 AND disabled_at IS NULL \
             RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(user_id)
        .bind(sha256_hex(&token))
        .bind(random_hex(TOKEN_BYTES)?)
        .bind(now_ms)
        .bind(now_ms.saturating_add(ttl_ms))
        .fetch_optional(&mut *self.write_connection().await?)
        .await?;
        if row.is_some() {
            sqlx::query("UPDATE users SET last_sign_in_at = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(user_id)
                .bind(now_ms)
                .execute(&mut *self.write_connection().await?)
                .await?;
        }
        row.map(|row| {
            Ok(CreatedLoginSession {
                session: LoginSession::from_row(&row)?,
                token,
            })
        })
        .transpose()
    }

    /// The unexpired session of a cookie token, with its enabled user. This lookup establishes
    /// the tenant, so it takes none.
    pub async fn authenticate_login_session(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<Option<(LoginSession, User)>> {
        let row = sqlx::query(
            "SELECT s.id, s.tenant_id, s.user_id, s.csrf_token, s.created_at, s.expires_at, \
                    u.email, u.display_name, u.role, u.created_at AS user_created_at, u.disabled_at, \
                    u.last_sign_in_at \
             FROM login_sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id \
             WHERE s.id = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(sha256_hex(token))
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let session = LoginSession::from_row(&row)?;
        let user = User {
            id: session.user_id.clone(),
            tenant_id: session.tenant_id.clone(),
            email: row.try_get("email")?,
            display_name: row.try_get("display_name")?,
            role: super::users::role_column(&row, "users")?,
            created_at: row.try_get("user_created_at")?,
            disabled_at: row.try_get("disabled_at")?,
            last_sign_in_at: row.try_get("last_sign_in_at")?,
        };
        Ok(Some((session, user)))
    }

    /// Logout. Returns whether the session existed in the tenant.
    pub async fn delete_login_session(&self, tenant_id: &str, session_id: &str) -> Result<bool> {
        let result = sqlx::query("DELETE FROM login_sessions WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(session_id)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Housekeeping across all tenants; returns how many sessions were removed.
    pub async fn delete_expired_login_sessions(&self, now_ms: i64) -> Result<u64> {
        let result = sqlx::query("DELETE FROM login_sessions WHERE expires_at <= $1")
            .bind(now_ms)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(result.rows_affected())
    }
}

impl Transaction<'_> {
    /// Signs the user out everywhere; returns how many sessions were ended.
    pub async fn delete_user_login_sessions(
        &mut self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<u64> {
        let result =
            sqlx::query("DELETE FROM login_sessions WHERE tenant_id = $1 AND user_id = $2")
                .bind(tenant_id)
                .bind(user_id)
                .execute(self.connection())
                .await?;
        Ok(result.rows_affected())
    }
}
