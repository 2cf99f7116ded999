//! ADBC's metadata results: `get_info` (a dense union per value) and `get_objects` (catalogs, schemas, tables and
//! columns, nested), both from the driver's metadata collections.

use std::collections::HashSet;
use std::sync::Arc;

use adbc_core::error::{Error, Result, Status};
use adbc_core::options::{InfoCode, ObjectDepth};
use adbc_core::schemas::{GET_INFO_SCHEMA, GET_OBJECTS_SCHEMA};
use confluence_sql::blocking::Connection;
use confluence_sql::datafusion::arrow::array::{
    new_empty_array, Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch, StringArray, UInt32Array,
    UnionArray,
};
use confluence_sql::datafusion::arrow::buffer::ScalarBuffer;
use confluence_sql::datafusion::arrow::datatypes::{DataType, Int32Type};
use serde_json::{json, Value};

use crate::error::to_adbc;

fn internal(error: impl std::fmt::Display) -> Error {
    Error::with_message_and_status(error.to_string(), Status::Internal)
}

/// An info value: which union member, and the value.
enum Info {
    Text(String),
    Flag(bool),
    Int(i64),
}

/// `get_info`: vendor and driver names and versions, SQL support; `codes` selects (none: all).
pub fn info(codes: Option<HashSet<InfoCode>>, deployment: &str) -> Result<RecordBatch> {
    let arrow_version = "59";
    let all = [
        (InfoCode::VendorName, Info::Text("Confluence".to_owned())),
        (InfoCode::VendorVersion, Info::Text(deployment.to_owned())),
        (InfoCode::VendorArrowVersion, Info::Text(arrow_version.to_owned())),
        (InfoCode::VendorSql, Info::Flag(true)),
        (InfoCode::VendorSubstrait, Info::Flag(false)),
        (InfoCode::DriverName, Info::Text("confluence-sql ADBC driver".to_owned())),
        (InfoCode::DriverVersion, Info::Text(env!("CARGO_PKG_VERSION").to_owned())),
        (InfoCode::DriverArrowVersion, Info::Text(arrow_version.to_owned())),
        (InfoCode::DriverAdbcVersion, Info::Int(i64::from(adbc_core::constants::ADBC_VERSION_1_1_0))),
    ];
    let selected: Vec<&(InfoCode, Info)> =
        all.iter().filter(|(code, _)| codes.as_ref().is_none_or(|c| c.contains(code))).collect();
    let names = UInt32Array::from_iter_values(selected.iter().map(|(code, _)| u32::from(code)));
    let (mut texts, mut flags, mut ints) = (Vec::new(), Vec::new(), Vec::new());
    let (mut type_ids, mut offsets) = (Vec::new(), Vec::new());
    for (_, value) in &selected {
        let (id, offset) = match value {
            Info::Text(text) => {
                texts.push(text.clone());
                (0, texts.len() - 1)
            }
            Info::Flag(flag) => {
                flags.push(*flag);
                (1, flags.len() - 1)
            }
            Info::Int(n) => {
                ints.push(*n);
                (2, ints.len() - 1)
            }
        };
        type_ids.push(id as i8);
        offsets.push(i32::try_from(offset).map_err(internal)?);
    }
    let DataType::Union(fields, _) = GET_INFO_SCHEMA.field(1).data_type().clone() else {
        return Err(internal("ADBC's info schema is not a union"));
    };
    let children: Vec<ArrayRef> = fields
        .iter()
        .map(|(id, field)| -> ArrayRef {
            match id {
                0 => Arc::new(StringArray::from(texts.clone())),
                1 => Arc::new(BooleanArray::from(flags.clone())),
                2 => Arc::new(Int64Array::from(ints.clone())),
                _ => new_empty_array(field.data_type()),
            }
        })
        .collect();
    let values = UnionArray::try_new(fields, ScalarBuffer::from(type_ids), Some(ScalarBuffer::from(offsets)), children)
        .map_err(internal)?;
    RecordBatch::try_new(GET_INFO_SCHEMA.clone(), vec![Arc::new(names), Arc::new(values)]).map_err(internal)
}

/// The filters of `get_objects`: SQL `LIKE` patterns (`%`, `_`) and a list of table types.
pub struct Filter<'a> {
    /// Catalog name pattern.
    pub catalog: Option<&'a str>,
    /// Schema name pattern.
    pub db_schema: Option<&'a str>,
    /// Table name pattern.
    pub table_name: Option<&'a str>,
    /// Table types to keep.
    pub table_type: Option<Vec<&'a str>>,
    /// Column name pattern.
    pub column_name: Option<&'a str>,
}

/// Whether `text` matches the SQL `LIKE` `pattern` (no escape character).
pub fn like(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // matches[j]: whether the pattern so far matches the first j characters of the text.
    let mut matches = vec![false; t.len() + 1];
    matches[0] = true;
    for pc in p {
        let mut next = vec![false; t.len() + 1];
        for j in 0..=t.len() {
            next[j] = match pc {
                '%' => matches[j] || (j > 0 && next[j - 1]),
                '_' => j > 0 && matches[j - 1],
                c => j > 0 && matches[j - 1] && t[j - 1] == c,
            };
        }
        matches = next;
    }
    matches[t.len()]
}

fn keeps(pattern: Option<&str>, name: &str) -> bool {
    pattern.is_none_or(|p| like(p, name))
}

/// The text columns of a metadata collection's rows, by column name.
fn collection(connection: &Connection, name: &str) -> Result<Vec<std::collections::HashMap<String, Option<String>>>> {
    let batches = connection.get_schema(name).map_err(to_adbc)?;
    let mut rows = Vec::new();
    for batch in &batches {
        let schema = batch.schema();
        for row in 0..batch.num_rows() {
            let mut values = std::collections::HashMap::new();
            for (i, field) in schema.fields().iter().enumerate() {
                let column = batch.column(i);
                let value = if column.is_null(row) {
                    None
                } else if let Some(text) = column.as_string_opt::<i32>() {
                    Some(text.value(row).to_owned())
                } else {
                    column.as_primitive_opt::<Int32Type>().map(|n| n.value(row).to_string())
                };
                values.insert(field.name().clone(), value);
            }
            rows.push(values);
        }
    }
    Ok(rows)
}

/// `get_objects` down to `depth`, filtered.
pub fn objects(connection: &Connection, depth: ObjectDepth, filter: &Filter<'_>) -> Result<RecordBatch> {
    let catalog = confluence_sql::metadata::CATALOG;
    let schema = "main";
    let mut catalogs: Vec<Value> = Vec::new();
    if keeps(filter.catalog, catalog) {
        let schemas = match depth {
            ObjectDepth::Catalogs => Value::Null,
            _ if !keeps(filter.db_schema, schema) => json!([]),
            _ => json!([{ "db_schema_name": schema, "db_schema_tables": tables(connection, depth, filter)? }]),
        };
        catalogs.push(json!({ "catalog_name": catalog, "catalog_db_schemas": schemas }));
    }
    let mut decoder = arrow_json::ReaderBuilder::new(GET_OBJECTS_SCHEMA.clone()).build_decoder().map_err(internal)?;
    decoder.serialize(&catalogs).map_err(internal)?;
    Ok(decoder.flush().map_err(internal)?.unwrap_or_else(|| RecordBatch::new_empty(GET_OBJECTS_SCHEMA.clone())))
}

fn tables(connection: &Connection, depth: ObjectDepth, filter: &Filter<'_>) -> Result<Value> {
    if matches!(depth, ObjectDepth::Schemas) {
        return Ok(Value::Null);
    }
    let text = |row: &std::collections::HashMap<String, Option<String>>, key: &str| {
        row.get(key).cloned().flatten().unwrap_or_default()
    };
    let columns = match depth {
        ObjectDepth::All | ObjectDepth::Columns => collection(connection, "Columns")?,
        _ => Vec::new(),
    };
    let mut tables = Vec::new();
    for table in collection(connection, "Tables")? {
        let (name, kind) = (text(&table, "TABLE_NAME"), text(&table, "TABLE_TYPE"));
        let type_kept =
            filter.table_type.as_ref().is_none_or(|types| types.iter().any(|t| t.eq_ignore_ascii_case(&kind)));
        if !keeps(filter.table_name, &name) || !type_kept {
            continue;
        }
        let table_columns = match depth {
            ObjectDepth::Tables => Value::Null,
            _ => Value::Array(
                columns
                    .iter()
                    .filter(|c| text(c, "TABLE_NAME") == name && keeps(filter.column_name, &text(c, "COLUMN_NAME")))
                    .map(|c| {
                        json!({
                            "column_name": text(c, "COLUMN_NAME"),
                            "ordinal_position": text(c, "ORDINAL_POSITION").parse::<i32>().ok(),
                            "remarks": text(c, "DESCRIPTION"),
                            "xdbc_type_name": text(c, "DATA_TYPE"),
                            "xdbc_nullable": 1,
                            "xdbc_is_nullable": "YES",
                        })
                    })
                    .collect(),
            ),
        };
        tables.push(json!({
            "table_name": name,
            "table_type": kind,
            "table_columns": table_columns,
            "table_constraints": [],
        }));
    }
    Ok(Value::Array(tables))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("%", ""));
        assert!(like("pa%", "pages"));
        assert!(like("p_ges", "pages"));
        assert!(like("%age%", "pages"));
        assert!(!like("page", "pages"));
        assert!(!like("_", ""));
        assert!(like("sys\\_%", "sys\\_procedures"));
    }

    #[test]
    fn info_selects_codes() {
        let all = info(None, "Cloud").expect("info");
        assert_eq!(all.num_rows(), 9);
        let one = info(Some(HashSet::from([InfoCode::VendorName])), "Cloud").expect("info");
        assert_eq!(one.num_rows(), 1);
        let values = one.column(1).as_union();
        assert_eq!(values.value(0).as_string::<i32>().value(0), "Confluence");
    }
}
