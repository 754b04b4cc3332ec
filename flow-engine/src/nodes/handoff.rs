//! `handoff`: transfers the call to a human — a queue, a phone number or a SIP address — the
//! queue chosen by routing rules when the node has them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::branch::{always_holds, check_condition};
use super::{Compiled, Kind, Ports, Run};
use crate::compile::{NodeCompiler, NodeIx};
use crate::condition::Condition;
use crate::messages::{term, Message};
use crate::model::{node_common, Outcome};
use crate::msg;
use crate::runtime::{
    Action, ChosenRoute, Event, HandoffStatus, Record, Step, Transfer, TransferTarget, Visit, Wait,
};
use crate::template::Template;
use crate::validate::{shorten, Checker, Diagnostic, MAX_CASES};

node_common! {
    /// Transfers the call to a human: a queue, a phone number or a SIP address.
    pub struct HandoffNode {
        /// Agent queue name (template); with `routes`, the queue of callers no rule matches.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub queue: Option<String>,
        /// Routing rules, checked in order: the first whose condition holds picks the queue.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub routes: Vec<HandoffRoute>,
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

/// A routing rule of a handoff: callers for whom `when` holds go to `queue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffRoute {
    /// Condition, as a branch's, e.g. `call.emotion == "angry"` or `call.intent == "refund"`.
    pub when: String,
    /// Agent queue name (template).
    pub queue: String,
    /// Why callers go there, in the flow author's words, shown to agents (e.g. 情绪激动).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
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
                let message = term("handoff_target.none");
                c.error("handoff_target", id, base.to_owned(), message);
            }
            [_] => {}
            [(first, _), rest @ ..] => {
                for (name, _) in rest {
                    let message = msg!(
                        "handoff_target.several",
                        first = target_name(first),
                        second = target_name(name)
                    );
                    c.error("handoff_target", id, at(&format!("/{name}")), message);
                }
            }
        }
        for (name, raw) in &targets {
            let field = at(&format!("/{name}"));
            let value = raw.trim();
            if value.is_empty() {
                let message = msg!("handoff_target.empty", target = target_name(name));
                c.error("handoff_target", id, field, message);
                continue;
            }
            c.template(id, field.clone(), raw);
            let templated = value.contains("{{");
            match *name {
                "phone" if !templated && !looks_like_phone(value) => {
                    let message = msg!("invalid_phone", phone = shorten(value, 40));
                    c.warning("invalid_phone", id, field, message);
                }
                "sip" if !value.starts_with("{{") && !is_sip_address(value) => {
                    let message = msg!("invalid_sip", address = shorten(value, 60));
                    c.error("invalid_sip", id, field, message);
                }
                "queue" if !templated => check_queue(c, id, field, value),
                _ => {}
            }
        }
        self.check_routes(c, base);
        if let Some(message) = &self.message {
            c.template(id, at("/message"), message);
        }
        if let Some(summary) = &self.summary {
            c.template(id, at("/summary"), summary);
        }
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        let routes = self
            .routes
            .iter()
            .enumerate()
            .map(|(i, route)| {
                let when = Condition::compile(c.sandbox(), &route.when)
                    .map_err(|e| c.internal(&format!("/routes/{i}/when"), e.to_string()))?;
                Ok(Route {
                    condition: when,
                    queue: c.template(&format!("/routes/{i}/queue"), &route.queue)?,
                    chosen: ChosenRoute {
                        index: i,
                        when: route.when.clone(),
                        label: route.label.clone().filter(|label| !label.trim().is_empty()),
                    },
                })
            })
            .collect::<Result<_, Diagnostic>>()?;
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
            routes,
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

impl HandoffNode {
    /// Each rule's condition and queue; a rule after one that always holds is never reached,
    /// and rules without `queue` to fall back on have nowhere to send the callers none matches.
    fn check_routes(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        if self.routes.is_empty() {
            return;
        }
        if self.routes.len() > MAX_CASES {
            let message = msg!(
                "too_large.routes",
                count = self.routes.len(),
                max = MAX_CASES
            );
            c.error("too_large", id, format!("{base}/routes"), message);
        }
        if self.queue.is_none() && (self.phone.is_some() || self.sip.is_some()) {
            let message = term("handoff_target.routes");
            c.error("handoff_target", id, format!("{base}/routes"), message);
        }
        let mut always = None;
        for (i, route) in self.routes.iter().enumerate() {
            let when = format!("{base}/routes/{i}/when");
            let condition = check_condition(c, id, when.clone(), &route.when);
            if let Some(first) = always.map(|index: usize| index + 1) {
                let message = msg!("unreachable_route", rule = i + 1, first = first);
                c.warning("unreachable_route", id, when, message);
            } else if condition.as_ref().is_some_and(always_holds) {
                always = Some(i);
            }
            let field = format!("{base}/routes/{i}/queue");
            let queue = route.queue.trim();
            if queue.is_empty() {
                let message = msg!("handoff_target.route_queue", rule = i + 1);
                c.error("handoff_target", id, field, message);
                continue;
            }
            c.template(id, field.clone(), &route.queue);
            if !queue.contains("{{") {
                check_queue(c, id, field, queue);
            }
        }
    }
}

/// "queue", "phone" or "sip", as messages name them.
fn target_name(name: &str) -> Message {
    match name {
        "phone" => term("target.phone"),
        "sip" => term("target.sip"),
        _ => term("target.queue"),
    }
}

/// A queue named outright (not by a template) must be one of the tenant's, when the tenant's
/// list is known.
fn check_queue(c: &mut Checker<'_>, id: Option<&str>, field: String, value: &str) {
    if let Some(known) = c.known_queues.filter(|known| !known.contains(value)) {
        // A workspace without queues has no people answering in the console yet: its transfers
        // are recorded as before, and the flow can still be published. Once it has queues, a
        // name outside them is a mistake.
        if known.is_empty() {
            let message = msg!("unknown_queue.none_yet", queue = shorten(value, 60));
            c.warning("unknown_queue", id, field, message);
        } else {
            let message = msg!("unknown_queue", queue = shorten(value, 60));
            c.error("unknown_queue", id, field, message);
        }
    }
}

pub(crate) struct Handoff {
    kind: TransferKind,
    /// Checked before `target`, in order.
    routes: Vec<Route>,
    target: Template,
    message: Option<Template>,
    summary: Option<Template>,
    next: Option<NodeIx>,
    no_answer: NodeIx,
    busy: NodeIx,
    error: NodeIx,
}

struct Route {
    condition: Condition,
    queue: Template,
    /// What the transfer's record says of the rule when it chose the queue.
    chosen: ChosenRoute,
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
        let (target, route) = match self.route(visit) {
            Some(route) => (
                TransferTarget::Queue(visit.render(
                    &format!("/routes/{}/queue", route.chosen.index),
                    &route.queue,
                )),
                Some(route.chosen.clone()),
            ),
            None => {
                let target = visit.render("", &self.target);
                let target = match self.kind {
                    TransferKind::Queue => TransferTarget::Queue(target),
                    TransferKind::Phone => TransferTarget::Phone(target),
                    TransferKind::Sip => TransferTarget::Sip(target),
                };
                (target, None)
            }
        };
        let summary = match &self.summary {
            Some(summary) => visit.render("/summary", summary),
            None => String::new(),
        };
        visit.record(Record::Transfer {
            node: visit.id(),
            target: target.clone(),
            summary: summary.clone(),
            route,
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

impl Handoff {
    /// The first rule whose condition holds. A condition that fails to run is recorded and
    /// counts as not holding, as a branch's does, so the call still reaches a person.
    fn route(&self, visit: &mut Visit<'_>) -> Option<&Route> {
        self.routes
            .iter()
            .find(|route| match visit.holds(&route.condition) {
                Ok(holds) => holds,
                Err(error) => {
                    visit.script_error(&format!("/routes/{}/when", route.chosen.index), &error);
                    false
                }
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

    use crate::runtime::{
        Action, CallInfo, ChosenRoute, Event, HandoffStatus, Record, Session, TransferTarget,
    };
    use crate::testing::{
        clean, compile, handoff_flow, heard, one, only, records, said, start, with,
    };
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
        clean(&one(handoff(
            json!({ "phone": "{{ customer.agent_phone }}" }),
        )));
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
        clean(&validate_value(&flow("{{ customer.queue }}"), &context));
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

    /// A flow whose handoff routes by emotion, intent, a variable and language, in that order;
    /// `after-sales` for everyone else. `refund` asks for the order number first, so that the
    /// intent must outlive the answer that follows it.
    fn routed_flow(language: &str) -> Value {
        json!({
            "schema": 1, "name": "routed", "language": language, "start": "ask",
            "variables": { "vip": 0, "order_id": "" },
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "请问？",
                  "intents": [
                      { "name": "refund", "examples": ["我要退款", "退钱"], "next": "order" },
                      { "name": "track", "examples": ["查物流"], "next": "agent" } ],
                  "no_match": { "max": 0, "next": "agent" }, "no_input": { "max": 0, "next": "bye" } },
                { "id": "order", "type": "ask", "prompt": "订单号？",
                  "slot": { "var": "order_id", "type": "digits" }, "next": "agent",
                  "no_match": { "max": 0, "next": "agent" }, "no_input": { "max": 0, "next": "agent" } },
                { "id": "agent", "type": "handoff", "queue": "after-sales", "error": "bye",
                  "routes": [
                      { "when": "call.emotion == \"angry\"", "queue": "complaints", "label": "情绪激动" },
                      { "when": "call.intent == \"refund\"", "queue": "refunds" },
                      { "when": "vars.vip >= 3", "queue": "vip" },
                      { "when": "call.language.starts_with(\"en\")", "queue": "english" } ] },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        })
    }

    /// Where the turn's transfer went and the rule that chose it.
    fn routed(actions: &[Action]) -> (String, Option<ChosenRoute>) {
        actions
            .iter()
            .find_map(|a| match a {
                Action::Record(Record::Transfer {
                    target: TransferTarget::Queue(queue),
                    route,
                    ..
                }) => Some((queue.clone(), route.clone())),
                _ => None,
            })
            .expect("a transfer to a queue")
    }

    fn call_with(vars: Value) -> CallInfo {
        CallInfo {
            vars: vars.as_object().cloned().unwrap_or_default(),
            ..CallInfo::default()
        }
    }

    #[test]
    fn the_first_rule_that_holds_picks_the_queue() {
        let flow = compile(routed_flow("zh-CN"));
        // Angry and a VIP: the emotion rule comes first.
        let mut session = Session::new(flow.clone(), call_with(json!({ "vip": 5 })));
        session.handle(Event::Started);
        let (queue, route) = routed(&session.handle(heard("太失望了，我要投诉！")));
        assert_eq!(queue, "complaints");
        let route = route.expect("a rule chose it");
        assert_eq!(route.index, 0);
        assert_eq!(route.label.as_deref(), Some("情绪激动"));
        assert_eq!(route.when, "call.emotion == \"angry\"");

        // Calm VIP without an intent: the variable's rule.
        let mut session = Session::new(flow.clone(), call_with(json!({ "vip": 3 })));
        session.handle(Event::Started);
        let (queue, route) = routed(&session.handle(heard("今天天气不错")));
        assert_eq!(queue, "vip");
        assert_eq!(route.map(|r| r.index), Some(2));

        // Nobody's rule: the node's own queue, and no rule on the record.
        let (mut session, _) = start(&flow);
        let actions = session.handle(heard("今天天气不错"));
        assert_eq!(routed(&actions), ("after-sales".to_owned(), None));
        let transfer = actions.iter().find_map(|a| match a {
            Action::Transfer(t) => Some(t.target.clone()),
            _ => None,
        });
        assert_eq!(transfer, Some(TransferTarget::Queue("after-sales".into())));
        let record = records(&actions)
            .into_iter()
            .find(|r| matches!(r, Record::Transfer { .. }))
            .expect("transfer");
        let data = serde_json::to_value(record).expect("serialises");
        assert!(data.get("route").is_none(), "{data}");
    }

    #[test]
    fn the_intent_outlives_the_answer_after_it_and_a_snapshot() {
        let flow = compile(routed_flow("zh-CN"));
        let (mut session, _) = start(&flow);
        session.handle(heard("我要退款"));
        assert_eq!(session.current_node(), Some("order"));
        let text = serde_json::to_string(&session.snapshot()).expect("snapshot");
        assert!(text.contains("\"intent\":\"refund\""), "{text}");
        let snapshot = serde_json::from_str(&text).expect("parses");
        let mut resumed = Session::resume(flow.clone(), snapshot).expect("resumes");
        let (queue, route) = routed(&resumed.handle(heard("一二三四")));
        assert_eq!(queue, "refunds");
        assert_eq!(route.map(|r| r.index), Some(1));

        // A snapshot from before the intent was kept resumes without one.
        let mut old = serde_json::to_value(session.snapshot()).expect("snapshot");
        old.as_object_mut().map(|o| o.remove("intent"));
        let mut resumed =
            Session::resume(flow, serde_json::from_value(old).expect("parses")).expect("resumes");
        assert_eq!(routed(&resumed.handle(heard("一二三四"))).0, "after-sales");
    }

    #[test]
    fn conditions_read_the_conversation_language() {
        let flow = compile(routed_flow("en-US"));
        let (mut session, _) = start(&flow);
        let (queue, route) = routed(&session.handle(heard("what a lovely day")));
        assert_eq!(queue, "english");
        assert_eq!(route.map(|r| r.index), Some(3));
    }

    #[test]
    fn branches_read_the_same_conversation_facts() {
        let flow = compile(json!({
            "schema": 1, "name": "facts", "language": "zh-CN", "start": "ask",
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "请问？",
                  "intents": [ { "name": "refund", "examples": ["我要退款"], "next": "check" } ],
                  "no_match": { "max": 0, "next": "check" }, "no_input": { "max": 0, "next": "check" } },
                { "id": "check", "type": "say",
                  "text": "{{call.language}} {{call.intent}} {{call.emotion}} {{call.anger}}", "next": "route" },
                { "id": "route", "type": "branch",
                  "cases": [ { "when": "call.intent == \"refund\" && call.anger < 0.5", "next": "calm" } ],
                  "else": "other" },
                { "id": "calm", "type": "end", "outcome": "resolved" },
                { "id": "other", "type": "end", "outcome": "failed" }
            ]
        }));
        let (mut session, _) = start(&flow);
        let actions = session.handle(heard("我要退款"));
        // The emotion as the scorer gives it, the anger to two decimals as records show it.
        let e = crate::emotion::score("我要退款");
        let facts = format!(
            "zh-CN refund {} {}",
            e.label.as_str(),
            crate::emotion::rounded(e.anger)
        );
        assert!(e.anger < crate::emotion::ANGRY, "{e:?}");
        assert_eq!(said(&actions), vec![facts]);
        assert_eq!(session.outcome(), Some(Outcome::Resolved));
        // Before the caller said anything the intent and the emotion are unknown.
        let (mut session, _) = start(&flow);
        let actions = session.handle(Event::NoInput);
        assert_eq!(said(&actions), vec!["zh-CN   0"]);
        assert_eq!(session.outcome(), Some(Outcome::Failed));
    }

    #[test]
    fn a_rule_that_fails_to_run_is_recorded_and_passed_over() {
        let mut value = routed_flow("zh-CN");
        value["nodes"][2]["routes"][0]["when"] = json!("vars.missing.deeper == 1");
        let (mut session, _) = start(&compile(value));
        let actions = session.handle(heard("今天天气不错"));
        assert!(records(&actions).iter().any(|r| matches!(
            r,
            Record::ScriptError { field, .. } if field == "/routes/0/when"
        )));
        assert_eq!(routed(&actions).0, "after-sales");
    }

    #[test]
    fn routing_rules_are_checked() {
        let sandbox = crate::testing::sandbox();
        let known = BTreeSet::from(["after-sales".to_owned(), "complaints".to_owned()]);
        let context = ValidationContext::new(&sandbox).with_queues(&known);
        let flow = |routes: Value| {
            json!({ "schema": 1, "name": "q", "language": "zh-CN", "start": "h", "nodes": [
                { "type": "handoff", "id": "h", "queue": "after-sales", "routes": routes, "error": "done" },
                { "type": "end", "id": "done", "outcome": "failed" } ] })
        };
        clean(&validate_value(
            &flow(
                json!([{ "when": "call.emotion == \"angry\"", "queue": "complaints" },
                          { "when": "vars.vip >= 3", "queue": "{{ customer.vip_queue }}" }]),
            ),
            &context,
        ));
        let d = only(
            &validate_value(
                &flow(
                    json!([{ "when": "call.emotion == \"angry\"", "queue": "complaints" },
                              { "when": "vars.vip >= 3", "queue": "nowhere" }]),
                ),
                &context,
            ),
            "unknown_queue",
            "/nodes/0/routes/1/queue",
        );
        assert_eq!(d.node.as_deref(), Some("h"));
        assert_eq!(d.severity, Severity::Error);
        assert!(d.message.contains("nowhere"), "{}", d.message);
        let validated = validate_value(
            &flow(json!([{ "when": "true", "queue": "complaints" },
                          { "when": "vars.vip >= 3", "queue": "after-sales" }])),
            &context,
        );
        let d = only(&validated, "unreachable_route", "/nodes/0/routes/1/when");
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.message.contains("Rule 2"), "{}", d.message);
        only(
            &validate_value(
                &flow(json!([{ "when": " ", "queue": "complaints" }])),
                &context,
            ),
            "empty_condition",
            "/nodes/0/routes/0/when",
        );
        let d = only(
            &validate_value(
                &flow(json!([{ "when": "call.intent = = 1", "queue": "complaints" }])),
                &context,
            ),
            "expression_syntax",
            "/nodes/0/routes/0/when",
        );
        assert_eq!(d.node.as_deref(), Some("h"));
        only(
            &validate_value(&flow(json!([{ "when": "true", "queue": "" }])), &context),
            "handoff_target",
            "/nodes/0/routes/0/queue",
        );
        let phone = json!({ "schema": 1, "name": "q", "language": "zh-CN", "start": "h", "nodes": [
            { "type": "handoff", "id": "h", "phone": "+8613800138000", "error": "done",
              "routes": [{ "when": "true", "queue": "complaints" }] },
            { "type": "end", "id": "done", "outcome": "failed" } ] });
        only(
            &validate_value(&phone, &context),
            "handoff_target",
            "/nodes/0/routes",
        );
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
            Action::Record(Record::HandedBack { node, to }) if &**node == "agent" && to == "ask"
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
