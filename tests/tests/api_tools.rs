//! The editor's helpers over HTTP, on SQLite and PostgreSQL: the example flows as templates, and
//! trying an `http` node's request (templates filled in, the address guard, clear errors).

use std::io::{Read, Write};
use std::net::SocketAddr;

use callflow_tests::app::TestApp;
use callflow_tests::on_both_databases;
use serde_json::{json, Value};
use server::flow_http::DEMO_SHOP_BASE;
use server::store::Role;

async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1{path}")))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn templates_are_the_example_flows(app: TestApp) -> TestApp {
    let tenant = app.tenant("Template Shop").await;
    let viewer = app.key(&tenant.id, Role::Viewer).await;
    let response = app
        .client
        .get(app.url("/api/v1/templates"))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status().as_u16(), 200);
    let templates: Vec<Value> = response.json().await.expect("json");
    let names: Vec<&str> = templates
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "order-status",
            "order-status-en",
            "returns-refunds",
            "birthday-care",
            "satisfaction-survey",
            "shop-faq",
            "complaints",
            "complaints-en"
        ]
    );
    for template in &templates {
        assert_eq!(template["document"]["name"], template["name"]);
        assert!(!template["title"].as_str().unwrap_or_default().is_empty());
        assert_ne!(
            template["title"], template["name"],
            "every example is offered by its name, not its key"
        );
        assert!(!template["description"]
            .as_str()
            .unwrap_or_default()
            .is_empty());
        // Each one is a valid flow that a new flow can be created from.
        let (status, created) = post(
            &app,
            &tenant.owner_key,
            "/flows",
            template["document"].clone(),
        )
        .await;
        assert_eq!(status, 201, "{created}");
    }
    let anonymous = app
        .client
        .get(app.url("/api/v1/templates"))
        .send()
        .await
        .expect("answered");
    assert_eq!(anonymous.status().as_u16(), 401);
    app
}

/// A local HTTP server that answers 201 with a small JSON body and a header.
fn local_api() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            let body = r#"{"created":true}"#;
            let response = format!(
                "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Trace: t-1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    address
}

async fn http_nodes_can_be_tried(app: TestApp) -> TestApp {
    let tenant = app.tenant("Trying Shop").await;
    let key = tenant.owner_key.clone();

    // The demo shop, with the URL template filled in from the variables.
    let node = json!({
        "id": "lookup", "type": "http", "method": "GET",
        "url": format!("{DEMO_SHOP_BASE}/orders/{{{{vars.order_id}}}}"),
        "save": { "status": "body.status" }, "next": "somewhere", "error": "elsewhere",
        "position": { "x": 1, "y": 2 }
    });
    let (status, tried) = post(
        &app,
        &key,
        "/http/test",
        json!({ "node": node, "vars": { "order_id": "2024061801" } }),
    )
    .await;
    assert_eq!(status, 200, "{tried}");
    assert_eq!(tried["status"], 200);
    assert_eq!(
        tried["url"],
        format!("{DEMO_SHOP_BASE}/orders/2024061801").as_str()
    );
    let body: Value =
        serde_json::from_str(tried["body"].as_str().expect("body text")).expect("JSON body");
    assert_eq!(body["order_id"], "2024061801");
    // `{{tenant.api}}` is the shop's own API base, from its settings.
    app.change_settings(&tenant.id, |settings| {
        settings.api_base_url = Some(DEMO_SHOP_BASE.to_owned());
    })
    .await;
    let (status, via_tenant) = post(
        &app,
        &key,
        "/http/test",
        json!({ "url": "{{tenant.api}}/orders/{{vars.order_id}}",
                "vars": { "order_id": "2024061801" } }),
    )
    .await;
    assert_eq!(
        (status, &via_tenant["status"]),
        (200, &json!(200)),
        "{via_tenant}"
    );
    assert_eq!(
        via_tenant["url"],
        format!("{DEMO_SHOP_BASE}/orders/2024061801").as_str()
    );
    let (status, missing) = post(
        &app,
        &key,
        "/http/test",
        json!({ "method": "GET", "url": format!("{DEMO_SHOP_BASE}/orders/0") }),
    )
    .await;
    assert_eq!(
        (status, &missing["status"]),
        (200, &json!(404)),
        "{missing}"
    );

    // A private address is refused until the tenant allows it.
    let address = local_api();
    let request = json!({
        "method": "post", "url": format!("http://{address}/hooks"),
        "headers": [["X-Shop", "{{vars.shop}}"]], "body": "{}", "vars": { "shop": "7" }
    });
    let (status, refused) = post(&app, &key, "/http/test", request.clone()).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["code"], "blocked");
    app.change_settings(&tenant.id, |settings| {
        settings.allowed_hosts = vec![address.to_string()];
    })
    .await;
    let (status, allowed) = post(&app, &key, "/http/test", request).await;
    assert_eq!(status, 200, "{allowed}");
    assert_eq!(
        (&allowed["status"], &allowed["method"]),
        (&json!(201), &json!("POST"))
    );
    assert_eq!(allowed["body"], r#"{"created":true}"#);
    let headers = allowed["headers"].as_array().expect("headers");
    assert!(headers.contains(&json!(["x-trace", "t-1"])), "{headers:?}");

    // Nothing listens: no answer.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_address = closed.local_addr().expect("address");
    drop(closed);
    app.change_settings(&tenant.id, |settings| {
        settings.allowed_hosts = vec![closed_address.to_string()];
    })
    .await;
    let (status, failed) = post(
        &app,
        &key,
        "/http/test",
        json!({ "url": format!("http://{closed_address}/x"), "timeout_ms": 2000 }),
    )
    .await;
    assert_eq!(status, 502, "{failed}");
    assert_eq!(failed["code"], "http_failed");

    // Bad requests say what is wrong, and where.
    for (body, field) in [
        (json!({ "method": "GET" }), "/url"),
        (
            json!({ "node": { "type": "say", "text": "hi" } }),
            "/node/type",
        ),
        (
            json!({ "url": "x", "headers": [["only-a-name"]] }),
            "/headers/0",
        ),
        (json!({ "url": "{{vars.", "method": "GET" }), "/node/url"),
    ] {
        let (status, problem) = post(&app, &key, "/http/test", body.clone()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["code"], "invalid_node", "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    // Viewers cannot send requests.
    let viewer = app.key(&tenant.id, Role::Viewer).await;
    let (status, _) = post(
        &app,
        &viewer,
        "/http/test",
        json!({ "url": format!("{DEMO_SHOP_BASE}/orders/1") }),
    )
    .await;
    assert_eq!(status, 403);
    app
}

on_both_databases!(templates_are_the_example_flows, http_nodes_can_be_tried);
