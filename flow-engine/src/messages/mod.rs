//! What the engine says to people (validation problems), as a key and named parameters,
//! rendered in the reader's language from one catalogue per language. The catalogues are plain
//! `key = text` files embedded at compile time; `{$name}` in a text is a parameter's place.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

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
    /// A message read back from stored data (a script error's reason in a call's records).
    Stored(StoredMessage),
}

impl Message {
    pub fn new(key: &'static str, params: Vec<(&'static str, Arg)>) -> Message {
        Message { key, params }
    }

    /// The text in `locale`; a key missing from that catalogue falls back to English.
    pub fn render(&self, locale: Locale) -> String {
        fill(self.key, locale, |name| {
            self.params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, arg)| match arg {
                    Arg::Text(text) => text.clone(),
                    Arg::Message(message) => message.render(locale),
                    Arg::Stored(message) => message.render(locale),
                })
        })
    }

    /// The texts shown as they are, in this message and the messages inside it.
    pub fn verbatim(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for (_, arg) in &self.params {
            match arg {
                Arg::Text(text) => out.push(text.as_str()),
                Arg::Message(message) => out.extend(message.verbatim()),
                Arg::Stored(message) => out.extend(message.verbatim()),
            }
        }
        out
    }
}

/// The template of `key` in `locale` (English when that catalogue lacks it, the key itself when
/// both do) with each `{$name}` replaced by `param(name)`; a place with no parameter stays.
fn fill(key: &str, locale: Locale, param: impl Fn(&str) -> Option<String>) -> String {
    let template = catalogue(locale)
        .get(key)
        .or_else(|| catalogue(Locale::English).get(key))
        .map_or(key, |text| text.as_str());
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find("{$") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            rest = &rest[start..];
            break;
        };
        match param(&after[..end]) {
            Some(text) => out.push_str(&text),
            None => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A [`Message`] kept in stored data (a call's records) and read back later, possibly by a
/// newer build: the same key and parameters, owned. Serialized exactly as [`Message`] is, so it
/// is worded in whatever language the reader wants when it is read, not when it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub key: String,
    #[serde(default)]
    pub params: BTreeMap<String, StoredArg>,
}

/// A parameter of a [`StoredMessage`]: text shown as it is, or a message of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredArg {
    Text(String),
    Message(StoredMessage),
}

impl StoredMessage {
    /// The text in `locale`, as [`Message::render`] words it.
    pub fn render(&self, locale: Locale) -> String {
        fill(&self.key, locale, |name| {
            self.params.get(name).map(|arg| match arg {
                StoredArg::Text(text) => text.clone(),
                StoredArg::Message(message) => message.render(locale),
            })
        })
    }

    /// The texts shown as they are, in this message and the messages inside it.
    pub fn verbatim(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for arg in self.params.values() {
            match arg {
                StoredArg::Text(text) => out.push(text.as_str()),
                StoredArg::Message(message) => out.extend(message.verbatim()),
            }
        }
        out
    }
}

impl From<&Message> for StoredMessage {
    fn from(message: &Message) -> StoredMessage {
        StoredMessage {
            key: message.key.to_owned(),
            params: message
                .params
                .iter()
                .map(|(name, arg)| {
                    let arg = match arg {
                        Arg::Text(text) => StoredArg::Text(text.clone()),
                        Arg::Message(inner) => StoredArg::Message(inner.into()),
                        Arg::Stored(inner) => StoredArg::Message(inner.clone()),
                    };
                    ((*name).to_owned(), arg)
                })
                .collect(),
        }
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

impl From<StoredMessage> for Arg {
    fn from(message: StoredMessage) -> Arg {
        Arg::Stored(message)
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
                Arg::Stored(message) => map.serialize_entry(name, message)?,
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
