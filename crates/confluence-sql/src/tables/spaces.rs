//! `spaces`: every space (global and personal, current and archived), from `GET /wiki/api/v2/spaces`.

use crate::columns::{col, Column, Kind};
use crate::spec::{Endpoint, FilterRule, ProjectionParam, Table, TableSpec};

const COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["id"], "Space id."),
    col("key", Kind::Text, &["key"], "Space key, e.g. ENG; personal spaces start with ~."),
    col("name", Kind::Text, &["name"], "Space name."),
    col("type", Kind::Text, &["type"], "global or personal (also collaboration, knowledge_base)."),
    col("status", Kind::Text, &["status"], "current or archived."),
    col("author_id", Kind::Text, &["authorId"], "Account id of the creator."),
    col("created_at", Kind::Time, &["createdAt"], "Creation time."),
    col("homepage_id", Kind::Int, &["homepageId"], "Id of the home page (NULL for a space without pages)."),
    col(
        "description",
        Kind::Text,
        &["description", "plain", "value"],
        "Plain-text description (fetched only when selected).",
    ),
    col("web_path", Kind::Text, &["_links", "webui"], "Path of the space in the web UI, relative to the site's /wiki."),
];

/// The `spaces` table.
pub static SPACES: TableSpec = TableSpec {
    name: "spaces",
    doc: "One row per space.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "spaces", max_limit: 250 },
    filters: &[
        FilterRule::exact("id", "ids", 250),
        FilterRule::exact("key", "keys", 250).restricting_spaces(),
        FilterRule::exact("type", "type", 1),
        FilterRule::exact("status", "status", 1),
    ],
    on_projection: Some(ProjectionParam { column: "description", param: "description-format", value: "plain" }),
    ..TableSpec::BASE
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["id"], ""),
    col("key", Kind::Text, &["key"], ""),
    col("name", Kind::Text, &["name"], ""),
    col("type", Kind::Text, &["type"], ""),
    col("status", Kind::Text, &["status"], ""),
    col("author_id", Kind::Text, &["history", "createdBy", "userKey"], ""),
    col("created_at", Kind::Time, &["history", "createdDate"], ""),
    col("homepage_id", Kind::Int, &["homepage", "id"], ""),
    col("description", Kind::Text, &["description", "plain", "value"], ""),
    col("web_path", Kind::Text, &["_links", "webui"], ""),
];

/// `spaces` on Data Center: `GET /rest/api/space`.
pub static SPACES_DATA_CENTER: TableSpec = TableSpec {
    name: "spaces",
    doc: "One row per space.",
    columns: DATA_CENTER_COLUMNS,
    endpoint: Endpoint::V1 { path: "space", max_limit: 250 },
    fixed_params: &[("expand", "homepage")],
    filters: &[
        FilterRule::exact("key", "spaceKey", 250).partitioned().restricting_spaces(),
        FilterRule::exact("type", "type", 1),
        FilterRule::exact("status", "status", 1),
    ],
    on_projection: Some(ProjectionParam { column: "description", param: "expand", value: "description.plain" }),
    ..TableSpec::BASE
};

/// `spaces` on both deployments.
pub static TABLE: Table = Table { cloud: &SPACES, data_center: Ok(&SPACES_DATA_CENTER) };
