//! `menu`: a keypad menu ("press 1 for …"); spoken keys and choice labels work too. It listens
//! as `ask` does, its choices being its intents.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use std::collections::HashSet;

use super::listening::{self, CompiledRetry, Listener};
use super::{Compiled, Kind, Ports};
use crate::compile::NodeCompiler;
use crate::messages::term;
use crate::model::{default_true, is_true, node_common, InputMode, Intent, Retry};
use crate::msg;
use crate::validate::{is_key, Checker, Diagnostic, NO_INPUT_TIMEOUT_MS};

node_common! {
    /// A keypad menu: "press 1 for …". Spoken digits and choice labels work too.
    pub struct MenuNode {
        /// The menu prompt (template).
        pub prompt: String,
        /// The choices, one key each.
        pub choices: Vec<MenuChoice>,
        /// What happens on a key or answer that is not a choice.
        pub no_match: Retry,
        /// What happens when the caller presses nothing.
        pub no_input: Retry,
        /// Silence before a no-input, in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timeout_ms: Option<u32>,
        /// Whether the flow's global intents are recognised here (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub global_intents: bool,
        /// Whether the caller may interrupt the prompt (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub barge_in: bool,
        /// Voice for this node only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub voice: Option<String>,
    }
}

/// One keypad choice of a menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MenuChoice {
    /// The key: `0`–`9`, `*` or `#`.
    pub key: String,
    /// What the choice is called; a caller may also say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Node taken when chosen.
    pub next: String,
}

impl Kind for MenuNode {
    const TYPE: &'static str = "menu";
    const WAITS: bool = true;

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        for (i, choice) in self.choices.iter().enumerate() {
            ports.add(format!("/choices/{i}/next"), &choice.key, &choice.next);
        }
        ports.add("/no_match/next", "no_match", &self.no_match.next);
        ports.add("/no_input/next", "no_input", &self.no_input.next);
    }

    fn listens_to_global_intents(&self) -> bool {
        self.global_intents
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        c.template(id, at("/prompt"), &self.prompt);
        if self.choices.is_empty() {
            let message = term("empty_menu");
            c.error("empty_menu", id, at("/choices"), message);
        }
        let mut keys: HashSet<&str> = HashSet::new();
        for (i, choice) in self.choices.iter().enumerate() {
            let field = at(&format!("/choices/{i}/key"));
            c.key(id, field.clone(), &choice.key, "term.key");
            if is_key(&choice.key) && !keys.insert(choice.key.as_str()) {
                let message = msg!("duplicate_key.choice", key = &choice.key);
                c.error("duplicate_key", id, field.clone(), message);
            }
            if self.global_intents {
                listening::check_shadowing(c, id, field, None, Some(&choice.key));
            }
            if let Some(label) = &choice.label {
                c.name_text(
                    id,
                    at(&format!("/choices/{i}/label")),
                    label,
                    "term.choice_label",
                );
            }
        }
        listening::check_retry(c, id, &at("/no_match"), &self.no_match);
        listening::check_retry(c, id, &at("/no_input"), &self.no_input);
        c.range_u32(
            id,
            at("/timeout_ms"),
            self.timeout_ms,
            NO_INPUT_TIMEOUT_MS,
            "term.silence_timeout_ms",
        );
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        // A menu is a listener whose intents are its choices: a key press or a spoken key
        // selects one, and so does saying its label.
        let intents: Vec<Intent> = self
            .choices
            .iter()
            .map(|choice| Intent {
                name: choice.label.clone().unwrap_or_else(|| choice.key.clone()),
                label: None,
                examples: choice.label.iter().cloned().collect(),
                keywords: Vec::new(),
                dtmf: Some(choice.key.clone()),
                next: choice.next.clone(),
            })
            .collect();
        Ok(Compiled::Listen(Box::new(Listener {
            prompt: c.template("/prompt", &self.prompt)?,
            modes: vec![InputMode::Speech, InputMode::Dtmf],
            intents: c.intents(&intents)?,
            slot: None,
            save_as: None,
            next: None,
            no_match: CompiledRetry::compile(c, "/no_match", &self.no_match)?,
            no_input: CompiledRetry::compile(c, "/no_input", &self.no_input)?,
            timeout_ms: c.no_input_timeout(self.timeout_ms),
            hints: self
                .choices
                .iter()
                .filter_map(|c| c.label.clone())
                .collect(),
            max_digits: Some(1),
            finish_on_key: None,
            threshold: c.threshold(),
            global_intents: self.global_intents,
            barge_in: self.barge_in,
            voice: c.voice(self.voice.as_ref()),
        })))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use serde_json::Value;

    use crate::testing::{find, one, only, summary};

    #[test]
    fn menus() {
        let menu = |choices: Value| {
            json!({ "type": "menu", "id": "m", "prompt": "请按键", "choices": choices,
                    "no_match": { "next": "done" }, "no_input": { "next": "done" } })
        };
        only(&one(menu(json!([]))), "empty_menu", "/nodes/0/choices");
        let validated = one(menu(json!([
            { "key": "1", "next": "done" }, { "key": "1", "next": "done" },
            { "key": "10", "next": "done" }, { "key": "*", "next": "done" }, { "key": "#", "next": "done" }
        ])));
        let d = find(&validated, "duplicate_key", "/nodes/0/choices/1/key");
        assert_eq!(d.node.as_deref(), Some("m"));
        find(&validated, "invalid_key", "/nodes/0/choices/2/key");
        assert_eq!(
            validated.diagnostics.len(),
            2,
            "{}",
            summary(&validated.diagnostics)
        );
    }
}
