//! The DataFusion face of a table: `supports_filters_pushdown` asks the table's one classifier, and `scan` plans
//! the requests (no I/O) into a [`ConfluenceScanExec`].

use std::sync::Arc;

use async_trait::async_trait;
use confluence_rest::cql::CqlQuery;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use crate::columns::{schema_of, Column};
use crate::exec::{ConfluenceScanExec, ScanContext};
use crate::plan::classify::classify;
use crate::plan::{plan, ScanInput, ScanOptions, ScanPlan};
use crate::spec::{Table, TableSpec};
use crate::write::exec::{WriteExec, WriteOperation};
use crate::write::target::Entity;
use crate::write::WriteSettings;

/// A Confluence table registered in a session.
#[derive(Debug)]
pub struct ConfluenceTable {
    table: Table,
    schema: SchemaRef,
    context: Arc<ScanContext>,
    spaces: Vec<String>,
    page_size: Option<u32>,
    user_cql: Option<CqlQuery>,
    writes: WriteSettings,
}

impl ConfluenceTable {
    /// The table of a connection; `spaces` is the `Spaces` restriction.
    pub fn new(table: Table, context: Arc<ScanContext>, spaces: Vec<String>, page_size: Option<u32>) -> Self {
        // The schema is the table's; the requests and JSON paths are those of the connection's product.
        let schema = schema_of(table.cloud.columns);
        ConfluenceTable { table, schema, context, spaces, page_size, user_cql: None, writes: WriteSettings::default() }
    }

    /// The same table with the connection's rules for writes.
    pub fn with_write_settings(mut self, writes: WriteSettings) -> Self {
        self.writes = writes;
        self
    }

    /// The connection's rules for writes.
    pub fn write_settings(&self) -> WriteSettings {
        self.writes
    }

    /// The table's name.
    pub fn name(&self) -> &'static str {
        self.table.name()
    }

    /// The connection's scan context (client, space directory).
    pub fn context(&self) -> &Arc<ScanContext> {
        &self.context
    }

    /// The `Spaces` restriction.
    pub fn spaces(&self) -> &[String] {
        &self.spaces
    }

    /// The same table searching with a user's CQL (the `cql` table function).
    pub fn with_cql(mut self, query: CqlQuery) -> Self {
        self.user_cql = Some(query);
        self
    }

    /// The declaration for the connection's deployment, or why the table is not there.
    fn spec(&self) -> Result<&'static TableSpec> {
        if self.context.client().dialect().is_cloud() {
            return match self.table.cloud.not_on_cloud {
                None => Ok(self.table.cloud),
                Some(gap) => Err(DataFusionError::Plan(format!(
                    "the {} table is not available on Confluence Cloud: {gap}",
                    self.table.name()
                ))),
            };
        }
        self.table.data_center.map_err(|gap| {
            let available: Vec<&str> = crate::tables::ALL
                .iter()
                .filter(|t| t.data_center.is_ok())
                .map(|t| t.name())
                .chain(std::iter::once("cql()"))
                .collect();
            DataFusionError::Plan(format!(
                "the {} table is not available on Confluence Data Center: {gap} ({} are)",
                self.table.name(),
                available.join(", ")
            ))
        })
    }
}

#[async_trait]
impl TableProvider for ConfluenceTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        let Ok(spec) = self.spec() else {
            return Ok(vec![TableProviderFilterPushDown::Unsupported; filters.len()]);
        };
        Ok(filters.iter().map(|f| classify(spec, f)).collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let spec = self.spec()?;
        // The columns as the reading decodes them (a blog post's labels: the parent is `blog_post_id`); the same
        // names and types in every reading of a table.
        let reading = crate::plan::classify::reading_spec(spec, filters);
        let (columns, schema): (Vec<Column>, SchemaRef) = match projection {
            Some(indexes) => (
                indexes.iter().filter_map(|i| reading.columns.get(*i).copied()).collect(),
                Arc::new(self.schema.project(indexes)?),
            ),
            None => (reading.columns.to_vec(), self.schema.clone()),
        };
        let client = self.context.client();
        let options = ScanOptions {
            dialect: client.dialect(),
            spaces: &self.spaces,
            page_size: self.page_size,
            max_concurrency: client.max_concurrency(),
            user_cql: self.user_cql.as_ref(),
        };
        let plan = plan(ScanInput { spec, columns: &columns, filters, limit }, &options)?;
        if let ScanPlan::NeedsParent { column, hint } = &plan {
            tracing::debug!(table = spec.name, column, "the filters do not pin the parent");
            return Err(DataFusionError::Plan(hint.clone()));
        }
        let replan = crate::plan::sorted::Replan {
            spec,
            columns: columns.clone(),
            filters: filters.to_vec(),
            spaces: self.spaces.clone(),
            page_size: self.page_size,
            max_concurrency: client.max_concurrency(),
            user_cql: self.user_cql.clone(),
        };
        let scan = ConfluenceScanExec::new(plan, columns, schema, client.clone(), self.context.clone());
        Ok(Arc::new(scan.with_replan(replan)))
    }

    /// `INSERT INTO` (and `INSERT ... SELECT`): each row the input produces is created, in order.
    async fn insert_into(
        &self,
        _state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let name = self.name();
        if self.writes.read_only {
            return Err(crate::write::node::read_only("INSERT INTO", name));
        }
        let entity = Entity::of_table(name).ok_or_else(|| crate::write::node::not_writable("INSERT INTO", name))?;
        if insert_op != InsertOp::Append {
            return Err(DataFusionError::Plan(format!(
                "INSERT {insert_op} is not supported on {name}: Confluence's tables take plain INSERT INTO"
            )));
        }
        self.spec()?;
        Ok(Arc::new(WriteExec::new(self, entity, WriteOperation::Insert, input)))
    }

    /// Reached only in a session without the driver's write support: DataFusion would hand over only the filters
    /// it finds on the scan, which can select more rows than the `WHERE` does, so nothing is deleted this way.
    async fn delete_from(&self, _state: &dyn Session, _filters: Vec<Expr>) -> Result<Arc<dyn ExecutionPlan>> {
        Err(no_write_support("DELETE"))
    }

    /// See [`ConfluenceTable::delete_from`].
    async fn update(
        &self,
        _state: &dyn Session,
        _assignments: Vec<(String, Expr)>,
        _filters: Vec<Expr>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Err(no_write_support("UPDATE"))
    }
}

fn no_write_support(verb: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "{verb} on a Confluence table needs the driver's write support in the session: run it through \
         confluence_sql::Connection, or build your SessionState with confluence_sql::with_write_support"
    ))
}
