//! `branch`: chooses the next node by conditions, the first that holds wins.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use rhai::{Stmt, AST};

use super::{Compiled, Kind, Ports, Run};
use crate::compile::{NodeCompiler, NodeIx};
use crate::condition::{truthy, Condition};
use crate::messages::term;
use crate::model::node_common;
use crate::msg;
use crate::runtime::{Step, Visit};
use crate::validate::{place, Checker, Diagnostic, MAX_CASES, MAX_TEXT_CHARS};

node_common! {
    /// Chooses the next node by conditions, first true wins.
    pub struct BranchNode {
        /// Conditions checked in order.
        pub cases: Vec<BranchCase>,
        /// Taken when no condition holds.
        #[serde(rename = "else")]
        pub otherwise: String,
    }
}

/// One condition of a branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchCase {
    /// Expression, e.g. `vars.status == "shipped"`.
    pub when: String,
    /// Node taken when it holds.
    pub next: String,
}

impl Kind for BranchNode {
    const TYPE: &'static str = "branch";
    const WAITS: bool = false;

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        for (i, case) in self.cases.iter().enumerate() {
            ports.add(format!("/cases/{i}/next"), &case.when, &case.next);
        }
        ports.add("/else", "else", &self.otherwise);
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        if self.cases.len() > MAX_CASES {
            let message = msg!("too_large.cases", count = self.cases.len(), max = MAX_CASES);
            c.error("too_large", id, format!("{base}/cases"), message);
        }
        for (i, case) in self.cases.iter().enumerate() {
            check_condition(c, id, format!("{base}/cases/{i}/when"), &case.when);
        }
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        let cases = self
            .cases
            .iter()
            .enumerate()
            .map(|(i, case)| {
                let condition = Condition::compile(c.sandbox(), &case.when)
                    .map_err(|e| c.internal(&format!("/cases/{i}/when"), e.to_string()))?;
                Ok((condition, c.port(&format!("/cases/{i}/next"), &case.next)?))
            })
            .collect::<Result<_, Diagnostic>>()?;
        Ok(Compiled::Branch(Branch {
            cases,
            otherwise: c.port("/else", &self.otherwise)?,
        }))
    }
}

pub(crate) struct Branch {
    cases: Vec<(Condition, NodeIx)>,
    otherwise: NodeIx,
}

impl Run for Branch {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        for (i, (condition, target)) in self.cases.iter().enumerate() {
            match visit.holds(condition) {
                Ok(true) => return Step::Goto(*target),
                Ok(false) => {}
                Err(error) => visit.script_error(&format!("/cases/{i}/when"), &error),
            }
        }
        Step::Goto(self.otherwise)
    }
}

/// Whether a condition holds whatever the call: a literal such as `true` or `1`. Anything that
/// reads the call might not, and is not looked into.
pub(crate) fn always_holds(condition: &AST) -> bool {
    match condition.statements() {
        [Stmt::Expr(expression)] => expression
            .get_literal_value(None)
            .is_some_and(|value| truthy(&value)),
        _ => false,
    }
}

/// Checks a condition of `field`; the compiled condition when it is sound.
pub(crate) fn check_condition(
    c: &mut Checker<'_>,
    node: Option<&str>,
    field: String,
    expression: &str,
) -> Option<AST> {
    if expression.trim().is_empty() {
        let message = term("empty_condition");
        c.error("empty_condition", node, field, message);
        return None;
    }
    if !c.text_size(
        node,
        field.clone(),
        expression,
        MAX_TEXT_CHARS,
        "term.condition",
    ) {
        return None;
    }
    match c.sandbox.compile_expression(expression) {
        Ok(condition) => Some(condition),
        Err(error) => {
            let place = place(error.line, error.column);
            let message = msg!(
                "expression_syntax",
                place = place,
                error = error.text.clone()
            );
            c.push(
                Diagnostic::error("expression_syntax", field, message)
                    .on(node)
                    .at(error.line, error.column),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{clean, one, only};
    use crate::validate::Severity;

    #[test]
    fn branch_conditions() {
        let branch = |when: &str| json!({ "type": "branch", "id": "b", "cases": [{ "when": when, "next": "done" }], "else": "done" });
        clean(&one(branch(
            "vars.status == \"shipped\" && input.confidence > 0.5",
        )));
        let d = only(
            &one(branch("vars.x == = 1")),
            "expression_syntax",
            "/nodes/0/cases/0/when",
        );
        assert_eq!(d.node.as_deref(), Some("b"));
        assert_eq!((d.line, d.column), (Some(1), Some(11)));
        let d = only(
            &one(branch("  ")),
            "empty_condition",
            "/nodes/0/cases/0/when",
        );
        assert_eq!(d.severity, Severity::Error);
        let d = only(
            &one(branch("foo > 1")),
            "expression_syntax",
            "/nodes/0/cases/0/when",
        );
        assert!(d.message.contains("foo"), "{}", d.message);
    }
}
