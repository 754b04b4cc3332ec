//! A problem found in a flow, and the helpers that word its message.

use serde::Serialize;

use crate::messages::{term, Locale, Message};
use crate::msg;

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
    /// The problem in words, in English until [`Diagnostic::localize`] words it otherwise.
    pub message: String,
    /// What `message` is worded from: its catalogue key and parameters (`key`, `params`);
    /// boxed, as results carry diagnostics as their error and should stay small.
    #[serde(flatten)]
    pub text: Box<Message>,
    /// Line and column inside the field's text for script and template errors (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        code: &'static str,
        field: impl Into<String>,
        text: Message,
    ) -> Self {
        Diagnostic {
            severity,
            code,
            node: None,
            field: field.into(),
            message: text.render(Locale::English),
            text: Box::new(text),
            line: None,
            column: None,
        }
    }

    pub fn error(code: &'static str, field: impl Into<String>, text: Message) -> Self {
        Diagnostic::new(Severity::Error, code, field, text)
    }

    pub fn warning(code: &'static str, field: impl Into<String>, text: Message) -> Self {
        Diagnostic::new(Severity::Warning, code, field, text)
    }

    /// Words the message in `locale`.
    pub fn localize(&mut self, locale: Locale) {
        self.message = self.text.render(locale);
    }

    /// Says the problem with another text (in English until localized), e.g. to add where it is.
    pub(crate) fn reword(&mut self, text: Message) {
        self.message = text.render(Locale::English);
        *self.text = text;
    }

    /// The same problem worded in `locale`.
    pub fn localized(mut self, locale: Locale) -> Self {
        self.localize(locale);
        self
    }

    pub fn on(mut self, node: Option<&str>) -> Self {
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
pub(crate) fn place(line: u32, column: u32) -> Message {
    match (line, column) {
        (0, _) => term("place.unknown"),
        (line, 0) => msg!("place.line", line = line),
        (line, column) => msg!("place.line_column", line = line, column = column),
    }
}

/// "ask node", named the way the reader's language names that kind of node.
pub(crate) fn node_of_kind(kind: &str) -> Message {
    match kind {
        "say" => term("node.say"),
        "ask" => term("node.ask"),
        "menu" => term("node.menu"),
        "branch" => term("node.branch"),
        "set" => term("node.set"),
        "script" => term("node.script"),
        "http" => term("node.http"),
        "answer" => term("node.answer"),
        "handoff" => term("node.handoff"),
        "subflow" => term("node.subflow"),
        "opt_out" => term("node.opt_out"),
        "end" => term("node.end"),
        other => msg!("node.other", kind = shorten(other, 60)),
    }
}

pub(crate) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `"a", "b" and 3 more`: ids quoted as they are, the rest counted in the reader's words.
pub(crate) fn list_ids<'a>(ids: impl Iterator<Item = &'a str>) -> Message {
    const SHOWN: usize = 20;
    let ids: Vec<&str> = ids.collect();
    let text = ids
        .iter()
        .take(SHOWN)
        .map(|id| format!("\"{}\"", shorten(id, 40)))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        msg!("list.more", ids = text, more = ids.len() - SHOWN)
    } else {
        msg!("list.all", ids = text)
    }
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
