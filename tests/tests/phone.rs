//! Phone calls end to end, on SQLite and PostgreSQL: the real server, a fake Twilio that signs
//! its webhooks and follows the TwiML it gets (and acts as the REST API for outbound calls), a
//! media-stream client replaying real call audio, a fake Deepgram, and espeak-ng for prompts.

use std::time::Duration;

use callflow_tests::app::{TestApp, TestTenant};
use callflow_tests::fakes::deepgram::FakeDeepgram;
use callflow_tests::fakes::media::{replay_fixture_audio, MediaStep, ScriptedSpeech};
use callflow_tests::fakes::twilio::{
    sign, Answer, CallLog, Caller, EndReason, FakeTwilio, Heard, Step,
};
use callflow_tests::on_both_databases;
use callflow_tests::phone_shop::{PhoneShop, ACCOUNT_SID, AUTH_TOKEN, SHOP_NUMBER};
use reqwest::Method;
use serde_json::{json, Value};
use server::store::{ChatTurn, Role};

const CALLER: &str = "+8613900001111";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

async fn request(
    app: &TestApp,
    method: Method,
    key: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    app.api(method, key, path, body).await
}

fn example(file: &str) -> Value {
    if file == SHORT {
        return short_flow();
    }
    let path = callflow_tests::root().join("flows").join(file);
    serde_json::from_str(&std::fs::read_to_string(path).expect("example flow")).expect("JSON")
}

/// A flow with short prompts and a short no-input timeout, for media-stream tests at real time.
const SHORT: &str = "short";

fn short_flow() -> Value {
    json!({
        "schema": 1,
        "name": "short",
        "language": "zh-CN",
        "start": "hello",
        "variables": { "answer": "" },
        "settings": { "no_input_timeout_ms": 1500, "voice": "aura:aura-2-luna-zh" },
        "nodes": [
            { "id": "hello", "type": "say", "text": "您好", "next": "ask" },
            { "id": "ask", "type": "ask", "prompt": "请讲", "save_as": "answer", "next": "bye",
              "no_match": { "max": 0, "next": "bye" },
              "no_input": { "prompts": ["请再说一遍"], "max": 1, "next": "bye" } },
            { "id": "bye", "type": "say", "text": "再见", "next": "end" },
            { "id": "end", "type": "end", "outcome": "resolved" }
        ]
    })
}

/// A shop tenant with the example flow published, the fake Twilio account set, and a number
/// bound to the flow in `mode`.
struct Phone {
    tenant: TestTenant,
    flow_id: String,
    twilio: FakeTwilio,
}

impl Phone {
    fn voice_url(&self, app: &TestApp) -> String {
        app.url("/twilio/voice")
    }

    fn status_url(&self, app: &TestApp) -> String {
        app.url("/twilio/status")
    }

    /// A call from [`CALLER`] to the shop's number, with the status callback at its end.
    async fn ring(&self, app: &TestApp, caller: Caller) -> CallLog {
        self.twilio
            .inbound_call_with_status(
                &self.voice_url(app),
                CALLER,
                SHOP_NUMBER,
                caller,
                &self.status_url(app),
            )
            .await
    }
}

async fn shop(app: &mut TestApp, flow: &str, mode: &str, deepgram: Option<&FakeDeepgram>) -> Phone {
    // Webhook mode speaks with Twilio's voices, media streams with espeak-ng.
    let tts = if mode == "webhook" {
        "twilio"
    } else {
        "espeak"
    };
    let mut telephony = json!({
        "speech": { "asr": { "provider": "deepgram", "fallback": "twilio" },
                    "tts": { "provider": tts } }
    });
    if let Some(deepgram) = deepgram {
        telephony["deepgram"] = json!({ "api_key": deepgram.api_key() });
    }
    let deepgram_url = deepgram.map(FakeDeepgram::base_url);
    let PhoneShop {
        tenant,
        flow_id,
        twilio,
    } = PhoneShop::open(
        app,
        "Phone Shop",
        &example(flow),
        mode,
        telephony,
        |config| {
            if let Some(url) = deepgram_url {
                config.telephony.deepgram_url = url;
            }
        },
    )
    .await;
    Phone {
        tenant,
        flow_id,
        twilio,
    }
}

/// Changes the shop's speech settings (the Twilio and Deepgram keys stay).
async fn set_speech(app: &TestApp, phone: &Phone, speech: Value) {
    let (status, body) = request(
        app,
        Method::PUT,
        &phone.tenant.owner_key,
        "/telephony",
        Some(&json!({
            "twilio": { "account_sid": ACCOUNT_SID },
            "deepgram": {},
            "speech": speech
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn calls(app: &TestApp, key: &str) -> Vec<Value> {
    let (status, body) = request(app, Method::GET, key, "/calls?channel=phone", None).await;
    assert_eq!(status, 200, "{body}");
    body["calls"].as_array().cloned().unwrap_or_default()
}

async fn call_detail(app: &TestApp, key: &str, id: &str) -> Value {
    let (status, body) = request(app, Method::GET, key, &format!("/calls/{id}"), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The one phone call of the tenant, with its events.
async fn only_call(app: &TestApp, key: &str) -> Value {
    let list = calls(app, key).await;
    assert_eq!(list.len(), 1, "{list:?}");
    call_detail(app, key, list[0]["id"].as_str().expect("id")).await
}

fn event_kinds(call: &Value) -> Vec<String> {
    call["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|event| event["kind"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn events_of_kind<'a>(call: &'a Value, kind: &str) -> Vec<&'a Value> {
    call["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter(|event| event["kind"] == kind)
                .collect()
        })
        .unwrap_or_default()
}

fn said_contains(said: &[&str], needle: &str) -> bool {
    said.iter().any(|line| line.contains(needle))
}

/// Waits until the call record has ended (status callbacks and stream saves are asynchronous
/// to the fake's view).
async fn ended_call(app: &TestApp, key: &str) -> Value {
    for _ in 0..100 {
        let list = calls(app, key).await;
        if let Some(call) = list.first() {
            if !call["ended_at"].is_null() && !call["carrier_status"].is_null() {
                return call_detail(app, key, call["id"].as_str().expect("id")).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the call did not end: {:?}", calls(app, key).await);
}

/// The calls and their events, for a failure message.
async fn calls_debug(app: &TestApp, key: &str) -> String {
    let mut text = String::new();
    for call in calls(app, key).await {
        let detail = call_detail(app, key, call["id"].as_str().unwrap_or_default()).await;
        text.push_str(&format!("{} {}\n", call["outcome"], call["carrier_status"]));
        for event in detail["events"].as_array().cloned().unwrap_or_default() {
            text.push_str(&format!(
                "  {} {} {}\n",
                event["kind"], event["node"], event["data"]
            ));
        }
    }
    text
}

/// Waits until the call has ended and the carrier's status is in.
async fn ended_call_by_id(app: &TestApp, key: &str, id: &str) -> Value {
    for _ in 0..100 {
        let call = call_detail(app, key, id).await;
        if !call["ended_at"].is_null() && !call["carrier_status"].is_null() {
            return call;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the call did not end: {}", call_detail(app, key, id).await);
}

// ---------------------------------------------------------------------------------------------
// Settings and numbers
// ---------------------------------------------------------------------------------------------

async fn settings_keep_secrets_sealed(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "order-status.json", "webhook", None).await;
    let key = &phone.tenant.owner_key;
    let (status, body) = request(&app, Method::GET, key, "/telephony", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["twilio"]["account_sid"], ACCOUNT_SID);
    assert_eq!(body["twilio"]["auth_token_set"], true);
    assert!(!body.to_string().contains(AUTH_TOKEN), "{body}");
    // At rest the token is sealed, not written out.
    let (stored, _) = app
        .store
        .get_telephony_settings(&phone.tenant.id)
        .await
        .expect("read")
        .expect("stored");
    assert!(!stored.to_string().contains(AUTH_TOKEN), "{stored}");
    // Leaving the token out keeps it; a new account needs its own.
    let (status, _) = request(
        &app,
        Method::PUT,
        key,
        "/telephony",
        Some(&json!({ "twilio": { "account_sid": ACCOUNT_SID } })),
    )
    .await;
    assert_eq!(status, 200);
    let telephony = server::telephony::load(&app.store, &secret_box(&app), &phone.tenant.id)
        .await
        .expect("load");
    assert_eq!(
        telephony
            .twilio
            .map(|account| account.auth_token)
            .as_deref(),
        Some(AUTH_TOKEN)
    );
    let (status, body) = request(
        &app,
        Method::PUT,
        key,
        "/telephony",
        Some(&json!({
            "twilio": { "account_sid": "AC1111111111111111111111111111111x" },
            "speech": { "asr": { "fallback": "handoff" } }
        })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "invalid_settings");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|error| error["field"].as_str())
        .collect();
    assert!(fields.contains(&"/twilio/account_sid"), "{fields:?}");
    assert!(fields.contains(&"/twilio/auth_token"), "{fields:?}");
    assert!(
        fields.contains(&"/speech/asr/fallback_handoff"),
        "{fields:?}"
    );
    // Only owners manage telephony.
    let editor = app.key(&phone.tenant.id, Role::Editor).await;
    let (status, _) = request(&app, Method::GET, &editor, "/telephony", None).await;
    assert_eq!(status, 403);
    app
}

fn secret_box(app: &TestApp) -> server::secrets::SecretBox {
    server::secrets::SecretBox::configured(
        app.config.telephony.secret_key.as_deref(),
        &app.config.data_dir,
    )
    .expect("the server's key")
}

async fn numbers_bind_to_one_tenant(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "order-status.json", "webhook", None).await;
    let key = &phone.tenant.owner_key;
    let (status, body) = request(&app, Method::GET, key, "/phone-numbers", None).await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["number"], SHOP_NUMBER);
    assert_eq!(body[0]["flow_id"], phone.flow_id.as_str());
    assert_eq!(body[0]["voice_url"], app.url("/twilio/voice"));
    let (status, body) = request(
        &app,
        Method::PUT,
        key,
        "/phone-numbers/0571-8888",
        Some(&json!({ "flow_id": phone.flow_id })),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_number"))
    );
    let (status, body) = request(
        &app,
        Method::PUT,
        key,
        "/phone-numbers/%2B8657188880001",
        Some(&json!({ "flow_id": "flw_missing" })),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("flow_not_found"))
    );
    let (status, body) = request(
        &app,
        Method::PUT,
        key,
        "/phone-numbers/%2B8657188880001",
        Some(&json!({ "flow_id": phone.flow_id, "mode": "sip" })),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_mode")));
    // Another tenant's number answers like any number: nothing says the shop has it. The other
    // tenant neither sees nor changes the shop's binding, only its own.
    let other = app.tenant("Other Shop").await;
    let (other_flow, _) = app
        .published_flow(&other.id, "x", &example("order-status.json"))
        .await;
    let path = format!("/phone-numbers/{}", SHOP_NUMBER.replace('+', "%2B"));
    let (status, _) = request(&app, Method::GET, &other.owner_key, &path, None).await;
    assert_eq!(status, 404);
    let (status, _) = request(&app, Method::DELETE, &other.owner_key, &path, None).await;
    assert_eq!(status, 404);
    let (status, body) = request(
        &app,
        Method::PUT,
        &other.owner_key,
        &path,
        Some(&json!({ "flow_id": other_flow.id })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["flow_id"], other_flow.id.as_str());
    let (status, _) = request(&app, Method::DELETE, &other.owner_key, &path, None).await;
    assert_eq!(status, 204);
    let (status, body) = request(&app, Method::GET, key, &path, None).await;
    assert_eq!(status, 200, "the shop's binding stays: {body}");
    assert_eq!(body["flow_id"], phone.flow_id.as_str());
    let (status, _) = request(&app, Method::DELETE, key, &path, None).await;
    assert_eq!(status, 204);
    let (_, body) = request(&app, Method::GET, key, "/phone-numbers", None).await;
    assert_eq!(body, json!([]));
    app
}

// ---------------------------------------------------------------------------------------------
// Webhook mode
// ---------------------------------------------------------------------------------------------

async fn order_status_by_webhook(mut app: TestApp) -> TestApp {
    // Another shop bound the same number first, with a carrier account of its own: the call is
    // still this shop's, whose account signs it.
    let other = app.tenant("Earlier Shop").await;
    let (other_flow, _) = app
        .published_flow(&other.id, "survey", &example("satisfaction-survey.json"))
        .await;
    let account = json!({ "twilio": { "account_sid": "AC99999999999999999999999999999999",
                                      "auth_token": "0123456789abcdef0123456789abcdef" } });
    let (status, body) = request(
        &app,
        Method::PUT,
        &other.owner_key,
        "/telephony",
        Some(&account),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let path = format!("/phone-numbers/{}", SHOP_NUMBER.replace('+', "%2B"));
    let binding = json!({ "flow_id": other_flow.id, "mode": "webhook" });
    let (status, body) = request(&app, Method::PUT, &other.owner_key, &path, Some(&binding)).await;
    assert_eq!(status, 200, "{body}");
    let phone = shop(&mut app, "order-status.json", "webhook", None).await;
    let caller = Caller::new(vec![
        Step::Say("我的快递到哪了".into()),
        Step::Press("2024061801".into()),
        Step::Say("没有了".into()),
    ]);
    let log = phone.ring(&app, caller).await;
    let said = log.said();
    assert!(said_contains(&said, "欢迎致电演示商城"), "{said:?}");
    assert!(said_contains(&said, "顺丰速运"), "{said:?}");
    assert_eq!(log.ended, EndReason::Hangup, "{log:?}");
    // Prompts before a listen are inside its Gather, in Chinese with a Chinese voice.
    assert!(log.heard.iter().any(|heard| matches!(heard,
        Heard::Say { in_gather: true, language: Some(language), voice: Some(_), .. } if language == "zh-CN")));
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(call["channel"], "phone");
    assert_eq!(call["direction"], "inbound");
    assert_eq!(call["from"], CALLER);
    assert_eq!(call["to"], SHOP_NUMBER);
    assert_eq!(call["call_sid"], log.call_sid.as_str());
    assert_eq!(call["outcome"], "resolved");
    assert_eq!(call["carrier_status"], "completed");
    assert!(call["carrier_duration_ms"].is_i64(), "{call}");
    assert!(call["duration_ms"].is_i64(), "{call}");
    assert_eq!(call["summary"]["vars"]["order_id"], "2024061801");
    let kinds = event_kinds(&call);
    for kind in [
        "node_entered",
        "said",
        "heard",
        "digits",
        "http_result",
        "ended",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} missing from {kinds:?}"
        );
    }
    app
}

/// What a caller says on the phone is kept as what they say in a chat: a mobile number spoken
/// into the call is `[手机号]` in the stored events and variables, while the caller's own number
/// (`from`, how the call and a data-subject request find them) is kept.
async fn numbers_spoken_on_a_call_are_not_kept(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, SHORT, "webhook", None).await;
    let spoken = "我的手机号是13812345678";
    let log = phone
        .ring(&app, Caller::new(vec![Step::Say(spoken.into())]))
        .await;
    assert_eq!(log.ended, EndReason::Hangup, "{log:?}");
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(call["outcome"], "resolved", "{call}");
    assert_eq!(call["from"], CALLER);
    assert_eq!(
        call["summary"]["vars"]["answer"], "我的手机号是[手机号]",
        "{call}"
    );
    let heard = events_of_kind(&call, "heard");
    assert_eq!(heard.len(), 1, "{:?} {call}", event_kinds(&call));
    assert_eq!(heard[0]["data"]["text"], "我的手机号是[手机号]", "{call}");
    let record = call.to_string();
    assert!(!record.contains("13812345678"), "{record}");
    app
}

async fn handoff_by_webhook(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "order-status.json", "webhook", None).await;
    // With the queues the example flows name, agents see the queued call in their console.
    server::demo::first_run::seed_queues(&app.store, &phone.tenant.id)
        .await
        .expect("queues");
    let caller = Caller::new(vec![
        Step::Say("我的快递到哪了".into()),
        Step::Press("2024061801".into()),
        Step::Say("转人工".into()),
        Step::Transfer("bridged".into()),
    ]);
    let log = phone.ring(&app, caller).await;
    assert_eq!(log.dialed.len(), 1, "{log:?}");
    assert_eq!(log.dialed[0].verb, "Enqueue");
    assert_eq!(log.dialed[0].targets[0].target, "orders");
    assert_eq!(log.dialed[0].outcome, "bridged");
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(call["outcome"], "handoff", "{call}");
    assert_eq!(call["summary"]["transfer"]["type"], "queue");
    assert_eq!(call["summary"]["transfer"]["target"], "orders");
    let summary = call["summary"]["transfer"]["summary"]
        .as_str()
        .unwrap_or_default();
    assert!(summary.contains("2024061801"), "{summary}");
    assert_eq!(call["summary"]["vars"]["carrier"], "顺丰速运");
    // Listed for the orders queue's agents while it waited, and over once Twilio bridged it.
    let call_id = call["id"].as_str().expect("call id");
    let handoffs = app
        .store
        .handoffs_of_call(&phone.tenant.id, call_id)
        .await
        .expect("handoffs");
    assert_eq!(handoffs.len(), 1, "{handoffs:?}");
    assert_eq!(handoffs[0].channel, "phone");
    assert_eq!(handoffs[0].queue, "orders");
    assert_eq!(handoffs[0].state, server::store::HandoffState::Done);
    assert_eq!(handoffs[0].disposition.as_deref(), Some("bridged"));
    assert!(handoffs[0].summary.contains("2024061801"), "{handoffs:?}");
    app
}

async fn forged_signatures_are_refused(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "order-status.json", "webhook", None).await;
    let url = phone.voice_url(&app);
    let params = vec![
        ("AccountSid".to_owned(), ACCOUNT_SID.to_owned()),
        ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
        (
            "CallSid".to_owned(),
            "CA00000000000000000000000000000001".to_owned(),
        ),
        ("CallStatus".to_owned(), "ringing".to_owned()),
        ("Direction".to_owned(), "inbound".to_owned()),
        ("From".to_owned(), CALLER.to_owned()),
        ("To".to_owned(), SHOP_NUMBER.to_owned()),
    ];
    for signature in [
        sign("0000000000000000000000000000dead", &url, &params),
        String::new(),
        sign(AUTH_TOKEN, &format!("{url}?x=1"), &params),
    ] {
        let response = app
            .client
            .post(&url)
            .header("X-Twilio-Signature", signature)
            .form(&params)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status().as_u16(), 403);
    }
    // A changed parameter breaks a signature that was good.
    let good = sign(AUTH_TOKEN, &url, &params);
    let mut changed = params.clone();
    changed[5].1 = "+8613900002222".into();
    let response = app
        .client
        .post(&url)
        .header("X-Twilio-Signature", &good)
        .form(&changed)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 403);
    let problem: Value = response.json().await.expect("problem+json");
    assert_eq!(problem["code"], "invalid_signature");
    assert!(calls(&app, &phone.tenant.owner_key).await.is_empty());
    // The WebSocket refuses a forged upgrade too.
    let ws_url = app
        .url(&format!("/twilio/stream/{}", phone.tenant.id))
        .replace("http://", "ws://");
    let mut forged =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            ws_url.as_str(),
        )
        .expect("request");
    forged.headers_mut().insert(
        "x-twilio-signature",
        sign("0000000000000000000000000000dead", &ws_url, &[])
            .parse()
            .expect("header"),
    );
    assert!(tokio_tungstenite::connect_async(forged).await.is_err());
    // The good signature passes.
    let response = app
        .client
        .post(&url)
        .header("X-Twilio-Signature", &good)
        .form(&params)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(calls(&app, &phone.tenant.owner_key).await.len(), 1);
    app
}

/// Posts `params` as a webhook with `signature`: the status and the body.
async fn post_webhook(
    app: &TestApp,
    url: &str,
    signature: &str,
    params: &[(String, String)],
) -> (u16, String) {
    let response = app
        .client
        .post(url)
        .header("X-Twilio-Signature", signature)
        .form(params)
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The HTTP status a media-stream handshake to `url` signed with `signature` is answered with.
async fn handshake_status(url: &str, signature: &str) -> u16 {
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .expect("request");
    request
        .headers_mut()
        .insert("x-twilio-signature", signature.parse().expect("header"));
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(error) => panic!("the handshake failed without an answer: {error}"),
    }
}

async fn every_twilio_route_checks_the_signature(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "order-status.json", "webhook", None).await;
    let forged = "0000000000000000000000000000dead";
    let params = vec![
        ("AccountSid".to_owned(), ACCOUNT_SID.to_owned()),
        (
            "CallSid".to_owned(),
            "CA00000000000000000000000000000003".to_owned(),
        ),
        ("CallStatus".to_owned(), "completed".to_owned()),
        ("Direction".to_owned(), "inbound".to_owned()),
        ("From".to_owned(), CALLER.to_owned()),
        ("To".to_owned(), SHOP_NUMBER.to_owned()),
    ];
    // A status callback for the shop's number, signed by another account.
    let status_url = phone.status_url(&app);
    let (status, body) = post_webhook(
        &app,
        &status_url,
        &sign(forged, &status_url, &params),
        &params,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let problem: Value = serde_json::from_str(&body).expect("problem+json");
    assert_eq!(problem["code"], "invalid_signature");
    // One for a number nobody has is acknowledged and dropped, signed or not.
    let mut elsewhere = params.clone();
    elsewhere[5].1 = "+8657100000009".into();
    let (status, _) = post_webhook(&app, &status_url, "", &elsewhere).await;
    assert_eq!(status, 204);
    // A call's own webhooks: the tenant comes from the path.
    let step_url = app.url(&format!(
        "/twilio/calls/{}/ses_unknown/gather?turn=1",
        phone.tenant.id
    ));
    let (status, body) =
        post_webhook(&app, &step_url, &sign(forged, &step_url, &params), &params).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = post_webhook(
        &app,
        &step_url,
        &sign(AUTH_TOKEN, &step_url, &params),
        &params,
    )
    .await;
    assert_eq!(
        status, 200,
        "signed by the account, for a call it does not have"
    );
    assert!(body.contains("not in service"), "{body}");
    // A body that is no voice webhook is refused before anything else.
    let voice_url = phone.voice_url(&app);
    let no_call = &params[2..];
    let (status, body) = post_webhook(
        &app,
        &voice_url,
        &sign(AUTH_TOKEN, &voice_url, no_call),
        no_call,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let problem: Value = serde_json::from_str(&body).expect("problem+json");
    assert_eq!(problem["code"], "invalid_webhook");
    // The media-stream handshake is signed over its ws:// URL, for the tenant in its path.
    let ws_url = app
        .url(&format!("/twilio/stream/{}", phone.tenant.id))
        .replace("http://", "ws://");
    let http_url = ws_url.replace("ws://", "http://");
    assert_eq!(
        handshake_status(&ws_url, &sign(AUTH_TOKEN, &http_url, &[])).await,
        403
    );
    let other = app.tenant("No Twilio").await;
    let other_url = app
        .url(&format!("/twilio/stream/{}", other.id))
        .replace("http://", "ws://");
    assert_eq!(
        handshake_status(&other_url, &sign(AUTH_TOKEN, &other_url, &[])).await,
        403,
        "a tenant without a Twilio account"
    );
    assert!(calls(&app, &phone.tenant.owner_key).await.is_empty());
    app
}

/// Posts a signed webhook as Twilio would and returns the TwiML.
async fn post_signed(app: &TestApp, url: &str, params: &[(String, String)]) -> String {
    let response = app
        .client
        .post(url)
        .header("X-Twilio-Signature", sign(AUTH_TOKEN, url, params))
        .form(params)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.expect("body")
}

fn gather_action(twiml: &str) -> String {
    let document = roxmltree::Document::parse(twiml).expect("TwiML");
    document
        .descendants()
        .find(|node| node.has_tag_name("Gather"))
        .and_then(|gather| gather.attribute("action"))
        .unwrap_or_else(|| panic!("no Gather in {twiml}"))
        .to_owned()
}

async fn retried_webhooks_do_not_advance_twice(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "order-status.json", "webhook", None).await;
    let key = &phone.tenant.owner_key;
    let url = phone.voice_url(&app);
    let call_sid = "CA00000000000000000000000000000002";
    let base = vec![
        ("AccountSid".to_owned(), ACCOUNT_SID.to_owned()),
        ("CallSid".to_owned(), call_sid.to_owned()),
        ("CallStatus".to_owned(), "in-progress".to_owned()),
        ("Direction".to_owned(), "inbound".to_owned()),
        ("From".to_owned(), CALLER.to_owned()),
        ("To".to_owned(), SHOP_NUMBER.to_owned()),
    ];
    let first = post_signed(&app, &url, &base).await;
    let again = post_signed(&app, &url, &base).await;
    assert_eq!(first, again, "a retried incoming call starts nothing new");
    assert_eq!(calls(&app, key).await.len(), 1);
    let action = gather_action(&first);
    let mut said = base.clone();
    said.push(("SpeechResult".to_owned(), "我的快递到哪了".to_owned()));
    said.push(("Confidence".to_owned(), "0.9".to_owned()));
    let answer = post_signed(&app, &action, &said).await;
    assert!(answer.contains("订单号"), "{answer}");
    let before = only_call(&app, key).await;
    let retried = post_signed(&app, &action, &said).await;
    assert_eq!(answer, retried, "a retried gather gets the same answer");
    let after = only_call(&app, key).await;
    assert_eq!(
        before["events"], after["events"],
        "and the flow did not move"
    );
    // The next step goes on from where the first answer left it.
    let next = gather_action(&answer);
    assert_ne!(next, action);
    let mut digits = base.clone();
    digits.push(("Digits".to_owned(), "2024061801".to_owned()));
    let answer = post_signed(&app, &next, &digits).await;
    assert!(answer.contains("顺丰速运"), "{answer}");
    app
}

async fn unknown_numbers_get_a_polite_goodbye(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "order-status.json", "webhook", None).await;
    let log = phone
        .twilio
        .inbound_call(
            &phone.voice_url(&app),
            CALLER,
            "+8657100000009",
            Caller::default(),
        )
        .await;
    assert_eq!(log.ended, EndReason::Hangup, "{log:?}");
    assert!(said_contains(&log.said(), "暂未开通"), "{:?}", log.said());
    assert!(
        said_contains(&log.said(), "not in service"),
        "{:?}",
        log.said()
    );
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("callflow_unknown_number_calls_total 1"),
        "{metrics}"
    );
    app
}

async fn calls_over_the_quota_hear_the_lines_are_busy(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "order-status.json", "webhook", None).await;
    let key = &phone.tenant.owner_key;
    app.change_settings(&phone.tenant.id, |settings| {
        settings.quotas.concurrent_calls = Some(1);
    })
    .await;
    // One call in progress, under the limit: answered by the flow, and left open.
    let url = phone.voice_url(&app);
    let first = vec![
        ("AccountSid".to_owned(), ACCOUNT_SID.to_owned()),
        (
            "CallSid".to_owned(),
            "CA00000000000000000000000000000003".to_owned(),
        ),
        ("CallStatus".to_owned(), "in-progress".to_owned()),
        ("Direction".to_owned(), "inbound".to_owned()),
        ("From".to_owned(), CALLER.to_owned()),
        ("To".to_owned(), SHOP_NUMBER.to_owned()),
    ];
    let answered = post_signed(&app, &url, &first).await;
    assert!(answered.contains("<Gather"), "{answered}");
    // The next caller hears one sentence in the flow's language, and the call ends.
    let log = phone
        .twilio
        .inbound_call(&url, "+8613900002222", SHOP_NUMBER, Caller::default())
        .await;
    assert_eq!(log.ended, EndReason::Hangup, "{log:?}");
    assert_eq!(log.said(), vec!["抱歉，现在来电较多，请稍后再拨。"]);
    assert_eq!(
        calls(&app, key).await.len(),
        1,
        "a refused call is no conversation"
    );
    // An outbound call is refused before it rings.
    let (status, body) = request(
        &app,
        Method::POST,
        key,
        "/calls",
        Some(&json!({ "to": "+8613800138000", "flow_id": phone.flow_id })),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "quota_exceeded");
    assert_eq!(calls(&app, key).await.len(), 1);
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("callflow_quota_refusals_total{quota=\"concurrent_calls\"} 2"),
        "{metrics}"
    );
    app
}

// ---------------------------------------------------------------------------------------------
// Outbound calls
// ---------------------------------------------------------------------------------------------

async fn outbound_survey_records_its_score(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "satisfaction-survey.json", "webhook", None).await;
    let key = &phone.tenant.owner_key;
    let customer = "+8613800138000";
    phone.twilio.on_outbound(
        customer,
        Answer::Human(Caller::new(vec![
            Step::Say("十分".into()),
            Step::Say("物流很快，包装也很好".into()),
        ])),
    );
    let (status, body) = request(
        &app,
        Method::POST,
        key,
        "/calls",
        Some(&json!({
            "to": customer,
            "flow_id": phone.flow_id,
            "variables": { "customer_name": "陈女士", "order_id": "2024061803" },
            "machine_detection": true
        })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let call_id = body["call_id"].as_str().expect("call id").to_owned();
    let placed = phone
        .twilio
        .wait_outbound(customer, Duration::from_secs(30))
        .await
        .expect("the call finished");
    assert_eq!(placed.param("From"), Some(SHOP_NUMBER));
    assert_eq!(placed.param("MachineDetection"), Some("Enable"));
    let log = placed.log.expect("log");
    assert!(said_contains(&log.said(), "陈女士您好"), "{:?}", log.said());
    let call = ended_call_by_id(&app, key, &call_id).await;
    assert_eq!(call["direction"], "outbound");
    assert_eq!(call["outcome"], "resolved", "{call}");
    assert_eq!(call["summary"]["vars"]["score"], 10);
    assert_eq!(call["summary"]["vars"]["liked"], "物流很快，包装也很好");
    assert_eq!(call["answered_by"], "human");
    assert_eq!(call["carrier_status"], "completed");
    assert_eq!(call["call_sid"], placed.sid.as_str());
    app
}

async fn outbound_calls_nobody_answers_are_unreached(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "birthday-care.json", "webhook", None).await;
    let key = &phone.tenant.owner_key;
    let customer = "+8613800138001";
    phone.twilio.on_outbound(customer, Answer::Busy);
    let (status, body) = request(
        &app,
        Method::POST,
        key,
        "/calls",
        Some(&json!({ "to": customer, "flow_id": phone.flow_id,
                      "variables": { "customer_name": "林女士" } })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let call_id = body["call_id"].as_str().expect("id").to_owned();
    phone
        .twilio
        .wait_outbound(customer, Duration::from_secs(30))
        .await
        .expect("finished");
    let call = ended_call_by_id(&app, key, &call_id).await;
    assert_eq!(call["outcome"], "unreached", "{call}");
    assert_eq!(call["carrier_status"], "busy");
    // Bad requests are named; a carrier that refuses is a 502.
    let (status, body) = request(
        &app,
        Method::POST,
        key,
        "/calls",
        Some(&json!({ "to": "12345", "flow_id": phone.flow_id })),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("/to"))
    );
    let (status, _) = request(
        &app,
        Method::PUT,
        key,
        "/telephony",
        Some(&json!({ "twilio": { "account_sid": ACCOUNT_SID, "auth_token": "wrong-token" } })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = request(
        &app,
        Method::POST,
        key,
        "/calls",
        Some(&json!({ "to": customer, "flow_id": phone.flow_id })),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (502, Some("carrier_failed")),
        "{body}"
    );
    app
}

/// Calls ring real phones and cost money: editors may try flows but not place calls.
async fn only_owners_place_calls(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "birthday-care.json", "webhook", None).await;
    let editor = app.key(&phone.tenant.id, Role::Editor).await;
    let customer = "+8613800138003";
    phone.twilio.on_outbound(
        customer,
        Answer::Human(Caller::new(vec![Step::Say("谢谢".into())])),
    );
    let body = json!({ "to": customer, "flow_id": phone.flow_id,
                       "variables": { "customer_name": "林女士" } });
    let (status, problem) = request(&app, Method::POST, &editor, "/calls", Some(&body)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("forbidden")),
        "{problem}"
    );
    assert!(phone.twilio.outbound_calls().await.is_empty());
    assert!(calls(&app, &phone.tenant.owner_key).await.is_empty());
    let (status, placed) = request(
        &app,
        Method::POST,
        &phone.tenant.owner_key,
        "/calls",
        Some(&body),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    app
}

/// The call's record and audit entry are written before the phone rings: when that fails, the
/// request fails and nobody is called, so a retry cannot ring twice.
async fn a_call_whose_audit_entry_fails_never_rings(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "birthday-care.json", "webhook", None).await;
    let key = &phone.tenant.owner_key;
    let customer = "+8613800138004";
    phone.twilio.on_outbound(
        customer,
        Answer::Human(Caller::new(vec![Step::Say("谢谢".into())])),
    );
    app.refuse_audit_writes().await;
    let body = json!({ "to": customer, "flow_id": phone.flow_id,
                       "variables": { "customer_name": "林女士" } });
    let (status, problem) = request(&app, Method::POST, key, "/calls", Some(&body)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (500, Some("internal")),
        "{problem}"
    );
    assert!(
        phone.twilio.outbound_calls().await.is_empty(),
        "the carrier was asked to call"
    );
    assert!(calls(&app, key).await.is_empty(), "a record was kept");
    app
}

// ---------------------------------------------------------------------------------------------
// Media-stream mode
// ---------------------------------------------------------------------------------------------

/// The caller's speech: the replay fixture's audio (what it says is the fake Deepgram's script).
fn speech() -> MediaStep {
    MediaStep::Speak(replay_fixture_audio())
}

async fn order_status_by_media_stream(mut app: TestApp) -> TestApp {
    if !callflow_tests::espeak_available() {
        return app;
    }
    let deepgram = FakeDeepgram::start().await;
    let phone = shop(&mut app, "order-status.json", "stream", Some(&deepgram)).await;
    deepgram.script(["我的快递到哪了", "没有了"]);
    // A caller who knows the menu answers as soon as each prompt starts: by speech, by keys.
    let caller = Caller::with_media(ScriptedSpeech::new(vec![
        MediaStep::BargeIn,
        speech(),
        MediaStep::Silence(400),
        MediaStep::BargeIn,
        MediaStep::Dtmf("2024061801#".into()),
        MediaStep::BargeIn,
        speech(),
        MediaStep::Silence(400),
        MediaStep::WaitClosed,
    ]));
    let log = phone.ring(&app, caller).await;
    assert_eq!(log.streams.len(), 1, "{log:?}");
    let report = log.streams[0].report.clone().expect("the stream ran");
    assert!(
        report.protocol_errors.is_empty(),
        "{:?}",
        report.protocol_errors
    );
    assert!(
        report.timeouts.is_empty(),
        "{report:?}\n{}",
        calls_debug(&app, &phone.tenant.owner_key).await
    );
    // Real speech from espeak-ng: seconds of audio, one mark per prompt.
    assert!(report.audio_bytes_received > 8 * 3000, "{report:?}");
    assert!(report.marks_sent_by_server.len() >= 5, "{report:?}");
    assert!(report.closed_by_server, "{report:?}");
    assert_eq!(log.ended, EndReason::Hangup, "{log:?}");
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(call["outcome"], "resolved", "{call}");
    assert_eq!(call["summary"]["vars"]["order_id"], "2024061801");
    let heard: Vec<&Value> = call["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["kind"] == "heard")
        .collect();
    assert_eq!(heard[0]["data"]["text"], "我的快递到哪了", "{heard:?}");
    assert_eq!(heard[0]["data"]["intent"], "track_order");
    let stats = deepgram.stats();
    assert!(
        stats.queries[0].contains("encoding=mulaw"),
        "{:?}",
        stats.queries
    );
    assert!(
        stats.queries[0].contains("sample_rate=8000"),
        "{:?}",
        stats.queries
    );
    app
}

async fn barge_in_cuts_the_prompt(mut app: TestApp) -> TestApp {
    if !callflow_tests::espeak_available() {
        return app;
    }
    let deepgram = FakeDeepgram::start().await;
    let phone = shop(&mut app, "order-status.json", "stream", Some(&deepgram)).await;
    deepgram.script(["我的快递到哪了"]);
    let caller = Caller::with_media(ScriptedSpeech::new(vec![
        // Speak over the greeting.
        MediaStep::BargeIn,
        speech(),
        MediaStep::Silence(400),
        MediaStep::WaitForPrompt,
        MediaStep::HangUp,
    ]));
    let log = phone.ring(&app, caller).await;
    let report = log.streams[0].report.clone().expect("the stream ran");
    assert!(report.clears >= 1, "{report:?}");
    assert!(report.audio_bytes_cleared > 0, "{report:?}");
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    let kinds = event_kinds(&call);
    assert!(kinds.iter().any(|k| k == "barge_in"), "{kinds:?}");
    // The greeting's marks tell what the caller heard before cutting in.
    let cut = call["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|event| event["kind"] == "prompt_interrupted")
        .cloned()
        .expect("the interrupted prompt is recorded");
    assert!(
        cut["data"]["interrupted"]
            .as_str()
            .is_some_and(|text| !text.is_empty()),
        "{cut}"
    );
    assert!(
        cut["data"]["heard_prompts"]
            .as_u64()
            .is_some_and(|n| n <= 1),
        "{cut}"
    );
    assert_eq!(call["outcome"], "abandoned");
    // What was said over the prompt was heard, and answered.
    assert!(kinds.iter().any(|k| k == "heard"), "{kinds:?}");
    app
}

async fn deepgram_failure_falls_back_to_twilio(mut app: TestApp) -> TestApp {
    if !callflow_tests::espeak_available() {
        return app;
    }
    let deepgram = FakeDeepgram::start().await;
    deepgram.refuse_connections(true);
    let phone = shop(&mut app, "order-status.json", "stream", Some(&deepgram)).await;
    let caller = Caller {
        steps: vec![
            Step::Say("我的快递到哪了".into()),
            Step::Press("2024061801".into()),
            Step::Say("没有了".into()),
        ],
        ..Caller::with_media(ScriptedSpeech::new(vec![MediaStep::WaitClosed]))
    };
    let log = phone.ring(&app, caller).await;
    // The stream hands over to TwiML, which asks again with Twilio listening (the prompts still
    // in the tenant's espeak-ng voice, played from this server).
    assert_eq!(log.streams.len(), 1, "{log:?}");
    assert!(
        log.heard.iter().any(|heard| matches!(
            heard,
            Heard::Play {
                in_gather: true,
                ..
            }
        )),
        "{log:?}"
    );
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert!(
        call["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|event| event["kind"] == "said"
                && event["data"]["text"]
                    .as_str()
                    .is_some_and(|text| text.contains("顺丰速运"))),
        "{call}"
    );
    assert_eq!(call["outcome"], "resolved", "{call}");
    let failed = events_of_kind(&call, "asr_failed");
    assert_eq!(failed.len(), 1, "{call}");
    assert_eq!(failed[0]["data"]["fallback"], "twilio");
    app
}

async fn deepgram_failure_can_hand_off(mut app: TestApp) -> TestApp {
    if !callflow_tests::espeak_available() {
        return app;
    }
    let deepgram = FakeDeepgram::start().await;
    let phone = shop(&mut app, "order-status.json", "stream", Some(&deepgram)).await;
    set_speech(
        &app,
        &phone,
        json!({ "asr": { "provider": "deepgram", "fallback": "handoff",
                         "fallback_handoff": "queue:support" } }),
    )
    .await;
    // Deepgram drops the call's recognition once the caller has spoken for a moment.
    deepgram.drop_after_audio_ms(Some(300));
    let caller = Caller {
        steps: vec![Step::Transfer("bridged".into())],
        ..Caller::with_media(ScriptedSpeech::new(vec![
            MediaStep::WaitForPrompt,
            speech(),
            MediaStep::WaitClosed,
        ]))
    };
    let log = phone.ring(&app, caller).await;
    assert_eq!(log.dialed.len(), 1, "{log:?}");
    assert_eq!(log.dialed[0].targets[0].target, "support");
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(call["outcome"], "handoff", "{call}");
    assert_eq!(call["summary"]["transfer"]["target"], "support");
    assert!(event_kinds(&call).iter().any(|k| k == "asr_failed"));
    app
}

/// With the `dtmf` fallback, a caller whose recognition fails before the flow starts is told to
/// use the keypad when the flow first listens (the prompt once, in the tenant's voice).
async fn deepgram_failure_at_the_start_asks_for_the_keypad(mut app: TestApp) -> TestApp {
    let deepgram = FakeDeepgram::start().await;
    deepgram.refuse_connections(true);
    let phone = shop(&mut app, SHORT, "stream", Some(&deepgram)).await;
    set_speech(
        &app,
        &phone,
        json!({ "asr": { "provider": "deepgram", "fallback": "dtmf" },
                "tts": { "provider": "aura", "voice": "aura-2-luna-zh" } }),
    )
    .await;
    let caller = Caller::with_media(ScriptedSpeech::new(vec![MediaStep::WaitClosed]));
    let log = phone.ring(&app, caller).await;
    assert_eq!(log.streams.len(), 1, "{log:?}");
    let report = log.streams[0].report.clone().expect("the stream ran");
    assert!(report.closed_by_server, "{report:?}");
    let spoken = deepgram.stats().speak_texts;
    let keypad = "抱歉，语音识别暂时无法使用，请使用电话按键输入。";
    assert_eq!(
        spoken.iter().filter(|text| *text == keypad).count(),
        1,
        "{spoken:?} {report:?}\n{}",
        calls_debug(&app, &phone.tenant.owner_key).await
    );
    // 您好, 请讲, the keypad prompt, 请再说一遍, 再见.
    assert_eq!(report.marks_sent_by_server.len(), 5, "{report:?}");
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(call["outcome"], "resolved", "{call}");
    let failed = events_of_kind(&call, "asr_failed");
    assert_eq!(failed.len(), 1, "{call}");
    assert_eq!(failed[0]["data"]["fallback"], "dtmf");
    app
}

async fn handoff_from_a_media_stream(mut app: TestApp) -> TestApp {
    if !callflow_tests::espeak_available() {
        return app;
    }
    let deepgram = FakeDeepgram::start().await;
    let phone = shop(&mut app, "order-status.json", "stream", Some(&deepgram)).await;
    deepgram.script(["转人工"]);
    let caller = Caller {
        steps: vec![Step::Transfer("bridged".into())],
        ..Caller::with_media(ScriptedSpeech::new(vec![
            MediaStep::BargeIn,
            speech(),
            MediaStep::Silence(400),
            MediaStep::WaitClosed,
        ]))
    };
    let log = phone.ring(&app, caller).await;
    // The stream closes once the transfer message is heard; TwiML takes the call to the queue.
    let report = log.streams[0].report.clone().expect("the stream ran");
    assert!(report.closed_by_server, "{report:?}");
    assert_eq!(log.dialed.len(), 1, "{log:?}");
    assert_eq!(log.dialed[0].verb, "Enqueue");
    assert_eq!(log.dialed[0].targets[0].target, "orders");
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(call["outcome"], "handoff", "{call}");
    assert_eq!(call["summary"]["transfer"]["target"], "orders");
    assert!(
        call["summary"]["transfer"]["summary"]
            .as_str()
            .is_some_and(|summary| summary.contains("未提供")),
        "{call}"
    );
    app
}

async fn silence_on_a_stream_reprompts_then_ends(mut app: TestApp) -> TestApp {
    if !callflow_tests::espeak_available() {
        return app;
    }
    let deepgram = FakeDeepgram::start().await;
    let phone = shop(&mut app, SHORT, "stream", Some(&deepgram)).await;
    let caller = Caller::with_media(ScriptedSpeech::new(vec![MediaStep::WaitClosed]));
    let log = phone.ring(&app, caller).await;
    assert_eq!(log.streams.len(), 1, "{log:?}");
    let report = log.streams[0].report.clone().expect("the stream ran");
    // 您好, 请讲, 请再说一遍, 再见: four prompts, each heard to its end.
    assert_eq!(report.marks_sent_by_server.len(), 4, "{report:?}");
    assert_eq!(report.marks_echoed, report.marks_sent_by_server);
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    let no_inputs = event_kinds(&call)
        .iter()
        .filter(|k| *k == "no_input")
        .count();
    assert_eq!(no_inputs, 2, "{call}");
    assert_eq!(call["outcome"], "resolved");
    // The flow's Aura voice spoke, through the fake Deepgram.
    let spoken = deepgram.stats().speak_texts;
    assert!(spoken.iter().any(|text| text == "请再说一遍"), "{spoken:?}");
    app
}

/// Saves a turn of the shop's one call as another request of it would, once its flow waits at
/// `node`; whether it did within a few seconds.
async fn save_a_turn_elsewhere_at(app: &TestApp, phone: &Phone, node: &str) -> bool {
    let tenant = &phone.tenant.id;
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let Some(call) = calls(app, &phone.tenant.owner_key).await.pop() else {
            continue;
        };
        let call_id = call["id"].as_str().expect("id");
        let Ok(Some(session_id)) = app.store.chat_session_id_of_call(tenant, call_id).await else {
            continue;
        };
        let Ok(Some(session)) = app.store.get_chat_session(tenant, &session_id).await else {
            continue;
        };
        if session.snapshot["snapshot"]["wait"]["node"] != node {
            continue;
        }
        let turn = ChatTurn {
            expected_turn: session.turn,
            snapshot: session.snapshot.to_string(),
            events: Vec::new(),
            end: None,
            counted: None,
        };
        let saved = app
            .store
            .save_chat_turn(tenant, &session_id, turn, server::store::now_ms())
            .await;
        assert!(matches!(saved, Ok(Some(_))), "{saved:?}");
        return true;
    }
    false
}

/// Another request of the call saves a turn while the stream runs: the stream's next save
/// loses the race, reads the call's turn again and saves; the call is recorded to its end.
async fn a_stream_saves_on_after_a_turn_saved_elsewhere(mut app: TestApp) -> TestApp {
    if !callflow_tests::espeak_available() {
        return app;
    }
    let deepgram = FakeDeepgram::start().await;
    let phone = shop(&mut app, SHORT, "stream", Some(&deepgram)).await;
    deepgram.script(["好的"]);
    let caller = Caller::with_media(ScriptedSpeech::new(vec![
        MediaStep::WaitMarks(2),
        speech(),
        MediaStep::Silence(400),
        MediaStep::WaitClosed,
    ]));
    let (log, saved_elsewhere) = tokio::join!(
        phone.ring(&app, caller),
        save_a_turn_elsewhere_at(&app, &phone, "ask")
    );
    assert!(saved_elsewhere);
    let report = log.streams[0].report.clone().expect("the stream ran");
    assert!(report.closed_by_server, "{report:?}");
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(
        call["outcome"],
        "resolved",
        "{}",
        calls_debug(&app, &phone.tenant.owner_key).await
    );
    assert_eq!(call["summary"]["vars"]["answer"], "好的");
    assert_eq!(events_of_kind(&call, "heard").len(), 1, "{call}");
    app
}

async fn a_failing_voice_falls_back_to_espeak(mut app: TestApp) -> TestApp {
    if !callflow_tests::espeak_available() {
        return app;
    }
    let deepgram = FakeDeepgram::start().await;
    deepgram.fail_speak(true);
    let phone = shop(&mut app, SHORT, "stream", Some(&deepgram)).await;
    deepgram.script(["好的"]);
    let caller = Caller::with_media(ScriptedSpeech::new(vec![
        MediaStep::WaitMarks(2),
        speech(),
        MediaStep::Silence(400),
        MediaStep::WaitClosed,
    ]));
    let log = phone.ring(&app, caller).await;
    let report = log.streams[0].report.clone().expect("the stream ran");
    assert!(report.audio_bytes_received > 8 * 500, "{report:?}");
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(call["outcome"], "resolved", "{call}");
    assert_eq!(call["summary"]["vars"]["answer"], "好的");
    let fallbacks: Vec<&Value> = call["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["kind"] == "tts_fallback")
        .collect();
    assert!(!fallbacks.is_empty(), "{call}");
    assert_eq!(fallbacks[0]["data"]["used"], "espeak");
    app
}

async fn failing_voices_hand_the_call_to_twilios_say(mut app: TestApp) -> TestApp {
    let deepgram = FakeDeepgram::start().await;
    deepgram.fail_speak(true);
    let phone = shop(&mut app, SHORT, "stream", Some(&deepgram)).await;
    // Neither the flow's Aura voice nor espeak-ng (missing here) can speak.
    app.reconfigure(|config| {
        config.telephony.espeak_program = "/nonexistent/espeak-ng".into();
    })
    .await;
    let caller = Caller {
        steps: vec![Step::Say("好的".into())],
        ..Caller::with_media(ScriptedSpeech::new(vec![MediaStep::WaitClosed]))
    };
    let log = phone.ring(&app, caller).await;
    assert_eq!(log.streams.len(), 1, "{log:?}");
    let report = log.streams[0].report.clone().expect("the stream ran");
    assert_eq!(report.audio_bytes_received, 0, "{report:?}");
    // Twilio says the prompts instead, and listens.
    let said = log.said();
    assert!(said_contains(&said, "您好"), "{log:?}");
    assert!(said_contains(&said, "再见"), "{log:?}");
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(call["outcome"], "resolved", "{call}");
    assert_eq!(call["summary"]["vars"]["answer"], "好的");
    assert!(
        event_kinds(&call).iter().any(|k| k == "tts_failed"),
        "{call}"
    );
    app
}

async fn outbound_birthday_call(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "birthday-care.json", "webhook", None).await;
    let key = &phone.tenant.owner_key;
    let customer = "+8613800138002";
    phone.twilio.on_outbound(
        customer,
        Answer::Human(Caller::new(vec![Step::Say("谢谢".into())])),
    );
    let (status, body) = request(
        &app,
        Method::POST,
        key,
        "/calls",
        Some(&json!({ "to": customer, "flow_id": phone.flow_id,
                      "variables": { "customer_name": "林女士" } })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let call_id = body["call_id"].as_str().expect("id").to_owned();
    let placed = phone
        .twilio
        .wait_outbound(customer, Duration::from_secs(30))
        .await
        .expect("finished");
    let log = placed.log.expect("log");
    assert!(said_contains(&log.said(), "林女士"), "{:?}", log.said());
    let call = ended_call_by_id(&app, key, &call_id).await;
    assert_eq!(call["direction"], "outbound");
    assert!(call["outcome"].is_string(), "{call}");
    assert_eq!(call["summary"]["vars"]["customer_name"], "林女士");
    assert_eq!(call["carrier_status"], "completed");
    app
}

async fn webhook_mode_plays_the_servers_own_voice(mut app: TestApp) -> TestApp {
    if !callflow_tests::espeak_available() {
        return app;
    }
    let phone = shop(&mut app, SHORT, "webhook", None).await;
    let (status, body) = request(
        &app,
        Method::PUT,
        &phone.tenant.owner_key,
        "/telephony",
        Some(&json!({ "twilio": { "account_sid": ACCOUNT_SID },
                      "speech": { "tts": { "provider": "espeak" } } })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let log = phone
        .twilio
        .inbound_call(
            &phone.voice_url(&app),
            CALLER,
            SHOP_NUMBER,
            Caller::new(vec![Step::Say("好的".into())]),
        )
        .await;
    let urls: Vec<String> = log
        .heard
        .iter()
        .filter_map(|heard| match heard {
            Heard::Play { url, .. } => Some(url.clone()),
            _ => None,
        })
        .collect();
    // 您好, 请讲, 再见 — each a <Play> of audio this server speaks.
    assert_eq!(urls.len(), 3, "{log:?}");
    for url in &urls {
        let response = app.client.get(url).send().await.expect("audio");
        assert_eq!(response.status().as_u16(), 200, "{url}");
        assert_eq!(
            response.headers()["content-type"].to_str().ok(),
            Some("audio/wav")
        );
        let wav = response.bytes().await.expect("bytes");
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(u16::from_le_bytes([wav[20], wav[21]]), 7, "μ-law");
        assert_eq!(
            u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]),
            8000
        );
        // Real speech: a few hundred milliseconds at least, and not silence.
        let audio = &wav[58..];
        assert!(audio.len() > 8 * 300, "{} bytes", audio.len());
        assert!(audio.iter().filter(|b| **b != 0xFF && **b != 0x7F).count() > audio.len() / 4);
    }
    // A URL cannot be made up or moved to another tenant.
    let forged = urls[0].replace(&phone.tenant.id, "ten_other");
    assert_eq!(
        app.client
            .get(&forged)
            .send()
            .await
            .expect("get")
            .status()
            .as_u16(),
        404
    );
    // One character of the sealed token changed.
    let mut broken: Vec<char> = urls[0].chars().collect();
    let middle = broken.len() - 20;
    broken[middle] = if broken[middle] == 'A' { 'B' } else { 'A' };
    let broken: String = broken.into_iter().collect();
    assert_eq!(
        app.client
            .get(&broken)
            .send()
            .await
            .expect("get")
            .status()
            .as_u16(),
        404
    );
    app
}

// ---------------------------------------------------------------------------------------------
// Opt-out: 不要再打了 puts the number on the do-not-call list
// ---------------------------------------------------------------------------------------------

/// The tenant's do-not-call list as stored: (phone, source, call id).
async fn do_not_call_rows(app: &TestApp, tenant_id: &str) -> Vec<(String, String, Option<String>)> {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(&app.config.database_url)
        .await
        .expect("a connection");
    sqlx::query(
        "SELECT phone, source, call_id FROM do_not_call WHERE tenant_id = $1 ORDER BY phone",
    )
    .bind(tenant_id)
    .fetch_all(&mut connection)
    .await
    .expect("the do-not-call list")
    .iter()
    .map(|row| {
        (
            row.get::<String, _>("phone"),
            row.get::<String, _>("source"),
            row.get::<Option<String>, _>("call_id"),
        )
    })
    .collect()
}

/// Calls `member` with the birthday flow; they say 不要再打了. Answers the ended call.
async fn opt_out_of_a_birthday_call(app: &TestApp, phone: &Phone, member: &str) -> Value {
    let key = &phone.tenant.owner_key;
    phone.twilio.on_outbound(
        member,
        Answer::Human(Caller::new(vec![Step::Say("不要再打了".into())])),
    );
    let body = json!({ "to": member, "flow_id": phone.flow_id,
                       "variables": { "customer_name": "刘先生" } });
    let (status, body) = request(app, Method::POST, key, "/calls", Some(&body)).await;
    assert_eq!(status, 201, "{body}");
    let call_id = body["call_id"].as_str().expect("id").to_owned();
    let placed = phone
        .twilio
        .wait_outbound(member, Duration::from_secs(30))
        .await
        .expect("finished");
    let log = placed.log.expect("log");
    assert!(
        said_contains(&log.said(), "非常抱歉打扰您了"),
        "{:?}",
        log.said()
    );
    ended_call_by_id(app, key, &call_id).await
}

/// A member called for their birthday says 不要再打了: the callee's number is on the shop's
/// do-not-call list, from the flow, naming the call, and the call's events say so. A second
/// call to the same number that opts out again leaves the entry as it was.
async fn an_outbound_opt_out_lists_the_callee(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "birthday-care.json", "webhook", None).await;
    let member = "+8613800138003";
    let first = opt_out_of_a_birthday_call(&app, &phone, member).await;
    assert_eq!(first["outcome"], "resolved", "{first}");
    let opted = events_of_kind(&first, "opted_out");
    assert_eq!(opted.len(), 1, "{first}");
    assert_eq!(opted[0]["data"]["listed"], "added");
    assert_eq!(opted[0]["node"], "add_do_not_call");
    let first_id = first["id"].as_str().expect("id").to_owned();
    assert_eq!(
        do_not_call_rows(&app, &phone.tenant.id).await,
        [(member.to_owned(), "flow".to_owned(), Some(first_id.clone()))]
    );
    // Opting out again leaves the entry as it was.
    let second = opt_out_of_a_birthday_call(&app, &phone, member).await;
    let opted = events_of_kind(&second, "opted_out");
    assert_eq!(opted[0]["data"]["listed"], "already", "{second}");
    assert_eq!(
        do_not_call_rows(&app, &phone.tenant.id).await,
        [(member.to_owned(), "flow".to_owned(), Some(first_id))]
    );
    app
}

/// Someone who calls the shop and says 不要再打了 is listed by their own number (the caller's).
async fn an_inbound_opt_out_lists_the_caller(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "birthday-care.json", "webhook", None).await;
    let log = phone
        .ring(&app, Caller::new(vec![Step::Say("以后别再打了".into())]))
        .await;
    assert!(
        said_contains(&log.said(), "非常抱歉打扰您了"),
        "{:?}",
        log.said()
    );
    let call = ended_call(&app, &phone.tenant.owner_key).await;
    assert_eq!(call["direction"], "inbound");
    let opted = events_of_kind(&call, "opted_out");
    assert_eq!(opted.len(), 1, "{call}");
    assert_eq!(opted[0]["data"]["listed"], "added");
    let rows = do_not_call_rows(&app, &phone.tenant.id).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, CALLER);
    assert_eq!(rows[0].1, "flow");
    app
}

/// A chat has no phone number: the opt-out is recorded on the conversation, and nothing is
/// added to the list.
async fn a_chat_opt_out_lists_nothing(mut app: TestApp) -> TestApp {
    let phone = shop(&mut app, "birthday-care.json", "webhook", None).await;
    let key = &phone.tenant.owner_key;
    let (status, session) = request(
        &app,
        Method::POST,
        key,
        "/sessions",
        Some(&json!({ "flow_id": phone.flow_id })),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    let id = session["id"].as_str().expect("session id");
    let (status, view) = request(
        &app,
        Method::POST,
        key,
        &format!("/sessions/{id}/events"),
        Some(&json!({ "type": "text", "text": "不要再打了" })),
    )
    .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["outcome"], "resolved", "{view}");
    let call = call_detail(&app, key, session["call_id"].as_str().expect("call id")).await;
    let opted = events_of_kind(&call, "opted_out");
    assert_eq!(opted.len(), 1, "{call}");
    assert!(opted[0]["data"].get("listed").is_none(), "{call}");
    assert_eq!(do_not_call_rows(&app, &phone.tenant.id).await, []);
    app
}

on_both_databases!(
    an_outbound_opt_out_lists_the_callee,
    an_inbound_opt_out_lists_the_caller,
    a_chat_opt_out_lists_nothing,
    webhook_mode_plays_the_servers_own_voice,
    handoff_from_a_media_stream,
    silence_on_a_stream_reprompts_then_ends,
    a_failing_voice_falls_back_to_espeak,
    failing_voices_hand_the_call_to_twilios_say,
    outbound_birthday_call,
    settings_keep_secrets_sealed,
    numbers_bind_to_one_tenant,
    order_status_by_webhook,
    numbers_spoken_on_a_call_are_not_kept,
    handoff_by_webhook,
    forged_signatures_are_refused,
    every_twilio_route_checks_the_signature,
    retried_webhooks_do_not_advance_twice,
    unknown_numbers_get_a_polite_goodbye,
    calls_over_the_quota_hear_the_lines_are_busy,
    outbound_survey_records_its_score,
    outbound_calls_nobody_answers_are_unreached,
    only_owners_place_calls,
    a_call_whose_audit_entry_fails_never_rings,
    order_status_by_media_stream,
    barge_in_cuts_the_prompt,
    deepgram_failure_falls_back_to_twilio,
    deepgram_failure_can_hand_off,
    deepgram_failure_at_the_start_asks_for_the_keypad,
    a_stream_saves_on_after_a_turn_saved_elsewhere,
);
