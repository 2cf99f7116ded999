//! Execution: a [`ConfluenceScanExec`] runs the [`ScanPlan`] it was given and nothing else. Each partition's
//! `execute` streams its requests' pages ([`reader`]), keeps to `Spaces` where a guard says so ([`guard`]), and
//! stops at the limit; requests, retries, 429s, bytes and rows go to `EXPLAIN ANALYZE` per partition.

pub mod chains;
pub mod fan_out;
pub mod guard;
pub mod parent_spaces;
pub mod reader;
pub mod sorted_scan;

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use confluence_rest::{ConfluenceClient, Dialect, RequestMetrics};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType, ReplaceChildrenOptions};
use datafusion::physical_plan::metrics::{Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties};
use futures::{StreamExt, TryStreamExt};

use crate::columns::{schema_of, Column};
use crate::directory::SpaceDirectory;
use crate::plan::{Partition, Requests, ScanPlan};

pub use guard::GuardState;
use reader::Reader;

/// What every scan of a connection shares: its REST client (replaced, never changed, when an OAuth connection
/// learns its site's gateway), the space directory, and the rows its scans decoded.
#[derive(Debug)]
pub struct ScanContext {
    client: RwLock<ConfluenceClient>,
    /// Space ids and keys.
    pub directory: SpaceDirectory,
    /// Rows decoded by the connection's scans (its progress line and metrics).
    pub rows: AtomicU64,
}

impl ScanContext {
    /// The context of a connection whose requests go through `client`.
    pub fn new(client: ConfluenceClient) -> ScanContext {
        ScanContext { client: RwLock::new(client), directory: SpaceDirectory::default(), rows: AtomicU64::new(0) }
    }

    /// The client scans planned from now on use.
    pub fn client(&self) -> ConfluenceClient {
        self.client.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Routes the scans planned from now on to another API base (a new client sharing the connection's pool,
    /// credentials, limits and metrics); scans already planned keep theirs.
    pub fn route_to(&self, dialect: Dialect) {
        let mut client = self.client.write().unwrap_or_else(|p| p.into_inner());
        *client = client.with_dialect(dialect);
    }
}

/// Scans one table with planned requests.
#[derive(Debug)]
pub struct ConfluenceScanExec {
    plan: ScanPlan,
    columns: Vec<Column>,
    decoded: Arc<Vec<Column>>,
    schema: SchemaRef,
    decoded_schema: SchemaRef,
    client: ConfluenceClient,
    context: Arc<ScanContext>,
    guard: Arc<GuardState>,
    parent_spaces: Arc<parent_spaces::ParentSpaces>,
    shares: Arc<chains::SharePool>,
    parents: Arc<chains::SharePool<fan_out::ParentRun>>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
    /// How to plan the scan again sorted by the server (`ORDER BY ... LIMIT`, see [`sorted_scan`]).
    replan: Option<Arc<crate::plan::sorted::Replan>>,
}

impl ConfluenceScanExec {
    /// The same scan, able to be planned again sorted by the optimizer.
    pub fn with_replan(mut self, replan: crate::plan::sorted::Replan) -> Self {
        self.replan = Some(Arc::new(replan));
        self
    }

    /// The scan reading the first `fetch` rows sorted by `column` from a list the server sorts, when its table's
    /// list can answer that alone (else `None`).
    pub fn sorted(&self, column: &str, descending: bool, fetch: usize) -> Result<Option<ConfluenceScanExec>> {
        let Some(replan) = &self.replan else { return Ok(None) };
        let Some(plan) = replan.sorted(self.client.dialect(), column, descending, fetch)? else { return Ok(None) };
        let (client, context) = (self.client.clone(), self.context.clone());
        Ok(Some(ConfluenceScanExec::new(plan, self.columns.clone(), self.schema.clone(), client, context)))
    }

    /// A scan returning `columns` as `schema` (the table's fields, with their descriptions) by the requests of
    /// `plan` (`Requests` or `Empty`), sent with `client`.
    pub fn new(
        plan: ScanPlan,
        columns: Vec<Column>,
        schema: SchemaRef,
        client: ConfluenceClient,
        context: Arc<ScanContext>,
    ) -> Self {
        let (partitions, guard) = match &plan {
            ScanPlan::Requests(requests) => (requests.partitions.len(), requests.guard.clone()),
            ScanPlan::Empty { .. } | ScanPlan::NeedsParent { .. } => (0, None),
        };
        let guard = Arc::new(GuardState::new(guard));
        let lookups = match &plan {
            ScanPlan::Requests(requests) => requests.parent_spaces.clone(),
            _ => Vec::new(),
        };
        let parent_spaces = Arc::new(parent_spaces::ParentSpaces::new(lookups));
        let mut decoded = columns.clone();
        let mut extra = Vec::new();
        if let ScanPlan::Requests(requests) = &plan {
            extra.extend(guard.columns().iter().filter_map(|name| requests.spec.column(name)).copied());
        }
        decoded.extend(extra.iter().copied());
        let fields = schema.fields().iter().chain(schema_of(&extra).fields().iter()).cloned().collect::<Vec<_>>();
        let decoded_schema = Arc::new(datafusion::arrow::datatypes::Schema::new(fields));
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(partitions.max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        ConfluenceScanExec {
            plan,
            columns,
            decoded: Arc::new(decoded),
            schema,
            decoded_schema,
            client,
            context,
            guard,
            parent_spaces,
            shares: Arc::default(),
            parents: Arc::default(),
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
            replan: None,
        }
    }

    /// Each partition's requests, as `EXPLAIN` shows them.
    pub fn requests(&self) -> Vec<String> {
        let ScanPlan::Requests(requests) = &self.plan else { return Vec::new() };
        requests.partitions.iter().map(|p| describe(p, self.client.dialect())).collect()
    }
}

/// What one partition sends: `GET /wiki/api/v2/pages?space-id=<ENG>&limit=250` (space keys shown before they are
/// resolved to ids).
pub fn describe(partition: &Partition, dialect: &Dialect) -> String {
    match partition {
        Partition::List { request, .. } | Partition::PerParent { request, .. } => request.describe(dialect),
        Partition::ChildSearch { search, .. } | Partition::Searched { search, .. } => search.describe(dialect),
        Partition::SpaceShare { request, param, share, shares, sorts, named } => {
            let ends = if sorts.is_some() { ", from both ends" } else { "" };
            let spaces = named.as_ref().map_or_else(|| "every space".to_owned(), |keys| keys.join(","));
            format!("{}&{param}=<{spaces}: worker {} of {shares}{ends}>", request.describe(dialect), share + 1)
        }
        Partition::PerSpace { request, takes, share, shares, selection } => {
            let takes = match takes {
                crate::spec::SpaceRef::Id => "id",
                crate::spec::SpaceRef::Key => "key",
            };
            let each = format!("<each space's {takes}, of {}: worker {} of {shares}>", selection.describe(), share + 1);
            request.describe(dialect).replace(&url_placeholder(), &each)
        }
        Partition::Merged { parts } => {
            parts.iter().map(|(_, request)| request.describe(dialect)).collect::<Vec<_>>().join("; ")
        }
        Partition::CqlLookup { search, fetch, id_param } => {
            let fetch = fetch.describe_with(dialect, Some(format!("{id_param}=<ids found>")));
            format!("{} then per page {fetch}", search.describe(dialect))
        }
        Partition::FanOut { parents, children, fan_out, keep, share, shares } => {
            let placeholder = crate::plan::fan_out::PARENT_PLACEHOLDER.replace('{', "%7B").replace('}', "%7D");
            let each: Vec<String> =
                children.iter().map(|(r, _)| r.describe(dialect).replace(&placeholder, "<id>")).collect();
            let (listed, worker, name) = (parents.describe(dialect), share + 1, fan_out.parent_name);
            let kept: Vec<String> =
                keep.iter().map(|(path, values)| format!("{} in ({})", path.join("."), values.join(", "))).collect();
            let kept = if kept.is_empty() { String::new() } else { format!(" whose {}", kept.join(" and ")) };
            format!("{listed} then per {name}{kept} (worker {worker} of {shares}) {}", each.join("; "))
        }
    }
}

/// The path placeholder of a per-space request, as it appears in its URL.
pub(crate) fn url_placeholder() -> String {
    crate::plan::per_space::SPACE_PLACEHOLDER.replace('{', "%7B").replace('}', "%7D")
}

impl DisplayAs for ConfluenceScanExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let names: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        let (table, limit) = match &self.plan {
            ScanPlan::Requests(Requests { spec, limit, .. }) => (spec.name, *limit),
            _ => ("", None),
        };
        let requests = self.requests();
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                write!(f, "ConfluenceScanExec: table={table}, partitions={}", requests.len())?;
                if let ScanPlan::Empty { reason } = &self.plan {
                    write!(f, ", no request ({reason})")?;
                }
                if let Some(limit) = limit {
                    write!(f, ", limit={limit}")?;
                }
                write!(f, ", projection=[{}]", names.join(", "))?;
                for (i, request) in requests.iter().enumerate() {
                    write!(f, "\n    partition {}: {request}", i + 1)?;
                }
                if let Some(guard) = self.guard.guard() {
                    write!(f, "\n    Spaces: {}", guard.describe(self.client.dialect()))?;
                }
                for lookup in self.parent_spaces.lookups() {
                    write!(
                        f,
                        "\n    parents' spaces, found first: {}",
                        lookup.request.describe(self.client.dialect())
                    )?;
                }
                Ok(())
            }
            DisplayFormatType::TreeRender => {
                writeln!(f, "table={table}")?;
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
        let ScanPlan::Requests(requests) = &self.plan else {
            return Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), futures::stream::empty())));
        };
        let part =
            requests.partitions.get(partition).cloned().ok_or_else(|| {
                DataFusionError::Internal(format!("{} has no partition {partition}", requests.spec.name))
            })?;
        let workers = requests.partitions.len();
        // With a guard dropping rows, a list cannot stop at the limit's count of items: the engine's limit does.
        let guarded = self.guard.guard().is_some();
        let reader = Reader {
            client: self.client.clone(),
            context: self.context.clone(),
            columns: self.decoded.clone(),
            schema: self.decoded_schema.clone(),
            max_items: if guarded { None } else { requests.limit },
            // Without max_items, a LIMIT must not start every remaining page at once only to drop them.
            sequential: guarded && requests.limit.is_some(),
            metrics: Arc::new(RequestMetrics::default()),
            counters: Arc::new(PartitionCounters::new(&self.metrics, partition)),
            guard: self.guard.clone(),
            parent_spaces: self.parent_spaces.clone(),
            share_run: matches!(part, Partition::SpaceShare { .. }).then(|| self.shares.join(partition, workers)),
            parent_run: matches!(part, Partition::FanOut { .. }).then(|| self.parents.join(partition, workers)),
            depth_cap: requests.spec.depth_cap,
        };
        let (guard, output) = (self.guard.clone(), self.schema.clone());
        let kept_reader = reader.clone();
        let batches = reader.read(part).then(move |batch| {
            let (guard, output, reader) = (guard.clone(), output.clone(), kept_reader.clone());
            async move {
                let kept = guard.keep(&reader, batch?, &output).await?;
                reader.count_rows(&kept);
                Ok(kept)
            }
        });
        let (requires, forbidden) = (requests.spec.requires, requests.spec.forbidden);
        let batches = batches.map_err(move |error| explain_refusal(error, requires, forbidden));
        let batches = match requests.order.and_then(|o| self.schema.index_of(o.column).ok().map(|i| (o, i))) {
            Some((order, index)) => sorted_scan::check_order(batches, order, index).boxed(),
            None => batches.boxed(),
        };
        let limited = limit_rows(batches, requests.limit);
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), limited)))
    }
}

/// A 404 from a list the server lacks (an endpoint of a later version), or a 403 from a list the site's plan or
/// the user's role does not allow, with what the table needs and what to do.
fn explain_refusal(error: DataFusionError, requires: Option<&str>, forbidden: Option<&str>) -> DataFusionError {
    use confluence_rest::RestError;
    if requires.is_none() && forbidden.is_none() {
        return error;
    }
    let DataFusionError::External(boxed) = error else { return error };
    let rest = match boxed.downcast::<RestError>() {
        Ok(rest) => *rest,
        Err(other) => return DataFusionError::External(other),
    };
    let rest = match (rest, requires, forbidden) {
        (RestError::NotFound { path, message }, Some(requires), _) => {
            RestError::NotFound { path, message: format!("{message}; {requires}") }
        }
        (RestError::Forbidden { path, message }, _, Some(forbidden)) => {
            RestError::Forbidden { path, message: format!("{message}; {forbidden}") }
        }
        (other, _, _) => other,
    };
    DataFusionError::External(Box::new(rest))
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
#[derive(Debug)]
pub struct PartitionCounters {
    requests: Count,
    retries: Count,
    throttled: Count,
    bytes: Count,
    rows: Count,
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

    /// Adds what `metrics` counted since the last update.
    pub fn update(&self, metrics: &RequestMetrics) {
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
