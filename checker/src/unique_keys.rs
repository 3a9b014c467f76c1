//! JSON read as `serde_json` reads it, except that an object giving a key twice is refused:
//! `serde_json` keeps the last, so `{"value":2,"value":1}` would silently mean 1 (and one
//! order of the same line could be linearizable, the other not).

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value as Json};

/// Why a line's JSON was not read.
#[derive(Debug)]
pub(crate) enum JsonError {
    /// Not JSON (what `serde_json` said).
    Syntax(serde_json::Error),
    /// An object gives this key twice.
    Repeated(String),
}

/// Reads `text` as one JSON value, refusing an object (at any depth) that gives a key twice.
/// Builds the same value `serde_json::from_str::<Value>` does, with the same work.
pub(crate) fn parse(text: &str) -> Result<Json, JsonError> {
    let repeated = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Unique(&repeated).deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match (value, repeated.into_inner()) {
        (Ok(v), _) => Ok(v),
        (Err(_), Some(key)) => Err(JsonError::Repeated(key)),
        (Err(e), None) => Err(JsonError::Syntax(e)),
    }
}

/// A value, remembering in its cell the first key given twice.
#[derive(Clone, Copy)]
struct Unique<'a>(&'a RefCell<Option<String>>);

impl<'de> DeserializeSeed<'de> for Unique<'_> {
    type Value = Json;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Number::from_f64(v).map_or(Json::Null, Json::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            match object.entry(key) {
                Entry::Vacant(e) => {
                    e.insert(value);
                }
                Entry::Occupied(e) => {
                    let key = e.key().clone();
                    let message = format!("the key \"{key}\" is given twice");
                    *self.0.borrow_mut() = Some(key);
                    return Err(A::Error::custom(message));
                }
            }
        }
        Ok(Json::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_reads_and_refuses_a_key_given_twice() {
        for text in [r#"{"a":1,"b":[1,-2,3.5,null,true,"x"],"c":{"d":{}}}"#, "[]", "7", r#""s""#, " null "] {
            let ours = parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(ours, serde_json::from_str::<Json>(text).unwrap(), "{text}");
        }
        for (text, key) in [
            (r#"{"client":2,"f":"read","value":2,"value":1}"#, "value"),
            (r#"{"client":1,"f":"read","client":2}"#, "client"),
            (r#"{"a":[{"b":1,"b":1}]}"#, "b"),
        ] {
            assert!(matches!(parse(text), Err(JsonError::Repeated(k)) if k == key), "{text}");
        }
        assert!(matches!(parse("{\"a\":1"), Err(JsonError::Syntax(_))));
        assert!(matches!(parse("{} {}"), Err(JsonError::Syntax(_))), "trailing characters, as serde_json says");
    }
}
