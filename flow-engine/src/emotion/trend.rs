//! Anger over the turns of a call. A caller who gets angrier turn after turn, or who says the
//! same thing again because the robot did not get it, is closer to hanging up than any one
//! sentence shows; a calm turn lets the carried anger fade.
//!
//! Plain data, so a session can keep it in its snapshot; no clock: "over time" is per turn.

use serde::{Deserialize, Serialize};

use super::{rounded, Emotion, Label, ANGRY};
use crate::text::normalize;

/// How much of the carried anger a turn keeps: a calm turn lets it fade fast, a pleased one
/// faster, any other turn slowly.
const KEEP_CALM: f32 = 0.5;
const KEEP_PLEASED: f32 = 0.3;
const KEEP: f32 = 0.8;
/// Below this a turn is calm.
const CALM: f32 = 0.2;
/// A turn rises if its anger exceeds the last turn's by more than this.
const RISE: f32 = 0.05;
/// Added per consecutive rising turn (at most [`MAX_STREAK`] of them).
const RISING: f32 = 0.1;
/// Added per consecutive repetition (at most [`MAX_STREAK`] of them).
const REPEATING: f32 = 0.15;
const MAX_STREAK: u32 = 3;
/// Character-bigram similarity from which a turn repeats an earlier one.
const SAME: f32 = 0.6;
/// Turns shorter than this many characters (好的, yes, 对) are answers, and saying them again
/// is no repetition.
const MIN_REPEAT_CHARS: usize = 4;
/// How many earlier turns a turn is compared with, and how much of each is kept.
const REMEMBERED: usize = 3;
const REMEMBERED_CHARS: usize = 120;

/// The call's anger so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The adjusted anger of the last turn, which the next turn starts from.
    pub level: f32,
    /// The last turn's own anger (as [`super::score`] gave it).
    pub last: f32,
    /// Consecutive turns whose anger rose.
    pub rising: u32,
    /// Consecutive turns that repeated an earlier one.
    pub repeating: u32,
    /// The last few turns, normalised and shortened, to find repetitions in.
    pub recent: Vec<String>,
    pub turns: u32,
    /// The last turn's label; absent in snapshots from before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_label: Option<Label>,
}

impl Trend {
    /// Whether no turn was observed yet.
    pub fn is_new(&self) -> bool {
        self.turns == 0
    }

    /// How the caller feels now: angry while the anger carried over the call is, even if the
    /// last thing they said was calm (an order number said through gritted teeth), otherwise
    /// as the last turn sounded; `None` before the caller said anything. The anger is compared
    /// as records show it, to two decimals, so that 0.5 on the record is angry here too.
    pub fn label(&self) -> Option<Label> {
        if rounded(self.level) >= f64::from(ANGRY) {
            return Some(Label::Angry);
        }
        self.last_label
    }

    /// Takes in one turn (its emotion and what was said) and returns its anger adjusted for the
    /// call so far, 0 to 1.
    pub fn observe(&mut self, e: &Emotion, text: &str) -> f32 {
        self.observe_normalized(e, &normalize(text))
    }

    /// Like [`Trend::observe`], with the text already normalised (`text::normalize`), so that
    /// a caller who also matches intents on it normalises it once.
    pub fn observe_normalized(&mut self, e: &Emotion, normalized: &str) -> f32 {
        let kept = normalized
            .char_indices()
            .nth(REMEMBERED_CHARS)
            .map_or(normalized.len(), |(end, _)| end);
        let normalized = normalized[..kept].to_owned();
        let repeats =
            !self.recent.is_empty() && normalized.chars().count() >= MIN_REPEAT_CHARS && {
                let mine = bigrams(&normalized);
                self.recent
                    .iter()
                    .any(|earlier| bigram_similarity(&bigrams(earlier), &mine) >= SAME)
            };
        self.repeating = if repeats { self.repeating + 1 } else { 0 };
        // Only a turn that sounds unhappy rises: the learned model scores calm requests
        // anywhere from 0 to about 0.45 (还要查一个订单 0.42 after 我的快递到哪了 0.06), and
        // counting that drift as rising anger handed calm callers to a person.
        let unhappy = matches!(e.label, Label::Angry | Label::Negative);
        self.rising = if self.turns > 0 && e.anger > self.last + RISE && e.anger >= CALM && unhappy
        {
            self.rising + 1
        } else if e.anger < self.last - RISE || e.anger < CALM {
            0
        } else {
            self.rising
        };
        let keep = if e.label == Label::Positive {
            KEEP_PLEASED
        } else if e.anger < CALM {
            KEEP_CALM
        } else {
            KEEP
        };
        let adjusted = e.anger.max(self.level * keep)
            + RISING * self.rising.min(MAX_STREAK) as f32
            + REPEATING * self.repeating.min(MAX_STREAK) as f32;
        let adjusted = adjusted.clamp(0.0, 1.0);
        self.level = adjusted;
        self.last = e.anger;
        self.last_label = Some(e.label);
        self.turns = self.turns.saturating_add(1);
        if self.recent.len() == REMEMBERED {
            self.recent.remove(0);
        }
        self.recent.push(normalized);
        adjusted
    }
}

/// The character bigrams of `s` (spaces left out), sorted.
fn bigrams(s: &str) -> Vec<(char, char)> {
    let chars: Vec<char> = s.chars().filter(|c| *c != ' ').collect();
    let mut out: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
    out.sort_unstable();
    out
}

/// Dice similarity of two normalised texts' [`bigrams`], 0 to 1: word order and a word or two
/// more or less barely change it, and it needs no segmentation.
fn bigram_similarity(x: &[(char, char)], y: &[(char, char)]) -> f32 {
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    // Count common bigrams with multiplicity by merging the two sorted lists.
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * common as f32 / (x.len() + y.len()) as f32
}

#[cfg(test)]
pub(super) fn similarity_for_tests(a: &str, b: &str) -> f32 {
    bigram_similarity(&bigrams(&normalize(a)), &bigrams(&normalize(b)))
}
