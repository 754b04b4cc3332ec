//! Tenant isolation across the whole API: every operation of the OpenAPI document is called
//! with another tenant's credentials on this tenant's objects. Each answer is 404 (or 403) and
//! carries none of this tenant's data; list endpoints answer without this tenant's objects.
//! New endpoints are covered as soon as they are documented.

use callflow_tests::app::TestApp;
use callflow_tests::on_both_databases;
use serde_json::{json, Value};

/// Tenant A's objects that the other tenant must not reach.
struct Secrets {
    /// A phone number bound to the flow.
    number: String,
    flow_id: String,
    flow_name: String,
    session_id: String,
    call_id: String,
    key_id: String,
    /// A knowledge base's key and one of its entries.
    knowledge_key: String,
    entry_id: String,
    /// A widget channel, its key, and a conversation a visitor had through it.
    channel_id: String,
    channel_key: String,
    widget_conversation: String,
    /// A conversation handed to tenant A's queue, and an agent of tenant A.
    handoff_id: String,
    agent_id: String,
    /// A contact list, one of its contacts, and a number on the do-not-call list.
    contact_list_id: String,
    contact_id: String,
    do_not_call: String,
    /// A campaign calling that list.
    campaign_id: String,
}

/// Tenant B's own widget channel and a visitor of it: the public widget API takes no API key,
/// so tenant B reaches it as a visitor of its own channel.
struct Visitor {
    channel_key: String,
    token: String,
}

/// Starts a conversation on a channel from a page of its allowed origin: the conversation's
/// id and the visitor's token.
async fn widget_conversation(app: &TestApp, key: &str) -> (String, String) {
    let started: Value = app
        .client
        .post(app.url(&format!("/widget/v1/channels/{key}/conversations")))
        .header("origin", "https://shop.example")
        .send()
        .await
        .expect("start")
        .json()
        .await
        .expect("json");
    (
        started["id"].as_str().expect("conversation").to_owned(),
        started["visitor_token"].as_str().expect("token").to_owned(),
    )
}

async fn widget_channel(app: &TestApp, owner_key: &str, flow_id: &str) -> Value {
    let (status, channel) = app
        .api(
            reqwest::Method::POST,
            owner_key,
            "/widget-channels",
            Some(&json!({ "flow_id": flow_id, "name": "site",
                          "allowed_origins": ["https://shop.example"] })),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    channel
}

async fn tenant_a(app: &TestApp, owner_key: &str, tenant_id: &str) -> Secrets {
    let text = std::fs::read_to_string(callflow_tests::root().join("flows/order-status.json"))
        .expect("flow");
    let mut document: Value = serde_json::from_str(&text).expect("json");
    let flow_name = format!("secret-flow-{}", uuid::Uuid::new_v4().simple());
    document["name"] = json!(flow_name);
    let (flow, _) = app.published_flow(tenant_id, &flow_name, &document).await;
    for queue in ["orders", "after-sales"] {
        let (status, saved) = app
            .api(
                reqwest::Method::PUT,
                owner_key,
                &format!("/queues/{queue}"),
                Some(&json!({ "name": "机密队列" })),
            )
            .await;
        assert_eq!(status, 200, "{saved}");
    }
    let agent_id = {
        let mut transaction = app.store.transaction().await.expect("transaction");
        let user = transaction
            .create_user(
                tenant_id,
                &server::store::NewUser {
                    email: &format!("agent-{}@example.com", uuid::Uuid::new_v4().simple()),
                    display_name: "机密坐席",
                    password: "correct horse battery staple",
                    role: server::store::Role::Agent,
                },
                server::store::now_ms(),
            )
            .await
            .expect("agent");
        transaction.commit().await.expect("commit");
        user.id
    };
    let handed_off: Value = {
        let started: Value = app
            .client
            .post(app.url("/api/v1/sessions"))
            .bearer_auth(owner_key)
            .json(&json!({ "flow_id": flow.id }))
            .send()
            .await
            .expect("start session")
            .json()
            .await
            .expect("json");
        let id = started["id"].as_str().expect("session id");
        app.client
            .post(app.url(&format!("/api/v1/sessions/{id}/events")))
            .bearer_auth(owner_key)
            .json(&json!({ "type": "text", "text": "转人工" }))
            .send()
            .await
            .expect("hand off")
            .json()
            .await
            .expect("json")
    };
    let handoff_id = handed_off["owner"]["handoff"]
        .as_str()
        .unwrap_or_else(|| panic!("a waiting handoff: {handed_off}"))
        .to_owned();
    let session: Value = app
        .client
        .post(app.url("/api/v1/sessions"))
        .bearer_auth(owner_key)
        .json(&json!({ "flow_id": flow.id, "version": "published" }))
        .send()
        .await
        .expect("start session")
        .json()
        .await
        .expect("json");
    let key: Value = app
        .client
        .post(app.url("/api/v1/api-keys"))
        .bearer_auth(owner_key)
        .json(&json!({ "name": "secret key", "role": "viewer" }))
        .send()
        .await
        .expect("create key")
        .json()
        .await
        .expect("json");
    let number = "+8657100000001".to_owned();
    let (status, bound) = app
        .api(
            reqwest::Method::PUT,
            owner_key,
            &format!("/phone-numbers/{}", number.replace('+', "%2B")),
            Some(&json!({ "flow_id": flow.id })),
        )
        .await;
    assert_eq!(status, 200, "{bound}");
    let knowledge_key = format!("secret-kb-{}", uuid::Uuid::new_v4().simple());
    let (status, base) = app
        .api(
            reqwest::Method::POST,
            owner_key,
            "/knowledge-bases",
            Some(&json!({ "key": knowledge_key, "name": "机密", "language": "zh-CN" })),
        )
        .await;
    assert_eq!(status, 201, "{base}");
    let (status, entry) = app
        .api(
            reqwest::Method::POST,
            owner_key,
            &format!("/knowledge-bases/{knowledge_key}/entries"),
            Some(&json!({ "question": "机密问题", "answer": "机密答案" })),
        )
        .await;
    assert_eq!(status, 201, "{entry}");
    let channel = widget_channel(app, owner_key, &flow.id).await;
    let channel_key = channel["key"].as_str().expect("key").to_owned();
    let (widget_conversation, _) = widget_conversation(app, &channel_key).await;
    let (status, list) = app
        .api(
            reqwest::Method::POST,
            owner_key,
            "/contact-lists",
            Some(&json!({ "name": "机密会员" })),
        )
        .await;
    assert_eq!(status, 201, "{list}");
    let contact_list_id = list["id"].as_str().expect("list id").to_owned();
    let imported = app
        .client
        .post(app.url(&format!("/api/v1/contact-lists/{contact_list_id}/import")))
        .bearer_auth(owner_key)
        .header("content-type", "text/csv")
        .body("电话,姓名\n13800138000,机密会员\n")
        .send()
        .await
        .expect("import");
    assert_eq!(imported.status(), 200);
    let (status, contacts) = app
        .api(
            reqwest::Method::GET,
            owner_key,
            &format!("/contact-lists/{contact_list_id}/contacts"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{contacts}");
    let contact_id = contacts["contacts"][0]["id"]
        .as_str()
        .expect("contact id")
        .to_owned();
    let do_not_call = "+8613900139000".to_owned();
    let (status, listed) = app
        .api(
            reqwest::Method::POST,
            owner_key,
            "/do-not-call",
            Some(&json!({ "phone": do_not_call })),
        )
        .await;
    assert!((200..300).contains(&status), "{listed}");
    let (status, campaign) = app
        .api(
            reqwest::Method::POST,
            owner_key,
            "/campaigns",
            Some(&json!({ "name": "机密活动", "flow_id": flow.id, "list_id": contact_list_id })),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    Secrets {
        campaign_id: campaign["id"].as_str().expect("campaign id").to_owned(),
        contact_list_id,
        contact_id,
        do_not_call,
        channel_id: channel["id"].as_str().expect("channel id").to_owned(),
        channel_key,
        widget_conversation,
        knowledge_key,
        entry_id: entry["id"].as_str().expect("entry id").to_owned(),
        number,
        flow_id: flow.id,
        flow_name,
        session_id: session["id"].as_str().expect("session id").to_owned(),
        call_id: session["call_id"].as_str().expect("call id").to_owned(),
        key_id: key["key"]["id"].as_str().expect("key id").to_owned(),
        handoff_id,
        agent_id,
    }
}

/// The path with tenant A's ids in place of its parameters; widget paths with tenant B's
/// channel and tenant A's conversation.
fn fill(path: &str, secrets: &Secrets, visitor: &Visitor) -> String {
    if path.starts_with("/widget/v1/") {
        return path
            .replace("{key}", &visitor.channel_key)
            .replace("{id}", &secrets.widget_conversation);
    }
    let object = if path.starts_with("/api/v1/widget-channels") {
        &secrets.channel_id
    } else if path.starts_with("/api/v1/sessions") {
        &secrets.session_id
    } else if path.starts_with("/api/v1/calls") {
        &secrets.call_id
    } else if path.starts_with("/api/v1/api-keys") {
        &secrets.key_id
    } else if path.starts_with("/api/v1/handoffs") {
        &secrets.handoff_id
    } else if path.starts_with("/api/v1/users/") {
        &secrets.agent_id
    } else {
        &secrets.flow_id
    };
    if path.starts_with("/api/v1/contact-lists") {
        return path
            .replace("{id}", &secrets.contact_list_id)
            .replace("{contact_id}", &secrets.contact_id);
    }
    if path.starts_with("/api/v1/campaigns") {
        return path
            .replace("{id}", &secrets.campaign_id)
            .replace("{action}", "stop");
    }
    if path.starts_with("/api/v1/do-not-call/") {
        return path.replace("{phone}", &secrets.do_not_call.replace('+', "%2B"));
    }
    if path.starts_with("/api/v1/knowledge-bases") {
        return path
            .replace("{key}", &secrets.knowledge_key)
            .replace("{id}", &secrets.entry_id);
    }
    path.replace("{id}", object)
        .replace("{user_id}", &secrets.agent_id)
        // Tenant A's queue's key: tenant B may have a queue of that name, its own.
        .replace("{key}", "orders")
        .replace("{version}", "1")
        .replace("{number}", &secrets.number.replace('+', "%2B"))
}

/// A body of the right general shape, with tenant A's flow id wherever one is taken.
fn body(path: &str, secrets: &Secrets) -> Value {
    if path == "/api/v1/handoffs/{id}/messages" {
        json!({ "text": "机密" })
    } else if path.ends_with("/events") || path.ends_with("/messages") {
        json!({ "type": "text", "text": "查物流" })
    } else if path == "/api/v1/sessions" {
        json!({ "flow_id": secrets.flow_id, "version": "published" })
    } else if path.starts_with("/api/v1/phone-numbers") {
        json!({ "flow_id": secrets.flow_id })
    } else if path == "/api/v1/calls" {
        json!({ "to": "+8613800000000", "flow_id": secrets.flow_id })
    } else if path == "/api/v1/knowledge-bases/{key}" {
        json!({ "name": "stolen" })
    } else if path.ends_with("/alternatives") {
        json!({ "text": "机密问题" })
    } else if path.ends_with("/search") {
        json!({ "question": "机密问题" })
    } else if path.starts_with("/api/v1/knowledge-bases/") {
        json!({ "question": "机密问题", "answer": "stolen" })
    } else if path.ends_with("/draft/examples") {
        json!({ "node": "ask_need", "intent": "agent", "text": "机密问题" })
    } else if path.ends_with("/try-intent") {
        json!({ "node": "ask_need", "text": "查物流" })
    } else if path == "/api/v1/widget-channels" {
        json!({ "flow_id": secrets.flow_id, "name": "stolen" })
    } else if path.starts_with("/api/v1/widget-channels/") {
        json!({ "name": "stolen", "allowed_origins": [], "enabled": true, "language": "zh-CN" })
    } else if path.ends_with("/queues") && path.starts_with("/api/v1/agents/") {
        json!({ "queues": ["orders"] })
    } else if path.starts_with("/api/v1/queues/") {
        json!({ "name": "stolen" })
    } else if path.ends_with("/presence") {
        json!({ "presence": "available" })
    } else if path.ends_with("/end") {
        json!({ "disposition": "resolved" })
    } else if path.ends_with("/hand-back") {
        json!({ "node": "ask_need" })
    } else if path == "/api/v1/users/{id}/role" {
        json!({ "role": "viewer" })
    } else if path == "/api/v1/users/{id}/disabled" {
        json!({ "disabled": true })
    } else if path.starts_with("/api/v1/campaigns") {
        json!({ "name": "stolen", "flow_id": secrets.flow_id, "list_id": secrets.contact_list_id })
    } else if path.starts_with("/api/v1/contact-lists") {
        json!({ "name": "stolen" })
    } else if path == "/api/v1/do-not-call" {
        json!({ "phone": "+8613700137000" })
    } else if path.ends_with("/publish") {
        json!({ "note": "stolen" })
    } else {
        json!({ "schema": 1, "name": "x", "language": "zh-CN", "start": "a", "nodes": [] })
    }
}

async fn another_tenant_reaches_nothing(app: TestApp) -> TestApp {
    let a = app.tenant("Tenant A").await;
    let b = app.tenant("Tenant B").await;
    let secrets = tenant_a(&app, &a.owner_key, &a.id).await;
    let b_flow: Value = {
        let (status, flow) = app
            .api(
                reqwest::Method::POST,
                &b.owner_key,
                "/flows",
                Some(
                    &json!({ "schema": 1, "name": "b", "language": "zh-CN", "start": "end",
                              "nodes": [{ "id": "end", "type": "end", "outcome": "resolved" }] }),
                ),
            )
            .await;
        assert_eq!(status, 201, "{flow}");
        flow
    };
    let b_channel = widget_channel(&app, &b.owner_key, b_flow["id"].as_str().expect("id")).await;
    // A visitor of tenant B's channel, with a token of the server's form.
    let visitor = Visitor {
        channel_key: b_channel["key"].as_str().expect("key").to_owned(),
        token: server::channels::widget::Visitor::new()
            .expect("token")
            .token()
            .to_owned(),
    };
    let document: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    let paths = document["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            let url = app.url(&fill(path, &secrets, &visitor));
            let request = match method.as_str() {
                "get" => app.client.get(&url),
                "post"
                    if (path.starts_with("/api/v1/knowledge-bases/")
                        || path.starts_with("/api/v1/contact-lists/"))
                        && path.ends_with("/import") =>
                {
                    app.client
                        .post(&url)
                        .header("content-type", "text/csv")
                        .body("问题,答案\n机密问题,stolen\n")
                }
                "post" => app.client.post(&url).json(&body(path, &secrets)),
                "put" => app
                    .client
                    .put(&url)
                    .header("if-match", "\"1\"")
                    .json(&body(path, &secrets)),
                "delete" => app.client.delete(&url),
                "patch" => app.client.patch(&url).json(&body(path, &secrets)),
                other => panic!("unexpected method {other} for {path}"),
            };
            let response = request
                .bearer_auth(&b.owner_key)
                .header("origin", "https://shop.example")
                .header("x-callflow-visitor", &visitor.token)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let text = response.text().await.expect("body");
            for secret in [
                &secrets.flow_id,
                &secrets.flow_name,
                &secrets.session_id,
                &secrets.call_id,
                &secrets.key_id,
                &secrets.knowledge_key,
                &secrets.entry_id,
                &secrets.channel_id,
                &secrets.channel_key,
                &secrets.widget_conversation,
                &secrets.contact_list_id,
                &secrets.contact_id,
                &secrets.campaign_id,
            ] {
                assert!(
                    !text.contains(secret.as_str()),
                    "{method} {path} leaked {secret}: {text}"
                );
            }
            // Tenant B's own channel (its settings, a conversation of its own, which its draft
            // flow refuses) holds nothing of tenant A's.
            let own_channel = matches!(
                path.as_str(),
                "/widget/v1/channels/{key}" | "/widget/v1/channels/{key}/conversations"
            );
            let has_object = (path.contains('{') && !own_channel) || path == "/api/v1/sessions";
            if path == "/api/v1/queues/{key}" {
                // Queues are named by key within a tenant: tenant B writes or deletes its own
                // queue of that name (checked below to leave tenant A's alone).
                assert!(status < 500, "{method} {path} answered {status}: {text}");
            } else if path.starts_with("/api/v1/phone-numbers/") && method == "put" {
                // A number belongs to one tenant across the server: binding another's is
                // refused as a conflict, and with its flow as a flow the tenant does not have.
                assert!(
                    matches!(status, 409 | 422),
                    "{method} {path} answered {status}: {text}"
                );
            } else if has_object {
                assert!(
                    matches!(status, 403 | 404),
                    "{method} {path} answered {status}: {text}"
                );
            } else {
                assert!(status < 500, "{method} {path} answered {status}: {text}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} operations are documented");
    // Tenant A still has everything.
    let flow = app
        .client
        .get(app.url(&format!("/api/v1/flows/{}", secrets.flow_id)))
        .bearer_auth(&a.owner_key)
        .send()
        .await
        .expect("get");
    assert_eq!(flow.status(), 200, "the other tenant changed nothing");
    let (_, queues) = app
        .api(reqwest::Method::GET, &a.owner_key, "/queues", None)
        .await;
    let names: Vec<&str> = queues
        .as_array()
        .expect("queues")
        .iter()
        .map(|q| q["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        vec!["机密队列", "机密队列"],
        "tenant A's queues are untouched"
    );
    let (_, open) = app
        .api(reqwest::Method::GET, &a.owner_key, "/handoffs", None)
        .await;
    assert_eq!(
        open[0]["state"], "waiting",
        "tenant A's handoff is untouched: {open}"
    );
    let (_, campaign) = app
        .api(
            reqwest::Method::GET,
            &a.owner_key,
            &format!("/campaigns/{}", secrets.campaign_id),
            None,
        )
        .await;
    assert_eq!(
        (campaign["name"].as_str(), campaign["status"].as_str()),
        (Some("机密活动"), Some("draft")),
        "tenant A's campaign is untouched: {campaign}"
    );
    app
}

on_both_databases!(another_tenant_reaches_nothing);
