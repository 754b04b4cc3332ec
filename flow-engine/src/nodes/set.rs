//! `set`: assigns variables without code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Kind, Ports};
use crate::model::node_common;
use crate::validate::Checker;

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
}
