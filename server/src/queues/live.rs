//! Tells live views (the agent console, a visitor's chat window) that a conversation or a
//! tenant's queues changed, so they read the new events at once instead of at their next
//! poll. Only this server's changes are announced; views poll every [`POLL`] as well, which is
//! how a change written by another server sharing the database reaches them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

/// How often a live view reads the database even when nothing was announced.
pub const POLL: Duration = Duration::from_millis(1000);

/// Changes announced but not yet seen by a slow view at most; a view that falls behind reads
/// the database anyway.
const BACKLOG: usize = 1024;

/// Something changed in a tenant: a conversation (its call id) or only its queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub tenant_id: Arc<str>,
    pub call_id: Option<Arc<str>>,
}

#[derive(Debug, Clone)]
pub struct Live {
    sender: broadcast::Sender<Change>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Live {
    /// Announces that the conversation `call_id` of `tenant_id` changed (its queue with it).
    pub fn changed(&self, tenant_id: &str, call_id: &str) {
        // Nobody listening is not an error.
        let _ = self.sender.send(Change {
            tenant_id: tenant_id.into(),
            call_id: Some(call_id.into()),
        });
    }

    /// Announces that `tenant_id`'s queues changed without a conversation changing (an agent's
    /// presence).
    pub fn changed_queues(&self, tenant_id: &str) {
        let _ = self.sender.send(Change {
            tenant_id: tenant_id.into(),
            call_id: None,
        });
    }

    pub fn subscribe(&self) -> Watch {
        Watch {
            receiver: self.sender.subscribe(),
        }
    }
}

/// One view's subscription.
pub struct Watch {
    receiver: broadcast::Receiver<Change>,
}

impl Watch {
    /// Waits until something of `tenant_id` changes (the call `call_id`, when given) or
    /// [`POLL`] passes, whichever is first.
    pub async fn next(&mut self, tenant_id: &str, call_id: Option<&str>) {
        let wanted = async {
            loop {
                match self.receiver.recv().await {
                    Ok(change) => {
                        let same_call = match (call_id, &change.call_id) {
                            (None, _) => true,
                            (Some(wanted), Some(changed)) => wanted == &**changed,
                            (Some(_), None) => false,
                        };
                        if &*change.tenant_id == tenant_id && same_call {
                            return;
                        }
                    }
                    // Missed some: read the database now.
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        };
        let _ = tokio::time::timeout(POLL, wanted).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_view_wakes_for_its_own_conversation_or_after_the_poll() {
        let live = Live::default();
        let mut watch = live.subscribe();
        live.changed("ten_b", "cal_1");
        live.changed("ten_a", "cal_2");
        live.changed("ten_a", "cal_1");
        let started = tokio::time::Instant::now();
        watch.next("ten_a", Some("cal_1")).await;
        assert!(started.elapsed() < POLL, "woken by its change");
        // Nothing more for it: the poll interval passes.
        watch.next("ten_a", Some("cal_1")).await;
        assert!(started.elapsed() >= POLL);
    }
}
