//! "Listen": a short sentence spoken with a voice the tenant has chosen (or is about to
//! choose), as a WAV file the browser plays. The voice is exactly the one asked for, without
//! the fallback a call would use, so what is heard is what was chosen. The text is bounded and
//! the result goes through the shared speech cache, so repeated listening costs nothing and
//! the synthesizers' own limits (eSpeak NG processes at once) hold.

use serde::Deserialize;
use utoipa::ToSchema;

use super::settings::{self, TelephonyError};
use crate::conversation::tenant_name;
use crate::language::Text;
use crate::state::AppState;
use speech::tts::{AuraConfig, TtsError, TtsProvider, VoiceSpec};

/// The longest text a preview speaks, in characters: a sentence or two.
pub const TEXT_MAX_CHARS: usize = 200;

/// What to speak, and with which voice.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// At most 200 characters; absent: a greeting with the shop's name in `language`.
    #[serde(default)]
    pub text: Option<String>,
    /// `zh-CN` (default) or `en-US` (any BCP 47 tag of a language the voice speaks).
    #[serde(default)]
    #[schema(max_length = 16, pattern = r"^[A-Za-z0-9-]*$")]
    pub language: Option<String>,
    /// `aura` or `espeak`; absent: the tenant's saved provider.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "espeak")]
    pub provider: Option<TtsProvider>,
    /// The provider's voice (`cmn`, `aura-2-thalia-en`); absent: the saved voice when the
    /// provider is the saved one, else the provider's default for the language.
    #[serde(default)]
    #[schema(max_length = 64, pattern = r"^[A-Za-z0-9_+/.-]*$")]
    pub voice: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// A wrong field, as a JSON pointer, with what is wrong.
    #[error("{field}: {}", message.en)]
    Invalid {
        field: &'static str,
        code: &'static str,
        message: Text,
    },
    /// The provider could not speak; the message says why, without the provider's own words.
    #[error("{}", .0.en)]
    Failed(Text),
    #[error(transparent)]
    Settings(#[from] TelephonyError),
}

fn invalid(field: &'static str, code: &'static str, zh: &str, en: &str) -> PreviewError {
    PreviewError::Invalid {
        field,
        code,
        message: Text::new(zh, en),
    }
}

/// Speaks the preview: a 16-bit PCM WAV file.
pub async fn speak(
    state: &AppState,
    tenant_id: &str,
    request: PreviewRequest,
) -> Result<Vec<u8>, PreviewError> {
    let language = request
        .language
        .as_deref()
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .unwrap_or("zh-CN")
        .to_owned();
    if language.len() > 16
        || !language
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
    {
        return Err(invalid(
            "/language",
            "invalid_language",
            "语言代码有误，例如 zh-CN 或 en-US",
            "not a language tag such as zh-CN or en-US",
        ));
    }
    let secrets = state
        .secrets
        .get()
        .map_err(|error| TelephonyError::Corrupt(error.to_string()))?;
    let telephony = settings::load(&state.store, secrets, tenant_id).await?;
    let text = match request.text.as_deref().map(str::trim) {
        Some("") => {
            return Err(invalid(
                "/text",
                "required",
                "请填写要试听的句子",
                "enter a sentence to listen to",
            ))
        }
        Some(text) if text.chars().count() > TEXT_MAX_CHARS => {
            return Err(PreviewError::Invalid {
                field: "/text",
                code: "too_long",
                message: Text::new(
                    format!("试听的句子最多 {TEXT_MAX_CHARS} 个字"),
                    format!("at most {TEXT_MAX_CHARS} characters"),
                ),
            })
        }
        Some(text) => text.to_owned(),
        None => greeting(state, tenant_id, &language).await?,
    };
    let saved = &telephony.speech.tts;
    let provider = request.provider.unwrap_or(saved.provider);
    let voice = request
        .voice
        .map(|voice| voice.trim().to_owned())
        .filter(|voice| !voice.is_empty())
        .or_else(|| {
            (provider == saved.provider)
                .then(|| saved.voice.clone())
                .flatten()
        });
    if voice.as_ref().is_some_and(|voice| voice.len() > 64) {
        return Err(invalid(
            "/voice",
            "invalid_value",
            "音色名称太长",
            "the voice's name is too long",
        ));
    }
    // Voice names are short ASCII words (`cmn`, `en-us+f3`, `aura-2-thalia-en`); anything else
    // is a typing mistake, told as one rather than as a failure of the voice.
    if voice.as_deref().is_some_and(|voice| {
        !voice
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '/' | '.'))
    }) {
        return Err(invalid(
            "/voice",
            "invalid_value",
            "音色名称只能包含字母、数字和 - _ + / .",
            "a voice's name holds letters, digits and - _ + / . only",
        ));
    }
    let spec = VoiceSpec {
        provider,
        voice,
        language: language.clone(),
    };
    let aura = telephony.deepgram_key.map(|api_key| AuraConfig {
        base_url: state.telephony.deepgram_url.clone(),
        api_key,
    });
    let synthesized = state
        .tts
        .synthesize(&text, &spec, None, aura.as_ref())
        .await
        .map_err(|error| synthesis_error(error, &spec))?;
    Ok(speech::wav::pcm16_from_mulaw(&synthesized.audio))
}

/// The sentence a voice says when no text is given: the shop's greeting.
async fn greeting(
    state: &AppState,
    tenant_id: &str,
    language: &str,
) -> Result<String, PreviewError> {
    let tenant = state
        .store
        .get_tenant(tenant_id)
        .await
        .map_err(TelephonyError::from)?;
    let name = tenant
        .as_ref()
        .map_or("", |tenant| tenant_name(tenant, language));
    Ok(if language.to_ascii_lowercase().starts_with("zh") {
        format!("您好，这里是{name}智能客服，请问有什么可以帮您？")
    } else {
        format!("Hello, this is the {name} service line. How can I help you today?")
    })
}

fn synthesis_error(error: TtsError, spec: &VoiceSpec) -> PreviewError {
    match error {
        TtsError::Unsupported(_) => invalid(
            "/provider",
            "voice_not_previewable",
            "Twilio 的音色由 Twilio 在通话中朗读，这里无法试听；请试听 Aura 或 espeak-ng 的音色",
            "Twilio's voices are spoken by Twilio during the call and cannot be heard here; \
             listen to an Aura or espeak-ng voice",
        ),
        TtsError::NotConfigured => invalid(
            "/provider",
            "deepgram_not_configured",
            "Aura 音色需要 Deepgram 密钥，请先在电话设置里保存",
            "Aura voices need a Deepgram key; save one in the telephony settings first",
        ),
        TtsError::NoVoice { .. } => PreviewError::Invalid {
            field: "/voice",
            code: "no_voice",
            message: Text::new(
                format!(
                    "{} 没有 {} 的默认音色，请填写一个音色名称",
                    spec.provider, spec.language
                ),
                format!(
                    "{} has no default voice for {}; enter a voice's name",
                    spec.provider, spec.language
                ),
            ),
        },
        // espeak-ng runs here, with nothing between it and the sentence but the voice's name (or
        // the language it is chosen by): its failure is that name's, the asker's to fix.
        TtsError::Failed(_) if spec.provider == TtsProvider::Espeak => match spec.voice {
            Some(_) => invalid(
                "/voice",
                "unknown_voice",
                "espeak-ng 没有这个音色，请换一个名称（例如 cmn 或 en-us）",
                "espeak-ng has no voice of this name; enter another (such as cmn or en-us)",
            ),
            None => invalid(
                "/language",
                "unknown_voice",
                "espeak-ng 没有这种语言的音色，请换一种语言（例如 zh-CN 或 en-US）",
                "espeak-ng has no voice for this language; choose another (such as zh-CN or en-US)",
            ),
        },
        other => {
            tracing::warn!(error = %other, provider = %spec.provider, "a voice preview failed");
            PreviewError::Failed(Text::new(
                format!(
                    "{} 没能朗读这句话，请检查音色名称，或稍后再试",
                    spec.provider
                ),
                format!(
                    "{} could not speak the sentence; check the voice's name or try again later",
                    spec.provider
                ),
            ))
        }
    }
}
