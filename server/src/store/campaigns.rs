//! Campaigns, their queue of contacts to call, and every dial, as rows. The queue is shared by
//! every server: a server claims due jobs (PostgreSQL `FOR UPDATE SKIP LOCKED`, so two never
//! claim the same; SQLite has one writer at a time), and a dial is written — its attempt, with
//! the call id chosen first — before the carrier is asked, in the transaction that takes the
//! campaign's pacing slot while it holds the campaign's row.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_column, new_id, Backend, Result, Store, StoreError, Transaction};

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    pub flow_id: String,
    pub flow_version: i64,
    pub list_id: String,
    pub settings: Value,
    /// `draft`, `running`, `paused`, `stopped` or `completed`.
    pub status: String,
    pub planned_through: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A campaign the runner works on, with its tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningCampaign {
    pub tenant_id: String,
    pub campaign: CampaignRow,
}

/// One contact to call in one campaign (on one date, for a date-triggered one).
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub id: String,
    pub campaign_id: String,
    pub contact_id: String,
    pub phone: String,
    pub name: String,
    pub occurrence: String,
    /// `queued`, `dialing` or `done`.
    pub state: String,
    pub due_at: i64,
    pub attempts: i64,
    pub final_status: Option<String>,
    pub outcome: Option<String>,
    pub results: Map<String, Value>,
    pub note: String,
    /// Until when this server's claim holds (none once dialled or queued again).
    pub lease_until: Option<i64>,
    pub updated_at: i64,
}

/// A job to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub contact_id: String,
    pub phone: String,
    pub name: String,
    pub occurrence: String,
    pub due_at: i64,
}

/// One dial.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    pub id: String,
    pub campaign_id: String,
    pub job_id: String,
    pub phone: String,
    pub attempt: i64,
    pub call_id: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub result: Option<String>,
    pub consent_source: String,
    pub consent_at: Option<i64>,
}

/// A dial about to be made: everything the transaction that writes it needs.
#[derive(Debug, Clone)]
pub struct NewDial<'a> {
    pub tenant_id: &'a str,
    pub campaign_id: &'a str,
    pub job: &'a JobRow,
    pub call_id: &'a str,
    pub now_ms: i64,
    pub max_concurrent: u32,
    pub calls_per_second: f64,
    pub carrier_calls_per_second: f64,
    pub consent_source: &'a str,
    pub consent_at: Option<i64>,
}

/// Why a dial was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotNow {
    /// The campaign is no longer running.
    NotRunning,
    /// Its calls in progress are at its maximum.
    Busy,
    /// Its (or the carrier account's) next slot is at this instant.
    Paced(i64),
}

/// Jobs and dials of a campaign, counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignCounts {
    pub jobs: i64,
    pub queued: i64,
    pub dialing: i64,
    /// Done jobs by final status.
    pub finals: Vec<(String, i64)>,
    /// Dials by result (`in_progress` for those without one yet).
    pub results: Vec<(String, i64)>,
    /// Dials made since the moment asked about.
    pub recent_dials: i64,
    /// When the first of those was made.
    pub first_recent_dial_ms: Option<i64>,
    /// The latest moment a queued job is due (a retry waiting for its delay).
    pub last_due_ms: Option<i64>,
}

const CAMPAIGN_COLUMNS: &str = "id, name, flow_id, flow_version, list_id, settings, status, \
     planned_through, created_by, created_at, updated_at";
const JOB_COLUMNS: &str = "id, campaign_id, contact_id, phone, name, occurrence, state, due_at, \
     attempts, final_status, outcome, results, note, lease_until, updated_at";
/// Back to the queue — unless its campaign was stopped meanwhile (a dial on its way as the
/// shop stopped it), when the job ends `stopped`, as the stop ended the queued ones: decided in
/// the statement, so that no stop can slip in between.
const REQUEUE_JOB: &str = "UPDATE campaign_jobs SET \
     state = CASE WHEN EXISTS (SELECT 1 FROM campaigns c WHERE c.id = campaign_jobs.campaign_id \
         AND c.status = 'stopped') THEN 'done' ELSE 'queued' END, \
     final_status = CASE WHEN EXISTS (SELECT 1 FROM campaigns c \
         WHERE c.id = campaign_jobs.campaign_id AND c.status = 'stopped') THEN 'stopped' \
         ELSE final_status END, \
     due_at = $2, note = $3, lease_until = NULL, updated_at = $4 \
     WHERE id = $1 AND state = 'dialing'";
const FINISH_JOB: &str = "UPDATE campaign_jobs SET state = 'done', final_status = $2, \
     outcome = $3, results = $4, note = '', lease_until = NULL, updated_at = $5 \
     WHERE id = $1 AND state <> 'done'";
const ATTEMPT_COLUMNS: &str = "id, campaign_id, job_id, phone, attempt, call_id, started_at, \
     ended_at, result, consent_source, consent_at";

/// Numbers looked up in one statement at most (both databases take far more parameters).
const IN_LIST: usize = 500;

/// `$first, $first+1, …`: `count` numbered parameters.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|index| format!("${index}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The carrier every dial goes through today; its slot row is per tenant.
const CARRIER: &str = "twilio";

impl CampaignRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(CampaignRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            flow_id: row.try_get("flow_id")?,
            flow_version: row.try_get("flow_version")?,
            list_id: row.try_get("list_id")?,
            settings: json_column(row, "campaigns", "settings")?,
            status: row.try_get("status")?,
            planned_through: row.try_get("planned_through")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl JobRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let results = match json_column(row, "campaign_jobs", "results")? {
            Value::Object(results) => results,
            _ => {
                return Err(StoreError::corrupt(
                    "campaign_jobs",
                    "results",
                    "not an object",
                ))
            }
        };
        Ok(JobRow {
            id: row.try_get("id")?,
            campaign_id: row.try_get("campaign_id")?,
            contact_id: row.try_get("contact_id")?,
            phone: row.try_get("phone")?,
            name: row.try_get("name")?,
            occurrence: row.try_get("occurrence")?,
            state: row.try_get("state")?,
            due_at: row.try_get("due_at")?,
            attempts: row.try_get::<i64, _>("attempts")?,
            final_status: row.try_get("final_status")?,
            outcome: row.try_get("outcome")?,
            results,
            note: row.try_get("note")?,
            lease_until: row.try_get("lease_until")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl AttemptRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(AttemptRow {
            id: row.try_get("id")?,
            campaign_id: row.try_get("campaign_id")?,
            job_id: row.try_get("job_id")?,
            phone: row.try_get("phone")?,
            attempt: row.try_get::<i64, _>("attempt")?,
            call_id: row.try_get("call_id")?,
            started_at: row.try_get("started_at")?,
            ended_at: row.try_get("ended_at")?,
            result: row.try_get("result")?,
            consent_source: row.try_get("consent_source")?,
            consent_at: row.try_get("consent_at")?,
        })
    }
}

impl Store {
    pub fn new_campaign_id() -> String {
        new_id("cmp")
    }

    /// The tenant's campaigns, newest first.
    pub async fn list_campaigns(&self, tenant_id: &str) -> Result<Vec<CampaignRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE tenant_id = $1 \
             ORDER BY created_at DESC, id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(CampaignRow::from_row).collect()
    }

    pub async fn get_campaign(&self, tenant_id: &str, id: &str) -> Result<Option<CampaignRow>> {
        let row = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(CampaignRow::from_row).transpose()
    }

    /// Every tenant's running campaigns: the runner's work.
    pub async fn running_campaigns(&self) -> Result<Vec<RunningCampaign>> {
        let rows = sqlx::query(&format!(
            "SELECT tenant_id, {CAMPAIGN_COLUMNS} FROM campaigns WHERE status = 'running' \
             ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RunningCampaign {
                    tenant_id: row.try_get("tenant_id")?,
                    campaign: CampaignRow::from_row(row)?,
                })
            })
            .collect()
    }

    /// Marks the local date through which a date-triggered campaign's contacts are queued;
    /// false when another server marked it first (or the campaign is not running).
    pub async fn mark_campaign_planned(
        &self,
        tenant_id: &str,
        id: &str,
        date: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE campaigns SET planned_through = $3, updated_at = $4 \
             WHERE tenant_id = $1 AND id = $2 AND status = 'running' \
             AND (planned_through IS NULL OR planned_through < $3)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(date)
        .bind(now_ms)
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Queues jobs; one a campaign has for the contact and occurrence already is kept as it is.
    /// Answers how many were added.
    pub async fn queue_jobs(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        jobs: &[NewJob],
        now_ms: i64,
    ) -> Result<u64> {
        let mut added = 0;
        for chunk in jobs.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO campaign_jobs (tenant_id, id, campaign_id, contact_id, phone, name, \
                 occurrence, state, due_at, updated_at) VALUES ",
            );
            for index in 0..chunk.len() {
                // $1–$3 are the tenant, campaign and time; each row has six of its own.
                let base = 3 + index * 6;
                if index > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "($1, ${}, $2, ${}, ${}, ${}, ${}, 'queued', ${}, $3)",
                    base + 1,
                    base + 2,
                    base + 3,
                    base + 4,
                    base + 5,
                    base + 6,
                ));
            }
            sql.push_str(" ON CONFLICT (campaign_id, contact_id, occurrence) DO NOTHING");
            let mut query = sqlx::query(&sql)
                .bind(tenant_id)
                .bind(campaign_id)
                .bind(now_ms);
            for job in chunk {
                query = query
                    .bind(new_id("cjb"))
                    .bind(&job.contact_id)
                    .bind(&job.phone)
                    .bind(&job.name)
                    .bind(&job.occurrence)
                    .bind(job.due_at);
            }
            added += query
                .execute(&mut *self.write_connection().await?)
                .await?
                .rows_affected();
        }
        Ok(added)
    }

    /// Claims up to `limit` of the campaign's jobs that are due, for `lease_ms`; no other
    /// server gets them meanwhile.
    pub async fn claim_jobs(
        &self,
        campaign_id: &str,
        now_ms: i64,
        limit: u32,
        lease_ms: i64,
    ) -> Result<Vec<JobRow>> {
        let sql = match self.backend {
            // The rows are picked once, in a CTE, so that the update touches only rows this
            // statement locked: an `IN (…)` subquery may be run again for the update and meet
            // rows another server's transaction holds, and wait on it while holding its own.
            Backend::Postgres => format!(
                "WITH picked AS (SELECT id AS picked_id FROM campaign_jobs \
                     WHERE campaign_id = $1 AND state = 'queued' AND due_at <= $2 \
                     ORDER BY due_at, id LIMIT {limit} FOR UPDATE SKIP LOCKED) \
                 UPDATE campaign_jobs SET state = 'dialing', lease_until = $3, updated_at = $2 \
                 FROM picked WHERE campaign_jobs.id = picked.picked_id RETURNING {JOB_COLUMNS}"
            ),
            // One writer at a time: nothing to skip.
            Backend::Sqlite => format!(
                "UPDATE campaign_jobs SET state = 'dialing', lease_until = $3, updated_at = $2 \
                 WHERE id IN (SELECT id FROM campaign_jobs WHERE campaign_id = $1 \
                     AND state = 'queued' AND due_at <= $2 ORDER BY due_at, id LIMIT {limit}) \
                 RETURNING {JOB_COLUMNS}"
            ),
        };
        let rows = sqlx::query(&sql)
            .bind(campaign_id)
            .bind(now_ms)
            .bind(now_ms + lease_ms)
            .fetch_all(&mut *self.write_connection().await?)
            .await?;
        rows.iter().map(JobRow::from_row).collect()
    }

    /// Puts a claimed job back in the queue until `due_at`, noting why it waits.
    pub async fn requeue_job(&self, id: &str, due_at: i64, note: &str, now_ms: i64) -> Result<()> {
        sqlx::query(REQUEUE_JOB)
            .bind(id)
            .bind(due_at)
            .bind(note)
            .bind(now_ms)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    /// Ends a job with its final status (and, for a call that ran, its outcome and results).
    pub async fn finish_job(
        &self,
        id: &str,
        final_status: &str,
        outcome: Option<&str>,
        results: &Map<String, Value>,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query(FINISH_JOB)
            .bind(id)
            .bind(final_status)
            .bind(outcome)
            .bind(Value::Object(results.clone()).to_string())
            .bind(now_ms)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    /// Puts claimed jobs back in the queue, each `(id, due_at, note)`, in one transaction: a
    /// claim's waits cost one commit instead of one each.
    pub async fn requeue_jobs(&self, jobs: &[(String, i64, &str)], now_ms: i64) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        // Rows are written in id order, as every batch of this table writes them, so that two
        // servers' batches never wait on each other in a circle (PostgreSQL's deadlock).
        let mut jobs: Vec<&(String, i64, &str)> = jobs.iter().collect();
        jobs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut transaction = self.begin_write().await?;
        for (id, due_at, note) in jobs {
            sqlx::query(REQUEUE_JOB)
                .bind(id)
                .bind(due_at)
                .bind(*note)
                .bind(now_ms)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Ends claimed jobs that were never dialled, each `(id, final_status)`, in one
    /// transaction.
    pub async fn leave_jobs(&self, jobs: &[(String, &str)], now_ms: i64) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let mut jobs: Vec<&(String, &str)> = jobs.iter().collect();
        jobs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut transaction = self.begin_write().await?;
        for (id, final_status) in jobs {
            sqlx::query(FINISH_JOB)
                .bind(id)
                .bind(*final_status)
                .bind(None::<String>)
                .bind("{}")
                .bind(now_ms)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Jobs claimed by a server that stopped before dialing (their lease ran out, no dial in
    /// flight) go back to the queue; answers how many.
    pub async fn release_expired_claims(&self, now_ms: i64) -> Result<u64> {
        let sql = match self.backend {
            // Rows another server is writing (its claim's waits, in a transaction) are left
            // to it: waiting for them while holding others is how two servers deadlock.
            Backend::Postgres => {
                "WITH expired AS (SELECT id AS expired_id FROM campaign_jobs \
                     WHERE state = 'dialing' AND lease_until IS NOT NULL AND lease_until < $1 \
                     ORDER BY id FOR UPDATE SKIP LOCKED) \
                 UPDATE campaign_jobs SET state = 'queued', lease_until = NULL, updated_at = $1 \
                 FROM expired WHERE campaign_jobs.id = expired.expired_id"
            }
            Backend::Sqlite => {
                "UPDATE campaign_jobs SET state = 'queued', lease_until = NULL, updated_at = $1 \
                 WHERE state = 'dialing' AND lease_until IS NOT NULL AND lease_until < $1"
            }
        };
        let done = sqlx::query(sql)
            .bind(now_ms)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(done.rows_affected())
    }

    /// When the tenant's campaigns dialled each of `phones` since `since_ms`, in one query
    /// for a claim's numbers; a number not dialled is not in the map.
    pub async fn dials_to_numbers(
        &self,
        tenant_id: &str,
        phones: &[&str],
        since_ms: i64,
    ) -> Result<HashMap<String, Vec<i64>>> {
        let mut dials: HashMap<String, Vec<i64>> = HashMap::new();
        for chunk in phones.chunks(IN_LIST) {
            let sql = format!(
                "SELECT phone, started_at FROM campaign_attempts \
                 WHERE tenant_id = $1 AND started_at > $2 \
                 AND (result IS NULL OR result <> 'not_dialed') AND phone IN ({})",
                placeholders(3, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(tenant_id).bind(since_ms);
            for phone in chunk {
                query = query.bind(*phone);
            }
            for row in query.fetch_all(&self.pool).await? {
                dials
                    .entry(row.try_get("phone")?)
                    .or_default()
                    .push(row.try_get("started_at")?);
            }
        }
        Ok(dials)
    }

    /// Which of `phones` are on the tenant's do-not-call list, in one query for a claim's
    /// numbers.
    pub async fn on_do_not_call_among(
        &self,
        tenant_id: &str,
        phones: &[&str],
    ) -> Result<HashSet<String>> {
        let mut listed = HashSet::new();
        for chunk in phones.chunks(IN_LIST) {
            let sql = format!(
                "SELECT phone FROM do_not_call WHERE tenant_id = $1 AND phone IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, String>(&sql).bind(tenant_id);
            for phone in chunk {
                query = query.bind(*phone);
            }
            listed.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(listed)
    }

    /// Writes a dial, if the campaign is running, has room for one more call in progress and
    /// its pacing slot (and the carrier account's) has come — all checked and taken while the
    /// campaign's row is held, so that servers dialing for it take turns.
    pub async fn begin_dial(
        &self,
        dial: &NewDial<'_>,
    ) -> Result<std::result::Result<AttemptRow, NotNow>> {
        use crate::campaigns::pacing::take_slot;
        let mut transaction = self.begin_write().await?;
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let row = sqlx::query(&format!(
            "SELECT status, next_slot_at FROM campaigns WHERE tenant_id = $1 AND id = $2{lock}"
        ))
        .bind(dial.tenant_id)
        .bind(dial.campaign_id)
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(row) = row else {
            return Ok(Err(NotNow::NotRunning));
        };
        if row.try_get::<String, _>("status")? != "running" {
            return Ok(Err(NotNow::NotRunning));
        }
        let in_flight: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM campaign_attempts WHERE campaign_id = $1 AND result IS NULL",
        )
        .bind(dial.campaign_id)
        .fetch_one(&mut *transaction)
        .await?;
        if in_flight >= i64::from(dial.max_concurrent) {
            return Ok(Err(NotNow::Busy));
        }
        let slot: i64 = row.try_get("next_slot_at")?;
        let Some(next_slot) = take_slot(slot, dial.now_ms, dial.calls_per_second) else {
            return Ok(Err(NotNow::Paced(slot)));
        };
        sqlx::query(
            "INSERT INTO carrier_slots (tenant_id, carrier, next_slot_at) VALUES ($1, $2, 0) \
             ON CONFLICT (tenant_id, carrier) DO NOTHING",
        )
        .bind(dial.tenant_id)
        .bind(CARRIER)
        .execute(&mut *transaction)
        .await?;
        let carrier_slot: i64 = sqlx::query_scalar(&format!(
            "SELECT next_slot_at FROM carrier_slots WHERE tenant_id = $1 AND carrier = $2{lock}"
        ))
        .bind(dial.tenant_id)
        .bind(CARRIER)
        .fetch_one(&mut *transaction)
        .await?;
        let Some(next_carrier_slot) =
            take_slot(carrier_slot, dial.now_ms, dial.carrier_calls_per_second)
        else {
            return Ok(Err(NotNow::Paced(carrier_slot)));
        };
        sqlx::query("UPDATE campaigns SET next_slot_at = $2 WHERE id = $1")
            .bind(dial.campaign_id)
            .bind(next_slot)
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "UPDATE carrier_slots SET next_slot_at = $3 WHERE tenant_id = $1 AND carrier = $2",
        )
        .bind(dial.tenant_id)
        .bind(CARRIER)
        .bind(next_carrier_slot)
        .execute(&mut *transaction)
        .await?;
        let attempt = dial.job.attempts + 1;
        let row = AttemptRow {
            id: new_id("cat"),
            campaign_id: dial.campaign_id.to_owned(),
            job_id: dial.job.id.clone(),
            phone: dial.job.phone.clone(),
            attempt,
            call_id: dial.call_id.to_owned(),
            started_at: dial.now_ms,
            ended_at: None,
            result: None,
            consent_source: dial.consent_source.to_owned(),
            consent_at: dial.consent_at,
        };
        sqlx::query(
            "INSERT INTO campaign_attempts (tenant_id, id, idempotency_key, campaign_id, job_id, \
             phone, attempt, call_id, started_at, consent_source, consent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(dial.tenant_id)
        .bind(&row.id)
        .bind(format!("{}:{attempt}", dial.job.id))
        .bind(&row.campaign_id)
        .bind(&row.job_id)
        .bind(&row.phone)
        .bind(attempt)
        .bind(&row.call_id)
        .bind(row.started_at)
        .bind(&row.consent_source)
        .bind(row.consent_at)
        .execute(&mut *transaction)
        .await?;
        let claimed = sqlx::query(
            "UPDATE campaign_jobs SET attempts = $2, lease_until = NULL, note = '', \
             updated_at = $3 WHERE id = $1 AND state = 'dialing' AND attempts = $4 \
             AND lease_until = $5",
        )
        .bind(&dial.job.id)
        .bind(attempt)
        .bind(dial.now_ms)
        .bind(dial.job.attempts)
        .bind(dial.job.lease_until)
        .execute(&mut *transaction)
        .await?;
        if claimed.rows_affected() != 1 {
            // The claim was lost (its lease ran out and another server took the job): this
            // server must not dial it.
            return Ok(Err(NotNow::NotRunning));
        }
        transaction.commit().await?;
        Ok(Ok(row))
    }

    /// Dials without a result, oldest first: the ones whose call may have ended.
    pub async fn open_attempts(&self, limit: u32) -> Result<Vec<(String, AttemptRow)>> {
        let rows = sqlx::query(&format!(
            "SELECT tenant_id, {ATTEMPT_COLUMNS} FROM campaign_attempts WHERE result IS NULL \
             ORDER BY started_at LIMIT {limit}"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("tenant_id")?, AttemptRow::from_row(row)?)))
            .collect()
    }

    /// Takes the next look with the carrier at a dial still open, when none was taken within
    /// `every_ms`; false when one was (by this server or another).
    pub async fn claim_attempt_check(&self, id: &str, now_ms: i64, every_ms: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE campaign_attempts SET checked_at = $2 WHERE id = $1 AND result IS NULL \
             AND (checked_at IS NULL OR checked_at <= $3)",
        )
        .bind(id)
        .bind(now_ms)
        .bind(now_ms - every_ms)
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Gives a dial its result; false when another server gave it one first.
    pub async fn finish_attempt(&self, id: &str, result: &str, now_ms: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE campaign_attempts SET result = $2, ended_at = $3 \
             WHERE id = $1 AND result IS NULL",
        )
        .bind(id)
        .bind(result)
        .bind(now_ms)
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A job's dials, first first.
    pub async fn job_attempts(&self, job_id: &str) -> Result<Vec<AttemptRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM campaign_attempts WHERE job_id = $1 ORDER BY attempt"
        ))
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(AttemptRow::from_row).collect()
    }

    pub async fn get_job(&self, id: &str) -> Result<Option<JobRow>> {
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM campaign_jobs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(JobRow::from_row).transpose()
    }

    /// A page of the campaign's jobs by contact name and number; `status` keeps those whose
    /// final status (or, not done, state) it is.
    pub async fn campaign_jobs(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        status: Option<&str>,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<JobRow>, i64)> {
        let filter = match status {
            Some(_) => " AND (final_status = $3 OR (final_status IS NULL AND state = $3))",
            None => "",
        };
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM campaign_jobs WHERE tenant_id = $1 AND campaign_id = $2\
             {filter} ORDER BY phone, occurrence LIMIT {limit} OFFSET {offset}"
        );
        let mut query = sqlx::query(&sql).bind(tenant_id).bind(campaign_id);
        let count_sql = format!(
            "SELECT COUNT(*) FROM campaign_jobs WHERE tenant_id = $1 AND campaign_id = $2{filter}"
        );
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql)
            .bind(tenant_id)
            .bind(campaign_id);
        if let Some(status) = status {
            query = query.bind(status);
            count = count.bind(status);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let jobs = rows.iter().map(JobRow::from_row).collect::<Result<_>>()?;
        Ok((jobs, count.fetch_one(&self.pool).await?))
    }

    /// Every job of the campaign with its dials, for an export.
    pub async fn all_campaign_jobs(
        &self,
        tenant_id: &str,
        campaign_id: &str,
    ) -> Result<Vec<JobRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM campaign_jobs WHERE tenant_id = $1 AND campaign_id = $2 \
             ORDER BY phone, occurrence"
        ))
        .bind(tenant_id)
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(JobRow::from_row).collect()
    }

    /// The campaign's jobs and dials, counted, with the dials made after `recent_since_ms`.
    pub async fn campaign_counts(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        recent_since_ms: i64,
    ) -> Result<CampaignCounts> {
        let mut counts = CampaignCounts::default();
        let states = sqlx::query(
            "SELECT state, COALESCE(final_status, '') AS final_status, COUNT(*) AS n \
             FROM campaign_jobs WHERE tenant_id = $1 AND campaign_id = $2 \
             GROUP BY state, final_status",
        )
        .bind(tenant_id)
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        for row in &states {
            let (state, final_status, n): (String, String, i64) = (
                row.try_get("state")?,
                row.try_get("final_status")?,
                row.try_get("n")?,
            );
            counts.jobs += n;
            match state.as_str() {
                "queued" => counts.queued += n,
                "dialing" => counts.dialing += n,
                _ => counts.finals.push((final_status, n)),
            }
        }
        let results = sqlx::query(
            "SELECT COALESCE(result, 'in_progress') AS result, COUNT(*) AS n \
             FROM campaign_attempts WHERE tenant_id = $1 AND campaign_id = $2 GROUP BY result",
        )
        .bind(tenant_id)
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        for row in &results {
            counts
                .results
                .push((row.try_get("result")?, row.try_get("n")?));
        }
        let recent = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(started_at) AS first FROM campaign_attempts \
             WHERE tenant_id = $1 AND campaign_id = $2 \
             AND started_at > $3 AND (result IS NULL OR result <> 'not_dialed')",
        )
        .bind(tenant_id)
        .bind(campaign_id)
        .bind(recent_since_ms)
        .fetch_one(&self.pool)
        .await?;
        counts.recent_dials = recent.try_get("n")?;
        counts.first_recent_dial_ms = recent.try_get("first")?;
        counts.last_due_ms = sqlx::query_scalar(
            "SELECT MAX(due_at) FROM campaign_jobs WHERE tenant_id = $1 AND campaign_id = $2 \
             AND state = 'queued'",
        )
        .bind(tenant_id)
        .bind(campaign_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(counts)
    }

    /// Ends a campaign whose every job is done (a list campaign that ran through); false when
    /// jobs remain or it was not running.
    pub async fn complete_campaign_if_done(
        &self,
        tenant_id: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE campaigns SET status = 'completed', updated_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND status = 'running' AND NOT EXISTS \
             (SELECT 1 FROM campaign_jobs WHERE campaign_id = $2 AND state <> 'done')",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(now_ms)
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

impl Transaction<'_> {
    pub async fn insert_campaign(&mut self, tenant_id: &str, campaign: &CampaignRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO campaigns (tenant_id, id, name, flow_id, flow_version, list_id, \
             settings, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(tenant_id)
        .bind(&campaign.id)
        .bind(&campaign.name)
        .bind(&campaign.flow_id)
        .bind(campaign.flow_version)
        .bind(&campaign.list_id)
        .bind(campaign.settings.to_string())
        .bind(&campaign.status)
        .bind(&campaign.created_by)
        .bind(campaign.created_at)
        .bind(campaign.updated_at)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// Rewrites a campaign's definition while its status is one of `editable`; false when it
    /// is not (or there is no such campaign).
    pub async fn update_campaign(
        &mut self,
        tenant_id: &str,
        campaign: &CampaignRow,
        editable: &[&str],
    ) -> Result<bool> {
        let allowed = editable
            .iter()
            .map(|status| format!("'{status}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let done = sqlx::query(&format!(
            "UPDATE campaigns SET name = $3, flow_id = $4, flow_version = $5, list_id = $6, \
             settings = $7, updated_at = $8 \
             WHERE tenant_id = $1 AND id = $2 AND status IN ({allowed})"
        ))
        .bind(tenant_id)
        .bind(&campaign.id)
        .bind(&campaign.name)
        .bind(&campaign.flow_id)
        .bind(campaign.flow_version)
        .bind(&campaign.list_id)
        .bind(campaign.settings.to_string())
        .bind(campaign.updated_at)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Moves a campaign from one of `from` to `to`; false when its status is none of them.
    pub async fn set_campaign_status(
        &mut self,
        tenant_id: &str,
        id: &str,
        from: &[&str],
        to: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let allowed = from
            .iter()
            .map(|status| format!("'{status}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let done = sqlx::query(&format!(
            "UPDATE campaigns SET status = $3, updated_at = $4 \
             WHERE tenant_id = $1 AND id = $2 AND status IN ({allowed})"
        ))
        .bind(tenant_id)
        .bind(id)
        .bind(to)
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends every queued job of a stopped campaign as `stopped`.
    pub async fn stop_campaign_jobs(&mut self, campaign_id: &str, now_ms: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE campaign_jobs SET state = 'done', final_status = 'stopped', \
             lease_until = NULL, updated_at = $2 WHERE campaign_id = $1 AND state = 'queued'",
        )
        .bind(campaign_id)
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected())
    }

    /// Deletes a campaign that never ran, with its jobs; false when it ran or does not exist.
    pub async fn delete_draft_campaign(&mut self, tenant_id: &str, id: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM campaigns WHERE tenant_id = $1 AND id = $2 AND status = 'draft'",
        )
        .bind(tenant_id)
        .bind(id)
        .execute(self.connection())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM campaign_jobs WHERE tenant_id = $1 AND campaign_id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(true)
    }
}
