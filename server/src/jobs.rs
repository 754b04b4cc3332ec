//! Periodic jobs: housekeeping that every server runs on a timer, from [`crate::app::start`]
//! until shutdown. Adding one is a function and a line in [`JOBS`].
//!
//! Servers sharing a PostgreSQL database each run every job, so a job must be correct when
//! another server runs it at the same time: a statement that converges (deleting what has
//! expired) rather than work that must happen exactly once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::state::AppState;
use crate::store::now_ms;

type JobError = Box<dyn std::error::Error + Send + Sync>;
type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;

/// A job and how often it runs.
pub struct Job<C> {
    pub name: &'static str,
    pub every: Duration,
    pub run: for<'a> fn(&'a C) -> JobFuture<'a>,
}

const ROLL_UP: &str = "count ended conversations in analytics";

/// Every server's jobs.
const JOBS: &[Job<AppState>] = &[
    Job {
        name: "work the campaigns' queue",
        every: Duration::from_millis(50),
        run: |state| Box::pin(work_campaigns(state)),
    },
    Job {
        name: "purge expired login sessions",
        every: Duration::from_secs(60),
        run: |state| Box::pin(purge_expired_login_sessions(state)),
    },
    Job {
        name: "end idle web chats",
        every: Duration::from_secs(60),
        run: |state| Box::pin(end_idle_chats(state)),
    },
    Job {
        name: "send widget rate-limit counts",
        every: Duration::from_secs(1),
        run: |state| Box::pin(send_widget_rate_counts(state)),
    },
    Job {
        name: "send quota counts",
        every: Duration::from_secs(1),
        run: |state| Box::pin(send_quota_counts(state)),
    },
    Job {
        name: "measure tenants' storage",
        every: Duration::from_secs(crate::quotas::storage::MEASURE_EVERY_SECS),
        run: |state| Box::pin(measure_storage(state)),
    },
    Job {
        name: "purge widget rate-limit windows",
        every: Duration::from_secs(60),
        run: |state| Box::pin(purge_widget_rate_windows(state)),
    },
    Job {
        name: "purge counted sign-in failures",
        every: Duration::from_secs(60),
        run: |state| Box::pin(purge_credential_failures(state)),
    },
    Job {
        name: "purge conversations past their retention",
        every: Duration::from_secs(60 * 60),
        run: |state| Box::pin(purge_past_retention(state)),
    },
    Job {
        name: ROLL_UP,
        every: Duration::from_secs(2),
        run: |state| Box::pin(roll_up_analytics(state)),
    },
    Job {
        name: "refresh table statistics",
        every: Duration::from_secs(2),
        run: |state| Box::pin(refresh_statistics(state)),
    },
];

/// Login sessions past their expiry can never sign anyone in again; they only take space.
async fn work_campaigns(state: &AppState) -> Result<(), JobError> {
    crate::campaigns::runner::run_once(state).await?;
    Ok(())
}

async fn purge_expired_login_sessions(state: &AppState) -> Result<(), JobError> {
    let removed = state.store.delete_expired_login_sessions(now_ms()).await?;
    if removed > 0 {
        tracing::debug!(removed, "purged expired login sessions");
    }
    Ok(())
}

/// A web chat has no carrier to say the customer left: without this it would stay open, with
/// no outcome and no handle time, for ever. See [`crate::channels::webchat::end_idle_chats`].
async fn end_idle_chats(state: &AppState) -> Result<(), JobError> {
    let ended = crate::channels::webchat::end_idle_chats(state, now_ms()).await?;
    if ended > 0 {
        tracing::debug!(ended, "ended idle web chats");
    }
    Ok(())
}

/// Other servers see this one's widget requests once they are in the database. See
/// [`crate::channels::widget::rate`].
async fn send_widget_rate_counts(state: &AppState) -> Result<(), JobError> {
    state.widget_rates.send_all(&state.store, now_ms()).await?;
    Ok(())
}

/// Other servers see this one's API requests and turns once they are in the database. See
/// [`crate::quotas`].
async fn send_quota_counts(state: &AppState) -> Result<(), JobError> {
    state.quotas.counts.send_all(&state.store, now_ms()).await?;
    Ok(())
}

/// A manager's writes are refused once the tenant's data is over its storage quota. See
/// [`crate::quotas::storage`].
async fn measure_storage(state: &AppState) -> Result<(), JobError> {
    crate::quotas::storage::measure_all(state).await?;
    Ok(())
}

/// Rate-limit counts of past windows are never read again. See
/// [`crate::channels::widget::rate`].
async fn purge_widget_rate_windows(state: &AppState) -> Result<(), JobError> {
    let removed = crate::channels::widget::rate::purge(&state.store, now_ms()).await?;
    if removed > 0 {
        tracing::debug!(removed, "purged widget rate-limit windows");
    }
    Ok(())
}

/// Failures older than the throttle's window are never counted again. See
/// [`crate::throttle`].
async fn purge_credential_failures(state: &AppState) -> Result<(), JobError> {
    let removed = crate::throttle::purge(&state.store, now_ms()).await?;
    if removed > 0 {
        tracing::debug!(removed, "purged counted sign-in failures");
    }
    Ok(())
}

/// Conversations older than their tenant's retention are deleted within the hour. See
/// [`crate::privacy::retention`].
async fn purge_past_retention(state: &AppState) -> Result<(), JobError> {
    let purged = crate::privacy::retention::purge_all(&state.store, state.clock.now_ms()).await?;
    for (tenant, erased) in purged {
        tracing::info!(tenant, ?erased, "purged conversations past their retention");
    }
    Ok(())
}

/// See [`crate::analytics::rollup`]: the dashboard is at most a few seconds behind.
async fn roll_up_analytics(state: &AppState) -> Result<(), JobError> {
    let started = std::time::Instant::now();
    let (waiting, read_back) = crate::analytics::rollup::catch_up(&state.store).await?;
    if waiting + read_back > 0 {
        let ms = started.elapsed().as_millis();
        tracing::debug!(waiting, read_back, ms, "counted conversations in analytics");
    }
    Ok(())
}

/// See [`crate::store::Store::refresh_statistics`]; nothing to do on SQLite.
async fn refresh_statistics(state: &AppState) -> Result<(), JobError> {
    let analyzed = state.store.refresh_statistics().await?;
    if !analyzed.is_empty() {
        tracing::debug!(?analyzed, "refreshed table statistics");
    }
    Ok(())
}

/// The running jobs.
pub struct Jobs {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts every job the configuration wants; each runs at once, then every `every`.
pub fn start(state: &AppState, config: &Config) -> Jobs {
    let wanted = JOBS
        .iter()
        .filter(|job| config.analytics_rollup || job.name != ROLL_UP);
    start_jobs(Arc::new(state.clone()), wanted)
}

fn start_jobs<C: Send + Sync + 'static>(
    context: Arc<C>,
    jobs: impl IntoIterator<Item = &'static Job<C>>,
) -> Jobs {
    let (stop, stopped) = watch::channel(false);
    let tasks = jobs
        .into_iter()
        .map(|job| tokio::spawn(repeat(context.clone(), job, stopped.clone())))
        .collect();
    Jobs { stop, tasks }
}

async fn repeat<C>(context: Arc<C>, job: &Job<C>, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(job.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.changed() => return,
        }
        // A run in progress finishes before the job looks at the stop signal again.
        if let Err(error) = (job.run)(&context).await {
            tracing::warn!(job = job.name, %error, "a periodic job failed");
        }
    }
}

impl Jobs {
    /// Stops every job, letting a run in progress finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn count(runs: &AtomicUsize) -> Result<(), JobError> {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    const COUNTING: &[Job<AtomicUsize>] = &[Job {
        name: "count",
        every: Duration::from_secs(60),
        run: |runs| Box::pin(count(runs)),
    }];

    #[tokio::test(start_paused = true)]
    async fn jobs_run_at_start_then_on_their_interval_until_stopped() {
        let runs = Arc::new(AtomicUsize::new(0));
        let jobs = start_jobs(runs.clone(), COUNTING);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "the first run is at start");
        tokio::time::sleep(Duration::from_secs(120)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "then one a minute");
        jobs.stop().await;
        tokio::time::sleep(Duration::from_secs(600)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "none after stopping");
    }

    #[tokio::test]
    async fn the_purge_removes_expired_login_sessions_only() {
        use crate::config::{Config, Overrides};
        use crate::store::{NewUser, Role, TenantSettings};
        let directory = tempfile::tempdir().expect("directory");
        let config = Config::resolve(Overrides {
            data_dir: Some(directory.path().to_path_buf()),
            ..Overrides::default()
        })
        .expect("config");
        let store = crate::app::open_store(&config).await.expect("store");
        let state = AppState::new(&config, store).expect("state");
        let now = now_ms();
        let mut transaction = state.store.transaction().await.expect("transaction");
        let tenant = transaction
            .create_tenant("Shop", "shop", &TenantSettings::default(), now)
            .await
            .expect("tenant");
        let new = NewUser {
            email: "ana@shop.example",
            display_name: "Ana",
            password: "correct horse battery staple",
            role: Role::Owner,
        };
        let user = transaction
            .create_user(&tenant.id, &new, now)
            .await
            .expect("user");
        transaction.commit().await.expect("commit");
        let session = |created, ttl| {
            state
                .store
                .create_login_session(&tenant.id, &user.id, created, ttl)
        };
        session(now - 60_000, 1_000)
            .await
            .expect("expired")
            .expect("made");
        let live = session(now, 60_000).await.expect("live").expect("made");

        purge_expired_login_sessions(&state).await.expect("purge");
        assert_eq!(
            state
                .store
                .delete_expired_login_sessions(now)
                .await
                .expect("count"),
            0,
            "the expired session was purged"
        );
        let signed_in = state
            .store
            .authenticate_login_session(&live.token, now)
            .await
            .expect("authenticate");
        assert!(signed_in.is_some(), "the live session was kept");
        state.store.close().await;
    }
}
