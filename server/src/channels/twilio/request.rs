//! Requests from Twilio, checked in one place. [`TwilioRequest`] finds the tenant a webhook or
//! a media-stream handshake is for (from the path, or from the number the call is on), loads the
//! tenant's telephony settings and checks the `X-Twilio-Signature` with the tenant's auth token,
//! over the URL Twilio requested (the server's public address and the request's path and query)
//! and the form's parameters.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use twilio::signature;
use twilio::webhook::{Direction, VoiceWebhook, WebhookError};

use super::voice::{public_base, websocket_base};
use crate::app::AppState;
use crate::error::ApiError;
use crate::store::PhoneNumber;
use crate::telephony::{self, Telephony};

/// A request signed by the Twilio account of the tenant it is for.
pub struct TwilioRequest<F = VoiceWebhook> {
    /// The tenant whose account signed the request.
    pub tenant_id: String,
    /// The tenant's number the call is on, when the path names no tenant and the tenant was
    /// found by it (`/twilio/voice`, `/twilio/status`).
    pub number: Option<PhoneNumber>,
    /// The tenant's telephony settings, secrets opened.
    pub telephony: Telephony,
    /// The server's address as Twilio reaches it, for the URLs of the answer.
    pub base: String,
    /// What the request carries, as signed.
    pub form: F,
}

/// What a request from Twilio carries, and how Twilio signs it.
pub trait SignedForm: Sized {
    /// Whether Twilio signs the `ws(s)://` URL of the request (a WebSocket handshake) rather
    /// than its `http(s)://` one.
    const WEBSOCKET: bool;

    /// Reads the request's body.
    fn parse(body: &[u8]) -> Result<Self, WebhookError>;

    /// The parameters the signature covers.
    fn params(&self) -> &[(String, String)];

    /// The number of the call at this end, by which the tenant is found when the path names
    /// none.
    fn own_number(&self) -> Option<&str>;
}

impl SignedForm for VoiceWebhook {
    const WEBSOCKET: bool = false;

    fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        VoiceWebhook::from_form(body)
    }

    fn params(&self) -> &[(String, String)] {
        VoiceWebhook::params(self)
    }

    /// Who was called (inbound), or who calls (outbound).
    fn own_number(&self) -> Option<&str> {
        match self.direction() {
            Some(Direction::OutboundApi | Direction::OutboundDial) => self.from(),
            _ => self.to(),
        }
    }
}

/// The handshake of a media-stream WebSocket: no form, signed over its `wss://` URL alone.
pub struct Handshake;

impl SignedForm for Handshake {
    const WEBSOCKET: bool = true;

    fn parse(_body: &[u8]) -> Result<Self, WebhookError> {
        Ok(Handshake)
    }

    fn params(&self) -> &[(String, String)] {
        &[]
    }

    fn own_number(&self) -> Option<&str> {
        None
    }
}

/// Why a request is not taken as Twilio's. Routes answer some of these their own way (TwiML
/// for a caller, nothing for a status callback); the rest answer as [`IntoResponse`] says.
pub enum TwilioRejection<F = VoiceWebhook> {
    /// The path or the body could not be read: axum's own answer.
    Unreadable(Response),
    /// The body is not a voice webhook (400 `invalid_webhook`).
    Malformed(WebhookError),
    /// No tenant has the number the call is on (404).
    UnknownNumber(F),
    /// Looking the number up failed (503).
    NumberLookupFailed,
    /// The server's secret key or the tenant's telephony settings are unreadable (503).
    SettingsUnavailable,
    /// The tenant has no Twilio account, or the signature is missing or not the account's
    /// for this request (403 `invalid_signature`).
    InvalidSignature,
}

impl<F> IntoResponse for TwilioRejection<F> {
    fn into_response(self) -> Response {
        match self {
            TwilioRejection::Unreadable(response) => response,
            TwilioRejection::Malformed(error) => invalid_webhook(error.to_string()),
            TwilioRejection::UnknownNumber(_) => ApiError::not_found("the number")
                .in_chinese("找不到这个号码")
                .into_response(),
            TwilioRejection::NumberLookupFailed | TwilioRejection::SettingsUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
            TwilioRejection::InvalidSignature => ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_signature",
                "the request's X-Twilio-Signature does not match the account's auth token",
            )
            .in_chinese("请求的 X-Twilio-Signature 与账户的 Auth Token 不符")
            .into_response(),
        }
    }
}

/// A request Twilio sent that is not a usable webhook.
pub fn invalid_webhook(detail: String) -> Response {
    ApiError::bad_request("invalid_webhook", detail).into_response()
}

impl<F: SignedForm + Send> FromRequest<AppState> for TwilioRequest<F> {
    type Rejection = TwilioRejection<F>;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let path_tenant = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map_err(|rejection| TwilioRejection::Unreadable(rejection.into_response()))?
            .iter()
            .find(|(name, _)| *name == "tenant")
            .map(|(_, value)| value.to_owned());
        let base = public_base(&state.telephony, &parts.headers);
        let signed_base = match F::WEBSOCKET {
            true => websocket_base(&base),
            false => base.clone(),
        };
        let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
        let url = format!("{signed_base}{path}");
        let sent = parts
            .headers
            .get(signature::HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| TwilioRejection::Unreadable(rejection.into_response()))?;
        let form = F::parse(&body).map_err(TwilioRejection::Malformed)?;
        // The tenant is in the path of the webhooks the server gave Twilio; the first webhook
        // of a call names only the number, which several tenants may have bound: the call is
        // the one's whose account token signed it (the oldest binding, should two tenants
        // share one carrier account).
        let candidates = match path_tenant {
            Some(tenant_id) => vec![(tenant_id, None)],
            None => {
                let found = match form.own_number() {
                    Some(own) => state.store.phone_number_bindings(own).await,
                    None => Ok(Vec::new()),
                };
                match found {
                    Ok(bindings) => bindings
                        .into_iter()
                        .map(|number| (number.tenant_id.clone(), Some(number)))
                        .collect(),
                    Err(error) => {
                        tracing::error!(%error, "looking up a called number failed");
                        return Err(TwilioRejection::NumberLookupFailed);
                    }
                }
            }
        };
        if candidates.is_empty() {
            return Err(TwilioRejection::UnknownNumber(form));
        }
        let mut unreadable = false;
        for (tenant_id, number) in candidates {
            let Some(telephony) = load_telephony(state, &tenant_id).await else {
                unreadable = true;
                continue;
            };
            let signed = match (&telephony.twilio, &sent) {
                (Some(account), Some(sent)) => {
                    signature::validate(&account.auth_token, &url, form.params(), sent)
                }
                _ => false,
            };
            if signed {
                return Ok(TwilioRequest {
                    tenant_id,
                    number,
                    telephony,
                    base,
                    form,
                });
            }
        }
        Err(match unreadable {
            true => TwilioRejection::SettingsUnavailable,
            false => TwilioRejection::InvalidSignature,
        })
    }
}

/// The tenant's telephony settings, or `None` (logged) when they cannot be read.
pub async fn load_telephony(state: &AppState, tenant_id: &str) -> Option<Telephony> {
    let secrets = match state.secrets.get() {
        Ok(secrets) => secrets,
        Err(error) => {
            tracing::error!(%error, "the server's secret key is unusable");
            return None;
        }
    };
    match telephony::load(&state.store, secrets, tenant_id).await {
        Ok(telephony) => Some(telephony),
        Err(error) => {
            tracing::error!(tenant_id, %error, "telephony settings unreadable");
            None
        }
    }
}
