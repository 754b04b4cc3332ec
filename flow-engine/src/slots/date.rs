//! Dates, resolved against the call's local date: 明天, 下周三, 6月18号, 618, 双十一, 3天后,
//! "next Friday", "June 18th", "12/25", "in 3 days".

use super::number::{cn_integer, en_tens, number_at, word_at};
use super::{cn_number_digit, cn_unit, fold, negated, skip_spaces, words_after, Phrases};
use crate::calendar::Date;

/// A date from speech or text, seen from `today` (the call's local date).
///
/// Conventions:
/// * Weeks start on Monday, as in China: 下周三 is the Wednesday of the week after this one, so
///   on a Sunday it is three days later; 这周五/本周五 is this week's Friday even when it has
///   passed; 上周三 is last week's. "next Friday" is 下周五 and "last Friday" 上周五.
/// * A bare weekday (周六, 星期六, "Saturday", "this Saturday", "on Sat") is the next one on or
///   after today: today when today is that day.
/// * A month and day without a year (6月18号, "June 18", 618, 双十一, "12/25") is the next one
///   on or after today: this year's, or next year's once it has passed. A day alone (3号, "the
///   5th") is this month's, or next month's once it has passed.
/// * Numeric dates are month first ("12/25", "6.18"), as Chinese and US English write them;
///   when the first number cannot be a month ("25/12") they are day first. With four digits in
///   front they are year-month-day ("2026-01-03", "2026/1/3").
/// * 618 alone is the shopping festival, 6月18日; 双十一/双11 is 11月11日, 双十二 12月12日.
/// * A date that does not exist (2月30日, "April 31st") gives `None`, so the caller is asked
///   again rather than given a nearby day; so does a negated date (不是明天, "not tomorrow",
///   明天不行) unless another date follows (不是明天，是后天 → 后天).
/// * The first date said wins.
pub fn parse_date(text: &str, today: Date) -> Option<Date> {
    let chars = fold(text);
    let mut i = 0;
    while i < chars.len() {
        match date_at(&chars, i, today) {
            Some((date, end)) => {
                if !negated(&chars, i, end) {
                    return date;
                }
                i = end.max(i + 1);
            }
            None => i = skip(&chars, i),
        }
    }
    None
}

/// A date phrase starting at `chars[i]`: the date (`None` when the phrase names a day that does
/// not exist) and the index after the phrase.
type Found = Option<(Option<Date>, usize)>;

fn date_at(chars: &[char], i: usize, today: Date) -> Found {
    cn_relative_day(chars, i, today)
        .or_else(|| cn_festival(chars, i, today))
        .or_else(|| cn_weekday(chars, i, today))
        .or_else(|| cn_month_and_day(chars, i, today))
        .or_else(|| cn_after_days(chars, i, today))
        .or_else(|| after_number(chars, i, today))
        .or_else(|| en_phrase(chars, i, today))
}

/// Moves past whatever starts at `chars[i]` that is not a date: a whole Latin word, a whole
/// number (so "120" is not read from its "20"), or one character.
fn skip(chars: &[char], i: usize) -> usize {
    let same = |f: fn(char) -> bool| {
        let mut j = i;
        while j < chars.len() && f(chars[j]) {
            j += 1;
        }
        j
    };
    let c = chars[i];
    if c.is_ascii_alphabetic() {
        same(|c| c.is_ascii_alphabetic())
    } else if c.is_ascii_digit() {
        same(|c| c.is_ascii_digit())
    } else if is_cn_numeral(c) {
        same(is_cn_numeral)
    } else {
        i + 1
    }
}

fn is_cn_numeral(c: char) -> bool {
    cn_number_digit(c).is_some() || cn_unit(c).is_some()
}

// ---------------------------------------------------------------------------------------------
// Resolving

/// The next `month`/`day` on or after today.
fn next_month_day(today: Date, month: i64, day: i64) -> Option<Date> {
    let (month, day) = (u32::try_from(month).ok()?, u32::try_from(day).ok()?);
    [today.year(), today.year() + 1]
        .into_iter()
        .filter_map(|year| Date::new(year, month, day))
        .find(|&date| date >= today)
}

/// The next `day` of a month on or after today.
fn next_day_of_month(today: Date, day: i64) -> Option<Date> {
    let day = u32::try_from(day).ok().filter(|d| (1..=31).contains(d))?;
    (0..3)
        .map(|k| today.first_of_month_after(k))
        .filter_map(|first| Date::new(first.year(), first.month(), day))
        .find(|&date| date >= today)
}

/// `weekday` (1 = Monday) of the week `weeks` after this one, or the next one on or after
/// today when `weeks` is `None`.
fn weekday_date(today: Date, weeks: Option<i64>, weekday: u32) -> Date {
    match weeks {
        Some(weeks) => today.monday().add_days(7 * weeks + i64::from(weekday) - 1),
        None => today.add_days((i64::from(weekday) - i64::from(today.weekday())).rem_euclid(7)),
    }
}

fn in_year(year: i64, month: i64, day: i64) -> Option<Date> {
    Date::new(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

// ---------------------------------------------------------------------------------------------
// Chinese

static CN_DAYS: Phrases<i64> = Phrases::new(&[
    ("今天", 0),
    ("今日", 0),
    ("今儿", 0),
    ("今儿个", 0),
    ("明天", 1),
    ("明日", 1),
    ("明儿", 1),
    ("明儿个", 1),
    ("后天", 2),
    ("后儿", 2),
    ("大后天", 3),
    ("昨天", -1),
    ("昨日", -1),
    ("昨儿", -1),
    ("前天", -2),
    ("大前天", -3),
]);

fn cn_relative_day(chars: &[char], i: usize, today: Date) -> Found {
    let (len, days) = CN_DAYS.longest(&chars[i..])?;
    Some((Some(today.add_days(days)), i + len))
}

static CN_FESTIVALS: Phrases<(i64, i64)> = Phrases::new(&[
    ("双十一", (11, 11)),
    ("双11", (11, 11)),
    ("双十二", (12, 12)),
    ("双12", (12, 12)),
]);

fn cn_festival(chars: &[char], i: usize, today: Date) -> Found {
    let (len, (month, day)) = CN_FESTIVALS.longest(&chars[i..])?;
    Some((next_month_day(today, month, day), i + len))
}

/// Which week a weekday is in: 下周 is +1; no modifier means the next such day.
static CN_WEEK_MODIFIERS: Phrases<i64> = Phrases::new(&[
    ("下下个", 2),
    ("下下", 2),
    ("下个", 1),
    ("下", 1),
    ("这个", 0),
    ("这", 0),
    ("本", 0),
    ("上个", -1),
    ("上", -1),
    ("上上个", -2),
    ("上上", -2),
]);

static CN_WEEK_UNITS: Phrases<()> = Phrases::new(&[("周", ()), ("星期", ()), ("礼拜", ())]);

fn cn_weekday(chars: &[char], i: usize, today: Date) -> Found {
    let (modifier_len, weeks) = match CN_WEEK_MODIFIERS.longest(&chars[i..]) {
        Some((len, weeks)) => (len, Some(weeks)),
        None => (0, None),
    };
    let j = i + modifier_len;
    let (unit_len, ()) = CN_WEEK_UNITS.longest(&chars[j..])?;
    let k = j + unit_len;
    let weekday = match chars.get(k)? {
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' | '末' => 6,
        '日' | '天' => 7,
        c => c.to_digit(10).filter(|d| (1..=7).contains(d))?,
    };
    Some((Some(weekday_date(today, weeks, weekday)), k + 1))
}

static CN_MONTH_MODIFIERS: Phrases<i64> = Phrases::new(&[
    ("下个月", 1),
    ("下月", 1),
    ("这个月", 0),
    ("这月", 0),
    ("本月", 0),
    ("上个月", -1),
    ("上月", -1),
]);

/// 下个月5号, 本月二十号.
fn cn_month_and_day(chars: &[char], i: usize, today: Date) -> Found {
    let (len, months) = CN_MONTH_MODIFIERS.longest(&chars[i..])?;
    let (day, end) = integer_at(chars, i + len)?;
    let end = end + usize::from(matches!(chars.get(end), Some('号' | '日')));
    let first = today.first_of_month_after(months);
    Some((in_year(first.year(), i64::from(first.month()), day), end))
}

/// 过三天.
fn cn_after_days(chars: &[char], i: usize, today: Date) -> Found {
    if chars[i] != '过' {
        return None;
    }
    let (days, end) = integer_at(chars, i + 1)?;
    (chars.get(end) == Some(&'天')).then(|| (days_from(today, days), end + 1))
}

/// How far from the call a relative date may lie: "in 84276 days" is digits misheard, not a
/// date a caller means.
const MAX_RELATIVE_DAYS: i64 = 366 * 10;

/// The date `days` after `today` (before, if negative), within [`MAX_RELATIVE_DAYS`].
fn days_from(today: Date, days: i64) -> Option<Date> {
    (days.abs() <= MAX_RELATIVE_DAYS).then(|| today.add_days(days))
}

/// What follows a number and makes it a relative date: 天后 is days, 周后 weeks.
static CN_LATER: Phrases<i64> = Phrases::new(&[
    ("天后", 1),
    ("天以后", 1),
    ("天之后", 1),
    ("天过后", 1),
    ("日后", 1),
    ("周后", 7),
    ("周以后", 7),
    ("周之后", 7),
    ("个星期后", 7),
    ("个星期以后", 7),
    ("个星期之后", 7),
    ("星期后", 7),
    ("个礼拜后", 7),
    ("个礼拜以后", 7),
    ("礼拜后", 7),
]);

// ---------------------------------------------------------------------------------------------
// Numbers: 6月18号, 2026年1月3日, 3号, 3天后, 618, 12/25, "18 June", "the 5th", "3 days later"

/// A whole number at `chars[i]`: ASCII digits or a Chinese numeral (十八, 二〇二六).
fn integer_at(chars: &[char], i: usize) -> Option<(i64, usize)> {
    let c = *chars.get(i)?;
    let run_end = |f: fn(char) -> bool| {
        let mut j = i;
        while j < chars.len() && f(chars[j]) && j - i < 12 {
            j += 1;
        }
        j
    };
    if c.is_ascii_digit() {
        let end = run_end(|c| c.is_ascii_digit());
        let text: String = chars[i..end].iter().collect();
        return Some((text.parse().ok()?, end));
    }
    // A numeral starts with a digit or 十 (十八); 百/千/万 alone are words (千万).
    if cn_number_digit(c).is_none() && c != '十' {
        return None;
    }
    let end = run_end(is_cn_numeral);
    let value = cn_integer(&chars[i..end])?;
    // Whole and small by construction; the check keeps a long run from overflowing.
    (value < 1e12).then_some((value as i64, end))
}

fn after_number(chars: &[char], i: usize, today: Date) -> Found {
    let (n, end) = integer_at(chars, i)?;
    let at = |k: usize| chars.get(k).copied();
    match at(end) {
        Some('年') => {
            let year = full_year(n, today);
            let (month, e) = integer_at(chars, end + 1)?;
            if at(e) != Some('月') {
                return None;
            }
            let (day, e) = integer_at(chars, e + 1)?;
            let e = e + usize::from(matches!(at(e), Some('号' | '日')));
            return Some((in_year(year, month, day), e));
        }
        Some('月') => {
            let (day, e) = integer_at(chars, end + 1)?;
            let e = e + usize::from(matches!(at(e), Some('号' | '日')));
            return Some((next_month_day(today, n, day), e));
        }
        _ => {}
    }
    if let Some((len, unit)) = CN_LATER.longest(&chars[end..]) {
        return Some((days_from(today, n.saturating_mul(unit)), end + len));
    }
    if matches!(at(end), Some('号' | '日')) {
        return Some((next_day_of_month(today, n), end + 1));
    }
    if !chars[i].is_ascii_digit() {
        // 六一八, read digit by digit.
        let digits = chars[i..end].iter().all(|&c| cn_number_digit(c).is_some());
        return (digits && n == 618).then(|| (next_month_day(today, 6, 18), end));
    }
    if let Some(found) = numeric_date(chars, i, n, end, today) {
        return Some(found);
    }
    if end - i == 3 && n == 618 && !at(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return Some((next_month_day(today, 6, 18), end));
    }
    en_after_number(chars, n, end, today)
}

/// A year as said: two digits (八四年, 12/25/99) are the year ending so that lies nearest the
/// call (1984 and 1999 in 2026, 2030 for 三零年), as a caller means them; more digits as written.
fn full_year(said: i64, today: Date) -> i64 {
    if !(0..100).contains(&said) {
        return said;
    }
    let century = today.year().div_euclid(100) * 100;
    [century - 100, century, century + 100]
        .into_iter()
        .map(|c| c + said)
        .min_by_key(|y| (y - today.year()).abs())
        .unwrap_or(century + said)
}

/// 12/25, 6.18, 2026-01-03, 2026/1/3, 12/25/2026.
fn numeric_date(chars: &[char], i: usize, n: i64, end: usize, today: Date) -> Found {
    let separator = *chars.get(end).filter(|c| matches!(c, '/' | '.' | '-'))?;
    if !chars.get(end + 1)?.is_ascii_digit() {
        return None;
    }
    let (second, e) = integer_at(chars, end + 1)?;
    let third = (chars.get(e) == Some(&separator))
        .then(|| integer_at(chars, e + 1).filter(|_| chars[e + 1].is_ascii_digit()))
        .flatten();
    if end - i == 4 {
        let (day, e) = third?;
        return Some((in_year(n, second, day), e));
    }
    let (month, day) = if n <= 12 { (n, second) } else { (second, n) };
    match third {
        Some((year, e)) => Some((in_year(full_year(year, today), month, day), e)),
        _ => Some((next_month_day(today, month, day), e)),
    }
}

/// "18th", "18 June", "18th of June", "3 days from now", "two weeks later".
fn en_after_number(chars: &[char], n: i64, end: usize, today: Date) -> Found {
    let (suffix, after_suffix) = word_at(chars, end);
    let ordinal = matches!(suffix.as_str(), "st" | "nd" | "rd" | "th");
    let e = if ordinal { after_suffix } else { end };
    if !ordinal && !suffix.is_empty() {
        return None;
    }
    let words = words_after(chars, e, 4);
    let mut k = 0;
    if words.first().is_some_and(|(w, _)| w == "of") {
        k = 1;
    }
    if let Some((month, e)) = words.get(k).and_then(|(w, e)| Some((en_month(w)?, *e))) {
        return Some((next_month_day(today, month, n), e));
    }
    if ordinal {
        return Some((next_day_of_month(today, n), e));
    }
    en_later(&words, n, today)
}

/// "days from now", "weeks later" after a count.
fn en_later(words: &[(String, usize)], n: i64, today: Date) -> Found {
    let unit = match words.first()?.0.as_str() {
        "day" | "days" => 1,
        "week" | "weeks" => 7,
        _ => return None,
    };
    let end = match words.get(1).map(|(w, e)| (w.as_str(), *e)) {
        Some(("later" | "after" | "away", e)) => e,
        Some(("from", _))
            if words
                .get(2)
                .is_some_and(|(w, _)| w == "now" || w == "today") =>
        {
            words[2].1
        }
        _ => return None,
    };
    Some((days_from(today, n.saturating_mul(unit)), end))
}

// ---------------------------------------------------------------------------------------------
// English words

fn en_phrase(chars: &[char], i: usize, today: Date) -> Found {
    if !chars[i].is_ascii_alphabetic() || i > 0 && chars[i - 1].is_ascii_alphabetic() {
        return None;
    }
    let (word, end) = word_at(chars, i);
    let words = words_after(chars, end, 6);
    let word_is = |k: usize, w: &str| words.get(k).is_some_and(|(x, _)| x == w);
    let relative = |days: i64, end: usize| Some((Some(today.add_days(days)), end));
    match word.as_str() {
        "today" | "tonight" => return relative(0, end),
        "tomorrow" | "tmr" | "tmrw" | "tomorow" => return relative(1, end),
        "yesterday" => return relative(-1, end),
        "day" if word_is(0, "after") && word_is(1, "tomorrow") => return relative(2, words[1].1),
        "day" if word_is(0, "before") && word_is(1, "yesterday") => {
            return relative(-2, words[1].1)
        }
        "next" | "this" | "coming" | "last" | "on" => {
            let weeks = match word.as_str() {
                "next" => Some(1),
                "last" => Some(-1),
                _ => None,
            };
            // "next week on Friday", "this coming Saturday".
            let skip = words
                .iter()
                .take_while(|(w, _)| matches!(w.as_str(), "week" | "weeks" | "on" | "coming"))
                .count();
            let (weekday, e) = words
                .get(skip)
                .and_then(|(w, e)| Some((en_weekday(w, true)?, *e)))?;
            return Some((Some(weekday_date(today, weeks, weekday)), e));
        }
        "in" => {
            let start = skip_spaces(chars, end);
            let (count, count_end) = match words.first() {
                Some((w, e)) if w == "a" || w == "an" => (1, *e),
                _ if start < chars.len() => {
                    let (count, e) = number_at(chars, start)?;
                    (whole(count)?, e)
                }
                _ => return None,
            };
            let unit = words_after(chars, count_end, 1);
            let (days, e) = match unit.first().map(|(w, e)| (w.as_str(), *e)) {
                Some(("day" | "days", e)) => (count, e),
                Some(("week" | "weeks", e)) => (count * 7, e),
                _ => return None,
            };
            return relative(days, e);
        }
        "the" => {
            let (day, e) = en_ordinal_at(chars, skip_spaces(chars, end))?;
            let rest = words_after(chars, e, 2);
            let of_month = rest
                .first()
                .filter(|(w, _)| w == "of")
                .and_then(|_| rest.get(1))
                .and_then(|(w, e)| Some((en_month(w)?, *e)));
            return Some(match of_month {
                Some((month, e)) => (next_month_day(today, month, day), e),
                None => (next_day_of_month(today, day), e),
            });
        }
        _ => {}
    }
    if let Some(weekday) = en_weekday(&word, false) {
        return Some((Some(weekday_date(today, None, weekday)), end));
    }
    if let Some(month) = en_month(&word) {
        return en_month_day(chars, month, end, today);
    }
    let (count, count_end) = number_at(chars, i)?;
    en_later(&words_after(chars, count_end, 3), whole(count)?, today)
}

/// "June 18", "June 18th", "June the 18th", "June eighteenth", "June 18, 2026".
fn en_month_day(chars: &[char], month: i64, end: usize, today: Date) -> Found {
    let mut start = skip_spaces(chars, end);
    let (word, after) = word_at(chars, start);
    if word == "the" {
        start = skip_spaces(chars, after);
    }
    let (day, mut e) = if chars.get(start)?.is_ascii_digit() {
        let (day, e) = integer_at(chars, start)?;
        let (suffix, after_suffix) = word_at(chars, e);
        match suffix.as_str() {
            "" => (day, e),
            "st" | "nd" | "rd" | "th" => (day, after_suffix),
            _ => return None,
        }
    } else {
        en_ordinal_at(chars, start).or_else(|| {
            let (day, e) = number_at(chars, start)?;
            Some((whole(day)?, e))
        })?
    };
    // A year after a comma or space: "June 18, 2026".
    let year_at = {
        let mut k = e;
        while matches!(chars.get(k), Some(' ' | ',')) {
            k += 1;
        }
        k
    };
    if let Some((year, year_end)) = integer_at(chars, year_at).filter(|(_, ye)| ye - year_at == 4) {
        e = year_end;
        return Some((in_year(year, month, day), e));
    }
    Some((next_month_day(today, month, day), e))
}

fn en_month(word: &str) -> Option<i64> {
    Some(match word {
        "january" | "jan" => 1,
        "february" | "feb" => 2,
        "march" | "mar" => 3,
        "april" | "apr" => 4,
        "may" => 5,
        "june" | "jun" => 6,
        "july" | "jul" => 7,
        "august" | "aug" => 8,
        "september" | "sep" | "sept" => 9,
        "october" | "oct" => 10,
        "november" | "nov" => 11,
        "december" | "dec" => 12,
        _ => return None,
    })
}

/// A weekday's name; abbreviations ("sat", "sun", "wed") only after a word that announces a
/// day (`announced`), since on their own they are usually other words.
fn en_weekday(word: &str, announced: bool) -> Option<u32> {
    let full = match word {
        "monday" | "mondays" => Some(1),
        "tuesday" => Some(2),
        "wednesday" => Some(3),
        "thursday" => Some(4),
        "friday" => Some(5),
        "saturday" => Some(6),
        "sunday" => Some(7),
        _ => None,
    };
    let short = || match word {
        "mon" => Some(1),
        "tue" | "tues" => Some(2),
        "wed" => Some(3),
        "thu" | "thur" | "thurs" => Some(4),
        "fri" => Some(5),
        "sat" => Some(6),
        "sun" => Some(7),
        _ => None,
    };
    full.or_else(|| announced.then(short).flatten())
}

/// An ordinal day: "5th", "fifth", "twenty-first".
fn en_ordinal_at(chars: &[char], i: usize) -> Option<(i64, usize)> {
    if chars.get(i)?.is_ascii_digit() {
        let (day, e) = integer_at(chars, i)?;
        let (suffix, end) = word_at(chars, e);
        return matches!(suffix.as_str(), "st" | "nd" | "rd" | "th").then_some((day, end));
    }
    let (word, end) = word_at(chars, i);
    if let Some(day) = en_ordinal(&word) {
        return Some((day, end));
    }
    let tens = en_tens(&word)?;
    let next = end + usize::from(matches!(chars.get(end), Some(' ' | '-')));
    let (unit, unit_end) = word_at(chars, next);
    let unit = en_ordinal(&unit).filter(|&u| u < 10)?;
    Some((whole(tens)? + unit, unit_end))
}

fn en_ordinal(word: &str) -> Option<i64> {
    const ORDINALS: [&str; 19] = [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
    ];
    if let Some(index) = ORDINALS.iter().position(|&o| o == word) {
        return i64::try_from(index + 1).ok();
    }
    match word {
        "twentieth" => Some(20),
        "thirtieth" => Some(30),
        _ => None,
    }
}

/// A count as a whole number ("three" → 3), or `None` for fractions and huge numbers.
fn whole(value: f64) -> Option<i64> {
    (value.fract() == 0.0 && (0.0..10_000.0).contains(&value)).then_some(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(iso: &str) -> Date {
        Date::parse_iso(iso).expect(iso)
    }

    /// Checks every phrasing against its expected date, seen from `today`, and reports all
    /// mismatches at once.
    fn check(today: &str, cases: &[(&str, Option<&str>)]) {
        let today = date(today);
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|&(text, want)| {
                let got = parse_date(text, today).map(|d| d.to_string());
                (got.as_deref() != want).then(|| format!("{text:?}: got {got:?}, want {want:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "from {today}:\n{}", wrong.join("\n"));
    }

    /// Monday 15 June 2026.
    const MONDAY: &str = "2026-06-15";

    #[test]
    fn chinese_dates() {
        check(
            MONDAY,
            &[
                ("今天", Some("2026-06-15")),
                ("明天", Some("2026-06-16")),
                ("明天吧", Some("2026-06-16")),
                ("那就明天送过来", Some("2026-06-16")),
                ("明儿个", Some("2026-06-16")),
                ("后天", Some("2026-06-17")),
                ("大后天", Some("2026-06-18")),
                ("昨天", Some("2026-06-14")),
                ("前天买的", Some("2026-06-13")),
                ("大前天", Some("2026-06-12")),
                ("下周三", Some("2026-06-24")),
                ("下星期三", Some("2026-06-24")),
                ("下个礼拜三", Some("2026-06-24")),
                ("下下周一", Some("2026-06-29")),
                ("这周五", Some("2026-06-19")),
                ("本周五", Some("2026-06-19")),
                ("这个星期天", Some("2026-06-21")),
                ("周六", Some("2026-06-20")),
                ("星期六上午", Some("2026-06-20")),
                ("礼拜天", Some("2026-06-21")),
                ("周一", Some("2026-06-15")),
                ("这个周末", Some("2026-06-20")),
                ("上周三", Some("2026-06-10")),
                ("下个月5号", Some("2026-07-05")),
                ("下月五号", Some("2026-07-05")),
                ("本月二十号", Some("2026-06-20")),
                ("6月18号", Some("2026-06-18")),
                ("6月18日", Some("2026-06-18")),
                ("六月十八号", Some("2026-06-18")),
                ("618", Some("2026-06-18")),
                ("六一八那天", Some("2026-06-18")),
                ("618那天送到", Some("2026-06-18")),
                ("双十一", Some("2026-11-11")),
                ("双11", Some("2026-11-11")),
                ("双十二", Some("2026-12-12")),
                ("12.12", Some("2026-12-12")),
                ("2026年1月3日", Some("2026-01-03")),
                ("二〇二七年一月三日", Some("2027-01-03")),
                ("1月3号", Some("2027-01-03")),
                ("3号", Some("2026-07-03")),
                ("20号", Some("2026-06-20")),
                ("十五号", Some("2026-06-15")),
                ("三天后", Some("2026-06-18")),
                ("3天以后", Some("2026-06-18")),
                ("两天之后", Some("2026-06-17")),
                ("过三天", Some("2026-06-18")),
                ("过八四二七六天", None),
                ("in 90000 days", None),
                ("一周后", Some("2026-06-22")),
                ("两个星期以后", Some("2026-06-29")),
                ("２０２６年７月１日", Some("2026-07-01")),
                ("2026-07-01", Some("2026-07-01")),
                ("2026/7/1", Some("2026-07-01")),
                ("7/1", Some("2026-07-01")),
                ("不是明天，是后天", Some("2026-06-17")),
                ("明天不行，后天吧", Some("2026-06-17")),
                ("没问题明天送", Some("2026-06-16")),
                ("下礼拜三", Some("2026-06-24")),
                ("这礼拜五", Some("2026-06-19")),
                ("下个星期一", Some("2026-06-22")),
                ("十二月二十五号", Some("2026-12-25")),
                ("12月25日", Some("2026-12-25")),
                ("二十五号", Some("2026-06-25")),
                ("明天上午十点", Some("2026-06-16")),
                ("麻烦后天下午送", Some("2026-06-17")),
            ],
        );
    }

    #[test]
    fn chinese_non_dates() {
        check(
            MONDAY,
            &[
                ("", None),
                ("不知道", None),
                ("随便", None),
                ("不是明天", None),
                ("明天不行", None),
                ("明天没空", None),
                ("别明天", None),
                ("下周", None),
                ("六月", None),
                ("2月30号", None),
                ("2月29号", None),
                ("4月31日", None),
                ("13月1日", None),
                ("32号", None),
                ("我要一百二十块", None),
                ("订单号12345", None),
                ("一下", None),
                ("以后再说", None),
            ],
        );
    }

    #[test]
    fn english_dates() {
        check(
            MONDAY,
            &[
                ("today", Some("2026-06-15")),
                ("Today please", Some("2026-06-15")),
                ("tomorrow", Some("2026-06-16")),
                ("Tomorrow works", Some("2026-06-16")),
                ("yesterday", Some("2026-06-14")),
                ("the day after tomorrow", Some("2026-06-17")),
                ("the day before yesterday", Some("2026-06-13")),
                ("next Friday", Some("2026-06-26")),
                ("next week on Friday", Some("2026-06-26")),
                ("this Saturday", Some("2026-06-20")),
                ("this coming Saturday", Some("2026-06-20")),
                ("Saturday", Some("2026-06-20")),
                ("on Sat", Some("2026-06-20")),
                ("Monday", Some("2026-06-15")),
                ("last Friday", Some("2026-06-12")),
                ("on the 5th", Some("2026-07-05")),
                ("the 20th", Some("2026-06-20")),
                ("the fifth", Some("2026-07-05")),
                ("the twenty-first", Some("2026-06-21")),
                ("the 18th of June", Some("2026-06-18")),
                ("June 18", Some("2026-06-18")),
                ("june 18th", Some("2026-06-18")),
                ("June the 18th", Some("2026-06-18")),
                ("June eighteenth", Some("2026-06-18")),
                ("June eighteen", Some("2026-06-18")),
                ("18 June", Some("2026-06-18")),
                ("18th of June", Some("2026-06-18")),
                ("Jun 18", Some("2026-06-18")),
                ("June 18, 2027", Some("2027-06-18")),
                ("May 1st", Some("2027-05-01")),
                ("Dec 25", Some("2026-12-25")),
                ("12/25", Some("2026-12-25")),
                ("25/12", Some("2026-12-25")),
                ("12/25/2026", Some("2026-12-25")),
                ("2026-12-25", Some("2026-12-25")),
                ("in 3 days", Some("2026-06-18")),
                ("in three days", Some("2026-06-18")),
                ("in a week", Some("2026-06-22")),
                ("in two weeks", Some("2026-06-29")),
                ("3 days from now", Some("2026-06-18")),
                ("three days later", Some("2026-06-18")),
                ("not tomorrow, Wednesday", Some("2026-06-17")),
                ("on the 5th of July", Some("2026-07-05")),
                ("tomorrow morning", Some("2026-06-16")),
                ("next week Friday", Some("2026-06-26")),
                ("December 25th, 2026", Some("2026-12-25")),
                ("the 1st", Some("2026-07-01")),
                ("on May 5th", Some("2027-05-05")),
            ],
        );
    }

    #[test]
    fn english_non_dates() {
        check(
            MONDAY,
            &[
                ("hello", None),
                ("I don't know", None),
                ("not tomorrow", None),
                ("tomorrow doesn't work", None),
                ("I can't do tomorrow", None),
                ("next week", None),
                ("I sat down", None),
                ("you may call me", None),
                ("February 30th", None),
                ("April 31", None),
                ("13/13", None),
                ("120 dollars", None),
                ("in a while", None),
            ],
        );
    }

    #[test]
    fn weeks_start_on_monday() {
        // Sunday 14 June 2026: 下周三 is in the week that starts tomorrow.
        check(
            "2026-06-14",
            &[
                ("下周三", Some("2026-06-17")),
                ("next Wednesday", Some("2026-06-17")),
                ("这周三", Some("2026-06-10")),
                ("周三", Some("2026-06-17")),
                ("周日", Some("2026-06-14")),
                ("Sunday", Some("2026-06-14")),
                ("下周日", Some("2026-06-21")),
                ("上周日", Some("2026-06-07")),
            ],
        );
    }

    #[test]
    fn months_and_years_roll_over() {
        check(
            "2026-12-30",
            &[
                ("明天", Some("2026-12-31")),
                ("后天", Some("2027-01-01")),
                ("下周一", Some("2027-01-04")),
                ("下个月5号", Some("2027-01-05")),
                ("1月3号", Some("2027-01-03")),
                ("3号", Some("2027-01-03")),
                ("31号", Some("2026-12-31")),
                ("618", Some("2027-06-18")),
                ("双十二", Some("2027-12-12")),
                ("in 3 days", Some("2027-01-02")),
                ("next Monday", Some("2027-01-04")),
                ("January 3rd", Some("2027-01-03")),
            ],
        );
        // 31号 on the 31st of a long month is today; on the 1st of a short one it skips it.
        check(
            "2026-04-01",
            &[("31号", Some("2026-05-31")), ("30号", Some("2026-04-30"))],
        );
        check("2026-01-31", &[("30号", Some("2026-03-30"))]);
    }

    #[test]
    fn leap_years() {
        check(
            "2028-02-28",
            &[
                ("明天", Some("2028-02-29")),
                ("后天", Some("2028-03-01")),
                ("2月29号", Some("2028-02-29")),
                ("29号", Some("2028-02-29")),
                ("Feb 29", Some("2028-02-29")),
                ("下个月29号", Some("2028-03-29")),
            ],
        );
        // In 2027 the next 29 February is in 2028.
        check("2027-06-15", &[("2月29号", Some("2028-02-29"))]);
        check(
            "2026-06-15",
            &[
                ("2026年2月29日", None),
                ("2028年2月29日", Some("2028-02-29")),
            ],
        );
    }

    #[test]
    fn two_digit_years_are_the_nearest() {
        check(
            "2026-06-15",
            &[
                ("八四年四月五号", Some("1984-04-05")),
                ("26年6月18号", Some("2026-06-18")),
                ("三零年一月一号", Some("2030-01-01")),
                ("12/25/99", Some("1999-12-25")),
            ],
        );
    }

    proptest::proptest! {
        #[test]
        fn dates_never_panic(
            text in "\\PC{0,24}",
            days in -1_000_000i64..1_000_000,
        ) {
            let _ = parse_date(&text, Date::from_days(days));
        }

        #[test]
        fn date_words_never_panic_and_stay_near(
            text in "[0-9零一二两三四五六七八九十百月日号年周星期礼拜天下上这本个后以过双明今昨前大./\\- a-z]{0,20}",
        ) {
            let today = date(MONDAY);
            if let Some(d) = parse_date(&text, today) {
                // Every phrase lands within half a century of the call (a two-digit year is the
                // nearest such year; a 4-digit year is as written).
                let explicit_year = text.chars().filter(char::is_ascii_digit).count() >= 4;
                proptest::prop_assert!(
                    explicit_year || (d.days() - today.days()).abs() <= 366 * 50,
                    "{text:?} → {d}"
                );
            }
        }
    }
}
