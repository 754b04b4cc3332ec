//! Date and amount slots end to end: small flows in `tests/slot_flows/` ask for an amount and a
//! pickup day, and their conversation tests fix the call's time with `now`, so 明天 and "next
//! Friday" mean the same day whenever the tests run. Each conversation also passes when the
//! session is snapshotted and resumed after every turn (the call's UTC offset travels with it).

use std::path::{Path, PathBuf};

use flow_engine::conversation::{self, ConversationFile, RunOptions};
use flow_engine::{CompiledFlow, FlowDocument};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slot_flows")
}

fn run(name: &str) {
    let read = |file: String| {
        std::fs::read_to_string(dir().join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    };
    let document: FlowDocument =
        serde_json::from_str(&read(format!("{name}.json"))).expect("a valid flow document");
    let flow = CompiledFlow::compile(&document, &Default::default())
        .unwrap_or_else(|e| panic!("{name}: {:#?}", e.diagnostics));
    assert!(flow.warnings().is_empty(), "{name}: {:#?}", flow.warnings());
    let file = ConversationFile::parse(&read(format!("{name}.yaml"))).expect("a valid test file");
    assert!(file.now.is_some(), "{name}: the tests must fix the time");
    for conversation in &file.conversations {
        for options in [
            RunOptions::default(),
            RunOptions {
                resume_every_turn: true,
                ..RunOptions::default()
            },
        ] {
            let result = conversation::run_with(&flow, &file, conversation, options);
            assert!(
                result.passed(),
                "{name}\n{}",
                result.report(flow_engine::messages::Locale::English)
            );
        }
    }
}

#[test]
fn chinese_amount_and_date() {
    run("refund-callback");
}

#[test]
fn english_amount_and_date() {
    run("pickup-date-en");
}

#[test]
fn a_malformed_now_is_a_parse_error() {
    let error =
        ConversationFile::parse("now: tomorrow\nconversations: []\n").expect_err("not a moment");
    assert!(
        error.to_string().contains("2026-06-15T10:00:00+08:00"),
        "{error}"
    );
}

#[test]
fn an_answer_the_slot_reads_is_the_slot_unless_an_intent_says_it_word_for_word() {
    run("score-or-praise");
}
