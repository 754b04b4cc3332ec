//! Linear SVMs on sparse vectors, one per class (one-vs-rest), trained by liblinear's dual
//! coordinate descent; the index turns their decision values into confidences with a softmax.
//!
//! Training visits the rows in an order drawn from a fixed-seed generator, so the same rows
//! always give the same weights. A row's cost is C times its weight, which lets the background
//! class (many generic sentences) weigh as much as one intent.
//!
//! The stored model is a dense matrix, one row of weights per column, near-zero weights set to
//! 0: trained models keep 70–99% of their weights, so a sparse list of (class, weight) pairs
//! took more memory than the matrix, and an extra read per column.

/// The SVM's cost (liblinear's C).
const C: f32 = 1.0;
/// The value of the bias feature.
const BIAS: f32 = 1.0;
/// Stopping tolerance on the projected gradient (liblinear's default).
const EPSILON: f32 = 0.1;
/// Passes over the rows at most.
const MAX_PASSES: usize = 50;
/// Weights this close to zero are dropped after training.
const PRUNE: f32 = 1e-4;

/// One training example: its features (column, value) and its class.
pub(crate) struct Row {
    pub features: Vec<(u32, f32)>,
    pub class: usize,
    /// How much the row counts: classes with many rows are weighted down so that each class
    /// weighs about the same.
    pub weight: f32,
}

#[derive(Debug, Clone)]
pub(crate) struct Model {
    classes: usize,
    bias: Vec<f32>,
    /// Column `c`'s weights, one per class, are `weights[c * classes..(c + 1) * classes]`,
    /// pruned weights stored as 0: a column is one contiguous read where a sparse list needs
    /// its offsets read first, and adding a zero term leaves a sum as it is (a sum that starts
    /// at 0 is never −0), so the logits are those of the pruned list.
    weights: Vec<f32>,
}

impl Model {
    pub fn train(rows: &[Row], columns: usize, classes: usize) -> Self {
        let xs: Vec<&[(u32, f32)]> = rows.iter().map(|r| r.features.as_slice()).collect();
        let labels: Vec<usize> = rows.iter().map(|r| r.class).collect();
        let costs: Vec<f32> = rows.iter().map(|r| C * r.weight).collect();
        let trained = one_vs_rest(&xs, &labels, &costs, columns + 1, classes);
        let mut weights = Vec::with_capacity(columns * classes);
        for c in 0..columns {
            for k in 0..classes {
                let w = trained.weight(c, k);
                weights.push(if w.abs() > PRUNE { w } else { 0.0 });
            }
        }
        Self {
            classes,
            bias: (0..classes)
                .map(|k| trained.weight(columns, k) * BIAS)
                .collect(),
            weights,
        }
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Adds the biases to `out` (one slot per class).
    pub fn add_bias(&self, out: &mut [f32]) {
        for (o, b) in out.iter_mut().zip(&self.bias) {
            *o += b;
        }
    }

    /// Column `c`'s weights, one per class.
    pub fn column(&self, c: u32) -> &[f32] {
        let start = c as usize * self.classes;
        &self.weights[start..start + self.classes]
    }

    /// Adds column `c`'s weights times `value` to `out`.
    pub fn add_column(&self, c: u32, value: f32, out: &mut [f32]) {
        add_scaled(self.column(c), value, out);
    }

    /// Adds the logits of `x` to `out`.
    pub fn add_logits(&self, x: &[(u32, f32)], out: &mut [f32]) {
        self.add_bias(out);
        for &(c, v) in x {
            self.add_column(c, v, out);
        }
    }

    /// Weights not pruned to 0, for tests of the sparsity.
    #[cfg(test)]
    pub fn stored_weights(&self) -> usize {
        self.weights.iter().filter(|w| **w != 0.0).count()
    }
}

/// Adds `weights` times `value` to `out`, class by class.
pub(crate) fn add_scaled(weights: &[f32], value: f32, out: &mut [f32]) {
    for (o, w) in out.iter_mut().zip(weights) {
        *o += w * value;
    }
}

/// In place: logits to probabilities.
pub(crate) fn softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    if sum > 0.0 {
        for x in v.iter_mut() {
            *x /= sum;
        }
    }
}

/// Classes solved side by side in one sweep: a column's weights for them fill whole vector
/// registers, and a sweep's weights (columns × lanes) still fit in a core's L2 cache for
/// nodes of many examples.
const LANES: usize = 8;

/// One-vs-rest weights, for each block of [`LANES`] classes a column's weights side by side.
pub(crate) struct OneVsRest {
    classes: usize,
    dims: usize,
    w: Vec<[f32; LANES]>,
}

impl OneVsRest {
    /// Class `k`'s weight for column `c`; the bias is column `dims - 1`.
    pub fn weight(&self, c: usize, k: usize) -> f32 {
        debug_assert!(k < self.classes);
        self.w[k / LANES * self.dims + c][k % LANES]
    }
}

/// Linear SVMs, L2-regularised squared hinge, by dual coordinate descent as in liblinear
/// (Hsieh et al., 2008, solver 1), one per class against the rest: `xs` rows of (column,
/// value), `labels` each row's class, a cost per row; a bias feature of value [`BIAS`] is
/// added as column `dims - 1`. Coordinates are visited in a shuffled order from a fixed seed
/// until the projected gradient's spread is below [`EPSILON`] or after [`MAX_PASSES`] passes.
///
/// Each class's problem is solved exactly as on its own (the same visiting order, the same
/// arithmetic in the same order, its own stopping pass), but [`LANES`] of them in one sweep
/// over the rows: each row is read once per pass for all of them, and its dot products and
/// updates run over contiguous lanes instead of scattered single weights.
pub(crate) fn one_vs_rest(
    xs: &[&[(u32, f32)]],
    labels: &[usize],
    costs: &[f32],
    dims: usize,
    classes: usize,
) -> OneVsRest {
    let (diag, qd) = diagonals(xs, costs);
    let mut w = Vec::with_capacity(classes.div_ceil(LANES) * dims);
    for first in (0..classes).step_by(LANES) {
        let lanes = (classes - first).min(LANES);
        w.extend(sweep(xs, labels, &diag, &qd, dims, first, lanes));
    }
    OneVsRest { classes, dims, w }
}

/// Classes `first..first + lanes` (at most [`LANES`]) of [`one_vs_rest`]: their weights,
/// column by column.
fn sweep(
    xs: &[&[(u32, f32)]],
    labels: &[usize],
    diag: &[f32],
    qd: &[f32],
    dims: usize,
    first: usize,
    lanes: usize,
) -> Vec<[f32; LANES]> {
    let mut w = vec![[0f32; LANES]; dims];
    let bias = dims - 1;
    let mut alpha = vec![[0f32; LANES]; xs.len()];
    let mut order: Vec<usize> = (0..xs.len()).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    // A class stops after the pass in which it converged, as it would on its own.
    let mut running = [false; LANES];
    running[..lanes].fill(true);
    for _ in 0..MAX_PASSES {
        if !running.contains(&true) {
            break;
        }
        shuffle(&mut order, &mut state);
        let mut pg_max = [f32::NEG_INFINITY; LANES];
        let mut pg_min = [f32::INFINITY; LANES];
        for &i in &order {
            let x = xs[i];
            // -0.0 is what a sum of f32 starts from.
            let mut dots = [-0.0f32; LANES];
            for &(j, v) in x {
                let r = &w[j as usize];
                for l in 0..LANES {
                    dots[l] += r[l] * v;
                }
            }
            let alpha = &mut alpha[i];
            let mut deltas = [0f32; LANES];
            let mut moved = false;
            for l in 0..lanes {
                if !running[l] {
                    continue;
                }
                let y = if labels[i] == first + l { 1.0 } else { -1.0 };
                let dot = w[bias][l] * BIAS + dots[l];
                let g = y * dot - 1.0 + diag[i] * alpha[l];
                let pg = if alpha[l] == 0.0 { g.min(0.0) } else { g };
                pg_max[l] = pg_max[l].max(pg);
                pg_min[l] = pg_min[l].min(pg);
                if pg.abs() > 1e-12 {
                    let old = alpha[l];
                    alpha[l] = (old - g / qd[i]).max(0.0);
                    deltas[l] = (alpha[l] - old) * y;
                    moved = true;
                }
            }
            if !moved {
                continue;
            }
            // Lanes that did not move add zero: their weights keep their values.
            for &(j, v) in x {
                let r = &mut w[j as usize];
                for l in 0..LANES {
                    r[l] += deltas[l] * v;
                }
            }
            for l in 0..LANES {
                w[bias][l] += deltas[l] * BIAS;
            }
        }
        for l in 0..lanes {
            if running[l] && pg_max[l] - pg_min[l] < EPSILON {
                running[l] = false;
            }
        }
    }
    w
}

/// The dual problem's diagonal per row: the squared hinge's `1 / (2 C)` term, and the whole
/// `Q_ii` (that term plus the row's squared norm with the bias feature).
fn diagonals(xs: &[&[(u32, f32)]], costs: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let diag: Vec<f32> = costs.iter().map(|c| 0.5 / c.max(1e-6)).collect();
    let qd = xs
        .iter()
        .zip(&diag)
        .map(|(x, d)| d + BIAS * BIAS + x.iter().map(|f| f.1 * f.1).sum::<f32>())
        .collect();
    (diag, qd)
}

/// One class against the rest on its own: the reference [`one_vs_rest`] must reproduce.
#[cfg(test)]
fn dual_cd(xs: &[&[(u32, f32)]], ys: &[f32], costs: &[f32], dims: usize) -> Vec<f32> {
    let mut w = vec![0f32; dims];
    let bias = dims - 1;
    let mut alpha = vec![0f32; xs.len()];
    let (diag, qd) = diagonals(xs, costs);
    let mut order: Vec<usize> = (0..xs.len()).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..MAX_PASSES {
        shuffle(&mut order, &mut state);
        let (mut pg_max, mut pg_min) = (f32::NEG_INFINITY, f32::INFINITY);
        for &i in &order {
            let x = xs[i];
            let dot = w[bias] * BIAS + x.iter().map(|&(j, v)| w[j as usize] * v).sum::<f32>();
            let g = ys[i] * dot - 1.0 + diag[i] * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let d = (alpha[i] - old) * ys[i];
                for &(j, v) in x {
                    w[j as usize] += d * v;
                }
                w[bias] += d * BIAS;
            }
        }
        if pg_max - pg_min < EPSILON {
            break;
        }
    }
    w
}

/// Fisher–Yates with xorshift64: a fixed seed gives a fixed order.
pub(crate) fn shuffle<T>(v: &mut [T], state: &mut u64) {
    for i in (1..v.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let j = (*state % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(features: &[(u32, f32)], class: usize) -> Row {
        Row {
            features: features.to_vec(),
            class,
            weight: 1.0,
        }
    }

    fn predict(model: &Model, x: &[(u32, f32)]) -> Vec<f32> {
        let mut out = vec![0.0; model.classes()];
        model.add_logits(x, &mut out);
        softmax(&mut out);
        out
    }

    #[test]
    fn learns_separable_classes() {
        // Columns 0–1 mean class 0, 2–3 class 1, 4 class 2; column 5 is shared noise.
        let rows = vec![
            row(&[(0, 0.7), (5, 0.7)], 0),
            row(&[(1, 0.7), (5, 0.7)], 0),
            row(&[(2, 0.7), (5, 0.7)], 1),
            row(&[(3, 0.7), (5, 0.7)], 1),
            row(&[(4, 1.0)], 2),
        ];
        let model = Model::train(&rows, 6, 3);
        for (x, want) in [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2)] {
            let p = predict(&model, &[(x, 1.0)]);
            let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b]));
            assert_eq!(best, Some(want), "column {x}: {p:?}");
            assert!(p[want] > 0.6, "column {x}: {p:?}");
        }
        let p = predict(&model, &[(5, 1.0)]);
        assert!(
            p.iter().all(|&q| q < 0.7),
            "shared noise stays uncertain: {p:?}"
        );
    }

    #[test]
    fn training_is_deterministic_and_sparse() {
        let rows: Vec<Row> = (0..40u32)
            .map(|i| row(&[(i, 1.0), (40 + i % 4, 0.5)], (i % 4) as usize))
            .collect();
        // 60 columns, of which rows use 44.
        let a = Model::train(&rows, 60, 4);
        let b = Model::train(&rows, 60, 4);
        let x = [(3, 0.5), (41, 0.5)];
        assert_eq!(predict(&a, &x), predict(&b, &x));
        // Columns no row has store nothing.
        assert!(a.stored_weights() <= 44 * 4, "{}", a.stored_weights());
        assert!(a.stored_weights() > 40, "{}", a.stored_weights());
    }

    #[test]
    fn one_sweep_equals_one_class_at_a_time() {
        // Rows of varied length over shared columns, uneven costs and 11 classes (two lane
        // blocks, the second part padding), so that classes converge at different passes.
        let mut state = 0x1234_5678_9ABC_DEF1u64;
        let mut next = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        let (dims, classes) = (61, 11);
        let rows: Vec<Vec<(u32, f32)>> = (0..150)
            .map(|_| {
                let mut cols: Vec<u32> = (0..1 + next(12)).map(|_| next(60) as u32).collect();
                cols.sort_unstable();
                cols.dedup();
                cols.iter()
                    .map(|&c| (c, 0.1 + next(90) as f32 / 100.0))
                    .collect()
            })
            .collect();
        let xs: Vec<&[(u32, f32)]> = rows.iter().map(Vec::as_slice).collect();
        let labels: Vec<usize> = (0..rows.len())
            .map(|_| next(classes as u64) as usize)
            .collect();
        let costs: Vec<f32> = (0..rows.len()).map(|i| 0.5 + (i % 3) as f32).collect();
        let together = one_vs_rest(&xs, &labels, &costs, dims, classes);
        for k in 0..classes {
            let ys: Vec<f32> = labels
                .iter()
                .map(|&l| if l == k { 1.0 } else { -1.0 })
                .collect();
            let alone = dual_cd(&xs, &ys, &costs, dims);
            for (c, &want) in alone.iter().enumerate() {
                assert_eq!(together.weight(c, k), want, "class {k}, column {c}");
            }
        }
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut v = vec![1.0, 2.0, 3.0, -1000.0];
        softmax(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(v[2] > v[1] && v[1] > v[0]);
    }
}
