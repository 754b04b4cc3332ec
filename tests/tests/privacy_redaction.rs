//! Privacy by default, on SQLite and PostgreSQL: a chat where the customer gives a phone
//! number, an ID number and a bank card leaves none of them in any stored row (call events,
//! the call record, the conversation's snapshot, analytics), while the flow itself used the
//! real values (the bot said them back); a variable the flow marks sensitive is `***`
//! whatever the policy; with the tenant's policy off the rest are kept.

use callflow_tests::app::TestApp;
use callflow_tests::on_both_databases;
use flow_engine::redact::Policy;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::{Connection, Row};

const PHONE: &str = "13812345678";
const ID_NUMBER: &str = "11010519491231002X";
const CARD: &str = "6222021234567890128";

/// Asks for a phone number, an ID number (marked sensitive) and a card, says them back, ends.
fn flow() -> Value {
    let ask = |id: &str, prompt: &str, var: &str, next: &str| {
        json!({ "id": id, "type": "ask", "prompt": prompt, "save_as": var, "next": next,
                "no_match": { "next": next }, "no_input": { "next": next } })
    };
    json!({
        "schema": 1, "name": "退货登记", "language": "zh-CN", "start": "phone",
        "settings": { "sensitive": ["id_card"] },
        "nodes": [
            ask("phone", "请说您的手机号", "phone", "repeat"),
            { "id": "repeat", "type": "say", "text": "您的手机号是{{vars.phone}}", "next": "id" },
            ask("id", "请说身份证号", "id_card", "card"),
            ask("card", "请说退款的银行卡号", "card", "confirm"),
            { "id": "confirm", "type": "say",
              "text": "好的，身份证{{vars.id_card}}，退款到{{vars.card}}", "next": "bye" },
            { "id": "bye", "type": "end", "outcome": "resolved" }
        ]
    })
}

/// Has the chat, checks the bot used the real values, and answers the call's id.
async fn chat(app: &TestApp, key: &str, flow_id: &str) -> String {
    let (status, session) = app
        .api(
            Method::POST,
            key,
            "/sessions",
            Some(&json!({ "flow_id": flow_id })),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let id = session["id"].as_str().expect("session id").to_owned();
    let mut said = String::new();
    for answer in [
        format!("我的手机是{PHONE}"),
        ID_NUMBER.to_owned(),
        format!("卡号{CARD}"),
    ] {
        let event = json!({ "type": "text", "text": answer });
        let (status, turn) = app
            .api(
                Method::POST,
                key,
                &format!("/sessions/{id}/events"),
                Some(&event),
            )
            .await;
        assert_eq!(status, 200, "{turn}");
        for message in turn["messages"].as_array().expect("messages") {
            said.push_str(message["text"].as_str().unwrap_or_default());
        }
        if answer.contains(CARD) {
            assert_eq!(turn["outcome"], "resolved", "{turn}");
        }
    }
    // The live call had every value.
    for value in [PHONE, ID_NUMBER, CARD] {
        assert!(said.contains(value), "the bot did not say {value}: {said}");
    }
    session["call_id"].as_str().expect("call id").to_owned()
}

/// Every text of every stored row of the tenant's conversations, calls and what was derived
/// from them.
async fn stored_text(app: &TestApp, tenant_id: &str) -> String {
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(&app.config.database_url)
        .await
        .expect("a connection");
    let mut text = String::new();
    let tables = [
        "conversations",
        "call_events",
        "handoffs",
        "analytics_unheard",
        "analytics_unheard_texts",
        "analytics_results",
    ];
    for table in tables {
        let rows = sqlx::query(&format!("SELECT * FROM {table} WHERE tenant_id = $1"))
            .bind(tenant_id)
            .fetch_all(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        for row in rows {
            for i in 0..row.len() {
                if let Ok(Some(value)) = row.try_get::<Option<String>, _>(i) {
                    text.push_str(&value);
                    text.push('\n');
                }
            }
        }
    }
    let _ = connection.close().await;
    text
}

async fn summary_vars(app: &TestApp, key: &str, call_id: &str) -> Value {
    let (status, call) = app
        .api(Method::GET, key, &format!("/calls/{call_id}"), None)
        .await;
    assert_eq!(status, 200, "{call}");
    call["summary"]["vars"].clone()
}

async fn personal_data_is_kept_out_of_every_record(app: TestApp) -> TestApp {
    let tenant = app.tenant("Privacy").await;
    let (flow, _) = app.published_flow(&tenant.id, "退货登记", &flow()).await;
    let call_id = chat(&app, &tenant.owner_key, &flow.id).await;

    let stored = stored_text(&app, &tenant.id).await;
    assert!(stored.contains(&call_id), "the rows were read");
    for value in [PHONE, ID_NUMBER, CARD, "0212 3456"] {
        assert!(!stored.contains(value), "{value} is stored:\n{stored}");
    }
    assert!(stored.contains("[手机号]"), "{stored}");
    assert!(stored.contains("[银行卡号]"), "{stored}");
    let vars = summary_vars(&app, &tenant.owner_key, &call_id).await;
    assert_eq!(vars["phone"], "我的手机是[手机号]");
    assert_eq!(vars["id_card"], "***");
    assert_eq!(vars["card"], "卡号[银行卡号]");
    app
}

async fn a_tenant_that_turns_redaction_off_keeps_the_values(app: TestApp) -> TestApp {
    let tenant = app.tenant("Kept").await;
    app.change_settings(&tenant.id, |settings| settings.redaction = Policy::off())
        .await;
    let (flow, _) = app.published_flow(&tenant.id, "退货登记", &flow()).await;
    let call_id = chat(&app, &tenant.owner_key, &flow.id).await;

    let stored = stored_text(&app, &tenant.id).await;
    assert!(stored.contains(PHONE), "{stored}");
    assert!(stored.contains(CARD), "{stored}");
    // A variable the flow marks sensitive is the flow's choice, not the policy's.
    assert!(!stored.contains(ID_NUMBER), "{stored}");
    let vars = summary_vars(&app, &tenant.owner_key, &call_id).await;
    assert_eq!(vars["phone"], format!("我的手机是{PHONE}"));
    assert_eq!(vars["id_card"], "***");
    app
}

on_both_databases!(
    personal_data_is_kept_out_of_every_record,
    a_tenant_that_turns_redaction_off_keeps_the_values,
);
