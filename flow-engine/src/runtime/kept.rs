//! What a call keeps: its records and variables with personal data redacted, by the tenant's
//! policy ([`CallInfo::redaction`](super::CallInfo)) and the variables its flow marks
//! `sensitive` or as `addresses`. The call itself runs on the real values (the bot repeats a
//! number back, an HTTP node sends it); records leave the session redacted, and the session
//! forgets the values when the call ends, so its last snapshot holds none of them either.

use serde_json::{Map, Value};

use super::{Action, Record, Session};
use crate::model::FlowSettings;
use crate::redact::{Kind, Redactor, MASK};
use crate::value;

/// How a marked variable is kept.
#[derive(Clone, Copy)]
enum Mark {
    Sensitive,
    Address,
}

impl Session {
    /// The redactor for what the call keeps now: the tenant's policy, and the current values of
    /// the variables its flows mark.
    pub fn redactor(&self) -> Redactor {
        let mut redactor = Redactor::new(self.call.redaction.clone(), &self.root.document.language);
        let scopes =
            std::iter::once(&self.bindings.vars).chain(self.frames.iter().map(|f| &f.vars));
        for vars in scopes {
            for (name, dynamic) in vars {
                let Some(mark) = self.mark(name) else {
                    continue;
                };
                let Some(json) = value::to_json(dynamic) else {
                    continue;
                };
                for text in strings_in(&json) {
                    match mark {
                        Mark::Sensitive => redactor.sensitive(&text),
                        Mark::Address => redactor.address(&text),
                    }
                }
            }
        }
        redactor
    }

    /// The current variables as the call's record keeps them: sensitive ones `***`, marked
    /// addresses `[地址]`, personal data in the others redacted.
    pub fn kept_vars(&self) -> Map<String, Value> {
        let redactor = self.redactor();
        let mut vars = self.vars_json();
        for (name, value) in vars.iter_mut() {
            self.keep(name, value, &redactor);
        }
        vars
    }

    /// How the flows mark the variable `name`, if they do.
    fn mark(&self, name: &str) -> Option<Mark> {
        let marked = |settings: &FlowSettings| {
            if settings.sensitive.iter().any(|v| v == name) {
                Some(Mark::Sensitive)
            } else if settings.addresses.iter().any(|v| v == name) {
                Some(Mark::Address)
            } else {
                None
            }
        };
        marked(&self.root.document.settings).or_else(|| marked(&self.flow.document.settings))
    }

    /// `value`, of the variable `name`, as it may be kept.
    fn keep(&self, name: &str, value: &mut Value, redactor: &Redactor) {
        match self.mark(name) {
            Some(Mark::Sensitive) => *value = Value::from(MASK),
            Some(Mark::Address) if redactor.policy().contains(Kind::Address) => {
                *value = Value::from(Kind::Address.placeholder(&self.root.document.language));
            }
            _ => redactor.json(value),
        }
    }

    /// Redacts the records among `actions`, and the summary a transfer gives the agent (the
    /// queue's and the call record's copy of it are kept).
    pub(super) fn keep_records(&self, actions: &mut [Action]) {
        if !actions
            .iter()
            .any(|a| matches!(a, Action::Record(_) | Action::Transfer(_)))
        {
            return;
        }
        let redactor = self.redactor();
        let text = |text: &mut String| {
            if let std::borrow::Cow::Owned(kept) = redactor.text(text) {
                *text = kept;
            }
        };
        for action in actions {
            let record = match action {
                Action::Record(record) => record,
                Action::Transfer(transfer) => {
                    text(&mut transfer.summary);
                    continue;
                }
                _ => continue,
            };
            match record {
                Record::Said { text: said, .. }
                | Record::Heard { text: said, .. }
                | Record::NoMatch { text: said, .. }
                | Record::KbMissed { text: said, .. }
                | Record::Digits { digits: said, .. }
                | Record::HttpRequested { url: said, .. }
                | Record::Transfer { summary: said, .. } => text(said),
                Record::ScriptError { error, message, .. } => {
                    text(error);
                    text(message);
                }
                Record::HttpResult {
                    error: Some(error), ..
                } => text(error),
                Record::SlotFilled { var, value, .. } | Record::Result { var, value, .. } => {
                    self.keep(var, value, &redactor)
                }
                _ => {}
            }
        }
    }

    /// Forgets the personal data the session holds once the call has ended: what it keeps
    /// afterwards (its snapshot) is what its records keep.
    pub(super) fn forget_personal_data(&mut self) {
        let redactor = self.redactor();
        let kept = self.kept_vars();
        self.bindings.vars = kept
            .iter()
            .map(|(k, v)| (k.as_str().into(), value::to_dynamic(v)))
            .collect();
        for frame in &mut self.frames {
            frame.vars.clear();
        }
        self.bindings.input.clear();
        // What the caller said, kept to notice repetitions, is of no use after the call.
        self.emotion.recent.clear();
        for map in [&mut self.call.vars, &mut self.call.customer] {
            for value in map.values_mut() {
                redactor.json(value);
            }
        }
    }
}

/// The strings in a JSON value (numbers as their digits): a marked variable may hold a
/// number, or a map of parts.
fn strings_in(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items.iter().flat_map(strings_in).collect(),
        Value::Object(map) => map.values().flat_map(strings_in).collect(),
        Value::Null | Value::Bool(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::redact::Policy;
    use crate::runtime::{Action, CallInfo, Event, Record, Session};
    use crate::testing::{compile, heard, said};

    /// A flow that takes an ID number (marked sensitive), a phone number and an address, says
    /// them back, and ends.
    fn flow() -> std::sync::Arc<crate::CompiledFlow> {
        compile(json!({
            "schema": 1, "name": "kept", "language": "zh-CN", "start": "id",
            "settings": { "sensitive": ["id_card"], "addresses": ["ship_to"] },
            "nodes": [
                { "id": "id", "type": "ask", "prompt": "身份证号？", "save_as": "id_card",
                  "next": "phone", "no_match": { "next": "phone" }, "no_input": { "next": "phone" } },
                { "id": "phone", "type": "ask", "prompt": "电话？", "save_as": "phone",
                  "next": "where", "no_match": { "next": "where" }, "no_input": { "next": "where" } },
                { "id": "where", "type": "ask", "prompt": "地址？", "save_as": "ship_to",
                  "next": "echo", "no_match": { "next": "echo" }, "no_input": { "next": "echo" } },
                { "id": "echo", "type": "say",
                  "text": "证件{{vars.id_card}}，电话{{vars.phone}}，寄到{{vars.ship_to}}", "next": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }))
    }

    fn run(policy: Policy) -> (Session, Vec<Action>) {
        let call = CallInfo {
            redaction: policy,
            ..CallInfo::default()
        };
        let mut session = Session::new(flow(), call);
        let mut actions = session.handle(Event::Started);
        for answer in ["A12345678", "13812345678", "上海市浦东新区世纪大道100号"] {
            actions.extend(session.handle(heard(answer)));
        }
        (session, actions)
    }

    fn kept_texts(actions: &[Action]) -> String {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Record(record) => Some(serde_json::to_string(record).unwrap_or_default()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_call_hears_the_values_and_its_records_keep_none() {
        let (session, actions) = run(Policy::default());
        assert_eq!(
            said(&actions).last().copied(),
            Some("证件A12345678，电话13812345678，寄到上海市浦东新区世纪大道100号")
        );
        let records = kept_texts(&actions);
        for value in ["A12345678", "13812345678", "世纪大道"] {
            assert!(!records.contains(value), "{value} in {records}");
        }
        assert!(
            records.contains("证件***，电话[手机号]，寄到[地址]"),
            "{records}"
        );
        assert!(actions.iter().any(|a| matches!(a,
            Action::Record(Record::Heard { node, text, .. }) if &**node == "id" && text == "***")));
        // The ended session forgot them: its snapshot keeps what the records keep.
        let snapshot = serde_json::to_string(&session.snapshot()).unwrap_or_default();
        for value in ["A12345678", "13812345678", "世纪大道"] {
            assert!(!snapshot.contains(value), "{value} in {snapshot}");
        }
        assert_eq!(session.kept_vars()["id_card"], "***");
        assert_eq!(session.kept_vars()["phone"], "[手机号]");
    }

    #[test]
    fn without_a_policy_only_sensitive_variables_are_masked() {
        let (session, actions) = run(Policy::off());
        let records = kept_texts(&actions);
        assert!(!records.contains("A12345678"), "{records}");
        assert!(records.contains("13812345678"), "{records}");
        assert!(records.contains("上海市浦东新区世纪大道100号"), "{records}");
        assert_eq!(session.kept_vars()["id_card"], "***");
        assert_eq!(
            session.kept_vars()["ship_to"],
            "上海市浦东新区世纪大道100号"
        );
    }

    #[test]
    fn a_live_call_keeps_its_values_until_it_ends() {
        let call = CallInfo::default();
        let mut session = Session::new(flow(), call);
        session.handle(Event::Started);
        session.handle(heard("A12345678"));
        assert_eq!(session.vars_json()["id_card"], "A12345678");
        assert_eq!(session.kept_vars()["id_card"], "***");
    }
}
