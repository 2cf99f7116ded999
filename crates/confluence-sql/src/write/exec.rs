//! Running a write: read every row of the input (an `INSERT`'s values or query, an `UPDATE`'s or `DELETE`'s
//! selection), check them all, then write them one request at a time, in order; the result is one `count` row.
//! The first failure stops the statement with a [`WriteFailure`] naming the rows written and not written.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Int64Type, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties};
use tokio_util::sync::CancellationToken;

use super::failure::{RowFailure, WriteFailure};
use super::node::count_schema;
use super::target::Entity;
use super::writer::Writer;
use crate::provider::ConfluenceTable;

/// What a write does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WriteOperation {
    /// `INSERT`: each row creates one.
    Insert,
    /// `UPDATE`: each row is saved as a new version with these columns set.
    Update {
        /// The columns the statement sets.
        columns: Vec<String>,
    },
    /// `DELETE`: each row is deleted (pages, blog posts and comments go to the trash; a trashed one is purged).
    Delete,
}

impl fmt::Display for WriteOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteOperation::Insert => f.write_str("INSERT INTO"),
            WriteOperation::Update { columns } => write!(f, "UPDATE (SET {})", columns.join(", ")),
            WriteOperation::Delete => f.write_str("DELETE FROM"),
        }
    }
}

/// One value of an input row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// NULL.
    Null,
    /// A whole number.
    Int(i64),
    /// Text.
    Text(String),
    /// Any other non-NULL value (a time, a flag).
    Other,
}

/// One input row, by column name.
#[derive(Clone, Debug, Default)]
pub struct Row {
    cells: Vec<(String, Cell)>,
}

impl Row {
    /// The value of `column` (NULL when the input has no such column).
    pub fn cell(&self, column: &str) -> &Cell {
        self.cells.iter().find(|(name, _)| name == column).map(|(_, cell)| cell).unwrap_or(&Cell::Null)
    }

    /// `column` as a whole number, if it is one.
    pub fn int(&self, column: &str) -> Option<i64> {
        match self.cell(column) {
            Cell::Int(value) => Some(*value),
            Cell::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// `column` as text, if it is text.
    pub fn text(&self, column: &str) -> Option<&str> {
        match self.cell(column) {
            Cell::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The columns that are not NULL.
    pub fn given(&self) -> impl Iterator<Item = &str> {
        self.cells.iter().filter(|(_, cell)| *cell != Cell::Null).map(|(name, _)| name.as_str())
    }
}

/// The rows of `batches`.
pub fn rows_of(batches: &[RecordBatch]) -> Vec<Row> {
    let mut rows = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        for index in 0..batch.num_rows() {
            let cells = schema
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(field, array)| (field.name().clone(), cell(array.as_ref(), index)))
                .collect();
            rows.push(Row { cells });
        }
    }
    rows
}

fn cell(array: &dyn Array, index: usize) -> Cell {
    if array.is_null(index) {
        return Cell::Null;
    }
    match array.data_type() {
        DataType::Int64 => Cell::Int(array.as_primitive::<Int64Type>().value(index)),
        DataType::Utf8 => Cell::Text(array.as_string::<i32>().value(index).to_owned()),
        DataType::LargeUtf8 => Cell::Text(array.as_string::<i64>().value(index).to_owned()),
        DataType::Utf8View => Cell::Text(array.as_string_view().value(index).to_owned()),
        _ => Cell::Other,
    }
}

/// Writes the rows its input produces.
#[derive(Debug)]
pub struct WriteExec {
    writer: Writer,
    pinned: Option<BTreeSet<i64>>,
    table: &'static str,
    operation: WriteOperation,
    input: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl WriteExec {
    /// A write of `entity` rows to `table`, with the rows `input` produces.
    pub fn new(
        table: &ConfluenceTable,
        entity: Entity,
        operation: WriteOperation,
        input: Arc<dyn ExecutionPlan>,
    ) -> WriteExec {
        let schema = count_schema();
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        );
        WriteExec {
            writer: Writer::new(table, entity),
            pinned: None,
            table: table.name(),
            operation,
            input,
            schema,
            properties: Arc::new(properties),
        }
    }
}

impl WriteExec {
    /// Refuses, before any write, a selected row whose key is not one of `pinned` (the keys the `WHERE` names).
    pub fn with_pinned_keys(mut self, pinned: Option<BTreeSet<i64>>) -> WriteExec {
        self.pinned = pinned;
        self
    }
}

impl DisplayAs for WriteExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "ConfluenceWriteExec: {} {}, one request per row, in order", self.operation, self.table)
    }
}

impl ExecutionPlan for WriteExec {
    fn name(&self) -> &'static str {
        "ConfluenceWriteExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, mut children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        let input = children.pop().ok_or_else(|| DataFusionError::Internal("WriteExec needs its input".into()))?;
        Ok(Arc::new(WriteExec {
            writer: self.writer.clone(),
            pinned: self.pinned.clone(),
            table: self.table,
            operation: self.operation.clone(),
            input,
            schema: self.schema.clone(),
            properties: self.properties.clone(),
        }))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!("ConfluenceWriteExec has no partition {partition}")));
        }
        let (writer, operation, input, schema) =
            (self.writer.clone(), self.operation.clone(), self.input.clone(), self.schema.clone());
        let pinned = self.pinned.clone();
        let output = schema.clone();
        // The writes run in a task of their own: a cancelled or timed-out statement (its stream dropped) stops
        // between two rows, never in the middle of a request, and logs what it wrote.
        let stop = CancellationToken::new();
        let task_stop = stop.clone();
        let task = tokio::spawn(async move {
            let batches = datafusion::physical_plan::collect(input, context).await?;
            let rows = rows_of(&batches);
            let written = write_all(&writer, &operation, &rows, pinned.as_ref(), &task_stop)
                .await
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            Ok(RecordBatch::try_new(output, vec![Arc::new(UInt64Array::from(vec![written]))])?)
        });
        let done = async move {
            let _stop_when_dropped = stop.drop_guard();
            task.await.map_err(|e| DataFusionError::Execution(format!("the write stopped: {e}")))?
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, futures::stream::once(done))))
    }
}

/// Checks every row, then writes them in order; the count written, or where it stopped.
async fn write_all(
    writer: &Writer,
    operation: &WriteOperation,
    rows: &[Row],
    pinned: Option<&BTreeSet<i64>>,
    stop: &CancellationToken,
) -> Result<u64, WriteFailure> {
    let statement = format!("{} {}", verb(operation), writer.entity().table());
    let describe = |index: usize| writer.describe(operation, &rows[index], index);
    // The selection can only hold rows whose key the WHERE names; anything else is a bug somewhere, and nothing is
    // written.
    if let Some(pinned) = pinned {
        let key = writer.entity().key();
        if let Some(index) = rows.iter().position(|row| row.int(key).is_none_or(|k| !pinned.contains(&k))) {
            return Err(WriteFailure {
                statement,
                written: Vec::new(),
                failed: describe(index),
                reason: RowFailure::Invalid(format!(
                    "the selection holds a row whose {key} the WHERE does not name; nothing was written"
                )),
                not_written: Vec::new(),
                hint: None,
            });
        }
    }
    // Every row is checked before the first write: a bad value anywhere writes nothing.
    for (index, row) in rows.iter().enumerate() {
        if let Err(reason) = writer.check(operation, row).await {
            return Err(WriteFailure {
                statement,
                written: Vec::new(),
                failed: describe(index),
                hint: writer.hint(&reason, operation),
                reason,
                not_written: Vec::new(),
            });
        }
    }
    let mut written = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        if stop.is_cancelled() {
            let not_written: Vec<String> = (index..rows.len()).map(describe).collect();
            tracing::warn!(
                statement = %statement,
                written = %written.join(", "),
                not_written = %not_written.join(", "),
                "the write was cancelled between two rows; nothing is rolled back"
            );
            return Err(WriteFailure {
                statement,
                written,
                failed: describe(index),
                reason: RowFailure::Invalid("the statement was cancelled before this row".into()),
                not_written: not_written.into_iter().skip(1).collect(),
                hint: None,
            });
        }
        let outcome: Result<String, RowFailure> = match operation {
            WriteOperation::Insert => writer.insert(row).await,
            WriteOperation::Update { columns } => writer.update(row, columns).await,
            WriteOperation::Delete => writer.delete(row).await,
        };
        match outcome {
            Ok(done) => written.push(done),
            Err(reason) => {
                tracing::warn!(statement = %statement, written = written.len(), "a write stopped at a failed row");
                return Err(WriteFailure {
                    statement,
                    written,
                    failed: describe(index),
                    hint: writer.hint(&reason, operation),
                    reason,
                    not_written: (index + 1..rows.len()).map(describe).collect(),
                });
            }
        }
    }
    Ok(written.len() as u64)
}

fn verb(operation: &WriteOperation) -> &'static str {
    match operation {
        WriteOperation::Insert => "INSERT INTO",
        WriteOperation::Update { .. } => "UPDATE",
        WriteOperation::Delete => "DELETE FROM",
    }
}
