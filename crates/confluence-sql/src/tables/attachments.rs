//! `attachments`: files attached to pages and blog posts, from `GET /wiki/api/v2/attachments`, or per page
//! (`pages/{id}/attachments`) when the query pins `page_id`. On Data Center, a
//! CQL search for `type = attachment` (one partition per space when spaces are named).

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, FilterRule, PerParent, SortParam, SpaceScope, Table, TableSpec};

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
    filters: &[
        FilterRule::exact("status", "status", 3),
        FilterRule::exact("media_type", "mediaType", 1),
        FilterRule::exact("title", "filename", 1),
    ],
    by_parent: Some(&ATTACHMENTS_BY_PAGE),
    // The latest uploads: `ORDER BY created_at DESC LIMIT n` is one sorted request (without `Spaces`, which the
    // list cannot apply).
    sorts: &[SortParam { column: "created_at", ascending: "created-date", descending: "-created-date" }],
    // The v2 attachment list takes no space: rows are kept when their page or blog post is in Spaces.
    space_scope: SpaceScope::Container(&["page_id", "blog_post_id"]),
    ..TableSpec::BASE
};

/// `attachments` of the pages a query names: `GET /wiki/api/v2/pages/{id}/attachments`, one partition per page.
pub static ATTACHMENTS_BY_PAGE: TableSpec = TableSpec {
    endpoint: Endpoint::V2 { path: "pages/{id}/attachments", max_limit: 250 },
    per_parent: Some(PerParent { column: "page_id", child_search: None }),
    by_parent: None,
    ..ATTACHMENTS
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    col("id", Kind::Text, &["id"], ""),
    col("title", Kind::Text, &["title"], ""),
    col("status", Kind::Text, &["status"], ""),
    Column { name: "page_id", kind: Kind::Int, source: super::container_id_if("page"), doc: "" },
    Column { name: "blog_post_id", kind: Kind::Int, source: super::container_id_if("blogpost"), doc: "" },
    col("media_type", Kind::Text, &["extensions", "mediaType"], ""),
    col("file_size", Kind::Int, &["extensions", "fileSize"], ""),
    col("comment", Kind::Text, &["extensions", "comment"], ""),
    // Data Center keeps files itself: there is no media-services id.
    Column { name: "file_id", kind: Kind::Text, source: Source::Null, doc: "" },
    col("created_at", Kind::Time, &["history", "createdDate"], ""),
    col("version", Kind::Int, &["version", "number"], ""),
    col("author_id", Kind::Text, &["version", "by", "userKey"], ""),
    col("download_path", Kind::Text, &["_links", "download"], ""),
];

/// `attachments` on Data Center: `GET /rest/api/content/search?cql=type = attachment` with the container,
/// history and version expanded; spaces, pages and file names become CQL clauses.
pub static ATTACHMENTS_DATA_CENTER: TableSpec = TableSpec {
    name: "attachments",
    doc: "One row per attachment.",
    columns: DATA_CENTER_COLUMNS,
    endpoint: Endpoint::V1 { path: "content/search", max_limit: 100 },
    search_type: Some("attachment"),
    fixed_params: &[("includeArchivedSpaces", "true"), ("expand", "container,history,version")],
    filters: &[
        // The table has no space column: this rule carries the `Spaces` restriction, one partition per space.
        FilterRule::spaces_only("space", 100),
        // CQL's `container` is the page or the blog post: the engine keeps the rows of the right kind.
        FilterRule::cql("page_id", "container", 100).inexact(),
        FilterRule::cql("blog_post_id", "container", 100).inexact(),
    ],
    ..TableSpec::BASE
};

/// `attachments` on both deployments.
pub static TABLE: Table = Table { cloud: &ATTACHMENTS, data_center: Ok(&ATTACHMENTS_DATA_CENTER) };
