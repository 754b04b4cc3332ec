//! The Twilio phone channel's protocol building blocks, pure and free of I/O:
//! - `signature`: checking the `X-Twilio-Signature` on Twilio's requests;
//! - `webhook`: Twilio's form-encoded voice webhooks, typed;
//! - `twiml`: building TwiML replies;
//! - `media_stream`: the JSON messages of a Twilio Media Streams WebSocket.
//!
//! And the channel itself: `voice` (the webhooks, TwiML per turn), `stream` (the media-stream
//! WebSocket) and `rest` (placing outbound calls through Twilio's REST API).

pub mod media_stream;
pub mod rest;
pub mod signature;
pub mod stream;
pub mod twiml;
pub mod voice;
pub mod webhook;
