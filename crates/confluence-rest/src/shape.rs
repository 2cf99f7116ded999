//! Parsing only what a reader needs. A [`Shape`] names the parts of a JSON document to keep (paths of keys; arrays
//! are transparent, so a shape applies to each element); everything else is skipped while parsing, without
//! building it. A `count(*)` over pages keeps nothing of each page, and a query that selects three columns keeps
//! three values, instead of a full `serde_json::Value` tree per row with its body, links and expansions.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hasher;

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

    /// The shape kept at `key` (everything when this shape keeps everything, nothing when it keeps no `key`).
    pub fn field(&self, key: &str) -> Shape {
        if self.whole {
            return Shape::everything();
        }
        self.fields.get(key).cloned().unwrap_or_default()
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

impl Shape {
    /// Parses a list page (`{"results": [...], ...}`) with this shape, and fingerprints every item of `results`: a
    /// hash of all of the item, the parts the shape skips included, so that the same item served twice (on two
    /// offset pages of a list that moved) is recognised without any knowledge of its fields.
    pub fn parse_list(&self, bytes: &[u8]) -> serde_json::Result<(Value, Vec<u64>)> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let mut fingerprints = Vec::new();
        let value = ListPageSeed { shape: self, fingerprints: &mut fingerprints }.deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok((value, fingerprints))
    }
}

struct ListPageSeed<'s, 'f> {
    shape: &'s Shape,
    fingerprints: &'f mut Vec<u64>,
}

impl<'de> DeserializeSeed<'de> for ListPageSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListPageSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list page")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let everything = Shape::everything();
        let mut kept = Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let shape = if self.shape.whole { Some(&everything) } else { self.shape.fields.get(key.as_ref()) };
            if shape.is_some() && kept.contains_key(key.as_ref()) {
                // Which one is the page? A reader taking the last and a fingerprint taking both would disagree.
                return Err(serde::de::Error::custom(format!(
                    "the list page has the key {:?} twice; refusing an ambiguous page",
                    key.as_ref()
                )));
            }
            match (key.as_ref(), shape) {
                ("results", Some(items)) => {
                    let value = map.next_value_seed(ItemsSeed { items, fingerprints: &mut *self.fingerprints })?;
                    kept.insert(key.into_owned(), value);
                }
                (_, Some(shape)) => {
                    let value = map.next_value_seed(ShapeSeed(shape))?;
                    kept.insert(key.into_owned(), value);
                }
                (_, None) => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(kept))
    }

    // Not a list page: the caller reports it (no `results`).
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }
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
}

/// The `results` array: each item shaped and fingerprinted.
struct ItemsSeed<'s, 'f> {
    items: &'s Shape,
    fingerprints: &'f mut Vec<u64>,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a results array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut kept = Vec::new();
        loop {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            match seq.next_element_seed(HashedShapeSeed { shape: self.items, hasher: &mut hasher })? {
                Some(value) => {
                    kept.push(value);
                    self.fingerprints.push(hasher.finish());
                }
                None => break,
            }
        }
        Ok(Value::Array(kept))
    }

    // Not an array: nothing to fingerprint, and the caller reports that the page has no results array.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }
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
}

/// Keeps a shape's parts of a value, hashing all of it.
struct HashedShapeSeed<'s, 'h> {
    shape: &'s Shape,
    hasher: &'h mut std::collections::hash_map::DefaultHasher,
}

impl<'de> DeserializeSeed<'de> for HashedShapeSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.shape.whole {
            let value = Value::deserialize(deserializer)?;
            hash_value(&value, self.hasher);
            Ok(value)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for HashedShapeSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.hasher.write_u8(b'{');
        let mut kept = Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            self.hasher.write(key.as_bytes());
            self.hasher.write_u8(0);
            match self.shape.fields.get(key.as_ref()) {
                Some(shape) => {
                    let value = map.next_value_seed(HashedShapeSeed { shape, hasher: &mut *self.hasher })?;
                    kept.insert(key.into_owned(), value);
                }
                None => map.next_value_seed(HashOnlySeed(&mut *self.hasher))?,
            }
        }
        self.hasher.write_u8(b'}');
        Ok(Value::Object(kept))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.hasher.write_u8(b'[');
        let mut kept = Vec::new();
        while let Some(value) =
            seq.next_element_seed(HashedShapeSeed { shape: self.shape, hasher: &mut *self.hasher })?
        {
            kept.push(value);
        }
        self.hasher.write_u8(b']');
        Ok(Value::Array(kept))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        self.hasher.write_u8(if v { b't' } else { b'f' });
        Ok(Value::Null)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        self.hasher.write_i64(v);
        Ok(Value::Null)
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        self.hasher.write_u64(v);
        Ok(Value::Null)
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        self.hasher.write_u64(v.to_bits());
        Ok(Value::Null)
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        self.hasher.write(v.as_bytes());
        self.hasher.write_u8(0);
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        self.hasher.write_u8(b'n');
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        self.hasher.write_u8(b'n');
        Ok(Value::Null)
    }
}

/// Hashes a value without keeping it.
struct HashOnlySeed<'h>(&'h mut std::collections::hash_map::DefaultHasher);

impl<'de> DeserializeSeed<'de> for HashOnlySeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for HashOnlySeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.write_u8(b'{');
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            self.0.write(key.as_bytes());
            self.0.write_u8(0);
            map.next_value_seed(HashOnlySeed(&mut *self.0))?;
        }
        self.0.write_u8(b'}');
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.write_u8(b'[');
        while seq.next_element_seed(HashOnlySeed(&mut *self.0))?.is_some() {}
        self.0.write_u8(b']');
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.0.write_u8(if v { b't' } else { b'f' });
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.0.write_i64(v);
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.0.write_u64(v);
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.0.write_u64(v.to_bits());
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.write(v.as_bytes());
        self.0.write_u8(0);
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.write_u8(b'n');
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.0.write_u8(b'n');
        Ok(())
    }
}

/// Hashes a parsed value the way [`HashOnlySeed`] hashes the same text, so a fingerprint does not depend on which
/// parts a shape keeps.
fn hash_value(value: &Value, hasher: &mut std::collections::hash_map::DefaultHasher) {
    match value {
        Value::Null => hasher.write_u8(b'n'),
        Value::Bool(b) => hasher.write_u8(if *b { b't' } else { b'f' }),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => hasher.write_u64(u),
            (None, Some(i), _) => hasher.write_i64(i),
            (_, _, Some(f)) => hasher.write_u64(f.to_bits()),
            _ => hasher.write_u8(b'?'),
        },
        Value::String(s) => {
            hasher.write(s.as_bytes());
            hasher.write_u8(0);
        }
        Value::Array(items) => {
            hasher.write_u8(b'[');
            for item in items {
                hash_value(item, hasher);
            }
            hasher.write_u8(b']');
        }
        Value::Object(map) => {
            hasher.write_u8(b'{');
            for (key, item) in map {
                hasher.write(key.as_bytes());
                hasher.write_u8(0);
                hash_value(item, hasher);
            }
            hasher.write_u8(b'}');
        }
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

    /// Found by the `page_json` fuzz target: two `results` arrays gave two fingerprints for one row kept.
    #[test]
    fn a_page_with_a_repeated_key_is_refused() {
        let page = br#"{"results": [{"id": 1}, {"id": 2}], "results": [{"id": 3}], "totalSize": 1}"#;
        let error = Shape::everything().parse_list(page).expect_err("ambiguous");
        assert!(error.to_string().contains("\"results\" twice"), "{error}");
        let mut only_results = Shape::nothing();
        only_results.keep_shape(&["results"], &Shape::everything());
        assert!(only_results.parse_list(page).is_err());
        // Keys the shape does not keep may repeat: they are skipped unread.
        let ignored = br#"{"results": [{"id": 1}], "extra": 1, "extra": 2}"#;
        let (_, prints) = only_results.parse_list(ignored).expect("parses");
        assert_eq!(prints.len(), 1);
    }

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
    fn list_items_are_fingerprinted_whatever_the_shape_keeps() {
        let page = br#"{"results": [{"a": 1, "b": {"c": [true, null, "x"]}}, {"a": 1, "b": {"c": [true, null, "y"]}},
            {"a": 1, "b": {"c": [true, null, "x"]}}], "size": 3}"#;
        let mut nothing = Shape::nothing();
        nothing.keep_shape(&["results"], &Shape::nothing()).keep(&["size"]);
        let mut some = Shape::nothing();
        some.keep_shape(&["results"], Shape::nothing().keep(&["b", "c"])).keep(&["size"]);
        for shape in [nothing, some, Shape::everything()] {
            let (value, prints) = shape.parse_list(page).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(value["size"], 3);
            assert_eq!(value["results"].as_array().map(Vec::len), Some(3));
            assert_eq!(prints.len(), 3);
            assert_ne!(prints[0], prints[1], "items that differ only where the shape does not look");
            assert_eq!(prints[0], prints[2], "the same item twice");
        }
        let (_, prints) = Shape::nothing().parse_list(br#"{"results": {"not": "a list"}}"#).unwrap_or_default();
        assert!(prints.is_empty());
        assert!(Shape::nothing().parse_list(br#"{"results": [1, "#).is_err());
    }

    /// Arbitrary JSON, built from every kind of value, nested.
    fn json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            // Quarters print and parse back exactly (serde_json does not round-trip every float).
            (-4_000i32..4_000).prop_map(|n| Value::from(f64::from(n) / 4.0)),
            "\\PC{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("(id|results|content|_links|next|[a-z]{1,3})", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn shapes() -> Vec<Shape> {
        let mut list = Shape::nothing();
        list.keep_shape(&["results"], Shape::nothing().keep(&["id"]).keep(&["content", "id"]))
            .keep(&["_links", "next"]);
        vec![Shape::nothing(), Shape::everything(), list]
    }

    proptest::proptest! {
        /// Whatever bytes a server sends, parsing gives a value or an error: never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            for shape in shapes() {
                let _ = shape.parse(&bytes);
                let _ = shape.parse_list(&bytes);
            }
        }

        /// Valid JSON parses with any shape, and keeping everything gives the document itself.
        #[test]
        fn arbitrary_json_parses(value in json()) {
            let bytes = serde_json::to_vec(&value).unwrap_or_default();
            for shape in shapes() {
                proptest::prop_assert!(shape.parse(&bytes).is_ok());
                proptest::prop_assert!(shape.parse_list(&bytes).is_ok());
            }
            proptest::prop_assert_eq!(Shape::everything().parse(&bytes).ok(), Some(value.clone()));
            // A list page (an object whose `results`, if any, is an array) is kept whole by parse_list too.
            let list_page = value.as_object().is_some_and(|o| o.get("results").is_none_or(Value::is_array));
            if list_page {
                let (whole, _) = Shape::everything().parse_list(&bytes).unwrap_or_default();
                proptest::prop_assert_eq!(whole, value);
            }
        }
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(Shape::nothing().parse(br#"{"results": [1, }"#).is_err());
        assert!(Shape::nothing().parse(br#"{"a": 1} trailing"#).is_err());
    }
}
