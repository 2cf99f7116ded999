//! `blog_posts`: blog posts of every space, from `GET /wiki/api/v2/blogposts`.

use crate::columns::{col, Column, Kind, Source};
use crate::table::{CqlField, CqlKind, CqlRoute, Endpoint, FilterRule, TableSpec};

const COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["id"], "Blog post id."),
    col("title", Kind::Text, &["title"], "Title."),
    col("status", Kind::Text, &["status"], "current, draft, trashed (lists return current unless a status is given)."),
    col("space_id", Kind::Int, &["spaceId"], "Id of the blog post's space."),
    Column {
        name: "space_key",
        kind: Kind::Text,
        source: Source::SpaceKeyOf(&["spaceId"]),
        doc: "Key of the blog post's space.",
    },
    col("author_id", Kind::Text, &["authorId"], "Account id of the author."),
    col("created_at", Kind::Time, &["createdAt"], "Creation time."),
    col("version", Kind::Int, &["version", "number"], "Current version number."),
    col("updated_at", Kind::Time, &["version", "createdAt"], "When the current version was saved."),
    col("updated_by", Kind::Text, &["version", "authorId"], "Account id of the last editor."),
    col(
        "body_storage",
        Kind::Text,
        &["body", "storage", "value"],
        "Body in storage format (XHTML), fetched only when selected.",
    ),
    col("web_path", Kind::Text, &["_links", "webui"], "Path in the web UI, relative to the site's /wiki."),
];

/// What CQL finds for `blog_posts` that the v2 list cannot filter.
static BLOG_POSTS_CQL: CqlRoute = CqlRoute {
    content_type: "blogpost",
    fields: &[
        CqlField { column: "author_id", field: "creator", kind: CqlKind::Equals },
        CqlField { column: "created_at", field: "created", kind: CqlKind::Time },
        CqlField { column: "updated_at", field: "lastmodified", kind: CqlKind::Time },
    ],
};

/// The `blog_posts` table.
pub static BLOG_POSTS: TableSpec = TableSpec {
    name: "blog_posts",
    doc: "One row per blog post.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "blogposts", max_limit: 250 },
    fixed_params: &[],
    filters: &[
        FilterRule::exact("id", "id", 250),
        FilterRule::exact("space_id", "space-id", 100).partitioned(),
        FilterRule::space_key("space_key", "space-id", 100),
        FilterRule::exact("status", "status", 4),
        FilterRule::exact("title", "title", 1).inexact(),
    ],
    variants: &[],
    on_projection: Some(("body_storage", "body-format", "storage")),
    parent: None,
    cql_route: Some(&BLOG_POSTS_CQL),
    child_search: None,
    by_parent: None,
    data_center: Some(&BLOG_POSTS_DATA_CENTER),
};

const CONTENT: [Column; 16] = super::pages::data_center_content_columns(false);
/// The Data Center columns of blog posts: the content columns that `blog_posts` has, in its order.
const DATA_CENTER_COLUMNS: [Column; 12] = [
    CONTENT[0],
    CONTENT[1],
    CONTENT[2],
    CONTENT[3],
    CONTENT[4],
    CONTENT[7],
    CONTENT[9],
    CONTENT[10],
    CONTENT[12],
    CONTENT[13],
    CONTENT[14],
    CONTENT[15],
];

/// `blog_posts` on Data Center: `GET /rest/api/content?type=blogpost`, one partition per space key.
pub static BLOG_POSTS_DATA_CENTER: TableSpec = TableSpec {
    name: "blog_posts",
    doc: "One row per blog post.",
    columns: &DATA_CENTER_COLUMNS,
    endpoint: Endpoint::V1 { path: "content", max_limit: 100 },
    fixed_params: &[("type", "blogpost"), ("expand", "space,history,version")],
    filters: &[
        FilterRule { restricts_spaces: true, ..FilterRule::exact("space_key", "spaceKey", 100).partitioned() },
        FilterRule::exact("status", "status", 1),
        FilterRule::exact("title", "title", 1).inexact(),
    ],
    variants: &[],
    on_projection: Some(("body_storage", "expand", "body.storage")),
    parent: None,
    cql_route: None,
    child_search: None,
    by_parent: None,
    data_center: None,
};
