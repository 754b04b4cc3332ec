//! Reading flow files from disk and compiling them, with readable diagnostics.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use flow_engine::compile::{CompileOptions, CompiledFlow};
use flow_engine::validate::{self, Diagnostic, Severity, ValidationContext};
use flow_engine::FlowDocument;

pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// One diagnostic as `file: node: field: severity[code]: message`, the message in the command
/// line's language.
pub fn format_diagnostic(path: &Path, diagnostic: &Diagnostic) -> String {
    let diagnostic = diagnostic.clone().localized(super::language().locale());
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    // Messages of script, template and JSON syntax errors already name their line and column.
    format!(
        "{}: {}: {}: {severity}[{}]: {}",
        path.display(),
        diagnostic.node.as_deref().unwrap_or("-"),
        if diagnostic.field.is_empty() {
            "/"
        } else {
            &diagnostic.field
        },
        diagnostic.code,
        diagnostic.message,
    )
}

pub fn print_diagnostics(out: &mut impl Write, path: &Path, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        let _ = writeln!(out, "{}", format_diagnostic(path, diagnostic));
    }
}

/// Reads, validates and compiles a flow; on errors prints them to stderr and fails.
pub fn compile(
    path: &Path,
    subflows: &BTreeMap<String, Arc<CompiledFlow>>,
) -> Result<Arc<CompiledFlow>, String> {
    let text = read(path)?;
    let options = CompileOptions {
        subflows: subflows.clone(),
        ..CompileOptions::default()
    };
    let known = subflows.keys().cloned().collect();
    let context = ValidationContext::new(&options.sandbox).with_subflows(&known);
    let validated = validate::validate_json(&text, &context);
    let failed = |diagnostics: &[Diagnostic]| {
        print_diagnostics(&mut std::io::stderr(), path, diagnostics);
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        format!(
            "{} has {errors} error(s); fix them first (callflow validate shows them all)",
            path.display()
        )
    };
    let document: FlowDocument = match validated.document {
        Some(document) if !validated.has_errors() => document,
        _ => return Err(failed(&validated.diagnostics)),
    };
    CompiledFlow::compile(&document, &options).map_err(|e| failed(&e.diagnostics))
}

/// Compiles the flows that `subflow` nodes may call, in order; each may call the ones before it.
pub fn compile_subflows(
    paths: &[impl AsRef<Path>],
) -> Result<BTreeMap<String, Arc<CompiledFlow>>, String> {
    let mut compiled = BTreeMap::new();
    for path in paths {
        let flow = compile(path.as_ref(), &compiled)?;
        compiled.insert(flow.name().to_owned(), flow);
    }
    Ok(compiled)
}
