//! What the simulator was asked: per-endpoint counters and a bounded request log, so tests can assert how many
//! requests a query cost (and which ones).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

/// How many requests the log keeps (oldest dropped first).
pub const REQUEST_LOG_CAPACITY: usize = 20_000;

/// One request as the simulator saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// Sequence number, from 1.
    pub seq: u64,
    /// `GET`, `POST`...
    pub method: String,
    /// The route, e.g. `/wiki/api/v2/pages/{id}` (gateway prefix removed).
    pub endpoint: String,
    /// The path as requested.
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The response status.
    pub status: u16,
    /// Whether it came through the API gateway (`/ex/confluence/{cloudid}`).
    pub via_gateway: bool,
    /// The fault injected, if any (`429`, `5xx`, `malformed`, `truncated`, `reset`, `latency`).
    pub fault: Option<String>,
}

/// Counters and the request log.
#[derive(Debug, Default)]
pub struct Metrics {
    seq: AtomicU64,
    by_endpoint: Mutex<BTreeMap<String, u64>>,
    log: Mutex<VecDeque<RequestRecord>>,
}

/// A snapshot of the counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// All requests.
    pub total: u64,
    /// Requests per `METHOD /route`.
    pub endpoints: BTreeMap<String, u64>,
}

impl Counters {
    /// Requests to `METHOD /route` (e.g. `GET /wiki/api/v2/pages`).
    pub fn get(&self, endpoint: &str) -> u64 {
        self.endpoints.get(endpoint).copied().unwrap_or(0)
    }
}

impl Metrics {
    /// The next sequence number.
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Records a finished request.
    pub fn record(&self, record: RequestRecord) {
        let key = format!("{} {}", record.method, record.endpoint);
        *lock(&self.by_endpoint).entry(key).or_default() += 1;
        let mut log = lock(&self.log);
        if log.len() == REQUEST_LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(record);
    }

    /// The counters now.
    pub fn counters(&self) -> Counters {
        let endpoints = lock(&self.by_endpoint).clone();
        Counters { total: endpoints.values().sum(), endpoints }
    }

    /// The request log, oldest first.
    pub fn log(&self) -> Vec<RequestRecord> {
        lock(&self.log).iter().cloned().collect()
    }

    /// Zeroes the counters and empties the log.
    pub fn reset(&self) {
        lock(&self.by_endpoint).clear();
        lock(&self.log).clear();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
