//! Calls per second as a slot in the database: each campaign (and the shop's carrier account)
//! keeps the earliest instant its next dial may start, and a dial takes the slot by moving it
//! one interval on, in the same transaction that checks it — so the rate holds over every
//! server that dials for it. Pure: the store runs the arithmetic.

/// The slot after a dial taken at `now_ms`, or `None` when the next slot has not come yet.
///
/// The new slot counts from the old one, not from `now_ms`, so a dial that starts a little late
/// (the next look of a server's loop, up to [`CATCH_UP_MS`]) does not slow the rate, and at
/// rates faster than the loop looks, one look dials every slot that has come. It never counts
/// from further back than that, so a campaign that was idle makes up at most
/// [`CATCH_UP_MS`] of calls (none at rates below ten a second).
pub fn take_slot(next_slot_at: i64, now_ms: i64, calls_per_second: f64) -> Option<i64> {
    if next_slot_at > now_ms {
        return None;
    }
    let interval = interval_ms(calls_per_second);
    Some(next_slot_at.max(now_ms - CATCH_UP_MS) + interval)
}

/// How late a dial may be taken without slowing the rate: the runner looks far more often.
pub const CATCH_UP_MS: i64 = 100;

/// Milliseconds between two dials at `calls_per_second` (at least 1).
pub fn interval_ms(calls_per_second: f64) -> i64 {
    if calls_per_second.is_finite() && calls_per_second > 0.0 {
        ((1000.0 / calls_per_second).round() as i64).max(1)
    } else {
        i64::MAX / 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Dials as a server loop takes them: it looks every `tick_ms` (with up to `jitter_ms` of
    /// lateness) and dials whenever the slot allows.
    fn dials(rate: f64, tick_ms: i64, jitter: &[i64], for_ms: i64) -> Vec<i64> {
        let (mut slot, mut now, mut taken) = (0, 0, Vec::new());
        let mut step = 0;
        while now < for_ms {
            while let Some(next) = take_slot(slot, now, rate) {
                slot = next;
                taken.push(now);
            }
            now += tick_ms + jitter[step % jitter.len()];
            step += 1;
        }
        taken
    }

    #[test]
    fn an_idle_campaign_gets_no_burst() {
        let first = take_slot(0, 1_000_000, 2.0).expect("free");
        assert_eq!(take_slot(first, 1_000_000, 2.0), None);
        assert_eq!(first, 1_000_000 - CATCH_UP_MS + 500);
    }

    proptest! {
        /// Over a minute, the calls made are within 5% of the rate set, however late the loop
        /// runs (as long as it looks again within an interval).
        #[test]
        fn the_rate_stays_within_five_percent(
            rate in 0.2f64..20.0, tick_ms in 5i64..25,
            jitter in proptest::collection::vec(0i64..20, 1..20),
        ) {
            let minute = 60_000;
            let made = dials(rate, tick_ms, &jitter, minute).len() as f64;
            let expected = rate * minute as f64 / 1000.0;
            prop_assert!((made - expected).abs() <= (expected * 0.05).max(1.0),
                "{made} calls for {expected}");
        }
    }
}
