//! Measuring intent recognition on labelled data, with the peer run side by side: what
//! `callflow nlu-eval` prints and what `tests/nlu_datasets.rs` holds to targets.
//!
//! Data are CSV files with a header naming the columns `text` and `intent` (other columns are
//! ignored). In a test or tuning file an empty intent or `out_of_scope` marks a sentence the
//! intents do not cover; it should be rejected (no match).
//!
//! Figures, at a threshold:
//! * accuracy: in-scope sentences given their intent with a confidence at or above the
//!   threshold (a no-match counts as wrong);
//! * macro-F1: F1 per intent over in-scope sentences (a no-match is a miss), averaged;
//! * no-match rate: in-scope sentences rejected;
//! * out-of-scope rejection: out-of-scope sentences rejected;
//! * confusions: the most frequent (expected, answered) pairs, with examples.

pub mod grouping;
mod peer;
pub mod small_nodes;

use std::collections::HashMap;
use std::fmt;

pub use peer::LinearSvc;

use super::{IntentIndex, IntentSpec, Scope, Utterance, DEFAULT_THRESHOLD};

/// The intent label of sentences no intent covers.
pub const OUT_OF_SCOPE: &str = "out_of_scope";

/// One labelled sentence; `intent` is `None` when it is out of scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub intent: Option<String>,
}

/// RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// Labelled sentences from a CSV with `text` and `intent` columns.
pub fn read_labelled(csv: &str) -> Result<Vec<Example>, String> {
    let rows = parse_csv(csv);
    let header = rows.first().ok_or("the file is empty")?;
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or(format!("no \"{name}\" column in the header"))
    };
    let (text, intent) = (column("text")?, column("intent")?);
    Ok(rows[1..]
        .iter()
        .filter_map(|row| {
            let t = row.get(text)?.trim();
            let i = row.get(intent).map(|s| s.trim()).unwrap_or_default();
            (!t.is_empty()).then(|| Example {
                text: t.to_owned(),
                intent: (!i.is_empty() && i != OUT_OF_SCOPE).then(|| i.to_owned()),
            })
        })
        .collect())
}

/// Train, tuning and test sentences.
#[derive(Debug, Clone, Default)]
pub struct Split {
    pub train: Vec<Example>,
    pub tune: Vec<Example>,
    pub test: Vec<Example>,
}

/// Intents of the Bitext set held out as out-of-scope for tuning the threshold.
pub const BITEXT_TUNE_OUT_OF_SCOPE: &[&str] = &["newsletter_subscription", "review"];
/// Intents of the Bitext set held out as out-of-scope for testing.
pub const BITEXT_TEST_OUT_OF_SCOPE: &[&str] = &[
    "check_cancellation_fee",
    "delivery_period",
    "registration_problems",
];
/// In-scope sentences per intent kept for tuning.
const BITEXT_TUNE_PER_INTENT: usize = 10;

/// The Bitext customer-support set (`utterance,intent,…`) split for evaluation, the same way
/// on every run: each in-scope intent's sentences are shuffled with a fixed seed, the first
/// `per_intent` train, the next 10 tune, the rest test; the intents of
/// [`BITEXT_TUNE_OUT_OF_SCOPE`] and [`BITEXT_TEST_OUT_OF_SCOPE`] are out-of-scope sentences
/// of the tuning and test splits (never trained on).
pub fn bitext_split(csv: &str, per_intent: usize) -> Result<Split, String> {
    let by_intent = bitext_intents(csv)?;
    let mut split = Split::default();
    let mut state = 0x0005_DEEC_E66Du64;
    for (name, mut texts) in by_intent {
        shuffle(&mut texts, &mut state);
        let oos = |t: &String| Example {
            text: t.clone(),
            intent: None,
        };
        if BITEXT_TUNE_OUT_OF_SCOPE.contains(&name.as_str()) {
            split.tune.extend(texts.iter().map(oos));
        } else if BITEXT_TEST_OUT_OF_SCOPE.contains(&name.as_str()) {
            split.test.extend(texts.iter().map(oos));
        } else {
            for (n, t) in texts.into_iter().enumerate() {
                let example = Example {
                    text: t,
                    intent: Some(name.clone()),
                };
                if n < per_intent {
                    split.train.push(example);
                } else if n < per_intent + BITEXT_TUNE_PER_INTENT {
                    split.tune.push(example);
                } else {
                    split.test.push(example);
                }
            }
        }
    }
    Ok(split)
}

/// The Bitext set's sentences (`utterance,intent,…`) by intent, intents in name order and
/// sentences in the file's.
fn bitext_intents(csv: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    let rows = parse_csv(csv);
    let header = rows.first().ok_or("the file is empty")?;
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or(format!("no \"{name}\" column"))
    };
    let (text, intent) = (column("utterance")?, column("intent")?);
    let mut by_intent: Vec<(String, Vec<String>)> = Vec::new();
    for row in &rows[1..] {
        let (Some(t), Some(i)) = (row.get(text), row.get(intent)) else {
            continue;
        };
        match by_intent.iter_mut().find(|(name, _)| name == i) {
            Some((_, list)) => list.push(t.clone()),
            None => by_intent.push((i.clone(), vec![t.clone()])),
        }
    }
    by_intent.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(by_intent)
}

fn shuffle<T>(v: &mut [T], state: &mut u64) {
    for i in (1..v.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        v.swap(i, (*state % (i as u64 + 1)) as usize);
    }
}

/// Both classifiers trained on the same sentences.
pub struct Trained {
    intents: Vec<String>,
    ours: IntentIndex,
    peer: LinearSvc,
}

/// What a classifier answered for one sentence: the intent and its score, if any.
type Answer = Option<(usize, f64)>;

impl Trained {
    /// `library`: whether ours knows the built-in shop intents, as every flow's classifier
    /// does (`false` shows what an intent the library does not know gets).
    pub fn new(train: &[Example], library: bool) -> Self {
        let mut intents: Vec<String> = Vec::new();
        let mut examples: Vec<Vec<String>> = Vec::new();
        let mut rows: Vec<(&str, usize)> = Vec::new();
        for e in train {
            let Some(name) = &e.intent else { continue };
            let i = match intents.iter().position(|n| n == name) {
                Some(i) => i,
                None => {
                    intents.push(name.clone());
                    examples.push(Vec::new());
                    intents.len() - 1
                }
            };
            examples[i].push(e.text.clone());
            rows.push((&e.text, i));
        }
        let specs = examples.iter().map(|e| IntentSpec {
            examples: e,
            keywords: &[],
        });
        let ours = match library {
            true => IntentIndex::new(specs, Scope::Node),
            false => IntentIndex::without_library(specs, Scope::Node),
        };
        let peer = LinearSvc::train(&rows, intents.len());
        Self {
            intents,
            ours,
            peer,
        }
    }

    fn answers(&self, test: &[Example]) -> (Vec<Answer>, Vec<Answer>) {
        let ours = test
            .iter()
            .map(|e| {
                self.ours
                    .best_match(&Utterance::new(&e.text))
                    .map(|m| (m.index, f64::from(m.score)))
            })
            .collect();
        let peer = test.iter().map(|e| self.peer.predict(&e.text)).collect();
        (ours, peer)
    }

    /// Both classifiers on `test`, ours at `threshold`, the peer at `peer_threshold`.
    pub fn evaluate(&self, test: &[Example], threshold: f32, peer_threshold: f64) -> Comparison {
        let (ours, peer) = self.answers(test);
        Comparison {
            ours: self.scores(test, &ours, f64::from(threshold)),
            peer: self.scores(test, &peer, peer_threshold),
            threshold,
            peer_threshold,
        }
    }

    /// Accuracy and out-of-scope rejection of ours on `tune` at thresholds 0.05, 0.10, … 0.95.
    pub fn sweep(&self, tune: &[Example]) -> Vec<(f32, Scores)> {
        let (ours, _) = self.answers(tune);
        (1..20)
            .map(|i| {
                let t = i as f32 * 0.05;
                (t, self.scores(tune, &ours, f64::from(t)))
            })
            .collect()
    }

    /// Rejection of near out-of-scope sentences at thresholds 0.05, 0.10, … 0.95: each intent
    /// of `train` is left out of training in turn and its sentences in `tune` must get no
    /// match. Unlike unrelated chit-chat, such a sentence shares the shop's vocabulary with the
    /// intents that remain (a cancellation fee beside cancelling an order), the hard case of
    /// rejection; the English test split's held-out intents are of this kind.
    pub fn near_out_of_scope_sweep(
        train: &[Example],
        tune: &[Example],
        library: bool,
    ) -> Vec<(f32, f64)> {
        let mut intents: Vec<&String> = train.iter().filter_map(|e| e.intent.as_ref()).collect();
        intents.sort();
        intents.dedup();
        let mut scores: Vec<f32> = Vec::new();
        for left_out in intents {
            let rest: Vec<Example> = train
                .iter()
                .filter(|e| e.intent.as_ref() != Some(left_out))
                .cloned()
                .collect();
            let trained = Trained::new(&rest, library);
            scores.extend(
                tune.iter()
                    .filter(|e| e.intent.as_ref() == Some(left_out))
                    .map(|e| {
                        trained
                            .ours
                            .best_match(&Utterance::new(&e.text))
                            .map_or(0.0, |m| m.score)
                    }),
            );
        }
        (1..20)
            .map(|i| {
                let t = i as f32 * 0.05;
                let rejected = scores.iter().filter(|&&s| s < t).count();
                (t, ratio(rejected, scores.len()))
            })
            .collect()
    }

    fn scores(&self, test: &[Example], answers: &[Answer], threshold: f64) -> Scores {
        let n = self.intents.len();
        let mut s = Scores::default();
        let (mut tp, mut fp, mut fn_) = (vec![0usize; n], vec![0usize; n], vec![0usize; n]);
        let mut confusions: HashMap<(String, String), Vec<String>> = HashMap::new();
        let no_match = "(no match)".to_owned();
        for (e, answer) in test.iter().zip(answers) {
            let got = answer.filter(|a| a.1 >= threshold).map(|a| a.0);
            let want = e
                .intent
                .as_ref()
                .and_then(|w| self.intents.iter().position(|n| n == w));
            match (&e.intent, want, got) {
                (None, _, None) => {
                    s.out_of_scope += 1;
                    s.rejected += 1;
                }
                (None, _, Some(g)) => {
                    s.out_of_scope += 1;
                    fp[g] += 1;
                    confusions
                        .entry((OUT_OF_SCOPE.to_owned(), self.intents[g].clone()))
                        .or_default()
                        .push(e.text.clone());
                }
                (Some(w), want, got) => {
                    s.in_scope += 1;
                    if want.is_some() && want == got {
                        s.correct += 1;
                        if let Some(g) = got {
                            tp[g] += 1;
                        }
                        continue;
                    }
                    if let Some(w) = want {
                        fn_[w] += 1;
                    }
                    match got {
                        Some(g) => fp[g] += 1,
                        None => s.no_match += 1,
                    }
                    let got = got.map_or(no_match.clone(), |g| self.intents[g].clone());
                    confusions
                        .entry((w.clone(), got))
                        .or_default()
                        .push(e.text.clone());
                }
            }
        }
        let f1: Vec<f64> = (0..n)
            .filter(|&k| tp[k] + fn_[k] > 0)
            .map(|k| {
                let denominator = 2 * tp[k] + fp[k] + fn_[k];
                if denominator == 0 {
                    0.0
                } else {
                    2.0 * tp[k] as f64 / denominator as f64
                }
            })
            .collect();
        s.macro_f1 = if f1.is_empty() {
            0.0
        } else {
            f1.iter().sum::<f64>() / f1.len() as f64
        };
        let mut confusions: Vec<Confusion> = confusions
            .into_iter()
            .map(|((expected, got), examples)| Confusion {
                expected,
                got,
                count: examples.len(),
                examples,
            })
            .collect();
        confusions.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.expected.cmp(&b.expected))
                .then_with(|| a.got.cmp(&b.got))
        });
        s.confusions = confusions;
        s
    }
}

/// One classifier's figures on a test set.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    pub in_scope: usize,
    pub correct: usize,
    pub no_match: usize,
    pub out_of_scope: usize,
    pub rejected: usize,
    pub macro_f1: f64,
    /// Most frequent first.
    pub confusions: Vec<Confusion>,
}

impl Scores {
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.in_scope)
    }

    pub fn no_match_rate(&self) -> f64 {
        ratio(self.no_match, self.in_scope)
    }

    pub fn rejection(&self) -> f64 {
        ratio(self.rejected, self.out_of_scope)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[derive(Debug, Clone)]
pub struct Confusion {
    pub expected: String,
    /// The intent answered, or "(no match)".
    pub got: String,
    pub count: usize,
    pub examples: Vec<String>,
}

/// Ours and the peer on the same test set.
pub struct Comparison {
    pub ours: Scores,
    pub peer: Scores,
    pub threshold: f32,
    pub peer_threshold: f64,
}

/// The threshold ours uses unless told otherwise.
pub fn default_threshold() -> f32 {
    DEFAULT_THRESHOLD
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |x: f64| format!("{:.1}%", x * 100.0);
        writeln!(
            f,
            "{:<34} {:>10} {:>10} {:>10} {:>12}",
            "classifier", "accuracy", "macro-F1", "no match", "OOS rejected"
        )?;
        for (name, s) in [
            (
                format!("callflow (threshold {:.2})", self.threshold),
                &self.ours,
            ),
            (
                format!("TF-IDF+LinearSVC (decision {:.2})", self.peer_threshold),
                &self.peer,
            ),
        ] {
            let rejection = if s.out_of_scope == 0 {
                "-".to_owned()
            } else {
                pct(s.rejection())
            };
            writeln!(
                f,
                "{:<34} {:>10} {:>10} {:>10} {:>12}",
                name,
                pct(s.accuracy()),
                format!("{:.3}", s.macro_f1),
                pct(s.no_match_rate()),
                rejection
            )?;
        }
        writeln!(
            f,
            "({} in-scope, {} out-of-scope sentences)",
            self.ours.in_scope, self.ours.out_of_scope
        )?;
        writeln!(f, "\ntop confusions (callflow): expected -> answered")?;
        for c in self.ours.confusions.iter().take(10) {
            let examples: Vec<&str> = c.examples.iter().take(3).map(String::as_str).collect();
            writeln!(
                f,
                "  {:>3} × {} -> {}: {}",
                c.count,
                c.expected,
                c.got,
                examples.join(" | ")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_parser_handles_quotes() {
        let rows = parse_csv("a,b\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",z");
        assert_eq!(
            rows,
            vec![
                vec!["a", "b"],
                vec!["x, y", "say \"hi\""],
                vec!["multi\nline", "z"],
            ]
        );
    }

    #[test]
    fn labelled_rows_mark_out_of_scope() {
        let rows = read_labelled("intent,text\nrefund,我要退款\n,今天天气\nout_of_scope,你好吗\n")
            .unwrap_or_default();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].intent.as_deref(), Some("refund"));
        assert_eq!(rows[1].intent, None);
        assert_eq!(rows[2].intent, None);
        assert!(read_labelled("words\nx\n").is_err());
    }

    #[test]
    fn scores_count_hits_misses_and_rejections() {
        let ex = |t: &str, i: Option<&str>| Example {
            text: t.into(),
            intent: i.map(str::to_owned),
        };
        let train = vec![
            ex("查物流", Some("track")),
            ex("我的快递到哪了", Some("track")),
            ex("我要退款", Some("refund")),
            ex("申请退款", Some("refund")),
        ];
        let trained = Trained::new(&train, true);
        let test = vec![
            ex("查物流", Some("track")),
            ex("我要退款", Some("refund")),
            ex("我要退款", Some("track")),
            ex("申请退款", None),
        ];
        let c = trained.evaluate(&test, 0.5, 0.0);
        assert_eq!((c.ours.in_scope, c.ours.correct), (3, 2));
        assert_eq!((c.ours.out_of_scope, c.ours.rejected), (1, 0));
        assert_eq!(c.ours.confusions.len(), 2);
        let everything = trained.evaluate(&test, 1.01, 100.0);
        assert_eq!(everything.ours.rejected, 1);
        assert_eq!(everything.ours.no_match, 3);
        assert_eq!(everything.peer.no_match, 3);
        assert!(format!("{c}").contains("track"));
    }

    #[test]
    fn near_out_of_scope_leaves_each_intent_out() {
        let ex = |t: &str, i: &str| Example {
            text: t.into(),
            intent: Some(i.to_owned()),
        };
        let train = vec![
            ex("查物流", "track"),
            ex("我的快递到哪了", "track"),
            ex("我要退款", "refund"),
            ex("申请退款", "refund"),
            ex("我要开发票", "invoice"),
            ex("发票怎么开", "invoice"),
        ];
        // Each tuning sentence is an example of its own intent: trained with it, it would be
        // matched with confidence 1; left out, its intent is gone and it can only be rejected
        // or mistaken.
        let tune = vec![
            ex("查物流", "track"),
            ex("我要退款", "refund"),
            ex("我要开发票", "invoice"),
        ];
        let sweep = Trained::near_out_of_scope_sweep(&train, &tune, true);
        assert_eq!(sweep.len(), 19);
        assert!(sweep.windows(2).all(|w| w[0].1 <= w[1].1));
        assert_eq!(sweep[18].1, 1.0, "{sweep:?}");
        let whole = Trained::new(&train, true).sweep(&tune);
        assert_eq!(whole[18].1.accuracy(), 1.0);
    }
}
