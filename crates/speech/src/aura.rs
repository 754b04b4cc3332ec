//! Speech from Deepgram Aura, asked for directly in the phone line's format:
//! `POST {base}/v1/speak?model=<voice>&encoding=mulaw&sample_rate=8000&container=none` with
//! `Authorization: Token <key>` and `{"text": …}`; the answer is raw 8 kHz μ-law, played as
//! it is.
//!
//! The request goes through `reqwest` rather than the `deepgram` crate's
//! `speak_to_stream`: that method copies the body through a channel from a background task
//! which, when the connection breaks part-way, only prints the error to standard error and
//! ends the stream. A cut-off answer would then look complete, and once in the speech cache
//! the truncated prompt would be played on every call. Reading the body here turns such a
//! break into an error instead.

use std::time::Duration;

/// The voice used when the flow names none and the language is English.
pub const DEFAULT_VOICE: &str = "aura-2-thalia-en";

/// How long one request may take, answer included.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// The Aura voice for a language when the flow names none: an Aura-2 voice of that
/// language, or `None` when Aura does not speak it (Chinese, for one).
pub fn default_voice(language: &str) -> Option<&'static str> {
    let primary = language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    Some(match primary.as_str() {
        "en" | "" => DEFAULT_VOICE,
        "es" => "aura-2-celeste-es",
        "de" => "aura-2-viktoria-de",
        "fr" => "aura-2-agathe-fr",
        "it" => "aura-2-livia-it",
        "nl" => "aura-2-rhea-nl",
        "ja" => "aura-2-izanami-ja",
        _ => return None,
    })
}

/// Why Aura produced no audio.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuraError {
    /// Deepgram turned the API key down.
    #[error("Deepgram Aura rejected the API key (HTTP {0})")]
    Unauthorized(u16),
    /// Deepgram answered with another HTTP error.
    #[error("Deepgram Aura answered HTTP {status}{}", detail(.body))]
    Http {
        /// The HTTP status.
        status: u16,
        /// The start of the answer, which usually says why.
        body: String,
    },
    /// The request could not be made or the answer not read in full.
    #[error("cannot reach Deepgram Aura: {0}")]
    Request(String),
    /// The answer held no audio.
    #[error("Deepgram Aura answered with no audio")]
    Empty,
}

fn detail(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// Synthesizes `text` with Aura voice `voice` (e.g. `aura-2-thalia-en`) at the Deepgram
/// address `base_url`, returning 8 kHz μ-law.
pub async fn synthesize(
    http: &reqwest::Client,
    base_url: &str,
    api_key: &str,
    voice: &str,
    text: &str,
) -> Result<Vec<u8>, AuraError> {
    let url = format!("{}/v1/speak", base_url.trim().trim_end_matches('/'));
    let response = http
        .post(url)
        .query(&[
            ("model", voice),
            ("encoding", "mulaw"),
            ("sample_rate", "8000"),
            ("container", "none"),
        ])
        .header(reqwest::header::AUTHORIZATION, format!("Token {api_key}"))
        .json(&serde_json::json!({ "text": text }))
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|err| AuraError::Request(describe(&err)))?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(AuraError::Unauthorized(status.as_u16()));
    }
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        let body: String = body.trim().chars().take(300).collect();
        return Err(AuraError::Http {
            status: status.as_u16(),
            body,
        });
    }
    let audio = response
        .bytes()
        .await
        .map_err(|err| AuraError::Request(describe(&err)))?;
    if audio.is_empty() {
        return Err(AuraError::Empty);
    }
    Ok(Vec::from(audio))
}

/// A reqwest error with its causes ("error sending request" alone says little).
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_voices_by_language() {
        assert_eq!(default_voice("en-US"), Some("aura-2-thalia-en"));
        assert_eq!(default_voice("es-ES"), Some("aura-2-celeste-es"));
        assert_eq!(default_voice("zh-CN"), None);
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_request_error() {
        // Port 9 on loopback: nothing listens there.
        let err = synthesize(
            &reqwest::Client::new(),
            "http://127.0.0.1:9",
            "k",
            DEFAULT_VOICE,
            "Hello",
        )
        .await
        .unwrap_err();
        assert!(matches!(err, AuraError::Request(_)), "{err:?}");
    }
}
