//! A problem found in a flow, and the helpers that word its message.

use serde::Serialize;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `dangling_port`.
    pub code: &'static str,
    /// Id of the node concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// JSON pointer of the field from the document root, e.g. `/nodes/3/next` (`""` for the
    /// whole document).
    pub field: String,
    pub message: String,
    /// Line and column inside the field's text for script and template errors (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Diagnostic {
    pub(crate) fn new(
        severity: Severity,
        code: &'static str,
        field: impl Into<String>,
        message: String,
    ) -> Self {
        Diagnostic {
            severity,
            code,
            node: None,
            field: field.into(),
            message,
            line: None,
            column: None,
        }
    }

    pub(crate) fn error(code: &'static str, field: impl Into<String>, message: String) -> Self {
        Diagnostic::new(Severity::Error, code, field, message)
    }

    pub(crate) fn warning(code: &'static str, field: impl Into<String>, message: String) -> Self {
        Diagnostic::new(Severity::Warning, code, field, message)
    }

    pub(crate) fn on(mut self, node: Option<&str>) -> Self {
        // An empty id is itself reported; naming the node "" would only confuse.
        self.node = node.filter(|id| !id.is_empty()).map(str::to_owned);
        self
    }

    /// 0 means "unknown" in the sandbox's errors; it is left out rather than shown as line 0.
    pub(crate) fn at(mut self, line: u32, column: u32) -> Self {
        self.line = (line > 0).then_some(line);
        self.column = (line > 0 && column > 0).then_some(column);
        self
    }
}

/// ` (line 2, column 5)` for a place in a field's text; nothing when the place is unknown.
pub(crate) fn place(line: u32, column: u32) -> String {
    match (line, column) {
        (0, _) => String::new(),
        (line, 0) => format!(" (line {line})"),
        (line, column) => format!(" (line {line}, column {column})"),
    }
}

pub(crate) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

pub(crate) fn list_ids<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    const SHOWN: usize = 20;
    let ids: Vec<&str> = ids.collect();
    let mut text = ids
        .iter()
        .take(SHOWN)
        .map(|id| format!("\"{}\"", shorten(id, 40)))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{one, say};

    #[test]
    fn diagnostics_serialize_for_the_api() {
        let validated = one(
            json!({ "type": "script", "id": "js", "code": "let a = 1;\nlet = 2;", "next": "done", "error": "done" }),
        );
        let json = serde_json::to_value(&validated.diagnostics[0]).expect("serializes");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["code"], "script_syntax");
        assert_eq!(json["node"], "js");
        assert_eq!(json["field"], "/nodes/0/code");
        assert_eq!(
            (json["line"].as_u64(), json["column"].as_u64()),
            (Some(2), Some(5))
        );
        let json =
            serde_json::to_value(&one(say("s", "ghost")).diagnostics[0]).expect("serializes");
        assert!(json.get("line").is_none() && json.get("column").is_none());
    }
}
