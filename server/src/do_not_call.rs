//! The tenant's do-not-call list: numbers no campaign may ever dial. People add them by hand or
//! from a file, programs through the API, and a flow adds its callee when they ask not to be
//! called again ([`add_from_call`], with the call's id as evidence). Campaigns ask
//! [`is_listed`] at dial time, not only when a list is imported, so a refusal heard a minute
//! ago already counts. Every change is audited; a caller's erasure keeps their entry (see
//! `crate::privacy::subject`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::contacts::import::{is_phone_header, FileError, RowError, MAX_ERRORS_LISTED};
use crate::contacts::phone;
use crate::error::FieldProblem;
use crate::knowledge::sheet::{self, Format, SheetError};
use crate::language::Text;
use crate::store::{Actor, DoNotCallRow, Store, StoreError};

/// Numbers one file may hold at most.
pub const MAX_ROWS: usize = crate::contacts::import::MAX_ROWS;
/// The most entries one page holds.
pub const MAX_PAGE_SIZE: u32 = 500;
/// The longest note, in characters.
pub const NOTE_MAX_CHARS: usize = 500;

/// How a number came onto the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Typed in on the do-not-call page.
    Manual,
    /// From a file.
    Import,
    /// Through the API by a program.
    Api,
    /// A flow's opt-out: the callee asked during a call.
    Flow,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::Import => "import",
            Source::Api => "api",
            Source::Flow => "flow",
        }
    }
}

/// An entry as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Entry {
    /// E.164.
    #[schema(example = "+8613800138000")]
    pub phone: String,
    /// `manual`, `import`, `api` or `flow`.
    #[schema(example = "manual")]
    pub source: String,
    /// The call in which the callee asked (source `flow`).
    pub call_id: Option<String>,
    pub note: String,
    /// Who added it: `user:<id>`, `key:<id>` or `system`.
    pub added_by: String,
    /// Their name: the person's display name or the API key's name; absent for the system and
    /// for those who are gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_by_name: Option<String>,
    pub created_at: i64,
}

impl From<DoNotCallRow> for Entry {
    fn from(row: DoNotCallRow) -> Self {
        Entry {
            phone: row.phone,
            source: row.source,
            call_id: row.call_id,
            note: row.note,
            added_by: row.added_by,
            added_by_name: None,
            created_at: row.created_at,
        }
    }
}

/// A page of the list, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Page {
    pub entries: Vec<Entry>,
    /// Entries that match, over all pages.
    pub total: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum DoNotCallError {
    #[error("the request has wrong fields")]
    Invalid(Vec<FieldProblem>),
    #[error("the number is not on the list")]
    NotFound,
    #[error("the file cannot be imported")]
    File(FileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Numbers read (blank rows and the header not counted).
    pub rows: usize,
    /// Numbers new to the list.
    pub added: usize,
    /// Numbers listed already (or twice in the file).
    pub already_listed: usize,
    pub failed: usize,
    /// The first rows left out, in file order.
    pub errors: Vec<RowError>,
}

/// Whether the tenant's list holds this E.164 number: what a campaign asks before each dial.
pub async fn is_listed(
    store: &Store,
    tenant_id: &str,
    phone_e164: &str,
) -> Result<bool, StoreError> {
    store.is_on_do_not_call(tenant_id, phone_e164).await
}

/// A flow's opt-out: adds the callee with the call's id. Nothing happens to a number listed
/// already (its first entry stays the evidence). True when added.
pub async fn add_from_call(
    store: &Store,
    tenant_id: &str,
    phone_e164: &str,
    call_id: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let actor = Actor::system(tenant_id);
    let entry = DoNotCallRow {
        phone: phone_e164.to_owned(),
        source: Source::Flow.as_str().to_owned(),
        call_id: Some(call_id.to_owned()),
        note: String::new(),
        added_by: actor.name.clone(),
        created_at: now_ms,
    };
    let mut transaction = store.transaction().await?;
    let added = transaction.add_do_not_call(tenant_id, &entry).await?;
    if added {
        transaction
            .record_audit(
                &actor,
                "do_not_call.add",
                phone_e164,
                &json!({ "source": "flow", "call": call_id }),
                now_ms,
            )
            .await?;
    }
    transaction.commit().await?;
    Ok(added)
}

/// Adds one number as typed (read in `region` without a country code); the entry, new or the
/// one already there.
pub async fn add(
    store: &Store,
    actor: &Actor,
    typed: &str,
    note: &str,
    source: Source,
    region: &str,
    now_ms: i64,
) -> Result<Entry, DoNotCallError> {
    let mut problems = Vec::new();
    let e164 = phone::normalize(typed, region).map_err(|invalid| FieldProblem {
        field: "/phone".to_owned(),
        code: "invalid_phone",
        message: invalid.message(),
    });
    let note = note.trim();
    if note.chars().count() > NOTE_MAX_CHARS {
        problems.push(FieldProblem::new(
            "/note",
            "invalid_note",
            format!("备注最多 {NOTE_MAX_CHARS} 个字符。"),
            format!("A note has at most {NOTE_MAX_CHARS} characters."),
        ));
    }
    let e164 = match e164 {
        Ok(e164) if problems.is_empty() => e164,
        Ok(_) => return Err(DoNotCallError::Invalid(problems)),
        Err(problem) => {
            problems.insert(0, problem);
            return Err(DoNotCallError::Invalid(problems));
        }
    };
    let entry = DoNotCallRow {
        phone: e164.clone(),
        source: source.as_str().to_owned(),
        call_id: None,
        note: note.to_owned(),
        added_by: actor.name.clone(),
        created_at: now_ms,
    };
    let mut transaction = store.transaction().await?;
    if transaction
        .add_do_not_call(&actor.tenant_id, &entry)
        .await?
    {
        transaction
            .record_audit(
                actor,
                "do_not_call.add",
                &e164,
                &json!({ "source": source.as_str() }),
                now_ms,
            )
            .await?;
    }
    transaction.commit().await?;
    get(store, &actor.tenant_id, &e164).await
}

/// The entry of a number as typed, or [`DoNotCallError::NotFound`].
async fn get(store: &Store, tenant_id: &str, e164: &str) -> Result<Entry, DoNotCallError> {
    store
        .list_do_not_call(tenant_id, Some(e164), 0, 1)
        .await?
        .entries
        .into_iter()
        .find(|entry| entry.phone == e164)
        .map(Entry::from)
        .ok_or(DoNotCallError::NotFound)
}

/// Removes a number as typed; [`DoNotCallError::NotFound`] when it is not listed.
pub async fn remove(
    store: &Store,
    actor: &Actor,
    typed: &str,
    region: &str,
    now_ms: i64,
) -> Result<(), DoNotCallError> {
    // A value that is no number cannot be on the list.
    let e164 = phone::normalize(typed, region).map_err(|_| DoNotCallError::NotFound)?;
    let mut transaction = store.transaction().await?;
    let removed = transaction
        .remove_do_not_call(&actor.tenant_id, &e164)
        .await?
        .ok_or(DoNotCallError::NotFound)?;
    transaction
        .record_audit(
            actor,
            "do_not_call.remove",
            &e164,
            &json!({ "source": removed.source, "added_at": removed.created_at }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// A page of the list; `search` keeps entries whose number or note contains it.
pub async fn list(
    store: &Store,
    tenant_id: &str,
    search: Option<&str>,
    offset: u32,
    limit: u32,
) -> Result<Page, StoreError> {
    let page = store
        .list_do_not_call(tenant_id, search, offset, limit.clamp(1, MAX_PAGE_SIZE))
        .await?;
    Ok(Page {
        entries: page.entries.into_iter().map(Entry::from).collect(),
        total: page.total,
    })
}

/// The numbers of a file: the column headed as a phone number (`电话`, `手机`, `phone`…), else the
/// first column, whose first row is a header unless it is a number itself. A `备注|note` column
/// gives each entry its note.
pub fn parse(
    format: Format,
    bytes: &[u8],
    region: &str,
) -> Result<(Vec<(String, String)>, ImportReport), FileError> {
    if bytes.len() > crate::contacts::import::MAX_FILE_BYTES {
        return Err(FileError::TooLarge { bytes: bytes.len() });
    }
    let records = sheet::records(format, bytes, MAX_ROWS, None).map_err(|error| match error {
        SheetError::TooManyRows { rows } => FileError::TooManyRows { rows },
        other => FileError::Sheet(other),
    })?;
    let mut records = records
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|cell| !cell.trim().is_empty()))
        .peekable();
    let mut phone_column = 0;
    let mut note_column = None;
    let mut phone_header = String::new();
    if let Some((_, first)) = records.peek() {
        let headed = first.iter().position(|cell| is_phone_header(cell));
        let first_is_number = first
            .first()
            .is_some_and(|cell| phone::normalize(cell, region).is_ok());
        if let Some(column) = headed {
            phone_column = column;
        }
        if headed.is_some() || !first_is_number {
            phone_header = first.get(phone_column).cloned().unwrap_or_default();
            note_column = first
                .iter()
                .position(|cell| matches!(cell.trim().to_lowercase().as_str(), "note" | "备注"));
            records.next();
        }
    }
    let phone_header = match phone_header.trim() {
        "" => "A".to_owned(),
        header => header.to_owned(),
    };
    let mut report = ImportReport::default();
    let mut numbers = Vec::new();
    let mut seen = HashSet::new();
    for (row, cells) in records {
        report.rows += 1;
        let typed = cells.get(phone_column).map_or("", |cell| cell.trim());
        let note = note_column
            .and_then(|column| cells.get(column))
            .map_or("", |cell| cell.trim());
        let result = match typed {
            "" => Err(Text::new("电话号码是空的。", "The phone number is empty.")),
            typed => phone::normalize(typed, region).map_err(|invalid| invalid.message()),
        };
        match result {
            Ok(e164) if seen.insert(e164.clone()) => {
                numbers.push((e164, note.chars().take(NOTE_MAX_CHARS).collect()))
            }
            Ok(_) => report.already_listed += 1,
            Err(message) => {
                report.failed += 1;
                if report.errors.len() < MAX_ERRORS_LISTED {
                    report.errors.push(RowError {
                        row,
                        column: phone_header.clone(),
                        message,
                    });
                }
            }
        }
    }
    Ok((numbers, report))
}

/// Adds a file's numbers in one transaction with one audit entry; bad rows are reported and
/// left out.
pub async fn import(
    store: &Store,
    actor: &Actor,
    format: Format,
    bytes: &[u8],
    region: &str,
    now_ms: i64,
) -> Result<ImportReport, DoNotCallError> {
    let (numbers, mut report) = parse(format, bytes, region).map_err(DoNotCallError::File)?;
    let mut transaction = store.transaction().await?;
    for (e164, note) in numbers {
        let entry = DoNotCallRow {
            phone: e164,
            source: Source::Import.as_str().to_owned(),
            call_id: None,
            note,
            added_by: actor.name.clone(),
            created_at: now_ms,
        };
        if transaction
            .add_do_not_call(&actor.tenant_id, &entry)
            .await?
        {
            report.added += 1;
        } else {
            report.already_listed += 1;
        }
    }
    transaction
        .record_audit(
            actor,
            "do_not_call.import",
            "do_not_call",
            &json!({
                "format": format.extension(),
                "rows": report.rows,
                "added": report.added,
                "already_listed": report.already_listed,
                "failed": report.failed,
            }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(csv: &str) -> (Vec<String>, ImportReport) {
        let (numbers, report) = parse(Format::Csv, csv.as_bytes(), "CN").expect("parsed");
        (
            numbers.into_iter().map(|(phone, _)| phone).collect(),
            report,
        )
    }

    #[test]
    fn a_file_without_a_header_is_read_from_its_first_row() {
        let (found, report) = numbers("13800138000\n139 0013 9000\n");
        assert_eq!(found, vec!["+8613800138000", "+8613900139000"]);
        assert_eq!(report.rows, 2);
    }

    #[test]
    fn a_phone_column_is_found_by_its_header_and_notes_are_kept() {
        let (found, report) = parse(
            Format::Csv,
            "姓名,手机,备注\n张伟,13800138000,投诉后要求\n李娜,12,\n王芳,13800138000,\n".as_bytes(),
            "CN",
        )
        .expect("parsed");
        assert_eq!(
            found,
            vec![("+8613800138000".to_owned(), "投诉后要求".to_owned())]
        );
        assert_eq!(report.failed, 1);
        assert_eq!(report.already_listed, 1);
        assert_eq!(
            (report.errors[0].row, report.errors[0].column.as_str()),
            (3, "手机")
        );
    }

    #[test]
    fn an_unknown_header_is_skipped_and_the_first_column_read() {
        let (found, report) = numbers("号码\n13800138000\n");
        assert_eq!(found, vec!["+8613800138000"]);
        assert_eq!(report.failed, 0);
    }
}
