//! A connection: a validated connection string, one REST client, and a DataFusion session with the Confluence
//! tables registered in catalog `confluence`, schema `main` (with `information_schema`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use atlassian_oauth::{OAuthSession, TokenSet};
use confluence_rest::client::gateway_base;
use confluence_rest::{ConfluenceClient, Dialect, MetricsSnapshot, RetryPolicy};

use crate::client_setup::{client_config, static_credentials};
use connstr::{ConnectionOptions, Deployment, InitiateOAuth};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::TableReference;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};

use crate::cql_function::CqlFunction;
use crate::error::SqlError;
use crate::exec::ScanContext;
use crate::policy::{written_tables, SqlPolicy};
use crate::procedures::oauth::{OAuthContext, SPECS};
use crate::procedures::rewrite::rewrite;
use crate::provider::ConfluenceTable;
use crate::tables::ALL;

/// Stands in for a Cloud site id that OAuth has not discovered yet (never sent: `authorize` replaces it first).
const UNKNOWN_CLOUD_ID: &str = "00000000-0000-0000-0000-000000000000";

/// An open connection to a Confluence site.
pub struct Connection {
    options: ConnectionOptions,
    policy: SqlPolicy,
    context: Arc<ScanContext>,
    session: SessionContext,
    oauth: Option<Arc<OAuthSession>>,
    authorized: AtomicBool,
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

    /// Opens a connection and, for OAuth with `InitiateOAuth=GETANDREFRESH` or `REFRESH`, authorizes it now: stored
    /// tokens, a refresh, or the browser flow. Without it the authorization happens at the first query.
    pub async fn connect(connection_string: &str) -> Result<Connection, SqlError> {
        let connection = Connection::open(connection_string)?;
        connection.authorize_if_allowed().await?;
        Ok(connection)
    }

    /// A connection from validated options. OAuth connections get an [`OAuthSession`] (system browser).
    pub fn with_options(options: ConnectionOptions) -> Result<Connection, SqlError> {
        Connection::with_retry(options, RetryPolicy::default())
    }

    /// [`Connection::with_options`] with another retry policy (tests use short delays).
    pub fn with_retry(options: ConnectionOptions, retry: RetryPolicy) -> Result<Connection, SqlError> {
        if options.auth_scheme.is_oauth() {
            let session = Arc::new(OAuthSession::from_options(&options)?);
            return Connection::with_oauth(options, session, retry);
        }
        let (auth, dialect) = static_credentials(&options)?;
        let client = ConfluenceClient::new(&client_config(&options, retry), dialect, auth)?;
        Connection::with_client(options, client)
    }

    /// An OAuth connection with a given session (another browser, or a shared session) and retry policy.
    pub fn with_oauth(
        options: ConnectionOptions,
        session: Arc<OAuthSession>,
        retry: RetryPolicy,
    ) -> Result<Connection, SqlError> {
        let dialect = match options.deployment {
            Deployment::DataCenter => Dialect::DataCenter { base: options.url.clone() },
            Deployment::Cloud => {
                // The site's id is settled by `authorize` before any query; until then, the one known.
                let cloud_id = session.known_cloud_id().unwrap_or_else(|| UNKNOWN_CLOUD_ID.to_owned());
                Dialect::Cloud { api_base: gateway_base(&options.oauth.atlassian_api_url, &cloud_id)? }
            }
        };
        let client = ConfluenceClient::new(&client_config(&options, retry), dialect, session.clone())?;
        Connection::build(options, client, Some(session))
    }

    /// Authorizes an OAuth connection now (stored tokens, refresh, or the browser flow, as `InitiateOAuth`
    /// allows) and points it at the site the tokens reach. Other connections have nothing to do.
    pub async fn authorize(&self) -> Result<(), SqlError> {
        let Some(session) = &self.oauth else { return Ok(()) };
        let tokens = session.authorize().await?;
        self.adopt(&tokens)?;
        self.authorized.store(true, Ordering::Release);
        Ok(())
    }

    async fn authorize_if_allowed(&self) -> Result<(), SqlError> {
        match self.oauth.as_ref().map(|s| s.config().initiate) {
            Some(InitiateOAuth::GetAndRefresh | InitiateOAuth::Refresh) => self.authorize().await,
            _ => Ok(()),
        }
    }

    fn adopt(&self, tokens: &TokenSet) -> Result<(), SqlError> {
        OAuthContext::new(self.oauth.clone(), self.context.clone()).adopt(tokens)?;
        Ok(())
    }

    fn register_procedures(&self) -> Result<(), SqlError> {
        let context = OAuthContext::new(self.oauth.clone(), self.context.clone());
        crate::procedures::register(&self.session, &context.procedures())?;
        Ok(())
    }

    /// A connection using a given client (custom token source or retry policy).
    pub fn with_client(options: ConnectionOptions, client: ConfluenceClient) -> Result<Connection, SqlError> {
        Connection::build(options, client, None)
    }

    fn build(
        options: ConnectionOptions,
        client: ConfluenceClient,
        oauth: Option<Arc<OAuthSession>>,
    ) -> Result<Connection, SqlError> {
        let config = SessionConfig::new()
            .with_default_catalog_and_schema("confluence", "main")
            .with_information_schema(true)
            .with_target_partitions(options.max_concurrency.max(1));
        let policy = SqlPolicy { local_files: options.local_files, session_settings: options.allow_session_settings };
        let mut state = SessionStateBuilder::new().with_config(config).with_default_features();
        if !policy.allows_file_formats() {
            // Not only refused by the policy: without the file formats, no plan can read a local file at all.
            state = state.with_table_factories(HashMap::new());
        }
        let session = SessionContext::new_with_state(state.build());
        let context = Arc::new(ScanContext::new(client));
        let spaces: Vec<String> = options.spaces.iter().map(|s| s.to_string()).collect();
        for table in ALL {
            let provider = ConfluenceTable::new(*table, context.clone(), spaces.clone(), options.page_size);
            session.register_table(table.name(), Arc::new(provider))?;
        }
        session.register_udtf("cql", Arc::new(CqlFunction::new(context.clone(), spaces, options.page_size)));
        let connection = Connection { options, policy, context, session, oauth, authorized: AtomicBool::new(false) };
        connection.register_procedures()?;
        Ok(connection)
    }

    /// What SQL may do on this connection besides reading and writing Confluence.
    pub fn policy(&self) -> SqlPolicy {
        self.policy
    }

    /// The connection's settings.
    pub fn options(&self) -> &ConnectionOptions {
        &self.options
    }

    /// The DataFusion session (to register more tables, or use the DataFrame API).
    pub fn session(&self) -> &SessionContext {
        &self.session
    }

    /// The connection's REST client as its next scan will use it (cheap to clone; shares metrics and limits).
    pub fn client(&self) -> ConfluenceClient {
        self.context.client()
    }

    /// Requests, retries, 429s, bytes (from the HTTP client) and rows (from the scans) so far on this connection.
    pub fn metrics(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            rows: self.context.rows.load(std::sync::atomic::Ordering::Relaxed),
            ..self.context.client().metrics()
        }
    }

    /// The OAuth session, for OAuth connections.
    pub fn oauth(&self) -> Option<&Arc<OAuthSession>> {
        self.oauth.as_ref()
    }

    /// Plans a statement: `EXEC` and named procedure arguments are rewritten first, and an OAuth connection is
    /// authorized before its first statement that is not a procedure call.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame, SqlError> {
        let state = self.session.state();
        let mut statement = crate::parse::parse_statement(sql, &state)?;
        let calls_procedure = rewrite(&mut statement, SPECS)?;
        if self.oauth.is_some() && !calls_procedure && !self.authorized.load(Ordering::Acquire) {
            self.authorize().await?;
        }
        let plan = state.statement_to_plan(statement).await?;
        let mut confluence_tables = Vec::new();
        for table in written_tables(&plan) {
            if self.is_confluence_table(&table).await {
                confluence_tables.push(table);
            }
        }
        self.policy.verify(&plan, &|table| confluence_tables.contains(table))?;
        Ok(self.session.execute_logical_plan(plan).await?)
    }

    /// Whether `table` resolves to one of the driver's Confluence tables (a table of the user's own, in another
    /// schema or registered under the same name, is not).
    async fn is_confluence_table(&self, table: &TableReference) -> bool {
        let Ok(provider) = self.session.table_provider(table.clone()).await else { return false };
        let provider: &dyn std::any::Any = provider.as_ref();
        provider.downcast_ref::<ConfluenceTable>().is_some()
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
