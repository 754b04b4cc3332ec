//! The service's operator and its tenants on the real server, on SQLite and PostgreSQL:
//! operator keys and shops' credentials kept apart; a tenant created, changed, suspended (its
//! keys, sessions, sign-in, widget and phone number refused) and resumed; and a tenant full of
//! data deleted, with every table of the schema then read for its id.

use std::collections::BTreeMap;

use callflow_tests::app::{TestApp, TestTenant};
use callflow_tests::catalogue::every_row;
use callflow_tests::fakes::twilio::{Caller, FakeTwilio, Step};
use callflow_tests::on_both_databases;
use reqwest::Method;
use serde_json::{json, Value};
use server::store::{now_ms, Role};
use server::tenancy::{self, Operator};

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
const SHOP_ORIGIN: &str = "https://shop.example";

/// A new operator key's token.
async fn operator_key(app: &TestApp) -> String {
    tenancy::operator_keys::create(&app.store, &Operator::Admin, "tests", now_ms())
        .await
        .expect("an operator key")
        .token
}

/// Calls the API with a bearer token and an `Accept-Language`.
async fn call(
    app: &TestApp,
    method: Method,
    token: &str,
    path: &str,
    language: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("/api/v1{path}")))
        .bearer_auth(token)
        .header("accept-language", language);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

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

/// A widget channel on the flow: its public key.
async fn widget_channel(app: &TestApp, tenant: &TestTenant, flow_id: &str) -> String {
    let (status, channel) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/widget-channels",
            Some(&json!({ "flow_id": flow_id, "name": "官网", "allowed_origins": [SHOP_ORIGIN] })),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    channel["key"].as_str().expect("key").to_owned()
}

/// Starts a widget chat: the status, and the body.
async fn widget_start(app: &TestApp, key: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/widget/v1/channels/{key}/conversations")))
        .header("origin", SHOP_ORIGIN)
        .send()
        .await
        .expect("start");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Signs in: the status and the body.
async fn sign_in(app: &TestApp, email: &str, language: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("accept-language", language)
        .json(&json!({ "email": email, "password": "correct horse battery staple" }))
        .send()
        .await
        .expect("login");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn operator_keys_and_shop_credentials_stay_apart(app: TestApp) -> TestApp {
    let shop = app.tenant("Apart").await;
    let owner = app
        .person(&shop.id, "owner@apart.example", "店主", Role::Owner)
        .await;
    let operator = operator_key(&app).await;

    let (status, body) = app
        .api(Method::GET, &operator, "/operator/tenants", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .any(|t| t["slug"].as_str().is_some_and(|s| s.starts_with("apart-"))));

    // A shop's owner key and signed-in owner are credentials, not the operator's.
    let (status, body) = app
        .api(Method::GET, &shop.owner_key, "/operator/tenants", None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("operator_only")),
        "{body}"
    );
    let (status, body) = app
        .as_person(&owner, Method::GET, "/operator/tenants", None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("operator_only")),
        "{body}"
    );
    let response = app
        .client
        .get(app.url("/api/v1/operator/tenants"))
        .send()
        .await
        .expect("no credential");
    assert_eq!(response.status(), 401);
    let forged = format!("cfo_{}_{}", "0".repeat(12), "0".repeat(64));
    let (status, body) = call(&app, Method::GET, &forged, "/operator/tenants", "en", None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["detail"], "the operator key is unknown or revoked");

    // The operator key opens no shop.
    let (status, body) = call(&app, Method::GET, &operator, "/flows", "zh-CN", None).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["detail"].as_str().unwrap_or("").contains("运营方密钥"),
        "{body}"
    );

    // Revoked, it stops at once.
    let keys = app.store.list_operator_keys().await.expect("keys");
    tenancy::operator_keys::revoke(&app.store, &Operator::Admin, &keys[0].id, now_ms())
        .await
        .expect("revoked");
    let (status, _) = app
        .api(Method::GET, &operator, "/operator/tenants", None)
        .await;
    assert_eq!(status, 401);

    // Failed operator keys are throttled by address, as unknown API keys are.
    let mut statuses = Vec::new();
    for _ in 0..server::throttle::KEYS_PER_CLIENT {
        statuses.push(
            call(&app, Method::GET, &forged, "/operator/tenants", "en", None)
                .await
                .0,
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let (status, body) = call(&app, Method::GET, &forged, "/operator/tenants", "en", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("api_key_throttled")),
        "{body}"
    );
    app
}

async fn a_tenant_is_created_changed_suspended_and_resumed(mut app: TestApp) -> TestApp {
    let twilio = FakeTwilio::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let api = twilio.api_base_url();
    app.reconfigure(|config| config.telephony.twilio_api_url = api)
        .await;
    let operator = operator_key(&app).await;
    let bystander = app.tenant("Bystander").await;

    // Wrong values are named, in the asker's language.
    let wrong = json!({ "slug": "Bad Slug", "names": { "zh-CN": "", "en": "Shop" },
                        "owner_email": "nobody", "quotas": { "concurrent_calls": 0 } });
    let (status, body) = call(
        &app,
        Method::POST,
        &operator,
        "/operator/tenants",
        "en",
        Some(&wrong),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "/slug",
            "/names/zh-CN",
            "/owner_email",
            "/quotas/concurrent_calls"
        ]
    );

    let new = json!({ "slug": "tea-house", "names": { "zh-CN": "茶馆", "en": "Tea House" },
                      "owner_email": "Owner@Tea.example", "owner_name": "林老板" });
    let (status, created) = app
        .api(Method::POST, &operator, "/operator/tenants", Some(&new))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["tenant"]["status"], "active");
    assert_eq!(created["tenant"]["names"]["zh-CN"], "茶馆");
    let (status, again) = app
        .api(Method::POST, &operator, "/operator/tenants", Some(&new))
        .await;
    assert_eq!((status, again["code"].as_str()), (409, Some("slug_taken")));

    // The owner joins with the one-time link and chooses a password.
    let token = created["owner_invite"]["token"].as_str().expect("token");
    assert!(created["owner_invite"]["path"]
        .as_str()
        .is_some_and(|path| path.ends_with(token)));
    let accepted = app
        .client
        .post(app.url("/api/v1/invites/accept"))
        .json(&json!({ "token": token, "password": "correct horse battery staple" }))
        .send()
        .await
        .expect("accept");
    assert_eq!(accepted.status(), 200, "{:?}", accepted.text().await);
    let (status, _) = sign_in(&app, "owner@tea.example", "zh-CN").await;
    assert_eq!(status, 200);
    let tenant = app
        .store
        .get_tenant_by_slug("tea-house")
        .await
        .expect("read")
        .expect("the tenant");
    let tea = TestTenant {
        id: tenant.id.clone(),
        owner_key: app.key(&tenant.id, Role::Owner).await,
    };
    let cook = app
        .person(&tea.id, "cook@tea.example", "厨师", Role::Editor)
        .await;

    // Quotas: checked, stored, shown.
    let (status, body) = app
        .api(
            Method::PATCH,
            &operator,
            "/operator/tenants/tea-house",
            Some(&json!({ "quotas": { "storage_mb": 0 } })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "/quotas/storage_mb");
    // Names and quotas are objects: an array of their fields in order changes nothing.
    for change in [
        json!({ "quotas": [null, null] }),
        json!({ "quotas": [1] }),
        json!({ "names": ["老茶馆", "Old Tea House"] }),
    ] {
        let (status, body) = app
            .api(
                Method::PATCH,
                &operator,
                "/operator/tenants/tea-house",
                Some(&change),
            )
            .await;
        assert_eq!(status, 422, "{change}: {body}");
        assert_eq!(body["code"], "invalid_body", "{body}");
    }
    let (status, body) = app
        .api(
            Method::PATCH,
            &operator,
            "/operator/tenants/tea-house",
            Some(
                &json!({ "names": { "zh-CN": "老茶馆", "en": "Old Tea House" },
                          "quotas": { "concurrent_calls": 5, "api_requests_per_minute": 600 } }),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["quotas"],
        json!({ "concurrent_calls": 5, "api_requests_per_minute": 600 })
    );
    assert_eq!(body["names"]["en"], "Old Tea House");

    // A phone number and a widget on a published flow.
    let telephony = json!({
        "twilio": { "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN },
        "speech": { "tts": { "provider": "twilio" } }
    });
    let (status, body) = app
        .api(Method::PUT, &tea.owner_key, "/telephony", Some(&telephony))
        .await;
    assert_eq!(status, 200, "{body}");
    let (flow, _) = app
        .published_flow(&tea.id, "support", &support_flow())
        .await;
    let number = "+8657188880021";
    let (status, body) = app
        .api(
            Method::PUT,
            &tea.owner_key,
            &format!("/phone-numbers/{}", number.replace('+', "%2B")),
            Some(&json!({ "flow_id": flow.id, "mode": "webhook" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let widget = widget_channel(&app, &tea, &flow.id).await;

    // Suspended: every way in is refused.
    let (status, body) = app
        .api(
            Method::POST,
            &operator,
            "/operator/tenants/tea-house/suspend",
            Some(&json!({ "reason": "unpaid invoice" })),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("suspended")),
        "{body}"
    );
    let (status, body) = call(&app, Method::GET, &tea.owner_key, "/flows", "zh-CN", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("tenant_suspended")),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("已被服务运营方暂停"),
        "{body}"
    );
    let (status, body) = call(&app, Method::GET, &tea.owner_key, "/flows", "en", None).await;
    assert_eq!(status, 403);
    assert!(
        body["detail"].as_str().unwrap_or("").contains("suspended"),
        "{body}"
    );
    let (status, body) = app.as_person(&cook, Method::GET, "/flows", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("tenant_suspended"))
    );
    let (status, body) = sign_in(&app, "owner@tea.example", "en").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("tenant_suspended")),
        "{body}"
    );
    assert!(body["detail"]
        .as_str()
        .unwrap_or("")
        .contains("Your shop's service is suspended"));
    // A wrong password is still only a wrong password: the suspension is no oracle.
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": "owner@tea.example", "password": "not the password at all" }))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 401);
    let (status, body) = widget_start(&app, &widget).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("tenant_suspended")),
        "{body}"
    );
    let log = twilio
        .inbound_call(
            &app.url("/twilio/voice"),
            "+8613900001111",
            number,
            Caller::new(vec![Step::HangUp]),
        )
        .await;
    assert_eq!(
        log.said(),
        vec!["您好，本服务暂时无法接听您的来电，请稍后再拨，谢谢。"],
        "the apology in the flow's language only"
    );
    let (_, calls) = app
        .api(Method::GET, &bystander.owner_key, "/calls", None)
        .await;
    assert_eq!(
        calls["calls"],
        json!([]),
        "the bystander is untouched: {calls}"
    );
    let (status, _) = app
        .api(Method::GET, &bystander.owner_key, "/flows", None)
        .await;
    assert_eq!(status, 200, "another shop works on");

    // Resumed: everything works again.
    let (status, body) = app
        .api(
            Method::POST,
            &operator,
            "/operator/tenants/tea-house/resume",
            None,
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("active")),
        "{body}"
    );
    assert_eq!(
        app.api(Method::GET, &tea.owner_key, "/flows", None).await.0,
        200
    );
    assert_eq!(
        app.as_person(&cook, Method::GET, "/flows", None).await.0,
        200
    );
    assert_eq!(sign_in(&app, "owner@tea.example", "en").await.0, 200);
    assert_eq!(widget_start(&app, &widget).await.0, 201);
    let log = twilio
        .inbound_call(
            &app.url("/twilio/voice"),
            "+8613900001111",
            number,
            Caller::new(vec![Step::HangUp]),
        )
        .await;
    assert_eq!(
        log.said().first().copied(),
        Some("您好，请问有什么可以帮您？")
    );

    // The operator's audit log has it all; the shop's own log too.
    let (status, audit) = app
        .api(
            Method::GET,
            &operator,
            "/operator/audit-log?tenant=tea-house",
            None,
        )
        .await;
    assert_eq!(status, 200, "{audit}");
    let actions: Vec<&str> = audit
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "tenant.resume",
            "tenant.suspend",
            "tenant.update",
            "tenant.create"
        ]
    );
    assert_eq!(audit[1]["detail"]["reason"], "unpaid invoice");
    let own = app.store.list_audit(&tea.id, 100).await.expect("audit");
    assert!(own.iter().any(|e| e.action == "tenant.suspend"));
    app
}

/// Fills a tenant with data in every family of tables, through the API as a shop would: a
/// phone call, chats with a handoff and phrasings not understood, a widget visitor, people,
/// invites, keys, agents, queues, knowledge, a customer lookup, telephony, figures.
async fn fill(app: &TestApp, twilio: &FakeTwilio, tenant: &TestTenant, number: &str, tag: &str) {
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
    let (status, body) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            &format!("/phone-numbers/{}", number.replace('+', "%2B")),
            Some(&json!({ "flow_id": flow.id, "mode": "webhook" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            "/customer-lookup",
            Some(&json!({ "enabled": false, "url": "https://crm.example/lookup?phone={{phone}}" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // People: an agent on the queue, an invite, a signed-in editor.
    let agent = app
        .person(
            &tenant.id,
            &format!("agent@{tag}.example"),
            "客服",
            Role::Agent,
        )
        .await;
    let (_, agents) = app.as_person(&agent, Method::GET, "/agents", None).await;
    let agent_id = agents[0]["user_id"].as_str().expect("agent id").to_owned();
    let (status, body) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            &format!("/agents/{agent_id}/queues"),
            Some(&json!({ "queues": ["after-sales"] })),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = app
        .as_person(
            &agent,
            Method::PUT,
            "/agents/me/presence",
            Some(&json!({ "presence": "available" })),
        )
        .await;
    assert_eq!(status, 204);
    app.person(
        &tenant.id,
        &format!("editor@{tag}.example"),
        "编辑",
        Role::Editor,
    )
    .await;
    let (status, body) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/users/invites",
            Some(&json!({ "email": format!("new@{tag}.example"), "display_name": "新人", "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // Conversations: a phone call, chats (one handed to the queue, one not understood), a
    // widget visitor.
    twilio
        .inbound_call_with_status(
            &app.url("/twilio/voice"),
            "+8613800138000",
            number,
            Caller::new(vec![Step::Say("查物流".to_owned()), Step::HangUp]),
            &app.url("/twilio/status"),
        )
        .await;
    for (words, last) in [("斑马口令七七三一", "转人工"), ("今天天气真不错", "")]
    {
        let (status, session) = app
            .api(
                Method::POST,
                &tenant.owner_key,
                "/sessions",
                Some(&json!({ "flow_id": flow.id, "from": "13900139000" })),
            )
            .await;
        assert_eq!(status, 201, "{session}");
        let id = session["id"].as_str().expect("session").to_owned();
        for event in [
            json!({ "type": "text", "text": words }),
            if last.is_empty() {
                json!({ "type": "hangup" })
            } else {
                json!({ "type": "text", "text": last })
            },
        ] {
            let (status, body) = app
                .api(
                    Method::POST,
                    &tenant.owner_key,
                    &format!("/sessions/{id}/events"),
                    Some(&event),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    }
    let key = widget_channel(app, tenant, &flow.id).await;
    let (status, started) = widget_start(app, &key).await;
    assert_eq!(status, 201, "{started}");
    let sent = app
        .client
        .post(app.url(&format!(
            "/widget/v1/channels/{key}/conversations/{}/messages",
            started["id"].as_str().expect("id")
        )))
        .header("origin", SHOP_ORIGIN)
        .header(
            "x-callflow-visitor",
            started["visitor_token"].as_str().expect("token"),
        )
        .json(&json!({ "type": "text", "text": "水獭口令九九八八" }))
        .send()
        .await
        .expect("message");
    assert_eq!(sent.status(), 200);
    server::analytics::rollup::settle(&app.store)
        .await
        .expect("counted");
}

/// Rows by table that hold `needle`.
/// [`holding`] without the quotas' counting windows, which come and go by the minute: not
/// rows a tenant keeps.
fn kept_rows<'a>(rows: &'a [(String, String)], needle: &str) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut found = holding(rows, needle);
    found.remove("widget_rate_windows");
    found
}

fn holding<'a>(rows: &'a [(String, String)], needle: &str) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut found: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (table, text) in rows {
        if text.contains(needle) {
            found.entry(table.as_str()).or_default().push(text.as_str());
        }
    }
    found
}

async fn a_deleted_tenant_leaves_no_row_in_any_table(mut app: TestApp) -> TestApp {
    let twilio = FakeTwilio::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let api = twilio.api_base_url();
    app.reconfigure(|config| config.telephony.twilio_api_url = api)
        .await;
    let operator = operator_key(&app).await;
    let gone = app.tenant_for_examples("Gone Shop").await;
    let kept = app.tenant_for_examples("Kept Shop").await;
    fill(&app, &twilio, &gone, "+8657188880031", "gone").await;
    fill(&app, &twilio, &kept, "+8657188880032", "kept").await;
    let slug = app
        .store
        .get_tenant(&gone.id)
        .await
        .expect("read")
        .expect("the tenant")
        .slug;

    let before = every_row(&app).await;
    let gone_before = holding(&before, &gone.id);
    // The search can fail: the tenant is in every family of tables before.
    for table in [
        "tenants",
        "users",
        "api_keys",
        "login_sessions",
        "invites",
        "audit_log",
        "flows",
        "flow_versions",
        "conversations",
        "call_events",
        "handoffs",
        "queues",
        "agents",
        "knowledge_bases",
        "knowledge_entries",
        "widget_channels",
        "widget_conversations",
        "customer_lookups",
        "phone_numbers",
        "telephony_settings",
        "analytics_calls",
        "analytics_nodes",
        "analytics_unheard_texts",
    ] {
        assert!(
            gone_before.contains_key(table),
            "{table} holds none of the tenant's rows before: {:?}",
            gone_before.keys()
        );
    }
    let kept_before = kept_rows(&before, &kept.id);

    // A typo deletes nothing.
    let (status, body) = app
        .api(
            Method::DELETE,
            &operator,
            &format!("/operator/tenants/{slug}?confirm=gone-shop"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("confirmation_required")),
        "{body}"
    );
    let (status, body) = app
        .api(
            Method::DELETE,
            &operator,
            &format!("/operator/tenants/{slug}"),
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        holding(&every_row(&app).await, &gone.id).len(),
        gone_before.len()
    );

    let (status, deleted) = app
        .api(
            Method::DELETE,
            &operator,
            &format!("/operator/tenants/{slug}?confirm={slug}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["rows"]["tenants"], 1, "{deleted}");
    assert!(
        deleted["rows"]["call_events"].as_u64().unwrap_or(0) > 0,
        "{deleted}"
    );

    let after = every_row(&app).await;
    let left = holding(&after, &gone.id);
    assert!(
        left.is_empty(),
        "rows of the deleted tenant are left: {left:#?}"
    );
    let kept_after = kept_rows(&after, &kept.id);
    assert_eq!(
        kept_after.keys().collect::<Vec<_>>(),
        kept_before.keys().collect::<Vec<_>>(),
        "the other tenant keeps its tables"
    );
    for (table, rows) in &kept_before {
        assert_eq!(
            kept_after[table].len(),
            rows.len(),
            "the other tenant keeps every row of {table}"
        );
    }

    // Gone for every credential, and recorded where the operator reads.
    let (status, _) = app.api(Method::GET, &gone.owner_key, "/flows", None).await;
    assert_eq!(status, 401);
    assert_eq!(
        app.api(Method::GET, &kept.owner_key, "/flows", None)
            .await
            .0,
        200
    );
    let (status, _) = app
        .api(
            Method::GET,
            &operator,
            &format!("/operator/tenants/{slug}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (_, audit) = app
        .api(
            Method::GET,
            &operator,
            &format!("/operator/audit-log?tenant={slug}"),
            None,
        )
        .await;
    assert_eq!(audit[0]["action"], "tenant.delete", "{audit}");
    assert!(
        audit[0]["detail"]["rows"]["conversations"]
            .as_u64()
            .unwrap_or(0)
            >= 4,
        "{audit}"
    );
    app
}

on_both_databases!(
    operator_keys_and_shop_credentials_stay_apart,
    a_tenant_is_created_changed_suspended_and_resumed,
    a_deleted_tenant_leaves_no_row_in_any_table,
);
