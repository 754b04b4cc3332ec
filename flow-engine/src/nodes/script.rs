//! `script`: runs a Rhai script that can read and change `vars`.

use super::{Kind, Ports};
use crate::model::node_common;
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

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        ports.add("/next", "next", &self.next);
        ports.add("/error", "error", &self.error);
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let node = Some(self.id.as_str());
        let field = format!("{base}/code");
        if !c.text_size(node, field.clone(), &self.code, MAX_SCRIPT_CHARS, "script") {
            return;
        }
        if let Err(error) = c.sandbox.compile_script(&self.code) {
            let place = place(error.line, error.column);
            let message = format!(
                "The script has a mistake{place}: {}. Fix the script.",
                error.message.trim_end_matches('.')
            );
            c.push(
                Diagnostic::error("script_syntax", field, message)
                    .on(node)
                    .at(error.line, error.column),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{one, only};

    #[test]
    fn script_errors_carry_their_place() {
        let script = json!({ "type": "script", "id": "js", "code": "let a = 1;\nlet = 2;", "next": "done", "error": "done" });
        let d = only(&one(script), "script_syntax", "/nodes/0/code");
        assert_eq!(d.node.as_deref(), Some("js"));
        assert_eq!((d.line, d.column), (Some(2), Some(5)));
        assert!(d.message.contains("(line 2, column 5)"), "{}", d.message);
    }
}
