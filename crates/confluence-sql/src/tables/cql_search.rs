//! The rows of the `cql('<query>')` table function: CQL search results (`GET /wiki/rest/api/search`), content of
//! every type with its space and an excerpt.

use crate::columns::{col, Column, Kind};
use crate::spec::{Endpoint, SpaceScope, Table, TableSpec};

const COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["content", "id"], "Content id (attachments: the number after att)."),
    col("type", Kind::Text, &["content", "type"], "page, blogpost, comment or attachment."),
    col("status", Kind::Text, &["content", "status"], "Status (search returns current content)."),
    col("title", Kind::Text, &["title"], "Title."),
    col("space_key", Kind::Text, &["content", "space", "key"], "Key of the content's space."),
    col("space_name", Kind::Text, &["resultGlobalContainer", "title"], "Name of the content's space."),
    col("excerpt", Kind::Text, &["excerpt"], "Excerpt of the body."),
    col("url", Kind::Text, &["url"], "Path in the web UI, relative to the site's /wiki."),
    col("last_modified", Kind::Time, &["lastModified"], "Last modification time."),
];

/// The `cql(...)` rows.
pub static CQL_SEARCH: TableSpec = TableSpec {
    name: "cql",
    doc: "One row per CQL search result: cql('<query>').",
    columns: COLUMNS,
    endpoint: Endpoint::V1 { path: "search", max_limit: 100 },
    fixed_params: &[("expand", "content.space")],
    // The query carries `space IN (...)`; each row's space is checked too, whatever the query does.
    space_scope: SpaceScope::SpaceKeyColumn("space_key"),
    ..TableSpec::BASE
};

/// The `cql()` rows on both deployments (the site search answers the same on both).
pub static CQL_TABLE: Table = Table { cloud: &CQL_SEARCH, data_center: Ok(&CQL_SEARCH) };
