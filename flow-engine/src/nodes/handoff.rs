//! `handoff`: transfers the call to a human — a queue, a phone number or a SIP address.

use super::{Kind, Ports};
use crate::model::node_common;
use crate::validate::{shorten, Checker};

node_common! {
    /// Transfers the call to a human: a queue, a phone number or a SIP address.
    pub struct HandoffNode {
        /// Agent queue name (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub queue: Option<String>,
        /// Phone number in E.164 form (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub phone: Option<String>,
        /// SIP address, `sip:agent@example.com` (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sip: Option<String>,
        /// What the bot says before transferring (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message: Option<String>,
        /// Summary shown to the agent (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub summary: Option<String>,
        /// Taken after a connected transfer ends. When absent the call ends with outcome `handoff`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub next: Option<String>,
        /// Taken when nobody answers (defaults to `error`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub no_answer: Option<String>,
        /// Taken when the target is busy (defaults to `error`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub busy: Option<String>,
        /// Taken when the transfer fails.
        pub error: String,
    }
}

impl Kind for HandoffNode {
    const TYPE: &'static str = "handoff";
    const WAITS: bool = true;

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        if let Some(next) = &self.next {
            ports.add("/next", "next", next);
        }
        if let Some(target) = &self.no_answer {
            ports.add("/no_answer", "no_answer", target);
        }
        if let Some(target) = &self.busy {
            ports.add("/busy", "busy", target);
        }
        ports.add("/error", "error", &self.error);
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        let targets: Vec<(&str, &String)> = [
            ("queue", &self.queue),
            ("phone", &self.phone),
            ("sip", &self.sip),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.as_ref()?)))
        .collect();
        match targets.as_slice() {
            [] => {
                let message = "Choose where to transfer the call: set one of \"queue\", \
                \"phone\" or \"sip\"."
                    .to_owned();
                c.error("handoff_target", id, base.to_owned(), message);
            }
            [_] => {}
            [(first, _), rest @ ..] => {
                for (name, _) in rest {
                    let message = format!(
                        "Set only one transfer target: this node has both \"{first}\" and \
                        \"{name}\". Remove one."
                    );
                    c.error("handoff_target", id, at(&format!("/{name}")), message);
                }
            }
        }
        for (name, raw) in &targets {
            let field = at(&format!("/{name}"));
            let value = raw.trim();
            if value.is_empty() {
                let message = format!("The \"{name}\" to transfer to is empty. Fill it in.");
                c.error("handoff_target", id, field, message);
                continue;
            }
            c.template(id, field.clone(), raw);
            let templated = value.contains("{{");
            match *name {
                "phone" if !templated && !looks_like_phone(value) => {
                    let message = format!(
                    "\"{}\" does not look like a phone number. Write it in international form, \
                     e.g. +8613800138000, or as digits only.",
                    shorten(value, 40)
                );
                    c.warning("invalid_phone", id, field, message);
                }
                "sip" if !value.starts_with("{{") && !is_sip_address(value) => {
                    let message = format!(
                        "\"{}\" is not a SIP address. It must start with sip:, e.g. \
                        sip:agent@example.com.",
                        shorten(value, 60)
                    );
                    c.error("invalid_sip", id, field, message);
                }
                _ => {}
            }
        }
        if let Some(message) = &self.message {
            c.template(id, at("/message"), message);
        }
        if let Some(summary) = &self.summary {
            c.template(id, at("/summary"), summary);
        }
    }
}

fn looks_like_phone(phone: &str) -> bool {
    let digits = phone.strip_prefix('+').unwrap_or(phone);
    (3..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_sip_address(address: &str) -> bool {
    let lower = address.get(..5).unwrap_or(address).to_ascii_lowercase();
    (lower.starts_with("sip:") && address.len() > 4)
        || (lower.starts_with("sips:") && address.len() > 5)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{clean, one, only, with};
    use crate::validate::Severity;
    use serde_json::Value;

    #[test]
    fn a_handoff_target_of_the_wrong_type_is_not_reported_as_absent() {
        let validated = one(json!({ "type": "handoff", "id": "h", "queue": 5, "error": "done" }));
        only(&validated, "wrong_type", "/nodes/0/queue");
    }

    #[test]
    fn handoff_targets() {
        let handoff = |extra: Value| {
            with(
                json!({ "type": "handoff", "id": "h", "error": "done" }),
                extra,
            )
        };
        clean(&one(handoff(json!({ "queue": "support" }))));
        clean(&one(handoff(json!({ "phone": "+8613800138000" }))));
        clean(&one(handoff(json!({ "phone": "{{ vars.phone }}" }))));
        clean(&one(handoff(json!({ "sip": "sip:agent@example.com" }))));
        let d = only(&one(handoff(json!({}))), "handoff_target", "/nodes/0");
        assert_eq!(d.node.as_deref(), Some("h"));
        only(
            &one(handoff(json!({ "queue": "a", "phone": "10086" }))),
            "handoff_target",
            "/nodes/0/phone",
        );
        only(
            &one(handoff(json!({ "queue": " " }))),
            "handoff_target",
            "/nodes/0/queue",
        );
        let d = only(
            &one(handoff(json!({ "phone": "call me" }))),
            "invalid_phone",
            "/nodes/0/phone",
        );
        assert_eq!(d.severity, Severity::Warning);
        let d = only(
            &one(handoff(json!({ "sip": "agent@example.com" }))),
            "invalid_sip",
            "/nodes/0/sip",
        );
        assert_eq!(d.severity, Severity::Error);
    }
}
