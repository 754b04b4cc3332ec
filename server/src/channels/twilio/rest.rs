//! Twilio's REST API, for what the server asks of Twilio: placing an outbound call.

use serde::Deserialize;

use crate::telephony::TwilioAccount;

/// An outbound call to place.
#[derive(Debug, Clone)]
pub struct PlaceCall<'a> {
    pub to: &'a str,
    pub from: &'a str,
    /// Where Twilio asks for TwiML once the call is answered.
    pub url: &'a str,
    pub status_callback: &'a str,
    /// Answering-machine detection (`MachineDetection=Enable`).
    pub machine_detection: bool,
    /// Seconds to let it ring.
    pub timeout_s: u32,
}

/// What Twilio answered.
#[derive(Debug, Clone, Deserialize)]
pub struct PlacedCall {
    pub sid: String,
    #[serde(default)]
    pub status: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("Twilio could not be reached: {0}")]
    Unreachable(String),
    /// Twilio refused, with its own error code and message.
    #[error("Twilio refused the call ({status}, code {code}): {message}")]
    Refused {
        status: u16,
        code: i64,
        message: String,
    },
    #[error("Twilio's answer is not understood: {0}")]
    Unexpected(String),
}

#[derive(Debug, Deserialize)]
struct TwilioError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

/// `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`.
pub async fn place_call(
    client: &reqwest::Client,
    api_url: &str,
    account: &TwilioAccount,
    call: &PlaceCall<'_>,
) -> Result<PlacedCall, RestError> {
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Calls.json",
        api_url.trim_end_matches('/'),
        account.account_sid
    );
    let mut form: Vec<(&str, String)> = vec![
        ("To", call.to.to_owned()),
        ("From", call.from.to_owned()),
        ("Url", call.url.to_owned()),
        ("Method", "POST".to_owned()),
        ("StatusCallback", call.status_callback.to_owned()),
        ("StatusCallbackMethod", "POST".to_owned()),
        ("StatusCallbackEvent", "answered".to_owned()),
        ("StatusCallbackEvent", "completed".to_owned()),
        ("Timeout", call.timeout_s.to_string()),
    ];
    if call.machine_detection {
        form.push(("MachineDetection", "Enable".to_owned()));
    }
    let response = client
        .post(&url)
        .basic_auth(&account.account_sid, Some(&account.auth_token))
        .form(&form)
        .send()
        .await
        .map_err(|error| RestError::Unreachable(error.without_url().to_string()))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|error| RestError::Unreachable(error.without_url().to_string()))?;
    if !status.is_success() {
        let error: TwilioError = serde_json::from_slice(&body).unwrap_or(TwilioError {
            code: 0,
            message: String::from_utf8_lossy(&body).chars().take(200).collect(),
        });
        return Err(RestError::Refused {
            status: status.as_u16(),
            code: error.code,
            message: error.message,
        });
    }
    serde_json::from_slice(&body).map_err(|error| RestError::Unexpected(error.to_string()))
}
