//! What the engine says to people (validation problems), as a key and named parameters,
//! rendered in the reader's language from one catalogue per language. The catalogues are plain
//! `key = text` files embedded at compile time; `{$name}` in a text is a parameter's place.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// The languages the catalogues are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    English,
    Chinese,
}

impl Locale {
    /// `zh-CN`, `zh_CN.UTF-8`, `zh`: Chinese; `en…`: English; anything else is `None`.
    pub fn of_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "zh" || tag.starts_with("zh-") || tag.starts_with("zh_") {
            Some(Locale::Chinese)
        } else if tag == "en" || tag.starts_with("en-") || tag.starts_with("en_") {
            Some(Locale::English)
        } else {
            None
        }
    }
}

/// A message before it is worded: its catalogue key and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub params: Vec<(&'static str, Arg)>,
}

/// A parameter: text shown as it is (an id, a user's value, a number), or a message of its own
/// worded in the same language (a field's name, a sentence that only some problems add).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Message(Message),
}

impl Message {
    pub fn new(key: &'static str, params: Vec<(&'static str, Arg)>) -> Message {
        Message { key, params }
    }

    /// The text in `locale`; a key missing from that catalogue falls back to English.
    pub fn render(&self, locale: Locale) -> String {
        let template = catalogue(locale)
            .get(self.key)
            .or_else(|| catalogue(Locale::English).get(self.key))
            .map_or(self.key, |text| text.as_str());
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(start) = rest.find("{$") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                rest = &rest[start..];
                break;
            };
            let name = &after[..end];
            match self.params.iter().find(|(n, _)| *n == name) {
                Some((_, Arg::Text(text))) => out.push_str(text),
                Some((_, Arg::Message(message))) => out.push_str(&message.render(locale)),
                None => out.push_str(&rest[start..start + 2 + end + 1]),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The texts shown as they are, in this message and the messages inside it.
    pub fn verbatim(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for (_, arg) in &self.params {
            match arg {
                Arg::Text(text) => out.push(text.as_str()),
                Arg::Message(message) => out.extend(message.verbatim()),
            }
        }
        out
    }
}

/// A message with no parameters, such as a field's name given to another message.
pub fn term(key: &'static str) -> Message {
    Message::new(key, Vec::new())
}

/// A [`Message`] from its key and `name = value` parameters, each anything that converts into
/// an [`Arg`].
#[macro_export]
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::messages::Message::new(
            $key,
            vec![$((stringify!($name), $crate::messages::Arg::from($value))),*],
        )
    };
}

impl From<Message> for Arg {
    fn from(message: Message) -> Arg {
        Arg::Message(message)
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Arg {
        Arg::Text(text)
    }
}

impl From<&str> for Arg {
    fn from(text: &str) -> Arg {
        Arg::Text(text.to_owned())
    }
}

impl From<&String> for Arg {
    fn from(text: &String) -> Arg {
        Arg::Text(text.clone())
    }
}

macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Arg {
                Arg::Text(n.to_string())
            }
        }
    )*};
}
number_args!(usize, u8, u16, u32, u64, i32, i64, f32, f64);

/// `{"key": …, "params": {name: text or {key, params}}}`: what clients that word messages
/// themselves read.
impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("key", self.key)?;
        map.serialize_entry("params", &Params(&self.params))?;
        map.end()
    }
}

struct Params<'a>(&'a [(&'static str, Arg)]);

impl Serialize for Params<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, arg) in self.0 {
            match arg {
                Arg::Text(text) => map.serialize_entry(name, text)?,
                Arg::Message(message) => map.serialize_entry(name, message)?,
            }
        }
        map.end()
    }
}

const ENGLISH: &str = include_str!("en.txt");
const CHINESE: &str = include_str!("zh-CN.txt");

fn catalogue(locale: Locale) -> &'static HashMap<String, String> {
    static ENGLISH_TEXTS: OnceLock<HashMap<String, String>> = OnceLock::new();
    static CHINESE_TEXTS: OnceLock<HashMap<String, String>> = OnceLock::new();
    match locale {
        Locale::English => ENGLISH_TEXTS.get_or_init(|| parse(ENGLISH)),
        Locale::Chinese => CHINESE_TEXTS.get_or_init(|| parse(CHINESE)),
    }
}

/// `key = text` lines; blank lines and `#` comments are skipped. Only the one space after `=`
/// is not part of the text: a fragment such as ` (line 2)` starts with its own.
fn parse(source: &str) -> HashMap<String, String> {
    source
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let (key, text) = line.split_once('=')?;
            let text = text.strip_prefix(' ').unwrap_or(text);
            Some((key.trim().to_owned(), text.to_owned()))
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
