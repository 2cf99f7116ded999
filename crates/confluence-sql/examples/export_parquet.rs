//! Export a space's pages (with their bodies) to a Parquet file, streaming: each Arrow batch is written as it
//! arrives from Confluence, so memory stays bounded whatever the space's size.
//!
//! `cargo run -p confluence-sql --example export_parquet -- ENG pages.parquet`

#[path = "common/mod.rs"]
mod common;

use std::path::Path;

use confluence_sql::datafusion::parquet::arrow::ArrowWriter;
use confluence_sql::{Connection, SqlError};
use futures::StreamExt;

/// Writes every page of `space` to `path`; returns the rows written.
pub async fn export_space(
    connection: &Connection,
    space: &str,
    path: &Path,
) -> Result<usize, Box<dyn std::error::Error>> {
    let mut stream = connection
        .command("SELECT id, title, parent_id, version, updated_at, body_storage FROM pages WHERE space_key = @space")
        .bind("space", space)
        .execute_stream()
        .await?;
    let mut writer = ArrowWriter::try_new(std::fs::File::create(path)?, stream.schema(), None)?;
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows();
        writer.write(&batch)?;
    }
    writer.close()?;
    Ok(rows)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let space = args.next().unwrap_or_else(|| "ENG".to_owned());
    let path = args.next().unwrap_or_else(|| format!("{space}.parquet"));
    let (site, _sim) = common::site().await;
    let connection = Connection::open(&site).await.map_err(|e: SqlError| e.to_string())?;
    let rows = export_space(&connection, &space, Path::new(&path)).await?;
    println!("wrote {rows} page(s) of {space} to {path}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use confluence_sql::datafusion::prelude::{ParquetReadOptions, SessionContext};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_file_holds_every_page_of_the_space() {
        let (site, _sim) = common::site().await;
        let connection = Connection::open(&site).await.expect("opens");
        let path = std::env::temp_dir().join(format!("confluence-export-{}.parquet", std::process::id()));
        let rows = export_space(&connection, "ENG", &path).await.expect("exports");
        let expected: i64 = connection
            .command("SELECT count(*) FROM pages WHERE space_key = 'ENG'")
            .execute_scalar()
            .await
            .expect("count");
        assert_eq!(rows as i64, expected);
        let ctx = SessionContext::new();
        let read = ctx.read_parquet(path.to_str().expect("utf-8 path"), ParquetReadOptions::default()).await;
        assert_eq!(read.expect("reads").count().await.expect("counts"), rows);
        let _ = std::fs::remove_file(path);
    }
}
