//! What a security probe looks for, on SQLite and PostgreSQL: guessing passwords and API keys is
//! throttled (across servers sharing the database), answers carry the headers browsers need,
//! every error is problem+json, a key does not revoke itself unasked, drafts keep to the size
//! limit, and the data directory is private.

use std::net::SocketAddr;

use callflow_tests::app::TestApp;
use callflow_tests::on_both_databases;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use server::store::Role;

const PASSWORD: &str = "correct horse battery staple";

async fn sign_in(
    app: &TestApp,
    base: &str,
    email: &str,
    password: &str,
    address: &str,
    language: &str,
) -> (u16, HeaderMap, Value) {
    let response = app
        .client
        .post(format!("{base}/api/v1/auth/login"))
        // The test's requests come from this machine, whose proxy the server believes.
        .header("x-forwarded-for", address)
        .header("accept-language", language)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.expect("json");
    (status, headers, body)
}

fn retry_after(headers: &HeaderMap) -> u64 {
    headers["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds")
}

async fn sign_ins_are_throttled_per_account_and_per_address(app: TestApp) -> TestApp {
    let tenant = app.tenant("Throttle Shop").await;
    app.person(&tenant.id, "owner@throttle.example", "店主", Role::Owner)
        .await;
    app.person(&tenant.id, "staff@throttle.example", "店员", Role::Editor)
        .await;
    // A second server on the same database counts the same failures.
    let mut config = app.config.clone();
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let other = server::app::start(&config).await.expect("a second server");
    let first = app.url("");
    let second = format!("http://{}", other.address);

    // Four slips, then the right password: the slips are forgiven.
    for _ in 0..4 {
        let (status, _, body) = sign_in(
            &app,
            &first,
            "owner@throttle.example",
            "wrong",
            "203.0.113.1",
            "zh-CN",
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("invalid_credentials")),
            "{body}"
        );
        assert_eq!(body["detail"], "邮箱或密码不正确。");
    }
    let (status, _, body) = sign_in(
        &app,
        &first,
        "owner@throttle.example",
        PASSWORD,
        "203.0.113.1",
        "zh-CN",
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Five wrong passwords, spread over both servers and two addresses, lock the account: the
    // right password is refused too, on either server, in the asker's language.
    for attempt in 0..5 {
        let (base, address) = if attempt % 2 == 0 {
            (&first, "203.0.113.1")
        } else {
            (&second, "203.0.113.2")
        };
        let (status, _, body) =
            sign_in(&app, base, "Owner@Throttle.example", "guess", address, "en").await;
        assert_eq!(status, 401, "attempt {attempt}: {body}");
        assert_eq!(body["detail"], "The email or the password is wrong.");
    }
    for base in [&first, &second] {
        let (status, headers, body) = sign_in(
            &app,
            base,
            "owner@throttle.example",
            PASSWORD,
            "198.51.100.9",
            "zh-CN",
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (429, Some("sign_in_throttled")),
            "{body}"
        );
        assert_eq!(headers["content-type"], "application/problem+json");
        let wait = retry_after(&headers);
        assert!((1..=15 * 60).contains(&wait), "Retry-After {wait}");
        let detail = body["detail"].as_str().expect("detail");
        assert!(
            detail.starts_with("这个账号登录失败次数过多") && detail.contains("15 分钟"),
            "{detail}"
        );
    }
    let (_, _, body) = sign_in(
        &app,
        &first,
        "owner@throttle.example",
        PASSWORD,
        "198.51.100.9",
        "en",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Too many failed sign-ins for this account")),
        "{body}"
    );
    // Another account is not locked by it.
    let (status, _, body) = sign_in(
        &app,
        &second,
        "staff@throttle.example",
        PASSWORD,
        "198.51.100.9",
        "zh-CN",
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // One address guessing across many accounts, known or not, is stopped after 20 failures
    // (four per made-up account, under the account limit); other addresses are not.
    for attempt in 0..20 {
        let email = format!("nobody{}@throttle.example", attempt / 4);
        let (status, _, body) = sign_in(&app, &first, &email, "guess", "192.0.2.50", "en").await;
        assert_eq!(status, 401, "attempt {attempt}: {body}");
    }
    let (status, headers, body) = sign_in(
        &app,
        &second,
        "staff@throttle.example",
        PASSWORD,
        "192.0.2.50",
        "en",
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("sign_in_throttled")),
        "{body}"
    );
    assert!(retry_after(&headers) >= 1);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("from your address")),
        "{body}"
    );
    let (status, _, body) = sign_in(
        &app,
        &second,
        "staff@throttle.example",
        PASSWORD,
        "192.0.2.51",
        "en",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    other.stop().await.expect("the second server stops");
    app
}

async fn unknown_api_keys_are_throttled_per_address(app: TestApp) -> TestApp {
    let tenant = app.tenant("Key Guess Shop").await;
    let me = |key: String, address: &'static str| {
        app.client
            .get(app.url("/api/v1/auth/me"))
            .bearer_auth(key)
            .header("x-forwarded-for", address)
            .send()
    };
    for attempt in 0..20 {
        let response = me(format!("cf_guess{attempt:06}_0000"), "203.0.113.7")
            .await
            .expect("me");
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    let response = me("cf_guess999999_0000".into(), "203.0.113.7")
        .await
        .expect("me");
    assert_eq!(response.status(), 429);
    let wait = retry_after(response.headers());
    assert!((1..=15 * 60).contains(&wait), "Retry-After {wait}");
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["code"], "api_key_throttled");
    // A real key still works from there: keys cannot be guessed, so only failures are slowed.
    let response = me(tenant.owner_key.clone(), "203.0.113.7")
        .await
        .expect("me");
    assert_eq!(response.status(), 200);
    let response = me("cf_guess999999_0000".into(), "203.0.113.8")
        .await
        .expect("me");
    assert_eq!(response.status(), 401, "another address is not throttled");
    app
}

async fn answers_carry_the_headers_browsers_need(mut app: TestApp) -> TestApp {
    let tenant = app.tenant("Header Shop").await;
    let get =
        |path: &'static str, key: String| app.client.get(app.url(path)).bearer_auth(key).send();
    let api = get("/api/v1/api-keys", tenant.owner_key.clone())
        .await
        .expect("keys");
    assert_eq!(api.status(), 200);
    let headers = api.headers();
    assert_eq!(
        headers["cache-control"], "no-store",
        "API answers hold secrets"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["x-frame-options"], "DENY");
    let policy = headers["content-security-policy"].to_str().expect("text");
    assert!(
        policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    assert!(
        !headers.contains_key("strict-transport-security"),
        "no HSTS over plain HTTP"
    );
    let docs = get("/docs/", tenant.owner_key.clone()).await.expect("docs");
    assert_eq!(docs.status(), 200);
    let policy = docs.headers()["content-security-policy"]
        .to_str()
        .expect("text");
    assert!(
        policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'self'"),
        "{policy}"
    );
    // Errors carry them too.
    let missing = get("/api/v1/flows/flw_none", tenant.owner_key.clone())
        .await
        .expect("404");
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["x-content-type-options"], "nosniff");
    assert_eq!(missing.headers()["cache-control"], "no-store");

    // Served at an https address: HSTS, and the session cookie only over HTTPS.
    app.reconfigure(|config| {
        config.telephony.public_url = Some("https://cs.shop.example".into());
    })
    .await;
    app.person(&tenant.id, "secure@header.example", "安全", Role::Owner)
        .await;
    let (status, headers, body) = sign_in(
        &app,
        &app.url(""),
        "secure@header.example",
        PASSWORD,
        "203.0.113.30",
        "zh-CN",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let cookie = headers["set-cookie"].to_str().expect("text");
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers["strict-transport-security"]
        .to_str()
        .expect("text")
        .starts_with("max-age="));
    app
}

async fn every_error_is_a_problem(mut app: TestApp) -> TestApp {
    let tenant = app.tenant("Problem Shop").await;
    let is_problem = |headers: &HeaderMap| headers["content-type"] == "application/problem+json";
    // An address that is not UTF-8.
    let response = app
        .client
        .get(app.url("/api/v1/knowledge-bases/%FF%FE"))
        .bearer_auth(&tenant.owner_key)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    assert!(is_problem(response.headers()));
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["code"], "unreadable_request", "{problem}");
    assert!(
        !problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("Invalid URL"),
        "{problem}"
    );
    // A method the address does not take.
    let response = app
        .client
        .patch(app.url("/api/v1/flows"))
        .bearer_auth(&tenant.owner_key)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 405);
    assert!(is_problem(response.headers()));
    assert_eq!(response.headers()["allow"], "GET,HEAD,POST");
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["code"], "method_not_allowed");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("PATCH") && d.contains("Allow")),
        "{problem}"
    );
    // A body over the limit, to the carrier's webhook, which reads a form.
    app.reconfigure(|config| config.body_limit_bytes = 4096)
        .await;
    let response = app
        .client
        .post(app.url("/twilio/voice"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("CallSid={}", "a".repeat(10_000)))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413);
    assert!(is_problem(response.headers()));
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["code"], "body_too_large");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("4096")),
        "{problem}"
    );
    assert!(problem["request_id"].is_string());
    app
}

async fn a_key_does_not_revoke_itself_unasked(app: TestApp) -> TestApp {
    let tenant = app.tenant("Self Key Shop").await;
    let (_, me) = app
        .api(reqwest::Method::GET, &tenant.owner_key, "/auth/me", None)
        .await;
    let id = me["actor"]
        .as_str()
        .and_then(|a| a.strip_prefix("key:"))
        .expect("key actor")
        .to_owned();
    let (status, problem) = app
        .api(
            reqwest::Method::DELETE,
            &tenant.owner_key,
            &format!("/api-keys/{id}"),
            None,
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("revoking_own_key")),
        "{problem}"
    );
    let (status, _) = app
        .api(reqwest::Method::GET, &tenant.owner_key, "/auth/me", None)
        .await;
    assert_eq!(status, 200, "the key still works");
    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &tenant.owner_key,
            &format!("/api-keys/{id}?own_key=true"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .api(reqwest::Method::GET, &tenant.owner_key, "/auth/me", None)
        .await;
    assert_eq!(status, 401, "revoked when asked plainly");
    app
}

async fn drafts_keep_to_the_size_limit(app: TestApp) -> TestApp {
    let tenant = app.tenant("Big Draft Shop").await;
    let nodes: Vec<Value> = (0..5_001)
        .map(|i| json!({ "id": format!("n{i}"), "type": "say", "text": "hi", "next": format!("n{}", i + 1) }))
        .collect();
    let document = json!({ "name": "huge", "start": "n0", "nodes": nodes });
    let (status, problem) = app
        .api(
            reqwest::Method::POST,
            &tenant.owner_key,
            "/flows",
            Some(&document),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "/nodes");
    assert_eq!(problem["errors"][0]["code"], "too_large");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("5001") && d.contains("5000")),
        "{problem}"
    );
    let (_, flows) = app
        .api(reqwest::Method::GET, &tenant.owner_key, "/flows", None)
        .await;
    assert_eq!(
        flows.as_array().map(Vec::len),
        Some(0),
        "nothing was stored: {flows}"
    );
    app
}

/// The data directory holds the database (password hashes, transcripts), the server's key and
/// the first run's password: only the server's user may read it, whatever the umask, and an
/// older version's readable files are made private at the next start.
async fn the_data_directory_is_private(mut app: TestApp) -> TestApp {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    let set = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    let dir = app.config.data_dir.clone();
    set(&dir, 0o755);
    set(&dir.join("callflow.db"), 0o644);
    app.restart().await;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("callflow.db")), 0o600);
    assert_eq!(mode(&dir.join("secret.key")), 0o600);
    // A data directory the server makes.
    let fresh = dir.join("fresh");
    app.reconfigure(|config| {
        config.data_dir = fresh.clone();
        config.database_url = server::store::Store::sqlite_url(&fresh.join("callflow.db"));
    })
    .await;
    assert_eq!(mode(&fresh), 0o700);
    for file in [
        "callflow.db",
        "callflow.db-wal",
        "callflow.db-shm",
        "secret.key",
    ] {
        assert_eq!(mode(&fresh.join(file)), 0o600, "{file}");
    }
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_data_directory_is_private() {
    callflow_tests::app::with_app(
        callflow_tests::app::Db::Sqlite,
        the_data_directory_is_private,
    )
    .await;
}

on_both_databases!(
    sign_ins_are_throttled_per_account_and_per_address,
    unknown_api_keys_are_throttled_per_address,
    answers_carry_the_headers_browsers_need,
    every_error_is_a_problem,
    a_key_does_not_revoke_itself_unasked,
    drafts_keep_to_the_size_limit,
);
