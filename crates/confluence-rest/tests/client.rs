//! The REST client against the simulator: pagination (and stopping early), retries after 429 and 5xx with the
//! shared backoff, and a readable error for every failure.

use std::sync::Arc;
use std::time::Duration;

use confluence_rest::{
    pages, BasicAuth, BearerToken, ClientConfig, ConfluenceClient, Dialect, PageRequest, Pagination, RequestMetrics,
    RestError, RetryPolicy, TokenSource,
};
use confluence_sim::{DatasetSize, FaultRule, SimConfig, SimHandle, Simulator};
use connstr::Secret;
use futures::StreamExt;

const FAST: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    base_delay: Duration::from_millis(5),
    max_delay: Duration::from_millis(50),
    max_server_wait: Duration::from_secs(5),
};

fn url(text: &str) -> url::Url {
    url::Url::parse(text).expect("url")
}

/// A client for the simulator's Cloud site with its API token.
fn cloud_client(sim: &SimHandle, token: &str) -> ConfluenceClient {
    let info = sim.info();
    let auth = Arc::new(BasicAuth::new(info.user.clone(), Secret::new(token), "User and APIToken"));
    let dialect = Dialect::Cloud { api_base: url(&info.url) };
    ConfluenceClient::new(&ClientConfig { retry: FAST, ..ClientConfig::default() }, dialect, auth).expect("client")
}

/// A client for the simulator's Data Center site with its personal access token.
fn data_center_client(sim: &SimHandle) -> ConfluenceClient {
    let info = sim.info();
    let auth: Arc<dyn TokenSource> = Arc::new(BearerToken::new(Secret::new(info.pat.clone()), "PersonalAccessToken"));
    let dialect = Dialect::DataCenter { base: url(&info.url) };
    ConfluenceClient::new(&ClientConfig { retry: FAST, ..ClientConfig::default() }, dialect, auth).expect("client")
}

async fn cloud() -> (SimHandle, ConfluenceClient) {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.expect("starts");
    let client = cloud_client(&sim, &sim.info().api_token);
    (sim, client)
}

async fn read_all(client: &ConfluenceClient, request: PageRequest) -> Result<(usize, usize), RestError> {
    let mut stream = pages(client.clone(), request, Arc::new(RequestMetrics::default()));
    let (mut pages_read, mut items) = (0, 0);
    while let Some(page) = stream.next().await {
        let page = page?;
        pages_read += 1;
        items += page.items;
    }
    Ok((pages_read, items))
}

fn v2(client: &ConfluenceClient, path: &str) -> url::Url {
    client.dialect().v2(path).expect("url")
}

#[tokio::test]
async fn cursor_pagination_to_the_end() {
    let (sim, client) = cloud().await;
    let first = v2(&client, "pages?limit=10");
    let (pages_read, items) = read_all(&client, PageRequest::new(first, Pagination::Cursor)).await.expect("reads");
    let expected = (0..sim.dataset().page_count())
        .filter(|i| ["current", "archived"].contains(&sim.dataset().page(*i).status.as_str()))
        .count();
    assert_eq!(items, expected);
    assert_eq!(pages_read, expected.div_ceil(10));
    assert_eq!(sim.counters().get("GET /wiki/api/v2/pages") as usize, pages_read);
}

#[tokio::test]
async fn a_limit_stops_after_one_request() {
    let (sim, client) = cloud().await;
    let first = v2(&client, "pages?limit=5");
    let (pages_read, items) =
        read_all(&client, PageRequest { max_items: Some(5), ..PageRequest::new(first, Pagination::Cursor) })
            .await
            .expect("reads");
    assert_eq!((pages_read, items), (1, 5));
    assert_eq!(sim.counters().get("GET /wiki/api/v2/pages"), 1);
}

#[tokio::test]
async fn offset_pagination_on_data_center() {
    let sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.expect("starts");
    let client = data_center_client(&sim);
    let first = client.dialect().v1("content?type=page&spaceKey=ENG&limit=4").expect("url");
    let (pages_read, items) = read_all(&client, PageRequest::new(first, Pagination::Offset)).await.expect("reads");
    let eng = sim.dataset().space_page_range(0);
    let current = eng.filter(|i| sim.dataset().page(*i).status == "current").count();
    assert_eq!(items, current);
    assert_eq!(pages_read, current.div_ceil(4));
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried() {
    let (sim, client) = cloud().await;
    sim.set_faults(vec![FaultRule { burst_429: 2, retry_after_secs: 0, ..FaultRule::default() }]);
    let response = client.get(v2(&client, "spaces"), None).await.expect("succeeds after the burst");
    assert!(response.status.is_success());
    let m = client.metrics();
    assert_eq!((m.requests, m.retries, m.throttled), (3, 2, 2));

    sim.set_faults(vec![FaultRule { rate_5xx: 1.0, ..FaultRule::default() }]);
    let error = client.get(v2(&client, "spaces"), None).await.expect_err("keeps failing");
    assert!(matches!(error, RestError::Server { status: 503, attempts: 4, .. }), "{error}");
    sim.set_faults(vec![FaultRule { rate_429: 1.0, retry_after_secs: 0, ..FaultRule::default() }]);
    let error = client.get(v2(&client, "spaces"), None).await.expect_err("keeps throttling");
    assert!(matches!(error, RestError::RateLimited { attempts: 4, .. }), "{error}");
    assert!(error.to_string().contains("lower MaxConcurrency"));
}

#[tokio::test]
async fn broken_bodies_are_errors_not_data() {
    let (sim, client) = cloud().await;
    sim.set_faults(vec![FaultRule { malformed_rate: 1.0, ..FaultRule::default() }]);
    let first = v2(&client, "pages");
    let error = read_all(&client, PageRequest::new(first, Pagination::Cursor)).await.expect_err("malformed");
    assert!(matches!(error, RestError::Decode { .. }), "{error}");
    sim.set_faults(vec![FaultRule { truncated_rate: 1.0, ..FaultRule::default() }]);
    let error = client.get(v2(&client, "pages"), None).await.expect_err("truncated");
    assert!(matches!(error, RestError::Transport { attempts: 4, .. }), "{error}");
    sim.set_faults(vec![FaultRule { truncated_rate: 0.5, ..FaultRule::default() }]);
    assert!(client.get(v2(&client, "pages"), None).await.is_ok(), "an occasional cut is retried");
}

#[tokio::test]
async fn errors_say_what_to_fix() {
    let (sim, _) = cloud().await;
    let info = sim.info();
    let client = cloud_client(&sim, "wrong");
    let error = client.get(client.dialect().v2("spaces").expect("url"), None).await.expect_err("refused");
    assert!(matches!(error, RestError::Unauthorized { .. }));
    let text = error.to_string();
    assert!(text.contains("401") && text.contains("User and APIToken"), "{text}");
    assert!(!text.contains("wrong"), "no secret in errors: {text}");

    let client = cloud_client(&sim, &info.api_token);
    let error =
        client.get(client.dialect().v1("search?cql=title%20%3D").expect("url"), None).await.expect_err("bad CQL");
    assert_eq!(
        error.to_string(),
        "Confluence rejected the request (400) to /wiki/rest/api/search: Could not parse cql : title ="
    );
    let error = client.get(client.dialect().v2("pages/42").expect("url"), None).await.expect_err("missing");
    assert!(matches!(error, RestError::NotFound { .. }), "{error}");

    sim.shutdown().await;
    let error = client.get(client.dialect().v2("spaces").expect("url"), None).await.expect_err("closed");
    assert!(matches!(error, RestError::Transport { .. }), "{error}");
}

#[tokio::test]
async fn oauth_access_token_goes_through_the_gateway() {
    let (sim, _) = cloud().await;
    let info = sim.info();
    let tokens = sim.issue_oauth_tokens(&["read:page:confluence"]);
    let auth = Arc::new(BearerToken::new(Secret::new(tokens.access_token.clone()), "OAuthAccessToken"));
    let api_base = confluence_rest::client::gateway_base(&url(&info.atlassian_api_url), &info.cloud_id).expect("url");
    let client = ConfluenceClient::new(&ClientConfig::default(), Dialect::Cloud { api_base }, auth).expect("client");
    let first = client.dialect().v2("pages?limit=3").expect("url");
    let (pages_read, _) =
        read_all(&client, PageRequest { max_items: Some(6), ..PageRequest::new(first, Pagination::Cursor) })
            .await
            .expect("reads");
    assert_eq!(pages_read, 2);
    assert!(sim.request_log().iter().all(|r| r.via_gateway), "every request went through /ex/confluence/{{cloudid}}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_with_a_total_is_read_several_pages_at_a_time_in_order() {
    let sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.expect("starts");
    let client = data_center_client(&sim);
    let first = client.dialect().v1("content/search?cql=type%20%3D%20page&limit=7").expect("url");
    let mut stream =
        pages(client.clone(), PageRequest::new(first.clone(), Pagination::Offset), Arc::new(RequestMetrics::default()));
    let mut ids: Vec<String> = Vec::new();
    let mut total = 0;
    while let Some(page) = stream.next().await {
        let body = page.expect("page").document;
        total = body["totalSize"].as_u64().expect("a search reports its total") as usize;
        ids.extend(
            body["results"].as_array().expect("results").iter().map(|r| r["id"].as_str().unwrap_or("").to_owned()),
        );
    }
    // Every result once, in the server's order, one request per page.
    let mut sorted = ids.clone();
    sorted.sort_by_key(|id| id.parse::<u64>().unwrap_or(0));
    sorted.dedup();
    assert_eq!(ids.len(), total);
    assert_eq!(ids, sorted);
    assert_eq!(sim.counters().get("GET /rest/api/content/search") as usize, total.div_ceil(7));
    let starts: Vec<String> = sim.request_log().iter().skip(1).map(|r| r.query.clone()).collect();
    assert!(starts.iter().all(|q| q.contains("start=") && q.contains("limit=7")), "{starts:?}");

    // A LIMIT caps the pages requested at once.
    sim.reset_counters();
    let (pages_read, items) =
        read_all(&client, PageRequest { max_items: Some(10), ..PageRequest::new(first, Pagination::Offset) })
            .await
            .expect("reads");
    assert_eq!((pages_read, items), (2, 14));
    assert_eq!(sim.counters().get("GET /rest/api/content/search"), 2);
}

/// A list that ends past what the service returns at most (Cloud's page ancestors: 250 and no cursor) fails
/// rather than read as complete; within the cap it reads as usual.
#[tokio::test]
async fn a_list_ending_past_its_cap_fails_instead_of_reading_short() {
    let (_sim, client) = cloud().await;
    let first = v2(&client, "spaces?limit=250");
    let (_, spaces) = read_all(&client, PageRequest::new(first.clone(), Pagination::Cursor)).await.expect("reads");
    assert!(spaces > 2);
    let capped = |max| PageRequest {
        depth_cap: Some(confluence_rest::DepthCap { max, reason: "the cap's reason" }),
        ..PageRequest::new(first.clone(), Pagination::Cursor)
    };
    let error = read_all(&client, capped(spaces - 1)).await.expect_err("past the cap");
    assert!(error.to_string().contains("the cap's reason"), "{error}");
    assert_eq!(read_all(&client, capped(spaces)).await.expect("within the cap").1, spaces);
}
