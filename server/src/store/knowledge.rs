//! Knowledge bases, their entries and revisions (tables of migration 0005).
//!
//! Revisions are ranges, not snapshots: every version of an entry is a row valid from the
//! revision that wrote it until the one that replaced or deleted it (`valid_to`, NULL while
//! current). Loading revision N is one indexed range query, an edit writes only the entries it
//! touches (a snapshot per revision would copy the whole base on every one-entry edit), and a
//! revision pinned by a call in progress stays loadable however many edits follow, on every
//! server sharing the database, because rows are never changed except to close their range.
//! A base keeps every revision; they are small beside the conversations that pin them.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, new_id, Result, Store, StoreError, Transaction};

/// A knowledge base. `key` is how flows name it; `revision` is 1 at creation and +1 on every
/// change of its entries.
#[derive(Clone, Debug, PartialEq)]
pub struct KnowledgeBase {
    pub id: String,
    pub tenant_id: String,
    pub key: String,
    pub name: String,
    pub language: String,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A base in a list, with how many entries it has now.
#[derive(Clone, Debug, PartialEq)]
pub struct KnowledgeBaseSummary {
    pub base: KnowledgeBase,
    pub entries: i64,
    pub enabled_entries: i64,
}

/// What an entry says; the same for a new entry and a replacement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryFields {
    pub question: String,
    pub alternatives: Vec<String>,
    pub answer: String,
    pub category: String,
    pub enabled: bool,
}

/// One entry at one revision.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEntry {
    /// `kbe_…`, the same across the entry's versions.
    pub id: String,
    pub fields: EntryFields,
    /// When the entry was first written.
    pub created_at: i64,
    /// When this version was written.
    pub updated_at: i64,
}

/// Who made a revision, when, and what it changed.
#[derive(Clone, Debug, PartialEq)]
pub struct KnowledgeRevision {
    pub revision: i64,
    pub at: i64,
    /// The audit log's actor format: `user:<id>`, `key:<id>` or `system`.
    pub actor: String,
    pub summary: Value,
}

const BASE_COLUMNS: &str = "tenant_id, id, key, name, language, revision, created_at, updated_at";
const ENTRY_COLUMNS: &str =
    "id, question, alternatives, answer, category, enabled, created_at, updated_at";

impl KnowledgeBase {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(KnowledgeBase {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            key: row.try_get("key")?,
            name: row.try_get("name")?,
            language: row.try_get("language")?,
            revision: row.try_get("revision")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl StoredEntry {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let alternatives = json_column(row, "knowledge_entries", "alternatives")?;
        let alternatives: Vec<String> = serde_json::from_value(alternatives)
            .map_err(|error| StoreError::corrupt("knowledge_entries", "alternatives", error))?;
        let enabled: i64 = row.try_get("enabled")?;
        Ok(StoredEntry {
            id: row.try_get("id")?,
            fields: EntryFields {
                question: row.try_get("question")?,
                alternatives,
                answer: row.try_get("answer")?,
                category: row.try_get("category")?,
                enabled: enabled != 0,
            },
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl Store {
    /// The tenant's base with this key, unless deleted.
    pub async fn get_knowledge_base(
        &self,
        tenant_id: &str,
        key: &str,
    ) -> Result<Option<KnowledgeBase>> {
        let row = sqlx::query(&format!(
            "SELECT {BASE_COLUMNS} FROM knowledge_bases \
             WHERE tenant_id = $1 AND key = $2 AND deleted_at IS NULL"
        ))
        .bind(tenant_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(KnowledgeBase::from_row).transpose()
    }

    /// The tenant's bases, deleted ones excluded, by key, with their current entry counts.
    pub async fn list_knowledge_bases(&self, tenant_id: &str) -> Result<Vec<KnowledgeBaseSummary>> {
        let rows = sqlx::query(
            "SELECT b.tenant_id, b.id, b.key, b.name, b.language, b.revision, b.created_at, \
                    b.updated_at, \
                    (SELECT COUNT(*) FROM knowledge_entries e \
                     WHERE e.tenant_id = b.tenant_id AND e.base_id = b.id \
                       AND e.valid_to IS NULL) AS entry_count, \
                    (SELECT COUNT(*) FROM knowledge_entries e \
                     WHERE e.tenant_id = b.tenant_id AND e.base_id = b.id \
                       AND e.valid_to IS NULL AND e.enabled <> 0) AS enabled_count \
             FROM knowledge_bases b WHERE b.tenant_id = $1 AND b.deleted_at IS NULL \
             ORDER BY b.key",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(KnowledgeBaseSummary {
                    base: KnowledgeBase::from_row(row)?,
                    entries: row.try_get("entry_count")?,
                    enabled_entries: row.try_get("enabled_count")?,
                })
            })
            .collect()
    }

    /// The entries of a base at `revision` (`None`: the current ones), by id, which is creation
    /// order. The base may since have been deleted: calls that pinned it still load it.
    pub async fn knowledge_entries(
        &self,
        tenant_id: &str,
        base_id: &str,
        revision: Option<i64>,
    ) -> Result<Vec<StoredEntry>> {
        let rows = match revision {
            None => {
                sqlx::query(&format!(
                    "SELECT {ENTRY_COLUMNS} FROM knowledge_entries \
                     WHERE tenant_id = $1 AND base_id = $2 AND valid_to IS NULL ORDER BY id"
                ))
                .bind(tenant_id)
                .bind(base_id)
                .fetch_all(&self.pool)
                .await?
            }
            Some(revision) => {
                sqlx::query(&format!(
                    "SELECT {ENTRY_COLUMNS} FROM knowledge_entries \
                     WHERE tenant_id = $1 AND base_id = $2 AND valid_from <= $3 \
                       AND (valid_to IS NULL OR valid_to > $3) ORDER BY id"
                ))
                .bind(tenant_id)
                .bind(base_id)
                .bind(revision)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(StoredEntry::from_row).collect()
    }

    /// One current entry of a base.
    pub async fn knowledge_entry(
        &self,
        tenant_id: &str,
        base_id: &str,
        entry_id: &str,
    ) -> Result<Option<StoredEntry>> {
        let row = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM knowledge_entries \
             WHERE tenant_id = $1 AND base_id = $2 AND id = $3 AND valid_to IS NULL"
        ))
        .bind(tenant_id)
        .bind(base_id)
        .bind(entry_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(StoredEntry::from_row).transpose()
    }

    /// A base's revisions, newest first.
    pub async fn list_knowledge_revisions(
        &self,
        tenant_id: &str,
        base_id: &str,
    ) -> Result<Vec<KnowledgeRevision>> {
        let rows = sqlx::query(
            "SELECT revision, at, actor, summary FROM knowledge_revisions \
             WHERE tenant_id = $1 AND base_id = $2 ORDER BY revision DESC",
        )
        .bind(tenant_id)
        .bind(base_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(KnowledgeRevision {
                    revision: row.try_get("revision")?,
                    at: row.try_get("at")?,
                    actor: row.try_get("actor")?,
                    summary: json_column(row, "knowledge_revisions", "summary")?,
                })
            })
            .collect()
    }
}

impl Transaction<'_> {
    /// A new, empty base at revision 1, recorded as made by `actor`. Fails with
    /// [`StoreError::Conflict`] on [`super::constraint::KNOWLEDGE_BASE_KEY`] when the tenant
    /// has a base with this key.
    pub async fn create_knowledge_base(
        &mut self,
        tenant_id: &str,
        key: &str,
        name: &str,
        language: &str,
        actor: &str,
        now_ms: i64,
    ) -> Result<KnowledgeBase> {
        let row = sqlx::query(&format!(
            "INSERT INTO knowledge_bases \
                 (tenant_id, id, key, name, language, revision, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING {BASE_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(new_id("kb"))
        .bind(key)
        .bind(name)
        .bind(language)
        .bind(now_ms)
        .fetch_one(self.connection())
        .await?;
        let base = KnowledgeBase::from_row(&row)?;
        self.record_knowledge_revision(
            tenant_id,
            &base.id,
            1,
            actor,
            &serde_json::json!({ "kind": "created" }),
            now_ms,
        )
        .await?;
        Ok(base)
    }

    /// Renames a base; its revision stays (what calls answer does not change).
    pub async fn rename_knowledge_base(
        &mut self,
        tenant_id: &str,
        key: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<Option<KnowledgeBase>> {
        let row = sqlx::query(&format!(
            "UPDATE knowledge_bases SET name = $3, updated_at = $4 \
             WHERE tenant_id = $1 AND key = $2 AND deleted_at IS NULL RETURNING {BASE_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(key)
        .bind(name)
        .bind(now_ms)
        .fetch_optional(self.connection())
        .await?;
        row.as_ref().map(KnowledgeBase::from_row).transpose()
    }

    /// Soft delete: the key is free again; the base's revisions stay for the calls pinning them.
    pub async fn delete_knowledge_base(
        &mut self,
        tenant_id: &str,
        key: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let result = sqlx::query(
            "UPDATE knowledge_bases SET deleted_at = $3 \
             WHERE tenant_id = $1 AND key = $2 AND deleted_at IS NULL",
        )
        .bind(tenant_id)
        .bind(key)
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Starts the base's next revision and returns it with the base. The update holds the
    /// base's row lock until commit, so that concurrent writers of one base take turns and get
    /// consecutive revisions. `expected_revision`, when given, must be the current one
    /// ([`StoreError::RevisionMismatch`] otherwise). `None` when the base does not exist.
    pub async fn next_knowledge_revision(
        &mut self,
        tenant_id: &str,
        key: &str,
        expected_revision: Option<i64>,
        now_ms: i64,
    ) -> Result<Option<KnowledgeBase>> {
        let row = sqlx::query(&format!(
            "UPDATE knowledge_bases SET revision = revision + 1, updated_at = $3 \
             WHERE tenant_id = $1 AND key = $2 AND deleted_at IS NULL RETURNING {BASE_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(key)
        .bind(now_ms)
        .fetch_optional(self.connection())
        .await?;
        let Some(base) = row.as_ref().map(KnowledgeBase::from_row).transpose()? else {
            return Ok(None);
        };
        if let Some(expected) = expected_revision {
            if base.revision - 1 != expected {
                return Err(StoreError::RevisionMismatch {
                    current: base.revision - 1,
                });
            }
        }
        Ok(Some(base))
    }

    /// Records who made `revision` and what it changed.
    pub async fn record_knowledge_revision(
        &mut self,
        tenant_id: &str,
        base_id: &str,
        revision: i64,
        actor: &str,
        summary: &Value,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO knowledge_revisions (tenant_id, base_id, revision, at, actor, summary) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant_id)
        .bind(base_id)
        .bind(revision)
        .bind(now_ms)
        .bind(actor)
        .bind(summary.to_string())
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// A new entry, valid from `revision` (begun by [`Self::next_knowledge_revision`]).
    pub async fn insert_knowledge_entry(
        &mut self,
        tenant_id: &str,
        base_id: &str,
        revision: i64,
        fields: &EntryFields,
        now_ms: i64,
    ) -> Result<StoredEntry> {
        self.write_entry(
            tenant_id,
            base_id,
            &new_id("kbe"),
            revision,
            fields,
            now_ms,
            now_ms,
        )
        .await
    }

    /// Replaces a current entry from `revision` on; its earlier version stays in the earlier
    /// revisions. `None` when the base has no such current entry. An entry changes at most once
    /// per revision.
    pub async fn replace_knowledge_entry(
        &mut self,
        tenant_id: &str,
        base_id: &str,
        entry_id: &str,
        revision: i64,
        fields: &EntryFields,
        now_ms: i64,
    ) -> Result<Option<StoredEntry>> {
        let Some(created_at) = self
            .close_entry(tenant_id, base_id, entry_id, revision)
            .await?
        else {
            return Ok(None);
        };
        self.write_entry(
            tenant_id, base_id, entry_id, revision, fields, created_at, now_ms,
        )
        .await
        .map(Some)
    }

    /// Deletes a current entry from `revision` on; `false` when there is none.
    pub async fn delete_knowledge_entry(
        &mut self,
        tenant_id: &str,
        base_id: &str,
        entry_id: &str,
        revision: i64,
    ) -> Result<bool> {
        Ok(self
            .close_entry(tenant_id, base_id, entry_id, revision)
            .await?
            .is_some())
    }

    /// Ends the current version of an entry before `revision`; its creation time, if it was
    /// there.
    async fn close_entry(
        &mut self,
        tenant_id: &str,
        base_id: &str,
        entry_id: &str,
        revision: i64,
    ) -> Result<Option<i64>> {
        let created_at: Option<i64> = sqlx::query_scalar(
            "UPDATE knowledge_entries SET valid_to = $4 \
             WHERE tenant_id = $1 AND base_id = $2 AND id = $3 AND valid_to IS NULL \
             RETURNING created_at",
        )
        .bind(tenant_id)
        .bind(base_id)
        .bind(entry_id)
        .bind(revision)
        .fetch_optional(self.connection())
        .await?;
        Ok(created_at)
    }

    #[allow(clippy::too_many_arguments)]
    async fn write_entry(
        &mut self,
        tenant_id: &str,
        base_id: &str,
        entry_id: &str,
        revision: i64,
        fields: &EntryFields,
        created_at: i64,
        now_ms: i64,
    ) -> Result<StoredEntry> {
        let alternatives = serde_json::to_string(&fields.alternatives)
            .map_err(|error| StoreError::corrupt("knowledge_entries", "alternatives", error))?;
        let row = sqlx::query(&format!(
            "INSERT INTO knowledge_entries (tenant_id, base_id, id, valid_from, question, \
                 alternatives, answer, category, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {ENTRY_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(base_id)
        .bind(entry_id)
        .bind(revision)
        .bind(&fields.question)
        .bind(alternatives)
        .bind(&fields.answer)
        .bind(&fields.category)
        .bind(i64::from(fields.enabled))
        .bind(created_at)
        .bind(now_ms)
        .fetch_one(self.connection())
        .await?;
        StoredEntry::from_row(&row)
    }
}
