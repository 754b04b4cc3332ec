//! Identical intents train once: a trained index is a pure function of its intents' examples
//! and keywords and its scope, so listening nodes that ask the same (a confirmation repeated
//! across a flow, every node a new version of a flow did not change) share one, for as long as
//! any compiled flow holds it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use super::index::{IntentIndex, IntentSpec, Scope};

/// What an index is trained from, to tell two nodes' intents apart exactly.
#[derive(PartialEq, Eq, Hash)]
struct Key {
    scope: Scope,
    intents: Vec<(Vec<String>, Vec<String>)>,
}

#[derive(Default)]
struct Memo {
    indexes: HashMap<Key, Weak<IntentIndex>>,
    /// Live entries when the dead ones were last dropped: they are dropped again when the map
    /// has doubled since.
    live: usize,
}

/// The index trained on `intents`, shared with any other node trained on the same ones.
pub fn shared<'a>(
    intents: impl IntoIterator<Item = IntentSpec<'a>>,
    scope: Scope,
) -> Arc<IntentIndex> {
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();
    let key = Key {
        scope,
        intents: intents
            .into_iter()
            .map(|s| (s.examples.to_vec(), s.keywords.to_vec()))
            .collect(),
    };
    let memo = MEMO.get_or_init(Default::default);
    if let Some(index) = lock(memo).indexes.get(&key).and_then(Weak::upgrade) {
        return index;
    }
    // Trained outside the lock: another compile may train the same meanwhile, and the last one
    // stored wins; both are the same model.
    let index = Arc::new(IntentIndex::new(
        key.intents
            .iter()
            .map(|(examples, keywords)| IntentSpec { examples, keywords }),
        scope,
    ));
    let mut memo = lock(memo);
    if memo.indexes.len() >= 2 * memo.live.max(64) {
        memo.indexes.retain(|_, index| index.strong_count() > 0);
        memo.live = memo.indexes.len();
    }
    memo.indexes.insert(key, Arc::downgrade(&index));
    index
}

/// The memo stays usable if a compile panicked while holding it: it holds no invariant a
/// panic could break.
fn lock(memo: &Mutex<Memo>) -> std::sync::MutexGuard<'_, Memo> {
    memo.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(examples: &[Vec<String>]) -> Vec<IntentSpec<'_>> {
        examples
            .iter()
            .map(|e| IntentSpec {
                examples: e,
                keywords: &[],
            })
            .collect()
    }

    #[test]
    fn the_same_intents_share_one_index_and_others_do_not() {
        let a = vec![
            vec!["继续".to_owned(), "好的".to_owned()],
            vec!["转人工".to_owned()],
        ];
        let b = vec![vec!["继续".to_owned()], vec!["转人工".to_owned()]];
        let first = shared(specs(&a), Scope::Node);
        let again = shared(specs(&a), Scope::Node);
        assert!(Arc::ptr_eq(&first, &again));
        assert!(!Arc::ptr_eq(&first, &shared(specs(&b), Scope::Node)));
        assert!(!Arc::ptr_eq(&first, &shared(specs(&a), Scope::Global)));
    }
}
