//! Tells live views (the agent console, a visitor's chat window) that something they show
//! changed, so they read it at once instead of at their next poll: a conversation's new line
//! wakes only the views of that conversation; who owns a conversation, or an agent's presence,
//! also wakes the tenant's queue lists. Servers sharing a PostgreSQL database tell each other
//! their changes through it ([`Live::relay`]); views then poll every [`POLL`] as well, because
//! a notice between servers can be lost. A server alone (SQLite) hears every change itself,
//! so its views read the database only when told, and every [`POLL_ALONE`] in case a change
//! was not announced.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};

use crate::store::{Store, StoreError};

/// How often a live view reads the database even when nothing was announced, on a server
/// that shares its database with others.
pub const POLL: Duration = Duration::from_millis(1000);

/// The same on a server alone: thousands of waiting chat widgets each reading once a second
/// were most of such a server's reads, all for nothing.
pub const POLL_ALONE: Duration = Duration::from_secs(5);

/// Announcements a slow view may fall behind by; one that falls further reads the database
/// anyway.
const BACKLOG: usize = 64;

/// Conversations with views at which the map is swept of those whose views have gone.
const SWEEP_AT: usize = 4096;

/// The database channel servers tell each other their changes on.
const CHANNEL: &str = "callflow_live";

/// Announcements waiting to be sent to the other servers; past this they are dropped, and the
/// other servers' views see the change at their next poll.
const OUTBOX: usize = 4096;

/// Announcements sent in one notice at most, in bytes (PostgreSQL takes up to 8,000).
const NOTICE_BYTES: usize = 7000;

#[derive(Debug, Clone)]
pub struct Live {
    /// Tenants whose queue lists changed.
    tenants: broadcast::Sender<Arc<str>>,
    /// Per conversation (`tenant/call`), a channel its views listen on.
    calls: Arc<Mutex<HashMap<String, broadcast::Sender<()>>>>,
    /// This server, so that it passes over its own notices.
    origin: Arc<str>,
    /// Where this server's announcements wait to be told to the others, once relaying.
    outbox: Arc<OnceLock<mpsc::Sender<String>>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            tenants: broadcast::channel(BACKLOG * 16).0,
            calls: Arc::default(),
            origin: uuid::Uuid::new_v4().simple().to_string().into(),
            outbox: Arc::default(),
        }
    }
}

fn call_key(tenant_id: &str, call_id: &str) -> String {
    format!("{tenant_id}/{call_id}")
}

/// What an announcement is, as other servers are told it: one line of a notice.
#[derive(Debug, PartialEq, Eq)]
enum Change<'a> {
    Message {
        tenant_id: &'a str,
        call_id: &'a str,
    },
    Owner {
        tenant_id: &'a str,
        call_id: &'a str,
    },
    Queues {
        tenant_id: &'a str,
    },
}

impl<'a> Change<'a> {
    fn line(&self) -> String {
        match self {
            Change::Message { tenant_id, call_id } => format!("m {tenant_id} {call_id}"),
            Change::Owner { tenant_id, call_id } => format!("o {tenant_id} {call_id}"),
            Change::Queues { tenant_id } => format!("q {tenant_id}"),
        }
    }

    /// `None` for a line this server does not know (from a newer server, say).
    fn parse(line: &'a str) -> Option<Change<'a>> {
        let mut words = line.split(' ');
        let change = match (words.next()?, words.next()?, words.next()) {
            ("m", tenant_id, Some(call_id)) => Change::Message { tenant_id, call_id },
            ("o", tenant_id, Some(call_id)) => Change::Owner { tenant_id, call_id },
            ("q", tenant_id, None) => Change::Queues { tenant_id },
            _ => return None,
        };
        words.next().is_none().then_some(change)
    }
}

impl Live {
    /// A new line of the conversation `call_id`: wakes its views.
    pub fn message(&self, tenant_id: &str, call_id: &str) {
        self.announce(Change::Message { tenant_id, call_id });
    }

    /// A turn of the conversation's flow was saved: wakes this server's views of it. Not told
    /// to the other servers (every turn of every call would be a notice); their views see it
    /// at their next poll, as views of a flow's own lines are rare (a person owns the
    /// conversations the console and a waiting widget show).
    pub fn turn_saved(&self, tenant_id: &str, call_id: &str) {
        self.wake_call(tenant_id, call_id);
    }

    /// How long a view waits for an announcement before it reads the database anyway.
    fn poll(&self) -> Duration {
        match self.outbox.get() {
            Some(_) => POLL,
            None => POLL_ALONE,
        }
    }

    /// Who owns the conversation changed (handed to a queue, taken, given back, left): wakes
    /// its views and the tenant's queue lists.
    pub fn owner_changed(&self, tenant_id: &str, call_id: &str) {
        self.announce(Change::Owner { tenant_id, call_id });
    }

    /// The tenant's queues changed without a conversation changing (an agent's presence).
    pub fn queues_changed(&self, tenant_id: &str) {
        self.announce(Change::Queues { tenant_id });
    }

    fn announce(&self, change: Change<'_>) {
        self.wake(&change);
        if let Some(outbox) = self.outbox.get() {
            // A full outbox means the database is behind; the others will poll.
            let _ = outbox.try_send(change.line());
        }
    }

    /// Wakes this server's views of `change`.
    fn wake(&self, change: &Change<'_>) {
        match *change {
            Change::Message { tenant_id, call_id } => self.wake_call(tenant_id, call_id),
            Change::Owner { tenant_id, call_id } => {
                self.wake_call(tenant_id, call_id);
                self.wake_queues(tenant_id);
            }
            Change::Queues { tenant_id } => self.wake_queues(tenant_id),
        }
    }

    fn wake_call(&self, tenant_id: &str, call_id: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        let key = call_key(tenant_id, call_id);
        if let Some(sender) = calls.get(&key) {
            // Nobody listening any more: the entry goes.
            if sender.send(()).is_err() {
                calls.remove(&key);
            }
        }
    }

    fn wake_queues(&self, tenant_id: &str) {
        // Nobody listening is not an error.
        let _ = self.tenants.send(tenant_id.into());
    }

    /// Listens for the tenant's queue changes.
    pub fn watch_queues(&self, tenant_id: &str) -> QueueWatch {
        QueueWatch {
            tenant_id: tenant_id.into(),
            receiver: self.tenants.subscribe(),
            poll: self.poll(),
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
        CallWatch {
            receiver,
            poll: self.poll(),
        }
    }

    /// Tells the other servers sharing `store`'s PostgreSQL database this server's changes,
    /// and this server's views theirs, until the answer is dropped. `None` on SQLite, or when
    /// this `Live` relays already.
    pub async fn relay(&self, store: &Store) -> Result<Option<Relay>, StoreError> {
        let Some(mut notices) = store.listen(CHANNEL).await? else {
            return Ok(None);
        };
        let (outbox, mut waiting) = mpsc::channel::<String>(OUTBOX);
        if self.outbox.set(outbox).is_err() {
            return Ok(None);
        }
        let origin = self.origin.clone();
        let store = store.clone();
        let sending = tokio::spawn(async move {
            while let Some(first) = waiting.recv().await {
                // What piled up while the last notice went out goes in one.
                let mut notice = format!("{origin}\n{first}");
                while notice.len() < NOTICE_BYTES {
                    match waiting.try_recv() {
                        Ok(line) => {
                            notice.push('\n');
                            notice.push_str(&line);
                        }
                        Err(_) => break,
                    }
                }
                if let Err(error) = store.notify(CHANNEL, &notice).await {
                    tracing::warn!(%error, "could not tell the other servers of a change");
                }
            }
        });
        let live = self.clone();
        let hearing = tokio::spawn(async move {
            loop {
                match notices.next().await {
                    Ok(Some(notice)) => live.heard(&notice),
                    // Reconnected: what was lost meanwhile, views see at their next poll.
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(%error, "lost the other servers' changes; retrying");
                        tokio::time::sleep(POLL).await;
                    }
                }
            }
        });
        Ok(Some(Relay {
            tasks: [sending, hearing],
        }))
    }

    /// Wakes the views of another server's changes.
    fn heard(&self, notice: &str) {
        let mut lines = notice.lines();
        if lines.next() == Some(&*self.origin) {
            return;
        }
        for change in lines.filter_map(Change::parse) {
            self.wake(&change);
        }
    }
}

/// The tasks of [`Live::relay`]; dropping it stops them.
pub struct Relay {
    tasks: [tokio::task::JoinHandle<()>; 2],
}

impl Drop for Relay {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Waits for the next of `receiver`'s announcements that `wanted` accepts.
async fn announced<T: Clone>(receiver: &mut broadcast::Receiver<T>, wanted: impl Fn(&T) -> bool) {
    loop {
        match receiver.recv().await {
            Ok(change) if wanted(&change) => return,
            Ok(_) => {}
            // Missed some: read the database now.
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

/// A queue list's subscription.
pub struct QueueWatch {
    tenant_id: Arc<str>,
    receiver: broadcast::Receiver<Arc<str>>,
    poll: Duration,
}

impl QueueWatch {
    /// Until the tenant's queues change or [`POLL`] ([`POLL_ALONE`]) passes.
    pub async fn next(&mut self) {
        let _ = tokio::time::timeout(self.poll, self.announced()).await;
    }

    /// Until the tenant's queues change, however long that takes.
    pub async fn announced(&mut self) {
        let tenant_id = self.tenant_id.clone();
        announced(&mut self.receiver, |changed| *changed == tenant_id).await;
    }
}

/// A conversation view's subscription.
pub struct CallWatch {
    receiver: broadcast::Receiver<()>,
    poll: Duration,
}

impl CallWatch {
    /// Until the conversation changes or [`POLL`] ([`POLL_ALONE`]) passes.
    pub async fn next(&mut self) {
        let _ = tokio::time::timeout(self.poll, self.announced()).await;
    }

    /// Until the conversation changes, however long that takes.
    pub async fn announced(&mut self) {
        announced(&mut self.receiver, |_| true).await;
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
    fn announcements_read_back_as_they_were_told() {
        let changes = [
            Change::Message {
                tenant_id: "ten_a",
                call_id: "cal_1",
            },
            Change::Owner {
                tenant_id: "ten_a",
                call_id: "cal_2",
            },
            Change::Queues { tenant_id: "ten_b" },
        ];
        for change in changes {
            assert_eq!(Change::parse(&change.line()), Some(change));
        }
        for unknown in [
            "",
            "m ten_a",
            "q ten_a cal_1",
            "x ten_a cal_1",
            "m ten_a cal_1 more",
        ] {
            assert_eq!(Change::parse(unknown), None, "{unknown:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn another_servers_notice_wakes_views_and_its_own_does_not() {
        let here = Live::default();
        let mut watch = here.watch_call("ten_a", "cal_1");
        let mut list = here.watch_queues("ten_a");
        let started = tokio::time::Instant::now();
        here.heard(&format!("{}\no ten_a cal_1", here.origin));
        watch.next().await;
        assert!(
            started.elapsed() >= POLL,
            "its own notice was woken for already"
        );
        let started = tokio::time::Instant::now();
        here.heard("srv_other\nq ten_b\nbad line\no ten_a cal_1");
        watch.next().await;
        list.next().await;
        assert!(
            started.elapsed() < POLL,
            "woken by the other server's change"
        );
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
