//! The Twilio phone channel: `voice` (the webhooks, TwiML per turn), `stream` (the media-stream
//! WebSocket) and `request` (the signature check and tenant of every request from Twilio).
//! Twilio's wire formats themselves are the `twilio` crate's.

pub mod request;
pub mod stream;
pub mod voice;
