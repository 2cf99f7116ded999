//! Results: [`BatchStream`] (the Arrow batches as they arrive, with the command's timeout and cancellation) and
//! [`DataReader`] (a row cursor over them, reading values straight from the Arrow arrays).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, SchemaRef,
    TimeUnit, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
    UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::scalar::ScalarValue;
use futures::{Stream, StreamExt};
use tokio::time::Sleep;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::error::SqlError;

/// Cancels a running command: [`crate::Command::cancel_handle`] gives one; clones cancel the same commands.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle {
    token: CancellationToken,
}

impl CancelHandle {
    /// A handle that cancels nothing yet (give it to commands with [`crate::Command::cancel_with`]).
    pub fn new() -> Self {
        CancelHandle::default()
    }

    /// Cancels the commands using this handle: their reader or stream ends with [`SqlError::Cancelled`] and the
    /// requests in flight are dropped.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    pub(crate) fn token(&self) -> CancellationToken {
        self.token.clone()
    }
}

/// The stop conditions of a running command: its deadline and its cancel handle.
pub(crate) struct Guard {
    deadline: Option<(Duration, Pin<Box<Sleep>>)>,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl Guard {
    /// Starts the clock now.
    pub(crate) fn start(timeout: Option<Duration>, cancel: &CancelHandle) -> Guard {
        Guard {
            deadline: timeout.map(|t| (t, Box::pin(tokio::time::sleep(t)))),
            cancelled: Box::pin(cancel.token().cancelled_owned()),
        }
    }

    /// Ready with the error once the command must stop.
    fn poll_stop(&mut self, cx: &mut Context<'_>) -> Poll<SqlError> {
        if self.cancelled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(SqlError::Cancelled);
        }
        if let Some((timeout, sleep)) = &mut self.deadline {
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(SqlError::Timeout(*timeout));
            }
        }
        Poll::Pending
    }

    /// Runs `work` (planning) unless the command must stop first.
    pub(crate) async fn run<T>(
        &mut self,
        work: impl std::future::Future<Output = Result<T, SqlError>>,
    ) -> Result<T, SqlError> {
        let mut work = std::pin::pin!(work);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(error) = self.poll_stop(cx) {
                return Poll::Ready(Err(error));
            }
            work.as_mut().poll(cx)
        })
        .await
    }
}

/// The result of a command as Arrow record batches, streamed as Confluence's pages arrive (bounded memory).
/// Ends with an error, never silently short, when the command fails, times out or is cancelled.
pub struct BatchStream {
    schema: SchemaRef,
    inner: SendableRecordBatchStream,
    guard: Guard,
    done: bool,
}

impl std::fmt::Debug for BatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchStream").field("schema", &self.schema).field("done", &self.done).finish()
    }
}

impl BatchStream {
    pub(crate) fn new(inner: SendableRecordBatchStream, guard: Guard) -> BatchStream {
        BatchStream { schema: inner.schema(), inner, guard, done: false }
    }

    /// The columns of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Reads the rest into memory.
    pub async fn collect(mut self) -> Result<Vec<RecordBatch>, SqlError> {
        let mut batches = Vec::new();
        while let Some(batch) = self.next().await {
            batches.push(batch?);
        }
        Ok(batches)
    }
}

impl Stream for BatchStream {
    type Item = Result<RecordBatch, SqlError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(error) = self.guard.poll_stop(cx) {
            self.done = true;
            return Poll::Ready(Some(Err(error)));
        }
        match self.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Err(error))) => {
                self.done = true;
                Poll::Ready(Some(Err(SqlError::Query(error))))
            }
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
            other => other.map(|item| item.map(|batch| batch.map_err(SqlError::Query))),
        }
    }
}

/// Which column to read: its position (from 0) or its name (exact, else without regard to case, as ADO.NET's
/// `GetOrdinal`).
pub trait ColumnIndex {
    /// The position of the column in `schema`, or an error naming the columns there are.
    fn index(&self, schema: &SchemaRef) -> Result<usize, SqlError>;
}

impl ColumnIndex for usize {
    fn index(&self, schema: &SchemaRef) -> Result<usize, SqlError> {
        if *self < schema.fields().len() {
            return Ok(*self);
        }
        Err(SqlError::Read(format!("no column {self}: the result has {} column(s), from 0", schema.fields().len())))
    }
}

impl ColumnIndex for &str {
    fn index(&self, schema: &SchemaRef) -> Result<usize, SqlError> {
        let fields = schema.fields();
        if let Some(i) = fields.iter().position(|f| f.name() == self) {
            return Ok(i);
        }
        if let Some(i) = fields.iter().position(|f| f.name().eq_ignore_ascii_case(self)) {
            return Ok(i);
        }
        let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
        Err(SqlError::Read(format!("no column named '{self}': the columns are {}", names.join(", "))))
    }
}

impl ColumnIndex for String {
    fn index(&self, schema: &SchemaRef) -> Result<usize, SqlError> {
        self.as_str().index(schema)
    }
}

/// A Rust type a column value can be read as ([`DataReader::get`]). Implemented for `String`, `i64`, `i32`,
/// `u64`, `f64`, `bool`, `chrono` `DateTime<Utc>`, `NaiveDateTime` and `NaiveDate`, [`ScalarValue`] (any type), and
/// `Option<T>` of each (`None` for NULL).
pub trait FromSql: Sized {
    /// Reads row `row` of `array`; `name` is the column's, for messages. Called for NULL only when
    /// [`FromSql::accepts_null`], and then it handles the NULL itself.
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError>;

    /// Whether NULL is a value of this type (`Option<T>`, `ScalarValue`).
    fn accepts_null() -> bool {
        false
    }
}

fn mismatch(name: &str, array: &ArrayRef, wanted: &str, hint: &str) -> SqlError {
    SqlError::Read(format!("column '{name}' is {}, which cannot be read as {wanted}; {hint}", array.data_type()))
}

/// The Rust type that reads a column of `data_type` (for messages and the `DataTypes` metadata collection).
pub fn rust_type_for(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "String",
        DataType::Boolean => "bool",
        DataType::Float16 | DataType::Float32 | DataType::Float64 => "f64",
        DataType::UInt64 => "u64",
        d if d.is_integer() => "i64",
        DataType::Timestamp(_, _) => "chrono::DateTime<Utc>",
        DataType::Date32 | DataType::Date64 => "chrono::NaiveDate",
        _ => "ScalarValue",
    }
}

fn hint(array: &ArrayRef) -> String {
    format!("read it as {}", rust_type_for(array.data_type()))
}

impl FromSql for String {
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError> {
        match array.data_type() {
            DataType::Utf8 => Ok(array.as_string::<i32>().value(row).to_owned()),
            DataType::LargeUtf8 => Ok(array.as_string::<i64>().value(row).to_owned()),
            DataType::Utf8View => Ok(array.as_string_view().value(row).to_owned()),
            _ => Err(mismatch(name, array, "String", &hint(array))),
        }
    }
}

impl FromSql for i64 {
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError> {
        let value = match array.data_type() {
            DataType::Int8 => array.as_primitive::<Int8Type>().value(row).into(),
            DataType::Int16 => array.as_primitive::<Int16Type>().value(row).into(),
            DataType::Int32 => array.as_primitive::<Int32Type>().value(row).into(),
            DataType::Int64 => array.as_primitive::<Int64Type>().value(row),
            DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).into(),
            DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).into(),
            DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).into(),
            DataType::UInt64 => {
                let value = array.as_primitive::<UInt64Type>().value(row);
                i64::try_from(value)
                    .map_err(|_| SqlError::Read(format!("column '{name}': {value} is beyond i64; read it as u64")))?
            }
            _ => return Err(mismatch(name, array, "an integer", &hint(array))),
        };
        Ok(value)
    }
}

impl FromSql for u64 {
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError> {
        if let DataType::UInt64 = array.data_type() {
            return Ok(array.as_primitive::<UInt64Type>().value(row));
        }
        let value = i64::from_sql(array, row, name)?;
        u64::try_from(value)
            .map_err(|_| SqlError::Read(format!("column '{name}': {value} is negative; read it as i64")))
    }
}

impl FromSql for i32 {
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError> {
        let value = i64::from_sql(array, row, name)?;
        i32::try_from(value)
            .map_err(|_| SqlError::Read(format!("column '{name}': {value} is beyond i32; read it as i64")))
    }
}

impl FromSql for f64 {
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError> {
        match array.data_type() {
            DataType::Float64 => Ok(array.as_primitive::<Float64Type>().value(row)),
            DataType::Float32 => Ok(array.as_primitive::<Float32Type>().value(row).into()),
            d if d.is_integer() => Ok(i64::from_sql(array, row, name)? as f64),
            _ => Err(mismatch(name, array, "f64", &hint(array))),
        }
    }
}

impl FromSql for bool {
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError> {
        match array.data_type() {
            DataType::Boolean => Ok(array.as_boolean().value(row)),
            _ => Err(mismatch(name, array, "bool", &hint(array))),
        }
    }
}

impl FromSql for DateTime<Utc> {
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError> {
        let time = match array.data_type() {
            DataType::Timestamp(TimeUnit::Second, _) => {
                DateTime::from_timestamp(array.as_primitive::<TimestampSecondType>().value(row), 0)
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                DateTime::from_timestamp_millis(array.as_primitive::<TimestampMillisecondType>().value(row))
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                DateTime::from_timestamp_micros(array.as_primitive::<TimestampMicrosecondType>().value(row))
            }
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                Some(DateTime::from_timestamp_nanos(array.as_primitive::<TimestampNanosecondType>().value(row)))
            }
            DataType::Date32 | DataType::Date64 => {
                return NaiveDate::from_sql(array, row, name).map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
            }
            _ => return Err(mismatch(name, array, "a timestamp", &hint(array))),
        };
        time.ok_or_else(|| SqlError::Read(format!("column '{name}': the timestamp is out of chrono's range")))
    }
}

impl FromSql for NaiveDateTime {
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError> {
        DateTime::<Utc>::from_sql(array, row, name).map(|t| t.naive_utc())
    }
}

impl FromSql for NaiveDate {
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError> {
        let epoch = DateTime::UNIX_EPOCH.date_naive();
        let date = match array.data_type() {
            DataType::Date32 => {
                epoch.checked_add_signed(chrono::TimeDelta::days(array.as_primitive::<Date32Type>().value(row).into()))
            }
            DataType::Date64 => {
                DateTime::from_timestamp_millis(array.as_primitive::<Date64Type>().value(row)).map(|t| t.date_naive())
            }
            DataType::Timestamp(_, _) => return DateTime::<Utc>::from_sql(array, row, name).map(|t| t.date_naive()),
            _ => return Err(mismatch(name, array, "a date", &hint(array))),
        };
        date.ok_or_else(|| SqlError::Read(format!("column '{name}': the date is out of chrono's range")))
    }
}

impl FromSql for ScalarValue {
    fn from_sql(array: &ArrayRef, row: usize, _name: &str) -> Result<Self, SqlError> {
        Ok(ScalarValue::try_from_array(array, row)?)
    }

    fn accepts_null() -> bool {
        true
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(array: &ArrayRef, row: usize, name: &str) -> Result<Self, SqlError> {
        if array.is_null(row) {
            return Ok(None);
        }
        T::from_sql(array, row, name).map(Some)
    }

    fn accepts_null() -> bool {
        true
    }
}

/// Reads one value: NULL as [`FromSql::null`] or an error that says to read an `Option`.
pub(crate) fn read_value<T: FromSql>(array: &ArrayRef, row: usize, name: &str) -> Result<T, SqlError> {
    if array.is_null(row) && !T::accepts_null() {
        return Err(SqlError::Read(format!("column '{name}' is NULL in this row; read it as an Option")));
    }
    T::from_sql(array, row, name)
}

/// A forward-only row cursor over a command's result, like ADO.NET's `DbDataReader`: call [`DataReader::read`]
/// until it returns `false`, reading each row's values with [`DataReader::get`]. Rows are read in place from the
/// Arrow batches as they stream in; only the current batch is held.
#[derive(Debug)]
pub struct DataReader {
    stream: BatchStream,
    schema: SchemaRef,
    batch: Option<RecordBatch>,
    row: usize,
    failed: bool,
}

impl DataReader {
    pub(crate) fn new(stream: BatchStream) -> DataReader {
        DataReader { schema: stream.schema(), stream, batch: None, row: 0, failed: false }
    }

    /// The result's columns.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Advances to the next row: `true` when there is one, `false` at the end. A failure of the command (a
    /// Confluence error, the timeout, a cancellation) is an error here, never an early `false`.
    pub async fn read(&mut self) -> Result<bool, SqlError> {
        if self.failed {
            return Err(SqlError::Read(
                "the command failed earlier, so the rows read are not all of its result; run it again".to_owned(),
            ));
        }
        if let Some(batch) = &self.batch {
            if self.row + 1 < batch.num_rows() {
                self.row += 1;
                return Ok(true);
            }
        }
        self.batch = None;
        while let Some(batch) = self.stream.next().await {
            let batch = batch.inspect_err(|_| self.failed = true)?;
            if batch.num_rows() > 0 {
                self.batch = Some(batch);
                self.row = 0;
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn current(&self) -> Result<&RecordBatch, SqlError> {
        self.batch.as_ref().ok_or_else(|| {
            SqlError::Read("no current row: call read() first, and read values only while it returns true".to_owned())
        })
    }

    /// The value of column `index` (a position from 0, or a name) in the current row, as `T`. NULL is an error
    /// unless `T` is an `Option`.
    pub fn get<T: FromSql>(&self, index: impl ColumnIndex) -> Result<T, SqlError> {
        let i = index.index(&self.schema)?;
        let batch = self.current()?;
        read_value(batch.column(i), self.row, self.schema.field(i).name())
    }

    /// Like [`DataReader::get`], with `None` for NULL.
    pub fn try_get<T: FromSql>(&self, index: impl ColumnIndex) -> Result<Option<T>, SqlError> {
        self.get::<Option<T>>(index)
    }

    /// Whether column `index` is NULL in the current row.
    pub fn is_null(&self, index: impl ColumnIndex) -> Result<bool, SqlError> {
        let i = index.index(&self.schema)?;
        Ok(self.current()?.column(i).is_null(self.row))
    }

    /// How many columns the result has.
    pub fn field_count(&self) -> usize {
        self.schema.fields().len()
    }

    /// The name of column `i`.
    pub fn get_name(&self, i: usize) -> Result<&str, SqlError> {
        let i = i.index(&self.schema)?;
        Ok(self.schema.field(i).name())
    }

    /// The position of the column named `name`.
    pub fn get_ordinal(&self, name: &str) -> Result<usize, SqlError> {
        name.index(&self.schema)
    }

    /// The Arrow type of column `i`.
    pub fn get_field_type(&self, i: usize) -> Result<&DataType, SqlError> {
        let i = i.index(&self.schema)?;
        Ok(self.schema.field(i).data_type())
    }

    /// The rest of the result as a batch stream (the current batch's remaining rows are dropped).
    pub fn into_stream(self) -> BatchStream {
        self.stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{BooleanArray, Int64Array, StringArray, TimestampMillisecondArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    use std::sync::Arc;

    fn reader(batches: Vec<RecordBatch>, schema: SchemaRef) -> DataReader {
        let stream = futures::stream::iter(batches.into_iter().map(Ok));
        let inner = Box::pin(RecordBatchStreamAdapter::new(schema, stream));
        DataReader::new(BatchStream::new(inner, Guard::start(None, &CancelHandle::new())))
    }

    fn sample() -> (Vec<RecordBatch>, SchemaRef) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("title", DataType::Utf8, true),
            Field::new("version", DataType::Int64, true),
            Field::new("current", DataType::Boolean, true),
            Field::new("created_at", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), true),
        ]));
        let batch = |titles: Vec<Option<&str>>, versions: Vec<Option<i64>>| {
            let n = titles.len();
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from(titles)),
                    Arc::new(Int64Array::from(versions)),
                    Arc::new(BooleanArray::from(vec![Some(true); n])),
                    Arc::new(TimestampMillisecondArray::from(vec![Some(86_400_000); n]).with_timezone("UTC")),
                ],
            )
            .expect("batch")
        };
        let empty = RecordBatch::new_empty(schema.clone());
        (vec![batch(vec![Some("a"), None], vec![Some(1), Some(2)]), empty, batch(vec![Some("c")], vec![None])], schema)
    }

    #[tokio::test]
    async fn reads_every_row_across_batches_and_skips_empty_ones() {
        let (batches, schema) = sample();
        let mut reader = reader(batches, schema);
        let mut titles = Vec::new();
        while reader.read().await.expect("reads") {
            titles.push(reader.try_get::<String>("title").expect("title"));
        }
        assert_eq!(titles, [Some("a".to_owned()), None, Some("c".to_owned())]);
        assert!(!reader.read().await.expect("stays at the end"));
    }

    #[tokio::test]
    async fn values_by_index_and_name_with_clear_errors() {
        let (batches, schema) = sample();
        let mut reader = reader(batches, schema);
        assert!(reader.get::<String>(0).expect_err("before read").to_string().contains("read() first"));
        assert!(reader.read().await.expect("row"));
        assert_eq!(reader.get::<i64>("VERSION").expect("any case"), 1);
        assert_eq!(reader.get::<i32>(1).expect("narrow"), 1);
        assert_eq!(reader.get::<f64>(1).expect("widen"), 1.0);
        assert!(reader.get::<bool>("current").expect("bool"));
        let created: DateTime<Utc> = reader.get("created_at").expect("time");
        assert_eq!(created.to_rfc3339(), "1970-01-02T00:00:00+00:00");
        assert_eq!(reader.get::<NaiveDate>(3).expect("date").to_string(), "1970-01-02");
        let wrong = reader.get::<i64>("title").expect_err("text as int");
        assert!(wrong.to_string().contains("read it as String"), "{wrong}");
        let missing = reader.get::<i64>("titel").expect_err("no such column");
        assert!(missing.to_string().contains("title, version"), "{missing}");
        assert!(reader.get::<i64>(9).is_err());
        assert!(reader.read().await.expect("second row"));
        let null = reader.get::<String>("title").expect_err("NULL as a value");
        assert!(null.to_string().contains("Option"), "{null}");
        assert!(reader.is_null("title").expect("is_null"));
        assert_eq!(reader.get::<Option<String>>("title").expect("option"), None);
        assert_eq!(reader.get::<ScalarValue>(0).expect("scalar"), ScalarValue::Utf8(None));
        assert_eq!(reader.field_count(), 4);
        assert_eq!(reader.get_name(3).expect("name"), "created_at");
        assert_eq!(reader.get_ordinal("current").expect("ordinal"), 2);
        assert_eq!(reader.get_field_type(1).expect("type"), &DataType::Int64);
    }

    #[tokio::test]
    async fn a_cancelled_stream_ends_with_an_error_not_early() {
        let (batches, schema) = sample();
        let cancel = CancelHandle::new();
        let stream = futures::stream::iter(batches.into_iter().map(Ok)).chain(futures::stream::pending());
        let inner = Box::pin(RecordBatchStreamAdapter::new(schema, stream));
        let mut reader = DataReader::new(BatchStream::new(inner, Guard::start(None, &cancel)));
        for _ in 0..3 {
            assert!(reader.read().await.expect("rows before the cancel"));
        }
        cancel.cancel();
        assert!(matches!(reader.read().await, Err(SqlError::Cancelled)));
        let again = reader.read().await.expect_err("still an error, never a normal end");
        assert!(again.to_string().contains("failed earlier"), "{again}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_past_its_timeout_ends_with_a_timeout() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
        let inner = Box::pin(RecordBatchStreamAdapter::new(schema, futures::stream::pending()));
        let mut stream = BatchStream::new(inner, Guard::start(Some(Duration::from_secs(5)), &CancelHandle::new()));
        match stream.next().await {
            Some(Err(SqlError::Timeout(after))) => assert_eq!(after, Duration::from_secs(5)),
            other => panic!("expected a timeout, got {other:?}"),
        }
    }
}
