//! Fixtures for the unit tests: small flows as JSON, ways to validate them and to read what
//! validation found, and ways to run them and to read what a turn did.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::compile::{CompileOptions, CompiledFlow};
use crate::messages::tests::assert_chinese;
use crate::model::FlowDocument;
use crate::runtime::{Action, CallInfo, Event, Record, Session};
use crate::script::Sandbox;
use crate::validate::{validate_json, validate_value, Diagnostic, Validated, ValidationContext};

pub(crate) fn sandbox() -> Arc<Sandbox> {
    Sandbox::shared()
}

/// Validates `value`; every problem found is also worded in Chinese, which must hold no English
/// beyond the user's own ids and values.
pub(crate) fn validate(value: &Value) -> Validated {
    let sandbox = sandbox();
    chinese_too(validate_value(value, &ValidationContext::new(&sandbox)))
}

pub(crate) fn validate_text(text: &str) -> Validated {
    let sandbox = sandbox();
    chinese_too(validate_json(text, &ValidationContext::new(&sandbox)))
}

#[track_caller]
fn chinese_too(validated: Validated) -> Validated {
    for diagnostic in &validated.diagnostics {
        assert_chinese(&diagnostic.text);
    }
    validated
}

/// A minimal valid flow around `nodes`, starting at the first one.
pub(crate) fn flow(nodes: Value) -> Value {
    let start = nodes[0]["id"].as_str().unwrap_or("start").to_owned();
    json!({ "schema": 1, "name": "test", "language": "zh-CN", "start": start, "nodes": nodes })
}

pub(crate) fn end(id: &str) -> Value {
    json!({ "type": "end", "id": id, "outcome": "resolved" })
}

pub(crate) fn say(id: &str, next: &str) -> Value {
    json!({ "type": "say", "id": id, "text": "您好", "next": next })
}

pub(crate) fn ask(id: &str) -> Value {
    json!({
        "type": "ask", "id": id, "prompt": "请问有什么可以帮您？", "save_as": "answer", "next": "done",
        "no_match": { "next": "done" }, "no_input": { "next": "done" }
    })
}

/// Nodes with `extra` merged into the node at index 0, followed by an `end` called `done`.
pub(crate) fn with(mut node: Value, extra: Value) -> Value {
    if let (Some(node), Some(extra)) = (node.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            if v.is_null() {
                node.remove(k);
            } else {
                node.insert(k.clone(), v.clone());
            }
        }
    }
    node
}

pub(crate) fn one(node: Value) -> Validated {
    validate(&flow(json!([node, end("done")])))
}

pub(crate) fn summary(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "{:?} {} {:?} {} — {}",
                d.severity, d.code, d.node, d.field, d.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
pub(crate) fn find<'a>(validated: &'a Validated, code: &str, field: &str) -> &'a Diagnostic {
    validated
        .diagnostics
        .iter()
        .find(|d| d.code == code && d.field == field)
        .unwrap_or_else(|| {
            panic!(
                "no {code} at {field}; got:\n{}",
                summary(&validated.diagnostics)
            )
        })
}

#[track_caller]
pub(crate) fn only(validated: &Validated, code: &str, field: &str) -> Diagnostic {
    assert_eq!(
        validated.diagnostics.len(),
        1,
        "expected only {code} at {field}:\n{}",
        summary(&validated.diagnostics)
    );
    find(validated, code, field).clone()
}

#[track_caller]
pub(crate) fn clean(validated: &Validated) {
    assert!(
        validated.diagnostics.is_empty(),
        "expected no problems:\n{}",
        summary(&validated.diagnostics)
    );
}

pub(crate) fn realistic_flow() -> Value {
    json!({
        "schema": 1,
        "name": "订单查询",
        "description": "Order status and returns",
        "language": "zh-CN",
        "start": "welcome",
        "variables": { "attempts": 0, "order_id": null },
        "nodes": [
            { "type": "say", "id": "welcome", "label": "欢迎", "position": { "x": 0, "y": 0 },
              "text": "您好，欢迎致电{{ tenant.name }}。", "next": "main" },
            { "type": "ask", "id": "main", "prompt": "请问您需要什么帮助？",
              "intents": [
                  { "name": "track_order", "examples": ["查订单", "我的快递到哪了"], "keywords": ["物流"], "dtmf": "1", "next": "order_number" },
                  { "name": "returns", "examples": ["我要退货"], "dtmf": "2", "next": "returns_menu" },
                  { "name": "question", "examples": ["我想问个问题"], "dtmf": "3", "next": "faq" },
                  { "name": "stop_calling", "examples": ["不要再打了"], "dtmf": "4", "next": "stop_calling" }
              ],
              "no_match": { "prompts": ["抱歉，我没听清。"], "max": 2, "next": "agent" },
              "no_input": { "prompts": ["您还在吗？"], "next": "agent" },
              "timeout_ms": 6000, "hints": ["退货", "订单"], "threshold": 0.6 },
            { "type": "ask", "id": "order_number", "prompt": "请说出或输入您的订单号，以井号结束。",
              "input": ["speech", "dtmf"],
              "slot": { "var": "order_id", "type": "order_number", "pattern": "\\d{8,12}" },
              "dtmf": { "max_digits": 12, "finish_on_key": "#" },
              "next": "lookup",
              "no_match": { "prompts": ["订单号是8到12位数字，请再说一次。"], "next": "agent" },
              "no_input": { "next": "agent" } },
            { "type": "http", "id": "lookup", "method": "GET",
              "url": "{{ tenant.api }}/orders/{{ vars.order_id }}",
              "headers": { "Authorization": "Bearer {{ tenant.token }}" },
              "timeout_ms": 3000,
              "save": { "order_status": "body.status", "eta": "body.delivery.eta", "http_status": "status" },
              "on_status": { "404": "not_found", "5xx": "agent" },
              "next": "route", "error": "agent" },
            { "type": "branch", "id": "route",
              "cases": [
                  { "when": "vars.order_status == \"shipped\"", "next": "shipped" },
                  { "when": "vars.order_status == \"pending\" && vars.attempts < 3", "next": "count" }
              ],
              "else": "agent" },
            { "type": "set", "id": "count", "assign": [
                  { "var": "attempts", "value": "{{ vars.attempts + 1 }}" },
                  { "var": "note", "value": { "pending": true } }
              ], "next": "pending" },
            { "type": "script", "id": "pending", "code": "let days = 3;\nvars.message = `预计${days}天内发货`;",
              "next": "pending_say", "error": "agent" },
            { "type": "say", "id": "pending_say", "text": "{{ vars.message }}", "next": "bye" },
            { "type": "say", "id": "shipped", "text": "您的订单已发货，预计{{ vars.eta }}送达。", "barge_in": false, "next": "bye" },
            { "type": "say", "id": "not_found", "text": "没有找到这个订单。", "next": "order_number" },
            { "type": "menu", "id": "returns_menu", "prompt": "退货请按1，换货请按2，返回请按0。",
              "choices": [
                  { "key": "1", "label": "退货", "next": "returns_flow" },
                  { "key": "2", "label": "换货", "next": "returns_flow" },
                  { "key": "0", "next": "main" }
              ],
              "no_match": { "next": "agent" }, "no_input": { "next": "agent" } },
            { "type": "subflow", "id": "returns_flow", "flow": "returns",
              "inputs": { "order_id": "{{ vars.order_id }}" }, "outputs": { "return_id": "return_id" },
              "next": "bye", "error": "agent" },
            { "type": "handoff", "id": "agent", "queue": "support", "message": "正在为您转接人工客服。",
              "summary": "订单 {{ vars.order_id }}", "no_answer": "sorry", "busy": "sorry", "error": "sorry" },
            { "type": "answer", "id": "faq", "knowledge_base": "shop-faq", "prompt": "请问您想了解什么？",
              "confirm": true, "answered": "bye", "no_answer": "agent", "unresolved": "agent",
              "no_input": { "prompts": ["您可以直接说出您的问题。"], "max": 1, "next": "agent" } },
            { "type": "say", "id": "sorry", "text": "抱歉，现在没有人工客服。", "next": "bye" },
            { "type": "opt_out", "id": "stop_calling", "prompt": "好的，以后不会再给您打电话了。", "next": "bye" },
            { "type": "end", "id": "bye", "outcome": "resolved" }
        ],
        "global_intents": [
            { "name": "agent", "examples": ["转人工", "人工客服"], "dtmf": "9", "next": "agent" }
        ],
        "settings": { "voice": "xiaoyun", "no_input_timeout_ms": 5000, "intent_threshold": 0.5,
                      "error_message": "系统繁忙，请稍后再拨。" }
    })
}

pub(crate) fn document(value: serde_json::Value) -> FlowDocument {
    serde_json::from_value(value).expect("a well-formed flow")
}

pub(crate) fn compile_with(
    value: serde_json::Value,
    options: &CompileOptions,
) -> Arc<CompiledFlow> {
    CompiledFlow::compile(&document(value), options)
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics))
}

pub(crate) fn compile(value: serde_json::Value) -> Arc<CompiledFlow> {
    compile_with(value, &CompileOptions::default())
}

pub(crate) fn start(flow: &Arc<CompiledFlow>) -> (Session, Vec<Action>) {
    let mut session = Session::new(flow.clone(), CallInfo::default());
    let actions = session.handle(Event::Started);
    (session, actions)
}

pub(crate) fn said(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Say { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

pub(crate) fn records(actions: &[Action]) -> Vec<&Record> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Record(r) => Some(r),
            _ => None,
        })
        .collect()
}

pub(crate) fn heard(text: &str) -> Event {
    Event::Heard {
        text: text.into(),
        confidence: Some(0.9),
    }
}

pub(crate) fn handoff_flow() -> Arc<CompiledFlow> {
    compile(json!({
        "schema": 1, "name": "handoff", "language": "zh-CN", "start": "ask",
        "variables": { "order_id": "123" },
        "nodes": [
            { "id": "ask", "type": "ask", "prompt": "请问？",
              "intents": [ { "name": "track", "examples": ["查物流"], "next": "bye" } ],
              "no_match": { "max": 0, "next": "agent" }, "no_input": { "max": 0, "next": "bye" } },
            { "id": "agent", "type": "handoff", "queue": "after-sales", "message": "正在转接",
              "summary": "订单{{vars.order_id}}", "busy": "busy", "error": "sorry" },
            { "id": "busy", "type": "say", "text": "坐席忙", "next": "fail" },
            { "id": "sorry", "type": "say", "text": "转接失败", "next": "fail" },
            { "id": "fail", "type": "end", "outcome": "failed" },
            { "id": "bye", "type": "end", "outcome": "resolved" }
        ],
        "global_intents": [ { "name": "human", "examples": ["转人工"], "dtmf": "0", "next": "agent" } ]
    }))
}
