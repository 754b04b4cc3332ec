//! The chat widget's rows: channels (a flow's publishable key and the origins allowed to use
//! it), which visitor each widget conversation belongs to, and the request counts that rate
//! limits read.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, name_column, new_id, random_hex, sha256_hex};
use super::{Result, Store, StoreError, Transaction};

/// The widget's language when the page names none; stored as its tag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WidgetLanguage {
    #[default]
    #[serde(rename = "zh-CN")]
    Chinese,
    #[serde(rename = "en")]
    English,
}

impl WidgetLanguage {
    pub fn as_str(self) -> &'static str {
        match self {
            WidgetLanguage::Chinese => "zh-CN",
            WidgetLanguage::English => "en",
        }
    }

    pub fn parse(text: &str) -> Option<WidgetLanguage> {
        match text {
            "zh-CN" => Some(WidgetLanguage::Chinese),
            "en" => Some(WidgetLanguage::English),
            _ => None,
        }
    }
}

/// How long a widget conversation's link to its call is remembered after it was read: longer
/// than a waiting visitor's poll, so that each poll of an open chat finds it.
pub(super) const LINK_TTL: std::time::Duration = std::time::Duration::from_secs(120);
/// Links remembered at most (about 250 bytes each); past that, polls read theirs again.
pub(super) const LINK_CAPACITY: usize = 100_000;

/// A flow's public chat channel.
#[derive(Clone, Debug, PartialEq)]
pub struct WidgetChannel {
    /// `wch_…`.
    pub id: String,
    pub tenant_id: String,
    pub flow_id: String,
    pub name: String,
    /// The publishable key (`cfw_…`) that pages put in the script tag.
    pub key: String,
    /// Exact origins (`https://shop.example`) whose pages may use the key.
    pub allowed_origins: Vec<String>,
    pub enabled: bool,
    pub language: WidgetLanguage,
    /// The secret that signs the ids of the shop's signed-in customers, sealed by the server's
    /// key; `None` for a channel made before identities, until its owner makes one.
    pub identity_secret: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a manager sets on a channel.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelFields {
    pub name: String,
    pub allowed_origins: Vec<String>,
    pub enabled: bool,
    pub language: WidgetLanguage,
}

const CHANNEL_COLUMNS: &str = "id, tenant_id, flow_id, name, key, allowed_origins, enabled, \
                               language, created_at, updated_at, identity_secret";

impl WidgetChannel {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let origins = json_column(row, "widget_channels", "allowed_origins")?;
        let allowed_origins = serde_json::from_value(origins)
            .map_err(|error| StoreError::corrupt("widget_channels", "allowed_origins", error))?;
        let enabled: i64 = row.try_get("enabled")?;
        Ok(WidgetChannel {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            flow_id: row.try_get("flow_id")?,
            name: row.try_get("name")?,
            key: row.try_get("key")?,
            allowed_origins,
            enabled: enabled != 0,
            language: name_column(row, "widget_channels", "language")?,
            identity_secret: row.try_get("identity_secret")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// A new publishable key: a prefix that says what it is, and 24 random bytes.
fn new_channel_key() -> Result<String> {
    Ok(format!("cfw_{}", random_hex(24)?))
}

fn origins_json(origins: &[String]) -> String {
    serde_json::Value::from(origins.to_vec()).to_string()
}

impl Store {
    /// The channel with this key, whoever's it is: how a widget request finds its tenant.
    /// Every request of every open widget asks (a waiting visitor's poll too), so it is
    /// remembered for a moment like API keys: a change made elsewhere is seen within
    /// [`super::recent::TTL`], one made through this store at once.
    pub async fn widget_channel_by_key(&self, key: &str) -> Result<Option<WidgetChannel>> {
        if let Some(found) = self.widget_channels.get(key) {
            return Ok(found);
        }
        let generation = self.widget_channels.generation();
        let row = sqlx::query(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM widget_channels WHERE key = $1"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let found = row.as_ref().map(WidgetChannel::from_row).transpose()?;
        self.widget_channels
            .put(key.to_owned(), found.clone(), generation);
        Ok(found)
    }

    pub async fn get_widget_channel(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<WidgetChannel>> {
        let row = sqlx::query(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM widget_channels WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(WidgetChannel::from_row).transpose()
    }

    /// The tenant's channels, oldest first.
    pub async fn list_widget_channels(&self, tenant_id: &str) -> Result<Vec<WidgetChannel>> {
        let rows = sqlx::query(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM widget_channels WHERE tenant_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(WidgetChannel::from_row).collect()
    }

    /// Records that a widget conversation (a web-chat session) belongs to the visitor who
    /// holds `visitor_token`, on `channel`.
    pub async fn link_widget_conversation(
        &self,
        channel: &WidgetChannel,
        session_id: &str,
        call_id: &str,
        visitor_token: &str,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO widget_conversations \
                 (session_id, tenant_id, channel_id, visitor, call_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session_id)
        .bind(&channel.tenant_id)
        .bind(&channel.id)
        .bind(sha256_hex(visitor_token))
        .bind(call_id)
        .bind(now_ms)
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(())
    }

    /// The call of a widget conversation, if it is this visitor's on this channel: another
    /// visitor's, channel's or tenant's is not there. Every request of a conversation asks
    /// (a waiting visitor's poll, every 20 s or so, too), and a link never changes once
    /// written, so links found are remembered for [`LINK_TTL`]; they go with their channel.
    pub async fn widget_conversation_call(
        &self,
        channel: &WidgetChannel,
        session_id: &str,
        visitor_token: &str,
    ) -> Result<Option<String>> {
        let visitor = sha256_hex(visitor_token);
        let key = (channel.id.clone(), session_id.to_owned(), visitor);
        if let Some(call_id) = self.widget_links.get(&key) {
            return Ok(Some(call_id));
        }
        let generation = self.widget_links.generation();
        let found: Option<String> = sqlx::query_scalar(
            "SELECT call_id FROM widget_conversations \
             WHERE session_id = $1 AND tenant_id = $2 AND channel_id = $3 AND visitor = $4",
        )
        .bind(session_id)
        .bind(&channel.tenant_id)
        .bind(&channel.id)
        .bind(&key.2)
        .fetch_optional(&self.pool)
        .await?;
        // Only links found: a link asked for before it is written must not be remembered
        // as missing.
        if let Some(call_id) = &found {
            self.widget_links.put(key, call_id.clone(), generation);
        }
        Ok(found)
    }

    /// Adds `hits` requests to each `(bucket, window_start)` count and answers the counts
    /// after, in order: one transaction for the batch, one statement per count, so that
    /// concurrent adds on any server each see their own total. Rows are written in one order
    /// (by bucket and window) whatever the batch's, so that two servers' batches on PostgreSQL
    /// wait for each other instead of deadlocking.
    pub async fn add_widget_requests(&self, counts: &[(&str, i64, i64)]) -> Result<Vec<i64>> {
        let mut order: Vec<usize> = (0..counts.len()).collect();
        order.sort_by_key(|&index| (counts[index].0, counts[index].1));
        let mut transaction = self.begin_write().await?;
        let mut totals = vec![0; counts.len()];
        for index in order {
            let (bucket, window_start, hits) = counts[index];
            totals[index] = sqlx::query_scalar(
                "INSERT INTO widget_rate_windows (bucket, window_start, hits) \
                     VALUES ($1, $2, $3) \
                     ON CONFLICT (bucket, window_start) \
                     DO UPDATE SET hits = widget_rate_windows.hits + excluded.hits \
                     RETURNING hits",
            )
            .bind(bucket)
            .bind(window_start)
            .bind(hits)
            .fetch_one(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(totals)
    }

    /// Forgets the counts of windows that started before `before`; answers how many.
    pub async fn purge_widget_rate_windows(&self, before: i64) -> Result<u64> {
        let result = sqlx::query("DELETE FROM widget_rate_windows WHERE window_start < $1")
            .bind(before)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(result.rows_affected())
    }
}

/// What a channel may be given anew: its publishable key, or its identity secret.
enum ChannelSecret {
    Key,
    Identity,
}

impl Transaction<'_> {
    /// A new channel for one of the tenant's flows, with a new key; `None` when the tenant
    /// has no such flow.
    pub async fn create_widget_channel(
        &mut self,
        tenant_id: &str,
        flow_id: &str,
        fields: &ChannelFields,
        now_ms: i64,
    ) -> Result<Option<WidgetChannel>> {
        let id = new_id("wch");
        let row = sqlx::query(&format!(
            "INSERT INTO widget_channels ({CHANNEL_COLUMNS}) \
             SELECT $1, f.tenant_id, f.id, $4, $5, $6, $7, $8, $9, $9, NULL FROM flows f \
             WHERE f.tenant_id = $2 AND f.id = $3 AND f.deleted_at IS NULL \
             RETURNING {CHANNEL_COLUMNS}"
        ))
        .bind(&id)
        .bind(tenant_id)
        .bind(flow_id)
        .bind(&fields.name)
        .bind(new_channel_key()?)
        .bind(origins_json(&fields.allowed_origins))
        .bind(i64::from(fields.enabled))
        .bind(fields.language.as_str())
        .bind(now_ms)
        .fetch_optional(self.connection())
        .await?;
        self.forget_widget_channel(&id);
        row.as_ref().map(WidgetChannel::from_row).transpose()
    }

    /// Replaces what a manager sets on a channel; `None` when the tenant has no such channel.
    pub async fn update_widget_channel(
        &mut self,
        tenant_id: &str,
        id: &str,
        fields: &ChannelFields,
        now_ms: i64,
    ) -> Result<Option<WidgetChannel>> {
        let row = sqlx::query(&format!(
            "UPDATE widget_channels SET name = $3, allowed_origins = $4, enabled = $5, \
                 language = $6, updated_at = $7 \
             WHERE tenant_id = $1 AND id = $2 RETURNING {CHANNEL_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(id)
        .bind(&fields.name)
        .bind(origins_json(&fields.allowed_origins))
        .bind(i64::from(fields.enabled))
        .bind(fields.language.as_str())
        .bind(now_ms)
        .fetch_optional(self.connection())
        .await?;
        self.forget_widget_channel(id);
        row.as_ref().map(WidgetChannel::from_row).transpose()
    }

    /// Gives a channel a new key: pages with the old one stop working at once. `None` when
    /// the tenant has no such channel.
    pub async fn rotate_widget_channel_key(
        &mut self,
        tenant_id: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<Option<WidgetChannel>> {
        let key = new_channel_key()?;
        self.replace_channel_secret(tenant_id, id, ChannelSecret::Key, &key, now_ms)
            .await
    }

    /// Keeps a channel's new identity secret (sealed): pages signed with the old one are
    /// refused at once. `None` when the tenant has no such channel.
    pub async fn set_widget_identity_secret(
        &mut self,
        tenant_id: &str,
        id: &str,
        sealed: &str,
        now_ms: i64,
    ) -> Result<Option<WidgetChannel>> {
        self.replace_channel_secret(tenant_id, id, ChannelSecret::Identity, sealed, now_ms)
            .await
    }

    async fn replace_channel_secret(
        &mut self,
        tenant_id: &str,
        id: &str,
        secret: ChannelSecret,
        value: &str,
        now_ms: i64,
    ) -> Result<Option<WidgetChannel>> {
        let column = match secret {
            ChannelSecret::Key => "key",
            ChannelSecret::Identity => "identity_secret",
        };
        let row = sqlx::query(&format!(
            "UPDATE widget_channels SET {column} = $3, updated_at = $4 \
             WHERE tenant_id = $1 AND id = $2 RETURNING {CHANNEL_COLUMNS}"
        ))
        .bind(tenant_id)
        .bind(id)
        .bind(value)
        .bind(now_ms)
        .fetch_optional(self.connection())
        .await?;
        self.forget_widget_channel(id);
        row.as_ref().map(WidgetChannel::from_row).transpose()
    }

    /// Deletes a channel; its conversations' links go with it (the calls stay on record); `false`
    /// when the tenant has no such channel.
    pub async fn delete_widget_channel(&mut self, tenant_id: &str, id: &str) -> Result<bool> {
        let result = sqlx::query("DELETE FROM widget_channels WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(self.connection())
            .await?;
        self.forget_widget_channel(id);
        Ok(result.rows_affected() > 0)
    }

    /// Forgets the channel `id` once committed (under whichever key it was read, with the
    /// links of its conversations), and every key that was found to have no channel: a new
    /// channel's key is one of those.
    fn forget_widget_channel(&mut self, id: &str) {
        let id = id.to_owned();
        self.forget_after_commit(move |store| {
            store
                .widget_channels
                .forget(|_, channel| channel.as_ref().is_none_or(|channel| channel.id == id));
            store
                .widget_links
                .forget(|(channel_id, _, _), _| *channel_id == id);
        });
    }
}
