//! Writes end to end against the simulator, on Cloud and Data Center: each statement, `INSERT ... SELECT`, the
//! refusals (an unpinned `WHERE`, `ReadOnly`, `Spaces`, columns Confluence sets), a concurrent edit (409) under
//! both conflict policies, a failure on the third of five writes, a missing OAuth write scope, and that the request
//! log shows no write to a row the `WHERE` did not select.

use std::time::Duration;

use confluence_sim::{DatasetSize, FaultRule, SimConfig, SimHandle, Simulator};
use confluence_sql::{Connection, ErrorKind, SqlError};

mod common;
use common::{first_value, rows};

async fn start(config: SimConfig) -> (SimHandle, Connection) {
    let sim = Simulator::start(config.with_size(DatasetSize::SMALL)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    (sim, connection)
}

async fn query(connection: &Connection, sql: &str) -> Vec<String> {
    rows(&connection.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}")))
}

async fn write(connection: &Connection, sql: &str) -> u64 {
    connection.command(sql).execute_non_query().await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn refused(connection: &Connection, sql: &str) -> SqlError {
    match connection.command(sql).execute_non_query().await {
        Ok(n) => panic!("{sql}: wrote {n} rows"),
        Err(e) => e,
    }
}

/// The writes (method, path) the simulator saw since the last reset.
fn writes_seen(sim: &SimHandle) -> Vec<(String, String)> {
    sim.request_log().into_iter().filter(|r| r.method != "GET").map(|r| (r.method, r.path)).collect()
}

/// Ids of current pages of `space`, ascending.
async fn page_ids(connection: &Connection, space: &str, n: usize) -> Vec<String> {
    query(
        connection,
        &format!("SELECT id FROM pages WHERE space_key = '{space}' AND status = 'current' ORDER BY id LIMIT {n}"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_insert_update_delete_pages_and_read_them_back() {
    let (sim, connection) = start(SimConfig::cloud()).await;

    // INSERT: a page, found by the next read.
    let n = write(
        &connection,
        "INSERT INTO pages (space_key, title, body_storage) VALUES ('ENG', 'Release notes 9.1', '<p>Hello</p>')",
    )
    .await;
    assert_eq!(n, 1);
    let id =
        first_value(&connection, "SELECT id FROM pages WHERE space_key = 'ENG' AND title = 'Release notes 9.1'").await;
    let row =
        query(&connection, &format!("SELECT title, status, version, body_storage FROM pages WHERE id = {id}")).await;
    assert_eq!(row, vec!["Release notes 9.1|current|1|<p>Hello</p>".to_owned()]);

    // UPDATE: a new version with the message, the body kept.
    sim.reset_counters();
    let n = write(
        &connection,
        &format!("UPDATE pages SET title = title || ' (final)', version_message = 'renamed' WHERE id = {id}"),
    )
    .await;
    assert_eq!(n, 1);
    assert_eq!(writes_seen(&sim), vec![("PUT".to_owned(), format!("/wiki/api/v2/pages/{id}"))]);
    let row =
        query(&connection, &format!("SELECT title, version, version_message, body_storage FROM pages WHERE id = {id}"))
            .await;
    assert_eq!(row, vec!["Release notes 9.1 (final)|2|renamed|<p>Hello</p>".to_owned()]);

    // DELETE: to the trash; deleting the trashed page purges it.
    assert_eq!(write(&connection, &format!("DELETE FROM pages WHERE id = {id}")).await, 1);
    assert!(query(&connection, &format!("SELECT id FROM pages WHERE id = {id}")).await.is_empty());
    let trashed = format!("SELECT status FROM pages WHERE id = {id} AND status = 'trashed'");
    assert_eq!(query(&connection, &trashed).await, vec!["trashed".to_owned()]);
    sim.reset_counters();
    assert_eq!(write(&connection, &format!("DELETE FROM pages WHERE id = {id} AND status = 'trashed'")).await, 1);
    let purge = writes_seen(&sim);
    assert_eq!(purge, vec![("DELETE".to_owned(), format!("/wiki/api/v2/pages/{id}"))]);
    assert!(sim.request_log().iter().any(|r| r.method == "DELETE" && r.query.contains("purge=true")));
    assert!(query(&connection, &trashed).await.is_empty(), "purged");

    // EXPLAIN shows the write over its selection, and sends nothing.
    sim.reset_counters();
    let plan = query(&connection, "EXPLAIN UPDATE pages SET title = 'x' WHERE id = 1").await.join("\n");
    assert!(plan.contains("ConfluenceWrite") && plan.contains("ConfluenceWriteExec"), "{plan}");
    assert!(sim.request_log().is_empty(), "EXPLAIN sent requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_select_copies_pages_between_spaces() {
    let (sim, connection) = start(SimConfig::cloud()).await;
    let sources = page_ids(&connection, "ENG", 3).await;
    let copied_titles =
        query(&connection, &format!("SELECT title || ' (copy)' FROM pages WHERE id IN ({})", sources.join(", "))).await;
    sim.reset_counters();
    let n = write(
        &connection,
        &format!(
            "INSERT INTO pages (space_key, title, body_storage) \
             SELECT 'DOCS', title || ' (copy)', body_storage FROM pages WHERE id IN ({})",
            sources.join(", ")
        ),
    )
    .await;
    assert_eq!(n, 3);
    let posts: Vec<_> = writes_seen(&sim);
    assert_eq!(posts.len(), 3, "one POST per row: {posts:?}");
    assert!(posts.iter().all(|(m, p)| m == "POST" && p == "/wiki/api/v2/pages"));
    let copies = query(&connection, "SELECT title FROM pages WHERE space_key = 'DOCS' AND title LIKE '% (copy)'").await;
    assert_eq!(copies, copied_titles);
    let bodies = query(
        &connection,
        &format!(
            "SELECT count(*) FROM pages c JOIN pages o ON c.title = o.title || ' (copy)' AND c.body_storage = o.body_storage \
             WHERE c.space_key = 'DOCS' AND o.id IN ({})",
            sources.join(", ")
        ),
    )
    .await;
    assert_eq!(bodies, vec!["3".to_owned()], "the bodies were copied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpinned_writes_are_refused_and_a_subquery_writes_exactly_what_it_selects() {
    let (sim, connection) = start(SimConfig::cloud()).await;
    sim.reset_counters();
    for sql in [
        "DELETE FROM pages",
        "DELETE FROM pages WHERE space_key = 'ENG'",
        "UPDATE pages SET title = 'x' WHERE title LIKE 'A%'",
        "DELETE FROM pages WHERE id > 5",
        "DELETE FROM pages WHERE id IN (SELECT id FROM pages WHERE space_key = 'ENG')",
        "DELETE FROM labels WHERE name = 'draft'",
        "DELETE FROM pages WHERE CAST(id AS BOOLEAN) = true",
        "DELETE FROM pages WHERE CAST(id AS REAL) = 1000000001",
    ] {
        let error = refused(&connection, sql).await;
        assert_eq!(error.kind(), ErrorKind::NotAllowed, "{sql}: {error}");
        let message = error.to_string();
        assert!(message.contains("AllowUnboundedWrites=true") && message.contains("SELECT"), "{sql}: {message}");
    }
    assert!(sim.request_log().is_empty(), "a refused statement sent requests: {:?}", sim.request_log());

    // Columns Confluence sets, and tables that take no writes.
    for (sql, needle) in [
        ("UPDATE pages SET version = 9 WHERE id = 1", "cannot set version"),
        ("UPDATE pages SET space_id = 9 WHERE id = 1", "cannot set space_id"),
        ("DELETE FROM spaces WHERE id = 1", "not supported"),
        ("INSERT INTO users (account_id) VALUES ('x')", "not supported"),
    ] {
        let message = refused(&connection, sql).await.to_string();
        assert!(message.contains(needle), "{sql}: {message}");
    }
    let message =
        refused(&connection, "INSERT INTO pages (id, space_key, title) VALUES (5, 'ENG', 'x')").await.to_string();
    assert!(message.contains("cannot give id") && message.contains("wrote nothing"), "{message}");
    assert!(writes_seen(&sim).is_empty());

    // With the opt-in, a WHERE with a subquery and a LIMIT writes exactly the rows it selects, nothing else.
    let unbounded =
        Connection::open(&format!("{};AllowUnboundedWrites=true", sim.info().connection_string)).await.unwrap();
    let chosen = page_ids(&unbounded, "ENG", 2).await;
    sim.reset_counters();
    let n = write(
        &unbounded,
        "UPDATE pages SET version_message = 'bulk' WHERE id IN \
         (SELECT id FROM pages WHERE space_key = 'ENG' AND status = 'current' ORDER BY id LIMIT 2)",
    )
    .await;
    assert_eq!(n, 2);
    let paths: Vec<String> = writes_seen(&sim).into_iter().map(|(_, p)| p).collect();
    let expected: Vec<String> = chosen.iter().map(|id| format!("/wiki/api/v2/pages/{id}")).collect();
    assert_eq!(paths, expected);
    let messages = query(&unbounded, "SELECT id FROM pages WHERE version_message = 'bulk'").await;
    assert_eq!(messages, chosen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_and_spaces_refuse_before_any_request() {
    let (sim, connection) = start(SimConfig::cloud()).await;
    let id = &page_ids(&connection, "ENG", 1).await[0];
    let read_only = Connection::open(&format!("{};ReadOnly=true", sim.info().connection_string)).await.unwrap();
    sim.reset_counters();
    for sql in [
        "INSERT INTO pages (space_key, title) VALUES ('ENG', 'x')".to_owned(),
        format!("UPDATE pages SET title = 'x' WHERE id = {id}"),
        format!("DELETE FROM pages WHERE id = {id}"),
        format!("INSERT INTO labels (page_id, name) VALUES ({id}, 'x')"),
    ] {
        let error = refused(&read_only, &sql).await;
        assert_eq!(error.kind(), ErrorKind::NotAllowed, "{sql}: {error}");
        assert!(error.to_string().contains("ReadOnly=true"), "{error}");
    }
    assert!(sim.request_log().is_empty());

    // Spaces=ENG: nothing is created in another space, by key or by id.
    let eng = Connection::open(&format!("{};Spaces=ENG", sim.info().connection_string)).await.unwrap();
    let docs_id = first_value(&connection, "SELECT id FROM spaces WHERE key = 'DOCS'").await;
    let docs_page = &page_ids(&connection, "DOCS", 1).await[0];
    for sql in [
        "INSERT INTO pages (space_key, title) VALUES ('DOCS', 'outside')".to_owned(),
        format!("INSERT INTO pages (space_id, title) VALUES ({docs_id}, 'outside')"),
        format!("INSERT INTO labels (page_id, name) VALUES ({docs_page}, 'outside')"),
        format!("INSERT INTO comments (page_id, body_storage) VALUES ({docs_page}, '<p>outside</p>')"),
    ] {
        let message = refused(&eng, &sql).await.to_string();
        assert!(message.contains("outside the connection's Spaces"), "{sql}: {message}");
    }
    assert!(writes_seen(&sim).is_empty(), "{:?}", writes_seen(&sim));
    // Rows on one page of ENG look its space up once.
    sim.reset_counters();
    assert_eq!(write(&eng, &format!("INSERT INTO labels (page_id, name) VALUES ({id}, 'a'), ({id}, 'b')")).await, 2);
    let lookups =
        sim.request_log().iter().filter(|r| r.method == "GET" && r.endpoint == "/wiki/api/v2/pages/{id}").count();
    assert_eq!(lookups, 1);
    sim.reset_counters();
    // ... and an UPDATE of a page in another space selects nothing, so writes nothing.
    assert_eq!(write(&eng, &format!("UPDATE pages SET title = 'moved' WHERE id = {docs_page}")).await, 0);
    assert!(writes_seen(&sim).is_empty());
}

/// Runs `UPDATE pages SET title = 'Mine' WHERE id = {id}` on `connection` while someone else saves the page with
/// `their_body` (the statement's PUT is held back 400 ms, the other save lands after 200): the version the statement
/// read, and its outcome.
async fn update_during_an_edit(
    sim: &SimHandle,
    connection: &Connection,
    id: u64,
    their_body: &str,
) -> (u32, Result<u64, SqlError>) {
    sim.set_faults(vec![FaultRule {
        endpoint: Some("PUT /wiki/api/v2/pages/{id}".into()),
        latency_ms: 400,
        ..FaultRule::default()
    }]);
    let read = sim.store().content(id).expect("the page exists").version.number;
    let statement = connection.command(format!("UPDATE pages SET title = 'Mine' WHERE id = {id}"));
    let running = tokio::spawn(async move { statement.execute_non_query().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let theirs =
        confluence_sim::ContentUpdate { version: read + 1, body: Some(their_body.into()), ..Default::default() };
    sim.store().update_content(id, theirs).expect("their save lands");
    let outcome = running.await.expect("the statement's task finishes");
    sim.clear_faults();
    (read, outcome)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_edit_is_a_conflict_or_retried_by_choice() {
    let (sim, connection) = start(SimConfig::cloud()).await;
    let id: u64 = page_ids(&connection, "ENG", 1).await[0].parse().unwrap();
    let version = sim.store().content(id).unwrap().version.number;
    let (_, outcome) = update_during_an_edit(&sim, &connection, id, "<p>theirs</p>").await;
    let error = outcome.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error}");
    let message = error.to_string();
    assert!(
        message.contains(&format!("page {id}"))
            && message.contains(&format!("version {version}"))
            && message.contains(&format!("version {}", version + 1)),
        "{message}"
    );
    assert!(error.write_failure().is_some_and(|f| f.written.is_empty()));
    let page = sim.store().content(id).unwrap();
    assert_ne!(page.title, "Mine", "nothing was overwritten");

    // ConflictPolicy=Retry: saved over the newer version, keeping the other edit's body.
    let retry = Connection::open(&format!("{};ConflictPolicy=Retry", sim.info().connection_string)).await.unwrap();
    let (read, outcome) = update_during_an_edit(&sim, &retry, id, "<p>theirs again</p>").await;
    assert_eq!(outcome.unwrap(), 1);
    let row = query(&connection, &format!("SELECT title, version, body_storage FROM pages WHERE id = {id}")).await;
    assert_eq!(row, vec![format!("Mine|{}|<p>theirs again</p>", read + 2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_on_the_third_write_reports_what_was_and_was_not_written() {
    let (sim, connection) = start(SimConfig::cloud()).await;
    let ids = page_ids(&connection, "ENG", 5).await;
    let before: Vec<u32> =
        ids.iter().map(|id| sim.store().content(id.parse().unwrap()).unwrap().version.number).collect();
    sim.set_faults(vec![FaultRule {
        endpoint: Some("PUT /wiki/api/v2/pages/{id}".into()),
        skip: 2,
        rate_5xx: 1.0,
        status_5xx: 500,
        ..FaultRule::default()
    }]);
    let error =
        refused(&connection, &format!("UPDATE pages SET version_message = 'x' WHERE id IN ({})", ids.join(", "))).await;
    sim.clear_faults();
    let failure = error.write_failure().unwrap_or_else(|| panic!("not a write failure: {error}"));
    assert_eq!(failure.written, ids[..2].to_vec());
    assert_eq!(failure.failed, format!("page {}", ids[2]));
    assert_eq!(failure.not_written, ids[3..].iter().map(|id| format!("page {id}")).collect::<Vec<_>>());
    let message = error.to_string();
    assert!(message.contains("stopped after writing 2 row(s)") && message.contains("rolled back"), "{message}");
    assert_eq!(error.kind(), ErrorKind::Remote);
    let after: Vec<u32> =
        ids.iter().map(|id| sim.store().content(id.parse().unwrap()).unwrap().version.number).collect();
    let expected: Vec<u32> = before.iter().enumerate().map(|(i, v)| if i < 2 { v + 1 } else { *v }).collect();
    assert_eq!(after, expected, "exactly the first two were saved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_comments_and_blog_posts_on_cloud() {
    let (sim, connection) = start(SimConfig::cloud()).await;
    let page = page_ids(&connection, "ENG", 1).await.remove(0);

    assert_eq!(
        write(
            &connection,
            &format!("INSERT INTO labels (page_id, name) VALUES ({page}, 'needs-review'), ({page}, 'q3')")
        )
        .await,
        2
    );
    let labels = format!("SELECT name FROM labels WHERE page_id = {page} AND name IN ('needs-review', 'q3')");
    assert_eq!(query(&connection, &labels).await, vec!["needs-review".to_owned(), "q3".to_owned()]);
    assert_eq!(write(&connection, &format!("DELETE FROM labels WHERE page_id = {page} AND name = 'q3'")).await, 1);
    assert_eq!(query(&connection, &labels).await, vec!["needs-review".to_owned()]);
    let message = refused(&connection, &format!("INSERT INTO labels (page_id, name) VALUES ({page}, 'two words')"))
        .await
        .to_string();
    assert!(message.contains("one word"), "{message}");

    let n = write(
        &connection,
        &format!("INSERT INTO comments (page_id, body_storage) VALUES ({page}, '<p>Looks good</p>')"),
    )
    .await;
    assert_eq!(n, 1);
    let comment = first_value(
        &connection,
        &format!("SELECT id FROM comments WHERE page_id = {page} AND body_storage = '<p>Looks good</p>'"),
    )
    .await;
    write(
        &connection,
        &format!("INSERT INTO comments (parent_comment_id, body_storage) VALUES ({comment}, '<p>Thanks</p>')"),
    )
    .await;
    let reply =
        query(&connection, "SELECT page_id, parent_comment_id FROM comments WHERE body_storage = '<p>Thanks</p>'")
            .await;
    assert_eq!(reply, vec![format!("{page}|{comment}")]);
    assert_eq!(write(&connection, &format!("DELETE FROM comments WHERE id = {comment}")).await, 1);
    assert!(query(&connection, &format!("SELECT id FROM comments WHERE id = {comment}")).await.is_empty());
    // An inline comment goes through its own endpoint.
    let inline = first_value(&connection, "SELECT id FROM comments WHERE kind = 'inline' ORDER BY id LIMIT 1").await;
    sim.reset_counters();
    assert_eq!(write(&connection, &format!("DELETE FROM comments WHERE id = {inline}")).await, 1);
    assert_eq!(writes_seen(&sim), vec![("DELETE".to_owned(), format!("/wiki/api/v2/inline-comments/{inline}"))]);

    write(
        &connection,
        "INSERT INTO blog_posts (space_key, title, body_storage) VALUES ('ENG', 'Launch day', '<p>We shipped</p>')",
    )
    .await;
    let post = first_value(&connection, "SELECT id FROM blog_posts WHERE title = 'Launch day'").await;
    write(&connection, &format!("UPDATE blog_posts SET body_storage = '<p>We shipped 9.1</p>' WHERE id = {post}"))
        .await;
    let row = query(&connection, &format!("SELECT version, body_storage FROM blog_posts WHERE id = {post}")).await;
    assert_eq!(row, vec!["2|<p>We shipped 9.1</p>".to_owned()]);
    assert_eq!(write(&connection, &format!("DELETE FROM blog_posts WHERE id = {post}")).await, 1);
    assert!(query(&connection, &format!("SELECT id FROM blog_posts WHERE id = {post}")).await.is_empty());
    assert_eq!(sim.store().content(post.parse().unwrap()).unwrap().status, "trashed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_center_takes_the_same_statements() {
    let (sim, connection) = start(SimConfig::data_center()).await;
    write(&connection, "INSERT INTO pages (space_key, title, body_storage) VALUES ('ENG', 'DC page', '<p>one</p>')")
        .await;
    let id = first_value(&connection, "SELECT id FROM pages WHERE space_key = 'ENG' AND title = 'DC page'").await;
    sim.reset_counters();
    write(
        &connection,
        &format!("UPDATE pages SET body_storage = '<p>two</p>', version_message = 'edit' WHERE id = {id}"),
    )
    .await;
    assert_eq!(writes_seen(&sim), vec![("PUT".to_owned(), format!("/rest/api/content/{id}"))]);
    let row =
        query(&connection, &format!("SELECT title, version, version_message, body_storage FROM pages WHERE id = {id}"))
            .await;
    assert_eq!(row, vec!["DC page|2|edit|<p>two</p>".to_owned()]);

    write(&connection, &format!("INSERT INTO labels (page_id, name) VALUES ({id}, 'dc-label')")).await;
    assert_eq!(
        query(&connection, &format!("SELECT name FROM labels WHERE page_id = {id}")).await,
        vec!["dc-label".to_owned()]
    );
    write(&connection, &format!("DELETE FROM labels WHERE page_id = {id} AND name = 'dc-label'")).await;
    assert!(query(&connection, &format!("SELECT name FROM labels WHERE page_id = {id}")).await.is_empty());

    write(&connection, &format!("INSERT INTO comments (page_id, body_storage) VALUES ({id}, '<p>dc comment</p>')"))
        .await;
    let comment = first_value(&connection, &format!("SELECT id FROM comments WHERE page_id = {id}")).await;
    assert_eq!(write(&connection, &format!("DELETE FROM comments WHERE id = {comment}")).await, 1);
    assert!(query(&connection, &format!("SELECT id FROM comments WHERE page_id = {id}")).await.is_empty());

    assert_eq!(write(&connection, &format!("DELETE FROM pages WHERE id = {id}")).await, 1);
    assert!(query(&connection, &format!("SELECT id FROM pages WHERE id = {id}")).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_the_write_scope_gets_an_error_naming_it() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.unwrap();
    let basic = Connection::open(&sim.info().connection_string).await.unwrap();
    let page = first_value(&basic, "SELECT id FROM pages WHERE status = 'current' ORDER BY id LIMIT 1").await;
    let issued = sim.issue_oauth_tokens(&["read:page:confluence", "read:space:confluence"]);
    let connection = Connection::open(&format!(
        "{};InitiateOAuth=OFF;OAuthAccessToken={}",
        sim.info().oauth_connection_string,
        issued.access_token
    ))
    .await
    .unwrap();
    let error = refused(&connection, &format!("UPDATE pages SET title = 'x' WHERE id = {page}")).await;
    assert_eq!(error.kind(), ErrorKind::Forbidden, "{error}");
    let message = error.to_string();
    assert!(message.contains("write:page:confluence") && message.contains("Scope"), "{message}");
    assert!(!message.contains(&issued.access_token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_of_your_own_updates_only_with_the_write_support() {
    use confluence_sql::datafusion::execution::SessionStateBuilder;
    use confluence_sql::datafusion::prelude::SessionContext;

    let (sim, connection) = start(SimConfig::cloud()).await;
    let id = page_ids(&connection, "ENG", 1).await.remove(0);
    let update = format!("UPDATE confluence.main.pages SET version_message = 'mine' WHERE id = {id}");

    // A plain session: INSERT works, UPDATE is refused (it would get only the scan's filters).
    let plain = SessionContext::new();
    confluence_sql::register(&plain, "confluence", &connection).unwrap();
    sim.reset_counters();
    let error = match plain.sql(&update).await {
        Ok(frame) => frame.collect().await.map(drop).unwrap_err(),
        Err(error) => error,
    };
    assert!(error.to_string().contains("with_write_support"), "{error}");
    assert!(writes_seen(&sim).is_empty());
    let inserted =
        plain.sql("INSERT INTO confluence.main.labels (page_id, name) VALUES (1, 'x')").await.unwrap().collect().await;
    assert!(inserted.is_err(), "page 1 does not exist: the INSERT reached Confluence and failed");
    assert_eq!(writes_seen(&sim).len(), 1);

    // With the write support, the same statement runs.
    let state = confluence_sql::with_write_support(SessionStateBuilder::new().with_default_features()).build();
    let mine = SessionContext::new_with_state(state);
    confluence_sql::register(&mine, "confluence", &connection).unwrap();
    mine.sql(&update).await.unwrap().collect().await.unwrap();
    assert_eq!(sim.store().content(id.parse().unwrap()).unwrap().version.message, "mine");
}
