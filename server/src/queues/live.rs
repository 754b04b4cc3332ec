//! Tells live views (the agent console, a visitor's chat window) that something they show
//! changed, so they read it at once instead of at their next poll: a conversation's new line
//! wakes only the views of that conversation; who owns a conversation, or an agent's presence,
//! also wakes the tenant's queue lists. Only this server's changes are announced; views poll
//! every [`POLL`] as well, which is how a change written by another server sharing the
//! database reaches them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::broadcast;

/// How often a live view reads the database even when nothing was announced.
pub const POLL: Duration = Duration::from_millis(1000);

/// Announcements a slow view may fall behind by; one that falls further reads the database
/// anyway.
const BACKLOG: usize = 64;

/// Conversations with views at which the map is swept of those whose views have gone.
const SWEEP_AT: usize = 4096;

#[derive(Debug, Clone)]
pub struct Live {
    /// Tenants whose queue lists changed.
    tenants: broadcast::Sender<Arc<str>>,
    /// Per conversation (`tenant/call`), a channel its views listen on.
    calls: Arc<Mutex<HashMap<String, broadcast::Sender<()>>>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            tenants: broadcast::channel(BACKLOG * 16).0,
            calls: Arc::default(),
        }
    }
}

fn call_key(tenant_id: &str, call_id: &str) -> String {
    format!("{tenant_id}/{call_id}")
}

impl Live {
    /// A new line of the conversation `call_id`: wakes its views.
    pub fn message(&self, tenant_id: &str, call_id: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        let key = call_key(tenant_id, call_id);
        if let Some(sender) = calls.get(&key) {
            // Nobody listening any more: the entry goes.
            if sender.send(()).is_err() {
                calls.remove(&key);
            }
        }
    }

    /// Who owns the conversation changed (handed to a queue, taken, given back, left): wakes
    /// its views and the tenant's queue lists.
    pub fn owner_changed(&self, tenant_id: &str, call_id: &str) {
        self.message(tenant_id, call_id);
        self.queues_changed(tenant_id);
    }

    /// The tenant's queues changed without a conversation changing (an agent's presence).
    pub fn queues_changed(&self, tenant_id: &str) {
        // Nobody listening is not an error.
        let _ = self.tenants.send(tenant_id.into());
    }

    /// Listens for the tenant's queue changes.
    pub fn watch_queues(&self, tenant_id: &str) -> QueueWatch {
        QueueWatch {
            tenant_id: tenant_id.into(),
            receiver: self.tenants.subscribe(),
        }
    }

    /// Listens for the conversation's changes.
    pub fn watch_call(&self, tenant_id: &str, call_id: &str) -> CallWatch {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        if calls.len() >= SWEEP_AT {
            calls.retain(|_, sender| sender.receiver_count() > 0);
        }
        let receiver = calls
            .entry(call_key(tenant_id, call_id))
            .or_insert_with(|| broadcast::channel(BACKLOG).0)
            .subscribe();
        CallWatch { receiver }
    }
}

/// Waits for the next of `receiver`'s announcements that `wanted` accepts, or [`POLL`].
async fn next<T: Clone>(receiver: &mut broadcast::Receiver<T>, wanted: impl Fn(&T) -> bool) {
    let announced = async {
        loop {
            match receiver.recv().await {
                Ok(change) if wanted(&change) => return,
                Ok(_) => {}
                // Missed some: read the database now.
                Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    };
    let _ = tokio::time::timeout(POLL, announced).await;
}

/// A queue list's subscription.
pub struct QueueWatch {
    tenant_id: Arc<str>,
    receiver: broadcast::Receiver<Arc<str>>,
}

impl QueueWatch {
    /// Until the tenant's queues change or [`POLL`] passes.
    pub async fn next(&mut self) {
        let tenant_id = self.tenant_id.clone();
        next(&mut self.receiver, |changed| *changed == tenant_id).await;
    }
}

/// A conversation view's subscription.
pub struct CallWatch {
    receiver: broadcast::Receiver<()>,
}

impl CallWatch {
    /// Until the conversation changes or [`POLL`] passes.
    pub async fn next(&mut self) {
        next(&mut self.receiver, |_| true).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_view_wakes_for_its_own_conversation_or_after_the_poll() {
        let live = Live::default();
        let mut watch = live.watch_call("ten_a", "cal_1");
        live.message("ten_b", "cal_1");
        live.message("ten_a", "cal_2");
        let started = tokio::time::Instant::now();
        live.message("ten_a", "cal_1");
        watch.next().await;
        assert!(started.elapsed() < POLL, "woken by its change");
        // Nothing more for it: the poll interval passes.
        watch.next().await;
        assert!(started.elapsed() >= POLL);
    }

    #[tokio::test(start_paused = true)]
    async fn queue_lists_wake_for_owners_not_for_lines() {
        let live = Live::default();
        let mut list = live.watch_queues("ten_a");
        let started = tokio::time::Instant::now();
        live.message("ten_a", "cal_1");
        live.queues_changed("ten_b");
        list.next().await;
        assert!(
            started.elapsed() >= POLL,
            "a new line does not refresh the lists"
        );
        let started = tokio::time::Instant::now();
        live.owner_changed("ten_a", "cal_1");
        list.next().await;
        assert!(started.elapsed() < POLL, "a conversation taken does");
    }

    #[test]
    fn conversations_nobody_watches_are_forgotten() {
        let live = Live::default();
        let watch = live.watch_call("ten_a", "cal_1");
        assert_eq!(live.calls.lock().map(|calls| calls.len()).unwrap_or(0), 1);
        drop(watch);
        live.message("ten_a", "cal_1");
        assert_eq!(live.calls.lock().map(|calls| calls.len()).unwrap_or(1), 0);
    }
}
