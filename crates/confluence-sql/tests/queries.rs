//! SQL against the simulator: results match the data set, and queries make the fewest requests (read from the
//! simulator's counters and request log).

use confluence_sim::{DatasetSize, SimConfig, SimHandle, Simulator};
use confluence_sql::Connection;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;

async fn setup(size: DatasetSize) -> (SimHandle, Connection) {
    let sim = Simulator::start(SimConfig::cloud().with_size(size)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    (sim, connection)
}

async fn query(connection: &Connection, sql: &str) -> Vec<RecordBatch> {
    connection.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

fn first_i64(batches: &[RecordBatch]) -> i64 {
    batches.iter().find(|b| b.num_rows() > 0).map(|b| b.column(0).as_primitive::<Int64Type>().value(0)).unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_limit_makes_one_request() {
    let (sim, connection) = setup(DatasetSize::SMALL).await;
    let batches = query(&connection, "SELECT id FROM pages LIMIT 5").await;
    assert_eq!(rows(&batches), 5);
    assert_eq!(sim.counters().get("GET /wiki/api/v2/pages"), 1);
    let log = sim.request_log();
    assert!(log[0].query.contains("limit=5"), "the page size follows the LIMIT: {}", log[0].query);
    assert_eq!(sim.counters().total, 1, "no other request (no space directory when space_key is not used)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_star_reads_every_page_at_the_maximum_limit_in_several_chains() {
    let (sim, connection) = setup(DatasetSize::SMALL).await;
    let batches = query(&connection, "SELECT count(*), count(DISTINCT id) FROM pages").await;
    let data = sim.dataset();
    let expected =
        (0..data.page_count()).filter(|i| ["current", "archived"].contains(&data.page(*i).status.as_str())).count();
    assert_eq!(first_i64(&batches), expected as i64);
    let distinct = batches[0].column(1).as_primitive::<Int64Type>().value(0);
    assert_eq!(distinct, expected as i64, "every page exactly once across the chains");
    // Eight workers (MaxConcurrency) sharing one chain per space (up to 32 chains): at most one partly filled
    // page per chain, and one page where the two ends of a chain meet, more than one chain would read; and one
    // request for the space directory.
    let lists = sim.counters().get("GET /wiki/api/v2/pages") as usize;
    let chains = data.space_count().min(32);
    assert!((expected.div_ceil(250)..=expected.div_ceil(250) + chains + 8).contains(&lists), "{lists}");
    assert_eq!(sim.counters().get("GET /wiki/api/v2/spaces"), 1);
    let log = sim.request_log();
    let lists: Vec<_> = log.iter().filter(|r| r.endpoint == "/wiki/api/v2/pages").collect();
    assert!(lists.iter().all(|r| r.query.contains("limit=250") && r.query.contains("space-id=")), "{lists:?}");
    let plan = query(&connection, "EXPLAIN SELECT count(*) FROM pages").await;
    let text = pretty_format_batches(&plan).map(|t| t.to_string()).unwrap_or_default();
    assert!(
        text.contains("partitions=8") && text.contains("sort=id&space-id=<every space: worker 8 of 8, from both ends>"),
        "{text}"
    );
    // A LIMIT or a lookup stays one request.
    let plan = query(&connection, "EXPLAIN SELECT id FROM pages WHERE title = 'x'").await;
    let text = pretty_format_batches(&plan).map(|t| t.to_string()).unwrap_or_default();
    assert!(text.contains("partitions=1"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_space_filter_touches_no_other_space() {
    let (sim, connection) = setup(DatasetSize::SMALL).await;
    let eng = sim.dataset().space_by_key("ENG").expect("ENG").clone();
    let batches = query(&connection, "SELECT id, space_key FROM pages WHERE space_key = 'ENG'").await;
    let current_or_archived =
        sim.dataset().space_page_range(eng.index).filter(|i| sim.dataset().page(*i).status != "trashed").count();
    assert_eq!(rows(&batches), current_or_archived);
    assert!(batches.iter().all(|b| (0..b.num_rows()).all(|i| b.column(1).as_string::<i32>().value(i) == "ENG")));
    let page_requests: Vec<_> = sim.request_log().into_iter().filter(|r| r.endpoint == "/wiki/api/v2/pages").collect();
    assert!(!page_requests.is_empty());
    assert!(page_requests.iter().all(|r| r.query.contains(&format!("space-id={}", eng.id))), "{page_requests:?}");
    assert_eq!(sim.counters().get("GET /wiki/api/v2/spaces"), 1, "one request for the space directory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_spaces_run_as_partitions() {
    let (sim, connection) = setup(DatasetSize::SMALL).await;
    let batches = query(&connection, "SELECT space_key, count(*) AS n FROM pages WHERE space_key IN ('ENG', 'DOCS', 'PROD') GROUP BY space_key ORDER BY space_key").await;
    assert_eq!(rows(&batches), 3);
    let ids: Vec<u64> =
        ["ENG", "DOCS", "PROD"].iter().map(|k| sim.dataset().space_by_key(k).map(|s| s.id).unwrap_or(0)).collect();
    let log = sim.request_log();
    for id in ids {
        let pair = format!("space-id={id}");
        assert!(
            log.iter().any(|r| r.endpoint == "/wiki/api/v2/pages" && r.query.split('&').any(|p| p == pair)),
            "a request for space {id}"
        );
    }
    let explain = pretty_format_batches(
        &query(&connection, "EXPLAIN SELECT id FROM pages WHERE space_key IN ('ENG', 'DOCS')").await,
    )
    .map(|t| t.to_string())
    .unwrap_or_default();
    assert!(explain.contains("partitions=4"), "two workers per space, one from each end: {explain}");
    assert!(
        explain.contains("GET /wiki/api/v2/pages?limit=250&sort=id&space-id=<ENG,DOCS: worker 1 of 4"),
        "{explain}"
    );
}

/// One space's list is one cursor chain: read from both ends at once (`sort=id` and `sort=-id`), meeting in the
/// middle, every page exactly once and no more requests than the chain plus the page where the ends meet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_space_is_read_from_both_ends_exactly_once() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let connection = Connection::open(&format!("{};PageSize=25", sim.info().connection_string)).await.expect("opens");
    let data = sim.dataset();
    let eng = data.space_by_key("ENG").expect("ENG").index;
    let expected: Vec<u64> = (0..data.page_count())
        .map(|i| data.page(i))
        .filter(|p| p.space == eng && ["current", "archived"].contains(&p.status.as_str()))
        .map(|p| p.id)
        .collect();
    assert!(expected.len() > 100, "a chain of several pages: {}", expected.len());
    let batches = query(&connection, "SELECT id FROM pages WHERE space_key = 'ENG' ORDER BY id").await;
    let ids: Vec<u64> = batches
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .map(|i| i as u64)
        .collect();
    assert_eq!(ids, expected, "every page of the space once, none twice");
    let log = sim.request_log();
    let lists: Vec<_> = log.iter().filter(|r| r.endpoint == "/wiki/api/v2/pages").collect();
    assert!(lists.iter().any(|r| r.query.contains("sort=-id")), "read from the top too: {lists:?}");
    assert!(lists.iter().any(|r| r.query.contains("sort=id&")), "and from the bottom: {lists:?}");
    // The chain's pages, plus at most one more for each end where they meet (none read ahead).
    assert!(lists.len() <= expected.len().div_ceil(25) + 2, "{} requests for {} pages", lists.len(), expected.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_fetched_without_listing_the_site() {
    let (sim, connection) = setup(DatasetSize::SMALL).await;
    let a = sim.dataset().page(3).id;
    let b = sim.dataset().page(700).id;
    let batches = query(&connection, &format!("SELECT id, title FROM pages WHERE id IN ({a}, {b}) ORDER BY id")).await;
    assert_eq!(rows(&batches), 2);
    assert_eq!(first_i64(&batches), a as i64);
    assert_eq!(sim.counters().get("GET /wiki/api/v2/pages"), 1);
    assert!(sim.request_log()[0].query.contains(&format!("id={a}%2C{b}")), "{}", sim.request_log()[0].query);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_aggregates_and_bodies() {
    let (sim, connection) = setup(DatasetSize::TINY).await;
    let batches = query(
        &connection,
        "SELECT s.key, count(p.id) AS pages FROM spaces s LEFT JOIN pages p ON p.space_id = s.id GROUP BY s.key ORDER BY s.key",
    )
    .await;
    assert_eq!(rows(&batches), sim.dataset().space_count(), "every space, including the empty one");
    let batches = query(&connection, "SELECT body_storage FROM pages WHERE id = 1000000001").await;
    assert!(batches[0].column(0).as_string::<i32>().value(0).starts_with("<h2>"));
    assert!(sim.request_log().last().is_some_and(|r| r.query.contains("body-format=storage")));
    let batches = query(&connection, "SELECT kind, count(*) FROM comments GROUP BY kind ORDER BY kind").await;
    assert_eq!(rows(&batches), 2);
    let users = query(&connection, "SELECT count(*) FROM users").await;
    assert_eq!(first_i64(&users), sim.dataset().user_count() as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_readable() {
    let (_sim, connection) = setup(DatasetSize::TINY).await;
    let error = connection.query("SELEC 1").await.expect_err("bad SQL").to_string();
    assert!(error.contains("SQL"), "{error}");
    let error = connection.query("SELECT nope FROM pages").await.expect_err("bad column").to_string();
    assert!(error.contains("nope"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_and_duplicate_nothing() {
    use confluence_rest::RetryPolicy;
    use confluence_sim::FaultRule;
    use std::time::Duration;

    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let options = connstr::ConnectionOptions::parse(&sim.info().connection_string).expect("valid");
    let retry = RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        max_server_wait: Duration::from_secs(5),
    };
    let connection = Connection::builder().options(options).retry(retry).build().expect("connection");
    let clean = query(&connection, "SELECT count(*), count(DISTINCT id), sum(id) FROM pages").await;
    let clean = pretty_format_batches(&clean).map(|t| t.to_string()).unwrap_or_default();

    sim.set_faults(vec![FaultRule {
        burst_429: 3,
        retry_after_secs: 0,
        rate_5xx: 0.2,
        truncated_rate: 0.15,
        reset_rate: 0.1,
        ..FaultRule::default()
    }]);
    let faulty = query(&connection, "SELECT count(*), count(DISTINCT id), sum(id) FROM pages").await;
    let faulty = pretty_format_batches(&faulty).map(|t| t.to_string()).unwrap_or_default();
    assert_eq!(faulty, clean, "the same rows, once each, despite 429s, 5xx and cut connections");
    let m = connection.metrics();
    assert!(m.retries >= 3 && m.throttled >= 3, "{m:?}");

    sim.set_faults(vec![FaultRule { malformed_rate: 1.0, ..FaultRule::default() }]);
    let error =
        connection.query("SELECT count(*) FROM pages").await.expect_err("malformed JSON is an error, not fewer rows");
    assert!(error.to_string().contains("cannot be read"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_analyze_reports_requests_per_partition() {
    let (_sim, connection) = setup(DatasetSize::SMALL).await;
    let batches =
        query(&connection, "EXPLAIN ANALYZE SELECT count(*) FROM pages WHERE space_key IN ('ENG', 'DOCS')").await;
    let text = pretty_format_batches(&batches).map(|t| t.to_string()).unwrap_or_default();
    assert!(text.contains("ConfluenceScanExec"), "{text}");
    assert!(text.contains("requests=") && text.contains("response_bytes="), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cql_table_function_pages_and_respects_spaces() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let connection = Connection::open(&format!("{};Spaces=DOCS", sim.info().connection_string)).await.expect("opens");
    let batches =
        query(&connection, "SELECT id, space_key FROM cql('type = page ORDER BY created DESC') LIMIT 7").await;
    assert_eq!(rows(&batches), 7);
    assert!(batches.iter().all(|b| (0..b.num_rows()).all(|i| b.column(1).as_string::<i32>().value(i) == "DOCS")));
    let log = sim.request_log();
    // The rows of cql() are checked against Spaces, so the list cannot stop at 7 items by itself (a dropped row
    // would make the answer short): the engine's LIMIT stops it. The list is read page after page (no fan-out over
    // the known total), so at most the one page read ahead meanwhile is wasted.
    assert!(!log.is_empty() && log.len() <= 2, "one search request for a LIMIT below the page size: {log:?}");
    assert!(log[0].query.contains("limit=7"), "{}", log[0].query);
    assert!(
        log[0].query.contains("space+IN+%28%22DOCS%22%29+AND+%28type+%3D+page%29+ORDER+BY+created+DESC"),
        "{}",
        log[0].query
    );
    let error = connection.query("SELECT * FROM cql('title = ')").await.expect_err("bad CQL").to_string();
    assert!(error.contains("Could not parse cql"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_center_spaces_pages_and_blog_posts() {
    let sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::SMALL)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    let data = sim.dataset();
    let spaces = query(&connection, "SELECT count(*) FROM spaces").await;
    assert_eq!(first_i64(&spaces), data.space_count() as i64);
    let eng = data.space_by_key("ENG").expect("ENG").clone();
    let current = data.space_page_range(eng.index).filter(|i| data.page(*i).status == "current").count();
    let pages = query(
        &connection,
        "SELECT count(*), count(parent_id), min(space_key), max(space_key) FROM pages WHERE space_key = 'ENG'",
    )
    .await;
    assert_eq!(first_i64(&pages), current as i64);
    let text = pretty_format_batches(&pages).map(|t| t.to_string()).unwrap_or_default();
    assert!(text.contains("| ENG "), "{text}");
    // The parent's type, from the last ancestor: a page wherever there is a parent.
    let typed = query(
        &connection,
        "SELECT count(parent_id) - count(parent_type), count(parent_type) FILTER (WHERE parent_type <> 'page') \
         FROM pages WHERE space_key = 'ENG'",
    )
    .await;
    assert_eq!(pretty_format_batches(&typed).map(|t| t.to_string()).unwrap_or_default().matches("| 0 ").count(), 2);
    let log = sim.request_log();
    assert!(
        log.iter().filter(|r| r.endpoint == "/rest/api/content").all(|r| r.query.contains("spaceKey=ENG")),
        "{log:?}"
    );
    // Page 1 is in ENG (the first space holds the first pages).
    let title = data.page(1).title.replace('\'', "''");
    let body =
        query(&connection, &format!("SELECT body_storage FROM pages WHERE space_key = 'ENG' AND title = '{title}'"))
            .await;
    assert_eq!(rows(&body), 1);
    assert!(
        sim.request_log()
            .last()
            .is_some_and(|r| r.query.contains("expand=space%2Chistory%2Cversion%2Cancestors%2Cbody.storage")),
        "{:?}",
        sim.request_log().last()
    );
    let blogs = query(&connection, "SELECT count(*) FROM blog_posts WHERE space_key IN ('ENG', 'DOCS')").await;
    assert!(first_i64(&blogs) > 0);
    // Labels per page, one request each, from /rest/api/content/{id}/label.
    let (p1, p2) = (data.page(1), data.page(2));
    let labels = query(
        &connection,
        &format!(
            "SELECT page_id, name, prefix FROM labels WHERE page_id IN ({}, {}) ORDER BY page_id, name",
            p1.id, p2.id
        ),
    )
    .await;
    assert_eq!(rows(&labels), p1.labels.len() + p2.labels.len());
    assert_eq!(sim.counters().get("GET /rest/api/content/{id}/label"), 2);
    let error = connection.query("SELECT count(*) FROM tasks").await.expect_err("not on Data Center").to_string();
    assert!(error.contains("not available on Confluence Data Center") && error.contains("inline tasks"), "{error}");
    // Users: every registered user, by user key (Data Center 8.4 and later).
    let users =
        query(&connection, "SELECT count(*), count(DISTINCT account_id), count(account_status) FROM users").await;
    let counts: Vec<i64> = (0..3).map(|c| users[0].column(c).as_primitive::<Int64Type>().value(0)).collect();
    let count = sim.dataset().user_count() as i64;
    assert_eq!(counts, [count, count, count], "every user once, each with a status");
    let key = query(&connection, "SELECT account_id FROM users LIMIT 1").await;
    let key = key[0].column(0).as_string::<i32>().value(0).to_owned();
    assert_eq!(key, sim.dataset().user(0).user_key);
}

/// An endpoint a Data Center server gained in a later version: on an older one the table fails with the version it
/// needs and what to read instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_center_server_too_old_for_a_table_says_what_it_needs() {
    let config = SimConfig::data_center().with_size(DatasetSize::TINY).with_data_center_version(8, 3);
    let sim = Simulator::start(config).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    let error = connection.query("SELECT * FROM users").await.expect_err("8.3 has no user list").to_string();
    assert!(error.contains("needs Confluence Data Center 8.4 or later"), "{error}");
    assert!(error.contains("group_members WHERE group_id = 'confluence-users'"), "{error}");
    assert!(!error.contains("Deployment=Cloud"), "not taken for a Cloud site: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_parent_tables_need_their_parent_and_read_one_partition_each() {
    let (sim, connection) = setup(DatasetSize::SMALL).await;
    let data = sim.dataset();
    let (a, b) = (data.page(10), data.page(20));
    let batches = query(
        &connection,
        &format!(
            "SELECT page_id, count(*) FROM page_versions WHERE page_id IN ({}, {}) GROUP BY page_id ORDER BY page_id",
            a.id, b.id
        ),
    )
    .await;
    let text = pretty_format_batches(&batches).map(|t| t.to_string()).unwrap_or_default();
    assert!(text.contains(&format!("| {} | {}", a.id, a.version.number)), "{text}");
    assert_eq!(sim.counters().get("GET /wiki/api/v2/pages/{id}/versions"), 2, "one request per page");

    let labels = query(&connection, &format!("SELECT name FROM labels WHERE page_id = {} ORDER BY name", a.id)).await;
    assert_eq!(rows(&labels), a.labels.len());

    let group = data.group(3);
    let members =
        query(&connection, &format!("SELECT count(*) FROM group_members WHERE group_id = '{}'", group.id)).await;
    let expected = (0..data.user_count()).filter(|u| data.is_member(3, *u)).count();
    assert_eq!(first_i64(&members), expected as i64);

    let error = connection.query("SELECT * FROM page_versions").await.expect_err("needs page_id").to_string();
    assert!(error.contains("WHERE page_id = <id>"), "{error}");
}

fn text_of(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).map(|t| t.to_string()).unwrap_or_default()
}

/// Author, parent and time ranges are found through CQL (the v2 page list cannot filter them): the rows are the
/// same as without pushdown, and the requests are far fewer than a full listing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cql_finds_what_the_page_list_cannot_filter() {
    let (sim, connection) = setup(DatasetSize::SMALL).await;
    let sample = query(
        &connection,
        "SELECT author_id, CAST(created_at AS VARCHAR) AS c, CAST(updated_at AS VARCHAR) AS u FROM pages \
         WHERE parent_id IS NOT NULL AND status = 'current' ORDER BY id LIMIT 1 OFFSET 40",
    )
    .await;
    let column = |name: &str| {
        let batch = sample.iter().find(|b| b.num_rows() > 0).expect("a sample page");
        datafusion::arrow::util::display::array_value_to_string(batch.column_by_name(name).expect("column"), 0)
            .expect("text")
    };
    let (author, created, updated) = (column("author_id"), column("c"), column("u"));
    let parent = first_i64(
        &query(&connection, "SELECT parent_id FROM pages WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1 OFFSET 40")
            .await,
    );
    let full_scan = sim.dataset().page_count().div_ceil(250);
    let cases = [
        (format!("author_id = '{author}'"), format!("concat(author_id, '') = '{author}'")),
        (format!("parent_id = {parent}"), format!("parent_id + 0 = {parent}")),
        (
            format!("created_at >= TIMESTAMP '{created}' - INTERVAL '20 days' AND created_at < TIMESTAMP '{created}'"),
            format!(
                "CAST(created_at AS VARCHAR) >= CAST(TIMESTAMP '{created}' - INTERVAL '20 days' AS VARCHAR) AND \
                 CAST(created_at AS VARCHAR) < '{created}'"
            ),
        ),
        (
            format!("updated_at > TIMESTAMP '{updated}' AND author_id = '{author}'"),
            format!("CAST(updated_at AS VARCHAR) > '{updated}' AND concat(author_id, '') = '{author}'"),
        ),
    ];
    for (pushed, plain) in cases {
        let select = "SELECT id, title, status, space_key, author_id, parent_id, created_at FROM pages";
        sim.reset_counters();
        let found = query(&connection, &format!("{select} WHERE {pushed} ORDER BY id")).await;
        let counters = sim.counters();
        let searches = counters.get("GET /wiki/rest/api/search");
        let lists = counters.get("GET /wiki/api/v2/pages");
        assert!(searches >= 1, "{pushed}: CQL search used: {counters:?}");
        assert!(lists < full_scan, "{pushed}: {lists} page requests, a full scan is {full_scan}");
        let expected = query(&connection, &format!("{select} WHERE {plain} ORDER BY id")).await;
        assert!(rows(&expected) > 0, "{plain}: the case selects something");
        assert_eq!(text_of(&found), text_of(&expected), "{pushed}");

        // Only columns the search results hold exactly: the search alone, no fetch by id, the same rows.
        let select = "SELECT id, title, status, space_id, space_key, author_id, created_at, version, \
                      version_message, updated_at, updated_by FROM pages";
        sim.reset_counters();
        let found = query(&connection, &format!("{select} WHERE {pushed} ORDER BY id")).await;
        let log = sim.request_log();
        // (The engine re-checks a parent filter, so the scan reads `parent_id` too, which the results lack.)
        let direct = !pushed.contains("parent_id");
        assert_eq!(
            log.iter().any(|r| r.endpoint == "/wiki/rest/api/search" && r.query.contains("content.version")),
            direct,
            "{pushed}: {log:?}"
        );
        assert_eq!(
            !log.iter().any(|r| r.endpoint == "/wiki/api/v2/pages" && r.query.contains("id=")),
            direct,
            "{pushed}: no fetch by id: {log:?}"
        );
        let expected = query(&connection, &format!("{select} WHERE {plain} ORDER BY id")).await;
        assert_eq!(text_of(&found), text_of(&expected), "{pushed}, from the search results");
    }

    // EXPLAIN shows the search and the fetch by id (a column the search results lack, the parent); status =
    // 'current' needs no listing of archived pages.
    let plan = text_of(
        &query(
            &connection,
            &format!("EXPLAIN SELECT id, parent_id FROM pages WHERE author_id = '{author}' AND status = 'current'"),
        )
        .await,
    );
    assert!(plan.contains("GET /wiki/rest/api/search?cql=type = \"page\" AND creator = "), "{plan}");
    assert!(plan.contains("then per page GET /wiki/api/v2/pages?id=<ids found>"), "{plan}");
    assert!(plan.contains("partitions=1"), "{plan}");
    let plan = text_of(
        &query(
            &connection,
            &format!("EXPLAIN SELECT id FROM pages WHERE author_id = '{author}' AND status = 'current'"),
        )
        .await,
    );
    assert!(plan.contains("expand=content.space,content.history,content.version") && !plan.contains("then per page"));
    // Another status than current and archived keeps the plain list.
    let plan = text_of(
        &query(&connection, &format!("EXPLAIN SELECT id FROM pages WHERE author_id = '{author}' AND status = 'draft'"))
            .await,
    );
    assert!(!plan.contains("search?cql"), "{plan}");
}

/// The same query on a Cloud and a Data Center simulator with the same data set, rendered as text.
async fn on_both(cloud: &Connection, data_center: &Connection, sql: &str) -> (String, String) {
    let render = |batches: Vec<RecordBatch>| pretty_format_batches(&batches).map(|t| t.to_string()).unwrap_or_default();
    (render(query(cloud, sql).await), render(query(data_center, sql).await))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_center_comments_attachments_audit_and_groups_agree_with_cloud() {
    let cloud_sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let dc_sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::SMALL)).await.expect("starts");
    let cloud = Connection::open(&cloud_sim.info().connection_string).await.expect("opens");
    let dc = Connection::open(&dc_sim.info().connection_string).await.expect("opens");

    // Comments: every column's shape agrees, read from a CQL search on Data Center.
    let sql = "SELECT kind, status, count(*) AS n, count(page_id), count(blog_post_id), count(parent_comment_id), \
               count(resolution_status), sum(version), min(created_at), max(title) FROM comments \
               GROUP BY kind, status ORDER BY kind, status";
    let (a, b) = on_both(&cloud, &dc, sql).await;
    assert_eq!(a, b);
    assert!(a.contains("footer") && a.contains("inline"), "{a}");
    assert!(
        dc_sim.request_log().iter().all(|r| r.endpoint == "/rest/api/content/search"),
        "{:?}",
        dc_sim.request_log()
    );
    // A page's comments: one search with the page as a CQL clause, bodies expanded only when selected.
    dc_sim.reset_counters();
    let page = cloud_sim.dataset().page(1).id;
    let bodies = format!("SELECT id, kind, body_storage FROM comments WHERE page_id = {page} ORDER BY id");
    let (a, b) = on_both(&cloud, &dc, &bodies).await;
    assert_eq!(a, b);
    assert!(a.contains("<p>"), "{a}");
    let log = dc_sim.request_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].query.contains(&format!("container+%3D+%22{page}%22")), "{}", log[0].query);
    assert!(log[0].query.contains("body.storage"), "{}", log[0].query);

    // Attachments.
    let sql =
        "SELECT status, count(*), count(page_id), count(blog_post_id), sum(file_size), count(DISTINCT media_type), \
               max(download_path), max(comment), sum(version) FROM attachments GROUP BY status ORDER BY status";
    let (a, b) = on_both(&cloud, &dc, sql).await;
    assert_eq!(a, b);

    // Spaces= restricts the search: one partition per space, as a CQL clause.
    let restricted =
        Connection::open(&format!("{};Spaces=ENG,DOCS", dc_sim.info().connection_string)).await.expect("opens");
    dc_sim.reset_counters();
    let in_spaces = query(&restricted, "SELECT count(*) FROM comments").await;
    let expected = query(
        &cloud,
        "SELECT count(*) FROM comments c LEFT JOIN pages p ON c.page_id = p.id \
         LEFT JOIN blog_posts b ON c.blog_post_id = b.id WHERE p.space_key IN ('ENG', 'DOCS') OR b.space_key IN ('ENG', 'DOCS')",
    )
    .await;
    assert_eq!(first_i64(&in_spaces), first_i64(&expected));
    assert!(first_i64(&in_spaces) > 0);
    let searches: Vec<String> = dc_sim.request_log().iter().map(|r| r.query.clone()).collect();
    assert!(searches.iter().any(|q| q.contains("space+%3D+%22ENG%22")), "{searches:?}");
    assert!(searches.iter().any(|q| q.contains("space+%3D+%22DOCS%22")), "{searches:?}");

    // The audit log: the same records; authors by user key on Data Center.
    let sql =
        "SELECT count(*), count(DISTINCT category), min(created_at), max(summary), count(author_id) FROM audit_log";
    let (a, b) = on_both(&cloud, &dc, sql).await;
    assert_eq!(a, b);
    let author = query(&dc, "SELECT author_id FROM audit_log LIMIT 1").await;
    let key = author[0].column(0).as_string::<i32>().value(0).to_owned();
    let data = dc_sim.dataset();
    assert!((0..data.user_count()).any(|u| data.user(u).user_key == key), "{key} is a user key");

    // Page versions: the same history, from Data Center's experimental version list (authors by user key).
    let data = cloud_sim.dataset();
    let page = (0..data.page_count()).map(|i| data.page(i)).find(|p| p.version.number >= 3).expect("a page edited");
    let sql = format!(
        "SELECT page_id, number, message, minor_edit, created_at, author_id IS NOT NULL AS by FROM page_versions \
         WHERE page_id = {} ORDER BY number",
        page.id
    );
    let (a, b) = on_both(&cloud, &dc, &sql).await;
    assert_eq!(a, b);
    assert!(a.contains(&format!("| {} | {} ", page.id, page.version.number)), "{a}");
    assert_eq!(dc_sim.counters().get("GET /rest/experimental/content/{id}/version"), 1);

    // Groups: on Data Center the name is the id, and group_members takes it.
    let groups = query(&dc, "SELECT id, name FROM groups ORDER BY name").await;
    let (ids, names) = (groups[0].column(0).as_string::<i32>(), groups[0].column(1).as_string::<i32>());
    assert_eq!(ids.value(0), names.value(0));
    let name = names.value(0).to_owned();
    let cloud_id = query(&cloud, &format!("SELECT id FROM groups WHERE name = '{name}'")).await;
    let cloud_id = cloud_id[0].column(0).as_string::<i32>().value(0).to_owned();
    let dc_members =
        query(&dc, &format!("SELECT count(*), count(account_id) FROM group_members WHERE group_id = '{name}'")).await;
    let cloud_members =
        query(&cloud, &format!("SELECT count(*), count(account_id) FROM group_members WHERE group_id = '{cloud_id}'"))
            .await;
    assert_eq!(first_i64(&dc_members), first_i64(&cloud_members));
    assert!(first_i64(&dc_members) > 0);
}

/// A label's pages: on Cloud, that label's lists (`labels/{id}/pages`, found in the site's labels); on Data Center,
/// one CQL search for the pages carrying it; never a request per page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_with_a_label_come_from_its_lists_or_one_search_not_a_request_per_page() {
    let cloud_sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let dc_sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::SMALL)).await.expect("starts");
    let cloud = Connection::open(&cloud_sim.info().connection_string).await.expect("opens");
    let dc = Connection::open(&dc_sim.info().connection_string).await.expect("opens");
    let data = cloud_sim.dataset();
    let label = data.page(1).labels.first().expect("page 1 has a label").clone();
    // Both find current pages (in current and archived spaces).
    let labelled: Vec<i64> = (0..data.page_count())
        .map(|i| data.page(i))
        .filter(|p| p.status == "current" && p.labels.contains(&label))
        .map(|p| p.id as i64)
        .collect();
    assert!(labelled.len() > 1, "{label}");
    let sql = format!(
        "SELECT page_id, name, prefix, space_id FROM labels WHERE name = '{label}' AND page_id IS NOT NULL \
         ORDER BY page_id"
    );
    let (a, b) = on_both(&cloud, &dc, &sql).await;
    assert_eq!(a, b);
    let spaces = format!("SELECT count(space_id) FROM labels WHERE name = '{label}' AND page_id IS NOT NULL");
    assert_eq!(first_i64(&query(&dc, &spaces).await), labelled.len() as i64, "each row's space, from the search");
    cloud_sim.reset_counters();
    dc_sim.reset_counters();
    let rows = query(&cloud, &sql).await;
    let ids: Vec<i64> = rows.iter().flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec()).collect();
    assert_eq!(ids, labelled);
    let counters = cloud_sim.counters();
    assert_eq!(counters.get("GET /wiki/api/v2/labels"), 1, "the site's labels, the one named kept");
    assert_eq!(counters.get("GET /wiki/api/v2/labels/{id}/pages") as usize, labelled.len().div_ceil(250));
    assert_eq!(counters.get("GET /wiki/api/v2/labels/{id}/blogposts"), 0, "page_id IS NOT NULL: no blog post list");
    assert_eq!(counters.get("GET /wiki/api/v2/pages/{id}/labels"), 0, "no request per page");
    assert_eq!(counters.get("GET /wiki/rest/api/search"), 0, "no search");
    query(&dc, &sql).await;
    assert!(dc_sim.request_log().iter().all(|r| r.endpoint == "/rest/api/content/search"));

    // Its blog posts too on Cloud: the same rows as the whole table filtered by the engine.
    let everything = format!("SELECT page_id, blog_post_id FROM labels WHERE lower(name) = '{label}' ORDER BY 1, 2");
    let pinned = format!("SELECT page_id, blog_post_id FROM labels WHERE name = '{label}' ORDER BY 1, 2");
    let render = |b: Vec<RecordBatch>| pretty_format_batches(&b).map(|t| t.to_string()).unwrap_or_default();
    assert_eq!(render(query(&cloud, &pinned).await), render(query(&cloud, &everything).await));
    // A second label can be asked for too; one that does not exist adds nothing.
    let all =
        query(&cloud, &format!("SELECT count(page_id) FROM labels WHERE name IN ('{label}', 'no-such-label')")).await;
    assert_eq!(first_i64(&all), labelled.len() as i64);
    // The question users ask: which pages carry the label.
    let joined = query(
        &cloud,
        &format!("SELECT count(*) FROM pages p JOIN labels l ON l.page_id = p.id WHERE l.name = '{label}'"),
    )
    .await;
    assert_eq!(first_i64(&joined), labelled.len() as i64);
    // The space of the pages named: one lookup per query on each deployment, the same answer.
    let page = data.page(1);
    let sql = format!("SELECT DISTINCT space_id FROM labels WHERE page_id = {}", page.id);
    let (a, b) = on_both(&cloud, &dc, &sql).await;
    assert_eq!(a, b);
    assert!(a.contains(&data.space(page.space).id.to_string()), "{a}");
    cloud_sim.reset_counters();
    query(&cloud, &format!("SELECT space_id FROM labels WHERE page_id = {}", page.id)).await;
    assert_eq!(cloud_sim.counters().get("GET /wiki/api/v2/pages"), 1, "the lookup: one request");
    cloud_sim.reset_counters();
    query(&cloud, &format!("SELECT name FROM labels WHERE page_id = {}", page.id)).await;
    assert_eq!(cloud_sim.counters().get("GET /wiki/api/v2/pages"), 0, "no lookup when space_id is not selected");

    // Without page_id or name, Data Center's error says both ways (Cloud reads every label, below).
    let error = dc.query("SELECT * FROM labels").await.expect_err("needs a filter").to_string();
    assert!(error.contains("page_id = <id>") && error.contains("name = '<value>'"), "{error}");
}

/// `labels` with no page, blog post or label named, on Cloud: every label of the site, then each label's pages and
/// blog posts, a request per label and per 250 of its pages, rather than a request per page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_label_of_the_site_is_read_label_by_label() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    let eng = Connection::open(&format!("{};Spaces=ENG", sim.info().connection_string)).await.expect("opens");
    let data = sim.dataset();
    let pages: Vec<_> = (0..data.page_count()).map(|i| data.page(i)).filter(|p| p.status == "current").collect();
    let posts: Vec<_> =
        (0..data.blogpost_count()).map(|i| data.blogpost(i)).filter(|p| p.status == "current").collect();
    let pairs = |space: Option<&str>| {
        let in_space =
            |c: &&confluence_sim::dataset::model::Content| space.is_none_or(|key| data.space(c.space).key == key);
        let mut truth: Vec<String> = pages
            .iter()
            .filter(in_space)
            .flat_map(|p| p.labels.iter().map(move |l| format!("page {} {l}", p.id)))
            .chain(
                posts.iter().filter(in_space).flat_map(|p| p.labels.iter().map(move |l| format!("post {} {l}", p.id))),
            )
            .collect();
        truth.sort();
        truth
    };
    let sql = "SELECT CASE WHEN page_id IS NOT NULL THEN 'page ' || page_id ELSE 'post ' || blog_post_id END || ' ' \
               || name FROM labels WHERE prefix = 'global'";
    let listed = |batches: Vec<RecordBatch>| {
        let mut rows: Vec<String> = batches
            .iter()
            .flat_map(|b| (0..b.num_rows()).map(move |i| b.column(0).as_string::<i32>().value(i).to_owned()))
            .collect();
        rows.sort();
        rows
    };
    sim.reset_counters();
    let everything = listed(query(&connection, sql).await);
    let truth = pairs(None);
    assert!(truth.len() > 500, "{}", truth.len());
    assert_eq!(everything, truth, "every page/label and blog post/label pair, once");
    let counters = sim.counters();
    assert_eq!(counters.get("GET /wiki/api/v2/labels"), 1, "the site's labels: one request");
    let per_label = |of: &[confluence_sim::dataset::model::Content]| -> u64 {
        (0..data.label_count())
            .map(|l| data.label(l).1)
            .map(|name| (of.iter().filter(|c| c.labels.iter().any(|l| l == name)).count() as u64).div_ceil(250).max(1))
            .sum()
    };
    assert_eq!(counters.get("GET /wiki/api/v2/labels/{id}/pages"), per_label(&pages), "per label, per 250 pages");
    assert_eq!(counters.get("GET /wiki/api/v2/labels/{id}/blogposts"), per_label(&posts));
    assert_eq!(counters.get("GET /wiki/api/v2/pages/{id}/labels"), 0, "no request per page");

    // Under Spaces, the label's lists carry the spaces: only ENG's pairs.
    let restricted = listed(query(&eng, sql).await);
    assert_eq!(restricted, pairs(Some("ENG")));
    assert!(restricted.len() < everything.len());

    // Joined on page_id (whose join key cannot be NULL), no blog post's labels are read.
    sim.reset_counters();
    let joined = "SELECT count(*) FROM labels l JOIN pages p ON p.id = l.page_id WHERE p.status = 'current'";
    let page_pairs = pages.iter().map(|p| p.labels.len() as i64).sum::<i64>();
    assert_eq!(first_i64(&query(&connection, joined).await), page_pairs);
    assert_eq!(sim.counters().get("GET /wiki/api/v2/labels/{id}/blogposts"), 0, "{joined}");
    assert_eq!(sim.counters().get("GET /wiki/api/v2/labels/{id}/pages"), per_label(&pages));

    // Each row's space comes with it: the pairs per space, without reading the pages.
    let space_id = |c: &confluence_sim::dataset::model::Content| data.space(c.space).id as i64;
    let mut per_space: std::collections::BTreeMap<(i64, String), i64> = Default::default();
    for page in &pages {
        for label in &page.labels {
            *per_space.entry((space_id(page), label.clone())).or_default() += 1;
        }
    }
    let grouped = query(
        &connection,
        "SELECT space_id, name, count(*) FROM labels WHERE page_id IS NOT NULL GROUP BY space_id, name \
         ORDER BY space_id, name",
    )
    .await;
    let grouped: std::collections::BTreeMap<(i64, String), i64> = grouped
        .iter()
        .flat_map(|b| {
            (0..b.num_rows()).map(move |i| {
                let space = b.column(0).as_primitive::<Int64Type>().value(i);
                let name = b.column(1).as_string::<i32>().value(i).to_owned();
                ((space, name), b.column(2).as_primitive::<Int64Type>().value(i))
            })
        })
        .collect();
    assert_eq!(grouped, per_space, "labels per space, from the labels' lists alone");
    // A space pinned by id is sent with the lists; beside Spaces, only within them.
    let eng_id = (0..data.space_count()).map(|s| data.space(s)).find(|s| s.key == "ENG").expect("ENG").id;
    let docs_id = (0..data.space_count()).map(|s| data.space(s)).find(|s| s.key == "DOCS").expect("DOCS").id;
    sim.reset_counters();
    let in_eng = listed(query(&connection, &format!("{sql} AND space_id = {eng_id}")).await);
    assert_eq!(in_eng, pairs(Some("ENG")));
    assert!(sim
        .request_log()
        .iter()
        .filter(|r| r.endpoint.starts_with("/wiki/api/v2/labels/"))
        .all(|r| r.query.contains(&format!("space-id={eng_id}"))));
    let outside = query(&eng, &format!("SELECT count(*) FROM labels WHERE space_id = {docs_id}")).await;
    assert_eq!(first_i64(&outside), 0, "space_id beside Spaces is their intersection, not a union");

    // A label pinned by id is asked for by id: only its lists are read.
    let (label_id, label_name) = data.label(0);
    sim.reset_counters();
    let by_id = listed(query(&connection, &format!("{sql} AND label_id = {label_id}")).await);
    assert!(!by_id.is_empty() && by_id.iter().all(|r| r.ends_with(&format!(" {label_name}"))), "{by_id:?}");
    assert_eq!(by_id, truth.iter().filter(|r| r.ends_with(&format!(" {label_name}"))).cloned().collect::<Vec<_>>());
    assert!(sim
        .request_log()
        .iter()
        .any(|r| r.endpoint == "/wiki/api/v2/labels" && r.query.contains(&format!("label-id={label_id}"))));
    assert_eq!(sim.counters().get("GET /wiki/api/v2/labels/{id}/blogposts"), 1, "that label's lists only");

    // A LIMIT: one worker, the labels and the first label's pages, no more.
    sim.reset_counters();
    assert_eq!(rows(&query(&connection, "SELECT * FROM labels LIMIT 5").await), 5);
    assert_eq!(sim.counters().total, 2, "{:?}", sim.request_log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pages_attachments_are_read_from_that_page_not_from_the_whole_list() {
    let (sim, connection) = setup(DatasetSize::SMALL).await;
    let pinned = query(&connection, "SELECT page_id FROM attachments LIMIT 2").await;
    let pages = pinned[0].column(0).as_primitive::<Int64Type>();
    let (a, b) = (pages.value(0), pages.value(1));
    let render = |batches: Vec<RecordBatch>| pretty_format_batches(&batches).map(|t| t.to_string()).unwrap_or_default();
    sim.reset_counters();
    let by_page = render(
        query(
            &connection,
            &format!("SELECT id, title, file_size FROM attachments WHERE page_id IN ({a}, {b}) ORDER BY id"),
        )
        .await,
    );
    assert_eq!(sim.counters().get("GET /wiki/api/v2/pages/{id}/attachments"), if a == b { 1 } else { 2 });
    assert_eq!(sim.counters().get("GET /wiki/api/v2/attachments"), 0, "not the whole list");
    // The same rows as the whole list filtered by the engine.
    let listed = render(
        query(
            &connection,
            &format!("SELECT id, title, file_size FROM attachments WHERE page_id + 0 IN ({a}, {b}) ORDER BY id"),
        )
        .await,
    );
    assert_eq!(by_page, listed);
    assert!(by_page.contains(".") && by_page.lines().count() > 4, "{by_page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_table_suggests_the_nearest_and_sends_nothing() {
    let (sim, connection) = setup(DatasetSize::TINY).await;
    sim.reset_counters();
    let error = connection.query("SELECT title FROM pagez").await.unwrap_err();
    assert_eq!(error.kind(), confluence_sql::ErrorKind::NotFound, "{error}");
    assert!(error.to_string().ends_with("did you mean pages?"), "{error}");
    assert!(sim.request_log().is_empty());
}

/// A Cloud site on a host outside atlassian.net is taken for Data Center unless Deployment says otherwise: the 404
/// of Data Center's list endpoint says to add Deployment=Cloud.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_site_taken_for_data_center_says_to_set_deployment() {
    let (sim, _) = setup(DatasetSize::TINY).await;
    let info = sim.info();
    let guessed = format!("Url={};User={};APIToken={}", info.url, info.user, info.api_token);
    let connection = Connection::open(&guessed).await.expect("opens");
    let error = connection.query("SELECT key FROM spaces").await.expect_err("Cloud has no /rest/api/space");
    assert!(error.to_string().contains("add Deployment=Cloud"), "{error}");
    // Said explicitly, Data Center gets no such hint.
    let explicit = Connection::open(&format!("{guessed};Deployment=DataCenter")).await.expect("opens");
    let error = explicit.query("SELECT key FROM spaces").await.expect_err("still not Data Center");
    assert!(!error.to_string().contains("Deployment=Cloud"), "{error}");
}

/// A time range on `audit_log.created_at` goes to the server as `startDate`/`endDate` (epoch milliseconds, a day of
/// margin each way): one page of records read instead of the whole log, and exactly the rows in the range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_time_range_is_sent_as_start_and_end_dates() {
    let (sim, connection) = setup(DatasetSize::SMALL).await;
    let data = sim.dataset();
    let (from, to) = (data.audit(600).created_ms, data.audit(400).created_ms);
    let expected = (0..data.audit_count()).filter(|r| (from..to).contains(&data.audit(*r).created_ms)).count() as i64;
    assert!(expected > 100, "{expected}");
    let range = format!("created_at >= to_timestamp_millis({from}) AND created_at < to_timestamp_millis({to})");
    let pushed = query(&connection, &format!("SELECT count(*) FROM audit_log WHERE {range}")).await;
    assert_eq!(first_i64(&pushed), expected);
    let log = sim.request_log();
    let audit: Vec<_> = log.iter().filter(|r| r.endpoint == "/wiki/rest/api/audit").collect();
    assert_eq!(audit.len(), 1, "one page of records, not the whole log: {audit:?}");
    let day = 86_400_000;
    assert!(audit[0].query.contains(&format!("startDate={}", from - day)), "{}", audit[0].query);
    assert!(audit[0].query.contains(&format!("endDate={}", to + day)), "{}", audit[0].query);
}

/// Cloud's user search stops at 10,000 users: a site with more fails with the reason and what to do instead,
/// never a silently short `users` table; a `LIMIT` within the cap still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_search_cap_fails_loudly() {
    let size = DatasetSize::parse("small,users=10050").expect("a size");
    let (sim, connection) = setup(size).await;
    let error = connection.query("SELECT count(*) FROM users").await.expect_err("more users than the search reads");
    let message = error.to_string();
    assert!(message.contains("10050 results but returns only the first 10000"), "{message}");
    assert!(message.contains("CONFCLOUD-77954") && message.contains("group_members"), "{message}");
    assert_eq!(sim.counters().get("GET /wiki/rest/api/search/user"), 1, "it fails on the first page, before reading");
    let some = query(&connection, "SELECT account_id FROM users LIMIT 150").await;
    assert_eq!(rows(&some), 150);
}

/// The page tree: a page's children (in the tree's order) and its ancestors (the highest first) agree between Cloud
/// and Data Center, with one request per page on Cloud and one search for every page named on Data Center.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_tree_reads_children_and_ancestors_on_both_deployments() {
    let cloud_sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let dc_sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::SMALL)).await.expect("starts");
    let cloud = Connection::open(&cloud_sim.info().connection_string).await.expect("opens");
    let dc = Connection::open(&dc_sim.info().connection_string).await.expect("opens");
    let data = cloud_sim.dataset();
    let pages: Vec<_> = (0..data.page_count()).map(|i| data.page(i)).collect();
    let by_id: std::collections::HashMap<u64, _> = pages.iter().map(|p| (p.id, p)).collect();
    let depth =
        |parent: Option<u64>| std::iter::successors(parent, |id| by_id.get(id).and_then(|p| p.parent_id)).count();
    // Two current pages at least two levels down, and the expected ancestors of each, the highest first.
    let deep: Vec<_> = pages.iter().filter(|p| p.status == "current" && depth(p.parent_id) >= 2).take(2).collect();
    assert_eq!(deep.len(), 2);
    let mut expected = String::new();
    for page in &deep {
        let mut chain: Vec<u64> = std::iter::successors(page.parent_id, |id| by_id[id].parent_id).collect();
        chain.reverse();
        expected.extend(chain.iter().map(|a| format!("{} {a} page\n", page.id)));
    }
    let ids = format!("{}, {}", deep[0].id, deep[1].id);
    let sql = format!("SELECT page_id, ancestor_id, ancestor_type FROM page_ancestors WHERE page_id IN ({ids})");
    for (connection, sim) in [(&cloud, &cloud_sim), (&dc, &dc_sim)] {
        sim.reset_counters();
        let rows = query(connection, &sql).await;
        let mut text = String::new();
        for batch in &rows {
            let (page, ancestor) =
                (batch.column(0).as_primitive::<Int64Type>(), batch.column(1).as_primitive::<Int64Type>());
            for row in 0..batch.num_rows() {
                let kind = batch.column(2).as_string::<i32>().value(row);
                text.push_str(&format!("{} {} {kind}\n", page.value(row), ancestor.value(row)));
            }
        }
        // Partitions may interleave: compare each page's chain in order.
        for page in &deep {
            let prefix = format!("{} ", page.id);
            let of = |t: &str| t.lines().filter(|l| l.starts_with(&prefix)).map(str::to_owned).collect::<Vec<_>>();
            assert_eq!(of(&text), of(&expected), "{sql}");
        }
        let expected_requests = if sim.info().deployment == "DataCenter" { 1 } else { 2 };
        assert_eq!(sim.counters().total, expected_requests, "{:?}", sim.request_log());
    }

    // Children: a page with several, in position order, the same on both (Data Center has no position).
    let parent = pages
        .iter()
        .filter(|p| p.status == "current")
        .max_by_key(|p| pages.iter().filter(|c| c.parent_id == Some(p.id)).count())
        .expect("a parent");
    let mut children: Vec<_> = pages
        .iter()
        .filter(|c| c.parent_id == Some(parent.id) && ["current", "archived"].contains(&c.status.as_str()))
        .collect();
    children.sort_by_key(|c| (c.position.unwrap_or(i32::MAX), c.id));
    assert!(children.len() > 1);
    let sql = format!(
        "SELECT page_id, id, title, status, space_id FROM page_children WHERE page_id = {} ORDER BY id",
        parent.id
    );
    let (a, b) = on_both(&cloud, &dc, &sql).await;
    assert_eq!(a, b);
    assert_eq!(a.matches(&format!("| {} ", parent.id)).count(), children.len(), "{a}");
    let ordered = query(&cloud, &format!("SELECT id, position FROM page_children WHERE page_id = {}", parent.id)).await;
    let got: Vec<i64> =
        ordered.iter().flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec()).collect();
    assert_eq!(got, children.iter().map(|c| c.id as i64).collect::<Vec<_>>(), "the tree's order");

    // The whole subtree as a recursive query over pages.parent_id (the space pinned in both steps) agrees with a
    // walk over the same rows.
    let root = deep[0].parent_id.expect("a parent");
    let space = &data.space(deep[0].space).key;
    let subtree = format!(
        "WITH RECURSIVE tree(id) AS (SELECT id FROM pages WHERE id = {root} \
         UNION ALL SELECT p.id FROM pages p JOIN tree t ON p.parent_id = t.id WHERE p.space_key = '{space}') \
         SELECT count(*) FROM tree"
    );
    let edges = query(&cloud, &format!("SELECT id, parent_id FROM pages WHERE space_key = '{space}'")).await;
    let mut edge_list = Vec::new();
    for batch in &edges {
        let (ids, parents) = (batch.column(0).as_primitive::<Int64Type>(), batch.column(1).as_primitive::<Int64Type>());
        edge_list.extend((0..batch.num_rows()).map(|r| (ids.value(r), parents.is_valid(r).then(|| parents.value(r)))));
    }
    let mut expected_size = 0;
    let mut frontier = vec![root as i64];
    while let Some(id) = frontier.pop() {
        expected_size += 1;
        frontier.extend(edge_list.iter().filter(|(_, parent)| *parent == Some(id)).map(|(child, _)| *child));
    }
    assert!(expected_size > 2, "{expected_size}");
    assert_eq!(first_i64(&query(&cloud, &subtree).await), expected_size);

    // Without a page, the error says what to add.
    let error = cloud.query("SELECT * FROM page_children").await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("add WHERE page_id = <id>"), "{error}");
    let error = dc.query("SELECT * FROM page_ancestors").await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("add WHERE page_id = <id>") && !error.contains("CQL"), "{error}");
}

/// Space permissions: every space's list read once (one request per space, the workers sharing the spaces), the
/// spaces a query names only, the same grants on Cloud and Data Center (9.1+), and a clear error on older servers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn space_permissions_read_each_space_once_on_both_deployments() {
    let cloud_sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let dc_sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::SMALL)).await.expect("starts");
    let cloud = Connection::open(&cloud_sim.info().connection_string).await.expect("opens");
    let dc = Connection::open(&dc_sim.info().connection_string).await.expect("opens");
    let data = cloud_sim.dataset();
    let spaces = data.space_count();
    let expected: usize = (0..spaces).map(|s| data.space_permissions(s).len()).sum();

    cloud_sim.reset_counters();
    let all = query(&cloud, "SELECT count(*), count(DISTINCT space_id), count(id) FROM space_permissions").await;
    assert_eq!(first_i64(&all) as usize, expected);
    assert_eq!(cloud_sim.counters().get("GET /wiki/api/v2/spaces/{id}/permissions") as usize, spaces, "one per space");

    // Small pages: the same rows, each space's list followed to its end.
    let paged = Connection::open(&format!("{};PageSize=4", cloud_sim.info().connection_string)).await.expect("opens");
    assert_eq!(first_i64(&query(&paged, "SELECT count(*) FROM space_permissions").await) as usize, expected);

    // One space named: one request (and the space directory, already read).
    let eng = data.space_by_key("ENG").expect("ENG").clone();
    cloud_sim.reset_counters();
    let sql = "SELECT space_id, space_key, principal_type, operation, target_type FROM space_permissions \
               WHERE space_key = 'ENG' AND operation = 'administer'";
    let admins = query(&cloud, sql).await;
    assert_eq!(rows(&admins), 1, "the creator administers the space");
    assert_eq!(admins[0].column(0).as_primitive::<Int64Type>().value(0), eng.id as i64);
    assert_eq!(cloud_sim.counters().get("GET /wiki/api/v2/spaces/{id}/permissions"), 1);
    let by_id = query(&cloud, &format!("SELECT count(*) FROM space_permissions WHERE space_id = {}", eng.id)).await;
    assert_eq!(first_i64(&by_id) as usize, data.space_permissions(eng.index).len());
    let wrong_case = query(&cloud, "SELECT count(*) FROM space_permissions WHERE space_key = 'eng'").await;
    assert_eq!(first_i64(&wrong_case), 0, "keys compare as SQL compares text");

    // The same grants on Data Center (principals named differently: user keys, group names).
    let sql = "SELECT space_key, principal_type, operation, target_type, count(*) FROM space_permissions \
               GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";
    let (a, b) = on_both(&cloud, &dc, sql).await;
    assert_eq!(a, b);
    let groups = query(&dc, "SELECT DISTINCT principal_id FROM space_permissions WHERE principal_type = 'group'").await;
    let names: Vec<String> = (0..data.group_count()).map(|g| data.group(g).name).collect();
    for batch in &groups {
        for row in 0..batch.num_rows() {
            assert!(names.contains(&batch.column(0).as_string::<i32>().value(row).to_owned()), "groups by name");
        }
    }

    // Spaces= restricts which spaces are read.
    let restricted = Connection::open(&format!("{};Spaces=ENG", dc_sim.info().connection_string)).await.expect("opens");
    dc_sim.reset_counters();
    let in_eng = query(&restricted, "SELECT count(DISTINCT space_key), count(*) FROM space_permissions").await;
    assert_eq!(first_i64(&in_eng), 1);
    assert_eq!(dc_sim.counters().get("GET /rest/api/space/{key}/permissions"), 1);

    // A server older than 9.1 answers 404: the error says what is needed.
    let old = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY).with_data_center_version(9, 0))
        .await
        .expect("starts");
    let old_connection = Connection::open(&old.info().connection_string).await.expect("opens");
    let error = old_connection.query("SELECT * FROM space_permissions").await.err().map(|e| e.to_string());
    assert!(error.as_deref().is_some_and(|e| e.contains("Data Center 9.1 or later")), "{error:?}");
}

/// A blog post's labels: one request to that blog post's label list on Cloud (the content label list on Data
/// Center), the same rows on both, kept to `Spaces`, and never mistaken for a page's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blog_posts_labels_are_read_from_that_blog_post() {
    let cloud_sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let dc_sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::SMALL)).await.expect("starts");
    let cloud = Connection::open(&cloud_sim.info().connection_string).await.expect("opens");
    let dc = Connection::open(&dc_sim.info().connection_string).await.expect("opens");
    let data = cloud_sim.dataset();
    let post = (0..data.blogpost_count())
        .map(|i| data.blogpost(i))
        .find(|b| b.status == "current" && b.labels.len() >= 2)
        .expect("a labelled blog post");
    let sql = format!(
        "SELECT page_id, blog_post_id, name, prefix FROM labels WHERE blog_post_id = {} ORDER BY name",
        post.id
    );
    cloud_sim.reset_counters();
    let (a, b) = on_both(&cloud, &dc, &sql).await;
    assert_eq!(a, b);
    let rows_of_post = a.lines().filter(|l| l.starts_with("|         | ") && l.contains(&post.id.to_string())).count();
    assert_eq!(rows_of_post, post.labels.len(), "page_id NULL, blog_post_id the post: {a}");
    assert_eq!(cloud_sim.counters().get("GET /wiki/api/v2/blogposts/{id}/labels"), 1);
    assert_eq!(cloud_sim.counters().get("GET /wiki/api/v2/pages/{id}/labels"), 0);

    // Pinning a page too: a label is on one or the other, so nothing (the engine re-checks the parent pins).
    let page = data.page(1).id;
    let both = format!("SELECT count(*) FROM labels WHERE blog_post_id = {} AND page_id = {page}", post.id);
    assert_eq!(first_i64(&query(&cloud, &both).await), 0);
    assert_eq!(first_i64(&query(&dc, &both).await), 0);

    // Spaces: the blog post's own space reads its labels; another space reads none of them.
    let own = &data.space(post.space).key;
    let other = (0..data.space_count()).map(|s| &data.space(s).key).find(|k| *k != own && !k.starts_with('~'));
    for (connection_string, spaces, expected) in [
        (cloud_sim.info().connection_string, own.clone(), post.labels.len()),
        (cloud_sim.info().connection_string, other.expect("another space").clone(), 0),
        (dc_sim.info().connection_string, own.clone(), post.labels.len()),
        (dc_sim.info().connection_string, other.expect("another space").clone(), 0),
    ] {
        let restricted = Connection::open(&format!("{connection_string};Spaces={spaces}")).await.expect("opens");
        let count = format!("SELECT count(*) FROM labels WHERE blog_post_id = {}", post.id);
        assert_eq!(first_i64(&query(&restricted, &count).await) as usize, expected, "Spaces={spaces}");
    }
    let error = dc.query("SELECT * FROM labels").await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("or blog_post_id = <id>"), "{error}");
}

/// Cloud analytics: one request per content named and metric, the two tables joined by content, a clear error on
/// Data Center, and none for content outside `Spaces`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_views_and_viewers_read_one_object_per_content() {
    let (sim, connection) = setup(DatasetSize::SMALL).await;
    let data = sim.dataset();
    let (a, b) = (data.page(1), data.page(2));
    sim.reset_counters();
    let sql = format!(
        "SELECT v.content_id, v.views, w.viewers FROM content_views v JOIN content_viewers w ON v.content_id = \
         w.content_id WHERE v.content_id IN ({a}, {b}) AND w.content_id IN ({a}, {b}) ORDER BY v.content_id",
        a = a.id,
        b = b.id
    );
    let rows = query(&connection, &sql).await;
    assert_eq!(rows.iter().map(RecordBatch::num_rows).sum::<usize>(), 2);
    let views = rows[0].column(1).as_primitive::<Int64Type>().value(0);
    let viewers = rows[0].column(2).as_primitive::<Int64Type>().value(0);
    assert!(views >= viewers && viewers >= 1, "{views} views by {viewers} viewers");
    assert_eq!(sim.counters().get("GET /wiki/rest/api/analytics/content/{id}/views"), 2);
    assert_eq!(sim.counters().get("GET /wiki/rest/api/analytics/content/{id}/viewers"), 2);

    let missing = connection.query("SELECT * FROM content_views WHERE content_id = 1").await;
    assert!(missing.is_err_and(|e| e.to_string().contains("404")), "no such content is an error, not no row");
    let unpinned = connection.query("SELECT * FROM content_views").await.err().map(|e| e.to_string());
    assert!(unpinned.as_deref().is_some_and(|e| e.contains("add WHERE content_id = <id>")), "{unpinned:?}");

    // Spaces: a page of another space is not read.
    let other = (0..data.space_count()).map(|s| data.space(s).key.clone()).find(|k| *k != data.space(a.space).key);
    let restricted =
        Connection::open(&format!("{};Spaces={}", sim.info().connection_string, other.expect("another space")))
            .await
            .expect("opens");
    sim.reset_counters();
    let outside = query(&restricted, &format!("SELECT count(*) FROM content_views WHERE content_id = {}", a.id)).await;
    assert_eq!(first_i64(&outside), 0);
    assert_eq!(sim.counters().get("GET /wiki/rest/api/analytics/content/{id}/views"), 0);

    let dc_sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.expect("starts");
    let dc = Connection::open(&dc_sim.info().connection_string).await.expect("opens");
    let error = dc.query("SELECT * FROM content_views WHERE content_id = 1").await.err().map(|e| e.to_string());
    assert!(error.as_deref().is_some_and(|e| e.contains("no page analytics")), "{error:?}");
}

/// A page's or blog post's restrictions: one request per operation per content (one when the query names the
/// operation), users and groups windowed together and followed to their end, the same grants on both
/// deployments, kept to `Spaces`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_restrictions_read_each_operation_of_each_content_on_both_deployments() {
    let cloud_sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let dc_sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::SMALL)).await.expect("starts");
    let cloud = Connection::open(&cloud_sim.info().connection_string).await.expect("opens");
    let dc = Connection::open(&dc_sim.info().connection_string).await.expect("opens");
    let data = cloud_sim.dataset();
    let pages: Vec<_> =
        (0..data.page_count()).map(|i| data.page(i)).filter(|p| p.status == "current").take(30).collect();
    let grants =
        |op: &str| -> usize { pages.iter().map(|p| data.content_restrictions(p.id, p.author, op).len()).sum() };
    let (read, update) = (grants("read"), grants("update"));
    assert!(read > 0 && update > 0, "the sample has both kinds of restriction");
    let ids = pages.iter().map(|p| p.id.to_string()).collect::<Vec<_>>().join(",");
    let route = "GET /wiki/rest/api/content/{id}/restriction/byOperation/{operation}";

    cloud_sim.reset_counters();
    let all = format!("SELECT count(*) FROM content_restrictions WHERE content_id IN ({ids})");
    assert_eq!(first_i64(&query(&cloud, &all).await) as usize, read + update);
    assert_eq!(cloud_sim.counters().get(route), 60, "two operations × 30 pages");

    // The operation named: only its lists are read.
    cloud_sim.reset_counters();
    let reads = format!("SELECT count(*) FROM content_restrictions WHERE content_id IN ({ids}) AND operation = 'read'");
    assert_eq!(first_i64(&query(&cloud, &reads).await) as usize, read);
    assert_eq!(cloud_sim.counters().get(route), 30);

    // One user or group a request: each content's lists are followed to their end, the same rows.
    let paged = Connection::open(&format!("{};PageSize=1", cloud_sim.info().connection_string)).await.expect("opens");
    let sql = format!(
        "SELECT content_id, operation, principal_type, principal_id, principal_name FROM content_restrictions \
         WHERE content_id IN ({ids}) ORDER BY 1, 2, 3, 4"
    );
    let whole = pretty_format_batches(&query(&cloud, &sql).await).expect("prints").to_string();
    let one_by_one = pretty_format_batches(&query(&paged, &sql).await).expect("prints").to_string();
    assert_eq!(whole, one_by_one);

    // A restricted page: its author is among the users, every principal is named.
    let restricted = pages.iter().find(|p| !data.content_restrictions(p.id, p.author, "read").is_empty()).expect("one");
    let author = data.user(restricted.author);
    let sql = format!(
        "SELECT count(*) FROM content_restrictions WHERE content_id = {} AND operation = 'read' \
         AND principal_type = 'user' AND principal_id = '{}' AND principal_name = '{}'",
        restricted.id,
        author.account_id,
        author.display_name.replace('\'', "''")
    );
    assert_eq!(first_i64(&query(&cloud, &sql).await), 1);

    // The same grants on Data Center (users by user key).
    let sql = format!(
        "SELECT content_id, operation, principal_type, principal_name, count(*) FROM content_restrictions \
         WHERE content_id IN ({ids}) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    );
    let (a, b) = on_both(&cloud, &dc, &sql).await;
    assert_eq!(a, b);
    let dc_author = format!(
        "SELECT count(*) FROM content_restrictions WHERE content_id = {} AND principal_id = '{}'",
        restricted.id, author.user_key
    );
    assert!(first_i64(&query(&dc, &dc_author).await) >= 1, "Data Center names users by key");

    // Spaces= keeps the content of other spaces out, without reading their restrictions.
    let other = (0..data.space_count()).find(|s| *s != restricted.space).map(|s| data.space(s).key.clone());
    let other = other.expect("another space");
    let kept =
        Connection::open(&format!("{};Spaces={other}", cloud_sim.info().connection_string)).await.expect("opens");
    cloud_sim.reset_counters();
    let sql = format!("SELECT count(*) FROM content_restrictions WHERE content_id = {}", restricted.id);
    assert_eq!(first_i64(&query(&kept, &sql).await), 0);
    assert_eq!(cloud_sim.counters().get(route), 0);

    // A blog post of those spaces is read (its space is checked in the blog post list, not only the page list).
    let post = (0..data.blogpost_count())
        .map(|i| data.blogpost(i))
        .find(|b| b.status == "current" && !data.content_restrictions(b.id, b.author, "read").is_empty())
        .expect("a restricted blog post");
    let its_space = data.space(post.space).key.clone();
    for (sim, base) in
        [(&cloud_sim, cloud_sim.info().connection_string.clone()), (&dc_sim, dc_sim.info().connection_string.clone())]
    {
        let kept = Connection::open(&format!("{base};Spaces={its_space}")).await.expect("opens");
        let sql =
            format!("SELECT count(*) FROM content_restrictions WHERE content_id = {} AND operation = 'read'", post.id);
        let expected = data.content_restrictions(post.id, post.author, "read").len();
        assert_eq!(first_i64(&query(&kept, &sql).await) as usize, expected, "{:?}", sim.info().deployment);
    }

    // Unknown content is an error, not an empty answer.
    let missing = cloud.query("SELECT * FROM content_restrictions WHERE content_id = 42").await.err();
    assert!(missing.is_some_and(|e| e.to_string().contains("404")), "a 404 fails the query");
}

/// A page's comments on Cloud: one CQL search for the page's comments (replies included), not a scan of every
/// comment of the site; the same rows as that scan filtered, with `kind` and `Spaces` still applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pages_comments_are_one_search_on_cloud() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    let data = sim.dataset();
    let columns = "id, kind, status, title, page_id, blog_post_id, parent_comment_id, author_id, created_at, version, \
                   resolution_status";
    // Pages with replies and with inline comments, and a blog post.
    let with_comments = "SELECT page_id FROM comments WHERE page_id IS NOT NULL GROUP BY page_id \
                         HAVING count(parent_comment_id) > 0 AND count(DISTINCT kind) = 2 ORDER BY page_id LIMIT 3";
    let pages = query(&connection, with_comments).await;
    let ids: Vec<i64> = pages.iter().flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec()).collect();
    assert_eq!(ids.len(), 3, "the data set has pages with replies and inline comments");
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    // What a scan of every comment gives (the filter on a computed value is not pushed down).
    let scanned = format!("SELECT {columns} FROM comments WHERE page_id + 0 IN ({list}) ORDER BY id");
    let expected = pretty_format_batches(&query(&connection, &scanned).await).expect("prints").to_string();

    sim.reset_counters();
    let searched = format!("SELECT {columns} FROM comments WHERE page_id IN ({list}) ORDER BY id");
    let actual = pretty_format_batches(&query(&connection, &searched).await).expect("prints").to_string();
    assert_eq!(actual, expected);
    let log = sim.request_log();
    assert_eq!(log.len(), 1, "one search: {log:?}");
    assert_eq!(log[0].endpoint, "/wiki/rest/api/content/search");
    assert!(!log[0].query.contains("body.storage"), "bodies only when selected: {}", log[0].query);

    // `kind` still applies (the search returns both kinds), bodies come with the search.
    let inline = format!("SELECT count(*) FROM comments WHERE page_id = {} AND kind = 'inline'", ids[0]);
    let inline_scan = format!("SELECT count(*) FROM comments WHERE page_id + 0 = {} AND kind = 'inline'", ids[0]);
    assert_eq!(first_i64(&query(&connection, &inline).await), first_i64(&query(&connection, &inline_scan).await));
    let bodies = format!("SELECT body_storage FROM comments WHERE page_id = {}", ids[0]);
    assert!(pretty_format_batches(&query(&connection, &bodies).await).expect("prints").to_string().contains("<p>"));

    // A blog post's comments the same way.
    let post = (0..data.blogpost_count()).map(|i| data.blogpost(i)).find(|b| b.status == "current").expect("a post");
    let by_post = format!("SELECT count(*) FROM comments WHERE blog_post_id = {}", post.id);
    let by_post_scan = format!("SELECT count(*) FROM comments WHERE blog_post_id + 0 = {}", post.id);
    assert_eq!(first_i64(&query(&connection, &by_post).await), first_i64(&query(&connection, &by_post_scan).await));

    // Spaces= is a CQL clause of the search: the page's own space keeps its comments, another keeps none.
    let space_of = format!("SELECT space_key FROM pages WHERE id = {}", ids[0]);
    let space = query(&connection, &space_of).await[0].column(0).as_string::<i32>().value(0).to_owned();
    let other = (0..data.space_count()).map(|s| data.space(s).key.clone()).find(|k| *k != space).expect("another");
    let one = format!("SELECT count(*) FROM comments WHERE page_id = {}", ids[0]);
    let all = first_i64(&query(&connection, &one).await);
    assert!(all > 0);
    for (keys, expected) in [(space, all), (other, 0)] {
        let restricted =
            Connection::open(&format!("{};Spaces={keys}", sim.info().connection_string)).await.expect("opens");
        sim.reset_counters();
        assert_eq!(first_i64(&query(&restricted, &one).await), expected, "Spaces={keys}");
        let log = sim.request_log();
        assert!(log.iter().any(|r| r.query.contains(&format!("space+%3D+%22{keys}%22"))), "{log:?}");
    }
}

/// The site's identity and build: one request on each deployment, the columns the other has NULL; a Data Center
/// older than 9.1 fails saying what is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_info_is_one_row_from_one_request() {
    let cloud_sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.expect("starts");
    let dc_sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.expect("starts");
    let cloud = Connection::open(&cloud_sim.info().connection_string).await.expect("opens");
    let dc = Connection::open(&dc_sim.info().connection_string).await.expect("opens");
    let sql = "SELECT base_url, version, build_number, cloud_id, edition FROM system_info";

    cloud_sim.reset_counters();
    let text = pretty_format_batches(&query(&cloud, sql).await).expect("prints").to_string();
    assert_eq!(cloud_sim.request_log().len(), 1, "{:?}", cloud_sim.request_log());
    assert!(text.contains(&cloud_sim.config().cloud_id) && text.contains("standard"), "{text}");
    assert!(text.contains(&format!("{}/wiki", cloud_sim.info().url)), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("| http")).count(), 1, "one row: {text}");

    dc_sim.reset_counters();
    let text = pretty_format_batches(&query(&dc, sql).await).expect("prints").to_string();
    assert_eq!(dc_sim.request_log().len(), 1);
    assert!(text.contains("9.2.0") && text.contains("9200"), "{text}");

    let old = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY).with_data_center_version(9, 0))
        .await
        .expect("starts");
    let old_connection = Connection::open(&old.info().connection_string).await.expect("opens");
    let error = old_connection.query("SELECT * FROM system_info").await.err().map(|e| e.to_string());
    assert!(error.as_deref().is_some_and(|e| e.contains("Data Center 9.1 or later")), "{error:?}");
}

/// Custom content is listed one app content type at a time: each type named is its own request chain, sized to the
/// API maximum (the types' items are all the rows, none twice); a query that names no type is refused before any
/// request, saying what to add.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_content_is_read_one_request_chain_per_type_named() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    let requests = |sim: &SimHandle| {
        let mut requests: Vec<String> = sim
            .request_log()
            .iter()
            .filter(|r| r.endpoint.contains("custom-content"))
            .map(|r| format!("{}?{}", r.path, r.query))
            .collect();
        requests.sort();
        requests
    };
    let polls = "ac:com.example.polls:poll";
    let checklists = "ac:com.example.checklists:checklist";
    sim.reset_counters();
    let sql = format!(
        "SELECT type, count(*), count(DISTINCT id), min(page_id) IS NOT NULL FROM custom_content \
         WHERE type IN ('{polls}', '{checklists}') GROUP BY type ORDER BY type"
    );
    let batches = query(&connection, &sql).await;
    let text = pretty_format_batches(&batches).expect("prints").to_string();
    assert_eq!(
        requests(&sim),
        [
            "/wiki/api/v2/custom-content?type=ac%3Acom.example.checklists%3Achecklist&limit=250",
            "/wiki/api/v2/custom-content?type=ac%3Acom.example.polls%3Apoll&limit=250",
        ]
    );
    // 1,200 pages, one item per twenty: 60 items of the two types, each counted once.
    let counts: Vec<i64> =
        batches.iter().flat_map(|b| b.column(1).as_primitive::<Int64Type>().values().to_vec()).collect();
    let distinct: Vec<i64> =
        batches.iter().flat_map(|b| b.column(2).as_primitive::<Int64Type>().values().to_vec()).collect();
    assert_eq!(counts.iter().sum::<i64>(), 60, "{text}");
    assert_eq!(counts, distinct, "no item twice: {text}");
    assert!(counts.iter().all(|n| *n > 0), "{text}");
    assert!(!text.contains("false"), "every item is on a page: {text}");

    let one_space = format!("SELECT count(*) FROM custom_content WHERE type = '{polls}' AND space_key = 'ENG'");
    sim.reset_counters();
    let in_eng = first_i64(&query(&connection, &one_space).await);
    assert!(in_eng > 0 && in_eng < counts.iter().sum::<i64>());
    let sent = requests(&sim);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("space-id=10000"), "the space pushed: {sent:?}");

    sim.reset_counters();
    let error = connection.query("SELECT title FROM custom_content WHERE title LIKE 'Poll%'").await.err();
    let error = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("WHERE type = '<value>'") && error.contains("ac:<app key>:<module key>"), "{error}");
    assert!(sim.request_log().is_empty(), "refused before any request");
    let error = connection.query("SELECT title FROM custom_content WHERE type = ''").await.err();
    assert!(error.is_some_and(|e| e.to_string().contains("WHERE type = '<value>'")), "an empty type is no type");
    assert!(sim.request_log().is_empty(), "refused before any request");

    // A type no installed app declares: Cloud answers 404, and the error says what to check.
    let sql = format!("SELECT count(*) FROM custom_content WHERE type IN ('{polls}', 'ac:com.example.polls:pol')");
    let error = connection.query(&sql).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("404") && error.contains("installed app declares"), "{error}");
}

/// Data Center's licence: one row made of the objects the selected columns read (a request each, at once), its
/// user count that of the active users; a server older than 7.1 answers the counts but not the details, and the
/// error says what to select instead; Cloud refuses the table before any request, saying where its figures are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_licence_is_one_row_from_the_parts_selected() {
    let sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    let paths = |sim: &SimHandle| {
        let mut paths: Vec<String> = sim.request_log().iter().map(|r| r.path.clone()).collect();
        paths.sort();
        paths
    };
    sim.reset_counters();
    let users = first_i64(&query(&connection, "SELECT user_count FROM license").await);
    assert_eq!(paths(&sim), ["/rest/license/1.0/license/userCount"]);
    let active = first_i64(&query(&connection, "SELECT count(*) FROM users WHERE account_status = 'active'").await);
    assert!(users > 0 && users == active, "{users} users counted, {active} active");

    sim.reset_counters();
    let sql = "SELECT max_users - remaining_seats, data_center, expires_at, maintenance_expires_at FROM license";
    let text = pretty_format_batches(&query(&connection, sql).await).expect("prints").to_string();
    assert_eq!(
        paths(&sim),
        [
            "/rest/license/1.0/license/details",
            "/rest/license/1.0/license/maxUsers",
            "/rest/license/1.0/license/remainingSeats"
        ]
    );
    assert!(text.contains(&format!("| {users} ")), "the seats taken are the users counted: {text}");
    assert!(text.contains("true") && text.contains("2027-06-30T00:00:00Z"), "{text}");
    assert!(text.contains("2028-06-30T00:00:00Z"), "{text}");

    sim.reset_counters();
    assert_eq!(first_i64(&query(&connection, "SELECT count(*) FROM license").await), 1);
    assert_eq!(paths(&sim), ["/rest/license/1.0/license/userCount"], "a count reads one part: the row exists");

    let old = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY).with_data_center_version(7, 0))
        .await
        .expect("starts");
    let old_connection = Connection::open(&old.info().connection_string).await.expect("opens");
    assert_eq!(first_i64(&query(&old_connection, "SELECT user_count FROM license").await), users);
    let error = old_connection.query("SELECT * FROM license").await.err().map(|e| e.to_string());
    assert!(error.as_deref().is_some_and(|e| e.contains("7.1 or later") && e.contains("user_count")), "{error:?}");

    let cloud_sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.expect("starts");
    let cloud = Connection::open(&cloud_sim.info().connection_string).await.expect("opens");
    cloud_sim.reset_counters();
    let error = cloud.query("SELECT user_count FROM license").await.err().map(|e| e.to_string());
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("not available on Confluence Cloud") && e.contains("admin.atlassian.com")),
        "{error:?}"
    );
    assert_eq!(cloud_sim.request_log().len(), 0, "refused before any request");
}

/// `ORDER BY <column> [DESC] LIMIT n` on pages and blog posts: one request sorted by the server and sized to `n`,
/// the same rows as sorting the whole table; not where a filter the server cannot apply sits between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_top_n_by_date_or_id_is_one_sorted_request() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    let render = |b: Vec<RecordBatch>| pretty_format_batches(&b).expect("prints").to_string();
    for (table, order, sort) in [
        ("pages", "updated_at DESC", "sort=-modified-date"),
        ("pages", "created_at", "sort=created-date"),
        ("pages", "id DESC", "sort=-id"),
        ("blog_posts", "updated_at DESC", "sort=-modified-date"),
        ("attachments", "created_at DESC", "sort=-created-date"),
    ] {
        let key = order.split(' ').next().unwrap_or_default();
        sim.reset_counters();
        let sorted = format!("SELECT id, title, {key} AS k FROM {table} ORDER BY {order} LIMIT 7");
        let actual = render(query(&connection, &sorted).await);
        let log = sim.request_log();
        assert_eq!(log.len(), 1, "{table} {order}: {log:?}");
        // One row more than kept: the order is checked past the last row kept.
        assert!(log[0].query.contains(sort) && log[0].query.contains("limit=8"), "{}", log[0].query);
        // The whole table read and sorted by the engine (a filter on a computed value keeps the rule away).
        let whole = format!(
            "SELECT id, title, {key} AS k FROM {table} WHERE length(concat(title, 'x')) > 0 ORDER BY {order} LIMIT 7"
        );
        sim.reset_counters();
        assert_eq!(render(query(&connection, &whole).await), actual, "{table} {order}");
        assert!(sim.request_log().len() > 1, "the whole table is read");
    }

    // A space and a status pinned: still one request, carrying them.
    sim.reset_counters();
    let sql = "SELECT id FROM pages WHERE space_key = 'ENG' AND status = 'current' ORDER BY updated_at DESC LIMIT 3";
    let ids = query(&connection, sql).await;
    assert_eq!(rows(&ids), 3);
    let log = sim.request_log();
    let content: Vec<_> = log.iter().filter(|r| r.endpoint == "/wiki/api/v2/pages").collect();
    assert_eq!(content.len(), 1, "{log:?}");
    assert!(content[0].query.contains("space-id=") && content[0].query.contains("status=current"), "{log:?}");

    // EXPLAIN shows the sorted request.
    let explain = render(query(&connection, "EXPLAIN SELECT title FROM pages ORDER BY updated_at DESC LIMIT 5").await);
    assert!(explain.contains("sort=-modified-date&limit=6"), "{explain}");

    // More than a page: not one request (a page boundary could repeat or skip a row moved by an edit).
    sim.reset_counters();
    let many = query(&connection, "SELECT id FROM pages ORDER BY updated_at DESC LIMIT 300").await;
    assert_eq!(rows(&many), 300);
    assert!(sim.request_log().iter().all(|r| !r.query.contains("sort=-modified-date")));

    // Title order is the server's collation, not SQL's: not pushed (the whole table is read).
    sim.reset_counters();
    query(&connection, "SELECT title FROM pages ORDER BY title LIMIT 3").await;
    assert!(sim.request_log().iter().all(|r| !r.query.contains("sort=title")));
}

/// `space_id = X` beside `Spaces` (or `space_key`): both become the list's `space-id`, which the server reads as
/// their union; only the ids of those spaces among the ones pinned are sent (a DOCS page read with `Spaces=ENG`
/// otherwise).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_space_id_beside_spaces_reads_only_their_intersection() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    let docs = sim.dataset().space_by_key("DOCS").expect("DOCS").id;
    let restricted = Connection::open(&format!("{};Spaces=ENG", sim.info().connection_string)).await.expect("opens");
    for sql in [
        format!("SELECT count(*) FROM pages WHERE space_id = {docs}"),
        format!("SELECT count(*) FROM (SELECT id FROM pages WHERE space_id = {docs} ORDER BY updated_at DESC LIMIT 5)"),
        format!("SELECT count(*) FROM pages WHERE space_id = {docs} AND space_key = 'DOCS'"),
    ] {
        sim.reset_counters();
        assert_eq!(first_i64(&query(&restricted, &sql).await), 0, "{sql}");
        let log = sim.request_log();
        assert!(log.iter().all(|r| r.endpoint != "/wiki/api/v2/pages"), "nothing to read: {log:?}");
    }
    let eng = sim.dataset().space_by_key("ENG").expect("ENG").id;
    let both =
        format!("SELECT count(*) FROM pages WHERE space_id = {eng} AND space_key = 'ENG' AND status = 'current'");
    let expected = first_i64(
        &query(&connection, "SELECT count(*) FROM pages WHERE space_key = 'ENG' AND status = 'current'").await,
    );
    assert_eq!(first_i64(&query(&restricted, &both).await), expected);
}

/// A feature the site's plan lacks (Cloud Free: no audit log, no page analytics) answers 403: the error says so and
/// what is needed, not only "denied".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feature_the_plan_lacks_fails_saying_so() {
    let sim =
        Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY).with_edition("free")).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    let page = sim.dataset().page(0).id;
    for sql in
        ["SELECT count(*) FROM audit_log".to_owned(), format!("SELECT * FROM content_views WHERE content_id = {page}")]
    {
        let error = connection.query(&sql).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("403") && error.contains("the Free plan has none"), "{sql}: {error}");
    }
    let edition = query(&connection, "SELECT edition FROM system_info").await;
    assert_eq!(edition[0].column(0).as_string::<i32>().value(0), "free");
}
