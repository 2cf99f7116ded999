//! OAuth through SQL, against the simulator: the web flow with the stored procedures in both syntaxes (table
//! function with named arguments, and `EXEC`), on Cloud (then queries through the API gateway) and on Data Center
//! (PKCE, the verifier kept in the store), a mismatched state and a wrong verifier refused, the procedure catalog,
//! and a long scan that outlives its access token.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        max_server_wait: Duration::from_secs(5),
    }
}

use atlassian_oauth::{OAuthConfig, OAuthSession, PrintUrl};
use confluence_rest::RetryPolicy;
use confluence_sim::{SimConfig, SimHandle, Simulator};
use confluence_sql::Connection;
use connstr::ConnectionOptions;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::record_batch::RecordBatch;
use futures::StreamExt;

const CALLBACK: &str = "http://127.0.0.1:45871/callback";

fn oauth_connection(sim: &SimHandle, extra: &str) -> Connection {
    let text =
        format!("{};CallbackURL={CALLBACK};OAuthSettingsLocation=memory://{extra}", sim.info().oauth_connection_string);
    let options = ConnectionOptions::parse(&text).unwrap();
    let session =
        OAuthSession::new(OAuthConfig::from_options(&options).unwrap()).unwrap().with_browser(Arc::new(PrintUrl));
    Connection::builder().options(options).oauth_session(Arc::new(session)).retry(fast()).build().unwrap()
}

fn cell(batches: &[RecordBatch], column: &str) -> Option<String> {
    let batch = batches.iter().find(|b| b.num_rows() > 0)?;
    let array = batch.column_by_name(column)?;
    if array.is_null(0) {
        return None;
    }
    Some(match array.data_type() {
        datafusion::arrow::datatypes::DataType::Int64 => array.as_primitive::<Int64Type>().value(0).to_string(),
        _ => array.as_string::<i32>().value(0).to_owned(),
    })
}

/// What a browser whose user accepts would be redirected to (the simulator auto-approves).
/// A caller-chosen state, long enough to be accepted.
const STATE: &str = "st-1-0123456789abcdef";

async fn consent(authorization_url: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = http.get(authorization_url).send().await.unwrap();
    assert_eq!(response.status(), 303, "the authorization server redirects back");
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn cloud_web_flow_with_named_arguments_then_exec_then_queries_through_the_gateway() {
    let sim = Simulator::start(SimConfig::cloud().with_auto_approve()).await.unwrap();
    let connection = oauth_connection(&sim, ";InitiateOAuth=OFF");

    let step1 = connection
        .query(&format!("SELECT * FROM GetOAuthAuthorizationURL(State => '{STATE}', CallbackURL => '{CALLBACK}')"))
        .await
        .unwrap();
    let url = cell(&step1, "URL").unwrap();
    assert!(url.contains("audience=api.atlassian.com") && url.contains("prompt=consent"), "{url}");
    assert_eq!(cell(&step1, "State").as_deref(), Some(STATE));
    assert_eq!(cell(&step1, "CodeVerifier"), None, "Cloud does not use PKCE");
    let callback = consent(&url).await;
    assert!(callback.starts_with(CALLBACK) && callback.contains(&format!("state={STATE}")), "{callback}");

    // The callback's state must be the one this authorization sent.
    let forged =
        connection.query(&format!("EXEC GetOAuthAccessToken @Verifier = '{callback}', @State = 'other'")).await;
    assert!(forged.unwrap_err().to_string().contains("state does not match"));

    let step2 = connection
        .query(&format!("EXEC GetOAuthAccessToken @Verifier = '{callback}', @State = '{STATE}'"))
        .await
        .unwrap();
    assert!(cell(&step2, "OAuthAccessToken").unwrap().starts_with("sim-at-"));
    assert!(cell(&step2, "OAuthRefreshToken").is_some());
    assert_eq!(cell(&step2, "CloudId").as_deref(), Some(sim.info().cloud_id.as_str()));
    assert!(cell(&step2, "ExpiresIn").unwrap().parse::<u64>().unwrap() > 3000);
    // The state is spent: the same callback cannot be exchanged twice.
    let again =
        connection.query(&format!("EXEC GetOAuthAccessToken @Verifier = '{callback}', @State = '{STATE}'")).await;
    assert!(again.unwrap_err().to_string().contains("not one of an authorization this driver started"));

    // The same connection now reads Confluence through the gateway.
    sim.reset_counters();
    let spaces = connection.query("SELECT count(*) AS n FROM spaces").await.unwrap();
    assert!(cell(&spaces, "n").unwrap().parse::<u64>().unwrap() > 0);
    assert!(sim.request_log().iter().all(|r| r.via_gateway), "OAuth calls go through /ex/confluence/{{cloudid}}");

    // RefreshOAuthAccessToken rotates the refresh token.
    let old = cell(&step2, "OAuthRefreshToken").unwrap();
    let refreshed = connection
        .query(&format!("SELECT * FROM RefreshOAuthAccessToken(OAuthRefreshToken => '{old}')"))
        .await
        .unwrap();
    assert_ne!(cell(&refreshed, "OAuthRefreshToken").unwrap(), old);
    assert_ne!(cell(&refreshed, "OAuthAccessToken"), cell(&step2, "OAuthAccessToken"));
}

/// A script written for CData's driver runs unchanged: its connection string properties, the three procedures with
/// CData's parameter names and positional order (`AuthMode, Verifier, Scope, CallbackUrl, State`), and its output
/// column names, unquoted in any case and quoted exactly.
#[tokio::test]
async fn a_cdata_style_script_runs_unchanged() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    sim.set_auto_approve(true);
    let connection =
        oauth_connection(&sim, ";InitiateOAuth=OFF;Scope='read:page:confluence,read:space:confluence,offline_access'");

    let step1 = connection
        .query(&format!("EXEC GetOAuthAuthorizationURL @CallbackURL = '{CALLBACK}', @State = '{STATE}'"))
        .await
        .unwrap();
    let names: Vec<String> = step1[0].schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["URL", "State", "CodeVerifier"]);
    let quoted = connection
        .query(&format!("SELECT \"URL\" FROM GetOAuthAuthorizationURL('{CALLBACK}', NULL, '{STATE}')"))
        .await
        .unwrap();
    let url = cell(&quoted, "URL").unwrap();
    assert!(url.contains("scope=read%3Apage%3Aconfluence"), "{url}");
    let callback = consent(&url).await;
    let code = url::Url::parse(&callback).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();

    // Positional, in CData's order; AuthMode defaults to WEB because a Verifier is given.
    let tokens = connection
        .query(&format!(
            "SELECT OAuthAccessToken, oauthrefreshtoken, \"ExpiresIn\", OAUTHACCESSTOKENSECRET \
             FROM GetOAuthAccessToken(NULL, '{code}', NULL, '{CALLBACK}', '{STATE}')"
        ))
        .await
        .unwrap();
    let names: Vec<String> = tokens[0].schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["OAuthAccessToken", "OAuthRefreshToken", "ExpiresIn", "OAuthAccessTokenSecret"]);
    assert!(cell(&tokens, "OAuthAccessToken").unwrap().starts_with("sim-at-"));
    assert_eq!(cell(&tokens, "OAuthAccessTokenSecret").as_deref(), Some(""));
    let refresh = cell(&tokens, "OAuthRefreshToken").unwrap();

    let refreshed =
        connection.query(&format!("EXEC RefreshOAuthAccessToken @OAuthRefreshToken = '{refresh}'")).await.unwrap();
    assert!(
        cell(&refreshed, "OAuthAccessToken").is_some() && cell(&refreshed, "OAuthRefreshToken").unwrap() != refresh
    );
    let filtered = connection
        .query("SELECT ExpiresIn FROM RefreshOAuthAccessToken() WHERE expiresin > 0 ORDER BY EXPIRESIN")
        .await
        .unwrap();
    assert!(cell(&filtered, "ExpiresIn").unwrap().parse::<u64>().unwrap() > 0);

    // Without a Verifier, AuthMode defaults to APP: the desktop flow, which InitiateOAuth=OFF does not allow.
    let error = connection.query("EXEC GetOAuthAccessToken").await.unwrap_err().to_string();
    assert!(error.contains("AuthMode APP") && error.contains("InitiateOAuth=GETANDREFRESH"), "{error}");

    // The connection reads Confluence with the tokens the script obtained.
    let spaces = connection.query("SELECT count(*) AS n FROM spaces").await.unwrap();
    assert!(cell(&spaces, "n").unwrap().parse::<u64>().unwrap() > 0);
}

#[tokio::test]
async fn data_center_web_flow_keeps_the_pkce_verifier_and_refuses_a_wrong_one() {
    let sim = Simulator::start(SimConfig::data_center().with_auto_approve()).await.unwrap();
    let connection = oauth_connection(&sim, ";InitiateOAuth=OFF");

    // A caller-chosen state must be long enough to be unguessable.
    let short = connection.query("EXEC GetOAuthAuthorizationURL @State = 'abc'").await.unwrap_err().to_string();
    assert!(short.contains("at least 16 characters"), "{short}");

    // A wrong verifier is refused.
    let step1 = connection.query("EXEC GetOAuthAuthorizationURL").await.unwrap();
    let first_state = cell(&step1, "State").unwrap();
    let url = cell(&step1, "URL").unwrap();
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let verifier = cell(&step1, "CodeVerifier").unwrap();
    assert!((43..=128).contains(&verifier.len()));
    let callback = url::Url::parse(&consent(&url).await).unwrap();
    let code = callback.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    // A code alone is not enough, nor a callback URL whose state the caller did not keep: it must be tied to
    // the authorization the caller started.
    for verifier in [code.clone(), callback.to_string()] {
        let error = connection
            .query(&format!("SELECT * FROM GetOAuthAccessToken(Verifier => '{verifier}')"))
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("needs the State"), "{error}");
    }
    let error = connection
        .query(&format!("SELECT * FROM GetOAuthAccessToken(Verifier => '{code}', State => 'somebody-elses-state')"))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("not one of an authorization this driver started"), "{error}");
    let wrong = "x".repeat(43);
    let error = connection
        .query(&format!(
            "SELECT * FROM GetOAuthAccessToken(Verifier => '{code}', State => '{first_state}', CodeVerifier => '{wrong}')"
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("invalid_grant"), "{error}");

    // With the state, the verifier is found in the store.
    let step1 = connection.query("SELECT State, URL FROM GetOAuthAuthorizationURL()").await.unwrap();
    let state = cell(&step1, "State").unwrap();
    let callback = url::Url::parse(&consent(&cell(&step1, "URL").unwrap()).await).unwrap();
    let code = callback.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let tokens = connection
        .query(&format!("SELECT * FROM GetOAuthAccessToken('WEB', '{code}', NULL, NULL, '{state}')"))
        .await
        .unwrap();
    assert!(cell(&tokens, "OAuthAccessToken").unwrap().starts_with("sim-dc-at-"));
    assert_eq!(cell(&tokens, "CloudId"), None);
    let spaces = connection.query("SELECT count(*) AS n FROM spaces").await.unwrap();
    assert!(cell(&spaces, "n").unwrap().parse::<u64>().unwrap() > 0);
}

#[tokio::test]
async fn the_procedures_are_listed_and_need_an_oauth_connection() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    let basic = Connection::open(&sim.info().connection_string).await.unwrap();
    let names = basic.query("SELECT procedure_name FROM sys_procedures ORDER BY procedure_name").await.unwrap();
    let names: Vec<String> = names
        .iter()
        .flat_map(|b| b.column(0).as_string::<i32>().iter().flatten().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert_eq!(
        names,
        [
            "DownloadAttachment",
            "GetOAuthAccessToken",
            "GetOAuthAuthorizationURL",
            "RefreshOAuthAccessToken",
            "UploadAttachment"
        ]
    );
    let inputs = basic
        .query(
            "SELECT count(*) AS n FROM sys_procedure_parameters WHERE procedure_name = 'GetOAuthAccessToken' AND \
             direction = 'IN'",
        )
        .await
        .unwrap();
    assert_eq!(cell(&inputs, "n").as_deref(), Some("6"));
    let error = basic.query("EXEC GetOAuthAuthorizationURL").await.unwrap_err().to_string();
    assert!(error.contains("need an OAuth connection"), "{error}");
}

#[tokio::test]
async fn without_tokens_and_initiate_off_a_query_says_how_to_authorize() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    let connection = oauth_connection(&sim, ";InitiateOAuth=OFF");
    let error = connection.query("SELECT * FROM spaces").await.unwrap_err().to_string();
    assert!(error.contains("GetOAuthAuthorizationURL") && error.contains("GETANDREFRESH"), "{error}");
}

/// A scan that outlives its access token: the 401 triggers one refresh, the request is retried, and every row
/// arrives exactly once.
#[tokio::test]
async fn a_long_scan_survives_token_expiry_without_losing_or_repeating_rows() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    let issued = sim.issue_oauth_tokens(&["read:page:confluence", "read:space:confluence", "offline_access"]);
    let connection = oauth_connection(
        &sim,
        &format!(
            ";InitiateOAuth=REFRESH;OAuthAccessToken={};OAuthRefreshToken={};PageSize=20",
            issued.access_token,
            issued.refresh_token.clone().unwrap()
        ),
    );
    connection.authorize().await.unwrap();
    let basic = Connection::open(&sim.info().connection_string).await.unwrap();
    let expected: usize =
        cell(&basic.query("SELECT count(*) AS n FROM pages").await.unwrap(), "n").unwrap().parse().unwrap();
    sim.reset_counters();
    let mut stream = connection.query_stream("SELECT id FROM pages").await.unwrap();
    let mut ids = Vec::new();
    let mut expired = false;
    while let Some(batch) = stream.next().await {
        let batch = batch.unwrap();
        ids.extend(batch.column(0).as_primitive::<Int64Type>().iter().flatten());
        if !expired {
            sim.expire_tokens();
            expired = true;
        }
    }
    let unique: HashSet<&i64> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no row repeated");
    assert_eq!(ids.len(), expected, "no row lost");
    assert_eq!(sim.counters().get("POST /oauth/token"), 1, "one refresh");
}

/// CData's system tables answer with CData's column names, unquoted in any case or quoted exactly.
#[tokio::test]
async fn cdata_system_tables_list_tables_columns_and_procedure_parameters() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    let basic = Connection::open(&sim.info().connection_string).await.unwrap();
    let rows = |batches: Vec<RecordBatch>| -> Vec<String> {
        let mut out = Vec::new();
        for batch in &batches {
            for row in 0..batch.num_rows() {
                let cells: Vec<String> = batch
                    .columns()
                    .iter()
                    .map(|c| datafusion::arrow::util::display::array_value_to_string(c, row).unwrap())
                    .collect();
                out.push(cells.join("|"));
            }
        }
        out
    };
    let tables = basic
        .query(
            "SELECT TableName, isupdateable FROM sys_tables WHERE TableName IN ('pages', 'spaces') ORDER BY TableName",
        )
        .await
        .unwrap();
    assert_eq!(tables[0].schema().field(0).name(), "TableName");
    assert_eq!(rows(tables), ["pages|true", "spaces|false"]);
    let keys = basic
        .query("SELECT \"ColumnName\", DataTypeName FROM sys_tablecolumns WHERE TableName = 'pages' AND IsKey")
        .await
        .unwrap();
    assert_eq!(rows(keys), ["id|BIGINT"]);
    let writable = basic
        .query("SELECT count(*) FROM sys_tablecolumns WHERE TableName = 'pages' AND NOT IsReadOnly")
        .await
        .unwrap();
    assert_eq!(
        rows(writable),
        ["8"],
        "space_id, space_key, title, status, parent_id, body_storage, owner_id, version_message"
    );
    let parameters = basic
        .query(
            "SELECT ColumnName, Direction FROM sys_procedureparameters WHERE ProcedureName = 'GetOAuthAccessToken' \
             AND Ordinal <= 2 ORDER BY Direction, Ordinal",
        )
        .await
        .unwrap();
    assert_eq!(rows(parameters), ["AuthMode|1", "Verifier|1", "OAuthAccessToken|4", "OAuthRefreshToken|4"]);
    let catalogs = basic.query("SELECT CatalogName FROM sys_catalogs").await.unwrap();
    assert_eq!(rows(catalogs), ["confluence"]);
}

/// A scoped API token works only through the API gateway: `UseGateway=true` reads the site's id from
/// `/_edge/tenant_info` once and sends every request there; on the site URL it is refused with a hint; a table
/// whose scope the token lacks gets a 403 naming the scopes.
#[tokio::test]
async fn a_scoped_api_token_goes_through_the_gateway() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    let info = sim.info();
    let scoped = format!(
        "Url={};Deployment=Cloud;User={};APIToken={};AtlassianApiUrl={}",
        info.url,
        info.user,
        sim.config().credentials.scoped_api_token,
        info.atlassian_api_url
    );
    let on_site = Connection::open(&scoped).await.unwrap();
    let error = on_site.query("SELECT count(*) AS n FROM spaces").await.unwrap_err().to_string();
    assert!(error.contains("UseGateway=true"), "{error}");

    let gateway = Connection::open(&format!("{scoped};UseGateway=true")).await.unwrap();
    sim.reset_counters();
    let spaces = gateway.query("SELECT count(*) AS n FROM spaces").await.unwrap();
    assert!(cell(&spaces, "n").unwrap().parse::<u64>().unwrap() > 0);
    // The site's id is read once (no credentials needed there), then every request goes through the gateway.
    gateway.query("SELECT count(*) AS n FROM spaces").await.unwrap();
    let log = sim.request_log();
    let (discovery, api): (Vec<_>, Vec<_>) = log.iter().partition(|r| r.endpoint == "/_edge/tenant_info");
    assert_eq!(discovery.len(), 1, "{log:?}");
    assert!(api.iter().all(|r| r.via_gateway && r.path.contains(&info.cloud_id)), "{log:?}");

    let error = gateway.query("SELECT * FROM comments LIMIT 1").await.unwrap_err().to_string();
    assert!(error.contains("read:comment:confluence"), "{error}");

    // A label's pages through the gateway with granular scopes (read:label, read:page): the site's labels, then
    // that label's lists (their {id} routes answer through the gateway); the same rows as an unscoped token's.
    let label = sim.dataset().page(1).labels.first().expect("a label").clone();
    let count = format!("SELECT count(*) AS n FROM labels WHERE name = '{label}'");
    sim.reset_counters();
    let scoped_count = cell(&gateway.query(&count).await.unwrap(), "n").unwrap();
    let log = sim.request_log();
    assert!(log.iter().any(|r| r.endpoint.ends_with("/api/v2/labels/{id}/pages") && r.via_gateway), "{log:?}");
    let unscoped = Connection::open(&info.connection_string).await.unwrap();
    assert_eq!(cell(&unscoped.query(&count).await.unwrap(), "n").unwrap(), scoped_count);
    assert_ne!(scoped_count, "0");

    // With CloudId given, no discovery request.
    let direct = Connection::open(&format!("{scoped};UseGateway=true;CloudId={}", info.cloud_id)).await.unwrap();
    sim.reset_counters();
    direct.query("SELECT count(*) AS n FROM spaces").await.unwrap();
    assert!(sim.request_log().iter().all(|r| r.via_gateway));
}
