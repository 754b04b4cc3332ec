//! Outbound campaigns: when a campaign may dial a contact and whom a date-triggered campaign
//! calls today. The rules here are pure (no database, no clock): callers pass the instant.

pub mod calendar;
pub mod dates;
pub mod schedule;
pub mod time_zones;
