//! A tenant's telephony settings: the Twilio account, the speech providers and their
//! fallbacks, as the API shows and takes them, as the database keeps them (secrets sealed with
//! the server's key), and as a call uses them (secrets opened).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::is_phone_number;
use crate::error::FieldProblem;
use crate::secrets::SecretBox;
use crate::store::{Actor, Store, StoreError};
use speech::tts::{TtsProvider, VoiceSpec};

/// Who recognises the caller's speech.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AsrProvider {
    /// Twilio's own recognition (`<Gather input="speech">`, webhook mode).
    Twilio,
    /// Deepgram live recognition on a media stream.
    #[default]
    Deepgram,
}

/// What a media-stream call does when Deepgram cannot be reached or fails mid-call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AsrFallback {
    /// Continue the call in webhook mode with Twilio's recognition.
    #[default]
    Twilio,
    /// Continue with keypad input only, after telling the caller so.
    Dtmf,
    /// Hand the call to a person (`fallback_handoff`).
    Handoff,
}

/// Speech recognition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AsrSettings {
    #[serde(default)]
    pub provider: AsrProvider,
    /// Deepgram model, e.g. `nova-3` (default by language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default)]
    pub fallback: AsrFallback,
    /// Where `handoff` fallback sends the call: `queue:<name>`, a phone number, or
    /// `sip:<address>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_handoff: Option<String>,
    /// What the caller hears when recognition fails and `dtmf` fallback applies (default: a
    /// sentence in the flow's language asking for the keypad).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf_prompt: Option<String>,
}

/// A voice: a provider and, optionally, one of its voices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoiceChoice {
    #[schema(value_type = String, example = "espeak")]
    pub provider: TtsProvider,
    /// e.g. `Polly.Zhiyu` (Twilio), `aura-2-thalia-en` (Aura), `cmn` (espeak-ng).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
}

/// Speech synthesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TtsSettings {
    /// `twilio` (webhook mode's `<Say>`), `aura` or `espeak` (audio on media streams).
    #[schema(value_type = String, example = "espeak")]
    pub provider: TtsProvider,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// Used when the provider fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<VoiceChoice>,
}

impl Default for TtsSettings {
    fn default() -> Self {
        TtsSettings {
            provider: TtsProvider::Espeak,
            voice: None,
            fallback: None,
        }
    }
}

/// Recognition and synthesis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpeechSettings {
    #[serde(default)]
    pub asr: AsrSettings,
    #[serde(default)]
    pub tts: TtsSettings,
}

/// The settings as the database keeps them: secrets sealed for their tenant and field.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    twilio: Option<StoredTwilio>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deepgram: Option<StoredDeepgram>,
    #[serde(default)]
    speech: SpeechSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredTwilio {
    account_sid: String,
    auth_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredDeepgram {
    api_key: String,
}

/// The Twilio account as the API shows it: the auth token never leaves the server.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TwilioView {
    pub account_sid: String,
    pub auth_token_set: bool,
}

/// Deepgram as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeepgramView {
    pub api_key_set: bool,
}

/// A tenant's telephony settings, without secrets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TelephonyView {
    pub twilio: Option<TwilioView>,
    pub deepgram: Option<DeepgramView>,
    pub speech: SpeechSettings,
    /// Epoch milliseconds; `null` before the first save.
    pub updated_at: Option<i64>,
}

/// The Twilio account to keep. `auth_token` may be left out to keep the stored one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwilioUpdate {
    /// `AC` and 32 hexadecimal digits.
    pub account_sid: String,
    #[serde(default)]
    pub auth_token: Option<String>,
}

/// The Deepgram key to keep; leave `api_key` out to keep the stored one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeepgramUpdate {
    #[serde(default)]
    pub api_key: Option<String>,
}

/// New telephony settings; they replace the old ones, except that secrets left out are kept.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TelephonyUpdate {
    /// `null` or absent: no Twilio account.
    #[serde(default)]
    pub twilio: Option<TwilioUpdate>,
    /// `null` or absent: no Deepgram.
    #[serde(default)]
    pub deepgram: Option<DeepgramUpdate>,
    #[serde(default)]
    pub speech: SpeechSettings,
}

/// A tenant's telephony settings, secrets opened: what calls use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Telephony {
    pub twilio: Option<twilio::Account>,
    pub deepgram_key: Option<String>,
    pub speech: SpeechSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum TelephonyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored telephony settings are unreadable: {0}")]
    Corrupt(String),
    /// An update with errors, each naming its field.
    #[error("the telephony settings have errors")]
    Invalid(Vec<FieldProblem>),
}

fn context(tenant_id: &str, field: &str) -> String {
    format!("telephony/{tenant_id}/{field}")
}

fn read(value: Value) -> Result<Stored, TelephonyError> {
    serde_json::from_value(value).map_err(|error| TelephonyError::Corrupt(error.to_string()))
}

async fn load_stored(
    store: &Store,
    tenant_id: &str,
) -> Result<(Stored, Option<i64>), TelephonyError> {
    match store.get_telephony_settings(tenant_id).await? {
        Some((value, updated_at)) => Ok((read(value)?, Some(updated_at))),
        None => Ok((Stored::default(), None)),
    }
}

/// The settings as the API shows them.
pub async fn view(store: &Store, tenant_id: &str) -> Result<TelephonyView, TelephonyError> {
    let (stored, updated_at) = load_stored(store, tenant_id).await?;
    Ok(TelephonyView {
        twilio: stored.twilio.map(|twilio| TwilioView {
            account_sid: twilio.account_sid,
            auth_token_set: !twilio.auth_token.is_empty(),
        }),
        deepgram: stored.deepgram.map(|deepgram| DeepgramView {
            api_key_set: !deepgram.api_key.is_empty(),
        }),
        speech: stored.speech,
        updated_at,
    })
}

/// The settings with their secrets opened, for a call. A secret that does not open (the
/// server's key changed) counts as missing, with a warning in the log.
pub async fn load(
    store: &Store,
    secrets: &SecretBox,
    tenant_id: &str,
) -> Result<Telephony, TelephonyError> {
    let (stored, _) = load_stored(store, tenant_id).await?;
    let open = |sealed: &str, field: &str| match secrets.open(sealed, &context(tenant_id, field)) {
        Ok(secret) => Some(secret),
        Err(error) => {
            tracing::warn!(tenant_id, field, %error, "a stored secret does not open");
            None
        }
    };
    Ok(Telephony {
        twilio: stored.twilio.and_then(|twilio| {
            open(&twilio.auth_token, "twilio.auth_token").map(|auth_token| twilio::Account {
                account_sid: twilio.account_sid,
                auth_token,
            })
        }),
        deepgram_key: stored
            .deepgram
            .and_then(|deepgram| open(&deepgram.api_key, "deepgram.api_key")),
        speech: stored.speech,
    })
}

fn invalid(field: &str, zh: &str, en: &str) -> FieldProblem {
    FieldProblem::new(field, "invalid_value", zh, en)
}

/// Whether `sid` looks like a Twilio account SID.
pub fn is_account_sid(sid: &str) -> bool {
    sid.len() == 34
        && sid.starts_with("AC")
        && sid[2..].bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Checks an update and saves it, sealing new secrets and keeping the ones left out.
/// The change and its audit entry (which says which secrets changed, not what they are) are
/// written together.
pub async fn update(
    store: &Store,
    secrets: &SecretBox,
    actor: &Actor,
    update: TelephonyUpdate,
    now_ms: i64,
) -> Result<TelephonyView, TelephonyError> {
    let tenant_id = actor.tenant_id.as_str();
    let secrets_changed = json!({
        "twilio_auth_token": update.twilio.as_ref().is_some_and(|t| t.auth_token.is_some()),
        "deepgram_api_key": update.deepgram.as_ref().is_some_and(|d| d.api_key.is_some()),
    });
    let (current, _) = load_stored(store, tenant_id).await?;
    let mut errors = Vec::new();
    let secret = |value: Option<String>,
                  kept: Option<&String>,
                  field: &str,
                  errors: &mut Vec<_>| {
        match value.map(|value| value.trim().to_owned()) {
            Some(value) if value.is_empty() || value.len() > 512 => {
                errors.push(invalid(
                    field,
                    "长度须为 1 到 512 个字符",
                    "must be 1 to 512 characters",
                ));
                None
            }
            Some(value) => {
                Some(secrets.seal(&value, &context(tenant_id, &field[1..].replace('/', "."))))
            }
            None => match kept {
                Some(kept) => Some(kept.clone()),
                None => {
                    errors.push(FieldProblem::new(
                        field,
                        "required",
                        "还没有保存过，请填写",
                        "is required when none is stored",
                    ));
                    None
                }
            },
        }
    };
    let twilio = match update.twilio {
        None => None,
        Some(twilio) => {
            let account_sid = twilio.account_sid.trim().to_owned();
            if !is_account_sid(&account_sid) {
                errors.push(invalid(
                    "/twilio/account_sid",
                    "应为 AC 加 32 位十六进制数字（在 Twilio 控制台首页可以找到）",
                    "must be AC followed by 32 hexadecimal digits",
                ));
            }
            // A token belongs to its account: a new account needs its own.
            let kept = current
                .twilio
                .as_ref()
                .filter(|stored| stored.account_sid == account_sid)
                .map(|stored| &stored.auth_token);
            secret(twilio.auth_token, kept, "/twilio/auth_token", &mut errors).map(|auth_token| {
                StoredTwilio {
                    account_sid,
                    auth_token,
                }
            })
        }
    };
    let deepgram = match update.deepgram {
        None => None,
        Some(deepgram) => {
            let kept = current.deepgram.as_ref().map(|stored| &stored.api_key);
            secret(deepgram.api_key, kept, "/deepgram/api_key", &mut errors)
                .map(|api_key| StoredDeepgram { api_key })
        }
    };
    let speech = update.speech;
    if speech.asr.fallback == AsrFallback::Handoff {
        match speech.asr.fallback_handoff.as_deref().map(str::trim) {
            Some(target) if parse_target(target).is_some() => {}
            _ => errors.push(invalid(
                "/speech/asr/fallback_handoff",
                "转人工需要一个转接目标：queue:<队列名>、+<电话号码> 或 sip:<地址>",
                "handoff fallback needs a target: queue:<name>, +<phone number> or sip:<address>",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(TelephonyError::Invalid(errors));
    }
    let stored = Stored {
        twilio,
        deepgram,
        speech,
    };
    let value = serde_json::to_value(&stored)
        .map_err(|error| TelephonyError::Corrupt(error.to_string()))?;
    let mut transaction = store.transaction().await?;
    transaction
        .put_telephony_settings(tenant_id, &value, now_ms)
        .await?;
    transaction
        .record_audit(
            actor,
            "telephony.update",
            "telephony",
            &secrets_changed,
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    view(store, tenant_id).await
}

/// A handoff target written as `queue:<name>`, `sip:<address>` or a phone number.
pub fn parse_target(target: &str) -> Option<flow_engine::runtime::TransferTarget> {
    use flow_engine::runtime::TransferTarget;
    let target = target.trim();
    if let Some(queue) = target.strip_prefix("queue:") {
        return (!queue.trim().is_empty()).then(|| TransferTarget::Queue(queue.trim().to_owned()));
    }
    if target.starts_with("sip:") {
        return (target.len() > 4).then(|| TransferTarget::Sip(target.to_owned()));
    }
    is_phone_number(target).then(|| TransferTarget::Phone(target.to_owned()))
}

impl Telephony {
    /// The voice a prompt is spoken with: a voice named in the flow (`provider:voice`, or a
    /// bare voice of the tenant's provider), else the tenant's.
    pub fn voice(&self, flow_voice: Option<&str>, language: &str) -> VoiceSpec {
        let tts = &self.speech.tts;
        let (provider, voice) = match flow_voice.map(str::trim).filter(|v| !v.is_empty()) {
            Some(named) => match named.split_once(':') {
                Some((provider, voice)) => match parse_provider(provider) {
                    Some(provider) => (provider, Some(voice.to_owned())),
                    None => (tts.provider, Some(named.to_owned())),
                },
                None => (tts.provider, Some(named.to_owned())),
            },
            None => (tts.provider, tts.voice.clone()),
        };
        VoiceSpec {
            provider,
            voice: voice.filter(|voice| !voice.is_empty()),
            language: language.to_owned(),
        }
    }

    /// The tenant's fallback voice, when it has one.
    pub fn fallback_voice(&self, language: &str) -> Option<VoiceSpec> {
        self.speech.tts.fallback.as_ref().map(|choice| VoiceSpec {
            provider: choice.provider,
            voice: choice.voice.clone(),
            language: language.to_owned(),
        })
    }
}

fn parse_provider(name: &str) -> Option<TtsProvider> {
    match name.trim().to_ascii_lowercase().as_str() {
        "twilio" => Some(TtsProvider::Twilio),
        "aura" | "deepgram" => Some(TtsProvider::Aura),
        "espeak" | "espeak-ng" => Some(TtsProvider::Espeak),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_sids_and_numbers_are_checked() {
        assert!(is_account_sid("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(!is_account_sid("ACxyz"));
        assert!(!is_account_sid("PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(is_phone_number("+8657188880000"));
        assert!(!is_phone_number("8657188880000"));
        assert!(!is_phone_number("+0123456789"));
        assert!(!is_phone_number("+86 571"));
    }

    #[test]
    fn targets_parse() {
        use flow_engine::runtime::TransferTarget;
        assert_eq!(
            parse_target("queue:support"),
            Some(TransferTarget::Queue("support".into()))
        );
        assert_eq!(
            parse_target("sip:agent@pbx.example.com"),
            Some(TransferTarget::Sip("sip:agent@pbx.example.com".into()))
        );
        assert_eq!(
            parse_target("+8657100000000"),
            Some(TransferTarget::Phone("+8657100000000".into()))
        );
        assert_eq!(parse_target("queue:"), None);
        assert_eq!(parse_target("support"), None);
    }

    #[test]
    fn a_flow_voice_may_name_its_provider() {
        let telephony = Telephony {
            speech: SpeechSettings {
                tts: TtsSettings {
                    provider: TtsProvider::Aura,
                    voice: Some("aura-2-thalia-en".into()),
                    fallback: Some(VoiceChoice {
                        provider: TtsProvider::Espeak,
                        voice: None,
                    }),
                },
                ..SpeechSettings::default()
            },
            ..Telephony::default()
        };
        let tenant = telephony.voice(None, "en-US");
        assert_eq!(tenant.provider, TtsProvider::Aura);
        assert_eq!(tenant.voice.as_deref(), Some("aura-2-thalia-en"));
        let named = telephony.voice(Some("espeak:cmn"), "zh-CN");
        assert_eq!(named.provider, TtsProvider::Espeak);
        assert_eq!(named.voice.as_deref(), Some("cmn"));
        let bare = telephony.voice(Some("aura-2-luna-en"), "en-US");
        assert_eq!(bare.provider, TtsProvider::Aura);
        assert_eq!(bare.voice.as_deref(), Some("aura-2-luna-en"));
        let twilio = telephony.voice(Some("twilio:Polly.Zhiyu"), "zh-CN");
        assert_eq!(twilio.provider, TtsProvider::Twilio);
        assert_eq!(
            telephony.fallback_voice("en-US").map(|v| v.provider),
            Some(TtsProvider::Espeak)
        );
    }
}
