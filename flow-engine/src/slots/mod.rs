//! Slot values from speech or keys: digits, numbers, phone numbers, yes/no, in Chinese and
//! English.
//!
//! Every parser first folds full-width characters to half-width and lowercases, so text from a
//! Chinese IME ("１３８", "ＹＥＳ") parses like ASCII. The parsers are deliberately forgiving
//! about the words around a value — speech recognisers return whole sentences — and return
//! `None` rather than guess when the text holds no value.

mod amount;
mod date;
mod digits;
mod key;
mod number;
mod phone;
mod phrases;
mod yes_no;

pub use amount::{parse_amount, Amount};
pub use date::parse_date;
pub use digits::parse_digits;
pub use key::parse_key;
pub(crate) use number::cn_integer;
pub use number::parse_number;
pub use phone::parse_phone;
pub use yes_no::parse_yes_no;

use crate::text::{fold_width, is_cjk};
use number::starts_with;
use phrases::Phrases;

fn fold(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars().map(fold_width) {
        // ASCII and CJK (most of what callers say) need no look-up in Unicode's case tables.
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if is_cjk(c) {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// A Chinese digit character's value (spoken forms included: 幺 for 1, 洞 for 0).
pub(crate) fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' | '洞' => 0,
        '一' | '幺' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn cn_unit(c: char) -> Option<f64> {
    Some(match c {
        '十' => 10.0,
        '百' => 100.0,
        '千' => 1_000.0,
        '万' => 10_000.0,
        '亿' => 100_000_000.0,
        _ => return None,
    })
}

/// Digits that appear in numbers (洞 is only a digit when digits are read out one by one).
fn cn_number_digit(c: char) -> Option<u32> {
    if c == '洞' {
        None
    } else {
        cn_digit(c)
    }
}

pub(crate) fn en_digit(word: &str) -> Option<u32> {
    Some(match word {
        "zero" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        _ => return None,
    })
}

enum Segment {
    Cjk(Vec<char>),
    Words(Vec<String>),
}

/// Splits folded text into runs of CJK characters and runs of Latin words (apostrophes removed,
/// "don't" → "dont"); digits count as words, everything else separates.
fn segments(chars: &[char]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Segment>| {
        if word.is_empty() {
            return;
        }
        let w = std::mem::take(word);
        match out.last_mut() {
            Some(Segment::Words(ws)) => ws.push(w),
            _ => out.push(Segment::Words(vec![w])),
        }
    };
    for &c in chars {
        if is_cjk(c) {
            flush(&mut word, &mut out);
            match out.last_mut() {
                Some(Segment::Cjk(run)) => run.push(c),
                _ => out.push(Segment::Cjk(vec![c])),
            }
        } else if c.is_alphanumeric() {
            word.push(c);
        } else if matches!(c, '\'' | '\u{2019}') && !word.is_empty() {
            // Contractions stay one word: "don't" → "dont".
            continue;
        } else {
            flush(&mut word, &mut out);
            // Punctuation ends a CJK run, so phrases do not match across it.
            if let Some(Segment::Cjk(_)) = out.last() {
                out.push(Segment::Words(Vec::new()));
            }
        }
    }
    flush(&mut word, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Words around a value, and denials

fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while matches!(chars.get(i), Some(' ' | ',')) {
        i += 1;
    }
    i
}

/// Up to `limit` Latin words after `i`, each with the index after it; spaces, commas and
/// hyphens separate them, apostrophes are dropped ("doesn't" → "doesnt"), anything else ends
/// the list.
fn words_after(chars: &[char], mut i: usize, limit: usize) -> Vec<(String, usize)> {
    let mut words = Vec::new();
    while words.len() < limit {
        while matches!(chars.get(i), Some(' ' | ',' | '-')) {
            i += 1;
        }
        let mut word = String::new();
        while let Some(&c) = chars.get(i) {
            if c.is_ascii_alphabetic() {
                word.push(c);
            } else if word.is_empty() || !matches!(c, '\'' | '’') {
                break;
            }
            i += 1;
        }
        if word.is_empty() {
            break;
        }
        words.push((word, i));
    }
    words
}

/// Whether the value said at `chars[start..end]` is denied: 不是明天, 明天不行, "not tomorrow",
/// "tomorrow doesn't work".
fn negated(chars: &[char], start: usize, end: usize) -> bool {
    let is_break = |c: &char| matches!(c, ',' | '，' | '。' | '.' | '!' | '！' | '?' | '？' | ';');
    let before: Vec<char> = chars[start.saturating_sub(3)..start]
        .iter()
        .rev()
        .take_while(|c| !is_break(c))
        .copied()
        .collect();
    let before: String = before.iter().rev().collect();
    let reassuring = ["没问题", "没关系", "不错"]
        .iter()
        .any(|w| before.contains(w));
    if !reassuring && before.contains(['不', '别', '没']) {
        return true;
    }
    let mut after = end;
    while after < chars.len()
        && matches!(
            chars[after],
            ' ' | '的' | '就' | '也' | '都' | '可' | '恐' | '怕'
        )
    {
        after += 1;
    }
    if matches!(chars.get(after), Some('不' | '没')) && !starts_with(chars, after, "不错") {
        return true;
    }
    const DENIALS: &[&str] = &[
        "not", "dont", "doesnt", "wont", "cant", "cannot", "isnt", "never", "neither",
    ];
    let preceding = words_before(chars, start, 2);
    let following = words_after(chars, end, 3);
    preceding
        .iter()
        .chain(following.iter().map(|(w, _)| w))
        .any(|w| DENIALS.contains(&w.as_str()))
}

/// Up to `limit` Latin words right before `end` (apostrophes dropped: "can't" → "cant").
fn words_before(chars: &[char], end: usize, limit: usize) -> Vec<String> {
    let mut words = Vec::new();
    let mut i = end;
    while words.len() < limit {
        while i > 0 && matches!(chars[i - 1], ' ' | '-') {
            i -= 1;
        }
        let mut word = Vec::new();
        while i > 0 && (chars[i - 1].is_ascii_alphabetic() || matches!(chars[i - 1], '\'' | '’'))
        {
            i -= 1;
            if chars[i].is_ascii_alphabetic() {
                word.push(chars[i]);
            }
        }
        if word.is_empty() {
            break;
        }
        words.push(word.iter().rev().collect());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_skips_the_case_tables_only_where_they_change_nothing() {
        // Every character of the Basic Multilingual Plane, folded on its own and in a text.
        let all: String = (0..=0xFFFFu32).filter_map(char::from_u32).collect();
        let by_tables: Vec<char> = all
            .chars()
            .map(fold_width)
            .flat_map(char::to_lowercase)
            .collect();
        assert_eq!(fold(&all), by_tables);
        assert_eq!(
            fold("ＡＢＣ取消 Ÿes"),
            "abc取消 ÿes".chars().collect::<Vec<_>>()
        );
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(text in "[0-9零〇洞一幺二两三四五六七八九十百千万亿点半个负分是不对好没有别按号星井+*#.,\\- a-z'，。！？]{0,24}") {
            let _ = parse_digits(&text);
            let _ = parse_yes_no(&text);
            let _ = parse_key(&text);
            if let Some(n) = parse_number(&text) {
                proptest::prop_assert!(n.is_finite(), "{text}: {n}");
            }
            if let Some(p) = parse_phone(&text) {
                let digits = p.trim_start_matches('+');
                proptest::prop_assert!((7..=15).contains(&digits.len()), "{text}: {p}");
                proptest::prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{text}: {p}");
            }
            if let Some(d) = parse_digits(&text) {
                proptest::prop_assert!(!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            }
        }

        #[test]
        fn parsers_never_panic_on_any_text(text in "\\PC{0,32}") {
            let _ = (parse_digits(&text), parse_number(&text), parse_yes_no(&text));
            let _ = (parse_phone(&text), parse_key(&text));
        }
    }
}
