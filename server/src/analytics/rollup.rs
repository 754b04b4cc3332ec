//! The roll-up task: counts ended conversations into the analytics tables, a batch at a time,
//! so that the dashboard reads sums instead of every call's events.

use std::collections::HashMap;

use chrono_tz::Tz;

use super::tally::Tally;
use crate::conversation::local_time::{time_zone, DEFAULT_TIME_ZONE};
use crate::store::{RolledUp, Store, StoreError};

/// Conversations read and counted per transaction.
const BATCH: i64 = 500;
/// Batches per run at most, so that a long backlog (a database upgraded with a year of calls)
/// is worked off in steps that leave room for other writers.
const BATCHES_PER_RUN: usize = 20;

/// Counts what ended since the last run; answers how many conversations were counted. Safe to
/// run on several servers at once: the store adds a conversation's rows only together with its
/// new count, and only if nobody changed that count meanwhile.
pub async fn roll_up(store: &Store) -> Result<usize, StoreError> {
    let mut zones: HashMap<String, Tz> = HashMap::new();
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
            let rows = match p.counted {
                None => all,
                Some(before) => {
                    let before = usize::try_from(before).unwrap_or(0).min(p.events.len());
                    all.minus(&Tally::of_call(&p.call, &p.events[..before], zone))
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
