//! Confluence next to your own data: mount the Confluence tables in a DataFusion `SessionContext` you built,
//! beside a local Parquet file (here, which team owns which space), and join them in one query.
//!
//! `cargo run -p confluence-sql --example join_parquet`

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;

use confluence_sql::datafusion::arrow::array::{RecordBatch, StringArray};
use confluence_sql::datafusion::arrow::datatypes::{DataType, Field, Schema};
use confluence_sql::datafusion::arrow::util::pretty::pretty_format_batches;
use confluence_sql::datafusion::parquet::arrow::ArrowWriter;
use confluence_sql::datafusion::prelude::{ParquetReadOptions, SessionContext};
use confluence_sql::{register, Connection};

/// Writes a small Parquet file of space owners (what would come from elsewhere in a real program).
fn write_owners(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("space_key", DataType::Utf8, false),
        Field::new("team", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["ENG", "DOCS", "OPS"])),
            Arc::new(StringArray::from(vec!["Platform", "Technical writing", "Operations"])),
        ],
    )?;
    let mut writer = ArrowWriter::try_new(std::fs::File::create(path)?, schema, None)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(())
}

/// Pages per owning team: the Parquet file joined with Confluence's pages.
pub async fn pages_per_team(
    connection: &Connection,
    owners: &std::path::Path,
) -> Result<Vec<RecordBatch>, Box<dyn std::error::Error>> {
    let ctx = SessionContext::new();
    ctx.register_parquet("owners", owners.to_str().ok_or("a UTF-8 path")?, ParquetReadOptions::default()).await?;
    register(&ctx, "confluence", connection)?;
    let frame = ctx
        .sql(
            "SELECT o.team, count(p.id) AS pages, max(p.updated_at) AS last_update \
             FROM owners o JOIN confluence.main.pages p ON p.space_key = o.space_key \
             GROUP BY o.team ORDER BY pages DESC",
        )
        .await?;
    Ok(frame.collect().await?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (site, _sim) = common::site().await;
    let connection = Connection::open(&site).await?;
    let owners = std::env::temp_dir().join("confluence-sql-owners.parquet");
    write_owners(&owners)?;
    println!("{}", pretty_format_batches(&pages_per_team(&connection, &owners).await?)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use confluence_sql::datafusion::arrow::array::AsArray;
    use confluence_sql::datafusion::arrow::datatypes::Int64Type;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_owned_space_with_pages_is_counted() {
        let (site, _sim) = common::site().await;
        let connection = Connection::open(&site).await.expect("opens");
        let owners = std::env::temp_dir().join(format!("confluence-owners-{}.parquet", std::process::id()));
        write_owners(&owners).expect("writes");
        let batches = pages_per_team(&connection, &owners).await.expect("joins");
        let mut total = 0;
        for batch in &batches {
            total += batch.column(1).as_primitive::<Int64Type>().iter().flatten().sum::<i64>();
        }
        let expected: i64 = connection
            .command("SELECT count(*) FROM pages WHERE space_key IN ('ENG', 'DOCS', 'OPS')")
            .execute_scalar()
            .await
            .expect("count");
        assert_eq!(total, expected);
        let _ = std::fs::remove_file(owners);
    }
}
