//! Runs the SQL logic tests in `tests/slt/*.slt` against the simulator (Confluence Cloud, or Data Center for a file
//! whose name ends in `data_center.slt`; the small data set with seed 42, a fresh simulator per file). Results are
//! deterministic: the data set is generated from the seed.
//!
//! `cargo test -p confluence-sql-tests --test slt [-- <name filter>]`

use std::path::PathBuf;

use confluence_sim::{SimConfig, Simulator};
use confluence_sql::Connection;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use sqllogictest::{DBOutput, DefaultColumnType};

/// A connection as sqllogictest sees it.
struct Database {
    connection: Connection,
}

#[derive(Debug)]
struct SltError(String);

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SltError {}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for Database {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let batches = self.connection.query(sql).await.map_err(|e| SltError(e.to_string()))?;
        let Some(first) = batches.first() else {
            return Ok(DBOutput::Rows { types: Vec::new(), rows: Vec::new() });
        };
        let types = first
            .schema()
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                t if t.is_integer() => DefaultColumnType::Integer,
                t if t.is_floating() => DefaultColumnType::FloatingPoint,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DefaultColumnType::Text,
                _ => DefaultColumnType::Any,
            })
            .collect();
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for batch in &batches {
            let formatters: Vec<ArrayFormatter> = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<Result<_, _>>()
                .map_err(|e| SltError(e.to_string()))?;
            for row in 0..batch.num_rows() {
                rows.push(
                    formatters
                        .iter()
                        .map(|f| {
                            let text = f.value(row).to_string();
                            if text.is_empty() {
                                "(empty)".to_owned()
                            } else {
                                text
                            }
                        })
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "confluence-sql"
    }

    async fn sleep(duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .filter(|p| filter.as_ref().is_none_or(|f| p.to_string_lossy().contains(f.as_str())))
        .collect();
    files.sort();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let result = runtime.block_on(async {
            let data_center = file.to_string_lossy().ends_with("data_center.slt");
            let config = if data_center { SimConfig::data_center() } else { SimConfig::cloud() };
            let sim = Simulator::start(config).await.map_err(|e| e.to_string())?;
            let connection_string = sim.info().connection_string;
            let mut runner = sqllogictest::Runner::new(move || {
                let connection_string = connection_string.clone();
                async move {
                    Connection::open(&connection_string)
                        .await
                        .map(|connection| Database { connection })
                        .map_err(|e| SltError(e.to_string()))
                }
            });
            let outcome = runner.run_file_async(file).await.map_err(|e| e.display(true).to_string());
            sim.shutdown().await;
            outcome
        });
        match result {
            Ok(()) => {
                passed += 1;
                println!("ok     {}", file.display());
            }
            Err(e) => {
                failed += 1;
                println!("FAILED {}\n{e}", file.display());
            }
        }
    }
    println!("slt: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
