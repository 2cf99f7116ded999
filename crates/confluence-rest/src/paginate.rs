//! Paginated lists as streams of pages. A producer task fetches page after page and hands each one over through
//! a one-slot channel, so the next page is requested while the current one is decoded, memory stays bounded (one
//! page decoding, one waiting, and for a search whose total is known at most [`PARALLEL_PAGES`] in flight), and
//! dropping the stream stops the fetching. Each page is parsed once, here, so the caller decodes its rows from the
//! parsed document while the next page is fetched and parsed.
//!
//! The server is not trusted to end its lists: a list that repeats a link or goes back, goes on past
//! `MaxPages`, claims a total beyond it, changes its total while it is read, sends an empty page before its total,
//! or repeats items across two offset pages, ends with an error. So does a producer that fails in any way, a panic
//! included: the stream never just stops early, which would look like the end of the list.

use std::any::Any;
use std::collections::HashSet;
use std::fmt;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::{FutureExt, Stream, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use crate::client::ConfluenceClient;
use crate::error::RestError;
use crate::metrics::RequestMetrics;
use crate::shape::Shape;

/// How a list continues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pagination {
    /// REST v2: opaque cursors in the `Link` header and `_links.next`.
    Cursor,
    /// REST v1 and Data Center: `start`/`limit` offsets, next page in `_links.next`.
    Offset,
    /// No pagination: the whole list as one JSON array (Data Center's `space/{key}/permissions`).
    Whole,
    /// Not a list: one JSON object, read as a list of one (Cloud's `analytics/content/{id}/views`).
    One,
    /// One object holding several lists windowed by the same `start` and `limit` (a content restriction's users at
    /// `restrictions.user` and groups at `restrictions.group`): a page's items are the elements of every list, each
    /// as `{"of": <the list's tag>, "item": <the element>}`, and the next page, at `start + limit`, is read while
    /// any list came full. A list missing, or longer than its window, is an error, never a short answer.
    Arrays(&'static [ArrayAt]),
}

/// One of the lists of a [`Pagination::Arrays`] object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayAt {
    /// Where the list object (with its `results`, `limit`) is.
    pub path: &'static [&'static str],
    /// What its elements are tagged with (`user`, `group`).
    pub tag: &'static str,
}

/// The key of an [`ArrayAt`] element's tag in the items of a [`Pagination::Arrays`] page.
pub const ARRAY_TAG: &str = "of";
/// The key of the element itself in the items of a [`Pagination::Arrays`] page.
pub const ARRAY_ITEM: &str = "item";

/// A list to read.
#[derive(Clone, Debug)]
pub struct PageRequest {
    /// The first page's URL, with its `limit` and filters.
    pub first: Url,
    /// How it continues.
    pub pagination: Pagination,
    /// Stop once this many items were received (a SQL `LIMIT`).
    pub max_items: Option<usize>,
    /// The parts of each item to keep (`None`: all of it); the rest is skipped while parsing.
    pub items: Option<Arc<Shape>>,
    /// Read page after page, never several at once: for a reader that may stop early without `max_items` (rows
    /// checked after reading, then a SQL `LIMIT`), so that stopping wastes at most the page read ahead.
    pub sequential: bool,
    /// How deep the service reads an offset list, when it stops short of the end (a documented cap).
    pub depth_cap: Option<DepthCap>,
    /// Decodes each page straight from its bytes, for cursor lists (`None`: the shape's JSON tree).
    pub decoder: Option<Arc<dyn PageDecode>>,
    /// When set, each page after the first is requested only once the reader has added a permit (it has read the
    /// page before and wants the next): a reader that stops at a page wastes no request (see `exec::chains`).
    pub gate: Option<Arc<tokio::sync::Semaphore>>,
}

/// A list the service never reads beyond `max` items into (Cloud's user search stops at 10,000; Cloud's page
/// ancestors come `limit` at a time with no cursor): a list longer than that fails with `reason` instead of ending
/// short, whether its total, a next link, or the items of a list that ends say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthCap {
    /// Items the service returns at most.
    pub max: usize,
    /// Why, and what to do instead (the error's text).
    pub reason: &'static str,
}

impl PageRequest {
    /// A list read to the end, keeping every item whole.
    pub fn new(first: Url, pagination: Pagination) -> PageRequest {
        PageRequest {
            first,
            pagination,
            max_items: None,
            items: None,
            sequential: false,
            depth_cap: None,
            decoder: None,
            gate: None,
        }
    }

    /// The shape a page is parsed with: the items' shape under `results`, and the envelope (everything when the
    /// items are kept whole).
    fn page_shape(&self) -> Arc<Shape> {
        let Some(items) = &self.items else { return Arc::new(Shape::everything()) };
        let mut page = Shape::nothing();
        page.keep_shape(&["results"], items)
            .keep(&["_links", "next"])
            .keep(&["start"])
            .keep(&["limit"])
            .keep(&["size"])
            .keep(&["totalSize"]);
        Arc::new(page)
    }
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct Page {
    /// The URL it came from.
    pub url: Url,
    /// The body parsed, once, by the producer, to the request's shape (so the reader decodes rows from it while
    /// the next page is fetched and parsed; the raw bytes are not kept). With a [`PageDecode`], the envelope only
    /// (its `results` empty: the items are in `decoded`).
    pub document: Value,
    /// How many items it holds.
    pub items: usize,
    /// The items as the request's [`PageDecode`] decoded them, when it has one.
    pub decoded: Option<Arc<dyn Any + Send + Sync>>,
}

/// Decodes a cursor list's pages straight from their bytes, in the producer (instead of the shape's JSON tree):
/// e.g. into Arrow builders. It returns the envelope the paginator reads (`_links`, and for offset lists `start`,
/// `limit`, `size`, `totalSize`), the number of items, and the decoded items, which reach the reader as
/// [`Page::decoded`].
pub trait PageDecode: Send + Sync + fmt::Debug {
    /// Decodes one page body; an error says what is wrong with it.
    fn decode(&self, body: &[u8]) -> Result<DecodedPage, String>;
}

/// What a [`PageDecode`] made of a page.
pub struct DecodedPage {
    /// The envelope (every key the paginator reads; `results` may be absent or empty).
    pub envelope: Value,
    /// How many items `results` held.
    pub items: usize,
    /// The decoded items.
    pub rows: Arc<dyn Any + Send + Sync>,
}

/// What the paginator needs from a page: its size, where the list continues, and for offset lists the window and
/// the total.
#[derive(Debug)]
struct Envelope {
    items: usize,
    next: Option<String>,
    start: Option<usize>,
    limit: Option<usize>,
    total_size: Option<usize>,
}

impl Envelope {
    /// The envelope of a parsed page; `None` when it is not a list page (no `results` array).
    fn of(document: &Value) -> Option<Envelope> {
        let number =
            |key: &str| document.get(key).and_then(Value::as_u64).map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        Some(Envelope {
            items: document.get("results")?.as_array()?.len(),
            next: document.get("_links").and_then(|l| l.get("next")).and_then(Value::as_str).map(str::to_owned),
            start: number("start"),
            limit: number("limit"),
            total_size: number("totalSize"),
        })
    }
}

/// The `rel="next"` target of a `Link` header (RFC 8288: `<target>; param; param, <target>; ...`; a target may
/// itself hold commas); `None` when there is none or the header cannot be read.
fn link_header_next(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let mut rest = headers.get(reqwest::header::LINK)?.to_str().ok()?;
    loop {
        let after = &rest[rest.find('<')? + 1..];
        let close = after.find('>')?;
        let (target, tail) = (&after[..close], &after[close + 1..]);
        // The parameters run to the next link (the next `<`).
        let end = tail.find('<').unwrap_or(tail.len());
        let is_next = tail[..end].split([';', ',']).any(|param| {
            param.trim().strip_prefix("rel=").is_some_and(|rel| {
                rel.trim_matches('"').split_ascii_whitespace().any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &tail[end..];
    }
}

/// A stream of pages; dropping it stops the producer. When the producer fails (a panic included) the stream ends
/// with an error, never silently.
pub struct PageStream {
    receiver: mpsc::Receiver<Result<Page, RestError>>,
    producer: Option<JoinHandle<()>>,
}

impl Stream for PageStream {
    type Item = Result<Page, RestError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.receiver.poll_recv(cx) {
            Poll::Ready(None) => {}
            other => return other,
        }
        // The channel closed: the producer ended. A clean end is the end of the list; anything else is an error.
        let Some(producer) = self.producer.as_mut() else { return Poll::Ready(None) };
        match producer.poll_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(outcome) => {
                self.producer = None;
                match outcome {
                    Ok(()) => Poll::Ready(None),
                    Err(e) => {
                        let what = if e.is_panic() { "panicked" } else { "was cancelled" };
                        Poll::Ready(Some(Err(RestError::Internal(format!("the page reader {what} while paging")))))
                    }
                }
            }
        }
    }
}

impl Drop for PageStream {
    fn drop(&mut self) {
        if let Some(producer) = &self.producer {
            producer.abort();
        }
    }
}

/// How many pages of an offset list are requested at once once its total is known (each request still waits
/// for the connection's `MaxConcurrency` permits).
pub const PARALLEL_PAGES: usize = 4;

/// A fetched page with its envelope.
struct Fetched {
    url: Url,
    headers: reqwest::header::HeaderMap,
    envelope: Envelope,
    document: Value,
    /// A hash of each item, all of it (offset lists are checked for items served twice).
    fingerprints: Vec<u64>,
    /// The items, when a [`PageDecode`] decoded them.
    decoded: Option<Arc<dyn Any + Send + Sync>>,
}

async fn fetch(
    client: &ConfluenceClient,
    url: Url,
    metrics: &RequestMetrics,
    shape: &Shape,
    pagination: Pagination,
    decoder: Option<&Arc<dyn PageDecode>>,
) -> Result<Fetched, RestError> {
    let response = client.get(url.clone(), Some(metrics)).await?;
    let not_a_list = |message: String| RestError::Decode { path: url.path().to_owned(), message };
    if let (Some(decoder), Pagination::Cursor) = (decoder, pagination) {
        let decoded = decoder.decode(&response.body).map_err(|e| not_a_list(format!("not a list page: {e}")))?;
        let next = decoded.envelope.get("_links").and_then(|l| l.get("next")).and_then(Value::as_str);
        let envelope = Envelope {
            items: decoded.items,
            next: next.map(str::to_owned),
            start: None,
            limit: None,
            total_size: None,
        };
        return Ok(Fetched {
            url,
            headers: response.headers,
            envelope,
            document: decoded.envelope,
            fingerprints: Vec::new(),
            decoded: Some(decoded.rows),
        });
    }
    // Only offset lists can move under the reader (cursors stay put): only their items are fingerprinted.
    let parsed = match pagination {
        Pagination::Offset => shape.parse_list(&response.body),
        Pagination::Cursor => shape.parse(&response.body).map(|document| (document, Vec::new())),
        // The array, parsed with the items' shape, becomes a page's `results` (anything else is not a list).
        Pagination::Whole => shape
            .field("results")
            .parse(&response.body)
            .map(|items| (serde_json::json!({ "results": items }), Vec::new())),
        // The object, parsed with the items' shape, as the one item (anything but an object is refused).
        Pagination::One => shape.field("results").parse(&response.body).and_then(|item| match item {
            Value::Object(_) => Ok((serde_json::json!({ "results": [item] }), Vec::new())),
            _ => Err(serde::de::Error::custom("expected one JSON object")),
        }),
        Pagination::Arrays(arrays) => Shape::everything()
            .parse(&response.body)
            .map_err(|e| e.to_string())
            .and_then(|document| arrays_page(document, arrays, &url))
            .map_err(serde::de::Error::custom),
    };
    let (document, fingerprints) = parsed.map_err(|e| not_a_list(format!("not a list page: {e}")))?;
    let envelope = Envelope::of(&document).ok_or_else(|| not_a_list("not a list page: no results array".to_owned()))?;
    Ok(Fetched { url, headers: response.headers, envelope, document, fingerprints, decoded: None })
}

/// A [`Pagination::Arrays`] object as a list page: every list's elements, tagged, as `results`, and the next
/// window as `_links.next` when any list came full.
fn arrays_page(document: Value, arrays: &[ArrayAt], url: &Url) -> Result<(Value, Vec<u64>), String> {
    let asked = url.query_pairs().find(|(k, _)| k == "limit").and_then(|(_, v)| v.parse::<usize>().ok());
    let start = start_of(url).unwrap_or(0);
    let mut lists = Vec::with_capacity(arrays.len());
    for array in arrays {
        let list = array.path.iter().try_fold(&document, |v, key| v.get(key));
        let Some(list) = list.filter(|l| l.is_object()) else {
            return Err(format!("no list at {}", array.path.join(".")));
        };
        let Some(results) = list.get("results").and_then(Value::as_array) else {
            return Err(format!("no results array at {}", array.path.join(".")));
        };
        let number = |key: &str| list.get(key).and_then(Value::as_u64).and_then(|n| usize::try_from(n).ok());
        // A list that says it starts elsewhere than asked would repeat or skip items.
        if let Some(reported) = number("start").filter(|s| *s != start) {
            return Err(format!("its {} list starts at {reported}, not at {start} as asked", array.tag));
        }
        // The page size: what the server says it used, never more than what was asked.
        let limit = match (number("limit"), asked) {
            (Some(reported), Some(asked)) => Some(reported.min(asked)),
            (reported, asked) => reported.or(asked),
        };
        lists.push((array.tag, results, limit));
    }
    // The lists share one window: the next one starts where the narrowest ended.
    let Some(step) = lists.iter().filter_map(|(_, _, limit)| *limit).filter(|l| *l > 0).min() else {
        return Err("its lists say nothing of their page size (limit)".to_owned());
    };
    if let Some((tag, results, _)) = lists.iter().find(|(_, results, _)| results.len() > step) {
        return Err(format!("its {tag} list holds {} items, more than its page of {step}", results.len()));
    }
    let more = lists.iter().any(|(_, results, _)| results.len() == step);
    // Fixed keys: the fingerprints are compared with the previous page's (a window served twice).
    let fingerprint = |text: String| {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        text.hash(&mut hasher);
        hasher.finish()
    };
    let mut items = Vec::new();
    let mut fingerprints = Vec::new();
    for (tag, results, _) in &lists {
        for item in results.iter() {
            let item = serde_json::json!({ ARRAY_TAG: tag, ARRAY_ITEM: item });
            fingerprints.push(fingerprint(item.to_string()));
            items.push(item);
        }
    }
    let mut page = serde_json::json!({ "results": items });
    if more {
        let next = with_window(url, start.saturating_add(step), asked.unwrap_or(step));
        page["_links"] = serde_json::json!({ "next": next.as_str() });
    }
    Ok((page, fingerprints))
}

/// Why the reading stopped before the end of the list.
enum Halt {
    /// A failure, to hand to the reader.
    Failed(RestError),
    /// The reader dropped the stream.
    ReaderGone,
}

impl From<RestError> for Halt {
    fn from(error: RestError) -> Self {
        Halt::Failed(error)
    }
}

/// The rest of an offset list whose first page reported its total: pages `start + k·size` up to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FanOut {
    start: usize,
    size: usize,
    total: usize,
    end: usize,
}

impl FanOut {
    /// The URL of each remaining page, in order.
    fn urls(self, first: &Url) -> impl Iterator<Item = Url> + Send + 'static {
        let first = first.clone();
        (1..)
            .map(move |k: usize| self.start.saturating_add(k.saturating_mul(self.size)))
            .take_while(move |offset| self.size > 0 && *offset < self.end)
            .map(move |offset| with_window(&first, offset, self.size))
    }

    /// How many pages remain.
    fn pages(self) -> usize {
        if self.size == 0 {
            return 0;
        }
        self.end.saturating_sub(self.start).div_ceil(self.size).saturating_sub(1)
    }
}

/// `url` with `start` and `limit` replaced.
fn with_window(url: &Url, start: usize, limit: usize) -> Url {
    let kept: Vec<(String, String)> =
        url.query_pairs().filter(|(k, _)| k != "start" && k != "limit").map(|(k, v)| (k.into(), v.into())).collect();
    let mut out = url.clone();
    out.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("start", &start.to_string())
        .append_pair("limit", &limit.to_string());
    out
}

/// The `start` parameter of a URL.
fn start_of(url: &Url) -> Option<usize> {
    url.query_pairs().find(|(k, _)| k == "start").and_then(|(_, v)| v.parse().ok())
}

/// Reads one list, page by page, and checks what the server says about it.
struct ListReader {
    client: ConfluenceClient,
    request: PageRequest,
    metrics: Arc<RequestMetrics>,
    shape: Arc<Shape>,
    sender: mpsc::Sender<Result<Page, RestError>>,
    max_pages: usize,
    pages: usize,
    items: usize,
    visited: HashSet<u64>,
    hasher: std::collections::hash_map::RandomState,
    /// The fingerprints of the previous page's items.
    previous_items: Vec<u64>,
}

impl ListReader {
    fn failure(&self, message: String) -> RestError {
        RestError::Pagination { path: self.request.first.path().to_owned(), message }
    }

    /// Counts a page about to be requested; the list may not take more than `max_pages`.
    fn count_page(&mut self) -> Result<(), RestError> {
        self.pages += 1;
        if self.pages > self.max_pages {
            return Err(self.failure(format!(
                "it goes on beyond {} pages (MaxPages) after {} items; the server may be sending an endless list \
                 (raise MaxPages if the list is really that long, or narrow the query)",
                self.max_pages, self.items
            )));
        }
        Ok(())
    }

    /// Remembers a URL; the same URL twice is a loop.
    fn visit(&mut self, url: &Url) -> Result<(), RestError> {
        if !self.visited.insert(self.hasher.hash_one(url.as_str())) {
            return Err(self.failure(format!(
                "the server sent a next link it had already sent ({}), so the list would never end",
                crate::client::redact_query(url)
            )));
        }
        Ok(())
    }

    async fn run(mut self) {
        let failure = match self.read().await {
            Ok(()) | Err(Halt::ReaderGone) => return,
            Err(Halt::Failed(error)) => error,
        };
        let _ = self.sender.send(Err(failure)).await;
    }

    async fn read(&mut self) -> Result<(), Halt> {
        let mut next = Some(self.request.first.clone());
        let mut first_page = true;
        while let Some(url) = next.take() {
            if self.request.sequential && !first_page {
                // Not before the reader has taken the page before: a reader that stops there wastes at most the
                // one request this wait then lets start.
                drop(self.sender.reserve().await.map_err(|_| Halt::ReaderGone)?);
            }
            if let (Some(gate), false) = (&self.request.gate, first_page) {
                // Not before the reader has said it wants the next page: stopping wastes no request.
                gate.acquire().await.map_err(|_| Halt::ReaderGone)?.forget();
            }
            self.count_page()?;
            self.visit(&url)?;
            let decoder = self.request.decoder.as_ref();
            let fetched =
                fetch(&self.client, url, &self.metrics, &self.shape, self.request.pagination, decoder).await?;
            let fan_out = match (first_page, self.request.pagination) {
                (true, Pagination::Offset) => self.plan_fan_out(&fetched.envelope)?,
                _ => None,
            };
            first_page = false;
            next = self.deliver(fetched).await?;
            // With nothing to fan out to (a total that is an underestimate included), the next link goes on.
            match (fan_out.filter(|f| f.pages() > 0), next.is_some()) {
                (Some(fan_out), true) if !self.request.sequential => next = self.read_fan_out(fan_out).await?,
                (Some(fan_out), false) if self.request.max_items.is_none_or(|max| self.items < max) => {
                    return Err(self
                        .failure(format!(
                            "the server says it holds {} results but sent {} and no next page; run the query again",
                            fan_out.total, self.items
                        ))
                        .into());
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// For an offset list whose first page gives the total: the pages to request in parallel, bounded by
    /// `max_pages` (a total the server cannot mean is an error now, not a billion requests later).
    fn plan_fan_out(&self, first: &Envelope) -> Result<Option<FanOut>, RestError> {
        let Some(total) = first.total_size else { return Ok(None) };
        // Offsets are positions in the whole result list: step by the page size the server reports (a page may
        // hold fewer results, e.g. after permission checks), else by what came.
        let size = first.limit.filter(|l| *l > 0).unwrap_or(first.items);
        let start = first.start.unwrap_or(0);
        let end = self.request.max_items.map_or(total, |max| total.min(start.saturating_add(max)));
        let plan = FanOut { start, size, total, end };
        if let Some(cap) = self.request.depth_cap.filter(|cap| end > cap.max) {
            return Err(self.failure(format!(
                "the server holds {total} results but returns only the first {}: {}",
                cap.max, cap.reason
            )));
        }
        if plan.pages() >= self.max_pages {
            return Err(self.failure(format!(
                "the server says it holds {total} results, {} pages of {size}, beyond MaxPages ({}); narrow the \
                 query, or raise MaxPages if that is right",
                plan.pages() + 1,
                self.max_pages
            )));
        }
        Ok(Some(plan))
    }

    /// Reads the planned pages [`PARALLEL_PAGES`] at a time, in order, checking each against the total; returns
    /// where the list goes on after them (when the total was an underestimate).
    async fn read_fan_out(&mut self, plan: FanOut) -> Result<Option<Url>, Halt> {
        let remaining = plan.pages();
        for _ in 0..remaining {
            self.count_page()?;
        }
        let urls: Vec<Url> = plan.urls(&self.request.first).collect();
        for url in &urls {
            self.visit(url)?;
        }
        let (client, metrics, shape) = (self.client.clone(), self.metrics.clone(), self.shape.clone());
        let mut in_flight = futures::stream::iter(urls)
            .map(move |url| {
                let (client, metrics, shape) = (client.clone(), metrics.clone(), shape.clone());
                async move { fetch(&client, url, &metrics, &shape, Pagination::Offset, None).await }
            })
            .buffered(PARALLEL_PAGES);
        let mut index = 0usize;
        let mut next = None;
        while let Some(fetched) = in_flight.next().await {
            let fetched = fetched?;
            index += 1;
            let offset = plan.start.saturating_add(index.saturating_mul(plan.size));
            if let Some(total) = fetched.envelope.total_size.filter(|t| *t != plan.total) {
                return Err(self
                    .failure(format!(
                        "its total changed while it was read ({} results, then {total}): content changed meanwhile, \
                         or the server is misbehaving; run the query again",
                        plan.total
                    ))
                    .into());
            }
            if fetched.envelope.items == 0 {
                return Err(self
                    .failure(format!(
                        "the server said it holds {} results but sent an empty page at offset {offset}; run the \
                         query again",
                        plan.total
                    ))
                    .into());
            }
            let last = index == remaining;
            let following = self.deliver(fetched).await?;
            if last {
                next = following;
            } else if following.is_none() && self.request.max_items.is_some_and(|max| self.items >= max) {
                break;
            }
        }
        Ok(next)
    }

    /// Hands a page over after checking it, and works out the next one: `None` when the list is done.
    async fn deliver(&mut self, mut fetched: Fetched) -> Result<Option<Url>, Halt> {
        let items = fetched.envelope.items;
        self.items = self.items.saturating_add(items);
        if matches!(self.request.pagination, Pagination::Offset | Pagination::Arrays(_)) {
            if let Some(position) = fetched.fingerprints.iter().position(|f| self.previous_items.contains(f)) {
                return Err(self
                    .failure(format!(
                        "item {} of the page at {} came on the page before too: the list changed while it was read \
                         (or the server is misbehaving), so rows could be missing or repeated; run the query again",
                        position + 1,
                        crate::client::redact_query(&fetched.url)
                    ))
                    .into());
            }
            self.previous_items = std::mem::take(&mut fetched.fingerprints);
        }
        let link = match self.request.pagination {
            Pagination::Cursor => link_header_next(&fetched.headers).or(fetched.envelope.next.clone()),
            Pagination::Offset | Pagination::Arrays(_) => fetched.envelope.next.clone(),
            Pagination::Whole | Pagination::One => None,
        };
        let done = self.request.max_items.is_some_and(|max| self.items >= max);
        let mut next = None;
        if let (Some(link), false) = (link, done) {
            let url = self.client.dialect().resolve_next(
                &link,
                &fetched.url,
                self.request.pagination == Pagination::Offset,
            )?;
            if matches!(self.request.pagination, Pagination::Offset | Pagination::Arrays(_)) {
                if let (Some(cap), Some(then)) = (self.request.depth_cap, start_of(&url)) {
                    if then >= cap.max {
                        return Err(self
                            .failure(format!("the list goes on beyond the first {} results: {}", cap.max, cap.reason))
                            .into());
                    }
                }
                if let (Some(now), Some(then)) = (start_of(&fetched.url), start_of(&url)) {
                    if then <= now {
                        return Err(self
                            .failure(format!(
                                "the server's next page starts at {then}, not after {now}, so the list would never end"
                            ))
                            .into());
                    }
                }
            }
            next = Some(url);
        }
        // A list with no way to go further (no cursor past the cap, as Cloud's page ancestors) that reached the cap:
        // what lies beyond it cannot be read, so the answer may be short.
        if let (None, false, Some(cap)) = (&next, done, self.request.depth_cap) {
            if self.items > cap.max {
                return Err(self
                    .failure(format!(
                        "the list reached the {} items the service returns at most: {}",
                        cap.max + 1,
                        cap.reason
                    ))
                    .into());
            }
        }
        let page = Page { url: fetched.url, document: fetched.document, items, decoded: fetched.decoded };
        self.sender.send(Ok(page)).await.map_err(|_| Halt::ReaderGone)?;
        Ok(next)
    }
}

/// Reads a list page by page. Must be called within a tokio runtime.
///
/// An offset list whose first page reports its `totalSize` (CQL searches) is then read [`PARALLEL_PAGES`] pages at
/// a time, in order; if the total was an underestimate, the last page's next link is followed as usual. Empty
/// pages do not end a list (a server may filter a page down to nothing); its last page is the one without a next
/// link.
pub fn pages(client: ConfluenceClient, request: PageRequest, metrics: Arc<RequestMetrics>) -> PageStream {
    let (sender, receiver) = mpsc::channel(1);
    let shape = request.page_shape();
    let max_pages = client.limits().max_pages.max(1);
    let reader = ListReader {
        client,
        request,
        metrics,
        shape,
        sender,
        max_pages,
        pages: 0,
        items: 0,
        visited: HashSet::new(),
        hasher: std::collections::hash_map::RandomState::new(),
        previous_items: Vec::new(),
    };
    let producer = tokio::spawn(reader.run());
    PageStream { receiver, producer: Some(producer) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, LINK};

    #[test]
    fn the_rest_of_an_offset_list_is_one_url_per_page() {
        let first = Url::parse("https://x/wiki/rest/api/search?cql=type%3Dpage&limit=100&expand=content")
            .unwrap_or_else(|_| unreachable!());
        let plan = |end| FanOut { start: 0, size: 100, total: 350, end };
        let urls: Vec<String> = plan(350).urls(&first).map(|u| u.query().unwrap_or("").to_owned()).collect();
        assert_eq!(
            urls,
            [
                "cql=type%3Dpage&expand=content&start=100&limit=100",
                "cql=type%3Dpage&expand=content&start=200&limit=100",
                "cql=type%3Dpage&expand=content&start=300&limit=100"
            ]
        );
        assert_eq!(plan(350).pages(), 3);
        assert_eq!(plan(150).urls(&first).count(), 1, "a LIMIT caps the fan-out");
        assert_eq!(plan(150).pages(), 1);
        assert_eq!(FanOut { size: 0, ..plan(350) }.urls(&first).count(), 0, "an empty first page stops");
        assert_eq!(plan(100).pages(), 0);
        let huge = FanOut { start: 0, size: 100, total: usize::MAX, end: usize::MAX };
        assert_eq!(huge.pages(), usize::MAX / 100, "counted, not iterated");
    }

    #[test]
    fn reads_the_next_link_from_the_link_header() {
        let mut h = HeaderMap::new();
        let mut next = |value: &'static str| {
            h.insert(LINK, HeaderValue::from_static(value));
            link_header_next(&h)
        };
        assert_eq!(
            next("</wiki/api/v2/pages?cursor=abc>; rel=\"next\", <https://x/wiki>; rel=\"base\""),
            Some("/wiki/api/v2/pages?cursor=abc".to_owned())
        );
        assert_eq!(next("<https://x/wiki>; rel=\"base\""), None);
        assert_eq!(next("<https://x/wiki>; rel=\"base\", </n?c=1>; rel=next"), Some("/n?c=1".to_owned()));
        assert_eq!(next("</n?c=2>; title=\"x\"; rel=\"prev next\""), Some("/n?c=2".to_owned()));
        // A target may hold commas (an echoed `status=current,archived`).
        assert_eq!(
            next("</p?status=current,archived&cursor=x>; rel=\"next\", </w>; rel=\"base\""),
            Some("/p?status=current,archived&cursor=x".to_owned())
        );
        assert_eq!(next("</w>; rel=\"base\", </p?a=1,2>; rel=\"next\""), Some("/p?a=1,2".to_owned()));
        // Malformed headers (`>` before `<` once panicked a worker) have no next link.
        for broken in [">oops<; rel=\"next\"", "<; rel=\"next\"", ">", "<", "rel=\"next\"", "<a>rel=\"nextish\""] {
            assert_eq!(next(broken), None, "{broken}");
        }
    }

    /// A producer that panicked once made the stream end as if the list had ended: partial rows, exit code 0.
    #[tokio::test]
    async fn a_panicking_producer_ends_the_stream_with_an_error() {
        let (sender, receiver) = mpsc::channel::<Result<Page, RestError>>(1);
        let producer = tokio::spawn(async move {
            let page = Page {
                url: Url::parse("https://x/").unwrap_or_else(|_| unreachable!()),
                document: Value::Null,
                items: 1,
                decoded: None,
            };
            let _ = sender.send(Ok(page)).await;
            panic!("a bug in the producer");
        });
        let mut stream = PageStream { receiver, producer: Some(producer) };
        assert!(matches!(stream.next().await, Some(Ok(_))));
        let end = stream.next().await;
        assert!(matches!(&end, Some(Err(RestError::Internal(m))) if m.contains("panicked")), "{end:?}");
        assert!(stream.next().await.is_none());
    }

    #[test]
    fn start_of_an_offset_url() {
        let start = Url::parse("https://x/rest/api/content?start=25&limit=25").ok();
        assert_eq!(start.as_ref().and_then(start_of), Some(25));
    }

    const LISTS: &[ArrayAt] = &[
        ArrayAt { path: &["restrictions", "user"], tag: "user" },
        ArrayAt { path: &["restrictions", "group"], tag: "group" },
    ];

    fn restriction(users: usize, groups: usize, limit: usize) -> Value {
        let list = |n: usize, key: &str| {
            let results: Vec<Value> = (0..n).map(|i| serde_json::json!({ key: format!("{key}{i}") })).collect();
            serde_json::json!({"results": results, "start": 0, "limit": limit, "size": n})
        };
        serde_json::json!({"operation": "read", "restrictions": {"user": list(users, "accountId"), "group": list(groups, "name")}})
    }

    #[test]
    fn lists_sharing_a_window_are_one_page_of_tagged_items() {
        let url = Url::parse("https://x/wiki/rest/api/content/1/restriction/byOperation/read?limit=2")
            .unwrap_or_else(|_| unreachable!());
        let (page, fingerprints) = arrays_page(restriction(1, 2, 2), LISTS, &url).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fingerprints.len(), 3);
        // The same items give the same fingerprints on another page (a window served twice is then caught).
        let (_, again) = arrays_page(restriction(1, 2, 2), LISTS, &url).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fingerprints, again);
        let items = page["results"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], serde_json::json!({"of": "user", "item": {"accountId": "accountId0"}}));
        assert_eq!(items[2]["of"], "group");
        // The group list came full: the next window starts after it.
        assert_eq!(
            page["_links"]["next"].as_str(),
            Some("https://x/wiki/rest/api/content/1/restriction/byOperation/read?start=2&limit=2")
        );
        let (last, _) = arrays_page(restriction(1, 1, 2), LISTS, &url).unwrap_or_else(|e| panic!("{e}"));
        assert!(last.get("_links").is_none(), "{last}");
        // A server saying it used a larger page than asked: the window asked for is what was read.
        let (wide, _) = arrays_page(restriction(2, 0, 200), LISTS, &url).unwrap_or_else(|e| panic!("{e}"));
        assert!(wide["_links"]["next"].as_str().is_some_and(|n| n.contains("start=2")), "{wide}");
    }

    #[test]
    fn lists_that_cannot_be_windowed_are_errors() {
        let url = Url::parse("https://x/r?limit=2").unwrap_or_else(|_| unreachable!());
        let missing = serde_json::json!({"restrictions": {"user": {"results": [], "limit": 2}}});
        assert!(arrays_page(missing, LISTS, &url).unwrap_err().contains("restrictions.group"));
        let long = restriction(3, 0, 2);
        assert!(arrays_page(long, LISTS, &url).unwrap_err().contains("more than its page of 2"));
        // More than asked, whatever the server says its page was.
        let over = restriction(3, 0, 200);
        assert!(arrays_page(over, LISTS, &url).unwrap_err().contains("more than its page of 2"));
        // A window elsewhere than asked (a server ignoring start).
        let later = Url::parse("https://x/r?limit=2&start=2").unwrap_or_else(|_| unreachable!());
        assert!(arrays_page(restriction(2, 0, 2), LISTS, &later).unwrap_err().contains("starts at 0, not at 2"));
        let no_limit = serde_json::json!({"restrictions": {"user": {"results": []}, "group": {"results": []}}});
        let bare = Url::parse("https://x/r").unwrap_or_else(|_| unreachable!());
        assert!(arrays_page(no_limit, LISTS, &bare).unwrap_err().contains("page size"));
    }
}
