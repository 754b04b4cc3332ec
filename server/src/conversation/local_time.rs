//! Where a call takes place in time: the tenant's time zone gives the UTC offset at the call's
//! start, which the engine (no clock, no time-zone data) needs to date 明天 or "next Friday".

use chrono::{DateTime, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;

use crate::store::Tenant;

/// The time zone calls are dated in when a tenant has not chosen one: the shops Callflow
/// serves first are in mainland China.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// The tenant's time zone: its `time_zone` setting, else [`DEFAULT_TIME_ZONE`]. A setting that
/// names no zone (written by hand into the database) falls back too rather than failing
/// every call; `callflow admin` refuses such names.
pub fn time_zone(tenant: &Tenant) -> Tz {
    tenant
        .settings
        .time_zone
        .as_deref()
        .and_then(parse_time_zone)
        .unwrap_or(DEFAULT_TIME_ZONE)
}

/// An IANA time zone by its name, e.g. `Asia/Shanghai`; `None` for anything else.
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// A moment as a query gives it, in epoch milliseconds: an RFC 3339 timestamp
/// (`2026-12-01T08:00:00+08:00`), a plain date (`2026-12-01`: that day's start in `zone`), or
/// epoch milliseconds, which the API took before it took dates. `None` when it is none of them.
pub fn parse_moment(text: &str, zone: Tz) -> Option<i64> {
    let text = text.trim();
    if let Ok(moment) = DateTime::parse_from_rfc3339(text) {
        return Some(moment.timestamp_millis());
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return start_of_day(date, zone);
    }
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        return text.parse().ok();
    }
    None
}

/// The first moment of `date` in `zone`. Where a clock change skips midnight (it does in a few
/// zones), the day starts when the clock resumes.
fn start_of_day(date: NaiveDate, zone: Tz) -> Option<i64> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    (0..=2)
        .find_map(|hours| {
            zone.from_local_datetime(&(midnight + chrono::Duration::hours(hours)))
                .earliest()
        })
        .map(|moment| moment.timestamp_millis())
}

/// The UTC offset in `zone` at `at_ms` (epoch milliseconds), in minutes east of UTC; daylight
/// saving time included.
pub fn utc_offset_minutes(zone: Tz, at_ms: i64) -> i32 {
    DateTime::from_timestamp_millis(at_ms).map_or(0, |utc| {
        zone.offset_from_utc_datetime(&utc.naive_utc())
            .fix()
            .local_minus_utc()
            / 60
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_the_zone_and_its_summer_time() {
        // 2026-06-15T02:00:00Z and 2026-01-15T02:00:00Z.
        let june = 1_781_488_800_000;
        let january = 1_768_442_400_000;
        assert_eq!(utc_offset_minutes(DEFAULT_TIME_ZONE, june), 480);
        assert_eq!(utc_offset_minutes(DEFAULT_TIME_ZONE, january), 480);
        assert_eq!(utc_offset_minutes(chrono_tz::America::New_York, june), -240);
        assert_eq!(
            utc_offset_minutes(chrono_tz::America::New_York, january),
            -300
        );
        assert_eq!(utc_offset_minutes(chrono_tz::Asia::Kolkata, june), 330);
        assert_eq!(utc_offset_minutes(DEFAULT_TIME_ZONE, i64::MAX), 0);
    }

    #[test]
    fn moments_are_timestamps_dates_in_the_zone_or_epoch_milliseconds() {
        // 2026-12-01T00:00:00Z.
        let utc_midnight = 1_796_083_200_000;
        let hour = 3_600_000;
        let shanghai = DEFAULT_TIME_ZONE;
        assert_eq!(
            parse_moment("2026-12-01T08:00:00+08:00", shanghai),
            Some(utc_midnight)
        );
        assert_eq!(
            parse_moment("2026-12-01T00:00:00Z", shanghai),
            Some(utc_midnight)
        );
        assert_eq!(
            parse_moment("2026-12-01", shanghai),
            Some(utc_midnight - 8 * hour)
        );
        assert_eq!(
            parse_moment("2026-12-01", chrono_tz::America::New_York),
            Some(utc_midnight + 5 * hour)
        );
        assert_eq!(parse_moment("1796083200000", shanghai), Some(utc_midnight));
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-12-01T08:00",
            "-5",
            "1.5",
            "12:00",
        ] {
            assert_eq!(parse_moment(bad, shanghai), None, "{bad}");
        }
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_when_the_clock_resumes() {
        // Santiago moved its clocks from 00:00 to 01:00 on 2026-09-06.
        let start = parse_moment("2026-09-06", chrono_tz::America::Santiago).expect("a day");
        assert_eq!(
            utc_offset_minutes(chrono_tz::America::Santiago, start),
            -180,
            "summer time has begun"
        );
        assert_eq!(
            parse_moment("2026-09-06T01:00:00-03:00", DEFAULT_TIME_ZONE),
            Some(start)
        );
    }

    #[test]
    fn the_tenant_chooses_its_zone_and_nonsense_falls_back() {
        let mut tenant = Tenant {
            id: "t".into(),
            name: "Shop".into(),
            slug: "shop".into(),
            settings: Default::default(),
            created_at: 0,
            suspended_at: None,
        };
        assert_eq!(time_zone(&tenant), DEFAULT_TIME_ZONE);
        tenant.settings.time_zone = Some("Europe/Berlin".into());
        assert_eq!(time_zone(&tenant), chrono_tz::Europe::Berlin);
        tenant.settings.time_zone = Some("Mars/Olympus".into());
        assert_eq!(time_zone(&tenant), DEFAULT_TIME_ZONE);
    }
}
