//! The anger score on the labelled utterances written for this project (`tests/data/emotion`,
//! see its README), in Chinese and in English. The targets: of the test split's angry
//! utterances at least 90% caught, of the others at most 5% taken for angry. The floors below
//! are the measured figures less about a point: where a floor is under its target the target
//! is not met yet (BENCHMARKS.md), and the test prints so; the floors keep it from slipping.
//!
//! `cargo test -p flow-engine --release --test emotion_datasets -- --nocapture` prints the
//! figures per class; `-- --ignored tune --nocapture` prints, on the tuning split only, what
//! each anger threshold would catch and falsely trigger (how `emotion::ANGRY` was chosen).

use flow_engine::emotion::{score, Label, ANGRY};
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
fn rates(rows: &[Row], threshold: f32) -> (f64, f64) {
    let (mut angry, mut caught, mut others, mut false_alarms) = (0, 0, 0, 0);
    for row in rows {
        let hot = score(&row.text).anger >= threshold;
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
    measure_rows(language, split, 80)
}

fn measure_rows(language: &str, split: &str, at_least: usize) -> Figures {
    let rows = rows(language, split);
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
            let e = score(&row.text);
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
    let (caught, false_alarms) = rates(&rows, ANGRY);
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

/// Measured 2026-12-05 on the test split: with the lexicon alone Chinese 57.5% caught, 1.2%
/// false, English 59.6%, 1.7%; with the constructions (`emotion/constructions.rs`) Chinese
/// 76.7%, 2.4%, English 76.9%, 0.8%.
const FLOORS: [(&str, f64); 2] = [("zh", 0.75), ("en", 0.75)];
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

/// The probe sets (`probe-zh.csv`, `probe-en.csv`, see the data's README): kinds of anger
/// written to check that a rule generalises beyond the sentence it was written for. They
/// print their misses (they are development data, not the test split).
#[test]
#[ignore]
fn probe() {
    for language in ["probe-zh", "probe-en"] {
        for part in ["a", "b", "c", "d", "e", "f"] {
            measure_rows(language, part, 40);
        }
    }
}

#[test]
#[ignore]
fn tune() {
    for language in ["zh", "en"] {
        measure(language, "tune");
        let rows = rows(language, "tune");
        println!("  threshold  caught  false");
        for step in 2..=16 {
            let threshold = step as f32 * 0.05;
            let (caught, false_alarms) = rates(&rows, threshold);
            println!(
                "  {threshold:>9.2}  {:>5.1}%  {:>4.1}%",
                100.0 * caught,
                100.0 * false_alarms
            );
        }
    }
}
