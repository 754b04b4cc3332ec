//! The Callflow server: storage, the HTTP API, the domain modules that own the logic, and the
//! channels that drive the flow engine.

pub mod accounts;
pub mod analytics;
pub mod api;
pub mod app;
pub mod auth;
pub mod channels;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod conversation;
pub mod customers;
pub mod dashboard;
pub mod demo;
pub mod editor;
pub mod error;
pub mod flow_cache;
pub mod flow_http;
pub mod flows;
pub mod jobs;
pub mod knowledge;
pub mod language;
pub mod lru;
pub mod metrics;
pub mod people;
pub mod privacy;
pub mod queues;
pub mod quotas;
pub mod secrets;
pub mod security_headers;
pub mod state;
pub mod store;
pub mod telephony;
pub mod tenancy;
pub mod tenant_profile;
pub mod throttle;
