//! What makes an entry acceptable: a question and an answer, texts of bounded length, a bounded
//! number of alternative questions, and an answer template the engine can parse (the `answer`
//! node renders it). Messages come in both languages; codes are stable.

use flow_engine::script::Sandbox;
use flow_engine::template::Template;

use crate::language::Text;
use crate::store::EntryFields;

pub const MAX_QUESTION_CHARS: usize = 500;
pub const MAX_ANSWER_CHARS: usize = 4_000;
pub const MAX_CATEGORY_CHARS: usize = 100;
pub const MAX_ALTERNATIVES: usize = 50;

/// One thing wrong with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryProblem {
    /// `question`, `alternatives`, `answer`, `category`, `enabled` or `id`.
    pub field: &'static str,
    pub code: &'static str,
    pub message: Text,
}

impl EntryProblem {
    pub fn new(field: &'static str, code: &'static str, message: Text) -> EntryProblem {
        EntryProblem {
            field,
            code,
            message,
        }
    }
}

/// The entry as it is stored: texts trimmed, empty and repeated alternatives (and ones equal to
/// the question) dropped.
pub fn clean(fields: EntryFields) -> EntryFields {
    let question = fields.question.trim().to_owned();
    let mut alternatives: Vec<String> = Vec::with_capacity(fields.alternatives.len());
    for alternative in fields.alternatives {
        let alternative = alternative.trim();
        if !alternative.is_empty()
            && alternative != question
            && !alternatives.iter().any(|seen| seen == alternative)
        {
            alternatives.push(alternative.to_owned());
        }
    }
    EntryFields {
        question,
        alternatives,
        answer: fields.answer.trim().to_owned(),
        category: fields.category.trim().to_owned(),
        enabled: fields.enabled,
    }
}

/// Everything wrong with a cleaned entry; empty when it may be saved.
pub fn check(fields: &EntryFields, sandbox: &Sandbox) -> Vec<EntryProblem> {
    let mut problems = Vec::new();
    if fields.question.is_empty() {
        problems.push(EntryProblem::new(
            "question",
            "empty_question",
            Text::new("问题不能为空。", "The question is empty."),
        ));
    }
    too_long(
        &mut problems,
        "question",
        &fields.question,
        MAX_QUESTION_CHARS,
    );
    if fields.alternatives.len() > MAX_ALTERNATIVES {
        problems.push(EntryProblem::new(
            "alternatives",
            "too_many_alternatives",
            Text::new(
                format!(
                    "相似问法有 {} 个，最多 {MAX_ALTERNATIVES} 个。",
                    fields.alternatives.len()
                ),
                format!(
                    "There are {} alternative questions; at most {MAX_ALTERNATIVES} are allowed.",
                    fields.alternatives.len()
                ),
            ),
        ));
    }
    if let Some(long) = fields
        .alternatives
        .iter()
        .find(|alternative| alternative.chars().count() > MAX_QUESTION_CHARS)
    {
        too_long(&mut problems, "alternatives", long, MAX_QUESTION_CHARS);
    }
    if fields.answer.is_empty() {
        problems.push(EntryProblem::new(
            "answer",
            "empty_answer",
            Text::new("答案不能为空。", "The answer is empty."),
        ));
    }
    too_long(&mut problems, "answer", &fields.answer, MAX_ANSWER_CHARS);
    too_long(
        &mut problems,
        "category",
        &fields.category,
        MAX_CATEGORY_CHARS,
    );
    if let Err(error) = Template::parse(&fields.answer, sandbox) {
        problems.push(EntryProblem::new(
            "answer",
            "invalid_template",
            Text::new(
                format!(
                    "答案中的模板无法解析（第 {} 行第 {} 列）：{}",
                    error.line, error.column, error.message
                ),
                format!(
                    "The answer's template does not parse (line {}, column {}): {}",
                    error.line, error.column, error.message
                ),
            ),
        ));
    }
    problems
}

fn too_long(problems: &mut Vec<EntryProblem>, field: &'static str, text: &str, max: usize) {
    let count = text.chars().count();
    if count <= max {
        return;
    }
    let (zh_name, en_name) = match field {
        "question" => ("问题", "The question"),
        "alternatives" => ("相似问法", "An alternative question"),
        "answer" => ("答案", "The answer"),
        _ => ("分类", "The category"),
    };
    problems.push(EntryProblem::new(
        field,
        "too_long",
        Text::new(
            format!("{zh_name}有 {count} 个字，最多 {max} 个。"),
            format!("{en_name} has {count} characters; at most {max} are allowed."),
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(question: &str, answer: &str) -> EntryFields {
        EntryFields {
            question: question.to_owned(),
            alternatives: Vec::new(),
            answer: answer.to_owned(),
            category: String::new(),
            enabled: true,
        }
    }

    fn codes(fields: &EntryFields) -> Vec<&'static str> {
        check(&clean(fields.clone()), &Sandbox::shared())
            .into_iter()
            .map(|problem| problem.code)
            .collect()
    }

    #[test]
    fn entries_need_a_question_and_an_answer_of_bounded_length() {
        assert!(codes(&entry("多久发货？", "付款后 48 小时内发货。")).is_empty());
        assert_eq!(
            codes(&entry("  ", "\n")),
            vec!["empty_question", "empty_answer"]
        );
        assert_eq!(
            codes(&entry(&"问".repeat(MAX_QUESTION_CHARS + 1), "好")),
            vec!["too_long"]
        );
        let mut many = entry("问", "答");
        many.alternatives = (0..=MAX_ALTERNATIVES).map(|n| format!("问{n}")).collect();
        assert_eq!(codes(&many), vec!["too_many_alternatives"]);
    }

    #[test]
    fn answers_are_templates_the_engine_parses() {
        assert!(codes(&entry("会员", "{{vars.name}}您好，会员免运费。")).is_empty());
        assert_eq!(
            codes(&entry("会员", "{{vars.name 您好")),
            vec!["invalid_template"]
        );
    }

    #[test]
    fn cleaning_drops_blank_and_repeated_alternatives() {
        let mut fields = entry(" 多久发货 ", " 48 小时 ");
        fields.alternatives = vec![
            "什么时候发货".into(),
            " ".into(),
            "什么时候发货 ".into(),
            "多久发货".into(),
        ];
        let cleaned = clean(fields);
        assert_eq!(cleaned.question, "多久发货");
        assert_eq!(cleaned.answer, "48 小时");
        assert_eq!(cleaned.alternatives, vec!["什么时候发货".to_owned()]);
    }
}
