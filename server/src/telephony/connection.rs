//! "Test connection": whether the saved Twilio account and Deepgram key work, asked of the
//! configured Twilio and Deepgram addresses with the cheapest authenticated request each (the
//! account's own resource; the key's project list). The answer says, in the asker's language,
//! which one works and why the other does not, and never repeats a secret.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use super::settings::{self, TelephonyError};
use crate::config::TelephonyConfig;
use crate::language::{Language, Text};
use crate::secrets::SecretBox;
use crate::store::Store;
use speech::key_check::{self, KeyCheckError};
use twilio::rest::{self, RestError};

/// How long Twilio may take to answer the check.
const TWILIO_TIMEOUT: Duration = Duration::from_secs(10);

/// How one provider's check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    Failed,
    /// Nothing is saved to check.
    NotConfigured,
}

/// One provider's check.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderCheck {
    pub status: CheckStatus,
    /// What happened, for people, in the request's language.
    pub message: String,
}

/// Both checks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectionCheck {
    /// Every configured provider answered as it should.
    pub ok: bool,
    pub twilio: ProviderCheck,
    pub deepgram: ProviderCheck,
}

/// Checks the tenant's saved Twilio account and Deepgram key against the configured
/// addresses, both at once.
pub async fn test(
    store: &Store,
    secrets: &SecretBox,
    config: &TelephonyConfig,
    tenant_id: &str,
    language: Language,
) -> Result<ConnectionCheck, TelephonyError> {
    let telephony = settings::load(store, secrets, tenant_id).await?;
    let twilio = async {
        match &telephony.twilio {
            None => (
                CheckStatus::NotConfigured,
                Text::new(
                    "还没有保存 Twilio 账户。",
                    "No Twilio account is saved yet.",
                ),
            ),
            Some(account) => twilio_check(&config.twilio_api_url, account).await,
        }
    };
    let deepgram = async {
        match &telephony.deepgram_key {
            None => (
                CheckStatus::NotConfigured,
                Text::new(
                    "还没有保存 Deepgram 密钥。",
                    "No Deepgram key is saved yet.",
                ),
            ),
            Some(key) => deepgram_check(&config.deepgram_url, key).await,
        }
    };
    let (twilio, deepgram) = tokio::join!(twilio, deepgram);
    let render = |(status, text): (CheckStatus, Text)| ProviderCheck {
        status,
        message: text.get(language).to_owned(),
    };
    let (twilio, deepgram) = (render(twilio), render(deepgram));
    Ok(ConnectionCheck {
        ok: twilio.status != CheckStatus::Failed && deepgram.status != CheckStatus::Failed,
        twilio,
        deepgram,
    })
}

type Outcome = (CheckStatus, Text);

async fn deepgram_check(base_url: &str, key: &str) -> Outcome {
    match key_check::check_key(base_url, key).await {
        Ok(projects) => (
            CheckStatus::Ok,
            Text::new(
                format!("Deepgram 密钥有效（可用的项目：{projects} 个）。"),
                format!("The Deepgram key works (projects it can use: {projects})."),
            ),
        ),
        Err(KeyCheckError::Refused {
            status: 401 | 403,
        }) => (
            CheckStatus::Failed,
            Text::new(
                "Deepgram 不接受这个 API 密钥，请检查后重新填写。",
                "Deepgram does not accept this API key; check it and enter it again.",
            ),
        ),
        Err(KeyCheckError::Refused { status }) => (
            CheckStatus::Failed,
            Text::new(
                format!("Deepgram 拒绝了请求（HTTP {status}），请稍后再试。"),
                format!("Deepgram refused the request (HTTP {status}); try again later."),
            ),
        ),
        Err(KeyCheckError::Unreachable) => (
            CheckStatus::Failed,
            Text::new(
                format!("无法连接到 Deepgram（{base_url}），请检查服务器的网络。"),
                format!("Deepgram ({base_url}) cannot be reached; check the server's network."),
            ),
        ),
        Err(KeyCheckError::Unexpected) => (
            CheckStatus::Failed,
            Text::new(
                format!("{base_url} 的回答不像 Deepgram 的，请检查服务器设置的 Deepgram 地址。"),
                format!(
                    "{base_url} does not answer as Deepgram does; check the Deepgram address the server is set to."
                ),
            ),
        ),
    }
}

async fn twilio_check(api_url: &str, account: &twilio::Account) -> Outcome {
    let client = match reqwest::Client::builder().timeout(TWILIO_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "cannot start an HTTP client for the Twilio check");
            return unreachable_twilio(api_url);
        }
    };
    match rest::fetch_account(&client, api_url, account).await {
        Ok(resource) if resource.status == "active" || resource.status.is_empty() => (
            CheckStatus::Ok,
            Text::new(
                format!("已连接 Twilio 账户“{}”。", resource.friendly_name),
                format!("Connected to the Twilio account “{}”.", resource.friendly_name),
            ),
        ),
        Ok(resource) => (
            CheckStatus::Failed,
            match resource.status.as_str() {
                "suspended" => Text::new(
                    "这个 Twilio 账户已被暂停，无法接打电话。",
                    "This Twilio account is suspended: it cannot make or take calls.",
                ),
                _ => Text::new(
                    "这个 Twilio 账户已关闭，无法接打电话。",
                    "This Twilio account is closed: it cannot make or take calls.",
                ),
            },
        ),
        Err(RestError::Refused {
            status: 401 | 403, ..
        }) => (
            CheckStatus::Failed,
            Text::new(
                "Twilio 不接受这个账户 SID 和 Auth Token，请检查后重新填写。",
                "Twilio does not accept this account SID and auth token; check them and enter them again.",
            ),
        ),
        Err(RestError::Refused { status: 404, .. }) => (
            CheckStatus::Failed,
            Text::new(
                "Twilio 找不到这个账户 SID，请检查后重新填写。",
                "Twilio has no account with this SID; check it and enter it again.",
            ),
        ),
        Err(RestError::Refused { status, code, .. }) => (
            CheckStatus::Failed,
            Text::new(
                format!("Twilio 拒绝了请求（HTTP {status}，错误代码 {code}）。"),
                format!("Twilio refused the request (HTTP {status}, error code {code})."),
            ),
        ),
        Err(RestError::Unreachable(_)) => unreachable_twilio(api_url),
        Err(RestError::Unexpected(_)) => (
            CheckStatus::Failed,
            Text::new(
                format!("{api_url} 的回答不像 Twilio 的，请检查服务器设置的 Twilio 地址。"),
                format!(
                    "{api_url} does not answer as Twilio does; check the Twilio address the server is set to."
                ),
            ),
        ),
    }
}

fn unreachable_twilio(api_url: &str) -> Outcome {
    (
        CheckStatus::Failed,
        Text::new(
            format!("无法连接到 Twilio（{api_url}），请检查服务器的网络。"),
            format!("Twilio ({api_url}) cannot be reached; check the server's network."),
        ),
    )
}
