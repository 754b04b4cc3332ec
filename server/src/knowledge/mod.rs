//! Knowledge bases: a tenant's FAQs that flows' `answer` nodes search. Bases and their
//! entries ([`fields`] says what an entry needs), revisions, search, spreadsheet import and
//! export ([`sheet`], [`import`]), and the searchable indexes that calls pin ([`index`]).
//!
//! Every change of a base's entries is one new revision, written in one transaction with its
//! revision record and its audit entry; an import of many rows is one revision too. A base is
//! named by its key (a slug that flows use; it never changes) and shown by its name.

pub mod fields;
pub mod import;
pub mod index;
pub mod sheet;

use flow_engine::script::Sandbox;
use flow_engine::text::normalize;
use serde_json::{json, Value};

use crate::language::{Language, Text};
use crate::store::{
    constraint, Actor, EntryFields, KnowledgeBase, KnowledgeBaseSummary, KnowledgeRevision, Store,
    StoreError, StoredEntry, Transaction,
};
use fields::EntryProblem;
pub use index::{decide, Decision, KnowledgeIndexes, Pinned};

pub const MAX_KEY_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 100;
/// Entries listed at most per page.
pub const MAX_PAGE: usize = 200;
pub const DEFAULT_PAGE: usize = 50;
/// The longest alternative question the "not understood" list adds: as long as a caller's turn.
pub const MAX_ALTERNATIVE_CHARS: usize = 200;
/// Hits a search returns at most.
pub const MAX_HITS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("the knowledge base was not found")]
    NotFound,
    #[error("the entry was not found")]
    EntryNotFound,
    #[error("the tenant already has a knowledge base with the key \"{0}\"")]
    KeyTaken(String),
    /// A request value that is not acceptable: which field, a code and a message.
    #[error("{}", .0.message.en)]
    Invalid(EntryProblem),
    /// An entry that cannot be saved, with everything wrong with it.
    #[error("the entry cannot be saved")]
    InvalidEntry(Vec<EntryProblem>),
    /// The base changed while an import was being planned.
    #[error("the knowledge base changed meanwhile")]
    RevisionConflict,
    /// Published flows answer from the base, so it cannot be deleted.
    #[error("published flows use the knowledge base")]
    InUse(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// A base's key: a lower-case slug (letters, digits, `-`), as flows write it.
pub fn check_key(key: &str) -> Result<(), KnowledgeError> {
    let valid = !key.is_empty()
        && key.len() <= MAX_KEY_CHARS
        && key
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !key.starts_with('-')
        && !key.ends_with('-');
    if valid {
        return Ok(());
    }
    Err(KnowledgeError::Invalid(EntryProblem::new(
        "key",
        "invalid_key",
        Text::new(
            format!(
                "键“{key}”无效：只能用小写字母、数字和连字符（-），不以连字符开头或结尾，最多 {MAX_KEY_CHARS} 个字符，例如 shop-faq。"
            ),
            format!(
                "The key \"{key}\" is not valid: use lower-case letters, digits and hyphens \
                 (not first or last), at most {MAX_KEY_CHARS} characters, e.g. shop-faq."
            ),
        ),
    )))
}

fn check_name(name: &str) -> Result<String, KnowledgeError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(KnowledgeError::Invalid(EntryProblem::new(
            "name",
            "empty_name",
            Text::new("名称不能为空。", "The name is empty."),
        )));
    }
    let count = name.chars().count();
    if count > MAX_NAME_CHARS {
        return Err(KnowledgeError::Invalid(EntryProblem::new(
            "name",
            "too_long",
            Text::new(
                format!("名称有 {count} 个字，最多 {MAX_NAME_CHARS} 个。"),
                format!("The name has {count} characters; at most {MAX_NAME_CHARS} are allowed."),
            ),
        )));
    }
    Ok(name.to_owned())
}

/// A BCP 47 tag such as `zh-CN` or `en`.
fn check_language(language: &str) -> Result<(), KnowledgeError> {
    let mut parts = language.split('-');
    let primary = parts.next().unwrap_or("");
    let valid = (2..=3).contains(&primary.len())
        && primary.bytes().all(|byte| byte.is_ascii_alphabetic())
        && parts.all(|part| {
            (2..=8).contains(&part.len()) && part.bytes().all(|byte| byte.is_ascii_alphanumeric())
        });
    if valid {
        return Ok(());
    }
    Err(KnowledgeError::Invalid(EntryProblem::new(
        "language",
        "invalid_language",
        Text::new(
            format!("语言“{language}”无效，请使用 zh-CN 或 en 这样的语言代码。"),
            format!("The language \"{language}\" is not valid; use a tag such as zh-CN or en."),
        ),
    )))
}

/// The tenant's bases with their entry counts, by key.
pub async fn list(
    store: &Store,
    tenant_id: &str,
) -> Result<Vec<KnowledgeBaseSummary>, KnowledgeError> {
    Ok(store.list_knowledge_bases(tenant_id).await?)
}

/// The tenant's base with its entry counts.
pub async fn get(
    store: &Store,
    tenant_id: &str,
    key: &str,
) -> Result<KnowledgeBaseSummary, KnowledgeError> {
    list(store, tenant_id)
        .await?
        .into_iter()
        .find(|summary| summary.base.key == key)
        .ok_or(KnowledgeError::NotFound)
}

/// The tenant's base, without counts.
pub async fn load(
    store: &Store,
    tenant_id: &str,
    key: &str,
) -> Result<KnowledgeBase, KnowledgeError> {
    store
        .get_knowledge_base(tenant_id, key)
        .await?
        .ok_or(KnowledgeError::NotFound)
}

pub async fn create(
    store: &Store,
    actor: &Actor,
    key: &str,
    name: &str,
    language: &str,
    now_ms: i64,
) -> Result<KnowledgeBase, KnowledgeError> {
    check_key(key)?;
    let name = check_name(name)?;
    check_language(language)?;
    let mut transaction = store.transaction().await?;
    let base = transaction
        .create_knowledge_base(&actor.tenant_id, key, &name, language, &actor.name, now_ms)
        .await
        .map_err(|error| {
            if error.is_conflict_on(constraint::KNOWLEDGE_BASE_KEY) {
                KnowledgeError::KeyTaken(key.to_owned())
            } else {
                KnowledgeError::Store(error)
            }
        })?;
    transaction
        .record_audit(
            actor,
            "knowledge_base.create",
            &base.id,
            &json!({ "key": key, "name": name, "language": language }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(base)
}

pub async fn rename(
    store: &Store,
    actor: &Actor,
    key: &str,
    name: &str,
    now_ms: i64,
) -> Result<KnowledgeBase, KnowledgeError> {
    let name = check_name(name)?;
    let mut transaction = store.transaction().await?;
    let base = transaction
        .rename_knowledge_base(&actor.tenant_id, key, &name, now_ms)
        .await?
        .ok_or(KnowledgeError::NotFound)?;
    transaction
        .record_audit(
            actor,
            "knowledge_base.rename",
            &base.id,
            &json!({ "key": key, "name": name }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(base)
}

/// Deletes a base unless a published flow uses it ([`KnowledgeError::InUse`] names them).
/// Calls in progress keep answering from the revision they pinned.
pub async fn delete(
    store: &Store,
    actor: &Actor,
    key: &str,
    now_ms: i64,
) -> Result<(), KnowledgeError> {
    let base = load(store, &actor.tenant_id, key).await?;
    let users = published_flows_using(store, &actor.tenant_id, key).await?;
    if !users.is_empty() {
        return Err(KnowledgeError::InUse(users));
    }
    let mut transaction = store.transaction().await?;
    if !transaction
        .delete_knowledge_base(&actor.tenant_id, key, now_ms)
        .await?
    {
        return Err(KnowledgeError::NotFound);
    }
    transaction
        .record_audit(
            actor,
            "knowledge_base.delete",
            &base.id,
            &json!({ "key": key }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// The names of the tenant's flows whose published version names the base `key`.
async fn published_flows_using(
    store: &Store,
    tenant_id: &str,
    key: &str,
) -> Result<Vec<String>, KnowledgeError> {
    let mut names = Vec::new();
    for flow in store.list_flows(tenant_id, None).await? {
        if flow.published_version.is_none() {
            continue;
        }
        let Some(version) = store
            .get_published_flow_version(tenant_id, &flow.id)
            .await?
        else {
            continue;
        };
        if document_uses(&version.document, key) {
            names.push(flow.name);
        }
    }
    Ok(names)
}

/// Whether a flow document names the knowledge base `key`: a node's `knowledge_base` field
/// (the `answer` node's), or the flow setting that lets every listening node try one.
pub fn document_uses(document: &Value, key: &str) -> bool {
    match document {
        Value::Object(members) => members.iter().any(|(name, value)| {
            (matches!(name.as_str(), "knowledge_base" | "knowledge") && value.as_str() == Some(key))
                || (name == "knowledge_bases"
                    && value
                        .as_array()
                        .is_some_and(|keys| keys.iter().any(|k| k.as_str() == Some(key))))
                || document_uses(value, key)
        }),
        Value::Array(items) => items.iter().any(|item| document_uses(item, key)),
        _ => false,
    }
}

/// Which entries to list.
#[derive(Debug, Default, Clone)]
pub struct EntryQuery {
    /// Keep entries whose question, alternatives or answer contain this text (compared
    /// normalised: case, width and punctuation ignored).
    pub text: Option<String>,
    pub category: Option<String>,
    pub limit: Option<usize>,
    /// The last id of the previous page.
    pub cursor: Option<String>,
}

/// A page of entries and the cursor of the next one.
#[derive(Debug)]
pub struct EntryPage {
    pub entries: Vec<StoredEntry>,
    pub next_cursor: Option<String>,
}

/// The base's current entries matching `query`, in creation order, a page at a time.
pub async fn entries(
    store: &Store,
    tenant_id: &str,
    key: &str,
    query: &EntryQuery,
) -> Result<EntryPage, KnowledgeError> {
    let base = load(store, tenant_id, key).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let text = query
        .text
        .as_deref()
        .map(normalize)
        .filter(|text| !text.is_empty());
    let category = query
        .category
        .as_deref()
        .map(str::trim)
        .filter(|category| !category.is_empty());
    let mut matching = store
        .knowledge_entries(tenant_id, &base.id, None)
        .await?
        .into_iter()
        .filter(|entry| {
            query
                .cursor
                .as_deref()
                .is_none_or(|cursor| entry.id.as_str() > cursor)
        })
        .filter(|entry| category.is_none_or(|category| entry.fields.category == category))
        .filter(|entry| {
            text.as_deref().is_none_or(|text| {
                std::iter::once(&entry.fields.question)
                    .chain(&entry.fields.alternatives)
                    .chain(std::iter::once(&entry.fields.answer))
                    .any(|field| normalize(field).contains(text))
            })
        });
    let entries: Vec<StoredEntry> = matching.by_ref().take(limit).collect();
    let next_cursor = if matching.next().is_some() {
        entries.last().map(|entry| entry.id.clone())
    } else {
        None
    };
    Ok(EntryPage {
        entries,
        next_cursor,
    })
}

pub async fn entry(
    store: &Store,
    tenant_id: &str,
    key: &str,
    entry_id: &str,
) -> Result<StoredEntry, KnowledgeError> {
    let base = load(store, tenant_id, key).await?;
    store
        .knowledge_entry(tenant_id, &base.id, entry_id)
        .await?
        .ok_or(KnowledgeError::EntryNotFound)
}

/// The entry cleaned and checked, ready to be written.
fn checked(fields: EntryFields) -> Result<EntryFields, KnowledgeError> {
    let fields = fields::clean(fields);
    let problems = fields::check(&fields, &Sandbox::shared());
    if problems.is_empty() {
        Ok(fields)
    } else {
        Err(KnowledgeError::InvalidEntry(problems))
    }
}

/// One change of a base: begins its next revision, and on [`Change::finish`] records the
/// revision and the audit entry and commits.
struct Change<'s> {
    transaction: Transaction<'s>,
    base: KnowledgeBase,
}

impl<'s> Change<'s> {
    async fn begin(
        store: &'s Store,
        tenant_id: &str,
        key: &str,
        now_ms: i64,
    ) -> Result<Change<'s>, KnowledgeError> {
        Self::begin_from(store, tenant_id, key, None, now_ms).await
    }

    /// Begins the revision after `expected`, which must still be the current one.
    async fn begin_at(
        store: &'s Store,
        tenant_id: &str,
        key: &str,
        expected: i64,
        now_ms: i64,
    ) -> Result<Change<'s>, KnowledgeError> {
        Self::begin_from(store, tenant_id, key, Some(expected), now_ms).await
    }

    async fn begin_from(
        store: &'s Store,
        tenant_id: &str,
        key: &str,
        expected: Option<i64>,
        now_ms: i64,
    ) -> Result<Change<'s>, KnowledgeError> {
        let mut transaction = store.transaction().await?;
        let base = transaction
            .next_knowledge_revision(tenant_id, key, expected, now_ms)
            .await
            .map_err(|error| match error {
                StoreError::RevisionMismatch { .. } => KnowledgeError::RevisionConflict,
                error => KnowledgeError::Store(error),
            })?
            .ok_or(KnowledgeError::NotFound)?;
        Ok(Change { transaction, base })
    }

    async fn finish(
        mut self,
        actor: &Actor,
        action: &str,
        object: &str,
        summary: Value,
        now_ms: i64,
    ) -> Result<KnowledgeBase, KnowledgeError> {
        self.transaction
            .record_knowledge_revision(
                &actor.tenant_id,
                &self.base.id,
                self.base.revision,
                &actor.name,
                &summary,
                now_ms,
            )
            .await?;
        let mut detail = summary;
        if let Some(members) = detail.as_object_mut() {
            members.insert("base".to_owned(), json!(self.base.key));
            // What the audit log names the change's object by, when it has no name of its own.
            members.insert("base_name".to_owned(), json!(self.base.name));
            members.insert("revision".to_owned(), json!(self.base.revision));
        }
        self.transaction
            .record_audit(actor, action, object, &detail, now_ms)
            .await?;
        self.transaction.commit().await?;
        Ok(self.base)
    }
}

pub async fn create_entry(
    store: &Store,
    actor: &Actor,
    key: &str,
    fields: EntryFields,
    now_ms: i64,
) -> Result<StoredEntry, KnowledgeError> {
    write_entry(store, actor, key, None, fields, now_ms).await
}

pub async fn update_entry(
    store: &Store,
    actor: &Actor,
    key: &str,
    entry_id: &str,
    fields: EntryFields,
    now_ms: i64,
) -> Result<StoredEntry, KnowledgeError> {
    write_entry(store, actor, key, Some(entry_id), fields, now_ms).await
}

/// Writes an entry as the base's next revision: a new one, or the entry `replacing` names.
async fn write_entry(
    store: &Store,
    actor: &Actor,
    key: &str,
    replacing: Option<&str>,
    fields: EntryFields,
    now_ms: i64,
) -> Result<StoredEntry, KnowledgeError> {
    let fields = checked(fields)?;
    let mut change = Change::begin(store, &actor.tenant_id, key, now_ms).await?;
    let (tenant_id, base_id, revision) = (&actor.tenant_id, &change.base.id, change.base.revision);
    let (entry, kind, action) = match replacing {
        None => (
            change
                .transaction
                .insert_knowledge_entry(tenant_id, base_id, revision, &fields, now_ms)
                .await?,
            "entry_created",
            "knowledge_entry.create",
        ),
        Some(entry_id) => (
            change
                .transaction
                .replace_knowledge_entry(tenant_id, base_id, entry_id, revision, &fields, now_ms)
                .await?
                .ok_or(KnowledgeError::EntryNotFound)?,
            "entry_updated",
            "knowledge_entry.update",
        ),
    };
    let summary = json!({ "kind": kind, "question": entry.fields.question });
    change
        .finish(actor, action, &entry.id, summary, now_ms)
        .await?;
    Ok(entry)
}

/// Adds `text` as an alternative question of an entry, as the base's next revision, so that
/// callers who ask it that way get its answer. With `unheard`, the phrasing the "not
/// understood" list showed is marked handled in the same transaction. An alternative the entry
/// already has changes nothing but the list.
pub async fn add_alternative(
    store: &Store,
    actor: &Actor,
    key: &str,
    entry_id: &str,
    text: &str,
    unheard: Option<crate::store::HandledUnheard>,
    now_ms: i64,
) -> Result<StoredEntry, KnowledgeError> {
    let count = text.trim().chars().count();
    if count == 0 || count > MAX_ALTERNATIVE_CHARS {
        return Err(KnowledgeError::Invalid(EntryProblem::new(
            "text",
            "invalid_alternative",
            Text::new(
                format!("问法要有 1 到 {MAX_ALTERNATIVE_CHARS} 个字。"),
                format!("The question must have 1 to {MAX_ALTERNATIVE_CHARS} characters."),
            ),
        )));
    }
    let base = load(store, &actor.tenant_id, key).await?;
    let old = store
        .knowledge_entry(&actor.tenant_id, &base.id, entry_id)
        .await?
        .ok_or(KnowledgeError::EntryNotFound)?;
    let mut fields = old.fields.clone();
    fields.alternatives.push(text.to_owned());
    let fields = checked(fields)?;
    if fields == old.fields && unheard.is_none() {
        // Already one of its questions: nothing to change, and no revision for nothing.
        return Ok(old);
    }
    // Written on top of the revision read above: a change in between is a conflict, never lost.
    let mut change = Change::begin_at(store, &actor.tenant_id, key, base.revision, now_ms).await?;
    let entry = change
        .transaction
        .replace_knowledge_entry(
            &actor.tenant_id,
            &change.base.id,
            entry_id,
            change.base.revision,
            &fields,
            now_ms,
        )
        .await?
        .ok_or(KnowledgeError::EntryNotFound)?;
    if let Some(mut phrasing) = unheard {
        phrasing.text = crate::analytics::tally::normalized_said(&phrasing.text);
        phrasing.resolution = "alternative".to_owned();
        phrasing.target = entry_id.to_owned();
        change
            .transaction
            .mark_unheard_handled(&actor.tenant_id, &phrasing, &actor.name, now_ms)
            .await?;
    }
    let summary = json!({
        "kind": "alternative_added",
        "question": entry.fields.question,
        "alternative": text.trim(),
    });
    change
        .finish(
            actor,
            "knowledge_entry.alternative_added",
            &entry.id,
            summary,
            now_ms,
        )
        .await?;
    Ok(entry)
}

pub async fn delete_entry(
    store: &Store,
    actor: &Actor,
    key: &str,
    entry_id: &str,
    now_ms: i64,
) -> Result<(), KnowledgeError> {
    let base = load(store, &actor.tenant_id, key).await?;
    let old = store
        .knowledge_entry(&actor.tenant_id, &base.id, entry_id)
        .await?
        .ok_or(KnowledgeError::EntryNotFound)?;
    let mut change = Change::begin(store, &actor.tenant_id, key, now_ms).await?;
    if !change
        .transaction
        .delete_knowledge_entry(
            &actor.tenant_id,
            &change.base.id,
            entry_id,
            change.base.revision,
        )
        .await?
    {
        return Err(KnowledgeError::EntryNotFound);
    }
    let summary = json!({ "kind": "entry_deleted", "question": old.fields.question });
    change
        .finish(actor, "knowledge_entry.delete", entry_id, summary, now_ms)
        .await?;
    Ok(())
}

/// What a search found on a base's current revision.
pub struct Found {
    pub index: std::sync::Arc<flow_engine::knowledge::KnowledgeIndex>,
    pub hits: Vec<flow_engine::knowledge::KnowledgeHit>,
    pub decision: Decision,
}

/// Searches the base's current revision for `question`, as a call's `answer` node would.
pub async fn search(
    store: &Store,
    indexes: &KnowledgeIndexes,
    tenant_id: &str,
    key: &str,
    question: &str,
    limit: usize,
) -> Result<Found, KnowledgeError> {
    let base = load(store, tenant_id, key).await?;
    let index = indexes
        .index(store, tenant_id, &base.id, base.revision)
        .await?;
    let hits = index.search(question, limit.clamp(1, MAX_HITS));
    let decision = decide(&index, &hits);
    Ok(Found {
        index,
        hits,
        decision,
    })
}

/// The base's current entries as a file, header in the base's language.
pub async fn export(
    store: &Store,
    tenant_id: &str,
    key: &str,
    format: sheet::Format,
) -> Result<(KnowledgeBase, Vec<u8>), KnowledgeError> {
    let base = load(store, tenant_id, key).await?;
    let entries = store.knowledge_entries(tenant_id, &base.id, None).await?;
    let language = Language::of_tag(&base.language);
    let bytes = tokio::task::spawn_blocking(move || sheet::write(format, language, &entries))
        .await
        .map_err(|error| KnowledgeError::Internal(format!("exporting failed: {error}")))?
        .map_err(|error| KnowledgeError::Internal(format!("exporting failed: {error}")))?;
    Ok((base, bytes))
}

/// A revision as people read it: who (a user's name) and what, in their language.
#[derive(Debug, Clone)]
pub struct RevisionView {
    pub revision: i64,
    pub at: i64,
    pub by: String,
    pub summary: String,
}

/// The base's revisions, newest first.
pub async fn revisions(
    store: &Store,
    tenant_id: &str,
    key: &str,
    language: Language,
) -> Result<Vec<RevisionView>, KnowledgeError> {
    let base = load(store, tenant_id, key).await?;
    let users = store.list_users(tenant_id).await?;
    let keys = store.list_api_keys(tenant_id).await?;
    let revisions = store.list_knowledge_revisions(tenant_id, &base.id).await?;
    Ok(revisions
        .into_iter()
        .map(|revision: KnowledgeRevision| {
            let by = actor_name(&revision.actor, &users, &keys, language);
            RevisionView {
                revision: revision.revision,
                at: revision.at,
                by,
                summary: summary_text(&revision.summary).get(language).to_owned(),
            }
        })
        .collect())
}

/// Who an actor is, by name: a user's display name, an API key's name, or the system.
fn actor_name(
    actor: &str,
    users: &[crate::store::User],
    keys: &[crate::store::ApiKey],
    language: Language,
) -> String {
    if let Some(id) = actor.strip_prefix("user:") {
        if let Some(user) = users.iter().find(|user| user.id == id) {
            return user.display_name.clone();
        }
    }
    if let Some(id) = actor.strip_prefix("key:") {
        if let Some(key) = keys.iter().find(|key| key.id == id) {
            return format!("{} {}", language.pick("API 密钥", "API key"), key.name);
        }
    }
    language.pick("系统", "System").to_owned()
}

/// What a revision changed, in words.
fn summary_text(summary: &Value) -> Text {
    let question = summary["question"].as_str().unwrap_or_default();
    let count = |name: &str| summary[name].as_u64().unwrap_or(0);
    match summary["kind"].as_str() {
        Some("created") => Text::new("创建知识库", "Created the knowledge base"),
        Some("entry_created") => Text::new(
            format!("新增条目：{question}"),
            format!("Added the entry \"{question}\""),
        ),
        Some("entry_updated") => Text::new(
            format!("修改条目：{question}"),
            format!("Changed the entry \"{question}\""),
        ),
        Some("entry_deleted") => Text::new(
            format!("删除条目：{question}"),
            format!("Deleted the entry \"{question}\""),
        ),
        Some("import") => Text::new(
            format!(
                "导入：新增 {} 条，修改 {} 条",
                count("created"),
                count("updated")
            ),
            format!(
                "Import: {} added, {} changed",
                count("created"),
                count("updated")
            ),
        ),
        _ => Text::new("修改", "Changed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_slugs() {
        for key in ["shop-faq", "faq2", "a"] {
            assert!(check_key(key).is_ok(), "{key}");
        }
        for key in [
            "",
            "Shop",
            "shop_faq",
            "-faq",
            "faq-",
            "商城",
            &"a".repeat(65),
        ] {
            assert!(check_key(key).is_err(), "{key}");
        }
    }

    #[test]
    fn languages_are_tags() {
        for tag in ["zh-CN", "en", "en-US", "yue-Hant-HK"] {
            assert!(check_language(tag).is_ok(), "{tag}");
        }
        for tag in ["", "chinese", "zh_CN", "e"] {
            assert!(check_language(tag).is_err(), "{tag}");
        }
    }

    #[test]
    fn documents_name_their_knowledge_bases() {
        let document = json!({
            "nodes": [
                { "id": "a", "type": "say", "text": "shop-faq" },
                { "id": "b", "type": "answer", "knowledge_base": "shop-faq" }
            ]
        });
        assert!(document_uses(&document, "shop-faq"));
        assert!(!document_uses(&document, "returns"));
        assert!(document_uses(
            &json!({ "settings": { "knowledge_bases": ["returns"] } }),
            "returns"
        ));
    }

    #[test]
    fn revision_summaries_read_in_both_languages() {
        let text = summary_text(&json!({ "kind": "import", "created": 3, "updated": 1 }));
        assert_eq!(text.zh, "导入：新增 3 条，修改 1 条");
        assert_eq!(text.en, "Import: 3 added, 1 changed");
    }
}
