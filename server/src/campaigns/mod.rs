//! Outbound campaigns: a published flow called to the contacts of a list, on a schedule, paced,
//! retried, capped and recorded. The rules (when, whether, how fast, what next) are pure
//! modules that take the instant; [`runner`] is the task that applies them to the queue in
//! the database.

pub mod attempts;
pub mod calendar;
pub mod dates;
pub mod decision;
pub mod lifecycle;
pub mod pacing;
pub mod results;
pub mod runner;
pub mod schedule;
pub mod settings;
pub mod time_zones;
