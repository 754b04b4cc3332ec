//! Call analytics: what each ended conversation adds to the sums (tally), the task that adds it
//! (rollup), and the reports read from the sums (report).

pub mod rollup;
pub mod tally;
