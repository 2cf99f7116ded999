//! End-to-end tests of the query modes of `confluence-sql`: `--demo`, `-c`, `-f`, the shell on piped input,
//! output formats, and exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_confluence-sql"))
        .args(args)
        .env_remove("CONFLUENCE_SQL_CONNECTION")
        .env("HOME", std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_runs_commands_in_every_format() {
    let out = run(
        &[
            "--demo",
            "--format",
            "json",
            "-c",
            "SELECT key, status FROM spaces WHERE key IN ('ENG', 'DOCS') ORDER BY key",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json, serde_json::json!([{"key": "DOCS", "status": "current"}, {"key": "ENG", "status": "current"}]));

    let out = run(
        &[
            "--demo",
            "--format",
            "csv",
            "-c",
            "SELECT count(*) AS n FROM pages WHERE space_key = 'ENG'; SELECT 1 AS one",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "n");
    assert!(lines[1].parse::<u32>().is_ok_and(|n| n > 0), "{stdout}");
    assert_eq!(&lines[2..], ["one", "1"]);

    let out = run(&["--demo", "--timing", "-c", "SELECT id FROM pages LIMIT 5"], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("5 rows in") && text(&out.stderr).contains("1 request"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn errors_are_one_line_and_exit_non_zero() {
    let out = run(&["--demo", "-c", "SELEC 1"], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: SQL syntax error"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));

    let out = run(&["Url=https://acme.atlassian.net;User=me@acme.com", "-c", "SELECT 1"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no credentials given"), "{}", text(&out.stderr));

    let out = run(&["-c", "SELECT 1"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no connection string"));
}

#[test]
fn files_run_statement_by_statement() {
    let path = std::env::temp_dir().join(format!("confluence-sql-test-{}.sql", std::process::id()));
    std::fs::write(&path, "-- a script\nSELECT 1 AS a;\nSELECT 'x;y' AS b;\n").expect("writes");
    let out = run(&["--demo", "--format", "csv", "-f", path.to_str().unwrap_or_default()], "");
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "a\n1\nb\nx;y\n");
}

#[test]
fn the_shell_reads_multi_line_statements_and_backslash_commands() {
    let input = "\\dt\n\\d pages\nSELECT key\n  FROM spaces\n  WHERE key = 'ENG';\n\\format csv\nSELECT 2 AS two;\n\\bogus\n\\q\n";
    let out = run(&["--demo"], input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("simulated Confluence Cloud site"), "{stdout}");
    assert!(stdout.contains("audit_log"), "\\dt lists the tables: {stdout}");
    assert!(
        stdout.contains("space_key") && stdout.contains("Key of the page's space"),
        "\\d pages describes it: {stdout}"
    );
    assert!(stdout.contains("| ENG |"), "the multi-line statement ran: {stdout}");
    assert!(stdout.contains("two\n2\n"), "\\format csv applied: {stdout}");
    assert!(text(&out.stderr).contains("unknown command \\bogus"), "{}", text(&out.stderr));
}
