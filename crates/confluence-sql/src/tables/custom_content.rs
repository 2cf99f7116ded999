//! `custom_content`: what Connect and Forge apps store in Confluence (polls, checklists, diagrams, ...), from
//! `GET /wiki/api/v2/custom-content?type=...`. Cloud lists custom content one app content type at a time (`type`
//! is a required parameter), so the query names the types: one request chain per type.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, FilterRule, ProjectionParam, RequiredFilter, Table, TableSpec};

const COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["id"], "Custom content id."),
    col(
        "type",
        Kind::Text,
        &["type"],
        "The app's content type, required in WHERE (= or IN): `ac:<app key>:<module key>` for a Connect app, \
         `forge:<app id>:<environment id>:<module key>` for a Forge app.",
    ),
    col("status", Kind::Text, &["status"], "current, archived, draft, trashed."),
    col("title", Kind::Text, &["title"], "Title."),
    col("space_id", Kind::Int, &["spaceId"], "Id of its space (always given, whatever its container)."),
    Column { name: "space_key", kind: Kind::Text, source: Source::SpaceKeyOf(&["spaceId"]), doc: "Key of its space." },
    col("page_id", Kind::Int, &["pageId"], "Id of the page it is in (NULL when its container is not a page)."),
    col("blog_post_id", Kind::Int, &["blogPostId"], "Id of the blog post it is in (NULL otherwise)."),
    col(
        "parent_custom_content_id",
        Kind::Int,
        &["customContentId"],
        "Id of the custom content it is in (NULL otherwise).",
    ),
    col("author_id", Kind::Text, &["authorId"], "Account id of the creator."),
    col("created_at", Kind::Time, &["createdAt"], "Creation time."),
    col("version", Kind::Int, &["version", "number"], "Current version number."),
    col("version_message", Kind::Text, &["version", "message"], "Message of the current version."),
    col("updated_at", Kind::Time, &["version", "createdAt"], "When the current version was saved."),
    col("updated_by", Kind::Text, &["version", "authorId"], "Account id of the last editor."),
    col(
        "body_storage",
        Kind::Text,
        &["body", "storage", "value"],
        "Body in storage format, fetched only when selected (NULL for a type whose bodies are raw, which Cloud \
         sends only as raw).",
    ),
    col("web_path", Kind::Text, &["_links", "webui"], "Path in the web UI, relative to the site's /wiki."),
];

/// The `custom_content` table.
pub static CUSTOM_CONTENT: TableSpec = TableSpec {
    name: "custom_content",
    doc: "One row per custom content item of the app content types the query names (WHERE type = ... or IN).",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "custom-content", max_limit: 250 },
    filters: &[
        // One type per request: several types, one request chain each.
        FilterRule::exact("type", "type", 50).partitioned(),
        FilterRule::exact("id", "id", 250),
        FilterRule::exact("space_id", "space-id", 100),
        FilterRule::space_key("space_key", "space-id", 100),
    ],
    on_projection: Some(ProjectionParam { column: "body_storage", param: "body-format", value: "storage" }),
    requires: Some(
        "each type named must be one an installed app declares (check its key: ac:<app key>:<module key> for a \
         Connect app); a type Confluence knows but without items reads as no rows",
    ),
    required_filter: Some(RequiredFilter {
        column: "type",
        hint: "the types are those the installed apps declare (a Connect app's descriptor names them \
               ac:<app key>:<module key>; Forge's are forge:<app id>:<environment id>:<module key>), up to 50 in \
               one query",
    }),
    ..TableSpec::BASE
};

/// `custom_content` on both deployments.
pub static TABLE: Table = Table {
    cloud: &CUSTOM_CONTENT,
    data_center: Err("Data Center's REST API lists pages and blog posts only; an app's own content is read \
                      through that app's REST API"),
};
