//! A local Deepgram: live recognition over WebSocket (`GET /v1/listen`) and Aura speech over
//! HTTP (`POST /v1/speak`), speaking Deepgram's real wire protocol, for tests and the load
//! benchmark.
//!
//! Recognition is driven by the audio's energy, as a real recogniser's voice activity
//! detection is: the μ-law audio is decoded and cut into 20 ms blocks; a block whose RMS
//! level is above [`SPEECH_RMS`] is speech. Time is audio time (bytes received at 8 kHz),
//! not wall-clock time, so results do not depend on how fast a test sends.
//! - The first speech block after silence brings `SpeechStarted` (with `vad_events=true`)
//!   and an interim `Results` (`is_final: false`, with `interim_results=true`); the phrase
//!   takes the next scripted transcript ([`FakeDeepgram::script`]) at that moment. Longer
//!   speech brings another interim each second, with more of the words.
//! - `endpointing` ms of silence (the query value; Deepgram's default of 10 ms without one)
//!   after speech bring the final `Results` (`is_final`, `speech_final`), its words spread
//!   over the speech; `utterance_end_ms` of silence after the last word bring `UtteranceEnd`.
//!   With `endpointing=false` the final comes with the utterance end instead.
//! - `{"type":"Finalize"}` makes a phrase in progress final at once, with
//!   `from_finalize: true` (an empty one when nothing is pending);
//!   `{"type":"CloseStream"}` makes it final, sends `Metadata` and closes the socket;
//!   `{"type":"KeepAlive"}` is counted. After 10 s without any message the socket is closed
//!   with code 1011, as Deepgram does.
//! - Digital silence (μ-law `0xFF` / `0x7F`) and line noise produce nothing.
//!
//! Each connection is one task with a few dozen bytes of state, and audio frames are
//! processed without allocating, so a thousand concurrent streams cost little.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use speech::mulaw;
use tokio::sync::watch;
use tokio::time::Instant;

/// The RMS level (of 16-bit linear samples) above which a 20 ms block counts as speech:
/// about −38 dBFS, above telephone line noise and well below speech.
pub const SPEECH_RMS: u32 = 400;

/// Samples in one 20 ms block at 8 kHz.
const BLOCK: u32 = 160;
/// Samples per millisecond at 8 kHz.
const PER_MS: u64 = 8;
/// Deepgram closes a stream that received nothing for this long.
const IDLE_CLOSE: Duration = Duration::from_secs(10);
/// Aura audio per character of text, and at most.
const SPEAK_MS_PER_CHAR: usize = 60;
const SPEAK_MAX_MS: usize = 10_000;

const MODEL_VERSION: &str = "2024-01-18.26916";
const MODEL_UUID: &str = "c0d1a568-ce81-4fea-97e7-bd45cb1fdf3c";

/// What the fake has seen.
#[derive(Debug, Clone, Default)]
pub struct DeepgramStats {
    /// Recognition streams accepted.
    pub connections: u64,
    /// Recognition streams refused (bad key: 401; refusing: 503).
    pub rejected: u64,
    /// Recognition streams open now.
    pub open_connections: u64,
    /// The query string of every accepted stream, in order.
    pub queries: Vec<String>,
    /// Audio bytes received, over all streams.
    pub audio_bytes: u64,
    /// `KeepAlive` messages received.
    pub keep_alives: u64,
    /// `Finalize` messages received.
    pub finalizes: u64,
    /// `CloseStream` messages received.
    pub close_streams: u64,
    /// Final `Results` sent.
    pub finals: u64,
    /// Texts asked for on `/v1/speak` (answered or not, bad keys excluded), in order.
    pub speak_texts: Vec<String>,
    /// The query string of every `/v1/speak` request with a good key, in order.
    pub speak_queries: Vec<String>,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    rejected: AtomicU64,
    open: AtomicU64,
    audio_bytes: AtomicU64,
    keep_alives: AtomicU64,
    finalizes: AtomicU64,
    close_streams: AtomicU64,
    finals: AtomicU64,
}

struct Shared {
    api_key: String,
    script: Mutex<VecDeque<String>>,
    default_transcript: Mutex<Option<String>>,
    refuse: AtomicBool,
    /// Audio milliseconds after which a stream is dropped; `u64::MAX` for never.
    drop_after_ms: AtomicU64,
    fail_speak: AtomicBool,
    /// How long `/v1/speak` takes to answer, in ms.
    speak_delay_ms: AtomicU64,
    counters: Counters,
    queries: Mutex<Vec<String>>,
    speak_texts: Mutex<Vec<String>>,
    speak_queries: Mutex<Vec<String>>,
    shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// The transcript of the next phrase heard.
    fn next_transcript(&self) -> String {
        let scripted = self
            .script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        scripted
            .or_else(|| {
                self.default_transcript
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()
            })
            .unwrap_or_default()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A local Deepgram on `127.0.0.1`, stopped when dropped.
pub struct FakeDeepgram {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeDeepgram {
    /// Starts the fake on a free port.
    pub async fn start() -> FakeDeepgram {
        let (shutdown, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            api_key: format!("fake-deepgram-{}", uuid::Uuid::now_v7().simple()),
            script: Mutex::new(VecDeque::new()),
            default_transcript: Mutex::new(None),
            refuse: AtomicBool::new(false),
            drop_after_ms: AtomicU64::new(u64::MAX),
            fail_speak: AtomicBool::new(false),
            speak_delay_ms: AtomicU64::new(0),
            counters: Counters::default(),
            queries: Mutex::new(Vec::new()),
            speak_texts: Mutex::new(Vec::new()),
            speak_queries: Mutex::new(Vec::new()),
            shutdown: shutdown_rx.clone(),
        });
        // A deep accept queue: the load benchmark opens a thousand streams at once.
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("binding 127.0.0.1:0");
        let listener = socket.listen(4096).expect("listening");
        let addr = listener.local_addr().expect("the bound address");
        let app = Router::new()
            .route("/v1/listen", get(listen))
            .route("/v1/speak", post(speak))
            .route("/v1/projects", get(projects))
            .with_state(shared.clone());
        let mut stop = shutdown_rx;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|&stopped| stopped).await;
                })
                .await;
        });
        FakeDeepgram {
            shared,
            addr,
            shutdown,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The accepted key; others get 401 on upgrade.
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// Utterances the next recognitions produce, in order, shared by all connections (each connection
    /// takes the next one from the queue when it hears one). When the queue is empty, uses `default_transcript` if set.
    pub fn script(&self, transcripts: impl IntoIterator<Item = impl Into<String>>) {
        lock(&self.shared.script).extend(transcripts.into_iter().map(Into::into));
    }

    /// The transcript of phrases heard when the script is used up (`None`: an empty one).
    pub fn set_default_transcript(&self, text: Option<String>) {
        *lock(&self.shared.default_transcript) = text;
    }

    /// Refuse new recognition streams with HTTP 503 on upgrade.
    pub fn refuse_connections(&self, refuse: bool) {
        self.shared.refuse.store(refuse, Ordering::Relaxed);
    }

    /// Drop every open stream (without a closing handshake) once it has received this many
    /// ms of audio; `None` for never.
    pub fn drop_after_audio_ms(&self, ms: Option<u64>) {
        self.shared
            .drop_after_ms
            .store(ms.unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Answer `/v1/speak` with HTTP 500.
    pub fn fail_speak(&self, fail: bool) {
        self.shared.fail_speak.store(fail, Ordering::Relaxed);
    }

    /// Make `/v1/speak` take this long to answer (as a real synthesis does), so that
    /// concurrent requests overlap.
    pub fn set_speak_delay(&self, delay: Duration) {
        self.shared
            .speak_delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Observations: connections accepted, query strings seen (to assert encoding=mulaw&sample_rate=8000&...),
    /// audio bytes received, KeepAlive/Finalize/CloseStream counts, texts requested from /v1/speak.
    pub fn stats(&self) -> DeepgramStats {
        let c = &self.shared.counters;
        DeepgramStats {
            connections: c.connections.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            open_connections: c.open.load(Ordering::Relaxed),
            queries: lock(&self.shared.queries).clone(),
            audio_bytes: c.audio_bytes.load(Ordering::Relaxed),
            keep_alives: c.keep_alives.load(Ordering::Relaxed),
            finalizes: c.finalizes.load(Ordering::Relaxed),
            close_streams: c.close_streams.load(Ordering::Relaxed),
            finals: c.finals.load(Ordering::Relaxed),
            speak_texts: lock(&self.shared.speak_texts).clone(),
            speak_queries: lock(&self.shared.speak_queries).clone(),
        }
    }
}

impl Drop for FakeDeepgram {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.server.abort();
    }
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Token "))
        .is_some_and(|key| key.trim() == shared.api_key)
}

fn deepgram_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "err_code": code,
        "err_msg": message,
        "request_id": uuid::Uuid::now_v7().to_string(),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The query parameters a stream was opened with.
#[derive(Debug, Clone)]
struct Params {
    model: String,
    interim_results: bool,
    vad_events: bool,
    /// Silence that ends a phrase, in samples; `None` when endpointing is off.
    endpointing: Option<u64>,
    /// Silence after the last word before `UtteranceEnd`, in samples.
    utterance_end: Option<u64>,
}

impl Params {
    fn parse(query: &str) -> Params {
        let mut params = Params {
            model: "base".to_string(),
            interim_results: false,
            vad_events: false,
            endpointing: Some(10 * PER_MS),
            utterance_end: None,
        };
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "model" => params.model = value.to_string(),
                "interim_results" => params.interim_results = value == "true",
                "vad_events" => params.vad_events = value == "true",
                "endpointing" => {
                    params.endpointing = match value {
                        "false" => None,
                        "true" => Some(10 * PER_MS),
                        ms => ms.parse::<u64>().ok().map(|ms| ms * PER_MS),
                    }
                }
                "utterance_end_ms" => {
                    params.utterance_end = value.parse::<u64>().ok().map(|ms| ms * PER_MS)
                }
                _ => {}
            }
        }
        params
    }
}

async fn listen(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if shared.refuse.load(Ordering::Relaxed) {
        shared.counters.rejected.fetch_add(1, Ordering::Relaxed);
        return deepgram_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable.",
        );
    }
    if !authorized(&shared, &headers) {
        shared.counters.rejected.fetch_add(1, Ordering::Relaxed);
        return deepgram_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTH",
            "Invalid credentials.",
        );
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let query = query.unwrap_or_default();
    let params = Params::parse(&query);
    lock(&shared.queries).push(query);
    shared.counters.connections.fetch_add(1, Ordering::Relaxed);
    let request_id = uuid::Uuid::now_v7().to_string();
    let mut response = {
        let request_id = request_id.clone();
        // Audio frames are small; the default 128 KiB read buffer per stream would make a
        // thousand streams cost 128 MB.
        upgrade
            .read_buffer_size(4 * 1024)
            .write_buffer_size(4 * 1024)
            .on_upgrade(move |socket| stream(socket, shared, params, request_id))
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("dg-request-id", value);
    }
    response
}

/// One recognition stream.
async fn stream(mut socket: WebSocket, shared: Arc<Shared>, params: Params, request_id: String) {
    shared.counters.open.fetch_add(1, Ordering::Relaxed);
    let mut recogniser = Recogniser::new(params, request_id);
    let mut out: Vec<String> = Vec::new();
    let mut shutdown = shared.shutdown.clone();
    let mut last_message = Instant::now();
    let idle = tokio::time::sleep(IDLE_CLOSE);
    tokio::pin!(idle);
    loop {
        let mut closing = false;
        tokio::select! {
            message = socket.recv() => {
                last_message = Instant::now();
                match message {
                    Some(Ok(Message::Binary(audio))) => {
                        shared
                            .counters
                            .audio_bytes
                            .fetch_add(audio.len() as u64, Ordering::Relaxed);
                        recogniser.hear(&audio, &shared, &mut out);
                        let limit = shared.drop_after_ms.load(Ordering::Relaxed);
                        if recogniser.samples / PER_MS >= limit {
                            // Gone without a closing handshake, like a lost connection.
                            break;
                        }
                    }
                    Some(Ok(Message::Text(text))) => {
                        let kind = serde_json::from_str::<Value>(text.as_str())
                            .ok()
                            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned));
                        match kind.as_deref() {
                            Some("KeepAlive") => {
                                shared.counters.keep_alives.fetch_add(1, Ordering::Relaxed);
                            }
                            Some("Finalize") => {
                                shared.counters.finalizes.fetch_add(1, Ordering::Relaxed);
                                recogniser.finalize(&shared, &mut out);
                            }
                            Some("CloseStream") => {
                                shared.counters.close_streams.fetch_add(1, Ordering::Relaxed);
                                recogniser.close(&shared, &mut out);
                                closing = true;
                            }
                            _ => out.push(
                                json!({
                                    "type": "Error",
                                    "variant": "SchemaError",
                                    "description": "Unknown message type.",
                                    "message": text.as_str(),
                                })
                                .to_string(),
                            ),
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                }
            }
            () = &mut idle => {
                if last_message.elapsed() >= IDLE_CLOSE {
                    let _ = socket
                        .send(Message::Close(Some(CloseFrame {
                            code: 1011,
                            reason: "Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001".into(),
                        })))
                        .await;
                    break;
                }
                idle.as_mut().reset(last_message + IDLE_CLOSE);
            }
            _ = shutdown.changed() => break,
        }
        let mut failed = false;
        for message in out.drain(..) {
            if socket.send(Message::Text(message.into())).await.is_err() {
                failed = true;
                break;
            }
        }
        if failed {
            break;
        }
        if closing {
            let _ = socket
                .send(Message::Close(Some(CloseFrame {
                    code: 1000,
                    reason: "".into(),
                })))
                .await;
            break;
        }
    }
    shared.counters.open.fetch_sub(1, Ordering::Relaxed);
}

/// A phrase being spoken.
#[derive(Debug)]
struct Phrase {
    /// Where the speech started, in samples.
    start: u64,
    transcript: String,
    interims: u32,
    next_interim: u64,
}

/// The energy-based recogniser of one stream.
#[derive(Debug)]
struct Recogniser {
    params: Params,
    request_id: String,
    /// Samples heard.
    samples: u64,
    /// Sum of squares and count of the samples of the block being filled.
    block_energy: u64,
    block_len: u32,
    phrase: Option<Phrase>,
    /// The end of the last speech block, in samples.
    last_speech_end: u64,
    /// Where the audio not yet covered by a final result starts, in samples.
    segment_start: u64,
    /// The end of the last finalized word, while its `UtteranceEnd` is due.
    utterance_end_due: Option<f64>,
}

fn seconds(samples: u64) -> f64 {
    // Rounded to the millisecond, as Deepgram's times are.
    (samples / PER_MS) as f64 / 1000.0
}

impl Recogniser {
    fn new(params: Params, request_id: String) -> Self {
        Self {
            params,
            request_id,
            samples: 0,
            block_energy: 0,
            block_len: 0,
            phrase: None,
            last_speech_end: 0,
            segment_start: 0,
            utterance_end_due: None,
        }
    }

    /// Takes μ-law audio; appends the messages it causes to `out`.
    fn hear(&mut self, audio: &[u8], shared: &Shared, out: &mut Vec<String>) {
        for &code in audio {
            let sample = i64::from(mulaw::decode(code));
            self.block_energy += (sample * sample) as u64;
            self.block_len += 1;
            self.samples += 1;
            if self.block_len == BLOCK {
                let threshold = u64::from(SPEECH_RMS) * u64::from(SPEECH_RMS) * u64::from(BLOCK);
                let speech = self.block_energy > threshold;
                self.block_energy = 0;
                self.block_len = 0;
                self.block(speech, shared, out);
            }
        }
    }

    /// One 20 ms block ending at `self.samples`.
    fn block(&mut self, speech: bool, shared: &Shared, out: &mut Vec<String>) {
        let end = self.samples;
        if speech {
            self.last_speech_end = end;
            match &mut self.phrase {
                None => {
                    let start = end - u64::from(BLOCK);
                    if self.params.vad_events {
                        out.push(
                            json!({
                                "type": "SpeechStarted",
                                "channel": [0, 1],
                                "timestamp": seconds(start),
                            })
                            .to_string(),
                        );
                    }
                    self.phrase = Some(Phrase {
                        start,
                        transcript: shared.next_transcript(),
                        interims: 0,
                        next_interim: end,
                    });
                    self.interim(out);
                }
                Some(phrase) if end >= phrase.next_interim => self.interim(out),
                Some(_) => {}
            }
            return;
        }
        let silence = end - self.last_speech_end;
        if self.phrase.is_some() {
            match self.params.endpointing {
                Some(endpointing) if silence >= endpointing => {
                    self.finish(true, false, shared, out);
                }
                None if self.params.utterance_end.is_some_and(|ue| silence >= ue) => {
                    self.finish(false, false, shared, out);
                }
                _ => {}
            }
        }
        if self.phrase.is_none() {
            if let (Some(last_word_end), Some(ue)) =
                (self.utterance_end_due, self.params.utterance_end)
            {
                if silence >= ue {
                    self.utterance_end_due = None;
                    out.push(
                        json!({
                            "type": "UtteranceEnd",
                            "channel": [0, 1],
                            "last_word_end": last_word_end,
                        })
                        .to_string(),
                    );
                }
            }
        }
    }

    fn interim(&mut self, out: &mut Vec<String>) {
        let now = self.samples;
        let Some(phrase) = &mut self.phrase else {
            return;
        };
        phrase.interims += 1;
        phrase.next_interim = now + 1000 * PER_MS;
        if !self.params.interim_results {
            return;
        }
        let Some(phrase) = &self.phrase else {
            return;
        };
        let words = words(&phrase.transcript);
        let shown = (phrase.interims as usize).min(words.len().saturating_sub(1).max(1));
        let shown = &words[..shown.min(words.len())];
        let (start, end) = (phrase.start, self.samples);
        let message = self.results(shown, start, end, false, false, false, 0.9);
        out.push(message);
    }

    /// Makes the phrase in progress final.
    fn finish(
        &mut self,
        speech_final: bool,
        from_finalize: bool,
        shared: &Shared,
        out: &mut Vec<String>,
    ) {
        let Some(phrase) = self.phrase.take() else {
            return;
        };
        let words = words(&phrase.transcript);
        let message = self.results(
            &words,
            phrase.start,
            self.last_speech_end,
            true,
            speech_final,
            from_finalize,
            0.98,
        );
        out.push(message);
        shared.counters.finals.fetch_add(1, Ordering::Relaxed);
        self.segment_start = self.samples;
        self.utterance_end_due = Some(seconds(self.last_speech_end));
    }

    fn finalize(&mut self, shared: &Shared, out: &mut Vec<String>) {
        if self.phrase.is_some() {
            self.finish(false, true, shared, out);
        } else {
            let start = self.segment_start;
            let message = self.results(&[], start, start, true, false, true, 0.0);
            out.push(message);
            self.segment_start = self.samples;
        }
    }

    fn close(&mut self, shared: &Shared, out: &mut Vec<String>) {
        self.finish(true, false, shared, out);
        let created = rfc3339(std::time::SystemTime::now());
        out.push(
            json!({
                "type": "Metadata",
                "transaction_key": "deprecated",
                "request_id": self.request_id,
                "sha256": "0".repeat(64),
                "created": created,
                "duration": seconds(self.samples),
                "channels": 1,
                "models": [MODEL_UUID],
                "model_info": {
                    MODEL_UUID: {
                        "name": "2-general-nova",
                        "version": MODEL_VERSION,
                        "arch": self.params.model,
                    }
                },
            })
            .to_string(),
        );
    }

    /// A `Results` message over audio `segment_start..now`, with `words` spread over the
    /// speech `speech_start..speech_end` (in samples).
    #[allow(clippy::too_many_arguments)]
    fn results(
        &self,
        words: &[&str],
        speech_start: u64,
        speech_end: u64,
        is_final: bool,
        speech_final: bool,
        from_finalize: bool,
        confidence: f64,
    ) -> String {
        let span = speech_end.saturating_sub(speech_start);
        let count = words.len().max(1) as u64;
        let word_list: Vec<Value> = words
            .iter()
            .enumerate()
            .map(|(i, &word)| {
                let i = i as u64;
                let bare: String = word
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == '\'')
                    .flat_map(char::to_lowercase)
                    .collect();
                json!({
                    "word": bare,
                    "start": seconds(speech_start + span * i / count),
                    "end": seconds(speech_start + span * (i + 1) / count),
                    "confidence": confidence,
                    "punctuated_word": word,
                })
            })
            .collect();
        let transcript = if words.iter().any(|w| !w.is_ascii()) && !words.is_empty() {
            words.concat()
        } else {
            words.join(" ")
        };
        json!({
            "type": "Results",
            "channel_index": [0, 1],
            "duration": seconds(self.samples - self.segment_start),
            "start": seconds(self.segment_start),
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": from_finalize,
            "channel": {
                "alternatives": [{
                    "transcript": transcript,
                    "confidence": if words.is_empty() { 0.0 } else { confidence },
                    "words": word_list,
                }]
            },
            "metadata": {
                "request_id": self.request_id,
                "model_info": {
                    "name": "2-general-nova",
                    "version": MODEL_VERSION,
                    "arch": self.params.model,
                },
                "model_uuid": MODEL_UUID,
            },
        })
        .to_string()
    }
}

/// The words of a transcript: split at spaces, or, for text written without spaces
/// (Chinese), one word per character, punctuation kept with the character before it.
fn words(transcript: &str) -> Vec<&str> {
    let spaced: Vec<&str> = transcript.split_whitespace().collect();
    if spaced.len() != 1 || spaced[0].is_ascii() {
        return spaced;
    }
    let text = spaced[0];
    let mut words = Vec::new();
    let mut start = 0;
    for (at, c) in text.char_indices().skip(1) {
        if c.is_alphanumeric() {
            words.push(&text[start..at]);
            start = at;
        }
    }
    words.push(&text[start..]);
    words
}

/// `2025-01-31T12:34:56.789Z` for a time.
fn rfc3339(time: std::time::SystemTime) -> String {
    let since = time
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// `GET /v1/projects`: the projects the key can see, as Deepgram's management API lists them.
async fn projects(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !authorized(&shared, &headers) {
        return deepgram_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTH",
            "Invalid credentials.",
        );
    }
    let body = json!({
        "projects": [{
            "project_id": "3f7a9a42-6f31-4c1e-9d8c-2b5e0f6a1c77",
            "name": "Fake shop project",
            "company": null,
        }]
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn speak(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !authorized(&shared, &headers) {
        return deepgram_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTH",
            "Invalid credentials.",
        );
    }
    let query = query.unwrap_or_default();
    lock(&shared.speak_queries).push(query);
    let text = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("text").and_then(Value::as_str).map(str::to_owned));
    let Some(text) = text else {
        return deepgram_error(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY",
            "The request body must be JSON with a \"text\" field.",
        );
    };
    lock(&shared.speak_texts).push(text.clone());
    let delay = shared.speak_delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if shared.fail_speak.load(Ordering::Relaxed) {
        return deepgram_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "The speech service failed.",
        );
    }
    let characters = text.chars().count();
    let ms = (characters * SPEAK_MS_PER_CHAR).min(SPEAK_MAX_MS);
    let audio = tone(ms * PER_MS as usize);
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "audio/basic")],
        audio,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&uuid::Uuid::now_v7().to_string()) {
        headers.insert("dg-request-id", value);
    }
    headers.insert("dg-char-count", HeaderValue::from(characters));
    headers.insert(
        "dg-model-name",
        HeaderValue::from_static("aura-2-thalia-en"),
    );
    response
}

/// `samples` of a 400 Hz tone at about −12 dBFS, as 8 kHz μ-law.
pub fn tone(samples: usize) -> Vec<u8> {
    (0..samples)
        .map(|i| {
            let phase = (i % 20) as f64 / 20.0 * std::f64::consts::TAU;
            mulaw::encode((8000.0 * phase.sin()) as i16)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words() {
        assert_eq!(
            words("Testing. 123. Testing."),
            ["Testing.", "123.", "Testing."]
        );
        assert_eq!(words("查询订单。"), ["查", "询", "订", "单。"]);
        assert_eq!(words("hello"), ["hello"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn formats_times() {
        let t = std::time::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn parses_stream_options() {
        let p = Params::parse("model=nova-3&endpointing=300&utterance_end_ms=1000&vad_events=true&interim_results=true");
        assert_eq!(p.endpointing, Some(2400));
        assert_eq!(p.utterance_end, Some(8000));
        assert!(p.vad_events && p.interim_results);
        assert_eq!(p.model, "nova-3");
        let p = Params::parse("endpointing=false");
        assert_eq!(p.endpointing, None);
        assert_eq!(Params::parse("").endpointing, Some(80));
    }
}
