//! The Flight SQL server as real clients use it: `tests/python/flightsql_clients.py` runs the ADBC Flight SQL
//! driver and flightsql-dbapi (installed from PyPI by `.ci/run`) against a server in users mode and one in
//! pass-through mode, both over the simulator.

// Helpers outside #[test] functions unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use confluence_flightsql::{remote_options, Authentication, FlightSqlServer, ServerConfig, Users};
use confluence_sim::{DatasetSize, SimConfig, Simulator};
use confluence_sql::{Connection, ConnectionOptions};
use confluence_sql_tests::{python, repo_root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adbc_and_flightsql_dbapi_clients_query_through_the_server() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("the simulator starts");
    let info = sim.info();
    let local = || ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), ..ServerConfig::default() };

    // Users mode, on an OAuth connection (so that the OAuth procedures have something to do) with a token the
    // simulator issued.
    let tokens = sim.issue_oauth_tokens(connstr::DEFAULT_CLOUD_SCOPES);
    let connection_string = format!(
        "{};InitiateOAuth=OFF;OAuthAccessToken={};OAuthSettingsLocation=memory://",
        info.oauth_connection_string, tokens.access_token
    );
    let options = remote_options(ConnectionOptions::parse(&connection_string).unwrap());
    let connection = Connection::builder().options(options).open().await.unwrap();
    let mut users = Users::new();
    users.add_password("analyst", "a long passphrase").unwrap();
    let users_server =
        FlightSqlServer::start(Authentication::users(users, connection).unwrap(), local()).await.unwrap();

    let site = format!("Url={};Deployment=Cloud", info.url);
    let pass_server = FlightSqlServer::start(Authentication::pass_through(&site).unwrap(), local()).await.unwrap();

    let output = tokio::process::Command::new(python())
        .arg(repo_root().join("tests/python/flightsql_clients.py"))
        .args([&users_server.url(), "analyst", "a long passphrase", &pass_server.url(), &info.user, &info.api_token])
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && stdout.contains("ok all"), "{stdout}\n{stderr}");
}
