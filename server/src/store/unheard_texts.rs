//! The dictionary of unheard texts (migration 0012): `analytics_unheard` rows name what was
//! said by a number, so that a quarter's rows stay narrow and are summed by a number. Rows are
//! written with their texts (the numbers are found or made here); the unheard report reads the
//! most said with their numbers ([`Store::unheard_top`]) to look up the calls of the few it
//! shows ([`Store::unheard_calls`]).

use std::collections::{BTreeSet, HashMap};

use sqlx::Row;

use super::analytics::{filter_conditions, grouped_by, AnalyticsFilter, Counts, Key, Part};
use super::{Result, Store, StoreError};

/// What a number stands for: tenant, flow, node, kind and text.
pub(super) type UnheardText = [String; 5];

/// The columns [`UnheardText`] holds, in its order.
const COLUMNS: [&str; 5] = ["tenant_id", "flow_id", "node", "kind", "text"];

/// Texts per statement: five parameters each stay far below both databases' limits.
const TEXTS_PER_STATEMENT: usize = 200;

/// The text a logical `analytics_unheard` key names (its tenant, flow, node, kind and text).
fn text_of(key: &Key) -> Result<UnheardText> {
    let part = |i: usize| match key.get(i) {
        Some(Part::Text(text)) => Ok(text.to_string()),
        _ => Err(StoreError::corrupt(
            "analytics_unheard",
            "key",
            "an unheard row's key lacks its tenant, flow, node, kind or text",
        )),
    };
    // Logical keys: tenant, flow, version, day, channel, direction, node, kind, text.
    Ok([part(0)?, part(1)?, part(6)?, part(7)?, part(8)?])
}

/// `rows` keyed as stored: the node, kind and text of each logical key replaced by the
/// text's number, new texts added to the dictionary.
pub(super) async fn numbered(
    transaction: &mut super::WriteTransaction,
    rows: &[(&Key, &Counts)],
) -> Result<Vec<(Key, Counts)>> {
    // Sorted, so that two servers adding the same texts lock them in one order.
    let texts: BTreeSet<UnheardText> = rows
        .iter()
        .map(|(key, _)| text_of(key))
        .collect::<Result<_>>()?;
    let texts: Vec<UnheardText> = texts.into_iter().collect();
    let mut ids: HashMap<UnheardText, i64> = HashMap::with_capacity(texts.len());
    for chunk in texts.chunks(TEXTS_PER_STATEMENT) {
        let placeholders = |first: usize| {
            let list: Vec<String> = (first..first + COLUMNS.len())
                .map(|p| format!("${p}"))
                .collect();
            list
        };
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * COLUMNS.len() + 1).join(", ")))
            .collect();
        let columns = COLUMNS.join(", ");
        let insert = format!(
            "INSERT INTO analytics_unheard_texts ({columns}) VALUES {} \
             ON CONFLICT ({columns}) DO NOTHING",
            values.join(", ")
        );
        let matches: Vec<String> = (0..chunk.len())
            .map(|i| {
                let equal: Vec<String> = COLUMNS
                    .iter()
                    .zip(placeholders(i * COLUMNS.len() + 1))
                    .map(|(column, p)| format!("{column} = {p}"))
                    .collect();
                format!("({})", equal.join(" AND "))
            })
            .collect();
        let select = format!(
            "SELECT id, {columns} FROM analytics_unheard_texts WHERE {}",
            matches.join(" OR ")
        );
        let bound = |sql| {
            let mut query = sqlx::query(sql);
            for part in chunk.iter().flatten() {
                query = query.bind(part.as_str());
            }
            query
        };
        bound(&insert).execute(&mut **transaction).await?;
        for row in bound(&select).fetch_all(&mut **transaction).await? {
            let mut text: UnheardText = Default::default();
            for (part, column) in text.iter_mut().zip(COLUMNS) {
                *part = row.try_get(column)?;
            }
            ids.insert(text, row.try_get("id")?);
        }
    }
    rows.iter()
        .map(|(key, counts)| {
            let id = ids.get(&text_of(key)?).copied().ok_or_else(|| {
                StoreError::corrupt(
                    "analytics_unheard_texts",
                    "id",
                    "an unheard text added has no number",
                )
            })?;
            let mut stored: Key = key.iter().take(6).cloned().collect();
            stored.push(Part::Int(id));
            Ok((stored, (*counts).clone()))
        })
        .collect()
}

/// The SELECT that sums `analytics_unheard`'s rows `conditions` select, grouped by
/// `group_by` (logical key columns: flow, node, kind and text are the dictionary's) and ordered
/// by it, with the latest call of each group.
pub(super) fn sums_sql(conditions: &str, group_by: &[&str]) -> String {
    let from_dictionary = |column: &str| COLUMNS[1..].contains(&column);
    // The rows are summed by number first, the dictionary read for the sums.
    let mut inner_group: Vec<&str> = group_by
        .iter()
        .copied()
        .filter(|c| !from_dictionary(c))
        .collect();
    inner_group.push("text_id");
    let inner = format!(
        "SELECT {0}, SUM(said) AS said, MAX(last_at) AS last_at, MAX(last_call) AS last_call \
         FROM analytics_unheard WHERE {conditions} GROUP BY {0}",
        inner_group.join(", ")
    );
    let qualified: Vec<String> = group_by
        .iter()
        .map(|c| {
            if from_dictionary(c) {
                format!("t.{c}")
            } else {
                format!("u.{c}")
            }
        })
        .collect();
    let mut columns: Vec<String> = group_by
        .iter()
        .zip(&qualified)
        .map(|(c, q)| format!("{q} AS {c}"))
        .collect();
    columns.extend(
        [
            "CAST(SUM(u.said) AS BIGINT) AS said",
            "MAX(u.last_at) AS last_at",
            // Conversation ids are UUIDv7: the greatest is the latest.
            "MAX(u.last_call) AS last_call",
        ]
        .map(str::to_owned),
    );
    format!(
        "SELECT {} FROM ({inner}) u JOIN analytics_unheard_texts t ON t.id = u.text_id{}",
        columns.join(", "),
        grouped_by(&qualified)
    )
}

/// What callers said that nobody understood, summed over the rows a filter selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnheardTotal {
    /// The text's number: what [`Store::unheard_calls`] looks its calls up by.
    pub text_id: i64,
    pub flow_id: String,
    pub node: String,
    pub kind: String,
    pub text: String,
    pub said: i64,
    /// When it was last said.
    pub last_at: i64,
}

/// Pairs of text and time per statement of [`Store::unheard_calls`].
const CALLS_PER_STATEMENT: usize = 100;

impl Store {
    /// The `top` texts said most in the rows `filter` selects, the most said first (of equals,
    /// the one counted first). The latest call of each is left to [`Store::unheard_calls`]: the
    /// greatest of a quarter's 420,000 call ids cost PostgreSQL more than their sums.
    pub async fn unheard_top(
        &self,
        filter: &AnalyticsFilter,
        top: i64,
    ) -> Result<Vec<UnheardTotal>> {
        let (conditions, binds) = filter_conditions(filter);
        let sql = format!(
            "SELECT u.text_id AS text_id, t.flow_id AS flow_id, t.node AS node, t.kind AS kind, \
                    t.text AS text, CAST(u.said AS BIGINT) AS said, u.last_at AS last_at \
             FROM (SELECT text_id, SUM(said) AS said, MAX(last_at) AS last_at \
                   FROM analytics_unheard WHERE {conditions} GROUP BY text_id \
                   ORDER BY said DESC, text_id LIMIT {top}) u \
             JOIN analytics_unheard_texts t ON t.id = u.text_id \
             ORDER BY said DESC, text_id"
        );
        let mut totals = Vec::new();
        for row in binds.fetch_long(self, &sql).await? {
            totals.push(UnheardTotal {
                text_id: row.try_get("text_id")?,
                flow_id: row.try_get("flow_id")?,
                node: row.try_get("node")?,
                kind: row.try_get("kind")?,
                text: row.try_get("text")?,
                said: row.try_get::<Option<i64>, _>("said")?.unwrap_or(0),
                last_at: row.try_get::<Option<i64>, _>("last_at")?.unwrap_or(0),
            });
        }
        Ok(totals)
    }

    /// The call that said each text at its time (a text's number and `last_at` of
    /// [`Store::unheard_top`]) in the rows `filter` selects.
    pub async fn unheard_calls(
        &self,
        filter: &AnalyticsFilter,
        said: &[(i64, i64)],
    ) -> Result<HashMap<(i64, i64), String>> {
        let mut calls = HashMap::with_capacity(said.len());
        for chunk in said.chunks(CALLS_PER_STATEMENT) {
            let (conditions, mut binds) = filter_conditions(filter);
            let mut pairs = Vec::with_capacity(chunk.len());
            let mut ids = Vec::with_capacity(chunk.len());
            for (text_id, at) in chunk {
                let first = binds.next();
                binds.numbers.extend([*text_id, *at]);
                pairs.push(format!("(text_id = ${first} AND last_at = ${})", first + 1));
                ids.push(format!("${first}"));
            }
            // The list of numbers lets both databases look the texts up by key (SQLite's key
            // starts with the tenant and the text, PostgreSQL has an index so); the pairs
            // alone would be checked against each of the tenant's rows.
            let sql = format!(
                "SELECT text_id, last_at, MAX(last_call) AS last_call FROM analytics_unheard \
                 WHERE {conditions} AND text_id IN ({}) AND ({}) GROUP BY text_id, last_at",
                ids.join(", "),
                pairs.join(" OR ")
            );
            for row in binds.bind_to(&sql).fetch_all(&self.pool).await? {
                calls.insert(
                    (row.try_get("text_id")?, row.try_get("last_at")?),
                    row.try_get("last_call")?,
                );
            }
        }
        Ok(calls)
    }
}
