//! Request metrics: how many requests a query made, how many were retried or throttled, bytes and rows. One set
//! per scan partition (read by `EXPLAIN ANALYZE`) and one per connection (read by the REPL).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters, updated lock-free by concurrent requests.
#[derive(Debug, Default)]
pub struct RequestMetrics {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    bytes: AtomicU64,
    rows: AtomicU64,
}

/// A snapshot of [`RequestMetrics`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// Requests that were retries.
    pub retries: u64,
    /// 429 responses received.
    pub throttled: u64,
    /// Response body bytes.
    pub bytes: u64,
    /// Rows decoded.
    pub rows: u64,
}

impl RequestMetrics {
    /// Counts a request sent.
    pub fn add_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a retry.
    pub fn add_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a 429.
    pub fn add_throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds response bytes.
    pub fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds decoded rows.
    pub fn add_rows(&self, n: u64) {
        self.rows.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
        }
    }
}
