//! Every table scan against every hostile behaviour of the simulator, on Cloud and Data Center: each gives an
//! error or exactly the rows a well-behaved server gives, never a hang, a panic, a silently short answer, or
//! credentials sent to another origin.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use confluence_rest::RetryPolicy;
use confluence_sim::{DatasetSize, FaultRule, SimConfig, SimHandle, Simulator};
use confluence_sql::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;
use common::{queries, rows};

/// Small pages (so every list has several), a small page cap and a short timeout (so endless lists and trickling
/// bodies end quickly), and a 1 MiB response cap.
const LIMITS: &str = ";PageSize=5;MaxPages=60;Timeout=2;MaxResponseSize=1";

fn connection(sim: &SimHandle) -> Connection {
    let options = connstr::ConnectionOptions::parse(&format!("{}{LIMITS}", sim.info().connection_string)).expect("ok");
    let retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_server_wait: Duration::from_secs(2),
    };
    Connection::builder().options(options).retry(retry).build().expect("opens")
}

/// A listener on another origin that counts the requests that reach it carrying credentials.
async fn elsewhere() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.expect("binds");
    let port = listener.local_addr().expect("addr").port();
    let leaked = Arc::new(AtomicUsize::new(0));
    let counter = leaked.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = vec![0u8; 8192];
            let n = stream.read(&mut head).await.unwrap_or(0);
            if String::from_utf8_lossy(&head[..n]).to_ascii_lowercase().contains("authorization:") {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            let body = r#"{"results": []}"#;
            let _ = stream
                .write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len()).as_bytes())
                .await;
        }
    });
    (format!("http://127.0.0.2:{port}/wiki/api/v2/pages?cursor=x"), leaked)
}

/// The hostile behaviours, each as a rule for every API request.
fn behaviours(foreign: &str) -> Vec<(&'static str, FaultRule)> {
    let all = FaultRule::default();
    vec![
        ("next link to another origin", FaultRule { next_link: Some(foreign.to_owned()), ..all.clone() }),
        ("next link that repeats", FaultRule { repeat_next: true, ..all.clone() }),
        ("a list that never ends", FaultRule { endless: true, ..all.clone() }),
        ("an absurd total", FaultRule { total_size: Some(1_000_000_000_000), ..all.clone() }),
        ("a total too large", FaultRule { total_size: Some(97), ..all.clone() }),
        ("a total too small", FaultRule { total_size: Some(1), ..all.clone() }),
        ("Retry-After 1e20", FaultRule { rate_429: 0.3, retry_after: Some("1e20".into()), ..all.clone() }),
        ("a malformed Link header", FaultRule { link_header: Some(">oops<; rel=\"next\"".into()), ..all.clone() }),
        ("an oversized body", FaultRule { pad_bytes: 2 * 1024 * 1024, ..all.clone() }),
        ("items moving between pages", FaultRule { shift_offsets: true, ..all.clone() }),
        ("malformed JSON now and then", FaultRule { malformed_rate: 0.2, ..all.clone() }),
    ]
}

async fn every_scan_is_exact_or_an_error(sim: SimHandle, cloud: bool) {
    let connection = connection(&sim);
    let queries = queries(&connection, cloud).await;
    let mut baseline = Vec::new();
    for sql in &queries {
        let batches = connection.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        baseline.push(rows(&batches));
    }
    let (foreign, leaked) = elsewhere().await;
    // (behaviour, query, whether it returned rows)
    let mut outcomes: Vec<(&str, &str, bool)> = Vec::new();
    for (name, rule) in behaviours(&foreign) {
        sim.set_faults(vec![rule]);
        for (sql, expected) in queries.iter().zip(&baseline) {
            // A fresh connection each time, so that no cached space directory hides a fault.
            let fresh = self::connection(&sim);
            let outcome = tokio::time::timeout(Duration::from_secs(60), fresh.query(sql))
                .await
                .unwrap_or_else(|_| panic!("{name}: {sql} hung"));
            if let Ok(batches) = &outcome {
                assert_eq!(&rows(batches), expected, "{name}: {sql} returned other rows than the truth");
            }
            outcomes.push((name, sql, outcome.is_ok()));
        }
    }
    sim.clear_faults();
    assert_eq!(leaked.load(Ordering::SeqCst), 0, "credentials reached another origin");
    // A list read in several pages cannot end well under these behaviours: it must have failed.
    let must_fail = ["next link to another origin", "next link that repeats", "a list that never ends"];
    let paged = ["SELECT * FROM cql('type = page')", "SELECT * FROM comments", "SELECT * FROM audit_log"];
    for (name, sql, returned_rows) in &outcomes {
        if must_fail.contains(name) && paged.contains(sql) {
            assert!(!returned_rows, "{name}: {sql} returned rows");
        }
    }
    assert!(outcomes.iter().any(|o| !o.2), "the behaviours made some scans fail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_tables_against_a_hostile_server() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.expect("starts");
    every_scan_is_exact_or_an_error(sim, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_center_tables_against_a_hostile_server() {
    let sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.expect("starts");
    every_scan_is_exact_or_an_error(sim, false).await;
}

/// A body that trickles in ends with the timeout, for a scan as for a single request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_bodies_end_with_the_timeout() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.expect("starts");
    sim.set_faults(vec![FaultRule { trickle_ms: 200, ..FaultRule::default() }]);
    let connection = connection(&sim);
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(60), connection.query("SELECT * FROM spaces")).await;
    let error = outcome.expect("no hang").expect_err("times out");
    assert!(error.to_string().contains("raise Timeout"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
}
