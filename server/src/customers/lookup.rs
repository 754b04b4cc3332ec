//! The lookup itself: one GET to the shop's API when a conversation opens, through the same
//! guarded client (SSRF guard, the tenant's allowed hosts, time and size limits) and the same
//! in-process demo shop as the flows' `http` nodes.
//!
//! A lookup never stops a conversation: whatever goes wrong (too slow, refused, an error
//! status, an answer that is not a JSON object), the flow runs with an empty `customer`, and
//! the call's record keeps a `customer_lookup` event that says what happened in our own words
//! (never a library's message).

use std::time::Instant;

use flow_engine::model::HttpMethod;
use flow_engine::runtime::{Event, HttpFailure, HttpRequest};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{fill, placeholders, secret_context};
use crate::conversation::Parties;
use crate::flow_http::FlowHttp;
use crate::state::AppState;
use crate::store::{CustomerLookupRow, NewCallEvent, Tenant};
use flow_engine::runtime::Direction;

/// The largest profile kept: it travels in every snapshot of the call.
pub const MAX_PROFILE_BYTES: usize = 16 * 1024;
/// The call event a lookup leaves in the call's record.
pub const EVENT_KIND: &str = "customer_lookup";

/// Whom to look up: the customer's side of the conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The customer's phone number (the caller's; the callee's on an outbound call).
    pub phone: Option<String>,
    /// The chat-widget visitor's id (the hash call records name it by).
    pub visitor: Option<String>,
    /// The shop's own id of the customer, when it was proved (a signed-in widget visitor).
    pub customer: Option<String>,
}

impl Caller {
    /// The customer of a conversation: whoever is not the shop, and the shop's id of them when
    /// it is known. Chat-widget visitors are recorded as `visitor:<id>`.
    pub fn of(parties: &Parties) -> Caller {
        Caller {
            customer: parties.customer.clone(),
            ..Caller::of_number(parties)
        }
    }

    fn of_number(parties: &Parties) -> Caller {
        let customer = match parties.direction {
            Direction::Inbound => parties.from.as_deref(),
            Direction::Outbound => parties.to.as_deref(),
        }
        .map(str::trim)
        .filter(|text| !text.is_empty());
        match customer {
            None => Caller::default(),
            Some(text) => match text.strip_prefix("visitor:") {
                Some(visitor) => Caller {
                    visitor: Some(visitor.to_owned()),
                    ..Caller::default()
                },
                None => Caller {
                    phone: Some(text.to_owned()),
                    ..Caller::default()
                },
            },
        }
    }
}

/// Why a lookup found nobody it could use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// The shop did not answer within the lookup's time.
    Timeout,
    /// The address is private or reserved and the tenant did not allow its host.
    Blocked,
    /// The host name does not resolve, or no connection could be made.
    Unreachable,
    /// The URL or a header cannot be sent as written.
    InvalidRequest,
    /// The shop answered with an error status (not 404).
    Status,
    /// The answer is not a JSON object.
    InvalidResponse,
    /// The answer is larger than a profile may be.
    TooLarge,
    /// The stored secret does not open with this server's key.
    SecretUnavailable,
    /// Anything else.
    Failed,
}

/// What one lookup came to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LookupOutcome {
    /// The shop knows the customer: `customer` is what the flow sees.
    Found {
        #[schema(value_type = Object)]
        customer: Map<String, Value>,
    },
    /// The shop does not know them (404, or an empty object).
    NotFound,
    /// The lookup failed; the conversation goes on without a customer.
    Failed {
        reason: FailureReason,
        /// The shop's HTTP status, when it answered.
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
    },
    /// The conversation has nothing the URL asks for (no number, or not a widget visitor).
    Skipped,
}

/// A lookup made when a conversation opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub outcome: LookupOutcome,
    pub duration_ms: i64,
}

impl Lookup {
    /// What the flow sees as `customer`: empty unless the shop found the caller.
    pub fn customer(&self) -> Map<String, Value> {
        match &self.outcome {
            LookupOutcome::Found { customer } => customer.clone(),
            _ => Map::new(),
        }
    }

    /// The call event that records the lookup.
    pub fn event(&self, at: i64) -> NewCallEvent {
        let mut data = serde_json::to_value(&self.outcome).unwrap_or_default();
        if let Some(fields) = data.as_object_mut() {
            fields.insert("duration_ms".into(), Value::from(self.duration_ms));
        }
        NewCallEvent {
            at,
            kind: EVENT_KIND.to_owned(),
            node: None,
            data,
        }
    }
}

/// Looks the conversation's customer up, if its tenant has a lookup switched on; `None`
/// otherwise, or when its settings cannot be read (the conversation then has no customer, as
/// with any failure, and the log says why). `language` is the flow's: the shop is asked for
/// texts in it (`Accept-Language`), unless the tenant's headers say otherwise, so that an
/// English flow of a Chinese shop gets its customer's English name.
pub async fn look_up(
    state: &AppState,
    tenant: &Tenant,
    caller: &Caller,
    language: &str,
) -> Option<Lookup> {
    let settings = match state.store.get_customer_lookup(&tenant.id).await {
        Ok(Some(settings)) if settings.enabled => settings,
        Ok(_) => return None,
        Err(error) => {
            tracing::warn!(tenant_id = tenant.id, %error, "the customer lookup's settings are unreadable");
            return None;
        }
    };
    Some(run(state, tenant, &settings, caller, Some(language)).await)
}

/// Runs a lookup with these settings (switched on or not), asking for texts in `language`.
pub async fn run(
    state: &AppState,
    tenant: &Tenant,
    settings: &CustomerLookupRow,
    caller: &Caller,
    language: Option<&str>,
) -> Lookup {
    let started = Instant::now();
    let outcome = ask(state, tenant, settings, caller, language).await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    if let LookupOutcome::Failed { reason, status } = &outcome {
        tracing::info!(
            tenant_id = tenant.id,
            ?reason,
            ?status,
            duration_ms,
            "the customer lookup failed; the conversation goes on without a customer"
        );
    }
    Lookup {
        outcome,
        duration_ms,
    }
}

async fn ask(
    state: &AppState,
    tenant: &Tenant,
    settings: &CustomerLookupRow,
    caller: &Caller,
    language: Option<&str>,
) -> LookupOutcome {
    let wanted = placeholders(&settings.url).unwrap_or_default();
    let has = |name: &&str| match *name {
        "phone" => caller.phone.is_some(),
        "visitor" => caller.visitor.is_some(),
        "customer" => caller.customer.is_some(),
        _ => false,
    };
    if !wanted.iter().any(has) {
        return LookupOutcome::Skipped;
    }
    let mut headers: Vec<(String, String)> = settings
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let given = |wanted: &str| {
        settings
            .headers
            .keys()
            .any(|name| name.eq_ignore_ascii_case(wanted))
    };
    if !given("accept") {
        headers.push(("Accept".to_owned(), "application/json".to_owned()));
    }
    if let Some(language) = language.filter(|language| !language.is_empty()) {
        if !given("accept-language") {
            headers.push(("Accept-Language".to_owned(), language.to_owned()));
        }
    }
    if let Some(sealed) = &settings.secret {
        let opened = state
            .secrets
            .get()
            .map_err(|error| error.to_string())
            .and_then(|key| {
                key.open(sealed, &secret_context(&tenant.id))
                    .map_err(|error| error.to_string())
            });
        match opened {
            Ok(secret) => headers.push((settings.secret_header.clone(), secret)),
            Err(error) => {
                tracing::warn!(
                    tenant_id = tenant.id,
                    error,
                    "the customer lookup's secret does not open"
                );
                return LookupOutcome::Failed {
                    reason: FailureReason::SecretUnavailable,
                    status: None,
                };
            }
        }
    }
    let request = HttpRequest {
        method: HttpMethod::Get,
        url: fill(&settings.url, caller),
        headers,
        body: None,
        timeout_ms: u32::try_from(settings.timeout_ms).unwrap_or(super::DEFAULT_TIMEOUT_MS),
    };
    let answer = match FlowHttp::for_tenant(state, tenant).send(&request).await {
        Ok(answer) => answer,
        // Only reading the tenant's policy can fail, and `for_tenant` has it already.
        Err(_) => {
            return LookupOutcome::Failed {
                reason: FailureReason::Failed,
                status: None,
            }
        }
    };
    outcome_of(answer)
}

/// What an answer to the lookup's request means.
pub fn outcome_of(answer: Event) -> LookupOutcome {
    let failed = |reason, status| LookupOutcome::Failed { reason, status };
    match answer {
        Event::HttpResponse { status: 404, .. } => LookupOutcome::NotFound,
        Event::HttpResponse { status, body, .. } if (200..300).contains(&status) => {
            if body.len() > MAX_PROFILE_BYTES {
                return failed(FailureReason::TooLarge, Some(status));
            }
            match serde_json::from_str::<Value>(&body) {
                Ok(Value::Object(customer)) if customer.is_empty() => LookupOutcome::NotFound,
                Ok(Value::Object(customer)) => LookupOutcome::Found { customer },
                _ => failed(FailureReason::InvalidResponse, Some(status)),
            }
        }
        Event::HttpResponse { status, .. } => failed(FailureReason::Status, Some(status)),
        Event::HttpFailed { failure, .. } => failed(
            match failure {
                HttpFailure::Timeout => FailureReason::Timeout,
                HttpFailure::Blocked => FailureReason::Blocked,
                HttpFailure::HostNotFound | HttpFailure::Connect => FailureReason::Unreachable,
                HttpFailure::InvalidRequest | HttpFailure::Redirect => {
                    FailureReason::InvalidRequest
                }
                HttpFailure::TooLarge => FailureReason::TooLarge,
                HttpFailure::Failed => FailureReason::Failed,
            },
            None,
        ),
        _ => failed(FailureReason::Failed, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Channel;

    fn parties(direction: Direction, from: Option<&str>, to: Option<&str>) -> Parties {
        Parties {
            channel: Channel::Phone,
            direction,
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            customer: None,
            call_sid: None,
            call_id: None,
        }
    }

    #[test]
    fn the_customer_is_the_caller_or_the_callee() {
        let inbound = parties(
            Direction::Inbound,
            Some("+8613800000001"),
            Some("+862160001234"),
        );
        assert_eq!(
            Caller::of(&inbound).phone.as_deref(),
            Some("+8613800000001")
        );
        let outbound = parties(
            Direction::Outbound,
            Some("+862160001234"),
            Some("+8613800000002"),
        );
        assert_eq!(
            Caller::of(&outbound).phone.as_deref(),
            Some("+8613800000002")
        );
        let widget = parties(
            Direction::Inbound,
            Some("visitor:0123abcd"),
            Some("widget:cw_1"),
        );
        assert_eq!(
            Caller::of(&widget),
            Caller {
                phone: None,
                visitor: Some("0123abcd".to_owned()),
                customer: None,
            }
        );
        let signed_in = Parties {
            customer: Some("C1001".to_owned()),
            ..widget
        };
        assert_eq!(Caller::of(&signed_in).customer.as_deref(), Some("C1001"));
        assert_eq!(Caller::of(&signed_in).visitor.as_deref(), Some("0123abcd"));
        assert_eq!(
            Caller::of(&parties(Direction::Inbound, None, None)),
            Caller::default()
        );
    }

    fn response(status: u16, body: &str) -> Event {
        Event::HttpResponse {
            status,
            headers: Default::default(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn only_a_json_object_is_a_customer() {
        assert!(matches!(
            outcome_of(response(200, r#"{"name":"张伟"}"#)),
            LookupOutcome::Found { customer } if customer["name"] == "张伟"
        ));
        assert_eq!(outcome_of(response(404, "")), LookupOutcome::NotFound);
        assert_eq!(outcome_of(response(200, "{}")), LookupOutcome::NotFound);
        for body in ["<html>oops</html>", "[1]", "\"张伟\""] {
            assert_eq!(
                outcome_of(response(200, body)),
                LookupOutcome::Failed {
                    reason: FailureReason::InvalidResponse,
                    status: Some(200)
                },
                "{body}"
            );
        }
        assert_eq!(
            outcome_of(response(500, r#"{"name":"x"}"#)),
            LookupOutcome::Failed {
                reason: FailureReason::Status,
                status: Some(500)
            }
        );
        let huge = format!(r#"{{"name":"{}"}}"#, "x".repeat(MAX_PROFILE_BYTES));
        assert!(matches!(
            outcome_of(response(200, &huge)),
            LookupOutcome::Failed {
                reason: FailureReason::TooLarge,
                ..
            }
        ));
        assert_eq!(
            outcome_of(Event::HttpFailed {
                failure: HttpFailure::Timeout,
                error: "timeout".into()
            }),
            LookupOutcome::Failed {
                reason: FailureReason::Timeout,
                status: None
            }
        );
    }

    #[test]
    fn the_event_says_what_happened_in_our_words() {
        let lookup = Lookup {
            outcome: outcome_of(Event::HttpFailed {
                failure: HttpFailure::Connect,
                error: "hyper::Error(Connect, ConnectError(\"tcp connect error\"))".into(),
            }),
            duration_ms: 12,
        };
        let event = lookup.event(5);
        assert_eq!(event.kind, "customer_lookup");
        assert_eq!(
            event.data,
            serde_json::json!({ "outcome": "failed", "reason": "unreachable", "duration_ms": 12 })
        );
        assert!(lookup.customer().is_empty());
    }
}
