//! The emotion lexicon (`lexicon/zh.txt`, `lexicon/en.txt`, compiled in) and the matcher that
//! cuts one clause of caller text into lexicon terms and plain words.
//!
//! Chinese entries are found on the normalised characters, longest first, so a phrase jieba cuts
//! in pieces (气死|我|了, 说|了|多少|遍) is still one term. A one-character entry must start
//! where jieba starts a word (or where the previous entry ended) and, if it carries emotion,
//! end where a jieba word ends: 滚 is not found in 滚动; only the function entries that prefix
//! a word (太 in 太慢, 不 in 不想) may end inside one. Longer entries may start and end inside
//! a jieba word (see `match_cjk`); the words that contain one without its sense are shadowed
//! by `neutral` entries (垃圾桶 is not 垃圾). English entries are
//! sequences of Snowball stems, found word by word, longest first, so "complaints" matches
//! "complaint" and "how many times" is one term.
//!
//! The tables are built once per process (`OnceLock`) and keyed by an entry's first two
//! characters (its one character) or first stem, as `nlu/concepts.rs` keys by the first: a
//! clause costs two probes per position.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::text::{for_each_word, is_cjk, normalize, Words};
use rustc_hash::FxBuildHasher;

const ZH: &str = include_str!("lexicon/zh.txt");
const EN: &str = include_str!("lexicon/en.txt");

/// What a lexicon entry says about the caller (see the header of `lexicon/zh.txt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Category {
    Anger,
    Escalation,
    Exasperation,
    Negative,
    Positive,
    Intensifier,
    Negator,
    Intent,
    Inquiry,
    Contrast,
    Sarcasm,
    Neutral,
}

impl Category {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "anger" => Self::Anger,
            "escalation" => Self::Escalation,
            "exasperation" => Self::Exasperation,
            "negative" => Self::Negative,
            "positive" => Self::Positive,
            "intensifier" => Self::Intensifier,
            "negator" => Self::Negator,
            "intent" => Self::Intent,
            "inquiry" => Self::Inquiry,
            "contrast" => Self::Contrast,
            "sarcasm" => Self::Sarcasm,
            "neutral" => Self::Neutral,
            _ => return None,
        })
    }

    /// Function entries that modify what follows and may end inside a jieba word (太 in 太慢).
    fn is_prefix(self) -> bool {
        matches!(
            self,
            Self::Intensifier | Self::Negator | Self::Intent | Self::Contrast
        )
    }
}

/// One matched lexicon entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Term {
    pub category: Category,
    pub weight: f32,
    /// Found in Chinese text: negation and intensifiers reach fewer words there.
    pub cjk: bool,
}

/// A clause as the scorer sees it: lexicon terms and the plain words between them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Unit {
    Plain,
    Term(Term),
}

/// One line of a lexicon file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Line<'a> {
    pub entry: &'a str,
    pub category: Category,
    pub weight: f32,
}

/// The entries of a lexicon file; `Err` carries a line that is not `entry<TAB>category<TAB>weight`
/// (the tests require there be none; at run time such a line is skipped).
pub(super) fn parse(source: &str) -> impl Iterator<Item = Result<Line<'_>, &str>> {
    source
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut fields = line.split('\t');
            let (Some(entry), Some(category), Some(weight), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(line);
            };
            match (
                Category::parse(category.trim()),
                weight.trim().parse::<f32>(),
            ) {
                (Some(category), Ok(weight)) if !entry.trim().is_empty() && weight >= 0.0 => {
                    Ok(Line {
                        entry: entry.trim(),
                        category,
                        weight,
                    })
                }
                _ => Err(line),
            }
        })
}

/// Both lexicon files' lines.
pub(super) fn all_lines() -> impl Iterator<Item = Result<Line<'static>, &'static str>> {
    parse(ZH).chain(parse(EN))
}

/// A Chinese entry: its characters, what it is, and whether it has two characters or more
/// (decided once here rather than at every position of every clause that tries it).
struct CjkEntry {
    text: String,
    term: Term,
    long: bool,
}

struct Tables {
    /// Chinese entries of two characters or more by their first two, longest first: 不 alone
    /// starts sixty entries, and only those that go on like the text can match.
    by_pair: HashMap<(char, char), Vec<CjkEntry>, FxBuildHasher>,
    /// Chinese entries of one character, in the file's order.
    by_char: HashMap<char, Vec<CjkEntry>, FxBuildHasher>,
    /// Other entries by their first stem: (the entry's stems, what it is), longest first.
    by_word: HashMap<String, Vec<(Vec<String>, Term)>, FxBuildHasher>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables = Tables {
            by_pair: HashMap::default(),
            by_char: HashMap::default(),
            by_word: HashMap::default(),
        };
        for line in all_lines().flatten() {
            let normalized = normalize(line.entry);
            let cjk = normalized.chars().any(is_cjk);
            let term = Term {
                category: line.category,
                weight: line.weight,
                cjk,
            };
            if cjk {
                let mut chars = normalized.chars();
                match (chars.next(), chars.next()) {
                    (Some(first), Some(second)) => {
                        let entry = CjkEntry {
                            text: normalized,
                            term,
                            long: true,
                        };
                        tables
                            .by_pair
                            .entry((first, second))
                            .or_default()
                            .push(entry);
                    }
                    (Some(first), None) => {
                        let entry = CjkEntry {
                            text: normalized,
                            term,
                            long: false,
                        };
                        tables.by_char.entry(first).or_default().push(entry);
                    }
                    _ => {}
                }
            } else {
                let mut stems = Vec::new();
                for_each_word(&normalized, |w| stems.push(w.to_owned()));
                if let Some(first) = stems.first().cloned() {
                    tables.by_word.entry(first).or_default().push((stems, term));
                }
            }
        }
        // Longest first; among equally long entries the file's order (the sort is stable).
        for list in tables.by_pair.values_mut() {
            list.sort_by_key(|entry| std::cmp::Reverse(entry.text.len()));
        }
        for list in tables.by_word.values_mut() {
            list.sort_by_key(|(entry, _)| std::cmp::Reverse(entry.len()));
        }
        tables
    })
}

/// The units of one clause's normalised text, in order.
pub(super) fn units(normalized: &str) -> Vec<Unit> {
    units_from(|each| for_each_word(normalized, each))
}

/// [`units`] of a text already cut into words.
pub(super) fn units_of(words: &Words) -> Vec<Unit> {
    units_from(|each| words.iter().for_each(each))
}

/// The units of the words `for_each` hands over in text order.
fn units_from(for_each: impl FnOnce(&mut dyn FnMut(&str))) -> Vec<Unit> {
    let tables = tables();
    let mut out = Vec::with_capacity(8);
    // for_each_word hands over jieba words and English stems in text order; consecutive words
    // of one script are gathered and matched together.
    let mut cjk_run = String::with_capacity(64);
    let mut starts: Vec<usize> = Vec::with_capacity(16);
    let mut latin: Vec<String> = Vec::new();
    for_each(&mut |word| {
        if word.chars().next().is_some_and(is_cjk) {
            if !latin.is_empty() {
                match_latin(tables, &latin, &mut out);
                latin.clear();
            }
            starts.push(cjk_run.len());
            cjk_run.push_str(word);
        } else {
            if !cjk_run.is_empty() {
                match_cjk(tables, &cjk_run, &starts, &mut out);
                cjk_run.clear();
                starts.clear();
            }
            latin.push(word.to_owned());
        }
    });
    if !cjk_run.is_empty() {
        match_cjk(tables, &cjk_run, &starts, &mut out);
    }
    if !latin.is_empty() {
        match_latin(tables, &latin, &mut out);
    }
    out
}

/// Longest-match over a run of Chinese text whose jieba words start at `starts` (byte offsets).
///
/// An entry of one character must start and (if it carries emotion) end where jieba cuts, so
/// 滚 is not found in 滚动. An entry of two or more characters may also start or end inside a
/// jieba word: jieba glues a phrase's edge to its neighbour often enough (家靠|谱, 我信|你们,
/// 偏小穿) that requiring its cuts lost whole phrases; the few longer words that contain an
/// entry are shadowed by `neutral` entries (垃圾桶, 不好意思).
fn match_cjk(tables: &Tables, run: &str, starts: &[usize], out: &mut Vec<Unit>) {
    let is_boundary = |at: usize| at == run.len() || starts.binary_search(&at).is_ok();
    let mut at = 0;
    // Whether the jieba word `at` is in has already been given a plain unit, and whether `at`
    // is where the last entry ended (as good as a word start: 太|慢 in 太慢).
    let mut plain_word = false;
    let mut after_entry = false;
    while at < run.len() {
        let rest = &run[at..];
        let word_start = after_entry || is_boundary(at);
        let mut chars = rest.chars();
        let found = chars.next().and_then(|c| {
            // Every candidate starts with `c`: only what follows it is compared. The longer
            // entries come first, as a longest match wants: every one of them is longer than
            // an entry of `c` alone.
            let after = &rest.as_bytes()[c.len_utf8()..];
            let longer = chars
                .next()
                .and_then(|second| tables.by_pair.get(&(c, second)));
            let single = tables.by_char.get(&c);
            longer.into_iter().chain(single).flatten().find(|entry| {
                (word_start || entry.long)
                    && entry
                        .text
                        .as_bytes()
                        .get(c.len_utf8()..)
                        .is_some_and(|tail| after.starts_with(tail))
                    && (entry.long
                        || entry.term.category.is_prefix()
                        || is_boundary(at + entry.text.len()))
            })
        });
        match found {
            Some(entry) => {
                out.push(Unit::Term(entry.term));
                at += entry.text.len();
                plain_word = false;
                after_entry = true;
            }
            None => {
                // This character is plain; matching goes on at the next one, and the word
                // counts once as a plain unit.
                if is_boundary(at) || !plain_word {
                    out.push(Unit::Plain);
                }
                at += rest.chars().next().map_or(1, char::len_utf8);
                plain_word = !is_boundary(at);
                after_entry = false;
            }
        }
    }
}

/// Longest-match over a run of English stems.
fn match_latin(tables: &Tables, words: &[String], out: &mut Vec<Unit>) {
    let mut at = 0;
    while at < words.len() {
        let found = tables.by_word.get(&words[at]).and_then(|candidates| {
            candidates
                .iter()
                .find(|(entry, _)| words[at..].starts_with(entry))
        });
        match found {
            Some((entry, term)) => {
                out.push(Unit::Term(*term));
                at += entry.len().max(1);
            }
            None => {
                out.push(Unit::Plain);
                at += 1;
            }
        }
    }
}

/// The number of entries in each lexicon file, for the documentation and tests.
pub fn sizes() -> (usize, usize) {
    (parse(ZH).count(), parse(EN).count())
}
