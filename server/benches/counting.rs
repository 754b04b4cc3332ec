//! What counting an ended web chat for the dashboard costs its last turn: reading its events,
//! its rows, summing a group commit's chats and the text PostgreSQL's turn writes.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::json;
use server::analytics::rollup;
use server::analytics::tally::Seen;
use server::store::{rows_to_json, sum_into, Call, CallOutcome, Channel, NewCallEvent, Rows};

/// The events of the load test's order-status chat (查物流, an order number, 没有了，谢谢).
fn events() -> Vec<NewCallEvent> {
    let at = 1_767_225_600_000;
    let e = |kind: &str, node: &str, data: serde_json::Value| NewCallEvent {
        at,
        kind: kind.to_owned(),
        node: Some(node.to_owned()),
        data,
    };
    vec![
        e("started", "start", json!({})),
        e("node_entered", "start", json!({})),
        e("node_entered", "ask_need", json!({})),
        e(
            "said",
            "ask_need",
            json!({"text": "您好，请问需要什么帮助？"}),
        ),
        e(
            "heard",
            "ask_need",
            json!({"text": "查物流", "intent": "track_order", "confidence": 0.93}),
        ),
        e("node_entered", "ask_order_id", json!({})),
        e("said", "ask_order_id", json!({"text": "请说出订单号"})),
        e(
            "heard",
            "ask_order_id",
            json!({"text": "二零二四零六一八零一", "slot": "2024061801"}),
        ),
        e("node_entered", "fetch_order", json!({})),
        e(
            "http_result",
            "fetch_order",
            json!({"status": 200, "ms": 3}),
        ),
        e("node_entered", "say_shipped", json!({})),
        e(
            "said",
            "say_shipped",
            json!({"text": "您的订单已由顺丰速运发出"}),
        ),
        e("node_entered", "ask_more", json!({})),
        e(
            "heard",
            "ask_more",
            json!({"text": "没有了，谢谢", "intent": "no"}),
        ),
        e("node_entered", "end", json!({})),
        e("ended", "end", json!({"outcome": "resolved"})),
    ]
}

fn call(n: usize) -> Call {
    Call {
        id: format!("cal_{n:026}"),
        tenant_id: "ten_01jg0000000000000000000000".to_owned(),
        flow_id: "flw_01jg0000000000000000000000".to_owned(),
        flow_version: Some(3),
        channel: Channel::Chat,
        direction: flow_engine::runtime::Direction::Inbound,
        from_number: None,
        to_number: None,
        started_at: 1_767_225_600_000,
        ended_at: Some(1_767_225_660_000),
        outcome: Some(CallOutcome::Resolved),
        summary: None,
        call_sid: None,
        duration_ms: Some(60_000),
        event_count: 16,
        carrier_status: None,
        carrier_duration_ms: None,
        answered_by: None,
        customer_id: None,
    }
}

fn counting(c: &mut Criterion) {
    let events = events();
    let zone: chrono_tz::Tz = "Asia/Shanghai".parse().expect("a zone");
    c.bench_function("counting/read a chat's events", |b| {
        b.iter(|| {
            let mut seen = Seen::default();
            for event in &events {
                seen.new_event(event);
            }
            black_box(seen)
        })
    });
    let mut seen = Seen::default();
    for event in &events {
        seen.new_event(event);
    }
    let one = call(0);
    c.bench_function("counting/a chat's rows", |b| {
        b.iter(|| black_box(rollup::at_end(&one, &seen, zone)))
    });
    let chats: Vec<Rows> = (0..32)
        .map(|n| rollup::at_end(&call(n), &seen, zone).expect("counted").rows)
        .collect();
    c.bench_function("counting/sum 32 chats", |b| {
        b.iter(|| {
            let mut total = Rows::new();
            for rows in &chats {
                sum_into(&mut total, rows);
            }
            black_box(total)
        })
    });
    let mut total = Rows::new();
    for rows in &chats {
        sum_into(&mut total, rows);
    }
    c.bench_function("counting/32 chats as text", |b| {
        b.iter(|| black_box(rows_to_json(&total)))
    });
}

criterion_group!(benches, counting);
criterion_main!(benches);
