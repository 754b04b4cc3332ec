//! A fake Twilio: signed voice webhooks that follow TwiML as Twilio does, the REST API for
//! placing and changing calls, and status callbacks.
//!
//! A call is driven by a [`Caller`]: the steps it takes whenever the TwiML asks for input
//! (`<Gather>`, `<Dial>`, `<Enqueue>`), and what it does on a media stream (`<Connect><Stream>`).
//! Everything that happened is returned as a [`CallLog`].
//!
//! Webhooks are form POSTs (or GETs when the TwiML says `method="GET"`) with Twilio's standard
//! parameters and an `X-Twilio-Signature` made by [`sign`] over the exact URL requested. The first
//! webhook of an inbound call carries `CallStatus=ringing`, as Twilio's does; every later one, and
//! every webhook of an outbound call, carries `in-progress`.
//!
//! Rules this fake follows that a caller script relies on:
//! - A `<Gather>` takes the caller's next step. `Say` answers when the input includes speech,
//!   `Press` when it includes dtmf (digits up to `finishOnKey`, at most `numDigits`); otherwise
//!   the step counts as no input. `Silence` is no input. No input posts the action only with
//!   `actionOnEmptyResult="true"`, otherwise the call goes on with the next verb. `HangUp` ends
//!   the call. A `Transfer` step is left for the next `<Dial>`/`<Enqueue>` and counts as no
//!   input. A caller with no steps left hangs up at a `<Gather>`.
//! - A `<Dial>`/`<Enqueue>` takes the next step when it is `Transfer` (its outcome) or `HangUp`
//!   (the caller hangs up during the transfer: the action is still requested and its answer
//!   ignored, as Twilio does); otherwise the outcome is `completed` (Dial) or `bridged` (Enqueue).
//! - A media stream runs the caller's [`MediaBehaviour`]; without one, the caller listens until
//!   the server closes the stream and hangs up after 30 s.
//! - Any non-2xx answer, unreachable URL, invalid XML, root other than `<Response>`, or verb this
//!   fake does not follow ends the call with [`EndReason::ApplicationError`] after the caller
//!   hears Twilio's "application error" message. After 200 webhooks a call ends with
//!   [`EndReason::LoopGuard`].

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;
use tokio::sync::{mpsc, watch};

use super::media::{ListenUntilClosed, MediaBehaviour, MediaStream, StreamReport};

/// The API version in every webhook and REST path.
pub const API_VERSION: &str = "2010-04-01";
/// Webhook requests after which a call is ended as runaway.
pub const MAX_WEBHOOKS: usize = 200;
/// What Twilio tells the caller when the application fails.
pub const APPLICATION_ERROR: &str = "We are sorry, an application error has occurred. Goodbye.";
/// How long Twilio waits for a webhook's answer.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a caller without a media behaviour stays on a stream the server does not close.
pub const DEFAULT_STREAM_WAIT: Duration = Duration::from_secs(30);
/// The confidence sent with `Step::Say`.
pub const DEFAULT_CONFIDENCE: f32 = 0.92;

/// Signs like Twilio: the parameters sorted by name (then value), each name and value appended
/// to the exact URL, HMAC-SHA1 keyed by the auth token, standard padded base64.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| {
        a.0.encode_utf16()
            .cmp(b.0.encode_utf16())
            .then_with(|| a.1.encode_utf16().cmp(b.1.encode_utf16()))
    });
    let mut mac =
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// A new Twilio-style sid: the two-letter prefix and 32 lowercase hex digits.
pub fn new_sid(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// What the caller does, in order, each step taken when the TwiML asks for input.
#[derive(Clone, Debug)]
pub enum Step {
    /// Says this (speech recognised with confidence 0.92).
    Say(String),
    /// Says this, recognised with this confidence.
    SayWithConfidence(String, f32),
    /// Presses these keys.
    Press(String),
    /// Says nothing.
    Silence,
    /// Hangs up.
    HangUp,
    /// How the next `<Dial>` or `<Enqueue>` ends. Dial: `completed`, `answered`, `busy`,
    /// `no-answer`, `failed` or `canceled`; Enqueue: `bridged`, `hangup`, `queue-full`, `error`
    /// or `leave`.
    Transfer(String),
}

/// A caller: the steps it takes, and what it does on a media stream.
#[derive(Clone, Default)]
pub struct Caller {
    pub steps: Vec<Step>,
    /// What the caller does on a `<Connect><Stream>`; without it, it listens until the server
    /// closes the stream (hanging up after 30 s).
    pub media: Option<Arc<dyn MediaBehaviour>>,
}

impl Caller {
    /// A caller who takes these steps.
    pub fn new(steps: Vec<Step>) -> Caller {
        Caller { steps, media: None }
    }

    /// A caller who does this on a media stream.
    pub fn with_media(media: impl MediaBehaviour + 'static) -> Caller {
        Caller {
            steps: Vec::new(),
            media: Some(Arc::new(media)),
        }
    }
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("steps", &self.steps)
            .field("media", &self.media.as_ref().map(|_| "…"))
            .finish()
    }
}

/// What happens when an outbound call is placed to a number.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A person answers (`AnsweredBy=human` when machine detection was asked).
    Human(Caller),
    /// A machine answers (`AnsweredBy=machine_start`, or `machine_end_beep` with
    /// `MachineDetection=DetectMessageEnd`).
    Machine(Caller),
    NoAnswer,
    Busy,
    Failed,
}

/// Something the caller heard, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Heard {
    Say {
        text: String,
        voice: Option<String>,
        language: Option<String>,
        in_gather: bool,
    },
    Play {
        url: String,
        digits: Option<String>,
        in_gather: bool,
    },
    Pause {
        seconds: u32,
        in_gather: bool,
    },
}

/// One request Twilio made to the application, and its answer.
#[derive(Clone, Debug, Default)]
pub struct WebhookExchange {
    /// `POST` or `GET`.
    pub method: String,
    /// The exact URL requested (for GET, with the parameters in the query).
    pub url: String,
    /// The parameters sent (in the body for POST, in the query for GET).
    pub params: Vec<(String, String)>,
    /// The `X-Twilio-Signature` sent.
    pub signature: String,
    /// The HTTP status of the answer; `None` when there was no answer.
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub body: String,
    /// Why there was no usable answer (unreachable, timed out…).
    pub error: Option<String>,
}

impl WebhookExchange {
    /// The first value of a parameter sent.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }
}

/// One party a `<Dial>` called, or the queue of an `<Enqueue>`.
#[derive(Clone, Debug, PartialEq)]
pub struct DialTarget {
    /// `number`, `sip`, `client`, `queue` or `conference`.
    pub kind: String,
    pub target: String,
    /// The noun's attributes.
    pub attrs: Vec<(String, String)>,
}

/// A `<Dial>` or `<Enqueue>`, and how it ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Dialed {
    /// `Dial` or `Enqueue`.
    pub verb: String,
    pub targets: Vec<DialTarget>,
    /// The verb's attributes.
    pub attrs: Vec<(String, String)>,
    /// `DialCallStatus` or `QueueResult`.
    pub outcome: String,
}

/// A `<Connect><Stream>` session.
#[derive(Clone, Debug)]
pub struct StreamLog {
    pub url: String,
    /// The `<Parameter>`s, sent as `customParameters`.
    pub parameters: Vec<(String, String)>,
    /// The `<Stream>` attributes.
    pub attrs: Vec<(String, String)>,
    /// What the media behaviour reported; `None` when the stream did not open or the call was
    /// ended through the REST API while it ran.
    pub report: Option<StreamReport>,
    /// Why the stream did not open.
    pub error: Option<String>,
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// `<Hangup/>`.
    Hangup,
    /// `<Reject/>`, with its reason (`rejected` unless it said `busy`).
    Reject(String),
    /// The caller hung up (a `HangUp` step, no steps left at a `<Gather>`, or the media
    /// behaviour hung up).
    CallerHungUp,
    /// The TwiML ran out of verbs.
    TwimlEnded,
    /// The application failed (and the caller heard [`APPLICATION_ERROR`]).
    ApplicationError(String),
    /// Hung up through the REST API (`Status=completed` or `canceled`).
    HungUpByApi,
    /// More than [`MAX_WEBHOOKS`] webhook requests.
    LoopGuard,
    /// An outbound call that was never answered: `busy`, `no-answer` or `failed`.
    NotAnswered(String),
}

/// Everything that happened on one call.
#[derive(Clone, Debug)]
pub struct CallLog {
    pub call_sid: String,
    pub from: String,
    pub to: String,
    /// `inbound` or `outbound-api`.
    pub direction: String,
    pub heard: Vec<Heard>,
    /// Every webhook request, in order (status callbacks are in `status_callbacks`).
    pub requests: Vec<WebhookExchange>,
    pub dialed: Vec<Dialed>,
    pub streams: Vec<StreamLog>,
    pub status_callbacks: Vec<WebhookExchange>,
    pub ended: EndReason,
    pub duration: Duration,
}

impl CallLog {
    fn new(call_sid: &str, from: &str, to: &str, direction: &str) -> CallLog {
        CallLog {
            call_sid: call_sid.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            direction: direction.to_string(),
            heard: Vec::new(),
            requests: Vec::new(),
            dialed: Vec::new(),
            streams: Vec::new(),
            status_callbacks: Vec::new(),
            ended: EndReason::TwimlEnded,
            duration: Duration::ZERO,
        }
    }

    /// The text of every `<Say>` heard, in order.
    pub fn said(&self) -> Vec<&str> {
        self.heard
            .iter()
            .filter_map(|heard| match heard {
                Heard::Say { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The webhook requests whose URL contains `needle`.
    pub fn requests_to(&self, needle: &str) -> Vec<&WebhookExchange> {
        self.requests
            .iter()
            .filter(|r| r.url.contains(needle))
            .collect()
    }
}

/// An outbound call placed through the REST API.
#[derive(Clone, Debug)]
pub struct OutboundCall {
    pub sid: String,
    pub to: String,
    pub from: String,
    /// The REST request's form parameters, as received.
    pub params: Vec<(String, String)>,
    /// The call's log, once it has finished.
    pub log: Option<CallLog>,
    /// Its final status (`completed`, `busy`, `no-answer`, `failed`), once it has finished.
    pub status: Option<String>,
    /// Answering-machine detection's verdict, when it was asked and the call was answered.
    pub answered_by: Option<String>,
}

impl OutboundCall {
    /// The first value of a REST parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }
}

/// A `POST …/Calls/{Sid}.json` request.
#[derive(Clone, Debug)]
pub struct CallUpdate {
    pub call_sid: String,
    pub params: Vec<(String, String)>,
    /// Whether it reached a live call.
    pub applied: bool,
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

enum Control {
    HangUp,
    Redirect { url: String, method: String },
    Twiml(String),
}

struct KnownCall {
    from: String,
    to: String,
    direction: &'static str,
}

struct Shared {
    account_sid: String,
    auth_token: String,
    api_base_url: String,
    http: reqwest::Client,
    answers: Mutex<HashMap<String, Answer>>,
    outbound: Mutex<Vec<OutboundCall>>,
    updates: Mutex<Vec<CallUpdate>>,
    live: Mutex<HashMap<String, mpsc::UnboundedSender<Control>>>,
    known: Mutex<HashMap<String, KnownCall>>,
    changed: watch::Sender<u64>,
}

impl Shared {
    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

struct Inner {
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A fake Twilio account: its REST API on `127.0.0.1`, and the calls it makes to the
/// application. Clones share the same account; the API stops when the last clone is dropped.
#[derive(Clone)]
pub struct FakeTwilio {
    inner: Arc<Inner>,
}

impl fmt::Debug for FakeTwilio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeTwilio")
            .field("api_base_url", &self.inner.shared.api_base_url)
            .field("account_sid", &self.inner.shared.account_sid)
            .finish_non_exhaustive()
    }
}

impl FakeTwilio {
    /// Starts the REST API on `127.0.0.1:0` for this account.
    pub async fn start(account_sid: &str, auth_token: &str) -> FakeTwilio {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the fake Twilio API on 127.0.0.1");
        let address = listener
            .local_addr()
            .expect("the fake Twilio API's address");
        let http = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .build()
            .expect("building the fake Twilio's HTTP client");
        let (changed, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            api_base_url: format!("http://{address}"),
            http,
            answers: Mutex::new(HashMap::new()),
            outbound: Mutex::new(Vec::new()),
            updates: Mutex::new(Vec::new()),
            live: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
            changed,
        });
        let router = Router::new()
            .route("/2010-04-01/Accounts/{account}", get(fetch_account))
            .route(
                "/2010-04-01/Accounts/{account}/Calls.json",
                post(create_call),
            )
            .route(
                "/2010-04-01/Accounts/{account}/Calls/{call}",
                post(update_call).get(fetch_call),
            )
            .fallback(not_found)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        FakeTwilio {
            inner: Arc::new(Inner { shared, server }),
        }
    }

    /// `http://127.0.0.1:PORT`; the REST paths (`/2010-04-01/Accounts/…`) go after it.
    pub fn api_base_url(&self) -> String {
        self.inner.shared.api_base_url.clone()
    }

    pub fn account_sid(&self) -> &str {
        &self.inner.shared.account_sid
    }

    pub fn auth_token(&self) -> &str {
        &self.inner.shared.auth_token
    }

    /// Rings `voice_url` as an inbound call from `from` to `to`, then follows the TwiML with
    /// `caller` until the call ends.
    pub async fn inbound_call(
        &self,
        voice_url: &str,
        from: &str,
        to: &str,
        caller: Caller,
    ) -> CallLog {
        self.inbound(voice_url, from, to, caller, None).await
    }

    /// As [`FakeTwilio::inbound_call`], then sends the `completed` status callback (form POST,
    /// `CallStatus=completed`, `CallDuration`, `Timestamp`, `SequenceNumber=0`) to
    /// `status_callback_url`, as Twilio does for a number's status callback.
    pub async fn inbound_call_with_status(
        &self,
        voice_url: &str,
        from: &str,
        to: &str,
        caller: Caller,
        status_callback_url: &str,
    ) -> CallLog {
        self.inbound(voice_url, from, to, caller, Some(status_callback_url))
            .await
    }

    async fn inbound(
        &self,
        voice_url: &str,
        from: &str,
        to: &str,
        caller: Caller,
        status_callback_url: Option<&str>,
    ) -> CallLog {
        let shared = self.inner.shared.clone();
        let sid = new_sid("CA");
        let mut call = Call::new(
            shared.clone(),
            &sid,
            from,
            to,
            "inbound",
            caller,
            Vec::new(),
        );
        let ended = call
            .run(Next::Fetch {
                url: voice_url.to_string(),
                method: "POST".to_string(),
                extra: Vec::new(),
            })
            .await;
        let mut log = call.finish(ended);
        let mut callbacks = StatusCallbacks {
            url: status_callback_url.map(str::to_string),
            method: "POST".to_string(),
            events: vec!["completed".to_string()],
            sequence: 0,
            answered_by: None,
            sent: Vec::new(),
        };
        let seconds = whole_seconds(log.duration);
        callbacks
            .event(&shared, &log, "completed", "completed", Some(seconds))
            .await;
        log.status_callbacks = callbacks.sent;
        log
    }

    /// Sets what happens to outbound calls placed to `to` from now on (a number with no answer
    /// set does not answer).
    pub fn on_outbound(&self, to: &str, answer: Answer) {
        lock(&self.inner.shared.answers).insert(to.to_string(), answer);
    }

    /// Outbound calls placed so far, in order.
    pub async fn outbound_calls(&self) -> Vec<OutboundCall> {
        lock(&self.inner.shared.outbound).clone()
    }

    /// Requests to change a call (`POST …/Calls/{Sid}.json`) received so far, in order.
    pub async fn call_updates(&self) -> Vec<CallUpdate> {
        lock(&self.inner.shared.updates).clone()
    }

    /// Waits until the latest outbound call placed to `to` has finished (its status callbacks
    /// sent), up to `timeout`; `None` when none finished in time.
    pub async fn wait_outbound(&self, to: &str, timeout: Duration) -> Option<OutboundCall> {
        let shared = &self.inner.shared;
        let mut changed = shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            drop(changed.borrow_and_update());
            let finished = lock(&shared.outbound)
                .iter()
                .rev()
                .find(|call| call.to == to)
                .filter(|call| call.log.is_some())
                .cloned();
            if finished.is_some() {
                return finished;
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }
}

enum Next {
    Fetch {
        url: String,
        method: String,
        extra: Vec<(String, String)>,
    },
    Document {
        twiml: String,
        url: Option<String>,
    },
    End(EndReason),
}

/// One TwiML element, owned.
#[derive(Debug)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    /// The element's own text.
    text: String,
    /// All the text inside it (for `<Say>` with SSML).
    all_text: String,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        param(&self.attrs, name)
    }
}

fn parse_twiml(body: &str) -> Result<Vec<Node>, String> {
    let doc = roxmltree::Document::parse(body)
        .map_err(|e| format!("the answer is not valid XML ({e}): {}", excerpt(body)))?;
    let root = doc.root_element();
    if root.tag_name().name() != "Response" {
        return Err(format!(
            "the answer's root element is <{}>, not <Response>",
            root.tag_name().name()
        ));
    }
    Ok(root
        .children()
        .filter(|n| n.is_element())
        .map(to_node)
        .collect())
}

fn to_node(node: roxmltree::Node<'_, '_>) -> Node {
    let text: String = node
        .children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    let all_text: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    Node {
        name: node.tag_name().name().to_string(),
        attrs: node
            .attributes()
            .map(|a| (a.name().to_string(), a.value().to_string()))
            .collect(),
        text: text.trim().to_string(),
        all_text: all_text.split_whitespace().collect::<Vec<_>>().join(" "),
        children: node
            .children()
            .filter(|n| n.is_element())
            .map(to_node)
            .collect(),
    }
}

fn excerpt(text: &str) -> String {
    let mut cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

/// Resolves a TwiML URL against the document's URL.
fn resolve(base: Option<&str>, target: &str) -> Result<String, String> {
    let target = target.trim();
    if target.is_empty() {
        return Err("an empty URL in the TwiML".to_string());
    }
    if reqwest::Url::parse(target).is_ok() {
        return Ok(target.to_string());
    }
    let base = base.ok_or_else(|| {
        format!("the relative URL {target:?} cannot be resolved: the TwiML came without a URL")
    })?;
    let base =
        reqwest::Url::parse(base).map_err(|e| format!("the URL {base} is not valid: {e}"))?;
    base.join(target)
        .map(|url| url.to_string())
        .map_err(|e| format!("the URL {target:?} cannot be resolved against {base}: {e}"))
}

fn country(number: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 10] = [
        ("+1", "US"),
        ("+86", "CN"),
        ("+852", "HK"),
        ("+44", "GB"),
        ("+49", "DE"),
        ("+33", "FR"),
        ("+81", "JP"),
        ("+61", "AU"),
        ("+91", "IN"),
        ("+65", "SG"),
    ];
    PREFIXES
        .iter()
        .filter(|(prefix, _)| number.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, code)| *code)
        .unwrap_or("")
}

fn standard_params(
    account_sid: &str,
    call_sid: &str,
    from: &str,
    to: &str,
    direction: &str,
    status: &str,
) -> Vec<(String, String)> {
    let (from_country, to_country) = (country(from), country(to));
    [
        ("AccountSid", account_sid),
        ("ApiVersion", API_VERSION),
        ("CallSid", call_sid),
        ("CallStatus", status),
        ("Called", to),
        ("CalledCity", ""),
        ("CalledCountry", to_country),
        ("CalledState", ""),
        ("CalledZip", ""),
        ("Caller", from),
        ("CallerCity", ""),
        ("CallerCountry", from_country),
        ("CallerState", ""),
        ("CallerZip", ""),
        ("Direction", direction),
        ("From", from),
        ("FromCity", ""),
        ("FromCountry", from_country),
        ("FromState", ""),
        ("FromZip", ""),
        ("To", to),
        ("ToCity", ""),
        ("ToCountry", to_country),
        ("ToState", ""),
        ("ToZip", ""),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect()
}

fn pair(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_string(), value.into())
}

/// Makes one signed request as Twilio does and records it.
async fn send_signed(
    shared: &Shared,
    url: &str,
    method: &str,
    params: Vec<(String, String)>,
) -> WebhookExchange {
    let method = method.trim().to_ascii_uppercase();
    let mut exchange = WebhookExchange {
        method: method.clone(),
        url: url.to_string(),
        params,
        ..WebhookExchange::default()
    };
    let parsed = match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => parsed,
        Ok(_) => {
            exchange.error = Some(format!("the URL {url} is not http or https"));
            return exchange;
        }
        Err(e) => {
            exchange.error = Some(format!("the URL {url} is not valid: {e}"));
            return exchange;
        }
    };
    let request = match method.as_str() {
        "GET" => {
            let mut with_query = parsed;
            with_query.query_pairs_mut().extend_pairs(
                exchange
                    .params
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str())),
            );
            exchange.url = with_query.to_string();
            exchange.signature = sign(&shared.auth_token, &exchange.url, &[]);
            shared.http.get(with_query)
        }
        "POST" => {
            exchange.signature = sign(&shared.auth_token, url, &exchange.params);
            shared.http.post(parsed).form(&exchange.params)
        }
        other => {
            exchange.error = Some(format!("the method {other:?} is neither GET nor POST"));
            return exchange;
        }
    };
    let response = request
        .header("X-Twilio-Signature", &exchange.signature)
        .header(header::USER_AGENT, "TwilioProxy/1.1")
        .send()
        .await;
    match response {
        Err(e) => exchange.error = Some(format!("requesting {} failed: {e}", exchange.url)),
        Ok(response) => {
            exchange.status = Some(response.status().as_u16());
            exchange.content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            match response.text().await {
                Ok(body) => exchange.body = body,
                Err(e) => {
                    exchange.error = Some(format!(
                        "reading the answer of {} failed: {e}",
                        exchange.url
                    ))
                }
            }
        }
    }
    exchange
}

/// A call being followed.
struct Call {
    shared: Arc<Shared>,
    steps: VecDeque<Step>,
    media: Option<Arc<dyn MediaBehaviour>>,
    /// Parameters for the first webhook only (`AnsweredBy`).
    first_extra: Vec<(String, String)>,
    webhooks: usize,
    log: CallLog,
    started: Instant,
}

impl Call {
    fn new(
        shared: Arc<Shared>,
        sid: &str,
        from: &str,
        to: &str,
        direction: &'static str,
        caller: Caller,
        first_extra: Vec<(String, String)>,
    ) -> Call {
        lock(&shared.known).insert(
            sid.to_string(),
            KnownCall {
                from: from.to_string(),
                to: to.to_string(),
                direction,
            },
        );
        Call {
            shared,
            steps: caller.steps.into(),
            media: caller.media,
            first_extra,
            webhooks: 0,
            log: CallLog::new(sid, from, to, direction),
            started: Instant::now(),
        }
    }

    fn finish(mut self, ended: EndReason) -> CallLog {
        self.log.ended = ended;
        self.log.duration = self.started.elapsed();
        self.log
    }

    /// Follows the call until it ends, obeying REST changes meanwhile.
    async fn run(&mut self, first: Next) -> EndReason {
        let (control_tx, mut control) = mpsc::unbounded_channel();
        let sid = self.log.call_sid.clone();
        lock(&self.shared.live).insert(sid.clone(), control_tx);
        let mut next = first;
        let ended = loop {
            let current = match next {
                Next::End(reason) => break reason,
                other => other,
            };
            next = tokio::select! {
                next = self.step(current) => next,
                Some(change) = control.recv() => match change {
                    Control::HangUp => Next::End(EndReason::HungUpByApi),
                    Control::Redirect { url, method } => Next::Fetch { url, method, extra: Vec::new() },
                    Control::Twiml(twiml) => Next::Document { twiml, url: None },
                },
            };
        };
        lock(&self.shared.live).remove(&sid);
        ended
    }

    async fn step(&mut self, current: Next) -> Next {
        let (body, document_url) = match current {
            Next::Fetch { url, method, extra } => match self.fetch(&url, &method, extra).await {
                Ok(body) => (body, Some(url)),
                Err(ended) => return Next::End(ended),
            },
            Next::Document { twiml, url } => (twiml, url),
            Next::End(reason) => return Next::End(reason),
        };
        let verbs = match parse_twiml(&body) {
            Ok(verbs) => verbs,
            Err(e) => return self.application_error(e),
        };
        for verb in &verbs {
            if let Some(next) = self.verb(verb, document_url.as_deref()).await {
                return next;
            }
        }
        Next::End(EndReason::TwimlEnded)
    }

    fn application_error(&mut self, error: String) -> Next {
        self.hear_application_error();
        Next::End(EndReason::ApplicationError(error))
    }

    fn hear_application_error(&mut self) {
        self.log.heard.push(Heard::Say {
            text: APPLICATION_ERROR.to_string(),
            voice: None,
            language: Some("en-US".to_string()),
            in_gather: false,
        });
    }

    /// Makes one webhook request; the answer's body when it is 2xx.
    async fn request(
        &mut self,
        url: &str,
        method: &str,
        extra: Vec<(String, String)>,
    ) -> Result<String, EndReason> {
        if self.webhooks >= MAX_WEBHOOKS {
            return Err(EndReason::LoopGuard);
        }
        let status = if self.webhooks == 0 && self.log.direction == "inbound" {
            "ringing"
        } else {
            "in-progress"
        };
        self.webhooks += 1;
        let mut params = standard_params(
            &self.shared.account_sid,
            &self.log.call_sid,
            &self.log.from,
            &self.log.to,
            &self.log.direction,
            status,
        );
        params.append(&mut self.first_extra);
        params.extend(extra);
        let exchange = send_signed(&self.shared, url, method, params).await;
        let outcome = match (&exchange.error, exchange.status) {
            (Some(error), _) => Err(error.clone()),
            (None, Some(status)) if (200..300).contains(&status) => Ok(exchange.body.clone()),
            (None, status) => Err(format!(
                "{} {} answered HTTP {}: {}",
                exchange.method,
                exchange.url,
                status.map_or("?".to_string(), |s| s.to_string()),
                excerpt(&exchange.body)
            )),
        };
        self.log.requests.push(exchange);
        outcome.map_err(EndReason::ApplicationError)
    }

    /// A webhook whose answer is TwiML to follow.
    async fn fetch(
        &mut self,
        url: &str,
        method: &str,
        extra: Vec<(String, String)>,
    ) -> Result<String, EndReason> {
        let answer = self.request(url, method, extra).await;
        if let Err(EndReason::ApplicationError(_)) = &answer {
            self.hear_application_error();
        }
        answer
    }

    fn hear(&mut self, node: &Node, in_gather: bool) {
        let heard = match node.name.as_str() {
            "Say" => Heard::Say {
                text: node.all_text.clone(),
                voice: node.attr("voice").map(str::to_string),
                language: node.attr("language").map(str::to_string),
                in_gather,
            },
            "Play" => Heard::Play {
                url: node.text.clone(),
                digits: node.attr("digits").map(str::to_string),
                in_gather,
            },
            _ => Heard::Pause {
                seconds: node
                    .attr("length")
                    .and_then(|l| l.trim().parse().ok())
                    .unwrap_or(1),
                in_gather,
            },
        };
        self.log.heard.push(heard);
    }

    /// Runs one verb; `Some` when the call leaves this document.
    async fn verb(&mut self, verb: &Node, document_url: Option<&str>) -> Option<Next> {
        match verb.name.as_str() {
            "Say" | "Play" | "Pause" => {
                self.hear(verb, false);
                None
            }
            "Gather" => self.gather(verb, document_url),
            "Dial" => self.dial(verb, document_url).await,
            "Enqueue" => self.enqueue(verb, document_url).await,
            "Connect" => self.connect(verb, document_url).await,
            "Redirect" => match resolve(document_url, &verb.text) {
                Ok(url) => Some(Next::Fetch {
                    url,
                    method: verb.attr("method").unwrap_or("POST").to_string(),
                    extra: Vec::new(),
                }),
                Err(e) => Some(self.application_error(e)),
            },
            "Hangup" => Some(Next::End(EndReason::Hangup)),
            "Reject" => Some(Next::End(EndReason::Reject(
                verb.attr("reason").unwrap_or("rejected").to_string(),
            ))),
            other @ ("Record" | "Leave" | "Sms" | "Refer" | "Pay" | "Prompt" | "Start" | "Stop"
            | "Echo" | "Queue") => Some(
                self.application_error(format!("<{other}> is not followed by this fake Twilio")),
            ),
            other => Some(self.application_error(format!("<{other}> is not a TwiML verb"))),
        }
    }

    fn gather(&mut self, verb: &Node, document_url: Option<&str>) -> Option<Next> {
        for child in &verb.children {
            match child.name.as_str() {
                "Say" | "Play" | "Pause" => self.hear(child, true),
                other => {
                    return Some(
                        self.application_error(format!("<{other}> cannot be nested in <Gather>")),
                    )
                }
            }
        }
        let input: Vec<&str> = verb
            .attr("input")
            .unwrap_or("dtmf")
            .split_whitespace()
            .collect();
        let speech = input.contains(&"speech");
        let dtmf = input.contains(&"dtmf");
        let result = match self.steps.front() {
            None => return Some(Next::End(EndReason::CallerHungUp)),
            Some(Step::Transfer(_)) => None,
            Some(_) => match self.steps.pop_front() {
                Some(Step::HangUp) => return Some(Next::End(EndReason::CallerHungUp)),
                Some(Step::Say(text)) => speech.then(|| speech_result(text, DEFAULT_CONFIDENCE)),
                Some(Step::SayWithConfidence(text, confidence)) => {
                    speech.then(|| speech_result(text, confidence))
                }
                Some(Step::Press(keys)) => {
                    let digits = gathered_digits(
                        &keys,
                        verb.attr("finishOnKey").unwrap_or("#"),
                        verb.attr("numDigits").and_then(|n| n.trim().parse().ok()),
                    );
                    (dtmf && !digits.is_empty()).then(|| vec![pair("Digits", digits)])
                }
                _ => None,
            },
        };
        let on_empty = verb.attr("actionOnEmptyResult") == Some("true");
        let extra = match result {
            Some(extra) => extra,
            None if on_empty => Vec::new(),
            None => return None,
        };
        let action = match verb.attr("action") {
            Some(action) => resolve(document_url, action),
            None => document_url.map(str::to_string).ok_or_else(|| {
                "a <Gather> without action in TwiML that came without a URL".to_string()
            }),
        };
        Some(match action {
            Ok(url) => Next::Fetch {
                url,
                method: verb.attr("method").unwrap_or("POST").to_string(),
                extra,
            },
            Err(e) => self.application_error(e),
        })
    }

    /// The outcome of a transfer, and whether the caller hung up during it.
    fn transfer_outcome(&mut self, default: &str) -> (String, bool) {
        match self.steps.front() {
            Some(Step::Transfer(_)) | Some(Step::HangUp) => match self.steps.pop_front() {
                Some(Step::Transfer(outcome)) => (outcome, false),
                _ => (default.to_string(), true),
            },
            _ => (default.to_string(), false),
        }
    }

    async fn after_transfer(
        &mut self,
        verb: &Node,
        document_url: Option<&str>,
        extra: Vec<(String, String)>,
        hung_up: bool,
    ) -> Option<Next> {
        let Some(action) = verb.attr("action") else {
            return hung_up.then_some(Next::End(EndReason::CallerHungUp));
        };
        let url = match resolve(document_url, action) {
            Ok(url) => url,
            Err(e) => return Some(self.application_error(e)),
        };
        let method = verb.attr("method").unwrap_or("POST").to_string();
        if hung_up {
            // Twilio still requests the action, and ignores its answer.
            let _ = self.request(&url, &method, extra).await;
            return Some(Next::End(EndReason::CallerHungUp));
        }
        Some(Next::Fetch { url, method, extra })
    }

    async fn dial(&mut self, verb: &Node, document_url: Option<&str>) -> Option<Next> {
        let mut targets = Vec::new();
        for child in &verb.children {
            let kind = match child.name.as_str() {
                "Number" => "number",
                "Sip" => "sip",
                "Client" => "client",
                "Queue" => "queue",
                "Conference" => "conference",
                other => {
                    return Some(
                        self.application_error(format!("<{other}> cannot be nested in <Dial>")),
                    )
                }
            };
            targets.push(DialTarget {
                kind: kind.to_string(),
                target: child.all_text.clone(),
                attrs: child.attrs.clone(),
            });
        }
        if targets.is_empty() && !verb.text.is_empty() {
            targets.push(DialTarget {
                kind: "number".to_string(),
                target: verb.text.clone(),
                attrs: Vec::new(),
            });
        }
        if targets.is_empty() {
            return Some(self.application_error("a <Dial> with nothing to dial".to_string()));
        }
        let (outcome, hung_up) = self.transfer_outcome("completed");
        let answered = outcome == "completed" || outcome == "answered";
        self.log.dialed.push(Dialed {
            verb: "Dial".to_string(),
            targets,
            attrs: verb.attrs.clone(),
            outcome: outcome.clone(),
        });
        let extra = vec![
            pair("DialCallStatus", outcome),
            pair("DialCallSid", new_sid("CA")),
            pair("DialCallDuration", if answered { "42" } else { "0" }),
        ];
        self.after_transfer(verb, document_url, extra, hung_up)
            .await
    }

    async fn enqueue(&mut self, verb: &Node, document_url: Option<&str>) -> Option<Next> {
        if verb.text.is_empty() {
            return Some(self.application_error("an <Enqueue> without a queue name".to_string()));
        }
        let (outcome, hung_up) = self.transfer_outcome("bridged");
        self.log.dialed.push(Dialed {
            verb: "Enqueue".to_string(),
            targets: vec![DialTarget {
                kind: "queue".to_string(),
                target: verb.text.clone(),
                attrs: Vec::new(),
            }],
            attrs: verb.attrs.clone(),
            outcome: outcome.clone(),
        });
        let extra = vec![
            pair("QueueResult", outcome),
            pair("QueueSid", new_sid("QU")),
            pair("QueueTime", "3"),
        ];
        self.after_transfer(verb, document_url, extra, hung_up)
            .await
    }

    async fn connect(&mut self, verb: &Node, document_url: Option<&str>) -> Option<Next> {
        let mut stream = None;
        for child in &verb.children {
            match child.name.as_str() {
                "Stream" if stream.is_none() => stream = Some(child),
                "Stream" => {
                    return Some(
                        self.application_error(
                            "a <Connect> with more than one <Stream>".to_string(),
                        ),
                    )
                }
                other => {
                    return Some(self.application_error(format!(
                        "<Connect><{other}> is not followed by this fake Twilio"
                    )))
                }
            }
        }
        let Some(stream) = stream else {
            return Some(self.application_error("a <Connect> without <Stream>".to_string()));
        };
        let Some(url) = stream.attr("url").map(str::trim) else {
            return Some(self.application_error("a <Stream> without url".to_string()));
        };
        let mut parameters = Vec::new();
        for child in &stream.children {
            if child.name != "Parameter" {
                return Some(
                    self.application_error(format!(
                        "<{}> cannot be nested in <Stream>",
                        child.name
                    )),
                );
            }
            parameters.push((
                child.attr("name").unwrap_or_default().to_string(),
                child.attr("value").unwrap_or_default().to_string(),
            ));
        }
        let index = self.log.streams.len();
        self.log.streams.push(StreamLog {
            url: url.to_string(),
            parameters: parameters.clone(),
            attrs: stream.attrs.clone(),
            report: None,
            error: None,
        });
        let error = if !(url.starts_with("wss://") || url.starts_with("ws://")) {
            Some(format!("the stream URL {url} is not a WebSocket URL"))
        } else if url.contains('?') {
            Some(format!(
                "the stream URL {url} carries a query string, which Twilio does not allow"
            ))
        } else {
            match MediaStream::connect(
                url,
                &self.shared.auth_token,
                &self.shared.account_sid,
                &self.log.call_sid,
                parameters,
            )
            .await
            {
                Ok(media_stream) => {
                    let behaviour = self
                        .media
                        .clone()
                        .unwrap_or_else(|| Arc::new(ListenUntilClosed(DEFAULT_STREAM_WAIT)));
                    let report = behaviour.run(media_stream).await;
                    let caller_hung_up = report.hung_up && !report.closed_by_server;
                    self.log.streams[index].report = Some(report);
                    if caller_hung_up {
                        return Some(Next::End(EndReason::CallerHungUp));
                    }
                    None
                }
                Err(e) => Some(e),
            }
        };
        self.log.streams[index].error = error;
        let action = verb.attr("action")?;
        Some(match resolve(document_url, action) {
            Ok(url) => Next::Fetch {
                url,
                method: verb.attr("method").unwrap_or("POST").to_string(),
                extra: Vec::new(),
            },
            Err(e) => self.application_error(e),
        })
    }
}

fn speech_result(text: String, confidence: f32) -> Vec<(String, String)> {
    vec![
        pair("SpeechResult", text),
        pair("Confidence", confidence.to_string()),
    ]
}

/// The digits a `<Gather>` reports for these key presses.
fn gathered_digits(keys: &str, finish_on_key: &str, num_digits: Option<usize>) -> String {
    let mut digits = keys.to_string();
    if let Some(key) = finish_on_key.chars().next() {
        if let Some(at) = digits.find(key) {
            digits.truncate(at);
        }
    }
    if let Some(n) = num_digits.filter(|n| *n > 0) {
        digits = digits.chars().take(n).collect();
    }
    digits
}

fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// RFC 2822 time in UTC, as Twilio writes `Timestamp` and `date_created`.
fn rfc2822(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Status callbacks of one call.
struct StatusCallbacks {
    url: Option<String>,
    method: String,
    /// The events asked for: `initiated`, `ringing`, `answered`, `completed`.
    events: Vec<String>,
    sequence: u32,
    answered_by: Option<String>,
    sent: Vec<WebhookExchange>,
}

impl StatusCallbacks {
    async fn event(
        &mut self,
        shared: &Shared,
        log: &CallLog,
        event: &str,
        status: &str,
        call_duration: Option<u64>,
    ) {
        let Some(url) = self.url.clone() else {
            return;
        };
        if !self.events.iter().any(|e| e == event) {
            return;
        }
        let mut params = standard_params(
            &shared.account_sid,
            &log.call_sid,
            &log.from,
            &log.to,
            &log.direction,
            status,
        );
        params.push(pair("CallbackSource", "call-progress-events"));
        params.push(pair("SequenceNumber", self.sequence.to_string()));
        params.push(pair("Timestamp", rfc2822(SystemTime::now())));
        if let Some(seconds) = call_duration {
            params.push(pair("CallDuration", seconds.to_string()));
        }
        if event == "completed" {
            let sip = match status {
                "busy" => "486",
                "no-answer" => "487",
                "failed" => "500",
                _ => "200",
            };
            params.push(pair("SipResponseCode", sip));
        }
        if let Some(answered_by) = &self.answered_by {
            params.push(pair("AnsweredBy", answered_by.clone()));
        }
        self.sequence += 1;
        let exchange = send_signed(shared, &url, &self.method, params).await;
        self.sent.push(exchange);
    }
}

/// Places an outbound call as the REST request asked.
async fn place_call(shared: Arc<Shared>, sid: String, params: Vec<(String, String)>) {
    let get = |name: &str| param(&params, name).filter(|v| !v.is_empty());
    let to = get("To").unwrap_or_default().to_string();
    let from = get("From").unwrap_or_default().to_string();
    let machine_detection = get("MachineDetection").map(str::to_string);
    let mut events: Vec<String> = params
        .iter()
        .filter(|(name, _)| name == "StatusCallbackEvent")
        .flat_map(|(_, value)| value.split_whitespace().map(str::to_string))
        .collect();
    if events.is_empty() {
        events.push("completed".to_string());
    }
    let mut callbacks = StatusCallbacks {
        url: get("StatusCallback").map(str::to_string),
        method: get("StatusCallbackMethod").unwrap_or("POST").to_string(),
        events,
        sequence: 0,
        answered_by: None,
        sent: Vec::new(),
    };
    let answer = lock(&shared.answers)
        .get(&to)
        .cloned()
        .unwrap_or(Answer::NoAnswer);
    let human = matches!(answer, Answer::Human(_));
    let placeholder = CallLog::new(&sid, &from, &to, "outbound-api");
    callbacks
        .event(&shared, &placeholder, "initiated", "initiated", None)
        .await;

    let mut log = match answer {
        Answer::NoAnswer | Answer::Busy | Answer::Failed => {
            let status = match answer {
                Answer::Busy => "busy",
                Answer::Failed => "failed",
                _ => "no-answer",
            };
            if status != "failed" {
                callbacks
                    .event(&shared, &placeholder, "ringing", "ringing", None)
                    .await;
            }
            callbacks.answered_by = machine_detection.as_ref().map(|_| "unknown".to_string());
            callbacks
                .event(&shared, &placeholder, "completed", status, Some(0))
                .await;
            let mut log = placeholder;
            log.ended = EndReason::NotAnswered(status.to_string());
            log
        }
        Answer::Human(caller) | Answer::Machine(caller) => {
            let answered_by = machine_detection.as_deref().map(|mode| {
                match (human, mode) {
                    (true, _) => "human",
                    (false, "DetectMessageEnd") => "machine_end_beep",
                    (false, _) => "machine_start",
                }
                .to_string()
            });
            callbacks
                .event(&shared, &placeholder, "ringing", "ringing", None)
                .await;
            callbacks.answered_by = answered_by.clone();
            callbacks
                .event(&shared, &placeholder, "answered", "in-progress", None)
                .await;
            let first_extra = match &answered_by {
                Some(answered_by) => vec![
                    pair("AnsweredBy", answered_by.clone()),
                    pair("MachineDetectionDuration", "1850"),
                ],
                None => Vec::new(),
            };
            let mut call = Call::new(
                shared.clone(),
                &sid,
                &from,
                &to,
                "outbound-api",
                caller,
                first_extra,
            );
            let first = match (get("Twiml"), get("Url")) {
                (Some(twiml), _) => Next::Document {
                    twiml: twiml.to_string(),
                    url: None,
                },
                (None, Some(url)) => Next::Fetch {
                    url: url.to_string(),
                    method: get("Method").unwrap_or("POST").to_string(),
                    extra: Vec::new(),
                },
                (None, None) => Next::End(EndReason::ApplicationError(
                    "the call has neither Url nor Twiml".to_string(),
                )),
            };
            let ended = call.run(first).await;
            let log = call.finish(ended);
            callbacks
                .event(
                    &shared,
                    &log,
                    "completed",
                    "completed",
                    Some(whole_seconds(log.duration)),
                )
                .await;
            log
        }
    };
    log.status_callbacks = callbacks.sent;
    let status = match &log.ended {
        EndReason::NotAnswered(status) => status.clone(),
        _ => "completed".to_owned(),
    };
    if let Some(call) = lock(&shared.outbound).iter_mut().find(|c| c.sid == sid) {
        call.log = Some(log);
        call.status = Some(status);
        call.answered_by = callbacks.answered_by.clone();
    }
    shared.bump();
}

fn twilio_error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
        return false;
    };
    decoded == format!("{}:{}", shared.account_sid, shared.auth_token).as_bytes()
}

/// Checks credentials and the account in the path.
fn check_account(
    shared: &Shared,
    headers: &HeaderMap,
    account: &str,
    path: &str,
) -> Option<Response> {
    if !authorized(shared, headers) {
        return Some(twilio_error(
            StatusCode::UNAUTHORIZED,
            20003,
            "Authenticate",
        ));
    }
    if account != shared.account_sid {
        return Some(twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            &format!("The requested resource {path} was not found"),
        ));
    }
    None
}

/// `GET /2010-04-01/Accounts/{AccountSid}.json`: the account resource, as Twilio answers it
/// (its auth token included, which is why a client must never pass the answer on).
async fn fetch_account(
    State(shared): State<Arc<Shared>>,
    Path(resource): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/{API_VERSION}/Accounts/{resource}");
    let Some(account) = resource.strip_suffix(".json") else {
        return twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            &format!("The requested resource {path} was not found"),
        );
    };
    if let Some(refused) = check_account(&shared, &headers, account, &path) {
        return refused;
    }
    let created = "Mon, 16 Aug 2021 12:00:00 +0000";
    Json(json!({
        "auth_token": shared.auth_token,
        "date_created": created,
        "date_updated": created,
        "friendly_name": "Fake shop account",
        "owner_account_sid": account,
        "sid": account,
        "status": "active",
        "subresource_uris": {
            "calls": format!("/{API_VERSION}/Accounts/{account}/Calls.json"),
            "incoming_phone_numbers": format!("/{API_VERSION}/Accounts/{account}/IncomingPhoneNumbers.json"),
        },
        "type": "Full",
        "uri": path,
    }))
    .into_response()
}

fn call_json(
    shared: &Shared,
    sid: &str,
    from: &str,
    to: &str,
    direction: &str,
    status: &str,
) -> Value {
    let now = rfc2822(SystemTime::now());
    let uri = format!(
        "/{API_VERSION}/Accounts/{}/Calls/{sid}.json",
        shared.account_sid
    );
    let base = uri.trim_end_matches(".json").to_string();
    json!({
        "account_sid": shared.account_sid,
        "annotation": null,
        "answered_by": null,
        "api_version": API_VERSION,
        "caller_name": null,
        "date_created": now,
        "date_updated": now,
        "direction": direction,
        "duration": null,
        "end_time": null,
        "forwarded_from": null,
        "from": from,
        "from_formatted": from,
        "group_sid": null,
        "parent_call_sid": null,
        "phone_number_sid": null,
        "price": null,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": sid,
        "start_time": null,
        "status": status,
        "subresource_uris": {
            "events": format!("{base}/Events.json"),
            "notifications": format!("{base}/Notifications.json"),
            "payments": format!("{base}/Payments.json"),
            "recordings": format!("{base}/Recordings.json"),
            "siprec": format!("{base}/Siprec.json"),
            "streams": format!("{base}/Streams.json"),
            "transcriptions": format!("{base}/Transcriptions.json"),
            "user_defined_message_subscriptions": format!("{base}/UserDefinedMessageSubscriptions.json"),
            "user_defined_messages": format!("{base}/UserDefinedMessages.json"),
        },
        "to": to,
        "to_formatted": to,
        "trunk_sid": null,
        "uri": uri,
    })
}

async fn create_call(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let path = format!("/{API_VERSION}/Accounts/{account}/Calls.json");
    if let Some(refused) = check_account(&shared, &headers, &account, &path) {
        return refused;
    }
    let Ok(Form(params)) = form else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            20001,
            "The request body is not a form (application/x-www-form-urlencoded)",
        );
    };
    let get = |name: &str| param(&params, name).filter(|v| !v.trim().is_empty());
    let Some(to) = get("To") else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21201,
            "No 'To' number is specified",
        );
    };
    let Some(from) = get("From") else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21603,
            "A 'From' phone number is required.",
        );
    };
    if get("Url").is_none() && get("Twiml").is_none() {
        return twilio_error(StatusCode::BAD_REQUEST, 21205, "Url parameter is required.");
    }
    let (to, from) = (to.to_string(), from.to_string());
    let sid = new_sid("CA");
    lock(&shared.known).insert(
        sid.clone(),
        KnownCall {
            from: from.clone(),
            to: to.clone(),
            direction: "outbound-api",
        },
    );
    lock(&shared.outbound).push(OutboundCall {
        sid: sid.clone(),
        to: to.clone(),
        from: from.clone(),
        params: params.clone(),
        log: None,
        status: None,
        answered_by: None,
    });
    shared.bump();
    tokio::spawn(place_call(shared.clone(), sid.clone(), params));
    (
        StatusCode::CREATED,
        Json(call_json(
            &shared,
            &sid,
            &from,
            &to,
            "outbound-api",
            "queued",
        )),
    )
        .into_response()
}

/// `GET …/Calls/{Sid}.json`: the call as Twilio keeps it — where it is in its life, and how
/// it ended (status, who answered, how long), whether or not its status callbacks arrived.
async fn fetch_call(
    State(shared): State<Arc<Shared>>,
    Path((account, call)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/{API_VERSION}/Accounts/{account}/Calls/{call}");
    if let Some(refused) = check_account(&shared, &headers, &account, &path) {
        return refused;
    }
    let found = call.strip_suffix(".json").and_then(|sid| {
        lock(&shared.outbound)
            .iter()
            .find(|placed| placed.sid == sid)
            .cloned()
    });
    let Some(placed) = found else {
        return twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            &format!("The requested resource {path} was not found"),
        );
    };
    let status = placed
        .status
        .clone()
        .unwrap_or_else(|| "in-progress".to_owned());
    let mut body = call_json(
        &shared,
        &placed.sid,
        &placed.from,
        &placed.to,
        "outbound-api",
        &status,
    );
    body["answered_by"] = json!(placed.answered_by);
    if let Some(log) = &placed.log {
        body["duration"] = json!(whole_seconds(log.duration).to_string());
    }
    (StatusCode::OK, Json(body)).into_response()
}

async fn update_call(
    State(shared): State<Arc<Shared>>,
    Path((account, call)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let path = format!("/{API_VERSION}/Accounts/{account}/Calls/{call}");
    if let Some(refused) = check_account(&shared, &headers, &account, &path) {
        return refused;
    }
    let not_found = || {
        twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            &format!("The requested resource {path} was not found"),
        )
    };
    let Some(sid) = call.strip_suffix(".json") else {
        return not_found();
    };
    let Some((from, to, direction)) = lock(&shared.known)
        .get(sid)
        .map(|c| (c.from.clone(), c.to.clone(), c.direction))
    else {
        return not_found();
    };
    let Ok(Form(params)) = form else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            20001,
            "The request body is not a form (application/x-www-form-urlencoded)",
        );
    };
    let get = |name: &str| param(&params, name).filter(|v| !v.trim().is_empty());
    let change = match (get("Status"), get("Twiml"), get("Url")) {
        (Some("completed" | "canceled"), _, _) => Some(Control::HangUp),
        (Some(other), _, _) => {
            return twilio_error(
                StatusCode::BAD_REQUEST,
                21218,
                &format!("Invalid Status {other:?}: use completed or canceled"),
            )
        }
        (None, Some(twiml), _) => Some(Control::Twiml(twiml.to_string())),
        (None, None, Some(url)) => Some(Control::Redirect {
            url: url.to_string(),
            method: get("Method").unwrap_or("POST").to_string(),
        }),
        (None, None, None) => None,
    };
    let hanging_up = matches!(change, Some(Control::HangUp));
    let redirecting = matches!(change, Some(Control::Twiml(_) | Control::Redirect { .. }));
    let live = lock(&shared.live).get(sid).cloned();
    let was_live = live.is_some();
    let applied = match (change, live) {
        (Some(change), Some(live)) => live.send(change).is_ok(),
        _ => false,
    };
    lock(&shared.updates).push(CallUpdate {
        call_sid: sid.to_string(),
        params: params.clone(),
        applied,
    });
    shared.bump();
    if redirecting && !applied {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21220,
            "Call is not in-progress. Cannot redirect.",
        );
    }
    let status = if hanging_up || !was_live {
        "completed"
    } else {
        "in-progress"
    };
    Json(call_json(&shared, sid, &from, &to, direction, status)).into_response()
}

async fn not_found(uri: axum::http::Uri) -> Response {
    twilio_error(
        StatusCode::NOT_FOUND,
        20404,
        &format!("The requested resource {} was not found", uri.path()),
    )
}
