//! `script`: runs a Rhai script that can read and change `vars`.

use rhai::AST;

use super::{Compiled, Kind, Ports, Run};
use crate::compile::{NodeCompiler, NodeIx};
use crate::model::node_common;
use crate::msg;
use crate::runtime::{Step, Visit};
use crate::validate::{place, Checker, Diagnostic, MAX_SCRIPT_CHARS};

node_common! {
    /// Runs a Rhai script that can read and change `vars`.
    pub struct ScriptNode {
        /// Rhai source. Sees `vars`, `call`, `input` and `tenant`.
        pub code: String,
        /// Taken when the script finishes.
        pub next: String,
        /// Taken when the script fails or exceeds its limits; its changes are discarded.
        pub error: String,
    }
}

impl Kind for ScriptNode {
    const TYPE: &'static str = "script";
    const WAITS: bool = false;

    /// Whether the code names `vars.<var>` (or `vars["<var>"]`): reading the script is enough
    /// for a warning, and a script that names a variable almost always sets it.
    fn sets_variable(&self, var: &str) -> bool {
        let dotted = format!("vars.{var}");
        let named_after = |rest: &str| {
            !rest
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        };
        self.code
            .match_indices(&dotted)
            .any(|(at, _)| named_after(&self.code[at + dotted.len()..]))
            || self.code.contains(&format!("vars[\"{var}\"]"))
    }

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        ports.add("/next", "next", &self.next);
        ports.add("/error", "error", &self.error);
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let node = Some(self.id.as_str());
        let field = format!("{base}/code");
        if !c.text_size(
            node,
            field.clone(),
            &self.code,
            MAX_SCRIPT_CHARS,
            "term.script",
        ) {
            return;
        }
        if let Err(error) = c.sandbox.compile_script(&self.code) {
            let place = place(error.line, error.column);
            let message = msg!("script_syntax", place = place, error = error.text.clone());
            c.push(
                Diagnostic::error("script_syntax", field, message)
                    .on(node)
                    .at(error.line, error.column),
            );
        }
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        Ok(Compiled::Script(Script {
            ast: c
                .sandbox()
                .compile_script(&self.code)
                .map_err(|e| c.internal("/code", e.to_string()))?,
            next: c.port("/next", &self.next)?,
            error: c.port("/error", &self.error)?,
        }))
    }
}

pub(crate) struct Script {
    ast: AST,
    next: NodeIx,
    error: NodeIx,
}

impl Run for Script {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        match visit.run_script(&self.ast) {
            Ok(()) => Step::Goto(self.next),
            Err(failure) => {
                visit.script_error("/code", &failure);
                Step::Goto(self.error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use crate::compile::CompiledFlow;
    use crate::runtime::Record;
    use crate::testing::{compile, heard, one, only, records, said, start};

    #[test]
    fn script_errors_carry_their_place() {
        let script = json!({ "type": "script", "id": "js", "code": "let a = 1;\nlet = 2;", "next": "done", "error": "done" });
        let d = only(&one(script), "script_syntax", "/nodes/0/code");
        assert_eq!(d.node.as_deref(), Some("js"));
        assert_eq!((d.line, d.column), (Some(2), Some(5)));
        assert!(d.message.contains("(line 2, column 5)"), "{}", d.message);
    }

    fn script_flow(code: &str) -> Arc<CompiledFlow> {
        compile(json!({
            "schema": 1, "name": "script", "language": "zh-CN", "start": "run",
            "variables": { "n": 1 },
            "nodes": [
                { "id": "run", "type": "script", "code": code, "next": "ok", "error": "broken" },
                { "id": "ok", "type": "say", "text": "完成 {{vars.n}}", "next": "ask" },
                { "id": "broken", "type": "say", "text": "出错 {{vars.n}}", "next": "ask" },
                { "id": "ask", "type": "ask", "prompt": "再试？",
                  "intents": [ { "name": "again", "examples": ["再来"], "next": "run" } ],
                  "no_match": { "max": 0, "next": "bye" }, "no_input": { "max": 0, "next": "bye" } },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }))
    }

    #[test]
    fn runaway_scripts_take_the_error_port_and_the_session_stays_usable() {
        for code in [
            "vars.n = 2; loop { }",
            "vars.n = 2; let s = \"x\"; loop { s += s; }",
            "vars.n = 2; fn f(n) { f(n + 1) } f(0);",
        ] {
            let (mut session, actions) = start(&script_flow(code));
            assert_eq!(
                said(&actions),
                vec!["出错 1", "再试？"],
                "{code}: changes are undone"
            );
            let error = records(&actions)
                .into_iter()
                .find_map(|r| match r {
                    Record::ScriptError { node, error, .. } => Some((node.clone(), error.clone())),
                    _ => None,
                })
                .expect("the failure is recorded");
            assert_eq!(&*error.0, "run");
            assert!(
                [
                    "TooManyOperations",
                    "Deadline",
                    "DataTooLarge",
                    "StackOverflow"
                ]
                .contains(&error.1.as_str()),
                "{code}: {}",
                error.1
            );
            // The session goes on: the next turn runs normally.
            let actions = session.handle(heard("再来"));
            assert_eq!(said(&actions)[1], "再试？");
        }
    }

    #[test]
    fn a_script_changes_vars() {
        let (_, actions) = start(&script_flow("vars.n = vars.n * 21 + 21;"));
        assert_eq!(said(&actions), vec!["完成 42", "再试？"]);
    }
}
