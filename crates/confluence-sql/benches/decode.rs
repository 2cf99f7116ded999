//! Decoding a 250-item page list into an Arrow batch, beside `serde_json` merely skipping the same bytes
//! (`IgnoredAny`): the decoder's throughput as a share of the fastest a JSON reader can go. The list is one the
//! simulator serves (`GET /wiki/api/v2/pages?limit=250`, no bodies); the projection is all of `pages`' columns, then
//! the few a `count(*)` or a title listing reads. Two decoders: straight from the bytes into Arrow builders (what
//! the driver does for cursor lists), and through a JSON tree of the kept parts (offset lists, and columns that need
//! more than a path). Each decoder is measured in rounds alternating with the skip, its share the median round's
//! (the machine's noise weighs on both alike).
//!
//!     cargo bench -p confluence-sql --bench decode [-- seconds=3] [only=<part of a measurement's name>]
//!
//! `only=` runs the measurements whose name holds the text (and always the skip, the yardstick): for a profiler,
//! e.g. `only="to Arrow: every"`.

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
    let only = std::env::args().find_map(|a| a.strip_prefix("only=").map(str::to_owned)).unwrap_or_default();
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

    let mut skip = || {
        serde_json::from_slice::<IgnoredAny>(&body).expect("valid JSON");
    };
    let alone = throughput(budget, body.len(), &mut skip);
    println!("{:<48} {:>8.1} MB/s", "serde_json, skipping (IgnoredAny)", alone);
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
        let direct_name = format!("to Arrow: {name}");
        let tree_name = format!("  through a JSON tree: {name}");
        if direct_name.contains(&only) {
            let (rate, share) = beside(budget, body.len(), &mut skip, || {
                let (_, rows) = direct.decode_page(&body).expect("decodes");
                assert_eq!(rows.batch.num_rows(), 250);
            });
            println!("{direct_name:<48} {rate:>8.1} MB/s  ({share:.0}% of skipping)");
        }
        if tree_name.contains(&only) {
            let (rate, share) = beside(budget, body.len(), &mut skip, || {
                let mut document = page.parse(&body).expect("valid JSON");
                let results = match document.get_mut("results").map(Value::take) {
                    Some(Value::Array(results)) => results,
                    _ => Vec::new(),
                };
                let batch = decode(&columns, &schema, &results, &context).expect("decodes");
                assert_eq!(batch.num_rows(), 250);
            });
            println!("{tree_name:<48} {rate:>8.1} MB/s  ({share:.0}% of skipping)");
        }
    }
}

/// `work`'s MB/s over `bytes` and its share of `skip`'s (in percent), measured in alternating rounds of a tenth of
/// `budget` each, so that a machine slowing down or speeding up (another process, the clock) weighs on both alike:
/// the median round's.
fn beside(budget: Duration, bytes: usize, mut skip: impl FnMut(), mut work: impl FnMut()) -> (f64, f64) {
    let round = budget / 10;
    let mut rates = Vec::new();
    let mut shares = Vec::new();
    for _ in 0..10 {
        let skipping = throughput(round, bytes, &mut skip);
        let rate = throughput(round, bytes, &mut work);
        rates.push(rate);
        shares.push(100.0 * rate / skipping);
    }
    (median(rates), median(shares))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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
