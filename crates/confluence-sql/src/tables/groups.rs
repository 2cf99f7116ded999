//! `groups`: every group, from `GET /wiki/rest/api/group`.

use crate::columns::{col, Column, Kind};
use crate::table::{Endpoint, TableSpec};

const COLUMNS: &[Column] =
    &[col("id", Kind::Text, &["id"], "Group id."), col("name", Kind::Text, &["name"], "Group name.")];

/// The `groups` table.
pub static GROUPS: TableSpec = TableSpec {
    name: "groups",
    doc: "One row per group.",
    columns: COLUMNS,
    endpoint: Endpoint::V1 { path: "group", max_limit: 200 },
    fixed_params: &[],
    filters: &[],
    variants: &[],
    on_projection: None,
    parent: None,
    cql_route: None,
    data_center: Some(&GROUPS),
};
