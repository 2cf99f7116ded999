//! One HTTP client per connection: connection reuse, the `Authorization` header from a [`TokenSource`] (sent only
//! to the configured site), a semaphore bounding requests in flight (`MaxConcurrency`), retries with backoff for
//! transient failures of idempotent requests, a 429 backoff shared by the whole connection, one refresh-and-retry
//! after a 401, bodies read up to a size cap, and request metrics.

use std::fmt;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_LENGTH};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use url::Url;

use crate::auth::TokenSource;
use crate::config::{ClientConfig, Limits};
use crate::dialect::Dialect;
use crate::error::{error_message, RestError};
use crate::metrics::{MetricsSnapshot, RequestMetrics};
use crate::retry::{RetryPolicy, SharedBackoff, ThrottleWait};

/// A response that was read to the end.
#[derive(Clone)]
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

/// Status, where it came from and the size of the body; header names only (a `Set-Cookie` value is a secret).
impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|name| name.as_str()).collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("url", &redact_query(&self.url))
            .field("headers", &names)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl Response {
    /// Decodes the body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, RestError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| RestError::Decode { path: self.url.path().to_owned(), message: e.to_string() })
    }
}

/// What every client of a connection shares, whatever its route.
struct Inner {
    http: reqwest::Client,
    auth: Arc<dyn TokenSource>,
    permits: Semaphore,
    max_concurrency: usize,
    backoff: SharedBackoff,
    retry: RetryPolicy,
    limits: Limits,
    metrics: RequestMetrics,
    not_found_hint: Option<String>,
}

/// The REST client of one connection. Cheap to clone; clones share everything (connections, limits, backoff,
/// metrics). Its route (the [`Dialect`]) never changes: an OAuth connection that learns its site's gateway gets a
/// new client for it with [`ConfluenceClient::with_dialect`], sharing the rest.
#[derive(Clone)]
pub struct ConfluenceClient {
    inner: Arc<Inner>,
    dialect: Arc<Dialect>,
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

/// What one attempt came back with.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    url: Url,
}

impl ConfluenceClient {
    /// A client for the site `dialect` names, authenticating every request with `auth`.
    pub fn new(
        config: &ClientConfig,
        dialect: Dialect,
        auth: Arc<dyn TokenSource>,
    ) -> Result<ConfluenceClient, RestError> {
        let http = config
            .http_builder()?
            .build()
            .map_err(|e| RestError::Config(format!("cannot create the HTTP client: {e}")))?;
        let max_concurrency = config.max_concurrency.max(1);
        Ok(ConfluenceClient {
            dialect: Arc::new(dialect),
            inner: Arc::new(Inner {
                http,
                auth,
                permits: Semaphore::new(max_concurrency),
                max_concurrency,
                backoff: SharedBackoff::default(),
                retry: config.retry,
                limits: config.limits,
                metrics: RequestMetrics::default(),
                not_found_hint: config.not_found_hint.clone(),
            }),
        })
    }

    /// Where the APIs live.
    pub fn dialect(&self) -> &Dialect {
        &self.dialect
    }

    /// The same connection (pool, credentials, limits, backoff, metrics) routed to another API base: an OAuth
    /// connection learns its Cloud site id, and so its gateway URL, only once it is authorized.
    pub fn with_dialect(&self, dialect: Dialect) -> ConfluenceClient {
        ConfluenceClient { inner: self.inner.clone(), dialect: Arc::new(dialect) }
    }

    /// Requests in flight at most.
    pub fn max_concurrency(&self) -> usize {
        self.inner.max_concurrency
    }

    /// The bounds on responses and lists.
    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// The connection's request metrics so far.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// `GET url`, retried on transient failures; `scan` also counts the request (per-partition metrics).
    pub async fn get(&self, url: Url, scan: Option<&RequestMetrics>) -> Result<Response, RestError> {
        self.send(Method::GET, url, None, scan).await
    }

    /// Sends a request with an optional JSON body. Only idempotent methods (GET, HEAD, and PUT, which Confluence
    /// version-checks) are retried after 5xx or connection
    /// failures; every method is retried after a 429 (the request was not processed). A URL outside the
    /// configured site is refused before anything is sent.
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        scan: Option<&RequestMetrics>,
    ) -> Result<Response, RestError> {
        let payload = match body {
            Some(json) => Payload::Json(json),
            None => Payload::Empty,
        };
        self.send_payload(method, url, payload, false, scan).await
    }

    /// Uploads a file as `multipart/form-data` (a `file` part, and a `comment` part when given) with the
    /// `X-Atlassian-Token: no-check` header Confluence requires of such requests. Never retried after a 5xx or a
    /// lost connection: the file might have been stored.
    pub async fn upload(
        &self,
        method: Method,
        url: Url,
        file: FileUpload,
        scan: Option<&RequestMetrics>,
    ) -> Result<Response, RestError> {
        self.send_payload(method, url, Payload::File(&file), false, scan).await
    }

    /// Downloads a file from a link on the site: the bytes, at most [`Limits::max_response_bytes`]. A redirect
    /// (Cloud sends downloads to its media service, whose links carry their own token) is followed once, without
    /// credentials, and only to `https` when the site is `https`.
    pub async fn download(&self, url: Url, scan: Option<&RequestMetrics>) -> Result<Response, RestError> {
        let first = self.send_payload(Method::GET, url.clone(), Payload::Empty, true, scan).await?;
        if !first.status.is_redirection() {
            return Ok(first);
        }
        let path = url.path().to_owned();
        let target = first
            .headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| first.url.join(l).ok())
            .ok_or_else(|| RestError::Status {
                status: first.status.as_u16(),
                path: path.clone(),
                message: "a redirect without a usable Location".into(),
            })?;
        if !download_target_allowed(self.dialect.base(), &target) {
            return Err(RestError::ForeignOrigin {
                link: redact_query(&target),
                expected: "an https download link on a public host".into(),
            });
        }
        for m in std::iter::once(&self.inner.metrics).chain(scan) {
            m.add_request();
        }
        tracing::debug!(url = %describe_for_log(&target), "download, following the redirect without credentials");
        let request = self.inner.http.get(target.clone());
        let answer = match self.attempt(request, target.path()).await {
            Ok(answer) => answer,
            Err(Attempt::Fatal(error)) => return Err(error),
            Err(Attempt::Transport(e)) => {
                return Err(RestError::Transport {
                    url: redact_query(&target),
                    message: transport_message(&e),
                    attempts: 1,
                })
            }
        };
        for m in std::iter::once(&self.inner.metrics).chain(scan) {
            m.add_bytes(answer.body.len() as u64);
        }
        if !answer.status.is_success() {
            let message = error_message(&answer.body);
            return Err(match answer.status.as_u16() {
                401 | 403 => RestError::Forbidden {
                    path: target.path().to_owned(),
                    message: format!("the download link was refused: {message}"),
                },
                404 => RestError::NotFound { path: target.path().to_owned(), message },
                status => RestError::Status { status, path: target.path().to_owned(), message },
            });
        }
        Ok(Response { status: answer.status, headers: answer.headers, body: answer.body, url: answer.url })
    }

    async fn send_payload(
        &self,
        method: Method,
        url: Url,
        payload: Payload<'_>,
        redirects: bool,
        scan: Option<&RequestMetrics>,
    ) -> Result<Response, RestError> {
        let base = self.dialect.base().clone();
        if !same_origin(&url, &base) {
            return Err(RestError::ForeignOrigin { link: redact_query(&url), expected: origin_of(&base) });
        }
        let inner = &self.inner;
        // A PUT of Confluence content names the version it creates, so repeating it cannot apply twice (a file's
        // PUT makes a new version each time: not so).
        let idempotent = matches!(method, Method::GET | Method::HEAD)
            || (method == Method::PUT && !matches!(payload, Payload::File(_)));
        let path = url.path().to_owned();
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let wait = inner.backoff.remaining();
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let authorization = inner.auth.authorization().await?;
            for m in std::iter::once(&inner.metrics).chain(scan) {
                m.add_request();
                if attempt > 1 {
                    m.add_retry();
                }
            }
            tracing::debug!(method = %method, url = %describe_for_log(&url), attempt, "request");
            let outcome = {
                let _permit = inner
                    .permits
                    .acquire()
                    .await
                    .map_err(|_| RestError::Config("the connection is closed".to_owned()))?;
                let mut request =
                    inner.http.request(method.clone(), url.clone()).header(AUTHORIZATION, authorization.clone());
                match &payload {
                    Payload::Empty => {}
                    Payload::Json(body) => request = request.json(body),
                    Payload::File(file) => {
                        request = request.header("X-Atlassian-Token", "no-check").multipart(file.form()?)
                    }
                }
                self.attempt(request, &path).await
            };
            let answer = match outcome {
                Ok(answer) => answer,
                Err(Attempt::Fatal(error)) => return Err(error),
                Err(Attempt::Transport(e)) => {
                    let message = transport_message(&e);
                    if idempotent && attempt < inner.retry.max_attempts {
                        tracing::debug!(url = %describe_for_log(&url), attempt, error = %message, "retrying after a transport error");
                        tokio::time::sleep(inner.retry.backoff(attempt)).await;
                        continue;
                    }
                    return Err(RestError::Transport { url: redact_query(&url), message, attempts: attempt });
                }
            };
            for m in std::iter::once(&inner.metrics).chain(scan) {
                m.add_bytes(answer.body.len() as u64);
            }
            if answer.status.is_success() {
                return Ok(Response {
                    status: answer.status,
                    headers: answer.headers,
                    body: answer.body,
                    url: answer.url,
                });
            }
            let message = error_message(&answer.body);
            match answer.status.as_u16() {
                401 => {
                    if !refreshed && inner.auth.refresh_after_unauthorized(&authorization).await? {
                        refreshed = true;
                        attempt -= 1;
                        continue;
                    }
                    return Err(RestError::Unauthorized { path, message, hint: inner.auth.hint() });
                }
                status @ (429 | 503) => {
                    if status == 429 {
                        for m in std::iter::once(&inner.metrics).chain(scan) {
                            m.add_throttled();
                        }
                    }
                    let retryable = status == 429 || idempotent;
                    if !retryable || attempt >= inner.retry.max_attempts {
                        return Err(match status {
                            429 => RestError::RateLimited { path, attempts: attempt },
                            _ => RestError::Server { status, path, message, attempts: attempt },
                        });
                    }
                    match inner.retry.throttle_delay(&answer.headers, attempt) {
                        ThrottleWait::Retry(delay) => {
                            tracing::info!(path = %path, status, delay_ms = delay.as_millis() as u64, "the server asks to wait; the whole connection backs off");
                            inner.backoff.pause(delay);
                        }
                        ThrottleWait::TooLong(wait) => {
                            let reason = answer
                                .headers
                                .get("ratelimit-reason")
                                .and_then(|v| v.to_str().ok())
                                .map(|r| crate::error::printable(r, 100));
                            return Err(RestError::WaitTooLong {
                                path,
                                status,
                                wait_secs: wait.as_secs(),
                                max_wait_secs: inner.retry.max_server_wait.as_secs(),
                                reason,
                            });
                        }
                    }
                }
                status @ 500..=599 => {
                    if idempotent && attempt < inner.retry.max_attempts {
                        tokio::time::sleep(inner.retry.backoff(attempt)).await;
                        continue;
                    }
                    return Err(RestError::Server { status, path, message, attempts: attempt });
                }
                status @ 300..=399 if redirects => {
                    return Ok(Response {
                        status: StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND),
                        headers: answer.headers,
                        body: answer.body,
                        url: answer.url,
                    });
                }
                status @ 300..=399 => {
                    let location = answer
                        .headers
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|l| answer.url.join(l).ok());
                    return Err(match location {
                        Some(target) if !same_origin(&target, &base) => {
                            RestError::ForeignOrigin { link: redact_query(&target), expected: origin_of(&base) }
                        }
                        _ => {
                            RestError::Status { status, path, message: "a redirect the driver does not follow".into() }
                        }
                    });
                }
                400 => return Err(RestError::BadRequest { path, message }),
                403 => return Err(RestError::Forbidden { path, message }),
                404 => {
                    let list = ["/rest/api/content", "/rest/api/space", "/rest/api/search", "/rest/api/content/search"]
                        .iter()
                        .any(|endpoint| path.ends_with(endpoint));
                    let message = match &inner.not_found_hint {
                        Some(hint) if list => format!("{message}. {hint}"),
                        _ => message,
                    };
                    return Err(RestError::NotFound { path, message });
                }
                409 => return Err(RestError::Conflict { path, message }),
                other => return Err(RestError::Status { status: other, path, message }),
            }
        }
    }

    /// Sends one attempt and reads its body, at most [`Limits::max_response_bytes`].
    async fn attempt(&self, request: reqwest::RequestBuilder, path: &str) -> Result<Answer, Attempt> {
        let limit = self.inner.limits.max_response_bytes;
        let too_large = || Attempt::Fatal(RestError::ResponseTooLarge { path: path.to_owned(), limit });
        let mut response = request.send().await.map_err(Attempt::Transport)?;
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large());
        }
        let capacity = declared.unwrap_or(0).min(limit).min(8 * 1024 * 1024) as usize;
        let mut body = BytesMut::with_capacity(capacity);
        while let Some(chunk) = response.chunk().await.map_err(Attempt::Transport)? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: body.freeze(),
            url: response.url().clone(),
        })
    }
}

/// What a request carries.
enum Payload<'a> {
    Empty,
    Json(&'a serde_json::Value),
    File(&'a FileUpload),
}

/// A file to upload (see [`ConfluenceClient::upload`]).
#[derive(Clone)]
pub struct FileUpload {
    /// The file name Confluence shows (and matches to add a new version).
    pub file_name: String,
    /// The bytes.
    pub bytes: Bytes,
    /// The media type, e.g. `text/plain`; `application/octet-stream` when unknown.
    pub media_type: String,
    /// The attachment's comment.
    pub comment: Option<String>,
}

impl fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileUpload")
            .field("file_name", &self.file_name)
            .field("bytes", &self.bytes.len())
            .field("media_type", &self.media_type)
            .finish()
    }
}

impl FileUpload {
    /// The form of one attempt (a form is consumed by its request).
    fn form(&self) -> Result<reqwest::multipart::Form, RestError> {
        let part = reqwest::multipart::Part::stream(reqwest::Body::from(self.bytes.clone()))
            .file_name(self.file_name.clone())
            .mime_str(&self.media_type)
            .map_err(|e| RestError::Config(format!("media type {:?}: {e}", self.media_type)))?;
        let mut form = reqwest::multipart::Form::new().part("file", part).text("minorEdit", "true");
        if let Some(comment) = &self.comment {
            let comment = reqwest::multipart::Part::text(comment.clone())
                .mime_str("text/plain; charset=utf-8")
                .map_err(|e| RestError::Config(e.to_string()))?;
            form = form.part("comment", comment);
        }
        Ok(form)
    }
}

/// Why an attempt produced no answer.
enum Attempt {
    /// The transport failed (maybe transiently).
    Transport(reqwest::Error),
    /// A failure retrying cannot fix.
    Fatal(RestError),
}

/// Where a download may be redirected (without credentials): from an `https` site, only to `https` on a public
/// host (never loopback, private, link-local or unspecified addresses, nor `localhost`: a hostile server must not
/// turn downloads into requests to the machine's own network); from a plain `http` site (a test, a trusted
/// network), only to the site's own host. Never with user information in the URL.
fn download_target_allowed(site: &Url, target: &Url) -> bool {
    if !target.username().is_empty() || target.password().is_some() {
        return false;
    }
    match site.scheme() {
        "https" => {
            let internal = match target.host() {
                Some(url::Host::Ipv4(ip)) => {
                    ip.is_loopback()
                        || ip.is_private()
                        || ip.is_link_local()
                        || ip.is_unspecified()
                        || ip.is_broadcast()
                }
                Some(url::Host::Ipv6(ip)) => {
                    ip.is_loopback()
                        || ip.is_unspecified()
                        || (ip.segments()[0] & 0xfe00) == 0xfc00
                        || (ip.segments()[0] & 0xffc0) == 0xfe80
                        || ip
                            .to_ipv4_mapped()
                            .is_some_and(|v4| v4.is_loopback() || v4.is_private() || v4.is_link_local())
                }
                Some(url::Host::Domain(name)) => {
                    let name = name.trim_end_matches('.').to_ascii_lowercase();
                    name == "localhost" || name.ends_with(".localhost")
                }
                None => true,
            };
            target.scheme() == "https" && !internal
        }
        _ => matches!(target.scheme(), "http" | "https") && target.host() == site.host(),
    }
}

/// Whether two URLs share scheme, host and port (the port the scheme implies when absent).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme().eq_ignore_ascii_case(b.scheme())
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `scheme://host[:port]`.
pub fn origin_of(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}", url.scheme(), url.host_str().unwrap_or_default())
}

/// `<AtlassianApiUrl>/ex/confluence/<cloud id>`.
pub fn gateway_base(api: &Url, cloud_id: &str) -> Result<Url, RestError> {
    let text = format!("{}/ex/confluence/{cloud_id}", api.as_str().trim_end_matches('/'));
    Url::parse(&text).map_err(|e| RestError::Config(format!("invalid AtlassianApiUrl: {e}")))
}

/// A transport error's cause chain, without the URL (the error already names it, and a proxy URL in it could
/// carry a password).
fn transport_message(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        let text = match e.downcast_ref::<reqwest::Error>() {
            Some(e) => strip_urls(&e.to_string()),
            None => strip_urls(&e.to_string()),
        };
        if !text.is_empty() && !parts.iter().any(|p: &String| p.contains(&text)) {
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

/// `text` with every `scheme://...` word replaced by its origin (no user, password, path or query).
fn strip_urls(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let trimmed = word.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '"' | '\''));
            match Url::parse(trimmed) {
                Ok(url) if url.has_host() => word.replace(trimmed, &origin_of(&url)),
                _ => word.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Scheme, host, port and path: enough to say where, without query strings or credentials (for error messages).
pub fn redact_query(url: &Url) -> String {
    format!("{}{}", origin_of(url), url.path())
}

/// The URL for a debug log line: where, and the names of its parameters (their values may be search terms).
fn describe_for_log(url: &Url) -> String {
    let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    if names.is_empty() {
        redact_query(url)
    } else {
        format!("{}?{}", redact_query(url), names.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn a_redacted_url_says_where_without_secrets() {
        assert_eq!(
            redact_query(&url("http://me:pa55@127.0.0.1:8080/wiki/rest/api/search?cql=x&token=t0k")),
            "http://127.0.0.1:8080/wiki/rest/api/search"
        );
        assert_eq!(
            redact_query(&url("https://acme.atlassian.net/wiki/api/v2/pages")),
            "https://acme.atlassian.net/wiki/api/v2/pages"
        );
        assert_eq!(
            describe_for_log(&url("https://acme.atlassian.net/wiki/rest/api/search?cql=title~secret&limit=5")),
            "https://acme.atlassian.net/wiki/rest/api/search?cql&limit"
        );
    }

    #[test]
    fn origins() {
        assert!(same_origin(&url("https://a.example/x"), &url("https://a.example:443/y?z")));
        assert!(!same_origin(&url("https://a.example/x"), &url("http://a.example/x")));
        assert!(!same_origin(&url("https://a.example/x"), &url("https://a.example:8443/x")));
        assert!(!same_origin(&url("https://a.example/x"), &url("https://a.example.evil.com/x")));
        assert!(!same_origin(&url("http://127.0.0.1:80/"), &url("http://127.0.0.2:80/")));
    }

    #[test]
    fn downloads_are_redirected_only_to_public_https_hosts() {
        let cloud = url("https://acme.atlassian.net");
        let allowed = |target: &str| download_target_allowed(&cloud, &url(target));
        assert!(allowed("https://api.media.atlassian.com/file/1/binary?token=t"));
        for refused in [
            "http://api.media.atlassian.com/file/1/binary",
            "https://127.0.0.1/x",
            "https://10.0.0.8/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://localhost/x",
            "https://user:pw@api.media.atlassian.com/x",
            "file:///etc/passwd",
        ] {
            assert!(!allowed(refused), "{refused}");
        }
        let local = url("http://127.0.0.1:8080");
        assert!(download_target_allowed(&local, &url("http://127.0.0.1:9090/__media/file/1/binary")));
        assert!(!download_target_allowed(&local, &url("http://10.0.0.1:9090/x")));
    }

    #[test]
    fn transport_messages_keep_no_credentials() {
        let text = strip_urls("error sending request for url (http://me:s3cret@proxy.example:3128/path?x=1)");
        assert_eq!(text, "error sending request for url (http://proxy.example:3128)");
    }

    #[test]
    fn a_response_debug_shows_no_header_values() {
        let mut headers = HeaderMap::new();
        headers.insert("set-cookie", reqwest::header::HeaderValue::from_static("session=s3cret"));
        let response = Response {
            status: StatusCode::OK,
            headers,
            body: Bytes::from_static(b"{}"),
            url: url("https://a.example/wiki?token=t0k"),
        };
        let text = format!("{response:?}");
        assert!(text.contains("set-cookie") && !text.contains("s3cret") && !text.contains("t0k"), "{text}");
    }
}
