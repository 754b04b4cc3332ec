//! serde's error messages, written for programmers, turned into plain words for people who
//! draw flows.

use serde_json::Value;

use super::shorten;
use crate::messages::{term, Message};
use crate::msg;

pub(super) struct SerdeProblem {
    pub code: &'static str,
    /// For a missing field: its name, to be added to the pointer.
    pub missing: Option<String>,
    kind: ProblemKind,
}

enum ProblemKind {
    Missing,
    Unknown { allowed: Vec<String> },
    WrongType { expected: Message, found: Message },
    OutOfRange { expected: Message, found: Message },
    BadValue { value: String, allowed: Vec<String> },
    Other(String),
}

impl SerdeProblem {
    /// The problem with the field `label` of `what` (a node, the flow, an intent).
    pub fn message(&self, label: &str, what: Message) -> Message {
        match &self.kind {
            ProblemKind::Missing => msg!("missing_field", what = what, field = label),
            ProblemKind::Unknown { allowed } if allowed.is_empty() => {
                msg!("unknown_field.none_allowed", what = what, field = label)
            }
            ProblemKind::Unknown { allowed } => msg!(
                "unknown_field",
                what = what,
                field = label,
                allowed = allowed.join(", ")
            ),
            ProblemKind::WrongType { expected, found } => msg!(
                "wrong_type",
                field = label,
                expected = expected.clone(),
                found = found.clone()
            ),
            ProblemKind::OutOfRange { expected, found } => msg!(
                "out_of_range.field",
                field = label,
                expected = expected.clone(),
                found = found.clone()
            ),
            ProblemKind::BadValue { value, allowed } => msg!(
                "invalid_value",
                field = label,
                value = value,
                allowed = allowed.join(", ")
            ),
            ProblemKind::Other(text) => msg!("invalid_value.other", field = label, error = text),
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

fn describe_expected(expected: &str) -> Message {
    match expected {
        "a string" | "string" | "a borrowed string" | "string or map" => term("value.text"),
        "a boolean" => term("value.boolean"),
        "u8" | "u16" | "u32" | "u64" | "usize" => term("value.unsigned"),
        "i8" | "i16" | "i32" | "i64" | "isize" => term("value.integer"),
        "f32" | "f64" => term("value.number"),
        "a sequence" => term("value.list"),
        "a map" => term("value.object"),
        other if other.starts_with("struct ") || other.contains("enum ") => term("value.object"),
        other => msg!("value.other", value = other),
    }
}

fn unsigned_range(expected: &str) -> Option<Message> {
    let max = match expected {
        "u8" => u64::from(u8::MAX),
        "u16" => u64::from(u16::MAX),
        "u32" => u64::from(u32::MAX),
        "u64" | "usize" => u64::MAX,
        _ => return None,
    };
    Some(msg!("value.unsigned_up_to", max = max))
}

/// serde's `Unexpected` display → plain words.
fn describe_unexpected(found: &str) -> Message {
    if let Some(text) = found.strip_prefix("string ") {
        let inner = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        return msg!("found.text", text = shorten(inner, 60));
    }
    for prefix in ["integer ", "floating point "] {
        if let Some(number) = found.strip_prefix(prefix) {
            return msg!("found.number", number = number.trim_matches('`'));
        }
    }
    if let Some(boolean) = found.strip_prefix("boolean ") {
        return msg!("found.boolean", value = boolean.trim_matches('`'));
    }
    match found {
        "null" | "unit value" => term("found.null"),
        "sequence" => term("value.list"),
        "map" => term("value.object"),
        other => msg!("value.other", value = other),
    }
}

pub(super) fn describe_value(value: &Value) -> Message {
    match value {
        Value::Null => term("found.null"),
        Value::Bool(b) => msg!("found.boolean", value = b.to_string()),
        Value::Number(n) => msg!("found.number", number = n.to_string()),
        Value::String(s) => msg!("found.text", text = shorten(s, 60)),
        Value::Array(_) => term("value.list"),
        Value::Object(_) => term("value.object"),
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
