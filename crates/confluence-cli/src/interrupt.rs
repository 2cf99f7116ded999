//! Ctrl-C while statements run: cancels the running query instead of ending the process.
//!
//! The signal is received on a thread of its own, with its own small runtime, so it is noticed at once even while
//! the query runtime's workers are all busy computing (a signal awaited on the query runtime waits until one of
//! its workers parks, which a CPU-bound plan may not do for many seconds). The handler is installed before
//! [`Interrupts::install`] returns, so there is no window in which Ctrl-C would still end the process by default.
//!
//! Outside a query (the line editor reads keys in raw mode, so Ctrl-C is a keystroke there), a Ctrl-C that arrives
//! while results print ends the process with status 130, as the default handler would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;

/// Ctrl-C, as seen by the statements that run.
#[derive(Debug)]
pub struct Interrupts {
    /// Woken on every Ctrl-C.
    notify: Notify,
    /// How many [`Guard`]s (queries that want Ctrl-C) exist.
    listeners: AtomicUsize,
}

/// The exit status of a process ended by Ctrl-C (128 + SIGINT).
const INTERRUPTED_EXIT: i32 = 130;

impl Interrupts {
    /// Installs the Ctrl-C handler (once per process) and returns the shared watcher. Call it once connected: an
    /// OAuth browser flow while connecting stays interruptible the usual way.
    pub fn install() -> Arc<Interrupts> {
        static INSTANCE: OnceLock<Arc<Interrupts>> = OnceLock::new();
        INSTANCE.get_or_init(start).clone()
    }

    /// Declares a query that Ctrl-C should cancel; the returned guard resolves on the next Ctrl-C.
    pub fn listen(self: &Arc<Self>) -> Guard {
        self.listeners.fetch_add(1, Ordering::SeqCst);
        Guard { interrupts: self.clone() }
    }

    fn interrupted(&self) {
        if self.listeners.load(Ordering::SeqCst) == 0 {
            // Nobody to cancel: behave like the default handler.
            std::process::exit(INTERRUPTED_EXIT);
        }
        self.notify.notify_waiters();
    }
}

/// A query's interest in Ctrl-C; dropping it ends the interest.
#[derive(Debug)]
pub struct Guard {
    interrupts: Arc<Interrupts>,
}

impl Guard {
    /// A future that resolves on the next Ctrl-C; `enable` it before starting the work it guards.
    pub fn interrupted(&self) -> tokio::sync::futures::Notified<'_> {
        self.interrupts.notify.notified()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.interrupts.listeners.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Starts the signal thread and waits until its handler is installed.
fn start() -> Arc<Interrupts> {
    let interrupts = Arc::new(Interrupts { notify: Notify::new(), listeners: AtomicUsize::new(0) });
    let watcher = interrupts.clone();
    let (ready, installed) = std::sync::mpsc::channel::<bool>();
    let spawned = std::thread::Builder::new().name("ctrl-c".to_owned()).spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            let _ = ready.send(false);
            return;
        };
        runtime.block_on(async move {
            let Ok(mut signal) = interrupt_signal() else {
                let _ = ready.send(false);
                return;
            };
            let _ = ready.send(true);
            while signal.recv().await.is_some() {
                watcher.interrupted();
            }
        });
    });
    if spawned.is_ok() && !matches!(installed.recv_timeout(Duration::from_secs(10)), Ok(true)) {
        tracing::warn!("cannot watch Ctrl-C; it will end the process instead of cancelling the query");
    }
    interrupts
}

#[cfg(unix)]
fn interrupt_signal() -> std::io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
}

#[cfg(windows)]
fn interrupt_signal() -> std::io::Result<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c()
}
