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
use confluence_sql::datafusion::arrow::ipc::writer::StreamWriter;
use confluence_sql::ParameterRow;
use serde::{Deserialize, Serialize};
use tonic::Status;

/// What starts every handle this server issues (and its format version).
const MAGIC: &[u8] = b"confluence-sql/1:";

/// The largest parameter set a handle carries (Arrow IPC bytes); gRPC's own message limit is 4 MiB.
pub(crate) const MAX_PARAMETER_BYTES: usize = 2 * 1024 * 1024;

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
}

impl StatementHandle {
    /// A handle for `sql` with nothing bound.
    pub fn new(sql: impl Into<String>) -> StatementHandle {
        StatementHandle { sql: sql.into(), parameters: None, query_id: None, statement_id: None }
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
        let reader = StreamReader::try_new(ipc.as_slice(), None).map_err(|e| damaged(&e))?;
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| damaged(&e))?;
            rows.extend(ParameterRow::from_batch(&batch).map_err(|e| crate::error::status(&e))?);
        }
        Ok(rows)
    }
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

    #[test]
    fn tickets_of_one_statement_have_different_ids() {
        let handle = StatementHandle::new("SELECT 1");
        let (a, b) = (handle.ticket().unwrap(), handle.ticket().unwrap());
        assert_ne!(a.query_id, b.query_id);
        assert_eq!(a.sql, b.sql);
    }
}
