//! Knowledge bases as the engine sees them: a tenant's FAQ entries, indexed once per revision,
//! searched for the caller's question. The server builds a [`KnowledgeIndex`] per knowledge
//! base revision and hands the ones a call uses to its session ([`Knowledge`]); the engine does
//! no I/O and never reads a database.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::text::normalize;

/// One FAQ entry, as indexed. Only enabled entries are given to an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeEntry {
    /// The entry's stable id (`kbe_…`), recorded with every answer for analytics.
    pub id: String,
    pub question: String,
    /// Other ways callers ask the same question.
    pub alternatives: Vec<String>,
    /// What the robot says; a template (`{{vars.name}}`) allowed.
    pub answer: String,
    pub category: String,
}

/// One result of a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnowledgeHit {
    /// Index into [`KnowledgeIndex::entries`].
    pub entry: usize,
    /// Calibrated confidence, 0 to 1: how likely this entry answers the question.
    pub score: f32,
}

/// A searchable revision of one knowledge base. Immutable; shared by every call through an
/// `Arc`.
#[derive(Debug, Clone)]
pub struct KnowledgeIndex {
    revision: i64,
    entries: Vec<KnowledgeEntry>,
    /// Normalised question and alternatives of each entry (placeholder representation).
    texts: Vec<Vec<String>>,
}

impl KnowledgeIndex {
    pub fn new(revision: i64, entries: Vec<KnowledgeEntry>) -> Self {
        let texts = entries
            .iter()
            .map(|e| {
                std::iter::once(&e.question)
                    .chain(&e.alternatives)
                    .map(|q| normalize(q))
                    .collect()
            })
            .collect();
        KnowledgeIndex {
            revision,
            entries,
            texts,
        }
    }

    pub fn revision(&self) -> i64 {
        self.revision
    }

    pub fn entries(&self) -> &[KnowledgeEntry] {
        &self.entries
    }

    /// The best entries for `question`, best first, at most `limit`.
    pub fn search(&self, question: &str, limit: usize) -> Vec<KnowledgeHit> {
        let query = normalize(question);
        let grams = bigrams(&query);
        let mut hits: Vec<KnowledgeHit> = self
            .texts
            .iter()
            .enumerate()
            .map(|(entry, texts)| {
                let score = texts
                    .iter()
                    .map(|t| dice(&grams, &bigrams(t)))
                    .fold(0.0, f32::max);
                KnowledgeHit { entry, score }
            })
            .filter(|h| h.score > 0.0)
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        hits.truncate(limit);
        hits
    }
}

fn bigrams(text: &str) -> Vec<(char, char)> {
    let chars: Vec<char> = text.chars().filter(|c| *c != ' ').collect();
    let mut grams: Vec<_> = chars.windows(2).map(|w| (w[0], w[1])).collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

fn dice(a: &[(char, char)], b: &[(char, char)]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.iter().filter(|g| b.binary_search(g).is_ok()).count();
    2.0 * shared as f32 / (a.len() + b.len()) as f32
}

/// The knowledge bases one call may use, by key, at the revisions it started with. The driver
/// gives them to the session when it starts or resumes it.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    bases: BTreeMap<String, Arc<KnowledgeIndex>>,
}

impl Knowledge {
    pub fn new(bases: BTreeMap<String, Arc<KnowledgeIndex>>) -> Self {
        Knowledge { bases }
    }

    pub fn get(&self, key: &str) -> Option<&Arc<KnowledgeIndex>> {
        self.bases.get(key)
    }

    /// Each base's key and pinned revision, for the call's record.
    pub fn revisions(&self) -> BTreeMap<String, i64> {
        self.bases
            .iter()
            .map(|(k, v)| (k.clone(), v.revision()))
            .collect()
    }
}
