//! Where a conversation was handed to, and what the agent is told.

use flow_engine::runtime::TransferTarget;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a conversation is handed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandoffKind {
    /// An agent queue.
    Queue,
    /// A phone number.
    Phone,
    /// A SIP address.
    Sip,
}

/// A conversation's transfer, as its call record and the sessions API show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    #[serde(rename = "type")]
    pub kind: HandoffKind,
    pub target: String,
    pub summary: String,
}

impl Handoff {
    pub fn new(target: &TransferTarget, summary: &str) -> Handoff {
        let (kind, target) = match target {
            TransferTarget::Queue(queue) => (HandoffKind::Queue, queue),
            TransferTarget::Phone(number) => (HandoffKind::Phone, number),
            TransferTarget::Sip(address) => (HandoffKind::Sip, address),
        };
        Handoff {
            kind,
            target: target.clone(),
            summary: summary.to_owned(),
        }
    }
}
