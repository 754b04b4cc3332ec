//! Grouping "not understood" phrasings by meaning (`flow_engine::nlu::grouping`), measured
//! beside the peer the list used before (character-pair Jaccard, `nlu::eval::grouping`) on
//! sentences labelled by what they mean: the Chinese e-commerce set (clean and with
//! recognition homophones; its out-of-scope sentences should stay alone), the Chinese set of a
//! shop's own wishes the library does not know (what "not understood" lists hold most) and a
//! sample of the Bitext customer-support set; each grouped whole and in lists of a dozen (a
//! shop's first days). The settings are chosen on the tuning splits (printed as a sweep); the
//! test splits report them.
//!
//! `cargo test -p flow-engine --release --test grouping_datasets -- --nocapture` prints the
//! figures. A missing shared dataset fails under `CI=true` and is skipped otherwise.

mod common;

use common::ours;
use flow_engine::nlu::eval::grouping::{
    bitext_sample, char_pair_groups, in_small_lists, pairwise, PairScores, Part, PEER_ALIKE,
};
use flow_engine::nlu::eval::Example;
use std::collections::HashMap;

use flow_engine::nlu::grouping::{
    self, Grouper, Phrasing, Settings, PRECISION, SETTINGS, SMALL_LIST,
};

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
    let (zh, hom, own) = match part {
        Part::Tune => ("tune.csv", "tune-homophones.csv", "own-tune.csv"),
        Part::Test => ("test.csv", "test-homophones.csv", "own-test.csv"),
    };
    let mut all = vec![
        ("Chinese e-commerce", ours(zh)),
        ("Chinese with homophones", ours(hom)),
        ("Chinese, a shop's own wishes", ours(own)),
    ];
    all.extend(bitext(part).map(|b| ("Bitext English", b)));
    all
}

/// A split grouped whole and in small lists.
struct Figures {
    whole: PairScores,
    small: PairScores,
}

impl Figures {
    /// `analysed`: the examples' texts analysed once for the whole sweep.
    fn of(examples: &[Example], analysed: &HashMap<String, Phrasing>, grouper: &Grouper) -> Self {
        let group = |texts: &[&str]| {
            let phrasings: Vec<&Phrasing> = texts.iter().map(|t| &analysed[*t]).collect();
            grouper.group_analysed(&phrasings)
        };
        Self {
            whole: pairwise(examples, &group(&texts(examples))),
            small: in_small_lists(examples, SMALL_LIST, group),
        }
    }

    fn precise(&self) -> bool {
        self.whole.precision >= PRECISION && self.small.precision >= PRECISION
    }

    /// The mean of the whole and the small lists' F1.
    fn f1(&self) -> f64 {
        (self.whole.f1 + self.small.f1) / 2.0
    }

    fn show(&self) -> String {
        let part = |s: &PairScores| {
            format!(
                "F1 {:.1} P {:.1} R {:.1}",
                100.0 * s.f1,
                100.0 * s.precision,
                100.0 * s.recall
            )
        };
        format!("{}; small {}", part(&self.whole), part(&self.small))
    }
}

#[test]
fn the_settings_sweep_on_the_tuning_splits() {
    let tune = splits(Part::Tune);
    let mut moved = Vec::new();
    for (script, name) in [(1, "Chinese"), (0, "English")] {
        let of_script: Vec<&(&str, Vec<Example>)> = tune
            .iter()
            .filter(|(_, examples)| usize::from(is_cjk(&examples[0].text)) == script)
            .collect();
        if of_script.is_empty() {
            continue;
        }
        let analysed: HashMap<String, Phrasing> = of_script
            .iter()
            .flat_map(|(_, examples)| examples)
            .map(|e| (e.text.clone(), Phrasing::new(&e.text)))
            .collect();
        println!(
            "Settings sweep on the {name} tuning splits (the mean of every split's whole and \
             small-list pairwise F1 first):"
        );
        let mut best = (SETTINGS[script], -1.0f64);
        for spread in (1..=12).map(|s| s as f32 * 0.05).chain([2.0]) {
            for step in 2..=16 {
                let mut settings = SETTINGS;
                settings[script] = Settings {
                    alike: step as f32 * 0.025,
                    spread,
                };
                let grouper = Grouper::new(settings);
                let figures: Vec<Figures> = of_script
                    .iter()
                    .map(|(_, examples)| Figures::of(examples, &analysed, &grouper))
                    .collect();
                let mean = figures.iter().map(Figures::f1).sum::<f64>() / figures.len() as f64;
                let precise = figures.iter().all(Figures::precise);
                if precise {
                    let shown: Vec<String> = figures.iter().map(Figures::show).collect();
                    println!(
                        "  spread {spread:.2}, alike {:.3}: {:.1}% ({})",
                        settings[script].alike,
                        100.0 * mean,
                        shown.join(" | ")
                    );
                }
                if precise && mean > best.1 + 1e-9 {
                    best = (settings[script], mean);
                }
            }
        }
        // The shipped settings are the sweep's best precise enough (the rule their doc states);
        // this fails if the features change and the best moves, so that they are chosen again.
        let shipped = SETTINGS[script];
        if (best.0.alike - shipped.alike).abs() > 1e-6
            || (best.0.spread - shipped.spread).abs() > 1e-6
        {
            moved.push(format!(
                "the {name} tuning splits' best is {:?} ({:.1}%)",
                best.0,
                100.0 * best.1
            ));
        }
    }
    assert!(moved.is_empty(), "{moved:?}");
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
        let ours_small = in_small_lists(&examples, SMALL_LIST, grouping::group);
        let peer_small = in_small_lists(&examples, SMALL_LIST, |t| char_pair_groups(t, PEER_ALIKE));
        println!("== {name} ({} sentences)", examples.len());
        println!("{}", show("  by meaning", ours));
        println!("{}", show("  character pairs", peer));
        println!(
            "{}",
            show(&format!("  by meaning, lists of {SMALL_LIST}"), ours_small)
        );
        println!(
            "{}",
            show(
                &format!("  character pairs, lists of {SMALL_LIST}"),
                peer_small
            )
        );
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
