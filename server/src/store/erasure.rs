//! Deleting conversations with every row that names them or holds their words: the periodic
//! retention purge and a data subject's erasure (see `crate::privacy`).
//!
//! Per conversation: `conversations` (the record, the engine's snapshot, the summary with the
//! collected variables), `call_events` (every step, the words said and heard), `handoffs` (the
//! summary the agent read), `widget_conversations` (the widget visitor's link) are deleted;
//! `analytics_unheard.last_call` is blanked (the sums stay; they no longer point at it).
//! Retention also forgets the phrasings not understood that were last said before the
//! conversations it deletes ended ([`Transaction::purge_unheard_before`]): callers' own words.
//! For a data subject also: `analytics_unheard_texts` with their `analytics_unheard` and
//! `analytics_handled` rows for what they said that was not understood (see
//! [`Transaction::forget_unheard_texts`]), and a widget visitor's `widget_rate_windows`.
//!
//! A caller's `contacts` rows (in every contact list) are deleted too; their `do_not_call`
//! entry is kept: the refusal to be called must outlive the erasure, or the next import of an
//! old member list would call them again.
//!
//! Not touched, holding no caller: the shop's configuration (`tenants`, `users`, `api_keys`,
//! `login_sessions`, `flows`, `flow_versions`, `knowledge_bases`, `knowledge_entries`,
//! `knowledge_revisions`, `queues`, `agents`, `telephony_settings`, `phone_numbers`,
//! `widget_channels`, `customer_lookups`), `credential_failures` (staff sign-ins), the sum
//! tables `analytics_calls`, `analytics_calls_daily`, `analytics_handle_times`,
//! `analytics_nodes`, `analytics_edges`, `analytics_intents`, `analytics_knowledge`,
//! `analytics_results` (counts by day, flow, node and answer), and `audit_log` (what staff did;
//! an erasure's own entry masks the number; a do-not-call entry's adding names it, kept as the
//! evidence of the refusal). `analytics_pending` holds chats' counts for a few
//! seconds: the erasure folds it into the sum tables first, and retention only takes
//! conversations the roll-up has counted.

use serde::Serialize;

use super::conversations::COLUMNS;
use super::{Backend, Call, Result, Store, Transaction};

/// Rows deleted, by what they were. Added up over batches and servers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    pub conversations: u64,
    pub events: u64,
    pub handoffs: u64,
    pub widget_links: u64,
    pub unheard_texts: u64,
    /// Contact-list entries with the caller's number.
    pub contacts: u64,
}

impl std::ops::AddAssign for Erased {
    fn add_assign(&mut self, other: Erased) {
        self.conversations += other.conversations;
        self.events += other.events;
        self.handoffs += other.handoffs;
        self.widget_links += other.widget_links;
        self.unheard_texts += other.unheard_texts;
        self.contacts += other.contacts;
    }
}

/// Whose conversations: a caller's number in any of the forms it may be stored in (the chat
/// widget's visitors are `visitor:<hash>`), or the shop's own id of a signed-in customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectMatch {
    Numbers(Vec<String>),
    Customer(String),
}

/// `$first, $first+1, …`: `count` placeholders.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// The subject's conversations, oldest first: calls from the number (inbound) or to it
    /// (outbound), chats of the visitor or customer. The shop's own numbers are the `to` of
    /// inbound calls and are never matched there, so that asking for one cannot take every call.
    pub async fn subject_conversations(
        &self,
        tenant_id: &str,
        subject: &SubjectMatch,
    ) -> Result<Vec<Call>> {
        let rows = match subject {
            SubjectMatch::Numbers(numbers) if numbers.is_empty() => Vec::new(),
            SubjectMatch::Numbers(numbers) => {
                let list = placeholders(2, numbers.len());
                let sql = format!(
                    "SELECT {COLUMNS} FROM conversations WHERE tenant_id = $1 \
                       AND from_number IN ({list}) AND direction = 'inbound' \
                     UNION \
                     SELECT {COLUMNS} FROM conversations WHERE tenant_id = $1 \
                       AND to_number IN ({list}) AND direction = 'outbound' \
                     ORDER BY started_at, id"
                );
                let mut query = sqlx::query(&sql).bind(tenant_id);
                for number in numbers {
                    query = query.bind(number);
                }
                query.fetch_all(&self.pool).await?
            }
            SubjectMatch::Customer(customer) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM conversations \
                     WHERE tenant_id = $1 AND customer_id = $2 ORDER BY started_at, id"
                ))
                .bind(tenant_id)
                .bind(customer)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(Call::from_row).collect()
    }
}

impl Transaction<'_> {
    /// Deletes these conversations of the tenant and what hangs off them. Each is locked first
    /// (PostgreSQL), so that two erasures of the same conversations count each row once: the
    /// second waits for the first and finds nothing left.
    pub async fn erase_conversations(&mut self, tenant_id: &str, ids: &[String]) -> Result<Erased> {
        if ids.is_empty() {
            return Ok(Erased::default());
        }
        let lock = match self.store.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT id FROM conversations WHERE tenant_id = $1 AND id IN ({}) ORDER BY id{lock}",
            placeholders(2, ids.len())
        );
        let mut query = sqlx::query_scalar(&sql).bind(tenant_id);
        for id in ids {
            query = query.bind(id);
        }
        let claimed: Vec<String> = query.fetch_all(self.connection()).await?;
        self.delete_claimed(tenant_id, &claimed).await
    }

    /// Deletes up to `limit` of the tenant's conversations that ended before `ended_before`
    /// and that the analytics roll-up has counted (their figures stay in the sum tables).
    /// Conversations another server's purge holds are passed over (PostgreSQL), so that two
    /// servers purging at once delete each conversation once.
    pub async fn purge_ended_before(
        &mut self,
        tenant_id: &str,
        ended_before: i64,
        limit: u32,
    ) -> Result<Erased> {
        let lock = match self.store.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let claimed: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM conversations \
             WHERE tenant_id = $1 AND ended_at IS NOT NULL AND ended_at < $2 \
               AND rolled_up_events IS NOT NULL AND rolled_up_events >= event_count \
             ORDER BY ended_at, id LIMIT $3{lock}"
        ))
        .bind(tenant_id)
        .bind(ended_before)
        .bind(i64::from(limit))
        .fetch_all(self.connection())
        .await?;
        self.delete_claimed(tenant_id, &claimed).await
    }

    async fn delete_claimed(&mut self, tenant_id: &str, ids: &[String]) -> Result<Erased> {
        if ids.is_empty() {
            return Ok(Erased::default());
        }
        let list = placeholders(2, ids.len());
        let mut affected = Vec::with_capacity(5);
        // Rows that point at a conversation go first: handoffs have a foreign key to it.
        for statement in [
            format!("DELETE FROM call_events WHERE tenant_id = $1 AND call_id IN ({list})"),
            format!("DELETE FROM handoffs WHERE tenant_id = $1 AND call_id IN ({list})"),
            format!(
                "DELETE FROM widget_conversations WHERE tenant_id = $1 AND call_id IN ({list})"
            ),
            format!(
                "UPDATE analytics_unheard SET last_call = '' \
                 WHERE tenant_id = $1 AND last_call IN ({list})"
            ),
            format!("DELETE FROM conversations WHERE tenant_id = $1 AND id IN ({list})"),
        ] {
            let mut query = sqlx::query(&statement).bind(tenant_id);
            for id in ids {
                query = query.bind(id);
            }
            affected.push(query.execute(self.connection()).await?.rows_affected());
        }
        Ok(Erased {
            events: affected[0],
            handoffs: affected[1],
            widget_links: affected[2],
            conversations: affected[4],
            unheard_texts: 0,
            contacts: 0,
        })
    }

    /// Forgets what callers said that was not understood when they said it last before
    /// `said_before`: the daily counts of up to `limit` phrasings, and the phrasings themselves
    /// (with whether the manager dealt with them) once no day counts them. Answers how many
    /// phrasings were looked at (a batch shorter than `limit` is the last) and how many
    /// forgotten.
    pub async fn purge_unheard_before(
        &mut self,
        tenant_id: &str,
        said_before: i64,
        limit: u32,
    ) -> Result<(u64, u64)> {
        let candidates: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT text_id FROM analytics_unheard \
             WHERE tenant_id = $1 AND last_at < $2 ORDER BY text_id LIMIT $3",
        )
        .bind(tenant_id)
        .bind(said_before)
        .bind(i64::from(limit))
        .fetch_all(self.connection())
        .await?;
        if candidates.is_empty() {
            return Ok((0, 0));
        }
        // Claimed first, as conversations are: two servers purging at once forget each once,
        // and never wait for each other's rows in different orders.
        let lock = match self.store.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT id FROM analytics_unheard_texts WHERE tenant_id = $1 AND id IN ({}) \
             ORDER BY id{lock}",
            placeholders(2, candidates.len())
        );
        let mut query = sqlx::query_scalar(&sql).bind(tenant_id);
        for id in &candidates {
            query = query.bind(id);
        }
        let text_ids: Vec<i64> = query.fetch_all(self.connection()).await?;
        if text_ids.is_empty() {
            return Ok((candidates.len() as u64, 0));
        }
        let list = placeholders(3, text_ids.len());
        let sql = format!(
            "DELETE FROM analytics_unheard \
             WHERE tenant_id = $1 AND last_at < $2 AND text_id IN ({list})"
        );
        let mut query = sqlx::query(&sql).bind(tenant_id).bind(said_before);
        for id in &text_ids {
            query = query.bind(id);
        }
        query.execute(self.connection()).await?;
        let ids = placeholders(2, text_ids.len());
        let sql = format!(
            "DELETE FROM analytics_handled WHERE tenant_id = $1 \
               AND EXISTS (SELECT 1 FROM analytics_unheard_texts t \
                           WHERE t.tenant_id = analytics_handled.tenant_id \
                             AND t.flow_id = analytics_handled.flow_id \
                             AND t.node = analytics_handled.node \
                             AND t.kind = analytics_handled.kind \
                             AND t.text = analytics_handled.text \
                             AND t.id IN ({ids}) \
                             AND NOT EXISTS (SELECT 1 FROM analytics_unheard u \
                                             WHERE u.tenant_id = t.tenant_id \
                                               AND u.text_id = t.id))"
        );
        let mut query = sqlx::query(&sql).bind(tenant_id);
        for id in &text_ids {
            query = query.bind(id);
        }
        query.execute(self.connection()).await?;
        let sql = format!(
            "DELETE FROM analytics_unheard_texts WHERE tenant_id = $1 \
               AND id IN ({ids}) \
               AND NOT EXISTS (SELECT 1 FROM analytics_unheard u \
                               WHERE u.tenant_id = analytics_unheard_texts.tenant_id \
                                 AND u.text_id = analytics_unheard_texts.id)"
        );
        let mut query = sqlx::query(&sql).bind(tenant_id);
        for id in &text_ids {
            query = query.bind(id);
        }
        let forgotten = query.execute(self.connection()).await?.rows_affected();
        Ok((candidates.len() as u64, forgotten))
    }

    /// Forgets phrasings that were not understood, each `(flow, node, kind, normalised text)`:
    /// the dictionary entry, its daily counts and whether the manager dealt with it. Another
    /// caller's same words go with them; a person's words are not kept against their wish.
    pub async fn forget_unheard_texts(
        &mut self,
        tenant_id: &str,
        texts: &[(String, String, String, String)],
    ) -> Result<u64> {
        const KEY: &str =
            "tenant_id = $1 AND flow_id = $2 AND node = $3 AND kind = $4 AND text = $5";
        let mut forgotten = 0;
        for (flow_id, node, kind, text) in texts {
            // The daily counts first: they name the phrasing by its number.
            for (statement, counted) in [
                (
                    format!(
                        "DELETE FROM analytics_unheard WHERE tenant_id = $1 AND text_id IN \
                         (SELECT id FROM analytics_unheard_texts WHERE {KEY})"
                    ),
                    false,
                ),
                (format!("DELETE FROM analytics_handled WHERE {KEY}"), false),
                (
                    format!("DELETE FROM analytics_unheard_texts WHERE {KEY}"),
                    true,
                ),
            ] {
                let done = sqlx::query(&statement)
                    .bind(tenant_id)
                    .bind(flow_id)
                    .bind(node)
                    .bind(kind)
                    .bind(text)
                    .execute(self.connection())
                    .await?;
                if counted {
                    forgotten += done.rows_affected();
                }
            }
        }
        Ok(forgotten)
    }

    /// Forgets a widget visitor's rate-limit counts (`visitor:<hash of its token>`, of which
    /// call records show the first 16 digits).
    pub async fn forget_visitor_rate_windows(&mut self, hash_prefix: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM widget_rate_windows WHERE bucket LIKE $1")
            .bind(format!("visitor:{hash_prefix}%"))
            .execute(self.connection())
            .await?;
        Ok(done.rows_affected())
    }
}
