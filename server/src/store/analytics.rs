//! The analytics tables (migrations 0006, 0008, 0009, 0012): sums over ended conversations that the
//! roll-up task and the turns ending web chats add to (see `turns`), and the dashboard reads.
//! The store knows their columns and how to add to them safely; what a conversation counts is
//! `crate::analytics::tally`'s business.

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::any::AnyRow;
use sqlx::Row;

use super::conversations::{Call, CallEvent};
use super::{Result, Store, StoreError};

/// The analytics tables, each keyed by [`COMMON_KEYS`] (tenant, flow, version, day,
/// channel, direction) and then by its own columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Table {
    Calls,
    /// [`Table::Calls`] without the hour: reports over many days read it.
    CallsDaily,
    HandleTimes,
    Nodes,
    Edges,
    Intents,
    Knowledge,
    Unheard,
    Results,
}

/// The key columns every table starts with.
pub const COMMON_KEYS: [&str; 6] = [
    "tenant_id",
    "flow_id",
    "version",
    "day",
    "channel",
    "direction",
];

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Calls,
        Table::CallsDaily,
        Table::HandleTimes,
        Table::Nodes,
        Table::Edges,
        Table::Intents,
        Table::Knowledge,
        Table::Unheard,
        Table::Results,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Calls => "analytics_calls",
            Table::CallsDaily => "analytics_calls_daily",
            Table::HandleTimes => "analytics_handle_times",
            Table::Nodes => "analytics_nodes",
            Table::Edges => "analytics_edges",
            Table::Intents => "analytics_intents",
            Table::Knowledge => "analytics_knowledge",
            Table::Unheard => "analytics_unheard",
            Table::Results => "analytics_results",
        }
    }

    /// The key columns after [`COMMON_KEYS`].
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Table::Calls => &["hour", "outcome", "handoff_reason"],
            Table::CallsDaily => &["outcome", "handoff_reason"],
            Table::HandleTimes => &["bucket"],
            Table::Nodes => &["node"],
            Table::Edges => &["from_node", "to_node"],
            Table::Intents => &["intent"],
            Table::Knowledge => &["knowledge_base", "entry"],
            Table::Unheard => &["node", "kind", "text"],
            Table::Results => &["var", "kind", "value"],
        }
    }

    /// [`Table::keys`] as the table stores them: unheard texts by their number in
    /// `analytics_unheard_texts` (see `unheard_texts`).
    fn stored_keys(self) -> &'static [&'static str] {
        match self {
            Table::Unheard => &["text_id"],
            _ => self.keys(),
        }
    }

    /// The counted columns, summed.
    pub fn measures(self) -> &'static [&'static str] {
        match self {
            Table::Calls | Table::CallsDaily => &[
                "calls",
                "contained",
                "handle_ms",
                "turns",
                "no_match",
                "no_input",
                "kb_answered",
                "kb_missed",
            ],
            Table::HandleTimes => &["calls"],
            Table::Nodes => &[
                "reached",
                "entered",
                "ended",
                "abandoned",
                "no_match",
                "no_input",
            ],
            Table::Edges => &["steps"],
            Table::Intents => &["heard", "calls"],
            Table::Knowledge => &["answered", "helpful", "unhelpful"],
            Table::Unheard => &["said"],
            Table::Results => &["calls"],
        }
    }

    /// Whether rows keep the latest conversation that counted in them (`last_call`,
    /// `last_at`): the example a manager opens.
    pub fn keeps_latest(self) -> bool {
        self == Table::Unheard
    }
}

/// One key column's value. Texts are shared: a conversation's rows all begin with the same
/// tenant, flow and day, and copying them into each row was most of what counting a chat cost.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Text(Arc<str>),
    Int(i64),
}

impl Part {
    /// A text part holding a copy of `text`.
    pub fn text(text: &str) -> Part {
        Part::Text(Arc::from(text))
    }
}

/// In JSON a string or a number.
impl serde::Serialize for Part {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Part::Text(text) => serializer.serialize_str(text),
            Part::Int(n) => serializer.serialize_i64(*n),
        }
    }
}

/// A string or a whole number; anything else is an error.
impl<'de> serde::Deserialize<'de> for Part {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Part, D::Error> {
        struct PartVisitor;
        impl serde::de::Visitor<'_> for PartVisitor {
            type Value = Part;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key part: a text or a whole number")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> std::result::Result<Part, E> {
                Ok(Part::text(text))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> std::result::Result<Part, E> {
                Ok(Part::Int(n))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> std::result::Result<Part, E> {
                i64::try_from(n)
                    .map(Part::Int)
                    .map_err(|_| E::custom("a key part's number is too large"))
            }
        }
        deserializer.deserialize_any(PartVisitor)
    }
}

/// A row's full key: its table's [`COMMON_KEYS`] and then its own.
pub type Key = Vec<Part>;

/// What a row counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub sums: Vec<i64>,
    /// The latest conversation counted here and when, for tables that keep it.
    pub latest: Option<(i64, String)>,
}

/// Rows to add, by table and full key.
pub type Rows = BTreeMap<(Table, Key), Counts>;

/// An ended conversation whose events are not all counted yet.
#[derive(Clone, Debug)]
pub struct PendingRollup {
    pub call: Call,
    /// The events counted before (`None`: the conversation was never counted).
    pub counted: Option<i64>,
    /// All its events, numbered 1 to `call.event_count`.
    pub events: Vec<CallEvent>,
}

/// One conversation's roll-up: counted up to `counted_now` events, adding `rows`.
#[derive(Clone, Debug)]
pub struct RolledUp {
    pub tenant_id: String,
    pub call_id: String,
    pub counted_before: Option<i64>,
    pub counted_now: i64,
    pub rows: Rows,
}

/// Which rows a report sums: a tenant's days `from_day` to `to_day` (both included, local
/// `YYYY-MM-DD`), narrowed by the rest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnalyticsFilter {
    pub tenant_id: String,
    pub from_day: String,
    pub to_day: String,
    pub flow_id: Option<String>,
    pub version: Option<i64>,
    pub channel: Option<String>,
    pub direction: Option<String>,
    /// Counts conversations with the draft (the editor's Try it) too.
    pub include_simulated: bool,
}

/// Key columns that hold numbers; the rest hold text.
const INT_KEYS: [&str; 3] = ["version", "hour", "bucket"];

/// Rows per INSERT: both databases' limits on bound parameters stay far away.
const ROWS_PER_STATEMENT: usize = 200;
/// Waiting batches of ended chats' counts added per transaction. Batches of the same flows and
/// days sum to the same few rows, so the more a transaction takes, the fewer rows it upserts
/// per chat (50 made two seconds of a busy server's chats about fifteen transactions, each
/// upserting nearly the same rows).
const PENDING_PER_TRANSACTION: usize = 500;

impl Store {
    /// Up to `limit` ended conversations with events not yet counted, the longest-ended first,
    /// with all their events. A conversation whose row cannot be read is left out (and logged):
    /// it must not stop the others from being counted.
    pub async fn pending_rollups(&self, limit: i64) -> Result<Vec<PendingRollup>> {
        let rows = sqlx::query(&format!(
            "SELECT {}, rolled_up_events FROM conversations \
             WHERE ended_at IS NOT NULL \
               AND (rolled_up_events IS NULL OR rolled_up_events < event_count) \
             ORDER BY ended_at, tenant_id, id LIMIT $1",
            super::conversations::COLUMNS
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut pending = Vec::with_capacity(rows.len());
        for row in &rows {
            let read = Call::from_row(row).and_then(|call| {
                let counted: Option<i64> = row.try_get("rolled_up_events")?;
                Ok((call, counted))
            });
            match read {
                Ok((call, counted)) => pending.push(PendingRollup {
                    call,
                    counted,
                    events: Vec::new(),
                }),
                Err(error) => {
                    tracing::warn!(%error, "a conversation cannot be counted in analytics");
                }
            }
        }
        if pending.is_empty() {
            return Ok(pending);
        }
        let index: BTreeMap<(String, String), usize> = pending
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.call.tenant_id.clone(), p.call.id.clone()), i))
            .collect();
        let mut by_tenant: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for p in &pending {
            by_tenant
                .entry(p.call.tenant_id.as_str())
                .or_default()
                .push(p.call.id.as_str());
        }
        // One lookup by primary key per tenant: a join with a table of parameters would let
        // SQLite scan every event.
        let mut events: Vec<(String, String, CallEvent)> = Vec::new();
        for (tenant_id, calls) in &by_tenant {
            let list: Vec<String> = (0..calls.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT call_id, seq, at, kind, node, data FROM call_events \
                 WHERE tenant_id = $1 AND call_id IN ({}) ORDER BY call_id, seq",
                list.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(*tenant_id);
            for call in calls {
                query = query.bind(*call);
            }
            for row in query.fetch_all(&self.pool).await? {
                let call_id: String = row.try_get("call_id")?;
                events.push(((*tenant_id).to_owned(), call_id, CallEvent::from_row(&row)?));
            }
        }
        for (tenant_id, call_id, event) in events {
            if let Some(&i) = index.get(&(tenant_id, call_id)) {
                // Events appended after the row was read are counted next time.
                if event.seq <= pending[i].call.event_count {
                    pending[i].events.push(event);
                }
            }
        }
        Ok(pending)
    }

    /// Adds the rows of every conversation in `done` whose count nobody changed since it was
    /// read, and records its new count, in one transaction; answers how many were added. A
    /// conversation another server counted meanwhile is skipped whole, so nothing is ever
    /// counted twice; its difference is computed again from the new count next time.
    pub async fn apply_rollups(&self, done: Vec<RolledUp>) -> Result<usize> {
        if done.is_empty() {
            return Ok(0);
        }
        let mut transaction = self.begin_write().await?;
        let mut claimed: std::collections::HashSet<(String, String)> = Default::default();
        for chunk in done.chunks(ROWS_PER_STATEMENT) {
            let table = super::rows_table(&["tid", "cid", "before", "now"], chunk.len());
            let sql = format!(
                "UPDATE conversations SET rolled_up_events = v.now FROM ({table}) v \
                 WHERE conversations.tenant_id = v.tid AND conversations.id = v.cid \
                   AND COALESCE(conversations.rolled_up_events, -1) = v.before \
                 RETURNING conversations.tenant_id, conversations.id"
            );
            let mut query = sqlx::query(&sql);
            for d in chunk {
                query = query
                    .bind(d.tenant_id.as_str())
                    .bind(d.call_id.as_str())
                    .bind(d.counted_before.unwrap_or(-1))
                    .bind(d.counted_now);
            }
            for row in query.fetch_all(&mut *transaction).await? {
                claimed.insert((row.try_get("tenant_id")?, row.try_get("id")?));
            }
        }
        let mut rows = Rows::new();
        for d in done {
            if claimed.contains(&(d.tenant_id, d.call_id)) {
                sum_into(&mut rows, &d.rows);
            }
        }
        add_sums(&mut transaction, &rows).await?;
        transaction.commit().await?;
        Ok(claimed.len())
    }

    /// How many batches of counts wait in `analytics_pending`, those another server is adding
    /// right now included (until it commits).
    pub async fn waiting_chat_counts(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM analytics_pending")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Adds the counts that turns ending chats left waiting (`analytics_pending`, written on
    /// PostgreSQL; SQLite adds them with the turn), a few batches per transaction, each batch
    /// taken by one server only; answers how many batches were taken (one that cannot be read
    /// is logged and dropped).
    pub async fn write_ended_chat_counts(&self) -> Result<usize> {
        let mut added = 0;
        loop {
            let mut transaction = self.begin_write().await?;
            let taken = sqlx::query(&format!(
                "DELETE FROM analytics_pending WHERE id IN (SELECT id FROM analytics_pending \
                 ORDER BY id LIMIT {PENDING_PER_TRANSACTION}{}) RETURNING rows",
                match self.backend() {
                    super::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
                    super::Backend::Sqlite => "",
                }
            ))
            .fetch_all(&mut *transaction)
            .await?;
            if taken.is_empty() {
                return Ok(added);
            }
            let texts = taken
                .iter()
                .map(|row| row.try_get::<String, _>("rows"))
                .collect::<std::result::Result<Vec<String>, _>>()?;
            // Reading a few hundred texts takes milliseconds: on a thread of its own, so that
            // the turns' tasks on this runtime's worker are not held up meanwhile.
            let rows = tokio::task::spawn_blocking(move || {
                let mut rows = Rows::new();
                for text in &texts {
                    // A row this server cannot read must not stop the others from being
                    // counted for ever (as in `pending_rollups`): it is logged and dropped.
                    match rows_from_json(text) {
                        Ok(waiting) => sum_into(&mut rows, &waiting),
                        Err(error) => {
                            tracing::warn!(%error, "waiting analytics counts cannot be read");
                        }
                    }
                }
                rows
            })
            .await;
            let rows = match rows {
                Ok(rows) => rows,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                // Cancelled: the runtime is shutting down; the transaction takes nothing.
                Err(_) => return Err(StoreError::Closed),
            };
            add_sums(&mut transaction, &rows).await?;
            transaction.commit().await?;
            added += taken.len();
        }
    }

    /// Up to `limit` values a result variable of a flow is counted under, the empty one (the
    /// values beyond the limit) left out: what the roll-up needs to keep the variable's
    /// distinct values bounded.
    pub async fn result_values(
        &self,
        tenant_id: &str,
        flow_id: &str,
        var: &str,
        limit: i64,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT value FROM analytics_results \
             WHERE tenant_id = $1 AND flow_id = $2 AND var = $3 AND value <> '' LIMIT $4",
        )
        .bind(tenant_id)
        .bind(flow_id)
        .bind(var)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<String, _>("value")?))
            .collect()
    }

    /// Sums of `table`'s measures over the rows `filter` selects, grouped by `group_by` (key
    /// columns), ordered by them. Rows of tables that keep it carry the latest conversation.
    pub async fn analytics_sums(
        &self,
        table: Table,
        filter: &AnalyticsFilter,
        group_by: &[&str],
    ) -> Result<Vec<(Key, Counts)>> {
        let (conditions, binds) = filter_conditions(filter);
        let sql = if table == Table::Unheard {
            super::unheard_texts::sums_sql(&conditions, group_by)
        } else {
            sums_sql(table, &conditions, group_by)
        };
        let mut sums = Vec::new();
        for row in binds.bind_to(&sql).fetch_all(&self.pool).await? {
            let key = group_by
                .iter()
                .map(|column| key_part(&row, column))
                .collect::<Result<Key>>()?;
            let counts = Counts {
                sums: table
                    .measures()
                    .iter()
                    .map(|m| Ok(row.try_get::<Option<i64>, _>(*m)?.unwrap_or(0)))
                    .collect::<Result<Vec<i64>>>()?,
                latest: if table.keeps_latest() {
                    let at: Option<i64> = row.try_get("last_at")?;
                    let call: Option<String> = row.try_get("last_call")?;
                    at.zip(call)
                } else {
                    None
                },
            };
            sums.push((key, counts));
        }
        Ok(sums)
    }
}

/// Which rows a report sums, as SQL conditions on an analytics table, and their parameters.
pub(super) fn filter_conditions(filter: &AnalyticsFilter) -> (String, Binds<'_>) {
    let mut binds = Binds {
        texts: vec![&filter.tenant_id, &filter.from_day, &filter.to_day],
        numbers: Vec::new(),
    };
    let mut conditions: Vec<String> = ["tenant_id = $1", "day >= $2", "day <= $3"]
        .map(str::to_owned)
        .to_vec();
    for (column, value) in [
        ("flow_id", filter.flow_id.as_deref()),
        ("channel", filter.channel.as_deref()),
        ("direction", filter.direction.as_deref()),
    ] {
        if let Some(value) = value {
            binds.texts.push(value);
            conditions.push(format!("{column} = ${}", binds.texts.len()));
        }
    }
    if let Some(version) = filter.version {
        binds.numbers.push(version);
        conditions.push(format!("version = ${}", binds.texts.len() + 1));
    } else if !filter.include_simulated {
        conditions.push("version <> 0".to_owned());
    }
    (conditions.join(" AND "), binds)
}

/// Parameters of a query: texts first, then numbers (`$1`, `$2`… in that order).
#[derive(Default)]
pub(super) struct Binds<'a> {
    pub texts: Vec<&'a str>,
    pub numbers: Vec<i64>,
}

impl Binds<'_> {
    /// The parameter number the next one pushed gets.
    pub fn next(&self) -> usize {
        self.texts.len() + self.numbers.len() + 1
    }

    /// `sql` with these parameters bound.
    pub fn bind_to<'q>(
        &'q self,
        sql: &'q str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        // Planned for its parameters each time: a plan PostgreSQL keeps for a prepared
        // statement after five runs does not know how many days its range holds, guesses a few
        // rows, and sorts a quarter's unheard rows on disk (0.45 s) where it sums them in a
        // hash table. Planning costs well under a millisecond.
        let mut query = sqlx::query(sql).persistent(false);
        for text in &self.texts {
            query = query.bind(*text);
        }
        for number in &self.numbers {
            query = query.bind(*number);
        }
        query
    }

    /// The rows of `sql`, a query that sums a long range's rows, with these parameters.
    /// PostgreSQL may share it among its parallel workers: left to its default costs it sums a
    /// busy quarter's 416,000 unheard rows alone (225 ms in psql against 175 ms with two
    /// workers). Only here: a turn's small statements must not start workers.
    pub async fn fetch_long(&self, store: &Store, sql: &str) -> Result<Vec<AnyRow>> {
        if store.backend != super::Backend::Postgres {
            return Ok(self.bind_to(sql).fetch_all(&store.pool).await?);
        }
        let mut transaction = store.pool.begin().await?;
        sqlx::Executor::execute(
            &mut *transaction,
            "SET LOCAL parallel_setup_cost = 100; SET LOCAL parallel_tuple_cost = 0.01",
        )
        .await?;
        let rows = self.bind_to(sql).fetch_all(&mut *transaction).await?;
        transaction.commit().await?;
        Ok(rows)
    }
}

/// The SELECT that sums `table`'s measures over the rows `conditions` select, grouped by
/// `group_by` and ordered by it.
fn sums_sql(table: Table, conditions: &str, group_by: &[&str]) -> String {
    let mut columns: Vec<String> = group_by.iter().map(|c| (*c).to_owned()).collect();
    columns.extend(
        table
            .measures()
            .iter()
            .map(|m| format!("CAST(SUM({m}) AS BIGINT) AS {m}")),
    );
    format!(
        "SELECT {} FROM {} WHERE {conditions}{}",
        columns.join(", "),
        table.name(),
        grouped_by(group_by)
    )
}

/// ` GROUP BY … ORDER BY …` the columns, or nothing for none.
pub(super) fn grouped_by<S: AsRef<str>>(columns: &[S]) -> String {
    if columns.is_empty() {
        return String::new();
    }
    let list: Vec<&str> = columns.iter().map(AsRef::as_ref).collect();
    format!(" GROUP BY {0} ORDER BY {0}", list.join(", "))
}

fn key_part(row: &AnyRow, column: &str) -> Result<Part> {
    Ok(if INT_KEYS.contains(&column) {
        Part::Int(row.try_get(column)?)
    } else {
        Part::Text(row.try_get::<String, _>(column)?.into())
    })
}

/// Adds `rows` to `total`, summing the counts of equal keys: conversations counted together
/// write each row once. A key is copied only when `total` does not have it yet (a batch's
/// chats of one flow and day share most of their rows).
pub fn sum_into(total: &mut Rows, rows: &Rows) {
    for (row, counts) in rows {
        match total.get_mut(row) {
            Some(sum) => add_counts(sum, counts),
            None => {
                total.insert(row.clone(), counts.clone());
            }
        }
    }
}

/// Adds `counts` to `sum`, a row's counts of the same table.
fn add_counts(sum: &mut Counts, counts: &Counts) {
    for (sum, n) in sum.sums.iter_mut().zip(&counts.sums) {
        *sum += n;
    }
    if counts.latest > sum.latest {
        sum.latest.clone_from(&counts.latest);
    }
}

/// `rows` as the text `analytics_pending` keeps: `{"groups": [{"key": [common key parts],
/// "rows": [[table, [own key parts], [sums], latest_at, latest_call], …]}, …]}`. A chat's rows
/// share their first six key parts (tenant, flow, version, day, channel, direction), written
/// once: a chat's text stays below PostgreSQL's 2 kB, past which it would compress and move
/// the text out of the row on every turn that ends a chat.
pub fn rows_to_json(rows: &Rows) -> String {
    // Serialized from borrowed tuples: no JSON tree is built for a turn's write.
    type Own<'a> = (
        &'static str,
        &'a [Part],
        &'a [i64],
        Option<i64>,
        Option<&'a str>,
    );
    #[derive(serde::Serialize)]
    struct Group<'a> {
        key: &'a [Part],
        rows: Vec<Own<'a>>,
    }
    #[derive(serde::Serialize)]
    struct Waiting<'a> {
        groups: Vec<Group<'a>>,
    }
    let mut groups: BTreeMap<&[Part], Vec<Own>> = BTreeMap::new();
    for ((table, key), counts) in rows {
        let (common, own) = key.split_at(key.len().min(COMMON_KEYS.len()));
        let (at, call) = match &counts.latest {
            Some((at, call)) => (Some(*at), Some(call.as_str())),
            None => (None, None),
        };
        groups
            .entry(common)
            .or_default()
            .push((table.name(), own, &counts.sums, at, call));
    }
    let groups = groups
        .into_iter()
        .map(|(key, rows)| Group { key, rows })
        .collect();
    // Strings, numbers and lists of them always serialize.
    serde_json::to_string(&Waiting { groups }).unwrap_or_default()
}

/// One row as `analytics_pending` keeps it: table, key parts (its own, or all of them in the
/// older flat text), sums, latest at and call.
type WaitingRow = (String, Key, Vec<i64>, Option<i64>, Option<String>);

/// What [`rows_to_json`] writes, or the flat list of rows with whole keys that servers wrote
/// before (a row of theirs may still wait when a newer server starts).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum WaitingText {
    Grouped { groups: Vec<WaitingGroup> },
    Flat(Vec<WaitingRow>),
}

#[derive(serde::Deserialize)]
struct WaitingGroup {
    key: Key,
    rows: Vec<WaitingRow>,
}

/// The rows [`rows_to_json`] wrote.
fn rows_from_json(text: &str) -> Result<Rows> {
    let corrupt = |detail: &str| StoreError::corrupt("analytics_pending", "rows", detail);
    let all: Vec<WaitingRow> = match serde_json::from_str(text) {
        Ok(WaitingText::Flat(all)) => all,
        Ok(WaitingText::Grouped { groups }) => groups
            .into_iter()
            .flat_map(|group| {
                group
                    .rows
                    .into_iter()
                    .map(move |(name, own, sums, at, call)| {
                        let key = group.key.iter().cloned().chain(own).collect();
                        (name, key, sums, at, call)
                    })
            })
            .collect(),
        Err(error) => return Err(corrupt(&error.to_string())),
    };
    let mut rows = Rows::new();
    for (name, key, sums, at, call) in all {
        let table = Table::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| corrupt(&format!("unknown table {name}")))?;
        let counts = Counts {
            sums,
            latest: at.zip(call),
        };
        match rows.entry((table, key)) {
            std::collections::btree_map::Entry::Occupied(mut sum) => {
                add_counts(sum.get_mut(), &counts)
            }
            std::collections::btree_map::Entry::Vacant(row) => {
                row.insert(counts);
            }
        }
    }
    Ok(rows)
}

/// Adds summed `rows` to their tables, a few multi-row statements per table.
pub(super) async fn add_sums(transaction: &mut super::WriteTransaction, rows: &Rows) -> Result<()> {
    for table in Table::ALL {
        let of_table: Vec<(&Key, &Counts)> = rows
            .iter()
            .filter(|((t, _), _)| *t == table)
            .map(|((_, key), counts)| (key, counts))
            .collect();
        for chunk in of_table.chunks(ROWS_PER_STATEMENT) {
            if table == Table::Unheard {
                let stored = super::unheard_texts::numbered(transaction, chunk).await?;
                let stored: Vec<(&Key, &Counts)> = stored.iter().map(|(k, c)| (k, c)).collect();
                add_rows(transaction, table, &stored).await?;
            } else {
                add_rows(transaction, table, chunk).await?;
            }
        }
    }
    Ok(())
}

/// Adds `rows` to `table`: new keys are inserted, existing ones summed into.
async fn add_rows(
    transaction: &mut super::WriteTransaction,
    table: Table,
    rows: &[(&Key, &Counts)],
) -> Result<()> {
    let keys: Vec<&str> = COMMON_KEYS
        .iter()
        .chain(table.stored_keys())
        .copied()
        .collect();
    let measures = table.measures();
    let mut columns: Vec<&str> = keys.iter().chain(measures).copied().collect();
    if table.keeps_latest() {
        columns.extend(["last_call", "last_at"]);
    }
    let mut values = Vec::with_capacity(rows.len());
    let mut parameter = 0;
    for _ in rows {
        let placeholders: Vec<String> = columns
            .iter()
            .map(|_| {
                parameter += 1;
                format!("${parameter}")
            })
            .collect();
        values.push(format!("({})", placeholders.join(", ")));
    }
    let name = table.name();
    let mut updates: Vec<String> = measures
        .iter()
        .map(|m| format!("{m} = {name}.{m} + excluded.{m}"))
        .collect();
    if table.keeps_latest() {
        updates.push(format!(
            "last_call = CASE WHEN excluded.last_at >= {name}.last_at \
             THEN excluded.last_call ELSE {name}.last_call END"
        ));
        updates.push(format!(
            "last_at = CASE WHEN excluded.last_at >= {name}.last_at \
             THEN excluded.last_at ELSE {name}.last_at END"
        ));
    }
    let sql = format!(
        "INSERT INTO {name} ({}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
        columns.join(", "),
        values.join(", "),
        keys.join(", "),
        updates.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (key, counts) in rows {
        for part in key.iter() {
            query = match part {
                Part::Text(text) => query.bind(&**text),
                Part::Int(n) => query.bind(*n),
            };
        }
        for n in &counts.sums {
            query = query.bind(*n);
        }
        if table.keeps_latest() {
            let (at, call) = counts.latest.clone().unwrap_or((0, String::new()));
            query = query.bind(call).bind(at);
        }
    }
    query.execute(&mut **transaction).await?;
    Ok(())
}

/// An unheard phrasing the manager dealt with; see [`Transaction::mark_unheard_handled`].
#[derive(Clone, Debug, PartialEq)]
pub struct HandledUnheard {
    pub flow_id: String,
    pub node: String,
    /// `no_match` or `kb_missed`.
    pub kind: String,
    /// As the analytics tables keep it (normalised).
    pub text: String,
    /// `example`, `alternative` or `dismissed`.
    pub resolution: String,
    /// The intent or knowledge entry it went to; empty when dismissed.
    pub target: String,
}

impl super::Transaction<'_> {
    /// Records that the manager dealt with an unheard phrasing, so that the "not understood"
    /// list no longer shows it; the latest way counts.
    pub async fn mark_unheard_handled(
        &mut self,
        tenant_id: &str,
        handled: &HandledUnheard,
        actor: &str,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO analytics_handled (tenant_id, flow_id, node, kind, text, resolution, \
                                            target, actor, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (tenant_id, flow_id, node, kind, text) DO UPDATE SET \
                 resolution = excluded.resolution, target = excluded.target, \
                 actor = excluded.actor, at = excluded.at",
        )
        .bind(tenant_id)
        .bind(&handled.flow_id)
        .bind(&handled.node)
        .bind(&handled.kind)
        .bind(&handled.text)
        .bind(&handled.resolution)
        .bind(&handled.target)
        .bind(actor)
        .bind(now_ms)
        .execute(self.connection())
        .await?;
        Ok(())
    }
}

impl Store {
    /// The unheard phrasings of the tenant the manager dealt with.
    pub async fn handled_unheard(&self, tenant_id: &str) -> Result<Vec<HandledUnheard>> {
        let rows = sqlx::query(
            "SELECT flow_id, node, kind, text, resolution, target FROM analytics_handled \
             WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(HandledUnheard {
                    flow_id: row.try_get("flow_id")?,
                    node: row.try_get("node")?,
                    kind: row.try_get("kind")?,
                    text: row.try_get("text")?,
                    resolution: row.try_get("resolution")?,
                    target: row.try_get("target")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_counts_read_back_as_written() {
        let rows = Rows::from([
            (
                (Table::Calls, vec![Part::Text("ten_1".into()), Part::Int(3)]),
                Counts {
                    sums: vec![1, 0, 42_000],
                    latest: None,
                },
            ),
            (
                (Table::Unheard, vec![Part::Text("能包成礼物吗".into())]),
                Counts {
                    sums: vec![2],
                    latest: Some((1_700_000_000_000, "cal_1".into())),
                },
            ),
        ]);
        let text = rows_to_json(&rows);
        assert_eq!(rows_from_json(&text).expect("reads"), rows);
        // A chat's rows: their common parts are written once.
        let common = || {
            ["ten_1", "flw_1"]
                .map(Part::text)
                .into_iter()
                .chain([Part::Int(3)])
                .chain(["2026-12-05", "chat", "inbound"].map(Part::text))
        };
        let chat = Rows::from([
            (
                (Table::Nodes, common().chain([Part::text("ask")]).collect()),
                Counts {
                    sums: vec![1, 2, 0, 0, 1, 0],
                    latest: None,
                },
            ),
            (
                (
                    Table::Edges,
                    common().chain(["ask", "end"].map(Part::text)).collect(),
                ),
                Counts {
                    sums: vec![1],
                    latest: None,
                },
            ),
        ]);
        let text = rows_to_json(&chat);
        assert_eq!(text.matches("flw_1").count(), 1, "{text}");
        assert_eq!(rows_from_json(&text).expect("reads"), chat);
        // The flat text of older servers.
        let flat = r#"[["analytics_calls", ["ten_1", 3], [1, 0, 42000], null, null],
            ["analytics_unheard", ["能包成礼物吗"], [2], 1700000000000, "cal_1"]]"#;
        assert_eq!(rows_from_json(flat).expect("reads"), rows);
        for bad in [
            "",
            "[[\"analytics_nothing\", [], [1], null, null]]",
            "[[\"analytics_calls\", [true], [1], null, null]]",
            "{\"groups\": [{\"key\": [\"ten_1\"], \"rows\": [[\"analytics_calls\", [1.5], [1], null, null]]}]}",
        ] {
            assert!(
                matches!(rows_from_json(bad), Err(StoreError::Corrupt { .. })),
                "{bad}"
            );
        }
    }
}
