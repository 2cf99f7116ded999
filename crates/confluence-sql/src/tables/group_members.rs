//! `group_members`: the members of the groups the query names, from
//! `GET /wiki/rest/api/group/{id}/membersByGroupId` (one partition per group); on Data Center, where the group's
//! name is its id, `GET /rest/api/group/{name}/member`.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, PerParent, SpaceScope, Table, TableSpec};

const COLUMNS: &[Column] = &[
    Column {
        name: "group_id",
        kind: Kind::Text,
        source: Source::Parent,
        doc: "The group (required in WHERE: = or IN).",
    },
    col("account_id", Kind::Text, &["accountId"], "Member's account id."),
    col("display_name", Kind::Text, &["displayName"], "Member's display name."),
    col("email", Kind::Text, &["email"], "Member's email, when visible."),
    col("account_type", Kind::Text, &["accountType"], "atlassian or app."),
];

/// The `group_members` table.
pub static GROUP_MEMBERS: TableSpec = TableSpec {
    name: "group_members",
    doc: "One row per group membership; WHERE group_id = ... (or IN) is required.",
    columns: COLUMNS,
    endpoint: Endpoint::V1 { path: "group/{id}/membersByGroupId", max_limit: 200 },
    per_parent: Some(PerParent { column: "group_id", child_search: None }),
    space_scope: SpaceScope::Site,
    ..TableSpec::BASE
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    Column { name: "group_id", kind: Kind::Text, source: Source::Parent, doc: "" },
    col("account_id", Kind::Text, &["userKey"], ""),
    col("display_name", Kind::Text, &["displayName"], ""),
    col("email", Kind::Text, &["email"], ""),
    // Data Center users have no account type.
    Column { name: "account_type", kind: Kind::Text, source: Source::Null, doc: "" },
];

/// `group_members` on Data Center: `GET /rest/api/group/{name}/member`, members identified by user key.
pub static GROUP_MEMBERS_DATA_CENTER: TableSpec = TableSpec {
    columns: DATA_CENTER_COLUMNS,
    endpoint: Endpoint::V1 { path: "group/{id}/member", max_limit: 200 },
    ..GROUP_MEMBERS
};

/// `group_members` on both deployments.
pub static TABLE: Table = Table { cloud: &GROUP_MEMBERS, data_center: Ok(&GROUP_MEMBERS_DATA_CENTER) };
