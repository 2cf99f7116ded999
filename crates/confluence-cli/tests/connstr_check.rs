//! End-to-end tests of `confluence-sql connstr check` and `connstr properties`: the real binary, its exit codes,
//! its stdout and stderr.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn confluence_sql(args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_confluence-sql"));
    command
        .args(args)
        .env_remove("CONFLUENCE_SQL_CONNECTION")
        .env("HOME", "/home/tester")
        .env("XDG_CONFIG_HOME", "/home/tester/.config")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or_default().as_bytes()).expect("stdin is writable");
    }
    child.wait_with_output().expect("the binary finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn valid_string_prints_the_effective_properties() {
    let out = confluence_sql(
        &["connstr", "check", "Url=https://acme.atlassian.net/wiki;User=me@acme.com;APIToken=s3cr3t;Spaces=ENG,DOCS"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let row = |name: &str| {
        stdout.lines().find(|l| l.starts_with(&format!("{name} "))).map(|l| l.split_whitespace().collect::<Vec<_>>())
    };
    assert_eq!(row("Url"), Some(vec!["Url", "https://acme.atlassian.net", "given"]));
    assert_eq!(row("AuthScheme"), Some(vec!["AuthScheme", "Basic", "auto"]));
    assert_eq!(row("Deployment"), Some(vec!["Deployment", "Cloud", "auto"]));
    assert_eq!(row("APIToken"), Some(vec!["APIToken", "********", "given"]));
    assert_eq!(row("MaxConcurrency"), Some(vec!["MaxConcurrency", "8", "default"]));
    assert_eq!(row("Spaces"), Some(vec!["Spaces", "ENG,DOCS", "given"]));
    assert_eq!(row("OAuthClientId"), None, "OAuth properties are hidden for Basic without --all");
    assert!(!stdout.contains("s3cr3t") && !text(&out.stderr).contains("s3cr3t"));
    assert!(text(&out.stderr).is_empty(), "no warnings expected: {}", text(&out.stderr));

    let all = confluence_sql(&["connstr", "check", "--all", "Url=https://acme.atlassian.net;User=u;APIToken=t"], None);
    assert!(text(&all.stdout).lines().any(|l| l.starts_with("OAuthClientId ")));
}

#[test]
fn json_has_every_canonical_property_and_masks_secrets() {
    let out = confluence_sql(
        &[
            "connstr",
            "check",
            "--format",
            "json",
            "url=https://wiki.corp/confluence/;pat=tok3n;timeout=0;spaces=A,~jsmith;proxy=http://bob:pw9@proxy:3128",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "one JSON object on one line");
    let json: Value = serde_json::from_str(&stdout).expect("valid JSON");
    let object = json.as_object().expect("an object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    let canonical: Vec<&str> = connstr::properties::PROPERTIES.iter().map(|p| p.name).collect();
    assert_eq!(keys, canonical);
    assert_eq!(json["Url"], "https://wiki.corp/confluence");
    assert_eq!(json["AuthScheme"], "PAT");
    assert_eq!(json["Deployment"], "DataCenter");
    assert_eq!(json["PersonalAccessToken"], "********");
    assert_eq!(json["APIToken"], Value::Null);
    assert_eq!(json["Timeout"], 0);
    assert_eq!(json["IncludeArchived"], false);
    assert_eq!(json["Spaces"], serde_json::json!(["A", "~jsmith"]));
    assert_eq!(json["Scope"], serde_json::json!(["READ"]));
    assert_eq!(json["ProxyUrl"], "http://bob:********@proxy:3128/");
    assert_eq!(json["OAuthAuthorizationURL"], "https://wiki.corp/confluence/rest/oauth2/latest/authorize");
    assert_eq!(json["OAuthSettingsLocation"], "/home/tester/.config/confluence-sql/oauth/wiki.corp_confluence.json");
    assert!(!stdout.contains("tok3n") && !stdout.contains("pw9"));
}

#[test]
fn invalid_strings_exit_2_with_the_error() {
    let cases = [
        ("Url=https://x;Spaces='A,B", "unterminated quoted value at byte 21"),
        ("Url=https://acme.atlassian.net;OAuthClientID2=abc", "did you mean OAuthClientId?"),
        (
            "Url=https://w.corp;PAT=p;AuthScheme=Kerberos",
            "\"Kerberos\" is not one of Auto, Basic, PAT, OAuth, OAuthPKCE",
        ),
        ("Url=https://w.corp;PAT=p;MaxConcurrency=x", "invalid value for MaxConcurrency"),
        ("Url=https://acme.atlassian.net;AuthScheme=Basic;User=u", "APIToken is required with AuthScheme=Basic"),
        ("Url=https://acme.atlassian.net", "no credentials given"),
    ];
    for (input, expected) in cases {
        let out = confluence_sql(&["connstr", "check", input], None);
        assert_eq!(out.status.code(), Some(2), "{input}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with("error: ") && stderr.contains(expected), "{input}: {stderr}");
        assert!(text(&out.stdout).is_empty(), "{input}: nothing on stdout");
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
    }
}

#[test]
fn errors_mask_secrets() {
    let out =
        confluence_sql(&["connstr", "check", "Url=https://acme.atlassian.net;User=u;APIToken='s3cr3t;Timeout=1"], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unterminated quoted value") && !stderr.contains("s3cr3t"), "{stderr}");
}

#[test]
fn warnings_go_to_stderr_and_exit_0() {
    let out = confluence_sql(
        &["connstr", "check", "Url=http://wiki.corp;PAT=p;Timeout=5;TIMEOUT=9;User=u;AllowHttp=1"],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("warning: Timeout is given 2 times"), "{stderr}");
    assert!(stderr.contains("warning: User is ignored with AuthScheme=PAT"), "{stderr}");
    assert!(stderr.contains("plain http"), "{stderr}");
}

#[test]
fn reads_stdin_and_the_environment() {
    let out =
        confluence_sql(&["connstr", "check", "--format", "json", "-"], Some("Url=https://w.corp;PAT=from-stdin\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"AuthScheme\":\"PAT\""));

    let out = Command::new(env!("CARGO_BIN_EXE_confluence-sql"))
        .args(["connstr", "check", "--format", "json"])
        .env("CONFLUENCE_SQL_CONNECTION", "Url=https://w.corp;User=u;Password=p")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"AuthScheme\":\"Basic\""));
}

#[test]
fn lists_properties() {
    let out = confluence_sql(&["connstr", "properties", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let list = json.as_array().expect("an array");
    assert_eq!(list.len(), connstr::properties::PROPERTIES.len());
    let token = list.iter().find(|p| p["name"] == "APIToken").expect("APIToken is listed");
    assert_eq!(token["secret"], true);
    assert_eq!(token["schemes"], serde_json::json!(["Basic"]));

    let table = text(&confluence_sql(&["connstr", "properties"], None).stdout);
    assert!(table.lines().any(|l| l.starts_with("OAuthSettingsLocation ")), "{table}");
}

#[test]
fn bad_arguments_exit_2() {
    let out = confluence_sql(&["connstr", "check", "--format", "yaml", "Url=x"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid value 'yaml'"));
}
