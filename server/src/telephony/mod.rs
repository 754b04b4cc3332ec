//! Telephony: a tenant's carrier and speech settings, its phone numbers and the flows they
//! answer with, and outbound calls placed through a [`Carrier`].

pub mod connection;
pub mod numbers;
pub mod outbound;
pub mod preview;
pub mod settings;

pub use crate::store::Mode;
pub use outbound::{Carrier, TwilioCarrier};
pub use settings::{
    load, parse_target, AsrFallback, AsrProvider, SpeechSettings, Telephony, TtsSettings,
};

/// E.164: `+`, then 7 to 15 digits, the first not 0.
pub fn is_phone_number(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && !digits.starts_with('0')
}
