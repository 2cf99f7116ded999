//! `blog_posts`: blog posts of every space, from `GET /wiki/api/v2/blogposts`.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{
    CqlField, CqlKind, CqlRoute, Endpoint, FilterRule, IdSorts, ProjectionParam, SortParam, Table, TableSpec,
};

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
    status: super::pages::CONTENT_STATUSES,
    id_column: "id",
    space_key_column: "space_key",
    id_param: "id",
    direct: super::pages::SEARCHED_CONTENT,
    direct_expand: super::pages::SEARCHED_EXPAND,
};

/// The `blog_posts` table.
pub static BLOG_POSTS: TableSpec = TableSpec {
    name: "blog_posts",
    doc: "One row per blog post.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "blogposts", max_limit: 250 },
    filters: &[
        FilterRule::exact("id", "id", 250),
        FilterRule::exact("space_id", "space-id", 100).partitioned(),
        FilterRule::space_key("space_key", "space-id", 100),
        FilterRule::exact("status", "status", 4).broad(),
        FilterRule::exact("title", "title", 1).inexact(),
    ],
    on_projection: Some(ProjectionParam { column: "body_storage", param: "body-format", value: "storage" }),
    cql_route: Some(&BLOG_POSTS_CQL),
    id_sorts: Some(IdSorts::V2),
    sorts: SortParam::V2_CONTENT,
    ..TableSpec::BASE
};

/// The Data Center columns of blog posts: the content columns that `blog_posts` has, picked by name.
const DATA_CENTER_COLUMNS: [Column; 12] = {
    let names = [
        "id",
        "title",
        "status",
        "space_id",
        "space_key",
        "author_id",
        "created_at",
        "version",
        "updated_at",
        "updated_by",
        "body_storage",
        "web_path",
    ];
    let content = super::pages::DATA_CENTER_CONTENT;
    let mut columns = [content[0]; 12];
    let mut i = 0;
    while i < names.len() {
        columns[i] = super::content_column(content, names[i]);
        i += 1;
    }
    columns
};

/// `blog_posts` on Data Center: `GET /rest/api/content?type=blogpost`, one partition per space key.
pub static BLOG_POSTS_DATA_CENTER: TableSpec = TableSpec {
    name: "blog_posts",
    doc: "One row per blog post.",
    columns: &DATA_CENTER_COLUMNS,
    endpoint: Endpoint::V1 { path: "content", max_limit: 100 },
    fixed_params: &[("type", "blogpost"), ("expand", "space,history,version")],
    filters: &[
        FilterRule::exact("space_key", "spaceKey", 100).partitioned().restricting_spaces(),
        FilterRule::exact("status", "status", 1),
        FilterRule::exact("title", "title", 1).inexact(),
    ],
    on_projection: Some(ProjectionParam { column: "body_storage", param: "expand", value: "body.storage" }),
    ..TableSpec::BASE
};

/// `blog_posts` on both deployments.
pub static TABLE: Table = Table { cloud: &BLOG_POSTS, data_center: Ok(&BLOG_POSTS_DATA_CENTER) };
