//! Numbers: Chinese numerals, English cardinals and written decimals.

use super::{cn_number_digit, cn_unit, en_digit, fold};

///
/// The first number in the text wins ("ten out of ten" → 10, "打8分" → 8). Understood forms:
/// * ASCII decimals with optional thousands separators and sign ("1,000", "-3", ".5"), with a
///   following 百/千/万/亿 or "hundred"/"thousand"/"million"/"billion" or "k" as a multiplier
///   ("3万" → 30000, "5k" → 5000);
/// * Chinese numerals with 十/百/千/万/亿 and 零, colloquial endings ("三千五" → 3500,
///   "一万二" → 12000), 点 for decimals ("三点五" → 3.5), "个半"/"点半" for a half ("一个半" →
///   1.5), 负 for negatives, and digit-by-digit readings ("二零二四" → 2024);
/// * English cardinals ("nineteen", "twenty-one", "a hundred", "one hundred and five",
///   "two thousand", "three point five"), "minus"/"negative", and digit-by-digit readings
///   ("one two three" → 123).
///
/// Numeral characters inside common words are skipped: 一下/一些/一共/一点 (not 一点五)/一样/
/// 一直/一起/一定/一般/一切/统一/唯一/万一 …, and a leading 百/千/万/亿 without a digit
/// (千万, 百分之五十 → 50).
pub fn parse_number(text: &str) -> Option<f64> {
    let chars = fold(text);
    let mut i = 0;
    while i < chars.len() {
        if let Some((value, _)) = number_at(&chars, i) {
            return Some(value);
        }
        // Skip a whole Latin word, so "often" is not read from its "ten".
        if chars[i].is_ascii_alphabetic() {
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    None
}

pub(super) fn strip_leading_units(run: &[char]) -> &[char] {
    let skip = run
        .iter()
        .take_while(|&&c| matches!(c, '百' | '千' | '万' | '亿'))
        .count();
    &run[skip..]
}

/// Words in which a numeral character is not a number.
const CN_NON_NUMBERS: &[&str] = &[
    "一下",
    "一共",
    "一点",
    "一些",
    "一样",
    "一直",
    "一起",
    "一定",
    "一般",
    "一切",
    "一旦",
    "一边",
    "一致",
    "一会",
    "一律",
    "一向",
    "一点点",
    "统一",
    "唯一",
    "万一",
    "一模一样",
];

/// The number starting at `chars[i]`, with the index after it.
pub(super) fn number_at(chars: &[char], i: usize) -> Option<(f64, usize)> {
    let c = chars[i];
    let next = chars.get(i + 1).copied();
    let prev = i.checked_sub(1).map(|p| chars[p]);
    if c.is_ascii_digit()
        || (c == '.' && next.is_some_and(|n| n.is_ascii_digit()))
        || (c == '-'
            && next.is_some_and(|n| n.is_ascii_digit())
            && !prev.is_some_and(char::is_alphanumeric))
    {
        return ascii_number(chars, i);
    }
    if c == '负' && next.is_some_and(|n| cn_number_digit(n).is_some() || cn_unit(n).is_some()) {
        return cn_number(chars, i + 1).map(|(v, end)| (-v, end));
    }
    if cn_number_digit(c).is_some() || cn_unit(c).is_some() {
        let preceded = prev.is_some_and(|p| {
            CN_NON_NUMBERS
                .iter()
                .any(|w| w.chars().nth(1) == Some(c) && w.starts_with(p))
        });
        // 一点 is "a little", but 一点五 is 1.5.
        let decimal = next == Some('点')
            && chars
                .get(i + 2)
                .is_some_and(|&d| cn_number_digit(d).is_some());
        let starts_word = !decimal && CN_NON_NUMBERS.iter().any(|w| starts_with(chars, i, w));
        if preceded || starts_word {
            return None;
        }
        return cn_number(chars, i);
    }
    if c.is_ascii_alphabetic() && !prev.is_some_and(|p| p.is_ascii_alphabetic()) {
        return en_number(chars, i);
    }
    None
}

pub(super) fn starts_with(chars: &[char], i: usize, word: &str) -> bool {
    let n = word.chars().count();
    chars.len() >= i + n && word.chars().zip(&chars[i..]).all(|(a, &b)| a == b)
}

fn ascii_number(chars: &[char], mut i: usize) -> Option<(f64, usize)> {
    let mut text = String::new();
    if chars[i] == '-' {
        text.push('-');
        i += 1;
    }
    let digits_from = |i: &mut usize, text: &mut String| {
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            text.push(chars[*i]);
            *i += 1;
        }
    };
    digits_from(&mut i, &mut text);
    // Thousands separators: a comma followed by exactly three digits.
    while chars.get(i) == Some(&',')
        && !text.is_empty()
        && chars.len() >= i + 4
        && chars[i + 1..i + 4].iter().all(char::is_ascii_digit)
        && !chars.get(i + 4).is_some_and(char::is_ascii_digit)
    {
        i += 1;
        digits_from(&mut i, &mut text);
    }
    if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
        text.push('.');
        i += 1;
        digits_from(&mut i, &mut text);
    }
    let mut value: f64 = text.parse().ok()?;
    let mut j = i;
    while j < chars.len() && chars[j] == ' ' {
        j += 1;
    }
    if let Some(u) = chars.get(j).and_then(|&c| cn_unit(c)).filter(|&u| u > 10.0) {
        value *= u;
        i = j + 1;
    } else if chars.get(i) == Some(&'k') && !chars.get(i + 1).is_some_and(char::is_ascii_alphabetic)
    {
        value *= 1_000.0;
        i += 1;
    } else {
        let (word, end) = word_at(chars, j);
        if let Some(scale) = en_scale(&word) {
            value *= scale;
            i = end;
        }
    }
    Some((value, i))
}

/// A Chinese numeral at `chars[i]`, possibly with a decimal part and a half.
fn cn_number(chars: &[char], i: usize) -> Option<(f64, usize)> {
    let mut end = i;
    let mut point = None;
    while end < chars.len() {
        let c = chars[end];
        if cn_number_digit(c).is_some() || cn_unit(c).is_some() {
            end += 1;
        } else if c == '点'
            && point.is_none()
            && chars
                .get(end + 1)
                .is_some_and(|&n| cn_number_digit(n).is_some())
        {
            point = Some(end);
            end += 1;
        } else {
            break;
        }
    }
    let run = &chars[i..end];
    let int_end = point.unwrap_or(end) - i;
    let int_part = strip_leading_units(&run[..int_end]);
    if int_part.is_empty() {
        return None;
    }
    let mut value = cn_integer(int_part)?;
    if let Some(p) = point {
        let mut frac = String::from("0.");
        for &c in &chars[p + 1..end] {
            frac.push(char::from_digit(cn_number_digit(c)?, 10)?);
        }
        value += frac.parse::<f64>().ok()?;
    } else if starts_with(chars, end, "个半") || starts_with(chars, end, "点半") {
        value += 0.5;
        return Some((value, end + 2));
    }
    Some((value, end))
}

/// A Chinese integer: "七十五", "一百零五", colloquial "三千五" (3500) and "一万二" (12000),
/// or digits read one by one ("二零二四").
pub(crate) fn cn_integer(run: &[char]) -> Option<f64> {
    if run.is_empty() {
        return None;
    }
    if run.iter().all(|&c| cn_unit(c).is_none()) {
        let mut value = 0.0;
        for &c in run {
            value = value * 10.0 + f64::from(cn_number_digit(c)?);
        }
        return Some(value);
    }
    let (mut total, mut section, mut digit) = (0.0, 0.0, 0.0);
    let mut last_unit: Option<f64> = None;
    let mut zero = false;
    for &c in run {
        if let Some(d) = cn_number_digit(c) {
            digit = f64::from(d);
            zero |= d == 0;
        } else if let Some(u) = cn_unit(c) {
            match c {
                '万' => {
                    total += (section + digit) * u;
                    section = 0.0;
                }
                '亿' => {
                    total = (total + section + digit) * u;
                    section = 0.0;
                }
                _ => {
                    // A bare 十 is "one ten" (十五 = 15); so is a bare 百 or 千.
                    let d = if digit == 0.0 && !zero { 1.0 } else { digit };
                    section += d * u;
                }
            }
            digit = 0.0;
            zero = false;
            last_unit = Some(u);
        } else {
            return None;
        }
    }
    // A digit after a unit with no 零 between is one step smaller: 三千五 = 3500.
    let trailing = match last_unit {
        Some(u) if !zero && u > 10.0 => digit * u / 10.0,
        _ => digit,
    };
    Some(total + section + trailing)
}

pub(super) fn word_at(chars: &[char], i: usize) -> (String, usize) {
    let mut end = i;
    while end < chars.len() && chars[end].is_ascii_alphabetic() {
        end += 1;
    }
    (chars[i.min(end)..end].iter().collect(), end)
}

fn en_small(word: &str) -> Option<f64> {
    if let Some(d) = en_digit(word) {
        return Some(f64::from(d));
    }
    Some(match word {
        "ten" => 10.0,
        "eleven" => 11.0,
        "twelve" => 12.0,
        "thirteen" => 13.0,
        "fourteen" => 14.0,
        "fifteen" => 15.0,
        "sixteen" => 16.0,
        "seventeen" => 17.0,
        "eighteen" => 18.0,
        "nineteen" => 19.0,
        _ => return None,
    })
}

pub(super) fn en_tens(word: &str) -> Option<f64> {
    Some(match word {
        "twenty" => 20.0,
        "thirty" => 30.0,
        "forty" | "fourty" => 40.0,
        "fifty" => 50.0,
        "sixty" => 60.0,
        "seventy" => 70.0,
        "eighty" => 80.0,
        "ninety" => 90.0,
        _ => return None,
    })
}

fn en_scale(word: &str) -> Option<f64> {
    Some(match word {
        "hundred" => 100.0,
        "thousand" => 1_000.0,
        "million" => 1_000_000.0,
        "billion" => 1_000_000_000.0,
        _ => return None,
    })
}

/// The English words from `i` on, each with the index after it; spaces and hyphens join words,
/// anything else ends the phrase.
fn en_words(chars: &[char], mut i: usize) -> Vec<(String, usize)> {
    let mut words = Vec::new();
    loop {
        let (word, end) = word_at(chars, i);
        if word.is_empty() {
            break;
        }
        words.push((word, end));
        i = end;
        let mut j = i;
        while j < chars.len() && matches!(chars[j], ' ' | '-') {
            j += 1;
        }
        if j == i || words.len() >= 16 {
            break;
        }
        i = j;
    }
    words
}

/// Digit words read one by one ("one two three" is 123): the value, and where it ends.
fn en_digit_run(words: &[(String, usize)]) -> (f64, usize) {
    let mut value = 0.0;
    let mut end = 0;
    for (digit, e) in words
        .iter()
        .map_while(|(w, e)| en_digit(w).map(|d| (d, *e)))
    {
        value = value * 10.0 + f64::from(digit);
        end = e;
    }
    (value, end)
}

/// The digit words after "point" ("point five" is 0.5): the fraction, and where it ends
/// (`point_end` when no digit follows).
fn en_fraction(words: &[(String, usize)], point_end: usize) -> Option<(f64, usize)> {
    let mut fraction = String::from("0.");
    let mut end = point_end;
    for (w, e) in words {
        match en_digit(w) {
            Some(d) => {
                fraction.push(char::from_digit(d, 10)?);
                end = *e;
            }
            None => break,
        }
    }
    Some((fraction.parse::<f64>().ok()?, end))
}

fn en_number(chars: &[char], i: usize) -> Option<(f64, usize)> {
    let words = en_words(chars, i);
    let (first, _) = words.first()?;
    let (sign, words) = match first.as_str() {
        "minus" | "negative" => (-1.0, &words[1..]),
        _ => (1.0, &words[..]),
    };
    let is_digit = |k: usize| words.get(k).and_then(|(w, _)| en_digit(w)).is_some();
    if is_digit(0) && is_digit(1) {
        let (value, end) = en_digit_run(words);
        return Some((sign * value, end));
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Last {
        Start,
        Article,
        Small,
        Tens,
        Hundred,
        Scale,
        And,
    }
    let (mut total, mut current) = (0.0, 0.0);
    let mut last = Last::Start;
    let mut end = None;
    let mut k = 0;
    while let Some((w, e)) = words.get(k) {
        let next_is_number = words.get(k + 1).is_some_and(|(n, _)| {
            en_small(n).is_some() || en_tens(n).is_some() || en_scale(n).is_some()
        });
        if let Some(v) = en_small(w) {
            let fits = match last {
                Last::Start | Last::Hundred | Last::Scale | Last::And => true,
                Last::Tens => v < 10.0 && v > 0.0,
                Last::Article | Last::Small => false,
            };
            if !fits {
                break;
            }
            current += v;
            last = Last::Small;
        } else if let Some(v) = en_tens(w) {
            if !matches!(last, Last::Start | Last::Hundred | Last::Scale | Last::And) {
                break;
            }
            current += v;
            last = Last::Tens;
        } else if w == "hundred" {
            if matches!(last, Last::Hundred) {
                break;
            }
            current = current.max(1.0) * 100.0;
            last = Last::Hundred;
        } else if let Some(scale) = en_scale(w) {
            total += current.max(1.0) * scale;
            current = 0.0;
            last = Last::Scale;
        } else if matches!(w.as_str(), "a" | "an") && last == Last::Start {
            let scale_follows = words.get(k + 1).is_some_and(|(n, _)| en_scale(n).is_some());
            if !scale_follows {
                break;
            }
            last = Last::Article;
            k += 1;
            continue;
        } else if w == "and" && matches!(last, Last::Hundred | Last::Scale) && next_is_number {
            last = Last::And;
            k += 1;
            continue;
        } else if w == "point" && last != Last::Start && is_digit(k + 1) {
            let (fraction, end) = en_fraction(&words[k + 1..], *e)?;
            return Some((sign * (total + current + fraction), end));
        } else {
            break;
        }
        end = Some(*e);
        k += 1;
    }
    end.map(|e| (sign * (total + current), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_chinese() {
        let cases = [
            ("十", 10.0),
            ("十五", 15.0),
            ("二十", 20.0),
            ("七十五", 75.0),
            ("一百零五", 105.0),
            ("两百", 200.0),
            ("三千五", 3500.0),
            ("一万二", 12000.0),
            ("一万二千", 12000.0),
            ("一千零一十", 1010.0),
            ("十万", 100_000.0),
            ("十五万五", 155_000.0),
            ("三百万", 3_000_000.0),
            ("一亿两千万", 120_000_000.0),
            ("三点五", 3.5),
            ("零点五", 0.5),
            ("一百二十三点四五", 123.45),
            ("一个半", 1.5),
            ("两个半小时", 2.5),
            ("三点半", 3.5),
            ("零", 0.0),
            ("二零二四年", 2024.0),
            ("负五", -5.0),
            ("8分", 8.0),
            ("十分", 10.0),
            ("打8分", 8.0),
            ("我给九分", 9.0),
            ("我要两个", 2.0),
            ("百分之五十", 50.0),
            ("帮我查一下，大概三十个", 30.0),
            ("第三", 3.0),
            ("３万", 30_000.0),
            ("1.5万", 15_000.0),
            ("千万要五个", 5.0),
            ("一点五", 1.5),
            ("两百五", 250.0),
            ("十一", 11.0),
            ("两千零二十四", 2024.0),
            ("一千二百三十四", 1234.0),
            ("一共三个", 3.0),
        ];
        for (text, want) in cases {
            assert_eq!(parse_number(text), Some(want), "{text}");
        }
    }

    #[test]
    fn numbers_english_and_written() {
        let cases = [
            ("8.5", 8.5),
            ("８．５", 8.5),
            ("42", 42.0),
            ("-3", -3.0),
            (".5", 0.5),
            ("1,000", 1000.0),
            ("1,234,567.5", 1_234_567.5),
            ("3,5", 3.0),
            ("5k", 5000.0),
            ("zero", 0.0),
            ("nineteen", 19.0),
            ("twenty", 20.0),
            ("twenty one", 21.0),
            ("twenty-one", 21.0),
            ("a hundred", 100.0),
            ("one hundred and five", 105.0),
            ("two thousand", 2000.0),
            ("a thousand and one", 1001.0),
            ("eleven", 11.0),
            ("two thousand and twenty four", 2024.0),
            ("three hundred thousand", 300_000.0),
            ("five hundred", 500.0),
            ("5 hundred", 500.0),
            ("ten out of ten", 10.0),
            ("8 out of 10", 8.0),
            ("I'd give it a nine", 9.0),
            ("three point five", 3.5),
            ("minus two", -2.0),
            ("one two three", 123.0),
            ("TWELVE", 12.0),
            ("3-5 items", 3.0),
            ("room 12b", 12.0),
        ];
        for (text, want) in cases {
            assert_eq!(parse_number(text), Some(want), "{text}");
        }
    }

    #[test]
    fn numbers_none() {
        for text in [
            "",
            "hello",
            "often",
            "a lot",
            "查一下",
            "一样的",
            "统一",
            "万一不行呢",
            "有一点贵",
            "千万",
            "no idea",
            "点",
        ] {
            assert_eq!(parse_number(text), None, "{text}");
        }
    }
}
