//! An [ADBC](https://arrow.apache.org/adbc/) driver for Confluence: a shared library with the C ABI that ADBC
//! driver managers load — `adbc_driver_manager` in Python, `adbcdrivermanager` in R, the Go and C++ driver
//! managers, and `Apache.Arrow.Adbc` in .NET (a real ADO.NET `DbConnection`). It is the `confluence-sql` engine
//! behind ADBC's database / connection / statement objects:
//!
//! - database option `uri` is the connection string (`Url=...;User=...;APIToken=...`); every connection property
//!   can also be given as its own option (`Url`, `APIToken`, `Spaces`, ...), and `username` / `password` are
//!   `User` / `Password`. Options given separately override the same property in `uri`.
//! - statements run SQL with parameters bound from Arrow (`bind`, `bind_stream`): a parameter column named by a
//!   number (or with an empty name) binds `?`/`$n` by position, a column named otherwise binds `@name`; a batch of
//!   several rows runs the statement once per row. Results stream (`execute_query` never collects).
//! - `get_objects`, `get_table_schema`, `get_table_types` and `get_info` read the driver's metadata (the
//!   `GetSchema` collections); errors carry ADBC status codes and the driver's messages.
//!
//! The entry point is `AdbcConfluenceInit` (and the fallback `AdbcDriverInit`).

mod error;
mod objects;
mod options;
mod statement;

use std::collections::HashSet;

use adbc_core::error::{Error, Result, Status};
use adbc_core::options::{InfoCode, ObjectDepth, OptionConnection, OptionDatabase, OptionValue};
use adbc_core::{Optionable, PartitionedResult};
use confluence_sql::datafusion::arrow::array::{RecordBatch, RecordBatchIterator, RecordBatchReader, StringArray};
use confluence_sql::datafusion::arrow::datatypes::Schema;
use std::sync::Arc;

pub use error::to_adbc;
pub use statement::ConfluenceStatement;

use crate::options::DatabaseOptions;

/// The driver (stateless: everything lives in its databases).
#[derive(Debug, Default)]
pub struct ConfluenceDriver;

impl adbc_core::Driver for ConfluenceDriver {
    type DatabaseType = ConfluenceDatabase;

    fn new_database(&mut self) -> Result<ConfluenceDatabase> {
        Ok(ConfluenceDatabase::default())
    }

    fn new_database_with_opts(
        &mut self,
        opts: impl IntoIterator<Item = (OptionDatabase, OptionValue)>,
    ) -> Result<ConfluenceDatabase> {
        let mut database = ConfluenceDatabase::default();
        for (key, value) in opts {
            database.set_option(key, value)?;
        }
        Ok(database)
    }
}

/// A database: the connection string and properties its connections open with.
#[derive(Debug, Default)]
pub struct ConfluenceDatabase {
    options: DatabaseOptions,
}

impl Optionable for ConfluenceDatabase {
    type Option = OptionDatabase;

    fn set_option(&mut self, key: OptionDatabase, value: OptionValue) -> Result<()> {
        self.options.set(key, value)
    }

    fn get_option_string(&self, key: OptionDatabase) -> Result<String> {
        self.options.get(key)
    }

    fn get_option_bytes(&self, key: OptionDatabase) -> Result<Vec<u8>> {
        Err(options::not_found(key.as_ref()))
    }

    fn get_option_int(&self, key: OptionDatabase) -> Result<i64> {
        Err(options::not_found(key.as_ref()))
    }

    fn get_option_double(&self, key: OptionDatabase) -> Result<f64> {
        Err(options::not_found(key.as_ref()))
    }
}

impl adbc_core::Database for ConfluenceDatabase {
    type ConnectionType = ConfluenceConnection;

    fn new_connection(&self) -> Result<ConfluenceConnection> {
        let connection_string = self.options.connection_string()?;
        let connection = confluence_sql::blocking::Connection::open(&connection_string).map_err(to_adbc)?;
        Ok(ConfluenceConnection { connection })
    }

    fn new_connection_with_opts(
        &self,
        opts: impl IntoIterator<Item = (OptionConnection, OptionValue)>,
    ) -> Result<ConfluenceConnection> {
        let mut connection = self.new_connection()?;
        for (key, value) in opts {
            connection.set_option(key, value)?;
        }
        Ok(connection)
    }
}

/// A connection: one `confluence-sql` connection (its own runtime, client, rate limits and OAuth tokens).
#[derive(Debug)]
pub struct ConfluenceConnection {
    connection: confluence_sql::blocking::Connection,
}

impl Optionable for ConfluenceConnection {
    type Option = OptionConnection;

    fn set_option(&mut self, key: OptionConnection, value: OptionValue) -> Result<()> {
        match (&key, &value) {
            // No transactions: autocommit on is what there is.
            (OptionConnection::AutoCommit, OptionValue::String(v)) if v == "true" => Ok(()),
            // Read-only is the connection string's ReadOnly, fixed when the connection opens: asking for what it
            // already is succeeds; anything else is an error, never a silently writable connection.
            (OptionConnection::ReadOnly, OptionValue::String(v)) => {
                let wanted = v.eq_ignore_ascii_case("true");
                if wanted == self.connection.as_async().options().read_only {
                    Ok(())
                } else {
                    Err(Error::with_message_and_status(
                        format!(
                            "adbc.connection.readonly cannot change an open connection: set ReadOnly={} in the \
                             connection string (uri) instead",
                            if wanted { "true" } else { "false" }
                        ),
                        Status::NotImplemented,
                    ))
                }
            }
            _ => Err(Error::with_message_and_status(
                format!("the Confluence driver has no connection option {}", key.as_ref()),
                Status::NotImplemented,
            )),
        }
    }

    fn get_option_string(&self, key: OptionConnection) -> Result<String> {
        match key {
            OptionConnection::AutoCommit => Ok("true".to_owned()),
            OptionConnection::CurrentCatalog => Ok(confluence_sql::metadata::CATALOG.to_owned()),
            OptionConnection::CurrentSchema => Ok("main".to_owned()),
            other => Err(options::not_found(other.as_ref())),
        }
    }

    fn get_option_bytes(&self, key: OptionConnection) -> Result<Vec<u8>> {
        Err(options::not_found(key.as_ref()))
    }

    fn get_option_int(&self, key: OptionConnection) -> Result<i64> {
        Err(options::not_found(key.as_ref()))
    }

    fn get_option_double(&self, key: OptionConnection) -> Result<f64> {
        Err(options::not_found(key.as_ref()))
    }
}

type Reader = Box<dyn RecordBatchReader + Send + 'static>;

fn one_batch(batch: RecordBatch) -> Reader {
    let schema = batch.schema();
    Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema))
}

impl adbc_core::Connection for ConfluenceConnection {
    type StatementType = ConfluenceStatement;

    fn new_statement(&mut self) -> Result<ConfluenceStatement> {
        Ok(ConfluenceStatement::new(self.connection.clone()))
    }

    fn get_info(&self, codes: Option<HashSet<InfoCode>>) -> Result<Reader> {
        let deployment = self.connection.as_async().options().deployment;
        Ok(one_batch(objects::info(codes, &format!("{deployment:?}"))?))
    }

    fn get_objects(
        &self,
        depth: ObjectDepth,
        catalog: Option<&str>,
        db_schema: Option<&str>,
        table_name: Option<&str>,
        table_type: Option<Vec<&str>>,
        column_name: Option<&str>,
    ) -> Result<Reader> {
        let filter = objects::Filter { catalog, db_schema, table_name, table_type, column_name };
        Ok(one_batch(objects::objects(&self.connection, depth, &filter)?))
    }

    fn get_table_schema(&self, catalog: Option<&str>, db_schema: Option<&str>, table_name: &str) -> Result<Schema> {
        let schema = self.connection.table_schema(catalog, db_schema, table_name).map_err(to_adbc)?;
        Ok(schema.as_ref().clone())
    }

    fn get_table_types(&self) -> Result<Reader> {
        let types = StringArray::from(vec!["BASE TABLE", "SYSTEM TABLE", "VIEW"]);
        let batch = RecordBatch::try_new(adbc_core::schemas::GET_TABLE_TYPES_SCHEMA.clone(), vec![Arc::new(types)])
            .map_err(|e| Error::with_message_and_status(e.to_string(), Status::Internal))?;
        Ok(one_batch(batch))
    }

    fn get_statistic_names(&self) -> Result<Reader> {
        Err(not_implemented("statistics"))
    }

    fn get_statistics(
        &self,
        _catalog: Option<&str>,
        _db_schema: Option<&str>,
        _table_name: Option<&str>,
        _approximate: bool,
    ) -> Result<Reader> {
        Err(not_implemented("statistics"))
    }

    fn commit(&mut self) -> Result<()> {
        Err(Error::with_message_and_status(
            "Confluence has no transactions: every statement takes effect on its own (autocommit)",
            Status::InvalidState,
        ))
    }

    fn rollback(&mut self) -> Result<()> {
        self.commit()
    }

    fn read_partition(&self, _partition: impl AsRef<[u8]>) -> Result<Reader> {
        Err(not_implemented("partitioned results"))
    }
}

pub(crate) fn not_implemented(what: &str) -> Error {
    Error::with_message_and_status(format!("the Confluence driver does not support {what}"), Status::NotImplemented)
}

/// Unused by the driver's traits but required by them: partitioned execution is not supported.
pub(crate) fn no_partitions() -> Result<PartitionedResult> {
    Err(not_implemented("partitioned execution"))
}

/// The exported C entry points (`AdbcConfluenceInit`, `AdbcDriverInit`): the only unsafe code, generated by
/// `adbc_ffi`.
#[allow(unsafe_code)]
mod ffi {
    adbc_ffi::export_driver!(AdbcConfluenceInit, crate::ConfluenceDriver);
}
