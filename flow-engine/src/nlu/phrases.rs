//! An intent index's verbatim phrases (its examples and keywords as units), looked up without
//! comparing the utterance with every one of them: whole utterances by a hash map, phrases
//! inside an utterance by their first unit. What the lookups answer is what a scan of every
//! phrase would (`index.rs` says what the answers mean).

use std::collections::HashMap;

use super::features::Utterance;
use rustc_hash::FxBuildHasher;

#[derive(Debug, Clone)]
pub(super) struct Phrase {
    pub units: Vec<u64>,
    pub intent: usize,
    pub keyword: bool,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Phrases {
    /// An example's units → the first intent it is an example of.
    whole: HashMap<Vec<u64>, usize, FxBuildHasher>,
    /// Phrases that count when found inside an utterance (keywords, and examples of two units
    /// or more), sorted by first unit.
    inner: Vec<(u64, Phrase)>,
}

/// What the phrases found in an utterance say about each intent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Evidence {
    /// One of the intent's phrases occurs, not right after a negation.
    pub plain: bool,
    /// One of its phrases occurs only right after a negation, and none elsewhere.
    pub negated: bool,
}

impl Phrases {
    pub fn new(phrases: Vec<Phrase>) -> Self {
        let mut whole = HashMap::default();
        let mut inner = Vec::new();
        for p in phrases {
            if !p.keyword {
                whole.entry(p.units.clone()).or_insert(p.intent);
            }
            if p.keyword || p.units.len() >= 2 {
                if let Some(&first) = p.units.first() {
                    inner.push((first, p));
                }
            }
        }
        // Stable: phrases with the same first unit keep their order.
        inner.sort_by_key(|(first, _)| *first);
        Self { whole, inner }
    }

    /// The intent of which the whole utterance is an example.
    pub fn whole(&self, utterance: &Utterance) -> Option<usize> {
        self.whole.get(utterance.units.as_slice()).copied()
    }

    /// `evidence[intent]` for every intent whose phrases occur in the utterance.
    pub fn find(&self, utterance: &Utterance, evidence: &mut [Evidence]) {
        let units = &utterance.units;
        for (start, unit) in units.iter().enumerate() {
            let from = self.inner.partition_point(|(first, _)| first < unit);
            for (_, p) in self.inner[from..]
                .iter()
                .take_while(|(first, _)| first == unit)
            {
                if !units[start..].starts_with(&p.units) {
                    continue;
                }
                let Some(e) = evidence.get_mut(p.intent) else {
                    continue;
                };
                if utterance.negated.get(start).copied().unwrap_or(false) {
                    e.negated = true;
                } else {
                    e.plain = true;
                }
            }
        }
        for e in evidence {
            e.negated &= !e.plain;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::features::Found;
    use super::*;

    fn phrase(text: &str, intent: usize, keyword: bool) -> Phrase {
        Phrase {
            units: Utterance::new(text).units,
            intent,
            keyword,
        }
    }

    /// What scanning every phrase with `Utterance::find` says.
    fn scanned(phrases: &[Phrase], u: &Utterance, intents: usize) -> Vec<Evidence> {
        let mut out = vec![Evidence::default(); intents];
        for p in phrases {
            if !p.keyword && p.units.len() < 2 {
                continue;
            }
            match u.find(&p.units) {
                Found::Plain => out[p.intent].plain = true,
                Found::Negated => out[p.intent].negated = true,
                Found::No => {}
            }
        }
        for e in &mut out {
            e.negated &= !e.plain;
        }
        out
    }

    #[test]
    fn lookups_answer_what_a_scan_of_every_phrase_would() {
        let phrases = vec![
            phrase("转人工", 0, false),
            phrase("人工", 0, true),
            phrase("人工客服", 1, false),
            phrase("查物流", 2, false),
            phrase("物流", 2, true),
            phrase("查", 2, false),
            phrase("退款", 3, true),
            phrase("cancel my order", 3, false),
            phrase("cancel", 4, true),
            phrase("查物流", 4, false),
        ];
        let index = Phrases::new(phrases.clone());
        for text in [
            "我要转人工",
            "不要转人工",
            "不要转人工，我就要人工客服",
            "别查物流了，我要退款",
            "查不到物流",
            "don't cancel my order",
            "please cancel my order, not the refund",
            "查",
            "人工人工人工",
            "今天天气不错",
        ] {
            let u = Utterance::new(text);
            let mut found = vec![Evidence::default(); 5];
            index.find(&u, &mut found);
            assert_eq!(found, scanned(&phrases, &u, 5), "{text}");
        }
        assert_eq!(index.whole(&Utterance::new("查物流！")), Some(2));
        assert_eq!(index.whole(&Utterance::new("查")), Some(2));
        assert_eq!(index.whole(&Utterance::new("人工")), None, "a keyword");
        assert_eq!(index.whole(&Utterance::new("查物流吧")), None);
    }
}
