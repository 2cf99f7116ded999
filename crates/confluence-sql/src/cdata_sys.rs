//! CData's system tables, for scripts and tools written against CData's Confluence driver: `sys_catalogs`,
//! `sys_schemas`, `sys_tables`, `sys_tablecolumns` and `sys_procedureparameters`, with CData's column names and
//! case (`TableName`, `ColumnName`...), over the same declarations as `information_schema` and `get_schema`.
//! Unquoted column names in a query over one of them match in any case, as in CData's driver (the rewrite quotes
//! them, see [`case_preserved_columns`]); quoted ones match exactly.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Int32Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::error::Result;

use crate::metadata::{sql_type, CATALOG};
use crate::procedures::ProcedureSpec;
use crate::spec::Table;
use crate::write::target::Entity;

const SCHEMA: &str = crate::catalog::SCHEMA;

const CATALOGS: &[&str] = &["CatalogName"];
const SCHEMAS: &[&str] = &["CatalogName", "SchemaName"];
const TABLES: &[&str] = &["CatalogName", "SchemaName", "TableName", "TableType", "Description", "IsUpdateable"];
const TABLE_COLUMNS: &[&str] = &[
    "CatalogName",
    "SchemaName",
    "TableName",
    "ColumnName",
    "DataTypeName",
    "Ordinal",
    "IsNullable",
    "IsKey",
    "IsReadOnly",
    "Description",
];
const PROCEDURE_PARAMETERS: &[&str] = &[
    "CatalogName",
    "SchemaName",
    "ProcedureName",
    "ColumnName",
    "Direction",
    "DataTypeName",
    "Ordinal",
    "IsRequired",
    "Description",
];

/// The CData system tables and their columns.
const SYS_TABLES: &[(&str, &[&str])] = &[
    ("sys_catalogs", CATALOGS),
    ("sys_schemas", SCHEMAS),
    ("sys_tables", TABLES),
    ("sys_tablecolumns", TABLE_COLUMNS),
    ("sys_procedureparameters", PROCEDURE_PARAMETERS),
];

/// The case-preserved column names of the CData system table `table` (any case), if it is one.
pub fn case_preserved_columns(table: &str) -> Option<&'static [&'static str]> {
    SYS_TABLES.iter().find(|(name, _)| name.eq_ignore_ascii_case(table)).map(|(_, columns)| *columns)
}

/// A column of a system table: its values, all of one type.
enum Values {
    Text(Vec<String>),
    Int(Vec<i32>),
    Flag(Vec<bool>),
}

fn table(columns: &[&str], values: Vec<Values>) -> Result<Arc<dyn TableProvider>> {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns
        .iter()
        .zip(values)
        .map(|(name, values)| match values {
            Values::Text(v) => (Field::new(*name, DataType::Utf8, true), Arc::new(StringArray::from(v)) as ArrayRef),
            Values::Int(v) => (Field::new(*name, DataType::Int32, true), Arc::new(Int32Array::from(v)) as ArrayRef),
            Values::Flag(v) => {
                (Field::new(*name, DataType::Boolean, true), Arc::new(BooleanArray::from(v)) as ArrayRef)
            }
        })
        .unzip();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

fn texts<T>(rows: &[T], pick: impl Fn(&T) -> String) -> Values {
    Values::Text(rows.iter().map(pick).collect())
}

/// The CData system tables over `tables` and `procedures`.
pub fn sys_tables(
    tables: &[Table],
    procedures: &[&'static ProcedureSpec],
) -> Result<Vec<(&'static str, Arc<dyn TableProvider>)>> {
    let catalogs = table(CATALOGS, vec![Values::Text(vec![CATALOG.to_owned()])])?;
    let schemas = table(SCHEMAS, vec![Values::Text(vec![CATALOG.to_owned()]), Values::Text(vec![SCHEMA.to_owned()])])?;

    let specs: Vec<_> = tables.iter().map(|t| t.cloud).collect();
    let sys_tables = table(
        TABLES,
        vec![
            texts(&specs, |_| CATALOG.to_owned()),
            texts(&specs, |_| SCHEMA.to_owned()),
            texts(&specs, |s| s.name.to_owned()),
            texts(&specs, |_| "TABLE".to_owned()),
            texts(&specs, |s| s.doc.to_owned()),
            Values::Flag(specs.iter().map(|s| Entity::of_table(s.name).is_some()).collect()),
        ],
    )?;

    // (table, column, ordinal)
    let columns: Vec<_> =
        specs.iter().flat_map(|s| s.columns.iter().enumerate().map(move |(i, c)| (s.name, *c, i as i32 + 1))).collect();
    let writable = |table: &str, column: &str| {
        Entity::of_table(table).is_some_and(|e| e.insertable().contains(&column) || e.updatable().contains(&column))
    };
    let sys_columns = table(
        TABLE_COLUMNS,
        vec![
            texts(&columns, |_| CATALOG.to_owned()),
            texts(&columns, |_| SCHEMA.to_owned()),
            texts(&columns, |(t, _, _)| (*t).to_owned()),
            texts(&columns, |(_, c, _)| c.name.to_owned()),
            texts(&columns, |(_, c, _)| sql_type(c.kind).to_owned()),
            Values::Int(columns.iter().map(|(_, _, i)| *i).collect()),
            Values::Flag(columns.iter().map(|_| true).collect()),
            Values::Flag(columns.iter().map(|(_, c, _)| c.name == "id").collect()),
            Values::Flag(columns.iter().map(|(t, c, _)| !writable(t, c.name)).collect()),
            texts(&columns, |(_, c, _)| c.doc.to_owned()),
        ],
    )?;

    // (procedure, name, direction (CData: 1 input, 4 output), type, ordinal, required, description)
    let mut parameters: Vec<(&str, &str, i32, String, i32, bool, &str)> = Vec::new();
    for spec in procedures {
        for (i, p) in spec.params.iter().enumerate() {
            parameters.push((spec.name, p.name, 1, "VARCHAR".to_owned(), i as i32 + 1, p.required, p.description));
        }
        for (i, c) in spec.columns.iter().enumerate() {
            let type_name = match c.data_type {
                DataType::Int64 => "BIGINT",
                DataType::Binary => "VARBINARY",
                _ => "VARCHAR",
            };
            parameters.push((spec.name, c.name, 4, type_name.to_owned(), i as i32 + 1, false, c.description));
        }
    }
    let sys_parameters = table(
        PROCEDURE_PARAMETERS,
        vec![
            texts(&parameters, |_| CATALOG.to_owned()),
            texts(&parameters, |_| SCHEMA.to_owned()),
            texts(&parameters, |p| p.0.to_owned()),
            texts(&parameters, |p| p.1.to_owned()),
            Values::Int(parameters.iter().map(|p| p.2).collect()),
            texts(&parameters, |p| p.3.clone()),
            Values::Int(parameters.iter().map(|p| p.4).collect()),
            Values::Flag(parameters.iter().map(|p| p.5).collect()),
            texts(&parameters, |p| p.6.to_owned()),
        ],
    )?;
    Ok(vec![
        ("sys_catalogs", catalogs),
        ("sys_schemas", schemas),
        ("sys_tables", sys_tables),
        ("sys_tablecolumns", sys_columns),
        ("sys_procedureparameters", sys_parameters),
    ])
}
