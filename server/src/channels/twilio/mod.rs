//! The Twilio phone channel's protocol building blocks, pure and free of I/O:
//! - `signature`: checking the `X-Twilio-Signature` on Twilio's requests;
//! - `webhook`: Twilio's form-encoded voice webhooks, typed;
//! - `twiml`: building TwiML replies;
//! - `media_stream`: the JSON messages of a Twilio Media Streams WebSocket.

pub mod media_stream;
pub mod signature;
pub mod twiml;
pub mod webhook;
