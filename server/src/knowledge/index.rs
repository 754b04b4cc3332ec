//! Searchable indexes of knowledge-base revisions, and the revisions a call pins.
//!
//! An index is built once per `(tenant, base, revision)` and shared through an `Arc`. A revision
//! never changes once written (see the store's `knowledge` module), so a cached index is never
//! stale, whichever server instance wrote the revision: two servers sharing PostgreSQL build the
//! same index for the same key. The cache only bounds its size.
//!
//! A conversation pins, when it opens, the current revision of each base its flow uses
//! ([`KnowledgeIndexes::pin`]) and keeps them on its row; every later turn, on any server, loads
//! exactly those ([`KnowledgeIndexes::pinned`]), so an edit never changes a call in progress.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use flow_engine::knowledge::{
    self as engine, Knowledge, KnowledgeEntry, KnowledgeHit, KnowledgeIndex,
};
use serde::{Deserialize, Serialize};

use super::KnowledgeError;
use crate::lru::Lru;
use crate::store::Store;

/// Indexes kept at most: each base's current revision plus the older ones calls still run on.
pub const CAPACITY: usize = 256;

/// What a search concludes: the engine's decision, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The best entry answers the question.
    Answered,
    /// Two or three entries fit about equally well: ask which one was meant.
    Ambiguous,
    /// No entry answers it.
    NoAnswer,
}

/// The decision an `answer` node would take on these hits (best first, calibrated scores),
/// with the index's default thresholds: the Knowledge page's "try a question" shows exactly
/// what a call would do.
pub fn decide(index: &KnowledgeIndex, hits: &[KnowledgeHit]) -> Decision {
    match engine::Decision::from_hits(hits, &index.settings().thresholds) {
        engine::Decision::Answered(_) => Decision::Answered,
        engine::Decision::Ambiguous(_) => Decision::Ambiguous,
        engine::Decision::NoAnswer => Decision::NoAnswer,
    }
}

/// One base as a call pinned it: which base (a deleted base's key may be reused) at which
/// revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedBase {
    pub base: String,
    pub revision: i64,
}

/// The bases a conversation answers from, by key: its row's `knowledge` column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pinned(pub BTreeMap<String, PinnedBase>);

type Key = (String, String, i64);

pub struct KnowledgeIndexes {
    cache: Mutex<Lru<Key, Arc<KnowledgeIndex>>>,
}

impl Default for KnowledgeIndexes {
    fn default() -> Self {
        KnowledgeIndexes::new(CAPACITY)
    }
}

impl KnowledgeIndexes {
    pub fn new(capacity: usize) -> Self {
        KnowledgeIndexes {
            cache: Mutex::new(Lru::new(capacity)),
        }
    }

    /// The index of a base at `revision`, built on first use (from the enabled entries).
    pub async fn index(
        &self,
        store: &Store,
        tenant_id: &str,
        base_id: &str,
        revision: i64,
    ) -> Result<Arc<KnowledgeIndex>, KnowledgeError> {
        let cell = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cell((tenant_id.to_owned(), base_id.to_owned(), revision));
        let index = cell
            .get_or_try_init(|| async {
                let entries = store
                    .knowledge_entries(tenant_id, base_id, Some(revision))
                    .await?;
                let entries: Vec<KnowledgeEntry> = entries
                    .into_iter()
                    .filter(|entry| entry.fields.enabled)
                    .map(|entry| KnowledgeEntry {
                        id: entry.id,
                        question: entry.fields.question,
                        alternatives: entry.fields.alternatives,
                        answer: entry.fields.answer,
                        category: entry.fields.category,
                    })
                    .collect();
                // Segmenting thousands of entries takes a while: off the async threads.
                tokio::task::spawn_blocking(move || {
                    Arc::new(KnowledgeIndex::new(revision, entries))
                })
                .await
                .map_err(|error| KnowledgeError::Internal(format!("indexing failed: {error}")))
            })
            .await?;
        Ok(index.clone())
    }

    /// For a new conversation: the current revision of each of the tenant's bases in `keys`
    /// (`None`: all of them; a key without a base is left out, validation reports it).
    pub async fn pin(
        &self,
        store: &Store,
        tenant_id: &str,
        keys: Option<&BTreeSet<String>>,
    ) -> Result<(Knowledge, Pinned), KnowledgeError> {
        if keys.is_some_and(BTreeSet::is_empty) {
            return Ok((Knowledge::default(), Pinned::default()));
        }
        let mut pinned = Pinned::default();
        for summary in store.list_knowledge_bases(tenant_id).await? {
            if keys.is_none_or(|keys| keys.contains(&summary.base.key)) {
                pinned.0.insert(
                    summary.base.key,
                    PinnedBase {
                        base: summary.base.id,
                        revision: summary.base.revision,
                    },
                );
            }
        }
        let knowledge = self.pinned(store, tenant_id, &pinned).await?;
        Ok((knowledge, pinned))
    }

    /// For a conversation going on: exactly the revisions it pinned.
    pub async fn pinned(
        &self,
        store: &Store,
        tenant_id: &str,
        pinned: &Pinned,
    ) -> Result<Knowledge, KnowledgeError> {
        let mut bases = BTreeMap::new();
        for (key, pin) in &pinned.0 {
            let index = self
                .index(store, tenant_id, &pin.base, pin.revision)
                .await?;
            bases.insert(key.clone(), index);
        }
        Ok(Knowledge::new(bases))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_the_ones_a_call_takes() {
        let entry = |id: &str, question: &str, answer: &str| KnowledgeEntry {
            id: id.to_owned(),
            question: question.to_owned(),
            alternatives: Vec::new(),
            answer: answer.to_owned(),
            category: String::new(),
        };
        let index = KnowledgeIndex::new(
            1,
            vec![
                entry("kbe_1", "退款多久到账", "退款一般1到3个工作日原路退回。"),
                entry("kbe_2", "怎么开发票", "在订单详情页点申请开票即可。"),
            ],
        );
        let mut seen = BTreeSet::new();
        for question in ["退款多久能到账啊", "我想开个发票", "附近有好吃的餐厅吗"]
        {
            let hits = index.search(question, 3);
            let ours = serde_json::to_value(decide(&index, &hits)).expect("json");
            assert_eq!(ours, index.decide(question).as_str(), "{question}");
            seen.insert(index.decide(question).as_str());
        }
        assert!(seen.contains("no_answer"), "{seen:?}");
    }

    #[test]
    fn pins_are_stored_as_a_map_of_keys() {
        let mut pinned = Pinned::default();
        pinned.0.insert(
            "shop-faq".to_owned(),
            PinnedBase {
                base: "kb_1".to_owned(),
                revision: 4,
            },
        );
        let text = serde_json::to_string(&pinned).expect("json");
        assert_eq!(text, r#"{"shop-faq":{"base":"kb_1","revision":4}}"#);
        assert_eq!(
            serde_json::from_str::<Pinned>(&text).expect("parse"),
            pinned
        );
    }
}
