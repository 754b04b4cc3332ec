//! Phone numbers.

use super::digits::longest_run;

/// A phone number (digits only, with a leading `+` kept): Chinese mobiles, 7–15 digits.
///
/// The digits are read as by [`parse_digits`] (spoken digits included, the longest run wins).
/// A `+` right before them is kept, giving E.164 ("+86 138 1234 5678" → "+8613812345678").
/// Without a `+`, a Chinese mobile number behind an 86 or 0086 country code is returned in its
/// national 11-digit form ("86 13812345678" → "13812345678"), which is what callers say and
/// agents dial. Beyond that only the length is checked: 7 to 15 digits (landlines with area
/// codes, foreign numbers), else `None`.
pub fn parse_phone(text: &str) -> Option<String> {
    let run = longest_run(text)?;
    let digits = run.digits;
    if run.plus {
        return (7..=15)
            .contains(&digits.len())
            .then(|| format!("+{digits}"));
    }
    for prefix in ["0086", "86"] {
        if let Some(national) = digits.strip_prefix(prefix) {
            if is_cn_mobile(national) {
                return Some(national.to_string());
            }
        }
    }
    (7..=15).contains(&digits.len()).then_some(digits)
}

fn is_cn_mobile(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && digits.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        let cases = [
            ("13812345678", "13812345678"),
            ("138 1234 5678", "13812345678"),
            ("138-1234-5678", "13812345678"),
            ("我的手机号是幺三八幺二三四五六七八", "13812345678"),
            ("+86 138 1234 5678", "+8613812345678"),
            ("+8613812345678", "+8613812345678"),
            ("＋８６１３８１２３４５６７８", "+8613812345678"),
            ("86 13812345678", "13812345678"),
            ("0086 138 1234 5678", "13812345678"),
            ("010-12345678", "01012345678"),
            ("(021) 6123 4567", "02161234567"),
            ("1234567", "1234567"),
            ("call me on 415 555 2671", "4155552671"),
            ("+1 415 555 2671", "+14155552671"),
            (
                "zero two zero seven nine four six zero nine five eight",
                "02079460958",
            ),
            ("电话是13812345678，订单号是123", "13812345678"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_phone(text).as_deref(), Some(want), "{text}");
        }
        for text in [
            "",
            "123456",
            "一二三",
            "1234567890123456",
            "hello",
            "+12345",
            "one eight hundred",
        ] {
            assert_eq!(parse_phone(text), None, "{text}");
        }
    }
}
