//! Live speech recognition of a caller with Deepgram.
//!
//! [`connect`] opens one recognition stream for one call: the caller's audio goes in as
//! G.711 μ-law at 8 kHz (exactly what the phone line carries, so nothing is converted), and
//! [`AsrEvent`]s come out: interim and final transcripts, the moment speech starts, and the
//! end of an utterance. The stream asks Deepgram for:
//! `encoding=mulaw&sample_rate=8000&channels=1&interim_results=true&endpointing=…&
//! utterance_end_ms=…&vad_events=true&smart_format=true`, plus the model, language and
//! keyword hints of the flow's listen step.
//!
//! While no audio flows (the robot is speaking and the caller's audio is held back, for
//! instance) a `KeepAlive` message goes out every 3 seconds, well within the 10 seconds after
//! which Deepgram closes a silent stream.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use deepgram::common::options::{Encoding, Endpointing, Language, Model, Options};
use deepgram::common::stream_response::StreamResponse;
use deepgram::listen::websocket::WebsocketHandle;
use deepgram::{Deepgram, DeepgramError, TungsteniteError};
use tokio::sync::mpsc;

/// The recognition model used for most languages.
pub const DEFAULT_MODEL: &str = "nova-3";

/// The recognition model used for Chinese (`zh`, `zh-CN`, `zh-TW`, `zh-HK`, …), which
/// Deepgram serves for live streams on Nova-2.
pub const CHINESE_MODEL: &str = "nova-2";

/// How long to wait for Deepgram to accept a new stream before giving up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Audio frames that may wait to be sent before [`LiveSender::send_audio`] waits in turn
/// (64 frames of 20 ms: 1.28 s of audio).
const COMMAND_QUEUE: usize = 64;

/// The Deepgram model for a flow language (BCP-47): [`CHINESE_MODEL`] for Chinese
/// (`zh…`, `cmn…`, `yue…`), [`DEFAULT_MODEL`] otherwise.
pub fn model_for_language(language: &str) -> &'static str {
    let primary = language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match primary.as_str() {
        "zh" | "cmn" | "yue" => CHINESE_MODEL,
        _ => DEFAULT_MODEL,
    }
}

/// How to reach Deepgram and what to ask of it for one recognition stream.
#[derive(Debug, Clone)]
pub struct DeepgramConfig {
    /// Where Deepgram answers, e.g. `https://api.deepgram.com` (an `http`/`https` address is
    /// used as `ws`/`wss` for the live stream).
    pub base_url: String,
    /// The Deepgram API key, sent as `Authorization: Token <key>`.
    pub api_key: String,
    /// The recognition model; [`DeepgramConfig::new`] picks it by language
    /// (see [`model_for_language`]).
    pub model: String,
    /// The caller's language as a BCP-47 tag from the flow, e.g. `zh-CN` or `en-US`.
    pub language: String,
    /// Silence, in milliseconds, after which Deepgram ends a spoken phrase
    /// (`speech_final`). Default 300.
    pub endpointing_ms: u32,
    /// Silence, in milliseconds, after the last word before an `UtteranceEnd` arrives.
    /// Default 1000 (Deepgram accepts 1000 and above).
    pub utterance_end_ms: u32,
    /// Words and phrases the caller is likely to say (the listen step's speech hints),
    /// sent as `keyterm` to Nova-3 models and as `keywords` to older ones.
    pub keywords: Vec<String>,
}

impl DeepgramConfig {
    /// A configuration with the defaults: the model for `language`, 300 ms endpointing,
    /// 1000 ms utterance end and no keywords.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>, language: &str) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: api_key.into(),
            model: model_for_language(language).to_string(),
            language: language.to_string(),
            endpointing_ms: 300,
            utterance_end_ms: 1000,
            keywords: Vec::new(),
        }
    }
}

/// What the recognition stream reports.
#[derive(Debug, Clone, PartialEq)]
pub enum AsrEvent {
    /// A transcript of the audio heard so far. `is_final` marks text that will not change
    /// any more; `speech_final` marks the end of a spoken phrase (the caller paused for the
    /// endpointing time); `from_finalize` marks the answer to [`LiveSender::finalize`]. The
    /// text may be empty when the audio held no words.
    Transcript {
        /// The recognised words, punctuated and formatted.
        text: String,
        /// Deepgram's confidence in the text, from 0 to 1.
        confidence: f32,
        /// The text is final for this stretch of audio.
        is_final: bool,
        /// The caller finished a phrase.
        speech_final: bool,
        /// This result answers a finalize request.
        from_finalize: bool,
    },
    /// The caller started to speak.
    SpeechStarted,
    /// The caller stopped speaking for the utterance-end time after the last word.
    UtteranceEnd,
    /// The provider failed (connection lost, error frame, bad answer); no more events follow.
    Failed(String),
    /// The stream closed normally after close_stream().
    Closed,
}

/// Why a recognition stream could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    /// The configured Deepgram address is not a usable URL.
    #[error("the Deepgram address {0:?} is not a valid http(s) or ws(s) URL")]
    InvalidUrl(String),
    /// Deepgram turned the API key down.
    #[error("Deepgram rejected the API key (HTTP {status})")]
    Unauthorized {
        /// The HTTP status of the refusal (401 or 403).
        status: u16,
    },
    /// Deepgram answered the stream request with an HTTP error other than an
    /// authentication failure (an unsupported option, no capacity, an outage).
    #[error("Deepgram refused the recognition stream with HTTP {status}{}", detail(.body))]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The start of the response body, which usually says why.
        body: String,
    },
    /// Deepgram could not be reached, or the connection failed while being set up.
    #[error("cannot connect to Deepgram at {url}: {reason}")]
    Connect {
        /// The address tried.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// Deepgram did not accept the stream in time.
    #[error("Deepgram did not accept the recognition stream within {} s", .0.as_secs())]
    Timeout(Duration),
    /// The stream has been closed or has failed; nothing more can be sent.
    #[error("the recognition stream is closed")]
    Closed,
    /// Deepgram answered in a way that does not follow its protocol.
    #[error("unexpected answer from Deepgram: {0}")]
    Protocol(String),
}

fn detail(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

/// Opens a live stream: encoding mulaw, 8000 Hz, 1 channel, interim_results, endpointing,
/// utterance_end_ms, vad_events, smart_format, keep-alive handled (a KeepAlive goes out
/// whenever nothing was sent for 3 s).
///
/// The two halves can be moved to different tasks. Dropping the [`LiveSender`] closes the
/// stream as [`LiveSender::close_stream`] does.
pub async fn connect(config: &DeepgramConfig) -> Result<(LiveSender, LiveReceiver), AsrError> {
    let client = client_for(&config.base_url, &config.api_key)?;
    let mut options = Options::builder()
        .model(Model::from(config.model.clone()))
        .language(Language::from(config.language.clone()))
        .smart_format(true);
    let hints = config
        .keywords
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty());
    // Nova-3 takes free-form key terms; older models take single-word keyword boosts.
    options = if config.model.starts_with("nova-3") {
        options.keyterms(hints)
    } else {
        options.keywords(hints)
    };
    let builder = client
        .transcription()
        .stream_request_with_options(options.build())
        .encoding(Encoding::Mulaw)
        .sample_rate(8000)
        .channels(1)
        .endpointing(Endpointing::CustomDurationMs(config.endpointing_ms))
        .interim_results(true)
        .utterance_end_ms(u16::try_from(config.utterance_end_ms).unwrap_or(u16::MAX))
        .vad_events(true)
        .keep_alive();
    let handle = match tokio::time::timeout(CONNECT_TIMEOUT, builder.handle()).await {
        Ok(Ok(handle)) => handle,
        Ok(Err(err)) => return Err(connect_error(err, &config.base_url)),
        Err(_) => return Err(AsrError::Timeout(CONNECT_TIMEOUT)),
    };
    let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    tokio::spawn(drive(handle, command_rx, event_tx));
    Ok((
        LiveSender {
            commands: command_tx,
            closed: false,
        },
        LiveReceiver {
            events: event_rx,
            done: false,
        },
    ))
}

/// A Deepgram client per (address, key), reused by every stream: building one sets up an
/// HTTP client and TLS trust roots, which is worth doing once rather than per call.
fn client_for(base_url: &str, api_key: &str) -> Result<Deepgram, AsrError> {
    static CLIENTS: OnceLock<Mutex<HashMap<(String, String), Deepgram>>> = OnceLock::new();
    /// Distinct (address, key) pairs kept; more than this empties the table.
    const MAX_CLIENTS: usize = 64;
    let key = (base_url.to_string(), api_key.to_string());
    let clients = CLIENTS.get_or_init(Default::default);
    if let Some(client) = clients
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Ok(client.clone());
    }
    // A base URL with a path prefix must end in a slash to keep it when `v1/listen` is
    // joined on.
    let mut url = base_url.trim().to_string();
    if !url.ends_with('/') {
        url.push('/');
    }
    // The crate panics on other schemes when it builds the stream address.
    let scheme = url
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https" | "ws" | "wss")) {
        return Err(AsrError::InvalidUrl(base_url.to_string()));
    }
    let client = Deepgram::with_base_url_and_api_key(url.as_str(), api_key)
        .map_err(|_| AsrError::InvalidUrl(base_url.to_string()))?;
    let mut clients = clients.lock().unwrap_or_else(PoisonError::into_inner);
    if clients.len() >= MAX_CLIENTS {
        clients.clear();
    }
    clients.insert(key, client.clone());
    Ok(client)
}

fn connect_error(err: DeepgramError, base_url: &str) -> AsrError {
    match err {
        DeepgramError::InvalidUrl => AsrError::InvalidUrl(base_url.to_string()),
        DeepgramError::WsError(ws) => match *ws {
            TungsteniteError::Http(response) => {
                let status = response.status().as_u16();
                if status == 401 || status == 403 {
                    return AsrError::Unauthorized { status };
                }
                let body = response
                    .body()
                    .as_deref()
                    .map(|b| {
                        String::from_utf8_lossy(&b[..b.len().min(300)])
                            .trim()
                            .to_string()
                    })
                    .unwrap_or_default();
                AsrError::Refused { status, body }
            }
            TungsteniteError::Url(reason) => AsrError::Connect {
                url: base_url.to_string(),
                reason: reason.to_string(),
            },
            other => AsrError::Connect {
                url: base_url.to_string(),
                reason: other.to_string(),
            },
        },
        other => AsrError::Connect {
            url: base_url.to_string(),
            reason: other.to_string(),
        },
    }
}

enum Command {
    Audio(Bytes),
    Finalize,
    Close,
}

/// The sending half of a recognition stream: the caller's audio and control messages.
pub struct LiveSender {
    commands: mpsc::Sender<Command>,
    closed: bool,
}

impl LiveSender {
    /// Sends caller audio: G.711 μ-law, 8 kHz, mono, any number of bytes (Twilio's 160-byte
    /// frames are typical). Waits only when more than about a second of audio is still
    /// waiting to go out.
    pub async fn send_audio(&mut self, mulaw: Bytes) -> Result<(), AsrError> {
        if self.closed {
            return Err(AsrError::Closed);
        }
        // An empty binary message asks Deepgram to close the stream; never send one.
        if mulaw.is_empty() {
            return Ok(());
        }
        self.send(Command::Audio(mulaw)).await
    }

    /// Asks Deepgram to finish recognising the audio sent so far now, without waiting for
    /// the caller to pause; the answer is a final transcript marked `from_finalize`.
    pub async fn finalize(&mut self) -> Result<(), AsrError> {
        if self.closed {
            return Err(AsrError::Closed);
        }
        self.send(Command::Finalize).await
    }

    /// Ends the stream: Deepgram finishes the audio sent so far, its last results arrive,
    /// then [`AsrEvent::Closed`]. Closing twice, or after the stream failed, does nothing.
    pub async fn close_stream(&mut self) -> Result<(), AsrError> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        // When the stream has already ended there is nothing left to close.
        let _ = self.commands.send(Command::Close).await;
        Ok(())
    }

    async fn send(&mut self, command: Command) -> Result<(), AsrError> {
        self.commands.send(command).await.map_err(|_| {
            self.closed = true;
            AsrError::Closed
        })
    }
}

/// The receiving half of a recognition stream.
pub struct LiveReceiver {
    events: mpsc::UnboundedReceiver<AsrEvent>,
    done: bool,
}

impl LiveReceiver {
    /// The next event; `None` after [`AsrEvent::Closed`] or [`AsrEvent::Failed`].
    pub async fn next(&mut self) -> Option<AsrEvent> {
        if self.done {
            return None;
        }
        match self.events.recv().await {
            Some(event) => {
                if matches!(event, AsrEvent::Closed | AsrEvent::Failed(_)) {
                    self.done = true;
                }
                Some(event)
            }
            None => {
                self.done = true;
                None
            }
        }
    }
}

/// Moves commands from the [`LiveSender`] to Deepgram and Deepgram's answers to the
/// [`LiveReceiver`], until the stream ends. The crate's handle takes both directions
/// through one `&mut self`, so one task owns it.
async fn drive(
    mut handle: WebsocketHandle,
    commands: mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<AsrEvent>,
) {
    let mut commands = Some(commands);
    let mut closing = false;
    let terminal = loop {
        tokio::select! {
            command = recv(&mut commands), if commands.is_some() => {
                let sent = match command {
                    Some(Command::Audio(audio)) => handle.send_data(Vec::from(audio)).await,
                    Some(Command::Finalize) => handle.finalize().await,
                    Some(Command::Close) | None => {
                        if command.is_none() {
                            commands = None;
                        }
                        if closing {
                            Ok(())
                        } else {
                            closing = true;
                            handle.close_stream().await
                        }
                    }
                };
                if sent.is_err() {
                    // The connection is gone; the answers still queued (and then the end of
                    // the stream) tell why. Later sends fail at once.
                    commands = None;
                }
            }
            response = handle.receive() => match response {
                Some(Ok(response)) => match translate(response) {
                    Some(event @ AsrEvent::Failed(_)) => break event,
                    Some(event) => {
                        // Nobody listening is no reason to stop sending audio.
                        let _ = events.send(event);
                    }
                    None => {}
                },
                Some(Err(err)) => break AsrEvent::Failed(format!("Deepgram stream failed: {err}")),
                None if closing => break AsrEvent::Closed,
                None => {
                    break AsrEvent::Failed(
                        "Deepgram closed the recognition stream unexpectedly".to_string(),
                    )
                }
            },
        }
    };
    if !matches!(terminal, AsrEvent::Closed) {
        tracing::warn!(event = ?terminal, "speech recognition stream ended");
    }
    let _ = events.send(terminal);
}

async fn recv(commands: &mut Option<mpsc::Receiver<Command>>) -> Option<Command> {
    match commands {
        Some(commands) => commands.recv().await,
        None => std::future::pending().await,
    }
}

/// The event for one message from Deepgram, if it is one the flow cares about.
fn translate(response: StreamResponse) -> Option<AsrEvent> {
    match response {
        StreamResponse::TranscriptResponse {
            is_final,
            speech_final,
            from_finalize,
            channel,
            ..
        } => {
            let (text, confidence) = channel
                .alternatives
                .into_iter()
                .next()
                .map(|best| (best.transcript, best.confidence as f32))
                .unwrap_or_default();
            Some(AsrEvent::Transcript {
                text,
                confidence,
                is_final,
                speech_final,
                from_finalize,
            })
        }
        StreamResponse::SpeechStartedResponse { .. } => Some(AsrEvent::SpeechStarted),
        StreamResponse::UtteranceEndResponse { .. } => Some(AsrEvent::UtteranceEnd),
        // The summary Deepgram sends as the stream closes; the close itself follows.
        StreamResponse::TerminalResponse { .. } => None,
        // The crate passes messages it does not model through as JSON; Deepgram's error
        // frames are among them.
        StreamResponse::Unknown(value) => {
            if value.get("type").and_then(|t| t.as_str()) == Some("Error") {
                let text = |key: &str| value.get(key).and_then(|v| v.as_str()).unwrap_or("");
                let description = [text("description"), text("message"), text("variant")]
                    .into_iter()
                    .find(|s| !s.is_empty())
                    .unwrap_or("no description");
                Some(AsrEvent::Failed(format!("Deepgram error: {description}")))
            } else {
                tracing::debug!(message = %value, "ignoring an unknown Deepgram message");
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_model_by_language() {
        assert_eq!(model_for_language("zh-CN"), "nova-2");
        assert_eq!(model_for_language("zh"), "nova-2");
        assert_eq!(model_for_language("ZH_tw"), "nova-2");
        assert_eq!(model_for_language("en-US"), "nova-3");
        assert_eq!(model_for_language("es"), "nova-3");
        assert_eq!(model_for_language(""), "nova-3");
        let config = DeepgramConfig::new("http://127.0.0.1:1", "key", "zh-CN");
        assert_eq!(config.model, "nova-2");
        assert_eq!(config.language, "zh-CN");
        assert_eq!(
            (config.endpointing_ms, config.utterance_end_ms),
            (300, 1000)
        );
        assert!(config.keywords.is_empty());
    }

    fn parse(json: &str) -> Option<AsrEvent> {
        translate(serde_json::from_str(json).expect("a valid message"))
    }

    #[test]
    fn translates_deepgram_messages() {
        let results = r#"{"type":"Results","channel_index":[0,1],"duration":1.5,"start":0.5,
            "is_final":true,"speech_final":false,"from_finalize":true,
            "channel":{"alternatives":[{"transcript":"查询订单","confidence":0.75,"words":[]}]},
            "metadata":{"request_id":"r","model_info":{"name":"n","version":"v","arch":"a"},"model_uuid":"u"}}"#;
        assert_eq!(
            parse(results),
            Some(AsrEvent::Transcript {
                text: "查询订单".into(),
                confidence: 0.75,
                is_final: true,
                speech_final: false,
                from_finalize: true,
            })
        );
        assert_eq!(
            parse(r#"{"type":"SpeechStarted","channel":[0,1],"timestamp":0.2}"#),
            Some(AsrEvent::SpeechStarted)
        );
        assert_eq!(
            parse(r#"{"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.1}"#),
            Some(AsrEvent::UtteranceEnd)
        );
        assert_eq!(
            parse(
                r#"{"type":"Metadata","request_id":"r","created":"2025-01-01T00:00:00Z","duration":3.0,"channels":1}"#
            ),
            None
        );
        assert_eq!(
            parse(
                r#"{"type":"Error","variant":"SchemaError","description":"bad sample rate","message":"invalid"}"#
            ),
            Some(AsrEvent::Failed("Deepgram error: bad sample rate".into()))
        );
        assert_eq!(parse(r#"{"type":"SomethingNew"}"#), None);
    }

    #[test]
    fn errors_read_clearly() {
        assert_eq!(
            AsrError::Unauthorized { status: 401 }.to_string(),
            "Deepgram rejected the API key (HTTP 401)"
        );
        assert_eq!(
            AsrError::Refused {
                status: 503,
                body: String::new()
            }
            .to_string(),
            "Deepgram refused the recognition stream with HTTP 503"
        );
        for bad in [
            "not a url",
            "ftp://deepgram.example",
            "mailto:ops@example.com",
            "",
        ] {
            assert!(
                matches!(client_for(bad, "k"), Err(AsrError::InvalidUrl(_))),
                "{bad}"
            );
        }
        assert!(client_for("https://api.deepgram.com", "k").is_ok());
        assert!(client_for("http://127.0.0.1:1/deepgram", "k").is_ok());
    }
}
