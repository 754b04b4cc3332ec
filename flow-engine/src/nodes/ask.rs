//! `ask`: asks a question and listens. It recognises intents, captures a slot (a value such as
//! an order number), or takes any answer; how it listens is shared with `menu`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use regex::Regex;
use rhai::Dynamic;

use super::listening::{self, CompiledRetry, Listener};
use super::{Compiled, Kind, Ports};
use crate::calendar::Date;
use crate::compile::NodeCompiler;
use crate::messages::term;
use crate::model::{
    default_input_modes, default_true, is_default_input_modes, is_true, node_common, InputMode,
    Intent, Retry,
};
use crate::msg;
use crate::slots;
use crate::validate::{Checker, Diagnostic, DTMF_MAX_DIGITS, MAX_TEXT_CHARS, NO_INPUT_TIMEOUT_MS};

node_common! {
    /// Asks a question and listens: recognises intents, captures a slot, or takes any answer.
    pub struct AskNode {
        /// The question (template).
        pub prompt: String,
        /// Input modes accepted (default both speech and DTMF).
        #[serde(default = "default_input_modes", skip_serializing_if = "is_default_input_modes")]
        pub input: Vec<InputMode>,
        /// Intents recognised here, each with its own port.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub intents: Vec<Intent>,
        /// A value to capture from the answer, e.g. an order number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub slot: Option<Slot>,
        /// Variable that receives the caller's raw answer (text or digits).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub save_as: Option<String>,
        /// Taken when the slot is captured, or on any answer when the node has neither intents nor
        /// a slot. Required in those cases.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub next: Option<String>,
        /// What happens when the answer matches nothing.
        pub no_match: Retry,
        /// What happens when the caller says nothing.
        pub no_input: Retry,
        /// Silence before a no-input, in milliseconds (flow default otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timeout_ms: Option<u32>,
        /// Phrases that help speech recognition (e.g. product names).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub hints: Vec<String>,
        /// DTMF collection rules.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub dtmf: Option<DtmfRules>,
        /// Minimum intent score for this node (0–1; flow default otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub threshold: Option<f32>,
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

/// A value captured from the caller's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// Variable that receives the value.
    pub var: String,
    /// What kind of value.
    #[serde(rename = "type")]
    pub kind: SlotType,
    /// For `order_number` (required) and `digits` (optional): a regular expression the digits or
    /// text must match entirely, e.g. `\d{8,12}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// For `number` and `amount`: smallest accepted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// For `number` and `amount`: largest accepted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// For `amount`: variable that receives the currency the caller named, as an ISO 4217 code
    /// (`CNY` for 块/元/¥, `USD` for "dollars"/$, …), or an empty string when none was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_var: Option<String>,
}

/// Kinds of slot value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlotType {
    /// A string of digits, spoken (一二三, 幺, "one two three") or keyed.
    Digits,
    /// A number, e.g. 七十五, "twenty one", 8.5.
    Number,
    /// An order number matching `pattern`.
    OrderNumber,
    /// A phone number.
    PhoneNumber,
    /// Yes or no (是/对/好的 … 不是/不用 …); stored as a boolean.
    YesNo,
    /// A date (明天, 下周三, 6月18号, 618, "next Friday", "June 18th", "in 3 days"), resolved
    /// against the call's local date; stored as `YYYY-MM-DD` (`weekday_name(vars.x, "zh-CN")`
    /// says its weekday). Weeks start on Monday; a date without a year is the next one to come.
    Date,
    /// An amount of money (一百二十块五, ¥120.5, 1.5万, "$19.99", "twenty bucks"); stored as a
    /// number, its currency in `currency_var` when set.
    Amount,
}

/// DTMF collection rules for an `ask` node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DtmfRules {
    /// Most digits to collect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_digits: Option<u32>,
    /// Key that ends the entry (default `#`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_on_key: Option<String>,
}

impl Kind for AskNode {
    const TYPE: &'static str = "ask";
    const WAITS: bool = true;

    fn sets_variable(&self, var: &str) -> bool {
        self.save_as.as_deref() == Some(var)
            || self
                .slot
                .as_ref()
                .is_some_and(|slot| slot.var == var || slot.currency_var.as_deref() == Some(var))
    }

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        for (i, intent) in self.intents.iter().enumerate() {
            ports.add(
                format!("/intents/{i}/next"),
                intent.display_name(),
                &intent.next,
            );
        }
        if let Some(next) = &self.next {
            ports.add("/next", "next", next);
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
        if self.input.is_empty() {
            let message = term("no_input_modes");
            c.error("no_input_modes", id, at("/input"), message);
        }
        let positions: Vec<usize> = (0..self.intents.len()).collect();
        c.intents(id, &at("/intents"), &self.intents, &positions, false);
        if self.global_intents {
            for (j, intent) in self.intents.iter().enumerate() {
                listening::check_shadowing(
                    c,
                    id,
                    at(&format!("/intents/{j}")),
                    Some(&intent.name),
                    None,
                );
                if let Some(key) = &intent.dtmf {
                    listening::check_shadowing(
                        c,
                        id,
                        at(&format!("/intents/{j}/dtmf")),
                        None,
                        Some(key),
                    );
                }
            }
        }
        if let Some(slot) = &self.slot {
            slot.check(c, id, base);
        }
        if let Some(save_as) = &self.save_as {
            c.variable(id, at("/save_as"), save_as);
        }
        self.check_next(c, base);
        listening::check_retry(c, id, &at("/no_match"), &self.no_match);
        listening::check_retry(c, id, &at("/no_input"), &self.no_input);
        c.range_u32(
            id,
            at("/timeout_ms"),
            self.timeout_ms,
            NO_INPUT_TIMEOUT_MS,
            "term.silence_timeout_ms",
        );
        c.phrases(id, base, "hints", &self.hints, "term.hint");
        if let Some(dtmf) = &self.dtmf {
            c.range_u32(
                id,
                at("/dtmf/max_digits"),
                dtmf.max_digits,
                DTMF_MAX_DIGITS,
                "term.max_digits",
            );
            if let Some(key) = &dtmf.finish_on_key {
                c.key(id, at("/dtmf/finish_on_key"), key, "term.finishing_key");
            }
        }
        c.threshold(id, at("/threshold"), self.threshold);
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        let slot = match &self.slot {
            Some(slot) => Some(CompiledSlot {
                var: slot.var.clone(),
                kind: slot.kind,
                pattern: slot
                    .pattern
                    .as_deref()
                    .map(|p| {
                        Regex::new(&format!("^(?:{p})$"))
                            .map_err(|e| c.internal("/slot/pattern", e.to_string()))
                    })
                    .transpose()?,
                min: slot.min,
                max: slot.max,
                currency_var: slot.currency_var.clone(),
            }),
            None => None,
        };
        let dtmf = self.dtmf.as_ref();
        Ok(Compiled::Listen(Box::new(Listener {
            prompt: c.template("/prompt", &self.prompt)?,
            modes: self.input.clone(),
            intents: c.intents(&self.intents)?,
            slot,
            save_as: self.save_as.clone(),
            next: c.optional_port("/next", self.next.as_deref())?,
            no_match: CompiledRetry::compile(c, "/no_match", &self.no_match)?,
            no_input: CompiledRetry::compile(c, "/no_input", &self.no_input)?,
            timeout_ms: c.no_input_timeout(self.timeout_ms),
            hints: self.hints.clone(),
            max_digits: dtmf.and_then(|d| d.max_digits),
            finish_on_key: Some(
                dtmf.and_then(|d| d.finish_on_key.clone())
                    .unwrap_or_else(|| "#".to_owned()),
            ),
            threshold: self.threshold.unwrap_or(c.threshold()),
            global_intents: self.global_intents,
            barge_in: self.barge_in,
            voice: c.voice(self.voice.as_ref()),
        })))
    }
}

/// A slot compiled: its pattern matches the whole answer.
pub(crate) struct CompiledSlot {
    pub var: String,
    kind: SlotType,
    pattern: Option<Regex>,
    min: Option<f64>,
    max: Option<f64>,
    pub currency_var: Option<String>,
}

/// A slot's value as captured, with the currency an amount was given in.
pub(crate) struct Captured {
    pub value: Dynamic,
    pub currency: Option<&'static str>,
}

impl From<Dynamic> for Captured {
    fn from(value: Dynamic) -> Self {
        Captured {
            value,
            currency: None,
        }
    }
}

impl CompiledSlot {
    /// Parses the slot's value from speech or keys, honouring its pattern and range; dates are
    /// resolved against `today`, the call's local date.
    pub fn value(&self, text: &str, today: Date) -> Option<Captured> {
        let captured = match self.kind {
            SlotType::Digits | SlotType::OrderNumber => {
                let digits = slots::parse_digits(text);
                let candidate = match (&self.pattern, digits) {
                    (Some(pattern), Some(digits)) if pattern.is_match(&digits) => digits,
                    // Order numbers may carry letters: try the text itself, tidied.
                    (Some(pattern), _) => {
                        let compact: String = text
                            .chars()
                            .filter(|c| c.is_ascii_alphanumeric())
                            .map(|c| c.to_ascii_uppercase())
                            .collect();
                        pattern.is_match(&compact).then_some(compact)?
                    }
                    (None, digits) => digits?,
                };
                Dynamic::from(candidate).into()
            }
            SlotType::Number => self.in_range(slots::parse_number(text)?)?.into(),
            SlotType::Amount => {
                let amount = slots::parse_amount(text)?;
                Captured {
                    value: self.in_range(amount.value)?,
                    currency: amount.currency,
                }
            }
            SlotType::PhoneNumber => Dynamic::from(slots::parse_phone(text)?).into(),
            SlotType::YesNo => Dynamic::from_bool(slots::parse_yes_no(text)?).into(),
            SlotType::Date => Dynamic::from(slots::parse_date(text, today)?.to_string()).into(),
        };
        Some(captured)
    }

    /// Whether the text answers in the slot's kind but outside its range (十五分 for a score
    /// of 0 to 10): still an answer to the question, a wrong one.
    pub fn out_of_range(&self, text: &str) -> bool {
        let number = match self.kind {
            SlotType::Number => slots::parse_number(text),
            SlotType::Amount => slots::parse_amount(text).map(|a| a.value),
            _ => None,
        };
        number.is_some_and(|n| self.in_range(n).is_none())
    }

    /// The number, if within the slot's range: whole numbers as integers.
    fn in_range(&self, number: f64) -> Option<Dynamic> {
        if self.min.is_some_and(|min| number < min) || self.max.is_some_and(|max| number > max) {
            return None;
        }
        Some(if number.fract() == 0.0 && number.abs() < 9.0e15 {
            Dynamic::from_int(number as i64)
        } else {
            Dynamic::from_float(number)
        })
    }
}

impl AskNode {
    /// `next` is needed exactly when it can be taken; and an answer should be kept somewhere.
    fn check_next(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        let next_used = self.slot.is_some() || self.intents.is_empty();
        match (&self.next, next_used) {
            (None, true) => {
                let message = if self.slot.is_some() {
                    term("missing_port.ask_slot")
                } else {
                    term("missing_port.ask_any")
                };
                c.error("missing_port", id, at("/next"), message);
            }
            (Some(_), false) => {
                let message = term("ignored_field.ask_next");
                c.warning("ignored_field", id, at("/next"), message);
            }
            _ => {}
        }
        if self.intents.is_empty() && self.slot.is_none() && self.save_as.is_none() {
            let message = term("answer_not_saved");
            c.warning("answer_not_saved", id, at("/save_as"), message);
        }
    }
}

impl Slot {
    fn check(&self, c: &mut Checker<'_>, id: Option<&str>, base: &str) {
        let at = |field: &str| format!("{base}{field}");
        c.variable(id, at("/slot/var"), &self.var);
        match (&self.pattern, self.kind) {
            (None, SlotType::OrderNumber) => {
                let message = term("missing_pattern");
                c.error("missing_pattern", id, at("/slot/pattern"), message);
            }
            (Some(pattern), kind) => {
                if c.text_size(
                    id,
                    at("/slot/pattern"),
                    pattern,
                    MAX_TEXT_CHARS,
                    "term.pattern",
                ) {
                    // Compiled the way the runtime uses it: matching the whole answer.
                    if let Err(error) = regex::Regex::new(&format!("^(?:{pattern})$")) {
                        let detail = regex_error_summary(&error);
                        let message = msg!("invalid_pattern", error = detail);
                        c.error("invalid_pattern", id, at("/slot/pattern"), message);
                    }
                }
                if !matches!(kind, SlotType::OrderNumber | SlotType::Digits) {
                    let message = term("ignored_field.pattern");
                    c.warning("ignored_field", id, at("/slot/pattern"), message);
                }
            }
            (None, _) => {}
        }
        for (value, name) in [(self.min, "min"), (self.max, "max")] {
            let Some(value) = value else { continue };
            if !matches!(self.kind, SlotType::Number | SlotType::Amount) {
                let message = msg!("ignored_field.number_bound", field = name);
                c.warning("ignored_field", id, at(&format!("/slot/{name}")), message);
            } else if !value.is_finite() {
                let message = msg!("out_of_range.finite", field = name);
                c.error("out_of_range", id, at(&format!("/slot/{name}")), message);
            }
        }
        if let Some(currency_var) = &self.currency_var {
            if self.kind == SlotType::Amount {
                c.variable(id, at("/slot/currency_var"), currency_var);
            } else {
                let message = term("ignored_field.currency_var");
                c.warning("ignored_field", id, at("/slot/currency_var"), message);
            }
        }
        if let (Some(min), Some(max)) = (self.min, self.max) {
            if min > max {
                let message = msg!("invalid_range", min = min, max = max);
                c.error("invalid_range", id, at("/slot/min"), message);
            }
        }
    }
}

/// regex errors span several lines with a caret diagram; the last line says what is wrong.
fn regex_error_summary(error: &regex::Error) -> String {
    let text = error.to_string();
    let summary = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("error:"))
        .map(|l| {
            l.trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| text.lines().last().unwrap_or_default().trim().to_owned());
    summary.trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;
    use serde_json::Value;

    use crate::compile::CompiledFlow;
    use crate::model::Outcome;
    use crate::runtime::{CallInfo, Event, Record, Session};
    use crate::testing::{ask, clean, compile, find, heard, one, only, records, said, start, with};
    use crate::validate::Severity;

    #[test]
    fn ask_ports_and_answers() {
        // A slot needs `next`.
        let node = with(
            ask("q"),
            json!({ "next": null, "save_as": null, "slot": { "var": "n", "type": "number" } }),
        );
        let d = only(&one(node), "missing_port", "/nodes/0/next");
        assert!(d.message.contains("captured"), "{}", d.message);
        // So does an ask that takes any answer.
        let node = with(ask("q"), json!({ "next": null }));
        only(&one(node), "missing_port", "/nodes/0/next");
        // Any answer, not stored.
        let node = with(ask("q"), json!({ "save_as": null }));
        let d = only(&one(node), "answer_not_saved", "/nodes/0/save_as");
        assert_eq!(d.severity, Severity::Warning);
        // With intents, `next` is never taken.
        let node = with(
            ask("q"),
            json!({ "intents": [{ "name": "yes", "examples": ["是"], "next": "done" }] }),
        );
        let d = only(&one(node), "ignored_field", "/nodes/0/next");
        assert_eq!(d.severity, Severity::Warning);
        let node = with(ask("q"), json!({ "input": [] }));
        only(&one(node), "no_input_modes", "/nodes/0/input");
    }

    #[test]
    fn slots() {
        let slot = |slot: Value| with(ask("q"), json!({ "slot": slot }));
        clean(&one(slot(
            json!({ "var": "n", "type": "number", "min": 1, "max": 9 }),
        )));
        clean(&one(slot(
            json!({ "var": "n", "type": "digits", "pattern": "\\d{4}" }),
        )));
        let d = only(
            &one(slot(json!({ "var": "n", "type": "order_number" }))),
            "missing_pattern",
            "/nodes/0/slot/pattern",
        );
        assert_eq!(d.node.as_deref(), Some("q"));
        let d = only(
            &one(slot(
                json!({ "var": "n", "type": "order_number", "pattern": "\\d{8,12" }),
            )),
            "invalid_pattern",
            "/nodes/0/slot/pattern",
        );
        assert!(
            d.message
                .starts_with("The pattern is not a valid regular expression: "),
            "{}",
            d.message
        );
        assert!(!d.message.contains('\n'), "{}", d.message);
        only(
            &one(slot(
                json!({ "var": "n", "type": "number", "min": 9, "max": 1 }),
            )),
            "invalid_range",
            "/nodes/0/slot/min",
        );
        only(
            &one(slot(json!({ "var": "order-id", "type": "digits" }))),
            "invalid_variable",
            "/nodes/0/slot/var",
        );
        let validated = one(slot(
            json!({ "var": "ok", "type": "yes_no", "pattern": "x", "min": 1 }),
        ));
        find(&validated, "ignored_field", "/nodes/0/slot/pattern");
        find(&validated, "ignored_field", "/nodes/0/slot/min");
        clean(&one(slot(json!({
            "var": "paid", "type": "amount", "min": 0, "max": 5000, "currency_var": "currency"
        }))));
        clean(&one(slot(json!({ "var": "day", "type": "date" }))));
        only(
            &one(slot(
                json!({ "var": "day", "type": "date", "currency_var": "c" }),
            )),
            "ignored_field",
            "/nodes/0/slot/currency_var",
        );
        only(
            &one(slot(
                json!({ "var": "paid", "type": "amount", "currency_var": "the currency" }),
            )),
            "invalid_variable",
            "/nodes/0/slot/currency_var",
        );
        only(
            &one(slot(json!({ "var": "day", "type": "date", "max": 3 }))),
            "ignored_field",
            "/nodes/0/slot/max",
        );
    }

    /// A flow that asks a question answered by `slot`, then says the captured value.
    fn slot_flow(slot: serde_json::Value) -> Arc<CompiledFlow> {
        compile(json!({
            "schema": 1, "name": "slot", "language": "zh-CN", "start": "ask",
            "nodes": [
                { "id": "ask", "type": "ask", "prompt": "请说", "slot": slot, "next": "echo",
                  "no_match": { "prompts": ["再说一遍"], "max": 5, "next": "bye" },
                  "no_input": { "max": 0, "next": "bye" } },
                { "id": "echo", "type": "say", "text": "值：{{vars.v}}", "next": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }))
    }

    #[test]
    fn slots_understand_chinese_and_english_answers() {
        let cases: &[(serde_json::Value, &str, serde_json::Value)] = &[
            (json!({ "var": "v", "type": "yes_no" }), "是的", json!(true)),
            (json!({ "var": "v", "type": "yes_no" }), "对", json!(true)),
            (json!({ "var": "v", "type": "yes_no" }), "好的", json!(true)),
            (
                json!({ "var": "v", "type": "yes_no" }),
                "不是",
                json!(false),
            ),
            (
                json!({ "var": "v", "type": "yes_no" }),
                "不用了",
                json!(false),
            ),
            (
                json!({ "var": "v", "type": "yes_no" }),
                "yes please",
                json!(true),
            ),
            (
                json!({ "var": "v", "type": "digits" }),
                "一二三",
                json!("123"),
            ),
            (
                json!({ "var": "v", "type": "digits" }),
                "幺三八两",
                json!("1382"),
            ),
            (
                json!({ "var": "v", "type": "digits" }),
                "one two three",
                json!("123"),
            ),
            (
                json!({ "var": "v", "type": "number", "min": 0, "max": 10 }),
                "十分",
                json!(10),
            ),
            (json!({ "var": "v", "type": "number" }), "七十五", json!(75)),
            (
                json!({ "var": "v", "type": "number" }),
                "twenty one",
                json!(21),
            ),
            (
                json!({ "var": "v", "type": "order_number", "pattern": "\\d{8}" }),
                "我的订单号是一二三四五六七八",
                json!("12345678"),
            ),
            (
                json!({ "var": "v", "type": "phone_number" }),
                "幺三八 一二三四 五六七八",
                json!("13812345678"),
            ),
            (
                json!({ "var": "v", "type": "amount" }),
                "一百二十块五",
                json!(120.5),
            ),
            (json!({ "var": "v", "type": "amount" }), "两百", json!(200)),
            // The test call starts at the epoch: Thursday 1 January 1970, UTC.
            (
                json!({ "var": "v", "type": "date" }),
                "明天",
                json!("1970-01-02"),
            ),
            (
                json!({ "var": "v", "type": "date" }),
                "next Monday",
                json!("1970-01-05"),
            ),
        ];
        for (slot, answer, expected) in cases {
            let flow = slot_flow(slot.clone());
            // Redaction off: the ended call keeps its variables as they were read.
            let call = CallInfo {
                redaction: crate::redact::Policy::off(),
                ..CallInfo::default()
            };
            let mut session = Session::new(flow, call);
            session.handle(Event::Started);
            let actions = session.handle(heard(answer));
            assert_eq!(
                session.vars_json().get("v"),
                Some(expected),
                "{answer}: {actions:?}"
            );
            assert_eq!(session.outcome(), Some(Outcome::Resolved), "{answer}");
        }
    }

    #[test]
    fn a_number_out_of_range_is_a_no_match() {
        let flow = slot_flow(json!({ "var": "v", "type": "number", "min": 0, "max": 10 }));
        let (mut session, _) = start(&flow);
        let actions = session.handle(heard("十五"));
        assert_eq!(said(&actions), vec!["再说一遍"]);
        assert!(records(&actions)
            .iter()
            .any(|r| matches!(r, Record::NoMatch { count: 1, .. })));
        assert_eq!(session.current_node(), Some("ask"));
    }
}
