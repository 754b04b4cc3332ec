//! A Twilio Media Streams client: the Twilio side of `<Connect><Stream>`.
//!
//! A [`MediaStream`] opens the WebSocket as Twilio does (signed with `x-twilio-signature`), sends
//! `connected` and `start`, then sends the caller's audio as 20 ms mu-law `media` frames in real
//! time. Like a phone line, it keeps sending frames for the whole stream: the caller's audio when
//! there is some, silence otherwise, so sequence numbers, chunks and timestamps never have gaps.
//!
//! Audio the server sends is "played" in real time (8 bytes per millisecond) from a buffer. A
//! `mark` the server sends is echoed back when playback reaches it; `clear` drops whatever is
//! still buffered and echoes every pending mark at once. Nothing the server sends can make this
//! client panic: anything unexpected is noted in [`StreamReport::protocol_errors`].
//!
//! Each stream costs one task, which owns the socket, paces the frames on the runtime's timer and
//! keeps the report; the [`MediaStream`] handle talks to it over a channel.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures_util::future::BoxFuture;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::twilio::{new_sid, sign};

/// Bytes of mu-law audio in one `media` frame sent to the server (20 ms at 8 kHz).
pub const FRAME_BYTES: usize = 160;
/// The length of one `media` frame sent to the server.
pub const FRAME: Duration = Duration::from_millis(20);
/// The mu-law byte for silence.
pub const MULAW_SILENCE: u8 = 0xFF;
/// How long each waiting step of a [`ScriptedSpeech`] waits before the caller gives up.
pub const SCRIPT_WAIT: Duration = Duration::from_secs(20);
/// The gap between two digits of a [`MediaStep::Dtmf`].
pub const DTMF_GAP: Duration = Duration::from_millis(100);

const READ_BUFFER: usize = 4 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_PROTOCOL_ERRORS: usize = 50;

/// What the caller does once a `<Connect><Stream>` is open: it gets the started stream and
/// returns the stream's report when it is done (after hanging up or after the server closed).
pub trait MediaBehaviour: Send + Sync {
    fn run(&self, stream: MediaStream) -> BoxFuture<'static, StreamReport>;
}

impl<F> MediaBehaviour for F
where
    F: Fn(MediaStream) -> BoxFuture<'static, StreamReport> + Send + Sync,
{
    fn run(&self, stream: MediaStream) -> BoxFuture<'static, StreamReport> {
        self(stream)
    }
}

/// What happened on one stream, as seen from the Twilio side.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamReport {
    pub stream_sid: String,
    /// `media` frames sent to the server (the caller's audio and the line's silence).
    pub media_messages_sent: usize,
    pub audio_bytes_sent: usize,
    pub dtmf_sent: usize,
    /// Audio bytes the server sent (decoded from base64).
    pub audio_bytes_received: usize,
    /// `media` messages the server sent.
    pub media_messages: usize,
    /// Names of the marks the server sent, in order.
    pub marks_sent_by_server: Vec<String>,
    /// Names of the marks echoed back to the server, in the order they were echoed.
    pub marks_echoed: Vec<String>,
    /// `clear` messages the server sent.
    pub clears: usize,
    /// Audio bytes that were still waiting to be played when a `clear` dropped them.
    pub audio_bytes_cleared: usize,
    /// The server closed the socket (or it went away).
    pub closed_by_server: bool,
    /// The caller ended the stream: `stop` was sent and the socket closed from this side.
    pub hung_up: bool,
    /// From the end of the caller's latest input (speech audio or a digit) to the first audio
    /// the server sent after it; `None` until the server answers that input.
    pub first_audio_after_last_input: Option<Duration>,
    /// The same measure for every input the server answered with audio, in order.
    pub response_latencies: Vec<Duration>,
    /// Everything the server sent that Twilio would not accept (at most 50 are kept).
    pub protocol_errors: Vec<String>,
    /// Waits that ran out of time (a scripted caller then hangs up).
    pub timeouts: Vec<String>,
}

struct State {
    report: StreamReport,
    closed: bool,
    playing: bool,
    pending_marks: usize,
    audio_since_input: bool,
    marks_since_input: usize,
}

struct Shared {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn protocol_error(&self, error: String) {
        let mut state = self.lock();
        if state.report.protocol_errors.len() < MAX_PROTOCOL_ERRORS {
            state.report.protocol_errors.push(error);
        }
    }
}

enum Source {
    Audio(Vec<u8>),
    Silence(usize),
}

enum Command {
    Send {
        source: Source,
        input: bool,
        done: oneshot::Sender<()>,
    },
    Dtmf {
        digit: char,
        done: oneshot::Sender<()>,
    },
    Stop {
        done: oneshot::Sender<()>,
    },
}

struct Queued {
    source: Source,
    position: usize,
    input: bool,
    done: oneshot::Sender<()>,
}

/// An open, started media stream, as Twilio holds it during `<Connect><Stream>`.
///
/// Dropping it without [`MediaStream::hang_up`] also ends the stream (`stop`, then close).
pub struct MediaStream {
    stream_sid: String,
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
    changed: watch::Receiver<u64>,
    task: JoinHandle<()>,
}

impl fmt::Debug for MediaStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaStream")
            .field("stream_sid", &self.stream_sid)
            .finish_non_exhaustive()
    }
}

impl MediaStream {
    /// Connects to `url` (`ws://` or `wss://`) with `x-twilio-signature` = [`sign`] over `url`
    /// exactly as given and no parameters, then sends `connected` and `start` (a new `MZ…`
    /// stream sid, the account and call sids, tracks `["inbound"]`, `parameters` as
    /// `customParameters`, and media format `audio/x-mulaw`, 8000 Hz, 1 channel).
    pub async fn connect(
        url: &str,
        auth_token: &str,
        account_sid: &str,
        call_sid: &str,
        parameters: Vec<(String, String)>,
    ) -> Result<MediaStream, String> {
        let mut request = url
            .into_client_request()
            .map_err(|e| format!("the stream URL {url} cannot be used: {e}"))?;
        let signature = HeaderValue::from_str(&sign(auth_token, url, &[]))
            .map_err(|e| format!("the signature is not a header value: {e}"))?;
        request
            .headers_mut()
            .insert("x-twilio-signature", signature);
        request
            .headers_mut()
            .insert("user-agent", HeaderValue::from_static("Twilio.TmeWs/1.0"));
        let (mut ws, _) = tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio_tungstenite::connect_async_with_config(request, Some(socket_config()), true),
        )
        .await
        .map_err(|_| format!("connecting to {url} took longer than {CONNECT_TIMEOUT:?}"))?
        .map_err(|e| format!("connecting to {url} failed: {e}"))?;

        let stream_sid = new_sid("MZ");
        let custom: serde_json::Map<String, Value> = parameters
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect();
        let connected = json!({"event": "connected", "protocol": "Call", "version": "1.0.0"});
        let start = json!({
            "event": "start",
            "sequenceNumber": "1",
            "start": {
                "accountSid": account_sid,
                "streamSid": stream_sid,
                "callSid": call_sid,
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                "customParameters": custom,
            },
            "streamSid": stream_sid,
        });
        for message in [connected, start] {
            ws.send(Message::text(message.to_string()))
                .await
                .map_err(|e| format!("sending the stream's first messages to {url} failed: {e}"))?;
        }

        let (changed, changed_rx) = watch::channel(0);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                report: StreamReport {
                    stream_sid: stream_sid.clone(),
                    ..StreamReport::default()
                },
                closed: false,
                playing: false,
                pending_marks: 0,
                audio_since_input: false,
                marks_since_input: 0,
            }),
            changed,
        });
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let pump = Pump {
            ws,
            commands: commands_rx,
            shared: shared.clone(),
            stream_sid: stream_sid.clone(),
            account_sid: account_sid.to_string(),
            call_sid: call_sid.to_string(),
            sequence: 1,
            chunk: 0,
            queue: VecDeque::new(),
            play_end: Instant::now(),
            pending: VecDeque::new(),
            last_input_end: None,
            awaiting_reply: false,
            frame: [MULAW_SILENCE; FRAME_BYTES],
            payload: String::with_capacity(FRAME_BYTES * 4 / 3 + 4),
            decoded: Vec::new(),
        };
        let task = tokio::spawn(pump.run());
        Ok(MediaStream {
            stream_sid,
            commands,
            shared,
            changed: changed_rx,
            task,
        })
    }

    /// The `MZ…` sid of this stream.
    pub fn stream_sid(&self) -> &str {
        &self.stream_sid
    }

    /// Whether the stream has ended (closed by the server, or hung up).
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }

    /// Sends mu-law audio as the caller's speech, in 160-byte (20 ms) `media` frames at
    /// real-time pace (the last frame padded with silence); returns once the last frame is sent.
    pub async fn send_audio(&mut self, mulaw: &[u8]) {
        self.send_audio_owned(mulaw.to_vec()).await;
    }

    /// As [`MediaStream::send_audio`], taking the buffer without copying it.
    pub async fn send_audio_owned(&mut self, mulaw: Vec<u8>) {
        self.send(Source::Audio(mulaw), true).await;
    }

    /// Sends `ms` milliseconds of silence (rounded up to whole frames); returns once sent.
    pub async fn send_silence(&mut self, ms: u64) {
        let frames = ms.div_ceil(FRAME.as_millis() as u64) as usize;
        self.send(Source::Silence(frames), false).await;
    }

    /// Sends a `dtmf` message for one key press (track `inbound_track`).
    pub async fn send_dtmf(&mut self, digit: char) {
        let (done, sent) = oneshot::channel();
        if self.commands.send(Command::Dtmf { digit, done }).is_ok() {
            let _ = sent.await;
        }
    }

    async fn send(&mut self, source: Source, input: bool) {
        let (done, sent) = oneshot::channel();
        if self
            .commands
            .send(Command::Send {
                source,
                input,
                done,
            })
            .is_ok()
        {
            let _ = sent.await;
        }
    }

    /// Ends the stream from the caller's side: sends `stop`, closes the socket, and returns the
    /// final report.
    pub async fn hang_up(mut self) -> StreamReport {
        let (done, stopped) = oneshot::channel();
        if self.commands.send(Command::Stop { done }).is_ok() {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT * 2, stopped).await;
        }
        let _ = tokio::time::timeout(CLOSE_TIMEOUT * 2, &mut self.task).await;
        self.report()
    }

    /// Waits for the server to close the socket, up to `timeout`; when it does not, the wait is
    /// noted in [`StreamReport::timeouts`] and the caller hangs up.
    pub async fn wait_closed(mut self, timeout: Duration) -> StreamReport {
        if self.wait_until(timeout, |state| state.closed).await {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, &mut self.task).await;
            return self.report();
        }
        self.note_timeout(format!(
            "the server did not close the stream within {timeout:?}"
        ));
        self.hang_up().await
    }

    /// Waits until at least `n` marks in all have been echoed (prompts played to their mark),
    /// up to `timeout`.
    pub async fn wait_marks(&mut self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| state.report.marks_echoed.len() >= n)
            .await
    }

    /// Waits until the server's prompt since the caller's latest input (or since the stream
    /// started) has finished playing: a mark sent after that input was echoed, no mark is
    /// pending, and nothing is left to play.
    pub async fn wait_prompt_played(&mut self, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| {
            state.marks_since_input > 0 && state.pending_marks == 0 && !state.playing
        })
        .await
    }

    /// Waits until audio the server sent since the caller's latest input is playing.
    pub async fn wait_playing(&mut self, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| state.playing && state.audio_since_input)
            .await
    }

    /// A snapshot of the stream's report.
    pub fn report(&self) -> StreamReport {
        self.shared.lock().report.clone()
    }

    /// Adds a note to [`StreamReport::timeouts`].
    pub fn note_timeout(&self, note: String) {
        self.shared.lock().report.timeouts.push(note);
    }

    async fn wait_until(&mut self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            drop(self.changed.borrow_and_update());
            {
                let state = self.shared.lock();
                if done(&state) {
                    return true;
                }
                if state.closed {
                    return false;
                }
            }
            match tokio::time::timeout_at(deadline, self.changed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return done(&self.shared.lock()),
            }
        }
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A small read buffer: the socket library zero-fills the whole buffer on every read attempt,
/// which at 128 KiB (its default) and 50 polls a second would dominate a stream's cost.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BUFFER)
}

/// The task behind a [`MediaStream`]: owns the socket, sends the frames, plays what arrives.
struct Pump {
    ws: Socket,
    commands: mpsc::UnboundedReceiver<Command>,
    shared: Arc<Shared>,
    stream_sid: String,
    account_sid: String,
    call_sid: String,
    /// The last sequence number used (`start` is 1).
    sequence: u64,
    chunk: u64,
    queue: VecDeque<Queued>,
    /// When everything received so far will have been played.
    play_end: Instant,
    /// Marks not yet reached, with the time playback reaches them.
    pending: VecDeque<(Instant, String)>,
    last_input_end: Option<Instant>,
    awaiting_reply: bool,
    frame: [u8; FRAME_BYTES],
    payload: String,
    decoded: Vec<u8>,
}

#[derive(Deserialize)]
struct ServerMessage<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(rename = "streamSid", borrow, default)]
    stream_sid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    media: Option<ServerMedia<'a>>,
    #[serde(default)]
    mark: Option<ServerMark>,
}

#[derive(Deserialize)]
struct ServerMedia<'a> {
    #[serde(borrow, default)]
    payload: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ServerMark {
    #[serde(default)]
    name: Option<String>,
}

impl Pump {
    async fn run(mut self) {
        let mut ticker = tokio::time::interval(FRAME);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
        loop {
            let go_on = tokio::select! {
                incoming = self.ws.next() => self.on_incoming(incoming).await,
                command = self.commands.recv() => self.on_command(command).await,
                _ = ticker.tick() => self.on_tick().await,
            };
            if !go_on {
                break;
            }
        }
        {
            let mut state = self.shared.lock();
            state.closed = true;
            state.playing = false;
        }
        self.shared.bump();
    }

    fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    async fn send_text(&mut self, text: String) -> bool {
        match self.ws.send(Message::text(text)).await {
            Ok(()) => true,
            Err(e) => {
                self.shared
                    .protocol_error(format!("sending to the server failed: {e}"));
                self.shared.lock().report.closed_by_server = true;
                false
            }
        }
    }

    async fn on_incoming(
        &mut self,
        incoming: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> bool {
        match incoming {
            None => {
                self.shared.lock().report.closed_by_server = true;
                false
            }
            Some(Err(e)) => {
                self.shared
                    .protocol_error(format!("the socket failed without a close: {e}"));
                self.shared.lock().report.closed_by_server = true;
                false
            }
            Some(Ok(Message::Text(text))) => self.on_text(text.as_str()).await,
            Some(Ok(Message::Binary(bytes))) => {
                self.shared.protocol_error(format!(
                    "the server sent a binary message ({} bytes); Twilio takes JSON text only",
                    bytes.len()
                ));
                true
            }
            Some(Ok(Message::Close(_))) => {
                self.shared.lock().report.closed_by_server = true;
                // Sends the close reply that was queued when the close arrived.
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.ws.flush()).await;
                false
            }
            Some(Ok(_)) => true,
        }
    }

    async fn on_text(&mut self, text: &str) -> bool {
        let message: ServerMessage<'_> = match serde_json::from_str(text) {
            Ok(message) => message,
            Err(e) => {
                self.shared.protocol_error(format!(
                    "the server sent a message that is not a Media Streams message ({e}): {}",
                    excerpt(text)
                ));
                return true;
            }
        };
        match message.stream_sid.as_deref() {
            Some(sid) if sid == self.stream_sid => {}
            other => {
                self.shared.protocol_error(format!(
                    "a {} message carried streamSid {other:?}, not {}",
                    message.event, self.stream_sid
                ));
                return true;
            }
        }
        match &*message.event {
            "media" => {
                let Some(payload) = message.media.and_then(|m| m.payload) else {
                    self.shared
                        .protocol_error("a media message has no media.payload".to_string());
                    return true;
                };
                self.decoded.clear();
                if let Err(e) = STANDARD.decode_vec(payload.as_bytes(), &mut self.decoded) {
                    self.shared
                        .protocol_error(format!("a media payload is not base64: {e}"));
                    return true;
                }
                self.on_audio(self.decoded.len());
                true
            }
            "mark" => {
                let Some(name) = message.mark.and_then(|m| m.name) else {
                    self.shared
                        .protocol_error("a mark message has no mark.name".to_string());
                    return true;
                };
                let now = Instant::now();
                let at = self.play_end.max(now);
                {
                    let mut state = self.shared.lock();
                    state.report.marks_sent_by_server.push(name.clone());
                    state.pending_marks += 1;
                }
                self.pending.push_back((at, name));
                if at <= now {
                    return self.echo_marks(Some(now)).await;
                }
                true
            }
            "clear" => {
                let now = Instant::now();
                let left = self.play_end.saturating_duration_since(now);
                self.play_end = now;
                {
                    let mut state = self.shared.lock();
                    state.report.clears += 1;
                    state.report.audio_bytes_cleared += (left.as_micros() / 125) as usize;
                    state.playing = false;
                }
                self.shared.bump();
                self.echo_marks(None).await
            }
            other => {
                self.shared.protocol_error(format!(
                    "the server sent an event Twilio does not take: {other:?}"
                ));
                true
            }
        }
    }

    fn on_audio(&mut self, bytes: usize) {
        let now = Instant::now();
        if self.play_end < now {
            self.play_end = now;
        }
        self.play_end += Duration::from_micros(bytes as u64 * 125);
        let started_playing = {
            let mut state = self.shared.lock();
            state.report.audio_bytes_received += bytes;
            state.report.media_messages += 1;
            if self.awaiting_reply {
                self.awaiting_reply = false;
                if let Some(end) = self.last_input_end {
                    let latency = now.saturating_duration_since(end);
                    state.report.first_audio_after_last_input = Some(latency);
                    state.report.response_latencies.push(latency);
                }
            }
            let first_since_input = !state.audio_since_input;
            state.audio_since_input = true;
            let was_playing = state.playing;
            state.playing = bytes > 0 || was_playing;
            (state.playing && !was_playing) || first_since_input
        };
        if started_playing {
            self.shared.bump();
        }
    }

    /// Echoes the marks playback has reached by `upto` (all of them with `None`).
    async fn echo_marks(&mut self, upto: Option<Instant>) -> bool {
        while let Some((at, _)) = self.pending.front() {
            if upto.is_some_and(|upto| *at > upto) {
                break;
            }
            let Some((_, name)) = self.pending.pop_front() else {
                break;
            };
            let sequence = self.next_sequence();
            let echo = json!({
                "event": "mark",
                "sequenceNumber": sequence.to_string(),
                "streamSid": self.stream_sid,
                "mark": {"name": name},
            });
            if !self.send_text(echo.to_string()).await {
                return false;
            }
            {
                let mut state = self.shared.lock();
                state.report.marks_echoed.push(name);
                state.pending_marks = state.pending_marks.saturating_sub(1);
                state.marks_since_input += 1;
            }
            self.shared.bump();
        }
        true
    }

    async fn on_command(&mut self, command: Option<Command>) -> bool {
        match command {
            None => {
                self.stop().await;
                false
            }
            Some(Command::Send {
                source,
                input,
                done,
            }) => {
                let empty = match &source {
                    Source::Audio(bytes) => bytes.is_empty(),
                    Source::Silence(frames) => *frames == 0,
                };
                if empty {
                    if input {
                        self.input_ended(Instant::now());
                    }
                    let _ = done.send(());
                } else {
                    self.queue.push_back(Queued {
                        source,
                        position: 0,
                        input,
                        done,
                    });
                }
                true
            }
            Some(Command::Dtmf { digit, done }) => {
                let sequence = self.next_sequence();
                let message = json!({
                    "event": "dtmf",
                    "streamSid": self.stream_sid,
                    "sequenceNumber": sequence.to_string(),
                    "dtmf": {"track": "inbound_track", "digit": digit.to_string()},
                });
                let sent = self.send_text(message.to_string()).await;
                if sent {
                    self.shared.lock().report.dtmf_sent += 1;
                    self.input_ended(Instant::now());
                }
                let _ = done.send(());
                sent
            }
            Some(Command::Stop { done }) => {
                self.stop().await;
                let _ = done.send(());
                false
            }
        }
    }

    fn input_ended(&mut self, now: Instant) {
        self.last_input_end = Some(now);
        self.awaiting_reply = true;
        {
            let mut state = self.shared.lock();
            state.audio_since_input = false;
            state.marks_since_input = 0;
            state.report.first_audio_after_last_input = None;
        }
        self.shared.bump();
    }

    async fn on_tick(&mut self) -> bool {
        let now = Instant::now();
        if !self.echo_marks(Some(now)).await {
            return false;
        }
        if self.play_end <= now {
            let stopped = {
                let mut state = self.shared.lock();
                std::mem::replace(&mut state.playing, false)
            };
            if stopped {
                self.shared.bump();
            }
        }

        let finished = self.fill_frame();
        self.chunk += 1;
        let sequence = self.next_sequence();
        let timestamp = (self.chunk - 1) * FRAME.as_millis() as u64;
        self.payload.clear();
        STANDARD.encode_string(self.frame, &mut self.payload);
        let text = format!(
            "{{\"event\":\"media\",\"sequenceNumber\":\"{sequence}\",\"media\":{{\"track\":\"inbound\",\"chunk\":\"{}\",\"timestamp\":\"{timestamp}\",\"payload\":\"{}\"}},\"streamSid\":\"{}\"}}",
            self.chunk, self.payload, self.stream_sid
        );
        if !self.send_text(text).await {
            return false;
        }
        {
            let mut state = self.shared.lock();
            state.report.media_messages_sent += 1;
            state.report.audio_bytes_sent += FRAME_BYTES;
        }
        if let Some(item) = finished {
            if item.input {
                self.input_ended(Instant::now());
            }
            let _ = item.done.send(());
        }
        true
    }

    /// Fills the next frame from the queue (silence when it is empty); returns the queued item
    /// this frame finished, if any.
    fn fill_frame(&mut self) -> Option<Queued> {
        let Some(item) = self.queue.front_mut() else {
            self.frame.fill(MULAW_SILENCE);
            return None;
        };
        let finished = match &mut item.source {
            Source::Audio(bytes) => {
                let end = (item.position + FRAME_BYTES).min(bytes.len());
                let n = end - item.position;
                self.frame[..n].copy_from_slice(&bytes[item.position..end]);
                self.frame[n..].fill(MULAW_SILENCE);
                item.position = end;
                end >= bytes.len()
            }
            Source::Silence(left) => {
                self.frame.fill(MULAW_SILENCE);
                *left = left.saturating_sub(1);
                *left == 0
            }
        };
        if finished {
            self.queue.pop_front()
        } else {
            None
        }
    }

    async fn stop(&mut self) {
        let sequence = self.next_sequence();
        let stop = json!({
            "event": "stop",
            "sequenceNumber": sequence.to_string(),
            "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
            "streamSid": self.stream_sid,
        });
        let _ = self.ws.send(Message::text(stop.to_string())).await;
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.ws.close(None)).await;
        // Reads until the server's close reply, briefly.
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
        self.shared.lock().report.hung_up = true;
    }
}

fn excerpt(text: &str) -> String {
    let mut cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

/// A caller that stays on the line until the server closes the stream, hanging up after the
/// given time.
#[derive(Clone, Copy, Debug)]
pub struct ListenUntilClosed(pub Duration);

impl MediaBehaviour for ListenUntilClosed {
    fn run(&self, stream: MediaStream) -> BoxFuture<'static, StreamReport> {
        let wait = self.0;
        Box::pin(stream.wait_closed(wait))
    }
}

/// One thing a [`ScriptedSpeech`] caller does.
#[derive(Clone)]
pub enum MediaStep {
    /// Says something: sends this mu-law audio at real-time pace.
    Speak(Vec<u8>),
    /// Stays quiet for this many milliseconds.
    Silence(u64),
    /// Presses these keys, one `dtmf` message each, 100 ms apart.
    Dtmf(String),
    /// Waits until at least this many marks in all have been echoed.
    WaitMarks(usize),
    /// Waits until the server's audio for the current prompt has finished playing (a mark sent
    /// after the caller's latest input was echoed and nothing is left to play).
    WaitForPrompt,
    /// Waits until the server's audio is playing, so that the next step speaks over it.
    BargeIn,
    /// Hangs up (`stop`, then close); the script ends.
    HangUp,
    /// Waits for the server to close the stream; the script ends.
    WaitClosed,
}

impl fmt::Debug for MediaStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaStep::Speak(audio) => write!(f, "Speak({} bytes)", audio.len()),
            MediaStep::Silence(ms) => write!(f, "Silence({ms} ms)"),
            MediaStep::Dtmf(keys) => write!(f, "Dtmf({keys:?})"),
            MediaStep::WaitMarks(n) => write!(f, "WaitMarks({n})"),
            MediaStep::WaitForPrompt => write!(f, "WaitForPrompt"),
            MediaStep::BargeIn => write!(f, "BargeIn"),
            MediaStep::HangUp => write!(f, "HangUp"),
            MediaStep::WaitClosed => write!(f, "WaitClosed"),
        }
    }
}

/// A caller on a media stream who follows a script, for `Caller::media`.
///
/// Each waiting step waits up to [`SCRIPT_WAIT`]; a wait that runs out is noted in
/// [`StreamReport::timeouts`] and the caller hangs up. When the server closes the stream the
/// script stops there. A script that ends without `HangUp` or `WaitClosed` hangs up.
#[derive(Clone, Debug, Default)]
pub struct ScriptedSpeech {
    pub steps: Vec<MediaStep>,
}

impl ScriptedSpeech {
    pub fn new(steps: Vec<MediaStep>) -> ScriptedSpeech {
        ScriptedSpeech { steps }
    }
}

impl MediaBehaviour for ScriptedSpeech {
    fn run(&self, stream: MediaStream) -> BoxFuture<'static, StreamReport> {
        Box::pin(run_script(stream, self.steps.clone()))
    }
}

async fn run_script(mut stream: MediaStream, steps: Vec<MediaStep>) -> StreamReport {
    for step in steps {
        if stream.is_closed() {
            break;
        }
        let label = format!("{step:?}");
        let waited = match step {
            MediaStep::Speak(audio) => {
                stream.send_audio_owned(audio).await;
                true
            }
            MediaStep::Silence(ms) => {
                stream.send_silence(ms).await;
                true
            }
            MediaStep::Dtmf(keys) => {
                for (i, key) in keys.chars().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(DTMF_GAP).await;
                    }
                    stream.send_dtmf(key).await;
                }
                true
            }
            MediaStep::WaitMarks(n) => stream.wait_marks(n, SCRIPT_WAIT).await,
            MediaStep::WaitForPrompt => stream.wait_prompt_played(SCRIPT_WAIT).await,
            MediaStep::BargeIn => stream.wait_playing(SCRIPT_WAIT).await,
            MediaStep::HangUp => return stream.hang_up().await,
            MediaStep::WaitClosed => return stream.wait_closed(SCRIPT_WAIT).await,
        };
        if !waited {
            if stream.is_closed() {
                break;
            }
            stream.note_timeout(format!("{label} did not happen within {SCRIPT_WAIT:?}"));
            break;
        }
    }
    stream.hang_up().await
}

/// The caller's audio of the replay fixture: every `media` payload (base64 mu-law, 8 kHz) of
/// `shared/fixtures/twilio-media-streams/replay_testing-websocket_mulaw8k.jsonl`, in order
/// (4.68 s of someone saying "Testing. 123. Testing. 123.").
pub fn replay_fixture_audio() -> Vec<u8> {
    static AUDIO: OnceLock<Vec<u8>> = OnceLock::new();
    AUDIO
        .get_or_init(|| {
            let path = crate::root().join(
                "../shared/fixtures/twilio-media-streams/replay_testing-websocket_mulaw8k.jsonl",
            );
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading the replay fixture {}: {e}", path.display()));
            let mut audio = Vec::new();
            for (number, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let message: Value = serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("line {} of {} is not JSON: {e}", number + 1, path.display())
                });
                if message["event"] != "media" {
                    continue;
                }
                let payload = message["media"]["payload"].as_str().unwrap_or_else(|| {
                    panic!("line {} of {} has no payload", number + 1, path.display())
                });
                STANDARD
                    .decode_vec(payload, &mut audio)
                    .unwrap_or_else(|e| {
                        panic!("line {} of {}: bad base64: {e}", number + 1, path.display())
                    });
            }
            audio
        })
        .clone()
}

/// `ms` milliseconds of mu-law silence.
pub fn mulaw_silence(ms: u64) -> Vec<u8> {
    vec![MULAW_SILENCE; (ms * 8) as usize]
}
