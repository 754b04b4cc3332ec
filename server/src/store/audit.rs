use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::conversations::{decode_cursor, encode_position, Argument, QueryBuilder};
use super::{json_column, new_id, Result, Store, Transaction};

/// The most entries one page of the audit log holds.
const MAX_PAGE_SIZE: u32 = 500;

/// Which audit entries a listing shows; every part left `None` lets all through.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditFilter {
    /// `user:<id>`, `key:<id>` or `system`.
    pub actor: Option<String>,
    /// Actions that start with this: one action (`user.set_role`), or an area's (`user.`,
    /// `knowledge`).
    pub action: Option<String>,
    /// The object's id.
    pub object: Option<String>,
    /// Entries at or after this moment.
    pub from_ms: Option<i64>,
    /// Entries before this moment.
    pub to_ms: Option<i64>,
}

/// One page of the audit log, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Where the next page starts; `None` on the last.
    pub next_cursor: Option<String>,
}

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

impl Store {
    /// One page of the tenant's audit entries that pass `filter`, newest first. `limit` is
    /// capped at 500.
    pub async fn audit_page(
        &self,
        tenant_id: &str,
        filter: &AuditFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<AuditPage> {
        let limit = limit.clamp(1, MAX_PAGE_SIZE);
        let after = cursor.map(decode_cursor).transpose()?;
        let action_prefix = filter.action.as_ref().map(|action| format!("{action}%"));
        let mut query = QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_log"));
        query.push(" WHERE tenant_id = ?", Argument::Text(tenant_id));
        if let Some(actor) = &filter.actor {
            query.push(" AND actor = ?", Argument::Text(actor));
        }
        if let Some(action_prefix) = &action_prefix {
            query.push(" AND action LIKE ?", Argument::Text(action_prefix));
        }
        if let Some(object) = &filter.object {
            query.push(" AND object = ?", Argument::Text(object));
        }
        if let Some(from_ms) = filter.from_ms {
            query.push(" AND at >= ?", Argument::Integer(from_ms));
        }
        if let Some(to_ms) = filter.to_ms {
            query.push(" AND at < ?", Argument::Integer(to_ms));
        }
        if let Some((at, id)) = &after {
            query.push(" AND (at < ?", Argument::Integer(*at));
            query.push(" OR (at = ?", Argument::Integer(*at));
            query.push(" AND id < ?))", Argument::Text(id));
        }
        // One row more than asked tells whether another page follows.
        query.push(
            " ORDER BY at DESC, id DESC LIMIT ?",
            Argument::Integer(i64::from(limit) + 1),
        );
        let rows = query.fetch_all(&self.pool).await?;
        let mut entries = rows
            .iter()
            .map(AuditEntry::from_row)
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries
                .last()
                .map(|entry| encode_position(entry.at, &entry.id))
        } else {
            None
        };
        Ok(AuditPage {
            entries,
            next_cursor,
        })
    }
}
