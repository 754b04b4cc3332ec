//! `subflow`: runs another flow of the tenant, by name, and comes back.

use std::collections::BTreeMap;

use super::{Kind, Ports};
use crate::model::{escape_pointer, node_common};
use crate::validate::{shorten, Checker};

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
            c.error(
                "empty_value",
                id,
                at("/flow"),
                "Choose the flow to run.".into(),
            );
        } else {
            c.name_text(id, at("/flow"), &self.flow, "flow name");
            if let Some(known) = c.known_subflows {
                if !known.contains(&self.flow) {
                    let message = format!(
                        "There is no flow called \"{}\". Choose an existing flow (names are \
                        case-sensitive).",
                        shorten(&self.flow, 80)
                    );
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
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{clean, end, flow, one, only, sandbox, validate};
    use crate::validate::{validate_value, ValidationContext};
    use std::collections::BTreeSet;

    #[test]
    fn subflows() {
        let node = json!({ "type": "subflow", "id": "f", "flow": "returns", "next": "done" });
        let value = flow(json!([node, end("done")]));
        let sandbox = sandbox();
        let known: BTreeSet<String> = ["refunds".to_owned()].into();
        let validated = validate_value(
            &value,
            &ValidationContext {
                sandbox: &sandbox,
                known_subflows: Some(&known),
            },
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
}
