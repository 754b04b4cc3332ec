//! What one dialing decision costs a campaign's scheduler: whether a contact may be dialed
//! now, and if not, when next — in a holiday-aware schedule with two windows a day.

use chrono::TimeZone;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use server::campaigns::calendar::Calendar;
use server::campaigns::schedule::{may_dial, next_open, Schedule, Weekdays, Window};

fn decisions(c: &mut Criterion) {
    let schedule = Schedule {
        windows: vec![Window::hm(9, 0, 12, 0), Window::hm(14, 0, 20, 0)],
        weekdays: Weekdays::MONDAY_TO_FRIDAY,
        ..Schedule::default()
    };
    let calendar = Calendar::new("CN", Vec::new());
    let zone = chrono_tz::Asia::Shanghai;
    let at = |y, m, d, h| {
        zone.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .map(|t| t.timestamp_millis())
            .unwrap_or_default()
    };
    // Inside a window; in the lunch break; on the eve of the National Day week (the next
    // opening is eight days later).
    let open = at(2026, 3, 10, 10);
    let lunch = at(2026, 3, 10, 12);
    let holiday_eve = at(2026, 9, 30, 21);
    c.bench_function("may_dial (open)", |b| {
        b.iter(|| may_dial(&schedule, &calendar, zone, black_box(open)))
    });
    c.bench_function("may_dial + next_open (lunch break)", |b| {
        b.iter(|| {
            let now = black_box(lunch);
            may_dial(&schedule, &calendar, zone, now)
                .err()
                .and_then(|_| next_open(&schedule, &calendar, zone, now))
        })
    });
    c.bench_function("may_dial + next_open (before a holiday week)", |b| {
        b.iter(|| {
            let now = black_box(holiday_eve);
            may_dial(&schedule, &calendar, zone, now)
                .err()
                .and_then(|_| next_open(&schedule, &calendar, zone, now))
        })
    });
}

criterion_group!(benches, decisions);
criterion_main!(benches);
