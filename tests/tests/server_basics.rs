//! The server's foundations, on SQLite and PostgreSQL: health, readiness, metrics, errors as
//! problem+json, authentication, the OpenAPI document, and a restart that keeps the data.

use callflow_tests::app::TestApp;
use callflow_tests::on_both_databases;
use serde_json::{json, Value};

async fn health_readiness_and_metrics(app: TestApp) -> TestApp {
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    assert!(
        ready.headers().contains_key("x-request-id"),
        "every answer carries a request id"
    );
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.expect("text");
    assert!(text.contains("callflow_http_requests_total{"), "{text}");
    assert!(text.contains("route=\"/readyz\""), "{text}");
    assert!(
        text.contains("callflow_http_request_duration_seconds_bucket"),
        "{text}"
    );
    app
}

async fn errors_are_problem_json(app: TestApp) -> TestApp {
    let response = app
        .client
        .get(app.url("/api/v1/no/such/thing"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["code"], "not_found");
    assert_eq!(problem["status"], 404);
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("/api/v1/no/such/thing")));
    // Only reads outside the API get the editor's page.
    let response = app
        .client
        .post(app.url("/no/such/thing"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    app
}

/// The editor is part of the binary: its page at `/` and at its own routes, its built files
/// with long caching, and a 304 for a page the browser has.
async fn the_editor_is_served(app: TestApp) -> TestApp {
    let get = |path: &str| app.client.get(app.url(path)).send();
    let page = get("/").await.expect("request");
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .is_ok_and(|t| t.starts_with("text/html")));
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("policy");
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let etag = page.headers()["etag"].clone();
    let html = page.text().await.expect("html");
    assert!(html.contains("<div id=\"root\">"), "{html}");
    // A route of the editor's own gets the same page.
    let routed = get("/flows/flw_123").await.expect("request");
    assert_eq!(routed.status(), 200);
    assert_eq!(routed.text().await.expect("html"), html);
    // The page's script is served, cached for good.
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page loads a script");
    assert!(script.starts_with("/assets/"), "{script}");
    let asset = get(script).await.expect("request");
    assert_eq!(asset.status(), 200);
    assert!(asset.headers()["content-type"]
        .to_str()
        .is_ok_and(|t| t.contains("javascript")));
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    // A file that is not there is a 404, not the page.
    let missing = get("/assets/missing-0000.js").await.expect("request");
    assert_eq!(missing.status(), 404);
    let unchanged = app
        .client
        .get(app.url("/"))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("request");
    assert_eq!(unchanged.status(), 304);
    app
}

async fn requests_without_credentials_are_refused(app: TestApp) -> TestApp {
    let response = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["code"], "unauthorized");
    let response = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth("cf_000000000000_0000")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    app
}

async fn api_keys_are_shown_once_and_can_be_revoked(app: TestApp) -> TestApp {
    let tenant = app.tenant("Key Shop").await;
    let me: Value = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&tenant.owner_key)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["tenant_id"], tenant.id.as_str());
    assert_eq!(me["role"], "owner");
    let created = app
        .client
        .post(app.url("/api/v1/api-keys"))
        .bearer_auth(&tenant.owner_key)
        .json(&serde_json::json!({ "name": "importer", "role": "editor" }))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    let token = created["token"].as_str().expect("token").to_owned();
    let id = created["key"]["id"].as_str().expect("id").to_owned();
    let listed: Value = app
        .client
        .get(app.url("/api/v1/api-keys"))
        .bearer_auth(&tenant.owner_key)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let listed_text = listed.to_string();
    assert!(
        listed_text.contains(&id) && !listed_text.contains(&token),
        "lists never show tokens"
    );
    // An editor may not manage keys.
    let forbidden = app
        .client
        .get(app.url("/api/v1/api-keys"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list");
    assert_eq!(forbidden.status(), 403);
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .bearer_auth(&tenant.owner_key)
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 204);
    let after = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(after.status(), 401, "a revoked key stops working at once");
    // Another tenant's key id is not found.
    let other = app.tenant("Other Shop").await;
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .bearer_auth(&other.owner_key)
        .send()
        .await
        .expect("revoke");
    assert_eq!(response.status(), 404);
    app
}

async fn sign_in_with_a_cookie_and_csrf(app: TestApp) -> TestApp {
    let tenant = app.tenant("Cookie Shop").await;
    let mut transaction = app.store.transaction().await.expect("transaction");
    transaction
        .create_user(
            &tenant.id,
            &server::store::NewUser {
                email: "manager@example.com",
                display_name: "店长",
                password: "correct horse battery staple",
                role: server::store::Role::Editor,
            },
            server::store::now_ms(),
        )
        .await
        .expect("user");
    transaction.commit().await.expect("commit");
    let wrong = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": "manager@example.com", "password": "nope" }))
        .send()
        .await
        .expect("login");
    assert_eq!(wrong.status(), 401);
    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": "Manager@Example.com", "password": "correct horse battery staple" }))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().expect("pair").to_owned();
    let body: Value = login.json().await.expect("json");
    let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();
    let me = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", &session)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 200);
    // Another tab of the same login gets the CSRF token from `me`; an API key has none.
    let me: Value = me.json().await.expect("json");
    assert_eq!(me["csrf_token"], csrf.as_str());
    let by_key: Value = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&tenant.owner_key)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert!(by_key.get("csrf_token").is_none(), "{by_key}");
    // A write with the cookie but without the CSRF token is refused.
    let logout = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &session)
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), 403);
    let problem: Value = logout.json().await.expect("json");
    assert_eq!(problem["code"], "csrf_token_mismatch");
    let logout = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), 204);
    let me = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", &session)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 401, "the session ended");
    app
}

async fn malformed_json_says_what_and_where(app: TestApp) -> TestApp {
    let tenant = app.tenant("Json Shop").await;
    let response = app
        .client
        .post(app.url("/api/v1/api-keys"))
        .bearer_auth(&tenant.owner_key)
        .header("content-type", "application/json")
        .body("{\"name\": \"x\",\n \"role\": }")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["code"], "malformed_json");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("第 2 行")),
        "{problem}"
    );
    let response = app
        .client
        .post(app.url("/api/v1/api-keys"))
        .bearer_auth(&tenant.owner_key)
        .json(&serde_json::json!({ "name": "x", "role": "boss" }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["code"], "invalid_body");
    assert_eq!(problem["errors"][0]["field"], "/role");
    app
}

async fn the_openapi_document_and_docs_page_are_served(app: TestApp) -> TestApp {
    let document: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    assert_eq!(document["info"]["title"], "Callflow API");
    assert!(
        document["paths"]["/api/v1/auth/login"]["post"].is_object(),
        "{document}"
    );
    let docs = app
        .client
        .get(app.url("/docs/"))
        .send()
        .await
        .expect("docs");
    assert_eq!(docs.status(), 200);
    let page = docs.text().await.expect("html");
    assert!(
        page.contains("swagger"),
        "the docs page is Swagger UI, served locally"
    );
    let initializer = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .expect("initializer")
        .text()
        .await
        .expect("text");
    assert!(
        initializer.contains("/openapi.json"),
        "the page loads our document: {initializer}"
    );
    app
}

async fn data_survives_a_restart(mut app: TestApp) -> TestApp {
    let tenant = app.tenant("Restart Shop").await;
    app.restart().await;
    let me = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&tenant.owner_key)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 200);
    app
}

on_both_databases!(
    health_readiness_and_metrics,
    errors_are_problem_json,
    the_editor_is_served,
    requests_without_credentials_are_refused,
    api_keys_are_shown_once_and_can_be_revoked,
    sign_in_with_a_cookie_and_csrf,
    malformed_json_says_what_and_where,
    the_openapi_document_and_docs_page_are_served,
    data_survives_a_restart,
    internal_errors_show_only_the_request_id,
    text_with_a_nul_character_is_refused_and_named,
);

/// A storage failure is logged under the request's id; the client gets that id, never the
/// database's text. (An audit write that fails is such a failure, and it undoes the change.)
async fn internal_errors_show_only_the_request_id(app: TestApp) -> TestApp {
    let tenant = app.tenant("Failing Shop").await;
    app.refuse_audit_writes().await;
    let document = json!({ "schema": 1, "name": "refused", "language": "zh-CN", "start": "a",
                           "nodes": [] });
    let response = app
        .client
        .post(app.url("/api/v1/flows"))
        .bearer_auth(&tenant.owner_key)
        .json(&document)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 500);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_owned();
    let text = response.text().await.expect("body");
    let problem: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(problem["code"], "internal");
    assert_eq!(problem["request_id"], request_id.as_str());
    for leak in [
        "audit refused",
        "storage",
        "database",
        "audit_log",
        "trigger",
        "sql",
    ] {
        assert!(
            !text.to_lowercase().contains(leak),
            "the answer shows the server's own text ({leak}): {text}"
        );
    }
    let (status, flows) = app
        .api(reqwest::Method::GET, &tenant.owner_key, "/flows", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        flows,
        json!([]),
        "the flow whose audit entry failed was not kept"
    );
    // Every problem document names its request.
    let (status, problem) = app
        .api(
            reqwest::Method::GET,
            &tenant.owner_key,
            "/flows/flw_missing",
            None,
        )
        .await;
    assert_eq!((status, &problem["code"]), (404, &json!("not_found")));
    assert!(problem["request_id"].is_string(), "{problem}");
    app
}

/// PostgreSQL cannot store the NUL character and SQLite can: both refuse it the same way,
/// before it reaches the database, naming where it is.
async fn text_with_a_nul_character_is_refused_and_named(app: TestApp) -> TestApp {
    let tenant = app.tenant("Nul Shop").await;
    let key = tenant.owner_key.as_str();
    let nul = |status: u16, field: &str, answer: (u16, Value)| {
        let (got, problem) = answer;
        assert_eq!(got, status, "{field}: {problem}");
        assert_eq!(problem["code"], "nul_character", "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    };
    // Signing in needs no credentials.
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": "a\u{0}@example.com", "password": "x" }))
        .send()
        .await
        .expect("login");
    let status = response.status().as_u16();
    nul(
        422,
        "/email",
        (status, response.json().await.expect("json")),
    );
    let flow = json!({ "schema": 1, "name": "na\u{0}me", "language": "zh-CN", "start": "a",
                       "nodes": [] });
    nul(
        422,
        "/name",
        app.api(reqwest::Method::POST, key, "/flows", Some(&flow))
            .await,
    );
    let nested = json!({ "schema": 1, "name": "ok", "language": "zh-CN", "start": "a",
                         "nodes": [{ "id": "a", "type": "say", "text": "hi\u{0}" }] });
    nul(
        422,
        "/nodes/0/text",
        app.api(reqwest::Method::POST, key, "/flows", Some(&nested))
            .await,
    );
    nul(
        400,
        "id",
        app.api(reqwest::Method::GET, key, "/flows/flw%00x", None)
            .await,
    );
    nul(
        400,
        "search",
        app.api(reqwest::Method::GET, key, "/flows?search=a%00", None)
            .await,
    );
    nul(
        422,
        "/note",
        app.api(
            reqwest::Method::POST,
            key,
            "/flows/flw_x/publish",
            Some(&json!({ "note": "\u{0}" })),
        )
        .await,
    );
    nul(
        422,
        "/name",
        app.api(
            reqwest::Method::POST,
            key,
            "/api-keys",
            Some(&json!({ "name": "k\u{0}", "role": "viewer" })),
        )
        .await,
    );
    nul(
        422,
        "/vars/o\u{0}rder",
        app.api(
            reqwest::Method::POST,
            key,
            "/sessions",
            Some(&json!({ "flow_id": "flw_x", "vars": { "o\u{0}rder": 1 } })),
        )
        .await,
    );
    // The carrier's webhooks are guarded the same way, before any signature is checked.
    let response = app
        .client
        .post(app.url("/twilio/calls/ten%00x/cht_x/status"))
        .send()
        .await
        .expect("webhook");
    let status = response.status().as_u16();
    nul(
        400,
        "tenant",
        (status, response.json().await.expect("json")),
    );
    // Nothing was written.
    let (_, flows) = app.api(reqwest::Method::GET, key, "/flows", None).await;
    assert_eq!(flows, json!([]));
    app
}
