//! A queue's opening hours: the weekdays it is open and from when until when, in the tenant's
//! time zone. A close before the open (`22:00`–`06:00`) runs past midnight.

use chrono::{DateTime, Datelike, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::language::Text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Hours {
    /// ISO weekdays it opens on: 1 is Monday, 7 Sunday.
    #[schema(value_type = Vec<IsoWeekday>, min_items = 1, max_items = 7)]
    pub days: Vec<u8>,
    /// `HH:MM`, e.g. `09:00`.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub open: String,
    /// `HH:MM`, e.g. `21:00`; before `open`, the hours run past midnight.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub close: String,
}

/// An ISO weekday as the API documents it: 1 is Monday, 7 Sunday.
#[derive(ToSchema)]
#[schema(minimum = 1, maximum = 7)]
#[allow(dead_code)] // Only describes `Hours::days` to OpenAPI.
struct IsoWeekday(u8);

fn time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

impl Hours {
    /// What is wrong, as (field pointer under the hours, message in both languages).
    pub fn problems(&self) -> Vec<(String, Text)> {
        let mut problems = Vec::new();
        if self.days.is_empty() {
            problems.push((
                "/days".to_owned(),
                Text::new(
                    "请至少选择一天营业",
                    "Choose at least one day the queue is open.",
                ),
            ));
        }
        for (i, day) in self.days.iter().enumerate() {
            if !(1..=7).contains(day) {
                problems.push((
                    format!("/days/{i}"),
                    Text::new(
                        format!("{day} 不是星期几：1 是星期一，7 是星期日"),
                        format!("{day} is not a weekday: 1 is Monday, 7 is Sunday."),
                    ),
                ));
            }
        }
        for (field, text) in [("/open", &self.open), ("/close", &self.close)] {
            if time(text).is_none() {
                problems.push((
                    field.to_owned(),
                    Text::new(
                        format!("“{text}”不是时刻：请写成 HH:MM，例如 09:00"),
                        format!("\"{text}\" is not a time of day: write it as HH:MM, e.g. 09:00."),
                    ),
                ));
            }
        }
        if self.open.trim() == self.close.trim() {
            problems.push((
                "/close".to_owned(),
                Text::new(
                    "开门和关门是同一时刻：全天营业的队列请不填营业时间",
                    "The queue closes when it opens: leave the hours out for a queue that is \
                     always open.",
                ),
            ));
        }
        problems
    }

    /// Whether the queue is open at `at_ms` (epoch milliseconds) in `zone`. Hours that do not
    /// parse (checked when saved) count as closed.
    pub fn is_open(&self, at_ms: i64, zone: Tz) -> bool {
        let (Some(open), Some(close)) = (time(&self.open), time(&self.close)) else {
            return false;
        };
        let Some(moment) = DateTime::from_timestamp_millis(at_ms) else {
            return false;
        };
        let local = zone.from_utc_datetime(&moment.naive_utc());
        let now = local.time();
        let weekday = |days_back: u64| {
            let date = local.date_naive() - chrono::Days::new(days_back);
            u8::try_from(date.weekday().number_from_monday()).unwrap_or(0)
        };
        let open_on = |day: u8| self.days.contains(&day);
        if open < close {
            open_on(weekday(0)) && now >= open && now < close
        } else {
            // Past midnight: the evening belongs to today's opening, the small hours to
            // yesterday's.
            (open_on(weekday(0)) && now >= open) || (open_on(weekday(1)) && now < close)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .expect("a moment")
            .timestamp_millis()
    }

    fn hours(days: &[u8], open: &str, close: &str) -> Hours {
        Hours {
            days: days.to_vec(),
            open: open.to_owned(),
            close: close.to_owned(),
        }
    }

    #[test]
    fn open_on_its_days_between_its_times_in_the_tenants_zone() {
        let shanghai = chrono_tz::Asia::Shanghai;
        let weekdays = hours(&[1, 2, 3, 4, 5], "09:00", "21:00");
        // Friday 2026-12-04, 20:59 and 21:00 in Shanghai.
        assert!(weekdays.is_open(at("2026-12-04T20:59:00+08:00"), shanghai));
        assert!(!weekdays.is_open(at("2026-12-04T21:00:00+08:00"), shanghai));
        assert!(!weekdays.is_open(at("2026-12-04T08:59:59+08:00"), shanghai));
        // Saturday.
        assert!(!weekdays.is_open(at("2026-12-05T10:00:00+08:00"), shanghai));
        // 10:00 in Shanghai is 02:00 UTC: the zone decides, not UTC.
        assert!(weekdays.is_open(at("2026-12-04T02:00:00Z"), shanghai));
        assert!(!weekdays.is_open(at("2026-12-04T02:00:00Z"), chrono_tz::UTC));
    }

    #[test]
    fn night_hours_run_past_midnight_from_the_day_they_open() {
        let shanghai = chrono_tz::Asia::Shanghai;
        let friday_nights = hours(&[5], "22:00", "06:00");
        assert!(friday_nights.is_open(at("2026-12-04T23:00:00+08:00"), shanghai));
        // Saturday's small hours belong to Friday night.
        assert!(friday_nights.is_open(at("2026-12-05T05:59:00+08:00"), shanghai));
        assert!(!friday_nights.is_open(at("2026-12-05T06:00:00+08:00"), shanghai));
        // Friday's small hours belong to Thursday night, which is closed.
        assert!(!friday_nights.is_open(at("2026-12-04T03:00:00+08:00"), shanghai));
    }

    #[test]
    fn problems_name_their_fields() {
        let wrong = hours(&[0, 8], "9am", "9am");
        let fields: Vec<String> = wrong.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec!["/days/0", "/days/1", "/open", "/close", "/close"]
        );
        assert!(hours(&[1], "09:00", "18:00").problems().is_empty());
    }
}
