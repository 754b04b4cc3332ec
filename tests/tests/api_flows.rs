//! The flows API against the real server, on SQLite and PostgreSQL: drafts and their revisions,
//! validation, publishing and versions, restore, export, import, roles, tenant isolation and
//! the flow schema.

use callflow_tests::app::TestApp;
use callflow_tests::{on_both_databases, root};
use reqwest::header::HeaderMap;
use reqwest::RequestBuilder;
use serde_json::{json, Value};
use server::store::Role;

/// An answer: status, headers and the body as JSON (or as a JSON string when it is not JSON).
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

async fn send(request: RequestBuilder) -> Answer {
    let response = request.send().await.expect("the request is answered");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("the body is read");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

fn example(file: &str) -> Value {
    let text = std::fs::read_to_string(root().join("flows").join(file)).expect("example flow");
    serde_json::from_str(&text).expect("example flows are JSON")
}

/// A copy of a flow document under another name.
fn renamed(document: &Value, name: &str) -> Value {
    let mut document = document.clone();
    document["name"] = json!(name);
    document
}

/// A flow with one error of each kind that names a node and a field.
fn broken_flow() -> Value {
    json!({
        "schema": 1,
        "name": "broken",
        "language": "zh-CN",
        "start": "hello",
        "nodes": [
            { "id": "hello", "type": "say", "text": "您好{{ vars.x + }}", "next": "gone" },
            { "id": "calc", "type": "script", "code": "let x = ;", "next": "bye", "error": "bye" },
            { "id": "ask", "type": "ask", "prompt": 5, "next": "bye" },
            { "id": "bye", "type": "end", "outcome": "happy" }
        ]
    })
}

/// The flows API as one API key sees it.
struct Client<'a> {
    app: &'a TestApp,
    key: &'a str,
}

impl<'a> Client<'a> {
    fn new(app: &'a TestApp, key: &'a str) -> Self {
        Client { app, key }
    }

    fn url(&self, path: &str) -> String {
        self.app.url(&format!("/api/v1{path}"))
    }

    async fn get(&self, path: &str) -> Answer {
        send(self.app.client.get(self.url(path)).bearer_auth(self.key)).await
    }

    async fn post(&self, path: &str, body: &Value) -> Answer {
        send(
            self.app
                .client
                .post(self.url(path))
                .bearer_auth(self.key)
                .json(body),
        )
        .await
    }

    async fn post_if_match(&self, path: &str, revision: &str, body: &Value) -> Answer {
        send(
            self.app
                .client
                .post(self.url(path))
                .bearer_auth(self.key)
                .header("if-match", revision)
                .json(body),
        )
        .await
    }

    async fn put(&self, path: &str, if_match: Option<&str>, body: &Value) -> Answer {
        let mut request = self
            .app
            .client
            .put(self.url(path))
            .bearer_auth(self.key)
            .json(body);
        if let Some(revision) = if_match {
            request = request.header("if-match", revision);
        }
        send(request).await
    }

    async fn delete(&self, path: &str) -> Answer {
        send(self.app.client.delete(self.url(path)).bearer_auth(self.key)).await
    }

    /// Creates a flow and returns its id.
    async fn create(&self, document: &Value) -> String {
        let created = self.post("/flows", document).await;
        assert_eq!(created.status, 201, "{}", created.body);
        created.body["id"].as_str().expect("id").to_owned()
    }

    async fn publish(&self, id: &str, note: &str) -> Answer {
        self.post(&format!("/flows/{id}/publish"), &json!({ "note": note }))
            .await
    }

    async fn flow_names(&self) -> Vec<String> {
        let listed = self.get("/flows").await;
        assert_eq!(listed.status, 200, "{}", listed.body);
        let mut names: Vec<String> = listed
            .body
            .as_array()
            .expect("a list")
            .iter()
            .map(|flow| flow["name"].as_str().expect("name").to_owned())
            .collect();
        names.sort();
        names
    }
}

/// `(code, node, field)` of each error among the diagnostics.
fn errors(diagnostics: &Value) -> Vec<(String, String, String)> {
    diagnostics
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_owned(),
                d["node"].as_str().unwrap_or_default().to_owned(),
                d["field"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn owned(errors: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    errors
        .iter()
        .map(|(code, node, field)| (code.to_string(), node.to_string(), field.to_string()))
        .collect()
}

/// The distinct actions of the tenant's audit log on flows (seeding the example knowledge bases
/// is audited too, but is not what these tests look at).
async fn audit_actions(app: &TestApp, tenant_id: &str) -> Vec<String> {
    let mut actions: Vec<String> = app
        .store
        .list_audit(tenant_id, 100)
        .await
        .expect("audit log")
        .into_iter()
        .map(|entry| entry.action)
        .filter(|action| action.starts_with("flow"))
        .collect();
    actions.sort();
    actions.dedup();
    actions
}

async fn flows_are_created_read_listed_and_searched(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Flow Shop").await;
    let api = Client::new(&app, &tenant.owner_key);
    let order_status = example("order-status.json");

    let created = api.post("/flows", &order_status).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("etag"), "\"1\"");
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("flw_"), "{id}");
    assert_eq!(created.header("location"), format!("/api/v1/flows/{id}"));
    assert_eq!(created.body["name"], "order-status");
    assert_eq!(created.body["revision"], 1);
    assert_eq!(created.body["published_version"], Value::Null);
    assert_eq!(created.body["draft"], order_status);
    assert_eq!(
        created.body["diagnostics"],
        json!([]),
        "the example flows have neither errors nor warnings"
    );

    let fetched = send(
        app.client
            .get(app.url(created.header("location")))
            .bearer_auth(&tenant.owner_key),
    )
    .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.header("etag"), "\"1\"");
    assert_eq!(fetched.body, created.body);

    api.create(&example("order-status-en.json")).await;
    api.create(&example("returns-refunds.json")).await;
    assert_eq!(
        api.flow_names().await,
        ["order-status", "order-status-en", "returns-refunds"]
    );
    let listed = api.get("/flows").await;
    let first = &listed.body[0];
    assert_eq!(
        first["name"], "returns-refunds",
        "most recently edited first"
    );
    assert!(
        first.get("draft").is_none(),
        "lists leave drafts out: {first}"
    );
    for field in [
        "id",
        "revision",
        "published_version",
        "created_at",
        "updated_at",
    ] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }
    let search = |text: &'static str| {
        let api = &api;
        async move {
            let found = api.get(&format!("/flows?search={text}")).await;
            assert_eq!(found.status, 200, "{}", found.body);
            let mut names: Vec<String> = found
                .body
                .as_array()
                .expect("list")
                .iter()
                .map(|flow| flow["name"].as_str().expect("name").to_owned())
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(search("ORDER").await, ["order-status", "order-status-en"]);
    assert_eq!(search("refund").await, ["returns-refunds"]);
    assert_eq!(
        search("%25").await,
        Vec::<String>::new(),
        "a % is taken literally"
    );
    assert_eq!(
        search("").await.len(),
        3,
        "an empty search lists everything"
    );

    let duplicate = api.post("/flows", &order_status).await;
    assert_eq!(duplicate.status, 409);
    assert_eq!(duplicate.code(), "flow_name_taken");
    assert_eq!(duplicate.body["errors"][0]["field"], "/name");

    // An unfinished draft is saved, with what is wrong with it.
    let unfinished = api
        .post(
            "/flows",
            &json!({ "name": "half built", "nodes": [{ "id": "hi", "type": "say" }] }),
        )
        .await;
    assert_eq!(unfinished.status, 201, "{}", unfinished.body);
    let codes: Vec<&str> = unfinished.body["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&"missing_field"), "{codes:?}");

    // But it must be an object with a name.
    for (document, field, code) in [
        (json!({ "nodes": [] }), "/name", "missing_field"),
        (json!({ "name": "  " }), "/name", "empty_value"),
        (json!({ "name": 42 }), "/name", "wrong_type"),
        (json!([order_status]), "", "wrong_type"),
    ] {
        let refused = api.post("/flows", &document).await;
        assert_eq!(refused.status, 422, "{document}");
        assert_eq!(refused.code(), "invalid_body");
        assert_eq!(refused.body["errors"][0]["field"], field, "{document}");
        assert_eq!(refused.body["errors"][0]["code"], code, "{document}");
    }

    let deleted = api.delete(&format!("/flows/{id}")).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(api.get(&format!("/flows/{id}")).await.status, 404);
    assert_eq!(api.delete(&format!("/flows/{id}")).await.status, 404);
    assert!(!api.flow_names().await.contains(&"order-status".to_owned()));
    let again = api.post("/flows", &order_status).await;
    assert_eq!(again.status, 201, "a deleted flow frees its name");
    assert_ne!(again.body["id"], id.as_str());

    assert_eq!(
        audit_actions(&app, &tenant.id).await,
        ["flow.create", "flow.delete"]
    );
    app
}

async fn saving_a_draft_needs_its_current_revision(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Revision Shop").await;
    let api = Client::new(&app, &tenant.owner_key);
    let mut document = example("order-status.json");
    let id = api.create(&document).await;
    let path = format!("/flows/{id}");

    document["description"] = json!("第二版");
    let missing = api.put(&path, None, &document).await;
    assert_eq!(missing.status, 428);
    assert_eq!(missing.code(), "precondition_required");
    assert!(missing.body["detail"]
        .as_str()
        .expect("detail")
        .contains("If-Match"));

    let saved = api.put(&path, Some("\"1\""), &document).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.header("etag"), "\"2\"");
    assert_eq!(saved.body["revision"], 2);
    assert_eq!(saved.body["draft"]["description"], "第二版");

    // A client still at revision 1 does not overwrite what was saved.
    let mut stale_change = document.clone();
    stale_change["description"] = json!("stale");
    let stale = api.put(&path, Some("\"1\""), &stale_change).await;
    assert_eq!(stale.status, 412);
    assert_eq!(stale.code(), "revision_conflict");
    let detail = stale.body["detail"].as_str().expect("detail");
    assert!(detail.contains("现在是第 2 版"), "{detail}");
    assert_eq!(api.get(&path).await.body["draft"]["description"], "第二版");

    // A bare number is accepted too; anything else is not a revision.
    let bare = api.put(&path, Some("2"), &document).await;
    assert_eq!(bare.status, 200, "{}", bare.body);
    assert_eq!(bare.body["revision"], 3);
    for garbage in ["W/\"3\"", "three", "\"0\"", ""] {
        let refused = api.put(&path, Some(garbage), &document).await;
        assert_eq!(refused.status, 400, "{garbage}");
        assert_eq!(refused.code(), "invalid_if_match");
    }

    // Two editors race from revision 3: exactly one wins, the other learns the new revision.
    let mut first = document.clone();
    first["description"] = json!("first editor");
    let mut second = document.clone();
    second["description"] = json!("second editor");
    let (a, b) = tokio::join!(
        api.put(&path, Some("\"3\""), &first),
        api.put(&path, Some("\"3\""), &second)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 412], "{} / {}", a.body, b.body);
    let (winner, loser) = if a.status == 200 { (a, b) } else { (b, a) };
    assert!(loser.body["detail"]
        .as_str()
        .expect("detail")
        .contains("现在是第 4 版"));
    let now = api.get(&path).await;
    assert_eq!(now.body["revision"], 4);
    assert_eq!(
        now.body["draft"]["description"],
        winner.body["draft"]["description"]
    );

    // `If-Match: *` (RFC 9110: any current draft) saves over whatever the draft is now.
    let mut any = document.clone();
    any["description"] = json!("whatever was there");
    let saved = api.put(&path, Some("*"), &any).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["revision"], 5);
    assert_eq!(
        api.put("/flows/flw_nope", Some("*"), &any).await.status,
        404
    );

    // Renaming follows the document's name, and must not take another flow's name.
    api.create(&example("birthday-care.json")).await;
    let taken = api
        .put(&path, Some("5"), &renamed(&document, "birthday-care"))
        .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.code(), "flow_name_taken");
    let moved = api
        .put(&path, Some("5"), &renamed(&document, "查订单"))
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["name"], "查订单");
    assert_eq!(api.flow_names().await, ["birthday-care", "查订单"]);

    // A flow that is not there is 404, with or without If-Match.
    let nowhere = "/flows/flw_00000000000000000000000000000000";
    assert_eq!(api.put(nowhere, Some("1"), &document).await.status, 404);
    assert_eq!(api.put(nowhere, None, &document).await.status, 404);
    assert!(audit_actions(&app, &tenant.id)
        .await
        .contains(&"flow.update".to_owned()));
    app
}

async fn publishing_makes_numbered_immutable_versions(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Publish Shop").await;
    let api = Client::new(&app, &tenant.owner_key);
    let original = example("order-status.json");
    let id = api.create(&original).await;
    let flow = format!("/flows/{id}");

    let first = api.publish(&id, "上线").await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["version"], 1);
    assert_eq!(first.body["note"], "上线");
    assert_eq!(first.body["draft_revision"], 1);
    assert!(first.body["created_by"]
        .as_str()
        .is_some_and(|by| by.starts_with("key:")));
    assert_eq!(
        first.header("location"),
        format!("/api/v1{flow}/versions/1")
    );
    assert_eq!(api.get(&flow).await.body["published_version"], 1);
    assert_eq!(api.publish(&id, "").await.body["version"], 2);

    let mut changed = original.clone();
    changed["nodes"][0]["text"] = json!("您好，新的欢迎语。");
    assert_eq!(api.put(&flow, Some("1"), &changed).await.status, 200);
    let stale = api
        .post_if_match(
            &format!("{flow}/publish"),
            "\"1\"",
            &json!({ "note": "old" }),
        )
        .await;
    assert_eq!(
        stale.status, 412,
        "the reviewed revision is no longer the draft"
    );
    assert_eq!(stale.code(), "revision_conflict");
    let third = api
        .post_if_match(
            &format!("{flow}/publish"),
            "\"2\"",
            &json!({ "note": "新欢迎语" }),
        )
        .await;
    assert_eq!(third.status, 201, "{}", third.body);
    assert_eq!(third.body["version"], 3);
    assert_eq!(third.body["draft_revision"], 2);

    let long_note = api.publish(&id, &"长".repeat(501)).await;
    assert_eq!(long_note.status, 422);
    assert_eq!(long_note.body["errors"][0]["field"], "/note");

    let versions = api.get(&format!("{flow}/versions")).await;
    assert_eq!(versions.status, 200);
    let numbers: Vec<i64> = versions
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|v| v["version"].as_i64().expect("number"))
        .collect();
    assert_eq!(numbers, [3, 2, 1], "newest first");
    // The publisher by the name people know: here the API key's.
    let (_, keys) = app
        .api(reqwest::Method::GET, &tenant.owner_key, "/api-keys", None)
        .await;
    let key_name = keys[0]["name"].as_str().expect("the key's name");
    assert!(versions.body.as_array().expect("list").iter().all(|v| {
        v["created_by_name"] == key_name && v["created_by"].as_str() != Some(key_name)
    }));
    let version_1 = api.get(&format!("{flow}/versions/1")).await;
    assert_eq!(version_1.status, 200);
    assert_eq!(version_1.body["note"], "上线");
    assert_eq!(
        version_1.body["document"], original,
        "editing the draft leaves a published version unchanged"
    );
    let version_3 = api.get(&format!("{flow}/versions/3")).await;
    assert_eq!(version_3.body["document"], changed);
    for missing in ["99", "0", "abc"] {
        let answer = api.get(&format!("{flow}/versions/{missing}")).await;
        assert_eq!(answer.status, 404, "{missing}");
        assert_eq!(answer.code(), "not_found");
    }

    // Restore: version 1 back into the draft, as a new revision, with If-Match required.
    let restore = format!("{flow}/versions/1/restore");
    let missing = api.post(&restore, &json!({})).await;
    assert_eq!(missing.status, 428);
    let stale = api.post_if_match(&restore, "\"1\"", &json!({})).await;
    assert_eq!(stale.status, 412);
    assert!(stale.body["detail"]
        .as_str()
        .expect("detail")
        .contains("现在是第 2 版"));
    let restored = api.post_if_match(&restore, "\"2\"", &json!({})).await;
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(restored.header("etag"), "\"3\"");
    assert_eq!(restored.body["revision"], 3);
    assert_eq!(restored.body["draft"], original);
    assert_eq!(
        restored.body["published_version"], 3,
        "restoring does not publish"
    );
    let no_version = api
        .post_if_match(&format!("{flow}/versions/9/restore"), "\"3\"", &json!({}))
        .await;
    assert_eq!(no_version.status, 404);

    // A version restored after a rename brings its name back.
    assert_eq!(
        api.put(&flow, Some("3"), &renamed(&original, "订单状态"))
            .await
            .status,
        200
    );
    let back = api.post_if_match(&restore, "4", &json!({})).await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.body["name"], "order-status");
    assert_eq!(api.flow_names().await, ["order-status"]);

    let actions = audit_actions(&app, &tenant.id).await;
    for action in ["flow.create", "flow.update", "flow.publish", "flow.restore"] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action} in {actions:?}"
        );
    }
    app
}

async fn an_invalid_draft_is_saved_but_not_published(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Invalid Shop").await;
    let api = Client::new(&app, &tenant.owner_key);
    let mut document = example("order-status.json");
    document["nodes"][0]["next"] = json!("nowhere");

    let created = api.post("/flows", &document).await;
    assert_eq!(created.status, 201, "drafts are saved with their errors");
    assert_eq!(
        errors(&created.body["diagnostics"]),
        owned(&[("dangling_port", "greeting", "/nodes/0/next")])
    );
    let id = created.body["id"].as_str().expect("id");

    let refused = api.publish(id, "try").await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.code(), "flow_invalid");
    assert_eq!(refused.body["errors"].as_array().map(Vec::len), Some(1));
    let error = &refused.body["errors"][0];
    assert_eq!(error["node"], "greeting");
    assert_eq!(error["field"], "/nodes/0/next");
    assert_eq!(error["code"], "dangling_port");
    assert!(error["message"]
        .as_str()
        .expect("message")
        .contains("nowhere"));
    assert_eq!(
        api.get(&format!("/flows/{id}/versions")).await.body,
        json!([])
    );
    assert_eq!(
        api.get(&format!("/flows/{id}")).await.body["published_version"],
        Value::Null
    );

    // Fixed, it publishes.
    document["nodes"][0]["next"] = json!("ask_need");
    let fixed = api.put(&format!("/flows/{id}"), Some("1"), &document).await;
    assert_eq!(fixed.body["diagnostics"], json!([]));
    assert_eq!(api.publish(id, "fixed").await.status, 201);
    app
}

async fn validation_names_node_and_field_and_saves_nothing(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Validate Shop").await;
    let api = Client::new(&app, &tenant.owner_key);

    let report = api.post("/flows/validate", &broken_flow()).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(report.body["valid"], false);
    assert_eq!(
        errors(&report.body["diagnostics"]),
        owned(&[
            ("template_syntax", "hello", "/nodes/0/text"),
            ("dangling_port", "hello", "/nodes/0/next"),
            ("script_syntax", "calc", "/nodes/1/code"),
            ("wrong_type", "ask", "/nodes/2/prompt"),
            ("invalid_value", "bye", "/nodes/3/outcome"),
        ])
    );
    let script = &report.body["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["code"] == "script_syntax")
        .cloned()
        .expect("script error");
    assert_eq!(
        (script["line"].as_u64(), script["column"].as_u64()),
        (Some(1), Some(9))
    );
    let outcome = report.body["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["code"] == "invalid_value")
        .cloned()
        .expect("outcome error");
    assert!(outcome["message"]
        .as_str()
        .expect("message")
        .contains("resolved"));

    let not_a_flow = api.post("/flows/validate", &json!(["nodes"])).await;
    assert_eq!(not_a_flow.status, 200);
    assert_eq!(not_a_flow.body["valid"], false);
    assert_eq!(not_a_flow.body["diagnostics"][0]["code"], "wrong_type");
    assert_eq!(not_a_flow.body["diagnostics"][0]["field"], "");

    let good = api
        .post("/flows/validate", &example("satisfaction-survey.json"))
        .await;
    assert_eq!(good.body, json!({ "valid": true, "diagnostics": [] }));

    // Subflows may call the tenant's flows, and only those.
    let mut caller = example("birthday-care.json");
    let start = caller["start"].clone();
    caller["nodes"].as_array_mut().expect("nodes").push(
        json!({ "id": "survey", "type": "subflow", "flow": "satisfaction-survey", "next": start }),
    );
    caller["start"] = json!("survey");
    let unknown = api.post("/flows/validate", &caller).await;
    assert_eq!(
        errors(&unknown.body["diagnostics"]),
        owned(&[(
            "unknown_subflow",
            "survey",
            &format!(
                "/nodes/{}/flow",
                caller["nodes"].as_array().expect("nodes").len() - 1
            )
        )])
    );
    assert_eq!(
        api.flow_names().await,
        Vec::<String>::new(),
        "validating saves nothing"
    );
    api.create(&example("satisfaction-survey.json")).await;
    let known = api.post("/flows/validate", &caller).await;
    assert_eq!(known.body["valid"], true, "{}", known.body);

    let malformed = send(
        app.client
            .post(api.url("/flows/validate"))
            .bearer_auth(&tenant.owner_key)
            .header("content-type", "application/json")
            .body("{\"name\": \"x\",\n \"nodes\": [}"),
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.code(), "malformed_json");
    app
}

async fn an_import_gives_each_flow_its_own_result(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Import Shop").await;
    let api = Client::new(&app, &tenant.owner_key);
    api.create(&example("order-status.json")).await;

    let imported = api
        .post(
            "/flows/import",
            &json!({
                "publish": true,
                "note": "批量导入",
                "flows": [
                    example("order-status-en.json"),
                    "not a flow",
                    { "nodes": [] },
                    example("order-status.json"),
                    example("birthday-care.json"),
                    renamed(&example("returns-refunds.json"), "birthday-care"),
                    broken_flow(),
                ]
            }),
        )
        .await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    let results = imported.body["results"].as_array().expect("results");
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect();
    assert_eq!(
        statuses,
        [
            "published",
            "rejected",
            "rejected",
            "conflict",
            "published",
            "conflict",
            "invalid"
        ]
    );
    let indexes: Vec<u64> = results
        .iter()
        .map(|r| r["index"].as_u64().expect("index"))
        .collect();
    assert_eq!(indexes, [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(results[0]["name"], "order-status-en");
    assert_eq!(results[0]["version"], 1);
    assert_eq!(results[1]["diagnostics"][0]["code"], "wrong_type");
    assert_eq!(results[2]["diagnostics"][0]["field"], "/name");
    assert_eq!(results[3]["diagnostics"][0]["code"], "flow_name_taken");
    assert!(results[5]["diagnostics"][0]["message"]
        .as_str()
        .expect("message")
        .contains("这次导入里前面的流程也叫"));
    assert_eq!(errors(&results[6]["diagnostics"]).len(), 5);
    for failed in &results[1..4] {
        assert!(failed.get("id").is_none(), "{failed}");
    }
    assert!(
        results[6].get("id").is_none(),
        "an invalid flow is not saved when publishing"
    );

    let id = results[4]["id"].as_str().expect("id");
    let saved = api.get(&format!("/flows/{id}")).await;
    assert_eq!(saved.body["draft"], example("birthday-care.json"));
    assert_eq!(saved.body["published_version"], 1);
    let version = api.get(&format!("/flows/{id}/versions/1")).await;
    assert_eq!(version.body["note"], "批量导入");
    assert_eq!(
        api.flow_names().await,
        ["birthday-care", "order-status", "order-status-en"]
    );

    // Without publishing, an import saves drafts like POST /flows does, errors and all; a flow
    // may call another flow of the same import.
    let mut caller = example("satisfaction-survey.json");
    let start = caller["start"].clone();
    caller["nodes"].as_array_mut().expect("nodes").push(
        json!({ "id": "refunds", "type": "subflow", "flow": "returns-refunds", "next": start }),
    );
    caller["start"] = json!("refunds");
    let drafts = api
        .post(
            "/flows/import",
            &json!({ "flows": [broken_flow(), caller, example("returns-refunds.json")] }),
        )
        .await;
    assert_eq!(drafts.status, 201, "{}", drafts.body);
    let results = drafts.body["results"].as_array().expect("results");
    assert!(results
        .iter()
        .all(|r| r["status"] == "created" && r["id"].is_string()));
    assert_eq!(errors(&results[0]["diagnostics"]).len(), 5);
    assert_eq!(errors(&results[1]["diagnostics"]), Vec::new());
    assert!(results[0].get("version").is_none());

    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({ "name": format!("flow {i}") }))
        .collect();
    let refused = api
        .post("/flows/import", &json!({ "flows": too_many }))
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.code(), "too_many_flows");
    let typo = api
        .post(
            "/flows/import",
            &json!({ "flows": [], "allOrNothing": true }),
        )
        .await;
    assert_eq!(typo.status, 422);
    assert_eq!(typo.code(), "invalid_body");
    assert_eq!(api.flow_names().await.len(), 6);
    assert!(audit_actions(&app, &tenant.id)
        .await
        .contains(&"flow.import".to_owned()));
    app
}

async fn an_all_or_nothing_import_saves_nothing_when_one_fails(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Atomic Shop").await;
    let api = Client::new(&app, &tenant.owner_key);
    api.create(&example("order-status.json")).await;

    let failed = api
        .post(
            "/flows/import",
            &json!({
                "all_or_nothing": true,
                "flows": [
                    example("birthday-care.json"),
                    example("satisfaction-survey.json"),
                    renamed(&example("returns-refunds.json"), "order-status"),
                ]
            }),
        )
        .await;
    assert_eq!(failed.status, 422, "{}", failed.body);
    assert_eq!(failed.header("content-type"), "application/problem+json");
    assert_eq!(failed.code(), "import_failed");
    let statuses: Vec<&str> = failed.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["skipped", "skipped", "conflict"]);
    assert_eq!(failed.body["errors"][0]["field"], "/flows/2/name");
    assert_eq!(failed.body["errors"][0]["code"], "flow_name_taken");
    assert_eq!(
        api.flow_names().await,
        ["order-status"],
        "nothing was saved"
    );

    let invalid = api
        .post(
            "/flows/import",
            &json!({ "all_or_nothing": true, "publish": true,
                     "flows": [example("birthday-care.json"), broken_flow()] }),
        )
        .await;
    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.body["results"][1]["status"], "invalid");
    let fields: Vec<&str> = invalid.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert!(fields.contains(&"/flows/1/nodes/0/next"), "{fields:?}");
    assert_eq!(invalid.body["errors"][1]["node"], "hello");
    assert_eq!(
        api.flow_names().await,
        ["order-status"],
        "nothing was saved"
    );

    let saved = api
        .post(
            "/flows/import",
            &json!({ "all_or_nothing": true, "publish": true,
                     "flows": [example("birthday-care.json"), example("satisfaction-survey.json")] }),
        )
        .await;
    assert_eq!(saved.status, 201, "{}", saved.body);
    let results = saved.body["results"].as_array().expect("results");
    assert!(results
        .iter()
        .all(|r| r["status"] == "published" && r["version"] == 1));
    assert_eq!(
        api.flow_names().await,
        ["birthday-care", "order-status", "satisfaction-survey"]
    );
    app
}

async fn export_downloads_the_draft(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Export Shop").await;
    let api = Client::new(&app, &tenant.owner_key);
    let document = example("order-status.json");
    let id = api.create(&document).await;

    let exported = api.get(&format!("/flows/{id}/export")).await;
    assert_eq!(exported.status, 200);
    assert_eq!(exported.header("content-type"), "application/json");
    assert_eq!(
        exported.header("content-disposition"),
        "attachment; filename=\"order-status.json\""
    );
    assert_eq!(exported.body, document);

    // The export imports into another tenant as it was.
    let other = app.tenant_for_examples("Second Shop").await;
    let other_api = Client::new(&app, &other.owner_key);
    let imported = other_api
        .post("/flows/import", &json!({ "flows": [exported.body] }))
        .await;
    assert_eq!(imported.status, 201, "{}", imported.body);
    let copy = imported.body["results"][0]["id"].as_str().expect("id");
    assert_eq!(
        other_api.get(&format!("/flows/{copy}")).await.body["draft"],
        document
    );

    let chinese = api.create(&renamed(&document, "订单查询")).await;
    let exported = api.get(&format!("/flows/{chinese}/export")).await;
    assert_eq!(
        exported.header("content-disposition"),
        "attachment; filename=\"____.json\"; filename*=UTF-8''%E8%AE%A2%E5%8D%95%E6%9F%A5%E8%AF%A2.json"
    );
    app
}

async fn roles_decide_who_reads_and_who_writes(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Role Shop").await;
    let owner = Client::new(&app, &tenant.owner_key);
    let id = owner.create(&example("order-status.json")).await;
    assert_eq!(owner.publish(&id, "v1").await.status, 201);
    let document = example("order-status.json");

    let editor_key = app.key(&tenant.id, Role::Editor).await;
    let editor = Client::new(&app, &editor_key);
    let created = editor.post("/flows", &example("birthday-care.json")).await;
    assert_eq!(created.status, 201);
    assert_eq!(editor.publish(&id, "by an editor").await.status, 201);

    let viewer_key = app.key(&tenant.id, Role::Viewer).await;
    let viewer = Client::new(&app, &viewer_key);
    for path in [
        "/flows".to_owned(),
        format!("/flows/{id}"),
        format!("/flows/{id}/versions"),
        format!("/flows/{id}/versions/1"),
        format!("/flows/{id}/export"),
    ] {
        assert_eq!(viewer.get(&path).await.status, 200, "a viewer reads {path}");
    }
    assert_eq!(viewer.post("/flows/validate", &document).await.status, 200);
    let writes = [
        viewer.post("/flows", &renamed(&document, "viewer's")).await,
        viewer
            .put(&format!("/flows/{id}"), Some("1"), &document)
            .await,
        viewer.delete(&format!("/flows/{id}")).await,
        viewer.publish(&id, "viewer").await,
        viewer
            .post_if_match(&format!("/flows/{id}/versions/1/restore"), "1", &json!({}))
            .await,
        viewer
            .post(
                "/flows/import",
                &json!({ "flows": [renamed(&document, "x")] }),
            )
            .await,
    ];
    for answer in writes {
        assert_eq!(answer.status, 403, "{}", answer.body);
        assert_eq!(answer.code(), "forbidden");
    }

    let agent_key = app.key(&tenant.id, Role::Agent).await;
    let agent = Client::new(&app, &agent_key);
    for path in [
        "/flows".to_owned(),
        format!("/flows/{id}"),
        format!("/flows/{id}/versions"),
        format!("/flows/{id}/versions/1"),
        format!("/flows/{id}/export"),
    ] {
        let answer = agent.get(&path).await;
        assert_eq!(answer.status, 403, "an agent may not read {path}");
        assert!(answer.body.get("draft").is_none());
    }
    assert_eq!(agent.post("/flows/validate", &document).await.status, 403);

    let anonymous = send(app.client.get(owner.url("/flows"))).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        owner.flow_names().await,
        ["birthday-care", "order-status"],
        "no refused write changed anything"
    );
    assert_eq!(owner.get(&format!("/flows/{id}")).await.body["revision"], 1);
    app
}

async fn another_tenants_flows_do_not_exist(app: TestApp) -> TestApp {
    let shop = app.tenant_for_examples("Own Shop").await;
    let owner = Client::new(&app, &shop.owner_key);
    let document = example("order-status.json");
    let id = owner.create(&document).await;
    assert_eq!(owner.publish(&id, "secret note").await.status, 201);

    let intruder_shop = app.tenant_for_examples("Other Shop").await;
    let intruder = Client::new(&app, &intruder_shop.owner_key);
    let flow = format!("/flows/{id}");
    let answers = [
        ("GET flow", intruder.get(&flow).await),
        (
            "PUT flow",
            intruder.put(&flow, Some("\"1\""), &document).await,
        ),
        (
            "PUT flow without If-Match",
            intruder.put(&flow, None, &document).await,
        ),
        ("DELETE flow", intruder.delete(&flow).await),
        ("publish", intruder.publish(&id, "mine now").await),
        (
            "publish with If-Match",
            intruder
                .post_if_match(&format!("{flow}/publish"), "1", &json!({ "note": "x" }))
                .await,
        ),
        ("versions", intruder.get(&format!("{flow}/versions")).await),
        ("version", intruder.get(&format!("{flow}/versions/1")).await),
        (
            "restore",
            intruder
                .post_if_match(&format!("{flow}/versions/1/restore"), "1", &json!({}))
                .await,
        ),
        (
            "restore without If-Match",
            intruder
                .post(&format!("{flow}/versions/1/restore"), &json!({}))
                .await,
        ),
        ("export", intruder.get(&format!("{flow}/export")).await),
    ];
    for (what, answer) in answers {
        assert_eq!(answer.status, 404, "{what}: {}", answer.body);
        assert_eq!(answer.code(), "not_found", "{what}");
        let text = answer.body.to_string();
        assert!(
            !text.contains("order-status")
                && !text.contains("secret note")
                && !text.contains("greeting"),
            "{what} leaks data: {text}"
        );
    }
    assert_eq!(intruder.get("/flows").await.body, json!([]));
    assert_eq!(intruder.get("/flows?search=order").await.body, json!([]));

    // The other tenant's names are its own: neither taken nor callable as subflows here.
    let mut caller = example("birthday-care.json");
    let start = caller["start"].clone();
    caller["nodes"]
        .as_array_mut()
        .expect("nodes")
        .push(json!({ "id": "orders", "type": "subflow", "flow": "order-status", "next": start }));
    caller["start"] = json!("orders");
    let report = intruder.post("/flows/validate", &caller).await;
    assert!(errors(&report.body["diagnostics"])
        .iter()
        .any(|(code, node, _)| code == "unknown_subflow" && node == "orders"));
    assert_eq!(intruder.post("/flows", &document).await.status, 201);
    let import = intruder
        .post(
            "/flows/import",
            &json!({ "flows": [renamed(&document, "another")] }),
        )
        .await;
    assert_eq!(import.status, 201);

    // Nothing the intruder did touched the flow.
    let own = owner.get(&flow).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.body["revision"], 1);
    assert_eq!(own.body["draft"], document);
    assert_eq!(own.body["published_version"], 1);
    assert_eq!(
        owner
            .get(&format!("{flow}/versions"))
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(owner.flow_names().await, ["order-status"]);
    app
}

async fn the_flow_schema_is_public_and_committed(app: TestApp) -> TestApp {
    let schema = app
        .client
        .get(app.url("/api/v1/schema/flow"))
        .send()
        .await
        .expect("schema");
    assert_eq!(schema.status(), 200, "no credentials needed");
    assert_eq!(schema.headers()["content-type"], "application/schema+json");
    let committed = std::fs::read_to_string(root().join("schema/flow-v1.schema.json"))
        .expect("the committed schema");
    assert!(
        schema.text().await.expect("text") == committed,
        "the served schema is the committed schema/flow-v1.schema.json"
    );

    let document = send(app.client.get(app.url("/openapi.json"))).await;
    let paths = &document.body["paths"];
    for (path, method) in [
        ("/api/v1/flows", "get"),
        ("/api/v1/flows", "post"),
        ("/api/v1/flows/{id}", "put"),
        ("/api/v1/flows/validate", "post"),
        ("/api/v1/flows/import", "post"),
        ("/api/v1/flows/{id}/publish", "post"),
        ("/api/v1/flows/{id}/versions/{version}/restore", "post"),
        ("/api/v1/flows/{id}/export", "get"),
        ("/api/v1/flows/{id}/draft/try-intent", "post"),
        ("/api/v1/schema/flow", "get"),
    ] {
        let operation = &paths[path][method];
        assert_eq!(operation["tags"][0], "flows", "{method} {path}");
    }
    app
}

async fn a_sentence_is_tried_on_a_listening_node_of_the_draft(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Try Shop").await;
    let api = Client::new(&app, &tenant.owner_key);
    let id = api.create(&example("order-status.json")).await;
    let path = format!("/flows/{id}/draft/try-intent");
    let tried = api
        .post(
            &path,
            &json!({ "node": "ask_need", "text": "帮我看看我买的东西到哪了" }),
        )
        .await;
    assert_eq!(tried.status, 200, "{}", tried.body);
    assert_eq!(tried.body["intent"], "track_order");
    let ranking = tried.body["ranking"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(ranking.len(), 2);
    assert_eq!(ranking[0]["intent"], "track_order");
    assert_eq!(ranking[1]["intent"], "after_sales");
    let confidence = tried.body["confidence"].as_f64().unwrap_or_default();
    let threshold = tried.body["threshold"].as_f64().unwrap_or(1.0);
    assert!(
        confidence >= threshold && confidence <= 1.0,
        "{}",
        tried.body
    );

    let unrelated = api
        .post(
            &path,
            &json!({ "node": "ask_need", "text": "明天北京下不下雨" }),
        )
        .await;
    assert_eq!(unrelated.status, 200);
    assert_eq!(unrelated.body["intent"], Value::Null);

    let not_listening = api
        .post(&path, &json!({ "node": "say_goodbye", "text": "查物流" }))
        .await;
    assert_eq!(not_listening.status, 404, "{}", not_listening.body);
    assert_eq!(not_listening.code(), "not_found");

    let broken = api.create(&broken_flow()).await;
    let answer = api
        .post(
            &format!("/flows/{broken}/draft/try-intent"),
            &json!({ "node": "ask", "text": "查物流" }),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(answer.code(), "flow_invalid");

    // Another server instance on the same database tries the draft and keeps it compiled; an
    // edit through this instance is a new draft revision, which the other sees at once.
    let other = server::state::AppState::new(&app.config, app.store.clone()).expect("state");
    assert_eq!(
        intents_tried_on(&other, &tenant.id, &id).await,
        ["after_sales", "track_order"]
    );
    let flow = api.get(&format!("/flows/{id}")).await;
    let mut draft = flow.body["draft"].clone();
    let intents = draft["nodes"]
        .as_array_mut()
        .and_then(|nodes| nodes.iter_mut().find(|node| node["id"] == "ask_need"))
        .map(|node| &mut node["intents"])
        .expect("the ask_need node");
    intents[1]["name"] = json!("returns");
    let revision = flow.body["revision"].to_string();
    let saved = api
        .put(&format!("/flows/{id}"), Some(&revision), &draft)
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(
        intents_tried_on(&other, &tenant.id, &id).await,
        ["returns", "track_order"]
    );
    let here = api
        .post(&path, &json!({ "node": "ask_need", "text": "我要退货" }))
        .await;
    assert_eq!(here.body["intent"], "returns", "{}", here.body);
    app
}

/// The intents of the draft's `ask_need` node as `state`'s server ranks "我要退货", best first.
async fn intents_tried_on(
    state: &server::state::AppState,
    tenant_id: &str,
    flow_id: &str,
) -> Vec<String> {
    let compiled = state
        .flows
        .draft_alone(&state.store, tenant_id, flow_id)
        .await
        .expect("the draft loads")
        .expect("the draft compiles");
    compiled
        .rank_intents("ask_need", "我要退货")
        .expect("a listening node")
        .ranking
        .into_iter()
        .map(|(intent, _)| intent)
        .collect()
}

/// A flow's display name (`title`) is what lists show and searches find; renaming a flow
/// changes only it, so its key — what subflows call — stays, and restoring a version brings
/// its title back.
/// Flows stored before flows had titles get theirs when the server migrates: from the draft
/// when it has one, and the demo's example flows from their files, in the draft too so that
/// the next save keeps it. Another flow under an example's key is not taken for one.
async fn flows_stored_before_titles_get_theirs(app: TestApp) -> TestApp {
    use server::demo::first_run::EXAMPLE_FLOW_NOTE;
    use server::store::{now_ms, NewFlow};
    use sqlx::Connection;
    let tenant = app.tenant("Old Shop").await;
    let mut untitled = example("order-status.json");
    untitled.as_object_mut().expect("object").remove("title");
    let store_flow = |name: &'static str, document: Value, note: Option<&'static str>| {
        let app = &app;
        let tenant_id = tenant.id.clone();
        async move {
            let mut transaction = app.store.transaction().await.expect("transaction");
            let new = NewFlow {
                name,
                draft: &document,
            };
            let flow = transaction
                .create_flow(&tenant_id, &new, now_ms())
                .await
                .expect("create flow");
            if let Some(note) = note {
                transaction
                    .publish_flow(&tenant_id, &flow.id, flow.revision, note, "test", now_ms())
                    .await
                    .expect("publish")
                    .expect("published");
            }
            transaction.commit().await.expect("commit");
            flow.id
        }
    };
    let example_id = store_flow("order-status", untitled.clone(), Some(EXAMPLE_FLOW_NOTE)).await;
    let mut own = untitled.clone();
    own["name"] = json!("order-status");
    let other_tenant = app.tenant("Other Old Shop").await;
    let mut transaction = app.store.transaction().await.expect("transaction");
    let not_example = transaction
        .create_flow(
            &other_tenant.id,
            &NewFlow {
                name: "order-status",
                draft: &own,
            },
            now_ms(),
        )
        .await
        .expect("create flow")
        .id;
    transaction.commit().await.expect("commit");
    let mut titled = untitled.clone();
    titled["name"] = json!("titled");
    titled["title"] = json!("有标题的流程");
    let titled_id = store_flow("titled", titled, None).await;

    // As the flows were before titles: the column empty; then migrated again.
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(&app.config.database_url)
        .await
        .expect("a connection");
    for statement in [
        "UPDATE flows SET title = NULL".to_owned(),
        "DELETE FROM _sqlx_migrations WHERE version = 25".to_owned(),
    ] {
        sqlx::query(&statement)
            .execute(&mut connection)
            .await
            .expect("statement");
    }
    let _ = connection.close().await;
    app.store.migrate().await.expect("migrates");

    let flow = |tenant_id: String, id: String| {
        let app = &app;
        async move {
            app.store
                .get_flow(&tenant_id, &id)
                .await
                .expect("get flow")
                .expect("flow")
        }
    };
    let example_flow = flow(tenant.id.clone(), example_id).await;
    assert_eq!(example_flow.title.as_deref(), Some("订单查询"));
    assert_eq!(
        example_flow.draft["title"], "订单查询",
        "the draft keeps it"
    );
    let titled_flow = flow(tenant.id.clone(), titled_id).await;
    assert_eq!(titled_flow.title.as_deref(), Some("有标题的流程"));
    let other = flow(other_tenant.id.clone(), not_example).await;
    assert_eq!(
        other.title,
        None,
        "not an example flow: {:?}",
        other.draft.get("title")
    );
    app
}

async fn a_flow_is_listed_and_renamed_by_its_display_name(app: TestApp) -> TestApp {
    let tenant = app.tenant_for_examples("Title Shop").await;
    let api = Client::new(&app, &tenant.owner_key);
    let order_status = example("order-status.json");
    assert_eq!(
        order_status["title"], "订单查询",
        "the example is named in Chinese"
    );
    let id = api.create(&order_status).await;
    api.create(&example("order-status-en.json")).await;
    let titles = |listed: &Value| -> Vec<(String, String)> {
        let mut titles: Vec<(String, String)> = listed
            .as_array()
            .expect("list")
            .iter()
            .map(|flow| {
                let title = flow["title"].as_str().expect("a title");
                (
                    flow["name"].as_str().expect("name").to_owned(),
                    title.to_owned(),
                )
            })
            .collect();
        titles.sort();
        titles
    };
    let listed = api.get("/flows").await;
    assert_eq!(
        titles(&listed.body),
        [
            ("order-status".to_owned(), "订单查询".to_owned()),
            ("order-status-en".to_owned(), "Order status".to_owned())
        ]
    );
    let found = api.get("/flows?search=订单").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(
        titles(&found.body),
        [("order-status".to_owned(), "订单查询".to_owned())],
        "a search finds the display name"
    );
    assert_eq!(api.publish(&id, "first").await.status, 201);

    let path = format!("/flows/{id}");
    let mut renamed = order_status.clone();
    renamed["title"] = json!("物流查询");
    let saved = api.put(&path, Some("\"1\""), &renamed).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["name"], "order-status", "the key stays");
    assert_eq!(saved.body["title"], "物流查询");
    let listed = api.get("/flows?search=物流").await;
    assert_eq!(
        titles(&listed.body),
        [("order-status".to_owned(), "物流查询".to_owned())]
    );

    let restored = api
        .post_if_match(&format!("{path}/versions/1/restore"), "\"2\"", &json!({}))
        .await;
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(
        restored.body["title"], "订单查询",
        "the version's title is back"
    );
    let listed = api.get("/flows?search=订单查询").await;
    assert_eq!(titles(&listed.body).len(), 1, "{}", listed.body);

    // A flow without a title has none in the list; clients show its key.
    let mut untitled = renamed.clone();
    untitled["name"] = json!("untitled");
    untitled.as_object_mut().expect("object").remove("title");
    api.create(&untitled).await;
    let listed = api.get("/flows?search=untitled").await;
    assert!(listed.body[0].get("title").is_none(), "{}", listed.body);
    app
}

on_both_databases!(
    a_flow_is_listed_and_renamed_by_its_display_name,
    a_sentence_is_tried_on_a_listening_node_of_the_draft,
    flows_are_created_read_listed_and_searched,
    saving_a_draft_needs_its_current_revision,
    publishing_makes_numbered_immutable_versions,
    an_invalid_draft_is_saved_but_not_published,
    validation_names_node_and_field_and_saves_nothing,
    an_import_gives_each_flow_its_own_result,
    an_all_or_nothing_import_saves_nothing_when_one_fails,
    export_downloads_the_draft,
    roles_decide_who_reads_and_who_writes,
    another_tenants_flows_do_not_exist,
    the_flow_schema_is_public_and_committed,
    flows_stored_before_titles_get_theirs,
);
