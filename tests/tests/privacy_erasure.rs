//! Privacy on the real server, on SQLite and PostgreSQL: a data subject's conversations (a
//! phone call, a web chat with a handoff, a chat-widget visitor) found, exported and erased,
//! with every table of the database then searched for what was erased; and the retention purge
//! deleting exactly the conversations past it, counted once when two servers purge at once.

use std::time::Duration;

use callflow_tests::app::{TestApp, TestTenant};
use callflow_tests::catalogue::every_row;
use callflow_tests::fakes::twilio::{Caller, FakeTwilio, Step};
use callflow_tests::on_both_databases;
use reqwest::Method;
use serde_json::{json, Value};
use server::channels::webchat::{self, CallerInput, StartRequest};
use server::clock::Clock;
use server::flow_cache::Selector;
use server::store::{now_ms, Role, Store};
use sqlx::Connection;

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
const SHOP_NUMBER: &str = "+8657188880001";
const SHOP_ORIGIN: &str = "https://shop.example";

/// The person who asks to be erased: calls come in E.164, the chat gave the local form.
const ALICE: &str = "+8613800138000";
const ALICE_LOCAL: &str = "13800138000";
const ALICE_ON_THE_PHONE: &str = "斑马口令七七三一";
const ALICE_IN_CHAT: &str = "长颈鹿口令四四二零";
/// Another caller, who stays.
const BOB: &str = "13900139000";
const BOB_IN_CHAT: &str = "考拉口令五一五零";
const VISITOR_IN_CHAT: &str = "水獭口令九九八八";

fn support_flow() -> Value {
    json!({
        "schema": 1, "name": "support", "language": "zh-CN", "start": "ask",
        "nodes": [
            { "id": "ask", "type": "ask", "prompt": "您好，请问有什么可以帮您？",
              "intents": [ { "name": "track", "examples": ["查物流", "快递到哪了"], "next": "track" } ],
              "no_match": { "max": 0, "next": "ask" }, "no_input": { "max": 0, "next": "ask" } },
            { "id": "track", "type": "say", "text": "您的快递明天到。", "next": "bye" },
            { "id": "agent", "type": "handoff", "queue": "after-sales",
              "message": "正在为您转接人工客服", "summary": "客户要求人工",
              "next": "bye", "no_answer": "bye", "error": "bye" },
            { "id": "bye", "type": "end", "outcome": "resolved" }
        ],
        "global_intents": [ { "name": "human", "examples": ["转人工", "人工客服"], "next": "agent" } ]
    })
}

/// The tables that hold `needle` somewhere.
async fn tables_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let mut tables: Vec<String> = every_row(app)
        .await
        .into_iter()
        .filter(|(_, text)| text.contains(needle))
        .map(|(table, _)| table)
        .collect();
    tables.dedup();
    tables
}

async fn send(app: &TestApp, key: &str, session: &str, event: Value) -> Value {
    let (status, body) = app
        .api(
            Method::POST,
            key,
            &format!("/sessions/{session}/events"),
            Some(&event),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A chat through the sessions API from `from`, saying `words`, then leaving or asking for a
/// person (who is not there: the chat waits in the queue).
async fn chat(
    app: &TestApp,
    tenant: &TestTenant,
    flow_id: &str,
    from: &str,
    words: &str,
    person: bool,
) {
    let (status, session) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/sessions",
            Some(&json!({ "flow_id": flow_id, "from": from })),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let id = session["id"].as_str().expect("session id");
    send(
        app,
        &tenant.owner_key,
        id,
        json!({ "type": "text", "text": words }),
    )
    .await;
    let last = if person {
        json!({ "type": "text", "text": "转人工" })
    } else {
        json!({ "type": "hangup" })
    };
    send(app, &tenant.owner_key, id, last).await;
}

/// A phone call from `from` on the fake carrier, saying `words` and hanging up; waits until the
/// server has ended it.
async fn phone_call(
    app: &TestApp,
    tenant: &TestTenant,
    twilio: &FakeTwilio,
    from: &str,
    words: &str,
) {
    let log = twilio
        .inbound_call_with_status(
            &app.url("/twilio/voice"),
            from,
            SHOP_NUMBER,
            Caller::new(vec![Step::Say(words.to_owned()), Step::HangUp]),
            &app.url("/twilio/status"),
        )
        .await;
    for _ in 0..100 {
        let (status, page) = app
            .api(Method::GET, &tenant.owner_key, "/calls?channel=phone", None)
            .await;
        assert_eq!(status, 200, "{page}");
        let ended =
            page["calls"].as_array().into_iter().flatten().any(|call| {
                call["call_sid"] == log.call_sid.as_str() && !call["ended_at"].is_null()
            });
        if ended {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the call {} did not end", log.call_sid);
}

/// A widget visitor's chat saying `words`: how call records name the visitor.
async fn widget_chat(app: &TestApp, tenant: &TestTenant, flow_id: &str, words: &str) -> String {
    let (status, channel) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/widget-channels",
            Some(&json!({ "flow_id": flow_id, "name": "官网", "allowed_origins": [SHOP_ORIGIN] })),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let key = channel["key"].as_str().expect("key");
    let started: Value = app
        .client
        .post(app.url(&format!("/widget/v1/channels/{key}/conversations")))
        .header("origin", SHOP_ORIGIN)
        .send()
        .await
        .expect("start")
        .json()
        .await
        .expect("conversation");
    let token = started["visitor_token"].as_str().expect("token");
    let id = started["id"].as_str().expect("id");
    let sent = app
        .client
        .post(app.url(&format!(
            "/widget/v1/channels/{key}/conversations/{id}/messages"
        )))
        .header("origin", SHOP_ORIGIN)
        .header("x-callflow-visitor", token)
        .json(&json!({ "type": "text", "text": words }))
        .send()
        .await
        .expect("message");
    assert_eq!(sent.status(), 200);
    let (_, page) = app
        .api(Method::GET, &tenant.owner_key, "/calls?channel=chat", None)
        .await;
    page["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|call| call["from"].as_str())
        .find(|from| from.starts_with("visitor:"))
        .expect("the widget chat names its visitor")
        .to_owned()
}

async fn privacy(app: &TestApp, key: &str, action: &str, body: Value) -> (u16, Value) {
    app.api(
        Method::POST,
        key,
        &format!("/privacy/subjects/{action}"),
        Some(&body),
    )
    .await
}

async fn a_callers_data_is_found_exported_and_erased_from_every_table(mut app: TestApp) -> TestApp {
    let twilio = FakeTwilio::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let api = twilio.api_base_url();
    app.reconfigure(|config| config.telephony.twilio_api_url = api)
        .await;
    let tenant = app.tenant_for_examples("Privacy Shop").await;
    let telephony = json!({
        "twilio": { "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN },
        "speech": { "tts": { "provider": "twilio" } }
    });
    let (status, body) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            "/telephony",
            Some(&telephony),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (flow, _) = app
        .published_flow(&tenant.id, "support", &support_flow())
        .await;
    let binding = json!({ "flow_id": flow.id, "mode": "webhook" });
    let path = format!("/phone-numbers/{}", SHOP_NUMBER.replace('+', "%2B"));
    let (status, body) = app
        .api(Method::PUT, &tenant.owner_key, &path, Some(&binding))
        .await;
    assert_eq!(status, 200, "{body}");

    phone_call(&app, &tenant, &twilio, ALICE, ALICE_ON_THE_PHONE).await;
    chat(&app, &tenant, &flow.id, ALICE_LOCAL, ALICE_IN_CHAT, true).await;
    chat(&app, &tenant, &flow.id, BOB, BOB_IN_CHAT, false).await;
    let visitor = widget_chat(&app, &tenant, &flow.id, VISITOR_IN_CHAT).await;
    server::analytics::rollup::settle(&app.store)
        .await
        .expect("counted");

    // The search can fail: before the erasure the words are there, in the events and in the
    // phrasings not understood.
    let before = tables_holding(&app, ALICE_IN_CHAT).await;
    assert!(before.contains(&"call_events".to_owned()), "{before:?}");
    assert!(tables_holding(&app, ALICE_LOCAL)
        .await
        .contains(&"conversations".to_owned()));

    let asked = json!({ "phone": "+86 138 0013 8000" });
    let (status, found) = privacy(&app, &tenant.owner_key, "search", asked.clone()).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        (found["calls"].as_u64(), found["chats"].as_u64()),
        (Some(1), Some(1)),
        "{found}"
    );

    let editor = app.key(&tenant.id, Role::Editor).await;
    for action in ["search", "export", "erase"] {
        let (status, body) = privacy(&app, &editor, action, asked.clone()).await;
        assert_eq!(status, 403, "an editor may not {action}: {body}");
    }
    let (status, body) = app
        .api(Method::GET, &editor, "/privacy/retention", None)
        .await;
    assert_eq!(status, 403, "{body}");

    let response = app
        .client
        .post(app.url("/api/v1/privacy/subjects/export"))
        .bearer_auth(&tenant.owner_key)
        .json(&asked)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"]
        .to_str()
        .expect("header")
        .starts_with("attachment"));
    let export: Value = response.json().await.expect("the export");
    let conversations = export["conversations"].as_array().expect("conversations");
    assert_eq!(conversations.len(), 2, "{export}");
    let exported = export.to_string();
    for words in [ALICE_ON_THE_PHONE, ALICE_IN_CHAT, "客户要求人工"] {
        assert!(exported.contains(words), "{words} in the export");
    }
    assert!(
        !exported.contains(BOB_IN_CHAT),
        "nobody else's words are exported"
    );

    let (status, erased) = privacy(&app, &tenant.owner_key, "erase", asked.clone()).await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(erased["conversations"], 2, "{erased}");
    assert_eq!(erased["handoffs"], 1, "{erased}");
    assert!(erased["events"].as_u64().unwrap_or(0) >= 6, "{erased}");
    assert!(
        erased["unheard_texts"].as_u64().unwrap_or(0) >= 1,
        "{erased}"
    );

    for needle in [ALICE_LOCAL, ALICE_ON_THE_PHONE, ALICE_IN_CHAT] {
        let left = tables_holding(&app, needle).await;
        assert!(left.is_empty(), "{needle} is left in {left:?}");
    }
    let bob = tables_holding(&app, BOB_IN_CHAT).await;
    assert!(
        bob.contains(&"call_events".to_owned()),
        "Bob's chat stays: {bob:?}"
    );
    let (_, found) = privacy(&app, &tenant.owner_key, "search", json!({ "phone": BOB })).await;
    assert_eq!(found["chats"], 1, "{found}");

    let audit = app.store.list_audit(&tenant.id, 50).await.expect("audit");
    let entry = audit
        .iter()
        .find(|entry| entry.action == "privacy.erased")
        .expect("the erasure is audited");
    assert_eq!(entry.detail["subject"], "+861********00");
    assert_eq!(entry.detail["conversations"], 2);
    assert!(audit.iter().any(|entry| entry.action == "privacy.exported"));

    let (status, again) = privacy(&app, &tenant.owner_key, "erase", asked).await;
    assert_eq!(status, 200);
    assert_eq!(
        again["conversations"], 0,
        "nothing is left to erase: {again}"
    );

    // A chat-widget visitor, by the id call records show.
    let hash = visitor.trim_start_matches("visitor:").to_owned();
    assert!(!tables_holding(&app, &hash).await.is_empty());
    let (status, erased) = privacy(
        &app,
        &tenant.owner_key,
        "erase",
        json!({ "visitor": visitor }),
    )
    .await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(
        (
            erased["conversations"].as_u64(),
            erased["widget_links"].as_u64()
        ),
        (Some(1), Some(1))
    );
    for needle in [hash.as_str(), VISITOR_IN_CHAT] {
        let left = tables_holding(&app, needle).await;
        assert!(left.is_empty(), "{needle} is left in {left:?}");
    }
    app
}

async fn requests_that_name_nobody_are_refused_in_the_askers_language(app: TestApp) -> TestApp {
    let tenant = app.tenant("Privacy Checks").await;
    let ask = |body: Value, language: &'static str| {
        let app = &app;
        let key = tenant.owner_key.clone();
        async move {
            let response = app
                .client
                .post(app.url("/api/v1/privacy/subjects/search"))
                .bearer_auth(key)
                .header("accept-language", language)
                .json(&body)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("problem"))
        }
    };
    let (status, problem) = ask(json!({ "phone": "12ab" }), "zh-CN").await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "invalid_subject");
    assert_eq!(problem["errors"][0]["field"], "/phone");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("电话号码"));
    let (status, problem) = ask(json!({ "phone": ALICE, "customer": "C1" }), "en").await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["code"], "one_subject");
    let (status, problem) = ask(json!({}), "en").await;
    assert_eq!(status, 422, "{problem}");

    let (status, body) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            "/privacy/retention",
            Some(&json!({ "retention_days": 0 })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "/retention_days");
    let (status, body) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            "/privacy/retention",
            Some(&json!({ "retention_days": 30 })),
        )
        .await;
    assert_eq!(
        (status, body["retention_days"].as_u64()),
        (200, Some(30)),
        "{body}"
    );
    let (_, body) = app
        .api(Method::GET, &tenant.owner_key, "/privacy/retention", None)
        .await;
    assert_eq!(body["retention_days"], 30);
    app
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A chat at `at` from `from`, ended by the customer leaving unless `open`.
async fn chat_at(app: &TestApp, tenant_id: &str, flow_id: &str, at: i64, from: &str, open: bool) {
    let past = app.state().with_clock(Clock::manual(at));
    let request = StartRequest {
        flow_id: flow_id.to_owned(),
        selector: Selector::Published,
        vars: Default::default(),
        from: Some(from.to_owned()),
        to: None,
        customer: None,
        simulated: false,
    };
    let session = webchat::start(&past, tenant_id, request)
        .await
        .expect("start");
    let text = CallerInput::Text {
        text: format!("{from} 说的话"),
        confidence: None,
    };
    webchat::send(&past, tenant_id, &session.id, text)
        .await
        .expect("turn");
    if !open {
        webchat::send(&past, tenant_id, &session.id, CallerInput::HangUp)
            .await
            .expect("hang up");
    }
}

async fn callers(app: &TestApp, tenant_id: &str) -> Vec<String> {
    let mut connection = sqlx::AnyConnection::connect(&app.config.database_url)
        .await
        .expect("connection");
    let mut from: Vec<String> = sqlx::query_scalar(
        "SELECT from_number FROM conversations WHERE tenant_id = $1 ORDER BY from_number",
    )
    .bind(tenant_id)
    .fetch_all(&mut connection)
    .await
    .expect("conversations");
    let _ = connection.close().await;
    from.dedup();
    from
}

async fn the_retention_purge_deletes_exactly_what_is_past_it_once(app: TestApp) -> TestApp {
    let now = now_ms();
    let tenant = app.tenant_for_examples("Retention Shop").await;
    let keeper = app.tenant_for_examples("Keeps Everything").await;
    let (flow, _) = app
        .published_flow(&tenant.id, "support", &support_flow())
        .await;
    let (kept_flow, _) = app
        .published_flow(&keeper.id, "support", &support_flow())
        .await;
    let old = now - 40 * DAY_MS;
    for n in 0..6 {
        chat_at(
            &app,
            &tenant.id,
            &flow.id,
            old + n * 60_000,
            &format!("old-{n}"),
            false,
        )
        .await;
    }
    // Started long ago but not ended: not past the retention, which counts from the end.
    chat_at(&app, &tenant.id, &flow.id, old, "open", true).await;
    chat_at(&app, &tenant.id, &flow.id, now - DAY_MS, "recent", false).await;
    chat_at(&app, &keeper.id, &kept_flow.id, old, "kept", false).await;
    server::analytics::rollup::settle(&app.store)
        .await
        .expect("counted");
    app.change_settings(&tenant.id, |settings| settings.retention_days = Some(30))
        .await;

    // Two servers purge at once.
    let other = Store::connect(&app.config.database_url)
        .await
        .expect("a second server's store");
    let (first, second) = tokio::join!(
        server::privacy::retention::purge_all(&app.store, now),
        server::privacy::retention::purge_all(&other, now),
    );
    let purged: u64 = first
        .expect("first purge")
        .iter()
        .chain(second.expect("second purge").iter())
        .map(|(tenant_id, erased)| {
            assert_eq!(tenant_id, &tenant.id, "only the tenant with a retention");
            erased.conversations
        })
        .sum();
    assert_eq!(purged, 6, "each old conversation once");
    assert_eq!(callers(&app, &tenant.id).await, vec!["open", "recent"]);
    assert_eq!(callers(&app, &keeper.id).await, vec!["kept"]);
    assert!(tables_holding(&app, "old-3 说的话").await.is_empty());

    let audit = app.store.list_audit(&tenant.id, 20).await.expect("audit");
    let counted: u64 = audit
        .iter()
        .filter(|entry| entry.action == "retention.purged")
        .map(|entry| {
            assert_eq!(entry.actor, "system");
            // With two servers at once, one may delete every conversation and the other only
            // the phrasings left without a caller: each entry counts something, not the same.
            let deleted: u64 = [
                "conversations",
                "events",
                "handoffs",
                "widget_links",
                "unheard_texts",
            ]
            .iter()
            .map(|count| entry.detail[*count].as_u64().unwrap_or(0))
            .sum();
            assert!(
                deleted > 0,
                "an entry for a run that deleted nothing: {}",
                entry.detail
            );
            entry.detail["conversations"].as_u64().unwrap_or(0)
        })
        .sum();
    let events: u64 = audit
        .iter()
        .filter(|entry| entry.action == "retention.purged")
        .map(|entry| entry.detail["events"].as_u64().unwrap_or(0))
        .sum();
    assert!(events > 0, "the conversations' events are counted");
    assert_eq!(
        counted, 6,
        "the audit entries' counts add up to what was deleted"
    );

    let again = server::privacy::retention::purge_all(&app.store, now)
        .await
        .expect("purge");
    assert!(
        again.is_empty(),
        "nothing more is past the retention: {again:?}"
    );
    other.close().await;
    app
}

on_both_databases!(
    a_callers_data_is_found_exported_and_erased_from_every_table,
    requests_that_name_nobody_are_refused_in_the_askers_language,
    the_retention_purge_deletes_exactly_what_is_past_it_once,
);
