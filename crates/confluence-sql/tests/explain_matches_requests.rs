//! `EXPLAIN` shows the requests execution sends, because both come from one plan: for every table on Cloud and Data
//! Center (and the `Spaces` guards), each request `EXPLAIN` prints is found, parameter for parameter, in the
//! simulator's log of what the query then sent.

use confluence_sim::{DatasetSize, SimConfig, SimHandle, Simulator};
use confluence_sql::Connection;
use datafusion::arrow::array::AsArray;

mod common;
use common::queries;

/// A request as `EXPLAIN` prints it: the path, and the parameters (`<...>` is resolved when the query runs).
#[derive(Debug)]
struct Explained {
    path: String,
    params: Vec<(String, String)>,
}

fn explained_requests(plan: &str) -> Vec<Explained> {
    plan.lines()
        .flat_map(|line| line.split("GET ").skip(1))
        .map(|text| {
            let text = text.split(" then per ").next().unwrap_or_default();
            let text = text.trim_end().trim_end_matches(';');
            let (path, query) = text.split_once('?').unwrap_or((text, ""));
            let params = query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (k.to_owned(), v.to_owned())
                })
                .collect();
            Explained { path: path.to_owned(), params }
        })
        .collect()
}

async fn plan_text(connection: &Connection, sql: &str) -> String {
    let batches = connection.query(&format!("EXPLAIN {sql}")).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut text = String::new();
    for batch in &batches {
        let plans = batch.column(1).as_string::<i32>();
        for i in 0..batch.num_rows() {
            text.push_str(plans.value(i));
            text.push('\n');
        }
    }
    text
}

/// Whether the log holds a request with `explained`'s path and exactly its parameters (any value where `EXPLAIN`
/// shows a placeholder). CQL is compared as written, so the decoded text must be identical.
fn sent(sim: &SimHandle, explained: &Explained) -> bool {
    sim.request_log().iter().any(|record| {
        // `<id>` in a path is any one segment (a parent's id, known when the query runs).
        let (sent_path, shown) = (record.path.rsplit('/'), explained.path.rsplit('/'));
        let path_matches = sent_path.zip(shown).all(|(s, e)| s == e || e.starts_with('<'))
            && record.path.split('/').count() >= explained.path.split('/').count();
        let params: Vec<(String, String)> = url::form_urlencoded::parse(record.query.as_bytes()).into_owned().collect();
        path_matches
            && params.len() == explained.params.len()
            && explained
                .params
                .iter()
                .all(|(k, v)| params.iter().any(|(name, value)| name == k && (v.starts_with('<') || value == v)))
    })
}

async fn every_explained_request_is_sent(sim: SimHandle, cloud: bool) {
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    let guarded = Connection::open(&format!("{};Spaces=ENG", sim.info().connection_string)).await.expect("opens");
    let mut checked = 0;
    for (connection, sql) in queries(&connection, cloud)
        .await
        .into_iter()
        .map(|q| (&connection, q))
        .chain(["SELECT id FROM comments", "SELECT * FROM cql('type = page')"].map(|q| (&guarded, q.to_owned())))
    {
        let plan = plan_text(connection, &sql).await;
        let explained = explained_requests(&plan);
        assert!(!explained.is_empty(), "{sql}: EXPLAIN shows requests:\n{plan}");
        sim.reset_counters();
        connection.query(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        for request in &explained {
            assert!(sent(&sim, request), "{sql}: EXPLAIN shows {request:?}, never sent:\n{:#?}", sim.request_log());
            checked += 1;
        }
    }
    assert!(checked > 10, "{checked} requests checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_explain_is_what_is_sent() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.expect("starts");
    every_explained_request_is_sent(sim, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_center_explain_is_what_is_sent() {
    let sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.expect("starts");
    every_explained_request_is_sent(sim, false).await;
}
