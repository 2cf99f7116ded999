//! `confluence-sql login`, then queries with the saved tokens (no browser), then `logout`, against an in-process
//! simulator. The test plays the browser: it reads the authorization URL the command prints and follows it; the
//! simulator approves and redirects to the command's loopback listener. With `LogLevel=trace`, stderr shows the
//! authorization and request steps but never a token or the client secret.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use confluence_sim::{SimConfig, Simulator};

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_confluence-sql"));
    command.env_remove("CONFLUENCE_SQL_CONNECTION").env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_then_query_with_saved_tokens_then_logout() {
    let sim = Simulator::start(SimConfig::cloud().with_auto_approve()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("cli-login-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = dir.join("tokens.json");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let connection = format!(
        "{};InitiateOAuth=GETANDREFRESH;OAuthSettingsLocation={};CallbackURL=http://127.0.0.1:{port}/callback",
        sim.info().oauth_connection_string,
        store.display()
    );

    // login --no-browser prints the URL; follow it as the user's browser would.
    let mut child = binary().args(["login", &connection, "--no-browser"]).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.trim_start().starts_with("http") {
                let _ = url_tx.send(line.trim().to_owned());
            }
            lines.push(line);
        }
        lines.join("\n")
    });
    let url = tokio::task::spawn_blocking(move || url_rx.recv_timeout(Duration::from_secs(30)).unwrap()).await.unwrap();
    assert!(url.contains("audience=api.atlassian.com"), "{url}");
    let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(page.contains("You can close this tab"), "{page}");
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    let output = reader.join().unwrap();
    assert!(status.success(), "{output}");
    assert!(output.contains("Authorized for") && output.contains(&sim.info().cloud_id), "{output}");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&store).unwrap()).unwrap();
    let access = saved["access_token"].as_str().unwrap().to_owned();
    let refresh = saved["refresh_token"].as_str().unwrap().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&store).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // A query connects with the saved tokens: no browser, no token request, everything through the gateway.
    // The access token expires first, so the query also refreshes (and the log shows it).
    sim.expire_tokens();
    let traced = format!("{connection};LogLevel=trace");
    let query = tokio::task::spawn_blocking(move || {
        binary().args(["--format", "csv", "-c", "SELECT count(*) AS n FROM spaces", &traced]).output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&query.stdout);
    let stderr = String::from_utf8_lossy(&query.stderr);
    assert!(query.status.success(), "{stderr}");
    assert!(stdout.starts_with("n\n"), "{stdout}");
    assert!(stderr.contains("TRACE") || stderr.contains("DEBUG"), "trace logging is on: {stderr}");
    let rotated: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&store).unwrap()).unwrap();
    let new_access = rotated["access_token"].as_str().unwrap();
    let new_refresh = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, refresh, "the rotated refresh token was saved");
    for secret in [access.as_str(), refresh.as_str(), new_access, new_refresh, "sim-client-secret"] {
        assert!(!stderr.contains(secret), "a secret leaked into the log: {stderr}");
    }

    // logout deletes the tokens; a REFRESH connection then says how to log in.
    let out = binary().args(["logout", &connection]).output().unwrap();
    assert!(out.status.success());
    assert!(!store.exists());
    let refresh_only = connection.replace("GETANDREFRESH", "REFRESH");
    let out = tokio::task::spawn_blocking(move || binary().args(["-c", "SELECT 1", &refresh_only]).output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("confluence-sql login"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn login_needs_an_oauth_connection() {
    let out = binary().args(["login", "Url=https://acme.atlassian.net;User=a@b.c;APIToken=t"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs no login"));
}
