use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::users::{normalize_email, role_column, Role};
use super::{name_column, new_id, random_hex, sha256_hex, Result, Store, Transaction};

const TOKEN_BYTES: usize = 32;

/// What a one-time link does when it is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteKind {
    /// Makes a new user of the tenant.
    Invite,
    /// Sets a new password for an existing user.
    PasswordReset,
}

impl InviteKind {
    fn as_str(self) -> &'static str {
        match self {
            InviteKind::Invite => "invite",
            InviteKind::PasswordReset => "password_reset",
        }
    }
}

/// A one-time link an owner handed out. Its token exists only in the link; the row keeps its
/// SHA-256.
#[derive(Clone, Debug, PartialEq)]
pub struct Invite {
    pub id: String,
    pub tenant_id: String,
    pub kind: InviteKind,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The user a password reset is for.
    pub user_id: Option<String>,
    /// `user:<id>` or `key:<id>`, as audit entries name actors.
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A new link's row and its token, which is shown once.
#[derive(Clone, Debug)]
pub struct CreatedInvite {
    pub invite: Invite,
    pub token: String,
}

#[derive(Clone, Debug)]
pub struct NewInvite<'a> {
    pub kind: InviteKind,
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub user_id: Option<&'a str>,
    pub created_by: &'a str,
}

/// Why a token cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnusableInvite {
    Unknown,
    Used,
    Expired,
}

const COLUMNS: &str = "tenant_id, id, kind, email, display_name, role, user_id, created_by, \
                       created_at, expires_at, used_at";

impl Invite {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Invite {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            kind: name_column(row, "invites", "kind")?,
            email: row.try_get("email")?,
            display_name: row.try_get("display_name")?,
            role: role_column(row, "invites")?,
            user_id: row.try_get("user_id")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            used_at: row.try_get("used_at")?,
        })
    }

    /// Whether the link can still be used at `now_ms`, else why not.
    pub fn usable(&self, now_ms: i64) -> Result<(), UnusableInvite> {
        if self.used_at.is_some() {
            Err(UnusableInvite::Used)
        } else if self.expires_at <= now_ms {
            Err(UnusableInvite::Expired)
        } else {
            Ok(())
        }
    }
}

impl Transaction<'_> {
    pub async fn create_invite(
        &mut self,
        tenant_id: &str,
        new: &NewInvite<'_>,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<CreatedInvite> {
        let token = random_hex(TOKEN_BYTES)?;
        let row = sqlx::query(&format!(
            "INSERT INTO invites (tenant_id, id, kind, token_hash, email, display_name, role, \
                                  user_id, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(new_id("inv"))
        .bind(new.kind.as_str())
        .bind(sha256_hex(&token))
        .bind(normalize_email(new.email))
        .bind(new.display_name)
        .bind(new.role.as_str())
        .bind(new.user_id)
        .bind(new.created_by)
        .bind(now_ms)
        .bind(now_ms.saturating_add(ttl_ms))
        .fetch_one(self.connection())
        .await?;
        Ok(CreatedInvite {
            invite: Invite::from_row(&row)?,
            token,
        })
    }

    /// Uses up the link of `token`: marked used in this transaction, so that of two servers
    /// taking it at once one gets it and the other hears it is used.
    pub async fn take_invite(
        &mut self,
        token: &str,
        now_ms: i64,
    ) -> Result<Result<Invite, UnusableInvite>> {
        let hash = sha256_hex(token);
        let taken = sqlx::query(&format!(
            "UPDATE invites SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING {COLUMNS}"
        ))
        .bind(&hash)
        .bind(now_ms)
        .fetch_optional(self.connection())
        .await?;
        if let Some(row) = taken {
            return Ok(Ok(Invite::from_row(&row)?));
        }
        let found = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invites WHERE token_hash = $1"
        ))
        .bind(&hash)
        .fetch_optional(self.connection())
        .await?;
        Ok(Err(match found {
            Some(row) => Invite::from_row(&row)?
                .usable(now_ms)
                .err()
                .unwrap_or(UnusableInvite::Used),
            None => UnusableInvite::Unknown,
        }))
    }

    /// Withdraws an unused link; returns whether there was one.
    pub async fn delete_invite(&mut self, tenant_id: &str, id: &str) -> Result<Option<Invite>> {
        let row = sqlx::query(&format!(
            "DELETE FROM invites WHERE tenant_id = $1 AND id = $2 AND used_at IS NULL \
             RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.connection())
        .await?;
        row.as_ref().map(Invite::from_row).transpose()
    }
}

impl Store {
    /// The link of `token`, used or not, in whichever tenant it is.
    pub async fn find_invite(&self, token: &str) -> Result<Option<Invite>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invites WHERE token_hash = $1"
        ))
        .bind(sha256_hex(token))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Invite::from_row).transpose()
    }

    /// The tenant's invites that can still be accepted, newest first.
    pub async fn list_open_invites(&self, tenant_id: &str, now_ms: i64) -> Result<Vec<Invite>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invites \
             WHERE tenant_id = $1 AND kind = 'invite' AND used_at IS NULL AND expires_at > $2 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(tenant_id)
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Invite::from_row).collect()
    }
}
