//! `attachments`: files attached to pages and blog posts, from `GET /wiki/api/v2/attachments`.

use crate::columns::{col, Column, Kind};
use crate::table::{Endpoint, FilterRule, TableSpec};

const COLUMNS: &[Column] = &[
    col("id", Kind::Text, &["id"], "Attachment id (att<digits>)."),
    col("title", Kind::Text, &["title"], "File name."),
    col("status", Kind::Text, &["status"], "current, archived, trashed."),
    col("page_id", Kind::Int, &["pageId"], "Id of the page it is attached to."),
    col("blog_post_id", Kind::Int, &["blogPostId"], "Id of the blog post it is attached to."),
    col("media_type", Kind::Text, &["mediaType"], "MIME type."),
    col("file_size", Kind::Int, &["fileSize"], "Size in bytes."),
    col("comment", Kind::Text, &["comment"], "Upload comment."),
    col("file_id", Kind::Text, &["fileId"], "Media-services file id."),
    col("created_at", Kind::Time, &["createdAt"], "Upload time."),
    col("version", Kind::Int, &["version", "number"], "Version number."),
    col("author_id", Kind::Text, &["version", "authorId"], "Account id of the uploader of this version."),
    col("download_path", Kind::Text, &["downloadLink"], "Download path, relative to the site's /wiki."),
];

/// The `attachments` table.
pub static ATTACHMENTS: TableSpec = TableSpec {
    name: "attachments",
    doc: "One row per attachment.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "attachments", max_limit: 250 },
    fixed_params: &[],
    filters: &[
        FilterRule::exact("status", "status", 3),
        FilterRule::exact("media_type", "mediaType", 1),
        FilterRule::exact("title", "filename", 1),
    ],
    variants: &[],
    on_projection: None,
    parent: None,
    cql_route: None,
    data_center: None,
};
