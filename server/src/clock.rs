//! The time conversations are stamped with. A server runs on the system clock; the demo
//! tenant's history runs whole conversations at chosen moments of the past on a manual one, and
//! tests set the time they need.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::store::now_ms;

/// Milliseconds since the Unix epoch, from the system or from whoever holds a manual clock.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    /// Stands still at its value until [`Clock::set`] moves it; clones share the value.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(at_ms: i64) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(at_ms)))
    }

    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => now_ms(),
            Clock::Manual(at) => at.load(Ordering::Relaxed),
        }
    }

    /// Moves a manual clock to `at_ms`; the system clock cannot be moved.
    pub fn set(&self, at_ms: i64) {
        if let Clock::Manual(at) = self {
            at.store(at_ms, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_its_clones_follow() {
        let clock = Clock::manual(1_000);
        let copy = clock.clone();
        assert_eq!(clock.now_ms(), 1_000);
        copy.set(5_000);
        assert_eq!(clock.now_ms(), 5_000);
        let system = Clock::System;
        system.set(5_000);
        assert!(system.now_ms() > 1_700_000_000_000);
    }
}
