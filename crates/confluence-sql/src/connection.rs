//! A connection: a validated connection string, one REST client, and a DataFusion session with the Confluence
//! tables registered in catalog `confluence`, schema `main` (with `information_schema`).

use std::sync::Arc;

use confluence_rest::{ConfluenceClient, MetricsSnapshot};
use connstr::ConnectionOptions;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};

use crate::cql_function::CqlFunction;
use crate::directory::SpaceDirectory;
use crate::error::SqlError;
use crate::provider::ConfluenceTable;
use crate::scan::ScanContext;
use crate::tables::ALL;

/// An open connection to a Confluence site.
pub struct Connection {
    options: ConnectionOptions,
    client: ConfluenceClient,
    session: SessionContext,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("options", &self.options.to_string()).finish()
    }
}

impl Connection {
    /// Parses and validates `connection_string` and prepares the session. No request is made until a query runs.
    pub fn open(connection_string: &str) -> Result<Connection, SqlError> {
        Connection::with_options(ConnectionOptions::parse(connection_string)?)
    }

    /// A connection from validated options.
    pub fn with_options(options: ConnectionOptions) -> Result<Connection, SqlError> {
        let client = ConfluenceClient::connect(&options)?;
        Connection::with_client(options, client)
    }

    /// A connection using a given client (custom token source or retry policy).
    pub fn with_client(options: ConnectionOptions, client: ConfluenceClient) -> Result<Connection, SqlError> {
        let config = SessionConfig::new()
            .with_default_catalog_and_schema("confluence", "main")
            .with_information_schema(true)
            .with_target_partitions(options.max_concurrency.max(1));
        let session = SessionContext::new_with_config(config);
        let context = Arc::new(ScanContext { client: client.clone(), directory: SpaceDirectory::new(client.clone()) });
        let spaces: Vec<String> = options.spaces.iter().map(|s| s.to_string()).collect();
        for spec in ALL {
            let table = ConfluenceTable::new(spec, context.clone(), spaces.clone(), options.page_size);
            session.register_table(spec.name, Arc::new(table))?;
        }
        session.register_udtf("cql", Arc::new(CqlFunction::new(context.clone(), spaces, options.page_size)));
        Ok(Connection { options, client, session })
    }

    /// The connection's settings.
    pub fn options(&self) -> &ConnectionOptions {
        &self.options
    }

    /// The DataFusion session (to register more tables, or use the DataFrame API).
    pub fn session(&self) -> &SessionContext {
        &self.session
    }

    /// The connection's REST client (cheap to clone; shares metrics and limits).
    pub fn client(&self) -> &ConfluenceClient {
        &self.client
    }

    /// Requests, retries, 429s, bytes and rows so far on this connection.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.client.metrics()
    }

    /// Plans a statement.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame, SqlError> {
        Ok(self.session.sql(sql).await?)
    }

    /// Runs a statement and collects its result.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, SqlError> {
        let frame = self.sql(sql).await?;
        let frame = match self.options.max_rows {
            Some(max) => frame.limit(0, Some(max as usize))?,
            None => frame,
        };
        Ok(frame.collect().await?)
    }

    /// Runs a statement and streams its result.
    pub async fn query_stream(&self, sql: &str) -> Result<SendableRecordBatchStream, SqlError> {
        let frame = self.sql(sql).await?;
        let frame = match self.options.max_rows {
            Some(max) => frame.limit(0, Some(max as usize))?,
            None => frame,
        };
        Ok(frame.execute_stream().await?)
    }
}
