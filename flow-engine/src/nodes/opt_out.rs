//! `opt_out`: the other party asked not to be called again (不要再打了). The engine only
//! records it ([`Record::OptedOut`]); the server puts the number on the tenant's do-not-call
//! list when it writes the turn, so that no later campaign dials it. An optional confirmation
//! is said, then the call goes on to `next` (usually a polite goodbye).

use super::{Compiled, Kind, Ports, Run};
use crate::compile::{NodeCompiler, NodeIx};
use crate::messages::term;
use crate::model::{default_true, is_true, node_common};
use crate::runtime::{Record, Step, Visit};
use crate::template::Template;
use crate::validate::{Checker, Diagnostic};

node_common! {
    /// Records that the other party asked not to be called again (the server adds their number
    /// to the tenant's do-not-call list), optionally says a confirmation, and continues.
    pub struct OptOutNode {
        /// Confirmation to speak, e.g. 好的，以后不会再给您打电话了; may contain `{{ expr }}`
        /// templates. Nothing is said when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub prompt: Option<String>,
        /// Voice for this node only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub voice: Option<String>,
        /// Whether the caller may interrupt the confirmation by speaking (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub barge_in: bool,
        /// Next node, e.g. a goodbye and an end.
        pub next: String,
    }
}

impl Kind for OptOutNode {
    const TYPE: &'static str = "opt_out";
    const WAITS: bool = false;

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        ports.add("/next", "next", &self.next);
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        if let Some(prompt) = &self.prompt {
            let at = format!("{base}/prompt");
            c.template(id, at.clone(), prompt);
            // A blank confirmation says nothing: leaving the field out says so plainly.
            if prompt.trim().is_empty() {
                c.warning("empty_text", id, at, term("empty_text.opt_out"));
            }
        }
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        Ok(Compiled::OptOut(OptOut {
            prompt: c.optional_template("/prompt", self.prompt.as_deref())?,
            voice: c.voice(self.voice.as_ref()),
            barge_in: self.barge_in,
            next: c.port("/next", &self.next)?,
        }))
    }
}

pub(crate) struct OptOut {
    prompt: Option<Template>,
    voice: Option<String>,
    barge_in: bool,
    next: NodeIx,
}

impl Run for OptOut {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        // Recorded before the confirmation: the refusal stands even if the caller hangs up
        // while it is said.
        visit.record(Record::OptedOut { node: visit.id() });
        if let Some(prompt) = &self.prompt {
            let spoken = visit.render("/prompt", prompt);
            if !spoken.trim().is_empty() {
                visit.say(spoken, self.voice.clone(), self.barge_in);
            }
        }
        Step::Goto(self.next)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::runtime::{Action, Event, Record};
    use crate::testing::{clean, compile, find, flow, heard, one, only, records, said, start};
    use crate::validate::Severity;

    fn opt_out_flow(prompt: Option<&str>) -> serde_json::Value {
        let mut opt_out =
            json!({ "type": "opt_out", "id": "stop", "label": "登记不再来电", "next": "bye" });
        if let Some(prompt) = prompt {
            opt_out["prompt"] = json!(prompt);
        }
        flow(json!([
            { "type": "ask", "id": "ask", "prompt": "需要优惠券吗？",
              "intents": [ { "name": "opt_out", "examples": ["不要再打了"], "keywords": ["不要再打"], "next": "stop" } ],
              "slot": { "var": "wants", "type": "yes_no" }, "next": "bye",
              "no_match": { "max": 0, "next": "bye" }, "no_input": { "max": 0, "next": "bye" } },
            opt_out,
            { "type": "say", "id": "bye", "text": "再见。", "next": "done" },
            { "type": "end", "id": "done", "outcome": "resolved" }
        ]))
    }

    #[test]
    fn records_the_refusal_says_the_confirmation_and_goes_on() {
        let flow = compile(opt_out_flow(Some(
            "好的，{{ tenant.name }}以后不会再给您打电话了。",
        )));
        let (mut session, _) = start(&flow);
        let actions = session.handle(heard("不要再打了"));
        assert_eq!(said(&actions), ["好的，以后不会再给您打电话了。", "再见。"]);
        let records = records(&actions);
        let opted = records
            .iter()
            .position(|r| matches!(r, Record::OptedOut { node } if node.as_ref() == "stop"))
            .expect("the refusal is recorded");
        // Recorded before the confirmation, so a hang-up during it cannot lose it.
        let confirmation = records
            .iter()
            .position(|r| matches!(r, Record::Said { node, .. } if node.as_ref() == "stop"))
            .expect("the confirmation is said");
        assert!(opted < confirmation);
        assert_eq!(session.outcome().map(|o| o.as_str()), Some("resolved"));
        let serialized = serde_json::to_value(records[opted]).expect("serializes");
        assert_eq!(serialized, json!({ "kind": "opted_out", "node": "stop" }));
    }

    #[test]
    fn without_a_confirmation_nothing_is_said_but_the_refusal_is_recorded() {
        let flow = compile(opt_out_flow(None));
        let (mut session, _) = start(&flow);
        let actions = session.handle(heard("不要再打了"));
        assert_eq!(said(&actions), ["再见。"]);
        assert!(actions
            .iter()
            .any(|a| matches!(a, Action::Record(Record::OptedOut { .. }))));
        // Another answer never records it.
        let (mut session, _) = start(&flow);
        let actions = session.handle(Event::Heard {
            text: "好的".into(),
            confidence: None,
        });
        assert!(!records(&actions)
            .iter()
            .any(|r| matches!(r, Record::OptedOut { .. })));
    }

    #[test]
    fn checks() {
        clean(&one(
            json!({ "type": "opt_out", "id": "stop", "prompt": "好的。", "next": "done" }),
        ));
        clean(&one(
            json!({ "type": "opt_out", "id": "stop", "next": "done" }),
        ));
        let d = only(
            &one(json!({ "type": "opt_out", "id": "stop", "prompt": "  ", "next": "done" })),
            "empty_text",
            "/nodes/0/prompt",
        );
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(d.node.as_deref(), Some("stop"));
        let d = find(
            &one(json!({ "type": "opt_out", "id": "stop", "next": "" })),
            "missing_port",
            "/nodes/0/next",
        )
        .clone();
        assert_eq!(d.severity, Severity::Error);
        let missing = one(json!({ "type": "opt_out", "id": "stop" }));
        let d = missing
            .diagnostics
            .iter()
            .find(|d| d.code == "missing_field")
            .expect("next is required");
        assert!(d.message.contains("next"), "{}", d.message);
        let d = only(
            &one(
                json!({ "type": "opt_out", "id": "stop", "prompt": "{{ vars. }}", "next": "done" }),
            ),
            "template_syntax",
            "/nodes/0/prompt",
        );
        assert_eq!(d.severity, Severity::Error);
    }
}
