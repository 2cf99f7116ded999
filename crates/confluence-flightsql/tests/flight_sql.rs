//! The Flight SQL server end to end: arrow-flight's own Flight SQL client against the server, over the simulator.

// Helpers outside #[test] functions unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use arrow_flight::error::FlightError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{CommandGetDbSchemas, CommandGetPrimaryKeys, CommandGetTables, SqlInfo};
use arrow_flight::{CancelFlightInfoRequest, FlightInfo};
use confluence_flightsql::{remote_options, Authentication, FlightSqlServer, ServerConfig, TlsIdentity, Users};
use confluence_sim::{DatasetSize, FaultRule, SimConfig, SimHandle, Simulator};
use confluence_sql::datafusion::arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringArray};
use confluence_sql::datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use confluence_sql::datafusion::arrow::ipc::convert::try_schema_from_ipc_buffer;
use confluence_sql::{Connection, ConnectionOptions};
use futures::TryStreamExt;
use prost::Message;
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

const USER: &str = "ana";
const PASSWORD: &str = "correct horse battery";

fn local() -> ServerConfig {
    ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), ..ServerConfig::default() }
}

async fn simulator() -> SimHandle {
    Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.unwrap()
}

fn server_connection(sim: &SimHandle) -> Connection {
    let options = remote_options(ConnectionOptions::parse(&sim.info().connection_string).unwrap());
    Connection::builder().options(options).build().unwrap()
}

async fn users_server(sim: &SimHandle) -> FlightSqlServer {
    let mut users = Users::new();
    users.add_password(USER, PASSWORD).unwrap();
    FlightSqlServer::start(Authentication::users(users, server_connection(sim)).unwrap(), local()).await.unwrap()
}

async fn client(server: &FlightSqlServer) -> FlightSqlServiceClient<Channel> {
    let channel = Endpoint::from_shared(format!("http://{}", server.local_addr())).unwrap().connect().await.unwrap();
    FlightSqlServiceClient::new(channel)
}

async fn logged_in(server: &FlightSqlServer) -> FlightSqlServiceClient<Channel> {
    let mut client = client(server).await;
    client.handshake(USER, PASSWORD).await.unwrap();
    client
}

async fn fetch(
    client: &mut FlightSqlServiceClient<Channel>,
    info: FlightInfo,
) -> Result<Vec<RecordBatch>, FlightError> {
    let mut batches = Vec::new();
    for endpoint in info.endpoint {
        let ticket = endpoint.ticket.expect("a ticket");
        batches.extend(client.do_get(ticket).await?.try_collect::<Vec<_>>().await?);
    }
    Ok(batches)
}

async fn query(client: &mut FlightSqlServiceClient<Channel>, sql: &str) -> Result<Vec<RecordBatch>, FlightError> {
    let info = client.execute(sql.to_owned(), None).await?;
    fetch(client, info).await
}

fn code(error: FlightError) -> (Code, String) {
    match error {
        FlightError::Tonic(status) => (status.code(), status.message().to_owned()),
        // arrow-flight's client reports a refused handshake as text.
        FlightError::Arrow(arrow) if arrow.to_string().contains("Can't handshake") => {
            let text = arrow.to_string();
            assert!(text.contains("valid authentication credentials"), "{text}");
            (Code::Unauthenticated, text)
        }
        other => panic!("not a gRPC status: {other}"),
    }
}

fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            let array = b.column_by_name(column).unwrap().as_string::<i32>().clone();
            (0..array.len()).map(move |i| array.value(i).to_owned()).collect::<Vec<_>>()
        })
        .collect()
}

fn single_i64(batches: &[RecordBatch]) -> i64 {
    let batch = batches.iter().find(|b| b.num_rows() > 0).expect("a row");
    batch.column(0).as_primitive::<Int64Type>().value(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_in_client_queries_and_planning_sends_no_request() {
    let sim = simulator().await;
    let server = users_server(&sim).await;
    let mut client = client(&server).await;
    let token = client.handshake(USER, PASSWORD).await.unwrap();
    assert!(!token.is_empty(), "the token is also in the handshake payload");

    let before = sim.counters().total;
    let info = client.execute("SELECT key, name FROM spaces ORDER BY key".into(), None).await.unwrap();
    assert_eq!(sim.counters().total, before, "GetFlightInfo plans without asking Confluence");
    let schema = info.clone().try_decode_schema().unwrap();
    assert_eq!(schema.field(0).name(), "key");
    let batches = fetch(&mut client, info).await.unwrap();
    let keys = strings(&batches, "key");
    let direct = server_connection(&sim).query("SELECT key FROM spaces ORDER BY key").await.unwrap();
    assert_eq!(keys, strings(&direct, "key"));
    assert!(keys.contains(&"ENG".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_bind_parameters_that_are_still_pushed_down() {
    let sim = simulator().await;
    let server = users_server(&sim).await;
    let mut client = logged_in(&server).await;
    let expected = single_i64(&query(&mut client, "SELECT count(*) FROM pages WHERE space_key = 'ENG'").await.unwrap());
    assert!(expected > 0);

    let mut prepared =
        client.prepare("SELECT count(*) AS n FROM pages WHERE space_key = $1".into(), None).await.unwrap();
    assert_eq!(prepared.parameter_schema().unwrap().field(0).data_type(), &DataType::Utf8);
    assert_eq!(prepared.dataset_schema().unwrap().field(0).name(), "n");
    let parameters = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("1", DataType::Utf8, false)])),
        vec![Arc::new(StringArray::from(vec!["ENG"]))],
    )
    .unwrap();
    prepared.set_parameters(parameters).unwrap();
    let before =
        sim.counters().get("GET /wiki/api/v2/spaces/{id}/pages") + sim.counters().get("GET /wiki/api/v2/pages");
    let info = prepared.execute().await.unwrap();
    let batches = fetch(&mut client, info).await.unwrap();
    assert_eq!(single_i64(&batches), expected);
    let pages_requests = sim.counters().get("GET /wiki/api/v2/spaces/{id}/pages")
        + sim.counters().get("GET /wiki/api/v2/pages")
        - before;
    let all_pages = single_i64(&query(&mut client, "SELECT count(*) FROM pages").await.unwrap());
    assert!(expected < all_pages);
    // Pushed down: the ENG pages only, a few requests, not every page of the site.
    assert!(pages_requests <= 3, "{pages_requests} page-list requests for one space");
    prepared.close().await.unwrap();

    // Named parameters bind by column name.
    let mut named = client.prepare("SELECT count(*) FROM pages WHERE space_key = @space".into(), None).await.unwrap();
    named
        .set_parameters(
            RecordBatch::try_new(
                Arc::new(Schema::new(vec![Field::new("space", DataType::Utf8, false)])),
                vec![Arc::new(StringArray::from(vec!["ENG"]))],
            )
            .unwrap(),
        )
        .unwrap();
    let info = named.execute().await.unwrap();
    assert_eq!(single_i64(&fetch(&mut client, info).await.unwrap()), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handles_are_stateless_so_another_server_runs_them() {
    let sim = simulator().await;
    let (first, second) = (users_server(&sim).await, users_server(&sim).await);
    let mut on_first = logged_in(&first).await;
    let mut on_second = logged_in(&second).await;
    let mut prepared = on_first.prepare("SELECT id FROM pages WHERE id = $1".into(), None).await.unwrap();
    let id = single_i64(&query(&mut on_first, "SELECT id FROM pages ORDER BY id LIMIT 1").await.unwrap());
    prepared
        .set_parameters(
            RecordBatch::try_new(
                Arc::new(Schema::new(vec![Field::new("1", DataType::Int64, false)])),
                vec![Arc::new(Int64Array::from(vec![id]))],
            )
            .unwrap(),
        )
        .unwrap();
    let info = prepared.execute().await.unwrap();
    // The ticket from the first server, run by the second.
    let batches = fetch(&mut on_second, info).await.unwrap();
    assert_eq!(single_i64(&batches), id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credentials_wrong_ones_or_a_made_up_token_are_unauthenticated() {
    let sim = simulator().await;
    let server = users_server(&sim).await;
    let mut anonymous = client(&server).await;
    let (status, message) = code(query(&mut anonymous, "SELECT 1").await.unwrap_err());
    assert_eq!(status, Code::Unauthenticated);
    assert!(message.contains("log in"), "{message}");
    let (status, _) = code(anonymous.get_catalogs().await.unwrap_err());
    assert_eq!(status, Code::Unauthenticated, "metadata calls need a login too");

    let mut wrong = client(&server).await;
    let error = wrong.handshake(USER, "not the password").await.unwrap_err();
    let (status, message) = code(error);
    assert_eq!(status, Code::Unauthenticated);
    assert!(!message.contains("not the password"));
    let error = wrong.handshake("mallory", PASSWORD).await.unwrap_err();
    assert_eq!(code(error).0, Code::Unauthenticated);

    let mut forged = client(&server).await;
    forged.set_token("made-up-token".into());
    assert_eq!(code(query(&mut forged, "SELECT 1").await.unwrap_err()).0, Code::Unauthenticated);

    // Basic credentials on each call work without a handshake.
    let mut basic = client(&server).await;
    use base64::Engine;
    let header = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    basic.set_header("authorization", format!("Basic {header}"));
    assert_eq!(single_i64(&query(&mut basic, "SELECT CAST(42 AS BIGINT)").await.unwrap()), 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_client_cannot_reach_files_or_settings() {
    let sim = simulator().await;
    // Even a connection string that allows files locally: the server's connections never do.
    let options = ConnectionOptions::parse(&format!(
        "{};LocalFiles=ReadWrite;AllowSessionSettings=true",
        sim.info().connection_string
    ))
    .unwrap();
    let permissive = Connection::builder().options(options.clone()).build().unwrap();
    let mut users = Users::new();
    users.add_password(USER, PASSWORD).unwrap();
    let refused = Authentication::users(users.clone(), permissive).unwrap_err().to_string();
    assert!(refused.contains("local files"), "{refused}");
    let connection = Connection::builder().options(remote_options(options)).build().unwrap();
    let server = FlightSqlServer::start(Authentication::users(users, connection).unwrap(), local()).await.unwrap();
    let mut client = logged_in(&server).await;
    let target = std::env::temp_dir().join(format!("flightsql-copy-{}.csv", std::process::id()));
    for sql in [
        "CREATE EXTERNAL TABLE leak (line VARCHAR) STORED AS CSV LOCATION '/etc/hostname'".to_owned(),
        format!("COPY (SELECT 1) TO '{}' STORED AS CSV", target.display()),
        "SET datafusion.execution.batch_size = 1".to_owned(),
        "CREATE VIEW mine AS SELECT 1".to_owned(),
        // Shared session state, and rows made from nothing (CPU and memory, no Confluence).
        "PREPARE kept AS SELECT 1".to_owned(),
        "SELECT count(*) FROM generate_series(1, 9223372036854775807)".to_owned(),
        "SELECT count(*) FROM range(9223372036854775807)".to_owned(),
    ] {
        let (status, message) = code(query(&mut client, &sql).await.unwrap_err());
        assert!(matches!(status, Code::PermissionDenied | Code::InvalidArgument), "{sql}: {status:?} {message}");
    }
    assert!(!target.exists(), "COPY wrote a file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_arrive_as_grpc_codes_with_readable_messages() {
    let sim = simulator().await;
    let server = users_server(&sim).await;
    let mut client = logged_in(&server).await;
    let (status, message) = code(query(&mut client, "SELECT * FROM no_such_table").await.unwrap_err());
    assert_eq!(status, Code::NotFound, "{message}");
    assert!(message.contains("no_such_table"), "{message}");
    let (status, message) = code(query(&mut client, "SELEC 1").await.unwrap_err());
    assert_eq!(status, Code::InvalidArgument, "{message}");
    let (status, message) = code(query(&mut client, "SELECT * FROM page_versions").await.unwrap_err());
    assert_eq!(status, Code::InvalidArgument, "{message}");
    assert!(message.contains("page_id"), "the message says which filter is needed: {message}");

    sim.set_faults(vec![FaultRule { rate_5xx: 1.0, ..FaultRule::default() }]);
    let (status, message) = code(query(&mut client, "SELECT key FROM spaces").await.unwrap_err());
    assert_eq!(status, Code::Unavailable, "{message}");
    sim.set_faults(Vec::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_calls_list_what_the_driver_has() {
    let sim = simulator().await;
    let server = users_server(&sim).await;
    let mut client = logged_in(&server).await;
    let info = client.get_catalogs().await.unwrap();
    assert_eq!(strings(&fetch(&mut client, info).await.unwrap(), "catalog_name"), vec!["confluence"]);
    let info =
        client.get_db_schemas(CommandGetDbSchemas { catalog: None, db_schema_filter_pattern: None }).await.unwrap();
    assert_eq!(strings(&fetch(&mut client, info).await.unwrap(), "db_schema_name"), vec!["main"]);

    let request = CommandGetTables {
        catalog: Some("confluence".into()),
        db_schema_filter_pattern: Some("main".into()),
        table_name_filter_pattern: Some("page%".into()),
        table_types: vec!["TABLE".into()],
        include_schema: true,
    };
    let info = client.get_tables(request).await.unwrap();
    let batches = fetch(&mut client, info).await.unwrap();
    let names = strings(&batches, "table_name");
    assert!(names.contains(&"pages".to_owned()) && names.iter().all(|n| n.starts_with("page")), "{names:?}");
    let schemas = batches[0].column_by_name("table_schema").unwrap().as_binary::<i32>().clone();
    let pages = names.iter().position(|n| n == "pages").unwrap();
    let schema = try_schema_from_ipc_buffer(schemas.value(pages)).unwrap();
    assert!(schema.field_with_name("title").is_ok(), "{schema:?}");

    let info = client.get_table_types().await.unwrap();
    assert_eq!(strings(&fetch(&mut client, info).await.unwrap(), "table_type"), vec!["SYSTEM TABLE", "TABLE"]);
    let info = client
        .get_primary_keys(CommandGetPrimaryKeys { catalog: None, db_schema: None, table: "pages".into() })
        .await
        .unwrap();
    assert_eq!(strings(&fetch(&mut client, info).await.unwrap(), "column_name"), vec!["id"]);
    let info = client
        .get_exported_keys(arrow_flight::sql::CommandGetExportedKeys {
            catalog: None,
            db_schema: None,
            table: "pages".into(),
        })
        .await
        .unwrap();
    assert_eq!(fetch(&mut client, info).await.unwrap().iter().map(RecordBatch::num_rows).sum::<usize>(), 0);
    let info = client.get_sql_info(vec![SqlInfo::FlightSqlServerName, SqlInfo::SqlIdentifierQuoteChar]).await.unwrap();
    let batches = fetch(&mut client, info).await.unwrap();
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 2);
    let info = client.get_xdbc_type_info(arrow_flight::sql::CommandGetXdbcTypeInfo { data_type: None }).await.unwrap();
    let types = strings(&fetch(&mut client, info).await.unwrap(), "type_name");
    assert!(types.contains(&"VARCHAR".to_owned()) && types.contains(&"TIMESTAMP".to_owned()), "{types:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn procedures_run_through_exec_and_as_table_functions() {
    let sim = simulator().await;
    let server = users_server(&sim).await;
    let mut client = logged_in(&server).await;
    let listed =
        strings(&query(&mut client, "SELECT procedure_name FROM sys_procedures").await.unwrap(), "procedure_name");
    assert!(listed.contains(&"GetOAuthAuthorizationURL".to_owned()), "{listed:?}");
    // The server's connection is not OAuth: the procedure says so, as a readable error, through both doors.
    for sql in ["EXEC GetOAuthAuthorizationURL", "SELECT * FROM GetOAuthAuthorizationURL()"] {
        let (status, message) = code(query(&mut client, sql).await.unwrap_err());
        assert!(matches!(status, Code::FailedPrecondition | Code::InvalidArgument), "{sql}: {status:?} {message}");
        assert!(message.to_lowercase().contains("oauth"), "{message}");
    }
    // A server user cannot replace the tokens every client queries with.
    for sql in ["EXEC GetOAuthAccessToken @Verifier = 'code'", "SELECT * FROM RefreshOAuthAccessToken()"] {
        let (status, message) = code(query(&mut client, sql).await.unwrap_err());
        assert_ne!(status, Code::Unauthenticated, "{message}");
        assert!(message.to_lowercase().contains("oauthaccesstoken"), "{sql}: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_flight_info_stops_a_running_query() {
    let sim = simulator().await;
    let server = users_server(&sim).await;
    let mut client = logged_in(&server).await;
    let info = client.execute("SELECT id, title FROM pages".into(), None).await.unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    // Slow pages: the scan is still running when the cancel arrives.
    sim.set_faults(vec![FaultRule { latency_ms: 300, ..FaultRule::default() }]);
    let mut stream = client.do_get(ticket).await.unwrap();
    let body = CancelFlightInfoRequest { info: Some(info) }.encode_to_vec();
    let action = arrow_flight::Action { r#type: "CancelFlightInfo".into(), body: body.into() };
    let reply = client.do_action(action).await.unwrap().message().await.unwrap().unwrap();
    let result = arrow_flight::CancelFlightInfoResult::decode(reply.body.as_ref()).unwrap();
    assert_eq!(result.status, arrow_flight::CancelStatus::Cancelled as i32);
    let mut outcome = Ok(());
    while let Some(item) = stream.try_next().await.transpose() {
        if let Err(error) = item {
            outcome = Err(error);
            break;
        }
    }
    let (status, message) = code(outcome.expect_err("the stream ends with an error, not a short answer"));
    assert_eq!(status, Code::Cancelled, "{message}");
    sim.set_faults(Vec::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_through_clients_use_their_own_confluence_credentials() {
    // Cloud: email and API token.
    let sim = simulator().await;
    let info = sim.info();
    let site = format!("Url={};Deployment=Cloud", info.url);
    let server = FlightSqlServer::start(Authentication::pass_through(&site).unwrap(), local()).await.unwrap();
    let mut client = client(&server).await;
    client.handshake(&info.user, &info.api_token).await.unwrap();
    assert!(!strings(&query(&mut client, "SELECT key FROM spaces").await.unwrap(), "key").is_empty());
    let mut wrong = self::client(&server).await;
    let (status, message) = code(wrong.handshake(&info.user, "not-the-token").await.unwrap_err());
    assert_eq!(status, Code::Unauthenticated);
    assert!(message.contains("Confluence refused"), "{message}");
    let mut no_user = self::client(&server).await;
    assert_eq!(code(no_user.handshake("", &info.api_token).await.unwrap_err()).0, Code::Unauthenticated);

    // Cloud: a bearer Atlassian OAuth access token (the site's id is discovered through the gateway).
    let site = format!("Url={};Deployment=Cloud;AtlassianApiUrl={}", info.url, info.atlassian_api_url);
    let oauth_server = FlightSqlServer::start(Authentication::pass_through(&site).unwrap(), local()).await.unwrap();
    let tokens = sim.issue_oauth_tokens(&["read:space:confluence", "read:confluence-user"]);
    let mut oauth = self::client(&oauth_server).await;
    oauth.set_token(tokens.access_token.clone());
    assert!(!strings(&query(&mut oauth, "SELECT key FROM spaces").await.unwrap(), "key").is_empty());
    let mut made_up = self::client(&oauth_server).await;
    made_up.set_token("not-an-access-token".into());
    assert_eq!(code(query(&mut made_up, "SELECT key FROM spaces").await.unwrap_err()).0, Code::Unauthenticated);

    // Data Center: a personal access token as the password of an empty user, or as a bearer token.
    let dc = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.unwrap();
    let dc_info = dc.info();
    let site = format!("Url={};Deployment=DataCenter", dc_info.url);
    let server = FlightSqlServer::start(Authentication::pass_through(&site).unwrap(), local()).await.unwrap();
    let mut pat = self::client(&server).await;
    pat.handshake("", &dc_info.pat).await.unwrap();
    assert!(!strings(&query(&mut pat, "SELECT key FROM spaces").await.unwrap(), "key").is_empty());
    let mut bearer = self::client(&server).await;
    bearer.set_token(dc_info.pat.clone());
    assert!(!strings(&query(&mut bearer, "SELECT key FROM spaces").await.unwrap(), "key").is_empty());
    let mut user_password = self::client(&server).await;
    user_password.handshake(&dc_info.user, &dc_info.password).await.unwrap();
    assert!(!strings(&query(&mut user_password, "SELECT key FROM spaces").await.unwrap(), "key").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_grpc_over_tls() {
    let sim = simulator().await;
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let identity = TlsIdentity {
        certificate_pem: certified.cert.pem().into_bytes(),
        key_pem: certified.key_pair.serialize_pem().into_bytes(),
    };
    let mut users = Users::new();
    users.add_password(USER, PASSWORD).unwrap();
    let config = ServerConfig { tls: Some(identity), ..local() };
    let server =
        FlightSqlServer::start(Authentication::users(users, server_connection(&sim)).unwrap(), config).await.unwrap();
    assert!(server.url().starts_with("grpc+tls://"));
    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(certified.cert.pem()))
        .domain_name("localhost");
    let channel = Endpoint::from_shared(format!("https://localhost:{}", server.local_addr().port()))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = FlightSqlServiceClient::new(channel);
    client.handshake(USER, PASSWORD).await.unwrap();
    assert_eq!(single_i64(&query(&mut client, "SELECT CAST(7 AS BIGINT)").await.unwrap()), 7);
    // Plain text to a TLS port does not get through.
    let plain = Endpoint::from_shared(format!("http://{}", server.local_addr()))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await;
    if let Ok(channel) = plain {
        let mut client = FlightSqlServiceClient::new(channel);
        assert!(client.handshake(USER, PASSWORD).await.is_err());
    }
    server.shutdown().await.unwrap();
}

/// The value of one `GetSqlInfo` item that is a boolean.
async fn sql_info_flag(client: &mut FlightSqlServiceClient<Channel>, item: SqlInfo) -> bool {
    let info = client.get_sql_info(vec![item]).await.unwrap();
    let batches = fetch(client, info).await.unwrap();
    let union = batches[0].column(1).as_any().downcast_ref::<confluence_sql::datafusion::arrow::array::UnionArray>();
    let value = union.expect("a union of values").value(0);
    value.as_boolean().value(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_clients_write_by_the_same_rules_and_a_read_only_server_says_so() {
    let sim = simulator().await;
    let server = users_server(&sim).await;
    let mut client = logged_in(&server).await;
    assert!(!sql_info_flag(&mut client, SqlInfo::FlightSqlServerReadOnly).await);
    let id = single_i64(&query(&mut client, "SELECT min(id) FROM pages WHERE status = 'current'").await.unwrap());
    let updated = client
        .execute_update(format!("UPDATE pages SET version_message = 'via flight' WHERE id = {id}"), None)
        .await
        .unwrap();
    assert_eq!(updated, 1);
    assert_eq!(sim.store().content(id as u64).unwrap().version.message, "via flight");
    // A write sent as a query runs once, when its ticket is made: fetching the ticket twice writes nothing more.
    let before = sim.store().content(id as u64).unwrap().version.number;
    let info = client.execute(format!("UPDATE pages SET title = title || '!' WHERE id = {id}"), None).await.unwrap();
    for _ in 0..2 {
        let batches = fetch(&mut client, info.clone()).await.unwrap();
        let count = batches[0].column(0).as_primitive::<confluence_sql::datafusion::arrow::datatypes::UInt64Type>();
        assert_eq!(count.value(0), 1);
    }
    let after = sim.store().content(id as u64).unwrap();
    assert_eq!((after.version.number, after.title.matches('!').count()), (before + 1, 1));
    // The rules hold for remote clients: an unpinned UPDATE is refused.
    let (status, message) =
        code(client.execute_update("UPDATE pages SET title = 'x'".to_owned(), None).await.unwrap_err());
    assert_eq!(status, Code::PermissionDenied, "{message}");
    assert!(message.contains("AllowUnboundedWrites"), "{message}");

    let options =
        remote_options(ConnectionOptions::parse(&format!("{};ReadOnly=true", sim.info().connection_string)).unwrap());
    let mut users = Users::new();
    users.add_password(USER, PASSWORD).unwrap();
    let connection = Connection::builder().options(options).build().unwrap();
    let read_only = FlightSqlServer::start(Authentication::users(users, connection).unwrap(), local()).await.unwrap();
    let mut client = logged_in(&read_only).await;
    assert!(sql_info_flag(&mut client, SqlInfo::FlightSqlServerReadOnly).await);
    let (status, message) = code(
        client
            .execute_update(format!("INSERT INTO labels (page_id, name) VALUES ({id}, 'x')"), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, Code::PermissionDenied, "{message}");
    assert!(message.contains("ReadOnly=true"), "{message}");
}
