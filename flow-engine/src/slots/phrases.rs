//! A lexicon of phrases (Chinese ones as characters, English ones as words separated by single
//! spaces) with their values, and the longest of them at a place in what the caller said.
//!
//! Parsers ask at every character or word, so each lexicon is indexed by the first character
//! or word of its phrases, once, the first time it is used.

use std::collections::HashMap;
use std::sync::OnceLock;

use rustc_hash::FxBuildHasher;

pub(super) struct Phrases<T: 'static> {
    list: &'static [(&'static str, T)],
    by_char: OnceLock<Index<char, char, T>>,
    by_word: OnceLock<Index<Box<str>, Box<str>, T>>,
}

/// Phrases as units (characters or words) by their first unit, each with its value.
type Index<K, U, T> = HashMap<K, Vec<(Box<[U]>, T)>, FxBuildHasher>;

impl<T: Copy> Phrases<T> {
    pub(super) const fn new(list: &'static [(&'static str, T)]) -> Self {
        Phrases {
            list,
            by_char: OnceLock::new(),
            by_word: OnceLock::new(),
        }
    }

    /// The longest phrase at the start of `run`: its length in characters and its value. Of
    /// phrases equally long, the one listed first.
    pub(super) fn longest(&self, run: &[char]) -> Option<(usize, T)> {
        let index = self.by_char.get_or_init(|| {
            index(
                self.list,
                |phrase| phrase.chars().collect(),
                |units| units[0],
            )
        });
        let candidates = index.get(run.first()?)?;
        candidates
            .iter()
            .find(|(phrase, _)| run.starts_with(phrase))
            .map(|(phrase, value)| (phrase.len(), *value))
    }

    /// The longest phrase at the start of `words`: its length in words and its value.
    pub(super) fn longest_words(&self, words: &[String]) -> Option<(usize, T)> {
        let index = self.by_word.get_or_init(|| {
            index(
                self.list,
                |phrase| phrase.split(' ').map(Box::from).collect(),
                |units: &[Box<str>]| units[0].clone(),
            )
        });
        let candidates = index.get(words.first()?.as_str())?;
        candidates
            .iter()
            .find(|(phrase, _)| {
                phrase.len() <= words.len() && phrase.iter().zip(words).all(|(a, b)| **a == **b)
            })
            .map(|(phrase, value)| (phrase.len(), *value))
    }
}

/// Phrases split into units, grouped by their first unit, longest first (a stable sort, so
/// the listed order decides among equals).
fn index<U, K: std::hash::Hash + Eq, T: Copy>(
    list: &[(&str, T)],
    units: impl Fn(&str) -> Box<[U]>,
    first: impl Fn(&[U]) -> K,
) -> Index<K, U, T> {
    let mut index: Index<K, U, T> = HashMap::default();
    for &(phrase, value) in list {
        let units = units(phrase);
        if units.is_empty() {
            continue;
        }
        index.entry(first(&units)).or_default().push((units, value));
    }
    for candidates in index.values_mut() {
        candidates.sort_by_key(|(units, _)| std::cmp::Reverse(units.len()));
    }
    index
}

#[cfg(test)]
mod tests {
    use super::Phrases;

    static CN: Phrases<u8> = Phrases::new(&[
        ("不", 1),
        ("不是", 2),
        ("不是的", 3),
        ("不对", 4),
        ("是", 5),
    ]);
    static EN: Phrases<u8> =
        Phrases::new(&[("no", 1), ("no way", 2), ("not really", 3), ("yes", 4)]);

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn the_longest_phrase_wins() {
        assert_eq!(CN.longest(&chars("不是的吧")), Some((3, 3)));
        assert_eq!(CN.longest(&chars("不是吧")), Some((2, 2)));
        assert_eq!(CN.longest(&chars("不行")), Some((1, 1)));
        assert_eq!(CN.longest(&chars("不")), Some((1, 1)));
        assert_eq!(CN.longest(&chars("好的")), None);
        assert_eq!(CN.longest(&[]), None);
        assert_eq!(EN.longest_words(&words("no way man")), Some((2, 2)));
        assert_eq!(EN.longest_words(&words("no")), Some((1, 1)));
        assert_eq!(EN.longest_words(&words("not really")), Some((2, 3)));
        assert_eq!(EN.longest_words(&words("not")), None);
        assert_eq!(EN.longest_words(&[]), None);
    }
}
