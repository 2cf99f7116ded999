//! A connection: a validated connection string, one REST client, and a DataFusion session with the Confluence
//! tables mounted as catalog `confluence`, schema `main` (with `information_schema`). Cheap to clone: clones share
//! the client, its rate limits and metrics, and the OAuth tokens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use atlassian_oauth::{OAuthSession, TokenSet};
use confluence_rest::client::gateway_base;
use confluence_rest::{ConfluenceClient, Dialect, MetricsSnapshot, RetryPolicy};

use crate::client_setup::{client_config, static_credentials};
use connstr::{ConnectionOptions, Deployment, InitiateOAuth};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};

use crate::catalog::ConfluenceCatalog;
use crate::command::Command;
use crate::cql_function::CqlFunction;
use crate::error::{describe, SqlError};
use crate::exec::ScanContext;
use crate::parameters::{number_question_marks, rewrite_parameters, Bindings, ParameterRefs};
use crate::policy::{written_tables, SqlPolicy};
use crate::procedures::oauth::OAuthContext;
use crate::procedures::rewrite::rewrite;
use crate::procedures::SPECS;
use crate::provider::ConfluenceTable;
use crate::tables::ALL;
use crate::write::WriteSettings;

/// Stands in for a Cloud site id that OAuth has not discovered yet (never sent: `authorize` replaces it first).
const UNKNOWN_CLOUD_ID: &str = "00000000-0000-0000-0000-000000000000";

/// Whether a connection can run commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// Open: commands run.
    Open,
    /// Closed with [`Connection::close`]: commands fail with [`SqlError::Closed`].
    Closed,
}

/// Builds a [`Connection`] from a connection string or options, with the settings a connection string cannot
/// hold (a retry policy, a shared OAuth session, a client of one's own).
#[derive(Default)]
#[must_use]
pub struct ConnectionBuilder {
    options: Option<Result<ConnectionOptions, SqlError>>,
    retry: Option<RetryPolicy>,
    oauth: Option<Arc<OAuthSession>>,
    client: Option<ConfluenceClient>,
}

impl std::fmt::Debug for ConnectionBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let options = match &self.options {
            Some(Ok(options)) => options.to_string(),
            Some(Err(_)) => "(invalid)".to_owned(),
            None => "(none)".to_owned(),
        };
        f.debug_struct("ConnectionBuilder").field("options", &options).finish_non_exhaustive()
    }
}

impl ConnectionBuilder {
    /// The connection string (ADO.NET grammar, `connstr-spec.md`); an invalid one fails at `build`/`open`.
    pub fn connection_string(mut self, connection_string: &str) -> Self {
        self.options = Some(ConnectionOptions::parse(connection_string).map_err(SqlError::from));
        self
    }

    /// Options already parsed and validated.
    pub fn options(mut self, options: ConnectionOptions) -> Self {
        self.options = Some(Ok(options));
        self
    }

    /// How 429s and 5xx are retried (default: [`RetryPolicy::default`]; tests use short delays).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// An OAuth session of one's own (another browser, or one shared by several connections).
    pub fn oauth_session(mut self, session: Arc<OAuthSession>) -> Self {
        self.oauth = Some(session);
        self
    }

    /// A REST client of one's own (a custom token source); the connection string's credentials are not used.
    pub fn client(mut self, client: ConfluenceClient) -> Self {
        self.client = Some(client);
        self
    }

    /// The connection, authorized the first time a statement needs it. No request is made here.
    pub fn build(self) -> Result<Connection, SqlError> {
        let options = self.options.unwrap_or_else(|| {
            Err(SqlError::Usage("ConnectionBuilder: give a connection_string or options".to_owned()))
        })?;
        let retry = self.retry.unwrap_or_default();
        if let Some(client) = self.client {
            return Connection::build(options, client, None);
        }
        if options.auth_scheme.is_oauth() {
            let session = match self.oauth {
                Some(session) => session,
                None => Arc::new(OAuthSession::from_options(&options)?),
            };
            return Connection::with_oauth(options, session, retry);
        }
        let (auth, dialect) = static_credentials(&options)?;
        let client = ConfluenceClient::new(&client_config(&options, retry), dialect, auth)?;
        Connection::build(options, client, None)
    }

    /// The connection, and for OAuth with `InitiateOAuth=GETANDREFRESH` or `REFRESH` its authorization now
    /// (stored tokens, a refresh, or the browser flow).
    pub async fn open(self) -> Result<Connection, SqlError> {
        let connection = self.build()?;
        connection.authorize_if_allowed().await?;
        Ok(connection)
    }
}

/// A statement planned by [`Connection::plan`].
pub(crate) struct Planned {
    /// The logical plan, its placeholders left in.
    pub plan: LogicalPlan,
    /// Where the statement's parameters are.
    pub refs: ParameterRefs,
    /// Whether running it writes to Confluence: `INSERT`, `UPDATE`, `DELETE` (under `EXPLAIN` too), or a procedure
    /// that writes.
    pub writes: bool,
}

/// The account a connection's credentials belong to ([`Connection::current_user`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    /// The Cloud account id, or the Data Center user key (user name when there is no key).
    pub account: String,
    /// The name Confluence shows.
    pub display_name: Option<String>,
}

/// An open connection to a Confluence site. Cheap to clone (clones share everything), `Send + Sync`, usable from
/// many tasks at once.
///
/// ```no_run
/// # async fn demo() -> Result<(), confluence_sql::SqlError> {
/// use confluence_sql::Connection;
/// let connection = Connection::open("Url=https://acme.atlassian.net;User=me@acme.com;APIToken=...").await?;
/// let mut reader = connection
///     .command("SELECT title, version FROM pages WHERE space_key = @space")
///     .bind("space", "ENG")
///     .execute_reader()
///     .await?;
/// while reader.read().await? {
///     let title: String = reader.get("title")?;
///     let version: Option<i64> = reader.get(1)?;
///     println!("{title} (v{version:?})");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

struct Inner {
    options: ConnectionOptions,
    policy: SqlPolicy,
    context: Arc<ScanContext>,
    session: SessionContext,
    tables: Vec<(&'static str, Arc<dyn TableProvider>)>,
    oauth: Option<Arc<OAuthSession>>,
    authorized: AtomicBool,
    closed: AtomicBool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("options", &self.inner.options.to_string()).finish()
    }
}

impl Connection {
    /// Opens a connection: parses and validates `connection_string`, and for OAuth with
    /// `InitiateOAuth=GETANDREFRESH` or `REFRESH` authorizes it (stored tokens, a refresh, or the browser flow).
    /// Other connections make no request until a command runs.
    pub async fn open(connection_string: &str) -> Result<Connection, SqlError> {
        Connection::builder().connection_string(connection_string).open().await
    }

    /// A builder for the settings a connection string cannot hold.
    pub fn builder() -> ConnectionBuilder {
        ConnectionBuilder::default()
    }

    fn with_oauth(
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
        if crate::client_setup::needs_tenant_info(&self.inner.options) {
            return self.route_through_gateway().await;
        }
        let Some(session) = &self.inner.oauth else { return Ok(()) };
        let tokens = session.authorize().await?;
        self.adopt(&tokens)?;
        self.inner.authorized.store(true, Ordering::Release);
        Ok(())
    }

    /// `UseGateway=true` without `CloudId`: reads the site's id from its `/_edge/tenant_info` (one request, once)
    /// and sends every later request through `{AtlassianApiUrl}/ex/confluence/{id}`.
    async fn route_through_gateway(&self) -> Result<(), SqlError> {
        if self.inner.authorized.load(Ordering::Acquire) {
            return Ok(());
        }
        let client = self.client();
        let mut url = client.dialect().base().clone();
        url.set_path("/_edge/tenant_info");
        let body: serde_json::Value = client.get(url, None).await?.json()?;
        let cloud_id = body.get("cloudId").and_then(serde_json::Value::as_str).unwrap_or_default();
        let cloud_id = connstr::CloudId::parse(cloud_id).map_err(|reason| {
            SqlError::Rest(confluence_rest::RestError::Config(format!(
                "the site's /_edge/tenant_info gave no usable cloudId ({reason}); set CloudId in the connection string"
            )))
        })?;
        let api_base =
            confluence_rest::client::gateway_base(&self.inner.options.oauth.atlassian_api_url, cloud_id.as_str())?;
        tracing::debug!("API token requests go through the gateway");
        self.inner.context.route_to(Dialect::Cloud { api_base });
        self.inner.authorized.store(true, Ordering::Release);
        Ok(())
    }

    async fn authorize_if_allowed(&self) -> Result<(), SqlError> {
        match self.inner.oauth.as_ref().map(|s| s.config().initiate) {
            Some(InitiateOAuth::GetAndRefresh | InitiateOAuth::Refresh) => self.authorize().await,
            _ => Ok(()),
        }
    }

    fn adopt(&self, tokens: &TokenSet) -> Result<(), SqlError> {
        self.oauth_context().adopt(tokens)?;
        Ok(())
    }

    fn oauth_context(&self) -> OAuthContext {
        OAuthContext::new(self.inner.oauth.clone(), self.inner.context.clone())
    }

    /// Registers the connection's functions in `session`: the table functions (`cql` and the procedures) and
    /// `confluence_text` / `confluence_markdown`.
    pub(crate) fn register_functions(&self, session: &SessionContext) {
        let inner = &self.inner;
        let spaces: Vec<String> = inner.options.spaces.iter().map(|s| s.to_string()).collect();
        session.register_udtf(
            "cql",
            Arc::new(CqlFunction::new(inner.context.clone(), spaces.clone(), inner.options.page_size)),
        );
        let mut procedures = self.oauth_context().procedures();
        procedures.extend(
            crate::procedures::attachments::AttachmentContext::new(
                inner.context.clone(),
                inner.policy,
                WriteSettings::from_options(&inner.options),
                spaces.clone(),
            )
            .procedures(),
        );
        crate::procedures::register_functions(session, &procedures);
        session.register_udf(crate::storage_format::StorageFormatFunction::text());
        session.register_udf(crate::storage_format::StorageFormatFunction::markdown());
    }

    /// The connection's tables as a new DataFusion catalog (see [`crate::register`]).
    pub fn catalog(&self) -> Result<Arc<ConfluenceCatalog>, SqlError> {
        Ok(Arc::new(ConfluenceCatalog::new(&self.inner.tables)?))
    }

    fn build(
        options: ConnectionOptions,
        client: ConfluenceClient,
        oauth: Option<Arc<OAuthSession>>,
    ) -> Result<Connection, SqlError> {
        let config = SessionConfig::new()
            .with_default_catalog_and_schema("confluence", crate::catalog::SCHEMA)
            .with_information_schema(true)
            .with_target_partitions(options.max_concurrency.max(1));
        let policy = SqlPolicy { local_files: options.local_files, session_settings: options.allow_session_settings };
        let mut state = crate::catalog::with_read_planning(crate::write::with_write_support(
            SessionStateBuilder::new().with_config(config).with_default_features(),
        ));
        if !policy.allows_file_formats() {
            // Not only refused by the policy: without the file formats, no plan can read a local file at all.
            state = state.with_table_factories(HashMap::new());
        }
        let session = SessionContext::new_with_state(state.build());
        let context = Arc::new(ScanContext::new(client));
        let spaces: Vec<String> = options.spaces.iter().map(|s| s.to_string()).collect();
        let mut tables: Vec<(&'static str, Arc<dyn TableProvider>)> = Vec::new();
        for table in ALL {
            let provider = ConfluenceTable::new(*table, context.clone(), spaces.clone(), options.page_size)
                .with_write_settings(WriteSettings::from_options(&options));
            tables.push((table.name(), Arc::new(provider)));
        }
        session.register_catalog("confluence", Arc::new(ConfluenceCatalog::new(&tables)?));
        let inner = Inner {
            options,
            policy,
            context,
            session,
            tables,
            oauth,
            authorized: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        };
        let connection = Connection { inner: Arc::new(inner) };
        connection.register_functions(&connection.inner.session);
        Ok(connection)
    }

    /// A command running `sql` on this connection; set parameters, a timeout or a row limit on it, then execute.
    pub fn command(&self, sql: impl Into<String>) -> Command {
        Command::new(self.clone(), sql.into())
    }

    /// Closes the connection: commands started afterwards fail with [`SqlError::Closed`] (on every clone).
    /// Results already streaming finish.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
    }

    /// Whether the connection is open.
    pub fn state(&self) -> ConnectionState {
        if self.inner.closed.load(Ordering::Acquire) {
            ConnectionState::Closed
        } else {
            ConnectionState::Open
        }
    }

    pub(crate) fn ensure_open(&self) -> Result<(), SqlError> {
        match self.state() {
            ConnectionState::Open => Ok(()),
            ConnectionState::Closed => Err(SqlError::Closed),
        }
    }

    /// What SQL may do on this connection besides reading and writing Confluence.
    pub fn policy(&self) -> SqlPolicy {
        self.inner.policy
    }

    /// The connection's settings.
    pub fn options(&self) -> &ConnectionOptions {
        &self.inner.options
    }

    /// The DataFusion session (to register more tables, or use the DataFrame API). SQL run on it directly is not
    /// checked against the connection's [`SqlPolicy`]: use [`Connection::command`] for SQL from others.
    pub fn session(&self) -> &SessionContext {
        &self.inner.session
    }

    /// The connection's REST client as its next scan will use it (cheap to clone; shares metrics and limits).
    pub fn client(&self) -> ConfluenceClient {
        self.inner.context.client()
    }

    /// Requests, retries, 429s, bytes (from the HTTP client) and rows (from the scans) so far on this connection.
    pub fn metrics(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            rows: self.inner.context.rows.load(Ordering::Relaxed),
            ..self.inner.context.client().metrics()
        }
    }

    /// Who Confluence says the connection's credentials belong to: one request to the current-user endpoint
    /// (after an OAuth connection's authorization). A way to check credentials before running anything; an
    /// anonymous answer (Cloud answers so without credentials) is an [`crate::ErrorKind::Auth`] error.
    pub async fn current_user(&self) -> Result<CurrentUser, SqlError> {
        self.ensure_open()?;
        self.authorize().await?;
        let client = self.client();
        let url = client.dialect().v1("user/current")?;
        let body: serde_json::Value = client.get(url, None).await?.json()?;
        let text = |key: &str| body.get(key).and_then(serde_json::Value::as_str).map(str::to_owned);
        let anonymous = text("type").as_deref() == Some("anonymous");
        let account = text("accountId").or_else(|| text("userKey")).or_else(|| text("username"));
        match account {
            Some(account) if !anonymous && !account.is_empty() => {
                Ok(CurrentUser { account, display_name: text("displayName") })
            }
            _ => Err(SqlError::Rest(confluence_rest::RestError::Authentication(
                "Confluence answered as an anonymous user: the credentials were not accepted; check the user name \
                 and token"
                    .to_owned(),
            ))),
        }
    }

    /// The OAuth session, for OAuth connections.
    pub fn oauth(&self) -> Option<&Arc<OAuthSession>> {
        self.inner.oauth.as_ref()
    }

    /// Plans one statement: parsed with a step budget, `EXEC` and named procedure arguments rewritten, parameters
    /// turned into placeholders (table-function arguments take their value from `bindings`), an OAuth connection
    /// authorized before its first statement that is not a procedure call, and the plan checked against the
    /// connection's policy. Placeholders are left in the plan.
    pub(crate) async fn plan(&self, sql: &str, bindings: Option<&Bindings>) -> Result<Planned, SqlError> {
        self.ensure_open()?;
        let state = self.inner.session.state();
        let mut statement = crate::parse::parse_statement(sql, &state)?;
        number_question_marks(&mut statement)?;
        let calls = rewrite(&mut statement, SPECS)?;
        let refs = rewrite_parameters(&mut statement, bindings)?;
        // The OAuth procedures run before authorization (they are how it is obtained); anything else after it.
        let before_authorization = calls.iter().any(|spec| spec.before_authorization);
        let needs_authorization = (self.inner.oauth.is_some() && !before_authorization)
            || crate::client_setup::needs_tenant_info(&self.inner.options);
        if needs_authorization && !self.inner.authorized.load(Ordering::Acquire) {
            self.authorize().await?;
        }
        let plan = state.statement_to_plan(statement).await?;
        let mut confluence_tables = Vec::new();
        for table in written_tables(&plan) {
            if self.is_confluence_table(&table).await {
                confluence_tables.push(table);
            }
        }
        self.inner
            .policy
            .verify(&plan, &|table| confluence_tables.contains(table))
            .map_err(|e| SqlError::NotAllowed(describe(&e)))?;
        let writes = !written_tables(&plan).is_empty() || calls.iter().any(|spec| spec.writes);
        Ok(Planned { plan, refs, writes })
    }

    /// Whether `table` resolves to one of the driver's Confluence tables (a table of the user's own, in another
    /// schema or registered under the same name, is not).
    async fn is_confluence_table(&self, table: &TableReference) -> bool {
        let Ok(provider) = self.inner.session.table_provider(table.clone()).await else { return false };
        let provider: &dyn std::any::Any = provider.as_ref();
        provider.downcast_ref::<ConfluenceTable>().is_some()
    }

    /// The metadata collection `collection` (`"Tables"`, `"Columns"`, `"Procedures"`, `"ProcedureParameters"`,
    /// `"DataTypes"`, `"Restrictions"`, `"MetaDataCollections"`; any case), like ADO.NET's `GetSchema`, with the
    /// column names ADO.NET uses (`TABLE_CATALOG`, `TABLE_SCHEMA`, `TABLE_NAME`, ...). No request is made.
    pub async fn get_schema(&self, collection: &str) -> Result<Vec<RecordBatch>, SqlError> {
        self.get_schema_restricted(collection, &[]).await
    }

    /// [`Connection::get_schema`] with restriction values, in the collection's order (the `Restrictions`
    /// collection lists them): `&[None, None, Some("pages")]` is the `Columns` of table `pages`.
    pub async fn get_schema_restricted(
        &self,
        collection: &str,
        restrictions: &[Option<&str>],
    ) -> Result<Vec<RecordBatch>, SqlError> {
        self.ensure_open()?;
        let sources =
            crate::metadata::Sources { tables: ALL, procedures: SPECS, cloud: self.client().dialect().is_cloud() };
        Ok(vec![crate::metadata::collection(sources, collection, restrictions)?])
    }

    /// The columns of the table or view `table` in `schema` of `catalog` (absent parts are the session's defaults,
    /// `confluence` and `main`); names are taken as written, without SQL parsing or case folding.
    pub async fn table_schema(
        &self,
        catalog: Option<&str>,
        schema: Option<&str>,
        table: &str,
    ) -> Result<SchemaRef, SqlError> {
        self.ensure_open()?;
        let reference = match (catalog, schema) {
            (Some(catalog), Some(schema)) => TableReference::full(catalog, schema, table),
            (None, Some(schema)) => TableReference::partial(schema, table),
            (Some(catalog), None) => TableReference::full(catalog, crate::catalog::SCHEMA, table),
            (None, None) => TableReference::bare(table),
        };
        match self.inner.session.table_provider(reference.clone()).await {
            Ok(provider) => Ok(provider.schema()),
            Err(_) => Err(SqlError::NoSuchTable(reference.to_quoted_string())),
        }
    }

    /// Plans a statement without parameters as a DataFrame.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame, SqlError> {
        let Planned { plan, refs, .. } = self.plan(sql, None).await?;
        Bindings::default().param_values(&refs)?;
        Ok(self.inner.session.execute_logical_plan(plan).await?)
    }

    /// Runs a statement without parameters and collects its result (`MaxRows` applies).
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, SqlError> {
        self.command(sql).execute_stream().await?.collect().await
    }

    /// Runs a statement without parameters and streams its result (`MaxRows` applies).
    pub async fn query_stream(&self, sql: &str) -> Result<SendableRecordBatchStream, SqlError> {
        let frame = self.sql(sql).await?;
        let frame = match self.inner.options.max_rows {
            Some(max) => frame.limit(0, Some(max as usize))?,
            None => frame,
        };
        Ok(frame.execute_stream().await?)
    }
}
