//! When a campaign may dial: its dates, daily calling windows, weekdays and holidays, in a time
//! zone (the tenant's, or the contact's where its number says — see [`super::time_zones`]).
//!
//! A window on a local date is the span of instants from its opening wall-clock time to its
//! closing one. Where a clock change makes a wall-clock time not exist (spring forward), the
//! time is read as the moment the clock resumes; where it exists twice (fall back), as its
//! first occurrence — so a window never closes later than the wall clock says. New dials stop
//! `stop_margin_minutes` before a window closes, so that a call does not start as it ends.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;

use super::calendar::{Calendar, DayKind};
use crate::conversation::local_time::parse_time_zone;
use crate::error::FieldProblem;
use crate::language::Text;

/// Minutes in a day; a window may end at 24:00.
pub const DAY_MINUTES: u32 = 24 * 60;

/// How far ahead [`next_open`] looks: two years covers any schedule that opens at all.
const HORIZON_DAYS: i64 = 2 * 366;

/// One daily calling window, in minutes after local midnight: `start` inclusive, `end`
/// exclusive (`end` may be 1440, midnight at the day's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: u32,
    pub end: u32,
}

impl Window {
    /// The window from `start_hour:start_minute` to `end_hour:end_minute`.
    pub const fn hm(start_hour: u32, start_minute: u32, end_hour: u32, end_minute: u32) -> Self {
        Window {
            start: start_hour * 60 + start_minute,
            end: end_hour * 60 + end_minute,
        }
    }
}

/// The days of the week a campaign calls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(u8);

impl Weekdays {
    pub const NONE: Weekdays = Weekdays(0);
    pub const MONDAY_TO_FRIDAY: Weekdays = Weekdays(0b001_1111);
    pub const EVERY_DAY: Weekdays = Weekdays(0b111_1111);

    pub fn of(days: &[Weekday]) -> Weekdays {
        days.iter().fold(Weekdays::NONE, |set, day| set.with(*day))
    }

    pub fn with(self, day: Weekday) -> Weekdays {
        Weekdays(self.0 | 1 << day.num_days_from_monday())
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & 1 << day.num_days_from_monday() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether any of Monday to Friday is in the set: such a schedule calls on working days,
    /// and a make-up workday is one.
    fn has_working_day(self) -> bool {
        self.0 & Weekdays::MONDAY_TO_FRIDAY.0 != 0
    }
}

/// A campaign's calling schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// First local date calls may be made on, inclusive; `None`: from now on.
    pub start_date: Option<NaiveDate>,
    /// Last local date calls may be made on, inclusive; `None`: no end.
    pub end_date: Option<NaiveDate>,
    /// Daily windows, in any order; several a day allowed.
    pub windows: Vec<Window>,
    pub weekdays: Weekdays,
    /// Skip the calendar's days off; then its make-up workdays count as workdays.
    pub skip_holidays: bool,
    /// The tenant's IANA time zone name.
    pub time_zone: String,
    /// Dial each contact in its own zone where its number says one (else `time_zone`).
    pub contact_time_zone: bool,
    /// New dials stop this many minutes before a window closes.
    pub stop_margin_minutes: u32,
}

impl Default for Schedule {
    /// The compliant default: 09:00–20:00 local, every day, holidays skipped, a minute's margin.
    fn default() -> Self {
        Schedule {
            start_date: None,
            end_date: None,
            windows: vec![Window::hm(9, 0, 20, 0)],
            weekdays: Weekdays::EVERY_DAY,
            skip_holidays: true,
            time_zone: "Asia/Shanghai".to_owned(),
            contact_time_zone: false,
            stop_margin_minutes: 1,
        }
    }
}

/// Why a campaign may not dial at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// The campaign starts on a later date.
    BeforeStart { starts: NaiveDate },
    /// The campaign's last date has passed.
    AfterEnd { ended: NaiveDate },
    /// The schedule does not call on this weekday.
    Weekday { weekday: Weekday },
    /// A day off: a statutory holiday or one of the tenant's.
    Holiday { name: Text },
    /// Outside every calling window (or within the stop margin before one closes).
    OutsideHours,
}

impl Closed {
    /// The code an API or a log gives this reason.
    pub fn code(&self) -> &'static str {
        match self {
            Closed::BeforeStart { .. } => "before_start",
            Closed::AfterEnd { .. } => "after_end",
            Closed::Weekday { .. } => "weekday",
            Closed::Holiday { .. } => "holiday",
            Closed::OutsideHours => "outside_hours",
        }
    }

    /// The reason in words.
    pub fn text(&self) -> Text {
        match self {
            Closed::BeforeStart { starts } => Text::new(
                format!("活动 {starts} 才开始"),
                format!("the campaign starts on {starts}"),
            ),
            Closed::AfterEnd { ended } => Text::new(
                format!("活动已于 {ended} 结束"),
                format!("the campaign ended on {ended}"),
            ),
            Closed::Weekday { weekday } => Text::new(
                format!("{}不在拨打的星期范围内", weekday_zh(*weekday)),
                format!("the campaign does not call on {}", weekday_en(*weekday)),
            ),
            Closed::Holiday { name } => Text::new(
                format!("今天是休息日（{}）", name.zh),
                format!("today is a day off ({})", name.en),
            ),
            Closed::OutsideHours => Text::new("不在拨打时段内", "outside the calling hours"),
        }
    }
}

fn weekday_zh(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

fn weekday_en(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Mondays",
        Weekday::Tue => "Tuesdays",
        Weekday::Wed => "Wednesdays",
        Weekday::Thu => "Thursdays",
        Weekday::Fri => "Fridays",
        Weekday::Sat => "Saturdays",
        Weekday::Sun => "Sundays",
    }
}

impl Schedule {
    /// The tenant's zone, `None` when `time_zone` names none ([`Schedule::check`] says so).
    pub fn zone(&self) -> Option<Tz> {
        parse_time_zone(self.time_zone.trim())
    }

    /// The zone to call `e164` in: the contact's where the schedule asks for it and the number
    /// tells it, else the tenant's; `None` when `time_zone` names no zone.
    pub fn zone_for(&self, e164: &str) -> Option<Tz> {
        let tenant = self.zone()?;
        Some(if self.contact_time_zone {
            super::time_zones::contact_zone(e164, tenant)
        } else {
            tenant
        })
    }

    /// Every wrong field, each named.
    pub fn check(&self) -> Vec<FieldProblem> {
        let mut wrong = Vec::new();
        if let (Some(start), Some(end)) = (self.start_date, self.end_date) {
            if end < start {
                wrong.push(FieldProblem::new(
                    "/end_date",
                    "invalid_value",
                    "结束日期早于开始日期",
                    "the end date is before the start date",
                ));
            }
        }
        if self.windows.is_empty() {
            wrong.push(FieldProblem::new(
                "/windows",
                "required",
                "请至少设置一个拨打时段",
                "add at least one calling window",
            ));
        }
        for (index, window) in self.windows.iter().enumerate() {
            if window.end > DAY_MINUTES || window.start >= window.end {
                wrong.push(FieldProblem::new(
                    format!("/windows/{index}"),
                    "invalid_value",
                    "时段的结束时间须晚于开始时间，且不晚于 24:00",
                    "a window must end after it starts, at 24:00 at the latest",
                ));
            } else if window.end - window.start <= self.stop_margin_minutes {
                wrong.push(FieldProblem::new(
                    format!("/windows/{index}"),
                    "invalid_value",
                    format!(
                        "时段须长于停止拨打的提前量（{} 分钟）",
                        self.stop_margin_minutes
                    ),
                    format!(
                        "a window must be longer than the stop margin ({} minutes)",
                        self.stop_margin_minutes
                    ),
                ));
            }
        }
        if self.weekdays.is_empty() {
            wrong.push(FieldProblem::new(
                "/weekdays",
                "required",
                "请至少选择一天",
                "choose at least one day of the week",
            ));
        }
        if self.zone().is_none() {
            wrong.push(FieldProblem::new(
                "/time_zone",
                "invalid_value",
                "不是有效的时区，请从列表中选择（例如 Asia/Shanghai）",
                "not a time zone; choose one from the list (e.g. Asia/Shanghai)",
            ));
        }
        wrong
    }

    /// Whether the schedule calls on `date` at all (dates, weekday, days off).
    fn day_open(&self, calendar: &Calendar, date: NaiveDate) -> Result<(), Closed> {
        if let Some(starts) = self.start_date.filter(|starts| date < *starts) {
            return Err(Closed::BeforeStart { starts });
        }
        if let Some(ended) = self.end_date.filter(|ended| date > *ended) {
            return Err(Closed::AfterEnd { ended });
        }
        let weekday = date.weekday();
        if self.skip_holidays {
            match calendar.day(date) {
                DayKind::DayOff { name } => return Err(Closed::Holiday { name }),
                DayKind::Workday { .. }
                    if self.weekdays.contains(weekday) || self.weekdays.has_working_day() =>
                {
                    return Ok(())
                }
                _ => {}
            }
        }
        if self.weekdays.contains(weekday) {
            Ok(())
        } else {
            Err(Closed::Weekday { weekday })
        }
    }

    /// The instants `[open, last)` of `window` on `date` during which a new dial may start;
    /// `None` when the margin leaves nothing.
    fn span(&self, zone: Tz, date: NaiveDate, window: Window) -> Option<(i64, i64)> {
        let open = instant(zone, date, window.start)?;
        let close = instant(zone, date, window.end)?;
        let last = close - i64::from(self.stop_margin_minutes) * 60_000;
        (open < last).then_some((open, last))
    }
}

/// The instant at `minute` after midnight of `date` in `zone`: a wall-clock time a clock change
/// skips reads as the moment the clock resumes, one it repeats as its first occurrence.
fn instant(zone: Tz, date: NaiveDate, minute: u32) -> Option<i64> {
    let wall = date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute));
    if let Some(moment) = zone.from_local_datetime(&wall).earliest() {
        return Some(moment.timestamp_millis());
    }
    // In a gap: the first wall-clock minute after it that exists, which is when the clock
    // resumes (gaps end on a whole minute and last at most a few hours).
    (1..=180).find_map(|later| {
        zone.from_local_datetime(&(wall + Duration::minutes(later)))
            .earliest()
            .map(|moment| moment.timestamp_millis())
    })
}

/// The local date of `now_ms` in `zone`.
pub fn local_date(zone: Tz, now_ms: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp_millis(now_ms).map(|utc| utc.with_timezone(&zone).date_naive())
}

/// Whether a new dial may start at `now_ms` in `zone`, or why not.
pub fn may_dial(
    schedule: &Schedule,
    calendar: &Calendar,
    zone: Tz,
    now_ms: i64,
) -> Result<(), Closed> {
    let Some(date) = local_date(zone, now_ms) else {
        return Err(Closed::OutsideHours);
    };
    schedule.day_open(calendar, date)?;
    let inside = schedule.windows.iter().any(|window| {
        schedule
            .span(zone, date, *window)
            .is_some_and(|(open, last)| open <= now_ms && now_ms < last)
    });
    if inside {
        Ok(())
    } else {
        Err(Closed::OutsideHours)
    }
}

/// The first instant at or after `now_ms` at which [`may_dial`] says yes; `None` when the
/// campaign has ended or nothing opens within two years.
pub fn next_open(schedule: &Schedule, calendar: &Calendar, zone: Tz, now_ms: i64) -> Option<i64> {
    let today = local_date(zone, now_ms)?;
    // A day's windows all lie within that day, so the first date with a span ending after
    // `now_ms` holds the answer.
    let first = match schedule.start_date {
        Some(starts) if starts > today => starts,
        _ => today,
    };
    for offset in 0..HORIZON_DAYS {
        let date = first + Duration::days(offset);
        match schedule.day_open(calendar, date) {
            Ok(()) => {}
            Err(Closed::AfterEnd { .. }) => return None,
            Err(_) => continue,
        }
        let earliest = schedule
            .windows
            .iter()
            .filter_map(|window| schedule.span(zone, date, *window))
            .filter(|(_, last)| *last > now_ms)
            .map(|(open, _)| open.max(now_ms))
            .min();
        if earliest.is_some() {
            return earliest;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use proptest::prelude::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    /// Epoch ms of a wall-clock time in `zone` (its first occurrence).
    fn at(zone: Tz, text: &str) -> i64 {
        let wall = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time");
        zone.from_local_datetime(&wall)
            .earliest()
            .expect("exists")
            .timestamp_millis()
    }

    fn china() -> Calendar {
        Calendar::new("CN", Vec::new())
    }

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    fn workdays() -> Schedule {
        Schedule {
            weekdays: Weekdays::MONDAY_TO_FRIDAY,
            windows: vec![Window::hm(9, 0, 12, 0), Window::hm(14, 0, 20, 0)],
            ..Schedule::default()
        }
    }

    #[test]
    fn windows_and_the_stop_margin() {
        let s = workdays();
        let c = china();
        // 2026-03-10 is an ordinary Tuesday.
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-10 09:00")),
            Ok(())
        );
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-10 11:58")),
            Ok(())
        );
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-10 11:59")),
            Err(Closed::OutsideHours)
        );
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-10 08:59")),
            Err(Closed::OutsideHours)
        );
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-10 13:00")),
            Err(Closed::OutsideHours)
        );
        assert_eq!(
            next_open(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-10 12:30")),
            Some(at(SHANGHAI, "2026-03-10 14:00"))
        );
        // After the last window: the next working morning.
        assert_eq!(
            next_open(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-10 19:59")),
            Some(at(SHANGHAI, "2026-03-11 09:00"))
        );
        let inside = at(SHANGHAI, "2026-03-10 15:17");
        assert_eq!(next_open(&s, &c, SHANGHAI, inside), Some(inside));
    }

    #[test]
    fn holidays_weekends_and_make_up_workdays() {
        let s = workdays();
        let c = china();
        // National Day: a holiday, named.
        let closed = may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-10-01 10:00")).unwrap_err();
        assert_eq!(
            closed,
            Closed::Holiday {
                name: Text::new("国庆节", "National Day")
            }
        );
        assert_eq!(closed.text().zh, "今天是休息日（国庆节）");
        // 2026-10-10 is a Saturday worked for National Day; 2026-02-14 one for Spring Festival.
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-10-10 10:00")),
            Ok(())
        );
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-02-14 10:00")),
            Ok(())
        );
        // An ordinary Saturday is not.
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-10-17 10:00")),
            Err(Closed::Weekday {
                weekday: Weekday::Sat
            })
        );
        // Not skipping holidays: National Day (a Thursday) is a weekday like any other, and
        // the make-up Saturday a Saturday.
        let plain = Schedule {
            skip_holidays: false,
            ..workdays()
        };
        assert_eq!(
            may_dial(&plain, &c, SHANGHAI, at(SHANGHAI, "2026-10-01 10:00")),
            Ok(())
        );
        assert!(may_dial(&plain, &c, SHANGHAI, at(SHANGHAI, "2026-10-10 10:00")).is_err());
        // From the eve of National Day (10-01 to 10-07 off) the next opening is 10-08.
        assert_eq!(
            next_open(&s, &c, SHANGHAI, at(SHANGHAI, "2026-09-30 20:00")),
            Some(at(SHANGHAI, "2026-10-08 09:00"))
        );
        // A Sunday-only schedule calls on no working day, so it gains no make-up Saturdays.
        let sundays = Schedule {
            weekdays: Weekdays::of(&[Weekday::Sun]),
            ..workdays()
        };
        assert!(may_dial(&sundays, &c, SHANGHAI, at(SHANGHAI, "2026-10-10 10:00")).is_err());
    }

    #[test]
    fn start_and_end_dates() {
        let s = Schedule {
            start_date: Some(date("2026-03-02")),
            end_date: Some(date("2026-03-06")),
            ..workdays()
        };
        let c = china();
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-01 10:00")),
            Err(Closed::BeforeStart {
                starts: date("2026-03-02")
            })
        );
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-07 10:00")),
            Err(Closed::AfterEnd {
                ended: date("2026-03-06")
            })
        );
        assert_eq!(
            next_open(&s, &c, SHANGHAI, at(SHANGHAI, "2026-02-20 10:00")),
            Some(at(SHANGHAI, "2026-03-02 09:00"))
        );
        assert_eq!(
            next_open(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-06 19:59")),
            None
        );
    }

    #[test]
    fn the_contacts_zone_decides_the_hours() {
        let s = Schedule::default();
        let c = Calendar::new("US", Vec::new());
        let new_york = chrono_tz::America::New_York;
        // 09:30 in Shanghai is 20:30 the evening before in New York (standard time).
        let now = at(SHANGHAI, "2026-12-08 09:30");
        assert_eq!(may_dial(&s, &c, SHANGHAI, now), Ok(()));
        assert_eq!(may_dial(&s, &c, new_york, now), Err(Closed::OutsideHours));
        assert_eq!(
            next_open(&s, &c, new_york, now),
            Some(at(new_york, "2026-12-08 09:00"))
        );
    }

    #[test]
    fn the_zone_follows_the_number_only_when_asked() {
        let tenant = Schedule::default();
        assert_eq!(tenant.zone_for("+12125550123"), Some(SHANGHAI));
        let contact = Schedule {
            contact_time_zone: true,
            ..Schedule::default()
        };
        assert_eq!(
            contact.zone_for("+12125550123"),
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(contact.zone_for("+61412345678"), Some(SHANGHAI));
    }

    #[test]
    fn spring_forward_gap() {
        let new_york = chrono_tz::America::New_York;
        let c = Calendar::new("US", Vec::new());
        // 2026-03-08: clocks jump from 02:00 to 03:00. A window 02:30–04:00 opens at 03:00.
        let s = Schedule {
            windows: vec![Window::hm(2, 30, 4, 0)],
            stop_margin_minutes: 0,
            ..Schedule::default()
        };
        let before = at(new_york, "2026-03-08 01:59");
        let opens = at(new_york, "2026-03-08 03:00");
        assert_eq!(opens - before, 60_000, "01:59 and 03:00 are a minute apart");
        assert_eq!(
            may_dial(&s, &c, new_york, before),
            Err(Closed::OutsideHours)
        );
        assert_eq!(may_dial(&s, &c, new_york, opens), Ok(()));
        assert_eq!(next_open(&s, &c, new_york, before), Some(opens));
        // A window 01:00–02:30 closes when the clock jumps.
        let early = Schedule {
            windows: vec![Window::hm(1, 0, 2, 30)],
            stop_margin_minutes: 0,
            ..Schedule::default()
        };
        assert_eq!(may_dial(&early, &c, new_york, before), Ok(()));
        assert_eq!(
            may_dial(&early, &c, new_york, opens),
            Err(Closed::OutsideHours)
        );
        // The day is an hour shorter: 09:00–20:00 is still 11 hours of wall clock.
        let day = Schedule::default();
        assert_eq!(
            may_dial(&day, &c, new_york, at(new_york, "2026-03-08 19:58")),
            Ok(())
        );
        assert_eq!(
            may_dial(&day, &c, new_york, at(new_york, "2026-03-08 19:59")),
            Err(Closed::OutsideHours)
        );
    }

    #[test]
    fn fall_back_overlap() {
        let berlin = chrono_tz::Europe::Berlin;
        let c = Calendar::new("DE", Vec::new());
        // 2026-10-25: clocks go back from 03:00 to 02:00; 02:00–03:00 happens twice.
        let s = Schedule {
            windows: vec![Window::hm(1, 0, 2, 30)],
            stop_margin_minutes: 0,
            ..Schedule::default()
        };
        let first = at(berlin, "2026-10-25 02:15");
        let second = first + 3_600_000;
        assert_eq!(may_dial(&s, &c, berlin, first), Ok(()));
        // The window closes at the first 02:30: the second 02:15 is past it.
        assert_eq!(may_dial(&s, &c, berlin, second), Err(Closed::OutsideHours));
        assert_eq!(
            next_open(&s, &c, berlin, second),
            Some(at(berlin, "2026-10-26 01:00"))
        );
        // A window 02:30–04:00 opens at the first 02:30 and lasts 2.5 hours of real time.
        let late = Schedule {
            windows: vec![Window::hm(2, 30, 4, 0)],
            stop_margin_minutes: 0,
            ..Schedule::default()
        };
        assert_eq!(may_dial(&late, &c, berlin, second), Ok(()));
        assert_eq!(
            may_dial(&late, &c, berlin, at(berlin, "2026-10-25 03:59")),
            Ok(())
        );
        assert_eq!(
            may_dial(&late, &c, berlin, at(berlin, "2026-10-25 04:00")),
            Err(Closed::OutsideHours)
        );
    }

    #[test]
    fn a_window_to_midnight() {
        let s = Schedule {
            windows: vec![Window::hm(22, 0, 24, 0)],
            ..Schedule::default()
        };
        let c = china();
        assert_eq!(
            may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-10 23:58")),
            Ok(())
        );
        assert!(may_dial(&s, &c, SHANGHAI, at(SHANGHAI, "2026-03-10 23:59")).is_err());
    }

    #[test]
    fn every_wrong_field_is_named_in_both_languages() {
        let s = Schedule {
            start_date: Some(date("2026-03-10")),
            end_date: Some(date("2026-03-01")),
            windows: vec![Window::hm(12, 0, 9, 0), Window::hm(9, 0, 24, 30)],
            weekdays: Weekdays::NONE,
            time_zone: "Mars/Olympus".into(),
            ..Schedule::default()
        };
        let fields: Vec<_> = s
            .check()
            .iter()
            .map(|problem| problem.field.clone())
            .collect();
        assert_eq!(
            fields,
            [
                "/end_date",
                "/windows/0",
                "/windows/1",
                "/weekdays",
                "/time_zone"
            ]
        );
        for problem in s.check() {
            assert!(!problem.message.zh.is_ascii(), "{}", problem.message.zh);
            assert!(problem.message.en.is_ascii(), "{}", problem.message.en);
        }
        let empty = Schedule {
            windows: Vec::new(),
            ..Schedule::default()
        };
        assert_eq!(empty.check()[0].field, "/windows");
        assert_eq!(empty.check()[0].code, "required");
        assert!(Schedule::default().check().is_empty());
        assert!(workdays().check().is_empty());
    }

    #[test]
    fn every_reason_reads_in_both_languages() {
        for closed in [
            Closed::BeforeStart {
                starts: date("2026-03-01"),
            },
            Closed::AfterEnd {
                ended: date("2026-03-01"),
            },
            Closed::Weekday {
                weekday: Weekday::Sun,
            },
            Closed::Holiday {
                name: Text::new("春节", "Spring Festival"),
            },
            Closed::OutsideHours,
        ] {
            let text = closed.text();
            assert!(!text.zh.is_ascii() && text.en.is_ascii(), "{text:?}");
        }
    }

    // Property tests. Windows open at 04:00 or later, after every clock change of the zones
    // used, so a window's wall-clock span is exactly its span of instants and the rule can be
    // restated on the wall clock alone.
    const ZONES: [Tz; 5] = [
        chrono_tz::Asia::Shanghai,
        chrono_tz::America::New_York,
        chrono_tz::America::Los_Angeles,
        chrono_tz::Europe::Berlin,
        chrono_tz::Australia::Sydney,
    ];

    fn schedules() -> impl Strategy<Value = (Schedule, Tz)> {
        (
            prop::collection::vec((240u32..1430, 1u32..600), 1..4),
            1u8..128,
            any::<bool>(),
            0u32..10,
            0usize..ZONES.len(),
            prop::option::of(0i64..60),
            prop::option::of(0i64..120),
        )
            .prop_map(|(windows, weekdays, skip, margin, zone, start, length)| {
                let base = date("2026-01-01");
                let start_date = start.map(|days| base + Duration::days(days));
                let end_date = length.map(|days| start_date.unwrap_or(base) + Duration::days(days));
                let schedule = Schedule {
                    start_date,
                    end_date,
                    windows: windows
                        .into_iter()
                        .map(|(start, length)| Window {
                            start,
                            end: (start + length).min(DAY_MINUTES),
                        })
                        .collect(),
                    weekdays: Weekdays(weekdays),
                    skip_holidays: skip,
                    time_zone: ZONES[zone].name().to_owned(),
                    contact_time_zone: false,
                    stop_margin_minutes: margin,
                };
                (schedule, ZONES[zone])
            })
    }

    /// The rule restated on the wall clock.
    fn allowed(schedule: &Schedule, calendar: &Calendar, zone: Tz, now_ms: i64) -> bool {
        let local = DateTime::from_timestamp_millis(now_ms)
            .expect("instant")
            .with_timezone(&zone)
            .naive_local();
        let day = local.date();
        let in_dates = schedule.start_date.is_none_or(|start| day >= start)
            && schedule.end_date.is_none_or(|end| day <= end);
        let day_ok = match (schedule.skip_holidays, calendar.day(day)) {
            (true, DayKind::DayOff { .. }) => false,
            (true, DayKind::Workday { .. }) => {
                schedule.weekdays.contains(day.weekday()) || schedule.weekdays.has_working_day()
            }
            _ => schedule.weekdays.contains(day.weekday()),
        };
        let second = local
            .time()
            .signed_duration_since(NaiveTime::MIN)
            .num_seconds();
        let in_window = schedule.windows.iter().any(|window| {
            i64::from(window.start) * 60 <= second
                && (second + i64::from(schedule.stop_margin_minutes) * 60)
                    < i64::from(window.end) * 60
        });
        in_dates && day_ok && in_window
    }

    /// 2025-12-25 00:00 UTC: instants range over the holidays of 2026's first months.
    const FROM_MS: i64 = 1_766_620_800_000;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn may_dial_is_ok_exactly_inside_an_allowed_window(
            (schedule, zone) in schedules(),
            offset in 0i64..(200 * 86_400),
            millis in 0i64..60_000,
        ) {
            let calendar = china();
            let now = FROM_MS + offset * 1000 + millis;
            prop_assert_eq!(
                may_dial(&schedule, &calendar, zone, now).is_ok(),
                allowed(&schedule, &calendar, zone, now)
            );
        }

        #[test]
        fn next_open_is_the_first_allowed_minute(
            (schedule, zone) in schedules(),
            offset in 0i64..(60 * 24 * 200),
        ) {
            let calendar = china();
            let now = FROM_MS + offset * 60_000;
            let next = next_open(&schedule, &calendar, zone, now);
            // Minute by minute over a bounded horizon: nothing allowed before the answer.
            let horizon = now + 8 * 86_400_000;
            let mut minute = now;
            while minute < next.unwrap_or(horizon).min(horizon) {
                prop_assert!(may_dial(&schedule, &calendar, zone, minute).is_err(), "open at {} before {:?}", minute, next);
                minute += 60_000;
            }
            if let Some(next) = next {
                prop_assert!(next >= now);
                prop_assert_eq!(may_dial(&schedule, &calendar, zone, next), Ok(()));
                prop_assert!(allowed(&schedule, &calendar, zone, next));
            }
        }
    }
}
