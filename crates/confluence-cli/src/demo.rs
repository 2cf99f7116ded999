//! `--demo`: the simulator in-process with a generated site, and a connection to it, so anyone can try the
//! product in one command with no Atlassian account.

use confluence_sim::{DatasetSize, SimConfig, SimHandle, Simulator};

/// Example queries printed by the demo.
pub const EXAMPLES: &[&str] = &[
    "SELECT key, name, status FROM spaces;",
    "SELECT space_key, count(*) AS pages FROM pages GROUP BY space_key ORDER BY pages DESC;",
    "SELECT title, updated_at FROM pages WHERE space_key = 'ENG' ORDER BY updated_at DESC LIMIT 10;",
    "SELECT u.display_name, count(*) AS pages FROM pages p JOIN users u ON u.account_id = p.author_id GROUP BY u.display_name ORDER BY pages DESC LIMIT 5;",
    "SELECT name, count(*) AS pages FROM labels WHERE page_id IS NOT NULL GROUP BY name ORDER BY pages DESC LIMIT 5;",
    "EXPLAIN SELECT id, title FROM pages WHERE space_key IN ('ENG', 'DOCS') LIMIT 5;",
];

/// Starts the simulator (Confluence Cloud, small site) and returns it with its connection string.
pub async fn start() -> anyhow::Result<(SimHandle, String)> {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await?;
    let connection = sim.info().connection_string;
    Ok((sim, connection))
}

/// The banner shown before the demo's prompt.
pub fn banner(sim: &SimHandle) -> String {
    let mut text = format!(
        "confluence-sql demo: a simulated Confluence Cloud site at {} (generated data; nothing leaves this machine).\nTry:\n",
        sim.base_url()
    );
    for example in EXAMPLES {
        text.push_str(&format!("  {example}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example the demo suggests runs on the demo's site and answers something.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_example_runs() {
        let (_sim, connection_string) = start().await.expect("the simulator starts");
        let connection = confluence_sql::Connection::open(&connection_string).await.expect("opens");
        for example in EXAMPLES {
            let sql = example.trim_end_matches(';');
            let batches = connection.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert!(batches.iter().map(|b| b.num_rows()).sum::<usize>() > 0, "{sql}: no row");
        }
    }
}
