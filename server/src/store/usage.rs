//! What a tenant uses, for its quotas (`crate::quotas`): conversations open now and bytes
//! stored.

use super::{Backend, Channel, Result, Store};

impl Store {
    /// The tenant's conversations on `channel` not ended yet; phone calls only those started
    /// at or after `since` (a call whose end never arrived stops counting). The conditions on
    /// `channel` and `ended_at` are written out as in the partial indexes of open chats and
    /// calls (migrations 0007 and 0023), so that the count reads those few rows only.
    pub async fn count_open_conversations(
        &self,
        tenant_id: &str,
        channel: Channel,
        since: i64,
    ) -> Result<i64> {
        count_open_conversations_in(&self.pool, tenant_id, channel, since).await
    }

    /// The bytes of the tenant's text: flows and their versions, knowledge entries, and
    /// conversation records with their events. A scan of everything the tenant has, for the
    /// periodic measure, never for a request.
    pub async fn tenant_stored_bytes(&self, tenant_id: &str) -> Result<i64> {
        let bytes = |column: &str| match self.backend {
            Backend::Postgres => format!("COALESCE(OCTET_LENGTH({column}), 0)"),
            Backend::Sqlite => format!("COALESCE(LENGTH(CAST({column} AS BLOB)), 0)"),
        };
        let parts = [
            ("flows", format!("{} + {}", bytes("name"), bytes("draft"))),
            ("flow_versions", bytes("document")),
            (
                "knowledge_entries",
                format!(
                    "{} + {} + {}",
                    bytes("question"),
                    bytes("alternatives"),
                    bytes("answer")
                ),
            ),
            (
                "conversations",
                format!("{} + {}", bytes("summary"), bytes("snapshot")),
            ),
            ("call_events", bytes("data")),
        ];
        let mut total = 0_i64;
        for (table, sum) in parts {
            // SUM of BIGINT is NUMERIC on PostgreSQL: cast back to read it as a number.
            let sql = format!(
                "SELECT CAST(COALESCE(SUM({sum}), 0) AS BIGINT) FROM {table} WHERE tenant_id = $1"
            );
            let part: i64 = sqlx::query_scalar(&sql)
                .bind(tenant_id)
                .fetch_one(&self.pool)
                .await?;
            total = total.saturating_add(part);
        }
        Ok(total)
    }
}

/// [`Store::count_open_conversations`] on `executor`: the pool, or the transaction that
/// writes a new conversation under the limit (`turns::admit_starts`).
pub(super) async fn count_open_conversations_in<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    tenant_id: &str,
    channel: Channel,
    since: i64,
) -> Result<i64> {
    let query = match channel {
        Channel::Phone => {
            "SELECT COUNT(*) FROM conversations \
             WHERE tenant_id = $1 AND channel = 'phone' AND ended_at IS NULL \
               AND started_at >= $2"
        }
        Channel::Chat => {
            "SELECT COUNT(*) FROM conversations \
             WHERE tenant_id = $1 AND channel = 'chat' AND ended_at IS NULL \
               AND updated_at >= $2"
        }
        Channel::Test => return Ok(0),
    };
    Ok(sqlx::query_scalar(query)
        .bind(tenant_id)
        .bind(since)
        .fetch_one(executor)
        .await?)
}
