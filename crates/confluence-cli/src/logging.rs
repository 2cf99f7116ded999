//! Sends the driver's `tracing` events to stderr at the connection's `LogLevel`. The level applies to
//! confluence-sql's own crates; the HTTP and TLS libraries below them stay at `warn`, so `LogLevel=trace` shows
//! every request and authorization step without the transport's byte-level noise. No event carries a secret:
//! headers are marked sensitive and URLs never hold credentials.

use std::io::IsTerminal;

use connstr::LogLevel;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const OUR_CRATES: &[&str] = &[
    "confluence_sql",
    "confluence_flightsql",
    "confluence_rest",
    "atlassian_oauth",
    "connstr",
    "confluence_cli",
    "confluence_sim",
];

/// Installs the stderr logger once; later calls do nothing.
pub fn init(level: LogLevel) {
    let ours = match level {
        LogLevel::Off => LevelFilter::OFF,
        LogLevel::Error => LevelFilter::ERROR,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Trace => LevelFilter::TRACE,
    };
    let mut targets = Targets::new().with_default(LevelFilter::WARN.min(ours));
    for target in OUR_CRATES {
        targets = targets.with_target(*target, ours);
    }
    let format = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true);
    let _ = tracing_subscriber::registry().with(format).with(targets).try_init();
}
