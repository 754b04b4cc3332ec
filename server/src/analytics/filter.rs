//! Which calls a report covers, from the query parameters that the analytics API and the
//! dashboard pages share: local days (`from`, `to`, both included), flow, version, channel,
//! direction, and whether the editor's Try it conversations count.

use chrono::{DateTime, Days, NaiveDate};
use chrono_tz::Tz;

use crate::store::AnalyticsFilter;

/// The parameters [`parse`] reads.
pub const PARAMETERS: [&str; 7] = [
    "from",
    "to",
    "flow_id",
    "version",
    "channel",
    "direction",
    "include_simulated",
];

/// Days a report covers unless `from` says otherwise: the last week, today included.
pub const DEFAULT_DAYS: u64 = 7;
/// The longest range a report covers, in days.
pub const MAX_DAYS: i64 = 731;

/// A parameter with a value that means nothing, explained in both languages.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterError {
    pub parameter: String,
    pub zh: String,
    pub en: String,
}

fn error(parameter: &str, zh: String, en: String) -> FilterError {
    FilterError {
        parameter: parameter.to_owned(),
        zh,
        en,
    }
}

/// The local day of `at_ms` in `zone`.
pub fn local_day(zone: Tz, at_ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(at_ms)
        .map(|utc| utc.with_timezone(&zone).date_naive())
        .unwrap_or_default()
}

/// A day as `2026-12-01`; an RFC 3339 timestamp names its local day in `zone`.
fn day(parameter: &str, value: &str, zone: Tz) -> Result<NaiveDate, FilterError> {
    let value = value.trim();
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(day);
    }
    DateTime::parse_from_rfc3339(value)
        .map(|moment| moment.with_timezone(&zone).date_naive())
        .map_err(|_| {
            error(
                parameter,
                format!("“{value}”不是日期：请写成 2026-12-01 这样"),
                format!("\"{value}\" is not a date: write it as 2026-12-01"),
            )
        })
}

/// Reads `pairs` (a query string's) into the filter of `tenant_id`'s calls. Parameters in
/// `others` are left to the caller; any other unknown one is an error, as is a value that
/// means nothing. Without `to` the range ends today in `zone` (at `now_ms`); without `from` it
/// starts [`DEFAULT_DAYS`] before.
pub fn parse(
    tenant_id: &str,
    pairs: &[(String, String)],
    zone: Tz,
    now_ms: i64,
    others: &[&str],
) -> Result<AnalyticsFilter, FilterError> {
    let mut filter = AnalyticsFilter {
        tenant_id: tenant_id.to_owned(),
        ..AnalyticsFilter::default()
    };
    let (mut from, mut to) = (None, None);
    for (name, value) in pairs {
        // A blank field of a form is no filter.
        if value.is_empty()
            && (PARAMETERS.contains(&name.as_str()) || others.contains(&name.as_str()))
        {
            continue;
        }
        let one_of = |choices: &[&str]| {
            if choices.contains(&value.as_str()) {
                Ok(Some(value.clone()))
            } else {
                Err(error(
                    name,
                    format!("应为 {} 之一，而不是“{value}”", choices.join("、")),
                    format!("must be one of {}, not \"{value}\"", choices.join(", ")),
                ))
            }
        };
        match name.as_str() {
            "from" => from = Some(day(name, value, zone)?),
            "to" => to = Some(day(name, value, zone)?),
            "flow_id" => filter.flow_id = Some(value.clone()),
            "channel" => filter.channel = one_of(&["chat", "phone"])?,
            "direction" => filter.direction = one_of(&["inbound", "outbound"])?,
            "include_simulated" => {
                filter.include_simulated = one_of(&["true", "false"])?.as_deref() == Some("true")
            }
            "version" => {
                let version = value.trim().parse::<i64>().ok().filter(|v| *v >= 0);
                filter.version = Some(version.ok_or_else(|| {
                    error(
                        name,
                        format!("“{value}”不是版本号：请写 1、2 这样的数，0 表示草稿"),
                        format!("\"{value}\" is not a version: write 1, 2, … (0 is the draft)"),
                    )
                })?);
                if filter.version == Some(0) {
                    filter.include_simulated = true;
                }
            }
            _ if others.contains(&name.as_str()) => {}
            _ => {
                let known: Vec<&str> = PARAMETERS.iter().chain(others).copied().collect();
                return Err(error(
                    name,
                    format!("没有这个参数；可用的参数有 {}", known.join("、")),
                    format!("there is no such parameter; use {}", known.join(", ")),
                ));
            }
        }
    }
    let to = to.unwrap_or_else(|| local_day(zone, now_ms));
    let from = from.unwrap_or_else(|| {
        to.checked_sub_days(Days::new(DEFAULT_DAYS - 1))
            .unwrap_or(to)
    });
    if from > to {
        return Err(error(
            "from",
            format!("{from} 不能晚于结束日期 {to}"),
            format!("{from} must not be after the last day, {to}"),
        ));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(error(
            "from",
            format!("一次最多看 {MAX_DAYS} 天"),
            format!("a report covers at most {MAX_DAYS} days"),
        ));
    }
    filter.from_day = from.format("%Y-%m-%d").to_string();
    filter.to_day = to.format("%Y-%m-%d").to_string();
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    // 2026-12-03 01:00 in Shanghai, still 2 December in UTC.
    const NOW: i64 = 1_764_694_800_000 + 365 * 86_400_000;

    #[test]
    fn the_default_is_the_last_week_in_the_tenants_days() {
        let filter = parse("t", &[], Tz::Asia__Shanghai, NOW, &[]).expect("no parameters");
        assert_eq!(
            (filter.from_day.as_str(), filter.to_day.as_str()),
            ("2026-11-27", "2026-12-03")
        );
        let filter = parse("t", &[], Tz::UTC, NOW, &[]).expect("no parameters");
        assert_eq!(filter.to_day, "2026-12-02");
        assert!(!filter.include_simulated);
    }

    #[test]
    fn days_and_choices_are_read_and_bad_values_named() {
        let filter = parse(
            "t",
            &pairs(&[
                ("from", "2026-12-01"),
                ("to", "2026-12-01T23:30:00Z"),
                ("channel", "phone"),
                ("version", "3"),
                ("limit", "5"),
            ]),
            Tz::Asia__Shanghai,
            NOW,
            &["limit"],
        )
        .expect("good parameters");
        assert_eq!(
            (filter.from_day.as_str(), filter.to_day.as_str()),
            ("2026-12-01", "2026-12-02")
        );
        assert_eq!(
            (filter.channel.as_deref(), filter.version),
            (Some("phone"), Some(3))
        );
        for (bad, parameter) in [
            (("from", "yesterday"), "from"),
            (("channel", "fax"), "channel"),
            (("version", "-1"), "version"),
            (("outcome", "resolved"), "outcome"),
            (("include_simulated", "yes"), "include_simulated"),
        ] {
            let error = parse("t", &pairs(&[bad]), Tz::Asia__Shanghai, NOW, &[]).expect_err("bad");
            assert_eq!(error.parameter, parameter);
            assert!(!error.zh.is_empty() && !error.en.is_empty());
        }
        let error = parse(
            "t",
            &pairs(&[("from", "2026-12-02"), ("to", "2026-12-01")]),
            Tz::UTC,
            NOW,
            &[],
        )
        .expect_err("backwards");
        assert_eq!(error.parameter, "from");
    }
}
