//! The task that works the campaigns' queue, on every server, a few times a second: it queues a
//! date-triggered campaign's contacts for the day, claims due contacts, decides for each (see
//! [`super::decision`]), writes each dial before asking the carrier, and settles dials whose
//! calls have ended — the next try, or the contact's final status and results.
//!
//! Servers sharing a database share the work through it: a claim is one server's, a dial is
//! written under the campaign's row, and a settlement is made once (the first server to give
//! the dial its result). A dial whose server stopped is settled from its call record: one
//! whose record was never written did not ring and is tried again; one that may have rung
//! but whose carrier never answered is `interrupted`, never dialled again.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::attempts::{classify, retry_at, AttemptResult, CallEnded};
use super::calendar::Calendar;
use super::dates;
use super::decision::{decide, Decision, Situation, DAY_MS};
use super::schedule::local_date;
use super::settings::{MachineAction, Settings};
use crate::channels::phone::OnMachine;
use crate::state::AppState;
use crate::store::{
    Actor, AttemptRow, JobRow, NewDial, NewJob, NotNow, RunningCampaign, StoreError,
};
use crate::telephony::outbound::{self, OutboundCall, OutboundError};

/// How long a claim holds when its server does not dial (it stopped).
const LEASE_MS: i64 = 30_000;
/// Contacts claimed at a time per campaign.
const CLAIM: u32 = 200;
/// Claims per campaign in one pass at most, so that a long queue does not hold up the other
/// campaigns and the settling of ended calls for long (a claim of contacts outside hours
/// takes tens of milliseconds).
const CLAIMS_PER_PASS: usize = 10;
/// A dial with no call record this long after it was written never reached the carrier: the
/// server placing it stopped first (placing takes milliseconds; the margin is for a server
/// under load, and for a simulated clock that runs faster than the work).
const NO_RECORD_GRACE_MS: i64 = 10 * 60_000;
/// A dial whose call the carrier never took (no call id) this long after it was written may
/// have rung: it is settled as interrupted.
const NO_CARRIER_ID_GRACE_MS: i64 = 30 * 60_000;
/// A call not ended this long after it was dialled is checked with the carrier, then again at
/// this interval.
const CHECK_WITH_CARRIER_MS: i64 = 5 * 60_000;
/// Wait before trying a contact again whose dial the server could not make.
const NOT_DIALED_RETRY_MS: i64 = 60_000;

/// What one pass did, for tests and logs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    /// Claimed contacts decided: dialled, put back to wait, or left.
    pub decided: usize,
    pub dialed: usize,
    pub settled: usize,
    pub queued: u64,
}

/// One pass over every running campaign.
pub async fn run_once(state: &AppState) -> Result<Pass, StoreError> {
    let now = state.clock.now_ms();
    let mut pass = Pass {
        settled: settle(state, now).await?,
        ..Pass::default()
    };
    let campaigns = state.store.running_campaigns().await?;
    if campaigns.is_empty() {
        return Ok(pass);
    }
    state.store.release_expired_claims(now).await?;
    let mut calendars: HashMap<String, (Calendar, chrono_tz::Tz)> = HashMap::new();
    for running in campaigns {
        let Ok(settings) = Settings::of(&running.campaign) else {
            tracing::error!(
                campaign = running.campaign.id,
                "a campaign's settings cannot be read"
            );
            continue;
        };
        if !calendars.contains_key(&running.tenant_id) {
            let tenant = state.store.get_tenant(&running.tenant_id).await?;
            let (region, zone) = match &tenant {
                Some(tenant) => (
                    crate::contacts::phone::region_of(tenant).to_owned(),
                    crate::conversation::local_time::time_zone(tenant),
                ),
                None => continue,
            };
            calendars.insert(
                running.tenant_id.clone(),
                (Calendar::new(&region, Vec::new()), zone),
            );
        }
        let Some((calendar, zone)) = calendars.get(&running.tenant_id) else {
            continue;
        };
        let work = Work {
            state,
            running: &running,
            settings: &settings,
            calendar,
            tenant_zone: *zone,
            now,
        };
        if settings.trigger.is_some() {
            pass.queued += work.queue_today().await?;
        }
        let (decided, dialed) = work.dial().await?;
        pass.decided += decided;
        pass.dialed += dialed;
        work.complete_if_done().await?;
    }
    Ok(pass)
}

/// What one claim came to.
#[derive(Debug, Default)]
struct Claim {
    decided: usize,
    dialed: usize,
    /// Pacing or the calls in progress stopped the dialing: the rest waits for a later pass.
    held_back: bool,
}

/// One campaign's share of a pass.
struct Work<'a> {
    state: &'a AppState,
    running: &'a RunningCampaign,
    settings: &'a Settings,
    calendar: &'a Calendar,
    tenant_zone: chrono_tz::Tz,
    now: i64,
}

impl Work<'_> {
    fn tenant_id(&self) -> &str {
        &self.running.tenant_id
    }

    fn campaign_id(&self) -> &str {
        &self.running.campaign.id
    }

    /// Queues the contacts whose date is today (in the shop's zone), once a day.
    async fn queue_today(&self) -> Result<u64, StoreError> {
        let Some(trigger) = &self.settings.trigger else {
            return Ok(0);
        };
        let Some(today) = local_date(self.tenant_zone, self.now) else {
            return Ok(0);
        };
        let key = today.format("%Y-%m-%d").to_string();
        if self
            .running
            .campaign
            .planned_through
            .as_deref()
            .is_some_and(|planned| planned >= key.as_str())
        {
            return Ok(0);
        }
        let contacts = self
            .state
            .store
            .all_contacts(self.tenant_id(), &self.running.campaign.list_id)
            .await?;
        let jobs: Vec<NewJob> = contacts
            .into_iter()
            .filter(|contact| self.settings.keeps(&contact.name, &contact.fields))
            .filter_map(|contact| {
                let value = match contact.fields.get(&trigger.field)? {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                let occurrence = dates::due(trigger.kind.trigger(), &value, today).ok()??;
                Some(NewJob {
                    contact_id: contact.id,
                    phone: contact.phone,
                    name: contact.name,
                    occurrence: occurrence.key(),
                    due_at: self.now,
                })
            })
            .collect();
        // Queued before marked: a server that stops in between leaves the day to be queued
        // again, which adds nothing twice.
        let queued = self
            .state
            .store
            .queue_jobs(self.tenant_id(), self.campaign_id(), &jobs, self.now)
            .await?;
        self.state
            .store
            .mark_campaign_planned(self.tenant_id(), self.campaign_id(), &key, self.now)
            .await?;
        Ok(queued)
    }

    /// Claims due contacts and dials those every rule allows, as pacing lets it: claim after
    /// claim while they come back full, up to [`CLAIMS_PER_PASS`]. Answers how many were
    /// decided and how many of them dialled.
    async fn dial(&self) -> Result<(usize, usize), StoreError> {
        let (mut decided, mut dialed) = (0, 0);
        for _ in 0..CLAIMS_PER_PASS {
            let jobs = self
                .state
                .store
                .claim_jobs(self.campaign_id(), self.now, CLAIM, LEASE_MS)
                .await?;
            let full = jobs.len() == CLAIM as usize;
            let claim = self.decide_claim(jobs).await?;
            decided += claim.decided;
            dialed += claim.dialed;
            if !full || claim.held_back {
                break;
            }
        }
        Ok((decided, dialed))
    }

    /// Decides each contact of one claim, dialing as it goes. The list and the recent dials
    /// are read for the whole claim in one query each, and the contacts that wait or are
    /// left are written back in one transaction each at the end.
    async fn decide_claim(&self, jobs: Vec<JobRow>) -> Result<Claim, StoreError> {
        let mut claim = Claim::default();
        if jobs.is_empty() {
            return Ok(claim);
        }
        let store = &self.state.store;
        let schedule = self.settings.schedule(self.tenant_zone.name());
        let phones: Vec<&str> = jobs.iter().map(|job| job.phone.as_str()).collect();
        let listed = store
            .on_do_not_call_among(self.tenant_id(), &phones)
            .await?;
        let since = self.now - i64::from(self.settings.cap.days) * DAY_MS;
        let mut recent = store
            .dials_to_numbers(self.tenant_id(), &phones, since)
            .await?;
        let (mut waits, mut leaves) = (Vec::new(), Vec::new());
        let mut jobs = jobs.into_iter();
        while let Some(job) = jobs.next() {
            claim.decided += 1;
            let zone = schedule.zone_for(&job.phone).unwrap_or(self.tenant_zone);
            let decision = decide(&Situation {
                now_ms: self.now,
                schedule: &schedule,
                calendar: self.calendar,
                zone,
                on_do_not_call: listed.contains(&job.phone),
                recent_dials: recent.get(&job.phone).map_or(&[], Vec::as_slice),
                cap: self.settings.cap,
            });
            match decision {
                Decision::Wait { until, reason } => waits.push((job.id, until, reason)),
                Decision::Leave { status } => leaves.push((job.id, status)),
                Decision::Dial => match self.begin(&job).await? {
                    Ok(()) => {
                        claim.dialed += 1;
                        // The same number later in this claim counts this dial in its cap.
                        recent.entry(job.phone).or_default().push(self.now);
                    }
                    Err(not_now) => {
                        // The campaign is full or paced for now: this contact and the rest
                        // of the claim wait in the queue as they were.
                        let reason = match not_now {
                            NotNow::Busy => "max_concurrent",
                            NotNow::Paced(_) => "paced",
                            NotNow::NotRunning => "",
                        };
                        waits.push((job.id, job.due_at, reason));
                        waits.extend(jobs.by_ref().map(|rest| (rest.id, rest.due_at, reason)));
                        claim.held_back = true;
                    }
                },
            }
        }
        store.requeue_jobs(&waits, self.now).await?;
        store.leave_jobs(&leaves, self.now).await?;
        Ok(claim)
    }

    /// Writes the dial and hands it to the carrier (in a task of its own, so that a slow
    /// carrier does not hold up the pacing of the others).
    async fn begin(&self, job: &JobRow) -> Result<Result<(), NotNow>, StoreError> {
        let store = &self.state.store;
        let contact = store
            .get_contact(
                self.tenant_id(),
                &self.running.campaign.list_id,
                &job.contact_id,
            )
            .await?;
        let Some(contact) = contact else {
            store
                .finish_job(&job.id, "removed", None, &Map::new(), self.now)
                .await?;
            return Ok(Ok(()));
        };
        let call_id = crate::store::Store::new_call_id();
        let pacing = &self.settings.pacing;
        let attempt = match store
            .begin_dial(&NewDial {
                tenant_id: self.tenant_id(),
                campaign_id: self.campaign_id(),
                job,
                call_id: &call_id,
                now_ms: self.now,
                max_concurrent: pacing.max_concurrent,
                calls_per_second: pacing.calls_per_second,
                carrier_calls_per_second: pacing.carrier_calls_per_second,
                consent_source: &contact.consent_source,
                consent_at: contact.consent_at,
            })
            .await?
        {
            Ok(attempt) => attempt,
            Err(not_now) => return Ok(Err(not_now)),
        };
        let mut variables = contact.fields.clone();
        if !contact.name.is_empty() {
            // The name the shop's flows greet with (`{{vars.customer_name}}`).
            variables.insert("customer_name".into(), Value::String(contact.name.clone()));
        }
        let call = OutboundCall {
            to: job.phone.clone(),
            flow_id: self.running.campaign.flow_id.clone(),
            version: Some(self.running.campaign.flow_version),
            from: self.settings.from.clone(),
            variables,
            machine_detection: true,
            mode: None,
            call_id: Some(call_id),
            on_machine: match self.settings.machine.action {
                MachineAction::HangUp => Some(OnMachine::HangUp),
                MachineAction::LeaveMessage => Some(OnMachine::LeaveMessage(
                    self.settings.machine.message.clone(),
                )),
                MachineAction::RunFlow => None,
            },
        };
        let state = self.state.clone();
        let tenant_id = self.tenant_id().to_owned();
        let now = self.now;
        tokio::spawn(async move {
            place(&state, &tenant_id, attempt, call, now).await;
        });
        Ok(Ok(()))
    }

    /// A list campaign whose every contact is done is complete; so is a date-triggered one
    /// past its last date.
    async fn complete_if_done(&self) -> Result<(), StoreError> {
        let ended = match (&self.settings.trigger, self.settings.schedule.end_date) {
            (None, _) => true,
            (Some(_), Some(end)) => {
                local_date(self.tenant_zone, self.now).is_some_and(|today| today > end)
            }
            (Some(_), None) => false,
        };
        if ended {
            self.state
                .store
                .complete_campaign_if_done(self.tenant_id(), self.campaign_id(), self.now)
                .await?;
        }
        Ok(())
    }
}

/// Asks the carrier for the call; a dial the server could not make (no account, over the
/// quota…) is settled `not_dialed` and its contact waits a minute.
async fn place(
    state: &AppState,
    tenant_id: &str,
    attempt: AttemptRow,
    call: OutboundCall,
    now: i64,
) {
    let base = state
        .telephony
        .public_url
        .clone()
        .or_else(|| state.listen_url.get().cloned())
        .unwrap_or_default();
    let actor = Actor::system(tenant_id);
    let reason = match outbound::place(state, &actor, call, &base, now).await {
        Ok(_) => return,
        // The call's record ended `failed`: settled like any failed call.
        Err(OutboundError::Carrier(_)) => return,
        Err(OutboundError::NotConfigured) => "not_configured",
        Err(OutboundError::OverQuota(_)) => "over_quota",
        Err(OutboundError::FlowNotPublished) => "flow_not_published",
        Err(OutboundError::Invalid { field, .. }) => match field {
            "/from" => "no_number",
            _ => "invalid_call",
        },
        Err(error) => {
            tracing::error!(%error, "a campaign's call could not be placed");
            "internal"
        }
    };
    if let Err(error) = not_dialed(state, &attempt, reason, now).await {
        tracing::error!(%error, "a campaign's dial that was not made could not be settled");
    }
}

/// Settles a dial that never reached the carrier: its contact is tried again later.
async fn not_dialed(
    state: &AppState,
    attempt: &AttemptRow,
    reason: &str,
    now: i64,
) -> Result<(), StoreError> {
    if state
        .store
        .finish_attempt(&attempt.id, "not_dialed", now)
        .await?
    {
        state
            .store
            .requeue_job(&attempt.job_id, now + NOT_DIALED_RETRY_MS, reason, now)
            .await?;
    }
    Ok(())
}

/// Settles dials whose calls have ended; answers how many.
async fn settle(state: &AppState, now: i64) -> Result<usize, StoreError> {
    let mut settled = 0;
    for (tenant_id, attempt) in state.store.open_attempts(500).await? {
        let Some(call) = state.store.get_call(&tenant_id, &attempt.call_id).await? else {
            if attempt.started_at + NO_RECORD_GRACE_MS < now {
                not_dialed(state, &attempt, "", now).await?;
                settled += 1;
            }
            continue;
        };
        if call.call.ended_at.is_none() {
            let carrier_id = call.call.call_sid.as_deref().unwrap_or("");
            let no_carrier_id = carrier_id.is_empty();
            // Due a look once its call has had time to end, then again at each interval; the
            // look is claimed in the database, so one server takes it.
            if !no_carrier_id
                && attempt.started_at + CHECK_WITH_CARRIER_MS <= now
                && state
                    .store
                    .claim_attempt_check(&attempt.id, now, CHECK_WITH_CARRIER_MS)
                    .await?
            {
                // Its status callback may have been lost (this server restarted as it came):
                // the carrier says how it went; the next pass settles it.
                if let Err(error) =
                    outbound::reconcile(state, &tenant_id, &attempt.call_id, carrier_id).await
                {
                    tracing::warn!(%error, "a campaign's call could not be checked with the carrier");
                }
                continue;
            }
            if no_carrier_id && attempt.started_at + NO_CARRIER_ID_GRACE_MS < now {
                // It may have rung: never dialled again.
                if state
                    .store
                    .finish_attempt(&attempt.id, "interrupted", now)
                    .await?
                {
                    state
                        .store
                        .finish_job(&attempt.job_id, "interrupted", None, &Map::new(), now)
                        .await?;
                    settled += 1;
                }
            }
            continue;
        }
        let Some(campaign) = state
            .store
            .get_campaign(&tenant_id, &attempt.campaign_id)
            .await?
        else {
            continue;
        };
        let settings = Settings::of(&campaign).unwrap_or_default();
        let outcome = call.call.outcome.map(|outcome| outcome.as_str());
        let result = classify(CallEnded {
            outcome,
            carrier_status: call.call.carrier_status.as_deref(),
            answered_by: call.call.answered_by.as_deref(),
            flow_ran_for_machine: settings.machine.action == MachineAction::RunFlow,
        });
        if !state
            .store
            .finish_attempt(&attempt.id, result.as_str(), now)
            .await?
        {
            continue;
        }
        settled += 1;
        let mut results = Map::new();
        let mut opted_out = false;
        for event in &call.events {
            match event.kind.as_str() {
                "result" => {
                    if let Some(var) = event.data.get("var").and_then(Value::as_str) {
                        let value = event.data.get("value").cloned().unwrap_or(Value::Null);
                        let kind = event
                            .data
                            .get("result_kind")
                            .cloned()
                            .unwrap_or(Value::Null);
                        results.insert(
                            var.to_owned(),
                            serde_json::json!({ "kind": kind, "value": value }),
                        );
                    }
                }
                "opted_out" => opted_out = true,
                _ => {}
            }
        }
        let Some(job) = state.store.get_job(&attempt.job_id).await? else {
            continue;
        };
        if opted_out {
            state
                .store
                .finish_job(&job.id, "opted_out", outcome, &results, now)
                .await?;
            continue;
        }
        if result == AttemptResult::Completed {
            state
                .store
                .finish_job(&job.id, "completed", outcome, &results, now)
                .await?;
            continue;
        }
        let earlier = state.store.job_attempts(&job.id).await?;
        let dialed = |row: &&AttemptRow| row.result.as_deref() != Some("not_dialed");
        let same_before = earlier
            .iter()
            .filter(dialed)
            .filter(|row| row.id != attempt.id && row.result.as_deref() == Some(result.as_str()))
            .count() as u32;
        let dials = earlier.iter().filter(dialed).count() as u32;
        match retry_at(&settings.retries, result, dials, same_before, now) {
            Some(at) => {
                state
                    .store
                    .requeue_job(&job.id, at, result.as_str(), now)
                    .await?
            }
            None => {
                state
                    .store
                    .finish_job(&job.id, result.as_str(), outcome, &results, now)
                    .await?
            }
        }
    }
    Ok(settled)
}
