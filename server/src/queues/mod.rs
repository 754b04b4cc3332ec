//! Agent queues: where `handoff` nodes send conversations for a person to take. A queue has a
//! key that flows name, a name in Chinese and English, the languages its agents speak, opening
//! hours in the tenant's time zone ([`hours`]) and an overflow queue for when it is closed or
//! nobody is available ([`route`]). Who serves them is [`agents`]; who owns a conversation
//! handed to one is [`handoff`]; [`live`] tells waiting pages that a conversation changed.

pub mod agents;
pub mod context;
pub mod handoff;
pub mod hours;
pub mod live;
pub mod route;
pub mod stats;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::language::Text;
use crate::store::{Actor, QueueRow, Store, StoreError};
pub use hours::Hours;

/// The languages a queue's agents may speak.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

/// A queue as the API shows and takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Queue {
    /// What `handoff` nodes name: lower-case letters, digits and `-`, e.g. `after-sales`.
    pub key: String,
    /// The name people see in Chinese, e.g. 售后.
    pub name: String,
    /// The name people see in English; empty: the Chinese name is shown.
    #[serde(default)]
    pub name_en: String,
    /// The languages its agents speak: `zh-CN`, `en`.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Opening hours in the tenant's time zone; absent: always open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<Hours>,
    /// The key of the queue that takes conversations while this one is closed or has nobody
    /// available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow: Option<String>,
}

impl Queue {
    /// The name to show in `english` or Chinese.
    pub fn display_name(&self, english: bool) -> &str {
        match english && !self.name_en.trim().is_empty() {
            true => &self.name_en,
            false => &self.name,
        }
    }

    fn from_row(row: QueueRow) -> Result<Queue, QueueError> {
        let corrupt = |column: &'static str, error: serde_json::Error| {
            QueueError::Store(StoreError::corrupt("queues", column, error.to_string()))
        };
        Ok(Queue {
            languages: serde_json::from_value(row.languages)
                .map_err(|error| corrupt("languages", error))?,
            hours: row
                .hours
                .map(serde_json::from_value)
                .transpose()
                .map_err(|error| corrupt("hours", error))?,
            key: row.key,
            name: row.name,
            name_en: row.name_en,
            overflow: row.overflow,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue has errors")]
    Invalid(Vec<FieldError>),
    #[error("no such queue")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The tenant's queues, by key.
pub async fn list(store: &Store, tenant_id: &str) -> Result<Vec<Queue>, QueueError> {
    store
        .list_queues(tenant_id)
        .await?
        .into_iter()
        .map(Queue::from_row)
        .collect()
}

/// The keys `handoff` nodes may name.
pub async fn keys(store: &Store, tenant_id: &str) -> Result<BTreeSet<String>, StoreError> {
    Ok(store
        .list_queues(tenant_id)
        .await?
        .into_iter()
        .map(|queue| queue.key)
        .collect())
}

/// A key for a new queue: its English name's words (or `queue`) and a random tail, so that
/// people name queues and never pick keys, and two servers creating queues at once never
/// choose the same key (a queue is written by key, so a shared key would replace the other).
pub fn new_key(name_en: &str) -> String {
    let words: Vec<String> = name_en
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut stem = words.join("-");
    stem.truncate(40);
    let stem = stem.trim_end_matches('-');
    let stem = if stem.is_empty() { "queue" } else { stem };
    let tail = uuid::Uuid::new_v4().simple().to_string();
    format!("{stem}-{}", &tail[..8])
}

/// Creates a queue under a new key made from its English name (see [`new_key`]): what people
/// and most programs do, naming the queue and never picking its key.
pub async fn create(
    store: &Store,
    actor: &Actor,
    mut queue: Queue,
    now_ms: i64,
) -> Result<Queue, QueueError> {
    queue.key = new_key(&queue.name_en);
    put(store, actor, queue, now_ms).await
}

/// Creates or replaces the queue `queue.key`, with its audit entry.
pub async fn put(
    store: &Store,
    actor: &Actor,
    queue: Queue,
    now_ms: i64,
) -> Result<Queue, QueueError> {
    let rows = store.list_queues(&actor.tenant_id).await?;
    let created_at = rows
        .iter()
        .find(|row| row.key == queue.key)
        .map_or(now_ms, |row| row.created_at);
    let existing = rows
        .into_iter()
        .map(Queue::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let errors = check(&queue, &existing);
    if !errors.is_empty() {
        return Err(QueueError::Invalid(errors));
    }
    let row = QueueRow {
        tenant_id: actor.tenant_id.clone(),
        key: queue.key.clone(),
        name: queue.name.trim().to_owned(),
        name_en: queue.name_en.trim().to_owned(),
        languages: json!(queue.languages),
        hours: queue.hours.as_ref().map(|hours| json!(hours)),
        overflow: queue.overflow.clone().filter(|key| !key.is_empty()),
        created_at,
        updated_at: now_ms,
    };
    let mut transaction = store.transaction().await?;
    let saved = transaction.put_queue(&row).await?;
    let detail = json!({ "name": saved.name });
    transaction
        .record_audit(actor, "queue.put", &saved.key, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Queue::from_row(saved)
}

/// Deletes a queue, with its audit entry. Conversations already in it stay with their agents.
pub async fn delete(
    store: &Store,
    actor: &Actor,
    key: &str,
    now_ms: i64,
) -> Result<(), QueueError> {
    let mut transaction = store.transaction().await?;
    if !transaction.delete_queue(&actor.tenant_id, key).await? {
        return Err(QueueError::NotFound);
    }
    transaction
        .record_audit(actor, "queue.delete", key, &json!({}), now_ms)
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// A queue's problems, each naming its field; `existing` are the tenant's queues now.
fn check(queue: &Queue, existing: &[Queue]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    // Worded in the asker's language: the problems are answered at once.
    let language = crate::language::Language::current();
    let mut error = |field: &str, code: &str, message: Text| {
        errors.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.get(language).to_owned(),
            node: None,
        })
    };
    let key = queue.key.as_str();
    if key.is_empty()
        || key.len() > 64
        || !key
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
    {
        error(
            "/key",
            "invalid_key",
            Text::new(
                "队列的键须为 1 到 64 个小写字母、数字和“-”，例如 after-sales",
                "A queue's key is 1 to 64 lower-case letters, digits and \"-\", e.g. after-sales.",
            ),
        );
    }
    if queue.name.trim().is_empty() {
        error(
            "/name",
            "required",
            Text::new("请给队列起个名称", "Give the queue a name."),
        );
    }
    if queue.name.chars().count() > 80 || queue.name_en.chars().count() > 80 {
        error(
            "/name",
            "too_long",
            Text::new(
                "队列名称最多 80 个字",
                "A queue's name is at most 80 characters.",
            ),
        );
    }
    for (i, language) in queue.languages.iter().enumerate() {
        if !LANGUAGES.contains(&language.as_str()) {
            error(
                &format!("/languages/{i}"),
                "unknown_language",
                Text::new(
                    format!("“{language}”不是客服能用的语言：只能是 zh-CN 或 en"),
                    format!("\"{language}\" is not a language agents can answer in: zh-CN or en."),
                ),
            );
        }
    }
    if let Some(hours) = &queue.hours {
        for (field, message) in hours.problems() {
            error(&format!("/hours{field}"), "invalid_hours", message);
        }
    }
    if let Some(overflow) = queue.overflow.as_deref().filter(|key| !key.is_empty()) {
        if overflow == key {
            error(
                "/overflow",
                "invalid_overflow",
                Text::new("队列不能溢出到自己", "A queue cannot overflow into itself."),
            );
        } else if !existing.iter().any(|queue| queue.key == overflow) {
            error(
                "/overflow",
                "unknown_queue",
                Text::new(
                    format!("没有可溢出到的队列“{overflow}”"),
                    format!("There is no queue \"{overflow}\" to overflow into."),
                ),
            );
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_queue_key_is_made_from_its_english_name_and_is_never_chosen_twice() {
        let key = new_key("After-sales (VIP)");
        assert!(key.starts_with("after-sales-vip-"), "{key}");
        assert!(new_key("").starts_with("queue-"));
        assert!(new_key("售后").starts_with("queue-"));
        assert_ne!(new_key("Orders"), new_key("Orders"));
        let checked = check(&queue(&key), &[]);
        assert!(
            checked.is_empty(),
            "a generated key is a valid key: {checked:?}"
        );
    }

    fn queue(key: &str) -> Queue {
        Queue {
            key: key.to_owned(),
            name: "售后".to_owned(),
            name_en: "After-sales".to_owned(),
            languages: vec!["zh-CN".to_owned()],
            hours: None,
            overflow: None,
        }
    }

    fn codes(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|error| (error.field.as_str(), error.code.as_str()))
            .collect()
    }

    #[test]
    fn checks_name_each_wrong_field() {
        assert!(check(&queue("after-sales"), &[]).is_empty());
        let wrong = Queue {
            name: " ".to_owned(),
            languages: vec!["fr".to_owned()],
            overflow: Some("orders".to_owned()),
            ..queue("After Sales")
        };
        assert_eq!(
            codes(&check(&wrong, &[queue("complaints")])),
            vec![
                ("/key", "invalid_key"),
                ("/name", "required"),
                ("/languages/0", "unknown_language"),
                ("/overflow", "unknown_queue"),
            ]
        );
        let own = Queue {
            overflow: Some("orders".to_owned()),
            ..queue("orders")
        };
        assert_eq!(
            codes(&check(&own, &[queue("orders")])),
            vec![("/overflow", "invalid_overflow")]
        );
        let ok = Queue {
            overflow: Some("orders".to_owned()),
            ..queue("after-sales")
        };
        assert!(check(&ok, &[queue("orders")]).is_empty());
    }

    #[test]
    fn an_english_name_is_shown_only_when_there_is_one() {
        let mut queue = queue("after-sales");
        assert_eq!(queue.display_name(true), "After-sales");
        assert_eq!(queue.display_name(false), "售后");
        queue.name_en = String::new();
        assert_eq!(queue.display_name(true), "售后");
    }
}
