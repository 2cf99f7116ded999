//! No secret in logs, errors, `Debug` output or `EXPLAIN`: every way of authenticating (API token, password,
//! personal access token, OAuth's desktop flow with refresh, its web-flow procedures, and Data Center's PKCE) runs
//! with every `tracing` event captured at TRACE, and everything the driver said is searched for every secret used.
//! Result rows of the token procedures are the one place tokens belong, and are not searched.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlassian_oauth::{Browser, OAuthConfig, OAuthSession};
use confluence_rest::RetryPolicy;
use confluence_sim::{DatasetSize, SimConfig, SimHandle, Simulator};
use confluence_sql::Connection;
use connstr::ConnectionOptions;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;

/// Every event the driver logs, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Follows an authorization URL as a browser whose user accepts (the simulator approves at once).
#[derive(Debug)]
struct Accepting;

impl Browser for Accepting {
    fn open(&self, url: &url::Url) -> Result<(), String> {
        let url = url.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
            let answer = http.get(url).send().await.unwrap();
            let back = answer.headers()["location"].to_str().unwrap().to_owned();
            let _ = http.get(back).send().await;
        });
        Ok(())
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
        max_server_wait: Duration::from_secs(2),
    }
}

/// What the driver said, besides its logs: errors, `Debug` of its objects, `EXPLAIN` and `EXPLAIN ANALYZE`.
#[derive(Default)]
struct Said(Vec<String>);

impl Said {
    async fn run(&mut self, connection: &Connection, sql: &str) -> Vec<RecordBatch> {
        match connection.query(sql).await {
            Ok(batches) => batches,
            Err(e) => {
                self.0.push(format!("{e} {e:?}"));
                Vec::new()
            }
        }
    }

    /// `EXPLAIN`, `EXPLAIN VERBOSE` and (for queries; it runs them) `EXPLAIN ANALYZE`.
    async fn explain(&mut self, connection: &Connection, sql: &str) {
        let analyze = !sql.contains("OAuth");
        for prefix in ["EXPLAIN", "EXPLAIN VERBOSE", "EXPLAIN ANALYZE"].into_iter().take(if analyze { 3 } else { 2 }) {
            let batches = self.run(connection, &format!("{prefix} {sql}")).await;
            self.0.push(pretty_format_batches(&batches).map(|t| t.to_string()).unwrap_or_default());
        }
    }

    fn debug(&mut self, connection: &Connection) {
        self.0.push(format!("{connection:?} {:?} {:?}", connection.options(), connection.client()));
        if let Some(session) = connection.oauth() {
            self.0.push(format!("{session:?} {:?} {:?}", session.config(), session.store()));
        }
    }
}

fn cell(batches: &[RecordBatch], column: &str) -> String {
    let batch = batches.iter().find(|b| b.num_rows() > 0).unwrap();
    // Procedure columns keep CData's case (`OAuthAccessToken`); match them as a DataReader does.
    let index = batch.schema().fields().iter().position(|f| f.name().eq_ignore_ascii_case(column)).unwrap();
    let array = batch.column(index);
    assert!(!array.is_null(0), "{column}");
    array.as_string::<i32>().value(0).to_owned()
}

async fn static_flows(said: &mut Said, secrets: &mut Vec<String>) {
    let cloud = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.unwrap();
    let dc = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.unwrap();
    let (ci, di) = (cloud.info(), dc.info());
    secrets.extend([ci.api_token.clone(), di.password.clone(), di.pat.clone()]);
    let strings = [
        format!("{};LogLevel=trace", ci.connection_string),
        format!("Url={};Deployment=DataCenter;User={};Password={};LogLevel=trace", di.url, di.user, di.password),
        format!("{};LogLevel=trace", di.connection_string),
    ];
    for text in &strings {
        let connection = Connection::open(text).await.unwrap();
        said.debug(&connection);
        said.run(&connection, "SELECT title FROM pages LIMIT 3").await;
        said.explain(&connection, "SELECT * FROM pages WHERE space_key = 'ENG' LIMIT 3").await;
        said.explain(&connection, "SELECT * FROM cql('type = page')").await;
        said.run(&connection, "SELECT * FROM no_such_table").await;
        // A wrong credential: the error says which property to check, never its value.
        let wrong = text
            .replace(&ci.api_token, "wrong-token")
            .replace(&di.password, "wrong-pass")
            .replace(&di.pat, "wrong-pat");
        let refused = Connection::open(&wrong).await.unwrap();
        said.run(&refused, "SELECT id FROM spaces").await;
        said.0.push(connstr::redact(text));
    }
}

async fn oauth_flows(said: &mut Said, secrets: &mut Vec<String>, sim: &SimHandle, store: &std::path::Path) {
    let info = sim.info();
    secrets.push(info.client_secret.clone());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let text = format!(
        "{};InitiateOAuth=GETANDREFRESH;CallbackURL=http://127.0.0.1:{port}/callback;OAuthSettingsLocation={};LogLevel=trace",
        info.oauth_connection_string,
        store.display()
    );
    let options = ConnectionOptions::parse(&text).unwrap();
    // The desktop flow (a listener on a free port), then queries.
    let mut config = OAuthConfig::from_options(&options).unwrap();
    config.flow_timeout = Duration::from_secs(20);
    let session = Arc::new(OAuthSession::new(config).unwrap().with_browser(Arc::new(Accepting)));
    let connection =
        Connection::builder().options(options.clone()).oauth_session(session.clone()).retry(fast()).build().unwrap();
    connection.authorize().await.unwrap();
    said.debug(&connection);
    said.run(&connection, "SELECT title FROM pages LIMIT 3").await;
    said.explain(&connection, "SELECT * FROM pages LIMIT 3").await;
    // Expired tokens are refreshed (a rotated refresh token), mid-session.
    sim.expire_tokens();
    said.run(&connection, "SELECT count(*) FROM spaces").await;
    // The web flow's procedures, in both syntaxes, with EXPLAIN of each.
    let step1 =
        said.run(&connection, "SELECT * FROM GetOAuthAuthorizationURL(CallbackURL => 'http://127.0.0.1:9/cb')").await;
    let (url, state) = (cell(&step1, "url"), cell(&step1, "state"));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let callback = http.get(&url).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
    let code = url::Url::parse(&callback).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    secrets.push(code.clone());
    said.explain(
        &connection,
        &format!("SELECT * FROM GetOAuthAccessToken(Verifier => '{callback}', State => '{state}')"),
    )
    .await;
    let tokens =
        said.run(&connection, &format!("EXEC GetOAuthAccessToken @Verifier = '{callback}', @State = '{state}'")).await;
    let (access, refresh) = (cell(&tokens, "oauthaccesstoken"), cell(&tokens, "oauthrefreshtoken"));
    said.explain(&connection, &format!("SELECT * FROM RefreshOAuthAccessToken('{refresh}')")).await;
    let refreshed =
        said.run(&connection, &format!("EXEC RefreshOAuthAccessToken @OAuthRefreshToken = '{refresh}'")).await;
    secrets.extend([access, refresh, cell(&refreshed, "oauthaccesstoken"), cell(&refreshed, "oauthrefreshtoken")]);
    // A refresh token that was rotated away: the error says what to do, without the token.
    said.run(&connection, &format!("SELECT * FROM RefreshOAuthAccessToken('{}')", secrets[secrets.len() - 3])).await;
    said.debug(&connection);
    // The stored tokens, read by another connection.
    let again = Connection::builder().options(options).oauth_session(session).retry(fast()).build().unwrap();
    said.run(&again, "SELECT count(*) FROM spaces").await;
    said.debug(&again);
}

async fn data_center_pkce(said: &mut Said, secrets: &mut Vec<String>) {
    let sim =
        Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY).with_auto_approve()).await.unwrap();
    let text = format!("{};OAuthSettingsLocation=memory://;LogLevel=trace", sim.info().oauth_connection_string);
    let connection = Connection::open(&text).await.unwrap();
    let step1 = said.run(&connection, "EXEC GetOAuthAuthorizationURL @CallbackURL = 'http://127.0.0.1:9/cb'").await;
    secrets.push(cell(&step1, "codeverifier"));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let callback =
        http.get(cell(&step1, "url")).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
    let state = cell(&step1, "state");
    let tokens =
        said.run(&connection, &format!("EXEC GetOAuthAccessToken @Verifier = '{callback}', @State = '{state}'")).await;
    secrets.extend([cell(&tokens, "oauthaccesstoken"), cell(&tokens, "oauthrefreshtoken")]);
    said.run(&connection, "SELECT count(*) FROM pages").await;
    said.explain(&connection, "SELECT * FROM pages LIMIT 2").await;
    said.debug(&connection);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_flow_shows_a_secret_anywhere() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let mut said = Said::default();
    let mut secrets = Vec::new();
    static_flows(&mut said, &mut secrets).await;
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY).with_auto_approve()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("confluence-sql-hygiene-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    oauth_flows(&mut said, &mut secrets, &sim, &dir.join("tokens.json")).await;
    data_center_pkce(&mut said, &mut secrets).await;

    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(logged.contains("request"), "the capture works: trace logs were written");
    assert!(logged.len() > 10_000, "a real amount of logging was searched ({} bytes)", logged.len());
    assert!(said.0.len() > 40, "many outputs were searched: {}", said.0.len());
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        assert!(!logged.contains(secret.as_str()), "a secret ({} characters) is in the logs", secret.len());
        for text in &said.0 {
            assert!(!text.contains(secret.as_str()), "a secret ({} characters) is in: {text}", secret.len());
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
