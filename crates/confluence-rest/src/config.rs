//! [`ClientConfig`]: everything the HTTP client of a connection is built from (user agent, concurrency, timeouts,
//! proxy, TLS trust, the limits that keep a hostile server from exhausting the driver, retries). The SQL layer
//! builds it once from the connection's options; this crate knows nothing of connection strings.

use std::path::PathBuf;
use std::time::Duration;

use connstr::ProxyUrl;

use crate::error::RestError;
use crate::retry::RetryPolicy;

/// How long requests may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// The whole request, from connecting to the last byte of the body; `None` puts no limit on it (the other two
    /// still apply, so a dead or stalled server is never waited on forever).
    pub request: Option<Duration>,
    /// Establishing the connection (TCP and TLS).
    pub connect: Duration,
    /// The longest silence while reading a response (a server that stops sending).
    pub idle: Duration,
}

impl Timeouts {
    /// The timeouts for `Timeout` seconds (`None` for `Timeout=0`): connecting takes at most 30 s (or the request
    /// timeout if shorter) and a silence of the request timeout (5 minutes without one) ends the read.
    pub fn for_request_timeout(request: Option<Duration>) -> Timeouts {
        let connect = request.map_or(Duration::from_secs(30), |t| t.min(Duration::from_secs(30)));
        let idle = request.unwrap_or(Duration::from_secs(300));
        Timeouts { request, connect, idle }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts::for_request_timeout(Some(Duration::from_secs(60)))
    }
}

/// Bounds on what one server can make the driver do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest response body read, in bytes (checked against `Content-Length` and while reading).
    pub max_response_bytes: u64,
    /// The most pages one paginated list may take (a list that goes on beyond it is an error, not a short answer).
    pub max_pages: usize,
}

/// 64 MiB: far above any page of results (a page of 250 items with bodies is a few MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// Pages per list: 100,000 pages is 10 to 25 million rows, beyond any real site's list.
pub const DEFAULT_MAX_PAGES: usize = 100_000;

impl Default for Limits {
    fn default() -> Self {
        Limits { max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES, max_pages: DEFAULT_MAX_PAGES }
    }
}

/// The settings of a connection's HTTP client.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The `User-Agent` header.
    pub user_agent: String,
    /// At most this many requests in flight.
    pub max_concurrency: usize,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// A proxy for every request (its password is masked in `Debug`).
    pub proxy: Option<ProxyUrl>,
    /// Without `proxy`, whether the environment's proxy (`HTTPS_PROXY`...) may be used: not for a plain-http site on
    /// this machine, whose requests (and credentials) would otherwise cross the network to the proxy in clear.
    pub system_proxy: bool,
    /// A PEM file of extra certificate authorities to trust (a Data Center site on a private CA), besides the
    /// platform's trust store and the Mozilla roots.
    pub trusted_ca_file: Option<PathBuf>,
    /// Bounds on responses and lists.
    pub limits: Limits,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Added to a 404 from a Data Center list endpoint, which only a site that is not Data Center answers so (e.g.
    /// Cloud on a custom domain taken for Data Center).
    pub not_found_hint: Option<String>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            user_agent: format!("confluence-sql/{}", env!("CARGO_PKG_VERSION")),
            max_concurrency: 8,
            timeouts: Timeouts::default(),
            proxy: None,
            system_proxy: true,
            trusted_ca_file: None,
            limits: Limits::default(),
            retry: RetryPolicy::default(),
            not_found_hint: None,
        }
    }
}

impl ClientConfig {
    /// A `reqwest` client builder with these settings: user agent, timeouts, proxy, TLS trust (platform roots,
    /// Mozilla roots and `trusted_ca_file`) and redirects followed only within the same origin. The OAuth crate
    /// builds its own client from the same settings, with redirects off.
    pub fn http_builder(&self) -> Result<reqwest::ClientBuilder, RestError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(self.user_agent.clone())
            .pool_max_idle_per_host(self.max_concurrency)
            .connect_timeout(self.timeouts.connect)
            .read_timeout(self.timeouts.idle)
            .https_only(false)
            .redirect(same_origin_redirects());
        if let Some(timeout) = self.timeouts.request {
            builder = builder.timeout(timeout);
        }
        if self.proxy.is_none() && !self.system_proxy {
            builder = builder.no_proxy();
        }
        if let Some(proxy) = &self.proxy {
            // The error is reqwest's own; it may quote the URL, so only say that it is invalid.
            let proxy = reqwest::Proxy::all(proxy.expose().as_str())
                .map_err(|_| RestError::Config(format!("invalid ProxyUrl {proxy}")))?;
            builder = builder.proxy(proxy);
        }
        if let Some(path) = &self.trusted_ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| RestError::Config(format!("TrustedCaFile {} cannot be read: {e}", path.display())))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                RestError::Config(format!("TrustedCaFile {} is not a PEM certificate bundle: {e}", path.display()))
            })?;
            if certificates.is_empty() {
                return Err(RestError::Config(format!(
                    "TrustedCaFile {} holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)",
                    path.display()
                )));
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        Ok(builder)
    }
}

/// Redirects are followed only to the same scheme, host and port (at most 5): an API that redirects elsewhere is
/// reported, not followed, so a request never lands on another site.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt.previous().first().is_some_and(|first| crate::client::same_origin(first, attempt.url()));
        if attempt.previous().len() >= 5 || !same {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_timeout_still_bounds_connecting_and_silence() {
        let none = Timeouts::for_request_timeout(None);
        assert_eq!((none.request, none.connect, none.idle), (None, Duration::from_secs(30), Duration::from_secs(300)));
        let short = Timeouts::for_request_timeout(Some(Duration::from_secs(5)));
        assert_eq!((short.connect, short.idle), (Duration::from_secs(5), Duration::from_secs(5)));
    }

    #[test]
    fn a_bad_ca_file_is_a_clear_error() {
        let config = ClientConfig { trusted_ca_file: Some(PathBuf::from("/nonexistent/ca.pem")), ..Default::default() };
        let message = config.http_builder().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("TrustedCaFile /nonexistent/ca.pem cannot be read"), "{message}");
        let dir = std::env::temp_dir().join(format!("confluence-rest-ca-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("not-a-ca.pem");
        let _ = std::fs::write(&path, "hello");
        let config = ClientConfig { trusted_ca_file: Some(path), ..Default::default() };
        let message = config.http_builder().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("holds no certificate") || message.contains("not a PEM"), "{message}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
