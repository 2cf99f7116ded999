//! `page_ancestors`: the pages above the pages the query names, the highest first, from
//! `GET /wiki/api/v2/pages/{id}/ancestors` (one partition per page). Data Center has no ancestor list: one CQL
//! search for the pages named (`id IN (...)`) with their ancestors expanded, a request per 100 pages.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{ChildSearch, Endpoint, PerParent, SpaceScope, Table, TableSpec};

const COLUMNS: &[Column] = &[
    Column { name: "page_id", kind: Kind::Int, source: Source::Parent, doc: "The page (required in WHERE: = or IN)." },
    col("ancestor_id", Kind::Int, &["id"], "Id of a page above it (the space's root page first)."),
    col("ancestor_type", Kind::Text, &["type"], "page (Cloud: also folder, whiteboard, database or embed)."),
];

/// The `page_ancestors` table.
pub static PAGE_ANCESTORS: TableSpec = TableSpec {
    name: "page_ancestors",
    doc: "One row per ancestor of a page, the highest first; WHERE page_id = ... (or IN) is required.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "pages/{id}/ancestors", max_limit: 250 },
    per_parent: Some(PerParent { column: "page_id", child_search: None }),
    // The pages named may be anywhere: only those in Spaces are read.
    space_scope: SpaceScope::Container(&["page_id"]),
    // 250 ancestors come with no cursor: a page that deep may have more, which this request cannot read.
    depth_cap: Some(confluence_rest::DepthCap {
        max: 249,
        reason:
            "Confluence Cloud returns a page's nearest 250 ancestors and no cursor, so a page nested deeper cannot \
                 be read whole here; read the rest with page_ancestors WHERE page_id = <its highest ancestor listed>",
    }),
    ..TableSpec::BASE
};

/// The pages named, found by id, each with its ancestors: `GET /rest/api/content/search?cql=type = page AND id IN
/// (...)&expand=ancestors`.
static BY_ID_DATA_CENTER: ChildSearch = ChildSearch {
    column: "page_id",
    field: "id",
    content_type: "page",
    path: "content/search",
    max_limit: 100,
    expand: "ancestors",
    children: &["ancestors"],
    parent_id: &["id"],
    parent_space: &[],
};

/// `page_ancestors` on Data Center: the pages' `ancestors` expansion, through one search for the pages named (CQL
/// finds current pages: an archived page's ancestors are not listed).
pub static PAGE_ANCESTORS_DATA_CENTER: TableSpec = TableSpec {
    endpoint: Endpoint::V1 { path: "content/search", max_limit: 100 },
    depth_cap: None,
    per_parent: Some(PerParent { column: "page_id", child_search: Some(&BY_ID_DATA_CENTER) }),
    ..PAGE_ANCESTORS
};

/// `page_ancestors` on both deployments.
pub static TABLE: Table = Table { cloud: &PAGE_ANCESTORS, data_center: Ok(&PAGE_ANCESTORS_DATA_CENTER) };
