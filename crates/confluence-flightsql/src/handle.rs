//! Statement handles and tickets. They are stateless: a handle holds the SQL and the bound parameters (as an
//! Arrow IPC stream), so any server instance can run it and nothing is kept per client between calls. A ticket is
//! a handle with the id of one execution, which `CancelFlightInfo` names to stop it.
//!
//! A client can send any bytes as a handle; decoding them is no more trusted than a statement it sends as text:
//! the SQL is planned and checked against the remote policy again when it runs.

use base64::Engine;
use bytes::Bytes;
use confluence_sql::datafusion::arrow::array::RecordBatch;
use confluence_sql::datafusion::arrow::ipc::reader::StreamReader;
use confluence_sql::datafusion::arrow::ipc::root_as_message;
use confluence_sql::datafusion::arrow::ipc::writer::StreamWriter;
use confluence_sql::ParameterRow;
use serde::{Deserialize, Serialize};
use tonic::Status;

/// What starts every handle this server issues (and its format version).
const MAGIC: &[u8] = b"confluence-sql/1:";

/// The largest parameter set a handle carries (Arrow IPC bytes). A `FlightInfo` repeats the handle (base64) in its
/// descriptor and ticket, and gRPC clients receive at most 4 MiB by default.
pub(crate) const MAX_PARAMETER_BYTES: usize = 1024 * 1024;

/// The most parameter rows one statement binds (each row is one execution).
pub(crate) const MAX_PARAMETER_ROWS: usize = 10_000;

/// A statement as a client holds it between calls.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct StatementHandle {
    /// The SQL.
    pub sql: String,
    /// The bound parameter rows, as a base64 Arrow IPC stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parameters: Option<String>,
    /// The id of one execution (tickets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_id: Option<String>,
    /// The id of a prepared statement, for clients that ignore the handle `DoPut` returns (see
    /// [`crate::service`]'s binding fallback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
    /// For a statement that writes: the rows it wrote, when `GetFlightInfo` ran it. Fetching the ticket returns
    /// this count and runs nothing, so a client that fetches twice does not write twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected: Option<i64>,
}

impl StatementHandle {
    /// A handle for `sql` with nothing bound.
    pub fn new(sql: impl Into<String>) -> StatementHandle {
        StatementHandle { sql: sql.into(), parameters: None, query_id: None, statement_id: None, affected: None }
    }

    /// A handle for a new prepared statement of `sql`, with an id of its own.
    pub fn prepared(sql: impl Into<String>) -> Result<StatementHandle, Status> {
        Ok(StatementHandle { statement_id: Some(crate::auth::random_token()?), ..StatementHandle::new(sql) })
    }

    /// Whether parameters are bound.
    pub fn has_parameters(&self) -> bool {
        self.parameters.is_some()
    }

    /// The same statement as a ticket for one execution, with a fresh id.
    pub fn ticket(&self) -> Result<StatementHandle, Status> {
        Ok(StatementHandle { query_id: Some(crate::auth::random_token()?), ..self.clone() })
    }

    /// The handle's bytes.
    pub fn encode(&self) -> Bytes {
        let mut bytes = MAGIC.to_vec();
        // Serializing strings and options cannot fail.
        bytes.extend(serde_json::to_vec(self).unwrap_or_default());
        Bytes::from(bytes)
    }

    /// Reads a handle; anything this server did not issue is an `InvalidArgument` error.
    pub fn decode(bytes: &[u8]) -> Result<StatementHandle, Status> {
        let json = bytes.strip_prefix(MAGIC).ok_or_else(|| {
            Status::invalid_argument("not a statement handle of this server: create the prepared statement again")
        })?;
        serde_json::from_slice(json).map_err(|e| {
            Status::invalid_argument(format!("a damaged statement handle ({e}): prepare the statement again"))
        })
    }

    /// The handle with `batches` as its bound parameters (replacing any bound before); no rows binds nothing.
    pub fn with_parameters(&self, batches: &[RecordBatch]) -> Result<StatementHandle, Status> {
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let Some(first) = batches.first().filter(|_| rows > 0) else {
            return Ok(StatementHandle { parameters: None, ..self.clone() });
        };
        let mut ipc = Vec::new();
        {
            let mut writer = StreamWriter::try_new(&mut ipc, &first.schema())
                .map_err(|e| Status::invalid_argument(format!("the bound parameters: {e}")))?;
            for batch in batches {
                writer.write(batch).map_err(|e| Status::invalid_argument(format!("the bound parameters: {e}")))?;
                if writer.get_ref().len() > MAX_PARAMETER_BYTES {
                    return Err(too_many_parameters());
                }
            }
            writer.finish().map_err(|e| Status::invalid_argument(format!("the bound parameters: {e}")))?;
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(ipc);
        Ok(StatementHandle { parameters: Some(encoded), ..self.clone() })
    }

    /// The bound parameter rows; empty when nothing is bound.
    pub fn parameter_rows(&self) -> Result<Vec<ParameterRow>, Status> {
        let Some(encoded) = &self.parameters else { return Ok(Vec::new()) };
        let damaged = |e: &dyn std::fmt::Display| Status::invalid_argument(format!("the handle's parameters: {e}"));
        let ipc = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|e| damaged(&e))?;
        if ipc.len() > MAX_PARAMETER_BYTES {
            return Err(too_many_parameters());
        }
        // A client can write any bytes into a handle: the messages are checked before arrow decodes them.
        check_ipc_stream(&ipc)?;
        let reader = StreamReader::try_new(ipc.as_slice(), None).map_err(|e| damaged(&e))?;
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| damaged(&e))?;
            check_batch(&batch, rows.len())?;
            rows.extend(ParameterRow::from_batch(&batch).map_err(|e| crate::error::status(&e))?);
        }
        Ok(rows)
    }
}

/// Checks a decoded parameter batch: it has columns, and with the `before` rows already bound stays within
/// [`MAX_PARAMETER_ROWS`].
pub(crate) fn check_batch(batch: &RecordBatch, before: usize) -> Result<(), Status> {
    if batch.num_columns() == 0 && batch.num_rows() > 0 {
        return Err(Status::invalid_argument("a parameter batch without columns binds nothing"));
    }
    if before.saturating_add(batch.num_rows()) > MAX_PARAMETER_ROWS {
        return Err(too_many_rows());
    }
    Ok(())
}

/// Checks one IPC message header (a flatbuffer `Message`, as in `FlightData::data_header`) before arrow decodes
/// its body: decoding trusts the header's row count and a compressed body's stated size, so a forged header could
/// make it allocate terabytes.
pub(crate) fn check_ipc_header(header: &[u8]) -> Result<(), Status> {
    if header.is_empty() {
        return Ok(());
    }
    let message = root_as_message(header)
        .map_err(|e| Status::invalid_argument(format!("the bound parameters are not Arrow IPC: {e}")))?;
    let batch =
        message.header_as_record_batch().or_else(|| message.header_as_dictionary_batch().and_then(|d| d.data()));
    if let Some(batch) = batch {
        if batch.compression().is_some() {
            return Err(Status::invalid_argument("send the bound parameters uncompressed (no LZ4 or ZSTD bodies)"));
        }
        if usize::try_from(batch.length()).map_or(true, |rows| rows > MAX_PARAMETER_ROWS) {
            return Err(too_many_rows());
        }
    }
    Ok(())
}

/// Checks every message of an Arrow IPC stream with [`check_ipc_header`].
fn check_ipc_stream(ipc: &[u8]) -> Result<(), Status> {
    let damaged = || Status::invalid_argument("the handle's parameters are not a well-formed Arrow IPC stream");
    let read_i32 = |at: usize| -> Result<i32, Status> {
        let bytes = ipc.get(at..at + 4).ok_or_else(damaged)?;
        Ok(i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    };
    let mut at = 0usize;
    while at < ipc.len() {
        let mut length = read_i32(at)?;
        at += 4;
        if length == -1 {
            // The continuation marker, then the length.
            length = read_i32(at)?;
            at += 4;
        }
        if length == 0 {
            return Ok(());
        }
        let length = usize::try_from(length).map_err(|_| damaged())?;
        let header = ipc.get(at..at.checked_add(length).ok_or_else(damaged)?).ok_or_else(damaged)?;
        check_ipc_header(header)?;
        let body = root_as_message(header).map_err(|_| damaged())?.bodyLength();
        let body = usize::try_from(body).map_err(|_| damaged())?;
        at = at.checked_add(length).and_then(|a| a.checked_add(body)).ok_or_else(damaged)?;
        if at > ipc.len() {
            return Err(damaged());
        }
    }
    Ok(())
}

pub(crate) fn too_many_rows() -> Status {
    Status::resource_exhausted(format!("more than {MAX_PARAMETER_ROWS} parameter rows: bind fewer rows at a time"))
}

pub(crate) fn too_many_parameters() -> Status {
    Status::resource_exhausted(format!(
        "the bound parameters take more than {} MiB: bind fewer rows at a time",
        MAX_PARAMETER_BYTES / (1024 * 1024)
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use confluence_sql::datafusion::arrow::array::{Int64Array, StringArray};
    use confluence_sql::datafusion::arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn a_handle_round_trips_with_its_parameters() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("space", DataType::Utf8, true),
            Field::new("1", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(StringArray::from(vec!["ENG", "DOCS"])), Arc::new(Int64Array::from(vec![1, 2]))],
        )
        .unwrap();
        let handle = StatementHandle::new("SELECT 1").with_parameters(&[batch]).unwrap();
        let decoded = StatementHandle::decode(&handle.encode()).unwrap();
        assert_eq!(decoded, handle);
        let rows = decoded.parameter_rows().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(format!("{:?}", rows[0]), r#"ParameterRow { parameters: ["$1", "space"] }"#);
        assert!(StatementHandle::new("x").parameter_rows().unwrap().is_empty());
    }

    #[test]
    fn bytes_this_server_did_not_issue_are_refused() {
        for bytes in [&b""[..], b"SELECT 1", b"confluence-sql/1:{", b"confluence-sql/1:{\"sql\":1}"] {
            let error = StatementHandle::decode(bytes).unwrap_err();
            assert_eq!(error.code(), tonic::Code::InvalidArgument, "{bytes:?}");
        }
        let forged = StatementHandle { parameters: Some("!!".into()), ..StatementHandle::new("SELECT 1") };
        assert_eq!(forged.parameter_rows().unwrap_err().code(), tonic::Code::InvalidArgument);
    }

    /// An IPC stream whose one record batch claims `rows` rows and has no columns (nothing is allocated for
    /// them), optionally marked compressed.
    fn forged_stream(rows: i64, compressed: bool) -> Vec<u8> {
        use confluence_sql::datafusion::arrow::ipc::writer::{IpcWriteOptions, StreamWriter};
        use confluence_sql::datafusion::arrow::ipc::CompressionType;
        let schema = Arc::new(Schema::new(vec![Field::new("1", DataType::Int64, true)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1]))]).unwrap();
        let options =
            IpcWriteOptions::default().try_with_compression(compressed.then_some(CompressionType::LZ4_FRAME)).unwrap();
        let mut ipc = Vec::new();
        let mut writer = StreamWriter::try_new_with_options(&mut ipc, &schema, options).unwrap();
        writer.write(&batch).unwrap();
        writer.finish().unwrap();
        drop(writer);
        if rows != 1 {
            // Patch the record batch's length (an i64 of value 1 in its flatbuffer) to `rows`.
            let needle = 1i64.to_le_bytes();
            let schema_end = {
                let length = i32::from_le_bytes(ipc[4..8].try_into().unwrap()) as usize;
                8 + length
            };
            let at = schema_end + ipc[schema_end..].windows(8).position(|w| w == needle).unwrap();
            ipc[at..at + 8].copy_from_slice(&rows.to_le_bytes());
        }
        ipc
    }

    #[test]
    fn forged_parameter_streams_are_refused_before_decoding() {
        let handle = |ipc: Vec<u8>| StatementHandle {
            parameters: Some(base64::engine::general_purpose::STANDARD.encode(ipc)),
            ..StatementHandle::new("SELECT $1")
        };
        assert_eq!(handle(forged_stream(1, false)).parameter_rows().unwrap().len(), 1);
        let huge = handle(forged_stream(1 << 40, false)).parameter_rows().unwrap_err();
        assert_eq!(huge.code(), tonic::Code::ResourceExhausted, "{huge}");
        let compressed = handle(forged_stream(1, true)).parameter_rows().unwrap_err();
        assert!(compressed.message().contains("uncompressed"), "{compressed}");
        let cut = forged_stream(1, false);
        let truncated = handle(cut[..cut.len() / 2].to_vec()).parameter_rows().unwrap_err();
        assert_eq!(truncated.code(), tonic::Code::InvalidArgument);
    }

    #[test]
    fn tickets_of_one_statement_have_different_ids() {
        let handle = StatementHandle::new("SELECT 1");
        let (a, b) = (handle.ticket().unwrap(), handle.ticket().unwrap());
        assert_ne!(a.query_id, b.query_id);
        assert_eq!(a.sql, b.sql);
    }
}
