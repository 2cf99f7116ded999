//! Stale pages per space: pages not updated for a while, read row by row with a `DataReader`, the cutoff bound as
//! a typed parameter (pushed down to Confluence with the rest of the filter).
//!
//! `cargo run -p confluence-sql --example stale_pages -- 180` (days; set CONFLUENCE_CONNECTION_STRING for a real
//! site, otherwise a simulated one is used).

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use confluence_sql::{Connection, SqlError};

/// Pages last updated before `cutoff`, per space key, oldest first.
pub async fn stale_pages(
    connection: &Connection,
    cutoff: DateTime<Utc>,
) -> Result<BTreeMap<String, Vec<(String, DateTime<Utc>)>>, SqlError> {
    let mut reader = connection
        .command(
            "SELECT space_key, title, updated_at FROM pages \
             WHERE status = 'current' AND updated_at < @cutoff ORDER BY space_key, updated_at",
        )
        .bind("cutoff", cutoff)
        .execute_reader()
        .await?;
    let mut stale: BTreeMap<String, Vec<(String, DateTime<Utc>)>> = BTreeMap::new();
    while reader.read().await? {
        let space: String = reader.get("space_key")?;
        stale.entry(space).or_default().push((reader.get("title")?, reader.get("updated_at")?));
    }
    Ok(stale)
}

#[tokio::main]
async fn main() -> Result<(), SqlError> {
    let days: i64 = std::env::args().nth(1).and_then(|d| d.parse().ok()).unwrap_or(180);
    let (site, _sim) = common::site().await;
    let connection = Connection::open(&site).await?;
    for (space, pages) in stale_pages(&connection, Utc::now() - Duration::days(days)).await? {
        println!("{space}: {} page(s) not updated for {days} days", pages.len());
        for (title, updated) in pages.iter().take(3) {
            println!("  {}  {title}", updated.format("%Y-%m-%d"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn finds_the_pages_older_than_the_cutoff() {
        let (site, _sim) = common::site().await;
        let connection = Connection::open(&site).await.expect("opens");
        let everything = stale_pages(&connection, Utc::now() + Duration::days(1)).await.expect("runs");
        let total: usize = everything.values().map(Vec::len).sum();
        let current: i64 = connection
            .command("SELECT count(*) FROM pages WHERE status = 'current'")
            .execute_scalar()
            .await
            .expect("count");
        assert_eq!(total as i64, current, "a cutoff in the future finds every current page");
        let none = stale_pages(&connection, DateTime::UNIX_EPOCH).await.expect("runs");
        assert!(none.is_empty());
        for pages in everything.values() {
            assert!(pages.windows(2).all(|w| w[0].1 <= w[1].1), "oldest first");
        }
    }
}
