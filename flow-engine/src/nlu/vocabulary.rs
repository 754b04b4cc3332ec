//! Feature hashes → columns of a linear model, with the IDF each is weighed by: built from a
//! model's training texts, shared by the intent classifier (`index.rs`) and the learned part
//! of the anger score (`emotion/learned.rs`).

use super::model::{add_scaled, Model};

/// Feature hashes → column and IDF, in an open-addressing table (linear probing).
#[derive(Debug, Clone)]
pub(crate) struct Vocabulary {
    /// A feature's key, column and IDF side by side: a lookup reads one cache line (four
    /// entries to a line), where separate arrays of keys and of values cost a miss each.
    entries: Vec<Entry>,
    shift: u32,
    columns: usize,
    /// The IDF of a feature no row had.
    unseen_idf: f32,
}

/// One slot of the table; a key of 0 marks it empty. Aligned so that no entry straddles two
/// cache lines.
#[derive(Debug, Clone, Copy)]
#[repr(align(16))]
struct Entry {
    key: u64,
    column: u32,
    idf: f32,
}

impl Entry {
    const EMPTY: Self = Self {
        key: 0,
        column: 0,
        idf: 0.0,
    };
}

impl Vocabulary {
    /// The columns of every feature of `texts` (one feature list per text, each feature once),
    /// with a smoothed IDF; a feature no text has weighs `unseen_share` of the rarest one's.
    pub(crate) fn build<'f>(
        texts: impl Iterator<Item = &'f [(u64, f32)]>,
        unseen_share: f32,
    ) -> Self {
        let mut rows = 0usize;
        let mut all: Vec<u64> = texts
            .flat_map(|features| {
                rows += 1;
                features.iter().map(|f| f.0)
            })
            .collect();
        all.sort_unstable();
        let rows = rows as f32;
        let distinct = all.chunk_by(|a, b| a == b).count();
        let capacity = (distinct.max(4) * 2).next_power_of_two();
        let mut vocabulary = Self {
            entries: vec![Entry::EMPTY; capacity],
            shift: 64 - capacity.trailing_zeros(),
            columns: 0,
            unseen_idf: unseen_share * ((1.0 + rows).ln() + 1.0),
        };
        let mut i = 0;
        while i < all.len() {
            let key = all[i];
            let start = i;
            while i < all.len() && all[i] == key {
                i += 1;
            }
            // Features are deduplicated per text, so the run length is the document frequency.
            let df = (i - start) as f32;
            let idf = ((1.0 + rows) / (1.0 + df)).ln() + 1.0;
            let column = u32::try_from(vocabulary.columns).unwrap_or(u32::MAX);
            vocabulary.insert(key, column, idf);
            vocabulary.columns += 1;
        }
        vocabulary
    }

    pub(crate) fn columns(&self) -> usize {
        self.columns
    }

    /// Keys are stored as `key | 1` so that 0 can mark an empty slot.
    fn insert(&mut self, key: u64, column: u32, idf: f32) {
        let key = key | 1;
        let mask = self.entries.len() - 1;
        let mut i = slot(key, self.shift);
        while self.entries[i].key != 0 && self.entries[i].key != key {
            i = (i + 1) & mask;
        }
        self.entries[i] = Entry { key, column, idf };
    }

    fn get(&self, key: u64) -> Option<(u32, f32)> {
        probe(&self.entries, self.shift, key, |e| e.key).map(|e| (e.column, e.idf))
    }

    /// The TF-IDF vector of `features`, L2-normalised with unseen features counted in the norm.
    pub(crate) fn vector(&self, features: &[(u64, f32)]) -> Vec<(u32, f32)> {
        let mut out = Vec::with_capacity(features.len());
        let mut norm = 0.0;
        for &(hash, value) in features {
            match self.get(hash) {
                Some((column, idf)) => {
                    let v = value * idf;
                    norm += v * v;
                    out.push((column, v));
                }
                None => {
                    let v = value * self.unseen_idf;
                    norm += v * v;
                }
            }
        }
        if norm > 0.0 {
            let scale = 1.0 / f32::sqrt(norm);
            for f in &mut out {
                f.1 *= scale;
            }
        }
        out
    }

    /// The model's logits for `features`, without building their vector: the model is linear,
    /// so the weights are summed first and scaled by the norm once.
    pub(crate) fn add_logits(&self, model: &Model, features: &[(u64, f32)], logits: &mut [f32]) {
        let lookup = |hash| {
            self.get(hash)
                .map(|(column, idf)| (idf, model.column(column)))
        };
        add_normalised(features, self.unseen_idf, lookup, model, logits);
    }

    /// The same table with `model`'s weights in each entry in place of the column (`N` its
    /// classes): one read per feature instead of the entry's and then its column's.
    pub(crate) fn with_weights<const N: usize>(&self, model: &Model) -> Weighted<N> {
        debug_assert_eq!(model.classes(), N);
        let entries = self
            .entries
            .iter()
            .map(|e| {
                let mut weights = [0f32; N];
                if e.key != 0 {
                    for (w, m) in weights.iter_mut().zip(model.column(e.column)) {
                        *w = *m;
                    }
                }
                WeightedEntry {
                    key: e.key,
                    idf: e.idf,
                    weights,
                }
            })
            .collect();
        Weighted {
            entries,
            shift: self.shift,
            unseen_idf: self.unseen_idf,
        }
    }
}

/// A [`Vocabulary`] whose entries hold a small model's weights (the anger model's five
/// classes) beside the key and IDF: a feature's lookup and its weights are one cache line,
/// where the vocabulary and the model's matrix are two lines far apart.
#[derive(Debug, Clone)]
pub(crate) struct Weighted<const N: usize> {
    entries: Vec<WeightedEntry<N>>,
    shift: u32,
    unseen_idf: f32,
}

/// Aligned to its size for five classes (32 bytes): two entries to a cache line, none across
/// two.
#[derive(Debug, Clone, Copy)]
#[repr(align(32))]
struct WeightedEntry<const N: usize> {
    key: u64,
    idf: f32,
    weights: [f32; N],
}

impl<const N: usize> Weighted<N> {
    /// [`Vocabulary::add_logits`] for the model this table was made with, which gives the
    /// biases: the same terms summed in the same order.
    pub(crate) fn add_logits(&self, model: &Model, features: &[(u64, f32)], logits: &mut [f32]) {
        let lookup = |hash| {
            probe(&self.entries, self.shift, hash, |e| e.key).map(|e| (e.idf, &e.weights[..]))
        };
        add_normalised(features, self.unseen_idf, lookup, model, logits);
    }
}

/// The entry of `key` in an open-addressing table of `2^(64 - shift)` entries (keys stored as
/// `key | 1`, 0 marking an empty entry), probed linearly from its Fibonacci hash.
fn probe<E>(entries: &[E], shift: u32, key: u64, key_of: impl Fn(&E) -> u64) -> Option<&E> {
    let key = key | 1;
    let mask = entries.len() - 1;
    let mut i = slot(key, shift);
    loop {
        let e = &entries[i];
        match key_of(e) {
            k if k == key => return Some(e),
            0 => return None,
            _ => i = (i + 1) & mask,
        }
    }
}

/// Fibonacci hashing spreads the (already mixed) bits over the table.
fn slot(key: u64, shift: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

/// A linear model's logits for `features` (`lookup` gives a known feature's IDF and weights),
/// without building their vector: the weights are summed first and scaled by the norm once,
/// unseen features counted in the norm with `unseen_idf`; the model's biases added.
fn add_normalised<'w>(
    features: &[(u64, f32)],
    unseen_idf: f32,
    lookup: impl Fn(u64) -> Option<(f32, &'w [f32])>,
    model: &Model,
    logits: &mut [f32],
) {
    let mut sums = vec![0f32; logits.len()];
    let mut norm = 0.0;
    for &(hash, value) in features {
        let (v, weights) = match lookup(hash) {
            Some((idf, weights)) => (value * idf, Some(weights)),
            None => (value * unseen_idf, None),
        };
        norm += v * v;
        if let Some(weights) = weights {
            add_scaled(weights, v, &mut sums);
        }
    }
    let scale = if norm > 0.0 {
        1.0 / f32::sqrt(norm)
    } else {
        0.0
    };
    model.add_bias(logits);
    for (l, s) in logits.iter_mut().zip(&sums) {
        *l += s * scale;
    }
}
