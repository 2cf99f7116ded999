//! Hostile behaviours, for testing that a client trusts nothing a server says: next links to another origin, next
//! links that loop or never end, totals that lie, absurd `Retry-After` values, malformed `Link` headers, oversized
//! and trickling bodies, and offset pages that shift as if an item had been inserted while a list was read. They
//! are fault rules like the others ([`crate::FaultRule`]), so tests switch them on per endpoint and at run time.
//!
//! Request-side behaviours rewrite the query before the handler runs; response-side ones rewrite a successful list
//! response after it.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;

/// The hostile part of a request's fate (all off by default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostilePlan {
    /// Every next link (in the body and the `Link` header) becomes this URL.
    pub next_link: Option<String>,
    /// Every next link points back at the request itself.
    pub repeat_next: bool,
    /// Every list page has a next link, with an ever-new query (offset lists move `start` on), forever.
    pub endless: bool,
    /// No list page has a next link (whatever its total says).
    pub no_next: bool,
    /// Lists that report a `totalSize` report this one.
    pub total_size: Option<u64>,
    /// The `Retry-After` of a 429, exactly as written here.
    pub retry_after: Option<String>,
    /// The `Link` header of a list, exactly as written here.
    pub link_header: Option<String>,
    /// Bodies grow by this many bytes of trailing whitespace.
    pub pad_bytes: u64,
    /// Bodies are sent 64 bytes at a time, this far apart.
    pub trickle: Duration,
    /// Offset pages after the first start one item early, as if an item had been inserted at the front.
    pub shift_offsets: bool,
}

impl HostilePlan {
    /// Whether any behaviour is on.
    pub fn is_active(&self) -> bool {
        *self != HostilePlan::default()
    }

    /// The short names of the behaviours on, for the request log.
    pub fn label(&self) -> Option<String> {
        let mut names = Vec::new();
        let flags = [
            (self.next_link.is_some(), "foreign-next"),
            (self.repeat_next, "repeat-next"),
            (self.endless, "endless"),
            (self.no_next, "no-next"),
            (self.total_size.is_some(), "total-size"),
            (self.retry_after.is_some(), "retry-after"),
            (self.link_header.is_some(), "link-header"),
            (self.pad_bytes > 0, "padded"),
            (!self.trickle.is_zero(), "trickle"),
            (self.shift_offsets, "shifted"),
        ];
        for (on, name) in flags {
            if on {
                names.push(name);
            }
        }
        (!names.is_empty()).then(|| names.join("+"))
    }

    /// The query to hand the handler: with `shift_offsets`, a `start` after the first page moves back by one.
    pub fn rewrite_query(&self, query: &str) -> Option<String> {
        if !self.shift_offsets {
            return None;
        }
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let start = pairs.iter().find(|(k, _)| k == "start").and_then(|(_, v)| v.parse::<u64>().ok())?;
        if start == 0 {
            return None;
        }
        let shifted = pairs.into_iter().map(|(k, v)| if k == "start" { (k, (start - 1).to_string()) } else { (k, v) });
        Some(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(shifted).finish())
    }

    /// Applies the response-side behaviours to a successful response of `path?query` (the site path, under
    /// `/wiki` on Cloud).
    pub async fn apply(&self, response: Response, path: &str, query: &str) -> Response {
        if !response.status().is_success() {
            return response;
        }
        let (mut parts, body) = response.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
            return Response::from_parts(parts, Body::empty());
        };
        let mut bytes = bytes.to_vec();
        if let Ok(mut document) = serde_json::from_slice::<Value>(&bytes) {
            if document.get("results").is_some_and(Value::is_array) {
                let next = self.rewrite_links(&mut document, path, query);
                if self.no_next {
                    if let Some(links) = document.get_mut("_links").and_then(Value::as_object_mut) {
                        links.remove("next");
                    }
                    parts.headers.remove(header::LINK);
                }
                if let Some(next) = next {
                    let value = format!("<{next}>; rel=\"next\"");
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        parts.headers.insert(header::LINK, value);
                    }
                }
                if let Some(raw) = &self.link_header {
                    if let Ok(value) = HeaderValue::from_str(raw) {
                        parts.headers.insert(header::LINK, value);
                    }
                }
                bytes = serde_json::to_vec(&document).unwrap_or(bytes);
            }
        }
        bytes.resize(bytes.len() + self.pad_bytes as usize, b' ');
        parts.headers.remove(header::CONTENT_LENGTH);
        if self.trickle.is_zero() {
            return Response::from_parts(parts, Body::from(bytes));
        }
        let trickle = self.trickle;
        let chunks: Vec<Bytes> = bytes.chunks(64).map(Bytes::copy_from_slice).collect();
        let stream = futures::stream::unfold(chunks.into_iter(), move |mut rest| async move {
            let chunk = rest.next()?;
            tokio::time::sleep(trickle).await;
            Some((Ok::<Bytes, std::io::Error>(chunk), rest))
        });
        Response::from_parts(parts, Body::from_stream(stream))
    }

    /// Rewrites `_links.next` and `totalSize`; returns the next link when it was rewritten (for the header).
    fn rewrite_links(&self, document: &mut Value, path: &str, query: &str) -> Option<String> {
        if let (Some(total), Some(slot)) = (self.total_size, document.get_mut("totalSize")) {
            *slot = Value::from(total);
        }
        let next = if let Some(link) = &self.next_link {
            Some(link.clone())
        } else if self.repeat_next {
            Some(format!("{path}?{query}"))
        } else if self.endless {
            Some(endless_next(path, query))
        } else {
            None
        }?;
        if let Some(links) = document.get_mut("_links").and_then(Value::as_object_mut) {
            links.insert("next".to_owned(), Value::String(next.clone()));
        } else if let Some(object) = document.as_object_mut() {
            object.insert("_links".to_owned(), serde_json::json!({ "next": next }));
        }
        Some(next)
    }
}

/// The next link of an endless list: `sim-endless` counts up, and an offset list's `start` moves on by its
/// `limit`, so every link is new.
fn endless_next(path: &str, query: &str) -> String {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let count = pairs.iter().find(|(k, _)| k == "sim-endless").and_then(|(_, v)| v.parse::<u64>().ok()).unwrap_or(0);
    let limit = pairs.iter().find(|(k, _)| k == "limit").and_then(|(_, v)| v.parse::<u64>().ok()).unwrap_or(25);
    pairs.retain(|(k, _)| k != "sim-endless");
    let offset_list = path.contains("/rest/api/");
    let start = pairs.iter().find(|(k, _)| k == "start").and_then(|(_, v)| v.parse::<u64>().ok()).unwrap_or(0);
    if offset_list {
        pairs.retain(|(k, _)| k != "start");
        pairs.push(("start".to_owned(), (start + limit.max(1)).to_string()));
    }
    pairs.push(("sim-endless".to_owned(), (count + 1).to_string()));
    format!("{path}?{}", url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifted_offsets_and_endless_links() {
        let plan = HostilePlan { shift_offsets: true, ..HostilePlan::default() };
        assert_eq!(plan.rewrite_query("cql=x&start=25&limit=25").as_deref(), Some("cql=x&start=24&limit=25"));
        assert_eq!(plan.rewrite_query("cql=x&limit=25"), None);
        assert_eq!(plan.rewrite_query("start=0"), None);
        let next = endless_next("/rest/api/content", "start=50&limit=25&sim-endless=2");
        assert_eq!(next, "/rest/api/content?limit=25&start=75&sim-endless=3");
        assert_eq!(endless_next("/rest/api/content", "limit=5"), "/rest/api/content?limit=5&start=5&sim-endless=1");
        assert_eq!(endless_next("/wiki/api/v2/pages", "limit=5"), "/wiki/api/v2/pages?limit=5&sim-endless=1");
        assert_eq!(
            HostilePlan { endless: true, pad_bytes: 5, ..HostilePlan::default() }.label().as_deref(),
            Some("endless+padded")
        );
    }
}
