//! Table columns and the JSON → Arrow decoder. A column says where its value is in an API object (a path of
//! keys), its Arrow type, and how to convert: ids that the API writes as strings of digits become `Int64`,
//! ISO-8601 timestamps become `Timestamp(Millisecond, "UTC")`, epoch milliseconds too.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, StringBuilder, TimestampMillisecondBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::error::{DataFusionError, Result};
use serde_json::Value;

/// The Arrow type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `Utf8`.
    Text,
    /// `Int64` (also from strings of digits: content and space ids).
    Int,
    /// `Boolean`.
    Bool,
    /// `Timestamp(Millisecond, "UTC")` from ISO-8601 text or epoch milliseconds.
    Time,
}

impl Kind {
    /// The Arrow type.
    pub fn data_type(&self) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::Int => DataType::Int64,
            Kind::Bool => DataType::Boolean,
            Kind::Time => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        }
    }
}

/// Where a column's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A path of keys into the API object, e.g. `["version", "number"]`.
    Path(&'static [&'static str]),
    /// The key of the space whose id is at this path (resolved through the connection's space directory).
    SpaceKeyOf(&'static [&'static str]),
    /// A constant for every row of the request (e.g. `kind` = `footer`), filled in by the scan.
    Constant,
    /// The value of the request parameter this row was fetched with (e.g. the page id of a per-page list).
    Parent,
    /// A key of the last element of an array (e.g. the parent of a page is the last of its `ancestors`).
    LastOf(&'static [&'static str], &'static str),
    /// The value at the first path when the text at the second equals the third (e.g. a comment's container id is
    /// its `page_id` when the container's `type` is `page`).
    PathIf(&'static [&'static str], &'static [&'static str], &'static str),
    /// The value at the first path, else at the second (Data Center names a permission's user by `userKey` and
    /// its group by `name`).
    FirstOf(&'static [&'static str], &'static [&'static str]),
    /// Always NULL: the deployment has no such field (Data Center attachments have no media-services id).
    Null,
    /// The space of the content the row belongs to, when the row itself does not say: the parent's space, found
    /// once per scan for a per-parent list (`pages/{id}/labels`), or the search result's space for a child search.
    ParentSpace,
}

/// One column of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Column name (snake_case).
    pub name: &'static str,
    /// Arrow type.
    pub kind: Kind,
    /// Where the value comes from.
    pub source: Source,
    /// What it is, for `docs/tables.md` and `\d`.
    pub doc: &'static str,
}

/// Shorthand for a column read from a path.
pub const fn col(name: &'static str, kind: Kind, path: &'static [&'static str], doc: &'static str) -> Column {
    Column { name, kind, source: Source::Path(path), doc }
}

/// The parts of an API object the columns read (what the pages are parsed into).
pub fn shape_of(columns: &[Column]) -> confluence_rest::Shape {
    let mut shape = confluence_rest::Shape::nothing();
    for column in columns {
        match column.source {
            Source::Path(path) | Source::SpaceKeyOf(path) => {
                shape.keep(path);
            }
            Source::LastOf(array, key) => {
                let mut element = confluence_rest::Shape::nothing();
                element.keep(&[key]);
                shape.keep_shape(array, &element);
            }
            Source::PathIf(path, test, _) => {
                shape.keep(path).keep(test);
            }
            Source::FirstOf(first, second) => {
                shape.keep(first).keep(second);
            }
            Source::Constant | Source::Parent | Source::Null | Source::ParentSpace => {}
        }
    }
    shape
}

/// The Arrow field metadata key holding a column's description (what `\d`, `GetSchema` and clients show).
pub const DESCRIPTION: &str = "description";

/// The Arrow schema of a list of columns (every column nullable: the API omits absent values); each field carries
/// its column's description as [`DESCRIPTION`] metadata.
pub fn schema_of(columns: &[Column]) -> SchemaRef {
    let field = |c: &Column| {
        let metadata = std::collections::HashMap::from([(DESCRIPTION.to_owned(), c.doc.to_owned())]);
        Field::new(c.name, c.kind.data_type(), true).with_metadata(metadata)
    };
    Arc::new(Schema::new(columns.iter().map(field).collect::<Vec<_>>()))
}

/// The value at `path` in `object` (`None` when absent or null).
pub fn lookup<'a>(object: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(object, |v, key| v.get(key)).filter(|v| !v.is_null())
}

/// Parses an ISO-8601 timestamp to epoch milliseconds: the form Confluence writes
/// (`2024-01-31T10:30:00.000Z`, or with an offset) read directly, anything else through chrono's RFC 3339 parser.
pub fn parse_time(text: &str) -> Option<i64> {
    parse_time_fast(text.as_bytes())
        .or_else(|| chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis()))
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)` with every field in range (no leap second); `None` for anything else.
fn parse_time_fast(b: &[u8]) -> Option<i64> {
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        b.get(range)?.iter().try_fold(0i64, |n, c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    let mut millis = 0;
    if b[at] == b'.' {
        let start = at + 1;
        at = start;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        let fraction = at - start;
        if fraction == 0 || fraction > 9 {
            return None;
        }
        // Milliseconds: the first three digits (truncated, as chrono's timestamp_millis does).
        millis = (start..start + 3).map(|i| if i < at { i64::from(b[i] - b'0') } else { 0 }).fold(0, |n, d| n * 10 + d);
    }
    let offset_minutes = match &b[at..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(at + 1..at + 3)?, digits(at + 4..at + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'+' {
                h * 60 + m
            } else {
                -(h * 60 + m)
            }
        }
        _ => return None,
    };
    // Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

enum Builder {
    Text(StringBuilder),
    Int(Int64Builder),
    Bool(BooleanBuilder),
    Time(TimestampMillisecondBuilder),
}

/// What the decoder needs besides the JSON: space keys by id, per-request constants.
#[derive(Clone, Debug, Default)]
pub struct DecodeContext {
    /// Space id → space key.
    pub space_keys: Arc<HashMap<i64, String>>,
    /// Values of `Constant` columns, by column name.
    pub constants: HashMap<&'static str, Value>,
    /// The value for `Parent` columns.
    pub parent: Option<Value>,
    /// The value for `Parent` columns row by row, when the rows come from several parents (a child search);
    /// takes precedence over `parent`.
    pub row_parents: Option<Vec<Value>>,
    /// The value for `ParentSpace` columns, when the rows come from one parent.
    pub parent_space: Option<Value>,
    /// The value for `ParentSpace` columns row by row (a child search); takes precedence over `parent_space`.
    pub row_spaces: Option<Vec<Value>>,
}

/// Decodes `results` (API objects) into a batch with the given columns.
pub fn decode(
    columns: &[Column],
    schema: &SchemaRef,
    results: &[Value],
    context: &DecodeContext,
) -> Result<RecordBatch> {
    let mut builders: Vec<Builder> = columns
        .iter()
        .map(|c| match c.kind {
            Kind::Text => Builder::Text(StringBuilder::with_capacity(results.len(), results.len() * 16)),
            Kind::Int => Builder::Int(Int64Builder::with_capacity(results.len())),
            Kind::Bool => Builder::Bool(BooleanBuilder::with_capacity(results.len())),
            Kind::Time => Builder::Time(TimestampMillisecondBuilder::with_capacity(results.len()).with_timezone("UTC")),
        })
        .collect();
    for (row, object) in results.iter().enumerate() {
        for (column, builder) in columns.iter().zip(builders.iter_mut()) {
            if let (Source::SpaceKeyOf(path), Builder::Text(text)) = (column.source, &mut *builder) {
                // Appended straight from the directory: no string copy per row.
                let id = lookup(object, path).and_then(as_i64);
                text.append_option(id.and_then(|id| context.space_keys.get(&id)));
                continue;
            }
            let value: Option<&Value> = match column.source {
                Source::Path(path) => lookup(object, path),
                Source::SpaceKeyOf(_) => {
                    return Err(DataFusionError::Internal(format!(
                        "{} reads a space key but is not a text column",
                        column.name
                    )))
                }
                Source::Constant => context.constants.get(column.name),
                Source::Parent => match &context.row_parents {
                    Some(parents) => parents.get(row).filter(|v| !v.is_null()),
                    None => context.parent.as_ref(),
                },
                Source::LastOf(path, key) => lookup(object, path)
                    .and_then(Value::as_array)
                    .and_then(|a| a.last())
                    .and_then(|v| v.get(key))
                    .filter(|v| !v.is_null()),
                Source::PathIf(path, test, equals) => lookup(object, test)
                    .and_then(Value::as_str)
                    .filter(|t| *t == equals)
                    .and_then(|_| lookup(object, path)),
                Source::FirstOf(first, second) => {
                    lookup(object, first).filter(|v| !v.is_null()).or_else(|| lookup(object, second))
                }
                Source::Null => None,
                Source::ParentSpace => match &context.row_spaces {
                    Some(spaces) => spaces.get(row).filter(|v| !v.is_null()),
                    None => context.parent_space.as_ref(),
                },
            };
            append(builder, value, column)?;
        }
    }
    let arrays: Vec<ArrayRef> = builders
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
    let options = RecordBatchOptions::new().with_row_count(Some(results.len()));
    RecordBatch::try_new_with_options(schema.clone(), arrays, &options).map_err(DataFusionError::from)
}

fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn append(builder: &mut Builder, value: Option<&Value>, column: &Column) -> Result<()> {
    let mismatch = |v: &Value| {
        DataFusionError::Execution(format!(
            "Confluence returned {v} for column {} ({:?}), which does not fit its type",
            column.name, column.kind
        ))
    };
    match builder {
        Builder::Text(b) => match value {
            None => b.append_null(),
            Some(Value::String(s)) => b.append_value(s),
            Some(other) => b.append_value(other.to_string()),
        },
        Builder::Int(b) => match value {
            None => b.append_null(),
            Some(v) => b.append_value(as_i64(v).ok_or_else(|| mismatch(v))?),
        },
        Builder::Bool(b) => match value {
            None => b.append_null(),
            Some(Value::Bool(x)) => b.append_value(*x),
            Some(v) => return Err(mismatch(v)),
        },
        Builder::Time(b) => match value {
            None => b.append_null(),
            Some(Value::String(s)) => b.append_value(parse_time(s).ok_or_else(|| mismatch(&Value::String(s.clone())))?),
            Some(Value::Number(n)) => b.append_value(n.as_i64().ok_or_else(|| mismatch(&Value::Number(n.clone())))?),
            Some(v) => return Err(mismatch(v)),
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Int64Type, TimestampMillisecondType};
    use serde_json::json;

    const COLUMNS: &[Column] = &[
        col("id", Kind::Int, &["id"], "id"),
        col("title", Kind::Text, &["title"], "title"),
        col("version", Kind::Int, &["version", "number"], "version"),
        col("created_at", Kind::Time, &["createdAt"], "created"),
        col("minor", Kind::Bool, &["version", "minorEdit"], "minor"),
        Column { name: "space_key", kind: Kind::Text, source: Source::SpaceKeyOf(&["spaceId"]), doc: "key" },
    ];

    proptest::proptest! {
        /// The direct reading of Confluence's timestamps agrees with chrono's on every valid one, and declines
        /// (leaving it to chrono) what it does not read.
        #[test]
        fn fast_timestamps_agree_with_chrono(
            ms in -62_000_000_000_000i64..253_000_000_000_000i64,
            offset in -23 * 60..23 * 60i32,
            digits in 0usize..10,
        ) {
            let zone = chrono::FixedOffset::east_opt(offset * 60).unwrap_or_else(|| unreachable!());
            let at = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_else(|| unreachable!()).with_timezone(&zone);
            let format = match digits {
                0 => "%Y-%m-%dT%H:%M:%S%:z".to_owned(),
                3 => "%Y-%m-%dT%H:%M:%S%.3f%:z".to_owned(),
                6 => "%Y-%m-%dT%H:%M:%S%.6f%:z".to_owned(),
                _ => "%Y-%m-%dT%H:%M:%S%.9f%:z".to_owned(),
            };
            let text = at.format(&format).to_string();
            let chrono = chrono::DateTime::parse_from_rfc3339(&text).ok().map(|t| t.timestamp_millis());
            let fast = parse_time_fast(text.as_bytes());
            proptest::prop_assert!(fast.is_none() || fast == chrono, "{text}: {fast:?} vs {chrono:?}");
            if (0..=9999).contains(&chrono::Datelike::year(&at)) {
                proptest::prop_assert!(fast.is_some(), "{text} is read directly");
            }
            proptest::prop_assert_eq!(parse_time(&text), chrono, "{}", text);
            let zulu = text.replace("+00:00", "Z");
            proptest::prop_assert_eq!(parse_time(&zulu), chrono::DateTime::parse_from_rfc3339(&zulu).ok().map(|t| t.timestamp_millis()));
        }
    }

    #[test]
    fn odd_timestamps_are_read_or_refused_as_chrono_does() {
        for text in [
            "2024-02-29T23:59:59.999Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:60Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0100",
            "+2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.1234567891Z",
            "x",
        ] {
            let chrono = chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis());
            assert_eq!(parse_time(text), chrono, "{text}");
            assert!(parse_time_fast(text.as_bytes()).is_none() || parse_time_fast(text.as_bytes()) == chrono, "{text}");
        }
        assert_eq!(parse_time_fast(b"2024-01-31T10:30:00.000Z"), Some(1_706_697_000_000));
        assert_eq!(parse_time_fast(b"2024-01-31T11:30:00.000+01:00"), Some(1_706_697_000_000));
    }

    #[test]
    fn decodes_types_and_nulls() {
        let schema = schema_of(COLUMNS);
        let rows = vec![
            json!({"id": "1000000005", "title": "Ünï", "version": {"number": 3, "minorEdit": true}, "createdAt": "2024-01-31T10:30:00.000Z", "spaceId": "10000"}),
            json!({"id": "7", "title": null, "spaceId": "99"}),
        ];
        let keys: HashMap<i64, String> = [(10000, "ENG".to_owned())].into();
        let context = DecodeContext { space_keys: Arc::new(keys), ..DecodeContext::default() };
        let batch = decode(COLUMNS, &schema, &rows, &context).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.column(0).as_primitive::<Int64Type>().value(0), 1_000_000_005);
        assert!(batch.column(1).is_null(1));
        assert_eq!(batch.column(3).as_primitive::<TimestampMillisecondType>().value(0), 1_706_697_000_000);
        assert_eq!(batch.column(5).as_string::<i32>().value(0), "ENG");
        assert!(batch.column(5).is_null(1), "unknown space id");
    }

    #[test]
    fn conditional_paths() {
        const ON: &[Column] = &[
            Column {
                name: "page_id",
                kind: Kind::Int,
                source: Source::PathIf(&["c", "id"], &["c", "type"], "page"),
                doc: "",
            },
            Column {
                name: "post_id",
                kind: Kind::Int,
                source: Source::PathIf(&["c", "id"], &["c", "type"], "blogpost"),
                doc: "",
            },
        ];
        let rows =
            vec![json!({"c": {"id": "5", "type": "page"}}), json!({"c": {"id": "6", "type": "blogpost"}}), json!({})];
        let batch = decode(ON, &schema_of(ON), &rows, &DecodeContext::default()).unwrap_or_else(|e| panic!("{e}"));
        let page = batch.column(0).as_primitive::<Int64Type>();
        let post = batch.column(1).as_primitive::<Int64Type>();
        assert_eq!((page.value(0), page.is_null(1), page.is_null(2)), (5, true, true));
        assert_eq!((post.is_null(0), post.value(1), post.is_null(2)), (true, 6, true));
    }

    #[test]
    fn rows_parsed_to_the_columns_shape_decode_as_the_whole_rows_do() {
        const EVERY_SOURCE: &[Column] = &[
            col("id", Kind::Int, &["id"], ""),
            col("number", Kind::Int, &["version", "number"], ""),
            Column { name: "parent", kind: Kind::Int, source: Source::LastOf(&["ancestors"], "id"), doc: "" },
            Column {
                name: "page",
                kind: Kind::Int,
                source: Source::PathIf(&["c", "id"], &["c", "type"], "page"),
                doc: "",
            },
            Column { name: "key", kind: Kind::Text, source: Source::SpaceKeyOf(&["spaceId"]), doc: "" },
        ];
        let page = br#"{"results": [
            {"id": "5", "title": "t", "body": {"storage": {"value": "<p>x</p>"}}, "version": {"number": 2, "by": {}},
             "ancestors": [{"id": "1", "title": "a"}, {"id": "2"}], "c": {"type": "page", "id": "9", "title": "p"},
             "spaceId": "10000"},
            {"id": "6", "c": {"id": "8", "type": "blogpost"}, "ancestors": []}
        ]}"#;
        let mut shape = confluence_rest::Shape::nothing();
        shape.keep_shape(&["results"], &shape_of(EVERY_SOURCE));
        let shaped = shape.parse(page).unwrap_or_else(|e| panic!("{e}"));
        let whole: Value = serde_json::from_slice(page).unwrap_or_else(|e| panic!("{e}"));
        let keys: HashMap<i64, String> = [(10000, "ENG".to_owned())].into();
        let context = DecodeContext { space_keys: Arc::new(keys), ..DecodeContext::default() };
        let rows = |v: &Value| v["results"].as_array().cloned().unwrap_or_default();
        let schema = schema_of(EVERY_SOURCE);
        let from_shaped = decode(EVERY_SOURCE, &schema, &rows(&shaped), &context).unwrap_or_else(|e| panic!("{e}"));
        let from_whole = decode(EVERY_SOURCE, &schema, &rows(&whole), &context).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(from_shaped, from_whole);
        let text = shaped.to_string();
        assert!(!text.contains("body") && !text.contains("title") && !text.contains("by"), "{text}");
    }

    /// A column of every kind from every source, to decode arbitrary objects with.
    const EVERY: &[Column] = &[
        col("id", Kind::Int, &["id"], ""),
        col("title", Kind::Text, &["title"], ""),
        col("flag", Kind::Bool, &["a", "flag"], ""),
        col("at", Kind::Time, &["a", "at"], ""),
        Column { name: "key", kind: Kind::Text, source: Source::SpaceKeyOf(&["spaceId"]), doc: "" },
        Column { name: "last", kind: Kind::Int, source: Source::LastOf(&["ancestors"], "id"), doc: "" },
        Column { name: "page", kind: Kind::Int, source: Source::PathIf(&["c", "id"], &["c", "type"], "page"), doc: "" },
        Column { name: "kind", kind: Kind::Text, source: Source::Constant, doc: "" },
        Column { name: "parent", kind: Kind::Int, source: Source::Parent, doc: "" },
    ];

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            "(\\PC{0,6}|[0-9]{1,19}|2024-01-31T10:30:00Z)".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("(id|title|a|flag|at|spaceId|ancestors|c|type)", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Whatever objects a server sends, decoding gives a batch or an error naming the column: never a panic.
        #[test]
        fn arbitrary_objects_decode_or_fail_cleanly(rows in proptest::collection::vec(any_json(), 0..8)) {
            let context = DecodeContext {
                constants: [("kind", Value::from("footer"))].into(),
                parent: Some(Value::from(7)),
                ..DecodeContext::default()
            };
            match decode(EVERY, &schema_of(EVERY), &rows, &context) {
                Ok(batch) => proptest::prop_assert_eq!(batch.num_rows(), rows.len()),
                Err(e) => proptest::prop_assert!(e.to_string().contains("does not fit its type"), "{}", e),
            }
        }
    }

    #[test]
    fn a_wrong_type_is_an_error_not_a_null() {
        let schema = schema_of(COLUMNS);
        let rows = vec![json!({"id": "not a number"})];
        let error = decode(COLUMNS, &schema, &rows, &DecodeContext::default()).expect_err("mismatch");
        assert!(error.to_string().contains("column id"), "{error}");
    }
}
