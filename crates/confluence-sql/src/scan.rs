//! The execution plan of a table scan. `scan` (in [`crate::provider`]) only plans; each partition's
//! `execute` streams: it resolves space keys if it must, then reads the list page by page (the next page is
//! requested while the current one is decoded), decodes each page's JSON into an Arrow batch of the projected
//! columns, and stops at the limit. Requests, retries, 429s, bytes and rows are reported per partition to
//! `EXPLAIN ANALYZE`.

use std::fmt;
use std::sync::Arc;

use confluence_rest::{
    pages, ConfluenceClient, Dialect, PageRequest, Pagination, RequestMetrics, RestError, Shape, PARALLEL_PAGES,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType, ReplaceChildrenOptions};
use datafusion::physical_plan::metrics::{ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use crate::columns::{decode, lookup, shape_of, Column, DecodeContext, Source};
use crate::directory::SpaceDirectory;
use crate::table::{Endpoint, PartitionPlan, ScanPlan, TableSpec, SPACES_PER_REQUEST};

/// What every scan of a connection shares.
#[derive(Debug)]
pub struct ScanContext {
    /// The REST client.
    pub client: ConfluenceClient,
    /// Space ids and keys.
    pub directory: SpaceDirectory,
}

/// Scans one table with planned requests.
#[derive(Debug)]
pub struct ConfluenceScanExec {
    spec: &'static TableSpec,
    columns: Vec<Column>,
    schema: SchemaRef,
    plan: ScanPlan,
    context: Arc<ScanContext>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl ConfluenceScanExec {
    /// A scan of `spec` returning `columns` (the projection) with `schema`.
    pub fn new(
        spec: &'static TableSpec,
        columns: Vec<Column>,
        schema: SchemaRef,
        plan: ScanPlan,
        context: Arc<ScanContext>,
    ) -> Self {
        let partitions = plan.partitions.len().max(1);
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        ConfluenceScanExec {
            spec,
            columns,
            schema,
            plan,
            context,
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }

    /// The planned requests, as `EXPLAIN` shows them.
    pub fn requests(&self) -> Vec<String> {
        self.plan.partitions.iter().map(|p| describe_request(self.spec, &self.context.client.dialect(), p)).collect()
    }
}

/// `GET /wiki/api/v2/pages?space-id=<ENG>&limit=250`: the request of a partition (space keys shown before they are
/// resolved to ids).
pub fn describe_request(spec: &TableSpec, dialect: &Dialect, partition: &PartitionPlan) -> String {
    let v1 = match dialect {
        Dialect::Cloud { .. } => "/wiki/rest/api/",
        Dialect::DataCenter { .. } => "/rest/api/",
    };
    // A child search is a CQL search, under REST v1 whatever the table's own endpoint.
    let prefix = match spec.endpoint {
        Endpoint::V2 { .. } if partition.explode.is_none() => "/wiki/api/v2/",
        _ => v1,
    };
    let mut params: Vec<String> = Vec::new();
    if let Some((param, keys)) = &partition.space_keys {
        params.push(format!("{param}=<{}>", keys.join(",")));
    }
    if let Some((param, group, groups)) = &partition.space_group {
        params.push(format!("{param}=<every space: share {} of {groups}>", group + 1));
    }
    params.extend(partition.params.iter().map(|(k, v)| format!("{k}={v}")));
    match &partition.lookup {
        None => format!("GET {prefix}{}?{}", partition.path, params.join("&")),
        Some(lookup) => {
            let fetch: Vec<String> = std::iter::once(format!("{}=<ids found>", lookup.id_param))
                .chain(lookup.params.iter().map(|(k, v)| format!("{k}={v}")))
                .collect();
            format!(
                "GET {v1}{}?{} then per page GET {prefix}{}?{}",
                partition.path,
                params.join("&"),
                lookup.path,
                fetch.join("&")
            )
        }
    }
}

impl DisplayAs for ConfluenceScanExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let requests = self.requests();
        let names: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                write!(f, "ConfluenceScanExec: table={}, partitions={}", self.spec.name, requests.len())?;
                if self.plan.empty {
                    write!(f, ", no request (contradictory filters)")?;
                } else {
                    write!(f, ", requests=[{}]", requests.join(", "))?;
                }
                if let Some(limit) = self.plan.limit {
                    write!(f, ", limit={limit}")?;
                }
                write!(f, ", projection=[{}]", names.join(", "))
            }
            DisplayFormatType::TreeRender => {
                writeln!(f, "table={}", self.spec.name)?;
                write!(f, "requests={}", requests.join("; "))
            }
        }
    }
}

impl ExecutionPlan for ConfluenceScanExec {
    fn name(&self) -> &'static str {
        "ConfluenceScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let schema = self.schema.clone();
        if self.plan.empty || self.plan.partitions.is_empty() {
            return Ok(Box::pin(RecordBatchStreamAdapter::new(schema, futures::stream::empty())));
        }
        let part = self
            .plan
            .partitions
            .get(partition)
            .cloned()
            .ok_or_else(|| DataFusionError::Internal(format!("{} has no partition {partition}", self.spec.name)))?;
        let spec = self.spec;
        let columns = self.columns.clone();
        let context = self.context.clone();
        let limit = self.plan.limit;
        let request_metrics = Arc::new(RequestMetrics::default());
        let counters = PartitionCounters::new(&self.metrics, partition);
        let batch_schema = schema.clone();
        let setup = async move {
            let needs_keys = part.space_keys.is_some()
                || part.space_group.is_some()
                || columns.iter().any(|c| matches!(c.source, Source::SpaceKeyOf(_)));
            let index =
                if needs_keys { Some(context.directory.get(&request_metrics).await.map_err(external)?) } else { None };
            let mut params = part.params.clone();
            if let (Some((param, keys)), Some(index)) = (&part.space_keys, &index) {
                let ids: Vec<String> = keys.iter().filter_map(|k| index.id_of(k)).map(|id| id.to_string()).collect();
                if ids.is_empty() {
                    // None of the spaces exists: nothing to read.
                    return Ok::<_, DataFusionError>(futures::stream::empty().boxed());
                }
                params.push((param.clone(), ids.join(",")));
            }
            // A scan split across every space: this partition's share of the spaces, a cursor chain per
            // SPACES_PER_REQUEST of them.
            let mut space_chunks: Vec<String> = Vec::new();
            if let (Some((_, group, groups)), Some(index)) = (&part.space_group, &index) {
                let mut ids: Vec<i64> = index.keys.keys().copied().collect();
                ids.sort_unstable();
                let mine: Vec<String> =
                    ids.iter().skip(*group).step_by((*groups).max(1)).map(|id| id.to_string()).collect();
                if mine.is_empty() {
                    return Ok(futures::stream::empty().boxed());
                }
                space_chunks = mine.chunks(SPACES_PER_REQUEST).map(|chunk| chunk.join(",")).collect();
            }
            let dialect = context.client.dialect();
            let (base, pagination) = match spec.endpoint {
                // A child search is a CQL search, under REST v1 on both products.
                _ if part.explode.is_some() => (dialect.v1(&part.path).map_err(external)?, Pagination::Offset),
                Endpoint::V2 { .. } => (dialect.v2(&part.path).map_err(external)?, Pagination::Cursor),
                Endpoint::V1 { .. } => (dialect.v1(&part.path).map_err(external)?, Pagination::Offset),
            };
            // Several `expand` parameters (fixed, and for a projected body) are sent as one list.
            let expands: Vec<String> = params.iter().filter(|(k, _)| k == "expand").map(|(_, v)| v.clone()).collect();
            params.retain(|(k, _)| k != "expand");
            if !expands.is_empty() {
                params.push(("expand".to_owned(), expands.join(",")));
            }
            let mut first = base;
            first.query_pairs_mut().extend_pairs(params.iter());
            let mut decode_context = DecodeContext::default();
            if let Some(index) = &index {
                decode_context.space_keys = index.keys.clone();
            }
            if let Some(parent) = &part.parent {
                decode_context.parent =
                    Some(parent.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(parent.clone())));
            }
            if let Some(constant) = &part.constant {
                for c in columns.iter().filter(|c| c.source == Source::Constant) {
                    decode_context.constants.insert(c.name, Value::String(constant.clone()));
                }
            }
            let client = context.client.clone();
            if let Some(lookup) = part.lookup.clone() {
                let counters = Arc::new(counters);
                // CQL search for ids (REST v1, offsets), then one fetch by id per page of results.
                let mut search = dialect.v1(&part.path).map_err(external)?;
                search.query_pairs_mut().extend_pairs(part.params.iter());
                let mut fetch_base = match spec.endpoint {
                    Endpoint::V2 { .. } => dialect.v2(&lookup.path),
                    Endpoint::V1 { .. } => dialect.v1(&lookup.path),
                }
                .map_err(external)?;
                fetch_base.query_pairs_mut().extend_pairs(lookup.params.iter());
                let mut content_id = Shape::nothing();
                content_id.keep(&["content", "id"]);
                let found = pages(
                    context.client.clone(),
                    PageRequest {
                        first: search,
                        pagination: Pagination::Offset,
                        max_items: limit,
                        items: Some(Arc::new(content_id)),
                    },
                    request_metrics.clone(),
                );
                // Up to PARALLEL_PAGES fetches by id at once, handed on in the search's order.
                // The fetched pages are parsed to the projected columns, as a plain scan's are.
                let mut fetched_shape = Shape::nothing();
                fetched_shape.keep_shape(&["results"], &shape_of(&columns));
                let fetched_shape = Arc::new(fetched_shape);
                let fetched = found.map(move |page| {
                    let (client, metrics, fetch_base, id_param, fetched_shape) = (
                        client.clone(),
                        request_metrics.clone(),
                        fetch_base.clone(),
                        lookup.id_param.clone(),
                        fetched_shape.clone(),
                    );
                    let (columns, schema, decode_context, counters) =
                        (columns.clone(), batch_schema.clone(), decode_context.clone(), counters.clone());
                    async move {
                        let page = page.map_err(external)?;
                        let ids = found_ids(&page.document);
                        if ids.is_empty() {
                            return Ok(RecordBatch::new_empty(schema));
                        }
                        let mut url = fetch_base;
                        url.query_pairs_mut().append_pair(&id_param, &ids.join(","));
                        let response = client.get(url.clone(), Some(&metrics)).await.map_err(external)?;
                        let page = fetched_shape.parse(&response.body).map_err(|e| {
                            external(RestError::Decode { path: url.path().to_owned(), message: e.to_string() })
                        })?;
                        let results =
                            page.get("results").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                        let batch = decode(&columns, &schema, results, &decode_context)?;
                        metrics.add_rows(batch.num_rows() as u64);
                        client.add_rows(batch.num_rows() as u64);
                        counters.update(&metrics);
                        Ok(batch)
                    }
                });
                return Ok(fetched.buffered(PARALLEL_PAGES).boxed());
            }
            let firsts: Vec<_> = match &part.space_group {
                None => vec![first],
                Some((param, _, _)) => space_chunks
                    .iter()
                    .map(|ids| {
                        let mut url = first.clone();
                        url.query_pairs_mut().append_pair(param, ids);
                        url
                    })
                    .collect(),
            };
            // Each page is parsed into just what the projected columns read.
            let items = match part.explode {
                None => shape_of(&columns),
                Some(explode) => {
                    let mut shape = Shape::nothing();
                    shape.keep(explode.parent_id).keep_shape(explode.children, &shape_of(&columns));
                    shape
                }
            };
            let items = Some(Arc::new(items));
            let (chain_client, chain_metrics) = (context.client.clone(), request_metrics.clone());
            let stream = futures::stream::iter(firsts)
                .map(move |first| {
                    let request = PageRequest { first, pagination, max_items: limit, items: items.clone() };
                    pages(chain_client.clone(), request, chain_metrics.clone())
                })
                .flatten();
            let decoded = stream.map(move |page| -> Result<RecordBatch> {
                let mut document = page.map_err(external)?.document;
                let results = match document.get_mut("results").map(Value::take) {
                    Some(Value::Array(results)) => results,
                    _ => Vec::new(),
                };
                let batch = match part.explode {
                    None => decode(&columns, &batch_schema, &results, &decode_context)?,
                    Some(search) => {
                        // Each result holds several rows (its children), all with the result's id as parent; the
                        // children are moved out of the parsed page, not copied.
                        let mut rows = Vec::new();
                        let mut parents = Vec::new();
                        for mut result in results {
                            let parent = lookup(&result, search.parent_id).cloned().unwrap_or(Value::Null);
                            let children = search
                                .children
                                .iter()
                                .try_fold(&mut result, |value, key| value.get_mut(*key))
                                .map(Value::take);
                            if let Some(Value::Array(children)) = children {
                                parents.extend(std::iter::repeat_n(parent, children.len()));
                                rows.extend(children);
                            }
                        }
                        let context = DecodeContext { row_parents: Some(parents), ..decode_context.clone() };
                        decode(&columns, &batch_schema, &rows, &context)?
                    }
                };
                request_metrics.add_rows(batch.num_rows() as u64);
                client.add_rows(batch.num_rows() as u64);
                counters.update(&request_metrics);
                Ok(batch)
            });
            Ok(decoded.boxed())
        };
        let stream = futures::stream::once(setup).try_flatten();
        let limited = limit_rows(stream, limit);
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, limited)))
    }
}

/// The content ids in a page of CQL search results (`results[].content.id`).
fn found_ids(document: &Value) -> Vec<String> {
    document
        .get("results")
        .and_then(Value::as_array)
        .map(|results| {
            results.iter().filter_map(|hit| hit.get("content")?.get("id")?.as_str().map(str::to_owned)).collect()
        })
        .unwrap_or_default()
}

fn external(error: RestError) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}

/// Stops after `limit` rows (slicing the last batch), dropping the rest of the stream so no more pages are read.
fn limit_rows(
    stream: impl futures::Stream<Item = Result<RecordBatch>> + Send + 'static,
    limit: Option<usize>,
) -> futures::stream::BoxStream<'static, Result<RecordBatch>> {
    let Some(limit) = limit else { return stream.boxed() };
    futures::stream::unfold((stream.boxed(), limit), |(mut stream, remaining)| async move {
        if remaining == 0 {
            return None;
        }
        match stream.next().await? {
            Ok(batch) if batch.num_rows() > remaining => Some((Ok(batch.slice(0, remaining)), (stream, 0))),
            Ok(batch) => {
                let left = remaining - batch.num_rows();
                Some((Ok(batch), (stream, left)))
            }
            Err(e) => Some((Err(e), (stream, 0))),
        }
    })
    .boxed()
}

/// The metrics a partition reports to `EXPLAIN ANALYZE`.
struct PartitionCounters {
    requests: datafusion::physical_plan::metrics::Count,
    retries: datafusion::physical_plan::metrics::Count,
    throttled: datafusion::physical_plan::metrics::Count,
    bytes: datafusion::physical_plan::metrics::Count,
    rows: datafusion::physical_plan::metrics::Count,
    last: std::sync::Mutex<confluence_rest::MetricsSnapshot>,
}

impl PartitionCounters {
    fn new(set: &ExecutionPlanMetricsSet, partition: usize) -> Self {
        let counter = |name: &'static str| MetricBuilder::new(set).counter(name, partition);
        PartitionCounters {
            requests: counter("requests"),
            retries: counter("retries"),
            throttled: counter("throttled_429"),
            bytes: counter("response_bytes"),
            rows: MetricBuilder::new(set).output_rows(partition),
            last: std::sync::Mutex::new(Default::default()),
        }
    }

    fn update(&self, metrics: &RequestMetrics) {
        let now = metrics.snapshot();
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        self.requests.add((now.requests - last.requests) as usize);
        self.retries.add((now.retries - last.retries) as usize);
        self.throttled.add((now.throttled - last.throttled) as usize);
        self.bytes.add((now.bytes - last.bytes) as usize);
        self.rows.add((now.rows - last.rows) as usize);
        *last = now;
    }
}
