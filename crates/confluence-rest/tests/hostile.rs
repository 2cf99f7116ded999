//! A hostile server (or a proxy in the middle) against the REST client: credentials never leave the configured
//! origin, and every list ends with the exact items or an error, never a hang, a panic or a silently short answer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use confluence_rest::{
    pages, BasicAuth, BearerToken, ClientConfig, ConfluenceClient, Dialect, Limits, PageRequest, Pagination,
    RequestMetrics, RestError, RetryPolicy, Timeouts,
};
use confluence_sim::{DatasetSize, FaultRule, SimConfig, SimHandle, Simulator};
use connstr::Secret;
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FAST: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    base_delay: Duration::from_millis(5),
    max_delay: Duration::from_millis(20),
    max_server_wait: Duration::from_secs(5),
};

fn config() -> ClientConfig {
    ClientConfig {
        retry: FAST,
        limits: Limits { max_pages: 20, max_response_bytes: 256 * 1024 },
        timeouts: Timeouts::for_request_timeout(Some(Duration::from_secs(2))),
        ..ClientConfig::default()
    }
}

fn url(text: &str) -> url::Url {
    url::Url::parse(text).expect("url")
}

async fn cloud() -> (SimHandle, ConfluenceClient) {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.expect("starts");
    let info = sim.info();
    let auth = Arc::new(BasicAuth::new(info.user.clone(), Secret::new(info.api_token.clone()), "User and APIToken"));
    let client = ConfluenceClient::new(&config(), Dialect::Cloud { api_base: url(&info.url) }, auth).expect("client");
    (sim, client)
}

async fn data_center() -> (SimHandle, ConfluenceClient) {
    let sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.expect("starts");
    let info = sim.info();
    let auth = Arc::new(BearerToken::new(Secret::new(info.pat.clone()), "PersonalAccessToken"));
    let client = ConfluenceClient::new(&config(), Dialect::DataCenter { base: url(&info.url) }, auth).expect("client");
    (sim, client)
}

/// Reads a whole list: its item count, or the error it ended with. Never takes more than 30 s.
async fn read(client: &ConfluenceClient, first: url::Url, pagination: Pagination) -> Result<usize, RestError> {
    let reading = async {
        let mut stream =
            pages(client.clone(), PageRequest::new(first, pagination), Arc::new(RequestMetrics::default()));
        let mut items = 0;
        while let Some(page) = stream.next().await {
            items += page?.items;
        }
        Ok(items)
    };
    tokio::time::timeout(Duration::from_secs(30), reading).await.expect("a hostile server must not hang the client")
}

/// A listener on another origin that counts connections and requests carrying credentials.
struct Elsewhere {
    port: u16,
    connections: Arc<AtomicUsize>,
    credentials: Arc<AtomicUsize>,
}

async fn elsewhere(host: &str) -> Elsewhere {
    let listener = tokio::net::TcpListener::bind((host, 0)).await.expect("binds");
    let port = listener.local_addr().expect("addr").port();
    let (connections, credentials) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, k) = (connections.clone(), credentials.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let mut head = vec![0u8; 8192];
            let n = stream.read(&mut head).await.unwrap_or(0);
            if String::from_utf8_lossy(&head[..n]).to_ascii_lowercase().contains("authorization:") {
                k.fetch_add(1, Ordering::SeqCst);
            }
            let body = r#"{"results": [], "_links": {}}"#;
            let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len());
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    Elsewhere { port, connections, credentials }
}

fn rule(endpoint: &str) -> FaultRule {
    FaultRule { endpoint: Some(endpoint.to_owned()), ..FaultRule::default() }
}

#[tokio::test]
async fn next_links_to_another_origin_are_refused_before_any_request() {
    let (sim, client) = cloud().await;
    // Another loopback address, and another port on the same address.
    for host in ["127.0.0.2", "127.0.0.1"] {
        let evil = elsewhere(host).await;
        let target = format!("http://{host}:{}/wiki/api/v2/pages?cursor=stolen", evil.port);
        // In the body and the Link header.
        sim.set_faults(vec![FaultRule { next_link: Some(target.clone()), ..rule("/wiki/api/v2/pages") }]);
        let error = read(&client, client.dialect().v2("pages?limit=2").expect("url"), Pagination::Cursor).await;
        let error = error.expect_err("refused");
        assert!(matches!(error, RestError::ForeignOrigin { .. }), "{error}");
        assert!(error.to_string().contains(&format!("{host}:{}", evil.port)), "names the link: {error}");
        // In the Link header only (v2 lists prefer it).
        sim.set_faults(vec![FaultRule {
            link_header: Some(format!("<{target}>; rel=\"next\"")),
            ..rule("/wiki/api/v2/pages")
        }]);
        let error = read(&client, client.dialect().v2("pages?limit=2").expect("url"), Pagination::Cursor).await;
        assert!(matches!(error, Err(RestError::ForeignOrigin { .. })), "{error:?}");
        // In an offset list's `_links.next`.
        sim.set_faults(vec![FaultRule { next_link: Some(target.clone()), ..rule("/wiki/rest/api/search") }]);
        let search = client.dialect().v1("search?cql=type%3Dpage&limit=10").expect("url");
        let error = read(&client, search, Pagination::Offset).await;
        assert!(matches!(error, Err(RestError::ForeignOrigin { .. })), "{error:?}");
        assert_eq!(evil.connections.load(Ordering::SeqCst), 0, "no request reached {host}:{}", evil.port);
        assert_eq!(evil.credentials.load(Ordering::SeqCst), 0);
    }
}

#[tokio::test]
async fn lists_that_loop_or_never_end_stop_with_an_error() {
    let (sim, client) = cloud().await;
    sim.set_faults(vec![FaultRule { repeat_next: true, ..rule("/wiki/api/v2/pages") }]);
    let error = read(&client, client.dialect().v2("pages?limit=2").expect("url"), Pagination::Cursor).await;
    let error = error.expect_err("a loop");
    assert!(error.to_string().contains("already sent"), "{error}");
    assert_eq!(sim.counters().get("GET /wiki/api/v2/pages"), 1, "the link back to the first page is not followed");

    sim.reset_counters();
    sim.set_faults(vec![FaultRule { endless: true, ..rule("/wiki/api/v2/pages") }]);
    let error = read(&client, client.dialect().v2("pages?limit=2").expect("url"), Pagination::Cursor).await;
    let error = error.expect_err("endless");
    assert!(error.to_string().contains("beyond 20 pages (MaxPages)"), "{error}");
    assert_eq!(sim.counters().get("GET /wiki/api/v2/pages"), 20, "MaxPages requests, not one more");

    let (dc, client) = data_center().await;
    dc.set_faults(vec![FaultRule { endless: true, ..rule("/rest/api/content") }]);
    let first = client.dialect().v1("content?type=page&limit=3").expect("url");
    let error = read(&client, first, Pagination::Offset).await.expect_err("endless offsets");
    assert!(error.to_string().contains("MaxPages"), "{error}");
}

#[tokio::test]
async fn totals_that_lie_are_caught() {
    let (sim, client) = data_center().await;
    let first = || client.dialect().v1("content/search?cql=type%20%3D%20page&limit=5").expect("url");
    let honest = read(&client, first(), Pagination::Offset).await.expect("reads");
    assert!(honest > 15, "enough pages to lie about: {honest}");

    // A total that would take a billion requests: refused after the first page.
    sim.reset_counters();
    sim.set_faults(vec![FaultRule { total_size: Some(1_000_000_000_000), ..rule("/rest/api/content/search") }]);
    let error = read(&client, first(), Pagination::Offset).await.expect_err("absurd total");
    assert!(error.to_string().contains("beyond MaxPages"), "{error}");
    assert_eq!(sim.counters().get("GET /rest/api/content/search"), 1);

    // A total above the real one: the pages beyond the end come back empty, which is not the end of the list.
    sim.set_faults(vec![FaultRule { total_size: Some(honest as u64 + 12), ..rule("/rest/api/content/search") }]);
    let error = read(&client, first(), Pagination::Offset).await.expect_err("short");
    assert!(error.to_string().contains("empty page"), "{error}");

    // A total with no next page: the list did not end where the server says it does.
    sim.set_faults(vec![FaultRule { no_next: true, ..rule("/rest/api/content/search") }]);
    let error = read(&client, first(), Pagination::Offset).await.expect_err("short");
    assert!(error.to_string().contains("and no next page"), "{error}");

    // A total below the real one: the next links carry the reading to the true end.
    sim.set_faults(vec![FaultRule { total_size: Some(3), ..rule("/rest/api/content/search") }]);
    let error = read(&client, first(), Pagination::Offset).await;
    assert!(error.is_ok() || error.as_ref().is_err_and(|e| e.to_string().contains("changed")), "{error:?}");
}

#[tokio::test]
async fn items_moving_between_offset_pages_are_caught() {
    let (sim, client) = data_center().await;
    sim.set_faults(vec![FaultRule { shift_offsets: true, ..rule("/rest/api/content") }]);
    let first = client.dialect().v1("content?type=page&limit=4").expect("url");
    let error = read(&client, first, Pagination::Offset).await.expect_err("shifted");
    assert!(error.to_string().contains("came on the page before too"), "{error}");
}

#[tokio::test]
async fn absurd_retry_after_values_are_errors_not_panics() {
    let (sim, client) = cloud().await;
    for value in ["1e20", "18446744073709551616", "Fri, 31 Dec 9999 23:59:59 GMT"] {
        sim.set_faults(vec![FaultRule {
            burst_429: 1,
            retry_after: Some(value.to_owned()),
            ..rule("/wiki/api/v2/spaces")
        }]);
        let error = client.get(client.dialect().v2("spaces").expect("url"), None).await.expect_err(value);
        assert!(matches!(error, RestError::WaitTooLong { .. }), "{value}: {error}");
        assert!(error.to_string().contains("try again later"), "{error}");
    }
    // Nonsense and past dates mean "retry soon".
    for value in ["soon", "-5", "Mon, 01 Jan 2001 00:00:00 GMT"] {
        sim.set_faults(vec![FaultRule {
            burst_429: 1,
            retry_after: Some(value.to_owned()),
            ..rule("/wiki/api/v2/spaces")
        }]);
        client.get(client.dialect().v2("spaces").expect("url"), None).await.unwrap_or_else(|e| panic!("{value}: {e}"));
    }
}

#[tokio::test]
async fn malformed_link_headers_fall_back_to_the_body() {
    let (sim, client) = cloud().await;
    let first = || client.dialect().v2("pages?limit=3").expect("url");
    let honest = read(&client, first(), Pagination::Cursor).await.expect("reads");
    for header in [">oops<; rel=\"next\"", "<", "<unterminated; rel=\"next\"", "; rel=next", "\u{7f}"] {
        sim.set_faults(vec![FaultRule { link_header: Some(header.to_owned()), ..rule("/wiki/api/v2/pages") }]);
        assert_eq!(read(&client, first(), Pagination::Cursor).await.expect(header), honest, "{header}");
    }
}

#[tokio::test]
async fn oversized_and_trickling_bodies_are_bounded() {
    let (sim, client) = cloud().await;
    sim.set_faults(vec![FaultRule { pad_bytes: 512 * 1024, ..rule("/wiki/api/v2/spaces") }]);
    let error = client.get(client.dialect().v2("spaces").expect("url"), None).await.expect_err("too large");
    assert!(matches!(error, RestError::ResponseTooLarge { .. }), "{error}");
    assert!(error.to_string().contains("MaxResponseSize"), "{error}");

    // Without a Content-Length (a stream), the limit holds while reading.
    sim.set_faults(vec![FaultRule { pad_bytes: 512 * 1024, trickle_ms: 0, ..rule("/wiki/api/v2/spaces") }]);
    let error = client.get(client.dialect().v2("spaces").expect("url"), None).await.expect_err("too large");
    assert!(matches!(error, RestError::ResponseTooLarge { .. }), "{error}");

    // A body sent a few bytes at a time ends with the request timeout, whatever its length.
    sim.set_faults(vec![FaultRule { trickle_ms: 300, ..rule("/wiki/api/v2/spaces") }]);
    let started = Instant::now();
    let error = client.get(client.dialect().v2("spaces").expect("url"), None).await.expect_err("too slow");
    assert!(matches!(error, RestError::Transport { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(15), "bounded by Timeout × attempts: {:?}", started.elapsed());
}
