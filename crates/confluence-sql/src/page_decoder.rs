//! A list page decoded straight from its bytes into Arrow builders: one pass over the JSON, each item's keys looked
//! up in a tree of the columns' paths, strings appended from the input without building a JSON tree or an owned
//! string per value, everything not selected skipped. The paginator calls it (see `confluence_rest::PageDecode`);
//! columns whose values need more than a path (`LastOf`, `PathIf`, `FirstOf`) are read the other way, through the
//! page's JSON tree ([`crate::columns::decode`]), whose results are the same.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use confluence_rest::{DecodedPage, PageDecode};
use datafusion::arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, StringBuilder, TimestampMillisecondBuilder};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::columns::{parse_time, Column, DecodeContext, Kind, Source};

/// A decoded page: its rows, and (when asked for) each item's id.
#[derive(Debug)]
pub struct DecodedRows {
    /// The rows, in the columns' schema.
    pub batch: RecordBatch,
    /// Each item's `id`, when the decoder was asked for them.
    pub ids: Vec<u64>,
}

/// Decodes list pages of one request into batches of `columns`.
pub struct PageDecoder {
    columns: Vec<Column>,
    schema: SchemaRef,
    context: DecodeContext,
    tree: PathTree,
    /// Whether each item's `id` is collected (a chain end admits items by id).
    ids: bool,
}

impl fmt::Debug for PageDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        f.debug_struct("PageDecoder").field("columns", &names).field("ids", &self.ids).finish()
    }
}

/// Where a value goes: a column (its index), or the item's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Column(usize),
    Id,
}

/// The columns' paths as a tree of keys: a value at a node's path goes to its slots.
#[derive(Debug, Default)]
struct PathTree {
    children: Vec<(&'static str, PathTree)>,
    slots: Vec<Slot>,
}

impl PathTree {
    fn insert(&mut self, path: &[&'static str], slot: Slot) {
        match path.split_first() {
            None => self.slots.push(slot),
            Some((key, rest)) => {
                let at = match self.children.iter().position(|(k, _)| k == key) {
                    Some(at) => at,
                    None => {
                        self.children.push((key, PathTree::default()));
                        self.children.len() - 1
                    }
                };
                self.children[at].1.insert(rest, slot);
            }
        }
    }

    /// A node is either a value's place or an object's: both at once is read through the JSON tree instead.
    fn is_simple(&self) -> bool {
        (self.slots.is_empty() || self.children.is_empty()) && self.children.iter().all(|(_, c)| c.is_simple())
    }

    /// The child at `key`, and its position among the children.
    fn child(&self, key: &str) -> Option<(usize, &PathTree)> {
        self.children.iter().enumerate().find(|(_, (k, _))| *k == key).map(|(at, (_, c))| (at, c))
    }
}

impl PageDecoder {
    /// A decoder for `columns`, or `None` when a column's value needs more than a path (the JSON tree reads it).
    pub fn new(columns: &[Column], schema: SchemaRef, context: DecodeContext, ids: bool) -> Option<PageDecoder> {
        let mut tree = PathTree::default();
        for (index, column) in columns.iter().enumerate() {
            match column.source {
                Source::Path(path) | Source::SpaceKeyOf(path) => tree.insert(path, Slot::Column(index)),
                Source::Constant | Source::Null => {}
                Source::Parent if context.row_parents.is_none() => {}
                Source::ParentSpace if context.row_spaces.is_none() => {}
                Source::Parent
                | Source::ParentSpace
                | Source::LastOf(..)
                | Source::PathIf(..)
                | Source::FirstOf(..) => return None,
            }
        }
        if ids {
            tree.insert(&["id"], Slot::Id);
        }
        tree.is_simple().then(|| PageDecoder { columns: columns.to_vec(), schema, context, tree, ids })
    }

    /// Decodes one page body (`{"results": [...], "_links": ...}`).
    pub fn decode_page(&self, body: &[u8]) -> Result<(Value, DecodedRows), String> {
        let mut rows = Rows::new(&self.columns, &self.context, self.ids);
        // A body checked as UTF-8 once, in one pass, spares serde_json checking every string it keeps (it reads a
        // `&str` as already checked); a body that is not UTF-8, or whose values are all skipped (a count), is read
        // as bytes.
        let keeps_values = !self.tree.slots.is_empty() || !self.tree.children.is_empty();
        let checked = if keeps_values { std::str::from_utf8(body).ok() } else { None };
        let envelope = match checked {
            Some(text) => self.read_envelope(&mut serde_json::Deserializer::from_str(text), &mut rows),
            None => self.read_envelope(&mut serde_json::Deserializer::from_slice(body), &mut rows),
        }
        .map_err(|e| e.to_string())?;
        if let Some(error) = rows.error.take() {
            return Err(error);
        }
        let (batch, ids) = rows.finish(&self.schema).map_err(|e| e.to_string())?;
        Ok((envelope, DecodedRows { batch, ids }))
    }
}

impl PageDecoder {
    fn read_envelope<'de, R: serde_json::de::Read<'de>>(
        &self,
        deserializer: &mut serde_json::Deserializer<R>,
        rows: &mut Rows<'_>,
    ) -> serde_json::Result<Value> {
        let envelope = PageSeed { tree: &self.tree, rows }.deserialize(&mut *deserializer)?;
        deserializer.end()?;
        Ok(envelope)
    }
}

impl PageDecode for PageDecoder {
    fn decode(&self, body: &[u8]) -> Result<DecodedPage, String> {
        let (envelope, rows) = self.decode_page(body)?;
        let items = rows.batch.num_rows();
        Ok(DecodedPage { envelope, items, rows: Arc::new(rows) })
    }
}

enum Builder {
    Text(StringBuilder),
    Int(Int64Builder),
    Bool(BooleanBuilder),
    Time(TimestampMillisecondBuilder),
}

/// The builders of one page, and which columns the current item has set.
struct Rows<'a> {
    columns: &'a [Column],
    context: &'a DecodeContext,
    builders: Vec<Builder>,
    set: Vec<bool>,
    ids: Option<Vec<u64>>,
    id_set: bool,
    rows: usize,
    /// The first error met (a value of the wrong type); decoding stops at the end of the page.
    error: Option<String>,
}

impl<'a> Rows<'a> {
    fn new(columns: &'a [Column], context: &'a DecodeContext, ids: bool) -> Rows<'a> {
        let builders = columns
            .iter()
            .map(|c| match c.kind {
                Kind::Text => Builder::Text(StringBuilder::with_capacity(256, 256 * 16)),
                Kind::Int => Builder::Int(Int64Builder::with_capacity(256)),
                Kind::Bool => Builder::Bool(BooleanBuilder::with_capacity(256)),
                Kind::Time => Builder::Time(TimestampMillisecondBuilder::with_capacity(256).with_timezone("UTC")),
            })
            .collect();
        Rows {
            columns,
            context,
            builders,
            set: vec![false; columns.len()],
            ids: ids.then(Vec::new),
            id_set: false,
            rows: 0,
            error: None,
        }
    }

    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }

    /// Puts `value` in `slot` for the current item (a second value for the same slot is an error: a key twice).
    fn put(&mut self, slot: Slot, value: &Scalar<'_>) {
        match slot {
            Slot::Id => {
                let id = match value {
                    Scalar::Str(s) => s.parse().ok(),
                    Scalar::Int(i) => u64::try_from(*i).ok(),
                    Scalar::UInt(u) => Some(*u),
                    _ => None,
                };
                match (id, &mut self.ids, self.id_set) {
                    (Some(id), Some(ids), false) => {
                        ids.push(id);
                        self.id_set = true;
                    }
                    (_, _, true) => self.fail("an item has its id twice".to_owned()),
                    _ => self.fail("an item without an id".to_owned()),
                }
            }
            Slot::Column(index) => {
                if std::mem::replace(&mut self.set[index], true) {
                    self.fail(format!("an item has the value of column {} twice", self.columns[index].name));
                    return;
                }
                if let Err(message) = append(&mut self.builders[index], &self.columns[index], value, self.context) {
                    self.fail(message);
                }
            }
        }
    }

    /// Ends the current item: the columns it did not set get their constant, their parent, or NULL.
    fn end_item(&mut self) {
        for index in 0..self.columns.len() {
            if std::mem::replace(&mut self.set[index], false) {
                continue;
            }
            let column = &self.columns[index];
            let value = match column.source {
                Source::Constant => self.context.constants.get(column.name),
                Source::Parent => self.context.parent.as_ref(),
                Source::ParentSpace => self.context.parent_space.as_ref(),
                _ => None,
            };
            let scalar = value.map_or(Scalar::Null, Scalar::of);
            if let Err(message) = append(&mut self.builders[index], column, &scalar, self.context) {
                self.fail(message);
            }
        }
        if self.ids.is_some() && !std::mem::replace(&mut self.id_set, false) {
            self.fail("an item without an id".to_owned());
        }
        self.rows += 1;
    }

    fn finish(self, schema: &SchemaRef) -> datafusion::error::Result<(RecordBatch, Vec<u64>)> {
        let arrays: Vec<ArrayRef> = self
            .builders
            .into_iter()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Text(mut b) => Arc::new(b.finish()),
                    Builder::Int(mut b) => Arc::new(b.finish()),
                    Builder::Bool(mut b) => Arc::new(b.finish()),
                    Builder::Time(mut b) => Arc::new(b.finish()),
                }
            })
            .collect();
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        let batch = RecordBatch::try_new_with_options(schema.clone(), arrays, &options)?;
        Ok((batch, self.ids.unwrap_or_default()))
    }
}

/// One JSON value at a column's path: strings borrowed from the input where they have no escapes.
enum Scalar<'de> {
    Null,
    Str(Cow<'de, str>),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    /// An object or array (kept whole: a text column shows it as JSON).
    Other(Value),
}

impl<'v> Scalar<'v> {
    fn of(value: &'v Value) -> Scalar<'v> {
        match value {
            Value::Null => Scalar::Null,
            Value::String(s) => Scalar::Str(Cow::Borrowed(s)),
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Scalar::Int(i),
                (None, Some(u)) => Scalar::UInt(u),
                _ => Scalar::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            other => Scalar::Other(other.clone()),
        }
    }

    fn as_json(&self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Str(s) => Value::String(s.to_string()),
            Scalar::Int(i) => Value::from(*i),
            Scalar::UInt(u) => Value::from(*u),
            Scalar::Float(f) => Value::from(*f),
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Other(v) => v.clone(),
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            Scalar::Int(i) => Some(*i),
            Scalar::UInt(u) => i64::try_from(*u).ok(),
            Scalar::Str(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// Appends `value` to a column's builder, with [`crate::columns::decode`]'s rules (NULL for null, ids written as
/// text read as numbers, a value of the wrong type an error naming the column).
fn append(builder: &mut Builder, column: &Column, value: &Scalar<'_>, context: &DecodeContext) -> Result<(), String> {
    let mismatch = || {
        format!(
            "Confluence returned {} for column {} ({:?}), which does not fit its type",
            value.as_json(),
            column.name,
            column.kind
        )
    };
    if let (Source::SpaceKeyOf(_), Builder::Text(text)) = (column.source, &mut *builder) {
        text.append_option(value.as_i64().and_then(|id| context.space_keys.get(&id)));
        return Ok(());
    }
    match (builder, value) {
        (Builder::Text(b), Scalar::Null) => b.append_null(),
        (Builder::Int(b), Scalar::Null) => b.append_null(),
        (Builder::Bool(b), Scalar::Null) => b.append_null(),
        (Builder::Time(b), Scalar::Null) => b.append_null(),
        (Builder::Text(b), Scalar::Str(s)) => b.append_value(s),
        (Builder::Text(b), other) => b.append_value(other.as_json().to_string()),
        (Builder::Int(b), v) => b.append_value(v.as_i64().ok_or_else(mismatch)?),
        (Builder::Bool(b), Scalar::Bool(x)) => b.append_value(*x),
        (Builder::Time(b), Scalar::Str(s)) => b.append_value(parse_time(s).ok_or_else(mismatch)?),
        (Builder::Time(b), Scalar::Int(i)) => b.append_value(*i),
        (Builder::Bool(_) | Builder::Time(_), _) => return Err(mismatch()),
    }
    Ok(())
}

/// The page: `results` decoded, the envelope's keys the paginator reads kept, the rest skipped.
struct PageSeed<'t, 'r, 'a> {
    tree: &'t PathTree,
    rows: &'r mut Rows<'a>,
}

impl<'de> DeserializeSeed<'de> for PageSeed<'_, '_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageSeed<'_, '_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list page")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut envelope = Map::new();
        let mut results = false;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match key.as_ref() {
                "results" => {
                    if std::mem::replace(&mut results, true) {
                        return Err(serde::de::Error::custom("the list page has the key \"results\" twice"));
                    }
                    map.next_value_seed(ItemsSeed { tree: self.tree, rows: &mut *self.rows })?;
                }
                "_links" | "start" | "limit" | "size" | "totalSize" => {
                    if envelope.contains_key(key.as_ref()) {
                        return Err(serde::de::Error::custom(format!("the list page has the key {key:?} twice")));
                    }
                    let value = map.next_value::<Value>()?;
                    envelope.insert(key.into_owned(), value);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !results {
            return Err(serde::de::Error::custom("no results array"));
        }
        // The paginator reads the envelope; the items are in the rows.
        envelope.insert("results".to_owned(), Value::Array(Vec::new()));
        Ok(Value::Object(envelope))
    }
}

/// The `results` array: each item decoded into the rows.
struct ItemsSeed<'t, 'r, 'a> {
    tree: &'t PathTree,
    rows: &'r mut Rows<'a>,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a results array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.tree.children.is_empty() {
            // Nothing to read in the items (`count(*)`): each skipped whole, a row each.
            while seq.next_element::<IgnoredAny>()?.is_some() {
                self.rows.end_item();
            }
            return Ok(());
        }
        while seq.next_element_seed(ObjectSeed { tree: self.tree, rows: &mut *self.rows, item: true })?.is_some() {}
        Ok(())
    }
}

/// An object at a node of the tree: its keys' values put in their slots, or walked into, or skipped. An item
/// (`item`) ends a row.
struct ObjectSeed<'t, 'r, 'a> {
    tree: &'t PathTree,
    rows: &'r mut Rows<'a>,
    item: bool,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // A key the columns read, twice in one object: which value is the row's? Refused, whatever the values
        // (the JSON tree would keep the last; neither is a safe answer from a server that sends both).
        let mut seen = Seen::new(self.tree.children.len());
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let child = self.tree.child(&key);
            if let Some((at, _)) = child {
                if seen.insert(at) {
                    return Err(serde::de::Error::custom(format!("an item has the key {key:?} twice")));
                }
            }
            match child.map(|(_, node)| node) {
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
                Some(node) if node.children.is_empty() => {
                    let value = map.next_value::<ScalarValue<'de>>()?.0;
                    if !matches!(value, Scalar::Null) {
                        for slot in &node.slots {
                            self.rows.put(*slot, &value);
                        }
                    }
                }
                Some(node) => {
                    map.next_value_seed(ObjectSeed { tree: node, rows: &mut *self.rows, item: false })?;
                }
            }
        }
        if self.item {
            self.rows.end_item();
        }
        Ok(())
    }

    // Not an object where one was expected: nothing under it is set (as a path lookup finds nothing). An item
    // that is not an object is a row of NULLs, as in the JSON tree's reading.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.end_if_item();
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.end_if_item();
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.end_if_item();
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.end_if_item();
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.end_if_item();
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.end_if_item();
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.end_if_item();
        Ok(())
    }
}

impl ObjectSeed<'_, '_, '_> {
    fn end_if_item(self) {
        if self.item {
            self.rows.end_item();
        }
    }
}

/// An object key, borrowed from the input unless it has escapes (serde's own `Cow<str>` always copies).
/// Which of an object's keys the columns read have been met: a bit each (no allocation per item), or a vector for
/// a node with more children than bits.
enum Seen {
    Bits(u64),
    Many(Vec<bool>),
}

impl Seen {
    fn new(keys: usize) -> Seen {
        if keys <= 64 {
            Seen::Bits(0)
        } else {
            Seen::Many(vec![false; keys])
        }
    }

    /// Marks key `at` as met; whether it had been met before.
    fn insert(&mut self, at: usize) -> bool {
        match self {
            Seen::Bits(bits) => {
                let bit = 1u64 << at;
                let before = *bits & bit != 0;
                *bits |= bit;
                before
            }
            Seen::Many(seen) => std::mem::replace(&mut seen[at], true),
        }
    }
}

struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }
}

/// A [`Scalar`] read from JSON.
struct ScalarValue<'de>(Scalar<'de>);

impl<'de> Deserialize<'de> for ScalarValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = ScalarValue<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(ScalarValue(Scalar::Str(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ScalarValue(Scalar::Str(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(ScalarValue(Scalar::Str(Cow::Owned(v))))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(ScalarValue(Scalar::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        // JSON's non-negative numbers come here: as `Int` where they fit, as the JSON tree reads them.
        Ok(ScalarValue(i64::try_from(v).map_or(Scalar::UInt(v), Scalar::Int)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(ScalarValue(Scalar::Float(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(ScalarValue(Scalar::Bool(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(ScalarValue(Scalar::Null))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(ScalarValue(Scalar::Null))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(|v| ScalarValue(Scalar::Other(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(|v| ScalarValue(Scalar::Other(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::{col, decode, schema_of, shape_of};
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use std::collections::HashMap;

    const COLUMNS: &[Column] = &[
        col("id", Kind::Int, &["id"], ""),
        col("title", Kind::Text, &["title"], ""),
        col("version", Kind::Int, &["version", "number"], ""),
        col("minor", Kind::Bool, &["version", "minorEdit"], ""),
        col("created_at", Kind::Time, &["createdAt"], ""),
        col("author", Kind::Text, &["version", "authorId"], ""),
        Column { name: "space_key", kind: Kind::Text, source: Source::SpaceKeyOf(&["spaceId"]), doc: "" },
        Column { name: "kind", kind: Kind::Text, source: Source::Constant, doc: "" },
        Column { name: "page_id", kind: Kind::Int, source: Source::Parent, doc: "" },
        Column { name: "nothing", kind: Kind::Text, source: Source::Null, doc: "" },
        Column { name: "space", kind: Kind::Int, source: Source::ParentSpace, doc: "" },
        col("body", Kind::Text, &["body"], ""),
    ];

    fn context() -> DecodeContext {
        DecodeContext {
            space_keys: Arc::new(HashMap::from([(10, "ENG".to_owned())])),
            constants: HashMap::from([("kind", Value::from("footer"))]),
            parent: Some(Value::from(7)),
            row_parents: None,
            parent_space: Some(Value::from(42)),
            row_spaces: None,
        }
    }

    /// The JSON tree's decoding of the same page, for comparison.
    fn through_the_tree(body: &str) -> String {
        let schema = schema_of(COLUMNS);
        let mut shape = confluence_rest::Shape::nothing();
        shape.keep_shape(&["results"], &shape_of(COLUMNS));
        let mut document = shape.parse(body.as_bytes()).expect("parses");
        let results = match document.get_mut("results").map(Value::take) {
            Some(Value::Array(results)) => results,
            _ => Vec::new(),
        };
        let batch = decode(COLUMNS, &schema, &results, &context()).expect("decodes");
        pretty_format_batches(&[batch]).expect("formats").to_string()
    }

    fn direct(body: &str) -> Result<(Value, DecodedRows), String> {
        PageDecoder::new(COLUMNS, schema_of(COLUMNS), context(), true)
            .expect("simple columns")
            .decode_page(body.as_bytes())
    }

    #[test]
    fn the_same_rows_as_the_json_tree() {
        let body = r#"{"results": [
            {"id": "1", "title": "A \"quoted\" title", "version": {"number": 3, "minorEdit": true, "authorId": "x"},
             "createdAt": "2024-01-31T10:30:00.000Z", "spaceId": "10", "extra": {"deep": [1, 2, {"id": 5}]},
             "body": {"storage": {"value": "<p/>"}}},
            {"id": "2", "title": null, "version": null, "spaceId": "99", "createdAt": 1700000000000},
            {"id": 3, "version": {"number": "4"}, "title": 12}
        ], "_links": {"next": "/wiki/api/v2/pages?cursor=x", "base": "https://x"}, "other": [1]}"#;
        let (envelope, rows) = direct(body).expect("decodes");
        assert_eq!(rows.ids, [1, 2, 3]);
        let text = pretty_format_batches(&[rows.batch]).expect("formats").to_string();
        assert_eq!(text, through_the_tree(body), "\n{text}");
        assert_eq!(envelope["_links"]["next"], "/wiki/api/v2/pages?cursor=x");
        assert_eq!(envelope["results"], Value::Array(Vec::new()));
    }

    #[test]
    fn hostile_pages_fail_instead_of_shifting_rows() {
        for twice in [
            r#"{"results": [{"id": "1", "title": "a", "title": "b"}]}"#,
            r#"{"results": [{"id": "1", "title": "a", "title": null}]}"#,
            r#"{"results": [{"id": "1", "id": null}]}"#,
            r#"{"results": [{"id": "1", "version": {"number": 1}, "version": {"minorEdit": true}}]}"#,
        ] {
            assert!(direct(twice).is_err_and(|e| e.contains("twice")), "{twice}");
        }
        let no_id = r#"{"results": [{"title": "a"}]}"#;
        assert!(direct(no_id).is_err_and(|e| e.contains("without an id")));
        let wrong_type = r#"{"results": [{"id": "1", "version": {"number": "three"}}]}"#;
        assert!(direct(wrong_type).is_err_and(|e| e.contains("column version")), "{:?}", direct(wrong_type).err());
        assert!(direct(r#"{"results": [], "results": []}"#).is_err());
        assert!(direct(r#"{"size": 3}"#).is_err_and(|e| e.contains("no results")));
        assert!(direct(r#"[1, 2]"#).is_err());
        assert!(direct(r#"{"results": [{"id": "1"}]"#).is_err(), "truncated");
    }

    #[test]
    fn a_body_that_is_not_utf8_reads_as_before_its_kept_strings_checked() {
        // Checked once as a whole (the fast way), or string by string when the whole is not UTF-8: the same rows
        // either way, and bad bytes in a kept string are an error, never text with holes.
        let good = r#"{"results": [{"id": "1", "title": "caf\u00e9 ok", "skipped": "fine"}]}"#;
        let with_bad_skipped = good.as_bytes().to_vec();
        let at = with_bad_skipped.windows(4).position(|w| w == b"fine").expect("the skipped string");
        let mut with_bad_skipped = with_bad_skipped;
        with_bad_skipped[at] = 0xff;
        let decoder = PageDecoder::new(COLUMNS, schema_of(COLUMNS), context(), true).expect("simple columns");
        let (_, clean) = decoder.decode_page(good.as_bytes()).expect("decodes");
        let (_, dirty) = decoder.decode_page(&with_bad_skipped).expect("a skipped string is not read");
        assert_eq!(clean.batch, dirty.batch);
        let mut with_bad_kept = good.as_bytes().to_vec();
        let at = with_bad_kept.windows(2).position(|w| w == b"ok").expect("the title");
        with_bad_kept[at] = 0xff;
        let error = decoder.decode_page(&with_bad_kept).expect_err("a kept string must be UTF-8");
        assert!(error.contains("UTF-8") || error.contains("unicode"), "{error}");
    }

    #[test]
    fn a_key_twice_is_caught_however_many_keys_are_read() {
        // More keys read in one object than the 64 bits that track them: a vector tracks them instead.
        let names: Vec<&'static str> = (0..70).map(|i| &*Box::leak(format!("k{i}").into_boxed_str())).collect();
        let paths: Vec<&'static [&'static str]> =
            names.iter().map(|n| -> &'static [&'static str] { Box::leak(Box::new([*n])) }).collect();
        let columns: Vec<Column> = names.iter().zip(&paths).map(|(n, p)| col(n, Kind::Int, p, "")).collect();
        let decoder =
            PageDecoder::new(&columns, schema_of(&columns), DecodeContext::default(), false).expect("simple columns");
        for key in ["k3", "k69"] {
            let body = format!(r#"{{"results": [{{"k1": 1, "{key}": 2, "{key}": 3}}]}}"#);
            let error = decoder.decode_page(body.as_bytes()).expect_err("a key twice");
            assert!(error.contains("twice"), "{error}");
        }
        let (_, rows) = decoder.decode_page(br#"{"results": [{"k0": 1, "k69": 2}]}"#).expect("decodes");
        assert_eq!(rows.batch.num_rows(), 1);
    }

    #[test]
    fn columns_needing_more_than_a_path_use_the_tree() {
        let last = [Column { name: "p", kind: Kind::Int, source: Source::LastOf(&["ancestors"], "id"), doc: "" }];
        assert!(PageDecoder::new(&last, schema_of(&last), DecodeContext::default(), false).is_none());
        let nested = [col("v", Kind::Text, &["version"], ""), col("n", Kind::Int, &["version", "number"], "")];
        assert!(PageDecoder::new(&nested, schema_of(&nested), DecodeContext::default(), false).is_none());
    }
}
