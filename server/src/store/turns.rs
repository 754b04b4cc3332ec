//! Group commit for conversation turns.
//!
//! Every turn of every conversation writes its snapshot, its call events and, at the end, its
//! outcome (one `conversations` row and its events), and the caller waits until that is durable. One transaction per turn
//! would make the database's commit the limit: SQLite has a single writer, and each statement
//! and commit is a round trip. Instead, turns queue here and a writer task commits everything
//! that queued while the previous batch was being written in one transaction, then answers each
//! turn. Under light load a batch holds one turn and nothing waits; under heavy load the cost of
//! a commit is shared by many turns.
//!
//! A turn that ends a web chat may bring the chat's analytics, counted from the events its
//! server kept ([`ChatTurn::counted`]); the statement that ends the chat claims it as counted.
//! On SQLite, whose one writer commits the batch anyway, the counts are added in the batch's
//! transaction. On PostgreSQL, several writers (and servers) commit at once, and every chat of
//! a flow adds to the same few analytics rows, which they would have to take one after
//! another: the batch's counts, summed, are written to `analytics_pending` in its transaction
//! instead, and the roll-up job adds them ([`Store::write_ended_chat_counts`]).
//!
//! Each turn keeps its own outcome: a compare-and-set on the session's turn counter that loses
//! is an answer for that turn only. A statement that fails rolls back the batch, and its turns
//! are then committed one by one, so that one bad turn cannot fail its neighbours.

use std::sync::Arc;

use serde_json::Value;
use sqlx::Row;
use tokio::sync::{mpsc, oneshot, Mutex};

use flow_engine::runtime::Direction;

use super::analytics::{add_sums, rows_to_json, sum_into, RolledUp, Rows};
use super::conversations::{direction_name, Call, CallEnd, Channel, NewCallEvent};
use super::{rows_table, Backend, Result, Store, StoreError, WriteTransaction};

/// Turns committed together at most.
const MAX_BATCH: usize = 256;

/// What one turn of a running session leaves behind; see [`Store::save_chat_turn`].
#[derive(Clone, Debug)]
pub struct ChatTurn {
    /// The session's `turn` when this turn started.
    pub expected_turn: i64,
    /// The session's new snapshot, as JSON text.
    pub snapshot: String,
    /// Appended to the session's call.
    pub events: Vec<NewCallEvent>,
    /// Set when the conversation ended in this turn; ends the conversation.
    pub end: Option<CallEnd>,
    /// The conversation's analytics, when it ended in this turn and its server saw every
    /// event; they count only if the conversation then has exactly `counted_now` events.
    pub counted: Option<RolledUp>,
}

/// A new conversation together with its first turn; see [`Store::start_chat`]. The ids come from
/// [`Store::new_call_id`] and [`Store::new_chat_session_id`], so that the first turn can run
/// (and name its call) before anything is written.
#[derive(Clone, Debug)]
pub struct ChatStart {
    pub call_id: String,
    pub session_id: String,
    pub flow_id: String,
    /// `None` for the draft.
    pub flow_version: Option<i64>,
    pub channel: Channel,
    pub direction: Direction,
    pub from_number: Option<String>,
    pub to_number: Option<String>,
    /// The carrier's id of a phone call; unique per tenant, so that a retried incoming-call
    /// webhook cannot start the call twice.
    pub call_sid: Option<String>,
    /// The shop's id of the customer, when it was proved or given by an API key.
    pub customer_id: Option<String>,
    pub started_at: i64,
    /// The snapshot after the first turn, as JSON text.
    pub snapshot: String,
    /// The knowledge-base revisions the conversation pinned, as JSON text.
    pub knowledge: Option<String>,
    pub events: Vec<NewCallEvent>,
    pub end: Option<CallEnd>,
    /// The conversation's analytics, when it ended in its first turn.
    pub counted: Option<RolledUp>,
    /// The tenant's limit of conversations open at once on `channel`, checked as the start is
    /// written; `None` for no limit.
    pub open_limit: Option<OpenLimit>,
}

/// A limit of conversations open at once, checked in the transaction that writes a new one
/// (see [`admit_starts`]), so that servers sharing the database cannot together go past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenLimit {
    pub limit: i64,
    /// Which open conversations count: see [`Store::count_open_conversations`].
    pub since: i64,
}

impl ChatStart {
    /// The call record this start writes for `tenant_id`, as it stands after the first turn.
    pub fn record(&self, tenant_id: &str) -> Call {
        let end = self.end.as_ref();
        Call {
            id: self.call_id.clone(),
            tenant_id: tenant_id.to_owned(),
            flow_id: self.flow_id.clone(),
            flow_version: self.flow_version,
            channel: self.channel,
            direction: self.direction,
            from_number: self.from_number.clone(),
            to_number: self.to_number.clone(),
            started_at: self.started_at,
            ended_at: end.map(|end| end.ended_at),
            outcome: end.map(|end| end.outcome),
            summary: end.and_then(|end| end.summary.clone()),
            call_sid: self.call_sid.clone(),
            duration_ms: end.map(|end| end.duration_ms),
            event_count: self.events.len() as i64,
            carrier_status: None,
            carrier_duration_ms: None,
            answered_by: None,
            customer_id: self.customer_id.clone(),
        }
    }
}

enum Work {
    Start(Box<ChatStart>),
    Turn {
        session_id: String,
        turn: Box<ChatTurn>,
    },
}

struct Job {
    tenant_id: String,
    work: Work,
    now_ms: i64,
    reply: oneshot::Sender<Result<Option<i64>>>,
}

/// The sending side, held by every clone of the [`Store`]; the writer tasks end when the last
/// clone is dropped.
#[derive(Clone, Debug)]
pub(super) struct TurnQueue {
    sender: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("tenant_id", &self.tenant_id)
            .finish()
    }
}

impl TurnQueue {
    /// Starts `writers` writer tasks on `store` (a clone without a queue of its own).
    pub(super) fn start(store: Store, writers: usize) -> TurnQueue {
        let (sender, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..writers.max(1) {
            tokio::spawn(write_batches(store.clone(), receiver.clone()));
        }
        TurnQueue { sender }
    }

    async fn submit(&self, tenant_id: &str, work: Work, now_ms: i64) -> Result<Option<i64>> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Job {
                tenant_id: tenant_id.to_owned(),
                work,
                now_ms,
                reply,
            })
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

/// Takes everything queued (up to [`MAX_BATCH`]) and commits it, until the queue closes.
async fn write_batches(store: Store, receiver: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        {
            let mut receiver = receiver.lock().await;
            if receiver.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return;
            }
        }
        commit(&store, std::mem::take(&mut batch)).await;
    }
}

async fn commit(store: &Store, batch: Vec<Job>) {
    match commit_together(store, &batch).await {
        Ok(outcomes) => {
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                let _ = job.reply.send(outcome);
            }
        }
        Err(error) if batch.len() == 1 => {
            if let Some(job) = batch.into_iter().next() {
                let _ = job.reply.send(Err(error));
            }
        }
        Err(_) => {
            for job in batch {
                let single = std::slice::from_ref(&job);
                let outcome = match commit_together(store, single).await {
                    Ok(mut outcomes) => outcomes.pop().unwrap_or(Ok(None)),
                    Err(error) => Err(error),
                };
                let _ = job.reply.send(outcome);
            }
        }
    }
}

/// The most rows one multi-row statement takes (SQLite allows 500 terms in a compound SELECT).
/// Larger sets go in chunks whose sizes are powers of two, so that few distinct statements
/// (each prepared once per connection) serve every batch size.
const MAX_ROWS: usize = 128;

/// Splits `0..total` into ranges of power-of-two lengths, largest first, at most `MAX_ROWS`.
fn chunks(total: usize) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < total {
        let left = (total - start).min(MAX_ROWS);
        let size = 1 << (usize::BITS - 1 - left.leading_zeros());
        ranges.push(start..start + size);
        start += size;
    }
    ranges
}

/// What the batch's statements leave for the end of its transaction: the events to insert, and
/// the analytics of the chats it ended and claimed, summed.
struct Written<'a> {
    runs: Vec<EventRun<'a>>,
    counted: Rows,
}

impl Written<'_> {
    /// Takes a chat's count whose end this batch writes with exactly its events.
    fn count(&mut self, count: &RolledUp) {
        sum_into(&mut self.counted, &count.rows);
    }
}

/// Events to insert, numbered from `first`.
pub(super) struct EventRun<'a> {
    pub(super) tenant_id: &'a str,
    pub(super) call_id: String,
    pub(super) first: i64,
    pub(super) events: &'a [NewCallEvent],
}

/// One transaction for the whole batch, with a few multi-row statements whatever its size; each
/// job gets its own outcome.
async fn commit_together(store: &Store, batch: &[Job]) -> Result<Vec<Result<Option<i64>>>> {
    let mut outcomes: Vec<Result<Option<i64>>> = batch.iter().map(|_| Ok(None)).collect();
    let mut starts = Vec::new();
    // A session can have two turns in one batch (two requests at once): each round updates a
    // session once, so that the second turn sees the first one's counter and loses.
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    let mut seen: std::collections::HashMap<(&str, &str), usize> = Default::default();
    for (index, job) in batch.iter().enumerate() {
        match &job.work {
            Work::Start(_) => starts.push(index),
            Work::Turn { session_id, .. } => {
                let round = seen.entry((&job.tenant_id, session_id)).or_insert(0);
                if rounds.len() <= *round {
                    rounds.push(Vec::new());
                }
                rounds[*round].push(index);
                *round += 1;
            }
        }
    }
    let mut transaction = store.begin_write().await?;
    let starts = admit_starts(
        &mut transaction,
        store.backend(),
        batch,
        starts,
        &mut outcomes,
    )
    .await?;
    let mut written = Written {
        runs: Vec::new(),
        counted: Rows::new(),
    };
    for range in chunks(starts.len()) {
        insert_starts(
            &mut transaction,
            batch,
            &starts[range],
            &mut outcomes,
            &mut written,
        )
        .await?;
    }
    for round in &rounds {
        for range in chunks(round.len()) {
            save_turns(
                &mut transaction,
                batch,
                &round[range],
                &mut outcomes,
                &mut written,
            )
            .await?;
        }
    }
    let waiting = match store.backend() {
        Backend::Sqlite => {
            add_sums(&mut transaction, &written.counted).await?;
            None
        }
        Backend::Postgres if !written.counted.is_empty() => Some(rows_to_json(&written.counted)),
        Backend::Postgres => None,
    };
    insert_events(&mut transaction, &written.runs, waiting.as_deref()).await?;
    transaction.commit().await?;
    Ok(outcomes)
}

/// Keeps the starts that fit under their tenant's limit of open conversations
/// ([`ChatStart::open_limit`]), counted in this transaction with the starts of this batch
/// before them; the others are [`StoreError::AtLimit`]. Counting and inserting must not
/// interleave with another writer's for the same tenant, or two servers opening at the same
/// instant would both see room for one: on PostgreSQL a per-tenant advisory lock, held until
/// the transaction ends, makes them take turns (taken in one order by every writer, before any
/// row is written, so that no two wait on each other); SQLite's write transaction (`BEGIN
/// IMMEDIATE`) is already the only one.
async fn admit_starts(
    transaction: &mut WriteTransaction,
    backend: Backend,
    batch: &[Job],
    starts: Vec<usize>,
    outcomes: &mut [Result<Option<i64>>],
) -> Result<Vec<usize>> {
    let limited: std::collections::BTreeSet<(&str, &str)> = starts
        .iter()
        .filter_map(|&index| {
            let start = start_of(&batch[index])?;
            start
                .open_limit
                .map(|_| (batch[index].tenant_id.as_str(), start.channel.as_str()))
        })
        .collect();
    if limited.is_empty() {
        return Ok(starts);
    }
    if backend == Backend::Postgres {
        let tenants: std::collections::BTreeSet<&str> =
            limited.iter().map(|(tenant_id, _)| *tenant_id).collect();
        for tenant_id in tenants {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('open:' || $1, 0))")
                .bind(tenant_id)
                .execute(&mut **transaction)
                .await?;
        }
    }
    let mut open: std::collections::HashMap<(&str, &str), i64> = Default::default();
    let mut admitted = Vec::with_capacity(starts.len());
    for index in starts {
        let job = &batch[index];
        let Some(start) = start_of(job) else { continue };
        let Some(limit) = start.open_limit else {
            admitted.push(index);
            continue;
        };
        let key = (job.tenant_id.as_str(), start.channel.as_str());
        let count = match open.get_mut(&key) {
            Some(count) => count,
            None => {
                let counted = super::usage::count_open_conversations_in(
                    &mut **transaction,
                    &job.tenant_id,
                    start.channel,
                    limit.since,
                )
                .await?;
                open.entry(key).or_insert(counted)
            }
        };
        if *count >= limit.limit {
            outcomes[index] = Err(StoreError::AtLimit { limit: limit.limit });
            continue;
        }
        // One that ended in its first turn is written ended, and leaves its place free.
        if start.end.is_none() {
            *count += 1;
        }
        admitted.push(index);
    }
    Ok(admitted)
}

fn start_of(job: &Job) -> Option<&ChatStart> {
    match &job.work {
        Work::Start(start) => Some(start.as_ref()),
        Work::Turn { .. } => None,
    }
}

/// A start's analytics, when they count: made of exactly its events, and it ended.
fn counted_start(start: &ChatStart) -> Option<&RolledUp> {
    start
        .counted
        .as_ref()
        .filter(|counted| start.end.is_some() && counted.counted_now == start.events.len() as i64)
}

fn turn_of(job: &Job) -> Option<(&str, &ChatTurn)> {
    match &job.work {
        Work::Turn { session_id, turn } => Some((session_id, turn.as_ref())),
        Work::Start(_) => None,
    }
}

/// Creates new conversations (those whose flow, and version, the tenant has) at turn 1; the
/// others stay `Ok(None)`.
async fn insert_starts<'a>(
    transaction: &mut WriteTransaction,
    batch: &'a [Job],
    indices: &[usize],
    outcomes: &mut [Result<Option<i64>>],
    written: &mut Written<'a>,
) -> Result<()> {
    let table = rows_table(
        &[
            "tid", "cid", "fid", "ver", "chan", "dir", "src", "dst", "t0", "n", "t1", "outcome",
            "summary", "dur", "csid", "sid", "snap", "kb", "counted", "cust",
        ],
        indices.len(),
    );
    let sql = format!(
        "INSERT INTO conversations (tenant_id, id, flow_id, flow_version, channel, direction, \
                                    from_number, to_number, started_at, event_count, \
                                    ended_at, outcome, summary, duration_ms, call_sid, \
                                    session_id, snapshot, turn, updated_at, knowledge, \
                                    rolled_up_events, customer_id) \
         SELECT v.tid, v.cid, f.id, v.ver, v.chan, v.dir, v.src, v.dst, v.t0, v.n, v.t1, \
                v.outcome, v.summary, v.dur, v.csid, v.sid, v.snap, 1, v.t0, v.kb, v.counted, \
                v.cust \
         FROM ({table}) v JOIN flows f ON f.tenant_id = v.tid AND f.id = v.fid \
         WHERE f.deleted_at IS NULL AND (v.ver IS NULL OR EXISTS (SELECT 1 FROM flow_versions \
               fv WHERE fv.tenant_id = v.tid AND fv.flow_id = v.fid AND fv.version = v.ver)) \
         RETURNING id"
    );
    let mut query = sqlx::query(&sql);
    for &index in indices {
        let job = &batch[index];
        let Some(start) = start_of(job) else { continue };
        let end = start.end.as_ref();
        query = query
            .bind(job.tenant_id.as_str())
            .bind(start.call_id.as_str())
            .bind(start.flow_id.as_str())
            .bind(start.flow_version)
            .bind(start.channel.as_str())
            .bind(direction_name(start.direction))
            .bind(start.from_number.as_deref())
            .bind(start.to_number.as_deref())
            .bind(start.started_at)
            .bind(start.events.len() as i64)
            .bind(end.map(|end| end.ended_at))
            .bind(end.map(|end| end.outcome.as_str()))
            .bind(
                end.and_then(|end| end.summary.as_ref())
                    .map(Value::to_string),
            )
            .bind(end.map(|end| end.duration_ms))
            .bind(start.call_sid.as_deref())
            .bind(start.session_id.as_str())
            .bind(start.snapshot.as_str())
            .bind(start.knowledge.as_deref())
            .bind(counted_start(start).map(|counted| counted.counted_now))
            .bind(start.customer_id.as_deref());
    }
    let created: std::collections::HashSet<String> = query
        .fetch_all(&mut **transaction)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>("id"))
        .collect::<std::result::Result<_, _>>()?;
    for &index in indices {
        let job = &batch[index];
        let Some(start) = start_of(job) else { continue };
        if !created.contains(&start.call_id) {
            continue;
        }
        outcomes[index] = Ok(Some(1));
        if let Some(counted) = counted_start(start) {
            written.count(counted);
        }
        written.runs.push(EventRun {
            tenant_id: &job.tenant_id,
            call_id: start.call_id.clone(),
            first: 1,
            events: &start.events,
        });
    }
    Ok(())
}

/// Saves turns of distinct sessions in one statement: the compare-and-set on each
/// conversation's turn counter, its snapshot, its event count and, when it ended, its end.
async fn save_turns<'a>(
    transaction: &mut WriteTransaction,
    batch: &'a [Job],
    indices: &[usize],
    outcomes: &mut [Result<Option<i64>>],
    written: &mut Written<'a>,
) -> Result<()> {
    let table = rows_table(
        &[
            "tid", "sid", "expected", "snap", "t", "n", "t1", "outcome", "summary", "dur",
            "counted",
        ],
        indices.len(),
    );
    // Right-hand sides all see the row as it was: a conversation that something else ended
    // already (the carrier's status report) keeps its end. The turn's analytics count only for
    // a conversation this turn ends, never counted, whose events are then exactly the ones
    // they were made of.
    let sql = format!(
        "UPDATE conversations SET snapshot = v.snap, turn = conversations.turn + 1, \
             updated_at = v.t, event_count = conversations.event_count + v.n, \
             outcome = CASE WHEN conversations.ended_at IS NULL AND v.t1 IS NOT NULL \
                       THEN v.outcome ELSE conversations.outcome END, \
             summary = CASE WHEN conversations.ended_at IS NULL AND v.t1 IS NOT NULL \
                       THEN v.summary ELSE conversations.summary END, \
             duration_ms = CASE WHEN conversations.ended_at IS NULL AND v.t1 IS NOT NULL \
                           THEN v.dur ELSE conversations.duration_ms END, \
             rolled_up_events = CASE WHEN conversations.ended_at IS NULL AND v.t1 IS NOT NULL \
                                  AND conversations.rolled_up_events IS NULL \
                                  AND conversations.event_count + v.n = v.counted \
                                THEN v.counted ELSE conversations.rolled_up_events END, \
             ended_at = COALESCE(conversations.ended_at, v.t1) \
         FROM ({table}) v \
         WHERE conversations.tenant_id = v.tid AND conversations.session_id = v.sid \
           AND conversations.turn = v.expected \
         RETURNING conversations.tenant_id, conversations.session_id, conversations.turn, \
                   conversations.id, conversations.event_count, conversations.ended_at, \
                   conversations.rolled_up_events"
    );
    let mut query = sqlx::query(&sql);
    for &index in indices {
        let job = &batch[index];
        let Some((session_id, turn)) = turn_of(job) else {
            continue;
        };
        let end = turn.end.as_ref();
        query = query
            .bind(job.tenant_id.as_str())
            .bind(session_id)
            .bind(turn.expected_turn)
            .bind(turn.snapshot.as_str())
            .bind(job.now_ms)
            .bind(turn.events.len() as i64)
            .bind(end.map(|end| end.ended_at))
            .bind(end.map(|end| end.outcome.as_str()))
            .bind(
                end.and_then(|end| end.summary.as_ref())
                    .map(Value::to_string),
            )
            .bind(end.map(|end| end.duration_ms))
            .bind(turn.counted.as_ref().map(|counted| counted.counted_now));
    }
    /// The new turn, the call's id, event count, end and counted events.
    type Saved = (i64, String, i64, Option<i64>, Option<i64>);
    let mut saved: std::collections::HashMap<(String, String), Saved> = query
        .fetch_all(&mut **transaction)
        .await?
        .iter()
        .map(|row| {
            Ok((
                (row.try_get("tenant_id")?, row.try_get("session_id")?),
                (
                    row.try_get("turn")?,
                    row.try_get("id")?,
                    row.try_get("event_count")?,
                    row.try_get("ended_at")?,
                    row.try_get("rolled_up_events")?,
                ),
            ))
        })
        .collect::<Result<_>>()?;
    for &index in indices {
        let job = &batch[index];
        let Some((session_id, turn)) = turn_of(job) else {
            continue;
        };
        match saved.remove(&(job.tenant_id.clone(), session_id.to_owned())) {
            Some((new_turn, call_id, last, ended_at, rolled_up)) => {
                outcomes[index] = Ok(Some(new_turn));
                if let Some(counted) = &turn.counted {
                    // The end is this turn's, and the count is made of exactly the events the
                    // conversation now has: the statement took it as counted.
                    let ends_here =
                        ended_at.is_some() && ended_at == turn.end.as_ref().map(|end| end.ended_at);
                    let taken = rolled_up == Some(counted.counted_now);
                    if ends_here && taken {
                        written.count(counted);
                    }
                }
                if !turn.events.is_empty() {
                    written.runs.push(EventRun {
                        tenant_id: &job.tenant_id,
                        call_id,
                        first: last - turn.events.len() as i64 + 1,
                        events: &turn.events,
                    });
                }
            }
            None => {
                let current: Option<i64> = sqlx::query_scalar(
                    "SELECT turn FROM conversations WHERE tenant_id = $1 AND session_id = $2",
                )
                .bind(job.tenant_id.as_str())
                .bind(session_id)
                .fetch_optional(&mut **transaction)
                .await?;
                outcomes[index] = match current {
                    Some(current) => Err(StoreError::RevisionMismatch { current }),
                    None => Ok(None),
                };
            }
        }
    }
    Ok(())
}

/// Inserts the batch's events, several calls' in one statement.
///
/// `waiting`, PostgreSQL's text of the batch's counts for `analytics_pending`, is inserted by
/// the first statement (a data-modifying `WITH`): a chat's end then costs the batch no round
/// trip of its own, which every turn of the batch would wait for.
pub(super) async fn insert_events(
    transaction: &mut WriteTransaction,
    runs: &[EventRun<'_>],
    mut waiting: Option<&str>,
) -> Result<()> {
    let rows: Vec<(&EventRun, i64, &NewCallEvent, String)> = runs
        .iter()
        .flat_map(|run| {
            run.events
                .iter()
                .zip(run.first..)
                .map(move |(event, seq)| (run, seq, event, event.data.to_string()))
        })
        .collect();
    for range in chunks(rows.len()) {
        let rows = &rows[range];
        let pending = waiting.take();
        let mut sql = String::new();
        if pending.is_some() {
            sql.push_str(&format!(
                "WITH pending AS (INSERT INTO analytics_pending (rows) VALUES (${})) ",
                rows.len() * 7 + 1
            ));
        }
        sql.push_str(
            "INSERT INTO call_events (tenant_id, call_id, seq, at, kind, node, data) VALUES ",
        );
        for row in 0..rows.len() {
            let base = row * 7;
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for column in 1..=7 {
                if column > 1 {
                    sql.push_str(", ");
                }
                sql.push('$');
                sql.push_str(&(base + column).to_string());
            }
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for (run, seq, event, data) in rows {
            query = query
                .bind(run.tenant_id)
                .bind(run.call_id.as_str())
                .bind(*seq)
                .bind(event.at)
                .bind(event.kind.as_str())
                .bind(event.node.as_deref())
                .bind(data.as_str());
        }
        if let Some(pending) = pending {
            query = query.bind(pending);
        }
        query.execute(&mut **transaction).await?;
    }
    if let Some(pending) = waiting {
        // No events to carry it (a batch that ends a chat writes its end event, so this is
        // only for safety).
        sqlx::query("INSERT INTO analytics_pending (rows) VALUES ($1)")
            .bind(pending)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

impl Store {
    /// A fresh call id, for [`ChatStart::call_id`].
    pub fn new_call_id() -> String {
        super::new_id("cal")
    }

    /// A fresh session id, for [`ChatStart::session_id`].
    pub fn new_chat_session_id() -> String {
        super::new_id("cht")
    }

    fn turn_queue(&self) -> Result<&TurnQueue> {
        self.turns.as_ref().ok_or(StoreError::Closed)
    }

    /// Creates a conversation with its first turn already saved (it is at turn 1): all or nothing, committed with other turns. `None` when the
    /// tenant has no such (undeleted) flow or no such version of it.
    pub async fn start_chat(&self, tenant_id: &str, start: ChatStart) -> Result<Option<i64>> {
        let now_ms = start.started_at;
        self.turn_queue()?
            .submit(tenant_id, Work::Start(Box::new(start)), now_ms)
            .await
    }

    /// Saves a turn's snapshot, appends its events and, if it ended the conversation, ends it:
    /// all or nothing, committed with other turns. A compare-and-set on
    /// `expected_turn` lets exactly one of two concurrent turns win; the other gets
    /// [`StoreError::RevisionMismatch`]. Returns the new turn number, or `None` when the tenant
    /// has no such session.
    pub async fn save_chat_turn(
        &self,
        tenant_id: &str,
        session_id: &str,
        turn: ChatTurn,
        now_ms: i64,
    ) -> Result<Option<i64>> {
        let work = Work::Turn {
            session_id: session_id.to_owned(),
            turn: Box::new(turn),
        };
        self.turn_queue()?.submit(tenant_id, work, now_ms).await
    }
}
