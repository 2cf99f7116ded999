//! The embedding API end to end against the simulator, used the way a program written against the documented
//! names would: `Connection::open`, `command(..).bind(..)`, `DataReader`, `execute_scalar`, `prepare`,
//! `get_schema`, `register` in a session of one's own, cancellation, timeouts, error kinds and the blocking facade.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use confluence_sim::{DatasetSize, FaultRule, SimConfig, SimHandle, Simulator};
use confluence_sql::{register, Connection, ConnectionState, ErrorKind, SqlError};
use datafusion::arrow::array::{AsArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

async fn setup() -> (SimHandle, Connection) {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    (sim, connection)
}

fn requests(sim: &SimHandle) -> u64 {
    sim.counters().total
}

#[test]
fn the_public_types_can_be_shared_across_tasks() {
    fn shared<T: Send + Sync + Clone + 'static>() {}
    fn sendable<T: Send + 'static>() {}
    shared::<Connection>();
    shared::<confluence_sql::Command>();
    shared::<confluence_sql::PreparedCommand>();
    shared::<confluence_sql::CancelHandle>();
    sendable::<confluence_sql::DataReader>();
    sendable::<confluence_sql::BatchStream>();
    sendable::<SqlError>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_parameter_is_pushed_down_like_a_literal() {
    let (sim, connection) = setup().await;
    let literal: i64 = connection
        .command("SELECT count(*) FROM pages WHERE space_key = 'ENG'")
        .execute_scalar()
        .await
        .expect("literal");
    let after_literal = requests(&sim);
    let bound: i64 = connection
        .command("SELECT count(*) FROM pages WHERE space_key = @Space")
        .bind("space", "ENG")
        .execute_scalar()
        .await
        .expect("bound");
    let after_bound = requests(&sim);
    assert_eq!(bound, literal);
    // The space directory is cached after the first query, so the bound query makes no more requests than the
    // literal one did, and far fewer than reading every page.
    assert!(after_bound - after_literal <= after_literal, "{after_literal} then {}", after_bound - after_literal);
    let log = sim.request_log();
    let last = log.last().expect("a request");
    assert!(last.query.contains("space-id"), "the space is sent to the server: {}", last.query);
    let all: i64 = connection.command("SELECT count(*) FROM pages").execute_scalar().await.expect("all");
    assert!(all > bound, "the bound filter selected a subset ({bound} of {all})");
    let positional: i64 = connection
        .command("SELECT count(*) FROM pages WHERE space_key = ? AND status = ?")
        .bind_positional("ENG")
        .bind_positional("current")
        .execute_scalar()
        .await
        .expect("positional");
    assert!(positional <= bound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_reader_walks_the_rows_with_typed_getters() {
    let (_sim, connection) = setup().await;
    let expected = connection.query("SELECT id FROM pages WHERE space_key = 'ENG'").await.expect("rows");
    let expected: usize = expected.iter().map(RecordBatch::num_rows).sum();
    let mut reader = connection
        .command("SELECT id, title, version, created_at, parent_id FROM pages WHERE space_key = @space")
        .bind("space", "ENG")
        .execute_reader()
        .await
        .expect("reader");
    assert_eq!(reader.field_count(), 5);
    assert_eq!(reader.get_name(1).expect("name"), "title");
    assert_eq!(reader.get_field_type(2).expect("type"), &DataType::Int64);
    let description = reader.schema().field(1).metadata().get(confluence_sql::DESCRIPTION).cloned();
    assert!(description.is_some_and(|d| !d.is_empty()), "descriptions travel as field metadata");
    let mut seen = 0;
    while reader.read().await.expect("read") {
        let id: i64 = reader.get("id").expect("id");
        let title: String = reader.get(1).expect("title");
        let version: i64 = reader.get("version").expect("version");
        let created: DateTime<Utc> = reader.get("created_at").expect("created");
        let parent: Option<i64> = reader.get("parent_id").expect("parent");
        assert!(id > 0 && !title.is_empty() && version >= 1 && created.timestamp() > 0);
        assert_eq!(parent.is_none(), reader.is_null("parent_id").expect("is_null"));
        seen += 1;
    }
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scalars_nulls_and_empty_results() {
    let (_sim, connection) = setup().await;
    let none: Option<String> =
        connection.command("SELECT CAST(NULL AS VARCHAR)").execute_scalar().await.expect("NULL as Option");
    assert_eq!(none, None);
    let error = connection
        .command("SELECT id FROM pages WHERE space_key = 'NOPE'")
        .execute_scalar::<String>()
        .await
        .expect_err("no row");
    assert!(error.to_string().contains("no rows"), "{error}");
    assert_eq!(error.kind(), ErrorKind::Usage);
    let limited = connection.command("SELECT id FROM pages").max_rows(3).execute_stream().await.expect("stream");
    let batches = limited.collect().await.expect("batches");
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
    let affected = connection.command("SELECT 1").execute_non_query().await.expect("non query");
    assert_eq!(affected, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepared_command_tells_its_schemas_and_runs_with_new_values() {
    let (_sim, connection) = setup().await;
    let prepared = connection
        .command("SELECT id, title FROM pages WHERE space_key = @space AND version >= @min_version")
        .prepare()
        .await
        .expect("prepares");
    let schema = prepared.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "title"]);
    let parameters = prepared.parameter_schema();
    assert_eq!(parameters.field(0).name(), "space");
    assert_eq!(parameters.field(0).data_type(), &DataType::Utf8);
    assert_eq!(parameters.field(1).data_type(), &DataType::Int64);
    let count = |space: &'static str| {
        let prepared = prepared.clone();
        async move {
            let stream = prepared.bind("space", space).bind("min_version", 1i64).execute_stream().await?;
            Ok::<usize, SqlError>(stream.collect().await?.iter().map(RecordBatch::num_rows).sum())
        }
    };
    let (eng, docs) = (count("ENG").await.expect("ENG"), count("DOCS").await.expect("DOCS"));
    assert!(eng > 0 && docs > 0);
    let table_function = connection.command("SELECT * FROM cql(@q)").bind("q", "type = page").prepare().await;
    let error = table_function.expect_err("a table function's argument cannot stay open");
    assert!(error.to_string().contains("@q"), "{error}");
    let unbound = prepared.execute_stream().await.expect_err("unbound");
    assert!(unbound.to_string().contains(".bind(\"space\""), "{unbound}");
    assert_eq!(unbound.kind(), ErrorKind::InvalidSql);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_schema_lists_what_information_schema_lists() {
    let (_sim, connection) = setup().await;
    let columns = connection.get_schema_restricted("Columns", &[None, None, Some("pages")]).await.expect("columns");
    let from_metadata: Vec<String> = columns[0]
        .column_by_name("COLUMN_NAME")
        .expect("COLUMN_NAME")
        .as_string::<i32>()
        .iter()
        .map(|v| v.unwrap_or_default().to_owned())
        .collect();
    let batches = connection
        .query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'pages' ORDER BY ordinal_position",
        )
        .await
        .expect("information_schema");
    let from_information_schema: Vec<String> = batches
        .iter()
        .flat_map(|b| {
            b.column(0).as_string::<i32>().iter().map(|v| v.unwrap_or_default().to_owned()).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(from_metadata, from_information_schema);
    let tables = connection.get_schema("Tables").await.expect("tables");
    let schema = tables[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(&names[..4], ["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE"]);
    let error = connection.get_schema("Tabels").await.expect_err("unknown collection");
    assert!(error.to_string().contains("Tables"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluence_mounts_in_a_session_of_ones_own_and_joins_local_tables() {
    let (sim, connection) = setup().await;
    let ctx = SessionContext::new();
    let owners = Arc::new(Schema::new(vec![
        Field::new("space", DataType::Utf8, false),
        Field::new("budget", DataType::Int64, false),
    ]));
    let local = RecordBatch::try_new(
        owners.clone(),
        vec![Arc::new(StringArray::from(vec!["ENG", "DOCS"])), Arc::new(Int64Array::from(vec![10, 20]))],
    )
    .expect("batch");
    ctx.register_table("owners", Arc::new(MemTable::try_new(owners, vec![vec![local]]).expect("table")))
        .expect("registers");
    register(&ctx, "confluence", &connection).expect("mounts");
    let batches = ctx
        .sql(
            "SELECT o.space, o.budget, count(p.id) AS pages FROM owners o \
             JOIN confluence.main.pages p ON p.space_key = o.space GROUP BY o.space, o.budget ORDER BY o.space",
        )
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    let batch = &batches[0];
    assert_eq!(batch.num_rows(), 2);
    assert!(batch.column(2).as_primitive::<Int64Type>().iter().all(|n| n.unwrap_or(0) > 0));
    assert!(requests(&sim) > 0);
    let cql = ctx.sql("SELECT count(*) FROM cql('type = page')").await.expect("table function").collect().await;
    assert!(cql.is_ok(), "{cql:?}");
    // The mounted catalog is the session's own: changing its in-memory tables does not reach the connection.
    let before: i64 =
        connection.command("SELECT count(*) FROM sys_procedures").execute_scalar().await.expect("procedures");
    let deleted = ctx.sql("DELETE FROM confluence.main.sys_procedures").await;
    if let Ok(frame) = deleted {
        let _ = frame.collect().await;
    }
    let after: i64 =
        connection.command("SELECT count(*) FROM sys_procedures").execute_scalar().await.expect("procedures");
    assert_eq!(before, after);
    let again = register(&ctx, "confluence", &connection).expect_err("the name is taken");
    assert!(again.to_string().contains("already has a catalog"), "{again}");
}

/// A session of one's own built with `with_read_planning` plans reads as the driver's own: the 20 latest pages in
/// one sorted request, a join on `labels.page_id` without the blog posts' lists; the same answers without it, in
/// more requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_of_ones_own_can_plan_reads_as_the_driver_does() {
    use datafusion::execution::SessionStateBuilder;
    let (sim, connection) = setup().await;
    let planned = SessionContext::new_with_state(
        confluence_sql::with_read_planning(SessionStateBuilder::new().with_default_features()).build(),
    );
    let plain = SessionContext::new();
    for ctx in [&planned, &plain] {
        register(ctx, "confluence", &connection).expect("mounts");
    }
    let latest = "SELECT id FROM confluence.main.pages ORDER BY updated_at DESC LIMIT 20";
    let joined = "SELECT count(*) FROM confluence.main.labels l JOIN confluence.main.pages p ON p.id = l.page_id";
    let mut answers = Vec::new();
    for ctx in [&planned, &plain] {
        let mut requests_made = Vec::new();
        for sql in [latest, joined] {
            sim.reset_counters();
            let batches = ctx.sql(sql).await.expect("plans").collect().await.expect("runs");
            answers.push(pretty(&batches));
            requests_made.push((requests(&sim), sim.counters().get("GET /wiki/api/v2/labels/{id}/blogposts")));
        }
        if std::ptr::eq(ctx, &planned) {
            assert_eq!(requests_made[0].0, 1, "the latest pages: one sorted request");
            assert_eq!(requests_made[1].1, 0, "no blog post's labels for a join on page_id");
        } else {
            assert!(requests_made[0].0 > 1 && requests_made[1].1 > 0, "{requests_made:?}");
        }
    }
    assert_eq!(answers[0], answers[2], "the same latest pages");
    assert_eq!(answers[1], answers[3], "the same count");
}

fn pretty(batches: &[RecordBatch]) -> String {
    datafusion::arrow::util::pretty::pretty_format_batches(batches).map(|t| t.to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_and_timeouts_end_a_command_with_an_error() {
    let (sim, connection) = setup().await;
    sim.set_faults(vec![FaultRule { latency_ms: 2_000, ..FaultRule::default() }]);
    let command = connection.command("SELECT id FROM pages");
    let handle = command.cancel_handle();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        handle.cancel();
    });
    let started = std::time::Instant::now();
    let error = match command.execute_reader().await {
        Ok(mut reader) => reader.read().await.expect_err("cancelled while reading"),
        Err(error) => error,
    };
    canceller.await.expect("canceller");
    assert!(matches!(error, SqlError::Cancelled), "{error}");
    assert_eq!(error.kind(), ErrorKind::Cancelled);
    assert!(started.elapsed() < Duration::from_millis(1_900), "the cancel did not wait for the slow request");
    let timed_out = connection.command("SELECT id FROM pages").timeout(Duration::from_millis(200));
    let error = match timed_out.execute_stream().await {
        Ok(stream) => stream.collect().await.expect_err("times out while reading"),
        Err(error) => error,
    };
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_connection_refuses_commands_on_every_clone() {
    let (_sim, connection) = setup().await;
    let clone = connection.clone();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let connection = connection.clone();
            tokio::spawn(async move { connection.command("SELECT count(*) FROM spaces").execute_scalar::<i64>().await })
        })
        .collect();
    for task in tasks {
        assert!(task.await.expect("joins").expect("counts") > 0);
    }
    connection.close();
    assert_eq!(clone.state(), ConnectionState::Closed);
    let error = clone.command("SELECT 1").execute_scalar::<i64>().await.expect_err("closed");
    assert!(matches!(error, SqlError::Closed), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_have_kinds_a_caller_can_match() {
    let (sim, _) = setup().await;
    let wrong = sim.info().connection_string.replace("APIToken=", "APIToken=wrong-");
    let connection = Connection::open(&wrong).await.expect("opens without a request");
    let error = connection.command("SELECT id FROM spaces").execute_scalar::<String>().await.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Auth, "{error}");
    assert!(!error.to_string().contains("wrong-"), "no secret in the message: {error}");
    let (_sim, connection) = setup().await;
    let error = connection.command("SELEC 1").execute_scalar::<i64>().await.expect_err("syntax");
    assert_eq!(error.kind(), ErrorKind::InvalidSql);
    let error = connection.command("SELECT * FROM nope").execute_scalar::<i64>().await.expect_err("no table");
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    let error = connection.command("SET datafusion.sql_parser.dialect = 'mysql'").execute_non_query().await;
    assert_eq!(error.expect_err("not allowed").kind(), ErrorKind::NotAllowed);
    let invalid = Connection::open("Url=https://x.atlassian.net;Usr=me").await.expect_err("bad string");
    assert_eq!(invalid.kind(), ErrorKind::Configuration);
}

#[test]
fn the_blocking_facade_needs_no_runtime() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sim = runtime.block_on(Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL))).expect("starts");
    let connection_string = sim.info().connection_string.clone();
    let connection = std::thread::spawn(move || {
        let connection = confluence_sql::blocking::Connection::open(&connection_string).expect("opens");
        let mut reader = connection
            .command("SELECT key FROM spaces WHERE key = @key")
            .bind("key", "ENG")
            .execute_reader()
            .expect("reader");
        let mut keys = Vec::new();
        while reader.read().expect("read") {
            keys.push(reader.get::<String>(0).expect("key"));
        }
        let spaces: i64 = connection.command("SELECT count(*) FROM spaces").execute_scalar().expect("count");
        let batches: Vec<_> =
            connection.command("SELECT id FROM pages LIMIT 7").execute_stream().expect("stream").collect();
        (keys, spaces, batches.into_iter().map(|b| b.expect("batch").num_rows()).sum::<usize>())
    })
    .join()
    .expect("thread");
    assert_eq!(connection.0, ["ENG"]);
    assert!(connection.1 > 1);
    assert_eq!(connection.2, 7);
    drop(sim);
}
