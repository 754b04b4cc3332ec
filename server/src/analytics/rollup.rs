//! Counting ended conversations into the analytics tables, so that the dashboard reads sums
//! instead of every call's events. The task ([`roll_up`]) reads the events of what ended back,
//! a batch at a time. A web chat whose every turn one server took is counted from the events
//! that server kept instead ([`at_end`]), and the store adds that count with the chat's last
//! turn or keeps it for the job (see `store::turns`). [`catch_up`] is what the job runs.

use std::collections::{HashMap, HashSet};

use chrono_tz::Tz;

use super::tally::{Seen, Tally};
use crate::conversation::local_time::{time_zone, DEFAULT_TIME_ZONE};
use crate::store::{Call, RolledUp, Store, StoreError};

/// Conversations read and counted per transaction.
const BATCH: i64 = 500;
/// Distinct values each result variable of a flow keeps in the sums; later new values are
/// counted together under [`OTHER_RESULT_VALUE`](super::tally::OTHER_RESULT_VALUE), so that
/// free answers cannot make the table grow without bound.
pub const MAX_RESULT_VALUES: usize = 5_000;

/// Batches per run at most, so that a long backlog (a database upgraded with a year of calls)
/// is worked off in steps that leave room for other writers.
const BATCHES_PER_RUN: usize = 20;

/// What the server's roll-up job does each time: adds the counts that turns ending chats left
/// waiting (PostgreSQL), then counts what ended otherwise ([`roll_up`]); answers how many
/// waiting batches and how many conversations read back were counted.
pub async fn catch_up(store: &Store) -> Result<(usize, usize), StoreError> {
    let waiting = store.write_ended_chat_counts().await?;
    Ok((waiting, roll_up(store).await?))
}

/// Catches up and then waits until nothing ended is left uncounted, counted by this call or
/// by another server's job that held some of it (a catch-up passes over what another holds).
/// For whoever reads the figures next and needs them complete, as tests do. Gives up after
/// about ten seconds (a server holding a batch has stopped), with the rest left to the job.
pub async fn settle(store: &Store) -> Result<(), StoreError> {
    for _ in 0..500 {
        catch_up(store).await?;
        if store.waiting_chat_counts().await? == 0 && store.pending_rollups(1).await?.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Counts what ended since the last run; answers how many conversations were counted. Safe to
/// run on several servers at once: the store adds a conversation's rows only together with its
/// new count, and only if nobody changed that count meanwhile.
pub async fn roll_up(store: &Store) -> Result<usize, StoreError> {
    let mut zones: HashMap<String, Tz> = HashMap::new();
    let mut result_values: ResultValues = HashMap::new();
    let mut counted = 0;
    for _ in 0..BATCHES_PER_RUN {
        let pending = store.pending_rollups(BATCH).await?;
        let full = pending.len() as i64 == BATCH;
        let mut done = Vec::with_capacity(pending.len());
        for p in pending {
            let zone = match zones.get(&p.call.tenant_id) {
                Some(zone) => *zone,
                None => {
                    let zone = store
                        .get_tenant(&p.call.tenant_id)
                        .await?
                        .map_or(DEFAULT_TIME_ZONE, |tenant| time_zone(&tenant));
                    zones.insert(p.call.tenant_id.clone(), zone);
                    zone
                }
            };
            let counted_now = p.call.event_count;
            let all = Tally::of_call(&p.call, &p.events, zone);
            load_result_values(store, &all, &mut result_values).await?;
            // The events counted before map their values the same way as all of them (all's
            // values are taken first), so their difference stays exact.
            let all =
                all.with_result_values(|t, f, v, value| keep(&mut result_values, t, f, v, value));
            let rows = match p.counted {
                None => all,
                Some(before) => {
                    let before = usize::try_from(before).unwrap_or(0).min(p.events.len());
                    let before = Tally::of_call(&p.call, &p.events[..before], zone)
                        .with_result_values(|t, f, v, value| {
                            keep(&mut result_values, t, f, v, value)
                        });
                    all.minus(&before)
                }
            };
            done.push(RolledUp {
                tenant_id: p.call.tenant_id,
                call_id: p.call.id,
                counted_before: p.counted,
                counted_now,
                rows: rows.rows,
            });
        }
        counted += store.apply_rollups(done).await?;
        if !full {
            break;
        }
    }
    Ok(counted)
}

/// What the ended `call` counts, from all its events as `seen`, so that the task need not
/// read them back. `None` when the call marks results: how many distinct values a variable
/// keeps depends on what the tables hold, which the task reads.
pub fn at_end(call: &Call, seen: &Seen, zone: Tz) -> Option<RolledUp> {
    call.outcome?;
    let tally = Tally::of_seen(call, seen, zone);
    if !tally.result_vars().is_empty() {
        return None;
    }
    Some(RolledUp {
        tenant_id: call.tenant_id.clone(),
        call_id: call.id.clone(),
        counted_before: None,
        counted_now: seen.events,
        rows: tally.rows,
    })
}

/// The values each result variable (tenant, flow, variable) has rows for, read once per run.
type ResultValues = HashMap<(String, String, String), HashSet<String>>;

/// Reads the values already counted for the result variables of `tally` not read yet.
async fn load_result_values(
    store: &Store,
    tally: &Tally,
    values: &mut ResultValues,
) -> Result<(), StoreError> {
    for (tenant, flow, var) in tally.result_vars() {
        let key = (tenant, flow, var);
        if values.contains_key(&key) {
            continue;
        }
        let known = store
            .result_values(&key.0, &key.1, &key.2, MAX_RESULT_VALUES as i64)
            .await?;
        values.insert(key, known.into_iter().collect());
    }
    Ok(())
}

/// Whether `value` keeps a row of its own: it has one, or its variable has room for another.
fn keep(values: &mut ResultValues, tenant: &str, flow: &str, var: &str, value: &str) -> bool {
    let known = values
        .entry((tenant.to_owned(), flow.to_owned(), var.to_owned()))
        .or_default();
    if known.contains(value) {
        return true;
    }
    if known.len() < MAX_RESULT_VALUES {
        known.insert(value.to_owned());
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_keeps_its_known_values_and_no_more_than_the_limit_of_new_ones() {
        let mut values = ResultValues::new();
        for n in 0..MAX_RESULT_VALUES {
            assert!(keep(&mut values, "ten", "flw", "plan", &n.to_string()));
        }
        assert!(!keep(&mut values, "ten", "flw", "plan", "one more"));
        assert!(
            keep(&mut values, "ten", "flw", "plan", "7"),
            "a known value"
        );
        // Each variable of each flow and tenant has a limit of its own.
        assert!(keep(&mut values, "ten", "flw", "score", "one more"));
        assert!(keep(&mut values, "ten", "flw2", "plan", "one more"));
        assert!(keep(&mut values, "other", "flw", "plan", "one more"));
    }
}
