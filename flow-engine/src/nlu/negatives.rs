//! Near misses made from a node's own examples: each shop concept an English example mentions
//! (`concepts.rs`: "cancel", "invoice", "problem") swapped for a word of another concept group,
//! when no sentence of the node's intents mentions the concepts that result. "I need to cancel
//! my order" becomes "I need to track my order" only if none of the node's intents has an
//! example about tracking an order. Such a sentence is about the shop, in the node's words, and
//! of none of its intents: what a caller asking for a neighbouring intent the node does not have
//! says. Trained as background (`index.rs`), they teach each intent which of its words are not
//! enough on their own.

use super::concepts::english_members;
use super::features::Utterance;
use crate::text::stem;

/// An English sentence's words and the concept groups it mentions.
struct Mentions<'a> {
    words: Vec<&'a str>,
    /// (first word, number of words, group), in text order.
    found: Vec<(usize, usize, u32)>,
    /// The groups mentioned, sorted and deduplicated.
    groups: Vec<u32>,
}

fn mentions(u: &Utterance) -> Mentions<'_> {
    let words: Vec<&str> = if u.is_cjk() {
        Vec::new()
    } else {
        u.normalized()
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect()
    };
    let stems: Vec<String> = words.iter().map(|w| stem(w).into_owned()).collect();
    let mut found: Vec<(usize, usize, u32)> = Vec::new();
    for start in 0..stems.len() {
        for m in english_members() {
            if m.stems.is_empty() || !stems[start..].starts_with(&m.stems) {
                continue;
            }
            // A group's longest member at a word ("shipping address" over "address").
            match found.iter_mut().find(|f| f.0 == start && f.2 == m.group) {
                Some(f) => f.1 = f.1.max(m.stems.len()),
                None => found.push((start, m.stems.len(), m.group)),
            }
        }
    }
    let mut groups: Vec<u32> = found.iter().map(|f| f.2).collect();
    groups.sort_unstable();
    groups.dedup();
    Mentions {
        words,
        found,
        groups,
    }
}

/// Whether some sentence of the node (its groups in `by`, each sorted) mentions all of `groups`.
fn covered(groups: &[u32], by: &[Vec<u32>]) -> bool {
    by.iter()
        .any(|t| groups.iter().all(|g| t.binary_search(g).is_ok()))
}

/// One near miss per concept mention of each of `own` (a node's examples); `also` are further
/// sentences of the node's intents (the library's phrasings of them), whose concepts count as
/// covered too. The group swapped in, and its word, rotate with the example and the mention, so
/// the same examples always give the same sentences.
pub(super) fn generate<'a>(
    own: impl Iterator<Item = &'a Utterance>,
    also: impl Iterator<Item = &'a Utterance>,
) -> Vec<Utterance> {
    // The groups with English members, in order, and their members.
    let mut groups: Vec<(u32, Vec<&'static str>)> = Vec::new();
    for m in english_members() {
        match groups.iter_mut().find(|g| g.0 == m.group) {
            Some(g) => g.1.push(m.text),
            None => groups.push((m.group, vec![m.text])),
        }
    }
    let own: Vec<Mentions> = own.map(mentions).collect();
    let mut out = Vec::new();
    if groups.is_empty() || own.iter().all(|m| m.found.is_empty()) {
        return out;
    }
    let mut signatures: Vec<Vec<u32>> = own.iter().map(|m| m.groups.clone()).collect();
    signatures.extend(also.map(|u| mentions(u).groups));
    for (i, m) in own.iter().enumerate() {
        for (k, &(start, len, group)) in m.found.iter().enumerate() {
            let offset = (i * 31 + k * 7) % groups.len();
            for j in 0..groups.len() {
                let (other, members) = &groups[(offset + j) % groups.len()];
                if m.groups.binary_search(other).is_ok() {
                    continue;
                }
                let mut result: Vec<u32> =
                    m.groups.iter().copied().filter(|g| *g != group).collect();
                result.push(*other);
                result.sort_unstable();
                if covered(&result, &signatures) {
                    continue;
                }
                let mut text: Vec<&str> = m.words[..start].to_vec();
                text.push(members[(i + k) % members.len()]);
                text.extend_from_slice(&m.words[start + len..]);
                out.push(Utterance::new(&text.join(" ")));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &[&str]) -> Vec<Utterance> {
        v.iter().map(|t| Utterance::new(t)).collect()
    }

    #[test]
    fn a_concept_is_swapped_for_one_no_example_mentions() {
        let own = texts(&["I want to cancel my order", "cancel the purchase please"]);
        let near = generate(own.iter(), std::iter::empty());
        assert!(!near.is_empty());
        let cancel = mentions(&own[0]);
        for u in &near {
            let m = mentions(u);
            // Each near miss differs from every example in its concepts, and mentions none of
            // them that the examples do not cover.
            assert_ne!(m.groups, cancel.groups, "{}", u.normalized());
            assert!(
                !covered(&m.groups, std::slice::from_ref(&cancel.groups)),
                "{}",
                u.normalized()
            );
        }
        let again = generate(own.iter(), std::iter::empty());
        let words = |v: &[Utterance]| {
            v.iter()
                .map(|u| u.normalized().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(words(&near), words(&again));
    }

    #[test]
    fn what_the_node_covers_is_not_a_near_miss() {
        // Alone, "refund" becomes another concept's word; when the node's other sentences
        // mention every concept it could become, nothing is made.
        let own = texts(&["refund"]);
        let all: Vec<Utterance> = english_members()
            .iter()
            .map(|m| Utterance::new(m.text))
            .collect();
        assert!(generate(own.iter(), all.iter()).is_empty());
        assert!(!generate(own.iter(), std::iter::empty()).is_empty());
    }

    #[test]
    fn chinese_and_conceptless_examples_make_none() {
        let own = texts(&["我要退款", "hello there"]);
        assert!(generate(own.iter(), std::iter::empty()).is_empty());
    }
}
