//! Local fakes of the providers Callflow talks to, speaking their real wire protocols: Twilio
//! (signed voice webhooks that follow TwiML, the REST API for outbound calls, and a Media
//! Streams client) and Deepgram (live recognition over WebSocket, Aura speech over HTTP).

pub mod deepgram;
pub mod media;
pub mod twilio;
