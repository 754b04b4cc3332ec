//! The committed OpenAPI document `openapi/openapi.json` must match what the code describes.
//! Regenerate it with `CALLFLOW_BLESS=1 cargo test -p server --test openapi`.

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json")
}

fn generated() -> String {
    let (_, openapi) = server::app::api();
    let mut text = serde_json::to_string_pretty(&openapi).expect("the document serializes");
    text.push('\n');
    text
}

#[test]
fn the_committed_openapi_document_is_current() {
    let generated = generated();
    if std::env::var("CALLFLOW_BLESS").as_deref() == Ok("1") {
        std::fs::write(committed_path(), &generated).expect("write openapi/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date; regenerate it with \
         `CALLFLOW_BLESS=1 cargo test -p server --test openapi` and commit it"
    );
}

#[test]
fn every_operation_is_documented() {
    let document: serde_json::Value = serde_json::from_str(&generated()).expect("json");
    let paths = document["paths"].as_object().expect("paths");
    assert!(
        paths
            .keys()
            .all(|p| p.starts_with("/api/v1/") || p.starts_with("/widget/v1/")),
        "{:?}",
        paths.keys()
    );
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().expect("operations") {
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
        }
    }
}
