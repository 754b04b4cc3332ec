//! serde's error messages, written for programmers, turned into plain words for people who
//! draw flows.

use serde_json::Value;

use super::shorten;

pub(super) struct SerdeProblem {
    pub code: &'static str,
    /// For a missing field: its name, to be added to the pointer.
    pub missing: Option<String>,
    kind: ProblemKind,
}

enum ProblemKind {
    Missing,
    Unknown { allowed: Vec<String> },
    WrongType { expected: String, found: String },
    OutOfRange { expected: String, found: String },
    BadValue { value: String, allowed: Vec<String> },
    Other(String),
}

impl SerdeProblem {
    pub fn message(&self, label: &str, what: &str) -> String {
        match &self.kind {
            ProblemKind::Missing => format!(
                "This {what} is missing the required field \
                \"{label}\". Add it."
            ),
            ProblemKind::Unknown { allowed } if allowed.is_empty() => {
                format!("This {what} has an unknown field \"{label}\". Remove it.")
            }
            ProblemKind::Unknown { allowed } => format!(
                "This {what} has an unknown field \"{label}\". Remove it or correct its \
                    spelling; the \
                 fields allowed here are: {}.",
                allowed.join(", ")
            ),
            ProblemKind::WrongType { expected, found } => {
                format!("Wrong type for \"{label}\": expected {expected}, found {found}.")
            }
            ProblemKind::OutOfRange { expected, found } => {
                format!("\"{label}\" must be {expected}; found {found}.")
            }
            ProblemKind::BadValue { value, allowed } => {
                format!(
                    "\"{label}\" cannot be \"{value}\". Use one of: {}.",
                    allowed.join(", ")
                )
            }
            ProblemKind::Other(text) => format!("\"{label}\" is not valid: {text}."),
        }
    }
}

/// Turns serde's messages (written for programmers) into plain words.
pub(super) fn explain_serde_error(message: &str) -> SerdeProblem {
    let quoted = backticked(message);
    if message.starts_with("missing field `") {
        let name = quoted.first().cloned().unwrap_or_default();
        return SerdeProblem {
            code: "missing_field",
            missing: Some(name),
            kind: ProblemKind::Missing,
        };
    }
    if message.starts_with("unknown field `") {
        let allowed = quoted.iter().skip(1).cloned().collect();
        return SerdeProblem {
            code: "unknown_field",
            missing: None,
            kind: ProblemKind::Unknown { allowed },
        };
    }
    if message.starts_with("unknown variant `") {
        let value = quoted.first().map(|v| shorten(v, 60)).unwrap_or_default();
        let allowed = quoted.iter().skip(1).cloned().collect();
        return SerdeProblem {
            code: "invalid_value",
            missing: None,
            kind: ProblemKind::BadValue { value, allowed },
        };
    }
    for (prefix, range_problem) in [("invalid type: ", false), ("invalid value: ", true)] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((found, expected)) = rest.rsplit_once(", expected ") {
                let found = describe_unexpected(found);
                if range_problem {
                    if let Some(range) = unsigned_range(expected) {
                        return SerdeProblem {
                            code: "out_of_range",
                            missing: None,
                            kind: ProblemKind::OutOfRange {
                                expected: range,
                                found,
                            },
                        };
                    }
                }
                let expected = describe_expected(expected);
                return SerdeProblem {
                    code: "wrong_type",
                    missing: None,
                    kind: ProblemKind::WrongType { expected, found },
                };
            }
        }
    }
    SerdeProblem {
        code: "invalid_value",
        missing: None,
        kind: ProblemKind::Other(message.to_owned()),
    }
}

/// The words between backticks, in order.
fn backticked(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn describe_expected(expected: &str) -> String {
    match expected {
        "a string" | "string" | "a borrowed string" | "string or map" => "text".to_owned(),
        "a boolean" => "true or false".to_owned(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number (0 or more)".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a sequence" => "a list".to_owned(),
        "a map" => "an object".to_owned(),
        other if other.starts_with("struct ") || other.contains("enum ") => "an object".to_owned(),
        other => other.to_owned(),
    }
}

fn unsigned_range(expected: &str) -> Option<String> {
    let max = match expected {
        "u8" => u64::from(u8::MAX),
        "u16" => u64::from(u16::MAX),
        "u32" => u64::from(u32::MAX),
        "u64" | "usize" => u64::MAX,
        _ => return None,
    };
    Some(format!("a whole number from 0 to {max}"))
}

/// serde's `Unexpected` display → plain words.
fn describe_unexpected(found: &str) -> String {
    if let Some(text) = found.strip_prefix("string ") {
        let inner = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        return format!("the text \"{}\"", shorten(inner, 60));
    }
    for prefix in ["integer ", "floating point "] {
        if let Some(number) = found.strip_prefix(prefix) {
            return format!("the number {}", number.trim_matches('`'));
        }
    }
    if let Some(boolean) = found.strip_prefix("boolean ") {
        return format!("the value {}", boolean.trim_matches('`'));
    }
    match found {
        "null" | "unit value" => "nothing (null)".to_owned(),
        "sequence" => "a list".to_owned(),
        "map" => "an object".to_owned(),
        other => other.to_owned(),
    }
}

pub(super) fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "nothing (null)".to_owned(),
        Value::Bool(b) => format!("the value {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text \"{}\"", shorten(s, 60)),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{ask, one, only, say, with};

    #[test]
    fn serde_messages_are_translated() {
        let d = only(
            &one(with(ask("q"), json!({ "timeout_ms": -1 }))),
            "out_of_range",
            "/nodes/0/timeout_ms",
        );
        assert!(
            d.message
                .contains("from 0 to 4294967295; found the number -1"),
            "{}",
            d.message
        );
        let d = only(
            &one(with(say("s", "done"), json!({ "barge_in": "yes" }))),
            "wrong_type",
            "/nodes/0/barge_in",
        );
        assert!(
            d.message
                .contains("expected true or false, found the text \"yes\""),
            "{}",
            d.message
        );
        let d = only(
            &one(with(say("s", "done"), json!({ "audio": [1] }))),
            "wrong_type",
            "/nodes/0/audio",
        );
        assert!(
            d.message.contains("expected text, found a list"),
            "{}",
            d.message
        );
        let d = only(
            &one(with(ask("q"), json!({ "no_match": "done" }))),
            "wrong_type",
            "/nodes/0/no_match",
        );
        assert!(
            d.message
                .contains("expected an object, found the text \"done\""),
            "{}",
            d.message
        );
        let d = only(
            &one(with(ask("q"), json!({ "input": ["voice"] }))),
            "invalid_value",
            "/nodes/0/input/0",
        );
        assert_eq!(
            d.message,
            "\"input[0]\" cannot be \"voice\". Use one of: speech, dtmf."
        );
    }
}
