//! Grouping "not understood" phrasings by meaning (`flow_engine::nlu::grouping`), measured
//! beside the peer the list used before (character-pair Jaccard, `nlu::eval::grouping`) on
//! sentences labelled by what they mean: the Chinese e-commerce set (clean and with
//! recognition homophones; its out-of-scope sentences should stay alone) and a sample of the
//! Bitext customer-support set. The threshold is chosen on the tuning splits (printed as a
//! sweep); the test splits report it.
//!
//! `cargo test -p flow-engine --release --test grouping_datasets -- --nocapture` prints the
//! figures. A missing shared dataset fails under `CI=true` and is skipped otherwise.

mod common;

use common::ours;
use flow_engine::nlu::eval::grouping::{
    bitext_sample, char_pair_groups, pairwise, PairScores, Part, PEER_ALIKE,
};
use flow_engine::nlu::eval::Example;
use flow_engine::nlu::grouping::{self, ALIKE, PRECISION};

/// Sentences per Bitext intent in each part (27 intents).
const BITEXT_PER_INTENT: usize = 15;

fn bitext(part: Part) -> Option<Vec<Example>> {
    common::bitext()
        .map(|csv| bitext_sample(&csv, BITEXT_PER_INTENT, part).expect("bitext columns"))
}

fn texts(examples: &[Example]) -> Vec<&str> {
    examples.iter().map(|e| e.text.as_str()).collect()
}

fn show(name: &str, s: PairScores) -> String {
    format!(
        "{name}: precision {:.1}%, recall {:.1}%, F1 {:.1}%, {} groups",
        100.0 * s.precision,
        100.0 * s.recall,
        100.0 * s.f1,
        s.groups
    )
}

fn splits(part: Part) -> Vec<(&'static str, Vec<Example>)> {
    let (zh, hom) = match part {
        Part::Tune => ("tune.csv", "tune-homophones.csv"),
        Part::Test => ("test.csv", "test-homophones.csv"),
    };
    let mut all = vec![
        ("Chinese e-commerce", ours(zh)),
        ("Chinese with homophones", ours(hom)),
    ];
    all.extend(bitext(part).map(|b| ("Bitext English", b)));
    all
}

#[test]
fn the_threshold_sweep_on_the_tuning_splits() {
    let tune = splits(Part::Tune);
    for (script, name) in [(1, "Chinese"), (0, "English")] {
        let of_script: Vec<&(&str, Vec<Example>)> = tune
            .iter()
            .filter(|(_, examples)| usize::from(is_cjk(&examples[0].text)) == script)
            .collect();
        if of_script.is_empty() {
            continue;
        }
        println!("ALIKE sweep on the {name} tuning splits (pairwise F1, their mean first):");
        let mut best = (0.0f32, -1.0f64);
        for step in 1..=20 {
            let mut alike = ALIKE;
            alike[script] = step as f32 * 0.025;
            let scores: Vec<PairScores> = of_script
                .iter()
                .map(|(_, examples)| {
                    pairwise(examples, &grouping::group_with(&texts(examples), alike))
                })
                .collect();
            let mean = scores.iter().map(|s| s.f1).sum::<f64>() / scores.len() as f64;
            let shown: Vec<String> = scores
                .iter()
                .map(|s| {
                    format!(
                        "F1 {:.1}% P {:.1}% R {:.1}%",
                        100.0 * s.f1,
                        100.0 * s.precision,
                        100.0 * s.recall
                    )
                })
                .collect();
            println!(
                "  {:.3}: {:.1}% ({})",
                alike[script],
                100.0 * mean,
                shown.join("; ")
            );
            let precise = scores.iter().all(|s| s.precision >= PRECISION);
            if precise && mean > best.1 + 1e-9 {
                best = (alike[script], mean);
            }
        }
        // The shipped value is the sweep's best precise enough (the rule its doc states); this fails if the
        // features change and the best moves, so that the constant is chosen again.
        assert!(
            (best.0 - ALIKE[script]).abs() < 1e-6,
            "the {name} tuning splits' best is {:.3}, ALIKE is {}",
            best.0,
            ALIKE[script]
        );
    }
}

fn is_cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn meaning_groups_more_phrasings_than_character_pairs_and_keeps_them_apart() {
    let mut figures = Vec::new();
    for (name, examples) in splits(Part::Test) {
        let texts = texts(&examples);
        let ours = pairwise(&examples, &grouping::group(&texts));
        let peer = pairwise(&examples, &char_pair_groups(&texts, PEER_ALIKE));
        println!("== {name} ({} sentences)", examples.len());
        println!("{}", show("  by meaning", ours));
        println!("{}", show("  character pairs", peer));
        figures.push((name, ours, peer));
    }
    for (name, ours, peer) in figures {
        assert!(
            ours.f1 > peer.f1 + 0.15,
            "{name}: by meaning F1 {:.3}, character pairs {:.3}",
            ours.f1,
            peer.f1
        );
    }
}
