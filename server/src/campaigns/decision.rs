//! Whether to dial a queued contact now: the rules every dial passes, checked at the moment of
//! dialing, never only when the contact was queued — the do-not-call list, the schedule in the
//! contact's zone, and the cap on calls to one number across all of the shop's campaigns.
//! Pure: the caller reads the list, the recent calls and the clock.

use chrono_tz::Tz;

use super::calendar::Calendar;
use super::schedule::{may_dial, next_open, Closed, Schedule};
use super::settings::Cap;

/// What to do with a contact now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Dial,
    /// Not now: ask again at `until`; `reason` is the code the job shows meanwhile.
    Wait {
        until: i64,
        reason: &'static str,
    },
    /// Never: the job is done with this final status.
    Leave {
        status: &'static str,
    },
}

/// What is known of a contact at the moment of deciding.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    pub now_ms: i64,
    pub schedule: &'a Schedule,
    pub calendar: &'a Calendar,
    /// The zone the schedule reads the contact's day and hours in.
    pub zone: Tz,
    pub on_do_not_call: bool,
    /// When the shop's campaigns dialled this number within the cap's period, any order.
    pub recent_dials: &'a [i64],
    pub cap: Cap,
}

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The decision for one contact.
pub fn decide(situation: &Situation) -> Decision {
    if situation.on_do_not_call {
        return Decision::Leave {
            status: "do_not_call",
        };
    }
    let now = situation.now_ms;
    if let Err(closed) = may_dial(situation.schedule, situation.calendar, situation.zone, now) {
        return match next_open(situation.schedule, situation.calendar, situation.zone, now) {
            Some(until) => Decision::Wait {
                until,
                reason: closed.code(),
            },
            None => Decision::Leave {
                status: match closed {
                    Closed::BeforeStart { .. } => "not_reached",
                    _ => "schedule_ended",
                },
            },
        };
    }
    if let Some(until) = cap_frees_at(situation.recent_dials, situation.cap, now) {
        return Decision::Wait {
            until,
            reason: "capped",
        };
    }
    Decision::Dial
}

/// When the number may be called again under `cap`, given the dials of the last period;
/// `None` when it may be called now.
pub fn cap_frees_at(recent_dials: &[i64], cap: Cap, now_ms: i64) -> Option<i64> {
    let period = i64::from(cap.days) * DAY_MS;
    let mut within: Vec<i64> = recent_dials
        .iter()
        .copied()
        .filter(|at| *at > now_ms - period && *at <= now_ms)
        .collect();
    let calls = cap.calls as usize;
    if within.len() < calls {
        return None;
    }
    // The dial that must leave the period before one more fits.
    within.sort_unstable();
    Some(within[within.len() - calls] + period)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaigns::schedule::{local_date, Window};
    use chrono::{NaiveDate, TimeZone};
    use proptest::prelude::*;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    fn at(date: (i32, u32, u32), hour: u32, minute: u32) -> i64 {
        SHANGHAI
            .with_ymd_and_hms(date.0, date.1, date.2, hour, minute, 0)
            .single()
            .expect("exists")
            .timestamp_millis()
    }

    fn situation<'a>(
        schedule: &'a Schedule,
        calendar: &'a Calendar,
        now_ms: i64,
        recent_dials: &'a [i64],
    ) -> Situation<'a> {
        Situation {
            now_ms,
            schedule,
            calendar,
            zone: SHANGHAI,
            on_do_not_call: false,
            recent_dials,
            cap: Cap { calls: 2, days: 7 },
        }
    }

    #[test]
    fn a_number_on_the_list_is_never_dialled_even_inside_hours() {
        let (schedule, calendar) = (Schedule::default(), Calendar::new("CN", Vec::new()));
        let noon = at((2026, 12, 8), 12, 0);
        let mut situation = situation(&schedule, &calendar, noon, &[]);
        assert_eq!(decide(&situation), Decision::Dial);
        situation.on_do_not_call = true;
        assert_eq!(
            decide(&situation),
            Decision::Leave {
                status: "do_not_call"
            }
        );
    }

    #[test]
    fn outside_hours_waits_for_the_next_opening_and_holidays_are_skipped() {
        let (schedule, calendar) = (Schedule::default(), Calendar::new("CN", Vec::new()));
        let late = at((2026, 12, 8), 21, 30);
        assert_eq!(
            decide(&situation(&schedule, &calendar, late, &[])),
            Decision::Wait {
                until: at((2026, 12, 9), 9, 0),
                reason: "outside_hours"
            }
        );
        // 2026-10-01 is National Day: the next opening is after the Golden Week.
        let national_day = at((2026, 10, 1), 10, 0);
        let Decision::Wait { until, reason } =
            decide(&situation(&schedule, &calendar, national_day, &[]))
        else {
            panic!("waits");
        };
        assert_eq!(reason, "holiday");
        assert!(local_date(SHANGHAI, until) > NaiveDate::from_ymd_opt(2026, 10, 7));
    }

    #[test]
    fn an_ended_schedule_leaves_the_contact() {
        let schedule = Schedule {
            end_date: NaiveDate::from_ymd_opt(2026, 12, 8),
            ..Schedule::default()
        };
        let calendar = Calendar::new("CN", Vec::new());
        let after = at((2026, 12, 8), 21, 0);
        assert_eq!(
            decide(&situation(&schedule, &calendar, after, &[])),
            Decision::Leave {
                status: "schedule_ended"
            }
        );
    }

    #[test]
    fn the_cap_waits_until_the_oldest_dial_leaves_the_period() {
        let (schedule, calendar) = (Schedule::default(), Calendar::new("CN", Vec::new()));
        let now = at((2026, 12, 8), 12, 0);
        let dials = [now - 3 * DAY_MS, now - DAY_MS, now - 8 * DAY_MS];
        assert_eq!(
            decide(&situation(&schedule, &calendar, now, &dials)),
            Decision::Wait {
                until: now - 3 * DAY_MS + 7 * DAY_MS,
                reason: "capped"
            }
        );
        assert_eq!(
            decide(&situation(&schedule, &calendar, now, &dials[..1])),
            Decision::Dial
        );
    }

    proptest! {
        /// Whatever the schedule and the history, a dial decided is inside a window, to a
        /// number not on the list, and within the cap.
        #[test]
        fn a_dial_is_only_ever_decided_when_every_rule_allows_it(
            start in 0u32..1380, length in 2u32..600, weekdays in 1u8..128,
            skip_holidays: bool, listed: bool,
            now in 1_767_225_600_000i64..1_798_761_600_000, // 2026 and 2027
            dials in proptest::collection::vec(0i64..(20 * DAY_MS), 0..6),
            calls in 1u32..4, days in 1u32..10,
        ) {
            let schedule = Schedule {
                windows: vec![Window { start, end: (start + length).min(1440) }],
                weekdays: crate::campaigns::schedule::Weekdays::of(
                    &(0..7).filter(|day| weekdays & 1 << day != 0)
                        .map(|day| chrono::Weekday::try_from(day as u8).expect("weekday"))
                        .collect::<Vec<_>>()),
                skip_holidays,
                ..Schedule::default()
            };
            let calendar = Calendar::new("CN", Vec::new());
            let recent: Vec<i64> = dials.iter().map(|ago| now - ago).collect();
            let cap = Cap { calls, days };
            let situation = Situation {
                now_ms: now, schedule: &schedule, calendar: &calendar, zone: SHANGHAI,
                on_do_not_call: listed, recent_dials: &recent, cap,
            };
            if decide(&situation) == Decision::Dial {
                prop_assert!(!listed);
                prop_assert!(may_dial(&schedule, &calendar, SHANGHAI, now).is_ok());
                let period = i64::from(days) * DAY_MS;
                let within = recent.iter().filter(|at| **at > now - period).count();
                prop_assert!(within < calls as usize);
            }
        }
    }
}
