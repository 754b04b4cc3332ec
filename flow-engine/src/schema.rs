//! The JSON Schema of the flow format, generated from the Rust types.

use crate::model::{FlowDocument, SCHEMA_VERSION};

/// The JSON Schema (draft 2020-12) of a flow document, pretty-printed with a trailing newline.
pub fn flow_schema_json() -> String {
    let mut schema = schemars::schema_for!(FlowDocument);
    // The Rust type is a plain `u32`, but a document of any other version is not this format;
    // saying so lets editors that use the schema flag it.
    if let Some(version) = schema
        .pointer_mut("/properties/schema")
        .and_then(|s| s.as_object_mut())
    {
        version.insert("const".to_owned(), SCHEMA_VERSION.into());
    }
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
