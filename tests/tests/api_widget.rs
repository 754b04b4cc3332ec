//! The chat widget's API on the real server, on SQLite and PostgreSQL: channels managed with
//! an API key, and the public `/widget/v1` API as a shop's page calls it — CORS for the
//! channel's origins (preflights included), visitors who reach only their own conversations,
//! switched-off channels and unpublished flows refused, rate limits answered with 429 and
//! `Retry-After`.

use callflow_tests::app::{TestApp, TestTenant};
use callflow_tests::on_both_databases;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::store::Role;

const SHOP: &str = "https://shop.example";
const STRANGER: &str = "https://stranger.example";

fn order_status() -> Value {
    let text = std::fs::read_to_string(callflow_tests::root().join("flows/order-status.json"))
        .expect("flow");
    serde_json::from_str(&text).expect("json")
}

/// A tenant with the example flows' queues, the order-status flow published and a channel for it
/// that allows [`SHOP`].
async fn shop(app: &TestApp, name: &str) -> (TestTenant, Value) {
    let tenant = app.tenant_for_examples(name).await;
    let (flow, _) = app
        .published_flow(&tenant.id, "order-status", &order_status())
        .await;
    let (status, channel) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/widget-channels",
            Some(&json!({ "flow_id": flow.id, "name": "官网", "allowed_origins": [SHOP] })),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    (tenant, channel)
}

fn key_of(channel: &Value) -> &str {
    channel["key"].as_str().expect("key")
}

/// A widget request as a page of `origin` makes it, with the visitor's token when given.
async fn widget(
    app: &TestApp,
    method: Method,
    path: &str,
    origin: Option<&str>,
    visitor: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(&format!("/widget/v1{path}")));
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    if let Some(visitor) = visitor {
        request = request.header("x-callflow-visitor", visitor);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("widget request")
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Starts a conversation on the channel as a new visitor: its id and the visitor's token.
async fn start(app: &TestApp, key: &str) -> (String, String, Value) {
    let response = widget(
        app,
        Method::POST,
        &format!("/channels/{key}/conversations"),
        Some(SHOP),
        None,
        None,
    )
    .await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (status, body) = json_of(response).await;
    assert_eq!(status, 201, "{body}");
    let token = body["visitor_token"].as_str().expect("token").to_owned();
    assert!(
        cookie.starts_with(&format!("callflow_visitor={token};")) && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let id = body["id"].as_str().expect("id").to_owned();
    (id, token, body)
}

async fn channels_are_managed_and_audited(app: TestApp) -> TestApp {
    let (tenant, channel) = shop(&app, "Widget Shop").await;
    assert!(key_of(&channel).starts_with("cfw_"));
    let tag = channel["script_tag"].as_str().expect("tag");
    assert!(
        tag.contains("/widget.js") && tag.contains(key_of(&channel)),
        "{tag}"
    );
    assert_eq!(channel["language"], "zh-CN");
    assert_eq!(channel["enabled"], true);
    let id = channel["id"].as_str().expect("id").to_owned();

    let (status, problem) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            &format!("/widget-channels/{id}"),
            Some(
                &json!({ "name": "官网", "allowed_origins": [SHOP, "https://shop.example/path"],
                          "enabled": true, "language": "en" }),
            ),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "invalid_origin");
    assert_eq!(problem["errors"][0]["field"], "/allowed_origins/1");

    let (status, updated) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            &format!("/widget-channels/{id}"),
            Some(&json!({ "name": "官网", "allowed_origins": ["HTTPS://Shop.Example:443", "http://127.0.0.1:8000"],
                          "enabled": true, "language": "en" })),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated["allowed_origins"],
        json!([SHOP, "http://127.0.0.1:8000"])
    );
    assert_eq!(updated["language"], "en");

    let viewer = app.key(&tenant.id, Role::Viewer).await;
    let (status, listed) = app
        .api(Method::GET, &viewer, "/widget-channels", None)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let (status, _) = app
        .api(
            Method::POST,
            &viewer,
            &format!("/widget-channels/{id}/rotate-key"),
            None,
        )
        .await;
    assert_eq!(status, 403, "viewers do not manage channels");

    let (status, rotated) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            &format!("/widget-channels/{id}/rotate-key"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["key"], channel["key"]);
    let old = widget(
        &app,
        Method::GET,
        &format!("/channels/{}", key_of(&channel)),
        Some(SHOP),
        None,
        None,
    )
    .await;
    let (status, problem) = json_of(old).await;
    assert_eq!(status, 404);
    assert_eq!(problem["code"], "channel_not_found");

    let (status, _) = app
        .api(
            Method::DELETE,
            &tenant.owner_key,
            &format!("/widget-channels/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .api(
            Method::DELETE,
            &tenant.owner_key,
            &format!("/widget-channels/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);

    let audit = app.store.list_audit(&tenant.id, 20).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|entry| entry.action.as_str()).collect();
    for action in [
        "widget_channel.create",
        "widget_channel.update",
        "widget_channel.rotate_key",
        "widget_channel.delete",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    app
}

async fn cors_answers_allowed_origins_only(app: TestApp) -> TestApp {
    let (_, channel) = shop(&app, "Cors Shop").await;
    let path = format!("/channels/{}", key_of(&channel));

    let allowed = widget(&app, Method::GET, &path, Some(SHOP), None, None).await;
    assert_eq!(allowed.status(), 200);
    let headers = allowed.headers();
    assert_eq!(headers["access-control-allow-origin"], SHOP);
    assert_eq!(headers["access-control-allow-credentials"], "true");
    let (_, info) = json_of(allowed).await;
    assert_eq!(info["language"], "zh-CN");

    let refused = widget(&app, Method::GET, &path, Some(STRANGER), None, None).await;
    assert_eq!(refused.status(), 403);
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let (_, problem) = json_of(refused).await;
    assert_eq!(problem["code"], "origin_not_allowed");

    let refused = widget(
        &app,
        Method::POST,
        &format!("{path}/conversations"),
        Some(STRANGER),
        None,
        None,
    )
    .await;
    assert_eq!(refused.status(), 403, "no conversation for another site");

    for (origin, expected) in [(SHOP, 204), (STRANGER, 403)] {
        let preflight = app
            .client
            .request(
                Method::OPTIONS,
                app.url(&format!("/widget/v1{path}/conversations/cht_x/messages")),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, x-callflow-visitor",
            )
            .send()
            .await
            .expect("preflight");
        assert_eq!(preflight.status().as_u16(), expected, "{origin}");
        let headers = preflight.headers();
        if expected == 204 {
            assert_eq!(headers["access-control-allow-origin"], SHOP);
            let allowed = headers["access-control-allow-headers"]
                .to_str()
                .unwrap_or("");
            assert!(allowed.contains("x-callflow-visitor"), "{allowed}");
            assert!(headers["access-control-allow-methods"]
                .to_str()
                .unwrap_or("")
                .contains("POST"));
        } else {
            assert!(headers.get("access-control-allow-origin").is_none());
        }
    }

    let script = app
        .client
        .get(app.url("/widget.js"))
        .send()
        .await
        .expect("script");
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/javascript"));
    assert!(script.headers()["cache-control"]
        .to_str()
        .unwrap_or("")
        .contains("max-age"));
    let etag = script.headers()["etag"].clone();
    let again = app
        .client
        .get(app.url("/widget.js"))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("script");
    assert_eq!(again.status(), 304);
    app
}

async fn visitors_reach_only_their_own_conversations(app: TestApp) -> TestApp {
    let (tenant, channel) = shop(&app, "Visitor Shop").await;
    let key = key_of(&channel).to_owned();
    let (mine, token, first) = start(&app, &key).await;
    assert_eq!(first["owner"], "bot");
    assert!(first["messages"][0].as_str().unwrap_or("").contains("欢迎"));
    let labels: Vec<&str> = first["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .filter_map(|choice| choice["label"].as_str())
        .collect();
    assert_eq!(labels, ["查订单", "我要退货", "转人工"]);

    // A menu button sends its key.
    let answer = widget(
        &app,
        Method::POST,
        &format!("/channels/{key}/conversations/{mine}/messages"),
        Some(SHOP),
        Some(&token),
        Some(json!({ "type": "digits", "digits": "1" })),
    )
    .await;
    let (status, answer) = json_of(answer).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["messages"][0]
        .as_str()
        .unwrap_or("")
        .contains("订单号"));

    let (_, other_token, _) = start(&app, &key).await;
    let own = format!("/channels/{key}/conversations/{mine}");
    for (visitor, expected) in [
        (Some(token.as_str()), 200),
        (Some(&other_token), 404),
        (None, 401),
    ] {
        for path in [own.clone(), format!("{own}/events?after=0")] {
            let response = widget(&app, Method::GET, &path, Some(SHOP), visitor, None).await;
            let (status, body) = json_of(response).await;
            assert_eq!(status.as_u16(), expected, "{path}: {body}");
            if expected == 401 {
                assert_eq!(body["code"], "visitor_required");
            }
        }
    }
    let stolen = widget(
        &app,
        Method::POST,
        &format!("{own}/messages"),
        Some(SHOP),
        Some(&other_token),
        Some(json!({ "type": "text", "text": "我要退货" })),
    )
    .await;
    assert_eq!(stolen.status(), 404, "another visitor cannot write to it");

    // The visitor's lines, in order.
    let events = widget(
        &app,
        Method::GET,
        &format!("{own}/events?after=0"),
        Some(SHOP),
        Some(&token),
        None,
    )
    .await;
    let (_, events) = json_of(events).await;
    let kinds: Vec<&str> = events["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|line| line["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["bot", "bot", "visitor", "bot"]);
    let last = events["last_seq"].as_i64().expect("last seq");
    let later = widget(
        &app,
        Method::GET,
        &format!("{own}/events?after={last}"),
        Some(SHOP),
        Some(&token),
        None,
    )
    .await;
    let (_, later) = json_of(later).await;
    assert_eq!(later["lines"], json!([]));

    // Another channel of the same tenant, and another tenant's, with the visitor's own token.
    let flow_id = channel["flow_id"].as_str().expect("flow");
    let (_, second) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/widget-channels",
            Some(&json!({ "flow_id": flow_id, "name": "app", "allowed_origins": [SHOP] })),
        )
        .await;
    let (_, foreign) = shop(&app, "Other Shop").await;
    for other in [key_of(&second), key_of(&foreign)] {
        let response = widget(
            &app,
            Method::GET,
            &format!("/channels/{other}/conversations/{mine}"),
            Some(SHOP),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(response.status(), 404, "through channel {other}");
    }

    // Asking for a person: the conversation is a person's now.
    let handed = widget(
        &app,
        Method::POST,
        &format!("{own}/messages"),
        Some(SHOP),
        Some(&token),
        Some(json!({ "type": "digits", "digits": "0" })),
    )
    .await;
    let (status, handed) = json_of(handed).await;
    assert_eq!(status, 200, "{handed}");
    assert_eq!(handed["owner"], "person", "{handed}");
    assert!(handed["queue"].is_string(), "{handed}");
    app
}

async fn switched_off_channels_and_unpublished_flows_are_refused(app: TestApp) -> TestApp {
    let (tenant, channel) = shop(&app, "Closed Shop").await;
    let id = channel["id"].as_str().expect("id");
    let (status, _) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            &format!("/widget-channels/{id}"),
            Some(&json!({ "name": "官网", "allowed_origins": [SHOP], "enabled": false, "language": "zh-CN" })),
        )
        .await;
    assert_eq!(status, 200);
    let response = widget(
        &app,
        Method::POST,
        &format!("/channels/{}/conversations", key_of(&channel)),
        Some(SHOP),
        None,
        None,
    )
    .await;
    assert_eq!(response.headers()["access-control-allow-origin"], SHOP);
    let (status, problem) = json_of(response).await;
    assert_eq!(status, 403);
    assert_eq!(problem["code"], "channel_disabled");

    let (status, draft) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/flows",
            Some(&{
                let mut document = order_status();
                document["name"] = json!("draft only");
                document
            }),
        )
        .await;
    assert_eq!(status, 201, "{draft}");
    let (status, unpublished) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/widget-channels",
            Some(&json!({ "flow_id": draft["id"], "name": "草稿", "allowed_origins": [SHOP] })),
        )
        .await;
    assert_eq!(status, 201, "{unpublished}");
    let response = widget(
        &app,
        Method::POST,
        &format!("/channels/{}/conversations", key_of(&unpublished)),
        Some(SHOP),
        None,
        None,
    )
    .await;
    let (status, problem) = json_of(response).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["code"], "not_published");
    app
}

async fn visitors_over_the_limit_wait(app: TestApp) -> TestApp {
    let (_, channel) = shop(&app, "Busy Shop").await;
    let key = key_of(&channel).to_owned();
    let (_, token, _) = start(&app, &key).await;
    let path = format!("/channels/{key}");
    // The limit is per minute; should the minute turn during the loop, counting starts again,
    // so the loop goes on past twice the limit.
    let mut admitted = 0;
    let limited = loop {
        let response = widget(&app, Method::GET, &path, Some(SHOP), Some(&token), None).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            break response;
        }
        assert_eq!(response.status(), 200);
        admitted += 1;
        assert!(admitted <= 2 * 60, "never limited");
    };
    assert!(admitted >= 59, "limited after {admitted}");
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|text| text.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(limited.headers()["access-control-allow-origin"], SHOP);
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );
    let (_, problem) = json_of(limited).await;
    assert_eq!(problem["code"], "rate_limited");

    // Another visitor is not limited by this one's requests.
    let (_, _, _) = start(&app, &key).await;
    app
}

on_both_databases!(
    channels_are_managed_and_audited,
    cors_answers_allowed_origins_only,
    visitors_reach_only_their_own_conversations,
    switched_off_channels_and_unpublished_flows_are_refused,
    visitors_over_the_limit_wait,
    a_waiting_visitor_hears_of_a_new_line_at_once,
);

/// A visitor waiting for an agent asks for new lines with `wait`: the answer comes when a line
/// is written, not at the end of the wait; with nothing written it comes empty at the end.
async fn a_waiting_visitor_hears_of_a_new_line_at_once(app: TestApp) -> TestApp {
    let (_, channel) = shop(&app, "Waiting Shop").await;
    let key = key_of(&channel).to_owned();
    let (id, token, _) = start(&app, &key).await;
    let own = format!("/channels/{key}/conversations/{id}");
    let messages = format!("{own}/messages");
    let say = |text: &'static str| {
        widget(
            &app,
            Method::POST,
            &messages,
            Some(SHOP),
            Some(&token),
            Some(json!({ "type": "text", "text": text })),
        )
    };
    let (status, handed) = json_of(say("转人工").await).await;
    assert_eq!(
        (status, handed["owner"].as_str()),
        (StatusCode::OK, Some("person")),
        "{handed}"
    );
    let (_, page) = json_of(
        widget(
            &app,
            Method::GET,
            &format!("{own}/events?after=0"),
            Some(SHOP),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    let last = page["last_seq"].as_i64().expect("last_seq");

    // Nothing new: the answer waits the whole second, then comes empty.
    let started = std::time::Instant::now();
    let (_, quiet) = json_of(
        widget(
            &app,
            Method::GET,
            &format!("{own}/events?after={last}&wait=1"),
            Some(SHOP),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "it waited"
    );
    assert_eq!(quiet["lines"], json!([]));
    assert_eq!(quiet["last_seq"].as_i64(), Some(last));

    // A line written while it waits ends the wait long before its 20 seconds.
    let started = std::time::Instant::now();
    let long_poll = format!("{own}/events?after={last}&wait=20");
    let waiting = widget(
        &app,
        Method::GET,
        &long_poll,
        Some(SHOP),
        Some(&token),
        None,
    );
    let writing = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        say("有人在吗").await
    };
    let (answer, _) = tokio::join!(waiting, writing);
    let (status, page) = json_of(answer).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the answer came with the line, not at the end of the wait"
    );
    assert_eq!(page["lines"][0]["kind"], "visitor", "{page}");
    assert_eq!(page["lines"][0]["text"], "有人在吗");
    app
}
