//! `users`: every user account, from the v1 user search (`GET /wiki/rest/api/search/user?cql=type=user`), since
//! REST v2 cannot list users.

use crate::columns::{col, Column, Kind};
use crate::spec::{Endpoint, SpaceScope, Table, TableSpec};

const COLUMNS: &[Column] = &[
    col("account_id", Kind::Text, &["user", "accountId"], "Atlassian account id."),
    col("display_name", Kind::Text, &["user", "displayName"], "Display name."),
    col("public_name", Kind::Text, &["user", "publicName"], "Public name."),
    col("email", Kind::Text, &["user", "email"], "Email (NULL when the user hides it)."),
    col("account_type", Kind::Text, &["user", "accountType"], "atlassian or app."),
    col("account_status", Kind::Text, &["user", "accountStatus"], "active or inactive, when the site reports it."),
    col("time_zone", Kind::Text, &["user", "timeZone"], "IANA time zone."),
];

/// The `users` table.
pub static USERS: TableSpec = TableSpec {
    name: "users",
    doc: "One row per user account.",
    columns: COLUMNS,
    endpoint: Endpoint::V1 { path: "search/user", max_limit: 100 },
    search_type: Some("user"),
    space_scope: SpaceScope::Site,
    ..TableSpec::BASE
};

/// `users` on both deployments.
pub static TABLE: Table = Table { cloud: &USERS, data_center: Err("Data Center's REST API cannot list users: read group_members WHERE group_id = 'confluence-users' (or another group) instead") };
