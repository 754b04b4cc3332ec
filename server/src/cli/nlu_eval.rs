//! `callflow nlu-eval`: the command-line face of `flow_engine::nlu::eval`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use flow_engine::nlu::eval::{self, Example, Split, Trained};

use super::flows;

pub struct Options {
    pub train: Option<PathBuf>,
    pub test: Option<PathBuf>,
    pub tune: Option<PathBuf>,
    pub bitext: Option<PathBuf>,
    pub per_intent: usize,
    pub threshold: Option<f32>,
    pub peer_threshold: f64,
    /// Whether ours knows the built-in shop intents (every flow's classifier does).
    pub library: bool,
}

fn labelled(path: &Path) -> Result<Vec<Example>, String> {
    eval::read_labelled(&flows::read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn run(options: Options) -> Result<ExitCode, String> {
    let split = match (&options.bitext, &options.train, &options.test) {
        (Some(path), _, _) => eval::bitext_split(&flows::read(path)?, options.per_intent)
            .map_err(|e| format!("{}: {e}", path.display()))?,
        (None, Some(train), Some(test)) => Split {
            train: labelled(train)?,
            tune: match &options.tune {
                Some(path) => labelled(path)?,
                None => Vec::new(),
            },
            test: labelled(test)?,
        },
        _ => return Err("give --train and --test, or --bitext".into()),
    };
    let threshold = options.threshold.unwrap_or_else(eval::default_threshold);
    let trained = Trained::new(&split.train, options.library);
    println!(
        "{} training sentences, {} test sentences",
        split.train.len(),
        split.test.len()
    );
    if !split.tune.is_empty() {
        println!("\nthreshold sweep on the tuning split (callflow):");
        println!(
            "{:>9} {:>10} {:>12} {:>17}",
            "threshold", "accuracy", "OOS rejected", "near OOS rejected"
        );
        let near = Trained::near_out_of_scope_sweep(&split.train, &split.tune, options.library);
        for ((t, s), (_, near)) in trained.sweep(&split.tune).into_iter().zip(near) {
            println!(
                "{t:>9.2} {:>9.1}% {:>11.1}% {:>16.1}%",
                s.accuracy() * 100.0,
                s.rejection() * 100.0,
                near * 100.0
            );
        }
        println!();
    }
    print!(
        "{}",
        trained.evaluate(&split.test, threshold, options.peer_threshold)
    );
    Ok(ExitCode::SUCCESS)
}
