//! The dictionary of unheard texts (migration 0012): `analytics_unheard` rows name what was
//! said by a number, so that a quarter's rows stay narrow and are summed by a number. Callers
//! of the store never see the numbers: rows are written and read with their texts.

use std::collections::{BTreeSet, HashMap};

use sqlx::Row;

use super::analytics::{Counts, Key, Part};
use super::{Result, StoreError};

/// What a number stands for: tenant, flow, node, kind and text.
pub(super) type UnheardText = [String; 5];

/// The columns [`UnheardText`] holds, in its order.
const COLUMNS: [&str; 5] = ["tenant_id", "flow_id", "node", "kind", "text"];

/// Texts per statement: five parameters each stay far below both databases' limits.
const TEXTS_PER_STATEMENT: usize = 200;

/// The text a logical `analytics_unheard` key names (its tenant, flow, node, kind and text).
fn text_of(key: &Key) -> Result<UnheardText> {
    let part = |i: usize| match key.get(i) {
        Some(Part::Text(text)) => Ok(text.clone()),
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
        for sql in [&insert, &select] {
            let mut query = sqlx::query(sql);
            for text in chunk {
                for part in text {
                    query = query.bind(part.as_str());
                }
            }
            if sql == &insert {
                query.execute(&mut **transaction).await?;
                continue;
            }
            for row in query.fetch_all(&mut **transaction).await? {
                let mut text: UnheardText = Default::default();
                for (part, column) in text.iter_mut().zip(COLUMNS) {
                    *part = row.try_get(column)?;
                }
                ids.insert(text, row.try_get("id")?);
            }
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
/// `group_by` (logical key columns: node, kind and text are the dictionary's), with
/// `measures` (`said`) and the latest call. With `top`, only the most said groups.
pub(super) fn sums_sql(conditions: &str, group_by: &[&str], top: Option<i64>) -> String {
    let from_dictionary = |column: &str| ["flow_id", "node", "kind", "text"].contains(&column);
    // The rows are summed by number first, the dictionary read for what is left.
    let mut inner_group: Vec<&str> = group_by
        .iter()
        .copied()
        .filter(|c| !from_dictionary(c))
        .collect();
    inner_group.push("text_id");
    let whole_texts = ["flow_id", "node", "kind", "text"]
        .iter()
        .all(|c| group_by.contains(c));
    let inner_top = match top {
        // One inner group per outer one: the top can be taken before the dictionary is read.
        Some(top) if whole_texts => format!(" ORDER BY said DESC, text_id LIMIT {top}"),
        _ => String::new(),
    };
    let inner = format!(
        "SELECT {0}, SUM(said) AS said, MAX(last_at) AS last_at, MAX(last_call) AS last_call \
         FROM analytics_unheard WHERE {conditions} GROUP BY {0}{inner_top}",
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
    // Grouped by whole texts, each inner row is a group already.
    let regroup = !whole_texts || group_by.is_empty();
    columns.extend(
        if regroup {
            [
                "CAST(SUM(u.said) AS BIGINT) AS said",
                "MAX(u.last_at) AS last_at",
                // Conversation ids are UUIDv7: the greatest is the latest.
                "MAX(u.last_call) AS last_call",
            ]
        } else {
            [
                "CAST(u.said AS BIGINT) AS said",
                "u.last_at AS last_at",
                "u.last_call AS last_call",
            ]
        }
        .map(str::to_owned),
    );
    let group = if regroup && !group_by.is_empty() {
        format!(" GROUP BY {}", qualified.join(", "))
    } else {
        String::new()
    };
    let grouping = match (group_by.is_empty(), top) {
        (true, _) => String::new(),
        (false, None) => format!("{group} ORDER BY {}", qualified.join(", ")),
        (false, Some(top)) => format!(
            "{group} ORDER BY said DESC, {} LIMIT {top}",
            qualified.join(", ")
        ),
    };
    format!(
        "SELECT {} FROM ({inner}) u JOIN analytics_unheard_texts t ON t.id = u.text_id{grouping}",
        columns.join(", ")
    )
}
