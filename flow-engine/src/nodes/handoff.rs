//! `handoff`: transfers the call to a human — a queue, a phone number or a SIP address.

use super::{Compiled, Kind, Ports, Run};
use crate::compile::{NodeCompiler, NodeIx};
use crate::model::{node_common, Outcome};
use crate::runtime::{
    Action, Event, HandoffStatus, Record, Step, Transfer, TransferTarget, Visit, Wait,
};
use crate::template::Template;
use crate::validate::{shorten, Checker, Diagnostic};

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
                "queue" if !templated => {
                    if let Some(known) = c.known_queues.filter(|known| !known.contains(value)) {
                        // A workspace without queues has no people answering in the console
                        // yet: its transfers are recorded as before, and the flow can still be
                        // published. Once it has queues, a name outside them is a mistake.
                        if known.is_empty() {
                            let message = format!(
                                "There is no agent queue \"{}\": this workspace has no queues \
                                 yet, so nobody will receive the conversation. Create the queue \
                                 under Queues.",
                                shorten(value, 60)
                            );
                            c.warning("unknown_queue", id, field, message);
                        } else {
                            let message = format!(
                                "There is no agent queue \"{}\". Choose one of the workspace's \
                                 queues.",
                                shorten(value, 60)
                            );
                            c.error("unknown_queue", id, field, message);
                        }
                    }
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

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        let (kind, target, field) = if let Some(queue) = &self.queue {
            (TransferKind::Queue, queue, "/queue")
        } else if let Some(phone) = &self.phone {
            (TransferKind::Phone, phone, "/phone")
        } else if let Some(sip) = &self.sip {
            (TransferKind::Sip, sip, "/sip")
        } else {
            return Err(c.internal("", "no handoff target".into()));
        };
        let error = c.port("/error", &self.error)?;
        Ok(Compiled::Handoff(Box::new(Handoff {
            kind,
            target: c.template(field, target)?,
            message: c.optional_template("/message", self.message.as_deref())?,
            summary: c.optional_template("/summary", self.summary.as_deref())?,
            next: c.optional_port("/next", self.next.as_deref())?,
            no_answer: c
                .optional_port("/no_answer", self.no_answer.as_deref())?
                .unwrap_or(error),
            busy: c
                .optional_port("/busy", self.busy.as_deref())?
                .unwrap_or(error),
            error,
        })))
    }
}

pub(crate) struct Handoff {
    kind: TransferKind,
    target: Template,
    message: Option<Template>,
    summary: Option<Template>,
    next: Option<NodeIx>,
    no_answer: NodeIx,
    busy: NodeIx,
    error: NodeIx,
}

enum TransferKind {
    Queue,
    Phone,
    Sip,
}

impl Run for Handoff {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        if let Some(message) = &self.message {
            let text = visit.render("/message", message);
            let voice = visit.flow().document.settings.voice.clone();
            visit.say(text, voice, false);
        }
        let target = visit.render("", &self.target);
        let target = match self.kind {
            TransferKind::Queue => TransferTarget::Queue(target),
            TransferKind::Phone => TransferTarget::Phone(target),
            TransferKind::Sip => TransferTarget::Sip(target),
        };
        let summary = match &self.summary {
            Some(summary) => visit.render("/summary", summary),
            None => String::new(),
        };
        visit.record(Record::Transfer {
            node: visit.id(),
            target: target.clone(),
            summary: summary.clone(),
        });
        let vars = visit.vars_json();
        visit.act(Action::Transfer(Transfer {
            target,
            summary,
            vars,
        }));
        Step::Wait(Wait::Handoff { node: visit.node() })
    }

    fn resume(&self, visit: &mut Visit<'_>, _: Wait, event: Event) -> Result<Step, Event> {
        let status = match event {
            Event::HandoffResult { status } => status,
            Event::HandedBack { node } => {
                // A node the flow no longer has (the agent's list was older) is ignored: the call
                // stays with the agent rather than going somewhere nobody chose.
                let Some(to) = visit.flow().node_ix(&node) else {
                    return Err(Event::HandedBack { node });
                };
                visit.record(Record::HandedBack {
                    node: visit.id(),
                    to: node,
                });
                return Ok(Step::Goto(to));
            }
            event => return Err(event),
        };
        visit.record(Record::HandoffResult {
            node: visit.id(),
            status,
        });
        Ok(match status {
            HandoffStatus::Connected => match self.next {
                Some(next) => Step::Goto(next),
                // The agent has the call now: it ends here without hanging up.
                None => visit.finish(Outcome::Handoff, false),
            },
            HandoffStatus::NoAnswer => Step::Goto(self.no_answer),
            HandoffStatus::Busy => Step::Goto(self.busy),
            HandoffStatus::Failed => Step::Goto(self.error),
        })
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
    use serde_json::Value;

    use crate::model::Outcome;
    use std::collections::BTreeSet;

    use crate::runtime::{Action, Event, HandoffStatus, Record, TransferTarget};
    use crate::testing::{clean, handoff_flow, heard, one, only, said, start, with};
    use crate::validate::{validate_value, Severity, ValidationContext};

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

    #[test]
    fn a_queue_must_be_one_of_the_tenants() {
        let sandbox = crate::testing::sandbox();
        let flow = |queue: &str| {
            json!({ "schema": 1, "name": "q", "language": "zh-CN", "start": "h", "nodes": [
                { "type": "handoff", "id": "h", "queue": queue, "error": "done" },
                { "type": "end", "id": "done", "outcome": "failed" } ] })
        };
        let known = BTreeSet::from(["after-sales".to_owned()]);
        let context = ValidationContext::new(&sandbox).with_queues(&known);
        clean(&validate_value(&flow("after-sales"), &context));
        // A template picks its queue during the call: only the call can tell.
        clean(&validate_value(&flow("{{ vars.queue }}"), &context));
        let d = only(
            &validate_value(&flow("complaints"), &context),
            "unknown_queue",
            "/nodes/0/queue",
        );
        assert_eq!(d.node.as_deref(), Some("h"));
        assert_eq!(d.severity, Severity::Error);
        assert!(d.message.contains("complaints"), "{}", d.message);
        let none = BTreeSet::new();
        let d = only(
            &validate_value(
                &flow("after-sales"),
                &ValidationContext::new(&sandbox).with_queues(&none),
            ),
            "unknown_queue",
            "/nodes/0/queue",
        );
        assert!(d.message.contains("no queues"), "{}", d.message);
        assert_eq!(d.severity, Severity::Warning);
        // Without the tenant's list (the CLI), the name is not checked.
        clean(&validate_value(
            &flow("complaints"),
            &ValidationContext::new(&sandbox),
        ));
    }

    #[test]
    fn an_agent_hands_the_call_back_to_a_chosen_node() {
        let (mut session, _) = start(&handoff_flow());
        session.handle(heard("我要转人工"));
        // A node the flow does not have keeps the call where it is.
        let actions = session.handle(Event::HandedBack {
            node: "gone".into(),
        });
        assert!(said(&actions).is_empty());
        assert_eq!(session.current_node(), Some("agent"));
        let actions = session.handle(Event::HandedBack { node: "ask".into() });
        assert_eq!(said(&actions), vec!["请问？"]);
        assert_eq!(session.current_node(), Some("ask"));
        assert!(actions.iter().any(|a| matches!(
            a,
            Action::Record(Record::HandedBack { node, to }) if node == "agent" && to == "ask"
        )));
        let actions = session.handle(heard("查物流"));
        assert_eq!(session.outcome(), Some(Outcome::Resolved), "{actions:?}");
    }

    #[test]
    fn handoff_results_take_their_ports() {
        for (status, lines, outcome) in [
            (HandoffStatus::Connected, vec![], Outcome::Handoff),
            (HandoffStatus::Busy, vec!["坐席忙"], Outcome::Failed),
            (HandoffStatus::NoAnswer, vec!["转接失败"], Outcome::Failed),
            (HandoffStatus::Failed, vec!["转接失败"], Outcome::Failed),
        ] {
            let (mut session, _) = start(&handoff_flow());
            let actions = session.handle(heard("我要转人工"));
            assert_eq!(said(&actions), vec!["正在转接"]);
            let transfer = actions
                .iter()
                .find_map(|a| match a {
                    Action::Transfer(t) => Some(t.clone()),
                    _ => None,
                })
                .expect("a transfer");
            assert_eq!(transfer.target, TransferTarget::Queue("after-sales".into()));
            assert_eq!(transfer.summary, "订单123");
            assert_eq!(transfer.vars.get("order_id"), Some(&json!("123")));
            let actions = session.handle(Event::HandoffResult { status });
            assert_eq!(said(&actions), lines, "{status:?}");
            assert_eq!(session.outcome(), Some(outcome), "{status:?}");
            let hung_up = actions.iter().any(|a| matches!(a, Action::HangUp { .. }));
            assert_eq!(
                hung_up,
                status != HandoffStatus::Connected,
                "an agent's call is not hung up"
            );
        }
    }
}
