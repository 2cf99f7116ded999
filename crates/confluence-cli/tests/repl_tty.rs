//! Ctrl-C in a real terminal: the shell runs in a pseudo-terminal (driven by Python's standard `pty` module), a
//! long query is interrupted, and the shell carries on.

#[cfg(unix)]
#[test]
fn ctrl_c_cancels_the_running_query_and_the_shell_carries_on() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tty/ctrl_c.py");
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_confluence-sql"))
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("python3 runs (CI installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("cancelled in"), "{stdout}");
}
