//! Fields of a JSON text by path (`status`, `items.0.name`), read in one pass that builds only
//! the values asked for: an HTTP node saves a few fields of a response, and building the whole
//! answer as a tree first cost more than everything else that node does.
//!
//! A field is what the path finds in the parsed JSON: an object's key (the last of duplicate
//! keys, as JSON parsers keep) or an array's index per segment, `()` where there is none.
//! Numbers, text and the rest become Rhai values as `serde`'s conversion of [`Dynamic`] makes
//! them. The whole text is checked: if it is not JSON, there are no fields at all.

use std::fmt;

use rhai::Dynamic;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// The values at `paths` in the JSON `text`, one per path; `None` when `text` is not JSON.
pub(crate) fn fields(text: &str, paths: &[&[String]]) -> Option<Vec<Dynamic>> {
    let mut out = vec![Dynamic::UNIT; paths.len()];
    let wanted: Vec<Wanted<'_>> = paths
        .iter()
        .enumerate()
        .map(|(slot, path)| Wanted { slot, rest: path })
        .collect();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    Select {
        wanted: &wanted,
        out: &mut out,
    }
    .deserialize(&mut deserializer)
    .ok()?;
    deserializer.end().ok()?;
    Some(out)
}

/// A path still to follow below the value being read, and where its answer goes.
#[derive(Clone, Copy)]
struct Wanted<'p> {
    slot: usize,
    rest: &'p [String],
}

/// Reads one value, keeping what the wanted paths find in it.
struct Select<'p, 'o> {
    wanted: &'p [Wanted<'p>],
    out: &'o mut [Dynamic],
}

impl<'de> DeserializeSeed<'de> for Select<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        // A later duplicate key replaces what an earlier one gave.
        for w in self.wanted {
            self.out[w.slot] = Dynamic::UNIT;
        }
        if self.wanted.iter().any(|w| w.rest.is_empty()) {
            // This whole value is asked for: built once, the deeper paths read from it.
            let value = Dynamic::deserialize(deserializer)?;
            for w in self.wanted {
                self.out[w.slot] = at(&value, w.rest);
            }
            return Ok(());
        }
        deserializer.deserialize_any(self)
    }
}

/// The value at `path` below `value`, for paths into a value that was built whole.
fn at(value: &Dynamic, path: &[String]) -> Dynamic {
    let Some((segment, rest)) = path.split_first() else {
        return value.clone();
    };
    if let Ok(map) = value.as_map_ref() {
        return map
            .get(segment.as_str())
            .map_or(Dynamic::UNIT, |next| at(next, rest));
    }
    if let Ok(items) = value.as_array_ref() {
        return index(segment)
            .and_then(|i| items.get(i))
            .map_or(Dynamic::UNIT, |next| at(next, rest));
    }
    Dynamic::UNIT
}

/// An array index as a path segment gives it.
fn index(segment: &str) -> Option<usize> {
    segment.parse().ok()
}

/// The wanted paths whose next segment is `matches`, one segment further down.
fn below<'p>(wanted: &[Wanted<'p>], matches: impl Fn(&str) -> bool) -> Vec<Wanted<'p>> {
    wanted
        .iter()
        .filter_map(|w| {
            let (first, rest) = w.rest.split_first()?;
            matches(first).then_some(Wanted { slot: w.slot, rest })
        })
        .collect()
}

impl<'de> Visitor<'de> for Select<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    // A scalar where a path goes deeper: nothing there (the slots stay `()`).
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(under) = map.next_key_seed(Key(self.wanted))? {
            if under.is_empty() {
                map.next_value::<IgnoredAny>()?;
            } else {
                map.next_value_seed(Select {
                    wanted: &under,
                    out: self.out,
                })?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let under = below(self.wanted, |segment| index(segment) == Some(i));
            let more = if under.is_empty() {
                seq.next_element::<IgnoredAny>()?.is_some()
            } else {
                seq.next_element_seed(Select {
                    wanted: &under,
                    out: self.out,
                })?
                .is_some()
            };
            if !more {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// Reads an object's key and answers the wanted paths that continue below it, without
/// copying the key.
struct Key<'w, 'p>(&'w [Wanted<'p>]);

impl<'de, 'p> DeserializeSeed<'de> for Key<'_, 'p> {
    type Value = Vec<Wanted<'p>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, 'p> Visitor<'de> for Key<'_, 'p> {
    type Value = Vec<Wanted<'p>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(below(self.0, |segment| segment == key))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The reference: the whole text as a JSON tree, the field found in it, then converted.
    fn reference(text: &str, path: &[String]) -> Dynamic {
        let Ok(mut current) = serde_json::from_str::<Value>(text) else {
            return Dynamic::UNIT;
        };
        for segment in path {
            let next = match &current {
                Value::Object(map) => map.get(segment).cloned(),
                Value::Array(items) => index(segment).and_then(|i| items.get(i).cloned()),
                _ => None,
            };
            match next {
                Some(value) => current = value,
                None => return Dynamic::UNIT,
            }
        }
        crate::value::to_dynamic(&current)
    }

    fn split(path: &str) -> Vec<String> {
        path.split('.')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    #[test]
    fn fields_are_the_json_values_converted() {
        let texts = [
            r#"{"order_id":"2024061801","status":"shipped","eta":null,"n":3,"big":18446744073709551615,
               "neg":-9223372036854775808,"f":2.5,"e":1e3,"ok":true,"esc":"a\"b\u4e2d",
               "items":[{"name":"T恤","qty":2},[1,[2,3]],"x"],"dup":{"a":1},"dup":2,"\u0061":"escaped key",
               "nested":{"a":{"b":{"c":"deep"}}},"empty":{},"list":[],"again":[1],"again":{"0":"key"}}"#,
            r#"[1,{"a":2},"three",[[4]]]"#,
            r#""just text""#,
            " 42 ",
            "null",
        ];
        let paths = [
            "",
            "order_id",
            "status",
            "eta",
            "n",
            "big",
            "neg",
            "f",
            "e",
            "ok",
            "esc",
            "items",
            "items.0",
            "items.0.name",
            "items.0.qty",
            "items.1.1.0",
            "items.2",
            "items.3",
            "items.-1",
            "items.x",
            "items.01",
            "dup",
            "dup.a",
            "a",
            "nested.a.b.c",
            "nested.a.x",
            "nested",
            "empty",
            "list",
            "list.0",
            "missing",
            "missing.deeper",
            "0",
            "1.a",
            "2",
            "3.0.0",
            "n.x",
            "again.0",
        ];
        let paths: Vec<Vec<String>> = paths.iter().map(|p| split(p)).collect();
        for text in texts {
            // Each path alone, and all of them at once (paths sharing a prefix, the whole
            // value beside its parts).
            for path in &paths {
                let ours = fields(text, &[path.as_slice()]).expect("JSON");
                assert_same(&ours[0], &reference(text, path), text, path);
            }
            let all: Vec<&[String]> = paths.iter().map(Vec::as_slice).collect();
            let ours = fields(text, &all).expect("JSON");
            for (value, path) in ours.iter().zip(&paths) {
                assert_same(value, &reference(text, path), text, path);
            }
        }
    }

    fn assert_same(ours: &Dynamic, expected: &Dynamic, text: &str, path: &[String]) {
        assert_eq!(
            crate::value::to_json(ours),
            crate::value::to_json(expected),
            "{text} {path:?}"
        );
        assert_eq!(ours.type_name(), expected.type_name(), "{text} {path:?}");
    }

    #[test]
    fn a_text_that_is_not_json_has_no_fields() {
        let status = [String::from("status")];
        for text in [
            "",
            "not json",
            r#"{"status":"shipped""#,
            r#"{"status":"shipped"} trailing"#,
            r#"{"status":"shipped","other":[1,}"#,
            r#"{"other":tru,"status":"shipped"}"#,
        ] {
            assert!(fields(text, &[&status]).is_none(), "{text}");
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
        }
    }
}
