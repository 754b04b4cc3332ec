//! `set`: assigns variables without code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use rhai::Dynamic;

use super::{Compiled, Kind, Ports, Run};
use crate::compile::{NodeCompiler, NodeIx};
use crate::model::node_common;
use crate::runtime::{Step, Visit};
use crate::template::Template;
use crate::validate::{Checker, Diagnostic};
use crate::value;

node_common! {
    /// Assigns variables without code.
    pub struct SetNode {
        /// Assignments, applied in order.
        pub assign: Vec<Assignment>,
        /// Next node.
        pub next: String,
    }
}

/// `var = value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// Variable name.
    pub var: String,
    /// A JSON value. A string is a template; a string that is one `{{ expr }}` keeps the
    /// expression's type (number, boolean, …).
    pub value: serde_json::Value,
}

impl Kind for SetNode {
    const TYPE: &'static str = "set";
    const WAITS: bool = false;

    fn sets_variable(&self, var: &str) -> bool {
        self.assign.iter().any(|assignment| assignment.var == var)
    }

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        ports.add("/next", "next", &self.next);
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        for (i, assignment) in self.assign.iter().enumerate() {
            c.variable(id, format!("{base}/assign/{i}/var"), &assignment.var);
            if let Value::String(text) = &assignment.value {
                c.template(id, format!("{base}/assign/{i}/value"), text);
            }
        }
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        let assign = self
            .assign
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let value = match &a.value {
                    Value::String(text) => {
                        let template = c.template(&format!("/assign/{i}/value"), text)?;
                        if template.is_literal() {
                            Assigned::Literal(Dynamic::from(text.clone()))
                        } else {
                            Assigned::Template(template)
                        }
                    }
                    other => Assigned::Literal(value::to_dynamic(other)),
                };
                Ok((a.var.clone(), value))
            })
            .collect::<Result<_, Diagnostic>>()?;
        Ok(Compiled::Set(Set {
            assign,
            next: c.port("/next", &self.next)?,
        }))
    }
}

pub(crate) struct Set {
    assign: Vec<(String, Assigned)>,
    next: NodeIx,
}

enum Assigned {
    Literal(Dynamic),
    Template(Template),
}

impl Run for Set {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        for (i, (var, assigned)) in self.assign.iter().enumerate() {
            let value = match assigned {
                Assigned::Literal(value) => value.clone(),
                Assigned::Template(template) => {
                    match visit.evaluate(&format!("/assign/{i}/value"), template) {
                        Some(value) => value,
                        None => continue,
                    }
                }
            };
            visit.vars().insert(var.as_str().into(), value);
        }
        Step::Goto(self.next)
    }
}
