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
            .filter(|h| h.score >= thresholds.ambiguous && best.score - h.score <= thresholds.close)
            .collect();
        if close.len() >= 2 {
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
    /// Below `answer`, hits at or above this score may be offered as a choice...
    pub ambiguous: f32,
    /// ...when they are within this distance of the best hit (and there are two or three).
    pub close: f32,
}

impl Default for Thresholds {
    /// Chosen on the tuning split of `flow-engine/tests/data/knowledge` (never its test
    /// split) by the `tune` test of `flow-engine/tests/knowledge_datasets.rs`: the most right
    /// answers, less the wrong ones, that still refuse 85% of the unanswerable questions.
    fn default() -> Self {
        Thresholds {
            answer: 0.65,
            ambiguous: 0.45,
            close: 0.05,
        }
    }
}

/// The logistic map from a hit's fused relevance to a calibrated confidence. Its inputs are
/// the relevance itself (how much of the question the entry explains) and the margin over the
/// best other hit (how clearly it beats the alternatives): a high relevance shared by two
/// entries is not confidence in either.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub bias: f32,
    pub relevance: f32,
    pub margin: f32,
}

impl Calibration {
    pub fn confidence(&self, relevance: f32, margin: f32) -> f32 {
        let z = self.bias + self.relevance * relevance + self.margin * margin;
        1.0 / (1.0 + (-z).exp())
    }
}

impl Default for Calibration {
    /// Fitted on the tuning split (logistic regression: was the top hit the right entry?).
    fn default() -> Self {
        Calibration {
            bias: -1.39,
            relevance: 7.67,
            margin: 12.13,
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
        assert_eq!(Decision::from_hits(&[], &t).as_str(), "no_answer");
    }

    #[test]
    fn confidence_grows_with_relevance_and_margin() {
        let c = Calibration::default();
        assert!(c.confidence(0.8, 0.3) > c.confidence(0.8, 0.0));
        assert!(c.confidence(0.8, 0.0) > c.confidence(0.3, 0.0));
        assert!((0.0..=1.0).contains(&c.confidence(100.0, 100.0)));
    }
}
