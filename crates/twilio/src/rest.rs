//! Twilio's REST API, for what a server asks of Twilio: placing an outbound call, and reading
//! the account's own resource to check its credentials.

use serde::Deserialize;

use crate::Account;

/// An outbound call to place.
#[derive(Debug, Clone)]
pub struct PlaceCall<'a> {
    /// The number to call (E.164), a SIP URI or a `client:` identity.
    pub to: &'a str,
    /// The account's number the call comes from (E.164).
    pub from: &'a str,
    /// Where Twilio asks for TwiML once the call is answered.
    pub url: &'a str,
    /// Where Twilio posts the call's `answered` and `completed` status callbacks.
    pub status_callback: &'a str,
    /// Answering-machine detection (`MachineDetection=Enable`).
    pub machine_detection: bool,
    /// Seconds to let it ring.
    pub timeout_s: u32,
}

/// What Twilio answered.
#[derive(Debug, Clone, Deserialize)]
pub struct PlacedCall {
    /// The new call's SID (`CA…`).
    pub sid: String,
    /// Where the call is in its life (`queued`, usually).
    #[serde(default)]
    pub status: String,
}

/// The account resource, as far as a credentials check reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountResource {
    /// The account's SID (`AC…`).
    pub sid: String,
    /// The name the owner gave the account.
    #[serde(default)]
    pub friendly_name: String,
    /// `active`, `suspended` or `closed`.
    #[serde(default)]
    pub status: String,
}

/// A call resource, as far as a check on a call's end reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct CallResource {
    /// The call's SID (`CA…`).
    pub sid: String,
    /// `queued`, `ringing`, `in-progress`, `canceled`, `completed`, `failed`, `busy` or
    /// `no-answer`.
    #[serde(default)]
    pub status: String,
    /// Answering-machine detection's verdict, when it was asked.
    #[serde(default)]
    pub answered_by: Option<String>,
    /// Seconds from answer to hang-up, as text (Twilio writes numbers of this resource so).
    #[serde(default)]
    pub duration: Option<String>,
}

/// Why a request to Twilio failed.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// The request did not reach Twilio, or its answer did not arrive.
    #[error("Twilio could not be reached: {0}")]
    Unreachable(String),
    /// Twilio refused, with its own error code and message.
    #[error("Twilio refused the request ({status}, code {code}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Twilio's error code (0 when the answer had none).
        code: i64,
        /// Twilio's message, or the start of its answer.
        message: String,
    },
    /// Twilio accepted the request but its answer is not the resource asked for.
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

/// Places `call` from `account`: `POST /2010-04-01/Accounts/{AccountSid}/Calls.json` at
/// `api_url` (`https://api.twilio.com`, or a stand-in), the call's status callbacks asked for on
/// `answered` and `completed`.
pub async fn place_call(
    client: &reqwest::Client,
    api_url: &str,
    account: &Account,
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
    let request = client
        .post(&url)
        .basic_auth(&account.account_sid, Some(&account.auth_token))
        .form(&form);
    send(request).await
}

/// Reads `account`'s own resource, `GET /2010-04-01/Accounts/{AccountSid}.json`: the
/// cheapest request that tells whether the SID and auth token are right.
pub async fn fetch_account(
    client: &reqwest::Client,
    api_url: &str,
    account: &Account,
) -> Result<AccountResource, RestError> {
    let url = format!(
        "{}/2010-04-01/Accounts/{}.json",
        api_url.trim_end_matches('/'),
        account.account_sid
    );
    let request = client
        .get(&url)
        .basic_auth(&account.account_sid, Some(&account.auth_token));
    send(request).await
}

/// Reads a call, `GET /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`: how a call
/// whose status callback never arrived has ended.
pub async fn fetch_call(
    client: &reqwest::Client,
    api_url: &str,
    account: &Account,
    call_sid: &str,
) -> Result<CallResource, RestError> {
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Calls/{}.json",
        api_url.trim_end_matches('/'),
        account.account_sid,
        call_sid
    );
    let request = client
        .get(&url)
        .basic_auth(&account.account_sid, Some(&account.auth_token));
    send(request).await
}

/// Sends an authenticated request and reads its answer as `T`, or Twilio's error.
async fn send<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, RestError> {
    let response = request
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
