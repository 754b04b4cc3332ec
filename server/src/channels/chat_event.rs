//! What a person in a chat does, as the chat APIs take it (the sessions API and the widget's):
//! one flat JSON object whose `type` says which, checked field by field into a
//! [`CallerInput`].

use serde::Deserialize;
use utoipa::ToSchema;

use crate::channels::webchat::CallerInput;
use crate::error::{ApiError, ApiResult};

/// The longest text one chat message may have.
const MAX_TEXT_CHARS: usize = 2_000;
/// The most keys one `digits` event may carry.
const MAX_DIGITS: usize = 64;

/// What the person in the chat does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// Types (or says) a line: `text`, optionally `confidence`.
    Text,
    /// Presses keys: `digits`.
    Digits,
    /// Says nothing until the bot's listen timeout.
    NoInput,
    /// Leaves the chat.
    Hangup,
}

/// An event in the chat: `type` says which; `text` and `confidence` go with `text`, `digits`
/// with `digits`.
// A flat object rather than a tagged union, so that a wrong value is reported at its own field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "type": "text", "text": "我的快递到哪了" }))]
pub struct SessionEvent {
    #[serde(rename = "type")]
    pub kind: EventType,
    /// For `text`: the line, at most 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub text: Option<String>,
    /// For `text`: speech-recognition confidence, 0 to 1, when the text came from speech.
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f32>,
    /// For `digits`: the keys, `0`–`9`, `*` and `#`, at most 64.
    #[serde(default)]
    #[schema(pattern = "^[0-9*#]{1,64}$")]
    pub digits: Option<String>,
}

impl SessionEvent {
    pub fn into_input(self) -> ApiResult<CallerInput> {
        let kind = self.kind;
        let only_for = |field: &str, present: bool, owner: &str| {
            if present {
                Err(ApiError::invalid_field(
                    &format!("/{field}"),
                    "unexpected_field",
                    format!("只有 `{owner}` 事件才有 `{field}`"),
                    format!("`{field}` belongs to `{owner}` events only"),
                ))
            } else {
                Ok(())
            }
        };
        only_for(
            "text",
            self.text.is_some() && kind != EventType::Text,
            "text",
        )?;
        only_for(
            "confidence",
            self.confidence.is_some() && kind != EventType::Text,
            "text",
        )?;
        only_for(
            "digits",
            self.digits.is_some() && kind != EventType::Digits,
            "digits",
        )?;
        match kind {
            EventType::Text => {
                let text = self.text.ok_or_else(|| {
                    ApiError::invalid_field(
                        "/text",
                        "missing_field",
                        "`text` 事件须有 `text`".into(),
                        "a `text` event needs `text`".into(),
                    )
                })?;
                let length = text.chars().count();
                if length > MAX_TEXT_CHARS {
                    return Err(ApiError::invalid_field(
                        "/text",
                        "too_long",
                        format!("文字有 {length} 个字，最多 {MAX_TEXT_CHARS} 个"),
                        format!(
                            "the text has {length} characters; at most {MAX_TEXT_CHARS} are allowed"
                        ),
                    ));
                }
                if let Some(confidence) = self.confidence.filter(|c| !(0.0..=1.0).contains(c)) {
                    return Err(ApiError::invalid_field(
                        "/confidence",
                        "out_of_range",
                        format!("置信度须在 0 到 1 之间，而不是 {confidence}"),
                        format!("a confidence is between 0 and 1, not {confidence}"),
                    ));
                }
                Ok(CallerInput::Text {
                    text,
                    confidence: self.confidence,
                })
            }
            EventType::Digits => {
                let digits = self.digits.unwrap_or_default();
                if digits.is_empty()
                    || digits.len() > MAX_DIGITS
                    || !digits
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
                {
                    return Err(ApiError::invalid_field(
                        "/digits",
                        "invalid_digits",
                        format!("`digits` 事件须有 1 到 {MAX_DIGITS} 个按键：0-9、* 和 #"),
                        format!("a `digits` event needs 1 to {MAX_DIGITS} of 0-9, * and #"),
                    ));
                }
                Ok(CallerInput::Digits(digits))
            }
            EventType::NoInput => Ok(CallerInput::NoInput),
            EventType::Hangup => Ok(CallerInput::HangUp),
        }
    }
}
