//! Web-chat sessions and call records over HTTP, on SQLite and PostgreSQL: whole conversations
//! with the example flows against the built-in demo shop, restarts between turns, no-input,
//! hang-up and handoff, draft and published versions, subflows, the SSRF guard, the calls list
//! with its filters and paging, tenant isolation and roles.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use callflow_tests::app::{TestApp, TestTenant};
use callflow_tests::on_both_databases;
use flow_engine::runtime::Direction;
use reqwest::Method;
use serde_json::{json, Value};
use server::flow_http::DEMO_SHOP_BASE;
use server::store::{now_ms, Channel, NewCall, NewFlow, Role, Store};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

async fn request(
    app: &TestApp,
    method: Method,
    key: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    app.api(method, key, path, body).await
}

async fn get(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    request(app, Method::GET, key, path, None).await
}

async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> (u16, Value) {
    request(app, Method::POST, key, path, Some(&body)).await
}

/// A tenant whose `tenant.api` is the built-in demo shop, named 演示商城 in Chinese.
async fn shop_tenant(app: &TestApp, name: &str) -> TestTenant {
    let tenant = app.tenant(name).await;
    app.change_settings(&tenant.id, |settings| {
        settings.display_name = [
            ("zh-CN".to_owned(), "演示商城".to_owned()),
            ("en-US".to_owned(), "Demo Shop".to_owned()),
        ]
        .into();
        settings.api_base_url = Some(DEMO_SHOP_BASE.to_owned());
    })
    .await;
    tenant
}

fn example(file: &str) -> Value {
    let path = callflow_tests::root().join("flows").join(file);
    let text = std::fs::read_to_string(&path).expect("example flow");
    serde_json::from_str(&text).expect("JSON")
}

/// Creates a flow from a document (named as the document) and returns its id.
async fn create(app: &TestApp, tenant_id: &str, document: &Value) -> String {
    let name = document["name"].as_str().expect("name");
    let mut transaction = app.store.transaction().await.expect("transaction");
    let flow = transaction
        .create_flow(
            tenant_id,
            &NewFlow {
                name,
                draft: document,
            },
            now_ms(),
        )
        .await
        .expect("create flow");
    transaction.commit().await.expect("commit");
    flow.id
}

/// Publishes the flow's current draft.
async fn publish(app: &TestApp, tenant_id: &str, flow_id: &str) -> i64 {
    let flow = app
        .store
        .get_flow(tenant_id, flow_id)
        .await
        .expect("get flow")
        .expect("flow");
    let mut transaction = app.store.transaction().await.expect("transaction");
    let version = transaction
        .publish_flow(tenant_id, flow_id, flow.revision, "test", "test", now_ms())
        .await
        .expect("publish")
        .expect("published")
        .version;
    transaction.commit().await.expect("commit");
    version
}

async fn create_published(app: &TestApp, tenant_id: &str, document: &Value) -> String {
    let id = create(app, tenant_id, document).await;
    publish(app, tenant_id, &id).await;
    id
}

/// Replaces the draft.
async fn edit(app: &TestApp, tenant_id: &str, flow_id: &str, document: &Value) {
    let flow = app
        .store
        .get_flow(tenant_id, flow_id)
        .await
        .expect("get flow")
        .expect("flow");
    let mut transaction = app.store.transaction().await.expect("transaction");
    transaction
        .update_draft(
            tenant_id,
            flow_id,
            flow.revision,
            &NewFlow {
                name: &flow.name,
                draft: document,
            },
            now_ms(),
        )
        .await
        .expect("update draft")
        .expect("updated");
    transaction.commit().await.expect("commit");
}

async fn start(app: &TestApp, key: &str, body: Value) -> Value {
    let (status, view) = post(app, key, "/sessions", body).await;
    assert_eq!(status, 201, "{view}");
    view
}

async fn send(app: &TestApp, key: &str, session: &Value, event: Value) -> Value {
    let id = session["id"].as_str().expect("session id");
    let (status, view) = post(app, key, &format!("/sessions/{id}/events"), event).await;
    assert_eq!(status, 200, "{view}");
    view
}

fn text(text: &str) -> Value {
    json!({ "type": "text", "text": text })
}

fn digits(digits: &str) -> Value {
    json!({ "type": "digits", "digits": digits })
}

/// What the bot said in the turn, joined.
fn said(view: &Value) -> String {
    view["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["text"].as_str().expect("text"))
        .collect::<Vec<_>>()
        .join(" | ")
}

async fn call_of(app: &TestApp, key: &str, session: &Value) -> Value {
    let id = session["call_id"].as_str().expect("call id");
    let (status, call) = get(app, key, &format!("/calls/{id}")).await;
    assert_eq!(status, 200, "{call}");
    call
}

fn kinds(call: &Value) -> Vec<String> {
    events(call)
        .iter()
        .map(|e| e["kind"].as_str().expect("kind").to_owned())
        .collect()
}

fn events(call: &Value) -> &Vec<Value> {
    call["events"].as_array().expect("events")
}

/// The events are numbered 1, 2, … in order.
fn assert_ordered(call: &Value) {
    for (index, event) in events(call).iter().enumerate() {
        assert_eq!(event["seq"], json!(index + 1), "{event}");
    }
}

/// A one-question flow whose texts carry a label, to tell versions apart.
fn greeter(label: &str) -> Value {
    json!({
        "schema": 1, "name": "greeter", "language": "en-US", "start": "ask",
        "variables": { "answer": "" },
        "nodes": [
            { "id": "ask", "type": "ask", "prompt": format!("{label}: how can I help?"),
              "save_as": "answer", "next": "thanks",
              "no_match": { "max": 0, "next": "thanks" },
              "no_input": { "max": 0, "next": "thanks" } },
            { "id": "thanks", "type": "say", "text": format!("{label} thanks you for: {{{{vars.answer}}}}"),
              "next": "done" },
            { "id": "done", "type": "end", "outcome": "resolved" }
        ]
    })
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|line| {
            let (metric, value) = line.split_once(' ')?;
            (metric == name).then(|| value.trim().parse().ok())?
        })
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// A local HTTP server that answers every request with a small JSON body, and counts them.
fn local_api() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            let body = r#"{"greeting":"hello from the local API"}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (address, requests)
}

async fn list_calls(app: &TestApp, key: &str, query: &str) -> Value {
    let (code, page) = get(app, key, &format!("/calls{query}")).await;
    assert_eq!(code, 200, "{query}: {page}");
    page
}

// ---------------------------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------------------------

async fn order_status_conversation_is_recorded(app: TestApp) -> TestApp {
    let tenant = shop_tenant(&app, "Order Shop").await;
    let key = &tenant.owner_key;
    let flow_id = create_published(&app, &tenant.id, &example("order-status.json")).await;

    let session = start(
        &app,
        key,
        json!({ "flow_id": flow_id, "from": "web-visitor-7" }),
    )
    .await;
    assert!(said(&session).contains("欢迎致电演示商城"), "{session}");
    assert!(said(&session).contains("请问有什么可以帮您"), "{session}");
    assert_eq!(session["node"], "ask_need");
    assert_eq!(session["version"], 1);
    assert_eq!(session["turn"], 1);
    assert_eq!(session["ended"], false);
    assert_eq!(session["outcome"], Value::Null);
    assert_eq!(session["path"], json!(["greeting", "ask_need"]));
    assert_eq!(session["listen"]["modes"], json!(["speech", "dtmf"]));
    assert!(session["listen"]["timeout_ms"]
        .as_u64()
        .is_some_and(|t| t > 0));
    assert_eq!(session["messages"][0]["node"], "greeting");

    let asked = send(
        &app,
        key,
        &session,
        json!({ "type": "text", "text": "我的快递到哪了", "confidence": 0.92 }),
    )
    .await;
    assert_eq!(asked["intent"], "track_order");
    assert_eq!(asked["node"], "ask_order_id");
    assert!(said(&asked).contains("请说出或输入您的订单号"), "{asked}");
    assert_eq!(asked["listen"]["finish_on_key"], "#");

    let status = send(&app, key, &session, digits("2024061801#")).await;
    let lines = said(&status);
    assert!(lines.contains("正在为您查询"), "{lines}");
    assert!(
        lines.contains("您的订单已由顺丰速运发出，运单号尾号7890，预计明天下午送达。"),
        "{lines}"
    );
    assert_eq!(status["node"], "ask_anything_else");
    assert_eq!(status["vars"]["order_id"], "2024061801");
    assert_eq!(status["vars"]["status"], "shipped");
    assert_eq!(status["vars"]["customer_name"], "王先生");
    assert!(status["path"]
        .as_array()
        .expect("path")
        .contains(&json!("fetch_order")));

    let bye = send(&app, key, &session, text("不用了，谢谢")).await;
    assert!(said(&bye).contains("感谢您的来电"), "{bye}");
    assert_eq!(bye["ended"], true);
    assert_eq!(bye["outcome"], "resolved");
    assert_eq!(bye["node"], Value::Null);
    assert_eq!(bye["listen"], Value::Null);
    assert_eq!(bye["turn"], 4);

    // The session as stored shows the last turn.
    let id = session["id"].as_str().expect("id");
    let (code, stored) = get(&app, key, &format!("/sessions/{id}")).await;
    assert_eq!(code, 200);
    assert_eq!(stored["outcome"], "resolved");
    assert_eq!(stored["messages"], bye["messages"]);
    assert_eq!(stored["vars"], bye["vars"]);

    // After the end, nothing more is taken.
    let (code, problem) = post(&app, key, &format!("/sessions/{id}/events"), text("还有")).await;
    assert_eq!(code, 409);
    assert_eq!(problem["code"], "session_ended");

    let call = call_of(&app, key, &session).await;
    assert_eq!(call["flow_id"], flow_id.as_str());
    assert_eq!(call["flow_version"], 1);
    assert_eq!(call["channel"], "chat");
    assert_eq!(call["direction"], "inbound");
    assert_eq!(call["from"], "web-visitor-7");
    assert_eq!(call["outcome"], "resolved");
    assert!(call["ended_at"].as_i64().is_some());
    assert_eq!(call["summary"]["vars"]["order_id"], "2024061801");
    assert_ordered(&call);
    let kinds = kinds(&call);
    assert_eq!(kinds.first().map(String::as_str), Some("node_entered"));
    assert_eq!(kinds.last().map(String::as_str), Some("ended"));
    let events = events(&call);
    assert_eq!(events[0]["node"], "greeting");
    assert_eq!(events[1]["kind"], "said");
    assert!(events[1]["data"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("演示商城")));
    let heard = events
        .iter()
        .find(|e| e["kind"] == "heard")
        .expect("a heard event");
    assert_eq!(heard["node"], "ask_need");
    assert_eq!(heard["data"]["text"], "我的快递到哪了");
    assert_eq!(heard["data"]["intent"], "track_order");
    assert!(heard["data"]["score"].as_f64().is_some_and(|s| s > 0.0));
    assert!(heard["data"]["confidence"]
        .as_f64()
        .is_some_and(|c| (c - 0.92).abs() < 1e-3));
    let requested = events
        .iter()
        .find(|e| e["kind"] == "http_requested")
        .expect("an http request");
    assert_eq!(
        requested["data"]["url"],
        format!("{DEMO_SHOP_BASE}/orders/2024061801")
    );
    let result = events
        .iter()
        .find(|e| e["kind"] == "http_result")
        .expect("an http result");
    assert_eq!(result["data"]["status"], 200);
    assert_eq!(events.last().expect("end")["data"]["outcome"], "resolved");
    let position = |kind: &str| kinds.iter().position(|k| k == kind).expect(kind);
    assert!(position("heard") < position("digits"));
    assert!(position("digits") < position("http_requested"));
    assert!(position("http_requested") < position("http_result"));

    assert_eq!(metric(&app, "callflow_turns_total").await, 4.0);
    assert_eq!(metric(&app, "callflow_active_sessions").await, 0.0);
    app
}

async fn a_restart_between_turns_loses_nothing(app: TestApp) -> TestApp {
    let mut app = app;
    let tenant = shop_tenant(&app, "Restart Shop").await;
    let key = tenant.owner_key.clone();
    let flow_id = create_published(&app, &tenant.id, &example("order-status.json")).await;
    let session = start(&app, &key, json!({ "flow_id": flow_id })).await;
    let asked = send(&app, &key, &session, text("查订单")).await;
    assert_eq!(asked["node"], "ask_order_id");

    app.restart().await;
    let status = send(&app, &key, &session, digits("2024061801#")).await;
    assert!(said(&status).contains("顺丰速运"), "{status}");
    assert_eq!(status["turn"], 3);

    app.restart().await;
    let id = session["id"].as_str().expect("id");
    let (code, current) = get(&app, &key, &format!("/sessions/{id}")).await;
    assert_eq!(code, 200);
    assert_eq!(current["node"], "ask_anything_else");
    assert_eq!(current["vars"]["order_id"], "2024061801");
    let bye = send(&app, &key, &session, text("没有了，谢谢")).await;
    assert_eq!(bye["outcome"], "resolved");

    let call = call_of(&app, &key, &session).await;
    assert_eq!(call["outcome"], "resolved");
    assert_ordered(&call);
    let kinds = kinds(&call);
    for (kind, count) in [
        ("heard", 2),
        ("digits", 1),
        ("http_result", 1),
        ("ended", 1),
    ] {
        assert_eq!(
            kinds.iter().filter(|k| *k == kind).count(),
            count,
            "{kind}: {kinds:?}"
        );
    }
    app
}

async fn silence_and_hanging_up_abandon_the_call(app: TestApp) -> TestApp {
    let tenant = shop_tenant(&app, "Quiet Shop").await;
    let key = &tenant.owner_key;
    let flow_id = create_published(&app, &tenant.id, &example("order-status.json")).await;

    let session = start(&app, key, json!({ "flow_id": flow_id })).await;
    let first = send(&app, key, &session, json!({ "type": "no_input" })).await;
    assert!(said(&first).contains("您好，请问还在吗"), "{first}");
    assert_eq!(first["node"], "ask_need");
    let second = send(&app, key, &session, json!({ "type": "no_input" })).await;
    assert!(said(&second).contains("如果需要帮助"), "{second}");
    let gone = send(&app, key, &session, json!({ "type": "no_input" })).await;
    assert!(said(&gone).contains("没有听到您的声音"), "{gone}");
    assert_eq!(gone["outcome"], "abandoned");
    let call = call_of(&app, key, &session).await;
    assert_eq!(call["outcome"], "abandoned");
    let no_inputs: Vec<&Value> = events(&call)
        .iter()
        .filter(|e| e["kind"] == "no_input")
        .collect();
    assert_eq!(no_inputs.len(), 3);
    assert_eq!(no_inputs[2]["data"]["count"], 3);

    let other = start(&app, key, json!({ "flow_id": flow_id })).await;
    let hung_up = send(&app, key, &other, json!({ "type": "hangup" })).await;
    assert_eq!(hung_up["ended"], true);
    assert_eq!(hung_up["outcome"], "abandoned");
    assert_eq!(hung_up["messages"], json!([]));
    let call = call_of(&app, key, &other).await;
    assert_eq!(call["outcome"], "abandoned");
    let last = events(&call).last().expect("an event").clone();
    assert_eq!(last["kind"], "ended");
    assert_eq!(last["data"]["outcome"], "abandoned");
    let id = other["id"].as_str().expect("id");
    let (code, problem) = post(
        &app,
        key,
        &format!("/sessions/{id}/events"),
        json!({ "type": "hangup" }),
    )
    .await;
    assert_eq!(code, 409);
    assert_eq!(problem["code"], "session_ended");
    assert_eq!(metric(&app, "callflow_active_sessions").await, 0.0);
    app
}

async fn asking_for_a_person_hands_off_with_a_summary(app: TestApp) -> TestApp {
    let tenant = shop_tenant(&app, "Handoff Shop").await;
    let key = &tenant.owner_key;
    let flow_id = create_published(&app, &tenant.id, &example("order-status.json")).await;
    let session = start(
        &app,
        key,
        json!({ "flow_id": flow_id, "vars": { "want_agent": false } }),
    )
    .await;
    send(&app, key, &session, text("查订单")).await;
    send(&app, key, &session, digits("2024061801#")).await;
    let handed = send(&app, key, &session, text("转人工")).await;
    assert!(said(&handed).contains("正在为您转接人工客服"), "{handed}");
    assert_eq!(handed["intent"], "agent");
    assert_eq!(handed["ended"], true);
    assert_eq!(handed["outcome"], "handoff");
    assert_eq!(handed["transfer"]["type"], "queue");
    assert_eq!(handed["transfer"]["target"], "orders");
    let summary = handed["transfer"]["summary"].as_str().expect("summary");
    assert!(
        summary.contains("订单号：2024061801") && summary.contains("客户：王先生"),
        "{summary}"
    );

    let call = call_of(&app, key, &session).await;
    assert_eq!(call["outcome"], "handoff");
    assert_eq!(call["summary"]["transfer"]["target"], "orders");
    assert_eq!(call["summary"]["transfer"]["summary"], summary);
    assert_eq!(call["summary"]["vars"]["order_id"], "2024061801");
    assert_eq!(call["summary"]["vars"]["carrier"], "顺丰速运");
    let transfer = events(&call)
        .iter()
        .find(|e| e["kind"] == "transfer")
        .expect("a transfer event");
    assert_eq!(transfer["data"]["target"], json!({ "queue": "orders" }));
    let result = events(&call)
        .iter()
        .find(|e| e["kind"] == "handoff_result")
        .expect("a handoff result");
    assert_eq!(result["data"]["status"], "connected");
    let heard = events(&call)
        .iter()
        .rev()
        .find(|e| e["kind"] == "heard")
        .expect("heard");
    assert_eq!(heard["data"]["intent"], "agent");
    assert_eq!(heard["data"]["global"], true);
    app
}

// ---------------------------------------------------------------------------------------------
// Versions and subflows
// ---------------------------------------------------------------------------------------------

async fn drafts_and_versions_run_what_they_started_on(app: TestApp) -> TestApp {
    let mut app = app;
    let tenant = app.tenant("Version Shop").await;
    let key = tenant.owner_key.clone();
    let flow_id = create(&app, &tenant.id, &greeter("One")).await;

    let (code, problem) = post(&app, &key, "/sessions", json!({ "flow_id": flow_id })).await;
    assert_eq!(code, 409, "{problem}");
    assert_eq!(problem["code"], "not_published");
    let (code, _) = post(
        &app,
        &key,
        "/sessions",
        json!({ "flow_id": flow_id, "version": 1 }),
    )
    .await;
    assert_eq!(code, 404);

    let first_draft = start(
        &app,
        &key,
        json!({ "flow_id": flow_id, "version": "draft" }),
    )
    .await;
    assert!(said(&first_draft).starts_with("One:"), "{first_draft}");
    assert_eq!(first_draft["version"], Value::Null);
    assert_eq!(first_draft["draft_revision"], 1);

    publish(&app, &tenant.id, &flow_id).await;
    edit(&app, &tenant.id, &flow_id, &greeter("Two")).await;

    let published = start(&app, &key, json!({ "flow_id": flow_id })).await;
    assert!(said(&published).starts_with("One:"), "{published}");
    assert_eq!(published["version"], 1);
    let numbered = start(&app, &key, json!({ "flow_id": flow_id, "version": 1 })).await;
    assert!(said(&numbered).starts_with("One:"), "{numbered}");
    let draft = start(
        &app,
        &key,
        json!({ "flow_id": flow_id, "version": "draft" }),
    )
    .await;
    assert!(said(&draft).starts_with("Two:"), "{draft}");
    assert_eq!(draft["draft_revision"], 2);

    // Editing and publishing again, then restarting, changes none of the running sessions.
    edit(&app, &tenant.id, &flow_id, &greeter("Three")).await;
    publish(&app, &tenant.id, &flow_id).await;
    app.restart().await;
    let answered = send(&app, &key, &draft, text("tea")).await;
    assert_eq!(said(&answered), "Two thanks you for: tea");
    assert_eq!(answered["outcome"], "resolved");
    let answered = send(&app, &key, &published, text("coffee")).await;
    assert_eq!(said(&answered), "One thanks you for: coffee");
    let answered = send(&app, &key, &first_draft, text("milk")).await;
    assert_eq!(said(&answered), "One thanks you for: milk");
    let latest = start(&app, &key, json!({ "flow_id": flow_id })).await;
    assert!(said(&latest).starts_with("Three:"), "{latest}");
    assert_eq!(latest["version"], 2);
    let call = call_of(&app, &key, &draft).await;
    assert_eq!(call["flow_version"], Value::Null);

    // Bad selectors and a broken draft.
    for version in [json!("latest"), json!(0), json!(1.5)] {
        let (code, problem) = post(
            &app,
            &key,
            "/sessions",
            json!({ "flow_id": flow_id, "version": version }),
        )
        .await;
        assert_eq!(code, 422, "{version}: {problem}");
        assert_eq!(problem["errors"][0]["field"], "/version");
    }
    let (code, _) = post(&app, &key, "/sessions", json!({ "flow_id": "flw_nope" })).await;
    assert_eq!(code, 404);
    let mut broken = greeter("Broken");
    broken["nodes"][0]["next"] = json!("nowhere");
    edit(&app, &tenant.id, &flow_id, &broken).await;
    let (code, problem) = post(
        &app,
        &key,
        "/sessions",
        json!({ "flow_id": flow_id, "version": "draft" }),
    )
    .await;
    assert_eq!(code, 422, "{problem}");
    assert_eq!(problem["code"], "flow_invalid");
    assert_eq!(problem["errors"][0]["node"], "ask");
    app
}

/// A call's records name its flow by title and its nodes as the version it ran named them: a
/// label, else the node's kind in the reader's language, numbered like the editor's.
async fn calls_name_their_flow_and_nodes(app: TestApp) -> TestApp {
    let tenant = app.tenant("Naming Shop").await;
    let key = tenant.owner_key.clone();
    let mut document = greeter("One");
    document["title"] = json!("问候流程");
    document["nodes"][1]["label"] = json!("致谢");
    let flow_id = create_published(&app, &tenant.id, &document).await;
    // Renamed after the call's version was published: the call keeps the old name.
    document["nodes"][1]["label"] = json!("新的致谢");
    edit(&app, &tenant.id, &flow_id, &document).await;

    let session = start(&app, &key, json!({ "flow_id": flow_id })).await;
    send(&app, &key, &session, text("tea")).await;
    let call = call_of(&app, &key, &session).await;
    assert_eq!(call["flow_title"], "问候流程", "{call}");
    let label_of = |call: &Value, node: &str| {
        events(call)
            .iter()
            .find(|e| e["node"] == node)
            .map(|e| e["node_label"].clone())
            .unwrap_or_else(|| panic!("an event at {node}: {call}"))
    };
    assert_eq!(label_of(&call, "thanks"), "致谢");
    assert_eq!(label_of(&call, "ask"), "提问");
    let english: Value = app
        .client
        .get(app.url(&format!(
            "/api/v1/calls/{}",
            call["id"].as_str().expect("id")
        )))
        .bearer_auth(&key)
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("call");
    assert_eq!(label_of(&english, "ask"), "Ask a question");

    let listed = list_calls(&app, &key, "").await;
    assert_eq!(listed["calls"][0]["flow_title"], "问候流程", "{listed}");
    app
}

fn calling(name: &str, child: &str) -> Value {
    json!({
        "schema": 1, "name": name, "language": "en-US", "start": "hello",
        "variables": { "name": "" },
        "nodes": [
            { "id": "hello", "type": "say", "text": "Hello from the parent.", "next": "child" },
            { "id": "child", "type": "subflow", "flow": child, "outputs": { "name": "name" },
              "next": "back" },
            { "id": "back", "type": "say", "text": "Back in the parent, {{vars.name}}.",
              "next": "done" },
            { "id": "done", "type": "end", "outcome": "resolved" }
        ]
    })
}

async fn subflows_run_and_cycles_are_refused(app: TestApp) -> TestApp {
    let tenant = app.tenant("Subflow Shop").await;
    let key = &tenant.owner_key;
    let child = json!({
        "schema": 1, "name": "ask-name", "language": "en-US", "start": "ask_name",
        "variables": { "name": "" },
        "nodes": [
            { "id": "ask_name", "type": "ask", "prompt": "What is your name?", "save_as": "name",
              "next": "nice", "no_match": { "max": 0, "next": "nice" },
              "no_input": { "max": 0, "next": "nice" } },
            { "id": "nice", "type": "say", "text": "Nice to meet you, {{vars.name}}.", "next": "done" },
            { "id": "done", "type": "end", "outcome": "resolved" }
        ]
    });
    let parent_id = create(&app, &tenant.id, &calling("welcome", "ask-name")).await;
    publish(&app, &tenant.id, &parent_id).await;
    let child_id = create(&app, &tenant.id, &child).await;

    let (code, problem) = post(&app, key, "/sessions", json!({ "flow_id": parent_id })).await;
    assert_eq!(code, 422, "{problem}");
    assert_eq!(problem["errors"][0]["code"], "subflow_not_published");
    assert_eq!(problem["errors"][0]["node"], "child");

    publish(&app, &tenant.id, &child_id).await;
    let session = start(&app, key, json!({ "flow_id": parent_id })).await;
    assert_eq!(
        said(&session),
        "Hello from the parent. | What is your name?"
    );
    assert_eq!(session["node"], "ask_name");
    let done = send(&app, key, &session, text("Li")).await;
    assert_eq!(
        said(&done),
        "Nice to meet you, Li. | Back in the parent, Li."
    );
    assert_eq!(done["outcome"], "resolved");

    let loop_a = create(&app, &tenant.id, &calling("loop-a", "loop-b")).await;
    create(&app, &tenant.id, &calling("loop-b", "loop-a")).await;
    let (code, problem) = post(
        &app,
        key,
        "/sessions",
        json!({ "flow_id": loop_a, "version": "draft" }),
    )
    .await;
    assert_eq!(code, 422, "{problem}");
    assert_eq!(problem["code"], "flow_invalid");
    assert_eq!(problem["errors"][0]["code"], "subflow_cycle");
    app
}

// ---------------------------------------------------------------------------------------------
// Outbound HTTP
// ---------------------------------------------------------------------------------------------

async fn private_addresses_are_refused_unless_allowed(app: TestApp) -> TestApp {
    let tenant = app.tenant("Local Shop").await;
    let key = &tenant.owner_key;
    let (address, _) = local_api();
    let flow = json!({
        "schema": 1, "name": "local-api", "language": "en-US", "start": "fetch",
        "variables": { "greeting": "" },
        "nodes": [
            { "id": "fetch", "type": "http", "method": "GET",
              "url": format!("http://{address}/x"), "timeout_ms": 3000,
              "save": { "greeting": "body.greeting" }, "next": "ok", "error": "failed" },
            { "id": "ok", "type": "say", "text": "The API says {{vars.greeting}}.", "next": "done" },
            { "id": "failed", "type": "say", "text": "The API is unreachable.", "next": "given_up" },
            { "id": "done", "type": "end", "outcome": "resolved" },
            { "id": "given_up", "type": "end", "outcome": "failed" }
        ]
    });
    let flow_id = create_published(&app, &tenant.id, &flow).await;

    let refused = start(&app, key, json!({ "flow_id": flow_id })).await;
    assert_eq!(said(&refused), "The API is unreachable.");
    assert_eq!(refused["outcome"], "failed");
    let call = call_of(&app, key, &refused).await;
    let result = events(&call)
        .iter()
        .find(|e| e["kind"] == "http_result")
        .expect("an http result");
    assert_eq!(result["data"]["port"], "error");
    let error = result["data"]["error"].as_str().expect("error");
    assert!(error.starts_with("blocked"), "{error}");
    assert!(error.contains("127.0.0.1"), "{error}");
    assert_eq!(result["data"]["failure"], "blocked");

    app.change_settings(&tenant.id, |settings| {
        settings.allowed_hosts = vec![address.to_string()];
    })
    .await;
    let allowed = start(&app, key, json!({ "flow_id": flow_id })).await;
    assert_eq!(said(&allowed), "The API says hello from the local API.");
    assert_eq!(allowed["outcome"], "resolved");
    app
}

/// Two servers on one database (behind a load balancer, say) take turns of the same
/// conversation: the copy a server kept from its last turn is behind, and the turn runs from the
/// database instead, with no lost or doubled step and no request made from the old state.
async fn two_servers_take_turns_of_one_conversation(app: TestApp) -> TestApp {
    let tenant = app.tenant("Busy Shop").await;
    let key = tenant.owner_key.clone();
    let (address, requests) = local_api();
    app.change_settings(&tenant.id, |settings| {
        settings.allowed_hosts = vec![address.to_string()];
    })
    .await;
    // Every answer is posted, then the bot asks again.
    let flow = json!({
        "schema": 1, "name": "lookup-loop", "language": "en-US", "start": "ask",
        "variables": { "answer": "", "greeting": "" },
        "nodes": [
            { "id": "ask", "type": "ask", "prompt": "Say something.", "save_as": "answer",
              "next": "fetch", "no_match": { "max": 0, "next": "fetch" },
              "no_input": { "max": 0, "next": "done" } },
            { "id": "fetch", "type": "http", "method": "POST",
              "url": format!("http://{address}/lookup"), "timeout_ms": 3000,
              "save": { "greeting": "body.greeting" }, "next": "echo", "error": "done" },
            { "id": "echo", "type": "say", "text": "{{vars.answer}}: {{vars.greeting}}",
              "next": "ask" },
            { "id": "done", "type": "end", "outcome": "resolved" }
        ]
    });
    let flow_id = create_published(&app, &tenant.id, &flow).await;
    let mut config = app.config.clone();
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let other = server::app::start(&config).await.expect("a second server");
    let other_url = |path: &str| format!("http://{}/api/v1{path}", other.address);

    let session = start(&app, &key, json!({ "flow_id": flow_id })).await;
    let id = session["id"].as_str().expect("id").to_owned();
    let on_first = send(&app, &key, &session, text("one")).await;
    assert_eq!(
        said(&on_first),
        "one: hello from the local API | Say something."
    );
    let on_other: Value = app
        .client
        .post(other_url(&format!("/sessions/{id}/events")))
        .bearer_auth(&key)
        .json(&text("two"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(
        said(&on_other),
        "two: hello from the local API | Say something."
    );
    assert_eq!(on_other["turn"], 3);
    // The first server's copy is from turn 2; the turn runs from the database's turn 3.
    let back = send(&app, &key, &session, text("three")).await;
    assert_eq!(
        said(&back),
        "three: hello from the local API | Say something."
    );
    assert_eq!(back["turn"], 4);
    assert_eq!(
        requests.load(Ordering::SeqCst),
        3,
        "one request per turn, none from the old copy"
    );
    let ended = send(&app, &key, &session, json!({ "type": "no_input" })).await;
    assert_eq!(ended["outcome"], "resolved");
    let call = call_of(&app, &key, &session).await;
    assert_ordered(&call);
    let heard: Vec<&str> = events(&call)
        .iter()
        .filter(|e| e["kind"] == "heard")
        .filter_map(|e| e["data"]["text"].as_str())
        .collect();
    assert_eq!(heard, ["one", "two", "three"]);
    other.stop().await.expect("stops");
    app
}

// ---------------------------------------------------------------------------------------------
// The calls list
// ---------------------------------------------------------------------------------------------

async fn calls_are_filtered_and_paged(app: TestApp) -> TestApp {
    let tenant = shop_tenant(&app, "List Shop").await;
    let key = &tenant.owner_key;
    let orders = create_published(&app, &tenant.id, &example("order-status.json")).await;
    let greeter_id = create_published(&app, &tenant.id, &greeter("One")).await;
    for _ in 0..3 {
        let session = start(&app, key, json!({ "flow_id": orders })).await;
        send(&app, key, &session, json!({ "type": "hangup" })).await;
    }
    for _ in 0..2 {
        let session = start(&app, key, json!({ "flow_id": greeter_id })).await;
        send(&app, key, &session, text("hi")).await;
    }
    start(
        &app,
        key,
        json!({ "flow_id": greeter_id, "version": "draft" }),
    )
    .await;

    let count = |page: &Value| page["calls"].as_array().expect("calls").len();
    let all = list_calls(&app, key, "").await;
    assert_eq!(count(&all), 5, "the draft's conversation is left out");
    assert!(all["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .all(|c| c["simulated"] == false));
    let with_drafts = list_calls(&app, key, "?include_simulated=true").await;
    assert_eq!(count(&with_drafts), 6);
    let simulated: Vec<&Value> = with_drafts["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter(|c| c["simulated"] == true)
        .collect();
    assert_eq!(simulated.len(), 1);
    assert_eq!(simulated[0]["flow_version"], Value::Null);
    assert_eq!(
        count(&list_calls(&app, key, "?include_simulated=false").await),
        5
    );
    assert_eq!(all["next_cursor"], Value::Null);
    let started: Vec<i64> = all["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["started_at"].as_i64().expect("started_at"))
        .collect();
    assert!(started.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let abandoned = list_calls(&app, key, "?outcome=abandoned").await;
    assert_eq!(count(&abandoned), 3);
    assert!(abandoned["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .all(|c| c["flow_id"] == orders.as_str() && c["outcome"] == "abandoned"));
    assert_eq!(count(&list_calls(&app, key, "?outcome=resolved").await), 2);
    assert_eq!(count(&list_calls(&app, key, "?channel=chat").await), 5);
    assert_eq!(count(&list_calls(&app, key, "?channel=phone").await), 0);
    assert_eq!(count(&list_calls(&app, key, "?direction=inbound").await), 5);
    assert_eq!(
        count(&list_calls(&app, key, "?direction=outbound").await),
        0
    );
    let (code, by_flow) = get(&app, key, &format!("/calls?flow_id={greeter_id}")).await;
    assert_eq!(code, 200);
    assert_eq!(count(&by_flow), 2);
    let (_, by_flow) = get(
        &app,
        key,
        &format!("/calls?flow_id={greeter_id}&include_simulated=true"),
    )
    .await;
    assert_eq!(count(&by_flow), 3);
    let (_, by_version) = get(&app, key, &format!("/calls?flow_id={greeter_id}&version=1")).await;
    assert_eq!(count(&by_version), 2);
    let oldest = started.iter().min().copied().unwrap_or_default();
    let (_, from) = get(&app, key, &format!("/calls?from={oldest}")).await;
    assert_eq!(count(&from), 5);
    let (_, to) = get(&app, key, &format!("/calls?to={oldest}")).await;
    assert_eq!(count(&to), 0);
    let (_, future) = get(&app, key, &format!("/calls?from={}", now_ms() + 60_000)).await;
    assert_eq!(count(&future), 0);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/calls?limit=4&cursor={cursor}"),
            None => "/calls?limit=4".to_owned(),
        };
        let (code, page) = get(&app, key, &path).await;
        assert_eq!(code, 200, "{page}");
        pages += 1;
        for call in page["calls"].as_array().expect("calls") {
            seen.push(call["id"].as_str().expect("id").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    let ids: Vec<String> = all["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(seen, ids, "pages cover every call once, in order");

    for (query, parameter) in [
        ("?limit=abc", "limit"),
        ("?limit=0", "limit"),
        ("?from=yesterday", "from"),
        ("?to=1.5", "to"),
        ("?version=two", "version"),
        ("?cursor=zz", "cursor"),
        ("?flow=x", "flow"),
        ("?outcome=bogus", "outcome"),
        ("?channel=sip", "channel"),
        ("?direction=sideways", "direction"),
        ("?include_simulated=yes", "include_simulated"),
        ("?from=2026-12-32", "from"),
        ("?to=2026-12-01T25:00:00Z", "to"),
        ("?version=0", "version"),
    ] {
        let (code, problem) = get(&app, key, &format!("/calls{query}")).await;
        assert_eq!(code, 400, "{query}: {problem}");
        assert_eq!(problem["code"], "invalid_parameter");
        assert_eq!(
            problem["errors"][0]["field"], parameter,
            "{query}: {problem}"
        );
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains(&format!("`{parameter}`"))),
            "{query}: {problem}"
        );
    }
    let (code, _) = get(&app, key, "/calls/cal_nope").await;
    assert_eq!(code, 404);
    app
}

/// Calls of version 1 of a new flow that started at these moments (epoch milliseconds).
async fn calls_started_at(app: &TestApp, tenant_id: &str, moments: &[i64]) -> Vec<String> {
    let flow_id = create_published(app, tenant_id, &greeter("Dated")).await;
    let mut ids = Vec::new();
    for &started_at in moments {
        let mut transaction = app.store.transaction().await.expect("transaction");
        let call = transaction
            .create_call(
                tenant_id,
                &Store::new_call_id(),
                &NewCall {
                    flow_id: &flow_id,
                    flow_version: Some(1),
                    channel: Channel::Chat,
                    direction: Direction::Inbound,
                    from_number: None,
                    to_number: None,
                    call_sid: None,
                },
                started_at,
            )
            .await
            .expect("create call")
            .expect("the flow exists");
        transaction.commit().await.expect("commit");
        ids.push(call.id);
    }
    ids
}

fn ids_of(page: &Value) -> Vec<&str> {
    page["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|call| call["id"].as_str())
        .collect()
}

async fn dates_are_read_in_the_tenants_time_zone(app: TestApp) -> TestApp {
    let tenant = app.tenant("New York Shop").await;
    app.change_settings(&tenant.id, |settings| {
        settings.time_zone = Some("America/New_York".into());
    })
    .await;
    let key = &tenant.owner_key;
    // 2026-12-01T04:00:00Z is 23:00 on 30 November in New York (and noon on 1 December in
    // Shanghai, the default zone); 06:00Z is 01:00 on 1 December in New York.
    let late_evening = 1_796_097_600_000;
    let after_midnight = 1_796_104_800_000;
    let ids = calls_started_at(&app, &tenant.id, &[late_evening, after_midnight]).await;
    let (evening, night) = (ids[0].as_str(), ids[1].as_str());

    let page = list_calls(&app, key, "?from=2026-12-01").await;
    assert_eq!(
        ids_of(&page),
        [night],
        "1 December starts at 05:00Z in New York"
    );
    let page = list_calls(&app, key, "?to=2026-12-01").await;
    assert_eq!(ids_of(&page), [evening]);
    let page = list_calls(&app, key, "?from=2026-11-30&to=2026-12-02").await;
    assert_eq!(ids_of(&page), [night, evening]);
    // Timestamps carry their own offset; `+` must be escaped in a query string.
    let page = list_calls(&app, key, "?from=2026-11-30T23:30:00-05:00").await;
    assert_eq!(ids_of(&page), [night]);
    let page = list_calls(&app, key, "?to=2026-12-01T12:00:01%2B08:00").await;
    assert_eq!(ids_of(&page), [evening]);
    let page = list_calls(&app, key, "?from=2026-12-01T05:00:00Z").await;
    assert_eq!(ids_of(&page), [night]);
    // Epoch milliseconds, as before.
    let page = list_calls(&app, key, &format!("?from={after_midnight}")).await;
    assert_eq!(ids_of(&page), [night]);
    let page = list_calls(&app, key, &format!("?to={after_midnight}")).await;
    assert_eq!(ids_of(&page), [evening]);
    app
}

async fn bad_filters_are_explained_in_the_askers_language(app: TestApp) -> TestApp {
    let tenant = app.tenant("Lingual Shop").await;
    for (language, detail_start, message_part) in [
        (
            "zh-CN,zh;q=0.9",
            "查询参数 `outcome` 有误",
            "应为 resolved、handoff",
        ),
        (
            "en-US,en;q=0.9",
            "the query parameter `outcome` is wrong",
            "must be one of resolved",
        ),
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/calls?outcome=bogus"))
            .bearer_auth(&tenant.owner_key)
            .header("accept-language", language)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            Some("application/problem+json")
        );
        let problem: Value = response.json().await.expect("JSON");
        assert_eq!(problem["code"], "invalid_parameter");
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.starts_with(detail_start), "{language}: {detail}");
        assert!(detail.contains("bogus"), "{detail}");
        assert_eq!(problem["errors"][0]["field"], "outcome");
        let message = problem["errors"][0]["message"].as_str().expect("message");
        assert!(message.contains(message_part), "{language}: {message}");
    }
    app
}

async fn idle_chats_end_and_late_turns_are_told(app: TestApp) -> TestApp {
    let tenant = shop_tenant(&app, "Idle Shop").await;
    let key = &tenant.owner_key;
    let flow_id = create_published(&app, &tenant.id, &example("order-status.json")).await;
    let idle = start(&app, key, json!({ "flow_id": flow_id })).await;
    // A turn first, so that the server keeps the session in memory as it does between turns.
    let waiting = send(&app, key, &idle, text("你好")).await;
    assert_eq!(waiting["ended"], false, "{waiting}");
    let draft = start(&app, key, json!({ "flow_id": flow_id, "version": "draft" })).await;

    // What the periodic job does once the customer has been quiet for more than 30 minutes.
    let later = now_ms() + 31 * 60_000;
    let ended = app
        .store
        .end_idle_chats(later)
        .await
        .expect("ends idle chats");
    assert_eq!(ended.len(), 2, "{ended:?}");

    let id = idle["id"].as_str().expect("id");
    let (code, problem) = post(&app, key, &format!("/sessions/{id}/events"), text("还在吗")).await;
    assert_eq!(code, 409, "{problem}");
    assert_eq!(problem["code"], "session_ended");
    let (code, session) = get(&app, key, &format!("/sessions/{id}")).await;
    assert_eq!(code, 200);
    assert_eq!(
        (
            &session["ended"],
            &session["outcome"],
            &session["node"],
            &session["listen"]
        ),
        (
            &json!(true),
            &json!("abandoned"),
            &Value::Null,
            &Value::Null
        ),
        "{session}"
    );
    let call = call_of(&app, key, &idle).await;
    assert_eq!(call["outcome"], "abandoned");
    assert!(
        call["duration_ms"].as_i64().is_some_and(|ms| ms >= 0),
        "{call}"
    );
    assert!(
        call["ended_at"].as_i64().is_some_and(|at| at < later),
        "ended at the last activity, not when noticed: {call}"
    );
    let last = events(&call).last().expect("an event");
    assert_eq!(
        (&last["kind"], &last["data"]["reason"]),
        (&json!("ended"), &json!("idle"))
    );
    assert_ordered(&call);
    assert!(
        !events(&call).iter().any(|e| e["data"]["text"] == "还在吗"),
        "the late turn left nothing behind"
    );

    let simulated = call_of(&app, key, &draft).await;
    assert_eq!(
        (&simulated["simulated"], &simulated["outcome"]),
        (&json!(true), &json!("abandoned"))
    );
    let page = list_calls(&app, key, "?outcome=abandoned").await;
    assert_eq!(ids_of(&page), [idle["call_id"].as_str().expect("call id")]);
    app
}

// ---------------------------------------------------------------------------------------------
// Tenancy, roles and bad input
// ---------------------------------------------------------------------------------------------

async fn other_tenants_see_nothing(app: TestApp) -> TestApp {
    let mine = shop_tenant(&app, "Mine").await;
    let theirs = shop_tenant(&app, "Theirs").await;
    let flow_id = create_published(&app, &mine.id, &example("order-status.json")).await;
    let session = start(&app, &mine.owner_key, json!({ "flow_id": flow_id })).await;
    let id = session["id"].as_str().expect("id");
    let call_id = session["call_id"].as_str().expect("call id");

    let other = &theirs.owner_key;
    let (code, body) = get(&app, other, &format!("/sessions/{id}")).await;
    assert_eq!(code, 404, "{body}");
    let (code, body) = post(
        &app,
        other,
        &format!("/sessions/{id}/events"),
        text("查订单"),
    )
    .await;
    assert_eq!(code, 404, "{body}");
    let (code, body) = get(&app, other, &format!("/calls/{call_id}")).await;
    assert_eq!(code, 404, "{body}");
    assert!(!body.to_string().contains(&flow_id));
    let (code, list) = get(&app, other, "/calls").await;
    assert_eq!(code, 200);
    assert_eq!(list["calls"], json!([]));
    let (code, _) = get(&app, other, &format!("/calls?flow_id={flow_id}")).await;
    assert_eq!(code, 200);
    let (code, _) = post(&app, other, "/sessions", json!({ "flow_id": flow_id })).await;
    assert_eq!(code, 404);

    // The owner's session was not touched by any of that.
    let (code, current) = get(&app, &mine.owner_key, &format!("/sessions/{id}")).await;
    assert_eq!(code, 200);
    assert_eq!(current["turn"], 1);
    app
}

async fn roles_decide_who_chats_and_who_reads(app: TestApp) -> TestApp {
    let tenant = shop_tenant(&app, "Role Shop").await;
    let flow_id = create_published(&app, &tenant.id, &example("order-status.json")).await;
    let viewer = app.key(&tenant.id, Role::Viewer).await;
    let agent = app.key(&tenant.id, Role::Agent).await;
    let editor = app.key(&tenant.id, Role::Editor).await;

    for key in [&viewer, &agent] {
        let (code, problem) = post(&app, key, "/sessions", json!({ "flow_id": flow_id })).await;
        assert_eq!(code, 403, "{problem}");
        assert_eq!(problem["code"], "forbidden");
    }
    let session = start(&app, &editor, json!({ "flow_id": flow_id })).await;
    let id = session["id"].as_str().expect("id");
    let call_id = session["call_id"].as_str().expect("call id");
    for key in [&viewer, &agent] {
        let (code, _) = post(&app, key, &format!("/sessions/{id}/events"), text("查订单")).await;
        assert_eq!(code, 403);
        let (code, _) = get(&app, key, &format!("/sessions/{id}")).await;
        assert_eq!(code, 200);
        let (code, list) = get(&app, key, "/calls").await;
        assert_eq!(code, 200);
        assert_eq!(list["calls"][0]["id"], call_id);
        let (code, call) = get(&app, key, &format!("/calls/{call_id}")).await;
        assert_eq!(code, 200);
        assert!(!events(&call).is_empty());
    }
    send(&app, &editor, &session, text("查订单")).await;
    app
}

async fn bad_events_get_clear_errors(app: TestApp) -> TestApp {
    let tenant = shop_tenant(&app, "Strict Shop").await;
    let key = &tenant.owner_key;
    let flow_id = create_published(&app, &tenant.id, &example("order-status.json")).await;
    let session = start(&app, key, json!({ "flow_id": flow_id })).await;
    let path = format!(
        "/api/v1/sessions/{}/events",
        session["id"].as_str().expect("id")
    );

    let malformed = app
        .client
        .post(app.url(&path))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body("{\"type\": \"text\", ")
        .send()
        .await
        .expect("send");
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        malformed.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = malformed.json().await.expect("json");
    assert_eq!(problem["code"], "malformed_json");

    let not_json = app
        .client
        .post(app.url(&path))
        .bearer_auth(key)
        .body("查订单")
        .send()
        .await
        .expect("send");
    assert_eq!(not_json.status(), 415);

    let short = path.trim_start_matches("/api/v1");
    for (body, field) in [
        (json!({ "type": "dance" }), "/type"),
        (json!({ "type": "text" }), "/text"),
        (json!({ "type": "no_input", "digits": "1" }), "/digits"),
        (json!({ "type": "text", "text": "hi", "mood": "happy" }), ""),
        (json!({ "type": "text", "text": 5 }), "/text"),
        (json!({ "type": "digits", "digits": "12a" }), "/digits"),
        (json!({ "type": "digits", "digits": "" }), "/digits"),
        (
            json!({ "type": "text", "text": "x".repeat(2_001) }),
            "/text",
        ),
        (
            json!({ "type": "text", "text": "hi", "confidence": 3 }),
            "/confidence",
        ),
    ] {
        let (code, problem) = post(&app, key, short, body.clone()).await;
        assert_eq!(code, 422, "{body}: {problem}");
        assert_eq!(problem["code"], "invalid_body", "{body}: {problem}");
        if !field.is_empty() {
            assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        }
    }
    for body in [
        json!({ "version": "draft" }),
        json!({ "flow_id": flow_id, "vars": [1, 2] }),
        json!({ "flow_id": flow_id, "colour": "red" }),
    ] {
        let (code, problem) = post(&app, key, "/sessions", body.clone()).await;
        assert_eq!(code, 422, "{body}: {problem}");
    }
    let (code, problem) = post(&app, key, "/sessions/cht_nope/events", text("hi")).await;
    assert_eq!(code, 404, "{problem}");
    let (code, _) = get(&app, key, "/sessions/cht_nope").await;
    assert_eq!(code, 404);

    // Nothing of that reached the session.
    let (_, current) = get(&app, key, short.trim_end_matches("/events")).await;
    assert_eq!(current["turn"], 1);
    assert_eq!(current["node"], "ask_need");
    app
}

async fn concurrent_events_apply_once(app: TestApp) -> TestApp {
    let tenant = app.tenant("Busy Shop").await;
    let key = tenant.owner_key.clone();
    let flow_id = create_published(&app, &tenant.id, &greeter("One")).await;
    let session = start(&app, &key, json!({ "flow_id": flow_id })).await;
    let path = format!(
        "/api/v1/sessions/{}/events",
        session["id"].as_str().expect("id")
    );
    let sends = (0..6).map(|n| {
        let request = app
            .client
            .post(app.url(&path))
            .bearer_auth(&key)
            .json(&text(&format!("answer {n}")));
        async move {
            let response = request.send().await.expect("send");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("json");
            (status, body)
        }
    });
    let answers = futures_join_all(sends.collect()).await;
    let won = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(won, 1, "{answers:?}");
    for (status, body) in &answers {
        if *status != 200 {
            assert_eq!(*status, 409, "{body}");
            assert!(
                body["code"] == "turn_conflict" || body["code"] == "session_ended",
                "{body}"
            );
        }
    }
    let call = call_of(&app, &key, &session).await;
    assert_ordered(&call);
    let kinds = kinds(&call);
    assert_eq!(kinds.iter().filter(|k| *k == "heard").count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == "ended").count(), 1);
    app
}

/// Runs the futures concurrently and collects their results in order.
/// A refund that one tenant's flow asks the demo shop for is that tenant's: another tenant
/// asking for the same order gets a refund of its own, not "already requested".
async fn each_tenant_has_its_own_demo_shop(app: TestApp) -> TestApp {
    let document = example("returns-refunds.json");
    for name in ["Refund Shop A", "Refund Shop B"] {
        let tenant = shop_tenant(&app, name).await;
        let flow_id = create_published(&app, &tenant.id, &document).await;
        let key = tenant.owner_key.as_str();
        let session = start(&app, key, json!({ "flow_id": flow_id })).await;
        send(&app, key, &session, text("我要退货")).await;
        send(&app, key, &session, digits("2024061801#")).await;
        send(&app, key, &session, text("尺码不合适")).await;
        let answer = said(&send(&app, key, &session, text("是的")).await);
        assert!(answer.contains("退货申请已提交"), "{name}: {answer}");
        assert!(answer.contains("8800123456"), "{name}: {answer}");
    }
    app
}

async fn futures_join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("task"));
    }
    outputs
}

on_both_databases!(
    order_status_conversation_is_recorded,
    a_restart_between_turns_loses_nothing,
    silence_and_hanging_up_abandon_the_call,
    asking_for_a_person_hands_off_with_a_summary,
    drafts_and_versions_run_what_they_started_on,
    calls_name_their_flow_and_nodes,
    subflows_run_and_cycles_are_refused,
    private_addresses_are_refused_unless_allowed,
    calls_are_filtered_and_paged,
    dates_are_read_in_the_tenants_time_zone,
    bad_filters_are_explained_in_the_askers_language,
    idle_chats_end_and_late_turns_are_told,
    other_tenants_see_nothing,
    roles_decide_who_chats_and_who_reads,
    bad_events_get_clear_errors,
    concurrent_events_apply_once,
    two_servers_take_turns_of_one_conversation,
    each_tenant_has_its_own_demo_shop,
);
