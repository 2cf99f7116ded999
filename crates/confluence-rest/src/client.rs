//! One HTTP client per connection: connection reuse, the `Authorization` header from a [`TokenSource`], a
//! semaphore bounding requests in flight (`MaxConcurrency`), retries with backoff for transient failures of
//! idempotent requests, a 429 backoff shared by the whole connection, one refresh-and-retry after a 401, and
//! request metrics.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use connstr::{AuthScheme, ConnectionOptions, Deployment, InitiateOAuth};
use reqwest::header::{HeaderMap, AUTHORIZATION};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use url::Url;

use crate::auth::{BasicAuth, BearerToken, TokenSource};
use crate::dialect::Dialect;
use crate::error::{error_message, RestError};
use crate::metrics::{MetricsSnapshot, RequestMetrics};
use crate::retry::{RetryPolicy, SharedBackoff};

/// A response that was read to the end.
#[derive(Clone, Debug)]
pub struct Response {
    /// The status (always a success: failures are [`RestError`]s).
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The URL that answered.
    pub url: Url,
}

impl Response {
    /// Decodes the body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, RestError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| RestError::Decode { path: self.url.path().to_owned(), message: e.to_string() })
    }
}

struct Inner {
    http: reqwest::Client,
    dialect: std::sync::RwLock<Dialect>,
    auth: Arc<dyn TokenSource>,
    permits: Semaphore,
    max_concurrency: usize,
    backoff: SharedBackoff,
    retry: RetryPolicy,
    metrics: RequestMetrics,
}

/// The REST client of one connection. Cheap to clone; clones share everything (connections, limits, backoff).
#[derive(Clone)]
pub struct ConfluenceClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for ConfluenceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfluenceClient")
            .field("dialect", &self.dialect())
            .field("auth", &self.inner.auth)
            .field("max_concurrency", &self.inner.max_concurrency)
            .finish()
    }
}

impl ConfluenceClient {
    /// A client for Basic or personal-access-token connections (and OAuth with a given access token and
    /// `InitiateOAuth=OFF`). Interactive and refreshing OAuth plug in through [`ConfluenceClient::with_token_source`].
    pub fn connect(options: &ConnectionOptions) -> Result<ConfluenceClient, RestError> {
        ConfluenceClient::connect_with_retry(options, RetryPolicy::default())
    }

    /// [`ConfluenceClient::connect`] with another retry policy (tests use short delays).
    pub fn connect_with_retry(options: &ConnectionOptions, retry: RetryPolicy) -> Result<ConfluenceClient, RestError> {
        let (auth, dialect): (Arc<dyn TokenSource>, Dialect) =
            match options.auth_scheme {
                AuthScheme::Basic => {
                    let (secret, hint) = match (&options.api_token, &options.password) {
                        (Some(token), _) => (token.clone(), "User and APIToken"),
                        (None, Some(password)) => (password.clone(), "User and Password"),
                        (None, None) => {
                            return Err(RestError::Config("Basic authentication needs APIToken or Password".to_owned()))
                        }
                    };
                    let user = options.user.clone().unwrap_or_default();
                    (Arc::new(BasicAuth::new(user, secret, hint)), site_dialect(options))
                }
                AuthScheme::Pat => {
                    let token = options
                        .personal_access_token
                        .clone()
                        .ok_or_else(|| RestError::Config("AuthScheme=PAT needs PersonalAccessToken".to_owned()))?;
                    (Arc::new(BearerToken::new(token, "PersonalAccessToken")), site_dialect(options))
                }
                AuthScheme::OAuth | AuthScheme::OAuthPkce => {
                    let oauth = &options.oauth;
                    match (&oauth.access_token, oauth.initiate, options.deployment) {
                        (Some(token), InitiateOAuth::Off, Deployment::Cloud) => {
                            let cloud_id = oauth.cloud_id.as_ref().ok_or_else(|| {
                                RestError::Config(
                                "an OAuth access token on Cloud needs CloudId (the site's id) to reach the API gateway"
                                    .to_owned(),
                            )
                            })?;
                            let api_base = gateway_base(&oauth.atlassian_api_url, cloud_id.as_str())?;
                            (Arc::new(BearerToken::new(token.clone(), "OAuthAccessToken")), Dialect::Cloud { api_base })
                        }
                        (Some(token), InitiateOAuth::Off, Deployment::DataCenter) => {
                            (Arc::new(BearerToken::new(token.clone(), "OAuthAccessToken")), site_dialect(options))
                        }
                        _ => return Err(RestError::Config(
                            "this client sends a given OAuthAccessToken only (InitiateOAuth=OFF); flows and refresh \
                             come from atlassian_oauth::OAuthSession through ConfluenceClient::with_token_source \
                             (confluence_sql::Connection::connect does this)"
                                .to_owned(),
                        )),
                    }
                }
            };
        ConfluenceClient::with_token_source(options, dialect, auth, retry)
    }

    /// A client with a caller-provided token source (OAuth) and API base.
    pub fn with_token_source(
        options: &ConnectionOptions,
        dialect: Dialect,
        auth: Arc<dyn TokenSource>,
        retry: RetryPolicy,
    ) -> Result<ConfluenceClient, RestError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .pool_max_idle_per_host(options.max_concurrency);
        if let Some(timeout) = options.timeout {
            builder = builder.timeout(timeout).connect_timeout(timeout.min(Duration::from_secs(30)));
        }
        if let Some(proxy) = &options.proxy_url {
            let proxy = reqwest::Proxy::all(proxy.expose().as_str())
                .map_err(|e| RestError::Config(format!("invalid ProxyUrl: {e}")))?;
            builder = builder.proxy(proxy);
        }
        let http = builder.build().map_err(|e| RestError::Config(format!("cannot create the HTTP client: {e}")))?;
        Ok(ConfluenceClient {
            inner: Arc::new(Inner {
                http,
                dialect: std::sync::RwLock::new(dialect),
                auth,
                permits: Semaphore::new(options.max_concurrency),
                max_concurrency: options.max_concurrency,
                backoff: SharedBackoff::default(),
                retry,
                metrics: RequestMetrics::default(),
            }),
        })
    }

    /// Where the APIs live.
    pub fn dialect(&self) -> Dialect {
        self.inner.dialect.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Moves the connection to another API base: an OAuth connection learns its Cloud site id (and so its
    /// gateway URL) only once it is authorized.
    pub fn set_dialect(&self, dialect: Dialect) {
        *self.inner.dialect.write().unwrap_or_else(|p| p.into_inner()) = dialect;
    }

    /// Requests in flight at most.
    pub fn max_concurrency(&self) -> usize {
        self.inner.max_concurrency
    }

    /// The connection's request metrics so far.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// Counts rows decoded from this connection's responses (for the connection's metrics).
    pub fn add_rows(&self, rows: u64) {
        self.inner.metrics.add_rows(rows);
    }

    /// `GET url`, retried on transient failures; `scan` also counts the request (per-partition metrics).
    pub async fn get(&self, url: Url, scan: Option<&RequestMetrics>) -> Result<Response, RestError> {
        self.send(Method::GET, url, None, scan).await
    }

    /// Sends a request with an optional JSON body. Only idempotent methods are retried after 5xx or connection
    /// failures; every method is retried after a 429 (the request was not processed).
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        scan: Option<&RequestMetrics>,
    ) -> Result<Response, RestError> {
        let inner = &self.inner;
        let idempotent = matches!(method, Method::GET | Method::HEAD);
        let path = url.path().to_owned();
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let wait = inner.backoff.remaining();
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let permit =
                inner.permits.acquire().await.map_err(|_| RestError::Config("the connection is closed".to_owned()))?;
            let authorization = inner.auth.authorization().await?;
            for m in std::iter::once(&inner.metrics).chain(scan) {
                m.add_request();
                if attempt > 1 {
                    m.add_retry();
                }
            }
            tracing::debug!(method = %method, url = %url, attempt, "request");
            let mut request =
                inner.http.request(method.clone(), url.clone()).header(AUTHORIZATION, authorization.clone());
            if let Some(body) = body {
                request = request.json(body);
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let answered = response.url().clone();
                    response.bytes().await.map(|body| (status, headers, body, answered))
                }
                Err(e) => Err(e),
            };
            drop(permit);
            let (status, headers, bytes, answered) = match outcome {
                Ok(parts) => parts,
                Err(e) => {
                    let message = transport_message(&e);
                    if idempotent && attempt < inner.retry.max_attempts {
                        tracing::debug!(url = %url, attempt, error = %message, "retrying after a transport error");
                        tokio::time::sleep(inner.retry.backoff(attempt)).await;
                        continue;
                    }
                    return Err(RestError::Transport { url: redact_query(&url), message, attempts: attempt });
                }
            };
            for m in std::iter::once(&inner.metrics).chain(scan) {
                m.add_bytes(bytes.len() as u64);
            }
            if status.is_success() {
                return Ok(Response { status, headers, body: bytes, url: answered });
            }
            let message = error_message(&bytes);
            match status.as_u16() {
                401 => {
                    if !refreshed && inner.auth.refresh_after_unauthorized(&authorization).await? {
                        refreshed = true;
                        attempt -= 1;
                        continue;
                    }
                    return Err(RestError::Unauthorized { path, message, hint: inner.auth.hint() });
                }
                429 => {
                    for m in std::iter::once(&inner.metrics).chain(scan) {
                        m.add_throttled();
                    }
                    if attempt >= inner.retry.max_attempts {
                        return Err(RestError::RateLimited { path, attempts: attempt });
                    }
                    let delay = inner.retry.throttle_delay(&headers, attempt);
                    tracing::info!(url = %url, delay_ms = delay.as_millis() as u64, "rate limited; the whole connection backs off");
                    inner.backoff.pause(delay);
                }
                500..=599 => {
                    if idempotent && attempt < inner.retry.max_attempts {
                        tokio::time::sleep(inner.retry.backoff(attempt)).await;
                        continue;
                    }
                    return Err(RestError::Server { status: status.as_u16(), path, message, attempts: attempt });
                }
                400 => return Err(RestError::BadRequest { path, message }),
                403 => return Err(RestError::Forbidden { path, message }),
                404 => return Err(RestError::NotFound { path, message }),
                409 => return Err(RestError::Conflict { path, message }),
                other => return Err(RestError::Status { status: other, path, message }),
            }
        }
    }
}

fn site_dialect(options: &ConnectionOptions) -> Dialect {
    match options.deployment {
        Deployment::Cloud => Dialect::Cloud { api_base: options.url.clone() },
        Deployment::DataCenter => Dialect::DataCenter { base: options.url.clone() },
    }
}

/// `<AtlassianApiUrl>/ex/confluence/<cloud id>`.
pub fn gateway_base(api: &Url, cloud_id: &str) -> Result<Url, RestError> {
    let text = format!("{}/ex/confluence/{cloud_id}", api.as_str().trim_end_matches('/'));
    Url::parse(&text).map_err(|e| RestError::Config(format!("invalid AtlassianApiUrl: {e}")))
}

/// A transport error's cause chain, without the URL (the error already names it).
fn transport_message(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    let message = parts.join(": ");
    if error.is_timeout() {
        format!("{message} (raise Timeout if the site is slow)")
    } else {
        message
    }
}

/// Scheme, host, port and path: enough to say where, without query strings or credentials (for error messages).
pub fn redact_query(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}{}", url.scheme(), url.host_str().unwrap_or_default(), url.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_url_says_where_without_secrets() {
        let url = Url::parse("http://me:pa55@127.0.0.1:8080/wiki/rest/api/search?cql=x&token=t0k")
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(redact_query(&url), "http://127.0.0.1:8080/wiki/rest/api/search");
        let url = Url::parse("https://acme.atlassian.net/wiki/api/v2/pages").unwrap_or_else(|_| unreachable!());
        assert_eq!(redact_query(&url), "https://acme.atlassian.net/wiki/api/v2/pages");
    }
}
