//! What a caller's question is searched with. Callers ramble: they open with 就是那个, 我想问一下,
//! tell the story of their order, and name things in their own words (包裹 where the FAQ says
//! 物流). Filler and grammar words weigh little (nothing, with the tuned defaults), so a long
//! question is not won by the entry that shares its chatter; and words of the shop's vocabulary bring their synonyms
//! along, so the entry is found whichever word its writer chose.
//!
//! Synonyms are matched by their pinyin as well as their characters, because the recogniser's
//! homophone errors (包过 for 包裹) would otherwise switch expansion off exactly when it helps.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::analysis::{analyze, is_stop_word, Term};
use super::lexicon::{FILLERS, SYNONYMS};
use super::RetrievalSettings;
use crate::text::{is_cjk, normalize, pinyin_units, words};

/// The weighted terms of a question under each analysis, in `Analysis::ALL` order. Each
/// term appears once, with the largest weight any part of the question gave it; the order is
/// deterministic (sorted by term).
pub(crate) fn query_terms(question: &str, settings: &RetrievalSettings) -> [Vec<(String, f32)>; 3] {
    let normalized = normalize(question);
    let mut merged: [HashMap<String, f32>; 3] = Default::default();
    let mut add = |analysed: &[Vec<Term>; 3], part_weight: f32| {
        for (slot, terms) in analysed.iter().enumerate() {
            for term in terms {
                let weight = part_weight * term_weight(term, settings);
                let entry = merged[slot].entry(term.text.clone()).or_insert(0.0);
                *entry = entry.max(weight);
            }
        }
    };
    let analyse_parts = |text: &str| {
        text.split('\u{1}')
            .filter(|p| !p.is_empty())
            .map(analyze)
            .collect::<Vec<_>>()
    };
    if settings.query_handling {
        let (topic, filler) = split_fillers(&normalized);
        for member in expansions(&topic) {
            add(&member.terms, settings.synonym_weight);
        }
        if settings.filler_weight > 0.0 {
            for analysed in analyse_parts(&filler) {
                add(&analysed, settings.filler_weight);
            }
        }
        for analysed in analyse_parts(&topic) {
            add(&analysed, 1.0);
        }
    } else {
        add(&analyze(&normalized), 1.0);
    }
    merged.map(|terms| {
        let mut terms: Vec<(String, f32)> = terms.into_iter().filter(|(_, w)| *w > 0.0).collect();
        terms.sort_by(|a, b| a.0.cmp(&b.0));
        terms
    })
}

fn term_weight(term: &Term, settings: &RetrievalSettings) -> f32 {
    let mut weight = 1.0;
    if term.single {
        weight *= settings.pinyin_syllable_weight;
    }
    if term.stop && settings.query_handling {
        weight *= settings.stop_weight;
    }
    weight
}

/// `normalized` split into the topic (filler phrases cut out) and the filler, each with the
/// cut places marked by U+0001 so no bigram spans a cut.
fn split_fillers(normalized: &str) -> (String, String) {
    let chars: Vec<char> = normalized.chars().collect();
    let fillers = fillers();
    let mut filler_at = vec![false; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        let found = fillers.iter().find(|f| {
            let end = i + f.len();
            end <= chars.len()
                && chars[i..end] == f[..]
                && (is_cjk(f[0]) || at_word_edge(&chars, i, end))
        });
        match found {
            Some(f) => {
                filler_at[i..i + f.len()].iter_mut().for_each(|x| *x = true);
                i += f.len();
            }
            None => i += 1,
        }
    }
    let mut topic = String::new();
    let mut filler = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let (into, other) = if filler_at[i] {
            (&mut filler, &mut topic)
        } else {
            (&mut topic, &mut filler)
        };
        into.push(c);
        if !other.ends_with('\u{1}') && !other.is_empty() {
            other.push('\u{1}');
        }
    }
    (topic, filler)
}

/// An English filler must be whole words ("like" is not in "likely").
fn at_word_edge(chars: &[char], start: usize, end: usize) -> bool {
    let latin = |i: usize| {
        chars
            .get(i)
            .is_some_and(|c| c.is_alphanumeric() && !is_cjk(*c))
    };
    (start == 0 || !latin(start - 1)) && !latin(end)
}

/// Filler phrases as characters, longest first so 就是那个 wins over 就是.
fn fillers() -> &'static [Vec<char>] {
    static FILLER_CHARS: OnceLock<Vec<Vec<char>>> = OnceLock::new();
    FILLER_CHARS.get_or_init(|| {
        let mut list: Vec<Vec<char>> = FILLERS
            .iter()
            .map(|f| normalize(f).chars().collect())
            .collect();
        list.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        list
    })
}

/// One synonym, prepared for matching.
struct Member {
    text: String,
    /// Chinese members of two characters or more: matched by syllables too.
    syllables: Option<Vec<String>>,
    /// English members: matched by stems, as whole words.
    stems: Option<Vec<String>>,
    /// The member's own terms, analysed once, for adding it to a question.
    terms: [Vec<Term>; 3],
}

fn groups() -> &'static [Vec<Member>] {
    static GROUPS: OnceLock<Vec<Vec<Member>>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        SYNONYMS
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|m| {
                        let text = normalize(m);
                        let cjk = text.chars().any(is_cjk);
                        Member {
                            syllables: (cjk && text.chars().count() >= 2)
                                .then(|| pinyin_units(&text)),
                            stems: (!cjk).then(|| words(&text)),
                            terms: analyze(&text),
                            text,
                        }
                    })
                    .collect()
            })
            .collect()
    })
}

/// The synonyms of the shop words found in `topic`: every other member of each group one of
/// whose members it contains, in list order.
fn expansions(topic: &str) -> Vec<&'static Member> {
    let syllables = pinyin_units(topic);
    // English members are matched without the question's stop words between them: "send it
    // back" is "send back".
    let stems: Vec<String> = words(topic)
        .into_iter()
        .filter(|w| !is_stop_word(w))
        .collect();
    let contains = |haystack: &[String], needle: &[String]| {
        !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
    };
    let mut out = Vec::new();
    for group in groups() {
        let found: Vec<bool> = group
            .iter()
            .map(|m| match (&m.syllables, &m.stems) {
                (_, Some(stems_of)) => contains(&stems, stems_of),
                (Some(syl), None) => topic.contains(&m.text) || contains(&syllables, syl),
                (None, None) => topic.contains(&m.text),
            })
            .collect();
        if found.iter().any(|f| *f) {
            out.extend(
                group
                    .iter()
                    .zip(&found)
                    .filter(|(_, f)| !**f)
                    .map(|(m, _)| m),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fillers_are_cut_from_the_topic() {
        let (topic, filler) = split_fillers(&normalize("就是那个，我想问一下退款多久到账啊"));
        assert_eq!(topic, "退款多久到账\u{1}");
        assert!(filler.starts_with("就是那个我想问一下"), "{filler:?}");
    }

    #[test]
    fn english_fillers_are_whole_words() {
        let (topic, _) = split_fillers(&normalize("I'd likely like a refund"));
        assert!(topic.contains("likely"), "{topic:?}");
        assert!(!topic.contains(" like "), "{topic:?}");
    }

    #[test]
    fn synonyms_expand_by_characters_and_by_sound() {
        let texts = |topic: &str| -> Vec<&str> {
            expansions(topic).iter().map(|m| m.text.as_str()).collect()
        };
        let clean = texts("我的包裹到哪了");
        assert!(
            clean.contains(&"快递") && clean.contains(&"物流"),
            "{clean:?}"
        );
        assert!(!clean.contains(&"包裹"), "{clean:?}");
        // 包过 is how a recogniser may write 包裹.
        let noisy = texts("我的包过到哪了");
        assert!(noisy.contains(&"物流"), "{noisy:?}");
        let english = texts(&normalize("where is my parcel"));
        assert!(english.contains(&"package"), "{english:?}");
        assert!(texts("今天天气不错").is_empty());
    }

    #[test]
    fn filler_and_stop_words_weigh_less_than_the_topic() {
        let settings = RetrievalSettings::default();
        let [words, ..] = query_terms("就是那个我的发票呢", &settings);
        let weight = |w: &str| words.iter().find(|(t, _)| t == w).map(|(_, x)| *x);
        assert_eq!(weight("发票"), Some(1.0));
        assert!(weight("的").unwrap_or(0.0) < 0.5);
        assert!(weight("就是").unwrap_or(0.0) < 0.5);
    }
}
