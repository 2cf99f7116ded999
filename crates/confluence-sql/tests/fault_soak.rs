//! The fault soak: every table, on Cloud and Data Center, read again and again while the simulator fails 10% of
//! requests with a 5xx, 5% with a 429 and `Retry-After`, cuts 1% of connections before the body and 1% in the
//! middle of it, with jitter; every scan must give exactly the rows of a fault-free run (none lost, none
//! repeated) or fail with an error. `CONFLUENCE_SQL_SOAK_ROUNDS` sets the rounds (2 here in CI; `bench/fault_soak.sh`
//! runs 50 and prints the figures).

use std::time::{Duration, Instant};

use confluence_rest::RetryPolicy;
use confluence_sim::{DatasetSize, FaultRule, SimConfig, SimHandle, Simulator};
use confluence_sql::Connection;

mod common;
use common::{queries, rows};

fn rounds() -> usize {
    std::env::var("CONFLUENCE_SQL_SOAK_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(2)
}

fn connection(sim: &SimHandle) -> Connection {
    let options =
        connstr::ConnectionOptions::parse(&format!("{};PageSize=10", sim.info().connection_string)).expect("valid");
    // The default attempts (5), with short waits so the soak measures the driver, not sleeping.
    let retry = RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_server_wait: Duration::from_secs(5),
    };
    Connection::builder().options(options).retry(retry).build().expect("opens")
}

fn faults() -> FaultRule {
    FaultRule {
        rate_5xx: 0.10,
        rate_429: 0.05,
        retry_after_secs: 1,
        reset_rate: 0.01 / 0.85,
        truncated_rate: 0.01 / 0.85,
        jitter_ms: 3,
        ..FaultRule::default()
    }
}

/// What one deployment's soak saw.
#[derive(Debug, Default)]
struct Figures {
    scans: usize,
    exact: usize,
    failed: usize,
    rows: usize,
    requests: u64,
    retries: u64,
    throttled: u64,
    /// The first errors, to say what failed.
    errors: Vec<String>,
}

async fn soak(sim: SimHandle, cloud: bool) -> Figures {
    let clean = connection(&sim);
    let queries = queries(&clean, cloud).await;
    let mut truth = Vec::new();
    for sql in &queries {
        truth.push(rows(&clean.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"))));
    }
    sim.set_faults(vec![faults()]);
    let mut figures = Figures::default();
    for _ in 0..rounds() {
        let connection = connection(&sim);
        for (sql, expected) in queries.iter().zip(&truth) {
            figures.scans += 1;
            match connection.query(sql).await {
                Ok(batches) => {
                    let got = rows(&batches);
                    let lost = expected.iter().filter(|r| !got.contains(r)).count();
                    assert_eq!(&got, expected, "{sql}: {} rows instead of {} ({lost} lost)", got.len(), expected.len());
                    figures.exact += 1;
                    figures.rows += got.len();
                }
                Err(e) => {
                    // Allowed (a request failed every attempt), but it must say so; never fewer rows.
                    assert!(!e.to_string().is_empty());
                    figures.failed += 1;
                    if figures.errors.len() < 3 {
                        figures.errors.push(format!("{sql}: {e}"));
                    }
                }
            }
        }
        let m = connection.metrics();
        figures.requests += m.requests;
        figures.retries += m.retries;
        figures.throttled += m.throttled;
    }
    sim.clear_faults();
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_and_repeat_no_row_of_any_table() {
    let started = Instant::now();
    let cloud = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.expect("starts");
    let cloud = soak(cloud, true).await;
    let dc = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.expect("starts");
    let dc = soak(dc, false).await;
    for (name, f) in [("Cloud", &cloud), ("Data Center", &dc)] {
        println!(
            "soak {name}: {} rounds, {} scans: {} exact ({} rows), {} failed with an error, 0 lost, 0 repeated; \
             {} requests, {} retries, {} throttled",
            rounds(),
            f.scans,
            f.exact,
            f.rows,
            f.failed,
            f.requests,
            f.retries,
            f.throttled
        );
        for error in &f.errors {
            println!("soak {name} error: {error}");
        }
        assert!(f.retries > 0, "{name}: the faults happened");
        assert!(f.exact * 10 >= f.scans * 9, "{name}: most scans get through: {f:?}");
    }
    println!("soak wall time: {:.1} s", started.elapsed().as_secs_f64());
}
