//! The DataFusion face of a table: `supports_filters_pushdown` asks the table's one classifier, and `scan`
//! plans the requests (no I/O) into a [`ConfluenceScanExec`].

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use crate::columns::{schema_of, Column};
use crate::scan::{ConfluenceScanExec, ScanContext};
use crate::table::{classify, plan_child_search, plan_cql_scan, plan_scan, reading_spec, split_by_space, TableSpec};

/// A Confluence table registered in a session.
#[derive(Debug)]
pub struct ConfluenceTable {
    spec: &'static TableSpec,
    schema: SchemaRef,
    context: Arc<ScanContext>,
    spaces: Vec<String>,
    page_size: Option<u32>,
    extra_params: Vec<(String, String)>,
    /// On Data Center, a table that only Cloud has.
    cloud_only: bool,
}

impl ConfluenceTable {
    /// The table `spec` of a connection; `spaces` is the `Spaces` restriction.
    pub fn new(
        spec: &'static TableSpec,
        context: Arc<ScanContext>,
        spaces: Vec<String>,
        page_size: Option<u32>,
    ) -> Self {
        // The schema is the table's; the requests and JSON paths are those of the connection's product.
        let schema = schema_of(spec.columns);
        let (spec, cloud_only) = match (context.client.dialect().is_cloud(), spec.data_center) {
            (false, Some(data_center)) => (data_center, false),
            (false, None) => (spec, true),
            (true, _) => (spec, false),
        };
        ConfluenceTable { spec, schema, context, spaces, page_size, extra_params: Vec::new(), cloud_only }
    }

    /// The same table with parameters added to every request (the `cql` table function's query).
    pub fn with_params(mut self, params: Vec<(String, String)>) -> Self {
        self.extra_params = params;
        self
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
        Ok(filters.iter().map(|f| classify(self.spec, f)).collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if self.cloud_only {
            let available: Vec<&str> = crate::tables::ALL
                .iter()
                .filter(|t| t.data_center.is_some())
                .map(|t| t.name)
                .chain(std::iter::once("cql()"))
                .collect();
            return Err(datafusion::error::DataFusionError::Plan(format!(
                "the {} table is not available on Confluence Data Center: {} ({} are)",
                self.spec.name,
                crate::tables::data_center_gap(self.spec.name),
                available.join(", ")
            )));
        }
        let columns: Vec<Column> = match projection {
            Some(indexes) => indexes.iter().filter_map(|i| self.spec.columns.get(*i).copied()).collect(),
            None => self.spec.columns.to_vec(),
        };
        let schema = schema_of(&columns);
        let projected: Vec<&Column> = columns.iter().collect();
        // A query that pins a page reads the per-page list (same columns), not the whole one.
        let spec = reading_spec(self.spec, filters);
        let plan = plan_cql_scan(spec, filters, &projected, limit, &self.spaces, self.page_size, &self.extra_params)
            .unwrap_or_else(|| {
                plan_scan(spec, filters, &projected, limit, &self.spaces, self.page_size, &self.extra_params)
            });
        // A full scan runs several cursor chains at once, each over a share of the spaces.
        let plan = match self.context.client.dialect().is_cloud() {
            true => split_by_space(spec, plan, filters, self.context.client.max_concurrency()),
            false => plan,
        };
        let plan = match plan.missing_parent {
            Some(_) => plan_child_search(spec, filters, &self.spaces, self.page_size).unwrap_or(plan),
            None => plan,
        };
        if let Some(column) = plan.missing_parent {
            let or_search = match spec.child_search {
                Some(search) => {
                    format!(", or WHERE {} = '<value>' (found through CQL {})", search.column, search.field)
                }
                None => String::new(),
            };
            return Err(datafusion::error::DataFusionError::Plan(format!(
                "the {table} table is read one {column} at a time: add WHERE {column} = <id> or {column} IN (<ids>) \
                 to the query (ids written in the query; a join or subquery does not pin them){or_search}",
                table = spec.name
            )));
        }
        Ok(Arc::new(ConfluenceScanExec::new(spec, columns, schema, plan, self.context.clone())))
    }
}
