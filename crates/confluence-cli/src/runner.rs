//! Runs statements for `-c`, `-f` and the REPL: executes, prints in the chosen format, optionally times, shows a
//! progress line on a terminal for slow queries, and lets Ctrl-C cancel the running query (not the process).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use confluence_sql::{Connection, SqlError};
use datafusion::arrow::record_batch::RecordBatch;

use crate::interrupt::Interrupts;
use crate::output::{render, RenderOptions, ResultFormat};

/// A connection with the REPL's settings.
pub struct Runner {
    /// The connection (shared with the task that runs each query).
    pub connection: Arc<Connection>,
    /// How results print.
    pub format: ResultFormat,
    /// Whether to print the elapsed time and requests after each statement.
    pub timing: bool,
    /// How values are written besides the format.
    pub render: RenderOptions,
}

/// Why a statement did not print a result.
#[derive(Debug)]
pub enum RunError {
    /// The statement failed; the message is for the user.
    Failed(String),
    /// Ctrl-C.
    Cancelled,
}

impl Runner {
    /// Runs one statement and prints its result to stdout.
    pub async fn run(&self, sql: &str) -> Result<(), RunError> {
        let started = Instant::now();
        let before = self.connection.metrics();
        let progress = self.start_progress();
        let outcome = self.query_until_interrupted(sql).await;
        if let Some(progress) = progress {
            progress.abort();
            eprint!("\r\x1b[2K");
        }
        let batches = match outcome {
            None => return Err(RunError::Cancelled),
            Some(Err(e)) => return Err(RunError::Failed(format!("the query stopped unexpectedly: {e}"))),
            Some(Ok(Err(e))) => return Err(RunError::Failed(e.to_string())),
            Some(Ok(Ok(batches))) => batches,
        };
        let text = render(&batches, self.format, self.render).map_err(|e| RunError::Failed(e.to_string()))?;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
        if self.timing {
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            let after = self.connection.metrics();
            eprintln!(
                "{rows} row{} in {:.3} s, {} request{} ({} retried, {} throttled), {:.1} KB",
                if rows == 1 { "" } else { "s" },
                started.elapsed().as_secs_f64(),
                after.requests - before.requests,
                if after.requests - before.requests == 1 { "" } else { "s" },
                after.retries - before.retries,
                after.throttled - before.throttled,
                (after.bytes - before.bytes) as f64 / 1024.0
            );
        }
        Ok(())
    }

    /// Runs the query, or gives `None` on Ctrl-C. While it runs Ctrl-C cancels it; afterwards (printing is not a
    /// query) Ctrl-C ends the process, as it would by default.
    async fn query_until_interrupted(
        &self,
        sql: &str,
    ) -> Option<Result<Result<Vec<RecordBatch>, SqlError>, tokio::task::JoinError>> {
        // The query runs as a task of its own, so this future stays free to notice Ctrl-C (watched from a thread
        // of its own) even while the plan keeps every worker busy; the cancelled task is aborted.
        let guard = Interrupts::install().listen();
        let interrupted = guard.interrupted();
        tokio::pin!(interrupted);
        interrupted.as_mut().enable();
        let connection = self.connection.clone();
        let statement = sql.to_owned();
        let mut query = tokio::spawn(async move { connection.query(&statement).await });
        tokio::select! {
            result = &mut query => Some(result),
            _ = interrupted => {
                query.abort();
                None
            }
        }
    }

    /// On a terminal, a line on stderr showing requests and data so far, after the first half second.
    fn start_progress(&self) -> Option<tokio::task::JoinHandle<()>> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let before = self.connection.metrics();
        let metrics = self.connection.clone();
        Some(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let started = Instant::now();
            loop {
                let now = metrics.metrics();
                eprint!(
                    "\r\x1b[2K{} requests, {:.1} MB, {} rows so far ({:.0} s; Ctrl-C cancels)",
                    now.requests - before.requests,
                    (now.bytes - before.bytes) as f64 / 1e6,
                    now.rows - before.rows,
                    started.elapsed().as_secs_f64() + 0.5
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }))
    }
}
