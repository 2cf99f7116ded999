//! Reading one partition: the requests a [`Partition`] holds, sent page by page through the paginator, each page's
//! JSON decoded into an Arrow batch of the scan's columns. One reader per kind of partition; the space directory is
//! read first only when the partition needs it (space keys to resolve, a share of the spaces, a `space_key`
//! column).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use confluence_rest::{
    pages, ConfluenceClient, DepthCap, Page, PageDecode, PageRequest, Pagination, RequestMetrics, RestError, Shape,
    PARALLEL_PAGES,
};
use datafusion::arrow::array::BooleanArray;
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use url::Url;

use crate::columns::{decode, lookup, shape_of, Column, DecodeContext, Source};
use crate::directory::SpaceIndex;
use crate::page_decoder::{DecodedRows, PageDecoder};
use crate::plan::per_space::SpaceSelection;
use crate::plan::request::path_segment;
use crate::plan::{Partition, Request};
use crate::spec::{ChildSearch, IdSorts, SpaceRef};

use super::chains::{self, Assignment, End, ShareRun};
use super::fan_out::ParentRun;
use super::parent_spaces::ParentSpaces;
use super::{GuardState, PartitionCounters, ScanContext};

/// What every partition of a scan reads with.
#[derive(Clone)]
pub struct Reader {
    /// The client the scan was planned with.
    pub client: ConfluenceClient,
    /// The connection's space directory and row counter.
    pub context: Arc<ScanContext>,
    /// The columns decoded (the selected ones, and those a guard reads).
    pub columns: Arc<Vec<Column>>,
    /// Their schema.
    pub schema: SchemaRef,
    /// Stop each list after this many items.
    pub max_items: Option<usize>,
    /// Read each list page after page (a guarded scan under a `LIMIT`: the engine stops it, see `PageRequest`).
    pub sequential: bool,
    /// This partition's request counters.
    pub metrics: Arc<RequestMetrics>,
    /// Where `EXPLAIN ANALYZE` reads them.
    pub counters: Arc<PartitionCounters>,
    /// The scan's `Spaces` guard.
    pub guard: Arc<GuardState>,
    /// For a space-share partition, the pool of chains its workers share.
    pub share_run: Option<Arc<ShareRun>>,
    /// For a fan-out partition, the parents its workers share.
    pub parent_run: Option<Arc<ParentRun>>,
    /// The scan's lookups of its parents' spaces.
    pub parent_spaces: Arc<ParentSpaces>,
    /// How deep the service reads the table's offset lists.
    pub depth_cap: Option<DepthCap>,
}

pub(crate) fn external(error: RestError) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}

impl Reader {
    /// The batches of `partition`.
    pub fn read(self, partition: Partition) -> BoxStream<'static, Result<RecordBatch>> {
        let setup = async move {
            let index = self.index_if_needed(&partition).await?;
            let stream = match partition {
                Partition::List { request, constant } => self.list(&request, constant, None, &index),
                Partition::PerParent { request, parent, constant } => {
                    // Both looked up once per scan, at once.
                    let (admitted, space) = futures::future::join(
                        self.guard.admits_parent(&self, &parent),
                        self.parent_spaces.space_of(&self, &parent),
                    )
                    .await;
                    if !admitted? {
                        return Ok(futures::stream::empty().boxed());
                    }
                    // Under `Spaces`, the check of the parents found their spaces (no lookup was planned).
                    let space = match space? {
                        None if self.columns.iter().any(|c| c.source == Source::ParentSpace) => {
                            self.guard.space_of(&self, &parent).await?
                        }
                        space => space,
                    };
                    let mut context = self.list_context(constant, Some(parent), &index);
                    context.parent_space = space.map(Value::from);
                    self.list_with(&request, context, &index)
                }
                Partition::SpaceShare { request, param, shares, sorts, named, .. } => {
                    self.space_share(request, param, shares, sorts, named, index)
                }
                Partition::Merged { parts } => self.merged(parts, &index),
                Partition::CqlLookup { search, fetch, id_param } => self.lookup(search, fetch, id_param, &index),
                Partition::Searched { search, columns, status } => self.searched(&search, columns, status, &index)?,
                Partition::ChildSearch { search, children } => self.child_search(search, children, &index),
                Partition::PerSpace { request, takes, share, shares, selection } => {
                    self.per_space(request, takes, share, shares, selection, index)
                }
                Partition::FanOut { parents, children, fan_out, keep, .. } => {
                    self.fan_out(parents, children, fan_out, keep, index)
                }
            };
            Ok::<_, DataFusionError>(stream)
        };
        futures::stream::once(setup).try_flatten().boxed()
    }

    /// The space directory, when the partition resolves space keys or decodes them.
    async fn index_if_needed(&self, partition: &Partition) -> Result<Option<Arc<SpaceIndex>>> {
        let resolves = match partition {
            Partition::List { request, .. } | Partition::PerParent { request, .. } => request.space_ids.is_some(),
            Partition::SpaceShare { .. } | Partition::PerSpace { .. } => true,
            Partition::FanOut { children, .. } => children.iter().any(|(request, _)| request.space_ids.is_some()),
            Partition::CqlLookup { .. }
            | Partition::ChildSearch { .. }
            | Partition::Searched { .. }
            | Partition::Merged { .. } => false,
        };
        let decodes = self.columns.iter().any(|c| matches!(c.source, Source::SpaceKeyOf(_)));
        if !(resolves || decodes) {
            return Ok(None);
        }
        self.context.directory.get(&self.client, &self.metrics).await.map(Some).map_err(external)
    }

    pub(super) fn decode_context(&self, index: &Option<Arc<SpaceIndex>>) -> DecodeContext {
        DecodeContext { space_keys: index.as_ref().map(|i| i.keys.clone()).unwrap_or_default(), ..Default::default() }
    }

    /// A page request: the list's first page, this scan's limit, and the projected columns' shape.
    pub(super) fn page_request(&self, first: Url, request: &Request, items: Shape) -> PageRequest {
        PageRequest {
            first,
            pagination: request.pagination,
            max_items: self.max_items,
            items: Some(Arc::new(items)),
            sequential: self.sequential,
            depth_cap: self.depth_cap,
            decoder: None,
            gate: None,
        }
    }

    /// One row made of several objects: each part read (all at once), put under its key, the object decoded.
    fn merged(
        &self,
        parts: Vec<(&'static str, Request)>,
        index: &Option<Arc<SpaceIndex>>,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        let reader = self.clone();
        let context = self.decode_context(index);
        futures::stream::once(async move {
            let reads = parts.into_iter().map(|(key, request)| {
                let page_request = reader.page_request(request.url.clone(), &request, Shape::everything());
                let mut pages = pages(reader.client.clone(), page_request, reader.metrics.clone());
                async move {
                    let page = pages.next().await.ok_or_else(|| {
                        external(RestError::Internal(format!("{} answered nothing", request.url.path())))
                    })?;
                    let mut document = page.map_err(external)?.document;
                    let item = take_results(&mut document).into_iter().next().unwrap_or(Value::Null);
                    Ok::<_, DataFusionError>((key.to_owned(), item))
                }
            });
            let row: serde_json::Map<String, Value> = futures::future::try_join_all(reads).await?.into_iter().collect();
            let batch = decode(&reader.columns, &reader.schema, &[Value::Object(row)], &context)?;
            Ok(reader.counted(batch))
        })
        .boxed()
    }

    /// Decodes a cursor list's pages straight into Arrow (in the paginator), when the columns allow it.
    fn decoder(&self, request: &Request, context: &DecodeContext, ids: bool) -> Option<Arc<dyn PageDecode>> {
        if request.pagination != Pagination::Cursor {
            return None;
        }
        let decoder = PageDecoder::new(&self.columns, self.schema.clone(), context.clone(), ids)?;
        Some(Arc::new(decoder))
    }

    /// Reports the requests and bytes of a decoded batch to `EXPLAIN ANALYZE` (its rows are counted once the
    /// `Spaces` guard has kept them, [`Reader::count_rows`]).
    fn counted(&self, batch: RecordBatch) -> RecordBatch {
        self.counters.update(&self.metrics);
        batch
    }

    /// Counts the rows a partition returns (per partition and for the connection): after the guard, so that rows
    /// outside `Spaces` are not even counted.
    pub fn count_rows(&self, batch: &RecordBatch) {
        let rows = batch.num_rows() as u64;
        self.metrics.add_rows(rows);
        self.context.rows.fetch_add(rows, Ordering::Relaxed);
        self.counters.update(&self.metrics);
    }

    /// A list (or one parent's list): each page's results decoded.
    fn list(
        &self,
        request: &Request,
        constant: Option<&str>,
        parent: Option<String>,
        index: &Option<Arc<SpaceIndex>>,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        let context = self.list_context(constant, parent, index);
        self.list_with(request, context, index)
    }

    /// What a list's rows are decoded with: its `Constant` columns' value and its parent.
    fn list_context(
        &self,
        constant: Option<&str>,
        parent: Option<String>,
        index: &Option<Arc<SpaceIndex>>,
    ) -> DecodeContext {
        let mut context = self.decode_context(index);
        context.parent = parent.map(|p| p.parse::<i64>().map(Value::from).unwrap_or(Value::String(p)));
        if let Some(constant) = constant {
            for column in self.columns.iter().filter(|c| c.source == Source::Constant) {
                context.constants.insert(column.name, Value::String(constant.to_owned()));
            }
        }
        context
    }

    /// A list whose rows are decoded with `context` (its constants and parent already set).
    pub(super) fn list_with(
        &self,
        request: &Request,
        context: DecodeContext,
        index: &Option<Arc<SpaceIndex>>,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        let Some(first) = request.url_with(|key| index.as_ref().and_then(|i| i.id_of(key))) else {
            // None of the spaces exists: nothing to read.
            return futures::stream::empty().boxed();
        };
        let page_request = PageRequest {
            decoder: self.decoder(request, &context, false),
            ..self.page_request(first, request, shape_of(&self.columns))
        };
        let pages = pages(self.client.clone(), page_request, self.metrics.clone());
        let reader = self.clone();
        pages
            .map(move |page| {
                let page = page.map_err(external)?;
                let batch = match decoded_rows(&page) {
                    Some(rows) => rows.batch.clone(),
                    None => {
                        let mut document = page.document;
                        decode(&reader.columns, &reader.schema, &take_results(&mut document), &context)?
                    }
                };
                Ok(reader.counted(batch))
            })
            .boxed()
    }

    /// One worker of a scan over every space: chain after chain from the pool its partition shares, each chain
    /// read from one end (see [`chains`](super::chains)).
    fn space_share(
        &self,
        request: Request,
        param: &'static str,
        workers: usize,
        sorts: Option<IdSorts>,
        named: Option<Vec<String>>,
        index: Option<Arc<SpaceIndex>>,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        let (Some(run), Some(index)) = (self.share_run.clone(), index) else {
            let message = "a space-share partition without its pool or the space directory".to_owned();
            return futures::stream::once(async { Err(external(RestError::Internal(message))) }).boxed();
        };
        let reader = self.clone();
        let eager = named.is_some();
        futures::stream::unfold((), move |()| {
            let (reader, run, request, index, named) =
                (reader.clone(), run.clone(), request.clone(), index.clone(), named.clone());
            async move {
                let chains = || match &named {
                    Some(keys) => chains::named(&index, keys),
                    None => chains::group(&index, workers),
                };
                let assignment = run.next_end(chains, sorts, eager).await?;
                Some((reader.chain_end(request, param, sorts, assignment, run, Some(index)), ()))
            }
        })
        .flatten()
        .boxed()
    }

    /// One end of one chain: its pages, each item kept only if it is this end's (see [`ShareRun::admit`]), until
    /// the end meets the other or the list ends.
    fn chain_end(
        &self,
        mut request: Request,
        param: &'static str,
        sorts: Option<IdSorts>,
        assignment: Assignment,
        run: Arc<ShareRun>,
        index: Option<Arc<SpaceIndex>>,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        if let (End::Descending, Some(sorts)) = (assignment.end, sorts) {
            let pairs: Vec<(String, String)> = request
                .url
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "sort" { sorts.descending.to_owned() } else { v.into_owned() };
                    (k.into_owned(), v)
                })
                .collect();
            request.url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        request.url.query_pairs_mut().append_pair(param, &assignment.spaces);
        if sorts.is_none() {
            return self.list(&request, None, None, &index);
        }
        let context = self.decode_context(&index);
        let mut items = shape_of(&self.columns);
        items.keep(&["id"]);
        // Page after page, the next asked for only once this one is admitted: where the ends meet, neither has
        // asked for a page it will not read.
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let page_request = PageRequest {
            gate: Some(gate.clone()),
            decoder: self.decoder(&request, &context, true),
            ..self.page_request(request.url.clone(), &request, items)
        };
        let pages = pages(self.client.clone(), page_request, self.metrics.clone());
        let reader = self.clone();
        let (chain, end) = (assignment.chain, assignment.end);
        futures::stream::unfold(Some(pages), move |pages| {
            let (reader, run, context, gate) = (reader.clone(), run.clone(), context.clone(), gate.clone());
            async move {
                let mut pages = pages?;
                let Some(page) = pages.next().await else {
                    run.finished(chain, end);
                    return None;
                };
                let outcome = (|| {
                    let page = page.map_err(external)?;
                    if let Some(rows) = decoded_rows(&page) {
                        // Decoded straight into Arrow: the rows this end keeps, filtered out of the batch.
                        let admitted = run
                            .admit(chain, end, &rows.ids)
                            .map_err(|message| pagination_error(&page.url, &message))?;
                        let keep = BooleanArray::from(admitted.keep.clone());
                        let batch = filter_record_batch(&rows.batch, &keep)?;
                        return Ok::<_, DataFusionError>((reader.counted(batch), admitted.stop));
                    }
                    let (url, mut document) = (page.url, page.document);
                    let mut results = take_results(&mut document);
                    let ids = results
                        .iter()
                        .map(|item| item_id(item).ok_or_else(|| pagination_error(&url, "an item without an id")))
                        .collect::<Result<Vec<u64>>>()?;
                    let admitted = run.admit(chain, end, &ids).map_err(|message| pagination_error(&url, &message))?;
                    let mut keep = admitted.keep.iter();
                    results.retain(|_| keep.next().copied().unwrap_or(false));
                    let batch = decode(&reader.columns, &reader.schema, &results, &context)?;
                    Ok::<_, DataFusionError>((reader.counted(batch), admitted.stop))
                })();
                match outcome {
                    Ok((batch, stop)) => {
                        if !stop {
                            gate.add_permits(1);
                        }
                        Some((Ok(batch), (!stop).then_some(pages)))
                    }
                    Err(e) => Some((Err(e), None)),
                }
            }
        })
        .boxed()
    }

    /// One worker of a per-space table: its share of the selected spaces (every `shares`-th, by id), each space's
    /// list read in turn, its rows carrying the space's id and key.
    fn per_space(
        &self,
        request: Request,
        takes: SpaceRef,
        share: usize,
        shares: usize,
        selection: SpaceSelection,
        index: Option<Arc<SpaceIndex>>,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        let Some(index) = index else {
            let message = "a per-space partition without the space directory".to_owned();
            return futures::stream::once(async { Err(external(RestError::Internal(message))) }).boxed();
        };
        let mut spaces: Vec<(i64, String)> = index
            .keys
            .iter()
            .filter(|(id, key)| selection.admits(**id, key))
            .map(|(id, key)| (*id, key.clone()))
            .collect();
        spaces.sort_unstable();
        let mine: Vec<(i64, String)> = spaces.into_iter().skip(share).step_by(shares.max(1)).collect();
        let reader = self.clone();
        let placeholder = super::url_placeholder();
        futures::stream::iter(mine)
            .map(move |(id, key)| {
                let value = match takes {
                    SpaceRef::Id => id.to_string(),
                    SpaceRef::Key => key.clone(),
                };
                let segment = match path_segment(&value) {
                    Ok(segment) => segment,
                    Err(e) => {
                        let error = DataFusionError::Plan(e.to_string());
                        return futures::stream::once(async { Err(error) }).boxed();
                    }
                };
                let mut request = request.clone();
                let path = request.url.path().replace(&placeholder, &segment);
                request.url.set_path(&path);
                reader.list(&request, Some(&key), Some(id.to_string()), &Some(index.clone()))
            })
            .flatten()
            .boxed()
    }

    /// A CQL search for ids, then up to [`PARALLEL_PAGES`] fetches by id at once, in the search's order. Each
    /// fetch is a list of its own (read to its end, its pages checked like any list's).
    fn lookup(
        &self,
        search: Request,
        fetch: Request,
        id_param: &'static str,
        index: &Option<Arc<SpaceIndex>>,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        let mut content_id = Shape::nothing();
        content_id.keep(&["content", "id"]);
        let found = pages(
            self.client.clone(),
            self.page_request(search.url.clone(), &search, content_id),
            self.metrics.clone(),
        );
        let context = self.decode_context(index);
        let reader = self.clone();
        found
            .map(move |page| {
                let (reader, fetch, context) = (reader.clone(), fetch.clone(), context.clone());
                async move {
                    let ids = found_ids(&page.map_err(external)?.document);
                    let mut batches = Vec::new();
                    if ids.is_empty() {
                        return Ok(batches);
                    }
                    let mut first = fetch.url.clone();
                    first.query_pairs_mut().append_pair(id_param, &ids.join(","));
                    let request = PageRequest {
                        max_items: None,
                        ..reader.page_request(first, &fetch, shape_of(&reader.columns))
                    };
                    let mut rows = pages(reader.client.clone(), request, reader.metrics.clone());
                    while let Some(page) = rows.next().await {
                        let mut document = page.map_err(external)?.document;
                        let batch = decode(&reader.columns, &reader.schema, &take_results(&mut document), &context)?;
                        batches.push(reader.counted(batch));
                    }
                    Ok::<_, DataFusionError>(batches)
                }
            })
            .buffered(PARALLEL_PAGES)
            .map_ok(|batches| futures::stream::iter(batches.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// A CQL search whose results are the rows: the scan's columns read from where `columns` (by name) says, and
    /// only the results whose `status` column reads `status` (what the search is for: the index can lag behind
    /// content archived or trashed since, which the list of such content then holds).
    fn searched(
        &self,
        search: &Request,
        columns: &'static [Column],
        status: (&'static str, &'static str),
        index: &Option<Arc<SpaceIndex>>,
    ) -> Result<BoxStream<'static, Result<RecordBatch>>> {
        let internal = |what: &str| DataFusionError::Internal(format!("{what} is not in the search results"));
        let mapped: Option<Vec<Column>> =
            self.columns.iter().map(|c| columns.iter().find(|d| d.name == c.name).copied()).collect();
        let mapped = Arc::new(mapped.ok_or_else(|| internal("a column of the scan"))?);
        let status_path = match columns.iter().find(|c| c.name == status.0).map(|c| c.source) {
            Some(Source::Path(path)) => path,
            _ => return Err(internal("the status")),
        };
        let mut shape = shape_of(&mapped);
        shape.keep(status_path);
        // Rows are dropped after reading: the list cannot stop at the limit's count (the engine's limit does), and
        // reads page after page so that stopping wastes little.
        let request = PageRequest {
            max_items: None,
            sequential: self.max_items.is_some() || self.sequential,
            ..self.page_request(search.url.clone(), search, shape)
        };
        let found = pages(self.client.clone(), request, self.metrics.clone());
        let context = self.decode_context(index);
        let reader = self.clone();
        Ok(found
            .map(move |page| {
                let mut document = page.map_err(external)?.document;
                let mut results = take_results(&mut document);
                results.retain(|r| lookup(r, status_path).and_then(Value::as_str) == Some(status.1));
                Ok(reader.counted(decode(&mapped, &reader.schema, &results, &context)?))
            })
            .boxed())
    }

    /// A CQL search whose results' children are the rows, each with the result's id as its parent.
    fn child_search(
        &self,
        search: Request,
        children: &'static ChildSearch,
        index: &Option<Arc<SpaceIndex>>,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        let mut items = Shape::nothing();
        items.keep(children.parent_id).keep_shape(children.children, &shape_of(&self.columns));
        if !children.parent_space.is_empty() {
            items.keep(children.parent_space);
        }
        let found =
            pages(self.client.clone(), self.page_request(search.url.clone(), &search, items), self.metrics.clone());
        let context = self.decode_context(index);
        let reader = self.clone();
        found
            .map(move |page| {
                let mut document = page.map_err(external)?.document;
                let (rows, parents, spaces) = explode(take_results(&mut document), children);
                let context = DecodeContext { row_parents: Some(parents), row_spaces: Some(spaces), ..context.clone() };
                let batch = decode(&reader.columns, &reader.schema, &rows, &context)?;
                Ok(reader.counted(batch))
            })
            .boxed()
    }
}

/// The rows a [`PageDecoder`] made of a page, when it decoded it.
fn decoded_rows(page: &Page) -> Option<&DecodedRows> {
    page.decoded.as_ref().and_then(|rows| rows.downcast_ref::<DecodedRows>())
}

/// The `results` of a parsed page, moved out of it.
fn take_results(document: &mut Value) -> Vec<Value> {
    match document.get_mut("results").map(Value::take) {
        Some(Value::Array(results)) => results,
        _ => Vec::new(),
    }
}

/// Each result's children (moved out, not copied), and for each child its result's id and space id.
fn explode(results: Vec<Value>, search: &ChildSearch) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let mut rows = Vec::new();
    let mut parents = Vec::new();
    let mut spaces = Vec::new();
    for mut result in results {
        let parent = lookup(&result, search.parent_id).cloned().unwrap_or(Value::Null);
        let space = match search.parent_space {
            [] => Value::Null,
            path => lookup(&result, path).cloned().unwrap_or(Value::Null),
        };
        let children = search.children.iter().try_fold(&mut result, |value, key| value.get_mut(*key)).map(Value::take);
        if let Some(Value::Array(children)) = children {
            parents.extend(std::iter::repeat_n(parent, children.len()));
            spaces.extend(std::iter::repeat_n(space, children.len()));
            rows.extend(children);
        }
    }
    (rows, parents, spaces)
}

/// An item's id (v2 ids are numbers written as text).
fn item_id(item: &Value) -> Option<u64> {
    match item.get("id")? {
        Value::String(id) => id.parse().ok(),
        Value::Number(id) => id.as_u64(),
        _ => None,
    }
}

/// A list that cannot be read from both ends as asked.
fn pagination_error(url: &Url, message: &str) -> DataFusionError {
    external(RestError::Pagination {
        path: url.path().to_owned(),
        message: format!("{message}; the list cannot be read from both ends (sorted by id)"),
    })
}

/// The content ids in a page of CQL search results (`results[].content.id`, text or a number).
fn found_ids(document: &Value) -> Vec<String> {
    let results = document.get("results").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    results
        .iter()
        .filter_map(|hit| match hit.get("content")?.get("id")? {
            Value::String(id) => Some(id.clone()),
            Value::Number(id) => Some(id.to_string()),
            _ => None,
        })
        .collect()
}
