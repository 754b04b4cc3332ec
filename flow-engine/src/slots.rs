//! Slot values from speech or keys: digits, numbers, phone numbers, yes/no, in Chinese and
//! English.
//!
//! Every parser first folds full-width characters to half-width and lowercases, so text from a
//! Chinese IME ("１３８", "ＹＥＳ") parses like ASCII. The parsers are deliberately forgiving
//! about the words around a value — speech recognisers return whole sentences — and return
//! `None` rather than guess when the text holds no value.

use crate::text::{fold_width, is_cjk};

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
    longest_run(text).map(|r| r.digits)
}

/// A number: "七十五" → 75, "两百" → 200, "twenty one" → 21, "8.5" → 8.5, "十分" → 10.
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

/// Yes or no: 是/对/好的/可以/嗯 … → true; 不是/不用/不要/不对 … → false.
///
/// Negation wins: when the text holds any negative word, the answer is no, so "是的，不用了"
/// and "no, that's not right" are false even though they hold a positive word. The longest
/// word is matched first, so 不是 is a negative rather than 不 + 是, a few negated phrases are
/// positive (没问题, 没错, 不错, "no problem"), and words that merely contain an answer
/// character are neutral (你好, 银行, 但是, 特别, 不好意思, "yesterday"). Doubt (不知道, 不确定,
/// "not sure", "maybe") outweighs a yes ("嗯……不清楚" is `None`) but not a no. A keypad answer
/// "1" means yes and "2" means no, the usual IVR convention. `None` when unclear.
pub fn parse_yes_no(text: &str) -> Option<bool> {
    let chars = fold(text);
    let trimmed: String = chars.iter().filter(|c| !c.is_whitespace()).collect();
    match trimmed.as_str() {
        "1" => return Some(true),
        "2" => return Some(false),
        _ => {}
    }
    // A question mark means the caller is asking, not answering.
    let asks = chars.iter().any(|c| matches!(c, '?' | '？'));
    let (mut yes, mut no, mut unsure) = (false, false, asks);
    let mut note = |answer: Answer| match answer {
        Answer::Yes => yes = true,
        Answer::No => no = true,
        Answer::Unsure => unsure = true,
        Answer::Neutral => {}
    };
    for segment in segments(&chars) {
        match segment {
            Segment::Cjk(run) => {
                let mut i = 0;
                while i < run.len() {
                    match longest_phrase(&run[i..], CN_YES_NO) {
                        Some((len, polarity)) => {
                            note(polarity);
                            i += len;
                        }
                        None => i += 1,
                    }
                }
            }
            Segment::Words(words) => {
                let mut i = 0;
                while i < words.len() {
                    match longest_word_phrase(&words[i..], EN_YES_NO) {
                        Some((len, polarity)) => {
                            note(polarity);
                            i += len;
                        }
                        None => i += 1,
                    }
                }
            }
        }
    }
    if no {
        Some(false)
    } else if yes && !unsure {
        Some(true)
    } else {
        None
    }
}

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

/// A single keypad key from speech or keys: "一" / "one" / "1" → '1', "井号" → '#'.
///
/// Accepts one key among filler words: "按1", "按一", "我选三", "第一个" → '1', "press two",
/// "option 3"; "星号"/"星"/"star"/"asterisk"/"*" → '*', "井号"/"井"/"pound"/"hash"/"#" →
/// '#'. `None` for anything else, including several keys ("12") and words that are not filler.
pub fn parse_key(text: &str) -> Option<char> {
    let chars = fold(text);
    let mut key = None;
    let mut take = |k: char| -> Option<()> {
        if key.is_some() {
            return None;
        }
        key = Some(k);
        Some(())
    };
    for segment in segments_with_symbols(&chars) {
        match segment {
            KeySegment::Cjk(run) => {
                let mut i = 0;
                while i < run.len() {
                    let (len, k) = longest_phrase(&run[i..], CN_KEYS)?;
                    if let Some(k) = k {
                        take(k)?;
                    }
                    i += len;
                }
            }
            KeySegment::Word(word) => {
                if let Some(k) = key_word(&word)? {
                    take(k)?;
                }
            }
            KeySegment::Symbol(k) => take(k)?,
        }
    }
    key
}

// ---------------------------------------------------------------------------------------------
// Shared text handling

fn fold(text: &str) -> Vec<char> {
    text.chars()
        .map(fold_width)
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_cn_mobile(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && digits.is_ascii()
}

/// A Chinese digit character's value (spoken forms included: 幺 for 1, 洞 for 0).
fn cn_digit(c: char) -> Option<u32> {
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

fn en_digit(word: &str) -> Option<u32> {
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

/// The longest phrase of `lexicon` at the start of `run`: its length and value.
fn longest_phrase<T: Copy>(run: &[char], lexicon: &[(&str, T)]) -> Option<(usize, T)> {
    let mut best: Option<(usize, T)> = None;
    for &(phrase, value) in lexicon {
        let len = phrase.chars().count();
        if len <= run.len()
            && best.is_none_or(|(l, _)| len > l)
            && phrase.chars().zip(run).all(|(a, &b)| a == b)
        {
            best = Some((len, value));
        }
    }
    best
}

/// The longest phrase of `lexicon` (words separated by single spaces) at the start of `words`.
fn longest_word_phrase<T: Copy>(words: &[String], lexicon: &[(&str, T)]) -> Option<(usize, T)> {
    let mut best: Option<(usize, T)> = None;
    for &(phrase, value) in lexicon {
        let len = phrase.split(' ').count();
        if len <= words.len()
            && best.is_none_or(|(l, _)| len > l)
            && phrase.split(' ').zip(words).all(|(a, b)| a == b)
        {
            best = Some((len, value));
        }
    }
    best
}

// ---------------------------------------------------------------------------------------------
// Digits

#[derive(Debug)]
struct DigitRun {
    digits: String,
    /// A `+` came right before the run.
    plus: bool,
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

fn longest_run(text: &str) -> Option<DigitRun> {
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

// ---------------------------------------------------------------------------------------------
// Numbers

fn strip_leading_units(run: &[char]) -> &[char] {
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
fn number_at(chars: &[char], i: usize) -> Option<(f64, usize)> {
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

fn starts_with(chars: &[char], i: usize, word: &str) -> bool {
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
fn cn_integer(run: &[char]) -> Option<f64> {
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

fn word_at(chars: &[char], i: usize) -> (String, usize) {
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

fn en_tens(word: &str) -> Option<f64> {
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

// ---------------------------------------------------------------------------------------------
// Yes / no

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Yes,
    No,
    /// Doubt outweighs a yes ("嗯……不清楚") but not a no.
    Unsure,
    /// Words that only look like answers (你好, 银行).
    Neutral,
}

/// Chinese answer words.
const CN_YES_NO: &[(&str, Answer)] = &[
    ("是", Answer::Yes),
    ("对", Answer::Yes),
    ("好", Answer::Yes),
    ("行", Answer::Yes),
    ("嗯", Answer::Yes),
    ("恩", Answer::Yes),
    ("要", Answer::Yes),
    ("可以", Answer::Yes),
    ("需要", Answer::Yes),
    ("想要", Answer::Yes),
    ("没问题", Answer::Yes),
    ("没有问题", Answer::Yes),
    ("当然", Answer::Yes),
    ("确定", Answer::Yes),
    ("确认", Answer::Yes),
    ("没错", Answer::Yes),
    ("正确", Answer::Yes),
    ("同意", Answer::Yes),
    ("愿意", Answer::Yes),
    ("肯定", Answer::Yes),
    ("不错", Answer::Yes),
    ("继续", Answer::Yes),
    ("不", Answer::No),
    ("没", Answer::No),
    ("否", Answer::No),
    ("别", Answer::No),
    ("甭", Answer::No),
    ("算了", Answer::No),
    ("拒绝", Answer::No),
    ("取消", Answer::No),
    ("错了", Answer::No),
    ("没有", Answer::No),
    ("没必要", Answer::No),
    // Neutral look-alikes.
    ("你好", Answer::Neutral),
    ("您好", Answer::Neutral),
    ("好像", Answer::Neutral),
    ("好多", Answer::Neutral),
    ("好几", Answer::Neutral),
    ("好久", Answer::Neutral),
    ("最好", Answer::Neutral),
    ("银行", Answer::Neutral),
    ("行李", Answer::Neutral),
    ("进行", Answer::Neutral),
    ("执行", Answer::Neutral),
    ("旅行", Answer::Neutral),
    ("行程", Answer::Neutral),
    ("对不起", Answer::Neutral),
    ("对方", Answer::Neutral),
    ("对面", Answer::Neutral),
    ("对于", Answer::Neutral),
    ("核对", Answer::Neutral),
    ("重要", Answer::Neutral),
    ("主要", Answer::Neutral),
    ("要求", Answer::Neutral),
    ("只要", Answer::Neutral),
    ("要是", Answer::Neutral),
    ("要不", Answer::Neutral),
    ("要不要", Answer::Neutral),
    ("是否", Answer::Neutral),
    ("是不是", Answer::Neutral),
    ("但是", Answer::Neutral),
    ("还是", Answer::Neutral),
    ("可是", Answer::Neutral),
    ("只是", Answer::Neutral),
    ("于是", Answer::Neutral),
    ("总是", Answer::Neutral),
    ("否则", Answer::Neutral),
    ("别的", Answer::Neutral),
    ("别人", Answer::Neutral),
    ("特别", Answer::Neutral),
    ("区别", Answer::Neutral),
    ("分别", Answer::Neutral),
    ("识别", Answer::Neutral),
    ("级别", Answer::Neutral),
    ("类别", Answer::Neutral),
    ("差别", Answer::Neutral),
    ("性别", Answer::Neutral),
    ("不好意思", Answer::Neutral),
    ("不知道", Answer::Unsure),
    ("不清楚", Answer::Unsure),
    ("不确定", Answer::Unsure),
    ("不一定", Answer::Unsure),
    ("不客气", Answer::Neutral),
    ("不过", Answer::Neutral),
    ("不管", Answer::Neutral),
    ("不仅", Answer::Neutral),
    ("不同", Answer::Neutral),
    ("不少", Answer::Neutral),
    ("差不多", Answer::Neutral),
    ("好不好", Answer::Neutral),
    ("行不行", Answer::Neutral),
    ("对不对", Answer::Neutral),
    ("可不可以", Answer::Neutral),
    ("要不然", Answer::Neutral),
    ("没关系", Answer::Neutral),
    // "你是谁", "这是哪里": 是 as a verb, not an answer.
    ("你是", Answer::Neutral),
    ("您是", Answer::Neutral),
    ("我是", Answer::Neutral),
    ("这是", Answer::Neutral),
    ("那是", Answer::Neutral),
    ("他是", Answer::Neutral),
    ("她是", Answer::Neutral),
    ("就是", Answer::Neutral),
    // A caller who asks back has not answered yet.
    ("谁", Answer::Unsure),
    ("什么", Answer::Unsure),
    ("哪", Answer::Unsure),
    ("为什么", Answer::Unsure),
    ("为啥", Answer::Unsure),
    ("怎么", Answer::Unsure),
    ("多少", Answer::Unsure),
    ("吗", Answer::Unsure),
];

/// English answer words, apostrophes removed.
const EN_YES_NO: &[(&str, Answer)] = &[
    ("yes", Answer::Yes),
    ("yeah", Answer::Yes),
    ("yea", Answer::Yes),
    ("yep", Answer::Yes),
    ("yup", Answer::Yes),
    ("ya", Answer::Yes),
    ("sure", Answer::Yes),
    ("ok", Answer::Yes),
    ("okay", Answer::Yes),
    ("okey", Answer::Yes),
    ("alright", Answer::Yes),
    ("correct", Answer::Yes),
    ("right", Answer::Yes),
    ("absolutely", Answer::Yes),
    ("definitely", Answer::Yes),
    ("certainly", Answer::Yes),
    ("affirmative", Answer::Yes),
    ("indeed", Answer::Yes),
    ("fine", Answer::Yes),
    ("please", Answer::Yes),
    ("please do", Answer::Yes),
    ("of course", Answer::Yes),
    ("go ahead", Answer::Yes),
    ("sounds good", Answer::Yes),
    ("i do", Answer::Yes),
    ("no problem", Answer::Yes),
    ("not a problem", Answer::Yes),
    ("no worries", Answer::Yes),
    ("not bad", Answer::Yes),
    ("why not", Answer::Yes),
    ("no", Answer::No),
    ("nope", Answer::No),
    ("nah", Answer::No),
    ("not", Answer::No),
    ("never", Answer::No),
    ("negative", Answer::No),
    ("incorrect", Answer::No),
    ("wrong", Answer::No),
    ("cancel", Answer::No),
    ("dont", Answer::No),
    ("doesnt", Answer::No),
    ("didnt", Answer::No),
    ("isnt", Answer::No),
    ("arent", Answer::No),
    ("wasnt", Answer::No),
    ("wont", Answer::No),
    ("cant", Answer::No),
    ("cannot", Answer::No),
    ("no thanks", Answer::No),
    ("no thank you", Answer::No),
    ("never mind", Answer::No),
    ("nevermind", Answer::No),
    // Unsure, or not an answer.
    ("not sure", Answer::Unsure),
    ("im not sure", Answer::Unsure),
    ("no idea", Answer::Unsure),
    ("dont know", Answer::Unsure),
    ("i dont know", Answer::Unsure),
    ("dunno", Answer::Unsure),
    ("maybe", Answer::Unsure),
    ("perhaps", Answer::Unsure),
    ("right now", Answer::Neutral),
];

// ---------------------------------------------------------------------------------------------
// Keys

enum KeySegment {
    Cjk(Vec<char>),
    Word(String),
    Symbol(char),
}

fn segments_with_symbols(chars: &[char]) -> Vec<KeySegment> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            out.push(KeySegment::Cjk(chars[start..i].to_vec()));
        } else if c.is_ascii_alphanumeric() {
            // Digits stand alone ("按1" and "12" are one and two keys); letters form words.
            let start = i;
            if c.is_ascii_digit() {
                i += 1;
            } else {
                while i < chars.len() && chars[i].is_ascii_alphabetic() {
                    i += 1;
                }
            }
            out.push(KeySegment::Word(chars[start..i].iter().collect()));
        } else if matches!(c, '*' | '#') {
            out.push(KeySegment::Symbol(c));
            i += 1;
        } else if matches!(c, '\'' | '\u{2019}') {
            i += 1;
        } else if c.is_alphanumeric() {
            // Another script's letters cannot be a key or filler.
            out.push(KeySegment::Word(c.to_string()));
            i += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Chinese key words and fillers: `Some(key)` or `None` for filler; anything else is not a key.
const CN_KEYS: &[(&str, Option<char>)] = &[
    ("零", Some('0')),
    ("〇", Some('0')),
    ("洞", Some('0')),
    ("一", Some('1')),
    ("幺", Some('1')),
    ("二", Some('2')),
    ("两", Some('2')),
    ("三", Some('3')),
    ("四", Some('4')),
    ("五", Some('5')),
    ("六", Some('6')),
    ("七", Some('7')),
    ("八", Some('8')),
    ("九", Some('9')),
    ("星", Some('*')),
    ("星号", Some('*')),
    ("米字", Some('*')),
    ("米字号", Some('*')),
    ("井", Some('#')),
    ("井号", Some('#')),
    ("井字", Some('#')),
    ("井字号", Some('#')),
    ("请", None),
    ("我", None),
    ("要", None),
    ("想", None),
    ("按", None),
    ("下", None),
    ("一下", None),
    ("键", None),
    ("选", None),
    ("择", None),
    ("就", None),
    ("吧", None),
    ("了", None),
    ("的", None),
    ("第", None),
    ("个", None),
    ("项", None),
    ("号", None),
    ("是", None),
    ("那", None),
    ("嗯", None),
    ("呃", None),
    ("啊", None),
    ("输", None),
    ("入", None),
    ("拨", None),
    ("打", None),
    ("数", None),
    ("字", None),
    ("好", None),
];

/// An English key word: `Some(Some(key))`, `Some(None)` for filler, `None` for other words.
fn key_word(word: &str) -> Option<Option<char>> {
    if let Some(d) = en_digit(word) {
        return char::from_digit(d, 10).map(Some);
    }
    if word.len() == 1 && word.as_bytes()[0].is_ascii_digit() {
        return word.chars().next().map(Some);
    }
    match word {
        "star" | "asterisk" => Some(Some('*')),
        "pound" | "hash" | "hashtag" | "sharp" => Some(Some('#')),
        "press" | "push" | "hit" | "dial" | "enter" | "key" | "button" | "number" | "option"
        | "choice" | "choose" | "select" | "pick" | "digit" | "the" | "i" | "ill" | "id"
        | "want" | "to" | "please" | "um" | "uh" | "ok" | "okay" | "let" | "me" | "go" | "with"
        | "for" | "it" | "is" | "its" | "just" | "on" | "sign" | "like" | "would" => Some(None),
        _ => None,
    }
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

    #[test]
    fn yes_no_chinese() {
        for text in [
            "是",
            "是的",
            "对",
            "对的",
            "好",
            "好的",
            "可以",
            "行",
            "嗯",
            "嗯嗯",
            "要",
            "需要",
            "没问题",
            "当然",
            "确定",
            "没错",
            "好的，谢谢",
            "你好，是的",
            "是的，但是要快点",
            "没有问题",
            "对对对",
            "行吧",
        ] {
            assert_eq!(parse_yes_no(text), Some(true), "{text}");
        }
        for text in [
            "不是",
            "不对",
            "不用",
            "不要",
            "不需要",
            "不行",
            "没有",
            "否",
            "算了",
            "别",
            "不用了谢谢",
            "不用了，谢谢",
            "是的，不用了",
            "好的不要了",
            "不",
            "不太需要",
            "别了",
            "当然不",
            "不可以",
        ] {
            assert_eq!(parse_yes_no(text), Some(false), "{text}");
        }
        for text in [
            "",
            "你好",
            "不知道",
            "我不确定",
            "银行卡",
            "不好意思",
            "嗯……不清楚",
            "转人工",
            "是不是",
            "你是谁啊",
            "这是哪里",
            "你是哪个公司的",
            "是什么优惠券",
            "你是机器人吗",
            "是吗",
            "可以吗？",
            "我是张伟",
        ] {
            assert_eq!(parse_yes_no(text), None, "{text}");
        }
    }

    #[test]
    fn yes_no_english() {
        for text in [
            "yes",
            "Yeah",
            "yep",
            "sure",
            "OK",
            "okay",
            "correct",
            "right",
            "please do",
            "Yes, please.",
            "of course",
            "no problem",
            "that's right",
            "ＹＥＳ",
        ] {
            assert_eq!(parse_yes_no(text), Some(true), "{text}");
        }
        for text in [
            "no",
            "nope",
            "not",
            "don't",
            "no thanks",
            "never",
            "no, that's not right",
            "No thank you.",
            "I don't want it",
            "that is not correct",
            "yes no",
        ] {
            assert_eq!(parse_yes_no(text), Some(false), "{text}");
        }
        for text in [
            "",
            "hello",
            "I don't know",
            "not sure",
            "maybe",
            "yesterday",
            "know",
        ] {
            assert_eq!(parse_yes_no(text), None, "{text}");
        }
    }

    #[test]
    fn yes_no_keys() {
        assert_eq!(parse_yes_no("1"), Some(true));
        assert_eq!(parse_yes_no(" 2 "), Some(false));
        assert_eq!(parse_yes_no("１"), Some(true));
        assert_eq!(parse_yes_no("3"), None);
        assert_eq!(parse_yes_no("12"), None);
    }

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

    #[test]
    fn keys() {
        let cases = [
            ("1", '1'),
            ("一", '1'),
            ("幺", '1'),
            ("one", '1'),
            ("按1", '1'),
            ("按一", '1'),
            ("按键一", '1'),
            ("第一个", '1'),
            ("我选三", '3'),
            ("请按五号键", '5'),
            ("零", '0'),
            ("zero", '0'),
            ("press two", '2'),
            ("Option 3", '3'),
            ("星号", '*'),
            ("星", '*'),
            ("star", '*'),
            ("*", '*'),
            ("＊", '*'),
            ("井号", '#'),
            ("井号键", '#'),
            ("pound", '#'),
            ("hash", '#'),
            ("#", '#'),
            ("＃", '#'),
            ("９", '9'),
            ("按一下五", '5'),
        ];
        for (text, want) in cases {
            assert_eq!(parse_key(text), Some(want), "{text}");
        }
        for text in [
            "",
            "12",
            "一二",
            "十",
            "ten",
            "hello",
            "按",
            "不按",
            "1 or 2",
            "转人工",
            "#1",
            "ß",
            "the first",
        ] {
            assert_eq!(parse_key(text), None, "{text}");
        }
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
