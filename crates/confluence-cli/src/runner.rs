//! Runs statements for `-c`, `-f` and the REPL: executes, prints in the chosen format, optionally times, shows a
//! progress line on a terminal for slow queries, and lets Ctrl-C cancel the running query (not the process).

use std::io::{IsTerminal, Write};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use confluence_sql::Connection;
use tokio::sync::Notify;

use crate::output::{render, ResultFormat};

/// A connection with the REPL's settings.
pub struct Runner {
    /// The connection (shared with the task that runs each query).
    pub connection: Arc<Connection>,
    /// How results print.
    pub format: ResultFormat,
    /// Whether to print the elapsed time and requests after each statement.
    pub timing: bool,
}

/// Starts watching Ctrl-C for the statements to come (from then on Ctrl-C cancels a query instead of ending the
/// process). Call it once connected: an OAuth browser flow while connecting should stay interruptible.
pub fn watch_interrupts() {
    let _ = interrupts();
}

/// Wakes waiters on every Ctrl-C. The signal is awaited on a dedicated thread with its own small runtime, so it
/// is noticed even when the query runtime's workers are all busy computing.
fn interrupts() -> Arc<Notify> {
    static INTERRUPTS: OnceLock<Arc<Notify>> = OnceLock::new();
    INTERRUPTS
        .get_or_init(|| {
            let notify = Arc::new(Notify::new());
            let waker = notify.clone();
            let _ = std::thread::Builder::new().name("ctrl-c".to_owned()).spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                runtime.block_on(async {
                    while tokio::signal::ctrl_c().await.is_ok() {
                        waker.notify_waiters();
                    }
                });
            });
            notify
        })
        .clone()
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
        // The query runs as its own task and Ctrl-C is watched from a thread of its own, so the interrupt is
        // seen at once even while the engine keeps every worker busy; the cancelled task is dropped.
        let interrupts = interrupts();
        let interrupted = interrupts.notified();
        tokio::pin!(interrupted);
        interrupted.as_mut().enable();
        let connection = self.connection.clone();
        let statement = sql.to_owned();
        let mut query = tokio::spawn(async move { connection.query(&statement).await });
        let outcome = tokio::select! {
            result = &mut query => Some(result),
            _ = interrupted => {
                query.abort();
                None
            }
        };
        if let Some(progress) = progress {
            progress.abort();
            eprint!("\r\x1b[2K");
        }
        let batches = match outcome {
            None => return Err(RunError::Cancelled),
            Some(Err(e)) => return Err(RunError::Failed(format!("the query stopped: {e}"))),
            Some(Ok(Err(e))) => return Err(RunError::Failed(e.to_string())),
            Some(Ok(Ok(batches))) => batches,
        };
        let text = render(&batches, self.format).map_err(|e| RunError::Failed(e.to_string()))?;
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

    /// On a terminal, a line on stderr showing requests and data so far, after the first half second.
    fn start_progress(&self) -> Option<tokio::task::JoinHandle<()>> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let before = self.connection.metrics();
        let metrics = self.connection.client().clone();
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
