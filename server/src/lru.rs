//! A map that forgets its least recently used entry when full, for caches of things that never
//! change once built (compiled flows, knowledge-base indexes): entries never go stale, so the
//! only policy is the bound.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use tokio::sync::OnceCell;

/// Where one entry is built once and then shared: concurrent first uses build it once.
pub type Cell<V> = Arc<OnceCell<V>>;

pub struct Lru<K, V> {
    capacity: usize,
    tick: u64,
    entries: HashMap<K, (Cell<V>, u64)>,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    pub fn new(capacity: usize) -> Self {
        Lru {
            capacity: capacity.max(1),
            tick: 0,
            entries: HashMap::new(),
        }
    }

    /// The entry's cell, a new empty one on a miss (forgetting the least recently used entry
    /// when full).
    pub fn cell(&mut self, key: K) -> Cell<V> {
        self.tick += 1;
        let tick = self.tick;
        if let Some((cell, used)) = self.entries.get_mut(&key) {
            *used = tick;
            return cell.clone();
        }
        if self.entries.len() >= self.capacity {
            // A linear scan, on misses only: cheaper than keeping an order on every hit.
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        let cell = Cell::default();
        self.entries.insert(key, (cell.clone(), tick));
        cell
    }

    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }
}
