//! The same API without async: [`Connection`] owns a Tokio runtime and every call waits for its result. For
//! programs that have no runtime; inside async code use the crate's async types (calling these from within a
//! runtime panics, as Tokio does for any nested `block_on`).
//!
//! ```no_run
//! # fn demo() -> Result<(), confluence_sql::SqlError> {
//! let connection = confluence_sql::blocking::Connection::open("Url=https://acme.atlassian.net;User=me@acme.com;APIToken=...")?;
//! let mut reader = connection.command("SELECT key, name FROM spaces").execute_reader()?;
//! while reader.read()? {
//!     println!("{}: {}", reader.get::<String>("key")?, reader.get::<String>("name")?);
//! }
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use futures::StreamExt;
use tokio::runtime::Runtime;

use crate::error::SqlError;
use crate::parameters::Parameter;
use crate::reader::{CancelHandle, ColumnIndex, FromSql};

fn runtime() -> Result<Arc<Runtime>, SqlError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("confluence-sql")
        .build()
        .map(Arc::new)
        .map_err(|e| SqlError::Usage(format!("could not start the driver's runtime: {e}")))
}

/// A connection with its own runtime (see [`crate::Connection`]). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Connection {
    inner: crate::Connection,
    runtime: Arc<Runtime>,
}

impl Connection {
    /// Opens a connection (see [`crate::Connection::open`]).
    pub fn open(connection_string: &str) -> Result<Connection, SqlError> {
        let runtime = runtime()?;
        let inner = runtime.block_on(crate::Connection::open(connection_string))?;
        Ok(Connection { inner, runtime })
    }

    /// Opens the connection a builder describes (see [`crate::ConnectionBuilder::open`]).
    pub fn open_with(builder: crate::ConnectionBuilder) -> Result<Connection, SqlError> {
        let runtime = runtime()?;
        let inner = runtime.block_on(builder.open())?;
        Ok(Connection { inner, runtime })
    }

    /// The async connection underneath.
    pub fn as_async(&self) -> &crate::Connection {
        &self.inner
    }

    /// A command running `sql` (see [`crate::Connection::command`]).
    pub fn command(&self, sql: impl Into<String>) -> Command {
        Command { inner: self.inner.command(sql), runtime: self.runtime.clone() }
    }

    /// A metadata collection (see [`crate::Connection::get_schema`]).
    pub fn get_schema(&self, collection: &str) -> Result<Vec<RecordBatch>, SqlError> {
        self.runtime.block_on(self.inner.get_schema(collection))
    }

    /// A metadata collection with restrictions (see [`crate::Connection::get_schema_restricted`]).
    pub fn get_schema_restricted(
        &self,
        collection: &str,
        restrictions: &[Option<&str>],
    ) -> Result<Vec<RecordBatch>, SqlError> {
        self.runtime.block_on(self.inner.get_schema_restricted(collection, restrictions))
    }

    /// The columns of a table (see [`crate::Connection::table_schema`]).
    pub fn table_schema(
        &self,
        catalog: Option<&str>,
        schema: Option<&str>,
        table: &str,
    ) -> Result<SchemaRef, SqlError> {
        self.runtime.block_on(self.inner.table_schema(catalog, schema, table))
    }

    /// Closes the connection (see [`crate::Connection::close`]).
    pub fn close(&self) {
        self.inner.close();
    }

    /// Whether the connection is open.
    pub fn state(&self) -> crate::ConnectionState {
        self.inner.state()
    }
}

/// A command (see [`crate::Command`]); setters take and return it.
#[derive(Debug, Clone)]
#[must_use]
pub struct Command {
    inner: crate::Command,
    runtime: Arc<Runtime>,
}

impl Command {
    /// Binds a named parameter (see [`crate::Command::bind`]).
    pub fn bind(self, name: &str, value: impl Into<Parameter>) -> Self {
        Command { inner: self.inner.bind(name, value), ..self }
    }

    /// Binds the next positional parameter.
    pub fn bind_positional(self, value: impl Into<Parameter>) -> Self {
        Command { inner: self.inner.bind_positional(value), ..self }
    }

    /// Binds a row of values (see [`crate::Command::bind_row`]).
    pub fn bind_row(self, row: &crate::ParameterRow) -> Self {
        Command { inner: self.inner.bind_row(row), ..self }
    }

    /// Sets the timeout.
    pub fn timeout(self, timeout: Duration) -> Self {
        Command { inner: self.inner.timeout(timeout), ..self }
    }

    /// Limits the rows returned.
    pub fn max_rows(self, max_rows: u64) -> Self {
        Command { inner: self.inner.max_rows(max_rows), ..self }
    }

    /// Uses `handle` to cancel this command.
    pub fn cancel_with(self, handle: CancelHandle) -> Self {
        Command { inner: self.inner.cancel_with(handle), ..self }
    }

    /// Plans the statement once (see [`crate::Command::prepare`]).
    pub fn prepare(&self) -> Result<PreparedCommand, SqlError> {
        let inner = self.runtime.block_on(self.inner.prepare())?;
        Ok(PreparedCommand { inner, runtime: self.runtime.clone() })
    }

    /// The handle that cancels this command from another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.inner.cancel_handle()
    }

    /// Runs it and returns a row cursor.
    pub fn execute_reader(&self) -> Result<DataReader, SqlError> {
        let stream = self.runtime.block_on(self.inner.execute_stream())?;
        Ok(DataReader { inner: crate::DataReader::new(stream), runtime: self.runtime.clone() })
    }

    /// Runs it and iterates over the Arrow batches as they arrive.
    pub fn execute_stream(&self) -> Result<BatchIter, SqlError> {
        let stream = self.runtime.block_on(self.inner.execute_stream())?;
        Ok(BatchIter { stream, runtime: self.runtime.clone() })
    }

    /// Runs it and collects the batches.
    pub fn execute_batches(&self) -> Result<Vec<RecordBatch>, SqlError> {
        self.runtime.block_on(async { self.inner.execute_stream().await?.collect().await })
    }

    /// Runs it and returns the first column of the first row.
    pub fn execute_scalar<T: FromSql>(&self) -> Result<T, SqlError> {
        self.runtime.block_on(self.inner.execute_scalar())
    }

    /// Runs it and returns the rows affected.
    pub fn execute_non_query(&self) -> Result<u64, SqlError> {
        self.runtime.block_on(self.inner.execute_non_query())
    }
}

/// A row cursor (see [`crate::DataReader`]).
#[derive(Debug)]
pub struct DataReader {
    inner: crate::DataReader,
    runtime: Arc<Runtime>,
}

impl DataReader {
    /// Advances to the next row; `false` at the end.
    pub fn read(&mut self) -> Result<bool, SqlError> {
        self.runtime.block_on(self.inner.read())
    }

    /// A value of the current row (see [`crate::DataReader::get`]).
    pub fn get<T: FromSql>(&self, index: impl ColumnIndex) -> Result<T, SqlError> {
        self.inner.get(index)
    }

    /// A value, `None` for NULL.
    pub fn try_get<T: FromSql>(&self, index: impl ColumnIndex) -> Result<Option<T>, SqlError> {
        self.inner.try_get(index)
    }

    /// Whether a value of the current row is NULL.
    pub fn is_null(&self, index: impl ColumnIndex) -> Result<bool, SqlError> {
        self.inner.is_null(index)
    }

    /// The columns.
    pub fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    /// How many columns.
    pub fn field_count(&self) -> usize {
        self.inner.field_count()
    }

    /// The name of column `i`.
    pub fn get_name(&self, i: usize) -> Result<&str, SqlError> {
        self.inner.get_name(i)
    }

    /// The Arrow type of column `i`.
    pub fn get_field_type(&self, i: usize) -> Result<&DataType, SqlError> {
        self.inner.get_field_type(i)
    }
}

/// The result as Arrow batches, each read when asked for (see [`crate::BatchStream`]).
#[derive(Debug)]
pub struct BatchIter {
    stream: crate::BatchStream,
    runtime: Arc<Runtime>,
}

impl BatchIter {
    /// The columns of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.stream.schema()
    }
}

impl Iterator for BatchIter {
    type Item = Result<RecordBatch, SqlError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.runtime.block_on(self.stream.next())
    }
}

/// A planned statement (see [`crate::PreparedCommand`]); setters take and return it.
#[derive(Debug, Clone)]
#[must_use]
pub struct PreparedCommand {
    inner: crate::PreparedCommand,
    runtime: Arc<Runtime>,
}

impl PreparedCommand {
    /// The columns it returns.
    pub fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    /// Its parameters.
    pub fn parameter_schema(&self) -> SchemaRef {
        self.inner.parameter_schema()
    }

    /// Binds a named parameter.
    pub fn bind(self, name: &str, value: impl Into<Parameter>) -> Self {
        PreparedCommand { inner: self.inner.bind(name, value), ..self }
    }

    /// Binds the next positional parameter.
    pub fn bind_positional(self, value: impl Into<Parameter>) -> Self {
        PreparedCommand { inner: self.inner.bind_positional(value), ..self }
    }

    /// Forgets the values bound so far.
    pub fn clear_bindings(self) -> Self {
        PreparedCommand { inner: self.inner.clear_bindings(), ..self }
    }

    /// Runs it and returns a row cursor.
    pub fn execute_reader(&self) -> Result<DataReader, SqlError> {
        let stream = self.runtime.block_on(self.inner.execute_stream())?;
        Ok(DataReader { inner: crate::DataReader::new(stream), runtime: self.runtime.clone() })
    }

    /// Runs it and iterates over the Arrow batches.
    pub fn execute_stream(&self) -> Result<BatchIter, SqlError> {
        let stream = self.runtime.block_on(self.inner.execute_stream())?;
        Ok(BatchIter { stream, runtime: self.runtime.clone() })
    }

    /// Runs it and returns the first column of the first row.
    pub fn execute_scalar<T: FromSql>(&self) -> Result<T, SqlError> {
        self.runtime.block_on(self.inner.execute_scalar())
    }

    /// Runs it and returns the rows affected.
    pub fn execute_non_query(&self) -> Result<u64, SqlError> {
        self.runtime.block_on(self.inner.execute_non_query())
    }
}
