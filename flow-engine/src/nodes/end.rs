//! `end`: ends the call, or returns from a subflow, with an outcome.

use super::{Kind, Ports};
use crate::model::{node_common, Outcome};
use crate::validate::Checker;

node_common! {
    /// Ends the call (or returns from a subflow) with an outcome.
    pub struct EndNode {
        /// How the call ended, for the dashboard.
        pub outcome: Outcome,
    }
}

impl Kind for EndNode {
    const TYPE: &'static str = "end";
    const WAITS: bool = false;

    fn ports<'a>(&'a self, _: &mut Ports<'a>) {}

    fn check(&self, _: &mut Checker<'_>, _: &str) {}
}
