//! What the examples share: the connection string to use.

#![allow(dead_code)]

use confluence_sim::{DatasetSize, SimConfig, SimHandle, Simulator};

/// The site to read: `CONFLUENCE_CONNECTION_STRING` when set (your site), else a simulator started here (the
/// handle keeps it running; drop it last).
pub async fn site() -> (String, Option<SimHandle>) {
    if let Ok(text) = std::env::var("CONFLUENCE_CONNECTION_STRING") {
        return (text, None);
    }
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("the simulator starts");
    eprintln!("(no CONFLUENCE_CONNECTION_STRING: reading a simulated site at {})", sim.base_url());
    (sim.info().connection_string.clone(), Some(sim))
}
