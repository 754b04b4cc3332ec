//! Storage: one [`Store`] over SQLite or PostgreSQL, one module per concept.
//!
//! Tenancy: every function on tenant-owned data takes `tenant_id` first, and it must come from
//! the authenticated principal. Every statement filters by it, so another tenant's row is simply
//! not there (`None`, `false`, an empty list), exactly as if it did not exist. The only lookups
//! without a tenant are the ones that establish the principal: API-key and login-session tokens,
//! and login by email (emails are unique across tenants, so the email finds the tenant).
//!
//! Ids are a type prefix and a UUID v7 in hex (`flw_01980c1e5f3a7d2c9b1e4f6a8c0d2e4f`): the prefix
//! tells what an id names wherever it turns up, v7 keeps inserts in index order. A login
//! session's id is instead the SHA-256 of its cookie token, so a stolen database holds no tokens.
//!
//! Changes to tenants' settings, flows, users, keys and numbers are methods of a
//! [`Transaction`], so that the caller commits each with its audit entry; conversation turns
//! and carrier reports, which the audit log does not record, are written by the store itself.
//!
//! Times are epoch milliseconds passed in by the caller ([`now_ms`] reads the clock), so tests
//! control time. JSON lives in TEXT columns; a row whose JSON does not parse is
//! [`StoreError::Corrupt`], never a panic.

mod analytics;
mod api_keys;
mod audit;
mod campaigns;
mod contacts;
mod conversations;
mod credential_failures;
mod customer_lookups;
mod do_not_call;
mod erasure;
mod error;
mod flows;
mod invites;
mod knowledge;
mod login_sessions;
mod notices;
mod operator_audit;
mod operator_keys;
mod queues;
mod recent;
mod telephony;
mod tenants;
mod turns;
mod unheard_texts;
mod usage;
mod users;
mod widget;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::RngCore;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Row};

pub use analytics::{
    rows_to_json, sum_into, AnalyticsFilter, Counts, HandledUnheard, Key, Part, PendingRollup,
    RolledUp, Rows, Table, COMMON_KEYS,
};
pub use api_keys::{ApiKey, CreatedApiKey};
pub use audit::{Actor, AuditEntry, AuditFilter, AuditPage};
pub use campaigns::{
    AttemptRow, CampaignCounts, CampaignRow, JobRow, NewDial, NewJob, NotNow, RunningCampaign,
};
pub use contacts::{ContactListRow, ContactPage, ContactRow, ContactValues, CONTACTS_PER_INSERT};
pub(crate) use conversations::direction_name;
pub use conversations::{
    Call, CallEnd, CallEvent, CallFilter, CallOutcome, CallPage, CallWithEvents, CarrierReport,
    Channel, ChatSession, IdleChatEnd, NewCall, NewCallEvent,
};
pub use customer_lookups::CustomerLookupRow;
pub use do_not_call::{DoNotCallPage, DoNotCallRow};
pub use erasure::{Erased, SubjectMatch};
pub use error::{constraint, StoreError};
pub use flows::{document_title, Flow, FlowSummary, FlowVersion, FlowVersionSummary, NewFlow};
pub use invites::{CreatedInvite, Invite, InviteKind, NewInvite, UnusableInvite};
pub use knowledge::{
    EntryFields, KnowledgeBase, KnowledgeBaseSummary, KnowledgeRevision, StoredEntry,
};
pub use login_sessions::{CreatedLoginSession, LoginSession};
pub use notices::Notices;
pub use operator_audit::OperatorAuditEntry;
pub use operator_keys::{is_operator_token, CreatedOperatorKey, OperatorKey};
pub use queues::{AgentRow, HandoffRow, HandoffState, NewHandoff, QueueCounts, QueueRow};
pub use recent::TTL as CACHE_TTL;
pub use telephony::{Mode, PhoneNumber};
pub use tenants::{
    DeletedRows, Quotas, Tenant, TenantSettings, TenantUsage, DEFAULT_CHAT_IDLE_MINUTES,
};
pub use turns::{ChatStart, ChatTurn, OpenLimit};
pub use unheard_texts::UnheardTotal;
pub use users::{NewUser, Role, User};
pub use widget::{ChannelFields, WidgetChannel, WidgetLanguage};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

// busy_timeout comes first so that the switch to WAL waits for other new connections. WAL lets
// readers run beside the single writer; NORMAL sync is safe with WAL and saves an fsync per
// commit (a power cut may lose the last commits, never corrupt the file).
const SQLITE_CONNECTION_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON;";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(StoreError::UnsupportedUrl(format!("{scheme}:…")))
        }
    }
}

/// Pool settings for [`Store::connect_with`].
#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// The database. Cheap to clone: clones share one pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time. Writers queue here, in order, instead of in SQLite's
    /// busy handler, which sleeps in growing steps and turns contention into long stalls.
    write_lock: Arc<tokio::sync::Mutex<()>>,
    /// Where conversation turns queue for group commit; `None` in the writer tasks' own clones,
    /// so that they end when the last clone outside them is dropped.
    turns: Option<turns::TurnQueue>,
    /// Unrevoked keys by prefix, with their secret's hash.
    api_keys: Arc<recent::Recent<String, (ApiKey, String)>>,
    tenants: Arc<recent::Recent<String, Tenant>>,
    /// Flows' published version numbers, by `(tenant, flow)`.
    published: Arc<recent::Recent<(String, String), PublishedNumber>>,
    /// Tenants' telephony settings (read by every carrier webhook).
    telephony: Arc<recent::Recent<String, Option<(serde_json::Value, i64)>>>,
    /// Tenants' customer lookups (read by every conversation as it opens).
    customer_lookups: Arc<recent::Recent<String, Option<CustomerLookupRow>>>,
    /// Widget channels by publishable key (read by every request of every visitor's widget).
    widget_channels: Arc<recent::Recent<String, Option<WidgetChannel>>>,
    /// Widget conversations' calls by `(channel, conversation, visitor's hash)`.
    widget_links: Arc<recent::Recent<(String, String, String), String>>,
    /// The SQLite database file, for the lock that migrations take.
    sqlite_file: Option<std::path::PathBuf>,
    /// PostgreSQL's URL, for the connection that listens for other servers' notices.
    postgres_url: Option<Arc<str>>,
}

/// What [`Store::published_version_number`] answers.
type PublishedNumber = Option<Option<i64>>;

/// A write transaction; on SQLite it also holds the store's writer lock until it ends.
pub(crate) struct WriteTransaction {
    transaction: sqlx::Transaction<'static, Any>,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    pub(crate) async fn commit(self) -> Result<()> {
        self.transaction.commit().await?;
        Ok(())
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.transaction
    }
}

impl std::ops::DerefMut for WriteTransaction {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.transaction
    }
}

/// A connection for statements that each write on their own, outside a transaction. On
/// SQLite it holds the store's writer lock too, so that such a statement queues behind the
/// writer in order rather than in SQLite's busy handler, whose growing sleeps (up to 100 ms a
/// step) turned a contended one-row update into a stall of every request waiting for the pool.
pub(crate) struct WriteConnection {
    connection: sqlx::pool::PoolConnection<Any>,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteConnection {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.connection
    }
}

impl std::ops::DerefMut for WriteConnection {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.connection
    }
}

/// Changes that commit together or not at all, such as a change and the audit entry that
/// records it. Each module of the store adds the writes it offers. Dropping a transaction
/// without committing it rolls it back.
pub struct Transaction<'s> {
    write: WriteTransaction,
    store: &'s Store,
    /// What the store must forget of the rows it remembers, once the changes are committed.
    after_commit: Vec<Forget>,
}

/// Forgets rows a [`Store`] remembers.
type Forget = Box<dyn FnOnce(&Store) + Send>;

impl Transaction<'_> {
    pub async fn commit(self) -> Result<()> {
        self.write.commit().await?;
        for forget in self.after_commit {
            forget(self.store);
        }
        Ok(())
    }

    fn connection(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.write
    }

    /// Forgets remembered rows once committed: a read that races with the commit may still
    /// remember the old row, but the forgetting comes after it.
    fn forget_after_commit(&mut self, forget: impl FnOnce(&Store) + Send + 'static) {
        self.after_commit.push(Box::new(forget));
    }
}

impl Store {
    /// A transaction for changes that must commit together.
    pub async fn transaction(&self) -> Result<Transaction<'_>> {
        Ok(Transaction {
            write: self.begin_write().await?,
            store: self,
            after_commit: Vec::new(),
        })
    }

    /// Opens `sqlite://path?mode=rwc` (the file is created when missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut options = StoreOptions::default();
        if Backend::from_url(url)? == Backend::Sqlite {
            // sqlx runs each SQLite connection on a thread of its own, and SQLite has one
            // writer at a time: more connections than cores only add thread switching (measured
            // with scripts/loadtest: 10 connections 790 turns/s, 3 connections 1,163 on 2 cores).
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            options.max_connections = u32::try_from(cores + 1)
                .unwrap_or(3)
                .min(options.max_connections);
        }
        Self::connect_with(url, &options).await
    }

    pub async fn connect_with(url: &str, options: &StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        if let Some(file) = (backend == Backend::Sqlite)
            .then(|| sqlite_file(url))
            .flatten()
        {
            keep_private(&file)?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        connection.execute(SQLITE_CONNECTION_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let mut store = Store {
            pool,
            backend,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            turns: None,
            api_keys: Arc::default(),
            tenants: Arc::default(),
            published: Arc::default(),
            telephony: Arc::default(),
            customer_lookups: Arc::default(),
            widget_channels: Arc::default(),
            widget_links: Arc::new(recent::Recent::lasting(
                widget::LINK_TTL,
                widget::LINK_CAPACITY,
            )),
            sqlite_file: match backend {
                Backend::Sqlite => sqlite_file(url),
                Backend::Postgres => None,
            },
            postgres_url: match backend {
                Backend::Sqlite => None,
                Backend::Postgres => Some(url.into()),
            },
        };
        // SQLite commits one writer at a time anyway. PostgreSQL takes a few batches at once:
        // measured with scripts/loadtest, 1 writer 4,208 turns/s, 2 4,953, 4 5,719, 8 5,103.
        let writers = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => (options.max_connections as usize / 2).clamp(1, 4),
        };
        store.turns = Some(turns::TurnQueue::start(store.clone(), writers));
        Ok(store)
    }

    /// The URL that [`Store::connect`] takes for an SQLite file, created when missing.
    pub fn sqlite_url(path: &std::path::Path) -> String {
        // `?` and `#` would end the path part of the URL.
        let path = path
            .to_string_lossy()
            .replace('%', "%25")
            .replace('?', "%3F")
            .replace('#', "%23");
        format!("sqlite://{path}?mode=rwc")
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the embedded migrations for this backend; already applied ones are skipped.
    /// Processes starting at once do not race: on PostgreSQL sqlx takes an advisory lock, on
    /// SQLite (where it takes none) an exclusive lock on the file `<database>-migrate.lock`.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let _lock = match &self.sqlite_file {
            Some(file) => {
                let mut path = file.clone().into_os_string();
                path.push("-migrate.lock");
                let path = std::path::PathBuf::from(path);
                let locked = tokio::task::spawn_blocking(move || {
                    let lock = std::fs::OpenOptions::new()
                        .create(true)
                        .truncate(false)
                        .write(true)
                        .open(&path)?;
                    lock.lock()?;
                    Ok::<_, std::io::Error>(lock)
                })
                .await
                .map_err(|error| StoreError::Lock(error.to_string()))?
                .map_err(|error| StoreError::Lock(error.to_string()))?;
                Some(locked)
            }
            None => None,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// PostgreSQL plans queries from table statistics, and a new table has none: it may then
    /// look conversations up by `(tenant_id, id)` through another index whose first column is
    /// `tenant_id`, scanning the tenant's every conversation, and cached plans keep that choice.
    /// Autovacuum fixes the statistics only after its next nap and a tenth of the table changed.
    /// This analyzes the tables that every turn writes once their changes since the last analyze
    /// reach half their size (and at least 500 rows): often while they are young, rarely later.
    /// The unheard rows too: without statistics their report sorts a quarter's rows on disk
    /// instead of summing them in a hash table (0.54 s against 0.32 s for 420,000 rows).
    /// Returns the tables analyzed; does nothing on SQLite.
    pub async fn refresh_statistics(&self) -> Result<Vec<String>> {
        if self.backend != Backend::Postgres {
            return Ok(Vec::new());
        }
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_stat_user_tables \
             WHERE relname IN ('conversations', 'call_events', 'analytics_unheard') \
               AND schemaname = current_schema() \
               AND n_mod_since_analyze >= GREATEST(500, n_live_tup / 2)",
        )
        .fetch_all(&self.pool)
        .await?;
        for table in &stale {
            // The names come from the fixed list above.
            sqlx::query(&format!("ANALYZE {table}"))
                .execute(&self.pool)
                .await?;
        }
        Ok(stale)
    }

    /// Readiness: the database answers a query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Waits for the connections to close; later calls on any clone fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A connection for writes outside a transaction: see [`WriteConnection`].
    pub(crate) async fn write_connection(&self) -> Result<WriteConnection> {
        let writer = match self.backend {
            Backend::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        Ok(WriteConnection {
            connection: self.pool.acquire().await?,
            _writer: writer,
        })
    }

    /// A transaction that will write. SQLite must take the write lock up front: a transaction
    /// that reads first and then writes gets `SQLITE_BUSY` instead of waiting for the lock when
    /// another connection committed in between.
    async fn begin_write(&self) -> Result<WriteTransaction> {
        let (transaction, writer) = match self.backend {
            Backend::Sqlite => {
                let writer = self.write_lock.clone().lock_owned().await;
                (self.pool.begin_with("BEGIN IMMEDIATE").await?, Some(writer))
            }
            Backend::Postgres => (self.pool.begin().await?, None),
        };
        Ok(WriteTransaction {
            transaction,
            _writer: writer,
        })
    }
}

/// The file of an SQLite URL; `None` for an in-memory database.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    (!file.as_os_str().is_empty() && file != std::path::Path::new(":memory:"))
        .then(|| file.to_path_buf())
}

/// Makes the SQLite file readable by this user alone (it holds password hashes, API key
/// hashes and customers' words): created so when it is new, and made so when an older version
/// left it readable by others. SQLite gives its `-wal` and `-shm` files the database file's
/// mode; those already there are changed too.
fn keep_private(file: &std::path::Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let private = || std::fs::Permissions::from_mode(0o600);
        if !file.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(file)?;
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            let path = std::path::PathBuf::from(name);
            if path.exists() {
                std::fs::set_permissions(&path, private())?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Milliseconds since the Unix epoch, by the system clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// `SELECT $1 AS a, $2 AS b UNION ALL SELECT $3, $4 …`: `rows` rows of `columns`, as a table
/// both databases can join.
fn rows_table(columns: &[&str], rows: usize) -> String {
    let mut sql = String::with_capacity(rows * columns.len() * 6 + 32);
    let mut parameter = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 {
            "SELECT "
        } else {
            " UNION ALL SELECT "
        });
        for (index, column) in columns.iter().enumerate() {
            parameter += 1;
            if index > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&parameter.to_string());
            if row == 0 {
                sql.push_str(" AS ");
                sql.push_str(column);
            }
        }
    }
    sql
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// `bytes` bytes from the operating system's generator, hex-encoded.
fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng
        .try_fill_bytes(&mut buffer)
        .map_err(|error| StoreError::Random(error.to_string()))?;
    Ok(hex::encode(buffer))
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

fn json_column(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
) -> Result<serde_json::Value> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|error| StoreError::corrupt(table, column, error))
}

/// A column holding an enum by its snake_case (serde) name; a name this server does not know is
/// [`StoreError::Corrupt`], so a bad row fails its read instead of the process.
fn name_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
) -> Result<T> {
    let text: String = row.try_get(column)?;
    decode_name(&text, table, column)
}

fn optional_name_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
) -> Result<Option<T>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| decode_name(&text, table, column))
        .transpose()
}

fn decode_name<T: serde::de::DeserializeOwned>(
    text: &str,
    table: &'static str,
    column: &'static str,
) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::corrupt(table, column, format!("unknown name {text:?}")))
}

fn optional_json_column(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
) -> Result<Option<serde_json::Value>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| {
        serde_json::from_str(&text).map_err(|error| StoreError::corrupt(table, column, error))
    })
    .transpose()
}
