//! Date triggers: whether a contact's date field falls today, for campaigns that call people
//! on their birthday (solar or lunar, 农历生日) or on the anniversary of their first order.
//!
//! "Today" is the tenant's local date (see [`super::schedule::local_date`]). A match names its
//! occurrence by that date, so that a campaign calls a contact at most once per occurrence
//! however often it asks.

use chrono::{Datelike, NaiveDate, NaiveTime};
use lunardate::LunarDate;

use crate::language::Text;

/// What a date field means to a date-triggered campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A solar birth date: called on its month and day each year.
    Birthday,
    /// A lunar month and day (农历三月初五, `L03-05`; a leap month 农历闰四月初五, `L闰04-05`):
    /// called on that lunar date each lunar year.
    LunarBirthday,
    /// A first order's date: called on its month and day from a year after it on.
    Anniversary,
}

/// One day a contact is due: the local date, which is also the key that keeps a contact from
/// being called twice for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub date: NaiveDate,
}

impl Occurrence {
    /// The occurrence's key, `YYYY-MM-DD`.
    pub fn key(&self) -> String {
        self.date.format("%Y-%m-%d").to_string()
    }
}

/// A date field a trigger cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub value: String,
    pub trigger: Trigger,
}

impl Unreadable {
    pub fn text(&self) -> Text {
        match self.trigger {
            Trigger::LunarBirthday => Text::new(
                format!("“{}”不是农历日期，请写成“农历三月初五”或“L03-05”（闰月：“农历闰四月初五”或“L闰04-05”）", self.value),
                format!(
                    "\"{}\" is not a lunar date; write it as 农历三月初五 or L03-05 (a leap month: 农历闰四月初五 or L闰04-05)",
                    self.value
                ),
            ),
            Trigger::Birthday | Trigger::Anniversary => Text::new(
                format!("“{}”不是日期，请写成 2024-03-05、2024/03/05 或 2024年3月5日", self.value),
                format!(
                    "\"{}\" is not a date; write it as 2024-03-05, 2024/03/05 or 2024年3月5日",
                    self.value
                ),
            ),
        }
    }
}

/// Whether a contact whose field holds `value` is due today under `trigger`; `Ok(None)` when
/// not today.
pub fn due(
    trigger: Trigger,
    value: &str,
    today: NaiveDate,
) -> Result<Option<Occurrence>, Unreadable> {
    let unreadable = || Unreadable {
        value: value.to_owned(),
        trigger,
    };
    let hit = match trigger {
        Trigger::Birthday => {
            let date = parse_date(value).ok_or_else(unreadable)?;
            same_day_of_year(date, today)
        }
        Trigger::Anniversary => {
            let date = parse_date(value).ok_or_else(unreadable)?;
            today.year() > date.year() && same_day_of_year(date, today)
        }
        Trigger::LunarBirthday => {
            let lunar = parse_lunar(value).ok_or_else(unreadable)?;
            lunar_birthday_in_year_of(lunar, today) == Some(today)
        }
    };
    Ok(hit.then_some(Occurrence { date: today }))
}

/// Whether `today` is `date`'s month and day; a 29 February falls on 28 February in a common
/// year.
fn same_day_of_year(date: NaiveDate, today: NaiveDate) -> bool {
    if (date.month(), date.day()) == (today.month(), today.day()) {
        return true;
    }
    let leap_day = date.month() == 2 && date.day() == 29;
    let common_year = NaiveDate::from_ymd_opt(today.year(), 2, 29).is_none();
    leap_day && common_year && (today.month(), today.day()) == (2, 28)
}

/// A date as contacts' spreadsheets hold one: `2024-03-05`, `2024/3/5`, `2024年3月5日`; or a
/// date with a time of day, as an Excel date-time cell is imported
/// (`2024-03-05T09:30:00+08:00`, `2024-03-05 09:30`): its date as written, which is the
/// tenant's local date when the import knew the tenant's zone.
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    let value = value.trim();
    let value = match value.split_once(['T', ' ']) {
        Some((date, time)) if is_time_of_day(time) => date,
        _ => value,
    };
    let parts: Vec<&str> = if let Some(rest) = value.strip_suffix('日') {
        let (year, rest) = rest.split_once('年')?;
        let (month, day) = rest.split_once('月')?;
        vec![year, month, day]
    } else if value.contains('/') {
        value.split('/').collect()
    } else {
        value.split('-').collect()
    };
    let [year, month, day] = parts.as_slice() else {
        return None;
    };
    let number = |text: &str| -> Option<u32> {
        let text = text.trim();
        (!text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    if year.trim().len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(number(year)?).ok()?,
        number(month)?,
        number(day)?,
    )
}

/// `09:30`, `09:30:00`, `09:30:00+08:00`, `09:30:00.5Z`: what may follow a date's `T`.
fn is_time_of_day(text: &str) -> bool {
    let clock = text
        .get(..5)
        .and_then(|hm| NaiveTime::parse_from_str(hm, "%H:%M").ok());
    let rest = text.get(5..).unwrap_or("");
    clock.is_some()
        && rest
            .bytes()
            .all(|byte| byte.is_ascii_digit() || b":.+-Z".contains(&byte))
}

/// A lunar month and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarMonthDay {
    pub month: u32,
    pub day: u32,
    pub leap: bool,
}

/// `农历三月初五`, `农历闰四月十五`, `腊月廿三` (the 农历 is optional), or `L03-05`, `L闰04-15`.
pub fn parse_lunar(value: &str) -> Option<LunarMonthDay> {
    let value = value.trim();
    let parsed = if let Some(rest) = value.strip_prefix('L').or_else(|| value.strip_prefix('l')) {
        let (leap, rest) = match rest.strip_prefix('闰') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let (month, day) = rest.split_once('-')?;
        let digits = |text: &str| {
            (!text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<u32>().ok())
                .flatten()
        };
        LunarMonthDay {
            month: digits(month)?,
            day: digits(day)?,
            leap,
        }
    } else {
        let rest = value.strip_prefix("农历").unwrap_or(value);
        let (leap, rest) = match rest.strip_prefix('闰') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let (month, day) = rest.split_once('月')?;
        LunarMonthDay {
            month: chinese_month(month)?,
            day: chinese_day(day)?,
            leap,
        }
    };
    ((1..=12).contains(&parsed.month) && (1..=30).contains(&parsed.day)).then_some(parsed)
}

fn chinese_digit(c: char) -> Option<u32> {
    "一二三四五六七八九"
        .chars()
        .position(|d| d == c)
        .map(|i| i as u32 + 1)
}

fn chinese_month(text: &str) -> Option<u32> {
    match text {
        "正" => Some(1),
        "冬" => Some(11),
        "腊" => Some(12),
        "十" => Some(10),
        "十一" => Some(11),
        "十二" => Some(12),
        _ => {
            let mut chars = text.chars();
            let digit = chinese_digit(chars.next()?)?;
            chars.next().is_none().then_some(digit)
        }
    }
}

fn chinese_day(text: &str) -> Option<u32> {
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        ['初', '十'] => Some(10),
        ['初', d] => chinese_digit(*d),
        ['十', d] => Some(10 + chinese_digit(*d)?),
        ['二', '十'] => Some(20),
        ['廿', d] => Some(20 + chinese_digit(*d)?),
        ['三', '十'] => Some(30),
        _ => None,
    }
}

/// The solar date of a lunar birthday in the lunar year `today` lies in: in the leap month
/// when the birthday's month is a leap month that this year repeats, else in the regular
/// month; on the month's last day when it has no such day (a 30th in a 29-day month). `None`
/// outside the years the lunar table covers.
fn lunar_birthday_in_year_of(birthday: LunarMonthDay, today: NaiveDate) -> Option<NaiveDate> {
    let year = LunarDate::from_naive_date(&today).ok()?.year();
    let solar = |month, day, leap| LunarDate::new(year, month, day, leap).to_solar_date().ok();
    let leap = birthday.leap && solar(birthday.month, 1, true).is_some();
    (1..=birthday.day)
        .rev()
        .take(2)
        .find_map(|day| solar(birthday.month, day, leap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn is_due(trigger: Trigger, value: &str, today: &str) -> bool {
        due(trigger, value, date(today))
            .expect("readable")
            .is_some()
    }

    #[test]
    fn dates_in_three_spellings() {
        let expected = Some(date("2024-03-05"));
        assert_eq!(parse_date("2024-03-05"), expected);
        assert_eq!(parse_date(" 2024/03/05 "), expected);
        assert_eq!(parse_date("2024/3/5"), expected);
        assert_eq!(parse_date("2024年3月5日"), expected);
        assert_eq!(parse_date("2024年03月05日"), expected);
        for wrong in [
            "",
            "2024-02-30",
            "24-03-05",
            "2024-03",
            "三月五日",
            "2024-03-05-01",
            "+2024-03-05",
            "2024-03-05T",
            "2024-03-05Tnoon",
            "2024-03-05 25:00",
            "2024-03-05 三点",
        ] {
            assert_eq!(parse_date(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn a_date_with_a_time_of_day_is_its_date() {
        // As an XLSX date-time cell is imported, with the tenant's zone and without one.
        let expected = Some(date("2024-03-05"));
        assert_eq!(parse_date("2024-03-05T23:30:00+08:00"), expected);
        assert_eq!(parse_date("2024-03-05T09:30:00"), expected);
        assert_eq!(parse_date("2024-03-05 09:30"), expected);
        assert_eq!(parse_date("2024/3/5 09:30:15"), expected);
        assert_eq!(parse_date("2024-03-05T09:30:00.250Z"), expected);
    }

    #[test]
    fn birthdays_and_the_29th_of_february() {
        assert!(is_due(Trigger::Birthday, "1990-03-05", "2026-03-05"));
        assert!(!is_due(Trigger::Birthday, "1990-03-05", "2026-03-06"));
        // Born on 29 February: 28 February in a common year, the 29th in a leap year.
        assert!(is_due(Trigger::Birthday, "2000-02-29", "2026-02-28"));
        assert!(!is_due(Trigger::Birthday, "2000-02-29", "2026-03-01"));
        assert!(is_due(Trigger::Birthday, "2000-02-29", "2028-02-29"));
        assert!(!is_due(Trigger::Birthday, "2000-02-29", "2028-02-28"));
        let occurrence = due(Trigger::Birthday, "1990/10/1", date("2026-10-01"))
            .expect("readable")
            .expect("due");
        assert_eq!(occurrence.key(), "2026-10-01");
    }

    #[test]
    fn anniversaries_start_a_year_after() {
        assert!(!is_due(Trigger::Anniversary, "2026-03-05", "2026-03-05"));
        assert!(is_due(Trigger::Anniversary, "2025-03-05", "2026-03-05"));
        assert!(is_due(Trigger::Anniversary, "2024年2月29日", "2025-02-28"));
        assert!(!is_due(Trigger::Anniversary, "2025-03-05", "2026-03-04"));
    }

    #[test]
    fn lunar_month_days_in_both_spellings() {
        let third_fifth = Some(LunarMonthDay {
            month: 3,
            day: 5,
            leap: false,
        });
        assert_eq!(parse_lunar("农历三月初五"), third_fifth);
        assert_eq!(parse_lunar("L03-05"), third_fifth);
        assert_eq!(parse_lunar("三月初五"), third_fifth);
        assert_eq!(
            parse_lunar("农历闰六月廿三"),
            Some(LunarMonthDay {
                month: 6,
                day: 23,
                leap: true
            })
        );
        assert_eq!(
            parse_lunar("L闰06-23"),
            Some(LunarMonthDay {
                month: 6,
                day: 23,
                leap: true
            })
        );
        assert_eq!(
            parse_lunar("腊月三十").map(|d| (d.month, d.day)),
            Some((12, 30))
        );
        assert_eq!(
            parse_lunar("正月十五").map(|d| (d.month, d.day)),
            Some((1, 15))
        );
        assert_eq!(
            parse_lunar("十一月初十").map(|d| (d.month, d.day)),
            Some((11, 10))
        );
        for wrong in [
            "",
            "L13-01",
            "L03-31",
            "L3",
            "农历三月",
            "农历十三月初一",
            "1990-03-05",
        ] {
            assert_eq!(parse_lunar(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn lunar_birthdays() {
        // 2026's Spring Festival (正月初一) is 17 February; 正月十五 is 3 March.
        assert!(is_due(Trigger::LunarBirthday, "农历正月初一", "2026-02-17"));
        assert!(is_due(Trigger::LunarBirthday, "L01-15", "2026-03-03"));
        assert!(!is_due(Trigger::LunarBirthday, "L01-15", "2026-03-04"));
        // Mid-Autumn (八月十五) is 25 September 2026.
        assert!(is_due(Trigger::LunarBirthday, "农历八月十五", "2026-09-25"));
    }

    #[test]
    fn leap_months_and_short_months() {
        // 2025 repeats the sixth month: 六月初一 is 25 June, 闰六月初一 25 July.
        assert!(is_due(Trigger::LunarBirthday, "农历六月初一", "2025-06-25"));
        assert!(!is_due(
            Trigger::LunarBirthday,
            "农历六月初一",
            "2025-07-25"
        ));
        assert!(is_due(
            Trigger::LunarBirthday,
            "农历闰六月初一",
            "2025-07-25"
        ));
        assert!(!is_due(
            Trigger::LunarBirthday,
            "农历闰六月初一",
            "2025-06-25"
        ));
        // 2026 has no leap sixth month: a 闰六月 birthday falls in the sixth month.
        let sixth = LunarDate::new(2026, 6, 1, false)
            .to_solar_date()
            .expect("in range");
        assert!(is_due(
            Trigger::LunarBirthday,
            "L闰06-01",
            &sixth.to_string()
        ));
        // 除夕 of a year whose twelfth month has 29 days: a 腊月三十 birthday falls on its 29th.
        let (year, last) = (2000..2030)
            .find_map(|year| {
                LunarDate::new(year, 12, 30, false)
                    .to_solar_date()
                    .is_err()
                    .then(|| (year, LunarDate::new(year, 12, 29, false).to_solar_date()))
            })
            .expect("a short twelfth month");
        let last = last.expect("the 29th exists");
        assert!(year >= 2000);
        assert!(is_due(
            Trigger::LunarBirthday,
            "腊月三十",
            &last.to_string()
        ));
    }

    #[test]
    fn unreadable_fields_say_how_to_write_them() {
        let wrong = due(Trigger::Birthday, "March 5th", date("2026-03-05")).unwrap_err();
        assert!(wrong.text().zh.contains("2024年3月5日"));
        let wrong = due(Trigger::LunarBirthday, "1990-03-05", date("2026-03-05")).unwrap_err();
        assert!(wrong.text().zh.contains("农历三月初五"));
        assert!(wrong.text().en.contains("lunar"));
    }
}
