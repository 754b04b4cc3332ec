//! Twilio's wire formats for programmable voice, pure and free of any server state:
//! - [`signature`]: checking the `X-Twilio-Signature` on Twilio's requests;
//! - [`webhook`]: Twilio's form-encoded voice webhooks, typed;
//! - [`twiml`]: building TwiML replies;
//! - [`media_stream`]: the JSON messages of a Twilio Media Streams WebSocket;
//! - [`rest`]: Twilio's REST API, for placing outbound calls.
//!
//! Only [`rest`] does I/O, through the `reqwest` client it is given.

#![warn(missing_docs)]

pub mod media_stream;
pub mod rest;
pub mod signature;
pub mod twiml;
pub mod webhook;

/// A Twilio account's credentials: its SID (`AC…`), which names it in REST URLs, and its auth
/// token, which authenticates REST requests and signs Twilio's webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account's SID (`AC…`).
    pub account_sid: String,
    /// The account's auth token (a secret).
    pub auth_token: String,
}
