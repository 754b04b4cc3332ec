//! `callflow validate`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use flow_engine::msg;
use flow_engine::script::Sandbox;
use flow_engine::validate::{self, Diagnostic, Severity, ValidationContext};

use super::flows::{self, print_diagnostics};
use super::Format;
use server::language::Language;

/// The last line: how many files were checked and what was found, in the command line's
/// language.
pub fn summary(language: Language, files: usize, errors: usize, warnings: usize) -> String {
    match language {
        Language::Chinese => {
            format!("检查了 {files} 个文件：{errors} 个错误，{warnings} 个警告")
        }
        Language::English => {
            format!("{files} file(s) checked: {errors} error(s), {warnings} warning(s)")
        }
    }
}

pub fn run(files: &[PathBuf], subflows: &[PathBuf], format: Format) -> Result<ExitCode, String> {
    let sandbox = Sandbox::shared();
    let texts: Vec<(PathBuf, Result<String, String>)> = files
        .iter()
        .chain(subflows)
        .map(|p| (p.clone(), flows::read(p)))
        .collect();
    // Flows validated together, and the given subflows, may call each other by name.
    let known: BTreeSet<String> = texts
        .iter()
        .filter_map(|(_, text)| text.as_ref().ok())
        .filter_map(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .filter_map(|value| value.get("name")?.as_str().map(str::to_owned))
        .collect();
    let context = ValidationContext::new(&sandbox).with_subflows(&known);
    let mut results = Vec::new();
    for (path, text) in texts.iter().take(files.len()) {
        let diagnostics = match text {
            Ok(text) => validate::validate_json(text, &context).diagnostics,
            Err(message) => vec![Diagnostic::error(
                "unreadable_file",
                "",
                msg!("cli.unreadable_file", error = message),
            )],
        };
        results.push((path, diagnostics));
    }
    let count = |severity| {
        results
            .iter()
            .flat_map(|(_, d)| d.iter())
            .filter(|d| d.severity == severity)
            .count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let mut out = std::io::stdout().lock();
    match format {
        Format::Text => {
            for (path, diagnostics) in &results {
                print_diagnostics(&mut out, path, diagnostics);
            }
            eprintln!(
                "{}",
                summary(super::language(), results.len(), errors, warnings)
            );
        }
        Format::Json => {
            let locale = super::language().locale();
            let report: Vec<_> = results
                .iter()
                .map(|(path, diagnostics)| {
                    let diagnostics: Vec<Diagnostic> =
                        diagnostics.iter().map(|d| d.clone().localized(locale)).collect();
                    serde_json::json!({ "file": path.display().to_string(), "diagnostics": diagnostics })
                })
                .collect();
            let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
            let _ = writeln!(out, "{text}");
        }
    }
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
