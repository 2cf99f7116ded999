//! What the end-to-end tests that compare whole tables share: the queries that read every table, and rows as a
//! multiset.

#![allow(dead_code)]

use confluence_sql::Connection;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// Each row as text, sorted: the multiset of rows.
pub fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<ArrayFormatter> =
            batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("formats")).collect();
        for row in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(row).to_string()).collect::<Vec<_>>().join("|"));
        }
    }
    rows.sort();
    rows
}

pub async fn first_value(connection: &Connection, sql: &str) -> String {
    let batches = connection.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows(&batches).into_iter().next().unwrap_or_else(|| panic!("{sql}: no row"))
}

/// The queries that read every table (per-parent tables pinned to real parents), and the CQL routes.
pub async fn queries(connection: &Connection, cloud: bool) -> Vec<String> {
    let page_ids = rows(&connection.query("SELECT id FROM pages ORDER BY id LIMIT 3").await.expect("ids")).join(", ");
    let group = first_value(connection, "SELECT id FROM groups ORDER BY id LIMIT 1").await;
    let label =
        first_value(connection, &format!("SELECT name FROM labels WHERE page_id IN ({page_ids}) LIMIT 1")).await;
    let mut queries = vec![
        "SELECT * FROM spaces".to_owned(),
        "SELECT * FROM pages".to_owned(),
        "SELECT * FROM blog_posts".to_owned(),
        "SELECT * FROM comments".to_owned(),
        "SELECT * FROM attachments".to_owned(),
        format!("SELECT * FROM labels WHERE page_id IN ({page_ids})"),
        format!("SELECT * FROM labels WHERE name = '{label}'"),
        "SELECT * FROM groups".to_owned(),
        format!("SELECT * FROM group_members WHERE group_id = '{group}'"),
        "SELECT * FROM audit_log".to_owned(),
        "SELECT * FROM cql('type = page')".to_owned(),
    ];
    if cloud {
        let author = first_value(connection, "SELECT author_id FROM pages ORDER BY id LIMIT 1").await;
        queries.extend([
            format!("SELECT * FROM page_versions WHERE page_id IN ({page_ids})"),
            format!("SELECT * FROM attachments WHERE page_id IN ({page_ids})"),
            format!("SELECT * FROM pages WHERE author_id = '{author}'"),
            "SELECT * FROM tasks".to_owned(),
            "SELECT * FROM custom_content WHERE type IN ('ac:com.example.polls:poll', \
             'ac:com.example.checklists:checklist')"
                .to_owned(),
            "SELECT * FROM users".to_owned(),
            "SELECT * FROM labels".to_owned(),
        ]);
    } else {
        queries.push("SELECT * FROM license".to_owned());
    }
    queries
}
