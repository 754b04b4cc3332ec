//! Turning ranked hits into what the robot does: answer with the best entry, ask which of two
//! or three close entries was meant, or admit the knowledge base has no answer. A wrong answer
//! read out with confidence costs a caller more than a "which one did you mean", and that more
//! than a handoff, so the thresholds are set from labelled questions, not by feel.

use super::KnowledgeHit;

/// What to do with a question, from [`super::KnowledgeIndex::decide`].
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// One entry answers the question confidently.
    Answered(KnowledgeHit),
    /// Two or three entries are plausible and close: ask which was meant. Best first.
    Ambiguous(Vec<KnowledgeHit>),
    /// Nothing in the knowledge base answers it confidently.
    NoAnswer,
}

impl Decision {
    /// The decision as the API and analytics name it: `answered`, `ambiguous`, `no_answer`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Answered(_) => "answered",
            Decision::Ambiguous(_) => "ambiguous",
            Decision::NoAnswer => "no_answer",
        }
    }

    /// The entries the decision offers, best first (empty for no answer).
    pub fn hits(&self) -> &[KnowledgeHit] {
        match self {
            Decision::Answered(hit) => std::slice::from_ref(hit),
            Decision::Ambiguous(hits) => hits,
            Decision::NoAnswer => &[],
        }
    }

    /// Decides from hits as [`super::KnowledgeIndex::search`] returns them (best first,
    /// calibrated scores). Lets a caller that already searched (say, to offer the next best
    /// entry later) decide without searching again.
    ///
    /// Each score is the chance that its entry is the one that answers, and only one entry
    /// does, so the chance that one of several offered entries answers is their sum: a choice
    /// of two or three is offered when that sum is high enough although no single entry is.
    pub fn from_hits(hits: &[KnowledgeHit], thresholds: &Thresholds) -> Decision {
        let Some(&best) = hits.first() else {
            return Decision::NoAnswer;
        };
        if best.score >= thresholds.answer {
            return Decision::Answered(best);
        }
        let close: Vec<KnowledgeHit> = hits
            .iter()
            .take(3)
            .copied()
            .filter(|h| h.score >= thresholds.offer && best.score - h.score <= thresholds.close)
            .collect();
        let together: f32 = close.iter().map(|h| h.score).sum();
        if close.len() >= 2 && together >= thresholds.ambiguous {
            Decision::Ambiguous(close)
        } else {
            Decision::NoAnswer
        }
    }
}

/// Where [`Decision::from_hits`] draws its lines, on the calibrated score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// The best hit's score at or above which it is the answer.
    pub answer: f32,
    /// Below `answer`, two or three hits are offered as a choice when their scores add up to
    /// at least this (the chance that one of them answers)...
    pub ambiguous: f32,
    /// ...counting the hits within this distance of the best one...
    pub close: f32,
    /// ...and scoring at least this: an entry this unlikely is not worth the caller's time.
    pub offer: f32,
}

impl Default for Thresholds {
    /// Chosen on the tuning split of `flow-engine/tests/data/knowledge` (never its test
    /// split) by the `tune` test of `flow-engine/tests/knowledge_datasets.rs`: the most right
    /// answers and right choices, less three times the wrong ones, that still refuse 85% of
    /// the unanswerable questions.
    fn default() -> Self {
        Thresholds {
            answer: 0.8,
            ambiguous: 0.45,
            close: 1.0,
            offer: 0.05,
        }
    }
}

/// What the calibration knows of one hit. Counts enter as `ln(1 + count)`: the third matched
/// word says less than the first.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Features {
    /// The fused relevance: how much of the question the entry explains, 0 for nothing, about
    /// 1 for all of it.
    pub relevance: f32,
    /// Relevance less the best other hit's: how clearly it beats the alternatives (negative
    /// below the best).
    pub margin: f32,
    /// `ln(1 + n)`, n the question's words the entry contains (a synonym counts for its
    /// weight): one shared word is how an off-topic question reaches an entry.
    pub matched_words: f32,
    /// `ln(1 + n)`, n the question's syllable pairs the entry contains: the same through the
    /// recogniser's wrong characters.
    pub matched_sounds: f32,
    /// The share of the question's content words no entry contains at all: high when the
    /// question is about something the base does not cover.
    pub unseen: f32,
    /// `ln(1 + n)`, n the question's content words: a rambling question explains less of
    /// itself through any entry.
    pub length: f32,
}

/// The logistic map from a hit's [`Features`] to a calibrated confidence: the chance that the
/// entry is the one that answers the question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub bias: f32,
    pub relevance: f32,
    pub margin: f32,
    pub matched_words: f32,
    pub matched_sounds: f32,
    pub unseen: f32,
    pub length: f32,
}

impl Calibration {
    pub fn confidence(&self, f: &Features) -> f32 {
        let z = self.bias
            + self.relevance * f.relevance
            + self.margin * f.margin
            + self.matched_words * f.matched_words
            + self.matched_sounds * f.matched_sounds
            + self.unseen * f.unseen
            + self.length * f.length;
        1.0 / (1.0 + (-z).exp())
    }
}

impl Default for Calibration {
    /// Fitted on the tuning split (logistic regression over the top three hits of each
    /// question: is this hit the right entry?).
    fn default() -> Self {
        Calibration {
            bias: -4.85,
            relevance: 2.50,
            margin: 16.42,
            matched_words: 0.51,
            matched_sounds: 1.51,
            unseen: -0.30,
            length: 0.61,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(entry: usize, score: f32) -> KnowledgeHit {
        KnowledgeHit { entry, score }
    }

    #[test]
    fn decides_by_the_thresholds() {
        let t = Thresholds {
            answer: 0.6,
            ambiguous: 0.3,
            close: 0.1,
            offer: 0.08,
        };
        assert_eq!(
            Decision::from_hits(&[hit(3, 0.7), hit(1, 0.65)], &t),
            Decision::Answered(hit(3, 0.7))
        );
        let two = Decision::from_hits(&[hit(3, 0.45), hit(1, 0.4), hit(2, 0.1)], &t);
        assert_eq!(two, Decision::Ambiguous(vec![hit(3, 0.45), hit(1, 0.4)]));
        assert_eq!(two.as_str(), "ambiguous");
        // One plausible entry alone is not a choice to offer.
        assert_eq!(
            Decision::from_hits(&[hit(3, 0.45), hit(1, 0.2)], &t),
            Decision::NoAnswer
        );
        // Close but unlikely together: not worth asking about.
        assert_eq!(
            Decision::from_hits(&[hit(3, 0.1), hit(1, 0.09), hit(2, 0.085)], &t),
            Decision::NoAnswer
        );
        // Too unlikely to be offered, however close.
        assert_eq!(
            Decision::from_hits(&[hit(3, 0.25), hit(1, 0.07), hit(2, 0.06)], &t),
            Decision::NoAnswer
        );
        assert_eq!(Decision::from_hits(&[], &t).as_str(), "no_answer");
    }

    #[test]
    fn confidence_grows_with_relevance_and_margin() {
        let c = Calibration::default();
        let at = |relevance: f32, margin: f32| {
            c.confidence(&Features {
                relevance,
                margin,
                ..Features::default()
            })
        };
        assert!(at(0.8, 0.3) > at(0.8, 0.0));
        assert!(at(0.8, 0.0) > at(0.3, 0.0));
        assert!((0.0..=1.0).contains(&at(100.0, 100.0)));
    }
}
