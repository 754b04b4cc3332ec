//! The demo: the demo tenant a first run creates, and the built-in demo shop API that its
//! example flows call.

pub mod first_run;
pub mod shop;

pub use shop::DemoShop;
