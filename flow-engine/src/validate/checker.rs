//! The checker that document and node checks report to, and the checks of single fields that
//! many of them share: sizes, templates, variable names, keys, ranges, intents.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::RangeInclusive;

use super::diagnostic::place;
use super::{
    shorten, Diagnostic, ValidationContext, MAX_EXAMPLES, MAX_EXAMPLE_CHARS, MAX_ID_CHARS,
    MAX_INTENTS, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_VARIABLE_CHARS, NO_INPUT_TIMEOUT_MS,
};
use crate::messages::{term, Message};
use crate::model::{FlowSettings, Intent};
use crate::msg;
use crate::nlu::{confusable_pairs, IntentSpec};
use crate::path::is_identifier;
use crate::script::Sandbox;
use crate::template::Template;

/// Collects the diagnostics of one document.
pub(crate) struct Checker<'c> {
    pub sandbox: &'c Sandbox,
    /// Names of the flows a `subflow` node may call; `None` skips that check.
    pub known_subflows: Option<&'c BTreeSet<String>>,
    /// Keys of the tenant's knowledge bases; `None` skips that check.
    pub known_knowledge_bases: Option<&'c BTreeSet<String>>,
    /// Keys of the tenant's agent queues; `None` skips that check.
    pub known_queues: Option<&'c BTreeSet<String>>,
    /// The flow's global intents, which listening nodes check their own against.
    pub globals: Globals<'c>,
    /// The variables the texts checked so far read, where: see [`Checker::take_reads`].
    reads: Vec<Read>,
    out: Vec<Diagnostic>,
}

/// A text's placeholder naming a flow variable.
pub(crate) struct Read {
    pub node: Option<String>,
    pub field: String,
    pub var: String,
}

/// The flow's global intents by name and by key.
pub(crate) struct Globals<'g> {
    pub names: HashMap<&'g str, usize>,
    pub keys: HashMap<&'g str, usize>,
    pub intents: &'g [Intent],
}

impl<'g> Globals<'g> {
    pub fn of(intents: &'g [Intent]) -> Self {
        Globals {
            names: intents
                .iter()
                .enumerate()
                .map(|(j, i)| (i.name.as_str(), j))
                .collect(),
            keys: intents
                .iter()
                .enumerate()
                .filter_map(|(j, i)| Some((i.dtmf.as_deref()?, j)))
                .collect(),
            intents,
        }
    }
}

impl<'c> Checker<'c> {
    pub fn new(context: &ValidationContext<'c>, globals: Globals<'c>) -> Self {
        Checker {
            sandbox: context.sandbox,
            known_subflows: context.known_subflows,
            known_knowledge_bases: context.known_knowledge_bases,
            known_queues: context.known_queues,
            globals,
            reads: Vec::new(),
            out: Vec::new(),
        }
    }

    /// What was found, in the order it was found.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.out
    }

    /// The variables the checked texts read, for the check that something sets each.
    pub fn take_reads(&mut self) -> Vec<Read> {
        std::mem::take(&mut self.reads)
    }
}

impl Checker<'_> {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.out.push(diagnostic);
    }

    pub fn error(
        &mut self,
        code: &'static str,
        node: Option<&str>,
        field: String,
        message: Message,
    ) {
        self.out
            .push(Diagnostic::error(code, field, message).on(node));
    }

    pub fn warning(
        &mut self,
        code: &'static str,
        node: Option<&str>,
        field: String,
        message: Message,
    ) {
        self.out
            .push(Diagnostic::warning(code, field, message).on(node));
    }

    pub fn node_id(&mut self, id: &str, field: &str) {
        let problem = if id.is_empty() {
            Some(term("invalid_id.empty"))
        } else if id.chars().count() > MAX_ID_CHARS {
            Some(msg!(
                "invalid_id.too_long",
                id = shorten(id, 40),
                length = id.chars().count(),
                max = MAX_ID_CHARS
            ))
        } else if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            let bad: String = id
                .chars()
                .filter(|ch| !(ch.is_ascii_alphanumeric() || *ch == '_' || *ch == '-'))
                .collect();
            let mut unique = String::new();
            for ch in bad.chars() {
                if !unique.contains(ch) {
                    unique.push(ch);
                }
            }
            Some(msg!(
                "invalid_id.characters",
                id = shorten(id, 80),
                characters = shorten(&unique, 20)
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            let node = (!id.is_empty()).then_some(id);
            self.error("invalid_id", node, field.to_owned(), message);
        }
    }

    pub fn text_size(
        &mut self,
        node: Option<&str>,
        field: String,
        text: &str,
        max: usize,
        what: &'static str,
    ) -> bool {
        // Counting characters only matters when the byte length could exceed the limit.
        if text.len() <= max {
            return true;
        }
        let count = text.chars().count();
        if count <= max {
            return true;
        }
        let message = msg!(
            "too_large.text",
            what = term(what),
            count = count,
            max = max
        );
        self.error("too_large", node, field, message);
        false
    }

    pub fn name_text(&mut self, node: Option<&str>, field: String, text: &str, what: &'static str) {
        self.text_size(node, field, text, MAX_NAME_CHARS, what);
    }

    pub fn template(&mut self, node: Option<&str>, field: String, text: &str) {
        if !self.text_size(node, field.clone(), text, MAX_TEXT_CHARS, "term.text") {
            return;
        }
        match Template::parse(text, self.sandbox) {
            Ok(_) => {
                for var in crate::template::variables_named(text) {
                    self.reads.push(Read {
                        node: node.map(str::to_owned),
                        field: field.clone(),
                        var: var.to_owned(),
                    });
                }
            }
            Err(error) => self.template_error(node, field, &error),
        }
    }

    fn template_error(
        &mut self,
        node: Option<&str>,
        field: String,
        error: &crate::template::TemplateError,
    ) {
        let place = place(error.line, error.column);
        let message = msg!("template_syntax", place = place, error = error.text.clone());
        self.push(
            Diagnostic::error("template_syntax", field, message)
                .on(node)
                .at(error.line, error.column),
        );
    }

    pub fn variable(&mut self, node: Option<&str>, field: String, name: &str) {
        if name.is_empty() {
            self.error(
                "invalid_variable",
                node,
                field,
                term("invalid_variable.empty"),
            );
        } else if name.chars().count() > MAX_VARIABLE_CHARS {
            let message = msg!(
                "invalid_variable.too_long",
                name = shorten(name, 40),
                max = MAX_VARIABLE_CHARS
            );
            self.error("invalid_variable", node, field, message);
        } else if !is_identifier(name) {
            let message = msg!(
                "invalid_variable.characters",
                name = shorten(name, 60),
                suggestion = suggest_identifier(name)
            );
            self.error("invalid_variable", node, field, message);
        }
    }

    pub fn key(&mut self, node: Option<&str>, field: String, key: &str, what: &'static str) {
        if !is_key(key) {
            let message = msg!("invalid_key", key = shorten(key, 20), what = term(what));
            self.error("invalid_key", node, field, message);
        }
    }

    pub fn range_u32(
        &mut self,
        node: Option<&str>,
        field: String,
        value: Option<u32>,
        range: RangeInclusive<u32>,
        what: &'static str,
    ) {
        if let Some(value) = value {
            if !range.contains(&value) {
                let message = msg!(
                    "out_of_range.number",
                    what = term(what),
                    value = value,
                    min = *range.start(),
                    max = *range.end()
                );
                self.error("out_of_range", node, field, message);
            }
        }
    }

    pub fn threshold(&mut self, node: Option<&str>, field: String, value: Option<f32>) {
        if let Some(value) = value {
            if !(0.0..=1.0).contains(&value) {
                let message = msg!("out_of_range.threshold", value = value);
                self.error("out_of_range", node, field, message);
            }
        }
    }

    pub fn language(&mut self, language: &str) {
        let field = "/language".to_owned();
        if language.trim().is_empty() {
            let message = term("empty_value.language");
            self.error("empty_value", None, field, message);
        } else if !looks_like_language_tag(language) {
            let hint = if language.contains('_') {
                msg!("invalid_language.hint", tag = language.replace('_', "-"))
            } else {
                term("hint.none")
            };
            let message = msg!("invalid_language", tag = shorten(language, 40), hint = hint);
            self.warning("invalid_language", None, field, message);
        }
    }

    pub fn settings(&mut self, settings: &FlowSettings) {
        self.range_u32(
            None,
            "/settings/no_input_timeout_ms".into(),
            settings.no_input_timeout_ms,
            NO_INPUT_TIMEOUT_MS,
            "term.silence_timeout_ms",
        );
        self.threshold(
            None,
            "/settings/intent_threshold".into(),
            settings.intent_threshold,
        );
        if let Some(text) = &settings.error_message {
            self.template(None, "/settings/error_message".into(), text);
        }
        if let Some(knowledge) = &settings.knowledge {
            crate::nodes::answer::check_knowledge_base(
                self,
                None,
                "/settings/knowledge/knowledge_base".into(),
                &knowledge.knowledge_base,
            );
        }
    }

    // --- intents -------------------------------------------------------------------------------

    /// Checks a list of intents; `positions` maps each to its index in the JSON list.
    pub fn intents(
        &mut self,
        node: Option<&str>,
        base: &str,
        intents: &[Intent],
        positions: &[usize],
        global: bool,
    ) {
        let what = if global {
            "term.global_intent"
        } else {
            "term.intent"
        };
        let many = if global {
            "term.global_intents"
        } else {
            "term.intents"
        };
        if intents.len() > MAX_INTENTS {
            let message = msg!(
                "too_large.list",
                count = intents.len(),
                what = term(many),
                max = MAX_INTENTS
            );
            self.error("too_large", node, base.to_owned(), message);
        }
        let mut names: HashSet<&str> = HashSet::new();
        let mut keys: HashSet<&str> = HashSet::new();
        for (j, intent) in intents.iter().enumerate() {
            let at = format!("{base}/{}", positions.get(j).copied().unwrap_or(j));
            if intent.name.trim().is_empty() {
                let message = msg!("empty_value.intent_name", what = term(what));
                self.error("empty_value", node, format!("{at}/name"), message);
            } else if !names.insert(intent.name.as_str()) {
                let message = msg!(
                    "duplicate_intent",
                    what = term(what),
                    name = shorten(intent.display_name(), 60)
                );
                self.error("duplicate_intent", node, format!("{at}/name"), message);
            }
            self.name_text(node, format!("{at}/name"), &intent.name, "term.intent_name");
            if let Some(label) = &intent.label {
                self.name_text(node, format!("{at}/label"), label, "term.label");
            }
            self.phrases(node, &at, "examples", &intent.examples, "term.example");
            self.phrases(node, &at, "keywords", &intent.keywords, "term.keyword");
            let has_phrase = intent
                .examples
                .iter()
                .chain(&intent.keywords)
                .any(|p| !p.trim().is_empty());
            if !has_phrase && intent.dtmf.is_none() {
                let message = msg!(
                    "intent_without_examples",
                    what = term(what),
                    name = shorten(intent.display_name(), 60)
                );
                self.error("intent_without_examples", node, at.clone(), message);
            }
            if let Some(key) = &intent.dtmf {
                self.key(node, format!("{at}/dtmf"), key, "term.key");
                if is_key(key) && !keys.insert(key.as_str()) {
                    let message = msg!("duplicate_key", what = term(what), key = key);
                    self.error("duplicate_key", node, format!("{at}/dtmf"), message);
                }
            }
        }
        if intents.len() > MAX_INTENTS {
            return;
        }
        let specs: Vec<IntentSpec<'_>> = intents
            .iter()
            .map(|i| IntentSpec {
                examples: &i.examples,
                keywords: &i.keywords,
            })
            .collect();
        for (a, b, _) in confusable_pairs(&specs) {
            let at = format!("{base}/{}", positions.get(b).copied().unwrap_or(b));
            let message = msg!(
                "intents_alike",
                what = term(many),
                first = shorten(intents[a].display_name(), 60),
                second = shorten(intents[b].display_name(), 60)
            );
            self.warning("intents_alike", node, format!("{at}/examples"), message);
        }
    }

    pub fn phrases(
        &mut self,
        node: Option<&str>,
        at: &str,
        list: &str,
        phrases: &[String],
        what: &'static str,
    ) {
        if phrases.len() > MAX_EXAMPLES {
            let message = msg!(
                "too_large.list",
                count = phrases.len(),
                what = term(plural(what)),
                max = MAX_EXAMPLES
            );
            self.error("too_large", node, format!("{at}/{list}"), message);
        }
        for (i, phrase) in phrases.iter().enumerate() {
            let field = format!("{at}/{list}/{i}");
            if phrase.trim().is_empty() {
                self.error(
                    "empty_value",
                    node,
                    field,
                    msg!("empty_value.phrase", what = term(what)),
                );
            } else {
                self.text_size(node, field, phrase, MAX_EXAMPLE_CHARS, what);
            }
        }
    }
}

/// The catalogue's word for several of `what`.
fn plural(what: &'static str) -> &'static str {
    match what {
        "term.example" => "term.examples",
        "term.keyword" => "term.keywords",
        "term.hint" => "term.hints",
        other => other,
    }
}

fn suggest_identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(MAX_VARIABLE_CHARS)
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        out.insert(0, '_');
    }
    out
}

pub(crate) fn is_key(key: &str) -> bool {
    matches!(key.as_bytes(), [b'0'..=b'9' | b'*' | b'#'])
}

/// Roughly BCP 47: a 2–3 letter (or 5–8 letter) language, then subtags of 1–8 letters or digits.
fn looks_like_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language_ok = parts.next().is_some_and(|p| {
        matches!(p.len(), 2 | 3 | 5..=8) && p.bytes().all(|b| b.is_ascii_alphabetic())
    });
    language_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{ask, clean, end, find, flow, one, only, say, summary, validate, with};
    use crate::validate::Severity;

    #[test]
    fn intents_within_a_node() {
        let node = with(
            ask("q"),
            json!({ "next": null, "intents": [
            { "name": "a", "examples": ["x"], "dtmf": "1", "next": "done" },
            { "name": "a", "keywords": ["y"], "dtmf": "1", "next": "done" },
            { "name": "b", "examples": [" "], "dtmf": "12", "next": "done" },
            { "name": "c", "next": "done" },
            { "name": "", "examples": ["z"], "next": "done" }
        ] }),
        );
        let validated = one(node);
        let d = find(&validated, "duplicate_intent", "/nodes/0/intents/1/name");
        assert_eq!(d.node.as_deref(), Some("q"));
        find(&validated, "duplicate_key", "/nodes/0/intents/1/dtmf");
        find(&validated, "empty_value", "/nodes/0/intents/2/examples/0");
        find(&validated, "invalid_key", "/nodes/0/intents/2/dtmf");
        let d = find(&validated, "intent_without_examples", "/nodes/0/intents/3");
        assert!(d.message.contains("\"c\""), "{}", d.message);
        find(&validated, "empty_value", "/nodes/0/intents/4/name");
        assert_eq!(
            validated.diagnostics.len(),
            6,
            "{}",
            summary(&validated.diagnostics)
        );
    }

    #[test]
    fn intents_too_alike_are_named() {
        let node = with(
            ask("q"),
            json!({ "next": null, "intents": [
            { "name": "退款", "examples": ["我要退款", "申请退款"], "next": "done" },
            { "name": "退货", "examples": ["我要退货", "东西怎么寄回去"], "next": "done" },
            { "name": "退钱", "examples": ["我要退款", "申请退款吧"], "next": "done" }
        ] }),
        );
        let validated = one(node);
        let d = find(&validated, "intents_alike", "/nodes/0/intents/2/examples");
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.message.contains("\"退款\" and \"退钱\""), "{}", d.message);
        assert_eq!(
            validated.diagnostics.len(),
            1,
            "{}",
            summary(&validated.diagnostics)
        );
    }

    #[test]
    fn variable_names() {
        let d = only(
            &one(with(ask("q"), json!({ "save_as": "1st answer" }))),
            "invalid_variable",
            "/nodes/0/save_as",
        );
        assert!(d.message.contains("_1st_answer"), "{}", d.message);
        let set = json!({ "type": "set", "id": "s", "assign": [{ "var": "ok_1", "value": 1 }, { "var": "", "value": 2 }, { "var": "a.b", "value": "x" }], "next": "done" });
        let validated = one(set);
        find(&validated, "invalid_variable", "/nodes/0/assign/1/var");
        find(&validated, "invalid_variable", "/nodes/0/assign/2/var");
        assert_eq!(validated.diagnostics.len(), 2);
        let subflow = json!({ "type": "subflow", "id": "f", "flow": "child", "inputs": { "in-put": "x" }, "outputs": { "ok": "bad name" }, "next": "done" });
        let validated = one(subflow);
        find(&validated, "invalid_variable", "/nodes/0/inputs/in-put");
        find(&validated, "invalid_variable", "/nodes/0/outputs/ok");
        assert_eq!(validated.diagnostics.len(), 2);
        let mut value = flow(json!([end("done")]));
        value["variables"] = json!({ "good": 1, "not good": 2 });
        only(&validate(&value), "invalid_variable", "/variables/not good");
    }

    #[test]
    fn ranges() {
        let node = with(
            ask("q"),
            json!({
                "timeout_ms": 999, "threshold": 1.5, "no_match": { "max": 11, "next": "done" },
                "dtmf": { "max_digits": 0, "finish_on_key": "##" }
            }),
        );
        let validated = one(node);
        find(&validated, "out_of_range", "/nodes/0/timeout_ms");
        find(&validated, "out_of_range", "/nodes/0/threshold");
        find(&validated, "out_of_range", "/nodes/0/no_match/max");
        find(&validated, "out_of_range", "/nodes/0/dtmf/max_digits");
        find(&validated, "invalid_key", "/nodes/0/dtmf/finish_on_key");
        assert_eq!(
            validated.diagnostics.len(),
            5,
            "{}",
            summary(&validated.diagnostics)
        );
        clean(&one(with(
            ask("q"),
            json!({ "timeout_ms": 60_000, "threshold": 0, "no_match": { "max": 10, "next": "done" } }),
        )));
        let mut value = flow(json!([end("done")]));
        value["settings"] = json!({ "no_input_timeout_ms": 70_000, "intent_threshold": -0.1 });
        let validated = validate(&value);
        find(&validated, "out_of_range", "/settings/no_input_timeout_ms");
        find(&validated, "out_of_range", "/settings/intent_threshold");
    }

    #[test]
    fn language_and_names() {
        let mut value = flow(json!([end("done")]));
        for good in ["zh-CN", "en", "yue-Hant-HK", "cmn-Hans-CN"] {
            value["language"] = json!(good);
            clean(&validate(&value));
        }
        value["language"] = json!("zh_CN");
        let d = only(&validate(&value), "invalid_language", "/language");
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.message.contains("zh-CN"), "{}", d.message);
        value["language"] = json!("");
        only(&validate(&value), "empty_value", "/language");
        value["language"] = json!("en");
        value["name"] = json!("n".repeat(MAX_NAME_CHARS + 1));
        only(&validate(&value), "too_large", "/name");
        only(
            &one(with(say("s", "done"), json!({ "text": "" }))),
            "empty_text",
            "/nodes/0/text",
        );
        clean(&one(with(
            say("s", "done"),
            json!({ "text": "", "audio": "https://x/a.wav" }),
        )));
    }

    #[test]
    fn template_errors_carry_their_place() {
        let validated = one(with(
            say("s", "done"),
            json!({ "text": "您好，\n请稍等 {{ vars.name + }}" }),
        ));
        let d = only(&validated, "template_syntax", "/nodes/0/text");
        assert_eq!(d.node.as_deref(), Some("s"));
        assert_eq!((d.line, d.column), (Some(2), Some(20)));
        assert!(d.message.contains("line 2, column 20"), "{}", d.message);
        let d = only(
            &one(with(ask("q"), json!({ "prompt": "hi {{ vars.x" }))),
            "template_syntax",
            "/nodes/0/prompt",
        );
        assert_eq!((d.line, d.column), (Some(1), Some(4)));
        assert!(d.message.contains("not closed"), "{}", d.message);
    }

    #[test]
    fn every_template_field_is_parsed() {
        let bad = "{{ }}";
        let value = json!({
            "schema": 1, "name": "t", "language": "en", "start": "s",
            "nodes": [
                { "type": "say", "id": "s", "text": bad, "audio": bad, "next": "q" },
                { "type": "ask", "id": "q", "prompt": bad, "save_as": "a", "next": "m",
                  "no_match": { "prompts": [bad], "next": "m" }, "no_input": { "prompts": ["ok", bad], "next": "m" } },
                { "type": "menu", "id": "m", "prompt": bad, "choices": [{ "key": "1", "next": "h" }],
                  "no_match": { "prompts": [bad], "next": "h" }, "no_input": { "next": "h" } },
                { "type": "http", "id": "h", "url": bad, "headers": { "X-A": bad }, "body": bad, "next": "o", "error": "o" },
                { "type": "handoff", "id": "o", "queue": bad, "message": bad, "summary": bad, "error": "f" },
                { "type": "handoff", "id": "p", "phone": bad, "error": "f" },
                { "type": "handoff", "id": "r", "sip": bad, "error": "f" },
                { "type": "subflow", "id": "f", "flow": "x", "inputs": { "a": bad }, "next": "t" },
                { "type": "set", "id": "t", "assign": [{ "var": "a", "value": bad }, { "var": "b", "value": 1 }], "next": "e" },
                end("e")
            ],
            "settings": { "error_message": bad }
        });
        let validated = validate(&value);
        let fields: Vec<&str> = validated
            .diagnostics
            .iter()
            .filter(|d| d.code == "template_syntax")
            .map(|d| d.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "/nodes/0/text",
                "/nodes/0/audio",
                "/nodes/1/prompt",
                "/nodes/1/no_match/prompts/0",
                "/nodes/1/no_input/prompts/1",
                "/nodes/2/prompt",
                "/nodes/2/no_match/prompts/0",
                "/nodes/3/url",
                "/nodes/3/headers/X-A",
                "/nodes/3/body",
                "/nodes/4/queue",
                "/nodes/4/message",
                "/nodes/4/summary",
                "/nodes/5/phone",
                "/nodes/6/sip",
                "/nodes/7/inputs/a",
                "/nodes/8/assign/0/value",
                "/settings/error_message",
            ],
            "{}",
            summary(&validated.diagnostics)
        );
        assert!(validated
            .diagnostics
            .iter()
            .all(|d| d.code != "template_syntax" || (d.line, d.column) == (Some(1), Some(1))));
    }
}
