//! Conversions between JSON values and Rhai values.

use rhai::{Dynamic, Map};

/// Sets `map[key]`, in place when the key is there: the per-turn entries (`input.text`,
/// `call.anger`) are set on every turn, and inserting costs a key and a search each time.
pub(crate) fn put(map: &mut Map, key: &str, value: Dynamic) {
    match map.get_mut(key) {
        Some(slot) => *slot = value,
        None => {
            map.insert(key.into(), value);
        }
    }
}

/// [`put`] for text, leaving the entry as it is when it already holds that text (no copy).
pub(crate) fn put_text(map: &mut Map, key: &str, text: Option<&str>) {
    match map.get_mut(key) {
        Some(slot) => set_text(slot, text),
        None => {
            map.insert(key.into(), text.map_or(Dynamic::UNIT, Into::into));
        }
    }
}

/// Sets `slot` to `text` (`()` for none), leaving it as it is when it already holds that text.
pub(crate) fn set_text(slot: &mut Dynamic, text: Option<&str>) {
    let same = match text {
        Some(text) => slot
            .as_immutable_string_ref()
            .is_ok_and(|held| held.as_str() == text),
        None => slot.is_unit(),
    };
    if !same {
        *slot = text.map_or(Dynamic::UNIT, Into::into);
    }
}

/// Makes `map` hold exactly the entries `keys` (in ascending order, as a map iterates), each
/// set by `set(key, slot)`. A map set on every turn (`input`) already holds them: it is set in
/// one pass rather than one search per key; any other (new, or from an older version) is built
/// anew.
pub(crate) fn set_exactly(map: &mut Map, keys: &[&str], mut set: impl FnMut(&str, &mut Dynamic)) {
    debug_assert!(keys.is_sorted(), "keys in the order a map keeps them");
    let held = map.len() == keys.len() && map.keys().zip(keys).all(|(k, key)| k == key);
    if !held {
        map.clear();
        map.extend(keys.iter().map(|&key| (key.into(), Dynamic::UNIT)));
    }
    for (key, slot) in map.iter_mut() {
        set(key, slot);
    }
}

/// JSON → Rhai. Integers stay integers, other numbers become floats.
pub fn to_dynamic(value: &serde_json::Value) -> Dynamic {
    match value {
        serde_json::Value::Null => Dynamic::UNIT,
        serde_json::Value::Bool(b) => Dynamic::from_bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Dynamic::from(s.clone()),
        serde_json::Value::Array(items) => {
            Dynamic::from_array(items.iter().map(to_dynamic).collect())
        }
        serde_json::Value::Object(map) => Dynamic::from_map(to_map(map)),
    }
}

/// A JSON object → a Rhai map.
pub fn to_map(map: &serde_json::Map<String, serde_json::Value>) -> Map {
    map.iter()
        .map(|(k, v)| (k.as_str().into(), to_dynamic(v)))
        .collect()
}

/// Rhai → JSON; `None` for values JSON cannot hold (function pointers, custom types).
pub fn to_json(value: &Dynamic) -> Option<serde_json::Value> {
    use serde_json::Value;
    if value.is_unit() {
        return Some(Value::Null);
    }
    if let Ok(b) = value.as_bool() {
        return Some(Value::Bool(b));
    }
    if let Ok(i) = value.as_int() {
        return Some(Value::from(i));
    }
    if let Ok(f) = value.as_float() {
        return Some(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number));
    }
    if value.is_string() {
        return Some(Value::String(value.clone().into_string().ok()?));
    }
    if value.is_char() {
        return Some(Value::String(value.as_char().ok()?.to_string()));
    }
    if value.is_array() {
        let array = value.read_lock::<rhai::Array>()?;
        return array
            .iter()
            .map(to_json)
            .collect::<Option<Vec<_>>>()
            .map(Value::Array);
    }
    if value.is_map() {
        let map = value.read_lock::<Map>()?;
        return map_to_json(&map).map(Value::Object);
    }
    None
}

/// Whether [`to_json`] can hold the value, found without building it: a script's `vars` are
/// checked after every run, and building their JSON each time was a good part of a call's time.
pub fn storable(value: &Dynamic) -> bool {
    if value.is_unit()
        || value.is_bool()
        || value.is_int()
        || value.is_float()
        || value.is_string()
        || value.is_char()
    {
        return true;
    }
    if value.is_array() {
        return value
            .read_lock::<rhai::Array>()
            .is_some_and(|array| array.iter().all(storable));
    }
    value.is_map()
        && value
            .read_lock::<Map>()
            .is_some_and(|map| map.values().all(storable))
}

/// A Rhai map → a JSON object; `None` if any value cannot be stored.
pub fn map_to_json(map: &Map) -> Option<serde_json::Map<String, serde_json::Value>> {
    map.iter()
        .map(|(k, v)| Some((k.to_string(), to_json(v)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use rhai::{Dynamic, FnPtr, Map};

    use super::{set_exactly, set_text, storable, to_json};

    #[test]
    fn set_exactly_leaves_the_given_keys_alone_and_nothing_else() {
        let keys = ["a", "b", "c"];
        let fill = |map: &mut Map, n: i64| {
            set_exactly(map, &keys, |key, slot| match key {
                "b" => set_text(slot, Some("same")),
                _ => *slot = Dynamic::from_int(n),
            })
        };
        // A new map, one missing a key, and one with a key from an older version: all end up
        // holding exactly the keys.
        let mut fresh = Map::new();
        fill(&mut fresh, 1);
        let mut short = Map::new();
        short.insert("a".into(), Dynamic::from_int(7));
        fill(&mut short, 1);
        let mut old = fresh.clone();
        old.insert("z".into(), Dynamic::UNIT);
        fill(&mut old, 1);
        for map in [&fresh, &short, &old] {
            let held: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
            assert_eq!(held, keys);
            assert_eq!(map["a"].as_int(), Ok(1));
            assert_eq!(map["c"].as_int(), Ok(1));
        }
        // Set again in place: the text that did not change is the same string, not a copy.
        let before = fresh["b"].clone().into_immutable_string().expect("text");
        fill(&mut fresh, 2);
        assert_eq!(fresh["a"].as_int(), Ok(2));
        let after = fresh["b"].clone().into_immutable_string().expect("text");
        assert!(before.ptr_eq(&after));
    }

    #[test]
    fn storable_agrees_with_to_json() {
        let function = || Dynamic::from(FnPtr::new("f").expect("a function name"));
        let map = |value: Dynamic| {
            let mut map = Map::new();
            map.insert("a".into(), Dynamic::from_int(1));
            map.insert("b".into(), value);
            Dynamic::from_map(map)
        };
        let values = [
            Dynamic::UNIT,
            Dynamic::from_bool(true),
            Dynamic::from_int(7),
            Dynamic::from_float(f64::NAN),
            Dynamic::from("文本"),
            Dynamic::from_char('x'),
            Dynamic::from_array(vec![Dynamic::from_int(1), Dynamic::from("a")]),
            map(Dynamic::from_array(vec![map(Dynamic::UNIT)])),
            Dynamic::from_int(3).into_shared(),
            map(Dynamic::from("a").into_shared()),
            function(),
            Dynamic::from_array(vec![Dynamic::from_int(1), function()]),
            map(map(function())),
            Dynamic::from(std::time::Duration::from_secs(1)),
        ];
        for value in values {
            assert_eq!(storable(&value), to_json(&value).is_some(), "{value:?}");
        }
        assert!(!storable(&map(map(function()))));
        assert!(storable(&map(map(Dynamic::UNIT))));
    }
}
