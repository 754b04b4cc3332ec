//! FAQ spreadsheets, CSV and XLSX, as files: their bytes, limits and problems in words.
//! The columns and rows themselves are [`flow_engine::knowledge_sheet`]'s, which conversation
//! tests read too. Export writes the same columns, so an exported file imports unchanged.
//!
//! CSV may be UTF-8 (with or without a BOM), UTF-16 with a BOM, or GBK/GB 18030, which Excel
//! writes for Chinese on Windows. Rows are numbered as a spreadsheet shows them: the header is
//! row 1. An XLSX cell formatted as a date is read as the date it shows (`2024-01-01`), not as
//! Excel's serial number for it (45292): see [`date_text`].

use std::io::Cursor;

use calamine::{Data, ExcelDateTime, Reader, Xlsx};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};
use flow_engine::knowledge_sheet::{self as faq_sheet, CsvError, HeaderError};
pub use flow_engine::knowledge_sheet::{parse_enabled, Column, SheetRow};

use crate::language::{Language, Text};
use crate::store::StoredEntry;

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Data rows (not counting the header) at most per file.
pub const MAX_ROWS: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub const CSV_TYPE: &str = "text/csv";
    pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    /// The format of a `Content-Type` (parameters ignored).
    pub fn of_content_type(content_type: &str) -> Option<Format> {
        let mime = content_type.split(';').next().unwrap_or("").trim();
        match mime.to_ascii_lowercase().as_str() {
            Format::CSV_TYPE | "application/csv" | "text/plain" => Some(Format::Csv),
            Format::XLSX_TYPE => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => Format::XLSX_TYPE,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// A column's header in `language`.
pub fn column_name(column: Column, language: Language) -> &'static str {
    let (zh, en) = column.names();
    language.pick(zh, en)
}

/// Why a file cannot be read at all (as opposed to a bad row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetError {
    TooLarge {
        bytes: usize,
    },
    TooManyRows {
        rows: usize,
    },
    /// Not a CSV or XLSX file, or a damaged one.
    Unreadable,
    /// Text in an encoding other than UTF-8, UTF-16 or GBK.
    NotUtf8,
    /// No header row, or rows but not the question and answer columns.
    MissingColumns(Vec<Column>),
    /// The same column twice in the header.
    DuplicateColumn(String),
}

impl SheetError {
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::TooLarge { .. } => "file_too_large",
            SheetError::TooManyRows { .. } => "too_many_rows",
            SheetError::Unreadable => "unreadable_file",
            SheetError::NotUtf8 => "unsupported_encoding",
            SheetError::MissingColumns(_) => "missing_column",
            SheetError::DuplicateColumn(_) => "duplicate_column",
        }
    }

    pub fn message(&self) -> Text {
        match self {
            SheetError::TooLarge { bytes } => too_large(*bytes, MAX_FILE_BYTES),
            SheetError::TooManyRows { rows } => too_many_rows(*rows, MAX_ROWS),
            SheetError::Unreadable => Text::new(
                "无法读取文件：它不是有效的 CSV 或 XLSX 文件。请在 Excel 或 WPS 中另存为 CSV（UTF-8）或 Excel 工作簿（.xlsx）后再导入。",
                "The file cannot be read: it is not a valid CSV or XLSX file. Save it from Excel or WPS as CSV UTF-8 or as an Excel workbook (.xlsx) and import it again.",
            ),
            SheetError::NotUtf8 => Text::new(
                "无法识别文件的文字编码。请在 Excel 中选择“另存为 → CSV UTF-8（逗号分隔）”后再导入。",
                "The file's text encoding is not recognised. In Excel choose Save As → CSV UTF-8 (Comma delimited) and import it again.",
            ),
            SheetError::MissingColumns(columns) => {
                let zh: Vec<&str> = columns.iter().map(|c| c.names().0).collect();
                let en: Vec<&str> = columns.iter().map(|c| c.names().1).collect();
                Text::new(
                    format!(
                        "第 1 行（表头）缺少必需的列：{}。表头可用中文或英文列名：问题、相似问法、答案、分类、启用、编号。",
                        zh.join("、")
                    ),
                    format!(
                        "Row 1 (the header) lacks the required column(s): {}. Header names may be Chinese or English: question, alternatives, answer, category, enabled, id.",
                        en.join(", ")
                    ),
                )
            }
            SheetError::DuplicateColumn(name) => Text::new(
                format!("表头中“{name}”列出现了两次。"),
                format!("The header has the column \"{name}\" twice."),
            ),
        }
    }
}

/// A file of `bytes` refused for being over `max_bytes`, the import's limit.
pub fn too_large(bytes: usize, max_bytes: usize) -> Text {
    let megabytes = bytes as f64 / 1_048_576.0;
    let max = max_bytes / 1_048_576;
    Text::new(
        format!("文件有 {megabytes:.1} MB，最大 {max} MB；请拆分后分批导入。"),
        format!(
            "The file has {megabytes:.1} MB; at most {max} MB are accepted. Split it and import the parts."
        ),
    )
}

/// A file of `rows` data rows refused for being over `max_rows`, the import's limit.
pub fn too_many_rows(rows: usize, max_rows: usize) -> Text {
    Text::new(
        format!("文件有 {rows} 行数据，最多 {max_rows} 行；请拆分后分批导入。"),
        format!(
            "The file has {rows} data rows; at most {max_rows} are accepted. Split it and import the parts."
        ),
    )
}

/// The data rows of a file, blank rows left out.
pub fn read(format: Format, bytes: &[u8]) -> Result<Vec<SheetRow>, SheetError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SheetError::TooLarge { bytes: bytes.len() });
    }
    let records = records(format, bytes, MAX_ROWS, None)?;
    faq_sheet::rows(records).map_err(|error| match error {
        HeaderError::MissingColumns(columns) => SheetError::MissingColumns(columns),
        HeaderError::DuplicateColumn(name) => SheetError::DuplicateColumn(name),
    })
}

/// A file's rows as text cells with their row numbers as a spreadsheet shows them (the header
/// is row 1), at most `max_rows` besides the header: what every import of a sheet reads, the
/// contact lists' included. The caller checks the file's size against its own limit. Date
/// cells are ISO dates; date-time cells are RFC 3339 times in `zone` when the caller knows the
/// tenant's zone, else local times without an offset (see [`date_text`]).
pub fn records(
    format: Format,
    bytes: &[u8],
    max_rows: usize,
    zone: Option<Tz>,
) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    match format {
        Format::Csv => {
            faq_sheet::csv_records(&decode(bytes)?, max_rows).map_err(|error| match error {
                CsvError::Unreadable => SheetError::Unreadable,
                CsvError::TooManyRows { rows } => SheetError::TooManyRows { rows },
            })
        }
        Format::Xlsx => xlsx_rows(bytes, max_rows, zone),
    }
}

/// The text of a CSV file: UTF-8 (BOM or not), UTF-16 with a BOM, else GB 18030 (GBK's
/// superset), else an error asking for UTF-8.
fn decode(bytes: &[u8]) -> Result<String, SheetError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map_err(|_| SheetError::NotUtf8);
    }
    for (bom, encoding) in [(b"\xFF\xFE", UTF_16LE), (b"\xFE\xFF", UTF_16BE)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|text| text.into_owned())
                .ok_or(SheetError::NotUtf8);
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    if bytes.contains(&0) {
        return Err(SheetError::Unreadable);
    }
    GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
        .ok_or(SheetError::NotUtf8)
}

/// The first worksheet's rows with their row numbers; rows before the first used one are
/// skipped, like blank rows.
fn xlsx_rows(
    bytes: &[u8],
    max_rows: usize,
    zone: Option<Tz>,
) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| SheetError::Unreadable)?;
    let range = match workbook.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(_)) => return Err(SheetError::Unreadable),
        None => return Ok(Vec::new()),
    };
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let first_column = range.start().map_or(0, |(_, column)| column as usize);
    if range.height() > max_rows + 1 {
        return Err(SheetError::TooManyRows {
            rows: range.height() - 1,
        });
    }
    Ok(range
        .rows()
        .enumerate()
        .map(|(index, cells)| {
            // Columns left of the first used one are blank: keep positions as the sheet has them.
            let mut row = vec![String::new(); first_column];
            row.extend(cells.iter().map(|cell| cell_text(cell, zone)));
            (first_row + index + 1, row)
        })
        .collect())
}

fn cell_text(cell: &Data, zone: Option<Tz>) -> String {
    match cell {
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            format!("{}", *number as i64)
        }
        Data::DateTime(moment) if moment.is_datetime() => {
            date_text(moment, zone).unwrap_or_else(|| moment.to_string())
        }
        other => other.to_string(),
    }
}

/// A date-formatted cell as the text its reader means, since Excel stores only a serial number
/// of days and its format says "date": a whole day is `2024-01-01`; a day with a time of day is
/// `2024-01-01T09:30:00`, as an RFC 3339 time with the offset `zone` has then
/// (`2024-01-01T09:30:00+08:00`) when the zone is known (a workbook holds local times and no
/// zone); a time alone (a serial below one day) is `09:30:00`. A serial outside Excel's range
/// (before 1900, after 9999) is `None`, left as its number.
fn date_text(moment: &ExcelDateTime, zone: Option<Tz>) -> Option<String> {
    let serial = moment.as_f64();
    if !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let (year, month, day, hour, minute, second, _) = moment.to_ymd_hms_milli();
    let time = NaiveTime::from_hms_opt(hour.into(), minute.into(), second.into())?;
    if serial < 1.0 {
        return Some(time.format("%H:%M:%S").to_string());
    }
    // Excel's 1900-02-29, a day that never was (its leap-year bug), has no date to give.
    let date = NaiveDate::from_ymd_opt(year.into(), month.into(), day.into())?;
    if time == NaiveTime::MIN {
        return Some(date.format("%Y-%m-%d").to_string());
    }
    let local = NaiveDateTime::new(date, time);
    // A local time a clock change skips has no offset: it stays local.
    match zone.and_then(|zone| zone.from_local_datetime(&local).earliest()) {
        Some(moment) => Some(moment.format("%Y-%m-%dT%H:%M:%S%:z").to_string()),
        None => Some(local.format("%Y-%m-%dT%H:%M:%S").to_string()),
    }
}

/// The entries as a file, header in `language`.
pub fn write(
    format: Format,
    language: Language,
    entries: &[StoredEntry],
) -> Result<Vec<u8>, String> {
    let header: Vec<&str> = Column::ALL
        .iter()
        .map(|column| column_name(*column, language))
        .collect();
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|entry| {
            vec![
                entry.id.clone(),
                entry.fields.question.clone(),
                entry.fields.alternatives.join("\n"),
                entry.fields.answer.clone(),
                entry.fields.category.clone(),
                match (entry.fields.enabled, language) {
                    (true, Language::Chinese) => "是",
                    (false, Language::Chinese) => "否",
                    (true, Language::English) => "yes",
                    (false, Language::English) => "no",
                }
                .to_owned(),
            ]
        })
        .collect();
    let widths = [36.0, 30.0, 30.0, 50.0, 12.0, 8.0];
    table(format, &header, &widths, &rows)
}

/// A table as a file: a header row, then the rows; `widths` are the XLSX columns' widths in
/// characters (columns past them get a default).
pub fn table(
    format: Format,
    header: &[&str],
    widths: &[f64],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, String> {
    match format {
        Format::Csv => write_csv(header, rows),
        Format::Xlsx => write_xlsx(header, widths, rows).map_err(|error| error.to_string()),
    }
}

fn write_csv(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    // The BOM makes Excel read the file as UTF-8 instead of the system's code page.
    let mut buffer = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut buffer);
        writer.write_record(header).map_err(|e| e.to_string())?;
        for row in rows {
            writer.write_record(row).map_err(|e| e.to_string())?;
        }
        writer.flush().map_err(|e| e.to_string())?;
    }
    Ok(buffer)
}

fn write_xlsx(
    header: &[&str],
    widths: &[f64],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let mut workbook = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let wrapped = CellFormat::new().set_text_wrap();
    let sheet = workbook.add_worksheet();
    for (column, name) in header.iter().enumerate() {
        let width = widths.get(column).copied().unwrap_or(16.0);
        let column = column as u16;
        sheet.write_string_with_format(0, column, *name, &bold)?;
        sheet.set_column_width(column, width)?;
    }
    for (index, row) in rows.iter().enumerate() {
        let line = index as u32 + 1;
        for (column, text) in row.iter().enumerate() {
            sheet.write_string_with_format(line, column as u16, text, &wrapped)?;
        }
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EntryFields;

    fn entry(id: &str, question: &str, alternatives: &[&str], enabled: bool) -> StoredEntry {
        StoredEntry {
            id: id.to_owned(),
            fields: EntryFields {
                question: question.to_owned(),
                alternatives: alternatives.iter().map(|a| (*a).to_owned()).collect(),
                answer: "付款后 48 小时内发货，节假日顺延。".to_owned(),
                category: "物流".to_owned(),
                enabled,
            },
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_header_without_question_or_answer_is_refused_in_both_languages() {
        let error = read(Format::Csv, "问题,分类\n多久发货,物流\n".as_bytes());
        assert_eq!(error, Err(SheetError::MissingColumns(vec![Column::Answer])));
        let message = error.err().map(|e| e.message()).expect("message");
        assert!(message.zh.contains("答案"), "{}", message.zh);
        assert!(message.en.contains("answer"), "{}", message.en);
    }

    #[test]
    fn csv_in_utf8_with_bom_utf16_and_gbk_reads_the_same() {
        let text = "问题,答案\n多久发货,48小时\n";
        let expect = |bytes: &[u8]| {
            let rows = read(Format::Csv, bytes).expect("rows");
            assert_eq!(rows[0].get(Column::Question), Some("多久发货"));
        };
        expect(text.as_bytes());
        expect(&[b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat());
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        expect(&gbk);
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        expect(&utf16);
        // Invalid in UTF-8 and in GB 18030 alike.
        assert_eq!(
            read(Format::Csv, b"\xEF\xBB\xBF\xff\xfe\x80,x\n"),
            Err(SheetError::NotUtf8)
        );
        assert_eq!(
            read(Format::Csv, b"\x81\x20,\x80\n"),
            Err(SheetError::NotUtf8)
        );
    }

    #[test]
    fn damaged_files_are_unreadable() {
        assert_eq!(
            read(Format::Xlsx, b"PK\x03\x04 not really a workbook"),
            Err(SheetError::Unreadable)
        );
        // A workbook sent as CSV.
        assert_eq!(
            read(Format::Csv, b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
            Err(SheetError::Unreadable)
        );
    }

    #[test]
    fn limits_are_enforced() {
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert!(matches!(
            read(Format::Csv, &big),
            Err(SheetError::TooLarge { .. })
        ));
        let mut many = String::from("问题,答案\n");
        for n in 0..=MAX_ROWS {
            many.push_str(&format!("问{n},答{n}\n"));
        }
        assert_eq!(
            read(Format::Csv, many.as_bytes()),
            Err(SheetError::TooManyRows { rows: MAX_ROWS + 1 })
        );
    }

    /// A workbook as a shop's spreadsheet has it: a birthday formatted as a date (written as a
    /// date, and as a bare serial number with a date format), a last order with its time of
    /// day, a time alone, and numbers that are not dates.
    fn workbook_with_dates() -> Vec<u8> {
        use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
        let mut workbook = Workbook::new();
        let date = CellFormat::new().set_num_format("yyyy-mm-dd");
        let chinese_date = CellFormat::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
        let date_time = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm");
        let clock = CellFormat::new().set_num_format("hh:mm");
        let decimals = CellFormat::new().set_num_format("0.00");
        let sheet = workbook.add_worksheet();
        let written = (|| -> Result<(), rust_xlsxwriter::XlsxError> {
            for (column, name) in [
                "birthday",
                "anniversary",
                "last_order",
                "call_at",
                "points",
                "price",
            ]
            .iter()
            .enumerate()
            {
                sheet.write_string(0, column as u16, *name)?;
            }
            sheet.write_datetime_with_format(1, 0, ExcelDateTime::from_ymd(1990, 3, 8)?, &date)?;
            // 2024-01-01 as Excel stores it, with a Chinese date format.
            sheet.write_number_with_format(1, 1, 45292, &chinese_date)?;
            let order = ExcelDateTime::from_ymd(2026, 11, 30)?.and_hms(21, 45, 0)?;
            sheet.write_datetime_with_format(1, 2, order, &date_time)?;
            sheet.write_datetime_with_format(1, 3, ExcelDateTime::from_hms(9, 30, 0)?, &clock)?;
            sheet.write_number(1, 4, 45292)?;
            sheet.write_number_with_format(1, 5, 45292.5, &decimals)?;
            Ok(())
        })();
        written.expect("sheet written");
        workbook.save_to_buffer().expect("workbook")
    }

    #[test]
    fn date_cells_read_as_iso_dates_and_numbers_stay_numbers() {
        let bytes = workbook_with_dates();
        let rows = records(Format::Xlsx, &bytes, 10, None).expect("rows");
        assert_eq!(
            rows[1].1,
            [
                "1990-03-08",
                "2024-01-01",
                "2026-11-30T21:45:00",
                "09:30:00",
                "45292",
                "45292.5"
            ]
        );
        // In the tenant's zone the date-time gets its offset; dates stay days.
        let rows =
            records(Format::Xlsx, &bytes, 10, Some(chrono_tz::Asia::Shanghai)).expect("rows");
        assert_eq!(rows[1].1[0], "1990-03-08");
        assert_eq!(rows[1].1[2], "2026-11-30T21:45:00+08:00");
        let rows =
            records(Format::Xlsx, &bytes, 10, Some(chrono_tz::America::New_York)).expect("rows");
        assert_eq!(rows[1].1[2], "2026-11-30T21:45:00-05:00");
    }

    #[test]
    fn exports_read_back_as_written() {
        let entries = vec![
            entry("kbe_1", "多久发货", &["什么时候发货", "几天能发"], true),
            entry("kbe_2", "Can I get an invoice, \"VAT\"?", &[], false),
        ];
        for format in [Format::Csv, Format::Xlsx] {
            for language in [Language::Chinese, Language::English] {
                let bytes = write(format, language, &entries).expect("write");
                let rows = read(format, &bytes).expect("read");
                assert_eq!(rows.len(), 2, "{format:?}");
                for (row, entry) in rows.iter().zip(&entries) {
                    assert_eq!(row.get(Column::Id), Some(entry.id.as_str()));
                    assert_eq!(
                        row.get(Column::Question),
                        Some(entry.fields.question.as_str())
                    );
                    assert_eq!(row.alternatives(), entry.fields.alternatives);
                    assert_eq!(
                        row.get(Column::Enabled).and_then(parse_enabled),
                        Some(entry.fields.enabled)
                    );
                }
                assert_eq!(rows[1].row, 3);
            }
        }
    }
}
