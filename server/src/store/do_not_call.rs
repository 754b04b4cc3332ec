//! The tenant's do-not-call list as rows: one per E.164 number. Adding a number that is there
//! already keeps the first entry (its source and time are the evidence of the refusal).

use sqlx::any::AnyRow;
use sqlx::Row;

use super::flows::contains_pattern;
use super::{Result, Store, Transaction};

/// A number the tenant must not dial.
#[derive(Debug, Clone, PartialEq)]
pub struct DoNotCallRow {
    /// E.164.
    pub phone: String,
    /// `manual`, `import`, `api` or `flow`.
    pub source: String,
    /// The call in which the callee asked not to be called again (source `flow`).
    pub call_id: Option<String>,
    pub note: String,
    /// The actor who added it: `user:<id>`, `key:<id>` or `system`.
    pub added_by: String,
    pub created_at: i64,
}

/// One page of the list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct DoNotCallPage {
    pub entries: Vec<DoNotCallRow>,
    /// Entries that match, over all pages.
    pub total: i64,
}

const COLUMNS: &str = "phone, source, call_id, note, added_by, created_at";

impl DoNotCallRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(DoNotCallRow {
            phone: row.try_get("phone")?,
            source: row.try_get("source")?,
            call_id: row.try_get("call_id")?,
            note: row.try_get("note")?,
            added_by: row.try_get("added_by")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl Store {
    /// Whether the number is on the tenant's list.
    pub async fn is_on_do_not_call(&self, tenant_id: &str, phone: &str) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM do_not_call WHERE tenant_id = $1 AND phone = $2")
                .bind(tenant_id)
                .bind(phone)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// A page of the list, newest first; `search` keeps entries whose number or note contains
    /// it, ignoring case.
    pub async fn list_do_not_call(
        &self,
        tenant_id: &str,
        search: Option<&str>,
        offset: u32,
        limit: u32,
    ) -> Result<DoNotCallPage> {
        let filter = match search {
            Some(_) => " AND (LOWER(phone) LIKE $2 ESCAPE '\\' OR LOWER(note) LIKE $2 ESCAPE '\\')",
            None => "",
        };
        let pattern = search.map(contains_pattern).unwrap_or_default();
        let sql = format!(
            "SELECT {COLUMNS} FROM do_not_call WHERE tenant_id = $1{filter} \
             ORDER BY created_at DESC, phone LIMIT {limit} OFFSET {offset}"
        );
        let mut query = sqlx::query(&sql).bind(tenant_id);
        if search.is_some() {
            query = query.bind(&pattern);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let count_sql = format!("SELECT COUNT(*) FROM do_not_call WHERE tenant_id = $1{filter}");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql).bind(tenant_id);
        if search.is_some() {
            count = count.bind(&pattern);
        }
        Ok(DoNotCallPage {
            entries: rows
                .iter()
                .map(DoNotCallRow::from_row)
                .collect::<Result<_>>()?,
            total: count.fetch_one(&self.pool).await?,
        })
    }
}

impl Transaction<'_> {
    /// Adds the number unless it is listed already; true when added.
    pub async fn add_do_not_call(&mut self, tenant_id: &str, entry: &DoNotCallRow) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO do_not_call (tenant_id, phone, source, call_id, note, added_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, phone) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(&entry.phone)
        .bind(&entry.source)
        .bind(&entry.call_id)
        .bind(&entry.note)
        .bind(&entry.added_by)
        .bind(entry.created_at)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes the number; the entry removed, `None` when it was not listed.
    pub async fn remove_do_not_call(
        &mut self,
        tenant_id: &str,
        phone: &str,
    ) -> Result<Option<DoNotCallRow>> {
        let row = sqlx::query(&format!(
            "DELETE FROM do_not_call WHERE tenant_id = $1 AND phone = $2 RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(phone)
        .fetch_optional(self.connection())
        .await?;
        row.as_ref().map(DoNotCallRow::from_row).transpose()
    }
}
