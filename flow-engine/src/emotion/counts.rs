//! Counts of repeating and durations of waiting (说了八百遍, 打了五次电话, 推了一个月, 一个小时了,
//! "for the fifth time", "three weeks"), which a lexicon cannot list one by one: a numeral, in
//! Chinese or English, digits or words, followed by a unit of repetition or of time. The more
//! times and the longer the wait, the more exasperated the caller; a day or two is a calm
//! report (物流三天没更新了), a week or more of waiting or a third call is not.
//!
//! Scanned on the clause's normalised text (digits cut jieba's runs, so the lexicon matcher
//! never sees 5次 as one piece); what it finds counts as exasperation.

/// Exasperation for saying or doing it twice, and for three times or more: the labelling rules
/// count "I've called five times" and 说了三遍 as anger on their own, so three is enough to
/// pass `ANGRY` (0.75 → anger 0.53).
const TWICE: f32 = 0.2;
const THRICE: f32 = 0.75;
/// Waiting: minutes (from [`MINUTES`] of them), hours, days (a few; a week's worth), weeks,
/// months.
const MINUTES: u32 = 20;
const WAIT_MINUTES: f32 = 0.3;
const WAIT_HOURS: f32 = 0.35;
const WAIT_FEW_DAYS: f32 = 0.2;
const WAIT_WEEK: f32 = 0.4;
const WAIT_WEEKS: f32 = 0.5;
const WAIT_MONTH: f32 = 0.55;
/// At most this much from counts in one clause.
const MAX: f32 = 0.9;

enum Unit {
    Times,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
}

/// A count's exasperation: `n` of `unit`.
fn weight(n: u32, unit: Unit) -> f32 {
    match unit {
        Unit::Times if n >= 3 => THRICE,
        Unit::Times if n == 2 => TWICE,
        Unit::Minutes if n >= MINUTES => WAIT_MINUTES,
        Unit::Hours if n >= 1 => WAIT_HOURS,
        Unit::Days if n >= 14 => WAIT_WEEKS,
        Unit::Days if n >= 7 => WAIT_WEEK,
        Unit::Days if n >= 3 => WAIT_FEW_DAYS,
        Unit::Weeks if n >= 2 => WAIT_WEEKS,
        Unit::Weeks if n == 1 => WAIT_WEEK,
        Unit::Months if n >= 1 => WAIT_MONTH,
        _ => 0.0,
    }
}

/// Exasperation from the counts in one clause's normalised text, given as its characters too.
pub(super) fn exasperation(normalized: &str, chars: &[char]) -> f32 {
    let mut total = zh(chars);
    if normalized.bytes().any(|b| b.is_ascii_alphabetic()) {
        total += en(normalized);
    }
    total.min(MAX)
}

/// The value of a Chinese or Arabic numeral run (三, 十五, 二十, 八百, 两, 12; 半 as ½ rounded up to
/// keep 半个月 a month's wait), or `None`.
fn zh_number(run: &[char]) -> Option<u32> {
    if run == ['半'] {
        return Some(1);
    }
    let value = if run.iter().all(char::is_ascii_digit) {
        run.iter().collect::<String>().parse::<f64>().ok()?
    } else {
        crate::slots::cn_integer(run)?
    };
    // Saturating: a count this large means "countless" as much as a larger one.
    Some(value.min(100_000.0) as u32)
}

fn is_zh_numeral(c: char) -> bool {
    // A match rather than a search of a string: every character of every clause is asked.
    matches!(
        c,
        '0'..='9'
            | '零'
            | '一'
            | '二'
            | '两'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '千'
            | '万'
            | '半'
    )
}

/// Chinese counts: numeral, an optional 个 or 多, a unit; not a deadline or promise (三天内,
/// 七天无理由, 两天后), and for time not an ordinal (第二天).
fn zh(chars: &[char]) -> f32 {
    let mut total = 0.0;
    let mut i = 0;
    while i < chars.len() {
        if !is_zh_numeral(chars[i]) || (i > 0 && is_zh_numeral(chars[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_zh_numeral(chars[i]) {
            i += 1;
        }
        let Some(n) = zh_number(&chars[start..i]) else {
            continue;
        };
        let ordinal = start > 0 && chars[start - 1] == '第';
        // 半个月, 一个多小时, 二十多天.
        let mut j = i;
        while j < chars.len() && matches!(chars[j], '个' | '多') {
            j += 1;
        }
        let rest: String = chars[j..chars.len().min(j + 3)].iter().collect();
        let (unit, len) = if rest.starts_with(['次', '遍', '趟', '回']) {
            (Unit::Times, 1)
        } else if ordinal {
            continue;
        } else if rest.starts_with("分钟") {
            (Unit::Minutes, 2)
        } else if rest.starts_with("小时") || rest.starts_with("钟头") {
            (Unit::Hours, 2)
        } else if rest.starts_with("星期") || rest.starts_with("礼拜") {
            (Unit::Weeks, 2)
        } else if rest.starts_with('周') {
            (Unit::Weeks, 1)
        } else if rest.starts_with('天') {
            (Unit::Days, 1)
        } else if rest.starts_with('月') && chars[i..j].contains(&'个') {
            (Unit::Months, 1)
        } else {
            continue;
        };
        let after: String = chars[(j + len).min(chars.len())..chars.len().min(j + len + 3)]
            .iter()
            .collect();
        // A duration followed by 就 is how quick something was (半小时就解决了), not a wait.
        let deadline = [
            "内",
            "以内",
            "之内",
            "后",
            "以后",
            "之后",
            "无理由",
            "前",
            "就",
        ]
        .iter()
        .any(|w| after.starts_with(w));
        if !deadline {
            total += weight(n, unit);
        }
        i = j + len;
    }
    total
}

fn en_number(word: &str) -> Option<u32> {
    if let Ok(n) = word.parse::<u32>() {
        return Some(n.min(100_000));
    }
    Some(match word {
        "a" | "an" | "one" | "once" | "first" | "another" => 1,
        "two" | "twice" | "second" | "couple" => 2,
        "three" | "third" | "several" | "few" => 3,
        "four" | "fourth" => 4,
        "five" | "fifth" => 5,
        "six" | "sixth" => 6,
        "seven" | "seventh" => 7,
        "eight" | "eighth" => 8,
        "nine" | "ninth" => 9,
        "ten" | "tenth" => 10,
        "eleven" | "twelve" | "fifteen" | "twenty" | "thirty" | "forty" | "fifty" | "hundred"
        | "dozen" | "million" => 20,
        "multiple" | "many" | "countless" | "numerous" => 3,
        _ => return None,
    })
}

/// English counts: "three times", "twice", "for the fifth time", "two weeks", "an hour", "45
/// minutes"; not a deadline ("in 3 days", "within a week").
fn en(normalized: &str) -> f32 {
    let words: Vec<&str> = normalized
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut total = 0.0;
    for (i, &word) in words.iter().enumerate() {
        if word == "twice" {
            total += weight(2, Unit::Times);
            continue;
        }
        let Some(n) = en_number(word) else { continue };
        // "a couple of weeks", "a few times"
        let mut j = i + 1;
        if matches!(
            words.get(j),
            Some(&("of" | "more" | "whole" | "full" | "entire"))
        ) {
            j += 1;
        }
        let Some(&next) = words.get(j) else { continue };
        let next = next.strip_suffix('s').unwrap_or(next);
        let unit = match next {
            "time" => Unit::Times,
            "minute" | "min" => Unit::Minutes,
            "hour" => Unit::Hours,
            "day" => Unit::Days,
            "week" => Unit::Weeks,
            "month" => Unit::Months,
            _ => continue,
        };
        // "in 3 days", "within a week", "the next two days", "a few days ago" is a past wait.
        let before = |k: usize| i.checked_sub(k).and_then(|k| words.get(k)).copied();
        let deadline = matches!(
            before(1),
            Some("in" | "within" | "next" | "by" | "per" | "every" | "each")
        ) || (matches!(before(1), Some("few" | "couple" | "the"))
            && matches!(before(2), Some("in" | "within" | "next")));
        if deadline || (matches!(unit, Unit::Times) && i > 0 && words[i - 1] == "at") {
            continue;
        }
        // "a" and "an" only for time ("a week"), not "a time".
        if matches!(word, "a" | "an") && matches!(unit, Unit::Times) {
            continue;
        }
        total += weight(n, unit);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::exasperation;
    use crate::text::normalize;

    fn x(text: &str) -> f32 {
        let normalized = normalize(text);
        let chars: Vec<char> = normalized.chars().collect();
        exasperation(&normalized, &chars)
    }

    #[test]
    fn counts_of_repeating_and_waiting() {
        assert!(x("我都说了八百遍了") >= 0.4);
        assert!(x("打了5次电话") >= 0.4);
        assert!(x("推了一个月") >= 0.5);
        assert!(x("等了一个多小时了") >= 0.3);
        assert!(x("都半个月了") >= 0.5);
        assert!(x("I've called five times") >= 0.4);
        assert!(x("for the fifth time") >= 0.4);
        assert!(x("waiting for three weeks") >= 0.4);
        // Calm reports, deadlines and ordinals are little or nothing.
        assert!(x("物流三天没更新了") <= 0.2);
        assert_eq!(x("三天内给我回电话"), 0.0);
        assert_eq!(x("支持七天无理由退货吗"), 0.0);
        assert_eq!(x("第二天就降价了"), 0.0);
        assert_eq!(x("半小时就解决了"), 0.0);
        assert_eq!(x("it will arrive in 3 days"), 0.0);
        assert_eq!(x("订单号是12345678"), 0.0);
        assert_eq!(x("I want two of the blue ones"), 0.0);
    }
}
