//! The Twilio phone channel: `voice` (the webhooks, TwiML per turn) and `stream` (the
//! media-stream WebSocket). Twilio's wire formats themselves are the `twilio` crate's.

pub mod stream;
pub mod voice;
