//! Twilio's voice webhooks: an incoming call, the result of each `<Gather>`, `<Dial>` and
//! `<Enqueue>`, an outbound call answered, a media stream handing the call back, and status
//! callbacks. Every request's `X-Twilio-Signature` is checked with the tenant's auth token
//! (403 otherwise); every turn is saved before Twilio gets its TwiML, so any server instance can
//! take the next webhook; and the URLs given to Twilio carry the turn they continue, so a
//! retried webhook gets the answer it had the first time instead of moving the flow twice.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use flow_engine::model::InputMode;
use flow_engine::runtime::{Direction as FlowDirection, Event, HandoffStatus, TransferTarget};
use serde::Deserialize;
use serde_json::{json, Value};
use speech::tts::{AuraConfig, TtsProvider, VoiceSpec};
use twilio::twiml::{
    Connect, Dial, DialTarget, Enqueue, Gather, GatherInput, Method, Prompt as TwimlPrompt,
    Response as Twiml, Say, SpeechTimeout, Stream, Verb,
};
use twilio::webhook::{CallStatus, DialCallStatus, GatherResult, VoiceWebhook};

use super::request::{invalid_webhook, load_telephony, TwilioRejection, TwilioRequest};
use crate::app::AppState;
use crate::channels::phone::{self, Call, Mode, NewPhoneCall, Next, Plan, Prompt};
use crate::config::TelephonyConfig;
use crate::conversation::ConversationError;
use crate::error::ApiError;
use crate::secrets::{SecretBox, ServerKey};
use crate::store::{CallOutcome, CarrierReport, PhoneNumber};
use crate::telephony::Telephony;

/// The webhook routes, under `/twilio`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/twilio/voice", post(incoming))
        .route("/twilio/status", post(status_by_number))
        .route("/twilio/calls/{tenant}/{session}/{step}", post(step))
        .route(
            "/twilio/stream/{tenant}",
            axum::routing::get(super::stream::upgrade),
        )
        .route("/twilio/audio/{tenant}/{token}", axum::routing::get(audio))
}

/// The server's address as Twilio reaches it: the configured public URL, else this request's
/// `Host` with `X-Forwarded-Proto` (default `http`).
pub fn public_base(config: &TelephonyConfig, headers: &HeaderMap) -> String {
    if let Some(url) = &config.public_url {
        return url.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(',').next().unwrap_or("http").trim())
        .filter(|value| matches!(*value, "http" | "https"))
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// A TwiML answer.
fn twiml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// What a caller hears when the call cannot be taken: in Chinese, then English.
fn polite_goodbye(zh: &str, en: &str) -> String {
    Twiml::new()
        .with(Say::new(zh).language("zh-CN").voice("Polly.Zhiyu"))
        .with(Say::new(en).language("en-US").voice("Polly.Joanna"))
        .with(Verb::Hangup)
        .render()
}

fn not_in_service() -> String {
    polite_goodbye(
        "您好，您拨打的号码暂未开通服务，再见。",
        "Sorry, this number is not in service. Goodbye.",
    )
}

/// What a caller hears when the service's operator suspended the shop (see
/// `crate::tenancy`): a short apology in the language of the flow the number answers with, and
/// the call is hung up. A flow that cannot be read (deleted meanwhile) is answered in both.
async fn suspended_goodbye(state: &AppState, number: &PhoneNumber) -> String {
    let selector = number.flow_version.map_or(
        crate::flow_cache::Selector::Published,
        crate::flow_cache::Selector::Version,
    );
    let language = state
        .flows
        .resolve(&state.store, &number.tenant_id, &number.flow_id, selector)
        .await
        .ok()
        .map(|resolved| resolved.flow.document().language.clone());
    goodbye_in(
        language.as_deref(),
        "您好，本服务暂时无法接听您的来电，请稍后再拨，谢谢。",
        "Sorry, this service cannot take your call at the moment. Please call again later. Thank you.",
    )
}

/// What a caller hears when the shop's calls in progress are at its quota: one short sentence
/// in the flow's language (both when it is unknown), then the call ends.
pub fn lines_busy(language: Option<&str>) -> String {
    goodbye_in(
        language,
        "抱歉，现在来电较多，请稍后再拨。",
        "Sorry, all our lines are busy. Please call again later.",
    )
}

/// One sentence in the flow's `language` (a BCP 47 tag), then the call ends; both sentences
/// when the language is unknown or neither of ours.
fn goodbye_in(language: Option<&str>, zh: &str, en: &str) -> String {
    use flow_engine::messages::Locale;
    match language.and_then(Locale::of_tag) {
        Some(Locale::Chinese) => Twiml::new()
            .with(Say::new(zh).language("zh-CN").voice("Polly.Zhiyu"))
            .with(Verb::Hangup)
            .render(),
        Some(Locale::English) => Twiml::new()
            .with(Say::new(en).language("en-US").voice("Polly.Joanna"))
            .with(Verb::Hangup)
            .render(),
        None => polite_goodbye(zh, en),
    }
}

fn sorry() -> String {
    polite_goodbye(
        "抱歉，系统暂时无法处理您的来电，请稍后再拨。",
        "Sorry, we cannot take your call right now. Please call again later.",
    )
}

/// The webhooks that continue a call, named by the last segment of their URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStep {
    /// The call was answered (an outbound call, or a stream call's first request).
    Answer,
    /// What a `<Gather>` heard.
    Gather,
    /// How a `<Dial>` transfer ended.
    Dial,
    /// How an `<Enqueue>` transfer ended.
    Queue,
    /// A media stream handed the call back to TwiML.
    Resume,
    /// The carrier's status callback.
    Status,
}

impl WebhookStep {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookStep::Answer => "answer",
            WebhookStep::Gather => "gather",
            WebhookStep::Dial => "dial",
            WebhookStep::Queue => "queue",
            WebhookStep::Resume => "resume",
            WebhookStep::Status => "status",
        }
    }

    pub const ALL: [WebhookStep; 6] = [
        WebhookStep::Answer,
        WebhookStep::Gather,
        WebhookStep::Dial,
        WebhookStep::Queue,
        WebhookStep::Resume,
        WebhookStep::Status,
    ];

    pub fn parse(name: &str) -> Option<WebhookStep> {
        WebhookStep::ALL
            .into_iter()
            .find(|step| step.as_str() == name)
    }
}

/// Where the server answers a call's next webhooks.
#[derive(Debug, Clone)]
pub struct Urls {
    pub base: String,
    pub tenant_id: String,
    pub session_id: String,
    /// The turn the next webhook continues.
    pub turn: i64,
}

impl Urls {
    pub fn step(&self, step: WebhookStep) -> String {
        format!(
            "{}/twilio/calls/{}/{}/{}?turn={}",
            self.base,
            self.tenant_id,
            self.session_id,
            step.as_str(),
            self.turn
        )
    }

    /// The call's status callback (not tied to a turn).
    pub fn status(&self) -> String {
        format!(
            "{}/twilio/calls/{}/{}/{}",
            self.base,
            self.tenant_id,
            self.session_id,
            WebhookStep::Status.as_str()
        )
    }

    /// The media-stream WebSocket of the tenant.
    pub fn stream(&self) -> String {
        format!(
            "{}/twilio/stream/{}",
            websocket_base(&self.base),
            self.tenant_id
        )
    }
}

/// The server's address for WebSockets: `wss://` for `https://`, `ws://` for `http://`.
pub fn websocket_base(base: &str) -> String {
    if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    }
}

/// Twilio's default voice for a language, when the tenant names none.
fn default_twilio_voice(language: &str) -> Option<&'static str> {
    let lower = language.to_ascii_lowercase();
    if lower.starts_with("zh") || lower.starts_with("cmn") {
        Some("Polly.Zhiyu")
    } else if lower == "en-gb" {
        Some("Polly.Amy")
    } else if lower.starts_with("en") {
        Some("Polly.Joanna")
    } else {
        None
    }
}

/// How a call's TwiML is rendered.
pub struct RenderContext<'a> {
    pub urls: &'a Urls,
    pub language: &'a str,
    pub telephony: &'a Telephony,
    /// The number shown to a transfer's target (the call's number at this end).
    pub caller_id: Option<&'a str>,
    pub call_id: &'a str,
    /// Listen for keys only (speech recognition failed and the tenant chose the keypad).
    pub dtmf_only: bool,
    /// Where Twilio fetches prompts spoken by this server's voices (Aura, espeak-ng); without
    /// it such prompts fall back to Twilio's own voice.
    pub audio: Option<AudioUrls<'a>>,
}

/// URLs of prompts synthesised by this server, for `<Play>`: the text and voice are sealed into
/// the URL, so that any server instance can speak it and nobody can make one up.
#[derive(Clone, Copy)]
pub struct AudioUrls<'a> {
    pub base: &'a str,
    pub tenant_id: &'a str,
    pub secrets: &'a SecretBox,
}

impl AudioUrls<'_> {
    pub fn url(&self, text: &str, voice: &VoiceSpec) -> String {
        let payload = json!({
            "text": text,
            "provider": voice.provider,
            "voice": voice.voice,
            "language": voice.language,
        });
        let token = self
            .secrets
            .seal(&payload.to_string(), &audio_context(self.tenant_id));
        format!("{}/twilio/audio/{}/{token}", self.base, self.tenant_id)
    }
}

fn audio_context(tenant_id: &str) -> String {
    format!("audio/{tenant_id}")
}

/// `GET /twilio/audio/{tenant}/{token}`: a prompt in a voice of this server, as a μ-law WAV
/// file for `<Play>`.
async fn audio(
    State(state): State<AppState>,
    Path((tenant_id, token)): Path<(String, String)>,
) -> Response {
    let Ok(secrets) = state.secrets.get() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let Ok(payload) = secrets.open(&token, &audio_context(&tenant_id)) else {
        return ApiError::not_found("the prompt")
            .in_chinese("找不到这段提示音")
            .into_response();
    };
    let Ok(payload) = serde_json::from_str::<Value>(&payload) else {
        return ApiError::not_found("the prompt")
            .in_chinese("找不到这段提示音")
            .into_response();
    };
    let text = payload["text"].as_str().unwrap_or_default().to_owned();
    let language = payload["language"].as_str().unwrap_or("zh-CN").to_owned();
    let provider =
        serde_json::from_value(payload["provider"].clone()).unwrap_or(TtsProvider::Espeak);
    let voice = VoiceSpec {
        provider,
        voice: payload["voice"].as_str().map(str::to_owned),
        language: language.clone(),
    };
    let Some(telephony) = load_telephony(&state, &tenant_id).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let fallback = telephony
        .fallback_voice(&language)
        .filter(|fallback| fallback.provider != TtsProvider::Twilio)
        .or_else(|| Some(VoiceSpec::new(TtsProvider::Espeak, language.clone())))
        .filter(|fallback| *fallback != voice);
    let aura = telephony.deepgram_key.clone().map(|api_key| AuraConfig {
        base_url: state.telephony.deepgram_url.clone(),
        api_key,
    });
    match state
        .tts
        .synthesize(&text, &voice, fallback.as_ref(), aura.as_ref())
        .await
    {
        Ok(synthesized) => (
            [
                (header::CONTENT_TYPE, "audio/wav"),
                (header::CACHE_CONTROL, "public, max-age=86400, immutable"),
            ],
            mulaw_wav(&synthesized.audio),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(tenant_id, %error, "a prompt for <Play> could not be spoken");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "speech_failed",
                "the prompt could not be spoken",
            )
            .in_chinese("提示语无法合成语音")
            .into_response()
        }
    }
}

/// 8 kHz mono μ-law audio as a WAV file (format 7), which Twilio plays.
pub fn mulaw_wav(audio: &[u8]) -> Vec<u8> {
    let length = u32::try_from(audio.len()).unwrap_or(u32::MAX - 64);
    let mut wav = Vec::with_capacity(audio.len() + 58);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(50 + length).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&18u32.to_le_bytes());
    wav.extend_from_slice(&7u16.to_le_bytes()); // μ-law
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes()); // bytes per second
    wav.extend_from_slice(&1u16.to_le_bytes()); // block align
    wav.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(&0u16.to_le_bytes()); // no extension
    wav.extend_from_slice(b"fact");
    wav.extend_from_slice(&4u32.to_le_bytes());
    wav.extend_from_slice(&length.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&length.to_le_bytes());
    wav.extend_from_slice(&audio[..length as usize]);
    wav
}

fn say(prompt: &Prompt, context: &RenderContext<'_>) -> TwimlPrompt {
    if let Some(url) = &prompt.url {
        return TwimlPrompt::Play(twilio::twiml::Play::new(url.clone()));
    }
    let voice = context
        .telephony
        .voice(prompt.voice.as_deref(), context.language);
    // A voice of this server's is played from its audio URL; Twilio's voices are `<Say>`.
    let named = match voice.provider {
        TtsProvider::Twilio => voice.voice.clone(),
        _ => match &context.audio {
            Some(audio) => {
                return TwimlPrompt::Play(twilio::twiml::Play::new(audio.url(&prompt.text, &voice)))
            }
            None => None,
        },
    };
    let mut say = Say::new(prompt.text.clone()).language(context.language.to_owned());
    if let Some(voice) = named.or_else(|| default_twilio_voice(context.language).map(str::to_owned))
    {
        say = say.voice(voice);
    }
    TwimlPrompt::Say(say)
}

fn push_prompt(twiml: &mut Twiml, prompt: TwimlPrompt) {
    match prompt {
        TwimlPrompt::Say(say) => {
            twiml.push(say);
        }
        TwimlPrompt::Play(play) => {
            twiml.push(play);
        }
        TwimlPrompt::Pause(pause) => {
            twiml.push(pause);
        }
    }
}

/// Renders what a turn asked for as TwiML for webhook mode.
pub fn render(plan: &Plan, context: &RenderContext<'_>) -> String {
    let mut twiml = Twiml::new();
    match &plan.next {
        Next::Listen(listen) => {
            // Prompts up to the last one the caller may not interrupt are played before the
            // Gather; the rest are its prompt, which speech or a key cuts short.
            let split = plan
                .prompts
                .iter()
                .rposition(|prompt| !prompt.barge_in)
                .map_or(0, |index| index + 1);
            for prompt in &plan.prompts[..split] {
                push_prompt(&mut twiml, say(prompt, context));
            }
            let speech = listen.modes.contains(&InputMode::Speech) && !context.dtmf_only;
            let dtmf = listen.modes.contains(&InputMode::Dtmf) || context.dtmf_only;
            let input = match (speech, dtmf) {
                (true, true) => GatherInput::Both,
                (true, false) => GatherInput::Speech,
                _ => GatherInput::Dtmf,
            };
            let mut gather = Gather::new(input);
            gather.action = Some(context.urls.step(WebhookStep::Gather));
            gather.method = Some(Method::Post);
            gather.timeout_s = Some(listen.timeout_ms.div_ceil(1000).max(1));
            if speech {
                gather.speech_timeout = Some(SpeechTimeout::Auto);
                gather.language = Some(listen.language.clone());
                gather.hints = listen.hints.clone();
            }
            gather.num_digits = listen.max_digits;
            gather.finish_on_key = listen.finish_on_key.clone();
            gather.action_on_empty_result = Some(true);
            gather.barge_in = Some(listen.barge_in);
            for prompt in &plan.prompts[split..] {
                gather = gather.prompt(say(prompt, context));
            }
            twiml.push(gather);
        }
        Next::Transfer(transfer) => {
            for prompt in &plan.prompts {
                push_prompt(&mut twiml, say(prompt, context));
            }
            match &transfer.target {
                TransferTarget::Queue(queue) => {
                    let mut enqueue = Enqueue::new(queue.clone());
                    enqueue.action = Some(context.urls.step(WebhookStep::Queue));
                    enqueue.method = Some(Method::Post);
                    twiml.push(enqueue);
                }
                TransferTarget::Phone(number) => {
                    twiml.push(dial(DialTarget::Number(number.clone()), context));
                }
                TransferTarget::Sip(address) => {
                    // The agent's phone learns which call record to open.
                    let separator = if address.contains('?') { '&' } else { '?' };
                    let address =
                        format!("{address}{separator}X-Callflow-Call-Id={}", context.call_id);
                    twiml.push(dial(DialTarget::Sip(address), context));
                }
            }
        }
        Next::HangUp { .. } | Next::Nothing => {
            for prompt in &plan.prompts {
                push_prompt(&mut twiml, say(prompt, context));
            }
            twiml.push(Verb::Hangup);
        }
    }
    twiml.render()
}

fn dial(target: DialTarget, context: &RenderContext<'_>) -> Dial {
    let mut dial = Dial::new(target);
    dial.action = Some(context.urls.step(WebhookStep::Dial));
    dial.method = Some(Method::Post);
    dial.timeout_s = Some(30);
    dial.caller_id = context.caller_id.map(str::to_owned);
    dial
}

/// TwiML that connects the call to the media-stream WebSocket; when the stream ends, Twilio
/// asks the `resume` step what to do next.
pub fn render_stream(urls: &Urls) -> String {
    match Stream::new(urls.stream()) {
        Ok(stream) => {
            let stream = stream
                .parameter("tenant", urls.tenant_id.clone())
                .parameter("session", urls.session_id.clone());
            let mut connect = Connect::stream(stream);
            connect.action = Some(urls.step(WebhookStep::Resume));
            connect.method = Some(Method::Post);
            Twiml::new().with(connect).render()
        }
        Err(error) => {
            tracing::error!(%error, "media streams need the server's public URL to be https");
            sorry()
        }
    }
}

/// An incoming call to one of the tenants' numbers.
async fn incoming(
    State(state): State<AppState>,
    request: Result<TwilioRequest, TwilioRejection>,
) -> Response {
    let request = match request {
        Ok(request) => request,
        Err(TwilioRejection::UnknownNumber(webhook)) => {
            state.metrics.unknown_number_calls.inc();
            tracing::warn!(
                call_sid = webhook.call_sid(),
                to = webhook.to().unwrap_or_default(),
                from = webhook.from().unwrap_or_default(),
                "a call to a number no tenant has"
            );
            return twiml(not_in_service());
        }
        Err(TwilioRejection::NumberLookupFailed | TwilioRejection::SettingsUnavailable) => {
            return twiml(sorry())
        }
        Err(rejection) => return rejection.into_response(),
    };
    let TwilioRequest {
        number: Some(number),
        telephony,
        base,
        form: webhook,
        ..
    } = request
    else {
        return twiml(not_in_service());
    };
    match crate::tenancy::ensure_active(&state.store, &number.tenant_id).await {
        Ok(()) => {}
        Err(crate::tenancy::Inactive::Suspended) => {
            tracing::info!(
                call_sid = webhook.call_sid(),
                tenant_id = number.tenant_id,
                "a call to a suspended tenant's number was turned away"
            );
            return twiml(suspended_goodbye(&state, &number).await);
        }
        Err(crate::tenancy::Inactive::Store(error)) => {
            tracing::error!(%error, "an incoming call's tenant could not be read");
            return twiml(sorry());
        }
    }
    match start_incoming(&state, &number, &webhook, &telephony, base).await {
        Ok(body) => twiml(body),
        // Counted as a refusal by the quota (`callflow_quota_refusals_total`) and logged there.
        Err(ConversationError::OverQuota { language, .. }) => {
            twiml(lines_busy(language.as_deref()))
        }
        Err(error) => {
            tracing::error!(%error, tenant_id = number.tenant_id, "an incoming call failed");
            twiml(sorry())
        }
    }
}

async fn start_incoming(
    state: &AppState,
    number: &PhoneNumber,
    webhook: &VoiceWebhook,
    telephony: &Telephony,
    base: String,
) -> Result<String, ConversationError> {
    let tenant_id = &number.tenant_id;
    let mode = number.mode;
    let new = NewPhoneCall {
        flow_id: number.flow_id.clone(),
        version: number.flow_version,
        mode,
        direction: FlowDirection::Inbound,
        from: webhook.from().unwrap_or_default().to_owned(),
        to: webhook.to().unwrap_or_default().to_owned(),
        call_sid: Some(webhook.call_sid().to_owned()),
        vars: serde_json::Map::new(),
        call_id: None,
        on_machine: None,
    };
    let mut call = phone::prepare(state, tenant_id, new).await?;
    let urls = Urls {
        base,
        tenant_id: tenant_id.clone(),
        session_id: call.chat.id.clone(),
        turn: 1,
    };
    let inserted = match mode {
        Mode::Stream => {
            call.phone.twiml = render_stream(&urls);
            phone::insert(state, tenant_id, &mut call, Vec::new()).await
        }
        Mode::Webhook => {
            let output = phone::drive(state, tenant_id, &mut call.session, Event::Started).await?;
            phone::absorb(&mut call, &output.plan);
            call.phone.twiml = render(
                &output.plan,
                &context(&call, &urls, telephony, &state.secrets, false),
            );
            let inserted = phone::insert(state, tenant_id, &mut call, output.events).await;
            if inserted.is_ok() && matches!(output.plan.next, Next::Transfer(_)) {
                phone::publish_handoff(state, tenant_id, &call).await?;
            }
            inserted
        }
    };
    match inserted {
        Ok(()) => Ok(call.phone.twiml),
        // Twilio asked twice for the same call: the first start stands.
        Err(ConversationError::Duplicate) => {
            match phone::find_by_sid(state, tenant_id, webhook.call_sid()).await? {
                Some(existing) => Ok(existing.phone.twiml),
                None => Err(ConversationError::NotFound),
            }
        }
        Err(error) => Err(error),
    }
}

fn context<'a>(
    call: &'a Call,
    urls: &'a Urls,
    telephony: &'a Telephony,
    secrets: &'a ServerKey,
    dtmf_only: bool,
) -> RenderContext<'a> {
    let own = match call.phone.direction {
        FlowDirection::Inbound => &call.phone.to,
        FlowDirection::Outbound => &call.phone.from,
    };
    RenderContext {
        urls,
        language: &call.phone.language,
        telephony,
        caller_id: Some(own.as_str()).filter(|number| !number.is_empty()),
        call_id: &call.chat.call_id,
        dtmf_only,
        // Once this server's voices have failed on the call, Twilio's speak.
        audio: secrets
            .get()
            .ok()
            .filter(|_| !call.phone.tts_failed)
            .map(|secrets| AudioUrls {
                base: &urls.base,
                tenant_id: &urls.tenant_id,
                secrets,
            }),
    }
}

#[derive(Debug, Deserialize)]
struct StepQuery {
    #[serde(default)]
    turn: Option<i64>,
}

/// A webhook that continues a call: `answer`, `gather`, `dial`, `queue`, `resume`, `status`.
async fn step(
    State(state): State<AppState>,
    Path((tenant_id, session_id, step)): Path<(String, String, String)>,
    Query(query): Query<StepQuery>,
    request: Result<TwilioRequest, TwilioRejection>,
) -> Response {
    let TwilioRequest {
        telephony,
        base,
        form: webhook,
        ..
    } = match request {
        Ok(request) => request,
        Err(TwilioRejection::SettingsUnavailable) => return twiml(sorry()),
        Err(rejection) => return rejection.into_response(),
    };
    let Some(name) = WebhookStep::parse(&step) else {
        return ApiError::not_found("the call step")
            .in_chinese("找不到这一步通话")
            .into_response();
    };
    let result = match name {
        WebhookStep::Status => status(&state, &tenant_id, &session_id, &webhook)
            .await
            .map(|()| String::new()),
        _ => {
            let Some(turn) = query.turn else {
                return invalid_webhook("the URL has no turn".into());
            };
            continue_call(
                &state,
                &telephony,
                Step {
                    tenant_id: &tenant_id,
                    session_id: &session_id,
                    name,
                    turn,
                    base,
                },
                &webhook,
            )
            .await
        }
    };
    match result {
        Ok(body) if name == WebhookStep::Status => (StatusCode::NO_CONTENT, body).into_response(),
        Ok(body) => twiml(body),
        Err(ConversationError::NotFound) => twiml(not_in_service()),
        Err(error) => {
            tracing::error!(%error, tenant_id, session_id, step, "a call webhook failed");
            twiml(sorry())
        }
    }
}

struct Step<'a> {
    tenant_id: &'a str,
    session_id: &'a str,
    name: WebhookStep,
    turn: i64,
    base: String,
}

/// The flow event a step's webhook brings.
fn event_of(step: WebhookStep, webhook: &VoiceWebhook) -> Option<Event> {
    match step {
        WebhookStep::Answer => Some(Event::Started),
        WebhookStep::Gather => Some(match webhook.gather_result() {
            GatherResult::Digits(digits) => Event::Digits {
                digits: digits.to_owned(),
            },
            GatherResult::Speech {
                transcript,
                confidence,
            } => Event::Heard {
                text: transcript.to_owned(),
                confidence,
            },
            GatherResult::Nothing => Event::NoInput,
        }),
        WebhookStep::Dial => {
            let status = match webhook.dial_call_status() {
                Some(DialCallStatus::Completed | DialCallStatus::Answered) => {
                    HandoffStatus::Connected
                }
                Some(DialCallStatus::Busy) => HandoffStatus::Busy,
                Some(DialCallStatus::NoAnswer) => HandoffStatus::NoAnswer,
                _ => HandoffStatus::Failed,
            };
            Some(Event::HandoffResult { status })
        }
        WebhookStep::Queue => Some(match webhook.queue_result() {
            Some("bridged") => Event::HandoffResult {
                status: HandoffStatus::Connected,
            },
            // The caller hung up while waiting.
            Some("hangup") => Event::HungUp,
            Some("queue-full") => Event::HandoffResult {
                status: HandoffStatus::Busy,
            },
            Some("leave" | "redirected") => Event::HandoffResult {
                status: HandoffStatus::NoAnswer,
            },
            _ => Event::HandoffResult {
                status: HandoffStatus::Failed,
            },
        }),
        WebhookStep::Resume | WebhookStep::Status => None,
    }
}

async fn continue_call(
    state: &AppState,
    telephony: &Telephony,
    step: Step<'_>,
    webhook: &VoiceWebhook,
) -> Result<String, ConversationError> {
    let mut call = phone::load(state, step.tenant_id, step.session_id).await?;
    if call.phone.call_sid.is_empty() {
        // An outbound call, answered: from now on it is known by Twilio's id.
        call.phone.call_sid = webhook.call_sid().to_owned();
    } else if call.phone.call_sid != webhook.call_sid() {
        return Err(ConversationError::NotFound);
    }
    let urls = Urls {
        base: step.base,
        tenant_id: step.tenant_id.to_owned(),
        session_id: step.session_id.to_owned(),
        turn: call.chat.turn + 1,
    };
    if step.name == WebhookStep::Resume {
        return resume(state, telephony, step.tenant_id, call, urls).await;
    }
    // A retry of a webhook already answered (or one overtaken by a later one): the same answer.
    if call.chat.turn != step.turn {
        return Ok(match call.phone.twiml.is_empty() {
            true => Twiml::new().with(Verb::Hangup).render(),
            false => call.phone.twiml.clone(),
        });
    }
    if call.is_ended() {
        return Ok(Twiml::new().with(Verb::Hangup).render());
    }
    let mut events = Vec::new();
    if step.name == WebhookStep::Answer {
        if let Some(answered_by) = webhook.answered_by() {
            let report = CarrierReport {
                answered_by: Some(answered_by.as_str().to_owned()),
                ..CarrierReport::default()
            };
            state
                .store
                .record_carrier_report(step.tenant_id, &call.chat.call_id, &report)
                .await?;
            let machine =
                answered_by.as_str().starts_with("machine") || answered_by.as_str() == "fax";
            if let Some(on_machine) = call.phone.on_machine.as_ref().filter(|_| machine) {
                // Nobody to talk to: the flow does not run, and the call ends unreached.
                let mut twiml = Twiml::new();
                if let phone::OnMachine::LeaveMessage(message) = on_machine {
                    // The message is heard as a person would hear the flow: after the shop's
                    // notice, in the shop's voice.
                    let spoken = context(&call, &urls, telephony, &state.secrets, false);
                    for text in call.phone.notice.iter().chain([message]) {
                        let prompt = Prompt {
                            text: text.clone(),
                            voice: None,
                            url: None,
                            barge_in: false,
                        };
                        push_prompt(&mut twiml, say(&prompt, &spoken));
                    }
                }
                phone::end_unreached(state, step.tenant_id, &call, "machine").await?;
                return Ok(twiml.with(Verb::Hangup).render());
            }
        }
        if call.phone.mode == Mode::Stream && !call.has_started() {
            call.phone.twiml = render_stream(&urls);
            phone::save(state, step.tenant_id, &mut call, events).await?;
            return Ok(call.phone.twiml);
        }
    }
    let mut plan = {
        let Some(event) = event_of(step.name, webhook) else {
            return Err(ConversationError::NotFound);
        };
        if step.name == WebhookStep::Queue {
            let result = webhook.queue_result().unwrap_or("error");
            crate::queues::handoff::phone_left_queue(
                state,
                step.tenant_id,
                &call.chat.call_id,
                result,
            )
            .await?;
        }
        if step.name == WebhookStep::Dial {
            events.push(phone::phone_event(
                "handoff_result",
                None,
                json!({
                    "dial_call_status": webhook.dial_call_status().map(|s| s.as_str().to_owned()),
                    "dial_call_sid": webhook.dial_call_sid(),
                    "dial_call_duration_s": webhook.dial_call_duration(),
                }),
            ));
        }
        let output = phone::drive(state, step.tenant_id, &mut call.session, event).await?;
        events.extend(output.events);
        output.plan
    };
    phone::say_notice_first(&mut call, &mut plan);
    phone::absorb(&mut call, &plan);
    let dtmf_only = call.phone.asr_fallback == Some(crate::telephony::AsrFallback::Dtmf);
    call.phone.twiml = render(
        &plan,
        &context(&call, &urls, telephony, &state.secrets, dtmf_only),
    );
    match phone::save(state, step.tenant_id, &mut call, events).await {
        Ok(()) => {}
        // A retry raced this request and was saved first: answer as it did.
        Err(ConversationError::TurnConflict) => {
            let current = phone::load(state, step.tenant_id, step.session_id).await?;
            return Ok(current.phone.twiml);
        }
        Err(error) => return Err(error),
    }
    if matches!(plan.next, Next::Transfer(_)) {
        phone::publish_handoff(state, step.tenant_id, &call).await?;
    }
    Ok(call.phone.twiml)
}

/// A media stream ended and handed the call back to TwiML: what it left pending, once. A
/// stream that ended without leaving anything (its server stopped) is connected again; a retry
/// gets the answer the first request got.
async fn resume(
    state: &AppState,
    telephony: &Telephony,
    tenant_id: &str,
    mut call: Call,
    urls: Urls,
) -> Result<String, ConversationError> {
    let Some(plan) = call.phone.pending.take() else {
        if call.is_ended() {
            return Ok(Twiml::new().with(Verb::Hangup).render());
        }
        return Ok(match call.phone.mode {
            Mode::Stream => render_stream(&urls),
            Mode::Webhook => call.phone.twiml.clone(),
        });
    };
    call.phone.mode = Mode::Webhook;
    let dtmf_only = call.phone.asr_fallback == Some(crate::telephony::AsrFallback::Dtmf);
    let handoff_fallback = call.phone.asr_fallback == Some(crate::telephony::AsrFallback::Handoff)
        && matches!(plan.next, Next::Transfer(_));
    call.phone.twiml = render(
        &plan,
        &context(&call, &urls, telephony, &state.secrets, dtmf_only),
    );
    if handoff_fallback {
        // The call leaves the flow for an agent: its record ends as a handoff.
        phone::finish(
            state,
            tenant_id,
            &mut call,
            Vec::new(),
            CallOutcome::Handoff,
        )
        .await?;
    } else if !call.is_ended() {
        phone::save(state, tenant_id, &mut call, Vec::new()).await?;
    }
    Ok(call.phone.twiml)
}

/// A status callback to the global URL: the tenant is found by the call's number.
async fn status_by_number(
    State(state): State<AppState>,
    request: Result<TwilioRequest, TwilioRejection>,
) -> Response {
    let TwilioRequest {
        tenant_id,
        form: webhook,
        ..
    } = match request {
        Ok(request) => request,
        Err(TwilioRejection::UnknownNumber(_) | TwilioRejection::NumberLookupFailed) => {
            return StatusCode::NO_CONTENT.into_response()
        }
        Err(rejection) => return rejection.into_response(),
    };
    let call = match phone::find_by_sid(&state, &tenant_id, webhook.call_sid()).await {
        Ok(Some(call)) => call,
        Ok(None) => return StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::error!(%error, "a status callback failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match status(&state, &tenant_id, &call.chat.id, &webhook).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::error!(%error, "a status callback failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Records the carrier's status; a final one ends a call the flow had not ended (the caller
/// hung up, or an outbound call was not answered).
pub async fn status(
    state: &AppState,
    tenant_id: &str,
    session_id: &str,
    webhook: &VoiceWebhook,
) -> Result<(), ConversationError> {
    let Some(status) = webhook.call_status() else {
        return Ok(());
    };
    for _ in 0..3 {
        let mut call = phone::load(state, tenant_id, session_id).await?;
        if !call.phone.call_sid.is_empty() && call.phone.call_sid != webhook.call_sid() {
            return Err(ConversationError::NotFound);
        }
        let report = CarrierReport {
            status: Some(status.as_str().to_owned()),
            duration_ms: webhook
                .call_duration()
                .map(|seconds| i64::from(seconds) * 1000),
            answered_by: webhook.answered_by().map(|by| by.as_str().to_owned()),
        };
        state
            .store
            .record_carrier_report(tenant_id, &call.chat.call_id, &report)
            .await?;
        if !status.is_final() || call.is_ended() {
            return Ok(());
        }
        if !call.has_started() {
            // Nobody answered: the call ends before its flow began.
            return phone::end_unreached(state, tenant_id, &call, status.as_str()).await;
        }
        let output = phone::drive(state, tenant_id, &mut call.session, Event::HungUp).await?;
        phone::absorb(&mut call, &output.plan);
        let mut events = output.events;
        if status != CallStatus::Completed {
            events.push(phone::phone_event(
                "carrier_status",
                None,
                json!({ "status": status.as_str() }),
            ));
        }
        match phone::save(state, tenant_id, &mut call, events).await {
            Err(ConversationError::TurnConflict) => continue,
            other => return other,
        }
    }
    Err(ConversationError::TurnConflict)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telephony::{SpeechSettings, TtsSettings};
    use flow_engine::model::Outcome;
    use flow_engine::runtime::{Listen, Transfer};

    #[test]
    fn webhook_steps_round_trip_through_their_url_names() {
        for step in WebhookStep::ALL {
            assert_eq!(WebhookStep::parse(step.as_str()), Some(step));
        }
        assert_eq!(WebhookStep::parse("hangup"), None);
        assert!(urls().step(WebhookStep::Gather).contains("/gather?turn="));
    }

    fn urls() -> Urls {
        Urls {
            base: "https://cf.example.com".into(),
            tenant_id: "ten_1".into(),
            session_id: "cht_1".into(),
            turn: 3,
        }
    }

    fn prompt(text: &str, barge_in: bool) -> Prompt {
        crate::channels::twilio::stream::machine::own_prompt(text.into(), barge_in)
    }

    fn render_with(plan: &Plan, telephony: &Telephony) -> String {
        let urls = urls();
        render(
            plan,
            &RenderContext {
                urls: &urls,
                language: "zh-CN",
                telephony,
                caller_id: Some("+8657100000000"),
                call_id: "cal_1",
                dtmf_only: false,
                audio: None,
            },
        )
    }

    #[test]
    fn a_listen_becomes_a_gather_after_the_prompts_that_may_not_be_interrupted() {
        let plan = Plan {
            prompts: vec![
                prompt("录音提示", false),
                prompt("请问有什么可以帮您？", true),
            ],
            next: Next::Listen(Listen {
                node: "ask".into(),
                modes: vec![InputMode::Speech, InputMode::Dtmf],
                language: "zh-CN".into(),
                timeout_ms: 4500,
                hints: vec!["查订单".into(), "退货".into()],
                max_digits: Some(12),
                finish_on_key: Some("#".into()),
                barge_in: true,
            }),
        };
        let xml = render_with(&plan, &Telephony::default());
        let document = roxmltree::Document::parse(&xml).expect("well-formed");
        let verbs: Vec<_> = document
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .collect();
        assert_eq!(verbs[0].tag_name().name(), "Say");
        assert_eq!(verbs[0].text(), Some("录音提示"));
        let gather = verbs[1];
        assert_eq!(gather.tag_name().name(), "Gather");
        assert_eq!(gather.attribute("input"), Some("dtmf speech"));
        assert_eq!(
            gather.attribute("action"),
            Some("https://cf.example.com/twilio/calls/ten_1/cht_1/gather?turn=3")
        );
        assert_eq!(gather.attribute("timeout"), Some("5"));
        assert_eq!(gather.attribute("hints"), Some("查订单,退货"));
        assert_eq!(gather.attribute("numDigits"), Some("12"));
        assert_eq!(gather.attribute("finishOnKey"), Some("#"));
        assert_eq!(gather.attribute("language"), Some("zh-CN"));
        assert_eq!(gather.attribute("actionOnEmptyResult"), Some("true"));
        let inner: Vec<_> = gather.children().filter(|n| n.is_element()).collect();
        assert_eq!(inner.len(), 1);
        assert_eq!(inner[0].text(), Some("请问有什么可以帮您？"));
        assert_eq!(inner[0].attribute("voice"), Some("Polly.Zhiyu"));
    }

    #[test]
    fn transfers_dial_or_enqueue_with_an_action() {
        let transfer = |target| Plan {
            prompts: vec![prompt("正在为您转接人工客服", true)],
            next: Next::Transfer(Transfer {
                target,
                summary: "订单号 1".into(),
                vars: serde_json::Map::new(),
            }),
        };
        let telephony = Telephony::default();
        let queue = render_with(
            &transfer(TransferTarget::Queue("support".into())),
            &telephony,
        );
        assert!(queue.contains(
            r#"<Enqueue action="https://cf.example.com/twilio/calls/ten_1/cht_1/queue?turn=3" method="POST">support</Enqueue>"#
        ), "{queue}");
        let number = render_with(
            &transfer(TransferTarget::Phone("+8613800000000".into())),
            &telephony,
        );
        assert!(
            number.contains("<Number>+8613800000000</Number>"),
            "{number}"
        );
        assert!(number.contains(r#"callerId="+8657100000000""#), "{number}");
        let sip = render_with(
            &transfer(TransferTarget::Sip("sip:agent@pbx.example.com".into())),
            &telephony,
        );
        assert!(
            sip.contains("sip:agent@pbx.example.com?X-Callflow-Call-Id=cal_1"),
            "{sip}"
        );
    }

    #[test]
    fn a_twilio_voice_from_the_tenant_or_the_node_is_used() {
        let telephony = Telephony {
            speech: SpeechSettings {
                tts: TtsSettings {
                    provider: TtsProvider::Twilio,
                    voice: Some("Google.cmn-CN-Standard-A".into()),
                    fallback: None,
                },
                ..SpeechSettings::default()
            },
            ..Telephony::default()
        };
        let plan = Plan {
            prompts: vec![
                prompt("您好", true),
                Prompt {
                    voice: Some("twilio:Polly.Zhiyu".into()),
                    ..prompt("再见", true)
                },
            ],
            next: Next::HangUp {
                outcome: Outcome::Resolved,
            },
        };
        let xml = render_with(&plan, &telephony);
        assert!(xml.contains(r#"voice="Google.cmn-CN-Standard-A""#), "{xml}");
        assert!(xml.contains(r#"voice="Polly.Zhiyu""#), "{xml}");
        assert!(xml.ends_with("<Hangup/></Response>"), "{xml}");
    }

    #[test]
    fn the_stream_url_follows_the_public_scheme() {
        assert_eq!(urls().stream(), "wss://cf.example.com/twilio/stream/ten_1");
        let local = Urls {
            base: "http://127.0.0.1:8080".into(),
            ..urls()
        };
        assert_eq!(local.stream(), "ws://127.0.0.1:8080/twilio/stream/ten_1");
        let xml = render_stream(&urls());
        assert!(
            xml.contains(r#"<Parameter name="session" value="cht_1"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"action="https://cf.example.com/twilio/calls/ten_1/cht_1/resume?turn=3""#
            ),
            "{xml}"
        );
    }
}
