//! The committed JSON Schema must match the Rust types, and the example flows must load.

use std::path::{Path, PathBuf};

use flow_engine::script::Sandbox;
use flow_engine::validate::{validate_json, Severity, ValidationContext};
use flow_engine::FlowDocument;

const REGENERATE: &str = "cargo run -p server -- schema > schema/flow-v1.schema.json";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn committed_schema_path() -> PathBuf {
    workspace_root().join("schema").join("flow-v1.schema.json")
}

/// `CALLFLOW_BLESS=1 cargo test -p flow-engine --test schema` rewrites the committed schema,
/// for when the `callflow schema` command is not at hand.
#[test]
fn committed_schema_matches_the_model() {
    let generated = flow_engine::schema::flow_schema_json();
    let path = committed_schema_path();
    if std::env::var_os("CALLFLOW_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the committed schema {} ({e}).\nGenerate it from the workspace root with:\n    {REGENERATE}\n\
             (or CALLFLOW_BLESS=1 cargo test -p flow-engine --test schema)",
            path.display()
        )
    });
    // Line endings may be converted by git on checkout; they are not part of the schema.
    if committed.replace("\r\n", "\n") != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "at the end".to_owned(), |i| format!("at line {}", i + 1));
        panic!(
            "schema/flow-v1.schema.json is out of date with the Rust model (first difference \
             {first_difference}).\nRegenerate it from the workspace root with:\n    {REGENERATE}\n\
             (or CALLFLOW_BLESS=1 cargo test -p flow-engine --test schema) and commit the result. \
             If the change is not backwards compatible, it needs a new schema version instead."
        );
    }
}

#[test]
fn schema_describes_node_types_as_tagged_variants() {
    let schema: serde_json::Value =
        serde_json::from_str(&flow_engine::schema::flow_schema_json()).expect("the schema is JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["properties"]["schema"]["const"], 1);
    let variants = schema["$defs"]["Node"]["oneOf"]
        .as_array()
        .expect("nodes are a oneOf");
    let kinds: Vec<&str> = variants
        .iter()
        .filter_map(|v| v["properties"]["type"]["const"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "say", "ask", "menu", "branch", "set", "script", "http", "handoff", "subflow",
            "answer", "opt_out", "end"
        ]
    );
    for variant in variants {
        assert_eq!(variant["additionalProperties"], false, "{variant}");
        assert!(
            variant["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{variant}"
        );
        let required = variant["required"].as_array().expect("required fields");
        assert!(
            required.contains(&"type".into()) && required.contains(&"id".into()),
            "{variant}"
        );
    }
    // Doc comments become descriptions.
    assert!(schema["properties"]["start"]["description"]
        .as_str()
        .is_some_and(|d| d.contains("every call begins")));
}

#[test]
fn example_flows_deserialize_and_validate() {
    let dir = workspace_root().join("flows");
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
            .collect(),
        Err(_) => Vec::new(),
    };
    paths.sort();
    let sandbox = Sandbox::shared();
    let context = ValidationContext::new(&sandbox);
    let mut failures = Vec::new();
    for path in &paths {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = FlowDocument::from_json(&text) {
            failures.push(format!("{}: does not deserialize: {e}", path.display()));
            continue;
        }
        let validated = validate_json(&text, &context);
        for d in validated
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
        {
            failures.push(format!(
                "{}: {} at {}: {}",
                path.display(),
                d.code,
                d.field,
                d.message
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "example flows with problems:\n{}",
        failures.join("\n")
    );
}
