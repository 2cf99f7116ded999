//! `groups`: every group, from `GET /wiki/rest/api/group` (Data Center: `GET /rest/api/group`, where a group's
//! name is its id).

use crate::columns::{col, Column, Kind};
use crate::table::{Endpoint, TableSpec};

const COLUMNS: &[Column] = &[
    col("id", Kind::Text, &["id"], "Group id (on Data Center, which names groups without ids, the name)."),
    col("name", Kind::Text, &["name"], "Group name."),
];

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
    child_search: None,
    by_parent: None,
    data_center: Some(&GROUPS_DATA_CENTER),
};

const DATA_CENTER_COLUMNS: &[Column] = &[col("id", Kind::Text, &["name"], ""), col("name", Kind::Text, &["name"], "")];

/// `groups` on Data Center: the name is the id (what `group_members` takes).
pub static GROUPS_DATA_CENTER: TableSpec = TableSpec { columns: DATA_CENTER_COLUMNS, data_center: None, ..GROUPS };
