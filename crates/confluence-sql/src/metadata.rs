//! What the driver has — tables, columns, procedures and their parameters, data types — as ADO.NET's `GetSchema`
//! collections, with the column names ADO.NET uses (`TABLE_CATALOG`, `TABLE_SCHEMA`, `TABLE_NAME`, ...). The text
//! comes from the table and procedure declarations, the same text the Arrow fields carry as `description`
//! metadata and the shell's `\d` prints.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Int32Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;

use crate::catalog::SCHEMA;
use crate::columns::Kind;
use crate::error::SqlError;
use crate::procedures::ProcedureSpec;
use crate::reader::rust_type_for;
use crate::spec::Table;

/// The catalog name of a connection's own session.
pub const CATALOG: &str = "confluence";

/// The metadata collections [`crate::Connection::get_schema`] knows, with their restrictions (the columns a
/// restriction value filters, in order).
pub const COLLECTIONS: &[(&str, &[&str])] = &[
    ("MetaDataCollections", &[]),
    ("Restrictions", &[]),
    ("DataTypes", &[]),
    ("Tables", &["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE"]),
    ("Columns", &["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME"]),
    ("Procedures", &["SPECIFIC_CATALOG", "SPECIFIC_SCHEMA", "SPECIFIC_NAME", "ROUTINE_TYPE"]),
    ("ProcedureParameters", &["SPECIFIC_CATALOG", "SPECIFIC_SCHEMA", "SPECIFIC_NAME", "PARAMETER_NAME"]),
];

/// A cell of a metadata row.
#[derive(Debug, Clone)]
enum Cell {
    Text(Option<String>),
    Int(Option<i32>),
    Bool(bool),
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Text(Some(text.to_owned()))
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Text(Some(text))
    }
}

impl From<i32> for Cell {
    fn from(n: i32) -> Cell {
        Cell::Int(Some(n))
    }
}

impl From<bool> for Cell {
    fn from(flag: bool) -> Cell {
        Cell::Bool(flag)
    }
}

const NULL_TEXT: Cell = Cell::Text(None);
const NULL_INT: Cell = Cell::Int(None);

/// The SQL type name of a column kind.
pub(crate) fn sql_type(kind: Kind) -> &'static str {
    sql_type_of(&kind.data_type())
}

/// The SQL type name of an Arrow type the driver returns.
fn sql_type_of(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Int64 => "BIGINT",
        DataType::Boolean => "BOOLEAN",
        DataType::Timestamp(..) => "TIMESTAMP",
        _ => "VARCHAR",
    }
}

/// What the collections are built from: the connection's tables and procedures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sources<'a> {
    /// The tables.
    pub tables: &'a [Table],
    /// The table functions and procedures.
    pub procedures: &'a [&'static ProcedureSpec],
    /// Whether the connection is to Cloud (some tables are Cloud-only).
    pub cloud: bool,
}

/// The collection `name` (any case), its rows filtered by `restrictions` (each `Some` must equal the row's value
/// in that restriction's column, without regard to case), as one batch.
pub(crate) fn collection(
    sources: Sources<'_>,
    name: &str,
    restrictions: &[Option<&str>],
) -> Result<RecordBatch, SqlError> {
    let Some((name, restricted)) = COLLECTIONS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
        let names: Vec<&str> = COLLECTIONS.iter().map(|(n, _)| *n).collect();
        return Err(SqlError::Usage(format!(
            "no metadata collection named '{name}': the collections are {}",
            names.join(", ")
        )));
    };
    if restrictions.len() > restricted.len() {
        return Err(SqlError::Usage(format!(
            "{name} takes at most {} restriction(s) ({}); {} were given",
            restricted.len(),
            restricted.join(", "),
            restrictions.len()
        )));
    }
    let (columns, rows) = match *name {
        "MetaDataCollections" => metadata_collections(),
        "Restrictions" => restriction_rows(),
        "DataTypes" => data_types(),
        "Tables" => tables(sources),
        "Columns" => columns(sources),
        "Procedures" => procedures(sources),
        _ => procedure_parameters(sources),
    };
    let keep = |row: &Vec<Cell>| {
        restricted.iter().zip(restrictions).all(|(column, wanted)| {
            let Some(wanted) = wanted else { return true };
            let index = columns.iter().position(|(c, _)| c == column);
            matches!(index.map(|i| &row[i]), Some(Cell::Text(Some(value))) if value.eq_ignore_ascii_case(wanted))
        })
    };
    let rows: Vec<Vec<Cell>> = rows.into_iter().filter(keep).collect();
    batch(&columns, &rows)
}

type Columns = Vec<(&'static str, DataType)>;

fn text(names: &[&'static str]) -> Columns {
    names.iter().map(|n| (*n, DataType::Utf8)).collect()
}

fn batch(columns: &Columns, rows: &[Vec<Cell>]) -> Result<RecordBatch, SqlError> {
    let fields: Vec<Field> = columns.iter().map(|(name, t)| Field::new(*name, t.clone(), true)).collect();
    let arrays: Vec<ArrayRef> = (0..columns.len())
        .map(|i| -> ArrayRef {
            match columns[i].1 {
                DataType::Int32 => Arc::new(Int32Array::from_iter(rows.iter().map(|r| match &r[i] {
                    Cell::Int(n) => *n,
                    _ => None,
                }))),
                DataType::Boolean => Arc::new(BooleanArray::from_iter(rows.iter().map(|r| match &r[i] {
                    Cell::Bool(b) => Some(*b),
                    _ => None,
                }))),
                _ => Arc::new(StringArray::from_iter(rows.iter().map(|r| match &r[i] {
                    Cell::Text(t) => t.clone(),
                    _ => None,
                }))),
            }
        })
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| SqlError::Query(e.into()))
}

fn metadata_collections() -> (Columns, Vec<Vec<Cell>>) {
    let columns = vec![
        ("CollectionName", DataType::Utf8),
        ("NumberOfRestrictions", DataType::Int32),
        ("NumberOfIdentifierParts", DataType::Int32),
    ];
    let rows = COLLECTIONS
        .iter()
        .map(|(name, restrictions)| {
            let parts = match *name {
                "Tables" | "Procedures" => 3,
                "Columns" | "ProcedureParameters" => 4,
                _ => 0,
            };
            vec![(*name).into(), (restrictions.len() as i32).into(), parts.into()]
        })
        .collect();
    (columns, rows)
}

fn restriction_rows() -> (Columns, Vec<Vec<Cell>>) {
    let columns = vec![
        ("CollectionName", DataType::Utf8),
        ("RestrictionName", DataType::Utf8),
        ("RestrictionDefault", DataType::Utf8),
        ("RestrictionNumber", DataType::Int32),
    ];
    let mut rows = Vec::new();
    for (name, restrictions) in COLLECTIONS {
        for (i, restriction) in restrictions.iter().enumerate() {
            rows.push(vec![(*name).into(), (*restriction).into(), NULL_TEXT, (i as i32 + 1).into()]);
        }
    }
    (columns, rows)
}

fn data_types() -> (Columns, Vec<Vec<Cell>>) {
    let columns = vec![
        ("TypeName", DataType::Utf8),
        ("ArrowType", DataType::Utf8),
        ("DataType", DataType::Utf8),
        ("IsNullable", DataType::Boolean),
        ("IsSearchable", DataType::Boolean),
        ("IsSearchableWithLike", DataType::Boolean),
        ("LiteralPrefix", DataType::Utf8),
        ("LiteralSuffix", DataType::Utf8),
    ];
    let rows = [Kind::Text, Kind::Int, Kind::Bool, Kind::Time]
        .into_iter()
        .map(|kind| {
            let arrow = kind.data_type();
            let (prefix, suffix) = match kind {
                Kind::Text => ("'".into(), "'".into()),
                Kind::Time => ("TIMESTAMP '".into(), "'".into()),
                _ => (NULL_TEXT, NULL_TEXT),
            };
            vec![
                sql_type(kind).into(),
                arrow.to_string().into(),
                rust_type_for(&arrow).into(),
                true.into(),
                true.into(),
                matches!(kind, Kind::Text).into(),
                prefix,
                suffix,
            ]
        })
        .collect();
    (columns, rows)
}

/// Why a table cannot be read on this connection's deployment, if it cannot.
fn unavailable(sources: Sources<'_>, table: &Table) -> Option<&'static str> {
    if sources.cloud {
        return None;
    }
    table.data_center.err()
}

fn tables(sources: Sources<'_>) -> (Columns, Vec<Vec<Cell>>) {
    let columns = text(&["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "DESCRIPTION"]);
    let mut rows = Vec::new();
    for table in sources.tables {
        let mut description = table.cloud.doc.to_owned();
        if let Some(gap) = unavailable(sources, table) {
            description = format!("{description} (not available on this Data Center site: {gap})");
        }
        rows.push(vec![CATALOG.into(), SCHEMA.into(), table.name().into(), "BASE TABLE".into(), description.into()]);
    }
    for (name, description) in [
        ("sys_procedures", "The procedures callable with EXEC or as table functions."),
        ("sys_procedure_parameters", "The parameters and result columns of each procedure."),
    ] {
        rows.push(vec![CATALOG.into(), SCHEMA.into(), name.into(), "SYSTEM TABLE".into(), description.into()]);
    }
    (columns, rows)
}

fn columns(sources: Sources<'_>) -> (Columns, Vec<Vec<Cell>>) {
    let columns = vec![
        ("TABLE_CATALOG", DataType::Utf8),
        ("TABLE_SCHEMA", DataType::Utf8),
        ("TABLE_NAME", DataType::Utf8),
        ("COLUMN_NAME", DataType::Utf8),
        ("ORDINAL_POSITION", DataType::Int32),
        ("COLUMN_DEFAULT", DataType::Utf8),
        ("IS_NULLABLE", DataType::Utf8),
        ("DATA_TYPE", DataType::Utf8),
        ("ARROW_TYPE", DataType::Utf8),
        ("CHARACTER_MAXIMUM_LENGTH", DataType::Int32),
        ("DESCRIPTION", DataType::Utf8),
    ];
    let mut rows = Vec::new();
    for table in sources.tables {
        for (i, column) in table.cloud.columns.iter().enumerate() {
            rows.push(vec![
                CATALOG.into(),
                SCHEMA.into(),
                table.name().into(),
                column.name.into(),
                (i as i32 + 1).into(),
                NULL_TEXT,
                "YES".into(),
                sql_type(column.kind).into(),
                column.kind.data_type().to_string().into(),
                NULL_INT,
                column.doc.into(),
            ]);
        }
    }
    (columns, rows)
}

fn procedures(sources: Sources<'_>) -> (Columns, Vec<Vec<Cell>>) {
    let columns = text(&[
        "SPECIFIC_CATALOG",
        "SPECIFIC_SCHEMA",
        "SPECIFIC_NAME",
        "ROUTINE_CATALOG",
        "ROUTINE_SCHEMA",
        "ROUTINE_NAME",
        "ROUTINE_TYPE",
        "DESCRIPTION",
    ]);
    let rows = sources
        .procedures
        .iter()
        .map(|p| {
            vec![
                CATALOG.into(),
                SCHEMA.into(),
                p.name.into(),
                CATALOG.into(),
                SCHEMA.into(),
                p.name.into(),
                "PROCEDURE".into(),
                p.description.into(),
            ]
        })
        .collect();
    (columns, rows)
}

fn procedure_parameters(sources: Sources<'_>) -> (Columns, Vec<Vec<Cell>>) {
    let columns = vec![
        ("SPECIFIC_CATALOG", DataType::Utf8),
        ("SPECIFIC_SCHEMA", DataType::Utf8),
        ("SPECIFIC_NAME", DataType::Utf8),
        ("ORDINAL_POSITION", DataType::Int32),
        ("PARAMETER_MODE", DataType::Utf8),
        ("IS_RESULT", DataType::Utf8),
        ("PARAMETER_NAME", DataType::Utf8),
        ("DATA_TYPE", DataType::Utf8),
        ("IS_REQUIRED", DataType::Boolean),
        ("DESCRIPTION", DataType::Utf8),
    ];
    let mut rows = Vec::new();
    for p in sources.procedures {
        for (i, param) in p.params.iter().enumerate() {
            rows.push(vec![
                CATALOG.into(),
                SCHEMA.into(),
                p.name.into(),
                (i as i32 + 1).into(),
                "IN".into(),
                "NO".into(),
                param.name.into(),
                "VARCHAR".into(),
                param.required.into(),
                param.description.into(),
            ]);
        }
        for (i, column) in p.columns.iter().enumerate() {
            rows.push(vec![
                CATALOG.into(),
                SCHEMA.into(),
                p.name.into(),
                (i as i32 + 1).into(),
                "OUT".into(),
                "YES".into(),
                column.name.into(),
                sql_type_of(&column.data_type).into(),
                false.into(),
                column.description.into(),
            ]);
        }
    }
    (columns, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procedures::SPECS;
    use crate::tables::ALL;
    use datafusion::arrow::array::AsArray;

    fn sources(cloud: bool) -> Sources<'static> {
        Sources { tables: ALL, procedures: SPECS, cloud }
    }

    fn strings(batch: &RecordBatch, column: &str) -> Vec<String> {
        let i = batch.schema().index_of(column).expect("column");
        batch.column(i).as_string::<i32>().iter().map(|v| v.unwrap_or("NULL").to_owned()).collect()
    }

    #[test]
    fn tables_and_columns_come_from_the_declarations() {
        let tables = collection(sources(true), "tables", &[]).expect("tables");
        let names = strings(&tables, "TABLE_NAME");
        assert!(names.contains(&"pages".to_owned()) && names.contains(&"sys_procedures".to_owned()), "{names:?}");
        let columns = collection(sources(true), "Columns", &[None, None, Some("PAGES")]).expect("columns");
        let pages = ALL.iter().find(|t| t.name() == "pages").expect("pages");
        assert_eq!(strings(&columns, "COLUMN_NAME"), pages.cloud.columns.iter().map(|c| c.name).collect::<Vec<_>>());
        assert_eq!(strings(&columns, "DESCRIPTION")[0], pages.cloud.columns[0].doc);
    }

    #[test]
    fn data_center_tables_say_why_they_are_missing() {
        let tables = collection(sources(false), "Tables", &[None, None, Some("tasks")]).expect("tables");
        assert!(strings(&tables, "DESCRIPTION")[0].contains("not available on this Data Center site"));
    }

    #[test]
    fn procedures_and_their_parameters() {
        let parameters = collection(sources(true), "ProcedureParameters", &[None, None, Some("GetOAuthAccessToken")])
            .expect("params");
        let names = strings(&parameters, "PARAMETER_NAME");
        assert!(names.iter().any(|n| n.eq_ignore_ascii_case("verifier")), "{names:?}");
        assert!(strings(&parameters, "PARAMETER_MODE").contains(&"OUT".to_owned()));
    }

    #[test]
    fn unknown_collections_and_too_many_restrictions_are_errors() {
        let error = collection(sources(true), "Tabels", &[]).expect_err("unknown");
        assert!(error.to_string().contains("Tables, Columns"), "{error}");
        assert!(collection(sources(true), "Tables", &[None, None, None, None, None]).is_err());
        let every = collection(sources(true), "MetaDataCollections", &[]).expect("collections");
        assert_eq!(every.num_rows(), COLLECTIONS.len());
        assert!(collection(sources(true), "Restrictions", &[]).expect("restrictions").num_rows() > 0);
        assert_eq!(collection(sources(true), "DataTypes", &[]).expect("types").num_rows(), 4);
    }
}
