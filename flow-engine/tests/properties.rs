//! Property tests: random valid flows driven by random event sequences never panic, every turn
//! stays within the step limit, an ended call stays ended, and a snapshot taken anywhere resumes
//! into exactly the same continuation.

use std::sync::Arc;

use flow_engine::compile::{CompileOptions, RuntimeLimits};
use flow_engine::runtime::{
    Action, CallInfo, Event, HandoffStatus, HttpFailure, Record, Session, Snapshot,
};
use flow_engine::{CompiledFlow, FlowDocument};
use proptest::prelude::*;
use serde_json::{json, Value};

const TEXTS: &[&str] = &[
    "查物流",
    "我要退货",
    "转人工",
    "是的",
    "不用了",
    "一二三四五六七八",
    "十分",
    "嗯",
    "",
    "asdf",
    "where is my order",
    "agent",
    "不要再打了",
    "12345678",
    "按一",
];
const CONDITIONS: &[&str] = &[
    "vars.n > 2",
    r#"input.text == "是的""#,
    "vars.flag",
    r#"vars.s.len() > 3"#,
    "call.direction == \"outbound\"",
];
const SCRIPTS: &[&str] = &[
    "vars.n = vars.n + 1;",
    "vars.s += \"x\";",
    "throw \"broken\";",
    "vars.flag = !vars.flag;",
    "let t = 0; for i in 0..10 { t += i; } vars.n = t;",
];

const SLOT_TYPES: &[&str] = &["digits", "number", "yes_no", "phone_number"];
const OUTCOMES: &[&str] = &["resolved", "handoff", "abandoned", "failed"];

/// A node of the given kind whose ports point at the given node indices.
fn node(index: usize, kind: u8, ports: &[usize], pick: usize) -> Value {
    let id = format!("n{index}");
    let port = |k: usize| format!("n{}", ports[k % ports.len()]);
    match kind % 10 {
        0 => {
            json!({ "id": id, "type": "say", "text": format!("第{index}步 {{{{vars.n}}}}"), "next": port(0) })
        }
        1 => json!({
            "id": id, "type": "ask", "prompt": "请问？",
            "intents": [
                { "name": "track", "examples": ["查物流"], "keywords": ["快递"], "next": port(0) },
                { "name": "refund", "examples": ["我要退货"], "dtmf": "2", "next": port(1) }
            ],
            "no_match": { "prompts": ["没听清"], "max": pick % 3, "next": port(2) },
            "no_input": { "max": 1, "next": port(3) }
        }),
        2 => json!({
            "id": id, "type": "ask", "prompt": "请说订单号",
            "slot": { "var": "order", "type": SLOT_TYPES[pick % SLOT_TYPES.len()] },
            "next": port(0),
            "no_match": { "max": 1, "next": port(1) },
            "no_input": { "max": 0, "next": port(2) }
        }),
        3 => json!({
            "id": id, "type": "menu", "prompt": "按1或2",
            "choices": [ { "key": "1", "label": "查订单", "next": port(0) }, { "key": "2", "next": port(1) } ],
            "no_match": { "next": port(2) }, "no_input": { "next": port(3) }
        }),
        4 => json!({
            "id": id, "type": "branch",
            "cases": [ { "when": CONDITIONS[pick % CONDITIONS.len()], "next": port(0) } ],
            "else": port(1)
        }),
        5 => json!({
            "id": id, "type": "set",
            "assign": [ { "var": "n", "value": "{{ vars.n + 1 }}" }, { "var": "s", "value": "ok" } ],
            "next": port(0)
        }),
        6 => json!({
            "id": id, "type": "script", "code": SCRIPTS[pick % SCRIPTS.len()],
            "next": port(0), "error": port(1)
        }),
        7 => json!({
            "id": id, "type": "http", "url": "https://shop.example.test/orders/{{vars.order}}",
            "save": { "status_code": "status", "state": "body.status" },
            "on_status": { "404": port(2) }, "next": port(0), "error": port(1)
        }),
        8 => json!({
            "id": id, "type": "handoff", "queue": "after-sales", "summary": "订单{{vars.order}}",
            "next": port(0), "busy": port(1), "error": port(2)
        }),
        _ => {
            json!({ "id": id, "type": "end", "outcome": OUTCOMES[pick % OUTCOMES.len()] })
        }
    }
}

fn flow_strategy() -> impl Strategy<Value = FlowDocument> {
    (2usize..24)
        .prop_flat_map(|size| {
            (
                Just(size),
                prop::collection::vec((any::<u8>(), prop::collection::vec(0..size, 4), any::<usize>()), size),
                any::<bool>(),
            )
        })
        .prop_map(|(size, specs, with_global)| {
            let mut nodes: Vec<Value> = specs
                .iter()
                .enumerate()
                .map(|(i, (kind, ports, pick))| node(i, *kind, ports, *pick))
                .collect();
            // Every flow can end.
            nodes.push(json!({ "id": "done", "type": "end", "outcome": "resolved" }));
            let mut document = json!({
                "schema": 1, "name": "random", "language": "zh-CN", "start": "n0",
                "variables": { "n": 0, "s": "", "flag": false, "order": "" },
                "nodes": nodes,
            });
            if with_global {
                document["global_intents"] = json!([
                    { "name": "human", "examples": ["转人工"], "dtmf": "0", "next": format!("n{}", size - 1) }
                ]);
            }
            serde_json::from_value(document).expect("generated flows have the right shape")
        })
}

fn event_strategy() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => (0..TEXTS.len(), prop::option::of(0.0f32..1.0)).prop_map(|(i, confidence)| Event::Heard {
            text: TEXTS[i].to_owned(),
            confidence,
        }),
        2 => "[0-9*#]{1,9}".prop_map(|digits| Event::Digits { digits }),
        2 => Just(Event::NoInput),
        2 => (prop::sample::select(vec![200u16, 201, 404, 500, 503]), prop::sample::select(vec![
            r#"{"status":"shipped"}"#.to_owned(), "not json".to_owned(), String::new(),
        ])).prop_map(|(status, body)| Event::HttpResponse { status, headers: Default::default(), body }),
        1 => Just(Event::HttpFailed { failure: HttpFailure::Timeout, error: "timeout".into() }),
        1 => prop::sample::select(vec![
            HandoffStatus::Connected, HandoffStatus::NoAnswer, HandoffStatus::Busy, HandoffStatus::Failed,
        ]).prop_map(|status| Event::HandoffResult { status }),
        1 => Just(Event::PlaybackInterrupted),
        1 => Just(Event::HungUp),
        1 => Just(Event::Started),
    ]
}

const LIMITS: RuntimeLimits = RuntimeLimits {
    max_steps_per_turn: 50,
    max_steps_per_call: 400,
    max_subflow_depth: 4,
};

fn compile(document: &FlowDocument) -> Option<Arc<CompiledFlow>> {
    let options = CompileOptions {
        limits: LIMITS,
        ..CompileOptions::default()
    };
    match CompiledFlow::compile(document, &options) {
        Ok(flow) => Some(flow),
        Err(error) => {
            // The generator only makes flows whose sole possible fault is a loop that can
            // never wait for the caller.
            for diagnostic in &error.diagnostics {
                if diagnostic.severity == flow_engine::Severity::Error {
                    assert_eq!(diagnostic.code, "endless_loop", "{diagnostic:?}");
                }
            }
            None
        }
    }
}

fn steps(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Record(Record::NodeEntered { .. })))
        .count()
}

fn call() -> CallInfo {
    CallInfo {
        channel: "test".into(),
        ..CallInfo::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_flows_and_events_never_panic_and_respect_the_step_limit(
        document in flow_strategy(),
        events in prop::collection::vec(event_strategy(), 0..40),
    ) {
        let Some(flow) = compile(&document) else { return Ok(()) };
        let mut session = Session::new(flow, call());
        let mut total = 0;
        for event in std::iter::once(Event::Started).chain(events) {
            let was_ended = session.is_ended();
            let actions = session.handle(event);
            let taken = steps(&actions);
            prop_assert!(taken <= LIMITS.max_steps_per_turn as usize, "{taken} steps in one turn");
            total += taken;
            prop_assert!(total <= LIMITS.max_steps_per_call as usize, "{total} steps in one call");
            if was_ended {
                prop_assert!(session.is_ended());
                let only_ignored = actions
                    .iter()
                    .all(|a| matches!(a, Action::Record(Record::EventIgnored { .. })));
                prop_assert!(only_ignored, "an ended call only ignores events");
            }
            if actions.iter().any(|a| matches!(a, Action::Record(Record::StepLimit { .. }))) {
                prop_assert_eq!(session.outcome(), Some(flow_engine::model::Outcome::Failed));
            }
            let listens = actions.iter().filter(|a| matches!(a, Action::Listen(_))).count();
            prop_assert!(listens <= 1, "one listen per turn at most");
            if listens == 1 {
                prop_assert!(session.is_listening());
            }
        }
    }

    #[test]
    fn a_snapshot_resumes_into_the_same_continuation(
        document in flow_strategy(),
        before in prop::collection::vec(event_strategy(), 0..20),
        after in prop::collection::vec(event_strategy(), 0..20),
    ) {
        let Some(flow) = compile(&document) else { return Ok(()) };
        let mut session = Session::new(flow.clone(), call());
        for event in std::iter::once(Event::Started).chain(before) {
            session.handle(event);
        }
        let text = serde_json::to_string(&session.snapshot()).expect("snapshots serialize");
        let snapshot: Snapshot = serde_json::from_str(&text).expect("snapshots parse");
        prop_assert_eq!(&snapshot, &session.snapshot());
        let mut resumed = Session::resume(flow, snapshot).expect("a snapshot resumes on its own flow");
        prop_assert_eq!(resumed.current_node(), session.current_node());
        prop_assert_eq!(resumed.vars_json(), session.vars_json());
        for event in after {
            let original = session.handle(event.clone());
            let continued = resumed.handle(event);
            prop_assert_eq!(original, continued);
        }
        prop_assert_eq!(resumed.snapshot(), session.snapshot());
    }
}

#[test]
fn a_snapshot_does_not_resume_on_another_flow() {
    let one: FlowDocument = serde_json::from_value(json!({
        "schema": 1, "name": "one", "language": "zh-CN", "start": "bye",
        "nodes": [ { "id": "bye", "type": "end", "outcome": "resolved" } ]
    }))
    .expect("flow");
    let mut two = one.clone();
    two.name = "two".into();
    let first = compile(&one).expect("compiles");
    let second = compile(&two).expect("compiles");
    let snapshot = Session::new(first, call()).snapshot();
    assert!(matches!(
        Session::resume(second, snapshot),
        Err(flow_engine::runtime::ResumeError::OtherFlow)
    ));
}
