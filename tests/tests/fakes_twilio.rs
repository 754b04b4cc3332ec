//! The fake Twilio checked on its own, against small servers written here: the signature
//! against the published vectors, TwiML following against a scripted TwiML app that checks every
//! signature, the REST API, and the Media Streams client against a small WebSocket server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use callflow_tests::fakes::media::{
    replay_fixture_audio, MediaStep, MediaStream, ScriptedSpeech, StreamReport, FRAME_BYTES,
    MULAW_SILENCE,
};
use callflow_tests::fakes::twilio::{
    sign, Answer, Caller, EndReason, FakeTwilio, Heard, Step, APPLICATION_ERROR, MAX_WEBHOOKS,
};
use futures_util::future::BoxFuture;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "fake-twilio-test-token";
const CALLER: &str = "+14155550100";
const NUMBER: &str = "+14155550199";
const WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// A scripted TwiML app (and WebSocket server) that records every request and checks signatures.

#[derive(Clone)]
enum Page {
    Twiml(String),
    Status(u16, String),
    Slow(Duration, String),
}

fn twiml(body: &str) -> Page {
    Page::Twiml(body.to_string())
}

#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    url: String,
    params: Vec<(String, String)>,
    signature_ok: bool,
    content_type: Option<String>,
}

impl Seen {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type WsHandler = Arc<dyn Fn(WebSocket, HeaderMap) -> BoxFuture<'static, ()> + Send + Sync>;

struct AppState {
    base: String,
    pages: HashMap<String, Page>,
    seen: Mutex<Vec<Seen>>,
    ws: Option<WsHandler>,
}

struct App {
    base: String,
    ws_url: String,
    state: Arc<AppState>,
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    /// Every request carried a valid signature and, when POST, a form body.
    fn assert_all_signed(&self) {
        let seen = self.seen();
        assert!(!seen.is_empty(), "the app saw no request");
        for request in &seen {
            assert!(request.signature_ok, "bad signature on {request:?}");
            if request.method == "POST" {
                assert_eq!(
                    request.content_type.as_deref(),
                    Some("application/x-www-form-urlencoded"),
                    "{request:?}"
                );
            }
        }
    }
}

fn form_pairs(text: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://form.invalid/?{text}"))
        .expect("a form body")
        .query_pairs()
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

/// Starts the app; `{base}` in a page is its `http://` base and `{ws}` its WebSocket URL.
async fn start_app(pages: Vec<(&str, Page)>, ws: Option<WsHandler>) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let base = format!("http://{address}");
    let ws_url = format!("ws://{address}/media");
    let fill = |text: &str| text.replace("{base}", &base).replace("{ws}", &ws_url);
    let pages = pages
        .into_iter()
        .map(|(path, page)| {
            let page = match page {
                Page::Twiml(body) => Page::Twiml(fill(&body)),
                Page::Status(status, body) => Page::Status(status, fill(&body)),
                Page::Slow(delay, body) => Page::Slow(delay, fill(&body)),
            };
            (path.to_string(), page)
        })
        .collect();
    let state = Arc::new(AppState {
        base: base.clone(),
        pages,
        seen: Mutex::new(Vec::new()),
        ws,
    });
    let router = Router::new()
        .route("/media", get(ws_route))
        .fallback(page_route)
        .with_state(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    App {
        base,
        ws_url,
        state,
    }
}

async fn page_route(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let url = format!("{}{uri}", state.base);
    let params = if method == Method::POST {
        form_pairs(&String::from_utf8_lossy(&body))
    } else {
        Vec::new()
    };
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let query_params = uri.query().map(form_pairs).unwrap_or_default();
    state.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: uri.path().to_string(),
        url: url.clone(),
        params: if method == Method::GET {
            query_params
        } else {
            params.clone()
        },
        signature_ok: signature == sign(TOKEN, &url, &params),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    });
    let xml = |body: String| ([("content-type", "text/xml")], body).into_response();
    match state.pages.get(uri.path()).cloned() {
        Some(Page::Twiml(body)) => xml(body),
        Some(Page::Status(status, body)) => {
            (StatusCode::from_u16(status).unwrap(), body).into_response()
        }
        Some(Page::Slow(delay, body)) => {
            tokio::time::sleep(delay).await;
            xml(body)
        }
        None => (StatusCode::NOT_FOUND, "no such page").into_response(),
    }
}

async fn ws_route(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    match state.ws.clone() {
        Some(handler) => upgrade
            .read_buffer_size(4 * 1024)
            .on_upgrade(move |socket| handler(socket, headers)),
        None => (StatusCode::NOT_FOUND, "no media here").into_response(),
    }
}

fn ws_handler<F, Fut>(handler: F) -> WsHandler
where
    F: Fn(WebSocket, HeaderMap) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    Arc::new(move |socket, headers| Box::pin(handler(socket, headers)))
}

async fn fake() -> FakeTwilio {
    FakeTwilio::start(ACCOUNT, TOKEN).await
}

fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == 34
        && value.starts_with(prefix)
        && value[2..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

// ---------------------------------------------------------------------------------------------
// Signatures

fn fixture(path: &str) -> Value {
    let path = callflow_tests::root().join("../shared/fixtures").join(path);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The URL forms Twilio's validators accept for one signed URL: as is, without the port, with
/// the scheme's default port, and with an escaped quote unescaped.
fn accepted_forms(url: &str) -> Vec<String> {
    let mut forms = vec![url.to_string(), url.replace("%27", "'")];
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.split(':').next().unwrap();
    let default_port = if scheme == "https" { 443 } else { 80 };
    forms.push(format!("{scheme}://{host}{path}"));
    forms.push(format!("{scheme}://{host}:{default_port}{path}"));
    forms
}

#[test]
fn sign_reproduces_every_fixture_vector() {
    let vectors = fixture("twilio-webhooks/signature_test_vectors.json");
    let vectors = vectors["vectors"].as_array().expect("a list of vectors");
    assert_eq!(vectors.len(), 10, "the fixture has 10 vectors");
    let signed_exactly = [
        "inbound_call_full",
        "basic_gather_digits",
        "http_url_with_port_1234",
        "duplicate_param_keys",
        "json_body_bodySHA256",
    ];
    for vector in vectors {
        let id = vector["id"].as_str().unwrap();
        let token = vector["auth_token"].as_str().unwrap();
        let url = vector["url"].as_str().unwrap();
        let expected = vector["expected_signature"].as_str().unwrap();
        let valid = vector["valid"].as_bool().unwrap();
        let params: Vec<(String, String)> = if let Some(map) = vector["params"].as_object() {
            map.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        } else if let Some(list) = vector["params_multi"].as_array() {
            list.iter()
                .map(|pair| {
                    (
                        pair[0].as_str().unwrap().to_string(),
                        pair[1].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        if signed_exactly.contains(&id) {
            assert_eq!(sign(token, url, &params), expected, "vector {id}");
        }
        if let Some(signed_url) = vector["signed_url"].as_str() {
            assert_eq!(sign(token, signed_url, &params), expected, "vector {id}");
        }
        let accepted = accepted_forms(url)
            .iter()
            .any(|form| sign(token, form, &params) == expected);
        assert_eq!(accepted, valid, "vector {id}: accepted {accepted}");
        if let Some(body) = vector["raw_body"].as_str() {
            let digest: String = Sha256::digest(body.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(digest, vector["expected_body_sha256_hex"].as_str().unwrap());
            assert!(url.ends_with(&format!("bodySHA256={digest}")), "{url}");
        }
    }
    // Parameter order must not matter.
    let reversed: Vec<(String, String)> = vec![
        ("To".into(), "+18005551212".into()),
        ("From".into(), "+14158675309".into()),
        ("Digits".into(), "1234".into()),
        ("Caller".into(), "+14158675309".into()),
        ("CallSid".into(), "CA1234567890ABCDE".into()),
    ];
    assert_eq!(
        sign(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &reversed
        ),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    );
}

#[test]
fn sign_reproduces_the_documented_vector() {
    let params: Vec<(String, String)> = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    assert_eq!(
        sign(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params
        ),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
    assert_ne!(
        sign(
            "12346",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params
        ),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
}

#[test]
fn sign_matches_the_captured_inbound_webhook() {
    let samples = fixture("twilio-webhooks/incoming_call_webhook_samples.json");
    let sample = &samples[0];
    let params = form_pairs(sample["form_body"].as_str().unwrap());
    assert_eq!(
        sign(
            sample["auth_token"].as_str().unwrap(),
            sample["url"].as_str().unwrap(),
            &params
        ),
        sample["x_twilio_signature"].as_str().unwrap()
    );
}

// ---------------------------------------------------------------------------------------------
// Following TwiML

#[tokio::test]
async fn gather_speech_posts_the_speech_result() {
    let app = start_app(
        vec![
            (
                "/voice",
                twiml(
                    r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather input="speech" action="/heard" speechTimeout="auto" language="en-US">
    <Say voice="Polly.Joanna" language="en-US">What can I do for you?</Say>
  </Gather>
  <Say>We did not hear you.</Say>
</Response>"#,
                ),
            ),
            (
                "/heard",
                twiml("<Response><Say>Your order ships today.</Say><Hangup/><Say>never</Say></Response>"),
            ),
        ],
        None,
    )
    .await;
    let fake = fake().await;
    let caller = Caller::new(vec![Step::SayWithConfidence(
        "where is my order".to_string(),
        0.87,
    )]);
    let log = fake
        .inbound_call(&app.url("/voice"), CALLER, NUMBER, caller)
        .await;

    assert_eq!(log.ended, EndReason::Hangup, "{log:?}");
    assert_eq!(
        log.heard[0],
        Heard::Say {
            text: "What can I do for you?".to_string(),
            voice: Some("Polly.Joanna".to_string()),
            language: Some("en-US".to_string()),
            in_gather: true,
        }
    );
    assert_eq!(
        log.said(),
        ["What can I do for you?", "Your order ships today."]
    );
    app.assert_all_signed();
    let seen = app.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for request in &seen {
        assert!(
            is_sid(request.param("CallSid").unwrap(), "CA"),
            "{request:?}"
        );
        assert_eq!(request.param("CallSid"), Some(log.call_sid.as_str()));
        assert_eq!(request.param("AccountSid"), Some(ACCOUNT));
        assert_eq!(request.param("From"), Some(CALLER));
        assert_eq!(request.param("To"), Some(NUMBER));
        assert_eq!(request.param("Direction"), Some("inbound"));
        assert_eq!(request.param("ApiVersion"), Some("2010-04-01"));
        assert_eq!(request.param("FromCountry"), Some("US"));
    }
    assert_eq!(seen[0].param("CallStatus"), Some("ringing"));
    assert_eq!(seen[0].param("SpeechResult"), None);
    assert_eq!(seen[1].path, "/heard");
    assert_eq!(seen[1].param("CallStatus"), Some("in-progress"));
    assert_eq!(seen[1].param("SpeechResult"), Some("where is my order"));
    let confidence: f32 = seen[1].param("Confidence").unwrap().parse().unwrap();
    assert!((confidence - 0.87).abs() < 1e-6, "{confidence}");
    assert_eq!(seen[1].param("Digits"), None);
    assert_eq!(log.requests.len(), 2);
    assert_eq!(log.requests[1].status, Some(200));
    assert!(log.requests[1].body.contains("ships today"));
}

#[tokio::test]
async fn gather_digits_posts_the_digits_and_ignores_unusable_input() {
    let app = start_app(
        vec![
            (
                "/voice",
                twiml(
                    r#"<Response><Gather action="/keys-only"><Say>Press a key</Say></Gather><Gather input="dtmf" numDigits="4" action="/digits"><Play>https://cdn.example.com/menu.mp3</Play><Pause length="2"/></Gather></Response>"#,
                ),
            ),
            (
                "/digits",
                twiml(
                    r#"<Response><Gather input="speech" action="/never"><Say>Say it</Say></Gather><Say>No speech heard.</Say></Response>"#,
                ),
            ),
        ],
        None,
    )
    .await;
    let fake = fake().await;
    let caller = Caller::new(vec![
        Step::Say("operator".to_string()),
        Step::Press("12#9".to_string()),
        Step::Press("5".to_string()),
    ]);
    let log = fake
        .inbound_call(&app.url("/voice"), CALLER, NUMBER, caller)
        .await;
    assert_eq!(log.ended, EndReason::TwimlEnded, "{log:?}");
    assert!(
        app.seen_at("/keys-only").is_empty(),
        "speech is no key press"
    );
    assert_eq!(
        log.heard[1..3],
        [
            Heard::Play {
                url: "https://cdn.example.com/menu.mp3".to_string(),
                digits: None,
                in_gather: true,
            },
            Heard::Pause {
                seconds: 2,
                in_gather: true
            },
        ]
    );
    app.assert_all_signed();
    let digits = app.seen_at("/digits");
    assert_eq!(digits.len(), 1);
    assert_eq!(digits[0].param("Digits"), Some("12"));
    assert_eq!(digits[0].param("SpeechResult"), None);
    assert!(app.seen_at("/never").is_empty(), "a key press is no speech");
    assert_eq!(log.said(), ["Press a key", "Say it", "No speech heard."]);
}

#[tokio::test]
async fn silence_without_action_on_empty_result_falls_through() {
    let app = start_app(
        vec![(
            "/voice",
            twiml(
                r#"<Response><Gather input="speech dtmf" action="/heard"><Say>Hello?</Say></Gather><Say>Still there?</Say></Response>"#,
            ),
        )],
        None,
    )
    .await;
    let fake = fake().await;
    let log = fake
        .inbound_call(
            &app.url("/voice"),
            CALLER,
            NUMBER,
            Caller::new(vec![Step::Silence]),
        )
        .await;
    assert_eq!(log.ended, EndReason::TwimlEnded);
    assert_eq!(log.said(), ["Hello?", "Still there?"]);
    assert!(app.seen_at("/heard").is_empty());
    assert_eq!(log.requests.len(), 1);
}

#[tokio::test]
async fn silence_with_action_on_empty_result_posts_the_action() {
    let app = start_app(
        vec![
            (
                "/voice",
                twiml(
                    r#"<Response><Gather input="speech dtmf" actionOnEmptyResult="true"><Say>Hello?</Say></Gather><Say>never</Say></Response>"#,
                ),
            ),
        ],
        None,
    )
    .await;
    let fake = fake().await;
    // No action: the Gather posts back to the document's own URL; the caller then has no steps
    // left and hangs up at the second Gather.
    let log = fake
        .inbound_call(
            &app.url("/voice"),
            CALLER,
            NUMBER,
            Caller::new(vec![Step::Silence]),
        )
        .await;
    assert_eq!(log.ended, EndReason::CallerHungUp, "{log:?}");
    app.assert_all_signed();
    let seen = app.seen_at("/voice");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].method, "POST");
    assert_eq!(seen[1].param("SpeechResult"), None);
    assert_eq!(seen[1].param("Digits"), None);
    assert!(!log.said().contains(&"never"));
}

#[tokio::test]
async fn dial_posts_the_dial_call_status() {
    let app = start_app(
        vec![
            (
                "/voice",
                twiml(
                    r#"<Response><Dial action="/dialed" timeout="20" callerId="+14155550111"><Number>+14155550122</Number><Sip>sip:agent@pbx.example.com</Sip></Dial><Say>never</Say></Response>"#,
                ),
            ),
            (
                "/dialed",
                twiml("<Response><Dial>+14155550133</Dial><Say>After the second transfer.</Say></Response>"),
            ),
        ],
        None,
    )
    .await;
    let fake = fake().await;
    let caller = Caller::new(vec![Step::Transfer("busy".to_string())]);
    let log = fake
        .inbound_call(&app.url("/voice"), CALLER, NUMBER, caller)
        .await;
    assert_eq!(log.ended, EndReason::TwimlEnded, "{log:?}");
    app.assert_all_signed();
    let dialed = app.seen_at("/dialed");
    assert_eq!(dialed.len(), 1);
    assert_eq!(dialed[0].param("DialCallStatus"), Some("busy"));
    assert!(is_sid(dialed[0].param("DialCallSid").unwrap(), "CA"));
    assert_eq!(dialed[0].param("DialCallDuration"), Some("0"));
    assert_eq!(log.dialed.len(), 2);
    assert_eq!(log.dialed[0].verb, "Dial");
    assert_eq!(log.dialed[0].outcome, "busy");
    let targets: Vec<(&str, &str)> = log.dialed[0]
        .targets
        .iter()
        .map(|t| (t.kind.as_str(), t.target.as_str()))
        .collect();
    assert_eq!(
        targets,
        [
            ("number", "+14155550122"),
            ("sip", "sip:agent@pbx.example.com")
        ]
    );
    assert!(log.dialed[0]
        .attrs
        .contains(&("callerId".to_string(), "+14155550111".to_string())));
    assert_eq!(log.dialed[1].outcome, "completed");
    assert_eq!(log.dialed[1].targets[0].target, "+14155550133");
    assert_eq!(log.said(), ["After the second transfer."]);
}

#[tokio::test]
async fn enqueue_posts_the_queue_result() {
    let app = start_app(
        vec![
            (
                "/voice",
                twiml(r#"<Response><Enqueue action="/queued" waitUrl="/wait">support</Enqueue></Response>"#),
            ),
            ("/queued", twiml("<Response><Say>The queue is full.</Say></Response>")),
        ],
        None,
    )
    .await;
    let fake = fake().await;
    let caller = Caller::new(vec![Step::Transfer("queue-full".to_string())]);
    let log = fake
        .inbound_call(&app.url("/voice"), CALLER, NUMBER, caller)
        .await;
    assert_eq!(log.ended, EndReason::TwimlEnded, "{log:?}");
    app.assert_all_signed();
    let queued = app.seen_at("/queued");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].param("QueueResult"), Some("queue-full"));
    assert!(is_sid(queued[0].param("QueueSid").unwrap(), "QU"));
    assert!(queued[0].param("QueueTime").is_some());
    assert_eq!(log.dialed[0].verb, "Enqueue");
    assert_eq!(log.dialed[0].targets[0].kind, "queue");
    assert_eq!(log.dialed[0].targets[0].target, "support");
    assert_eq!(log.said(), ["The queue is full."]);
}

#[tokio::test]
async fn redirect_follows_with_get_and_post() {
    let app = start_app(
        vec![
            (
                "/voice",
                twiml(r#"<Response><Redirect method="GET">/next?step=one</Redirect><Say>never</Say></Response>"#),
            ),
            ("/next", twiml("<Response><Redirect>{base}/last</Redirect></Response>")),
            ("/last", twiml("<Response><Reject reason=\"busy\"/></Response>")),
        ],
        None,
    )
    .await;
    let fake = fake().await;
    let log = fake
        .inbound_call(&app.url("/voice"), CALLER, NUMBER, Caller::default())
        .await;
    assert_eq!(log.ended, EndReason::Reject("busy".to_string()), "{log:?}");
    app.assert_all_signed();
    let seen = app.seen();
    let paths: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [("POST", "/voice"), ("GET", "/next"), ("POST", "/last")]
    );
    assert!(seen[1].url.contains("?step=one&"), "{}", seen[1].url);
    assert_eq!(seen[1].param("step"), Some("one"));
    assert_eq!(seen[1].param("CallSid"), Some(log.call_sid.as_str()));
    assert!(log.said().is_empty());
}

#[tokio::test]
async fn hangup_ends_the_call_and_the_status_callback_follows() {
    let app = start_app(
        vec![
            (
                "/voice",
                twiml("<Response><Say>Goodbye.</Say><Hangup/><Say>never</Say></Response>"),
            ),
            ("/status", Page::Status(204, String::new())),
        ],
        None,
    )
    .await;
    let fake = fake().await;
    let log = fake
        .inbound_call_with_status(
            &app.url("/voice"),
            CALLER,
            NUMBER,
            Caller::default(),
            &app.url("/status"),
        )
        .await;
    assert_eq!(log.ended, EndReason::Hangup);
    assert_eq!(log.said(), ["Goodbye."]);
    app.assert_all_signed();
    let status = app.seen_at("/status");
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].param("CallStatus"), Some("completed"));
    assert_eq!(status[0].param("CallSid"), Some(log.call_sid.as_str()));
    assert_eq!(status[0].param("SequenceNumber"), Some("0"));
    let duration: u64 = status[0].param("CallDuration").unwrap().parse().unwrap();
    assert!(duration <= 5, "{duration}");
    let timestamp = status[0].param("Timestamp").unwrap();
    assert!(
        timestamp.ends_with(" +0000") && timestamp.len() == 31 && timestamp.as_bytes()[3] == b',',
        "{timestamp}"
    );
    assert_eq!(log.status_callbacks.len(), 1);
    assert_eq!(log.status_callbacks[0].status, Some(204));
}

#[tokio::test]
async fn application_errors_end_the_call() {
    let app = start_app(
        vec![
            ("/invalid", twiml("<Response><Say>unclosed</Response>")),
            (
                "/broken",
                Page::Status(500, "<Response><Say>oops</Say></Response>".into()),
            ),
            (
                "/unknown",
                twiml("<Response><Say>Hi</Say><Dance/></Response>"),
            ),
            ("/root", twiml("<Reply><Say>Hi</Say></Reply>")),
        ],
        None,
    )
    .await;
    let fake = fake().await;
    for (path, expected) in [
        ("/invalid", "not valid XML"),
        ("/broken", "HTTP 500"),
        ("/unknown", "<Dance>"),
        ("/root", "<Reply>"),
        ("/missing", "HTTP 404"),
    ] {
        let log = fake
            .inbound_call(&app.url(path), CALLER, NUMBER, Caller::default())
            .await;
        match &log.ended {
            EndReason::ApplicationError(error) => {
                assert!(error.contains(expected), "{path}: {error}")
            }
            other => panic!("{path}: ended with {other:?}"),
        }
        assert_eq!(log.said().last(), Some(&APPLICATION_ERROR), "{path}");
    }
    let unreachable = fake
        .inbound_call(
            "http://127.0.0.1:9/voice",
            CALLER,
            NUMBER,
            Caller::default(),
        )
        .await;
    assert!(
        matches!(unreachable.ended, EndReason::ApplicationError(_)),
        "{:?}",
        unreachable.ended
    );
    assert_eq!(unreachable.requests[0].status, None);
}

#[tokio::test]
async fn runaway_calls_hit_the_loop_guard() {
    let app = start_app(
        vec![(
            "/loop",
            twiml("<Response><Redirect>/loop</Redirect></Response>"),
        )],
        None,
    )
    .await;
    let fake = fake().await;
    let log = fake
        .inbound_call(&app.url("/loop"), CALLER, NUMBER, Caller::default())
        .await;
    assert_eq!(log.ended, EndReason::LoopGuard);
    assert_eq!(log.requests.len(), MAX_WEBHOOKS);
}

// ---------------------------------------------------------------------------------------------
// REST API

fn calls_url(fake: &FakeTwilio) -> String {
    format!(
        "{}/2010-04-01/Accounts/{}/Calls.json",
        fake.api_base_url(),
        fake.account_sid()
    )
}

#[tokio::test]
async fn rest_api_refuses_wrong_credentials() {
    let fake = fake().await;
    let client = reqwest::Client::new();
    for password in [Some("wrong-token"), None] {
        let response = client
            .post(calls_url(&fake))
            .basic_auth(ACCOUNT, password)
            .form(&[
                ("To", NUMBER),
                ("From", CALLER),
                ("Url", "http://127.0.0.1:9/x"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], 20003);
        assert_eq!(body["message"], "Authenticate");
        assert_eq!(body["status"], 401);
        assert!(body["more_info"].is_string());
    }
    let unauthenticated = client.post(calls_url(&fake)).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert!(fake.outbound_calls().await.is_empty());
}

#[tokio::test]
async fn rest_api_requires_a_url() {
    let fake = fake().await;
    let response = reqwest::Client::new()
        .post(calls_url(&fake))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(&[("To", NUMBER), ("From", CALLER)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 21205);
    assert_eq!(body["status"], 400);
    assert!(fake.outbound_calls().await.is_empty());
}

#[tokio::test]
async fn outbound_call_answered_by_a_person_with_machine_detection() {
    let app = start_app(
        vec![
            (
                "/outbound",
                twiml(r#"<Response><Gather input="speech" action="/answer"><Say>Is this Jane?</Say></Gather></Response>"#),
            ),
            ("/answer", twiml("<Response><Say>Thank you.</Say><Hangup/></Response>")),
            ("/status", Page::Status(200, String::new())),
        ],
        None,
    )
    .await;
    let fake = fake().await;
    let person = "+14155550177";
    let machine = "+14155550178";
    fake.on_outbound(
        person,
        Answer::Human(Caller::new(vec![Step::Say("yes it is".to_string())])),
    );
    fake.on_outbound(machine, Answer::Machine(Caller::default()));
    let client = reqwest::Client::new();
    let response = client
        .post(calls_url(&fake))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(&[
            ("To", person),
            ("From", NUMBER),
            ("Url", &app.url("/outbound")),
            ("StatusCallback", &app.url("/status")),
            ("StatusCallbackEvent", "initiated"),
            ("StatusCallbackEvent", "answered"),
            ("StatusCallbackEvent", "completed"),
            ("MachineDetection", "Enable"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let sid = created["sid"].as_str().unwrap().to_string();
    assert!(is_sid(&sid, "CA"), "{created}");
    assert_eq!(created["status"], "queued");
    assert_eq!(created["direction"], "outbound-api");
    assert_eq!(created["to"], person);
    assert_eq!(created["from"], NUMBER);
    assert_eq!(created["account_sid"], ACCOUNT);
    assert_eq!(
        created["uri"],
        format!("/2010-04-01/Accounts/{ACCOUNT}/Calls/{sid}.json")
    );
    assert!(created["date_created"].is_string());

    let call = fake
        .wait_outbound(person, WAIT)
        .await
        .expect("the call ends");
    assert_eq!(call.sid, sid);
    assert_eq!(call.param("MachineDetection"), Some("Enable"));
    let log = call.log.expect("a log");
    assert_eq!(log.ended, EndReason::Hangup, "{log:?}");
    assert_eq!(log.said(), ["Is this Jane?", "Thank you."]);
    app.assert_all_signed();
    let first = &app.seen_at("/outbound")[0];
    assert_eq!(first.param("AnsweredBy"), Some("human"));
    assert_eq!(first.param("Direction"), Some("outbound-api"));
    assert_eq!(first.param("CallStatus"), Some("in-progress"));
    assert_eq!(first.param("CallSid"), Some(sid.as_str()));
    assert_eq!(first.param("To"), Some(person));
    let answer = &app.seen_at("/answer")[0];
    assert_eq!(answer.param("SpeechResult"), Some("yes it is"));
    assert_eq!(answer.param("AnsweredBy"), None);

    let status = app.seen_at("/status");
    let statuses: Vec<(&str, &str)> = status
        .iter()
        .map(|s| {
            (
                s.param("CallStatus").unwrap(),
                s.param("SequenceNumber").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [("initiated", "0"), ("in-progress", "1"), ("completed", "2")]
    );
    assert!(status[2].param("CallDuration").is_some());
    assert!(status[2].param("Timestamp").is_some());
    assert_eq!(status[2].param("AnsweredBy"), Some("human"));
    assert_eq!(log.status_callbacks.len(), 3);

    // A machine, with detection asked.
    let response = client
        .post(calls_url(&fake))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(&[
            ("To", machine),
            ("From", NUMBER),
            ("Url", &app.url("/answer")),
            ("MachineDetection", "Enable"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let call = fake
        .wait_outbound(machine, WAIT)
        .await
        .expect("the call ends");
    let log = call.log.unwrap();
    assert_eq!(log.requests[0].param("AnsweredBy"), Some("machine_start"));
    assert_eq!(fake.outbound_calls().await.len(), 2);
}

#[tokio::test]
async fn busy_outbound_call_only_sends_the_status_callback() {
    let app = start_app(
        vec![
            ("/outbound", twiml("<Response><Say>never</Say></Response>")),
            ("/status", Page::Status(200, String::new())),
        ],
        None,
    )
    .await;
    let fake = fake().await;
    fake.on_outbound(CALLER, Answer::Busy);
    let response = reqwest::Client::new()
        .post(calls_url(&fake))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(&[
            ("To", CALLER),
            ("From", NUMBER),
            ("Url", &app.url("/outbound")),
            ("StatusCallback", &app.url("/status")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let call = fake
        .wait_outbound(CALLER, WAIT)
        .await
        .expect("the call ends");
    let log = call.log.unwrap();
    assert_eq!(log.ended, EndReason::NotAnswered("busy".to_string()));
    assert!(log.requests.is_empty());
    app.assert_all_signed();
    let seen = app.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].path, "/status");
    assert_eq!(seen[0].param("CallStatus"), Some("busy"));
    assert_eq!(seen[0].param("CallDuration"), Some("0"));
    assert_eq!(seen[0].param("SequenceNumber"), Some("0"));
    assert_eq!(seen[0].param("Direction"), Some("outbound-api"));
}

#[tokio::test]
async fn rest_hang_up_ends_a_live_call() {
    let app = start_app(
        vec![(
            "/voice",
            Page::Slow(
                Duration::from_secs(30),
                "<Response><Say>late</Say></Response>".into(),
            ),
        )],
        None,
    )
    .await;
    let fake = fake().await;
    let started = Instant::now();
    let call = tokio::spawn({
        let fake = fake.clone();
        let url = app.url("/voice");
        async move {
            fake.inbound_call(&url, CALLER, NUMBER, Caller::default())
                .await
        }
    });
    let sid = loop {
        if let Some(seen) = app.seen().first() {
            break seen.param("CallSid").unwrap().to_string();
        }
        assert!(started.elapsed() < WAIT, "the call never rang");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let update_url = format!(
        "{}/2010-04-01/Accounts/{ACCOUNT}/Calls/{sid}.json",
        fake.api_base_url()
    );
    let client = reqwest::Client::new();
    let response = client
        .post(&update_url)
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(&[("Status", "completed")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sid"], sid.as_str());
    let log = tokio::time::timeout(WAIT, call)
        .await
        .expect("the call ends when hung up")
        .unwrap();
    assert_eq!(log.ended, EndReason::HungUpByApi);
    assert!(started.elapsed() < Duration::from_secs(20));
    let updates = fake.call_updates().await;
    assert_eq!(updates.len(), 1);
    assert!(updates[0].applied);
    assert_eq!(updates[0].call_sid, sid);

    let late = client
        .post(&update_url)
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(&[("Url", app.url("/voice"))])
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 400, "an ended call cannot be redirected");
    let unknown = client
        .post(format!(
            "{}/2010-04-01/Accounts/{ACCOUNT}/Calls/CA00000000000000000000000000000000.json",
            fake.api_base_url()
        ))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(&[("Status", "completed")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

// ---------------------------------------------------------------------------------------------
// Media Streams

/// Reads the next JSON text message; `None` once the socket is closed.
async fn next_json(socket: &mut WebSocket) -> Option<Value> {
    loop {
        match socket.recv().await? {
            Ok(Message::Text(text)) => return serde_json::from_str(text.as_str()).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Reads until a message with this event, skipping others (the caller's steady media frames).
async fn next_event(socket: &mut WebSocket, event: &str) -> Option<Value> {
    loop {
        let message = next_json(socket).await?;
        if message["event"] == event {
            return Some(message);
        }
    }
}

async fn send_json(socket: &mut WebSocket, message: Value) {
    let _ = socket.send(Message::Text(message.to_string().into())).await;
}

/// Sends `bytes` of audio as media messages of 160 bytes.
async fn play(socket: &mut WebSocket, stream_sid: &str, bytes: usize) {
    let frame = STANDARD.encode([0x55u8; 160]);
    for _ in 0..bytes / 160 {
        send_json(
            socket,
            json!({"event": "media", "streamSid": stream_sid, "media": {"payload": frame}}),
        )
        .await;
    }
}

async fn mark(socket: &mut WebSocket, stream_sid: &str, name: &str) {
    send_json(
        socket,
        json!({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}),
    )
    .await;
}

/// Reads `connected` and `start`; the stream sid.
async fn started(socket: &mut WebSocket) -> Option<(Value, Value, String)> {
    let connected = next_json(socket).await?;
    let start = next_json(socket).await?;
    let sid = start["streamSid"].as_str()?.to_string();
    Some((connected, start, sid))
}

/// The shape of a message: keys and value types, not values.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let shape = if k == "customParameters" {
                        json!("object")
                    } else {
                        shape(v)
                    };
                    (k.clone(), shape)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().take(1).map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

fn docs() -> Value {
    fixture("twilio-media-streams/docs_message_examples.json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_start_matches_the_documented_shape() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler = ws_handler(move |mut socket, headers| {
        let tx = tx.clone();
        async move {
            let signature = headers
                .get("x-twilio-signature")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let first = started(&mut socket).await;
            let _ = tx.send((signature, first));
            let _ = socket.send(Message::Close(None)).await;
        }
    });
    let app = start_app(
        vec![
            (
                "/voice",
                twiml(
                    r#"<Response><Connect action="/after"><Stream url="{ws}" name="bot"><Parameter name="FirstName" value="Jane"/><Parameter name="LastName" value="Doe"/></Stream></Connect><Say>never</Say></Response>"#,
                ),
            ),
            ("/after", twiml("<Response><Say>Back from the stream.</Say><Hangup/></Response>")),
        ],
        Some(handler),
    )
    .await;
    let fake = fake().await;
    let log = fake
        .inbound_call(&app.url("/voice"), CALLER, NUMBER, Caller::default())
        .await;
    let (signature, first) = rx.recv().await.expect("the stream connected");
    let (connected, start, stream_sid) = first.expect("connected and start arrived");
    assert_eq!(signature, Some(sign(TOKEN, &app.ws_url, &[])));

    let docs = docs();
    assert_eq!(connected, docs["from_twilio"]["connected"]);
    assert_eq!(shape(&start), shape(&docs["from_twilio"]["start"]));
    assert!(is_sid(&stream_sid, "MZ"), "{stream_sid}");
    assert_eq!(start["start"]["streamSid"], stream_sid.as_str());
    assert_eq!(start["sequenceNumber"], "1");
    assert_eq!(start["start"]["accountSid"], ACCOUNT);
    assert_eq!(start["start"]["callSid"], log.call_sid.as_str());
    assert_eq!(start["start"]["tracks"], json!(["inbound"]));
    assert_eq!(
        start["start"]["mediaFormat"],
        docs["from_twilio"]["start"]["start"]["mediaFormat"]
    );
    assert_eq!(
        start["start"]["customParameters"],
        json!({"FirstName": "Jane", "LastName": "Doe"})
    );

    assert_eq!(log.ended, EndReason::Hangup, "{log:?}");
    assert_eq!(log.said(), ["Back from the stream."]);
    assert_eq!(log.streams.len(), 1);
    assert_eq!(log.streams[0].url, app.ws_url);
    let report = log.streams[0].report.as_ref().expect("a report");
    assert!(report.closed_by_server);
    assert!(!report.hung_up);
    assert_eq!(report.stream_sid, stream_sid);
    app.assert_all_signed();
    assert_eq!(app.seen_at("/after").len(), 1);
}

/// A server that records every message until `stop`, for the caller-side checks.
fn recording_server() -> (WsHandler, mpsc::UnboundedReceiver<Vec<Value>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handler = ws_handler(move |mut socket, _| {
        let tx = tx.clone();
        async move {
            let mut messages = Vec::new();
            while let Some(message) = next_json(&mut socket).await {
                let stop = message["event"] == "stop";
                messages.push(message);
                if stop {
                    break;
                }
            }
            let _ = tx.send(messages);
        }
    });
    (handler, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_frames_are_160_bytes_at_a_steady_pace() {
    let (handler, mut messages) = recording_server();
    let app = start_app(Vec::new(), Some(handler)).await;
    let mut stream = MediaStream::connect(&app.ws_url, TOKEN, ACCOUNT, "CA11", Vec::new())
        .await
        .expect("connects");
    let audio: Vec<u8> = (0..8000u32).map(|i| (i % 0x7f) as u8).collect();
    let started = Instant::now();
    stream.send_audio(&audio).await;
    let took = started.elapsed();
    stream.send_silence(100).await;
    let report = stream.hang_up().await;
    assert!(report.hung_up);
    assert!(
        took >= Duration::from_millis(800),
        "one second of audio was sent in {took:?}"
    );

    let messages = tokio::time::timeout(WAIT, messages.recv())
        .await
        .unwrap()
        .expect("the server saw the stream");
    assert_eq!(messages[0]["event"], "connected");
    assert_eq!(messages[1]["event"], "start");
    assert_eq!(messages.last().unwrap()["event"], "stop");
    let stream_sid = messages[1]["streamSid"].as_str().unwrap();
    let media: Vec<&Value> = messages.iter().filter(|m| m["event"] == "media").collect();
    let docs = docs();
    let mut payloads = Vec::new();
    for (i, message) in media.iter().enumerate() {
        assert_eq!(shape(message), shape(&docs["from_twilio"]["media"]));
        assert_eq!(message["sequenceNumber"], (i + 2).to_string());
        assert_eq!(message["media"]["chunk"], (i + 1).to_string());
        assert_eq!(message["media"]["timestamp"], (i * 20).to_string());
        assert_eq!(message["media"]["track"], "inbound");
        assert_eq!(message["streamSid"], stream_sid);
        let payload = STANDARD
            .decode(message["media"]["payload"].as_str().unwrap())
            .unwrap();
        assert_eq!(payload.len(), FRAME_BYTES);
        payloads.push(payload);
    }
    let stop = messages.last().unwrap();
    assert_eq!(stop["sequenceNumber"], (media.len() + 2).to_string());
    assert_eq!(shape(stop), shape(&docs["from_twilio"]["stop"]));
    assert_eq!(stop["stop"]["accountSid"], ACCOUNT);
    assert_eq!(stop["stop"]["callSid"], "CA11");
    assert_eq!(report.media_messages_sent, media.len());

    // The audio arrives whole and in order, between frames of line silence.
    let first = payloads
        .iter()
        .position(|p| p.iter().any(|b| *b != MULAW_SILENCE))
        .expect("the audio arrived");
    assert!(payloads[..first]
        .iter()
        .all(|p| p.iter().all(|b| *b == MULAW_SILENCE)));
    let sent: Vec<u8> = payloads[first..first + 50].concat();
    assert_eq!(sent, audio);
    assert!(payloads.len() >= first + 55, "100 ms of silence followed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_are_echoed_once_the_audio_before_them_has_played() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler = ws_handler(move |mut socket, _| {
        let tx = tx.clone();
        async move {
            let Some((_, _, sid)) = started(&mut socket).await else {
                return;
            };
            play(&mut socket, &sid, 8000).await;
            mark(&mut socket, &sid, "after-audio").await;
            let sent = Instant::now();
            let echo = next_event(&mut socket, "mark").await;
            let first_wait = sent.elapsed();
            mark(&mut socket, &sid, "nothing-before").await;
            let sent = Instant::now();
            let second = next_event(&mut socket, "mark").await;
            let second_wait = sent.elapsed();
            let _ = tx.send((first_wait, echo, second_wait, second));
            let _ = socket.send(Message::Close(None)).await;
        }
    });
    let app = start_app(Vec::new(), Some(handler)).await;
    let mut stream = MediaStream::connect(&app.ws_url, TOKEN, ACCOUNT, "CA22", Vec::new())
        .await
        .expect("connects");
    assert!(stream.wait_marks(2, WAIT).await, "{:?}", stream.report());
    let stream_sid = stream.stream_sid().to_string();
    let report = stream.wait_closed(WAIT).await;

    let (first_wait, echo, second_wait, second) = rx.recv().await.unwrap();
    let echo = echo.expect("the first mark was echoed");
    assert!(
        first_wait >= Duration::from_millis(700),
        "one second of audio played in {first_wait:?}"
    );
    assert!(first_wait < WAIT);
    assert_eq!(shape(&echo), shape(&docs()["from_twilio"]["mark"]));
    assert_eq!(echo["mark"]["name"], "after-audio");
    assert_eq!(echo["streamSid"], stream_sid.as_str());
    assert!(
        echo["sequenceNumber"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 1
    );
    let second = second.expect("the second mark was echoed");
    assert_eq!(second["mark"]["name"], "nothing-before");
    assert!(
        second_wait < Duration::from_millis(500),
        "a mark with nothing left to play waited {second_wait:?}"
    );

    assert_eq!(report.audio_bytes_received, 8000);
    assert_eq!(report.media_messages, 50);
    assert_eq!(
        report.marks_sent_by_server,
        ["after-audio", "nothing-before"]
    );
    assert_eq!(report.marks_echoed, ["after-audio", "nothing-before"]);
    assert!(report.closed_by_server);
    assert!(
        report.protocol_errors.is_empty(),
        "{:?}",
        report.protocol_errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_echoes_pending_marks_at_once() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler = ws_handler(move |mut socket, _| {
        let tx = tx.clone();
        async move {
            let Some((_, _, sid)) = started(&mut socket).await else {
                return;
            };
            play(&mut socket, &sid, 40_000).await;
            mark(&mut socket, &sid, "long-prompt").await;
            // Nothing may be echoed while five seconds of audio play.
            let early =
                tokio::time::timeout(Duration::from_millis(500), next_event(&mut socket, "mark"))
                    .await
                    .ok()
                    .flatten();
            send_json(&mut socket, json!({"event": "clear", "streamSid": sid})).await;
            let cleared = Instant::now();
            let echo = next_event(&mut socket, "mark").await;
            let _ = tx.send((early, cleared.elapsed(), echo));
            let _ = socket.send(Message::Close(None)).await;
        }
    });
    let app = start_app(Vec::new(), Some(handler)).await;
    let stream = MediaStream::connect(&app.ws_url, TOKEN, ACCOUNT, "CA33", Vec::new())
        .await
        .expect("connects");
    let report = stream.wait_closed(WAIT).await;
    let (early, after_clear, echo) = rx.recv().await.unwrap();
    assert!(early.is_none(), "a mark was echoed early: {early:?}");
    assert_eq!(
        echo.expect("echoed after clear")["mark"]["name"],
        "long-prompt"
    );
    assert!(
        after_clear < Duration::from_secs(2),
        "the echo came {after_clear:?} after the clear"
    );
    assert_eq!(report.clears, 1);
    assert_eq!(report.marks_echoed, ["long-prompt"]);
    assert!(
        report.audio_bytes_cleared > 24_000,
        "{} bytes cleared",
        report.audio_bytes_cleared
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtmf_message_has_the_documented_shape() {
    let (handler, mut messages) = recording_server();
    let app = start_app(Vec::new(), Some(handler)).await;
    let mut stream = MediaStream::connect(&app.ws_url, TOKEN, ACCOUNT, "CA44", Vec::new())
        .await
        .expect("connects");
    stream.send_dtmf('7').await;
    let report = stream.hang_up().await;
    assert_eq!(report.dtmf_sent, 1);
    let messages = tokio::time::timeout(WAIT, messages.recv())
        .await
        .unwrap()
        .unwrap();
    let dtmf: Vec<&Value> = messages.iter().filter(|m| m["event"] == "dtmf").collect();
    assert_eq!(dtmf.len(), 1, "{messages:?}");
    assert_eq!(shape(dtmf[0]), shape(&docs()["from_twilio"]["dtmf"]));
    assert_eq!(dtmf[0]["dtmf"]["digit"], "7");
    assert_eq!(dtmf[0]["dtmf"]["track"], "inbound_track");
    assert_eq!(dtmf[0]["streamSid"], report.stream_sid.as_str());
    // One sequence for every message after `connected`.
    let sequence: Vec<u64> = messages[1..]
        .iter()
        .map(|m| m["sequenceNumber"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        sequence.windows(2).all(|w| w[1] == w[0] + 1),
        "{sequence:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_speech_waits_for_prompts_then_the_call_goes_on() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler = ws_handler(move |mut socket, _| {
        let tx = tx.clone();
        async move {
            let Some((_, _, sid)) = started(&mut socket).await else {
                return;
            };
            play(&mut socket, &sid, 3200).await;
            mark(&mut socket, &sid, "greeting").await;
            let greeting = next_event(&mut socket, "mark").await;
            let dtmf = next_event(&mut socket, "dtmf").await;
            play(&mut socket, &sid, 2400).await;
            mark(&mut socket, &sid, "reply").await;
            let reply = next_event(&mut socket, "mark").await;
            let _ = tx.send((greeting, dtmf, reply));
            let _ = socket.send(Message::Close(None)).await;
        }
    });
    let app = start_app(
        vec![(
            "/voice",
            twiml(r#"<Response><Connect><Stream url="{ws}"/></Connect><Say>After the stream.</Say></Response>"#),
        )],
        Some(handler),
    )
    .await;
    let fake = fake().await;
    let script = ScriptedSpeech::new(vec![
        MediaStep::WaitForPrompt,
        MediaStep::Dtmf("1".to_string()),
        MediaStep::WaitForPrompt,
        MediaStep::WaitClosed,
    ]);
    let log = fake
        .inbound_call(
            &app.url("/voice"),
            CALLER,
            NUMBER,
            Caller::with_media(script),
        )
        .await;
    let (greeting, dtmf, reply) = rx.recv().await.unwrap();
    assert_eq!(greeting.unwrap()["mark"]["name"], "greeting");
    assert_eq!(dtmf.unwrap()["dtmf"]["digit"], "1");
    assert_eq!(reply.unwrap()["mark"]["name"], "reply");

    assert_eq!(log.ended, EndReason::TwimlEnded, "{log:?}");
    assert_eq!(log.said(), ["After the stream."]);
    let report: &StreamReport = log.streams[0].report.as_ref().unwrap();
    assert_eq!(report.marks_echoed, ["greeting", "reply"]);
    assert!(report.closed_by_server);
    assert!(report.timeouts.is_empty(), "{:?}", report.timeouts);
    assert_eq!(report.response_latencies.len(), 1);
    assert!(report.first_audio_after_last_input.is_some());
    assert_eq!(report.audio_bytes_received, 5600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_barge_in_speaks_over_the_prompt() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler = ws_handler(move |mut socket, _| {
        let tx = tx.clone();
        async move {
            let Some((_, _, sid)) = started(&mut socket).await else {
                return;
            };
            play(&mut socket, &sid, 24_000).await;
            mark(&mut socket, &sid, "prompt").await;
            let started = Instant::now();
            // Clears as soon as the caller's speech (anything but silence) arrives.
            while let Some(message) = next_json(&mut socket).await {
                let payload = message["media"]["payload"].as_str().unwrap_or_default();
                let audio = STANDARD.decode(payload).unwrap_or_default();
                if audio.iter().any(|b| *b != MULAW_SILENCE) {
                    break;
                }
            }
            let heard_speech_after = started.elapsed();
            send_json(&mut socket, json!({"event": "clear", "streamSid": sid})).await;
            let echo = next_event(&mut socket, "mark").await;
            let _ = tx.send((heard_speech_after, echo));
            let _ = socket.send(Message::Close(None)).await;
        }
    });
    let app = start_app(
        vec![(
            "/voice",
            twiml(r#"<Response><Connect><Stream url="{ws}"/></Connect></Response>"#),
        )],
        Some(handler),
    )
    .await;
    let fake = fake().await;
    let speech = replay_fixture_audio()[8000..16_000].to_vec();
    let script = ScriptedSpeech::new(vec![
        MediaStep::BargeIn,
        MediaStep::Speak(speech),
        MediaStep::WaitClosed,
    ]);
    let log = fake
        .inbound_call(
            &app.url("/voice"),
            CALLER,
            NUMBER,
            Caller::with_media(script),
        )
        .await;
    let (heard_speech_after, echo) = rx.recv().await.unwrap();
    assert!(
        heard_speech_after < Duration::from_secs(2),
        "the caller spoke {heard_speech_after:?} into a three-second prompt"
    );
    assert_eq!(echo.unwrap()["mark"]["name"], "prompt");
    let report = log.streams[0].report.as_ref().unwrap();
    assert_eq!(report.clears, 1);
    assert_eq!(report.marks_echoed, ["prompt"]);
    assert!(report.audio_bytes_cleared > 0);
    assert!(report.closed_by_server);
    assert_eq!(log.ended, EndReason::TwimlEnded);
}

#[test]
fn replay_fixture_audio_is_the_whole_recording() {
    let audio = replay_fixture_audio();
    assert_eq!(audio.len(), 37_440);
    assert!(audio.iter().filter(|b| **b != MULAW_SILENCE).count() > 10_000);
}
