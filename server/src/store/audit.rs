use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, new_id, Result, Store};

/// Who did what to which object, for the tenant's owners and for support.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: String,
    pub tenant_id: String,
    pub at: i64,
    /// `user:<id>`, `key:<id>` or `system`.
    pub actor: String,
    /// e.g. `flow.publish`.
    pub action: String,
    /// The object's id, e.g. `flw_…`.
    pub object: String,
    pub detail: Value,
}

#[derive(Clone, Copy, Debug)]
pub struct NewAuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub object: &'a str,
    pub detail: &'a Value,
}

const COLUMNS: &str = "tenant_id, id, at, actor, action, object, detail";

impl AuditEntry {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(AuditEntry {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            object: row.try_get("object")?,
            detail: json_column(row, "audit_log", "detail")?,
        })
    }
}

impl Store {
    pub async fn record_audit(
        &self,
        tenant_id: &str,
        entry: &NewAuditEntry<'_>,
        now_ms: i64,
    ) -> Result<AuditEntry> {
        let row = sqlx::query(&format!(
            "INSERT INTO audit_log (tenant_id, id, at, actor, action, object, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(new_id("aud"))
        .bind(now_ms)
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.object)
        .bind(entry.detail.to_string())
        .fetch_one(&self.pool)
        .await?;
        AuditEntry::from_row(&row)
    }

    /// The tenant's latest `limit` entries, newest first.
    pub async fn list_audit(&self, tenant_id: &str, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2"
        ))
        .bind(tenant_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(AuditEntry::from_row).collect()
    }
}
