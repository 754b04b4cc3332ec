//! Where a conversation was handed to, and what the agent is told.

use flow_engine::runtime::TransferTarget;
use serde::{Deserialize, Serialize};

/// A conversation's transfer, as its call record and the sessions API show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    /// `queue`, `phone` or `sip`.
    #[serde(rename = "type")]
    pub kind: String,
    pub target: String,
    pub summary: String,
}

impl Handoff {
    pub fn new(target: &TransferTarget, summary: &str) -> Handoff {
        let (kind, target) = match target {
            TransferTarget::Queue(queue) => ("queue", queue),
            TransferTarget::Phone(number) => ("phone", number),
            TransferTarget::Sip(address) => ("sip", address),
        };
        Handoff {
            kind: kind.to_owned(),
            target: target.clone(),
            summary: summary.to_owned(),
        }
    }
}
