//! Requests per second for a 250-item v2 page list (`GET /wiki/api/v2/pages?limit=250`), no added latency: the
//! simulator must never be the bottleneck of a driver benchmark.
//!
//! `cargo bench -p confluence-sim --bench page_list` (optionally `-- <seconds> <connections> <dataset>`, default
//! `5 8 small`). Client and server share the machine, so the figure is a lower bound for the server alone;
//! `bench/sim_throughput.sh` measures with wrk from another process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use confluence_sim::{DatasetSize, SimConfig, Simulator};

#[derive(serde::Deserialize)]
struct Page {
    #[serde(rename = "_links")]
    links: Links,
}

#[derive(serde::Deserialize)]
struct Links {
    next: Option<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let seconds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(5);
    let connections: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(8);
    let dataset = args.get(2).cloned().unwrap_or_else(|| "small".to_owned());
    let size = DatasetSize::parse(&dataset).unwrap_or_else(|e| panic!("{e}"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async move {
        let sim = Simulator::start(SimConfig::cloud().with_size(size)).await.expect("simulator starts");
        let info = sim.info();
        let requests = Arc::new(AtomicU64::new(0));
        let bytes = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for worker in 0..connections {
            let client = reqwest::Client::new();
            let (requests, bytes, info) = (requests.clone(), bytes.clone(), info.clone());
            // Each connection walks the page list with cursors, starting over at the end, so every page of the data
            // set is served, not one cached response.
            tasks.push(tokio::spawn(async move {
                let first = format!("{}/wiki/api/v2/pages?limit=250", info.url);
                let mut next = first.clone();
                let mut skip = worker;
                while Instant::now() < deadline {
                    let response = client.get(&next).basic_auth(&info.user, Some(&info.api_token)).send().await.expect("request");
                    assert!(response.status().is_success(), "{}", response.status());
                    let raw = response.bytes().await.expect("body");
                    bytes.fetch_add(raw.len() as u64, Ordering::Relaxed);
                    requests.fetch_add(1, Ordering::Relaxed);
                    // Only the next link is needed: skip the rest of the document without building it.
                    let page: Page = serde_json::from_slice(&raw).expect("json");
                    next = match page.links.next.as_deref() {
                        Some(link) if skip == 0 => format!("{}{link}", info.url),
                        Some(link) => {
                            skip -= 1;
                            format!("{}{link}", info.url)
                        }
                        None => first.clone(),
                    };
                }
            }));
        }
        let started = Instant::now();
        for task in tasks {
            task.await.expect("worker");
        }
        let elapsed = started.elapsed().as_secs_f64();
        let n = requests.load(Ordering::Relaxed);
        println!(
            "page_list: {n} requests in {elapsed:.1} s over {connections} connections = {:.0} requests/s, {:.0} pages/s, {:.1} MB/s (data set {dataset})",
            n as f64 / elapsed,
            n as f64 * 250.0 / elapsed,
            bytes.load(Ordering::Relaxed) as f64 / elapsed / 1e6
        );
        sim.shutdown().await;
    });
}
