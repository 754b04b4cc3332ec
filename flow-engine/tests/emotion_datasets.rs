//! The anger score on the labelled utterances written for this project (`tests/data/emotion`,
//! see its README), in Chinese and in English. The targets: of the test split's angry
//! utterances at least 90% caught, of the others at most 5% taken for angry. The floors below
//! are the measured figures less about a point: where a floor is under its target the target
//! is not met yet (BENCHMARKS.md), and the test prints so; the floors keep it from slipping.
//!
//! `cargo test -p flow-engine --release --test emotion_datasets -- --nocapture` prints the
//! figures per class; `-- --ignored tune --nocapture` prints, on the tuning split only, what
//! each anger threshold of the rules would catch and falsely trigger; `-- --ignored probe
//! --nocapture` the rules alone on each probe part; `-- --ignored cv --nocapture` the learned
//! model's estimate, each part left out of its training in turn (never the test split).

use flow_engine::emotion::{rules, score, Emotion, Label, Learned, ANGRY};
use flow_engine::nlu::eval::parse_csv;

const LABELS: [&str; 4] = ["angry", "negative", "neutral", "positive"];

struct Row {
    text: String,
    label: &'static str,
}

/// The rows of `split` in `tests/data/emotion/{file}.csv`.
fn rows(file: &str, split: &str) -> Vec<Row> {
    let path = format!(
        "{}/tests/data/emotion/{file}.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let records = parse_csv(&text);
    assert_eq!(
        records.first().map(Vec::as_slice),
        Some(&["text".to_owned(), "label".to_owned(), "split".to_owned()][..])
    );
    records[1..]
        .iter()
        .filter(|r| r.len() == 3 && r[2] == split)
        .map(|r| Row {
            text: r[0].clone(),
            label: LABELS
                .into_iter()
                .find(|l| *l == r[1])
                .unwrap_or_else(|| panic!("{path}: unknown label {}", r[1])),
        })
        .collect()
}

fn name(label: Label) -> &'static str {
    match label {
        Label::Angry => "angry",
        Label::Negative => "negative",
        Label::Neutral => "neutral",
        Label::Positive => "positive",
    }
}

/// Caught: angry utterances scored at or above `threshold`; false: others scored there.
fn rates(rows: &[Row], threshold: f32, scorer: &dyn Fn(&str) -> Emotion) -> (f64, f64) {
    let (mut angry, mut caught, mut others, mut false_alarms) = (0, 0, 0, 0);
    for row in rows {
        let hot = scorer(&row.text).anger >= threshold;
        if row.label == "angry" {
            angry += 1;
            caught += usize::from(hot);
        } else {
            others += 1;
            false_alarms += usize::from(hot);
        }
    }
    (
        caught as f64 / angry.max(1) as f64,
        false_alarms as f64 / others.max(1) as f64,
    )
}

struct Figures {
    caught: f64,
    false_alarms: f64,
}

/// Prints per class how many utterances of `split` get their label, the misses, and the
/// angry ones caught and the others taken for angry at [`ANGRY`].
fn measure(language: &str, split: &str) -> Figures {
    measure_rows(language, split, &rows(language, split), 80, &score)
}

fn measure_rows(
    language: &str,
    split: &str,
    rows: &[Row],
    at_least: usize,
    scorer: &dyn Fn(&str) -> Emotion,
) -> Figures {
    assert!(
        rows.len() >= at_least,
        "{language}: only {} {split} rows",
        rows.len()
    );
    println!("== {language}: {} {split} utterances", rows.len());
    let mut wrong: Vec<String> = Vec::new();
    let mut right_total = 0;
    for label in LABELS {
        let of_label: Vec<&Row> = rows.iter().filter(|r| r.label == label).collect();
        let mut right = 0;
        for row in &of_label {
            let e = scorer(&row.text);
            if name(e.label) == label {
                right += 1;
            } else {
                wrong.push(format!(
                    "    {label} → {} (anger {:.2}, valence {:.2}): {}",
                    name(e.label),
                    e.anger,
                    e.valence,
                    row.text
                ));
            }
        }
        right_total += right;
        println!(
            "  {label:<9} {right:>3} of {:>3} = {:.1}%",
            of_label.len(),
            100.0 * right as f64 / of_label.len().max(1) as f64
        );
    }
    let (caught, false_alarms) = rates(rows, ANGRY, scorer);
    println!(
        "  accuracy {:.1}%; at {ANGRY:.2} angry caught {:.1}%, others taken for angry {:.1}%",
        100.0 * right_total as f64 / rows.len() as f64,
        100.0 * caught,
        100.0 * false_alarms
    );
    for line in &wrong {
        println!("{line}");
    }
    Figures {
        caught,
        false_alarms,
    }
}

/// Measured on the test split: 2026-12-05 with the lexicon alone Chinese 57.5% caught, 1.2%
/// false, English 59.6%, 1.7%; with the constructions (`emotion/constructions.rs`) Chinese
/// 76.7%, 2.4%, English 76.9%, 0.8%; 2026-12-06 with the learned model (`emotion/learned.rs`)
/// Chinese 97.3%, 3.6%, English 92.3%, 1.7%.
const FLOORS: [(&str, f64); 2] = [("zh", 0.96), ("en", 0.91)];
const CAUGHT_TARGET: f64 = 0.90;
const FALSE_TARGET: f64 = 0.05;

#[test]
fn angry_callers_are_caught_and_calm_ones_are_not() {
    let figures: Vec<(&str, f64, Figures)> = FLOORS
        .map(|(l, floor)| (l, floor, measure(l, "test")))
        .into();
    for (language, floor, f) in figures {
        if f.caught < CAUGHT_TARGET {
            println!(
                "{language}: target not met: {:.1}% of angry utterances caught, {:.0}% asked",
                100.0 * f.caught,
                100.0 * CAUGHT_TARGET
            );
        }
        assert!(f.caught >= floor, "{language}: caught {:.3}", f.caught);
        assert!(
            f.false_alarms <= FALSE_TARGET,
            "{language}: false triggers {:.3}",
            f.false_alarms
        );
    }
}

/// The probe sets (`probe-zh.csv`, `probe-en.csv`, see the data's README), scored by the rules
/// alone (`emotion::rules`): kinds of anger written to check that a rule generalises beyond the
/// sentence it was written for. They print their misses (they are development data, and the
/// learned model's training data, not the test split).
#[test]
#[ignore]
fn probe() {
    for language in ["probe-zh", "probe-en"] {
        for part in PARTS {
            measure_rows(language, part, &rows(language, part), 40, &rules);
        }
    }
}

/// The probe parts, in the order they were written; from `AFTER_RULES` on, written after the
/// last rules, so that the rules' score on them is as on unseen sentences.
const PARTS: [&str; 13] = [
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m",
];
const AFTER_RULES: usize = 6;

/// The rules alone on the tuning split, and what each anger threshold would catch and falsely
/// trigger there (how the rules' threshold was chosen; the tuning split is also training data
/// of the learned model, so `cv` is its measure).
#[test]
#[ignore]
fn tune() {
    for language in ["zh", "en"] {
        let tune = rows(language, "tune");
        measure_rows(language, "tune", &tune, 80, &rules);
        sweep(&tune, &rules);
    }
}

fn sweep(rows: &[Row], scorer: &dyn Fn(&str) -> Emotion) {
    println!("  threshold  caught  false");
    for step in 2..=16 {
        let threshold = step as f32 * 0.05;
        let (caught, false_alarms) = rates(rows, threshold, scorer);
        println!(
            "  {threshold:>9.2}  {:>5.1}%  {:>4.1}%",
            100.0 * caught,
            100.0 * false_alarms
        );
    }
}

/// The learned model's honest estimate: leave one part out. The folds are the tuning split
/// (Chinese and English together) and each probe part; each is scored by a model trained on
/// all the others, as the shipped model is trained on all of them. Never the test split.
#[test]
#[ignore]
fn cv() {
    let folds: Vec<(&str, &str)> = std::iter::once(("zh", "tune"))
        .chain(PARTS.iter().map(|p| ("probe-zh", *p)))
        .collect();
    let fold_rows = |language: &str, file: &str, split: &str| -> Vec<Row> {
        let file = if language == "en" {
            file.replace("zh", "en")
        } else {
            file.to_owned()
        };
        rows(&file, split)
    };
    let mut pooled: [Vec<(Row, Emotion, &str)>; 2] = [Vec::new(), Vec::new()];
    for (held_file, held_split) in &folds {
        let mut training: Vec<(String, Label)> = Vec::new();
        for (file, split) in &folds {
            if (file, split) == (held_file, held_split) {
                continue;
            }
            for language in ["zh", "en"] {
                for row in fold_rows(language, file, split) {
                    training.push((row.text, label_of(row.label)));
                }
            }
        }
        let model = Learned::train(training.iter().map(|(t, l)| (t.as_str(), *l)));
        for (i, language) in ["zh", "en"].into_iter().enumerate() {
            let held = fold_rows(language, held_file, held_split);
            measure_rows(language, held_split, &held, 40, &|t| model.score(t));
            for row in held {
                let e = model.score(&row.text);
                pooled[i].push((row, e, held_split));
            }
        }
    }
    for (i, language) in ["zh", "en"].into_iter().enumerate() {
        for (what, parts) in [
            ("every part held out in turn", &PARTS[..]),
            ("the parts written after the rules", &PARTS[AFTER_RULES..]),
        ] {
            let scored: Vec<&(Row, Emotion, &str)> = pooled[i]
                .iter()
                .filter(|(_, _, split)| parts.contains(split) || parts.len() == PARTS.len())
                .collect();
            let rows: Vec<Row> = scored
                .iter()
                .map(|(r, _, _)| Row {
                    text: r.text.clone(),
                    label: r.label,
                })
                .collect();
            let lookup = |t: &str| {
                scored
                    .iter()
                    .find(|(r, _, _)| r.text == t)
                    .map_or(rules(t), |(_, e, _)| *e)
            };
            println!("==== pooled, {what}");
            measure_rows(language, "held-out", &rows, 40, &lookup);
            sweep(&rows, &lookup);
        }
    }
}

fn label_of(label: &str) -> Label {
    match label {
        "angry" => Label::Angry,
        "negative" => Label::Negative,
        "neutral" => Label::Neutral,
        _ => Label::Positive,
    }
}
