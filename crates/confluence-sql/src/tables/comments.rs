//! `comments`: footer and inline comments, from `GET /wiki/api/v2/footer-comments` and `inline-comments` (two
//! partitions), with a `kind` column.

use crate::columns::{col, Column, Kind, Source};
use crate::table::{Endpoint, TableSpec};

const COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["id"], "Comment id."),
    Column { name: "kind", kind: Kind::Text, source: Source::Constant, doc: "footer or inline." },
    col("status", Kind::Text, &["status"], "current."),
    col("title", Kind::Text, &["title"], "Title (Re: <page title>)."),
    col("page_id", Kind::Int, &["pageId"], "Id of the page it is on (NULL on a blog post)."),
    col("blog_post_id", Kind::Int, &["blogPostId"], "Id of the blog post it is on (NULL on a page)."),
    col("parent_comment_id", Kind::Int, &["parentCommentId"], "Id of the comment it replies to."),
    col("author_id", Kind::Text, &["version", "authorId"], "Account id of the author."),
    col("created_at", Kind::Time, &["version", "createdAt"], "When it was written."),
    col("version", Kind::Int, &["version", "number"], "Version number."),
    col("resolution_status", Kind::Text, &["resolutionStatus"], "Inline comments: open, resolved, reopened."),
    col(
        "body_storage",
        Kind::Text,
        &["body", "storage", "value"],
        "Body in storage format, fetched only when selected.",
    ),
];

/// The `comments` table.
pub static COMMENTS: TableSpec = TableSpec {
    name: "comments",
    doc: "One row per footer or inline comment.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "footer-comments", max_limit: 250 },
    fixed_params: &[],
    filters: &[],
    variants: &[("footer-comments", "footer"), ("inline-comments", "inline")],
    on_projection: Some(("body_storage", "body-format", "storage")),
    parent: None,
    cql_route: None,
    data_center: None,
};
