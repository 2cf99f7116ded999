//! Ctrl-C in a real terminal: the shell runs in a pseudo-terminal (driven by Python's standard `pty` module), a slow
//! query is interrupted, the shell answers the next statement and quits cleanly. The CPU-bound case and its latency
//! are measured by `bench/repl_ctrl_c.py`.
#![allow(clippy::unwrap_used)]

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_running_query_and_the_shell_carries_on() {
    use confluence_sim::{FaultRule, SimConfig, Simulator};

    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    // Every request takes a while and pages come 10 at a time: `count(*)` over all pages runs for minutes.
    sim.set_faults(vec![FaultRule { latency_ms: 400, ..FaultRule::default() }]);
    let connection = format!("{};PageSize=10", sim.info().connection_string);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tty/ctrl_c.py");
    let home = std::env::temp_dir().join(format!("confluence-sql-tty-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let output = tokio::process::Command::new("python3")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_confluence-sql"))
        .arg(&connection)
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME")
        .output()
        .await
        .expect("python3 runs (CI installs it)");
    let _ = std::fs::remove_dir_all(&home);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("cancelled in"), "{stdout}");
}
