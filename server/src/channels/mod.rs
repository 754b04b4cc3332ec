//! Channels: the thin drivers that turn a caller's wire messages into engine events and the
//! flow's actions into wire messages, around one [`crate::conversation`] each: web chat (the
//! sessions API, the editor's "Try it" panel), the chat widget on shops' own pages (`widget`,
//! on top of web chat), and phone calls (`phone`, carried by Twilio's
//! webhooks or media streams, `twilio`).

pub mod chat_event;
pub mod phone;
pub mod twilio;
pub mod webchat;
pub mod widget;
