//! How angry a caller is, from what they said (Chinese and English), and over the turns of a
//! call ([`Trend`]): so a flow can hand an angry caller to a person before they hang up, and a
//! report can count the calls that went badly.
//!
//! [`score`] is the rules' evidence ([`rules`]) and a learned model's together
//! (`learned.rs`: linear SVMs on words and character n-grams, trained on labelled utterances,
//! which reach the many wordings of anger no rule names). [`rules`] is a lexicon and a few
//! rules, written for this project (`lexicon/zh.txt`, `lexicon/en.txt`, see `lexicon.rs` for
//! how entries are matched):
//!
//! * anger words (垃圾, 骗子, "scam") are evidence of anger on their own; escalation words
//!   (投诉, 12315, "chargeback") are strong evidence but a verdict only with an intent
//!   (我要投诉你们, "I want to file a complaint against you"), and count less in a calm question
//!   about the procedure (我想问一下投诉流程, "how do I file a complaint");
//! * exasperation (说了多少遍, 到底, "how many times", "still") adds anger, more when the clause
//!   is a rhetorical question (到底…吗, 凭什么…呢, "…?");
//! * negative words (失望, "damaged") make a caller unhappy but calm; positive words (谢谢,
//!   "perfect") raise valence and damp anger;
//! * intensifiers (非常, "really") multiply the next emotion word, dampeners (有点, "a bit")
//!   shrink it; a negator just before an emotion word turns it: a negated positive is negative
//!   (不太满意, "not happy"), a negated negative mildly positive, denied anger is gone (我没生气,
//!   "I'm not angry") but forbidding keeps it (别骗我, "don't lie to me"). Set phrases that negation would get wrong are entries
//!   of their own (不错, 没问题, "not bad", "no problem");
//! * after a contrast (但是, "but") words count more than before it;
//! * sarcastic praise (真行, 效率真高, "oh great", "great job") is anger when the utterance also
//!   complains, and then its other praise calms nothing; without a complaint it is mild praise;
//! * counts of repeating and waiting (说了八百遍, 打了5次, 推了一个月, "for the fifth time",
//!   "three weeks"), found by `counts.rs` rather than listed, are exasperation; a clause said
//!   twice or one piece said over and over (人工！人工！, 转人工转人工) is too;
//! * kinds of anger said through how a sentence is built rather than with an angry word
//!   (`constructions.rs`): accusing and rhetorical questions (有你们这样做事的吗, "do you people
//!   even read"), blame (都是你们的问题, "your mistake"), a burden put back on the caller
//!   (还让我自己去), dismissal (不用跟我解释了, "forget it"), threats with no escalation word
//!   (别怪我, 发到网上, "you'll be hearing from my…"), orders with a deadline, sarcasm and irony
//!   ("lovely, another automated answer"), and exasperation aimed at the shop; a whole clause
//!   in capitals is shouting;
//! * beyond words: exclamation marks and ?! in a clause that already has negative evidence,
//!   English words in capitals, and a length normalisation so that one mild word in a long calm
//!   ramble does not make it angry.
//!
//! Evidence is added up as a raw score and squashed: `anger = 1 − e^(−raw)`, so one strong word
//! gives about 0.6–0.75 and more evidence approaches 1 without reaching it.
//!
//! Why not a crate for English: the VADER ports on crates.io (`vader_sentiment`, last released
//! 2021; `vader-sentimental`, `qsv_vader_sentiment_analysis`, `vader-parity`; all MIT) score
//! valence on a social-media lexicon, with no notion of anger apart from sadness nor of
//! escalation ("chargeback", "manager", "lawyer" carry no score there), and would bring a
//! second tokenisation (regex, lazy_static) beside `text.rs`. The rules that matter here — the
//! domain words, escalation with or without intent, one pipeline for both languages — had to
//! be written anyway; the generic parts (negation window, boosters, capitals, exclamation
//! marks, "but") follow VADER's published ideas in a few lines.
//!
//! Sans-I/O and deterministic: no clock, no randomness, the lexicon and the learned model's
//! training data compiled in.

mod constructions;
mod counts;
pub mod learned;
mod lexicon;
mod trend;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::text::{fold_width, normalize};
use lexicon::{Category, Term, Unit};

pub use learned::Learned;
pub use lexicon::sizes as lexicon_sizes;
pub use trend::Trend;

/// Anger at or above which a caller is [`Label::Angry`]. The learned model's offsets are set
/// so that this stays its threshold (`learned.rs`); for the rules alone it was chosen on the
/// tuning split of
/// `tests/data/emotion` (never its test split): at 0.5 both languages catch every angry tuning
/// utterance with no false trigger (Chinese from 0.40 to 0.50; English at 0.40–0.45 takes 1.7%
/// of the others for angry, at 0.55 misses 8% of the angry). It also keeps the borderline cases
/// below with some margin (an escalation word alone, 我想投诉, 0.36; a bare "annoyed" or "I want
/// to speak to your manager", 0.45) and puts an escalation with intent (我要投诉, 0.59) or one
/// clear anger word (垃圾, "ridiculous", 0.63 and up) above it.
pub const ANGRY: f32 = 0.5;

/// Anger from which a caller who is not angry is at least [`Label::Negative`].
const NEGATIVE_ANGER: f32 = 0.3;
/// Valence at or below which a calm caller is [`Label::Negative`], at or above which
/// [`Label::Positive`].
const NEGATIVE_VALENCE: f32 = -0.2;
const POSITIVE_VALENCE: f32 = 0.25;

/// The emotion of one utterance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Emotion {
    /// How angry, 0 (not at all) to 1.
    pub anger: f32,
    /// How unhappy (−1) or pleased (1).
    pub valence: f32,
    pub label: Label,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Anger at or above [`ANGRY`].
    Angry,
    /// Unhappy but calm: a complaint, a disappointment, a worry.
    Negative,
    Neutral,
    /// Thanks, praise, relief.
    Positive,
}

impl Label {
    /// The label as records and expressions spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Angry => "angry",
            Label::Negative => "negative",
            Label::Neutral => "neutral",
            Label::Positive => "positive",
        }
    }
}

/// How a term's weight counts toward each score.
mod weights {
    /// Share of an anger word's weight that also lowers valence.
    pub const ANGER_VALENCE: f32 = 0.8;
    /// Share of an escalation or exasperation word's weight that lowers valence.
    pub const PRESSURE_VALENCE: f32 = 0.5;
    /// Share of a negative word's weight that counts as anger: unhappy callers are a little
    /// angry, and several complaints in one breath add up.
    pub const NEGATIVE_ANGER: f32 = 0.15;
    /// A negated positive ("not happy") is negative by this share, and a little angry.
    pub const NEGATED_POSITIVE: f32 = 0.7;
    pub const NEGATED_POSITIVE_ANGER: f32 = 0.1;
    /// A negated negative ("not late") is mildly positive.
    pub const NEGATED_NEGATIVE: f32 = 0.3;
    /// Escalation after an intent (我要投诉) counts this many times over; in a calm question
    /// about the procedure (请问投诉流程) it counts this share.
    pub const INTENT: f32 = 2.0;
    pub const INQUIRY: f32 = 0.6;
    /// Before a contrast (但是, "but") words count half, after it more.
    pub const BEFORE_CONTRAST: f32 = 0.5;
    pub const AFTER_CONTRAST: f32 = 1.3;
    /// Anger per exclamation mark (at most three) in a clause with negative evidence, and for
    /// ?! together.
    pub const EXCLAMATION: f32 = 0.12;
    pub const MAX_EXCLAMATIONS: u32 = 3;
    pub const INTERROBANG: f32 = 0.2;
    /// Positive weight per exclamation mark in a clause of praise ("太好了！").
    pub const POSITIVE_EXCLAMATION: f32 = 0.1;
    /// Anger for a rhetorical question: exasperation in a clause that asks (到底…吗).
    pub const RHETORICAL: f32 = 0.3;
    /// Anger for exasperation aimed at the shop (你们又…, "you keep …"): blame.
    pub const ADDRESSED: f32 = 0.2;
    /// Emphasis per English word in capitals (at most two), and anger for shouting (most of a
    /// clause's words in capitals).
    pub const CAPS: f32 = 0.25;
    pub const MAX_CAPS: u32 = 2;
    pub const SHOUTING: f32 = 0.2;
    /// A clause of three words or more in capitals is shouting whatever the words
    /// ("I SAID I WANT A REFUND"): the labelling counts shouting as anger on its own.
    pub const SHOUTED_WORDS: u32 = 3;
    pub const SHOUTED_CLAUSE: f32 = 0.75;
    /// Negators weighted below this only forbid (别, 不要, "don't").
    pub const PROHIBITIVE: f32 = 0.75;
    /// Praise that is sarcastic when the caller also complains (真行啊, 效率真高, "oh great"):
    /// with a complaint anywhere in the utterance its weight counts as anger, and the rest of
    /// the utterance's praise ("thanks so much") is taken as ironic too and calms nothing;
    /// without one it is praise, at this share of its weight.
    pub const SARCASM_PRAISE: f32 = 0.6;
    /// A clause said again at once (人工！人工！, "agent. agent.") or one piece said over and
    /// over in a clause (转人工转人工转人工) is exasperation, strong enough with a mark or two
    /// to be anger.
    pub const REPEATED_CLAUSE: f32 = 0.7;
    /// Exclamation marks over the whole utterance from which, with no praise, the caller is
    /// shouting (我！要！退！款！).
    pub const SHOUTED_MARKS: u32 = 3;
    /// Positive evidence takes this share of itself off the anger.
    pub const POSITIVE_CALMS: f32 = 0.3;
    /// Utterances longer than this many units have their evidence scaled by
    /// `(LONG / units)^LONG_POWER`.
    pub const LONG: f32 = 15.0;
    pub const LONG_POWER: f32 = 0.4;
}

/// How far a negator or intensifier reaches, in plain words between it and the emotion word:
/// Chinese puts them right before (不满意, 没有很生气), English lets a few words in between
/// ("not at all happy", "don't really like").
fn reach(term: &Term) -> u8 {
    if term.cjk {
        2
    } else {
        3
    }
}

/// A score as it is recorded: to two decimals (an f32's 0.68 would read 0.6800000071525574).
pub fn rounded(x: f32) -> f64 {
    (f64::from(x) * 100.0).round() / 100.0
}

/// The emotion of one utterance: the rules' verdict weighed with the learned model's
/// (`learned.rs`), trained once per process at first use.
pub fn score(text: &str) -> Emotion {
    learned::shipped().score(text)
}

/// [`score`] of what a listening node heard, with the features its intent matching already
/// extracted from the same text.
pub(crate) fn score_heard(text: &str, heard: &crate::nlu::Utterance) -> Emotion {
    learned::shipped().score_features(text, heard.features(), Some(Segmented::of(heard)))
}

/// A normalised text and its words, already cut: a clause whose normalised text is this one
/// (an utterance of one clause) reads these words instead of segmenting again.
#[derive(Clone, Copy)]
pub(crate) struct Segmented<'a> {
    pub normalized: &'a str,
    pub words: &'a crate::text::Words,
}

impl<'a> Segmented<'a> {
    /// The normalised text and words of an utterance analysed for intents.
    pub(crate) fn of(heard: &'a crate::nlu::Utterance) -> Self {
        Self {
            normalized: heard.normalized(),
            words: heard.words(),
        }
    }
}

/// The emotion of one utterance by the lexicon and rules alone.
pub fn rules(text: &str) -> Emotion {
    analyse(text).0
}

/// The rules' emotion of one utterance and what its punctuation and letter case show, from one
/// reading of its clauses.
pub(crate) fn analyse(text: &str) -> (Emotion, Surface) {
    analyse_segmented(text, None)
}

/// [`analyse`], reading the words of `segmented` where a clause is that text.
pub(crate) fn analyse_segmented(
    text: &str,
    segmented: Option<Segmented<'_>>,
) -> (Emotion, Surface) {
    let mut sums = Sums::default();
    let mut s = Surface {
        exclamations: 0,
        question: false,
        caps: 0,
        latin_words: 0,
    };
    for clause in clauses(text, segmented) {
        s.exclamations += clause.exclamations;
        s.question |= clause.question;
        s.caps += clause.caps;
        s.latin_words += clause.latin_words;
        sums.add_clause(&clause);
    }
    (sums.finish(), s)
}

/// A stretch of the caller's text between punctuation, with what its closing punctuation and
/// letter case say.
struct Clause {
    units: Vec<Unit>,
    /// Exasperation from counts of repeating and waiting (see `counts.rs`).
    counted: f32,
    /// The normalised text, and the piece it repeats if it is one piece said over and over
    /// (转人工转人工, "agent agent").
    text: String,
    repeats_itself: bool,
    exclamations: u32,
    /// Closed by a question mark or ending with the question particle 吗 or 呢.
    question: bool,
    interrobang: bool,
    /// English words (two letters or more) written in capitals, and all English words.
    caps: u32,
    latin_words: u32,
}

fn is_break(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | '!' | '?' | ';' | ':' | '。' | '、' | '…' | '~' | '\n' | '\r'
    )
}

/// Abbreviations written in capitals that are not shouting.
const ACRONYMS: &[&str] = &[
    "OK", "ID", "UPS", "DHL", "USPS", "EMS", "SF", "SMS", "TV", "PC", "APP", "VIP", "USA", "UK",
    "EU", "PDF", "FAQ", "CEO", "AM", "PM", "QR", "BBB", "IT", "USB", "GPS", "PIN", "PS",
];

/// The clauses of `text`: cut at punctuation, each with the marks of the punctuation that
/// closes it.
fn clauses(text: &str, segmented: Option<Segmented<'_>>) -> Vec<Clause> {
    let mut out = Vec::with_capacity(4);
    let mut start = 0;
    let mut end = 0;
    let mut in_break = false;
    let (mut exclamations, mut question) = (0u32, false);
    for (i, c) in text.char_indices() {
        let c = fold_width(c);
        if is_break(c) {
            if !in_break {
                end = i;
                in_break = true;
                (exclamations, question) = (0, false);
            }
            match c {
                '!' => exclamations += 1,
                '?' => question = true,
                _ => {}
            }
        } else if in_break {
            out.push(clause(&text[start..end], exclamations, question, segmented));
            start = i;
            in_break = false;
        }
    }
    if in_break {
        out.push(clause(&text[start..end], exclamations, question, segmented));
    } else {
        out.push(clause(&text[start..], 0, false, segmented));
    }
    out
}

fn clause(
    raw: &str,
    exclamations: u32,
    question_mark: bool,
    segmented: Option<Segmented<'_>>,
) -> Clause {
    let normalized = normalize(raw);
    // The characters, taken once for the readers that go by character.
    let chars: Vec<char> = normalized.chars().collect();
    let particle = normalized.ends_with('吗') || normalized.ends_with('呢') || ends_a_not_a(&chars);
    let (mut caps, mut latin_words) = (0, 0);
    // Copied only when there is something to fold: full-width letters are rare.
    let folded: std::borrow::Cow<str> = if raw.chars().any(|c| fold_width(c) != c) {
        raw.chars().map(fold_width).collect()
    } else {
        raw.into()
    };
    for word in folded
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
        .filter(|w| w.bytes().any(|b| b.is_ascii_alphabetic()))
    {
        latin_words += 1;
        let letters = word.bytes().filter(u8::is_ascii_alphabetic).count();
        if letters >= 2
            && !word.bytes().any(|b| b.is_ascii_lowercase())
            && !ACRONYMS.contains(&word)
        {
            caps += 1;
        }
    }
    Clause {
        units: match segmented {
            Some(known) if known.normalized == normalized => lexicon::units_of(known.words),
            _ => lexicon::units(&normalized),
        },
        counted: counts::exasperation(&normalized, &chars),
        exclamations,
        question: question_mark || particle,
        interrobang: question_mark && exclamations > 0,
        caps,
        latin_words,
        repeats_itself: repeats_itself(&normalized, &chars),
        text: normalized,
    }
}

/// What the punctuation and letter case of a whole utterance show.
pub(crate) struct Surface {
    pub exclamations: u32,
    pub question: bool,
    /// English words (two letters or more, not an acronym) in capitals, and all English words.
    pub caps: u32,
    pub latin_words: u32,
}

/// Whether a clause speaks to the shop or its people: 你们, 你, "you", "your".
fn addresses_the_shop(normalized: &str) -> bool {
    normalized.contains('你')
        || normalized
            .split(' ')
            .any(|w| matches!(w, "you" | "your" | "youre" | "youve" | "yall"))
}

/// Whether a clause ends with a question in the A-not-A form (发不发, 有人没人, 管不管):
/// Chinese asks so without 吗 or a question mark, which a recogniser seldom writes.
fn ends_a_not_a(chars: &[char]) -> bool {
    chars[chars.len().saturating_sub(5)..]
        .windows(3)
        .any(|w| matches!(w[1], '不' | '没') && w[0] == w[2] && crate::text::is_cjk(w[0]))
}

/// Answers and greetings said twice are calm (好的好的, 喂，喂, "yes yes", "hello? hello?").
const CALM_REPEATS: &[&str] = &[
    "好的", "是的", "对的", "对对", "你好", "您好", "喂", "嗯", "行", "可以", "好", "对", "谢谢",
    "hello", "hi", "yes", "yeah", "ok", "okay", "sure", "thanks", "right", "no",
];

fn is_calm_repeat(piece: &str) -> bool {
    let piece = piece.trim();
    CALM_REPEATS.contains(&piece) || piece.chars().count() < 2
}

/// Whether a clause is one piece (two characters or more) said two or more times in a row.
fn repeats_itself(normalized: &str, chars: &[char]) -> bool {
    if is_digits(normalized) {
        return false;
    }
    // Spaces between English words do not count: "agent agent" is "agentagent".
    let unspaced: Vec<char>;
    let chars = if chars.contains(&' ') {
        unspaced = chars.iter().copied().filter(|c| *c != ' ').collect();
        &unspaced[..]
    } else {
        chars
    };
    let n = chars.len();
    (2..=n / 2).any(|p| {
        n.is_multiple_of(p)
            && chars.chunks(p).all(|chunk| chunk == &chars[..p])
            && !is_calm_repeat(&chars[..p].iter().collect::<String>())
    })
}

/// Whether a clause is only digits, written or spoken (九九九九九九九九, "nine nine nine"):
/// the same digit over and over is an order or phone number being given, not exasperation.
fn is_digits(normalized: &str) -> bool {
    normalized.split(' ').filter(|w| !w.is_empty()).all(|word| {
        word.chars()
            .all(|c| c.is_ascii_digit() || crate::slots::cn_digit(c).is_some())
            || (word.chars().all(|c| c.is_ascii_alphabetic())
                && crate::slots::parse_digits(word).is_some())
    })
}

/// Evidence gathered over an utterance.
#[derive(Default)]
struct Sums {
    anger: f32,
    positive: f32,
    negative: f32,
    /// Escalation words, resolved at the end against intent and inquiry.
    escalation: f32,
    intent: bool,
    inquiry: bool,
    /// Words after a contrast count [`weights::AFTER_CONTRAST`] times.
    after_contrast: bool,
    units: usize,
    /// Praise that may be sarcastic, resolved at the end against the rest of the utterance.
    sarcasm: f32,
    /// Signs that praise was ironic ("lovely, another …"), resolved at the end.
    irony: f32,
    /// Assent over and over (行行行), anger if the utterance complains.
    concession: f32,
    exclamations: u32,
    /// The last clause's normalised text, to find a clause said twice in a row.
    last_clause: String,
}

/// One clause's evidence, before its punctuation and capitals are applied.
#[derive(Default)]
struct ClauseSums {
    anger: f32,
    positive: f32,
    negative: f32,
    escalation: f32,
    exasperation: bool,
    sarcasm: f32,
}

impl ClauseSums {
    fn scale(&mut self, by: f32) {
        self.anger *= by;
        self.positive *= by;
        self.negative *= by;
        self.escalation *= by;
        self.sarcasm *= by;
    }

    fn has_negative_evidence(&self) -> bool {
        self.anger > 0.0 || self.negative > 0.0 || self.escalation > 0.0
    }
}

impl Sums {
    fn add_clause(&mut self, clause: &Clause) {
        use weights::*;
        let mut c = ClauseSums::default();
        // A pending intensifier's factor and the plain words it and a negator still reach.
        let (mut boost, mut boost_left, mut negated_left) = (1.0f32, 0u8, 0u8);
        // Whether the pending negator only forbids (别, 不要, "don't"): 别骗我 is still angry.
        let mut prohibitive = false;
        for unit in &clause.units {
            self.units += 1;
            let term = match unit {
                Unit::Plain => {
                    boost_left = boost_left.saturating_sub(1);
                    if boost_left == 0 {
                        boost = 1.0;
                    }
                    negated_left = negated_left.saturating_sub(1);
                    continue;
                }
                Unit::Term(term) => term,
            };
            let contrast = if self.after_contrast {
                AFTER_CONTRAST
            } else {
                1.0
            };
            let value = term.weight * boost * contrast;
            let negated = negated_left > 0;
            match term.category {
                Category::Negator => {
                    negated_left = reach(term);
                    prohibitive = term.weight < PROHIBITIVE;
                    continue;
                }
                Category::Intensifier => {
                    boost *= term.weight;
                    boost_left = reach(term);
                    continue;
                }
                Category::Intent => self.intent = true,
                Category::Inquiry => self.inquiry = true,
                Category::Neutral => {}
                Category::Contrast => {
                    // What was said before "but" counts less.
                    self.anger *= BEFORE_CONTRAST;
                    self.positive *= BEFORE_CONTRAST;
                    self.negative *= BEFORE_CONTRAST;
                    self.escalation *= BEFORE_CONTRAST;
                    c.scale(BEFORE_CONTRAST);
                    self.after_contrast = true;
                }
                // Denied anger or exasperation (我没生气) is gone; so is a withdrawn or
                // forbidden escalation (不投诉了, "don't want to complain").
                Category::Anger | Category::Exasperation if negated && !prohibitive => {}
                Category::Escalation if negated => {}
                Category::Anger => {
                    c.anger += value;
                    c.negative += value * ANGER_VALENCE;
                }
                Category::Escalation => {
                    c.escalation += value;
                    c.negative += value * PRESSURE_VALENCE;
                }
                Category::Exasperation => {
                    c.anger += value;
                    c.negative += value * PRESSURE_VALENCE;
                    c.exasperation = true;
                }
                Category::Negative if negated => c.positive += value * NEGATED_NEGATIVE,
                Category::Negative => {
                    c.negative += value;
                    c.anger += value * weights::NEGATIVE_ANGER;
                }
                Category::Positive if negated => {
                    c.negative += value * NEGATED_POSITIVE;
                    c.anger += value * NEGATED_POSITIVE_ANGER;
                }
                Category::Positive => c.positive += value,
                Category::Sarcasm if negated => {}
                Category::Sarcasm => c.sarcasm += value,
            }
            // A modifier is used up by the word it modifies; anything else ends its reach.
            (boost, boost_left, negated_left) = (1.0, 0, 0);
        }
        // "…nobody can help? brilliant.": praise exclaimed after the first clause is ironic if
        // the caller complains (resolved in `finish`).
        if self.units > clause.units.len() && constructions::is_praise_exclamation(&clause.text) {
            c.sarcasm += c.positive;
            c.positive = 0.0;
        }
        // Kinds of anger said through how the sentence is built (constructions.rs).
        let found = constructions::find(&clause.text);
        if found.anger > 0.0 {
            c.anger += found.anger;
            c.negative += found.anger * ANGER_VALENCE;
            c.exasperation |= found.rhetorical;
        }
        if found.complaint > 0.0 {
            c.negative += found.complaint;
            c.anger += found.complaint * NEGATIVE_ANGER;
        }
        c.sarcasm += found.sarcasm;
        self.irony += found.irony;
        self.concession += found.concession;
        // Exasperation aimed at the shop (你们一次又一次…, "you keep …") is blame as well.
        if c.exasperation && addresses_the_shop(&clause.text) {
            c.anger += ADDRESSED;
        }
        if clause.counted > 0.0 {
            c.anger += clause.counted;
            c.negative += clause.counted * PRESSURE_VALENCE;
            c.exasperation = true;
        }
        // Praise said twice (不错不错, 收到了收到了) is no exasperation.
        let repeated = c.positive == 0.0
            && (clause.repeats_itself
                || (clause.text == self.last_clause && !is_calm_repeat(&clause.text)));
        if repeated {
            c.anger += REPEATED_CLAUSE;
            c.negative += REPEATED_CLAUSE * PRESSURE_VALENCE;
        }
        self.exclamations += clause.exclamations;
        self.last_clause.clone_from(&clause.text);
        self.apply_marks(clause, &mut c);
        self.sarcasm += c.sarcasm;
        self.anger += c.anger;
        self.positive += c.positive;
        self.negative += c.negative;
        self.escalation += c.escalation;
    }

    /// Exclamation marks, rhetorical questions and capitals, which amplify what the clause's
    /// words already say and say little on their own.
    fn apply_marks(&self, clause: &Clause, c: &mut ClauseSums) {
        use weights::*;
        if clause.caps > 0 {
            let emphasis = 1.0 + CAPS * clause.caps.min(MAX_CAPS) as f32;
            c.anger *= emphasis;
            c.positive *= emphasis;
            c.escalation *= emphasis;
        }
        if c.has_negative_evidence() {
            c.anger += EXCLAMATION * clause.exclamations.min(MAX_EXCLAMATIONS) as f32;
            if clause.interrobang {
                c.anger += INTERROBANG;
            }
        } else if c.positive > 0.0 {
            c.positive *=
                1.0 + POSITIVE_EXCLAMATION * clause.exclamations.min(MAX_EXCLAMATIONS) as f32;
        }
        // Shouting is evidence of its own, if weak: "STOP CALLING ME".
        if clause.caps >= 2 && clause.caps * 2 >= clause.latin_words {
            c.anger += if clause.caps >= SHOUTED_WORDS {
                SHOUTED_CLAUSE
            } else {
                SHOUTING
            };
        }
        if c.exasperation && clause.question {
            c.anger += RHETORICAL;
        }
    }

    fn finish(self) -> Emotion {
        use weights::*;
        let escalation = self.escalation
            * if self.inquiry {
                INQUIRY
            } else if self.intent {
                INTENT
            } else {
                1.0
            };
        let (mut anger, mut positive, mut negative) = (self.anger, self.positive, self.negative);
        let mut sarcasm = self.sarcasm;
        // "lovely, another automated answer": the praise was ironic. A sign of irony with no
        // praise before it ("so it just needs a restart?") is nothing.
        if self.irony > 0.0 && (positive > 0.0 || sarcasm > 0.0) {
            anger += self.irony;
            negative += self.irony * ANGER_VALENCE;
            sarcasm += positive;
            positive = 0.0;
        }
        let complains = negative > 0.0 || anger > 0.0 || escalation > 0.0;
        if complains {
            anger += self.concession;
            negative += self.concession * ANGER_VALENCE;
        }
        if sarcasm > 0.0 {
            if complains {
                anger += sarcasm;
                negative += sarcasm * ANGER_VALENCE;
                positive = 0.0;
            } else {
                positive += sarcasm * SARCASM_PRAISE;
            }
        }
        if self.exclamations >= SHOUTED_MARKS && positive == 0.0 {
            anger += SHOUTING;
        }
        let length = if self.units as f32 > LONG {
            (LONG / self.units as f32).powf(LONG_POWER)
        } else {
            1.0
        };
        let raw = ((anger + escalation - POSITIVE_CALMS * positive) * length).max(0.0);
        let anger = 1.0 - (-raw).exp();
        let x = (positive - negative) * length;
        let valence = x / (x * x + 1.0).sqrt();
        Emotion {
            anger,
            valence,
            label: label(anger, valence),
        }
    }
}

fn label(anger: f32, valence: f32) -> Label {
    if anger >= ANGRY {
        Label::Angry
    } else if anger >= NEGATIVE_ANGER || valence <= NEGATIVE_VALENCE {
        Label::Negative
    } else if valence >= POSITIVE_VALENCE {
        Label::Positive
    } else {
        Label::Neutral
    }
}
