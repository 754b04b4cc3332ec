use std::collections::BTreeSet;
use std::path::Path;

use super::*;

/// Latin words a Chinese text may hold: technical names a manager types as they are (formats,
/// protocols, the expression language's words) and parts of examples written in code.
const LATIN_IN_CHINESE: &[&str] = &[
    "JSON",
    "UTF",
    "BOM",
    "MiB",
    "URL",
    "SIP",
    "HTTP",
    "ID",
    "Callflow",
    "null",
    "true",
    "false",
    "schema",
    "name",
    "nodes",
    "type",
    "vars",
    "status",
    "shipped",
    "https",
    "http",
    "sip",
    "api",
    "example",
    "com",
    "orders",
    "tenant",
    "body",
    "order",
    "items",
    "headers",
    "agent",
    "Authorization",
    "track_order",
    "xx",
    "call",
    "input",
    "customer",
    "let",
    "eval",
    "this",
    "for",
    "caller",
    "digits",
    "silence",
    "hangup",
];

/// The runs of three or more Latin letters in `text` that are neither in `verbatim` (ids and
/// values shown as the user wrote them) nor technical words.
pub(crate) fn english_words<'t>(text: &'t str, verbatim: &[&str]) -> Vec<&'t str> {
    let mut words = Vec::new();
    let mut start = None;
    for (at, ch) in text.char_indices().chain([(text.len(), ' ')]) {
        let latin = ch.is_ascii_alphabetic() || ch == '_' || ch.is_ascii_digit();
        match (latin, start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                let word = &text[from..at];
                start = None;
                let letters = word.chars().filter(char::is_ascii_alphabetic).count();
                if letters >= 3
                    && !LATIN_IN_CHINESE.contains(&word)
                    && !verbatim.iter().any(|v| v.contains(word))
                {
                    words.push(word);
                }
            }
            _ => {}
        }
    }
    words
}

/// Fails when a message worded in Chinese holds an English word that is not the user's own.
#[track_caller]
pub(crate) fn assert_chinese(message: &Message) {
    let text = message.render(Locale::Chinese);
    let words = english_words(&text, &message.verbatim());
    assert!(
        words.is_empty(),
        "{}: English words {words:?} in \"{text}\"",
        message.key
    );
}

fn placeholders(text: &str) -> BTreeSet<&str> {
    text.split("{$")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

#[test]
fn both_catalogues_have_every_key_with_the_same_parameters() {
    let english = catalogue(Locale::English);
    let chinese = catalogue(Locale::Chinese);
    let keys = |c: &HashMap<String, String>| c.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(keys(english), keys(chinese), "the catalogues' keys differ");
    for (key, text) in english {
        assert_eq!(
            placeholders(text),
            placeholders(&chinese[key]),
            "{key}: the parameters differ"
        );
    }
}

#[test]
fn chinese_texts_are_chinese() {
    for (key, text) in catalogue(Locale::Chinese) {
        let mut bare = String::new();
        for (i, piece) in text.split("{$").enumerate() {
            let outside = if i == 0 {
                Some(piece)
            } else {
                piece.split_once('}').map(|(_, rest)| rest)
            };
            bare.push_str(outside.unwrap_or(""));
        }
        let words = english_words(&bare, &[]);
        assert!(
            words.is_empty(),
            "{key}: English words {words:?} in \"{text}\""
        );
    }
}

/// Every key the code names (in `msg!`, `term` and term literals) is in the catalogues.
#[test]
fn every_key_used_is_in_both_catalogues() {
    let mut used = BTreeSet::new();
    collect_keys(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut used,
    );
    assert!(used.len() > 100, "found only {} keys", used.len());
    for key in &used {
        for locale in [Locale::English, Locale::Chinese] {
            assert!(
                catalogue(locale).contains_key(key.as_str()),
                "{key} is missing from the {locale:?} catalogue"
            );
        }
    }
}

fn collect_keys(dir: &Path, used: &mut BTreeSet<String>) {
    let entries = std::fs::read_dir(dir).expect("the source folder can be read");
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_keys(&path, used);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).expect("a source file can be read");
            used.extend(keys_named_in(&source));
        }
    }
}

/// The keys named in `msg!`, in `term` and as quoted term literals.
pub(crate) fn keys_named_in(source: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for opener in ["msg!(\n", "msg!(", "term(\""] {
        for piece in source.split(opener).skip(1) {
            let piece = piece.trim_start();
            let piece = piece.strip_prefix('"').unwrap_or(piece);
            if let Some((key, _)) = piece.split_once('"') {
                if is_key_like(key) {
                    keys.push(key.to_owned());
                }
            }
        }
    }
    for piece in source.split("\"term.").skip(1) {
        if let Some((rest, _)) = piece.split_once('"') {
            if !rest.is_empty() && is_key_like(rest) {
                keys.push(format!("term.{rest}"));
            }
        }
    }
    keys
}

fn is_key_like(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

#[test]
fn parameters_are_put_in_place_and_nested_messages_worded_alike() {
    let message = msg!(
        "dangling_port",
        port = term("port.no_input"),
        id = "nowhere"
    );
    assert_eq!(
        message.render(Locale::English),
        "The \"no_input\" connection leads to node \"nowhere\", which does not exist. Connect it \
         to an existing node (check the spelling of the id)."
    );
    assert_eq!(
        message.render(Locale::Chinese),
        "「没回应」连线指向的节点「nowhere」不存在。请连到一个存在的节点（检查 ID 的拼写）。"
    );
    assert_eq!(message.verbatim(), ["nowhere"]);
    let json = serde_json::to_value(&message).expect("serializes");
    assert_eq!(json["key"], "dangling_port");
    assert_eq!(json["params"]["id"], "nowhere");
    assert_eq!(json["params"]["port"]["key"], "port.no_input");
}

#[test]
fn english_words_are_found_unless_the_user_wrote_them() {
    assert_eq!(
        english_words("节点「ask1」没有 next 连线", &[]),
        ["ask1", "next"]
    );
    assert!(english_words("节点「ask1」没有连线", &["ask1"]).is_empty());
    assert!(english_words("第 2 行，vars.eta", &[]).len() == 1);
}

#[test]
fn locales_are_read_from_tags() {
    assert_eq!(Locale::of_tag("zh-CN"), Some(Locale::Chinese));
    assert_eq!(Locale::of_tag("zh_CN.UTF-8"), Some(Locale::Chinese));
    assert_eq!(Locale::of_tag("en_US.UTF-8"), Some(Locale::English));
    assert_eq!(Locale::of_tag("C.UTF-8"), None);
}
