//! `page_versions`: every version of the pages the query names, from `GET /wiki/api/v2/pages/{id}/versions`
//! (one partition per page); on Data Center, `GET /rest/experimental/content/{id}/version`.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, PerParent, SpaceScope, Table, TableSpec};

const COLUMNS: &[Column] = &[
    Column { name: "page_id", kind: Kind::Int, source: Source::Parent, doc: "The page (required in WHERE: = or IN)." },
    col("number", Kind::Int, &["number"], "Version number (1 is the first)."),
    col("message", Kind::Text, &["message"], "Version message."),
    col("minor_edit", Kind::Bool, &["minorEdit"], "Whether it was a minor edit."),
    col("author_id", Kind::Text, &["authorId"], "Account id of who saved it."),
    col("created_at", Kind::Time, &["createdAt"], "When it was saved."),
];

/// The `page_versions` table.
pub static PAGE_VERSIONS: TableSpec = TableSpec {
    name: "page_versions",
    doc: "One row per version of a page; WHERE page_id = ... (or IN) is required.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "pages/{id}/versions", max_limit: 250 },
    per_parent: Some(PerParent { column: "page_id", child_search: None }),
    // The pages named may be anywhere: only those in Spaces are read.
    space_scope: SpaceScope::Container(&["page_id"]),
    ..TableSpec::BASE
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    Column { name: "page_id", kind: Kind::Int, source: Source::Parent, doc: "" },
    col("number", Kind::Int, &["number"], ""),
    col("message", Kind::Text, &["message"], ""),
    col("minor_edit", Kind::Bool, &["minorEdit"], ""),
    col("author_id", Kind::Text, &["by", "userKey"], ""),
    col("created_at", Kind::Time, &["when"], ""),
];

/// `page_versions` on Data Center: `GET /rest/experimental/content/{id}/version` (the only list of a page's
/// versions Data Center's REST API has; `/rest/api/content/{id}/version` only deletes), authors by user key.
pub static PAGE_VERSIONS_DATA_CENTER: TableSpec = TableSpec {
    columns: DATA_CENTER_COLUMNS,
    endpoint: Endpoint::Rest { path: "experimental/content/{id}/version", max_limit: 200 },
    fixed_params: &[("expand", "by,message")],
    ..PAGE_VERSIONS
};

/// `page_versions` on both deployments.
pub static TABLE: Table = Table { cloud: &PAGE_VERSIONS, data_center: Ok(&PAGE_VERSIONS_DATA_CENTER) };
