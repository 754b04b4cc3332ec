//! Tenants' customer lookups (`customer_lookups`): one row per tenant that configured one.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, Result, Store, StoreError, Transaction};

/// A tenant's customer lookup as stored; its secret stays sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerLookupRow {
    pub tenant_id: String,
    pub enabled: bool,
    /// With `{{phone}}` and `{{visitor}}` placeholders.
    pub url: String,
    /// Request headers that are no secret.
    pub headers: BTreeMap<String, String>,
    /// The header that carries `secret`.
    pub secret_header: String,
    /// Sealed by the server's key; `None`: no secret is sent.
    pub secret: Option<String>,
    pub timeout_ms: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "tenant_id, enabled, url, headers, secret_header, secret, timeout_ms, updated_at";

impl CustomerLookupRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let headers = json_column(row, "customer_lookups", "headers")?;
        let headers = serde_json::from_value(headers)
            .map_err(|error| StoreError::corrupt("customer_lookups", "headers", error))?;
        let enabled: i64 = row.try_get("enabled")?;
        Ok(CustomerLookupRow {
            tenant_id: row.try_get("tenant_id")?,
            enabled: enabled != 0,
            url: row.try_get("url")?,
            headers,
            secret_header: row.try_get("secret_header")?,
            secret: row.try_get("secret")?,
            timeout_ms: row.try_get("timeout_ms")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl Store {
    /// The tenant's customer lookup, if it configured one. Every conversation reads it when it
    /// opens, so it is remembered for a moment like the tenant itself.
    pub async fn get_customer_lookup(&self, tenant_id: &str) -> Result<Option<CustomerLookupRow>> {
        if let Some(found) = self.customer_lookups.get(tenant_id) {
            return Ok(found);
        }
        let generation = self.customer_lookups.generation();
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM customer_lookups WHERE tenant_id = $1"
        ))
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        let found = row.as_ref().map(CustomerLookupRow::from_row).transpose()?;
        self.customer_lookups
            .put(tenant_id.to_owned(), found.clone(), generation);
        Ok(found)
    }
}

impl Transaction<'_> {
    /// Saves the tenant's customer lookup, replacing the one it had.
    pub async fn put_customer_lookup(&mut self, lookup: &CustomerLookupRow) -> Result<()> {
        let headers = serde_json::to_string(&lookup.headers)
            .map_err(|error| StoreError::corrupt("customer_lookups", "headers", error))?;
        sqlx::query(
            "INSERT INTO customer_lookups (tenant_id, enabled, url, headers, secret_header, \
                                           secret, timeout_ms, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, \
                 url = excluded.url, headers = excluded.headers, \
                 secret_header = excluded.secret_header, secret = excluded.secret, \
                 timeout_ms = excluded.timeout_ms, updated_at = excluded.updated_at",
        )
        .bind(&lookup.tenant_id)
        .bind(i64::from(lookup.enabled))
        .bind(&lookup.url)
        .bind(headers)
        .bind(&lookup.secret_header)
        .bind(lookup.secret.as_deref())
        .bind(lookup.timeout_ms)
        .bind(lookup.updated_at)
        .execute(self.connection())
        .await?;
        self.forget_lookup(&lookup.tenant_id);
        Ok(())
    }

    /// Removes the tenant's customer lookup; whether it had one.
    pub async fn delete_customer_lookup(&mut self, tenant_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM customer_lookups WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(self.connection())
            .await?;
        self.forget_lookup(tenant_id);
        Ok(done.rows_affected() > 0)
    }

    fn forget_lookup(&mut self, tenant_id: &str) {
        let tenant_id = tenant_id.to_owned();
        self.forget_after_commit(move |store| {
            store.customer_lookups.forget(|id, _| *id == tenant_id)
        });
    }
}
