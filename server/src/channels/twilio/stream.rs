//! Twilio media-stream mode: the call's audio comes to this server over a WebSocket
//! (`<Connect><Stream>`), Deepgram recognises the caller's speech live, and prompts are
//! synthesised here (Deepgram Aura or espeak-ng, cached) and sent back as 8 kHz μ-law.
//!
//! One task per call runs the flow against the stream:
//! - every prompt is followed by a `mark`; Twilio echoes it when the caller has heard the
//!   prompt, which starts the no-input timer;
//! - barge-in: when the caller speaks (a recognised word that is not a backchannel such as
//!   "嗯" or "mhm") over a prompt that allows it, or presses a key, the server sends `clear`;
//!   Twilio drops the audio not yet played and echoes the pending marks;
//! - key presses collect until the listen's `finish_on_key`, `max_digits` or a pause;
//! - a transfer or the end of the flow waits for the last prompt to be heard, then closes the
//!   stream: Twilio asks the `<Connect>`'s action what to do next (`voice.rs` answers with the
//!   `<Dial>`, `<Enqueue>` or `<Hangup>` left pending here);
//! - Deepgram failing (at the start or mid-call) takes the tenant's fallback: Twilio's own
//!   recognition (back to webhook mode), keypad only, or a transfer; a synthesis failure falls
//!   back to the tenant's fallback voice, then to Twilio's `<Say>`. Each is recorded on the call.
//!
//! Each turn is saved as it happens, so the call record is complete even if the server stops.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use base64::Engine as _;
use bytes::Bytes;
use flow_engine::model::InputMode;
use flow_engine::runtime::{Event, Listen, Transfer};
use serde_json::json;
use speech::deepgram::{self, AsrEvent, DeepgramConfig, LiveReceiver, LiveSender};
use speech::tts::{AuraConfig, TtsProvider, VoiceSpec};
use twilio::media_stream::{InboundMessage, OutboundMessage};

use super::request::{Handshake, TwilioRequest};
use crate::app::AppState;
use crate::channels::phone::{self, Call, Mode, Next, Plan, Prompt};
use crate::conversation::ConversationError;
use crate::store::NewCallEvent;
use crate::telephony::{self, AsrFallback, AsrProvider, Telephony};

/// μ-law bytes per media message sent to Twilio (400 ms of audio).
const CHUNK: usize = 3200;
/// Audio bytes per millisecond at 8 kHz μ-law.
const BYTES_PER_MS: usize = 8;
/// How long a caller may pause between key presses before the keys count as entered.
const DIGIT_PAUSE: Duration = Duration::from_secs(3);
/// How long to wait for Twilio to echo a mark beyond the audio's own length.
const MARK_GRACE: Duration = Duration::from_secs(3);
/// How long the caller may speak before the no-input timer runs again.
const MAX_UTTERANCE: Duration = Duration::from_secs(15);
/// The largest message Twilio may send (its messages are a few hundred bytes).
const MAX_MESSAGE: usize = 64 * 1024;
/// How long to wait for the answer to a `Finalize`.
const FINALIZE_WAIT: Duration = Duration::from_millis(800);
/// The longest wait for the `start` message.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Sounds a listener makes that do not interrupt the speaker.
const BACKCHANNELS: [&str; 14] = [
    "嗯", "嗯嗯", "哦", "啊", "唔", "mhm", "mm", "hmm", "uh-huh", "uh", "um", "ah", "oh", "mm-hmm",
];

/// `GET /twilio/stream/{tenant}`: the WebSocket Twilio opens for `<Connect><Stream>`. The
/// upgrade request's `X-Twilio-Signature` (over the `wss://` URL, no parameters) is checked
/// with the tenant's auth token.
pub async fn upgrade(
    State(state): State<AppState>,
    upgrade: WebSocketUpgrade,
    request: TwilioRequest<Handshake>,
) -> Response {
    let TwilioRequest {
        tenant_id,
        telephony,
        ..
    } = request;
    // Twilio's messages are small (a 20 ms frame is about 300 bytes of JSON). tungstenite
    // clears its whole read buffer on every read, so a small one saves that work 50 times a
    // second per call.
    let upgrade = upgrade
        .read_buffer_size(4096)
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE);
    upgrade.on_upgrade(move |socket| async move {
        if let Err(error) = run(state, tenant_id.clone(), telephony, socket).await {
            tracing::warn!(tenant_id, %error, "a media stream ended with an error");
        }
    })
}

#[derive(Debug, thiserror::Error)]
enum StreamError {
    #[error("the stream did not start: {0}")]
    NoStart(&'static str),
    #[error(transparent)]
    Phone(#[from] ConversationError),
    #[error("the WebSocket failed: {0}")]
    Socket(String),
}

/// A prompt sent and not yet heard to its end.
struct Playing {
    mark: String,
    /// What the prompt says.
    text: String,
    barge_in: bool,
    /// When Twilio should have played it, at the latest.
    due: Instant,
}

/// A media message, read in place.
#[derive(serde::Deserialize)]
struct Frame<'a> {
    #[serde(borrow)]
    event: &'a str,
    #[serde(borrow, default)]
    media: Option<FramePayload<'a>>,
}

#[derive(serde::Deserialize)]
struct FramePayload<'a> {
    #[serde(borrow)]
    payload: &'a str,
}

struct Live {
    state: AppState,
    tenant_id: String,
    telephony: Telephony,
    call: Call,
    stream_sid: String,
    asr_tx: Option<LiveSender>,
    asr_rx: Option<LiveReceiver>,
    /// How the flow listens now.
    listen: Option<Listen>,
    /// The prompts of the current turn (said again when the call falls back to webhook mode).
    turn_prompts: Vec<Prompt>,
    playing: VecDeque<Playing>,
    marks: u64,
    /// Playback was cut by a barge-in: marks echoed now were not heard to their end.
    interrupted: bool,
    no_input_at: Option<Instant>,
    digits: String,
    digits_at: Option<Instant>,
    /// Final transcript pieces of the utterance in progress.
    heard: String,
    confidence: Option<f32>,
    /// When the caller's utterance was complete, for the reply-latency metric.
    heard_at: Option<Instant>,
    /// Recognition has words the caller is still saying (interim results).
    speaking: bool,
    /// A `Finalize` was sent: the next final result completes the utterance.
    finalizing: bool,
    /// Events to save with the next turn.
    unsaved: Vec<NewCallEvent>,
    /// The stream closes once the prompts sent have been heard (or by this time at the
    /// latest); Twilio then continues with the call's pending TwiML.
    closing: Option<Instant>,
    done: bool,
}

async fn run(
    state: AppState,
    tenant_id: String,
    telephony: Telephony,
    mut socket: WebSocket,
) -> Result<(), StreamError> {
    // `connected`, then `start` with the call's parameters.
    let started = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(Ok(message)) = socket.recv().await {
            let Message::Text(text) = message else {
                continue;
            };
            if let Ok(InboundMessage::Start {
                start, stream_sid, ..
            }) = InboundMessage::parse(text.as_str())
            {
                return Some((start, stream_sid));
            }
        }
        None
    })
    .await;
    let Ok(Some((start, stream_sid))) = started else {
        return Err(StreamError::NoStart("no start message"));
    };
    let Some(session_id) = start.custom_parameters.get("session") else {
        return Err(StreamError::NoStart("no session parameter"));
    };
    if start
        .custom_parameters
        .get("tenant")
        .is_some_and(|tenant| tenant != &tenant_id)
    {
        return Err(StreamError::NoStart("the tenant parameter does not match"));
    }
    if !start.media_format.is_mulaw_8k_mono() {
        return Err(StreamError::NoStart("the audio is not 8 kHz μ-law"));
    }
    let mut call = phone::load(&state, &tenant_id, session_id).await?;
    if call.phone.call_sid.is_empty() {
        call.phone.call_sid = start.call_sid.clone();
    } else if call.phone.call_sid != start.call_sid {
        return Err(StreamError::NoStart("the stream belongs to another call"));
    }
    let mut live = Live {
        state,
        tenant_id,
        telephony,
        call,
        stream_sid,
        asr_tx: None,
        asr_rx: None,
        listen: None,
        turn_prompts: Vec::new(),
        playing: VecDeque::new(),
        marks: 0,
        interrupted: false,
        no_input_at: None,
        digits: String::new(),
        digits_at: None,
        heard: String::new(),
        confidence: None,
        heard_at: None,
        speaking: false,
        finalizing: false,
        unsaved: Vec::new(),
        closing: None,
        done: false,
    };
    live.state.metrics.active_streams.inc();
    let result = live.serve(&mut socket).await;
    live.state.metrics.active_streams.dec();
    if let Some(mut sender) = live.asr_tx.take() {
        let _ = sender.close_stream().await;
    }
    let _ = socket.send(Message::Close(None)).await;
    result
}

async fn next_asr(receiver: &mut Option<LiveReceiver>) -> Option<AsrEvent> {
    match receiver {
        Some(receiver) => receiver.next().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

fn is_backchannel(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || ",.!?，。！？、".contains(c))
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.is_empty()
        || words
            .iter()
            .all(|word| BACKCHANNELS.contains(&word.as_str()))
}

impl Live {
    async fn serve(&mut self, socket: &mut WebSocket) -> Result<(), StreamError> {
        self.open_recognition().await;
        if self.call.has_started() {
            // The stream reconnected to a call already under way: it continues by TwiML.
            tracing::warn!(
                session = self.call.chat.id,
                "a media stream for a call already started"
            );
            self.call.phone.mode = Mode::Webhook;
            self.closing = Some(Instant::now());
            self.save().await;
        } else {
            self.turn(socket, Event::Started).await?;
        }
        while !self.done {
            if let Some(deadline) = self.closing {
                if self.playing.is_empty() || Instant::now() >= deadline {
                    break;
                }
            }
            let deadline = self.deadline();
            tokio::select! {
                message = socket.recv() => match message {
                    Some(Ok(Message::Text(text))) => self.on_message(socket, text.as_str()).await?,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                        // The socket went away without `stop`: the call is over.
                        self.hang_up(socket).await?;
                    }
                    Some(Ok(_)) => {}
                },
                event = next_asr(&mut self.asr_rx) => self.on_asr(socket, event).await?,
                () = sleep_until(deadline) => self.on_timer(socket).await?,
            }
        }
        Ok(())
    }

    fn deadline(&self) -> Option<Instant> {
        let mark = self.playing.back().map(|playing| playing.due + MARK_GRACE);
        [self.no_input_at, self.digits_at, self.closing, mark]
            .into_iter()
            .flatten()
            .min()
    }

    fn language(&self) -> &str {
        &self.call.phone.language
    }

    /// Connects Deepgram, or takes the fallback when it cannot be had.
    async fn open_recognition(&mut self) {
        if self.call.phone.asr_fallback.is_some() {
            return;
        }
        let key = self.telephony.deepgram_key.clone();
        let reason = match (self.telephony.speech.asr.provider, key) {
            (AsrProvider::Deepgram, Some(key)) => {
                let mut config = DeepgramConfig::new(
                    self.state.telephony.deepgram_url.clone(),
                    key,
                    self.language(),
                );
                if let Some(model) = &self.telephony.speech.asr.model {
                    config.model = model.clone();
                }
                match deepgram::connect(&config).await {
                    Ok((sender, receiver)) => {
                        self.asr_tx = Some(sender);
                        self.asr_rx = Some(receiver);
                        return;
                    }
                    Err(error) => error.to_string(),
                }
            }
            (AsrProvider::Deepgram, None) => "no Deepgram API key is set".to_owned(),
            (AsrProvider::Twilio, _) => {
                "the tenant recognises speech with Twilio, which needs webhook mode".to_owned()
            }
        };
        self.recognition_failed(reason);
    }

    /// Notes that recognition is unavailable and picks the fallback; what it means for the
    /// current listen is applied by [`Live::apply_fallback`].
    fn recognition_failed(&mut self, error: String) {
        self.asr_tx = None;
        self.asr_rx = None;
        let fallback = self.telephony.speech.asr.fallback;
        self.call.phone.asr_fallback = Some(fallback);
        tracing::warn!(session = self.call.chat.id, %error, ?fallback, "speech recognition failed");
        self.unsaved.push(phone::phone_event(
            "asr_failed",
            self.listen.as_ref().map(|listen| listen.node.as_str()),
            json!({ "provider": "deepgram", "error": error, "fallback": fallback }),
        ));
    }

    /// Carries out the fallback for a listen when recognition has failed.
    async fn apply_fallback(&mut self, socket: &mut WebSocket) -> Result<(), StreamError> {
        let Some(fallback) = self.call.phone.asr_fallback else {
            return Ok(());
        };
        let Some(listen) = self.listen.clone() else {
            return Ok(());
        };
        if !listen.modes.contains(&InputMode::Speech) {
            return Ok(());
        }
        match fallback {
            AsrFallback::Dtmf => {
                // Speech cannot be heard: ask for keys, once, and listen on.
                if self.unsaved.iter().any(|e| e.kind == "asr_failed") {
                    let text = self
                        .telephony
                        .speech
                        .asr
                        .dtmf_prompt
                        .clone()
                        .unwrap_or_else(|| dtmf_prompt(self.language()).to_owned());
                    let prompt = Prompt {
                        text,
                        voice: None,
                        url: None,
                        barge_in: true,
                    };
                    self.play(socket, std::slice::from_ref(&prompt)).await?;
                }
            }
            AsrFallback::Twilio => {
                // Twilio listens instead: the prompts of this turn are said again in a Gather.
                self.clear(socket).await?;
                self.call.phone.mode = Mode::Webhook;
                self.call.phone.pending = Some(Plan {
                    prompts: self.turn_prompts.clone(),
                    next: Next::Listen(listen),
                });
                self.closing = Some(Instant::now());
                self.save().await;
            }
            AsrFallback::Handoff => {
                let target = self
                    .telephony
                    .speech
                    .asr
                    .fallback_handoff
                    .as_deref()
                    .and_then(telephony::parse_target);
                let Some(target) = target else {
                    return Ok(());
                };
                self.clear(socket).await?;
                let transfer = Transfer {
                    target,
                    summary: handoff_summary(self.language()).to_owned(),
                    vars: self.call.phone.snapshot.vars.clone(),
                };
                self.call.phone.handoff = Some(crate::conversation::Handoff::new(
                    &transfer.target,
                    &transfer.summary,
                ));
                self.call.phone.pending = Some(Plan {
                    prompts: vec![Prompt {
                        text: transferring(self.language()).to_owned(),
                        voice: None,
                        url: None,
                        barge_in: false,
                    }],
                    next: Next::Transfer(transfer),
                });
                self.call.phone.mode = Mode::Webhook;
                self.listen = None;
                self.closing = Some(Instant::now());
                self.save().await;
            }
        }
        Ok(())
    }

    async fn send(
        &self,
        socket: &mut WebSocket,
        message: OutboundMessage,
    ) -> Result<(), StreamError> {
        socket
            .send(Message::Text(message.to_json().into()))
            .await
            .map_err(|error| StreamError::Socket(error.to_string()))
    }

    /// Runs one turn of the flow with `event` and carries out what it asks.
    async fn turn(&mut self, socket: &mut WebSocket, event: Event) -> Result<(), StreamError> {
        self.listen = None;
        self.no_input_at = None;
        self.digits.clear();
        self.digits_at = None;
        self.heard.clear();
        self.confidence = None;
        self.speaking = false;
        self.finalizing = false;
        let output =
            phone::drive(&self.state, &self.tenant_id, &mut self.call.session, event).await?;
        phone::absorb(&mut self.call, &output.plan);
        self.unsaved.extend(output.events);
        let plan = output.plan;
        self.turn_prompts = plan.prompts.clone();
        let spoken = self.play(socket, &plan.prompts).await?;
        self.heard_at = None;
        if spoken < plan.prompts.len() {
            // Synthesis failed: Twilio says the rest, and goes on by TwiML.
            self.call.phone.mode = Mode::Webhook;
            self.call.phone.pending = Some(Plan {
                prompts: plan.prompts[spoken..].to_vec(),
                next: plan.next.clone(),
            });
            self.closing = Some(self.drain_deadline());
            self.save().await;
            return Ok(());
        }
        match plan.next {
            Next::Listen(listen) => {
                self.listen = Some(listen);
                if self.playing.is_empty() {
                    self.start_no_input_timer();
                }
                self.save().await;
                self.apply_fallback(socket).await?;
            }
            Next::Transfer(transfer) => {
                self.call.phone.pending = Some(Plan {
                    prompts: Vec::new(),
                    next: Next::Transfer(transfer),
                });
                self.closing = Some(self.drain_deadline());
                self.save().await;
                if let Err(error) =
                    phone::publish_handoff(&self.state, &self.tenant_id, &self.call).await
                {
                    tracing::error!(%error, "the transfer summary was not saved");
                }
            }
            Next::HangUp { .. } | Next::Nothing => {
                self.call.phone.pending = Some(Plan {
                    prompts: Vec::new(),
                    next: plan.next,
                });
                self.closing = Some(self.drain_deadline());
                self.save().await;
            }
        }
        Ok(())
    }

    fn drain_deadline(&self) -> Instant {
        self.playing
            .back()
            .map_or_else(Instant::now, |playing| playing.due + MARK_GRACE)
    }

    /// Saves the call as it stands with the events gathered since the last save. A failure is
    /// logged: the call goes on, and the next save carries the events.
    async fn save(&mut self) {
        let events = std::mem::take(&mut self.unsaved);
        if let Err(error) = phone::save(&self.state, &self.tenant_id, &mut self.call, events).await
        {
            tracing::error!(session = self.call.chat.id, %error, "a media-stream turn was not saved");
        }
    }

    fn voice_for(&self, prompt: &Prompt) -> (VoiceSpec, Option<VoiceSpec>) {
        let language = self.language();
        let mut primary = self.telephony.voice(prompt.voice.as_deref(), language);
        let mut fallback = self.telephony.fallback_voice(language);
        if primary.provider == TtsProvider::Twilio {
            // Twilio's voices exist only in webhook mode: the fallback voice speaks here.
            primary = fallback
                .take()
                .unwrap_or_else(|| VoiceSpec::new(TtsProvider::Espeak, language));
        }
        if fallback.is_none() && primary.provider != TtsProvider::Espeak {
            fallback = Some(VoiceSpec::new(TtsProvider::Espeak, language));
        }
        (primary, fallback)
    }

    /// Sends the prompts' audio, each followed by a mark; returns how many were sent (fewer
    /// when synthesis failed).
    async fn play(
        &mut self,
        socket: &mut WebSocket,
        prompts: &[Prompt],
    ) -> Result<usize, StreamError> {
        let aura = self
            .telephony
            .deepgram_key
            .clone()
            .map(|api_key| AuraConfig {
                base_url: self.state.telephony.deepgram_url.clone(),
                api_key,
            });
        for (index, prompt) in prompts.iter().enumerate() {
            if prompt.url.is_some() {
                // Audio files are played by Twilio: hand the rest to TwiML.
                return Ok(index);
            }
            let (primary, fallback) = self.voice_for(prompt);
            let audio = match self.state.tts.cached(&prompt.text, &primary) {
                Some(audio) => audio,
                None => match self
                    .state
                    .tts
                    .synthesize(&prompt.text, &primary, fallback.as_ref(), aura.as_ref())
                    .await
                {
                    Ok(synthesized) => {
                        if synthesized.voice != primary {
                            self.unsaved.push(phone::phone_event(
                                "tts_fallback",
                                None,
                                json!({ "voice": format!("{:?}", primary.provider).to_lowercase(),
                                        "used": format!("{:?}", synthesized.voice.provider).to_lowercase() }),
                            ));
                        }
                        synthesized.audio
                    }
                    Err(error) => {
                        tracing::warn!(%error, "speech synthesis failed");
                        self.call.phone.tts_failed = true;
                        self.unsaved.push(phone::phone_event(
                            "tts_failed",
                            None,
                            json!({ "error": error.to_string() }),
                        ));
                        return Ok(index);
                    }
                },
            };
            for chunk in audio.chunks(CHUNK) {
                self.send(
                    socket,
                    OutboundMessage::media(self.stream_sid.clone(), chunk),
                )
                .await?;
                if let Some(heard_at) = self.heard_at.take() {
                    self.state
                        .metrics
                        .phone_reply_seconds
                        .observe(heard_at.elapsed().as_secs_f64());
                }
            }
            self.marks += 1;
            let mark = format!("p{}", self.marks);
            self.send(
                socket,
                OutboundMessage::mark(self.stream_sid.clone(), mark.clone()),
            )
            .await?;
            let starts = self
                .playing
                .back()
                .map_or_else(Instant::now, |p| p.due.max(Instant::now()));
            self.playing.push_back(Playing {
                mark,
                text: prompt.text.clone(),
                barge_in: prompt.barge_in,
                due: starts + Duration::from_millis((audio.len() / BYTES_PER_MS) as u64),
            });
        }
        Ok(prompts.len())
    }

    /// Drops the audio Twilio has not played yet.
    async fn clear(&mut self, socket: &mut WebSocket) -> Result<(), StreamError> {
        if !self.playing.is_empty() {
            self.interrupted = true;
            self.send(socket, OutboundMessage::clear(self.stream_sid.clone()))
                .await?;
        }
        Ok(())
    }

    fn start_no_input_timer(&mut self) {
        if let Some(listen) = &self.listen {
            self.no_input_at = Some(
                Instant::now() + Duration::from_millis(u64::from(listen.timeout_ms.max(1000))),
            );
        }
    }

    /// Whether the caller may cut the prompt playing now short.
    fn may_interrupt(&self) -> bool {
        self.listen.is_some() && self.playing.front().is_some_and(|playing| playing.barge_in)
    }

    async fn barge_in(&mut self, socket: &mut WebSocket) -> Result<(), StreamError> {
        if self.interrupted || self.playing.is_empty() {
            return Ok(());
        }
        // The marks Twilio echoed tell which prompts were heard to their end; the first one
        // still playing is where the caller cut in.
        let cut: Vec<&str> = self.playing.iter().map(|p| p.text.as_str()).collect();
        let heard = self.turn_prompts.len().saturating_sub(cut.len());
        self.unsaved.push(phone::phone_event(
            "prompt_interrupted",
            self.listen.as_ref().map(|listen| listen.node.as_str()),
            json!({ "interrupted": cut[0], "not_played": &cut[1..], "heard_prompts": heard }),
        ));
        self.clear(socket).await?;
        let output = phone::drive(
            &self.state,
            &self.tenant_id,
            &mut self.call.session,
            Event::PlaybackInterrupted,
        )
        .await?;
        self.unsaved.extend(output.events);
        Ok(())
    }

    async fn on_message(&mut self, socket: &mut WebSocket, text: &str) -> Result<(), StreamError> {
        let started = Instant::now();
        // Nearly every message is a 20 ms audio frame: read it without copying its fields.
        if let Ok(frame) = serde_json::from_str::<Frame<'_>>(text) {
            if let Some(media) = frame.media.filter(|_| frame.event == "media") {
                self.on_audio(socket, media.payload).await?;
                self.state
                    .metrics
                    .phone_frame_seconds
                    .observe(started.elapsed().as_secs_f64());
                return Ok(());
            }
        }
        let Ok(message) = InboundMessage::parse(text) else {
            return Ok(());
        };
        match message {
            InboundMessage::Media { media, .. } => {
                self.on_audio(socket, &media.payload).await?;
                self.state
                    .metrics
                    .phone_frame_seconds
                    .observe(started.elapsed().as_secs_f64());
            }
            InboundMessage::Dtmf { dtmf, .. } => self.on_digit(socket, &dtmf.digit).await?,
            InboundMessage::Mark { mark, .. } => {
                while let Some(playing) = self.playing.pop_front() {
                    if playing.mark == mark.name {
                        break;
                    }
                }
                if self.playing.is_empty() {
                    self.interrupted = false;
                    if self.listen.is_some() && self.no_input_at.is_none() && self.heard.is_empty()
                    {
                        self.start_no_input_timer();
                    }
                }
            }
            InboundMessage::Stop { .. } => self.hang_up(socket).await?,
            InboundMessage::Connected { .. }
            | InboundMessage::Start { .. }
            | InboundMessage::Unknown => {}
        }
        Ok(())
    }

    /// Hands a frame of the caller's audio (base64 μ-law) to recognition.
    async fn on_audio(&mut self, socket: &mut WebSocket, payload: &str) -> Result<(), StreamError> {
        let Some(sender) = self.asr_tx.as_mut() else {
            return Ok(());
        };
        let Ok(audio) = base64::engine::general_purpose::STANDARD.decode(payload) else {
            return Ok(());
        };
        if let Err(error) = sender.send_audio(Bytes::from(audio)).await {
            self.recognition_failed(error.to_string());
            self.apply_fallback(socket).await?;
        }
        Ok(())
    }

    async fn on_digit(&mut self, socket: &mut WebSocket, digit: &str) -> Result<(), StreamError> {
        let Some(listen) = self.listen.clone() else {
            return Ok(());
        };
        if !listen.modes.contains(&InputMode::Dtmf)
            && self.call.phone.asr_fallback != Some(AsrFallback::Dtmf)
        {
            return Ok(());
        }
        // A key interrupts any prompt at once.
        self.clear(socket).await?;
        self.no_input_at = None;
        if listen.finish_on_key.as_deref() == Some(digit) {
            return self.submit_digits(socket).await;
        }
        self.digits.push_str(digit);
        let complete = listen
            .max_digits
            .is_some_and(|max| self.digits.chars().count() >= max as usize);
        match complete {
            true => self.submit_digits(socket).await,
            false => {
                self.digits_at = Some(Instant::now() + DIGIT_PAUSE);
                Ok(())
            }
        }
    }

    async fn submit_digits(&mut self, socket: &mut WebSocket) -> Result<(), StreamError> {
        let digits = std::mem::take(&mut self.digits);
        self.digits_at = None;
        self.heard_at = Some(Instant::now());
        let event = match digits.is_empty() {
            true => Event::NoInput,
            false => Event::Digits { digits },
        };
        self.turn(socket, event).await
    }

    async fn on_asr(
        &mut self,
        socket: &mut WebSocket,
        event: Option<AsrEvent>,
    ) -> Result<(), StreamError> {
        let Some(event) = event else {
            self.asr_rx = None;
            if self.asr_tx.is_some() {
                self.recognition_failed("the recognition stream closed".into());
                self.apply_fallback(socket).await?;
            }
            return Ok(());
        };
        match event {
            AsrEvent::SpeechStarted => {
                if self.listen.is_some() {
                    self.no_input_at = Some(Instant::now() + MAX_UTTERANCE);
                }
            }
            AsrEvent::Transcript {
                text,
                confidence,
                is_final,
                speech_final,
                from_finalize,
            } => {
                if self.listen.is_none() {
                    return Ok(());
                }
                let words = !is_backchannel(&text);
                if words && !self.playing.is_empty() {
                    if !self.may_interrupt() {
                        // The caller may not interrupt this prompt: what they said is not an answer.
                        return Ok(());
                    }
                    self.barge_in(socket).await?;
                }
                if words && !self.finalizing {
                    self.no_input_at = Some(Instant::now() + MAX_UTTERANCE);
                }
                self.speaking = words && !is_final;
                if is_final && !text.trim().is_empty() {
                    if !self.heard.is_empty() {
                        self.heard.push(' ');
                    }
                    self.heard.push_str(text.trim());
                    self.confidence = Some(confidence);
                }
                let complete = speech_final || (from_finalize && self.finalizing);
                if complete && !self.heard.is_empty() {
                    self.submit_speech(socket).await?;
                }
            }
            AsrEvent::UtteranceEnd => {
                if self.listen.is_some() && !self.heard.is_empty() {
                    self.submit_speech(socket).await?;
                }
            }
            AsrEvent::Failed(error) => {
                self.recognition_failed(error);
                self.apply_fallback(socket).await?;
            }
            AsrEvent::Closed => {
                self.asr_rx = None;
                self.asr_tx = None;
            }
        }
        Ok(())
    }

    async fn submit_speech(&mut self, socket: &mut WebSocket) -> Result<(), StreamError> {
        let text = std::mem::take(&mut self.heard);
        let confidence = self.confidence.take();
        self.heard_at = Some(Instant::now());
        self.turn(socket, Event::Heard { text, confidence }).await
    }

    async fn on_timer(&mut self, socket: &mut WebSocket) -> Result<(), StreamError> {
        let now = Instant::now();
        if self.digits_at.is_some_and(|at| at <= now) {
            return self.submit_digits(socket).await;
        }
        if self.no_input_at.is_some_and(|at| at <= now) {
            self.no_input_at = None;
            if self.speaking && !self.finalizing {
                // The caller has been talking for long: ask for what was heard so far.
                if let Some(sender) = self.asr_tx.as_mut() {
                    if sender.finalize().await.is_ok() {
                        self.finalizing = true;
                        self.no_input_at = Some(now + FINALIZE_WAIT);
                        return Ok(());
                    }
                }
            }
            if !self.heard.is_empty() {
                return self.submit_speech(socket).await;
            }
            self.heard_at = Some(Instant::now());
            return self.turn(socket, Event::NoInput).await;
        }
        // A mark Twilio never echoed: count its prompt as heard.
        while self
            .playing
            .front()
            .is_some_and(|playing| playing.due + MARK_GRACE <= now)
        {
            self.playing.pop_front();
        }
        if self.playing.is_empty() && self.listen.is_some() && self.no_input_at.is_none() {
            self.start_no_input_timer();
        }
        Ok(())
    }

    async fn hang_up(&mut self, _socket: &mut WebSocket) -> Result<(), StreamError> {
        self.done = true;
        if self.call.is_ended() || self.closing.is_some() {
            self.save().await;
            return Ok(());
        }
        let output = phone::drive(
            &self.state,
            &self.tenant_id,
            &mut self.call.session,
            Event::HungUp,
        )
        .await?;
        phone::absorb(&mut self.call, &output.plan);
        self.unsaved.extend(output.events);
        self.save().await;
        Ok(())
    }
}

fn dtmf_prompt(language: &str) -> &'static str {
    match language.to_ascii_lowercase().starts_with("zh") {
        true => "抱歉，语音识别暂时无法使用，请使用电话按键输入。",
        false => "Sorry, speech recognition is not available right now. Please use your keypad.",
    }
}

fn transferring(language: &str) -> &'static str {
    match language.to_ascii_lowercase().starts_with("zh") {
        true => "抱歉，语音识别暂时无法使用，正在为您转接人工客服。",
        false => {
            "Sorry, speech recognition is not available right now. Connecting you to an agent."
        }
    }
}

fn handoff_summary(language: &str) -> &'static str {
    match language.to_ascii_lowercase().starts_with("zh") {
        true => "语音识别故障，自动转人工",
        false => "Speech recognition failed; transferred automatically",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backchannels_do_not_interrupt() {
        assert!(is_backchannel("嗯"));
        assert!(is_backchannel("Mhm."));
        assert!(is_backchannel("uh, um"));
        assert!(is_backchannel(""));
        assert!(!is_backchannel("查订单"));
        assert!(!is_backchannel("um I want a refund"));
    }
}
