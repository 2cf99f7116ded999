//! Confluence as a DataFusion catalog: [`ConfluenceCatalog`] (schema `main` holding the tables and the
//! `sys_procedures` tables) and [`register`], which mounts it, with the `cql` and procedure table functions, in a
//! `SessionContext` the caller built, next to their own tables.

use std::sync::Arc;

use datafusion::catalog::{
    CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider, TableProvider,
};
use datafusion::error::Result;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::SessionContext;

use crate::connection::Connection;
use crate::error::SqlError;

/// The name of the catalog's one schema.
pub const SCHEMA: &str = "main";

/// The tables of one connection, as a DataFusion catalog whose schema `main` holds them. Each catalog is the
/// session's own: views, tables and schemas created in it (`CREATE VIEW`, `CREATE SCHEMA`), or a Confluence table
/// dropped from it, change that session only.
#[derive(Debug)]
pub struct ConfluenceCatalog {
    inner: MemoryCatalogProvider,
}

impl ConfluenceCatalog {
    /// The Confluence `tables` (shared: they hold no data) and new `sys_procedures` tables (in memory, so each
    /// catalog has its own: a change in one session cannot reach another).
    pub(crate) fn new(tables: &[(&'static str, Arc<dyn TableProvider>)]) -> Result<ConfluenceCatalog> {
        let schema = MemorySchemaProvider::new();
        let sys_tables = crate::procedures::sys_tables(crate::procedures::SPECS)?;
        let cdata = crate::cdata_sys::sys_tables(crate::tables::ALL, crate::procedures::SPECS)?;
        for (name, table) in tables.iter().cloned().chain(sys_tables).chain(cdata) {
            schema.register_table(name.to_owned(), table)?;
        }
        let inner = MemoryCatalogProvider::new();
        inner.register_schema(SCHEMA, Arc::new(schema))?;
        Ok(ConfluenceCatalog { inner })
    }
}

impl CatalogProvider for ConfluenceCatalog {
    fn schema_names(&self) -> Vec<String> {
        self.inner.schema_names()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        self.inner.schema(name)
    }

    fn register_schema(&self, name: &str, schema: Arc<dyn SchemaProvider>) -> Result<Option<Arc<dyn SchemaProvider>>> {
        self.inner.register_schema(name, schema)
    }

    fn deregister_schema(&self, name: &str, cascade: bool) -> Result<Option<Arc<dyn SchemaProvider>>> {
        self.inner.deregister_schema(name, cascade)
    }
}

/// Mounts `connection`'s tables in `ctx` as catalog `name` (so `name.main.pages` resolves), and its table
/// functions (`cql`, the OAuth procedures) under their own names. The SQL run in `ctx` is the caller's: the
/// connection's [`crate::SqlPolicy`] does not apply there.
///
/// An OAuth connection should be opened with [`Connection::open`] (which authorizes it when `InitiateOAuth`
/// allows) or authorized through the procedures before its tables are read.
///
/// ```no_run
/// # async fn demo() -> Result<(), confluence_sql::SqlError> {
/// use datafusion::prelude::SessionContext;
/// let connection = confluence_sql::Connection::open("Url=https://acme.atlassian.net;User=me@acme.com;APIToken=...").await?;
/// let ctx = SessionContext::new();
/// confluence_sql::register(&ctx, "confluence", &connection)?;
/// let frame = ctx.sql("SELECT title FROM confluence.main.pages WHERE space_key = 'ENG'").await?;
/// # Ok(()) }
/// ```
pub fn register(ctx: &SessionContext, name: &str, connection: &Connection) -> Result<(), SqlError> {
    register_catalog(ctx, name, connection)
}

/// A session that plans reads of the driver's tables as the driver's own sessions do: a top-n sort over a scan
/// (`ORDER BY updated_at DESC LIMIT 20`) becomes one request sorted by the server, and an inner join's keys are
/// said to be non-NULL to the scans (`labels JOIN pages ON page_id` then reads no blog post's labels). The answers
/// are the same without it, in more requests. Keeps the builder's own configuration otherwise.
///
/// ```no_run
/// use confluence_sql::datafusion::execution::SessionStateBuilder;
/// use confluence_sql::datafusion::prelude::SessionContext;
/// let state = confluence_sql::with_read_planning(SessionStateBuilder::new().with_default_features()).build();
/// let ctx = SessionContext::new_with_state(state);
/// ```
pub fn with_read_planning(mut builder: SessionStateBuilder) -> SessionStateBuilder {
    let config = builder.config().take().unwrap_or_default();
    builder
        .with_config(config.set_bool("datafusion.optimizer.filter_null_join_keys", true))
        .with_physical_optimizer_rule(Arc::new(crate::exec::sorted_scan::SortedScan))
}

fn register_catalog(ctx: &SessionContext, name: &str, connection: &Connection) -> Result<(), SqlError> {
    if ctx.catalog(name).is_some() {
        return Err(SqlError::Usage(format!(
            "the session already has a catalog named '{name}'; mount Confluence under another name"
        )));
    }
    ctx.register_catalog(name, connection.catalog()?);
    connection.register_functions(ctx);
    Ok(())
}
