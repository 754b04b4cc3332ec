//! Which days are days off: China's statutory holidays and make-up workdays (调休), and the days
//! a tenant adds itself.
//!
//! China's days come from `server/data/holidays/cn.tsv` (see `SOURCE.md` beside it). The State
//! Council publishes the next year's arrangement each November (国务院办公厅关于部分节假日安排
//! 的通知). To add that year: once holiday-cn (https://github.com/NateScarlet/holiday-cn) has the
//! year's `YYYY.json` with its days, append its days to `cn.tsv` as `date<TAB>off|work<TAB>name`
//! (off for `"isOffDay": true`), update the commit and date in `SOURCE.md`, give any new holiday
//! name its English in [`english_name`], and run `cargo test -p server --lib campaigns::calendar`.
//! Until then the year reads as not yet published and campaign pages say so.
//!
//! Other regions have no holiday data here: their campaigns follow the week only, and
//! [`Calendar::coverage`] says so, so that a page can tell the tenant to add its days off.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};

use crate::language::Text;

/// The region whose statutory days are compiled in.
const CHINA: &str = "CN";

static CHINA_DAYS: LazyLock<Official> = LazyLock::new(|| Official::parse(CHINA_TSV));
const CHINA_TSV: &str = include_str!("../../data/holidays/cn.tsv");

/// One region's published days and the years they cover.
struct Official {
    days: HashMap<NaiveDate, (bool, &'static str)>,
    /// Years with at least one published day; a year without any is not yet published.
    years: Vec<i32>,
}

impl Official {
    /// Reads the compiled-in table; a line that does not read is skipped (a test checks that
    /// every line reads).
    fn parse(text: &'static str) -> Official {
        let mut days = HashMap::new();
        let mut years = Vec::new();
        for line in text.lines() {
            let Some((date, off, name)) = parse_line(line) else {
                continue;
            };
            if !years.contains(&date.year()) {
                years.push(date.year());
            }
            days.insert(date, (off, name));
        }
        Official { days, years }
    }
}

fn parse_line(line: &str) -> Option<(NaiveDate, bool, &str)> {
    let mut parts = line.split('\t');
    let date = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
    let off = match parts.next()? {
        "off" => true,
        "work" => false,
        _ => return None,
    };
    let name = parts.next()?.trim();
    (!name.is_empty() && parts.next().is_none()).then_some((date, off, name))
}

/// A holiday's name in English, for the names the State Council uses; any other name (a new
/// one, before this table learns it) reads the same in both languages.
fn english_name(name: &str) -> &str {
    match name {
        "元旦" => "New Year's Day",
        "春节" => "Spring Festival",
        "清明节" => "Qingming Festival",
        "劳动节" => "Labour Day",
        "端午节" => "Dragon Boat Festival",
        "中秋节" => "Mid-Autumn Festival",
        "国庆节" => "National Day",
        "国庆节、中秋节" => "National Day and Mid-Autumn Festival",
        "中秋节、国庆节" => "Mid-Autumn Festival and National Day",
        other => other,
    }
}

/// A day the tenant sets itself: a day off (a company holiday, a local festival) or a workday
/// (a day it works although the calendar says otherwise). Its name is the tenant's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnDay {
    pub date: NaiveDate,
    pub off: bool,
    pub name: String,
}

/// What a date is, beyond its weekday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    /// Neither a day off nor a make-up workday: the week decides.
    Ordinary,
    /// A statutory holiday or one of the tenant's days off.
    DayOff { name: Text },
    /// A day worked in place of a holiday (调休), usually a Saturday or Sunday, or one of the
    /// tenant's own workdays.
    Workday { name: Text },
}

/// How much the calendar knows about a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// The region's holidays for the year are known.
    Known,
    /// The region has holiday data, but not yet for this year.
    NotYetPublished,
    /// The region has no holiday data: weekdays only (and the tenant's own days).
    NoHolidayData,
}

/// The days off of one tenant's region plus its own days; built per decision batch, cheap to
/// build (the statutory table is shared).
#[derive(Debug, Clone)]
pub struct Calendar {
    region: String,
    official: Option<&'static Official>,
    own: HashMap<NaiveDate, OwnDay>,
}

impl std::fmt::Debug for Official {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Official")
            .field("days", &self.days.len())
            .field("years", &self.years)
            .finish()
    }
}

impl Calendar {
    /// The calendar of `region` (an ISO 3166 code such as `CN`), with the tenant's own days,
    /// which win over the statutory ones on the same date.
    pub fn new(region: &str, own: Vec<OwnDay>) -> Calendar {
        let region = region.trim().to_ascii_uppercase();
        let official = (region == CHINA).then(|| &*CHINA_DAYS);
        Calendar {
            region,
            official,
            own: own.into_iter().map(|day| (day.date, day)).collect(),
        }
    }

    /// What `date` is.
    pub fn day(&self, date: NaiveDate) -> DayKind {
        if let Some(day) = self.own.get(&date) {
            let name = Text::new(day.name.clone(), day.name.clone());
            return if day.off {
                DayKind::DayOff { name }
            } else {
                DayKind::Workday { name }
            };
        }
        match self.official.and_then(|official| official.days.get(&date)) {
            Some(&(off, name)) => {
                let name = Text::new(name, english_name(name));
                if off {
                    DayKind::DayOff { name }
                } else {
                    DayKind::Workday { name }
                }
            }
            None => DayKind::Ordinary,
        }
    }

    /// How much is known about `year`'s holidays in this calendar's region.
    pub fn coverage(&self, year: i32) -> Coverage {
        match self.official {
            None => Coverage::NoHolidayData,
            Some(official) if official.years.contains(&year) => Coverage::Known,
            Some(_) => Coverage::NotYetPublished,
        }
    }

    /// What a campaign running from `from` to `to` (inclusive) should warn about: each year
    /// whose holidays are not yet published, or that the region has no holiday data at all.
    pub fn warnings(&self, from: NaiveDate, to: NaiveDate) -> Vec<Text> {
        let mut warnings = Vec::new();
        for year in from.year()..=to.year() {
            match self.coverage(year) {
                Coverage::Known => {}
                Coverage::NotYetPublished => warnings.push(Text::new(
                    format!("{year} 年的法定节假日尚未收录，这一年只按星期和您自己添加的休息日安排拨打"),
                    format!(
                        "the public holidays of {year} are not yet included; that year follows the weekdays and the days off you added"
                    ),
                )),
                Coverage::NoHolidayData => {
                    warnings.push(Text::new(
                        format!(
                            "尚未收录 {} 的法定节假日，只按星期和您自己添加的休息日安排拨打",
                            self.region
                        ),
                        format!(
                            "the public holidays of {} are not included; calls follow the weekdays and the days off you added",
                            self.region
                        ),
                    ));
                    break;
                }
            }
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn every_line_of_the_vendored_table_reads() {
        let lines = CHINA_TSV.lines().count();
        assert_eq!(CHINA_DAYS.days.len(), lines);
        assert_eq!(CHINA_DAYS.years, (2020..=2026).collect::<Vec<_>>());
        for line in CHINA_TSV.lines() {
            let (_, _, name) = parse_line(line).expect(line);
            assert_ne!(english_name(name), name, "{name} has no English name");
        }
    }

    #[test]
    fn china_2026_holidays_and_make_up_workdays() {
        let china = Calendar::new("CN", Vec::new());
        assert_eq!(
            china.day(date("2026-10-01")),
            DayKind::DayOff {
                name: Text::new("国庆节", "National Day")
            }
        );
        assert_eq!(
            china.day(date("2026-02-14")),
            DayKind::Workday {
                name: Text::new("春节", "Spring Festival")
            }
        );
        assert!(matches!(
            china.day(date("2026-10-10")),
            DayKind::Workday { .. }
        ));
        assert!(matches!(
            china.day(date("2026-02-17")),
            DayKind::DayOff { .. }
        ));
        assert_eq!(china.day(date("2026-03-10")), DayKind::Ordinary);
        assert_eq!(china.day(date("2020-10-01")).clone(), {
            DayKind::DayOff {
                name: Text::new("国庆节、中秋节", "National Day and Mid-Autumn Festival"),
            }
        });
    }

    #[test]
    fn a_year_without_published_days_is_unknown_and_warned_about() {
        let china = Calendar::new("cn", Vec::new());
        assert_eq!(china.coverage(2026), Coverage::Known);
        assert_eq!(china.coverage(2027), Coverage::NotYetPublished);
        assert_eq!(china.day(date("2027-10-01")), DayKind::Ordinary);
        let warnings = china.warnings(date("2026-11-01"), date("2027-02-01"));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].zh.starts_with("2027 年的法定节假日尚未收录"));
        assert!(warnings[0].en.contains("2027"));
        assert!(china
            .warnings(date("2026-01-01"), date("2026-12-31"))
            .is_empty());
    }

    #[test]
    fn other_regions_follow_the_week_and_say_so() {
        let japan = Calendar::new("JP", Vec::new());
        assert_eq!(japan.coverage(2026), Coverage::NoHolidayData);
        assert_eq!(japan.day(date("2026-10-01")), DayKind::Ordinary);
        let warnings = japan.warnings(date("2026-01-01"), date("2028-01-01"));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].zh.contains("JP"));
    }

    #[test]
    fn a_tenants_own_days_win_over_the_statutory_ones() {
        let own = vec![
            OwnDay {
                date: date("2026-10-01"),
                off: false,
                name: "值班日".into(),
            },
            OwnDay {
                date: date("2026-06-01"),
                off: true,
                name: "店庆".into(),
            },
        ];
        let china = Calendar::new("CN", own);
        assert!(matches!(
            china.day(date("2026-10-01")),
            DayKind::Workday { .. }
        ));
        assert_eq!(
            china.day(date("2026-06-01")),
            DayKind::DayOff {
                name: Text::new("店庆", "店庆")
            }
        );
        assert!(matches!(
            china.day(date("2026-10-02")),
            DayKind::DayOff { .. }
        ));
    }
}
