//! What the server tells clients about itself and the catalog: `GetSqlInfo` (the full set JDBC and ODBC clients
//! read), `GetXdbcTypeInfo`, and the catalog listings built from the driver's metadata module.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_flight::error::FlightError;
use arrow_flight::sql::metadata::{
    SqlInfoData, SqlInfoDataBuilder, XdbcTypeInfo, XdbcTypeInfoData, XdbcTypeInfoDataBuilder,
};
use arrow_flight::sql::{
    Nullable, Searchable, SqlInfo, SqlNullOrdering, SqlOuterJoinsSupportLevel, SqlSupportedCaseSensitivity,
    SqlSupportedGroupBy, SqlSupportedResultSetType, SqlSupportedSubqueries, SqlSupportedUnions, SqlSupportsConvert,
    SqlTransactionIsolationLevel, SupportedSqlGrammar, XdbcDataType, XdbcDatetimeSubcode,
};
use confluence_sql::datafusion::arrow::array::{Array, AsArray, RecordBatch};
use confluence_sql::datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use confluence_sql::datafusion::prelude::SessionContext;
use confluence_sql::datafusion::sql::sqlparser::keywords::ALL_KEYWORDS;
use confluence_sql::{Connection, SqlError};

/// The Flight SQL table type of a table the driver lists (`BASE TABLE` is JDBC's `TABLE`).
pub(crate) fn table_type(driver_type: &str) -> &str {
    match driver_type {
        "BASE TABLE" => "TABLE",
        other => other,
    }
}

/// The table types there are.
pub(crate) const TABLE_TYPES: &[&str] = &["TABLE", "SYSTEM TABLE"];

/// One table of the catalog.
pub(crate) struct TableEntry {
    pub catalog: String,
    pub schema: String,
    pub name: String,
    pub table_type: String,
}

/// Every table of the connection, from the driver's `Tables` metadata collection.
pub(crate) async fn tables(connection: &Connection) -> Result<Vec<TableEntry>, SqlError> {
    let mut entries = Vec::new();
    for batch in connection.get_schema("Tables").await? {
        let column = |name: &str| batch.column_by_name(name).and_then(|c| c.as_string_opt::<i32>().cloned());
        let (Some(catalog), Some(schema), Some(name), Some(kind)) =
            (column("TABLE_CATALOG"), column("TABLE_SCHEMA"), column("TABLE_NAME"), column("TABLE_TYPE"))
        else {
            continue;
        };
        for row in 0..batch.num_rows() {
            if name.is_null(row) {
                continue;
            }
            entries.push(TableEntry {
                catalog: catalog.value(row).to_owned(),
                schema: schema.value(row).to_owned(),
                name: name.value(row).to_owned(),
                table_type: table_type(kind.value(row)).to_owned(),
            });
        }
    }
    Ok(entries)
}

/// The schema of `GetPrimaryKeys` results.
pub(crate) fn primary_keys_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("catalog_name", DataType::Utf8, true),
        Field::new("db_schema_name", DataType::Utf8, true),
        Field::new("table_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, false),
        Field::new("key_name", DataType::Utf8, true),
        Field::new("key_sequence", DataType::Int32, false),
    ]))
}

/// The schema of `GetExportedKeys`, `GetImportedKeys` and `GetCrossReference` results.
pub(crate) fn foreign_keys_schema() -> SchemaRef {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("pk_catalog_name", true),
        text("pk_db_schema_name", true),
        text("pk_table_name", false),
        text("pk_column_name", false),
        text("fk_catalog_name", true),
        text("fk_db_schema_name", true),
        text("fk_table_name", false),
        text("fk_column_name", false),
        Field::new("key_sequence", DataType::Int32, false),
        text("fk_key_name", true),
        text("pk_key_name", true),
        Field::new("update_rule", DataType::UInt8, false),
        Field::new("delete_rule", DataType::UInt8, false),
    ]))
}

/// The empty result of the foreign key listings: the driver's tables declare none.
pub(crate) fn no_foreign_keys() -> RecordBatch {
    RecordBatch::new_empty(foreign_keys_schema())
}

/// The key of every table with an `id` column, filtered as `GetPrimaryKeys` asks.
pub(crate) async fn primary_keys(
    connection: &Connection,
    catalog: Option<&str>,
    schema: Option<&str>,
    table: &str,
) -> Result<RecordBatch, SqlError> {
    use confluence_sql::datafusion::arrow::array::{Int32Array, StringArray};
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for entry in tables(connection).await? {
        let matches = catalog.is_none_or(|c| c == entry.catalog)
            && schema.is_none_or(|s| s == entry.schema)
            && entry.name.eq_ignore_ascii_case(table);
        if !matches {
            continue;
        }
        let fields = connection.table_schema(Some(&entry.catalog), Some(&entry.schema), &entry.name).await?;
        if fields.field_with_name("id").is_ok() {
            rows.push((entry.catalog, entry.schema, entry.name));
        }
    }
    let text = |pick: fn(&(String, String, String)) -> &str| -> Arc<dyn Array> {
        Arc::new(StringArray::from_iter_values(rows.iter().map(pick)))
    };
    let columns: Vec<Arc<dyn Array>> = vec![
        text(|r| &r.0),
        text(|r| &r.1),
        text(|r| &r.2),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|_| "id"))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| format!("{}_pkey", r.2)))),
        Arc::new(Int32Array::from_iter_values(rows.iter().map(|_| 1))),
    ];
    RecordBatch::try_new(primary_keys_schema(), columns).map_err(|e| SqlError::Usage(e.to_string()))
}

/// The answers to `GetSqlInfo`; `read_only` when the server's connection string sets `ReadOnly=true`.
pub(crate) fn sql_info(read_only: bool) -> Result<SqlInfoData, FlightError> {
    let mut info = SqlInfoDataBuilder::new();
    // The server.
    info.append(SqlInfo::FlightSqlServerName, "confluence-sql");
    info.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    info.append(SqlInfo::FlightSqlServerArrowVersion, "1.5");
    info.append(SqlInfo::FlightSqlServerReadOnly, read_only);
    info.append(SqlInfo::FlightSqlServerSql, true);
    info.append(SqlInfo::FlightSqlServerSubstrait, false);
    info.append(SqlInfo::FlightSqlServerTransaction, 0i32);
    info.append(SqlInfo::FlightSqlServerCancel, true);
    info.append(SqlInfo::FlightSqlServerBulkIngestion, false);
    info.append(SqlInfo::FlightSqlServerIngestTransactionsSupported, false);
    info.append(SqlInfo::FlightSqlServerStatementTimeout, 0i32);
    info.append(SqlInfo::FlightSqlServerTransactionTimeout, 0i32);
    // Definitions: none through SQL.
    info.append(SqlInfo::SqlDdlCatalog, false);
    info.append(SqlInfo::SqlDdlSchema, false);
    info.append(SqlInfo::SqlDdlTable, false);
    // Identifiers: unquoted ones fold to lower case; quoted ones keep their case.
    info.append(SqlInfo::SqlIdentifierCase, SqlSupportedCaseSensitivity::SqlCaseSensitivityLowercase as i32);
    info.append(SqlInfo::SqlIdentifierQuoteChar, "\"");
    info.append(
        SqlInfo::SqlQuotedIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityCaseInsensitive as i32,
    );
    info.append(SqlInfo::SqlAllTablesAreSelectable, true);
    info.append(SqlInfo::SqlNullOrdering, SqlNullOrdering::SqlNullsSortedHigh as i32);
    let keywords: Vec<String> = ALL_KEYWORDS.iter().map(|k| k.to_string()).collect();
    info.append(SqlInfo::SqlKeywords, keywords);
    // The engine's functions are the same on every connection.
    let functions = SessionContext::new().state().scalar_functions().keys().cloned().collect::<Vec<_>>();
    let pick = |names: &[&str]| -> Vec<String> {
        names.iter().filter(|n| functions.iter().any(|f| f == *n)).map(|n| n.to_string()).collect()
    };
    info.append(
        SqlInfo::SqlNumericFunctions,
        pick(&[
            "abs", "acos", "asin", "atan", "atan2", "ceil", "cos", "degrees", "exp", "floor", "ln", "log", "log10",
            "log2", "pi", "power", "radians", "random", "round", "signum", "sin", "sqrt", "tan", "trunc",
        ]),
    );
    info.append(
        SqlInfo::SqlStringFunctions,
        pick(&[
            "ascii",
            "btrim",
            "character_length",
            "chr",
            "concat",
            "concat_ws",
            "initcap",
            "left",
            "length",
            "lower",
            "lpad",
            "ltrim",
            "octet_length",
            "regexp_like",
            "regexp_replace",
            "repeat",
            "replace",
            "reverse",
            "right",
            "rpad",
            "rtrim",
            "split_part",
            "starts_with",
            "strpos",
            "substr",
            "translate",
            "upper",
        ]),
    );
    info.append(SqlInfo::SqlSystemFunctions, pick(&["arrow_typeof", "coalesce", "nullif", "nvl"]));
    info.append(
        SqlInfo::SqlDatetimeFunctions,
        pick(&[
            "current_date",
            "current_time",
            "date_bin",
            "date_part",
            "date_trunc",
            "from_unixtime",
            "now",
            "to_char",
            "to_date",
            "to_timestamp",
        ]),
    );
    info.append(SqlInfo::SqlSearchStringEscape, "\\");
    info.append(SqlInfo::SqlExtraNameCharacters, "");
    info.append(SqlInfo::SqlSupportsColumnAliasing, true);
    info.append(SqlInfo::SqlNullPlusNullIsNull, true);
    info.append(
        SqlInfo::SqlSupportsConvert,
        HashMap::<i32, Vec<i32>>::from([(
            SqlSupportsConvert::SqlConvertVarchar as i32,
            vec![
                SqlSupportsConvert::SqlConvertBigint as i32,
                SqlSupportsConvert::SqlConvertInteger as i32,
                SqlSupportsConvert::SqlConvertFloat as i32,
                SqlSupportsConvert::SqlConvertBit as i32,
                SqlSupportsConvert::SqlConvertTimestamp as i32,
                SqlSupportsConvert::SqlConvertDate as i32,
            ],
        )]),
    );
    info.append(SqlInfo::SqlSupportsTableCorrelationNames, true);
    info.append(SqlInfo::SqlSupportsDifferentTableCorrelationNames, false);
    info.append(SqlInfo::SqlSupportsExpressionsInOrderBy, true);
    info.append(SqlInfo::SqlSupportsOrderByUnrelated, true);
    info.append(
        SqlInfo::SqlSupportedGroupBy,
        bits(&[SqlSupportedGroupBy::SqlGroupByUnrelated as i32, SqlSupportedGroupBy::SqlGroupByBeyondSelect as i32]),
    );
    info.append(SqlInfo::SqlSupportsLikeEscapeClause, true);
    info.append(SqlInfo::SqlSupportsNonNullableColumns, true);
    info.append(
        SqlInfo::SqlSupportedGrammar,
        bits(&[SupportedSqlGrammar::SqlMinimumGrammar as i32, SupportedSqlGrammar::SqlCoreGrammar as i32]),
    );
    info.append(SqlInfo::SqlAnsi92SupportedLevel, bits(&[ANSI92_ENTRY_SQL]));
    info.append(SqlInfo::SqlSupportsIntegrityEnhancementFacility, false);
    info.append(SqlInfo::SqlOuterJoinsSupportLevel, SqlOuterJoinsSupportLevel::SqlFullOuterJoins as i32);
    info.append(SqlInfo::SqlSchemaTerm, "schema");
    info.append(SqlInfo::SqlProcedureTerm, "procedure");
    info.append(SqlInfo::SqlCatalogTerm, "catalog");
    info.append(SqlInfo::SqlCatalogAtStart, true);
    info.append(SqlInfo::SqlSchemasSupportedActions, 0i32);
    info.append(SqlInfo::SqlCatalogsSupportedActions, 0i32);
    info.append(SqlInfo::SqlSupportedPositionedCommands, 0i32);
    info.append(SqlInfo::SqlSelectForUpdateSupported, false);
    info.append(SqlInfo::SqlStoredProceduresSupported, true);
    info.append(
        SqlInfo::SqlSupportedSubqueries,
        bits(&[
            SqlSupportedSubqueries::SqlSubqueriesInComparisons as i32,
            SqlSupportedSubqueries::SqlSubqueriesInExists as i32,
            SqlSupportedSubqueries::SqlSubqueriesInIns as i32,
        ]),
    );
    info.append(SqlInfo::SqlCorrelatedSubqueriesSupported, true);
    info.append(
        SqlInfo::SqlSupportedUnions,
        bits(&[SqlSupportedUnions::SqlUnion as i32, SqlSupportedUnions::SqlUnionAll as i32]),
    );
    // Limits: none of the engine's own (0 means no limit or unknown).
    for limit in [
        SqlInfo::SqlMaxBinaryLiteralLength,
        SqlInfo::SqlMaxCharLiteralLength,
        SqlInfo::SqlMaxColumnNameLength,
        SqlInfo::SqlMaxColumnsInGroupBy,
        SqlInfo::SqlMaxColumnsInIndex,
        SqlInfo::SqlMaxColumnsInOrderBy,
        SqlInfo::SqlMaxColumnsInSelect,
        SqlInfo::SqlMaxColumnsInTable,
        SqlInfo::SqlMaxConnections,
        SqlInfo::SqlMaxCursorNameLength,
        SqlInfo::SqlMaxIndexLength,
        SqlInfo::SqlDbSchemaNameLength,
        SqlInfo::SqlMaxProcedureNameLength,
        SqlInfo::SqlMaxCatalogNameLength,
        SqlInfo::SqlMaxRowSize,
        SqlInfo::SqlMaxStatements,
        SqlInfo::SqlMaxTableNameLength,
        SqlInfo::SqlMaxTablesInSelect,
        SqlInfo::SqlMaxUsernameLength,
    ] {
        info.append(limit, 0i64);
    }
    info.append(SqlInfo::SqlMaxStatementLength, 1_048_576i64);
    info.append(SqlInfo::SqlMaxRowSizeIncludesBlobs, true);
    info.append(SqlInfo::SqlDefaultTransactionIsolation, SqlTransactionIsolationLevel::SqlTransactionNone as i32);
    info.append(SqlInfo::SqlTransactionsSupported, false);
    info.append(
        SqlInfo::SqlSupportedTransactionsIsolationLevels,
        bits(&[SqlTransactionIsolationLevel::SqlTransactionNone as i32]),
    );
    info.append(SqlInfo::SqlDataDefinitionCausesTransactionCommit, false);
    info.append(SqlInfo::SqlDataDefinitionsInTransactionsIgnored, true);
    info.append(
        SqlInfo::SqlSupportedResultSetTypes,
        bits(&[SqlSupportedResultSetType::SqlResultSetTypeForwardOnly as i32]),
    );
    for concurrency in [
        SqlInfo::SqlSupportedConcurrenciesForResultSetUnspecified,
        SqlInfo::SqlSupportedConcurrenciesForResultSetForwardOnly,
        SqlInfo::SqlSupportedConcurrenciesForResultSetScrollSensitive,
        SqlInfo::SqlSupportedConcurrenciesForResultSetScrollInsensitive,
    ] {
        info.append(concurrency, 0i32);
    }
    info.append(SqlInfo::SqlBatchUpdatesSupported, false);
    info.append(SqlInfo::SqlSavepointsSupported, false);
    info.append(SqlInfo::SqlNamedParametersSupported, true);
    info.append(SqlInfo::SqlLocatorsUpdateCopy, false);
    info.append(SqlInfo::SqlStoredFunctionsUsingCallSyntaxSupported, false);
    info.build()
}

/// `SupportedAnsi92SqlGrammarLevel::Ansi92EntrySql` (arrow-flight does not export the enum).
const ANSI92_ENTRY_SQL: i32 = 0;

/// A bitmask with the given bits set.
fn bits(positions: &[i32]) -> i32 {
    positions.iter().fold(0, |mask, bit| mask | (1 << bit))
}

/// The types results have, for `GetXdbcTypeInfo`.
pub(crate) fn xdbc_type_info() -> Result<XdbcTypeInfoData, FlightError> {
    let mut types = XdbcTypeInfoDataBuilder::new();
    let base = |name: &str, data_type: XdbcDataType| XdbcTypeInfo {
        type_name: name.to_owned(),
        data_type,
        nullable: Nullable::NullabilityNullable,
        searchable: Searchable::Full,
        local_type_name: Some(name.to_owned()),
        sql_data_type: data_type,
        ..XdbcTypeInfo::default()
    };
    types.append(XdbcTypeInfo {
        literal_prefix: Some("'".into()),
        literal_suffix: Some("'".into()),
        case_sensitive: true,
        column_size: Some(i32::MAX),
        ..base("VARCHAR", XdbcDataType::XdbcVarchar)
    });
    let number = |name: &str, data_type: XdbcDataType, size: i32| XdbcTypeInfo {
        column_size: Some(size),
        unsigned_attribute: Some(false),
        fixed_prec_scale: false,
        auto_increment: Some(false),
        num_prec_radix: Some(10),
        minimum_scale: Some(0),
        maximum_scale: Some(0),
        ..base(name, data_type)
    };
    types.append(number("BIGINT", XdbcDataType::XdbcBigint, 19));
    types.append(number("INTEGER", XdbcDataType::XdbcInteger, 10));
    types.append(XdbcTypeInfo { num_prec_radix: Some(2), ..number("DOUBLE", XdbcDataType::XdbcDouble, 53) });
    types.append(XdbcTypeInfo { column_size: Some(1), ..base("BOOLEAN", XdbcDataType::XdbcBit) });
    types.append(XdbcTypeInfo {
        literal_prefix: Some("DATE '".into()),
        literal_suffix: Some("'".into()),
        column_size: Some(10),
        // ODBC's SQL_CODE_DATE is 1, which the enum names after its other meaning.
        datetime_subcode: Some(XdbcDatetimeSubcode::XdbcSubcodeYear),
        sql_data_type: XdbcDataType::XdbcDatetime,
        ..base("DATE", XdbcDataType::XdbcDate)
    });
    types.append(XdbcTypeInfo {
        literal_prefix: Some("TIMESTAMP '".into()),
        literal_suffix: Some("'".into()),
        column_size: Some(29),
        datetime_subcode: Some(XdbcDatetimeSubcode::XdbcSubcodeTimestampWithTimezone),
        sql_data_type: XdbcDataType::XdbcDatetime,
        minimum_scale: Some(3),
        maximum_scale: Some(3),
        ..base("TIMESTAMP", XdbcDataType::XdbcTimestamp)
    });
    types.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_info_sets_build() {
        let types = xdbc_type_info().unwrap().record_batch(None).unwrap();
        assert_eq!(types.num_rows(), 7);
        assert_eq!(bits(&[0, 2]), 0b101);
        assert!(sql_info(false).unwrap().record_batch(None).unwrap().num_rows() > 80);
        assert_eq!(table_type("BASE TABLE"), "TABLE");
        assert_eq!(no_foreign_keys().num_rows(), 0);
    }
}
