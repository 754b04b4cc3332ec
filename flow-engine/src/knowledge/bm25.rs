//! Okapi BM25 over one analysis, as an inverted index: a search touches only the postings of
//! the question's terms, never every entry, so it stays well under a millisecond at 10,000
//! entries.

use std::collections::HashMap;

/// One analysis's inverted index over every entry.
#[derive(Debug, Clone)]
pub(crate) struct Bm25 {
    terms: HashMap<String, u32>,
    /// Per term: (entry, BM25's saturated term frequency `tf · (k1 + 1) / (tf + k1 · (1 − b +
    /// b · len / avg_len))`), entries ascending. Precomputed so that a search only multiplies
    /// and adds: the postings of a common word can cover most of a large base.
    postings: Vec<Vec<(u32, f32)>>,
    idf: Vec<f32>,
    /// The idf of a term no entry contains: what the question's unknown words would weigh.
    unseen_idf: f32,
}

impl Bm25 {
    /// `documents` yields each entry's terms with their field weight (a term from the
    /// question counts more than one from the answer).
    pub(crate) fn build<'a>(
        documents: impl Iterator<Item = Vec<(&'a str, f32)>>,
        k1: f32,
        b: f32,
    ) -> Self {
        let mut terms: HashMap<String, u32> = HashMap::new();
        let mut postings: Vec<Vec<(u32, f32)>> = Vec::new();
        let mut lengths = Vec::new();
        for (doc, doc_terms) in documents.enumerate() {
            let doc = u32::try_from(doc).unwrap_or(u32::MAX);
            let mut length = 0.0;
            for (term, weight) in doc_terms {
                length += weight;
                let id = match terms.get(term) {
                    Some(&id) => id,
                    None => {
                        let id = postings.len() as u32;
                        terms.insert(term.to_owned(), id);
                        postings.push(Vec::new());
                        id
                    }
                };
                let list = &mut postings[id as usize];
                match list.last_mut() {
                    Some((last, tf)) if *last == doc => *tf += weight,
                    _ => list.push((doc, weight)),
                }
            }
            lengths.push(length);
        }
        let n = lengths.len() as f32;
        let avg = if lengths.is_empty() {
            1.0
        } else {
            (lengths.iter().sum::<f32>() / n).max(f32::EPSILON)
        };
        for list in &mut postings {
            for (doc, tf) in list.iter_mut() {
                let norm = k1 * (1.0 - b + b * lengths[*doc as usize] / avg);
                *tf = *tf * (k1 + 1.0) / (*tf + norm);
            }
        }
        let idf_of = |df: f32| (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        Bm25 {
            idf: postings.iter().map(|p| idf_of(p.len() as f32)).collect(),
            unseen_idf: idf_of(1.0),
            terms,
            postings,
        }
    }

    /// The weighted `query`'s reference score: what an entry holding each known term once, at
    /// average length, would score, plus `unseen` times what the unknown terms would add.
    /// Dividing by it puts questions of any length on one scale, the fraction of the question
    /// an entry explains.
    pub(crate) fn reference(&self, query: &[(String, f32)], unseen: f32) -> f32 {
        query
            .iter()
            .map(|(term, weight)| match self.terms.get(term) {
                Some(&id) => weight * self.idf[id as usize],
                None => unseen * weight * self.unseen_idf,
            })
            .sum()
    }

    /// Whether any entry contains `term`.
    pub(crate) fn knows(&self, term: &str) -> bool {
        self.terms.contains_key(term)
    }

    /// Whether entry `doc` contains `term`: a binary search of the term's postings, so
    /// checking a few top entries stays cheap however common the term.
    pub(crate) fn contains(&self, term: &str, doc: usize) -> bool {
        self.terms.get(term).is_some_and(|&id| {
            self.postings[id as usize]
                .binary_search_by_key(&doc, |&(d, _)| d as usize)
                .is_ok()
        })
    }

    /// Adds `scale` times each entry's BM25 score for the weighted `query` to `scores` (one
    /// slot per entry).
    pub(crate) fn accumulate(&self, query: &[(String, f32)], scale: f32, scores: &mut [f32]) {
        for (term, weight) in query {
            let Some(&id) = self.terms.get(term) else {
                continue;
            };
            let factor = scale * weight * self.idf[id as usize];
            for &(doc, tf) in &self.postings[id as usize] {
                scores[doc as usize] += factor * tf;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(docs: &[&[&'static str]]) -> Bm25 {
        Bm25::build(
            docs.iter().map(|d| d.iter().map(|t| (*t, 1.0)).collect()),
            1.2,
            0.75,
        )
    }

    fn query(terms: &[&str]) -> Vec<(String, f32)> {
        terms.iter().map(|t| (t.to_string(), 1.0)).collect()
    }

    #[test]
    fn rare_terms_outweigh_common_ones() {
        let bm25 = index(&[&["退款", "订单"], &["发票", "订单"], &["物流", "订单"]]);
        let mut scores = vec![0.0; 3];
        bm25.accumulate(&query(&["订单", "发票"]), 1.0, &mut scores);
        assert!(scores[1] > scores[0] && scores[0] > 0.0, "{scores:?}");
        assert_eq!(scores[0], scores[2]);
    }

    #[test]
    fn unknown_terms_raise_the_reference_only_when_asked() {
        let bm25 = index(&[&["退款"], &["发票"]]);
        let known = bm25.reference(&query(&["退款", "电饭煲"]), 0.0);
        let with_unknown = bm25.reference(&query(&["退款", "电饭煲"]), 1.0);
        assert!(with_unknown > known && known > 0.0);
    }

    #[test]
    fn knows_which_entries_hold_a_term() {
        let bm25 = index(&[&["退款", "订单"], &["发票"], &["订单"]]);
        assert!(bm25.contains("订单", 0) && bm25.contains("订单", 2));
        assert!(!bm25.contains("订单", 1) && !bm25.contains("电饭煲", 0));
        assert!(bm25.knows("发票") && !bm25.knows("电饭煲"));
    }
}
