//! The flow as JSON text: its size, its syntax (placed by line and column) and object keys
//! written twice, which a parsed value would silently collapse.

use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Diagnostic, MAX_JSON_BYTES};
use crate::messages::term;
use crate::model::{escape_pointer, unescape_pointer};
use crate::msg;

/// Parses flow text into a value and the JSON pointers of its repeated keys; text that is too
/// large or not JSON gets its one diagnostic.
pub(super) fn parse(text: &str) -> Result<(Value, Vec<String>), Diagnostic> {
    if text.len() > MAX_JSON_BYTES {
        let message = msg!(
            "too_large.file",
            size = text.len().div_ceil(1024 * 1024),
            max = MAX_JSON_BYTES / (1024 * 1024)
        );
        return Err(Diagnostic::error("too_large", "", message));
    }
    if text.starts_with('\u{feff}') {
        let message = term("json_syntax.bom");
        return Err(Diagnostic::error("json_syntax", "", message).at(1, 1));
    }
    parse_json(text).map_err(|error| json_syntax_diagnostic(text, &error))
}

/// The diagnostic for a key written twice, at its JSON pointer.
pub(super) fn duplicate_field(field: String) -> Diagnostic {
    let key = field
        .rsplit('/')
        .next()
        .map(unescape_pointer)
        .unwrap_or_default();
    let message = msg!("duplicate_field", field = key);
    Diagnostic::error("duplicate_field", field, message)
}

/// Parses JSON like `serde_json::from_str::<Value>`, and also lists repeated object keys (as
/// JSON pointers), which a `Value` silently collapses.
fn parse_json(text: &str) -> Result<(Value, Vec<String>), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut path = String::new();
    let mut duplicates = Vec::new();
    let value = DuplicateKeys {
        path: &mut path,
        duplicates: &mut duplicates,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok((value, duplicates))
}

struct DuplicateKeys<'s> {
    path: &'s mut String,
    duplicates: &'s mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for DuplicateKeys<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DuplicateKeys<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        let len = self.path.len();
        loop {
            self.path.push('/');
            self.path.push_str(&items.len().to_string());
            let item = seq.next_element_seed(DuplicateKeys {
                path: self.path,
                duplicates: self.duplicates,
            })?;
            self.path.truncate(len);
            match item {
                Some(item) => items.push(item),
                None => break,
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        let len = self.path.len();
        while let Some(key) = map.next_key::<String>()? {
            self.path.push('/');
            self.path.push_str(&escape_pointer(&key));
            let value = map.next_value_seed(DuplicateKeys {
                path: self.path,
                duplicates: self.duplicates,
            })?;
            if object.contains_key(&key) {
                self.duplicates.push(self.path.clone());
            }
            self.path.truncate(len);
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

fn json_syntax_diagnostic(text: &str, error: &serde_json::Error) -> Diagnostic {
    let raw = error.to_string();
    // serde_json appends " at line N column M"; the place is reported in its own fields.
    let detail = match raw.rfind(" at line ") {
        Some(cut) => &raw[..cut],
        None => raw.as_str(),
    };
    let explained = if detail.starts_with("EOF while parsing") {
        term("json.eof")
    } else if detail == "trailing comma" {
        term("json.trailing_comma")
    } else if detail == "key must be a string" {
        term("json.key_not_string")
    } else if detail == "expected value" {
        term("json.expected_value")
    } else if detail == "trailing characters" {
        term("json.trailing_characters")
    } else if detail.starts_with("control character") {
        term("json.control_character")
    } else {
        msg!("json.other", detail = detail)
    };
    let line = u32::try_from(error.line()).unwrap_or(u32::MAX);
    let column = char_column(text, error.line(), error.column());
    let message = msg!(
        "json_syntax",
        error = explained,
        place = msg!("place.line_column", line = line, column = column)
    );
    Diagnostic::error("json_syntax", "", message).at(line, column)
}

/// serde_json counts columns in bytes; editors count characters, which differ for Chinese text.
fn char_column(text: &str, line: usize, byte_column: usize) -> u32 {
    let Some(line_text) = text.split('\n').nth(line.saturating_sub(1)) else {
        return u32::try_from(byte_column).unwrap_or(u32::MAX);
    };
    let mut end = byte_column.min(line_text.len());
    while !line_text.is_char_boundary(end) {
        end -= 1;
    }
    let chars = line_text[..end].chars().count();
    // A column inside a multi-byte character still points at that character.
    let chars = if end < byte_column.min(line_text.len()) {
        chars + 1
    } else {
        chars
    };
    u32::try_from(chars.max(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{only, validate_text};

    #[test]
    fn json_syntax_error_has_line_and_column() {
        let validated = validate_text("{\n  \"schema\": 1,\n  \"name\" \"x\"\n}");
        let d = only(&validated, "json_syntax", "");
        assert_eq!((d.line, d.column), (Some(3), Some(10)));
        assert!(d.message.contains("line 3, column 10"), "{}", d.message);
        assert!(!d.message.contains(" at line "), "{}", d.message);
        assert!(validated.document.is_none());
    }

    #[test]
    fn json_syntax_column_counts_characters() {
        // "订单" is six bytes but two characters.
        let validated = validate_text("{\"name\": \"订单\" x}");
        let d = only(&validated, "json_syntax", "");
        assert_eq!((d.line, d.column), (Some(1), Some(15)));
    }

    #[test]
    fn json_syntax_messages_are_explained() {
        let d = only(&validate_text("{\"a\": [1, 2,]}"), "json_syntax", "");
        assert!(d.message.contains("comma"), "{}", d.message);
        let d = only(&validate_text("{\"a\": "), "json_syntax", "");
        assert!(d.message.contains("ends too early"), "{}", d.message);
        let d = only(&validate_text("\u{feff}{}"), "json_syntax", "");
        assert!(d.message.contains("byte-order mark"), "{}", d.message);
    }

    #[test]
    fn oversized_text_is_not_parsed() {
        let text = format!("{{\"name\": \"{}\"", "x".repeat(MAX_JSON_BYTES));
        let d = only(&validate_text(&text), "too_large", "");
        assert!(d.message.contains("10 MiB"), "{}", d.message);
    }

    #[test]
    fn repeated_keys_are_reported() {
        let text = r#"{"schema": 1, "name": "x", "language": "en", "start": "a",
            "nodes": [{"type": "say", "id": "a", "text": "hi", "next": "a", "next": "b"},
                      {"type": "end", "id": "b", "outcome": "resolved"}]}"#;
        let validated = validate_text(text);
        let d = only(&validated, "duplicate_field", "/nodes/0/next");
        assert_eq!(d.node.as_deref(), Some("a"));
        assert!(validated.document.is_none());
    }
}
