//! A single keypad key, spoken or keyed.

use super::{en_digit, fold, Phrases};
use crate::text::is_cjk;

/// A single keypad key from speech or keys: "一" / "one" / "1" → '1', "井号" → '#'.
///
/// Accepts one key among filler words: "按1", "按一", "我选三", "第一个" → '1', "press two",
/// "option 3"; "星号"/"星"/"star"/"asterisk"/"*" → '*', "井号"/"井"/"pound"/"hash"/"#" →
/// '#'. `None` for anything else, including several keys ("12") and words that are not filler.
pub fn parse_key(text: &str) -> Option<char> {
    let chars = fold(text);
    let mut key = None;
    let mut take = |k: char| -> Option<()> {
        if key.is_some() {
            return None;
        }
        key = Some(k);
        Some(())
    };
    // Segments are read lazily: most answers fail at their first word that is neither a key nor
    // filler, and nothing is copied before then.
    for segment in segments_with_symbols(&chars) {
        match segment {
            KeySegment::Cjk(run) => {
                let mut i = 0;
                while i < run.len() {
                    let (len, k) = CN_KEYS.longest(&run[i..])?;
                    if let Some(k) = k {
                        take(k)?;
                    }
                    i += len;
                }
            }
            KeySegment::Word(word) => {
                let word: String = word.iter().collect();
                if let Some(k) = key_word(&word)? {
                    take(k)?;
                }
            }
            KeySegment::Symbol(k) => take(k)?,
        }
    }
    key
}

enum KeySegment<'a> {
    Cjk(&'a [char]),
    Word(&'a [char]),
    Symbol(char),
}

fn segments_with_symbols(chars: &[char]) -> impl Iterator<Item = KeySegment<'_>> {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < chars.len() {
            let c = chars[i];
            let start = i;
            if is_cjk(c) {
                while i < chars.len() && is_cjk(chars[i]) {
                    i += 1;
                }
                return Some(KeySegment::Cjk(&chars[start..i]));
            } else if c.is_ascii_alphanumeric() {
                // Digits stand alone ("按1" and "12" are one and two keys); letters form words.
                if c.is_ascii_digit() {
                    i += 1;
                } else {
                    while i < chars.len() && chars[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                }
                return Some(KeySegment::Word(&chars[start..i]));
            } else if matches!(c, '*' | '#') {
                i += 1;
                return Some(KeySegment::Symbol(c));
            } else if c.is_alphanumeric() {
                // Another script's letters cannot be a key or filler.
                i += 1;
                return Some(KeySegment::Word(&chars[start..i]));
            }
            i += 1;
        }
        None
    })
}

/// Chinese key words and fillers: `Some(key)` or `None` for filler; anything else is not a key.
static CN_KEYS: Phrases<Option<char>> = Phrases::new(&[
    ("零", Some('0')),
    ("〇", Some('0')),
    ("洞", Some('0')),
    ("一", Some('1')),
    ("幺", Some('1')),
    ("二", Some('2')),
    ("两", Some('2')),
    ("三", Some('3')),
    ("四", Some('4')),
    ("五", Some('5')),
    ("六", Some('6')),
    ("七", Some('7')),
    ("八", Some('8')),
    ("九", Some('9')),
    ("星", Some('*')),
    ("星号", Some('*')),
    ("米字", Some('*')),
    ("米字号", Some('*')),
    ("井", Some('#')),
    ("井号", Some('#')),
    ("井字", Some('#')),
    ("井字号", Some('#')),
    ("请", None),
    ("我", None),
    ("要", None),
    ("想", None),
    ("按", None),
    ("下", None),
    ("一下", None),
    ("键", None),
    ("选", None),
    ("择", None),
    ("就", None),
    ("吧", None),
    ("了", None),
    ("的", None),
    ("第", None),
    ("个", None),
    ("项", None),
    ("号", None),
    ("是", None),
    ("那", None),
    ("嗯", None),
    ("呃", None),
    ("啊", None),
    ("输", None),
    ("入", None),
    ("拨", None),
    ("打", None),
    ("数", None),
    ("字", None),
    ("好", None),
]);

/// An English key word: `Some(Some(key))`, `Some(None)` for filler, `None` for other words.
fn key_word(word: &str) -> Option<Option<char>> {
    if let Some(d) = en_digit(word) {
        return char::from_digit(d, 10).map(Some);
    }
    if word.len() == 1 && word.as_bytes()[0].is_ascii_digit() {
        return word.chars().next().map(Some);
    }
    match word {
        "star" | "asterisk" => Some(Some('*')),
        "pound" | "hash" | "hashtag" | "sharp" => Some(Some('#')),
        "press" | "push" | "hit" | "dial" | "enter" | "key" | "button" | "number" | "option"
        | "choice" | "choose" | "select" | "pick" | "digit" | "the" | "i" | "ill" | "id"
        | "want" | "to" | "please" | "um" | "uh" | "ok" | "okay" | "let" | "me" | "go" | "with"
        | "for" | "it" | "is" | "its" | "just" | "on" | "sign" | "like" | "would" => Some(None),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let cases = [
            ("1", '1'),
            ("一", '1'),
            ("幺", '1'),
            ("one", '1'),
            ("按1", '1'),
            ("按一", '1'),
            ("按键一", '1'),
            ("第一个", '1'),
            ("我选三", '3'),
            ("请按五号键", '5'),
            ("零", '0'),
            ("zero", '0'),
            ("press two", '2'),
            ("Option 3", '3'),
            ("星号", '*'),
            ("星", '*'),
            ("star", '*'),
            ("*", '*'),
            ("＊", '*'),
            ("井号", '#'),
            ("井号键", '#'),
            ("pound", '#'),
            ("hash", '#'),
            ("#", '#'),
            ("＃", '#'),
            ("９", '9'),
            ("按一下五", '5'),
        ];
        for (text, want) in cases {
            assert_eq!(parse_key(text), Some(want), "{text}");
        }
        for text in [
            "",
            "12",
            "一二",
            "十",
            "ten",
            "hello",
            "按",
            "不按",
            "1 or 2",
            "转人工",
            "#1",
            "ß",
            "the first",
        ] {
            assert_eq!(parse_key(text), None, "{text}");
        }
    }
}
