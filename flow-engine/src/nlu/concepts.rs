//! Shop concepts in a sentence: the groups of the curated e-commerce word list
//! (`knowledge::lexicon::SYNONYMS`, shared with knowledge-base search, with the intent cues of
//! `cues.rs` added) one of whose members the sentence contains. 包裹 and 快递 both give the parcel concept, 钱退回来 and 退款 the refund
//! concept, so a caller's paraphrase shares a feature with an example written in other words —
//! five examples per intent cannot cover a shop's vocabulary, while the vocabulary itself is
//! small and stable enough to write down.
//!
//! Chinese members of two characters or more are found by their toneless syllables, so a
//! recogniser's homophone (退宽 for 退款) still counts; one-character members (寄, 券) by the
//! character, as a single syllable would match far too much. English members are found as
//! whole stemmed words. Each lookup starts from a hash table keyed by the first unit, so a
//! sentence costs one probe per unit, not one scan per member.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::cues;
use super::features::{syllable_hash, word_hash};
use crate::knowledge::lexicon::SYNONYMS;
use crate::text::{is_cjk, normalize, pinyin_units, words};
use rustc_hash::FxBuildHasher;

/// Members by their first unit: (the member's units, its group).
type ByFirst = HashMap<u64, Vec<(Vec<u64>, u32)>, FxBuildHasher>;

struct Table {
    by_syllable: ByFirst,
    by_word: ByFirst,
    by_char: HashMap<char, Vec<u32>, FxBuildHasher>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Table {
            by_syllable: HashMap::default(),
            by_word: HashMap::default(),
            by_char: HashMap::default(),
        };
        for (group, members) in groups().iter().enumerate() {
            let group = u32::try_from(group).unwrap_or(u32::MAX);
            for member in members {
                let text = normalize(member);
                let chars: Vec<char> = text.chars().collect();
                let (units, into) = match chars.as_slice() {
                    [] => continue,
                    [c] if is_cjk(*c) => {
                        table.by_char.entry(*c).or_default().push(group);
                        continue;
                    }
                    _ if chars.iter().any(|c| is_cjk(*c)) => (
                        pinyin_units(&text)
                            .iter()
                            .map(|s| syllable_hash(s))
                            .collect(),
                        &mut table.by_syllable,
                    ),
                    _ => (
                        words(&text)
                            .iter()
                            .map(|w| word_hash(w))
                            .collect::<Vec<u64>>(),
                        &mut table.by_word,
                    ),
                };
                if let Some(&first) = units.first() {
                    into.entry(first).or_default().push((units, group));
                }
            }
        }
        table
    })
}

/// The knowledge synonym groups with the cues added to them, then the cues' own groups.
fn groups() -> Vec<Vec<&'static str>> {
    let mut groups: Vec<Vec<&'static str>> = SYNONYMS.iter().map(|g| g.to_vec()).collect();
    for (anchor, more) in cues::MORE {
        match groups.iter_mut().find(|g| g.contains(anchor)) {
            Some(group) => group.extend_from_slice(more),
            // An anchor no group holds makes the cues a group of their own.
            None => groups.push(more.to_vec()),
        }
    }
    groups.extend(cues::GROUPS.iter().map(|g| g.to_vec()));
    groups
}

/// One English member of a concept group: its group, its stemmed words (as a normalised
/// sentence's words are compared) and its text.
pub(super) struct EnglishMember {
    pub group: u32,
    pub stems: Vec<String>,
    pub text: &'static str,
}

/// Every English member of every group, in the groups' order: what `negatives.rs` swaps.
pub(super) fn english_members() -> &'static [EnglishMember] {
    static MEMBERS: OnceLock<Vec<EnglishMember>> = OnceLock::new();
    MEMBERS.get_or_init(|| {
        let mut out = Vec::new();
        for (group, members) in groups().iter().enumerate() {
            let group = u32::try_from(group).unwrap_or(u32::MAX);
            for member in members {
                let text = normalize(member);
                if text.is_empty() || !text.chars().all(|c| c == ' ' || c.is_ascii_alphabetic()) {
                    continue;
                }
                out.push(EnglishMember {
                    group,
                    stems: words(&text),
                    text: member,
                });
            }
        }
        out
    })
}

/// The concept groups found in a sentence, given its normalised text and the hashes of its
/// syllables and words (as `features.rs` computes them); each group once, in ascending order.
pub(super) fn found(normalized: &str, syllables: &[u64], words: &[u64]) -> Vec<u32> {
    let table = table();
    let mut out = Vec::with_capacity(16);
    for c in normalized.chars() {
        if let Some(groups) = table.by_char.get(&c) {
            out.extend(groups);
        }
    }
    for (units, by_first) in [(syllables, &table.by_syllable), (words, &table.by_word)] {
        for start in 0..units.len() {
            let Some(candidates) = by_first.get(&units[start]) else {
                continue;
            };
            for (member, group) in candidates {
                if units[start..].starts_with(member) {
                    out.push(*group);
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The concept groups of a text analysed on its own, for tests.
#[cfg(test)]
pub(super) fn groups_of(text: &str) -> Vec<u32> {
    let normalized = normalize(text);
    let syllables: Vec<u64> = pinyin_units(&normalized)
        .iter()
        .map(|s| syllable_hash(s))
        .collect();
    let words: Vec<u64> = words(&normalized).iter().map(|w| word_hash(w)).collect();
    found(&normalized, &syllables, &words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nlu::Utterance;

    #[test]
    fn paraphrases_share_a_concept() {
        let parcel = groups_of("我的包裹呢");
        assert!(!parcel.is_empty());
        assert!(groups_of("快递到了吗").iter().any(|g| parcel.contains(g)));
        assert!(groups_of("这周天气真好").is_empty());
    }

    #[test]
    fn intent_cues_join_the_synonym_groups() {
        // 作废 is a cue added to the cancellation group, 活动 to the coupon group.
        let cancel = groups_of("我要取消订单");
        assert!(groups_of("这单作废吧").iter().any(|g| cancel.contains(g)));
        let coupon = groups_of("优惠券怎么用");
        assert!(groups_of("现在有什么活动")
            .iter()
            .any(|g| coupon.contains(g)));
        assert!(!groups_of("这单作废吧").iter().any(|g| coupon.contains(g)));
        // Every anchor names a knowledge synonym group: none starts a group by accident.
        for (anchor, _) in cues::MORE {
            assert!(
                SYNONYMS.iter().any(|g| g.contains(anchor)),
                "{anchor} is in no synonym group"
            );
        }
    }

    #[test]
    fn homophones_and_english_stems_count() {
        assert_eq!(groups_of("我要退款"), groups_of("我要退宽"));
        let refund = groups_of("refund");
        assert!(!refund.is_empty());
        assert_eq!(groups_of("I want my money back"), refund);
        // A one-character member is the character itself, not its sound.
        assert!(!groups_of("寄").is_empty());
        assert!(groups_of("记").is_empty());
    }

    #[test]
    fn concepts_bring_paraphrases_closer() {
        use crate::nlu::similarity;
        let example = Utterance::new("退款什么时候到账");
        let paraphrase = Utterance::new("钱什么时候退回来");
        let unrelated = Utterance::new("发票什么时候开");
        assert!(similarity(&example, &paraphrase) > similarity(&example, &unrelated));
    }
}
