//! Twilio's voice webhooks, typed: the `application/x-www-form-urlencoded` requests Twilio
//! sends for an incoming call, a `<Gather>` result, a `<Dial>` or `<Enqueue>` result and a
//! status callback, as Twilio's "TwiML Voice: Your Response" and "Call resource / status
//! callback" documentation describes their parameters.
//!
//! [`VoiceWebhook`] keeps every parameter exactly as received, in order (the signature check
//! needs all of them, including ones this module does not know), and offers typed accessors
//! for the ones the phone channel uses. Parsing is strict where a wrong value would mislead
//! (a missing `CallSid`, a `Confidence` that is not a number, two different `CallSid`s) and
//! lenient where Twilio may grow (an unknown `CallStatus` is kept as `Other`). An empty value
//! reads as absent: Twilio sends `To=` or `Called=` empty for some client calls.

use percent_encoding::percent_decode;

use crate::signature;

/// Why a webhook body is not a usable Twilio voice webhook.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// A parameter the webhook needs is absent or empty.
    #[error("webhook parameter {field} is missing or empty")]
    Missing {
        /// The parameter's name.
        field: &'static str,
    },
    /// A parameter's value cannot be what Twilio means by it.
    #[error("webhook parameter {field} is not {expected}: {value:?}")]
    Invalid {
        /// The parameter's name.
        field: &'static str,
        /// The value as sent.
        value: String,
        /// What the value should be.
        expected: &'static str,
    },
    /// A parameter that has one value is sent twice with different ones.
    #[error("webhook parameter {field} is sent more than once with different values")]
    Conflicting {
        /// The parameter's name.
        field: &'static str,
    },
    /// A `name=value` pair of the body decodes to bytes that are not UTF-8.
    #[error("webhook form field number {index} is not valid UTF-8 once decoded")]
    NotUtf8 {
        /// The pair's place in the body, from 0.
        index: usize,
    },
}

macro_rules! twilio_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $(#[doc = concat!("`", $text, "`")] $variant,)*
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The value as Twilio writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(text) => text,
                }
            }

            fn parse(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }
    };
}

twilio_enum!(
    /// `CallStatus`: where the call is in its life.
    CallStatus {
        Queued => "queued",
        Initiated => "initiated",
        Ringing => "ringing",
        InProgress => "in-progress",
        Completed => "completed",
        Busy => "busy",
        Failed => "failed",
        NoAnswer => "no-answer",
        Canceled => "canceled",
    }
);

impl CallStatus {
    /// Whether the call has ended (no further webhooks but a status callback will come).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            CallStatus::Completed
                | CallStatus::Busy
                | CallStatus::Failed
                | CallStatus::NoAnswer
                | CallStatus::Canceled
        )
    }
}

twilio_enum!(
    /// `Direction`: who placed the call.
    Direction {
        Inbound => "inbound",
        OutboundApi => "outbound-api",
        OutboundDial => "outbound-dial",
    }
);

twilio_enum!(
    /// `DialCallStatus`: how a `<Dial>` ended.
    DialCallStatus {
        Completed => "completed",
        Answered => "answered",
        Busy => "busy",
        NoAnswer => "no-answer",
        Failed => "failed",
        Canceled => "canceled",
    }
);

twilio_enum!(
    /// `AnsweredBy`: answering-machine detection's verdict on an outbound call.
    AnsweredBy {
        Human => "human",
        MachineStart => "machine_start",
        MachineEndBeep => "machine_end_beep",
        MachineEndSilence => "machine_end_silence",
        MachineEndOther => "machine_end_other",
        Fax => "fax",
        Unknown => "unknown",
    }
);

/// Where a party of the call is, as Twilio guesses from the number (`FromCity`, …).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Location<'a> {
    /// `…City`.
    pub city: Option<&'a str>,
    /// `…State`: the state or province.
    pub state: Option<&'a str>,
    /// `…Zip`: the postal code.
    pub zip: Option<&'a str>,
    /// `…Country`: the ISO 3166-1 alpha-2 code.
    pub country: Option<&'a str>,
}

/// What a `<Gather>` collected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GatherResult<'a> {
    /// Key presses (`Digits`).
    Digits(&'a str),
    /// Recognised speech (`SpeechResult`, `Confidence` from 0 to 1).
    Speech {
        /// What was said.
        transcript: &'a str,
        /// How sure the recogniser is, when it says.
        confidence: Option<f32>,
    },
    /// Nothing was heard or pressed.
    Nothing,
}

/// Parameters whose value must be the same however often they are sent.
const SINGLE_VALUED: [&str; 16] = [
    "CallSid",
    "AccountSid",
    "From",
    "To",
    "CallStatus",
    "Direction",
    "Digits",
    "SpeechResult",
    "Confidence",
    "CallDuration",
    "DialCallStatus",
    "DialCallSid",
    "DialCallDuration",
    "AnsweredBy",
    "QueueTime",
    "SequenceNumber",
];

/// One Twilio voice webhook request: every parameter as sent, plus typed accessors.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceWebhook {
    params: Vec<(String, String)>,
    confidence: Option<f32>,
    call_duration: Option<u32>,
    dial_call_duration: Option<u32>,
    queue_time: Option<u32>,
    sequence_number: Option<u32>,
}

impl VoiceWebhook {
    /// Parses an `application/x-www-form-urlencoded` body.
    pub fn from_form(body: &[u8]) -> Result<Self, WebhookError> {
        Self::from_params(parse_form(body)?)
    }

    /// Checks already-decoded parameters, in the order they were sent.
    pub fn from_params(params: Vec<(String, String)>) -> Result<Self, WebhookError> {
        for field in SINGLE_VALUED {
            let mut values = params.iter().filter(|(k, _)| k == field).map(|(_, v)| v);
            if let Some(first) = values.next() {
                if values.any(|v| v != first) {
                    return Err(WebhookError::Conflicting { field });
                }
            }
        }
        let lookup = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let call_sid = lookup("CallSid").ok_or(WebhookError::Missing { field: "CallSid" })?;
        check_sid("CallSid", call_sid, "CA")?;
        if let Some(account) = lookup("AccountSid") {
            check_sid("AccountSid", account, "AC")?;
        }
        if let Some(dial_sid) = lookup("DialCallSid") {
            check_sid("DialCallSid", dial_sid, "CA")?;
        }
        let confidence = lookup("Confidence")
            .map(|text| {
                text.trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|c| (0.0..=1.0).contains(c))
                    .ok_or_else(|| WebhookError::Invalid {
                        field: "Confidence",
                        value: text.to_owned(),
                        expected: "a number from 0 to 1",
                    })
            })
            .transpose()?;
        let count = |field: &'static str| {
            lookup(field)
                .map(|text| {
                    text.parse::<u32>().map_err(|_| WebhookError::Invalid {
                        field,
                        value: text.to_owned(),
                        expected: "a whole number",
                    })
                })
                .transpose()
        };
        Ok(Self {
            confidence,
            call_duration: count("CallDuration")?,
            dial_call_duration: count("DialCallDuration")?,
            queue_time: count("QueueTime")?,
            sequence_number: count("SequenceNumber")?,
            params,
        })
    }

    /// Every parameter as sent, in order, empty ones included.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The first value of parameter `name` as sent (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of parameter `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name` unless absent or empty.
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Whether `signature` (`X-Twilio-Signature`) is Twilio's for this request to `url`.
    pub fn validate_signature(&self, auth_token: &str, url: &str, signature: &str) -> bool {
        signature::validate(auth_token, url, &self.params, signature)
    }

    /// `CallSid`: the call's id (`CA…`); always present.
    pub fn call_sid(&self) -> &str {
        self.value("CallSid").unwrap_or_default()
    }

    /// `AccountSid` (`AC…`).
    pub fn account_sid(&self) -> Option<&str> {
        self.value("AccountSid")
    }

    /// `From`: the caller (E.164 number, `client:name` or SIP URI).
    pub fn from(&self) -> Option<&str> {
        self.value("From")
    }

    /// `To`: the number or client called.
    pub fn to(&self) -> Option<&str> {
        self.value("To")
    }

    /// `Caller` (the same as `From` on current requests).
    pub fn caller(&self) -> Option<&str> {
        self.value("Caller")
    }

    /// `Called` (the same as `To` on current requests).
    pub fn called(&self) -> Option<&str> {
        self.value("Called")
    }

    /// `CallerName`: caller-ID name lookup, when enabled.
    pub fn caller_name(&self) -> Option<&str> {
        self.value("CallerName")
    }

    /// `ForwardedFrom`: the number that forwarded the call, when the carrier says.
    pub fn forwarded_from(&self) -> Option<&str> {
        self.value("ForwardedFrom")
    }

    /// `ParentCallSid`: the call that created this one (a `<Dial>` leg).
    pub fn parent_call_sid(&self) -> Option<&str> {
        self.value("ParentCallSid")
    }

    /// `ApplicationSid`: the TwiML App that handled the call.
    pub fn application_sid(&self) -> Option<&str> {
        self.value("ApplicationSid")
    }

    /// `ApiVersion` (`2010-04-01`).
    pub fn api_version(&self) -> Option<&str> {
        self.value("ApiVersion")
    }

    /// `CallStatus`.
    pub fn call_status(&self) -> Option<CallStatus> {
        self.value("CallStatus").map(CallStatus::parse)
    }

    /// `Direction`.
    pub fn direction(&self) -> Option<Direction> {
        self.value("Direction").map(Direction::parse)
    }

    /// `FromCity`, `FromState`, `FromZip`, `FromCountry`.
    pub fn from_location(&self) -> Location<'_> {
        self.location("From")
    }

    /// `ToCity`, `ToState`, `ToZip`, `ToCountry`.
    pub fn to_location(&self) -> Location<'_> {
        self.location("To")
    }

    fn location(&self, prefix: &str) -> Location<'_> {
        let field = |suffix: &str| {
            let name = format!("{prefix}{suffix}");
            self.value(&name)
        };
        Location {
            city: field("City"),
            state: field("State"),
            zip: field("Zip"),
            country: field("Country"),
        }
    }

    /// `SpeechResult`: what `<Gather>` recognised.
    pub fn speech_result(&self) -> Option<&str> {
        self.value("SpeechResult")
    }

    /// `Confidence` of the speech result, 0 to 1.
    pub fn confidence(&self) -> Option<f32> {
        self.confidence
    }

    /// `Digits`: the keys pressed in `<Gather>`.
    pub fn digits(&self) -> Option<&str> {
        self.value("Digits")
    }

    /// What a `<Gather>` collected; key presses win over speech, as DTMF ends a gather at
    /// once.
    pub fn gather_result(&self) -> GatherResult<'_> {
        if let Some(digits) = self.digits() {
            GatherResult::Digits(digits)
        } else if let Some(transcript) = self.speech_result() {
            GatherResult::Speech {
                transcript,
                confidence: self.confidence,
            }
        } else {
            GatherResult::Nothing
        }
    }

    /// `DialCallStatus`: how the `<Dial>` ended.
    pub fn dial_call_status(&self) -> Option<DialCallStatus> {
        self.value("DialCallStatus").map(DialCallStatus::parse)
    }

    /// `DialCallSid`: the dialled leg's call id.
    pub fn dial_call_sid(&self) -> Option<&str> {
        self.value("DialCallSid")
    }

    /// `DialCallDuration`, in seconds.
    pub fn dial_call_duration(&self) -> Option<u32> {
        self.dial_call_duration
    }

    /// `CallDuration` in seconds (status callbacks of ended calls).
    pub fn call_duration(&self) -> Option<u32> {
        self.call_duration
    }

    /// `AnsweredBy`.
    pub fn answered_by(&self) -> Option<AnsweredBy> {
        self.value("AnsweredBy").map(AnsweredBy::parse)
    }

    /// `QueueResult`: how the caller left an `<Enqueue>` (`bridged`, `hangup`, …).
    pub fn queue_result(&self) -> Option<&str> {
        self.value("QueueResult")
    }

    /// `QueueTime`: seconds spent in the queue.
    pub fn queue_time(&self) -> Option<u32> {
        self.queue_time
    }

    /// `Timestamp` of a status callback (RFC 2822, as Twilio writes it).
    pub fn timestamp(&self) -> Option<&str> {
        self.value("Timestamp")
    }

    /// `SequenceNumber` of a status callback: orders callbacks that arrive out of order.
    pub fn sequence_number(&self) -> Option<u32> {
        self.sequence_number
    }
}

/// A SID is two letters of type and then letters and digits.
fn check_sid(field: &'static str, value: &str, prefix: &str) -> Result<(), WebhookError> {
    let well_formed = value.starts_with(prefix)
        && value.len() > prefix.len()
        && value.len() <= 64
        && value.bytes().all(|b| b.is_ascii_alphanumeric());
    if well_formed {
        Ok(())
    } else {
        Err(WebhookError::Invalid {
            field,
            value: value.to_owned(),
            expected: if prefix == "CA" {
                "a call SID (CA…)"
            } else {
                "an account SID (AC…)"
            },
        })
    }
}

/// Splits and decodes a form body: `&`-separated `name=value` pairs, `+` for space,
/// `%XX` escapes (a malformed escape stays as written), UTF-8 required.
fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, WebhookError> {
    let decode = |bytes: &[u8], index: usize| {
        let spaced: Vec<u8> = bytes
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        let decoded: Vec<u8> = percent_decode(&spaced).collect();
        String::from_utf8(decoded).map_err(|_| WebhookError::NotUtf8 { index })
    };
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .enumerate()
        .map(|(index, pair)| {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            Ok((decode(name, index)?, decode(value, index)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn samples() -> Vec<Value> {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/twilio-webhooks/incoming_call_webhook_samples.json"
        ));
        serde_json::from_str::<Value>(text)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    fn sample(id: &str) -> VoiceWebhook {
        let s = samples().into_iter().find(|s| s["id"] == id).unwrap();
        VoiceWebhook::from_form(s["form_body"].as_str().unwrap().as_bytes()).unwrap()
    }

    #[test]
    fn every_sample_parses_with_all_its_params() {
        let all = samples();
        assert_eq!(all.len(), 3);
        for s in &all {
            let id = s["id"].as_str().unwrap();
            let hook = VoiceWebhook::from_form(s["form_body"].as_str().unwrap().as_bytes())
                .unwrap_or_else(|e| panic!("{id}: {e}"));
            let expected = s["params"].as_object().unwrap();
            assert_eq!(hook.params().len(), expected.len(), "{id}");
            for (name, value) in expected {
                assert_eq!(hook.get(name), value.as_str(), "{id} {name}");
            }
            assert_eq!(
                hook.call_sid(),
                expected["CallSid"].as_str().unwrap(),
                "{id}"
            );
            // Where the sample records Twilio's signature, the kept params reproduce it.
            if let Some(signature) = s["x_twilio_signature"].as_str() {
                let token = s["auth_token"].as_str().unwrap();
                let url = s["url"].as_str().unwrap();
                assert!(hook.validate_signature(token, url, signature), "{id}");
                assert!(!hook.validate_signature("wrong", url, signature), "{id}");
            }
        }
    }

    #[test]
    fn reads_a_full_inbound_call() {
        let hook = sample("pstn_inbound_ringing_full");
        assert_eq!(hook.call_sid(), "CAd800bb12c0426a7ea4230e492fef2a4f");
        assert_eq!(
            hook.account_sid(),
            Some("AC9a9f9392lad99kla0sklakjs90j092j3")
        );
        assert_eq!(hook.from(), Some("+15306666666"));
        assert_eq!(hook.to(), Some("+15306384866"));
        assert_eq!(hook.caller(), Some("+15306666666"));
        assert_eq!(hook.called(), Some("+15306384866"));
        assert_eq!(hook.caller_name(), Some("CA Wireless Call"));
        assert_eq!(hook.call_status(), Some(CallStatus::Ringing));
        assert!(!CallStatus::Ringing.is_final());
        assert_eq!(hook.direction(), Some(Direction::Inbound));
        assert_eq!(hook.api_version(), Some("2010-04-01"));
        assert_eq!(
            hook.from_location(),
            Location {
                city: Some("SOUTH LAKE TAHOE"),
                state: Some("CA"),
                zip: Some("89449"),
                country: Some("US"),
            }
        );
        assert_eq!(
            hook.to_location(),
            Location {
                city: Some("OAKLAND"),
                state: Some("CA"),
                zip: Some("94612"),
                country: Some("US"),
            }
        );
        assert_eq!(hook.gather_result(), GatherResult::Nothing);
        assert_eq!(hook.forwarded_from(), None);
        assert_eq!(hook.parent_call_sid(), None);
        assert_eq!(hook.dial_call_status(), None);
        assert_eq!(hook.call_duration(), None);
        // Params stay in the order they were sent.
        let names: Vec<&str> = hook.params().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            &names[..4],
            ["AccountSid", "ApiVersion", "CallSid", "CallStatus"]
        );
    }

    #[test]
    fn reads_a_gather_digits_callback() {
        let hook = sample("gather_digits_callback");
        assert_eq!(hook.digits(), Some("1234"));
        assert_eq!(hook.gather_result(), GatherResult::Digits("1234"));
        assert_eq!(hook.account_sid(), None);
        assert_eq!(hook.call_status(), None);
        assert_eq!(hook.from(), Some("+14158675309"));
    }

    #[test]
    fn reads_a_client_call_with_empty_and_custom_params() {
        let hook = sample("twiml_app_client_call_captured_2015");
        assert_eq!(hook.from(), Some("client:Anonymous"));
        assert_eq!(hook.caller(), Some("client:Anonymous"));
        // Sent empty: present in the params, absent to the accessors.
        assert_eq!(hook.get("To"), Some(""));
        assert_eq!(hook.to(), None);
        assert_eq!(hook.called(), None);
        assert_eq!(hook.get("foo"), Some("bar"));
        assert_eq!(
            hook.application_sid(),
            Some("AP6b9619422181dc4e78e2051f4ad126c6")
        );
        assert_eq!(hook.direction(), Some(Direction::Inbound));
    }

    #[test]
    fn reads_a_speech_gather_result_in_chinese() {
        let body = "CallSid=CA0123456789abcdef0123456789abcdef&AccountSid=AC0123456789abcdef0123456789abcdef\
                    &SpeechResult=%E6%88%91%E8%A6%81%E6%9F%A5%E8%AE%A2%E5%8D%95%E3%80%82&Confidence=0.9128\
                    &Language=zh-CN&CallStatus=in-progress&Direction=inbound";
        let hook = VoiceWebhook::from_form(body.as_bytes()).unwrap();
        assert_eq!(hook.speech_result(), Some("我要查订单。"));
        assert_eq!(hook.confidence(), Some(0.9128));
        assert_eq!(
            hook.gather_result(),
            GatherResult::Speech {
                transcript: "我要查订单。",
                confidence: Some(0.9128)
            }
        );
        assert_eq!(hook.call_status(), Some(CallStatus::InProgress));
        assert_eq!(hook.get("Language"), Some("zh-CN"));
    }

    #[test]
    fn reads_a_dial_result() {
        let body = "CallSid=CA1&DialCallStatus=no-answer&DialCallSid=CA2&DialCallDuration=0\
                    &CallStatus=in-progress";
        let hook = VoiceWebhook::from_form(body.as_bytes()).unwrap();
        assert_eq!(hook.dial_call_status(), Some(DialCallStatus::NoAnswer));
        assert_eq!(hook.dial_call_sid(), Some("CA2"));
        assert_eq!(hook.dial_call_duration(), Some(0));
        let answered =
            VoiceWebhook::from_form(b"CallSid=CA1&DialCallStatus=completed&DialCallDuration=73")
                .unwrap();
        assert_eq!(answered.dial_call_status(), Some(DialCallStatus::Completed));
        assert_eq!(answered.dial_call_duration(), Some(73));
    }

    #[test]
    fn reads_a_status_callback() {
        let body = "CallSid=CA1&AccountSid=AC1&CallStatus=completed&CallDuration=42\
                    &Timestamp=Tue%2C+24+Nov+2026+05%3A04%3A00+%2B0000&SequenceNumber=3\
                    &Direction=outbound-api&AnsweredBy=machine_end_beep&CallbackSource=call-progress-events";
        let hook = VoiceWebhook::from_form(body.as_bytes()).unwrap();
        assert_eq!(hook.call_status(), Some(CallStatus::Completed));
        assert!(hook.call_status().unwrap().is_final());
        assert_eq!(hook.call_duration(), Some(42));
        assert_eq!(hook.timestamp(), Some("Tue, 24 Nov 2026 05:04:00 +0000"));
        assert_eq!(hook.sequence_number(), Some(3));
        assert_eq!(hook.direction(), Some(Direction::OutboundApi));
        assert_eq!(hook.answered_by(), Some(AnsweredBy::MachineEndBeep));
        assert_eq!(hook.get("CallbackSource"), Some("call-progress-events"));
    }

    #[test]
    fn reads_an_enqueue_result() {
        let hook =
            VoiceWebhook::from_form(b"CallSid=CA1&QueueResult=bridged&QueueTime=95&QueueSid=QU1")
                .unwrap();
        assert_eq!(hook.queue_result(), Some("bridged"));
        assert_eq!(hook.queue_time(), Some(95));
    }

    #[test]
    fn keeps_unknown_enum_values() {
        let hook = VoiceWebhook::from_form(
            b"CallSid=CA1&CallStatus=teleported&Direction=trunking-originating&AnsweredBy=robot",
        )
        .unwrap();
        assert_eq!(
            hook.call_status(),
            Some(CallStatus::Other("teleported".into()))
        );
        assert_eq!(hook.call_status().unwrap().as_str(), "teleported");
        assert!(!hook.call_status().unwrap().is_final());
        assert_eq!(
            hook.direction(),
            Some(Direction::Other("trunking-originating".into()))
        );
        assert_eq!(hook.answered_by().unwrap().as_str(), "robot");
    }

    #[test]
    fn enum_values_round_trip_through_their_text() {
        for text in [
            "queued",
            "initiated",
            "ringing",
            "in-progress",
            "completed",
            "busy",
            "failed",
            "no-answer",
            "canceled",
        ] {
            let status = CallStatus::parse(text);
            assert!(!matches!(status, CallStatus::Other(_)), "{text}");
            assert_eq!(status.as_str(), text);
        }
        for text in ["inbound", "outbound-api", "outbound-dial"] {
            assert!(!matches!(Direction::parse(text), Direction::Other(_)));
            assert_eq!(Direction::parse(text).as_str(), text);
        }
        for text in [
            "completed",
            "answered",
            "busy",
            "no-answer",
            "failed",
            "canceled",
        ] {
            assert!(!matches!(
                DialCallStatus::parse(text),
                DialCallStatus::Other(_)
            ));
            assert_eq!(DialCallStatus::parse(text).as_str(), text);
        }
        for text in [
            "human",
            "machine_start",
            "machine_end_beep",
            "machine_end_silence",
            "machine_end_other",
            "fax",
            "unknown",
        ] {
            assert!(!matches!(AnsweredBy::parse(text), AnsweredBy::Other(_)));
            assert_eq!(AnsweredBy::parse(text).as_str(), text);
        }
    }

    #[test]
    fn decodes_form_encoding() {
        let params =
            parse_form(b"a=1+2&b=%2B86%20138&&c&d=&e=x%3Dy%26z&f=%zz%4&%E4%BD%A0=%E5%A5%BD&g=a=b")
                .unwrap();
        assert_eq!(
            params,
            [
                ("a", "1 2"),
                ("b", "+86 138"),
                ("c", ""),
                ("d", ""),
                ("e", "x=y&z"),
                ("f", "%zz%4"),
                ("你", "好"),
                ("g", "a=b"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert_eq!(parse_form(b"").unwrap(), []);
    }

    #[test]
    fn names_the_missing_or_bad_field() {
        let cases: [(&[u8], WebhookError); 11] = [
            (b"", WebhookError::Missing { field: "CallSid" }),
            (
                b"From=%2B1555&To=%2B1666",
                WebhookError::Missing { field: "CallSid" },
            ),
            (b"CallSid=", WebhookError::Missing { field: "CallSid" }),
            (
                b"CallSid=XX123",
                WebhookError::Invalid {
                    field: "CallSid",
                    value: "XX123".into(),
                    expected: "a call SID (CA…)",
                },
            ),
            (
                b"CallSid=CA1%0A",
                WebhookError::Invalid {
                    field: "CallSid",
                    value: "CA1\n".into(),
                    expected: "a call SID (CA…)",
                },
            ),
            (
                b"CallSid=CA1&AccountSid=CA1",
                WebhookError::Invalid {
                    field: "AccountSid",
                    value: "CA1".into(),
                    expected: "an account SID (AC…)",
                },
            ),
            (
                b"CallSid=CA1&Confidence=high",
                WebhookError::Invalid {
                    field: "Confidence",
                    value: "high".into(),
                    expected: "a number from 0 to 1",
                },
            ),
            (
                b"CallSid=CA1&Confidence=1.5",
                WebhookError::Invalid {
                    field: "Confidence",
                    value: "1.5".into(),
                    expected: "a number from 0 to 1",
                },
            ),
            (
                b"CallSid=CA1&CallDuration=-3",
                WebhookError::Invalid {
                    field: "CallDuration",
                    value: "-3".into(),
                    expected: "a whole number",
                },
            ),
            (
                b"CallSid=CA1&CallSid=CA2",
                WebhookError::Conflicting { field: "CallSid" },
            ),
            (
                b"CallSid=CA1&SpeechResult=%FF%FE",
                WebhookError::NotUtf8 { index: 1 },
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(
                VoiceWebhook::from_form(body).unwrap_err(),
                expected,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            WebhookError::Missing { field: "CallSid" }.to_string(),
            "webhook parameter CallSid is missing or empty"
        );
        assert_eq!(
            WebhookError::Invalid {
                field: "Confidence",
                value: "high".into(),
                expected: "a number from 0 to 1"
            }
            .to_string(),
            "webhook parameter Confidence is not a number from 0 to 1: \"high\""
        );
        assert!(WebhookError::Conflicting { field: "Digits" }
            .to_string()
            .contains("Digits"));
        // Repeating a parameter with the same value is fine.
        let hook = VoiceWebhook::from_form(b"CallSid=CA1&CallSid=CA1&x=1&x=2").unwrap();
        assert_eq!(hook.call_sid(), "CA1");
        assert_eq!(hook.get_all("x").collect::<Vec<_>>(), ["1", "2"]);
    }

    #[test]
    fn signature_covers_every_param_received() {
        let body = b"CallSid=CA1&Digits=5&Custom=%E4%BD%A0";
        let hook = VoiceWebhook::from_form(body).unwrap();
        let url = "https://voice.example.com/twilio/gather";
        let signature = signature::compute_signature("tok", url, hook.params());
        assert!(hook.validate_signature("tok", url, &signature));
        // The same request with the custom parameter stripped no longer matches.
        let stripped = VoiceWebhook::from_form(b"CallSid=CA1&Digits=5").unwrap();
        assert!(!stripped.validate_signature("tok", url, &signature));
    }
}
