//! What the service's operator did to tenants (created, changed, suspended, resumed,
//! deleted), apart from tenants' own audit logs: a deleted tenant's log goes with it, this one
//! stays. Tenants are named by slug and name, never by id, so that nothing here holds a
//! deleted tenant's id.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, new_id, Result, Store};

#[derive(Clone, Debug, PartialEq)]
pub struct OperatorAuditEntry {
    pub id: String,
    pub at: i64,
    /// `operator-key:<id>` or `callflow admin`.
    pub actor: String,
    /// e.g. `tenant.suspend`.
    pub action: String,
    pub tenant_slug: String,
    pub detail: Value,
}

impl OperatorAuditEntry {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(OperatorAuditEntry {
            id: row.try_get("id")?,
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            tenant_slug: row.try_get("tenant_slug")?,
            detail: json_column(row, "operator_audit_log", "detail")?,
        })
    }
}

impl super::Transaction<'_> {
    /// Records what the operator did, committed with the change itself.
    pub async fn record_operator_audit(
        &mut self,
        actor: &str,
        action: &str,
        tenant_slug: &str,
        detail: &Value,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO operator_audit_log (id, at, actor, action, tenant_slug, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id("opa"))
        .bind(now_ms)
        .bind(actor)
        .bind(action)
        .bind(tenant_slug)
        .bind(detail.to_string())
        .execute(self.connection())
        .await?;
        Ok(())
    }
}

impl Store {
    /// The newest `limit` entries, newest first; only of one tenant's slug when given.
    pub async fn list_operator_audit(
        &self,
        tenant_slug: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OperatorAuditEntry>> {
        let rows =
            match tenant_slug {
                Some(slug) => sqlx::query(
                    "SELECT id, at, actor, action, tenant_slug, detail FROM operator_audit_log \
                     WHERE tenant_slug = $1 ORDER BY at DESC, id DESC LIMIT $2",
                )
                .bind(slug)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?,
                None => sqlx::query(
                    "SELECT id, at, actor, action, tenant_slug, detail FROM operator_audit_log \
                     ORDER BY at DESC, id DESC LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?,
            };
        rows.iter().map(OperatorAuditEntry::from_row).collect()
    }
}
