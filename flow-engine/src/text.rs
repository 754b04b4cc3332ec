//! Text analysis shared by intent recognition, slot parsing and knowledge-base retrieval:
//! normalisation, Chinese word segmentation (jieba), English stems (Snowball) and toneless
//! pinyin, so that every matcher sees the caller's words the same way.
//!
//! Pinyin is here because speech recognisers write the right sound with the wrong character
//! (取肖 for 取消, 情 for 请): compared by toneless syllables the two are equal.

use std::sync::OnceLock;

use jieba_rs::Jieba;
use pinyin::ToPinyin;
use rust_stemmers::{Algorithm, Stemmer};

/// Full-width ASCII (U+FF01–FF5E) and the ideographic space to their half-width forms, so that
/// text typed with a Chinese IME compares equal to plain ASCII.
pub fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Scripts written without spaces, where each character is a unit.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3007}'
        | '\u{3040}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FFFF}')
}

pub fn normalize(text: &str) -> String {
    #[derive(PartialEq)]
    enum Last {
        Nothing,
        Cjk,
        Word,
    }
    let mut out = String::with_capacity(text.len());
    let mut last = Last::Nothing;
    let mut gap = false;
    let mut push = |c: char| {
        if is_cjk(c) {
            out.push(c);
            last = Last::Cjk;
            gap = false;
        } else if c.is_alphanumeric() {
            if gap && last == Last::Word {
                out.push(' ');
            }
            out.push(c);
            last = Last::Word;
            gap = false;
        } else if matches!(c, '\'' | '\u{2019}') && last == Last::Word {
            // Contractions stay one word ("don't" → "dont", "where's" → "wheres"), which the
            // stemmer then maps close to the spelled-out form.
        } else {
            gap = true;
        }
    };
    for c in text.chars().map(fold_width) {
        // ASCII and CJK (most of what callers say) need no look-up in Unicode's case tables.
        if c.is_ascii() {
            push(c.to_ascii_lowercase());
        } else if is_cjk(c) {
            push(c);
        } else {
            c.to_lowercase().for_each(&mut push);
        }
    }
    out
}

/// The process's segmenter: loading jieba's dictionary takes about 0.1 s, so it is loaded once.
fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// The words of `normalized` (the output of [`normalize`]) in text order: Chinese runs cut by
/// jieba, Latin words stemmed ("cancelling" → "cancel"), digits kept as written.
pub fn words(normalized: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(normalized, |w| out.push(w.to_owned()));
    out
}

/// The words of one normalised text, cut once and kept for every reader of that text: an
/// utterance's features and the emotion lexicon both read its jieba words, and segmenting is a
/// good part of what analysing an utterance costs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Words {
    /// The words one after another, without separators.
    joined: String,
    /// Where each word ends in `joined`.
    ends: Vec<u32>,
}

impl Words {
    /// The words of `normalized`, as [`for_each_word`] hands them over.
    pub fn of(normalized: &str) -> Self {
        // Sized once rather than grown a push at a time: a Chinese character takes three bytes
        // and Latin words are a space apart, so there are at most half as many words as bytes
        // (and one more), and the words joined are about as long as the text.
        let mut words = Self {
            joined: String::with_capacity(normalized.len()),
            ends: Vec::with_capacity(normalized.len() / 2 + 1),
        };
        for_each_word(normalized, |w| {
            words.joined.push_str(w);
            // A caller's utterance is far below 4 GB; a longer text's offsets would wrap, and
            // only its words would come out wrong.
            words.ends.push(words.joined.len() as u32);
        });
        words
    }

    /// How many words there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The words in text order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let word = &self.joined[start..end as usize];
            start = end as usize;
            word
        })
    }
}

/// [`words`] without collecting them: each word is handed to `each` in text order, so a caller
/// that only hashes them allocates nothing per word.
pub fn for_each_word(normalized: &str, mut each: impl FnMut(&str)) {
    for run in runs(normalized) {
        match run {
            Run::Cjk(text) => {
                for token in jieba().cut(text, true) {
                    each(token.word);
                }
            }
            Run::Latin(text) => {
                for word in text.split(' ').filter(|w| !w.is_empty()) {
                    each(&stem(word));
                }
            }
        }
    }
}

/// The Snowball stem of one Latin word ("cancelling" → "cancel"); words with digits or
/// non-ASCII letters are kept as written.
pub fn stem(word: &str) -> std::borrow::Cow<'_, str> {
    if word.bytes().all(|b| b.is_ascii_alphabetic()) {
        stemmer().stem(word)
    } else {
        std::borrow::Cow::Borrowed(word)
    }
}

/// The toneless pinyin syllable of a Chinese character ("消" → "xiao"), or `None` for any
/// other character.
pub fn pinyin(c: char) -> Option<&'static str> {
    c.to_pinyin().map(|p| p.plain())
}

/// `normalized` with every Chinese character replaced by its toneless syllable, one unit per
/// character: "取肖订单" → ["qu", "xiao", "ding", "dan"]. Other characters are kept, one unit
/// each for CJK characters without a reading, one per Latin word.
pub fn pinyin_units(normalized: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_pinyin_unit(normalized, |u| out.push(u.to_owned()));
    out
}

/// [`pinyin_units`] without collecting them: each unit is handed to `each` in text order.
pub fn for_each_pinyin_unit(normalized: &str, mut each: impl FnMut(&str)) {
    for run in runs(normalized) {
        match run {
            Run::Cjk(text) => {
                for (i, c) in text.char_indices() {
                    each(pinyin(c).unwrap_or(&text[i..i + c.len_utf8()]));
                }
            }
            Run::Latin(text) => {
                for word in text.split(' ').filter(|w| !w.is_empty()) {
                    each(word);
                }
            }
        }
    }
}

enum Run<'a> {
    Cjk(&'a str),
    Latin(&'a str),
}

/// `normalized` cut into maximal runs of CJK and of other text.
fn runs(normalized: &str) -> impl Iterator<Item = Run<'_>> {
    let mut rest = normalized;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let cjk = is_cjk(first);
        let end = rest
            .char_indices()
            .find(|&(_, c)| is_cjk(c) != cjk)
            .map_or(rest.len(), |(i, _)| i);
        let (run, tail) = rest.split_at(end);
        rest = tail;
        Some(if cjk {
            Run::Cjk(run)
        } else {
            Run::Latin(run.trim())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_width_case_and_punctuation() {
        assert_eq!(
            normalize("Ｗhere's  my ORDER？ 我的 快递"),
            "wheres my order我的快递"
        );
    }

    #[test]
    fn cuts_chinese_into_words_and_stems_english() {
        assert_eq!(words(&normalize("我要取消订单")), ["我要", "取消", "订单"]);
        assert_eq!(
            words(&normalize("Cancelling my orders 12345")),
            ["cancel", "my", "order", "12345"]
        );
        assert_eq!(words(&normalize("退款refund")), ["退款", "refund"]);
    }

    #[test]
    fn homophones_share_their_pinyin() {
        assert_eq!(pinyin_units("取消"), pinyin_units("取肖"));
        assert_ne!(pinyin_units("取消"), pinyin_units("取件"));
        assert_eq!(pinyin_units("退款ok"), ["tui", "kuan", "ok"]);
    }
}
