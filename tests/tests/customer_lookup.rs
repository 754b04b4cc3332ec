//! Who is calling, end to end on SQLite and PostgreSQL: the tenant's customer lookup set through
//! the API, a chat and a phone call (the fake Twilio) greeted by name from the demo shop's
//! members, lookups that time out, fail or answer nonsense while the conversation goes on, the
//! SSRF guard, the secret sent but never shown, and tenants that never see each other's lookup.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use callflow_tests::app::{TestApp, TestTenant};
use callflow_tests::fakes::twilio::{Answer, Caller, FakeTwilio, Step};
use callflow_tests::on_both_databases;
use reqwest::Method;
use serde_json::{json, Value};
use server::flow_http::DEMO_SHOP_BASE;

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
const SHOP_NUMBER: &str = "+8657188880000";
/// 张先生: the demo shop's gold member, with one recent order (2024061803).
const MEMBER: &str = "+8613800000001";
const STRANGER: &str = "+8613900001111";

fn order_status() -> Value {
    let path = callflow_tests::root()
        .join("flows")
        .join("order-status.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("example flow")).expect("JSON")
}

/// A shop on the built-in demo shop with the order-status flow published.
async fn shop(app: &TestApp, name: &str) -> (TestTenant, String) {
    let tenant = app.tenant_with_example_knowledge(name).await;
    app.change_settings(&tenant.id, |settings| {
        settings.display_name = [("zh-CN".to_owned(), "演示商城".to_owned())].into();
        settings.api_base_url = Some(DEMO_SHOP_BASE.to_owned());
    })
    .await;
    let (flow, _) = app
        .published_flow(&tenant.id, "order-status", &order_status())
        .await;
    (tenant, flow.id)
}

async fn put_lookup(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    app.api(Method::PUT, key, "/customer-lookup", Some(&body))
        .await
}

async fn chat(app: &TestApp, key: &str, flow_id: &str, from: Option<&str>) -> Value {
    let mut body = json!({ "flow_id": flow_id, "version": "published" });
    if let Some(from) = from {
        body["from"] = json!(from);
    }
    let (status, session) = app.api(Method::POST, key, "/sessions", Some(&body)).await;
    assert_eq!(status, 201, "{session}");
    session
}

async fn say(app: &TestApp, key: &str, session: &Value, text: &str) -> Value {
    let id = session["id"].as_str().expect("id");
    let (status, body) = app
        .api(
            Method::POST,
            key,
            &format!("/sessions/{id}/events"),
            Some(&json!({ "type": "text", "text": text })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn said(session: &Value) -> String {
    session["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| m["text"].as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .unwrap_or_default()
}

/// The `customer_lookup` events of a session's call.
async fn lookups(app: &TestApp, key: &str, session: &Value) -> Vec<Value> {
    let call_id = session["call_id"].as_str().expect("call id");
    let (status, call) = app
        .api(Method::GET, key, &format!("/calls/{call_id}"), None)
        .await;
    assert_eq!(status, 200, "{call}");
    call["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["kind"] == "customer_lookup")
        .map(|event| event["data"].clone())
        .collect()
}

fn demo_lookup() -> Value {
    json!({ "url": format!("{DEMO_SHOP_BASE}/customers?phone={{{{phone}}}}&visitor={{{{visitor}}}}") })
}

async fn members_are_greeted_by_name_in_chat_and_on_the_phone(mut app: TestApp) -> TestApp {
    let (tenant, flow_id) = shop(&app, "Member Shop").await;
    let key = &tenant.owner_key;
    let (status, view) = put_lookup(&app, key, demo_lookup()).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["enabled"], true);
    assert_eq!(view["timeout_ms"], 1500);

    // A chat from the member's number: greeted by name, no order number asked.
    let session = chat(&app, key, &flow_id, Some(MEMBER)).await;
    assert!(
        said(&session).starts_with("张先生您好，欢迎致电演示商城"),
        "{}",
        said(&session)
    );
    let answer = say(&app, key, &session, "我的快递到哪了").await;
    assert!(
        said(&answer).contains("您最近一笔订单的订单号是2024061803")
            && said(&answer).contains("6月15日签收"),
        "{}",
        said(&answer)
    );
    let found = lookups(&app, key, &session).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["outcome"], "found");
    assert_eq!(found[0]["customer"]["vip"], "金卡会员");

    // An English flow of the same (Chinese) shop asks for the member in English.
    let path = callflow_tests::root()
        .join("flows")
        .join("order-status-en.json");
    let english: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("example flow")).expect("JSON");
    let (english, _) = app
        .published_flow(&tenant.id, "order-status-en", &english)
        .await;
    let session = chat(&app, key, &english.id, Some(MEMBER)).await;
    assert!(
        said(&session).starts_with("Hello Ms. Lee, and thank you"),
        "{}",
        said(&session)
    );

    // Someone the shop does not know, and a chat with no number: greeted as before.
    let session = chat(&app, key, &flow_id, Some(STRANGER)).await;
    assert!(
        said(&session).starts_with("您好，欢迎致电"),
        "{}",
        said(&session)
    );
    assert_eq!(
        lookups(&app, key, &session).await[0]["outcome"],
        "not_found"
    );
    let session = chat(&app, key, &flow_id, None).await;
    assert!(
        said(&session).starts_with("您好，欢迎致电"),
        "{}",
        said(&session)
    );
    assert_eq!(lookups(&app, key, &session).await[0]["outcome"], "skipped");

    // The same member on the phone, through Twilio's webhooks.
    let twilio = FakeTwilio::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let api = twilio.api_base_url();
    app.reconfigure(|config| config.telephony.twilio_api_url = api)
        .await;
    let key = &tenant.owner_key;
    let (status, body) = app
        .api(
            Method::PUT,
            key,
            "/telephony",
            Some(&json!({
                "twilio": { "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN },
                "speech": { "tts": { "provider": "twilio" } }
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .api(
            Method::PUT,
            key,
            &format!("/phone-numbers/{}", SHOP_NUMBER.replace('+', "%2B")),
            Some(&json!({ "flow_id": flow_id, "mode": "webhook" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let caller = Caller::new(vec![
        Step::Say("我的快递到哪了".into()),
        Step::Say("没有了".into()),
    ]);
    let log = twilio
        .inbound_call_with_status(
            &app.url("/twilio/voice"),
            MEMBER,
            SHOP_NUMBER,
            caller,
            &app.url("/twilio/status"),
        )
        .await;
    let said = log.said().join(" | ");
    assert!(said.contains("张先生您好"), "{said}");
    assert!(said.contains("订单号是2024061803"), "{said}");
    assert!(!said.contains("请说出或输入您的订单号"), "{said}");

    // An outbound call looks the callee up; the lookup is on the call's record once answered.
    twilio.on_outbound(
        MEMBER,
        Answer::Human(Caller::new(vec![Step::Say("没有了".into())])),
    );
    let (status, placed) = app
        .api(
            Method::POST,
            key,
            "/calls",
            Some(&json!({ "to": MEMBER, "flow_id": flow_id })),
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    let answered = twilio
        .wait_outbound(MEMBER, Duration::from_secs(30))
        .await
        .expect("the call was placed");
    let said = answered.log.expect("answered").said().join(" | ");
    assert!(said.contains("张先生您好"), "{said}");
    let call_id = placed["call_id"].as_str().expect("call id");
    let (_, call) = app
        .api(Method::GET, key, &format!("/calls/{call_id}"), None)
        .await;
    let kinds: Vec<&str> = call["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "customer_lookup").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(kinds.first(), Some(&"customer_lookup"), "{kinds:?}");
    app
}

/// A shop API on this machine that answers slowly, with an error, or with nonsense, and that
/// knows 张先生 only when the request carries the right secret.
async fn local_shop() -> SocketAddr {
    let router = Router::new()
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                axum::Json(json!({ "name": "太慢了" }))
            }),
        )
        .route(
            "/broken",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "panic at the shop") }),
        )
        .route("/html", get(|| async { "<html>maintenance</html>" }))
        .route(
            "/members",
            get(|headers: HeaderMap| async move {
                match headers.get("x-shop-token").and_then(|v| v.to_str().ok()) {
                    Some("s3cret") => {
                        axum::Json(json!({ "name": "张伟", "title": "张先生" })).into_response()
                    }
                    _ => StatusCode::UNAUTHORIZED.into_response(),
                }
            }),
        );
    serve(router).await
}

/// Serves `router` on this machine; its address.
async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    address
}

async fn a_failing_lookup_never_stops_the_conversation(app: TestApp) -> TestApp {
    let (tenant, flow_id) = shop(&app, "Flaky Shop").await;
    let key = &tenant.owner_key;
    let address = local_shop().await;

    // The shop is on this machine: the SSRF guard refuses it, as it does for http nodes.
    let url = format!("http://{address}/members?phone={{{{phone}}}}");
    let (status, _) = put_lookup(&app, key, json!({ "url": url })).await;
    assert_eq!(status, 200);
    let session = chat(&app, key, &flow_id, Some(MEMBER)).await;
    assert!(
        said(&session).starts_with("您好，欢迎致电"),
        "{}",
        said(&session)
    );
    let event = &lookups(&app, key, &session).await[0];
    assert_eq!(event["outcome"], "failed");
    assert_eq!(event["reason"], "blocked");
    // Our own words only: no library's or the address's text reaches the record.
    let mut keys: Vec<&String> = event.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["duration_ms", "outcome", "reason"]);

    app.change_settings(&tenant.id, |settings| {
        settings.allowed_hosts = vec![address.to_string()];
    })
    .await;
    for (path, reason, status) in [
        ("slow", "timeout", Value::Null),
        ("broken", "status", json!(500)),
        ("html", "invalid_response", json!(200)),
        ("members", "status", json!(401)),
    ] {
        let url = format!("http://{address}/{path}?phone={{{{phone}}}}");
        let (code, body) = put_lookup(&app, key, json!({ "url": url, "timeout_ms": 300 })).await;
        assert_eq!(code, 200, "{body}");
        let session = chat(&app, key, &flow_id, Some(MEMBER)).await;
        assert!(
            said(&session).starts_with("您好，欢迎致电"),
            "{path}: {}",
            said(&session)
        );
        let answer = say(&app, key, &session, "我的快递到哪了").await;
        assert!(
            said(&answer).contains("请说出或输入您的订单号"),
            "{path}: {}",
            said(&answer)
        );
        let event = &lookups(&app, key, &session).await[0];
        assert_eq!(event["outcome"], "failed", "{path}: {event}");
        assert_eq!(event["reason"], reason, "{path}: {event}");
        assert_eq!(event["status"], status, "{path}: {event}");
        if path == "slow" {
            let took = event["duration_ms"].as_i64().expect("duration");
            assert!(took < 2500, "the lookup waited {took} ms");
        }
    }

    // With its secret the shop knows him; the secret is sent but never shown.
    let url = format!("http://{address}/members?phone={{{{phone}}}}");
    let (code, view) = put_lookup(
        &app,
        key,
        json!({ "url": url, "secret_header": "X-Shop-Token", "secret": "s3cret" }),
    )
    .await;
    assert_eq!(code, 200, "{view}");
    assert_eq!(view["secret_set"], true);
    assert!(!view.to_string().contains("s3cret"), "{view}");
    let (_, shown) = app.api(Method::GET, key, "/customer-lookup", None).await;
    assert!(!shown.to_string().contains("s3cret"), "{shown}");
    let session = chat(&app, key, &flow_id, Some(MEMBER)).await;
    assert!(
        said(&session).starts_with("张先生您好"),
        "{}",
        said(&session)
    );
    // Saving without the secret keeps it; `""` removes it.
    let (_, view) = put_lookup(
        &app,
        key,
        json!({ "url": url, "secret_header": "X-Shop-Token" }),
    )
    .await;
    assert_eq!(view["secret_set"], true);
    let (status, trial) = app
        .api(
            Method::POST,
            key,
            "/customer-lookup/test",
            Some(&json!({ "phone": MEMBER })),
        )
        .await;
    assert_eq!(status, 200, "{trial}");
    assert_eq!(trial["outcome"], "found");
    assert_eq!(trial["customer"]["title"], "张先生");
    let (_, view) = put_lookup(
        &app,
        key,
        json!({ "url": url, "secret_header": "X-Shop-Token", "secret": "" }),
    )
    .await;
    assert_eq!(view["secret_set"], false);

    // Switched off, nobody is looked up.
    let (_, view) = put_lookup(&app, key, json!({ "url": url, "enabled": false })).await;
    assert_eq!(view["enabled"], false);
    let session = chat(&app, key, &flow_id, Some(MEMBER)).await;
    assert!(lookups(&app, key, &session).await.is_empty());
    app
}

async fn settings_are_checked_field_by_field_in_the_askers_language(app: TestApp) -> TestApp {
    let tenant = app.tenant("Picky Shop").await;
    let put = |language: &'static str, body: Value| {
        let request = app
            .client
            .put(app.url("/api/v1/customer-lookup"))
            .bearer_auth(&tenant.owner_key)
            .header("accept-language", language)
            .json(&body);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let kind = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body: Value = response.json().await.expect("json");
            (status, kind, body)
        }
    };
    let (status, kind, body) = put(
        "en",
        json!({ "url": "https://shop.example/api/customers", "timeout_ms": 60000,
                "headers": { "Host": "evil.example" } }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(kind, "application/problem+json");
    assert_eq!(body["code"], "invalid_customer_lookup");
    let fields: Vec<(String, String)> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("/url".to_owned(), "missing_placeholder".to_owned()),
            ("/headers/Host".to_owned(), "reserved_header".to_owned()),
            ("/timeout_ms".to_owned(), "out_of_range".to_owned()),
        ]
    );
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("{{phone}}"));
    let (_, _, body) = put("zh-CN", json!({ "url": "ftp://shop.example/{{phone}}" })).await;
    assert_eq!(body["errors"][0]["code"], "invalid_url");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("网址"),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("客户查询"),
        "{body}"
    );
    // Nothing was saved.
    let (_, view) = app
        .api(Method::GET, &tenant.owner_key, "/customer-lookup", None)
        .await;
    assert_eq!(view["configured"], false);
    app
}

async fn tenants_never_see_each_others_lookup(app: TestApp) -> TestApp {
    let (own, _) = shop(&app, "Own Shop").await;
    let (other, other_flow) = shop(&app, "Other Shop").await;
    let (status, _) = put_lookup(&app, &own.owner_key, demo_lookup()).await;
    assert_eq!(status, 200);
    let (_, view) = app
        .api(Method::GET, &other.owner_key, "/customer-lookup", None)
        .await;
    assert_eq!(view["configured"], false, "{view}");
    let (status, _) = app
        .api(Method::DELETE, &other.owner_key, "/customer-lookup", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .api(
            Method::POST,
            &other.owner_key,
            "/customer-lookup/test",
            Some(&json!({ "phone": MEMBER })),
        )
        .await;
    assert_eq!(status, 404);
    // The other shop's conversations are not looked up with this shop's settings.
    let session = chat(&app, &other.owner_key, &other_flow, Some(MEMBER)).await;
    assert!(said(&session).starts_with("您好"), "{}", said(&session));
    assert!(lookups(&app, &other.owner_key, &session).await.is_empty());
    // Its own is still there, and only an owner may change it.
    let (_, view) = app
        .api(Method::GET, &own.owner_key, "/customer-lookup", None)
        .await;
    assert_eq!(view["configured"], true);
    let editor = app.key(&own.id, server::store::Role::Editor).await;
    let (status, _) = put_lookup(&app, &editor, demo_lookup()).await;
    assert_eq!(status, 403);
    let (status, _) = app
        .api(Method::DELETE, &own.owner_key, "/customer-lookup", None)
        .await;
    assert_eq!(status, 204);
    app
}

/// A member who asks for a person: the agent's context card says who they are.
async fn the_agent_sees_who_is_calling(app: TestApp) -> TestApp {
    let (tenant, flow_id) = shop(&app, "Card Shop").await;
    let key = &tenant.owner_key;
    let (status, _) = put_lookup(&app, key, demo_lookup()).await;
    assert_eq!(status, 200);
    let (status, body) = app
        .api(
            Method::PUT,
            key,
            "/queues/orders",
            Some(&json!({ "name": "订单" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let agent = app
        .person(
            &tenant.id,
            "wang@example.com",
            "小王",
            server::store::Role::Agent,
        )
        .await;
    let as_agent = |method: Method, path: String, body: Option<Value>| {
        let mut request = app
            .client
            .request(method, app.url(&path))
            .header("cookie", &agent.cookie)
            .header("x-csrf-token", &agent.csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.expect("request");
            (
                response.status().as_u16(),
                response.text().await.expect("body"),
            )
        }
    };
    let (_, agents) = as_agent(Method::GET, "/api/v1/agents".into(), None).await;
    let agents: Value = serde_json::from_str(&agents).expect("json");
    let wang = agents[0]["user_id"].as_str().expect("agent id").to_owned();
    let (status, _) = app
        .api(
            Method::PUT,
            key,
            &format!("/agents/{wang}/queues"),
            Some(&json!({ "queues": ["orders"] })),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = as_agent(
        Method::PUT,
        "/api/v1/agents/me/presence".into(),
        Some(json!({ "presence": "available" })),
    )
    .await;
    assert_eq!(status, 204);

    let session = chat(&app, key, &flow_id, Some(MEMBER)).await;
    let handed = say(&app, key, &session, "转人工").await;
    assert_eq!(handed["owner"]["state"], "waiting", "{handed}");
    let handoff = handed["owner"]["handoff"].as_str().expect("handoff");
    let (status, card) = as_agent(Method::GET, format!("/api/v1/handoffs/{handoff}"), None).await;
    assert_eq!(status, 200, "{card}");
    let card: Value = serde_json::from_str(&card).expect("json");
    assert_eq!(card["customer"]["name"], "张伟");
    assert_eq!(
        card["customer"]["recent_orders"][0]["order_id"],
        "2024061803"
    );
    let summary = card["handoff"]["summary"].as_str().unwrap_or_default();
    assert!(summary.starts_with("客户：张伟（金卡会员）。"), "{summary}");
    let (status, page) = as_agent(Method::GET, format!("/console/handoffs/{handoff}"), None).await;
    assert_eq!(status, 200);
    for shown in [
        "客户资料",
        "张伟（张先生）",
        "金卡会员 · 2",
        "2024061803 · 已签收",
    ] {
        assert!(page.contains(shown), "{shown} missing from the card");
    }
    let english = app
        .client
        .get(app.url(&format!("/console/handoffs/{handoff}")))
        .header("cookie", format!("{}; callflow_lang=en", agent.cookie))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("page");
    for shown in ["Customer profile", "VIP level", "2024061803 · delivered"] {
        assert!(
            english.contains(shown),
            "{shown} missing from the English card"
        );
    }
    app
}

/// A chat-widget visitor is looked up by the id its call records give it: the same id for
/// every conversation of that visitor, never its token.
async fn widget_visitors_are_looked_up_by_their_id(app: TestApp) -> TestApp {
    let (tenant, flow_id) = shop(&app, "Widget Shop").await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let remembered = seen.clone();
    let router = Router::new().route(
        "/visitors/{id}",
        get(
            move |axum::extract::Path(id): axum::extract::Path<String>| {
                let remembered = remembered.clone();
                async move {
                    remembered.lock().expect("lock").push(id);
                    axum::Json(json!({ "name": "小明", "title": "小明" }))
                }
            },
        ),
    );
    let channel =
        widget_looked_up_at(&app, &tenant, &flow_id, router, "/visitors/{{visitor}}").await;
    let channel_key = channel["key"].as_str().expect("key");
    let start = |token: Option<String>| {
        let mut request = app
            .client
            .post(app.url(&format!("/widget/v1/channels/{channel_key}/conversations")))
            .header("origin", "https://shop.example");
        if let Some(token) = token {
            request = request.header("x-callflow-visitor", token);
        }
        async move {
            let response = request.send().await.expect("request");
            assert_eq!(response.status().as_u16(), 201);
            response.json::<Value>().await.expect("json")
        }
    };
    let first = start(None).await;
    let greeting = first["messages"][0].as_str().unwrap_or_default();
    assert!(greeting.starts_with("小明您好"), "{first}");
    let token = first["visitor_token"].as_str().expect("token").to_owned();
    start(Some(token.clone())).await;
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0], seen[1], "the same visitor, the same id");
    assert!(seen[0].len() == 16 && !token.contains(&seen[0]), "{seen:?}");
    app
}

/// Serves `router` as the tenant's shop, whose customers the lookup asks for at `path` (with
/// its placeholders), and makes a widget channel for pages of https://shop.example: the
/// channel as the API answered its creation.
async fn widget_looked_up_at(
    app: &TestApp,
    tenant: &TestTenant,
    flow_id: &str,
    router: Router,
    path: &str,
) -> Value {
    let address = serve(router).await;
    app.change_settings(&tenant.id, |settings| {
        settings.allowed_hosts = vec![address.to_string()];
    })
    .await;
    let key = &tenant.owner_key;
    let (status, body) = put_lookup(
        app,
        key,
        json!({ "url": format!("http://{address}{path}") }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, channel) = app
        .api(
            Method::POST,
            key,
            "/widget-channels",
            Some(&json!({ "flow_id": flow_id, "name": "官网", "allowed_origins": ["https://shop.example"] })),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    channel
}

/// The hex HMAC-SHA256 of `customer` under `secret`: what a shop's server computes for its page.
fn signature(secret: &str, customer: &str) -> String {
    use hmac::Mac;
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("any key length");
    mac.update(customer.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A page with a signed-in customer passes the shop's id and its signature: the shop's API is
/// asked by that id (`{{customer}}`) and the visitor is greeted by name; a wrong signature, one
/// of a replaced secret, or an id without one starts nothing, and the shop is never asked.
async fn signed_in_widget_visitors_are_looked_up_by_the_shops_id(app: TestApp) -> TestApp {
    let (tenant, flow_id) = shop(&app, "Signed-in Shop").await;
    let key = &tenant.owner_key;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let remembered = seen.clone();
    let router = Router::new().route(
        "/members/{id}",
        get(
            move |axum::extract::Path(id): axum::extract::Path<String>| {
                let remembered = remembered.clone();
                async move {
                    remembered.lock().expect("lock").push(id.clone());
                    match id.as_str() {
                        "C1001" => {
                            axum::Json(json!({ "name": "张伟", "title": "张先生" })).into_response()
                        }
                        _ => StatusCode::NOT_FOUND.into_response(),
                    }
                }
            },
        ),
    );
    let channel =
        widget_looked_up_at(&app, &tenant, &flow_id, router, "/members/{{customer}}").await;
    assert_eq!(channel["identity_secret_set"], true);
    let secret = channel["identity_secret"]
        .as_str()
        .expect("shown once")
        .to_owned();
    assert!(secret.starts_with("cfi_") && secret.len() > 40, "{secret}");
    let channel_key = channel["key"].as_str().expect("key").to_owned();
    let channel_id = channel["id"].as_str().expect("id").to_owned();
    // Never shown again.
    let (_, listed) = app.api(Method::GET, key, "/widget-channels", None).await;
    assert!(!listed.to_string().contains(&secret), "{listed}");
    assert_eq!(listed[0]["identity_secret_set"], true);

    let start = |body: Option<Value>, language: &'static str| {
        let mut request = app
            .client
            .post(app.url(&format!("/widget/v1/channels/{channel_key}/conversations")))
            .header("origin", "https://shop.example")
            .header("accept-language", language);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("json"))
        }
    };
    let signed = json!({ "customer": "C1001", "customer_signature": signature(&secret, "C1001") });
    let (status, first) = start(Some(signed.clone()), "zh-CN").await;
    assert_eq!(status, 201, "{first}");
    let greeting = first["messages"][0].as_str().unwrap_or_default();
    assert!(greeting.starts_with("张先生您好"), "{first}");
    // The call keeps whom it was with; the visitor's token is nowhere in it.
    let (_, calls) = app.api(Method::GET, key, "/calls", None).await;
    let call = calls["calls"]
        .as_array()
        .and_then(|items| items.iter().find(|call| call["customer_id"] == "C1001"))
        .unwrap_or_else(|| panic!("a call with the customer: {calls}"));
    assert!(call["from"]
        .as_str()
        .is_some_and(|from| from.starts_with("visitor:")));

    // An anonymous visitor: the URL needs a customer, so the shop is not asked.
    let (status, anonymous) = start(None, "zh-CN").await;
    assert_eq!(status, 201, "{anonymous}");
    assert!(
        anonymous["messages"][0]
            .as_str()
            .is_some_and(|text| text.starts_with("您好")),
        "{anonymous}"
    );

    let forged = json!({ "customer": "C1002", "customer_signature": signature(&secret, "C1001") });
    let (status, problem) = start(Some(forged), "en-US").await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["code"], "invalid_customer_signature");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("HMAC-SHA256")),
        "{problem}"
    );
    let (status, problem) = start(Some(json!({ "customer": "C1001" })), "zh-CN").await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["code"], "customer_signature_required");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("签名")),
        "{problem}"
    );

    // A new secret: the old one's signatures no longer count, the new one's do.
    let (status, rotated) = app
        .api(
            Method::POST,
            key,
            &format!("/widget-channels/{channel_id}/rotate-identity-secret"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["identity_secret"].as_str().expect("shown once");
    assert_ne!(new_secret, secret);
    let (status, problem) = start(Some(signed), "zh-CN").await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["code"], "invalid_customer_signature");
    let resigned =
        json!({ "customer": "C1001", "customer_signature": signature(new_secret, "C1001") });
    let (status, again) = start(Some(resigned), "zh-CN").await;
    assert_eq!(status, 201, "{again}");

    // Only the proved customers were ever asked for.
    assert_eq!(*seen.lock().expect("lock"), ["C1001", "C1001"]);
    let audit = app.store.list_audit(&tenant.id, 50).await.expect("audit");
    assert!(audit
        .iter()
        .any(|entry| entry.action == "widget_channel.rotate_identity_secret"));
    assert!(!format!("{audit:?}").contains(new_secret));
    app
}

on_both_databases!(
    members_are_greeted_by_name_in_chat_and_on_the_phone,
    widget_visitors_are_looked_up_by_their_id,
    signed_in_widget_visitors_are_looked_up_by_the_shops_id,
    the_agent_sees_who_is_calling,
    a_failing_lookup_never_stops_the_conversation,
    settings_are_checked_field_by_field_in_the_askers_language,
    tenants_never_see_each_others_lookup,
);
