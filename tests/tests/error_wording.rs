//! Every error answer the server's code words in English has its Chinese too: a structural check
//! over the source, since most error paths need a particular state to be reached. An error made
//! with an English text (a literal or a `format!`) must, in the same expression, give its Chinese
//! (`in_chinese`, `reworded`, `Text::new`) or pick by language. Errors whose detail comes in a
//! variable were worded where that variable was made; `scripts/api-contract` catches those at
//! run time (the server logs `english_only_error_detail` when a Chinese request gets English).

use std::path::Path;

use callflow_tests::root;

const CONSTRUCTORS: [&str; 7] = [
    "ApiError::new(",
    "ApiError::bad_request(",
    "ApiError::unauthorized(",
    "ApiError::forbidden(",
    "ApiError::conflict(",
    "ApiError::not_found(",
    "ApiError::invalid_field(",
];

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The expression starting at `start` (a constructor's name): its call and the method calls
/// chained on it, up to the `;`, `,` or closing bracket that ends it.
fn expression(source: &str, start: usize) -> &str {
    let mut depth = 0i32;
    for (offset, c) in source[start..].char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return &source[start..start + offset],
            ')' | ']' | '}' => depth -= 1,
            ';' | ',' if depth == 0 => return &source[start..start + offset],
            _ => {}
        }
    }
    &source[start..]
}

/// Whether the expression holds English words in a string literal: a detail written here.
/// (Splitting at every `"` is rough: an escaped quote would shift literals; none is needed yet.)
fn words_english_here(expression: &str) -> bool {
    expression.split('"').skip(1).step_by(2).any(|literal| {
        // A code (`invalid_body`) or a pointer (`/name`) is one word; a sentence has several.
        literal
            .split_whitespace()
            .filter(|word| word.chars().filter(char::is_ascii_alphabetic).count() >= 2)
            .count()
            >= 2
    })
}

fn is_worded_in_both(expression: &str) -> bool {
    has_chinese(expression)
        || [
            "in_chinese(",
            "reworded(",
            "Text::new(",
            ".pick(",
            "Language::",
        ]
        .iter()
        .any(|sign| expression.contains(sign))
}

fn english_only(dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read the source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            english_only(&path, found);
            continue;
        }
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("read a source file");
        // Unit tests make errors to look at them, not to answer anyone.
        let source = source.split("#[cfg(test)]").next().unwrap_or_default();
        for constructor in CONSTRUCTORS {
            for (start, _) in source.match_indices(constructor) {
                let expression = expression(source, start);
                if words_english_here(expression) && !is_worded_in_both(expression) {
                    let line = source[..start].lines().count();
                    found.push(format!(
                        "{}:{line}: {}",
                        path.strip_prefix(root()).unwrap_or(&path).display(),
                        expression.split_whitespace().collect::<Vec<_>>().join(" ")
                    ));
                }
            }
        }
    }
}

#[test]
fn every_error_worded_in_english_is_worded_in_chinese_too() {
    let mut found = Vec::new();
    english_only(&root().join("server/src"), &mut found);
    assert!(
        found.is_empty(),
        "errors with no Chinese wording:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_an_english_only_error() {
    let english = r#"ApiError::conflict("not_yours", "you have not taken this conversation")"#;
    assert!(words_english_here(english) && !is_worded_in_both(english));
    let both =
        r#"ApiError::conflict("not_yours", "you have not taken it").in_chinese("你没有接手")"#;
    assert!(is_worded_in_both(expression(both, 0)));
    let chained = "ApiError::not_found(\"the call\")\n    .in_chinese(\"找不到这通通话\");";
    assert!(is_worded_in_both(expression(chained, 0)));
}
