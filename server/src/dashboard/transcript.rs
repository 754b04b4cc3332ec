//! A call's events as the lines of its transcript: who said what, how it was heard, what the
//! flow did, each at its seconds from the start.

use flow_engine::messages::StoredMessage;
use flow_engine::msg;
use flow_engine::runtime::script_error_reason;
use serde::Deserialize;
use serde_json::Value;

use super::words::Words;
use crate::flows::names::Knowledge;
use crate::store::CallEvent;

/// One line of a transcript.
pub struct Line {
    /// Seconds from the start of the call, one decimal.
    pub at: String,
    /// `bot`, `caller`, `agent` or `system`.
    pub who: &'static str,
    /// The event's kind, for styling and tests.
    pub kind: String,
    /// The node's name as the flow's editor shows it.
    pub node: String,
    /// What was said, or what happened.
    pub text: String,
    /// How it was heard, what it led to.
    pub details: Vec<String>,
    /// For a caller who sounded angry or unhappy: the word and the anger, e.g. 生气 0.82.
    pub emotion: Option<EmotionBadge>,
}

/// How a caller's line sounded, when it is worth a look.
pub struct EmotionBadge {
    /// `angry` or `negative`, for styling and tests.
    pub label: &'static str,
    pub text: String,
}

impl EmotionBadge {
    /// The badge of a `heard` event's `emotion`; none for calm and pleased lines, and for
    /// events from before lines were scored.
    fn of(t: Words, emotion: Option<&Value>) -> Option<EmotionBadge> {
        let emotion = emotion?;
        let (label, word) = match emotion.get("label").and_then(Value::as_str)? {
            "angry" => ("angry", "emotion_angry"),
            "negative" => ("negative", "emotion_negative"),
            _ => return None,
        };
        let anger = number_of(emotion, "anger")?;
        Some(EmotionBadge {
            label,
            text: format!("{} {anger:.2}", t.w(word)),
        })
    }
}

fn text_of(data: &Value, field: &str) -> String {
    match data.get(field) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn number_of(data: &Value, field: &str) -> Option<f64> {
    data.get(field).and_then(Value::as_f64)
}

/// The words of an outcome, a handoff's result or a target kind; the name itself when it is
/// none this page knows.
fn named(t: Words, name: &str) -> String {
    let key = match name {
        "resolved" | "handoff" | "abandoned" | "failed" | "unreached" => name,
        "connected" => "handoff_connected",
        "no_answer" => "handoff_no_answer",
        "busy" => "handoff_busy",
        _ => return t.w("other_event").to_owned(),
    };
    t.w(key).to_owned()
}

fn node_of(event: &CallEvent) -> Option<&str> {
    event
        .node
        .as_deref()
        .or_else(|| event.data.get("node").and_then(Value::as_str))
}

/// What became of words that matched no intent at `node`, from the events before the caller's
/// next input: a `no_match` (not understood), a knowledge-base search (its own line says how it
/// went), or neither — the node took the words as the answer to its question (a slot, or
/// `save_as`: a reason, 是的), which matches no intent by design and is no failure.
fn without_intent(t: Words, after: &[CallEvent], node: &str) -> Option<String> {
    let mut searched = false;
    for event in after
        .iter()
        .take_while(|e| !matches!(e.kind.as_str(), "heard" | "digits"))
        .filter(|e| node_of(e) == Some(node))
    {
        match event.kind.as_str() {
            "no_match" => return Some(t.w("no_intent").to_owned()),
            kind if kind.starts_with("kb_") => searched = true,
            _ => {}
        }
    }
    (!searched).then(|| t.w("taken_as_answer").to_owned())
}

/// Why a transfer went to its queue, from its record's `route`: the routing rule that chose
/// it, by its number and its label (or its condition). `None` when no rule chose it.
pub fn route_reason(t: Words, transfer: &Value) -> Option<String> {
    let route = transfer.get("route")?;
    let index = route.get("index").and_then(Value::as_u64)?;
    let when = text_of(route, "when");
    let label = text_of(route, "label");
    let reason = if label.is_empty() {
        when
    } else {
        format!(
            "{label}{}",
            t.pick(&format!("（{when}）"), &format!(" ({when})"))
        )
    };
    Some(format!(
        "{}{}{reason}",
        t.w("routed_by_rule")
            .replace("{n}", &(index + 1).to_string()),
        t.pick("：", ": ")
    ))
}

/// How a transcript names what events record by key.
pub struct Naming<'a> {
    /// Knowledge entries by their questions.
    pub knowledge: &'a Knowledge,
    /// A node's name, from its id.
    pub node: &'a dyn Fn(&str) -> String,
    /// An intent's name, from its key.
    pub intent: &'a dyn Fn(&str) -> String,
    /// An agent queue's name, from its key.
    pub queue: &'a dyn Fn(&str) -> String,
    /// A result's name (its label), from its variable.
    pub result: &'a dyn Fn(&str) -> String,
}

/// The transcript of events that started at `started_at` (epoch milliseconds), with what
/// they record by key shown by its name (`naming`).
pub fn lines(t: Words, started_at: i64, events: &[CallEvent], naming: &Naming<'_>) -> Vec<Line> {
    let Naming {
        knowledge,
        node: node_name,
        intent: intent_name,
        queue: queue_name,
        result: result_name,
    } = naming;
    let colon = t.pick("：", ": ");
    let mut lines = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let data = &event.data;
        let node = node_of(event).unwrap_or_default().to_owned();
        let mut details = Vec::new();
        let mut emotion = None;
        let (who, text) = match event.kind.as_str() {
            "node_entered" | "event_ignored" => continue,
            "said" => ("bot", text_of(data, "text")),
            "heard" => {
                let intent = text_of(data, "intent");
                if !intent.is_empty() {
                    let score = number_of(data, "score")
                        .map(|s| format!(" ({} {:.2})", t.w("score"), s))
                        .unwrap_or_default();
                    let intent = intent_name(&intent);
                    details.push(format!("{}{colon}{intent}{score}", t.w("heard_as")));
                } else {
                    details.extend(without_intent(t, &events[index + 1..], &node));
                }
                if let Some(confidence) = number_of(data, "confidence") {
                    details.push(format!("{} {:.0}%", t.w("confidence"), confidence * 100.0));
                }
                emotion = EmotionBadge::of(t, data.get("emotion"));
                ("caller", text_of(data, "text"))
            }
            "emotion_triggered" => {
                if let (Some(anger), Some(threshold)) =
                    (number_of(data, "anger"), number_of(data, "threshold"))
                {
                    details.push(format!("{} {anger:.2} ≥ {threshold:.2}", t.w("anger")));
                }
                (
                    "system",
                    format!(
                        "{}{colon}{}",
                        t.w("emotion_triggered"),
                        node_name(&text_of(data, "next"))
                    ),
                )
            }
            "digits" => {
                let intent = text_of(data, "intent");
                if !intent.is_empty() {
                    let intent = intent_name(&intent);
                    details.push(format!("{}{colon}{intent}", t.w("heard_as")));
                }
                (
                    "caller",
                    format!("{}{colon}{}", t.w("pressed"), text_of(data, "digits")),
                )
            }
            "slot_filled" => {
                let value = match data.get("value") {
                    Some(Value::Bool(yes)) => t.w(if *yes { "yes" } else { "no" }).to_owned(),
                    _ => text_of(data, "value"),
                };
                (
                    "system",
                    format!(
                        "{}{colon}{} = {value}",
                        t.w("slot_filled"),
                        text_of(data, "var")
                    ),
                )
            }
            "no_match" => (
                "system",
                format!("{}{colon}{}", t.w("no_match"), text_of(data, "text")),
            ),
            "no_input" => {
                let count = text_of(data, "count");
                (
                    "system",
                    format!(
                        "{}（{}）",
                        t.w("no_input"),
                        t.w("time_n").replace("{n}", &count)
                    ),
                )
            }
            "http_requested" => (
                "system",
                format!(
                    "{}{colon}{} {}",
                    t.w("http_requested"),
                    text_of(data, "method"),
                    text_of(data, "url")
                ),
            ),
            "http_result" => {
                let status = text_of(data, "status");
                let result = if status.is_empty() {
                    t.w("http_failed").to_owned()
                } else {
                    format!("{} {status}", t.w("status"))
                };
                if text_of(data, "port") == "error" {
                    details.push(t.w("error_path").to_owned());
                }
                ("system", format!("{}{colon}{result}", t.w("http_result")))
            }
            "transfer" => {
                let target = match data.get("target") {
                    Some(Value::Object(target)) => target
                        .iter()
                        .map(|(kind, to)| {
                            let label = match kind.as_str() {
                                "queue" => t.w("queue"),
                                "phone" => t.w("phone"),
                                _ => "SIP",
                            };
                            let to = to.as_str().unwrap_or_default();
                            let to = match kind.as_str() {
                                "queue" => queue_name(to),
                                _ => to.to_owned(),
                            };
                            format!("{label} {to}")
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => String::new(),
                };
                details.extend(route_reason(t, data));
                let summary = text_of(data, "summary");
                if !summary.is_empty() {
                    details.push(format!("{}{colon}{summary}", t.w("transfer_summary")));
                }
                ("system", format!("{}{colon}{target}", t.w("transfer")))
            }
            "handoff_result" => (
                "system",
                format!(
                    "{}{colon}{}",
                    t.w("handoff_result"),
                    named(t, &text_of(data, "status"))
                ),
            ),
            "handoff_waiting" => (
                "system",
                format!(
                    "{}{colon}{}",
                    t.w("handoff_waiting"),
                    queue_name(&text_of(data, "queue"))
                ),
            ),
            "agent_joined" => (
                "system",
                t.w("agent_joined")
                    .replace("{agent}", &text_of(data, "agent")),
            ),
            "agent_said" => {
                details.push(text_of(data, "agent"));
                ("agent", text_of(data, "text"))
            }
            "caller_said" => {
                emotion = EmotionBadge::of(t, data.get("emotion"));
                ("caller", text_of(data, "text"))
            }
            "agent_left" => {
                let disposition = text_of(data, "disposition");
                let how = match disposition.as_str() {
                    "resolved" | "follow_up" | "not_resolved" | "handed_back" | "abandoned" => {
                        t.w(&format!("disposition_{disposition}")).to_owned()
                    }
                    _ => t.w("other_event").to_owned(),
                };
                (
                    "system",
                    format!(
                        "{}{colon}{how}",
                        t.w("agent_left")
                            .replace("{agent}", &text_of(data, "agent"))
                    ),
                )
            }
            "handed_back" => (
                "system",
                format!(
                    "{}{colon}{}",
                    t.w("handed_back"),
                    node_name(&text_of(data, "to"))
                ),
            ),
            "kb_answered" => {
                if let Some(score) = number_of(data, "score") {
                    details.push(format!("{} {score:.2}", t.w("score")));
                }
                (
                    "bot",
                    format!(
                        "{}{colon}“{}”（{}）",
                        t.w("kb_answer"),
                        knowledge.entry(&text_of(data, "entry")),
                        knowledge.base(&text_of(data, "knowledge_base")),
                    ),
                )
            }
            "kb_feedback" => {
                let verdict = if data.get("helpful").and_then(Value::as_bool) == Some(true) {
                    t.w("helpful")
                } else {
                    t.w("not_helpful")
                };
                (
                    "caller",
                    format!(
                        "{}{colon}“{}” {verdict}",
                        t.w("kb_feedback"),
                        knowledge.entry(&text_of(data, "entry"))
                    ),
                )
            }
            "kb_missed" => (
                "system",
                format!("{}{colon}{}", t.w("kb_no_answer"), text_of(data, "text")),
            ),
            "script_error" => {
                // Records stored before the reason was kept as a key and parameters have only
                // its English words.
                let text = data
                    .get("text")
                    .and_then(|text| StoredMessage::deserialize(text).ok());
                let locale = t.language.locale();
                let reason = script_error_reason(text.as_ref(), &text_of(data, "message"), locale);
                let line = msg!("script.error_at", node = node_name(&node), reason = reason);
                ("system", line.render(locale))
            }
            "step_limit" => ("system", t.w("step_limit").to_owned()),
            // `listed` is what the server made of the opt-out (conversation::list_opt_outs);
            // a chat, or a caller without a number, has none.
            "opted_out" => {
                let key = match text_of(data, "listed").as_str() {
                    "added" => "opted_out_added",
                    "already" => "opted_out_already",
                    _ => "opted_out_no_number",
                };
                ("system", t.w(key).to_owned())
            }
            "barge_in" => ("caller", t.w("barge_in").to_owned()),
            "result" => (
                "system",
                format!(
                    "{}{colon}{} = {}",
                    t.w("result_recorded"),
                    result_name(&text_of(data, "var")),
                    text_of(data, "value")
                ),
            ),
            "ended" => (
                "system",
                format!(
                    "{}{colon}{}",
                    t.w("ended"),
                    named(t, &text_of(data, "outcome"))
                ),
            ),
            "customer_lookup" => (
                "system",
                format!(
                    "{}{colon}{}",
                    t.w("customer_lookup"),
                    lookup_result(t, data)
                ),
            ),
            _ => ("system", t.w("other_event").to_owned()),
        };
        lines.push(Line {
            at: format!("{:.1}", (event.at - started_at).max(0) as f64 / 1000.0),
            who,
            kind: event.kind.clone(),
            node: if node.is_empty() {
                node
            } else {
                node_name(&node)
            },
            text,
            details,
            emotion,
        });
    }
    lines
}

/// What a conversation's customer lookup came to, in the reader's words.
fn lookup_result(t: Words, data: &Value) -> String {
    match data.get("outcome").and_then(Value::as_str) {
        Some("found") => {
            let customer = data.get("customer");
            let field = |key: &str| {
                customer
                    .and_then(|c| c.get(key))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            };
            let (name, vip) = (field("name"), field("vip"));
            let who = match (name.is_empty(), vip.is_empty()) {
                (false, false) => format!(
                    "{name}{}",
                    t.pick(&format!("（{vip}）"), &format!(" ({vip})"))
                ),
                (false, true) => name.to_owned(),
                (true, _) => String::new(),
            };
            format!("{} {who}", t.w("lookup_found"))
                .trim_end()
                .to_owned()
        }
        Some("not_found") => t.w("lookup_not_found").to_owned(),
        Some("skipped") => t.w("lookup_skipped").to_owned(),
        _ => {
            let reason = match data.get("reason").and_then(Value::as_str) {
                Some(
                    reason @ ("timeout" | "blocked" | "unreachable" | "invalid_request" | "status"
                    | "invalid_response" | "too_large" | "secret_unavailable"),
                ) => t.w(&format!("lookup_{reason}")).to_owned(),
                _ => t.w("lookup_failed_other").to_owned(),
            };
            let status = text_of(data, "status");
            let reason = if status.is_empty() {
                reason
            } else {
                format!("{reason} {status}")
            };
            t.w("lookup_failed").replace("{reason}", &reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::Language;
    use serde_json::json;

    /// Names as a test flow gives them: its nodes by `node`, `track_order` as 查快递, queues
    /// and results by their keys.
    fn naming<'a>(knowledge: &'a Knowledge, node: &'a dyn Fn(&str) -> String) -> Naming<'a> {
        fn intent(key: &str) -> String {
            if key == "track_order" {
                "查快递".to_owned()
            } else {
                key.to_owned()
            }
        }
        fn same(key: &str) -> String {
            key.to_owned()
        }
        Naming {
            knowledge,
            node,
            intent: &intent,
            queue: &same,
            result: &same,
        }
    }

    fn event(seq: i64, at: i64, kind: &str, data: Value) -> CallEvent {
        CallEvent {
            seq,
            at,
            kind: kind.to_owned(),
            node: data.get("node").and_then(Value::as_str).map(str::to_owned),
            data,
        }
    }

    /// An opt-out reads as what became of the number, in the viewer's language.
    #[test]
    fn an_opt_out_reads_as_what_became_of_the_number() {
        let events = [
            event(
                1,
                2_000,
                "opted_out",
                json!({"node": "stop", "listed": "added"}),
            ),
            event(
                2,
                3_000,
                "opted_out",
                json!({"node": "stop", "listed": "already"}),
            ),
            event(3, 4_000, "opted_out", json!({"node": "stop"})),
        ];
        let none = Knowledge::default();
        let read = |language| {
            super::lines(
                Words::new(language),
                1_000,
                &events,
                &Naming {
                    knowledge: &none,
                    node: &|n: &str| n.to_owned(),
                    intent: &|i: &str| i.to_owned(),
                    queue: &|q: &str| q.to_owned(),
                    result: &|r: &str| r.to_owned(),
                },
            )
            .into_iter()
            .map(|line| (line.who, line.text))
            .collect::<Vec<_>>()
        };
        assert_eq!(
            read(Language::Chinese),
            [
                ("system", "已登记不再来电".to_owned()),
                ("system", "已登记不再来电（号码原已在名单中）".to_owned()),
                (
                    "system",
                    "对方要求不再来电（没有电话号码，未登记）".to_owned()
                ),
            ]
        );
        assert_eq!(
            read(Language::English)[0],
            ("system", "Added to the do-not-call list".to_owned())
        );
    }

    /// A failed script reads as its node's name and its reason in the viewer's language; one
    /// stored before reasons were kept as keys shows the English words it has.
    #[test]
    fn a_failed_script_reads_with_its_reason_in_the_viewers_language() {
        let events = [
            event(
                1,
                1_000,
                "script_error",
                json!({"node": "check", "field": "/code", "error": "Runtime",
                    "message": "the script stopped with an error: 缺少订单号",
                    "text": {"key": "script.thrown_value", "params": {"value": "缺少订单号"}}}),
            ),
            event(
                2,
                2_000,
                "script_error",
                json!({"node": "check", "field": "/code", "error": "Runtime",
                    "message": "division by zero (in function f)",
                    "text": {"key": "script.in_function", "params": {
                        "error": {"key": "script.division_by_zero", "params": {}},
                        "function": "f"}}}),
            ),
            event(
                3,
                3_000,
                "script_error",
                json!({"node": "gone", "field": "/code", "error": "Runtime",
                    "message": "Function not found: f ()"}),
            ),
        ];
        let names = |node: &str| match node {
            "check" => "核对订单号".to_owned(),
            other => other.to_owned(),
        };
        let read = |language| {
            lines(
                Words::new(language),
                1_000,
                &events,
                &Naming {
                    knowledge: &Knowledge::default(),
                    node: &names,
                    intent: &|i: &str| i.to_owned(),
                    queue: &|q: &str| q.to_owned(),
                    result: &|r: &str| r.to_owned(),
                },
            )
            .into_iter()
            .map(|line| (line.who, line.text))
            .collect::<Vec<_>>()
        };
        assert_eq!(
            read(Language::Chinese),
            vec![
                (
                    "system",
                    "脚本出错（核对订单号）：脚本因出错而停止：缺少订单号".to_owned()
                ),
                (
                    "system",
                    "脚本出错（核对订单号）：除数为零（在函数 f 里）".to_owned()
                ),
                (
                    "system",
                    "脚本出错（gone）：Function not found: f ()".to_owned()
                ),
            ]
        );
        assert_eq!(
            read(Language::English),
            vec![
                (
                    "system",
                    "Script error in 核对订单号: the script stopped with an error: 缺少订单号"
                        .to_owned()
                ),
                (
                    "system",
                    "Script error in 核对订单号: division by zero (in function f)".to_owned()
                ),
                (
                    "system",
                    "Script error in gone: Function not found: f ()".to_owned()
                ),
            ]
        );
    }

    /// A recorded result reads by what the flow calls it, not by its variable.
    #[test]
    fn a_result_reads_by_its_label() {
        let events = [event(
            1,
            2_000,
            "result",
            json!({"var": "score", "kind": "score", "value": 9}),
        )];
        let labels = |var: &str| match var {
            "score" => "满意度评分".to_owned(),
            other => other.to_owned(),
        };
        let same = |key: &str| key.to_owned();
        let naming = Naming {
            knowledge: &Knowledge::default(),
            node: &same,
            intent: &same,
            queue: &same,
            result: &labels,
        };
        let read = |language| {
            lines(Words::new(language), 1_000, &events, &naming)[0]
                .text
                .clone()
        };
        assert_eq!(read(Language::Chinese), "记录结果：满意度评分 = 9");
        assert_eq!(read(Language::English), "Result: 满意度评分 = 9");
    }

    #[test]
    fn a_call_reads_as_its_turns() {
        let events = [
            event(
                1,
                1_000,
                "node_entered",
                json!({"node": "ask", "node_type": "ask"}),
            ),
            event(
                2,
                1_000,
                "said",
                json!({"node": "ask", "text": "请问有什么可以帮您？"}),
            ),
            event(
                3,
                4_500,
                "heard",
                json!({"node": "ask", "text": "查快递", "intent": "track_order", "score": 0.91, "confidence": 0.8}),
            ),
            event(
                4,
                5_000,
                "transfer",
                json!({"node": "agent", "target": {"queue": "after-sales"}, "summary": "客户要查快递"}),
            ),
            event(
                5,
                6_000,
                "ended",
                json!({"node": "bye", "outcome": "handoff"}),
            ),
        ];
        let none = Knowledge::default();
        let names = |node: &str| match node {
            "ask" => "询问来电需求".to_owned(),
            other => other.to_owned(),
        };
        let lines = lines(
            Words::new(Language::Chinese),
            1_000,
            &events,
            &naming(&none, &names),
        );
        assert_eq!(lines.len(), 4);
        assert_eq!((lines[0].who, lines[0].at.as_str()), ("bot", "0.0"));
        assert_eq!(lines[0].node, "询问来电需求");
        assert_eq!(lines[2].node, "agent", "a node without a name shows its id");
        assert_eq!(lines[1].text, "查快递");
        assert_eq!(lines[1].at, "3.5");
        assert_eq!(
            lines[1].details,
            vec!["识别为：查快递 (匹配度 0.91)", "语音置信度 80%"]
        );
        assert_eq!(lines[2].text, "转人工：队列 after-sales");
        assert_eq!(lines[2].details, vec!["交接摘要：客户要查快递"]);
        assert_eq!(lines[3].text, "通话结束：转人工");
        let english = super::lines(
            Words::new(Language::English),
            1_000,
            &events,
            &naming(&none, &names),
        );
        assert_eq!(english[3].text, "Call ended: Handed off");
    }

    #[test]
    fn the_customer_lookup_reads_as_what_it_found_or_why_not() {
        let events = [
            event(
                1,
                0,
                "customer_lookup",
                json!({"outcome": "found", "customer": {"name": "张伟", "vip": "金卡会员"}, "duration_ms": 3}),
            ),
            event(
                2,
                0,
                "customer_lookup",
                json!({"outcome": "failed", "reason": "status", "status": 500, "duration_ms": 9}),
            ),
            event(3, 0, "customer_lookup", json!({"outcome": "not_found"})),
        ];
        let read = |language| {
            lines(
                Words::new(language),
                0,
                &events,
                &Naming {
                    knowledge: &Knowledge::default(),
                    node: &|n: &str| n.to_owned(),
                    intent: &|i: &str| i.to_owned(),
                    queue: &|q: &str| q.to_owned(),
                    result: &|r: &str| r.to_owned(),
                },
            )
            .into_iter()
            .map(|line| line.text)
            .collect::<Vec<_>>()
        };
        assert_eq!(
            read(Language::Chinese),
            [
                "客户查询：找到 张伟（金卡会员）",
                "客户查询：未能查询（状态码 500），对话照常进行",
                "客户查询：商城没有这位客户",
            ]
        );
        assert_eq!(
            read(Language::English)[1],
            "Customer lookup: failed (status 500); the conversation went on without it"
        );
    }

    #[test]
    fn angry_and_unhappy_lines_carry_a_badge_and_the_trigger_its_line() {
        let events = [
            event(
                1,
                0,
                "heard",
                json!({"node": "ask", "text": "查物流", "emotion": {"anger": 0.0, "label": "neutral", "trend": 0.0}}),
            ),
            event(
                2,
                0,
                "heard",
                json!({"node": "ask", "text": "有点慢", "emotion": {"anger": 0.21, "label": "negative", "trend": 0.21}}),
            ),
            event(
                3,
                0,
                "heard",
                json!({"node": "ask", "text": "太失望了，我要投诉！", "emotion": {"anger": 0.82, "label": "angry", "trend": 0.86}}),
            ),
            event(
                4,
                0,
                "emotion_triggered",
                json!({"node": "ask", "anger": 0.86, "threshold": 0.5, "next": "agent"}),
            ),
            event(5, 0, "heard", json!({"node": "ask", "text": "以前的记录"})),
        ];
        let names = |node: &str| match node {
            "agent" => "转人工客服".to_owned(),
            other => other.to_owned(),
        };
        let none = Knowledge::default();
        let zh = lines(
            Words::new(Language::Chinese),
            0,
            &events,
            &naming(&none, &names),
        );
        let badges: Vec<Option<(&str, &str)>> = zh
            .iter()
            .map(|line| line.emotion.as_ref().map(|e| (e.label, e.text.as_str())))
            .collect();
        assert_eq!(
            badges,
            vec![
                None,
                Some(("negative", "不满 0.21")),
                Some(("angry", "生气 0.82")),
                None,
                None
            ]
        );
        assert_eq!(zh[3].who, "system");
        assert_eq!(zh[3].text, "来电者生气，转到：转人工客服");
        assert_eq!(zh[3].details, vec!["生气程度 0.86 ≥ 0.50"]);
        let en = lines(
            Words::new(Language::English),
            0,
            &events,
            &naming(&none, &names),
        );
        assert_eq!(
            en[2].emotion.as_ref().map(|e| e.text.as_str()),
            Some("angry 0.82")
        );
        assert_eq!(en[3].text, "Angry caller, sent to: 转人工客服");
    }

    #[test]
    fn an_answer_a_slot_takes_is_not_shown_as_a_miss() {
        let events = [
            event(1, 0, "heard", json!({"node": "confirm", "text": "是的"})),
            event(
                2,
                0,
                "slot_filled",
                json!({"node": "confirm", "var": "confirmed", "value": true}),
            ),
            event(3, 0, "heard", json!({"node": "ask", "text": "天气怎么样"})),
            event(
                4,
                0,
                "no_match",
                json!({"node": "ask", "count": 1, "text": "天气怎么样"}),
            ),
            event(
                5,
                0,
                "heard",
                json!({"node": "reason", "text": "尺码不合适"}),
            ),
            event(6, 0, "heard", json!({"node": "ask", "text": "发票怎么开"})),
            event(
                7,
                0,
                "kb_answered",
                json!({"node": "ask", "entry": "e1", "score": 0.8}),
            ),
        ];
        let same = |node: &str| node.to_owned();
        let lines = lines(
            Words::new(Language::Chinese),
            0,
            &events,
            &Naming {
                knowledge: &Knowledge::default(),
                node: &same,
                intent: &same,
                queue: &same,
                result: &|r: &str| r.to_owned(),
            },
        );
        let heard: Vec<(&str, Vec<String>)> = lines
            .iter()
            .filter(|line| line.kind == "heard")
            .map(|line| (line.text.as_str(), line.details.clone()))
            .collect();
        let taken = vec!["作为回答记下".to_owned()];
        assert_eq!(
            heard,
            vec![
                ("是的", taken.clone()),
                ("天气怎么样", vec!["未识别出意图".to_owned()]),
                // Saved as the node's answer (`save_as`): nothing says it missed.
                ("尺码不合适", taken),
                // The knowledge base's line says how its search went.
                ("发票怎么开", vec![]),
            ]
        );
    }

    #[test]
    fn a_transfer_says_which_routing_rule_chose_its_queue() {
        let events = [
            event(
                1,
                0,
                "transfer",
                json!({"node": "agent", "target": {"queue": "complaints"}, "summary": "",
                       "route": {"index": 0, "when": "call.emotion == \"angry\"", "label": "客户情绪激动"}}),
            ),
            event(
                2,
                0,
                "transfer",
                json!({"node": "agent", "target": {"queue": "refunds"}, "summary": "",
                       "route": {"index": 1, "when": "call.intent == \"refund\""}}),
            ),
        ];
        let none = Knowledge::default();
        let queue = |q: &str| match q {
            "complaints" => "投诉".to_owned(),
            other => other.to_owned(),
        };
        let zh = lines(
            Words::new(Language::Chinese),
            0,
            &events,
            &Naming {
                knowledge: &none,
                node: &|n: &str| n.to_owned(),
                intent: &|i: &str| i.to_owned(),
                queue: &queue,
                result: &|r: &str| r.to_owned(),
            },
        );
        assert_eq!(zh[0].text, "转人工：队列 投诉");
        assert_eq!(
            zh[0].details,
            vec!["按第 1 条转接规则：客户情绪激动（call.emotion == \"angry\"）"]
        );
        let en = lines(
            Words::new(Language::English),
            0,
            &events,
            &Naming {
                knowledge: &none,
                node: &|n: &str| n.to_owned(),
                intent: &|i: &str| i.to_owned(),
                queue: &queue,
                result: &|r: &str| r.to_owned(),
            },
        );
        assert_eq!(
            en[0].details,
            vec!["Routed by rule 1: 客户情绪激动 (call.emotion == \"angry\")"]
        );
        // Without a label, the condition is the reason.
        assert_eq!(
            en[1].details,
            vec!["Routed by rule 2: call.intent == \"refund\""]
        );
    }
}
