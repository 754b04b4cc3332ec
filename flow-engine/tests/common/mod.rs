//! The evaluation data the quality tests share: the Chinese e-commerce set written for this
//! project, and the Bitext set kept beside the workspace (../shared/datasets). A missing shared
//! dataset fails under `CI=true` and is skipped (with a notice) otherwise.

use std::path::PathBuf;

use flow_engine::nlu::eval::{self, Example};

fn read(path: PathBuf) -> Option<String> {
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("dataset {} is required on CI: {e}", path.display());
            }
            eprintln!(
                "notice: skipping, dataset {} unavailable: {e}",
                path.display()
            );
            None
        }
    }
}

/// A file of the Chinese e-commerce set.
pub fn ours(name: &str) -> Vec<Example> {
    written("zh-ecommerce", name)
}

/// A file of a set written for this project (`tests/data/nlu/<set>`).
pub fn written(set: &str, name: &str) -> Vec<Example> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/nlu")
        .join(set)
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let rows = eval::read_labelled(&text).unwrap_or_default();
    assert!(!rows.is_empty(), "{} is missing or empty", path.display());
    rows
}

pub fn bitext() -> Option<String> {
    read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/datasets/bitext-customer-support-en/utterance_intent.csv"),
    )
}
