//! `subflow`: runs another flow of the tenant, by name, and comes back.

use std::collections::BTreeMap;

use std::sync::Arc;

use rhai::Dynamic;

use super::{Compiled, Kind, Ports, Run};
use crate::compile::{CompiledFlow, NodeCompiler, NodeIx};
use crate::messages::{term, Locale};
use crate::model::{escape_pointer, node_common, Outcome};
use crate::msg;
use crate::runtime::{Record, Step, Visit};
use crate::template::Template;
use crate::validate::{shorten, Checker, Diagnostic};

node_common! {
    /// Runs another flow and comes back.
    pub struct SubflowNode {
        /// Name of the flow to run.
        pub flow: String,
        /// Child variables set from templates evaluated here.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub inputs: BTreeMap<String, String>,
        /// Variables copied back: this flow's variable → the child's variable.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub outputs: BTreeMap<String, String>,
        /// Taken when the child flow ends.
        pub next: String,
        /// Taken when the child flow ends with outcome `failed` (defaults to `next`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error: Option<String>,
    }
}

impl Kind for SubflowNode {
    const TYPE: &'static str = "subflow";
    const WAITS: bool = true;

    fn sets_variable(&self, var: &str) -> bool {
        self.outputs.contains_key(var)
    }

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        ports.add("/next", "next", &self.next);
        if let Some(target) = &self.error {
            ports.add("/error", "error", target);
        }
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        if self.flow.trim().is_empty() {
            c.error("empty_value", id, at("/flow"), term("empty_value.subflow"));
        } else {
            c.name_text(id, at("/flow"), &self.flow, "term.flow_name");
            if let Some(known) = c.known_subflows {
                if !known.contains(&self.flow) {
                    let message = msg!("unknown_subflow", name = shorten(&self.flow, 80));
                    c.error("unknown_subflow", id, at("/flow"), message);
                }
            }
        }
        for (var, value) in &self.inputs {
            let field = at(&format!("/inputs/{}", escape_pointer(var)));
            c.variable(id, field.clone(), var);
            c.template(id, field, value);
        }
        for (var, child) in &self.outputs {
            let field = at(&format!("/outputs/{}", escape_pointer(var)));
            c.variable(id, field.clone(), var);
            c.variable(id, field, child);
        }
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        let next = c.port("/next", &self.next)?;
        let flow = c
            .subflow(&self.flow)
            .cloned()
            .ok_or_else(|| c.internal("/flow", format!("unknown flow \"{}\"", self.flow)))?;
        Ok(Compiled::Subflow(Box::new(SubflowCall {
            flow,
            inputs: self
                .inputs
                .iter()
                .map(|(var, text)| Ok((var.clone(), c.template("/inputs", text)?)))
                .collect::<Result<_, Diagnostic>>()?,
            outputs: self
                .outputs
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect(),
            next,
            error: c
                .optional_port("/error", self.error.as_deref())?
                .unwrap_or(next),
        })))
    }
}

pub(crate) struct SubflowCall {
    pub flow: Arc<CompiledFlow>,
    inputs: Vec<(String, Template)>,
    /// This flow's variable, and the child's variable it gets.
    outputs: Vec<(String, String)>,
    next: NodeIx,
    error: NodeIx,
}

impl Run for SubflowCall {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        let limit = visit.limits().max_subflow_depth;
        if visit.depth() >= limit {
            let text = msg!("script.subflow_depth", limit = limit);
            visit.record(Record::ScriptError {
                node: visit.id(),
                field: "/flow".to_owned(),
                error: "SubflowDepth".to_owned(),
                message: text.render(Locale::English),
                text: Some((&text).into()),
            });
            return Step::Goto(self.error);
        }
        let mut child_vars = self.flow.initial_vars.clone();
        for (var, template) in &self.inputs {
            let value = visit.evaluate("/inputs", template).unwrap_or(Dynamic::UNIT);
            child_vars.insert(var.as_str().into(), value);
        }
        visit.call_subflow(&self.flow, child_vars);
        Step::Goto(self.flow.start)
    }
}

/// When a subflow ends with `outcome`: back in its caller, the caller's port to take; `None`
/// when the flow that ended is the call's own.
pub(crate) fn return_to_caller(visit: &mut Visit<'_>, outcome: Outcome) -> Option<Step> {
    let (caller, child_vars) = visit.return_from_subflow()?;
    let flow = visit.flow().clone();
    let Compiled::Subflow(call) = &flow.nodes[caller].kind else {
        return Some(Step::Goto(flow.start));
    };
    for (parent_var, child_var) in &call.outputs {
        let value = child_vars
            .get(child_var.as_str())
            .cloned()
            .unwrap_or(Dynamic::UNIT);
        visit.vars().insert(parent_var.as_str().into(), value);
    }
    Some(Step::Goto(if outcome == Outcome::Failed {
        call.error
    } else {
        call.next
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use serde_json::json;

    use crate::compile::{CompileOptions, CompiledFlow};
    use crate::model::Outcome;
    use crate::runtime::{Action, Record, ResumeError, Session};
    use crate::testing::{
        clean, compile, compile_with, end, flow, heard, one, only, records, said, sandbox, start,
        validate,
    };
    use crate::validate::{validate_value, ValidationContext};

    #[test]
    fn subflows() {
        let node = json!({ "type": "subflow", "id": "f", "flow": "returns", "next": "done" });
        let value = flow(json!([node, end("done")]));
        let sandbox = sandbox();
        let known: BTreeSet<String> = ["refunds".to_owned()].into();
        let validated = validate_value(
            &value,
            &ValidationContext::new(&sandbox).with_subflows(&known),
        );
        let d = only(&validated, "unknown_subflow", "/nodes/0/flow");
        assert!(d.message.contains("\"returns\""), "{}", d.message);
        clean(&validate(&value));
        only(
            &one(json!({ "type": "subflow", "id": "f", "flow": "", "next": "done" })),
            "empty_value",
            "/nodes/0/flow",
        );
    }

    fn with_subflow() -> Arc<CompiledFlow> {
        let child = compile(json!({
            "schema": 1, "name": "collect-phone", "language": "zh-CN", "start": "ask",
            "variables": { "phone": "", "greeting": "" },
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "{{vars.greeting}}请说手机号",
                  "slot": { "var": "phone", "type": "phone_number" }, "next": "done",
                  "no_match": { "max": 0, "next": "failed" }, "no_input": { "max": 0, "next": "failed" } },
                { "id": "done", "type": "end", "outcome": "resolved" },
                { "id": "failed", "type": "end", "outcome": "failed" }
            ],
            "global_intents": [ { "name": "back", "examples": ["返回"], "next": "failed" } ]
        }));
        let mut subflows = BTreeMap::new();
        subflows.insert("collect-phone".to_owned(), child);
        compile_with(
            json!({
                "schema": 1, "name": "parent", "language": "zh-CN", "start": "call",
                "variables": { "mobile": "", "name": "张伟" },
                "nodes": [
                    { "id": "call", "type": "subflow", "flow": "collect-phone",
                      "inputs": { "greeting": "{{vars.name}}您好，" }, "outputs": { "mobile": "phone" },
                      "next": "thanks", "error": "sorry" },
                    { "id": "thanks", "type": "say", "text": "已记录{{vars.mobile}}，{{vars.name}}", "next": "bye" },
                    { "id": "sorry", "type": "say", "text": "没有记录", "next": "bye" },
                    { "id": "agent", "type": "handoff", "queue": "q", "error": "bye" },
                    { "id": "bye", "type": "end", "outcome": "resolved" }
                ],
                "global_intents": [ { "name": "human", "examples": ["转人工"], "next": "agent" } ],
                "angry_caller": { "next": "agent" }
            }),
            &CompileOptions {
                subflows,
                ..CompileOptions::default()
            },
        )
    }

    #[test]
    fn subflows_take_inputs_and_return_outputs() {
        let (mut session, actions) = start(&with_subflow());
        assert_eq!(said(&actions), vec!["张伟您好，请说手机号"]);
        assert_eq!(session.current_node(), Some("ask"));
        let actions = session.handle(heard("13812345678"));
        assert_eq!(
            said(&actions),
            vec!["已记录13812345678，张伟"],
            "the parent's vars are back"
        );
        assert_eq!(session.outcome(), Some(Outcome::Resolved));
    }

    #[test]
    fn the_parents_angry_caller_trigger_leaves_the_subflow() {
        let (mut session, _) = start(&with_subflow());
        let actions = session.handle(heard("太失望了，我要投诉！"));
        assert!(records(&actions).iter().any(
            |r| matches!(r, Record::EmotionTriggered { node, next, .. } if &**node == "ask" && &**next == "agent")
        ));
        assert!(actions.iter().any(|a| matches!(a, Action::Transfer(_))));
        assert_eq!(session.flow().document().name, "parent");
    }

    #[test]
    fn a_failed_subflow_takes_the_error_port() {
        let (mut session, _) = start(&with_subflow());
        let actions = session.handle(heard("返回"));
        assert_eq!(said(&actions), vec!["没有记录"]);
    }

    #[test]
    fn a_parent_global_intent_leaves_the_subflow() {
        let (mut session, _) = start(&with_subflow());
        let snapshot = session.snapshot();
        assert_eq!(
            snapshot.frames.len(),
            1,
            "the subflow's caller is in the snapshot"
        );
        let mut resumed = Session::resume(session.flow().clone(), snapshot.clone());
        assert!(
            matches!(resumed, Err(ResumeError::OtherFlow)),
            "resume takes the root flow"
        );
        resumed = Session::resume(with_subflow(), snapshot);
        let mut resumed = resumed.expect("resumes");
        for session in [&mut session, &mut resumed] {
            let actions = session.handle(heard("转人工"));
            assert!(actions.iter().any(|a| matches!(a, Action::Transfer(_))));
            assert_eq!(session.current_node(), Some("agent"));
            assert_eq!(session.vars_json().get("name"), Some(&json!("张伟")));
        }
    }
}
