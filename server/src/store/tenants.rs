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
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// A tenant's limits as the operator set them; `None` is the server's default for that limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    /// Phone calls in progress at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent_calls: Option<u32>,
    /// Web chats open at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent_chats: Option<u32>,
    /// Conversation turns (a caller's answer, a chat message) per second over all channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turns_per_second: Option<u32>,
    /// API requests per minute, by keys and by signed-in people together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_requests_per_minute: Option<u32>,
    /// Megabytes of stored flows, knowledge and conversation records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

const COLUMNS: &str = "id, name, slug, settings, created_at";

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
