//! Knowledge-base retrieval measured on data the shipped settings were not tuned on, beside two
//! peers run on the same questions: plain BM25 over character bigrams and TF-IDF over
//! character 1–4-grams with cosine similarity.
//!
//! - `tests/data/knowledge/`: a 40-entry shop FAQ as a shop writes it (question and answer, no
//!   alternatives), callers' rambling questions split into a tuning set and a test set, and
//!   homophone-noise copies (see its README). Targets from issue 11 are asserted on the test
//!   set with the default settings.
//! - ATEC question pairs (`../shared/datasets`): 1,000 paraphrase pairs, one side as the entry,
//!   the other as the question. Skipped with a notice when the dataset is absent (fails on CI).
//!
//! `cargo test -p flow-engine --release --test knowledge_datasets -- --nocapture` prints the
//! table; `-- --ignored tune --nocapture` reruns the tuning search on the tuning split.

use std::collections::HashMap;
use std::path::PathBuf;

use flow_engine::knowledge::{
    Calibration, Decision, Features, KnowledgeEntry, KnowledgeIndex, RetrievalSettings, Thresholds,
};
use flow_engine::text::normalize;

/// Issue 11's targets, on the test split with the default settings.
const MIN_TOP1_CLEAN: f64 = 0.70;
const MIN_TOP1_NOISY: f64 = 0.65;
const MIN_NO_ANSWER: f64 = 0.80;
/// `decide()`'s floors on the answerable test questions (clean, noisy): answered with the
/// right entry, and answered right or offered among two or three; and its ceiling on wrong
/// answers (a wrong entry, or a choice without the right one).
const MIN_RIGHT: [f64; 2] = [0.30, 0.25];
const MIN_RIGHT_OR_OFFERED: [f64; 2] = [0.68, 0.58];
const MAX_WRONG: f64 = 0.05;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/knowledge")
}

fn read(name: &str) -> String {
    let path = data_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The FAQ's entries, exactly as written (no alternatives).
fn faq() -> Vec<KnowledgeEntry> {
    read("faq.csv")
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.splitn(4, ',').collect();
            assert_eq!(f.len(), 4, "faq.csv: {line}");
            KnowledgeEntry {
                id: f[0].into(),
                category: f[1].into(),
                question: f[2].into(),
                alternatives: vec![],
                answer: f[3].into(),
            }
        })
        .collect()
}

/// A question and the index of the entry that answers it (`None`: the FAQ has no answer).
struct Labelled {
    entry: Option<usize>,
    question: String,
}

fn questions(name: &str, entries: &[KnowledgeEntry]) -> Vec<Labelled> {
    read(name)
        .lines()
        .skip(1)
        .map(|line| {
            let (label, question) = line
                .split_once(',')
                .unwrap_or_else(|| panic!("{name}: {line}"));
            let entry = (label != "none").then(|| {
                entries
                    .iter()
                    .position(|e| e.id == label)
                    .unwrap_or_else(|| panic!("{name}: unknown entry {label}"))
            });
            Labelled {
                entry,
                question: question.into(),
            }
        })
        .collect()
}

/// TF-IDF over character 1–4-grams (smoothed idf, l2-normalised), ranked by cosine: the usual
/// first retrieval baseline.
struct TfIdf {
    idf: HashMap<String, f32>,
    docs: Vec<HashMap<String, f32>>,
}

impl TfIdf {
    fn grams(text: &str) -> HashMap<String, f32> {
        let chars: Vec<char> = normalize(text).chars().filter(|c| *c != ' ').collect();
        let mut counts = HashMap::new();
        for n in 1..=4 {
            for w in chars.windows(n) {
                *counts.entry(w.iter().collect::<String>()).or_insert(0.0) += 1.0;
            }
        }
        counts
    }

    fn new(texts: &[String]) -> Self {
        let raw: Vec<_> = texts.iter().map(|t| Self::grams(t)).collect();
        let mut df: HashMap<String, f32> = HashMap::new();
        for doc in &raw {
            for g in doc.keys() {
                *df.entry(g.clone()).or_insert(0.0) += 1.0;
            }
        }
        let n = texts.len() as f32;
        let idf: HashMap<String, f32> = df
            .into_iter()
            .map(|(g, d)| (g, ((1.0 + n) / (1.0 + d)).ln() + 1.0))
            .collect();
        let docs = raw.into_iter().map(|d| Self::weigh(d, &idf)).collect();
        TfIdf { idf, docs }
    }

    fn weigh(counts: HashMap<String, f32>, idf: &HashMap<String, f32>) -> HashMap<String, f32> {
        let mut v: HashMap<String, f32> = counts
            .into_iter()
            .filter_map(|(g, c)| idf.get(&g).map(|i| (g, c * i)))
            .collect();
        let norm = v
            .values()
            .map(|x| x * x)
            .sum::<f32>()
            .sqrt()
            .max(f32::EPSILON);
        v.values_mut().for_each(|x| *x /= norm);
        v
    }

    fn rank(&self, question: &str) -> Vec<usize> {
        let q = Self::weigh(Self::grams(question), &self.idf);
        let mut scored: Vec<(usize, f32)> = self
            .docs
            .iter()
            .enumerate()
            .map(|(i, d)| (i, q.iter().map(|(g, w)| w * d.get(g).unwrap_or(&0.0)).sum()))
            .filter(|(_, s)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.into_iter().map(|(i, _)| i).collect()
    }
}

fn entry_text(e: &KnowledgeEntry) -> String {
    let mut text = e.question.clone();
    for alt in &e.alternatives {
        text.push('\n');
        text.push_str(alt);
    }
    text.push('\n');
    text.push_str(&e.answer);
    text
}

fn ranked(index: &KnowledgeIndex, question: &str) -> Vec<usize> {
    index
        .search(question, 100)
        .iter()
        .map(|h| h.entry)
        .collect()
}

/// Top-1 accuracy and mean reciprocal rank over the answerable questions.
fn top1_mrr(questions: &[Labelled], rank: &dyn Fn(&str) -> Vec<usize>) -> (f64, f64) {
    let mut top1 = 0.0;
    let mut mrr = 0.0;
    let mut n = 0.0;
    for q in questions {
        let Some(right) = q.entry else { continue };
        n += 1.0;
        if let Some(pos) = rank(&q.question).iter().position(|&e| e == right) {
            mrr += 1.0 / (pos as f64 + 1.0);
            top1 += f64::from(pos == 0);
        }
    }
    (top1 / n, mrr / n)
}

/// What `decide` did with a set: answerable questions answered right, offered among a choice,
/// answered wrong, or refused; and the unanswerable ones refused.
#[derive(Default, Debug)]
struct Decisions {
    right: f64,
    offered: f64,
    wrong: f64,
    refused: f64,
    answerable: f64,
    unanswerable: f64,
    no_answer: f64,
}

impl Decisions {
    fn of(index: &KnowledgeIndex, thresholds: &Thresholds, questions: &[Labelled]) -> Self {
        let mut d = Decisions::default();
        for q in questions {
            let decision = index.decide_with(&q.question, thresholds);
            match q.entry {
                None => {
                    d.unanswerable += 1.0;
                    d.no_answer += f64::from(decision == Decision::NoAnswer);
                }
                Some(right) => {
                    d.answerable += 1.0;
                    match &decision {
                        Decision::Answered(hit) if hit.entry == right => d.right += 1.0,
                        Decision::Answered(_) => d.wrong += 1.0,
                        Decision::Ambiguous(hits) if hits.iter().any(|h| h.entry == right) => {
                            d.offered += 1.0
                        }
                        Decision::Ambiguous(_) => d.wrong += 1.0,
                        Decision::NoAnswer => d.refused += 1.0,
                    }
                }
            }
        }
        d
    }

    fn no_answer_rate(&self) -> f64 {
        self.no_answer / self.unanswerable.max(1.0)
    }

    fn summary(&self) -> String {
        let pct = |x: f64| 100.0 * x / self.answerable.max(1.0);
        format!(
            "answered right {:.1}%, offered among 2–3 {:.1}%, wrong {:.1}%, refused {:.1}%",
            pct(self.right),
            pct(self.offered),
            pct(self.wrong),
            pct(self.refused)
        )
    }
}

/// The three methods over one set of entries.
struct Methods {
    ours: KnowledgeIndex,
    bigram: KnowledgeIndex,
    tfidf: TfIdf,
}

impl Methods {
    fn new(entries: &[KnowledgeEntry], settings: RetrievalSettings) -> Self {
        Methods {
            ours: KnowledgeIndex::with_settings(1, entries.to_vec(), settings),
            bigram: KnowledgeIndex::with_settings(
                1,
                entries.to_vec(),
                RetrievalSettings::char_bigram_bm25(),
            ),
            tfidf: TfIdf::new(&entries.iter().map(entry_text).collect::<Vec<_>>()),
        }
    }

    fn row(&self, label: &str, questions: &[Labelled]) -> [(f64, f64); 3] {
        let figures = [
            top1_mrr(questions, &|q| ranked(&self.ours, q)),
            top1_mrr(questions, &|q| ranked(&self.bigram, q)),
            top1_mrr(questions, &|q| self.tfidf.rank(q)),
        ];
        let cell = |(t, m): (f64, f64)| format!("{:5.1}% / {:.3}", 100.0 * t, m);
        println!(
            "| {label:<34} | {:>16} | {:>16} | {:>16} |",
            cell(figures[0]),
            cell(figures[1]),
            cell(figures[2])
        );
        figures
    }
}

fn atec_pairs() -> Option<(Vec<KnowledgeEntry>, Vec<Labelled>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/datasets/atec-question-matching-zh/atec_nlp_sim_train.tsv");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("dataset {} is required on CI: {e}", path.display());
            }
            eprintln!("notice: skipping ATEC, {} unavailable: {e}", path.display());
            return None;
        }
    };
    // Every eighth paraphrase pair in file order, first side unseen so far: 1,000 entries.
    let mut entries: Vec<KnowledgeEntry> = Vec::new();
    let mut questions = Vec::new();
    let positives = text.lines().filter_map(|l| {
        let f: Vec<&str> = l.split('\t').collect();
        (f.len() == 4 && f[3].trim() == "1").then(|| (f[1].to_owned(), f[2].to_owned()))
    });
    for (entry, question) in positives.step_by(8) {
        if entries.len() == 1000 {
            break;
        }
        if entries.iter().any(|e| e.question == entry) {
            continue;
        }
        questions.push(Labelled {
            entry: Some(entries.len()),
            question,
        });
        entries.push(KnowledgeEntry {
            id: format!("atec{}", entries.len()),
            question: entry,
            alternatives: vec![],
            answer: String::new(),
            category: String::new(),
        });
    }
    Some((entries, questions))
}

#[test]
fn shop_faq_and_atec_against_peers() {
    let entries = faq();
    let test = questions("test.csv", &entries);
    let noisy = questions("test.noisy.csv", &entries);
    assert_eq!(test.iter().filter(|q| q.entry.is_some()).count(), 120);
    assert_eq!(test.iter().filter(|q| q.entry.is_none()).count(), 60);
    assert_eq!(noisy.len(), test.len());

    let methods = Methods::new(&entries, RetrievalSettings::default());
    println!();
    println!("top-1 / MRR on answerable questions (test split)");
    println!(
        "| {:<34} | {:>16} | {:>16} | {:>16} |",
        "data", "Callflow", "BM25 char-bigram", "TF-IDF char 1–4"
    );
    println!(
        "|{}|{}|{}|{}|",
        "-".repeat(36),
        "-".repeat(18),
        "-".repeat(18),
        "-".repeat(18)
    );
    let clean = methods.row("shop FAQ, rambling callers", &test);
    let noisy_figures = methods.row("the same with homophone noise", &noisy);
    let atec = atec_pairs().map(|(atec_entries, atec_questions)| {
        Methods::new(&atec_entries, RetrievalSettings::default())
            .row("ATEC, 1,000 paraphrase pairs", &atec_questions)
    });

    let thresholds = Thresholds::default();
    let clean_decisions = Decisions::of(&methods.ours, &thresholds, &test);
    let noisy_decisions = Decisions::of(&methods.ours, &thresholds, &noisy);
    println!();
    println!("decide() with the default thresholds {thresholds:?}");
    println!("  clean: {}", clean_decisions.summary());
    println!("  noisy: {}", noisy_decisions.summary());
    println!(
        "  unanswerable questions given no_answer: clean {:.1}%, noisy {:.1}%",
        100.0 * clean_decisions.no_answer_rate(),
        100.0 * noisy_decisions.no_answer_rate()
    );

    assert!(
        clean[0].0 >= MIN_TOP1_CLEAN,
        "clean top-1 {:.3}",
        clean[0].0
    );
    assert!(
        noisy_figures[0].0 >= MIN_TOP1_NOISY,
        "noisy top-1 {:.3}",
        noisy_figures[0].0
    );
    for (i, d) in [&clean_decisions, &noisy_decisions].into_iter().enumerate() {
        let share = |x: f64| x / d.answerable;
        assert!(
            d.no_answer_rate() >= MIN_NO_ANSWER,
            "no_answer rate {:.3}",
            d.no_answer_rate()
        );
        assert!(share(d.right) >= MIN_RIGHT[i], "{}", d.summary());
        assert!(
            share(d.right + d.offered) >= MIN_RIGHT_OR_OFFERED[i],
            "{}",
            d.summary()
        );
        assert!(share(d.wrong) <= MAX_WRONG, "{}", d.summary());
    }
    for (name, figures) in [("clean", clean), ("noisy", noisy_figures)] {
        assert!(
            figures[0].0 > figures[1].0 && figures[0].0 > figures[2].0,
            "{name}: not above both peers: {figures:?}"
        );
    }
    if let Some(atec) = atec {
        assert!(
            atec[0].1 > atec[1].1,
            "ATEC MRR not above BM25 char-bigram: {atec:?}"
        );
    }
}

#[test]
fn tuning_and_test_questions_are_disjoint() {
    let entries = faq();
    let tuning: Vec<String> = questions("tuning.csv", &entries)
        .into_iter()
        .map(|q| normalize(&q.question))
        .collect();
    for q in questions("test.csv", &entries) {
        assert!(
            !tuning.contains(&normalize(&q.question)),
            "in both splits: {}",
            q.question
        );
    }
}

/// One field-quoted CSV record per line, as the demo bases are written (`"…"` around fields
/// holding commas, `""` for a quote).
fn csv_records(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut fields = vec![String::new()];
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' if quoted && chars.peek() == Some(&'"') => {
                        chars.next();
                        if let Some(f) = fields.last_mut() {
                            f.push('"');
                        }
                    }
                    '"' => quoted = !quoted,
                    ',' if !quoted => fields.push(String::new()),
                    c => {
                        if let Some(f) = fields.last_mut() {
                            f.push(c);
                        }
                    }
                }
            }
            fields
        })
        .collect()
}

/// A demo base of `flows/knowledge/` (question, alternatives joined by `|`, answer, category).
fn demo_base(name: &str) -> KnowledgeIndex {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../flows/knowledge")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let entries = csv_records(&text)
        .into_iter()
        .skip(1)
        .enumerate()
        .map(|(i, f)| {
            assert_eq!(f.len(), 4, "{name}: {f:?}");
            KnowledgeEntry {
                id: format!("kbe_{i}"),
                question: f[0].clone(),
                alternatives: f[1]
                    .split('|')
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect(),
                answer: f[2].clone(),
                category: f[3].clone(),
            }
        })
        .collect();
    KnowledgeIndex::new(1, entries)
}

/// The demo shop FAQs, small bases with alternatives: questions about something the shop does
/// not cover must not borrow an entry through one shared word ("do you sell shoes" is not
/// "Do you sell gift cards?"), and plain questions about what they do cover are answered.
/// Off-topic questions that share several of a shop's words (丢了, 补办) may be offered a
/// choice, never answered.
#[test]
fn demo_shop_faqs_answer_their_questions_and_refuse_others() {
    for (name, off_topic, near_topic, on_topic) in [
        (
            "shop-faq.en.csv",
            &[
                "do you sell shoes",
                "what's the weather like tomorrow",
                "can you book me a taxi to the airport",
                "tell me a joke",
                "who won the football game last night",
                "is the bank open on sunday",
            ][..],
            &[][..],
            &[
                (
                    "I forgot my password and can't log in",
                    "I forgot my password",
                ),
                (
                    "do you take apple pay",
                    "What payment methods do you accept?",
                ),
                ("I got charged twice for one order", "I was charged twice"),
                (
                    "can I get a business invoice with my company name",
                    "Can you put my company name on the invoice?",
                ),
            ][..],
        ),
        (
            "shop-faq.zh-CN.csv",
            &[
                "你们卖鞋吗",
                "今天天气怎么样会不会下雨",
                "帮我订一张明天去北京的机票",
                "给我讲个笑话",
                "附近哪里有好吃的火锅",
            ][..],
            &["我的社保卡丢了怎么补办"][..],
            &[
                ("能发顺丰吗，我想指定快递", "发什么快递"),
                ("我的退款怎么还没到账，要几天啊", "退款多久到账"),
            ][..],
        ),
    ] {
        let index = demo_base(name);
        for question in off_topic {
            let decision = index.decide(question);
            assert_eq!(
                decision,
                Decision::NoAnswer,
                "{name}: {question}: {:?}",
                index
                    .explain(question, 3)
                    .iter()
                    .map(|(entry, features, score)| {
                        (&index.entries()[*entry].question, features, score)
                    })
                    .collect::<Vec<_>>()
            );
        }
        for question in near_topic {
            let decision = index.decide(question);
            assert!(
                !matches!(decision, Decision::Answered(_)),
                "{name}: {question}: {decision:?}"
            );
        }
        for (question, expected) in on_topic {
            match index.decide(question) {
                Decision::Answered(hit) => {
                    assert_eq!(
                        &index.entries()[hit.entry].question,
                        expected,
                        "{name}: {question}"
                    )
                }
                other => panic!("{name}: {question}: {other:?}"),
            }
        }
    }
}

/// The search that chose the shipped settings, on the tuning split only (clean and noisy):
/// analysis and field weights by top-1 (only with `TUNE_RANKING=1`: a search of minutes), then
/// the calibration by logistic regression over the top three hits of each question (is this
/// hit the right entry?), then the thresholds: the most right answers and right choices (less
/// three times the wrong ones) that still refuse at least 85% of the unanswerable questions.
/// Prints what to write into `RetrievalSettings::default`.
#[test]
#[ignore = "a search of minutes; run by hand when the retrieval changes"]
fn tune() {
    let entries = faq();
    let mut tuning = questions("tuning.csv", &entries);
    tuning.extend(questions("tuning.noisy.csv", &entries));
    let top1 = |settings: &RetrievalSettings| {
        let index = KnowledgeIndex::with_settings(1, entries.clone(), settings.clone());
        let (t, m) = top1_mrr(&tuning, &|q| ranked(&index, q));
        t + 0.1 * m
    };

    let mut settings = RetrievalSettings::default();
    if std::env::var("TUNE_RANKING").is_ok_and(|v| v == "1") {
        let mut best = (f64::MIN, RetrievalSettings::default());
        let steps: Vec<f32> = (0..=10).map(|i| i as f32 / 10.0).collect();
        for &words in &steps {
            for &bigrams in &steps {
                let pinyin = 1.0 - words - bigrams;
                if pinyin < -1e-4 {
                    continue;
                }
                for answer_weight in [0.3, 0.5, 1.0] {
                    for synonym_weight in [0.3, 0.5, 0.8] {
                        let candidate = RetrievalSettings {
                            weights: [words, bigrams, pinyin.max(0.0)],
                            answer_weight,
                            synonym_weight,
                            ..RetrievalSettings::default()
                        };
                        let score = top1(&candidate);
                        if score > best.0 {
                            best = (score, candidate);
                        }
                    }
                }
            }
        }
        settings = best.1;
        println!("ranking: {:?} score {:.4}", settings, best.0);
        for filler_weight in [0.0, 0.1, 0.3] {
            for stop_weight in [0.0, 0.1, 0.3] {
                for pinyin_syllable_weight in [0.0, 0.1, 0.2, 0.4] {
                    let candidate = RetrievalSettings {
                        filler_weight,
                        stop_weight,
                        pinyin_syllable_weight,
                        ..settings.clone()
                    };
                    let score = top1(&candidate);
                    if score > best.0 {
                        best = (score, candidate.clone());
                        settings = candidate;
                    }
                }
            }
        }
        println!("query weights: {:?} score {:.4}", settings, best.0);
    }

    // Calibration: per unseen weight, fit and keep the lowest log loss.
    let mut calibrated = (f64::MAX, settings.clone());
    for unseen_weight in [0.0, 0.3, 0.6, 1.0] {
        let candidate = RetrievalSettings {
            unseen_weight,
            ..settings.clone()
        };
        let index = KnowledgeIndex::with_settings(1, entries.clone(), candidate.clone());
        let samples: Vec<([f64; FEATURES], f64)> = tuning
            .iter()
            .flat_map(|q| {
                index
                    .explain(&q.question, 3)
                    .into_iter()
                    .map(|(entry, f, _)| {
                        (
                            feature_vector(&f),
                            f64::from(u8::from(q.entry == Some(entry))),
                        )
                    })
            })
            .collect();
        let (calibration, loss) = fit_logistic(&samples);
        println!("unseen {unseen_weight}: {calibration:?} log loss {loss:.4}");
        if loss < calibrated.0 {
            calibrated = (
                loss,
                RetrievalSettings {
                    calibration,
                    ..candidate
                },
            );
        }
    }
    let settings = calibrated.1;
    let index = KnowledgeIndex::with_settings(1, entries.clone(), settings.clone());

    let mut best_thresholds = (f64::MIN, Thresholds::default());
    for answer in (12..=19).map(|i| i as f32 * 0.05) {
        for ambiguous in (6..=20).map(|i| i as f32 * 0.05) {
            for close in [0.1, 0.2, 0.3, 0.5, 1.0] {
                // A product rule rather than a tuned figure: an entry with less than a
                // one-in-twenty chance is never read out (the utility does not see the caller's
                // time a pointless third choice takes).
                for offer in [0.05, 0.1, 0.15, 0.2] {
                    let thresholds = Thresholds {
                        answer,
                        ambiguous,
                        close,
                        offer,
                    };
                    let d = Decisions::of(&index, &thresholds, &tuning);
                    if d.no_answer_rate() < 0.85 {
                        continue;
                    }
                    // Answer as many callers as the refusal floor allows; a wrong answer
                    // costs three times what a right one gains, a choice of two or three
                    // gains a little less than an answer.
                    let utility = (d.right + 0.6 * d.offered - 3.0 * d.wrong) / d.answerable;
                    if utility > best_thresholds.0 {
                        best_thresholds = (utility, thresholds);
                    }
                }
            }
        }
    }
    let d = Decisions::of(&index, &best_thresholds.1, &tuning);
    println!("settings: {settings:?}");
    println!(
        "thresholds: {:?} utility {:.4}; tuning: {}, no_answer {:.1}%",
        best_thresholds.1,
        best_thresholds.0,
        d.summary(),
        100.0 * d.no_answer_rate()
    );
    if let Ok(path) = std::env::var("TUNE_DUMP") {
        // The tuning split's features, for looking at them elsewhere.
        let mut out = String::from("question,rank,right,unanswerable,relevance,margin,matched_words,matched_sounds,unseen,length\n");
        for (i, q) in tuning.iter().enumerate() {
            for (rank, (entry, f, _)) in index.explain(&q.question, 3).into_iter().enumerate() {
                out.push_str(&format!(
                    "{i},{rank},{},{},{},{},{},{},{},{}\n",
                    u8::from(q.entry == Some(entry)),
                    u8::from(q.entry.is_none()),
                    f.relevance,
                    f.margin,
                    f.matched_words,
                    f.matched_sounds,
                    f.unseen,
                    f.length
                ));
            }
        }
        std::fs::write(&path, out).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

const FEATURES: usize = 6;

fn feature_vector(f: &Features) -> [f64; FEATURES] {
    [
        f.relevance,
        f.margin,
        f.matched_words,
        f.matched_sounds,
        f.unseen,
        f.length,
    ]
    .map(f64::from)
}

/// Logistic regression of the label on the features by gradient descent on standardised
/// features (a little L2 keeps the weights of correlated features sane); returns the model and
/// its mean log loss.
fn fit_logistic(samples: &[([f64; FEATURES], f64)]) -> (Calibration, f64) {
    let n = samples.len() as f64;
    let mut mean = [0.0; FEATURES];
    let mut sd = [0.0; FEATURES];
    for (x, _) in samples {
        for j in 0..FEATURES {
            mean[j] += x[j] / n;
        }
    }
    for (x, _) in samples {
        for j in 0..FEATURES {
            sd[j] += (x[j] - mean[j]).powi(2) / n;
        }
    }
    let sd = sd.map(|v| v.sqrt().max(1e-9));
    let z: Vec<([f64; FEATURES], f64)> = samples
        .iter()
        .map(|(x, y)| (std::array::from_fn(|j| (x[j] - mean[j]) / sd[j]), *y))
        .collect();
    let p = |b: f64, w: &[f64; FEATURES], x: &[f64; FEATURES]| {
        let s: f64 = b + (0..FEATURES).map(|j| w[j] * x[j]).sum::<f64>();
        1.0 / (1.0 + (-s).exp())
    };
    let (mut b, mut w) = (0.0f64, [0.0f64; FEATURES]);
    let l2 = 1e-3;
    for _ in 0..20_000 {
        let mut gb = 0.0;
        let mut g = [0.0; FEATURES];
        for (x, y) in &z {
            let e = p(b, &w, x) - y;
            gb += e;
            for j in 0..FEATURES {
                g[j] += e * x[j];
            }
        }
        b -= 0.5 * gb / n;
        for j in 0..FEATURES {
            w[j] -= 0.5 * (g[j] / n + l2 * w[j]);
        }
    }
    let loss = z
        .iter()
        .map(|(x, y)| {
            let q = p(b, &w, x).clamp(1e-9, 1.0 - 1e-9);
            -(y * q.ln() + (1.0 - y) * (1.0 - q).ln())
        })
        .sum::<f64>()
        / n;
    // Back to the raw features' scale.
    let raw: [f64; FEATURES] = std::array::from_fn(|j| w[j] / sd[j]);
    let bias = b - (0..FEATURES).map(|j| raw[j] * mean[j]).sum::<f64>();
    (
        Calibration {
            bias: bias as f32,
            relevance: raw[0] as f32,
            margin: raw[1] as f32,
            matched_words: raw[2] as f32,
            matched_sounds: raw[3] as f32,
            unseen: raw[4] as f32,
            length: raw[5] as f32,
        },
        loss,
    )
}
