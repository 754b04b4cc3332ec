//! The example flows run unchanged in web chat and on the phone. Each conversation test of
//! `order-status`, `order-status-en`, `complaints` and `complaints-en` (`flows/tests/`) is
//! played against the real server and the built-in demo shop twice: through the sessions API
//! (what the chat widget uses) and as a call on the fake Twilio in webhook mode. The bot must
//! say the same lines in the same order, and the two must end the same way.
//!
//! A handoff to a queue ends differently by channel, and only after the transfer: the carrier
//! puts the phone call through (`<Enqueue>`, bridged: outcome `handoff`), while a chat, in a
//! tenant with queues, waits in the queue for a person (owner `waiting`, no outcome yet). So
//! both are compared up to the transfer: the same lines, the same queue; then the call must
//! end as the conversation test says and the chat must be waiting.
//!
//! Left out are conversations that decide how a transfer ends (`handoff: busy` and the like:
//! the carrier's answer on the phone, a person's in chat), that bring answers of their own
//! (mocks, variables, a customer or call settings the demo shop and an inbound call do not
//! give), and those that ask for the demo shop's slow order: each would wait out the flows'
//! whole lookup timeout (3 s) in both channels, which keeps this test from staying short.

use std::time::Duration;

use callflow_tests::app::{with_app, Db, TestApp, TestTenant};
use callflow_tests::fakes::twilio::{Caller, FakeTwilio, Step};
use flow_engine::conversation::{Conversation, ConversationFile, Turn};
use reqwest::Method;
use serde_json::{json, Value};
use server::demo::first_run::demo_settings;

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
const CALLER: &str = "+8613900001111";

/// The example flows played in both channels.
const FLOWS: [&str; 4] = [
    "order-status",
    "order-status-en",
    "complaints",
    "complaints-en",
];

/// The demo shop's order that answers only after the flows gave up (see `demo::shop`).
const SLOW_ORDER: &str = "2024061805";

/// Whether a conversation can be played as it is in both channels (see the module's comment).
fn plays_in_both_channels(conversation: &Conversation) -> bool {
    let own_answers = !conversation.http.is_empty()
        || !conversation.vars.is_empty()
        || !conversation.tenant.is_empty()
        || !conversation.customer.is_empty()
        || !conversation.call.from.is_empty()
        || !conversation.call.to.is_empty()
        || conversation.call.channel.is_some()
        || conversation.handoff.is_some();
    let turns_decide = conversation.turns.iter().any(|turn| {
        !turn.http.is_empty()
            || turn.handoff.is_some()
            || turn
                .digits
                .as_deref()
                .is_some_and(|d| d.contains(SLOW_ORDER))
            || turn
                .caller
                .as_deref()
                .is_some_and(|c| c.contains(SLOW_ORDER))
    });
    !own_answers && !turns_decide
}

/// What the caller does in a turn, as a sessions API event; `None` for the opening turn.
fn chat_event(turn: &Turn) -> Option<Value> {
    if let Some(text) = &turn.caller {
        return Some(json!({ "type": "text", "text": text }));
    }
    if let Some(digits) = &turn.digits {
        return Some(json!({ "type": "digits", "digits": digits }));
    }
    if turn.silence {
        return Some(json!({ "type": "no_input" }));
    }
    turn.hangup.then(|| json!({ "type": "hangup" }))
}

/// The same, as a step of the fake Twilio's caller.
fn phone_step(turn: &Turn) -> Option<Step> {
    if let Some(text) = &turn.caller {
        return Some(Step::Say(text.clone()));
    }
    if let Some(digits) = &turn.digits {
        return Some(Step::Press(digits.clone()));
    }
    if turn.silence {
        return Some(Step::Silence);
    }
    turn.hangup.then_some(Step::HangUp)
}

/// How a conversation ended in one channel.
#[derive(Debug, PartialEq)]
struct Ending {
    /// Every line the bot said, in order.
    lines: Vec<String>,
    /// The queue it was handed to, if any.
    queue: Option<String>,
    /// The call's outcome; `None` for a chat waiting for a person.
    outcome: Option<String>,
}

async fn play_chat(app: &TestApp, key: &str, flow_id: &str, conversation: &Conversation) -> Ending {
    let start = json!({ "flow_id": flow_id, "version": "published" });
    let (status, mut session) = app.api(Method::POST, key, "/sessions", Some(&start)).await;
    assert_eq!(status, 201, "{session}");
    let mut ending = Ending {
        lines: Vec::new(),
        queue: None,
        outcome: None,
    };
    ending.take_chat_turn(&session);
    for event in conversation.turns.iter().filter_map(chat_event) {
        if session["ended"] == true || session["owner"]["state"] != "bot" {
            break;
        }
        let id = session["id"].as_str().expect("session id").to_owned();
        let path = format!("/sessions/{id}/events");
        let (status, next) = app.api(Method::POST, key, &path, Some(&event)).await;
        assert_eq!(status, 200, "{next}");
        session = next;
        ending.take_chat_turn(&session);
    }
    if ending.queue.is_some() {
        // With the tenant's queues, a chat handed to one waits there for a person.
        assert_eq!(session["owner"]["state"], "waiting", "{session}");
    }
    ending.outcome = session["outcome"].as_str().map(str::to_owned);
    ending
}

impl Ending {
    /// Adds what the bot said in a chat's latest turn, and where it handed the chat to.
    fn take_chat_turn(&mut self, session: &Value) {
        for message in session["messages"].as_array().into_iter().flatten() {
            let text = message["text"].as_str().unwrap_or_default();
            self.lines.push(text.to_owned());
        }
        if session["transfer"]["type"] == "queue" {
            self.queue = session["transfer"]["target"].as_str().map(str::to_owned);
        }
    }
}

/// A tenant with the demo's settings, queues and knowledge, the fake Twilio's account, and each
/// of [`FLOWS`] published and answering a number of its own.
struct Shop {
    tenant: TestTenant,
    twilio: FakeTwilio,
    /// Flow name, flow id, the number it answers.
    flows: Vec<(&'static str, String, String)>,
}

async fn shop(app: &mut TestApp) -> Shop {
    let twilio = FakeTwilio::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let api = twilio.api_base_url();
    app.reconfigure(|config| config.telephony.twilio_api_url = api)
        .await;
    let tenant = app.tenant_for_examples("Both Channels Shop").await;
    app.change_settings(&tenant.id, |settings| *settings = demo_settings())
        .await;
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
    let mut flows = Vec::new();
    for (index, name) in FLOWS.into_iter().enumerate() {
        let path = callflow_tests::root().join(format!("flows/{name}.json"));
        let text = std::fs::read_to_string(path).expect("example flow");
        let document: Value = serde_json::from_str(&text).expect("JSON");
        // In a tenant with the demo's queues and knowledge bases, the flow is clean.
        let (status, report) = app
            .api(
                Method::POST,
                &tenant.owner_key,
                "/flows/validate",
                Some(&document),
            )
            .await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["diagnostics"], json!([]), "{name}: {report}");
        let (flow, _) = app.published_flow(&tenant.id, name, &document).await;
        let number = format!("+865718888000{index}");
        let binding = json!({ "flow_id": flow.id, "mode": "webhook" });
        let path = format!("/phone-numbers/{}", number.replace('+', "%2B"));
        let (status, body) = app
            .api(Method::PUT, &tenant.owner_key, &path, Some(&binding))
            .await;
        assert_eq!(status, 200, "{body}");
        flows.push((name, flow.id, number));
    }
    Shop {
        tenant,
        twilio,
        flows,
    }
}

async fn play_phone(
    app: &TestApp,
    shop: &Shop,
    number: &str,
    conversation: &Conversation,
) -> Ending {
    let steps = conversation.turns.iter().filter_map(phone_step).collect();
    let log = shop
        .twilio
        .inbound_call_with_status(
            &app.url("/twilio/voice"),
            CALLER,
            number,
            Caller::new(steps),
            &app.url("/twilio/status"),
        )
        .await;
    let call = ended_call(app, &shop.tenant.owner_key, &log.call_sid).await;
    Ending {
        lines: log.said().into_iter().map(str::to_owned).collect(),
        queue: log
            .dialed
            .iter()
            .filter(|dialed| dialed.verb == "Enqueue")
            .flat_map(|dialed| dialed.targets.iter().map(|t| t.target.clone()))
            .last(),
        outcome: call["outcome"].as_str().map(str::to_owned),
    }
}

/// The phone call with this carrier sid once it has ended and the carrier's status is in
/// (status callbacks are asynchronous to the fake's view of the call).
async fn ended_call(app: &TestApp, key: &str, call_sid: &str) -> Value {
    for _ in 0..100 {
        let (status, page) = app
            .api(Method::GET, key, "/calls?channel=phone", None)
            .await;
        assert_eq!(status, 200, "{page}");
        let found = page["calls"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|call| call["call_sid"] == call_sid);
        if let Some(call) = found {
            if !call["ended_at"].is_null() && !call["carrier_status"].is_null() {
                return call.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the call {call_sid} did not end");
}

async fn example_conversations_say_the_same_in_chat_and_on_the_phone(mut app: TestApp) -> TestApp {
    let shop = shop(&mut app).await;
    let key = shop.tenant.owner_key.clone();
    for (name, flow_id, number) in &shop.flows {
        let path = callflow_tests::root().join(format!("flows/tests/{name}.yaml"));
        let text = std::fs::read_to_string(path).expect("conversation tests");
        let file = ConversationFile::parse(&text).expect("conversation tests parse");
        let played: Vec<&Conversation> = file
            .conversations
            .iter()
            .filter(|conversation| plays_in_both_channels(conversation))
            .collect();
        assert!(
            played.len() >= 8,
            "{name}: only {} conversations",
            played.len()
        );
        let mut handed_off = 0;
        for conversation in played {
            let what = format!("{name}: {}", conversation.name);
            let chat = play_chat(&app, &key, flow_id, conversation).await;
            let phone = play_phone(&app, &shop, number, conversation).await;
            assert_eq!(chat.lines, phone.lines, "{what}: the bot's lines");
            assert!(!chat.lines.is_empty(), "{what}");
            assert_eq!(chat.queue, phone.queue, "{what}: the queue");
            handed_off += usize::from(chat.queue.is_some());
            let expected = conversation
                .outcome
                .map(|outcome| serde_json::to_value(outcome).expect("an outcome"));
            let (phone_ends, chat_ends) = match (&expected, &chat.queue) {
                // Put through on the phone, waiting for a person in chat.
                (Some(expected), Some(_)) => (expected.clone(), Value::Null),
                (Some(expected), None) => (expected.clone(), expected.clone()),
                // A conversation that stops half-way: the caller with nothing more to say
                // hangs up, the chat stays open.
                (None, _) => (json!("abandoned"), Value::Null),
            };
            assert_eq!(
                phone.outcome.map(Value::from),
                Some(phone_ends),
                "{what}: phone"
            );
            assert_eq!(
                chat.outcome.map(Value::from).unwrap_or_default(),
                chat_ends,
                "{what}: chat"
            );
        }
        assert!(handed_off >= 3, "{name}: {handed_off} handed to a queue");
    }
    app
}

/// On SQLite only: the channels are under test here, and the storage tests cover both
/// databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_flows_say_the_same_in_chat_and_on_the_phone() {
    with_app(
        Db::Sqlite,
        example_conversations_say_the_same_in_chat_and_on_the_phone,
    )
    .await;
}
