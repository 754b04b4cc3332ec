//! Per-tenant quotas, on SQLite and PostgreSQL: each refuses past its tenant's limit with
//! `quota_exceeded` naming it, lets through under it, and leaves other tenants alone; API
//! requests are counted over two servers sharing one database. A refused phone call is in
//! tests/tests/phone.rs, with the fake carrier.

use std::net::SocketAddr;
use std::time::Duration;

use callflow_tests::app::TestApp;
use callflow_tests::on_both_databases;
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};
use server::store::Role;

/// A request to `base` (a server's address) under `/api/v1` with an API key: status, headers,
/// body.
async fn call(
    app: &TestApp,
    base: &str,
    method: Method,
    key: &str,
    path: &str,
    body: Option<&Value>,
    language: &str,
) -> (u16, HeaderMap, Value) {
    let mut request = app
        .client
        .request(method, format!("{base}/api/v1{path}"))
        .bearer_auth(key)
        .header("accept-language", language);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, body)
}

fn retry_after(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("retry-after")
        .map(|value| value.to_str().expect("text").parse().expect("seconds"))
}

/// A chat flow that asks once and ends on any answer.
fn chat_flow() -> Value {
    json!({
        "schema": 1,
        "name": "quota-chat",
        "language": "zh-CN",
        "start": "ask",
        "variables": { "answer": "" },
        "nodes": [
            { "id": "ask", "type": "ask", "prompt": "请讲", "save_as": "answer", "next": "ask2",
              "no_match": { "max": 0, "next": "ask2" },
              "no_input": { "max": 0, "next": "ask2" } },
            { "id": "ask2", "type": "ask", "prompt": "还有吗", "save_as": "answer", "next": "ask",
              "no_match": { "max": 0, "next": "ask" },
              "no_input": { "max": 0, "next": "ask" } }
        ]
    })
}

/// Waits until at least `needed_ms` are left of the current minute, so that a count made in
/// one-minute windows is not split by a window's end.
async fn room_in_this_minute(needed_ms: i64) {
    let now = server::store::now_ms();
    let left = 60_000 - now.rem_euclid(60_000);
    if left < needed_ms {
        tokio::time::sleep(Duration::from_millis(
            u64::try_from(left + 100).expect("ms"),
        ))
        .await;
    }
}

async fn api_requests_are_counted_over_both_servers(app: TestApp) -> TestApp {
    let limited = app.tenant("Busy Shop").await;
    let other = app.tenant("Quiet Shop").await;
    app.change_settings(&limited.id, |settings| {
        settings.quotas.api_requests_per_minute = Some(10);
    })
    .await;
    let mut config = app.config.clone();
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let second_server = server::app::start(&config).await.expect("a second server");
    let first = app.url("");
    let second = format!("http://{}", second_server.address);
    room_in_this_minute(30_000).await;

    // Four requests on each server, each server's sent to the database by its batch before
    // the other's; then one at a time on alternate servers: ten in all are let in.
    let mut admitted = 0;
    for base in [&first, &second] {
        for _ in 0..4 {
            let (status, _, body) = call(
                &app,
                base,
                Method::GET,
                &limited.owner_key,
                "/flows",
                None,
                "en",
            )
            .await;
            assert_eq!(status, 200, "{body}");
            admitted += 1;
        }
        tokio::time::sleep(Duration::from_millis(1_500)).await;
    }
    let mut refused = None;
    for attempt in 0..6 {
        let base = if attempt % 2 == 0 { &first } else { &second };
        let (status, headers, body) = call(
            &app,
            base,
            Method::GET,
            &limited.owner_key,
            "/flows",
            None,
            "en",
        )
        .await;
        match status {
            200 => admitted += 1,
            429 => {
                refused.get_or_insert((headers, body));
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(
        admitted, 10,
        "exactly the limit is let in over both servers"
    );
    let (headers, body) = refused.expect("a refusal");
    assert_eq!(body["code"], "quota_exceeded", "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        detail.contains("API requests per minute") && detail.contains("10"),
        "{detail}"
    );
    let wait = retry_after(&headers).expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    // Refused on both servers, in Chinese for a Chinese asker.
    for base in [&first, &second] {
        let (status, _, body) = call(
            &app,
            base,
            Method::GET,
            &limited.owner_key,
            "/flows",
            None,
            "zh-CN",
        )
        .await;
        assert_eq!(status, 429, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains("每分钟 API 请求数")),
            "{body}"
        );
    }
    // Another tenant is not touched by the first one's quota.
    for base in [&first, &second] {
        let (status, _, body) = call(
            &app,
            base,
            Method::GET,
            &other.owner_key,
            "/flows",
            None,
            "en",
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    second_server.stop().await.expect("the second server stops");
    app
}

async fn chats_open_at_once_are_limited(app: TestApp) -> TestApp {
    let limited = app.tenant("Chatty Shop").await;
    let other = app.tenant("Calm Shop").await;
    app.change_settings(&limited.id, |settings| {
        settings.quotas.concurrent_chats = Some(2);
    })
    .await;
    let base = app.url("");
    let (flow, _) = app
        .published_flow(&limited.id, "quota-chat", &chat_flow())
        .await;
    let (other_flow, _) = app
        .published_flow(&other.id, "quota-chat", &chat_flow())
        .await;
    let start = json!({ "flow_id": flow.id });
    for _ in 0..2 {
        let (status, _, body) = call(
            &app,
            &base,
            Method::POST,
            &limited.owner_key,
            "/sessions",
            Some(&start),
            "en",
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, headers, body) = call(
        &app,
        &base,
        Method::POST,
        &limited.owner_key,
        "/sessions",
        Some(&start),
        "en",
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "quota_exceeded");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("web chats open at once") && detail.contains('2')),
        "{body}"
    );
    assert_eq!(retry_after(&headers), None, "waiting does not end a chat");
    let (status, _, body) = call(
        &app,
        &base,
        Method::POST,
        &other.owner_key,
        "/sessions",
        Some(&json!({ "flow_id": other_flow.id })),
        "en",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let chats = quota_use(&app, &base, &limited.owner_key, "concurrent_chats").await;
    assert_eq!(chats["limit"], 2);
    assert_eq!(chats["used"], 2);
    assert_eq!(chats["default"], false);
    app
}

async fn openings_at_the_same_instant_on_two_servers_stop_at_the_limit(app: TestApp) -> TestApp {
    let limited = app.tenant("Crowded Shop").await;
    app.change_settings(&limited.id, |settings| {
        settings.quotas.concurrent_chats = Some(3);
    })
    .await;
    let mut config = app.config.clone();
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let second_server = server::app::start(&config).await.expect("a second server");
    let first = app.url("");
    let second = format!("http://{}", second_server.address);
    let (flow, _) = app
        .published_flow(&limited.id, "quota-chat", &chat_flow())
        .await;
    let start = json!({ "flow_id": flow.id });

    // Eight chats opened at once, half on each server: every one finds none open when it
    // starts, and only the limit's three are written.
    let openings = (0..8).map(|attempt| {
        let base = if attempt % 2 == 0 { &first } else { &second };
        call(
            &app,
            base,
            Method::POST,
            &limited.owner_key,
            "/sessions",
            Some(&start),
            "en",
        )
    });
    let answers = futures_util::future::join_all(openings).await;
    let mut opened = 0;
    for (status, _, body) in &answers {
        match status {
            201 => opened += 1,
            429 => assert_eq!(body["code"], "quota_exceeded", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(opened, 3, "exactly the limit is opened over both servers");
    let chats = quota_use(&app, &second, &limited.owner_key, "concurrent_chats").await;
    assert_eq!(chats["used"], 3);
    second_server.stop().await.expect("the second server stops");
    app
}

async fn chat_turns_over_the_rate_are_refused(app: TestApp) -> TestApp {
    let limited = app.tenant("Fast Shop").await;
    app.change_settings(&limited.id, |settings| {
        settings.quotas.turns_per_second = Some(1);
    })
    .await;
    let base = app.url("");
    let (flow, _) = app
        .published_flow(&limited.id, "quota-chat", &chat_flow())
        .await;
    let (status, _, session) = call(
        &app,
        &base,
        Method::POST,
        &limited.owner_key,
        "/sessions",
        Some(&json!({ "flow_id": flow.id })),
        "en",
    )
    .await;
    assert_eq!(status, 201, "{session}");
    let path = format!("/sessions/{}/events", session["id"].as_str().expect("id"));
    let message = json!({ "type": "text", "text": "你好" });
    // One turn a second: of four sent at once, at most two (one each side of a second's end)
    // are taken.
    let mut taken = 0;
    let mut refusal = None;
    for _ in 0..4 {
        let (status, headers, body) = call(
            &app,
            &base,
            Method::POST,
            &limited.owner_key,
            &path,
            Some(&message),
            "zh-CN",
        )
        .await;
        match status {
            200 => taken += 1,
            429 => {
                refusal.get_or_insert((headers, body));
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!((1..=2).contains(&taken), "{taken} turns taken");
    let (headers, body) = refusal.expect("a refusal");
    assert_eq!(body["code"], "quota_exceeded");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("每秒对话轮次")),
        "{body}"
    );
    assert_eq!(retry_after(&headers), Some(1));
    // The next second takes a turn again: the refused ones changed nothing.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (status, _, body) = call(
        &app,
        &base,
        Method::POST,
        &limited.owner_key,
        &path,
        Some(&message),
        "en",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    app
}

async fn writes_over_the_storage_quota_are_refused(app: TestApp) -> TestApp {
    let full = app.tenant("Full Shop").await;
    let other = app.tenant("Empty Shop").await;
    app.change_settings(&full.id, |settings| {
        settings.quotas.storage_mb = Some(1);
    })
    .await;
    let base = app.url("");
    // A flow of 1.2 MB, straight in the store (its draft and its version: 2.4 MB).
    let mut big = chat_flow();
    big["description"] = json!("很".repeat(400_000));
    let (flow, _) = app.published_flow(&full.id, "big", &big).await;
    let small = chat_flow();
    let (status, _, body) = call(
        &app,
        &base,
        Method::POST,
        &full.owner_key,
        "/flows",
        Some(&small),
        "en",
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "quota_exceeded");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("storage (MB)") && detail.contains("storage_mb")),
        "{body}"
    );
    let (status, _, body) = call(
        &app,
        &base,
        Method::GET,
        &full.owner_key,
        &format!("/flows/{}", flow.id),
        None,
        "en",
    )
    .await;
    assert_eq!(status, 200, "reading is not refused: {body}");
    // Another tenant saves as before.
    let (status, _, body) = call(
        &app,
        &base,
        Method::POST,
        &other.owner_key,
        "/flows",
        Some(&small),
        "en",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // The owner sees the use against the limit; an editor may not.
    let storage = quota_use(&app, &base, &full.owner_key, "storage_mb").await;
    assert_eq!(storage["limit"], 1);
    assert!(
        storage["used"].as_i64().is_some_and(|used| used >= 2),
        "{storage}"
    );
    let calls = quota_use(&app, &base, &full.owner_key, "concurrent_calls").await;
    assert_eq!(calls["default"], true);
    assert_eq!(calls["limit"], server::quotas::DEFAULT_CONCURRENT_CALLS);
    let editor = app.key(&full.id, Role::Editor).await;
    let (status, _, body) = call(
        &app,
        &base,
        Method::GET,
        &editor,
        "/tenant/usage",
        None,
        "en",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    app
}

on_both_databases!(
    api_requests_are_counted_over_both_servers,
    chats_open_at_once_are_limited,
    openings_at_the_same_instant_on_two_servers_stop_at_the_limit,
    chat_turns_over_the_rate_are_refused,
    writes_over_the_storage_quota_are_refused,
);

/// One quota's limit and use, as `GET /tenant/usage` shows it to the owner.
async fn quota_use(app: &TestApp, base: &str, owner_key: &str, quota: &str) -> Value {
    let (status, _, usage) = call(
        app,
        base,
        Method::GET,
        owner_key,
        "/tenant/usage",
        None,
        "en",
    )
    .await;
    assert_eq!(status, 200, "{usage}");
    usage["quotas"]
        .as_array()
        .expect("quotas")
        .iter()
        .find(|item| item["quota"] == quota)
        .unwrap_or_else(|| panic!("the {quota} quota in {usage}"))
        .clone()
}
