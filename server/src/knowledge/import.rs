//! Importing a spreadsheet into a base: every row checked like a single entry, with a result
//! per row, and everything written as ONE revision.
//!
//! A row with an `id` updates that entry; a row without one updates the entry with the same
//! question (compared normalised), else it creates one, so re-importing an edited export never
//! duplicates entries. A row equal to its entry is `unchanged`, and an import that changes
//! nothing makes no revision. Two rows with the same question, or naming the same entry, are
//! refused (the later one). `all_or_nothing` writes nothing when any row fails; `partial` writes
//! the good rows.

use std::collections::HashMap;

use flow_engine::script::Sandbox;
use flow_engine::text::normalize;
use serde_json::json;

use super::fields::{self, EntryProblem};
use super::sheet::{self, Column, Format, SheetError, SheetRow};
use super::{load, Change, KnowledgeError};
use crate::language::Text;
use crate::store::{Actor, EntryFields, StoreError, StoredEntry};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    AllOrNothing,
    Partial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    Created,
    Updated,
    Unchanged,
    Failed,
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowResult {
    /// The spreadsheet's row number (the header is row 1).
    pub row: usize,
    pub status: RowStatus,
    pub entry_id: Option<String>,
    pub error: Option<(&'static str, Text)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub rows: Vec<RowResult>,
    /// Whether anything was written (false for an all-or-nothing import with a failed row).
    pub written: bool,
    /// The base's revision afterwards.
    pub revision: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole cannot be imported.
    #[error("the file cannot be imported: {}", .0.message().en)]
    Sheet(SheetError),
    #[error(transparent)]
    Knowledge(#[from] KnowledgeError),
}

impl From<StoreError> for ImportError {
    fn from(error: StoreError) -> Self {
        ImportError::Knowledge(error.into())
    }
}

/// What a good row will do.
enum Plan {
    Create(EntryFields),
    Update(String, EntryFields),
    Unchanged(String),
}

pub async fn import(
    store: &crate::store::Store,
    actor: &Actor,
    key: &str,
    format: Format,
    bytes: Vec<u8>,
    mode: Mode,
    now_ms: i64,
) -> Result<ImportReport, ImportError> {
    let base = load(store, &actor.tenant_id, key).await?;
    let rows = tokio::task::spawn_blocking(move || sheet::read(format, &bytes))
        .await
        .map_err(|error| KnowledgeError::Internal(format!("reading the file failed: {error}")))?
        .map_err(ImportError::Sheet)?;
    let current = store
        .knowledge_entries(&actor.tenant_id, &base.id, None)
        .await?;
    let plans = plan(&rows, &current);

    let mut report = ImportReport {
        created: 0,
        updated: 0,
        unchanged: 0,
        failed: 0,
        rows: Vec::with_capacity(plans.len()),
        written: false,
        revision: base.revision,
    };
    for (row, plan) in rows.iter().zip(&plans) {
        let (status, entry_id, error) = match plan {
            Ok(Plan::Create(_)) => (RowStatus::Created, None, None),
            Ok(Plan::Update(id, _)) => (RowStatus::Updated, Some(id.clone()), None),
            Ok(Plan::Unchanged(id)) => (RowStatus::Unchanged, Some(id.clone()), None),
            Err(problem) => (
                RowStatus::Failed,
                None,
                Some((problem.code, problem.message.clone())),
            ),
        };
        match status {
            RowStatus::Created => report.created += 1,
            RowStatus::Updated => report.updated += 1,
            RowStatus::Unchanged => report.unchanged += 1,
            RowStatus::Failed => report.failed += 1,
        }
        report.rows.push(RowResult {
            row: row.row,
            status,
            entry_id,
            error,
        });
    }
    let changes = report.created + report.updated;
    if (mode == Mode::AllOrNothing && report.failed > 0) || changes == 0 {
        report.written = changes == 0 && report.failed == 0;
        return Ok(report);
    }

    let mut change = Change::begin_at(store, &actor.tenant_id, key, base.revision, now_ms).await?;
    let (tenant, base_id, revision) = (
        actor.tenant_id.clone(),
        change.base.id.clone(),
        change.base.revision,
    );
    for (result, plan) in report.rows.iter_mut().zip(plans) {
        match plan {
            Ok(Plan::Create(fields)) => {
                let entry = change
                    .transaction
                    .insert_knowledge_entry(&tenant, &base_id, revision, &fields, now_ms)
                    .await?;
                result.entry_id = Some(entry.id);
            }
            Ok(Plan::Update(id, fields)) => {
                change
                    .transaction
                    .replace_knowledge_entry(&tenant, &base_id, &id, revision, &fields, now_ms)
                    .await?
                    .ok_or(KnowledgeError::RevisionConflict)?;
            }
            Ok(Plan::Unchanged(_)) | Err(_) => {}
        }
    }
    let summary = json!({
        "kind": "import",
        "created": report.created,
        "updated": report.updated,
        "failed": report.failed,
    });
    let base = change
        .finish(actor, "knowledge_base.import", &base_id, summary, now_ms)
        .await?;
    report.written = true;
    report.revision = base.revision;
    Ok(report)
}

/// Each row's plan, or why it fails.
fn plan(rows: &[SheetRow], current: &[StoredEntry]) -> Vec<Result<Plan, EntryProblem>> {
    let sandbox = Sandbox::shared();
    let by_id: HashMap<&str, &StoredEntry> = current
        .iter()
        .map(|entry| (entry.id.as_str(), entry))
        .collect();
    let by_question: HashMap<String, &StoredEntry> = current
        .iter()
        .map(|entry| (normalize(&entry.fields.question), entry))
        .collect();
    // Which row first had each question, and which row first changed each entry.
    let mut questions: HashMap<String, usize> = HashMap::new();
    let mut targets: HashMap<String, usize> = HashMap::new();
    rows.iter()
        .map(|row| {
            let fields = row_fields(row)?;
            let problems = fields::check(&fields, &sandbox);
            if let Some(problem) = merge(problems) {
                return Err(problem);
            }
            let question = normalize(&fields.question);
            if let Some(first) = questions.get(&question) {
                return Err(EntryProblem::new(
                    "question",
                    "duplicate_question",
                    Text::new(
                        format!("与第 {first} 行的问题重复。"),
                        format!("The same question as row {first}."),
                    ),
                ));
            }
            questions.insert(question.clone(), row.row);
            let existing = match row.get(Column::Id) {
                Some(id) => Some(*by_id.get(id).ok_or_else(|| {
                    EntryProblem::new(
                        "id",
                        "unknown_entry",
                        Text::new(
                            format!("编号“{id}”在此知识库中不存在；新条目请留空编号。"),
                            format!(
                                "There is no entry \"{id}\" in this knowledge base; leave the id empty for a new entry."
                            ),
                        ),
                    )
                })?),
                None => by_question.get(&question).copied(),
            };
            let Some(existing) = existing else {
                return Ok(Plan::Create(fields));
            };
            if let Some(first) = targets.get(&existing.id) {
                return Err(EntryProblem::new(
                    "id",
                    "duplicate_entry",
                    Text::new(
                        format!("第 {first} 行已经修改了同一个条目。"),
                        format!("Row {first} already changes the same entry."),
                    ),
                ));
            }
            targets.insert(existing.id.clone(), row.row);
            if existing.fields == fields {
                Ok(Plan::Unchanged(existing.id.clone()))
            } else {
                Ok(Plan::Update(existing.id.clone(), fields))
            }
        })
        .collect()
}

/// The entry a row describes, cleaned.
fn row_fields(row: &SheetRow) -> Result<EntryFields, EntryProblem> {
    let enabled = match row.get(Column::Enabled) {
        None => true,
        Some(cell) => sheet::parse_enabled(cell).ok_or_else(|| {
            EntryProblem::new(
                "enabled",
                "invalid_enabled",
                Text::new(
                    format!("“启用”列的“{cell}”无法识别，请填 是 或 否。"),
                    format!("\"{cell}\" in the enabled column is neither yes nor no."),
                ),
            )
        })?,
    };
    Ok(fields::clean(EntryFields {
        question: row.get(Column::Question).unwrap_or_default().to_owned(),
        alternatives: row.alternatives(),
        answer: row.get(Column::Answer).unwrap_or_default().to_owned(),
        category: row.get(Column::Category).unwrap_or_default().to_owned(),
        enabled,
    }))
}

/// A row's problems as one: the first one's field and code, every message.
fn merge(problems: Vec<EntryProblem>) -> Option<EntryProblem> {
    let mut problems = problems.into_iter();
    let mut first = problems.next()?;
    for problem in problems {
        first.message.zh.push_str(&problem.message.zh);
        first.message.en.push(' ');
        first.message.en.push_str(&problem.message.en);
    }
    Some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(csv: &str) -> Vec<SheetRow> {
        sheet::read(Format::Csv, csv.as_bytes()).expect("rows")
    }

    fn stored(id: &str, question: &str, answer: &str) -> StoredEntry {
        StoredEntry {
            id: id.to_owned(),
            fields: EntryFields {
                question: question.to_owned(),
                alternatives: Vec::new(),
                answer: answer.to_owned(),
                category: String::new(),
                enabled: true,
            },
            created_at: 0,
            updated_at: 0,
        }
    }

    fn outcome(plan: &Result<Plan, EntryProblem>) -> String {
        match plan {
            Ok(Plan::Create(fields)) => format!("create {}", fields.question),
            Ok(Plan::Update(id, _)) => format!("update {id}"),
            Ok(Plan::Unchanged(id)) => format!("unchanged {id}"),
            Err(problem) => format!("fail {}", problem.code),
        }
    }

    #[test]
    fn rows_create_update_or_fail() {
        let current = vec![
            stored("kbe_1", "多久发货", "48小时"),
            stored("kbe_2", "能开发票吗", "可以"),
        ];
        let csv = "编号,问题,答案,启用\n\
                   kbe_1,多久发货,24小时,是\n\
                   ,能开发票吗,可以,\n\
                   ,怎么退货,七天无理由,1\n\
                   ,怎么 退货,重复,1\n\
                   kbe_9,不存在,答,是\n\
                   ,没有答案,,是\n\
                   ,会员,好,也许\n\
                   kbe_1,多久能发货,又改了,是\n";
        let plans = plan(&rows(csv), &current);
        let outcomes: Vec<String> = plans.iter().map(outcome).collect();
        assert_eq!(
            outcomes,
            vec![
                "update kbe_1",
                "unchanged kbe_2",
                "create 怎么退货",
                "fail duplicate_question",
                "fail unknown_entry",
                "fail empty_answer",
                "fail invalid_enabled",
                "fail duplicate_entry",
            ]
        );
        let Err(duplicate) = &plans[3] else {
            panic!("a duplicate")
        };
        assert_eq!(duplicate.message.zh, "与第 4 行的问题重复。");
    }
}
