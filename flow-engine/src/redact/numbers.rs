//! Personal numbers in a text, written or spoken: mobile and landline numbers, ID numbers and
//! bank cards, as digits ("138 1234 5678"), Chinese digit words ("幺三八…", mixed with digits)
//! or English ones as speech recognition writes them ("one three eight", "oh", "double five").
//!
//! A text is read into groups of digits, each with where it lies in the text. Groups joined
//! only by spaces, dashes, dots, commas or brackets form a run, since people and recognisers
//! break a number up as they like ("138-1234-5678", "幺三八，一二三四，五六七八"); in a run, the
//! longest stretch of whole groups that is a personal number is one. A group is never cut:
//! the 11 digits inside a 20-digit order number are not a phone number.

use super::checks::{id_number, luhn};
use super::{Kind, Span};
use crate::slots::{cn_digit, en_digit};
use crate::text::fold_width;

/// The most digits a personal number has: a card of 19, or a mobile with 0086 before it.
const MAX_DIGITS: usize = 19;

/// Digits written together, and where they lie in the text (byte offsets).
#[derive(Debug)]
struct Group {
    digits: String,
    start: usize,
    end: usize,
    /// Where a `+` right before it starts.
    plus: Option<usize>,
    /// Where an opening bracket right before it starts ("(010) 8765 4321").
    bracket: Option<usize>,
}

#[derive(Debug)]
enum Piece {
    Digits {
        digits: String,
        start: usize,
        end: usize,
    },
    /// "oh"/"o": a zero only beside real digits ("oh, I see" has none).
    WeakZero {
        start: usize,
        end: usize,
    },
    /// "double"/"triple": the next digit, repeated.
    Repeat {
        times: usize,
        start: usize,
    },
    /// The ID number's check character: an `X` right after digits.
    Check {
        end: usize,
    },
    Plus {
        start: usize,
    },
    /// An opening bracket: a separator that belongs to the number after it.
    Bracket {
        start: usize,
    },
    /// Space, dash, dot, comma or bracket: may sit inside a number.
    Separator,
    /// Anything else ends a run.
    Break,
}

/// Personal numbers of the kinds `wanted` in `text`, outside the byte ranges `taken`
/// (e-mail addresses, which may hold digits). In text order, never overlapping.
pub(super) fn find(text: &str, wanted: impl Fn(Kind) -> bool, taken: &[Span]) -> Vec<Span> {
    let mut found = Vec::new();
    for run in runs(&pieces(text, taken)) {
        let mut i = 0;
        while i < run.len() {
            match longest_number(text, &run[i..], &wanted) {
                Some((groups, span)) => {
                    found.push(span);
                    i += groups;
                }
                None => i += 1,
            }
        }
    }
    found
}

/// The longest personal number made of whole groups from the start of `run`, and how many
/// groups it takes.
fn longest_number(
    text: &str,
    run: &[Group],
    wanted: &impl Fn(Kind) -> bool,
) -> Option<(usize, Span)> {
    let mut digits = String::new();
    let mut best = None;
    for (n, group) in run.iter().enumerate() {
        digits.push_str(&group.digits);
        if digits.len() > MAX_DIGITS + 1 {
            break;
        }
        let Some((kind, international)) = classify(&digits, run[0].plus.is_some()) else {
            continue;
        };
        let start = match (international, run[0].plus) {
            (true, Some(plus)) => plus,
            _ => run[0].bracket.unwrap_or(run[0].start),
        };
        if wanted(kind) && !(kind.may_be_an_order_number() && after_order_words(text, start)) {
            best = Some((
                n + 1,
                Span {
                    start,
                    end: group.end,
                    kind,
                },
            ));
        }
    }
    best
}

/// What kind of personal number `digits` is, and whether it was written with its country
/// code. `plus`: a `+` came before it.
fn classify(digits: &str, plus: bool) -> Option<(Kind, bool)> {
    let national = digits.strip_prefix("0086").or_else(|| {
        digits
            .strip_prefix("86")
            .filter(|rest| plus || rest.len() == 11)
    });
    if let Some(national) = national {
        if is_mobile(national) {
            return Some((Kind::Mobile, true));
        }
    }
    if is_mobile(digits) {
        return Some((Kind::Mobile, false));
    }
    if is_landline(digits) {
        return Some((Kind::Landline, false));
    }
    if id_number(digits) {
        return Some((Kind::IdNumber, false));
    }
    if (16..=19).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && matches!(digits.as_bytes()[0], b'3'..=b'6' | b'9')
        && luhn(digits)
    {
        return Some((Kind::BankCard, false));
    }
    None
}

/// A mainland mobile number: 11 digits, 13x to 19x.
fn is_mobile(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && all_digits(b)
}

/// A mainland landline with its area code: 010 and 02x take 8 digits after them, the
/// four-digit codes (0311, 0755…) 7 or 8.
fn is_landline(digits: &str) -> bool {
    let b = digits.as_bytes();
    if !all_digits(b) || b.first() != Some(&b'0') {
        return false;
    }
    match b.get(1) {
        Some(b'1' | b'2') => b.len() == 11,
        Some(b'3'..=b'9') => (11..=12).contains(&b.len()),
        _ => false,
    }
}

fn all_digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

/// Words that name the number after them as an order's or a parcel's, so that a long number
/// which happens to pass a card's or an ID's check is not taken for one.
const ORDER_WORDS: &[&str] = &[
    "订单",
    "单号",
    "运单",
    "快递",
    "物流",
    "发票",
    "流水号",
    "交易号",
    "order",
    "tracking",
    "parcel",
    "waybill",
    "invoice",
    "transaction",
];
/// Words that name a personal number; the nearer of these and an order word counts.
const PERSONAL_WORDS: &[&str] = &[
    "卡",
    "身份证",
    "证件",
    "电话",
    "手机",
    "座机",
    "card",
    "id",
    "phone",
    "mobile",
    "landline",
];

/// How far before a number its naming word is looked for, in characters: "the invoice number
/// is 0562…" names it 18 characters before.
const WORDS_BEFORE: usize = 24;

/// Whether the nearest naming word in the few characters before `start` is an order word.
fn after_order_words(text: &str, start: usize) -> bool {
    let before: String = text[..start]
        .chars()
        .rev()
        .take(WORDS_BEFORE)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let before = before.to_lowercase();
    let last = |words: &[&str]| words.iter().filter_map(|w| before.rfind(w)).max();
    match (last(ORDER_WORDS), last(PERSONAL_WORDS)) {
        (Some(order), Some(personal)) => order > personal,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The text read as pieces, skipping the ranges in `taken`.
fn pieces(text: &str, taken: &[Span]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if taken
            .iter()
            .any(|span| (span.start..span.end).contains(&at))
        {
            pieces.push(Piece::Break);
            continue;
        }
        let folded = fold_width(c);
        if folded.is_ascii_alphanumeric() {
            let mut end = at + c.len_utf8();
            let mut word = String::from(folded.to_ascii_lowercase());
            while let Some(&(next_at, next)) = chars.peek() {
                let next_folded = fold_width(next);
                if !next_folded.is_ascii_alphanumeric() {
                    break;
                }
                word.push(next_folded.to_ascii_lowercase());
                end = next_at + next.len_utf8();
                chars.next();
            }
            pieces.push(word_piece(&word, at, end));
        } else if let Some(d) = cn_digit(c) {
            pieces.push(Piece::Digits {
                digits: d.to_string(),
                start: at,
                end: at + c.len_utf8(),
            });
        } else if folded == '+' {
            pieces.push(Piece::Plus { start: at });
        } else if matches!(c, '(' | '（') {
            pieces.push(Piece::Bracket { start: at });
        } else if folded.is_whitespace()
            || matches!(
                folded,
                '-' | '–' | '—' | '.' | ',' | '、' | '。' | '，' | ')' | '）' | '·' | '_'
            )
        {
            pieces.push(Piece::Separator);
        } else {
            pieces.push(Piece::Break);
        }
    }
    pieces
}

/// A word of ASCII letters and digits (lowercased) as a piece.
fn word_piece(word: &str, start: usize, end: usize) -> Piece {
    let digits = |digits: String| Piece::Digits { digits, start, end };
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return digits(word.to_owned());
    }
    // The end of an ID number: digits and its X ("11010519491231002X", "… 002X").
    if let Some(number) = word.strip_suffix('x') {
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            return digits(word.to_uppercase());
        }
    }
    match word {
        "x" => Piece::Check { end },
        "oh" | "o" => Piece::WeakZero { start, end },
        "double" => Piece::Repeat { times: 2, start },
        "triple" => Piece::Repeat { times: 3, start },
        _ => match en_digit(word) {
            Some(d) => digits(d.to_string()),
            None => Piece::Break,
        },
    }
}

/// Groups of digits, in runs that only separators join.
fn runs(pieces: &[Piece]) -> Vec<Vec<Group>> {
    let mut runs = Vec::new();
    let mut run: Vec<Group> = Vec::new();
    let mut open: Option<Group> = None;
    let mut plus: Option<usize> = None;
    let mut bracket: Option<usize> = None;
    let mut repeat: Option<(usize, usize)> = None;
    let beside_digits = |i: usize| {
        let neighbour = |piece: Option<&Piece>| matches!(piece, Some(Piece::Digits { .. }));
        let before = pieces[..i]
            .iter()
            .rev()
            .find(|p| !matches!(p, Piece::Separator));
        let after = pieces[i + 1..]
            .iter()
            .find(|p| !matches!(p, Piece::Separator));
        neighbour(before) || neighbour(after)
    };
    for (i, piece) in pieces.iter().enumerate() {
        let (digits, start, end) = match piece {
            Piece::Digits { digits, start, end } => (digits.clone(), *start, *end),
            Piece::WeakZero { start, end } if beside_digits(i) => ("0".to_owned(), *start, *end),
            Piece::Check { end } => {
                // Only an ID number's 17 digits take an X; elsewhere it is a word.
                let total = digits_in(&run) + open.as_ref().map_or(0, |g| g.digits.len());
                match open.as_mut().or(run.last_mut()) {
                    Some(group) if total >= 17 => {
                        group.digits.push('X');
                        group.end = *end;
                    }
                    _ => {
                        close(&mut open, &mut run);
                        finish(&mut run, &mut runs);
                        plus = None;
                    }
                }
                continue;
            }
            Piece::Repeat { times, start } => {
                repeat = Some((*times, *start));
                continue;
            }
            Piece::Plus { start } => {
                close(&mut open, &mut run);
                plus = Some(*start);
                continue;
            }
            Piece::Bracket { start } => {
                close(&mut open, &mut run);
                bracket = Some(*start);
                continue;
            }
            Piece::Separator => {
                close(&mut open, &mut run);
                continue;
            }
            Piece::WeakZero { .. } | Piece::Break => {
                close(&mut open, &mut run);
                finish(&mut run, &mut runs);
                plus = None;
                bracket = None;
                repeat = None;
                continue;
            }
        };
        let (times, start) = match repeat.take() {
            Some((times, repeat_start)) => (times, repeat_start),
            None => (1, start),
        };
        let group = open.get_or_insert_with(|| Group {
            digits: String::new(),
            start,
            end,
            plus: plus.take(),
            bracket: bracket.take(),
        });
        for _ in 0..times {
            group.digits.push_str(&digits);
        }
        group.end = end;
    }
    close(&mut open, &mut run);
    finish(&mut run, &mut runs);
    runs
}

fn digits_in(run: &[Group]) -> usize {
    run.iter().map(|g| g.digits.len()).sum()
}

fn close(open: &mut Option<Group>, run: &mut Vec<Group>) {
    if let Some(group) = open.take() {
        run.push(group);
    }
}

fn finish(run: &mut Vec<Group>, runs: &mut Vec<Vec<Group>>) {
    if !run.is_empty() {
        runs.push(std::mem::take(run));
    }
}
