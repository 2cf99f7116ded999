//! The attachment procedures end to end: `DownloadAttachment` (bytes, or a local file with `LocalFiles=ReadWrite`;
//! on Cloud through the media redirect, without credentials) and `UploadAttachment` (text or a local file; a new
//! version for a name the page has), with `ReadOnly`, `Spaces` and local-file refusals, on Cloud and Data Center.

// Helpers outside #[test] functions unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use confluence_sim::{DatasetSize, SimConfig, SimHandle, Simulator};
use confluence_sql::datafusion::arrow::array::{Array, AsArray, RecordBatch};
use confluence_sql::{Connection, ErrorKind};

mod common;
use common::first_value;

async fn start(config: SimConfig) -> (SimHandle, Connection) {
    let sim = Simulator::start(config.with_size(DatasetSize::TINY)).await.expect("starts");
    let connection = Connection::open(&sim.info().connection_string).await.expect("opens");
    (sim, connection)
}

fn one_row(batches: &[RecordBatch]) -> RecordBatch {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, 1, "{batches:?}");
    batches.iter().find(|b| b.num_rows() == 1).cloned().expect("a row")
}

fn text(batch: &RecordBatch, column: &str) -> Option<String> {
    let array = batch.column_by_name(column).unwrap_or_else(|| panic!("no {column}"));
    (!array.is_null(0)).then(|| array.as_string::<i32>().value(0).to_owned())
}

fn number(batch: &RecordBatch, column: &str) -> i64 {
    batch
        .column_by_name(column)
        .expect("column")
        .as_primitive::<confluence_sql::datafusion::arrow::datatypes::Int64Type>()
        .value(0)
}

fn bytes(batch: &RecordBatch) -> Option<Vec<u8>> {
    let array = batch.column_by_name("content").expect("content");
    (!array.is_null(0)).then(|| array.as_binary::<i32>().value(0).to_vec())
}

async fn call(connection: &Connection, sql: &str) -> RecordBatch {
    one_row(&connection.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}")))
}

async fn round_trip(sim: &SimHandle, connection: &Connection) {
    // A generated attachment: its bytes as the content column.
    let id = first_value(connection, "SELECT id FROM attachments ORDER BY id LIMIT 1").await;
    let numeric: u64 = id.trim_start_matches("att").parse().unwrap();
    let expected = sim.store().attachment_bytes(&sim.store().attachment(numeric).unwrap());
    let row = call(connection, &format!("SELECT * FROM DownloadAttachment('{id}')")).await;
    assert_eq!(bytes(&row), Some(expected.clone()));
    assert_eq!(number(&row, "size"), expected.len() as i64);
    assert_eq!(text(&row, "attachment_id"), Some(id.clone()));

    // Upload text, see it listed, download it; the same name again is a new version.
    let page = first_value(connection, "SELECT id FROM pages WHERE status = 'current' ORDER BY id LIMIT 1").await;
    let row = call(
        connection,
        &format!(
            "EXEC UploadAttachment @PageId = '{page}', @FileName = 'notes.txt', @Content = 'hello', @Comment = 'first'"
        ),
    )
    .await;
    assert_eq!((number(&row, "version"), number(&row, "size")), (1, 5));
    let new_id = text(&row, "attachment_id").unwrap();
    let listed =
        first_value(connection, &format!("SELECT id FROM attachments WHERE page_id = {page} AND title = 'notes.txt'"))
            .await;
    assert_eq!(listed, new_id);
    let row = call(connection, &format!("SELECT content FROM DownloadAttachment(AttachmentId => '{new_id}')")).await;
    assert_eq!(bytes(&row), Some(b"hello".to_vec()));
    let row = call(connection, &format!("SELECT * FROM UploadAttachment('{page}', 'notes.txt', 'hello again')")).await;
    assert_eq!((text(&row, "attachment_id"), number(&row, "version")), (Some(new_id.clone()), 2));
    let row = call(connection, &format!("SELECT content FROM DownloadAttachment('{new_id}')")).await;
    assert_eq!(bytes(&row), Some(b"hello again".to_vec()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_downloads_through_the_media_redirect_and_uploads_versions() {
    let (sim, connection) = start(SimConfig::cloud()).await;
    round_trip(&sim, &connection).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_center_downloads_and_uploads() {
    let (sim, connection) = start(SimConfig::data_center()).await;
    round_trip(&sim, &connection).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_files_read_only_and_spaces_are_enforced() {
    let (sim, connection) = start(SimConfig::cloud()).await;
    let id = first_value(&connection, "SELECT id FROM attachments ORDER BY id LIMIT 1").await;
    let page = first_value(&connection, "SELECT id FROM pages WHERE status = 'current' ORDER BY id LIMIT 1").await;
    let directory = std::env::temp_dir().join(format!("confluence-sql-attachments-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let target = directory.join("out.bin");
    let source = directory.join("in.txt");
    std::fs::write(&source, "from a file").unwrap();

    // Without LocalFiles, no path is read or written.
    for sql in [
        format!("SELECT * FROM DownloadAttachment('{id}', '{}')", target.display()),
        format!("EXEC UploadAttachment @PageId = '{page}', @Path = '{}'", source.display()),
    ] {
        let error = connection.query(&sql).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotAllowed, "{sql}: {error}");
        assert!(error.to_string().contains("LocalFiles"), "{error}");
    }
    assert!(!target.exists());

    // With it: the file is written (the content column is then NULL), and a local file uploaded.
    let local = Connection::open(&format!("{};LocalFiles=ReadWrite", sim.info().connection_string)).await.unwrap();
    let row = call(&local, &format!("SELECT * FROM DownloadAttachment('{id}', '{}')", target.display())).await;
    assert_eq!(bytes(&row), None);
    assert_eq!(std::fs::metadata(&target).unwrap().len() as i64, number(&row, "size"));
    let row = call(&local, &format!("EXEC UploadAttachment @PageId = '{page}', @Path = '{}'", source.display())).await;
    assert_eq!(text(&row, "file_name").as_deref(), Some("in.txt"));
    let uploaded = text(&row, "attachment_id").unwrap();
    let row = call(&local, &format!("SELECT content FROM DownloadAttachment('{uploaded}')")).await;
    assert_eq!(bytes(&row), Some(b"from a file".to_vec()));
    std::fs::remove_dir_all(&directory).unwrap();

    // ReadOnly refuses uploads; Spaces keeps both procedures to its spaces.
    let read_only = Connection::open(&format!("{};ReadOnly=true", sim.info().connection_string)).await.unwrap();
    let error = read_only
        .query(&format!("EXEC UploadAttachment @PageId = '{page}', @FileName = 'x.txt', @Content = 'x'"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotAllowed, "{error}");
    let space = first_value(&connection, &format!("SELECT space_key FROM pages WHERE id = {page}")).await;
    let other =
        first_value(&connection, &format!("SELECT key FROM spaces WHERE key <> '{space}' ORDER BY key LIMIT 1")).await;
    let elsewhere = Connection::open(&format!("{};Spaces={other}", sim.info().connection_string)).await.unwrap();
    sim.reset_counters();
    for sql in [
        format!("EXEC UploadAttachment @PageId = '{page}', @FileName = 'x.txt', @Content = 'x'"),
        format!("SELECT * FROM DownloadAttachment('{uploaded}')"),
    ] {
        let error = elsewhere.query(&sql).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotAllowed, "{sql}: {error}");
        assert!(error.to_string().contains("outside the connection's Spaces"), "{error}");
    }
    assert!(
        sim.request_log().iter().all(|r| r.method == "GET" && !r.path.contains("/download/")),
        "{:?}",
        sim.request_log()
    );
}
