//! Twilio media-stream mode: the call's audio comes to this server over a WebSocket
//! (`<Connect><Stream>`), Deepgram recognises the caller's speech live, and prompts are
//! synthesised here (Deepgram Aura or espeak-ng, cached) and sent back as 8 kHz μ-law.
//!
//! The call's logic is the [`machine`], which does no I/O. One task per call (here) owns the
//! WebSocket, the Deepgram connection, the voices and the clock: it feeds the machine what
//! happens and carries out what the machine asks, saving each turn as it happens, so the call
//! record is complete even if the server stops. [`journal`] keeps the events not yet saved.

mod journal;
pub(crate) mod machine;

use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use base64::Engine as _;
use bytes::Bytes;
use flow_engine::runtime::Event;
use speech::deepgram::{self, AsrEvent, DeepgramConfig, LiveReceiver, LiveSender};
use speech::tts::{AuraConfig, TtsProvider, VoiceSpec};
use twilio::media_stream::{InboundMessage, OutboundMessage};

use self::machine::{CallState, Machine, Output, Save, Settings, Transcript};
use super::request::{Handshake, TwilioRequest};
use crate::app::AppState;
use crate::channels::phone::{self, Call, Next, Prompt};
use crate::conversation::{ConversationError, Handoff};
use crate::telephony::{self, AsrProvider, Telephony};

/// μ-law bytes per media message sent to Twilio (400 ms of audio).
const CHUNK: usize = 3200;
/// Audio bytes per millisecond at 8 kHz μ-law.
const BYTES_PER_MS: usize = 8;
/// The largest message Twilio may send (its messages are a few hundred bytes).
const MAX_MESSAGE: usize = 64 * 1024;
/// The longest wait for the `start` message.
const START_TIMEOUT: Duration = Duration::from_secs(10);

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

/// One call's stream: the I/O around its [`Machine`].
struct Task {
    state: AppState,
    tenant_id: String,
    telephony: Telephony,
    call: Call,
    stream_sid: String,
    asr_tx: Option<LiveSender>,
    asr_rx: Option<LiveReceiver>,
    machine: Machine,
    /// When the caller's latest input was complete, for the reply-latency metric.
    heard_at: Option<Instant>,
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
    let asr = &telephony.speech.asr;
    let settings = Settings {
        language: call.phone.language.clone(),
        fallback: asr.fallback,
        dtmf_prompt: asr.dtmf_prompt.clone(),
        fallback_handoff: asr
            .fallback_handoff
            .as_deref()
            .and_then(telephony::parse_target),
    };
    let machine = Machine::new(
        settings,
        CallState {
            mode: call.phone.mode,
            pending: call.phone.pending.clone(),
            asr_fallback: call.phone.asr_fallback,
            tts_failed: call.phone.tts_failed,
        },
    );
    let mut task = Task {
        state,
        tenant_id,
        telephony,
        call,
        stream_sid,
        asr_tx: None,
        asr_rx: None,
        machine,
        heard_at: None,
    };
    task.state.metrics.active_streams.inc();
    let result = task.serve(&mut socket).await;
    task.state.metrics.active_streams.dec();
    if let Some(mut sender) = task.asr_tx.take() {
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

impl Task {
    async fn serve(&mut self, socket: &mut WebSocket) -> Result<(), StreamError> {
        self.open_recognition().await;
        if self.call.has_started() {
            // The stream reconnected to a call already under way: it continues by TwiML.
            tracing::warn!(
                session = self.call.chat.id,
                "a media stream for a call already started"
            );
        }
        self.machine.start(self.call.has_started(), Instant::now());
        self.execute(socket).await?;
        while !self.machine.is_over(Instant::now()) {
            let deadline = self.machine.poll_timeout();
            tokio::select! {
                message = socket.recv() => match message {
                    Some(Ok(Message::Text(text))) => self.on_message(text.as_str()).await,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                        // The socket went away without `stop`: the call is over.
                        self.machine.handle_hang_up(self.call.is_ended());
                    }
                    Some(Ok(_)) => {}
                },
                event = next_asr(&mut self.asr_rx) => self.on_asr(event),
                () = sleep_until(deadline) => self.machine.handle_timeout(Instant::now()),
            }
            self.execute(socket).await?;
        }
        Ok(())
    }

    /// Carries out what the machine asks, in order, answering it as each result comes.
    async fn execute(&mut self, socket: &mut WebSocket) -> Result<(), StreamError> {
        while let Some(output) = self.machine.poll_output() {
            match output {
                Output::Turn(event) => {
                    if !matches!(event, Event::Started | Event::HungUp) {
                        self.heard_at = Some(Instant::now());
                    }
                    let mut output = self.drive(event).await?;
                    phone::say_notice_first(&mut self.call, &mut output.plan);
                    phone::absorb(&mut self.call, &output.plan);
                    self.machine
                        .handle_turn(output.plan, output.events, Instant::now());
                }
                Output::Notify(event) => {
                    let output = self.drive(event).await?;
                    self.machine.record(output.events);
                }
                Output::Say { prompt, mark } => self.say(socket, &prompt, mark).await?,
                Output::Clear => {
                    self.send(socket, OutboundMessage::clear(self.stream_sid.clone()))
                        .await?;
                }
                Output::Finalize => {
                    let asked = match self.asr_tx.as_mut() {
                        Some(sender) => sender.finalize().await.is_ok(),
                        None => false,
                    };
                    if !asked {
                        self.machine.handle_finalize_failed();
                    }
                }
                Output::StopRecognition => {
                    self.asr_tx = None;
                    self.asr_rx = None;
                }
                Output::Save(save) => {
                    // A turn's prompts are sent before it is saved: the reply to the caller's
                    // input, if any, has been measured.
                    self.heard_at = None;
                    self.save(save).await;
                }
                Output::PublishHandoff => {
                    if let Err(error) =
                        phone::publish_handoff(&self.state, &self.tenant_id, &self.call).await
                    {
                        tracing::error!(%error, "the transfer summary was not saved");
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs the call's flow with `event` (and the HTTP requests it makes).
    async fn drive(&mut self, event: Event) -> Result<phone::TurnOutput, ConversationError> {
        phone::drive(&self.state, &self.tenant_id, &mut self.call.session, event).await
    }

    /// Connects Deepgram, or takes the fallback when it cannot be had.
    async fn open_recognition(&mut self) {
        if !self.machine.wants_recognition() {
            return;
        }
        let key = self.telephony.deepgram_key.clone();
        let reason = match (self.telephony.speech.asr.provider, key) {
            (AsrProvider::Deepgram, Some(key)) => {
                let mut config = DeepgramConfig::new(
                    self.state.telephony.deepgram_url.clone(),
                    key,
                    &self.call.phone.language,
                );
                if let Some(model) = &self.telephony.speech.asr.model {
                    config.model = model.clone();
                }
                match deepgram::connect(&config).await {
                    Ok((sender, receiver)) => {
                        self.asr_tx = Some(sender);
                        self.asr_rx = Some(receiver);
                        self.machine.handle_recognition_open();
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
        self.recognition_failed(&reason);
    }

    fn recognition_failed(&mut self, error: &str) {
        tracing::warn!(session = self.call.chat.id, %error, "speech recognition failed");
        self.machine
            .handle_recognition_failed(error, Instant::now());
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

    /// Saves the call as the machine left it. A conflict (another request of the call was saved
    /// first) re-reads the call's turn and saves again; a save that still fails is logged and
    /// its events go back to the machine for the next save.
    async fn save(&mut self, save: Save) {
        let Save {
            call: state,
            events,
        } = save;
        self.call.phone.mode = state.mode;
        self.call.phone.asr_fallback = state.asr_fallback;
        self.call.phone.tts_failed = state.tts_failed;
        self.call.phone.pending = state.pending;
        if let Some(phone::Plan {
            next: Next::Transfer(transfer),
            ..
        }) = &mut self.call.phone.pending
        {
            // A transfer left for TwiML is the call's handoff, with the variables as they are.
            transfer.vars = self.call.phone.snapshot.vars.clone();
            self.call.phone.handoff = Some(Handoff::new(&transfer.target, &transfer.summary));
        }
        let mut result = self.write(events.clone()).await;
        if matches!(result, Err(ConversationError::TurnConflict)) {
            result = match self.reread_turn().await {
                Ok(true) => self.write(events.clone()).await,
                Ok(false) => {
                    // Another request ended the call (the carrier's final status): its record
                    // is complete, and the caller is gone.
                    tracing::info!(session = self.call.chat.id, "the call was ended elsewhere");
                    return;
                }
                Err(error) => Err(error),
            };
        }
        if let Err(error) = result {
            tracing::error!(session = self.call.chat.id, %error, "a media-stream turn was not saved");
            self.machine.handle_save_failed(events);
        }
    }

    async fn write(
        &mut self,
        events: Vec<crate::store::NewCallEvent>,
    ) -> Result<(), ConversationError> {
        phone::save(&self.state, &self.tenant_id, &mut self.call, events).await
    }

    /// Takes the stored call's turn as this stream's: the stream carries the call's state, so
    /// its next save writes over what another request saved meanwhile. Whether to save again:
    /// not when that request ended the call.
    async fn reread_turn(&mut self) -> Result<bool, ConversationError> {
        let stored = phone::load(&self.state, &self.tenant_id, &self.call.chat.id).await?;
        self.call.chat.turn = stored.chat.turn;
        Ok(!stored.is_ended())
    }

    fn voice_for(&self, prompt: &Prompt) -> (VoiceSpec, Option<VoiceSpec>) {
        let language = &self.call.phone.language;
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

    /// Sends a prompt's audio followed by its mark, and tells the machine how it went.
    async fn say(
        &mut self,
        socket: &mut WebSocket,
        prompt: &Prompt,
        mark: String,
    ) -> Result<(), StreamError> {
        let aura = self
            .telephony
            .deepgram_key
            .clone()
            .map(|api_key| AuraConfig {
                base_url: self.state.telephony.deepgram_url.clone(),
                api_key,
            });
        let (primary, fallback) = self.voice_for(prompt);
        let mut voice_fallback = None;
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
                        voice_fallback = Some((
                            provider_name(primary.provider),
                            provider_name(synthesized.voice.provider),
                        ));
                    }
                    synthesized.audio
                }
                Err(error) => {
                    tracing::warn!(%error, "speech synthesis failed");
                    self.machine
                        .handle_say_failed(&error.to_string(), Instant::now());
                    return Ok(());
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
        self.send(socket, OutboundMessage::mark(self.stream_sid.clone(), mark))
            .await?;
        let length = Duration::from_millis((audio.len() / BYTES_PER_MS) as u64);
        let voice_fallback = voice_fallback
            .as_ref()
            .map(|(voice, used)| (voice.as_str(), used.as_str()));
        self.machine
            .handle_said(length, voice_fallback, Instant::now());
        Ok(())
    }

    async fn on_message(&mut self, text: &str) {
        let started = Instant::now();
        // Nearly every message is a 20 ms audio frame: read it without copying its fields.
        if let Ok(frame) = serde_json::from_str::<Frame<'_>>(text) {
            if let Some(media) = frame.media.filter(|_| frame.event == "media") {
                self.on_audio(media.payload).await;
                self.state
                    .metrics
                    .phone_frame_seconds
                    .observe(started.elapsed().as_secs_f64());
                return;
            }
        }
        let Ok(message) = InboundMessage::parse(text) else {
            return;
        };
        let now = Instant::now();
        match message {
            InboundMessage::Media { media, .. } => {
                self.on_audio(&media.payload).await;
                self.state
                    .metrics
                    .phone_frame_seconds
                    .observe(started.elapsed().as_secs_f64());
            }
            InboundMessage::Dtmf { dtmf, .. } => self.machine.handle_dtmf(&dtmf.digit, now),
            InboundMessage::Mark { mark, .. } => self.machine.handle_mark(&mark.name, now),
            InboundMessage::Stop { .. } => self.machine.handle_hang_up(self.call.is_ended()),
            InboundMessage::Connected { .. }
            | InboundMessage::Start { .. }
            | InboundMessage::Unknown => {}
        }
    }

    /// Hands a frame of the caller's audio (base64 μ-law) to recognition.
    async fn on_audio(&mut self, payload: &str) {
        let Some(sender) = self.asr_tx.as_mut() else {
            return;
        };
        let Ok(audio) = base64::engine::general_purpose::STANDARD.decode(payload) else {
            return;
        };
        if let Err(error) = sender.send_audio(Bytes::from(audio)).await {
            self.recognition_failed(&error.to_string());
        }
    }

    fn on_asr(&mut self, event: Option<AsrEvent>) {
        let now = Instant::now();
        let Some(event) = event else {
            self.asr_rx = None;
            if self.asr_tx.is_some() {
                self.recognition_failed("the recognition stream closed");
            }
            return;
        };
        match event {
            AsrEvent::SpeechStarted => self.machine.handle_speech_started(now),
            AsrEvent::Transcript {
                text,
                confidence,
                is_final,
                speech_final,
                from_finalize,
            } => self.machine.handle_transcript(
                Transcript {
                    text,
                    confidence,
                    is_final,
                    speech_final,
                    from_finalize,
                },
                now,
            ),
            AsrEvent::UtteranceEnd => self.machine.handle_utterance_end(),
            AsrEvent::Failed(error) => self.recognition_failed(&error),
            AsrEvent::Closed => {
                self.asr_rx = None;
                self.asr_tx = None;
                self.machine.handle_recognition_closed();
            }
        }
    }
}

fn provider_name(provider: TtsProvider) -> String {
    format!("{provider:?}").to_lowercase()
}
