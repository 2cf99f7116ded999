//! `page_children`: the child pages of the pages the query names, in the page tree's order, from
//! `GET /wiki/api/v2/pages/{id}/children` (one partition per page); on Data Center,
//! `GET /rest/api/content/{id}/child/page`. For the whole tree below a page, a recursive CTE over
//! `pages.parent_id` reads the space once instead of a request per page (see docs/tables.md).

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, PerParent, SpaceScope, Table, TableSpec};

const COLUMNS: &[Column] = &[
    Column {
        name: "page_id",
        kind: Kind::Int,
        source: Source::Parent,
        doc: "The parent page (required in WHERE: = or IN).",
    },
    col("id", Kind::Int, &["id"], "Id of the child page."),
    col("title", Kind::Text, &["title"], "Title of the child page."),
    col("status", Kind::Text, &["status"], "current or archived."),
    col("space_id", Kind::Int, &["spaceId"], "Id of its space."),
    col("position", Kind::Int, &["childPosition"], "Position among its siblings (NULL on Data Center)."),
];

/// The `page_children` table.
pub static PAGE_CHILDREN: TableSpec = TableSpec {
    name: "page_children",
    doc: "One row per child page of a page, in the page tree's order; WHERE page_id = ... (or IN) is required.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "pages/{id}/children", max_limit: 250 },
    per_parent: Some(PerParent { column: "page_id", child_search: None }),
    // The pages named may be anywhere: only those in Spaces are read.
    space_scope: SpaceScope::Container(&["page_id"]),
    ..TableSpec::BASE
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    Column { name: "page_id", kind: Kind::Int, source: Source::Parent, doc: "" },
    col("id", Kind::Int, &["id"], ""),
    col("title", Kind::Text, &["title"], ""),
    col("status", Kind::Text, &["status"], ""),
    col("space_id", Kind::Int, &["space", "id"], ""),
    // Data Center's `extensions.position` is a number or the text "none": not read.
    Column { name: "position", kind: Kind::Int, source: Source::Null, doc: "" },
];

/// `page_children` on Data Center: `GET /rest/api/content/{id}/child/page` with each child's space expanded.
pub static PAGE_CHILDREN_DATA_CENTER: TableSpec = TableSpec {
    columns: DATA_CENTER_COLUMNS,
    endpoint: Endpoint::V1 { path: "content/{id}/child/page", max_limit: 100 },
    fixed_params: &[("expand", "space")],
    ..PAGE_CHILDREN
};

/// `page_children` on both deployments.
pub static TABLE: Table = Table { cloud: &PAGE_CHILDREN, data_center: Ok(&PAGE_CHILDREN_DATA_CENTER) };
