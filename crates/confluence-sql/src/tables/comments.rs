//! `comments`: footer and inline comments, from `GET /wiki/api/v2/footer-comments` and `inline-comments` (two
//! partitions), with a `kind` column; the comments of the pages or blog posts a query names, from one CQL search for
//! `type = comment AND container IN (...)` (v2 lists a page's top-level comments only, each reply thread apart).
//! On Data Center, that CQL search always (one partition per space when spaces are named), since its `content`
//! list does not list comments.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{BySearch, Endpoint, FilterRule, ProjectionParam, SpaceScope, Table, TableSpec};

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
    variants: &[("footer-comments", "footer"), ("inline-comments", "inline")],
    on_projection: Some(ProjectionParam { column: "body_storage", param: "body-format", value: "storage" }),
    by_search: Some(BySearch { columns: &["page_id", "blog_post_id"], spec: &COMMENTS_BY_SEARCH }),
    // The v2 comment lists take no space: rows are kept when their page or blog post is in Spaces.
    space_scope: SpaceScope::Container(&["page_id", "blog_post_id"]),
    ..TableSpec::BASE
};

/// The columns of a v1 comment on Cloud: the current version's author and time, as v2's `version` gives them.
const SEARCH_COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["id"], ""),
    col("kind", Kind::Text, &["extensions", "location"], ""),
    col("status", Kind::Text, &["status"], ""),
    col("title", Kind::Text, &["title"], ""),
    Column { name: "page_id", kind: Kind::Int, source: super::container_id_if("page"), doc: "" },
    Column { name: "blog_post_id", kind: Kind::Int, source: super::container_id_if("blogpost"), doc: "" },
    Column { name: "parent_comment_id", kind: Kind::Int, source: Source::LastOf(&["ancestors"], "id"), doc: "" },
    col("author_id", Kind::Text, &["version", "by", "accountId"], ""),
    col("created_at", Kind::Time, &["version", "when"], ""),
    col("version", Kind::Int, &["version", "number"], ""),
    col("resolution_status", Kind::Text, &["extensions", "resolution", "status"], ""),
    col("body_storage", Kind::Text, &["body", "storage", "value"], ""),
];

/// The comments of the pages or blog posts a query names, on Cloud: Data Center's reading (`GET
/// /wiki/rest/api/content/search?cql=type = comment AND container IN (...)`), with the version's author by account id.
pub static COMMENTS_BY_SEARCH: TableSpec = TableSpec {
    columns: SEARCH_COLUMNS,
    fixed_params: &[("includeArchivedSpaces", "true"), ("expand", "container,version,ancestors,extensions.resolution")],
    ..COMMENTS_DATA_CENTER
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["id"], ""),
    col("kind", Kind::Text, &["extensions", "location"], ""),
    col("status", Kind::Text, &["status"], ""),
    col("title", Kind::Text, &["title"], ""),
    Column { name: "page_id", kind: Kind::Int, source: super::container_id_if("page"), doc: "" },
    Column { name: "blog_post_id", kind: Kind::Int, source: super::container_id_if("blogpost"), doc: "" },
    Column { name: "parent_comment_id", kind: Kind::Int, source: Source::LastOf(&["ancestors"], "id"), doc: "" },
    col("author_id", Kind::Text, &["history", "createdBy", "userKey"], ""),
    col("created_at", Kind::Time, &["history", "createdDate"], ""),
    col("version", Kind::Int, &["version", "number"], ""),
    col("resolution_status", Kind::Text, &["extensions", "resolution", "status"], ""),
    col("body_storage", Kind::Text, &["body", "storage", "value"], ""),
];

/// `comments` on Data Center: `GET /rest/api/content/search?cql=type = comment` with the container, history,
/// version, reply chain and inline resolution expanded; spaces and pages become CQL clauses.
pub static COMMENTS_DATA_CENTER: TableSpec = TableSpec {
    name: "comments",
    doc: "One row per footer or inline comment.",
    columns: DATA_CENTER_COLUMNS,
    endpoint: Endpoint::V1 { path: "content/search", max_limit: 100 },
    search_type: Some("comment"),
    fixed_params: &[
        ("includeArchivedSpaces", "true"),
        ("expand", "container,history,version,ancestors,extensions.resolution"),
    ],
    filters: &[
        // The table has no space column: this rule carries the `Spaces` restriction, one partition per space.
        FilterRule::spaces_only("space", 100),
        // CQL's `container` is the page or the blog post: the engine keeps the rows of the right kind.
        FilterRule::cql("page_id", "container", 100).inexact(),
        FilterRule::cql("blog_post_id", "container", 100).inexact(),
    ],
    on_projection: Some(ProjectionParam { column: "body_storage", param: "expand", value: "body.storage" }),
    ..TableSpec::BASE
};

/// `comments` on both deployments.
pub static TABLE: Table = Table { cloud: &COMMENTS, data_center: Ok(&COMMENTS_DATA_CENTER) };
