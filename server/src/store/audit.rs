use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, new_id, Result, Store, Transaction};

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

/// Who makes a change, in which tenant: what the audit entries of the change name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub tenant_id: String,
    /// `user:<id>`, `key:<id>` or `system`.
    pub name: String,
}

impl Actor {
    /// The server itself, or an operator through `callflow admin`.
    pub fn system(tenant_id: &str) -> Actor {
        Actor {
            tenant_id: tenant_id.to_owned(),
            name: "system".to_owned(),
        }
    }
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

impl Transaction<'_> {
    /// Records in the actor's tenant that it did `action` to `object`; committed with the
    /// change it records.
    pub async fn record_audit(
        &mut self,
        actor: &Actor,
        action: &str,
        object: &str,
        detail: &Value,
        now_ms: i64,
    ) -> Result<AuditEntry> {
        let row = sqlx::query(&format!(
            "INSERT INTO audit_log (tenant_id, id, at, actor, action, object, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(&actor.tenant_id)
        .bind(new_id("aud"))
        .bind(now_ms)
        .bind(&actor.name)
        .bind(action)
        .bind(object)
        .bind(detail.to_string())
        .fetch_one(self.connection())
        .await?;
        AuditEntry::from_row(&row)
    }
}

impl Store {
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
