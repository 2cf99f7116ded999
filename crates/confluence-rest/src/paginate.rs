//! Paginated lists as streams of pages. A producer task fetches page after page and hands each one over through
//! a one-slot channel, so the next page is requested while the current one is decoded, memory stays bounded (one
//! page decoding, one waiting, and for a search whose total is known at most [`PARALLEL_PAGES`] in flight), and
//! dropping the stream stops the fetching. Each page is parsed once, here, so the caller decodes its rows from the
//! parsed document while the next page is fetched and parsed.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
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
}

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
}

impl PageRequest {
    /// A list read to the end, keeping every item whole.
    pub fn new(first: Url, pagination: Pagination) -> PageRequest {
        PageRequest { first, pagination, max_items: None, items: None }
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
    /// the next page is fetched and parsed; the raw bytes are not kept).
    pub document: Value,
    /// How many items it holds.
    pub items: usize,
}

/// What the paginator needs from a page: its size, where the list continues, and for offset lists the window and
/// the total.
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
        let number = |key: &str| document.get(key).and_then(Value::as_u64).map(|n| n as usize);
        Some(Envelope {
            items: document.get("results")?.as_array()?.len(),
            next: document.get("_links").and_then(|l| l.get("next")).and_then(Value::as_str).map(str::to_owned),
            start: number("start"),
            limit: number("limit"),
            total_size: number("totalSize"),
        })
    }
}

/// The next link of a v2 response's `Link` header.
fn link_header_next(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let value = headers.get(reqwest::header::LINK)?.to_str().ok()?;
    value.split(',').find(|part| part.contains("rel=\"next\"")).and_then(|part| {
        let start = part.find('<')? + 1;
        let end = part.find('>')?;
        Some(part[start..end].to_owned())
    })
}

/// A stream of pages; dropping it stops the producer.
pub struct PageStream {
    receiver: mpsc::Receiver<Result<Page, RestError>>,
    producer: JoinHandle<()>,
}

impl Stream for PageStream {
    type Item = Result<Page, RestError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}

impl Drop for PageStream {
    fn drop(&mut self) {
        self.producer.abort();
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
}

async fn fetch(
    client: &ConfluenceClient,
    url: Url,
    metrics: &RequestMetrics,
    shape: &Shape,
) -> Result<Fetched, RestError> {
    let response = client.get(url.clone(), Some(metrics)).await?;
    let not_a_list = |message: String| RestError::Decode { path: url.path().to_owned(), message };
    let document = shape.parse(&response.body).map_err(|e| not_a_list(format!("not a list page: {e}")))?;
    let envelope = Envelope::of(&document).ok_or_else(|| not_a_list("not a list page: no results array".to_owned()))?;
    Ok(Fetched { url, headers: response.headers, envelope, document })
}

/// The URLs of the rest of an offset list whose first page (at `start`, pages of `size`) reported `total`: one
/// per page of `size`, up to the total (or `max_items` from the start).
fn remaining_pages(
    first: &Url,
    start: usize,
    size: usize,
    total: usize,
    max_items: Option<usize>,
) -> impl Iterator<Item = Url> + Send + 'static {
    let end = max_items.map_or(total, |max| total.min(start.saturating_add(max)));
    let first = first.clone();
    (1..)
        .map(move |k: usize| start.saturating_add(k.saturating_mul(size)))
        .take_while(move |offset| size > 0 && *offset < end)
        .map(move |offset| {
            let mut url = first.clone();
            let kept: Vec<(String, String)> = first
                .query_pairs()
                .filter(|(k, _)| k != "start" && k != "limit")
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            url.query_pairs_mut()
                .clear()
                .extend_pairs(kept)
                .append_pair("start", &offset.to_string())
                .append_pair("limit", &size.to_string());
            url
        })
}

/// Reads a list page by page. Must be called within a tokio runtime.
///
/// An offset list whose first page reports its `totalSize` (CQL searches) is then read [`PARALLEL_PAGES`] pages at
/// a time, in order; if the total was an underestimate, the last page's next link is followed as usual.
pub fn pages(client: ConfluenceClient, request: PageRequest, metrics: Arc<RequestMetrics>) -> PageStream {
    let (sender, receiver) = mpsc::channel(1);
    let producer = tokio::spawn(async move {
        let mut next = Some(request.first.clone());
        let mut seen = 0usize;
        let mut first_page = true;
        let shape = request.page_shape();
        while let Some(url) = next.take() {
            let fetched = fetch(&client, url, &metrics, &shape).await;
            let fan_out = match (&fetched, first_page, request.pagination) {
                (Ok(first), true, Pagination::Offset) => first.envelope.total_size.map(|total| {
                    remaining_pages(
                        &first.url,
                        first.envelope.start.unwrap_or(0),
                        // Offsets are positions in the whole result list: step by the page size the server
                        // reports (a page may hold fewer results, e.g. after permission checks), else by what came.
                        first.envelope.limit.filter(|l| *l > 0).unwrap_or(first.envelope.items),
                        total,
                        request.max_items,
                    )
                }),
                _ => None,
            };
            first_page = false;
            let Some(following) = deliver(&client, &request, fetched, &mut seen, &sender).await else { return };
            next = following;
            let (Some(rest), Some(_)) = (fan_out, next.as_ref()) else { continue };
            let mut in_flight = futures::stream::iter(rest)
                .map(|url| {
                    let (client, metrics, shape) = (client.clone(), metrics.clone(), shape.clone());
                    async move { fetch(&client, url, &metrics, &shape).await }
                })
                .buffered(PARALLEL_PAGES);
            while let Some(fetched) = in_flight.next().await {
                let Some(following) = deliver(&client, &request, fetched, &mut seen, &sender).await else { return };
                next = following;
                if next.is_none() {
                    break;
                }
            }
        }
    });
    PageStream { receiver, producer }
}

/// Hands a page (or its error) over and works out the next one: `Some(None)` when the list is done, `None` when
/// the reading stops (an error was sent, or the reader is gone).
async fn deliver(
    client: &ConfluenceClient,
    request: &PageRequest,
    fetched: Result<Fetched, RestError>,
    seen: &mut usize,
    sender: &mpsc::Sender<Result<Page, RestError>>,
) -> Option<Option<Url>> {
    let fetched = match fetched {
        Ok(fetched) => fetched,
        Err(e) => {
            let _ = sender.send(Err(e)).await;
            return None;
        }
    };
    let items = fetched.envelope.items;
    *seen += items;
    let link = match request.pagination {
        Pagination::Cursor => link_header_next(&fetched.headers).or(fetched.envelope.next),
        Pagination::Offset => fetched.envelope.next,
    };
    let done = items == 0 || request.max_items.is_some_and(|max| *seen >= max);
    let mut next = None;
    if let (Some(link), false) = (link, done) {
        match client.dialect().resolve_next(&link, request.pagination == Pagination::Offset) {
            Ok(url) => next = Some(url),
            Err(e) => {
                let _ = sender.send(Err(e)).await;
                return None;
            }
        }
    }
    sender.send(Ok(Page { url: fetched.url, document: fetched.document, items })).await.ok()?;
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, LINK};

    #[test]
    fn the_rest_of_an_offset_list_is_one_url_per_page() {
        let first = Url::parse("https://x/wiki/rest/api/search?cql=type%3Dpage&limit=100&expand=content")
            .unwrap_or_else(|_| unreachable!());
        let urls: Vec<String> =
            remaining_pages(&first, 0, 100, 350, None).map(|u| u.query().unwrap_or("").to_owned()).collect();
        assert_eq!(
            urls,
            [
                "cql=type%3Dpage&expand=content&start=100&limit=100",
                "cql=type%3Dpage&expand=content&start=200&limit=100",
                "cql=type%3Dpage&expand=content&start=300&limit=100"
            ]
        );
        assert_eq!(remaining_pages(&first, 0, 100, 350, Some(150)).count(), 1, "a LIMIT caps the fan-out");
        assert_eq!(remaining_pages(&first, 0, 0, 350, None).count(), 0, "an empty first page stops");
        assert_eq!(remaining_pages(&first, 0, 100, 100, None).count(), 0);
    }

    #[test]
    fn reads_the_next_link_from_the_link_header() {
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static("</wiki/api/v2/pages?cursor=abc>; rel=\"next\", <https://x/wiki>; rel=\"base\""),
        );
        assert_eq!(link_header_next(&h), Some("/wiki/api/v2/pages?cursor=abc".to_owned()));
        h.insert(LINK, HeaderValue::from_static("<https://x/wiki>; rel=\"base\""));
        assert_eq!(link_header_next(&h), None);
    }
}
