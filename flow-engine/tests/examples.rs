//! The example flows in `flows/` and their conversation tests: every flow compiles without
//! warnings, every conversation passes, and passes again when the session is snapshotted to
//! JSON and resumed after every turn, with snapshots no larger than 4 KB.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flow_engine::conversation::{self, ConversationFile, RunOptions};
use flow_engine::knowledge::Knowledge;
use flow_engine::{CompiledFlow, FlowDocument};

const MAX_SNAPSHOT_BYTES: usize = 4 * 1024;

fn flows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows")
}

fn example_flows() -> Vec<PathBuf> {
    let mut flows: Vec<PathBuf> = std::fs::read_dir(flows_dir())
        .expect("flows/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    flows.sort();
    flows
}

fn compile(path: &Path) -> Arc<CompiledFlow> {
    let text = std::fs::read_to_string(path).expect("readable flow");
    let document: FlowDocument =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    CompiledFlow::compile(&document, &Default::default())
        .unwrap_or_else(|e| panic!("{}: {:#?}", path.display(), e.diagnostics))
}

fn conversations_for(path: &Path) -> ConversationFile {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("file name");
    let tests = flows_dir().join("tests").join(format!("{stem}.yaml"));
    let text = std::fs::read_to_string(&tests)
        .unwrap_or_else(|e| panic!("every example flow needs {}: {e}", tests.display()));
    ConversationFile::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", tests.display()))
}

/// The knowledge bases a test file names, read relative to `flows/tests/`.
fn knowledge_for(file: &ConversationFile) -> Knowledge {
    let dir = flows_dir().join("tests");
    file.read_knowledge(|path| std::fs::read_to_string(dir.join(path)).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_example_flows_exist() {
    let names: Vec<String> = example_flows()
        .iter()
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect();
    for expected in [
        "birthday-care",
        "order-status",
        "order-status-en",
        "returns-refunds",
        "satisfaction-survey",
        "shop-faq",
        "complaints",
        "complaints-en",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "flows/{expected}.json is missing: {names:?}"
        );
    }
}

#[test]
fn example_flows_compile_without_warnings() {
    for path in example_flows() {
        let flow = compile(&path);
        assert!(
            flow.warnings().is_empty(),
            "{}: {:#?}",
            path.display(),
            flow.warnings()
        );
    }
}

#[test]
fn example_conversations_pass() {
    let mut failures = Vec::new();
    let mut count = 0;
    for path in example_flows() {
        let flow = compile(&path);
        let file = conversations_for(&path);
        assert!(
            file.conversations.len() >= 5,
            "{}: too few conversations",
            path.display()
        );
        let knowledge = knowledge_for(&file);
        let options = RunOptions {
            knowledge: Some(&knowledge),
            ..RunOptions::default()
        };
        for result in conversation::run_file_with(&flow, &file, options) {
            count += 1;
            if !result.passed() {
                failures.push(format!(
                    "{}\n{}",
                    path.display(),
                    result.report(flow_engine::messages::Locale::English)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} conversations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn conversations_survive_a_snapshot_after_every_turn() {
    let mut largest = 0;
    for path in example_flows() {
        let flow = compile(&path);
        let file = conversations_for(&path);
        let knowledge = knowledge_for(&file);
        let straight_options = RunOptions {
            knowledge: Some(&knowledge),
            ..RunOptions::default()
        };
        for conversation in &file.conversations {
            let straight = conversation::run_with(&flow, &file, conversation, straight_options);
            let resumed = conversation::run_with(
                &flow,
                &file,
                conversation,
                RunOptions {
                    resume_every_turn: true,
                    ..straight_options
                },
            );
            assert!(
                resumed.passed(),
                "{}\n{}",
                path.display(),
                resumed.report(flow_engine::messages::Locale::English)
            );
            assert_eq!(
                straight.transcript,
                resumed.transcript,
                "{}: {}",
                path.display(),
                conversation.name
            );
            assert_eq!(
                resumed.snapshot_sizes.len(),
                conversation
                    .turns
                    .iter()
                    .filter(|t| t.caller.is_some() || t.digits.is_some() || t.silence || t.hangup)
                    .count()
            );
            for size in &resumed.snapshot_sizes {
                assert!(
                    *size <= MAX_SNAPSHOT_BYTES,
                    "{}: {}: a snapshot of {size} bytes exceeds {MAX_SNAPSHOT_BYTES}",
                    path.display(),
                    conversation.name
                );
                largest = largest.max(*size);
            }
        }
    }
    println!("largest snapshot of the example conversations: {largest} bytes");
}
