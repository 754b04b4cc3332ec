//! FAQ spreadsheets saved as CSV, read into knowledge-base entries for conversation tests
//! (`knowledge:` in a test file) — the same columns the knowledge-base import takes, header in
//! Chinese or English, any order: 问题|question, 相似问法|alternatives (one per line or
//! separated by `|`), 答案|answer, 分类|category, 启用|enabled (是/否/true/false/1/0), 编号|id.

use crate::knowledge::KnowledgeEntry;

/// The enabled entries of a CSV text. An entry without an `id` column is called `row-<n>`, its
/// 1-based spreadsheet row. Errors name the row.
pub fn entries_from_csv(text: &str) -> Result<Vec<KnowledgeEntry>, String> {
    let rows = records(text.trim_start_matches('\u{feff}'))?;
    let Some((header, body)) = rows.split_first() else {
        return Err("the file is empty".into());
    };
    let column = |names: [&str; 2]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let question = column(["问题", "question"]).ok_or("no 问题 / question column")?;
    let answer = column(["答案", "answer"]).ok_or("no 答案 / answer column")?;
    let alternatives = column(["相似问法", "alternatives"]);
    let category = column(["分类", "category"]);
    let enabled = column(["启用", "enabled"]);
    let id = column(["编号", "id"]);
    let mut entries = Vec::new();
    for (i, row) in body.iter().enumerate() {
        let number = i + 2;
        let cell = |at: Option<usize>| at.and_then(|c| row.get(c)).map_or("", |v| v.trim());
        if row.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let on = match cell(enabled).to_lowercase().as_str() {
            "" | "是" | "true" | "1" | "yes" => true,
            "否" | "false" | "0" | "no" => false,
            other => {
                return Err(format!(
                    "row {number}: enabled is \"{other}\", not yes or no"
                ))
            }
        };
        if !on {
            continue;
        }
        let (q, a) = (cell(Some(question)), cell(Some(answer)));
        if q.is_empty() || a.is_empty() {
            return Err(format!(
                "row {number}: a question and an answer are required"
            ));
        }
        entries.push(KnowledgeEntry {
            id: match cell(id) {
                "" => format!("row-{number}"),
                id => id.to_owned(),
            },
            question: q.to_owned(),
            alternatives: cell(alternatives)
                .split(['\n', '|'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            answer: a.to_owned(),
            category: cell(category).to_owned(),
        });
    }
    Ok(entries)
}

/// RFC 4180 records: fields separated by commas, quoted when they hold commas, quotes (doubled)
/// or line breaks.
fn records(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut line = 1;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                line += 1;
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!(
            "a quoted field opened by line {line} is never closed"
        ));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let open = entries_from_csv("问题,答案\n\"多久发货,很快\n").expect_err("open quote");
        assert!(open.contains("never closed"), "{open}");
        assert!(
            entries_from_csv("question\nx\n").is_err(),
            "no answer column"
        );
    }
}
