//! Measuring how phrasings are grouped (`nlu::grouping`), beside the peer the "not understood"
//! list used before: phrasings that share half their character pairs (Jaccard), each joining
//! the first group whose leading phrasing it is that alike.
//!
//! Pairwise figures over every two phrasings of a labelled set: precision is the share of
//! pairs put in one group that have one label, recall the share of pairs with one label put in
//! one group. An out-of-scope sentence's label is its own (unrelated sentences should stay
//! alone).

use std::collections::BTreeSet;

use super::{bitext_intents, shuffle, Example};

/// The peer's threshold, as the "not understood" list shipped it.
pub const PEER_ALIKE: f64 = 0.5;

/// Pairwise precision, recall and F1 of a grouping, and how many groups it made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub groups: usize,
}

/// How `groups` (a group per example) agree with the examples' labels.
pub fn pairwise(examples: &[Example], groups: &[usize]) -> PairScores {
    PairCounts::of(examples, groups).scores()
}

/// Pairwise figures of the lists a manager sees in a shop's first days: the examples shuffled
/// (fixed seeds, [`SHUFFLES`] times) and cut into lists of `size`, each grouped alone by
/// `group`, the pairs of all lists counted together. With few phrasings, rarity is mostly the
/// background's, and a word any wish may use (可以) looks rare.
pub fn in_small_lists(
    examples: &[Example],
    size: usize,
    group: impl Fn(&[&str]) -> Vec<usize>,
) -> PairScores {
    let mut shuffled = examples.to_vec();
    let mut state = 0x5A11_1157u64;
    let mut all = PairCounts::default();
    for _ in 0..SHUFFLES {
        shuffle(&mut shuffled, &mut state);
        for list in shuffled.chunks(size.max(1)) {
            let texts: Vec<&str> = list.iter().map(|e| e.text.as_str()).collect();
            all.add(PairCounts::of(list, &group(&texts)));
        }
    }
    all.scores()
}

/// How many ways the small lists are drawn: a list of twelve holds few pairs of one wish.
pub const SHUFFLES: usize = 8;

/// Pairs of examples: in one group and of one label, in one group, of one label; and groups.
#[derive(Debug, Clone, Copy, Default)]
struct PairCounts {
    same_both: u64,
    same_group: u64,
    same_label: u64,
    groups: usize,
}

impl PairCounts {
    fn of(examples: &[Example], groups: &[usize]) -> Self {
        let mut c = Self {
            groups: groups.iter().collect::<BTreeSet<_>>().len(),
            ..Self::default()
        };
        for i in 0..examples.len() {
            for j in i + 1..examples.len() {
                let label = match (&examples[i].intent, &examples[j].intent) {
                    (Some(a), Some(b)) => a == b,
                    _ => false,
                };
                let group = groups[i] == groups[j];
                c.same_both += u64::from(label && group);
                c.same_group += u64::from(group);
                c.same_label += u64::from(label);
            }
        }
        c
    }

    fn add(&mut self, other: Self) {
        self.same_both += other.same_both;
        self.same_group += other.same_group;
        self.same_label += other.same_label;
        self.groups += other.groups;
    }

    fn scores(self) -> PairScores {
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(self.same_both, self.same_group);
        let recall = ratio(self.same_both, self.same_label);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        PairScores {
            precision,
            recall,
            f1,
            groups: self.groups,
        }
    }
}

/// The peer: leader grouping by the Jaccard similarity of character pairs.
pub fn char_pair_groups(texts: &[&str], alike: f64) -> Vec<usize> {
    let shapes: Vec<BTreeSet<(char, char)>> = texts.iter().map(|t| pairs(t)).collect();
    let mut leads: Vec<usize> = Vec::new();
    shapes
        .iter()
        .enumerate()
        .map(|(i, shape)| {
            match leads
                .iter()
                .position(|&l| jaccard(&shapes[l], shape) >= alike)
            {
                Some(g) => g,
                None => {
                    leads.push(i);
                    leads.len() - 1
                }
            }
        })
        .collect()
}

fn pairs(text: &str) -> BTreeSet<(char, char)> {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() == 1 {
        return [(chars[0], chars[0])].into();
    }
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

fn jaccard(a: &BTreeSet<(char, char)>, b: &BTreeSet<(char, char)>) -> f64 {
    let union = a.union(b).count() as f64;
    if union == 0.0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union
}

/// Which half of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Tune,
    Test,
}

/// `per_intent` sentences of every Bitext intent (all of them: grouping has no training),
/// shuffled with a fixed seed; the tuning part takes the first `per_intent`, the test part the
/// next. In the file's intent order, sentence by sentence round-robin, so that no intent's
/// sentences come in one run (the list's order is what people said most, not by topic).
pub fn bitext_sample(csv: &str, per_intent: usize, part: Part) -> Result<Vec<Example>, String> {
    let mut state = 0x0006_F0C5_ED11u64;
    let offset = match part {
        Part::Tune => 0,
        Part::Test => per_intent,
    };
    let chosen: Vec<(String, Vec<String>)> = bitext_intents(csv)?
        .into_iter()
        .map(|(name, mut texts)| {
            shuffle(&mut texts, &mut state);
            let texts = texts.into_iter().skip(offset).take(per_intent).collect();
            (name, texts)
        })
        .collect();
    Ok((0..per_intent)
        .flat_map(|n| {
            chosen.iter().filter_map(move |(name, texts)| {
                texts.get(n).map(|t| Example {
                    text: t.clone(),
                    intent: Some(name.clone()),
                })
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(text: &str, intent: Option<&str>) -> Example {
        Example {
            text: text.into(),
            intent: intent.map(str::to_owned),
        }
    }

    #[test]
    fn pairwise_counts_pairs() {
        let examples = [
            example("a", Some("x")),
            example("b", Some("x")),
            example("c", Some("y")),
            example("d", None),
        ];
        // One right pair (a, b), one wrong (c, d), and no pair of one label missed.
        let s = pairwise(&examples, &[0, 0, 1, 1]);
        assert_eq!((s.precision, s.recall, s.groups), (0.5, 1.0, 2));
        // Out-of-scope sentences are never a pair of one label.
        let s = pairwise(&examples, &[0, 1, 2, 3]);
        assert_eq!((s.precision, s.recall, s.f1), (0.0, 0.0, 0.0));
    }

    #[test]
    fn the_peer_groups_near_identical_phrasings_only() {
        let g = char_pair_groups(&["我要退款", "我要退款啊", "礼品包装"], PEER_ALIKE);
        assert_eq!(g, vec![0, 0, 1]);
    }
}
