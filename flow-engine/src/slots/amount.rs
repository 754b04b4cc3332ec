//! Amounts of money: 一百二十块五, 120元, 1.5万, ¥120.5, "$19.99", "twenty bucks".

use super::number::{en_tens, number_at, word_at};
use super::{cn_number_digit, fold, negated, skip_spaces, words_after, Phrases};

/// An amount of money, with its currency (an ISO 4217 code) when the caller named one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amount {
    pub value: f64,
    pub currency: Option<&'static str>,
}

/// An amount of money from speech or text; numbers are read as by
/// [`parse_number`](super::parse_number).
///
/// Understood: a number with a currency before it (¥/￥ CNY, $ USD, € EUR, £ GBP, "RMB") or
/// after it (块/块钱/元/人民币 CNY, 美元/美金 USD, 欧元, 英镑, 港币, 日元; "dollars"/"bucks" USD,
/// "yuan"/"RMB", "euros", "pounds"), Chinese minor units (一百二十块五 → 120.5, 一百二十元五角
/// → 120.5, 三块五毛二 → 3.52, 五毛 → 0.5), cents ("twenty dollars and fifty cents",
/// "twenty dollars fifty", "fifty cents"), and a plain number (两百 → 200, "a hundred and twenty" → 120) when no
/// currency is named anywhere. Values are rounded to cents.
///
/// Conventions:
/// * A number that names a currency wins over one that does not: in 买了2件一共120块 the amount
///   is 120. Otherwise the first number wins.
/// * A number followed by a count that is not money (2件, 3个, "2 items", 3天) is not an amount.
/// * English numbers read in pairs ("one twenty-five", "nineteen ninety-nine") could be
///   1.25 or 125, 19.99 or 1999: they give `None`, so the caller is asked again rather than
///   charged a guess.
/// * Negative numbers, and denied ones (不是一百, "not twenty dollars"), give no value.
pub fn parse_amount(text: &str) -> Option<Amount> {
    let chars = fold(text);
    let mut first_plain = None;
    let mut i = 0;
    while i < chars.len() {
        let Some((value, end)) = number_at(&chars, i) else {
            i = skip_word(&chars, i);
            continue;
        };
        if english_pair(&chars, i, end) {
            return None;
        }
        let prefix = currency_before(&chars, i);
        let (value, suffix, amount_end) = money_after(&chars, value, end);
        let currency = prefix.or(suffix);
        let counted = currency.is_none() && counts_things(&chars, end);
        if value >= 0.0 && !counted && !negated(&chars, i, amount_end) {
            let amount = Amount {
                value: (value * 100.0).round() / 100.0,
                currency,
            };
            if currency.is_some() {
                return Some(amount);
            }
            first_plain.get_or_insert(amount);
        }
        i = amount_end.max(i + 1);
    }
    first_plain
}

fn skip_word(chars: &[char], mut i: usize) -> usize {
    if !chars[i].is_ascii_alphabetic() {
        return i + 1;
    }
    while i < chars.len() && chars[i].is_ascii_alphabetic() {
        i += 1;
    }
    i
}

static CN_CURRENCIES: Phrases<&str> = Phrases::new(&[
    ("块", "CNY"),
    ("块钱", "CNY"),
    ("元", "CNY"),
    ("元钱", "CNY"),
    ("圆", "CNY"),
    ("人民币", "CNY"),
    ("块人民币", "CNY"),
    ("元人民币", "CNY"),
    ("美元", "USD"),
    ("美金", "USD"),
    ("刀", "USD"),
    ("欧元", "EUR"),
    ("英镑", "GBP"),
    ("港币", "HKD"),
    ("港元", "HKD"),
    ("日元", "JPY"),
]);

fn en_currency(word: &str) -> Option<&'static str> {
    Some(match word {
        "dollar" | "dollars" | "buck" | "bucks" | "usd" => "USD",
        "yuan" | "rmb" | "renminbi" | "cny" | "kuai" => "CNY",
        "euro" | "euros" | "eur" => "EUR",
        "pound" | "pounds" | "quid" | "gbp" => "GBP",
        "hkd" => "HKD",
        _ => return None,
    })
}

fn symbol_currency(c: char) -> Option<&'static str> {
    Some(match c {
        '¥' | '￥' => "CNY",
        '$' => "USD",
        '€' => "EUR",
        '£' => "GBP",
        _ => return None,
    })
}

/// A currency sign or code right before the number at `i`: "¥120", "$ 19.99", "RMB 120".
fn currency_before(chars: &[char], i: usize) -> Option<&'static str> {
    let mut j = i;
    while j > 0 && chars[j - 1] == ' ' {
        j -= 1;
    }
    let before = j.checked_sub(1).map(|k| chars[k])?;
    if let Some(currency) = symbol_currency(before) {
        return Some(currency);
    }
    let mut start = j;
    while start > 0 && chars[start - 1].is_ascii_alphabetic() {
        start -= 1;
    }
    let word: String = chars[start..j].iter().collect();
    match word.as_str() {
        "rmb" | "cny" | "usd" | "eur" | "gbp" | "hkd" => en_currency(&word),
        _ => None,
    }
}

/// The currency and minor units after a number: 块五, 元五角, 块五毛二, "dollars and fifty
/// cents"; also 五毛 and "fifty cents" on their own. Returns the value, the currency and where
/// the amount ends.
fn money_after(chars: &[char], value: f64, end: usize) -> (f64, Option<&'static str>, usize) {
    let at = skip_spaces(chars, end);
    if let Some((len, currency)) = CN_CURRENCIES.longest(&chars[at.min(chars.len())..]) {
        let (minor, minor_end) = cn_minor_units(chars, at + len);
        return (value + minor, Some(currency), minor_end);
    }
    if matches!(chars.get(end), Some('毛' | '角')) {
        let (cents, cents_end) = cn_cents(chars, end + 1);
        return (value / 10.0 + cents, Some("CNY"), cents_end);
    }
    let words = words_after(chars, end, 4);
    let word = |k: usize| words.get(k).map(|(w, _)| w.as_str());
    if let Some(currency) = word(0).and_then(en_currency) {
        // "twenty dollars and fifty cents", "twenty dollars fifty".
        let skip_and = usize::from(word(1) == Some("and"));
        let cents_from = words.get(skip_and).map_or(end, |(_, e)| *e);
        let cents_at = skip_spaces(chars, cents_from);
        if cents_at < chars.len() {
            if let Some((cents, cents_end)) = number_at(chars, cents_at)
                .filter(|&(c, _)| (1.0..100.0).contains(&c) && c.fract() == 0.0)
            {
                let rest = words_after(chars, cents_end, 1);
                let cents_end = match rest.first() {
                    Some((w, e)) if w == "cents" || w == "cent" => *e,
                    _ => cents_end,
                };
                return (value + cents / 100.0, Some(currency), cents_end);
            }
        }
        return (value, Some(currency), words[0].1);
    }
    if let Some("cents" | "cent") = word(0) {
        return (value / 100.0, Some("USD"), words[0].1);
    }
    (value, None, end)
}

/// After 块/元: 五 (角), 五毛, 五角二分, 零五分.
fn cn_minor_units(chars: &[char], i: usize) -> (f64, usize) {
    let digit = |k: usize| chars.get(k).and_then(|&c| cn_or_ascii_digit(c));
    match digit(i) {
        // 零五分: no 角, five 分.
        Some(0) => match (digit(i + 1), chars.get(i + 2)) {
            (Some(d), Some('分')) => (f64::from(d) / 100.0, i + 3),
            _ => (0.0, i + 1),
        },
        Some(d) => {
            let tenths = f64::from(d) / 10.0;
            if matches!(chars.get(i + 1), Some('毛' | '角')) {
                let (cents, end) = cn_cents(chars, i + 2);
                (tenths + cents, end)
            } else {
                (tenths, i + 1)
            }
        }
        None => (0.0, i),
    }
}

/// The 分 after 角/毛: 二 or 二分.
fn cn_cents(chars: &[char], i: usize) -> (f64, usize) {
    match chars.get(i).and_then(|&c| cn_or_ascii_digit(c)) {
        Some(d) => {
            let end = i + 1 + usize::from(chars.get(i + 1) == Some(&'分'));
            (f64::from(d) / 100.0, end)
        }
        None => (0.0, i),
    }
}

fn cn_or_ascii_digit(c: char) -> Option<u32> {
    cn_number_digit(c).or_else(|| c.to_digit(10))
}

/// Whether the number ending at `end` counts things rather than money: 2件, 3个, "2 items".
fn counts_things(chars: &[char], end: usize) -> bool {
    static CN_COUNTS: Phrases<()> = Phrases::new(&[
        ("个", ()),
        ("件", ()),
        ("次", ()),
        ("天", ()),
        ("号", ()),
        ("月", ()),
        ("年", ()),
        ("日", ()),
        ("岁", ()),
        ("瓶", ()),
        ("箱", ()),
        ("台", ()),
        ("单", ()),
        ("份", ()),
        ("双", ()),
        ("点", ()),
        ("小时", ()),
        ("分钟", ()),
        ("周", ()),
        ("星期", ()),
        ("%", ()),
    ]);
    let at = skip_spaces(chars, end);
    if CN_COUNTS.longest(&chars[at.min(chars.len())..]).is_some() {
        return true;
    }
    let (word, _) = word_at(chars, at);
    matches!(
        word.as_str(),
        "item"
            | "items"
            | "piece"
            | "pieces"
            | "times"
            | "day"
            | "days"
            | "orders"
            | "order"
            | "percent"
            | "pm"
            | "am"
            | "oclock"
            | "st"
            | "nd"
            | "rd"
            | "th"
            | "kg"
            | "boxes"
    )
}

/// Whether an English number is followed by another that does not add to it: "one
/// twenty-five", "nineteen ninety-nine".
fn english_pair(chars: &[char], start: usize, end: usize) -> bool {
    if !chars[start].is_ascii_alphabetic() {
        return false;
    }
    let next = words_after(chars, end, 1);
    next.first().is_some_and(|(w, _)| {
        en_tens(w).is_some() || number_at(&w.chars().collect::<Vec<_>>(), 0).is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value and currency expected for a phrasing.
    type Expected<'a> = Option<(f64, Option<&'a str>)>;

    fn check(cases: &[(&str, Expected<'_>)]) {
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|&(text, want)| {
                let got = parse_amount(text).map(|a| (a.value, a.currency));
                (got != want).then(|| format!("{text:?}: got {got:?}, want {want:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    const CNY: Option<&str> = Some("CNY");
    const USD: Option<&str> = Some("USD");

    #[test]
    fn chinese_amounts() {
        check(&[
            ("一百二十块五", Some((120.5, CNY))),
            ("一百二十元五角", Some((120.5, CNY))),
            ("120块", Some((120.0, CNY))),
            ("两百", Some((200.0, None))),
            ("两百块钱", Some((200.0, CNY))),
            ("1.5万", Some((15_000.0, None))),
            ("1.5万元", Some((15_000.0, CNY))),
            ("¥120.5", Some((120.5, CNY))),
            ("￥99", Some((99.0, CNY))),
            ("１２０元", Some((120.0, CNY))),
            ("120.50元", Some((120.5, CNY))),
            ("三块五", Some((3.5, CNY))),
            ("三块五毛二", Some((3.52, CNY))),
            ("十块八毛", Some((10.8, CNY))),
            ("九十九块九毛九", Some((99.99, CNY))),
            ("五毛", Some((0.5, CNY))),
            ("两毛五", Some((0.25, CNY))),
            ("一块零五分", Some((1.05, CNY))),
            ("99块9", Some((99.9, CNY))),
            ("一千二百元人民币", Some((1200.0, CNY))),
            ("三千五", Some((3500.0, None))),
            ("一万二", Some((12_000.0, None))),
            ("退我一百二十块五就行", Some((120.5, CNY))),
            ("大概两百多块", Some((200.0, None))),
            ("买了2件，一共120块", Some((120.0, CNY))),
            ("50美元", Some((50.0, USD))),
            ("二十美金", Some((20.0, USD))),
            ("100欧元", Some((100.0, Some("EUR")))),
            ("三百港币", Some((300.0, Some("HKD")))),
            ("不是一百，是两百块", Some((200.0, CNY))),
            ("七十五块钱左右", Some((75.0, CNY))),
            ("一千块", Some((1000.0, CNY))),
            ("两千五百块", Some((2500.0, CNY))),
            ("三十块零五分", Some((30.05, CNY))),
        ]);
    }

    #[test]
    fn english_amounts() {
        check(&[
            ("a hundred and twenty", Some((120.0, None))),
            ("120 dollars", Some((120.0, USD))),
            ("$19.99", Some((19.99, USD))),
            ("$ 20", Some((20.0, USD))),
            ("twenty bucks", Some((20.0, USD))),
            ("twenty dollars and fifty cents", Some((20.5, USD))),
            ("twenty dollars fifty", Some((20.5, USD))),
            ("5 dollars 50 cents", Some((5.5, USD))),
            ("fifty cents", Some((0.5, USD))),
            ("one hundred", Some((100.0, None))),
            ("a thousand dollars", Some((1000.0, USD))),
            ("1,299.00", Some((1299.0, None))),
            ("It was about 45 dollars", Some((45.0, USD))),
            ("I paid $120.50 for it", Some((120.5, USD))),
            ("RMB 300", Some((300.0, CNY))),
            ("300 yuan", Some((300.0, CNY))),
            ("€15", Some((15.0, Some("EUR")))),
            ("£7.50", Some((7.5, Some("GBP")))),
            ("ten pounds", Some((10.0, Some("GBP")))),
            ("2 items for 30 dollars", Some((30.0, USD))),
            ("seventy five", Some((75.0, None))),
            ("5k", Some((5000.0, None))),
            ("not 20, 30 dollars", Some((30.0, USD))),
            ("$5", Some((5.0, USD))),
            ("USD 40", Some((40.0, USD))),
            ("forty-five dollars", Some((45.0, USD))),
            ("two hundred and fifty bucks", Some((250.0, USD))),
            ("about 60 bucks I think", Some((60.0, USD))),
            ("99.99", Some((99.99, None))),
            ("the refund should be 35 euros", Some((35.0, Some("EUR")))),
        ]);
    }

    #[test]
    fn no_amounts() {
        check(&[
            ("", None),
            ("不知道", None),
            ("多少钱", None),
            ("不是一百", None),
            ("没有钱", None),
            ("我买了两件", None),
            ("负五块", None),
            ("-5", None),
            ("hello", None),
            ("one twenty-five", None),
            ("nineteen ninety nine", None),
            ("not twenty dollars", None),
            ("I don't know", None),
            ("3 items", None),
        ]);
    }

    proptest::proptest! {
        #[test]
        fn amounts_never_panic(text in "\\PC{0,24}") {
            if let Some(amount) = parse_amount(&text) {
                proptest::prop_assert!(amount.value.is_finite() && amount.value >= 0.0);
            }
        }

        #[test]
        fn money_words_never_panic(
            text in "[0-9零一二两三四五六七八九十百千万点块元角毛分钱¥$.,， a-z]{0,20}",
        ) {
            if let Some(amount) = parse_amount(&text) {
                proptest::prop_assert!(amount.value.is_finite() && amount.value >= 0.0, "{text}");
            }
        }
    }
}
