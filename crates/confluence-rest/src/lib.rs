//! The HTTP side of confluence-sql: one [`ConfluenceClient`] per connection talks to Confluence Cloud (REST v2
//! and v1, on the site or behind the API gateway) or Data Center (REST), with authentication from a
//! [`TokenSource`], paginated lists as streams ([`paginate::pages`]), safe CQL ([`cql::CqlQuery`]), retries with
//! backoff and a shared 429 backoff ([`retry`]), a concurrency limit, and request metrics ([`metrics`]).
//! It knows nothing about Arrow or SQL.

#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod config;
pub mod cql;
pub mod dialect;
pub mod error;
pub mod metrics;
pub mod paginate;
pub mod retry;
pub mod shape;

pub use auth::{BasicAuth, BearerToken, TokenSource};
pub use client::{ConfluenceClient, FileUpload, Response};
pub use config::{ClientConfig, Limits, Timeouts};
pub use dialect::Dialect;
pub use error::RestError;
pub use metrics::{MetricsSnapshot, RequestMetrics};
pub use paginate::{
    pages, ArrayAt, DecodedPage, DepthCap, Page, PageDecode, PageRequest, PageStream, Pagination, ARRAY_ITEM,
    ARRAY_TAG, PARALLEL_PAGES,
};
/// HTTP methods, for [`ConfluenceClient::send`].
pub use reqwest::Method;
pub use retry::{RetryPolicy, ThrottleWait};
pub use shape::Shape;
