//! End-to-end test of `confluence-sql sim`: the real binary starts the simulator, prints one JSON object on its
//! first line with everything a client needs, and serves the API with those credentials.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Running, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_confluence-sql"))
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).expect("a first line");
    let info: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{first:?} is not JSON: {e}"));
    (Running(child), info)
}

/// A minimal HTTP/1.1 GET, so this test needs no HTTP client crate.
fn http_get(url: &str, authorization: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".to_owned()));
    let mut stream = TcpStream::connect(host).expect("connects");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {authorization}\r\nConnection: close\r\n\r\n"
    )
    .expect("writes");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

fn basic(user: &str, secret: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}")))
}

#[test]
fn cloud_simulator_prints_its_settings_and_serves() {
    let (_sim, info) = start(&["--format", "json", "--dataset", "tiny"]);
    for key in [
        "url",
        "deployment",
        "user",
        "api_token",
        "pat",
        "client_id",
        "client_secret",
        "cloud_id",
        "oauth_authorization_url",
        "oauth_access_token_url",
        "atlassian_api_url",
    ] {
        assert!(info[key].is_string(), "{key} missing from {info}");
    }
    let url = info["url"].as_str().unwrap_or_default();
    assert!(url.starts_with("http://127.0.0.1:"), "binds loopback: {url}");
    assert_eq!(info["deployment"], "Cloud");
    let auth = basic(info["user"].as_str().unwrap_or_default(), info["api_token"].as_str().unwrap_or_default());
    let (status, body) = http_get(&format!("{url}/wiki/api/v2/spaces?limit=2"), &auth);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"key\":\"ENG\""), "{body}");
    let (status, _) = http_get(&format!("{url}/wiki/api/v2/spaces"), "Basic bm9ib2R5Om5vdGhpbmc=");
    assert_eq!(status, 401);
    assert!(connstr::ConnectionOptions::parse(info["connection_string"].as_str().unwrap_or_default()).is_ok());
    assert!(connstr::ConnectionOptions::parse(info["oauth_connection_string"].as_str().unwrap_or_default()).is_ok());
}

#[test]
fn data_center_simulator_accepts_its_personal_access_token() {
    let (_sim, info) = start(&["--format", "json", "--dataset", "tiny", "--deployment", "datacenter"]);
    assert_eq!(info["deployment"], "DataCenter");
    let url = info["url"].as_str().unwrap_or_default();
    let (status, body) = http_get(
        &format!("{url}/rest/api/space?limit=1"),
        &format!("Bearer {}", info["pat"].as_str().unwrap_or_default()),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_bad_dataset_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_confluence-sql"))
        .args(["sim", "--dataset", "enormous"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown data set preset"));
}
