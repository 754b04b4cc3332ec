//! What a classifier sees of a sentence: sparse, hashed features of five kinds, plus the units
//! used for verbatim matching and negation.
//!
//! * character n-grams of 1 to 4 characters over the normalised text, padded with a space at
//!   both ends so that beginnings and endings count ("查物流" gives " 查", "流 ");
//! * words (`text::words`: jieba for Chinese, Snowball stems for English) and word bigrams;
//! * for Chinese, toneless pinyin syllables and their bigrams and trigrams
//!   (`text::pinyin_units`), so that a recogniser's homophone (取肖 for 取消) still shares
//!   features with the example;
//! * shop concepts (`concepts.rs`): the groups of the curated e-commerce word list the text
//!   mentions, so 钱退回来 shares a feature with 退款; and each pair of them, since a request
//!   is often two concepts together (money + arrived is a refund's progress, money + taken
//!   twice a payment problem) where either alone belongs to several intents.
//!
//! Digit strings of 4 digits or more (order, phone, account numbers) all become `#`: they
//! identify things, not intents.
//!
//! Each feature carries a sublinear term frequency (`1 + ln tf`) times the weight of its kind;
//! a trained index then multiplies in the IDF and normalises the vector (see `index.rs`).
//! Hashes are FNV-1a then splitmix64, seeded per kind: stable across runs and platforms, so the
//! same flow trains the same model.

use super::concepts;
use crate::text::{for_each_pinyin_unit, is_cjk, normalize, stem, Words};

/// Digit strings this long are identifiers; they all map to one symbol.
const LONG_NUMBER: usize = 4;

/// Weights of the feature kinds, tuned on the tuning splits of the evaluation data
/// (`callflow nlu-eval --tune`), not on its test splits.
const CHAR_WEIGHT: f32 = 1.0;
const WORD_WEIGHT: f32 = 2.0;
const WORD_BIGRAM_WEIGHT: f32 = 1.0;
const PINYIN_WEIGHT: f32 = 1.0;
const CONCEPT_WEIGHT: f32 = 3.0;
const CONCEPT_PAIR_WEIGHT: f32 = 2.0;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Char = 1,
    Word = 2,
    WordBigram = 3,
    Pinyin = 4,
    Concept = 5,
    ConceptPair = 6,
}

/// The caller's text, normalised and analysed once, shared by every index of a turn.
#[derive(Debug, Clone)]
pub struct Utterance {
    normalized: String,
    words: Words,
    /// Unit hashes (one per CJK character, one per stemmed Latin word) in text order, for
    /// verbatim matching.
    pub(super) units: Vec<u64>,
    /// `negated[i]`: a match starting at unit `i` directly follows a negation.
    pub(super) negated: Vec<bool>,
    /// Sorted by hash, deduplicated: (feature hash, kind weight × sublinear tf).
    pub(super) features: Vec<(u64, f32)>,
    /// Whether the text has CJK characters (see [`Utterance::is_cjk`]).
    cjk: bool,
}

impl Utterance {
    pub fn new(text: &str) -> Self {
        let normalized = normalize(text);
        let tokens = tokenize(&normalized);
        let units = tokens.iter().map(|t| t.unit).collect();
        let negated = (0..tokens.len()).map(|i| is_negated(&tokens, i)).collect();
        let words = Words::of(&normalized);
        let features = if tokens.is_empty() {
            Vec::new()
        } else {
            extract(&normalized, &words, Purpose::Classify)
        };
        Self {
            cjk: normalized.chars().any(is_cjk),
            normalized,
            words,
            units,
            negated,
            features,
        }
    }

    /// The words of the normalised text (jieba's, and English stems), for other readers of the
    /// same utterance.
    pub(crate) fn words(&self) -> &Words {
        &self.words
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// The hashed features, sorted by hash.
    pub(crate) fn features(&self) -> &[(u64, f32)] {
        &self.features
    }

    /// Whether the text has Chinese (or other CJK) characters: its features are mostly
    /// character and syllable n-grams, which the confidence is calibrated for separately.
    pub(super) fn is_cjk(&self) -> bool {
        self.cjk
    }

    /// Whether nothing but punctuation and spaces was said.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Where `needle` (units of an example or keyword) occurs in this utterance: the reference
    /// `phrases.rs` is tested against.
    #[cfg(test)]
    pub(super) fn find(&self, needle: &[u64]) -> Found {
        let hay = &self.units;
        if needle.is_empty() || needle.len() > hay.len() {
            return Found::No;
        }
        let mut found = Found::No;
        for start in 0..=hay.len() - needle.len() {
            if hay[start..start + needle.len()] == *needle {
                if !self.negated.get(start).copied().unwrap_or(false) {
                    return Found::Plain;
                }
                found = Found::Negated;
            }
        }
        found
    }
}

#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    No,
    /// Only right after a negation.
    Negated,
    Plain,
}

/// Cosine similarity of two utterances' features (kind weights and tf, no IDF): how alike two
/// phrasings are, from 0 to 1.
pub fn similarity(a: &Utterance, b: &Utterance) -> f32 {
    let norm = |u: &Utterance| u.features.iter().map(|f| f.1 * f.1).sum::<f32>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.features.len() && j < b.features.len() {
        let (fa, fb) = (a.features[i], b.features[j]);
        match fa.0.cmp(&fb.0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += fa.1 * fb.1;
                i += 1;
                j += 1;
            }
        }
    }
    (dot / (na * nb)).clamp(0.0, 1.0)
}

/// What features are extracted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Every kind: the classifier learns which of them tell its intents apart.
    Classify,
    /// What a Chinese phrasing means, without the kinds any two Chinese sentences share by
    /// chance (single characters and syllables, character n-grams across word boundaries):
    /// grouping phrasings has no training to weigh those down (`grouping.rs`).
    Meaning,
}

/// The features of a text for `purpose`, and whether it has CJK characters.
pub(crate) fn features_for(text: &str, purpose: Purpose) -> (Vec<(u64, f32)>, bool) {
    let normalized = normalize(text);
    let cjk = normalized.chars().any(is_cjk);
    match tokenize(&normalized).is_empty() {
        true => (Vec::new(), cjk),
        false => (extract(&normalized, &Words::of(&normalized), purpose), cjk),
    }
}

fn extract(normalized: &str, segmented: &Words, purpose: Purpose) -> Vec<(u64, f32)> {
    let cjk = normalized.chars().any(is_cjk);
    let characters = purpose == Purpose::Classify || !cjk;
    let mut raw: Vec<(u64, f32)> = Vec::with_capacity(normalized.len() * 3);
    // Characters, with long numbers folded to '#'.
    let mut chars: Vec<char> = Vec::with_capacity(normalized.len() + 2);
    chars.push(' ');
    let mut run: Vec<char> = Vec::new();
    for c in normalized.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if run.len() >= LONG_NUMBER {
            chars.push('#');
        } else {
            chars.extend(&run);
        }
        run.clear();
        chars.push(c);
    }
    // The n-grams starting at one character share their hash's prefix: one FNV pass per start
    // gives the 1- to 4-gram there.
    for start in (0..chars.len()).filter(|_| characters) {
        let mut h = seed(Kind::Char);
        for (n, &c) in chars[start..].iter().take(4).enumerate() {
            h = fnv(h, &(c as u32).to_le_bytes());
            if n == 0 && c == ' ' {
                continue;
            }
            raw.push((mix(h), CHAR_WEIGHT));
        }
    }
    // Words and their bigrams, hashed as they come: no word is copied.
    // The word and syllable hashes are kept for the concept lookup.
    let mut words: Vec<u64> = Vec::with_capacity(segmented.len());
    let mut previous: Option<u64> = None;
    for w in segmented.iter() {
        let word = word_hash(w);
        words.push(word);
        raw.push((mix(word), WORD_WEIGHT));
        if let Some(p) = previous {
            raw.push((
                mix(p.rotate_left(17) ^ word ^ seed(Kind::WordBigram)),
                WORD_BIGRAM_WEIGHT,
            ));
        }
        previous = Some(word);
    }
    let mut syllables: Vec<u64> = Vec::with_capacity(if cjk { normalized.len() } else { 0 });
    if cjk {
        // Syllables and the 2- and 3-grams ending at each (for meaning, the n-grams only).
        let first = match purpose {
            Purpose::Classify => 1,
            Purpose::Meaning => 2,
        };
        let mut last: [u64; 2] = [0; 2];
        let mut seen = 0usize;
        for_each_pinyin_unit(normalized, |s| {
            let syllable = syllable_hash(s);
            syllables.push(syllable);
            let window = [last[0], last[1], syllable];
            for n in first..=3usize.min(seen + 1) {
                let h = window[3 - n..]
                    .iter()
                    .fold(seed(Kind::Pinyin) ^ n as u64, |h, &s| h.rotate_left(21) ^ s);
                raw.push((mix(h), PINYIN_WEIGHT));
            }
            last = [last[1], syllable];
            seen += 1;
        });
    }
    let found = concepts::found(normalized, &syllables, &words);
    for (i, &a) in found.iter().enumerate() {
        raw.push((mix(seed(Kind::Concept) ^ u64::from(a)), CONCEPT_WEIGHT));
        for &b in &found[i + 1..] {
            raw.push((
                mix(seed(Kind::ConceptPair) ^ (u64::from(a) << 32) ^ u64::from(b)),
                CONCEPT_PAIR_WEIGHT,
            ));
        }
    }
    // Term frequencies: equal hashes are adjacent after sorting; counted in place.
    let mut raw = sort_by_hash(raw);
    let mut kept = 0;
    let mut i = 0;
    while i < raw.len() {
        let (hash, weight) = raw[i];
        let mut tf = 0u32;
        while i < raw.len() && raw[i].0 == hash {
            tf += 1;
            i += 1;
        }
        // Most features occur once, and 1 + ln 1 is exactly 1: no logarithm for them.
        let weight = if tf == 1 {
            weight
        } else {
            weight * (1.0 + (tf as f32).ln())
        };
        raw[kept] = (hash, weight);
        kept += 1;
    }
    raw.truncate(kept);
    raw
}

/// Above this many features a general sort is used: a bucket holds ~n/256 of them, and the
/// insertion sort within buckets grows with its square.
const BUCKET_SORT_MAX: usize = 4096;

/// `raw` sorted by hash. An utterance has one to a few hundred features with uniformly mixed
/// hashes: distributed into buckets by their top bits, about one per bucket, and finished by an
/// insertion sort, several times faster than a comparison sort, whose branches on random keys
/// mispredict half the time. There are as many buckets as the smallest power of two that holds
/// the features (16 to 256): a short utterance's seventy features do not pay for walking 256.
/// The order of distinct hashes is the same whatever the sort; features of one hash differ only
/// when two kinds' hashes collide.
fn sort_by_hash(mut raw: Vec<(u64, f32)>) -> Vec<(u64, f32)> {
    if raw.len() > BUCKET_SORT_MAX {
        raw.sort_unstable_by_key(|f| f.0);
        return raw;
    }
    let bits = raw.len().next_power_of_two().trailing_zeros().clamp(4, 8);
    let bucket = |f: &(u64, f32)| (f.0 >> (64 - bits)) as usize;
    let mut starts = [0usize; 256];
    let starts = &mut starts[..1 << bits];
    for f in &raw {
        starts[bucket(f)] += 1;
    }
    let mut next = 0;
    for start in starts.iter_mut() {
        (*start, next) = (next, next + *start);
    }
    let mut sorted = vec![(0u64, 0f32); raw.len()];
    for f in &raw {
        let at = &mut starts[bucket(f)];
        sorted[*at] = *f;
        *at += 1;
    }
    // Buckets are in order, so no feature moves past its bucket's start.
    for i in 1..sorted.len() {
        let f = sorted[i];
        let mut j = i;
        while j > 0 && sorted[j - 1].0 > f.0 {
            sorted[j] = sorted[j - 1];
            j -= 1;
        }
        sorted[j] = f;
    }
    sorted
}

/// The hash of one word as features and concepts compare it.
pub(super) fn word_hash(word: &str) -> u64 {
    fnv(seed(Kind::Word), identifier_folded(word).as_bytes())
}

/// The hash of one toneless pinyin syllable as features and concepts compare it.
pub(super) fn syllable_hash(syllable: &str) -> u64 {
    fnv(seed(Kind::Pinyin), identifier_folded(syllable).as_bytes())
}

/// `#` for a digit string of [`LONG_NUMBER`] digits or more, else the word itself.
fn identifier_folded(word: &str) -> &str {
    if word.len() >= LONG_NUMBER && word.bytes().all(|b| b.is_ascii_digit()) {
        "#"
    } else {
        word
    }
}

fn seed(kind: Kind) -> u64 {
    0xCBF2_9CE4_8422_2325 ^ (kind as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    h
}

/// splitmix64's finaliser: a cheap, well-mixing 64-bit hash step.
pub(super) const fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

struct Token<'a> {
    /// The unit as written, for negation rules.
    text: &'a str,
    unit: u64,
}

/// One unit per CJK character, one per Latin word (stemmed, long numbers as `#`).
fn tokenize(normalized: &str) -> Vec<Token<'_>> {
    // At most one token per byte: sized once rather than grown a push at a time.
    let mut tokens = Vec::with_capacity(normalized.len());
    let mut rest = normalized;
    while let Some(c) = rest.chars().next() {
        if c == ' ' {
            rest = &rest[1..];
            continue;
        }
        if is_cjk(c) {
            let (text, tail) = rest.split_at(c.len_utf8());
            tokens.push(Token {
                text,
                unit: mix(0x243F_6A88_85A3_08D3 ^ c as u64),
            });
            rest = tail;
            continue;
        }
        let end = rest
            .char_indices()
            .find(|&(_, c)| c == ' ' || is_cjk(c))
            .map_or(rest.len(), |(i, _)| i);
        let (word, tail) = rest.split_at(end);
        let key = match identifier_folded(word) {
            "#" => std::borrow::Cow::Borrowed("#"),
            _ => stem(word),
        };
        tokens.push(Token {
            text: word,
            unit: mix(fnv(0x1319_8A2E_0370_7344, key.as_bytes())),
        });
        rest = tail;
    }
    tokens
}

/// Whether a match starting at token `i` directly follows a negation: the negator ends right
/// before it, or — for negators that take a verb ("不要转人工", "don't cancel") — one token
/// before. A bare 不 counts only when adjacent, so "查不到物流" still asks about logistics.
fn is_negated(tokens: &[Token], i: usize) -> bool {
    let ends_at = |end: usize, pattern: &[&str]| -> bool {
        end + 1 >= pattern.len()
            && pattern
                .iter()
                .rev()
                .zip(tokens[..=end].iter().rev())
                .all(|(p, t)| *p == t.text)
    };
    const VERBAL: &[&[&str]] = &[
        &["别"],
        &["勿"],
        &["不", "要"],
        &["不", "用"],
        &["不", "想"],
        &["不", "必"],
        &["不", "需", "要"],
        &["not"],
        &["never"],
        &["dont"],
    ];
    const ADJACENT_ONLY: &[&[&str]] = &[&["不"], &["no"]];
    let direct = i >= 1
        && VERBAL
            .iter()
            .chain(ADJACENT_ONLY)
            .any(|p| ends_at(i - 1, p));
    direct || (i >= 2 && VERBAL.iter().any(|p| ends_at(i - 2, p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_sort_sorts_like_a_comparison_sort() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for n in [
            0,
            1,
            2,
            3,
            50,
            257,
            1000,
            BUCKET_SORT_MAX,
            BUCKET_SORT_MAX + 1,
        ] {
            let raw: Vec<(u64, f32)> = (0..n)
                .map(|i| {
                    state = mix(state);
                    // Some hashes repeat, as a repeated n-gram's do; some share a top byte.
                    let hash = if i % 7 == 3 { 42 } else { state >> (i % 3) };
                    (hash, 1.0)
                })
                .collect();
            let mut want = raw.clone();
            want.sort_unstable_by_key(|f| f.0);
            assert_eq!(sort_by_hash(raw), want, "{n}");
        }
    }

    #[test]
    fn two_concepts_give_a_pair_feature() {
        let has = |text: &str, hash: u64| Utterance::new(text).features.iter().any(|f| f.0 == hash);
        let groups = concepts::groups_of;
        let (refund, arrived) = (groups("退款"), groups("到账"));
        assert_eq!((refund.len(), arrived.len()), (1, 1));
        let (a, b) = (refund[0].min(arrived[0]), refund[0].max(arrived[0]));
        let pair = mix(seed(Kind::ConceptPair) ^ (u64::from(a) << 32) ^ u64::from(b));
        assert!(has("退款什么时候到账", pair));
        assert!(has("钱退回来了吗到账没有", pair));
        assert!(!has("退款", pair));
        assert!(!has("什么时候到账", pair));
    }

    #[test]
    fn normalises_width_case_punctuation_and_spaces() {
        assert_eq!(
            Utterance::new("ＨＥＬＬＯ，　Ｗｏｒｌｄ！").normalized(),
            "hello world"
        );
        assert_eq!(Utterance::new("我 要 转 人工").normalized(), "我要转人工");
        assert!(Utterance::new("，。！ ").is_empty());
        assert!(Utterance::new("，。！ ").features.is_empty());
    }

    #[test]
    fn homophones_share_pinyin_features() {
        let right = Utterance::new("我要取消订单");
        let misheard = Utterance::new("我要取肖订单");
        let other = Utterance::new("我要取件");
        assert!(similarity(&right, &misheard) > similarity(&right, &other));
        assert!(similarity(&right, &misheard) > 0.6);
    }

    #[test]
    fn long_numbers_are_one_symbol() {
        let a = Utterance::new("订单12345678怎么还没发货");
        let b = Utterance::new("订单87654321怎么还没发货");
        assert_eq!(a.features, b.features);
        assert_eq!(a.units, b.units);
        assert_ne!(
            Utterance::new("选1").features,
            Utterance::new("选2").features
        );
    }

    #[test]
    fn similarity_is_bounded_and_reflexive() {
        for t in ["查物流", "where is my order", "", "好"] {
            let u = Utterance::new(t);
            let s = similarity(&u, &u);
            assert!(
                u.is_empty() && s == 0.0 || (s - 1.0).abs() < 1e-5,
                "{t}: {s}"
            );
        }
        let s = similarity(&Utterance::new("查物流"), &Utterance::new("退款"));
        assert!(s < 0.1, "{s}");
    }

    #[test]
    fn negation_is_found_before_a_verbatim_match() {
        let needle = Utterance::new("转人工").units;
        assert_eq!(Utterance::new("我要转人工").find(&needle), Found::Plain);
        assert_eq!(Utterance::new("不要转人工").find(&needle), Found::Negated);
        assert_eq!(Utterance::new("别转人工").find(&needle), Found::Negated);
        assert_eq!(
            Utterance::new("不要转人工，我就要转人工").find(&needle),
            Found::Plain
        );
        assert_eq!(
            Utterance::new("查不到物流").find(&Utterance::new("物流").units),
            Found::Plain
        );
        assert_eq!(
            Utterance::new("don't cancel").find(&Utterance::new("cancel").units),
            Found::Negated
        );
    }
}
