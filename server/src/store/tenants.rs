use std::collections::BTreeMap;

use flow_engine::redact::Policy;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{new_id, Result, Store, StoreError, Transaction};

#[derive(Clone, Debug, PartialEq)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub settings: TenantSettings,
    pub created_at: i64,
    /// When the operator suspended the tenant; `None` while it works (see `crate::tenancy`).
    pub suspended_at: Option<i64>,
}

/// Per-tenant settings, stored as JSON. Keys this version does not know are kept in `other`,
/// so an older server never drops what a newer one wrote.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantSettings {
    /// Display name by language tag, e.g. `zh-CN` → 演示商城, `en` → Demo Shop.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub display_name: BTreeMap<String, String>,
    /// The merchant's own API, `{{tenant.api}}` in flows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base_url: Option<String>,
    /// Hosts that HTTP nodes may reach even when they resolve to private addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_hosts: Vec<String>,
    /// Minutes a web chat may wait for its customer before it ends as `abandoned`; unset means
    /// [`DEFAULT_CHAT_IDLE_MINUTES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_idle_minutes: Option<u32>,
    /// The IANA time zone (`Asia/Shanghai`, `Europe/Berlin`) calls are dated in and plain dates
    /// are read in; unset means the server's default (see `conversation::local_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The kinds of personal data kept out of call records, transcripts and exports: every
    /// kind unless the tenant lists fewer (privacy by default, see `flow_engine::redact`); an
    /// empty list keeps everything.
    #[serde(default)]
    pub redaction: Policy,
    /// Days a conversation is kept after it ended; the retention job deletes older ones (see
    /// `privacy::retention`). Unset keeps them: a server must not start deleting a shop's
    /// records on its own after an upgrade; how long is the shop's decision under PIPL and GDPR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// The country or region the shop and its phone numbers are in (ISO 3166-1 alpha-2, e.g.
    /// `CN`); unset until an owner chooses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// What the tenant may use at once and per second, set by the service's operator; unset
    /// limits take the defaults of `crate::quotas`.
    #[serde(default, skip_serializing_if = "Quotas::is_unset")]
    pub quotas: Quotas,
    /// What every outbound call says first, by language (`zh-CN`, `en`): the shop's
    /// AI-disclosure or recording notice. Unset: nothing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outbound_notice: BTreeMap<String, String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// A tenant's limits as the operator set them; `None` is the server's default for that limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    /// Phone calls in progress at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub concurrent_calls: Option<u32>,
    /// Web chats open at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub concurrent_chats: Option<u32>,
    /// Conversation turns (a caller's answer, a chat message) per second over all channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub turns_per_second: Option<u32>,
    /// API requests per minute, by keys and by signed-in people together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub api_requests_per_minute: Option<u32>,
    /// Megabytes of stored flows, knowledge and conversation records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub storage_mb: Option<u32>,
}

impl Quotas {
    pub fn is_unset(&self) -> bool {
        *self == Quotas::default()
    }
}

/// A customer who has not written for half an hour has left: long enough to look up an order
/// number, short enough that the day's figures are final by the evening.
pub const DEFAULT_CHAT_IDLE_MINUTES: u32 = 30;

impl TenantSettings {
    /// How long a web chat waits for its customer before it ends as `abandoned`, in
    /// milliseconds; at least a minute, so that a zero cannot end chats as they start.
    pub fn chat_idle_ms(&self) -> i64 {
        i64::from(
            self.chat_idle_minutes
                .unwrap_or(DEFAULT_CHAT_IDLE_MINUTES)
                .max(1),
        ) * 60_000
    }
}

const COLUMNS: &str = "id, name, slug, settings, created_at, suspended_at";

impl Tenant {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let settings: String = row.try_get("settings")?;
        Ok(Tenant {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            slug: row.try_get("slug")?,
            settings: serde_json::from_str(&settings)
                .map_err(|error| StoreError::corrupt("tenants", "settings", error))?,
            created_at: row.try_get("created_at")?,
            suspended_at: row.try_get("suspended_at")?,
        })
    }
}

fn settings_json(settings: &TenantSettings) -> Result<String> {
    serde_json::to_string(settings)
        .map_err(|error| StoreError::corrupt("tenants", "settings", error))
}

impl Store {
    /// The tenant, remembered for a moment (see the store's `recent` module): every new
    /// conversation reads it.
    pub async fn get_tenant(&self, tenant_id: &str) -> Result<Option<Tenant>> {
        if let Some(tenant) = self.tenants.get(tenant_id) {
            return Ok(Some(tenant));
        }
        let generation = self.tenants.generation();
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tenants WHERE id = $1"))
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
        let tenant = row.as_ref().map(Tenant::from_row).transpose()?;
        if let Some(tenant) = &tenant {
            self.tenants
                .put(tenant.id.clone(), tenant.clone(), generation);
        }
        Ok(tenant)
    }

    pub async fn get_tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tenants WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Tenant::from_row).transpose()
    }

    /// All tenants, for operators (`callflow admin`), never for a tenant's own principal.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM tenants ORDER BY slug"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Tenant::from_row).collect()
    }
}

impl Transaction<'_> {
    /// Fails with [`StoreError::Conflict`] on [`constraint::TENANT_SLUG`](super::constraint::TENANT_SLUG).
    pub async fn create_tenant(
        &mut self,
        name: &str,
        slug: &str,
        settings: &TenantSettings,
        now_ms: i64,
    ) -> Result<Tenant> {
        let row = sqlx::query(&format!(
            "INSERT INTO tenants (id, name, slug, settings, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
        ))
        .bind(new_id("ten"))
        .bind(name)
        .bind(slug)
        .bind(settings_json(settings)?)
        .bind(now_ms)
        .fetch_one(self.connection())
        .await?;
        Tenant::from_row(&row)
    }

    pub async fn update_tenant(
        &mut self,
        tenant_id: &str,
        name: &str,
        settings: &TenantSettings,
    ) -> Result<Option<Tenant>> {
        let row = sqlx::query(&format!(
            "UPDATE tenants SET name = $2, settings = $3 WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(name)
        .bind(settings_json(settings)?)
        .fetch_optional(self.connection())
        .await?;
        let forgotten = tenant_id.to_owned();
        self.forget_after_commit(move |store| store.tenants.forget(|id, _| *id == forgotten));
        row.as_ref().map(Tenant::from_row).transpose()
    }
}

/// What a tenant holds, counted for the operator's list: cheap counts over the tenant's
/// indexes, no scan of another tenant's rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = TenantCounts)]
pub struct TenantUsage {
    pub users: u64,
    /// Flows not deleted.
    pub flows: u64,
    /// Calls and chats, all time.
    pub conversations: u64,
    /// Calls and chats in progress now.
    pub open_conversations: u64,
}

/// The tenant's tables in the order their rows can be deleted: rows that point at another
/// table's rows (by a foreign key or by meaning) come before those rows. `crate::tenancy`'s
/// test reads every table of the schema after a deletion, so a table added later and not
/// named here fails it.
const TENANT_TABLES: &[&str] = &[
    // Conversations and what hangs off them (see `erasure`).
    "call_events",
    "handoffs",
    "widget_conversations",
    "conversations",
    // The sum tables and phrasings not understood.
    "analytics_calls",
    "analytics_calls_daily",
    "analytics_handle_times",
    "analytics_nodes",
    "analytics_edges",
    "analytics_intents",
    "analytics_knowledge",
    "analytics_results",
    "analytics_unheard",
    "analytics_handled",
    "analytics_unheard_texts",
    // The shop's configuration.
    "phone_numbers",
    "telephony_settings",
    "widget_channels",
    "customer_lookups",
    "flow_versions",
    "flows",
    "knowledge_entries",
    "knowledge_revisions",
    "knowledge_bases",
    "agents",
    "queues",
    // Whom the shop calls, how, and whom it must not.
    "campaign_attempts",
    "campaign_jobs",
    "carrier_slots",
    "campaigns",
    "contacts",
    "contact_lists",
    "do_not_call",
    // People and their credentials.
    "login_sessions",
    "invites",
    "api_keys",
    "users",
    "audit_log",
];

/// Rows deleted with a tenant, by table.
pub type DeletedRows = Vec<(&'static str, u64)>;

impl Store {
    /// Usage figures of every tenant that has any, by tenant id.
    pub async fn tenant_usage(&self) -> Result<std::collections::HashMap<String, TenantUsage>> {
        let mut usage: std::collections::HashMap<String, TenantUsage> = Default::default();
        for (sql, field) in [
            (
                "SELECT tenant_id, COUNT(*) AS n FROM users GROUP BY tenant_id",
                0,
            ),
            (
                "SELECT tenant_id, COUNT(*) AS n FROM flows WHERE deleted_at IS NULL \
                 GROUP BY tenant_id",
                1,
            ),
            (
                "SELECT tenant_id, COUNT(*) AS n FROM conversations GROUP BY tenant_id",
                2,
            ),
            (
                "SELECT tenant_id, COUNT(*) AS n FROM conversations WHERE ended_at IS NULL \
                 GROUP BY tenant_id",
                3,
            ),
        ] {
            for row in sqlx::query(sql).fetch_all(&self.pool).await? {
                let tenant_id: String = row.try_get("tenant_id")?;
                let count = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0);
                let entry = usage.entry(tenant_id).or_default();
                match field {
                    0 => entry.users = count,
                    1 => entry.flows = count,
                    2 => entry.conversations = count,
                    _ => entry.open_conversations = count,
                }
            }
        }
        Ok(usage)
    }
}

impl Transaction<'_> {
    /// Suspends the tenant (`Some(now)`) or resumes it (`None`); `None` when there is no such
    /// tenant. This server forgets the tenant at once; others within [`super::CACHE_TTL`].
    pub async fn set_tenant_suspended(
        &mut self,
        tenant_id: &str,
        suspended_at: Option<i64>,
    ) -> Result<Option<Tenant>> {
        let row = sqlx::query(&format!(
            "UPDATE tenants SET suspended_at = $2 WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(suspended_at)
        .fetch_optional(self.connection())
        .await?;
        let forgotten = tenant_id.to_owned();
        self.forget_after_commit(move |store| store.tenants.forget(|id, _| *id == forgotten));
        row.as_ref().map(Tenant::from_row).transpose()
    }

    /// Deletes the tenant and every row of it, table by table ([`TENANT_TABLES`]), then the
    /// tenant itself; answers the rows deleted by table (the tenant's row last). The caller
    /// commits; until then nothing is gone.
    ///
    /// `counting_buckets` are the tenant's buckets in the shared counting windows (its quotas'
    /// counts, named by `crate::quotas`), which hold its id in their name, not in a column.
    pub async fn delete_tenant(
        &mut self,
        tenant_id: &str,
        counting_buckets: &[String],
    ) -> Result<DeletedRows> {
        let mut deleted = Vec::with_capacity(TENANT_TABLES.len() + 2);
        for table in TENANT_TABLES {
            let done = sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
                .bind(tenant_id)
                .execute(self.connection())
                .await?;
            deleted.push((*table, done.rows_affected()));
        }
        let mut windows = 0;
        for bucket in counting_buckets {
            windows += sqlx::query("DELETE FROM widget_rate_windows WHERE bucket = $1")
                .bind(bucket)
                .execute(self.connection())
                .await?
                .rows_affected();
        }
        deleted.push(("widget_rate_windows", windows));
        let done = sqlx::query("DELETE FROM tenants WHERE id = $1")
            .bind(tenant_id)
            .execute(self.connection())
            .await?;
        deleted.push(("tenants", done.rows_affected()));
        let forgotten = tenant_id.to_owned();
        self.forget_after_commit(move |store| {
            store.tenants.forget(|id, _| *id == forgotten);
            store
                .api_keys
                .forget(|_, (key, _)| key.tenant_id == forgotten);
        });
        Ok(deleted)
    }
}
