use crate::flow_cache::FlowError;
use crate::store::{constraint, StoreError};

/// Why a conversation could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error("the conversation was not found")]
    NotFound,
    #[error(transparent)]
    Flow(#[from] FlowError),
    #[error("the conversation has ended")]
    Ended,
    /// Another turn of the conversation was saved first (a compare-and-set on its turn counter
    /// lost).
    #[error("another turn of this conversation was saved first")]
    TurnConflict,
    /// The copy of the conversation this server kept is behind the database (another server
    /// took a turn): the turn is run again from the database.
    #[error("the conversation moved on elsewhere")]
    Stale,
    /// A carrier's call was started twice (a retried webhook).
    #[error("the call was started already")]
    Duplicate,
    #[error("the conversation cannot continue on its flow: {0}")]
    FlowChanged(String),
    #[error("a stored conversation is unreadable: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(StoreError),
    /// The tenant is at a quota: a new conversation while its calls or chats are at their
    /// limit, a chat message over its turns per second. `language` is the flow's, for what a
    /// caller refused is told.
    #[error("{refused:?}")]
    OverQuota {
        refused: crate::quotas::Refused,
        language: Option<String>,
    },
}

impl From<crate::quotas::QuotaError> for ConversationError {
    fn from(error: crate::quotas::QuotaError) -> Self {
        match error {
            crate::quotas::QuotaError::Refused(refused) => ConversationError::OverQuota {
                refused,
                language: None,
            },
            crate::quotas::QuotaError::Store(error) => error.into(),
        }
    }
}

impl From<StoreError> for ConversationError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::RevisionMismatch { .. } => ConversationError::TurnConflict,
            other if other.is_conflict_on(constraint::CALL_SID) => ConversationError::Duplicate,
            other => ConversationError::Store(other),
        }
    }
}
