//! The shared state of a running simulator.

use std::sync::atomic::AtomicBool;

use crate::config::SimConfig;
use crate::faults::Faults;
use crate::metrics::Metrics;
use crate::oauth::tokens::TokenRegistry;
use crate::store::Store;

/// Everything the handlers share.
#[derive(Debug)]
pub struct SimState {
    /// The configuration it started with.
    pub config: SimConfig,
    /// The site's content.
    pub store: Store,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The media service (Cloud attachment downloads): `http://127.0.0.1:<another port>`.
    pub media_url: String,
    /// Counters and request log.
    pub metrics: Metrics,
    /// Active fault rules.
    pub faults: Faults,
    /// OAuth codes and tokens.
    pub tokens: TokenRegistry,
    /// Approve authorizations without a consent page.
    pub auto_approve: AtomicBool,
    /// The last CQL searches' results.
    pub search_cache: crate::search::SearchCache,
}

impl SimState {
    /// The site URL (`base_url` on Cloud and Data Center alike).
    pub fn site_url(&self) -> &str {
        &self.base_url
    }

    /// `_links.base` of Cloud responses: the site URL with `/wiki`.
    pub fn wiki_base(&self) -> String {
        format!("{}/wiki", self.base_url)
    }

    /// The current time in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}
