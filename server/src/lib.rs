//! The Callflow server: storage, the HTTP API and the channels that drive the flow engine.

pub mod api;
pub mod app;
pub mod auth;
pub mod channels;
pub mod config;
pub mod demo_shop;
pub mod editor;
pub mod error;
pub mod first_run;
pub mod flow_cache;
pub mod metrics;
pub mod outbound;
pub mod secrets;
pub mod store;
pub mod telephony;
