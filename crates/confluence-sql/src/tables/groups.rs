//! `groups`: every group, from `GET /wiki/rest/api/group` (Data Center: `GET /rest/api/group`, where a group's
//! name is its id).

use crate::columns::{col, Column, Kind};
use crate::spec::{Endpoint, SpaceScope, Table, TableSpec};

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
    space_scope: SpaceScope::Site,
    ..TableSpec::BASE
};

const DATA_CENTER_COLUMNS: &[Column] = &[col("id", Kind::Text, &["name"], ""), col("name", Kind::Text, &["name"], "")];

/// `groups` on Data Center: the name is the id (what `group_members` takes).
pub static GROUPS_DATA_CENTER: TableSpec = TableSpec { columns: DATA_CENTER_COLUMNS, ..GROUPS };

/// `groups` on both deployments.
pub static TABLE: Table = Table { cloud: &GROUPS, data_center: Ok(&GROUPS_DATA_CENTER) };
