//! Paginated lists as streams of pages. A producer task fetches page after page and hands each one over through
//! a one-slot channel, so the next page is requested while the current one is decoded, memory stays bounded (one
//! page decoding, one waiting), and dropping the stream stops the fetching. Only the envelope (`results` count,
//! next link) is read here; rows are decoded by the caller straight from the page's bytes.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use serde::de::IgnoredAny;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use crate::client::ConfluenceClient;
use crate::error::RestError;
use crate::metrics::RequestMetrics;

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
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct Page {
    /// The URL it came from.
    pub url: Url,
    /// The JSON body, to decode.
    pub body: Bytes,
    /// How many items it holds.
    pub items: usize,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    results: Vec<IgnoredAny>,
    #[serde(rename = "_links", default)]
    links: Links,
}

#[derive(Deserialize, Default)]
struct Links {
    next: Option<String>,
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

/// Reads a list page by page. Must be called within a tokio runtime.
pub fn pages(client: ConfluenceClient, request: PageRequest, metrics: Arc<RequestMetrics>) -> PageStream {
    let (sender, receiver) = mpsc::channel(1);
    let producer = tokio::spawn(async move {
        let mut next = Some(request.first.clone());
        let mut seen = 0usize;
        while let Some(url) = next.take() {
            let response = match client.get(url.clone(), Some(&metrics)).await {
                Ok(response) => response,
                Err(e) => {
                    let _ = sender.send(Err(e)).await;
                    return;
                }
            };
            let envelope: Envelope = match serde_json::from_slice(&response.body) {
                Ok(envelope) => envelope,
                Err(e) => {
                    let error =
                        RestError::Decode { path: url.path().to_owned(), message: format!("not a list page: {e}") };
                    let _ = sender.send(Err(error)).await;
                    return;
                }
            };
            let items = envelope.results.len();
            seen += items;
            let link = match request.pagination {
                Pagination::Cursor => link_header_next(&response.headers).or(envelope.links.next),
                Pagination::Offset => envelope.links.next,
            };
            let done = items == 0 || request.max_items.is_some_and(|max| seen >= max);
            if let (Some(link), false) = (link, done) {
                match client.dialect().resolve_next(&link, request.pagination == Pagination::Offset) {
                    Ok(url) => next = Some(url),
                    Err(e) => {
                        let _ = sender.send(Err(e)).await;
                        return;
                    }
                }
            }
            if sender.send(Ok(Page { url, body: response.body, items })).await.is_err() {
                return;
            }
        }
    });
    PageStream { receiver, producer }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, LINK};

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
