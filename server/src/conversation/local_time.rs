//! Where a call takes place in time: the tenant's time zone gives the UTC offset at the call's
//! start, which the engine (no clock, no time-zone data) needs to date 明天 or "next Friday".

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

use crate::store::Tenant;

/// The time zone calls are dated in when a tenant has not chosen one: the shops Callflow
/// serves first are in mainland China.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// The tenant's time zone. Tenants cannot choose one yet; this is the one place that will
/// read their setting.
pub fn time_zone(_tenant: &Tenant) -> Tz {
    DEFAULT_TIME_ZONE
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
}
