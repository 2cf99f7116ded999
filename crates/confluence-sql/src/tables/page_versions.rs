//! `page_versions`: every version of the pages the query names, from `GET /wiki/api/v2/pages/{id}/versions`
//! (one partition per page).

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

/// `page_versions` on both deployments.
pub static TABLE: Table =
    Table { cloud: &PAGE_VERSIONS, data_center: Err("Data Center's REST API has no list this table could read yet") };
