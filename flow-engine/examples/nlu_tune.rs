//! The tuning splits' figures alone, pooled per script as the calibration's rule reads them
//! (BENCHMARKS.md, "Intent recognition quality"): in-scope tuning sentences understood at the
//! default threshold, unrelated out-of-scope sentences rejected, and near out-of-scope ones
//! rejected (each intent left out of training in turn); then nodes of a few intents (English
//! from Bitext; Chinese on `tune.csv` and its homophone copy, and beside a shop's own intents
//! on `own-tune.csv`), as the small nodes' rules read them. Unlike `callflow nlu-eval --tune`, it
//! never reads a test split, so settings can be compared on it freely.
//!
//! ```text
//! cargo run --release -p flow-engine --example nlu_tune            # both scripts
//! cargo run --release -p flow-engine --example nlu_tune -- en      # English only
//! cargo run --release -p flow-engine --example nlu_tune -- zh      # Chinese only
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use flow_engine::nlu::eval::small_nodes::{own_intent_nodes, small_nodes, Knows};
use flow_engine::nlu::eval::{self, Example, Trained};

/// The sweeps' row of the default threshold (0.05, 0.10, … : the ninth is 0.45).
const AT_DEFAULT: usize = 8;

#[derive(Default)]
struct Pooled {
    correct: usize,
    in_scope: usize,
    rejected: usize,
    out_of_scope: usize,
    near_rejected: f64,
    near: usize,
}

impl Pooled {
    fn add(&mut self, name: &str, train: &[Example], tune: &[Example]) {
        let trained = Trained::new(train, true);
        let sweep = trained.sweep(tune);
        let Some((_, s)) = sweep.get(AT_DEFAULT) else {
            return;
        };
        let near_sweep = Trained::near_out_of_scope_sweep(train, tune, true);
        let near = near_sweep.get(AT_DEFAULT).map_or(0.0, |n| n.1);
        let near_count = tune.iter().filter(|e| e.intent.is_some()).count();
        println!(
            "{name:<28} understood {:>3}/{:<3} unrelated rejected {:>5.1}%  near rejected {:>5.1}%",
            s.correct,
            s.in_scope,
            s.rejection() * 100.0,
            near * 100.0
        );
        self.correct += s.correct;
        self.in_scope += s.in_scope;
        self.rejected += s.rejected;
        self.out_of_scope += s.out_of_scope;
        self.near_rejected += near * near_count as f64;
        self.near += near_count;
    }

    fn print(&self, script: &str) {
        let pct = |a: f64, b: usize| if b == 0 { 0.0 } else { a * 100.0 / b as f64 };
        println!(
            "{script:<28} understood {:>3}/{:<3} unrelated rejected {:>5.1}%  near rejected {:>5.1}% ({}/{})\n",
            self.correct,
            self.in_scope,
            pct(self.rejected as f64, self.out_of_scope),
            pct(self.near_rejected, self.near),
            self.near_rejected,
            self.near
        );
    }
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn labelled(name: &str) -> Result<Vec<Example>, String> {
    written("zh-ecommerce", name)
}

fn written(set: &str, name: &str) -> Result<Vec<Example>, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/nlu")
        .join(set)
        .join(name);
    eval::read_labelled(&read(&path)?)
}

fn run(scripts: &str) -> Result<(), String> {
    if scripts != "zh" {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/datasets/bitext-customer-support-en/utterance_intent.csv");
        let csv = read(&path)?;
        let mut en = Pooled::default();
        for n in [5, 10, 20] {
            let split = eval::bitext_split(&csv, n)?;
            en.add(
                &format!("Bitext, {n} per intent"),
                &split.train,
                &split.tune,
            );
        }
        en.print("English, pooled");
        // Nodes of a few intents (Bitext, 5 per intent), and Bitext intents beside a shop's
        // own ones (`en-own/train.csv`; their test phrasings are not read).
        let split = eval::bitext_split(&csv, 5)?;
        let own = written("en-own", "train.csv")?;
        for size in [1, 2, 3, 5] {
            let known = own_intent_nodes(
                (&own, &[]),
                (&split.train, &split.tune),
                size,
                Knows::Library,
            );
            let none = own_intent_nodes(
                (&own, &[]),
                (&split.train, &split.tune),
                size,
                Knows::Nothing,
            );
            let line = format!(
                "English, {size} intents per node: beside an own intent understood {:>5.1}% \
                 (no library {:>5.1}%), rejected {:>5.1}% ({:>5.1}%)",
                known.known * 100.0,
                none.known * 100.0,
                known.rejected * 100.0,
                none.rejected * 100.0
            );
            if size == 1 {
                // No library intent beside the own one: only the rejection means anything.
                println!(
                    "English, 1 intent per node: rejected {:>5.1}% (no library {:>5.1}%)",
                    known.rejected * 100.0,
                    none.rejected * 100.0
                );
                continue;
            }
            let s = small_nodes(&split.train, &split.tune, size, Knows::Library);
            println!(
                "{line}; Bitext alone understood {:>5.1}%, rejected {:>5.1}%",
                s.understood * 100.0,
                s.rejected * 100.0
            );
        }
        println!();
    }
    if scripts != "en" {
        let train = labelled("train5.csv")?;
        let mut zh = Pooled::default();
        zh.add("zh, 5 per intent", &train, &labelled("tune.csv")?);
        zh.add("zh homophones", &train, &labelled("tune-homophones.csv")?);
        zh.print("Chinese, pooled");
        // Nodes of a few intents on the tuning phrasings (the small nodes' rule: every size
        // still rejects at least 90% of what is not its own), the same nodes when the library
        // does not know their intents, and a shop's own intents beside library ones
        // (`own-tune.csv`), which must be understood at least as well as without the library.
        let own = (labelled("own-train.csv")?, labelled("own-tune.csv")?);
        let tune = labelled("tune.csv")?;
        for size in [1, 2, 3, 5] {
            if size > 1 {
                for split in ["tune.csv", "tune-homophones.csv"] {
                    let s = small_nodes(&train, &labelled(split)?, size, Knows::Library);
                    println!(
                        "zh, nodes of {size}, {split:<20} understood {:>5.1}%, \
                         rejected {:>5.1}%",
                        s.understood * 100.0,
                        s.rejected * 100.0
                    );
                }
                let s = small_nodes(&train, &tune, size, Knows::LibraryWithoutThem);
                println!(
                    "zh, nodes of {size}, intents the library does not know: \
                     understood {:>5.1}%, rejected {:>5.1}%",
                    s.understood * 100.0,
                    s.rejected * 100.0
                );
            }
            let known = own_intent_nodes((&own.0, &own.1), (&train, &tune), size, Knows::Library);
            let none = own_intent_nodes((&own.0, &own.1), (&train, &tune), size, Knows::Nothing);
            println!(
                "zh, nodes of {size}, own intent leading: own understood {:>5.1}% \
                 (no library {:>5.1}%), library intents {:>5.1}%, rejected {:>5.1}%",
                known.own * 100.0,
                none.own * 100.0,
                known.known * 100.0,
                known.rejected * 100.0
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let scripts = std::env::args().nth(1).unwrap_or_default();
    match run(&scripts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
