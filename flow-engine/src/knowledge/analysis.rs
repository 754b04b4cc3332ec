//! The three ways an entry's and a question's text are cut into terms, each catching what the
//! others miss: jieba words (and English stems) match the caller's vocabulary; character bigrams
//! survive segmentation disagreements (jieba cuts 退款到账 and 退款 到账 differently depending on
//! context); toneless pinyin bigrams survive the speech recogniser writing the right sound with
//! the wrong character (取肖 for 取消).

use std::collections::HashSet;
use std::sync::OnceLock;

use super::lexicon::STOP_WORDS;
use crate::text::{is_cjk, normalize, pinyin_units, words};

/// One analysis of text into terms; each gets its own BM25 index and weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Analysis {
    /// jieba words for Chinese, Snowball stems for English.
    Words,
    /// Adjacent pairs of characters (Chinese) or stems (English).
    Bigrams,
    /// Toneless pinyin syllable pairs, plus single syllables.
    Pinyin,
}

impl Analysis {
    pub const ALL: [Analysis; 3] = [Analysis::Words, Analysis::Bigrams, Analysis::Pinyin];

    pub(crate) fn slot(self) -> usize {
        self as usize
    }
}

/// A term and whether it carries only grammar (a stop word, or a pair of them).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Term {
    pub text: String,
    pub stop: bool,
    /// Single pinyin syllables: far more ambiguous than pairs, so they weigh less.
    pub single: bool,
}

/// `normalized` (see [`normalize`]) under each analysis, in [`Analysis::slot`] order.
pub(crate) fn analyze(normalized: &str) -> [Vec<Term>; 3] {
    let stops = stops();
    let words = words(normalized);
    let word_terms = words
        .iter()
        .map(|w| Term {
            stop: stops.words.contains(w.as_str()),
            text: w.clone(),
            single: false,
        })
        .collect();

    // Characters for Chinese, whole stems for English: a pair of letters says nothing.
    let units: Vec<String> = words
        .iter()
        .flat_map(|w| -> Vec<String> {
            if w.chars().any(is_cjk) {
                w.chars().map(String::from).collect()
            } else {
                vec![w.clone()]
            }
        })
        .collect();
    let bigram_terms = pairs(&units, &stops.words, &stops.words, |a, b| {
        // Chinese pairs read as the word they may be; English stems keep a space.
        if a.chars().chain(b.chars()).all(is_cjk) {
            format!("{a}{b}")
        } else {
            format!("{a} {b}")
        }
    });

    let syllables = pinyin_units(normalized);
    let mut pinyin_terms = pairs(&syllables, &stops.pinyin_pairs, &stops.syllables, |a, b| {
        format!("{a} {b}")
    });
    pinyin_terms.extend(syllables.iter().map(|s| Term {
        stop: stops.syllables.contains(s.as_str()),
        text: s.clone(),
        single: true,
    }));
    [word_terms, bigram_terms, pinyin_terms]
}

/// Adjacent pairs of `units`, joined by `join`; a pair is a stop pair when it is a stop word
/// itself (`stop_pairs`) or both its units are (`stop_units`).
fn pairs(
    units: &[String],
    stop_pairs: &HashSet<String>,
    stop_units: &HashSet<String>,
    join: impl Fn(&str, &str) -> String,
) -> Vec<Term> {
    units
        .windows(2)
        .map(|pair| {
            let text = join(&pair[0], &pair[1]);
            Term {
                stop: stop_pairs.contains(&text)
                    || (stop_units.contains(&pair[0]) && stop_units.contains(&pair[1])),
                text,
                single: false,
            }
        })
        .collect()
}

/// Whether `word` (as [`words`] writes it) is a stop word.
pub(crate) fn is_stop_word(word: &str) -> bool {
    stops().words.contains(word)
}

struct Stops {
    /// Stop words as [`words`] writes them (English stemmed).
    words: HashSet<String>,
    /// The syllables of one-character stop words, and English stop words.
    syllables: HashSet<String>,
    /// The syllable pairs of two-character stop words.
    pinyin_pairs: HashSet<String>,
}

fn stops() -> &'static Stops {
    static STOPS: OnceLock<Stops> = OnceLock::new();
    STOPS.get_or_init(|| {
        let mut stops = Stops {
            words: HashSet::new(),
            syllables: HashSet::new(),
            pinyin_pairs: HashSet::new(),
        };
        for word in STOP_WORDS {
            let normalized = normalize(word);
            stops.words.extend(words(&normalized));
            stops.words.insert(normalized.clone());
            let syllables = pinyin_units(&normalized);
            // An English stop word is its own pinyin unit: without it "do you" would be a
            // pair of content in the pinyin analysis of an English question.
            match syllables.as_slice() {
                [one] => {
                    stops.syllables.insert(one.clone());
                }
                [a, b] => {
                    stops.pinyin_pairs.insert(format!("{a} {b}"));
                }
                _ => {}
            }
        }
        stops
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(terms: &[Term]) -> Vec<&str> {
        terms.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn homophones_share_pinyin_terms_but_not_bigrams() {
        let [_, clean_bigrams, clean_pinyin] = analyze(&normalize("取消订单"));
        let [_, noisy_bigrams, noisy_pinyin] = analyze(&normalize("取肖订单"));
        assert_eq!(texts(&clean_pinyin), texts(&noisy_pinyin));
        assert_ne!(texts(&clean_bigrams), texts(&noisy_bigrams));
        assert!(texts(&clean_pinyin).contains(&"qu xiao"));
    }

    #[test]
    fn grammar_words_are_marked_as_stop_words() {
        let [words, bigrams, _] = analyze(&normalize("我的快递呢"));
        let stop: Vec<_> = words.iter().filter(|t| t.stop).map(|t| &t.text).collect();
        assert!(stop.iter().any(|w| *w == "呢"), "{words:?}");
        assert!(words.iter().any(|t| t.text == "快递" && !t.stop));
        assert!(bigrams.iter().any(|t| t.text == "我的" && t.stop));
        assert!(bigrams.iter().any(|t| t.text == "快递" && !t.stop));
    }

    #[test]
    fn english_bigrams_pair_stems_not_letters() {
        let [words, bigrams, _] = analyze(&normalize("Refunds delayed"));
        assert_eq!(texts(&words), ["refund", "delay"]);
        assert_eq!(texts(&bigrams), ["refund delay"]);
    }
}
