//! `end`: ends the call, or returns from a subflow, with an outcome.

use super::{subflow, Compiled, Kind, Ports, Run};
use crate::compile::NodeCompiler;
use crate::model::{node_common, Outcome};
use crate::runtime::{Step, Visit};
use crate::validate::{Checker, Diagnostic};

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

    fn compile(&self, _: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        Ok(Compiled::End(End {
            outcome: self.outcome,
        }))
    }
}

pub(crate) struct End {
    outcome: Outcome,
}

impl Run for End {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        match subflow::return_to_caller(visit, self.outcome) {
            Some(step) => step,
            None => visit.finish(self.outcome, true),
        }
    }
}
