//! Parsing only what a reader needs. A [`Shape`] names the parts of a JSON document to keep (paths of keys; arrays
//! are transparent, so a shape applies to each element); everything else is skipped while parsing, without
//! building it. A `count(*)` over pages keeps nothing of each page, and a query that selects three columns keeps
//! three values, instead of a full `serde_json::Value` tree per row with its body, links and expansions.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The parts of a JSON value to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Keep the whole value here.
    whole: bool,
    /// Keep these keys of an object (each with its own shape); others are skipped.
    fields: BTreeMap<String, Shape>,
}

impl Shape {
    /// Keeps nothing (an object stays an empty object, an array keeps its length).
    pub fn nothing() -> Shape {
        Shape::default()
    }

    /// Keeps everything.
    pub fn everything() -> Shape {
        Shape { whole: true, fields: BTreeMap::new() }
    }

    /// Also keeps the whole value at `path` (an empty path keeps everything).
    pub fn keep(&mut self, path: &[&str]) -> &mut Shape {
        match path.split_first() {
            None => self.whole = true,
            Some((key, rest)) => {
                self.fields.entry((*key).to_owned()).or_default().keep(rest);
            }
        }
        self
    }

    /// Also keeps the parts of `shape` at `path`.
    pub fn keep_shape(&mut self, path: &[&str], shape: &Shape) -> &mut Shape {
        match path.split_first() {
            None => self.merge(shape),
            Some((key, rest)) => {
                self.fields.entry((*key).to_owned()).or_default().keep_shape(rest, shape);
            }
        }
        self
    }

    fn merge(&mut self, other: &Shape) {
        self.whole |= other.whole;
        for (key, shape) in &other.fields {
            self.fields.entry(key.clone()).or_default().merge(shape);
        }
    }

    /// Parses `bytes`, keeping only this shape's parts.
    pub fn parse(&self, bytes: &[u8]) -> serde_json::Result<Value> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let value = ShapeSeed(self).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(value)
    }
}

struct ShapeSeed<'s>(&'s Shape);

impl<'de> DeserializeSeed<'de> for ShapeSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.0.whole {
            Value::deserialize(deserializer)
        } else {
            deserializer.deserialize_any(ShapeVisitor(self.0))
        }
    }
}

struct ShapeVisitor<'s>(&'s Shape);

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for ShapeVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut kept = Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match self.0.fields.get(key.as_ref()) {
                Some(shape) => {
                    let value = map.next_value_seed(ShapeSeed(shape))?;
                    kept.insert(key.into_owned(), value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(kept))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut kept = Vec::new();
        while let Some(value) = seq.next_element_seed(ShapeSeed(self.0))? {
            kept.push(value);
        }
        Ok(Value::Array(kept))
    }

    // A scalar where the shape wanted keys of an object: nothing to keep.
    fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_str<E>(self, _: &str) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_only_the_named_paths_through_arrays() {
        let doc = br#"{"results": [
            {"id": "1", "title": "A \"quoted\" title", "body": {"storage": {"value": "<p>long</p>"}},
             "version": {"number": 3, "message": "m"}, "ancestors": [{"id": "7", "title": "x"}, {"id": "8"}]},
            {"id": "2", "version": null, "ancestors": []}
        ], "_links": {"next": "/next", "base": "b"}, "size": 2}"#;
        let mut row = Shape::nothing();
        row.keep(&["id"]).keep(&["version", "number"]).keep(&["ancestors", "id"]).keep(&["title"]);
        let mut page = Shape::nothing();
        page.keep_shape(&["results"], &row).keep(&["_links", "next"]).keep(&["size"]);
        let value = page.parse(doc).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            value,
            json!({"results": [
                {"id": "1", "title": "A \"quoted\" title", "version": {"number": 3}, "ancestors": [{"id": "7"}, {"id": "8"}]},
                {"id": "2", "version": null, "ancestors": []}
            ], "_links": {"next": "/next"}, "size": 2})
        );
    }

    #[test]
    fn nothing_keeps_the_row_count_and_everything_keeps_all() {
        let doc = br#"{"results": [{"a": 1}, {"b": [1, 2]}, 5]}"#;
        let mut count_only = Shape::nothing();
        count_only.keep_shape(&["results"], &Shape::nothing());
        assert_eq!(count_only.parse(doc).ok(), Some(json!({"results": [{}, {}, null]})));
        let all: Value = serde_json::from_slice(doc).unwrap_or_default();
        assert_eq!(Shape::everything().parse(doc).ok(), Some(all));
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(Shape::nothing().parse(br#"{"results": [1, }"#).is_err());
        assert!(Shape::nothing().parse(br#"{"a": 1} trailing"#).is_err());
    }
}
