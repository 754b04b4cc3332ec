//! Digit strings, spoken or keyed.

use super::en_digit;
use super::number::{cn_integer, strip_leading_units};
use super::{cn_digit, cn_unit, fold};
use crate::text::is_cjk;

/// A digit string from spoken or written digits: "一二三" → "123", "幺三八" → "138",
/// "one two three" → "123", "1 2 3" → "123". `None` when the text holds no digits.
///
/// Rules:
/// * Digits: ASCII and full-width digits; 零/〇/洞 0, 一/幺 1, 二/两 2, 三…九; English
///   "zero"/"oh"/"o", "one"…"nine"; "double"/"triple" repeat the next digit ("double five" →
///   "55", "triple 0" → "000"). A Chinese numeral with units reads as its value ("三十五" →
///   "35").
/// * Spaces, dashes, commas, full stops, slashes and brackets between digits are ignored, so
///   "1 3 8 - 0000" → "1380000"; any other word ends a run of digits.
/// * When the text holds several runs, the longest wins (the first among equals): in
///   "查一下订单，订单号一二三四" the order number wins over the 一 of 一下.
/// * A lone 一 or 两 directly before another Chinese character is a word, not a digit
///   (一下, 一个, 两个), and "oh"/"o" count only beside a real digit ("oh, I see" has none).
pub fn parse_digits(text: &str) -> Option<String> {
    // Keyed digits, the common case, are their own answer.
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(text.to_owned());
    }
    longest_run(text).map(|r| r.digits)
}

#[derive(Debug)]
pub(super) struct DigitRun {
    pub digits: String,
    /// A `+` came right before the run.
    pub plus: bool,
}

#[derive(Debug)]
enum DigitItem {
    Digits(String),
    /// "oh"/"o": zero only beside real digits.
    WeakZero,
    Repeat(usize),
    Separator,
    Plus,
    Break,
}

pub(super) fn longest_run(text: &str) -> Option<DigitRun> {
    let mut best: Option<DigitRun> = None;
    for run in digit_runs(&fold(text)) {
        if best
            .as_ref()
            .is_none_or(|b| run.digits.len() > b.digits.len())
        {
            best = Some(run);
        }
    }
    best
}

fn digit_items(chars: &[char]) -> Vec<DigitItem> {
    let mut items = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            items.push(DigitItem::Digits(c.to_string()));
            i += 1;
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            items.push(match word.as_str() {
                "oh" | "o" => DigitItem::WeakZero,
                "double" => DigitItem::Repeat(2),
                "triple" => DigitItem::Repeat(3),
                w => match en_digit(w) {
                    Some(d) => DigitItem::Digits(d.to_string()),
                    None => DigitItem::Break,
                },
            });
        } else if cn_digit(c).is_some() || cn_unit(c).is_some() {
            let start = i;
            while i < chars.len() && (cn_digit(chars[i]).is_some() || cn_unit(chars[i]).is_some()) {
                i += 1;
            }
            let run = &chars[start..i];
            let next_is_cjk = chars.get(i).is_some_and(|&n| is_cjk(n));
            if run.iter().any(|&c| cn_unit(c).is_some()) {
                // Read out with units: "三十五" means 35; a bare unit (千万) is a word.
                match cn_integer(strip_leading_units(run)) {
                    Some(v) if v < 1e15 => items.push(DigitItem::Digits(format!("{v}"))),
                    _ => items.push(DigitItem::Break),
                }
            } else if run.len() == 1 && matches!(run[0], '一' | '两') && next_is_cjk {
                items.push(DigitItem::Break);
            } else {
                for &c in run {
                    if let Some(d) = cn_digit(c) {
                        items.push(DigitItem::Digits(d.to_string()));
                    }
                }
            }
        } else if c == '+' {
            items.push(DigitItem::Plus);
            i += 1;
        } else if c.is_whitespace()
            || matches!(
                c,
                '-' | '–' | '—' | ',' | '、' | '.' | '。' | '/' | '(' | ')' | '·' | '_'
            )
        {
            items.push(DigitItem::Separator);
            i += 1;
        } else {
            items.push(DigitItem::Break);
            i += 1;
        }
    }
    items
}

fn digit_runs(chars: &[char]) -> Vec<DigitRun> {
    struct Open {
        digits: String,
        strong: bool,
        plus: bool,
        repeat: usize,
    }
    let mut runs = Vec::new();
    let mut open: Option<Open> = None;
    let mut plus_pending = false;
    let close = |open: &mut Option<Open>, runs: &mut Vec<DigitRun>| {
        if let Some(o) = open.take() {
            if o.strong {
                runs.push(DigitRun {
                    digits: o.digits,
                    plus: o.plus,
                });
            }
        }
    };
    for item in digit_items(chars) {
        let (digits, strong) = match item {
            DigitItem::Digits(d) => (d, true),
            DigitItem::WeakZero => ("0".to_string(), false),
            DigitItem::Repeat(n) => {
                let o = open.get_or_insert_with(|| Open {
                    digits: String::new(),
                    strong: false,
                    plus: std::mem::take(&mut plus_pending),
                    repeat: 1,
                });
                o.repeat = n;
                continue;
            }
            DigitItem::Separator => continue,
            DigitItem::Plus => {
                close(&mut open, &mut runs);
                plus_pending = true;
                continue;
            }
            DigitItem::Break => {
                close(&mut open, &mut runs);
                plus_pending = false;
                continue;
            }
        };
        let o = open.get_or_insert_with(|| Open {
            digits: String::new(),
            strong: false,
            plus: std::mem::take(&mut plus_pending),
            repeat: 1,
        });
        for _ in 0..o.repeat {
            o.digits.push_str(&digits);
        }
        o.repeat = 1;
        o.strong |= strong;
    }
    close(&mut open, &mut runs);
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_chinese() {
        let cases = [
            ("一二三", "123"),
            ("幺三八", "138"),
            ("我的订单号是一二三四五六七八", "12345678"),
            ("零〇洞", "000"),
            ("两两两", "222"),
            ("幺三八 零零零零", "1380000"),
            ("幺三八，一二三四，五六七八", "13812345678"),
            ("查一下订单，订单号一二三四", "1234"),
            ("我要查一下，单号是五六七", "567"),
            ("三十五", "35"),
            ("房间号是一百零五", "105"),
            ("按五", "5"),
            ("１２３", "123"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_digits(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn keyed_digits_read_as_the_general_rules_read_them() {
        for text in ["0", "7", "2024061801", "000123", "13800000000"] {
            assert_eq!(parse_digits(text), longest_run(text).map(|r| r.digits));
            assert_eq!(parse_digits(text).as_deref(), Some(text));
        }
    }

    #[test]
    fn digits_english_and_written() {
        let cases = [
            ("one two three", "123"),
            ("1 2 3", "123"),
            ("1 3 8 - 0000", "1380000"),
            ("my number is 1-800-555-0199", "18005550199"),
            ("double five", "55"),
            ("triple 0", "000"),
            ("four double five six", "4556"),
            ("oh one two", "012"),
            ("two oh four", "204"),
            ("zero nine", "09"),
            ("My order number is 12345, thanks", "12345"),
            ("123 and 45678", "45678"),
            ("12 and 34", "12"),
            ("ONE TWO", "12"),
            ("1,2,3", "123"),
            ("(010) 1234.5678", "01012345678"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_digits(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn digits_none() {
        for text in [
            "",
            "hello",
            "查一下",
            "我要两个",
            "oh, I see",
            "o",
            "double",
            "千万别",
            "我想问一下",
        ] {
            assert_eq!(parse_digits(text), None, "{text}");
        }
    }
}
