//! Civil dates in the proleptic Gregorian calendar, with no clock and no time-zone data: the
//! driver tells a session when its call started and the UTC offset that applied there, and every
//! date (a script's `date_parts`, a date slot's 明天) is worked out from those two numbers.

use std::fmt;

pub const MS_PER_DAY: i64 = 86_400_000;

/// The largest UTC offset accepted, in minutes (real offsets stay within ±14 hours).
pub const MAX_UTC_OFFSET_MINUTES: i64 = 24 * 60;

/// A calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i64,
    month: u32,
    day: u32,
}

impl Date {
    /// The date, or `None` when it does not exist (2月30日, 2026-02-29).
    pub fn new(year: i64, month: u32, day: u32) -> Option<Date> {
        ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day))
            .then_some(Date { year, month, day })
    }

    /// The local date of a moment: `epoch_ms` seen at `offset_minutes` east of UTC.
    pub fn of_moment(epoch_ms: i64, offset_minutes: i64) -> Date {
        let offset = offset_minutes.clamp(-MAX_UTC_OFFSET_MINUTES, MAX_UTC_OFFSET_MINUTES);
        let local = epoch_ms.saturating_add(offset * 60_000);
        Date::from_days(local.div_euclid(MS_PER_DAY))
    }

    /// Howard Hinnant's `civil_from_days`: days since 1970-01-01 → the date.
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Date {
            year: yoe + era * 400 + i64::from(month <= 2),
            // Both are small and positive by construction.
            month: u32::try_from(month).unwrap_or(1),
            day: u32::try_from(day).unwrap_or(1),
        }
    }

    /// Howard Hinnant's `days_from_civil`: days since 1970-01-01.
    pub fn days(self) -> i64 {
        let year = self.year - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400);
        let month = i64::from(self.month);
        let mp = if month > 2 { month - 3 } else { month + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn year(self) -> i64 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn day(self) -> u32 {
        self.day
    }

    /// ISO weekday: 1 for Monday … 7 for Sunday.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        u32::try_from((self.days() + 3).rem_euclid(7)).unwrap_or(0) + 1
    }

    pub fn add_days(self, days: i64) -> Date {
        Date::from_days(self.days().saturating_add(days))
    }

    /// The Monday of this date's week (weeks start on Monday, as in China and ISO 8601).
    pub fn monday(self) -> Date {
        self.add_days(1 - i64::from(self.weekday()))
    }

    /// The first day of the month `months` after this one (negative: before).
    pub fn first_of_month_after(self, months: i64) -> Date {
        let index = self.year * 12 + i64::from(self.month) - 1 + months;
        let month = u32::try_from(index.rem_euclid(12)).unwrap_or(0) + 1;
        Date {
            year: index.div_euclid(12),
            month,
            day: 1,
        }
    }

    /// Reads `YYYY-MM-DD`.
    pub fn parse_iso(text: &str) -> Option<Date> {
        let mut parts = text.split('-');
        let year = parts.next()?;
        let month = parts.next()?;
        let day = parts.next()?;
        let well_formed = year.len() == 4 && month.len() == 2 && day.len() == 2;
        if !well_formed || parts.next().is_some() {
            return None;
        }
        Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
    }
}

/// ISO 8601: `2026-06-18`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A moment with its UTC offset, as RFC 3339 writes it (`2026-06-15T10:00:00+08:00`, seconds
/// optional, `Z` for UTC): epoch milliseconds and the offset in minutes.
pub fn parse_moment(text: &str) -> Option<(i64, i64)> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let date = Date::parse_iso(date)?;
    let (time, offset) = if let Some(time) = rest.strip_suffix(['Z', 'z']) {
        (time, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (time, offset) = rest.split_at(at);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let (hours, minutes) = offset[1..].split_once(':')?;
        let (hours, minutes) = (two_digits(hours)?, two_digits(minutes)?);
        if hours > 23 || minutes > 59 {
            return None;
        }
        (time, sign * (hours * 60 + minutes))
    };
    let mut fields = time.split(':');
    let hour = two_digits(fields.next()?)?;
    let minute = two_digits(fields.next()?)?;
    let second = match fields.next() {
        Some(second) => two_digits(second)?,
        None => 0,
    };
    if fields.next().is_some() || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let local_ms = date.days() * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000;
    Some((local_ms - offset * 60_000, offset))
}

fn two_digits(text: &str) -> Option<i64> {
    (text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse_iso(text).expect(text)
    }

    #[test]
    fn days_round_trip_known_dates() {
        for (days, iso) in [
            (0, "1970-01-01"),
            (19_675, "2023-11-14"),
            (11_016, "2000-02-29"),
            (2_932_896, "9999-12-31"),
            (-1, "1969-12-31"),
        ] {
            assert_eq!(Date::from_days(days).to_string(), iso);
            assert_eq!(date(iso).days(), days, "{iso}");
        }
        assert_eq!(
            Date::from_days(-719_468),
            Date {
                year: 0,
                month: 3,
                day: 1
            }
        );
        for days in (-800_000..3_000_000).step_by(997) {
            assert_eq!(Date::from_days(days).days(), days);
        }
    }

    #[test]
    fn weekdays_and_weeks() {
        assert_eq!(date("1970-01-01").weekday(), 4);
        assert_eq!(date("2026-06-15").weekday(), 1);
        assert_eq!(date("2026-06-14").weekday(), 7);
        assert_eq!(date("2026-06-14").monday(), date("2026-06-08"));
        assert_eq!(date("2026-06-15").monday(), date("2026-06-15"));
    }

    #[test]
    fn calendar_rules() {
        assert_eq!(Date::new(2026, 2, 29), None);
        assert!(Date::new(2028, 2, 29).is_some());
        assert!(Date::new(2000, 2, 29).is_some());
        assert_eq!(Date::new(1900, 2, 29), None);
        assert_eq!(Date::new(2026, 4, 31), None);
        assert_eq!(Date::new(2026, 13, 1), None);
        assert_eq!(Date::new(2026, 1, 0), None);
        assert_eq!(date("2026-12-31").add_days(1), date("2027-01-01"));
        assert_eq!(date("2028-02-28").add_days(1), date("2028-02-29"));
        assert_eq!(
            date("2026-12-15").first_of_month_after(1),
            date("2027-01-01")
        );
        assert_eq!(
            date("2026-01-15").first_of_month_after(-1),
            date("2025-12-01")
        );
        for bad in [
            "2026-6-18",
            "2026-06-18-01",
            "20260618",
            "2026-02-30",
            "abcd-ef-gh",
        ] {
            assert_eq!(Date::parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn moments() {
        let (ms, offset) = parse_moment("2026-06-15T10:00:00+08:00").expect("parses");
        assert_eq!(offset, 480);
        assert_eq!(Date::of_moment(ms, offset), date("2026-06-15"));
        // 01:00 in Shanghai is still the day before in UTC.
        let (ms, offset) = parse_moment("2026-06-15T01:00+08:00").expect("parses");
        assert_eq!(Date::of_moment(ms, 0), date("2026-06-14"));
        assert_eq!(Date::of_moment(ms, offset), date("2026-06-15"));
        let (ms, offset) = parse_moment("2026-06-15T23:30:00-05:00").expect("parses");
        assert_eq!(
            (Date::of_moment(ms, offset), offset),
            (date("2026-06-15"), -300)
        );
        assert_eq!(parse_moment("2026-06-15T10:00:00Z").map(|m| m.1), Some(0));
        for bad in [
            "2026-06-15",
            "2026-06-15T25:00:00Z",
            "2026-06-15T10:00:00+8",
            "now",
        ] {
            assert_eq!(parse_moment(bad), None, "{bad}");
        }
    }
}
