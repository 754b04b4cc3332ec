//! Callflow's flow engine: the flow format, its validation, a Rhai sandbox, intent and slot
//! recognition, and a sans-I/O runtime. It does no I/O of its own: a driver feeds a
//! [`runtime::Session`] events and carries out the actions it returns.

pub mod calendar;
pub mod compile;
mod condition;
pub mod conversation;
pub mod emotion;
mod json_fields;
pub mod knowledge;
pub mod knowledge_sheet;
pub mod link;
pub mod messages;
pub mod model;
pub mod nlu;
mod nodes;
mod path;
pub mod redact;
pub mod runtime;
pub mod schema;
pub mod script;
pub mod slots;
pub mod template;
pub mod text;
pub mod turn;
pub mod validate;
pub mod value;

pub use compile::{CompileOptions, CompiledFlow, IntentRanking};
pub use model::FlowDocument;
pub use path::is_identifier;
pub use runtime::{Action, CallInfo, Event, Session};
pub use validate::{Diagnostic, Severity};

#[cfg(test)]
mod testing;
