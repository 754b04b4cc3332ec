//! Redaction of what the server writes beside the flow's own records: the channels' events
//! (prompts a caller cut short, what a customer wrote to an agent). The flow's records and
//! variables leave the engine redacted already (`flow_engine::runtime`'s `kept`); the
//! detectors and the policy are `flow_engine::redact`'s.

use flow_engine::redact::{Policy, Redactor};
use flow_engine::text::is_cjk;

use crate::store::NewCallEvent;

/// Redacts every text in `events`' data.
pub fn events(redactor: &Redactor, events: &mut [NewCallEvent]) {
    for event in events {
        redactor.json(&mut event.data);
    }
}

/// A redactor by `policy` alone, for a text written outside a flow's turn; its placeholders
/// in the text's own language, so that a Chinese message reads `[手机号]`.
pub fn for_text(policy: Policy, text: &str) -> Redactor {
    let language = if text.chars().any(is_cjk) { "zh" } else { "en" };
    Redactor::new(policy, language)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::conversation::channel_event;

    #[test]
    fn channel_events_keep_no_personal_data() {
        let mut written = vec![
            channel_event(
                "caller_said",
                None,
                json!({ "text": "我的卡号是6222021234567890128" }),
            ),
            channel_event("caller_said", None, json!({ "text": "call 13812345678" })),
        ];
        for event in &mut written {
            let text = event.data["text"].as_str().unwrap_or_default().to_owned();
            events(
                &for_text(Policy::default(), &text),
                std::slice::from_mut(event),
            );
        }
        assert_eq!(written[0].data["text"], "我的卡号是[银行卡号]");
        assert_eq!(written[1].data["text"], "call [phone]");
        let mut kept = vec![channel_event(
            "caller_said",
            None,
            json!({ "text": "13812345678" }),
        )];
        events(&for_text(Policy::off(), "13812345678"), &mut kept);
        assert_eq!(kept[0].data["text"], "13812345678");
    }
}
