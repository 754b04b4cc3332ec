//! Call analytics: what each ended conversation adds to the sums (tally), the task that adds it
//! (rollup), which calls a report covers (filter), and the reports read from the sums (report).

pub mod filter;
pub mod report;
pub mod rollup;
pub mod tally;
