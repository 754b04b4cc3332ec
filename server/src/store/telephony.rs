//! Phone calls' settings: each tenant's carrier and speech settings (as the caller seals them;
//! remembered for [`super::CACHE_TTL`], as every carrier webhook reads them), and the phone
//! numbers that answer with a flow.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, Result, Store, StoreError, Transaction};

/// How the carrier carries a call's audio; stored by its snake_case name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Twilio plays prompts and recognises speech; each turn is a webhook answered with TwiML.
    #[default]
    Webhook,
    /// A media stream to this server: Deepgram recognises speech, prompts are synthesised here.
    Stream,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Webhook => "webhook",
            Mode::Stream => "stream",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "webhook" => Some(Mode::Webhook),
            "stream" => Some(Mode::Stream),
            _ => None,
        }
    }
}

/// A carrier number bound to a flow.
#[derive(Clone, Debug, PartialEq)]
pub struct PhoneNumber {
    /// E.164, e.g. `+8657188880000`.
    pub number: String,
    pub tenant_id: String,
    pub flow_id: String,
    /// `None`: each call runs the flow's published version of its time.
    pub flow_version: Option<i64>,
    pub mode: Mode,
    /// Per-number options (voice, language), as JSON.
    pub settings: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "number, tenant_id, flow_id, flow_version, mode, settings, created_at, updated_at";

impl PhoneNumber {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(PhoneNumber {
            number: row.try_get("number")?,
            tenant_id: row.try_get("tenant_id")?,
            flow_id: row.try_get("flow_id")?,
            flow_version: row.try_get("flow_version")?,
            mode: {
                let mode: String = row.try_get("mode")?;
                Mode::parse(&mode).ok_or_else(|| {
                    StoreError::corrupt("phone_numbers", "mode", format!("unknown mode {mode:?}"))
                })?
            },
            settings: json_column(row, "phone_numbers", "settings")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl Store {
    /// The tenant's telephony settings as stored (secrets sealed), with when they changed.
    pub async fn get_telephony_settings(&self, tenant_id: &str) -> Result<Option<(Value, i64)>> {
        if let Some(settings) = self.telephony.get(tenant_id) {
            return Ok(settings);
        }
        let generation = self.telephony.generation();
        let row =
            sqlx::query("SELECT settings, updated_at FROM telephony_settings WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?;
        let settings = row
            .map(|row| -> Result<(Value, i64)> {
                Ok((
                    json_column(&row, "telephony_settings", "settings")?,
                    row.try_get("updated_at")?,
                ))
            })
            .transpose()?;
        self.telephony
            .put(tenant_id.to_owned(), settings.clone(), generation);
        Ok(settings)
    }

    /// Every tenant's binding of the number, the oldest first: an incoming call is the one's
    /// whose carrier account signed it.
    pub async fn phone_number_bindings(&self, number: &str) -> Result<Vec<PhoneNumber>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM phone_numbers WHERE number = $1 ORDER BY created_at, tenant_id"
        ))
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(PhoneNumber::from_row).collect()
    }

    /// The tenant's binding of the number.
    pub async fn phone_number(&self, tenant_id: &str, number: &str) -> Result<Option<PhoneNumber>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM phone_numbers WHERE tenant_id = $1 AND number = $2"
        ))
        .bind(tenant_id)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(PhoneNumber::from_row).transpose()
    }

    pub async fn list_phone_numbers(&self, tenant_id: &str) -> Result<Vec<PhoneNumber>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM phone_numbers WHERE tenant_id = $1 ORDER BY number"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(PhoneNumber::from_row).collect()
    }
}

impl Transaction<'_> {
    pub async fn put_telephony_settings(
        &mut self,
        tenant_id: &str,
        settings: &Value,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO telephony_settings (tenant_id, settings, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, \
                                                   updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(settings.to_string())
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        let tenant_id = tenant_id.to_owned();
        self.forget_after_commit(move |store| store.telephony.forget(|id, _| *id == tenant_id));
        Ok(())
    }

    /// Binds a number to one of the tenant's flows, or changes its binding. `Ok(None)` when the
    /// tenant has no such flow. Other tenants' bindings of the number are not looked at.
    pub async fn put_phone_number(&mut self, number: &PhoneNumber) -> Result<Option<PhoneNumber>> {
        let row = sqlx::query(&format!(
            "INSERT INTO phone_numbers ({COLUMNS}) \
             SELECT $1, f.tenant_id, f.id, $4, $5, $6, $7, $7 FROM flows f \
             WHERE f.tenant_id = $2 AND f.id = $3 AND f.deleted_at IS NULL \
             ON CONFLICT (tenant_id, number) DO UPDATE SET flow_id = excluded.flow_id, \
                 flow_version = excluded.flow_version, mode = excluded.mode, \
                 settings = excluded.settings, updated_at = excluded.updated_at \
             RETURNING {COLUMNS}"
        ))
        .bind(&number.number)
        .bind(&number.tenant_id)
        .bind(&number.flow_id)
        .bind(number.flow_version)
        .bind(number.mode.as_str())
        .bind(number.settings.to_string())
        .bind(number.updated_at)
        .fetch_optional(self.connection())
        .await?;
        row.as_ref().map(PhoneNumber::from_row).transpose()
    }

    /// `false` when the tenant has no such number.
    pub async fn delete_phone_number(&mut self, tenant_id: &str, number: &str) -> Result<bool> {
        let result = sqlx::query("DELETE FROM phone_numbers WHERE tenant_id = $1 AND number = $2")
            .bind(tenant_id)
            .bind(number)
            .execute(self.connection())
            .await?;
        Ok(result.rows_affected() > 0)
    }
}
