//! Decoding a 250-item page list into an Arrow batch, beside `serde_json` merely skipping the same bytes
//! (`IgnoredAny`): the decoder's throughput as a share of the fastest a JSON reader can go. The list is one the
//! simulator serves (`GET /wiki/api/v2/pages?limit=250`, no bodies); the projection is all of `pages`' columns, then
//! the few a `count(*)` or a title listing reads. Two decoders: straight from the bytes into Arrow builders (what
//! the driver does for cursor lists), and through a JSON tree of the kept parts (offset lists, and columns that need
//! more than a path).
//!
//!     cargo bench -p confluence-sql --bench decode [-- seconds=3]

use std::time::{Duration, Instant};

use confluence_rest::Shape;
use confluence_sim::{DatasetSize, SimConfig, Simulator};
use confluence_sql::internals::columns::{decode, schema_of, shape_of, DecodeContext};
use confluence_sql::internals::page_decoder::PageDecoder;
use confluence_sql::internals::tables::ALL;
use serde::de::IgnoredAny;
use serde_json::Value;

fn main() {
    let seconds: f64 =
        std::env::args().find_map(|a| a.strip_prefix("seconds=").and_then(|s| s.parse().ok())).unwrap_or(3.0);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let body = runtime.block_on(async {
        let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("simulator");
        let info = sim.info();
        reqwest::Client::new()
            .get(format!("{}/wiki/api/v2/pages?limit=250", info.url))
            .basic_auth(&info.user, Some(&info.api_token))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("a page list")
            .bytes()
            .await
            .expect("its body")
    });
    let pages = ALL.iter().find(|t| t.cloud.name == "pages").expect("pages").cloud;
    let budget = Duration::from_secs_f64(seconds);
    println!("a page list of {} bytes (250 pages), {seconds} s per measurement", body.len());

    let skip = throughput(budget, body.len(), || {
        serde_json::from_slice::<IgnoredAny>(&body).expect("valid JSON");
    });
    println!("{:<48} {:>8.1} MB/s", "serde_json, skipping (IgnoredAny)", skip);
    let projections: [(&str, Vec<&str>); 3] = [
        ("every column of pages", pages.columns.iter().map(|c| c.name).collect()),
        ("id, title, updated_at", vec!["id", "title", "updated_at"]),
        ("no column (count(*))", vec![]),
    ];
    for (name, wanted) in projections {
        let columns: Vec<_> = pages.columns.iter().filter(|c| wanted.contains(&c.name)).copied().collect();
        let schema = schema_of(&columns);
        let mut page = Shape::nothing();
        page.keep_shape(&["results"], &shape_of(&columns)).keep(&["_links", "next"]);
        let context = DecodeContext::default();
        let direct = PageDecoder::new(&columns, schema.clone(), context.clone(), false).expect("path columns");
        let rate = throughput(budget, body.len(), || {
            let (_, rows) = direct.decode_page(&body).expect("decodes");
            assert_eq!(rows.batch.num_rows(), 250);
        });
        println!("{:<48} {:>8.1} MB/s  ({:.0}% of skipping)", format!("to Arrow: {name}"), rate, 100.0 * rate / skip);
        let rate = throughput(budget, body.len(), || {
            let mut document = page.parse(&body).expect("valid JSON");
            let results = match document.get_mut("results").map(Value::take) {
                Some(Value::Array(results)) => results,
                _ => Vec::new(),
            };
            let batch = decode(&columns, &schema, &results, &context).expect("decodes");
            assert_eq!(batch.num_rows(), 250);
        });
        println!(
            "{:<48} {:>8.1} MB/s  ({:.0}% of skipping)",
            format!("  through a JSON tree: {name}"),
            rate,
            100.0 * rate / skip
        );
    }
}

/// MB/s of `work` over `bytes`, run for `budget` after a warm-up.
fn throughput(budget: Duration, bytes: usize, mut work: impl FnMut()) -> f64 {
    for _ in 0..20 {
        work();
    }
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < budget {
        work();
        runs += 1;
    }
    (bytes as f64 * runs as f64) / started.elapsed().as_secs_f64() / 1e6
}
