//! The peer every figure is compared with: TF-IDF over character 1–4-grams with a linear SVM,
//! what a practitioner would try first (scikit-learn's `TfidfVectorizer(analyzer="char",
//! ngram_range=(1, 4), sublinear_tf=True)` + `LinearSVC()`).
//!
//! * Vectors: character n-grams of the normalised text (`text::normalize`), sublinear tf
//!   (`1 + ln tf`), smoothed IDF (`ln((1 + n) / (1 + df)) + 1`), L2-normalised.
//! * Model: one-vs-rest, L2-regularised squared-hinge loss, C = 1, with a bias feature of 1,
//!   solved by dual coordinate descent as in liblinear (Hsieh et al., 2008) — the same solver
//!   as `nlu::model`, so the two differ in features and calibration, not in optimisation.
//! * Decision: the class with the highest decision value; rejected as out of scope when that
//!   value is below the threshold (0 by default, liblinear's own boundary).

use std::collections::HashMap;

use crate::nlu::model::one_vs_rest;
use crate::text::normalize;

pub struct LinearSvc {
    vocabulary: HashMap<String, (u32, f32)>,
    /// Per class: weights over the vocabulary, then the bias weight.
    weights: Vec<Vec<f32>>,
}

impl LinearSvc {
    /// `rows`: (text, class); `classes`: how many classes.
    pub fn train(rows: &[(&str, usize)], classes: usize) -> Self {
        let grams: Vec<HashMap<String, u32>> = rows.iter().map(|(t, _)| char_grams(t)).collect();
        let mut df: HashMap<&str, usize> = HashMap::new();
        for g in &grams {
            for k in g.keys() {
                *df.entry(k.as_str()).or_default() += 1;
            }
        }
        let mut keys: Vec<&str> = df.keys().copied().collect();
        keys.sort_unstable();
        let n = rows.len() as f32;
        let vocabulary: HashMap<String, (u32, f32)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let idf = ((1.0 + n) / (1.0 + df[k] as f32)).ln() + 1.0;
                ((*k).to_owned(), (u32::try_from(i).unwrap_or(u32::MAX), idf))
            })
            .collect();
        let mut peer = Self {
            weights: Vec::new(),
            vocabulary,
        };
        let dims = keys.len() + 1;
        let xs: Vec<Vec<(u32, f32)>> = rows.iter().map(|(t, _)| peer.vector(t)).collect();
        let xs: Vec<&[(u32, f32)]> = xs.iter().map(Vec::as_slice).collect();
        let costs = vec![1.0; rows.len()];
        let labels: Vec<usize> = rows.iter().map(|r| r.1).collect();
        let trained = one_vs_rest(&xs, &labels, &costs, dims, classes);
        peer.weights = (0..classes)
            .map(|k| (0..dims).map(|c| trained.weight(c, k)).collect())
            .collect();
        peer
    }

    /// The best class and its decision value.
    pub fn predict(&self, text: &str) -> Option<(usize, f64)> {
        let x = self.vector(text);
        self.weights
            .iter()
            .enumerate()
            .map(|(k, w)| {
                let bias = w.last().copied().unwrap_or_default();
                let dot = x.iter().map(|&(i, v)| w[i as usize] * v).sum::<f32>();
                (k, f64::from(dot + bias))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
    }

    /// Sparse TF-IDF vector, L2-normalised (the solver adds the bias feature).
    fn vector(&self, text: &str) -> Vec<(u32, f32)> {
        let mut x: Vec<(u32, f32)> = char_grams(text)
            .iter()
            .filter_map(|(g, &tf)| {
                let &(i, idf) = self.vocabulary.get(g)?;
                Some((i, (1.0 + (tf as f32).ln()) * idf))
            })
            .collect();
        let norm = x.iter().map(|f| f.1 * f.1).sum::<f32>().sqrt();
        if norm > 0.0 {
            x.iter_mut().for_each(|f| f.1 /= norm);
        }
        x.sort_unstable_by_key(|f| f.0);
        x
    }
}

fn char_grams(text: &str) -> HashMap<String, u32> {
    let chars: Vec<char> = normalize(text).chars().collect();
    let mut out = HashMap::new();
    for n in 1..=4 {
        for g in chars.windows(n) {
            *out.entry(g.iter().collect()).or_default() += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_simple_classes() {
        let rows = [
            ("查物流", 0),
            ("我的快递到哪了", 0),
            ("我要退款", 1),
            ("申请退款", 1),
            ("where is my order", 2),
            ("track my order", 2),
        ];
        let svc = LinearSvc::train(&rows, 3);
        assert_eq!(svc.predict("帮我查物流").map(|p| p.0), Some(0));
        assert_eq!(svc.predict("退款怎么申请").map(|p| p.0), Some(1));
        assert_eq!(svc.predict("where's my order").map(|p| p.0), Some(2));
        assert!(svc.predict("我要退款").is_some_and(|p| p.1 > 0.0));
    }
}
