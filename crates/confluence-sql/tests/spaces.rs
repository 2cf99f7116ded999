//! The `Spaces` connection property is enforced, not advisory: every content table returns only the rows of those
//! spaces, on Cloud and Data Center, even where Confluence's own request cannot filter by space (comments and
//! attachments lists, tables read per page, the user's CQL), and a page outside the spaces is never requested.

use confluence_sim::{DatasetSize, SimConfig, SimHandle, Simulator};
use confluence_sql::Connection;

mod common;
use common::rows;

async fn pair(config: SimConfig) -> (SimHandle, Connection, Connection) {
    let sim = Simulator::start(config.with_size(DatasetSize::SMALL)).await.expect("starts");
    let everything = Connection::open(&sim.info().connection_string).await.expect("opens");
    let eng = Connection::open(&format!("{};Spaces=ENG", sim.info().connection_string)).await.expect("opens");
    (sim, everything, eng)
}

async fn query(connection: &Connection, sql: &str) -> Vec<String> {
    rows(&connection.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_comments_attachments_and_per_page_tables_keep_to_the_spaces() {
    let (sim, everything, eng) = pair(SimConfig::cloud()).await;
    let in_eng = "(SELECT id FROM pages WHERE space_key = 'ENG' AND status IN ('current', 'archived', 'draft'))";
    let posts_in_eng = "(SELECT id FROM blog_posts WHERE space_key = 'ENG' AND status IN ('current', 'draft'))";
    for table in ["comments", "attachments"] {
        let truth = query(
            &everything,
            &format!("SELECT id FROM {table} WHERE page_id IN {in_eng} OR blog_post_id IN {posts_in_eng}"),
        )
        .await;
        let restricted = query(&eng, &format!("SELECT id FROM {table}")).await;
        assert!(!truth.is_empty(), "{table}: ENG has some");
        assert_eq!(restricted, truth, "{table}: exactly the rows of ENG");
        let all = query(&everything, &format!("SELECT count(*) FROM {table}")).await;
        assert_ne!(all, vec![restricted.len().to_string()], "{table}: other spaces have some too");
    }

    // Per-page tables: a page of another space is never requested.
    let eng_page = query(&everything, "SELECT min(id) FROM pages WHERE space_key = 'ENG' AND status = 'current'").await;
    let docs_page =
        query(&everything, "SELECT min(id) FROM pages WHERE space_key = 'DOCS' AND status = 'current'").await;
    let (eng_page, docs_page) = (&eng_page[0], &docs_page[0]);
    for table in ["labels", "page_versions", "attachments"] {
        sim.reset_counters();
        let both = format!("SELECT page_id FROM {table} WHERE page_id IN ({eng_page}, {docs_page})");
        let restricted = query(&eng, &both).await;
        assert!(restricted.iter().all(|p| p == eng_page), "{table}: {restricted:?}");
        let truth = query(&everything, &format!("SELECT page_id FROM {table} WHERE page_id = {eng_page}")).await;
        assert_eq!(restricted, truth, "{table}");
        assert!(
            sim.request_log().iter().all(|r| !r.path.contains(&format!("/pages/{docs_page}/"))),
            "{table}: the DOCS page was requested"
        );
    }
}

/// The space of a page's labels is looked up within `Spaces` too: nothing outside them is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labels_space_is_looked_up_within_the_spaces() {
    let (sim, everything, eng) = pair(SimConfig::cloud()).await;
    let eng_page = query(
        &everything,
        "SELECT min(page_id) FROM labels WHERE space_id = (SELECT id FROM spaces WHERE key = 'ENG')",
    )
    .await;
    let docs_page = query(
        &everything,
        "SELECT min(page_id) FROM labels WHERE space_id = (SELECT id FROM spaces WHERE key = 'DOCS')",
    )
    .await;
    let eng_id = query(&everything, "SELECT id FROM spaces WHERE key = 'ENG'").await;
    sim.reset_counters();
    let sql = format!("SELECT DISTINCT space_id FROM labels WHERE page_id IN ({}, {})", eng_page[0], docs_page[0]);
    assert_eq!(query(&eng, &sql).await, eng_id, "only ENG's page, with ENG's id");
    let lookups: Vec<_> = sim.request_log().into_iter().filter(|r| r.endpoint == "/wiki/api/v2/pages").collect();
    assert!(!lookups.is_empty() && lookups.iter().all(|r| r.query.contains("space-id=")), "{lookups:?}");
    assert_eq!(query(&everything, &sql).await.len(), 2, "both spaces without Spaces");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_cql_cannot_leave_the_spaces() {
    let (sim, _everything, eng) = pair(SimConfig::cloud()).await;
    let keys = query(&eng, "SELECT DISTINCT space_key FROM cql('type = page')").await;
    assert_eq!(keys, ["ENG"]);
    sim.reset_counters();
    for escape in [
        "type = page) OR (type = page",
        "type = page) OR space = DOCS OR (type = page",
        r#"title ~ a\" ) OR space = DOCS OR ( title ~ " b \" c""#,
    ] {
        let error = eng.query(&format!("SELECT * FROM cql('{escape}')")).await.expect_err(escape).to_string();
        assert!(error.contains("write the query as one condition"), "{error}");
    }
    assert_eq!(sim.counters().total, 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_center_labels_keep_to_the_spaces() {
    let (sim, everything, eng) = pair(SimConfig::data_center()).await;
    let eng_page = query(&everything, "SELECT min(id) FROM pages WHERE space_key = 'ENG'").await;
    let docs_page = query(&everything, "SELECT min(id) FROM pages WHERE space_key = 'DOCS'").await;
    let (eng_page, docs_page) = (&eng_page[0], &docs_page[0]);
    sim.reset_counters();
    let restricted =
        query(&eng, &format!("SELECT page_id, name FROM labels WHERE page_id IN ({eng_page}, {docs_page})")).await;
    let truth = query(&everything, &format!("SELECT page_id, name FROM labels WHERE page_id = {eng_page}")).await;
    assert_eq!(restricted, truth);
    assert!(sim.request_log().iter().all(|r| !r.path.contains(&format!("/content/{docs_page}/"))));
    // Their space comes from the check that kept them to Spaces: ENG's id, no other request.
    let eng_id = query(&everything, "SELECT id FROM spaces WHERE key = 'ENG'").await;
    let spaces = format!("SELECT DISTINCT space_id FROM labels WHERE page_id IN ({eng_page}, {docs_page})");
    sim.reset_counters();
    assert_eq!(query(&eng, &spaces).await, eng_id);
    assert_eq!(sim.counters().get("GET /rest/api/content/search"), 1, "the check, with the spaces");
    let comments = query(&eng, "SELECT id FROM comments").await;
    let truth = query(
        &everything,
        "SELECT id FROM comments WHERE page_id IN (SELECT id FROM pages WHERE space_key = 'ENG') \
         OR page_id IN (SELECT id FROM pages WHERE space_key = 'ENG' AND status = 'archived') \
         OR blog_post_id IN (SELECT id FROM blog_posts WHERE space_key = 'ENG')",
    )
    .await;
    let extra: Vec<&String> = comments.iter().filter(|c| !truth.contains(c)).collect();
    let missing: Vec<&String> = truth.iter().filter(|c| !comments.contains(c)).collect();
    assert_eq!(comments, truth, "extra {extra:?}, missing {missing:?}");
}
