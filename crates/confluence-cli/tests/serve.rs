//! `confluence-sql serve`: the real binary prints where it listens as JSON, serves Flight SQL to a client that
//! logs in, refuses to start without authentication, and stops cleanly on SIGTERM.

// Helpers outside #[test] functions unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use serde_json::Value;

const PASSWORD: &str = "a long passphrase";

fn serve(args: &[&str], password: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_confluence-sql"));
    command
        .arg("serve")
        .args(args)
        .env_remove("CONFLUENCE_SQL_CONNECTION")
        .env_remove("CONFLUENCE_SQL_SERVE_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(password) = password {
        command.env("CONFLUENCE_SQL_SERVE_PASSWORD", password);
    }
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_its_address_serves_a_logged_in_client_and_stops_on_sigterm() {
    let mut child = serve(&["--demo", "--user", "ana", "--listen", "127.0.0.1:0", "--format", "json"], Some(PASSWORD))
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the first line");
    let announced: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    assert_eq!(announced["auth"], "users");
    assert_eq!(announced["tls"], false);
    let url = announced["url"].as_str().expect("a url");
    assert!(url.starts_with("grpc://127.0.0.1:"), "{url}");

    let endpoint = url.replace("grpc://", "http://");
    let channel = tonic::transport::Endpoint::from_shared(endpoint).unwrap().connect().await.unwrap();
    let mut client = FlightSqlServiceClient::new(channel);
    assert!(client.handshake("ana", "wrong").await.is_err());
    client.handshake("ana", PASSWORD).await.expect("the right password logs in");
    let info = client.execute("SELECT count(*) AS n FROM spaces".into(), None).await.unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let batches: Vec<_> = client.do_get(ticket).await.unwrap().try_collect().await.unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM stops it cleanly: {status:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

#[test]
fn serve_refuses_to_start_without_authentication() {
    let out = serve(&["--demo", "--listen", "127.0.0.1:0"], None).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("authentication is required"), "{stderr}");

    let out = serve(&["--demo", "--user", "ana", "--listen", "127.0.0.1:0"], None).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CONFLUENCE_SQL_SERVE_PASSWORD"), "{stderr}");

    // Pass-through takes no credentials in its connection string.
    let out = serve(
        &[
            "--pass-through",
            "--listen",
            "127.0.0.1:0",
            "Url=https://acme.atlassian.net;User=me@acme.com;APIToken=t0k3n-s3cret",
        ],
        None,
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("remove User, APIToken") && !stderr.contains("t0k3n-s3cret"), "{stderr}");
}

#[test]
fn hash_password_prints_a_users_file_line() {
    let out = serve(&["--hash-password", "ana"], Some(PASSWORD)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(line.starts_with("ana:$argon2id$"), "{line}");
    assert!(!line.contains(PASSWORD));
}
