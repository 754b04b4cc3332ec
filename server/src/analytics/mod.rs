//! Call analytics: what each ended conversation adds to the sums (tally), the task that adds it
//! (rollup), which calls a report covers (filter), the reports read from the sums (report, and
//! results for the variables flows mark as results), and what the manager does with what
//! callers said that nobody understood (handling).

pub mod filter;
pub mod handling;
pub mod names;
pub mod report;
pub mod results;
pub mod rollup;
pub mod tally;
