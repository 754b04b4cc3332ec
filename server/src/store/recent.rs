//! Rows that every request reads and that rarely change (API keys, tenants), remembered for a
//! moment so that a busy server does not ask the database for them again and again.
//!
//! A change made through this store forgets the row at once. A change made elsewhere (another
//! server on the same PostgreSQL, `callflow admin`) is seen within [`TTL`]. A read that raced
//! with a local change is not remembered: every forget bumps a generation, and a row read under
//! an older generation is dropped instead of stored.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a row read stays remembered.
pub const TTL: Duration = Duration::from_secs(1);
/// Rows remembered at most by default; when full, expired rows are dropped, and new rows wait
/// for room.
const CAPACITY: usize = 10_000;

#[derive(Debug)]
pub(super) struct Recent<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
    generation: AtomicU64,
    ttl: Duration,
    capacity: usize,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent::lasting(TTL, CAPACITY)
    }
}

impl<K, V> Recent<K, V> {
    /// Rows remembered for `ttl`, at most `capacity` of them: for rows that never change
    /// once written, which only have to be forgotten to bound the memory.
    pub(super) fn lasting(ttl: Duration, capacity: usize) -> Self {
        Recent {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            ttl,
            capacity,
        }
    }
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    /// Read before reading the database; pass to [`Recent::put`].
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(super) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (value, read_at) = entries.get(key)?;
        (read_at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Remembers a row read from the database under `generation`, unless something was
    /// forgotten since.
    pub(super) fn put(&self, key: K, value: V, generation: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if self.generation() != generation {
            return;
        }
        if entries.len() >= self.capacity {
            let ttl = self.ttl;
            entries.retain(|_, (_, read_at)| read_at.elapsed() < ttl);
        }
        if entries.len() < self.capacity {
            entries.insert(key, (value, Instant::now()));
        }
    }

    /// Changes the remembered rows in place (a row this store itself just updated).
    pub(super) fn update(&self, mut change: impl FnMut(&K, &mut V)) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        for (key, (value, _)) in entries.iter_mut() {
            change(key, value);
        }
    }

    /// Forgets the rows `matches` picks; call it after the change is written.
    pub(super) fn forget(&self, mut matches: impl FnMut(&K, &V) -> bool) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.retain(|key, (value, _)| !matches(key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_remembered_until_forgotten() {
        let recent: Recent<String, i64> = Recent::default();
        let generation = recent.generation();
        recent.put("a".into(), 1, generation);
        recent.put("b".into(), 2, generation);
        assert_eq!(recent.get("a"), Some(1));
        recent.update(|key, value| {
            if key == "a" {
                *value = 10;
            }
        });
        assert_eq!(recent.get("a"), Some(10));
        recent.forget(|key, _| key == "a");
        assert_eq!(recent.get("a"), None);
        assert_eq!(recent.get("b"), Some(2));
    }

    #[test]
    fn a_read_that_raced_with_a_change_is_not_remembered() {
        let recent: Recent<&str, i64> = Recent::default();
        let before = recent.generation();
        // The row is changed (and forgotten) while the old value was being read.
        recent.forget(|_, _| true);
        recent.put("a", 1, before);
        assert_eq!(recent.get("a"), None);
        recent.put("a", 2, recent.generation());
        assert_eq!(recent.get("a"), Some(2));
    }
}
