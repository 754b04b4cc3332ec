//! A CSV or XLSX file into a contact list. Row 1 is the header: `电话|手机|phone` (required),
//! `姓名|name`, `同意来源|consent_source`, `同意时间|consent_at`; every other named column is a
//! custom field, so its header must be a name flows can read ([`super::is_field_name`]).
//! Numbers are read in the tenant's region ([`super::phone`]). A bad row is reported (row,
//! column, why, in both languages) and left out; the good rows are written. Rows with the same
//! number, in the file or in the list already, become one contact: later values win and custom
//! fields are merged. One audit entry per import, with the counts. XLSX date cells arrive as
//! ISO dates, date-times in the tenant's zone ([`sheet::records`]).

use std::collections::HashMap;

use chrono_tz::Tz;
use serde_json::{json, Value};

use super::phone::{self, InvalidPhone};
use super::{is_field_name, ContactError};
use crate::conversation::local_time::parse_moment;
use crate::knowledge::sheet::{self, Format, SheetError};
use crate::language::Text;
use crate::store::{Actor, ContactValues, Store};

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Data rows (not counting the header) at most per file.
pub const MAX_ROWS: usize = 100_000;
/// Row errors an answer lists at most; `failed` counts them all.
pub const MAX_ERRORS_LISTED: usize = 1_000;

const PHONE_HEADERS: &[&str] = &[
    "phone",
    "phone_number",
    "mobile",
    "电话",
    "手机",
    "手机号",
    "手机号码",
    "电话号码",
];
const NAME_HEADERS: &[&str] = &["name", "姓名", "名字"];
const CONSENT_SOURCE_HEADERS: &[&str] = &["consent_source", "同意来源"];
const CONSENT_AT_HEADERS: &[&str] = &["consent_at", "同意时间"];

/// Whether a header cell names the phone column.
pub fn is_phone_header(header: &str) -> bool {
    PHONE_HEADERS.contains(&header.trim().to_lowercase().as_str())
}

/// Why a file cannot be imported at all (as opposed to a bad row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    TooLarge {
        bytes: usize,
    },
    TooManyRows {
        rows: usize,
    },
    /// Not a CSV or XLSX file, or text in an unknown encoding.
    Sheet(SheetError),
    /// No column the header names as the phone number.
    NoPhoneColumn,
    /// The same column twice in the header.
    DuplicateColumn(String),
    /// A custom field's header that is no name flows can read.
    BadFieldName(String),
}

impl FileError {
    pub fn code(&self) -> &'static str {
        match self {
            FileError::TooLarge { .. } => "file_too_large",
            FileError::TooManyRows { .. } => "too_many_rows",
            FileError::Sheet(error) => error.code(),
            FileError::NoPhoneColumn => "missing_column",
            FileError::DuplicateColumn(_) => "duplicate_column",
            FileError::BadFieldName(_) => "invalid_field_name",
        }
    }

    pub fn message(&self) -> Text {
        match self {
            FileError::TooLarge { bytes } => sheet::too_large(*bytes, MAX_FILE_BYTES),
            FileError::TooManyRows { rows } => sheet::too_many_rows(*rows, MAX_ROWS),
            FileError::Sheet(error) => error.message(),
            FileError::NoPhoneColumn => Text::new(
                "第 1 行（表头）没有电话号码列：请把号码所在列的表头写成“电话”“手机”或 phone。",
                "Row 1 (the header) has no phone number column: head the numbers' column 电话, 手机 or phone.",
            ),
            FileError::DuplicateColumn(name) => Text::new(
                format!("表头中“{name}”列出现了两次。"),
                format!("The header has the column \"{name}\" twice."),
            ),
            FileError::BadFieldName(name) => super::field_name_problem("", name).message,
        }
    }
}

/// A row left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// As a spreadsheet numbers it: the header is row 1.
    pub row: usize,
    /// The column's header as the file writes it.
    pub column: String,
    pub message: Text,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// Numbers new to the list.
    pub created: usize,
    /// Numbers the list had, whose contact was updated.
    pub updated: usize,
    /// Rows merged into an earlier row of the file with the same number.
    pub merged: usize,
    /// Rows left out.
    pub failed: usize,
    /// The first [`MAX_ERRORS_LISTED`] rows left out, in file order.
    pub errors: Vec<RowError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file cannot be imported")]
    File(FileError),
    #[error(transparent)]
    Contacts(#[from] ContactError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Phone,
    Name,
    ConsentSource,
    ConsentAt,
    Field(String),
    /// A column without a header: not read.
    Unnamed,
}

fn column_of(header: &str) -> Result<Column, FileError> {
    let trimmed = header.trim();
    let lower = trimmed.to_lowercase();
    let column = if trimmed.is_empty() {
        Column::Unnamed
    } else if PHONE_HEADERS.contains(&lower.as_str()) {
        Column::Phone
    } else if NAME_HEADERS.contains(&lower.as_str()) {
        Column::Name
    } else if CONSENT_SOURCE_HEADERS.contains(&lower.as_str()) {
        Column::ConsentSource
    } else if CONSENT_AT_HEADERS.contains(&lower.as_str()) {
        Column::ConsentAt
    } else if is_field_name(trimmed) {
        Column::Field(trimmed.to_owned())
    } else {
        return Err(FileError::BadFieldName(trimmed.to_owned()));
    };
    Ok(column)
}

/// The file's rows as contacts by number, in the order each number first appears, with the
/// rows left out: what [`import`] writes, without the store. Numbers are read in `region`,
/// consent times in `zone`.
pub fn parse(
    format: Format,
    bytes: &[u8],
    region: &str,
    zone: Tz,
) -> Result<(Vec<ContactValues>, ImportReport), FileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileError::TooLarge { bytes: bytes.len() });
    }
    let records =
        sheet::records(format, bytes, MAX_ROWS, Some(zone)).map_err(|error| match error {
            SheetError::TooManyRows { rows } => FileError::TooManyRows { rows },
            other => FileError::Sheet(other),
        })?;
    let mut records = records
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|cell| !cell.trim().is_empty()));
    let Some((_, header)) = records.next() else {
        return Err(FileError::NoPhoneColumn);
    };
    let columns = header
        .iter()
        .map(|name| column_of(name))
        .collect::<Result<Vec<_>, _>>()?;
    for (index, column) in columns.iter().enumerate() {
        if *column != Column::Unnamed && columns[..index].contains(column) {
            return Err(FileError::DuplicateColumn(header[index].trim().to_owned()));
        }
    }
    if !columns.contains(&Column::Phone) {
        return Err(FileError::NoPhoneColumn);
    }
    let mut report = ImportReport::default();
    let mut contacts: Vec<ContactValues> = Vec::new();
    let mut by_phone: HashMap<String, usize> = HashMap::new();
    for (row, cells) in records {
        report.rows += 1;
        match read_row(&columns, &header, &cells, region, zone) {
            Ok(values) => match by_phone.get(&values.phone) {
                Some(&index) => {
                    merge(&mut contacts[index], values);
                    report.merged += 1;
                }
                None => {
                    by_phone.insert(values.phone.clone(), contacts.len());
                    contacts.push(values);
                }
            },
            Err((column, message)) => {
                report.failed += 1;
                if report.errors.len() < MAX_ERRORS_LISTED {
                    report.errors.push(RowError {
                        row,
                        column,
                        message,
                    });
                }
            }
        }
    }
    Ok((contacts, report))
}

/// A row as a contact, or the column that is wrong (its header as written) and why.
fn read_row(
    columns: &[Column],
    header: &[String],
    cells: &[String],
    region: &str,
    zone: Tz,
) -> Result<ContactValues, (String, Text)> {
    let mut values = ContactValues::default();
    for (index, column) in columns.iter().enumerate() {
        let cell = cells.get(index).map_or("", |cell| cell.trim());
        let header = header[index].trim().to_owned();
        match column {
            Column::Phone => {
                values.phone = match cell {
                    "" => {
                        return Err((
                            header,
                            Text::new("电话号码是空的。", "The phone number is empty."),
                        ))
                    }
                    typed => phone::normalize(typed, region)
                        .map_err(|invalid: InvalidPhone| (header, invalid.message()))?,
                }
            }
            _ if cell.is_empty() => {}
            Column::Name => values.name = cell.to_owned(),
            Column::ConsentSource => values.consent_source = cell.to_owned(),
            Column::ConsentAt => {
                values.consent_at = Some(parse_moment(cell, zone).ok_or_else(|| {
                    (
                        header,
                        Text::new(
                            format!("“{cell}”不是时间：请写日期（如 2026-03-08）、带时区的时间（如 2026-03-08T10:00:00+08:00）或毫秒时间戳。"),
                            format!("\"{cell}\" is not a time: write a date (such as 2026-03-08), a time with its offset (such as 2026-03-08T10:00:00+08:00) or epoch milliseconds."),
                        ),
                    )
                })?)
            }
            Column::Field(name) => {
                values
                    .fields
                    .insert(name.clone(), Value::String(cell.to_owned()));
            }
            Column::Unnamed => {}
        }
    }
    Ok(values)
}

/// `later` over `earlier`: its non-empty values win, custom fields are merged.
fn merge(earlier: &mut ContactValues, later: ContactValues) {
    if !later.name.is_empty() {
        earlier.name = later.name;
    }
    if !later.consent_source.is_empty() {
        earlier.consent_source = later.consent_source;
    }
    if later.consent_at.is_some() {
        earlier.consent_at = later.consent_at;
    }
    earlier.fields.extend(later.fields);
}

/// Imports the file into the list: the good rows are written in one transaction with the audit
/// entry, the bad ones reported.
pub async fn import(
    store: &Store,
    actor: &Actor,
    list_id: &str,
    format: Format,
    bytes: &[u8],
    now_ms: i64,
) -> Result<ImportReport, ImportError> {
    let tenant_id = &actor.tenant_id;
    let tenant = store
        .get_tenant(tenant_id)
        .await
        .map_err(ContactError::from)?
        .ok_or(ContactError::NotFound)?;
    store
        .get_contact_list(tenant_id, list_id)
        .await
        .map_err(ContactError::from)?
        .ok_or(ContactError::NotFound)?;
    let zone = crate::conversation::local_time::time_zone(&tenant);
    // Reading 100,000 rows takes a core for a second or two (the numbers' parsing most of it):
    // off the async workers, so the server's other requests are not kept waiting.
    let region = phone::region_of(&tenant).to_owned();
    let file = bytes.to_vec();
    let parsed = tokio::task::spawn_blocking(move || parse(format, &file, &region, zone)).await;
    let (contacts, mut report) = match parsed {
        Ok(parsed) => parsed.map_err(ImportError::File)?,
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    };
    let mut existing: HashMap<String, ContactValues> = store
        .all_contacts(tenant_id, list_id)
        .await
        .map_err(ContactError::from)?
        .into_iter()
        .map(|row| {
            (
                row.phone.clone(),
                ContactValues {
                    phone: row.phone,
                    name: row.name,
                    fields: row.fields,
                    consent_source: row.consent_source,
                    consent_at: row.consent_at,
                },
            )
        })
        .collect();
    let contacts: Vec<ContactValues> = contacts
        .into_iter()
        .map(|values| match existing.remove(&values.phone) {
            Some(mut current) => {
                report.updated += 1;
                merge(&mut current, values);
                current
            }
            None => {
                report.created += 1;
                values
            }
        })
        .collect();
    let mut transaction = store.transaction().await.map_err(ContactError::from)?;
    transaction
        .put_contacts(tenant_id, list_id, &contacts, now_ms)
        .await
        .map_err(ContactError::from)?;
    transaction
        .touch_contact_list(tenant_id, list_id, now_ms)
        .await
        .map_err(ContactError::from)?;
    transaction
        .record_audit(
            actor,
            "contact_list.import",
            list_id,
            &json!({
                "format": format.extension(),
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "merged": report.merged,
                "failed": report.failed,
            }),
            now_ms,
        )
        .await
        .map_err(ContactError::from)?;
    transaction.commit().await.map_err(ContactError::from)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(csv: &str) -> Result<(Vec<ContactValues>, ImportReport), FileError> {
        parse(Format::Csv, csv.as_bytes(), "CN", chrono_tz::Asia::Shanghai)
    }

    #[test]
    fn headers_in_either_language_map_to_columns_and_the_rest_are_fields() {
        let (contacts, report) = parsed(
            "手机,姓名,birthday,同意来源,同意时间\n138 0013 8000,张伟,1990-03-08,门店登记,2026-01-02\n",
        )
        .expect("parsed");
        assert_eq!(report.rows, 1);
        assert_eq!(contacts[0].phone, "+8613800138000");
        assert_eq!(contacts[0].name, "张伟");
        assert_eq!(contacts[0].fields["birthday"], json!("1990-03-08"));
        assert_eq!(contacts[0].consent_source, "门店登记");
        // Midnight in Shanghai.
        assert_eq!(contacts[0].consent_at, Some(1_767_283_200_000));
    }

    #[test]
    fn date_cells_of_a_workbook_are_dates_a_birthday_trigger_reads() {
        use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
        let mut workbook = Workbook::new();
        let date = CellFormat::new().set_num_format("yyyy/m/d");
        let date_time = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm");
        let sheet = workbook.add_worksheet();
        let written = (|| -> Result<(), rust_xlsxwriter::XlsxError> {
            for (column, name) in ["phone", "birthday", "consent_at", "last_order", "points"]
                .iter()
                .enumerate()
            {
                sheet.write_string(0, column as u16, *name)?;
            }
            sheet.write_number(1, 0, 13_800_138_000_f64)?;
            sheet.write_datetime_with_format(1, 1, ExcelDateTime::from_ymd(1990, 3, 8)?, &date)?;
            sheet.write_number_with_format(1, 2, 45292, &date)?;
            let order = ExcelDateTime::from_ymd(2026, 11, 30)?.and_hms(23, 30, 0)?;
            sheet.write_datetime_with_format(1, 3, order, &date_time)?;
            sheet.write_number(1, 4, 120)?;
            Ok(())
        })();
        written.expect("sheet written");
        let bytes = workbook.save_to_buffer().expect("workbook");
        let (contacts, report) =
            parse(Format::Xlsx, &bytes, "CN", chrono_tz::Asia::Shanghai).expect("parsed");
        assert_eq!(report.failed, 0, "{:?}", report.errors);
        let contact = &contacts[0];
        assert_eq!(contact.phone, "+8613800138000");
        assert_eq!(contact.fields["birthday"], json!("1990-03-08"));
        assert_eq!(
            contact.fields["last_order"],
            json!("2026-11-30T23:30:00+08:00")
        );
        assert_eq!(contact.fields["points"], json!("120"));
        // 2024-01-01 in Shanghai, not 45,292 milliseconds after 1970.
        assert_eq!(contact.consent_at, Some(1_704_038_400_000));
        // The campaigns' date triggers read both.
        use crate::campaigns::dates::parse_date;
        let birthday = contact.fields["birthday"].as_str().and_then(parse_date);
        assert_eq!(birthday, chrono::NaiveDate::from_ymd_opt(1990, 3, 8));
        let last_order = contact.fields["last_order"].as_str().and_then(parse_date);
        assert_eq!(last_order, chrono::NaiveDate::from_ymd_opt(2026, 11, 30));
    }

    #[test]
    fn the_header_must_name_a_phone_column_once_and_fields_flows_can_read() {
        assert_eq!(parsed("姓名\n张伟\n").err(), Some(FileError::NoPhoneColumn));
        assert_eq!(
            parsed("电话,phone\n1,2\n").err(),
            Some(FileError::DuplicateColumn("phone".into()))
        );
        let error = parsed("电话,生日\n13800138000,3月8日\n").expect_err("bad field");
        assert_eq!(error, FileError::BadFieldName("生日".into()));
        assert!(error.message().zh.contains("生日"));
    }

    #[test]
    fn bad_rows_are_named_and_the_good_ones_kept() {
        let (contacts, report) =
            parsed("phone,name,consent_at\n12345,A,\n,B,\n13800138000,C,someday\n13900139000,D,\n")
                .expect("parsed");
        assert_eq!(contacts.len(), 1);
        assert_eq!(report.failed, 3);
        let rows: Vec<(usize, &str)> = report
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str()))
            .collect();
        assert_eq!(rows, vec![(2, "phone"), (3, "phone"), (4, "consent_at")]);
        assert!(report.errors[0].message.zh.contains("“12345”"));
        assert!(report.errors[2].message.en.contains("\"someday\""));
    }

    #[test]
    fn duplicates_in_the_file_merge_with_later_values_winning() {
        let (contacts, report) =
            parsed("phone,name,city,level\n13800138000,张伟,上海,\n+86 138-0013-8000,,北京,gold\n")
                .expect("parsed");
        assert_eq!(report.merged, 1);
        assert_eq!(contacts.len(), 1);
        assert_eq!(contacts[0].name, "张伟");
        assert_eq!(contacts[0].fields["city"], json!("北京"));
        assert_eq!(contacts[0].fields["level"], json!("gold"));
    }

    #[test]
    fn limits_are_named() {
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        let error = parse(Format::Csv, &big, "CN", chrono_tz::UTC).expect_err("too large");
        assert!(
            error.message().en.contains("16 MB"),
            "{:?}",
            error.message()
        );
        let mut many = String::from("phone\n");
        for _ in 0..=MAX_ROWS {
            many.push_str("1\n");
        }
        let error = parsed(&many).expect_err("too many");
        assert_eq!(error, FileError::TooManyRows { rows: MAX_ROWS + 1 });
        assert!(error.message().zh.contains("100000"));
    }
}
