//! Knowledge bases as the engine sees them: a tenant's FAQ entries, indexed once per revision,
//! searched for the caller's question. The server builds a [`KnowledgeIndex`] per knowledge
//! base revision and hands the ones a call uses to its session ([`Knowledge`]); the engine does
//! no I/O and never reads a database.
//!
//! Retrieval is BM25 over three analyses of each entry's question, alternatives and answer
//! ([`Analysis`]), fused by a weighted sum of scores each normalised by what the question could
//! score at most, so that a rambling question and a terse one land on the same scale. Each of
//! the top hits gets a calibrated confidence, the chance that it is the entry that answers
//! ([`Calibration`] over [`Features`]: the fused relevance, its margin over the best other hit,
//! how many of the question's words and syllable pairs the entry shares, the share of the
//! question's words no entry knows, the question's length); [`KnowledgeIndex::decide`] turns
//! them into answered, a choice of two or three whose chances add up (ambiguous), or no answer
//! ([`Decision`]). Everything is deterministic: the same entries and question give
//! the same hits and scores, so recorded calls replay.
//!
//! Using it:
//!
//! ```
//! use flow_engine::knowledge::{Decision, KnowledgeEntry, KnowledgeIndex};
//!
//! let entry = |id: &str, question: &str, answer: &str| KnowledgeEntry {
//!     id: id.into(),
//!     question: question.into(),
//!     alternatives: vec![],
//!     answer: answer.into(),
//!     category: String::new(),
//! };
//! let index = KnowledgeIndex::new(7, vec![
//!     entry("kbe_1", "退款多久到账？", "退款审核通过后1到3个工作日原路退回。"),
//!     entry("kbe_2", "可以开发票吗？", "可以，在订单详情页申请电子发票。"),
//! ]);
//! let hits = index.search("就是那个我想问一下钱什么时候能退回来", 3);
//! assert_eq!(index.entries()[hits[0].entry].id, "kbe_1");
//! // What an `answer` node does with it; `as_str` is the API's and analytics' name.
//! let said = match index.decide("就是那个我想问一下钱什么时候能退回来") {
//!     Decision::Answered(hit) => index.entries()[hit.entry].answer.clone(),
//!     Decision::Ambiguous(hits) => format!("您是想问这{}个问题中的哪一个？", hits.len()),
//!     Decision::NoAnswer => "这个问题我帮您转人工。".to_owned(),
//! };
//! assert!(!said.is_empty());
//! ```

mod analysis;
mod bm25;
mod decision;
pub(crate) mod lexicon;
mod query;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use analysis::Analysis;
pub use decision::{Calibration, Decision, Features, Thresholds};

use crate::text::normalize;
use analysis::analyze;
use bm25::Bm25;
use query::query_terms;

/// One FAQ entry, as indexed. Only enabled entries are given to an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeEntry {
    /// The entry's stable id (`kbe_…`), recorded with every answer for analytics.
    pub id: String,
    pub question: String,
    /// Other ways callers ask the same question.
    pub alternatives: Vec<String>,
    /// What the robot says; a template (`{{vars.name}}`) allowed.
    pub answer: String,
    pub category: String,
}

/// One result of a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnowledgeHit {
    /// Index into [`KnowledgeIndex::entries`].
    pub entry: usize,
    /// Calibrated confidence, 0 to 1: how likely this entry answers the question.
    pub score: f32,
}

/// How an index ranks and scores. [`Default`] is what Callflow ships, chosen by the `tune` test
/// of `flow-engine/tests/knowledge_datasets.rs` on the tuning split of
/// `flow-engine/tests/data/knowledge` (never its test split); the fields are public so that evaluations can
/// compare variants (e.g. [`RetrievalSettings::char_bigram_bm25`]) with the same code.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievalSettings {
    /// Weight of each analysis in the fused relevance, in [`Analysis::ALL`] order.
    pub weights: [f32; 3],
    /// Weight of terms from an entry's question and alternatives...
    pub question_weight: f32,
    /// ...and from its answer, which is long and wordy but often holds the caller's words.
    pub answer_weight: f32,
    /// BM25's term-frequency saturation.
    pub k1: f32,
    /// BM25's length normalisation.
    pub b: f32,
    /// Filler phrases, stop words and synonym expansion on the question's side.
    pub query_handling: bool,
    /// Weight of a question's filler phrases (就是那个, 我想问一下); tuning chose 0.
    pub filler_weight: f32,
    /// Weight of stop words (的, 了, 我们) and pairs of them; tuning chose 0.
    pub stop_weight: f32,
    /// Weight of synonyms added to the question.
    pub synonym_weight: f32,
    /// Weight of single pinyin syllables beside syllable pairs.
    pub pinyin_syllable_weight: f32,
    /// How much the question's words no entry contains count against every entry (0 ignores
    /// them; 1 counts them fully): off-topic questions are mostly such words.
    pub unseen_weight: f32,
    pub calibration: Calibration,
    pub thresholds: Thresholds,
}

impl Default for RetrievalSettings {
    fn default() -> Self {
        RetrievalSettings {
            weights: [0.3, 0.3, 0.4],
            question_weight: 1.0,
            answer_weight: 0.3,
            k1: 1.2,
            b: 0.75,
            query_handling: true,
            filler_weight: 0.0,
            stop_weight: 0.0,
            synonym_weight: 0.3,
            pinyin_syllable_weight: 0.4,
            unseen_weight: 0.6,
            calibration: Calibration::default(),
            thresholds: Thresholds::default(),
        }
    }
}

impl RetrievalSettings {
    /// Plain BM25 over character bigrams of question, alternatives and answer alike, with no
    /// query handling: the baseline the shipped settings are measured against.
    pub fn char_bigram_bm25() -> Self {
        RetrievalSettings {
            weights: [0.0, 1.0, 0.0],
            answer_weight: 1.0,
            query_handling: false,
            unseen_weight: 0.0,
            ..RetrievalSettings::default()
        }
    }
}

/// The most a hit that shares a single word with the question can score when the question
/// also has words no entry contains: below any answer or choice worth offering.
const LONE_WORD_CONFIDENCE: f32 = 0.2;

/// A searchable revision of one knowledge base. Immutable; shared by every call through an
/// `Arc`.
#[derive(Debug, Clone)]
pub struct KnowledgeIndex {
    revision: i64,
    entries: Vec<KnowledgeEntry>,
    settings: RetrievalSettings,
    /// One inverted index per analysis, in [`Analysis::ALL`] order.
    indexes: Vec<Bm25>,
}

impl KnowledgeIndex {
    /// Indexes `entries` (the enabled entries of revision `revision`) with the shipped
    /// settings.
    pub fn new(revision: i64, entries: Vec<KnowledgeEntry>) -> Self {
        Self::with_settings(revision, entries, RetrievalSettings::default())
    }

    pub fn with_settings(
        revision: i64,
        entries: Vec<KnowledgeEntry>,
        settings: RetrievalSettings,
    ) -> Self {
        // Each entry's texts analysed once, then handed to each analysis's index.
        let analysed: Vec<Vec<([Vec<analysis::Term>; 3], f32)>> = entries
            .iter()
            .map(|e| {
                std::iter::once(&e.question)
                    .chain(&e.alternatives)
                    .map(|q| (analyze(&normalize(q)), settings.question_weight))
                    .chain(std::iter::once((
                        analyze(&normalize(&e.answer)),
                        settings.answer_weight,
                    )))
                    .collect()
            })
            .collect();
        let indexes = Analysis::ALL
            .iter()
            .map(|analysis| {
                let slot = analysis.slot();
                Bm25::build(
                    analysed.iter().map(|texts| {
                        texts
                            .iter()
                            .flat_map(|(terms, weight)| {
                                terms[slot].iter().map(move |t| {
                                    let w = if t.single {
                                        weight * settings.pinyin_syllable_weight
                                    } else {
                                        *weight
                                    };
                                    (t.text.as_str(), w)
                                })
                            })
                            .filter(|(_, w)| *w > 0.0)
                            .collect()
                    }),
                    settings.k1,
                    settings.b,
                )
            })
            .collect();
        KnowledgeIndex {
            revision,
            entries,
            settings,
            indexes,
        }
    }

    pub fn revision(&self) -> i64 {
        self.revision
    }

    pub fn entries(&self) -> &[KnowledgeEntry] {
        &self.entries
    }

    pub fn settings(&self) -> &RetrievalSettings {
        &self.settings
    }

    /// The best entries for `question`, best first, at most `limit`, each with its calibrated
    /// confidence. Entries sharing nothing with the question are never returned; ties go to
    /// the earlier entry.
    pub fn search(&self, question: &str, limit: usize) -> Vec<KnowledgeHit> {
        self.rank(question, limit)
            .into_iter()
            .map(|(entry, _, score)| KnowledgeHit { entry, score })
            .collect()
    }

    /// What to do with `question` under the index's default [`Thresholds`]: answer with the
    /// best entry, offer two or three close ones, or say there is no answer.
    pub fn decide(&self, question: &str) -> Decision {
        self.decide_with(question, &self.settings.thresholds)
    }

    /// [`Self::decide`] with other thresholds (a flow's own setting, say).
    pub fn decide_with(&self, question: &str, thresholds: &Thresholds) -> Decision {
        Decision::from_hits(&self.search(question, 3), thresholds)
    }

    /// The best `limit` entries as (entry, fused relevance, confidence), best first: what
    /// [`Self::search`] returns plus the uncalibrated relevance.
    pub fn rank(&self, question: &str, limit: usize) -> Vec<(usize, f32, f32)> {
        self.explain(question, limit)
            .into_iter()
            .map(|(entry, features, score)| (entry, features.relevance, score))
            .collect()
    }

    /// The best `limit` entries as (entry, what the calibration knows of it, confidence), best
    /// first: for fitting the calibration.
    pub fn explain(&self, question: &str, limit: usize) -> Vec<(usize, Features, f32)> {
        let terms = query_terms(question, &self.settings);
        let mut fused = vec![0.0f32; self.entries.len()];
        for analysis in Analysis::ALL {
            let slot = analysis.slot();
            let weight = self.settings.weights[slot];
            if weight <= 0.0 {
                continue;
            }
            let index = &self.indexes[slot];
            let reference = index.reference(&terms[slot], self.settings.unseen_weight);
            if reference > 0.0 {
                index.accumulate(&terms[slot], weight / reference, &mut fused);
            }
        }
        let mut ranked: Vec<(usize, f32)> = fused
            .into_iter()
            .enumerate()
            .filter(|(_, f)| *f > 0.0)
            .collect();
        // Only the best `limit` (at least two, for the margin) are sorted: a common word can
        // touch most of a large base.
        let order = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        let keep = limit.max(2);
        if ranked.len() > keep {
            ranked.select_nth_unstable_by(keep - 1, order);
            ranked.truncate(keep);
        }
        ranked.sort_by(order);
        let best = ranked.first().map_or(0.0, |r| r.1);
        let second = ranked.get(1).map_or(0.0, |r| r.1);

        // The question's own content words (synonyms come in lighter, stop words and filler
        // at 0), and its syllable pairs (single syllables have no space).
        let words = &terms[Analysis::Words.slot()];
        let word_index = &self.indexes[Analysis::Words.slot()];
        let sounds = &terms[Analysis::Pinyin.slot()];
        let sound_index = &self.indexes[Analysis::Pinyin.slot()];
        let content = words.iter().filter(|(_, w)| *w >= 1.0);
        let (length, unseen) = content.fold((0usize, 0usize), |(n, u), (t, _)| {
            (n + 1, u + usize::from(!word_index.knows(t)))
        });
        let matched = |terms: &[(String, f32)], index: &Bm25, entry: usize, pairs: bool| {
            terms
                .iter()
                .filter(|(t, _)| t.contains(' ') == pairs)
                .filter(|(t, _)| index.contains(t, entry))
                .map(|(_, w)| w.min(1.0))
                .sum::<f32>()
        };
        let calibration = &self.settings.calibration;
        // A hit is never more confident than one ranked above it: callers take the first hit
        // as the best, and the features can disagree with the ranking by a little.
        let mut ceiling = 1.0f32;
        ranked
            .iter()
            .take(limit)
            .enumerate()
            .map(|(i, &(entry, relevance))| {
                let rival = if i == 0 { second } else { best };
                let shared_words = matched(words, word_index, entry, false);
                let shared_sounds = matched(sounds, sound_index, entry, true);
                let shared_syllables = sounds
                    .iter()
                    .filter(|(t, _)| !t.contains(' ') && sound_index.contains(t, entry))
                    .count();
                let features = Features {
                    relevance,
                    margin: relevance - rival,
                    matched_words: shared_words.ln_1p(),
                    matched_sounds: shared_sounds.ln_1p(),
                    unseen: if length == 0 {
                        0.0
                    } else {
                        unseen as f32 / length as f32
                    },
                    length: (length as f32).ln_1p(),
                };
                let mut confidence = calibration.confidence(&features);
                // One shared word, while the question names things the base has never heard
                // of, is how an off-topic question reaches an entry ("do you sell shoes" and
                // "Do you sell gift cards?"). In a small base that word is rare, so the margin
                // looks decisive; the tuning split has almost no such questions for the fit to
                // learn from, so this is a rule: such a hit is at best a guess. A syllable
                // shared beyond the two of one word (下班 beside the entry's 上班) is more than
                // one word's worth.
                if unseen > 0
                    && shared_words <= 1.0
                    && shared_sounds <= 1.0
                    && shared_syllables <= 2
                {
                    confidence = confidence.min(LONE_WORD_CONFIDENCE);
                }
                confidence = confidence.min(ceiling);
                ceiling = confidence;
                (entry, features, confidence)
            })
            .collect()
    }
}

/// The knowledge bases one call may use, by key, at the revisions it started with. The driver
/// gives them to the session when it starts or resumes it.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    bases: BTreeMap<String, Arc<KnowledgeIndex>>,
}

impl Knowledge {
    pub fn new(bases: BTreeMap<String, Arc<KnowledgeIndex>>) -> Self {
        Knowledge { bases }
    }

    pub fn get(&self, key: &str) -> Option<&Arc<KnowledgeIndex>> {
        self.bases.get(key)
    }

    /// Each base's key and pinned revision, for the call's record.
    pub fn revisions(&self) -> BTreeMap<String, i64> {
        self.bases
            .iter()
            .map(|(k, v)| (k.clone(), v.revision()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, question: &str, answer: &str) -> KnowledgeEntry {
        KnowledgeEntry {
            id: id.into(),
            question: question.into(),
            alternatives: vec![],
            answer: answer.into(),
            category: String::new(),
        }
    }

    fn shop() -> KnowledgeIndex {
        KnowledgeIndex::new(
            3,
            vec![
                entry(
                    "kbe_ship",
                    "物流信息长时间不更新怎么办？",
                    "请联系客服核实，确认丢件会补发。",
                ),
                entry(
                    "kbe_refund",
                    "退款多久到账？",
                    "审核通过后1到3个工作日原路退回。",
                ),
                entry(
                    "kbe_invoice",
                    "可以开发票吗？",
                    "支持电子普通发票和增值税专用发票。",
                ),
                entry(
                    "kbe_en_return",
                    "How do I return an item?",
                    "Open the order and choose Return.",
                ),
                entry(
                    "kbe_en_track",
                    "Where is my order?",
                    "Track it under My orders.",
                ),
            ],
        )
    }

    fn best(index: &KnowledgeIndex, question: &str) -> Option<String> {
        let hits = index.search(question, 3);
        hits.first().map(|h| index.entries()[h.entry].id.clone())
    }

    #[test]
    fn finds_entries_by_synonyms_homophones_and_stems() {
        let index = shop();
        // 包裹 and 没动 are not in the entry; their synonyms 物流 and 不更新 are.
        assert_eq!(
            best(&index, "我的包裹好几天没动了").as_deref(),
            Some("kbe_ship")
        );
        // 钱退回来 for 退款; 报销凭证 for 发票.
        assert_eq!(
            best(&index, "钱什么时候能退回来").as_deref(),
            Some("kbe_refund")
        );
        assert_eq!(
            best(&index, "你们能给报销凭证吗").as_deref(),
            Some("kbe_invoice")
        );
        // 推宽 is how a recogniser may write 退款.
        assert_eq!(best(&index, "推宽多久到账").as_deref(), Some("kbe_refund"));
        assert_eq!(
            best(&index, "I want to send this back").as_deref(),
            Some("kbe_en_return")
        );
        assert_eq!(
            best(&index, "where's my parcel").as_deref(),
            Some("kbe_en_track")
        );
    }

    #[test]
    fn scores_are_confidences_best_first_and_deterministic() {
        let index = shop();
        let hits = index.search("就是那个我想问一下退款要几天才能到账啊", 5);
        assert!(hits.len() <= 5 && !hits.is_empty());
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(hits.iter().all(|h| (0.0..=1.0).contains(&h.score)));
        assert_eq!(
            hits,
            shop().search("就是那个我想问一下退款要几天才能到账啊", 5)
        );
        assert_eq!(index.search("退款", 1).len(), 1);
    }

    #[test]
    fn off_topic_questions_get_no_answer() {
        let index = shop();
        assert_eq!(
            index.decide("今天天气怎么样会不会下雨").as_str(),
            "no_answer"
        );
        assert_eq!(index.decide("").as_str(), "no_answer");
        assert!(KnowledgeIndex::new(1, vec![]).search("退款", 3).is_empty());
    }

    #[test]
    fn a_clear_question_is_answered() {
        let index = shop();
        match index.decide("可以开发票吗") {
            Decision::Answered(hit) => assert_eq!(index.entries()[hit.entry].id, "kbe_invoice"),
            other => panic!("{other:?}"),
        }
    }
}
