//! Commands: a statement with its parameters, timeout, row limit and cancel handle ([`Command`]), planned once
//! and executed many times ([`PreparedCommand`]).

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, UInt64Type};
use datafusion::logical_expr::LogicalPlan;
use futures::StreamExt;

use crate::connection::Connection;
use crate::error::{describe, SqlError};
use crate::parameters::{Bindings, Parameter, ParameterRefs, ParameterRow};
use crate::reader::{BatchStream, CancelHandle, DataReader, FromSql, Guard};

/// What every execution needs besides the plan.
#[derive(Debug, Clone)]
struct Settings {
    bindings: Bindings,
    timeout: Option<Duration>,
    max_rows: Option<u64>,
    cancel: CancelHandle,
}

/// One SQL statement to run on a [`Connection`], built like sqlx's `query(..).bind(..)`: each setter takes and
/// returns the command. Parameters are written `@name` (ADO.NET) or `$name` and bound with [`Command::bind`], or
/// written `$1`/`?` and bound with [`Command::bind_positional`]; they are bound as typed values into the plan
/// before it is optimized, so a bound filter is pushed down to Confluence like a literal one. A command can run
/// more than once.
///
/// ```
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sim = confluence_sim::Simulator::start(confluence_sim::SimConfig::cloud()).await?;
/// # let connection = confluence_sql::Connection::open(&sim.info().connection_string).await?;
/// use std::time::Duration;
/// let pages: i64 = connection
///     .command("SELECT count(*) FROM pages WHERE space_key = @space AND status = @status")
///     .bind("space", "ENG")
///     .bind("status", "current")
///     .timeout(Duration::from_secs(60))
///     .execute_scalar()
///     .await?;
/// assert!(pages > 0);
///
/// // Planned once, run with different values; its schemas are known before it runs.
/// let prepared = connection.command("SELECT id, title FROM pages WHERE space_key = $1").prepare().await?;
/// assert_eq!(prepared.parameter_schema().field(0).data_type(), &confluence_sql::datafusion::arrow::datatypes::DataType::Utf8);
/// for space in ["ENG", "DOCS"] {
///     let rows = prepared.clone().bind_positional(space).execute_stream().await?.collect().await?;
///     assert!(!rows.is_empty());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Command {
    connection: Connection,
    sql: String,
    settings: Settings,
}

impl Command {
    pub(crate) fn new(connection: Connection, sql: String) -> Command {
        let max_rows = connection.options().max_rows;
        let settings = Settings { bindings: Bindings::default(), timeout: None, max_rows, cancel: CancelHandle::new() };
        Command { connection, sql, settings }
    }

    /// The statement.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Binds `value` to the parameter written `@name` (or `$name`) in the statement; the name is matched without
    /// regard to case, with or without its `@`. Binding the same name again replaces the value.
    pub fn bind(mut self, name: &str, value: impl Into<Parameter>) -> Self {
        self.settings.bindings.bind(name, value.into());
        self
    }

    /// Binds the next positional parameter (`$1`, `$2`, ... or the `?`s in order).
    pub fn bind_positional(mut self, value: impl Into<Parameter>) -> Self {
        self.settings.bindings.positional.push(value.into());
        self
    }

    /// Binds every value of `row` (from [`ParameterRow::from_batch`]): by name, or as the next positional one.
    pub fn bind_row(mut self, row: &ParameterRow) -> Self {
        for (name, value) in row.values() {
            match name {
                Some(name) => self.settings.bindings.bind(name, value.clone()),
                None => self.settings.bindings.positional.push(value.clone()),
            }
        }
        self
    }

    /// Fails the command with [`SqlError::Timeout`] when planning and reading the result take longer than
    /// `timeout` (default: none). The runtime must have Tokio's timers (`#[tokio::main]` and
    /// `Runtime::new` do).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = Some(timeout);
        self
    }

    /// Returns at most `max_rows` rows (a limit pushed down to Confluence; default: the `MaxRows` property).
    pub fn max_rows(mut self, max_rows: u64) -> Self {
        self.settings.max_rows = Some(max_rows);
        self
    }

    /// Uses `handle` to cancel this command (one handle can cancel several commands).
    pub fn cancel_with(mut self, handle: CancelHandle) -> Self {
        self.settings.cancel = handle;
        self
    }

    /// The handle that cancels this command from another task.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.settings.cancel.clone()
    }

    /// Plans the statement with its bound values and returns the schema of its result, without running it (and
    /// without a request to Confluence, except an OAuth connection's first authorization).
    pub async fn describe(&self) -> Result<SchemaRef, SqlError> {
        Ok(self.inspect().await?.schema)
    }

    /// Plans the statement with its bound values, without running it: the schema of its result, and whether it
    /// writes to Confluence (`INSERT`, `UPDATE`, `DELETE`, also under `EXPLAIN`, or a procedure that writes, such
    /// as `UploadAttachment`). A server that hands out tickets runs such statements once, when asked, rather than on
    /// every fetch of the ticket.
    pub async fn inspect(&self) -> Result<StatementInfo, SqlError> {
        let mut guard = Guard::start(self.settings.timeout, &self.settings.cancel);
        let planned = guard.run(self.connection.plan(&self.sql, Some(&self.settings.bindings))).await?;
        Ok(StatementInfo { schema: Arc::new(planned.plan.schema().as_arrow().clone()), writes: planned.writes })
    }

    /// Runs the statement and streams its result as Arrow batches.
    pub async fn execute_stream(&self) -> Result<BatchStream, SqlError> {
        let mut guard = Guard::start(self.settings.timeout, &self.settings.cancel);
        let planned = guard.run(self.connection.plan(&self.sql, Some(&self.settings.bindings))).await?;
        start(&self.connection, (planned.plan, planned.refs), &self.settings, guard).await
    }

    /// Runs the statement and returns a row cursor over its result.
    pub async fn execute_reader(&self) -> Result<DataReader, SqlError> {
        Ok(DataReader::new(self.execute_stream().await?))
    }

    /// Runs the statement and returns the first column of the first row; an error when there is no row. Use
    /// `T = Option<_>` when the value can be NULL.
    pub async fn execute_scalar<T: FromSql>(&self) -> Result<T, SqlError> {
        scalar(self.execute_reader().await?).await
    }

    /// Runs a statement that changes data and returns how many rows it affected (the `count` DataFusion's DML
    /// returns); statements that return rows are run to the end and count 0.
    pub async fn execute_non_query(&self) -> Result<u64, SqlError> {
        non_query(self.execute_stream().await?).await
    }

    /// Plans the statement once (authorizing the connection if needed), leaving its parameters open: the result
    /// runs many times with different values, and tells its result and parameter schemas before running. Values
    /// bound to the command are not kept. Arguments of table functions and procedures are planned with the call,
    /// so they cannot be parameters of a prepared command (run a [`Command`] for those).
    pub async fn prepare(&self) -> Result<PreparedCommand, SqlError> {
        let mut guard = Guard::start(self.settings.timeout, &self.settings.cancel);
        let crate::connection::Planned { plan, refs, .. } = guard.run(self.connection.plan(&self.sql, None)).await?;
        let parameter_schema = parameter_schema(&plan, &refs)?;
        let schema = Arc::new(plan.schema().as_arrow().clone());
        Ok(PreparedCommand {
            connection: self.connection.clone(),
            plan,
            refs,
            schema,
            parameter_schema,
            settings: Settings { bindings: Bindings::default(), ..self.settings.clone() },
        })
    }
}

/// A planned statement with open parameters ([`Command::prepare`]): bind values and execute, as often as needed.
/// The plan is reused; each execution binds its values into a copy.
#[derive(Debug, Clone)]
#[must_use]
pub struct PreparedCommand {
    connection: Connection,
    plan: LogicalPlan,
    refs: ParameterRefs,
    schema: SchemaRef,
    parameter_schema: SchemaRef,
    settings: Settings,
}

impl PreparedCommand {
    /// The columns the statement returns.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The parameters: named ones by name (lower case, without `@`), positional ones as `$1`, `$2`...; the type
    /// is the one the statement implies (`Null` where it implies none).
    pub fn parameter_schema(&self) -> SchemaRef {
        self.parameter_schema.clone()
    }

    /// Binds `value` to the named parameter (see [`Command::bind`]).
    pub fn bind(mut self, name: &str, value: impl Into<Parameter>) -> Self {
        self.settings.bindings.bind(name, value.into());
        self
    }

    /// Binds the next positional parameter.
    pub fn bind_positional(mut self, value: impl Into<Parameter>) -> Self {
        self.settings.bindings.positional.push(value.into());
        self
    }

    /// Forgets the values bound so far (to bind the next set).
    pub fn clear_bindings(mut self) -> Self {
        self.settings.bindings = Bindings::default();
        self
    }

    /// Sets the timeout of each execution.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = Some(timeout);
        self
    }

    /// Uses `handle` to cancel the executions from now on (a handle once cancelled stays cancelled: give the
    /// next executions a new one).
    pub fn cancel_with(mut self, handle: CancelHandle) -> Self {
        self.settings.cancel = handle;
        self
    }

    /// The handle that cancels this command's executions.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.settings.cancel.clone()
    }

    /// Runs it and streams the result.
    pub async fn execute_stream(&self) -> Result<BatchStream, SqlError> {
        self.connection.ensure_open()?;
        let guard = Guard::start(self.settings.timeout, &self.settings.cancel);
        start(&self.connection, (self.plan.clone(), self.refs.clone()), &self.settings, guard).await
    }

    /// Runs it and returns a row cursor.
    pub async fn execute_reader(&self) -> Result<DataReader, SqlError> {
        Ok(DataReader::new(self.execute_stream().await?))
    }

    /// Runs it and returns the first column of the first row (see [`Command::execute_scalar`]).
    pub async fn execute_scalar<T: FromSql>(&self) -> Result<T, SqlError> {
        scalar(self.execute_reader().await?).await
    }

    /// Runs it and returns the rows affected (see [`Command::execute_non_query`]).
    pub async fn execute_non_query(&self) -> Result<u64, SqlError> {
        non_query(self.execute_stream().await?).await
    }
}

/// What [`Command::inspect`] tells about a statement before it runs.
#[derive(Debug, Clone)]
pub struct StatementInfo {
    /// The schema of its result.
    pub schema: SchemaRef,
    /// Whether running it writes to Confluence.
    pub writes: bool,
}

/// Binds the values into the plan, applies the row limit, and starts the stream under `guard`.
async fn start(
    connection: &Connection,
    (plan, refs): (LogicalPlan, ParameterRefs),
    settings: &Settings,
    mut guard: Guard,
) -> Result<BatchStream, SqlError> {
    let plan = match settings.bindings.param_values(&refs)? {
        Some(values) => plan
            .with_param_values(values)
            .map_err(|e| SqlError::Parameter(format!("the bound values do not fit the statement: {}", describe(&e))))?,
        None => plan,
    };
    let session = connection.session().clone();
    let max_rows = settings.max_rows;
    let stream = guard
        .run(async move {
            let mut frame = session.execute_logical_plan(plan).await?;
            if let Some(max) = max_rows {
                frame = frame.limit(0, Some(usize::try_from(max).unwrap_or(usize::MAX)))?;
            }
            Ok(frame.execute_stream().await?)
        })
        .await?;
    Ok(BatchStream::new(stream, guard))
}

async fn scalar<T: FromSql>(mut reader: DataReader) -> Result<T, SqlError> {
    if !reader.read().await? {
        return Err(SqlError::Read(
            "the query returned no rows, so there is no scalar to read (execute_scalar reads the first column of the \
             first row)"
                .to_owned(),
        ));
    }
    reader.get(0)
}

async fn non_query(mut stream: BatchStream) -> Result<u64, SqlError> {
    let schema = stream.schema();
    let counts = schema.fields().len() == 1
        && schema.field(0).name() == "count"
        && schema.field(0).data_type() == &DataType::UInt64;
    let mut affected = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        if counts {
            let column = batch.column(0).as_primitive::<UInt64Type>();
            affected += column.iter().flatten().sum::<u64>();
        }
    }
    Ok(affected)
}

fn parameter_schema(plan: &LogicalPlan, refs: &ParameterRefs) -> Result<SchemaRef, SqlError> {
    let types = plan.get_parameter_types()?;
    let typed = |id: String, name: String| {
        let data_type = types.get(&id).cloned().flatten().unwrap_or(DataType::Null);
        Field::new(name, data_type, true)
    };
    let fields: Vec<Field> = if refs.positional > 0 {
        (1..=refs.positional).map(|n| typed(format!("${n}"), format!("${n}"))).collect()
    } else {
        refs.named.iter().map(|name| typed(format!("${name}"), name.clone())).collect()
    };
    Ok(Arc::new(Schema::new(fields)))
}
