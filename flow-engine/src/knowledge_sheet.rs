//! FAQ spreadsheets as CS managers keep them: a header row naming the columns in Chinese or
//! English, in any order, then one entry per row. Columns: `问题|question`, `相似问法|alternatives`
//! (one per line, or separated by `|`), `答案|answer`, `分类|category`, `启用|enabled`
//! (是/否, yes/no, true/false, 1/0) and `编号|id`; other columns (notes) are ignored.
//!
//! The one reading of that format: the server's knowledge-base import (which first turns a
//! file's bytes, CSV in any of its encodings or XLSX, into records) and conversation tests
//! (`knowledge:` in a test file, CSV text) both go through [`rows`]. Rows are numbered as a
//! spreadsheet shows them: the header is row 1.

use crate::knowledge::KnowledgeEntry;

/// The columns, in export order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    Question,
    Alternatives,
    Answer,
    Category,
    Enabled,
}

impl Column {
    pub const ALL: [Column; 6] = [
        Column::Id,
        Column::Question,
        Column::Alternatives,
        Column::Answer,
        Column::Category,
        Column::Enabled,
    ];

    /// Its header in Chinese and in English.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Column::Id => ("编号", "id"),
            Column::Question => ("问题", "question"),
            Column::Alternatives => ("相似问法", "alternatives"),
            Column::Answer => ("答案", "answer"),
            Column::Category => ("分类", "category"),
            Column::Enabled => ("启用", "enabled"),
        }
    }

    /// The column a header cell names (English in any case, a BOM or spaces around ignored).
    pub fn of_header(header: &str) -> Option<Column> {
        let header = header.trim().trim_start_matches('\u{feff}').trim();
        Column::ALL.into_iter().find(|column| {
            let (zh, en) = column.names();
            header == zh || header.eq_ignore_ascii_case(en)
        })
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// One data row: its spreadsheet row number and its cells by [`Column`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    pub row: usize,
    cells: [Option<String>; 6],
}

impl SheetRow {
    /// The cell of `column`, trimmed; `None` when the column is absent or the cell blank.
    pub fn get(&self, column: Column) -> Option<&str> {
        self.cells[column.slot()]
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
    }

    /// The alternatives cell split into questions.
    pub fn alternatives(&self) -> Vec<String> {
        self.get(Column::Alternatives)
            .map(split_alternatives)
            .unwrap_or_default()
    }
}

/// One question per line, or separated by `|`.
pub fn split_alternatives(cell: &str) -> Vec<String> {
    cell.split(['\n', '|'])
        .map(|part| part.trim().trim_end_matches('\r').trim())
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An `enabled` cell's meaning; `None` when it says neither yes nor no.
pub fn parse_enabled(cell: &str) -> Option<bool> {
    match cell.trim().to_lowercase().as_str() {
        "是" | "启用" | "yes" | "y" | "true" | "1" | "on" => Some(true),
        "否" | "停用" | "禁用" | "no" | "n" | "false" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// Why records are not a sheet of entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// No header row, or one without the question or the answer column.
    MissingColumns(Vec<Column>),
    /// The same column twice in the header (the header cell as written).
    DuplicateColumn(String),
}

/// The data rows of records (each with its row number, the header first), blank rows left
/// out.
pub fn rows(
    records: impl IntoIterator<Item = (usize, Vec<String>)>,
) -> Result<Vec<SheetRow>, HeaderError> {
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(HeaderError::MissingColumns(vec![
            Column::Question,
            Column::Answer,
        ]));
    };
    let mut slots: Vec<Option<Column>> = Vec::with_capacity(header.len());
    for name in &header {
        let column = Column::of_header(name);
        if let Some(column) = column {
            if slots.contains(&Some(column)) {
                return Err(HeaderError::DuplicateColumn(name.trim().to_owned()));
            }
        }
        slots.push(column);
    }
    let missing: Vec<Column> = [Column::Question, Column::Answer]
        .into_iter()
        .filter(|column| !slots.contains(&Some(*column)))
        .collect();
    if !missing.is_empty() {
        return Err(HeaderError::MissingColumns(missing));
    }
    let mut data = Vec::new();
    for (row, cells) in records {
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let mut sheet_row = SheetRow {
            row,
            cells: Default::default(),
        };
        for (cell, slot) in cells.into_iter().zip(&slots) {
            if let Some(column) = slot {
                sheet_row.cells[column.slot()] = Some(cell);
            }
        }
        data.push(sheet_row);
    }
    Ok(data)
}

/// Why CSV text has no records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvError {
    /// Not CSV text (a NUL character, say: a binary file).
    Unreadable,
    /// More data rows than allowed; how many were read when reading stopped.
    TooManyRows { rows: usize },
}

/// The records of CSV text (RFC 4180: fields separated by commas, quoted when they hold
/// commas, quotes (doubled) or line breaks; lines end in LF, CRLF or CR), each with its row
/// number as a spreadsheet shows it: a blank line is a (blank) row, a line break inside a
/// quoted cell is not. At most `max_rows` data rows after the header.
pub fn csv_records(text: &str, max_rows: usize) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\0') {
        return Err(CsvError::Unreadable);
    }
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut end_row = |row: &mut Vec<String>, field: &mut String| {
        row.push(std::mem::take(field));
        records.push((records.len() + 1, std::mem::take(row)));
        if records.len() > max_rows.saturating_add(1) {
            return Err(CsvError::TooManyRows {
                rows: records.len() - 1,
            });
        }
        Ok(())
    };
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                chars.next_if_eq(&'\n');
                end_row(&mut row, &mut field)?;
            }
            (false, '\n') => end_row(&mut row, &mut field)?,
            (false, c) => field.push(c),
        }
    }
    // A quote never closed swallowed the rest of the file: not a sheet anyone meant.
    if quoted {
        return Err(CsvError::Unreadable);
    }
    if !field.is_empty() || !row.is_empty() {
        end_row(&mut row, &mut field)?;
    }
    Ok(records)
}

/// The enabled entries of CSV text, for conversation tests. An entry without an `id` is
/// called `row-<n>`, its spreadsheet row. Errors name the row.
pub fn entries_from_csv(text: &str) -> Result<Vec<KnowledgeEntry>, String> {
    let records = csv_records(text, usize::MAX).map_err(|error| match error {
        CsvError::Unreadable => {
            "the file is not CSV text, or a quoted cell is never closed".to_owned()
        }
        CsvError::TooManyRows { rows } => format!("the file has more than {rows} rows"),
    })?;
    let rows = rows(records).map_err(|error| match error {
        HeaderError::MissingColumns(columns) => {
            let names: Vec<String> = columns
                .iter()
                .map(|column| {
                    let (zh, en) = column.names();
                    format!("{zh} / {en}")
                })
                .collect();
            format!("the header has no {} column", names.join(" or "))
        }
        HeaderError::DuplicateColumn(name) => format!("the header has the column {name} twice"),
    })?;
    let mut entries = Vec::new();
    for row in rows {
        let number = row.row;
        let enabled = match row.get(Column::Enabled) {
            None => true,
            Some(cell) => parse_enabled(cell)
                .ok_or_else(|| format!("row {number}: enabled is \"{cell}\", not yes or no"))?,
        };
        if !enabled {
            continue;
        }
        let (Some(question), Some(answer)) = (row.get(Column::Question), row.get(Column::Answer))
        else {
            return Err(format!(
                "row {number}: a question and an answer are required"
            ));
        };
        entries.push(KnowledgeEntry {
            id: row
                .get(Column::Id)
                .map_or_else(|| format!("row-{number}"), str::to_owned),
            question: question.to_owned(),
            alternatives: row.alternatives(),
            answer: answer.to_owned(),
            category: row.get(Column::Category).unwrap_or_default().to_owned(),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<(usize, Vec<String>)> {
        csv_records(text, 100).expect("records")
    }

    #[test]
    fn columns_in_any_order_quotes_and_disabled_rows() {
        let text = "\u{feff}answer,question,alternatives,enabled\r\n\
                    \"Within 48 hours, usually.\",When do you ship?,\"When will it ship\nShipping time|dispatch\",yes\r\n\
                    \"Say \"\"hi\"\"\",Old question,,no\r\n\
                    \r\n\
                    Free over $50.,Is shipping free?,,\n";
        let entries = entries_from_csv(text).expect("parses");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].id, "row-2");
        assert_eq!(entries[0].answer, "Within 48 hours, usually.");
        assert_eq!(
            entries[0].alternatives,
            vec!["When will it ship", "Shipping time", "dispatch"]
        );
        assert_eq!(entries[1].id, "row-5");
        assert_eq!(entries[1].question, "Is shipping free?");
        let chinese = "编号,问题,答案,分类\nkbe_1,多久发货,\"付款后48小时内发货，\"\"急单\"\"可备注。\",物流\n";
        let entries = entries_from_csv(chinese).expect("parses");
        assert_eq!(entries[0].id, "kbe_1");
        assert_eq!(entries[0].answer, "付款后48小时内发货，\"急单\"可备注。");
        assert_eq!(entries[0].category, "物流");
    }

    #[test]
    fn problems_name_the_row() {
        assert!(entries_from_csv("").is_err());
        let missing = entries_from_csv("问题,答案\n多久发货,\n").expect_err("no answer");
        assert!(missing.contains("row 2"), "{missing}");
        let enabled = entries_from_csv("问题,答案,启用\n多久发货,很快,也许\n").expect_err("bad");
        assert!(enabled.contains("row 2"), "{enabled}");
        let header = entries_from_csv("question\nx\n").expect_err("no answer column");
        assert!(header.contains("answer"), "{header}");
        let open = entries_from_csv("问题,答案\n\"多久发货,很快\n").expect_err("open quote");
        assert!(open.contains("never closed"), "{open}");
    }

    #[test]
    fn headers_are_chinese_or_english_in_any_order() {
        let rows = rows(records(
            "Answer,备注,问题,ENABLED\n可以开,内部,能开发票吗,否\n\n,,,\nyes,,,\n",
        ))
        .expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].get(Column::Question), Some("能开发票吗"));
        assert_eq!(rows[0].get(Column::Answer), Some("可以开"));
        assert_eq!(rows[0].get(Column::Enabled), Some("否"));
        assert_eq!(rows[0].get(Column::Category), None);
        assert_eq!(rows[1].get(Column::Answer), Some("yes"));
    }

    #[test]
    fn a_header_without_question_or_answer_is_refused() {
        assert_eq!(
            rows(records("问题,分类\n多久发货,物流\n")),
            Err(HeaderError::MissingColumns(vec![Column::Answer]))
        );
        assert_eq!(
            rows(records("问题,question,答案\n")),
            Err(HeaderError::DuplicateColumn("question".to_owned()))
        );
        assert_eq!(
            rows(Vec::new()),
            Err(HeaderError::MissingColumns(vec![
                Column::Question,
                Column::Answer
            ]))
        );
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_shows_them() {
        let numbers: Vec<usize> = records(
            "问题,答案\n\"多久\n发货\",很快\n\n退款,三天\r\n发票,\"可以\r\n开\"\n会员,有\n",
        )
        .iter()
        .map(|(row, _)| *row)
        .collect();
        // The quoted two-line cell is one row, the blank line one.
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn csv_limits_and_binary_text() {
        assert_eq!(
            csv_records("问题,答案\n1,1\n2,2\n3,3\n", 2),
            Err(CsvError::TooManyRows { rows: 3 })
        );
        assert_eq!(
            csv_records("问题,答案\n1,1\n2,2\n", 2).map(|r| r.len()),
            Ok(3)
        );
        assert_eq!(
            csv_records("PK\u{3}\u{4}\0\0", 10),
            Err(CsvError::Unreadable)
        );
        assert_eq!(
            csv_records("问题,答案\r旧式换行,\"可以\"\r", 10),
            Ok(vec![
                (1, vec!["问题".to_owned(), "答案".to_owned()]),
                (2, vec!["旧式换行".to_owned(), "可以".to_owned()]),
            ])
        );
    }

    #[test]
    fn enabled_cells_read_in_both_languages() {
        for yes in ["是", "启用", "YES", "true", "1"] {
            assert_eq!(parse_enabled(yes), Some(true), "{yes}");
        }
        for no in ["否", "停用", "no", "False", "0"] {
            assert_eq!(parse_enabled(no), Some(false), "{no}");
        }
        assert_eq!(parse_enabled("也许"), None);
    }
}
