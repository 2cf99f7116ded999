//! `blog_posts`: blog posts of every space, from `GET /wiki/api/v2/blogposts`.

use crate::columns::{col, Column, Kind, Source};
use crate::table::{Endpoint, FilterRule, TableSpec};

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
};
