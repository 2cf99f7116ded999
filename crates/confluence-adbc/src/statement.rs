//! Statements: SQL with parameters bound from Arrow, executed as a streamed query or an update.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use adbc_core::error::{Error, Result, Status};
use adbc_core::options::{OptionStatement, OptionValue};
use adbc_core::{Optionable, PartitionedResult};
use confluence_sql::blocking::{BatchIter, Command, Connection};
use confluence_sql::datafusion::arrow::array::{RecordBatch, RecordBatchReader};
use confluence_sql::datafusion::arrow::datatypes::{Schema, SchemaRef};
use confluence_sql::datafusion::arrow::error::ArrowError;
use confluence_sql::{CancelHandle, ParameterRow};

use crate::error::to_adbc;
use crate::options::not_found;

/// A statement of a connection. `Debug` shows the SQL and how many parameter rows are bound, never their values
/// (a bound value may be an authorization code).
pub struct ConfluenceStatement {
    connection: Connection,
    sql: Option<String>,
    parameters: Vec<RecordBatch>,
    cancel: Arc<Mutex<CancelHandle>>,
}

impl std::fmt::Debug for ConfluenceStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rows: usize = self.parameters.iter().map(RecordBatch::num_rows).sum();
        f.debug_struct("ConfluenceStatement").field("sql", &self.sql).field("parameter_rows", &rows).finish()
    }
}

impl ConfluenceStatement {
    pub(crate) fn new(connection: Connection) -> ConfluenceStatement {
        ConfluenceStatement { connection, sql: None, parameters: Vec::new(), cancel: Arc::default() }
    }

    fn sql(&self) -> Result<&str> {
        self.sql.as_deref().ok_or_else(|| {
            Error::with_message_and_status("no SQL: call set_sql_query before executing", Status::InvalidState)
        })
    }

    /// The parameter sets to run with, one per bound row; `None` when nothing is bound (one run without
    /// parameters). Columns named by numbers bind by position in the order of their numbers.
    fn rows(&self) -> Result<Option<Vec<ParameterRow>>> {
        if self.parameters.is_empty() {
            return Ok(None);
        }
        let mut rows = Vec::new();
        for batch in &self.parameters {
            rows.extend(ParameterRow::from_batch(batch).map_err(to_adbc)?);
        }
        Ok(Some(rows))
    }

    /// A fresh cancel handle for the next execution (a cancelled one stays cancelled).
    fn next_cancel(&self) -> CancelHandle {
        let handle = CancelHandle::new();
        *self.cancel.lock().unwrap_or_else(|p| p.into_inner()) = handle.clone();
        handle
    }

    fn command(&self, row: &ParameterRow, cancel: &CancelHandle) -> Result<Command> {
        Ok(self.connection.command(self.sql()?).cancel_with(cancel.clone()).bind_row(row))
    }
}

impl Optionable for ConfluenceStatement {
    type Option = OptionStatement;

    fn set_option(&mut self, key: OptionStatement, _value: OptionValue) -> Result<()> {
        Err(Error::with_message_and_status(
            format!(
                "the Confluence driver has no statement option {} (bulk ingestion and incremental results are not \
                 supported)",
                key.as_ref()
            ),
            Status::NotImplemented,
        ))
    }

    fn get_option_string(&self, key: OptionStatement) -> Result<String> {
        Err(not_found(key.as_ref()))
    }

    fn get_option_bytes(&self, key: OptionStatement) -> Result<Vec<u8>> {
        Err(not_found(key.as_ref()))
    }

    fn get_option_int(&self, key: OptionStatement) -> Result<i64> {
        Err(not_found(key.as_ref()))
    }

    fn get_option_double(&self, key: OptionStatement) -> Result<f64> {
        Err(not_found(key.as_ref()))
    }
}

impl adbc_core::Statement for ConfluenceStatement {
    fn bind(&mut self, batch: RecordBatch) -> Result<()> {
        self.parameters = vec![batch];
        Ok(())
    }

    fn bind_stream(&mut self, reader: Box<dyn RecordBatchReader + Send>) -> Result<()> {
        let batches: std::result::Result<Vec<RecordBatch>, ArrowError> = reader.collect();
        self.parameters = batches
            .map_err(|e| Error::with_message_and_status(format!("reading the parameters: {e}"), Status::InvalidData))?;
        Ok(())
    }

    fn execute(&mut self) -> Result<Box<dyn RecordBatchReader + Send + 'static>> {
        let cancel = self.next_cancel();
        let mut rows: VecDeque<Command> = VecDeque::new();
        match self.rows()? {
            None => rows.push_back(self.command(&ParameterRow::default(), &cancel)?),
            Some(parameter_rows) if parameter_rows.is_empty() => {
                return Err(Error::with_message_and_status(
                    "the bound parameters have no rows, so there is nothing to run",
                    Status::InvalidState,
                ));
            }
            Some(parameter_rows) => {
                for row in &parameter_rows {
                    rows.push_back(self.command(row, &cancel)?);
                }
            }
        }
        let first = rows.pop_front().map(|c| c.execute_stream()).transpose().map_err(to_adbc)?;
        let Some(mut first) = first else {
            return Err(Error::with_message_and_status("nothing to execute", Status::InvalidState));
        };
        // The first batch is read now, so that what fails at once (credentials, permissions, a missing parent
        // filter) is an ADBC error of execute with its status, not an error in the middle of the Arrow stream.
        let ready = match first.next() {
            Some(Err(error)) => return Err(to_adbc(error)),
            Some(Ok(batch)) => Some(batch),
            None => None,
        };
        Ok(Box::new(Results { schema: first.schema(), ready, current: Some(first), pending: rows }))
    }

    fn execute_update(&mut self) -> Result<Option<i64>> {
        let cancel = self.next_cancel();
        // Nothing bound: one run; parameters with no rows (executemany of nothing): no run.
        let runs = self.rows()?.unwrap_or_else(|| vec![ParameterRow::default()]);
        let mut affected = 0u64;
        for (index, row) in runs.iter().enumerate() {
            match self.command(row, &cancel)?.execute_non_query() {
                Ok(n) => affected += n,
                // The runs before it wrote, and nothing is rolled back: say so.
                Err(error) if index > 0 => {
                    let mut failed = to_adbc(error);
                    failed.message = format!(
                        "parameter row {} of {} failed after the rows before it wrote {affected} row(s), which stay \
                         written: {}",
                        index + 1,
                        runs.len(),
                        failed.message
                    );
                    return Err(failed);
                }
                Err(error) => return Err(to_adbc(error)),
            }
        }
        Ok(Some(i64::try_from(affected).unwrap_or(i64::MAX)))
    }

    fn execute_schema(&mut self) -> Result<Schema> {
        let prepared = self.command(&ParameterRow::default(), &self.next_cancel())?.prepare().map_err(to_adbc)?;
        Ok(prepared.schema().as_ref().clone())
    }

    fn execute_partitions(&mut self) -> Result<PartitionedResult> {
        crate::no_partitions()
    }

    fn get_parameter_schema(&self) -> Result<Schema> {
        let prepared = self.command(&ParameterRow::default(), &CancelHandle::new())?.prepare().map_err(to_adbc)?;
        Ok(prepared.parameter_schema().as_ref().clone())
    }

    fn prepare(&mut self) -> Result<()> {
        // Planning checks the SQL now; each execution binds its values into a fresh plan.
        let _checked = self.command(&ParameterRow::default(), &CancelHandle::new())?.prepare().map_err(to_adbc)?;
        Ok(())
    }

    /// A new query starts without parameters (those bound for the previous one are dropped).
    fn set_sql_query(&mut self, query: impl AsRef<str>) -> Result<()> {
        self.sql = Some(query.as_ref().to_owned());
        self.parameters.clear();
        Ok(())
    }

    fn set_substrait_plan(&mut self, _plan: impl AsRef<[u8]>) -> Result<()> {
        Err(crate::not_implemented("Substrait plans (send SQL)"))
    }

    fn get_cancel_handle(&self) -> Box<dyn adbc_core::CancelHandle> {
        Box::new(StatementCancel(self.cancel.clone()))
    }
}

/// Cancels whatever the statement is running (its current execution's result stream ends with an error).
struct StatementCancel(Arc<Mutex<CancelHandle>>);

impl adbc_core::CancelHandle for StatementCancel {
    fn try_cancel(&self) -> Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).cancel();
        Ok(())
    }
}

/// The results of one or more runs (one per parameter row), read in turn as one stream; each run starts when the
/// one before has been read.
struct Results {
    schema: SchemaRef,
    ready: Option<RecordBatch>,
    current: Option<BatchIter>,
    pending: VecDeque<Command>,
}

impl Iterator for Results {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    /// Called from the Arrow C stream, where a panic would abort the host process: a panic becomes an error.
    fn next(&mut self) -> Option<Self::Item> {
        let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.next_batch()));
        next.unwrap_or_else(|_| {
            self.current = None;
            self.pending.clear();
            Some(Err(ArrowError::ExternalError("internal error in the Confluence driver while reading results".into())))
        })
    }
}

impl Results {
    fn next_batch(&mut self) -> Option<std::result::Result<RecordBatch, ArrowError>> {
        if let Some(batch) = self.ready.take() {
            return Some(Ok(batch));
        }
        loop {
            let current = self.current.as_mut()?;
            match current.next() {
                Some(Ok(batch)) => return Some(Ok(batch)),
                Some(Err(error)) => {
                    self.current = None;
                    return Some(Err(ArrowError::ExternalError(Box::new(error))));
                }
                None => match self.pending.pop_front().map(|c| c.execute_stream()) {
                    None => {
                        self.current = None;
                        return None;
                    }
                    Some(Ok(next)) => self.current = Some(next),
                    Some(Err(error)) => {
                        self.current = None;
                        return Some(Err(ArrowError::ExternalError(Box::new(error))));
                    }
                },
            }
        }
    }
}

impl RecordBatchReader for Results {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
