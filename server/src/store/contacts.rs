//! Contact lists and their contacts as rows. What a contact's fields may hold, how files become
//! contacts and how duplicates merge is `crate::contacts`'s business; here a contact is written
//! whole, by its list and E.164 number (one contact per number and list).

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::flows::contains_pattern;
use super::{json_column, new_id, Result, Store, StoreError, Transaction};

/// A contact list with how many contacts it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactListRow {
    pub id: String,
    pub name: String,
    pub contacts: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A contact as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRow {
    pub id: String,
    pub list_id: String,
    /// E.164.
    pub phone: String,
    pub name: String,
    /// Strings and numbers by field name.
    pub fields: Map<String, Value>,
    pub consent_source: String,
    pub consent_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A contact to write: a new one, or new values for the list's contact with this number.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactValues {
    pub phone: String,
    pub name: String,
    pub fields: Map<String, Value>,
    pub consent_source: String,
    pub consent_at: Option<i64>,
}

/// One page of a list's contacts, by number.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactPage {
    pub contacts: Vec<ContactRow>,
    /// Contacts that match, over all pages.
    pub total: i64,
}

const LIST_COLUMNS: &str = "l.id, l.name, l.created_at, l.updated_at, \
     (SELECT COUNT(*) FROM contacts c WHERE c.list_id = l.id) AS contacts";

const CONTACT_COLUMNS: &str =
    "id, list_id, phone, name, fields, consent_source, consent_at, created_at, updated_at";

impl ContactListRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(ContactListRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            contacts: row.try_get("contacts")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl ContactRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let fields = match json_column(row, "contacts", "fields")? {
            Value::Object(fields) => fields,
            _ => return Err(StoreError::corrupt("contacts", "fields", "not an object")),
        };
        Ok(ContactRow {
            id: row.try_get("id")?,
            list_id: row.try_get("list_id")?,
            phone: row.try_get("phone")?,
            name: row.try_get("name")?,
            fields,
            consent_source: row.try_get("consent_source")?,
            consent_at: row.try_get("consent_at")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl Store {
    /// The tenant's contact lists, newest first.
    pub async fn list_contact_lists(&self, tenant_id: &str) -> Result<Vec<ContactListRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {LIST_COLUMNS} FROM contact_lists l WHERE l.tenant_id = $1 \
             ORDER BY l.created_at DESC, l.id DESC"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ContactListRow::from_row).collect()
    }

    pub async fn get_contact_list(
        &self,
        tenant_id: &str,
        list_id: &str,
    ) -> Result<Option<ContactListRow>> {
        let row = sqlx::query(&format!(
            "SELECT {LIST_COLUMNS} FROM contact_lists l WHERE l.tenant_id = $1 AND l.id = $2"
        ))
        .bind(tenant_id)
        .bind(list_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(ContactListRow::from_row).transpose()
    }

    /// A page of the list's contacts by number; `search` keeps those whose number or name
    /// contains it, ignoring case.
    pub async fn list_contacts(
        &self,
        tenant_id: &str,
        list_id: &str,
        search: Option<&str>,
        offset: u32,
        limit: u32,
    ) -> Result<ContactPage> {
        let filter = match search {
            Some(_) => " AND (LOWER(phone) LIKE $3 ESCAPE '\\' OR LOWER(name) LIKE $3 ESCAPE '\\')",
            None => "",
        };
        let pattern = search.map(contains_pattern).unwrap_or_default();
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE tenant_id = $1 AND list_id = $2{filter} \
             ORDER BY phone LIMIT {limit} OFFSET {offset}"
        );
        let mut query = sqlx::query(&sql).bind(tenant_id).bind(list_id);
        if search.is_some() {
            query = query.bind(&pattern);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let count_sql =
            format!("SELECT COUNT(*) FROM contacts WHERE tenant_id = $1 AND list_id = $2{filter}");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql)
            .bind(tenant_id)
            .bind(list_id);
        if search.is_some() {
            count = count.bind(&pattern);
        }
        Ok(ContactPage {
            contacts: rows
                .iter()
                .map(ContactRow::from_row)
                .collect::<Result<_>>()?,
            total: count.fetch_one(&self.pool).await?,
        })
    }

    pub async fn get_contact(
        &self,
        tenant_id: &str,
        list_id: &str,
        contact_id: &str,
    ) -> Result<Option<ContactRow>> {
        let row = sqlx::query(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts \
             WHERE tenant_id = $1 AND list_id = $2 AND id = $3"
        ))
        .bind(tenant_id)
        .bind(list_id)
        .bind(contact_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(ContactRow::from_row).transpose()
    }

    /// Every contact of the list: what an import merges its rows into.
    pub async fn all_contacts(&self, tenant_id: &str, list_id: &str) -> Result<Vec<ContactRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE tenant_id = $1 AND list_id = $2"
        ))
        .bind(tenant_id)
        .bind(list_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ContactRow::from_row).collect()
    }
}

/// Rows of one multi-row insert: 6 parameters a row plus 3 shared stay far below SQLite's
/// 32,766 and PostgreSQL's 65,535, and a statement this size is as fast as larger ones.
pub const CONTACTS_PER_INSERT: usize = 500;

/// The insert of `rows` contacts: `$1` tenant, `$2` list, `$3` now, then six a row.
fn put_contacts_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO contacts (tenant_id, id, list_id, phone, name, fields, consent_source, \
           consent_at, created_at, updated_at) VALUES ",
    );
    for row in 0..rows {
        let first = 4 + row * 6;
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "($1, ${}, $2, ${}, ${}, ${}, ${}, ${}, $3, $3)",
            first,
            first + 1,
            first + 2,
            first + 3,
            first + 4,
            first + 5
        ));
    }
    sql.push_str(
        " ON CONFLICT (list_id, phone) DO UPDATE SET name = excluded.name, \
           fields = excluded.fields, consent_source = excluded.consent_source, \
           consent_at = excluded.consent_at, updated_at = excluded.updated_at",
    );
    sql
}

impl Transaction<'_> {
    pub async fn insert_contact_list(
        &mut self,
        tenant_id: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<String> {
        let id = new_id("ctl");
        sqlx::query(
            "INSERT INTO contact_lists (tenant_id, id, name, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(tenant_id)
        .bind(&id)
        .bind(name)
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        Ok(id)
    }

    /// Renames the list; false when the tenant has no such list.
    pub async fn rename_contact_list(
        &mut self,
        tenant_id: &str,
        list_id: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE contact_lists SET name = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(list_id)
        .bind(name)
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes the list with its contacts; the contacts deleted, or `None` when the tenant has
    /// no such list.
    pub async fn delete_contact_list(
        &mut self,
        tenant_id: &str,
        list_id: &str,
    ) -> Result<Option<u64>> {
        let contacts = sqlx::query("DELETE FROM contacts WHERE tenant_id = $1 AND list_id = $2")
            .bind(tenant_id)
            .bind(list_id)
            .execute(self.connection())
            .await?
            .rows_affected();
        let lists = sqlx::query("DELETE FROM contact_lists WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(list_id)
            .execute(self.connection())
            .await?
            .rows_affected();
        Ok((lists > 0).then_some(contacts))
    }

    /// Writes the list's contacts with these numbers: each a new one, or the whole of the
    /// existing one replaced (its id and creation kept). In statements of
    /// [`CONTACTS_PER_INSERT`] rows: an import of 100,000 rows is 200 statements instead of
    /// 100,000 (on PostgreSQL each a network round trip). The numbers must differ (one
    /// statement may not change a row twice).
    pub async fn put_contacts(
        &mut self,
        tenant_id: &str,
        list_id: &str,
        contacts: &[ContactValues],
        now_ms: i64,
    ) -> Result<()> {
        for chunk in contacts.chunks(CONTACTS_PER_INSERT) {
            let sql = put_contacts_sql(chunk.len());
            let mut query = sqlx::query(&sql).bind(tenant_id).bind(list_id).bind(now_ms);
            for values in chunk {
                query = query
                    .bind(new_id("con"))
                    .bind(&values.phone)
                    .bind(&values.name)
                    .bind(Value::Object(values.fields.clone()).to_string())
                    .bind(&values.consent_source)
                    .bind(values.consent_at);
            }
            query.execute(self.connection()).await?;
        }
        Ok(())
    }

    /// Replaces a contact's values by its id (its number may change); false when the list has
    /// no such contact. A number another contact of the list has is a unique violation.
    pub async fn update_contact(
        &mut self,
        tenant_id: &str,
        list_id: &str,
        contact_id: &str,
        values: &ContactValues,
        now_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE contacts SET phone = $4, name = $5, fields = $6, consent_source = $7, \
               consent_at = $8, updated_at = $9 \
             WHERE tenant_id = $1 AND list_id = $2 AND id = $3",
        )
        .bind(tenant_id)
        .bind(list_id)
        .bind(contact_id)
        .bind(&values.phone)
        .bind(&values.name)
        .bind(Value::Object(values.fields.clone()).to_string())
        .bind(&values.consent_source)
        .bind(values.consent_at)
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn touch_contact_list(
        &mut self,
        tenant_id: &str,
        list_id: &str,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE contact_lists SET updated_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(list_id)
            .bind(now_ms)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    pub async fn delete_contact(
        &mut self,
        tenant_id: &str,
        list_id: &str,
        contact_id: &str,
    ) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM contacts WHERE tenant_id = $1 AND list_id = $2 AND id = $3")
                .bind(tenant_id)
                .bind(list_id)
                .bind(contact_id)
                .execute(self.connection())
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes the tenant's contacts with any of these numbers, in every list, with their
    /// places in campaigns and the campaigns' dials to them: a data subject's erasure. Answers
    /// how many contacts.
    pub async fn erase_contacts(&mut self, tenant_id: &str, phones: &[String]) -> Result<u64> {
        let mut deleted = 0;
        for phone in phones {
            for table in ["campaign_attempts", "campaign_jobs"] {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE tenant_id = $1 AND phone = $2"
                ))
                .bind(tenant_id)
                .bind(phone)
                .execute(self.connection())
                .await?;
            }
            deleted += sqlx::query("DELETE FROM contacts WHERE tenant_id = $1 AND phone = $2")
                .bind(tenant_id)
                .bind(phone)
                .execute(self.connection())
                .await?
                .rows_affected();
        }
        Ok(deleted)
    }
}
