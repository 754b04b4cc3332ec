use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, new_id, Result, Store, StoreError, Transaction};

/// A flow and its draft. The draft may be invalid; only published versions are known to compile.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    /// The draft's display name, when it has one.
    pub title: Option<String>,
    pub draft: Value,
    /// 1 at creation, +1 on every draft change; writers must name the revision they started from.
    pub revision: i64,
    pub published_version: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A flow without its draft, for lists.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowSummary {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    /// The draft's display name, when it has one.
    pub title: Option<String>,
    pub revision: i64,
    pub published_version: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Copy, Debug)]
pub struct NewFlow<'a> {
    pub name: &'a str,
    pub draft: &'a Value,
}

/// An immutable published version. Versions are numbered 1, 2, … per flow and outlive the
/// flow's deletion, because calls refer to them.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowVersion {
    pub tenant_id: String,
    pub flow_id: String,
    pub version: i64,
    pub document: Value,
    pub note: String,
    /// The draft revision this version was published from.
    pub draft_revision: i64,
    pub created_at: i64,
    /// Who published, in the audit log's actor format.
    pub created_by: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlowVersionSummary {
    pub tenant_id: String,
    pub flow_id: String,
    pub version: i64,
    pub note: String,
    pub draft_revision: i64,
    pub created_at: i64,
    pub created_by: String,
}

const SUMMARY_COLUMNS: &str =
    "tenant_id, id, name, title, revision, published_version, created_at, updated_at";
const COLUMNS: &str =
    "tenant_id, id, name, title, draft, revision, published_version, created_at, updated_at";

/// The document's display name (`title`) as the `title` column keeps it: non-blank text or
/// nothing. The column is a copy of the draft's field, written with every draft.
pub fn document_title(document: &Value) -> Option<String> {
    document
        .get("title")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|title| !title.is_empty())
        .map(str::to_owned)
}
const VERSION_SUMMARY_COLUMNS: &str =
    "tenant_id, flow_id, version, note, draft_revision, created_at, created_by";
const VERSION_COLUMNS: &str =
    "tenant_id, flow_id, version, document, note, draft_revision, created_at, created_by";

impl Flow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Flow {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            name: row.try_get("name")?,
            title: row.try_get("title")?,
            draft: json_column(row, "flows", "draft")?,
            revision: row.try_get("revision")?,
            published_version: row.try_get("published_version")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl From<Flow> for FlowSummary {
    fn from(flow: Flow) -> Self {
        FlowSummary {
            id: flow.id,
            tenant_id: flow.tenant_id,
            name: flow.name,
            title: flow.title,
            revision: flow.revision,
            published_version: flow.published_version,
            created_at: flow.created_at,
            updated_at: flow.updated_at,
        }
    }
}

impl FlowSummary {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(FlowSummary {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            name: row.try_get("name")?,
            title: row.try_get("title")?,
            revision: row.try_get("revision")?,
            published_version: row.try_get("published_version")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl FlowVersion {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(FlowVersion {
            tenant_id: row.try_get("tenant_id")?,
            flow_id: row.try_get("flow_id")?,
            version: row.try_get("version")?,
            document: json_column(row, "flow_versions", "document")?,
            note: row.try_get("note")?,
            draft_revision: row.try_get("draft_revision")?,
            created_at: row.try_get("created_at")?,
            created_by: row.try_get("created_by")?,
        })
    }
}

impl FlowVersionSummary {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(FlowVersionSummary {
            tenant_id: row.try_get("tenant_id")?,
            flow_id: row.try_get("flow_id")?,
            version: row.try_get("version")?,
            note: row.try_get("note")?,
            draft_revision: row.try_get("draft_revision")?,
            created_at: row.try_get("created_at")?,
            created_by: row.try_get("created_by")?,
        })
    }
}

/// `%text%` for `LIKE … ESCAPE '\'`, with the caller's own wildcards taken literally.
pub(super) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for character in text.to_lowercase().chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

impl Store {
    pub async fn get_flow(&self, tenant_id: &str, flow_id: &str) -> Result<Option<Flow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM flows WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL"
        ))
        .bind(tenant_id)
        .bind(flow_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Flow::from_row).transpose()
    }

    /// The tenant's flows, most recently edited first; `search` keeps those whose name or
    /// display name contains it, ignoring case.
    pub async fn list_flows(
        &self,
        tenant_id: &str,
        search: Option<&str>,
    ) -> Result<Vec<FlowSummary>> {
        let mut sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM flows WHERE tenant_id = $1 AND deleted_at IS NULL"
        );
        if search.is_some() {
            sql.push_str(
                " AND (LOWER(name) LIKE $2 ESCAPE '\\' OR LOWER(title) LIKE $2 ESCAPE '\\')",
            );
        }
        sql.push_str(" ORDER BY updated_at DESC, id DESC");
        let mut query = sqlx::query(&sql).bind(tenant_id);
        if let Some(search) = search {
            query = query.bind(contains_pattern(search));
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(FlowSummary::from_row).collect()
    }

    fn forget_published(&self, tenant_id: &str, flow_id: &str) {
        self.published
            .forget(|(tenant, flow), _| tenant == tenant_id && flow == flow_id);
    }

    /// Newest first.
    pub async fn list_flow_versions(
        &self,
        tenant_id: &str,
        flow_id: &str,
    ) -> Result<Vec<FlowVersionSummary>> {
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_SUMMARY_COLUMNS} FROM flow_versions \
             WHERE tenant_id = $1 AND flow_id = $2 ORDER BY version DESC"
        ))
        .bind(tenant_id)
        .bind(flow_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(FlowVersionSummary::from_row).collect()
    }

    pub async fn get_flow_version(
        &self,
        tenant_id: &str,
        flow_id: &str,
        version: i64,
    ) -> Result<Option<FlowVersion>> {
        let row = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM flow_versions \
             WHERE tenant_id = $1 AND flow_id = $2 AND version = $3"
        ))
        .bind(tenant_id)
        .bind(flow_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(FlowVersion::from_row).transpose()
    }

    /// The number of the version a flow's new calls run, without its document: `None` when
    /// the tenant has no such (undeleted) flow, `Some(None)` when it was never published.
    /// Remembered for a moment (see the store's `recent` module): publishing or deleting
    /// through this store is seen at once, through another server within
    /// [`super::CACHE_TTL`].
    pub async fn published_version_number(
        &self,
        tenant_id: &str,
        flow_id: &str,
    ) -> Result<Option<Option<i64>>> {
        let key = (tenant_id.to_owned(), flow_id.to_owned());
        if let Some(number) = self.published.get(&key) {
            return Ok(number);
        }
        let generation = self.published.generation();
        let number: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT published_version FROM flows \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(tenant_id)
        .bind(flow_id)
        .fetch_optional(&self.pool)
        .await?;
        self.published.put(key, number, generation);
        Ok(number)
    }

    /// The version a flow's new calls run: `None` when the flow is deleted or never published.
    pub async fn get_published_flow_version(
        &self,
        tenant_id: &str,
        flow_id: &str,
    ) -> Result<Option<FlowVersion>> {
        let row = sqlx::query(
            "SELECT v.tenant_id, v.flow_id, v.version, v.document, v.note, v.draft_revision, \
                    v.created_at, v.created_by \
             FROM flows f JOIN flow_versions v \
               ON v.tenant_id = f.tenant_id AND v.flow_id = f.id AND v.version = f.published_version \
             WHERE f.tenant_id = $1 AND f.id = $2 AND f.deleted_at IS NULL",
        )
        .bind(tenant_id)
        .bind(flow_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(FlowVersion::from_row).transpose()
    }
}

impl Transaction<'_> {
    /// Fails with [`StoreError::Conflict`] on [`super::constraint::FLOW_NAME`] when the
    /// tenant has a flow of that name.
    pub async fn create_flow(
        &mut self,
        tenant_id: &str,
        new: &NewFlow<'_>,
        now_ms: i64,
    ) -> Result<Flow> {
        let row = sqlx::query(&format!(
            "INSERT INTO flows (tenant_id, id, name, title, draft, revision, created_at, updated_at) \
             VALUES ($1, $2, $3, $6, $4, 1, $5, $5) RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(new_id("flw"))
        .bind(new.name)
        .bind(new.draft.to_string())
        .bind(now_ms)
        .bind(document_title(new.draft))
        .fetch_one(self.connection())
        .await?;
        Flow::from_row(&row)
    }

    /// Replaces name and draft if the draft is still at `expected_revision`, as one
    /// compare-and-set; `None` when the flow does not exist, [`StoreError::RevisionMismatch`]
    /// when someone else saved first.
    pub async fn update_draft(
        &mut self,
        tenant_id: &str,
        flow_id: &str,
        expected_revision: i64,
        update: &NewFlow<'_>,
        now_ms: i64,
    ) -> Result<Option<Flow>> {
        let row = sqlx::query(&format!(
            "UPDATE flows SET name = $4, title = $7, draft = $5, revision = revision + 1, \
                 updated_at = $6 \
             WHERE tenant_id = $1 AND id = $2 AND revision = $3 AND deleted_at IS NULL \
             RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(flow_id)
        .bind(expected_revision)
        .bind(update.name)
        .bind(update.draft.to_string())
        .bind(now_ms)
        .bind(document_title(update.draft))
        .fetch_optional(self.connection())
        .await?;
        match row {
            Some(row) => Flow::from_row(&row).map(Some),
            None => self.revision_mismatch_or_missing(tenant_id, flow_id).await,
        }
    }

    /// After a compare-and-set matched nothing: `None` if the flow is gone, else the mismatch.
    async fn revision_mismatch_or_missing<T>(
        &mut self,
        tenant_id: &str,
        flow_id: &str,
    ) -> Result<Option<T>> {
        let current: Option<i64> = sqlx::query_scalar(
            "SELECT revision FROM flows WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(tenant_id)
        .bind(flow_id)
        .fetch_optional(self.connection())
        .await?;
        match current {
            Some(current) => Err(StoreError::RevisionMismatch { current }),
            None => Ok(None),
        }
    }

    /// Soft delete: the flow disappears and frees its name; its versions and calls stay.
    pub async fn delete_flow(
        &mut self,
        tenant_id: &str,
        flow_id: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let result = sqlx::query(
            "UPDATE flows SET deleted_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(tenant_id)
        .bind(flow_id)
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        self.forget_published_after_commit(tenant_id, flow_id);
        Ok(result.rows_affected() > 0)
    }

    fn forget_published_after_commit(&mut self, tenant_id: &str, flow_id: &str) {
        let (tenant_id, flow_id) = (tenant_id.to_owned(), flow_id.to_owned());
        self.forget_after_commit(move |store| store.forget_published(&tenant_id, &flow_id));
    }

    /// Copies a version's document into the draft, as a draft update from `expected_revision`,
    /// and names the flow with the version's key and title (a version's may differ from the
    /// flow's current ones).
    /// `None` when the flow or the version does not exist.
    pub async fn restore_flow_version(
        &mut self,
        tenant_id: &str,
        flow_id: &str,
        version: i64,
        expected_revision: i64,
        (name, title): (&str, Option<&str>),
        now_ms: i64,
    ) -> Result<Option<Flow>> {
        let row = sqlx::query(&format!(
            "UPDATE flows SET \
                 name = $5, title = $7, \
                 draft = (SELECT v.document FROM flow_versions v \
                          WHERE v.tenant_id = $1 AND v.flow_id = $2 AND v.version = $3), \
                 revision = revision + 1, updated_at = $6 \
             WHERE tenant_id = $1 AND id = $2 AND revision = $4 AND deleted_at IS NULL \
               AND EXISTS (SELECT 1 FROM flow_versions v \
                           WHERE v.tenant_id = $1 AND v.flow_id = $2 AND v.version = $3) \
             RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(flow_id)
        .bind(version)
        .bind(expected_revision)
        .bind(name)
        .bind(now_ms)
        .bind(title)
        .fetch_optional(self.connection())
        .await?;
        if let Some(row) = row {
            return Flow::from_row(&row).map(Some);
        }
        let version_exists: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM flow_versions \
             WHERE tenant_id = $1 AND flow_id = $2 AND version = $3",
        )
        .bind(tenant_id)
        .bind(flow_id)
        .bind(version)
        .fetch_optional(self.connection())
        .await?;
        if version_exists.is_none() {
            return Ok(None);
        }
        self.revision_mismatch_or_missing(tenant_id, flow_id).await
    }

    /// Freezes the draft as the next version and makes it the published one. The caller names
    /// the revision it validated, so a draft saved after validation is never published unseen.
    /// The flow's row lock, taken first, serialises publishers of one flow.
    pub async fn publish_flow(
        &mut self,
        tenant_id: &str,
        flow_id: &str,
        expected_revision: i64,
        note: &str,
        created_by: &str,
        now_ms: i64,
    ) -> Result<Option<FlowVersion>> {
        // A no-op write, to hold the flow's row lock until commit.
        let current: Option<i64> = sqlx::query_scalar(
            "UPDATE flows SET published_version = published_version \
             WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING revision",
        )
        .bind(tenant_id)
        .bind(flow_id)
        .fetch_optional(self.connection())
        .await?;
        let Some(current) = current else {
            return Ok(None);
        };
        if current != expected_revision {
            return Err(StoreError::RevisionMismatch { current });
        }
        let row = sqlx::query(&format!(
            "INSERT INTO flow_versions \
                 (tenant_id, flow_id, version, document, note, draft_revision, created_at, created_by) \
             SELECT f.tenant_id, f.id, \
                    (SELECT COALESCE(MAX(v.version), 0) + 1 FROM flow_versions v \
                     WHERE v.tenant_id = f.tenant_id AND v.flow_id = f.id), \
                    f.draft, $3, f.revision, $4, $5 \
             FROM flows f WHERE f.tenant_id = $1 AND f.id = $2 \
             RETURNING {VERSION_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(flow_id)
        .bind(note)
        .bind(now_ms)
        .bind(created_by)
        .fetch_one(self.connection())
        .await?;
        let version = FlowVersion::from_row(&row)?;
        sqlx::query("UPDATE flows SET published_version = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(flow_id)
            .bind(version.version)
            .execute(self.connection())
            .await?;
        self.forget_published_after_commit(tenant_id, flow_id);
        Ok(Some(version))
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("Order"), "%order%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
