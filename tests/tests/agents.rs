//! People in the loop, through the real server: queues and agents, a chat handed to a queue
//! that waits for a person, the agent who takes it, writes, and gives it back to the bot — and
//! the bot saying nothing meanwhile. On both databases.

use callflow_tests::app::{Person, TestApp, TestTenant};
use callflow_tests::on_both_databases;
use reqwest::Method;
use serde_json::{json, Value};
use server::store::Role;

on_both_databases!(
    queues_are_checked_and_flows_must_name_one,
    an_agent_takes_a_chat_answers_it_and_hands_it_back,
    a_closed_queue_without_overflow_takes_the_flows_no_answer_port,
    a_routing_rule_chooses_the_queue_a_chat_waits_in,
    a_queue_is_created_by_its_names,
);

async fn person(app: &TestApp, tenant: &TestTenant, email: &str, name: &str, role: Role) -> Person {
    app.person(&tenant.id, email, name, role).await
}

/// Calls the API as a signed-in person: the status and the body as JSON (`null` when empty).
async fn as_person(
    app: &TestApp,
    who: &Person,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("/api/v1{path}")))
        .header("cookie", &who.cookie)
        .header("x-csrf-token", &who.csrf);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn support_flow(queue: &str) -> Value {
    json!({
        "schema": 1, "name": "support", "language": "zh-CN", "start": "ask",
        "nodes": [
            { "id": "ask", "type": "ask", "label": "问需求", "prompt": "您好，请问有什么可以帮您？",
              "intents": [ { "name": "track", "examples": ["查物流", "快递到哪了"], "next": "track" } ],
              "no_match": { "max": 0, "next": "ask" }, "no_input": { "max": 0, "next": "ask" } },
            { "id": "track", "type": "say", "text": "您的快递明天到。", "next": "bye" },
            { "id": "agent", "type": "handoff", "label": "转人工", "queue": queue,
              "message": "正在为您转接人工客服", "summary": "客户要求人工",
              "next": "thanks", "no_answer": "closed", "error": "closed" },
            { "id": "thanks", "type": "say", "text": "感谢您的耐心，再见", "next": "bye" },
            { "id": "closed", "type": "say", "text": "人工客服已下班", "next": "bye" },
            { "id": "bye", "type": "end", "outcome": "resolved" }
        ],
        "global_intents": [ { "name": "human", "examples": ["转人工", "人工客服"], "next": "agent" } ]
    })
}

async fn put_queue(app: &TestApp, tenant: &TestTenant, key: &str, body: Value) -> (u16, Value) {
    app.api(
        Method::PUT,
        &tenant.owner_key,
        &format!("/queues/{key}"),
        Some(&body),
    )
    .await
}

fn said(session: &Value) -> Vec<String> {
    session["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn send(app: &TestApp, tenant: &TestTenant, session: &str, text: &str) -> Value {
    let (status, body) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            &format!("/sessions/{session}/events"),
            Some(&json!({ "type": "text", "text": text })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// `POST /queues` takes a queue's names and makes its key; a wrong queue is refused as by `PUT`.
async fn a_queue_is_created_by_its_names(app: TestApp) -> TestApp {
    let tenant = app.tenant("Named Queues").await;
    let create = |body: Value| {
        let app = &app;
        let key = tenant.owner_key.clone();
        async move { app.api(Method::POST, &key, "/queues", Some(&body)).await }
    };
    let (status, queue) = create(json!({ "name": "售后", "name_en": "After-sales" })).await;
    assert_eq!(status, 201, "{queue}");
    let key = queue["key"].as_str().expect("a key");
    assert!(key.starts_with("after-sales-"), "{queue}");
    assert_eq!(queue["name"], "售后");
    let (status, again) = create(json!({ "name": "售后", "name_en": "After-sales" })).await;
    assert_eq!(status, 201, "{again}");
    assert_ne!(again["key"], queue["key"], "each queue has its own key");
    let (_, listed) = app
        .api(Method::GET, &tenant.owner_key, "/queues", None)
        .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    let (status, problem) = create(json!({ "name": " " })).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "invalid_queue");
    assert_eq!(problem["errors"][0]["field"], "/name", "{problem}");
    app
}

async fn queues_are_checked_and_flows_must_name_one(app: TestApp) -> TestApp {
    let tenant = app.tenant("Queues").await;
    // Before the tenant has queues, a queue handoff is only a warning: nobody would take it.
    let check = |document: Value| {
        let app = &app;
        let key = tenant.owner_key.clone();
        async move {
            let (status, body) = app
                .api(Method::POST, &key, "/flows/validate", Some(&document))
                .await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    let first = check(support_flow("after-sales")).await;
    let problem = unknown_queue(&first);
    assert_eq!(problem["severity"], "warning", "{problem}");
    assert_eq!(first["valid"], true);

    let (status, body) = put_queue(
        &app,
        &tenant,
        "After Sales",
        json!({ "name": " ", "languages": ["fr"], "overflow": "nowhere",
                "hours": { "days": [8], "open": "9", "close": "18:00" } }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "invalid_queue");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default())
        .collect();
    for field in [
        "/key",
        "/name",
        "/languages/0",
        "/hours/days/0",
        "/hours/open",
        "/overflow",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let (status, saved) = put_queue(
        &app,
        &tenant,
        "after-sales",
        json!({ "name": "售后", "name_en": "After-sales", "languages": ["zh-CN", "en"] }),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["name_en"], "After-sales");
    let (status, list) = app
        .api(Method::GET, &tenant.owner_key, "/queues", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    // Now a name outside the tenant's queues is an error naming the node and field.
    let wrong = check(support_flow("complaints")).await;
    assert_eq!(wrong["valid"], false, "{wrong}");
    let problem = unknown_queue(&wrong);
    assert_eq!(problem["severity"], "error");
    assert_eq!(problem["node"], "agent");
    assert_eq!(problem["field"], "/nodes/2/queue");
    assert_eq!(check(support_flow("after-sales")).await["valid"], true);

    // An editor may read the queues (the handoff form lists them) but not change them.
    let editor = app.key(&tenant.id, Role::Editor).await;
    assert_eq!(app.api(Method::GET, &editor, "/queues", None).await.0, 200);
    let (status, _) = app
        .api(
            Method::PUT,
            &editor,
            "/queues/orders",
            Some(&json!({ "name": "订单" })),
        )
        .await;
    assert_eq!(status, 403);
    app
}

async fn an_agent_takes_a_chat_answers_it_and_hands_it_back(app: TestApp) -> TestApp {
    let tenant = app.tenant("Agents").await;
    let (status, _) = put_queue(&app, &tenant, "after-sales", json!({ "name": "售后" })).await;
    assert_eq!(status, 200);
    let (flow, _) = app
        .published_flow(&tenant.id, "support", &support_flow("after-sales"))
        .await;
    let agent = person(&app, &tenant, "wang@example.com", "小王", Role::Agent).await;
    let (status, agents) = as_person(&app, &agent, Method::GET, "/agents", None).await;
    assert_eq!(status, 200);
    let wang = agents[0]["user_id"].as_str().expect("agent id").to_owned();
    let (status, body) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            &format!("/agents/{wang}/queues"),
            Some(&json!({ "queues": ["after-sales"] })),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = as_person(
        &app,
        &agent,
        Method::PUT,
        "/agents/me/presence",
        Some(json!({ "presence": "available" })),
    )
    .await;
    assert_eq!(status, 204);

    let (status, session) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/sessions",
            Some(&json!({ "flow_id": flow.id, "from": "visitor-42" })),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let id = session["id"].as_str().expect("session id").to_owned();
    assert_eq!(session["owner"]["state"], "bot");
    let handed = send(&app, &tenant, &id, "转人工").await;
    assert_eq!(said(&handed), vec!["正在为您转接人工客服"]);
    assert_eq!(handed["owner"]["state"], "waiting", "{handed}");
    assert_eq!(handed["owner"]["queue"], "after-sales");
    let handoff = handed["owner"]["handoff"]
        .as_str()
        .expect("handoff")
        .to_owned();
    // Waiting: the customer's words go to the queue, and the bot says nothing.
    let quiet = send(&app, &tenant, &id, "有人吗").await;
    assert!(said(&quiet).is_empty(), "{quiet}");
    assert_eq!(quiet["owner"]["state"], "waiting");

    let (status, open) = as_person(&app, &agent, Method::GET, "/handoffs", None).await;
    assert_eq!(status, 200);
    assert_eq!(open[0]["id"], handoff.as_str());
    assert_eq!(open[0]["state"], "waiting");
    assert_eq!(open[0]["summary"], "客户要求人工");
    // An API key is nobody: only a person takes a conversation.
    let (status, _) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            &format!("/handoffs/{handoff}/accept"),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (status, taken) = as_person(
        &app,
        &agent,
        Method::POST,
        &format!("/handoffs/{handoff}/accept"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(taken["state"], "agent");
    let other = person(&app, &tenant, "li@example.com", "小李", Role::Agent).await;
    let (status, body) = as_person(
        &app,
        &other,
        Method::POST,
        &format!("/handoffs/{handoff}/accept"),
        None,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("not_waiting")));
    let (status, body) = as_person(
        &app,
        &other,
        Method::POST,
        &format!("/handoffs/{handoff}/messages"),
        Some(json!({ "text": "我来" })),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("not_yours")));

    let owned = send(&app, &tenant, &id, "我的订单还没到").await;
    assert!(said(&owned).is_empty(), "the bot stays silent: {owned}");
    assert_eq!(owned["owner"]["state"], "agent");
    let (status, _) = as_person(
        &app,
        &agent,
        Method::POST,
        &format!("/handoffs/{handoff}/messages"),
        Some(json!({ "text": "您好，我是小王，马上为您查" })),
    )
    .await;
    assert_eq!(status, 204);
    let (status, empty) = as_person(
        &app,
        &agent,
        Method::POST,
        &format!("/handoffs/{handoff}/messages"),
        Some(json!({ "text": "  " })),
    )
    .await;
    assert_eq!(
        (status, empty["code"].as_str()),
        (422, Some("invalid_text"))
    );

    let (status, card) = as_person(
        &app,
        &agent,
        Method::GET,
        &format!("/handoffs/{handoff}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(card["caller"], "visitor-42");
    assert_eq!(card["intents"], json!(["human"]));
    let kinds: Vec<&str> = card["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    let joined = kinds
        .iter()
        .position(|k| *k == "agent_joined")
        .expect("agent_joined");
    assert!(kinds.contains(&"handoff_waiting"), "{kinds:?}");
    assert!(
        !kinds[joined..].contains(&"said"),
        "no bot line once a person has it: {kinds:?}"
    );
    let customer: Vec<&str> = card["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "caller_said")
        .map(|e| e["data"]["text"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(customer, vec!["有人吗", "我的订单还没到"]);
    let agent_lines: Vec<&Value> = card["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "agent_said")
        .collect();
    assert_eq!(agent_lines.len(), 1);
    assert_eq!(agent_lines[0]["data"]["agent"], "小王");
    assert!(card["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .any(|n| n["id"] == "ask" && n["label"] == "问需求"));
    // Only later events, for polling.
    let last = card["events"]
        .as_array()
        .expect("events")
        .last()
        .expect("an event")["seq"]
        .as_i64()
        .expect("seq");
    let (_, later) = as_person(
        &app,
        &agent,
        Method::GET,
        &format!("/handoffs/{handoff}/events?after={}", last - 1),
        None,
    )
    .await;
    assert_eq!(later.as_array().map(Vec::len), Some(1));

    let (status, body) = as_person(
        &app,
        &agent,
        Method::POST,
        &format!("/handoffs/{handoff}/hand-back"),
        Some(json!({ "node": "nowhere" })),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("unknown_node")));
    let (status, back) = as_person(
        &app,
        &agent,
        Method::POST,
        &format!("/handoffs/{handoff}/hand-back"),
        Some(json!({ "node": "ask" })),
    )
    .await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["node"], "ask");
    let (_, state) = app
        .api(
            Method::GET,
            &tenant.owner_key,
            &format!("/sessions/{id}"),
            None,
        )
        .await;
    assert_eq!(state["owner"]["state"], "bot");
    let bot = send(&app, &tenant, &id, "查物流").await;
    assert_eq!(
        said(&bot),
        vec!["您的快递明天到。"],
        "the bot goes on: {bot}"
    );
    assert_eq!(bot["outcome"], "resolved");

    // A second chat: the agent ends it, and the flow goes on after its transfer.
    let (_, session) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/sessions",
            Some(&json!({ "flow_id": flow.id })),
        )
        .await;
    let second = session["id"].as_str().expect("session id").to_owned();
    let handed = send(&app, &tenant, &second, "人工客服").await;
    let handoff = handed["owner"]["handoff"]
        .as_str()
        .expect("handoff")
        .to_owned();
    as_person(
        &app,
        &agent,
        Method::POST,
        &format!("/handoffs/{handoff}/accept"),
        None,
    )
    .await;
    let (status, ended) = as_person(
        &app,
        &agent,
        Method::POST,
        &format!("/handoffs/{handoff}/end"),
        Some(json!({ "disposition": "resolved" })),
    )
    .await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["ended"], true);
    let (_, call) = app
        .api(
            Method::GET,
            &tenant.owner_key,
            &format!("/sessions/{second}"),
            None,
        )
        .await;
    assert_eq!(said(&call), vec!["感谢您的耐心，再见"]);

    let (status, stats) = as_person(&app, &agent, Method::GET, "/queues/stats", None).await;
    assert_eq!(status, 200);
    assert_eq!(stats[0]["queue"], "after-sales");
    assert_eq!(stats[0]["offered"], 2);
    assert_eq!(stats[0]["answered"], 2);
    assert_eq!(stats[0]["waiting"], 0);

    // Another tenant's agent sees nothing of it.
    let elsewhere = app.tenant("Elsewhere").await;
    let stranger = person(&app, &elsewhere, "x@example.com", "X", Role::Agent).await;
    let (status, _) = as_person(
        &app,
        &stranger,
        Method::GET,
        &format!("/handoffs/{handoff}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = as_person(
        &app,
        &stranger,
        Method::POST,
        &format!("/handoffs/{handoff}/accept"),
        None,
    )
    .await;
    assert_eq!(status, 409);
    let (_, list) = as_person(&app, &stranger, Method::GET, "/handoffs", None).await;
    assert_eq!(list, json!([]));
    app
}

async fn a_closed_queue_without_overflow_takes_the_flows_no_answer_port(app: TestApp) -> TestApp {
    let tenant = app.tenant("Closed").await;
    // Open one minute a week, on a day that is never today and tomorrow at once.
    let (status, body) = put_queue(
        &app,
        &tenant,
        "night",
        json!({ "name": "夜班", "hours": { "days": [1], "open": "03:00", "close": "03:01" } }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (flow, _) = app
        .published_flow(&tenant.id, "support", &support_flow("night"))
        .await;
    let (_, session) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/sessions",
            Some(&json!({ "flow_id": flow.id })),
        )
        .await;
    let id = session["id"].as_str().expect("session id").to_owned();
    let closed = send(&app, &tenant, &id, "转人工").await;
    assert_eq!(
        said(&closed),
        vec!["正在为您转接人工客服", "人工客服已下班"],
        "{closed}"
    );
    assert_eq!(closed["owner"]["state"], "bot");
    app
}

/// The support flow with routing rules on its handoff: angry callers to `complaints` (whom the
/// angry-caller trigger brings there), those who asked about a refund to `refunds`, everyone
/// else to `after-sales`.
fn routed_flow(refunds: &str) -> Value {
    let mut flow = support_flow("after-sales");
    flow["nodes"][2]["routes"] = json!([
        { "when": "call.emotion == \"angry\"", "queue": "complaints", "label": "客户情绪激动" },
        { "when": "call.intent == \"refund\"", "queue": refunds }
    ]);
    flow["nodes"][0]["intents"]
        .as_array_mut()
        .expect("intents")
        .push(json!({ "name": "refund", "examples": ["我要退款", "退钱"], "next": "agent" }));
    flow["angry_caller"] = json!({ "next": "agent" });
    flow
}

async fn a_routing_rule_chooses_the_queue_a_chat_waits_in(app: TestApp) -> TestApp {
    let tenant = app.tenant("Routing").await;
    for (key, name) in [
        ("after-sales", "售后"),
        ("complaints", "投诉"),
        ("refunds", "退款"),
    ] {
        let (status, body) = put_queue(&app, &tenant, key, json!({ "name": name })).await;
        assert_eq!(status, 200, "{body}");
    }
    // A rule's queue is checked like the node's own.
    let (status, checked) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/flows/validate",
            Some(&routed_flow("vip")),
        )
        .await;
    assert_eq!(status, 200, "{checked}");
    assert_eq!(checked["valid"], false, "{checked}");
    let problem = unknown_queue(&checked);
    assert_eq!(problem["node"], "agent");
    assert_eq!(problem["field"], "/nodes/2/routes/1/queue");

    let (flow, _) = app
        .published_flow(&tenant.id, "routed", &routed_flow("refunds"))
        .await;
    let owner = person(&app, &tenant, "boss@example.com", "老板", Role::Owner).await;
    let open_chat = || {
        let app = &app;
        let key = tenant.owner_key.clone();
        let flow = flow.id.clone();
        async move {
            let (status, session) = app
                .api(
                    Method::POST,
                    &key,
                    "/sessions",
                    Some(&json!({ "flow_id": flow, "from": "visitor-7" })),
                )
                .await;
            assert_eq!(status, 201, "{session}");
            session["id"].as_str().expect("session id").to_owned()
        }
    };
    let mut waiting = Vec::new();
    for (said_first, queue) in [
        ("太失望了，我要投诉！", "complaints"),
        ("我要退款", "refunds"),
        ("转人工", "after-sales"),
    ] {
        let id = open_chat().await;
        let handed = send(&app, &tenant, &id, said_first).await;
        assert_eq!(
            handed["owner"]["state"], "waiting",
            "{said_first}: {handed}"
        );
        assert_eq!(handed["owner"]["queue"], queue, "{said_first}: {handed}");
        waiting.push((
            handed["owner"]["handoff"]
                .as_str()
                .expect("handoff")
                .to_owned(),
            queue,
        ));
    }
    // Each waits in its queue's list, as the console shows it.
    let (status, open) = as_person(&app, &owner, Method::GET, "/handoffs", None).await;
    assert_eq!(status, 200, "{open}");
    for (handoff, queue) in &waiting {
        let listed = open
            .as_array()
            .expect("handoffs")
            .iter()
            .find(|h| h["id"] == handoff.as_str())
            .unwrap_or_else(|| panic!("{handoff} is listed: {open}"));
        assert_eq!(listed["queue"], *queue, "{listed}");
        assert_eq!(listed["state"], "waiting");
    }

    // The context card says which rule routed the angry chat, and the console in words.
    let (angry, _) = &waiting[0];
    let (status, card) = as_person(
        &app,
        &owner,
        Method::GET,
        &format!("/handoffs/{angry}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{card}");
    let transfer = card["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "transfer")
        .cloned()
        .expect("a transfer event");
    assert_eq!(transfer["data"]["target"]["queue"], "complaints");
    assert_eq!(transfer["data"]["route"]["index"], 0);
    assert_eq!(transfer["data"]["route"]["label"], "客户情绪激动");
    let page = app
        .client
        .get(app.url(&format!("/console/handoffs/{angry}")))
        .header("cookie", &owner.cookie)
        .send()
        .await
        .expect("console page");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("按第 1 条转接规则：客户情绪激动（call.emotion == ")
            && html.contains("→ 投诉"),
        "the card says why: {html}"
    );
    // The fallback chat was routed by no rule, and its card says nothing of one.
    let (fallback, _) = &waiting[2];
    let (_, card) = as_person(
        &app,
        &owner,
        Method::GET,
        &format!("/handoffs/{fallback}"),
        None,
    )
    .await;
    let transfer = card["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "transfer")
        .cloned()
        .expect("a transfer event");
    assert!(transfer["data"].get("route").is_none(), "{transfer}");
    app
}

/// The `unknown_queue` diagnostic of a validation answer; fails the test when there is none.
fn unknown_queue(checked: &Value) -> Value {
    checked["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["code"] == "unknown_queue")
        .cloned()
        .unwrap_or_else(|| panic!("an unknown_queue diagnostic: {checked}"))
}
