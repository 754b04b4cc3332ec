//! `callflow test`: conversation tests.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use flow_engine::conversation::{self, ConversationFile, RunOptions};
use server::language::Language;

use super::flows;

/// The last line: how many conversations passed and failed, in the command line's language.
pub fn summary(language: Language, passed: usize, failed: usize) -> String {
    match language {
        Language::Chinese => format!("{passed} 个通过，{failed} 个失败"),
        Language::English => format!("{passed} passed, {failed} failed"),
    }
}

pub fn run(
    file: &Path,
    conversations: &[PathBuf],
    subflows: &[PathBuf],
    verbose: bool,
) -> Result<ExitCode, String> {
    let subflows = flows::compile_subflows(subflows)?;
    let flow = flows::compile(file, &subflows)?;
    let (mut passed, mut failed) = (0, 0);
    for path in conversations {
        let parsed = ConversationFile::parse(&flows::read(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        // Spreadsheets named by the test file are relative to it.
        let dir = path.parent().unwrap_or(Path::new("."));
        let knowledge = parsed
            .read_knowledge(|csv| flows::read(&dir.join(csv)))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!("{} × {}", file.display(), path.display());
        let options = RunOptions {
            knowledge: Some(&knowledge),
            ..RunOptions::default()
        };
        for result in conversation::run_file_with(&flow, &parsed, options) {
            if result.passed() {
                passed += 1;
                println!("  ✓ {}", result.name);
                if verbose {
                    let report = result.report(super::language().locale());
                    for line in report.lines().skip(1) {
                        println!("  {line}");
                    }
                }
            } else {
                failed += 1;
                for line in result.report(super::language().locale()).lines() {
                    println!("  {line}");
                }
            }
        }
    }
    println!("{}", summary(super::language(), passed, failed));
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
