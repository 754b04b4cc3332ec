//! The demo: the demo tenant a first run creates, its history of past calls, and the
//! built-in demo shop API that its example flows call.

pub mod first_run;
pub mod history;
pub mod shop;

pub use shop::DemoShop;
